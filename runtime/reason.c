/*
 * reason.c: what a process's exit reasons say beyond their atom: the
 * detail a handler reads (srv_reason_detail), {bad_return_value, Value},
 * and the exit a failed call or request gives its caller, as gen_server
 * builds them.  The detail object itself is detail.c's.
 */
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "log.h"
#include "process.h"
#include "reason.h"
#include "thread.h"

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
