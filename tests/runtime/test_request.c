/*
 * test_request.c: gen_server:send_request, wait_response, receive_response,
 * check_response and request-id collections, through the generic API
 * (tests/otp/send_request.erl is the Erlang twin).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "request.h" /* srv__requests_outstanding */
#include "support.h"

/* The argument structs of counter.srv's calls used here. */
struct add_args {
    int64_t n;
};
struct token_args {
    int value;
    int ms;
};

/* A via registry where nobody is registered. */
static srv_status no_register(void *user, const char *name, srv_pid pid)
{
    (void)user, (void)name, (void)pid;
    return SRV_EALREADY;
}

static srv_status no_unregister(void *user, const char *name)
{
    (void)user, (void)name;
    return SRV_OK;
}

static srv_status nobody_there(void *user, const char *name, srv_pid *pid_out)
{
    (void)user, (void)name, (void)pid_out;
    return SRV_ENOTREG;
}

static srv_request_id send_add(srv_pid pid, const char *call, int64_t n)
{
    srv_request_id req;
    struct add_args args = {n};
    cr_assert_eq(srv_send_request(pid, &counter_module, message_named(&counter_module, call),
                                  &args, &req),
                 SRV_OK);
    return req;
}

static srv_request_id send_defer(srv_pid pid)
{
    srv_request_id req;
    cr_assert_eq(srv_send_request(pid, &counter_module, message_named(&counter_module, "defer"),
                                  NULL, &req),
                 SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) >= 1);
    return req;
}

static srv_request_id send_token(srv_pid pid, int value)
{
    srv_request_id req;
    struct token_args args = {value, -1};
    cr_assert_eq(srv_send_request(pid, &counter_module, message_named(&counter_module, "token"),
                                  &args, &req),
                 SRV_OK);
    return req;
}

/* The deferred call's answer, given through defer's from. */
static void answer(srv_pid pid, int64_t value)
{
    counter_answer_reply a;
    cr_assert_eq(counter_answer(pid, value, &a), SRV_OK);
    cr_assert(a.answered);
}

static size_t outstanding(void)
{
    return srv__requests_outstanding(srv_self());
}

Test(request, is_answered_with_the_calls_typed_reply, .timeout = T(10))
{
    srv_pid pid = start_counter(40);
    srv_request_id req = send_add(pid, "add", 2);
    cr_assert(srv_request_is(&req, &counter_module, message_named(&counter_module, "add")));
    cr_assert_not(srv_request_is(&req, &counter_module, message_named(&counter_module, "get")));
    cr_assert(srv_pid_equal(req.server, pid));
    counter_add_reply r = {0};
    cr_assert_eq(srv_wait_response(&req, 1000, &r, NULL), SRV_OK);
    cr_assert_eq(r.total, 42);
    cr_assert_eq(outstanding(), 0, "a request whose answer was read is over");
    cr_assert_eq(srv_wait_response(&req, 0, &r, NULL), SRV_EINVAL, "and cannot be read again");
    counter_stop(pid);
}

Test(request, typed_functions_of_a_call_read_its_reply_and_refuse_another_calls,
     .timeout = T(10))
{
    srv_pid pid = start_counter(1);
    srv_request_id add, get;
    cr_assert_eq(counter_add_send_request(pid, 2, &add), SRV_OK);
    cr_assert_eq(counter_get_send_request(pid, &get), SRV_OK);
    counter_add_reply a;
    cr_assert_eq(counter_add_wait_response(&get, 1000, &a), SRV_EINVAL,
                 "get's reply has another layout");
    cr_assert_eq(counter_add_wait_response(&add, 1000, &a), SRV_OK);
    cr_assert_eq(a.total, 3);
    counter_get_reply g;
    cr_assert_eq(counter_get_receive_response(&get, 1000, &g), SRV_OK);
    cr_assert_eq(g.total, 3);
    cr_assert_eq(counter_add_check_response(&add, &a), SRV_EINVAL, "read already");
    counter_stop(pid);
}

/* The twin's "wait_response 10: timeout", then "wait_response again:
 * {reply,...}" */
