/*
 * test_sched.c: scheduler threads and handlers that block.  A handler
 * that blocks on a scheduler (sleep, a call to a busy server, a deferred
 * reply) parks its fiber; the thread runs other servers meanwhile, and no
 * thread is added for it.  Most tests run on one scheduler thread, where
 * a blocked thread would show at once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* A number from /proc/self/status: the line that starts with field. */
static unsigned long long process_status(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    cr_assert_not_null(f);
    char line[256];
    unsigned long long n = 0;
    bool found = false;
    size_t len = strlen(field);
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strncmp(line, field, len) == 0 && sscanf(line + len, "%llu", &n) == 1;
    fclose(f);
    cr_assert(found, "no %s in /proc/self/status", field);
    return n;
}

/* The number of threads in this process. */
static long thread_count(void)
{
    return (long)process_status("Threads:");
}

/* A server whose handler sleeps ms on a scheduler; returns once it does. */
static srv_pid start_sleeping(int64_t total, int ms)
{
    srv_pid pid = start_counter(total);
    counter_sleep_later(pid, ms);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.parked) == 1);
    return pid;
}

Test(sched, a_sleeping_handler_leaves_its_scheduler_to_other_servers, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid other = start_counter(0);
    (void)start_sleeping(0, 3000);
    /* Queued behind the cast, so the one scheduler must run them. */
    counter_bump(other, 5);
    cr_assert_eq(counter_read(other).total, 5);
    cr_assert_eq(atomic_load(&counter_observed.parked), 1,
                 "the other server ran only after the sleep ended");
}

#if defined(SRV_SANITIZE_THREAD) || defined(SRV_SANITIZE_ADDRESS)
#define BLOCKED 250 /* a fiber costs the sanitizers far more */
#else
#define BLOCKED 1000
#endif

Test(sched, a_thousand_blocked_handlers_need_no_thread_of_their_own, .timeout = T(30))
{
    enum { N = BLOCKED };
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_set_logger(NULL, NULL);
    /* Each handler calls the gate, which defers every call: all of them
     * wait in a call at once, until the gate's exit ends every wait. */
    srv_pid gate = start_counter(0);
    static srv_pid pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = start_counter(0);
        counter_wait_for(pids[i], gate, 0, true, -1);
    }
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == N);
    /* main, the one scheduler and a sanitizer's own: never one a handler */
    long threads = thread_count();
    cr_assert_lt(threads, 8, "threads: %ld", threads);
    cr_assert_eq(atomic_load(&counter_observed.waits), 0);
    srv_exit_signal(gate, SRV_KILL);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == N);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_EEXIT);
    for (int i = 0; i < N; i++)
        cr_assert_eq(counter_stop(pids[i]), SRV_OK);
}

Test(sched, a_call_from_a_handler_to_a_busy_server_gets_its_reply, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid caller = start_counter(0);
    srv_pid busy = start_sleeping(10, 200);
    counter_wait_for(caller, busy, 5, false, 5000);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_OK);
    cr_assert_eq(counter_read(caller).total, 15);
    cr_assert_eq(counter_read(busy).total, 15);
}

Test(sched, a_parked_call_times_out_and_its_late_reply_is_dropped, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid deferring = start_counter(0);
    srv_pid caller = start_counter(0);
    counter_wait_for(caller, deferring, 0, true, 50);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_ETIMEOUT);
    /* The answer comes too late: nobody takes it, and the caller's next
     * call gets its own reply, not this one. */
    counter_answer_reply answered;
    cr_assert_eq(counter_answer(deferring, 99, &answered), SRV_OK);
    cr_assert_eq(counter_add_timeout(caller, 1, &(counter_add_reply){0}, 1000), SRV_OK);
    counter_wait_for(caller, deferring, 7, false, 5000);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == 2);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_OK);
    cr_assert_eq(counter_read(caller).total, 7);
}

Test(sched, a_parked_call_hears_when_its_server_dies, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid deferring = start_counter(0);
    srv_pid caller = start_counter(0);
    counter_wait_for(caller, deferring, 0, true, SRV_INFINITY);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    counter_die(deferring, "gone");
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == 1);
    cr_assert_eq(atomic_load(&counter_observed.wait_status), SRV_EEXIT);
    cr_assert(srv_is_alive(caller));
}

Test(sched, calls_between_servers_on_two_schedulers_are_each_answered, .timeout = T(30))
{
    enum { PAIRS = 200, ROUNDS = 50 };
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    static srv_pid callers[PAIRS], servers[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        servers[i] = start_counter(0);
        callers[i] = start_counter(0);
    }
    /* Each server is kept busy now and then, so some calls park. */
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < PAIRS; i++) {
            if (r % 10 == 0)
                counter_sleep_later(servers[i], 1);
            counter_wait_for(callers[i], servers[i], 1, false, SRV_INFINITY);
        }
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.waits) == PAIRS * ROUNDS);
    for (int i = 0; i < PAIRS; i++)
        cr_assert_eq(counter_read(servers[i]).total, ROUNDS);
}

Test(sched, killing_a_parent_during_its_childs_init_takes_the_child_too, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid parent = start_counter(0);
    size_t before = srv_process_count();
    counter_start_child(parent, COUNTER_INIT_BLOCKED);
    /* The child's init blocks, so the parent waits in start_link, where
     * an exit signal ends it as OTP's ends a starter in its receive; its
     * link then ends the child, in its init.  (Sent before the child
     * exists, it would end the parent ahead of the start_child cast.) */
    ASSERT_EVENTUALLY(srv_process_count() == before + 1);
    cr_assert_eq(srv_exit_signal(parent, "parent_gone"), SRV_OK);
    ASSERT_EVENTUALLY(!srv_is_alive(parent));
    ASSERT_EVENTUALLY(srv_process_count() == before - 1); /* the child too */
    cr_assert_eq(atomic_load(&counter_observed.children), 0,
                 "the start never returned to its parent");
    cr_assert_eq(atomic_load(&counter_observed.terminates), 0,
                 "exit signals kill without terminate when not trapped");
}

