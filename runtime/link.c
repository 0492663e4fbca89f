/*
 * link.c: links, monitors and exit signals, with Erlang's rules, and the
 * signals a plain thread receives.
 *
 * A process keeps them in an extra record made the first time it needs
 * one, so an idle server that has none pays a pointer.  The record's lock
 * guards the lists; `dead` is set once the process has started to tell
 * its links and monitors, after which a new link or monitor gets noproc.
 * The EXIT or DOWN a process will send when it ends is made when the link
 * or monitor is, so an exit never needs memory to tell anyone; and a
 * process that ends takes its own monitors off the lists of those it
 * watched.  An exit signal that ends a process is not queued behind its
 * mail: see deliver_signal and end_if_idle.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "exit.h"
#include "link.h"
#include "loop.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"
#include "remote.h"
#include "sched.h"
#include "slab.h"
#include "thread.h"
#include "wait.h"

/* A link, in both ends' lists.  signal is the EXIT this end will send the
 * other when it ends, made when the link is: telling a link never
 * allocates, so a link is never lost to a lack of memory. */
struct link_entry {
    srv_pid pid;
    struct envelope *signal;
};

struct monitor_entry {
    srv_monitor_ref ref;
    srv_pid pid; /* in `watchers`: who watches us; in `watching`: whom we watch */
    struct envelope *signal; /* in `watchers`: the DOWN, made by srv_monitor */
};

enum { FIRST_LINKS = 2 }; /* links held in the record itself */

struct link_set {
    struct word_lock lock; /* zeroed by the slab: unlocked */
    bool dead;
    /* first_links, or an array of its own once there are more: most
     * linked processes have one or two (a child and its supervisor), and
     * need no array. */
    struct link_entry *links;
    uint32_t n_links, cap_links;
    struct link_entry first_links[FIRST_LINKS];
    /* With many links (a supervisor's children), an index of them by pid:
     * slots hold a position in links plus 1, 0 is empty.  NULL: none, and
     * the list is searched (few links, or no memory for the index). */
    uint32_t *link_index;
    size_t index_cap;
    struct monitor_entry *watchers;
    uint32_t n_watchers, cap_watchers;
    struct monitor_entry *watching;
    uint32_t n_watching, cap_watching;
    srv_from *deferred;
    uint32_t n_deferred, cap_deferred;
    struct watch_entry *watches; /* exit watches on this process */
    uint32_t n_watches, cap_watches;
    /* References it owns: the details its API results lend it
     * (srv__keep_detail) */
    const srv_detail *kept[KEPT_COUNT];
    /* the detail of the exit signal pending on the process (its
     * `interrupt`), set and taken with it under the lock */
    const srv_detail *interrupt_detail;
};

/* An exit watch: a supervisor's wait for the processes it shuts down
 * (srv__watch_new).  Each watched process holds a reference until it
 * ends, the waiter one until it is done: the last drops it. */
struct watched {
    srv_atom _Atomic reason;  /* why it ended; NULL while it runs */
    struct process *process;  /* until it ends (under the lock): it is
                               * not freed before its end takes the lock */
};

struct exit_watch {
    _Atomic size_t refs;
    _Atomic size_t pending;  /* watched processes not yet ended */
    pthread_mutex_t lock;    /* guards the waiter and each process */
    /* The slot the last end completes: the waiter's, by pointer, since a
     * supervisor waits in its terminate, where no lookup finds it; it
     * takes itself off (under the lock) before it ends.  NULL: none. */
    struct process *waiter;
    uint64_t waiter_tag;
    size_t count;
    struct watched each[];
};

struct watch_entry {
    struct exit_watch *watch;
    size_t index;
};

static _Atomic uint64_t next_ref = 1;

