/*
 * sched.c: the scheduler threads, and handlers that block.
 *
 * A server with mail is SCHEDULED and waits in a run queue until a
 * scheduler thread runs a batch of its messages.  A server scheduled by a
 * scheduler thread goes to that thread's `next` slot, to run right after
 * the current one on the same core: a call or a stream of casts between
 * two servers wakes no thread and moves no cache line to another core.
 * When `next` is taken, it goes to the thread's own ring (Go's run queue:
 * the owner puts, the owner and idle threads take by CAS, no lock), and
 * when that is full, or the sender is a plain thread, to the shared queue.
 * Idle threads steal from other threads' rings at once, and from another's
 * `next` slot when that thread has been stuck in one turn for a while.  A handler that sends many messages to a server waiting in its
 * own thread's `next` slot yields to it every SEND_BUDGET sends, as
 * Erlang's reductions would: the receiver drains them while they are hot.
 *
 * Each thread runs its loop on a fiber (fiber.c).  A handler that blocks
 * (a call to a busy server, a deferred reply, sleep) parks the fiber it
 * runs on, frames and all, and the thread goes on with another fiber; the
 * handler's thread is never blocked.  Whoever completes the wait pushes
 * the fiber onto its thread's `woken` list; the thread resumes it and
 * hands the loop fiber it was on back to the pool.  Fibers never move
 * between threads.  A parked fiber's deadline waits in its thread's heap,
 * which only that thread touches.
 *
 * Idle threads spin briefly, then sleep on a futex of their own.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "epoch.h"
#include "fiber.h"
#include "inline.h"
#include "logger.h"
#include "loop.h"
#include "os.h"
#include "overflow.h"
#include "process.h"
#include "sched.h"

#define IDLE_SPIN_NS 20000         /* spin this long before sleeping */
#define SLEEP_MAX_NS 100000000ull  /* look around at least every 100 ms */
#define SLEEP_STEAL_NS 1000000ull  /* or every 1 ms while a next slot is full */
#define STEAL_AFTER_NS 20000       /* a thread stuck this long loses its next */
#define NEXT_STREAK 64             /* next-slot turns before others get one */
#define SEND_BUDGET 64             /* sends before a handler yields */
#define RING 256                   /* servers a thread's own ring holds */
#define SHARED_EVERY 61            /* turns: the shared queue goes first once in so many */
#define NO_INDEX SIZE_MAX

struct scheduler {
    struct process *_Atomic next;        /* runs next here; idle threads may steal it */
    _Atomic uint32_t ring_head;          /* taken from by anyone, by CAS */
    _Atomic uint32_t ring_tail;          /* put at by the owner only */
    struct process *_Atomic ring[RING];
    _Atomic uint64_t turns;              /* loop turns: a thief's sign of progress */
    unsigned next_streak;                /* turns in a row taken from next */
    unsigned sends;                      /* sends since the last yield */
    struct fiber *yielded_first, *yielded_last; /* handlers that yielded */
    struct fiber *_Atomic woken;         /* pushed by wakers, newest first */
    struct fiber *ready_first;           /* taken from woken, oldest first */
    struct fiber *thread;                /* the thread's own stack */
    struct fiber *recycle;               /* back to the pool once off it */
    unsigned parked;                     /* fibers parked in a handler */
    struct fiber **deadlines;            /* min-heap of parked fibers' deadlines */
    size_t n_deadlines, cap_deadlines;
    _Atomic uint32_t wake;               /* the futex the thread sleeps on */
    _Atomic bool sleeping;
    bool in_use;                         /* a thread runs it (S.lock) */
    struct srv__sent_run sent;           /* sends counted here, added next turn */
    struct epoch_reader *reader;         /* its quiescent points (epoch.h) */
    bool left;                           /* that thread is leaving (S.lock) */
    struct scheduler *_Atomic next_all;  /* every scheduler made; never freed */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t quiet;         /* signalled when a thread leaves */
    struct process *head, *tail;  /* the shared run queue */
    _Atomic size_t queued;        /* its length, read without the lock */
    unsigned threads;             /* running scheduler threads */
    _Atomic unsigned sleepers;    /* of those, asleep or about to be */
    struct scheduler *_Atomic all;
    _Atomic bool started;
    _Atomic bool stopping;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .quiet = PTHREAD_COND_INITIALIZER};

