/*
 * test_sup_spec.c: the code srvc generates from `supervisor` specs
 * (servers/league.srv, team.srv, member.srv; keeper.srv, roster.srv,
 * holder.srv) run by libsrv: the children's start arguments (literals,
 * the supervisor's own, fixed ones and start_child's, records among
 * them), kept across restarts of the child and of its supervisor, and
 * the typed child calls.
 */
#include <stdlib.h>

#include "support.h"
#include "holder.srv.h"
#include "keeper.srv.h"
#include "league.srv.h"
#include "member.srv.h"
#include "roster.srv.h"
#include "team.srv.h"

/* The league of city, started linked to a test of its own. */
static srv_pid start_league(const char *city)
{
    srv_pid league;
    cr_assert_eq(league_start(city, &league), SRV_OK);
    return league;
}

static void stop_league(srv_pid league)
{
    cr_assert_eq(srv_stop(league, SRV_SHUTDOWN, T(5000), NULL), SRV_OK);
}

static void assert_member(srv_ref who, const char *team, int64_t number, const char *role)
{
    member_whoami_reply r;
    cr_assert_eq(member_whoami_ref(who, &r), SRV_OK);
    cr_assert_str_eq(r.team, team);
    cr_assert_eq(r.number, number);
    cr_assert_str_eq(r.role, role);
    member_whoami_reply_free(&r);
}

/* Waits for pid's end: a monitor's DOWN. */
static void await_down(srv_pid pid)
{
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    srv_signal signal;
    do
        cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    while (signal.kind != SRV_SIGNAL_DOWN || signal.ref != ref);
}

Test(sup_spec, a_child_gets_the_literals_and_the_supervisors_own_arguments, .timeout = T(20))
{
    char city[] = "Lyon"; /* the supervisor keeps its own copy */
    srv_pid league = start_league(city);
    city[0] = 'X';
    assert_member(srv_ref_name("captain"), "Lyon", 1, "captain");
    stop_league(league);
}

Test(sup_spec, start_child_completes_the_templates_fixed_arguments, .timeout = T(20))
{
    srv_pid league = start_league("Lyon");
    srv_pid player;
    cr_assert_eq(team_start_child("reds", 7, srv_atom_from("wing"), &player), SRV_OK);
    assert_member(srv_ref_pid(player), "reds", 7, "wing");
    srv_sup_counts counts;
    cr_assert_eq(team_count_children("reds", &counts), SRV_OK);
    cr_assert_eq(counts.active, 1);
    cr_assert_eq(team_terminate_child("reds", player), SRV_OK);
    cr_assert_eq(team_count_children("reds", &counts), SRV_OK);
    cr_assert_eq(counts.active, 0);
    /* a second time: ok, as OTP 25's supervisor:terminate_child/2 answers */
    cr_assert_eq(team_terminate_child("reds", player), SRV_OK);
    stop_league(league);
}

Test(sup_spec, typed_ids_terminate_restart_and_find_a_child, .timeout = T(20))
{
    srv_pid league = start_league("Lyon");
    cr_assert_str_eq(league_child_id(LEAGUE_REDS), "reds");
    srv_pid captain, again;
    cr_assert_eq(league_child_pid(league, LEAGUE_CAPTAIN, &captain), SRV_OK);
    cr_assert_eq(srv_whereis("captain", &again), SRV_OK);
    cr_assert(srv_pid_equal(captain, again));
    cr_assert_eq(league_terminate_child(league, LEAGUE_CAPTAIN), SRV_OK);
    cr_assert_eq(league_child_pid(league, LEAGUE_CAPTAIN, &again), SRV_OK);
    cr_assert(srv_pid_is_none(again), "a terminated child is not running");
    cr_assert_eq(league_restart_child(league, LEAGUE_CAPTAIN, &again), SRV_OK);
    cr_assert_not(srv_pid_equal(captain, again));
    assert_member(srv_ref_name("captain"), "Lyon", 1, "captain");
    srv_sup_counts counts;
    cr_assert_eq(league_count_children(league, &counts), SRV_OK);
    cr_assert_eq(counts.specs, 2);
    cr_assert_eq(counts.supervisors, 1);
    cr_assert_eq(counts.workers, 1);
    cr_assert_eq(league_restart_child(league, LEAGUE_CAPTAIN, &again), SRV_ERUNNING);
    stop_league(league);
}

/* get_childspec by typed id: the caller's copy of the child's spec, its
 * args the child's struct member_init_args; the template's for a
 * simple_one_for_one supervisor, with the fixed argument set. */
Test(sup_spec, get_childspec_by_typed_id_gives_the_childs_typed_args, .timeout = T(20))
{
    srv_pid league = start_league("Lyon");
    srv_child_spec spec;
    cr_assert_eq(league_get_childspec(league, LEAGUE_CAPTAIN, &spec), SRV_OK);
    cr_assert_str_eq(spec.id, "captain");
    cr_assert_str_eq(spec.name, "captain");
    cr_assert_eq(spec.module, &member_module);
    cr_assert_eq(spec.restart, SRV_PERMANENT);
    cr_assert_eq(spec.shutdown_ms, 5000);
    const struct member_init_args *args = spec.args;
    cr_assert_str_eq(args->team, "Lyon");
    cr_assert_eq(args->number, 1);
    cr_assert_str_eq(args->role, "captain");
    srv_sup_childspec_free(&spec);
    cr_assert_eq(league_get_childspec(league, LEAGUE_REDS, &spec), SRV_OK);
    cr_assert_eq(spec.sup, &team_module, "a supervisor child");
    cr_assert_eq(spec.shutdown_ms, SRV_INFINITY);
    srv_sup_childspec_free(&spec);
    cr_assert_eq(league_get_childspec(league, (league_child)99, &spec), SRV_EINVAL);
    cr_assert_eq(spec.id, NULL);
    srv_pid reds;
    cr_assert_eq(league_child_pid(league, LEAGUE_REDS, &reds), SRV_OK);
    cr_assert_eq(team_get_childspec(reds, &spec), SRV_OK);
    cr_assert_str_eq(spec.id, "player");
    cr_assert_eq(spec.restart, SRV_TRANSIENT);
    cr_assert_eq(spec.shutdown_ms, SRV_BRUTAL_KILL);
    cr_assert_str_eq(((const struct member_init_args *)spec.args)->team, "reds");
    srv_sup_childspec_free(&spec);
    stop_league(league);
}