/* p's record, made on first use; NULL when out of memory. */
static struct link_set *extra_made(struct process *p)
{
    struct process_extra *e = srv__extra_made(p);
    if (e == NULL)
        return NULL;
    struct link_set *x = atomic_load_explicit(&e->links, memory_order_acquire);
    if (x != NULL)
        return x;
    struct link_set *fresh = srv__slab_alloc(sizeof *fresh);
    if (fresh == NULL)
        return NULL;
    fresh->links = fresh->first_links;
    fresh->cap_links = FIRST_LINKS;
    /* acq_rel: the winner's record is seen initialised by every loser. */
    if (atomic_compare_exchange_strong_explicit(&e->links, &x, fresh,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    srv__slab_free(fresh, sizeof *fresh);
    return x;
}

/* The record if p has one: removals need no new one. */
static struct link_set *extra_of(struct process *p)
{
    struct process_extra *e = srv__extra(p);
    return e != NULL ? atomic_load_explicit(&e->links, memory_order_acquire) : NULL;
}

/* Makes room for one more in a growable array: one helper for every list.
 * False when out of memory (the array is left as it was). */
static bool grow(void **array, uint32_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    if (*cap > UINT32_MAX / 2)
        return false; /* counts are 32 bits: the record's size is in every linked process */
    uint32_t more = *cap ? *cap * 2 : 4;
    void *bigger = srv__realloc(*array, more * size);
    if (bigger == NULL)
        return false;
    *array = bigger;
    *cap = more;
    return true;
}

/* Shrinks an array to count entries (frees it when there are none):
 * the bytes given back. */
static size_t shrink(void **array, uint32_t *cap, size_t count, size_t size)
{
    if (count == *cap)
        return 0;
    size_t freed = (*cap - count) * size;
    if (count == 0) {
        srv__free(*array);
        *array = NULL;
    } else {
        void *fitted = srv__realloc(*array, count * size);
        if (fitted == NULL)
            return 0; /* keeps the bigger one */
        *array = fitted;
    }
    *cap = (uint32_t)count;
    return freed;
}

/* Room for one more link; false when out of memory. */
static bool links_grow(struct link_set *x)
{
    if (x->links != x->first_links)
        return grow((void **)&x->links, &x->cap_links, x->n_links, sizeof *x->links);
    if (x->n_links < FIRST_LINKS)
        return true;
    struct link_entry *own = srv__malloc(2 * FIRST_LINKS * sizeof *own);
    if (own == NULL)
        return false;
    memcpy(own, x->first_links, sizeof x->first_links);
    x->links = own;
    x->cap_links = 2 * FIRST_LINKS;
    return true;
}

/* The links fitted to their count, back in the record when they fit it:
 * the bytes given back. */
static size_t links_shrink(struct link_set *x)
{
    if (x->links == x->first_links)
        return 0;
    if (x->n_links > FIRST_LINKS)
        return shrink((void **)&x->links, &x->cap_links, x->n_links, sizeof *x->links);
    size_t freed = x->cap_links * sizeof *x->links;
    memcpy(x->first_links, x->links, x->n_links * sizeof *x->links);
    srv__free(x->links);
    x->links = x->first_links;
    x->cap_links = FIRST_LINKS;
    return freed;
}

size_t srv__links_compact(struct process *p)
{
    struct link_set *x = extra_of(p);
    if (x == NULL)
        return 0;
    srv__word_lock(&x->lock);
    size_t freed = links_shrink(x) +
                   shrink((void **)&x->watchers, &x->cap_watchers, x->n_watchers,
                          sizeof *x->watchers) +
                   shrink((void **)&x->watching, &x->cap_watching, x->n_watching,
                          sizeof *x->watching) +
                   shrink((void **)&x->deferred, &x->cap_deferred, x->n_deferred,
                          sizeof *x->deferred) +
                   shrink((void **)&x->watches, &x->cap_watches, x->n_watches,
                          sizeof *x->watches);
    srv__word_unlock(&x->lock);
    return freed;
}

/* ---------------------------------------------------------------------- */
/* The index of a long list of links: open addressing by pid, linear
 * probing, deletion by backward shift                                     */

enum { INDEX_FROM = 16 }; /* links before an index pays */

/* The index slot of pid's link, or of the empty slot where it would go. */
static size_t index_slot(const struct link_set *x, srv_pid pid)
{
    size_t i = srv__pid_home(pid, x->index_cap);
    while (x->link_index[i] != 0 && !srv__pid_same(x->links[x->link_index[i] - 1].pid, pid))
        i = (i + 1) & (x->index_cap - 1);
    return i;
}

/* A new index of every link, cap slots; false (and no index) when out
 * of memory. */
static bool index_rebuild(struct link_set *x, size_t cap)
{
    srv__free(x->link_index);
    x->link_index = srv__calloc(cap, sizeof *x->link_index);
    x->index_cap = x->link_index != NULL ? cap : 0;
    for (size_t i = 0; x->link_index != NULL && i < x->n_links; i++)
        x->link_index[index_slot(x, x->links[i].pid)] = (uint32_t)i + 1;
    return x->link_index != NULL;
}

/* The link just appended at the end of the list, indexed (the index made
 * or grown when the list is long enough). */
static void index_added(struct link_set *x)
{
    if (x->link_index == NULL) {
        if (x->n_links >= INDEX_FROM)
            index_rebuild(x, 64);
        return;
    }
    if (x->n_links * 2 > x->index_cap) {
        index_rebuild(x, x->index_cap * 2);
        return;
    }
    x->link_index[index_slot(x, x->links[x->n_links - 1].pid)] = (uint32_t)x->n_links;
}

/* The position of pid's link, or SIZE_MAX. */
static size_t link_position(const struct link_set *x, srv_pid pid)
{
    if (x->link_index != NULL) {
        uint32_t at = x->link_index[index_slot(x, pid)];
        return at != 0 ? at - 1 : SIZE_MAX;
    }
    for (size_t i = 0; i < x->n_links; i++)
        if (srv__pid_same(x->links[i].pid, pid))
            return i;
    return SIZE_MAX;
}

/* Takes index slot i out, shifting back the slots of its run so probes
 * still find them. */
static void index_erase(struct link_set *x, size_t i)
{
    size_t mask = x->index_cap - 1;
    x->link_index[i] = 0;
    for (size_t j = (i + 1) & mask; x->link_index[j] != 0; j = (j + 1) & mask) {
        size_t home = srv__pid_home(x->links[x->link_index[j] - 1].pid, x->index_cap);
        /* j's entry moves to i when i lies on its probe path from home */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            x->link_index[i] = x->link_index[j];
            x->link_index[j] = 0;
            i = j;
        }
    }
}

/* Removes pid's link; returns its signal (to free), or NULL. */
static struct envelope *remove_link(struct link_set *x, srv_pid pid)
{
    size_t i = link_position(x, pid);
    if (i == SIZE_MAX)
        return NULL;
    struct envelope *signal = x->links[i].signal;
    size_t last = --x->n_links;
    if (x->link_index != NULL) {
        index_erase(x, index_slot(x, pid));
        if (i != last) /* the last link moves to i */
            x->link_index[index_slot(x, x->links[last].pid)] = (uint32_t)i + 1;
    }
    x->links[i] = x->links[last];
    return signal;
}

static bool remove_ref(struct monitor_entry *list, uint32_t *count, srv_monitor_ref ref,
                       struct monitor_entry *removed)
{
    for (size_t i = 0; i < *count; i++)
        if (list[i].ref == ref) {
            if (removed != NULL)
                *removed = list[i];
            list[i] = list[--*count];
            return true;
        }
    return false;
}

/* Erlang's rule: kill ends any process; another abnormal reason ends one
 * that does not trap exits.  Relaxed: trap_exit is q's own to change, and
 * q looks again when it takes the signal (srv__interrupt). */
static bool signal_ends(struct process *q, srv_atom reason, const srv_detail *detail)
{
    return srv__killable(q) &&
           (reason == srv_atom_kill ||
            ((reason != srv_atom_normal || detail != NULL) && /* {normal, _} ends it */
             !srv__flag(q, PF_TRAP_EXIT)));
}

/* Makes reason, and its detail, the exit signal pending on q
 * (srv__interrupt).  Under q's record's lock when q has one (one is made
 * for a detail), as srv__interrupt_take takes them: the detail pending is
 * always the one that came with the reason pending.  A kill has no detail
 * and needs no lock: the take drops whatever detail is left when the
 * reason is kill, and the lock's cache line stays on q's core for the
 * take.  Out of memory for the record, the reason goes without its
 * detail. */
static void interrupt_with(struct process *q, srv_atom reason, const srv_detail *detail)
{
    struct link_set *x = reason == srv_atom_kill ? NULL
                         : detail != NULL       ? extra_made(q)
                                                : extra_of(q);
    if (x == NULL) {
        srv__interrupt(q, reason);
        return;
    }
    srv__word_lock(&x->lock);
    if (srv__interrupt(q, reason)) {
        srv_detail_release(x->interrupt_detail);
        x->interrupt_detail = srv_detail_retain(detail);
    }
    srv__word_unlock(&x->lock);
}

srv_atom srv__interrupt_take(struct process *p, const srv_detail **detail)
{
    struct link_set *x = extra_of(p);
    if (x != NULL)
        srv__word_lock(&x->lock);
    /* Acquire: pairs with the signaller's CAS (the reason is an atom). */
    srv_atom why = atomic_exchange_explicit(&p->interrupt, NULL, memory_order_acquire);
    *detail = NULL;
    if (x != NULL) {
        *detail = x->interrupt_detail;
        x->interrupt_detail = NULL;
        srv__word_unlock(&x->lock);
    }
    if (why == NULL || why == srv_atom_kill) { /* killed: no detail */
        srv_detail_release(*detail);
        *detail = NULL;
    }
    return why;
}

/* Sends signal e to q, which we hold, and lets q go: see deliver_signal. */
static void signal_held(struct process *q, struct envelope *e, enum envelope_kind kind,
                        srv_pid from, uint64_t ref, srv_atom reason,
                        const srv_detail *detail)
{
    e->kind = (uint16_t)kind;
    e->pid = from;
    e->ref = ref;
    e->reason = reason;
    e->detail = srv_detail_retain(detail); /* the envelope's own */
    if (kind == ENV_EXIT && signal_ends(q, reason, detail))
        interrupt_with(q, reason, detail);
    srv__deliver(q, e);
    srv__process_put(q);
}

/* Sends a signal in envelope e (a fresh one of srv__envelope_new(0), made
 * beforehand), or frees it if `to` is gone.  A signal that ends the
 * process is not a message: it is pending on it (srv__interrupt) before
 * the envelope is queued, and the process takes it ahead of its mail,
 * even when suspended.  The envelope still follows, for a process that
 * traps exits by the time it looks, and to schedule an idle one. */
static void deliver_signal(struct envelope *e, srv_pid to, enum envelope_kind kind,
                           srv_pid from, uint64_t ref, srv_atom reason,
                           const srv_detail *detail)
{
    struct process *q = srv__process_get(to);
    if (q == NULL) {
        srv__envelope_free(NULL, e);
        return;
    }
    signal_held(q, e, kind, from, ref, reason, detail);
}

/* A signal made now: false when out of memory for it. */
static bool send_signal(srv_pid to, enum envelope_kind kind, srv_pid from,
                        uint64_t ref, srv_atom reason, const srv_detail *detail)
{
    struct envelope *e = srv__envelope_new(0);
    if (e == NULL)
        return false;
    deliver_signal(e, to, kind, from, ref, reason, detail);
    return true;
}

/* A signal that ends q, which we hold, when q is idle: we take q, as a
 * caller does, and end it right here, with no trip through a run queue.
 * False if q is not idle (or traps exits by now): the caller signals it.
 * Not from srv__links_exit: a chain of links would recurse. */
static bool end_if_idle(struct process *q, srv_atom reason, const srv_detail *detail)
{
    uint32_t idle = PROC_IDLE;
    /* Acquire: q's last owner's writes (trap_exit, its state) are seen. */
    if (!atomic_compare_exchange_strong_explicit(&q->run_state, &idle, PROC_RUNNING,
                                                 memory_order_seq_cst,
                                                 memory_order_relaxed))
        return false;
    if (!signal_ends(q, reason, detail)) { /* q set trap_exit since we looked */
        srv__release(q);
        return false;
    }
    /* A kill another signaller left pending wins over our reason. */
    if (atomic_load_explicit(&q->interrupt, memory_order_relaxed) == srv_atom_kill)
        reason = srv_atom_kill;
    srv__exit(q, reason == srv_atom_kill ? srv_atom_killed : reason,
              reason == srv_atom_kill ? NULL : srv_detail_retain(detail), EXIT_HOLDS_REF);
    return true;
}

/* An exit signal from a caller of the API or from shutdown: an idle
 * process it ends is ended at once, on this thread; any other is sent
 * the signal on the hold we took to look at it, with no second lookup: a
 * busy q looks for a pending signal before each message, and one that
 * looked while this call was still on its way would run a whole message
 * more.  False when out of memory for the envelope (then nothing was
 * sent). */
static bool exit_signal(srv_pid to, srv_pid from, srv_atom reason, const srv_detail *detail)
{
    struct process *q = srv__process_get(to);
    if (q == NULL)
        return true;
    if (signal_ends(q, reason, detail) && end_if_idle(q, reason, detail))
        return true; /* q is gone, and our hold with it */
    struct envelope *e = srv__envelope_new(0);
    if (e == NULL) {
        srv__process_put(q);
        return false;
    }
    signal_held(q, e, ENV_EXIT, from, 0, reason, detail);
    return true;
}

void srv__exit_signal_from_runtime(srv_pid pid, srv_atom reason)
{
    (void)exit_signal(pid, SRV_PID_NONE, reason, NULL);
}

/* Locks two records in address order, so two linkers never deadlock. */
static void lock_pair(struct link_set *a, struct link_set *b)
{
    if (a < b) {
        srv__word_lock(&a->lock);
        srv__word_lock(&b->lock);
    } else {
        srv__word_lock(&b->lock);
        srv__word_lock(&a->lock);
    }
}

static bool linked_locked(struct link_set *x, srv_pid pid)
{
    return link_position(x, pid) != SIZE_MAX;
}

/* SRV_OK, SRV_ENOPROC when either is dead, SRV_ENOMEM. */
static srv_status link_processes(struct process *a, struct process *b)
{
    struct link_set *xa = extra_made(a), *xb = extra_made(b);
    struct envelope *to_b = srv__envelope_new(0), *to_a = srv__envelope_new(0);
    srv_status status = SRV_ENOMEM;
    if (xa != NULL && xb != NULL && to_b != NULL && to_a != NULL) {
        lock_pair(xa, xb);
        if (xa->dead || xb->dead) {
            status = SRV_ENOPROC;
        } else if (linked_locked(xa, b->pid)) {
            status = SRV_OK;
        } else if (links_grow(xa) && links_grow(xb)) {
            xa->links[xa->n_links++] = (struct link_entry){b->pid, to_b};
            xb->links[xb->n_links++] = (struct link_entry){a->pid, to_a};
            index_added(xa);
            index_added(xb);
            to_a = to_b = NULL;
            status = SRV_OK;
        }
        srv__word_unlock(&xa->lock);
        srv__word_unlock(&xb->lock);
    }
    if (to_b != NULL)
        srv__envelope_free(NULL, to_b);
    if (to_a != NULL)
        srv__envelope_free(NULL, to_a);
    return status;
}

/* p's end of a link with another node's process: no EXIT made, the
 * node sends it.  SRV_OK (linked already too), SRV_ENOPROC when p is
 * dead, SRV_ENOMEM; *added says whether it is new. */
static srv_status add_remote_link(struct process *p, srv_pid remote, bool *added)
{
    struct link_set *x = extra_made(p);
    *added = false;
    if (x == NULL)
        return SRV_ENOMEM;
    srv_status status = SRV_OK;
    srv__word_lock(&x->lock);
    if (x->dead) {
        status = SRV_ENOPROC;
    } else if (!linked_locked(x, remote)) {
        if (links_grow(x)) {
            x->links[x->n_links++] = (struct link_entry){remote, NULL};
            index_added(x);
            *added = true;
        } else {
            status = SRV_ENOMEM;
        }
    }
    srv__word_unlock(&x->lock);
    return status;
}

/* srv_link to another node's process: a node that cannot be reached
 * gives self noconnection at once, as Erlang's link does. */
static srv_status link_remote(struct process *self, srv_pid remote)
{
    bool added;
    srv_status status = add_remote_link(self, remote, &added);
    if (status != SRV_OK || !added || srv__node_link(self->pid, remote))
        return status;
    srv__remote_link_exit(self->pid, remote, srv_atom_from("noconnection"));
    return SRV_OK;
}

srv_status srv__remote_link(srv_pid local, srv_pid remote)
{
    struct process *p = srv__process_get(local);
    if (p == NULL)
        return SRV_ENOPROC;
    bool added;
    srv_status status = add_remote_link(p, remote, &added);
    srv__process_put(p);
    return status;
}

bool srv__remote_unlink(srv_pid local, srv_pid remote)
{
    struct process *p = srv__process_get(local);
    if (p == NULL)
        return false;
    struct link_set *x = extra_of(p);
    bool linked = false;
    if (x != NULL) {
        srv__word_lock(&x->lock);
        linked = !x->dead && link_position(x, remote) != SIZE_MAX;
        if (linked)
            remove_link(x, remote);
        srv__word_unlock(&x->lock);
    }
    srv__process_put(p);
    return linked;
}

void srv__remote_link_exit(srv_pid local, srv_pid remote, srv_atom reason)
{
    if (srv__remote_unlink(local, remote))
        (void)exit_signal(local, remote, reason, NULL);
}

void srv__remote_exit_signal(srv_pid local, srv_pid remote, srv_atom reason)
{
    (void)exit_signal(local, remote, reason, NULL);
}

bool srv__link_pair(struct process *a, struct process *b)
{
    return link_processes(a, b) == SRV_OK;
}

srv_status srv_link(srv_pid pid)
{
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    if (srv__pid_same(pid, self->pid))
        return SRV_OK;
    if (pid.node != 0)
        return link_remote(self, pid);
    struct process *q = srv__process_get(pid);
    srv_status status = q != NULL ? link_processes(self, q) : SRV_ENOPROC;
    if (q != NULL)
        srv__process_put(q);
    if (status != SRV_ENOPROC)
        return status;
    /* Erlang: linking to a dead process brings an exit signal noproc. */
    if (srv__traps_exits(self) &&
        !send_signal(self->pid, ENV_EXIT, pid, 0, srv_atom_noproc, NULL))
        return SRV_ENOMEM;
    return SRV_ENOPROC;
}

/* Takes p's link to pid off p's list, under p's lock: the EXIT it held
 * for pid, or NULL.  A dead p is left alone: it reads its list unlocked. */
static struct envelope *unlink_from(struct process *p, srv_pid pid)
{
    struct link_set *x = extra_of(p);
    struct envelope *held = NULL;
    if (x != NULL) {
        srv__word_lock(&x->lock);
        if (!x->dead)
            held = remove_link(x, pid);
        srv__word_unlock(&x->lock);
    }
    return held;
}

srv_status srv_unlink(srv_pid pid)
{
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    struct envelope *mine = unlink_from(self, pid), *theirs = NULL;
    if (pid.node != 0) { /* the other end is the other node's to drop */
        srv__node_unlink(self->pid, pid);
        return SRV_OK;
    }
    struct process *q = srv__process_get(pid);
    if (q != NULL) {
        theirs = unlink_from(q, self->pid);
        srv__process_put(q);
    }
    if (mine != NULL)
        srv__envelope_free(NULL, mine);
    if (theirs != NULL)
        srv__envelope_free(NULL, theirs);
    return SRV_OK;
}

bool srv_trap_exit(bool on)
{
    struct process *self = srv__current();
    if (!srv__killable(self))
        return true; /* plain threads always trap */
    /* Relaxed: only this process sets it; signallers read it (signal_ends). */
    bool was = srv__flag(self, PF_TRAP_EXIT);
    srv__set_flag(self, PF_TRAP_EXIT, on);
    return was;
}

srv_status srv_exit_signal(srv_pid pid, srv_atom reason)
{
    return srv_exit_signal_detail(pid, reason, NULL);
}

srv_status srv_exit_signal_detail(srv_pid pid, srv_atom reason, const srv_detail *detail)
{
    struct process *self = srv__caller();
    bool sent = self != NULL &&
                exit_signal(pid, self->pid, srv__atom(reason != NULL ? reason : srv_atom_normal),
                            detail);
    srv_detail_release(detail); /* each signal took its own */
    return sent ? SRV_OK : SRV_ENOMEM;
}

/* A monitor of another node's process, which the node keeps (its DOWN
 * comes through srv__remote_down): one the node cannot reach is DOWN
 * noconnection at once, as Erlang's. */
static srv_status monitor_remote(struct process *self, struct link_set *x, srv_pid remote,
                                 srv_monitor_ref ref, struct envelope *down)
{
    srv__envelope_free(NULL, down); /* the node's DOWN is made when it comes */
    srv__word_lock(&x->lock);
    if (!x->dead) /* room was made */
        x->watching[x->n_watching++] = (struct monitor_entry){ref, remote, NULL};
    srv__word_unlock(&x->lock);
    if (!srv__node_monitor(self->pid, remote, ref))
        srv__remote_down(self->pid, ref, remote, srv_atom_from("noconnection"));
    return SRV_OK;
}

void srv__remote_down(srv_pid local, srv_monitor_ref ref, srv_pid remote, srv_atom reason)
{
    struct process *p = srv__process_get(local);
    if (p == NULL)
        return;
    struct link_set *x = extra_of(p);
    bool found = false;
    if (x != NULL) {
        srv__word_lock(&x->lock);
        found = !x->dead && remove_ref(x->watching, &x->n_watching, ref, NULL);
        srv__word_unlock(&x->lock);
    }
    srv__process_put(p);
    if (found)
        (void)send_signal(local, ENV_DOWN, remote, ref, reason, NULL);
}

srv_status srv_monitor(srv_pid pid, srv_monitor_ref *ref_out)
{
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    srv_monitor_ref ref = atomic_fetch_add_explicit(&next_ref, 1, memory_order_relaxed);
    if (ref_out != NULL)
        *ref_out = ref;
    /* Everything the monitor needs, before it exists: our record with room
     * in `watching` (only we add to it), and the DOWN it will send. */
    struct link_set *x = extra_made(self);
    struct envelope *down = srv__envelope_new(0);
    bool room = false;
    if (x != NULL) {
        srv__word_lock(&x->lock);
        room = grow((void **)&x->watching, &x->cap_watching, x->n_watching,
                    sizeof *x->watching);
        srv__word_unlock(&x->lock);
    }
    if (!room || down == NULL) {
        if (down != NULL)
            srv__envelope_free(NULL, down);
        return SRV_ENOMEM;
    }
    if (pid.node != 0)
        return monitor_remote(self, x, pid, ref, down);
    struct process *q = srv__process_get(pid);
    bool watching = false;
    if (q != NULL) {
        struct link_set *xq = extra_made(q);
        bool full = xq == NULL;
        if (xq != NULL) {
            srv__word_lock(&xq->lock);
            if (!xq->dead && grow((void **)&xq->watchers, &xq->cap_watchers,
                                  xq->n_watchers, sizeof *xq->watchers)) {
                xq->watchers[xq->n_watchers++] = (struct monitor_entry){ref, self->pid, down};
                watching = true;
            } else {
                full = !xq->dead;
            }
            srv__word_unlock(&xq->lock);
        }
        srv__process_put(q);
        if (full) {
            srv__envelope_free(NULL, down);
            return SRV_ENOMEM;
        }
    }
    if (!watching) {
        /* A monitor of a dead process fires at once with noproc. */
        deliver_signal(down, self->pid, ENV_DOWN, pid, ref, srv_atom_noproc, NULL);
        return SRV_OK;
    }
    srv__word_lock(&x->lock);
    if (!x->dead) /* room was made above */
        x->watching[x->n_watching++] = (struct monitor_entry){ref, pid, NULL};
    srv__word_unlock(&x->lock);
    return SRV_OK;
}

srv_status srv_demonitor(srv_monitor_ref ref)
{
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    struct link_set *x = extra_of(self);
    if (x == NULL)
        return SRV_OK;
    struct monitor_entry entry;
    srv__word_lock(&x->lock);
    bool found = remove_ref(x->watching, &x->n_watching, ref, &entry);
    srv__word_unlock(&x->lock);
    if (!found)
        return SRV_OK;
    if (entry.pid.node != 0) {
        srv__node_demonitor(self->pid, entry.pid, ref);
        return SRV_OK;
    }
    struct process *q = srv__process_get(entry.pid);
    if (q != NULL) {
        struct link_set *xq = extra_of(q);
        struct monitor_entry watcher = {0, SRV_PID_NONE, NULL};
        if (xq != NULL) {
            srv__word_lock(&xq->lock);
            if (!xq->dead)
                remove_ref(xq->watchers, &xq->n_watchers, ref, &watcher);
            srv__word_unlock(&xq->lock);
        }
        srv__process_put(q);
        if (watcher.signal != NULL)
            srv__envelope_free(NULL, watcher.signal);
    }
    return SRV_OK;
}

bool srv__deferred_add(struct process *p, srv_from from)
{
    struct link_set *x = extra_made(p);
    if (x == NULL)
        return false;
    srv__word_lock(&x->lock);
    /* Forget the ones already answered (their caller's slot moved on). */
    size_t kept = 0;
    for (size_t i = 0; i < x->n_deferred; i++)
        if (srv__caller_waits(x->deferred[i]))
            x->deferred[kept++] = x->deferred[i];
    x->n_deferred = kept;
    bool room = grow((void **)&x->deferred, &x->cap_deferred, x->n_deferred,
                     sizeof *x->deferred);
    if (room)
        x->deferred[x->n_deferred++] = from;
    srv__word_unlock(&x->lock);
    return room;
}

/* A monitor p holds ends with p: off the watched one's list, with the
 * DOWN it kept for p (Erlang drops a dead process's monitors). */
static void unwatch(srv_pid self, const struct monitor_entry *m)
{
    if (m->pid.node != 0) {
        srv__node_demonitor(self, m->pid, m->ref);
        return;
    }
    struct process *q = srv__process_get(m->pid);
    if (q == NULL)
        return;
    struct link_set *xq = extra_of(q);
    struct monitor_entry watcher = {0, SRV_PID_NONE, NULL};
    if (xq != NULL) {
        srv__word_lock(&xq->lock);
        if (!xq->dead)
            remove_ref(xq->watchers, &xq->n_watchers, m->ref, &watcher);
        srv__word_unlock(&xq->lock);
    }
    srv__process_put(q);
    if (watcher.signal != NULL)
        srv__envelope_free(NULL, watcher.signal);
}

/* A monitor of p fires: off its watcher's `watching` list, then DOWN. */
static void fire_monitor(struct process *p, const struct monitor_entry *m, srv_atom reason,
                         const srv_detail *detail)
{
    struct process *w = srv__process_get(m->pid);
    if (w == NULL) {
        srv__envelope_free(NULL, m->signal);
        return;
    }
    struct link_set *xw = extra_of(w);
    if (xw != NULL) {
        srv__word_lock(&xw->lock);
        if (!xw->dead)
            remove_ref(xw->watching, &xw->n_watching, m->ref, NULL);
        srv__word_unlock(&xw->lock);
    }
    signal_held(w, m->signal, ENV_DOWN, p->pid, m->ref, reason, detail);
}

/* ---------------------------------------------------------------------- */
/* Exit watches                                                            */

struct exit_watch *srv__watch_new(size_t count)
{
    struct exit_watch *w = srv__calloc(1, sizeof *w + count * sizeof w->each[0]);
    if (w == NULL)
        return NULL;
    atomic_init(&w->refs, 1);
    pthread_mutex_init(&w->lock, NULL);
    w->count = count;
    return w;
}

void srv__watch_done(struct exit_watch *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->waiter = NULL; /* a waiter ended in its wait (killed) */
    pthread_mutex_unlock(&w->lock);
    srv__watch_put(w);
}

void srv__watch_put(struct exit_watch *w)
{
    if (w == NULL || atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&w->lock);
    srv__free(w);
}

/* The watched process index ended with reason: the last one wakes the
 * waiter. */
static void watch_end(struct exit_watch *w, size_t index, srv_atom reason)
{
    /* Release: the waiter's acquire load of pending (or of the reason)
     * sees the reason. */
    atomic_store_explicit(&w->each[index].reason, reason, memory_order_release);
    pthread_mutex_lock(&w->lock);
    w->each[index].process = NULL;
    /* The last one wakes the waiter, under the lock: the waiter does not
     * end while we hold it. */
    if (atomic_fetch_sub_explicit(&w->pending, 1, memory_order_acq_rel) == 1 &&
        w->waiter != NULL)
        srv__slot_complete_process(w->waiter, w->waiter_tag, SRV_OK);
    pthread_mutex_unlock(&w->lock);
    srv__watch_put(w);
}

bool srv__watch_add(struct exit_watch *w, size_t index, srv_pid pid)
{
    atomic_fetch_add_explicit(&w->pending, 1, memory_order_acq_rel);
    atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
    struct process *q = srv__process_get(pid);
    bool added = false, room = true;
    if (q != NULL) {
        struct link_set *xq = extra_made(q);
        room = xq != NULL;
        /* Before q can end with the watch on it: q is held now. */
        pthread_mutex_lock(&w->lock);
        w->each[index].process = q;
        pthread_mutex_unlock(&w->lock);
        if (xq != NULL) {
            srv__word_lock(&xq->lock);
            if (!xq->dead && (room = grow((void **)&xq->watches, &xq->cap_watches,
                                          xq->n_watches, sizeof *xq->watches))) {
                xq->watches[xq->n_watches++] = (struct watch_entry){w, index};
                added = true;
            }
            srv__word_unlock(&xq->lock);
        }
        if (!added) {
            pthread_mutex_lock(&w->lock);
            w->each[index].process = NULL;
            pthread_mutex_unlock(&w->lock);
        }
        srv__process_put(q);
    }
    if (!room) { /* not watched after all */
        atomic_fetch_sub_explicit(&w->pending, 1, memory_order_acq_rel);
        atomic_fetch_sub_explicit(&w->refs, 1, memory_order_relaxed);
        return false;
    }
    if (!added) /* it had ended already */
        watch_end(w, index, srv_atom_noproc);
    return true;
}

srv_status srv__watch_wait(struct exit_watch *w, uint64_t deadline_ns)
{
    struct process *self = srv__caller(); /* with its extra part: its slot */
    if (self == NULL)
        return SRV_ENOMEM;
    struct reply_slot *slot = srv__slot(self);
    uint64_t tag = srv__slot_arm(slot, NULL);
    pthread_mutex_lock(&w->lock);
    w->waiter = self;
    w->waiter_tag = tag;
    pthread_mutex_unlock(&w->lock);
    srv_status status = SRV_OK;
    /* After the waiter is published: an end that comes after this look
     * completes our slot; one that came before is seen here. */
    if (atomic_load_explicit(&w->pending, memory_order_seq_cst) == 0)
        srv__slot_disarm(slot);
    else
        status = srv__slot_wait(slot, deadline_ns, NULL);
    pthread_mutex_lock(&w->lock);
    w->waiter = NULL;
    pthread_mutex_unlock(&w->lock);
    if (atomic_load_explicit(&w->pending, memory_order_acquire) == 0)
        return SRV_OK;
    return status == SRV_OK ? SRV_ETIMEOUT : status;
}

srv_atom srv__watch_reason(struct exit_watch *w, size_t index)
{
    return atomic_load_explicit(&w->each[index].reason, memory_order_acquire);
}

void srv__watch_kill(struct exit_watch *w)
{
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->count; i++)
        if (w->each[i].process != NULL)
            srv__interrupt(w->each[i].process, srv_atom_kill);
    pthread_mutex_unlock(&w->lock);
}

