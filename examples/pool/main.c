/*
 * main.c: a deferred reply and calls between servers.
 *
 * One pool slot, two jobs.  Job a gets the slot at once.  Job b's call to
 * the pool gets no reply (the pool keeps b's `from`), so b's run handler
 * waits inside its call while a plain thread waits on b.  When a finishes,
 * the pool's release hands the slot to b with the deferred reply, b's call
 * returns, and b replies to its own caller.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "job.srv.h"
#include "pool.srv.h"

static void check(const char *what, srv_status status)
{
    if (status == SRV_OK)
        return;
    fprintf(stderr, "%s: %s\n", what, srv_strerror(status));
    exit(1);
}

/* Runs job b on its own thread: main must stay free to finish job a. */
static void *run_job(void *job)
{
    job_run_reply got;
    check("run b", job_run_timeout(*(srv_pid *)job, &got, SRV_INFINITY));
    printf("main: job b ran in slot %d\n", got.slot);
    return NULL;
}

int main(void)
{
    srv_pid pool, a, b;
    check("start pool", pool_start_link(1, &pool));
    check("start a", job_start_link(srv_atom_from("a"), pool, &a));
    check("start b", job_start_link(srv_atom_from("b"), pool, &b));

    job_run_reply got;
    check("run a", job_run(a, &got));
    printf("main: job a ran in slot %d\n", got.slot);

    pthread_t thread;
    if (pthread_create(&thread, NULL, run_job, &b) != 0)
        return 1;

    /* Wait until b's call is parked in the pool, so the story is told in
     * one order every time. */
    for (;;) {
        pool_waiting_reply waiting;
        check("waiting", pool_waiting(pool, &waiting));
        if (waiting.n == 1)
            break;
        srv_sleep(1);
    }

    check("finish a", job_finish(a));
    pthread_join(thread, NULL);

    check("stop b", job_stop(b));
    check("stop a", job_stop(a));
    check("stop pool", pool_stop(pool));
    return srv_runtime_shutdown(5000) == SRV_OK ? 0 : 1;
}
