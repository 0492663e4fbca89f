/*
 * test_memory.c: out of memory, leaks and growth.
 *
 * The allocation-failure injector (runtime/alloc.h) fails the Nth
 * allocation of the runtime; a scenario that touches every part that
 * allocates runs for N = 1, 2, ... until it completes with no failure
 * injected.  Each time, every operation returns SRV_OK or SRV_ENOMEM (an
 * abort would crash the test), and afterwards, with allocation back on,
 * the servers still work, their state says exactly which operations took
 * effect, and nothing is left behind (the ASan build's LSan checks the
 * memory at exit).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "link.h"  /* srv__monitor_counts */
#include "pool.h"  /* srv__pool_caches */
#include "slab.h"
#include "timer.h" /* srv__timer_pending */
#include "support.h"

#if defined(SRV_SANITIZE_ADDRESS)
#include <sanitizer/lsan_interface.h>
/* Criterion allocates a little it never frees: not ours to report. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}
/* LSan's verdict now: a leak fails the test (at exit it would only be
 * printed, as the test runs in a child that Criterion judges alone). */
#define ASSERT_NO_LEAK() cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "leaks")
#else
#define ASSERT_NO_LEAK() ((void)0)
#endif

#define CHECK_STATUS(s, what)                                                 \
    cr_assert((s) == SRV_OK || (s) == SRV_ENOMEM, "%s returned %s", what,     \
              srv_status_name(s))

/* What took effect, by the statuses the scenario got. */
struct tally {
    srv_pid a, b;
    bool a_started, b_started, b_stopped;
    int64_t total, ticks;
    bool monitored, linked, registered;
    srv_monitor_ref monitor_ref;
};

/* Every operation that allocates, once. */
static void scenario(struct tally *t)
{
    srv_status s = counter_start(0, COUNTER_INIT_OK, &t->a);
    CHECK_STATUS(s, "start");
    if (s != SRV_OK)
        return;
    t->a_started = true;
    counter_add_reply add;
    s = counter_add(t->a, 1, &add); /* idle: runs inline */
    CHECK_STATUS(s, "inline call");
    if (s == SRV_OK)
        cr_assert_eq(add.total, t->total += 1);
    s = counter_bump(t->a, 10);
    CHECK_STATUS(s, "cast");
    if (s == SRV_OK)
        t->total += 10;
    s = counter_add(t->a, 100, &add); /* queued behind the cast, most times */
    CHECK_STATUS(s, "queued call");
    if (s == SRV_OK)
        cr_assert_eq(add.total, t->total += 100);
    s = counter_note(t->a, "hello");
    CHECK_STATUS(s, "cast of a string");
    if (s == SRV_OK)
        t->total += 5;
    unsigned char raw[3] = {1, 2, 3};
    counter_echo_reply echo;
    counter_bump(t->a, 0); /* so that the echo may queue */
    s = counter_echo(t->a, "text", (srv_bytes){raw, sizeof raw}, &echo);
    CHECK_STATUS(s, "call with a string");
    if (s == SRV_OK) {
        cr_assert_str_eq(echo.text, "text");
        cr_assert_eq(echo.data.len, 3);
        cr_assert_eq(memcmp(echo.data.data, raw, 3), 0);
        counter_echo_reply_free(&echo);
    }
    struct { int64_t n; } seven = {7}; /* add's arguments */
    srv_request_id req;
    s = srv_send_request(t->a, &counter_module, message_named(&counter_module, "add"), &seven,
                         &req);
    CHECK_STATUS(s, "send_request");
    if (s == SRV_OK) {
        t->total += 7; /* sent: it runs */
        srv_reqids all = SRV_REQIDS_INIT;
        s = srv_reqids_add(&all, &req, NULL);
        CHECK_STATUS(s, "reqids_add");
        if (s == SRV_OK)
            cr_assert_eq(srv_reqids_wait(&all, T(5000), true, NULL, NULL), SRV_OK);
        srv_reqids_free(&all);
        s = srv_receive_response(&req, T(5000), &add, NULL);
        CHECK_STATUS(s, "receive_response");
        if (s == SRV_OK)
            cr_assert_eq(add.total, t->total);
    }
    s = counter_send_tick(t->a, 2);
    CHECK_STATUS(s, "send");
    if (s == SRV_OK)
        t->ticks += 2;
    struct { int64_t n; } three = {3}; /* tick's arguments */
    s = srv_send_after(1, t->a, &counter_module, counter_module.message_count - 1, &three,
                       NULL);
    CHECK_STATUS(s, "send_after");
    if (s == SRV_OK)
        t->ticks += 3;
    s = srv_monitor(t->a, &t->monitor_ref);
    CHECK_STATUS(s, "monitor");
    t->monitored = s == SRV_OK;
    s = srv_link(t->a);
    CHECK_STATUS(s, "link");
    t->linked = s == SRV_OK;
    s = srv_register("memory_a", t->a);
    CHECK_STATUS(s, "register");
    t->registered = s == SRV_OK;

    s = counter_start_link(0, COUNTER_INIT_OK, &t->b);
    CHECK_STATUS(s, "start_link");
    if (s != SRV_OK)
        return;
    t->b_started = true;
    counter_bump(t->b, 1); /* so that the stop may queue */
    s = srv_stop(t->b, srv_atom_normal, T(5000), NULL);
    CHECK_STATUS(s, "stop");
    t->b_stopped = s == SRV_OK;
}

