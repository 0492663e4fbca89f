/*
 * process.h: a process and the process table (process.c): pids with a
 * serial, holds that keep a process from being freed under a reader, and
 * who runs on this thread (the current process).
 *
 * A process is a struct in a slot of the process table, a Vyukov MPSC
 * mailbox of envelopes, and its module's state right after the struct.
 * Servers run on scheduler threads (sched.c) or, when idle, directly on the
 * thread of whoever calls, starts or stops them (call.c, start.c).
 */
#ifndef SRV_PROCESS_H
#define SRV_PROCESS_H

#include <setjmp.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailbox.h"
#include "os.h"
#include "srv.h"
#include "wait.h"

/* Process run states.  Exactly one executor at a time owns a RUNNING
 * process: a scheduler thread, or a caller that took the idle process by
 * CAS to run a handler itself.  A plain thread's identity is always
 * PROC_THREAD and is never scheduled. */
enum { PROC_IDLE = 0, PROC_SCHEDULED, PROC_RUNNING, PROC_THREAD };

/* What a process keeps only when it needs it: links and monitors
 * (link.c, under their own lock). */
struct link_set;
/* sys trace and log, when either is on (debug.c). */
struct sys_debug;
/* A start in progress (start.c). */
struct start_job;

/* A plain thread's identity that became a server (enter.c): on the
 * thread's stack while the server lives, named by the process's extra
 * part (PF_ENTERED); srv__exit tells the thread. */
struct enter_wait {
    void *state;           /* the server's (srv__state) */
    _Atomic uint32_t done; /* 1 once the server has ended, with reason */
    srv_atom reason;
};

/* srv_exit's jump out of a callback.  The compiler's builtin setjmp
 * keeps three words (frame, stack, where to go on) and the function that
 * sets it saves its callee-saved registers itself, where sigsetjmp saves
 * them all and calls into libc: a callback costs some 30 instructions
 * less.  The sanitizers follow libc's jumps, not the builtin's (ASan to
 * unpoison the stack left, TSan to unwind its shadow stack): they keep
 * sigsetjmp.  Either is set in a function of its own, never inlined, and
 * taken from another (exit.c). */
#if defined(SRV_SANITIZE_ADDRESS) || defined(SRV_SANITIZE_THREAD) || \
    !(defined(__GNUC__) || defined(__clang__))
typedef sigjmp_buf srv__exit_env;
#define SRV__EXIT_SET(env) sigsetjmp(env, 0)
#define SRV__EXIT_JUMP(env) siglongjmp(env, 1)
#else
typedef void *srv__exit_env[5];
#define SRV__EXIT_SET(env) __builtin_setjmp(env)
#define SRV__EXIT_JUMP(env) __builtin_longjmp(env, 1)
#endif

/* Where srv_exit jumps from a callback, and the reason it leaves there
 * (srv__run_callback keeps it on its stack). */
struct exit_frame {
    srv__exit_env env;
    struct current_message *message; /* the message it hangs on */
    struct exit_frame *outer;        /* the frame of an outer callback on it */
    struct process *outer_current;   /* who ran on this thread before */
    srv_atom reason;
    const srv_detail *detail; /* srv_exit_detail's, a reference, or NULL */
};

/* The message a server is handling, for crash reports and for the caller
 * to tell if the server exits in the middle of it; and, while a callback
 * runs on it, where srv_exit goes. */
struct current_message {
    /* srv__current_begin sets what any reader looks at; reason, pid and
     * system are read only for the kinds that carry them (ENV_EXIT,
     * ENV_DOWN, ENV_SYSTEM), from only when has_from, exit_detail only
     * when exiting. */
    uint16_t kind;                /* enum envelope_kind, 0: none (init) */
    uint16_t system;
    unsigned message;
    const void *args;
    bool has_from;
    srv_from from;
    srv_atom reason;              /* ENV_EXIT, ENV_DOWN, SYS_TERMINATE */
    const srv_detail *detail;     /* its detail, borrowed */
    bool exiting;                 /* srv__exit has begun: terminate reads */
    const srv_detail *exit_detail; /* the exit reason's (srv_reason_detail) */
    srv_pid pid;
    srv_timer_ref timer;          /* ENV_INFO sent by srv_start_timer: its
                                     ref (srv_current_timer); else 0 */
    struct exit_frame *exit;      /* during a callback: where srv_exit goes */
    struct start_job *start;      /* while init runs (kind 0): its start,
                                     which srv_init_ack answers (start.c) */
};

