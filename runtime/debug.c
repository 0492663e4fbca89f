/*
 * debug.c: sys's trace and log on a server.
 *
 * Events are gen_server's (gen_server:print_event): a message in, a
 * call's reply out with the new state, the new state after a noreply, and
 * a continue about to run ({continue, C}, which sys prints as "dbg").
 * Trace writes each to the logger as a *DBG* line, as sys:trace prints
 * it; log keeps the last N in a ring, each as the term sys:get_log gives
 * ({in,Msg}, {out,Reply,To,State}, {noreply,State}) and as its *DBG*
 * line, for sys:log print (the ring and its printing are log.c's).  The
 * state in events is format_state's, never format_status's: OTP 25 traces
 * the state itself.
 *
 * sys:statistics counts, as sys's stat_func does, the {in, _} and
 * {out, _} events (messages in, replies out), and as the reductions (C
 * has no count of its own) the messages and continues taken: what a
 * traced server pays already, nothing more per callback.
 */
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "debug.h"
#include "log.h"
#include "process.h"

static struct sys_debug *debug_made(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d != NULL)
        return d;
    struct process_extra *x = srv__extra_made(p);
    if (x == NULL || (x->debug = srv__calloc(1, sizeof *x->debug)) == NULL)
        return NULL;
    srv__set_flag(p, PF_DEBUG, true);
    return x->debug;
}

/* p has no record any more. */
static void debug_drop(struct process *p)
{
    srv__set_flag(p, PF_DEBUG, false);
    srv__free(srv__extra(p)->debug);
    srv__extra(p)->debug = NULL;
}

static void drop_events(struct sys_debug *d)
{
    for (unsigned i = 0; i < d->n; i++) {
        const struct debug_event *ev = srv__debug_event_at(d, i);
        srv__free(ev->term);
        srv__free(ev->line);
    }
    srv__free(d->events);
    d->events = NULL;
    d->n = d->next = d->log_max = 0;
}

/* A record that does nothing any more goes. */
static void debug_tidy(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d != NULL && !d->trace && d->log_max == 0 && !d->counting)
        debug_drop(p);
}

bool srv__debug_trace(struct process *p, bool on)
{
    if (on && debug_made(p) == NULL)
        return false;
    if (srv__debug(p) != NULL)
        srv__debug(p)->trace = on;
    debug_tidy(p);
    return true;
}

bool srv__debug_log(struct process *p, unsigned n)
{
    struct debug_event *events = NULL;
    if (n > 0 && (debug_made(p) == NULL ||
                  (events = srv__calloc(n, sizeof *events)) == NULL)) {
        debug_tidy(p);
        return false;
    }
    struct sys_debug *d = srv__debug(p);
    if (d != NULL) {
        drop_events(d);
        d->events = events;
        d->log_max = n;
    }
    debug_tidy(p);
    return true;
}

srv_status srv__debug_statistics(struct process *p, srv_statistics_op op,
                                 srv_statistics *out)
{
    memset(out, 0, sizeof *out);
    struct sys_debug *d = srv__debug(p);
    switch (op) {
    case SRV_STATISTICS_ON:
        if ((d = debug_made(p)) == NULL)
            return SRV_ENOMEM;
        d->counting = true;
        d->start_time = (int64_t)time(NULL);
        d->reductions = d->messages_in = d->messages_out = 0;
        return SRV_OK;
    case SRV_STATISTICS_OFF:
        if (d != NULL)
            d->counting = false;
        debug_tidy(p);
        return SRV_OK;
    case SRV_STATISTICS_GET:
        if (d == NULL || !d->counting)
            return SRV_OK; /* on is false: sys's no_statistics */
        out->on = true;
        out->start_time = d->start_time;
        out->current_time = (int64_t)time(NULL);
        out->reductions = d->reductions;
        out->messages_in = d->messages_in;
        out->messages_out = d->messages_out;
        return SRV_OK;
    }
    return SRV_EINVAL;
}

/* Whether events are traced or logged (not only counted). */
static bool shows_events(const struct sys_debug *d)
{
    return d->trace || d->log_max > 0;
}

void srv__debug_free(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d == NULL)
        return;
    drop_events(d);
    debug_drop(p);
}

/* How trace names a server: its registered name, else its pid. */
static void put_name(srv_buf *out, const struct process *p)
{
    srv_atom name = srv__name(p);
    if (name != NULL)
        srv_buf_put_atom(out, name);
    else
        srv_buf_printf(out, "%s", srv_pid_format(p->pid).s);
}

