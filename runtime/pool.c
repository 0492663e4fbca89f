/*
 * pool.c: envelopes without malloc on the message path.
 *
 * Each thread keeps a free list of fixed-size blocks on each of two
 * shelves (block sizes).  A block remembers the shelf it came from;
 * freeing it on its own thread puts it back on the local list (no
 * atomics), freeing it on another thread pushes it onto the owner's
 * `remote` stack (one CAS), and the owner takes that whole stack
 * back with one exchange when its local list runs dry.  A cast is made on
 * the sender's thread and freed on the receiver's, so this is the common
 * case.  A cache that runs dry takes a new block from the slab (slab.c);
 * larger envelopes go to malloc.  Out of memory, an allocation returns
 * NULL and the caller answers SRV_ENOMEM.
 *
 * When a thread ends, its cache is orphaned: its free blocks go back to
 * the slab, and so does every block of it freed later (the freer finds the
 * cache orphaned and empties the remote stack itself).  A new thread
 * adopts an orphaned cache before it makes one, so short-lived threads
 * that send leave nothing behind.
 */
#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"
#include "os.h"
#include "pool.h"
#include "slab.h"

/* Two shelves of blocks, header included: a signal (an EXIT, a DOWN, a
 * system message: an envelope without arguments) takes the small one,
 * which matters where each link holds two made in advance; messages with
 * up to ~100 bytes of arguments take the large one. */
enum { SHELVES = 2 };
static const size_t block_sizes[SHELVES] = {128, 256};

struct shelf;

struct block {
    struct shelf *owner;          /* NULL: a malloc'd large block */
    struct block *_Atomic next;   /* in a free list */
    _Alignas(max_align_t) unsigned char data[];
};

struct cache;

struct shelf {
    struct block *local;          /* the owner's own free list */
    struct block *_Atomic remote; /* blocks freed by other threads */
    struct cache *cache;
    size_t block_size;
};

struct cache {
    struct shelf shelves[SHELVES];
    _Atomic bool orphaned;        /* its thread ended; a new one may adopt it */
    struct cache *next;           /* every cache, so none is lost */
};

static _Thread_local struct cache *mine;
static struct cache *_Atomic caches;

static void free_list(struct block *b, size_t block_size)
{
    while (b != NULL) {
        struct block *next = atomic_load_explicit(&b->next, memory_order_relaxed);
        srv__slab_free(b, block_size);
        b = next;
    }
}

/* seq_cst: pairs with orphan's store of orphaned and its exchange (see
 * srv__pool_free): every block pushed goes back to the slab once. */
static void free_remote(struct shelf *s)
{
    free_list(atomic_exchange_explicit(&s->remote, NULL, memory_order_seq_cst), s->block_size);
}

/* The thread's end: its cache's blocks go back to the slab. */
static void orphan(void *arg)
{
    struct cache *c = arg;
    if (c == mine)
        mine = NULL;
    for (size_t i = 0; i < SHELVES; i++) {
        free_list(c->shelves[i].local, c->shelves[i].block_size);
        c->shelves[i].local = NULL;
    }
    atomic_store_explicit(&c->orphaned, true, memory_order_seq_cst);
    for (size_t i = 0; i < SHELVES; i++)
        free_remote(&c->shelves[i]);
}

static struct srv_thread_end cache_end = SRV_THREAD_END(orphan);

/* An orphaned cache, now ours; NULL if none. */
static struct cache *adopt(void)
{
    for (struct cache *c = atomic_load_explicit(&caches, memory_order_acquire); c != NULL;
         c = c->next) {
        bool was = true;
        /* acq_rel: the orphaning thread's last touches happen before ours. */
        if (atomic_load_explicit(&c->orphaned, memory_order_relaxed) &&
            atomic_compare_exchange_strong_explicit(&c->orphaned, &was, false,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed))
            return c;
    }
    return NULL;
}

static struct cache *my_cache(void)
{
    if (mine != NULL)
        return mine;
    struct cache *c = adopt();
    if (c == NULL) {
        c = srv__calloc(1, sizeof *c);
        if (c == NULL)
            return NULL;
        for (size_t i = 0; i < SHELVES; i++)
            c->shelves[i] = (struct shelf){.cache = c, .block_size = block_sizes[i]};
        /* Caches live as long as the program, orphaned or adopted: a block
         * freed after its owner's thread ended still has somewhere to go. */
        struct cache *head = atomic_load_explicit(&caches, memory_order_relaxed);
        do
            c->next = head;
        while (!atomic_compare_exchange_weak_explicit(&caches, &head, c, memory_order_release,
                                                      memory_order_relaxed));
    }
    srv__at_thread_end(&cache_end, c);
    mine = c;
    return c;
}

void *srv__pool_alloc(size_t size)
{
    _Static_assert(SHELVES == 2, "the shelf is chosen below");
    size_t i = size <= block_sizes[0] - sizeof(struct block)   ? 0
               : size <= block_sizes[1] - sizeof(struct block) ? 1
                                                               : SHELVES;
    if (i == SHELVES) {
        struct block *big = srv__malloc(sizeof *big + size);
        if (big == NULL)
            return NULL;
        big->owner = NULL;
        return big->data;
    }
    struct cache *c = my_cache();
    if (c == NULL)
        return NULL;
    struct shelf *s = &c->shelves[i];
    if (s->local == NULL)
        /* Acquire: pairs with the release push of each remote free. */
        s->local = atomic_exchange_explicit(&s->remote, NULL, memory_order_acquire);
    struct block *b = s->local;
    if (b == NULL) {
        /* A new block: the slab's, without malloc's header (it counts as
         * an allocation there). */
        b = srv__slab_alloc(s->block_size);
        if (b == NULL)
            return NULL;
        b->owner = s;
        return b->data;
    }
    if (srv__alloc_inject()) /* a block from the cache counts too */
        return NULL;
    s->local = atomic_load_explicit(&b->next, memory_order_relaxed);
    return b->data;
}

void srv__pool_free(void *data)
{
    struct block *b = (struct block *)((unsigned char *)data - offsetof(struct block, data));
    struct shelf *s = b->owner;
    if (s == NULL) {
        srv__free(b);
        return;
    }
    if (s->cache == mine) {
        atomic_store_explicit(&b->next, s->local, memory_order_relaxed);
        s->local = b;
        return;
    }
    struct block *head = atomic_load_explicit(&s->remote, memory_order_relaxed);
    do
        atomic_store_explicit(&b->next, head, memory_order_relaxed);
    /* Release: the owner's acquire exchange sees b's next.  seq_cst, then
     * the load of orphaned: either the orphaning thread's exchange takes b,
     * or we see the cache orphaned and take it back ourselves. */
    while (!atomic_compare_exchange_weak_explicit(&s->remote, &head, b, memory_order_seq_cst,
                                                  memory_order_relaxed));
    if (atomic_load_explicit(&s->cache->orphaned, memory_order_seq_cst))
        free_remote(s);
}

size_t srv__pool_caches(void)
{
    size_t n = 0;
    for (struct cache *c = atomic_load_explicit(&caches, memory_order_acquire); c != NULL;
         c = c->next)
        n++;
    return n;
}
