/*
 * test_node.c: the program as a node of an Erlang cluster.  Each test
 * starts its own node (a name with the test process's pid, a random
 * cookie) and real Erlang nodes (`erl -sname ...@localhost`, under
 * `timeout`, so none outlives its test), and checks what they get from
 * the srv servers: the seed's shell session against examples/worker,
 * every mapped type both ways, casts and plain messages, a crashing
 * server, a name nobody holds, a request that does not decode, a bad
 * cookie.  epmd is started by the node when none answers, and left
 * running, as erl leaves it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ei.h>

#include "support.h"
#include "remote.srv.h"
#include "worker.srv.h"

static char cookie[40];

/* Every report the node logs, one after the other (the node's thread
 * logs: under a lock). */
static struct {
    pthread_mutex_t lock;
    char text[16384];
} logged = {PTHREAD_MUTEX_INITIALIZER, ""};

static void keep_log(srv_log_level level, const char *text, void *user)
{
    pthread_mutex_lock(&logged.lock);
    strncat(logged.text, text, sizeof logged.text - strlen(logged.text) - 1);
    pthread_mutex_unlock(&logged.lock);
}

static int count_logged(const char *what)
{
    int n = 0;
    pthread_mutex_lock(&logged.lock);
    for (const char *at = logged.text; (at = strstr(at, what)) != NULL; at++)
        n++;
    pthread_mutex_unlock(&logged.lock);
    return n;
}

static bool was_logged(const char *what)
{
    return count_logged(what) > 0;
}

/* Whether what is logged within ms: the span a connection must outlive. */
static bool logged_within(const char *what, int ms)
{
    for (int waited = 0; waited < ms && !was_logged(what); waited += 10)
        srv_sleep(10);
    return was_logged(what);
}
static char node_name[64];
static int erl_runs;

/* A random cookie, and the node up as srvtPID@localhost with options
 * (NULL: the defaults). */
static void node_up_with(const srv_node_options *options)
{
    FILE *f = fopen("/dev/urandom", "r");
    cr_assert_not_null(f);
    unsigned char r[16];
    cr_assert_eq(fread(r, 1, sizeof r, f), sizeof r);
    fclose(f);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(cookie + 2 * i, 3, "%02x", r[i]);
    snprintf(node_name, sizeof node_name, "srvt%d@localhost", (int)getpid());
    cr_assert_eq(srv_node_start(node_name, cookie, options), SRV_OK);
    cr_assert_str_eq(srv_node_name(), node_name);
}

static void node_up(void)
{
    node_up_with(NULL);
}

static void node_down(void)
{
    srv_node_stop();
    cr_assert_null(srv_node_name());
}

/* Everything a command started with popen writes, once it ends, as a
 * string to free. */
static char *finish(FILE *p)
{
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 1024)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    pclose(p);
    return out;
}

static FILE *start(const char *cmd)
{
    setenv("ERL_CRASH_DUMP_SECONDS", "0", 1); /* no erl_crash.dump here */
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    return p;
}

static char *run(const char *cmd)
{
    return finish(start(cmd));
}

/* An Erlang node with erl's flags and cookie (NULL: the node's) running
 * expr, started; N in expr is the srv node's name, as an atom.  finish()
 * gives what it printed: expr's value. */
static FILE *erl_start_flags(const char *flags, const char *with_cookie, const char *expr)
{
    char cmd[1024];
    setenv("SRV_TEST_NODE", node_name, 1);
    setenv("SRV_TEST_EXPR", expr, 1);
    snprintf(cmd, sizeof cmd,
             "timeout 60 erl -noshell -sname e%d_%d@localhost -setcookie %s %s "
             "-eval 'N = list_to_atom(os:getenv(\"SRV_TEST_NODE\")), "
             "{ok, Ts, _} = erl_scan:string(os:getenv(\"SRV_TEST_EXPR\") ++ \".\"), "
             "{ok, Es} = erl_parse:parse_exprs(Ts), "
             "{value, V, _} = erl_eval:exprs(Es, [{'\"'\"'N'\"'\"', N}]), "
             "io:format(\"~p~n\", [V])' -s init stop 2>&1",
             (int)getpid(), erl_runs++, with_cookie != NULL ? with_cookie : cookie, flags);
    return start(cmd);
}

static FILE *erl_start(const char *with_cookie, const char *expr)
{
    return erl_start_flags("", with_cookie, expr);
}

static char *erl_eval(const char *with_cookie, const char *expr)
{
    return finish(erl_start(with_cookie, expr));
}

#define ASSERT_ERL(expr, expected)                                            \
    do {                                                                      \
        char *got_ = erl_eval(NULL, expr);                                    \
        cr_assert_str_eq(got_, expected "\n", "%s gave %s", expr, got_);     \
        free(got_);                                                           \
    } while (0)

static srv_pid start_remote(void)
{
    srv_pid pid;
    srv_start_opts opts = {.name = "remote"};
    cr_assert_eq(remote_start_opts(SRV_START_PLAIN, &opts, NULL), SRV_OK);
    cr_assert_eq(srv_whereis("remote", &pid), SRV_OK);
    return pid;
}

static char *read_file(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat '%s'", path);
    return run(cmd);
}

/* The seed's session (the article's shell, the calls by {Name, Node}),
 * typed into a real Erlang shell: its replies, prompts taken out. */
Test(node, answers_the_seeds_session_typed_into_an_erlang_shell, .timeout = T(120))
{
    node_up();
    srv_pid worker;
    srv_start_opts opts = {.name = "worker"};
    cr_assert_eq(worker_start_opts(srv_atom_from("0x01f"), srv_atom_from("test"),
                                   SRV_START_PLAIN, &opts, NULL), SRV_OK);
    cr_assert_eq(srv_whereis("worker", &worker), SRV_OK);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(worker, &ref), SRV_OK);

    char cmd[1024];
    setenv("SRV_TEST_NODE", node_name, 1);
    snprintf(cmd, sizeof cmd,
             "sed \"s/@NODE@/$SRV_TEST_NODE/g\" '%s/tests/runtime/node/seed_session.txt' | "
             "timeout 60 erl -sname e%d_shell@localhost -setcookie %s 2>&1 | "
             "sed -n 's/^([^)]*)[0-9]*> //p' | grep -v '^$'",
             SRCDIR, (int)getpid(), cookie);
    char *got = run(cmd);
    char path[512];
    snprintf(path, sizeof path, "%s/tests/runtime/node/seed_session.expected", SRCDIR);
    char *expected = read_file(path);
    if (strcmp(got, expected) != 0)
        fprintf(stderr, "the shell said:\n%s", got);
    cr_assert_str_eq(got, expected);
    free(got);
    free(expected);

    /* gen_server:stop from Erlang: terminate ran with normal */
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(5000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_str_eq(s.reason, "normal");
    node_down();
}

