/*
 * pool.c: envelopes without malloc on the message path.
 *
 * Each thread keeps a free list of fixed-size blocks.  A block remembers
 * the cache it came from; freeing it on its own thread puts it back on the
 * local list (no atomics), freeing it on another thread pushes it onto the
 * owner's `remote` stack (one CAS), and the owner takes that whole stack
 * back with one exchange when its local list runs dry.  A cast is made on
 * the sender's thread and freed on the receiver's, so this is the common
 * case.  Larger envelopes go to malloc.  Out of memory, an allocation
 * returns NULL and the caller answers SRV_ENOMEM.
 */
#include <stdlib.h>

#include "alloc.h"
#include "internal.h"

#define BLOCK_SIZE 256 /* header included: envelopes with up to ~100 bytes of arguments */

struct cache;

struct block {
    struct cache *owner;          /* NULL: a malloc'd large block */
    struct block *_Atomic next;   /* in a free list */
    _Alignas(max_align_t) unsigned char data[];
};

struct cache {
    struct block *local;          /* the owner's own free list */
    struct block *_Atomic remote; /* blocks freed by other threads */
    struct cache *next;           /* every cache, so none is lost */
};

static _Thread_local struct cache *mine;
static struct cache *_Atomic caches;

static struct cache *my_cache(void)
{
    if (mine != NULL)
        return mine;
    struct cache *c = srv__calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    /* Caches live as long as the program: a block freed after its
     * owner's thread ended still has somewhere to go. */
    struct cache *head = atomic_load_explicit(&caches, memory_order_relaxed);
    do
        c->next = head;
    while (!atomic_compare_exchange_weak_explicit(&caches, &head, c, memory_order_release,
                                                  memory_order_relaxed));
    mine = c;
    return c;
}

void *srv__pool_alloc(size_t size)
{
    if (size > BLOCK_SIZE - sizeof(struct block)) {
        struct block *big = srv__malloc(sizeof *big + size);
        if (big == NULL)
            return NULL;
        big->owner = NULL;
        return big->data;
    }
    struct cache *c = my_cache();
    if (c == NULL || srv__alloc_inject()) /* a block from the cache counts too */
        return NULL;
    struct block *b = c->local;
    if (b == NULL)
        /* Acquire: pairs with the release push of each remote free. */
        b = atomic_exchange_explicit(&c->remote, NULL, memory_order_acquire);
    if (b != NULL) {
        c->local = atomic_load_explicit(&b->next, memory_order_relaxed);
        return b->data;
    }
    b = srv__malloc(BLOCK_SIZE);
    if (b == NULL)
        return NULL;
    b->owner = c;
    return b->data;
}

void srv__pool_free(void *data)
{
    struct block *b = (struct block *)((unsigned char *)data - offsetof(struct block, data));
    struct cache *c = b->owner;
    if (c == NULL) {
        srv__free(b);
        return;
    }
    if (c == mine) {
        atomic_store_explicit(&b->next, c->local, memory_order_relaxed);
        c->local = b;
        return;
    }
    struct block *head = atomic_load_explicit(&c->remote, memory_order_relaxed);
    do
        atomic_store_explicit(&b->next, head, memory_order_relaxed);
    /* Release: the owner's acquire exchange sees b's next. */
    while (!atomic_compare_exchange_weak_explicit(&c->remote, &head, b, memory_order_release,
                                                  memory_order_relaxed));
}
