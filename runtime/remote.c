/*
 * remote.c: the node's hooks (remote.h), held for the runtime.
 */
#include <stdatomic.h>

#include "remote.h"

static const struct srv__remote_hooks *_Atomic hooks;

const struct srv__remote_hooks *srv__remote(void)
{
    /* Acquire: pairs with srv__remote_set's release (the table is const,
     * and the node's state behind it is made before). */
    return atomic_load_explicit(&hooks, memory_order_acquire);
}

void srv__remote_set(const struct srv__remote_hooks *set)
{
    atomic_store_explicit(&hooks, set, memory_order_release);
}