/* With allocation back on: the state says what the statuses said, then
 * everything is stopped and nothing is left. */
static void check_and_clean(const struct tally *t, size_t processes)
{
    if (t->a_started) {
        counter_get_reply r = counter_read(t->a);
        cr_assert_eq(r.total, t->total);
        ASSERT_EVENTUALLY(counter_read(t->a).ticks == t->ticks);
        srv_pid held;
        cr_assert_eq(srv_whereis("memory_a", &held),
                     t->registered ? SRV_OK : SRV_ENOTREG);
        cr_assert_eq(counter_stop(t->a), SRV_OK);
        /* The DOWN and EXIT were made with the monitor and the link: they
         * come, whatever else waits before them. */
        bool down = !t->monitored, exit = !t->linked;
        srv_signal signal;
        while (!down || !exit) {
            cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK,
                         "the monitor's DOWN and the link's EXIT came");
            if (srv_pid_equal(signal.pid, t->a) && signal.kind == SRV_SIGNAL_DOWN) {
                cr_assert_eq(signal.ref, t->monitor_ref);
                down = true;
            } else if (srv_pid_equal(signal.pid, t->a)) {
                exit = true;
            }
        }
    }
    if (t->b_started && !t->b_stopped)
        cr_assert_eq(counter_stop(t->b), SRV_OK);
    srv_signal signal;
    while (srv_receive_signal(&signal, 0) == SRV_OK)
        ; /* the link to b, and starts that ended early */
    srv_pid none;
    cr_assert_eq(srv_whereis("memory_a", &none), SRV_ENOTREG);
    ASSERT_EVENTUALLY(srv_process_count() == processes);
    ASSERT_EVENTUALLY(srv__timer_pending() == 0);
    size_t watchers, watching;
    srv__monitor_counts(srv_self(), &watchers, &watching);
    cr_assert_eq(watching, 0, "the fired monitor left our list");
}

Test(memory, every_allocation_failure_returns_enomem_and_loses_nothing, .timeout = T(300))
{
    cr_assert_eq(srv_runtime_start(2), SRV_OK);
    srv_self(); /* this thread's identity, made before the injector runs */
    size_t processes = srv_process_count();
    unsigned long n;
    bool completed = false;
    for (n = 1; n <= 5000 && !completed; n++) {
        struct tally t;
        memset(&t, 0, sizeof t);
        srv__alloc_fail_after(n);
        scenario(&t);
        completed = !srv__alloc_failed();
        srv__alloc_fail_after(0);
        check_and_clean(&t, processes);
    }
    cr_assert(completed, "the scenario completed without a failure at last");
    cr_assert_gt(n, 10, "the scenario allocates (n=%lu)", n);
    cr_assert_eq(srv_runtime_shutdown(T(5000)), SRV_OK);
    ASSERT_NO_LEAK();
}

/* A cast of a string whose copy finds no memory: SRV_ENOMEM, and the
 * server never sees it. */
Test(memory, cast_of_a_string_returns_enomem_when_its_copy_fails, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_self();
    cr_assert_eq(counter_bump(pid, 0), SRV_OK); /* this thread's pool cache */
    /* Suspended, the server handles none of the casts; the injector
     * counts this thread's allocations only, the cast's. */
    cr_assert_eq(srv_sys_suspend(pid, SRV_INFINITY), SRV_OK);
    /* The envelope first, then the string's copy: each fails in turn. */
    int failures = 0;
    for (unsigned long n = 1; n <= 10; n++) {
        srv__alloc_fail_after_here(n);
        srv_status s = counter_note(pid, "abc");
        bool failed = srv__alloc_failed();
        srv__alloc_fail_after(0);
        cr_assert_eq(s, failed ? SRV_ENOMEM : SRV_OK, "n=%lu: %s, %s", n, srv_status_name(s),
                     failed ? "an allocation failed" : "none failed");
        failures += failed;
        if (!failed)
            break;
    }
    cr_assert_gt(failures, 0, "a copy failed");
    cr_assert_eq(srv_sys_resume(pid, SRV_INFINITY), SRV_OK);
    counter_get_reply r = counter_read(pid);
    cr_assert_eq(r.total, 3, "only the cast that was copied arrived");
    cr_assert_eq(r.casts, 2);
    counter_stop(pid);
}

