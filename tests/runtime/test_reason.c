/*
 * test_reason.c: exit reasons with detail, {Reason, Detail}: what
 * terminate, links, monitors, callers, starters and crash reports see of
 * {shutdown, Detail}, {bad_return_value, Value}, exit({oops, Detail}) and
 * gen_server:call's {noproc, {gen_server, call, [Server, Request]}}.
 * Twin: tests/otp/exit_detail.erl.
 */
#include <stdio.h>
#include <string.h>

#include "parting.srv.h"
#include "support.h"

/* The logger's reports, counted, and the last one: each test starts
 * with setup(). */
static struct captured reports;

static void setup(void)
{
    memset(&reports, 0, sizeof reports);
    srv_set_logger(capture, &reports);
    parting_log_clear();
}

static bool logged(const char *line)
{
    char text[4096];
    parting_log_read(text, sizeof text);
    return strstr(text, line) != NULL;
}

/* A crash report came, and the last one holds text. */
static void assert_reported(const char *text)
{
    ASSERT_EVENTUALLY(reports.reports > 0);
    cr_assert(strstr(reports.text, text) != NULL, "%s", reports.text);
}

/* A crash with reason whole: terminate had it, the watcher's info exit
 * or info down (seen: "exit", "down") too, and the report has it. */
static void assert_crashed_with(const char *whole, const char *seen)
{
    char line[256];
    snprintf(line, sizeof line, "terminate %s\n", whole);
    ASSERT_EVENTUALLY(logged(line));
    snprintf(line, sizeof line, "%s %s\n", seen, whole);
    ASSERT_EVENTUALLY(logged(line));
    snprintf(line, sizeof line, "** Reason for termination ==\n** %s\n", whole);
    assert_reported(line);
}

static srv_pid start_parting(void)
{
    srv_pid pid;
    cr_assert_eq(parting_start(0, &pid), SRV_OK);
    return pid;
}

/* A parting server that traps exits and links to (or monitors) target. */
static srv_pid watcher_of(srv_pid target, bool link)
{
    srv_pid watcher = start_parting();
    cr_assert_eq(parting_watch(watcher, target, link, NULL), SRV_OK);
    return watcher;
}

static void stop_watcher(srv_pid watcher)
{
    cr_assert_eq(parting_stop(watcher), SRV_OK);
}

Test(reason, detail_is_made_shared_compared_and_printed, .timeout = T(20))
{
    setup();
    const srv_detail *d = srv_detail_new("going_home");
    const srv_detail *e = srv_detail_printf("{conn,%d}", 7);
    cr_assert_str_eq(srv_detail_text(d), "going_home");
    cr_assert_str_eq(srv_detail_text(e), "{conn,7}");
    cr_assert(srv_detail_retain(d) == d);
    srv_detail_release(d); /* the retained one: d is still alive */
    const srv_detail *same = srv_detail_new("going_home");
    cr_assert(srv_detail_equal(d, same));
    cr_assert_not(srv_detail_equal(d, e));
    cr_assert_not(srv_detail_equal(d, NULL));
    cr_assert(srv_detail_equal(NULL, NULL));
    srv_buf text = {0};
    srv_buf_put_reason(&text, SRV_SHUTDOWN, d);
    srv_buf_printf(&text, " ");
    srv_buf_put_reason(&text, SRV_NORMAL, NULL);
    cr_assert_str_eq(text.data, "{shutdown,going_home} normal");
    srv_buf_free(&text);
    srv_detail_release(d);
    srv_detail_release(same);
    srv_detail_release(e);
    srv_detail_release(NULL);
}

Test(reason, quiet_reasons_are_normal_shutdown_and_shutdown_with_detail, .timeout = T(20))
{
    setup();
    const srv_detail *d = srv_detail_new("x");
    cr_assert(srv_reason_is_quiet(SRV_NORMAL, NULL));
    cr_assert(srv_reason_is_quiet(SRV_SHUTDOWN, NULL));
    cr_assert(srv_reason_is_quiet(SRV_SHUTDOWN, d));
    cr_assert_not(srv_reason_is_quiet(SRV_NORMAL, d));
    cr_assert_not(srv_reason_is_quiet(srv_atom_from("oops"), NULL));
    srv_detail_release(d);
}

/* Twin: {stop_with, {shutdown, going_home}}: the caller gets its reply,
 * terminate, the DOWN and the EXIT get the reason whole, and no report. */
