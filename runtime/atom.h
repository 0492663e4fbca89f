/*
 * atom.h: interned atoms (atom.c).
 */
#ifndef SRV_ATOM_H
#define SRV_ATOM_H

#include "os.h"
#include "srv.h"

/* Interns reason strings given by users; a reason that cannot be
 * interned for want of memory becomes out_of_memory (never NULL). */
srv_atom srv__atom(srv_atom maybe_interned);
extern const char srv__atom_out_of_memory[]; /* "out_of_memory" */
/* A reason {shutdown, Detail}, which the runtime carries as an atom of
 * that text ("{shutdown,{failed_to_start_child,db,no_way}}"): as quiet
 * as shutdown, as OTP has it. */
bool srv__atom_is_shutdown_detail(srv_atom reason);
void srv__atom_fork(enum srv_fork_phase phase);

#endif /* SRV_ATOM_H */
