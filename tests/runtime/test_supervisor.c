/*
 * test_supervisor.c: OTP's supervisor in libsrv.  Each scenario is one of
 * the Erlang twins' (tests/otp/supervisor_restart.erl,
 * supervisor_limits.erl, supervisor_dynamic.erl), with the same tree, the
 * same crashes and the same events expected in the same order: the inits
 * and terminates the children log (sup_worker.srv), the supervisor's
 * reports, its answers.  The supervisor modules are written by hand here,
 * as srvc's `supervisor` specs generate them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"
#include "sup_worker.srv.h"

/* How many dynamic children, and how many kills in the storm: fewer under
 * the sanitizers, which run some ten times slower. */
#if defined(SRV_SANITIZE_THREAD) || defined(SRV_SANITIZE_ADDRESS)
#define MANY 10000
#define STORM_KILLS 300
#else
#define MANY 100000
#define STORM_KILLS 3000
#endif

/* ---------------------------------------------------------------------- */
/* A supervisor of up to 6 children, given whole in its args              */

struct tree_child {
    const char *id;
    struct sup_worker_init_args worker; /* a sup_worker child ... */
    const struct tree_args *sub;        /* ... or a tree supervisor */
    srv_child_restart restart;
    long shutdown_ms;
    const char *name;
};

struct tree_args {
    srv_sup_flags flags;
    size_t count;
    struct tree_child children[6];
};

static const srv_sup_module tree_sup;

static void tree_init(const void *args, srv_sup_init *out)
{
    const struct tree_args *a = args;
    out->flags = a->flags;
    out->count = a->count;
    for (size_t i = 0; i < a->count; i++) {
        const struct tree_child *c = &a->children[i];
        out->children[i] = (srv_child_spec){
            .id = c->id,
            .module = c->sub != NULL ? NULL : &sup_worker_module,
            .sup = c->sub != NULL ? &tree_sup : NULL,
            .args = c->sub != NULL ? (const void *)c->sub : (const void *)&c->worker,
            .name = c->name,
            .restart = c->restart,
            .shutdown_ms = c->shutdown_ms,
        };
    }
}

static const srv_sup_module tree_sup = {
    .abi_version = SRV_ABI_VERSION,
    .name = "tree_sup",
    .args_size = sizeof(struct tree_args),
    .child_count = 6,
    .init = tree_init,
};

static struct tree_child worker(const char *id, int mode, long shutdown_ms)
{
    return (struct tree_child){id, {id, mode, 0}, NULL, SRV_PERMANENT, shutdown_ms, NULL};
}

static struct tree_args tree(srv_sup_strategy strategy, unsigned intensity, unsigned period)
{
    struct tree_args a;
    memset(&a, 0, sizeof a);
    a.flags = (srv_sup_flags){strategy, intensity, period};
    return a;
}

static void add(struct tree_args *a, struct tree_child c)
{
    a->children[a->count++] = c;
}

static srv_pid start_tree(const struct tree_args *a)
{
    srv_start_result r;
    cr_assert_eq(srv_sup_start(&tree_sup, a, SRV_START_LINK, NULL, &r), SRV_OK);
    return r.pid;
}

/* The log once it holds n events (none more within a moment after:
 * checked by the caller's next wait), as a string to compare. */
static char *events(size_t n)
{
    cr_assert(sup_log_wait(n, T(5) * 1000), "only %zu of %zu events", sup_log_count(), n);
    return sup_log_text();
}

static void expect_events(size_t n, const char *want)
{
    char *got = events(n);
    cr_assert_str_eq(got, want);
    free(got);
    sup_log_reset();
}

/* The pid of child id, from which_children. */
static srv_pid child_pid(srv_pid sup, const char *id)
{
    srv_child_info info[8];
    size_t count;
    cr_assert_eq(srv_sup_which_children(sup, info, 8, &count), SRV_OK);
    for (size_t i = 0; i < count && i < 8; i++)
        if (strcmp(info[i].id, id) == 0)
            return info[i].pid;
    cr_assert(false, "no child %s", id);
    return SRV_PID_NONE;
}

/* Shuts the supervisor down as its parent would (unlink, exit(shutdown))
 * and waits until it is gone. */
