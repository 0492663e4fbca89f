/*
 * test_sys.c: sys: get_state, replace_state, suspend and resume; get_status
 * with format_status, trace and log (the debug option), statistics,
 * change_code, log_to_file, and the debug functions of install and remove.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "peer.srv.h"
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

/* queue_len.erl: casts to a suspended server, then sys:resume and a
 * call: the call's reply counts every cast, as the mailbox is one queue.
 * The held casts take several turns of the server; a caller that finds it
 * idle between two of them must not run its call ahead of the rest.  A
 * round misses that moment more often than not: many rounds find it. */
Test(sys, a_call_after_resume_comes_after_all_mail_held_while_suspended, .timeout = T(30))
{
    enum { ROUNDS = 200, CASTS = 1000 };
    srv_pid pid = start_counter(0);
    for (int round = 1; round <= ROUNDS; round++) {
        cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
        for (int i = 0; i < CASTS; i++)
            cr_assert_eq(counter_bump(pid, 1), SRV_OK);
        cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
        long casts = counter_read(pid).casts;
        cr_assert_eq(casts, (long)round * CASTS, "round %d: the call overtook held casts: %ld",
                     round, casts);
    }
    counter_stop(pid);
}

/* ---- get_status, trace and log: tests/otp/sys_status.erl, sys_log.erl */

#include <pthread.h>

#include "status.srv.h"

/* A text that any thread adds to and the test takes. */
struct shared_text {
    pthread_mutex_t lock;
    srv_buf text;
};

static void shared_add(struct shared_text *shared, const char *text)
{
    pthread_mutex_lock(&shared->lock);
    srv_buf_printf(&shared->text, "%s", text);
    pthread_mutex_unlock(&shared->lock);
}

/* The text so far, taken ("" if none; the caller frees it). */
static srv_buf shared_take(struct shared_text *shared)
{
    pthread_mutex_lock(&shared->lock);
    srv_buf text = shared->text;
    shared->text = (srv_buf){0};
    pthread_mutex_unlock(&shared->lock);
    if (text.data == NULL)
        srv_buf_printf(&text, "%s", "");
    return text;
}

/* What the logger got, trace lines and reports, from any thread. */
static struct shared_text logged = {PTHREAD_MUTEX_INITIALIZER, {0}};

static void keep_log(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    shared_add(&logged, text);
}

static srv_buf take_log(void)
{
    return shared_take(&logged);
}

