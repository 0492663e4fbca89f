/*
 * test_hibernate.c: the hibernate result (init, call reply and noreply,
 * cast, info, continue) and the hibernate_after start option, against
 * tests/otp/hibernate.erl: a server that returns hibernate is hibernated
 * (srv_process_info's current is "hibernate", as OTP's current_function
 * is erlang:hibernate/3) until its next message, which wakes it with its
 * state intact; one started with hibernate_after hibernates once idle
 * that long.  Hibernate gives back the spare room of the server's link
 * and monitor lists, which srv_process_info's memory counts.
 */
#include "later.srv.h"
#include "support.h"

static struct srv_process_info info_of(srv_pid pid)
{
    struct srv_process_info info;
    cr_assert_eq(srv_process_info(pid, &info), SRV_OK);
    return info;
}

static bool hibernated(srv_pid pid)
{
    const char *current = info_of(pid).current;
    return current != NULL && strcmp(current, "hibernate") == 0;
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
    /* the reply goes before the server hibernates, as in OTP (gen_server
     * replies, then calls erlang:hibernate) */
    ASSERT_EVENTUALLY(hibernated(pid)); /* after reply_hibernate */
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
    /* sys:get_state does not wake it (gen_server): it is hibernated again
     * once the system message's handling is over, after its reply; a
     * server it woke would stay awake */
    ASSERT_EVENTUALLY(hibernated(pid));
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

static size_t links_of(srv_pid pid, srv_pid *out, size_t cap)
{
    size_t n = 0;
    cr_assert_eq(srv_links(pid, out, cap, &n), SRV_OK);
    return n;
}

static srv_pid link_counter(srv_pid pid)
{
    srv_pid counter = start_counter(0);
    counter_link_to_reply r;
    cr_assert_eq(counter_link_to(counter, pid, &r), SRV_OK);
    cr_assert_eq(r.status, SRV_OK);
    return counter;
}

/* The first two links live in the link record itself; more take a list
 * of their own, which hibernate gives back once two or fewer are left:
 * the server then holds what one that only ever had one link holds. */
Test(hibernate, hibernate_moves_the_links_left_back_into_the_record, .timeout = T(10))
{
    srv_pid pid, one, counters[4], alone;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    cr_assert_eq(later_start(2, &one), SRV_OK);
    for (int i = 0; i < 4; i++)
        counters[i] = link_counter(pid);
    alone = link_counter(one);
    for (int i = 1; i < 4; i++) /* a normal exit takes its link off */
        cr_assert_eq(counter_stop(counters[i]), SRV_OK);
    ASSERT_EVENTUALLY(info_of(pid).links == 1);
    cr_assert_eq(later_bump(pid), SRV_OK);
    cr_assert_eq(later_bump(one), SRV_OK);
    ASSERT_EVENTUALLY(hibernated(pid) && hibernated(one));
    cr_assert_eq(info_of(pid).memory, info_of(one).memory, "the list went back");
    srv_pid out[4];
    cr_assert_eq(links_of(pid, out, 4), 1);
    cr_assert(srv_pid_equal(out[0], counters[0]), "the link left is kept");
    for (int i = 1; i < 4; i++) /* and the list grows again */
        counters[i] = link_counter(pid);
    cr_assert_eq(links_of(pid, out, 4), 4);
    for (int i = 0; i < 4; i++) {
        bool found = false;
        for (int j = 0; j < 4; j++)
            found |= srv_pid_equal(out[j], counters[i]);
        cr_assert(found, "counter %d is linked", i);
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(counter_stop(counters[i]), SRV_OK);
    cr_assert_eq(counter_stop(alone), SRV_OK);
    ASSERT_EVENTUALLY(info_of(pid).links == 0);
    later_stop(pid);
    later_stop(one);
}

Test(hibernate, hibernate_gives_back_the_spare_room_of_link_and_monitor_lists, .timeout = T(10))
{
    srv_pid pid;
    cr_assert_eq(later_start(2, &pid), SRV_OK);
    srv_monitor_ref refs[5];
    for (int i = 0; i < 5; i++) /* grows the list to 8 places */
        cr_assert_eq(srv_monitor(pid, &refs[i]), SRV_OK);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(srv_demonitor(refs[i]), SRV_OK);
    size_t awake = info_of(pid).memory;
    cr_assert_eq(later_bump(pid), SRV_OK);
    ASSERT_EVENTUALLY(hibernated(pid));
    struct srv_process_info info = info_of(pid);
    cr_assert_eq(info.monitored_by, 0);
    cr_assert(info.memory + 8 * sizeof(srv_monitor_ref) <= awake,
              "the 8 places went back: %zu bytes, then %zu", awake, info.memory);
    cr_assert_eq(get(pid), 1, "woken with its state");
    srv_monitor_ref again;
    cr_assert_eq(srv_monitor(pid, &again), SRV_OK, "the list grows again");
    cr_assert_eq(info_of(pid).monitored_by, 1);
    cr_assert_eq(srv_demonitor(again), SRV_OK);
    later_stop(pid);
}