static void shut_down(srv_pid sup)
{
    srv_monitor_ref ref;
    srv_unlink(sup);
    cr_assert_eq(srv_monitor(sup, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(sup, SRV_SHUTDOWN), SRV_OK);
    srv_signal s;
    do
        cr_assert_eq(srv_receive_signal(&s, T(10) * 1000), SRV_OK);
    while (s.kind != SRV_SIGNAL_DOWN || s.ref != ref);
    cr_assert_str_eq(s.reason, "shutdown");
}

/* Every report, appended, for the tests that read them. */
static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;
static char reports[65536];
static int report_count;

static void keep_report(srv_log_level level, const char *text, void *user)
{
    (void)level;
    (void)user;
    pthread_mutex_lock(&reports_lock);
    strncat(reports, text, sizeof reports - strlen(reports) - 1);
    report_count++;
    pthread_mutex_unlock(&reports_lock);
}

static int reports_seen(void)
{
    pthread_mutex_lock(&reports_lock);
    int n = report_count;
    pthread_mutex_unlock(&reports_lock);
    return n;
}

/* Reports (many, from every thread) go nowhere. */
static void drop_report(srv_log_level level, const char *text, void *user)
{
    (void)level, (void)text, (void)user;
}

static void quiet(void)
{
    srv_set_logger(drop_report, NULL);
    sup_log_reset();
}

/* ---------------------------------------------------------------------- */
/* supervisor_restart.erl                                                  */

/* Three workers a, b, c; b is killed; which are restarted, and the order
 * of terminates and inits. */
static void kill_b(srv_sup_strategy strategy, const char *want_restarted, const char *want)
{
    quiet();
    struct tree_args a = tree(strategy, 5, 10);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("b", SUP_WORKER_OK, 1000));
    add(&a, worker("c", SUP_WORKER_OK, 1000));
    srv_pid sup = start_tree(&a);
    expect_events(3, "init a;init b;init c;");
    srv_pid before[3] = {child_pid(sup, "a"), child_pid(sup, "b"), child_pid(sup, "c")};
    srv_exit_signal(before[1], SRV_KILL);
    size_t n = 0;
    for (const char *p = want; *p; p++)
        n += *p == ';';
    expect_events(n, want);
    char restarted[8] = "";
    const char *ids[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        if (!srv_pid_equal(child_pid(sup, ids[i]), before[i]))
            strcat(restarted, ids[i]);
    cr_assert_str_eq(restarted, want_restarted);
    shut_down(sup);
    expect_events(3, "terminate c shutdown;terminate b shutdown;terminate a shutdown;");
}

Test(supervisor, one_for_one_restarts_only_the_child_that_died, .timeout = T(20))
{
    kill_b(SRV_ONE_FOR_ONE, "b", "init b;");
}

Test(supervisor, one_for_all_stops_the_others_in_reverse_order_and_starts_all, .timeout = T(20))
{
    kill_b(SRV_ONE_FOR_ALL, "abc",
           "terminate c shutdown;terminate a shutdown;init a;init b;init c;");
}

Test(supervisor, rest_for_one_restarts_the_child_and_those_started_after_it, .timeout = T(20))
{
    kill_b(SRV_REST_FOR_ONE, "bc", "terminate c shutdown;init b;init c;");
}

/* A transient child is restarted after an abnormal exit only: normal,
 * shutdown and {shutdown, x} leave it stopped. */
Test(supervisor, transient_child_is_restarted_only_after_an_abnormal_exit, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 5, 10);
    struct tree_child t = worker("t", SUP_WORKER_OK, 1000);
    t.restart = SRV_TRANSIENT;
    add(&a, t);
    srv_pid sup = start_tree(&a);
    expect_events(1, "init t;");
    const char *reasons[] = {"normal", "{shutdown,x}", "shutdown", "boom"};
    const char *want[] = {"terminate t normal;", "terminate t {shutdown,x};",
                          "terminate t shutdown;", "terminate t boom;init t;"};
    for (int i = 0; i < 4; i++) {
        srv_pid p = child_pid(sup, "t");
        sup_worker_stop_with_reply ignored;
        cr_assert_eq(sup_worker_stop_with(p, srv_atom_from(reasons[i]), &ignored), SRV_OK);
        expect_events(i < 3 ? 1 : 2, want[i]);
        srv_pid now = child_pid(sup, "t");
        if (i < 3) {
            cr_assert(srv_pid_is_none(now), "%s: not restarted", reasons[i]);
            srv_pid again;
            cr_assert_eq(srv_sup_restart_child(sup, "t", &again), SRV_OK);
            expect_events(1, "init t;");
        } else {
            cr_assert(!srv_pid_is_none(now) && !srv_pid_equal(now, p), "boom: restarted");
        }
    }
    shut_down(sup);
}

/* A transient child's reason with a detail counts as OTP counts it:
 * {shutdown, X} is no failure, {normal, X} is one (restarted, reported). */
Test(supervisor, transient_child_with_a_detail_is_restarted_after_normal_x_not_shutdown_x,
     .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 5, 10);
    struct tree_child t = worker("t", SUP_WORKER_OK, 1000);
    t.restart = SRV_TRANSIENT;
    add(&a, t);
    srv_pid sup = start_tree(&a);
    expect_events(1, "init t;");
    srv_pid p = child_pid(sup, "t");
    sup_worker_stop_with_detail_reply ignored;
    cr_assert_eq(sup_worker_stop_with_detail(p, SRV_SHUTDOWN, "going_home", &ignored), SRV_OK);
    expect_events(1, "terminate t shutdown;");
    cr_assert(srv_pid_is_none(child_pid(sup, "t")), "{shutdown, going_home}: not restarted");
    srv_pid again;
    cr_assert_eq(srv_sup_restart_child(sup, "t", &again), SRV_OK);
    expect_events(1, "init t;");
    cr_assert_eq(sup_worker_stop_with_detail(again, SRV_NORMAL, "odd", &ignored), SRV_OK);
    expect_events(2, "terminate t normal;init t;");
    srv_pid now = child_pid(sup, "t");
    cr_assert(!srv_pid_is_none(now) && !srv_pid_equal(now, again), "{normal, odd}: restarted");
    shut_down(sup);
}

/* A temporary child is never restarted, and its spec goes with it. */
Test(supervisor, temporary_child_is_forgotten_when_it_dies, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 5, 10);
    add(&a, worker("t", SUP_WORKER_OK, 1000));
    struct tree_child tmp = worker("tmp", SUP_WORKER_OK, 1000);
    tmp.restart = SRV_TEMPORARY;
    add(&a, tmp);
    srv_pid sup = start_tree(&a);
    expect_events(2, "init t;init tmp;");
    srv_exit_signal(child_pid(sup, "tmp"), SRV_KILL);
    size_t count = 2;
    srv_child_info info[4];
    while (count != 1)
        cr_assert_eq(srv_sup_which_children(sup, info, 4, &count), SRV_OK);
    cr_assert_str_eq(info[0].id, "t");
    cr_assert_eq(sup_log_count(), 0, "nothing was started again");
    shut_down(sup);
}