Test(sup_spec, a_supervisor_child_restarts_with_its_arguments, .timeout = T(20))
{
    srv_pid league = start_league("Lyon");
    srv_pid reds, captain;
    cr_assert_eq(league_child_pid(league, LEAGUE_REDS, &reds), SRV_OK);
    cr_assert_eq(league_child_pid(league, LEAGUE_CAPTAIN, &captain), SRV_OK);
    /* one_for_all: the team's crash restarts the captain too */
    cr_assert_eq(srv_exit_signal(reds, SRV_KILL), SRV_OK);
    await_down(captain);
    srv_pid again;
    srv_sup_counts counts;
    cr_assert_eq(league_count_children(league, &counts), SRV_OK); /* after the restart */
    cr_assert_eq(counts.active, 2);
    cr_assert_eq(league_child_pid(league, LEAGUE_REDS, &again), SRV_OK);
    cr_assert_not(srv_pid_equal(reds, again));
    srv_pid player;
    cr_assert_eq(team_start_child("reds", 9, srv_atom_from("keeper"), &player), SRV_OK);
    assert_member(srv_ref_pid(player), "reds", 9, "keeper");
    assert_member(srv_ref_name("captain"), "Lyon", 1, "captain");
    stop_league(league);
}

/* A badge whose every string and bytes is on the heap, the caller's to
 * free (holder_badge_free) as soon as it has given it. */
static holder_badge new_badge(const char *label, const char *code, const char *town)
{
    holder_badge b;
    b.label = strdup(label);
    b.code.len = strlen(code);
    b.code.data = (unsigned char *)strdup(code);
    b.home.town = strdup(town);
    b.home.zone = 7;
    cr_assert(b.label != NULL && b.code.data != NULL && b.home.town != NULL);
    return b;
}

static void assert_holder(srv_ref who, const char *shelf, const char *label, const char *code,
                          const char *town)
{
    holder_show_reply r;
    cr_assert_eq(holder_show_ref(who, &r), SRV_OK);
    cr_assert_str_eq(r.shelf, shelf);
    cr_assert_str_eq(r.badge.label, label);
    cr_assert_eq(r.badge.code.len, strlen(code));
    cr_assert_eq(memcmp(r.badge.code.data, code, strlen(code)), 0);
    cr_assert_str_eq(r.badge.home.town, town);
    cr_assert_eq(r.badge.home.zone, 7);
    holder_show_reply_free(&r);
}

Test(sup_spec, a_record_argument_of_the_supervisor_reaches_its_child_at_every_start,
     .timeout = T(20))
{
    holder_badge badge = new_badge("warden", "k-17", "Lyon");
    srv_pid keeper, front, again;
    cr_assert_eq(keeper_start(badge, &keeper), SRV_OK);
    holder_badge_free(&badge); /* the supervisor keeps its own copy */
    assert_holder(srv_ref_name("front_holder"), "front", "warden", "k-17", "Lyon");
    cr_assert_eq(keeper_child_pid(keeper, KEEPER_FRONT, &front), SRV_OK);
    cr_assert_eq(srv_exit_signal(front, SRV_KILL), SRV_OK);
    await_down(front);
    srv_sup_counts counts;
    cr_assert_eq(keeper_count_children(keeper, &counts), SRV_OK); /* after the restart */
    cr_assert_eq(counts.active, 1);
    cr_assert_eq(keeper_child_pid(keeper, KEEPER_FRONT, &again), SRV_OK);
    cr_assert_not(srv_pid_equal(front, again));
    assert_holder(srv_ref_pid(again), "front", "warden", "k-17", "Lyon");
    cr_assert_eq(srv_stop(keeper, SRV_SHUTDOWN, T(5000), NULL), SRV_OK);
}

/* The one child roster runs now. */
static srv_pid running_child(srv_pid roster)
{
    srv_child_info info[2];
    size_t count = 0;
    cr_assert_eq(srv_sup_which_children(roster, info, 2, &count), SRV_OK);
    cr_assert_eq(count, 1);
    return info[0].pid;
}

Test(sup_spec, start_child_carries_a_record_that_a_restart_gives_again, .timeout = T(20))
{
    srv_pid roster, child;
    cr_assert_eq(roster_start("back", &roster), SRV_OK);
    holder_badge badge = new_badge("porter", "x-2", "Nantes");
    cr_assert_eq(roster_start_child(roster, badge, &child), SRV_OK);
    holder_badge_free(&badge); /* the child's copy is the runtime's */
    assert_holder(srv_ref_pid(child), "back", "porter", "x-2", "Nantes");
    /* transient: killed, it starts again with the same arguments */
    cr_assert_eq(srv_exit_signal(child, SRV_KILL), SRV_OK);
    await_down(child);
    srv_pid again = running_child(roster);
    cr_assert_not(srv_pid_equal(child, again));
    assert_holder(srv_ref_pid(again), "back", "porter", "x-2", "Nantes");
    cr_assert_eq(srv_stop(roster, SRV_SHUTDOWN, T(5000), NULL), SRV_OK);
}
