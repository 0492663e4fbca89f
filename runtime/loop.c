/*
 * loop.c: gen_server's receive loop.
 *
 * Who runs a server: exactly one executor at a time owns it (RUNNING).  A
 * sender pushes to the mailbox and, if the server was IDLE, moves it to
 * SCHEDULED and puts it on a run queue; a scheduler thread then runs a
 * batch of its messages (srv__run_batch).  A caller may instead take an
 * IDLE server with an empty mailbox (srv__try_acquire) and run one handler
 * itself.  Releasing notices mail that came meanwhile and schedules again.
 * An exit signal that ends the server is taken before each message, ahead
 * of the mailbox (take_exit_signal; link.c and wait.c send it).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "debug.h"
#include "exit.h"
#include "link.h"
#include "log.h"
#include "logger.h"
#include "loop.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"
#include "reason.h"
#include "sched.h"
#include "timer.h"
#include "wait.h"

void srv__deliver(struct process *p, struct envelope *e)
{
    srv__count_sent(p);
    srv__mailbox_push(&p->mailbox, e);
    /* seq_cst: see mailbox.c's push_link and srv__release. */
    uint32_t state = atomic_load_explicit(&p->run_state, memory_order_seq_cst);
    if (state == PROC_THREAD) {
        /* A plain thread's identity always has its extra part. */
        struct process_extra *x = srv__extra(p);
        atomic_fetch_add_explicit(&x->mail_futex, 1, memory_order_release);
        srv__futex_wake(&x->mail_futex);
        return;
    }
    if (state == PROC_IDLE &&
        atomic_compare_exchange_strong_explicit(&p->run_state, &state, PROC_SCHEDULED,
                                                memory_order_seq_cst,
                                                memory_order_relaxed))
        srv__schedule(p);
}

struct process *srv__post_find(srv_pid pid, bool *held)
{
    *held = !srv__sched_reads_unheld;
    return *held ? srv__process_get(pid) : srv__process_peek(pid);
}

void srv__post(struct process *p, struct envelope *e, bool held)
{
    srv__deliver(p, e);
    if (held)
        srv__process_put(p);
    srv__sched_sent();
}

SRV_CALL_PATH
bool srv__try_acquire(struct process *p)
{
    uint32_t idle = PROC_IDLE;
    /* Acquire: the previous owner's writes to the state are visible. */
    if (!atomic_compare_exchange_strong_explicit(&p->run_state, &idle, PROC_RUNNING,
                                                 memory_order_seq_cst,
                                                 memory_order_relaxed))
        return false;
    /* Mail first, and a pending zero timeout or continue first: order is
     * the mailbox's.
     * A pending exit signal goes before all: srv__release schedules p. */
    if (p->timeout_ms == 0 || srv__flag(p, PF_HAS_NEXT | PF_SUSPENDED) ||
        !srv__mailbox_empty(&p->mailbox) ||
        atomic_load_explicit(&p->interrupt, memory_order_relaxed) != NULL) {
        srv__release(p);
        return false;
    }
    return true;
}

/* How long a caller spins for a server that another core runs a handler
 * of, before it queues its call.  A queued call is dear when two cores
 * want one server: it moves the envelope, the mailbox, the reply slot and
 * a woken fiber between them.  Sixteen callers shared by two cores made
 * 1.5-2.4 M calls/s queued after 32 pauses (0.7 us here), and 2.4-3.5 M
 * spinning 10 us.  A handler that waits (PF_WAITING) is not spun for: it will not
 * be done soon, and may wait on this very thread. */
#define ACQUIRE_SPIN_NS 10000
#define SPINS_PER_LOOK 32 /* pauses between looks at the clock */

SRV_CALL_PATH
bool srv__acquire_soon(struct process *p)
{
    uint64_t until = 0;
    for (unsigned spins = 1;; spins++) {
        if (srv__try_acquire(p))
            return true;
        if (atomic_load_explicit(&p->run_state, memory_order_relaxed) != PROC_RUNNING ||
            srv__flag(p, PF_WAITING) || srv__mailbox_has_mail(&p->mailbox))
            return false;
        if (spins % SPINS_PER_LOOK == 0) {
            uint64_t now = srv__now_ns();
            if (until == 0)
                until = now + ACQUIRE_SPIN_NS;
            else if (now >= until)
                return false;
        }
        srv__cpu_relax();
    }
}

/* Messages held while p was suspended, not yet handled. */
static bool has_held(struct process *p)
{
    struct process_extra *x = srv__extra(p);
    return x != NULL && x->held.first != NULL;
}

/* The caller must hold p (srv__process_get): once IDLE is published,
 * another caller may take p and end it, and the hold keeps the memory
 * until our last look at the mailbox is done. */
