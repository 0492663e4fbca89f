/*
 * slab.c: blocks by size class, for processes.
 *
 * malloc puts a header before each block and rounds it up: a process of
 * 128 bytes took 144.  Here a class holds blocks of one size (a multiple
 * of 16), carved from 64 KB chunks and kept on a free list when given
 * back; the lock is taken once per start and once per exit, never
 * per message.  Memory given back stays in its class for the next
 * process, as the process table's slots do.  Larger blocks, and every
 * block under a sanitizer (so that it sees each one), go to the runtime's
 * allocator.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "os.h"
#include "slab.h"

#define ALIGN 16
#define CLASSES 64 /* blocks of 16 .. 1024 bytes */
#define CHUNK_SIZE (64 * 1024)

#if defined(SRV_SANITIZE_ADDRESS) || defined(SRV_SANITIZE_THREAD)
#define SLAB_USES_MALLOC 1
#else
#define SLAB_USES_MALLOC 0
#endif

struct free_block {
    struct free_block *next;
};

struct slab_class {
    struct free_block *free;
    unsigned char *bump, *end; /* the rest of the newest chunk */
};

/* One lock for every class: taken once per start and once per exit. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slab_class classes[CLASSES];

static size_t class_of(size_t size)
{
    return (size + ALIGN - 1) / ALIGN - 1;
}

void *srv__slab_alloc(size_t size)
{
    size_t c = class_of(size);
    if (SLAB_USES_MALLOC || size == 0 || c >= CLASSES)
        return srv__calloc(1, size);
    if (srv__alloc_inject()) /* a block of a slab counts as an allocation */
        return NULL;
    size_t block_size = (c + 1) * ALIGN;
    struct slab_class *k = &classes[c];
    void *block = NULL;
    pthread_mutex_lock(&lock);
    if (k->free != NULL) {
        block = k->free;
        k->free = k->free->next;
    } else {
        if (k->bump == NULL || (size_t)(k->end - k->bump) < block_size) {
            /* The chunk's tail, too small for a block, is left unused. */
            unsigned char *chunk = srv__malloc(CHUNK_SIZE);
            if (chunk == NULL) {
                pthread_mutex_unlock(&lock);
                return NULL;
            }
            /* malloc aligns for any type; blocks of 16-byte multiples keep it. */
            k->bump = chunk;
            k->end = chunk + CHUNK_SIZE;
        }
        block = k->bump;
        k->bump += block_size;
    }
    pthread_mutex_unlock(&lock);
    return memset(block, 0, block_size);
}

void srv__slab_free(void *block, size_t size)
{
    size_t c = class_of(size);
    if (SLAB_USES_MALLOC || size == 0 || c >= CLASSES) {
        srv__free(block);
        return;
    }
    if (block == NULL)
        return;
    struct slab_class *k = &classes[c];
    struct free_block *b = block;
    pthread_mutex_lock(&lock);
    b->next = k->free;
    k->free = b;
    pthread_mutex_unlock(&lock);
}

/* fork: the lists are whole in the child, which goes on using them. */
void srv__slab_fork(enum srv_fork_phase phase)
{
    srv__fork_lock(phase, &lock);
}
