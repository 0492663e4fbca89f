/*
 * node.h: the node's pids (node.c): a local srv_pid has node 0; a remote
 * process's has the index (from 1) of its node in the node's table of
 * the nodes it has heard of, which never shrinks.
 */
#ifndef SRV_NODE_H
#define SRV_NODE_H

#include <stdbool.h>

#include <ei.h>

#include "srv.h"

/* An Erlang pid as an srv_pid: false when the table of nodes is full. */
bool srv__node_pid_in(const erlang_pid *e, srv_pid *out);
/* An srv_pid as Erlang knows it (a local one as this node's, or
 * nonode@nohost's when no node runs). */
void srv__node_pid_out(srv_pid pid, erlang_pid *e);

#endif /* SRV_NODE_H */
