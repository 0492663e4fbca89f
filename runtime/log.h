/*
 * log.h: the logger and the crash report (log.c).
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdbool.h>

#include "os.h"
#include "srv.h"

struct process;

void srv__log(srv_log_level level, const char *text);
void srv__report_crash(struct process *p, srv_atom reason,
                       bool in_terminate, const srv_from *client);
void srv__log_fork(enum srv_fork_phase phase);

#endif /* SRV_LOG_H */
