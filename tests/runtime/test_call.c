/*
 * test_call.c: gen_server:call: replies, timeouts, dead and dying servers,
 * deferred replies, calls between servers and from many threads.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "names.srv.h"
#include "peer.srv.h"
#include "process.h" /* srv__process_retired */
#include "support.h"

Test(call, replies_with_the_handlers_typed_reply, .timeout = T(10))
{
    srv_pid pid = start_counter(40);
    counter_add_reply r;
    cr_assert_eq(counter_add(pid, 2, &r), SRV_OK);
    cr_assert_eq(r.total, 42);
    counter_stop(pid);
}

Test(call, strings_and_bytes_are_copied_for_the_caller, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    unsigned char data[] = {1, 2, 3};
    counter_echo_reply r;
    cr_assert_eq(counter_echo(pid, "hello", (srv_bytes){data, 3}, &r), SRV_OK);
    cr_assert_str_eq(r.text, "hello");
    cr_assert_eq(r.data.len, 3);
    cr_assert_eq(r.data.data[2], 3);
    cr_assert_neq((void *)r.data.data, (void *)data);
    counter_echo_reply_free(&r);
    counter_stop(pid);
}

Test(call, arguments_and_reply_fields_may_take_names_the_generated_code_once_used,
     .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(names_start(1, 2, 3, 4, 5, &pid), SRV_OK); /* mode 15 */
    names_swap_reply got;
    cr_assert_eq(names_swap(pid, 10, 20, 30, 40, 50, 60, &got), SRV_OK);
    cr_assert_eq(got.ok, 10 + 50 + 60 + 40);
    cr_assert_eq(got.r, 20);
    cr_assert_eq(got.reply, 10);
    cr_assert(got.replied);
    cr_assert_eq(got.reason, 20);
    cr_assert_eq(got.timeout_ms, 30 + 15);
    cr_assert_eq(names_set(pid, 1, 2, 3), SRV_OK); /* mode 6 */
    cr_assert_eq(names_swap_timeout(pid, 0, 0, 30, 0, 0, 0, &got, 5000), SRV_OK);
    cr_assert_eq(got.timeout_ms, 30 + 6);
    names_stop(pid);
}

Test(call, to_dead_server_returns_noproc, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    counter_add_reply r;
    cr_assert_eq(counter_add(pid, 1, &r), SRV_ENOPROC);
}

Test(call, stale_pid_never_reaches_the_slots_next_process, .timeout = T(20))
{
    /* More servers than every thread's cache of freed slots holds
     * (process.c): some of their slots come back to this thread's starts. */
    enum { SERVERS = 300 };
    static srv_pid old[SERVERS];
    for (int i = 0; i < SERVERS; i++)
        old[i] = start_counter(1);
    for (int i = 0; i < SERVERS; i++)
        counter_stop(old[i]);
    /* The slots come back once every scheduler thread has been between
     * turns since the stops (epoch.c). */
    ASSERT_EVENTUALLY(srv__process_retired() == 0);
    int reused = 0;
    for (int i = 0; i < SERVERS; i++) {
        srv_pid fresh = start_counter(2);
        for (int k = 0; k < SERVERS; k++) {
            if (old[k].index != fresh.index)
                continue;
            reused++;
            cr_assert_neq(old[k].serial, fresh.serial);
            counter_add_reply r;
            cr_assert_eq(counter_add(old[k], 1, &r), SRV_ENOPROC);
        }
        cr_assert_eq(counter_read(fresh).total, 2, "the stale pids' calls never came");
        counter_stop(fresh);
    }
    cr_assert_gt(reused, 0, "slots are reused");
}

