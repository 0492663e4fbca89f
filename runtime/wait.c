/*
 * wait.c: how a caller waits for its reply: the reply slot's one-CAS
 * protocol; a handler's fiber parks, a plain thread spins briefly, then
 * sleeps on a futex.  An exit signal that ends the waiter ends its wait
 * (srv__interrupt), and srv_sleep is a wait that only its deadline ends.
 */
#include <sched.h>
#include <string.h>

#include "atom.h"
#include "exit.h"
#include "fiber.h"
#include "inline.h"
#include "link.h"
#include "os.h"
#include "process.h"
#include "request.h"
#include "sched.h"
#include "spawn.h"
#include "thread.h"
#include "wait.h"

#define SPIN_ROUNDS 64   /* ~1-3 us of pause first: a reply from another core */
#define YIELD_ROUNDS 200 /* then yields, before a futex sleep */

uint64_t srv__slot_arm(struct reply_slot *slot, void *reply)
{
    /* Only the owner writes a new round, so a plain load is enough to
     * compute the next tag; tags never repeat for one caller. */
    uint64_t tag = (atomic_load_explicit(&slot->word, memory_order_relaxed) >> 2) + 1;
    slot->reply = reply;
    slot->status = SRV_OK;
    slot->reason = NULL;
    atomic_store_explicit(&slot->futex, 0, memory_order_relaxed);
    /* Release: a replier that sees WAITING for this tag also sees reply. */
    atomic_store_explicit(&slot->word, tag << 2 | SLOT_WAITING,
                          memory_order_release);
    return tag;
}

/* The slot's state right now; when the deadline has passed, gives up
 * (unless the replier got there first).  True when the wait is over. */
SRV_CALL_PATH
static bool wait_over(struct reply_slot *slot, uint64_t deadline_ns,
                      srv_status *status, srv_atom *reason)
{
    /* Acquire: pairs with the replier's release store of DONE, so the
     * reply bytes and status are visible. */
    uint64_t word = atomic_load_explicit(&slot->word, memory_order_acquire);
    if ((word & 3) == SLOT_DONE) {
        if (reason != NULL)
            *reason = slot->reason;
        *status = slot->status;
        if (*status == SRV_EEXIT) { /* reply holds the reason's detail */
            srv__keep_detail(srv__slot_owner(slot), KEPT_WAIT, slot->reply);
            slot->reply = NULL;
        }
        return true;
    }
    if ((word & 3) == SLOT_WAITING && deadline_ns != UINT64_MAX &&
        srv__now_ns() >= deadline_ns &&
        atomic_compare_exchange_strong_explicit(
            &slot->word, &word, (word & ~(uint64_t)3) | SLOT_ABANDONED,
            memory_order_acq_rel, memory_order_acquire)) {
        *status = SRV_ETIMEOUT;
        return true;
    }
    return false; /* WAITING, or WRITING: DONE comes in a moment */
}

/* Wakes whoever waits on slot: the fiber parked for tag, if this CAS of
 * sleeper from tag to 0 wins it (tag 0: none is parked), else a plain
 * thread that may sleep on the futex (2 says it does).  acq_rel: the
 * waker's writes before are seen by the woken, and the winner of the
 * sleeper takes the fiber the parker published before it. */
static void wake_waiter(struct reply_slot *slot, uint64_t tag)
{
    if (tag != 0 && atomic_compare_exchange_strong_explicit(&slot->sleeper, &tag, 0,
                                                            memory_order_acq_rel,
                                                            memory_order_relaxed))
        srv__sched_wake(slot->fiber);
    else if (atomic_exchange_explicit(&slot->futex, 1, memory_order_acq_rel) == 2)
        srv__futex_wake(&slot->futex);
}

