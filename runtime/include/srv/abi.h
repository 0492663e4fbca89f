/*
 * srv/abi.h: the interface between libsrv and the code srvc generates.
 *
 * <srv.h> includes it; a program never needs to read it.  It holds what a
 * generated .srv.c hands the runtime (the module table, one message type
 * per handler, the dispatch function) and what its handlers return (an
 * action, built by the result constructors that the spec's ok(), reply(),
 * noreply() and stop() stand for).  Names with two underscores are the
 * runtime's own, for generated code only.
 */
#ifndef SRV_ABI_H
#define SRV_ABI_H

#ifndef SRV_H
#error "include <srv.h>, not <srv/abi.h>"
#endif

#include <limits.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the module table or a message layout changes: generated
 * code checks it at compile time and the runtime again at start. */
#define SRV_ABI_VERSION 6

/* ---------------------------------------------------------------------- */
/* What callbacks return                                                   */

typedef enum srv_action_kind {
    SRV_ACTION_NONE = 0, /* a zeroed result: reported as bad_return_value */
    SRV_ACTION_OK,       /* init: {ok, State} or {ok, State, Timeout} */
    SRV_ACTION_IGNORE,   /* init: ignore */
    SRV_ACTION_REPLY,    /* call: {reply, Reply, State[, Timeout]} */
    SRV_ACTION_NOREPLY,  /* {noreply, State[, Timeout]} */
    SRV_ACTION_STOP,     /* {stop, Reason, State} or init's {stop, Reason} */
    SRV_ACTION_STOP_REPLY, /* call: {stop, Reason, Reply, State} */
    SRV_ACTION_REPLY_ENOMEM, /* call: a reply that could not be copied for
                              * want of memory: the call returns SRV_ENOMEM */
    SRV_ACTION_ERROR     /* code_change: {error, Reason} */
} srv_action_kind;

/* A continue handler to run next, with its arguments: what the spec's
 * NAME(args...) inside ok_continue(), reply_continue() and
 * noreply_continue() builds (srv__continue).  message is the handler's
 * dispatch number; args, a copy the runtime owns (NULL when the handler
 * has no arguments, or when out of memory for them). */
typedef struct srv_continue {
    unsigned message;
    void *args;
} srv_continue;

/* The generic part of every callback's result.  timeout_ms is SRV_INFINITY
 * unless the callback asked for a timeout.  The last element of OTP's
 * tuple is one of a timeout, hibernate and {continue, C}: so is it here. */
typedef struct srv_action {
    srv_action_kind kind;
    bool hibernate;      /* ..., hibernate} */
    bool has_next;       /* ..., {continue, C}}: next is C */
    long timeout_ms;
    srv_atom reason;
    srv_continue next;        /* has_next */
    /* SRV_ACTION_STOP, SRV_ACTION_STOP_REPLY: the reason's detail, a
     * reference the runtime takes, or NULL.  Not in a union with next: a
     * struct with a union in it is kept in memory, not in registers, and
     * its copy stalls on the stores it cannot forward (some 15 ns a call). */
    const srv_detail *detail;
} srv_action;

/* init's result: a distinct type so that init cannot return noreply. */
typedef struct srv_init_result {
    srv_action action;
} srv_init_result;

/* cast's and info's result: a distinct type so that they cannot reply.  A
 * call's result type is generated per call and carries the typed reply. */
typedef struct srv_noreply_result {
    srv_action action;
} srv_noreply_result;

/* The result constructors: init's (srv_init_FORM), then cast's and info's
 * (srv_result_FORM; a call's are generated, NAME_CALL_result_FORM).  Each
 * builds the tuple its OTP callback would return; the spec's result forms
 * (ok(), noreply(), stop(reason), ...) paste FORM onto the prefix. */
static inline srv_action srv__action(srv_action_kind kind, long timeout_ms,
                                     srv_atom reason) {
    srv_action a;
    a.kind = kind;
    a.timeout_ms = timeout_ms;
    a.reason = reason;
    a.hibernate = false;
    a.has_next = false;
    a.next.message = 0;
    a.next.args = NULL;
    a.detail = NULL;
    return a;
}

