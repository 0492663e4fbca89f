/*
 * debug.h: sys's debug options on a server (debug.c): the events a
 * server's handlers make, traced, kept in its log (log.h holds the log
 * and prints it), written to a file, given to installed functions.
 *
 * A server's debug record is its executor's alone (made by the start
 * option or a system message, read by its handlers' hooks): no lock.
 * sys:statistics lives in it too, as OTP keeps it among sys's debug
 * options: its counts are the trace's events.
 * A server without one pays a NULL test a message.
 */
#ifndef SRV_DEBUG_H
#define SRV_DEBUG_H

#include <stdbool.h>

#include "srv.h"

struct process;

/* Sets p's trace flag, or its log to the last n events (0: none, the
 * events dropped).  False when out of memory (nothing changed). */
bool srv__debug_trace(struct process *p, bool on);
bool srv__debug_log(struct process *p, unsigned n);
/* sys:statistics(p, op): turns the counts on (afresh) or off, or reads
 * them into *out (zero, with on false, while they are off).  SRV_ENOMEM
 * when there is no memory to turn them on. */
srv_status srv__debug_statistics(struct process *p, srv_statistics_op op,
                                 srv_statistics *out);
/* sys:log_to_file: the file before closed, path opened for writing (NULL:
 * none).  SRV_EOPEN when it cannot be opened, SRV_ENOMEM. */
srv_status srv__debug_log_to_file(struct process *p, const char *path);
/* sys:install: fn with its state, first in p's list; SRV_EALREADY (state
 * not taken) when fn is there already, SRV_ENOMEM. */
srv_status srv__debug_install(struct process *p, srv_sys_debug_fn fn, void *state);
/* sys:remove: fn, if installed, told SRV_SYS_EVENT_REMOVED and taken off. */
void srv__debug_remove(struct process *p, srv_sys_debug_fn fn);
/* Frees p's debug record (at exit, and sys:no_debug): the file closed,
 * each function told SRV_SYS_EVENT_REMOVED. */
void srv__debug_free(struct process *p);

/* The events, on p with a debug record (test PF_DEBUG first): a message
 * in (the one p->current describes), a call's reply out (before it goes
 * to its caller: reply is read), the state after a noreply.  Statistics
 * count the first two. */
void srv__debug_in(struct process *p);
void srv__debug_out(struct process *p, const srv_message_type *type,
                    const void *reply, srv_from to);
void srv__debug_noreply(struct process *p);
/* A continue about to run (the one p->current describes): not counted
 * as a message in, as sys's statistics do not count it. */
void srv__debug_continue(struct process *p);

/* A special process's own event (srv_sys_handle_debug), on p with a
 * debug record: its term, and the formatter of its line. */
void srv__debug_special(struct process *p, srv_sys_format_fn format, void *extra,
                        const char *event);

struct envelope;
/* Answers a system request of sys's debug options (trace, log and its get
 * and print, log_to_file, install, remove, statistics, no_debug) on p,
 * a server or a special process: false when e is none of them. */
bool srv__debug_request(struct process *p, struct envelope *e);

/* Writes the logged events to the logger as *DBG* lines (sys:log print). */
void srv__debug_print_log(const struct process *p);

#endif /* SRV_DEBUG_H */
