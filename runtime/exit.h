/*
 * exit.h: how a process ends (exit.c): terminate, the crash report,
 * callers, links and monitors told, the process freed.
 */
#ifndef SRV_EXIT_H
#define SRV_EXIT_H

#include "srv.h"

struct process;
struct reply_slot;

/* srv__exit's flags. */
enum {
    EXIT_TERMINATE = 1, /* run terminate first (unless an exit signal ended
                         * the process in a wait) */
    EXIT_HOLDS_REF = 2  /* the executor holds p by a lookup's hold, which
                         * it keeps until p is freed (unless p says
                         * PF_UNHELD: its executor is a scheduler thread
                         * that took it without one) */
};

/* Ends p: terminate (EXIT_TERMINATE), exit signals, DOWNs, the crash
 * report, then frees it.  The executor calls it.  detail is the reason's
 * (NULL for a plain atom), a reference srv__exit takes.  Returns the
 * final reason's atom. */
srv_atom srv__exit(struct process *p, srv_atom reason, const srv_detail *detail,
                   unsigned flags);

/* An exit signal still pending on p that ends it (kill, or an abnormal
 * reason when p does not trap): the reason it gives (killed for kill),
 * its detail into *detail (a reference, or NULL); else NULL, and a
 * signal that no longer ends p is dropped (its EXIT is in the mailbox). */
srv_atom srv__signal_reason(struct process *p, const srv_detail **detail);
/* The same at p's end: a signal pending that ends p replaces *reason
 * and *detail (whose reference goes); true when one did. */
bool srv__signal_replaces(struct process *p, srv_atom *reason, const srv_detail **detail);
/* The executor of p, in p's callback or spawned function, where srv_exit
 * can jump: if a signal pending ends p, p exits from here (its frame),
 * after giving up the call it waits for on slot (NULL: none). */
void srv__exit_if_signalled(struct process *p, struct reply_slot *slot);

/* Fails a call or system request that will not be answered (detail
 * borrowed). */
void srv__fail_request(const srv_from *from, srv_atom reason, const srv_detail *detail);

#endif /* SRV_EXIT_H */
