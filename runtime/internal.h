/*
 * internal.h: libsrv's private structures, shared by the runtime's files.
 *
 * A process is a struct in a slot of the process table, a Vyukov MPSC
 * mailbox of envelopes, and its module's state right after the struct.
 * Servers run on scheduler threads (sched.c) or, when idle, directly on the
 * thread of whoever calls, starts or stops them (call.c, start.c).
 * Scheduler threads run handlers on fibers (fiber.c): a handler that blocks
 * (a call to a busy server, a deferred reply, sleep) parks its fiber and
 * the thread runs other servers meanwhile.  Plain threads block.
 */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srv.h"

#define SRV__BATCH 64 /* messages a server handles per turn (fairness) */
/* A reply buffer on the stack, big enough for most replies (bigger ones
 * are allocated). */
#define SRV__SMALL_REPLY 256

/* ---------------------------------------------------------------------- */
/* Envelopes: what travels through a mailbox                               */

enum envelope_kind {
    ENV_CALL = 1,   /* a module call: args inline, from */
    ENV_CAST,       /* a module cast: args inline */
    ENV_INFO,       /* a module info message: args inline */
    ENV_TIMEOUT,    /* the callback timeout fired: seq says which */
    ENV_EXIT,       /* an exit signal: pid, reason */
    ENV_DOWN,       /* a monitor fired: pid, ref, reason */
    ENV_SYSTEM      /* sys: system, from */
};

enum system_request {
    SYS_GET_STATE = 1,
    SYS_REPLACE_STATE,
    SYS_SUSPEND,
    SYS_RESUME,
    SYS_TERMINATE
};

/* The mailbox link: first in every envelope, and the mailbox's stub. */
struct mailbox_link {
    struct mailbox_link *_Atomic next;
};

struct envelope {
    struct mailbox_link link;      /* first: mailbox.c casts between them */
    uint16_t kind;                 /* enum envelope_kind */
    uint16_t system;               /* ENV_SYSTEM: enum system_request */
    unsigned message;              /* ENV_CALL/CAST/INFO: the module's index */
    size_t size;                   /* bytes allocated, for the free */
    srv_from from;                 /* ENV_CALL, ENV_SYSTEM: the caller */
    srv_pid pid;                   /* ENV_EXIT, ENV_DOWN: who */
    uint64_t ref;                  /* ENV_DOWN: the monitor; ENV_TIMEOUT: seq */
    srv_atom reason;               /* ENV_EXIT, ENV_DOWN, SYS_TERMINATE */
    void (*fn)(void *state, void *arg); /* SYS_REPLACE_STATE */
    void *arg;
    _Alignas(max_align_t) unsigned char args[]; /* a copy made by copy_args */
};

/* pool.c: blocks for envelopes from per-thread caches; NULL when out of
 * memory. */
void *srv__pool_alloc(size_t size);
void srv__pool_free(void *block);
size_t srv__pool_caches(void); /* caches made so far (for tests) */

/* A zeroed envelope (args not zeroed), or NULL when out of memory. */
struct envelope *srv__envelope_new(size_t args_size);
/* An envelope holding a deep copy of a message's args (copy_args); NULL
 * when out of memory, with nothing copied left behind.  Inline: it is
 * every cast's. */
static inline struct envelope *srv__envelope_with_args(const srv_message_type *type,
                                                       const void *args)
{
    struct envelope *e = srv__envelope_new(type->args_size);
    if (e == NULL)
        return NULL;
    if (type->copy_args != NULL) {
        if (!type->copy_args(e->args, args)) {
            srv__pool_free(e); /* copy_args freed what it had copied */
            return NULL;
        }
    } else if (type->args_size > 0) {
        memcpy(e->args, args, type->args_size);
    }
    return e;
}
void srv__envelope_free(const srv_module *module, struct envelope *e);

/* ---------------------------------------------------------------------- */
/* Mailbox: Vyukov's intrusive MPSC queue (mailbox.c)                      */

struct mailbox {
    struct mailbox_link *_Atomic head; /* the newest: producers exchange it */
    struct mailbox_link *tail;         /* the oldest: the consumer's end */
    struct mailbox_link stub;
};

