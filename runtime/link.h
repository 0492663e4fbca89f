/*
 * link.h: links, monitors and exit signals (link.c).
 */
#ifndef SRV_LINK_H
#define SRV_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "srv.h"

struct process;

/* At exit: tells links and monitors, fails deferred calls. */
void srv__links_exit(struct process *p, srv_atom reason);
/* An exit signal to pid from the runtime (SRV_PID_NONE), which a server
 * takes as its parent's: a supervisor's shutdown (a server that traps
 * exits runs terminate with reason, another exits at once). */
void srv__exit_signal_from_runtime(srv_pid pid, srv_atom reason);
/* Links parent and child without checks (start_link); false when out of
 * memory (or either is dead). */
bool srv__link_pair(struct process *a, struct process *b);
/* srv_process_info: p's links, monitors (held on others), monitors held
 * on p, and the bytes of its record of them, added to info. */
void srv__links_info(struct process *p, struct srv_process_info *info);
/* For the tests: how many monitor pid (watchers) and how many pid holds
 * on others (watching); 0 and 0 for a dead pid. */
void srv__monitor_counts(srv_pid pid, size_t *watchers, size_t *watching);
/* Remembers a call the server deferred, to fail it if the server exits
 * before it replies.  False when out of memory. */
bool srv__deferred_add(struct process *p, srv_from from);

/* Hibernate: shrinks p's link, monitor and deferred-call lists to what
 * they hold (frees the empty ones); returns the bytes given back.  The
 * lists grow again on demand. */
size_t srv__links_compact(struct process *p);

#endif /* SRV_LINK_H */