/* The logger keeps what comes from here on. */
static void log_afresh(void)
{
    srv_set_logger(keep_log, NULL);
    srv_buf old = take_log();
    srv_buf_free(&old);
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
    srv_pid_text p = srv_pid_format(pid), me = srv_pid_format(srv_self());
    char want[1024];
    snprintf(want, sizeof want,
             "{status,%s,{module,gen_server},[[{'$initial_call',{status,init,1}},"
             "{'$ancestors',[%s]}],"
             "running,%s,[],[{header,\"Status for generic server st\"},"
             "{data,[{\"Status\",running},{\"Parent\",%s},{\"Logged events\",[]}]},"
             "{data,[{\"State\",#{count => 1,secret => hidden}}]}]]}",
             p.s, me.s, p.s, p.s);
    cr_assert_str_eq(st.text.data, want);
    cr_assert(srv_pid_equal(st.pid, pid));
    cr_assert(srv_pid_equal(st.parent, pid), "a plain start is its own parent");
    cr_assert_str_eq(st.name, "st");
    cr_assert_str_eq(st.module, "status");
    cr_assert(!st.suspended);
    cr_assert_str_eq(st.state.data, "#{count => 1,secret => hidden}");
    cr_assert_str_eq(st.log.data, "[]");
    cr_assert_str_eq(st.debug.data, "[]");
    char ancestors[64];
    snprintf(ancestors, sizeof ancestors, "[%s]", me.s);
    cr_assert_str_eq(st.ancestors.data, ancestors, "the plain thread that started it");
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

/* proc_lib's '$ancestors' (twin: tests/otp/ancestors.erl): a server's
 * starter, then the starter's, each by its registered name if it has
 * one; the plain thread that started the first ends the list.  A plain
 * start keeps its starter only where the server has its extra part from
 * the start (here, its name): an idle unnamed one keeps none. */
Test(sys, get_status_shows_the_ancestors_by_name_or_pid, .timeout = T(10))
{
    srv_start_opts opts = {.name = "elder"};
    srv_start_result started;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &started),
                 SRV_OK);
    srv_pid elder = started.pid;
    long before = atomic_load(&counter_observed.children);
    cr_assert_eq(counter_start_child(elder, COUNTER_INIT_OK), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.children) == before + 1);
    uint64_t c = atomic_load(&counter_observed.child);
    srv_pid child = {0, (uint32_t)(c >> 32), (uint32_t)c};
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(child, &st, 5000), SRV_OK);
    char want[128];
    snprintf(want, sizeof want, "[elder,%s]", srv_pid_format(srv_self()).s);
    cr_assert_str_eq(st.ancestors.data, want);
    cr_assert(srv_pid_equal(st.parent, elder), "start_link: the starter is the parent");
    cr_assert(strstr(st.text.data, "{'$initial_call',{counter,init,1}},{'$ancestors',") != NULL,
              "%s", st.text.data);
    srv_sys_status_free(&st);
    cr_assert_eq(srv_sys_get_status(elder, &st, 5000), SRV_OK);
    snprintf(want, sizeof want, "[%s]", srv_pid_format(srv_self()).s);
    cr_assert_str_eq(st.ancestors.data, want);
    srv_sys_status_free(&st);
    counter_stop(child);
    counter_stop(elder);
    srv_pid unnamed = start_counter(0);
    cr_assert_eq(srv_sys_get_status(unnamed, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.ancestors.data, "[]", "it kept no starter");
    srv_sys_status_free(&st);
    counter_stop(unnamed);
}

/* A format_status that exits with a detail is caught as well, and the
 * detail it gave is released (ASan and LSan see it). */
Test(sys, format_status_exiting_with_a_detail_is_caught, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(status_start(1, "crash_detail", &pid), SRV_OK);
    for (int i = 0; i < 2; i++) {
        srv_sys_status st;
        cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
        cr_assert_str_eq(st.state.data, "\"status:format_status/1 crashed\"");
        srv_sys_status_free(&st);
    }
    cr_assert_eq(status_stop(pid), SRV_OK);
}

/* tests/otp/format_status_crash.erl: a format_status that exits is
 * caught, as gen:format_status/4 catches a crash: get_status and the
 * crash report show the state as "status:format_status/1 crashed", the
 * last message and the reason as they were; get_state is untouched. */
Test(sys, crashing_format_status_is_caught_as_otp_25_catches_it, .timeout = T(10))
{
    log_afresh();
    srv_start_result started;
    srv_start_opts opts = {.name = "fsc"};
    cr_assert_eq(status_start_opts(1, "crash", SRV_START_PLAIN, &opts, &started), SRV_OK);
    srv_pid pid = started.pid;
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.state.data, "\"status:format_status/1 crashed\"");
    cr_assert(strstr(st.text.data,
                     "{data,[{\"State\",\"status:format_status/1 crashed\"}]}") != NULL,
              "%s", st.text.data);
    srv_sys_status_free(&st);
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, 5000), SRV_OK);
    cr_assert_str_eq(text.data, "#{count => 1,secret => <<\"crash\">>}");
    srv_buf_free(&text);
    status_crash_reply r;
    srv_call_result why = {NULL};
    cr_assert_eq(status_crash_full(pid, srv_atom_from("boom"), &r, 5000, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "boom", "the handler's reason, not format_status's");
    srv_buf got = take_log();
    cr_assert(strstr(got.data, "** Last message in was {crash,boom}\n"
                               "** When Server state == \"status:format_status/1 crashed\"\n"
                               "** Reason for termination ==\n** boom\n") != NULL,
              "%s", got.data);
    srv_buf_free(&got);
    srv_set_logger(NULL, NULL);
}

