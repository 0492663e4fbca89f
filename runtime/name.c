/*
 * name.c: registered names (register/2, unregister/1, whereis/1,
 * registered/0), and what a reference names now (srv_resolve: gen's
 * whereis), which ref.c, call.c's timers and request.c look up.
 *
 * One table of atom -> pid, open addressing keyed by the atom's pointer
 * (atoms are interned), behind a lock: names change at start and exit,
 * never per message.  A process holds at most one name, in its own struct,
 * so its exit removes it without a search.
 *
 * A name in a registry of the user's (srv_registry, gen's via) is that
 * registry's to keep; here is only the list of servers started with one,
 * so that their exit gives the name back to the registry that holds it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "name.h"
#include "os.h"
#include "process.h"

struct entry {
    srv_atom name; /* NULL: empty; TOMBSTONE: removed */
    srv_pid pid;
};

static const char tombstone[] = "";
#define TOMBSTONE ((srv_atom)tombstone)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table;
static size_t capacity, used; /* used counts tombstones too */

static size_t hash(srv_atom name)
{
    uintptr_t h = (uintptr_t)name;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29));
}

static struct entry *find(srv_atom name)
{
    if (capacity == 0)
        return NULL;
    for (size_t i = hash(name) & (capacity - 1);; i = (i + 1) & (capacity - 1)) {
        if (table[i].name == NULL)
            return NULL;
        if (table[i].name == name)
            return &table[i];
    }
}

static bool insert(srv_atom name, srv_pid pid);

/* False when out of memory: the table is left as it was. */
static bool rehash(size_t new_capacity)
{
    struct entry *old = table;
    size_t old_capacity = capacity;
    struct entry *fresh = srv__calloc(new_capacity, sizeof *table);
    if (fresh == NULL)
        return false;
    table = fresh;
    capacity = new_capacity;
    used = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].name != NULL && old[i].name != TOMBSTONE)
            insert(old[i].name, old[i].pid); /* room enough: no rehash */
    srv__free(old);
    return true;
}

static bool insert(srv_atom name, srv_pid pid)
{
    if ((used + 1) * 2 > capacity && !rehash(capacity ? capacity * 2 : 64))
        return false;
    size_t i = hash(name) & (capacity - 1);
    while (table[i].name != NULL && table[i].name != TOMBSTONE)
        i = (i + 1) & (capacity - 1);
    if (table[i].name == NULL)
        used++;
    table[i] = (struct entry){name, pid};
    return true;
}

srv_status srv__name_add(srv_atom name, srv_pid pid, srv_pid *holder)
{
    pthread_mutex_lock(&lock);
    struct entry *e = find(name);
    if (e != NULL) {
        if (holder != NULL)
            *holder = e->pid;
        pthread_mutex_unlock(&lock);
        return SRV_EALREADY;
    }
    bool added = insert(name, pid);
    pthread_mutex_unlock(&lock);
    return added ? SRV_OK : SRV_ENOMEM;
}

/* Servers that hold a name in a registry of the user's, under lock. */
struct via_entry {
    srv_pid pid;
    srv_atom name;
    const srv_registry *via;
};
static struct via_entry *vias;
static size_t n_vias, cap_vias;

srv_status srv__name_add_via(const srv_registry *via, srv_atom name, srv_pid pid,
                             srv_pid *holder)
{
    /* Room first: a name the registry took must be remembered. */
    pthread_mutex_lock(&lock);
    if (n_vias == cap_vias) {
        size_t cap = cap_vias ? cap_vias * 2 : 8;
        struct via_entry *grown = srv__realloc(vias, cap * sizeof *vias);
        if (grown == NULL) {
            pthread_mutex_unlock(&lock);
            return SRV_ENOMEM;
        }
        vias = grown;
        cap_vias = cap;
    }
    pthread_mutex_unlock(&lock);
    /* The registry's functions run outside the lock: they may use names. */
    srv_status status = via->register_name(via->user, name, pid);
    if (status == SRV_EALREADY) {
        if (holder != NULL &&
            via->whereis_name(via->user, name, holder) != SRV_OK)
            *holder = SRV_PID_NONE;
        return status;
    }
    if (status != SRV_OK)
        return status;
    pthread_mutex_lock(&lock);
    if (n_vias == cap_vias) { /* another took the room meanwhile */
        size_t cap = cap_vias * 2;
        struct via_entry *grown = srv__realloc(vias, cap * sizeof *vias);
        if (grown == NULL) {
            pthread_mutex_unlock(&lock);
            via->unregister_name(via->user, name);
            return SRV_ENOMEM;
        }
        vias = grown;
        cap_vias = cap;
    }
    vias[n_vias++] = (struct via_entry){pid, name, via};
    pthread_mutex_unlock(&lock);
    return SRV_OK;
}

void srv__name_remove(srv_atom name, srv_pid pid)
{
    const srv_registry *via = NULL;
    pthread_mutex_lock(&lock);
    struct entry *e = find(name);
    if (e != NULL && srv__pid_same(e->pid, pid)) {
        e->name = TOMBSTONE;
    } else {
        for (size_t i = 0; i < n_vias; i++)
            if (srv__pid_same(vias[i].pid, pid)) {
                via = vias[i].via;
                vias[i] = vias[--n_vias];
                break;
            }
    }
    pthread_mutex_unlock(&lock);
    if (via != NULL)
        via->unregister_name(via->user, name);
}

