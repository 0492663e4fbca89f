/*
 * test_link.c: links and exit signals with Erlang's rules, and monitors.
 */
#include <pthread.h>

#include "support.h"

static void trap(srv_pid pid, bool on)
{
    counter_trap_reply r;
    cr_assert_eq(counter_trap(pid, on, &r), SRV_OK);
}

static void link_both(srv_pid a, srv_pid b)
{
    counter_link_to_reply r;
    cr_assert_eq(counter_link_to(a, b, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_OK);
}

Test(link, normal_exit_does_not_kill_a_linked_process, .timeout = T(10))
{
    srv_pid a = start_counter(0), b = start_counter(0);
    link_both(a, b);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(a, &ref), SRV_OK);
    cr_assert_eq(counter_stop(a), SRV_OK);
    /* a's links hear of its exit before its monitors do */
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(counter_read(b).total, 0, "b still answers");
    cr_assert(srv_is_alive(b));
    counter_stop(b);
}

Test(link, abnormal_exit_kills_a_linked_process_that_does_not_trap, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid a = start_counter(0), b = start_counter(0);
    link_both(a, b);
    counter_die(a, "crashed");
    ASSERT_EVENTUALLY(!srv_is_alive(b));
}

Test(link, trapping_process_gets_the_exit_as_info, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid a = start_counter(0), b = start_counter(0);
    trap(b, true);
    link_both(a, b);
    long before = atomic_load(&counter_observed.exits);
    counter_die(a, "crashed");
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.exits) == before + 1);
    cr_assert_str_eq(atomic_load(&counter_observed.exit_reason), "crashed");
    cr_assert(srv_is_alive(b));
    counter_stop(b);
}

Test(link, kill_cannot_be_trapped_and_links_see_killed, .timeout = T(10))
{
    srv_pid a = start_counter(0), b = start_counter(0);
    trap(a, true);
    trap(b, true);
    link_both(a, b);
    long before = atomic_load(&counter_observed.exits);
    cr_assert_eq(srv_exit_signal(a, SRV_KILL), SRV_OK);
    ASSERT_EVENTUALLY(!srv_is_alive(a));
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.exits) == before + 1);
    cr_assert_str_eq(atomic_load(&counter_observed.exit_reason), "killed");
    counter_stop(b);
}

Test(link, to_a_dead_process_returns_noproc, .timeout = T(10))
{
    srv_pid a = start_counter(0), dead = start_counter(0);
    counter_stop(dead);
    trap(a, true);
    counter_link_to_reply r;
    cr_assert_eq(counter_link_to(a, dead, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_ENOPROC);
    counter_stop(a);
}

Test(link, chain_of_ten_thousand_dies_from_one_end, .timeout = T(60))
{
    enum { N = 10000 };
    static srv_pid chain[N];
    srv_set_logger(NULL, NULL);
    (void)srv_self();
    size_t before = srv_process_count();
    for (int i = 0; i < N; i++) {
        chain[i] = start_counter(i);
        if (i > 0)
            link_both(chain[i - 1], chain[i]);
    }
    counter_die(chain[0], "domino");
    ASSERT_EVENTUALLY(srv_process_count() == before);
    for (int i = 0; i < N; i += 997)
        cr_assert_not(srv_is_alive(chain[i]));
}

/* A server on a scheduler blocked in a call that nobody answers. */
static srv_pid blocked_in_a_call(srv_pid *deferring)
{
    *deferring = start_counter(0);
    srv_pid caller = start_counter(0);
    counter_wait_for(caller, *deferring, 0, true, SRV_INFINITY);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    return caller;
}

Test(link, kill_ends_a_server_blocked_in_a_call, .timeout = T(10))
{
    srv_pid deferring, caller = blocked_in_a_call(&deferring);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(caller, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(caller, SRV_KILL), SRV_OK);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, 5000), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_str_eq(down.reason, "killed");
    cr_assert_eq(atomic_load(&counter_observed.waits), 0, "the call returned");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
    /* The late answer finds nobody waiting. */
    counter_answer_reply answered;
    cr_assert_eq(counter_answer(deferring, 1, &answered), SRV_OK);
    cr_assert(srv_is_alive(deferring));
}

