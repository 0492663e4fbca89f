/*
 * test_name.c: registered names, and the crash report on the logger.
 */
#include <string.h>

#include "support.h"

Test(name, register_whereis_unregister, .timeout = T(10))
{
    srv_pid pid = start_counter(0), found;
    cr_assert_eq(srv_register("counter_one", pid), SRV_OK);
    cr_assert_eq(srv_whereis("counter_one", &found), SRV_OK);
    cr_assert(srv_pid_equal(found, pid));
    cr_assert_eq(srv_register("counter_one", pid), SRV_EALREADY);
    cr_assert_eq(srv_unregister("counter_one"), SRV_OK);
    cr_assert_eq(srv_whereis("counter_one", &found), SRV_ENOTREG);
    counter_stop(pid);
}

Test(name, a_process_holds_one_name_at_most, .timeout = T(10))
{
    srv_pid pid = start_counter(0), found;
    cr_assert_eq(srv_register("first_name", pid), SRV_OK);
    cr_assert_eq(srv_register("second_name", pid), SRV_EALREADY);
    cr_assert_eq(srv_whereis("second_name", &found), SRV_ENOTREG);
    counter_stop(pid);
}

Test(name, is_freed_when_its_process_exits, .timeout = T(10))
{
    srv_pid pid = start_counter(0), found;
    cr_assert_eq(srv_register("short_lived", pid), SRV_OK);
    counter_stop(pid);
    cr_assert_eq(srv_whereis("short_lived", &found), SRV_ENOTREG);
    cr_assert_eq(srv_register("short_lived", start_counter(0)), SRV_OK);
}

Test(name, registering_a_dead_pid_fails, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    cr_assert_eq(srv_register("ghost", pid), SRV_ENOPROC);
}

Test(atom, same_name_same_pointer_and_builtins_are_interned, .timeout = T(10))
{
    cr_assert_eq(srv_atom_from("normal"), srv_atom_normal);
    cr_assert_eq(srv_atom_from("some_atom"), srv_atom_from("some_atom"));
    cr_assert_str_eq(srv_atom_format(srv_atom_from("0x01f")).s, "'0x01f'");
    cr_assert_str_eq(srv_atom_format(srv_atom_from("test")).s, "test");
    cr_assert_str_eq(srv_atom_format(srv_atom_from("end")).s, "'end'");
}

Test(format, pids_and_callers_print_as_erlang_does, .timeout = T(10))
{
    srv_pid pid = {0, 58, 0};
    cr_assert_str_eq(srv_pid_format(pid).s, "<0.58.0>");
    srv_from from = {{0, 56, 0}, ((uint64_t)1 << 32) | 59, NULL};
    cr_assert_str_eq(srv_from_format(from).s, "{<0.56.0>,#Ref<0.0.1.59>}");
    cr_assert_str_eq(srv_strerror(SRV_ENOPROC), "no such process");
    cr_assert_str_eq(srv_status_name(SRV_ETIMEOUT), "SRV_ETIMEOUT");
}

struct captured {
    int reports;
    char text[4096];
};

static void capture(srv_log_level level, const char *text, void *user)
{
    struct captured *c = user;
    (void)level;
    c->reports++;
    strncpy(c->text, text, sizeof c->text - 1);
}

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

Test(crash_report, normal_and_shutdown_exits_are_not_reported, .timeout = T(10))
{
    static struct captured c;
    srv_set_logger(capture, &c);
    counter_stop_timeout(start_counter(0), "normal", 5000);
    counter_stop_timeout(start_counter(0), "shutdown", 5000);
    cr_assert_eq(c.reports, 0);
}

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
