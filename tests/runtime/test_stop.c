/*
 * test_stop.c: gen_server:stop/1,3 (sys:terminate): terminate runs with
 * the reason; queued callers hear the exit; dead pids answer noproc.  And
 * srv_runtime_shutdown, which ends every server as a supervisor would, in
 * one timeout, and refuses starts from then on.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

Test(stop, runs_terminate_with_the_reason, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    long before = atomic_load(&counter_observed.terminates);
    cr_assert_eq(counter_stop_timeout(pid, "shutdown", 5000), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.terminates), before + 1);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "shutdown");
    cr_assert_not(srv_is_alive(pid));
}

Test(stop, of_a_dead_pid_returns_noproc, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_stop(pid), SRV_OK);
    cr_assert_eq(counter_stop(pid), SRV_ENOPROC);
}

struct queued {
    srv_pid pid;
    srv_status status;
    srv_atom reason;
};

static void *sleep_call(void *arg)
{
    struct queued *q = arg;
    counter_sleep_reply r;
    counter_sleep_timeout(q->pid, 200, &r, SRV_INFINITY);
    return NULL;
}

static void *queued_call(void *arg)
{
    struct queued *q = arg;
    counter_add_reply r;
    srv_call_result why = {0};
    q->status = counter_add_full(q->pid, 1, &r, 5000, &why);
    q->reason = why.reason;
    return NULL;
}

Test(stop, while_calls_are_queued_tells_the_callers_the_reason, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    /* Suspended, the server holds the call; the stop, a system message,
     * still gets through, and the held caller must hear why it ended. */
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    struct queued waiting = {pid, SRV_OK, NULL};
    pthread_t t;
    pthread_create(&t, NULL, queued_call, &waiting);
    size_t queued = 0;
    ASSERT_EVENTUALLY(srv_message_queue_len(pid, &queued) == SRV_OK && queued == 1);
    cr_assert_eq(counter_stop_timeout(pid, "normal", 5000), SRV_OK);
    pthread_join(t, NULL);
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(waiting.status, SRV_EEXIT);
    cr_assert_str_eq(waiting.reason, "normal");
}

static void *stop_normal(void *arg)
{
    struct queued *s = arg;
    srv_call_result why = {0};
    s->status = srv_stop(s->pid, SRV_NORMAL, T(5000), &why);
    s->reason = why.reason;
    return NULL;
}

/* A server is alive through its terminate, as an Erlang process is
 * (tests/otp/terminating.erl): it is alive and keeps its name; a monitor
 * or a link taken then hears the reason once terminate is done, not
 * noproc; a caller and a second stopper wait in its mailbox and hear the
 * reason too; the first stopper's stop succeeds. */
Test(stop, a_server_in_terminate_is_alive_and_its_end_is_heard_as_a_live_ones,
     .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_register("terminating", pid), SRV_OK);
    counter_hold_terminate_reply held;
    cr_assert_eq(counter_hold_terminate(pid, &held), SRV_OK);
    atomic_store(&counter_observed.released, false);
    long terminating = atomic_load(&counter_observed.terminating);
    struct queued first = {pid, -1, NULL}, second = {pid, -1, NULL};
    pthread_t stopping, stopping_again, calling;
    pthread_create(&stopping, NULL, stop_normal, &first);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.terminating) == terminating + 1);

    cr_assert(srv_is_alive(pid), "alive in terminate");
    srv_pid named;
    cr_assert_eq(srv_whereis("terminating", &named), SRV_OK);
    cr_assert(srv_pid_equal(named, pid), "its name still its own");
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(srv_link(pid), SRV_OK);
    struct queued caller = {pid, SRV_OK, NULL};
    pthread_create(&calling, NULL, queued_call, &caller);
    pthread_create(&stopping_again, NULL, stop_normal, &second);
    cr_assert_eq(counter_bump(pid, 1), SRV_OK, "a cast is taken");
    size_t queued = 0;
    ASSERT_EVENTUALLY(srv_message_queue_len(pid, &queued) == SRV_OK && queued == 3);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 0), SRV_ETIMEOUT, "nothing heard yet");

    atomic_store(&counter_observed.released, true);
    pthread_join(stopping, NULL);
    pthread_join(stopping_again, NULL);
    pthread_join(calling, NULL);
    cr_assert_eq(first.status, SRV_OK);
    cr_assert_eq(second.status, SRV_EEXIT, "%s", srv_status_name(second.status));
    cr_assert_str_eq(second.reason, "normal");
    cr_assert_eq(caller.status, SRV_EEXIT, "%s", srv_status_name(caller.status));
    cr_assert_str_eq(caller.reason, "normal");
    bool down = false, exit = false;
    while (!down || !exit) {
        cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
        cr_assert(srv_pid_equal(signal.pid, pid));
        cr_assert_str_eq(signal.reason, "normal");
        if (signal.kind == SRV_SIGNAL_DOWN) {
            cr_assert_eq(signal.ref, ref);
            down = true;
        } else {
            exit = true;
        }
    }
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(srv_whereis("terminating", &named), SRV_ENOTREG);
}