/* Begins c for a message of kind: the fields every reader may look at,
 * not the whole struct (zeroing it costs a rep stos per message). */
static inline void srv__current_begin(struct current_message *c, uint16_t kind,
                                      unsigned message, const void *args)
{
    c->kind = kind;
    c->message = message;
    c->args = args;
    c->has_from = false;
    c->detail = NULL;
    c->exiting = false;
    c->timer = 0;
    c->exit = NULL;
    c->start = NULL;
}

/* Begins c for a stop's terminate: a system message with its reason. */
static inline void srv__current_terminate(struct current_message *c, srv_atom reason,
                                          const srv_detail *detail)
{
    srv__current_begin(c, ENV_SYSTEM, 0, NULL);
    c->system = SYS_TERMINATE;
    c->reason = reason;
    c->detail = detail;
}

/* struct process's flags: one word that only the process's executor (or
 * its starter, before anyone can see it) writes, with a plain store, and
 * that others read (trap_exit for a signaller, suspended and hibernated
 * for srv_process_info): relaxed, they order nothing. */
enum {
    PF_TRAP_EXIT = 1u << 0,          /* process_flag(trap_exit, true) */
    PF_SUSPENDED = 1u << 1,          /* sys:suspend */
    PF_HIBERNATED = 1u << 2,         /* hibernate returned, no message since */
    PF_SIGNALLED = 1u << 3,          /* an exit signal ended a blocked handler */
    PF_HAS_NEXT = 1u << 4,           /* {continue, C} returned: extra->next
                                        runs before any message (loop.c) */
    PF_TIMEOUT_HIBERNATES = 1u << 5, /* the pending timeout is hibernate_after's */
    PF_DEBUG = 1u << 6,              /* sys trace, log or statistics on:
                                        extra->debug */
    PF_ENTERED = 1u << 7,            /* a thread's identity that became a
                                        server: extra->entered (enter.c) */
    PF_UNHELD = 1u << 8,             /* its executor runs it without a hold:
                                        a scheduler thread, whose turn keeps
                                        the memory (epoch.h); set from the
                                        take to the release */
    PF_SPAWNED = 1u << 9,            /* a thread's identity made by srv_spawn
                                        (spawn.c): unlike a plain thread's,
                                        it traps exits only when it says so,
                                        and a signal may end it */
    PF_WAITING = 1u << 10,           /* its handler is parked, waiting (a
                                        call, a deferred reply, a sleep):
                                        a caller does not spin for it */
};

/* What only some processes need, made on first use (srv__extra_made) and
 * freed with the process: an idle server's struct process holds only what
 * every server needs.  Each field says who touches it. */
struct process_extra {
    struct process *process;       /* whose: slot_owner goes back by it */
    struct link_set *_Atomic links; /* links, monitors, deferred calls */
    struct reply_slot slot;        /* as a caller (call.c, wait.c) */
    struct requests *_Atomic requests; /* its asynchronous requests (request.c) */
    /* The starter, gen.erl's Parent under start_link and start_monitor;
     * under a plain start, kept with SRV__PLAIN_START in its node when
     * the server has this part from its start (proc_lib's first
     * ancestor), which leaves the server its own Parent; none: itself. */
    srv_pid parent;
    _Atomic uint32_t mail_futex;   /* a plain thread sleeps on it for signals */
    int32_t hibernate_after_ms;    /* start option, 0: never */
    srv_atom _Atomic name;         /* the registered name, or NULL */
    _Atomic uint64_t timeout_at;   /* when the callback timeout is due (ns), 0: none */
    _Atomic uint64_t timer_at;     /* the deadline of the timer pending for it, 0: none */
    srv_continue next;             /* PF_HAS_NEXT: C and its arguments */
    struct envelope_list held;     /* messages held while suspended; a
                                      spawned process's mail that its
                                      receive has not taken yet */
    struct envelope *system;       /* a special process's system message,
                                      taken by srv_sys_receive and not yet
                                      handled (special.c) */
    struct sys_debug *debug;       /* PF_DEBUG: sys trace and log (debug.c) */
    struct enter_wait *entered;    /* PF_ENTERED: its state, and the thread
                                      waiting for its end (enter.c) */
};

/* Fields a handler's run writes (run state, current, handling) and those
 * senders write (mailbox, sent) come first; the ones that are only read
 * while the process lives come last, next to its state.  The block is
 * 16-byte aligned, not 64: this keeps the state's first cache line free
 * of per-message writes, so that a state only read stays shared between
 * the cores whose callers run its handlers (contended calls). */
