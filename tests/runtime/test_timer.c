/*
 * test_timer.c: timers: send_after checks the target's module; start_timer's
 * message carries its ref (both through the typed NAME_INFO_send_after and
 * NAME_INFO_start_timer that srvc generates); read_timer and cancel_timer give the time left,
 * and SRV_ENOTIMER once the timer fired or was cancelled (OTP's false, as
 * tests/otp/timers_info.erl shows); a callback timeout that no `info
 * timeout` handler takes is logged.
 */
#include <string.h>

#include "timer.h" /* srv__timer_pending */
#include "peer.srv.h"
#include "support.h"

Test(timer, send_after_or_start_timer_to_a_server_of_another_module_is_einval, .timeout = T(10))
{
    /* It used to be armed, and fired into the counter's dispatch as
     * whatever message has ping's number there: a crash. */
    srv_pid counter = start_counter(0), peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    size_t pending = srv__timer_pending();
    struct { int64_t n; } one = {1};
    srv_timer_ref ref = 0;
    cr_assert_eq(srv_send_after(1, counter, &peer_module, message_named(&peer_module, "ping"),
                                &one, &ref), SRV_EINVAL);
    cr_assert_eq(srv__timer_pending(), pending, "no timer was armed");
    /* start_timer checks as send_after does */
    cr_assert_eq(peer_ping_start_timer(1, counter, 1, &ref), SRV_EINVAL);
    cr_assert_eq(peer_ping_start_timer(-1, peer, 1, &ref), SRV_EINVAL);
    cr_assert_eq(srv_start_timer(1, peer, &peer_module, message_named(&peer_module, "poke"),
                                 NULL, &ref), SRV_EINVAL, "a cast is no info message");
    cr_assert_eq(srv__timer_pending(), pending, "no timer was armed");
    cr_assert_eq(srv_send_after(1, peer, &counter_module,
                                message_named(&counter_module, "tick"), &one, &ref), SRV_EINVAL);
    cr_assert_eq(srv__timer_pending(), pending, "no timer was armed");
    /* the right module still gets its message */
    cr_assert_eq(srv_send_after(1, peer, &peer_module, message_named(&peer_module, "ping"),
                                &one, &ref), SRV_OK);
    peer_pings_reply p = {0};
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 1);
    cr_assert_eq(counter_read(counter).ticks, 0);
    counter_stop(counter);
    peer_stop(peer);
}

Test(timer, send_after_to_a_dead_pid_is_dropped_when_it_fires, .timeout = T(10))
{
    srv_pid peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    peer_stop(peer);
    size_t pending = srv__timer_pending();
    struct { int64_t n; } one = {1};
    srv_timer_ref ref;
    /* as Erlang's: a message to a dead process is lost, not an error */
    cr_assert_eq(srv_send_after(1, peer, &peer_module, message_named(&peer_module, "ping"),
                                &one, &ref), SRV_OK);
    ASSERT_EVENTUALLY(srv__timer_pending() == pending);
}

/* erlang:send_after to an atom looks the name up when the timer fires:
 * the typed functions take a name or an srv_ref where a pid goes. */
Test(timer, typed_timers_to_a_name_look_it_up_when_they_fire, .timeout = T(10))
{
    /* nobody holds the name: no error now, and dropped when it fires */
    size_t pending = srv__timer_pending();
    srv_timer_ref sent, started;
    cr_assert_eq(peer_ping_send_after(1, "timer_peer", 1, &sent), SRV_OK);
    ASSERT_EVENTUALLY(srv__timer_pending() == pending);
    srv_pid peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    cr_assert_eq(srv_register("timer_peer", peer), SRV_OK);
    cr_assert_eq(peer_ping_send_after(1, "timer_peer", 2, &sent), SRV_OK);
    /* later than the first: its ping is the last one taken */
    cr_assert_eq(peer_ping_start_timer(T(50), srv_ref_name("timer_peer"), 3, &started),
                 SRV_OK);
    peer_pings_reply p = {0};
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 5);
    peer_last_timer_reply last = {0};
    cr_assert_eq(peer_last_timer(peer, &last), SRV_OK);
    cr_assert_eq(last.timer, started, "start_timer's ping carries its ref");
    peer_stop(peer);
}

static _Atomic int warnings;
static char warning_text[1024];

static void capture_warning(srv_log_level level, const char *text, void *user)
{
    (void)user;
    if (level != SRV_LOG_WARNING || atomic_load(&warnings) > 0)
        return;
    strncpy(warning_text, text, sizeof warning_text - 1);
    atomic_store(&warnings, 1); /* seq_cst: the text is written first */
}

