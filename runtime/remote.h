/*
 * remote.h: what the rest of the runtime asks of a node about pids of
 * other nodes (srv_pid.node != 0).  The node (node.c) hands its answers
 * over as hooks when it first starts (remote.c), so that no part of the
 * runtime calls node code by name: the node stands above the runtime,
 * not in a circle with it.  Each is reached only after a local lookup
 * found nothing and the pid's node field said why: the local paths never
 * come here.
 */
#ifndef SRV_REMOTE_H
#define SRV_REMOTE_H

#include <stdbool.h>

#include "srv.h"

struct srv__remote_hooks {
    srv_status (*call)(srv_pid to, const srv_module *module, unsigned message,
                       const void *args, void *reply, long timeout_ms, srv_atom *reason);
    srv_status (*request)(srv_pid to, const srv_module *module, unsigned message,
                          const void *args, srv_from from, srv_atom *reason);
    srv_status (*stop)(srv_pid to, srv_atom reason, long timeout_ms, srv_atom *why);
    srv_status (*post)(srv_pid to, const srv_module *module, unsigned message,
                       const void *args, srv_message_kind kind);
    bool (*link)(srv_pid self, srv_pid remote);
    void (*unlink)(srv_pid self, srv_pid remote);
    void (*link_exit)(srv_pid self, srv_pid remote, srv_atom reason,
                      const srv_detail *detail);
    bool (*monitor)(srv_pid self, srv_pid remote, srv_monitor_ref ref);
    void (*demonitor)(srv_pid self, srv_pid remote, srv_monitor_ref ref);
};

/* The node's hooks, once a node has started; NULL before. */
const struct srv__remote_hooks *srv__remote(void);
/* The node's first start hands its hooks over, for good: they answer
 * for a node that no longer runs as for one that cannot be reached. */
void srv__remote_set(const struct srv__remote_hooks *hooks);

/* srv_call to a remote pid: {'$gen_call', {Self, Ref}, Req} with a
 * monitor of the pid, as srv_node_call by name.  SRV_ENOPROC with
 * noconnection (in *reason) when no node runs or the pid's node cannot be
 * reached, noproc when the process is gone; SRV_EEXIT with its reason. */
static inline srv_status srv__node_call(srv_pid to, const srv_module *module,
                                        unsigned message, const void *args, void *reply,
                                        long timeout_ms, srv_atom *reason)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        return r->call(to, module, message, args, reply, timeout_ms, reason);
    *reason = srv_atom_from("noconnection");
    return SRV_ENOPROC;
}

/* srv_send_request to a remote pid: the call's request sent as
 * srv__node_call sends it, its answer (the reply read into the call's
 * reply struct, or SRV_ENOPROC, SRV_EEXIT with the reason) completed
 * later, from the node's thread, to from (a place in the requester's
 * table of requests, request.c).  SRV_OK once sent; SRV_ENOPROC with
 * noconnection (in *reason) when no node runs or the pid's node cannot
 * be reached, which the caller answers itself; SRV_EINVAL when the
 * message has no term, SRV_ENOMEM: nothing sent, nothing to answer. */
static inline srv_status srv__node_request(srv_pid to, const srv_module *module,
                                           unsigned message, const void *args,
                                           srv_from from, srv_atom *reason)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        return r->request(to, module, message, args, from, reason);
    *reason = srv_atom_from("noconnection");
    return SRV_ENOPROC;
}

/* srv_stop of a remote pid: proc_lib:stop's {system, {Self, Ref},
 * {terminate, Reason}} with a monitor of the pid, waiting up to
 * timeout_ms for the reply (an srv server's ok) or the DOWN with reason
 * (an Erlang server's).  SRV_OK then; SRV_EEXIT with another exit reason
 * (in *why), SRV_ENOPROC with noproc (the process is gone) or
 * noconnection (no node runs, or the pid's node cannot be reached or
 * goes), SRV_ETIMEOUT, SRV_ENOMEM. */
static inline srv_status srv__node_stop(srv_pid to, srv_atom reason, long timeout_ms,
                                        srv_atom *why)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        return r->stop(to, reason, timeout_ms, why);
    *why = srv_atom_from("noconnection");
    return SRV_ENOPROC;
}

/* srv_cast ({'$gen_cast', Req}) or srv_send (the message's term) to a
 * remote pid: SRV_OK even when it cannot be delivered, as Erlang drops a
 * message to an unreachable node's pid; SRV_EINVAL when the message has
 * no term, SRV_ENOMEM. */
static inline srv_status srv__node_post(srv_pid to, const srv_module *module,
                                        unsigned message, const void *args,
                                        srv_message_kind kind)
{
    const struct srv__remote_hooks *r = srv__remote();
    return r != NULL ? r->post(to, module, message, args, kind) : SRV_OK;
}

/* Links and monitors of a local process with a remote one.  link.c keeps
 * the local side in the process's own lists (the remote pid as the
 * other end); the node keeps, per connection, which local process is tied
 * to which remote one, to tell the other node, and to give each tie
 * noconnection when the connection goes. */

/* self links to remote (LINK sent): false when the node cannot be
 * reached (or none runs): the caller then gives self noconnection. */
static inline bool srv__node_link(srv_pid self, srv_pid remote)
{
    const struct srv__remote_hooks *r = srv__remote();
    return r != NULL && r->link(self, remote);
}

/* self unlinks from remote (UNLINK sent). */
static inline void srv__node_unlink(srv_pid self, srv_pid remote)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        r->unlink(self, remote);
}

/* self, linked to remote, ends with reason (EXIT sent). */
static inline void srv__node_link_exit(srv_pid self, srv_pid remote, srv_atom reason,
                                       const srv_detail *detail)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        r->link_exit(self, remote, reason, detail);
}

/* self monitors remote with ref (MONITOR_P sent): false when the node
 * cannot be reached (or none runs): a DOWN noconnection is then due. */
static inline bool srv__node_monitor(srv_pid self, srv_pid remote, srv_monitor_ref ref)
{
    const struct srv__remote_hooks *r = srv__remote();
    return r != NULL && r->monitor(self, remote, ref);
}

/* self's monitor ref of remote ends (DEMONITOR_P sent). */
static inline void srv__node_demonitor(srv_pid self, srv_pid remote, srv_monitor_ref ref)
{
    const struct srv__remote_hooks *r = srv__remote();
    if (r != NULL)
        r->demonitor(self, remote, ref);
}

#endif /* SRV_REMOTE_H */
