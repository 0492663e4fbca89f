/*
 * start.c: gen_server:start, start_link and start_monitor, as gen.erl and
 * proc_lib.erl do them: the starter blocks until init has answered, and
 * gets exactly what Erlang's would.
 *
 * init runs right here, on the starter's thread (on a stack of its own,
 * as a call's handler does: inline.c), against the new server's state:
 * the acknowledgement costs nothing.  The new process is RUNNING and owned
 * by init's job until init is done; then it is released (or, if init
 * asked for a zero timeout, its timeout runs first, as the server's own
 * loop would run it at once on an empty mailbox).  init may answer its
 * starter early, as proc_lib:init_ack does (srv_init_ack): the starter
 * then goes on, and init goes on as the server's, on a scheduler thread,
 * while what is sent to the server waits.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "debug.h"
#include "exit.h"
#include "inline.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "mailbox.h"
#include "name.h"
#include "os.h"
#include "process.h"
#include "reason.h"
#include "runtime.h"
#include "sched.h"
#include "thread.h"
#include "timer.h"
#include "wait.h"

/* The start timeout: if init is still running at the deadline, the child
 * is killed, which ends a wait init is blocked in (srv__interrupt).  The
 * note has two owners, the starter and the timer (whose callback runs
 * once, fired or cancelled): the last one to let go frees it. */
enum { START_RUNNING, START_DONE, START_FIRED };

struct start_timer {
    srv_pid child;
    _Atomic int state;
    _Atomic int owners;
};

static void start_timer_release(struct start_timer *t)
{
    /* acq_rel: the other owner's last touches happen before the free. */
    if (atomic_fetch_sub_explicit(&t->owners, 1, memory_order_acq_rel) == 1)
        srv__free(t);
}

static void start_timer_fire(void *arg, bool fire)
{
    struct start_timer *t = arg;
    int running = START_RUNNING;
    if (fire && atomic_compare_exchange_strong(&t->state, &running, START_FIRED)) {
        struct process *p = srv__process_get(t->child);
        if (p != NULL) {
            srv__interrupt(p, srv_atom_kill);
            srv__process_put(p);
        }
    }
    start_timer_release(t);
}

/* Ends a server whose start failed; its name is free before we answer. */
static void abandon(struct process *p, srv_atom reason)
{
    srv__exit(p, reason, NULL, 0); /* no terminate, and p is not held by a lookup */
}

/* A start in progress: what init's job needs, and how it answers its
 * starter (by the starter's reply slot: its status and reason).  The
 * starter's copy lives in its frame until it is answered; the job works
 * on a copy of its own, since init may go on after the answer
 * (srv_init_ack). */
enum { TIMER_UNSETTLED, TIMER_IN_TIME, TIMER_LATE };

struct start_job {
    struct process *p;
    const void *args;
    /* in the starter's copy, set before its answer: the detail of a
     * failed init's reason, a reference the starter takes */
    const srv_detail *detail;
    srv_from starter;
    struct start_timer *timer; /* NULL: no start timeout */
    uint64_t timer_ref;
    uint64_t deadline;
    int timer_outcome;         /* TIMER_* */
    bool answered;
};

/* Whether init answered within the start timeout.  Decided once: the
 * timer, or the first of us (the ack, or init's end) to look. */
static bool in_time(struct start_job *j)
{
    if (j->timer_outcome == TIMER_UNSETTLED) {
        bool late = false;
        if (j->timer != NULL) {
            int running = START_RUNNING;
            /* Whoever moves the state first decides: the timer, or us. */
            late = !atomic_compare_exchange_strong(&j->timer->state, &running, START_DONE);
            srv__timer_cancel(j->timer_ref);
            start_timer_release(j->timer);
            j->timer = NULL;
        }
        if (j->deadline != UINT64_MAX && srv__now_ns() > j->deadline)
            late = true;
        j->timer_outcome = late ? TIMER_LATE : TIMER_IN_TIME;
    }
    return j->timer_outcome == TIMER_IN_TIME;
}

/* The starter's answer, once: what init returns after an ack is not. */
static void answer(struct start_job *j, srv_status status, srv_atom reason)
{
    if (j->answered)
        return;
    j->answered = true;
    srv__slot_complete(j->starter, status, reason, NULL, 0);
}

static void call_init(struct process *p, void *arg, srv_action *action)
{
    struct start_job *j = arg;
    *action = p->module->init(srv__state(p), j->args);
}

/* init, and what gen.erl and proc_lib.erl make of its result, as a job
 * that the starter runs at once on a stack of its own (inline.c): if init
 * acknowledges early (srv_init_ack) or blocks, the starter goes on and
 * this goes on as the server's, on a scheduler thread.  The new process is
 * RUNNING and ours until the end: whatever is sent to it meanwhile waits
 * in its mailbox. */