Test(call, server_that_crashes_in_the_call_gives_eexit_with_reason, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid pid = start_counter(0);
    counter_crash_reply r;
    srv_call_result why;
    cr_assert_eq(counter_crash_full(pid, "boom", &r, 5000, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "boom");
    cr_assert_not(srv_is_alive(pid));
}

Test(call, stop_with_reply_replies_then_exits, .timeout = T(10))
{
    srv_pid pid = start_counter(9);
    counter_stop_with_reply r;
    cr_assert_eq(counter_stop_with(pid, "normal", &r), SRV_OK);
    cr_assert_eq(r.total, 9);
    cr_assert_not(srv_is_alive(pid));
}

Test(call, stop_without_reply_gives_the_caller_the_reason, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop_silently_reply r;
    srv_call_result why;
    cr_assert_eq(counter_stop_silently_full(pid, "shutdown", &r, 5000, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "shutdown");
}

Test(call, to_itself_returns_edeadlk, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_call_self_reply r;
    cr_assert_eq(counter_call_self(pid, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_EDEADLK);
    counter_stop(pid);
}

struct sleeper {
    srv_pid pid;
    int ms;
};

static void *sleep_in_server(void *arg)
{
    struct sleeper *s = arg;
    counter_sleep_reply r;
    counter_sleep_timeout(s->pid, s->ms, &r, SRV_INFINITY);
    return NULL;
}

/* A call queued behind a 300 ms handler, given up after 20 ms. */
static srv_status abandon_a_queued_call(srv_pid pid, bool skippable)
{
    struct sleeper s = {pid, 300};
    pthread_t t;
    pthread_create(&t, NULL, sleep_in_server, &s);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.sleeping) == 1);
    srv_status status;
    if (skippable) {
        counter_add_if_awaited_reply r;
        status = counter_add_if_awaited_timeout(pid, 1, &r, 20);
    } else {
        counter_add_reply r;
        status = counter_add_timeout(pid, 1, &r, 20);
    }
    pthread_join(t, NULL);
    return status;
}

Test(call, abandoned_queued_call_still_runs_and_its_late_reply_is_dropped, .timeout = T(10))
{
    srv_pid pid = start_counter(5);
    cr_assert_eq(abandon_a_queued_call(pid, false), SRV_ETIMEOUT);
    /* As OTP: the call ran after its caller gave up (its reply dropped),
     * and the next call gets its own reply, not the dropped one. */
    counter_get_reply g;
    cr_assert_eq(counter_get(pid, &g), SRV_OK);
    cr_assert_eq(g.total, 6, "the abandoned call ran");
    counter_stop(pid);
}

Test(call, abandoned_queued_call_declared_skip_abandoned_is_skipped, .timeout = T(10))
{
    srv_pid pid = start_counter(5);
    cr_assert_eq(abandon_a_queued_call(pid, true), SRV_ETIMEOUT);
    counter_get_reply g;
    cr_assert_eq(counter_get(pid, &g), SRV_OK);
    cr_assert_eq(g.total, 5, "[[skip_abandoned]]: the abandoned call was skipped");
    counter_stop(pid);
}

Test(call, abandoned_queued_call_that_runs_has_its_reply_freed, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    struct sleeper s = {pid, 300};
    pthread_t t;
    pthread_create(&t, NULL, sleep_in_server, &s);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.sleeping) == 1);
    counter_token_reply r;
    cr_assert_eq(counter_token_timeout(pid, 7, -1, &r, 20), SRV_ETIMEOUT);
    cr_assert_null(r.token, "a reply after the timeout is never written");
    pthread_join(t, NULL);
    /* the call ran once its turn came; nobody took its reply: freed */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.tokens_freed) == 1);
    counter_stop(pid);
}

Test(call, infinity_waits_for_a_slow_handler, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_sleep_reply r;
    cr_assert_eq(counter_sleep_timeout(pid, 100, &r, SRV_INFINITY), SRV_OK);
    cr_assert(r.replied);
    counter_stop(pid);
}

struct deferred_call {
    srv_pid pid;
    srv_status status;
    int64_t value;
};

static void *call_defer(void *arg)
{
    struct deferred_call *d = arg;
    counter_defer_reply r;
    d->status = counter_defer(d->pid, &r);
    d->value = r.value;
    return NULL;
}

