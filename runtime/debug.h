/*
 * debug.h: sys's debug options on a server, trace and log (debug.c), and
 * format_status's parts of a server (its state, last message, reason and
 * log, each printed) for crash reports and sys:get_status.
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
struct current_message;
struct sys_debug;

/* Sets p's trace flag, or its log to the last n events (0: none, the
 * events dropped).  False when out of memory (nothing changed). */
bool srv__debug_trace(struct process *p, bool on);
bool srv__debug_log(struct process *p, unsigned n);
/* Frees p's debug record (at exit). */
void srv__debug_free(struct process *p);

/* The events, on p with a debug record (test p->debug first): a message
 * in (the one p->current describes), a call's reply out (before it goes
 * to its caller: reply is read), the state after a noreply. */
void srv__debug_in(struct process *p);
void srv__debug_out(struct process *p, const srv_message_type *type,
                    const void *reply, srv_from to);
void srv__debug_noreply(struct process *p);

/* The logged events, oldest first, as sys:get_log lists them. */
void srv__debug_format_log(srv_buf *out, const struct process *p);
/* Writes the logged events to the logger as *DBG* lines (sys:log print). */
void srv__debug_print_log(const struct process *p);
/* The debug list as sys keeps it: [], [{trace,true}], [{log,{N,[...]}}]. */
void srv__debug_format_options(srv_buf *out, const struct process *p);

/* format_status: p's parts, printed (message and reason only in crash
 * reports), then rewritten by the module's format_status if it has one.
 * The map points into the parts' own buffers; srv__status_parts_free
 * frees them. */
struct status_parts {
    srv_status_map map;
    srv_buf state, log, message, reason;
};
void srv__status_parts(struct process *p, struct status_parts *parts, bool crash,
                       srv_atom reason);
void srv__status_parts_free(struct status_parts *parts);

/* A message in Erlang's notation (log.c): the one c describes. */
void srv__format_message(srv_buf *out, const struct process *p,
                         const struct current_message *c);

#endif /* SRV_DEBUG_H */