struct process {
    _Atomic uint32_t run_state;
    _Atomic uint32_t flags;       /* PF_*: see above */
    struct current_message *current; /* the message being handled, on the
                                      executor's stack; NULL between them */
    /* srv_process_info's view of the handler, safe to read from any
     * thread: how many messages it took (the low 48 bits) and what it is
     * on now (the high 16: enum handling_code, or HANDLING_MESSAGE + the
     * message's number).  The executor writes it (srv__handling); relaxed:
     * a snapshot that orders nothing. */
    _Atomic uint64_t handling;
    /* srv_message_queue_len: sent - taken, modulo 2^32.  Senders add to
     * sent (a scheduler thread a run at a time); only the owner moves
     * taken, with a plain store (no read-modify-write). */
    _Atomic uint32_t sent, taken;
    struct mailbox mailbox;
    /* A pending exit signal that ends the process (kill, or an abnormal
     * reason when it does not trap): the executor takes it before the next
     * message, a blocked handler at once (srv__interrupt). */
    srv_atom _Atomic interrupt;
    /* Read-mostly from here. */
    srv_pid pid;                  /* pid.index is its slot in the table */
    /* pending callback timeout, or -1 (24 days at most); stored only when
     * it changes */
    int32_t timeout_ms;
    /* NULL for a plain thread's identity, until srv_enter_loop makes it a
     * server (enter.c): atomic for that one change under readers */
    const srv_module *_Atomic module;
    struct process *next_run;     /* shared run queue link (sched.c) */
    struct process_extra *_Atomic extra;
    /* Then the module's state, module->state_size bytes (srv__state). */
};

/* Where a state of state_size bytes starts after struct process: aligned
 * for any type (16), or for 8 when its size is not a multiple of 16 (an
 * object's size is a multiple of its alignment), so that the struct's
 * last word is not padding for most states. */
static inline size_t srv__state_offset(size_t state_size)
{
    _Static_assert(sizeof(struct process) % 16 == 8, "the state's offset below");
    return sizeof(struct process) + (state_size % 16 == 0 ? 8 : 0);
}

/* In a callback of p: where srv_exit goes, or NULL outside one. */
static inline struct exit_frame *srv__exit_frame(const struct process *p)
{
    return p->current != NULL ? p->current->exit : NULL;
}

/* What a handler is on, for srv_process_info (srv__handling_name). */
enum handling_code {
    HANDLING_NONE = 0,
    HANDLING_INIT,
    HANDLING_TIMEOUT,
    HANDLING_EXIT,
    HANDLING_DOWN,
    HANDLING_SYSTEM,
    HANDLING_MESSAGE  /* + the message's number in the module */
};
#define HANDLING_SHIFT 48
#define HANDLING_COUNT (((uint64_t)1 << HANDLING_SHIFT) - 1)

static inline uint32_t srv__flags(const struct process *p)
{
    return atomic_load_explicit(&((struct process *)p)->flags, memory_order_relaxed);
}
static inline bool srv__flag(const struct process *p, uint32_t flag)
{
    return (srv__flags(p) & flag) != 0;
}
/* Whether an exit signal may end p: a server, or a function spawned as
 * a process (srv_spawn).  A plain thread's own identity never ends by a
 * signal: it always traps exits. */
static inline bool srv__killable(const struct process *p)
{
    return p->module != NULL || srv__flag(p, PF_SPAWNED);
}
/* Whether p takes exit signals as messages (process_flag(trap_exit)). */
static inline bool srv__traps_exits(const struct process *p)
{
    return srv__flag(p, PF_TRAP_EXIT) || !srv__killable(p);
}
/* The executor (or the starter before p is seen): a load and a store. */
static inline void srv__set_flag(struct process *p, uint32_t flag, bool on)
{
    uint32_t f = srv__flags(p);
    atomic_store_explicit(&p->flags, on ? f | flag : f & ~flag, memory_order_relaxed);
}

/* sys:suspend's flag: the owner reads and sets it; others only read it
 * (srv_process_info). */
static inline bool srv__suspended(struct process *p)
{
    return srv__flag(p, PF_SUSPENDED);
}
static inline void srv__set_suspended(struct process *p, bool on)
{
    srv__set_flag(p, PF_SUSPENDED, on);
}

/* The executor: p's handler starts on what (an enum handling_code;
 * counted as handled unless HANDLING_NONE), or is done with it
 * (HANDLING_NONE).  Owner only: a load and a store. */
