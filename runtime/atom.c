/*
 * atom.c: interned names.  Each name has one pointer for the life of the
 * program, so atoms compare by pointer; the runtime's own atoms are the
 * constants declared in srv.h, entered first.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "os.h"

const char srv_atom_normal[] = "normal";
const char srv_atom_shutdown[] = "shutdown";
const char srv_atom_kill[] = "kill";
const char srv_atom_killed[] = "killed";
const char srv_atom_noproc[] = "noproc";
const char srv_atom_timeout[] = "timeout";
const char srv_atom_bad_return_value[] = "bad_return_value";
const char srv__atom_out_of_memory[] = "out_of_memory";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char **table;
static size_t capacity, count;

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void put(const char *name)
{
    size_t i = hash(name) & (capacity - 1);
    while (table[i] != NULL)
        i = (i + 1) & (capacity - 1);
    table[i] = name;
    count++;
}

/* False when out of memory: the table is left as it was. */
static bool grow(void)
{
    const char **old = table;
    size_t old_capacity = capacity;
    const char **bigger = srv__calloc(capacity ? capacity * 2 : 256, sizeof *table);
    if (bigger == NULL)
        return false;
    table = bigger;
    capacity = capacity ? capacity * 2 : 256;
    count = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i] != NULL)
            put(old[i]);
    srv__free(old);
    if (old_capacity == 0) {
        const char *builtin[] = {srv_atom_normal, srv_atom_shutdown, srv_atom_kill,
                                 srv_atom_killed, srv_atom_noproc, srv_atom_timeout,
                                 srv_atom_bad_return_value, srv__atom_out_of_memory};
        for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
            put(builtin[i]);
    }
    return true;
}

srv_atom srv_atom_from(const char *name)
{
    if (name == NULL)
        return NULL;
    pthread_mutex_lock(&lock);
    if ((count + 1) * 2 > capacity && !grow()) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    size_t i = hash(name) & (capacity - 1);
    for (; table[i] != NULL; i = (i + 1) & (capacity - 1))
        if (strcmp(table[i], name) == 0) {
            const char *found = table[i];
            pthread_mutex_unlock(&lock);
            return found;
        }
    char *copy = srv__strdup(name);
    if (copy == NULL) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    table[i] = copy;
    count++;
    pthread_mutex_unlock(&lock);
    return copy;
}

srv_atom srv__atom(srv_atom maybe_interned)
{
    if (maybe_interned == srv_atom_normal || maybe_interned == srv_atom_shutdown ||
        maybe_interned == srv_atom_killed || maybe_interned == srv_atom_kill)
        return maybe_interned;
    srv_atom atom = srv_atom_from(maybe_interned);
    /* A reason must travel: one that cannot be interned becomes this. */
    return atom != NULL ? atom : srv__atom_out_of_memory;
}

/* fork: atoms live on in the child as they are. */
void srv__atom_fork(enum srv_fork_phase phase)
{
    srv__fork_lock(phase, &lock);
}

bool srv__atom_is_shutdown_detail(srv_atom reason)
{
    static const char prefix[] = "{shutdown,";
    return reason != NULL && strncmp(reason, prefix, sizeof prefix - 1) == 0;
}