bool srv__interrupt(struct process *p, srv_atom reason)
{
    if (!srv__killable(p))
        return false; /* a plain thread's identity is never killed */
    /* The first signal pending wins, except that kill replaces another
     * (which p could still drop if it traps exits by then).  seq_cst, then
     * the load of sleeper: pairs with srv__slot_wait's store of sleeper
     * and its look at interrupt; one of us sees the other.  And with
     * srv__release's look at interrupt after its store of IDLE. */
    srv_atom pending = NULL;
    bool ours = true;
    while (!atomic_compare_exchange_weak_explicit(&p->interrupt, &pending, reason,
                                                  memory_order_seq_cst,
                                                  memory_order_seq_cst))
        if (pending != NULL && (reason != srv_atom_kill || pending == srv_atom_kill)) {
            ours = false;
            break;
        }
    /* seq_cst: pairs with srv__extra_made's exchange and srv__slot_wait's
     * look at interrupt after it: a p with no extra part yet waits on no
     * slot, and sees the signal when it comes to wait. */
    struct process_extra *x = atomic_load_explicit(&p->extra, memory_order_seq_cst);
    if (x == NULL)
        return ours;
    struct reply_slot *slot = &x->slot;
    wake_waiter(slot, atomic_load_explicit(&slot->sleeper, memory_order_seq_cst));
    return ours;
}

/* The waiting process's side of srv__interrupt: exits from the wait when
 * the signal ends p; otherwise the signal is left to the mailbox.  It
 * resets the futex word srv__interrupt set, so the caller must look at
 * the slot after it: a reply that came before the reset is seen then, one
 * that comes after sets the word again. */
static __attribute__((noinline)) void take_interrupt_now(struct process *p,
                                                          struct reply_slot *slot)
{
    /* p's handler on this thread, or the function srv_spawn runs as p */
    struct exit_frame *frame = srv__current_or_null() == p ? srv__exit_frame(p)
                                                           : srv__spawn_frame(p);
    if (frame == NULL)
        return; /* not p's code: left for p's next message boundary */
    /* An exchange, not a store: if a replier's exchange came first, ours
     * reads it and synchronises with it, so the caller's next look at the
     * slot sees DONE; if ours came first, the replier's sets 1 again.  A
     * signal that comes after it is seen by the take below, or sets the
     * word again. */
    atomic_exchange_explicit(&slot->futex, 0, memory_order_acq_rel);
    srv__exit_if_signalled(p, slot);
}

/* Most waits find no signal: one load. */
static inline void take_interrupt(struct reply_slot *slot)
{
    struct process *p = srv__slot_owner(slot);
    if (atomic_load_explicit(&p->interrupt, memory_order_relaxed) != NULL)
        take_interrupt_now(p, slot);
}

bool srv__wait_spin(unsigned *looks)
{
    unsigned n = (*looks)++;
    if (n < SPIN_ROUNDS) {
        srv__cpu_relax();
        return true;
    }
    if (n < SPIN_ROUNDS + YIELD_ROUNDS) {
        sched_yield();
        return true;
    }
    return false;
}

/* A plain thread (or a scheduler out of stacks): spin for a reply from
 * another core, then yield, then sleep on the futex. */
static srv_status wait_blocking(struct reply_slot *slot, uint64_t deadline_ns,
                               srv_atom *reason)
{
    srv_status status;
    for (unsigned looks = 0;;) {
        take_interrupt(slot); /* first, then the look at the slot */
        if (wait_over(slot, deadline_ns, &status, reason))
            return status;
        uint64_t word = atomic_load_explicit(&slot->word, memory_order_relaxed);
        if ((word & 3) == SLOT_WRITING) { /* the reply is being written */
            srv__cpu_relax();
            continue;
        }
        if (srv__wait_spin(&looks))
            continue;
        /* 2 says "asleep": only then does the replier make the wake call. */
        uint32_t awake = 0;
        if (atomic_compare_exchange_strong_explicit(&slot->futex, &awake, 2,
                                                    memory_order_seq_cst,
                                                    memory_order_acquire) &&
            atomic_load_explicit(&srv__slot_owner(slot)->interrupt, memory_order_seq_cst) == NULL)
            srv__futex_wait(&slot->futex, 2, deadline_ns);
    }
}

/* A handler on a scheduler thread parks its fiber and the thread goes on;
 * anywhere else, or with no stack to go on with, the caller blocks.  A
 * call its caller ran itself is over at the first look. */
