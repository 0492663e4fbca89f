/*
 * test_special.c: a special process (sys's handle_system_msg,
 * debug_options, handle_debug, get_log, print_log): a function run by
 * srv_spawn that takes its system messages and hands them to the
 * runtime, and what sys's requests from outside do to it.  Twin:
 * tests/otp/special.erl.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "support.h"

/* The logger's text, whole, under a lock: the special process writes it. */
static pthread_mutex_t logged_lock = PTHREAD_MUTEX_INITIALIZER;
static char logged[8192];

static void log_text(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    pthread_mutex_lock(&logged_lock);
    strncat(logged, text, sizeof logged - strlen(logged) - 1);
    pthread_mutex_unlock(&logged_lock);
}

static bool logged_has(const char *text)
{
    pthread_mutex_lock(&logged_lock);
    bool has = strstr(logged, text) != NULL;
    pthread_mutex_unlock(&logged_lock);
    return has;
}

/* The special process's Misc: its count, and what it saw for the test
 * (read after a sys request to it has answered, which orders them). */
struct counter {
    srv_pid parent;
    long n;
    srv_atom terminated; /* system_terminate's reason */
    srv_buf log_inside;  /* srv_sys_get_log, at a dump */
};

static void get_state(srv_buf *out, void *misc)
{
    srv_buf_printf(out, "%ld", ((struct counter *)misc)->n);
}

static void replace_state(void *misc, void (*fn)(void *state, void *arg), void *arg)
{
    fn(&((struct counter *)misc)->n, arg);
}

static void terminate(srv_atom reason, const srv_detail *detail, srv_pid parent, void *misc)
{
    (void)detail;
    (void)parent;
    ((struct counter *)misc)->terminated = reason;
}

static const srv_sys_special special_counter = {
    .module = "special",
    .get_state = get_state,
    .replace_state = replace_state,
    .terminate = terminate,
};

/* The formatter writes the whole line, as sys's FormFunc does. */
static void write_debug(srv_buf *out, const char *event, void *extra)
{
    srv_buf_printf(out, "*DBG* %s event = %s", (const char *)extra, event);
}

/* The loop: system messages to the runtime; each EXIT a message in,
 * reported to handle_debug; an EXIT dump gets and prints its log. */
static void special_loop(void *arg)
{
    struct counter *c = arg;
    srv_sys_debug_options(&(srv_sys_debug_opts){0});
    for (;;) {
        srv_sys_received r;
        if (srv_sys_receive(&r, SRV_INFINITY) != SRV_OK)
            srv_exit("receive_failed");
        if (r.kind == SRV_SYS_RECEIVED_SYSTEM) {
            srv_sys_handle_system_msg(c->parent, &special_counter, c);
        } else if (strcmp(r.signal.reason, "dump") == 0) {
            srv_sys_get_log(&c->log_inside);
            srv_sys_print_log();
        } else {
            char event[128];
            snprintf(event, sizeof event, "{in,{'EXIT',%s,%s}}",
                     srv_pid_format(r.signal.pid).s, r.signal.reason);
            srv_sys_handle_debug(write_debug, "counter", event);
            c->n++;
        }
    }
}

/* A special process, trapping exits from the start, monitored. */
static srv_pid start_special(struct counter *c, srv_monitor_ref *ref)
{
    srv_set_logger(log_text, NULL);
    c->parent = srv_self();
    srv_spawn_opts opts = {.trap_exit = true, .initial_call = "special:loop/1"};
    srv_start_result r;
    cr_assert_eq(srv_spawn(special_loop, c, SRV_START_MONITOR, &opts, &r), SRV_OK);
    if (ref != NULL)
        *ref = r.monitor_ref;
    return r.pid;
}

struct sending {
    srv_pid to;
    const char *what;
};

static void send_what(void *arg)
{
    const struct sending *s = arg;
    srv_exit_signal(s->to, s->what);
}

/* An exit signal to p from a process of its own (not the parent), in
 * p's mailbox when this returns (its sender's DOWN comes after). */
static void send(srv_pid p, const char *what)
{
    struct sending s = {p, what};
    srv_start_result r;
    cr_assert_eq(srv_spawn(send_what, &s, SRV_START_MONITOR, NULL, &r), SRV_OK);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.ref, r.monitor_ref);
}

static long state_of(srv_pid p)
{
    srv_buf out = {0};
    cr_assert_eq(srv_sys_get_state(p, &out, T(5) * 1000), SRV_OK);
    long n = atol(out.data);
    srv_buf_free(&out);
    return n;
}

