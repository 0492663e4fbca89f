/*
 * test_os.c: the ground floor's own primitives (runtime/os.h) that no
 * server test reaches on every path: the word lock under contention,
 * where its holders are preempted and its waiters sleep on the futex.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "os.h"
#include "support.h"

enum { LOCKERS = 4, ROUNDS = 100000 };

static struct word_lock lock;
static long guarded;           /* written only under the lock, non-atomically */
static _Atomic long slept_on;  /* rounds that found the lock marked with sleepers */

static void *locker(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        srv__word_lock(&lock);
        if (atomic_load_explicit(&lock.word, memory_order_relaxed) == 2)
            atomic_fetch_add_explicit(&slept_on, 1, memory_order_relaxed);
        long seen = guarded;
        /* Now and then the holder gives its core away inside the lock, so
         * that the others run out of spins and sleep. */
        if ((i + id) % 1000 == 0)
            sched_yield();
        guarded = seen + 1;
        srv__word_unlock(&lock);
    }
    return NULL;
}

/* Four threads on the machine's cores take the lock 100,000 times each
 * around a read and a write of a plain counter: no increment may be lost,
 * the lock must end free, and its sleeping path must have been taken
 * (a waiter that never woke would hang the test instead). */
Test(os, word_lock_excludes_and_wakes_its_sleepers, .timeout = T(60))
{
    pthread_t threads[LOCKERS];
    for (long t = 0; t < LOCKERS; t++)
        cr_assert_eq(pthread_create(&threads[t], NULL, locker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < LOCKERS; t++)
        cr_assert_eq(pthread_join(threads[t], NULL), 0);
    cr_assert_eq(guarded, (long)LOCKERS * ROUNDS, "%ld increments lost",
                 (long)LOCKERS * ROUNDS - guarded);
    cr_assert_eq(atomic_load(&lock.word), 0, "the lock ended taken");
    cr_assert_gt(atomic_load(&slept_on), 0, "no waiter ever slept: the futex path went untried");
}
