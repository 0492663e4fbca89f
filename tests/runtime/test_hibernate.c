/*
 * test_hibernate.c: the hibernate result (init, call reply and noreply,
 * cast, info, continue) and the hibernate_after start option, against
 * tests/otp/hibernate.erl: a server that returns hibernate is hibernated
 * until its next message, which wakes it with its state intact; one
 * started with hibernate_after hibernates once idle that long.  Hibernate
 * gives back the spare room of the server's link and monitor lists.
 */
#include "later.srv.h"
#include "link.h" /* srv__monitor_counts */
#include "loop.h" /* srv__hibernated, srv__hibernate_released */
#include "support.h"

static bool hibernated(srv_pid pid)
{
    bool h = false;
    cr_assert_eq(srv__hibernated(pid, &h), SRV_OK);
    return h;
}

static int64_t get(srv_pid pid)
{
    later_get_reply r;
    cr_assert_eq(later_get(pid, &r), SRV_OK);
    return r.n;
}

Test(hibernate, init_cast_and_a_reply_hibernate_and_the_next_message_wakes, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(later_start(1, &pid), SRV_OK);
    cr_assert(hibernated(pid), "after init");
    cr_assert_eq(later_bump(pid), SRV_OK);
    ASSERT_EVENTUALLY(hibernated(pid));
    cr_assert_eq(get(pid), 1, "woken with its state");
    cr_assert_not(hibernated(pid), "a reply without hibernate leaves it awake");
    later_bump_and_sleep_reply r;
    cr_assert_eq(later_bump_and_sleep(pid, &r), SRV_OK);
    cr_assert_eq(r.n, 2);
    cr_assert(hibernated(pid), "after reply_hibernate");
    later_stop(pid);
}

Test(hibernate, a_continue_may_hibernate, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    cr_assert_not(hibernated(pid));
    cr_assert_eq(later_nap(pid), SRV_OK);
    ASSERT_EVENTUALLY(hibernated(pid));
    later_stop(pid);
}

Test(hibernate, system_messages_leave_it_hibernated, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(later_start(1, &pid), SRV_OK);
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, SRV_INFINITY), SRV_OK);
    srv_buf_free(&text);
    cr_assert(hibernated(pid), "sys:get_state does not wake it (gen_server)");
    later_stop(pid);
}

Test(hibernate, hibernate_after_hibernates_an_idle_server, .timeout = T(10))
{
    srv_start_opts opts = {.hibernate_after_ms = 20};
    srv_start_result started;
    cr_assert_eq(later_start_opts(2, SRV_START_PLAIN, &opts, &started), SRV_OK);
    srv_pid pid = started.pid;
    ASSERT_EVENTUALLY(hibernated(pid));
    cr_assert_eq(get(pid), 0, "woken");
    ASSERT_EVENTUALLY(hibernated(pid)); /* and again, once idle */
    later_stop(pid);
}

Test(hibernate, a_negative_hibernate_after_is_einval, .timeout = T(10))
{
    srv_start_opts opts = {.hibernate_after_ms = -5};
    cr_assert_eq(later_start_opts(2, SRV_START_PLAIN, &opts, NULL), SRV_EINVAL);
}

Test(hibernate, hibernate_gives_back_the_spare_room_of_link_and_monitor_lists, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    srv_monitor_ref refs[5];
    for (int i = 0; i < 5; i++) /* grows the list to 8 */
        cr_assert_eq(srv_monitor(pid, &refs[i]), SRV_OK);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(srv_demonitor(refs[i]), SRV_OK);
    size_t before = srv__hibernate_released();
    cr_assert_eq(later_bump(pid), SRV_OK);
    ASSERT_EVENTUALLY(hibernated(pid));
    cr_assert(srv__hibernate_released() - before >= 8 * sizeof(srv_monitor_ref),
              "the 8 places of the watchers' list went back");
    size_t watchers = 1, watching = 1;
    srv__monitor_counts(pid, &watchers, &watching);
    cr_assert_eq(watchers, 0);
    cr_assert_eq(get(pid), 1, "woken with its state");
    srv_monitor_ref again;
    cr_assert_eq(srv_monitor(pid, &again), SRV_OK, "the list grows again");
    srv__monitor_counts(pid, &watchers, &watching);
    cr_assert_eq(watchers, 1);
    cr_assert_eq(srv_demonitor(again), SRV_OK);
    later_stop(pid);
}