SRV_CALL_PATH
void srv__release(struct process *p)
{
    if (p->timeout_ms == 0 || srv__flag(p, PF_HAS_NEXT) ||
        !srv__mailbox_empty(&p->mailbox) || (!srv__suspended(p) && has_held(p))) {
        /* Work is left: p goes straight back to a run queue, never idle
         * on the way, so that no caller takes it (srv__try_acquire) and
         * runs a call ahead of mail held while it was suspended. */
        atomic_store_explicit(&p->run_state, PROC_SCHEDULED, memory_order_relaxed);
        srv__schedule(p);
        return;
    }
    /* seq_cst, and the loads of head and interrupt after it: either we see
     * a push (or an exit signal, srv__interrupt) that came after our check,
     * or its sender sees IDLE and schedules. */
    atomic_store_explicit(&p->run_state, PROC_IDLE, memory_order_seq_cst);
    bool more = atomic_load_explicit(&p->mailbox.head, memory_order_seq_cst) !=
                    &p->mailbox.stub ||
                atomic_load_explicit(&p->interrupt, memory_order_seq_cst) != NULL;
    uint32_t idle = PROC_IDLE;
    if (more &&
        atomic_compare_exchange_strong_explicit(&p->run_state, &idle, PROC_SCHEDULED,
                                                memory_order_seq_cst,
                                                memory_order_relaxed))
        srv__schedule(p);
}

/* A callback jumped out of by srv_exit: its reason, and srv_exit_detail's
 * detail, which the caller takes. */
static void exited(const struct exit_frame *frame, srv_action *action)
{
    action->reason = frame->reason;
    action->has_next = false;
    action->detail = frame->detail;
}

bool srv__run_callback(struct process *p, callback_fn fn, void *arg,
                       srv_action *action)
{
    /* The frame hangs on the message being handled (none: init's).  What
     * is needed after a jump is in the frame, in memory, not in registers
     * the jump may have clobbered. */
    struct current_message none;
    struct exit_frame frame;
    srv__exit_frame_enter(p, &frame, &none);
    bool finished = SRV__EXIT_SET(frame.env) == 0;
    if (finished)
        fn(p, arg, action);
    else
        exited(&frame, action);
    srv__exit_frame_leave(p, &frame, &none);
    return finished;
}

/* srv__run_callback of the module's dispatch, the callback of nearly
 * every message, called from here rather than through a callback_fn and
 * its arguments' struct: a message's handler is a call nearer. */
SRV_CALL_PATH
static bool run_dispatch(struct process *p, unsigned message, void *args,
                         const srv_from *from, void *reply, srv_action *action)
{
    struct current_message none;
    struct exit_frame frame;
    srv__exit_frame_enter(p, &frame, &none);
    bool finished = SRV__EXIT_SET(frame.env) == 0;
    if (finished)
        p->module->dispatch(srv__state(p), message, args, from, reply, action);
    else
        exited(&frame, action);
    srv__exit_frame_leave(p, &frame, &none);
    return finished;
}

/* The callback timeout.  Its extra part's timeout_at says when it is due
 * (0: none); timer_at, which deadline the timer pending for p was set for.  A
 * message that cancels the timeout leaves that timer be, and a timer that
 * fires before the deadline now in force sets itself again, so a server
 * that re-arms its timeout with every message keeps one timer pending, not
 * one per message, and no stale TIMEOUT reaches its mailbox.  Each timer's
 * note is the TIMEOUT envelope it will deliver (pid: whose; ref: the
 * timer_at it was set for), made when the timer is armed: firing never
 * allocates. */
static bool arm_timer(struct process *p, uint64_t deadline, struct envelope *note);

static void timeout_fire(void *arg, bool fire)
{
    struct envelope *note = arg;
    struct process *p = srv__process_get(note->pid);
    uint64_t mine = note->ref;
    if (p == NULL) {
        srv__envelope_free(NULL, note);
        return;
    }
    /* A timer superseded by a sooner one does nothing; the current one is
     * no longer pending from here on.  seq_cst, then the load of
     * timeout_at: pairs with srv__after_action's store of timeout_at and
     * arm_timer's look at timer_at.  Either the server sees no timer
     * pending and sets one, or we see its deadline. */
    struct process_extra *x = srv__extra(p); /* made when the timer was */
    if (atomic_compare_exchange_strong_explicit(&x->timer_at, &mine, 0,
                                                memory_order_seq_cst,
                                                memory_order_relaxed) && fire) {
        uint64_t due = atomic_load_explicit(&x->timeout_at, memory_order_seq_cst);
        if (due != 0 && due > srv__now_ns()) {
            arm_timer(p, due, note); /* cannot fail: see timer.c */
            note = NULL;
        } else if (due != 0) {
            note->kind = ENV_TIMEOUT;
            note->ref = due; /* the server drops it if its timeout moved since */
            srv__deliver(p, note);
            note = NULL;
        }
    }
    if (note != NULL)
        srv__envelope_free(NULL, note);
    srv__process_put(p);
}

/* Any thread: a timer is pending for p at deadline or sooner.  note: the
 * envelope of a timer being set again, or NULL for a fresh one.  False
 * when out of memory: no timer is then pending for deadline. */