/* Ends a server whose init stopped or crashed with reason and detail (a
 * reference this takes) and answers its starter with status: the
 * starter's job gets its own reference, which srv_start keeps for
 * srv_start_result.detail. */
static void fail(struct start_job *j, struct start_job *starters, srv_status status,
                 srv_atom reason, const srv_detail *detail)
{
    if (!j->answered)
        starters->detail = srv_detail_retain(detail);
    srv__exit(j->p, reason, detail, 0);
    answer(j, status, reason);
}

static void run_init(void *arg)
{
    struct start_job *starters = arg;
    struct start_job j = *starters;
    struct process *p = j.p;
    srv_action action;
    /* init: no message yet, and its start for srv_init_ack */
    struct current_message current;
    srv__current_begin(&current, 0, 0, NULL);
    current.start = &j;
    p->current = &current;
    /* srv_process_info sees init running; not a message, not counted */
    srv__handling_again(p, HANDLING_INIT);
    bool finished = srv__run_callback(p, call_init, &j, &action);
    srv__handling_again(p, HANDLING_NONE);
    current.start = NULL;
    bool late = !in_time(&j);
    /* a continue goes with a start that succeeds, and init's ok only */
    if (finished && (late || action.kind != SRV_ACTION_OK ||
                     !srv__timeout_valid(action.timeout_ms)))
        srv__drop_next(p, &action);
    if (late) {
        /* init outran the start timeout: the child is killed (a detail
         * its stop or exit came with goes) */
        if (!finished || action.kind == SRV_ACTION_STOP)
            srv_detail_release(action.detail);
        abandon(p, srv_atom_killed);
        answer(&j, SRV_ETIMEOUT, srv_atom_timeout);
        return;
    }
    if (!finished) {
        srv__report_crash(p, action.reason, action.detail, false, NULL);
        fail(&j, starters, SRV_EINIT, action.reason, action.detail);
        return;
    }
    /* A negative timeout other than infinity is a bad return value. */
    switch (srv__timeout_valid(action.timeout_ms) ? action.kind : SRV_ACTION_NONE) {
    case SRV_ACTION_OK: {
        if (!srv__after_action(p, &action)) { /* no memory for its timeout */
            abandon(p, srv__atom_out_of_memory);
            answer(&j, SRV_ENOMEM, srv__atom_out_of_memory);
            return;
        }
        /* Hold p across the release: another may end it the moment it is
         * idle (srv__release). */
        struct process *held = srv__process_get(p->pid);
        bool alive = true;
        if (p->timeout_ms == 0 && srv__mailbox_empty(&p->mailbox))
            alive = srv__handle_timeout_now(p);
        if (alive) {
            p->current = NULL;
            srv__release(p);
            srv__process_put(held);
        }
        answer(&j, SRV_OK, NULL);
        return;
    }
    case SRV_ACTION_IGNORE:
        abandon(p, srv_atom_normal);
        answer(&j, SRV_IGNORE, NULL);
        return;
    case SRV_ACTION_STOP:
        fail(&j, starters, SRV_EINIT,
             srv__atom(action.reason != NULL ? action.reason : "undefined"), action.detail);
        return;
    default: {
        const srv_detail *detail = srv__detail_bad_return(p, &action);
        srv__report_crash(p, srv_atom_bad_return_value, detail, false, NULL);
        fail(&j, starters, SRV_EBADRETURN, srv_atom_bad_return_value, detail);
        return;
    }
    }
}

srv_status srv_init_ack(void)
{
    struct process *p = srv__current_or_null();
    /* only init runs with its start in its current message */
    if (p == NULL || p->current == NULL || p->current->start == NULL)
        return SRV_EINVAL;
    struct start_job *j = p->current->start;
    if (j->answered)
        return SRV_OK;
    if (!in_time(j)) /* the starter gave up: the child is killed */
        srv_exit(srv_atom_killed);
    answer(j, SRV_OK, NULL);
    /* Let the starter go on now, if it is waiting beneath us. */
    srv__inline_detach();
    return SRV_OK;
}