/* sys_status.erl's trace: a call, a cast, an info and a call, traced
 * with the state itself (format_status is not used); then trace off. */
Test(sys, trace_prints_every_message_in_and_out_as_dbg_lines, .timeout = T(10))
{
    log_afresh();
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

/* tests/otp/trace_continue.erl: a continue is a dbg event before the
 * state it leaves; the log keeps it as {continue,C}; statistics do not
 * count it as a message in. */
Test(sys, trace_shows_a_continue_as_otp_25_prints_it, .timeout = T(10))
{
    log_afresh();
    srv_pid pid = start_status("stc", false, 0);
    cr_assert_eq(srv_sys_trace(pid, true, 5000), SRV_OK);
    cr_assert_eq(srv_sys_log(pid, 10, 5000), SRV_OK);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    status_grow_later_reply r;
    cr_assert_eq(status_grow_later(pid, 10, &r), SRV_OK);
    cr_assert_eq(r.count, 1);
    cr_assert_eq(status_step(pid), SRV_OK);
    srv_buf log = {0};
    cr_assert_eq(srv_sys_log_get(pid, &log, 5000), SRV_OK);
    cr_assert(strstr(log.data, "{continue,{grow,10}},{noreply,") != NULL, "%s", log.data);
    cr_assert(strstr(log.data, "{continue,more},{noreply,") != NULL, "%s", log.data);
    srv_buf_free(&log);
    srv_statistics stats;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &stats, 5000), SRV_OK);
    cr_assert_eq(stats.messages_in, 2, "the call and the cast, not the continues");
    cr_assert_eq(stats.messages_out, 1);
    cr_assert_eq(srv_sys_trace(pid, false, 5000), SRV_OK);
    const char *me = srv_pid_format(srv_self()).s;
    char want[1024];
    snprintf(want, sizeof want,
             "*DBG* stc got call {grow_later,10} from %s\n"
             "*DBG* stc sent 1 to %s, new state #{count => 1,secret => <<\"pw\">>}\n"
             "*DBG* stc dbg  {continue,{grow,10}}\n"
             "*DBG* stc new state #{count => 11,secret => <<\"pw\">>}\n"
             "*DBG* stc got cast step\n"
             "*DBG* stc new state #{count => 11,secret => <<\"pw\">>}\n"
             "*DBG* stc dbg  {continue,more}\n"
             "*DBG* stc new state #{count => 12,secret => <<\"pw\">>}\n",
             me, me);
    srv_buf got = take_log();
    cr_assert_str_eq(got.data, want);
    srv_buf_free(&got);
    status_stop(pid);
    srv_set_logger(NULL, NULL);
}

Test(sys, debug_trace_start_option_traces_from_the_first_message, .timeout = T(10))
{
    log_afresh();
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

    log_afresh();
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

/* sys:no_debug: every debug option off at once; get_status's Debug is
 * [] again, and the trace prints nothing more. */
Test(sys, no_debug_turns_trace_log_and_statistics_off, .timeout = T(10))
{
    srv_set_logger(keep_log, NULL);
    srv_pid pid = start_status("nd", true, 5);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert(strcmp(st.debug.data, "[]") != 0, "%s", st.debug.data);
    srv_sys_status_free(&st);
    cr_assert_eq(srv_sys_no_debug(pid, 5000), SRV_OK);
    srv_buf old = take_log();
    srv_buf_free(&old);
    cr_assert_eq(status_read(pid), 2);
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.debug.data, "[]");
    cr_assert_str_eq(st.log.data, "[]");
    srv_sys_status_free(&st);
    srv_statistics stats;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &stats, 5000), SRV_OK);
    cr_assert(!stats.on);
    srv_buf got = take_log();
    cr_assert(got.data == NULL || strstr(got.data, "*DBG*") == NULL, "%s", got.data);
    srv_buf_free(&got);
    status_stop(pid);
    cr_assert_eq(srv_sys_no_debug(pid, 5000), SRV_ENOPROC);
    srv_set_logger(NULL, NULL);
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

