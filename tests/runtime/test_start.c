/*
 * test_start.c: gen_server:start/start_link/start_monitor, and every init
 * result, as Erlang's starter sees them (gen.erl, proc_lib.erl).
 */
#include "support.h"

static srv_status start_mode(int mode, srv_start_result *result, const char *name,
                             long timeout_ms)
{
    srv_start_opts opts = {.name = name, .timeout_ms = timeout_ms};
    return counter_start_opts(0, mode, SRV_START_PLAIN, &opts, result);
}

Test(start, ok_gives_a_live_pid, .timeout = T(10))
{
    srv_pid pid = start_counter(7);
    cr_assert(srv_is_alive(pid));
    cr_assert_eq(counter_read(pid).total, 7);
    cr_assert_eq(counter_stop(pid), SRV_OK);
    cr_assert_not(srv_is_alive(pid));
}

Test(start, zero_timeout_from_init_runs_before_start_returns, .timeout = T(10))
{
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_TIMEOUT_ZERO, &r, NULL, 0), SRV_OK);
    /* {ok, State, 0}: the timeout comes before any message we send */
    cr_assert_eq(counter_read(r.pid).timeouts, 1);
    counter_stop(r.pid);
}

Test(start, ignore_returns_ignore_and_no_process, .timeout = T(10))
{
    (void)srv_self(); /* this thread's own identity counts too */
    size_t before = srv_process_count();
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_IGNORE, &r, "ignored", 0), SRV_IGNORE);
    cr_assert(srv_pid_is_none(r.pid));
    cr_assert_eq(srv_process_count(), before);
    srv_pid holder;
    cr_assert_eq(srv_whereis("ignored", &holder), SRV_ENOTREG);
}

Test(start, stop_in_init_gives_its_reason, .timeout = T(10))
{
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_STOP, &r, NULL, 0), SRV_EINIT);
    cr_assert_str_eq(r.reason, "init_failed");
}

Test(start, crash_in_init_gives_the_exit_reason, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_CRASH, &r, NULL, 0), SRV_EINIT);
    cr_assert_str_eq(r.reason, "init_crashed");
}

Test(start, bad_return_from_init_is_reported, .timeout = T(10))
{
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_BAD_RETURN, &r, NULL, 0), SRV_EBADRETURN);
    cr_assert_eq(r.reason, srv_atom_bad_return_value);
}

Test(start, negative_timeout_from_init_is_a_bad_return_value, .timeout = T(10))
{
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_NEGATIVE_TIMEOUT, &r, NULL, 0), SRV_EBADRETURN);
    cr_assert_eq(r.reason, srv_atom_bad_return_value);
}

Test(start, taken_name_gives_already_started_with_the_holder, .timeout = T(10))
{
    srv_start_result first, second;
    cr_assert_eq(start_mode(COUNTER_INIT_OK, &first, "only_one", 0), SRV_OK);
    cr_assert_eq(start_mode(COUNTER_INIT_OK, &second, "only_one", 0), SRV_EALREADY);
    cr_assert(srv_pid_equal(second.pid, first.pid));
    counter_stop(first.pid);
}

Test(start, name_is_free_again_right_after_a_failed_start, .timeout = T(10))
{
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_STOP, &r, "retry", 0), SRV_EINIT);
    cr_assert_eq(start_mode(COUNTER_INIT_OK, &r, "retry", 0), SRV_OK);
    srv_pid holder;
    cr_assert_eq(srv_whereis("retry", &holder), SRV_OK);
    cr_assert(srv_pid_equal(holder, r.pid));
    counter_stop(r.pid);
    cr_assert_eq(srv_whereis("retry", &holder), SRV_ENOTREG);
}

Test(start, init_slower_than_the_start_timeout_gives_timeout_and_no_child, .timeout = T(10))
{
    (void)srv_self(); /* this thread's own identity counts too */
    size_t before = srv_process_count();
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_SLOW, &r, "slow", 10), SRV_ETIMEOUT);
    cr_assert_eq(srv_process_count(), before);
    srv_pid holder;
    cr_assert_eq(srv_whereis("slow", &holder), SRV_ENOTREG);
}