/* ---------------------------------------------------------------------- */
/* supervisor_limits.erl                                                   */

/* intensity 2 in 10 s: the third crash within the period shuts the
 * supervisor down (its children in reverse order) with reason shutdown,
 * which its linked starter sees. */
Test(supervisor, third_crash_within_intensity_two_shuts_the_supervisor_down, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 2, 10);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("b", SUP_WORKER_OK, 1000));
    srv_pid sup = start_tree(&a);
    expect_events(2, "init a;init b;");
    for (int crash = 1; crash <= 2; crash++) {
        srv_exit_signal(child_pid(sup, "b"), SRV_KILL);
        expect_events(1, "init b;");
        cr_assert(srv_is_alive(sup), "alive after crash %d", crash);
    }
    srv_exit_signal(child_pid(sup, "b"), SRV_KILL);
    srv_signal s;
    do
        cr_assert_eq(srv_receive_signal(&s, T(10) * 1000), SRV_OK);
    while (s.kind != SRV_SIGNAL_EXIT || !srv_pid_equal(s.pid, sup));
    cr_assert_str_eq(s.reason, "shutdown");
    expect_events(1, "terminate a shutdown;");
}

/* A child whose start fails: those started before are stopped in reverse
 * order and the start fails with {shutdown, {failed_to_start_child, Id,
 * Reason}}; the one after it never starts. */
Test(supervisor, failed_start_stops_the_started_children_in_reverse_order, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 2, 10);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("b", SUP_WORKER_OK, 1000));
    add(&a, worker("c", SUP_WORKER_FAIL, 1000));
    add(&a, worker("d", SUP_WORKER_OK, 1000));
    srv_self(); /* this thread's identity, counted from here */
    size_t before = srv_process_count();
    srv_start_result r;
    cr_assert_eq(srv_sup_start(&tree_sup, &a, SRV_START_LINK, NULL, &r), SRV_EINIT);
    cr_assert_str_eq(r.reason, "{shutdown,{failed_to_start_child,c,no_way}}");
    expect_events(4, "init a;init b;terminate b shutdown;terminate a shutdown;");
    ASSERT_EVENTUALLY(srv_process_count() == before); /* no child left running */
}

/* Shutdown: a child that traps exits runs terminate with shutdown; one
 * whose terminate outruns its shutdown time (100 ms) is killed; a
 * brutal_kill child is killed at once.  Reverse order. */
Test(supervisor, shutdown_waits_each_child_its_time_then_kills_it, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 2, 10);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("s", SUP_WORKER_SLOW_TERMINATE, 100));
    add(&a, worker("k", SUP_WORKER_OK, SRV_BRUTAL_KILL));
    srv_pid sup = start_tree(&a);
    expect_events(3, "init a;init s;init k;");
    shut_down(sup);
    expect_events(2, "terminate_begins s shutdown;terminate a shutdown;");
}

/* srv_set_log_level(SRV_LOG_WARNING): the supervisor report of a death,
 * no progress report of a start. */
Test(supervisor, a_log_level_of_warning_leaves_out_the_progress_reports, .timeout = T(20))
{
    srv_set_logger(keep_report, NULL);
    srv_set_log_level(SRV_LOG_WARNING);
    sup_log_reset();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 2, 10);
    add(&a, worker("r", SUP_WORKER_OK, 1000));
    srv_pid sup = start_tree(&a);
    expect_events(1, "init r;");
    srv_exit_signal(child_pid(sup, "r"), SRV_KILL);
    expect_events(1, "init r;");
    child_pid(sup, "r"); /* a call behind the restart: its reports are made */
    cr_assert_eq(reports_seen(), 1, "the supervisor report alone");
    shut_down(sup);
}

/* The reports: a child's death is a supervisor report (child_terminated,
 * its reason and the offender); its start again, a progress report. */
Test(supervisor, a_child_killed_gives_a_supervisor_report_and_a_progress_report, .timeout = T(20))
{
    srv_set_logger(keep_report, NULL);
    sup_log_reset();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 2, 10);
    add(&a, worker("r", SUP_WORKER_OK, 1000));
    srv_pid sup = start_tree(&a);
    expect_events(1, "init r;");
    cr_assert_eq(reports_seen(), 1, "the progress report of r's start");
    srv_pid r = child_pid(sup, "r");
    srv_exit_signal(r, SRV_KILL);
    expect_events(1, "init r;");
    ASSERT_EVENTUALLY(reports_seen() == 3);
    srv_pid r2 = child_pid(sup, "r");
    char want[2048], sup_text[SRV_PID_TEXT_SIZE];
    snprintf(sup_text, sizeof sup_text, "%s", srv_pid_format(sup).s);
    /* the child's lines, under "started: [" and "offender: [" */
    char started[512], offender[512];
    const char *lines[] = {"{id,r},", "{mfargs,{sup_worker,start_link,...}},",
                           "{restart_type,permanent},", "{significant,false},",
                           "{shutdown,1000},", "{child_type,worker}]"};
    started[0] = offender[0] = '\0';
    for (int i = 0; i < 6; i++) {
        snprintf(started + strlen(started), sizeof started - strlen(started), "%14s%s\n", "",
                 lines[i]);
        snprintf(offender + strlen(offender), sizeof offender - strlen(offender), "%15s%s\n",
                 "", lines[i]);
    }
    int n = snprintf(want, sizeof want,
                     "=PROGRESS REPORT==== srv %s ===\n"
                     "    supervisor: {%s,tree_sup}\n"
                     "    started: [{pid,%s},\n%s",
                     sup_text, sup_text, srv_pid_format(r).s, started);
    n += snprintf(want + n, sizeof want - (size_t)n,
                  "=SUPERVISOR REPORT==== srv %s ===\n"
                  "    supervisor: {%s,tree_sup}\n"
                  "    errorContext: child_terminated\n"
                  "    reason: killed\n"
                  "    offender: [{pid,%s},\n%s",
                  sup_text, sup_text, srv_pid_format(r).s, offender);
    snprintf(want + n, sizeof want - (size_t)n,
             "=PROGRESS REPORT==== srv %s ===\n"
             "    supervisor: {%s,tree_sup}\n"
             "    started: [{pid,%s},\n%s",
             sup_text, sup_text, srv_pid_format(r2).s, started);
    pthread_mutex_lock(&reports_lock);
    cr_assert_str_eq(reports, want);
    pthread_mutex_unlock(&reports_lock);
    shut_down(sup);
}

