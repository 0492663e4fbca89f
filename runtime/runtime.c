/*
 * runtime.c: starting and stopping the runtime as a whole, and fork.
 *
 * srv_runtime_shutdown is a supervisor's shutdown of every server at once
 * (supervisor.erl's terminate_dynamic_children): the barrier goes up
 * (srv_start refuses from then on), every server gets the exit signal
 * `shutdown` as from its parent, one deadline bounds the wait for all of
 * them, what is left is killed, and after a short margin the servers still
 * alive (a handler that never returns cannot be stopped in C) are reported
 * by name and pid, and the call returns anyway.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "atom.h"
#include "epoch.h"
#include "inline.h"
#include "link.h"
#include "logger.h"
#include "name.h"
#include "os.h"
#include "process.h"
#include "runtime.h"
#include "sched.h"
#include "slab.h"
#include "thread.h"
#include "timer.h"

/* Up from the start of srv_runtime_shutdown until srv_runtime_start (or
 * a fork's child, which starts afresh). */
static _Atomic bool closed;

/* fork(): the parts' locks are taken before it (outer ones first: a
 * scheduler start logs under the scheduler lock), so that the child finds
 * every table whole; the child then starts afresh (srv.h says what it
 * gets). */
static void fork_prepare(void)
{
    srv__sched_fork(SRV_FORK_PREPARE);
    srv__timer_fork(SRV_FORK_PREPARE);
    srv__process_fork(SRV_FORK_PREPARE);
    srv__slab_fork(SRV_FORK_PREPARE);
    srv__name_fork(SRV_FORK_PREPARE);
    srv__atom_fork(SRV_FORK_PREPARE);
    srv__log_fork(SRV_FORK_PREPARE);
}

static void fork_parent(void)
{
    srv__log_fork(SRV_FORK_PARENT);
    srv__atom_fork(SRV_FORK_PARENT);
    srv__name_fork(SRV_FORK_PARENT);
    srv__slab_fork(SRV_FORK_PARENT);
    srv__process_fork(SRV_FORK_PARENT);
    srv__timer_fork(SRV_FORK_PARENT);
    srv__sched_fork(SRV_FORK_PARENT);
}

static void fork_child(void)
{
    srv__log_fork(SRV_FORK_CHILD);
    srv__atom_fork(SRV_FORK_CHILD);
    srv__name_fork(SRV_FORK_CHILD);
    srv__slab_fork(SRV_FORK_CHILD);
    srv__process_fork(SRV_FORK_CHILD);
    srv__epoch_fork(SRV_FORK_CHILD);
    srv__thread_fork(SRV_FORK_CHILD);
    srv__timer_fork(SRV_FORK_CHILD);
    srv__sched_fork(SRV_FORK_CHILD);
    srv__inline_fork(SRV_FORK_CHILD);
    atomic_store_explicit(&closed, false, memory_order_relaxed);
}

/* At load time: a fork may come before any other use of the runtime. */
__attribute__((constructor)) static void fork_watch(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* How long shutdown waits for the killed, and then for the schedulers. */
#define KILL_MARGIN_MS 100
#define SCHED_MARGIN_MS 50


const char *srv_version(void)
{
    return SRV_VERSION;
}

srv_status srv_runtime_start(unsigned schedulers)
{
    atomic_store_explicit(&closed, false, memory_order_seq_cst);
    return srv__sched_start(schedulers) == 0 ? SRV_OK : SRV_ENOMEM;
}

bool srv__runtime_closed(void)
{
    /* seq_cst fence: pairs with the one in srv_runtime_shutdown.  Either
     * the starter sees the barrier, or shutdown, looking at the process
     * table after raising it, finds the starter's new process there. */
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&closed, memory_order_relaxed);
}

static void send_shutdown(srv_pid pid, void *arg)
{
    (void)arg;
    srv__exit_signal_from_runtime(pid, srv_atom_shutdown);
}

static void send_kill(srv_pid pid, void *arg)
{
    (void)arg;
    srv__exit_signal_from_runtime(pid, srv_atom_kill);
}

static void count_one(srv_pid pid, void *arg)
{
    (void)pid;
    ++*(size_t *)arg;
}

/* Whether no server is alive: the count is cheap, and a 0 is confirmed
 * by a look at the table (the count may be off by one, see process.c). */
static bool none_left(void)
{
    if (srv__server_count() != 0)
        return false;
    size_t n = 0;
    srv__process_each_server(count_one, &n);
    return n == 0;
}

/* Waits until no server is alive or deadline_ns; true in the first case. */
static bool wait_servers_gone(uint64_t deadline_ns)
{
    for (unsigned round = 0;; round++) {
        if (none_left())
            return true;
        uint64_t now = srv__now_ns();
        if (now >= deadline_ns)
            return false;
        uint64_t nap = round < 10 ? 20000 : 500000; /* 20 us, then 0.5 ms */
        if (nap > deadline_ns - now)
            nap = deadline_ns - now;
        struct timespec ts = {0, (long)nap};
        nanosleep(&ts, NULL);
    }
}

/* A server the kill did not end: its handler has not returned (or it
 * waits for a scheduler thread that such a handler holds). */
static void report_stuck(srv_pid pid, void *arg)
{
    (void)arg;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return;
    srv_atom name = srv__name(p);
    bool running = atomic_load_explicit(&p->run_state, memory_order_relaxed) == PROC_RUNNING;
    char text[640];
    snprintf(text, sizeof text,
             "=ERROR REPORT==== srv %s ===\n"
             "** Generic server %s %s%s%s did not stop at shutdown: it was killed,\n"
             "** but %s (C cannot interrupt a handler that computes without\n"
             "** blocking); it ends when that handler returns\n",
             srv_pid_format(pid).s, p->module->name, srv_pid_format(pid).s,
             name != NULL ? " registered as " : "", name != NULL ? name : "",
             running ? "its handler has not returned"
                     : "it waits for a scheduler thread held by a handler that has not returned");
    srv__process_put(p);
    srv__log(SRV_LOG_ERROR, text);
}

srv_status srv_runtime_shutdown(long timeout_ms)
{
    if (srv__current_or_null() != NULL)
        return SRV_EDEADLK; /* not from inside a server */
    if (!srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    uint64_t deadline = srv__deadline_after_ms(timeout_ms < 0 ? SRV_INFINITY : timeout_ms);
    atomic_store_explicit(&closed, true, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* see srv__runtime_closed */

    /* Every server at once, as a supervisor tells its children. */
    srv__process_each_server(send_shutdown, NULL);
    bool late = !wait_servers_gone(deadline);
    if (late) {
        srv__process_each_server(send_kill, NULL);
        if (!wait_servers_gone(srv__deadline_after_ms(KILL_MARGIN_MS)))
            srv__process_each_server(report_stuck, NULL);
    }
    srv__timer_stop();
    srv__sched_stop(srv__deadline_after_ms(SCHED_MARGIN_MS));
    return late ? SRV_ETIMEOUT : SRV_OK;
}
