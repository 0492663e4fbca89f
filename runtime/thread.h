/*
 * thread.h: a plain thread's own process identity (thread.c), made the
 * first time the thread needs one and ended with the thread.
 */
#ifndef SRV_THREAD_H
#define SRV_THREAD_H

#include "os.h"
#include "process.h"
#include "srv.h"

/* The process the calling code runs as: the server whose handler runs on
 * this thread, or the thread's own identity (made on first use).
 * srv__caller is for code that calls, links, monitors or starts: it
 * returns the process with its extra part (process.h) made, or NULL when
 * that part or the identity cannot be made for want of memory (functions
 * that return a status answer SRV_ENOMEM).  srv__current, for those that
 * cannot, aborts then, and makes no extra part. */
struct process *srv__current(void);
/* This thread's identity, whatever runs on it; NULL: out of memory. */
struct process *srv__thread_identity(void);

/* The calling thread's identity, or NULL when it has none now. */
struct process *srv__thread_identity_peek(void);
/* The calling thread takes p, a thread's identity made for it (spawn.c),
 * as its own. */
void srv__thread_identity_adopt(struct process *p);

/* The thread's identity ends with reason and its detail (a reference
 * this takes), as if the thread did; or (enter.c) it becomes a server's
 * and the thread no longer is it.  Either way the thread gets a fresh
 * identity on its next need. */
void srv__thread_identity_exit(srv_atom reason, const srv_detail *detail);
void srv__thread_identity_lend(void);
/* Ends p, a thread's identity, on any thread (the thread's own ending
 * above is this and its stack's watch taken off): its name goes, then
 * links and monitors hear reason (detail: a reference this takes), or
 * the signal pending that ended it first. */
void srv__identity_end(struct process *p, srv_atom reason, const srv_detail *detail);

void srv__thread_fork(enum srv_fork_phase phase);

/* srv__caller's way when the handler running here has no extra part yet,
 * or none runs (p NULL). */
struct process *srv__caller_slow(struct process *p);

/* A server that has called before, the common case: two loads. */
static inline struct process *srv__caller(void)
{
    struct process *p = srv__current_or_null();
    if (p != NULL && srv__extra(p) != NULL)
        return p;
    return srv__caller_slow(p);
}

#endif /* SRV_THREAD_H */
