/*
 * debug.h: sys's debug options on a server, trace and log (debug.c): the
 * events a server's handlers make, traced or kept in its log (log.h
 * holds the log and prints it).
 *
 * A server's debug record is its executor's alone (made by the start
 * option or a system message, read by its handlers' hooks): no lock.
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
/* Frees p's debug record (at exit). */
void srv__debug_free(struct process *p);

/* The events, on p with a debug record (test PF_DEBUG first): a message
 * in (the one p->current describes), a call's reply out (before it goes
 * to its caller: reply is read), the state after a noreply. */
void srv__debug_in(struct process *p);
void srv__debug_out(struct process *p, const srv_message_type *type,
                    const void *reply, srv_from to);
void srv__debug_noreply(struct process *p);

/* Writes the logged events to the logger as *DBG* lines (sys:log print). */
void srv__debug_print_log(const struct process *p);

#endif /* SRV_DEBUG_H */