/* An action of kind that goes on with next (..., {continue, C}}). */
static inline srv_action srv__action_continue(srv_action_kind kind, srv_continue next) {
    srv_action a = srv__action(kind, SRV_INFINITY, 0);
    a.has_next = true;
    a.next = next;
    return a;
}

/* A stop (kind SRV_ACTION_STOP or SRV_ACTION_STOP_REPLY) with reason
 * {reason, Detail}: {stop, {shutdown, going_home}, State}.  The action
 * takes the reference detail (NULL: the plain atom). */
static inline srv_action srv__action_stop_detail(srv_action_kind kind, srv_atom reason,
                                                 const srv_detail *detail)
{
    srv_action a = srv__action(kind, SRV_INFINITY, reason);
    a.detail = detail;
    return a;
}

/* An action of kind after which the server hibernates (..., hibernate}). */
static inline srv_action srv__action_hibernate(srv_action_kind kind) {
    srv_action a = srv__action(kind, SRV_INFINITY, 0);
    a.hibernate = true;
    return a;
}

static inline srv_init_result srv_init_ok(void) {
    srv_init_result r = {srv__action(SRV_ACTION_OK, SRV_INFINITY, 0)};
    return r;
}
static inline srv_init_result srv_init_ok_timeout(long timeout_ms) {
    srv_init_result r = {srv__action(SRV_ACTION_OK, timeout_ms, 0)};
    return r;
}
static inline srv_init_result srv_init_ok_continue(srv_continue next) {
    srv_init_result r = {srv__action_continue(SRV_ACTION_OK, next)};
    return r;
}
static inline srv_init_result srv_init_ok_hibernate(void) {
    srv_init_result r = {srv__action_hibernate(SRV_ACTION_OK)};
    return r;
}
static inline srv_init_result srv_init_ignore(void) {
    srv_init_result r = {srv__action(SRV_ACTION_IGNORE, SRV_INFINITY, 0)};
    return r;
}
static inline srv_init_result srv_init_stop(srv_atom reason) {
    srv_init_result r = {srv__action(SRV_ACTION_STOP, SRV_INFINITY, reason)};
    return r;
}
/* {stop, {Reason, Detail}}: the spec's stop_detail(reason, "text"), the
 * detail made of its text (out of memory for it: the plain reason). */
static inline srv_init_result srv_init_stop_detail(srv_atom reason, const char *detail_text) {
    srv_init_result r = {
        srv__action_stop_detail(SRV_ACTION_STOP, reason, srv_detail_new(detail_text))};
    return r;
}
static inline srv_noreply_result srv_result_noreply(void) {
    srv_noreply_result r = {srv__action(SRV_ACTION_NOREPLY, SRV_INFINITY, 0)};
    return r;
}
static inline srv_noreply_result srv_result_noreply_timeout(long timeout_ms) {
    srv_noreply_result r = {srv__action(SRV_ACTION_NOREPLY, timeout_ms, 0)};
    return r;
}
static inline srv_noreply_result srv_result_noreply_continue(srv_continue next) {
    srv_noreply_result r = {srv__action_continue(SRV_ACTION_NOREPLY, next)};
    return r;
}
static inline srv_noreply_result srv_result_noreply_hibernate(void) {
    srv_noreply_result r = {srv__action_hibernate(SRV_ACTION_NOREPLY)};
    return r;
}
static inline srv_noreply_result srv_result_stop(srv_atom reason) {
    srv_noreply_result r = {srv__action(SRV_ACTION_STOP, SRV_INFINITY, reason)};
    return r;
}
/* {stop, {Reason, Detail}, State}: as srv_init_stop_detail. */
static inline srv_noreply_result srv_result_stop_detail(srv_atom reason,
                                                        const char *detail_text) {
    srv_noreply_result r = {
        srv__action_stop_detail(SRV_ACTION_STOP, reason, srv_detail_new(detail_text))};
    return r;
}

/* code_change's result: ok() (its changes to the state stand) or
 * error(reason) (srv_sys_change_code returns SRV_ECHANGE with reason). */