void srv__links_exit(struct process *p, srv_atom reason, const srv_detail *detail)
{
    struct link_set *x = extra_of(p);
    if (x == NULL)
        return;
    srv__word_lock(&x->lock);
    x->dead = true;
    srv__word_unlock(&x->lock);
    /* From here the lists only shrink by our own hand. */
    for (size_t i = 0; i < x->n_links; i++) {
        if (x->links[i].pid.node != 0) { /* the node tells the other end */
            srv__node_link_exit(p->pid, x->links[i].pid, reason, detail);
            continue;
        }
        struct process *q = srv__process_get(x->links[i].pid);
        if (q == NULL) {
            srv__envelope_free(NULL, x->links[i].signal);
            continue;
        }
        struct link_set *xq = extra_of(q);
        struct envelope *theirs = NULL;
        if (xq != NULL) {
            srv__word_lock(&xq->lock);
            if (!xq->dead)
                theirs = remove_link(xq, p->pid);
            srv__word_unlock(&xq->lock);
        }
        if (theirs != NULL)
            srv__envelope_free(NULL, theirs);
        signal_held(q, x->links[i].signal, ENV_EXIT, p->pid, 0, reason, detail);
    }
    for (size_t i = 0; i < x->n_watchers; i++)
        fire_monitor(p, &x->watchers[i], reason, detail);
    for (size_t i = 0; i < x->n_watching; i++)
        unwatch(p->pid, &x->watching[i]);
    for (size_t i = 0; i < x->n_deferred; i++)
        srv__fail_request(&x->deferred[i], reason, detail);
    for (size_t i = 0; i < x->n_watches; i++)
        watch_end(x->watches[i].watch, x->watches[i].index, reason);
    atomic_store_explicit(&srv__extra(p)->links, NULL, memory_order_relaxed);
    srv__free(x->watches);
    srv__free(x->link_index);
    srv_detail_release(x->interrupt_detail);
    for (size_t i = 0; i < KEPT_COUNT; i++)
        srv_detail_release(x->kept[i]);
    if (x->links != x->first_links)
        srv__free(x->links);
    srv__free(x->watchers);
    srv__free(x->watching);
    srv__free(x->deferred);
    srv__slab_free(x, sizeof *x);
}