static _Thread_local struct scheduler *self;

static void wake_thread(struct scheduler *s)
{
    atomic_fetch_add_explicit(&s->wake, 1, memory_order_release);
    srv__futex_wake(&s->wake);
}

/* New work in the shared queue or a ring: a sleeping thread may take it. */
static void wake_a_sleeper(void)
{
    /* seq_cst, after the seq_cst count of the work: pairs with
     * sleep_until; either a sleeper sees our work, or we see it counted. */
    if (atomic_load_explicit(&S.sleepers, memory_order_seq_cst) == 0)
        return;
    for (struct scheduler *s = atomic_load_explicit(&S.all, memory_order_acquire);
         s != NULL; s = atomic_load_explicit(&s->next_all, memory_order_acquire)) {
        bool asleep = true;
        if (atomic_compare_exchange_strong_explicit(&s->sleeping, &asleep, false,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed)) {
            wake_thread(s);
            return;
        }
    }
}

/* The owner: false when the ring is full. */
static bool ring_put(struct scheduler *s, struct process *p)
{
    uint32_t tail = atomic_load_explicit(&s->ring_tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&s->ring_head, memory_order_acquire);
    if (tail - head >= RING)
        return false;
    atomic_store_explicit(&s->ring[tail % RING], p, memory_order_relaxed);
    /* Release: a taker that sees the new tail sees p in its slot.  seq_cst:
     * pairs with sleep_until's look at the rings (see wake_a_sleeper). */
    atomic_store_explicit(&s->ring_tail, tail + 1, memory_order_seq_cst);
    return true;
}

/* The owner or a thief: the oldest server in s's ring, or NULL. */
static struct process *ring_take(struct scheduler *s)
{
    uint32_t head = atomic_load_explicit(&s->ring_head, memory_order_acquire);
    for (;;) {
        /* Acquire: pairs with ring_put's store of tail. */
        uint32_t tail = atomic_load_explicit(&s->ring_tail, memory_order_acquire);
        if (head == tail)
            return NULL;
        struct process *p = atomic_load_explicit(&s->ring[head % RING], memory_order_relaxed);
        /* The slot is reused only after head has moved past it: if our CAS
         * wins, p was still the one in it. */
        if (atomic_compare_exchange_weak_explicit(&s->ring_head, &head, head + 1,
                                                  memory_order_acq_rel,
                                                  memory_order_acquire))
            return p;
    }
}

static bool ring_empty(struct scheduler *s)
{
    return atomic_load_explicit(&s->ring_head, memory_order_seq_cst) ==
           atomic_load_explicit(&s->ring_tail, memory_order_seq_cst);
}

static void enqueue(struct process *p)
{
    pthread_mutex_lock(&S.lock);
    p->next_run = NULL;
    if (S.tail != NULL)
        S.tail->next_run = p;
    else
        S.head = p;
    S.tail = p;
    atomic_fetch_add_explicit(&S.queued, 1, memory_order_seq_cst);
    pthread_mutex_unlock(&S.lock);
    wake_a_sleeper();
}

