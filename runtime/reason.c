/*
 * reason.c: exit reasons with detail.  A detail is the second element of
 * a reason such as {shutdown, going_home}, kept as the text Erlang would
 * print: immutable once made, shared by a reference count (atomic, since
 * a detail travels with exit signals and DOWNs to other threads) and
 * freed by whoever gives the last reference back.  Plain atoms have none.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "link.h"
#include "log.h"
#include "process.h"
#include "reason.h"
#include "thread.h"

struct srv_detail {
    _Atomic size_t refs;
    size_t len;
    char text[]; /* NUL-terminated */
};

const srv_detail *srv_detail_new(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t len = strlen(text);
    struct srv_detail *d = srv__malloc(sizeof *d + len + 1);
    if (d == NULL)
        return NULL;
    atomic_init(&d->refs, 1);
    d->len = len;
    memcpy(d->text, text, len + 1);
    return d;
}

const srv_detail *srv_detail_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    struct srv_detail *d = srv__malloc(sizeof *d + (size_t)n + 1);
    if (d == NULL)
        return NULL;
    atomic_init(&d->refs, 1);
    d->len = (size_t)n;
    va_start(ap, fmt);
    vsnprintf(d->text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

const srv_detail *srv_detail_retain(const srv_detail *d)
{
    /* Relaxed: a new reference is made from one already held, which keeps
     * d alive meanwhile; it orders nothing (as shared_ptr's increment). */
    if (d != NULL)
        atomic_fetch_add_explicit(&((struct srv_detail *)d)->refs, 1, memory_order_relaxed);
    return d;
}

void srv_detail_release(const srv_detail *d)
{
    if (d == NULL)
        return;
    struct srv_detail *m = (struct srv_detail *)d;
    /* acq_rel: each holder's uses happen before the last one's free. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        srv__free(m);
}

const char *srv_detail_text(const srv_detail *d)
{
    return d != NULL ? d->text : NULL;
}

bool srv_detail_equal(const srv_detail *a, const srv_detail *b)
{
    if (a == b)
        return true;
    return a != NULL && b != NULL && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

bool srv_reason_is_quiet(srv_atom reason, const srv_detail *detail)
{
    /* {shutdown, _} also as one atom of that text (a supervisor's own
     * reasons, srv__atom_is_shutdown_detail) */
    return reason == srv_atom_shutdown || (reason == srv_atom_normal && detail == NULL) ||
           (detail == NULL && srv__atom_is_shutdown_detail(reason));
}

void srv_buf_put_reason(srv_buf *buf, srv_atom reason, const srv_detail *detail)
{
    if (detail == NULL) {
        srv_buf_put_atom(buf, reason);
        return;
    }
    srv_buf_printf(buf, "{");
    srv_buf_put_atom(buf, reason);
    srv_buf_printf(buf, ",%s}", detail->text);
}

const srv_detail *srv_reason_detail(void)
{
    struct process *p = srv__current_or_null();
    if (p == NULL || p->current == NULL)
        return NULL;
    return p->current->exiting ? p->current->exit_detail : p->current->detail;
}

/* OTP's names for the results, by srv_action_kind. */
static const char *const kind_names[] = {
    [SRV_ACTION_OK] = "ok",         [SRV_ACTION_IGNORE] = "ignore",
    [SRV_ACTION_REPLY] = "reply",   [SRV_ACTION_NOREPLY] = "noreply",
    [SRV_ACTION_STOP] = "stop",     [SRV_ACTION_STOP_REPLY] = "stop",
    [SRV_ACTION_REPLY_ENOMEM] = "reply",
};

const srv_detail *srv__detail_bad_return(struct process *p, const srv_action *action)
{
    unsigned kind = (unsigned)action->kind;
    if (kind == SRV_ACTION_NONE || kind >= sizeof kind_names / sizeof kind_names[0])
        return srv_detail_new("undefined");
    /* The tuple OTP's callback would have returned: {noreply,State,-5}
     * (a reply shows as '...': its struct is the handler's, gone now). */
    srv_buf text = {0};
    srv_buf_printf(&text, "{%s,", kind_names[kind]);
    if (kind == SRV_ACTION_REPLY || kind == SRV_ACTION_STOP_REPLY)
        srv_buf_printf(&text, "'...',");
    srv__format_state(&text, p);
    if (action->timeout_ms != SRV_INFINITY)
        srv_buf_printf(&text, ",%ld", action->timeout_ms);
    srv_buf_printf(&text, "}");
    const srv_detail *d = text.data != NULL ? srv_detail_new(text.data) : NULL;
    srv_buf_free(&text);
    return d;
}

void srv__call_failed(srv_call_result *result, srv_status status, const char *server,
                      const srv_module *module, unsigned message, const void *args,
                      long timeout_ms)
{
    struct process *self = srv__caller();
    if (result == NULL || self == NULL)
        return;
    if (status == SRV_ENOPROC || status == SRV_ETIMEOUT) {
        /* noproc, or the noconnection of another node's pid (node.c) */
        bool unreachable = status == SRV_ENOPROC && result->reason != NULL &&
                           result->reason == srv_atom_from("noconnection");
        result->reason = status == SRV_ENOPROC
                             ? (unreachable ? result->reason : srv_atom_noproc)
                             : srv_atom_timeout;
        result->detail = NULL;
    } else if (status != SRV_EEXIT) {
        return;
    }
    /* gen_server:call/2 (the default timeout) exits with [Server,Request],
     * call/3 with [Server,Request,Timeout] */
    srv_buf text = {0};
    srv_buf_printf(&text, "{gen_server,call,[%s,", server);
    const srv_message_type *type = &module->messages[message];
    if (type->format_args != NULL && args != NULL)
        type->format_args(&text, args);
    else
        srv_buf_put_atom(&text, type->name);
    if (timeout_ms == SRV_INFINITY)
        srv_buf_printf(&text, ",infinity");
    else if (timeout_ms != SRV_DEFAULT_CALL_TIMEOUT)
        srv_buf_printf(&text, ",%ld", timeout_ms);
    srv_buf_printf(&text, "]}");
    const srv_detail *where = text.data != NULL ? srv_detail_new(text.data) : NULL;
    srv_buf_free(&text);
    srv_buf whole = {0};
    if (where != NULL) {
        srv_buf_printf(&whole, "{");
        srv_buf_put_reason(&whole, result->reason, result->detail);
        srv_buf_printf(&whole, ",%s}", srv_detail_text(where));
    }
    srv_detail_release(where);
    result->exit = srv__keep_detail(self, KEPT_CALL_EXIT,
                                    whole.data != NULL ? srv_detail_new(whole.data) : NULL);
    srv_buf_free(&whole);
}

void srv__put_server(srv_buf *buf, srv_ref server)
{
    switch (server.kind) {
    case SRV_REF_PID:
        srv_buf_printf(buf, "%s", srv_pid_format(server.pid).s);
        return;
    case SRV_REF_NAME:
        srv_buf_put_atom(buf, server.name);
        return;
    case SRV_REF_VIA:
        srv_buf_printf(buf, "{via,");
        srv_buf_put_atom(buf, server.via != NULL && server.via->module != NULL
                                  ? server.via->module
                                  : "via");
        srv_buf_printf(buf, ",");
        srv_buf_put_atom(buf, server.name);
        srv_buf_printf(buf, "}");
        return;
    }
}

void srv__request_failed(srv_call_result *result, srv_ref server)
{
    struct process *self = srv__caller();
    if (result == NULL || self == NULL)
        return;
    srv_buf text = {0};
    srv_buf_printf(&text, "{");
    srv_buf_put_reason(&text, result->reason, result->detail);
    srv_buf_printf(&text, ",");
    srv__put_server(&text, server);
    srv_buf_printf(&text, "}");
    result->exit = srv__keep_detail(self, KEPT_CALL_EXIT,
                                    text.data != NULL ? srv_detail_new(text.data) : NULL);
    srv_buf_free(&text);
}
