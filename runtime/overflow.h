/*
 * overflow.h: a stack overflow reported with the server's name and pid
 * (overflow.c).
 */
#ifndef SRV_OVERFLOW_H
#define SRV_OVERFLOW_H

/* The calling thread will run handlers; a stack overflow on it is
 * reported with the server's name and pid before the abort. */
void srv__overflow_watch_thread(void);
void srv__overflow_unwatch_thread(void); /* before the thread ends */

#endif /* SRV_OVERFLOW_H */