Test(reason, stop_with_shutdown_detail_reaches_terminate_links_and_monitors_quietly, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid monitoring = watcher_of(p, false), linked = watcher_of(p, true);
    parting_stop_with_reply said;
    cr_assert_eq(parting_stop_with(p, SRV_SHUTDOWN, "going_home", &said), SRV_OK);
    cr_assert_str_eq(said.said, "stopped");
    ASSERT_EVENTUALLY(logged("terminate {shutdown,going_home}\n"));
    ASSERT_EVENTUALLY(logged("down {shutdown,going_home}\n"));
    ASSERT_EVENTUALLY(logged("exit {shutdown,going_home}\n"));
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
    stop_watcher(monitoring);
    stop_watcher(linked);
}

/* Twin: a caller left waiting by {stop, {shutdown, going_home}, State}
 * exits {{shutdown,going_home},{gen_server,call,[P,Request]}}. */
Test(reason, caller_of_a_stop_hears_the_reason_and_its_detail, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_call_result result;
    cr_assert_eq(parting_stop_silently_full(p, SRV_SHUTDOWN, "going_home", NULL, 1000, &result),
                 SRV_EEXIT);
    cr_assert_eq(result.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(result.detail), "going_home");
    char want[256];
    snprintf(want, sizeof want,
             "{{shutdown,going_home},{gen_server,call,[%s,{stop_silently,shutdown,"
             "<<\"going_home\">>},1000]}}",
             srv_pid_format(p).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
}

/* A request (send_request) whose server stops: receive_response hears
 * the reason with its detail, as a call's caller does. */
Test(reason, request_of_a_stopping_server_hears_the_detail, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_request_id req;
    cr_assert_eq(parting_stop_silently_send_request(p, SRV_SHUTDOWN, "going_home", &req),
                 SRV_OK);
    srv_call_result result;
    cr_assert_eq(srv_receive_response(&req, T(5000), NULL, &result), SRV_EEXIT);
    cr_assert_eq(result.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(result.detail), "going_home");
}

/* Twin: bad: {bad_return_value, Returned} for terminate, the DOWN, the
 * caller, and in the crash report. */
Test(reason, bad_return_value_carries_what_the_handler_returned, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid monitoring = watcher_of(p, false);
    srv_call_result result;
    cr_assert_eq(parting_bad_full(p, NULL, SRV_DEFAULT_CALL_TIMEOUT, &result), SRV_EEXIT);
    cr_assert_eq(result.reason, srv_atom_bad_return_value);
    cr_assert_str_eq(srv_detail_text(result.detail), "{reply,'...',#{n => 0},-5}");
    char want[256];
    snprintf(want, sizeof want,
             "{{bad_return_value,{reply,'...',#{n => 0},-5}},{gen_server,call,[%s,bad]}}",
             srv_pid_format(p).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);
    assert_crashed_with("{bad_return_value,{reply,'...',#{n => 0},-5}}", "down");
    stop_watcher(monitoring);
}

/* Twin: "call to the dead pid": {noproc,{gen_server,call,[P,get]}}. */
Test(reason, call_to_a_dead_pid_exits_noproc_with_the_call, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    cr_assert_eq(parting_stop(p), SRV_OK);
    srv_call_result result;
    cr_assert_eq(parting_get_full(p, NULL, SRV_DEFAULT_CALL_TIMEOUT, &result), SRV_ENOPROC);
    cr_assert_eq(result.reason, SRV_NOPROC);
    cr_assert_null(result.detail);
    char want[128];
    snprintf(want, sizeof want, "{noproc,{gen_server,call,[%s,get]}}", srv_pid_format(p).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);
}

/* Twin: a call to a name nobody holds: {noproc,{gen_server,call,[nobody,get]}}. */
Test(reason, call_to_a_free_name_exits_noproc_with_the_name, .timeout = T(20))
{
    setup();
    srv_call_result result;
    srv_ref nobody = {.kind = SRV_REF_NAME, .name = "nobody"};
    cr_assert_eq(srv_call_to(nobody, &parting_module, message_named(&parting_module, "get"),
                             NULL, NULL, SRV_DEFAULT_CALL_TIMEOUT, &result),
                 SRV_ENOPROC);
    cr_assert_eq(result.reason, SRV_NOPROC);
    cr_assert_str_eq(srv_detail_text(result.exit), "{noproc,{gen_server,call,[nobody,get]}}");
}

/* Twin: hold: a call/3 that times out: {timeout,{gen_server,call,[P,hold,10]}}. */
Test(reason, call_that_times_out_exits_timeout_with_the_call_and_its_timeout, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_call_result result;
    cr_assert_eq(parting_hold_full(p, NULL, 10, &result), SRV_ETIMEOUT);
    cr_assert_eq(result.reason, srv_atom_timeout);
    char want[128];
    snprintf(want, sizeof want, "{timeout,{gen_server,call,[%s,hold,10]}}",
             srv_pid_format(p).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);
    cr_assert_eq(parting_stop(p), SRV_OK);
}

/* exit({oops, disk_full}) in a handler: a crash, reported whole. */
Test(reason, exit_with_detail_is_a_crash_reported_whole, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid linked = watcher_of(p, true);
    srv_call_result result;
    cr_assert_eq(parting_crash_full(p, "disk_full", NULL, SRV_DEFAULT_CALL_TIMEOUT, &result),
                 SRV_EEXIT);
    cr_assert_str_eq(result.reason, "oops");
    cr_assert_str_eq(srv_detail_text(result.detail), "disk_full");
    assert_crashed_with("{oops,disk_full}", "exit");
    stop_watcher(linked);
}

/* Twin: {normal, x} is not quiet: a crash report, as OTP writes. */
Test(reason, normal_with_detail_is_reported, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    parting_stop_with_reply said;
    cr_assert_eq(parting_stop_with(p, SRV_NORMAL, "x", &said), SRV_OK);
    assert_reported("** {normal,x}\n");
}

/* Twin: a cast's {stop, {shutdown, bye}, State}: quiet; the DOWN has it. */
Test(reason, cast_stop_with_detail_reaches_the_monitor, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid monitoring = watcher_of(p, false);
    cr_assert_eq(parting_leave(p, "bye"), SRV_OK);
    ASSERT_EVENTUALLY(logged("down {shutdown,bye}\n"));
    cr_assert(logged("terminate {shutdown,bye}\n"));
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
    stop_watcher(monitoring);
}

/* Twin: link got {shutdown,42}: a plain thread that links receives the
 * EXIT with its detail. */
Test(reason, plain_thread_receives_the_exit_with_its_detail, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    cr_assert_eq(srv_link(p), SRV_OK);
    parting_stop_with_reply said;
    cr_assert_eq(parting_stop_with(p, SRV_SHUTDOWN, "42", &said), SRV_OK);
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(signal.pid, p));
    cr_assert_eq(signal.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(signal.detail), "42");
}