/* A call whose arguments or reply cannot be copied: the caller gets
 * SRV_ENOMEM, and the server goes on.  The allocations fail in turn: the
 * arguments' copy, then the reply's. */
Test(memory, call_whose_copies_fail_returns_enomem_and_the_server_goes_on, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_echo_reply echo;
    cr_assert_eq(counter_echo(pid, "warm", (srv_bytes){NULL, 0}, &echo), SRV_OK);
    counter_echo_reply_free(&echo);
    /* A failed allocation the runtime can do without (an inline call's
     * new stack: the call is queued instead) leaves the call SRV_OK, with
     * its reply; one it cannot (the arguments' copy, the reply's) makes it
     * SRV_ENOMEM.  Never another status, never a wrong reply. */
    int failures = 0;
    for (unsigned long n = 1; n <= 20; n++) {
        srv__alloc_fail_after(n);
        srv_status s = counter_echo(pid, "text", (srv_bytes){NULL, 0}, &echo);
        bool failed = srv__alloc_failed();
        srv__alloc_fail_after(0);
        cr_assert(s == SRV_OK || (s == SRV_ENOMEM && failed), "n=%lu: %s, %s", n,
                  srv_status_name(s), failed ? "an allocation failed" : "none failed");
        cr_assert(srv_is_alive(pid));
        if (s == SRV_OK) {
            cr_assert_str_eq(echo.text, "text");
            counter_echo_reply_free(&echo);
            if (!failed)
                break;
            continue;
        }
        failures++;
    }
    cr_assert_gt(failures, 1, "the arguments' copy and the reply's failed");
    cr_assert_eq(counter_echo(pid, "again", (srv_bytes){NULL, 0}, &echo), SRV_OK);
    cr_assert_str_eq(echo.text, "again");
    counter_echo_reply_free(&echo);
    counter_stop(pid);
}

/* A callback timeout that cannot be armed ends its server with
 * out_of_memory, as a crash would: never a timeout that silently never
 * comes. */
Test(memory, callback_timeout_without_memory_ends_the_server, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    counter_read(pid); /* this thread's stacks for inline calls, made */
    counter_arm_timeout_reply r;
    /* Inline, the call allocates only for the timer: its envelope. */
    srv__alloc_fail_after(1);
    srv_status s = counter_arm_timeout(pid, 60000, &r);
    bool failed = srv__alloc_failed();
    srv__alloc_fail_after(0);
    cr_assert(failed);
    cr_assert_eq(s, SRV_OK, "the reply came before the timeout was armed");
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    cr_assert_eq(signal.kind, SRV_SIGNAL_DOWN);
    cr_assert_str_eq(signal.reason, "out_of_memory");
    cr_assert_eq(signal.reason, srv_atom_from("out_of_memory"), "an interned atom");
}

/* ---------------------------------------------------------------------- */
/* Monitors of processes that end                                          */

#define THREADS 10000

static srv_pid watched;

static void *monitor_and_exit(void *arg)
{
    (void)arg;
    srv_monitor_ref ref;
    if (srv_monitor(watched, &ref) != SRV_OK)
        return (void *)1;
    return NULL;
}

/* A plain thread that monitors a server and ends takes its monitor off
 * the server's list: 10,000 of them leave it as it was. */
Test(memory, monitors_of_threads_that_exit_are_removed, .timeout = T(120))
{
    watched = start_counter(0);
    size_t processes = srv_process_count();
    for (int i = 0; i < THREADS; i += 8) {
        pthread_t threads[8];
        for (int j = 0; j < 8; j++)
            cr_assert_eq(pthread_create(&threads[j], NULL, monitor_and_exit, NULL), 0);
        for (int j = 0; j < 8; j++) {
            void *result;
            pthread_join(threads[j], &result);
            cr_assert_null(result, "the monitor was set");
        }
    }
    size_t watchers, watching;
    srv__monitor_counts(watched, &watchers, &watching);
    cr_assert_eq(watchers, 0, "%zu monitors of gone threads are left", watchers);
    cr_assert_eq(srv_process_count(), processes, "every thread's identity is gone");
    counter_stop(watched);
    ASSERT_NO_LEAK();
}