static void print_line(const struct process *p, const char *line)
{
    srv_buf out = {0};
    srv_buf_printf(&out, "*DBG* ");
    put_name(&out, p);
    srv_buf_printf(&out, " %s\n", line);
    srv__log(SRV_LOG_INFO, out.data);
    srv_buf_free(&out);
}

/* One event: traced, logged, or both; its texts are the log's after. */
static void event(struct process *p, srv_buf *term, srv_buf *line)
{
    struct sys_debug *d = srv__debug(p);
    if (d->trace && line->data != NULL)
        print_line(p, line->data);
    if (d->log_max > 0 && term->data != NULL && line->data != NULL) {
        struct debug_event *ev = &d->events[d->next];
        if (d->n == d->log_max) { /* the oldest goes */
            srv__free(ev->term);
            srv__free(ev->line);
        } else {
            d->n++;
        }
        *ev = (struct debug_event){term->data, line->data};
        d->next = (d->next + 1) % d->log_max;
        *term = (srv_buf){0};
        *line = (srv_buf){0};
    }
    srv_buf_free(term);
    srv_buf_free(line);
}

void srv__debug_in(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d->counting) {
        d->messages_in++;
        d->reductions++;
    }
    if (!shows_events(d))
        return;
    const struct current_message *c = p->current;
    srv_buf term = {0}, line = {0}, msg = {0};
    srv__format_message(&msg, p, c);
    const char *m = msg.data != NULL ? msg.data : "";
    if (c->kind == ENV_CALL) {
        srv_buf_printf(&term, "{in,{'$gen_call',%s,%s}}", srv_from_format(c->from).s, m);
        srv_buf_printf(&line, "got call %s from %s", m, srv_pid_format(c->from.pid).s);
    } else if (c->kind == ENV_CAST) {
        srv_buf_printf(&term, "{in,{'$gen_cast',%s}}", m);
        srv_buf_printf(&line, "got cast %s", m);
    } else {
        srv_buf_printf(&term, "{in,%s}", m);
        srv_buf_printf(&line, "got %s", m);
    }
    srv_buf_free(&msg);
    event(p, &term, &line);
}

/* gen_server's print_event has no clause for {continue, C}: sys prints it
 * as any other event, "dbg  " (two spaces) and the term. */
void srv__debug_continue(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d->counting)
        d->reductions++;
    if (!shows_events(d))
        return;
    srv_buf term = {0}, line = {0};
    srv__format_message(&term, p, p->current);
    srv_buf_printf(&line, "dbg  %s", term.data != NULL ? term.data : "");
    event(p, &term, &line);
}

void srv__debug_out(struct process *p, const srv_message_type *type,
                    const void *reply, srv_from to)
{
    struct sys_debug *d = srv__debug(p);
    if (d->counting)
        d->messages_out++;
    if (!shows_events(d))
        return;
    srv_buf term = {0}, line = {0}, text = {0}, state = {0};
    if (type->format_reply != NULL)
        type->format_reply(&text, reply);
    else
        srv_buf_printf(&text, "...");
    srv__format_state(&state, p);
    const char *r = text.data != NULL ? text.data : "";
    const char *s = state.data != NULL ? state.data : "";
    srv_buf_printf(&term, "{out,%s,%s,%s}", r, srv_from_format(to).s, s);
    srv_buf_printf(&line, "sent %s to %s, new state %s", r, srv_pid_format(to.pid).s, s);
    srv_buf_free(&text);
    srv_buf_free(&state);
    event(p, &term, &line);
}

void srv__debug_noreply(struct process *p)
{
    if (!shows_events(srv__debug(p)))
        return;
    srv_buf term = {0}, line = {0}, state = {0};
    srv__format_state(&state, p);
    const char *s = state.data != NULL ? state.data : "";
    srv_buf_printf(&term, "{noreply,%s}", s);
    srv_buf_printf(&line, "new state %s", s);
    srv_buf_free(&state);
    event(p, &term, &line);
}

void srv__debug_print_log(const struct process *p)
{
    const struct sys_debug *d = srv__debug(p);
    for (unsigned i = 0; d != NULL && i < d->n; i++)
        print_line(p, srv__debug_event_at(d, i)->line);
}

