/*
 * epoch.h: when memory that readers may still see without a hold can go
 * (epoch.c): quiescent-state reclamation for scheduler threads.
 *
 * A reader (a scheduler thread) says, between its loop's turns, that it
 * holds no such pointer (srv__epoch_quiescent), and that it holds none
 * for a while when it sleeps (srv__epoch_offline).  Whoever unlinks a
 * block so that no new reader can find it takes an epoch for it
 * (srv__epoch_retire); the block may go once every reader has been
 * quiescent since (srv__epoch_passed).
 */
#ifndef SRV_EPOCH_H
#define SRV_EPOCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "os.h"

struct epoch_reader;

/* A reader for this thread, offline until its first quiescent point;
 * NULL when out of memory.  Readers are kept, and reused once released. */
struct epoch_reader *srv__epoch_reader(void);
void srv__epoch_release(struct epoch_reader *r);

/* r's thread holds no pointer it read without a hold, and may read
 * again.  r NULL: nothing (a thread without a reader reads by holds). */
void srv__epoch_quiescent(struct epoch_reader *r);
/* r's thread holds none and reads none until its next quiescent point. */
void srv__epoch_offline(struct epoch_reader *r);

/* After the caller unlinked a block: the epoch it may go after. */
uint64_t srv__epoch_retire(void);
/* Whether every reader has been quiescent or offline since retire gave e. */
bool srv__epoch_passed(uint64_t e);

void srv__epoch_fork(enum srv_fork_phase phase);

#endif /* SRV_EPOCH_H */
