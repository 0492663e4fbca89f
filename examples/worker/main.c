/*
 * main.c: replays the seed's shell session with the worker server.
 *
 *   1> worker:start_link().
 *   Saving key: '0x01f' with value test, self: <0.58.0>
 *   Timeout
 *   {ok,<0.58.0>}
 *   2> worker:show('0x01f').
 *   ...
 *
 * Each "N> ..." line is what the Erlang shell would be given; the lines
 * after it are what the server printed and what the call returned.
 */
#include <stdio.h>
#include <stdlib.h>

#include "worker.srv.h"

/* Prints what a failed call returned and leaves: the session cannot go on. */
static void check(const char *what, srv_status status)
{
    if (status == SRV_OK)
        return;
    fprintf(stderr, "%s: %s\n", what, srv_strerror(status));
    exit(1);
}

/* The shell looks the server up by its registered name for every call,
 * as the seed's query/1 and show/1 do with ?SERVER. */
static srv_pid worker(void)
{
    srv_pid pid;
    check("whereis worker", srv_whereis("worker", &pid));
    return pid;
}

int main(void)
{
    srv_atom key = srv_atom_from("0x01f");

    /* start_link({local, worker}, worker, [{'0x01f', test}], [{timeout, 10}]) */
    printf("1> worker:start_link().\n");
    srv_start_opts opts = {.name = "worker", .timeout_ms = 10};
    srv_start_result started;
    check("start_link", worker_start_opts(key, srv_atom_from("test"),
                                          SRV_START_LINK, &opts, &started));
    printf("{ok,%s}\n", srv_pid_format(started.pid).s);

    printf("2> worker:show('0x01f').\n");
    check("show", worker_show(worker(), key));
    /* A cast returns at once; the shell's "ok" would race the server's line.
     * Asking for the state waits until the server has handled the cast, so
     * the lines come out in the seed's order. */
    srv_buf state = {0};
    check("get_state", srv_sys_get_state(worker(), &state, 5000));
    srv_buf_free(&state);
    printf("ok\n");

    printf("3> worker:query('0x01f').\n");
    worker_query_reply value;
    check("query", worker_query(worker(), key, &value));
    printf("{ok,%s}\n", srv_atom_format(value.value).s);
    worker_query_reply_free(&value);

    printf("4> self().\n");
    printf("%s\n", srv_pid_format(srv_self()).s);

    printf("5> worker:set({'0x01f', hello}).\n");
    worker_set_reply pair;
    check("set", worker_set(worker(), key, srv_atom_from("hello"), &pair));
    printf("{ok,{%s,%s}}\n", srv_atom_format(pair.key).s,
           srv_atom_format(pair.value).s);
    worker_set_reply_free(&pair);

    printf("6> worker:query('0x01f').\n");
    check("query", worker_query(worker(), key, &value));
    printf("{ok,%s}\n", srv_atom_format(value.value).s);
    worker_query_reply_free(&value);

    printf("7> worker:stop().\n");
    check("stop", worker_stop(worker()));
    printf("ok\n");

    return srv_runtime_shutdown(5000) == SRV_OK ? 0 : 1;
}
