/*
 * alloc.h: the runtime's one allocation point.
 *
 * Every malloc, calloc, realloc and strdup of libsrv goes through these, so
 * the tests can make the Nth one fail and check that each caller copes:
 * returns SRV_ENOMEM, or has reserved what it needs beforehand.  The
 * injector costs a release build one load and a branch that is never
 * taken.  Stacks are mmap'd (fiber.c) and degrade on their own.
 */
#ifndef SRV_ALLOC_H
#define SRV_ALLOC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

void *srv__malloc(size_t size);
void *srv__calloc(size_t count, size_t size);
void *srv__realloc(void *block, size_t size);
char *srv__strdup(const char *s);
void srv__free(void *block);

/* True when this allocation is the one the injector fails: for pools
 * that hand out memory of their own (pool.c), so that they fail too.
 * Inline: a load and a branch never taken, outside the tests. */
extern _Atomic unsigned long srv__alloc_countdown; /* 0: the injector is off */
bool srv__alloc_inject_now(void);
static inline bool srv__alloc_inject(void)
{
    /* Relaxed: see alloc.c. */
    return __builtin_expect(atomic_load_explicit(&srv__alloc_countdown,
                                                 memory_order_relaxed) != 0, 0) &&
           srv__alloc_inject_now();
}

/* For the tests: the nth allocation from now (1: the next) fails, once;
 * 0 turns the injector off.  srv__alloc_failed says whether it did. */
void srv__alloc_fail_after(unsigned long nth);
/* The same, counting only this thread's allocations: the others' go on
 * as if the injector were off. */
void srv__alloc_fail_after_here(unsigned long nth);
bool srv__alloc_failed(void);

#endif /* SRV_ALLOC_H */
