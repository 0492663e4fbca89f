/*
 * name.h: registered names (name.c).
 */
#ifndef SRV_NAME_H
#define SRV_NAME_H

#include "os.h"
#include "srv.h"

struct process;

/* SRV_EALREADY, with *holder set, when the name is taken. */
srv_status srv__name_add(srv_atom name, srv_pid pid, srv_pid *holder);
/* The same in a registry of the user's: its register_name, and pid kept
 * in the list of those whose exit gives the name back to via (*holder from
 * its whereis_name when the name is taken). */
srv_status srv__name_add_via(const srv_registry *via, srv_atom name, srv_pid pid,
                             srv_pid *holder);
/* Removes name if pid still holds it, locally or in its via registry. */
void srv__name_remove(srv_atom name, srv_pid pid);
/* An ending process's name goes (srv__exit, a thread's identity's end):
 * after its crash report, which names it, and before anyone hears of
 * the exit, so that whoever does may take it. */
void srv__name_release(struct process *p);
void srv__name_fork(enum srv_fork_phase phase);

/* Whether a via reference names a registry that can look it up. */
bool srv__via_valid(const srv_ref *server);

#endif /* SRV_NAME_H */
