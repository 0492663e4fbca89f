/*
 * runtime.h: the runtime as a whole (runtime.c).
 */
#ifndef SRV_RUNTIME_H
#define SRV_RUNTIME_H

#include <stdbool.h>

/* Whether srv_runtime_shutdown has begun (and the runtime was not
 * started again since): srv_start then refuses.  Call it after the new
 * process is in the table: a seq_cst fence orders the two, so that
 * shutdown either finds the process or the starter sees the barrier. */
bool srv__runtime_closed(void);

#endif /* SRV_RUNTIME_H */