Test(stop, timeout_when_terminate_cannot_run_in_time, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    struct queued busy = {pid, SRV_OK, NULL};
    pthread_t t;
    pthread_create(&t, NULL, sleep_call, &busy);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.sleeping) == 1);
    cr_assert_eq(counter_stop_timeout(pid, "normal", 10), SRV_ETIMEOUT);
    pthread_join(t, NULL);
    ASSERT_EVENTUALLY(!srv_is_alive(pid));
}

static srv_pid start_trapping(const char *name)
{
    srv_start_opts opts = {.name = name, .trap_exit = true};
    srv_start_result started;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &started),
                 SRV_OK);
    return started.pid;
}

Test(shutdown, ends_every_server_as_a_supervisor_would_and_the_schedulers, .timeout = T(10))
{
    /* exit(Child, shutdown): a server that traps exits runs terminate
     * with shutdown; one that does not exits at once, without it. */
    srv_pid plain[3], trapping[2];
    for (int i = 0; i < 3; i++) {
        plain[i] = start_counter(0);
        counter_bump(plain[i], 1); /* so that a scheduler has run each */
    }
    for (int i = 0; i < 2; i++)
        trapping[i] = start_trapping(NULL);
    cr_assert_eq(srv_runtime_shutdown(5000), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 2);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "shutdown");
    for (int i = 0; i < 3; i++)
        cr_assert_not(srv_is_alive(plain[i]));
    for (int i = 0; i < 2; i++)
        cr_assert_not(srv_is_alive(trapping[i]));
    cr_assert_eq(srv_process_count(), 1, "only main's identity is left");
}

Test(shutdown, kills_a_server_whose_handler_blocks_past_the_timeout, .timeout = T(10))
{
    srv_pid pid = start_trapping(NULL); /* the shutdown waits behind the sleep */
    counter_sleep_later(pid, 60000); /* far past the test's own timeout */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.parked) == 1);
    cr_assert_eq(srv_runtime_shutdown(100), SRV_ETIMEOUT);
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0, "kill runs no terminate");
}

/* Ownership of string state fields (counter's label): the generated
 * code frees them after terminate; under ASan a leak or a double free
 * fails the test. */

Test(stop, state_strings_are_freed_after_terminate_by_the_generated_code, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_set_label(pid, "kept until the end", false, NULL), SRV_OK);
    cr_assert_eq(counter_stop(pid), SRV_OK);
    /* without terminate (kill), the same release runs */
    pid = start_counter(0);
    cr_assert_eq(counter_set_label(pid, "killed", false, NULL), SRV_OK);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 5000), SRV_OK);
    cr_assert_str_eq(signal.reason, "killed");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 1, "kill ran no terminate");
}

Test(stop, release_of_the_state_frees_and_clears_its_strings, .timeout = T(10))
{
    counter_state state;
    memset(&state, 0, sizeof state);
    state.label = srv_strdup("owned");
    counter_module.free_state(&state);
    cr_assert_null(state.label, "cleared: a second release frees nothing");
    counter_module.free_state(&state);
}

Test(stop, a_state_string_that_terminate_frees_is_not_freed_again, .timeout = T(10))
{
    /* counter's terminate frees its label when asked, as C habit has it:
     * its free() clears the field, and the release after frees nothing */
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_set_label(pid, "freed in terminate", true, NULL), SRV_OK);
    cr_assert_eq(counter_stop(pid), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 1);
    cr_assert_not(srv_is_alive(pid));
}

