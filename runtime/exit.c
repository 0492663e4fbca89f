/*
 * exit.c: how a server ends: srv_exit and SRV_ASSERT from handlers, and
 * srv__exit, which runs terminate, logs the crash report, answers every
 * request that will now never be answered, tells links and monitors, and
 * frees the process.
 */
#include <sched.h>
#include <stdio.h>

#include "atom.h"
#include "alloc.h"
#include "debug.h"
#include "exit.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "mailbox.h"
#include "name.h"
#include "os.h"
#include "process.h"
#include "request.h"
#include "spawn.h"
#include "wait.h"

/* Where srv_exit jumps from here: the frame of the server's callback
 * running on this thread, or of the function srv_spawn runs on it. */
static struct exit_frame *frame_here(void)
{
    struct process *p = srv__current_or_null();
    return p != NULL ? srv__exit_frame(p) : srv__spawn_frame(NULL);
}

void srv_exit(srv_atom reason)
{
    struct exit_frame *frame = frame_here();
    if (frame == NULL)
        srv__fatal("srv: srv_exit(%s) outside a server's handler or a spawned function",
                   reason != NULL ? reason : "NULL");
    frame->reason = srv__atom(reason != NULL ? reason : "undefined");
    SRV__EXIT_JUMP(frame->env);
}

void srv_exit_detail(srv_atom reason, const srv_detail *detail)
{
    struct exit_frame *frame = frame_here();
    if (frame == NULL)
        srv__fatal("srv: srv_exit_detail(%s) outside a server's handler or a spawned function",
                   reason != NULL ? reason : "NULL");
    /* The frame's until the callback's runner takes it (srv__run_callback
     * gives it to the caller in the action's detail). */
    srv_detail_release(frame->detail);
    frame->detail = detail;
    srv_exit(reason);
}

void srv__assert_failed(const char *expr, const char *file, int line)
{
    char text[512];
    snprintf(text, sizeof text, "assert: %s (%s:%d)", expr, file, line);
    if (frame_here() == NULL)
        srv__fatal("srv: %s", text);
    srv_exit(text); /* interned there (out_of_memory if it cannot be) */
}

void srv__fail_request(const srv_from *from, srv_atom reason, const srv_detail *detail)
{
    srv__slot_complete_detail(*from, SRV_EEXIT, reason, detail, NULL, 0);
}

static void run_terminate(struct process *p, void *arg, srv_action *action)
{
    p->module->terminate(srv__state(p), *(srv_atom *)arg);
    *action = srv__action(SRV_ACTION_NOREPLY, -1, NULL);
}

/* Answers the request p was handling when it ended: a stop that ended it
 * with its own reason is done; any other hears the reason. */
static void answer_current(struct process *p, srv_atom reason, const srv_detail *detail)
{
    struct current_message *c = p->current;
    if (c == NULL || !c->has_from)
        return;
    if (c->kind == ENV_SYSTEM && c->system == SYS_TERMINATE && c->reason == reason &&
        srv_detail_equal(c->detail, detail))
        srv__slot_complete(c->from, SRV_OK, NULL, NULL, 0);
    else
        srv__fail_request(&c->from, reason, detail);
    c->has_from = false;
}

/* Queued messages past which an exit yields before it frees them. */
#define LONG_QUEUE 1024

/* Answers everything still queued: callers and stoppers hear the reason. */
static void drain(struct process *p, srv_atom reason, const srv_detail *detail)
{
    struct envelope *e;
    struct process_extra *x = srv__extra(p);
    srv__set_suspended(p, false);
    for (;;) {
        if ((x == NULL || (e = srv__envelope_list_pop(&x->held)) == NULL) &&
            (e = srv__mailbox_pop(&p->mailbox)) == NULL) {
            if (srv__mailbox_empty(&p->mailbox))
                break;
            /* A push half done: a call behind it must be answered here.
             * (Casts from senders without a hold may come later still:
             * they go when p's memory does, srv__process_reclaim.) */
            sched_yield();
            continue;
        }
        if (e->kind == ENV_CALL || e->kind == ENV_SYSTEM)
            srv__fail_request(&e->from, reason, detail);
        srv__envelope_free(p->module, e);
    }
}

srv_atom srv__signal_reason(struct process *p, const srv_detail **detail)
{
    srv_atom why = srv__interrupt_take(p, detail);
    if (why == srv_atom_kill)
        return srv_atom_killed;
    if (why == NULL || srv__flag(p, PF_TRAP_EXIT)) {
        srv_detail_release(*detail);
        *detail = NULL;
        return NULL;
    }
    return why;
}