const srv_detail *srv__keep_detail(struct process *p, enum kept_detail which,
                                   const srv_detail *detail)
{
    struct link_set *x = detail != NULL ? extra_made(p) : extra_of(p);
    if (x == NULL) {
        srv_detail_release(detail);
        return NULL;
    }
    /* p's own (its API calls run on its thread or fiber, one at a time):
     * the one it lent before goes, as the API promises. */
    srv_detail_release(x->kept[which]);
    x->kept[which] = detail;
    return detail;
}

const srv_detail *srv__kept_detail(struct process *p, enum kept_detail which)
{
    struct link_set *x = extra_of(p);
    return x != NULL ? x->kept[which] : NULL;
}

void srv__links_info(struct process *p, struct srv_process_info *info)
{
    struct link_set *x = extra_of(p);
    if (x == NULL)
        return;
    srv__word_lock(&x->lock);
    info->links = x->n_links;
    info->monitors = x->n_watching;
    info->monitored_by = x->n_watchers;
    info->memory += sizeof *x +
                    (x->links != x->first_links ? x->cap_links * sizeof *x->links : 0) +
                    x->index_cap * sizeof *x->link_index +
                    x->cap_watchers * sizeof *x->watchers +
                    x->cap_watching * sizeof *x->watching +
                    x->cap_deferred * sizeof *x->deferred +
                    (x->n_links + x->n_watchers) * sizeof(struct envelope);
    srv__word_unlock(&x->lock);
}

