/*
 * sched.h: scheduler threads (sched.c): run queues, stealing, parked
 * handlers and their deadlines, sleeping; the counts of sends behind
 * srv_message_queue_len.
 */
#ifndef SRV_SCHED_H
#define SRV_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "process.h"

struct fiber;

/* Puts p, just made SCHEDULED, on a run queue and wakes a thread for it. */
void srv__schedule(struct process *p);
int srv__sched_start(unsigned n); /* 0: SRV_SCHEDULERS or one per CPU */
void srv__sched_ensure_started(void);
/* Stops the scheduler threads, waiting for them up to deadline_ns; false
 * if some are still in a handler then (they stop once it returns). */
bool srv__sched_stop(uint64_t deadline_ns);

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
 * then to the receiver waiting on its own thread. */
void srv__sched_sent(void);

/* A fiber detached from its caller (inline.c) runs on a scheduler thread:
 * this one's when we are on one, else another's. */
void srv__sched_adopt(struct fiber *f);
/* A detached job that is over goes on as its thread's scheduler loop. */
SRV_NORETURN void srv__sched_loop(void);
/* A fiber resumed by the loop: puts back the stack the loop left. */
void srv__sched_resumed(void);

/* srv_message_queue_len's counts.  A message delivered to p: a plain
 * thread adds it to p->sent at once; a scheduler thread counts a run of
 * sends to one process and adds it in one go at its next loop turn (or
 * when it sends elsewhere), so a stream of casts pays no read-modify-write
 * per message. */
struct srv__sent_run {
    srv_pid to;
    size_t count;   /* sends to `to` not yet added to its `sent` */
};
extern _Thread_local struct srv__sent_run *srv__sent_run; /* NULL: not a scheduler */
/* A scheduler thread, whose handlers may find a process to cast to
 * without a hold (srv__process_peek): its loop says when it holds none. */
extern _Thread_local bool srv__sched_reads_unheld;
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
    uint32_t taken = atomic_load_explicit(&p->taken, memory_order_relaxed);
    atomic_store_explicit(&p->taken, taken + 1, memory_order_relaxed);
}

void srv__sched_fork(enum srv_fork_phase phase);

#endif /* SRV_SCHED_H */
