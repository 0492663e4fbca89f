/*
 * epoch.c: quiescent-state reclamation (epoch.h).
 *
 * A global epoch moves on at each retirement.  Each reader publishes the
 * epoch it saw at its last quiescent point, or OFFLINE.  A block retired
 * at epoch e may go once no reader publishes an epoch below e: each has
 * since passed a quiescent point, after which it can no longer reach the
 * block (it was unlinked before e was taken).  Every step is seq_cst: a
 * reader that comes online after a retirement, while the reclaimer saw it
 * offline, reads the unlink when it looks.
 */
#include <stdatomic.h>

#include "alloc.h"
#include "epoch.h"

#define OFFLINE UINT64_MAX

struct epoch_reader {
    _Atomic uint64_t seen;             /* OFFLINE, or the epoch at its last quiescent point */
    _Atomic bool taken;                /* a thread uses it */
    struct epoch_reader *next;         /* every reader made; never freed */
};

static _Atomic uint64_t epoch = 1;
static struct epoch_reader *_Atomic readers;

struct epoch_reader *srv__epoch_reader(void)
{
    for (struct epoch_reader *r = atomic_load_explicit(&readers, memory_order_acquire);
         r != NULL; r = r->next) {
        bool free = false;
        if (atomic_compare_exchange_strong_explicit(&r->taken, &free, true,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed))
            return r;
    }
    struct epoch_reader *r = srv__calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    atomic_init(&r->seen, OFFLINE);
    atomic_init(&r->taken, true);
    struct epoch_reader *head = atomic_load_explicit(&readers, memory_order_relaxed);
    do
        r->next = head;
    while (!atomic_compare_exchange_weak_explicit(&readers, &head, r, memory_order_release,
                                                  memory_order_relaxed));
    return r;
}

void srv__epoch_release(struct epoch_reader *r)
{
    srv__epoch_offline(r);
    atomic_store_explicit(&r->taken, false, memory_order_release);
}

void srv__epoch_quiescent(struct epoch_reader *r)
{
    if (r == NULL)
        return;
    /* Most turns find no retirement since the last: two loads, no store. */
    uint64_t now = atomic_load_explicit(&epoch, memory_order_seq_cst);
    if (atomic_load_explicit(&r->seen, memory_order_relaxed) != now)
        atomic_store_explicit(&r->seen, now, memory_order_seq_cst);
}

void srv__epoch_offline(struct epoch_reader *r)
{
    if (r == NULL)
        return;
    atomic_store_explicit(&r->seen, OFFLINE, memory_order_seq_cst);
}

uint64_t srv__epoch_retire(void)
{
    return atomic_fetch_add_explicit(&epoch, 1, memory_order_seq_cst) + 1;
}

bool srv__epoch_passed(uint64_t e)
{
    for (struct epoch_reader *r = atomic_load_explicit(&readers, memory_order_acquire);
         r != NULL; r = r->next)
        if (atomic_load_explicit(&r->seen, memory_order_seq_cst) < e)
            return false;
    return true;
}

/* fork: the child's threads are gone, and so are its readers' holds. */
void srv__epoch_fork(enum srv_fork_phase phase)
{
    if (phase != SRV_FORK_CHILD)
        return;
    for (struct epoch_reader *r = atomic_load_explicit(&readers, memory_order_relaxed);
         r != NULL; r = r->next) {
        atomic_store_explicit(&r->seen, OFFLINE, memory_order_relaxed);
        atomic_store_explicit(&r->taken, false, memory_order_relaxed);
    }
}
