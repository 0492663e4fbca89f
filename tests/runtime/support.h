/*
 * support.h: what every runtime test shares: starting the test server,
 * waiting for something that happens on another thread, and a timeout
 * factor that sanitizer builds raise.
 */
#ifndef SRV_TEST_SUPPORT_H
#define SRV_TEST_SUPPORT_H

#ifdef SRV_SANITIZE_THREAD
#include "tsan_runner.h"
#else
#include <criterion/criterion.h>
#endif
#include <srv.h>
#include <string.h>

#include "counter.srv.h"

#if defined(SRV_SANITIZE_THREAD) || defined(SRV_SANITIZE_ADDRESS)
#define T(seconds) ((seconds) * 5)
#else
#define T(seconds) (seconds)
#endif

static inline srv_pid start_counter(int64_t start)
{
    srv_pid pid;
    cr_assert_eq(counter_start(start, COUNTER_INIT_OK, &pid), SRV_OK);
    return pid;
}

static inline counter_get_reply counter_read(srv_pid pid)
{
    counter_get_reply r;
    cr_assert_eq(counter_get(pid, &r), SRV_OK);
    return r;
}

/* Waits up to 5 s (T(5) under the sanitizers), polling every millisecond, for cond to hold: for
 * effects that happen on another thread in their own time.  Asserts that
 * it held at the last look: cond is evaluated once a poll, so a state
 * that came and went is not reported as one that never came. */
#define ASSERT_EVENTUALLY(cond)                                               \
    do {                                                                      \
        bool held_;                                                           \
        int waited_ = 0;                                                      \
        while (!(held_ = (cond)) && waited_++ < T(5000))                      \
            srv_sleep(1);                                                     \
        cr_assert(held_, "never became true: %s", #cond);                     \
    } while (0)

/* A logger for the tests: how many reports came, and the last one. */
struct captured {
    int reports;
    char text[4096];
};

static inline void capture(srv_log_level level, const char *text, void *user)
{
    struct captured *c = user;
    (void)level;
    c->reports++;
    strncpy(c->text, text, sizeof c->text - 1);
}

/* The index of the message of module named name. */
static inline unsigned message_named(const srv_module *module, const char *name)
{
    for (unsigned i = 0; i < module->message_count; i++)
        if (strcmp(module->messages[i].name, name) == 0)
            return i;
    cr_assert(false, "no message %s", name);
    return 0;
}

#endif /* SRV_TEST_SUPPORT_H */
