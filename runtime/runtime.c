/*
 * runtime.c: starting and stopping the runtime as a whole.
 */
#include "internal.h"

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
    struct shutdown s = {timeout_ms, false};
    srv__process_each_server(stop_one, &s);
    srv__timer_stop();
    srv__sched_stop();
    return s.late ? SRV_ETIMEOUT : SRV_OK;
}