/* A name given by the user, as an atom: SRV_EINVAL for NULL, SRV_ENOMEM
 * when it cannot be interned. */
static srv_status intern(const char *name, srv_atom *atom)
{
    if (name == NULL)
        return SRV_EINVAL;
    *atom = srv_atom_from(name);
    return *atom != NULL ? SRV_OK : SRV_ENOMEM;
}

srv_status srv_register(const char *name, srv_pid pid)
{
    srv_atom atom;
    srv_status status = intern(name, &atom);
    if (status != SRV_OK)
        return status;
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return SRV_ENOPROC;
    struct process_extra *x = srv__extra_made(p); /* where its name is kept */
    status = x != NULL ? srv__name_add(atom, pid, NULL) : SRV_ENOMEM;
    if (status == SRV_OK) {
        srv_atom none = NULL;
        /* A process holds one name at most (Erlang: badarg). */
        if (!atomic_compare_exchange_strong_explicit(&x->name, &none, atom,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire)) {
            srv__name_remove(atom, pid);
            status = SRV_EALREADY;
        }
    }
    srv__process_put(p);
    return status;
}

enum name_use { NAME_KEEP, NAME_RELEASE };

/* Who holds name (SRV_PID_NONE and SRV_ENOTREG: nobody); with
 * NAME_RELEASE the name is taken off the table as well. */
static srv_status holder(srv_atom name, srv_pid *pid, enum name_use use)
{
    pthread_mutex_lock(&lock);
    struct entry *e = find(name);
    *pid = e != NULL ? e->pid : SRV_PID_NONE;
    if (e != NULL && use == NAME_RELEASE)
        e->name = TOMBSTONE;
    pthread_mutex_unlock(&lock);
    return e != NULL ? SRV_OK : SRV_ENOTREG;
}

srv_status srv_unregister(const char *name)
{
    srv_atom atom;
    srv_status status = intern(name, &atom);
    if (status != SRV_OK)
        return status;
    srv_pid pid;
    if (holder(atom, &pid, NAME_RELEASE) != SRV_OK)
        return SRV_ENOTREG;
    struct process *p = srv__process_get(pid);
    if (p != NULL) {
        struct process_extra *x = srv__extra(p); /* its name's place */
        srv_atom held = atom;
        if (x != NULL)
            atomic_compare_exchange_strong_explicit(&x->name, &held, NULL,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed);
        srv__process_put(p);
    }
    return SRV_OK;
}

void srv__name_release(struct process *p)
{
    struct process_extra *x = srv__extra(p);
    srv_atom name = x != NULL ? atomic_exchange_explicit(&x->name, NULL, memory_order_acq_rel)
                              : NULL;
    if (name != NULL)
        srv__name_remove(name, p->pid);
}

srv_status srv_whereis(const char *name, srv_pid *pid_out)
{
    if (pid_out == NULL)
        return SRV_EINVAL;
    srv_atom atom;
    srv_status status = intern(name, &atom);
    if (status != SRV_OK)
        return status;
    return holder(atom, pid_out, NAME_KEEP);
}

srv_status srv_registered(srv_atom *out, size_t cap, size_t *count)
{
    if (count == NULL || (out == NULL && cap > 0))
        return SRV_EINVAL;
    size_t n = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < capacity; i++)
        if (table[i].name != NULL && table[i].name != TOMBSTONE) {
            if (n < cap)
                out[n] = table[i].name;
            n++;
        }
    pthread_mutex_unlock(&lock);
    *count = n;
    return SRV_OK;
}

/* fork: the child starts with no names. */
void srv__name_fork(enum srv_fork_phase phase)
{
    if (!srv__fork_lock(phase, &lock))
        return;
    if (table != NULL) /* the parent's processes are not the child's */
        memset(table, 0, capacity * sizeof *table);
    used = 0;
    n_vias = 0;
}

/* ---- References: a pid, a local name, or a name in a registry ------ */

bool srv__via_valid(const srv_ref *server)
{
    return server->name != NULL && server->via != NULL &&
           server->via->whereis_name != NULL;
}

srv_status srv_resolve(srv_ref server, srv_pid *pid_out)
{
    if (pid_out == NULL)
        return SRV_EINVAL;
    *pid_out = SRV_PID_NONE;
    switch (server.kind) {
    case SRV_REF_PID:
        *pid_out = server.pid;
        return SRV_OK;
    case SRV_REF_NAME:
        return srv_whereis(server.name, pid_out);
    case SRV_REF_VIA: {
        if (!srv__via_valid(&server))
            return SRV_EINVAL;
        srv_status status = server.via->whereis_name(server.via->user, server.name, pid_out);
        if (status != SRV_OK) {
            *pid_out = SRV_PID_NONE;
            return status == SRV_ENOMEM || status == SRV_EINVAL ? status : SRV_ENOTREG;
        }
        return SRV_OK;
    }
    }
    return SRV_EINVAL;
}