Test(node, maps_every_type_both_ways, .timeout = T(60))
{
    node_up();
    srv_pid pid = start_remote();
    /* an Elixir string is a UTF-8 binary: it comes back the same */
    ASSERT_ERL("gen_server:call({remote, N}, {echo, <<\"h\\x{e9}llo\"/utf8>>, <<1,2,0,255>>, "
               "true, 2.5, 255, {point, -1, 70000}}) =:= "
               "{<<104,195,169,108,108,111>>, <<1,2,0,255>>, true, 2.5, 255, {point, -1, 70000}}",
               "true");
    ASSERT_ERL("gen_server:call({remote, N}, {add, 1 bsl 40}) + "
               "gen_server:call({remote, N}, {add, -1})", "2199023255551");
    ASSERT_ERL("P = gen_server:call({remote, N}, whoami), {is_pid(P), node(P) =:= N}",
               "{true,true}");
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
}

Test(node, casts_and_messages_reach_their_handlers, .timeout = T(60))
{
    node_up();
    srv_pid pid = start_remote();
    ASSERT_ERL("ok = gen_server:cast({remote, N}, {note, seen}), "
               "gen_server:call({remote, N}, {get, last})", "{last,seen}");
    ASSERT_ERL("{remote, N} ! {ping, pong}, gen_server:call({remote, N}, {get, last})",
               "{last,pong}");
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
}

Test(node, a_crashing_server_gives_its_erlang_caller_the_reason, .timeout = T(60))
{
    node_up();
    start_remote();
    ASSERT_ERL("{'EXIT', {Reason, {gen_server, call, _}}} = "
               "catch gen_server:call({remote, N}, {crash, boom}), Reason",
               "boom");
    node_down();
}

Test(node, a_call_to_a_name_nobody_holds_exits_noproc, .timeout = T(60))
{
    node_up();
    ASSERT_ERL("{'EXIT', {Reason, {gen_server, call, _}}} = "
               "catch gen_server:call({nobody, N}, hello), Reason",
               "noproc");
    node_down();
}

Test(node, a_request_that_does_not_decode_exits_its_caller_not_the_server,
     .timeout = T(60))
{
    srv_set_logger(keep_log, NULL);
    node_up();
    srv_pid pid = start_remote();
    ASSERT_ERL("{'EXIT', {Reason, {gen_server, call, _}}} = "
               "catch gen_server:call({remote, N}, {add, <<\"one\">>}), Reason",
               "{function_clause,[{remote,handle_call,[{add,<<\"one\">>}],[]}]}");
    cr_assert(srv_is_alive(pid));
    cr_assert(was_logged("remote:handle_call takes no {add, #Bin<111,110,101>}"), "logged: %s",
              logged.text);
    /* a u8 out of its range, a tuple too long: the same */
    ASSERT_ERL("{'EXIT', {{function_clause, _}, _}} = catch gen_server:call({remote, N}, "
               "{echo, <<>>, <<>>, true, 1.0, 256, {point, 0, 0}}), "
               "{'EXIT', {{function_clause, _}, _}} = catch gen_server:call({remote, N}, "
               "{add, 1, 2}), gen_server:call({remote, N}, {add, 3})",
               "3");
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
    srv_set_logger(NULL, NULL);
}

Test(node, a_connection_with_another_cookie_is_refused_and_logged, .timeout = T(60))
{
    srv_set_logger(keep_log, NULL);
    node_up();
    srv_pid pid = start_remote();
    char *got = erl_eval("not_the_cookie", "net_adm:ping(N)");
    cr_assert_str_eq(got, "pang\n");
    free(got);
    cr_assert(was_logged("refused in its handshake"), "logged: %s", logged.text);
    ASSERT_ERL("net_adm:ping(N)", "pong");
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
    srv_set_logger(NULL, NULL);
}

Test(node, a_second_start_is_refused_and_a_stopped_node_starts_again, .timeout = T(60))
{
    node_up();
    cr_assert_eq(srv_node_start("other@localhost", "c", NULL), SRV_EALREADY);
    node_down();
    cr_assert_eq(srv_node_start("", "c", NULL), SRV_EINVAL);
    node_up();
    ASSERT_ERL("net_adm:ping(N)", "pong");
    node_down();
}

Test(node, starts_from_the_environment, .timeout = T(60))
{
    unsetenv("SRV_NODE");
    cr_assert_eq(srv_node_start_env(), SRV_EINVAL);
    snprintf(node_name, sizeof node_name, "srve%d@localhost", (int)getpid());
    snprintf(cookie, sizeof cookie, "envcookie%d", (int)getpid());
    setenv("SRV_NODE", node_name, 1);
    setenv("SRV_COOKIE", cookie, 1);
    cr_assert_eq(srv_node_start_env(), SRV_OK);
    ASSERT_ERL("net_adm:ping(N)", "pong");
    node_down();
}

Test(node, an_erlang_monitor_of_a_server_gets_its_down_when_it_dies, .timeout = T(60))
{
    node_up();
    start_remote();
    /* exit/2 from Erlang kills it (an EXIT2 to this node), outside any call */
    ASSERT_ERL("P = gen_server:call({remote, N}, whoami), R = monitor(process, {remote, N}), "
               "exit(P, kill), receive {'DOWN', R, process, _, Why} -> Why "
               "after 20000 -> no_down end",
               "killed");
    node_down();
}

Test(node, an_erlang_monitor_gets_noconnection_when_the_node_goes, .timeout = T(60))
{
    node_up();
    srv_pid pid = start_remote();
    FILE *erl = erl_start(NULL, "R = monitor(process, {remote, N}), "
                                "gen_server:cast({remote, N}, {note, watching}), "
                                "receive {'DOWN', R, process, _, Why} -> Why "
                                "after 20000 -> no_down end");
    remote_last_reply last = {0};
    /* the cast came after the monitor, on the same connection */
    ASSERT_EVENTUALLY(remote_last(pid, &last) == SRV_OK && last.what != NULL &&
                      strcmp(last.what, "watching") == 0);
    srv_node_stop();
    char *got = finish(erl);
    cr_assert_str_eq(got, "noconnection\n");
    free(got);
    cr_assert(srv_is_alive(pid), "the server outlives its node");
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
}