static bool arm_timer(struct process *p, uint64_t deadline, struct envelope *note)
{
    struct process_extra *x = srv__extra(p); /* made by srv__after_action */
    uint64_t pending = atomic_load_explicit(&x->timer_at, memory_order_seq_cst);
    do
        if (pending != 0 && pending <= deadline) {
            if (note != NULL)
                srv__envelope_free(NULL, note);
            return true; /* it fires first, then sets itself for deadline */
        }
    while (!atomic_compare_exchange_weak_explicit(&x->timer_at, &pending, deadline,
                                                  memory_order_seq_cst,
                                                  memory_order_seq_cst));
    if (note == NULL)
        note = srv__envelope_new(0);
    if (note != NULL) {
        note->pid = p->pid;
        note->ref = deadline;
        if (srv__timer_start(deadline, timeout_fire, note) != 0)
            return true;
        srv__envelope_free(NULL, note);
    }
    /* No timer after all: give timer_at back, unless another moved it. */
    atomic_compare_exchange_strong_explicit(&x->timer_at, &deadline, pending,
                                            memory_order_seq_cst,
                                            memory_order_relaxed);
    return false;
}

/* Stored only when it changes: its cache line is the state's (process.h). */
static void set_timeout_ms(struct process *p, int32_t ms)
{
    if (p->timeout_ms != ms)
        p->timeout_ms = ms;
}

static void cancel_timeout(struct process *p)
{
    set_timeout_ms(p, -1);
    srv__set_flag(p, PF_TIMEOUT_HIBERNATES, false);
    struct process_extra *x = srv__extra(p);
    if (x != NULL)
        atomic_store_explicit(&x->timeout_at, 0, memory_order_relaxed);
}

/* ---------------------------------------------------------------------- */
/* Continue and hibernate                                                  */

srv_continue srv__continue(const srv_module *module, unsigned message, const void *args)
{
    srv_continue next = {message, NULL};
    const srv_message_type *type = &module->messages[message];
    if (type->args_size == 0)
        return next;
    void *copy = srv__malloc(type->args_size);
    if (copy == NULL)
        return next;
    if (type->copy_args == NULL)
        memcpy(copy, args, type->args_size);
    else if (!type->copy_args(copy, args)) {
        srv__free(copy);
        return next;
    }
    next.args = copy;
    return next;
}

/* Frees a continue's arguments (it will not run, or has run). */
static void free_next(const srv_module *module, srv_continue *next)
{
    if (next->args == NULL)
        return;
    const srv_message_type *type = &module->messages[next->message];
    if (type->free_args != NULL)
        type->free_args(next->args);
    srv__free(next->args);
    next->args = NULL;
}

void srv__drop_next(struct process *p, srv_action *action)
{
    if (action != NULL && action->has_next) {
        free_next(p->module, &action->next);
        action->has_next = false;
    }
    if (srv__flag(p, PF_HAS_NEXT))
        free_next(p->module, &srv__extra(p)->next);
    srv__set_flag(p, PF_HAS_NEXT, false);
}

/* hibernate: what the idle server holds beyond its struct, its state and
 * its mailbox's stub goes back (link.c); it needs nothing to wake. */
static void hibernate(struct process *p)
{
    srv__links_compact(p);
    srv__set_flag(p, PF_HIBERNATED, true);
}

/* A message (or a continue) is handled: the server is awake. */
static void wake(struct process *p)
{
    /* a load first: most messages find it awake, and leave its line clean */
    if (srv__flag(p, PF_HIBERNATED))
        srv__set_flag(p, PF_HIBERNATED, false);
}

/* srv__after_action when there is something to do (loop.h). */
bool srv__after_action_work(struct process *p, const srv_action *action)
{
    long ms = action->timeout_ms;
    struct process_extra *x = srv__extra(p);
    if (action->has_next) {
        /* {continue, C}: C runs before any message (srv__run_batch);
         * arguments it has but could not copy: out of memory */
        srv_continue next = action->next;
        if ((next.args == NULL && p->module->messages[next.message].args_size > 0) ||
            (x = srv__extra_made(p)) == NULL) {
            free_next(p->module, &next);
            return false;
        }
        srv__set_flag(p, PF_HAS_NEXT, true);
        x->next = next;
    }
    int32_t hibernate_after_ms = x != NULL ? x->hibernate_after_ms : 0;
    /* gen_server's hibernate_after: a server left waiting with no timeout
     * of its own hibernates after that long (a timeout that fires, not a
     * message: see handle) */
    bool hibernate_after = ms < 0 && !action->hibernate && !action->has_next &&
                           hibernate_after_ms > 0;
    if (hibernate_after)
        ms = hibernate_after_ms;
    if (action->hibernate)
        hibernate(p);
    set_timeout_ms(p, ms < 0 ? -1 : ms > INT32_MAX ? INT32_MAX : (int32_t)ms);
    if (hibernate_after || srv__flag(p, PF_TIMEOUT_HIBERNATES))
        srv__set_flag(p, PF_TIMEOUT_HIBERNATES, hibernate_after);
    uint64_t due = p->timeout_ms > 0 ? srv__deadline_after_ms(p->timeout_ms) : 0;
    if (due == 0) {
        if (x != NULL)
            atomic_store_explicit(&x->timeout_at, 0, memory_order_relaxed);
        return true;
    }
    if (x == NULL && (x = srv__extra_made(p)) == NULL) {
        cancel_timeout(p);
        return false;
    }
    /* seq_cst, then arm_timer's look at timer_at: see timeout_fire. */
    atomic_store_explicit(&x->timeout_at, due, memory_order_seq_cst);
    if (arm_timer(p, due, NULL))
        return true;
    cancel_timeout(p);
    return false;
}