static inline void srv__handling(struct process *p, unsigned what)
{
    uint64_t h = atomic_load_explicit(&p->handling, memory_order_relaxed);
    uint64_t count = (h & HANDLING_COUNT) + (what != HANDLING_NONE);
    atomic_store_explicit(&p->handling, (uint64_t)what << HANDLING_SHIFT | (count & HANDLING_COUNT),
                          memory_order_relaxed);
}
/* The same without counting a message: what p is on again after a nested
 * handler, or a continue. */
static inline void srv__handling_again(struct process *p, unsigned what)
{
    uint64_t h = atomic_load_explicit(&p->handling, memory_order_relaxed);
    atomic_store_explicit(&p->handling, (uint64_t)what << HANDLING_SHIFT | (h & HANDLING_COUNT),
                          memory_order_relaxed);
}
static inline unsigned srv__handling_now(struct process *p)
{
    return (unsigned)(atomic_load_explicit(&p->handling, memory_order_relaxed) >> HANDLING_SHIFT);
}

/* Messages delivered to p and not yet taken (srv_message_queue_len).  A
 * scheduler thread adds its sends at its next turn: until then taken may
 * be ahead of sent, and the length reads 0.  Relaxed: counts that order
 * nothing. */
static inline size_t srv__queue_len(struct process *p)
{
    uint32_t taken = atomic_load_explicit(&p->taken, memory_order_relaxed);
    uint32_t sent = atomic_load_explicit(&p->sent, memory_order_relaxed);
    int32_t n = (int32_t)(sent - taken);
    return n > 0 ? (size_t)n : 0;
}

/* srv_pid_equal, inlined where the runtime compares pids in a loop (its
 * tables' probes). */
static inline bool srv__pid_same(srv_pid a, srv_pid b)
{
    return a.index == b.index && a.serial == b.serial && a.node == b.node;
}

/* Where pid goes in an open-addressed table of cap slots (a power of 2,
 * at least PID_RUN).  Indices are handed out in order: pids of
 * neighbouring indices, the children a supervisor starts one after
 * another, go to neighbouring slots in runs of PID_RUN, so that inserts
 * (and the moves when the table grows) share cache lines, where a hash
 * of the whole index sent each to a line of its own.  The runs are
 * scattered by a hash of the rest: the index itself would make one run
 * of all the children, through which every deletion's backward shift and
 * every miss would walk. */
#define PID_RUN 8
static inline size_t srv__pid_home(srv_pid pid, size_t cap)
{
    uint64_t run = (uint64_t)(pid.index / PID_RUN) * 0x9E3779B97F4A7C15ull ^ pid.serial;
    run ^= run >> 32;
    return (size_t)(run * PID_RUN + pid.index % PID_RUN) & (cap - 1);
}

/* p's extra part if it has one (NULL: none yet). */
static inline struct process_extra *srv__extra(const struct process *p)
{
    return atomic_load_explicit(&((struct process *)p)->extra, memory_order_acquire);
}
/* p's extra part, made if it has none: any thread; NULL when out of
 * memory. */
struct process_extra *srv__extra_made(struct process *p);

/* The reply slot of a caller that srv__caller gave (thread.h), which made
 * its extra part. */
static inline struct reply_slot *srv__slot(struct process *self)
{
    return &srv__extra(self)->slot;
}

/* Whose reply slot this is. */
static inline struct process *srv__slot_owner(struct reply_slot *slot)
{
    return ((struct process_extra *)(void *)((char *)slot -
                                             offsetof(struct process_extra, slot)))->process;
}

/* p's registered name, or NULL. */
static inline srv_atom srv__name(const struct process *p)
{
    struct process_extra *x = srv__extra(p);
    return x != NULL ? atomic_load_explicit(&x->name, memory_order_acquire) : NULL;
}
/* Marks the starter of a plain start in extra->parent.node. */
#define SRV__PLAIN_START 0x80000000u

/* gen.erl's Parent: the starter under start_link and start_monitor, else
 * p itself. */
static inline srv_pid srv__parent(const struct process *p)
{
    struct process_extra *x = srv__extra(p);
    return x != NULL && x->parent.index != 0 && (x->parent.node & SRV__PLAIN_START) == 0
               ? x->parent
               : p->pid;
}
/* Who started p, as far as it keeps (proc_lib's '$ancestors' begin with
 * it): SRV_PID_NONE when it keeps none. */