void srv__mailbox_init(struct mailbox *mb);
/* Any thread.  Returns nothing: the caller decides whom to wake. */
void srv__mailbox_push(struct mailbox *mb, struct envelope *e);
/* The owner only.  NULL when empty, or when a push is half done (the
 * pusher has exchanged head but not linked yet): the caller must then treat
 * the mailbox as not empty (srv__mailbox_empty says so) and come back. */
struct envelope *srv__mailbox_pop(struct mailbox *mb);
/* The owner only. */
bool srv__mailbox_empty(struct mailbox *mb);

/* ---------------------------------------------------------------------- */
/* Reply slots and thread waits (wait.c)                                   */

/* The caller side of a call: one per process and plain thread identity,
 * since each waits for one reply at a time.  word = tag << 2 | state.  The
 * server (or whoever replies) moves WAITING -> WRITING -> DONE; the caller
 * moves WAITING -> ABANDONED when it gives up: exactly one of them wins, so
 * a late reply is dropped, never delivered to a later call. */
enum { SLOT_ABANDONED = 0, SLOT_WAITING = 1, SLOT_WRITING = 2, SLOT_DONE = 3 };

struct reply_slot {
    _Atomic uint64_t word;
    _Atomic uint64_t sleeper;   /* tag of the call a parked fiber waits on */
    struct fiber *fiber;        /* that fiber (set before sleeper) */
    void *reply;                /* where the reply goes: the caller's buffer */
    srv_atom reason;            /* SRV_EEXIT: why */
    srv_status status;          /* set with DONE */
    _Atomic uint32_t futex;     /* 1 once DONE: a plain thread sleeps on it */
};

/* Caller: a fresh tag for the next call, slot armed to WAITING. */
uint64_t srv__slot_arm(struct reply_slot *slot, void *reply);
/* Caller: waits for DONE up to deadline_ns (UINT64_MAX: forever).
 * SRV_ETIMEOUT if it gave up first (the slot is then abandoned).  On a
 * scheduler thread the fiber parks; a plain thread spins, then sleeps. */
srv_status srv__slot_wait(struct reply_slot *slot, uint64_t deadline_ns,
                          srv_atom *reason);
/* Anyone: completes a call of `from`.  When reply is not NULL it is copied
 * (size bytes) into the caller's buffer.  False if the caller is gone or
 * gave up: the reply was not taken. */
bool srv__slot_complete(srv_from from, srv_status status, srv_atom reason,
                        const void *reply, size_t size);

uint64_t srv__now_ns(void);

/* A pause in a spin loop: lets the other hyperthread run. */
static inline void srv__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
uint64_t srv__deadline_after_ms(long ms);
/* A timeout a caller may give: milliseconds, or SRV_INFINITY. */
static inline bool srv__timeout_valid(long ms)
{
    return ms >= 0 || ms == SRV_INFINITY;
}

/* Blocks the calling thread until *word != value or deadline_ns passes. */
void srv__futex_wait(_Atomic uint32_t *word, uint32_t value,
                     uint64_t deadline_ns);
void srv__futex_wake(_Atomic uint32_t *word);

/* ---------------------------------------------------------------------- */
/* Processes (process.c)                                                   */

/* Process run states.  Exactly one executor at a time owns a RUNNING
 * process: a scheduler thread, or a caller that took the idle process by
 * CAS to run a handler itself.  A plain thread's identity is always
 * PROC_THREAD and is never scheduled. */
enum { PROC_IDLE = 0, PROC_SCHEDULED, PROC_RUNNING, PROC_THREAD };

/* What a process keeps only when it needs it: links, monitors, its name,
 * its parent, calls it deferred.  Guarded by lock. */
struct process_extra;

/* The message a server is handling, for crash reports and for the caller
 * to tell if the server exits in the middle of it. */
struct current_message {
    uint16_t kind;                /* enum envelope_kind, 0: none */
    uint16_t system;
    unsigned message;
    const void *args;
    bool has_from;
    srv_from from;
    srv_atom reason;              /* ENV_EXIT, ENV_DOWN, SYS_TERMINATE */
    srv_pid pid;
};

