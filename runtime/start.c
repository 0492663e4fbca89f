/*
 * start.c: gen_server:start, start_link and start_monitor, as gen.erl and
 * proc_lib.erl do them: the starter blocks until init has answered, and
 * gets exactly what Erlang's would.
 *
 * init runs right here, on the starter's thread, against the new server's
 * state: the acknowledgement costs nothing.  The new process is RUNNING
 * and owned by the starter until init is done; then it is released (or, if
 * init asked for a zero timeout, its timeout runs first, as the server's
 * own loop would run it at once on an empty mailbox).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "debug.h"
#include "exit.h"
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

struct init_call {
    const void *args;
};

static srv_action call_init(struct process *p, void *arg)
{
    struct init_call *c = arg;
    return p->module->init(srv__state(p), c->args);
}

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

/* Ends a server whose init stopped or crashed with reason and detail (a
 * reference it takes): result gets both, the detail kept by the starter
 * for it to read (srv_start_result.detail). */
static void abandon_with(struct process *p, srv_atom reason, const srv_detail *detail,
                         srv_start_result *result)
{
    struct process *self = srv__caller();
    result->reason = reason;
    result->detail = self != NULL ? srv__keep_detail(self, KEPT_START,
                                                     srv_detail_retain(detail))
                                  : NULL;
    srv__exit(p, reason, detail, 0);
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
    struct init_call call = {init_args};
    srv_action action;
    p->current = NULL; /* init: no message yet */
    /* srv_process_info sees init running; not a message, not counted */
    srv__handling_again(p, HANDLING_INIT);
    bool finished = srv__run_callback(p, call_init, &call, &action);
    srv__handling_again(p, HANDLING_NONE);
    bool timed_out = false;
    if (timer != NULL) {
        int running = START_RUNNING;
        /* Whoever moves the state first decides: the timer, or us. */
        timed_out = !atomic_compare_exchange_strong(&timer->state, &running, START_DONE);
        srv__timer_cancel(timer_ref);
        start_timer_release(timer);
    }
    bool late = timed_out || (deadline != UINT64_MAX && srv__now_ns() > deadline);
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
        result->reason = srv_atom_timeout;
        return SRV_ETIMEOUT;
    }
    if (!finished) {
        srv__report_crash(p, action.reason, action.detail, false, NULL);
        abandon_with(p, action.reason, action.detail, result);
        return SRV_EINIT;
    }
    /* A negative timeout other than infinity is a bad return value. */
    switch (srv__timeout_valid(action.timeout_ms) ? action.kind : SRV_ACTION_NONE) {
    case SRV_ACTION_OK:
        if (!srv__after_action(p, &action)) { /* no memory for its timeout */
            abandon(p, srv__atom_out_of_memory);
            result->reason = srv__atom_out_of_memory;
            return SRV_ENOMEM;
        }
        result->pid = p->pid;
        /* Hold p across the release: another may end it the moment it is
         * idle (srv__release). */
        struct process *held = srv__process_get(p->pid);
        if (p->timeout_ms == 0 && srv__mailbox_empty(&p->mailbox)) {
            if (!srv__handle_timeout_now(p))
                return SRV_OK;
        }
        srv__release(p);
        srv__process_put(held);
        return SRV_OK;
    case SRV_ACTION_IGNORE:
        abandon(p, srv_atom_normal);
        return SRV_IGNORE;
    case SRV_ACTION_STOP:
        abandon_with(p, srv__atom(action.reason != NULL ? action.reason : "undefined"),
                     action.detail, result);
        return SRV_EINIT;
    default: {
        const srv_detail *detail = srv__detail_bad_return(p, &action);
        srv__report_crash(p, srv_atom_bad_return_value, detail, false, NULL);
        abandon_with(p, srv_atom_bad_return_value, detail, result);
        return SRV_EBADRETURN;
    }
    }
}
