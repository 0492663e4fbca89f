/*
 * log.h: the crash report, and what reports and sys:get_status show of a
 * server: its state, logged events, format_status's parts (log.c).  The
 * logger they go to is logger.h's.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdbool.h>

#include "srv.h"

struct process;
struct current_message;

/* A server's sys debug record (debug.c makes and changes it): trace on,
 * and the last log_max events kept, a ring. */
struct debug_event {
    char *term; /* {in,hello}: as sys:get_log gives it */
    char *line; /* its whole *DBG* line: "*DBG* st got hello\n" */
};
/* A function of sys:install, in the record's list. */
struct debug_fn {
    struct debug_fn *next;
    srv_sys_debug_fn fn;
    void *state; /* fn's own: it frees it at SRV_SYS_EVENT_REMOVED */
};
struct sys_debug {
    bool trace;
    bool counting;              /* sys:statistics is on */
    unsigned log_max;           /* 0: no log */
    unsigned n, next;           /* events held; where the next one goes */
    struct debug_event *events; /* log_max of them */
    char *file_name;            /* sys:log_to_file: its path, or NULL */
    int file;                   /* its descriptor, when file_name is set */
    struct debug_fn *fns;       /* sys:install: the newest first */
    /* sys:statistics' counts since they were turned on: the time (seconds
     * since the Epoch), callbacks run, {in, _} and {out, _} events */
    int64_t start_time;
    uint64_t reductions, messages_in, messages_out;
};
/* The i-th event held, oldest first. */
const struct debug_event *srv__debug_event_at(const struct sys_debug *d, unsigned i);

/* The crash report of p, ending with reason and its detail (NULL for a
 * plain atom): {shutdown,going_home} whole. */
void srv__report_crash(struct process *p, srv_atom reason, const srv_detail *detail,
                       bool in_terminate, const srv_from *client);
/* proc_lib's crash report of p, a spawned function's process that ends
 * with reason and its detail: initial call (when known), pid,
 * registered_name, the exit, ancestors, message_queue_len, links,
 * trap_exit, status, as OTP's `crasher` part. */
void srv__report_spawn_crash(struct process *p, srv_atom initial_call, srv_atom reason,
                             const srv_detail *detail);
/* proc_lib's '$ancestors' of p: [Starter, its starter, ...]. */
void srv__format_ancestors(srv_buf *out, const struct process *p);

/* A message in Erlang's notation: the one c describes (NULL: in init). */
void srv__format_message(srv_buf *out, const struct process *p,
                         const struct current_message *c);
/* The state as format_state prints it ("..." without one). */
void srv__format_state(srv_buf *out, const struct process *p);
/* p's logged events, oldest first, as sys:get_log lists them: [] if none. */
void srv__debug_format_log(srv_buf *out, const struct process *p);
/* The debug list as sys keeps it: [], [{trace,true}], [{log,{N,[...]}}],
 * with {statistics,...} first while statistics are on. */
void srv__debug_format_options(srv_buf *out, const struct process *p);

/* format_status: p's parts, printed (message and reason only in crash
 * reports), then rewritten by the module's format_status if it has one.
 * A format_status that exits (srv_exit, a failed srv_assert) is caught
 * as gen:format_status/4 catches a crash: the parts as printed, but the
 * state "MOD:format_status/1 crashed".  The map points into the parts'
 * own buffers; srv__status_parts_free frees them. */
struct status_parts {
    srv_status_map map;
    srv_buf state, log, message, reason;
};
void srv__status_parts(struct process *p, struct status_parts *parts, bool crash,
                       srv_atom reason, const srv_detail *detail);
void srv__status_parts_free(struct status_parts *parts);

#endif /* SRV_LOG_H */
