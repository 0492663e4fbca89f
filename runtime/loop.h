/*
 * loop.h: gen_server's receive loop (loop.c): delivering to a process,
 * who owns it, running its callbacks, its callback timeout, and a batch
 * of its messages.
 */
#ifndef SRV_LOOP_H
#define SRV_LOOP_H

#include <stdbool.h>

#include "mailbox.h"
#include "process.h"

#define SRV__BATCH 64 /* messages a server handles per turn (fairness) */
/* A reply buffer on the stack, big enough for most replies (bigger ones
 * are allocated). */
#define SRV__SMALL_REPLY 256

/* Delivers e to p and schedules p if it was idle.  For a plain thread's
 * identity, wakes the thread. */
void srv__deliver(struct process *p, struct envelope *e);
/* The server a cast, an info or a call goes to, NULL if none (a call
 * takes a hold before it queues): *held says whether
 * the sender holds it (srv__process_get) or, a handler on a scheduler
 * thread, found it without a hold (srv__process_peek: its loop keeps the
 * memory until the turn is over), saving two locked instructions a
 * message. */
struct process *srv__post_find(srv_pid pid, bool *held);
/* An asynchronous send's last steps (a cast, an info, a send_request):
 * srv__deliver, the sender's hold on p given back if held, and the send
 * counted against the sender's turn on its scheduler (srv__sched_sent). */
void srv__post(struct process *p, struct envelope *e, bool held);

/* A caller's attempt to take an idle server with an empty mailbox, to run a
 * handler on its own thread.  Runs a pending zero timeout first. */
bool srv__try_acquire(struct process *p);
/* srv__try_acquire, or, while another runs a handler of p and no mail
 * waits, the same a little later: that handler (another caller's, run on
 * its own core) is likely over within a few hundred nanoseconds, where a
 * call queued instead costs a park and a wake-up, ten times as much.
 * Callers that collide on one server no longer turn each other's calls
 * into messages. */
bool srv__acquire_soon(struct process *p);
/* Gives the server back: idle, or scheduled if mail came meanwhile. */
void srv__release(struct process *p);

/* Runs one callback of p on this thread, with srv_exit caught: fills
 * *action; false if the callback exited (action->reason says why, and
 * action->detail, a reference the caller takes, its detail or NULL). */
typedef void (*callback_fn)(struct process *p, void *arg, srv_action *action);
bool srv__run_callback(struct process *p, callback_fn fn, void *arg,
                       srv_action *action);

/* After a callback: arms its timeout.  False when out of memory for the
 * timer: the caller then ends p with out_of_memory. */
bool srv__after_action_work(struct process *p, const srv_action *action);
static inline bool srv__after_action(struct process *p, const srv_action *action)
{
    /* Most callbacks: no timeout asked, none pending, nothing to run next,
     * no hibernation: nothing to do, and no call to do it. */
    if (action->timeout_ms < 0 && p->timeout_ms < 0 && !action->has_next &&
        !action->hibernate) {
        struct process_extra *x = srv__extra(p);
        if (x == NULL || x->hibernate_after_ms == 0)
            return true;
    }
    return srv__after_action_work(p, action);
}

/* Frees the arguments of a continue that will not run: the action's (if
 * not NULL), and one pending on p (p ends, or its callback stopped). */
void srv__drop_next(struct process *p, srv_action *action);

/* Runs a call's handler on this thread and answers from (the reply goes
 * to reply first); false if the server exited (it is then gone).  The
 * executor holds p by a lookup's hold. */
bool srv__handle_call(struct process *p, unsigned message, void *args,
                      srv_from from, void *reply);
/* Runs the callback timeout now, as srv__handle_call runs a call. */
bool srv__handle_timeout_now(struct process *p);

/* Handles every message in p's mailbox, up to SRV__BATCH (scheduler). */
void srv__run_batch(struct process *p);

#endif /* SRV_LOOP_H */