Test(node, a_connection_that_sends_garbage_is_closed_and_logged, .timeout = T(60))
{
    srv_set_logger(keep_log, NULL);
    node_up();
    ASSERT_ERL("[A, H] = string:split(atom_to_list(N), \"@\"), "
               "{port, P, _} = erl_epmd:port_please(A, H), "
               "{ok, S} = gen_tcp:connect(\"localhost\", P, [binary, {active, false}]), "
               "ok = gen_tcp:send(S, <<0, 5, \"junk!\">>), "
               "{error, closed} = gen_tcp:recv(S, 0, 10000), "
               "net_adm:ping(N)",
               "pong");
    cr_assert(was_logged("refused in its handshake"), "logged: %s", logged.text);
    node_down();
    srv_set_logger(NULL, NULL);
}

/* A peer that sends and closes at once: its packets and its end come in
 * one read, and every packet is handled before the connection goes. */
Test(node, what_a_peer_sends_just_before_it_closes_is_handled, .timeout = T(60))
{
    node_up();
    srv_pid pid = start_remote();
    ei_cnode peer;
    char peer_name[64];
    snprintf(peer_name, sizeof peer_name, "peer%d", (int)getpid());
    cr_assert(ei_connect_init(&peer, peer_name, cookie, 0) >= 0);
    for (int round = 0; round < 10; round++) {
        int fd = ei_connect(&peer, node_name);
        cr_assert(fd >= 0, "round %d: connected", round);
        char what[16];
        snprintf(what, sizeof what, "sent%d", round);
        ei_x_buff cast;
        cr_assert_eq(ei_x_new_with_version(&cast), 0);
        cr_assert_eq(ei_x_encode_tuple_header(&cast, 2), 0);
        cr_assert_eq(ei_x_encode_atom(&cast, "$gen_cast"), 0);
        cr_assert_eq(ei_x_encode_tuple_header(&cast, 2), 0);
        cr_assert_eq(ei_x_encode_atom(&cast, "note"), 0);
        cr_assert_eq(ei_x_encode_atom(&cast, what), 0);
        cr_assert_eq(ei_reg_send(&peer, fd, "remote", cast.buff, cast.index), 0);
        ei_x_free(&cast);
        close(fd);
        remote_last_reply last = {0};
        ASSERT_EVENTUALLY(remote_last(pid, &last) == SRV_OK && last.what != NULL &&
                          strcmp(last.what, what) == 0);
    }
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
}

/* An Erlang node running remote_twin.erl (remote.srv's protocol) as
 * `remote`, up: its name in twin (the node stops at {note, stop}). */
static FILE *twin_up(char *twin, size_t size)
{
    char cmd[2048];
    int me = (int)getpid();
    snprintf(twin, size, "twin%d@localhost", me);
    /* a directory of its own: tests run side by side, and one erlc
     * writing the beam another is loading made that one's node fail */
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/twin/%d && erlc -o %s/twin/%d %s/tests/runtime/node/remote_twin.erl && "
             "timeout 60 erl -noshell -sname %s -setcookie %s -pa %s/twin/%d "
             "-eval 'remote_twin:start()' 2>&1",
             BUILDDIR, me, BUILDDIR, me, SRCDIR, twin, cookie, BUILDDIR, me);
    FILE *erl = start(cmd);
    remote_last_reply last;
    ASSERT_EVENTUALLY(remote_last_node(twin, "remote", &last, 1000, NULL) == SRV_OK);
    return erl;
}

/* The twin told to stop ({note, stop}), and its node's end awaited. */
static void twin_down(const char *twin, FILE *erl)
{
    remote_note_node(twin, "remote", srv_atom_from("stop"));
    free(finish(erl));
}

