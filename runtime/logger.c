/*
 * logger.c: where the runtime's reports go: the user's logger
 * (srv_set_logger) or stderr, each text in one write, so that reports
 * from several threads never interleave; and the level below which
 * reports are not even made.  A leaf, so that any part (a fiber's stack
 * overflow, a scheduler) can report without the crash report's needs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "logger.h"
#include "os.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static srv_logger_fn logger;
static void *logger_user;
static _Atomic int max_level = SRV_LOG_INFO; /* the least severe logged */

void srv_set_log_level(srv_log_level level)
{
    atomic_store_explicit(&max_level, (int)level, memory_order_relaxed);
}

bool srv__log_wants(srv_log_level level)
{
    return (int)level <= atomic_load_explicit(&max_level, memory_order_relaxed);
}

void srv_set_logger(srv_logger_fn fn, void *user)
{
    pthread_mutex_lock(&lock);
    logger = fn;
    logger_user = user;
    pthread_mutex_unlock(&lock);
}

void srv__log(srv_log_level level, const char *text)
{
    if (!srv__log_wants(level))
        return;
    if (text == NULL) /* a report whose text found no memory */
        text = "srv: a report was lost: out of memory\n";
    pthread_mutex_lock(&lock);
    srv_logger_fn fn = logger;
    void *user = logger_user;
    pthread_mutex_unlock(&lock);
    if (fn != NULL) {
        fn(level, text, user);
        return;
    }
    srv__write_all(STDERR_FILENO, text);
}

bool srv__log_custom(void)
{
    pthread_mutex_lock(&lock);
    bool custom = logger != NULL;
    pthread_mutex_unlock(&lock);
    return custom;
}

/* fork: the child keeps the logger. */
void srv__log_fork(enum srv_fork_phase phase)
{
    srv__fork_lock(phase, &lock);
}