Test(shutdown, of_twenty_busy_servers_takes_one_timeout_not_twenty, .timeout = T(30))
{
    enum { N = 20 };
    srv_pid pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = start_trapping(NULL);
        counter_sleep_later(pids[i], 60000);
    }
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.parked) == N);
    uint64_t start = now_ms();
    cr_assert_eq(srv_runtime_shutdown(100), SRV_ETIMEOUT);
    uint64_t took = now_ms() - start;
    /* 100 ms, the kill's margin and the schedulers': far below 20 x 100. */
    cr_assert_lt(took, (uint64_t)T(1) * 1000, "shutdown took %llu ms", (unsigned long long)took);
    for (int i = 0; i < N; i++)
        cr_assert_not(srv_is_alive(pids[i]));
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
}

static char reported[4096];

static void keep_report(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    size_t used = strlen(reported);
    snprintf(reported + used, sizeof reported - used, "%s", text);
}

Test(shutdown, reports_a_handler_that_never_returns_by_name_and_pid_and_returns, .timeout = T(30))
{
    srv_pid pid = start_trapping("stuck");
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    counter_spin_until_released(pid);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    srv_set_logger(keep_report, NULL);
    cr_assert_eq(srv_runtime_shutdown(100), SRV_ETIMEOUT);
    srv_set_logger(NULL, NULL);
    cr_assert(strstr(reported, "counter") != NULL && strstr(reported, "stuck") != NULL &&
                  strstr(reported, srv_pid_format(pid).s) != NULL,
              "reported: %s", reported);
    cr_assert(srv_is_alive(pid), "C cannot stop it before its handler returns");
    /* Once the handler returns, the kill takes it. */
    atomic_store(&counter_observed.released, true);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.ref, ref);
    cr_assert_str_eq(down.reason, "killed");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
}

Test(shutdown, the_runtime_starts_again_while_a_stuck_handler_still_runs, .timeout = T(30))
{
    srv_pid stuck = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(stuck, &ref), SRV_OK);
    counter_spin_until_released(stuck);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    srv_set_logger(keep_report, NULL);
    cr_assert_eq(srv_runtime_shutdown(10), SRV_ETIMEOUT);
    srv_set_logger(NULL, NULL);
    /* The stuck thread is still one of the schedulers counted. */
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    srv_pid pid = start_counter(7);
    counter_bump(pid, 1); /* through a scheduler */
    ASSERT_EVENTUALLY(counter_read(pid).casts == 1);
    atomic_store(&counter_observed.released, true);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.ref, ref);
    cr_assert_str_eq(down.reason, "killed");
    cr_assert_eq(counter_read(pid).total, 8);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}

Test(shutdown, refuses_starts_after_it_until_the_runtime_is_started_again, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_runtime_shutdown(5000), SRV_OK);
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(counter_start(0, COUNTER_INIT_OK, &pid), SRV_ESHUTDOWN);
    cr_assert_eq(srv_process_count(), 1);
    cr_assert_eq(srv_runtime_start(0), SRV_OK);
    pid = start_counter(5);
    cr_assert_eq(counter_read(pid).total, 5);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}

struct starter {
    _Atomic long started;
    srv_status last;
};

/* Starts servers until told no. */
static void *keep_starting(void *arg)
{
    struct starter *s = arg;
    for (;;) {
        srv_pid pid;
        s->last = counter_start(0, COUNTER_INIT_OK, &pid);
        if (s->last != SRV_OK)
            return NULL;
        atomic_fetch_add(&s->started, 1);
    }
}

Test(shutdown, leaves_no_server_alive_while_a_thread_keeps_starting_them, .timeout = T(30))
{
    struct starter s = {0, SRV_OK};
    (void)srv_self();
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, keep_starting, &s), 0);
    ASSERT_EVENTUALLY(atomic_load(&s.started) >= 1000);
    cr_assert_eq(srv_runtime_shutdown(T(5) * 1000), SRV_OK);
    pthread_join(t, NULL);
    cr_assert_eq(s.last, SRV_ESHUTDOWN);
    /* Only main's identity (the starter's ended with its thread). */
    cr_assert_eq(srv_process_count(), 1, "left: %zu after %ld started",
                 srv_process_count(), atomic_load(&s.started));
}