Test(request, wait_response_that_times_out_keeps_the_request, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id req = send_defer(pid);
    counter_defer_reply r = {0};
    cr_assert_eq(srv_wait_response(&req, 10, &r, NULL), SRV_ETIMEOUT);
    cr_assert_eq(outstanding(), 1);
    answer(pid, 77);
    cr_assert_eq(srv_wait_response(&req, 1000, &r, NULL), SRV_OK);
    cr_assert_eq(r.value, 77);
    counter_stop(pid);
}

/* The twin's "receive_response 10: timeout", then "mailbox after the
 * abandoned reply was due: []": the late reply is freed, never seen. */
Test(request, receive_response_abandons_at_its_timeout_and_the_late_reply_is_freed,
     .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_request_id req = send_token(pid, 7);
    counter_token_reply r = {0};
    cr_assert_eq(srv_receive_response(&req, 10, &r, NULL), SRV_ETIMEOUT);
    cr_assert_eq(outstanding(), 0, "abandoned: nothing kept for it");
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    counter_read(pid); /* queued after the token: it has run */
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1, "the late reply was freed");
    cr_assert_null(r.token);
    cr_assert_eq(srv_check_response(&req, &r, NULL), SRV_EINVAL);
    counter_stop(pid);
}

Test(request, receive_response_with_timeout_zero_frees_an_answer_unread, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id req = send_token(pid, 7);
    counter_read(pid); /* the token's answer has come */
    cr_assert_eq(srv_receive_response(&req, 0, NULL, NULL), SRV_OK);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1);
    cr_assert_eq(outstanding(), 0);
    counter_stop(pid);
}

/* "check_response: {reply,hello}", and no_reply before it came. */
Test(request, check_response_says_noreply_until_the_answer_has_come, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id req = send_defer(pid);
    counter_defer_reply r = {0};
    cr_assert_eq(srv_check_response(&req, &r, NULL), SRV_NOREPLY);
    answer(pid, 5);
    cr_assert_eq(srv_check_response(&req, &r, NULL), SRV_OK);
    cr_assert_eq(r.value, 5);
    counter_stop(pid);
}

/* "to a dead server: {error,{noproc,<0.80.0>}}" */
Test(request, to_a_dead_server_is_answered_noproc, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    counter_stop(pid);
    srv_request_id req = send_add(pid, "add", 1);
    srv_call_result why = {NULL};
    cr_assert_eq(srv_receive_response(&req, 1000, NULL, &why), SRV_ENOPROC);
    cr_assert_eq(why.reason, SRV_NOPROC);
    char term[64];
    snprintf(term, sizeof term, "{noproc,%s}", srv_pid_format(pid).s);
    cr_assert_str_eq(srv_detail_text(why.exit), term);
}

/* "to an unregistered name: {error,{noproc,nobody_here}}" */
Test(request, to_a_name_nobody_holds_is_answered_noproc, .timeout = T(10))
{
    srv_request_id req;
    struct add_args args = {1};
    cr_assert_eq(srv_send_request_name("nobody_here", &counter_module,
                                       message_named(&counter_module, "add"), &args, &req),
                 SRV_OK);
    cr_assert(srv_pid_is_none(req.server));
    srv_call_result why = {NULL};
    cr_assert_eq(srv_receive_response(&req, 1000, NULL, &why), SRV_ENOPROC);
    cr_assert_eq(why.reason, SRV_NOPROC);
    cr_assert_str_eq(srv_detail_text(why.exit), "{noproc,nobody_here}");
}

/* "to a name that exits: {error,{{shutdown,bye},<0.81.0>}}": the pid the
 * name gave, not the name */
Test(request, to_a_name_whose_server_exits_is_answered_with_the_reason_and_its_pid,
     .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_register("leaving", pid), SRV_OK);
    srv_request_id req;
    cr_assert_eq(srv_send_request_name("leaving", &counter_module,
                                       message_named(&counter_module, "defer"), NULL, &req),
                 SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    cr_assert_eq(srv_exit_signal_detail(pid, SRV_SHUTDOWN, srv_detail_new("bye")), SRV_OK);
    srv_call_result why = {NULL};
    cr_assert_eq(srv_receive_response(&req, 5000, NULL, &why), SRV_EEXIT);
    char term[64];
    snprintf(term, sizeof term, "{{shutdown,bye},%s}", srv_pid_format(pid).s);
    cr_assert_str_eq(srv_detail_text(why.exit), term);
}

