/*
 * spawn.c: proc_lib's spawn, spawn_link and spawn_opt: a C function run
 * as a process of its own, which others link to, monitor and signal, and
 * which logs proc_lib's crash report when it ends abnormally.
 *
 * The function runs on a thread of its own, not on a scheduler's fiber:
 * it is any C code, which may block in read(), a mutex or sleep(3) as
 * well as in srv_call or srv_receive_signal, and compute for as long as
 * it likes; on a fiber either would hold a scheduler thread that servers
 * need.  Its process is a thread's identity (thread.c) made by the
 * spawner, so the link or monitor is in place before the function runs,
 * and marked PF_SPAWNED: unlike a plain thread's, it traps exits only
 * when it says so (srv_trap_exit, or the option), and a signal ends it
 * as one ends a server: in a wait at once (srv__interrupt wakes it, and
 * it jumps to the frame set here), else when it next waits or returns.
 */
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "exit.h"
#include "link.h"
#include "log.h"
#include "os.h"
#include "process.h"
#include "runtime.h"
#include "spawn.h"
#include "thread.h"

/* What the new thread runs, and where srv_exit jumps from it: made by
 * the spawner, the thread's own once it has begun (it frees it). */
struct spawn_run {
    void (*fn)(void *arg);
    void *arg;
    struct process *p;
    srv_atom initial_call; /* the crash report's, or NULL */
    struct exit_frame frame;
};

/* The function this thread runs as a process, while it runs. */
static _Thread_local struct spawn_run *running;

struct exit_frame *srv__spawn_frame(const struct process *p)
{
    struct spawn_run *r = running;
    if (r == NULL || (p != NULL && r->p != p) || srv__thread_identity_peek() != r->p)
        return NULL;
    return &r->frame;
}

srv_atom srv__spawn_initial_call(void)
{
    return running != NULL ? running->initial_call : NULL;
}

/* Runs the function with srv_exit's frame set: its reason, normal when
 * it returns, is left in the frame (and its detail, a reference).  The
 * frame is set here and jumped to from below, never inlined. */
static __attribute__((noinline)) void run(struct spawn_run *r)
{
    r->frame.reason = NULL;
    r->frame.detail = NULL;
    running = r;
    if (SRV__EXIT_SET(r->frame.env) == 0) {
        r->fn(r->arg);
        r->frame.reason = srv_atom_normal;
    }
    running = NULL;
}

/* How the process ends, proc_lib's init_p and exit_p: a signal that ends
 * it wins (one that came while the function computed, and did not wait
 * again), and ends it without a report, as a BEAM process killed by a
 * signal logs none; an exit of its own that is not normal, shutdown or
 * {shutdown, _} logs the crash report while it is still alive (its
 * links and name are listed), then its links and monitors hear it. */
static void finish(struct spawn_run *r)
{
    struct process *p = r->p;
    srv_atom reason = r->frame.reason;
    const srv_detail *detail = r->frame.detail;
    if (srv__thread_identity_peek() != p) {
        /* srv_enter_loop took it and its server has ended */
        srv_detail_release(detail);
        return;
    }
    if (srv__signal_replaces(p, &reason, &detail))
        srv__set_flag(p, PF_SIGNALLED, true);
    if (!srv__flag(p, PF_SIGNALLED) && !srv_reason_is_quiet(reason, detail))
        srv__report_spawn_crash(p, r->initial_call, reason, detail);
    srv__thread_identity_exit(reason, detail);
}

static void *spawn_main(void *arg)
{
    struct spawn_run *r = arg;
    srv__thread_identity_adopt(r->p);
    run(r);
    finish(r);
    srv__free(r);
    return NULL;
}

/* A process for fn, watched as asked, before it runs: SRV_OK or
 * SRV_ENOMEM, with nothing left of it then. */
static srv_status spawn_process(struct spawn_run *r, struct process *spawner, bool link,
                                bool monitor, bool trap_exit, srv_start_result *result)
{
    struct process *p = srv__process_new(NULL); /* with its extra part */
    if (p == NULL)
        return SRV_ENOMEM;
    r->p = p;
    /* Before anyone knows its pid: the flags are its executor's later. */
    srv__set_flag(p, PF_SPAWNED, true);
    srv__set_flag(p, PF_TRAP_EXIT, trap_exit);
    /* proc_lib's first ancestor, and no Parent (srv__parent) */
    struct process_extra *x = srv__extra(p);
    x->parent = spawner->pid;
    x->parent.node |= SRV__PLAIN_START;
    srv_pid pid = p->pid;
    bool linked = link && srv__link_pair(spawner, p);
    bool monitored = monitor && linked == link &&
                     srv_monitor(pid, &result->monitor_ref) == SRV_OK;
    if (linked == link && monitored == monitor &&
        srv__thread_start_detached(spawn_main, r)) {
        result->pid = pid; /* p may have ended by now */
        return SRV_OK;
    }
    /* Nobody is to hear of a process that never ran. */
    if (monitored)
        srv_demonitor(result->monitor_ref);
    if (linked)
        srv_unlink(pid);
    result->monitor_ref = 0;
    srv__identity_end(p, srv_atom_normal, NULL);
    return SRV_ENOMEM;
}

srv_status srv_spawn(void (*fn)(void *arg), void *arg, srv_start_mode mode,
                     const srv_spawn_opts *opts, srv_start_result *result)
{
    srv_start_result ignored;
    if (result == NULL)
        result = &ignored;
    memset(result, 0, sizeof *result);
    if (fn == NULL || (mode != SRV_START_PLAIN && mode != SRV_START_LINK &&
                       mode != SRV_START_MONITOR))
        return SRV_EINVAL;
    srv_spawn_opts none = {0};
    if (opts == NULL)
        opts = &none;
    struct spawn_run *r = srv__malloc(sizeof *r);
    struct process *spawner = srv__caller();
    srv_atom initial_call = opts->initial_call != NULL ? srv_atom_from(opts->initial_call)
                                                       : NULL;
    if (r == NULL || spawner == NULL || (opts->initial_call != NULL && initial_call == NULL)) {
        srv__free(r);
        return SRV_ENOMEM;
    }
    if (srv__runtime_closed()) { /* srv_runtime_shutdown has begun */
        srv__free(r);
        return SRV_ESHUTDOWN;
    }
    memset(r, 0, sizeof *r);
    r->fn = fn;
    r->arg = arg;
    r->initial_call = initial_call;
    srv_status status = spawn_process(r, spawner, mode == SRV_START_LINK || opts->link,
                                      mode == SRV_START_MONITOR || opts->monitor,
                                      opts->trap_exit, result);
    if (status != SRV_OK)
        srv__free(r);
    return status;
}
