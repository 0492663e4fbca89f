/*
 * os.c: the ground floor: what the runtime asks of the system and every
 * part uses: fatal errors, the monotonic clock, futexes, and the lock a
 * part holds across a fork.  It calls nothing of the runtime's own.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "os.h"

void srv__fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

uint64_t srv__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t srv__deadline_after_ms(long ms)
{
    if (ms < 0)
        return UINT64_MAX;
    return srv__now_ns() + (uint64_t)ms * 1000000u;
}

void srv__futex_wait(_Atomic uint32_t *word, uint32_t value,
                     uint64_t deadline_ns)
{
    struct timespec ts, *timeout = NULL;
    if (deadline_ns != UINT64_MAX) {
        uint64_t now = srv__now_ns();
        if (now >= deadline_ns)
            return;
        uint64_t left = deadline_ns - now;
        ts.tv_sec = (time_t)(left / 1000000000u);
        ts.tv_nsec = (long)(left % 1000000000u);
        timeout = &ts;
    }
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, value, timeout,
            NULL, 0);
}

void srv__futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
            NULL, 0);
}

/* Spins a little first: a holder of a word lock is a few list operations
 * from letting go. */
#define WORD_LOCK_SPINS 100

void srv__word_lock_wait(struct word_lock *l)
{
    for (int i = 0; i < WORD_LOCK_SPINS; i++) {
        srv__cpu_relax();
        uint32_t unlocked = 0;
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->word, &unlocked, 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return;
    }
    /* Taken as 2 from here on: we cannot tell whether others sleep too,
     * so our unlock wakes them (at worst for nothing). */
    while (atomic_exchange_explicit(&l->word, 2, memory_order_acquire) != 0)
        srv__futex_wait(&l->word, 2, UINT64_MAX);
}

bool srv__fork_lock(enum srv_fork_phase phase, void *mutex)
{
    pthread_mutex_t *lock = mutex;
    if (phase == SRV_FORK_PREPARE) {
        pthread_mutex_lock(lock);
        return false;
    }
    pthread_mutex_unlock(lock); /* in the child: taken by this thread before */
    return phase == SRV_FORK_CHILD;
}

bool srv__write_all(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t)n;
    }
    return true;
}

static pthread_mutex_t thread_end_lock = PTHREAD_MUTEX_INITIALIZER;

int srv__thread_create(pthread_t *thread, const pthread_attr_t *attr,
                       void *(*start)(void *), void *arg)
{
    /* The new thread inherits the mask in force when it is made. */
    static const int own[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, SIGPROF};
    sigset_t blocked, old;
    sigfillset(&blocked);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        sigdelset(&blocked, own[i]);
    pthread_sigmask(SIG_BLOCK, &blocked, &old);
    int made = pthread_create(thread, attr, start, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return made;
}

bool srv__thread_start_detached(void *(*start)(void *), void *arg)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return false;
    pthread_t thread;
    bool made = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                srv__thread_create(&thread, &attr, start, arg) == 0;
    pthread_attr_destroy(&attr);
    return made;
}

void srv__at_thread_end(struct srv_thread_end *t, void *value)
{
    /* Acquire: the key is seen made with the state that says so. */
    int state = atomic_load_explicit(&t->state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&thread_end_lock);
        state = atomic_load_explicit(&t->state, memory_order_relaxed);
        if (state == 0) {
            state = pthread_key_create(&t->key, t->end) == 0 ? 1 : 2;
            atomic_store_explicit(&t->state, state, memory_order_release);
        }
        pthread_mutex_unlock(&thread_end_lock);
    }
    if (state == 1)
        pthread_setspecific(t->key, value);
}