/* "to a via name nobody holds: {error,{noproc,{via,global,nobody}}}" */
Test(request, to_a_via_name_nobody_holds_is_answered_noproc_with_the_via_name,
     .timeout = T(10))
{
    const srv_registry empty = {NULL, no_register, no_unregister, nobody_there, NULL, "empty"};
    srv_request_id req;
    struct add_args args = {1};
    cr_assert_eq(srv_send_request_to(srv_ref_via(&empty, "nobody"), &counter_module,
                                     message_named(&counter_module, "add"), &args, &req),
                 SRV_OK);
    srv_call_result why = {NULL};
    cr_assert_eq(srv_receive_response(&req, 1000, NULL, &why), SRV_ENOPROC);
    cr_assert_str_eq(srv_detail_text(why.exit), "{noproc,{via,empty,nobody}}");
}

Test(request, to_a_registered_name_reaches_its_holder, .timeout = T(10))
{
    srv_pid pid = start_counter(10);
    cr_assert_eq(srv_register("request_counter", pid), SRV_OK);
    srv_request_id req;
    struct add_args args = {1};
    cr_assert_eq(srv_send_request_name("request_counter", &counter_module,
                                       message_named(&counter_module, "add"), &args, &req),
                 SRV_OK);
    cr_assert(srv_pid_equal(req.server, pid));
    counter_add_reply r;
    cr_assert_eq(srv_wait_response(&req, 1000, &r, NULL), SRV_OK);
    cr_assert_eq(r.total, 11);
    counter_stop(pid);
}

/* The typed send_request takes a name or an srv_ref where a pid goes, as
 * gen_server:send_request takes any ServerRef. */
Test(request, typed_send_request_by_name_or_srv_ref_reaches_its_holder, .timeout = T(10))
{
    srv_pid pid = start_counter(20);
    cr_assert_eq(srv_register("typed_request_counter", pid), SRV_OK);
    srv_request_id by_name, by_ref;
    cr_assert_eq(counter_add_send_request("typed_request_counter", 1, &by_name), SRV_OK);
    cr_assert(srv_pid_equal(by_name.server, pid));
    cr_assert_eq(counter_add_send_request(srv_ref_name("typed_request_counter"), 2, &by_ref),
                 SRV_OK);
    counter_add_reply r;
    cr_assert_eq(counter_add_wait_response(&by_name, 1000, &r), SRV_OK);
    cr_assert_eq(r.total, 21);
    cr_assert_eq(counter_add_wait_response(&by_ref, 1000, &r), SRV_OK);
    cr_assert_eq(r.total, 23);
    counter_stop(pid);
    srv_request_id none;
    cr_assert_eq(counter_add_send_request("typed_request_counter", 1, &none), SRV_OK,
                 "a name nobody holds is answered, not refused");
    srv_call_result why = {NULL};
    cr_assert_eq(srv_receive_response(&none, 1000, NULL, &why), SRV_ENOPROC);
    cr_assert_eq(why.reason, SRV_NOPROC);
}

Test(request, of_a_cast_or_to_another_module_is_einval, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id req;
    struct add_args args = {1};
    cr_assert_eq(srv_send_request(pid, &counter_module, message_named(&counter_module, "bump"),
                                  &args, &req),
                 SRV_EINVAL);
    cr_assert_eq(srv_send_request(pid, NULL, 0, &args, &req), SRV_EINVAL);
    cr_assert_eq(outstanding(), 0);
    counter_stop(pid);
}