Test(node, calls_and_casts_an_erlang_gen_server_with_the_typed_client, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    remote_add_reply sum;
    cr_assert_eq(remote_add_node(twin, "remote", 5, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(remote_add_node(twin, "remote", 1LL << 40, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(sum.total, (1LL << 40) + 5);
    remote_echo_reply echo;
    remote_point where = {-1, 70000};
    srv_bytes data = {(unsigned char *)"\x01\x00\xff", 3};
    cr_assert_eq(remote_echo_node(twin, "remote", "h\xc3\xa9llo", data, true, 2.5, 255, where,
                                  &echo, 5000, NULL), SRV_OK);
    cr_assert_str_eq(echo.text, "h\xc3\xa9llo");
    cr_assert_eq(echo.data.len, 3);
    cr_assert_eq(memcmp(echo.data.data, "\x01\x00\xff", 3), 0);
    cr_assert(echo.flag);
    cr_assert_eq(echo.real, 2.5);
    cr_assert_eq(echo.small, 255);
    cr_assert_eq(echo.where.y, 70000);
    remote_echo_reply_free(&echo);
    remote_whoami_reply who;
    cr_assert_eq(remote_whoami_node(twin, "remote", &who, 5000, NULL), SRV_OK);
    cr_assert_neq(who.me.node, 0, "an Erlang pid is another node's");
    cr_assert_str_eq(srv_pid_format(who.me).s[0] == '<' ? "pid" : "?", "pid");
    cr_assert_eq(remote_note_node(twin, "remote", srv_atom_from("seen")), SRV_OK);
    remote_last_reply last;
    cr_assert_eq(remote_last_node(twin, "remote", &last, 5000, NULL), SRV_OK);
    cr_assert_str_eq(last.what, "seen");
    twin_down(twin, erl);
    node_down();
}

/* How many writes the process has made (its threads' system calls). */
static long writes_made(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    cr_assert_not_null(f);
    char line[128];
    long n = -1;
    while (fgets(line, sizeof line, f) != NULL && sscanf(line, "syscw: %ld", &n) != 1)
        ;
    fclose(f);
    cr_assert(n >= 0, "no syscw in /proc/self/io");
    return n;
}

/* What of another node monitors the twin's server, asked from a third
 * node: nothing (the calls made to it are over, and their monitors
 * gone; the twin's own watcher of it is on its node). */
static void assert_twin_unmonitored(const char *twin)
{
    char expr[512];
    snprintf(expr, sizeof expr,
             "erpc:call('%s', fun() -> "
             "{monitored_by, L} = erlang:process_info(whereis(remote), monitored_by), "
             "[P || P <- L, node(P) =/= node()] end)",
             twin);
    char *got = erl_eval(NULL, expr);
    cr_assert_str_eq(got, "[]\n", "monitors of the twin's server from afar: %s", got);
    free(got);
}

/* A call's monitor of the server goes once the reply came (gen_server's
 * demonitor), without a packet of its own: it goes with the caller's
 * next call, so a loop of calls writes one packet a call, not three
 * (monitor, request, demonitor); the last call's goes a moment later on
 * its own. */
Test(node, a_loop_of_calls_writes_once_a_call_and_leaves_no_monitor, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    remote_add_reply sum;
    cr_assert_eq(remote_add_node(twin, "remote", 1, &sum, 5000, NULL), SRV_OK);
    enum { CALLS = 200 };
    long before = writes_made();
    for (int i = 0; i < CALLS; i++)
        cr_assert_eq(remote_add_node(twin, "remote", 1, &sum, 5000, NULL), SRV_OK);
    long writes = writes_made() - before;
    cr_assert_eq(sum.total, CALLS + 1);
    /* ticks and the node's log may add a few */
    cr_assert_lt(writes, CALLS + CALLS / 10, "%ld writes for %d calls", writes, CALLS);
    assert_twin_unmonitored(twin);
    twin_down(twin, erl);
    node_down();
}

/* Casts a thousand notes, n0 to n999, to the twin's server. */
static void cast_notes(const char *twin)
{
    for (int i = 0; i < 1000; i++) {
        char note[16];
        snprintf(note, sizeof note, "n%d", i);
        cr_assert_eq(remote_note_node(twin, "remote", srv_atom_from(note)), SRV_OK);
    }
}

Test(node, a_call_after_casts_reaches_the_erlang_server_after_them, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    /* the casts wait for the node thread to write them; the call is
     * written at once, behind them */
    cast_notes(twin);
    remote_last_reply last;
    cr_assert_eq(remote_last_node(twin, "remote", &last, 5000, NULL), SRV_OK);
    cr_assert_str_eq(last.what, "n999");
    twin_down(twin, erl);
    node_down();
}

Test(node, casts_made_just_before_the_node_stops_are_not_lost, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    cast_notes(twin);
    srv_node_stop();
    /* the same node again, with the same cookie, asks what arrived (the
     * twin, started after the node, held none of its sockets) */
    cr_assert_eq(srv_node_start(node_name, cookie, NULL), SRV_OK);
    remote_last_reply last;
    ASSERT_EVENTUALLY(remote_last_node(twin, "remote", &last, 1000, NULL) == SRV_OK);
    cr_assert_str_eq(last.what, "n999");
    twin_down(twin, erl);
    node_down();
}

Test(node, an_erlang_server_crashing_under_an_srv_caller_gives_the_reason, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_call_result result;
    remote_crash_reply crash;
    cr_assert_eq(remote_crash_node(twin, "remote", srv_atom_from("boom"), &crash, 5000,
                                   &result), SRV_EEXIT);
    cr_assert_str_eq(result.reason, "boom");
    remote_add_reply sum;
    cr_assert_eq(remote_add_node(twin, "nobody", 1, &sum, 5000, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noproc");
    cr_assert_eq(remote_add_node("nonode_here@localhost", "remote", 1, &sum, 5000, &result),
                 SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
    /* the server crashed: the node is left to its timeout */
    pclose(erl);
    node_down();
}

/* A handler waiting for another node's answer parks its fiber: the
 * runtime's only scheduler thread runs the other servers meanwhile (a
 * call queued behind a cast needs it). */
Test(node, a_handler_in_a_remote_call_leaves_its_scheduler_to_the_others, .timeout = T(90))
{
    cr_assert_eq(srv_runtime_start(1), SRV_OK);
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid relay = start_remote();
    cr_assert_eq(remote_relay_hold(relay, twin), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&remote_observed.relaying) == 1);
    srv_pid other = start_counter(0);
    cr_assert_eq(counter_bump(other, 1), SRV_OK); /* queued: the call cannot run inline */
    counter_get_reply got;
    cr_assert_eq(counter_get(other, &got), SRV_OK);
    cr_assert_eq(got.total, 1);
    cr_assert_eq(atomic_load(&remote_observed.relayed), 0, "the remote call still waits");
    cr_assert_eq(remote_note_node(twin, "remote", srv_atom_from("release")), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&remote_observed.relayed) == 1);
    twin_down(twin, erl);
    node_down();
}

/* An exit signal ends a handler waiting for another node's answer at
 * once, as it ends a local call's wait; the late answer goes nowhere. */
Test(node, an_exit_signal_ends_a_handler_in_a_remote_call, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid relay = start_remote();
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(relay, &ref), SRV_OK);
    cr_assert_eq(remote_relay_hold(relay, twin), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&remote_observed.relaying) == 1);
    cr_assert_eq(srv_exit_signal(relay, SRV_KILL), SRV_OK);
    srv_signal down;
    cr_assert_eq(srv_receive_signal(&down, T(10000)), SRV_OK);
    cr_assert_eq(down.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(down.ref, ref);
    cr_assert_str_eq(down.reason, "killed");
    cr_assert_eq(atomic_load(&remote_observed.relayed), 0, "ended in its wait");
    /* the twin answers the dead caller; the node goes on, and the
     * call's monitor of the twin's server goes with that answer, as
     * gen_server's demonitor once the reply came */
    cr_assert_eq(remote_note_node(twin, "remote", srv_atom_from("release")), SRV_OK);
    remote_add_reply sum;
    cr_assert_eq(remote_add_node(twin, "remote", 2, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(sum.total, 2);
    assert_twin_unmonitored(twin);
    twin_down(twin, erl);
    node_down();
}

/* A handler that runs long holds one of the node's threads, never its
 * reading: what comes meanwhile is read and run (here, the calls that
 * ask whether it runs, and the cast that ends it). */
Test(node, a_long_handler_of_an_erlang_call_leaves_the_node_reading, .timeout = T(90))
{
    node_up();
    srv_pid blocking = start_remote();
    srv_start_opts opts = {.name = "remote2"};
    srv_start_result other;
    cr_assert_eq(remote_start_opts(SRV_START_PLAIN, &opts, &other), SRV_OK);
    /* a first call, that the node has an idle thread for the second */
    ASSERT_ERL("false = gen_server:call({remote2, N}, blocked), Self = self(), "
               "spawn(fun() -> Self ! {done, gen_server:call({remote, N}, block, 30000)} end), "
               "Wait = fun W() -> case gen_server:call({remote2, N}, blocked, 30000) of "
               "true -> ok; false -> W() end end, "
               "Wait(), ok = gen_server:cast({remote2, N}, release), "
               "receive {done, R} -> R after 30000 -> timeout end",
               "released");
    cr_assert_eq(srv_stop(blocking, SRV_NORMAL, T(5000), NULL), SRV_OK);
    cr_assert_eq(srv_stop(other.pid, SRV_NORMAL, T(5000), NULL), SRV_OK);
    node_down();
}

/* The cookie and name made, another program forked (before any node of
 * this one), with a pipe from it in ready: the child (0 returned) has its
 * own runtime, the node `other` with options and the server `remote`,
 * *server; the parent gets the child's pid. */
static pid_t fork_other(const srv_node_options *options, char *other, size_t size,
                        int ready[2], srv_pid *server)
{
    node_up_with(options);
    srv_node_stop();
    snprintf(other, size, "srvb%d@localhost", (int)getpid());
    cr_assert_eq(pipe(ready), 0);
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child != 0) {
        close(ready[1]);
        return child;
    }
    close(ready[0]);
    srv_start_opts opts = {.name = "remote"};
    if (srv_node_start(other, cookie, options) != SRV_OK ||
        remote_start_opts(SRV_START_PLAIN, &opts, NULL) != SRV_OK ||
        srv_whereis("remote", server) != SRV_OK)
        _exit(1);
    return 0;
}

/* The other program ends once its server stops. */
static void other_ends_with(srv_pid server)
{
    srv_monitor_ref ref;
    srv_monitor(server, &ref);
    srv_signal down;
    srv_receive_signal(&down, T(60000));
    srv_node_stop();
    _exit(0);
}

Test(node, two_srv_programs_call_each_other_through_the_cluster, .timeout = T(90))
{
    char other[64];
    int ready[2];
    srv_pid pid;
    pid_t child = fork_other(NULL, other, sizeof other, ready, &pid);
    if (child == 0) {
        /* it calls the first program's server, once that node is up */
        remote_add_reply sum = {0};
        for (int tries = 0; tries < 500; tries++)
            if (remote_add_node(node_name, "remote", 100, &sum, 5000, NULL) == SRV_OK)
                break;
            else
                srv_sleep(20);
        if (sum.total != 100 || write(ready[1], "r", 1) != 1)
            _exit(2);
        other_ends_with(pid);
    }
    cr_assert_eq(srv_node_start(node_name, cookie, NULL), SRV_OK);
    srv_pid mine = start_remote();
    char byte;
    cr_assert_eq(read(ready[0], &byte, 1), 1, "the other program called ours");
    close(ready[0]);
    remote_add_reply sum;
    cr_assert_eq(remote_add(mine, 0, &sum), SRV_OK);
    cr_assert_eq(sum.total, 100);
    cr_assert_eq(remote_add_node(other, "remote", 20, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(remote_add_node(other, "remote", 22, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(sum.total, 42);
    remote_crash_reply crash;
    srv_call_result result;
    cr_assert_eq(remote_crash_node(other, "remote", srv_atom_from("done"), &crash, 5000,
                                   &result), SRV_EEXIT);
    cr_assert_str_eq(result.reason, "done");
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other program: %d", status);
    srv_stop(mine, SRV_NORMAL, T(5000), NULL);
    node_down();
}

/* Erlang drops a node it has heard nothing from for its net_ticktime (4 s
 * here), however much it writes itself; a hidden node, such as this one,
 * it ticks each second it has heard nothing, casting or idle.  The node's
 * own ticks come each 15 s (the default): only its answers to Erlang's
 * keep the connection, for the eight seconds Erlang casts (which get no
 * answer) and the six it is idle.  One connection throughout. */
Test(node, an_erlang_node_with_a_short_net_ticktime_keeps_us_casting_or_idle,
     .timeout = T(90))
{
    srv_set_logger(keep_log, NULL);
    node_up();
    srv_pid pid = start_remote();
    char *got = finish(erl_start_flags(
        "-kernel net_ticktime 4", NULL,
        "ok = net_kernel:monitor_nodes(true, [{node_type, all}]), "
        "Cast = fun C(0) -> up; C(K) -> gen_server:cast({remote, N}, {note, busy}), "
        "receive {nodedown, N, _} -> nodedown after 100 -> C(K - 1) end end, "
        "Casting = Cast(80), "
        "Idle = receive {nodedown, N, _} -> nodedown after 6000 -> up end, "
        "{Casting, Idle, gen_server:call({remote, N}, {get, last})}"));
    cr_assert_str_eq(got, "{up,up,{last,busy}}\n");
    free(got);
    cr_assert_eq(count_logged(" connected\n"), 1, "logged: %s", logged.text);
    srv_stop(pid, SRV_NORMAL, T(5000), NULL);
    node_down();
    srv_set_logger(NULL, NULL);
}

/* Two srv nodes with nothing to say to each other each close a
 * connection silent for four ticks: their ticks keep it, and each
 * answers the other's without answering the answers. */
Test(node, two_idle_srv_nodes_tick_each_other_and_stay_connected, .timeout = T(90))
{
    enum { TICK_MS = 200 };
    srv_node_options options = {.tick_ms = TICK_MS};
    srv_set_logger(keep_log, NULL);
    char other[64];
    int ready[2];
    srv_pid pid;
    pid_t child = fork_other(&options, other, sizeof other, ready, &pid);
    if (child == 0) { /* the other program, idle */
        if (write(ready[1], "r", 1) != 1)
            _exit(2);
        other_ends_with(pid);
    }
    cr_assert_eq(srv_node_start(node_name, cookie, &options), SRV_OK);
    char byte;
    cr_assert_eq(read(ready[0], &byte, 1), 1, "the other program is up");
    close(ready[0]);
    remote_add_reply sum;
    cr_assert_eq(remote_add_node(other, "remote", 1, &sum, 5000, NULL), SRV_OK);
    long before = writes_made();
    cr_assert(!logged_within("closed", 10 * TICK_MS), "logged: %s", logged.text);
    /* its ticks and its answers to the other's: a few, not a storm of
     * answers to answers */
    long writes = writes_made() - before;
    cr_assert_lt(writes, 100, "%ld writes", writes);
    cr_assert_eq(remote_add_node(other, "remote", 2, &sum, 5000, NULL), SRV_OK);
    cr_assert_eq(sum.total, 3);
    cr_assert_eq(count_logged(" connected\n"), 1, "one connection: %s", logged.text);
    remote_crash_reply crash;
    cr_assert_eq(remote_crash_node(other, "remote", srv_atom_from("done"), &crash, 5000,
                                   NULL), SRV_EEXIT);
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other program: %d", status);
    node_down();
    srv_set_logger(NULL, NULL);
}

/* srv_call, srv_cast and srv_send to an Erlang process's pid (one that
 * came in a reply) go through the node: by pid, as Erlang's Pid ! Msg,
 * gen_server:cast(Pid, ...) and gen_server:call(Pid, ...); a call to a
 * pid that crashes under it, or is dead, gets the reason or noproc, as
 * gen_server's caller does; with no node, noconnection. */
Test(node, calls_casts_and_sends_to_an_erlang_pid_arrive_and_reply, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    remote_whoami_reply who;
    cr_assert_eq(remote_whoami_node(twin, "remote", &who, 5000, NULL), SRV_OK);
    cr_assert_neq(who.me.node, 0);
    remote_add_reply sum;
    cr_assert_eq(remote_add(who.me, 40, &sum), SRV_OK);
    cr_assert_eq(remote_add(who.me, 2, &sum), SRV_OK);
    cr_assert_eq(sum.total, 42);
    remote_last_reply last;
    cr_assert_eq(remote_note(who.me, srv_atom_from("cast_by_pid")), SRV_OK);
    cr_assert_eq(remote_last(who.me, &last), SRV_OK);
    cr_assert_str_eq(last.what, "cast_by_pid");
    cr_assert_eq(remote_send_ping(who.me, srv_atom_from("sent_by_pid")), SRV_OK);
    cr_assert_eq(remote_last(who.me, &last), SRV_OK);
    cr_assert_str_eq(last.what, "sent_by_pid");
    /* the process crashes under the call, then is dead */
    srv_call_result result;
    remote_crash_reply crash;
    cr_assert_eq(remote_crash_full(who.me, srv_atom_from("boom"), &crash, 5000, &result),
                 SRV_EEXIT);
    cr_assert_str_eq(result.reason, "boom");
    cr_assert_eq(remote_add_full(who.me, 1, &sum, 5000, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noproc");
    cr_assert_eq(remote_note(who.me, srv_atom_from("lost")), SRV_OK, "dropped, as Erlang's");
    pclose(erl);
    node_down();
    cr_assert_eq(remote_add_full(who.me, 1, &sum, 5000, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
    cr_assert_eq(remote_send_ping(who.me, srv_atom_from("lost")), SRV_OK);
}

/* The pid of the twin's server name (remote, spare). */
static srv_pid twin_pid(const char *twin, const char *name)
{
    remote_whoami_reply who;
    cr_assert_eq(remote_whoami_node(twin, name, &who, 5000, NULL), SRV_OK);
    cr_assert_neq(who.me.node, 0);
    return who.me;
}

/* send_request to an Erlang gen_server's pid (gen_server:send_request):
 * its reply comes to receive, wait, check and a collection as a local
 * server's does; one held is not there until the twin answers it. */
Test(node, requests_to_an_erlang_pid_are_answered_as_a_local_servers, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid server = twin_pid(twin, "remote");
    srv_request_id first, second, held;
    cr_assert_eq(remote_add_send_request(server, 40, &first), SRV_OK);
    cr_assert_eq(remote_add_send_request(server, 2, &second), SRV_OK);
    remote_add_reply sum = {0};
    cr_assert_eq(remote_add_receive_response(&first, T(5000), &sum), SRV_OK);
    cr_assert_eq(sum.total, 40);
    cr_assert_eq(remote_add_wait_response(&second, T(5000), &sum), SRV_OK);
    cr_assert_eq(sum.total, 42);
    cr_assert_eq(remote_add_check_response(&second, &sum), SRV_EINVAL, "read already");

    cr_assert_eq(remote_hold_send_request(server, &held), SRV_OK);
    remote_hold_reply h = {NULL};
    cr_assert_eq(remote_hold_check_response(&held, &h), SRV_NOREPLY);
    cr_assert_eq(remote_hold_wait_response(&held, 20, &h), SRV_ETIMEOUT);
    cr_assert_eq(remote_note(server, srv_atom_from("release")), SRV_OK);
    cr_assert_eq(remote_hold_wait_response(&held, T(5000), &h), SRV_OK);
    cr_assert_str_eq(h.what, "held");

    srv_reqids ids = SRV_REQIDS_INIT;
    srv_request_id add, last;
    cr_assert_eq(remote_add_send_request(server, 1, &add), SRV_OK);
    cr_assert_eq(remote_last_send_request(server, &last), SRV_OK);
    cr_assert_eq(srv_reqids_add(&ids, &add, "add"), SRV_OK);
    cr_assert_eq(srv_reqids_add(&ids, &last, "last"), SRV_OK);
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        srv_request_id which;
        void *label;
        cr_assert_eq(srv_reqids_wait(&ids, T(5000), true, &which, &label), SRV_OK);
        if (strcmp(label, "add") == 0) {
            cr_assert_eq(remote_add_receive_response(&which, 0, &sum), SRV_OK);
            cr_assert_eq(sum.total, 43);
            seen |= 1;
        } else {
            remote_last_reply l;
            cr_assert_eq(remote_last_receive_response(&which, 0, &l), SRV_OK);
            seen |= 2;
        }
    }
    cr_assert_eq(seen, 3);
    cr_assert_eq(srv_reqids_check(&ids, true, NULL, NULL), SRV_NOREQUEST);
    srv_reqids_free(&ids);
    remote_note(server, srv_atom_from("stop"));
    free(finish(erl));
    node_down();
}

/* As Erlang's (e2e_rest.erl): a request whose Erlang server exits
 * gives {error, {boom, Pid}}, one to the dead pid {noproc, Pid}, one whose
 * node goes or cannot be reached {noconnection, Pid}. */
Test(node, a_request_to_an_erlang_pid_fails_as_erlangs_when_it_dies_or_its_node_goes,
     .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid server = twin_pid(twin, "remote"), spare = twin_pid(twin, "spare");
    srv_request_id req;
    srv_call_result result;
    char want[128];
    cr_assert_eq(remote_crash_send_request(spare, srv_atom_from("boom"), &req), SRV_OK);
    cr_assert_eq(srv_receive_response(&req, T(5000), NULL, &result), SRV_EEXIT);
    cr_assert_str_eq(result.reason, "boom");
    snprintf(want, sizeof want, "{boom,%s}", srv_pid_format(spare).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);
    cr_assert_eq(remote_add_send_request(spare, 1, &req), SRV_OK);
    cr_assert_eq(srv_receive_response(&req, T(5000), NULL, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noproc");
    snprintf(want, sizeof want, "{noproc,%s}", srv_pid_format(spare).s);
    cr_assert_str_eq(srv_detail_text(result.exit), want);

    srv_request_id held;
    cr_assert_eq(remote_hold_send_request(server, &held), SRV_OK);
    remote_note(server, srv_atom_from("stop"));
    cr_assert_eq(srv_receive_response(&held, T(10000), NULL, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
    free(finish(erl));
    cr_assert_eq(remote_add_send_request(server, 1, &req), SRV_OK);
    cr_assert_eq(srv_wait_response(&req, T(5000), NULL, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
    node_down();
    cr_assert_eq(remote_add_send_request(server, 1, &req), SRV_OK, "no node: answered now");
    cr_assert_eq(srv_check_response(&req, NULL, &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
}

/* srv_stop of an Erlang gen_server's pid, as gen_server:stop (e2e_rest.erl):
 * ok once it has ended with the reason, noproc when it is dead already;
 * noconnection (Erlang: exit {nodedown, Node}) when its node is gone. */
Test(node, srv_stop_of_an_erlang_pid_ends_it_and_fails_as_erlangs_when_dead_or_unreachable,
     .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid server = twin_pid(twin, "remote"), spare = twin_pid(twin, "spare");
    srv_call_result result;
    cr_assert_eq(srv_stop(spare, SRV_NORMAL, T(5000), &result), SRV_OK);
    remote_whoami_reply who;
    cr_assert_eq(remote_whoami_node(twin, "spare", &who, 5000, &result), SRV_ENOPROC,
                 "spare is gone");
    cr_assert_eq(srv_stop(spare, SRV_NORMAL, T(5000), &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noproc");
    cr_assert_eq(remote_stop_timeout(server, SRV_SHUTDOWN, T(5000)), SRV_OK);
    free(finish(erl)); /* the twin's node ends with its server */
    cr_assert_eq(srv_stop(server, SRV_NORMAL, T(5000), &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
    node_down();
    cr_assert_eq(srv_stop(server, SRV_NORMAL, T(5000), &result), SRV_ENOPROC);
    cr_assert_str_eq(result.reason, "noconnection");
}

/* srv_send_after to an Erlang pid: the timer fires here and the message
 * goes through the node, as timer:send_after's; srv_start_timer's ref
 * would mean nothing there: refused, as erlang:start_timer is (badarg). */
Test(node, send_after_to_an_erlang_pid_reaches_it_when_the_timer_fires, .timeout = T(90))
{
    node_up();
    char twin[64];
    FILE *erl = twin_up(twin, sizeof twin);
    srv_pid server = twin_pid(twin, "remote");
    srv_timer_ref ref;
    cr_assert_eq(remote_ping_send_after(1, server, srv_atom_from("timed"), &ref), SRV_OK);
    remote_last_reply last = {NULL};
    ASSERT_EVENTUALLY(remote_last(server, &last) == SRV_OK &&
                      last.what == srv_atom_from("timed"));
    cr_assert_eq(remote_ping_start_timer(1, server, srv_atom_from("refused"), &ref), SRV_EINVAL);
    remote_note(server, srv_atom_from("stop"));
    free(finish(erl));
    node_down();
}

/* The Erlang process that met server ({meet, Pid, Link}), once it has. */
static srv_pid met_by(srv_pid server)
{
    remote_met_reply met = {SRV_PID_NONE};
    ASSERT_EVENTUALLY(remote_met(server, &met) == SRV_OK && !srv_pid_is_none(met.who));
    return met.who;
}

/* An Erlang process (spawned by the node's expression) that makes itself
 * known to the server remote ({meet, self(), Link}) and then does what
 * body says; the expression prints what monitoring it gave.  Its pid,
 * once met, in *who. */
static FILE *erlang_process(const char *link, const char *body, srv_pid server, srv_pid *who)
{
    char expr[1024];
    snprintf(expr, sizeof expr,
             "P = spawn(fun() -> gen_server:cast({remote, N}, {meet, self(), %s}), %s end), "
             "M = monitor(process, P), "
             "receive {'DOWN', M, _, _, W} -> W after 30000 -> no_down end",
             link, body);
    FILE *erl = erl_start(NULL, expr);
    *who = met_by(server);
    return erl;
}

#define EXIT_ON_PING "receive {ping, R} -> exit(R) end"

static void assert_erl_printed(FILE *erl, const char *expected)
{
    char *got = finish(erl);
    cr_assert_str_eq(got, expected);
    free(got);
}

/* srv_link from a plain thread (which traps exits) to an Erlang process
 * that exits boom: {'EXIT', Pid, boom}, as Erlang to Erlang (e2e.erl). */
Test(node, a_trapping_srv_process_linked_to_an_erlang_process_gets_its_exit_reason,
     .timeout = T(90))
{
    node_up();
    srv_pid server = start_remote(), erlang;
    FILE *erl = erlang_process("false", EXIT_ON_PING, server, &erlang);
    cr_assert_eq(srv_link(erlang), SRV_OK);
    size_t links = 0;
    cr_assert_eq(srv_links(srv_self(), NULL, 0, &links), SRV_OK);
    cr_assert_eq(links, 1);
    cr_assert_eq(remote_send_ping(erlang, srv_atom_from("boom")), SRV_OK);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_EXIT);
    cr_assert(srv_pid_equal(s.pid, erlang));
    cr_assert_str_eq(s.reason, "boom");
    assert_erl_printed(erl, "boom\n");
    cr_assert_eq(srv_links(srv_self(), NULL, 0, &links), SRV_OK);
    cr_assert_eq(links, 0, "the link is gone with its process");
    srv_stop(server, SRV_NORMAL, T(5000), NULL);
    node_down();
}

/* A server that does not trap exits, linked to an Erlang process that
 * exits boom, dies with boom. */
Test(node, an_untrapping_srv_server_linked_to_an_erlang_process_dies_with_its_reason,
     .timeout = T(90))
{
    node_up();
    srv_pid server = start_remote(), erlang;
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(server, &ref), SRV_OK);
    FILE *erl = erlang_process("true", EXIT_ON_PING, server, &erlang);
    size_t links = 0;
    ASSERT_EVENTUALLY(srv_links(server, NULL, 0, &links) == SRV_OK && links == 1);
    cr_assert_eq(remote_send_ping(erlang, srv_atom_from("boom")), SRV_OK);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_str_eq(s.reason, "boom");
    assert_erl_printed(erl, "boom\n");
    node_down();
}

Test(node, an_erlang_process_linked_to_an_srv_server_gets_its_crash_reason, .timeout = T(60))
{
    node_up();
    srv_pid server = start_remote();
    ASSERT_ERL("process_flag(trap_exit, true), P = gen_server:call({remote, N}, whoami), "
               "link(P), catch gen_server:call(P, {crash, boom}), "
               "receive {'EXIT', P, R} -> R after 20000 -> no_exit end",
               "boom");
    cr_assert(!srv_is_alive(server));
    node_down();
}

/* unlink from Erlang takes the link off: the server outlives the
 * Erlang node, which would otherwise give it noconnection. */
Test(node, an_erlang_unlink_takes_the_link_off_the_srv_server, .timeout = T(60))
{
    srv_set_logger(keep_log, NULL);
    node_up();
    srv_pid server = start_remote();
    size_t links = 0;
    FILE *erl = erl_start(NULL, "P = gen_server:call({remote, N}, whoami), link(P), "
                                "unlink(P), gen_server:call(P, {add, 0}), "
                                "gen_server:cast({remote, N}, {meet, self(), false}), "
                                "receive {ping, R} -> R after 20000 -> timeout end");
    srv_pid met = met_by(server);
    cr_assert_eq(srv_links(server, NULL, 0, &links), SRV_OK);
    cr_assert_eq(links, 0);
    cr_assert_eq(remote_send_ping(met, srv_atom_from("done")), SRV_OK);
    assert_erl_printed(erl, "done\n");
    cr_assert(logged_within("closed", 10000), "logged: %s", logged.text);
    cr_assert(srv_is_alive(server));
    srv_stop(server, SRV_NORMAL, T(5000), NULL);
    node_down();
    srv_set_logger(NULL, NULL);
}

/* srv_monitor of an Erlang process: DOWN with its exit reason; of one
 * that is dead, DOWN noproc; a link to it, EXIT noproc; srv_unlink
 * undoes a link. */
Test(node, a_monitor_of_an_erlang_process_gets_down_with_its_reason_then_noproc,
     .timeout = T(90))
{
    node_up();
    srv_pid server = start_remote(), erlang;
    FILE *erl = erlang_process("false", EXIT_ON_PING, server, &erlang);
    srv_monitor_ref ref, again;
    /* unlinked before it exits: no EXIT comes ahead of the DOWN */
    cr_assert_eq(srv_link(erlang), SRV_OK);
    cr_assert_eq(srv_unlink(erlang), SRV_OK);
    cr_assert_eq(srv_monitor(erlang, &ref), SRV_OK);
    cr_assert_eq(remote_send_ping(erlang, srv_atom_from("boom")), SRV_OK);
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(s.ref, ref);
    cr_assert(srv_pid_equal(s.pid, erlang));
    cr_assert_str_eq(s.reason, "boom");
    cr_assert_eq(srv_monitor(erlang, &again), SRV_OK);
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_eq(s.ref, again);
    cr_assert_str_eq(s.reason, "noproc");
    cr_assert_eq(srv_link(erlang), SRV_OK);
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_EXIT);
    cr_assert_str_eq(s.reason, "noproc");
    assert_erl_printed(erl, "boom\n");
    srv_stop(server, SRV_NORMAL, T(5000), NULL);
    node_down();
}

/* The Erlang node halts: the link gives noconnection, the monitor a
 * DOWN noconnection, and a server linked to it dies with noconnection. */
Test(node, the_erlang_node_going_away_gives_noconnection_to_links_and_monitors,
     .timeout = T(90))
{
    node_up();
    srv_pid server = start_remote(), erlang;
    srv_monitor_ref server_ref, ref;
    cr_assert_eq(srv_monitor(server, &server_ref), SRV_OK);
    FILE *erl = erlang_process("true", "receive {ping, halt} -> erlang:halt() end", server,
                               &erlang);
    cr_assert_eq(srv_link(erlang), SRV_OK);
    cr_assert_eq(srv_monitor(erlang, &ref), SRV_OK);
    cr_assert_eq(remote_send_ping(erlang, srv_atom_from("halt")), SRV_OK);
    bool exit_seen = false, down_seen = false, server_seen = false;
    for (int i = 0; i < 3; i++) {
        srv_signal s;
        cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
        cr_assert_str_eq(s.reason, "noconnection");
        if (s.kind == SRV_SIGNAL_EXIT)
            exit_seen = srv_pid_equal(s.pid, erlang);
        else if (s.ref == ref)
            down_seen = true;
        else
            server_seen = s.ref == server_ref;
    }
    cr_assert(exit_seen && down_seen && server_seen);
    free(finish(erl));
    node_down();
}

Test(node, exit_2_from_erlang_kills_an_untrapping_srv_server, .timeout = T(60))
{
    node_up();
    srv_pid server = start_remote();
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(server, &ref), SRV_OK);
    ASSERT_ERL("P = gen_server:call({remote, N}, whoami), M = monitor(process, P), "
               "exit(P, stop_it), receive {'DOWN', M, process, _, W} -> W "
               "after 20000 -> no_down end",
               "stop_it");
    srv_signal s;
    cr_assert_eq(srv_receive_signal(&s, T(10000)), SRV_OK);
    cr_assert_eq(s.kind, SRV_SIGNAL_DOWN);
    cr_assert_str_eq(s.reason, "stop_it");
    node_down();
}

/* A hidden node (the default) is in Erlang's nodes(hidden), a visible
 * one in nodes(), and stays connected though nobody answers global's
 * messages to it. */
Test(node, a_visible_node_is_in_erlangs_nodes_and_a_hidden_one_in_nodes_hidden,
     .timeout = T(60))
{
    node_up();
    ASSERT_ERL("pong = net_adm:ping(N), {lists:member(N, nodes()), "
               "lists:member(N, nodes(hidden))}", "{false,true}");
    node_down();
    srv_node_options options = {.visible = true};
    node_up_with(&options);
    ASSERT_ERL("ok = net_kernel:monitor_nodes(true), pong = net_adm:ping(N), "
               "{lists:member(N, nodes()), lists:member(N, nodes(hidden)), "
               "receive {nodedown, N} -> nodedown after 5000 -> up end}",
               "{true,false,up}");
    node_down();
    setenv("SRV_NODE", node_name, 1);
    setenv("SRV_COOKIE", cookie, 1);
    setenv("SRV_NODE_VISIBLE", "1", 1);
    cr_assert_eq(srv_node_start_env(), SRV_OK);
    unsetenv("SRV_NODE_VISIBLE");
    ASSERT_ERL("pong = net_adm:ping(N), lists:member(N, nodes())", "true");
    node_down();
}
