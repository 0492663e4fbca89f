/*
 * special.c: sys for special processes, OTP's handle_system_msg,
 * debug_options, handle_debug, get_log and print_log: a function run by
 * srv_spawn that takes its own mail (srv_sys_receive) and hands each
 * system message to the runtime with callbacks of its own.
 *
 * The process is a thread's identity: it is its own executor, so what
 * sys keeps of it (its debug record, the suspended flag, the held mail)
 * is touched by that thread alone, as a server's by its executor.  The
 * debug options are the process's record (debug.c), the one a server
 * has: trace, log, statistics, log_to_file and installed functions work
 * on its events as on a server's, and sys's requests change them.
 */
#include <string.h>

#include "alloc.h"
#include "debug.h"
#include "exit.h"
#include "link.h"
#include "log.h"
#include "mailbox.h"
#include "process.h"
#include "spawn.h"
#include "special.h"
#include "thread.h"
#include "wait.h"

/* The calling thread's process when it is a spawned one running its own
 * code (not a server's handler), else NULL. */
static struct process *special_self(void)
{
    struct process *p = srv__thread_identity_peek();
    if (p == NULL || srv__current_or_null() != NULL || !srv__flag(p, PF_SPAWNED))
        return NULL;
    return p;
}

srv_status srv_sys_receive(srv_sys_received *out, long timeout_ms)
{
    struct process *p = special_self();
    if (out == NULL || p == NULL || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct process_extra *x = srv__extra(p);
    if (x->system != NULL) { /* not handled yet: still the next */
        out->kind = SRV_SYS_RECEIVED_SYSTEM;
        return SRV_OK;
    }
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    for (;;) {
        struct envelope *e = srv__receive(p, deadline, RECEIVE_ALL, SRV_PID_NONE);
        if (e == NULL)
            return SRV_ETIMEOUT;
        if (e->kind == ENV_SYSTEM) {
            x->system = e;
            out->kind = SRV_SYS_RECEIVED_SYSTEM;
            return SRV_OK;
        }
        if (srv__signal_of(p, e, &out->signal)) {
            out->kind = SRV_SYS_RECEIVED_SIGNAL;
            return SRV_OK;
        }
    }
}

/* system_get_state's text: the atom undefined without one. */
static void put_state(srv_buf *out, const srv_sys_special *m, void *misc)
{
    if (m->get_state != NULL)
        m->get_state(out, misc);
    else
        srv_buf_printf(out, "undefined");
}

/* '$initial_call' as proc_lib keeps it: "M:F/A" printed {M,F,A}. */
static void put_initial_call(srv_buf *out, const char *mfa)
{
    const char *colon = strchr(mfa, ':');
    const char *slash = colon != NULL ? strrchr(colon, '/') : NULL;
    if (slash == NULL) {
        srv_buf_put_atom(out, mfa);
        return;
    }
    char *m = srv__strdup(mfa);
    if (m == NULL)
        return;
    m[colon - mfa] = '\0';
    m[slash - mfa] = '\0';
    srv_buf_printf(out, "{");
    srv_buf_put_atom(out, m);
    srv_buf_printf(out, ",");
    srv_buf_put_atom(out, m + (colon - mfa) + 1);
    srv_buf_printf(out, ",%s}", m + (slash - mfa) + 1);
    srv__free(m);
}

/* sys:get_status of a special process: {status, Pid, {module, Mod},
 * [PDict, SysState, Parent, Debug, Misc]}, Misc as format_status/2 prints
 * it, else as get_state does (sys shows Misc itself). */
static void answer_status(struct process *p, srv_from from, srv_pid parent,
                          const srv_sys_special *m, void *misc)
{
    srv_sys_status st = {.pid = p->pid, .name = srv__name(p), .module = m->module,
                         .suspended = srv__suspended(p), .parent = parent};
    srv__debug_format_options(&st.debug, p);
    srv__format_ancestors(&st.ancestors, p);
    srv__debug_format_log(&st.log, p);
    if (m->format_status != NULL)
        m->format_status(&st.state, parent, st.suspended, misc);
    else
        put_state(&st.state, m, misc);
    srv_buf *t = &st.text;
    srv_buf_printf(t, "{status,%s,{module,", srv_pid_format(st.pid).s);
    srv_buf_put_atom(t, m->module);
    srv_buf_printf(t, "},[[");
    const char *initial_call = srv__spawn_initial_call();
    if (initial_call != NULL) {
        srv_buf_printf(t, "{'$initial_call',");
        put_initial_call(t, initial_call);
        srv_buf_printf(t, "},");
    }
    srv_buf_printf(t, "{'$ancestors',%s}],%s,%s,%s,%s]}",
                   st.ancestors.data != NULL ? st.ancestors.data : "[]",
                   st.suspended ? "suspended" : "running", srv_pid_format(parent).s,
                   st.debug.data != NULL ? st.debug.data : "[]",
                   st.state.data != NULL ? st.state.data : "");
    if (t->data == NULL || st.state.data == NULL || st.log.data == NULL ||
        st.debug.data == NULL || st.ancestors.data == NULL) {
        srv_sys_status_free(&st);
        srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
    } else if (!srv__slot_complete(from, SRV_OK, NULL, &st, sizeof st)) {
        srv_sys_status_free(&st);
    }
}

/* sys:terminate's end, and an EXIT from the parent's while suspended:
 * system_terminate, then the exit with the reason (the system message,
 * if any, stays for srv__special_end to answer). */
static SRV_NORETURN void terminate(srv_atom reason, const srv_detail *detail,
                                   srv_pid parent, const srv_sys_special *m, void *misc)
{
    srv__set_suspended(srv__thread_identity_peek(), false);
    if (m->terminate != NULL)
        m->terminate(reason, detail, parent, misc);
    srv_exit_detail(reason, srv_detail_retain(detail));
}

/* system_code_change, as sys allows it: suspended only. */
static srv_status code_change(struct process *p, struct envelope *e,
                              const srv_sys_special *m, void *misc, srv_atom *reason)
{
    if (!srv__suspended(p))
        return SRV_ERUNNING;
    if (m->code_change == NULL) {
        *reason = srv_atom_from("undef");
        return SRV_ECHANGE;
    }
    return m->code_change(misc, e->reason, e->arg, reason);
}

/* One system message, p's pending one, answered with m's callbacks. */
static void handle(struct process *p, srv_pid parent, const srv_sys_special *m, void *misc)
{
    struct envelope *e = srv__extra(p)->system;
    srv_buf text = {0};
    srv_atom reason = NULL;
    srv_status status = SRV_OK;
    switch (e->system) {
    case SYS_TERMINATE:
        terminate(e->reason, e->detail, parent, m, misc);
    case SYS_GET_STATUS:
        answer_status(p, e->from, parent, m, misc);
        break;
    case SYS_GET_STATE:
        put_state(&text, m, misc);
        srv__slot_complete_text(e->from, &text);
        break;
    case SYS_REPLACE_STATE:
        if (m->replace_state != NULL)
            m->replace_state(misc, e->fn, e->arg);
        else
            e->fn(misc, e->arg);
        srv__slot_complete(e->from, SRV_OK, NULL, NULL, 0);
        break;
    case SYS_SUSPEND:
    case SYS_RESUME:
        srv__set_suspended(p, e->system == SYS_SUSPEND);
        srv__slot_complete(e->from, SRV_OK, NULL, NULL, 0);
        break;
    case SYS_CHANGE_CODE:
        status = code_change(p, e, m, misc, &reason);
        srv__slot_complete(e->from, status, reason, NULL, 0);
        break;
    default: /* the debug options; a typed state copy has no type here */
        if (!srv__debug_request(p, e))
            srv__slot_complete(e->from, SRV_EINVAL, NULL, NULL, 0);
        break;
    }
    srv__extra(p)->system = NULL;
    srv__envelope_free(NULL, e);
}

srv_status srv_sys_handle_system_msg(srv_pid parent, const srv_sys_special *module,
                                     void *misc)
{
    struct process *p = special_self();
    if (p == NULL || module == NULL || module->module == NULL ||
        srv__extra(p)->system == NULL)
        return SRV_EINVAL;
    handle(p, parent, module, misc);
    /* sys's suspend_loop: system messages alone, and the parent's EXIT */
    while (srv__suspended(p)) {
        struct envelope *e = srv__receive(p, UINT64_MAX, RECEIVE_SUSPENDED, parent);
        if (e->kind == ENV_EXIT) {
            srv_atom reason = e->reason;
            const srv_detail *detail = srv_detail_retain(e->detail);
            srv__envelope_free(NULL, e);
            srv__keep_detail(p, KEPT_SIGNAL, detail); /* held to p's end */
            terminate(reason, detail, parent, module, misc);
        }
        srv__extra(p)->system = e;
        handle(p, parent, module, misc);
    }
    return SRV_OK;
}

void srv__special_end(struct process *p, srv_atom reason, const srv_detail *detail)
{
    srv__debug_free(p);
    struct process_extra *x = srv__extra(p);
    struct envelope *e = x != NULL ? x->system : NULL;
    if (e == NULL)
        return;
    x->system = NULL;
    if (e->system == SYS_TERMINATE && e->reason == reason &&
        srv_detail_equal(e->detail, detail))
        srv__slot_complete(e->from, SRV_OK, NULL, NULL, 0);
    else
        srv__fail_request(&e->from, reason, detail);
    srv__envelope_free(NULL, e);
}

srv_status srv_sys_debug_options(const srv_sys_debug_opts *opts)
{
    struct process *p = special_self();
    if (p == NULL || opts == NULL)
        return SRV_EINVAL;
    srv_statistics ignored;
    if ((opts->trace && !srv__debug_trace(p, true)) ||
        (opts->log > 0 && !srv__debug_log(p, opts->log)))
        return SRV_ENOMEM;
    srv_status status = SRV_OK;
    if (opts->statistics)
        status = srv__debug_statistics(p, SRV_STATISTICS_ON, &ignored);
    if (status == SRV_OK && opts->log_to_file != NULL)
        status = srv__debug_log_to_file(p, opts->log_to_file);
    if (status == SRV_OK && opts->install != NULL)
        status = srv__debug_install(p, opts->install, opts->install_state);
    return status;
}

void srv_sys_handle_debug(srv_sys_format_fn format, void *extra, const char *event)
{
    struct process *p = special_self();
    if (p != NULL && format != NULL && event != NULL && srv__flag(p, PF_DEBUG))
        srv__debug_special(p, format, extra, event);
}

void srv_sys_get_log(srv_buf *out)
{
    struct process *p = special_self();
    if (out == NULL)
        return;
    if (p != NULL)
        srv__debug_format_log(out, p);
    else
        srv_buf_printf(out, "[]");
}

void srv_sys_print_log(void)
{
    struct process *p = special_self();
    if (p != NULL)
        srv__debug_print_log(p);
}
