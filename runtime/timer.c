/*
 * timer.c: one timer thread for callback timeouts (loop.c), send_after
 * and start_timer (call.c) and start timeouts (start.c); reading and
 * cancelling the user's timers, with the time they have left.
 *
 * The thread sleeps until the earliest deadline of a binary heap.
 * Timers are armed only when a server asks for a timeout or a user for
 * send_after, never on a call's fast path.
 *
 * Out of memory, arming a timer fails (ref 0).  A timer that sets itself
 * again from its own callback (a callback timeout that fired early) never
 * does: a callback runs after its timer left the heap, and other timers
 * always leave one free place in it (`spare`), so the re-arm finds room.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "alloc.h"
#include "os.h"
#include "timer.h"

struct timer {
    uint64_t deadline, ref;
    timer_fn fn;
    void *arg;
    bool user;  /* send_after's or start_timer's: srv_read_timer and
                   srv_cancel_timer find it */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static struct timer *heap;
static size_t count, capacity;
static uint64_t next_ref = 1;
static bool running, stopping;
static pthread_t thread;
static _Thread_local bool firing; /* the timer thread, in a callback */

static void swap(size_t a, size_t b)
{
    struct timer t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void sift_up(size_t i)
{
    while (i > 0 && heap[(i - 1) / 2].deadline > heap[i].deadline) {
        swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(size_t i)
{
    for (;;) {
        size_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < count && heap[l].deadline < heap[least].deadline)
            least = l;
        if (r < count && heap[r].deadline < heap[least].deadline)
            least = r;
        if (least == i)
            return;
        swap(i, least);
        i = least;
    }
}

static struct timer remove_at(size_t i)
{
    struct timer t = heap[i];
    heap[i] = heap[--count];
    if (i < count) {
        sift_down(i);
        sift_up(i);
    }
    return t;
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        uint64_t now = srv__now_ns();
        if (count > 0 && heap[0].deadline <= now) {
            struct timer t = remove_at(0);
            pthread_mutex_unlock(&lock);
            firing = true;
            t.fn(t.arg, true);
            firing = false;
            pthread_mutex_lock(&lock);
            continue;
        }
        if (count == 0) {
            pthread_cond_wait(&changed, &lock);
        } else {
            uint64_t left = heap[0].deadline - now;
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            uint64_t ns = (uint64_t)until.tv_nsec + left % 1000000000u;
            until.tv_sec += (time_t)(left / 1000000000u + ns / 1000000000u);
            until.tv_nsec = (long)(ns % 1000000000u);
            pthread_cond_timedwait(&changed, &lock, &until);
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Arms a timer, the user's or the runtime's own; 0 when out of memory.
 * The ref is written to *ref_slot (when not NULL) under the lock, before
 * the timer can fire: a callback that reads it there finds it written. */
static uint64_t arm(uint64_t deadline_ns, timer_fn fn, void *arg, bool user,
                    uint64_t *ref_slot)
{
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&changed, &attr);
        pthread_condattr_destroy(&attr);
        stopping = false;
        if (srv__thread_create(&thread, NULL, timer_main, NULL) != 0) {
            pthread_cond_destroy(&changed);
            pthread_mutex_unlock(&lock);
            return 0;
        }
        running = true;
    }
    /* One place stays free for a callback's re-arm (see the top). */
    size_t spare = firing ? 0 : 1;
    if (count + spare >= capacity) {
        size_t more = capacity ? capacity * 2 : 64;
        struct timer *bigger = srv__realloc(heap, more * sizeof *heap);
        if (bigger == NULL && count == capacity) {
            pthread_mutex_unlock(&lock);
            return 0;
        }
        if (bigger != NULL) {
            heap = bigger;
            capacity = more;
        } else if (spare) {
            pthread_mutex_unlock(&lock);
            return 0;
        }
    }
    uint64_t ref = next_ref++;
    if (ref_slot != NULL)
        *ref_slot = ref;
    heap[count] = (struct timer){deadline_ns, ref, fn, arg, user};
    sift_up(count++);
    if (heap[0].ref == ref)
        pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    return ref;
}

uint64_t srv__timer_start(uint64_t deadline_ns, timer_fn fn, void *arg)
{
    return arm(deadline_ns, fn, arg, false, NULL);
}

uint64_t srv__timer_start_user(uint64_t deadline_ns, timer_fn fn, void *arg,
                               uint64_t *ref_slot)
{
    return arm(deadline_ns, fn, arg, true, ref_slot);
}

/* Where the pending timer of ref is in the heap (a user's only, when
 * user_only), or count once it fired or was cancelled.  Under the lock. */
static size_t position(uint64_t ref, bool user_only)
{
    size_t i = 0;
    while (i < count && (heap[i].ref != ref || (user_only && !heap[i].user)))
        i++;
    return i;
}

/* Takes the pending timer of ref out of the heap into *t; false once it
 * fired or was cancelled. */
static bool take(uint64_t ref, bool user_only, struct timer *t)
{
    pthread_mutex_lock(&lock);
    size_t i = position(ref, user_only);
    bool found = i < count;
    if (found)
        *t = remove_at(i);
    pthread_mutex_unlock(&lock);
    return found;
}

bool srv__timer_cancel(uint64_t ref)
{
    struct timer t;
    if (!take(ref, false, &t))
        return false;
    t.fn(t.arg, false);
    return true;
}

size_t srv__timer_pending(void)
{
    pthread_mutex_lock(&lock);
    size_t n = count;
    pthread_mutex_unlock(&lock);
    return n;
}

void srv__timer_stop(void)
{
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_mutex_unlock(&lock);
        return;
    }
    stopping = true;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    pthread_mutex_lock(&lock);
    while (count > 0) {
        struct timer t = remove_at(count - 1);
        t.fn(t.arg, false);
    }
    running = false;
    pthread_cond_destroy(&changed);
    pthread_mutex_unlock(&lock);
}

/* ---------------------------------------------------------------------- */
/* The user's timers: the time left, and cancelling                       */

/* Milliseconds from now to deadline_ns, rounded up: 0 only once it is
 * due. */
static long left_ms(uint64_t deadline_ns)
{
    uint64_t now = srv__now_ns();
    return deadline_ns <= now ? 0 : (long)((deadline_ns - now + 999999) / 1000000);
}

/* Only the timers of send_after and start_timer are the user's to read
 * and cancel: a ref of the runtime's own (a callback timeout, a start
 * timeout) is not found. */
srv_status srv_read_timer(srv_timer_ref ref, long *left)
{
    if (left == NULL)
        return SRV_EINVAL;
    pthread_mutex_lock(&lock);
    size_t i = position(ref, true);
    uint64_t deadline = i < count ? heap[i].deadline : 0;
    pthread_mutex_unlock(&lock);
    if (deadline == 0)
        return SRV_ENOTIMER;
    *left = left_ms(deadline);
    return SRV_OK;
}

srv_status srv_cancel_timer(srv_timer_ref ref, long *left)
{
    struct timer t;
    if (!take(ref, true, &t))
        return SRV_ENOTIMER;
    if (left != NULL)
        *left = left_ms(t.deadline);
    t.fn(t.arg, false);
    return SRV_OK;
}

/* fork: the child has no timer thread and no timers (what they would have
 * sent was for the parent's processes). */
void srv__timer_fork(enum srv_fork_phase phase)
{
    if (!srv__fork_lock(phase, &lock))
        return;
    count = 0;
    running = stopping = firing = false;
}
