/*
 * test_fork.c: fork() after the runtime started.
 *
 * The rule (srv.h): the child of a fork from a plain thread gets a fresh
 * runtime, with none of the parent's processes, names or timers; its
 * first use starts new scheduler threads.  The parent goes on unaffected.
 * The child reports through its exit code (a Criterion assertion in it
 * would speak for the parent's test); 0 is all well, another code says
 * which check failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

#if defined(SRV_SANITIZE_THREAD)
/* ThreadSanitizer refuses new threads after a multithreaded fork unless
 * told otherwise; the child here starts its own schedulers. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}
#endif

#define CHILD_CHECK(cond, code)                                               \
    do {                                                                      \
        if (!(cond))                                                          \
            _exit(code);                                                      \
    } while (0)

/* What a child does with its fresh runtime; never returns. */
static void child_uses_a_fresh_runtime(srv_pid parents)
{
    /* Nothing of the parent's: its server, its name, its processes. */
    CHILD_CHECK(!srv_is_alive(parents), 10);
    CHILD_CHECK(srv_process_count() == 0, 11);
    srv_pid pid;
    CHILD_CHECK(srv_whereis("fork_parent", &pid) == SRV_ENOTREG, 12);
    /* A runtime of its own: start, call, cast, send_after, monitor, stop. */
    CHILD_CHECK(counter_start(5, COUNTER_INIT_OK, &pid) == SRV_OK, 20);
    CHILD_CHECK(!srv_pid_equal(pid, parents), 21);
    counter_add_reply add;
    CHILD_CHECK(counter_add(pid, 1, &add) == SRV_OK && add.total == 6, 22);
    for (int i = 0; i < 100; i++)
        CHILD_CHECK(counter_bump(pid, 1) == SRV_OK, 23);
    struct { int64_t n; } one = {1}; /* tick's arguments */
    CHILD_CHECK(srv_send_after(1, pid, &counter_module, counter_module.message_count - 1,
                               &one, NULL) == SRV_OK, 24);
    counter_get_reply r;
    int waited = 0;
    do {
        CHILD_CHECK(counter_get(pid, &r) == SRV_OK, 25);
        if (r.ticks == 1)
            break;
        srv_sleep(1);
    } while (waited++ < 5000);
    CHILD_CHECK(r.total == 106 && r.casts == 100 && r.ticks == 1, 26);
    srv_monitor_ref ref;
    CHILD_CHECK(srv_monitor(pid, &ref) == SRV_OK, 27);
    CHILD_CHECK(counter_stop(pid) == SRV_OK, 28);
    srv_signal signal;
    CHILD_CHECK(srv_receive_signal(&signal, T(5000)) == SRV_OK && signal.ref == ref, 29);
    CHILD_CHECK(srv_runtime_shutdown(T(5000)) == SRV_OK, 30);
    _exit(0);
}

/* Waits for the child and returns its exit code (-signal if killed). */
static int child_status(pid_t child)
{
    int status;
    pid_t got;
    do
        got = waitpid(child, &status, 0);
    while (got < 0 && errno == EINTR);
    cr_assert_eq(got, child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* Not under ASan: its allocator (GCC 12's libasan) is not fork-safe.  A
 * lock one of the parent's threads held in it at the fork stays held in
 * the child, whose next malloc of that size waits for ever (glibc's malloc
 * takes care of this itself).  A fork with no other thread is safe. */
#if !defined(SRV_SANITIZE_ADDRESS)
Test(fork, child_gets_a_fresh_runtime_and_the_parent_goes_on, .timeout = T(30))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_register("fork_parent", pid), SRV_OK);
    counter_add_reply add;
    cr_assert_eq(counter_add(pid, 1, &add), SRV_OK);
    cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0)
        child_uses_a_fresh_runtime(pid);
    int code = child_status(child);
    cr_assert_eq(code, 0, "the child failed its check %d", code);
    /* The parent's runtime is as it was. */
    cr_assert_eq(counter_add(pid, 1, &add), SRV_OK);
    cr_assert_eq(add.total, 3);
    srv_pid named;
    cr_assert_eq(srv_whereis("fork_parent", &named), SRV_OK);
    cr_assert(srv_pid_equal(named, pid));
    cr_assert_eq(counter_stop(pid), SRV_OK);
    cr_assert_eq(srv_runtime_shutdown(T(5000)), SRV_OK);
}

/* Forks while scheduler threads are busy with a stream of casts: every
 * child finds whole tables, and its shutdown returns. */
Test(fork, forks_while_servers_run_give_working_children, .timeout = T(120))
{
    srv_pid busy = start_counter(0), flooder = start_counter(0);
    for (int round = 0; round < 20; round++) {
        cr_assert_eq(counter_flood(flooder, busy, 2000), SRV_OK);
        pid_t child = fork();
        cr_assert_neq(child, -1);
        if (child == 0)
            child_uses_a_fresh_runtime(busy);
        int code = child_status(child);
        cr_assert_eq(code, 0, "round %d: the child failed its check %d", round, code);
    }
    ASSERT_EVENTUALLY(counter_read(busy).casts == 20 * 2000);
    counter_stop(busy);
    counter_stop(flooder);
}
#endif

/* A fork before the runtime was ever used: both sides use it. */
Test(fork, fork_before_first_use_gives_two_runtimes, .timeout = T(30))
{
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0)
        child_uses_a_fresh_runtime(SRV_PID_NONE);
    srv_pid pid = start_counter(1);
    cr_assert_eq(counter_read(pid).total, 1);
    int code = child_status(child);
    cr_assert_eq(code, 0, "the child failed its check %d", code);
    counter_stop(pid);
}