static void *cast_and_exit(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        if (counter_bump(watched, 1) != SRV_OK)
            return (void *)1;
    return NULL;
}

/* A thread that sends leaves its envelope cache when it ends; the next
 * thread adopts it: 2,000 threads in turn make no more than a handful. */
Test(memory, threads_that_send_and_exit_leave_no_message_cache, .timeout = T(60))
{
    watched = start_counter(0);
    cr_assert_eq(counter_bump(watched, 0), SRV_OK); /* this thread's cache */
    size_t before = srv__pool_caches();
    for (int i = 0; i < 2000; i++) {
        pthread_t thread;
        void *result;
        cr_assert_eq(pthread_create(&thread, NULL, cast_and_exit, NULL), 0);
        pthread_join(thread, &result);
        cr_assert_null(result);
    }
    ASSERT_EVENTUALLY(counter_read(watched).casts == 2000 * 10 + 1);
    size_t made = srv__pool_caches() - before;
    cr_assert_lt(made, 8, "%zu caches for 2000 threads", made);
    counter_stop(watched);
    ASSERT_NO_LEAK();
}

/* The same for a server that monitors another and stops; and a monitor
 * that fires leaves its watcher's list. */
Test(memory, monitors_of_servers_that_end_are_removed_from_both_lists, .timeout = T(10))
{
    srv_pid target = start_counter(0), watcher = start_counter(0);
    counter_monitor_reply m;
    cr_assert_eq(counter_monitor(watcher, target, &m), SRV_OK);
    size_t watchers, watching;
    srv__monitor_counts(target, &watchers, &watching);
    cr_assert_eq(watchers, 1);
    cr_assert_eq(counter_stop(watcher), SRV_OK);
    srv__monitor_counts(target, &watchers, &watching);
    cr_assert_eq(watchers, 0, "the stopped watcher's monitor is gone");

    watcher = start_counter(0);
    cr_assert_eq(counter_monitor(watcher, target, &m), SRV_OK);
    srv__monitor_counts(watcher, &watchers, &watching);
    cr_assert_eq(watching, 1);
    long downs = atomic_load(&counter_observed.downs);
    cr_assert_eq(counter_stop(target), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.downs) == downs + 1);
    srv__monitor_counts(watcher, &watchers, &watching);
    cr_assert_eq(watching, 0, "the monitor that fired is gone");
    counter_stop(watcher);
}

/* ---------------------------------------------------------------------- */
/* Queue length                                                            */

/* process_info(Pid, message_queue_len): casts to a server busy in a
 * handler wait in its mailbox, counted; handled, they are not. */
Test(memory, message_queue_len_counts_messages_not_yet_handled, .timeout = T(20))
{
    srv_pid pid = start_counter(0);
    size_t len = 99;
    cr_assert_eq(srv_message_queue_len(pid, &len), SRV_OK);
    cr_assert_eq(len, 0);
    long parked = atomic_load(&counter_observed.parked);
    cr_assert_eq(counter_sleep_later(pid, 500), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.parked) == parked + 1);
    cr_assert_eq(srv_message_queue_len(pid, &len), SRV_OK);
    cr_assert_eq(len, 0, "the message being handled is not queued");
    for (int i = 0; i < 100; i++)
        cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    cr_assert_eq(counter_send_tick(pid, 1), SRV_OK);
    cr_assert_eq(srv_message_queue_len(pid, &len), SRV_OK);
    cr_assert_eq(len, 101, "100 casts and an info message wait");
    ASSERT_EVENTUALLY(srv_message_queue_len(pid, &len) == SRV_OK && len == 0);
    cr_assert_eq(counter_read(pid).total, 100);
    counter_stop(pid);
    cr_assert_eq(srv_message_queue_len(pid, &len), SRV_ENOPROC);
    cr_assert_eq(srv_message_queue_len(srv_self(), NULL), SRV_EINVAL);
}

/* Messages held while a server is suspended (sys:suspend) are still
 * queued, as they are in Erlang. */
Test(memory, message_queue_len_counts_messages_held_while_suspended, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, T(5000)), SRV_OK);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(counter_bump(pid, 1), SRV_OK);
    /* a system message goes through: the casts are held by then */
    srv_buf text = {0};
    cr_assert_eq(srv_sys_get_state(pid, &text, T(5000)), SRV_OK);
    srv_buf_free(&text);
    size_t len;
    cr_assert_eq(srv_message_queue_len(pid, &len), SRV_OK);
    cr_assert_eq(len, 10);
    cr_assert_eq(srv_sys_resume(pid, T(5000)), SRV_OK);
    ASSERT_EVENTUALLY(srv_message_queue_len(pid, &len) == SRV_OK && len == 0);
    cr_assert_eq(counter_read(pid).total, 10);
    counter_stop(pid);
}

