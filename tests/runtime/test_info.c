/*
 * test_info.c: looking at processes from outside: srv_process_info (status,
 * queue, messages handled, memory, links, monitors, name, current
 * message), the listings of links and monitors, srv_registered and
 * srv_processes, each as tests/otp/timers_info.erl shows them on OTP.
 */
#include <stdatomic.h>
#include <string.h>

#include "support.h"

static struct srv_process_info info_of(srv_pid pid)
{
    struct srv_process_info info;
    memset(&info, 0xa5, sizeof info); /* every field must be written */
    cr_assert_eq(srv_process_info(pid, &info), SRV_OK);
    return info;
}

static bool holds(const srv_pid *pids, size_t n, srv_pid pid)
{
    for (size_t i = 0; i < n; i++)
        if (srv_pid_equal(pids[i], pid))
            return true;
    return false;
}

/* timers_info.erl: {status,waiting}, {message_queue_len,0},
 * {registered_name,ti}, and gen_server:loop as the current function. */
Test(info, an_idle_server_is_waiting_with_its_name_module_and_counts, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_register("ti", pid), SRV_OK);
    /* the start returns at init's acknowledgement, maybe before the
     * server lets go of its thread */
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_WAITING);
    struct srv_process_info info = info_of(pid);
    cr_assert_str_eq(info.module, "counter");
    cr_assert_eq(info.registered_name, srv_atom_from("ti"));
    cr_assert_null(info.current, "no message: %s", info.current);
    cr_assert_eq(info.message_queue_len, 0);
    cr_assert_eq(info.messages_handled, 0, "init is no message");
    cr_assert_eq(info.links, 0);
    cr_assert_eq(info.monitors, 0);
    cr_assert_eq(info.monitored_by, 0);
    cr_assert(info.memory >= sizeof(counter_state));
    /* calls its callers run, casts, info messages: each is one handled */
    counter_add_reply r;
    cr_assert_eq(counter_add(pid, 1, &r), SRV_OK);
    cr_assert_eq(counter_add(pid, 1, &r), SRV_OK);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    cr_assert_eq(counter_send_tick(pid, 1), SRV_OK);
    cr_assert_eq(counter_read(pid).ticks, 1, "the casts and the tick came first");
    cr_assert_eq(info_of(pid).messages_handled, 7);
    counter_stop(pid);
}

Test(info, a_dead_pid_is_enoproc, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    struct srv_process_info info;
    size_t n = 1;
    cr_assert_eq(srv_process_info(pid, &info), SRV_ENOPROC);
    cr_assert_eq(srv_process_info(srv_self(), NULL), SRV_EINVAL);
    cr_assert_eq(srv_links(pid, NULL, 0, &n), SRV_ENOPROC);
    cr_assert_eq(n, 0);
    cr_assert_eq(srv_monitors(pid, NULL, 0, &n), SRV_ENOPROC);
    cr_assert_eq(srv_monitored_by(pid, NULL, 0, &n), SRV_ENOPROC);
}

Test(info, a_busy_handler_is_running_on_its_message, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_spin_until_released(pid), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    struct srv_process_info info = info_of(pid);
    cr_assert_eq(info.status, SRV_PROCESS_RUNNING);
    cr_assert_str_eq(info.current, "spin_until_released");
    cr_assert_eq(info.messages_handled, 1, "counted as it starts");
    atomic_store(&counter_observed.released, true);
    ASSERT_EVENTUALLY(info_of(pid).current == NULL);
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_WAITING);
    counter_stop(pid);
}

/* A handler blocked in srv_sleep (or a call) waits, as a BEAM process in
 * gen:call's receive does. */
Test(info, a_handler_blocked_in_a_wait_is_waiting_on_its_message, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_sleep_later(pid, 60000), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.parked) == 1);
    /* the handler says so just before its wait begins */
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_WAITING);
    struct srv_process_info info = info_of(pid);
    cr_assert_eq(info.status, SRV_PROCESS_WAITING, "and stays so while it waits");
    cr_assert_str_eq(info.current, "sleep_later");
    cr_assert_eq(srv_exit_signal(pid, SRV_KILL), SRV_OK);
    ASSERT_EVENTUALLY(!srv_is_alive(pid));
}