static inline srv_pid srv__starter(const struct process *p)
{
    struct process_extra *x = srv__extra(p);
    if (x == NULL || x->parent.index == 0)
        return SRV_PID_NONE;
    srv_pid starter = x->parent;
    starter.node &= ~SRV__PLAIN_START;
    return starter;
}
/* p's sys debug record when PF_DEBUG is set (the executor's). */
static inline struct sys_debug *srv__debug(const struct process *p)
{
    return srv__flag(p, PF_DEBUG) ? srv__extra(p)->debug : NULL;
}

/* p's module state: after the struct, or (a thread's identity that became
 * a server, PF_ENTERED) a block of its own. */
static inline void *srv__state(const struct process *p)
{
    if (srv__flag(p, PF_ENTERED))
        return srv__extra(p)->entered->state;
    return (unsigned char *)(uintptr_t)p + srv__state_offset(p->module->state_size);
}

/* A new process in a fresh slot, RUNNING and owned by the caller (a plain
 * thread's identity, PROC_THREAD, when module is NULL). */
struct process *srv__process_new(const srv_module *module);
/* Finds a live process and holds it against exit; NULL if none. */
struct process *srv__process_get(srv_pid pid);
void srv__process_put(struct process *p);
/* Finds a live process without a hold: only on a scheduler thread inside
 * a turn of its loop (srv__sched_reads_unheld), and only to push a cast
 * or an info, or to take it idle for a call's handler (srv__try_acquire:
 * an ended process is never idle again).  Its memory stays until the thread's next quiescent point
 * (epoch.h); a push that comes after its exit drained its mailbox is
 * freed with it.  NULL if none. */
struct process *srv__process_peek(srv_pid pid);
/* Frees the ended processes that no scheduler thread can see any more. */
void srv__process_reclaim(void);
/* Those that wait still, after a srv__process_reclaim (for tests). */
size_t srv__process_retired(void);
/* The executor, after srv__process_quiesce and every exit step: frees p
 * and its slot (a later lookup of its pid finds nothing), once no
 * scheduler thread can see it (srv__process_reclaim). */
void srv__process_free(struct process *p);
/* Marks p as exiting: no new lookup finds it. */
void srv__process_close(struct process *p);
/* Waits until only the executor (if it holds one) holds p: after that no
 * sender can push to p's mailbox any more. */
void srv__process_quiesce(struct process *p, bool executor_holds_ref);
/* Calls fn on every live server (not plain threads), for shutdown. */
void srv__process_each_server(void (*fn)(srv_pid pid, void *arg), void *arg);
/* A plain thread's identity p becomes a server of module (enter.c): it is
 * counted as one from here on. */
void srv__process_become_server(struct process *p, const srv_module *module);
/* Live servers (not plain threads' identities), for shutdown: may be off
 * by one while a plain thread's identity is made or ends. */
size_t srv__server_count(void);

/* The server whose handler runs on this thread; NULL outside handlers
 * (thread.h gives a plain thread's own identity). */
struct process *srv__current_or_null(void);
void srv__set_current(struct process *p);

void srv__process_fork(enum srv_fork_phase phase);

/* A callback's frame for srv_exit (its caller then sets frame->env with
 * SRV__EXIT_SET, in its own body): hung on the message being handled, or
 * on *none when there is none (init's), with p made current.  What a jump
 * needs is kept in the frame, in memory, not in registers it may clobber. */
static inline void srv__exit_frame_enter(struct process *p, struct exit_frame *frame,
                                         struct current_message *none)
{
    frame->message = p->current;
    if (frame->message == NULL) {
        srv__current_begin(none, 0, 0, NULL);
        frame->message = none;
        p->current = none;
    }
    frame->outer = frame->message->exit;
    frame->outer_current = srv__current_or_null();
    frame->detail = NULL;
    srv__set_current(p);
    frame->message->exit = frame;
}

/* After the callback, jumped out of or not: the outer frame and the
 * outer current process back. */
static inline void srv__exit_frame_leave(struct process *p, struct exit_frame *frame,
                                         const struct current_message *none)
{
    frame->message->exit = frame->outer;
    if (frame->message == none)
        p->current = NULL;
    srv__set_current(frame->outer_current);
}

/* Runs fn(arg) as a callback of p that the runtime calls for itself
 * (format_status, a sys debug function), srv_exit caught: false when it
 * exited.  Whatever else it does (a fault, a wait) is not caught.  Its
 * exit leaves p's own frame and reason as they were: a crash report may
 * be on its way. */
bool srv__run_caught(struct process *p, void (*fn)(void *arg), void *arg);

#endif /* SRV_PROCESS_H */