/* A plain thread's signals count too, until srv_receive_signal takes them. */
Test(memory, message_queue_len_counts_a_threads_signals, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_monitor_ref ref;
    cr_assert_eq(srv_monitor(pid, &ref), SRV_OK);
    cr_assert_eq(counter_stop(pid), SRV_OK);
    size_t len;
    cr_assert_eq(srv_message_queue_len(srv_self(), &len), SRV_OK);
    cr_assert_eq(len, 1, "the DOWN");
    srv_signal signal;
    cr_assert_eq(srv_receive_signal(&signal, T(5000)), SRV_OK);
    cr_assert_eq(srv_message_queue_len(srv_self(), &len), SRV_OK);
    cr_assert_eq(len, 0);
}

/* A handler's sends are counted too: a scheduler thread adds a run of
 * them to the receiver's count at its next turn. */
Test(memory, message_queue_len_counts_sends_from_handlers, .timeout = T(20))
{
    srv_pid target = start_counter(0), sender = start_counter(0);
    cr_assert_eq(srv_sys_suspend(target, T(5000)), SRV_OK); /* so the casts wait */
    counter_add_reply add;
    cr_assert_eq(counter_flood(sender, target, 100), SRV_OK);
    cr_assert_eq(counter_add(sender, 0, &add), SRV_OK); /* after the flood */
    size_t len;
    ASSERT_EVENTUALLY(srv_message_queue_len(target, &len) == SRV_OK && len == 100);
    cr_assert_eq(srv_sys_resume(target, T(5000)), SRV_OK);
    ASSERT_EVENTUALLY(srv_message_queue_len(target, &len) == SRV_OK && len == 0);
    cr_assert_eq(counter_read(target).total, 100);
    counter_stop(target);
    counter_stop(sender);
}

/* ---- the slab (runtime/slab.c) ------------------------------------------ */

/* A size no part of the runtime asks of the slab: its class is the
 * test's alone. */
#define ODD_BLOCK 1008
#define ODD_COUNT 100 /* more than a thread's run of new blocks, and a chunk */

static bool all_zero(const unsigned char *b, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* A block never used comes zeroed from its chunk's mmap, without a
 * memset; one given back is cleared when it is handed out again. */
Test(memory, slab_blocks_are_zero_whether_never_used_or_given_back, .timeout = T(10))
{
    unsigned char *blocks[ODD_COUNT];
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < ODD_COUNT; i++) {
            blocks[i] = srv__slab_alloc(ODD_BLOCK);
            cr_assert_not_null(blocks[i]);
            cr_assert(all_zero(blocks[i], ODD_BLOCK), "round %d, block %zu", round, i);
        }
        for (size_t i = 0; i < ODD_COUNT; i++) {
            memset(blocks[i], 0xab, ODD_BLOCK);
            srv__slab_free(blocks[i], ODD_BLOCK);
        }
    }
}

#if !defined(SRV_SANITIZE_ADDRESS) && !defined(SRV_SANITIZE_THREAD)
/* What a thread took from a chunk and did not use goes back at its end:
 * another thread's next blocks of that size are the very same.  (Under a
 * sanitizer every block is malloc's.) */
static void *take_one_block(void *arg)
{
    unsigned char *b = srv__slab_alloc(ODD_BLOCK);
    *(unsigned char **)arg = b;
    srv__slab_free(b, ODD_BLOCK);
    return NULL;
}

Test(memory, a_threads_unused_slab_blocks_go_back_at_its_end, .timeout = T(10))
{
    unsigned char *first = NULL;
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, take_one_block, &first), 0);
    cr_assert_eq(pthread_join(thread, NULL), 0);
    cr_assert_not_null(first);
    /* The thread took a run of new blocks from first on (32 of them:
     * slab.c's BATCH) and used one. */
    enum { RUN = 32 };
    unsigned char *seen[RUN];
    for (size_t i = 0; i < RUN; i++) {
        unsigned char *b = srv__slab_alloc(ODD_BLOCK);
        cr_assert(b >= first && b < first + RUN * ODD_BLOCK && (b - first) % ODD_BLOCK == 0,
                  "block %zu is not one of the thread's", i);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(seen[j], b, "block %zu handed out twice", i);
        seen[i] = b;
    }
    for (size_t i = 0; i < RUN; i++)
        srv__slab_free(seen[i], ODD_BLOCK);
}
#endif
