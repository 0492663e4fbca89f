/*
 * process.c: the process table and which server runs on this thread.
 *
 * A pid is a slot index and the serial of its occupant.  Each slot keeps
 * one atomic word, serial << 32 | CLOSED | holders: a lookup takes a hold by
 * CAS only while the serial matches and the slot is not closed, so a stale
 * pid finds nothing and a process is never freed under someone who holds
 * it.  Slots live in chunks that never move; freed slots are reused with
 * the next serial.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "epoch.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"
#include "slab.h"

#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 4096 /* 16 M processes */
#define CLOSED ((uint64_t)1 << 31)
#define HOLDERS ((uint64_t)CLOSED - 1)

struct slot {
    _Atomic uint64_t word;
    struct process *_Atomic process;
};

static struct slot *_Atomic chunks[MAX_CHUNKS];
static _Atomic uint32_t next_index = 1; /* index 0 is no process */
static _Atomic size_t live;
static _Atomic size_t identities; /* of those, plain threads' identities */

/* Freed indices, reused first.  A lock is fine here: each thread keeps
 * a few freed indices of its own (as slab.c keeps blocks), so starts and
 * exits take it once per INDEX_BATCH, and messages never. */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *free_indices;
static size_t free_count, free_cap;

#define INDEX_BATCH 32

struct index_cache {
    uint32_t index[2 * INDEX_BATCH];
    unsigned count;
    bool registered; /* its thread's end gives its indices back */
};

static _Thread_local struct index_cache my_indices;

/* Processes that ended while a scheduler thread may still see them
 * (srv__process_peek): oldest first, linked by next_run, each with the
 * epoch it may go after in its handling word (epoch.h).  Their memory
 * and their slot wait here.  Under free_lock. */
static struct process *retired_first, *retired_last;
static _Atomic size_t retired_count;

static _Thread_local struct process *current;

static struct slot *slot_at(uint32_t index)
{
    struct slot *chunk =
        atomic_load_explicit(&chunks[index >> CHUNK_BITS], memory_order_acquire);
    return chunk == NULL ? NULL : &chunk[index & (CHUNK_SIZE - 1)];
}

static void index_free_locked(uint32_t index);

/* The thread's end: its indices go back to the shared list.  One freed
 * after this (another key's destructor ending a process) registers the
 * cache again, and the thread's next round of destructors takes it. */
static void indices_flush(void *arg)
{
    struct index_cache *t = arg;
    pthread_mutex_lock(&free_lock);
    while (t->count > 0)
        index_free_locked(t->index[--t->count]);
    pthread_mutex_unlock(&free_lock);
    t->registered = false;
}

static struct srv_thread_end indices_end = SRV_THREAD_END(indices_flush);

static void indices_register(struct index_cache *t)
{
    srv__at_thread_end(&indices_end, t);
    t->registered = true;
}

/* A freed index goes to the thread's cache; half of a full one goes
 * back to the shared list. */
static void index_free(uint32_t index)
{
    struct index_cache *t = &my_indices;
    if (!t->registered)
        indices_register(t);
    if (t->count == 2 * INDEX_BATCH) {
        pthread_mutex_lock(&free_lock);
        for (unsigned i = 0; i < INDEX_BATCH; i++)
            index_free_locked(t->index[--t->count]);
        pthread_mutex_unlock(&free_lock);
    }
    t->index[t->count++] = index;
}

/* A free slot's index; 0 when out of memory for its chunk. */
static uint32_t take_index(void)
{
    srv__process_reclaim(); /* a slot that may come back now */
    struct index_cache *t = &my_indices;
    if (t->count == 0) {
        if (!t->registered)
            indices_register(t);
        pthread_mutex_lock(&free_lock);
        while (free_count > 0 && t->count < INDEX_BATCH)
            t->index[t->count++] = free_indices[--free_count];
        pthread_mutex_unlock(&free_lock);
    }
    if (t->count > 0)
        return t->index[--t->count];
    uint32_t index = atomic_fetch_add_explicit(&next_index, 1, memory_order_relaxed);
    uint32_t c = index >> CHUNK_BITS;
    if (c >= MAX_CHUNKS)
        srv__fatal("srv: more than %u processes", MAX_CHUNKS * CHUNK_SIZE);
    if (atomic_load_explicit(&chunks[c], memory_order_acquire) == NULL) {
        struct slot *fresh = srv__calloc(CHUNK_SIZE, sizeof *fresh);
        if (fresh == NULL)
            return 0; /* this index stays unused; the next take tries again */
        struct slot *none = NULL;
        /* Release: a lookup that finds the chunk sees it zeroed. */
        if (!atomic_compare_exchange_strong_explicit(&chunks[c], &none, fresh,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire))
            srv__free(fresh);
    }
    return index;
}

