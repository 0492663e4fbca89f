/*
 * test_stop.c: gen_server:stop/1,3 (sys:terminate): terminate runs with
 * the reason; queued callers hear the exit; dead pids answer noproc.  And
 * srv_runtime_shutdown, which stops every server as a supervisor would.
 */
#include <pthread.h>
#include <string.h>

#include "support.h"

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
    srv_sleep(100);
    cr_assert_eq(counter_stop_timeout(pid, "normal", 5000), SRV_OK);
    pthread_join(t, NULL);
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(waiting.status, SRV_EEXIT);
    cr_assert_str_eq(waiting.reason, "normal");
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

Test(shutdown, stops_every_server_with_shutdown_and_the_schedulers, .timeout = T(10))
{
    srv_pid pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = start_counter(0);
        counter_bump(pids[i], 1); /* so that a scheduler has run each */
    }
    cr_assert_eq(srv_runtime_shutdown(5000), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 3);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "shutdown");
    for (int i = 0; i < 3; i++)
        cr_assert_not(srv_is_alive(pids[i]));
}

Test(shutdown, kills_a_server_whose_handler_blocks_past_the_timeout, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
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
    uint64_t ref;
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