/* gen_server:stop(P, {shutdown, rebalance}): terminate and the DOWN see
 * it; the stop is answered ok. */
Test(reason, stop_with_detail_reaches_terminate_and_monitors, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(p, &ref), SRV_OK);
    cr_assert_eq(srv_stop_detail(p, SRV_SHUTDOWN, srv_detail_new("rebalance"), T(5000), NULL),
                 SRV_OK);
    cr_assert(logged("terminate {shutdown,rebalance}\n"));
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(signal.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(signal.detail), "rebalance");
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
}

/* The generated stop with a detail, by pid and by name; a name nobody
 * holds is noproc, and the detail given is released all the same (LSan
 * sees a leak otherwise). */
Test(reason, generated_stop_detail_by_pid_and_by_name_reaches_terminate, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    cr_assert_eq(parting_stop_detail(p, SRV_SHUTDOWN, srv_detail_new("by_pid"), T(5000)), SRV_OK);
    cr_assert(logged("terminate {shutdown,by_pid}\n"));
    srv_pid named = start_parting();
    cr_assert_eq(srv_register("parting_named", named), SRV_OK);
    cr_assert_eq(parting_stop_detail("parting_named", SRV_SHUTDOWN, srv_detail_new("by_name"),
                                     T(5000)),
                 SRV_OK);
    cr_assert(logged("terminate {shutdown,by_name}\n"));
    cr_assert_eq(parting_stop_detail("parting_named", SRV_SHUTDOWN, srv_detail_new("gone"),
                                     T(5000)),
                 SRV_ENOPROC);
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
}

/* A stop that waits behind a busy server's handler (queued, as a system
 * message) carries its detail too. */
Test(reason, stop_with_detail_of_a_busy_server_reaches_terminate, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid monitoring = watcher_of(p, false);
    cr_assert_eq(parting_nap(p, 50), SRV_OK);
    srv_call_result result;
    cr_assert_eq(srv_stop_detail(p, SRV_SHUTDOWN, srv_detail_new("queued"), T(5000), &result),
                 SRV_OK);
    cr_assert(logged("terminate {shutdown,queued}\n"));
    ASSERT_EVENTUALLY(logged("down {shutdown,queued}\n"));
    stop_watcher(monitoring);
}

/* init's {stop, {shutdown, no_config}}: the starter gets it whole. */
Test(reason, init_stop_with_detail_reaches_the_starter, .timeout = T(20))
{
    setup();
    int mode = 1;
    srv_start_result result;
    cr_assert_eq(srv_start(&parting_module, &mode, SRV_START_PLAIN, NULL, &result), SRV_EINIT);
    cr_assert_eq(result.reason, SRV_SHUTDOWN);
    cr_assert_str_eq(srv_detail_text(result.detail), "no_config");
}