static size_t process_size(const srv_module *module)
{
    size_t state_size = module != NULL ? module->state_size : 0;
    return srv__state_offset(state_size) + state_size;
}

/* p's memory, and its extra part's. */
static void free_memory(struct process *p)
{
    srv__slab_free(srv__extra(p), sizeof(struct process_extra));
    /* a thread's identity that entered a server's loop was made without
     * room for a state (its state is a block of its own) */
    srv__slab_free(p, process_size(srv__flag(p, PF_ENTERED) ? NULL : p->module));
}

struct process_extra *srv__extra_made(struct process *p)
{
    struct process_extra *x = srv__extra(p);
    if (x != NULL)
        return x;
    struct process_extra *fresh = srv__slab_alloc(sizeof *fresh);
    if (fresh == NULL)
        return NULL;
    fresh->process = p;
    /* acq_rel: the winner's part is seen initialised by every loser;
     * seq_cst for srv__interrupt (wait.c). */
    if (atomic_compare_exchange_strong_explicit(&p->extra, &x, fresh, memory_order_seq_cst,
                                                memory_order_acquire))
        return fresh;
    srv__slab_free(fresh, sizeof *fresh);
    return x;
}

struct process *srv__process_new(const srv_module *module)
{
    struct process *p = srv__slab_alloc(process_size(module));
    if (p == NULL)
        return NULL;
    p->module = module;
    /* A plain thread's identity sleeps on its extra part's futex. */
    if (module == NULL && srv__extra_made(p) == NULL) {
        srv__slab_free(p, process_size(module));
        return NULL;
    }
    uint32_t index = take_index();
    if (index == 0) {
        free_memory(p);
        return NULL;
    }
    struct slot *slot = slot_at(index);
    uint64_t word = atomic_load_explicit(&slot->word, memory_order_relaxed);
    p->pid = (srv_pid){0, index, (uint32_t)(word >> 32)};
    p->timeout_ms = -1;
    srv__mailbox_init(&p->mailbox);
    atomic_store_explicit(&p->run_state, module != NULL ? PROC_RUNNING : PROC_THREAD,
                          memory_order_relaxed);
    atomic_store_explicit(&slot->process, p, memory_order_relaxed);
    /* Release: a lookup that takes a hold sees the process's fields. */
    atomic_store_explicit(&slot->word, word & ~(CLOSED | HOLDERS), memory_order_release);
    atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    if (module == NULL)
        atomic_fetch_add_explicit(&identities, 1, memory_order_relaxed);
    return p;
}

/* The slot a local pid names, NULL if none was ever made. */
static struct slot *slot_of(srv_pid pid)
{
    if (pid.node != 0 || pid.index == 0 ||
        pid.index >= atomic_load_explicit(&next_index, memory_order_acquire))
        return NULL;
    return slot_at(pid.index);
}

SRV_CALL_PATH
struct process *srv__process_get(srv_pid pid)
{
    struct slot *slot = slot_of(pid);
    if (slot == NULL)
        return NULL;
    uint64_t word = atomic_load_explicit(&slot->word, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(word >> 32) != pid.serial || (word & CLOSED))
            return NULL;
        /* Acquire: pairs with srv__process_new's release of the word. */
        if (atomic_compare_exchange_weak_explicit(&slot->word, &word, word + 1,
                                                  memory_order_acquire,
                                                  memory_order_acquire)) {
            struct process *p =
                atomic_load_explicit(&slot->process, memory_order_relaxed);
            if (p == NULL) /* a fresh slot whose process is being made */
                atomic_fetch_sub_explicit(&slot->word, 1, memory_order_release);
            return p;
        }
    }
}

void srv__process_put(struct process *p)
{
    /* Release: our last touches of p happen before its free. */
    atomic_fetch_sub_explicit(&slot_at(p->pid.index)->word, 1, memory_order_release);
}

void srv__process_close(struct process *p)
{
    atomic_fetch_or_explicit(&slot_at(p->pid.index)->word, CLOSED, memory_order_seq_cst);
}