typedef struct srv_code_change_result {
    srv_action action;
} srv_code_change_result;

static inline srv_code_change_result srv_code_change_ok(void) {
    srv_code_change_result r = {srv__action(SRV_ACTION_OK, SRV_INFINITY, 0)};
    return r;
}
static inline srv_code_change_result srv_code_change_error(srv_atom reason) {
    srv_code_change_result r = {srv__action(SRV_ACTION_ERROR, SRV_INFINITY, reason)};
    return r;
}

/* ---------------------------------------------------------------------- */
/* The module table: what srvc generates for each server                   */

typedef enum srv_message_kind {
    SRV_MESSAGE_CALL = 1,
    SRV_MESSAGE_CAST,
    SRV_MESSAGE_INFO,
    SRV_MESSAGE_CONTINUE  /* a continue handler: run by the server itself,
                           * never sent */
} srv_message_kind;

/* srv_message_type.flags: a queued call whose caller has given up (timed
 * out, or died) is skipped, not run.  Without it, as in OTP, the call runs
 * and its reply is dropped.  The spec's [[skip_abandoned]]. */
#define SRV_MESSAGE_SKIP_ABANDONED 1u

/* One message a server accepts.  Its arguments travel as a struct of
 * args_size bytes: a caller that runs the handler itself passes its own
 * (borrowed) struct; a message that waits in a mailbox is a deep copy made by
 * copy_args and released by free_args after the handler ran.  copy_args
 * returns false when out of memory, having freed what it copied (pointers
 * whose ownership moves with the message stay the sender's): the send then
 * returns SRV_ENOMEM. */
typedef struct srv_message_type {
    const char *name;          /* "query" */
    srv_message_kind kind;
    size_t args_size;
    size_t reply_size;         /* calls only: the generated reply struct */
    unsigned flags;            /* SRV_MESSAGE_* */
    bool (*copy_args)(void *dst, const void *src);
    void (*free_args)(void *args);
    void (*free_reply)(void *reply); /* a reply nobody waits for any more */
    void (*format_args)(srv_buf *out, const void *args); /* "{query,'0x01f'}" */
    /* calls only: the reply struct as Erlang prints it, for sys's trace
     * and log ("1", "{1,2}", "ok" for none); NULL: "..." */
    void (*format_reply)(srv_buf *out, const void *reply);
} srv_message_type;

/* Dispatch one message to its handler, which writes what it returned to
 * *action; for a call (from: its caller; a cast's is none), its typed
 * reply (if it replied) to reply, reply_size bytes.  The action is written where the runtime reads it,
 * not returned: a struct returned is copied, and a copy that follows the
 * handler's stores at once stalls on them (store forwarding). */
typedef void (*srv_dispatch_fn)(void *state, unsigned message, void *args,
                                const srv_from *from, void *reply, srv_action *action);

/* ---------------------------------------------------------------------- */
/* Erlang terms: what a generated codec reads and writes (term.c)          */

/* A reader over one term in the external term format, and a writer of
 * one; both are the node's (runtime/node.c), which hands them to a
 * module's codec.  Each srv_term_get_* reads one value of a spec type
 * where the reader stands and moves past it, or returns false and stays
 * put: a term that is not of the type (a list for a binary, 300 for an
 * u8, an atom other than tag).  A string or bytes it returns is the
 * caller's to free (free()); an empty binary is NULL.  Each
 * srv_term_put_* appends one value; the node checks the writer once, at
 * the end, for want of memory. */
typedef struct srv_term_in srv_term_in;
typedef struct srv_term_out srv_term_out;

