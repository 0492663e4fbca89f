/*
 * node.h: what the rest of the runtime asks of the node (node.c) about
 * pids of other nodes (srv_pid.node != 0).  Each is reached only after a
 * local lookup found nothing and the pid's node field said why: the
 * local paths never come here.
 */
#ifndef SRV_NODE_H
#define SRV_NODE_H

#include "srv.h"

/* srv_call to a remote pid: {'$gen_call', {Self, Ref}, Req} with a
 * monitor of the pid, as srv_node_call by name.  SRV_ENOPROC with
 * noconnection (in *reason) when no node runs or the pid's node cannot be
 * reached, noproc when the process is gone; SRV_EEXIT with its reason. */
srv_status srv__node_call(srv_pid to, const srv_module *module, unsigned message,
                          const void *args, void *reply, long timeout_ms,
                          srv_atom *reason);
/* srv_send_request to a remote pid: the call's request sent as
 * srv__node_call sends it, its answer (the reply read into the call's
 * reply struct, or SRV_ENOPROC, SRV_EEXIT with the reason) completed
 * later, from the node's thread, to from (a place in the requester's
 * table of requests, request.c).  SRV_OK once sent; SRV_ENOPROC with
 * noconnection (in *reason) when no node runs or the pid's node cannot
 * be reached, which the caller answers itself; SRV_EINVAL when the
 * message has no term, SRV_ENOMEM: nothing sent, nothing to answer. */
srv_status srv__node_request(srv_pid to, const srv_module *module, unsigned message,
                             const void *args, srv_from from, srv_atom *reason);
/* srv_stop of a remote pid: proc_lib:stop's {system, {Self, Ref},
 * {terminate, Reason}} with a monitor of the pid, waiting up to
 * timeout_ms for the reply (an srv server's ok) or the DOWN with reason
 * (an Erlang server's).  SRV_OK then; SRV_EEXIT with another exit reason
 * (in *why), SRV_ENOPROC with noproc (the process is gone) or
 * noconnection (no node runs, or the pid's node cannot be reached or
 * goes), SRV_ETIMEOUT, SRV_ENOMEM. */
srv_status srv__node_stop(srv_pid to, srv_atom reason, long timeout_ms, srv_atom *why);
/* srv_cast ({'$gen_cast', Req}) or srv_send (the message's term) to a
 * remote pid: SRV_OK even when it cannot be delivered, as Erlang drops a
 * message to an unreachable node's pid; SRV_EINVAL when the message has
 * no term, SRV_ENOMEM. */
srv_status srv__node_post(srv_pid to, const srv_module *module, unsigned message,
                          const void *args, srv_message_kind kind);

/* Links and monitors of a local process with a remote one.  link.c keeps
 * the local side in the process's own lists (the remote pid as the
 * other end); the node keeps, per connection, which local process is tied
 * to which remote one, to tell the other node, and to give each tie
 * noconnection when the connection goes. */

/* self links to remote (LINK sent): false when the node cannot be
 * reached (or none runs): the caller then gives self noconnection. */
bool srv__node_link(srv_pid self, srv_pid remote);
/* self unlinks from remote (UNLINK sent). */
void srv__node_unlink(srv_pid self, srv_pid remote);
/* self, linked to remote, ends with reason (EXIT sent). */
void srv__node_link_exit(srv_pid self, srv_pid remote, srv_atom reason,
                         const srv_detail *detail);
/* self monitors remote with ref (MONITOR_P sent): false when the node
 * cannot be reached (or none runs): a DOWN noconnection is then due. */
bool srv__node_monitor(srv_pid self, srv_pid remote, srv_monitor_ref ref);
/* self's monitor ref of remote ends (DEMONITOR_P sent). */
void srv__node_demonitor(srv_pid self, srv_pid remote, srv_monitor_ref ref);

#endif /* SRV_NODE_H */
