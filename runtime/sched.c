/*
 * sched.c: the scheduler threads.
 *
 * A server with mail is SCHEDULED and waits in a run queue until a
 * scheduler thread runs a batch of its messages.  A server scheduled by a
 * scheduler thread goes to that thread's `next` slot, to run right after
 * the current one on the same core (a call between two servers wakes no
 * thread); everything else goes to the shared queue.  Idle threads spin
 * briefly, then sleep on a condition variable.
 *
 * A handler that blocks (waiting for a reply) blocks its thread; so that
 * the other servers keep running, the scheduler keeps `target` threads
 * unblocked by starting spare threads, which leave again once they have
 * been idle for a while with enough others unblocked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define IDLE_SPIN_NS 20000           /* spin this long before sleeping */
#define SPARE_LINGER_NS 200000000ull /* a spare leaves after 200 ms idle */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;          /* signalled when the queue gains work */
    pthread_cond_t quiet;         /* signalled when a thread leaves */
    struct process *head, *tail;  /* the shared run queue */
    _Atomic size_t queued;        /* its length, read without the lock */
    unsigned target;              /* threads that should be unblocked */
    unsigned threads;             /* running scheduler threads */
    unsigned blocked;             /* of those, blocked in a wait */
    unsigned sleeping;            /* of those, asleep on `work` */
    _Atomic unsigned idle;        /* threads looking for work (spinning or asleep) */
    _Atomic bool started;
    bool stopping;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .quiet = PTHREAD_COND_INITIALIZER};

static _Thread_local bool on_scheduler;
static _Thread_local struct process *next_process;

bool srv__on_scheduler(void)
{
    return on_scheduler;
}

static void enqueue_locked(struct process *p)
{
    p->next_run = NULL;
    if (S.tail != NULL)
        S.tail->next_run = p;
    else
        S.head = p;
    S.tail = p;
    atomic_fetch_add_explicit(&S.queued, 1, memory_order_release);
    if (S.sleeping > 0)
        pthread_cond_signal(&S.work);
}

static struct process *dequeue_locked(void)
{
    struct process *p = S.head;
    if (p != NULL) {
        S.head = p->next_run;
        if (S.head == NULL)
            S.tail = NULL;
        atomic_fetch_sub_explicit(&S.queued, 1, memory_order_relaxed);
    }
    return p;
}

void srv__schedule(struct process *p)
{
    /* Run it next on this thread, unless another thread is idle and can
     * run it now, beside us (a producer and its consumer on two cores). */
    if (on_scheduler && next_process == NULL &&
        atomic_load_explicit(&S.idle, memory_order_relaxed) == 0) {
        next_process = p;
        return;
    }
    srv__sched_ensure_started();
    pthread_mutex_lock(&S.lock);
    enqueue_locked(p);
    pthread_mutex_unlock(&S.lock);
}

static void *scheduler_main(void *arg);

static void start_thread_locked(void)
{
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, scheduler_main, NULL) == 0)
        S.threads++;
    pthread_attr_destroy(&attr);
}

/* Whether the calling thread is one too many and may leave. */
static bool surplus_locked(void)
{
    return S.threads - S.blocked > S.target;
}

static struct process *next_work(void)
{
    struct process *p = next_process;
    if (p != NULL) {
        next_process = NULL;
        return p;
    }
    uint64_t spin_until = srv__now_ns() + IDLE_SPIN_NS;
    atomic_fetch_add_explicit(&S.idle, 1, memory_order_relaxed);
    for (;;) {
        if (atomic_load_explicit(&S.queued, memory_order_acquire) > 0) {
            pthread_mutex_lock(&S.lock);
            p = dequeue_locked();
            pthread_mutex_unlock(&S.lock);
            if (p != NULL) {
                atomic_fetch_sub_explicit(&S.idle, 1, memory_order_relaxed);
                return p;
            }
        }
        if (srv__now_ns() >= spin_until)
            break;
        sched_yield();
    }
    pthread_mutex_lock(&S.lock);
    uint64_t idle_since = srv__now_ns();
    while ((p = dequeue_locked()) == NULL && !S.stopping) {
        if (surplus_locked() && srv__now_ns() - idle_since >= SPARE_LINGER_NS)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000; /* look again in 100 ms */
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        S.sleeping++;
        pthread_cond_timedwait(&S.work, &S.lock, &until);
        S.sleeping--;
    }
    pthread_mutex_unlock(&S.lock);
    atomic_fetch_sub_explicit(&S.idle, 1, memory_order_relaxed);
    return p;
}

static void *scheduler_main(void *arg)
{
    (void)arg;
    on_scheduler = true;
    srv__overflow_watch_thread();
    for (;;) {
        struct process *p = next_work();
        if (p == NULL)
            break;
        srv__run_batch(p);
    }
    on_scheduler = false;
    srv__overflow_unwatch_thread();
    pthread_mutex_lock(&S.lock);
    S.threads--;
    pthread_cond_broadcast(&S.quiet);
    pthread_mutex_unlock(&S.lock);
    return NULL;
}

static unsigned default_schedulers(void)
{
    const char *env = getenv("SRV_SCHEDULERS");
    if (env != NULL) {
        long n = strtol(env, NULL, 10);
        if (n > 0 && n <= 1024)
            return (unsigned)n;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (unsigned)cpus : 1;
}

int srv__sched_start(unsigned n)
{
    pthread_mutex_lock(&S.lock);
    if (!atomic_load_explicit(&S.started, memory_order_relaxed)) {
        S.stopping = false;
        S.target = n > 0 ? n : default_schedulers();
        while (S.threads < S.target)
            start_thread_locked();
        /* Release: a thread that sees started also sees the threads. */
        atomic_store_explicit(&S.started, true, memory_order_release);
    }
    pthread_mutex_unlock(&S.lock);
    return 0;
}

void srv__sched_ensure_started(void)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        srv__sched_start(0);
}

void srv__sched_block_enter(void)
{
    if (!on_scheduler)
        return;
    pthread_mutex_lock(&S.lock);
    /* What this thread would have run next must not wait for it. */
    if (next_process != NULL) {
        enqueue_locked(next_process);
        next_process = NULL;
    }
    S.blocked++;
    if (!S.stopping && S.threads - S.blocked < S.target)
        start_thread_locked();
    pthread_mutex_unlock(&S.lock);
}

void srv__sched_block_exit(void)
{
    if (!on_scheduler)
        return;
    pthread_mutex_lock(&S.lock);
    S.blocked--;
    pthread_mutex_unlock(&S.lock);
}

void srv__sched_stop(void)
{
    pthread_mutex_lock(&S.lock);
    if (!atomic_load_explicit(&S.started, memory_order_relaxed)) {
        pthread_mutex_unlock(&S.lock);
        return;
    }
    S.stopping = true;
    pthread_cond_broadcast(&S.work);
    while (S.threads > 0)
        pthread_cond_wait(&S.quiet, &S.lock);
    atomic_store_explicit(&S.started, false, memory_order_relaxed);
    S.stopping = false;
    pthread_mutex_unlock(&S.lock);
}