Test(request, server_that_exits_answers_with_its_reason, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid pid = start_counter(0);
    srv_request_id deferred = send_defer(pid);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    counter_die(pid, "gone");
    srv_request_id queued = send_add(pid, "add", 1); /* behind the die */
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    srv_call_result why = {NULL};
    cr_assert_eq(srv_wait_response(&deferred, 5000, NULL, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "gone");
    why.reason = NULL;
    cr_assert_eq(srv_wait_response(&queued, 5000, NULL, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "gone");
}

Test(request, abandoned_request_declared_skip_abandoned_is_skipped, .timeout = T(10))
{
    srv_pid pid = start_counter(5);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_request_id req = send_add(pid, "add_if_awaited", 1);
    cr_assert_eq(srv_receive_response(&req, 0, NULL, NULL), SRV_ETIMEOUT);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    cr_assert_eq(counter_read(pid).total, 5, "its requester gave it up: not run");
    counter_stop(pid);
}

Test(request, of_another_process_cannot_be_waited_for, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id req = send_defer(pid);
    srv_request_id forged = req;
    forged.from.pid = pid;
    cr_assert_eq(srv_wait_response(&forged, 0, NULL, NULL), SRV_EINVAL);
    srv_request_id zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    cr_assert_eq(srv_check_response(&zeroed, NULL, NULL), SRV_EINVAL);
    cr_assert_eq(srv_wait_response(&req, -5, NULL, NULL), SRV_EINVAL);
    answer(pid, 1);
    cr_assert_eq(srv_wait_response(&req, 1000, NULL, NULL), SRV_OK);
    counter_stop(pid);
}

/* The twin's collection lines: size, labels, wait then receive with
 * delete, each naming its label; an empty collection: no_request. */
Test(request, collection_says_which_request_and_label_answered, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_reqids all;
    srv_reqids_new(&all);
    srv_request_id first = send_add(pid, "add", 1);
    srv_request_id second = send_add(pid, "add", 2);
    cr_assert_eq(srv_reqids_add(&all, &first, "first"), SRV_OK);
    cr_assert_eq(srv_reqids_add(&all, &second, "second"), SRV_OK);
    cr_assert_eq(srv_reqids_size(&all), 2);
    size_t n;
    const srv_reqids_entry *list = srv_reqids_to_list(&all, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].label, "first");
    cr_assert_str_eq(list[1].label, "second");

    srv_request_id which;
    void *label = NULL;
    counter_add_reply r;
    cr_assert_eq(srv_reqids_wait(&all, 1000, true, &which, &label), SRV_OK);
    cr_assert_str_eq(label, "first");
    cr_assert_eq(srv_check_response(&which, &r, NULL), SRV_OK);
    cr_assert_eq(r.total, 1);
    cr_assert_eq(srv_reqids_receive(&all, 1000, true, &which, &label), SRV_OK);
    cr_assert_str_eq(label, "second");
    cr_assert_eq(srv_check_response(&which, &r, NULL), SRV_OK);
    cr_assert_eq(r.total, 3);
    cr_assert_eq(srv_reqids_size(&all), 0);
    cr_assert_eq(srv_reqids_wait(&all, 10, true, &which, &label), SRV_NOREQUEST);
    srv_reqids_free(&all);
    counter_stop(pid);
}

Test(request, collection_without_delete_keeps_the_request_until_read, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_reqids all = SRV_REQIDS_INIT;
    srv_request_id req = send_defer(pid);
    cr_assert_eq(srv_reqids_add(&all, &req, "deferred"), SRV_OK);
    srv_request_id which;
    cr_assert_eq(srv_reqids_check(&all, false, &which, NULL), SRV_NOREPLY);
    cr_assert_eq(srv_reqids_wait(&all, 10, false, &which, NULL), SRV_ETIMEOUT);
    answer(pid, 3);
    cr_assert_eq(srv_reqids_check(&all, false, &which, NULL), SRV_OK);
    cr_assert_eq(srv_reqids_wait(&all, 0, false, &which, NULL), SRV_OK, "given again");
    cr_assert_eq(srv_reqids_size(&all), 1);
    counter_defer_reply r;
    cr_assert_eq(srv_wait_response(&which, 0, &r, NULL), SRV_OK);
    cr_assert_eq(r.value, 3);
    /* read: it stays, and is never answered again */
    cr_assert_eq(srv_reqids_wait(&all, 10, false, &which, NULL), SRV_ETIMEOUT);
    srv_reqids_free(&all);
    counter_stop(pid);
}

/* "collection receive_response 10: timeout" */
Test(request, collection_receive_abandons_every_request_at_its_timeout, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_reqids all = SRV_REQIDS_INIT;
    for (int i = 0; i < 3; i++) {
        srv_request_id req = send_token(pid, i);
        cr_assert_eq(srv_reqids_add(&all, &req, NULL), SRV_OK);
    }
    cr_assert_eq(srv_reqids_receive(&all, 10, true, NULL, NULL), SRV_ETIMEOUT);
    cr_assert_eq(srv_reqids_size(&all), 0);
    cr_assert_eq(outstanding(), 0);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    counter_read(pid);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 3, "the late replies were freed");
    srv_reqids_free(&all);
    counter_stop(pid);
}