/* ---------------------------------------------------------------------- */
/* supervisor_dynamic.erl                                                  */

static srv_child_spec spec_x(const struct sup_worker_init_args *args)
{
    return (srv_child_spec){.id = "x", .module = &sup_worker_module, .args = args,
                            .restart = SRV_PERMANENT, .shutdown_ms = 5000};
}

/* get_childspec gives the caller a copy of its own: it outlives the
 * child's spec, deleted by then (ASan sees a read of freed memory
 * otherwise), and it is freed by srv_sup_childspec_free (LSan sees a
 * leak otherwise). */
Test(supervisor, get_childspec_gives_a_copy_that_outlives_the_spec, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    srv_pid sup = start_tree(&a);
    struct sup_worker_init_args w = {"x", SUP_WORKER_OK, 7};
    srv_child_spec spec = spec_x(&w);
    spec.name = "named_x";
    srv_pid p;
    cr_assert_eq(srv_sup_start_child(sup, &spec, &p), SRV_OK);
    srv_child_spec got;
    cr_assert_eq(srv_sup_get_childspec(sup, "x", &got), SRV_OK);
    cr_assert_neq(got.args, NULL);
    cr_assert_neq(got.id, spec.id, "a copy, not the caller's string");
    cr_assert_eq(srv_sup_terminate_child(sup, "x"), SRV_OK);
    cr_assert_eq(srv_sup_delete_child(sup, "x"), SRV_OK);
    cr_assert_str_eq(got.id, "x");
    cr_assert_str_eq(got.name, "named_x");
    const struct sup_worker_init_args *args = got.args;
    cr_assert_str_eq(args->id, "x");
    cr_assert_eq(args->base, 7);
    srv_sup_childspec_free(&got);
    cr_assert_eq(got.id, NULL, "freed and zeroed");
    srv_sup_childspec_free(&got); /* a zeroed spec: nothing */
    shut_down(sup);
}

/* start_child, terminate_child, restart_child, delete_child,
 * which_children, count_children, get_childspec on a one_for_one
 * supervisor, with OTP's answers. */
Test(supervisor, child_calls_answer_as_otp_does, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    srv_pid sup = start_tree(&a);
    struct sup_worker_init_args w = {"x", SUP_WORKER_OK, 1};
    srv_child_spec spec = spec_x(&w);
    srv_pid p, again;
    cr_assert_eq(srv_sup_start_child(sup, &spec, &p), SRV_OK);
    /* start_child again: {error, {already_started, P}} */
    cr_assert_eq(srv_sup_start_child(sup, &spec, &again), SRV_EALREADY);
    cr_assert(srv_pid_equal(again, p));
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children(sup, &n), SRV_OK);
    cr_assert(n.specs == 1 && n.active == 1 && n.supervisors == 0 && n.workers == 1);
    srv_child_spec got;
    cr_assert_eq(srv_sup_get_childspec(sup, "x", &got), SRV_OK);
    cr_assert_str_eq(got.id, "x");
    cr_assert_eq(got.module, &sup_worker_module);
    cr_assert_eq(got.restart, SRV_PERMANENT);
    cr_assert_eq(got.shutdown_ms, 5000);
    cr_assert_str_eq(((const struct sup_worker_init_args *)got.args)->id, "x");
    srv_sup_childspec_free(&got);
    cr_assert_eq(srv_sup_delete_child(sup, "x"), SRV_ERUNNING);
    cr_assert_eq(srv_sup_terminate_child(sup, "x"), SRV_OK);
    cr_assert(!srv_is_alive(p));
    srv_child_info info[2];
    size_t count;
    cr_assert_eq(srv_sup_which_children(sup, info, 2, &count), SRV_OK);
    cr_assert_eq(count, 1);
    cr_assert_str_eq(info[0].id, "x");
    cr_assert(srv_pid_is_none(info[0].pid));
    cr_assert(!info[0].supervisor);
    cr_assert_str_eq(info[0].module, "sup_worker");
    srv_pid p2;
    cr_assert_eq(srv_sup_restart_child(sup, "x", &p2), SRV_OK);
    cr_assert(!srv_pid_equal(p2, p));
    sup_worker_get_reply r;
    cr_assert_eq(sup_worker_get(p2, &r), SRV_OK);
    cr_assert_eq(r.base, 1);
    sup_worker_get_reply_free(&r);
    cr_assert_eq(srv_sup_restart_child(sup, "x", &again), SRV_ERUNNING);
    cr_assert_eq(srv_sup_terminate_child(sup, "x"), SRV_OK);
    cr_assert_eq(srv_sup_delete_child(sup, "x"), SRV_OK);
    cr_assert_eq(srv_sup_get_childspec(sup, "x", &got), SRV_ENOCHILD);
    cr_assert_eq(srv_sup_terminate_child(sup, "nobody"), SRV_ENOCHILD);
    /* a spec kept, not running: {error, already_present} */
    cr_assert_eq(srv_sup_start_child(sup, &spec, &p), SRV_OK);
    cr_assert_eq(srv_sup_terminate_child(sup, "x"), SRV_OK);
    cr_assert_eq(srv_sup_start_child(sup, &spec, &again), SRV_EPRESENT);
    shut_down(sup);
}