/* ---------------------------------------------------------------------- */
/* Handling one message                                                    */

/* A cast's, an info's and a continue's caller: none. */
static const srv_from no_from; /* SRV_PID_NONE, no tag, no type */

static void call_timeout(struct process *p, void *arg, srv_action *action)
{
    (void)arg;
    *action = p->module->handle_timeout(srv__state(p));
}

static void call_exit(struct process *p, void *arg, srv_action *action)
{
    struct envelope *e = arg;
    *action = p->module->handle_exit(srv__state(p), e->pid, e->reason);
}

static void call_down(struct process *p, void *arg, srv_action *action)
{
    struct envelope *e = arg;
    *action = p->module->handle_down(srv__state(p), e->ref, e->pid, e->reason);
}

static void call_code_change(struct process *p, void *arg, srv_action *action)
{
    struct envelope *e = arg;
    *action = p->module->code_change(srv__state(p), e->reason, e->arg);
}

/* sys:change_code, through suspend and resume as sys allows it: the
 * outcome of code_change, which does not end the server even when it
 * fails (sys catches it). */
static srv_status change_code(struct process *p, struct envelope *e, srv_atom *reason)
{
    if (!srv__suspended(p))
        return SRV_ERUNNING;
    if (p->module->code_change == NULL) {
        *reason = srv__atom("undef");
        return SRV_ECHANGE;
    }
    srv_action action;
    if (!srv__run_callback(p, call_code_change, e, &action)) {
        *reason = action.reason;
        return SRV_ECHANGE;
    }
    if (action.kind == SRV_ACTION_OK)
        return SRV_OK;
    *reason = action.kind == SRV_ACTION_ERROR
                  ? srv__atom(action.reason != NULL ? action.reason : "undefined")
                  : srv_atom_bad_return_value;
    return SRV_ECHANGE;
}

static void call_replace_state(struct process *p, void *arg, srv_action *action)
{
    struct envelope *e = arg;
    e->fn(srv__state(p), e->arg);
    *action = srv__action(SRV_ACTION_NOREPLY, p->timeout_ms, NULL);
}

/* finish for all but a noreply with a valid timeout: an exit, a stop, or
 * a bad return value; false, p exited. */
