/*
 * test_spawn.c: proc_lib's spawn, spawn_link and spawn_opt: a function
 * run as a process of its own.  Twin: tests/otp/spawn.erl.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "support.h"

/* What a spawned function saw, for the test to read once the process has
 * ended (its DOWN or EXIT orders it before). */
struct seen {
    srv_pid self;
    bool was_trapping;  /* srv_trap_exit's answer */
    _Atomic int ready;  /* it is where the test wants it */
    srv_signal signal;  /* the signal it received */
    srv_status received;
    srv_pid server;     /* a server it monitors or calls */
};

static void returns(void *arg)
{
    struct seen *s = arg;
    s->self = srv_self();
}

static void exits(void *arg)
{
    srv_exit(arg);
}

static void exits_shutdown_x(void *arg)
{
    (void)arg;
    srv_exit_detail(SRV_SHUTDOWN, srv_detail_new("x"));
}

/* Waits for a signal that never comes but for one sent to it. */
static void waits(void *arg)
{
    struct seen *s = arg;
    s->received = srv_receive_signal(&s->signal, SRV_INFINITY);
}

static srv_signal next_signal(void)
{
    srv_signal sig;
    cr_assert_eq(srv_receive_signal(&sig, T(5) * 1000), SRV_OK);
    return sig;
}

/* Spawns fn monitored, and returns the reason of its DOWN. */
static srv_signal spawn_until_down(void (*fn)(void *), void *arg, const srv_spawn_opts *opts)
{
    srv_start_result r;
    cr_assert_eq(srv_spawn(fn, arg, SRV_START_MONITOR, opts, &r), SRV_OK);
    srv_signal down = next_signal();
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, r.monitor_ref);
    cr_assert(srv_pid_equal(down.pid, r.pid));
    return down;
}

Test(spawn, a_function_that_returns_exits_normal_without_a_report, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    struct seen s = {0};
    srv_signal down = spawn_until_down(returns, &s, NULL);
    cr_assert_eq(down.reason, SRV_NORMAL);
    cr_assert(srv_pid_equal(s.self, down.pid), "srv_self() in fn is its own pid");
    cr_assert_eq(c.reports, 0);
}

Test(spawn, shutdown_and_shutdown_pair_exits_log_no_report, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_signal down = spawn_until_down(exits, (void *)SRV_SHUTDOWN, NULL);
    cr_assert_eq(down.reason, SRV_SHUTDOWN);
    cr_assert_null(down.detail);
    down = spawn_until_down(exits_shutdown_x, NULL, NULL);
    cr_assert_eq(down.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(down.detail), "x");
    cr_assert_eq(c.reports, 0);
}

Test(spawn, an_abnormal_exit_logs_proc_libs_crash_report_with_its_fields, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_spawn_opts opts = {.initial_call = "spawn:crashes/1"};
    srv_signal down = spawn_until_down(exits, (void *)"boom", &opts);
    cr_assert_str_eq(down.reason, "boom");
    cr_assert_eq(c.reports, 1, "the report comes before the DOWN");
    char line[128];
    cr_assert(strstr(c.text, "=CRASH REPORT==== srv ") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "  crasher:\n    initial call: spawn:crashes/1\n") != NULL,
              "%s", c.text);
    snprintf(line, sizeof line, "    pid: %s\n", srv_pid_format(down.pid).s);
    cr_assert(strstr(c.text, line) != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "    registered_name: []\n") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "    exception exit: boom\n") != NULL, "%s", c.text);
    snprintf(line, sizeof line, "    ancestors: [%s]\n", srv_pid_format(srv_self()).s);
    cr_assert(strstr(c.text, line) != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "    message_queue_len: 0\n    links: []\n"
                             "    trap_exit: false\n    status: running\n") != NULL,
              "%s", c.text);
}

/* (No cr_assert in a spawned function: it fails on the test's thread
 * only; the function's exit reason says what went wrong.) */
static void registers_and_exits(void *arg)
{
    if (srv_register(arg, srv_self()) != SRV_OK)
        srv_exit("register_failed");
    srv_exit_detail(srv_atom_from("bad"), srv_detail_new("{x,1}"));
}