enum listing { LIST_LINKS, LIST_MONITORS, LIST_MONITORED_BY };

/* srv_links and the like: one of pid's lists, copied under its lock. */
static srv_status list(srv_pid pid, enum listing which, srv_pid *out, size_t cap,
                       size_t *count)
{
    if (count == NULL || (out == NULL && cap > 0))
        return SRV_EINVAL;
    *count = 0;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return SRV_ENOPROC;
    struct link_set *x = extra_of(p);
    if (x != NULL) {
        srv__word_lock(&x->lock);
        *count = which == LIST_LINKS      ? x->n_links
                 : which == LIST_MONITORS ? x->n_watching
                                          : x->n_watchers;
        for (size_t i = 0; i < *count && i < cap; i++)
            out[i] = which == LIST_LINKS      ? x->links[i].pid
                     : which == LIST_MONITORS ? x->watching[i].pid
                                              : x->watchers[i].pid;
        srv__word_unlock(&x->lock);
    }
    srv__process_put(p);
    return SRV_OK;
}

srv_status srv_links(srv_pid pid, srv_pid *out, size_t cap, size_t *count)
{
    return list(pid, LIST_LINKS, out, cap, count);
}

srv_status srv_monitors(srv_pid pid, srv_pid *out, size_t cap, size_t *count)
{
    return list(pid, LIST_MONITORS, out, cap, count);
}

