/*
 * bench.c: one repetition of one group of make bench's metrics.
 *
 *   bench calls     call_rtt_ns, main_thread_call_rtt_ns, requests_10k_out_us,
 *                   cast_msgs_per_s, contended16_calls_per_s
 *   bench servers   start_us_per_server, bytes_per_idle_server,
 *                   stop_us_per_server (100,000 servers)
 *   bench hibernated  bytes_per_hibernated_server (100,000 servers that
 *                   each hibernated)
 *   bench million   million_servers_s, million_servers_peak_mb
 *   bench kill      kill_with_100k_queued_us (one kill: run.sh runs this
 *                   group more often than the others, see there)
 *   bench control   shutdown_10k_servers_ms
 *
 * Each prints "name value" lines; bench/run.sh runs every group several
 * times, each in a fresh process (so memory figures start from the same
 * place), and reports the median and spread.  erlang/bench.erl does the
 * same work on Erlang/OTP's gen_server.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.srv.h"
#include "measure.h"
#include "worker.srv.h"

enum {
    CALLS = 1000000,
    WARMUP = 10000,
    CASTS = 2000000,
    QUEUED_CALLS = 200000,
    SERVERS = 100000,
    MILLION = 1000000,
    CONTENDERS = 16,
    CONTENDED_CALLS = 100000,
    QUEUED = 100000,
    WORK_US = 10,
    IDLE_SERVERS = 10000,
    REQUESTS = 10000,
};

static srv_atom key, value;

static srv_pid start_worker(void)
{
    srv_pid pid;
    check("start worker", worker_start(key, value, &pid));
    return pid;
}

static srv_pid start_client(void)
{
    srv_pid pid;
    check("start client", client_start(&pid));
    return pid;
}

/* Nanoseconds per call of n calls that the client process makes after
 * WARMUP: of query, or of query_blob, which is always queued. */
static double client_call_ns(srv_pid client, srv_pid server, int n, bool queued)
{
    int64_t ns = 0;
    for (int count = WARMUP, round = 0; round < 2; count = n, round++) {
        if (queued) {
            client_blob_calls_reply r;
            check("queued calls", client_blob_calls_timeout(client, server, key, count, &r,
                                                             SRV_INFINITY));
            ns = r.ns;
        } else {
            client_calls_reply r;
            check("calls", client_calls_timeout(client, server, key, count, &r,
                                                SRV_INFINITY));
            ns = r.ns;
        }
    }
    return (double)ns / n;
}

static void bench_calls(void)
{
    srv_pid server = start_worker();
    srv_pid client = start_client();
    printf("call_rtt_ns %.1f\n", client_call_ns(client, server, CALLS, false));

    for (int i = 0; i < WARMUP; i++) {
        worker_query_reply q;
        check("main warm-up", worker_query(server, key, &q));
    }
    double start = now_s();
    for (int i = 0; i < CALLS; i++) {
        worker_query_reply q;
        check("main call", worker_query(server, key, &q));
    }
    printf("main_thread_call_rtt_ns %.1f\n", (now_s() - start) * 1e9 / CALLS);

    /* All out at once in a collection, then their answers as they come. */
    srv_reqids all = SRV_REQIDS_INIT;
    start = now_s();
    for (int i = 0; i < REQUESTS; i++) {
        srv_request_id req;
        check("send_request", worker_query_send_request(server, key, &req));
        check("reqids_add", srv_reqids_add(&all, &req, NULL));
    }
    srv_request_id which;
    int answered = 0;
    for (; srv_reqids_receive(&all, SRV_INFINITY, true, &which, NULL) == SRV_OK; answered++) {
        worker_query_reply q;
        check("check_response", worker_query_check_response(&which, &q));
    }
    if (answered != REQUESTS) {
        fprintf(stderr, "bench: %d of %d requests answered\n", answered, REQUESTS);
        exit(1);
    }
    printf("requests_10k_out_us %.3f\n", (now_s() - start) * 1e6 / REQUESTS);
    srv_reqids_free(&all);

    client_runs_reply before, after;
    check("runs", client_runs(client, &before));
    check("casts", client_casts_later(client, server, key, CASTS));
    check("casts done", client_runs_timeout(client, &after, SRV_INFINITY));
    if (after.runs != before.runs + 1) {
        fprintf(stderr, "bench: the casts run did not finish\n");
        exit(1);
    }
    printf("cast_msgs_per_s %.0f\n", CASTS / ((double)after.last_ns / 1e9));

    /* query_blob's argument is too big for its caller to run the handler
     * itself: every call is queued, and answered by a scheduler thread. */
    printf("queued_call_rtt_ns %.1f\n", client_call_ns(client, server, QUEUED_CALLS, true));

    /* Contenders are client processes on the schedulers, as Erlang's are
     * processes: each runs its loop as a cast; runs() waits for it. */
    srv_pid contenders[CONTENDERS];
    for (int i = 0; i < CONTENDERS; i++)
        contenders[i] = start_client();
    start = now_s();
    for (int i = 0; i < CONTENDERS; i++)
        check("contended calls",
              client_calls_later(contenders[i], server, key, CONTENDED_CALLS));
    for (int i = 0; i < CONTENDERS; i++) {
        client_runs_reply done;
        check("contended runs", client_runs_timeout(contenders[i], &done, SRV_INFINITY));
        if (done.runs != 1) {
            fprintf(stderr, "bench: a contender did not finish its run\n");
            exit(1);
        }
    }
    printf("contended16_calls_per_s %.0f\n",
           CONTENDERS * (double)CONTENDED_CALLS / (now_s() - start));

    for (int i = 0; i < CONTENDERS; i++)
        check("stop contender", client_stop(contenders[i]));
    check("stop client", client_stop(client));
    check("stop worker", worker_stop(server));
}