Test(timer, callback_timeout_without_an_info_timeout_handler_is_logged, .timeout = T(10))
{
    srv_set_logger(capture_warning, NULL);
    srv_pid peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    cr_assert_eq(peer_arm(peer, 10, NULL), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&warnings) == 1);
    cr_assert(strstr(warning_text, "** Undefined handle_info in peer\n") != NULL, "%s",
              warning_text);
    cr_assert(strstr(warning_text, "** Unhandled message: timeout\n") != NULL, "%s",
              warning_text);
    peer_pings_reply p;
    cr_assert_eq(peer_pings(peer, &p), SRV_OK, "the server goes on");
    peer_stop(peer);
}

/* A peer with a ping of 1 due in 60 s, which no loaded machine outruns
 * (the twin's 500 ms could fire first): its timer's ref goes to *ref. */
static srv_pid peer_with_ping_due(srv_timer_ref *ref)
{
    srv_pid peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    cr_assert_eq(peer_ping_send_after(60000, peer, 1, ref), SRV_OK);
    return peer;
}

/* timers_info.erl: read_timer: true (0 < left =< 500); cancel_timer: left
 * true, again false, read false. */
Test(timer, read_timer_and_cancel_timer_give_the_time_left_then_enotimer, .timeout = T(10))
{
    srv_timer_ref late = 0;
    srv_pid peer = peer_with_ping_due(&late);
    size_t pending = srv__timer_pending();
    long left = -1, cancelled_left = -1;
    cr_assert_eq(srv_read_timer(late, &left), SRV_OK);
    cr_assert(left > 0 && left <= 60000, "left %ld", left);
    cr_assert_eq(srv_cancel_timer(late, &cancelled_left), SRV_OK);
    cr_assert(cancelled_left > 0 && cancelled_left <= left, "left %ld, then %ld", left,
              cancelled_left);
    cr_assert_eq(srv__timer_pending(), pending - 1, "the timer is gone");
    cr_assert_eq(srv_cancel_timer(late, &left), SRV_ENOTIMER, "cancelled already");
    cr_assert_eq(srv_read_timer(late, &left), SRV_ENOTIMER);
    cr_assert_eq(srv_read_timer(late, NULL), SRV_EINVAL);
    peer_stop(peer);
}

/* timers_info.erl: start_timer's message: [true] ({timeout, T2, soon});
 * cancel a fired timer: false. */
Test(timer, start_timer_message_carries_its_ref_to_the_info_handler, .timeout = T(10))
{
    srv_pid peer;
    cr_assert_eq(peer_start(&peer), SRV_OK);
    srv_timer_ref soon = 0;
    cr_assert_eq(peer_ping_start_timer(10, peer, 1, &soon), SRV_OK);
    cr_assert_neq(soon, 0);
    peer_pings_reply p = {0};
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 1);
    peer_last_timer_reply t = {0};
    cr_assert_eq(peer_last_timer(peer, &t), SRV_OK);
    cr_assert_eq(t.timer, soon, "the handler read %llu, the timer was %llu",
                 (unsigned long long)t.timer, (unsigned long long)soon);
    long left = -1;
    cr_assert_eq(srv_cancel_timer(soon, &left), SRV_ENOTIMER, "it fired");
    cr_assert_eq(left, -1, "nothing written");
    cr_assert_eq(srv_read_timer(soon, &left), SRV_ENOTIMER);
    /* send_after's and srv_send's messages carry none */
    cr_assert_eq(peer_ping_send_after(0, peer, 1, NULL), SRV_OK);
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 2);
    cr_assert_eq(peer_last_timer(peer, &t), SRV_OK);
    cr_assert_eq(t.timer, 0);
    cr_assert_eq(peer_ping_start_timer(0, peer, 1, &soon), SRV_OK);
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 3);
    cr_assert_eq(peer_send_ping(peer, 1), SRV_OK);
    ASSERT_EVENTUALLY(peer_pings(peer, &p) == SRV_OK && p.n == 4);
    cr_assert_eq(peer_last_timer(peer, &t), SRV_OK);
    cr_assert_eq(t.timer, 0);
    cr_assert_eq(srv_current_timer(), 0, "outside a handler");
    peer_stop(peer);
}

/* Only send_after's and start_timer's refs are the user's: the runtime's
 * own timers (here a callback timeout's, armed right after a send_after,
 * so its ref is the next) are neither read nor cancelled through them. */
Test(timer, a_callback_timeouts_timer_is_not_the_users_to_read_or_cancel, .timeout = T(10))
{
    srv_timer_ref mine = 0;
    srv_pid peer = peer_with_ping_due(&mine);
    size_t pending = srv__timer_pending();
    cr_assert_eq(peer_arm(peer, 60000, NULL), SRV_OK);
    cr_assert_eq(srv__timer_pending(), pending + 1, "the timeout's timer");
    long left;
    cr_assert_eq(srv_read_timer(mine + 1, &left), SRV_ENOTIMER);
    cr_assert_eq(srv_cancel_timer(mine + 1, &left), SRV_ENOTIMER);
    cr_assert_eq(srv__timer_pending(), pending + 1, "the timeout's timer is still armed");
    cr_assert_eq(srv_cancel_timer(mine, NULL), SRV_OK);
    peer_stop(peer);
}