SRV_API int srv_term_mark(const srv_term_in *in);        /* where it stands */
SRV_API void srv_term_reset(srv_term_in *in, int mark);  /* back there */
SRV_API bool srv_term_done(const srv_term_in *in);       /* the whole term read */
SRV_API bool srv_term_get_tuple(srv_term_in *in, int arity); /* {...} of arity */
SRV_API bool srv_term_get_tag(srv_term_in *in, const char *atom); /* that atom */
SRV_API bool srv_term_get_int(srv_term_in *in, int64_t min, int64_t max, int64_t *v);
SRV_API bool srv_term_get_uint(srv_term_in *in, uint64_t max, uint64_t *v);
SRV_API bool srv_term_get_double(srv_term_in *in, double *v); /* a float */
SRV_API bool srv_term_get_bool(srv_term_in *in, bool *v);     /* true, false */
SRV_API bool srv_term_get_atom(srv_term_in *in, srv_atom *v);
SRV_API bool srv_term_get_string(srv_term_in *in, char **v); /* a binary, no NUL */
SRV_API bool srv_term_get_bytes(srv_term_in *in, srv_bytes *v); /* a binary */
SRV_API bool srv_term_get_pid(srv_term_in *in, srv_pid *v);

SRV_API void srv_term_put_tuple(srv_term_out *out, int arity); /* then arity terms */
SRV_API void srv_term_put_atom(srv_term_out *out, srv_atom atom); /* NULL: undefined */
SRV_API void srv_term_put_int(srv_term_out *out, int64_t v);
SRV_API void srv_term_put_uint(srv_term_out *out, uint64_t v);
SRV_API void srv_term_put_double(srv_term_out *out, double v);
SRV_API void srv_term_put_bool(srv_term_out *out, bool v);
SRV_API void srv_term_put_string(srv_term_out *out, const char *s); /* a binary */
SRV_API void srv_term_put_bytes(srv_term_out *out, srv_bytes v);
SRV_API void srv_term_put_pid(srv_term_out *out, srv_pid pid);

/* Each integer type of the spec, read within its range. */
#define SRV__TERM_GET_SIGNED(name, type, min, max)                            \
    static inline bool srv_term_get_##name(srv_term_in *in, type *v) {        \
        int64_t x;                                                            \
        if (!srv_term_get_int(in, min, max, &x))                              \
            return false;                                                     \
        *v = (type)x;                                                         \
        return true;                                                          \
    }
#define SRV__TERM_GET_UNSIGNED(name, type, max)                               \
    static inline bool srv_term_get_##name(srv_term_in *in, type *v) {        \
        uint64_t x;                                                           \
        if (!srv_term_get_uint(in, max, &x))                                  \
            return false;                                                     \
        *v = (type)x;                                                         \
        return true;                                                          \
    }
SRV__TERM_GET_SIGNED(i8, int8_t, INT8_MIN, INT8_MAX)
SRV__TERM_GET_SIGNED(i16, int16_t, INT16_MIN, INT16_MAX)
SRV__TERM_GET_SIGNED(i32, int32_t, INT32_MIN, INT32_MAX)
SRV__TERM_GET_SIGNED(i64, int64_t, INT64_MIN, INT64_MAX)
SRV__TERM_GET_SIGNED(c_int, int, INT_MIN, INT_MAX)
SRV__TERM_GET_UNSIGNED(u8, uint8_t, UINT8_MAX)
SRV__TERM_GET_UNSIGNED(u16, uint16_t, UINT16_MAX)
SRV__TERM_GET_UNSIGNED(u32, uint32_t, UINT32_MAX)
SRV__TERM_GET_UNSIGNED(u64, uint64_t, UINT64_MAX)
static inline bool srv_term_get_float(srv_term_in *in, float *v) {
    double x;
    if (!srv_term_get_double(in, &x))
        return false;
    *v = (float)x;
    return true;
}

/* A module's term mapping (docs/language.md), generated from its spec:
 * how an Erlang node's requests, casts and messages read as the module's
 * messages, and how a call's reply is written. */
typedef struct srv_codec {
    /* The message of kind (SRV_MESSAGE_CALL for a gen_server:call's
     * request, _CAST, _INFO for a plain message) that the whole term at in
     * is, its arguments written to args (zeroed, as big as the largest
     * message's): its number, or -1 when no message of kind matches (args
     * then owns nothing). */
    int (*decode)(srv_term_in *in, srv_message_kind kind, void *args);
    /* Writes call number message's reply struct as its term. */
    void (*encode_reply)(srv_term_out *out, unsigned message, const void *reply);
    /* The client's side, for srv_node_call, srv_node_cast and calls,
     * casts and sends to another node's pid: writes the arguments of
     * message number message as its term (a call's or cast's request, an
     * info message whole; false: that message has no term), and reads call number message's reply
     * into its reply struct (zeroed; false, owning nothing, when the term
     * is no such reply). */
    bool (*encode_request)(srv_term_out *out, unsigned message, const void *args);
    bool (*decode_reply)(srv_term_in *in, unsigned message, void *reply);
    size_t args_max; /* the largest args_size of the module's messages */
} srv_codec;

