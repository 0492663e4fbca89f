/*
 * mailbox.c: envelopes, and Vyukov's intrusive multi-producer
 * single-consumer queue of them.
 *
 * A push is one atomic exchange and one store, with no lock and no
 * allocation (the envelope is the node).  The queue keeps a stub node so it
 * is never empty in the structural sense; the consumer re-inserts the stub
 * when it takes the last envelope.
 */
#include "alloc.h"
#include "mailbox.h"

void srv__envelope_free(const srv_module *module, struct envelope *e)
{
    bool has_args = e->kind == ENV_CALL || e->kind == ENV_CAST || e->kind == ENV_INFO;
    if (has_args && module != NULL && e->message < module->message_count &&
        module->messages[e->message].free_args != NULL)
        module->messages[e->message].free_args(e->args);
    if (e->kind == ENV_EXIT || e->kind == ENV_DOWN ||
        (e->kind == ENV_SYSTEM && e->system == SYS_TERMINATE))
        srv_detail_release(e->detail);
    if (e->kind == ENV_SYSTEM && e->system == SYS_LOG_TO_FILE)
        srv__free(e->arg);
    srv__pool_free(e);
}

void srv__mailbox_init(struct mailbox *mb)
{
    atomic_store_explicit(&mb->stub.next, NULL, memory_order_relaxed);
    atomic_store_explicit(&mb->head, &mb->stub, memory_order_relaxed);
    mb->tail = &mb->stub;
}

static void push_link(struct mailbox *mb, struct mailbox_link *node)
{
    atomic_store_explicit(&node->next, NULL, memory_order_relaxed);
    /* seq_cst: orders the push before the sender's load of the receiver's
     * run state (srv__deliver), against the owner's store of IDLE and its
     * re-check of the mailbox (srv__release): one of them sees the other. */
    struct mailbox_link *prev =
        atomic_exchange_explicit(&mb->head, node, memory_order_seq_cst);
    /* Release: the consumer's acquire load of prev->next sees the node's
     * contents. */
    atomic_store_explicit(&prev->next, node, memory_order_release);
}

void srv__mailbox_push(struct mailbox *mb, struct envelope *e)
{
    push_link(mb, &e->link);
}

struct envelope *srv__mailbox_pop(struct mailbox *mb)
{
    struct mailbox_link *tail = mb->tail;
    struct mailbox_link *next =
        atomic_load_explicit(&tail->next, memory_order_acquire);
    if (tail == &mb->stub) {
        if (next == NULL)
            return NULL;
        mb->tail = next;
        tail = next;
        next = atomic_load_explicit(&next->next, memory_order_acquire);
    }
    if (next != NULL) {
        mb->tail = next;
        return (struct envelope *)tail;
    }
    /* tail is the last node we can see: if head moved past it, a push is
     * half done; come back later. */
    if (tail != atomic_load_explicit(&mb->head, memory_order_seq_cst))
        return NULL;
    push_link(mb, &mb->stub);
    next = atomic_load_explicit(&tail->next, memory_order_acquire);
    if (next != NULL) {
        mb->tail = next;
        return (struct envelope *)tail;
    }
    return NULL;
}

bool srv__mailbox_empty(struct mailbox *mb)
{
    /* seq_cst: pairs with push_link's exchange (see there). */
    return mb->tail == &mb->stub &&
           atomic_load_explicit(&mb->head, memory_order_seq_cst) == &mb->stub;
}