static struct process *dequeue(void)
{
    if (atomic_load_explicit(&S.queued, memory_order_acquire) == 0)
        return NULL;
    pthread_mutex_lock(&S.lock);
    struct process *p = S.head;
    if (p != NULL) {
        S.head = p->next_run;
        if (S.head == NULL)
            S.tail = NULL;
        atomic_fetch_sub_explicit(&S.queued, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&S.lock);
    return p;
}

void srv__schedule(struct process *p)
{
    /* Run it next on this thread, unless another thread is idle and can
     * run it now, beside us (a producer and its consumer on two cores). */
    if (self != NULL) {
        if (atomic_load_explicit(&self->next, memory_order_relaxed) == NULL) {
            /* Release: a thief that takes p sees it whole.  Only the owner
             * fills the slot, and only when it is empty. */
            atomic_store_explicit(&self->next, p, memory_order_release);
            return;
        }
        if (ring_put(self, p)) {
            wake_a_sleeper(); /* an idle thread may take it at once */
            return;
        }
    }
    srv__sched_ensure_started();
    enqueue(p);
}

/* ---------------------------------------------------------------------- */
/* Parked fibers: woken by whoever completes their wait, or at a deadline  */

static bool earlier(const struct fiber *a, const struct fiber *b)
{
    return a->deadline_ns < b->deadline_ns;
}

static void heap_set(struct scheduler *s, size_t i, struct fiber *f)
{
    s->deadlines[i] = f;
    f->heap_index = i;
}

static void heap_up(struct scheduler *s, size_t i)
{
    struct fiber *f = s->deadlines[i];
    while (i > 0 && earlier(f, s->deadlines[(i - 1) / 2])) {
        heap_set(s, i, s->deadlines[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(s, i, f);
}

static void heap_down(struct scheduler *s, size_t i)
{
    struct fiber *f = s->deadlines[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= s->n_deadlines)
            break;
        if (child + 1 < s->n_deadlines &&
            earlier(s->deadlines[child + 1], s->deadlines[child]))
            child++;
        if (!earlier(s->deadlines[child], f))
            break;
        heap_set(s, i, s->deadlines[child]);
        i = child;
    }
    heap_set(s, i, f);
}

/* Room for one more deadline; false when out of memory. */
static bool heap_reserve(struct scheduler *s)
{
    if (s->n_deadlines < s->cap_deadlines)
        return true;
    size_t cap = s->cap_deadlines ? s->cap_deadlines * 2 : 64;
    struct fiber **grown = srv__realloc(s->deadlines, cap * sizeof *grown);
    if (grown == NULL)
        return false;
    s->deadlines = grown;
    s->cap_deadlines = cap;
    return true;
}

/* After srv__sched_can_park, which made the room. */
static void heap_push(struct scheduler *s, struct fiber *f)
{
    s->deadlines[s->n_deadlines] = f;
    heap_up(s, s->n_deadlines++);
}

static void heap_remove(struct scheduler *s, struct fiber *f)
{
    size_t i = f->heap_index;
    f->heap_index = NO_INDEX;
    struct fiber *last = s->deadlines[--s->n_deadlines];
    if (last == f)
        return;
    s->deadlines[i] = last;
    last->heap_index = i;
    heap_up(s, i);
    heap_down(s, last->heap_index);
}

/* Wins the right to wake f: exactly one of its wakers does. */
static bool claim(struct fiber *f)
{
    uint64_t expected = f->claim_value;
    /* Acquire: what the winner reads of the waiter (the slot) is current. */
    return atomic_compare_exchange_strong_explicit(f->claim, &expected, 0,
                                                   memory_order_acq_rel,
                                                   memory_order_relaxed);
}

static void make_ready(struct scheduler *s, struct fiber *f)
{
    f->next = s->ready_first;
    s->ready_first = f;
}

/* Wakes the fibers whose deadline has passed; returns the earliest
 * deadline still pending (UINT64_MAX: none). */
static uint64_t expire_deadlines(struct scheduler *s)
{
    if (s->n_deadlines == 0)
        return UINT64_MAX;
    uint64_t now = srv__now_ns();
    while (s->n_deadlines > 0 && s->deadlines[0]->deadline_ns <= now) {
        struct fiber *f = s->deadlines[0];
        heap_remove(s, f);
        if (claim(f))
            make_ready(s, f);
        /* else its waker pushes it to `woken` */
    }
    return s->n_deadlines > 0 ? s->deadlines[0]->deadline_ns : UINT64_MAX;
}

static struct fiber *take_ready(struct scheduler *s)
{
    if (s->ready_first == NULL &&
        atomic_load_explicit(&s->woken, memory_order_relaxed) != NULL) {
        /* Acquire: pairs with the waker's release push. */
        struct fiber *list = atomic_exchange_explicit(&s->woken, NULL,
                                                      memory_order_acquire);
        while (list != NULL) { /* newest first: reverse into the ready list */
            struct fiber *next = list->next;
            make_ready(s, list);
            list = next;
        }
    }
    struct fiber *f = s->ready_first;
    if (f != NULL)
        s->ready_first = f->next;
    return f;
}

void srv__sched_wake(struct fiber *f)
{
    struct scheduler *s = f->owner;
    struct fiber *head = atomic_load_explicit(&s->woken, memory_order_relaxed);
    do
        f->next = head;
    /* Release: the wait's outcome (the reply) is visible to the resumer.
     * seq_cst, and the look at sleeping after it: pairs with sleep_until;
     * either the owner sees f pushed, or we see it asleep. */
    while (!atomic_compare_exchange_weak_explicit(&s->woken, &head, f,
                                                  memory_order_seq_cst,
                                                  memory_order_relaxed));
    /* After the push, f is no longer ours to touch; s is never freed. */
    bool asleep = true;
    if (atomic_compare_exchange_strong_explicit(&s->sleeping, &asleep, false,
                                                memory_order_seq_cst,
                                                memory_order_relaxed))
        wake_thread(s);
}

bool srv__sched_can_park(void)
{
    /* Out of memory for a stack or a deadline, the handler blocks its
     * thread instead. */
    return self != NULL && srv__fiber_reserve() && heap_reserve(self);
}

static void after_switch(struct scheduler *s)
{
    if (s->recycle != NULL) {
        srv__fiber_free(s->recycle);
        s->recycle = NULL;
    }
}

static void loop_entry(void *arg);

void srv__sched_park(_Atomic uint64_t *word, uint64_t value, uint64_t deadline_ns)
{
    struct scheduler *s = self;
    struct fiber *f = srv__fiber_running();
    struct process *current = srv__current_or_null();
    f->claim = word;
    f->claim_value = value;
    f->deadline_ns = deadline_ns;
    if (deadline_ns != UINT64_MAX)
        heap_push(s, f);
    struct fiber *next = take_ready(s);
    if (next != f) { /* f itself is ready when its waker was quick */
        s->parked++;
        if (next == NULL)
            next = srv__fiber_new(loop_entry, s, s);
        if (current != NULL)
            srv__set_flag(current, PF_WAITING, true);
        srv__set_current(NULL); /* the next fiber runs as nobody until it says */
        srv__fiber_switch(f, next, false);
        /* Resumed, on the same thread. */
        after_switch(s);
        if (current != NULL)
            srv__set_flag(current, PF_WAITING, false);
        s->parked--;
    }
    if (f->heap_index != NO_INDEX)
        heap_remove(s, f);
    srv__set_current(current);
}

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

/* A server from another thread's ring, or NULL. */
static struct process *steal_from_rings(struct scheduler *s)
{
    for (struct scheduler *v = atomic_load_explicit(&S.all, memory_order_acquire);
         v != NULL; v = atomic_load_explicit(&v->next_all, memory_order_acquire)) {
        struct process *p = v != s && !ring_empty(v) ? ring_take(v) : NULL;
        if (p != NULL)
            return p;
    }
    return NULL;
}

static bool other_rings_empty(struct scheduler *s)
{
    for (struct scheduler *v = atomic_load_explicit(&S.all, memory_order_acquire);
         v != NULL; v = atomic_load_explicit(&v->next_all, memory_order_acquire))
        if (v != s && !ring_empty(v))
            return false;
    return true;
}

/* Sleeps until woken, or until `until` (the earliest deadline). */
static void sleep_until(struct scheduler *s, uint64_t until)
{
    uint32_t seen = atomic_load_explicit(&s->wake, memory_order_acquire);
    /* seq_cst, then the loads of the work: pairs with the wakers
     * (srv__sched_wake, wake_a_sleeper, srv__sched_stop); either they see
     * us asleep, or we see their work below. */
    atomic_store_explicit(&s->sleeping, true, memory_order_seq_cst);
    atomic_fetch_add_explicit(&S.sleepers, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&s->woken, memory_order_seq_cst) == NULL &&
        atomic_load_explicit(&S.queued, memory_order_seq_cst) == 0 &&
        other_rings_empty(s) &&
        /* stopping: sleep only to wait for parked handlers' wake-ups */
        (!atomic_load_explicit(&S.stopping, memory_order_seq_cst) || s->parked > 0)) {
        uint64_t cap = srv__now_ns() + SLEEP_MAX_NS;
        /* Asleep it reads nothing: ended processes need not wait for it. */
        srv__epoch_offline(s->reader);
        srv__process_reclaim(); /* what only we kept */
        srv__futex_wait(&s->wake, seen, until < cap ? until : cap);
        srv__epoch_quiescent(s->reader);
    }
    atomic_fetch_sub_explicit(&S.sleepers, 1, memory_order_relaxed);
    atomic_store_explicit(&s->sleeping, false, memory_order_relaxed);
}

static struct process *take_next(struct scheduler *s)
{
    if (atomic_load_explicit(&s->next, memory_order_relaxed) == NULL)
        return NULL;
    /* Acquire: pairs with srv__schedule's release store. */
    return atomic_exchange_explicit(&s->next, NULL, memory_order_acquire);
}

static struct fiber *take_yielded(struct scheduler *s)
{
    struct fiber *f = s->yielded_first;
    if (f != NULL) {
        s->yielded_first = f->next;
        if (s->yielded_first == NULL)
            s->yielded_last = NULL;
    }
    return f;
}

/* Another thread's next slot, when that thread has made no turn since
 * we first saw the slot full STEAL_AFTER_NS ago.  The watch keeps the
 * thread whose full slot we saw at our last look (NULL: none was full). */
struct watch {
    struct scheduler *victim;
    uint64_t turns, since;
};

static struct process *steal(struct scheduler *s, struct watch *w, uint64_t now)
{
    struct scheduler *v = w->victim;
    if (v == NULL || atomic_load_explicit(&v->next, memory_order_relaxed) == NULL) {
        w->victim = NULL;
        for (v = atomic_load_explicit(&S.all, memory_order_acquire); v != NULL;
             v = atomic_load_explicit(&v->next_all, memory_order_acquire))
            if (v != s && atomic_load_explicit(&v->next, memory_order_relaxed) != NULL) {
                w->victim = v;
                w->turns = atomic_load_explicit(&v->turns, memory_order_relaxed);
                w->since = now;
                break;
            }
        return NULL;
    }
    uint64_t turns = atomic_load_explicit(&v->turns, memory_order_relaxed);
    if (turns != w->turns) { /* it moved on: watch it afresh */
        w->turns = turns;
        w->since = now;
        return NULL;
    }
    if (now - w->since < STEAL_AFTER_NS)
        return NULL;
    struct process *p = atomic_load_explicit(&v->next, memory_order_acquire);
    /* Acquire (on success): p's fields, as its scheduler left them. */
    if (p == NULL || !atomic_compare_exchange_strong_explicit(&v->next, &p, NULL,
                                                              memory_order_acquire,
                                                              memory_order_relaxed))
        return NULL;
    w->victim = NULL;
    return p;
}

/* The next thing to do: a fiber to resume or a process to run; false
 * when the runtime stops and no fiber of ours is parked.  The order: the
 * server just made runnable here (cache-hot), fibers whose wait is over,
 * handlers that yielded, our ring, the shared queue, then other threads'
 * work.  A streak of next-slot turns gives the others a turn now and
 * then, and the shared queue goes first once every SHARED_EVERY turns. */
_Thread_local struct srv__sent_run *srv__sent_run;
_Thread_local bool srv__sched_reads_unheld;

/* Adds the sends this thread has counted to their process's total. */
static void flush_sent(struct scheduler *s)
{
    if (s->sent.count == 0)
        return;
    struct process *p = srv__process_get(s->sent.to);
    if (p != NULL) { /* relaxed: a count that orders nothing */
        atomic_fetch_add_explicit(&p->sent, s->sent.count, memory_order_relaxed);
        srv__process_put(p);
    }
    s->sent.count = 0;
}

void srv__sched_count_sent(struct process *p)
{
    struct scheduler *s = self;
    if (s == NULL) { /* relaxed: see flush_sent */
        atomic_fetch_add_explicit(&p->sent, 1, memory_order_relaxed);
        return;
    }
    if (s->sent.count != 0 && srv__pid_same(s->sent.to, p->pid)) {
        s->sent.count++;
        return;
    }
    flush_sent(s);
    s->sent.to = p->pid;
    s->sent.count = 1;
}

/* Between turns: no handler of ours holds a process it found without a
 * hold (srv__process_peek); ended ones may go. */
static void quiescent(struct scheduler *s)
{
    srv__epoch_quiescent(s->reader);
    srv__process_reclaim();
}

static bool next_work(struct scheduler *s, struct fiber **fiber, struct process **process)
{
    flush_sent(s); /* what the last turn's handlers sent */
    quiescent(s);
    atomic_store_explicit(&s->turns, atomic_load_explicit(&s->turns, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    *fiber = NULL;
    *process = NULL;
    if (s->next_streak < NEXT_STREAK && (*process = take_next(s)) != NULL) {
        s->next_streak++;
        return true;
    }
    s->next_streak = 0;
    expire_deadlines(s);
    uint64_t turns = atomic_load_explicit(&s->turns, memory_order_relaxed);
    if ((turns % SHARED_EVERY == 0 && (*process = dequeue()) != NULL) ||
        (*fiber = take_ready(s)) != NULL || (*fiber = take_yielded(s)) != NULL ||
        (*process = take_next(s)) != NULL || (*process = ring_take(s)) != NULL ||
        (*process = dequeue()) != NULL)
        return true;
    uint64_t spin_until = 0;
    struct watch watch = {0};
    for (;;) {
        quiescent(s);
        uint64_t deadline = expire_deadlines(s);
        if ((*fiber = take_ready(s)) != NULL || (*process = dequeue()) != NULL ||
            (*process = steal_from_rings(s)) != NULL)
            break;
        if (atomic_load_explicit(&S.stopping, memory_order_relaxed) && s->parked == 0)
            break;
        uint64_t now = srv__now_ns();
        if ((*process = steal(s, &watch, now)) != NULL)
            break;
        if (spin_until == 0)
            spin_until = now + IDLE_SPIN_NS;
        if (now < spin_until) {
            sched_yield();
        } else {
            if (watch.victim != NULL) { /* a next slot is full: look again soon */
                uint64_t soon = now + SLEEP_STEAL_NS;
                deadline = deadline < soon ? deadline : soon;
            }
            sleep_until(s, deadline);
        }
    }
    return *fiber != NULL || *process != NULL;
}

/* A handler sent another message: every SEND_BUDGET sends, while a
 * server waits in this thread's next slot, it yields to it (and to the
 * others ready here) and carries on after them. */
void srv__sched_sent(void)
{
    struct scheduler *s = self;
    if (s == NULL || atomic_load_explicit(&s->next, memory_order_relaxed) == NULL ||
        ++s->sends < SEND_BUDGET || !srv__fiber_reserve())
        return;
    s->sends = 0;
    struct fiber *f = srv__fiber_running();
    struct process *current = srv__current_or_null();
    f->next = NULL;
    if (s->yielded_last != NULL)
        s->yielded_last->next = f;
    else
        s->yielded_first = f;
    s->yielded_last = f;
    srv__set_current(NULL);
    srv__fiber_switch(f, srv__fiber_new(loop_entry, s, s), false);
    after_switch(s);
    srv__set_current(current);
}

/* Leaves the idle fiber we are on for f, for good: ours goes back to the
 * pool, and f's own loop carries on once its handler is done. */
static SRV_NORETURN void resume(struct scheduler *s, struct fiber *f)
{
    struct fiber *idle = srv__fiber_running();
    s->recycle = idle;
    srv__fiber_switch(idle, f, true);
    srv__fatal("srv: a finished fiber was resumed");
}

/* Whether this thread leaves, the runtime stopping: decided under S.lock,
 * where srv__sched_start counts the threads, so that a restart after a
 * srv__sched_stop that stopped waiting either keeps this thread (stopping
 * cleared) or no longer counts it. */
static bool leave(struct scheduler *s)
{
    pthread_mutex_lock(&S.lock);
    bool go = atomic_load_explicit(&S.stopping, memory_order_relaxed);
    if (go) {
        s->left = true;
        S.threads--;
        pthread_cond_broadcast(&S.quiet);
    }
    pthread_mutex_unlock(&S.lock);
    return go;
}

static SRV_NORETURN void loop_run(struct scheduler *s)
{
    struct fiber *fiber;
    struct process *process;
    do
        while (next_work(s, &fiber, &process)) {
            if (fiber != NULL)
                resume(s, fiber);
            srv__run_batch(process);
        }
    while (!leave(s));
    /* Stopping: back to the thread's own stack, for good. */
    struct fiber *last = srv__fiber_running();
    s->recycle = last;
    srv__fiber_switch(last, s->thread, true);
    srv__fatal("srv: a finished scheduler loop was resumed");
}

static void loop_entry(void *arg)
{
    struct scheduler *s = arg;
    srv__fiber_entered();
    after_switch(s);
    loop_run(s);
}

void srv__sched_loop(void)
{
    loop_run(self);
}

void srv__sched_resumed(void)
{
    if (self != NULL)
        after_switch(self);
}

/* A handler's fiber that its caller left (inline.c): it runs here when
 * we are a scheduler thread, as it always has; a plain thread's goes to
 * a scheduler thread, taken in turn. */
void srv__sched_adopt(struct fiber *f)
{
    static _Atomic unsigned turn;
    struct scheduler *s = self;
    if (s == NULL) {
        srv__sched_ensure_started();
        unsigned n = atomic_fetch_add_explicit(&turn, 1, memory_order_relaxed);
        pthread_mutex_lock(&S.lock);
        unsigned k = S.threads > 0 ? n % S.threads : 0;
        for (struct scheduler *v = atomic_load_explicit(&S.all, memory_order_relaxed);
             v != NULL; v = atomic_load_explicit(&v->next_all, memory_order_relaxed))
            if (v->in_use && !v->left && (s == NULL || k-- > 0))
                s = v;
        pthread_mutex_unlock(&S.lock);
        if (s == NULL)
            srv__fatal("srv: no scheduler thread to carry on a blocked handler");
    }
    f->owner = s;
    srv__sched_wake(f);
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    self = s;
    srv__sent_run = &s->sent;
    /* Out of memory for a reader, its handlers find processes by holds. */
    s->reader = srv__epoch_reader();
    srv__sched_reads_unheld = s->reader != NULL;
    srv__overflow_watch_thread();
    /* Out of memory for its first stack, the thread waits for some (the
     * other threads run the servers meanwhile: nothing is queued to this
     * one before it runs), or for the runtime to stop. */
    struct fiber *first = NULL;
    while ((s->thread = srv__fiber_thread()) == NULL ||
           (first = srv__fiber_new(loop_entry, s, s)) == NULL) {
        if (atomic_load_explicit(&S.stopping, memory_order_acquire) && leave(s))
            break; /* no stack, no loop: leave() is said here */
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (first != NULL) { /* the loop says leave() when it ends */
        srv__fiber_switch(s->thread, first, false);
        after_switch(s);
    }
    flush_sent(s);
    srv__inline_thread_done();
    srv__fiber_thread_done();
    srv__overflow_unwatch_thread();
    self = NULL;
    srv__sent_run = NULL;
    srv__sched_reads_unheld = false;
    if (s->reader != NULL)
        srv__epoch_release(s->reader);
    s->reader = NULL;
    pthread_mutex_lock(&S.lock);
    s->in_use = false; /* S.threads no longer counts it (leave) */
    pthread_mutex_unlock(&S.lock);
    return NULL;
}

/* A scheduler for a new thread: a retired one, or a new one. */
static struct scheduler *scheduler_take_locked(void)
{
    for (struct scheduler *s = atomic_load_explicit(&S.all, memory_order_relaxed);
         s != NULL; s = atomic_load_explicit(&s->next_all, memory_order_relaxed))
        if (!s->in_use) {
            s->in_use = true;
            s->left = false;
            return s;
        }
    struct scheduler *s = srv__calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->in_use = true;
    atomic_store_explicit(&s->next_all, atomic_load_explicit(&S.all, memory_order_relaxed),
                          memory_order_relaxed);
    /* Release: wakers walking the list see the scheduler's fields. */
    atomic_store_explicit(&S.all, s, memory_order_release);
    return s;
}

static bool start_thread_locked(void)
{
    struct scheduler *s = scheduler_take_locked();
    if (s == NULL)
        return false;
    bool ok = srv__thread_start_detached(scheduler_main, s);
    if (ok)
        S.threads++;
    else
        s->in_use = false;
    return ok;
}

static unsigned default_schedulers(void)
{
    const char *env = getenv("SRV_SCHEDULERS");
    if (env != NULL && *env != '\0') {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0 && n <= 1024)
            return (unsigned)n;
        char text[160];
        snprintf(text, sizeof text,
                 "srv: SRV_SCHEDULERS=%.40s is not a number from 1 to 1024; "
                 "one scheduler per CPU\n", env);
        srv__log(SRV_LOG_WARNING, text);
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (unsigned)cpus : 1;
}

int srv__sched_start(unsigned n)
{
    int status = 0;
    pthread_mutex_lock(&S.lock);
    if (!atomic_load_explicit(&S.started, memory_order_relaxed)) {
        atomic_store_explicit(&S.stopping, false, memory_order_relaxed);
        unsigned target = n > 0 ? n : default_schedulers();
        while (S.threads < target)
            if (!start_thread_locked()) {
                status = -1;
                break;
            }
        /* Release: a thread that sees started also sees the threads. */
        atomic_store_explicit(&S.started, true, memory_order_release);
    }
    pthread_mutex_unlock(&S.lock);
    return status;
}

void srv__sched_ensure_started(void)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        srv__sched_start(0);
}

/* A thread still in a handler when the deadline passes cannot be made to
 * leave it: it is left running, with `stopping` still set, and leaves once
 * its handler returns (or, if the runtime is started again first, goes on
 * as one of its schedulers, counted in S.threads). */
bool srv__sched_stop(uint64_t deadline_ns)
{
    pthread_mutex_lock(&S.lock);
    if (!atomic_load_explicit(&S.started, memory_order_relaxed)) {
        pthread_mutex_unlock(&S.lock);
        return true;
    }
    atomic_store_explicit(&S.stopping, true, memory_order_seq_cst);
    for (struct scheduler *s = atomic_load_explicit(&S.all, memory_order_relaxed);
         s != NULL; s = atomic_load_explicit(&s->next_all, memory_order_relaxed))
        if (s->in_use)
            wake_thread(s);
    struct timespec until = {0};
    if (deadline_ns != UINT64_MAX) {
        /* S.quiet waits on CLOCK_REALTIME: the time left, from now. */
        uint64_t now = srv__now_ns(), left = deadline_ns > now ? deadline_ns - now : 0;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + left % 1000000000u;
        until.tv_sec += (time_t)(left / 1000000000u + ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
    }
    while (S.threads > 0)
        if (deadline_ns == UINT64_MAX)
            pthread_cond_wait(&S.quiet, &S.lock);
        else if (pthread_cond_timedwait(&S.quiet, &S.lock, &until) != 0)
            break;
    bool stopped = S.threads == 0;
    atomic_store_explicit(&S.started, false, memory_order_relaxed);
    if (stopped)
        atomic_store_explicit(&S.stopping, false, memory_order_relaxed);
    pthread_mutex_unlock(&S.lock);
    return stopped;
}

/* fork: the child has no scheduler threads; the first use starts new ones.
 * Each scheduler record is cleared for reuse, its deadline heap kept. */
void srv__sched_fork(enum srv_fork_phase phase)
{
    if (!srv__fork_lock(phase, &S.lock))
    return;
    for (struct scheduler *s = atomic_load_explicit(&S.all, memory_order_relaxed);
         s != NULL; s = atomic_load_explicit(&s->next_all, memory_order_relaxed)) {
        struct scheduler *next_all = atomic_load_explicit(&s->next_all, memory_order_relaxed);
        struct fiber **deadlines = s->deadlines;
        size_t cap = s->cap_deadlines;
        memset(s, 0, sizeof *s);
        atomic_store_explicit(&s->next_all, next_all, memory_order_relaxed);
        s->deadlines = deadlines;
        s->cap_deadlines = cap;
    }
    S.head = S.tail = NULL;
    atomic_store_explicit(&S.queued, 0, memory_order_relaxed);
    S.threads = 0;
    atomic_store_explicit(&S.sleepers, 0, memory_order_relaxed);
    atomic_store_explicit(&S.started, false, memory_order_relaxed);
    atomic_store_explicit(&S.stopping, false, memory_order_relaxed);
    S.quiet = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    self = NULL;
    srv__sent_run = NULL;
    srv__sched_reads_unheld = false; /* readers: srv__epoch_fork */
}
