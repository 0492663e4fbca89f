/*
 * slab.h: zeroed blocks of one size class each, without malloc's header
 * (slab.c), for what the runtime makes by the million: processes.
 */
#ifndef SRV_SLAB_H
#define SRV_SLAB_H

#include <stddef.h>

#include "os.h"

/* A zeroed block of at least size bytes, aligned for any type; NULL when
 * out of memory.  Give it back with srv__slab_free and the same size. */
void *srv__slab_alloc(size_t size);
void srv__slab_free(void *block, size_t size);
void srv__slab_fork(enum srv_fork_phase phase);

#endif /* SRV_SLAB_H */
