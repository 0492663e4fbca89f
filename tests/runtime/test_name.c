/*
 * test_name.c: registered names.
 */
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
