/*
 * test_name.c: registered names, and servers addressed by them: call,
 * cast, send, stop and monitor by a local name or a via name (a registry
 * written here), multi_call and abcast.  Erlang twin: tests/otp/names.erl.
 */
#include "alloc.h" /* srv__alloc_fail_after */
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

/* ---- Servers by name: tests/otp/names.erl is their Erlang twin -------- */

static srv_pid start_named(const char *name, int64_t start)
{
    srv_start_opts opts = {.name = name};
    srv_start_result started;
    cr_assert_eq(counter_start_opts(start, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &started),
                 SRV_OK);
    return started.pid;
}

/* The next signal to this thread, which must come. */
static srv_signal next_signal(void)
{
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(5000)), SRV_OK);
    return s;
}

Test(name, call_cast_send_stop_and_monitor_take_a_registered_name, .timeout = T(10))
{
    srv_pid pid = start_named("acc", 0);
    cr_assert_eq(counter_bump("acc", 1), SRV_OK);          /* gen_server:cast(acc, ...) */
    cr_assert_eq(counter_send_tick("acc", 10), SRV_OK);    /* acc ! {tick, 10} */
    counter_get_reply r;
    cr_assert_eq(counter_get("acc", &r), SRV_OK);          /* gen_server:call(acc, get) */
    cr_assert_eq(r.total, 1);
    cr_assert_eq(r.ticks, 10);
    const char *name = "acc"; /* a name in a variable, not only a literal */
    counter_add_reply added;
    cr_assert_eq(counter_add_timeout(name, 2, &added, 1000), SRV_OK);
    cr_assert_eq(added.total, 3);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor_to(srv_ref_name("acc"), &ref), SRV_OK);
    cr_assert_eq(counter_stop("acc"), SRV_OK);
    srv_signal down = next_signal();
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, ref);
    cr_assert(srv_pid_equal(down.pid, pid), "the DOWN names the process that held the name");
    cr_assert_eq(down.reason, srv_atom_normal);
}

Test(name, arguments_by_name_may_be_compound_literals, .timeout = T(10))
{
    start_named("echoer", 0);
    unsigned char data[] = {1, 2, 3};
    counter_echo_reply r;
    cr_assert_eq(counter_echo("echoer", "hi", (srv_bytes){data, 3}, &r), SRV_OK);
    cr_assert_str_eq(r.text, "hi");
    cr_assert_eq(r.data.len, 3);
    counter_echo_reply_free(&r);
    cr_assert_eq(counter_stop("echoer"), SRV_OK);
}

Test(name, a_name_nobody_holds_answers_as_otp_does, .timeout = T(10))
{
    counter_get_reply r;
    srv_call_result why;
    /* call exits {noproc, {gen_server, call, [acc, get]}} */
    cr_assert_eq(counter_get_full("nobody_here", &r, 1000, &why), SRV_ENOPROC);
    cr_assert_eq(why.reason, srv_atom_noproc);
    cr_assert_eq(counter_bump("nobody_here", 1), SRV_OK);          /* cast is ok */
    cr_assert_eq(counter_send_tick("nobody_here", 1), SRV_ENOTREG); /* send: badarg */
    cr_assert_eq(counter_stop("nobody_here"), SRV_ENOPROC);         /* stop: noproc */
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor_to(srv_ref_name("nobody_here"), &ref), SRV_OK);
    srv_signal down = next_signal();                                 /* DOWN noproc */
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, ref);
    cr_assert_eq(down.reason, srv_atom_noproc);
    cr_assert(srv_pid_is_none(down.pid));
}

Test(name, a_name_is_looked_up_at_each_use, .timeout = T(10))
{
    srv_pid first = start_named("relay", 1);
    counter_stop(first);
    srv_pid second = start_named("relay", 2);
    counter_get_reply r;
    cr_assert_eq(counter_get("relay", &r), SRV_OK);
    cr_assert_eq(r.total, 2, "the name's holder now, not the one before");
    counter_stop(second);
}