struct process {
    _Atomic uint32_t run_state;
    srv_pid pid;                  /* pid.index is its slot in the table */
    const srv_module *module;     /* NULL for a plain thread's identity */
    struct mailbox mailbox;
    /* srv_message_queue_len: sent - taken.  Senders add to sent (a
     * scheduler thread a run at a time); only the owner moves taken, with a
     * plain store (no read-modify-write). */
    _Atomic size_t sent, taken;
    struct process *next_run;     /* shared run queue link (sched.c) */
    struct process_extra *_Atomic extra;
    struct reply_slot slot;       /* as a caller */
    srv_pid parent;               /* the starter (start_link, start_monitor),
                                     or its own pid (start): gen.erl's Parent */
    _Atomic uint32_t mail_futex;  /* plain threads sleep on it for signals */
    srv_atom _Atomic name;        /* the registered name, or NULL */
    _Atomic uint64_t timeout_at;  /* when the callback timeout is due (ns), 0: none */
    _Atomic uint64_t timer_at;    /* the deadline of the timer pending for it, 0: none */
    int32_t timeout_ms;           /* pending callback timeout, or -1 (24 days at most) */
    _Atomic bool trap_exit;       /* its own to set; signallers read it */
    bool suspended;               /* sys:suspend */
    bool exiting;
    bool signalled;               /* an exit signal ended a blocked handler */
    struct envelope *held_first, *held_last; /* messages held while suspended */
    sigjmp_buf *exit_jump;        /* where srv_exit goes, during a callback */
    srv_atom exit_reason;         /* set by srv_exit before the jump */
    /* A pending exit signal that ends the process (kill, or an abnormal
     * reason when it does not trap): the executor takes it before the next
     * message, a blocked handler at once (srv__interrupt). */
    srv_atom _Atomic interrupt;
    struct current_message *current; /* the message being handled, on the
                                      executor's stack; NULL between them */
    _Alignas(max_align_t) unsigned char state[]; /* module->state_size bytes */
};

/* A new process in a fresh slot, RUNNING and owned by the caller. */
struct process *srv__process_new(const srv_module *module);
/* Finds a live process and holds it against exit; NULL if none. */
struct process *srv__process_get(srv_pid pid);
void srv__process_put(struct process *p);
/* The executor, after srv__process_quiesce and every exit step: frees p
 * and its slot (a later lookup of its pid finds nothing). */
void srv__process_free(struct process *p);
/* Marks p as exiting: no new lookup finds it. */
void srv__process_close(struct process *p);
/* Waits until only the executor (if it holds one) holds p: after that no
 * sender can push to p's mailbox any more. */
void srv__process_quiesce(struct process *p, bool executor_holds_ref);
/* Calls fn on every live server (not plain threads), for shutdown. */
void srv__process_each_server(void (*fn)(srv_pid pid, void *arg), void *arg);
/* Live servers (not plain threads' identities), for shutdown: may be off
 * by one while a plain thread's identity is made or ends. */
size_t srv__server_count(void);

/* The process the calling code runs as: the server whose handler runs on
 * this thread, or the thread's own identity (made on first use).
 * srv__caller returns NULL when that identity cannot be made for want of
 * memory (functions that return a status answer SRV_ENOMEM);
 * srv__current, for those that cannot, aborts then. */
struct process *srv__caller(void);
struct process *srv__current(void);
struct process *srv__current_or_null(void); /* NULL outside handlers */
void srv__set_current(struct process *p);
struct process *srv__thread_identity(void); /* NULL: out of memory */

/* made on first use; NULL when out of memory */
struct process_extra *srv__extra(struct process *p);

/* ---------------------------------------------------------------------- */
/* Running servers (loop.c, sched.c)                                       */

/* Delivers e to p and schedules p if it was idle.  For a plain thread's
 * identity, wakes the thread. */
void srv__deliver(struct process *p, struct envelope *e);

/* srv_message_queue_len's counts.  A message delivered to p: a plain
 * thread adds it to p->sent at once; a scheduler thread counts a run of
 * sends to one process and adds it in one go at its next loop turn (or
 * when it sends elsewhere), so a stream of casts pays no read-modify-write
 * per message (sched.c). */
