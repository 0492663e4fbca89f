/*
 * debug.c: sys's debug options on a server: trace, log, log_to_file,
 * statistics and the functions of sys:install.
 *
 * Events are gen_server's (gen_server:print_event): a message in, a
 * call's reply out with the new state, the new state after a noreply, and
 * a continue about to run ({continue, C}, which sys prints as "dbg").
 * Each hook describes its event (struct event: the public srv_sys_event
 * and what printing it needs), and deliver() gives it to every option on,
 * as sys:handle_debug walks its list.  Trace writes each to the logger as
 * a *DBG* line, as sys:trace prints it, and log_to_file writes the same
 * line to its file; log keeps the last N in a ring, each as the term
 * sys:get_log gives ({in,Msg}, {out,Reply,To,State}, {noreply,State}) and
 * as its *DBG* line, for sys:log print (the ring and its printing are
 * log.c's).  The state in events is format_state's, never
 * format_status's: OTP 25 traces the state itself.  The installed
 * functions get the event itself, newest first; one that returns false
 * (done) or exits is taken off, as sys's catch takes off one that crashes.
 *
 * sys:statistics counts, as sys's stat_func does, the {in, _} and
 * {out, _} events (messages in, replies out), and as the reductions (C
 * has no count of its own) the messages and continues taken: what a
 * traced server pays already, nothing more per callback.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "debug.h"
#include "log.h"
#include "logger.h"
#include "mailbox.h"
#include "process.h"
#include "wait.h"

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
    if (d != NULL && !d->trace && d->log_max == 0 && !d->counting &&
        d->file_name == NULL && d->fns == NULL)
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

/* ---------------------------------------------------------------------- */
/* The functions of sys:install                                           */

struct fn_run {
    struct debug_fn *f;
    const srv_sys_event *event;
    bool stays;
};

static void run_fn(void *arg)
{
    struct fn_run *run = arg;
    run->stays = run->f->fn(&run->f->state, run->event);
}

/* Runs f on event, as a callback of p with srv_exit caught: whether it
 * stays (it said so, and did not exit). */
static bool fn_stays(struct process *p, struct debug_fn *f, const srv_sys_event *event)
{
    struct fn_run run = {f, event, false};
    return srv__run_caught(p, run_fn, &run) && run.stays;
}

/* f, taken off p's list, is told so (its state is its to free) and goes. */
static void fn_removed(struct process *p, struct debug_fn *f)
{
    srv_sys_event event = {.kind = SRV_SYS_EVENT_REMOVED, .server = p->pid,
                           .name = srv__name(p)};
    fn_stays(p, f, &event);
    srv__free(f);
}

/* The entry of fn in d's list (where it is linked from), or NULL. */
static struct debug_fn **fn_find(struct sys_debug *d, srv_sys_debug_fn fn)
{
    for (struct debug_fn **at = &d->fns; *at != NULL; at = &(*at)->next)
        if ((*at)->fn == fn)
            return at;
    return NULL;
}

srv_status srv__debug_install(struct process *p, srv_sys_debug_fn fn, void *state)
{
    struct sys_debug *d = srv__debug(p);
    if (d != NULL && fn_find(d, fn) != NULL)
        return SRV_EALREADY; /* sys's install_debug keeps the one there */
    struct debug_fn *f = NULL;
    if ((d = debug_made(p)) == NULL || (f = srv__malloc(sizeof *f)) == NULL) {
        debug_tidy(p);
        return SRV_ENOMEM;
    }
    *f = (struct debug_fn){d->fns, fn, state};
    d->fns = f;
    return SRV_OK;
}

void srv__debug_remove(struct process *p, srv_sys_debug_fn fn)
{
    struct sys_debug *d = srv__debug(p);
    struct debug_fn **at = d != NULL ? fn_find(d, fn) : NULL;
    if (at == NULL)
        return;
    struct debug_fn *f = *at;
    *at = f->next;
    fn_removed(p, f);
    debug_tidy(p);
}

