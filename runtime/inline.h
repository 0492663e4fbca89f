/*
 * inline.h: a handler its caller runs at once, on a stack of its own
 * (inline.c); letting the caller go when it blocks.
 */
#ifndef SRV_INLINE_H
#define SRV_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "os.h"

struct reply_slot;

/* Runs job(arg) at once on a stack of its own, as a function call would,
 * for the caller whose reply slot is armed with tag: true when the job
 * is over.  False when the job blocked: it was detached from the caller,
 * goes on as a handler of its own on a scheduler thread, and the caller
 * waits for its reply (and its deadline) as for a queued call.  With no
 * stack to be had, the job runs on the caller's stack and may block it. */
bool srv__inline_call(void (*job)(void *arg), void *arg,
                      struct reply_slot *slot, uint64_t tag);
/* Before a wait: a job run for its caller lets the caller go on (it is
 * resumed later, on a scheduler thread); true when it did so. */
bool srv__inline_detach(void);
/* A scheduler thread that ends gives back its spare job fiber. */
void srv__inline_thread_done(void);

void srv__inline_fork(enum srv_fork_phase phase);

#endif /* SRV_INLINE_H */
