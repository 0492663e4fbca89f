/*
 * reason.h: exit reasons with detail (reason.c): the detail's reference
 * count, for the runtime's own hands.
 */
#ifndef SRV_REASON_H
#define SRV_REASON_H

#include "srv.h"

struct process;

/* {bad_return_value, Value}'s detail for an action p's callback returned
 * that OTP would refuse: the tuple it stands for ("{noreply,#{n => 1},-5}"),
 * or "undefined" for a zeroed one.  NULL when out of memory. */
const srv_detail *srv__detail_bad_return(struct process *p, const srv_action *action);

/* A call that failed with status (SRV_ENOPROC, SRV_ETIMEOUT, SRV_EEXIT;
 * no other): result's reason (noproc, timeout, or the server's, already
 * there) and exit, the reason gen_server:call exits its caller with,
 * {noproc,{gen_server,call,[Server,Request]}}, kept by the calling
 * process.  server is printed: "<0.81.0>", "counter".  result may be
 * NULL. */
void srv__call_failed(srv_call_result *result, srv_status status, const char *server,
                      const srv_module *module, unsigned message, const void *args,
                      long timeout_ms);

/* A server as OTP prints a ServerRef in an exit term: <0.81.0>, counter,
 * {via,my_registry,keeper} (via without a module name: {via,via,Name}). */
void srv__put_server(srv_buf *buf, srv_ref server);

/* A request that failed: result's exit, {Reason, ServerRef} as
 * gen_server's {error, {Reason, ServerRef}} gives it, kept by the
 * requesting process.  result may be NULL. */
void srv__request_failed(srv_call_result *result, srv_ref server);

#endif /* SRV_REASON_H */