static void bench_servers(void)
{
    srv_pid *pids = resident_pids(SERVERS);
    double before = resident_bytes();
    double start = now_s();
    for (int i = 0; i < SERVERS; i++)
        pids[i] = start_worker();
    double started = now_s();
    double after = resident_bytes();
    for (int i = 0; i < SERVERS; i++)
        check("stop", worker_stop(pids[i]));
    double stopped = now_s();
    printf("start_us_per_server %.3f\n", (started - start) * 1e6 / SERVERS);
    printf("bytes_per_idle_server %.0f\n", (after - before) / SERVERS);
    printf("stop_us_per_server %.3f\n", (stopped - started) * 1e6 / SERVERS);
    free(pids);
}

/* What a server holds once hibernated: each is started, told to rest
 * (noreply_hibernate), and a system message behind the cast, which does
 * not wake it, says the cast was handled. */
static void bench_hibernated(void)
{
    srv_pid *pids = resident_pids(SERVERS);
    double before = resident_bytes();
    for (int i = 0; i < SERVERS; i++) {
        pids[i] = start_worker();
        check("rest", worker_rest(pids[i]));
    }
    for (int i = 0; i < SERVERS; i++) {
        srv_buf state = {0};
        check("get_state", srv_sys_get_state(pids[i], &state, SRV_INFINITY));
        srv_buf_free(&state);
    }
    double after = resident_bytes();
    printf("bytes_per_hibernated_server %.0f\n", (after - before) / SERVERS);
    for (int i = 0; i < SERVERS; i++)
        check("stop", worker_stop(pids[i]));
    free(pids);
}

static void bench_million(void)
{
    srv_pid *pids = malloc(MILLION * sizeof *pids);
    if (pids == NULL)
        exit(1);
    double start = now_s();
    for (int i = 0; i < MILLION; i++)
        pids[i] = start_worker();
    for (int i = 0; i < MILLION; i++) {
        worker_query_reply q;
        check("million call", worker_query(pids[i], key, &q));
    }
    for (int i = 0; i < MILLION; i++)
        check("million stop", worker_stop(pids[i]));
    printf("million_servers_s %.3f\n", now_s() - start);
    printf("million_servers_peak_mb %.1f\n", peak_resident_mb());
    free(pids);
}

/* A kill that must go ahead of a long queue.  Main is the monitoring
 * process, as the bench's own process is in erlang/bench.erl.  One kill
 * per process: the dead server's queue, freed after its DOWN, would
 * share the cores with the next kill's. */
static void bench_kill(void)
{
    srv_pid server = start_worker();
    uint64_t ref;
    check("monitor", srv_monitor(server, &ref));
    /* 100,000 casts of 10 us of work each: a second's worth queued. */
    for (int i = 0; i < QUEUED; i++)
        check("work", worker_work(server, WORK_US));
    double start = now_s();
    check("kill", srv_exit_signal(server, SRV_KILL));
    srv_signal down;
    check("down", srv_receive_signal(&down, SRV_INFINITY));
    double killed = now_s();
    if (down.kind != SRV_SIGNAL_DOWN || down.ref != ref || down.reason != SRV_KILLED) {
        fprintf(stderr, "bench: the kill's DOWN says %s\n", down.reason);
        exit(1);
    }
    printf("kill_with_100k_queued_us %.3f\n", (killed - start) * 1e6);
}

/* A shutdown of many servers at once. */
static void bench_control(void)
{
    for (int i = 0; i < IDLE_SERVERS; i++)
        start_worker();
    double start = now_s();
    check("shutdown", srv_runtime_shutdown(5000));
    printf("shutdown_10k_servers_ms %.3f\n", (now_s() - start) * 1e3);
}

