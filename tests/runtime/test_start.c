/*
 * test_start.c: gen_server:start/start_link/start_monitor, and every init
 * result, as Erlang's starter sees them (gen.erl, proc_lib.erl).
 */
#include <pthread.h>

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

/* gen_server:start_link/4 and start_monitor/4: a name with a link or a
 * monitor, as start/4's. */
Test(start, start_link_and_start_monitor_take_a_name, .timeout = T(10))
{
    srv_start_opts opts = {.name = "linked_by_name"};
    srv_start_result linked, watched;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_LINK, &opts, &linked), SRV_OK);
    srv_pid found;
    cr_assert_eq(srv_whereis("linked_by_name", &found), SRV_OK);
    cr_assert(srv_pid_equal(found, linked.pid));
    opts.name = "watched_by_name";
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_MONITOR, &opts, &watched),
                 SRV_OK);
    cr_assert_neq(watched.monitor_ref, 0);
    cr_assert_eq(srv_whereis("watched_by_name", &found), SRV_OK);
    cr_assert(srv_pid_equal(found, watched.pid));
    cr_assert_eq(counter_stop("linked_by_name"), SRV_OK);
    cr_assert_eq(counter_stop("watched_by_name"), SRV_OK);
    /* a plain thread traps exits: the linked one's EXIT, the other's DOWN */
    srv_signal exit_sig, down;
    cr_assert_eq(srv_receive_signal(&exit_sig, 5000), SRV_OK);
    cr_assert_eq(exit_sig.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(exit_sig.pid, linked.pid));
    cr_assert_eq(srv_receive_signal(&down, 5000), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, watched.monitor_ref);
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

/* proc_lib:init_ack (twin: tests/otp/init_ack.erl): the starter gets the
 * pid as soon as init acks; init goes on, and what is sent meanwhile
 * waits until init is done.  If start waited for init's end, it would
 * never return: init waits for the go that we give after it. */
static void init_ack_start(int mode, long timeout_ms, srv_start_mode how,
                           srv_start_result *r)
{
    atomic_store(&counter_observed.init_go, false);
    atomic_store(&counter_observed.ack_status, -1);
    srv_start_opts opts = {.timeout_ms = timeout_ms};
    cr_assert_eq(counter_start_opts(5, mode, how, &opts, r), SRV_OK);
    cr_assert(srv_is_alive(r->pid));
}

Test(start, init_ack_answers_the_starter_and_messages_wait_for_inits_end,
     .timeout = T(10))
{
    srv_start_result r;
    init_ack_start(COUNTER_INIT_ACK_THEN_SETUP, 0, SRV_START_PLAIN, &r);
    cr_assert_eq(counter_bump(r.pid, 3), SRV_OK); /* queued behind init */
    atomic_store(&counter_observed.init_go, true);
    /* the cast comes after init's setup (total 5 + 1000), then the call */
    cr_assert_eq(counter_read(r.pid).total, 1008);
    cr_assert_eq(atomic_load(&counter_observed.ack_status), SRV_OK);
    cr_assert_eq(counter_stop(r.pid), SRV_OK);
}

Test(start, init_ack_ends_the_start_timeout, .timeout = T(10))
{
    srv_start_result r;
    init_ack_start(COUNTER_INIT_ACK_THEN_SETUP, T(200), SRV_START_PLAIN, &r);
    srv_sleep(T(300)); /* past the start timeout, which must no longer kill it */
    atomic_store(&counter_observed.init_go, true);
    cr_assert_eq(counter_read(r.pid).total, 1005);
    cr_assert_eq(counter_stop(r.pid), SRV_OK);
}

