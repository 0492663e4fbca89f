/*
 * spawn.h: proc_lib's spawn (spawn.c): a function run as a process on a
 * thread of its own.
 */
#ifndef SRV_SPAWN_H
#define SRV_SPAWN_H

struct exit_frame;
struct process;

/* Where srv_exit jumps in the function srv_spawn runs on this thread as
 * p (NULL: whichever it runs as): NULL when none runs here, or the thread
 * is no longer p (it lent its identity to srv_enter_loop). */
struct exit_frame *srv__spawn_frame(const struct process *p);

/* The initial call ("M:F/A", interned) of the function srv_spawn runs on
 * this thread, or NULL. */
const char *srv__spawn_initial_call(void);

#endif /* SRV_SPAWN_H */
