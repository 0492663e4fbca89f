/*
 * timer.h: one timer thread for callback timeouts, send_after and start
 * timeouts (timer.c).
 */
#ifndef SRV_TIMER_H
#define SRV_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

/* Calls fn(arg, true) on the timer thread at deadline, or fn(arg, false)
 * if the timer is cancelled or the runtime stops first.  Returns the
 * timer's reference; 0 when out of memory. */
typedef void (*timer_fn)(void *arg, bool fire);
uint64_t srv__timer_start(uint64_t deadline_ns, timer_fn fn, void *arg);
/* The same for a timer of the user's (send_after, start_timer), which
 * srv_read_timer and srv_cancel_timer find by its ref.  The ref is
 * written to *ref_slot (when not NULL) before the timer can fire. */
uint64_t srv__timer_start_user(uint64_t deadline_ns, timer_fn fn, void *arg,
                               uint64_t *ref_slot);
/* True if the timer was cancelled before it fired. */
bool srv__timer_cancel(uint64_t ref);
size_t srv__timer_pending(void); /* timers waiting to fire (for tests) */
void srv__timer_stop(void);
void srv__timer_fork(enum srv_fork_phase phase);

#endif /* SRV_TIMER_H */