/* The supervisor calls take a name as they take a pid. */
Test(supervisor, calls_reach_a_supervisor_by_its_registered_name, .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    srv_start_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.name = "named_sup";
    srv_start_result started;
    cr_assert_eq(srv_sup_start(&tree_sup, &a, SRV_START_LINK, &opts, &started), SRV_OK);
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children("named_sup", &n), SRV_OK);
    cr_assert_eq(n.active, 1);
    cr_assert_eq(srv_sup_count_children("nobody_sup", &n), SRV_ENOPROC);
    shut_down(started.pid);
}

/* simple_one_for_one: the template's args and start_child's extra args
 * make the child's (1000 + extra). */
struct dyn_args {
    int mode;
    srv_child_restart restart;
    long shutdown_ms;
};

static struct sup_worker_init_args dyn_template = {"w", SUP_WORKER_OK, 1000};

static void dyn_init(const void *args, srv_sup_init *out)
{
    const struct dyn_args *a = args;
    out->flags = (srv_sup_flags){SRV_SIMPLE_ONE_FOR_ONE, 1, 5};
    out->count = 1;
    out->children[0] = (srv_child_spec){.id = "w", .module = &sup_worker_module,
                                        .args = &dyn_template, .restart = a->restart,
                                        .shutdown_ms = a->shutdown_ms};
}

static bool dyn_combine(void *child_args, const void *template_args, const void *extra_args)
{
    struct sup_worker_init_args *c = child_args;
    *c = *(const struct sup_worker_init_args *)template_args;
    c->base += *(const int64_t *)extra_args;
    return true;
}

static const srv_sup_module dyn_sup = {
    .abi_version = SRV_ABI_VERSION,
    .name = "dyn_sup",
    .args_size = sizeof(struct dyn_args),
    .child_count = 1,
    .init = dyn_init,
    .combine_args = dyn_combine,
    .extra_args_size = sizeof(int64_t),
};

static srv_pid start_dyn(srv_child_restart restart)
{
    struct dyn_args a = {SUP_WORKER_OK, restart, 5000};
    srv_start_result r;
    cr_assert_eq(srv_sup_start(&dyn_sup, &a, SRV_START_LINK, NULL, &r), SRV_OK);
    return r.pid;
}

Test(supervisor, simple_one_for_one_child_gets_template_and_extra_args, .timeout = T(20))
{
    quiet();
    srv_pid sup = start_dyn(SRV_TEMPORARY);
    int64_t seven = 7;
    srv_pid c1;
    cr_assert_eq(srv_sup_start_child_args(sup, &dyn_sup, &seven, &c1), SRV_OK);
    sup_worker_get_reply r;
    cr_assert_eq(sup_worker_get(c1, &r), SRV_OK);
    cr_assert_eq(r.base, 1007);
    sup_worker_get_reply_free(&r);
    cr_assert_eq(srv_sup_terminate_child_pid(sup, c1), SRV_OK);
    cr_assert(!srv_is_alive(c1));
    /* an id means nothing to simple_one_for_one */
    cr_assert_eq(srv_sup_terminate_child(sup, "w"), SRV_EINVAL);
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children(sup, &n), SRV_OK);
    cr_assert(n.specs == 1 && n.active == 0 && n.workers == 0);
    shut_down(sup);
}

/* A permanent simple_one_for_one child is restarted with its own args. */
Test(supervisor, simple_one_for_one_restarts_a_child_with_the_args_it_had, .timeout = T(20))
{
    quiet();
    srv_pid sup = start_dyn(SRV_PERMANENT);
    int64_t five = 5;
    srv_pid c1;
    cr_assert_eq(srv_sup_start_child_args(sup, &dyn_sup, &five, &c1), SRV_OK);
    expect_events(1, "init w;");
    srv_exit_signal(c1, SRV_KILL);
    expect_events(1, "init w;");
    srv_child_info info[2];
    size_t count;
    cr_assert_eq(srv_sup_which_children(sup, info, 2, &count), SRV_OK);
    cr_assert_eq(count, 1);
    cr_assert(info[0].id == NULL);
    cr_assert(!srv_pid_equal(info[0].pid, c1));
    sup_worker_get_reply r;
    cr_assert_eq(sup_worker_get(info[0].pid, &r), SRV_OK);
    cr_assert_eq(r.base, 1005);
    sup_worker_get_reply_free(&r);
    shut_down(sup);
}

/* 100,000 children (10,000 under the sanitizers), counted, then shut
 * down with their supervisor, all at once. */
Test(supervisor, simple_one_for_one_holds_and_shuts_down_100k_children, .timeout = T(60))
{
    quiet();
    srv_self();
    size_t before = srv_process_count();
    srv_pid sup = start_dyn(SRV_TEMPORARY);
    for (int64_t i = 1; i <= MANY; i++) {
        srv_pid c;
        cr_assert_eq(srv_sup_start_child_args(sup, &dyn_sup, &i, &c), SRV_OK);
    }
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children(sup, &n), SRV_OK);
    cr_assert(n.specs == 1 && n.active == MANY && n.workers == MANY);
    shut_down(sup);
    cr_assert_eq(sup_log_count(), 2 * MANY, "every child ran init and terminate");
    ASSERT_EVENTUALLY(srv_process_count() == before);
}