Test(name, multi_call_and_abcast_over_the_local_node, .timeout = T(10))
{
    srv_pid pid = start_named("acc_multi", 5);
    counter_get_reply replies[SRV_MAX_NODES];
    srv_multi_call_result result;
    /* {[{nonode@nohost, 5}], []} */
    cr_assert_eq(counter_get_multi_call("acc_multi", replies, SRV_INFINITY, &result), SRV_OK);
    cr_assert_eq(result.replied_count, 1);
    cr_assert_eq(result.replied[0], 0);
    cr_assert_eq(replies[0].total, 5);
    cr_assert_eq(result.bad_node_count, 0);
    /* {[], [nonode@nohost]} */
    cr_assert_eq(counter_get_multi_call("nobody_multi", replies, SRV_INFINITY, &result), SRV_OK);
    cr_assert_eq(result.replied_count, 0);
    cr_assert_eq(result.bad_node_count, 1);
    cr_assert_eq(result.bad_nodes[0], 0);
    /* abcast, then the cast has reached it */
    cr_assert_eq(counter_bump_abcast("acc_multi", 2), SRV_OK);
    cr_assert_eq(counter_bump_abcast("nobody_multi", 2), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 7);
    /* {error, {already_started, Pid}} */
    srv_start_opts opts = {.name = "acc_multi"};
    srv_start_result again;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &again),
                 SRV_EALREADY);
    cr_assert(srv_pid_equal(again.pid, pid));
    counter_stop(pid);
}

Test(name, multi_call_lists_a_server_that_exits_as_a_bad_node, .timeout = T(10))
{
    start_named("acc_crash", 0);
    counter_crash_reply r[SRV_MAX_NODES];
    srv_multi_call_result result;
    cr_assert_eq(counter_crash_multi_call("acc_crash", srv_atom_from("crashed"), r, 1000, &result),
                 SRV_OK);
    cr_assert_eq(result.replied_count, 0);
    cr_assert_eq(result.bad_node_count, 1);
}

/* ---- A registry of the test's own: gen's {via, Module, Name} ----------- */

#include <pthread.h>
#include <stdio.h>

struct test_registry {
    pthread_mutex_t lock;
    struct {
        char name[32];
        srv_pid pid;
    } entries[8];
    int registers, unregisters, sends;
};

static srv_status reg_register(void *user, const char *name, srv_pid pid)
{
    struct test_registry *r = user;
    srv_status status = SRV_ENOMEM;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < 8; i++)
        if (strcmp(r->entries[i].name, name) == 0) {
            pthread_mutex_unlock(&r->lock);
            return SRV_EALREADY;
        }
    for (int i = 0; i < 8; i++)
        if (r->entries[i].name[0] == '\0') {
            snprintf(r->entries[i].name, sizeof r->entries[i].name, "%s", name);
            r->entries[i].pid = pid;
            r->registers++;
            status = SRV_OK;
            break;
        }
    pthread_mutex_unlock(&r->lock);
    return status;
}

static srv_status reg_unregister(void *user, const char *name)
{
    struct test_registry *r = user;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < 8; i++)
        if (strcmp(r->entries[i].name, name) == 0) {
            r->entries[i].name[0] = '\0';
            r->unregisters++;
        }
    pthread_mutex_unlock(&r->lock);
    return SRV_OK;
}

static srv_status reg_whereis(void *user, const char *name, srv_pid *pid_out)
{
    struct test_registry *r = user;
    srv_status status = SRV_ENOTREG;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < 8; i++)
        if (r->entries[i].name[0] != '\0' && strcmp(r->entries[i].name, name) == 0) {
            *pid_out = r->entries[i].pid;
            status = SRV_OK;
        }
    pthread_mutex_unlock(&r->lock);
    return status;
}

static srv_status reg_send(void *user, const char *name, const srv_message *msg)
{
    struct test_registry *r = user;
    srv_pid pid;
    srv_status status = reg_whereis(user, name, &pid);
    pthread_mutex_lock(&r->lock);
    r->sends++;
    pthread_mutex_unlock(&r->lock);
    return status == SRV_OK ? srv_deliver(pid, msg) : status;
}