bool srv__signal_replaces(struct process *p, srv_atom *reason, const srv_detail **detail)
{
    const srv_detail *signal_detail;
    srv_atom signal = srv__signal_reason(p, &signal_detail);
    if (signal == NULL)
        return false;
    srv_detail_release(*detail);
    *reason = signal;
    *detail = signal_detail;
    return true;
}

void srv__exit_if_signalled(struct process *p, struct reply_slot *slot)
{
    const srv_detail *detail;
    srv_atom why = srv__signal_reason(p, &detail);
    if (why == NULL)
        return; /* it traps by now: the EXIT waits in the mailbox */
    /* Give the call up; a reply being written into our buffer (on the
     * stack we are about to leave) is waited out first. */
    if (slot != NULL)
        srv__slot_disarm(slot);
    srv__set_flag(p, PF_SIGNALLED, true);
    srv_exit_detail(why, detail);
}

srv_atom srv__exit(struct process *p, srv_atom reason, const srv_detail *detail,
                   unsigned flags)
{
    bool terminate = flags & EXIT_TERMINATE;
    reason = srv__atom(reason != NULL ? reason : "undefined");
    if (srv__flag(p, PF_SIGNALLED))
        terminate = false; /* killed by a signal in a wait: no terminate */
    /* terminate reads the detail there (srv_reason_detail) */
    struct current_message none;
    if (p->current == NULL) {
        srv__current_begin(&none, 0, 0, NULL);
        p->current = &none;
    }
    p->current->exiting = true;
    p->current->exit_detail = detail;

    bool reported = false;
    if (terminate && p->module->terminate != NULL) {
        srv_action ignored;
        srv_atom given = reason;
        if (!srv__run_callback(p, run_terminate, &given, &ignored)) {
            /* terminate itself failed: its reason wins; a kill that ended
             * it where it waited is no crash */
            if (!srv__flag(p, PF_SIGNALLED))
                srv__report_crash(p, ignored.reason, ignored.detail, true,
                                  p->current->has_from ? &p->current->from : NULL);
            reason = ignored.reason;
            srv_detail_release(detail);
            detail = p->current->exit_detail = ignored.detail;
            reported = true;
        }
    }
    /* p was alive through terminate, as a BEAM process is: callers and
     * stoppers queued (drain answers them with the reason), monitors and
     * links taken then hear it.  Now it is closed; after the quiesce no
     * signaller holds p: one that came in time is in p->interrupt, and
     * wins, as it would end a BEAM process still in terminate. */
    srv__process_close(p);
    srv__process_quiesce(p, (flags & EXIT_HOLDS_REF) && !srv__flag(p, PF_UNHELD));
    if (srv__signal_replaces(p, &reason, &detail)) {
        p->current->exit_detail = detail;
        reported = true;
    }
    if (terminate && !reported && !srv_reason_is_quiet(reason, detail))
        srv__report_crash(p, reason, detail, false,
                          p->current->has_from ? &p->current->from : NULL);

    /* sys's debug options go after the crash report (which shows the
     * log), while the name is still held: an installed function is told
     * it is removed under the name it knew. */
    srv__debug_free(p);
    /* The name goes after terminate and the crash report (which names
     * it), as an Erlang process holds its name until it is dead. */
    srv__name_release(p);
    answer_current(p, reason, detail);
    /* Links and monitors first: their EXIT and DOWN need not wait for a
     * long queue to be freed. */
    srv__links_exit(p, reason, detail);
    /* A long queue takes a while to free (100,000 casts: some 2 ms).
     * Whoever the EXIT and DOWN just woke may have been put on this core
     * (Linux wakes a thread where its waker runs, and moves it later):
     * it runs first, instead of after the drain. */
    if (srv__queue_len(p) > LONG_QUEUE)
        sched_yield();
    drain(p, reason, detail);
    srv_detail_release(detail); /* each signal and caller has its own */
    srv__drop_next(p, NULL); /* a continue that was to run next */
    if (p->module->free_state != NULL)
        p->module->free_state(srv__state(p));
    srv__requests_release(p); /* replies nobody read */
    /* a thread that entered the loop waits for it (enter.c) */
    struct enter_wait *entered = srv__flag(p, PF_ENTERED) ? srv__extra(p)->entered : NULL;
    srv__process_free(p);
    if (entered != NULL) {
        srv__free(entered->state);
        entered->reason = reason;
        /* Release: the thread's acquire load sees the reason. */
        atomic_store_explicit(&entered->done, 1, memory_order_release);
        srv__futex_wake(&entered->done);
    }
    return reason;
}