/* start_child_args names the supervisor's module: another's is refused,
 * as a call with another server's module is. */
Test(supervisor, start_child_args_with_another_supervisors_module_is_einval, .timeout = T(20))
{
    quiet();
    srv_pid sup = start_dyn(SRV_TEMPORARY);
    int64_t seven = 7;
    srv_pid c = {1, 1, 1}; /* any pid: a refused call sets SRV_PID_NONE */
    cr_assert_eq(srv_sup_start_child_args(sup, &tree_sup, &seven, &c), SRV_EINVAL);
    cr_assert(srv_pid_is_none(c));
    cr_assert_eq(srv_sup_start_child_args(sup, NULL, &seven, &c), SRV_EINVAL);
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children(sup, &n), SRV_OK);
    cr_assert_eq(n.active, 0, "nothing was started");
    cr_assert_eq(srv_sup_start_child_args(sup, &dyn_sup, &seven, &c), SRV_OK);
    shut_down(sup);
}

/* ---------------------------------------------------------------------- */
/* A caller killed while its call waits: the supervisor reads its copy     */

/* A supervisor call that a sup_worker makes in its handler (sup_worker_run),
 * with what the call takes. */
struct sup_call {
    srv_pid sup;
    const srv_child_spec *spec;
    const srv_sup_module *module;
    const void *extra;
    const char *id;
};

static void run_start_child(void *arg)
{
    const struct sup_call *c = arg;
    srv_pid child;
    srv_sup_start_child(c->sup, c->spec, &child);
}

static void run_start_child_args(void *arg)
{
    const struct sup_call *c = arg;
    srv_pid child;
    srv_sup_start_child_args(c->sup, c->module, c->extra, &child);
}

static void run_terminate_child(void *arg)
{
    const struct sup_call *c = arg;
    srv_sup_terminate_child(c->sup, c->id);
}

/* busy makes sup busy (a call that starts a child whose init waits at the
 * gate); then a worker sends caller's call, which waits in the
 * supervisor's mailbox behind it, and is killed.  When this returns, the
 * caller is gone and the gate still shut. */
static void kill_queued_caller(srv_pid sup, struct sup_job *busy, struct sup_job *caller)
{
    srv_pid busy_pid, caller_pid;
    cr_assert_eq(sup_worker_start("busy", SUP_WORKER_OK, 0, &busy_pid), SRV_OK);
    cr_assert_eq(sup_worker_start("caller", SUP_WORKER_OK, 0, &caller_pid), SRV_OK);
    expect_events(2, "init busy;init caller;");
    cr_assert_eq(sup_worker_run(busy_pid, busy), SRV_OK);
    expect_events(1, "init_begins gated;");
    cr_assert_eq(sup_worker_run(caller_pid, caller), SRV_OK);
    size_t queued = 0;
    ASSERT_EVENTUALLY(srv_message_queue_len(sup, &queued) == SRV_OK && queued == 1);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(caller_pid, &ref), SRV_OK);
    cr_assert_eq(srv_exit_signal(caller_pid, SRV_KILL), SRV_OK);
    srv_signal down;
    do
        cr_assert_eq(srv_receive_signal(&down, T(10) * 1000), SRV_OK);
    while (down.kind != SRV_SIGNAL_DOWN || down.ref != ref);
}

/* A heap copy of text, and its end: overwritten, then freed. */
static char *heap_text(const char *text)
{
    char *copy = strdup(text);
    cr_assert_not_null(copy);
    return copy;
}

static void scrap(void *memory, size_t size)
{
    memset(memory, 0x5a, size);
    free(memory);
}

static void scrap_text(char *text)
{
    scrap(text, strlen(text) + 1);
}

static const struct sup_worker_init_args gated_args = {"gated", SUP_WORKER_GATED, 0};

Test(supervisor, start_child_of_a_caller_killed_while_queued_starts_the_spec_as_sent,
     .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    srv_pid sup = start_tree(&a);
    srv_child_spec gated = {.id = "g", .module = &sup_worker_module, .args = &gated_args,
                            .restart = SRV_TEMPORARY, .shutdown_ms = 1000};
    struct sup_call busy_call = {.sup = sup, .spec = &gated};
    struct sup_job busy = {run_start_child, &busy_call};
    /* the caller's spec, all of it on the heap */
    struct sup_worker_init_args *args = malloc(sizeof *args);
    srv_child_spec *spec = malloc(sizeof *spec);
    cr_assert(args != NULL && spec != NULL);
    *args = (struct sup_worker_init_args){heap_text("x_args"), SUP_WORKER_OK, 42};
    *spec = (srv_child_spec){.id = heap_text("x"), .module = &sup_worker_module, .args = args,
                             .name = heap_text("x_name"), .restart = SRV_PERMANENT,
                             .shutdown_ms = 1000};
    struct sup_call caller_call = {.sup = sup, .spec = spec};
    struct sup_job caller = {run_start_child, &caller_call};
    kill_queued_caller(sup, &busy, &caller);
    scrap_text((char *)args->id);
    scrap(args, sizeof *args);
    scrap_text((char *)spec->id);
    scrap_text((char *)spec->name);
    scrap(spec, sizeof *spec);
    sup_gate_open();
    expect_events(2, "init gated;init x_args;");
    srv_pid x = child_pid(sup, "x"), named;
    cr_assert_eq(srv_whereis("x_name", &named), SRV_OK);
    cr_assert(srv_pid_equal(named, x));
    sup_worker_get_reply r;
    cr_assert_eq(sup_worker_get(x, &r), SRV_OK);
    cr_assert_str_eq(r.id, "x_args");
    cr_assert_eq(r.base, 42);
    sup_worker_get_reply_free(&r);
    shut_down(sup);
}

