/*
 * log.c: gen_server's crash report, and the parts of a server that it
 * and sys:get_status show.
 *
 * The report has the shape of OTP's (gen_server:format_log): who
 * terminated, the last message in, the state, the reason, the events sys
 * logged if any, and the client if a call was in progress; the message,
 * state, reason and log as the module's format_status leaves them.  And
 * proc_lib's crash report, of a spawned function's process (spawn.c),
 * with the same header and notation.  Each report is made whole, then
 * handed to the logger (logger.c) as one text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "logger.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"

void srv__format_message(srv_buf *out, const struct process *p,
                         const struct current_message *c)
{
    const srv_module *m = p->module;
    if (c == NULL || c->kind == 0) { /* init's has no message (start.c) */
        srv_buf_printf(out, "none (in init)");
        return;
    }
    switch (c->kind) {
    case ENV_CALL:
    case ENV_CAST:
    case ENV_INFO: {
        const srv_message_type *type = &m->messages[c->message];
        if (type->format_args != NULL && c->args != NULL)
            type->format_args(out, c->args);
        else
            srv_buf_put_atom(out, type->name);
        return;
    }
    case ENV_CONTINUE: { /* gen_server reports {continue, C} */
        const srv_message_type *type = &m->messages[c->message];
        srv_buf_printf(out, "{continue,");
        if (type->format_args != NULL && c->args != NULL)
            type->format_args(out, c->args);
        else
            srv_buf_put_atom(out, type->name);
        srv_buf_printf(out, "}");
        return;
    }
    case ENV_TIMEOUT:
        srv_buf_printf(out, "timeout");
        return;
    case ENV_EXIT:
        srv_buf_printf(out, "{'EXIT',%s,", srv_pid_format(c->pid).s);
        srv_buf_put_reason(out, c->reason, c->detail);
        srv_buf_printf(out, "}");
        return;
    case ENV_DOWN:
        srv_buf_printf(out, "{'DOWN',%s,", srv_pid_format(c->pid).s);
        srv_buf_put_reason(out, c->reason, c->detail);
        srv_buf_printf(out, "}");
        return;
    case ENV_SYSTEM:
        srv_buf_printf(out, "{system,%s,", srv_from_format(c->from).s);
        if (c->system == SYS_TERMINATE) {
            srv_buf_printf(out, "{terminate,");
            srv_buf_put_reason(out, c->reason, c->detail);
            srv_buf_printf(out, "}}");
        } else {
            srv_buf_printf(out, "request}");
        }
        return;
    default:
        srv_buf_printf(out, "none (in init)");
    }
}

/* ---------------------------------------------------------------------- */
/* What a report or sys:get_status shows: the state, the events sys keeps,
 * format_status's parts                                                  */

void srv__format_state(srv_buf *out, const struct process *p)
{
    if (p->module->format_state != NULL)
        p->module->format_state(out, srv__state(p));
    else
        srv_buf_printf(out, "...");
}

/* The i-th event held, oldest first. */
const struct debug_event *srv__debug_event_at(const struct sys_debug *d, unsigned i)
{
    return &d->events[(d->next + d->log_max - d->n + i) % d->log_max];
}

void srv__debug_format_log(srv_buf *out, const struct process *p)
{
    const struct sys_debug *d = srv__debug(p);
    srv_buf_printf(out, "[");
    for (unsigned i = 0; d != NULL && i < d->n; i++)
        srv_buf_printf(out, "%s%s", i > 0 ? "," : "", srv__debug_event_at(d, i)->term);
    srv_buf_printf(out, "]");
}

/* The file and the installed functions in the debug list: the file by
 * its path (sys shows its io device, a pid), a function and its state by
 * their addresses, as Erlang shows a fun: {#Fun<0x4012a0>,#Ptr<0x...>}. */
static void format_file_and_fns(srv_buf *out, const struct sys_debug *d, bool first)
{
    if (d->file_name != NULL) {
        srv_buf_printf(out, "%s{log_to_file,", first ? "" : ",");
        srv_buf_put_string(out, d->file_name);
        srv_buf_printf(out, "}");
        first = false;
    }
    for (const struct debug_fn *f = d->fns; f != NULL; f = f->next, first = false)
        srv_buf_printf(out, "%s{#Fun<0x%" PRIxPTR ">,#Ptr<0x%" PRIxPTR ">}", first ? "" : ",",
                       (uintptr_t)f->fn, (uintptr_t)f->state);
}