srv_status srv_start(const srv_module *module, const void *init_args,
                     srv_start_mode mode, const srv_start_opts *opts,
                     srv_start_result *result)
{
    srv_start_result ignored;
    if (result == NULL)
        result = &ignored;
    memset(result, 0, sizeof *result);
    if (module == NULL || module->abi_version != SRV_ABI_VERSION ||
        module->init == NULL || module->dispatch == NULL ||
        (opts != NULL && (!srv__timeout_valid(opts->timeout_ms) ||
                          !srv__timeout_valid(opts->hibernate_after_ms))) ||
        (opts != NULL && opts->via != NULL &&
         (opts->name == NULL || opts->via->register_name == NULL ||
          opts->via->unregister_name == NULL || opts->via->whereis_name == NULL)))
        return SRV_EINVAL;

    struct process *starter = srv__caller();
    if (starter == NULL)
        return SRV_ENOMEM;
    struct process *p = srv__process_new(module);
    if (p == NULL)
        return SRV_ENOMEM;
    if (srv__runtime_closed()) {
        /* srv_runtime_shutdown has begun: no new servers */
        abandon(p, srv_atom_shutdown);
        return SRV_ESHUTDOWN;
    }
    srv__sched_ensure_started();
    srv__set_flag(p, PF_TRAP_EXIT, opts != NULL && opts->trap_exit);
    /* A parent, a name or hibernate_after live in the extra part: a plain
     * start without them makes none. */
    if (mode != SRV_START_PLAIN ||
        (opts != NULL && (opts->name != NULL || opts->hibernate_after_ms > 0))) {
        struct process_extra *x = srv__extra_made(p);
        if (x == NULL) {
            abandon(p, srv_atom_normal);
            return SRV_ENOMEM;
        }
        /* gen.erl: start_link and start_monitor make the starter the
         * parent; a plain start makes the server its own (Parent = self:
         * srv__parent). */
        if (mode != SRV_START_PLAIN)
            x->parent = starter->pid;
        if (opts != NULL && opts->hibernate_after_ms > 0)
            x->hibernate_after_ms = opts->hibernate_after_ms > INT32_MAX
                                        ? INT32_MAX : (int32_t)opts->hibernate_after_ms;
    }

    if (opts != NULL && opts->name != NULL) {
        srv_atom name = srv_atom_from(opts->name);
        srv_pid holder;
        srv_status named = name == NULL        ? SRV_ENOMEM
                           : opts->via != NULL ? srv__name_add_via(opts->via, name, p->pid, &holder)
                                               : srv__name_add(name, p->pid, &holder);
        if (named != SRV_OK) {
            if (named == SRV_EALREADY)
                result->pid = holder;
            abandon(p, srv_atom_normal);
            return named;
        }
        atomic_store_explicit(&srv__extra(p)->name, name, memory_order_release);
    }
    bool watched = true;
    if (mode == SRV_START_LINK)
        watched = srv__link_pair(starter, p);
    else if (mode == SRV_START_MONITOR)
        watched = srv_monitor(p->pid, &result->monitor_ref) == SRV_OK;
    if (!watched) { /* out of memory for the link or monitor */
        result->monitor_ref = 0;
        abandon(p, srv_atom_normal);
        return SRV_ENOMEM;
    }

    /* The debug option, before init as gen_server sets it up. */
    if (opts != NULL && ((opts->debug.trace && !srv__debug_trace(p, true)) ||
                         (opts->debug.log > 0 && !srv__debug_log(p, opts->debug.log)))) {
        abandon(p, srv_atom_normal);
        return SRV_ENOMEM;
    }
    /* proc_lib's first ancestor: a plain start's starter is kept where
     * the extra part is made anyway (a name, hibernate_after, a debug
     * option), marked as no Parent; an idle server without one keeps
     * none, as it holds only what every server needs. */
    struct process_extra *x = srv__extra(p);
    if (mode == SRV_START_PLAIN && x != NULL) {
        x->parent = starter->pid;
        x->parent.node |= SRV__PLAIN_START;
    }

    long timeout = opts != NULL && opts->timeout_ms != 0 ? opts->timeout_ms
                                                         : SRV_INFINITY;
    uint64_t deadline = srv__deadline_after_ms(timeout);
    struct start_timer *timer = NULL;
    uint64_t timer_ref = 0;
    if (deadline != UINT64_MAX) {
        timer = srv__malloc(sizeof *timer);
        if (timer != NULL) {
            timer->child = p->pid;
            atomic_init(&timer->state, START_RUNNING);
            atomic_init(&timer->owners, 2);
            timer_ref = srv__timer_start(deadline, start_timer_fire, timer);
            if (timer_ref == 0)
                srv__free(timer);
        }
        if (timer == NULL || timer_ref == 0) {
            abandon(p, srv_atom_normal);
            return SRV_ENOMEM;
        }
    }
    srv_pid pid = p->pid; /* p may be gone once init has answered */
    struct start_job job = {p, init_args, NULL, {starter->pid, 0, NULL}, timer, timer_ref,
                            deadline, TIMER_UNSETTLED, false};
    job.starter.tag = srv__slot_arm(srv__slot(starter), NULL);
    srv__inline_call(run_init, &job, srv__slot(starter), job.starter.tag);
    srv_status status = srv__slot_wait(srv__slot(starter), UINT64_MAX, &result->reason);
    if (status == SRV_OK)
        result->pid = pid;
    /* the detail of a failed init's reason, kept by the starter for it
     * to read (srv__keep_detail releases the one it replaces) */
    result->detail = job.detail != NULL ? srv__keep_detail(starter, KEPT_START, job.detail)
                                        : NULL;
    return status;
}