/* sys:statistics (twin: tests/otp/sys_status.erl, its statistics line):
 * after a call and a cast, 2 messages in, 1 out (the call's reply). */
Test(sys, statistics_count_messages_in_and_out_from_when_turned_on, .timeout = T(10))
{
    srv_pid pid = start_counter(1);
    counter_read(pid); /* before: not counted */
    int64_t before = (int64_t)time(NULL);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    counter_read(pid);
    cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    srv_statistics s;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    cr_assert(s.on);
    cr_assert_eq(s.messages_in, 2);
    cr_assert_eq(s.messages_out, 1);
    cr_assert_eq(s.reductions, 2);
    cr_assert(s.start_time >= before && s.start_time <= s.current_time);
    cr_assert(s.current_time <= (int64_t)time(NULL));
    /* sys keeps them among its debug options: get_status's Debug shows
     * {statistics,{StartTime,{reductions,R},In,Out}} */
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert(strncmp(st.debug.data, "[{statistics,{{{", 16) == 0, "%s", st.debug.data);
    cr_assert(strstr(st.debug.data, "},{reductions,2},2,1}}]") != NULL, "%s", st.debug.data);
    srv_sys_status_free(&st);
    counter_stop(pid);
}

Test(sys, statistics_off_gives_none_and_on_again_starts_afresh, .timeout = T(10))
{
    srv_pid pid = start_counter(1);
    srv_statistics s;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    cr_assert_not(s.on, "off until turned on: sys's no_statistics");
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    counter_read(pid);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_OFF, NULL, 5000), SRV_OK);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    cr_assert_not(s.on);
    cr_assert_eq(s.messages_in, 0);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    cr_assert(s.on);
    cr_assert_eq(s.messages_in, 0, "on again forgets the old counts");
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, NULL, 5000), SRV_EINVAL);
    cr_assert_eq(srv_sys_statistics(pid, 0, NULL, 5000), SRV_EINVAL);
    counter_stop(pid);
}

Test(sys, statistics_count_timeouts_and_info_as_messages_in, .timeout = T(10))
{
    srv_pid pid = start_counter(1);
    long timeouts = atomic_load(&counter_observed.timeouts);
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_ON, NULL, 5000), SRV_OK);
    cr_assert_eq(counter_send_tick(pid, 1), SRV_OK);
    cr_assert_eq(counter_arm_timeout(pid, 1, NULL), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.timeouts) == timeouts + 1);
    srv_statistics s;
    cr_assert_eq(srv_sys_statistics(pid, SRV_STATISTICS_GET, &s, 5000), SRV_OK);
    /* tick, arm_timeout (out: its reply), timeout: each a handler run */
    cr_assert_eq(s.messages_in, 3);
    cr_assert_eq(s.messages_out, 1);
    cr_assert_eq(s.reductions, 3);
    counter_stop(pid);
}

/* sys:change_code through suspend / code_change / resume (twin:
 * tests/otp/sys_status.erl, its change_code lines). */
Test(sys, change_code_on_a_suspended_server_runs_code_change, .timeout = T(10))
{
    srv_pid pid = start_counter(4);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    int extra = 5;
    cr_assert_eq(srv_sys_change_code(pid, &counter_module, "1", &extra, 5000, NULL), SRV_OK);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 105);
    counter_stop(pid);
}

Test(sys, change_code_while_running_is_refused_and_runs_nothing, .timeout = T(10))
{
    srv_pid pid = start_counter(4);
    srv_call_result r;
    cr_assert_eq(srv_sys_change_code(pid, &counter_module, "1", NULL, 5000, &r), SRV_ERUNNING);
    cr_assert_eq(counter_read(pid).total, 4);
    counter_stop(pid);
}

