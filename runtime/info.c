/*
 * info.c: srv_process_info, Erlang's process_info/1 for one process.
 *
 * It runs on any thread while the process runs on another, so it reads
 * only what is safe to read from outside: atomics that the executor
 * writes (run state, suspension, the message being handled, counts, the
 * name), and the links record under its lock (link.c).  Each field is
 * read on its own: together they are a snapshot, not one instant.  The
 * hold taken by srv__process_get keeps the process from being freed
 * meanwhile.
 */
#include "link.h"
#include "mailbox.h"
#include "process.h"
#include "wait.h"

/* OTP's status of p.  A RUNNING server whose handler waits for a reply or
 * in srv_sleep is waiting, as a BEAM process in gen:call's receive is;
 * so is a plain thread that waits so.  Relaxed: a snapshot. */
static srv_process_status status_of(struct process *p)
{
    uint32_t run = atomic_load_explicit(&p->run_state, memory_order_relaxed);
    uint64_t slot = atomic_load_explicit(&p->slot.word, memory_order_relaxed);
    switch (run) {
    case PROC_IDLE:
        return srv__suspended(p) ? SRV_PROCESS_SUSPENDED : SRV_PROCESS_WAITING;
    case PROC_SCHEDULED:
        return srv__suspended(p) ? SRV_PROCESS_SUSPENDED : SRV_PROCESS_RUNNABLE;
    default: /* RUNNING, or a plain thread's identity */
        return (slot & 3) == SLOT_WAITING ? SRV_PROCESS_WAITING : SRV_PROCESS_RUNNING;
    }
}

srv_status srv_process_info(srv_pid pid, struct srv_process_info *info)
{
    if (info == NULL)
        return SRV_EINVAL;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return SRV_ENOPROC;
    *info = (struct srv_process_info){0};
    info->status = status_of(p);
    info->module = p->module != NULL ? p->module->name : NULL;
    info->registered_name = atomic_load_explicit(&p->name, memory_order_relaxed);
    info->current = atomic_load_explicit(&p->handling, memory_order_relaxed);
    if (info->current == NULL && atomic_load_explicit(&p->hibernated, memory_order_relaxed))
        info->current = "hibernate"; /* OTP's erlang:hibernate/3 */
    info->messages_handled = atomic_load_explicit(&p->handled, memory_order_relaxed);
    info->message_queue_len = srv__queue_len(p);
    info->memory = sizeof *p + (p->module != NULL ? p->module->state_size : 0) +
                   info->message_queue_len * sizeof(struct envelope);
    srv__links_info(p, info);
    srv__process_put(p);
    return SRV_OK;
}