SRV_CALL_PATH
srv_status srv__slot_wait(struct reply_slot *slot, uint64_t deadline_ns,
                          srv_atom *reason)
{
    uint64_t tag = atomic_load_explicit(&slot->word, memory_order_relaxed) >> 2;
    srv_status status;
    for (;;) {
        take_interrupt(slot); /* first, then the look at the slot */
        if (wait_over(slot, deadline_ns, &status, reason))
            return status;
        /* A handler run for its caller lets the caller go before it
         * waits: the caller's own deadline must not wait on ours. */
        if (srv__inline_detach())
            continue;
        if (!srv__sched_can_park())
            return wait_blocking(slot, deadline_ns, reason);
        slot->fiber = srv__fiber_running();
        /* seq_cst, then the load of word: pairs with the replier's CAS
         * to WRITING and its load of sleeper (srv__slot_complete).
         * Either it sees us parked and wakes us, or we see it here. */
        atomic_store_explicit(&slot->sleeper, tag, memory_order_seq_cst);
        uint64_t word = atomic_load_explicit(&slot->word, memory_order_seq_cst);
        if ((word & 3) != SLOT_WAITING ||
            atomic_load_explicit(&srv__slot_owner(slot)->interrupt, memory_order_seq_cst) != NULL ||
            (deadline_ns != UINT64_MAX && srv__now_ns() >= deadline_ns)) {
            uint64_t parked = tag;
            if (atomic_compare_exchange_strong_explicit(&slot->sleeper, &parked, 0,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed)) {
                if ((word & 3) == SLOT_WRITING)
                    srv__cpu_relax();
                continue;
            }
            /* A waker took us already: its wake must be consumed. */
        }
        srv__sched_park(&slot->sleeper, tag, deadline_ns);
    }
}

/* The caller is suspended right beneath the handler that answers it
 * (inline.c): the reply goes straight to its buffer, with no lookup and
 * no wake-up.  The CAS still decides, against a second answer. */
static bool complete_beneath(struct reply_slot *slot, uint64_t tag, srv_status status,
                             srv_atom reason, const srv_detail *detail, const void *reply,
                             size_t size)
{
    uint64_t expected = tag << 2 | SLOT_WAITING;
    if ((atomic_load_explicit(&slot->word, memory_order_relaxed)) != expected)
        return false;
    if (reply != NULL && slot->reply != NULL && slot->reply != reply && size > 0)
        memcpy(slot->reply, reply, size);
    slot->status = status;
    slot->reason = reason;
    if (status == SRV_EEXIT)
        slot->reply = (void *)srv_detail_retain(detail);
    /* Release: the caller's acquire load of DONE sees the reply. */
    if (atomic_compare_exchange_strong_explicit(&slot->word, &expected, tag << 2 | SLOT_DONE,
                                                memory_order_release, memory_order_relaxed))
        return true;
    if (status == SRV_EEXIT)
        srv_detail_release(detail); /* ours was not taken */
    return false;
}

/* The caller's slot, the caller held: woken if it sleeps. */
static bool complete_slot(struct process *caller, srv_from from, srv_status status,
                          srv_atom reason, const srv_detail *detail, const void *reply,
                          size_t size)
{
    struct reply_slot *slot = srv__slot(caller); /* it called: it has one */
    uint64_t expected = from.tag << 2 | SLOT_WAITING;
    /* Acquire: we read slot->reply, published by srv__slot_arm.  seq_cst,
     * and the load of sleeper after it: pairs with srv__slot_wait's store
     * of sleeper and its load of word. */
    if (!atomic_compare_exchange_strong_explicit(
            &slot->word, &expected, from.tag << 2 | SLOT_WRITING,
            memory_order_seq_cst, memory_order_relaxed))
        return false;
    bool parked = atomic_load_explicit(&slot->sleeper, memory_order_seq_cst) == from.tag;
    if (reply != NULL && slot->reply != NULL && slot->reply != reply && size > 0)
        memcpy(slot->reply, reply, size);
    slot->status = status;
    slot->reason = reason;
    if (status == SRV_EEXIT) /* the caller takes it with DONE (wait_over) */
        slot->reply = (void *)srv_detail_retain(detail);
    /* Release: the caller's acquire load of DONE sees the reply. */
    atomic_store_explicit(&slot->word, from.tag << 2 | SLOT_DONE,
                          memory_order_release);
    wake_waiter(slot, parked ? from.tag : 0);
    return true;
}