Test(info, a_server_with_mail_and_no_free_scheduler_is_runnable, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK); /* one scheduler thread */
    srv_pid busy = start_counter(0), waiting = start_counter(0);
    cr_assert_eq(counter_spin_until_released(busy), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    cr_assert_eq(counter_bump(waiting, 1), SRV_OK);
    struct srv_process_info info = info_of(waiting);
    cr_assert_eq(info.status, SRV_PROCESS_RUNNABLE);
    cr_assert_eq(info.message_queue_len, 1);
    cr_assert_null(info.current);
    atomic_store(&counter_observed.released, true);
    cr_assert_eq(counter_read(waiting).casts, 1);
    counter_stop(busy);
    counter_stop(waiting);
}

Test(info, a_suspended_server_is_suspended_and_its_mail_is_counted, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    /* the server answers before it lets go of its thread: a snapshot
     * taken at once may still see it running */
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_SUSPENDED);
    /* after the suspension: it keeps what it holds mail in */
    size_t idle_memory = info_of(pid).memory;
    for (int i = 0; i < 10; i++)
        cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    ASSERT_EVENTUALLY(info_of(pid).message_queue_len == 10);
    /* suspended still, while a scheduler thread holds that mail aside */
    struct srv_process_info info = info_of(pid);
    cr_assert_eq(info.status, SRV_PROCESS_SUSPENDED);
    cr_assert_gt(info.memory, idle_memory, "queued mail is held memory");
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).casts, 10);
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_WAITING);
    info = info_of(pid);
    cr_assert_eq(info.message_queue_len, 0);
    cr_assert_eq(info.memory, idle_memory);
    counter_stop(pid);
}

/* A suspended server that a cast wakes runs for a moment on a scheduler
 * thread, only to hold the cast aside with the rest of its mail: no
 * handler runs, and every snapshot meanwhile says SUSPENDED.  Enough mail
 * is queued behind a busy handler on the one scheduler thread that the
 * holding aside takes a while, and it starts once we are looking. */
Test(info, a_suspended_server_is_suspended_while_its_mail_is_held_aside, .timeout = T(10))
{
    enum { CASTS = 20000, SNAPSHOTS = 100000 };
    cr_assert_eq(srv_runtime_start(1), SRV_OK); /* one scheduler thread */
    srv_pid busy = start_counter(0), pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    ASSERT_EVENTUALLY(info_of(pid).status == SRV_PROCESS_SUSPENDED);
    cr_assert_eq(counter_spin_until_released(busy), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spinning) == 1);
    for (int i = 0; i < CASTS; i++)
        cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    atomic_store(&counter_observed.released, true);
    int running = 0;
    for (int i = 0; i < SNAPSHOTS; i++)
        running += info_of(pid).status != SRV_PROCESS_SUSPENDED;
    cr_assert_eq(running, 0, "%d of %d snapshots not SUSPENDED", running, SNAPSHOTS);
    cr_assert_eq(info_of(pid).message_queue_len, CASTS);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).casts, CASTS);
    counter_stop(busy);
    counter_stop(pid);
}

/* timers_info.erl: link(P), monitor(process, P): {links,[Self]},
 * {monitored_by,[Self]}. */
