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
void srv__atom_fork(enum srv_fork_phase phase);

#endif /* SRV_ATOM_H */