/* ---- supervisors: a restart, and 100,000 dynamic children ------------ */

enum { RESTARTS = 10000, DYNAMIC = 100000 };

static struct worker_init_args child_args;

/* one_for_one with one worker registered as bench_child, or
 * simple_one_for_one of temporary workers (as supervisor.erl's fastest
 * kind: no args kept) */
static void bench_sup_init(const void *args, srv_sup_init *out)
{
    bool simple = *(const bool *)args;
    out->flags = (srv_sup_flags){simple ? SRV_SIMPLE_ONE_FOR_ONE : SRV_ONE_FOR_ONE, 1000000, 1};
    out->count = 1;
    out->children[0] = (srv_child_spec){.id = "w", .module = &worker_module, .args = &child_args,
                                        .name = simple ? NULL : "bench_child",
                                        .restart = simple ? SRV_TEMPORARY : SRV_PERMANENT,
                                        .shutdown_ms = 5000};
}

static bool bench_sup_combine(void *child, const void *template_args, const void *extra)
{
    (void)extra;
    memcpy(child, template_args, sizeof child_args);
    return true;
}

static const srv_sup_module bench_sup = {
    .abi_version = SRV_ABI_VERSION,
    .name = "bench_sup",
    .args_size = sizeof(bool),
    .child_count = 1,
    .init = bench_sup_init,
    .combine_args = bench_sup_combine,
};

static srv_pid start_bench_sup(bool simple)
{
    srv_start_result r;
    check("start supervisor", srv_sup_start(&bench_sup, &simple, SRV_START_LINK, NULL, &r));
    return r.pid;
}

/* Shuts pid down and waits for its end (a monitor's DOWN): main is its
 * parent, whose exit(shutdown) it takes as its order to shut down.  The
 * monitor comes first, as in the Erlang side's stop_sup: one taken once
 * the supervisor has begun to exit would fire at once, with noproc,
 * before its children were shut down. */
static void stop_sup(srv_pid pid)
{
    srv_monitor_ref ref;
    check("monitor", srv_monitor(pid, &ref));
    srv_exit_signal(pid, SRV_SHUTDOWN);
    srv_signal down;
    do
        check("down", srv_receive_signal(&down, SRV_INFINITY));
    while (down.kind != SRV_SIGNAL_DOWN || down.ref != ref);
}

static void bench_supervisors(void)
{
    /* no report is made, as on the Erlang side (level emergency): a
     * report per kill or start would time the logger */
    srv_set_log_level(SRV_LOG_NONE);
    child_args = (struct worker_init_args){key, value};
    /* a child killed, until it runs again and answers under its name */
    srv_pid sup = start_bench_sup(false);
    double start = now_s();
    for (int i = 0; i < RESTARTS; i++) {
        srv_pid old, now;
        check("whereis", srv_whereis("bench_child", &old));
        srv_exit_signal(old, SRV_KILL);
        while (srv_whereis("bench_child", &now) != SRV_OK || srv_pid_equal(now, old))
            sched_yield(); /* the supervisor's thread may need this core */
        worker_query_reply r;
        check("query", worker_query(now, key, &r));
    }
    printf("restart_us_per_child %.3f\n", (now_s() - start) * 1e6 / RESTARTS);
    stop_sup(sup);

    srv_pid dyn = start_bench_sup(true);
    start = now_s();
    for (int i = 0; i < DYNAMIC; i++) {
        srv_pid child;
        check("start_child", srv_sup_start_child_args(dyn, &bench_sup, NULL, &child));
    }
    double started = now_s();
    printf("start_100k_dynamic_children_s %.4f\n", started - start);
    stop_sup(dyn);
    printf("shutdown_100k_dynamic_children_s %.4f\n", now_s() - started);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench calls|servers|hibernated|million|kill|control|supervisors\n");
        return 2;
    }
    check("runtime", srv_runtime_start(0));
    key = srv_atom_from("0x01f");
    value = srv_atom_from("test");
    if (strcmp(argv[1], "calls") == 0)
        bench_calls();
    else if (strcmp(argv[1], "servers") == 0)
        bench_servers();
    else if (strcmp(argv[1], "hibernated") == 0)
        bench_hibernated();
    else if (strcmp(argv[1], "million") == 0)
        bench_million();
    else if (strcmp(argv[1], "kill") == 0)
        bench_kill();
    else if (strcmp(argv[1], "control") == 0)
        bench_control();
    else if (strcmp(argv[1], "supervisors") == 0)
        bench_supervisors();
    else {
        fprintf(stderr, "bench: unknown group '%s'\n", argv[1]);
        return 2;
    }
    fflush(stdout);
    return srv_runtime_shutdown(60000) == SRV_OK ? 0 : 1;
}
