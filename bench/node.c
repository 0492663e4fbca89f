/*
 * node.c (bench): the cluster's figures (make bench).  Starts the bench's
 * worker as `worker` on an srv node with a random cookie, and runs
 * erlang/bench_remote.erl on an Erlang node of the same machine, which
 * calls and casts to it and, the same, to an Erlang node's worker, and
 * prints "srv METRIC VALUE" and "erl METRIC VALUE" lines (run.sh files
 * them with the srv and Erlang figures).
 *   usage: node ERLANG_BEAM_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <srv.h>

#include "worker.srv.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ERLANG_BEAM_DIR\n", argv[0]);
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
    srv_node_stop();
    srv_runtime_shutdown(5000);
    return status == 0 ? 0 : 1;
}
