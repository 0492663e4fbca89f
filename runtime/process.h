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

/* What a process keeps only when it needs it: links, monitors, its name,
 * its parent, calls it deferred (link.c).  Guarded by its lock. */
struct process_extra;
/* sys trace and log, when either is on (debug.c). */
struct sys_debug;

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
    srv_timer_ref timer;          /* ENV_INFO sent by srv_start_timer: its
                                     ref (srv_current_timer); else 0 */
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
    struct requests *_Atomic requests; /* its asynchronous requests
                                          (request.c), made on the first */
    srv_pid parent;               /* the starter (start_link, start_monitor),
                                     or its own pid (start): gen.erl's Parent */
    _Atomic uint32_t mail_futex;  /* plain threads sleep on it for signals */
    srv_atom _Atomic name;        /* the registered name, or NULL */
    _Atomic uint64_t timeout_at;  /* when the callback timeout is due (ns), 0: none */
    _Atomic uint64_t timer_at;    /* the deadline of the timer pending for it, 0: none */
    int32_t timeout_ms;           /* pending callback timeout, or -1 (24 days at most) */
    _Atomic bool trap_exit;       /* its own to set; signallers read it */
    /* sys:suspend.  The owner's to set; relaxed: srv_process_info reads
     * it from other threads, as a snapshot that orders nothing. */
    _Atomic bool suspended;
    bool exiting;
    bool signalled;               /* an exit signal ended a blocked handler */
    bool has_next;                /* {continue, C} returned: C runs before
                                     any message (loop.c) */
    _Atomic bool hibernated;      /* hibernate returned, no message since:
                                     the owner's, read by srv__hibernated */
    bool timeout_hibernates;      /* the pending timeout is hibernate_after's */
    int32_t hibernate_after_ms;   /* start option, 0: never */
    srv_continue next;            /* when has_next: C and its arguments */
    struct envelope_list held;    /* messages held while suspended */
    struct sys_debug *debug;      /* sys trace and log (debug.c), or NULL */
    sigjmp_buf *exit_jump;        /* where srv_exit goes, during a callback */
    srv_atom exit_reason;         /* set by srv_exit before the jump */
    /* A pending exit signal that ends the process (kill, or an abnormal
     * reason when it does not trap): the executor takes it before the next
     * message, a blocked handler at once (srv__interrupt). */
    srv_atom _Atomic interrupt;
    struct current_message *current; /* the message being handled, on the
                                      executor's stack; NULL between them */
    /* srv_process_info's view of the handler, safe to read from any
     * thread: the name of the message it is on (NULL: none), and how many
     * it took.  The executor writes them (srv__handling); relaxed: a
     * snapshot that orders nothing. */
    const char *_Atomic handling;
    _Atomic uint64_t handled;
    _Alignas(max_align_t) unsigned char state[]; /* module->state_size bytes */
};

/* sys:suspend's flag: the owner reads and sets it; others only read it
 * (srv_process_info).  Relaxed: it orders nothing. */
static inline bool srv__suspended(struct process *p)
{
    return atomic_load_explicit(&p->suspended, memory_order_relaxed);
}
static inline void srv__set_suspended(struct process *p, bool on)
{
    atomic_store_explicit(&p->suspended, on, memory_order_relaxed);
}

/* The executor: p's handler starts on the message named what (the name
 * of a call, cast or info message, "timeout", ...; counted as handled),
 * or is done with it (NULL), for srv_process_info.  Owner only: a load
 * and a store, no read-modify-write. */
static inline void srv__handling(struct process *p, const char *what)
{
    atomic_store_explicit(&p->handling, what, memory_order_relaxed);
    if (what != NULL) {
        uint64_t n = atomic_load_explicit(&p->handled, memory_order_relaxed);
        atomic_store_explicit(&p->handled, n + 1, memory_order_relaxed);
    }
}

/* Messages delivered to p and not yet taken (srv_message_queue_len).  A
 * scheduler thread adds its sends at its next turn: until then taken may
 * be ahead of sent, and the length reads 0.  Relaxed: counts that order
 * nothing. */
static inline size_t srv__queue_len(struct process *p)
{
    size_t taken = atomic_load_explicit(&p->taken, memory_order_relaxed);
    size_t sent = atomic_load_explicit(&p->sent, memory_order_relaxed);
    return sent > taken ? sent - taken : 0;
}

/* A new process in a fresh slot, RUNNING and owned by the caller (a plain
 * thread's identity, PROC_THREAD, when module is NULL). */
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

/* The server whose handler runs on this thread; NULL outside handlers
 * (thread.h gives a plain thread's own identity). */
struct process *srv__current_or_null(void);
void srv__set_current(struct process *p);

void srv__process_fork(enum srv_fork_phase phase);

#endif /* SRV_PROCESS_H */
