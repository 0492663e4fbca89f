/*
 * test_call.c: gen_server:call: replies, timeouts, dead and dying servers,
 * deferred replies, calls between servers and from many threads.
 */
#include <pthread.h>

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

Test(call, to_dead_server_returns_noproc, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    counter_add_reply r;
    cr_assert_eq(counter_add(pid, 1, &r), SRV_ENOPROC);
}

Test(call, stale_pid_never_reaches_the_slots_next_process, .timeout = T(10))
{
    srv_pid old = start_counter(1);
    counter_stop(old);
    srv_pid fresh = start_counter(2);
    cr_assert_eq(fresh.index, old.index, "the slot is reused");
    counter_add_reply r;
    cr_assert_eq(counter_add(old, 1, &r), SRV_ENOPROC);
    cr_assert_eq(counter_read(fresh).total, 2);
    counter_stop(fresh);
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

Test(call, times_out_and_the_late_reply_is_dropped, .timeout = T(10))
{
    srv_pid pid = start_counter(5);
    /* Keep the server busy on another thread, so our call must queue. */
    struct sleeper s = {pid, 300};
    pthread_t t;
    pthread_create(&t, NULL, sleep_in_server, &s);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.sleeping) == 1);
    counter_add_reply r;
    cr_assert_eq(counter_add_timeout(pid, 1, &r, 20), SRV_ETIMEOUT);
    pthread_join(t, NULL);
    /* The timed-out call was dropped: the next call gets its own reply. */
    counter_get_reply g;
    cr_assert_eq(counter_get(pid, &g), SRV_OK);
    cr_assert_eq(g.total, 5, "the abandoned call was skipped, never run");
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
