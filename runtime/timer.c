/*
 * timer.c: one timer thread for callback timeouts (loop.c), send_after
 * (call.c) and start timeouts (start.c).
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

uint64_t srv__timer_start(uint64_t deadline_ns, timer_fn fn, void *arg)
{
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&changed, &attr);
        pthread_condattr_destroy(&attr);
        stopping = false;
        if (pthread_create(&thread, NULL, timer_main, NULL) != 0) {
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
    heap[count] = (struct timer){deadline_ns, ref, fn, arg};
    sift_up(count++);
    if (heap[0].ref == ref)
        pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    return ref;
}

bool srv__timer_cancel(uint64_t ref)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count; i++)
        if (heap[i].ref == ref) {
            struct timer t = remove_at(i);
            pthread_mutex_unlock(&lock);
            t.fn(t.arg, false);
            return true;
        }
    pthread_mutex_unlock(&lock);
    return false;
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
/* send_after and sleep                                                    */

srv_status srv_cancel_timer(srv_timer_ref ref)
{
    return srv__timer_cancel(ref) ? SRV_OK : SRV_ENOPROC;
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
