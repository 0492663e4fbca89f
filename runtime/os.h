/*
 * os.h: the ground floor (os.c): fatal errors, the monotonic clock,
 * timeouts, futexes, a pause in a spin loop, and the lock each part holds
 * across a fork.  Every part may use it; it uses no other part.
 */
#ifndef SRV_OS_H
#define SRV_OS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "srv.h"

/* The runtime's own fatal errors: the message, then abort. */
SRV_NORETURN void srv__fatal(const char *fmt, ...) SRV_PRINTF(1, 2);

/* The monotonic clock, in nanoseconds. */
uint64_t srv__now_ns(void);
/* The deadline ms from now; UINT64_MAX (never) for a negative ms. */
uint64_t srv__deadline_after_ms(long ms);
/* A timeout a caller may give: milliseconds, or SRV_INFINITY. */
static inline bool srv__timeout_valid(long ms)
{
    return ms >= 0 || ms == SRV_INFINITY;
}

/* A function of a call's path (a caller running its server's handler,
 * or queueing the call and waiting): the compiler puts these together at
 * the start of the program's text (.text.hot), each on a cache line of
 * its own, so that where they lie does not follow the rest of the
 * build.  Scattered, a call's round trip moved by 10% between builds
 * that changed none of them. */
#define SRV_CALL_PATH __attribute__((hot, aligned(64)))

/* A pause in a spin loop: lets the other hyperthread run. */
static inline void srv__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Writes all of text to fd, in as few writes as it takes (one, for a
 * line that fits a pipe's or a file's write); false on an error. */
bool srv__write_all(int fd, const char *text);

/* What a part does at a thread's end with the value that thread gave it
 * (its per-thread cache): a pthread key made on first use, which one
 * pthread_once per part cannot make without a function of its own. */
struct srv_thread_end {
    void (*end)(void *value);
    _Atomic int state; /* 0: no key yet; 1: made; 2: none to be had */
    pthread_key_t key;
};
#define SRV_THREAD_END(fn) {.end = (fn)}
/* t->end(value) runs at the calling thread's end (unless the system had
 * no key to give: then nothing does, and the value stays where it is). */
void srv__at_thread_end(struct srv_thread_end *t, void *value);

/* pthread_create for the threads the runtime makes (schedulers, the
 * timer, the node's, spawned processes'): each starts with every
 * asynchronous signal blocked, so that a signal for the program (SIGTERM,
 * SIGINT, SIGCHLD, ...) goes to a thread of the program's own, and under
 * srv_run to the thread that waits for it; never to a scheduler asleep in
 * a futex, where ThreadSanitizer holds a handler back until the thread
 * next calls into libc.  Faults (SIGSEGV, SIGBUS, ...) stay the thread's
 * own, and SIGPROF a profiler's. */
int srv__thread_create(pthread_t *thread, const pthread_attr_t *attr,
                       void *(*start)(void *), void *arg);
/* The same, detached (nobody joins it); false when it could not be. */
bool srv__thread_start_detached(void *(*start)(void *), void *arg);

/* Blocks the calling thread until *word != value or deadline_ns passes. */
void srv__futex_wait(_Atomic uint32_t *word, uint32_t value,
                     uint64_t deadline_ns);
void srv__futex_wake(_Atomic uint32_t *word);

/* A lock of one word, for records there are many of (a process's link
 * record): 4 bytes where a pthread_mutex_t takes 40, for sections of a
 * few list operations.  0 is unlocked, 1 locked, 2 locked with sleepers
 * (Drepper's "Futexes Are Tricky", mutex 2).  Zeroed memory is unlocked;
 * nothing to destroy. */
struct word_lock {
    _Atomic uint32_t word;
};
void srv__word_lock_wait(struct word_lock *l);
static inline void srv__word_lock(struct word_lock *l)
{
    uint32_t unlocked = 0;
    /* Acquire: what the last holder wrote under the lock is seen. */
    if (!atomic_compare_exchange_strong_explicit(&l->word, &unlocked, 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        srv__word_lock_wait(l);
}
static inline void srv__word_unlock(struct word_lock *l)
{
    /* Release: the next holder sees what we wrote under the lock. */
    if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
        srv__futex_wake(&l->word);
}

/* fork (runtime.c): each part with state of its own takes its locks before
 * a fork, gives them back after it in the parent, and in the child starts
 * afresh (the parent's processes, timers and threads do not exist there). */
enum srv_fork_phase { SRV_FORK_PREPARE, SRV_FORK_PARENT, SRV_FORK_CHILD };
/* What most parts do with their one lock (a pthread_mutex_t): taken
 * before the fork, given back after it.  True in the child, where the
 * part then starts afresh (it is the child's only thread). */
bool srv__fork_lock(enum srv_fork_phase phase, void *mutex);

#endif /* SRV_OS_H */
