/*
 * sched.h: the execution substrate under libsrv's processes (private).
 *
 * Scheduler threads run tasks; a task's code may block in a waiter, which on
 * a scheduler thread suspends only that execution (its stack stays with it,
 * and the scheduler goes on with a fresh stack from the pool), and on a
 * plain thread spins briefly and then sleeps on a futex.  Timers fire
 * functions on scheduler threads.  Fixed-size blocks come from per-thread
 * pools.  Processes, mailboxes and gen_server semantics are built on this in
 * process.c and its neighbours; nothing here knows about them.
 */
#ifndef SRV_SCHED_H
#define SRV_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* Tasks                                                                   */

typedef struct srv__task srv__task;

/* A unit the schedulers run.  It is embedded in the thing that runs (a
 * process).  run() is called on a scheduler thread once per submit; the
 * caller of srv__task_submit guarantees a task is never queued twice at
 * once (processes guarantee it with their scheduled bit). */
struct srv__task {
    void (*run)(srv__task *task);
    /* Writes a one-line description ("worker <0.58.0>") for the stack
     * overflow report; may be NULL. */
    void (*describe)(srv__task *task, char *buf, size_t size);
    srv__task *_Atomic next; /* private to the run queues */
};

/* Makes task runnable.  From a scheduler thread it goes on that scheduler's
 * own queue (so a send between two processes wakes no thread); from a plain
 * thread it goes to the shared inject queue and wakes a parked scheduler. */
void srv__task_submit(srv__task *task);

/* ---------------------------------------------------------------------- */
/* Waiters: one-shot events an execution blocks on                         */

enum srv__wait_result { SRV__WOKEN = 1, SRV__TIMED_OUT };

/* A waiter lives with the waiting code (on its stack or in its process).
 * Protocol: prepare, publish the waiter where the waker will find it, check
 * the condition, then wait.  A wake that comes between prepare and wait is
 * not lost.  After SRV__TIMED_OUT the waiter may be waited on again (for a
 * wake its owner knows is coming); the owner must make sure no waker still
 * holds a pointer to it before the memory goes. */
typedef struct srv__waiter {
    _Atomic uint32_t state;  /* private */
    void *context;           /* private: the suspended execution, or NULL */
    struct srv__waiter_thread *thread; /* private: set for plain threads */
} srv__waiter;

void srv__waiter_prepare(srv__waiter *w);
/* deadline_ns: absolute, from srv__now_ns(); UINT64_MAX waits forever. */
enum srv__wait_result srv__waiter_wait(srv__waiter *w, uint64_t deadline_ns);
/* Wakes the waiter (once: later wakes of the same round do nothing).  From a
 * scheduler thread, a suspended execution resumes on the waker's scheduler. */
void srv__waiter_wake(srv__waiter *w);

/* Monotonic clock, nanoseconds. */
uint64_t srv__now_ns(void);
/* now + ms, or UINT64_MAX for a negative ms (SRV_INFINITY). */
uint64_t srv__deadline_after_ms(long ms);

/* ---------------------------------------------------------------------- */
/* Execution-local pointer                                                  */

/* One pointer per execution (the process running, or the plain thread's
 * identity), saved and restored across waits and migrations between
 * scheduler threads.  Plain threads get their own thread-local slot. */
void *srv__exec_get(void);
void srv__exec_set(void *p);

/* True on a scheduler thread (inside a task's run or a timer function). */
bool srv__on_scheduler(void);

/* ---------------------------------------------------------------------- */
/* Timers                                                                  */

typedef struct srv__timer srv__timer;
struct srv__timer {
    uint64_t deadline_ns;               /* private once armed */
    void (*fire)(srv__timer *timer);    /* runs on a scheduler thread */
    /* private fields of the timer structure follow */
    srv__timer *prev, *next;
    _Atomic uint32_t state;
    uint32_t slot;
};

/* Arms timer to call fire at deadline_ns.  The timer must not be armed. */
void srv__timer_arm(srv__timer *timer, uint64_t deadline_ns,
                    void (*fire)(srv__timer *timer));
/* True if the timer was cancelled before fire started; false if fire has
 * run or is running (its owner then waits for fire to let go of it). */
bool srv__timer_cancel(srv__timer *timer);

/* ---------------------------------------------------------------------- */
/* Fixed-size block pools                                                  */

/* Blocks of up to SRV__POOL_MAX bytes from per-thread size-class caches;
 * larger ones from malloc.  A block may be freed on any thread.  Never NULL:
 * out of memory aborts with a message. */
#define SRV__POOL_MAX 1024
void *srv__pool_alloc(size_t size);
void srv__pool_free(void *block, size_t size);

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                               */

/* Starts n scheduler threads (0: SRV_SCHEDULERS or one per online CPU).
 * Idempotent: the first call wins.  Returns 0 or an errno value. */
int srv__sched_start(unsigned n);
/* Asks the schedulers to finish and joins them; tasks still queued are not
 * run.  Used by srv_runtime_shutdown after every process has exited. */
void srv__sched_stop(void);
unsigned srv__sched_count(void);

#endif /* SRV_SCHED_H */