Test(start, init_blocked_past_the_start_timeout_is_killed_at_the_deadline, .timeout = T(10))
{
    (void)srv_self();
    size_t before = srv_process_count();
    srv_start_result r;
    /* init sleeps 60 s: the start must give up at 50 ms, not then */
    cr_assert_eq(start_mode(COUNTER_INIT_BLOCKED, &r, "blocked", 50), SRV_ETIMEOUT);
    cr_assert_str_eq(r.reason, "timeout");
    cr_assert_eq(srv_process_count(), before);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
}

Test(start, start_link_tells_the_parent_thread_when_the_child_dies, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(counter_start_link(0, COUNTER_INIT_OK, &pid), SRV_OK);
    cr_assert_eq(counter_die(pid, "oops"), SRV_OK);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 5000), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(signal.pid, pid));
    cr_assert_str_eq(signal.reason, "oops");
}

Test(start, start_monitor_gives_a_ref_that_fires_on_exit, .timeout = T(10))
{
    srv_pid pid;
    srv_monitor_ref ref;
    cr_assert_eq(counter_start_monitor(0, COUNTER_INIT_OK, &pid, &ref), SRV_OK);
    cr_assert_neq(ref, 0);
    cr_assert_eq(counter_stop_timeout(pid, "bye", 5000), SRV_OK);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 5000), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(signal.ref, ref);
    cr_assert_str_eq(signal.reason, "bye");
}

Test(start, hundred_thousand_servers_start_and_stop, .timeout = T(60))
{
    enum { N = 100000 };
    static srv_pid pids[N];
    (void)srv_self(); /* this thread's own identity counts too */
    size_t before = srv_process_count();
    for (int i = 0; i < N; i++)
        cr_assert_eq(counter_start(i, COUNTER_INIT_OK, &pids[i]), SRV_OK);
    cr_assert_eq(srv_process_count(), before + N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(counter_stop(pids[i]), SRV_OK);
    cr_assert_eq(srv_process_count(), before);
}

/* A trapping counter started in mode, whose starter (this thread) then
 * sends it the exit signal shutdown. */
static srv_pid start_trapping_and_signal(srv_start_mode mode, srv_monitor_ref *ref)
{
    srv_start_opts opts = {.trap_exit = true};
    srv_start_result r;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, mode, &opts, &r), SRV_OK);
    *ref = r.monitor_ref;
    cr_assert_eq(srv_exit_signal(r.pid, SRV_SHUTDOWN), SRV_OK);
    return r.pid;
}

Test(start, plain_start_is_its_own_parent_so_its_starters_exit_signal_is_a_message,
     .timeout = T(10))
{
    /* gen.erl: start passes Parent = self, so the starter is nobody's
     * parent, and its EXIT is handle_info's like any other's. */
    srv_monitor_ref ref;
    srv_pid pid = start_trapping_and_signal(SRV_START_PLAIN, &ref);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.exits) == 1);
    cr_assert_str_eq(atomic_load(&counter_observed.exit_reason), "shutdown");
    cr_assert(srv_is_alive(pid));
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}

Test(start, start_link_makes_the_starter_the_parent_whose_exit_signal_terminates,
     .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = start_trapping_and_signal(SRV_START_LINK, &ref);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 5000), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(signal.pid, pid));
    cr_assert_str_eq(signal.reason, "shutdown");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 1);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "shutdown");
    cr_assert_eq(atomic_load(&counter_observed.exits), 0, "no handle_info for the parent's EXIT");
}

Test(start, start_monitor_makes_the_starter_the_parent_whose_exit_signal_terminates,
     .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = start_trapping_and_signal(SRV_START_MONITOR, &ref);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, 5000), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(signal.ref, ref);
    cr_assert(srv_pid_equal(signal.pid, pid));
    cr_assert_str_eq(signal.reason, "shutdown");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 1);
    cr_assert_str_eq(atomic_load(&counter_observed.terminate_reason), "shutdown");
    cr_assert_eq(atomic_load(&counter_observed.exits), 0, "no handle_info for the parent's EXIT");
}

Test(start, negative_start_timeout_other_than_infinity_is_einval, .timeout = T(10))
{
    (void)srv_self();
    size_t before = srv_process_count();
    srv_start_result r;
    cr_assert_eq(start_mode(COUNTER_INIT_OK, &r, "never", -7), SRV_EINVAL);
    cr_assert_eq(srv_process_count(), before, "no process was made");
    cr_assert_eq(start_mode(COUNTER_INIT_OK, &r, "infinite", SRV_INFINITY), SRV_OK);
    counter_stop(r.pid);
}
