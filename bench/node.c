/*
 * node.c (bench): the cluster's figures (make bench).  Starts the bench's
 * worker as `worker` on an srv node with a random cookie, and runs
 * erlang/bench_remote.erl on an Erlang node of the same machine, which
 * calls and casts to it and, the same, to an Erlang node's worker, and
 * prints "srv METRIC VALUE" and "erl METRIC VALUE" lines (run.sh files
 * them with the srv and Erlang figures).  The Erlang client also runs a
 * second srv program (this one, as a client: a node of its own) and
 * tells it, in turns with its own calls, to call and cast to the same
 * worker, the same work as its own: srv_remote_call_rtt_us and
 * srv_remote_casts_per_s, beside Erlang to Erlang's figures.
 *   usage: node ERLANG_BEAM_DIR
 *          node --client NODE COOKIE   (the second program: commands
 *                                       "calls N", "casts N" on stdin)
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srv.h>

#include "worker.srv.h"

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

/* The second program: from a plain thread of a node of its own, what
 * bench_remote.erl asks on stdin, answered on stdout with the us it
 * took: "calls N", N calls to NODE's worker; "casts N", N casts, then
 * calls of count until all are seen. */
static int client(const char *server_node, const char *cookie)
{
    char name[64];
    snprintf(name, sizeof name, "srvbenchc%d@localhost", (int)getpid());
    check("node", srv_node_start(name, cookie, NULL));
    srv_atom key = srv_atom_from("0x01f");
    char line[64];
    long n;
    while (fgets(line, sizeof line, stdin) != NULL) {
        double t0 = now_s();
        if (sscanf(line, "calls %ld", &n) == 1 && n > 0 && n <= INT_MAX) {
            worker_query_reply q;
            for (long i = 0; i < n; i++)
                check("query",
                      worker_query_node(server_node, "worker", key, &q, SRV_INFINITY, NULL));
            printf("%.3f\n", (now_s() - t0) * 1e6);
        } else if (sscanf(line, "casts %ld", &n) == 1 && n > 0 && n <= INT_MAX) {
            int64_t before = shows(server_node);
            t0 = now_s();
            for (long i = 0; i < n; i++)
                check("show", worker_show_node(server_node, "worker", key));
            while (shows(server_node) < before + n) /* one connection, in order */
                ;
            printf("%.3f\n", (now_s() - t0) * 1e6);
        } else {
            fprintf(stderr, "node: not a command: %s", line);
            return 2;
        }
        fflush(stdout);
    }
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
    char name[64], cookie[64], cmd[2 * PATH_MAX + 256];
    snprintf(name, sizeof name, "srvbench%d@localhost", (int)getpid());
    snprintf(cookie, sizeof cookie, "bench%d%ld", (int)getpid(), (long)random());
    srv_start_opts opts = {.name = "worker"};
    if (worker_start_opts(srv_atom_from("0x01f"), srv_atom_from("test"), SRV_START_PLAIN,
                          &opts, NULL) != SRV_OK ||
        srv_node_start(name, cookie, NULL) != SRV_OK) {
        fprintf(stderr, "node: cannot start the worker or the node\n");
        return 1;
    }
    char self[PATH_MAX];
    if (realpath(argv[0], self) == NULL) {
        fprintf(stderr, "node: where am I: %s\n", argv[0]);
        return 1;
    }
    snprintf(cmd, sizeof cmd,
             "erl -noshell -sname benchc%d@localhost -setcookie %s -pa %s "
             "-run bench_remote main %s '%s'",
             (int)getpid(), cookie, argv[1], name, self);
    int status = system(cmd);
    fflush(stdout);
    srv_node_stop();
    srv_runtime_shutdown(5000);
    return status == 0 ? 0 : 1;
}
