/*
 * wait.h: the caller side of a call (wait.c): the reply slot, how a
 * caller waits on it and how a replier completes it; the exit signal that
 * ends a wait; srv_sleep is a wait that only its deadline ends.
 */
#ifndef SRV_WAIT_H
#define SRV_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv.h"

struct fiber;
struct process;

/* One per process and plain thread identity, since each waits for one
 * reply at a time.  word = tag << 2 | state.  The server (or whoever
 * replies) moves WAITING -> WRITING -> DONE; the caller moves WAITING ->
 * ABANDONED when it gives up: exactly one of them wins, so a late reply is
 * dropped, never delivered to a later call. */
enum { SLOT_ABANDONED = 0, SLOT_WAITING = 1, SLOT_WRITING = 2, SLOT_DONE = 3 };

struct reply_slot {
    _Atomic uint64_t word;
    _Atomic uint64_t sleeper;   /* tag of the call a parked fiber waits on */
    struct fiber *fiber;        /* that fiber (set before sleeper) */
    void *reply;                /* where the reply goes: the caller's buffer;
                                   once DONE with SRV_EEXIT, the reason's
                                   detail (a reference), which the caller
                                   keeps (KEPT_WAIT, link.h) */
    srv_atom reason;            /* SRV_EEXIT: why */
    srv_status status;          /* set with DONE */
    _Atomic uint32_t futex;     /* 1 once DONE: a plain thread sleeps on it */
};

/* Caller: a fresh tag for the next call, slot armed to WAITING. */
uint64_t srv__slot_arm(struct reply_slot *slot, void *reply);
/* Caller: waits for DONE up to deadline_ns (UINT64_MAX: forever).
 * SRV_ETIMEOUT if it gave up first (the slot is then abandoned).  On a
 * scheduler thread the fiber parks; a plain thread spins, then sleeps. */
srv_status srv__slot_wait(struct reply_slot *slot, uint64_t deadline_ns,
                          srv_atom *reason);
/* A plain thread's wait before it sleeps on a futex: true while it
 * should look again at once (*looks counts them from 0): pauses first,
 * for an answer from another core, then yields, for when waiting threads
 * outnumber cores, where a futex sleep and wake cost far more. */
bool srv__wait_spin(unsigned *looks);
/* Anyone: completes a call of `from`.  When reply is not NULL it is copied
 * (size bytes) into the caller's buffer.  False if the caller is gone or
 * gave up: the reply was not taken. */
bool srv__slot_complete(srv_from from, srv_status status, srv_atom reason,
                        const void *reply, size_t size);
/* Completes a system request with a text, which the caller takes (freed
 * here if it is gone); SRV_ENOMEM when the text found no memory. */
bool srv__slot_complete_text(srv_from from, srv_buf *text);
/* Completes the call tag of caller, which the completer knows to be
 * alive by other means than a lookup (which does not find a process in
 * its terminate): no reply.  False if it does not wait for tag. */
bool srv__slot_complete_process(struct process *caller, uint64_t tag, srv_status status);
/* The same with the reason's detail (SRV_EEXIT; borrowed: the caller
 * gets its own reference). */
bool srv__slot_complete_detail(srv_from from, srv_status status, srv_atom reason,
                               const srv_detail *detail, const void *reply, size_t size);
/* Caller: takes back an armed slot it will not wait on after all (a
 * reply being written is waited out first). */
void srv__slot_disarm(struct reply_slot *slot);
/* The same for any word of the slot's protocol (tag << 2 | state): true
 * when it moved WAITING -> ABANDONED, false when it was answered (DONE)
 * or not waiting. */
bool srv__word_abandon(_Atomic uint64_t *word);
/* Anyone: whether the caller of from (a call or a request) still waits
 * for its answer; false once it gave up, was answered, or died. */
bool srv__caller_waits(srv_from from);

/* An exit signal that ends p (kill, or an abnormal reason when p does not
 * trap exits), before its EXIT envelope is delivered: p->interrupt holds
 * it, so the executor ends p before its next message (srv__run_batch,
 * srv__try_acquire, srv__release), and a handler of p blocked in a wait (a
 * call, sleep) ends at once, as Erlang's process would in its receive.  If
 * p traps exits by the time it looks (it set the flag meanwhile), the
 * signal is dropped and the EXIT envelope is handled as a message. */
bool srv__interrupt(struct process *p, srv_atom reason);
/* srv__interrupt's return: true when reason is the one now pending (it
 * came first, or is a kill), false when another stays pending.  A
 * signal with a detail goes through link.c, which keeps the detail with
 * the reason that won (srv__interrupt_take). */

#endif /* SRV_WAIT_H */
