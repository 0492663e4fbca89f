/*
 * ref.c: servers by reference (OTP's ServerRef: a pid, a local name, or a
 * name in a registry of the user's), and multi_call and abcast over the
 * servers of one name.
 *
 * Each function looks the name up (srv_resolve, name.c), as gen:do_call
 * and gen:send do, then goes the pid's way (call.c, link.c): the pid
 * functions themselves never look at a name.  What a name nobody holds answers is OTP's: a call and
 * a stop exit noproc, a cast is ok, `Name ! Msg` raises badarg, a monitor
 * fires at once with noproc.
 */
#include "name.h"
#include "reason.h"
#include "srv.h"

srv_status srv_deliver(srv_pid pid, const srv_message *msg)
{
    if (msg == NULL || msg->module == NULL || msg->message >= msg->module->message_count)
        return SRV_EINVAL;
    switch (msg->module->messages[msg->message].kind) {
    case SRV_MESSAGE_CAST:
        return srv_cast(pid, msg->module, msg->message, msg->args);
    case SRV_MESSAGE_INFO:
        return srv_send(pid, msg->module, msg->message, msg->args);
    default:
        return SRV_EINVAL; /* a call is not sent blind */
    }
}

/* The pid a call or a stop goes to; a name nobody holds is noproc, as
 * gen:do_call exits. */
static srv_status call_target(srv_ref server, srv_call_result *result, srv_pid *pid)
{
    if (result != NULL)
        *result = (srv_call_result){0};
    srv_status status = srv_resolve(server, pid);
    if (status != SRV_ENOTREG)
        return status;
    if (result != NULL)
        result->reason = srv_atom_noproc;
    return SRV_ENOPROC;
}

srv_status srv_call_to(srv_ref server, const srv_module *module, unsigned message,
                       const void *args, void *reply, long timeout_ms,
                       srv_call_result *result)
{
    srv_pid pid;
    srv_status status = call_target(server, result, &pid);
    if (status == SRV_OK)
        status = srv_call(pid, module, message, args, reply, timeout_ms, result);
    /* gen_server:call(Name, ...) exits with the name, not the pid */
    if (server.kind != SRV_REF_PID &&
        (status == SRV_ENOPROC || status == SRV_ETIMEOUT || status == SRV_EEXIT) &&
        module != NULL && message < module->message_count) {
        srv_buf name = {0};
        srv__put_server(&name, server);
        if (name.data != NULL)
            srv__call_failed(result, status, name.data, module, message, args, timeout_ms);
        srv_buf_free(&name);
    }
    return status;
}

srv_status srv_stop_detail_to(srv_ref server, srv_atom reason, const srv_detail *detail,
                              long timeout_ms, srv_call_result *result)
{
    srv_pid pid;
    srv_status status = call_target(server, result, &pid);
    if (status != SRV_OK) {
        srv_detail_release(detail); /* the stop's reference, as srv_stop_detail takes it */
        return status;
    }
    return srv_stop_detail(pid, reason, detail, timeout_ms, result);
}

srv_status srv_stop_to(srv_ref server, srv_atom reason, long timeout_ms,
                       srv_call_result *result)
{
    return srv_stop_detail_to(server, reason, NULL, timeout_ms, result);
}

/* A cast or an info message: through the registry's send when it has one
 * (gen:send calls Module:send), else to the pid its name gives. */
static srv_status post_to(srv_ref server, const srv_message *msg)
{
    if (server.kind == SRV_REF_VIA && srv__via_valid(&server) && server.via->send != NULL)
        return server.via->send(server.via->user, server.name, msg);
    srv_pid pid;
    srv_status status = srv_resolve(server, &pid);
    if (status != SRV_OK)
        return status;
    return srv_deliver(pid, msg);
}

/* A message of kind, by reference. */
static srv_status post_kind(srv_ref server, const srv_module *module, unsigned message,
                            const void *args, srv_message_kind kind)
{
    if (module == NULL || message >= module->message_count ||
        module->messages[message].kind != kind)
        return SRV_EINVAL;
    srv_message msg = {module, message, args};
    return post_to(server, &msg);
}

srv_status srv_cast_to(srv_ref server, const srv_module *module, unsigned message,
                       const void *args)
{
    srv_status status = post_kind(server, module, message, args, SRV_MESSAGE_CAST);
    return status == SRV_ENOTREG ? SRV_OK : status; /* gen_server:cast is ok */
}

srv_status srv_send_to(srv_ref server, const srv_module *module, unsigned message,
                       const void *args)
{
    return post_kind(server, module, message, args, SRV_MESSAGE_INFO); /* SRV_ENOTREG: badarg */
}

srv_status srv_monitor_to(srv_ref server, srv_monitor_ref *ref_out)
{
    srv_pid pid;
    srv_status status = srv_resolve(server, &pid);
    if (status != SRV_OK && status != SRV_ENOTREG)
        return status;
    /* Nobody: SRV_PID_NONE names no process, and its DOWN comes at once. */
    return srv_monitor(pid, ref_out);
}

srv_status srv_multi_call(const char *name, const srv_module *module, unsigned message,
                          const void *args, void *replies, long timeout_ms,
                          srv_multi_call_result *result)
{
    if (result == NULL)
        return SRV_EINVAL;
    *result = (srv_multi_call_result){0};
    srv_pid pid;
    srv_status status = srv_whereis(name, &pid);
    if (status == SRV_OK)
        status = srv_call(pid, module, message, args, replies, timeout_ms, NULL);
    switch (status) {
    case SRV_OK:
        result->replied[result->replied_count++] = 0;
        return SRV_OK;
    case SRV_ENOTREG: /* nobody holds it, */
    case SRV_ENOPROC: /* its holder is gone, */
    case SRV_EEXIT:   /* it exited before it replied, */
    case SRV_ETIMEOUT: /* or it did not reply in time: a bad node */
        result->bad_nodes[result->bad_node_count++] = 0;
        return SRV_OK;
    default:
        return status;
    }
}

srv_status srv_abcast(const char *name, const srv_module *module, unsigned message,
                      const void *args)
{
    if (name == NULL)
        return SRV_EINVAL;
    return srv_cast_to(srv_ref_name(name), module, message, args);
}