static struct test_registry registry_state = {.lock = PTHREAD_MUTEX_INITIALIZER};
static const srv_registry test_registry = {&registry_state, reg_register, reg_unregister,
                                           reg_whereis, reg_send, "test_registry"};

static srv_pid start_via(const srv_registry *via, const char *name, int64_t start,
                         srv_status expect, srv_start_result *started)
{
    srv_start_opts opts = {.name = name, .via = via};
    cr_assert_eq(counter_start_opts(start, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, started),
                 expect);
    return started->pid;
}

Test(name, start_call_cast_and_stop_by_a_via_name, .timeout = T(10))
{
    srv_start_result started;
    srv_pid pid = start_via(&test_registry, "vacc", 7, SRV_OK, &started);
    srv_ref vacc = srv_ref_via(&test_registry, "vacc");
    srv_pid found;
    cr_assert_eq(srv_resolve(vacc, &found), SRV_OK); /* global:whereis_name(vacc) */
    cr_assert(srv_pid_equal(found, pid));
    cr_assert_eq(srv_whereis("vacc", &found), SRV_ENOTREG, "a via name is not a local one");
    counter_get_reply r;
    cr_assert_eq(counter_get(vacc, &r), SRV_OK);
    cr_assert_eq(r.total, 7);
    int sends = registry_state.sends;
    cr_assert_eq(counter_bump(vacc, 1), SRV_OK);
    cr_assert_eq(counter_send_tick(vacc, 3), SRV_OK);
    cr_assert_eq(registry_state.sends, sends + 2, "casts and sends go through its send");
    cr_assert_eq(counter_get(vacc, &r), SRV_OK);
    cr_assert_eq(r.total, 8);
    cr_assert_eq(r.ticks, 3);
    /* a second start by the same name: already started, with the holder */
    srv_start_result again;
    start_via(&test_registry, "vacc", 0, SRV_EALREADY, &again);
    cr_assert(srv_pid_equal(again.pid, pid));
    int unregisters = registry_state.unregisters;
    cr_assert_eq(counter_stop(vacc), SRV_OK);
    cr_assert_eq(registry_state.unregisters, unregisters + 1,
                 "the name is given back to its registry when the server ends");
    srv_call_result why;
    cr_assert_eq(counter_get_full(vacc, &r, 1000, &why), SRV_ENOPROC);
    cr_assert_eq(why.reason, srv_atom_noproc);
    /* gen_server:call({via, global, vacc}, get) exits
     * {noproc,{gen_server,call,[{via,global,vacc},get]}} (names.erl) */
    cr_assert_str_eq(srv_detail_text(why.exit),
                     "{noproc,{gen_server,call,[{via,test_registry,vacc},get,1000]}}");
    const srv_registry anonymous = {&registry_state, reg_register, reg_unregister, reg_whereis,
                                    reg_send, NULL};
    cr_assert_eq(counter_get_full(srv_ref_via(&anonymous, "vacc"), &r, SRV_DEFAULT_CALL_TIMEOUT,
                                  &why),
                 SRV_ENOPROC);
    cr_assert_str_eq(srv_detail_text(why.exit),
                     "{noproc,{gen_server,call,[{via,via,vacc},get]}}");
    cr_assert_eq(counter_bump(vacc, 1), SRV_OK);
    cr_assert_eq(counter_send_tick(vacc, 1), SRV_ENOTREG);
    cr_assert_eq(counter_stop(vacc), SRV_ENOPROC);
}

Test(name, a_via_registry_without_send_is_sent_to_through_whereis, .timeout = T(10))
{
    static struct test_registry plain = {.lock = PTHREAD_MUTEX_INITIALIZER};
    const srv_registry no_send = {&plain, reg_register, reg_unregister, reg_whereis, NULL, "plain"};
    srv_start_result started;
    srv_pid pid = start_via(&no_send, "plain", 1, SRV_OK, &started);
    srv_ref ref = srv_ref_via(&no_send, "plain");
    cr_assert_eq(counter_bump(ref, 4), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 5);
    cr_assert_eq(plain.sends, 0);
    cr_assert_eq(counter_stop_timeout(ref, srv_atom_shutdown, 1000), SRV_OK);
    cr_assert_eq(plain.unregisters, 1);
}