void srv__process_quiesce(struct process *p, bool executor_holds_ref)
{
    struct slot *slot = slot_at(p->pid.index);
    uint64_t own = executor_holds_ref ? 1 : 0;
    /* Holders are senders between their lookup and their push: brief. */
    for (;;) {
        uint64_t word = atomic_load_explicit(&slot->word, memory_order_acquire);
        if ((word & HOLDERS) == own)
            break;
        sched_yield();
    }
}

struct process *srv__process_peek(srv_pid pid)
{
    struct slot *slot = slot_of(pid);
    if (slot == NULL)
        return NULL;
    /* seq_cst: see epoch.c.  Acquire: pairs with srv__process_new's
     * release of the word, as srv__process_get's CAS does. */
    uint64_t word = atomic_load_explicit(&slot->word, memory_order_seq_cst);
    if ((uint32_t)(word >> 32) != pid.serial || (word & CLOSED))
        return NULL;
    /* NULL once freed: the slot waits for the epoch before its reuse, so
     * a non-NULL p is the pid's process, whose memory waits too. */
    return atomic_load_explicit(&slot->process, memory_order_relaxed);
}

/* index may be taken again.  Under free_lock. */
static void index_free_locked(uint32_t index)
{
    if (free_count == free_cap) {
        size_t cap = free_cap ? free_cap * 2 : 1024;
        uint32_t *grown = srv__realloc(free_indices, cap * sizeof *grown);
        if (grown != NULL) {
            free_indices = grown;
            free_cap = cap;
        }
    }
    /* Out of memory, the slot is not reused: a slot lost, nothing worse. */
    if (free_count < free_cap)
        free_indices[free_count++] = index;
}

/* A retired process's memory and slot go: what was delivered to it
 * after its exit drained its mailbox (casts and infos from senders that
 * held no hold) goes with them. */
static void reclaim_one(struct process *p)
{
    struct envelope *e;
    while ((e = srv__mailbox_pop(&p->mailbox)) != NULL)
        srv__envelope_free(p->module, e);
    uint32_t index = p->pid.index;
    free_memory(p);
    index_free(index);
}

size_t srv__process_retired(void)
{
    srv__process_reclaim();
    return atomic_load_explicit(&retired_count, memory_order_relaxed);
}

void srv__process_reclaim(void)
{
    if (atomic_load_explicit(&retired_count, memory_order_relaxed) == 0)
        return;
    struct process *done = NULL;
    pthread_mutex_lock(&free_lock);
    while (retired_first != NULL &&
           srv__epoch_passed(atomic_load_explicit(&retired_first->handling,
                                                  memory_order_relaxed))) {
        struct process *p = retired_first;
        retired_first = p->next_run;
        if (retired_first == NULL)
            retired_last = NULL;
        atomic_fetch_sub_explicit(&retired_count, 1, memory_order_relaxed);
        p->next_run = done;
        done = p;
    }
    pthread_mutex_unlock(&free_lock);
    while (done != NULL) {
        struct process *next = done->next_run;
        reclaim_one(done);
        done = next;
    }
}