Test(special, get_status_has_otp_layout_for_a_special_process, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(p, &st, T(5) * 1000), SRV_OK);
    char want[512];
    char self[48];
    snprintf(self, sizeof self, "%s", srv_pid_format(srv_self()).s);
    snprintf(want, sizeof want,
             "{status,%s,{module,special},[[{'$initial_call',{special,loop,1}},"
             "{'$ancestors',[%s]}],running,%s,[],0]}",
             srv_pid_format(p).s, self, self);
    cr_assert_str_eq(st.text.data, want);
    cr_assert_str_eq(st.module, "special");
    cr_assert(!st.suspended);
    cr_assert(srv_pid_equal(st.parent, srv_self()));
    srv_sys_status_free(&st);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
}

Test(special, suspended_special_process_holds_its_message_until_resumed, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    cr_assert_eq(srv_sys_suspend(p, T(5) * 1000), SRV_OK);
    send(p, "bump");
    cr_assert_eq(state_of(p), 0, "not taken while suspended");
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(p, &st, T(5) * 1000), SRV_OK);
    cr_assert(st.suspended);
    cr_assert(strstr(st.text.data, "],suspended,") != NULL, "%s", st.text.data);
    srv_sys_status_free(&st);
    cr_assert_eq(srv_sys_resume(p, T(5) * 1000), SRV_OK);
    cr_assert_eq(state_of(p), 1);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
}

static void add_ten(void *state, void *arg)
{
    (void)arg;
    *(long *)state += 10;
}

Test(special, get_state_and_replace_state_run_its_callbacks, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    send(p, "bump");
    cr_assert_eq(state_of(p), 1);
    cr_assert_eq(srv_sys_replace_state(p, add_ten, NULL, T(5) * 1000), SRV_OK);
    cr_assert_eq(state_of(p), 11);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
}

Test(special, trace_prints_handle_debugs_events_with_its_formatter, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    cr_assert_eq(srv_sys_trace(p, true, T(5) * 1000), SRV_OK);
    send(p, "bump");
    cr_assert_eq(srv_sys_trace(p, false, T(5) * 1000), SRV_OK); /* the bump is over */
    char want[128];
    snprintf(want, sizeof want, "*DBG* counter event = {in,{'EXIT',<");
    cr_assert(logged_has(want), "%s", logged);
    cr_assert(logged_has(",bump}}\n"), "%s", logged);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
}

Test(special, log_keeps_its_events_for_log_get_print_and_get_log_inside, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    cr_assert_eq(srv_sys_log(p, 5, T(5) * 1000), SRV_OK);
    send(p, "bump");
    send(p, "bump");
    srv_buf log = {0};
    cr_assert_eq(srv_sys_log_get(p, &log, T(5) * 1000), SRV_OK);
    cr_assert(strncmp(log.data, "[{in,{'EXIT',<", 14) == 0, "%s", log.data);
    cr_assert(strstr(log.data, ",bump}},{in,{'EXIT',<") != NULL, "%s", log.data);
    cr_assert_eq(srv_sys_log_print(p, T(5) * 1000), SRV_OK);
    cr_assert(logged_has("*DBG* counter event = {in,{'EXIT',<"), "%s", logged);
    send(p, "dump");
    cr_assert_eq(state_of(p), 2); /* the dump is over */
    cr_assert_str_eq(c.log_inside.data, log.data, "sys:get_log inside is log get's");
    srv_sys_status st;
    cr_assert_eq(srv_sys_get_status(p, &st, T(5) * 1000), SRV_OK);
    cr_assert(strstr(st.text.data, ",[{log,{5,") != NULL, "%s", st.text.data);
    srv_sys_status_free(&st);
    srv_buf_free(&log);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
    srv_buf_free(&c.log_inside);
}

Test(special, statistics_count_its_in_events, .timeout = T(10))
{
    struct counter c = {0};
    srv_pid p = start_special(&c, NULL);
    srv_statistics stats;
    cr_assert_eq(srv_sys_statistics(p, SRV_STATISTICS_ON, NULL, T(5) * 1000), SRV_OK);
    send(p, "bump");
    cr_assert_eq(srv_sys_statistics(p, SRV_STATISTICS_GET, &stats, T(5) * 1000), SRV_OK);
    cr_assert(stats.on);
    cr_assert_eq(stats.messages_in, 1);
    cr_assert_eq(stats.messages_out, 0);
    cr_assert_eq(srv_stop(p, SRV_NORMAL, T(5) * 1000, NULL), SRV_OK);
}

Test(special, terminate_calls_system_terminate_with_the_reason, .timeout = T(10))
{
    struct counter c = {0};
    srv_monitor_ref ref;
    srv_pid p = start_special(&c, &ref);
    cr_assert_eq(srv_stop(p, "bye", T(5) * 1000, NULL), SRV_OK);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(5) * 1000), SRV_OK);
    cr_assert_eq(down.ref, ref);
    cr_assert_str_eq(down.reason, "bye");
    cr_assert_str_eq(c.terminated, "bye");
}