Test(start, init_that_stops_after_its_ack_exits_with_that_reason, .timeout = T(10))
{
    srv_start_result r;
    init_ack_start(COUNTER_INIT_ACK_THEN_STOP, 0, SRV_START_MONITOR, &r);
    atomic_store(&counter_observed.init_go, true);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(5000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(s.ref, r.monitor_ref);
    cr_assert_str_eq(s.reason, "late_failure");
}

Test(start, second_init_ack_does_nothing, .timeout = T(10))
{
    atomic_store(&counter_observed.ack_status, -1);
    srv_pid pid;
    cr_assert_eq(counter_start(5, COUNTER_INIT_ACK_TWICE, &pid), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 5);
    cr_assert_eq(atomic_load(&counter_observed.ack_status), SRV_OK);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}

Test(start, init_ack_outside_init_is_einval, .timeout = T(10))
{
    cr_assert_eq(srv_init_ack(), SRV_EINVAL);
    srv_pid pid = start_counter(0);
    counter_init_ack_outside_init_reply r;
    cr_assert_eq(counter_init_ack_outside_init(pid, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_EINVAL);
    /* a running server's statistics share init's word: still no start */
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    cr_assert_eq(counter_init_ack_outside_init(pid, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_EINVAL);
    srv_statistics s;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    cr_assert_eq(s.messages_in, 1);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}

/* gen_server:enter_loop (twin: tests/otp/init_ack.erl, its enter_loop
 * part): a plain thread registers a name, then becomes a counter under
 * it, with a callback timeout; it returns once the server ends. */
struct entering {
    const char *name;     /* the name it registers first, or NULL */
    const char *enter_as; /* the name it enters under */
    _Atomic uint64_t pid; /* index << 32 | serial, once it has one */
    _Atomic bool go;
    srv_status status;
    srv_atom reason;
};

static void *enter_thread(void *arg)
{
    struct entering *e = arg;
    srv_pid me = srv_self();
    if (e->name != NULL)
        srv_register(e->name, me);
    atomic_store(&e->pid, (uint64_t)me.index << 32 | me.serial);
    while (!atomic_load(&e->go))
        srv_sleep(1);
    counter_state state;
    memset(&state, 0, sizeof state);
    state.total = 42;
    srv_enter_opts opts = {.name = e->enter_as, .timeout_ms = 50};
    e->status = counter_enter_loop(&state, &opts, &e->reason);
    return NULL;
}

static srv_pid entering_pid(struct entering *e)
{
    ASSERT_EVENTUALLY(atomic_load(&e->pid) != 0);
    uint64_t word = atomic_load(&e->pid);
    return (srv_pid){0, (uint32_t)(word >> 32), (uint32_t)word};
}

Test(start, enter_loop_makes_the_thread_a_server_under_its_name, .timeout = T(10))
{
    long timeouts = atomic_load(&counter_observed.timeouts);
    struct entering e = {.name = "entered", .enter_as = "entered"};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, enter_thread, &e), 0);
    srv_pid pid = entering_pid(&e);
    atomic_store(&e.go, true);
    /* enter_loop's timeout 50 fires (nothing else is sent to it before) */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.timeouts) == timeouts + 1);
    srv_pid named;
    cr_assert_eq(srv_whereis("entered", &named), SRV_OK);
    cr_assert(srv_pid_equal(named, pid), "the same process, under its name");
    cr_assert_eq(counter_read(named).total, 42);
    cr_assert_eq(counter_stop(named), SRV_OK);
    cr_assert_eq(pthread_join(thread, NULL), 0);
    cr_assert_eq(e.status, SRV_OK);
    cr_assert_eq(e.reason, srv_atom_normal);
    cr_assert_eq(srv_whereis("entered", &named), SRV_ENOTREG);
}

Test(start, enter_loop_under_a_name_it_does_not_hold_exits_process_not_registered,
     .timeout = T(10))
{
    struct entering e = {.enter_as = "not_mine"};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, enter_thread, &e), 0);
    srv_pid pid = entering_pid(&e);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    atomic_store(&e.go, true);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(5000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(s.ref, ref);
    cr_assert_str_eq(s.reason, "process_not_registered");
    cr_assert_eq(pthread_join(thread, NULL), 0);
    cr_assert_eq(e.status, SRV_ENOTREG);
}

Test(start, enter_loop_from_a_handler_is_einval, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_enter_loop_here_reply r;
    cr_assert_eq(counter_enter_loop_here(pid, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_EINVAL);
    cr_assert_eq(counter_stop(pid), SRV_OK);
}