/* A simple_one_for_one supervisor whose extra args own a string: the
 * child's id and mode. */
struct named_extra {
    const char *id;
    int mode;
};

static bool named_combine(void *child_args, const void *template_args, const void *extra_args)
{
    const struct named_extra *x = extra_args;
    struct sup_worker_init_args *c = child_args;
    *c = *(const struct sup_worker_init_args *)template_args;
    c->id = x->id;
    c->mode = x->mode;
    return true;
}

static bool named_copy_extra(void *dst, const void *src)
{
    struct named_extra *to = dst;
    *to = *(const struct named_extra *)src;
    to->id = strdup(to->id);
    return to->id != NULL;
}

static void named_free_extra(void *args)
{
    free((void *)((struct named_extra *)args)->id);
}

static const srv_sup_module named_dyn_sup = {
    .abi_version = SRV_ABI_VERSION,
    .name = "named_dyn_sup",
    .args_size = sizeof(struct dyn_args),
    .child_count = 1,
    .init = dyn_init,
    .combine_args = named_combine,
    .extra_args_size = sizeof(struct named_extra),
    .copy_extra_args = named_copy_extra,
    .free_extra_args = named_free_extra,
};

Test(supervisor, start_child_args_of_a_caller_killed_while_queued_starts_with_the_args_sent,
     .timeout = T(20))
{
    quiet();
    struct dyn_args a = {SUP_WORKER_OK, SRV_TEMPORARY, 1000};
    srv_start_result started;
    cr_assert_eq(srv_sup_start(&named_dyn_sup, &a, SRV_START_LINK, NULL, &started), SRV_OK);
    srv_pid sup = started.pid;
    struct named_extra gated = {"gated", SUP_WORKER_GATED};
    struct sup_call busy_call = {.sup = sup, .module = &named_dyn_sup, .extra = &gated};
    struct sup_job busy = {run_start_child_args, &busy_call};
    struct named_extra *extra = malloc(sizeof *extra);
    cr_assert_not_null(extra);
    *extra = (struct named_extra){heap_text("y"), SUP_WORKER_OK};
    struct sup_call caller_call = {.sup = sup, .module = &named_dyn_sup, .extra = extra};
    struct sup_job caller = {run_start_child_args, &caller_call};
    kill_queued_caller(sup, &busy, &caller);
    scrap_text((char *)extra->id);
    scrap(extra, sizeof *extra);
    sup_gate_open();
    expect_events(2, "init gated;init y;");
    srv_sup_counts n;
    cr_assert_eq(srv_sup_count_children(sup, &n), SRV_OK);
    cr_assert_eq(n.active, 2);
    shut_down(sup);
}

Test(supervisor, terminate_child_of_a_caller_killed_while_queued_finds_the_id_sent,
     .timeout = T(20))
{
    quiet();
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    add(&a, worker("t", SUP_WORKER_OK, 1000));
    srv_pid sup = start_tree(&a);
    expect_events(1, "init t;");
    srv_child_spec gated = {.id = "g", .module = &sup_worker_module, .args = &gated_args,
                            .restart = SRV_TEMPORARY, .shutdown_ms = 1000};
    struct sup_call busy_call = {.sup = sup, .spec = &gated};
    struct sup_job busy = {run_start_child, &busy_call};
    char *id = heap_text("t");
    struct sup_call caller_call = {.sup = sup, .id = id};
    struct sup_job caller = {run_terminate_child, &caller_call};
    kill_queued_caller(sup, &busy, &caller);
    scrap_text(id);
    sup_gate_open();
    expect_events(2, "init gated;terminate t shutdown;");
    cr_assert(srv_pid_is_none(child_pid(sup, "t")), "t was terminated");
    shut_down(sup);
}

/* ---------------------------------------------------------------------- */
/* The storm                                                               */

/* Every pid of the tree under sup (supervisors and workers), into out. */
static size_t tree_pids(srv_pid sup, srv_pid *out, size_t cap, size_t n)
{
    srv_child_info info[6];
    size_t count;
    if (srv_sup_which_children(sup, info, 6, &count) != SRV_OK)
        return n; /* it went meanwhile */
    for (size_t i = 0; i < count && i < 6 && n < cap; i++) {
        if (srv_pid_is_none(info[i].pid))
            continue;
        out[n++] = info[i].pid;
        if (info[i].supervisor)
            n = tree_pids(info[i].pid, out, cap, n);
    }
    return n;
}

/* Whether every supervisor under sup runs all its children. */
static bool tree_complete(srv_pid sup, size_t *processes)
{
    srv_child_info info[6];
    size_t count;
    if (srv_sup_which_children(sup, info, 6, &count) != SRV_OK)
        return false;
    ++*processes;
    for (size_t i = 0; i < count; i++) {
        if (srv_pid_is_none(info[i].pid) || !srv_is_alive(info[i].pid))
            return false;
        if (!info[i].supervisor)
            ++*processes;
        else if (!tree_complete(info[i].pid, processes))
            return false;
    }
    return true;
}

/* Random kills (kill, or a crash's reason) in a three-level tree, the
 * middle supervisors of each strategy; then the tree is whole again, and
 * its shutdown leaves no process behind. */
