/*
 * link.c: links, monitors and exit signals, with Erlang's rules, and the
 * signals a plain thread receives.
 *
 * A process keeps them in an extra record made the first time it needs
 * one, so an idle server that has none pays a pointer.  The record's lock
 * guards the lists; `dead` is set once the process has started to tell
 * its links and monitors, after which a new link or monitor gets noproc.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct monitor_entry {
    uint64_t ref;
    srv_pid pid; /* in `watchers`: who watches us; in `watching`: whom we watch */
};

struct process_extra {
    pthread_mutex_t lock;
    bool dead;
    srv_pid *links;
    size_t n_links, cap_links;
    struct monitor_entry *watchers;
    size_t n_watchers, cap_watchers;
    struct monitor_entry *watching;
    size_t n_watching, cap_watching;
    srv_from *deferred;
    size_t n_deferred, cap_deferred;
};

static _Atomic uint64_t next_ref = 1;

struct process_extra *srv__extra(struct process *p)
{
    struct process_extra *x = atomic_load_explicit(&p->extra, memory_order_acquire);
    if (x != NULL)
        return x;
    struct process_extra *fresh = calloc(1, sizeof *fresh);
    if (fresh == NULL)
        srv__fatal("srv: out of memory for links and monitors");
    pthread_mutex_init(&fresh->lock, NULL);
    /* acq_rel: the winner's record is seen initialised by every loser. */
    if (atomic_compare_exchange_strong_explicit(&p->extra, &x, fresh,
                                                memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    pthread_mutex_destroy(&fresh->lock);
    free(fresh);
    return x;
}

/* Appends to a growable array: one macro-free helper for every list. */
static void *grow(void *array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return array;
    size_t more = *cap ? *cap * 2 : 4;
    void *bigger = realloc(array, more * size);
    if (bigger == NULL)
        srv__fatal("srv: out of memory for links and monitors");
    *cap = more;
    return bigger;
}

static bool remove_pid(srv_pid *list, size_t *count, srv_pid pid)
{
    for (size_t i = 0; i < *count; i++)
        if (srv_pid_equal(list[i], pid)) {
            list[i] = list[--*count];
            return true;
        }
    return false;
}

static bool remove_ref(struct monitor_entry *list, size_t *count, uint64_t ref,
                       srv_pid *pid)
{
    for (size_t i = 0; i < *count; i++)
        if (list[i].ref == ref) {
            if (pid != NULL)
                *pid = list[i].pid;
            list[i] = list[--*count];
            return true;
        }
    return false;
}

static void send_signal(srv_pid to, enum envelope_kind kind, srv_pid from,
                        uint64_t ref, srv_atom reason)
{
    struct process *q = srv__process_get(to);
    if (q == NULL)
        return;
    struct envelope *e = srv__envelope_new(0);
    e->kind = (uint16_t)kind;
    e->pid = from;
    e->ref = ref;
    e->reason = reason;
    srv__deliver(q, e);
    if (kind == ENV_EXIT && reason != srv_atom_normal)
        srv__interrupt(q, reason);
    srv__process_put(q);
}

/* Adds b to a's links, unless a is dead.  Caller holds a's lock. */
static bool add_link_locked(struct process_extra *x, srv_pid b)
{
    if (x->dead)
        return false;
    for (size_t i = 0; i < x->n_links; i++)
        if (srv_pid_equal(x->links[i], b))
            return true;
    x->links = grow(x->links, &x->cap_links, x->n_links, sizeof *x->links);
    x->links[x->n_links++] = b;
    return true;
}

/* Locks two records in address order, so two linkers never deadlock. */
static void lock_pair(struct process_extra *a, struct process_extra *b)
{
    if (a < b) {
        pthread_mutex_lock(&a->lock);
        pthread_mutex_lock(&b->lock);
    } else {
        pthread_mutex_lock(&b->lock);
        pthread_mutex_lock(&a->lock);
    }
}

static bool link_processes(struct process *a, struct process *b)
{
    struct process_extra *xa = srv__extra(a), *xb = srv__extra(b);
    lock_pair(xa, xb);
    bool linked = !xa->dead && !xb->dead;
    if (linked) {
        add_link_locked(xa, b->pid);
        add_link_locked(xb, a->pid);
    }
    pthread_mutex_unlock(&xa->lock);
    pthread_mutex_unlock(&xb->lock);
    return linked;
}

void srv__link_pair(struct process *a, struct process *b)
{
    link_processes(a, b);
}

srv_status srv_link(srv_pid pid)
{
    struct process *self = srv__current();
    if (srv_pid_equal(pid, self->pid))
        return SRV_OK;
    struct process *q = srv__process_get(pid);
    bool linked = q != NULL && link_processes(self, q);
    if (q != NULL)
        srv__process_put(q);
    if (linked)
        return SRV_OK;
    /* Erlang: linking to a dead process brings an exit signal noproc. */
    if (self->trap_exit || self->module == NULL)
        send_signal(self->pid, ENV_EXIT, pid, 0, srv_atom_noproc);
    return SRV_ENOPROC;
}

srv_status srv_unlink(srv_pid pid)
{
    struct process *self = srv__current();
    struct process_extra *x = srv__extra(self);
    pthread_mutex_lock(&x->lock);
    if (!x->dead)
        remove_pid(x->links, &x->n_links, pid);
    pthread_mutex_unlock(&x->lock);
    struct process *q = srv__process_get(pid);
    if (q != NULL) {
        struct process_extra *xq = srv__extra(q);
        pthread_mutex_lock(&xq->lock);
        if (!xq->dead) /* a dead one is reading its list unlocked */
            remove_pid(xq->links, &xq->n_links, self->pid);
        pthread_mutex_unlock(&xq->lock);
        srv__process_put(q);
    }
    return SRV_OK;
}

bool srv_trap_exit(bool on)
{
    struct process *self = srv__current();
    if (self->module == NULL)
        return true; /* plain threads always trap */
    bool was = self->trap_exit;
    self->trap_exit = on;
    return was;
}

srv_status srv_exit_signal(srv_pid pid, srv_atom reason)
{
    send_signal(pid, ENV_EXIT, srv__current()->pid, 0,
                srv__atom(reason != NULL ? reason : srv_atom_normal));
    return SRV_OK;
}

srv_status srv_monitor(srv_pid pid, uint64_t *ref_out)
{
    struct process *self = srv__current();
    uint64_t ref = atomic_fetch_add_explicit(&next_ref, 1, memory_order_relaxed);
    if (ref_out != NULL)
        *ref_out = ref;
    struct process *q = srv__process_get(pid);
    bool watching = false;
    if (q != NULL) {
        struct process_extra *xq = srv__extra(q);
        pthread_mutex_lock(&xq->lock);
        if (!xq->dead) {
            xq->watchers = grow(xq->watchers, &xq->cap_watchers, xq->n_watchers,
                                sizeof *xq->watchers);
            xq->watchers[xq->n_watchers++] = (struct monitor_entry){ref, self->pid};
            watching = true;
        }
        pthread_mutex_unlock(&xq->lock);
        srv__process_put(q);
    }
    if (!watching) {
        /* A monitor of a dead process fires at once with noproc. */
        send_signal(self->pid, ENV_DOWN, pid, ref, srv_atom_noproc);
        return SRV_OK;
    }
    struct process_extra *x = srv__extra(self);
    pthread_mutex_lock(&x->lock);
    x->watching = grow(x->watching, &x->cap_watching, x->n_watching, sizeof *x->watching);
    x->watching[x->n_watching++] = (struct monitor_entry){ref, pid};
    pthread_mutex_unlock(&x->lock);
    return SRV_OK;
}

srv_status srv_demonitor(uint64_t ref)
{
    struct process *self = srv__current();
    struct process_extra *x = srv__extra(self);
    srv_pid target;
    pthread_mutex_lock(&x->lock);
    bool found = remove_ref(x->watching, &x->n_watching, ref, &target);
    pthread_mutex_unlock(&x->lock);
    if (!found)
        return SRV_OK;
    struct process *q = srv__process_get(target);
    if (q != NULL) {
        struct process_extra *xq = srv__extra(q);
        pthread_mutex_lock(&xq->lock);
        if (!xq->dead)
            remove_ref(xq->watchers, &xq->n_watchers, ref, NULL);
        pthread_mutex_unlock(&xq->lock);
        srv__process_put(q);
    }
    return SRV_OK;
}

void srv__deferred_add(struct process *p, srv_from from)
{
    struct process_extra *x = srv__extra(p);
    pthread_mutex_lock(&x->lock);
    /* Forget the ones already answered (their caller's slot moved on). */
    size_t kept = 0;
    for (size_t i = 0; i < x->n_deferred; i++) {
        struct process *caller = srv__process_get(x->deferred[i].pid);
        if (caller == NULL)
            continue;
        uint64_t word = atomic_load_explicit(&caller->slot.word, memory_order_acquire);
        srv__process_put(caller);
        if (word == (x->deferred[i].tag << 2 | SLOT_WAITING))
            x->deferred[kept++] = x->deferred[i];
    }
    x->n_deferred = kept;
    x->deferred = grow(x->deferred, &x->cap_deferred, x->n_deferred, sizeof *x->deferred);
    x->deferred[x->n_deferred++] = from;
    pthread_mutex_unlock(&x->lock);
}

void srv__links_exit(struct process *p, srv_atom reason)
{
    struct process_extra *x = atomic_load_explicit(&p->extra, memory_order_acquire);
    if (x == NULL)
        return;
    pthread_mutex_lock(&x->lock);
    x->dead = true;
    pthread_mutex_unlock(&x->lock);
    /* From here the lists only shrink by our own hand. */
    for (size_t i = 0; i < x->n_links; i++) {
        struct process *q = srv__process_get(x->links[i]);
        if (q == NULL)
            continue;
        struct process_extra *xq = srv__extra(q);
        pthread_mutex_lock(&xq->lock);
        if (!xq->dead)
            remove_pid(xq->links, &xq->n_links, p->pid);
        pthread_mutex_unlock(&xq->lock);
        srv__process_put(q);
        send_signal(x->links[i], ENV_EXIT, p->pid, 0, reason);
    }
    for (size_t i = 0; i < x->n_watchers; i++)
        send_signal(x->watchers[i].pid, ENV_DOWN, p->pid, x->watchers[i].ref, reason);
    for (size_t i = 0; i < x->n_deferred; i++)
        srv__fail_request(&x->deferred[i], reason);
    atomic_store_explicit(&p->extra, NULL, memory_order_relaxed);
    free(x->links);
    free(x->watchers);
    free(x->watching);
    free(x->deferred);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

srv_status srv_receive_signal(srv_signal *out, long timeout_ms)
{
    if (out == NULL || srv__current_or_null() != NULL)
        return SRV_EINVAL; /* servers get theirs as info messages */
    struct process *self = srv__thread_identity();
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    for (;;) {
        uint32_t seen = atomic_load_explicit(&self->mail_futex, memory_order_acquire);
        struct envelope *e = srv__mailbox_pop(&self->mailbox);
        if (e != NULL) {
            bool signal = e->kind == ENV_EXIT || e->kind == ENV_DOWN;
            if (signal) {
                out->kind = e->kind == ENV_EXIT ? SRV_SIGNAL_EXIT : SRV_SIGNAL_DOWN;
                out->pid = e->pid;
                out->ref = e->ref;
                out->reason = e->reason;
            }
            srv__envelope_free(NULL, e);
            if (signal)
                return SRV_OK;
            continue;
        }
        if (!srv__mailbox_empty(&self->mailbox))
            continue; /* a push is half done */
        if (deadline != UINT64_MAX && srv__now_ns() >= deadline)
            return SRV_ETIMEOUT;
        srv__futex_wait(&self->mail_futex, seen, deadline);
    }
}