Test(name, a_via_name_in_a_crash_report_is_given_back_after_the_crash, .timeout = T(10))
{
    static struct test_registry crashing = {.lock = PTHREAD_MUTEX_INITIALIZER};
    const srv_registry via = {&crashing, reg_register, reg_unregister, reg_whereis, reg_send,
                              "crashing"};
    srv_start_result started;
    start_via(&via, "fragile", 0, SRV_OK, &started);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor_to(srv_ref_via(&via, "fragile"), &ref), SRV_OK);
    counter_crash_reply r;
    cr_assert_eq(counter_crash(srv_ref_via(&via, "fragile"), srv_atom_from("broke"), &r),
                 SRV_EEXIT);
    srv_signal down = next_signal();
    cr_assert_eq(down.ref, ref);
    cr_assert_eq(crashing.unregisters, 1, "unregistered before the DOWN");
}

Test(name, a_pid_in_an_srv_ref_goes_to_that_pid, .timeout = T(10))
{
    srv_pid pid = start_counter(3);
    counter_get_reply r;
    cr_assert_eq(counter_get(srv_ref_pid(pid), &r), SRV_OK);
    cr_assert_eq(r.total, 3);
    cr_assert_eq(counter_get(SRV_REF(pid), &r), SRV_OK);
    cr_assert_eq(counter_stop(srv_ref_pid(pid)), SRV_OK);
    cr_assert_eq(counter_get(srv_ref_pid(pid), &r), SRV_ENOPROC);
}

Test(name, a_bad_reference_is_refused, .timeout = T(10))
{
    srv_pid found;
    cr_assert_eq(srv_resolve(srv_ref_name(NULL), &found), SRV_EINVAL);
    cr_assert_eq(srv_resolve(srv_ref_via(NULL, "x"), &found), SRV_EINVAL);
    srv_start_opts opts = {.name = NULL, .via = &test_registry};
    srv_start_result started;
    cr_assert_eq(counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &started),
                 SRV_EINVAL, "a via start needs a name");
}

/* A start by a via name that meets a failed allocation anywhere returns
 * SRV_ENOMEM and leaves the registry as it was; one that starts gives the
 * name back when it stops. */
Test(name, a_via_start_without_memory_leaves_the_registry_as_it_was, .timeout = T(30))
{
    static struct test_registry tight = {.lock = PTHREAD_MUTEX_INITIALIZER};
    const srv_registry via = {&tight, reg_register, reg_unregister, reg_whereis, reg_send, "tight"};
    srv_self(); /* this thread's identity, made before the injector runs */
    size_t processes = srv_process_count();
    bool started = false;
    for (unsigned long n = 1; n <= 200 && !started; n++) {
        srv_start_opts opts = {.name = "tight", .via = &via};
        srv_start_result result;
        srv__alloc_fail_after(n);
        srv_status s = counter_start_opts(0, COUNTER_INIT_OK, SRV_START_PLAIN, &opts, &result);
        srv__alloc_fail_after(0);
        cr_assert(s == SRV_OK || s == SRV_ENOMEM, "start returned %s", srv_status_name(s));
        srv_pid found;
        if (s == SRV_ENOMEM) {
            cr_assert_eq(reg_whereis(&tight, "tight", &found), SRV_ENOTREG, "n=%lu", n);
            ASSERT_EVENTUALLY(srv_process_count() == processes);
            continue;
        }
        started = true;
        cr_assert_eq(counter_stop(srv_ref_via(&via, "tight")), SRV_OK);
        cr_assert_eq(reg_whereis(&tight, "tight", &found), SRV_ENOTREG);
    }
    cr_assert(started);
    cr_assert_eq(tight.registers, tight.unregisters);
}