srv_status srv_monitored_by(srv_pid pid, srv_pid *out, size_t cap, size_t *count)
{
    return list(pid, LIST_MONITORED_BY, out, cap, count);
}

void srv__monitor_counts(srv_pid pid, size_t *watchers, size_t *watching)
{
    *watchers = *watching = 0;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return;
    struct link_set *x = extra_of(p);
    if (x != NULL) {
        srv__word_lock(&x->lock);
        *watchers = x->n_watchers;
        *watching = x->n_watching;
        srv__word_unlock(&x->lock);
    }
    srv__process_put(p);
}

/* Whether a receive in mode takes e; what it does not take waits in the
 * held list, in order, for a receive that does (an Erlang receive leaves
 * in the mailbox what it does not match). */
static bool receive_takes(const struct envelope *e, enum receive_mode mode, srv_pid parent)
{
    switch (mode) {
    case RECEIVE_SIGNALS:
        return e->kind == ENV_EXIT || e->kind == ENV_DOWN;
    case RECEIVE_ALL:
        return true;
    case RECEIVE_SUSPENDED:
        return e->kind == ENV_SYSTEM || (e->kind == ENV_EXIT && srv__pid_same(e->pid, parent));
    }
    return false;
}

/* The first envelope of the held list that mode takes, taken off it. */
static struct envelope *take_held(struct envelope_list *held, enum receive_mode mode,
                                  srv_pid parent)
{
    struct envelope *before = NULL;
    for (struct envelope *e = held->first; e != NULL; before = e,
                         e = (struct envelope *)atomic_load_explicit(&e->link.next,
                                                                     memory_order_relaxed)) {
        if (!receive_takes(e, mode, parent))
            continue;
        struct envelope *after =
            (struct envelope *)atomic_load_explicit(&e->link.next, memory_order_relaxed);
        if (before == NULL)
            held->first = after;
        else /* relaxed: the list's owner alone reads these links */
            atomic_store_explicit(&before->link.next, &after->link, memory_order_relaxed);
        if (held->last == e)
            held->last = before;
        return e;
    }
    return NULL;
}