Test(sys, code_change_that_fails_leaves_the_server_suspended_and_alive, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid pid = start_counter(4);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_call_result r;
    cr_assert_eq(srv_sys_change_code(pid, &counter_module, "bad", NULL, 5000, &r), SRV_ECHANGE);
    cr_assert_str_eq(r.reason, "bad_vsn");
    cr_assert_eq(srv_sys_change_code(pid, &counter_module, "crash", NULL, 5000, &r), SRV_ECHANGE);
    cr_assert_str_eq(r.reason, "change_crashed");
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 4);
    counter_stop(pid);
}

Test(sys, change_code_of_another_module_is_einval, .timeout = T(10))
{
    srv_pid pid = start_counter(4);
    cr_assert_eq(srv_sys_change_code(pid, &peer_module, "1", NULL, 5000, NULL), SRV_EINVAL);
    counter_stop(pid);
}

Test(sys, change_code_of_a_module_without_code_change_fails_with_undef, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(peer_start(&pid), SRV_OK);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_call_result r;
    cr_assert_eq(srv_sys_change_code(pid, &peer_module, "1", NULL, 5000, &r), SRV_ECHANGE);
    cr_assert_str_eq(r.reason, "undef");
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(srv_stop(pid, SRV_NORMAL, 5000, NULL), SRV_OK);
}

/* ---- sys:install and remove: tests/otp/sys_install.erl */

#include <stdatomic.h>
#include <stdint.h>

/* What the installed functions saw, one line an event, as the twin's
 * {ev, Name, FuncState, Event}: "st 0 {in,{'$gen_call',From,get}}" (the
 * server as gen_server names it to sys's function, the state the
 * function had, the event's term, with a From of the test's own written
 * From, as the twin binds it); "st removed 4": taken off with state 4. */
static struct shared_text seen = {PTHREAD_MUTEX_INITIALIZER, {0}};
static srv_pid tester; /* whose From is written From */

static void see(const srv_sys_event *event, const char *tag, intptr_t n)
{
    srv_buf line = {0};
    if (event->name != NULL)
        srv_buf_printf(&line, "%s ", event->name);
    else
        srv_buf_printf(&line, "%s ", srv_pid_format(event->server).s);
    if (event->kind == SRV_SYS_EVENT_REMOVED) {
        srv_buf_printf(&line, "%sremoved %ld", tag, (long)n);
    } else {
        srv_buf term = {0};
        srv_sys_event_format(&term, event);
        srv_from_text from_text = srv_from_format(event->from);
        const char *at = srv_pid_equal(event->from.pid, tester)
                             ? strstr(term.data, from_text.s) : NULL;
        if (at != NULL)
            srv_buf_printf(&line, "%s%ld %.*sFrom%s", tag, (long)n, (int)(at - term.data),
                           term.data, at + strlen(from_text.s));
        else
            srv_buf_printf(&line, "%s%ld %s", tag, (long)n, term.data);
        srv_buf_free(&term);
    }
    srv_buf_printf(&line, "\n");
    shared_add(&seen, line.data);
    srv_buf_free(&line);
}

static void assert_seen(const char *want)
{
    srv_buf got = shared_take(&seen);
    cr_assert_str_eq(got.data, want);
    srv_buf_free(&got);
}

/* get_status's Debug list of pid is want (the installed functions by
 * their addresses are not known here: "[]" and the file's). */
static void assert_debug(srv_pid pid, const char *want)
{
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert_str_eq(st.debug.data, want);
    srv_sys_status_free(&st);
}

/* The twin's F: fun(N, Ev, Name) -> Me ! {ev, Name, N, Ev}, N + 1 end,
 * its number threaded through *state. */
static bool count_events(void **state, const srv_sys_event *event)
{
    intptr_t n = (intptr_t)*state;
    see(event, "", n);
    *state = (void *)(n + 1);
    return true;
}

/* The twin's G: done at its second event. */
static bool done_at_two(void **state, const srv_sys_event *event)
{
    intptr_t n = (intptr_t)*state;
    see(event, "g", n);
    *state = (void *)(n + 1);
    return n < 1;
}

