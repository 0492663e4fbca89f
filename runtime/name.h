/*
 * name.h: registered names (name.c).
 */
#ifndef SRV_NAME_H
#define SRV_NAME_H

#include "os.h"
#include "srv.h"

/* SRV_EALREADY, with *holder set, when the name is taken. */
srv_status srv__name_add(srv_atom name, srv_pid pid, srv_pid *holder);
/* Removes name if pid still holds it. */
void srv__name_remove(srv_atom name, srv_pid pid);
void srv__name_fork(enum srv_fork_phase phase);

#endif /* SRV_NAME_H */