/* The module table: one per server type, static and constant. */
struct srv_module {
    unsigned abi_version; /* SRV_ABI_VERSION */
    const char *name;     /* "worker" */
    size_t state_size;
    srv_action (*init)(void *state, const void *init_args);
    srv_dispatch_fn dispatch;
    /* info timeout: the callback timeout expired (NULL: a warning is logged,
     * as OTP logs a message no handle_info takes, and the server goes on) */
    srv_action (*handle_timeout)(void *state);
    /* info EXIT from a linked process, when trapping exits (NULL: ignored) */
    srv_action (*handle_exit)(void *state, srv_pid from, srv_atom reason);
    /* info DOWN from a monitor (NULL: ignored) */
    srv_action (*handle_down)(void *state, srv_monitor_ref ref, srv_pid pid,
                              srv_atom reason);
    void (*terminate)(void *state, srv_atom reason); /* may be NULL */
    /* prints the state field by field for crash reports and get_status */
    void (*format_state)(srv_buf *out, const void *state);
    /* format_status/1 (NULL: none): may rewrite the printed parts of a
     * crash report or get_status (srv_status_map) */
    void (*format_status)(srv_status_map *status, const void *state);
    /* frees what the state owns (strings, bytes, ...) after terminate, or
     * when the process ends without it (kill), before the memory goes:
     * terminate must leave them be */
    void (*free_state)(void *state);
    /* a deep copy of the state for NAME_get_state (moved pointers NULL in
     * it); false when out of memory, the copy then owning nothing */
    bool (*copy_state)(void *dst, const void *state);
    const srv_message_type *messages; /* indexed by the dispatch number */
    unsigned message_count;
    /* init's arguments, the struct NAME_init_args of the generated header
     * (0: init takes none), for a supervisor, which keeps a copy of a
     * child's start arguments to start it again: copy_init_args makes a
     * deep copy (NULL: memcpy is one; false when out of memory, the copy
     * then owning nothing), free_init_args frees what a copy owns (NULL:
     * nothing). */
    size_t init_args_size;
    bool (*copy_init_args)(void *dst, const void *src);
    void (*free_init_args)(void *args);
    /* its Erlang terms, for the node (NULL: none of its messages map) */
    const srv_codec *codec;
    /* code_change, run by srv_sys_change_code on a suspended server (NULL:
     * the change fails with undef, as a module without one does in OTP) */
    srv_action (*code_change)(void *state, const char *old_vsn, void *extra);
};

/* sys:get_state for generated NAME_get_state: a copy of server's state
 * (module's: SRV_EINVAL for another's) into out, state_size bytes, made
 * by module->copy_state inside the server.  SRV_ENOMEM when the copy
 * found no memory. */
SRV_API srv_status srv_sys_copy_state(srv_pid server, const srv_module *module,
                                      void *out, long timeout_ms);

/* Memory helpers for generated copy-in code: NULL when out of memory (and
 * for a NULL or empty input), which generated copy_args turns into
 * SRV_ENOMEM for the sender. */
SRV_API char *srv_strdup(const char *s);
SRV_API void *srv_memdup(const void *p, size_t n);

/* {continue, C}: C is the module's message number `message` (a
 * SRV_MESSAGE_CONTINUE) with args, which are copied (copy_args) for the
 * runtime to free once C has run.  Out of memory for the copy, args is
 * NULL: the server then ends with out_of_memory when it would run C. */
SRV_API srv_continue srv__continue(const srv_module *module, unsigned message,
                                   const void *args);

#ifdef __cplusplus
}
#endif

#endif /* SRV_ABI_H */