Test(sched, a_handler_sending_many_casts_yields_to_their_receiver, .timeout = T(10))
{
    enum { N = 1000 };
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid sender = start_counter(0);
    srv_pid receiver = start_counter(0);
    counter_flood(sender, receiver, N);
    cr_assert_eq(counter_read(sender).total, 0); /* queued behind flood */
    ASSERT_EVENTUALLY(counter_read(receiver).casts == N);
    long during = atomic_load(&counter_observed.bumps_during_flood);
    cr_assert_gt(during, 0, "the receiver ran only after the sender's handler");
    cr_assert_lt(during, N, "the receiver never waited for the sender");
}

Test(sched, an_idle_scheduler_steals_a_server_stuck_behind_a_busy_handler, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    srv_pid spinner = start_counter(0);
    srv_pid other = start_counter(0);
    counter_bump_and_spin(spinner, other);
    /* the bump runs while its sender spins, or never */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spin_result) == 1);
    cr_assert_eq(counter_read(other).total, 1);
}

Test(sched, idle_schedulers_take_servers_from_a_busy_threads_ring, .timeout = T(10))
{
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    srv_pid spinner = start_counter(0);
    counter_fan_out_and_spin(spinner, 20);
    /* the servers run while their starter spins, or never */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.spin_result) == 1);
    cr_assert_eq(atomic_load(&counter_observed.bumps), 20);
}

Test(sched, a_storm_of_calls_timeouts_sleeps_and_kills_settles, .timeout = T(60))
{
    enum { SERVERS = 64, ROUNDS = 3000 };
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    (void)srv_self();
    static srv_pid pids[SERVERS];
    for (int i = 0; i < SERVERS; i++)
        pids[i] = start_counter(0);
    unsigned seed = 12345;
    for (int r = 0; r < ROUNDS; r++) {
        int a = rand_r(&seed) % SERVERS, b = rand_r(&seed) % SERVERS;
        int ms = 1 + rand_r(&seed) % 5;
        switch (rand_r(&seed) % 8) {
        case 0: case 1: case 2: /* calls between servers, some to busy ones */
            counter_wait_for(pids[a], pids[b], 1, false, ms);
            break;
        case 3: /* a deferred call: answered below, or it times out */
            counter_wait_for(pids[a], pids[b], 0, true, ms);
            break;
        case 4:
            counter_sleep_later(pids[a], ms - 1);
            break;
        case 5: {
            counter_answer_reply answered;
            counter_answer(pids[a], r, &answered); /* may find a dead pid */
            break;
        }
        case 6:
            counter_bump(pids[a], 1);
            break;
        default: /* now and then a kill, wherever the server is */
            if (r % 16 == 7) {
                srv_exit_signal(pids[a], SRV_KILL);
                pids[a] = start_counter(0);
            }
        }
    }
    /* Every wait ends (a reply, a timeout, an exit, a kill): the shutdown
     * stops every server in time, and none is left. */
    cr_assert_eq(srv_runtime_shutdown(T(5) * 1000), SRV_OK);
    cr_assert_eq(srv_process_count(), 1, "left: %zu", srv_process_count());
}

#if !defined(SRV_SANITIZE_ADDRESS) && !defined(SRV_SANITIZE_THREAD)
#include <sys/resource.h>

/* Address space in use now, in bytes. */
static unsigned long long address_space(void)
{
    return process_status("VmSize:") * 1024;
}

/* (Not under the sanitizers: their shadow memory needs the address space.) */
Test(sched, with_no_stack_to_be_had_a_handler_blocks_its_thread_instead, .timeout = T(30))
{
    enum { N = 6 };
    /* 1 GiB stacks, and room for two more of them: the other waits find
     * no stack and block the one scheduler thread, one after another. */
    setenv("SRV_STACK_SIZE", "1g", 1);
    unsigned long long limit = address_space() + (5ull << 29);
    struct rlimit room = {limit, limit};
    cr_assert_eq(setrlimit(RLIMIT_AS, &room), 0);
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    srv_pid pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = start_counter(0);
        counter_sleep_later(pids[i], 20);
    }
    for (int i = 0; i < N; i++)
        cr_assert_eq(counter_read(pids[i]).casts, 1);
}
#endif

/* A signal for the program never lands on a scheduler thread: the
 * runtime's threads start with asynchronous signals blocked (srv_run's
 * watcher takes SIGTERM and SIGINT; under ThreadSanitizer a handler
 * delivered to a thread asleep in a futex waits for that thread's next
 * call into libc).  The test's own thread, which made the schedulers,
 * does not block SIGTERM. */
Test(sched, scheduler_threads_take_no_asynchronous_signal, .timeout = T(10))
{
    sigset_t mine;
    cr_assert_eq(pthread_sigmask(SIG_BLOCK, NULL, &mine), 0);
    cr_assert(!sigismember(&mine, SIGTERM), "the test's thread lets SIGTERM in");
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_note_signal_mask(pid), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.sigterm_blocked) != 0);
    cr_assert_eq(atomic_load(&counter_observed.sigterm_blocked), 1, "a scheduler takes SIGTERM");
    counter_stop(pid);
}