void srv__debug_format_options(srv_buf *out, const struct process *p)
{
    const struct sys_debug *d = srv__debug(p);
    srv_buf_printf(out, "[");
    if (d == NULL) {
        srv_buf_printf(out, "]");
        return;
    }
    bool others = d->trace || d->log_max > 0;
    if (d->counting) {
        /* sys:statistics' entry: its start as local time, the counts */
        struct tm tm;
        time_t start = (time_t)d->start_time;
        localtime_r(&start, &tm);
        srv_buf_printf(out, "{statistics,{{{%d,%d,%d},{%d,%d,%d}},{reductions,%llu},%llu,%llu}}%s",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, (unsigned long long)d->reductions,
                       (unsigned long long)d->messages_in, (unsigned long long)d->messages_out,
                       others ? "," : "");
    }
    if (d->trace)
        srv_buf_printf(out, "{trace,true}");
    if (d->log_max > 0) {
        /* sys keeps its log newest first */
        srv_buf_printf(out, "%s{log,{%u,[", d->trace ? "," : "", d->log_max);
        for (unsigned i = d->n; i > 0; i--)
            srv_buf_printf(out, "%s%s", i < d->n ? "," : "", srv__debug_event_at(d, i - 1)->term);
        srv_buf_printf(out, "]}}");
    }
    format_file_and_fns(out, d, !others && !d->counting);
    srv_buf_printf(out, "]");
}

/* proc_lib's '$ancestors' of p: its starter, then the starter's, ... each
 * by its registered name if it has one (proc_lib's get_my_name); a plain
 * thread ends the list, as a process that proc_lib did not start has
 * none, and so do one that is gone (a C process keeps no copy) and one
 * that kept no starter (srv__starter).  A spawned function's process
 * goes on with its spawner, as proc_lib's spawn keeps it. */
void srv__format_ancestors(srv_buf *out, const struct process *p)
{
    srv_buf_printf(out, "[");
    srv_pid next = srv__starter(p);
    for (int depth = 0; !srv_pid_is_none(next) && depth < 64; depth++) {
        struct process *a = srv__process_get(next);
        if (a == NULL)
            break;
        srv_atom name = srv__name(a);
        if (depth > 0)
            srv_buf_printf(out, ",");
        if (name != NULL)
            srv_buf_put_atom(out, name);
        else
            srv_buf_printf(out, "%s", srv_pid_format(next).s);
        next = srv__killable(a) ? srv__starter(a) : SRV_PID_NONE;
        srv__process_put(a);
    }
    srv_buf_printf(out, "]");
}

struct format_status_job {
    struct process *p;
    struct status_parts *parts;
};

static void run_format_status(void *arg)
{
    struct format_status_job *job = arg;
    job->p->module->format_status(&job->parts->map, srv__state(job->p));
}

/* Runs the module's format_status on parts with srv_exit caught (a
 * crash in C: srv_exit, or a failed srv_assert, inside it): false when it
 * exited. */
static bool format_status_ran(struct process *p, struct status_parts *parts)
{
    struct format_status_job job = {p, parts};
    return srv__run_caught(p, run_format_status, &job);
}

/* What the runtime prints of p for format_status: its state (or, once
 * format_status crashed, what gen:format_status/4 puts in its place:
 * "MOD:format_status/1 crashed", printed as a string), its log, and in a
 * crash report its last message and the reason. */
static void parts_printed(struct process *p, struct status_parts *parts, bool crash,
                          srv_atom reason, const srv_detail *detail,
                          bool format_status_crashed)
{
    memset(parts, 0, sizeof *parts);
    if (format_status_crashed)
        srv_buf_printf(&parts->state, "\"%s:format_status/1 crashed\"", p->module->name);
    else
        srv__format_state(&parts->state, p);
    srv__debug_format_log(&parts->log, p);
    parts->map.state = &parts->state;
    parts->map.log = &parts->log;
    if (crash) {
        srv__format_message(&parts->message, p, p->current);
        srv_buf_put_reason(&parts->reason, reason, detail);
        parts->map.message = &parts->message;
        parts->map.reason = &parts->reason;
    }
}

void srv__status_parts(struct process *p, struct status_parts *parts, bool crash,
                       srv_atom reason, const srv_detail *detail)
{
    parts_printed(p, parts, crash, reason, detail, false);
    if (p->module->format_status != NULL && !format_status_ran(p, parts)) {
        /* caught, as gen:format_status/4 catches it: the status as it
         * was, but for the state */
        srv__status_parts_free(parts);
        parts_printed(p, parts, crash, reason, detail, true);
    }
}