Test(supervisor, storm_of_kills_in_a_three_level_tree_leaves_it_whole, .timeout = T(120))
{
    quiet();
    srv_self();
    size_t before = srv_process_count();
    static struct tree_args mid[3];
    srv_sup_strategy strategies[3] = {SRV_ONE_FOR_ALL, SRV_REST_FOR_ONE, SRV_ONE_FOR_ONE};
    static const char *ids[3][4] = {{"a1", "a2", "a3", "a4"},
                                    {"r1", "r2", "r3", "r4"},
                                    {"o1", "o2", "o3", "o4"}};
    struct tree_args root = tree(SRV_ONE_FOR_ONE, 1000000, 1);
    for (int m = 0; m < 3; m++) {
        mid[m] = tree(strategies[m], 1000000, 1);
        for (int w = 0; w < 4; w++) {
            struct tree_child c = worker(ids[m][w], w == 3 ? SUP_WORKER_NO_TRAP : SUP_WORKER_OK,
                                         w == 2 ? SRV_BRUTAL_KILL : 1000);
            c.restart = w == 1 ? SRV_TRANSIENT : SRV_PERMANENT;
            add(&mid[m], c);
        }
        struct tree_child sub = {m == 0 ? "m1" : m == 1 ? "m2" : "m3", {0}, &mid[m],
                                 SRV_PERMANENT, SRV_INFINITY, NULL};
        add(&root, sub);
    }
    srv_pid sup = start_tree(&root);
    unsigned seed = 12345;
    srv_pid pids[32];
    for (int k = 0; k < STORM_KILLS; k++) {
        size_t n = tree_pids(sup, pids, 32, 0);
        if (n == 0)
            continue;
        seed = seed * 1103515245u + 12345u;
        srv_pid victim = pids[(seed >> 16) % n];
        srv_exit_signal(victim, (seed >> 8) % 3 == 0 ? "boom" : SRV_KILL);
    }
    /* most kills restarted a child or more: their inits are logged */
    cr_assert_gt(sup_log_count(), STORM_KILLS / 2);
    size_t processes = 0;
    int waited = 0;
    while (processes = 0, !tree_complete(sup, &processes) && waited++ < T(5000))
        srv_sleep(1);
    cr_assert_eq(processes, 1 + 3 + 12, "the root, 3 supervisors and 12 workers run");
    /* and nothing else, once the last killed child has gone: its EXIT,
     * which had its supervisor start another, goes before its memory */
    ASSERT_EVENTUALLY(srv_process_count() == before + processes);
    shut_down(sup);
    ASSERT_EVENTUALLY(srv_process_count() == before);
}

/* ---------------------------------------------------------------------- */
/* srv_run: a program that runs a tree                                     */

/* Forks a program that runs the tree of a (its events on a pipe), and
 * returns its pid; *events is the pipe's read end. */
static pid_t run_program(const struct tree_args *a, int *events)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        close(fds[0]);
        sup_log_fd = fds[1];
        quiet();
        _exit(srv_run(&tree_sup, a));
    }
    close(fds[1]);
    *events = fds[0];
    return child;
}

/* Reads the program's events until text has all come (or EOF). */
static void read_until(int fd, const char *want)
{
    char got[1024];
    size_t len = 0;
    while (len < strlen(want)) {
        ssize_t n = read(fd, got + len, sizeof got - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    got[len] = '\0';
    cr_assert_str_eq(got, want);
}

static int exit_status(pid_t child)
{
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status), "it exited, with a status");
    return WEXITSTATUS(status);
}

/* SIGTERM: the tree shuts down in order, and the program exits with 0. */
Test(supervisor, srv_run_shuts_the_tree_down_in_order_on_sigterm, .timeout = T(20))
{
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("b", SUP_WORKER_OK, 1000));
    add(&a, worker("c", SUP_WORKER_OK, 1000));
    int events;
    pid_t child = run_program(&a, &events);
    read_until(events, "init a;init b;init c;");
    kill(child, SIGTERM);
    read_until(events, "terminate c shutdown;terminate b shutdown;terminate a shutdown;");
    cr_assert_eq(exit_status(child), 0);
    close(events);
}

/* A second SIGINT during the shutdown kills the tree at once: the slow
 * terminate never finishes, and the program exits with 1. */
Test(supervisor, srv_run_second_signal_kills_at_once, .timeout = T(20))
{
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    add(&a, worker("a", SUP_WORKER_OK, 1000));
    add(&a, worker("s", SUP_WORKER_SLOW_TERMINATE, SRV_INFINITY));
    int events;
    pid_t child = run_program(&a, &events);
    read_until(events, "init a;init s;");
    kill(child, SIGINT);
    read_until(events, "terminate_begins s shutdown;");
    kill(child, SIGINT);
    cr_assert_eq(exit_status(child), 1);
    /* s never ended its terminate (a, killed with its root, may have
     * begun its own before the program ended) */
    char rest[256];
    size_t len = 0;
    ssize_t n;
    while ((n = read(events, rest + len, sizeof rest - 1 - len)) > 0)
        len += (size_t)n;
    rest[len] = '\0';
    cr_assert_null(strstr(rest, "terminate s"), "after the kill: %s", rest);
    close(events);
}

/* A root that cannot start: status 1 at once. */
Test(supervisor, srv_run_returns_1_when_the_root_fails_to_start, .timeout = T(20))
{
    struct tree_args a = tree(SRV_ONE_FOR_ONE, 1, 5);
    add(&a, worker("f", SUP_WORKER_FAIL, 1000));
    int events;
    pid_t child = run_program(&a, &events);
    cr_assert_eq(exit_status(child), 1);
    close(events);
}
