/*
 * node.c (bench): the cluster's figures (make bench).  Starts the bench's
 * worker as `worker` on an srv node with a random cookie, and runs
 * erlang/bench_remote.erl on an Erlang node of the same machine, which
 * calls and casts to it and, the same, to an Erlang node's worker, and
 * prints "srv METRIC VALUE" and "erl METRIC VALUE" lines (run.sh files
 * them with the srv and Erlang figures).  Then a second srv program (this
 * one, run as a client) calls and casts to the same worker from its own
 * node, the same work as the Erlang client's: srv_remote_call_rtt_us and
 * srv_remote_casts_per_s, beside Erlang to Erlang's figures.
 *   usage: node ERLANG_BEAM_DIR
 *          node --client NODE COOKIE   (the second program)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srv.h>

#include "worker.srv.h"

enum { CALLS = 20000, CASTS = 200000 }; /* as bench_remote.erl */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(const char *what, srv_status status)
{
    if (status != SRV_OK) {
        fprintf(stderr, "node: %s: %s\n", what, srv_status_name(status));
        exit(1);
    }
}

static int64_t shows(const char *server_node)
{
    worker_count_reply r;
    check("count", worker_count_node(server_node, "worker", &r, SRV_INFINITY, NULL));
    return r.shows;
}

/* The second program: calls, then casts, to NODE's worker, from a plain
 * thread of a node of its own, as bench_remote.erl's measure/2. */
static int client(const char *server_node, const char *cookie)
{
    char name[64];
    snprintf(name, sizeof name, "srvbenchc%d@localhost", (int)getpid());
    check("node", srv_node_start(name, cookie, NULL));
    srv_atom key = srv_atom_from("0x01f");
    worker_query_reply q;
    for (int i = 0; i < 1000; i++) /* warm up */
        check("query", worker_query_node(server_node, "worker", key, &q, SRV_INFINITY, NULL));
    double t0 = now_s();
    for (int i = 0; i < CALLS; i++)
        check("query", worker_query_node(server_node, "worker", key, &q, SRV_INFINITY, NULL));
    double t1 = now_s();
    printf("srv srv_remote_call_rtt_us %.3f\n", (t1 - t0) * 1e6 / CALLS);
    int64_t before = shows(server_node);
    double t2 = now_s();
    for (int i = 0; i < CASTS; i++)
        check("show", worker_show_node(server_node, "worker", key));
    while (shows(server_node) < before + CASTS) /* one connection, in order */
        ;
    printf("srv srv_remote_casts_per_s %.0f\n", CASTS / (now_s() - t2));
    fflush(stdout);
    srv_node_stop();
    srv_runtime_shutdown(5000);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--client") == 0)
        return client(argv[2], argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s ERLANG_BEAM_DIR\n       %s --client NODE COOKIE\n",
                argv[0], argv[0]);
        return 2;
    }
    char name[64], cookie[64], cmd[1024];
    snprintf(name, sizeof name, "srvbench%d@localhost", (int)getpid());
    snprintf(cookie, sizeof cookie, "bench%d%ld", (int)getpid(), (long)random());
    srv_start_opts opts = {.name = "worker"};
    if (worker_start_opts(srv_atom_from("0x01f"), srv_atom_from("test"), SRV_START_PLAIN,
                          &opts, NULL) != SRV_OK ||
        srv_node_start(name, cookie, NULL) != SRV_OK) {
        fprintf(stderr, "node: cannot start the worker or the node\n");
        return 1;
    }
    snprintf(cmd, sizeof cmd,
             "erl -noshell -sname benchc%d@localhost -setcookie %s -pa %s "
             "-run bench_remote main %s",
             (int)getpid(), cookie, argv[1], name);
    int status = system(cmd);
    fflush(stdout);
    snprintf(cmd, sizeof cmd, "'%s' --client %s %s", argv[0], name, cookie);
    if (status == 0)
        status = system(cmd);
    srv_node_stop();
    srv_runtime_shutdown(5000);
    return status == 0 ? 0 : 1;
}