Test(call, deferred_reply_reaches_the_waiting_caller, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    struct deferred_call d = {pid, SRV_EINVAL, 0};
    pthread_t t;
    pthread_create(&t, NULL, call_defer, &d);
    counter_answer_reply a = {false};
    for (int i = 0; i < 5000 && !a.answered; i++) {
        cr_assert_eq(counter_answer(pid, 77, &a), SRV_OK);
        if (!a.answered)
            srv_sleep(1);
    }
    pthread_join(t, NULL);
    cr_assert_eq(d.status, SRV_OK);
    cr_assert_eq(d.value, 77);
    counter_stop(pid);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A call's timeout ends its wait no earlier than it says, from the call's
 * start. */
Test(call, a_timeout_never_ends_the_wait_early, .timeout = T(30))
{
    srv_pid pid = start_counter(0);
    for (long ms = 100; ms <= 102; ms++) {
        uint64_t start = monotonic_ns();
        counter_defer_reply r;
        cr_assert_eq(counter_defer_timeout(pid, &r, ms), SRV_ETIMEOUT);
        uint64_t waited = monotonic_ns() - start;
        cr_assert(waited >= (uint64_t)ms * 1000000u, "%ld ms ended after %llu ns", ms,
                  (unsigned long long)waited);
    }
    counter_stop(pid);
}

Test(call, deferred_caller_hears_when_the_server_dies_first, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid pid = start_counter(0);
    struct deferred_call d = {pid, SRV_OK, 0};
    pthread_t t;
    pthread_create(&t, NULL, call_defer, &d);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    counter_die(pid, "gone");
    pthread_join(t, NULL);
    cr_assert_eq(d.status, SRV_EEXIT);
}

Test(call, between_two_servers, .timeout = T(10))
{
    srv_pid a = start_counter(1), b = start_counter(100);
    counter_add_to_reply r;
    cr_assert_eq(counter_add_to(a, b, 5, &r), SRV_OK);
    cr_assert_eq(r.total, 105);
    cr_assert_eq(counter_read(b).total, 105);
    counter_stop(a);
    counter_stop(b);
}

struct caller {
    srv_pid pid;
    int calls;
    int failures;
};

static void *call_many(void *arg)
{
    struct caller *c = arg;
    for (int i = 0; i < c->calls; i++) {
        counter_add_reply r;
        if (counter_add(c->pid, 1, &r) != SRV_OK)
            c->failures++;
    }
    return NULL;
}

Test(call, many_threads_at_once_each_call_counted_once, .timeout = T(30))
{
    enum { THREADS = 8, CALLS = 5000 };
    srv_pid pid = start_counter(0);
    struct caller callers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        callers[i] = (struct caller){pid, CALLS, 0};
        pthread_create(&threads[i], NULL, call_many, &callers[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(callers[i].failures, 0);
    }
    cr_assert_eq(counter_read(pid).total, THREADS * CALLS);
    counter_stop(pid);
}

Test(call, deferred_reply_through_another_calls_from_is_refused, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    struct deferred_call d = {pid, SRV_EINVAL, 0};
    pthread_t t;
    pthread_create(&t, NULL, call_defer, &d);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    /* token's reply_to with defer's from: refused, nothing written, and
     * the token freed */
    counter_answer_as_token_reply wrong;
    cr_assert_eq(counter_answer_as_token(pid, &wrong), SRV_OK);
    cr_assert_eq(wrong.status, SRV_EINVAL);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1);
    /* the caller of defer still waits, and gets its own reply */
    counter_answer_reply a;
    cr_assert_eq(counter_answer(pid, 77, &a), SRV_OK);
    cr_assert(a.answered);
    pthread_join(t, NULL);
    cr_assert_eq(d.status, SRV_OK);
    cr_assert_eq(d.value, 77);
    counter_stop(pid);
}

Test(call, reply_may_be_null_and_is_then_freed_unread, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_sleep(pid, 1, NULL), SRV_OK, "a `-> ()` call needs no reply struct");
    cr_assert_eq(counter_token(pid, 3, -1, NULL), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1, "the unread reply was freed");
    cr_assert_eq(counter_add(pid, 4, NULL), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 4);
    counter_stop(pid);
}

Test(call, negative_timeouts_other_than_infinity_are_einval, .timeout = T(10))
{
    srv_pid pid = start_counter(1);
    counter_add_reply r;
    cr_assert_eq(counter_add_timeout(pid, 1, &r, -5), SRV_EINVAL);
    cr_assert_eq(counter_read(pid).total, 1, "the refused call never ran");
    cr_assert_eq(counter_stop_timeout(pid, "bye", -2), SRV_EINVAL);
    cr_assert(srv_is_alive(pid));
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, -3), SRV_EINVAL);
    cr_assert_eq(srv_sys_suspend(pid, -3), SRV_EINVAL);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, -4), SRV_EINVAL);
    cr_assert_eq(counter_add_timeout(pid, 1, &r, SRV_INFINITY), SRV_OK);
    cr_assert_eq(r.total, 2);
    counter_stop(pid);
}

Test(call, negative_timeout_from_a_callback_is_a_bad_return_value, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid pid = start_counter(0);
    /* OTP 25: {reply, ok, State, -5} is {bad_return_value, ...}, no reply */
    srv_call_result why;
    cr_assert_eq(counter_arm_timeout_full(pid, -5, NULL, 5000, &why), SRV_EEXIT);
    cr_assert_eq(why.reason, srv_atom_bad_return_value);
    cr_assert_not(srv_is_alive(pid));
    /* a reply the handler made is freed, never handed over */
    pid = start_counter(0);
    counter_token_reply r;
    cr_assert_eq(counter_token_full(pid, 1, -5, &r, 5000, &why), SRV_EEXIT);
    cr_assert_eq(why.reason, srv_atom_bad_return_value);
    cr_assert_null(r.token);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1);
}

Test(call, to_a_server_of_another_module_is_einval, .timeout = T(10))
{
    srv_pid counter = start_counter(3), peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    counter_get_reply g;
    cr_assert_eq(srv_call(peer, &counter_module, message_named(&counter_module, "get"), NULL,
                          &g, 5000, NULL), SRV_EINVAL);
    peer_pings_reply p;
    cr_assert_eq(srv_call(counter, &peer_module, message_named(&peer_module, "pings"), NULL,
                          &p, 5000, NULL), SRV_EINVAL);
    cr_assert_eq(counter_read(counter).total, 3);
    cr_assert_eq(peer_pings(peer, &p), SRV_OK);
    counter_stop(counter);
    peer_stop(peer);
}
