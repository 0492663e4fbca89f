/*
 * test_timer.c: timers: send_after checks the target's module, and a
 * callback timeout that no `info timeout` handler takes is logged.
 */
#include <string.h>

#include "timer.h" /* srv__timer_pending */
#include "peer.srv.h"
#include "support.h"

Test(timer, send_after_to_a_server_of_another_module_is_einval, .timeout = T(10))
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