/* Each function on event, newest first; those done are taken off. */
static void run_fns(struct process *p, struct sys_debug *d, const srv_sys_event *event)
{
    struct debug_fn **at = &d->fns;
    while (*at != NULL) {
        struct debug_fn *f = *at;
        if (fn_stays(p, f, event)) {
            at = &f->next;
        } else {
            *at = f->next;
            srv__free(f);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* sys:log_to_file                                                        */

static void file_close(struct sys_debug *d)
{
    if (d == NULL || d->file_name == NULL)
        return;
    close(d->file);
    srv__free(d->file_name);
    d->file_name = NULL;
}

srv_status srv__debug_log_to_file(struct process *p, const char *path)
{
    file_close(srv__debug(p)); /* sys closes the one before, whatever comes */
    srv_status status = SRV_OK;
    if (path != NULL) {
        struct sys_debug *d = debug_made(p);
        char *name = d != NULL ? srv__strdup(path) : NULL;
        int fd = name != NULL ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
        if (fd >= 0) {
            d->file = fd;
            d->file_name = name;
        } else {
            status = name != NULL ? SRV_EOPEN : SRV_ENOMEM;
            srv__free(name);
        }
    }
    debug_tidy(p);
    return status;
}

/* ---------------------------------------------------------------------- */
/* Events                                                                 */

/* An event as a hook describes it: the public part first, so that
 * srv_sys_event_format finds the rest from it. */
struct event {
    srv_sys_event pub;
    struct process *p;
    const srv_message_type *reply_type; /* OUT */
    srv_sys_format_fn format;           /* SPECIAL: its FormFunc, and Extra */
    void *extra;
};

/* How trace names a server: its registered name, else its pid. */
static void put_name(srv_buf *out, const struct process *p)
{
    srv_atom name = srv__name(p);
    if (name != NULL)
        srv_buf_put_atom(out, name);
    else
        srv_buf_printf(out, "%s", srv_pid_format(p->pid).s);
}

/* The whole *DBG* line of an event's text: "*DBG* st got hello\n". */
static void dbg_line(srv_buf *out, const struct process *p, const char *line)
{
    srv_buf_printf(out, "*DBG* ");
    put_name(out, p);
    srv_buf_printf(out, " %s\n", line);
}


/* A message in: the term sys:get_log gives, and trace's text. */
static void format_in(const struct event *ev, srv_buf *term, srv_buf *line)
{
    const struct current_message *c = ev->p->current;
    srv_buf msg = {0};
    srv__format_message(&msg, ev->p, c);
    const char *m = msg.data != NULL ? msg.data : "";
    if (ev->pub.kind == SRV_SYS_EVENT_CALL) {
        srv_buf_printf(term, "{in,{'$gen_call',%s,%s}}", srv_from_format(c->from).s, m);
        srv_buf_printf(line, "got call %s from %s", m, srv_pid_format(c->from.pid).s);
    } else if (ev->pub.kind == SRV_SYS_EVENT_CAST) {
        srv_buf_printf(term, "{in,{'$gen_cast',%s}}", m);
        srv_buf_printf(line, "got cast %s", m);
    } else {
        srv_buf_printf(term, "{in,%s}", m);
        srv_buf_printf(line, "got %s", m);
    }
    srv_buf_free(&msg);
}

/* gen_server's print_event has no clause for {continue, C}: sys prints it
 * as any other event, "dbg  " (two spaces) and the term. */
static void format_continue(const struct event *ev, srv_buf *term, srv_buf *line)
{
    srv__format_message(term, ev->p, ev->p->current);
    srv_buf_printf(line, "dbg  %s", term->data != NULL ? term->data : "");
}

static void format_out(const struct event *ev, srv_buf *term, srv_buf *line)
{
    srv_buf text = {0}, state = {0};
    if (ev->reply_type->format_reply != NULL)
        ev->reply_type->format_reply(&text, ev->pub.reply);
    else
        srv_buf_printf(&text, "...");
    srv__format_state(&state, ev->p);
    const char *r = text.data != NULL ? text.data : "";
    const char *s = state.data != NULL ? state.data : "";
    srv_from to = ev->pub.from;
    srv_buf_printf(term, "{out,%s,%s,%s}", r, srv_from_format(to).s, s);
    srv_buf_printf(line, "sent %s to %s, new state %s", r, srv_pid_format(to.pid).s, s);
    srv_buf_free(&text);
    srv_buf_free(&state);
}

static void format_noreply(const struct event *ev, srv_buf *term, srv_buf *line)
{
    srv_buf state = {0};
    srv__format_state(&state, ev->p);
    const char *s = state.data != NULL ? state.data : "";
    srv_buf_printf(term, "{noreply,%s}", s);
    srv_buf_printf(line, "new state %s", s);
    srv_buf_free(&state);
}

/* The event's term and its trace text (without "*DBG* name "). */
static void format_event(const struct event *ev, srv_buf *term, srv_buf *line)
{
    switch (ev->pub.kind) {
    case SRV_SYS_EVENT_CALL:
    case SRV_SYS_EVENT_CAST:
    case SRV_SYS_EVENT_INFO:
        format_in(ev, term, line);
        return;
    case SRV_SYS_EVENT_OUT:
        format_out(ev, term, line);
        return;
    case SRV_SYS_EVENT_NOREPLY:
        format_noreply(ev, term, line);
        return;
    case SRV_SYS_EVENT_CONTINUE:
        format_continue(ev, term, line);
        return;
    case SRV_SYS_EVENT_SPECIAL: /* the term is the process's, as given */
        srv_buf_printf(term, "%s", ev->pub.message);
        return;
    case SRV_SYS_EVENT_REMOVED: /* no event of OTP's: nothing to print */
        return;
    }
}

/* The whole *DBG* line of an event, its end included: a special
 * process's formatter writes all of it, as sys's FormFunc does; the
 * runtime writes "*DBG* name " before a server's. */
static void whole_line(srv_buf *out, const struct event *ev, const srv_buf *line)
{
    if (ev->pub.kind == SRV_SYS_EVENT_SPECIAL) {
        ev->format(out, ev->pub.message, ev->extra);
        srv_buf_printf(out, "\n");
    } else if (line->data != NULL) {
        dbg_line(out, ev->p, line->data);
    }
}

void srv_sys_event_format(srv_buf *out, const srv_sys_event *event)
{
    if (out == NULL || event == NULL || event->kind == SRV_SYS_EVENT_REMOVED)
        return;
    srv_buf line = {0};
    format_event((const struct event *)event, out, &line);
    srv_buf_free(&line);
}

/* Keeps an event in the log's ring, which takes its texts (the term and
 * the whole line). */
static void log_keep(struct sys_debug *d, srv_buf *term, srv_buf *line)
{
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

/* sys:statistics' counts of an event. */
static void count(struct sys_debug *d, srv_sys_event_kind kind, const char *message)
{
    if (!d->counting)
        return;
    switch (kind) {
    case SRV_SYS_EVENT_CALL:
    case SRV_SYS_EVENT_CAST:
    case SRV_SYS_EVENT_INFO:
        d->messages_in++;
        d->reductions++;
        return;
    case SRV_SYS_EVENT_OUT:
        d->messages_out++;
        return;
    case SRV_SYS_EVENT_CONTINUE:
        d->reductions++;
        return;
    case SRV_SYS_EVENT_SPECIAL: /* sys's stat/2 goes by the event's shape */
        if (strncmp(message, "{in,", 4) == 0) {
            d->messages_in++;
            d->reductions++;
        } else if (strncmp(message, "{out,", 5) == 0) {
            d->messages_out++;
        }
        return;
    default:
        return;
    }
}

/* One event, to every option on: counted; traced, written to the file,
 * logged (the texts made once, for whichever wants them); then given to
 * the functions.  p's record may go with the last function. */
static void deliver(struct event *ev)
{
    struct process *p = ev->p;
    struct sys_debug *d = srv__debug(p);
    count(d, ev->pub.kind, ev->pub.message);
    if (d->trace || d->file_name != NULL || d->log_max > 0) {
        srv_buf term = {0}, line = {0}, whole = {0};
        format_event(ev, &term, &line);
        whole_line(&whole, ev, &line);
        if (whole.data != NULL && d->trace)
            srv__log(SRV_LOG_INFO, whole.data);
        if (whole.data != NULL && d->file_name != NULL)
            srv__write_all(d->file, whole.data);
        if (d->log_max > 0 && term.data != NULL && whole.data != NULL)
            log_keep(d, &term, &whole);
        srv_buf_free(&term);
        srv_buf_free(&line);
        srv_buf_free(&whole);
    }
    if (d->fns != NULL) {
        run_fns(p, d, &ev->pub);
        debug_tidy(p);
    }
}

/* An event of p (kind, and what each kind carries filled in after). */
static struct event event_of(struct process *p, srv_sys_event_kind kind)
{
    return (struct event){.pub = {.kind = kind, .server = p->pid, .name = srv__name(p)},
                          .p = p};
}

/* What the message p->current describes is, for a debug function. */
static void describe_message(struct event *ev)
{
    const struct current_message *c = ev->p->current;
    switch (c->kind) {
    case ENV_CALL:
    case ENV_CAST:
    case ENV_INFO:
    case ENV_CONTINUE:
        ev->pub.message = ev->p->module->messages[c->message].name;
        return;
    case ENV_TIMEOUT:
        ev->pub.message = "timeout";
        return;
    case ENV_EXIT:
        ev->pub.message = "EXIT";
        return;
    case ENV_DOWN:
        ev->pub.message = "DOWN";
        return;
    default:
        return;
    }
}

void srv__debug_in(struct process *p)
{
    const struct current_message *c = p->current;
    srv_sys_event_kind kind = c->kind == ENV_CALL   ? SRV_SYS_EVENT_CALL
                              : c->kind == ENV_CAST ? SRV_SYS_EVENT_CAST
                                                    : SRV_SYS_EVENT_INFO;
    struct event ev = event_of(p, kind);
    describe_message(&ev);
    if (kind == SRV_SYS_EVENT_CALL)
        ev.pub.from = c->from;
    deliver(&ev);
}

void srv__debug_continue(struct process *p)
{
    struct event ev = event_of(p, SRV_SYS_EVENT_CONTINUE);
    describe_message(&ev);
    deliver(&ev);
}

void srv__debug_out(struct process *p, const srv_message_type *type,
                    const void *reply, srv_from to)
{
    struct event ev = event_of(p, SRV_SYS_EVENT_OUT);
    ev.pub.from = to;
    ev.pub.reply = reply;
    ev.pub.state = srv__state(p);
    ev.reply_type = type;
    deliver(&ev);
}

void srv__debug_noreply(struct process *p)
{
    struct event ev = event_of(p, SRV_SYS_EVENT_NOREPLY);
    ev.pub.state = srv__state(p);
    deliver(&ev);
}

void srv__debug_special(struct process *p, srv_sys_format_fn format, void *extra,
                        const char *event)
{
    struct event ev = event_of(p, SRV_SYS_EVENT_SPECIAL);
    ev.pub.message = event;
    ev.format = format;
    ev.extra = extra;
    deliver(&ev);
}

void srv__debug_print_log(const struct process *p)
{
    const struct sys_debug *d = srv__debug(p);
    for (unsigned i = 0; d != NULL && i < d->n; i++)
        srv__log(SRV_LOG_INFO, srv__debug_event_at(d, i)->line);
}

void srv__debug_free(struct process *p)
{
    struct sys_debug *d = srv__debug(p);
    if (d == NULL)
        return;
    drop_events(d);
    file_close(d);
    while (d->fns != NULL) {
        struct debug_fn *f = d->fns;
        d->fns = f->next;
        fn_removed(p, f);
    }
    debug_drop(p);
}

bool srv__debug_request(struct process *p, struct envelope *e)
{
    srv_buf text = {0};
    srv_statistics stats;
    srv_status status = SRV_OK;
    switch (e->system) {
    case SYS_TRACE:
        status = srv__debug_trace(p, e->ref != 0) ? SRV_OK : SRV_ENOMEM;
        break;
    case SYS_LOG:
        status = srv__debug_log(p, (unsigned)e->ref) ? SRV_OK : SRV_ENOMEM;
        break;
    case SYS_LOG_TO_FILE:
        status = srv__debug_log_to_file(p, e->arg);
        break;
    case SYS_INSTALL:
        status = srv__debug_install(p, e->debug_fn, e->arg);
        break;
    case SYS_REMOVE:
        srv__debug_remove(p, e->debug_fn);
        break;
    case SYS_LOG_GET:
        srv__debug_format_log(&text, p);
        srv__slot_complete_text(e->from, &text);
        return true;
    case SYS_LOG_PRINT:
        srv__debug_print_log(p);
        break;
    case SYS_STATISTICS:
        status = srv__debug_statistics(p, (srv_statistics_op)e->ref, &stats);
        srv__slot_complete(e->from, status, NULL, &stats, sizeof stats);
        return true;
    case SYS_NO_DEBUG: /* turning off never needs memory */
        srv__debug_free(p);
        break;
    default:
        return false;
    }
    srv__slot_complete(e->from, status, NULL, NULL, 0);
    return true;
}