void srv__process_free(struct process *p)
{
    struct slot *slot = slot_at(p->pid.index);
    uint64_t next_serial = (atomic_load_explicit(&slot->word, memory_order_relaxed) >> 32) + 1;
    atomic_store_explicit(&slot->process, NULL, memory_order_relaxed);
    /* seq_cst, then the epoch's move: see epoch.c. */
    atomic_store_explicit(&slot->word, (next_serial << 32) | CLOSED, memory_order_seq_cst);
    if (p->module == NULL)
        atomic_fetch_sub_explicit(&identities, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    /* Senders on scheduler threads may still see p: it waits for them,
     * unless none can (none is in a turn since the unlinking above). */
    uint64_t epoch = srv__epoch_retire();
    if (srv__epoch_passed(epoch)) {
        reclaim_one(p);
        return;
    }
    pthread_mutex_lock(&free_lock);
    atomic_store_explicit(&p->handling, epoch, memory_order_relaxed);
    p->next_run = NULL;
    if (retired_last != NULL)
        retired_last->next_run = p;
    else
        retired_first = p;
    retired_last = p;
    atomic_fetch_add_explicit(&retired_count, 1, memory_order_relaxed);
    pthread_mutex_unlock(&free_lock);
    srv__process_reclaim();
}

void srv__process_each_server(void (*fn)(srv_pid pid, void *arg), void *arg)
{
    uint32_t end = atomic_load_explicit(&next_index, memory_order_acquire);
    for (uint32_t i = 1; i < end; i++) {
        struct slot *slot = slot_at(i);
        if (slot == NULL)
            continue;
        uint64_t word = atomic_load_explicit(&slot->word, memory_order_acquire);
        if (word & CLOSED)
            continue;
        srv_pid pid = {0, i, (uint32_t)(word >> 32)};
        struct process *p = srv__process_get(pid);
        if (p == NULL)
            continue;
        bool server = p->module != NULL;
        srv__process_put(p);
        if (server)
            fn(pid, arg);
    }
}

void srv__process_become_server(struct process *p, const srv_module *module)
{
    /* seq_cst: readers of module (a sender's check, srv_process_info)
     * see a server from here on, ordered with the run state before it */
    atomic_store_explicit(&p->module, module, memory_order_seq_cst);
    atomic_fetch_sub_explicit(&identities, 1, memory_order_relaxed);
}

size_t srv_process_count(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

srv_status srv_processes(srv_pid *out, size_t cap, size_t *count)
{
    if (count == NULL || (out == NULL && cap > 0))
        return SRV_EINVAL;
    size_t n = 0;
    uint32_t end = atomic_load_explicit(&next_index, memory_order_acquire);
    for (uint32_t i = 1; i < end; i++) {
        struct slot *slot = slot_at(i);
        /* Acquire: pairs with srv__process_new's release of the word. */
        uint64_t word = slot != NULL ? atomic_load_explicit(&slot->word, memory_order_acquire)
                                     : CLOSED;
        if ((word & CLOSED) ||
            atomic_load_explicit(&slot->process, memory_order_relaxed) == NULL)
            continue;
        if (n < cap)
            out[n] = (srv_pid){0, i, (uint32_t)(word >> 32)};
        n++;
    }
    *count = n;
    return SRV_OK;
}

size_t srv__server_count(void)
{
    /* Two counters read one after the other: while a thread's identity is
     * made or ends, the difference may be off by one (a caller that needs
     * it exact confirms a 0 with srv__process_each_server). */
    size_t threads = atomic_load_explicit(&identities, memory_order_relaxed);
    size_t all = atomic_load_explicit(&live, memory_order_relaxed);
    return all > threads ? all - threads : 0;
}

struct process *srv__current_or_null(void)
{
    return current;
}

void srv__set_current(struct process *p)
{
    current = p;
}

bool srv_is_alive(srv_pid pid)
{
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return false;
    srv__process_put(p);
    return true;
}

bool srv_pid_equal(srv_pid a, srv_pid b)
{
    return srv__pid_same(a, b);
}

bool srv_pid_is_none(srv_pid pid)
{
    return pid.index == 0;
}

/* fork: the child's table starts empty.  The parent's processes stay in
 * memory, unreachable (their threads do not exist in the child); indices
 * go on from where the parent was, so a pid the child kept from the
 * parent finds nothing rather than a new process. */
void srv__process_fork(enum srv_fork_phase phase)
{
    if (!srv__fork_lock(phase, &free_lock))
        return;
    for (size_t c = 0; c < MAX_CHUNKS; c++)
        atomic_store_explicit(&chunks[c], NULL, memory_order_relaxed);
    atomic_store_explicit(&live, 0, memory_order_relaxed);
    free_count = 0;
    my_indices.count = 0; /* the parent's too */
    retired_first = retired_last = NULL; /* the parent's, unreachable here */
    atomic_store_explicit(&retired_count, 0, memory_order_relaxed);
    current = NULL;
}

bool srv__run_caught(struct process *p, void (*fn)(void *arg), void *arg)
{
    /* srv_exit's frame hangs on the message being handled (none: init's),
     * as srv__run_callback hangs it (loop.c) */
    struct current_message none;
    struct exit_frame frame;
    srv__exit_frame_enter(p, &frame, &none);
    bool ran;
    if (SRV__EXIT_SET(frame.env) == 0) {
        fn(arg);
        ran = true;
    } else {
        srv_detail_release(frame.detail); /* an srv_exit_detail's: unused */
        ran = false;
    }
    srv__exit_frame_leave(p, &frame, &none);
    return ran;
}