Test(spawn, the_crash_report_names_its_registered_name_and_the_name_is_free_after,
     .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_signal down = spawn_until_down(registers_and_exits, "spawned_crasher", NULL);
    cr_assert_str_eq(down.reason, "bad");
    cr_assert_eq(c.reports, 1);
    cr_assert(strstr(c.text, "    registered_name: spawned_crasher\n") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "    exception exit: {bad,{x,1}}\n") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "initial call") == NULL, "none given, none printed: %s", c.text);
    srv_pid holder;
    cr_assert_eq(srv_whereis("spawned_crasher", &holder), SRV_ENOTREG);
}

Test(spawn, spawn_link_gives_the_trapping_parent_the_exit_with_its_reason, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_start_result r;
    cr_assert_eq(srv_spawn(exits, (void *)"boom", SRV_START_LINK, NULL, &r), SRV_OK);
    srv_signal sig = next_signal();
    cr_assert_eq(sig.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(sig.pid, r.pid));
    cr_assert_str_eq(sig.reason, "boom");
    char links[64];
    snprintf(links, sizeof links, "    links: [%s]\n", srv_pid_format(srv_self()).s);
    cr_assert(strstr(c.text, links) != NULL, "its link is listed: %s", c.text);

    struct seen s = {0};
    cr_assert_eq(srv_spawn(returns, &s, SRV_START_LINK, NULL, &r), SRV_OK);
    sig = next_signal();
    cr_assert_eq(sig.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(sig.pid, r.pid));
    cr_assert_eq(sig.reason, SRV_NORMAL);
    cr_assert_eq(c.reports, 1);
}

static void exits_shutdown_done(void *arg)
{
    (void)arg;
    srv_exit_detail(SRV_SHUTDOWN, srv_detail_new("done"));
}

