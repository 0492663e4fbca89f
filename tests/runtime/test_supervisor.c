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

static void quiet(void)
{
    static struct captured sink;
    srv_set_logger(capture, &sink);
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
