/*
 * test_cast.c: gen_server:cast and info messages: never blocking, never
 * failing, each handled once, in order per sender.
 */
#include <pthread.h>

#include <string.h>

#include "timer.h" /* srv__timer_pending */
#include "peer.srv.h"
#include "support.h"

Test(cast, is_handled_before_a_later_call_from_the_same_sender, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_bump(pid, 3), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 3);
    counter_stop(pid);
}

Test(cast, to_dead_pid_returns_ok, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    cr_assert_eq(counter_bump(pid, 1), SRV_OK);
}

/* A handler's casts take no hold on their server (epoch.c): a server
 * that is killed while another's handler floods it must end all the
 * same, the casts that reach it after its exit freed with it (ASan) and
 * its pid dead to every later lookup. */
Test(cast, from_a_handler_to_a_server_killed_meanwhile_are_lost_not_leaked,
     .timeout = T(60))
{
    enum { ROUNDS = 20, FLOOD = 20000 };
    srv_pid sender = start_counter(0);
    for (int round = 0; round < ROUNDS; round++) {
        srv_pid target = start_counter(0);
        cr_assert_eq(counter_flood(sender, target, FLOOD), SRV_OK);
        cr_assert_eq(srv_exit_signal(target, SRV_KILL), SRV_OK);
        /* the flood is over once the sender answers the call behind it */
        cr_assert_eq(counter_read(sender).total, 0);
        ASSERT_EVENTUALLY(!srv_is_alive(target));
        cr_assert_eq(counter_bump(target, 1), SRV_OK); /* lost, as in Erlang */
        size_t queued;
        cr_assert_eq(srv_message_queue_len(target, &queued), SRV_ENOPROC);
    }
    counter_stop(sender);
}

struct sender {
    srv_pid pid;
    int id, count;
};

static void *send_numbered(void *arg)
{
    struct sender *s = arg;
    for (int k = 1; k <= s->count; k++)
        counter_seq(s->pid, s->id, k);
    return NULL;
}

Test(cast, from_many_threads_each_once_and_in_order_per_sender, .timeout = T(60))
{
    enum { THREADS = 4, COUNT = 25000 };
    srv_pid pid = start_counter(0);
    struct sender senders[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        senders[i] = (struct sender){pid, i, COUNT};
        pthread_create(&threads[i], NULL, send_numbered, &senders[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    counter_get_reply r = counter_read(pid);
    cr_assert_eq(r.casts, THREADS * COUNT);
    cr_assert_eq(r.order_errors, 0);
    counter_stop(pid);
}

Test(info, typed_info_message_reaches_its_handler, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(counter_send_tick(pid, 4), SRV_OK);
    cr_assert_eq(counter_read(pid).ticks, 4);
    counter_stop(pid);
}

Test(info, send_after_delivers_later_and_cancel_stops_it, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_timer_ref fired, cancelled;
    /* the layout of tick's arguments, as the generated code has it */
    struct { int64_t n; } a1 = {1}, a10 = {10};
    cr_assert_eq(srv_send_after(20, pid, &counter_module, 0, &a1, NULL), SRV_EINVAL,
                 "message 0 is a call, not an info message");
    unsigned tick = counter_module.message_count - 1;
    cr_assert_str_eq(counter_module.messages[tick].name, "tick");
    cr_assert_eq(srv_send_after(300, pid, &counter_module, tick, &a10, &cancelled), SRV_OK);
    cr_assert_eq(srv_send_after(10, pid, &counter_module, tick, &a1, &fired), SRV_OK);
    cr_assert_eq(srv_cancel_timer(cancelled, NULL), SRV_OK);
    ASSERT_EVENTUALLY(counter_read(pid).ticks == 1);
    /* a timer due after the cancelled one: once it fired, so had that one */
    struct { int64_t n; } a100 = {100};
    cr_assert_eq(srv_send_after(400, pid, &counter_module, tick, &a100, NULL), SRV_OK);
    ASSERT_EVENTUALLY(counter_read(pid).ticks >= 100);
    cr_assert_eq(counter_read(pid).ticks, 101, "the cancelled timer never fired");
    cr_assert_eq(srv_cancel_timer(fired, NULL), SRV_ENOTIMER, "a fired timer cannot be cancelled");
    counter_stop(pid);
}

Test(info, callback_timeout_fires_after_its_delay, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_arm_timeout_reply r;
    long before = atomic_load(&counter_observed.timeouts);
    cr_assert_eq(counter_arm_timeout(pid, 20, &r), SRV_OK);
    /* watched from outside: a call would cancel the timeout */
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.timeouts) == before + 1);
    cr_assert_eq(counter_read(pid).timeouts, 1);
    counter_stop(pid);
}

Test(info, any_message_cancels_the_callback_timeout, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_arm_timeout_reply r;
    cr_assert_eq(counter_arm_timeout(pid, 500, &r), SRV_OK);
    counter_bump(pid, 1);
    /* wait for a tick due after the moment the timeout would have fired */
    unsigned tick = message_named(&counter_module, "tick");
    struct { int64_t n; } a1 = {1};
    cr_assert_eq(srv_send_after(800, pid, &counter_module, tick, &a1, NULL), SRV_OK);
    ASSERT_EVENTUALLY(counter_read(pid).ticks == 1);
    cr_assert_eq(counter_read(pid).timeouts, 0);
    counter_stop(pid);
}

Test(info, a_timeout_set_again_by_every_message_keeps_one_timer, .timeout = T(10))
{
    enum { N = 1000 };
    srv_pid pid = start_counter(0);
    size_t before = srv__timer_pending();
    for (int i = 0; i < N; i++)
        counter_arm_later(pid, 60000);
    cr_assert_eq(counter_read(pid).casts, N); /* this call cancels it too */
    /* the timer set by the first message, and at most one sooner one */
    size_t timers = srv__timer_pending() - before;
    cr_assert_lt(timers, 3, "timers: %zu", timers);
    /* A sooner timeout still fires on time, with the far one pending. */
    long timeouts = atomic_load(&counter_observed.timeouts);
    counter_arm_later(pid, 10);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.timeouts) == timeouts + 1);
    counter_stop(pid);
}

Test(cast, and_info_to_a_server_of_another_module_are_einval, .timeout = T(10))
{
    srv_pid counter = start_counter(0), peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    struct { int64_t n; } one = {1};
    cr_assert_eq(srv_cast(counter, &peer_module, message_named(&peer_module, "poke"), NULL),
                 SRV_EINVAL);
    cr_assert_eq(srv_send(counter, &peer_module, message_named(&peer_module, "ping"), &one),
                 SRV_EINVAL);
    cr_assert_eq(srv_cast(peer, &counter_module, message_named(&counter_module, "bump"), &one),
                 SRV_EINVAL);
    cr_assert_eq(srv_send(peer, &counter_module, message_named(&counter_module, "tick"), &one),
                 SRV_EINVAL);
    counter_get_reply g = counter_read(counter);
    cr_assert_eq(g.total + g.casts + g.ticks, 0, "nothing reached the counter");
    peer_pings_reply p;
    cr_assert_eq(peer_pings(peer, &p), SRV_OK);
    cr_assert_eq(p.n, 0, "nothing reached the peer");
    counter_stop(counter);
    peer_stop(peer);
}
