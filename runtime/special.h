/*
 * special.h: sys's special processes (special.c): a spawned function
 * that takes its system messages and hands them to the runtime.
 */
#ifndef SRV_SPECIAL_H
#define SRV_SPECIAL_H

#include "srv.h"

struct process;

/* At the end of p, a thread's identity: its debug options go (while its
 * name is held), and the system message it was handling is answered: OK
 * for sys:terminate's with this very reason, else the reason (detail
 * borrowed). */
void srv__special_end(struct process *p, srv_atom reason, const srv_detail *detail);

#endif /* SRV_SPECIAL_H */