void srv__status_parts_free(struct status_parts *parts)
{
    srv_buf_free(&parts->state);
    srv_buf_free(&parts->log);
    srv_buf_free(&parts->message);
    srv_buf_free(&parts->reason);
}
/* A report's first line: =ERROR REPORT==== srv <0.81.0> ===, where OTP's
 * logger writes the time. */
static void report_header(srv_buf *out, const char *kind, const struct process *p)
{
    srv_buf_printf(out, "=%s REPORT==== srv %s ===\n", kind, srv_pid_format(p->pid).s);
}

/* A report's text to the logger, in one piece, and its buffer freed. */
static void report_send(srv_buf *out)
{
    srv__log(SRV_LOG_ERROR, out->data);
    srv_buf_free(out);
}

/* A part of format_status's map; "" for one it dropped or lost to memory. */
static const char *text_of(const srv_buf *part)
{
    return part != NULL && part->data != NULL ? part->data : "";
}

void srv__report_crash(struct process *p, srv_atom reason, const srv_detail *detail,
                       bool in_terminate, const srv_from *client)
{
    if (!srv__log_wants(SRV_LOG_ERROR))
        return;
    const srv_module *m = p->module;
    srv_buf out = {0};
    srv_atom name = srv__name(p);
    report_header(&out, "ERROR", p);
    srv_buf_printf(&out, "** Generic server %s %s%s%s terminating%s\n", m->name,
                   srv_pid_format(p->pid).s, name ? " registered as " : "",
                   name ? name : "", in_terminate ? " (terminate itself failed)" : "");
    /* What format_status leaves of the message, state, reason and log. */
    struct status_parts parts;
    srv__status_parts(p, &parts, true, reason, detail);
    srv_buf_printf(&out, "** Last message in was %s\n", text_of(parts.map.message));
    srv_buf_printf(&out, "** When Server state == %s\n", text_of(parts.map.state));
    srv_buf_printf(&out, "** Reason for termination ==\n** %s\n", text_of(parts.map.reason));
    /* gen_server:format_log: the log's lines only when it holds events,
     * before the client's */
    const char *log = text_of(parts.map.log);
    if (strcmp(log, "[]") != 0 && log[0] != '\0')
        srv_buf_printf(&out, "** Log ==\n** %s\n", log);
    if (client != NULL)
        srv_buf_printf(&out, "** Client %s was waiting for the reply\n",
                       srv_pid_format(client->pid).s);
    srv__status_parts_free(&parts);
    report_send(&out);
}

/* process_info(Pid, links): [<0.9.0>,<0.12.0>]. */
static void put_links(srv_buf *out, srv_pid pid)
{
    srv_pid few[16], *links = few;
    size_t count = 0;
    srv_links(pid, few, 16, &count);
    if (count > 16 && (links = srv__malloc(count * sizeof *links)) != NULL)
        srv_links(pid, links, count, &count); /* as many, or fewer by now */
    if (links == NULL) /* no memory for them all: the first 16 */
        links = few, count = 16;
    srv_buf_printf(out, "[");
    for (size_t i = 0; i < count; i++)
        srv_buf_printf(out, "%s%s", i > 0 ? "," : "", srv_pid_format(links[i]).s);
    srv_buf_printf(out, "]");
    if (links != few)
        srv__free(links);
}

void srv__report_spawn_crash(struct process *p, srv_atom initial_call, srv_atom reason,
                             const srv_detail *detail)
{
    if (!srv__log_wants(SRV_LOG_ERROR))
        return;
    srv_buf out = {0};
    srv_atom name = srv__name(p);
    report_header(&out, "CRASH", p);
    srv_buf_printf(&out, "  crasher:\n");
    if (initial_call != NULL)
        srv_buf_printf(&out, "    initial call: %s\n", initial_call);
    srv_buf_printf(&out, "    pid: %s\n", srv_pid_format(p->pid).s);
    srv_buf_printf(&out, "    registered_name: ");
    if (name != NULL)
        srv_buf_put_atom(&out, name);
    else
        srv_buf_printf(&out, "[]");
    srv_buf_printf(&out, "\n    exception exit: ");
    srv_buf_put_reason(&out, reason, detail);
    srv_buf_printf(&out, "\n    ancestors: ");
    srv__format_ancestors(&out, p);
    srv_buf_printf(&out, "\n    message_queue_len: %zu\n    links: ", srv__queue_len(p));
    put_links(&out, p->pid);
    srv_buf_printf(&out, "\n    trap_exit: %s\n    status: running\n",
                   srv__flag(p, PF_TRAP_EXIT) ? "true" : "false");
    report_send(&out);
}
