/*
 * scale.c: make bench-scale's costs per server for N servers, one N per
 * run (bench/scale.sh runs N = 1e3 .. 1e7, each in a fresh process):
 *
 *   start_us_per_server   start N servers, unlinked, each init acknowledged
 *   bytes_per_server      resident memory grown by them, per server
 *   random_call_rtt_ns    main calls query on a server picked at random,
 *                         CALLS times; ns per call
 *   casts_per_s           a client process casts tally to the servers in
 *                         turn, max(N, CASTS) casts; timed from main's
 *                         request until every one is handled
 *                         (worker_tallied counts them)
 *
 * Prints "N metric value" lines.  erlang/bench_scale.erl does the same
 * work on Erlang/OTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "client.srv.h"
#include "measure.h"
#include "worker.srv.h"

enum {
    CALLS = 1000000,
    CASTS = 2000000,
};

/* xorshift64: the servers called, in an order no cache can guess. */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

int main(int argc, char **argv)
{
    long n = argc == 2 ? atol(argv[1]) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: scale N\n");
        return 2;
    }
    check("runtime", srv_runtime_start(0));
    srv_atom key = srv_atom_from("0x01f"), value = srv_atom_from("test");
    srv_pid *pids = resident_pids((size_t)n);
    double before = resident_bytes();
    double start = now_s();
    for (long i = 0; i < n; i++)
        check("start", worker_start(key, value, &pids[i]));
    double started = now_s();
    double after = resident_bytes();
    printf("%ld start_us_per_server %.4f\n", n, (started - start) * 1e6 / (double)n);
    printf("%ld bytes_per_server %.1f\n", n, (after - before) / (double)n);

    uint64_t x = 88172645463325252ull;
    start = now_s();
    for (long i = 0; i < CALLS; i++) {
        worker_query_reply r;
        check("call", worker_query(pids[next_random(&x) % (uint64_t)n], key, &r));
    }
    printf("%ld random_call_rtt_ns %.1f\n", n, (now_s() - start) * 1e9 / CALLS);

    /* A client process casts, from a scheduler, as in cast_msgs_per_s. */
    srv_pid client;
    check("client", client_start(&client));
    long casts = n > CASTS ? n : CASTS;
    start = now_s();
    check("casts", client_tallies_later(client, pids, n, casts));
    /* The casts are handled on the scheduler threads: look every 100 us
     * for the last (sleeping, so as not to take a core from them). */
    while (__atomic_load_n(&worker_tallied, __ATOMIC_ACQUIRE) < casts)
        nanosleep(&(struct timespec){0, 100000}, NULL);
    printf("%ld casts_per_s %.0f\n", n, (double)casts / (now_s() - start));

    /* No stop: the process ends here, servers and all. */
    fflush(stdout);
    _exit(0);
}
