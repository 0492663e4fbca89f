/*
 * call.c: gen_server:call, cast, reply and stop, sys requests, and the
 * `Pid ! Msg` of typed info messages, now or after a delay (send_after,
 * start_timer, whose message carries its timer's ref).
 *
 * A call to an idle server with an empty mailbox runs the handler right
 * here, on the caller's thread, on a stack of its own (inline.c): nothing
 * is queued, no thread is woken.  Otherwise the arguments are copied into
 * an envelope, queued, and the caller waits in its reply slot.  Either
 * way the caller's deadline holds: a handler run here that blocks lets
 * its caller go on waiting as for a queued call.
 */
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "exit.h"
#include "fiber.h"
#include "inline.h"
#include "link.h"
#include "loop.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"
#include "reason.h"
#include "remote.h"
#include "thread.h"
#include "timer.h"
#include "wait.h"

static bool valid_message(const srv_module *module, unsigned message,
                          srv_message_kind kind)
{
    return module != NULL && message < module->message_count &&
           module->messages[message].kind == kind;
}

/* Arguments and replies up to this size are copied onto the handler's
 * own stack when a caller runs it; bigger ones go through the mailbox. */
#define INLINE_MAX 256

/* A call its caller runs at once (inline.c).  If the handler blocks, the
 * caller may leave at its deadline while the handler goes on, so nothing
 * of the caller's frame may be used after that.  Arguments that own
 * memory (strings, bytes) are deep-copied first, since the handler holds
 * pointers into them; flat ones are borrowed, and copied onto the job's
 * own stack only if it is detached (keep_args), before the caller goes.
 * The reply is written to the job's own buffer and goes to the caller's
 * only while the caller still waits. */
struct inline_call {
    struct process *p; /* RUNNING, the job's until it releases it */
    bool held;         /* and held for it (a plain thread's call) */
    unsigned message;
    const void *args;
    srv_from from;
};

/* Gives back the server the job ran a handler of. */
static void release_inline(const struct inline_call *c)
{
    if (!c->held)
        srv__set_flag(c->p, PF_UNHELD, false);
    srv__release(c->p);
    if (c->held)
        srv__process_put(c->p);
}

struct borrowed_args {
    struct process *p;
    const void *theirs;
    void *ours;
    size_t size;
    void (*outer)(void *arg); /* a job this one runs on the stack of */
    void *outer_arg;
};

static void keep_args(void *arg)
{
    struct borrowed_args *b = arg;
    memcpy(b->ours, b->theirs, b->size);
    if (b->p->current != NULL && b->p->current->args == b->theirs)
        b->p->current->args = b->ours; /* for a crash report */
    if (b->outer != NULL)
        b->outer(b->outer_arg);
}

SRV_CALL_PATH
static void run_inline_call(void *arg)
{
    struct inline_call c = *(const struct inline_call *)arg;
    const srv_message_type *type = &c.p->module->messages[c.message];
    _Alignas(max_align_t) unsigned char args[INLINE_MAX];
    _Alignas(max_align_t) unsigned char reply[INLINE_MAX];
    void *handled = args;
    struct borrowed_args borrowed;
    /* NULL when the job runs on the caller's own stack (no stack to be
     * had): it cannot be detached then, nor need what it borrows kept. */
    struct fiber *me = srv__fiber_running();
    if (me != NULL && me->caller == NULL)
        me = NULL;
    if (type->copy_args != NULL) {
        if (!type->copy_args(args, c.args)) { /* out of memory: not handled */
            srv__slot_complete(c.from, SRV_ENOMEM, NULL, NULL, 0);
            release_inline(&c);
            return;
        }
    } else if (type->args_size > 0) {
        handled = (void *)c.args;
        if (me != NULL) {
            borrowed = (struct borrowed_args){c.p, c.args, args, type->args_size,
                                              me->on_detach, me->on_detach_arg};
            me->on_detach = keep_args;
            me->on_detach_arg = &borrowed;
        }
    }
    if (srv__handle_call(c.p, c.message, handled, c.from, reply))
        release_inline(&c);
    if (me != NULL && handled != args) {
        me->on_detach = borrowed.outer;
        me->on_detach_arg = borrowed.outer_arg;
    }
    if (type->free_args != NULL)
        type->free_args(args);
}