Test(link, abnormal_signal_ends_a_blocked_server_that_does_not_trap, .timeout = T(10))
{
    srv_pid deferring, caller = blocked_in_a_call(&deferring);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(caller, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(caller, "boom"), SRV_OK);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, 5000), SRV_OK);
    cr_assert_str_eq(down.reason, "boom");
    cr_assert_eq(atomic_load(&counter_observed.waits), 0);
}

struct exit_signal {
    srv_pid to;
    const char *reason;
};

static void *send_exit_signal(void *arg)
{
    struct exit_signal *x = arg;
    srv_exit_signal(x->to, x->reason);
    return NULL;
}

Test(link, trapping_server_blocked_in_a_call_gets_the_exit_after_it, .timeout = T(10))
{
    srv_pid deferring = start_counter(0);
    srv_pid caller = start_counter(0);
    trap(caller, true);
    counter_wait_for(caller, deferring, 0, true, SRV_INFINITY);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    /* From a thread other than the parent: the parent's EXIT would end a
     * trapping gen_server anyway. */
    struct exit_signal x = {caller, "boom"};
    pthread_t sender;
    cr_assert_eq(pthread_create(&sender, NULL, send_exit_signal, &x), 0);
    pthread_join(sender, NULL);
    size_t queued = 0;
    cr_assert_eq(srv_message_queue_len(caller, &queued), SRV_OK);
    cr_assert_eq(queued, 1, "the EXIT waits in the mailbox");
    cr_assert_eq(atomic_load(&counter_observed.waits), 0, "the wait goes on");
    /* had it cut the wait short, the wait would end with another status */
    counter_answer_reply answered;
    cr_assert_eq(counter_answer(deferring, 1, &answered), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.exits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.waits), 1);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_OK);
    cr_assert_str_eq(atomic_load(&counter_observed.exit_reason), "boom");
    cr_assert(srv_is_alive(caller));
}

/* Kills pid once its sleep handler runs, from another thread. */
static void *kill_when_sleeping(void *arg)
{
    srv_pid *pid = arg;
    while (atomic_load(&counter_observed.sleeping) == 0)
        srv_sleep(1);
    srv_exit_signal(*pid, SRV_KILL);
    return NULL;
}

Test(link, kill_ends_a_handler_its_caller_runs_and_the_caller_hears_it, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    pthread_t killer;
    cr_assert_eq(pthread_create(&killer, NULL, kill_when_sleeping, &pid), 0);
    /* pid is idle: this thread runs the handler, blocked in a 60 s sleep */
    counter_sleep_reply r;
    srv_call_result result;
    cr_assert_eq(counter_sleep_full(pid, 60000, &r, SRV_INFINITY, &result), SRV_EEXIT);
    cr_assert_str_eq(result.reason, "killed");
    cr_assert_not(srv_is_alive(pid));
    pthread_join(killer, NULL);
}

/* A monitored server busy in a handler that computes until released, so
 * that what the test sends next waits in its mailbox. */
static srv_pid busy_server(srv_monitor_ref *ref)
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_monitor(pid, ref), SRV_OK);
    counter_spin_until_released(pid);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    return pid;
}

static srv_atom down_reason(srv_monitor_ref ref)
{
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, ref);
    return down.reason;
}

Test(signal, kill_goes_ahead_of_a_hundred_thousand_queued_casts, .timeout = T(30))
{
    srv_monitor_ref ref;
    srv_pid pid = busy_server(&ref);
    long before = atomic_load(&counter_observed.bumps);
    for (int i = 0; i < 100000; i++)
        counter_bump(pid, 1);
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    atomic_store(&counter_observed.released, true);
    cr_assert_str_eq(down_reason(ref), "killed");
    cr_assert_eq(atomic_load(&counter_observed.bumps), before,
                 "%ld queued casts were handled before the kill",
                 atomic_load(&counter_observed.bumps) - before);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
}

Test(signal, untrapped_abnormal_exit_goes_ahead_of_queued_casts, .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = busy_server(&ref);
    long before = atomic_load(&counter_observed.bumps);
    /* As in the BEAM: our cast, then our exit signal; the receiver dies at
     * the signal and never handles the cast. */
    for (int i = 0; i < 1000; i++)
        counter_bump(pid, 1);
    cr_assert_eq(srv_exit_signal(pid, "boom"), SRV_OK);
    atomic_store(&counter_observed.released, true);
    cr_assert_str_eq(down_reason(ref), "boom");
    cr_assert_eq(atomic_load(&counter_observed.bumps), before);
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0);
}

