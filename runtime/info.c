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
 * so is a plain thread that waits so.  A suspended server that runs no
 * handler is suspended, whatever its run state: mail that comes wakes it
 * only to be held aside (loop.c's take_message), and that moment is not
 * a status of its own.  Relaxed: a snapshot. */
static srv_process_status status_of(struct process *p)
{
    uint32_t run = atomic_load_explicit(&p->run_state, memory_order_relaxed);
    struct process_extra *x = srv__extra(p); /* no slot: it never waited */
    uint64_t slot = x != NULL ? atomic_load_explicit(&x->slot.word, memory_order_relaxed) : 0;
    switch (run) {
    case PROC_IDLE:
        return srv__suspended(p) ? SRV_PROCESS_SUSPENDED : SRV_PROCESS_WAITING;
    case PROC_SCHEDULED:
        return srv__suspended(p) ? SRV_PROCESS_SUSPENDED : SRV_PROCESS_RUNNABLE;
    default: /* RUNNING, or a plain thread's identity */
        if ((slot & 3) == SLOT_WAITING)
            return SRV_PROCESS_WAITING;
        return run == PROC_RUNNING && srv__suspended(p) &&
                       srv__handling_now(p) == HANDLING_NONE
                   ? SRV_PROCESS_SUSPENDED
                   : SRV_PROCESS_RUNNING;
    }
}

/* The name of what a handler is on (srv__handling's code), or NULL. */
static const char *handling_name(const struct process *p, unsigned code)
{
    static const char *const names[] = {
        [HANDLING_NONE] = NULL,         [HANDLING_INIT] = "init",
        [HANDLING_TIMEOUT] = "timeout", [HANDLING_EXIT] = "EXIT",
        [HANDLING_DOWN] = "DOWN",       [HANDLING_SYSTEM] = "system",
    };
    if (code < HANDLING_MESSAGE)
        return names[code];
    code -= HANDLING_MESSAGE;
    return p->module != NULL && code < p->module->message_count
               ? p->module->messages[code].name
               : NULL;
}

srv_status srv_process_info(srv_pid pid, struct srv_process_info *info)
{
    if (info == NULL)
        return SRV_EINVAL;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return SRV_ENOPROC;
    *info = (struct srv_process_info){0};
    struct process_extra *x = srv__extra(p);
    info->status = status_of(p);
    info->module = p->module != NULL ? p->module->name : NULL;
    info->registered_name = srv__name(p);
    uint64_t handling = atomic_load_explicit(&p->handling, memory_order_relaxed);
    info->current = handling_name(p, (unsigned)(handling >> HANDLING_SHIFT));
    if (info->current == NULL && srv__flag(p, PF_HIBERNATED))
        info->current = "hibernate"; /* OTP's erlang:hibernate/3 */
    info->messages_handled = handling & HANDLING_COUNT;
    info->message_queue_len = srv__queue_len(p);
    info->memory = sizeof *p + (p->module != NULL ? p->module->state_size : 0) +
                   (x != NULL ? sizeof *x : 0) +
                   info->message_queue_len * sizeof(struct envelope);
    srv__links_info(p, info);
    srv__process_put(p);
    return SRV_OK;
}