/* A call's outcome beyond its status (result may be NULL): the reason
 * and detail the wait gave (SRV_EEXIT), and what OTP's caller would exit
 * with (srv__call_failed). */
static srv_status call_failed(srv_status status, srv_atom reason, srv_pid server,
                              const srv_module *module, unsigned message,
                              const void *args, long timeout_ms, srv_call_result *result);

/* Inline: a call that succeeds, nearly every one, costs no call here. */
static inline srv_status call_outcome(srv_status status, srv_atom reason, srv_pid server,
                                      const srv_module *module, unsigned message,
                                      const void *args, long timeout_ms,
                                      srv_call_result *result)
{
    if (result == NULL || status == SRV_OK)
        return status;
    return call_failed(status, reason, server, module, message, args, timeout_ms, result);
}

static srv_status call_failed(srv_status status, srv_atom reason, srv_pid server,
                              const srv_module *module, unsigned message,
                              const void *args, long timeout_ms, srv_call_result *result)
{
    result->reason = reason;
    if (status == SRV_EEXIT)
        result->detail = srv__kept_detail(srv__caller(), KEPT_WAIT);
    srv__call_failed(result, status, srv_pid_format(server).s, module, message, args,
                     timeout_ms);
    return status;
}

SRV_CALL_PATH
srv_status srv_call(srv_pid server, const srv_module *module, unsigned message,
                    const void *args, void *reply, long timeout_ms,
                    srv_call_result *result)
{
    if (result != NULL)
        *result = (srv_call_result){0};
    if (!valid_message(module, message, SRV_MESSAGE_CALL) || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    if (srv__pid_same(server, self->pid))
        return SRV_EDEADLK;
    /* A handler on a scheduler thread finds the server without a hold
     * (srv__post_find): the server it runs is RUNNING and its own, which
     * no one else can end, and a queued call takes a hold below. */
    bool held;
    struct process *p = srv__post_find(server, &held);
    if (p == NULL) { /* gone, or another node's (node.c's to call) */
        srv_atom reason = NULL;
        srv_status status = server.node != 0 ? srv__node_call(server, module, message, args,
                                                              reply, timeout_ms, &reason)
                                             : SRV_ENOPROC;
        return call_outcome(status, reason, server, module, message, args, timeout_ms,
                            result);
    }
    if (p->module != module) {
        if (held)
            srv__process_put(p);
        return SRV_EINVAL;
    }
    const srv_message_type *type = &module->messages[message];
    /* No reply wanted: it goes to a buffer of ours and is freed unread.
     * The buffer outlives the wait, and a replier writes only while we
     * wait (the slot's WRITING), so it may live in this frame. */
    _Alignas(max_align_t) unsigned char scratch[SRV__SMALL_REPLY];
    void *unread = NULL;
    if (reply == NULL) {
        unread = type->reply_size <= sizeof scratch ? scratch : srv__malloc(type->reply_size);
        if (unread == NULL) {
            if (held)
                srv__process_put(p);
            return SRV_ENOMEM;
        }
        memset(unread, 0, type->reply_size);
        reply = unread;
    }
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    uint64_t tag = srv__slot_arm(srv__slot(self), reply);
    srv_from from = {self->pid, tag, type};

    if (type->args_size <= INLINE_MAX && type->reply_size <= INLINE_MAX &&
        srv__acquire_soon(p)) {
        struct inline_call job = {p, held, message, args, from};
        if (!held)
            srv__set_flag(p, PF_UNHELD, true);
        srv__inline_call(run_inline_call, &job, srv__slot(self), tag);
    } else {
        /* Queued, it is held: an exit waits for its holders and answers
         * what they queued, where a call pushed after its drain would
         * never be answered. */
        if (!held && (p = srv__process_get(server)) == NULL) {
            if (unread != NULL && unread != scratch)
                srv__free(unread);
            return call_outcome(SRV_ENOPROC, NULL, server, module, message, args,
                                timeout_ms, result);
        }
        struct envelope *e = srv__envelope_with_args(type, args);
        if (e == NULL) {
            srv__process_put(p);
            if (unread != NULL && unread != scratch)
                srv__free(unread);
            return SRV_ENOMEM; /* the slot's tag is never answered */
        }
        e->kind = ENV_CALL;
        e->message = message;
        e->from = from;
        srv__deliver(p, e);
        srv__process_put(p);
    }
    srv_atom reason = NULL;
    srv_status status = srv__slot_wait(srv__slot(self), deadline, &reason);
    if (unread != NULL) {
        if (status == SRV_OK && type->free_reply != NULL)
            type->free_reply(unread);
        if (unread != scratch)
            srv__free(unread);
    }
    return call_outcome(status, reason, server, module, message, args, timeout_ms, result);
}

/* Casts and info messages: queued, never run by the sender.  Inline in
 * each: a cast is a call nearer its mailbox. */
static inline __attribute__((always_inline)) srv_status post(srv_pid server, const srv_module *module,
                       unsigned message, const void *args,
                       srv_message_kind kind, enum envelope_kind envelope_kind)
{
    if (!valid_message(module, message, kind))
        return SRV_EINVAL;
    bool held;
    struct process *p = srv__post_find(server, &held);
    if (p == NULL) /* like Erlang: a message to a dead process is lost */
        return server.node != 0 ? srv__node_post(server, module, message, args, kind) : SRV_OK;
    srv_status status = SRV_OK;
    struct envelope *e = NULL;
    if (p->module != module)
        status = SRV_EINVAL;
    else if ((e = srv__envelope_with_args(&module->messages[message], args)) == NULL)
        status = SRV_ENOMEM;
    if (status != SRV_OK) {
        if (held)
            srv__process_put(p);
        return status;
    }
    e->kind = (uint16_t)envelope_kind;
    e->message = message;
    srv__post(p, e, held);
    return SRV_OK;
}

srv_status srv_cast(srv_pid server, const srv_module *module, unsigned message,
                    const void *args)
{
    return post(server, module, message, args, SRV_MESSAGE_CAST, ENV_CAST);
}

srv_status srv_send(srv_pid server, const srv_module *module, unsigned message,
                    const void *args)
{
    return post(server, module, message, args, SRV_MESSAGE_INFO, ENV_INFO);
}

srv_status srv_reply(srv_from from, const srv_module *module, unsigned message,
                     const void *reply)
{
    if (!valid_message(module, message, SRV_MESSAGE_CALL))
        return SRV_EINVAL;
    const srv_message_type *type = &module->messages[message];
    if (from.type != type) {
        /* A from of another call (or none) would be handed a reply of
         * the wrong layout: refused, nothing written, the reply freed as
         * its own type. */
        if (reply != NULL && type->free_reply != NULL)
            type->free_reply((void *)reply);
        return SRV_EINVAL;
    }
    if (reply == NULL) {
        srv__slot_complete(from, SRV_ENOMEM, NULL, NULL, 0);
        return SRV_ENOMEM;
    }
    if (!srv__slot_complete(from, SRV_OK, NULL, reply, type->reply_size) &&
        type->free_reply != NULL)
        type->free_reply((void *)reply);
    return SRV_OK;
}

/* ---------------------------------------------------------------------- */
/* Stop and sys: system messages, answered through the caller's slot       */

/* The caller (*self) and the server (*p, held) of a stop or a system
 * request: SRV_OK, or SRV_ENOMEM (no identity for the calling thread),
 * SRV_EDEADLK (the server is the caller), SRV_ENOPROC (no such server). */
static srv_status system_target(srv_pid server, struct process **self,
                                struct process **p)
{
    *self = srv__caller();
    if (*self == NULL)
        return SRV_ENOMEM;
    if (srv__pid_same(server, (*self)->pid))
        return SRV_EDEADLK;
    *p = srv__process_get(server);
    /* a server, or a spawned process, which may answer as a special one */
    if (*p == NULL || !srv__killable(*p)) {
        if (*p != NULL)
            srv__process_put(*p);
        return SRV_ENOPROC;
    }
    return SRV_OK;
}

/* Whether pid is alive and runs another module than module. */
static bool runs_another_module(srv_pid pid, const srv_module *module)
{
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return false;
    bool other = p->module != module;
    srv__process_put(p);
    return other;
}

/* What a system request's envelope carries: reason, fn (or debug_fn)
 * and arg, and n in its ref. */
struct system_args {
    srv_atom reason;
    void (*fn)(void *, void *);
    srv_sys_debug_fn debug_fn;
    void *arg;
    uint64_t n;
};

/* A system request; the answer comes to reply through the caller's slot. */
static srv_status system_request_with(srv_pid server, enum system_request request,
                                      const struct system_args *a, void *reply,
                                      long timeout_ms, srv_atom *exit_reason)
{
    if (!srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct process *self, *p;
    srv_status status = system_target(server, &self, &p);
    if (status != SRV_OK)
        return status;
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    struct envelope *e = srv__envelope_new(0);
    if (e == NULL) {
        srv__process_put(p);
        return SRV_ENOMEM;
    }
    e->arg = a->arg;
    if (request == SYS_LOG_TO_FILE && a->arg != NULL &&
        (e->arg = srv__strdup(a->arg)) == NULL) { /* the envelope's own copy */
        srv__envelope_free(NULL, e);
        srv__process_put(p);
        return SRV_ENOMEM;
    }
    uint64_t tag = srv__slot_arm(srv__slot(self), reply);
    e->kind = ENV_SYSTEM;
    e->system = (uint16_t)request;
    e->from = (srv_from){self->pid, tag, NULL};
    e->reason = a->reason;
    if (a->debug_fn != NULL)
        e->debug_fn = a->debug_fn;
    else
        e->fn = a->fn;
    if (request == SYS_TERMINATE) /* arg is the reason's detail: the envelope's own */
        e->detail = srv_detail_retain(a->arg);
    e->ref = a->n;
    srv__deliver(p, e);
    srv__process_put(p);
    return srv__slot_wait(srv__slot(self), deadline, exit_reason);
}

static srv_status system_request(srv_pid server, enum system_request request,
                                 srv_atom reason, void (*fn)(void *, void *),
                                 void *arg, void *reply, long timeout_ms,
                                 srv_atom *exit_reason)
{
    struct system_args a = {.reason = reason, .fn = fn, .arg = arg};
    return system_request_with(server, request, &a, reply, timeout_ms, exit_reason);
}

/* A stop its stopper runs at once: terminate, then the exit, answered
 * through the stopper's slot as a queued stop request would be. */
struct inline_stop {
    struct process *p; /* held by the stopper for the job */
    srv_atom reason;
    const srv_detail *detail; /* the stopper's: the job takes its own */
    srv_from from;
};

static void run_inline_stop(void *arg)
{
    struct inline_stop job = *(const struct inline_stop *)arg;
    /* Ours before anything blocks, while the stopper still holds its
     * own: the stopper may leave at its deadline while terminate runs.
     * srv__exit takes it and holds it to its end. */
    const srv_detail *detail = srv_detail_retain(job.detail);
    struct current_message current;
    srv__current_terminate(&current, job.reason, detail);
    current.has_from = true;
    current.from = job.from;
    job.p->current = &current;
    srv__exit(job.p, job.reason, detail, EXIT_TERMINATE | EXIT_HOLDS_REF);
}

/* A stop of another node's pid: its reason goes as an atom, so one with
 * a detail does not go (SRV_EINVAL). */
static srv_status remote_stop(srv_pid server, srv_atom reason, const srv_detail *detail,
                              long timeout_ms, srv_call_result *result)
{
    if (detail != NULL)
        return SRV_EINVAL;
    srv_atom why = NULL;
    srv_status status = srv__node_stop(server, reason, timeout_ms, &why);
    if (result != NULL)
        result->reason = why;
    return status;
}

/* srv_stop_detail once the reason is checked: the stopper holds detail. */
static srv_status stop(srv_pid server, srv_atom reason, const srv_detail *detail,
                       long timeout_ms, srv_call_result *result)
{
    struct process *self, *p;
    srv_status status = system_target(server, &self, &p);
    if (status == SRV_ENOPROC && server.node != 0) /* another node's: node.c's */
        return remote_stop(server, reason, detail, timeout_ms, result);
    if (status != SRV_OK)
        return status;
    srv_atom why = NULL;
    if (srv__try_acquire(p)) {
        if (p->module->terminate == NULL) {
            /* Idle, and no terminate: nothing of the exit can block, so
             * it runs here as a plain call, over when that returns. */
            struct current_message current;
            srv__current_terminate(&current, reason, detail);
            p->current = &current;
            srv_atom final = srv__exit(p, reason, srv_detail_retain(detail),
                                       EXIT_TERMINATE | EXIT_HOLDS_REF);
            if (final == reason)
                return SRV_OK;
            if (result != NULL)
                result->reason = final;
            return SRV_EEXIT;
        }
        /* Idle: terminate runs at once, as the server itself would run it
         * (inline.c); the stopper waits for it up to its deadline. */
        uint64_t deadline = srv__deadline_after_ms(timeout_ms);
        uint64_t tag = srv__slot_arm(srv__slot(self), NULL);
        struct inline_stop job = {p, reason, detail, {self->pid, tag, NULL}};
        srv__inline_call(run_inline_stop, &job, srv__slot(self), tag);
        status = srv__slot_wait(srv__slot(self), deadline, &why);
    } else {
        srv__process_put(p);
        status = system_request(server, SYS_TERMINATE, reason, NULL, (void *)detail, NULL,
                                timeout_ms, &why);
    }
    if (result != NULL) {
        result->reason = why;
        if (status == SRV_EEXIT)
            result->detail = srv__kept_detail(self, KEPT_WAIT);
    }
    return status;
}

srv_status srv_stop_detail(srv_pid server, srv_atom reason, const srv_detail *detail,
                           long timeout_ms, srv_call_result *result)
{
    if (result != NULL)
        *result = (srv_call_result){0};
    srv_status status = SRV_EINVAL;
    if (srv__timeout_valid(timeout_ms))
        status = stop(server, srv__atom(reason != NULL ? reason : srv_atom_normal), detail,
                      timeout_ms, result);
    srv_detail_release(detail);
    return status;
}

srv_status srv_stop(srv_pid server, srv_atom reason, long timeout_ms,
                    srv_call_result *result)
{
    return srv_stop_detail(server, reason, NULL, timeout_ms, result);
}

srv_status srv_sys_get_state(srv_pid server, srv_buf *out, long timeout_ms)
{
    if (out == NULL)
        return SRV_EINVAL;
    srv_buf text = {0};
    srv_status status = system_request(server, SYS_GET_STATE, NULL, NULL, NULL,
                                       &text, timeout_ms, NULL);
    if (status == SRV_OK) {
        srv_buf_free(out);
        *out = text;
    }
    return status;
}

srv_status srv_sys_replace_state(srv_pid server, void (*fn)(void *state, void *arg),
                                 void *arg, long timeout_ms)
{
    if (fn == NULL)
        return SRV_EINVAL;
    return system_request(server, SYS_REPLACE_STATE, NULL, fn, arg, NULL,
                          timeout_ms, NULL);
}

srv_status srv_sys_suspend(srv_pid server, long timeout_ms)
{
    return system_request(server, SYS_SUSPEND, NULL, NULL, NULL, NULL, timeout_ms,
                          NULL);
}

srv_status srv_sys_resume(srv_pid server, long timeout_ms)
{
    return system_request(server, SYS_RESUME, NULL, NULL, NULL, NULL, timeout_ms,
                          NULL);
}

/* A system request whose argument is a number (trace's flag, log's N). */
static srv_status system_request_n(srv_pid server, enum system_request request,
                                   uint64_t n, void *reply, long timeout_ms)
{
    struct system_args a = {.n = n};
    return system_request_with(server, request, &a, reply, timeout_ms, NULL);
}

srv_status srv_sys_get_status(srv_pid server, srv_sys_status *out, long timeout_ms)
{
    if (out == NULL)
        return SRV_EINVAL;
    srv_sys_status st;
    memset(&st, 0, sizeof st);
    srv_status status = system_request_n(server, SYS_GET_STATUS, 0, &st, timeout_ms);
    if (status == SRV_OK)
        *out = st;
    return status;
}

srv_status srv_sys_copy_state(srv_pid server, const srv_module *module, void *out,
                              long timeout_ms)
{
    if (module == NULL || out == NULL)
        return SRV_EINVAL;
    struct process *p = srv__process_get(server);
    if (p == NULL)
        return SRV_ENOPROC;
    const srv_module *running = p->module;
    srv__process_put(p);
    if (running == NULL) /* a plain thread's identity */
        return SRV_ENOPROC;
    if (running != module || module->copy_state == NULL)
        return SRV_EINVAL;
    return system_request_n(server, SYS_COPY_STATE, 0, out, timeout_ms);
}

srv_status srv_sys_trace(srv_pid server, bool on, long timeout_ms)
{
    return system_request_n(server, SYS_TRACE, on, NULL, timeout_ms);
}

srv_status srv_sys_log(srv_pid server, unsigned n, long timeout_ms)
{
    return system_request_n(server, SYS_LOG, n, NULL, timeout_ms);
}

srv_status srv_sys_log_get(srv_pid server, srv_buf *out, long timeout_ms)
{
    if (out == NULL)
        return SRV_EINVAL;
    srv_buf text = {0};
    srv_status status = system_request_n(server, SYS_LOG_GET, 0, &text, timeout_ms);
    if (status == SRV_OK) {
        srv_buf_free(out);
        *out = text;
    }
    return status;
}

srv_status srv_sys_log_print(srv_pid server, long timeout_ms)
{
    return system_request_n(server, SYS_LOG_PRINT, 0, NULL, timeout_ms);
}

srv_status srv_sys_no_debug(srv_pid server, long timeout_ms)
{
    return system_request_n(server, SYS_NO_DEBUG, 0, NULL, timeout_ms);
}

srv_status srv_sys_log_to_file(srv_pid server, const char *path, long timeout_ms)
{
    /* the server opens it, as sys's does; the envelope takes a copy */
    struct system_args a = {.arg = (void *)path};
    return system_request_with(server, SYS_LOG_TO_FILE, &a, NULL, timeout_ms, NULL);
}

srv_status srv_sys_install(srv_pid server, srv_sys_debug_fn fn, void *state,
                           long timeout_ms)
{
    if (fn == NULL)
        return SRV_EINVAL;
    struct system_args a = {.debug_fn = fn, .arg = state};
    return system_request_with(server, SYS_INSTALL, &a, NULL, timeout_ms, NULL);
}

srv_status srv_sys_remove(srv_pid server, srv_sys_debug_fn fn, long timeout_ms)
{
    if (fn == NULL)
        return SRV_EINVAL;
    struct system_args a = {.debug_fn = fn};
    return system_request_with(server, SYS_REMOVE, &a, NULL, timeout_ms, NULL);
}

srv_status srv_sys_statistics(srv_pid server, srv_statistics_op op,
                              srv_statistics *out, long timeout_ms)
{
    if (op < SRV_STATISTICS_ON || op > SRV_STATISTICS_GET ||
        (out == NULL && op == SRV_STATISTICS_GET))
        return SRV_EINVAL;
    srv_statistics ignored;
    /* The op travels by value: the envelope outlives a caller that gave up. */
    return system_request_n(server, SYS_STATISTICS, (uint64_t)op,
                            out != NULL ? out : &ignored, timeout_ms);
}

srv_status srv_sys_change_code(srv_pid server, const srv_module *module,
                               const char *old_vsn, void *extra, long timeout_ms,
                               srv_call_result *result)
{
    if (result != NULL)
        result->reason = NULL;
    /* a special process has no module: its code_change is its own */
    if (module != NULL && runs_another_module(server, module))
        return SRV_EINVAL;
    /* Interned: the envelope outlives a caller that gave up. */
    srv_atom vsn = old_vsn != NULL ? srv_atom_from(old_vsn) : NULL;
    if (old_vsn != NULL && vsn == NULL)
        return SRV_ENOMEM;
    return system_request(server, SYS_CHANGE_CODE, vsn, NULL, extra, NULL, timeout_ms,
                          result != NULL ? &result->reason : NULL);
}

/* erlang:send_after: the message travels with its timer (timer.c), and
 * so does its destination: a pid, or a name looked up when it fires (as
 * Erlang's send_after to an atom), interned so that it outlives the
 * caller's string. */
struct delayed {
    srv_ref target;
    const srv_module *module;
    struct envelope *envelope;
};

/* Delivers the message only to a live process of its module (a pid never
 * names another process than the one it was made for, so this holds from
 * the arming on; checked again all the same, since a message of another
 * module would run the wrong handler).  A name nobody holds then, or
 * whose holder runs another module, drops it, as Erlang does.  Another
 * node's pid gets it through the node, as srv_send sends it (the timer's
 * thread encodes it; the node thread writes it with the casts). */
static void delayed_fire(void *arg, bool fire)
{
    struct delayed *d = arg;
    srv_pid pid = d->target.pid;
    if (fire && d->target.kind != SRV_REF_PID && srv_resolve(d->target, &pid) != SRV_OK)
        fire = false;
    struct process *p = fire ? srv__process_get(pid) : NULL;
    if (p == NULL && fire && pid.node != 0) /* another node's: sent by the node */
        srv__node_post(pid, d->module, d->envelope->message, d->envelope->args,
                       SRV_MESSAGE_INFO);
    if (p != NULL && p->module == d->module) {
        srv__deliver(p, d->envelope);
        d->envelope = NULL;
    }
    if (p != NULL)
        srv__process_put(p);
    if (d->envelope != NULL)
        srv__envelope_free(d->module, d->envelope);
    srv__free(d);
}

/* send_after, and start_timer when with_ref: its message carries the
 * timer's ref (envelope->ref), written when the timer is armed. */
static srv_status send_later(long delay_ms, srv_ref target, const srv_module *module,
                             unsigned message, const void *args,
                             srv_timer_ref *ref_out, bool with_ref)
{
    if (module == NULL || message >= module->message_count ||
        module->messages[message].kind != SRV_MESSAGE_INFO || delay_ms < 0 ||
        (target.kind != SRV_REF_PID && target.name == NULL) ||
        (target.kind == SRV_REF_VIA && (target.via == NULL || target.via->whereis_name == NULL)))
        return SRV_EINVAL;
    /* As srv_send: a live target of another module is refused now. */
    if (target.kind == SRV_REF_PID && runs_another_module(target.pid, module))
        return SRV_EINVAL;
    /* erlang:start_timer refuses another node's pid (badarg): its ref
     * means something to a handler of this node only */
    if (with_ref && target.kind == SRV_REF_PID && target.pid.node != 0)
        return SRV_EINVAL;
    if (target.kind != SRV_REF_PID && (target.name = srv_atom_from(target.name)) == NULL)
        return SRV_ENOMEM;
    const srv_message_type *type = &module->messages[message];
    struct delayed *d = srv__malloc(sizeof *d);
    if (d == NULL)
        return SRV_ENOMEM;
    d->target = target;
    d->module = module;
    d->envelope = srv__envelope_with_args(type, args);
    if (d->envelope == NULL) {
        srv__free(d);
        return SRV_ENOMEM;
    }
    d->envelope->kind = ENV_INFO;
    d->envelope->message = message;
    uint64_t ref = srv__timer_start_user(srv__deadline_after_ms(delay_ms), delayed_fire, d,
                                         with_ref ? &d->envelope->ref : NULL);
    if (ref == 0) {
        srv__envelope_free(module, d->envelope);
        srv__free(d);
        return SRV_ENOMEM;
    }
    if (ref_out != NULL)
        *ref_out = ref;
    return SRV_OK;
}

srv_status srv_send_after(long delay_ms, srv_pid pid, const srv_module *module,
                          unsigned message, const void *args,
                          srv_timer_ref *ref_out)
{
    return send_later(delay_ms, srv_ref_pid(pid), module, message, args, ref_out, false);
}

srv_status srv_start_timer(long delay_ms, srv_pid pid, const srv_module *module,
                           unsigned message, const void *args,
                           srv_timer_ref *ref_out)
{
    return send_later(delay_ms, srv_ref_pid(pid), module, message, args, ref_out, true);
}

srv_status srv_send_after_to(long delay_ms, srv_ref server, const srv_module *module,
                             unsigned message, const void *args,
                             srv_timer_ref *ref_out)
{
    return send_later(delay_ms, server, module, message, args, ref_out, false);
}

srv_status srv_start_timer_to(long delay_ms, srv_ref server, const srv_module *module,
                              unsigned message, const void *args,
                              srv_timer_ref *ref_out)
{
    return send_later(delay_ms, server, module, message, args, ref_out, true);
}

srv_timer_ref srv_current_timer(void)
{
    struct process *p = srv__current_or_null();
    if (p == NULL || p->current == NULL || p->current->kind != ENV_INFO)
        return 0;
    return p->current->timer;
}