struct srv__sent_run {
    srv_pid to;
    size_t count;   /* sends to `to` not yet added to its `sent` */
};
extern _Thread_local struct srv__sent_run *srv__sent_run; /* NULL: not a scheduler */
void srv__sched_count_sent(struct process *p); /* all but the run's next */
static inline void srv__count_sent(struct process *p)
{
    struct srv__sent_run *run = srv__sent_run;
    if (run != NULL && run->count != 0 && run->to.index == p->pid.index &&
        run->to.serial == p->pid.serial && run->to.node == p->pid.node) {
        run->count++;
        return;
    }
    srv__sched_count_sent(p);
}
/* The owner took a message from p's mailbox. */
static inline void srv__message_taken(struct process *p)
{
    /* Owner only: a load and a store, no read-modify-write; relaxed: a
     * count that orders nothing. */
    size_t taken = atomic_load_explicit(&p->taken, memory_order_relaxed);
    atomic_store_explicit(&p->taken, taken + 1, memory_order_relaxed);
}

/* A caller's attempt to take an idle server with an empty mailbox, to run a
 * handler on its own thread.  Runs a pending zero timeout first. */
bool srv__try_acquire(struct process *p);
/* Gives the server back: idle, or scheduled if mail came meanwhile. */
void srv__release(struct process *p);

/* Runs one callback of p on this thread, with srv_exit caught: fills
 * *action; false if the callback exited (p->exit_reason says why). */
typedef srv_action (*callback_fn)(struct process *p, void *arg);
bool srv__run_callback(struct process *p, callback_fn fn, void *arg,
                       srv_action *action);

/* After a callback: arms its timeout.  False when out of memory for the
 * timer: the caller then ends p with out_of_memory. */
bool srv__after_action(struct process *p, const srv_action *action);

/* Runs a call's handler on this thread and answers from (the reply goes
 * to reply first); false if the server exited (it is then gone). */
bool srv__handle_call(struct process *p, unsigned message, void *args,
                      srv_from from, void *reply, bool holds_ref);
/* Runs the callback timeout now; false if the server exited. */
bool srv__handle_timeout_now(struct process *p, bool holds_ref);

/* Handles every message in p's mailbox, up to SRV__BATCH (scheduler). */
void srv__run_batch(struct process *p);

/* Ends p: terminate (when run_terminate), exit signals, DOWNs, the crash
 * report, then frees it.  The executor calls it. */
srv_atom srv__exit(struct process *p, srv_atom reason, bool run_terminate,
                   bool executor_holds_ref); /* returns the final reason */
/* An exit signal that ends p (kill, or an abnormal reason when p does not
 * trap exits), before its EXIT envelope is delivered: p->interrupt holds
 * it, so the executor ends p before its next message (srv__run_batch,
 * srv__try_acquire, srv__release), and a handler of p blocked in a wait (a
 * call, sleep) ends at once, as Erlang's process would in its receive.  If
 * p traps exits by the time it looks (it set the flag meanwhile), the
 * signal is dropped and the EXIT envelope is handled as a message. */
void srv__interrupt(struct process *p, srv_atom reason);

/* Fails a call or system request that will not be answered. */
void srv__fail_request(const srv_from *from, srv_atom reason);

void srv__schedule(struct process *p);
int srv__sched_start(unsigned n); /* 0: SRV_SCHEDULERS or one per CPU */
void srv__sched_ensure_started(void);
/* Stops the scheduler threads, waiting for them up to deadline_ns; false
 * if some are still in a handler then (they stop once it returns). */
bool srv__sched_stop(uint64_t deadline_ns);

/* runtime.c: whether srv_runtime_shutdown has begun (and the runtime was
 * not started again since): srv_start then refuses.  Call it after the
 * new process is in the table: a seq_cst fence orders the two, so that
 * shutdown either finds the process or the starter sees the barrier. */
bool srv__runtime_closed(void);

/* Whether the calling code runs on a scheduler's fiber and may park: a
 * stack for the thread to go on with is set aside.  When the system has
 * no stack to give, the handler blocks its thread instead. */
bool srv__sched_can_park(void);
/* Parks the running fiber until the one who turns *word from value to 0
 * (by CAS: one waker wins) calls srv__sched_wake, or until deadline_ns
 * (UINT64_MAX: none), when the scheduler claims it the same way.  The
 * caller publishes value in *word, then checks that its wait still
 * stands, before it parks. */