Test(spawn, spawn_opt_monitor_gives_the_down_with_the_reason, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_signal down = spawn_until_down(exits_shutdown_done, NULL, NULL);
    cr_assert_eq(down.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(down.detail), "done");

    /* spawn_opt [link, monitor]: both hear it */
    srv_spawn_opts opts = {.link = true};
    srv_start_result r;
    cr_assert_eq(srv_spawn(exits, (void *)"boom", SRV_START_MONITOR, &opts, &r), SRV_OK);
    srv_signal first = next_signal(), second = next_signal();
    cr_assert_eq(first.kind, SRV_SIGNAL_EXIT, "links are told before monitors");
    cr_assert_eq(second.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(second.ref, r.monitor_ref);
    cr_assert_str_eq(first.reason, "boom");
    cr_assert_str_eq(second.reason, "boom");
}

Test(spawn, an_exit_signal_ends_a_waiting_process_without_a_report, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    struct seen s = {.received = SRV_NOREPLY};
    srv_start_result r;
    cr_assert_eq(srv_spawn(waits, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    cr_assert_eq(srv_exit_signal(r.pid, srv_atom_from("stop_it")), SRV_OK);
    srv_signal down = next_signal();
    cr_assert_str_eq(down.reason, "stop_it");
    cr_assert_eq(s.received, SRV_NOREPLY, "its wait never returned");

    cr_assert_eq(srv_spawn(waits, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    cr_assert_eq(srv_exit_signal(r.pid, SRV_KILL), SRV_OK);
    down = next_signal();
    cr_assert_eq(down.reason, SRV_KILLED);
    cr_assert_eq(c.reports, 0);
}

static void calls_a_deferring_server(void *arg)
{
    struct seen *s = arg;
    counter_defer_reply reply;
    atomic_store(&s->ready, 1);
    s->received = counter_defer(s->server, &reply);
}

static void sleeps(void *arg)
{
    struct seen *s = arg;
    atomic_store(&s->ready, 1);
    srv_sleep(24L * 3600 * 1000);
    s->received = SRV_ETIMEOUT;
}

Test(spawn, kill_ends_a_process_blocked_in_a_call_or_a_sleep, .timeout = T(10))
{
    struct seen s = {.server = start_counter(0), .received = SRV_NOREPLY};
    long deferred = atomic_load(&counter_observed.deferred);
    srv_start_result r;
    cr_assert_eq(srv_spawn(calls_a_deferring_server, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == deferred + 1);
    cr_assert_eq(srv_exit_signal(r.pid, SRV_KILL), SRV_OK);
    cr_assert_eq(next_signal().reason, SRV_KILLED);
    cr_assert_eq(s.received, SRV_NOREPLY, "its call never returned");
    cr_assert_eq(counter_stop(s.server), SRV_OK);

    cr_assert_eq(srv_spawn(sleeps, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&s.ready) == 1);
    cr_assert_eq(srv_exit_signal(r.pid, srv_atom_from("wake_up")), SRV_OK);
    cr_assert_str_eq(next_signal().reason, "wake_up");
    cr_assert_eq(s.received, SRV_NOREPLY, "its sleep never returned");
}

/* Monitors the server the test gives, then takes the first signal: its
 * exit reason says which it was. */
static void monitors_then_receives(void *arg)
{
    struct seen *s = arg;
    srv_monitor_ref ref;
    if (srv_monitor(s->server, &ref) != SRV_OK)
        srv_exit("monitor_failed");
    atomic_store(&s->ready, 1);
    srv_signal sig;
    srv_receive_signal(&sig, SRV_INFINITY);
    srv_exit(sig.kind == SRV_SIGNAL_DOWN ? "down_first" : "exit_first");
}

Test(spawn, a_normal_exit_signal_to_one_that_does_not_trap_does_nothing, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    struct seen s = {.server = start_counter(0)};
    srv_start_result r;
    cr_assert_eq(srv_spawn(monitors_then_receives, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&s.ready) == 1);
    /* queued before the server's DOWN: it must not be received */
    cr_assert_eq(srv_exit_signal(r.pid, SRV_NORMAL), SRV_OK);
    cr_assert_eq(counter_stop(s.server), SRV_OK);
    cr_assert_str_eq(next_signal().reason, "down_first");
}

static void traps_and_receives(void *arg)
{
    struct seen *s = arg;
    s->was_trapping = srv_trap_exit(true);
    atomic_store(&s->ready, 1);
    s->received = srv_receive_signal(&s->signal, SRV_INFINITY);
}

Test(spawn, a_trapping_process_receives_the_exit_signal_and_goes_on, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    struct seen s = {0};
    srv_start_result r;
    cr_assert_eq(srv_spawn(traps_and_receives, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&s.ready) == 1);
    cr_assert_eq(srv_exit_signal(r.pid, srv_atom_from("stop_it")), SRV_OK);
    cr_assert_eq(next_signal().reason, SRV_NORMAL, "it returned after the signal");
    cr_assert_not(s.was_trapping, "a spawned process does not trap at first");
    cr_assert_eq(s.received, SRV_OK);
    cr_assert_eq(s.signal.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(s.signal.pid, srv_self()));
    cr_assert_str_eq(s.signal.reason, "stop_it");
    cr_assert_eq(c.reports, 0);

    /* the option traps before fn runs; kill ends it all the same */
    srv_spawn_opts opts = {.trap_exit = true};
    cr_assert_eq(srv_spawn(waits, &s, SRV_START_MONITOR, &opts, &r), SRV_OK);
    cr_assert_eq(srv_exit_signal(r.pid, SRV_KILL), SRV_OK);
    cr_assert_eq(next_signal().reason, SRV_KILLED);
}

static void starts_a_server(void *arg)
{
    struct seen *s = arg;
    srv_start_result started; /* linked: a plain start keeps no starter */
    if (counter_start_opts(0, COUNTER_INIT_OK, SRV_START_LINK, NULL, &started) != SRV_OK)
        srv_exit("start_failed");
    srv_pid server = started.pid;
    srv_sys_status st;
    if (srv_sys_get_status(server, &st, T(5) * 1000) != SRV_OK)
        srv_exit("get_status_failed");
    char want[128];
    snprintf(want, sizeof want, "[%s,%s]", srv_pid_format(srv_self()).s,
             srv_pid_format(s->self).s);
    bool found = strcmp(st.ancestors.data, want) == 0;
    srv_sys_status_free(&st);
    counter_stop(server);
    srv_exit(found ? SRV_NORMAL : "wrong_ancestors");
}

Test(spawn, a_server_it_starts_has_it_then_its_spawner_as_ancestors, .timeout = T(10))
{
    struct seen s = {.self = srv_self()};
    cr_assert_eq(spawn_until_down(starts_a_server, &s, NULL).reason, SRV_NORMAL);
}

Test(spawn, a_null_function_or_a_bad_mode_is_einval, .timeout = T(10))
{
    cr_assert_eq(srv_spawn(NULL, NULL, SRV_START_PLAIN, NULL, NULL), SRV_EINVAL);
    cr_assert_eq(srv_spawn(returns, NULL, (srv_start_mode)7, NULL, NULL), SRV_EINVAL);
}