static bool finish_otherwise(struct process *p, bool finished, srv_action *action)
{
    if (!finished) {
        srv__exit(p, action->reason, action->detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
        return false;
    }
    srv__drop_next(p, action); /* a continue only goes with noreply */
    if (action->kind == SRV_ACTION_STOP && srv__timeout_valid(action->timeout_ms))
        srv__exit(p, action->reason, action->detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
    else
        srv__exit(p, srv_atom_bad_return_value, srv__detail_bad_return(p, action),
                  EXIT_TERMINATE | EXIT_HOLDS_REF);
    return false;
}

/* Acts on what a noreply-style callback returned: false if p exited.  A
 * negative timeout other than infinity is a bad return value (OTP 25).
 * Inline: a noreply, nearly every message's outcome, costs no call. */
static inline __attribute__((always_inline)) bool finish(struct process *p, bool finished,
                                                        srv_action *action)
{
    if (!finished || action->kind != SRV_ACTION_NOREPLY ||
        !srv__timeout_valid(action->timeout_ms))
        return finish_otherwise(p, finished, action);
    if (srv__flag(p, PF_DEBUG))
        srv__debug_noreply(p);
    if (srv__after_action(p, action))
        return true;
    srv__exit(p, srv__atom_out_of_memory, NULL, EXIT_TERMINATE | EXIT_HOLDS_REF);
    return false;
}

/* A handler that took its message inside another's gives back the
 * other's: what p was on before. */
static void restore_handling(struct process *p, struct current_message *outer,
                             unsigned outer_code)
{
    p->current = outer;
    srv__handling_again(p, outer_code);
}

SRV_CALL_PATH
bool srv__handle_call(struct process *p, unsigned message, void *args,
                      srv_from from, void *reply)
{
    const srv_message_type *type = &p->module->messages[message];
    struct current_message current;
    srv__current_begin(&current, ENV_CALL, message, args);
    current.has_from = true;
    current.from = from;
    struct current_message *outer = p->current;
    unsigned outer_code = srv__handling_now(p);
    p->current = &current;
    srv__handling(p, HANDLING_MESSAGE + message);
    if (srv__flag(p, PF_DEBUG))
        srv__debug_in(p);
    wake(p);
    srv_action action;
    if (!run_dispatch(p, message, args, &from, reply, &action)) {
        srv__exit(p, action.reason, action.detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
        return false;
    }
    if (!srv__timeout_valid(action.timeout_ms)) {
        /* OTP 25: a bad return value, and the reply is not sent; the
         * one the handler made is freed (the caller hears the exit) */
        if ((action.kind == SRV_ACTION_REPLY || action.kind == SRV_ACTION_STOP_REPLY) &&
            type->free_reply != NULL)
            type->free_reply(reply);
        srv__drop_next(p, &action);
        srv__exit(p, srv_atom_bad_return_value, srv__detail_bad_return(p, &action),
                  EXIT_TERMINATE | EXIT_HOLDS_REF);
        return false;
    }
    if (action.kind == SRV_ACTION_STOP_REPLY)
        srv__drop_next(p, &action);
    switch (action.kind) {
    case SRV_ACTION_REPLY:
    case SRV_ACTION_STOP_REPLY:
        /* before the reply is the caller's */
        if (srv__flag(p, PF_DEBUG) && action.kind == SRV_ACTION_REPLY)
            srv__debug_out(p, type, reply, from);
        if (!srv__slot_complete(from, SRV_OK, NULL, reply, type->reply_size) &&
            type->free_reply != NULL)
            type->free_reply(reply);
        current.has_from = false;
        if (action.kind == SRV_ACTION_STOP_REPLY) {
            srv__exit(p, action.reason, action.detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
            return false;
        }
        break;
    case SRV_ACTION_REPLY_ENOMEM: /* the handler's reply found no memory */
        srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
        current.has_from = false;
        break;
    case SRV_ACTION_NOREPLY:
        if (srv__flag(p, PF_DEBUG))
            srv__debug_noreply(p);
        /* Out of memory to remember the call, its caller hears so now. */
        if (!srv__deferred_add(p, from))
            srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
        current.has_from = false;
        break;
    default:
        /* stop without a reply: the caller hears the exit reason */
        if (!finish(p, true, &action))
            return false;
        restore_handling(p, outer, outer_code);
        return true;
    }
    if (!srv__after_action(p, &action)) {
        srv__exit(p, srv__atom_out_of_memory, NULL, EXIT_TERMINATE | EXIT_HOLDS_REF);
        return false;
    }
    restore_handling(p, outer, outer_code);
    return true;
}

/* A queued call.  As in OTP, it runs even when its caller has given up,
 * and its reply is then dropped (freed: srv__handle_call); a call
 * declared [[skip_abandoned]] is skipped instead, unanswered. */
static bool handle_call_envelope(struct process *p, struct envelope *e)
{
    const srv_message_type *type = &p->module->messages[e->message];
    if ((type->flags & SRV_MESSAGE_SKIP_ABANDONED) && !srv__caller_waits(e->from))
        return true;
    size_t size = type->reply_size;
    _Alignas(max_align_t) unsigned char small[SRV__SMALL_REPLY];
    void *reply = size <= SRV__SMALL_REPLY ? small : srv__malloc(size);
    if (reply == NULL) { /* the caller hears so; the server goes on */
        srv__slot_complete(e->from, SRV_ENOMEM, NULL, NULL, 0);
        return true;
    }
    memset(reply, 0, size);
    bool alive = srv__handle_call(p, e->message, e->args, e->from, reply);
    if (reply != small)
        srv__free(reply);
    return alive;
}

/* sys:get_status, in the status's fields and in one text. */
static void answer_status(struct process *p, srv_from from)
{
    srv_sys_status st = {.pid = p->pid,
                         .name = srv__name(p),
                         .module = p->module->name,
                         .suspended = srv__suspended(p),
                         .parent = srv__parent(p)};
    struct status_parts parts;
    srv__status_parts(p, &parts, false, NULL, NULL);
    srv__debug_format_options(&st.debug, p);
    srv__format_ancestors(&st.ancestors, p);
    st.state = parts.state;
    st.log = parts.log;
    parts.state = parts.log = (srv_buf){0};
    srv__status_parts_free(&parts);
    const char *sys_state = st.suspended ? "suspended" : "running";
    srv_buf *t = &st.text;
    srv_buf_printf(t, "{status,%s,{module,gen_server},[[{'$initial_call',{",
                   srv_pid_format(st.pid).s);
    srv_buf_put_atom(t, st.module);
    srv_buf_printf(t, ",init,1}},{'$ancestors',%s}],%s,%s,%s,",
                   st.ancestors.data != NULL ? st.ancestors.data : "[]", sys_state,
                   srv_pid_format(st.parent).s, st.debug.data != NULL ? st.debug.data : "[]");
    srv_buf_printf(t, "[{header,\"Status for generic server ");
    if (st.name != NULL)
        srv_buf_printf(t, "%s", st.name);
    else
        srv_buf_printf(t, "%s", srv_pid_format(st.pid).s);
    srv_buf_printf(t, "\"},{data,[{\"Status\",%s},{\"Parent\",%s},"
                      "{\"Logged events\",%s}]},{data,[{\"State\",%s}]}]]}",
                   sys_state, srv_pid_format(st.parent).s,
                   st.log.data != NULL ? st.log.data : "",
                   st.state.data != NULL ? st.state.data : "");
    if (st.text.data == NULL || st.state.data == NULL || st.log.data == NULL ||
        st.debug.data == NULL || st.ancestors.data == NULL) {
        srv_sys_status_free(&st);
        srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
    } else if (!srv__slot_complete(from, SRV_OK, NULL, &st, sizeof st)) {
        srv_sys_status_free(&st);
    }
}

/* A deep copy of the state, to the caller if it still waits (else freed). */
static void answer_state_copy(struct process *p, srv_from from)
{
    const srv_module *m = p->module;
    void *copy = srv__malloc(m->state_size > 0 ? m->state_size : 1);
    if (copy == NULL || !m->copy_state(copy, srv__state(p))) {
        srv__free(copy);
        srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
        return;
    }
    if (!srv__slot_complete(from, SRV_OK, NULL, copy, m->state_size) &&
        m->free_state != NULL)
        m->free_state(copy);
    srv__free(copy);
}

/* The system requests that came with get_status: get_status and the
 * state's copy here, sys's debug options in debug.c. */
static bool handle_debug_request(struct process *p, struct envelope *e)
{
    if (e->system == SYS_GET_STATUS)
        answer_status(p, e->from);
    else if (e->system == SYS_COPY_STATE)
        answer_state_copy(p, e->from);
    else
        srv__debug_request(p, e);
    return true;
}

static bool handle_system(struct process *p, struct envelope *e)
{
    srv_action action;
    switch (e->system) {
    case SYS_GET_STATE: {
        srv_buf text = {0};
        if (p->module->format_state != NULL)
            p->module->format_state(&text, srv__state(p));
        else
            srv_buf_printf(&text, "%s", "");
        srv__slot_complete_text(e->from, &text);
        return true;
    }
    case SYS_REPLACE_STATE:
        if (!srv__run_callback(p, call_replace_state, e, &action)) {
            srv__exit(p, action.reason, action.detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
            return false;
        }
        srv__slot_complete(e->from, SRV_OK, NULL, NULL, 0);
        return true;
    case SYS_SUSPEND: {
        /* what comes while suspended waits in the extra part's held list */
        bool room = srv__extra_made(p) != NULL;
        if (room)
            srv__set_suspended(p, true);
        srv__slot_complete(e->from, room ? SRV_OK : SRV_ENOMEM, NULL, NULL, 0);
        return true;
    }
    case SYS_RESUME:
        srv__set_suspended(p, false);
        srv__slot_complete(e->from, SRV_OK, NULL, NULL, 0);
        return true;
    case SYS_TERMINATE:
        srv__exit(p, e->reason, srv_detail_retain(e->detail), EXIT_TERMINATE | EXIT_HOLDS_REF);
        return false;
    case SYS_CHANGE_CODE: {
        srv_atom reason = NULL;
        srv_status status = change_code(p, e, &reason);
        srv__slot_complete(e->from, status, reason, NULL, 0);
        return true;
    }
    default:
        return handle_debug_request(p, e);
    }
}

/* An exit signal, with Erlang's rules. */
static bool handle_exit_signal(struct process *p, struct envelope *e)
{
    if (e->reason == srv_atom_kill) {
        srv__exit(p, srv_atom_killed, NULL, EXIT_HOLDS_REF);
        return false;
    }
    if (srv__flag(p, PF_TRAP_EXIT)) {
        /* gen_server: an EXIT from the parent terminates with its reason
         * (a server started without link or monitor is its own parent);
         * so does one from the runtime (shutdown), as a supervisor's. */
        if (srv__pid_same(e->pid, srv__parent(p)) || srv_pid_is_none(e->pid)) {
            srv__exit(p, e->reason, srv_detail_retain(e->detail),
                      EXIT_TERMINATE | EXIT_HOLDS_REF);
            return false;
        }
        if (srv__flag(p, PF_DEBUG))
            srv__debug_in(p);
        if (p->module->handle_exit == NULL)
            return true;
        srv_action action;
        bool finished = srv__run_callback(p, call_exit, e, &action);
        return finish(p, finished, &action);
    }
    if (e->reason == srv_atom_normal && e->detail == NULL)
        return true;
    srv__exit(p, e->reason, srv_detail_retain(e->detail), EXIT_HOLDS_REF);
    return false;
}

/* A timeout with no `info timeout` to take it: a warning, as OTP's
 * gen_server logs a message that no handle_info takes. */
static void unhandled_timeout(struct process *p)
{
    if (!srv__log_wants(SRV_LOG_WARNING))
        return;
    srv_buf out = {0};
    srv_buf_printf(&out, "=WARNING REPORT==== srv %s ===\n", srv_pid_format(p->pid).s);
    srv_buf_printf(&out, "** Undefined handle_info in %s\n", p->module->name);
    srv_buf_printf(&out, "** Unhandled message: timeout\n");
    srv__log(SRV_LOG_WARNING, out.data);
    srv_buf_free(&out);
}

/* What srv_process_info calls the message in e. */
static unsigned handling_code(const struct envelope *e)
{
    switch (e->kind) {
    case ENV_CALL:
    case ENV_CAST:
    case ENV_INFO:
        return HANDLING_MESSAGE + e->message;
    case ENV_TIMEOUT:
        return HANDLING_TIMEOUT;
    case ENV_EXIT:
        return HANDLING_EXIT;
    case ENV_DOWN:
        return HANDLING_DOWN;
    default:
        return HANDLING_SYSTEM;
    }
}

/* A cast or an info, most of what servers handle: handle's work for
 * them alone, without its questions about the other kinds. */
static bool handle_message(struct process *p, struct envelope *e)
{
    const srv_module *module = p->module;
    struct current_message current;
    srv__current_begin(&current, e->kind, e->message, e->args);
    current.timer = e->ref; /* an info of srv_start_timer: its ref; else 0 */
    p->current = &current;
    srv__handling(p, HANDLING_MESSAGE + e->message);
    if (p->timeout_ms >= 0)
        cancel_timeout(p); /* any message does */
    wake(p);
    if (srv__flag(p, PF_DEBUG))
        srv__debug_in(p);
    srv_action action;
    bool finished = run_dispatch(p, e->message, e->args, &no_from, NULL, &action);
    bool alive = finish(p, finished, &action);
    if (alive)
        p->current = NULL; /* the batch says HANDLING_NONE once it ends */
    srv__envelope_free_message(module, e);
    return alive;
}

/* Handles e, of any kind but those of handle_message; false if p exited
 * (p is then gone).  e is freed here.  Run by a scheduler thread, which
 * holds p (srv__run_batch). */
static bool handle(struct process *p, struct envelope *e)
{
    const srv_module *module = p->module;
    bool alive = true;
    srv_action action;
    bool finished;
    struct current_message current;
    srv__current_begin(&current, e->kind, e->message, e->args);
    if (e->kind == ENV_EXIT || e->kind == ENV_DOWN || e->kind == ENV_SYSTEM) {
        current.system = e->system;
        current.reason = e->reason;
        current.pid = e->pid;
        if (e->kind != ENV_SYSTEM || e->system == SYS_TERMINATE)
            current.detail = e->detail;
        current.has_from = e->kind == ENV_SYSTEM;
        current.from = e->from;
    }
    p->current = &current;
    if (e->kind != ENV_CALL && e->kind != ENV_TIMEOUT) /* they count their own */
        srv__handling(p, handling_code(e));
    if (e->kind != ENV_TIMEOUT && e->kind != ENV_SYSTEM) {
        if (p->timeout_ms >= 0)
            cancel_timeout(p); /* any message does */
        if (e->kind != ENV_CALL) /* srv__handle_call wakes p itself */
            wake(p);
    }
    switch (e->kind) {
    case ENV_CALL:
        alive = handle_call_envelope(p, e);
        break;
    case ENV_TIMEOUT:
        if (p->timeout_ms < 0 ||
            e->ref != atomic_load_explicit(&srv__extra(p)->timeout_at, memory_order_relaxed))
            break; /* cancelled or moved by a message since */
        if (srv__flag(p, PF_TIMEOUT_HIBERNATES)) { /* hibernate_after's: no callback */
            cancel_timeout(p);
            hibernate(p);
            break;
        }
        cancel_timeout(p);
        srv__handling(p, HANDLING_TIMEOUT);
        if (srv__flag(p, PF_DEBUG))
            srv__debug_in(p);
        wake(p);
        if (module->handle_timeout == NULL) {
            unhandled_timeout(p);
            break;
        }
        finished = srv__run_callback(p, call_timeout, NULL, &action);
        alive = finish(p, finished, &action);
        break;
    case ENV_EXIT:
        alive = handle_exit_signal(p, e);
        break;
    case ENV_DOWN:
        if (srv__flag(p, PF_DEBUG))
            srv__debug_in(p);
        if (module->handle_down == NULL)
            break;
        finished = srv__run_callback(p, call_down, e, &action);
        alive = finish(p, finished, &action);
        break;
    case ENV_SYSTEM:
        alive = handle_system(p, e);
        break;
    default:
        break;
    }
    if (alive) {
        p->current = NULL;
        srv__handling(p, HANDLING_NONE);
    }
    srv__envelope_free(module, e);
    return alive;
}

bool srv__handle_timeout_now(struct process *p)
{
    cancel_timeout(p);
    srv__handling(p, HANDLING_TIMEOUT);
    wake(p);
    if (p->module->handle_timeout == NULL) {
        unhandled_timeout(p);
        srv__handling(p, HANDLING_NONE);
        return true;
    }
    struct current_message current;
    srv__current_begin(&current, ENV_TIMEOUT, 0, NULL);
    p->current = &current;
    if (srv__flag(p, PF_DEBUG))
        srv__debug_in(p);
    srv_action action;
    bool finished = srv__run_callback(p, call_timeout, NULL, &action);
    bool alive = finish(p, finished, &action);
    if (alive) {
        p->current = NULL;
        srv__handling(p, HANDLING_NONE);
    }
    return alive;
}

/* Runs the continue p's last callback returned: before any message, as
 * gen_server runs handle_continue before it receives again.  False if p
 * exited.  A crash report shows {continue, C} as its last message. */
static bool run_continue(struct process *p)
{
    srv_continue next = srv__extra(p)->next;
    srv__set_flag(p, PF_HAS_NEXT, false);
    struct current_message current;
    srv__current_begin(&current, ENV_CONTINUE, next.message, next.args);
    p->current = &current;
    /* srv_process_info's current callback, but no message handled */
    srv__handling_again(p, HANDLING_MESSAGE + next.message);
    wake(p);
    if (srv__flag(p, PF_DEBUG))
        srv__debug_continue(p);
    srv_action action;
    bool finished = run_dispatch(p, next.message, next.args, &no_from, NULL, &action);
    const srv_module *module = p->module; /* p may be gone after finish */
    bool alive = finish(p, finished, &action);
    free_next(module, &next);
    if (alive) {
        p->current = NULL;
        srv__handling(p, HANDLING_NONE);
    }
    return alive;
}

/* The next message to handle: held ones first once resumed; while
 * suspended only system messages pass, the rest wait in the held list
 * (and are still counted as queued). */
static struct envelope *take_message(struct process *p)
{
    if (!srv__suspended(p) && has_held(p))
        return srv__envelope_list_pop(&srv__extra(p)->held);
    for (;;) {
        struct envelope *e = srv__mailbox_pop(&p->mailbox);
        if (e == NULL || !srv__suspended(p) || e->kind == ENV_SYSTEM)
            return e;
        /* suspended: SYS_SUSPEND made the extra part */
        srv__envelope_list_push(&srv__extra(p)->held, e);
    }
}

static struct envelope *next_message(struct process *p)
{
    struct envelope *e = take_message(p);
    if (e != NULL)
        srv__message_taken(p);
    return e;
}

srv_status srv_message_queue_len(srv_pid pid, size_t *out)
{
    if (out == NULL)
        return SRV_EINVAL;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return SRV_ENOPROC;
    *out = srv__queue_len(p);
    srv__process_put(p);
    return SRV_OK;
}

/* An exit signal that ends p is pending (srv__interrupt): p exits now,
 * without terminate, ahead of its mail and through a suspension, as a
 * BEAM process does.  False if p traps exits by now: the signal is then
 * its EXIT message, queued behind the others.  Acquire: pairs with the
 * signaller's store (the reason is an interned atom). */
static bool take_exit_signal(struct process *p)
{
    const srv_detail *detail;
    srv_atom why = srv__interrupt_take(p, &detail);
    if (why == NULL ||
        (why != srv_atom_kill && srv__flag(p, PF_TRAP_EXIT))) {
        srv_detail_release(detail);
        return false;
    }
    srv__exit(p, why == srv_atom_kill ? srv_atom_killed : why, detail, EXIT_HOLDS_REF);
    return true;
}

void srv__run_batch(struct process *p)
{
    atomic_store_explicit(&p->run_state, PROC_RUNNING, memory_order_relaxed);
    /* A running process is never closed, so a hold cannot fail; but a
     * scheduler thread in its turn needs none (epoch.h): two locked
     * instructions a batch, often of one message, saved. */
    struct process *held = NULL;
    if (srv__sched_reads_unheld)
        srv__set_flag(p, PF_UNHELD, true);
    else
        held = srv__process_get(p->pid);
    for (int i = 0; i < SRV__BATCH; i++) {
        /* One relaxed load a message: a signal that ends p goes first. */
        if (atomic_load_explicit(&p->interrupt, memory_order_relaxed) != NULL &&
            take_exit_signal(p))
            return;
        if (srv__flag(p, PF_HAS_NEXT)) {
            if (!run_continue(p))
                return;
            continue;
        }
        struct envelope *e = next_message(p);
        if (e == NULL) {
            if (p->timeout_ms != 0 || srv__suspended(p))
                break;
            if (!srv__handle_timeout_now(p))
                return;
            continue;
        }
        bool message = e->kind == ENV_CAST || e->kind == ENV_INFO;
        if (!(message ? handle_message(p, e) : handle(p, e)))
            return;
    }
    srv__handling(p, HANDLING_NONE); /* handle_message leaves it to us */
    if (held != NULL) {
        srv__release(p);
        srv__process_put(held);
    } else {
        srv__set_flag(p, PF_UNHELD, false);
        srv__release(p);
    }
}
