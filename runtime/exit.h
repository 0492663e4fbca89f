/*
 * exit.h: how a process ends (exit.c): terminate, the crash report,
 * callers, links and monitors told, the process freed.
 */
#ifndef SRV_EXIT_H
#define SRV_EXIT_H

#include "srv.h"

struct process;

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

/* Fails a call or system request that will not be answered (detail
 * borrowed). */
void srv__fail_request(const srv_from *from, srv_atom reason, const srv_detail *detail);

#endif /* SRV_EXIT_H */