/* init's {ok, State, -7}: {bad_return_value, {ok,State,-7}}. */
Test(reason, init_bad_return_value_carries_what_init_returned, .timeout = T(20))
{
    setup();
    int mode = 2;
    srv_start_result result;
    cr_assert_eq(srv_start(&parting_module, &mode, SRV_START_PLAIN, NULL, &result),
                 SRV_EBADRETURN);
    cr_assert_eq(result.reason, srv_atom_bad_return_value);
    cr_assert_str_eq(srv_detail_text(result.detail), "{ok,#{n => 0},-7}");
    assert_reported("** {bad_return_value,{ok,#{n => 0},-7}}\n");
}

/* The DOWN the calling thread gets for pid, with its reason whole. */
static void assert_down(srv_pid pid, const char *reason, const char *detail)
{
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_DOWN);
    cr_assert(srv_pid_equal(signal.pid, pid));
    cr_assert_str_eq(signal.reason, reason);
    cr_assert_str_eq(srv_detail_text(signal.detail), detail);
}

/* Twin: chain: a linked process that does not trap exits ends with
 * {shutdown,42} whole, and its own monitor sees that. */
Test(reason, linked_process_that_does_not_trap_ends_with_the_reason_whole, .timeout = T(20))
{
    setup();
    srv_pid first = start_parting(), second = start_parting();
    cr_assert_eq(parting_link_to(second, first, NULL), SRV_OK);
    cr_assert_eq(srv_monitor(second, NULL), SRV_OK);
    parting_stop_with_reply said;
    cr_assert_eq(parting_stop_with(first, SRV_SHUTDOWN, "42", &said), SRV_OK);
    assert_down(second, "shutdown", "42");
    cr_assert_not(logged("terminate {shutdown,42}\nterminate {shutdown,42}\n"),
                  "the second ran terminate: it does not trap exits");
}

/* Twin: exit(P, {oops, boom}) ends a server that does not trap with it,
 * without terminate or a report. */
Test(reason, exit_signal_with_detail_ends_a_server_with_it, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    cr_assert_eq(srv_monitor(p, NULL), SRV_OK);
    cr_assert_eq(srv_exit_signal_detail(p, srv_atom_from("oops"), srv_detail_new("boom")),
                 SRV_OK);
    assert_down(p, "oops", "boom");
    cr_assert_not(logged("terminate"));
    cr_assert_eq(reports.reports, 0, "a report: %s", reports.text);
}

/* Twin: a server that traps exits gets exit(P, {oops, boom}) whole in
 * its info exit. */
Test(reason, exit_signal_with_detail_reaches_a_trapping_server, .timeout = T(20))
{
    setup();
    srv_pid other = start_parting();
    srv_pid watcher = watcher_of(other, false);
    cr_assert_eq(srv_exit_signal_detail(watcher, srv_atom_from("oops"), srv_detail_new("boom")),
                 SRV_OK);
    ASSERT_EVENTUALLY(logged("exit {oops,boom}\n"));
    stop_watcher(watcher);
    cr_assert_eq(parting_stop(other), SRV_OK);
}

/* sys: an EXIT with a detail is logged whole among the events that
 * sys:log keeps and get_status shows ({in,{'EXIT',Pid,{shutdown,42}}}). */
Test(reason, sys_log_and_get_status_show_an_exit_whole, .timeout = T(20))
{
    setup();
    srv_pid p = start_parting();
    srv_pid linked = watcher_of(p, true);
    cr_assert_eq(srv_sys_log(linked, 10, T(5000)), SRV_OK);
    parting_stop_with_reply said;
    cr_assert_eq(parting_stop_with(p, SRV_SHUTDOWN, "42", &said), SRV_OK);
    ASSERT_EVENTUALLY(logged("exit {shutdown,42}\n"));
    char want[128];
    snprintf(want, sizeof want, "{'EXIT',%s,{shutdown,42}}", srv_pid_format(p).s);
    srv_buf log = {0};
    cr_assert_eq(srv_sys_log_get(linked, &log, T(5000)), SRV_OK);
    cr_assert(strstr(log.data, want) != NULL, "%s", log.data);
    srv_buf_free(&log);
    srv_sys_status status;
    cr_assert_eq(srv_sys_get_status(linked, &status, T(5000)), SRV_OK);
    cr_assert(strstr(status.text.data, want) != NULL, "%s", status.text.data);
    srv_sys_status_free(&status);
    stop_watcher(linked);
}
