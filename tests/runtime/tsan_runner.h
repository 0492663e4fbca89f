/*
 * tsan_runner.h: the runtime tests under ThreadSanitizer.
 *
 * Criterion cannot start in a ThreadSanitizer build (its inheritable
 * arena fails: Criterion issue #274), so the TSan build runs the same test
 * files with this small runner: the same Test() and cr_assert*() surface,
 * each test in a child process of its own with a time limit, and
 * Criterion's synthesis line at the end for tests/run.sh to count.  A
 * test's .init and .fini run around it, .fini after a failed assertion
 * too, as Criterion's; its .timeout is the runner's own limit.
 */
#ifndef SRV_TSAN_RUNNER_H
#define SRV_TSAN_RUNNER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct mini_test {
    const char *suite, *name;
    void (*fn)(void);
    struct mini_test *next;
    /* Test()'s options, by their names in Criterion */
    void (*init)(void), (*fini)(void);
    double timeout;
};

static struct mini_test *mini_tests;
static __attribute__((unused)) struct mini_test **mini_tail = &mini_tests;

#define Test(suite, name, ...)                                                \
    static void suite##_##name(void);                                         \
    __attribute__((constructor)) static void register_##suite##_##name(void)  \
    {                                                                         \
        static struct mini_test t = {#suite, #name, suite##_##name, NULL,     \
                                     __VA_ARGS__};                            \
        *mini_tail = &t;                                                      \
        mini_tail = &t.next;                                                  \
    }                                                                         \
    static void suite##_##name(void)

/* The running test's .fini, for a failure to run before it exits. */
static __attribute__((unused)) void (*mini_fini)(void);

static __attribute__((unused)) void mini_end(int status)
{
    void (*fini)(void) = mini_fini;
    mini_fini = NULL; /* once, even if it fails itself */
    if (fini != NULL)
        fini();
    _exit(status);
}

#define MINI_FAIL(text)                                                       \
    do {                                                                      \
        fprintf(stderr, "[----] %s:%d: assertion failed: %s\n", __FILE__,     \
                __LINE__, text);                                              \
        mini_end(1);                                                          \
    } while (0)

/* Each takes an optional message after its operands, as Criterion's do;
 * MINI_FIRST keeps the operands and drops the message. */
#define MINI_FIRST(a, ...) a
#define MINI_EQ(a, b, ...) ((a) == (b))
#define MINI_NEQ(a, b, ...) ((a) != (b))
#define MINI_LT(a, b, ...) ((a) < (b))
#define MINI_GT(a, b, ...) ((a) > (b))
#define MINI_STREQ(a, b, ...) (strcmp((a), (b)) == 0)
#define MINI_CHECK(ok, text) do { if (!(ok)) MINI_FAIL(text); } while (0)
#define cr_assert(...) MINI_CHECK(MINI_FIRST(__VA_ARGS__, 0), #__VA_ARGS__)
#define cr_assert_not(...) MINI_CHECK(!(MINI_FIRST(__VA_ARGS__, 0)), #__VA_ARGS__)
#define cr_assert_eq(...) MINI_CHECK(MINI_EQ(__VA_ARGS__, 0), #__VA_ARGS__)
#define cr_assert_neq(...) MINI_CHECK(MINI_NEQ(__VA_ARGS__, 0), #__VA_ARGS__)
#define cr_assert_lt(...) MINI_CHECK(MINI_LT(__VA_ARGS__, 0), #__VA_ARGS__)
#define cr_assert_gt(...) MINI_CHECK(MINI_GT(__VA_ARGS__, 0), #__VA_ARGS__)
#define cr_assert_null(...) MINI_CHECK(MINI_FIRST(__VA_ARGS__, 0) == NULL, #__VA_ARGS__)
#define cr_assert_not_null(...) MINI_CHECK(MINI_FIRST(__VA_ARGS__, 0) != NULL, #__VA_ARGS__)
#define cr_assert_str_eq(...) MINI_CHECK(MINI_STREQ(__VA_ARGS__, 0), #__VA_ARGS__)

int main(void)
{
    int tested = 0, passed = 0, failed = 0, crashed = 0;
    for (struct mini_test *t = mini_tests; t != NULL; t = t->next) {
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
            alarm(300);
            if (t->init != NULL)
                t->init();
            mini_fini = t->fini;
            t->fn();
            mini_end(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        tested++;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            passed++;
        } else if (WIFEXITED(status)) {
            failed++;
            printf("[FAIL] %s::%s\n", t->suite, t->name);
        } else {
            crashed++;
            printf("[FAIL] %s::%s: crashed (signal %d)\n", t->suite, t->name,
                   WTERMSIG(status));
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d \n",
           tested, passed, failed + crashed, crashed);
    return failed + crashed == 0 ? 0 : 1;
}

#endif /* SRV_TSAN_RUNNER_H */
