/*
 * runtime.c: starting and stopping the runtime as a whole, and fork.
 */
#include <pthread.h>

#include "internal.h"

/* fork(): the parts' locks are taken before it (outer ones first: a
 * scheduler start logs under the scheduler lock), so that the child finds
 * every table whole; the child then starts afresh (srv.h says what it
 * gets). */
static void fork_prepare(void)
{
    srv__sched_fork(SRV_FORK_PREPARE);
    srv__timer_fork(SRV_FORK_PREPARE);
    srv__process_fork(SRV_FORK_PREPARE);
    srv__name_fork(SRV_FORK_PREPARE);
    srv__atom_fork(SRV_FORK_PREPARE);
    srv__log_fork(SRV_FORK_PREPARE);
}

static void fork_parent(void)
{
    srv__log_fork(SRV_FORK_PARENT);
    srv__atom_fork(SRV_FORK_PARENT);
    srv__name_fork(SRV_FORK_PARENT);
    srv__process_fork(SRV_FORK_PARENT);
    srv__timer_fork(SRV_FORK_PARENT);
    srv__sched_fork(SRV_FORK_PARENT);
}

static void fork_child(void)
{
    srv__log_fork(SRV_FORK_CHILD);
    srv__atom_fork(SRV_FORK_CHILD);
    srv__name_fork(SRV_FORK_CHILD);
    srv__process_fork(SRV_FORK_CHILD);
    srv__timer_fork(SRV_FORK_CHILD);
    srv__sched_fork(SRV_FORK_CHILD);
    srv__inline_fork(SRV_FORK_CHILD);
}

bool srv__fork_lock(enum srv_fork_phase phase, void *mutex)
{
    pthread_mutex_t *lock = mutex;
    if (phase == SRV_FORK_PREPARE) {
        pthread_mutex_lock(lock);
        return false;
    }
    pthread_mutex_unlock(lock); /* in the child: taken by this thread before */
    return phase == SRV_FORK_CHILD;
}

/* At load time: a fork may come before any other use of the runtime. */
__attribute__((constructor)) static void fork_watch(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

srv_status srv_runtime_start(unsigned schedulers)
{
    return srv__sched_start(schedulers) == 0 ? SRV_OK : SRV_ENOMEM;
}

struct shutdown {
    long timeout_ms;
    bool late;
};

/* Like a supervisor's shutdown: stop with `shutdown`, kill on timeout. */
static void stop_one(srv_pid pid, void *arg)
{
    struct shutdown *s = arg;
    srv_status status = srv_stop_server(pid, srv_atom_shutdown, s->timeout_ms, NULL);
    if (status == SRV_ETIMEOUT) {
        srv_exit_signal(pid, srv_atom_kill);
        s->late = true;
    }
}

srv_status srv_runtime_shutdown(long timeout_ms)
{
    if (srv__current_or_null() != NULL)
        return SRV_EDEADLK; /* not from inside a server */
    if (!srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct shutdown s = {timeout_ms, false};
    srv__process_each_server(stop_one, &s);
    srv__timer_stop();
    srv__sched_stop();
    return s.late ? SRV_ETIMEOUT : SRV_OK;
}
