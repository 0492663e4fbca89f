/*
 * test_continue.c: handle_continue.  A callback that returns {continue, C}
 * (ok_continue, reply_continue, noreply_continue) has C run next, before
 * any message already queued, as gen_server does (tests/otp/continue_order.erl
 * is the Erlang twin of these orders).  The server is suspended while the
 * messages are queued, so the order does not depend on timing.
 */
#include <pthread.h>

#include "later.srv.h"
#include "support.h"

static bool log_has(const char *text)
{
    char log[4096];
    later_log_read(log, sizeof log);
    return strstr(log, text) != NULL;
}

static void assert_log(const char *expected)
{
    char log[4096];
    later_log_read(log, sizeof log);
    cr_assert_str_eq(log, expected);
}

/* A fresh log, and a server (init mode 2: plain ok) held by sys:suspend
 * while a test queues its messages. */
static srv_pid start_suspended(void)
{
    later_log_clear();
    srv_pid pid;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    cr_assert_eq(srv_sys_suspend(pid, SRV_INFINITY), SRV_OK);
    return pid;
}

static void wait_queued(srv_pid pid, size_t n)
{
    size_t len = 0;
    ASSERT_EVENTUALLY(srv_message_queue_len(pid, &len) == SRV_OK && len == n);
}

/* Once n messages wait: resume, and the log is expected once they ran
 * (a call queued behind them answers after them). */
static void resume_then_expect(srv_pid pid, size_t n, const char *expected)
{
    wait_queued(pid, n);
    cr_assert_eq(srv_sys_resume(pid, SRV_INFINITY), SRV_OK);
    later_get_reply r;
    cr_assert_eq(later_get(pid, &r), SRV_OK);
    assert_log(expected);
    later_stop(pid);
}

struct caller {
    srv_pid server;
    srv_status status;
    int64_t n;
};

static void *call_go(void *arg)
{
    struct caller *c = arg;
    later_go_reply r;
    c->status = later_go(c->server, &r);
    c->n = r.n;
    return NULL;
}

Test(continue_, init_continue_and_its_chain_run_before_the_message_init_sent, .timeout = T(10))
{
    later_log_clear();
    srv_pid pid;
    cr_assert_eq(later_start(0, &pid), SRV_OK);
    later_get_reply r;
    cr_assert_eq(later_get(pid, &r), SRV_OK);
    cr_assert_eq(r.n, 2, "continue b(2) ran with its argument");
    assert_log("continue_a continue_b from_init ");
    later_stop(pid);
}

Test(continue_, a_call_replies_then_its_continue_runs_before_the_queued_cast, .timeout = T(10))
{
    srv_pid pid = start_suspended();
    struct caller c = {pid, SRV_EINVAL, -1};
    pthread_t t;
    pthread_create(&t, NULL, call_go, &c);
    wait_queued(pid, 1);
    cr_assert_eq(later_after(pid, "cast_after_go"), SRV_OK);
    resume_then_expect(pid, 2, "call_go continue_go cast_after_go ");
    pthread_join(t, NULL);
    cr_assert_eq(c.status, SRV_OK);
    cr_assert_eq(c.n, 0);
}

Test(continue_, cast_and_info_continues_run_before_the_next_message, .timeout = T(10))
{
    srv_pid pid = start_suspended();
    cr_assert_eq(later_poke(pid, "cast_poke"), SRV_OK);
    cr_assert_eq(later_send_ping(pid, "info_ping"), SRV_OK);
    cr_assert_eq(later_after(pid, "cast_after"), SRV_OK);
    resume_then_expect(pid, 3, "cast_poke continue_poke info_ping continue_ping cast_after ");
}

Test(continue_, a_call_that_defers_its_reply_is_answered_by_its_continue, .timeout = T(10))
{
    later_log_clear();
    srv_pid pid;
    cr_assert_eq(later_start(0, &pid), SRV_OK);
    later_answer_later_reply r;
    cr_assert_eq(later_answer_later(pid, &r), SRV_OK);
    cr_assert_eq(r.n, 2);
    cr_assert(log_has("call_answer_later continue_answer "));
    later_stop(pid);
}

Test(continue_, the_timeout_a_continue_returns_is_armed, .timeout = T(10))
{
    later_log_clear();
    srv_pid pid;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    cr_assert_eq(later_arm(pid), SRV_OK);
    ASSERT_EVENTUALLY(log_has("cast_arm continue_tick timeout "));
    later_stop(pid);
}

/* A fresh log and a monitored server that the cast `send` ends: the
 * DOWN's reason. */
static srv_atom ended_by(srv_status (*send)(srv_pid))
{
    later_log_clear();
    srv_pid pid;
    srv_monitor_ref ref;
    cr_assert_eq(later_start_monitor(2, &pid, &ref), SRV_OK);
    cr_assert_eq(send(pid), SRV_OK);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(5000)), SRV_OK);
    return s.reason;
}

Test(continue_, a_continue_that_stops_ends_the_server_with_its_reason, .timeout = T(10))
{
    cr_assert_str_eq(ended_by(later_end), "quit");
    assert_log("continue_quit ");
}

Test(continue_, its_crash_report_shows_the_continue_as_the_last_message, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    ended_by(later_end);
    cr_assert_eq(c.reports, 1);
    cr_assert(strstr(c.text, "** Last message in was {continue,quit}") != NULL, "%s", c.text);
}

Test(continue_, no_memory_for_its_arguments_ends_the_server_with_out_of_memory, .timeout = T(10))
{
    cr_assert_str_eq(ended_by(later_starve), "out_of_memory");
    assert_log("");
}
