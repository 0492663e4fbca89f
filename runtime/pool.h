/*
 * pool.h: blocks for envelopes from per-thread caches (pool.c).
 */
#ifndef SRV_POOL_H
#define SRV_POOL_H

#include <stddef.h>

/* NULL when out of memory. */
void *srv__pool_alloc(size_t size);
/* Any thread: back to the cache of the thread that allocated it. */
void srv__pool_free(void *block);
size_t srv__pool_caches(void); /* caches made so far (for tests) */

#endif /* SRV_POOL_H */
