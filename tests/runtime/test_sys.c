/*
 * test_sys.c: sys: get_state, replace_state, suspend and resume.
 */
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
