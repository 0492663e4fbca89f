/*
 * link.h: links, monitors and exit signals (link.c).
 */
#ifndef SRV_LINK_H
#define SRV_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv.h"

struct process;

/* At exit: tells links and monitors, fails deferred calls, with reason
 * and its detail (borrowed: each signal takes its own reference). */
void srv__links_exit(struct process *p, srv_atom reason, const srv_detail *detail);

/* Takes p's pending exit signal (srv__interrupt): its reason, or NULL,
 * and into *detail the detail that came with it (a reference the caller
 * owns; NULL for a plain atom, and for kill). */
srv_atom srv__interrupt_take(struct process *p, const srv_detail **detail);

/* The details p's API results lend (srv_call_result, srv_signal,
 * srv_start_result), one
 * per use: keeping one gives back the one kept before. */
enum kept_detail { KEPT_WAIT, KEPT_CALL_EXIT, KEPT_SIGNAL, KEPT_START, KEPT_COUNT };
/* Takes the reference detail and keeps it for p (the calling process)
 * until its next of the same use, or its end; returns it, or NULL (when
 * out of memory: it is then given back).  NULL gives back the one kept. */
const srv_detail *srv__keep_detail(struct process *p, enum kept_detail which,
                                   const srv_detail *detail);
/* The one p keeps for that use, or NULL. */
const srv_detail *srv__kept_detail(struct process *p, enum kept_detail which);
/* An exit signal to pid from the runtime (SRV_PID_NONE), which a server
 * takes as its parent's: a supervisor's shutdown (a server that traps
 * exits runs terminate with reason, another exits at once). */
void srv__exit_signal_from_runtime(srv_pid pid, srv_atom reason);
/* Links parent and child without checks (start_link); false when out of
 * memory (or either is dead). */
bool srv__link_pair(struct process *a, struct process *b);
/* What the node (node.c) brings about another node's process remote and
 * a local one.  srv__remote_link: remote linked to local (SRV_ENOPROC
 * when local is dead).  srv__remote_unlink: the link is gone (false
 * when there was none).  srv__remote_link_exit: the link broke with
 * reason (remote ended, or the connection went: noconnection), which
 * local gets as an exit signal from remote.  srv__remote_exit_signal:
 * exit(Local, Reason) from remote.  srv__remote_down: local's monitor ref
 * of remote fires with reason (DOWN). */
srv_status srv__remote_link(srv_pid local, srv_pid remote);
bool srv__remote_unlink(srv_pid local, srv_pid remote);
void srv__remote_link_exit(srv_pid local, srv_pid remote, srv_atom reason);
void srv__remote_exit_signal(srv_pid local, srv_pid remote, srv_atom reason);
void srv__remote_down(srv_pid local, srv_monitor_ref ref, srv_pid remote, srv_atom reason);
/* srv_process_info: p's links, monitors (held on others), monitors held
 * on p, and the bytes of its record of them, added to info. */
void srv__links_info(struct process *p, struct srv_process_info *info);
/* For the tests: how many monitor pid (watchers) and how many pid holds
 * on others (watching); 0 and 0 for a dead pid. */
void srv__monitor_counts(srv_pid pid, size_t *watchers, size_t *watching);
/* Remembers a call the server deferred, to fail it if the server exits
 * before it replies.  False when out of memory. */
bool srv__deferred_add(struct process *p, srv_from from);

/* Hibernate: shrinks p's link, monitor and deferred-call lists to what
 * they hold (frees the empty ones); returns the bytes given back.  The
 * lists grow again on demand. */
size_t srv__links_compact(struct process *p);

/* An exit watch: a supervisor's wait for the children it shuts down, as
 * OTP's monitor and receive of their DOWNs.  Made for count processes;
 * srv__watch_add watches the one of that index (one that has ended
 * already ends at once, with noproc); srv__watch_wait waits on the
 * caller's reply slot until all the watched have ended (SRV_OK) or the
 * deadline (SRV_ETIMEOUT: a later wait may go on); srv__watch_reason says
 * why one ended (NULL while it runs).  The watched processes hold it
 * until they end, the maker until srv__watch_done.  NULL, false: out of
 * memory. */
struct exit_watch;
struct exit_watch *srv__watch_new(size_t count);
bool srv__watch_add(struct exit_watch *w, size_t index, srv_pid pid);
srv_status srv__watch_wait(struct exit_watch *w, uint64_t deadline_ns);
srv_atom srv__watch_reason(struct exit_watch *w, size_t index);
/* Kills every watched process that has not ended, even one already in
 * its terminate, which no lookup by pid finds any more (exit(Pid, kill)
 * ends a BEAM process wherever it is): pending on it, as a kill is, it
 * ends the wait its terminate is blocked in at once, or ends it as soon
 * as the terminate returns. */
void srv__watch_kill(struct exit_watch *w);
void srv__watch_put(struct exit_watch *w);
/* The maker's put: also when it is ended in srv__watch_wait (killed),
 * which leaves it the watch's waiter. */
void srv__watch_done(struct exit_watch *w);

/* What a thread's receive takes (srv__receive): its signals
 * (srv_receive_signal), everything (a special process's srv_sys_receive),
 * or a suspended special process's system messages and EXIT from its
 * parent alone. */
enum receive_mode { RECEIVE_SIGNALS, RECEIVE_ALL, RECEIVE_SUSPENDED };
struct envelope;
/* The calling thread's process self (its identity) takes the next
 * envelope mode takes, up to deadline (NULL then), held ones first, in
 * the order they came; what it does not take is held.  An exit signal
 * that ends self ends it here; an EXIT to one that does not trap is
 * dropped. */
struct envelope *srv__receive(struct process *self, uint64_t deadline,
                              enum receive_mode mode, srv_pid parent);
/* The signal e brings, into *out (its detail kept by self), and e freed:
 * false when e was no signal. */
bool srv__signal_of(struct process *self, struct envelope *e, srv_signal *out);

#endif /* SRV_LINK_H */