Test(sys, installed_function_sees_a_call_and_a_cast_with_its_state_threaded,
     .timeout = T(10))
{
    tester = srv_self();
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(status_read(pid), 1);
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK);
    assert_seen("st 0 {in,{'$gen_call',From,get}}\n"
                "st 1 {out,1,From,#{count => 1,secret => <<\"pw\">>}}\n"
                "st 2 {in,{'$gen_cast',{add,2}}}\n"
                "st 3 {noreply,#{count => 3,secret => <<\"pw\">>}}\n"
                "st removed 4\n");
    status_stop(pid);
}

/* What a function gets beside the term: the message's name, the call's
 * caller and its reply, the state; each as the server has it then. */
static struct {
    srv_sys_event_kind kinds[8];
    const char *messages[8];
    int64_t reply_count, state_count;
    srv_pid from;
    int n;
} fields;

static bool keep_fields(void **state, const srv_sys_event *event)
{
    (void)state;
    if (fields.n < 8) {
        fields.kinds[fields.n] = event->kind;
        fields.messages[fields.n++] = event->message;
    }
    if (event->kind == SRV_SYS_EVENT_CALL)
        fields.from = event->from.pid;
    if (event->kind == SRV_SYS_EVENT_OUT)
        fields.reply_count = ((const status_get_reply *)event->reply)->count;
    if (event->kind == SRV_SYS_EVENT_NOREPLY)
        fields.state_count = ((const status_state *)event->state)->count;
    return true;
}

Test(sys, an_event_gives_its_kind_message_caller_reply_and_state, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    cr_assert_eq(srv_sys_install(pid, keep_fields, NULL, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 4), SRV_OK);
    cr_assert_eq(status_send_hello(pid), SRV_OK);
    cr_assert_eq(status_read(pid), 5);
    cr_assert_eq(srv_sys_remove(pid, keep_fields, 5000), SRV_OK);
    srv_sys_event_kind want[] = {SRV_SYS_EVENT_CAST, SRV_SYS_EVENT_NOREPLY,
                                 SRV_SYS_EVENT_INFO, SRV_SYS_EVENT_NOREPLY,
                                 SRV_SYS_EVENT_CALL, SRV_SYS_EVENT_OUT,
                                 SRV_SYS_EVENT_REMOVED};
    cr_assert_eq(fields.n, 7);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(fields.kinds[i], want[i], "event %d", i);
    cr_assert_str_eq(fields.messages[0], "add");
    cr_assert_str_eq(fields.messages[2], "hello");
    cr_assert_str_eq(fields.messages[4], "get");
    cr_assert_null(fields.messages[1]);
    cr_assert(srv_pid_equal(fields.from, srv_self()));
    cr_assert_eq(fields.reply_count, 5);
    cr_assert_eq(fields.state_count, 5);
    status_stop(pid);
}

Test(sys, installing_a_function_again_keeps_the_one_installed, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)100, 5000), SRV_EALREADY,
                 "sys keeps the first; the state given is still the caller's");
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK);
    assert_seen("st 0 {in,{'$gen_cast',{add,2}}}\n"
                "st 1 {noreply,#{count => 3,secret => <<\"pw\">>}}\n"
                "st removed 2\n");
    status_stop(pid);
}

/* The twin's G beside F: the newest runs first; G is done at its second
 * event and is not told removed (it ended itself). */
Test(sys, installed_function_that_says_done_is_removed, .timeout = T(10))
{
    tester = srv_self();
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)4, 5000), SRV_OK);
    cr_assert_eq(srv_sys_install(pid, done_at_two, (void *)0, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    cr_assert_eq(status_read(pid), 2);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(pid, &st, 5000), SRV_OK);
    cr_assert(strncmp(st.debug.data, "[{#Fun<0x", 9) == 0 && strstr(st.debug.data, "},{") == NULL,
              "one function left: %s", st.debug.data);
    srv_sys_status_free(&st);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK);
    assert_seen("st g0 {in,{'$gen_cast',{add,1}}}\n"
                "st 4 {in,{'$gen_cast',{add,1}}}\n"
                "st g1 {noreply,#{count => 2,secret => <<\"pw\">>}}\n"
                "st 5 {noreply,#{count => 2,secret => <<\"pw\">>}}\n"
                "st 6 {in,{'$gen_call',From,get}}\n"
                "st 7 {out,2,From,#{count => 2,secret => <<\"pw\">>}}\n"
                "st removed 8\n");
    status_stop(pid);
}