void srv__sched_park(_Atomic uint64_t *word, uint64_t value, uint64_t deadline_ns);
/* Any thread, after winning the CAS: f runs again on its own thread. */
void srv__sched_wake(struct fiber *f);
/* After each message sent: a handler that sends many yields now and
 * then to the receiver waiting on its own thread (sched.c). */
void srv__sched_sent(void);

/* ---------------------------------------------------------------------- */
/* Fibers: stacks to run handlers on (fiber.c)                             */

struct fiber {
    void *context;             /* its saved stack pointer, while switched out */
    unsigned char *low;        /* its stack is [low, low + size), a guard page below */
    size_t size;
    bool thread_stack;         /* the stack a thread started on */
    struct fiber *next;        /* in a pool, or a scheduler's ready list */
    struct scheduler *owner;   /* the thread it runs on: fibers never move */
    /* While parked (sched.c): */
    _Atomic uint64_t *claim;   /* a waker turns it from claim_value to 0 */
    uint64_t claim_value;
    uint64_t deadline_ns;
    size_t heap_index;         /* in its owner's deadline heap, or SIZE_MAX */
    void *sanitizer;           /* ThreadSanitizer's fiber */
    unsigned valgrind_stack;   /* Valgrind's id of the stack, when built with it */
    /* While it runs a handler for the caller beneath it (inline.c): */
    struct fiber *caller;      /* the suspended caller; NULL once detached */
    struct process *caller_process; /* who the caller runs as, and its call */
    uint64_t caller_tag;
    void (*job)(void *arg);
    void *job_arg;
    bool job_done;             /* set when the job ended with the caller attached */
    /* What the job borrows from the caller's frame, kept before it leaves */
    void (*on_detach)(void *arg);
    void *on_detach_arg;
};

/* A fiber from this thread's pool that will run entry(arg) when first
 * switched to; entry starts with srv__fiber_entered and never returns.
 * NULL when no stack can be had (never after srv__fiber_reserve). */
struct fiber *srv__fiber_new(void (*entry)(void *arg), void *arg,
                             struct scheduler *owner);
/* Makes sure this thread's pool holds a stack; false if none can be had. */
bool srv__fiber_reserve(void);
void srv__fiber_entered(void);
/* Back to this thread's pool (never the running one). */
void srv__fiber_free(struct fiber *f);
/* Switches from the running fiber to `to`; from_ends when `from` will
 * never run again (its stack goes back to the pool). */
void srv__fiber_switch(struct fiber *from, struct fiber *to, bool from_ends);
/* The same for a switch that stands for a call or its return: `to` goes
 * on with the floating-point control words of `from`. */
void srv__fiber_switch_light(struct fiber *from, struct fiber *to);
/* Calls fn(arg) on f's stack, as a plain call would, from the running
 * fiber (the caller); it returns when fn does, or when f switches back
 * to the caller (light) and leaves fn's frames on f, to go on later as
 * a fiber of its own.  fn starts with srv__fiber_entered, and ends with
 * srv__fiber_call_return(caller) when it returns. */
void srv__fiber_call(struct fiber *f, void (*fn)(void *arg), void *arg);
void srv__fiber_call_return(struct fiber *to);
/* The thread's own stack as a fiber (NULL when out of memory), and the
 * running fiber. */
struct fiber *srv__fiber_thread(void);
extern _Thread_local struct fiber *srv__fiber_now; /* fiber.c's own */
static inline struct fiber *srv__fiber_running(void)
{
    return srv__fiber_now;
}
/* Unmaps this thread's pool, before the thread ends. */
void srv__fiber_thread_done(void);
/* Signal handlers: whether address is within slack below the running
 * fiber's stack (its guard page). */
bool srv__fiber_guard_hit(uintptr_t address, uintptr_t slack);

/* ---------------------------------------------------------------------- */
/* Handlers run for their caller (inline.c)                                */

/* Runs job(arg) at once on a stack of its own, as a function call would,
 * for the caller whose reply slot is armed with tag: true when the job
 * is over.  False when the job blocked: it was detached from the caller,
 * goes on as a handler of its own on a scheduler thread, and the caller
 * waits for its reply (and its deadline) as for a queued call.  With no
 * stack to be had, the job runs on the caller's stack and may block it. */
bool srv__inline_call(void (*job)(void *arg), void *arg,
                      struct reply_slot *slot, uint64_t tag);
