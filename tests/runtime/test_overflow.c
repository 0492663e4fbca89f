/*
 * test_overflow.c: a handler that runs off the end of its stack is
 * reported with its server's name and pid, then the program aborts.
 * (Not in sanitizer builds: they report faults themselves.)
 */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#if !defined(SRV_SANITIZE_ADDRESS) && !defined(SRV_SANITIZE_THREAD)

/* Runs how(pid) in a child; returns what the child wrote to stderr and
 * asserts that it aborted. */
static void expect_overflow_report(void (*how)(srv_pid), char *text, size_t size)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        how(start_counter(0));
        _exit(0); /* not reached when the overflow is caught */
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fds[0], text + n, size - n - 1)) > 0)
        n += (size_t)r;
    text[n] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
              "the child should abort; it wrote: %s", text);
}

static void overflow_in_call(srv_pid pid)
{
    counter_recurse_reply r;
    counter_recurse(pid, INT_MAX, &r);
}

static void overflow_in_cast(srv_pid pid)
{
    counter_recurse_later(pid, INT_MAX);
    srv_sleep(10000);
}

Test(overflow, in_a_handler_run_by_its_caller_names_the_server, .timeout = T(30))
{
    char text[512];
    expect_overflow_report(overflow_in_call, text, sizeof text);
    cr_assert(strstr(text, "srv: stack overflow in counter <0.") != NULL, "%s", text);
}

Test(overflow, on_a_scheduler_thread_names_the_server, .timeout = T(30))
{
    char text[512];
    expect_overflow_report(overflow_in_cast, text, sizeof text);
    cr_assert(strstr(text, "srv: stack overflow in counter <0.") != NULL, "%s", text);
}

#endif
