/*
 * test_inline.c: a handler its caller runs at once (the server was idle)
 * keeps every promise of a queued one: the caller's deadline holds when
 * the handler blocks, the server goes on after the caller has given up,
 * and nothing of the caller's is touched once it has left.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Kills pid and waits for its DOWN: the reason it gives. */
static srv_atom kill_and_wait(srv_pid pid)
{
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    srv_signal sig;
    cr_assert_eq(srv_receive_signal(&sig, T(10) * 1000L), SRV_OK);
    cr_assert_eq(sig.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(sig.ref, ref);
    return sig.reason;
}

/* The call from a plain thread to an idle server whose handler sleeps a
 * minute: the caller hears timeout at 100 ms; the handler sleeps on. */
static void call_a_sleeper_with_a_deadline(srv_pid pid)
{
    long start = now_ms();
    counter_sleep_reply r;
    cr_assert_eq(counter_sleep_timeout(pid, 60000, &r, 100), SRV_ETIMEOUT);
    cr_assert_lt(now_ms() - start, T(5) * 1000L, "the deadline was not kept");
    cr_assert(srv_is_alive(pid));
    cr_assert_eq(atomic_load(&counter_observed.sleeping), 1, "the handler sleeps on");
}

Test(inline, a_plain_threads_deadline_holds_when_the_handler_it_runs_blocks,
     .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    call_a_sleeper_with_a_deadline(pid);
    /* The handler, parked on a scheduler thread now, still hears a kill. */
    cr_assert_eq(kill_and_wait(pid), SRV_KILLED);
}

static void *call_from_a_thread(void *arg)
{
    call_a_sleeper_with_a_deadline(*(srv_pid *)arg);
    return NULL;
}

Test(inline, a_thread_that_gave_up_on_a_blocked_handler_can_end, .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, call_from_a_thread, &pid), 0);
    cr_assert_eq(pthread_join(thread, NULL), 0);
    cr_assert_eq(kill_and_wait(pid), SRV_KILLED);
}

Test(inline, the_server_goes_on_after_its_caller_gave_up, .timeout = T(20))
{
    srv_pid pid = start_counter(5);
    /* Arguments the caller frees as soon as it is back: the handler that
     * goes on must not be reading them. */
    char *text = strdup("still mine");
    counter_sleep_echo_reply late;
    cr_assert_eq(counter_sleep_echo_timeout(pid, text, 300, &late, 50), SRV_ETIMEOUT);
    memset(text, 'x', strlen(text));
    free(text);
    /* Queued behind the sleeper: answered once it has finished. */
    cr_assert_eq(counter_read(pid).total, 5);
    cr_assert_eq(atomic_load(&counter_observed.sleep_echoes), 1);
    counter_stop(pid);
}

Test(inline, a_servers_deadline_holds_when_the_handler_it_runs_blocks, .timeout = T(20))
{
    srv_pid caller = start_counter(0);
    srv_pid sleeper = start_counter(0);
    cr_assert_eq(counter_call_sleep(caller, sleeper, 60000, 100), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_ETIMEOUT);
    cr_assert_eq(atomic_load(&counter_observed.sleeping), 1);
    /* The caller carries on with its own mail meanwhile. */
    counter_add_reply r;
    cr_assert_eq(counter_add(caller, 2, &r), SRV_OK);
    cr_assert_eq(r.total, 2);
    cr_assert_eq(kill_and_wait(sleeper), SRV_KILLED);
    counter_stop(caller);
}

Test(inline, a_stops_deadline_holds_when_the_terminate_it_runs_blocks, .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    counter_slow_terminate_reply r;
    cr_assert_eq(counter_slow_terminate(pid, 300, &r), SRV_OK);
    long start = now_ms();
    cr_assert_eq(counter_stop_timeout(pid, SRV_NORMAL, 50), SRV_ETIMEOUT);
    cr_assert_lt(now_ms() - start, T(5) * 1000L, "the deadline was not kept");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0, "terminate goes on");
    /* terminate finishes in its own time, with the stop's reason. */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.terminates) == 1);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "normal");
    ASSERT_EVENTUALLY(!srv_is_alive(pid));
}

Test(inline, a_stop_whose_terminate_blocks_briefly_still_returns_ok, .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    counter_slow_terminate_reply r;
    cr_assert_eq(counter_slow_terminate(pid, 20, &r), SRV_OK);
    cr_assert_eq(counter_stop_timeout(pid, SRV_NORMAL, T(10) * 1000L), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 1);
    cr_assert_not(srv_is_alive(pid));
}

Test(inline, a_handler_that_blocks_briefly_still_answers_its_caller, .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    counter_sleep_echo_reply r;
    cr_assert_eq(counter_sleep_echo_timeout(pid, "hello", 10, &r, T(10) * 1000L), SRV_OK);
    cr_assert_str_eq(r.text, "hello");
    counter_sleep_echo_reply_free(&r);
    counter_stop(pid);
}

/* The crash report of a handler its caller left names the arguments it
 * was called with, though the caller's frame that held them is gone. */
static char report[4096];
static _Atomic int reports;

static void keep_report(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    if (atomic_load(&reports) == 0)
        snprintf(report, sizeof report, "%s", text);
    atomic_fetch_add(&reports, 1);
}

static __attribute__((noinline)) srv_status call_and_leave(srv_pid pid)
{
    counter_sleep_and_crash_reply r;
    return counter_sleep_and_crash_timeout(pid, 300, &r, 50);
}

static __attribute__((noinline)) void scribble_on_the_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)0x5a;
}

Test(inline, a_handler_its_caller_left_still_reports_its_arguments, .timeout = T(20))
{
    srv_set_logger(keep_report, NULL);
    srv_pid pid = start_counter(0);
    cr_assert_eq(call_and_leave(pid), SRV_ETIMEOUT);
    scribble_on_the_stack(); /* where the caller's arguments were */
    ASSERT_EVENTUALLY(atomic_load(&reports) > 0);
    cr_assert(strstr(report, "{sleep_and_crash,300}") != NULL, "the report: %s", report);
}