/* Before a wait: a job run for its caller lets the caller go on (it is
 * resumed later, on a scheduler thread); true when it did so. */
bool srv__inline_detach(void);
/* A scheduler thread that ends gives back its spare job fiber. */
void srv__inline_thread_done(void);

/* sched.c: a fiber detached from its caller runs on a scheduler thread:
 * this one's when we are on one, else another's. */
void srv__sched_adopt(struct fiber *f);
/* A detached job that is over goes on as its thread's scheduler loop. */
SRV_NORETURN void srv__sched_loop(void);
/* A fiber resumed by the loop: puts back the stack the loop left. */
void srv__sched_resumed(void);

/* ---------------------------------------------------------------------- */
/* Links, monitors, names, timers, logging                                 */

/* At exit: tells links and monitors, fails deferred calls (link.c). */
void srv__links_exit(struct process *p, srv_atom reason);
/* An exit signal to pid from the runtime (SRV_PID_NONE), which a server
 * takes as its parent's: a supervisor's shutdown (a server that traps
 * exits runs terminate with reason, another exits at once). */
void srv__exit_signal_from_runtime(srv_pid pid, srv_atom reason);
/* Links parent and child without checks (start_link); false when out of
 * memory (or either is dead). */
bool srv__link_pair(struct process *a, struct process *b);
/* For the tests: how many monitor pid (watchers) and how many pid holds
 * on others (watching); 0 and 0 for a dead pid. */
void srv__monitor_counts(srv_pid pid, size_t *watchers, size_t *watching);
/* Remembers a call the server deferred, to fail it if the server exits
 * before it replies.  False when out of memory. */
bool srv__deferred_add(struct process *p, srv_from from);

/* name.c */
srv_status srv__name_add(srv_atom name, srv_pid pid, srv_pid *holder);
void srv__name_remove(srv_atom name, srv_pid pid);

/* timer.c: calls fn(arg, true) on the timer thread at deadline, or
 * fn(arg, false) if the timer is cancelled or the runtime stops first. */
typedef void (*timer_fn)(void *arg, bool fire);
uint64_t srv__timer_start(uint64_t deadline_ns, timer_fn fn, void *arg);
bool srv__timer_cancel(uint64_t ref);
size_t srv__timer_pending(void); /* timers waiting to fire (for tests) */
void srv__timer_stop(void);

/* log.c */
void srv__log(srv_log_level level, const char *text);
void srv__report_crash(struct process *p, srv_atom reason,
                       bool in_terminate, const srv_from *client);

/* atom.c: interns reason strings given by users; a reason that cannot be
 * interned for want of memory becomes out_of_memory (never NULL). */
srv_atom srv__atom(srv_atom maybe_interned);
extern const char srv__atom_out_of_memory[]; /* "out_of_memory" */

/* overflow.c: the calling thread will run handlers; a stack overflow on
 * it is reported with the server's name and pid before the abort. */
void srv__overflow_watch_thread(void);
void srv__overflow_unwatch_thread(void); /* before the thread ends */

/* fork (runtime.c): each part with state of its own takes its locks before
 * a fork, gives them back after it in the parent, and in the child starts
 * afresh (the parent's processes, timers and threads do not exist there). */
enum srv_fork_phase { SRV_FORK_PREPARE, SRV_FORK_PARENT, SRV_FORK_CHILD };
void srv__sched_fork(enum srv_fork_phase phase);
void srv__timer_fork(enum srv_fork_phase phase);
void srv__process_fork(enum srv_fork_phase phase);
void srv__name_fork(enum srv_fork_phase phase);
void srv__atom_fork(enum srv_fork_phase phase);
void srv__log_fork(enum srv_fork_phase phase);
void srv__inline_fork(enum srv_fork_phase phase);
/* What most of them do with their one lock (a pthread_mutex_t): taken
 * before the fork, given back after it.  True in the child, where the
 * part then starts afresh (it is the child's only thread). */
bool srv__fork_lock(enum srv_fork_phase phase, void *mutex);

/* The runtime's own fatal errors. */
SRV_NORETURN void srv__fatal(const char *fmt, ...) SRV_PRINTF(1, 2);

#endif /* SRV_INTERNAL_H */