Test(request, freeing_a_collection_abandons_its_requests, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_reqids all = SRV_REQIDS_INIT;
    srv_request_id answered = send_token(pid, 1);
    cr_assert_eq(srv_reqids_add(&all, &answered, NULL), SRV_OK);
    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    srv_request_id late = send_token(pid, 2);
    cr_assert_eq(srv_reqids_add(&all, &late, NULL), SRV_OK);
    srv_reqids_free(&all);
    cr_assert_eq(outstanding(), 0);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1, "the answer nobody read");
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    counter_read(pid);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 2, "and the late one");
    counter_stop(pid);
}

/* Thousands out at once from a plain thread; the collection gives them
 * in the order they were answered (each add's total one more). */
Test(request, thousands_out_at_once_are_each_answered_once, .timeout = T(30))
{
    enum { N = 5000 };
    srv_pid pid = start_counter(0);
    srv_reqids all = SRV_REQIDS_INIT;
    for (int i = 0; i < N; i++) {
        srv_request_id req = send_add(pid, "add", 1);
        cr_assert_eq(srv_reqids_add(&all, &req, NULL), SRV_OK);
    }
    cr_assert_eq(srv_reqids_size(&all), N);
    int64_t last = 0;
    srv_request_id which;
    while (srv_reqids_wait(&all, T(5000), true, &which, NULL) == SRV_OK) {
        counter_add_reply r;
        cr_assert_eq(srv_check_response(&which, &r, NULL), SRV_OK);
        cr_assert_eq(r.total, last + 1, "the first answered first");
        last = r.total;
    }
    cr_assert_eq(last, N);
    cr_assert_eq(outstanding(), 0);
    srv_reqids_free(&all);
    counter_stop(pid);
}

/* A handler sends its requests and waits for them: its fiber parks on a
 * scheduler thread, and each answer wakes it. */
Test(request, handler_waits_for_its_requests_parked, .timeout = T(30))
{
    srv_pid requester = start_counter(0);
    srv_pid server = start_counter(0);
    counter_request_adds_reply r;
    cr_assert_eq(counter_request_adds_timeout(requester, server, 2000, &r, T(20000)), SRV_OK);
    cr_assert_eq(r.in_order, 1);
    cr_assert_eq(r.last, 2000);
    cr_assert_eq(srv__requests_outstanding(requester), 0);
    counter_stop(requester);
    counter_stop(server);
}

struct requester {
    srv_pid server;
    bool read_answer_first; /* wait until the answer came, then not read it */
};

static void *request_and_end(void *arg)
{
    struct requester *q = arg;
    send_token(q->server, 1);
    if (q->read_answer_first)
        counter_read(q->server);
    return NULL; /* the thread ends with its request out */
}

Test(request, replies_to_a_requester_that_ended_are_freed, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    struct requester answered = {pid, true};
    pthread_t t;
    pthread_create(&t, NULL, request_and_end, &answered);
    pthread_join(t, NULL);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 1, "an answer nobody read");

    cr_assert_eq(srv_sys_suspend(pid, 5000), SRV_OK);
    struct requester gone = {pid, false};
    pthread_create(&t, NULL, request_and_end, &gone);
    pthread_join(t, NULL);
    cr_assert_eq(srv_sys_resume(pid, 5000), SRV_OK);
    counter_read(pid);
    cr_assert_eq(atomic_load(&counter_observed.tokens_freed), 2, "a reply to a dead requester");
    counter_stop(pid);
}

