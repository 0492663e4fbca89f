/*
 * alloc.c: the runtime's one allocation point, and the tests' injector of
 * allocation failures (alloc.h).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* The allocations left before the one that fails; 0: the injector is off.
 * Relaxed: a test arms it and reads the outcome from its own thread; which
 * thread's allocation fails among several racing ones does not matter. */
_Atomic unsigned long srv__alloc_countdown;
static _Atomic bool failed;
/* srv__alloc_fail_after_here: only the thread that armed it counts,
 * known by the address of its mark; NULL: every thread. */
static _Thread_local char thread_mark;
static _Atomic(const char *) only_thread;

/* The injector is on: counts this allocation down. */
bool srv__alloc_inject_now(void)
{
    const char *only = atomic_load_explicit(&only_thread, memory_order_relaxed);
    if (only != NULL && only != &thread_mark)
        return false;
    unsigned long left = atomic_load_explicit(&srv__alloc_countdown, memory_order_relaxed);
    while (left != 0)
        if (atomic_compare_exchange_weak_explicit(&srv__alloc_countdown, &left, left - 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
            if (left != 1)
                return false;
            atomic_store_explicit(&failed, true, memory_order_relaxed);
            return true;
        }
    return false;
}

void *srv__malloc(size_t size)
{
    return srv__alloc_inject() ? NULL : malloc(size);
}

void *srv__calloc(size_t count, size_t size)
{
    return srv__alloc_inject() ? NULL : calloc(count, size);
}

void *srv__realloc(void *block, size_t size)
{
    return srv__alloc_inject() ? NULL : realloc(block, size);
}

char *srv__strdup(const char *s)
{
    return srv__alloc_inject() ? NULL : strdup(s);
}

void srv__free(void *block)
{
    free(block);
}

static void arm(unsigned long nth, bool here)
{
    atomic_store_explicit(&srv__alloc_countdown, 0, memory_order_relaxed);
    atomic_store_explicit(&only_thread, here ? &thread_mark : NULL, memory_order_relaxed);
    atomic_store_explicit(&failed, false, memory_order_relaxed);
    atomic_store_explicit(&srv__alloc_countdown, nth, memory_order_relaxed);
}

void srv__alloc_fail_after(unsigned long nth)
{
    arm(nth, false);
}

void srv__alloc_fail_after_here(unsigned long nth)
{
    arm(nth, true);
}

bool srv__alloc_failed(void)
{
    return atomic_load_explicit(&failed, memory_order_relaxed);
}
