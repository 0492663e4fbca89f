/*
 * test_log.c: the crash report on the logger, through format_status.
 */
#include <string.h>

#include "status.srv.h"
#include "support.h"

Test(crash_report, has_the_last_message_the_state_and_the_reason, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_pid pid = start_counter(12);
    counter_crash_reply r;
    cr_assert_eq(counter_crash(pid, "bad_thing", &r), SRV_EEXIT);
    cr_assert_eq(c.reports, 1);
    cr_assert(strstr(c.text, "** Generic server counter <0.") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "** Last message in was {crash,bad_thing}") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "total => 12") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "** Reason for termination ==\n** bad_thing\n") != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "** Client <0.") != NULL, "%s", c.text);
}

Test(crash_report, names_the_registered_name, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_start_opts opts = {.name = "named_crasher"};
    srv_start_result started;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &started),
                 SRV_OK);
    counter_crash_reply r;
    cr_assert_eq(counter_crash(started.pid, "bad_thing", &r), SRV_EEXIT);
    cr_assert_eq(c.reports, 1);
    cr_assert(strstr(c.text, " registered as named_crasher terminating") != NULL, "%s", c.text);
    srv_pid holder;
    cr_assert_eq(srv_whereis("named_crasher", &holder), SRV_ENOTREG, "the name is free after");
}

Test(crash_report, a_level_above_error_leaves_the_crash_unreported, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_set_log_level(SRV_LOG_NONE);
    counter_crash_reply r;
    cr_assert_eq(counter_crash(start_counter(1), "bad_thing", &r), SRV_EEXIT);
    srv_set_log_level(SRV_LOG_ERROR);
    cr_assert_eq(counter_crash(start_counter(2), "worse_thing", &r), SRV_EEXIT);
    cr_assert_eq(c.reports, 1, "only the crash under SRV_LOG_ERROR is reported");
    cr_assert(strstr(c.text, "worse_thing") != NULL, "%s", c.text);
}

Test(crash_report, normal_and_shutdown_exits_are_not_reported, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    counter_stop_timeout(start_counter(0), "normal", 5000);
    counter_stop_timeout(start_counter(0), "shutdown", 5000);
    cr_assert_eq(c.reports, 0);
}

/* tests/otp/sys_log.erl (st3): the state as format_status leaves it (the
 * secret hidden), then the log's events (the state in them unhidden),
 * then the client. */
Test(crash_report, goes_through_format_status_and_shows_the_log, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_start_opts opts = {.name = "st"};
    opts.debug.log = 2;
    srv_start_result started;
    cr_assert_eq(status_start_opts(12, "pw", SRV_START_PLAIN, &opts, &started), SRV_OK);
    cr_assert_eq(status_add(started.pid, 2), SRV_OK);
    status_crash_reply r;
    cr_assert_eq(status_crash(started.pid, "bad_thing", &r), SRV_EEXIT);
    cr_assert_eq(c.reports, 1);
    const char *want = "** Last message in was {crash,bad_thing}\n"
                       "** When Server state == #{count => 14,secret => hidden}\n"
                       "** Reason for termination ==\n"
                       "** bad_thing\n"
                       "** Log ==\n"
                       "** [{noreply,#{count => 14,secret => <<\"pw\">>}},"
                       "{in,{'$gen_call',{<0.";
    cr_assert(strstr(c.text, want) != NULL, "%s", c.text);
    cr_assert(strstr(c.text, "{crash,bad_thing}}}]\n** Client <0.") != NULL, "%s", c.text);
}

/* A crash report without a log has no "** Log ==" lines, as OTP's. */
Test(crash_report, has_no_log_lines_without_a_log, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    srv_pid pid;
    cr_assert_eq(status_start(1, "pw", &pid), SRV_OK);
    status_crash_reply r;
    cr_assert_eq(status_crash(pid, "bad_thing", &r), SRV_EEXIT);
    cr_assert_eq(c.reports, 1);
    cr_assert(strstr(c.text, "** Log ==") == NULL, "%s", c.text);
    cr_assert(strstr(c.text, "secret => hidden") != NULL, "%s", c.text);
}