Test(sys, remove_takes_the_function_off_and_it_sees_nothing_more, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK, "ok, as sys's");
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    cr_assert_eq(status_read(pid), 2);
    assert_seen("st removed 0\n");
    assert_debug(pid, "[]");
    status_stop(pid);
}

static _Atomic int crashes;

static bool crash_at_once(void **state, const srv_sys_event *event)
{
    (void)state;
    (void)event;
    atomic_fetch_add(&crashes, 1);
    srv_exit("boom");
}

Test(sys, installed_function_that_crashes_is_removed, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, crash_at_once, NULL, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    cr_assert_eq(status_read(pid), 2, "the server goes on, as sys's catch lets it");
    cr_assert_eq(atomic_load(&crashes), 1, "taken off at its crash");
    assert_debug(pid, "[]");
    status_stop(pid);
}

Test(sys, no_debug_removes_installed_functions, .timeout = T(10))
{
    srv_set_logger(keep_log, NULL);
    srv_pid pid = start_status("st", true, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(srv_sys_no_debug(pid, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    cr_assert_eq(status_read(pid), 2);
    assert_seen("st removed 0\n");
    status_stop(pid);
    srv_set_logger(NULL, NULL);
}

Test(sys, installed_function_names_an_unnamed_server_by_its_pid, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_OK);
    const char *p = srv_pid_format(pid).s;
    char want[256];
    snprintf(want, sizeof want,
             "%s 0 {in,{'$gen_cast',{add,1}}}\n"
             "%s 1 {noreply,#{count => 2,secret => <<\"pw\">>}}\n"
             "%s removed 2\n", p, p, p);
    assert_seen(want);
    status_stop(pid);
}

/* Not OTP's, but C's: a function still installed when its server ends is
 * told so, and frees its state. */
Test(sys, installed_function_is_told_removed_when_its_server_exits, .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    cr_assert_eq(srv_sys_install(pid, count_events, (void *)0, 5000), SRV_OK);
    cr_assert_eq(status_stop(pid), SRV_OK);
    assert_seen("st removed 0\n");
}

Test(sys, install_on_a_dead_server_is_noproc_and_a_null_function_einval, .timeout = T(10))
{
    srv_pid pid = start_status(NULL, false, 0);
    cr_assert_eq(srv_sys_install(pid, NULL, NULL, 5000), SRV_EINVAL);
    cr_assert_eq(srv_sys_remove(pid, NULL, 5000), SRV_EINVAL);
    status_stop(pid);
    cr_assert_eq(srv_sys_install(pid, count_events, NULL, 5000), SRV_ENOPROC);
    cr_assert_eq(srv_sys_remove(pid, count_events, 5000), SRV_ENOPROC);
    assert_seen("");
}

/* ---- sys:log_to_file: tests/otp/log_to_file.erl */

#include <stdlib.h>
#include <unistd.h>

/* A directory of the test's own (each test's .init makes it), and the
 * paths of its files. */
static char dir[64];

static void dir_make(void)
{
    snprintf(dir, sizeof dir, "/tmp/srv_test_sys.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static const char *path_in_dir(const char *name)
{
    static char paths[2][128];
    static int next;
    char *path = paths[next++ % 2];
    snprintf(path, sizeof paths[0], "%s/%s", dir, name);
    return path;
}

/* Each test's .fini: it runs after a failed assertion too. */
static void dir_remove(void)
{
    unlink(path_in_dir("one.log"));
    unlink(path_in_dir("two.log"));
    rmdir(dir);
}

/* The file's text ("" when empty), until the next call. */
static char *file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

Test(sys, log_to_file_writes_the_trace_lines_of_a_call_and_a_cast,
     .init = dir_make, .fini = dir_remove,
     .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    const char *one = path_in_dir("one.log");
    cr_assert_eq(srv_sys_log_to_file(pid, one, 5000), SRV_OK);
    cr_assert_eq(status_read(pid), 1);
    cr_assert_eq(status_add(pid, 2), SRV_OK);
    char debug[256];
    snprintf(debug, sizeof debug, "[{log_to_file,<<\"%s\">>}]", one);
    assert_debug(pid, debug); /* a call: the cast's lines are in */
    const char *me = srv_pid_format(srv_self()).s;
    char want[512];
    snprintf(want, sizeof want,
             "*DBG* st got call get from %s\n"
             "*DBG* st sent 1 to %s, new state #{count => 1,secret => <<\"pw\">>}\n"
             "*DBG* st got cast {add,2}\n"
             "*DBG* st new state #{count => 3,secret => <<\"pw\">>}\n",
             me, me);
    cr_assert_str_eq(file_text(one), want);
    status_stop(pid);
}

static const char *after_add_1 = "*DBG* st got cast {add,1}\n"
                                 "*DBG* st new state #{count => 2,secret => <<\"pw\">>}\n";

/* A cast, then a call that says its lines are written. */
static void add_1(srv_pid pid)
{
    cr_assert_eq(status_add(pid, 1), SRV_OK);
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, 5000), SRV_OK);
    srv_buf_free(&text);
}

Test(sys, log_to_file_to_another_file_closes_the_first,
     .init = dir_make, .fini = dir_remove,
     .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    const char *one = path_in_dir("one.log"), *two = path_in_dir("two.log");
    cr_assert_eq(srv_sys_log_to_file(pid, one, 5000), SRV_OK);
    cr_assert_eq(srv_sys_log_to_file(pid, two, 5000), SRV_OK);
    add_1(pid);
    cr_assert_str_eq(file_text(one), "");
    cr_assert_str_eq(file_text(two), after_add_1);
    status_stop(pid);
}

Test(sys, log_to_file_that_cannot_open_is_an_error_and_closes_the_file,
     .init = dir_make, .fini = dir_remove,
     .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    const char *one = path_in_dir("one.log");
    cr_assert_eq(srv_sys_log_to_file(pid, one, 5000), SRV_OK);
    char nowhere[128];
    snprintf(nowhere, sizeof nowhere, "%s/no/such.log", dir);
    cr_assert_eq(srv_sys_log_to_file(pid, nowhere, 5000), SRV_EOPEN);
    assert_debug(pid, "[]"); /* the first is closed all the same */
    add_1(pid);
    cr_assert_str_eq(file_text(one), "");
    status_stop(pid);
}

Test(sys, log_to_file_false_and_no_debug_stop_the_writing,
     .init = dir_make, .fini = dir_remove,
     .timeout = T(10))
{
    srv_pid pid = start_status("st", false, 0);
    const char *one = path_in_dir("one.log"), *two = path_in_dir("two.log");
    cr_assert_eq(srv_sys_log_to_file(pid, one, 5000), SRV_OK);
    add_1(pid);
    cr_assert_eq(srv_sys_log_to_file(pid, NULL, 5000), SRV_OK);
    cr_assert_eq(srv_sys_log_to_file(pid, NULL, 5000), SRV_OK, "none open: ok");
    add_1(pid);
    cr_assert_str_eq(file_text(one), after_add_1);
    cr_assert_eq(srv_sys_log_to_file(pid, two, 5000), SRV_OK);
    cr_assert_eq(srv_sys_no_debug(pid, 5000), SRV_OK);
    add_1(pid);
    cr_assert_str_eq(file_text(two), "");
    status_stop(pid);
    cr_assert_eq(srv_sys_log_to_file(pid, one, 5000), SRV_ENOPROC);
}