struct envelope *srv__receive(struct process *self, uint64_t deadline,
                              enum receive_mode mode, srv_pid parent)
{
    struct process_extra *x = srv__extra(self); /* a thread's identity has it */
    for (unsigned looks = 0;;) {
        /* A spawned function's process that a signal ends exits from
         * here (a plain thread's identity never has one pending); the
         * signaller makes it pending before it queues the EXIT, so it is
         * seen here by the time the EXIT is taken.  Relaxed: the take
         * (srv__interrupt_take) acquires. */
        if (atomic_load_explicit(&self->interrupt, memory_order_relaxed) != NULL)
            srv__exit_if_signalled(self, NULL);
        struct envelope *e = take_held(&x->held, mode, parent);
        if (e != NULL) {
            srv__message_taken(self);
            return e;
        }
        uint32_t seen = atomic_load_explicit(&x->mail_futex, memory_order_acquire);
        e = srv__mailbox_pop(&self->mailbox);
        if (e != NULL) {
            if (e->kind == ENV_EXIT && !srv__traps_exits(self)) {
                /* One that does not trap exits takes no EXIT message: a
                 * normal one does nothing, one that ends it is pending,
                 * and taken at the top. */
                srv__message_taken(self);
                srv__envelope_free(NULL, e);
            } else if (receive_takes(e, mode, parent)) {
                srv__message_taken(self);
                return e;
            } else {
                srv__envelope_list_push(&x->held, e); /* still queued */
            }
            continue;
        }
        if (!srv__mailbox_empty(&self->mailbox))
            continue; /* a push is half done */
        if (deadline != UINT64_MAX && srv__now_ns() >= deadline)
            return NULL;
        /* As a call's wait: a signal or a reply from another core comes
         * sooner than a sleeping thread wakes (kill to DOWN: 9-21 us of
         * 19-32 were the wake-up). */
        if (srv__wait_spin(&looks))
            continue;
        srv__futex_wait(&x->mail_futex, seen, deadline);
    }
}

bool srv__signal_of(struct process *self, struct envelope *e, srv_signal *out)
{
    bool signal = e->kind == ENV_EXIT || e->kind == ENV_DOWN;
    if (signal) {
        out->kind = e->kind == ENV_EXIT ? SRV_SIGNAL_EXIT : SRV_SIGNAL_DOWN;
        out->pid = e->pid;
        out->ref = e->ref;
        out->reason = e->reason;
        out->detail = srv__keep_detail(self, KEPT_SIGNAL, srv_detail_retain(e->detail));
    }
    srv__envelope_free(NULL, e);
    return signal;
}

srv_status srv_receive_signal(srv_signal *out, long timeout_ms)
{
    if (out == NULL || srv__current_or_null() != NULL || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL; /* servers get theirs as info messages */
    struct process *self = srv__thread_identity();
    if (self == NULL)
        return SRV_ENOMEM;
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    for (;;) {
        struct envelope *e = srv__receive(self, deadline, RECEIVE_SIGNALS, SRV_PID_NONE);
        if (e == NULL)
            return SRV_ETIMEOUT;
        if (srv__signal_of(self, e, out))
            return SRV_OK;
    }
}