Test(signal, kill_ends_a_suspended_server, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    long before = atomic_load(&counter_observed.bumps);
    for (int i = 0; i < 100; i++)
        counter_bump(pid, 1); /* held while suspended */
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    cr_assert_str_eq(down_reason(ref), "killed");
    cr_assert_not(srv_is_alive(pid));
    cr_assert_eq(atomic_load(&counter_observed.bumps), before);
}

Test(signal, kill_after_a_queued_stop_wins_and_down_says_killed, .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = busy_server(&ref);
    /* A stop that gives up at once stays queued; then, from the same
     * thread (so in this order), the kill. */
    cr_assert_eq(counter_stop_timeout(pid, "normal", 0), SRV_ETIMEOUT);
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    atomic_store(&counter_observed.released, true);
    cr_assert_str_eq(down_reason(ref), "killed");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0, "terminate ran");
}

/* A kill is pending without the lock that pairs a reason with its
 * detail: the detail of the signal it replaced must not come with it. */
Test(signal, kill_after_a_pending_signal_with_detail_says_killed_without_it,
     .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = busy_server(&ref);
    const srv_detail *detail = srv_detail_new("going_home");
    cr_assert_eq(srv_exit_signal_detail(pid, "boom", detail), SRV_OK);
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    atomic_store(&counter_observed.released, true);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, ref);
    cr_assert_str_eq(down.reason, "killed");
    cr_assert_null(down.detail, "the kill came with %s", srv_detail_text(down.detail));
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0, "terminate ran");
}

Test(signal, kill_ends_an_idle_server_before_it_returns, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    /* Idle: the signaller takes it, as a caller would, and ends it. */
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    cr_assert_not(srv_is_alive(pid));
    cr_assert_str_eq(down_reason(ref), "killed");
}

Test(signal, trapping_server_gets_the_exit_in_order_with_its_mail, .timeout = T(10))
{
    srv_monitor_ref ref;
    srv_pid pid = start_counter(0);
    trap(pid, true);
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    counter_spin_until_released(pid);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    for (int i = 0; i < 100; i++)
        counter_bump(pid, 1);
    /* From a thread other than the parent, whose EXIT would stop it. */
    struct exit_signal x = {pid, "boom"};
    pthread_t sender;
    cr_assert_eq(pthread_create(&sender, NULL, send_exit_signal, &x), 0);
    pthread_join(sender, NULL);
    for (int i = 0; i < 100; i++)
        counter_bump(pid, 1);
    atomic_store(&counter_observed.released, true);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.exits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.exit_casts), 100,
                 "the EXIT came after %ld casts", atomic_load(&counter_observed.exit_casts));
    cr_assert_str_eq(atomic_load(&counter_observed.exit_reason), "boom");
    cr_assert_eq(counter_read(pid).casts, 200);
    cr_assert(srv_is_alive(pid));
}

Test(monitor, down_arrives_once_with_the_reason, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    counter_stop_timeout(pid, "done", 5000);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, 5000), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(s.ref, ref);
    cr_assert_str_eq(s.reason, "done");
    cr_assert_eq(srv_receive_signal(&s, 100), SRV_ETIMEOUT, "only once");
}

Test(monitor, of_a_dead_pid_fires_noproc_at_once, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, 5000), SRV_OK);
    cr_assert_eq(s.ref, ref);
    cr_assert_eq(s.reason, SRV_NOPROC);
}

Test(monitor, demonitor_means_no_down, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(srv_demonitor(ref), SRV_OK);
    counter_stop(pid);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, 100), SRV_ETIMEOUT);
}

Test(monitor, a_server_gets_down_as_info, .timeout = T(10))
{
    srv_pid watcher = start_counter(0), watched = start_counter(0);
    counter_monitor_reply r;
    cr_assert_eq(counter_monitor(watcher, watched, &r), SRV_OK);
    long before = atomic_load(&counter_observed.downs);
    counter_stop_timeout(watched, "finished", 5000);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.downs) == before + 1);
    cr_assert_str_eq(atomic_load(&counter_observed.down_reason), "finished");
    counter_stop(watcher);
}