Test(info, links_and_monitors_are_listed_and_counted, .timeout = T(10))
{
    srv_pid pid = start_counter(0), self = srv_self();
    size_t before = info_of(pid).memory;
    cr_assert_eq(srv_link(pid), SRV_OK);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    struct srv_process_info info = info_of(pid);
    cr_assert_eq(info.links, 1);
    cr_assert_eq(info.monitored_by, 1);
    cr_assert_eq(info.monitors, 0);
    cr_assert_gt(info.memory, before, "the links' record is held memory");
    srv_pid out[4] = {SRV_PID_NONE};
    size_t n = 0;
    cr_assert_eq(srv_links(pid, out, 4, &n), SRV_OK);
    cr_assert_eq(n, 1);
    cr_assert(srv_pid_equal(out[0], self));
    cr_assert_eq(srv_monitored_by(pid, out, 4, &n), SRV_OK);
    cr_assert_eq(n, 1);
    cr_assert(srv_pid_equal(out[0], self));
    cr_assert_eq(srv_monitors(self, out, 4, &n), SRV_OK);
    cr_assert_eq(n, 1);
    cr_assert(srv_pid_equal(out[0], pid));
    cr_assert_eq(info_of(self).monitors, 1);
    /* the count says how many there are, beyond cap */
    srv_pid other = start_counter(0);
    cr_assert_eq(srv_link(other), SRV_OK);
    cr_assert_eq(srv_links(self, out, 1, &n), SRV_OK);
    cr_assert_eq(n, 2);
    cr_assert(holds(out, 1, pid) || holds(out, 1, other));
    cr_assert_eq(srv_links(self, NULL, 0, &n), SRV_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(srv_links(self, NULL, 1, &n), SRV_EINVAL);
    cr_assert_eq(srv_demonitor(ref), SRV_OK);
    cr_assert_eq(info_of(pid).monitored_by, 0);
    cr_assert_eq(srv_unlink(pid), SRV_OK);
    cr_assert_eq(srv_unlink(other), SRV_OK);
    cr_assert_eq(info_of(pid).links, 0);
    counter_stop(pid);
    counter_stop(other);
}

/* timers_info.erl: registered has ti: true. */
Test(info, registered_lists_the_names_held_now, .timeout = T(10))
{
    srv_pid a = start_counter(0), b = start_counter(0);
    cr_assert_eq(srv_register("info_a", a), SRV_OK);
    cr_assert_eq(srv_register("info_b", b), SRV_OK);
    srv_atom names[8];
    size_t n = 0;
    cr_assert_eq(srv_registered(names, 8, &n), SRV_OK);
    cr_assert_eq(n, 2);
    bool seen_a = false, seen_b = false;
    for (size_t i = 0; i < n; i++) {
        seen_a |= names[i] == srv_atom_from("info_a");
        seen_b |= names[i] == srv_atom_from("info_b");
    }
    cr_assert(seen_a && seen_b);
    cr_assert_eq(srv_registered(NULL, 0, &n), SRV_OK);
    cr_assert_eq(n, 2);
    counter_stop(a);
    cr_assert_eq(srv_registered(names, 8, &n), SRV_OK);
    cr_assert_eq(n, 1, "a dead server's name is gone");
    cr_assert_eq(names[0], srv_atom_from("info_b"));
    cr_assert_eq(srv_unregister("info_b"), SRV_OK);
    cr_assert_eq(srv_registered(names, 8, &n), SRV_OK);
    cr_assert_eq(n, 0);
    counter_stop(b);
}

/* timers_info.erl: processes has P: true. */
Test(info, processes_lists_servers_and_plain_threads, .timeout = T(10))
{
    srv_pid self = srv_self(), a = start_counter(0), b = start_counter(0);
    srv_pid pids[64];
    size_t n = 0;
    cr_assert_eq(srv_processes(pids, 64, &n), SRV_OK);
    cr_assert_eq(n, srv_process_count());
    cr_assert(holds(pids, n, self) && holds(pids, n, a) && holds(pids, n, b));
    counter_stop(a);
    cr_assert_eq(srv_processes(pids, 64, &n), SRV_OK);
    cr_assert(!holds(pids, n, a), "a stopped server is gone");
    cr_assert(holds(pids, n, b));
    size_t all = n;
    cr_assert_eq(srv_processes(pids, 1, &n), SRV_OK);
    cr_assert_eq(n, all, "counted beyond cap");
    /* a plain thread's identity: no module, running its own code */
    struct srv_process_info info = info_of(self);
    cr_assert_null(info.module);
    cr_assert_eq(info.status, SRV_PROCESS_RUNNING);
    counter_stop(b);
}
