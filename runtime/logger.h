/*
 * logger.h: where the runtime's reports go (logger.c).
 */
#ifndef SRV_LOGGER_H
#define SRV_LOGGER_H

#include <stdbool.h>

#include "os.h"
#include "srv.h"

/* text to the logger, if its level is logged (srv_set_log_level). */
void srv__log(srv_log_level level, const char *text);
/* Whether a report of level is logged: a report that is not need not be
 * made. */
bool srv__log_wants(srv_log_level level);
/* Whether the user set a logger (srv_set_logger): progress reports go to
 * it only, as OTP's default level (notice) leaves them out. */
bool srv__log_custom(void);
/* fork: the child keeps the logger. */
void srv__log_fork(enum srv_fork_phase phase);

#endif /* SRV_LOGGER_H */
