/*
 * slab.c: blocks by size class, for what each process has: the process,
 * its extra part and link record, the pool's envelope blocks.
 *
 * malloc puts a header before each block and rounds it up: a process of
 * 128 bytes took 144.  Here a class holds blocks of one size (a multiple
 * of 16), carved from 64 KB chunks (mmap'd: memory the slab never gives
 * back needs no malloc header, and comes zeroed, so a block never used
 * is handed out without a memset) and kept on a free list when given back;
 * each thread keeps a few free blocks of each class, so that the lock is
 * taken once per BATCH starts or exits, never per message.  Memory given
 * back stays in its class for the next process, as the process table's
 * slots do.  Larger blocks, and every block under a sanitizer (so that
 * it sees each one), go to the runtime's allocator.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <stdalign.h>
#include <stdbool.h>
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

/* One lock for every class, taken once per BATCH starts or exits of a
 * thread: each thread keeps up to CACHE_MAX free blocks of each class of
 * its own, as pool.c keeps envelopes. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slab_class classes[CLASSES];

#define BATCH 32
#define CACHE_MAX (2 * BATCH)

/* A thread's blocks of one class: those given back, and a run of blocks
 * never used, still zero from the chunk's mmap. */
struct class_cache {
    struct free_block *free;
    unsigned count; /* on free */
    unsigned char *fresh, *fresh_end;
};

struct thread_cache {
    struct class_cache class[CLASSES];
    bool registered; /* its thread's end gives its blocks back */
};

static _Thread_local struct thread_cache mine;

static size_t class_of(size_t size)
{
    return (size + ALIGN - 1) / ALIGN - 1;
}

static size_t block_size(size_t c)
{
    return (c + 1) * ALIGN;
}

/* b goes on the shared free list of class c.  Under the lock. */
static void give_back(size_t c, struct free_block *b)
{
    b->next = classes[c].free;
    classes[c].free = b;
}

/* The thread's end: its blocks go back to the shared lists.  A block
 * freed after this (another key's destructor ending a process) registers
 * the cache again, and the thread's next round of destructors takes it. */
static void cache_flush(void *arg)
{
    struct thread_cache *t = arg;
    pthread_mutex_lock(&lock);
    for (size_t c = 0; c < CLASSES; c++) {
        struct class_cache *m = &t->class[c];
        for (; m->fresh < m->fresh_end; m->fresh += block_size(c))
            give_back(c, (struct free_block *)m->fresh);
        while (m->free != NULL) {
            struct free_block *b = m->free;
            m->free = b->next;
            give_back(c, b);
        }
        m->count = 0;
    }
    pthread_mutex_unlock(&lock);
    t->registered = false;
}

static struct srv_thread_end cache_end = SRV_THREAD_END(cache_flush);

static void cache_register(struct thread_cache *t)
{
    srv__at_thread_end(&cache_end, t);
    t->registered = true;
}

/* Blocks of class c for t: up to BATCH from the shared free list, or
 * else a run of BATCH never used from the newest chunk; false when there
 * is none and no memory for a chunk. */
static bool refill(struct thread_cache *t, size_t c)
{
    size_t size = block_size(c);
    struct slab_class *k = &classes[c];
    struct class_cache *m = &t->class[c];
    if (!t->registered)
        cache_register(t);
    pthread_mutex_lock(&lock);
    unsigned n = 0;
    for (; n < BATCH && k->free != NULL; n++) {
        struct free_block *b = k->free;
        k->free = b->next;
        b->next = m->free;
        m->free = b;
    }
    m->count += n;
    if (n == 0) {
        if (k->bump == NULL || (size_t)(k->end - k->bump) < size) {
            /* The chunk's tail, too small for a block, is left unused.  Its
             * pages are populated here, at once: a mass start would
             * otherwise fault once per page as blocks are carved. */
            unsigned char *chunk = mmap(NULL, CHUNK_SIZE, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            if (chunk != MAP_FAILED) {
                /* Pages are aligned for any type; blocks of 16-byte
                 * multiples keep it. */
                k->bump = chunk;
                k->end = chunk + CHUNK_SIZE;
            }
        }
        size_t run = (size_t)(k->end - k->bump) / size;
        if (run > BATCH)
            run = BATCH;
        m->fresh = k->bump;
        m->fresh_end = k->bump += run * size;
        n = (unsigned)run;
    }
    pthread_mutex_unlock(&lock);
    return n > 0;
}

/* t holds too many blocks of class c: BATCH of them go back. */
static void spill(struct thread_cache *t, size_t c)
{
    struct class_cache *m = &t->class[c];
    struct free_block *first = m->free, *last = first;
    for (unsigned i = 1; i < BATCH; i++)
        last = last->next;
    m->free = last->next;
    m->count -= BATCH;
    pthread_mutex_lock(&lock);
    last->next = classes[c].free;
    classes[c].free = first;
    pthread_mutex_unlock(&lock);
}

void *srv__slab_alloc(size_t size)
{
    size_t c = class_of(size);
    if (SLAB_USES_MALLOC || size == 0 || c >= CLASSES)
        return srv__calloc(1, size);
    if (srv__alloc_inject()) /* a block of a slab counts as an allocation */
        return NULL;
    struct thread_cache *t = &mine;
    struct class_cache *m = &t->class[c];
    for (;;) {
        if (m->free != NULL) {
            struct free_block *b = m->free;
            m->free = b->next;
            m->count--;
            return memset(b, 0, block_size(c));
        }
        if (m->fresh < m->fresh_end) {
            void *b = m->fresh;
            m->fresh += block_size(c);
            return b; /* zero since its chunk's mmap */
        }
        if (!refill(t, c))
            return NULL;
    }
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
    struct thread_cache *t = &mine;
    struct class_cache *m = &t->class[c];
    if (!t->registered)
        cache_register(t);
    struct free_block *b = block;
    b->next = m->free;
    m->free = b;
    if (++m->count > CACHE_MAX)
        spill(t, c);
}

/* fork: the shared lists are whole in the child, which goes on using
 * them, and the forking thread's cache with them (other threads' caches
 * stay unused there). */
void srv__slab_fork(enum srv_fork_phase phase)
{
    srv__fork_lock(phase, &lock);
}