/* The caller is elsewhere: found by its pid. */
static __attribute__((noinline)) bool complete_elsewhere(srv_from from, srv_status status,
                                                         srv_atom reason,
                                                         const srv_detail *detail,
                                                         const void *reply, size_t size)
{
    struct process *caller = srv__process_get(from.pid);
    if (caller == NULL)
        return false;
    bool taken = srv__tag_is_request(from.tag) /* its own place (request.c) */
                     ? srv__request_complete(caller, from.tag, status, reason, detail, reply,
                                             size)
                     : complete_slot(caller, from, status, reason, detail, reply, size);
    srv__process_put(caller);
    return taken;
}

bool srv__slot_complete_process(struct process *caller, uint64_t tag, srv_status status)
{
    srv_from from = {caller->pid, tag, NULL};
    return complete_slot(caller, from, status, NULL, NULL, NULL, 0);
}

bool srv__slot_complete(srv_from from, srv_status status, srv_atom reason,
                        const void *reply, size_t size)
{
    return srv__slot_complete_detail(from, status, reason, NULL, reply, size);
}

bool srv__slot_complete_text(srv_from from, srv_buf *text)
{
    if (text->data == NULL)
        return srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
    if (srv__slot_complete(from, SRV_OK, NULL, text, sizeof *text))
        return true;
    srv_buf_free(text);
    return false;
}

SRV_CALL_PATH
bool srv__slot_complete_detail(srv_from from, srv_status status, srv_atom reason,
                               const srv_detail *detail, const void *reply, size_t size)
{
    /* The job a caller runs (inline.c) answers that caller, while it is
     * still suspended beneath it: by its slot, with no lookup. */
    struct fiber *f = srv__fiber_running();
    if (f != NULL && f->caller != NULL && f->caller_tag == from.tag) {
        struct process *p = f->caller_process;
        if (p->pid.index == from.pid.index && p->pid.serial == from.pid.serial &&
            p->pid.node == from.pid.node)
            return complete_beneath(srv__slot(p), from.tag, status, reason, detail, reply,
                                    size);
    }
    return complete_elsewhere(from, status, reason, detail, reply, size);
}

void srv_sleep(long ms)
{
    if (ms <= 0)
        return;
    /* A wait that only the deadline ends, or an exit signal (srv__interrupt):
     * a handler's fiber parks, a plain thread sleeps on its futex. */
    struct process *self = srv__caller();
    if (self == NULL) { /* no memory for the slot to wait on */
        if (srv__current_or_null() != NULL)
            srv_exit(srv__atom_out_of_memory);
        srv__fatal("srv: out of memory for a thread's process identity");
    }
    struct reply_slot *slot = srv__slot(self);
    srv__slot_arm(slot, NULL);
    srv__slot_wait(slot, srv__deadline_after_ms(ms), NULL);
}

bool srv__word_abandon(_Atomic uint64_t *word)
{
    for (;;) {
        uint64_t now = atomic_load_explicit(word, memory_order_acquire);
        if ((now & 3) == SLOT_WRITING) { /* DONE comes in a moment */
            srv__cpu_relax();
            continue;
        }
        if ((now & 3) != SLOT_WAITING)
            return false;
        /* acq_rel: against the replier's CAS to WRITING, one wins */
        if (atomic_compare_exchange_strong_explicit(word, &now,
                                                    (now & ~(uint64_t)3) | SLOT_ABANDONED,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed))
            return true;
    }
}

void srv__slot_disarm(struct reply_slot *slot)
{
    srv__word_abandon(&slot->word);
}

bool srv__caller_waits(srv_from from)
{
    struct process *caller = srv__process_get(from.pid);
    if (caller == NULL)
        return false;
    bool waits;
    if (srv__tag_is_request(from.tag))
        waits = srv__request_waits(caller, from.tag);
    else /* acquire: pairs with srv__slot_arm's release */
        waits = srv__extra(caller) != NULL &&
                atomic_load_explicit(&srv__slot(caller)->word, memory_order_acquire) ==
                    (from.tag << 2 | SLOT_WAITING);
    srv__process_put(caller);
    return waits;
}
