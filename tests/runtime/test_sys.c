/*
 * test_sys.c: sys: get_state, replace_state, suspend and resume; get_status
 * with format_status, trace and log (the debug option).
 */
#include <stdio.h>
#include <string.h>

#include "support.h"

Test(sys, get_state_prints_the_state, .timeout = T(10))
{
    srv_pid pid = start_counter(31);
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, 5000), SRV_OK);
    cr_assert(strstr(text.data, "total => 31") != NULL, "%s", text.data);
    srv_buf_free(&text);
    counter_stop(pid);
}

static void double_total(void *state, void *arg)
{
    (void)arg;
    ((counter_state *)state)->total *= 2;
}

Test(sys, replace_state_runs_inside_the_server, .timeout = T(10))
{
    srv_pid pid = start_counter(21);
    cr_assert_eq(srv_sys_replace_state(pid, double_total, NULL, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 42);
    counter_stop(pid);
}

Test(sys, suspended_server_holds_messages_until_resumed, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    counter_bump(pid, 5);
    counter_add_reply r;
    cr_assert_eq(counter_add_timeout(pid, 1, &r, 100), SRV_ETIMEOUT);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 6,
                 "the cast waited; the abandoned call ran after it, as in OTP");
    counter_stop(pid);
}

/* ---- get_status, trace and log: tests/otp/sys_status.erl, sys_log.erl */

#include <pthread.h>

#include "status.srv.h"

/* What the logger got, trace lines and reports, from any thread. */
static struct {
    pthread_mutex_t lock;
    srv_buf text;
} logged = {PTHREAD_MUTEX_INITIALIZER, {0}};

static void keep_log(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    pthread_mutex_lock(&logged.lock);
    srv_buf_printf(&logged.text, "%s", text);
    pthread_mutex_unlock(&logged.lock);
}

/* The text logged so far, taken (the caller frees it). */
static srv_buf take_log(void)
{
    pthread_mutex_lock(&logged.lock);
    srv_buf text = logged.text;
    logged.text = (srv_buf){0};
    pthread_mutex_unlock(&logged.lock);
    if (text.data == NULL)
        srv_buf_printf(&text, "%s", "");
    return text;
}

/* sys_status.erl's server: gen_server:start({local, Name}, ...) with
 * #{count => 1, secret => "pw"} and the debug option given. */
static srv_pid start_status(const char *name, bool trace, unsigned log)
{
    srv_start_opts opts = {.name = name};
    opts.debug.trace = trace;
    opts.debug.log = log;
    srv_start_result started;
    cr_assert_eq(status_start_opts(1, "pw", SRV_START_PLAIN, &opts, &started), SRV_OK);
    return started.pid;
}

static int64_t status_read(srv_pid pid)
{
    status_get_reply r;
    cr_assert_eq(status_get(pid, &r), SRV_OK);
    return r.count;
}

Test(sys, get_status_has_otp_layout_and_format_status_state, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    const char *p = srv_pid_format(pid).s;
    char want[1024];
    snprintf(want, sizeof want,
             "{status,%s,{module,gen_server},[[{'$initial_call',{status,init,1}}],"
             "running,%s,[],[{header,\"Status for generic server st\"},"
             "{data,[{\"Status\",running},{\"Parent\",%s},{\"Logged events\",[]}]},"
             "{data,[{\"State\",#{count => 1,secret => hidden}}]}]]}",
             p, p, p);
    cr_assert_str_eq(st.text.data, want);
    cr_assert(srv_pid_equal(st.pid, pid));
    cr_assert(srv_pid_equal(st.parent, pid), "a plain start is its own parent");
    cr_assert_str_eq(st.name, "st");
    cr_assert_str_eq(st.module, "status");
    cr_assert(!st.suspended);
    cr_assert_str_eq(st.state.data, "#{count => 1,secret => hidden}");
    cr_assert_str_eq(st.log.data, "[]");
    cr_assert_str_eq(st.debug.data, "[]");
    srv_sys_status_free(&st);
    status_stop(pid);
}

Test(sys, get_status_of_a_suspended_server_says_suspended, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert(st.suspended);
    cr_assert(strstr(st.text.data, "{\"Status\",suspended}") != NULL, "%s", st.text.data);
    cr_assert(strstr(st.text.data, "generic server <0.") != NULL, "no name: the pid");
    srv_sys_status_free(&st);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    status_stop(pid);
}

Test(sys, get_state_is_the_state_not_format_status, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, 5000), SRV_OK);
    cr_assert_str_eq(text.data, "#{count => 1,secret => <<\"pw\">>}");
    srv_buf_free(&text);
    status_stop(pid);
}

/* sys_status.erl's trace: a call, a cast, an info and a call, traced
 * with the state itself (format_status is not used); then trace off. */