/* A handler waiting for its request is ended by an exit signal, as an
 * Erlang process in its receive; the answer that comes later is dropped. */
Test(request, exit_signal_ends_a_handler_waiting_for_its_request, .timeout = T(10))
{
    srv_set_logger(NULL, NULL);
    srv_pid requester = start_counter(0);
    srv_pid server = start_counter(0);
    srv_request_id req;
    cr_assert_eq(counter_request_defer_send_request(requester, server, &req), SRV_OK);
    ASSERT_EVENTUALLY(atomic_load(&counter_observed.deferred) == 1);
    cr_assert_eq(srv_exit_signal(requester, "stopped_waiting"), SRV_OK);
    srv_call_result why = {NULL};
    counter_request_defer_reply r;
    cr_assert_eq(srv_wait_response(&req, T(5000), &r, &why), SRV_EEXIT);
    cr_assert_str_eq(why.reason, "stopped_waiting");
    cr_assert_not(srv_is_alive(requester));
    counter_answer_reply a;
    cr_assert_eq(counter_answer(server, 9, &a), SRV_OK);
    cr_assert(a.answered, "answered, to a requester that is gone");
    counter_stop(server);
}

Test(request, is_in_one_collection_at_a_time, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_reqids first = SRV_REQIDS_INIT, second = SRV_REQIDS_INIT;
    srv_request_id req = send_add(pid, "add", 1);
    cr_assert_eq(srv_reqids_add(&first, &req, "first"), SRV_OK);
    cr_assert_eq(srv_reqids_add(&first, &req, "again"), SRV_EINVAL);
    cr_assert_eq(srv_reqids_add(&second, &req, "second"), SRV_EINVAL);
    srv_request_id which;
    cr_assert_eq(srv_reqids_wait(&first, 1000, true, &which, NULL), SRV_OK);
    cr_assert_eq(srv_reqids_add(&second, &which, "second"), SRV_OK, "it left the first");
    void *label = NULL;
    cr_assert_eq(srv_reqids_check(&second, true, &which, &label), SRV_OK);
    cr_assert_str_eq(label, "second");
    cr_assert_eq(srv_check_response(&which, NULL, NULL), SRV_OK);
    srv_reqids_free(&first);
    srv_reqids_free(&second);
    counter_stop(pid);
}

/* Answers to requests outside the collection are no answer for it; a
 * delete moves the last entry into the hole, and it is still found. */
Test(request, collection_wait_gives_only_its_own_requests, .timeout = T(10))
{
    srv_pid pid = start_counter(0);
    srv_request_id outside = send_add(pid, "add", 1);
    srv_reqids all = SRV_REQIDS_INIT;
    srv_request_id deferred = send_defer(pid);
    srv_request_id quick = send_add(pid, "add", 10);
    cr_assert_eq(srv_reqids_add(&all, &quick, "quick"), SRV_OK);
    cr_assert_eq(srv_reqids_add(&all, &deferred, "deferred"), SRV_OK);
    counter_read(pid); /* outside and quick are answered */
    srv_request_id which;
    void *label = NULL;
    cr_assert_eq(srv_reqids_wait(&all, 1000, true, &which, &label), SRV_OK);
    cr_assert_str_eq(label, "quick");
    cr_assert_eq(srv_reqids_check(&all, false, &which, &label), SRV_NOREPLY,
                 "the answer outside is not the collection's");
    answer(pid, 4);
    cr_assert_eq(srv_reqids_wait(&all, 1000, true, &which, &label), SRV_OK);
    cr_assert_str_eq(label, "deferred");
    counter_defer_reply d;
    cr_assert_eq(srv_check_response(&which, &d, NULL), SRV_OK);
    cr_assert_eq(d.value, 4);
    counter_add_reply r;
    cr_assert_eq(srv_check_response(&outside, &r, NULL), SRV_OK);
    cr_assert_eq(r.total, 1);
    cr_assert_eq(srv_receive_response(&quick, 0, NULL, NULL), SRV_OK);
    cr_assert_eq(outstanding(), 0);
    srv_reqids_free(&all);
    counter_stop(pid);
}