Test(sys, trace_prints_every_message_in_and_out_as_dbg_lines, .timeout = T(10))
{
    srv_set_logger(keep_log, NULL);
    srv_buf old = take_log();
    srv_buf_free(&old);
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_trace(pid, true, 5000), SRV_OK);
    cr_assert_eq(status_read(pid), 1);
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    cr_assert_eq(status_send_hello(pid), SRV_OK);
    cr_assert_eq(status_read(pid), 3);
    cr_assert_eq(srv_sys_trace(pid, false, 5000), SRV_OK);
    cr_assert_eq(status_read(pid), 3);
    const char *me = srv_pid_format(srv_self()).s;
    char want[1024];
    snprintf(want, sizeof want,
             "*DBG* st got call get from %s\n"
             "*DBG* st sent 1 to %s, new state #{count => 1,secret => <<\"pw\">>}\n"
             "*DBG* st got cast {add,2}\n"
             "*DBG* st new state #{count => 3,secret => <<\"pw\">>}\n"
             "*DBG* st got hello\n"
             "*DBG* st new state #{count => 3,secret => <<\"pw\">>}\n"
             "*DBG* st got call get from %s\n"
             "*DBG* st sent 3 to %s, new state #{count => 3,secret => <<\"pw\">>}\n",
             me, me, me, me);
    srv_buf got = take_log();
    cr_assert_str_eq(got.data, want, "after trace off, nothing more");
    srv_buf_free(&got);
    status_stop(pid);
    srv_set_logger(NULL, NULL);
}

Test(sys, debug_trace_start_option_traces_from_the_first_message, .timeout = T(10))
{
    srv_set_logger(keep_log, NULL);
    srv_buf old = take_log();
    srv_buf_free(&old);
    srv_pid pid = start_status("st2", true, 0);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.debug.data, "[{trace,true}]");
    cr_assert(strstr(st.text.data, ",[{trace,true}],[{header,") != NULL, "%s", st.text.data);
    srv_sys_status_free(&st);
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    cr_assert_eq(status_read(pid), 3);
    srv_buf got = take_log();
    const char *want = "*DBG* st2 got cast {add,2}\n"
                       "*DBG* st2 new state #{count => 3,secret => <<\"pw\">>}\n"
                       "*DBG* st2 got call get from <0.";
    cr_assert(strncmp(got.data, want, strlen(want)) == 0, "%s", got.data);
    srv_buf_free(&got);
    status_stop(pid);
    srv_set_logger(NULL, NULL);
}

/* sys_log.erl: {debug, [{log, 3}]}: the last three events, oldest first,
 * in get_status (through format_status: the log is the runtime's print)
 * and in log get; log print writes them as *DBG* lines. */
Test(sys, log_keeps_the_last_n_events, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 3);
    cr_assert_eq(status_read(pid), 1);
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    cr_assert_eq(status_send_hello(pid), SRV_OK);
    cr_assert_eq(status_read(pid), 3);
    srv_buf log = {0};
    cr_assert_eq(srv_sys_log_get(pid, &log, 5000), SRV_OK);
    const char *me = srv_pid_format(srv_self()).s;
    char head[256];
    snprintf(head, sizeof head, "[{noreply,#{count => 3,secret => <<\"pw\">>}},"
                                "{in,{'$gen_call',{%s,#Ref<", me);
    cr_assert(strncmp(log.data, head, strlen(head)) == 0, "%s", log.data);
    cr_assert(strstr(log.data, "},get}},{out,3,{") != NULL, "%s", log.data);
    cr_assert(strstr(log.data, "},#{count => 3,secret => <<\"pw\">>}}]") != NULL, "%s", log.data);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.log.data, log.data);
    cr_assert(strncmp(st.debug.data, "[{log,{3,[{out,3,", 17) == 0, "newest first: %s",
              st.debug.data);
    srv_sys_status_free(&st);
    srv_buf_free(&log);

    srv_set_logger(keep_log, NULL);
    srv_buf old = take_log();
    srv_buf_free(&old);
    cr_assert_eq(srv_sys_log_print(pid, 5000), SRV_OK);
    srv_buf got = take_log();
    srv_set_logger(NULL, NULL);
    char want[512];
    snprintf(want, sizeof want,
             "*DBG* st new state #{count => 3,secret => <<\"pw\">>}\n"
             "*DBG* st got call get from %s\n"
             "*DBG* st sent 3 to %s, new state #{count => 3,secret => <<\"pw\">>}\n", me, me);
    cr_assert_str_eq(got.data, want);
    srv_buf_free(&got);

    cr_assert_eq(srv_sys_log(pid, 0, 5000), SRV_OK);
    cr_assert_eq(srv_sys_log_get(pid, &log, 5000), SRV_OK);
    cr_assert_str_eq(log.data, "[]", "log false drops the events");
    srv_buf_free(&log);
    status_stop(pid);
}

Test(sys, trace_and_log_of_a_dead_server_are_noproc, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    status_stop(pid);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_ENOPROC);
    cr_assert_eq(srv_sys_trace(pid, true, 5000), SRV_ENOPROC);
    cr_assert_eq(srv_sys_log(pid, 5, 5000), SRV_ENOPROC);
}

/* get_state for code that knows the module: the state itself, a copy
 * the caller owns; another module's pid is refused. */
Test(sys, typed_get_state_copies_the_state_itself, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    cr_assert_eq(status_add(pid, 4), SRV_OK);
    status_state state;
    cr_assert_eq(status_get_state(pid, &state, 5000), SRV_OK);
    cr_assert_eq(state.count, 5);
    cr_assert_str_eq(state.secret, "pw", "not format_status's");
    status_state_free(&state);
    cr_assert_eq(state.secret, NULL);
    srv_pid other = start_counter(0);
    cr_assert_eq(status_get_state(other, &state, 5000), SRV_EINVAL);
    counter_stop(other);
    status_stop(pid);
    cr_assert_eq(status_get_state(pid, &state, 5000), SRV_ENOPROC);
}
