/*
 * supervisor.c: OTP's supervisor (supervisor.erl), as a server of the
 * runtime's own: a module table written here, whose state keeps the
 * children's specs and pids.
 *
 * It traps exits and starts its children linked to it, in order, in its
 * init; an EXIT from a child is its info message, restarted by the
 * strategy after the restart is counted (add_restart: the restarts within
 * the period, in whole seconds as erlang:monotonic_time(1) counts them);
 * its terminate shuts the children down in reverse order (a
 * simple_one_for_one supervisor's all at once).  A child's shutdown waits
 * on an exit watch (link.c), the C side of OTP's monitor and receive of
 * the DOWN with its after clause.  The calls (start_child, which_children,
 * ...) are calls of this module.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "link.h"
#include "logger.h"
#include "os.h"
#include "process.h"
#include "thread.h"

/* One child of a static supervisor, or the template of a
 * simple_one_for_one one's.  Its id, name and args are the supervisor's
 * own copies. */
struct child {
    char *id;
    const srv_module *module;
    const srv_sup_module *sup;
    void *args;               /* NULL: none */
    char *name;
    srv_child_restart restart;
    long shutdown_ms;
    srv_pid pid;              /* SRV_PID_NONE: not running */
    bool restarting;          /* a restart failed: tried again */
};

/* A simple_one_for_one child: its pid (the old one while restarting) and
 * its full init args (NULL for a temporary child, which is never
 * restarted, as OTP keeps none). */
struct dyn_entry {
    srv_pid pid;
    void *args;
    bool used, restarting;
};

/* Open addressing by pid, linear probing, deletion by backward shift. */
struct dyn_table {
    struct dyn_entry *slots;
    size_t cap, count, restarting;
};

struct sup_state {
    const srv_sup_module *sup;
    void *args;              /* the supervisor's own copy of its args */
    srv_sup_flags flags;
    struct child *children;  /* in start order; the template when simple */
    size_t count, cap;
    struct dyn_table dyn;
    uint64_t *restarts;      /* a ring of restart times, in seconds */
    size_t restart_head, restart_count, restart_cap;
    bool try_again_sent;     /* a try_again cast is on its way */
    struct exit_watch *watch; /* a shutdown in progress, for free_state */
};

/* What srv_sup_start hands init. */
struct sup_start_args {
    const srv_sup_module *sup;
    const void *args;
};

/* ORDER SUP_MESSAGE */
enum {
    SUP_START_CHILD,
    SUP_START_CHILD_ARGS,
    SUP_TERMINATE_CHILD,
    SUP_TERMINATE_CHILD_PID,
    SUP_RESTART_CHILD,
    SUP_DELETE_CHILD,
    SUP_WHICH_CHILDREN,
    SUP_COUNT_CHILDREN,
    SUP_GET_CHILDSPEC,
    SUP_TRY_AGAIN,
    SUP_MESSAGE_COUNT
};

/* Every call's arguments.  The caller fills the first part with
 * pointers into its own memory; the message's copy_args (copy_spec,
 * copy_extra, copy_id) makes the request the supervisor reads: the
 * second part, a deep copy, with the caller's pointers cleared.  The copy
 * is made before the call is queued or run, so a caller that leaves its
 * wait (killed by an exit signal while its call waits in the mailbox)
 * leaves the supervisor nothing of its own to read; free_request frees
 * the copy after the supervisor handled the call, or when the call is
 * dropped unhandled (the mailbox of a supervisor that exited). */
struct sup_request {
    const srv_child_spec *spec; /* start_child */
    const void *extra;          /* start_child_args */
    const char *id;             /* the calls by id */
    const srv_sup_module *sup;  /* start_child_args: the supervisor's module,
                                 * as the caller knows it */
    srv_pid pid;                /* terminate_child by pid */
    struct child child;         /* start_child: spec's copy, the
                                 * supervisor's own once it keeps it */
    void *own_extra;            /* start_child_args: extra's copy, or NULL */
    char *own_id;               /* the calls by id: id's copy */
};

/* Every call's reply. */
struct sup_reply {
    srv_status status;
    srv_pid pid;
    srv_child_info *children; /* which_children: malloc'd, count of them */
    size_t count;
    srv_sup_counts counts;
    srv_child_spec spec;
};

static const srv_module sup_server;

/* ---------------------------------------------------------------------- */
/* Reasons                                                                 */

/* A reason with detail, as Erlang prints the term: an atom of that text
 * ("{shutdown,{failed_to_start_child,db,no_way}}"). */
static srv_atom reason_term(const char *fmt, ...) SRV_PRINTF(1, 2);
static srv_atom reason_term(const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return srv__atom(text);
}

/* shutdown, or {shutdown, _}: OTP's exits that are no failure. */
static bool is_shutdown(srv_atom reason)
{
    return reason == srv_atom_shutdown || srv__atom_is_shutdown_detail(reason);
}

/* ---------------------------------------------------------------------- */
/* Reports: OTP's supervisor report and progress report                     */

static void put_reason(srv_buf *out, srv_atom reason, const srv_detail *detail)
{
    if (detail != NULL)
        srv_buf_put_reason(out, reason, detail); /* {shutdown,going_home} */
    else if (reason != NULL && reason[0] == '{')
        srv_buf_printf(out, "%s", reason); /* a term's text */
    else
        srv_buf_put_atom(out, reason);
}

/* {<0.93.0>,bank_sup}, or its registered name */
static void put_sup_name(srv_buf *out, const struct sup_state *s)
{
    struct process *self = srv__current();
    srv_atom name = srv__name(self);
    if (name != NULL) {
        srv_buf_put_atom(out, name);
        return;
    }
    srv_buf_printf(out, "{%s,", srv_pid_format(self->pid).s);
    srv_buf_put_atom(out, s->sup->name);
    srv_buf_printf(out, "}");
}

static const char *module_name(const struct child *c)
{
    return c->sup != NULL ? c->sup->name : c->module->name;
}

/* extract_child: the offender, one element a line under its label. */
static void put_child(srv_buf *out, const struct child *c, srv_pid pid, size_t nb_children,
                      const char *indent)
{
    if (nb_children > 0)
        srv_buf_printf(out, "[{nb_children,%zu},\n%s", nb_children, indent);
    else
        srv_buf_printf(out, "[{pid,%s},\n%s", srv_pid_is_none(pid) ? "undefined"
                                                                    : srv_pid_format(pid).s,
                       indent);
    srv_buf_printf(out, "{id,");
    srv_buf_put_atom(out, c->id);
    srv_buf_printf(out, "},\n%s{mfargs,{", indent);
    srv_buf_put_atom(out, module_name(c));
    static const char *const restarts[] = {"permanent", "transient", "temporary"};
    srv_buf_printf(out, ",start_link,...}},\n%s{restart_type,%s},\n%s{significant,false},\n%s",
                   indent, restarts[c->restart], indent, indent);
    if (c->shutdown_ms == SRV_BRUTAL_KILL)
        srv_buf_printf(out, "{shutdown,brutal_kill},\n");
    else if (c->shutdown_ms == SRV_INFINITY)
        srv_buf_printf(out, "{shutdown,infinity},\n");
    else
        srv_buf_printf(out, "{shutdown,%ld},\n", c->shutdown_ms);
    srv_buf_printf(out, "%s{child_type,%s}]\n", indent, c->sup != NULL ? "supervisor" : "worker");
}

/* ?report_error: errorContext start_error, child_terminated,
 * shutdown_error or shutdown (reached_max_restart_intensity). */
static void report_error(const struct sup_state *s, const char *context, srv_atom reason,
                         const srv_detail *detail, const struct child *c, srv_pid pid,
                         size_t nb_children)
{
    if (!srv__log_wants(SRV_LOG_ERROR))
        return;
    srv_buf out = {0};
    srv_buf_printf(&out, "=SUPERVISOR REPORT==== srv %s ===\n    supervisor: ",
                   srv_pid_format(srv__current()->pid).s);
    put_sup_name(&out, s);
    srv_buf_printf(&out, "\n    errorContext: %s\n    reason: ", context);
    put_reason(&out, reason, detail);
    srv_buf_printf(&out, "\n    offender: ");
    put_child(&out, c, pid, nb_children, "               ");
    srv__log(SRV_LOG_ERROR, out.data);
    srv_buf_free(&out);
}

/* report_progress: a child started.  Info level, to a logger the user
 * set only: the default one, like OTP's (level notice), leaves it out. */
static void report_progress(const struct sup_state *s, const struct child *c, srv_pid pid)
{
    if (!srv__log_custom() || !srv__log_wants(SRV_LOG_INFO))
        return;
    srv_buf out = {0};
    srv_buf_printf(&out, "=PROGRESS REPORT==== srv %s ===\n    supervisor: ",
                   srv_pid_format(srv__current()->pid).s);
    put_sup_name(&out, s);
    srv_buf_printf(&out, "\n    started: ");
    put_child(&out, c, pid, 0, "              ");
    srv__log(SRV_LOG_INFO, out.data);
    srv_buf_free(&out);
}

/* ---------------------------------------------------------------------- */
/* Child specs: checked, copied, freed                                     */

/* A deep copy of the size bytes at src into a block of its own (copier
 * NULL: memcpy), or NULL when there is nothing to copy (src NULL, size
 * 0); false when out of memory, with nothing left behind. */
static bool copy_block(size_t size, bool (*copier)(void *, const void *), const void *src,
                       void **out)
{
    *out = NULL;
    if (size == 0 || src == NULL)
        return true;
    void *copy = srv__calloc(1, size);
    if (copy == NULL)
        return false;
    if (copier == NULL) {
        memcpy(copy, src, size);
    } else if (!copier(copy, src)) {
        srv__free(copy);
        return false;
    }
    *out = copy;
    return true;
}

/* Frees a block of copy_block's and what it owns (freer NULL: nothing). */
static void free_block(void (*freer)(void *), void *block)
{
    if (block == NULL)
        return;
    if (freer != NULL)
        freer(block);
    srv__free(block);
}

static size_t args_size(const struct child *c)
{
    return c->sup != NULL ? c->sup->args_size : c->module->init_args_size;
}

/* A deep copy of args for c (NULL args, or none taken: NULL); false when
 * out of memory. */
static bool copy_args(const struct child *c, const void *args, void **out)
{
    bool (*copier)(void *, const void *) =
        c->sup != NULL ? c->sup->copy_args : c->module->copy_init_args;
    return copy_block(args_size(c), copier, args, out);
}

static void free_args(const struct child *c, void *args)
{
    if (args != NULL) /* c may be a zeroed child, of no module */
        free_block(c->sup != NULL ? c->sup->free_args : c->module->free_init_args, args);
}

static void child_free(struct child *c)
{
    free_args(c, c->args);
    srv__free(c->id);
    srv__free(c->name);
    memset(c, 0, sizeof *c);
}

/* check_childspec: what OTP refuses, SRV_EINVAL here. */
static bool spec_valid(const srv_child_spec *spec)
{
    if (spec == NULL || spec->id == NULL || (spec->module == NULL) == (spec->sup == NULL))
        return false;
    if (spec->module != NULL && spec->module->abi_version != SRV_ABI_VERSION)
        return false;
    if (spec->sup != NULL && (spec->sup->abi_version != SRV_ABI_VERSION ||
                              spec->sup->init == NULL))
        return false;
    return spec->restart <= SRV_TEMPORARY &&
           (spec->shutdown_ms >= 0 || spec->shutdown_ms == SRV_INFINITY ||
            spec->shutdown_ms == SRV_BRUTAL_KILL);
}

/* The supervisor's own child from a spec: SRV_OK, SRV_ENOMEM. */
static srv_status child_from_spec(struct child *c, const srv_child_spec *spec)
{
    memset(c, 0, sizeof *c);
    c->module = spec->module;
    c->sup = spec->sup;
    c->restart = spec->restart;
    c->shutdown_ms = spec->shutdown_ms;
    c->id = srv__strdup(spec->id);
    c->name = spec->name != NULL ? srv__strdup(spec->name) : NULL;
    if (c->id == NULL || (spec->name != NULL && c->name == NULL) ||
        !copy_args(c, spec->args, &c->args)) {
        child_free(c);
        return SRV_ENOMEM;
    }
    return SRV_OK;
}

/* c's spec, a copy of its own for the caller (srv_sup_childspec_free):
 * SRV_OK, SRV_ENOMEM. */
static srv_status child_to_spec(const struct child *c, srv_child_spec *spec)
{
    struct child copy;
    srv_status status = child_from_spec(
        &copy, &(srv_child_spec){.id = c->id, .module = c->module, .sup = c->sup,
                                 .args = c->args, .name = c->name, .restart = c->restart,
                                 .shutdown_ms = c->shutdown_ms});
    if (status == SRV_OK)
        *spec = (srv_child_spec){.id = copy.id, .module = copy.module, .sup = copy.sup,
                                 .args = copy.args, .name = copy.name,
                                 .restart = copy.restart, .shutdown_ms = copy.shutdown_ms};
    return status;
}

static struct child *find_id(struct sup_state *s, const char *id)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->children[i].id, id) == 0)
            return &s->children[i];
    return NULL;
}

static struct child *find_pid(struct sup_state *s, srv_pid pid)
{
    for (size_t i = 0; i < s->count; i++)
        if (srv__pid_same(s->children[i].pid, pid))
            return &s->children[i];
    return NULL;
}

/* Forgets the child at i, keeping the start order of the rest. */
static void remove_child(struct sup_state *s, struct child *c)
{
    size_t i = (size_t)(c - s->children);
    child_free(c);
    memmove(&s->children[i], &s->children[i + 1], (s->count - i - 1) * sizeof *c);
    s->count--;
}

static bool is_simple(const struct sup_state *s)
{
    return s->flags.strategy == SRV_SIMPLE_ONE_FOR_ONE;
}

/* ---------------------------------------------------------------------- */
/* simple_one_for_one's children: a table by pid                            */

static struct dyn_entry *dyn_find(struct dyn_table *t, srv_pid pid)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = srv__pid_home(pid, t->cap);; i = (i + 1) & (t->cap - 1)) {
        if (!t->slots[i].used)
            return NULL;
        if (srv__pid_same(t->slots[i].pid, pid))
            return &t->slots[i];
    }
}

static bool dyn_grow(struct dyn_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct dyn_entry *slots = srv__calloc(cap, sizeof *slots);
    if (slots == NULL)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].used)
            continue;
        size_t j = srv__pid_home(t->slots[i].pid, cap);
        while (slots[j].used)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    srv__free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

/* Stores a child (its args owned by the table from now); false when out
 * of memory. */
static bool dyn_store(struct dyn_table *t, srv_pid pid, void *args, bool restarting)
{
    if ((t->count + 1) * 2 > t->cap && !dyn_grow(t))
        return false;
    size_t i = srv__pid_home(pid, t->cap);
    while (t->slots[i].used)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = (struct dyn_entry){pid, args, true, restarting};
    t->count++;
    t->restarting += restarting;
    return true;
}

/* Takes e out of the table (its args are the caller's now), shifting
 * back the entries of its run so probes still find them. */
static void dyn_erase(struct dyn_table *t, struct dyn_entry *e)
{
    size_t i = (size_t)(e - t->slots);
    t->count--;
    t->restarting -= e->restarting;
    t->slots[i].used = false;
    for (size_t j = (i + 1) & (t->cap - 1); t->slots[j].used; j = (j + 1) & (t->cap - 1)) {
        size_t mask = t->cap - 1, home = srv__pid_home(t->slots[j].pid, t->cap);
        /* j's entry moves to i when i lies on its probe path from home */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            t->slots[j].used = false;
            i = j;
        }
    }
}

static void dyn_free(struct dyn_table *t, const struct child *template)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used)
            free_args(template, t->slots[i].args);
    srv__free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------------- */
/* Starting a child                                                        */

/* do_start_child_i: starts c linked to us with args.  SRV_OK with *pid
 * (SRV_PID_NONE when its init returned ignore); otherwise the status
 * and *reason, OTP's error term. */
static srv_status start_child(const struct child *c, const void *args, srv_pid *pid,
                              srv_atom *reason)
{
    srv_start_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.name = c->name;
    srv_start_result result;
    srv_status status = c->sup != NULL
                            ? srv_sup_start(c->sup, args, SRV_START_LINK, &opts, &result)
                            : srv_start(c->module, c->module->init_args_size ? args : NULL,
                                        SRV_START_LINK, &opts, &result);
    *pid = SRV_PID_NONE;
    *reason = NULL;
    switch (status) {
    case SRV_OK:
        *pid = result.pid;
        return SRV_OK;
    case SRV_IGNORE:
        return SRV_OK;
    case SRV_EALREADY:
        *pid = result.pid;
        *reason = reason_term("{already_started,%s}", srv_pid_format(result.pid).s);
        return status;
    default:
        *reason = result.reason != NULL ? result.reason
                  : status == SRV_ENOMEM ? srv__atom_out_of_memory
                                         : srv__atom(srv_status_name(status));
        return status;
    }
}

/* do_start_child: a static child, with its progress report; *pid (may
 * be NULL) as start_child gives it. */
static srv_status start_static(struct sup_state *s, struct child *c, srv_atom *reason,
                               srv_pid *holder)
{
    srv_pid pid;
    srv_status status = start_child(c, c->args, &pid, reason);
    if (holder != NULL)
        *holder = pid;
    if (status == SRV_OK && !srv_pid_is_none(pid))
        report_progress(s, c, pid);
    if (status == SRV_OK) {
        c->pid = pid;
        c->restarting = false;
    }
    return status;
}

/* start_children from index `from` on, in order: SRV_OK, or the failure
 * of the child at *failed (reported, with the reason in *reason).  A
 * temporary child whose init ignored is forgotten, as OTP's. */
static srv_status start_children(struct sup_state *s, size_t from, size_t *failed,
                                 srv_atom *reason)
{
    for (size_t i = from; i < s->count;) {
        struct child *c = &s->children[i];
        srv_status status = start_static(s, c, reason, NULL);
        if (status != SRV_OK) {
            report_error(s, "start_error", *reason, NULL, c, SRV_PID_NONE, 0);
            *failed = i;
            return status;
        }
        if (srv_pid_is_none(c->pid) && c->restart == SRV_TEMPORARY) {
            remove_child(s, c);
            continue;
        }
        i++;
    }
    return SRV_OK;
}

/* ---------------------------------------------------------------------- */
/* Shutting children down                                                  */

/* Whether a child shut down as asked: OTP's shutdown/2 clauses. */
static bool shutdown_ok(const struct child *c, srv_atom reason, bool brutal)
{
    if (reason == (brutal ? srv_atom_killed : srv_atom_shutdown))
        return true;
    if (reason == srv_atom_noproc) /* ended before we asked: its EXIT tells */
        return true;
    return c->restart != SRV_PERMANENT &&
           (reason == srv_atom_normal || is_shutdown(reason));
}

/* The wait of a shutdown: up to shutdown_ms (brutal_kill and infinity:
 * for ever), then kill_rest(s, arg) and wait for good.  Keeps w in the
 * state so that free_state drops it if the supervisor is killed while it
 * waits. */
static void watch_shutdown(struct sup_state *s, struct exit_watch *w, long shutdown_ms,
                           void (*kill_rest)(struct sup_state *, void *), void *arg)
{
    s->watch = w;
    uint64_t deadline = shutdown_ms == SRV_BRUTAL_KILL ? UINT64_MAX
                                                       : srv__deadline_after_ms(shutdown_ms);
    if (srv__watch_wait(w, deadline) != SRV_OK) {
        kill_rest(s, arg);
        srv__watch_wait(w, UINT64_MAX);
    }
    s->watch = NULL;
}

static void kill_one(struct sup_state *s, void *pid)
{
    (void)s;
    srv_exit_signal(*(srv_pid *)pid, srv_atom_kill);
    srv__watch_kill(s->watch); /* one in its terminate too */
}

/* do_terminate: shuts c's process down and reports a shutdown that went
 * otherwise. */
static void terminate_child(struct sup_state *s, struct child *c)
{
    if (srv_pid_is_none(c->pid))
        return;
    srv_pid pid = c->pid;
    bool brutal = c->shutdown_ms == SRV_BRUTAL_KILL;
    struct exit_watch *w = srv__watch_new(1);
    srv_atom reason = srv__atom_out_of_memory;
    srv_unlink(pid); /* its EXIT would tell nothing new */
    if (w != NULL && srv__watch_add(w, 0, pid)) {
        srv_exit_signal(pid, brutal ? srv_atom_kill : srv_atom_shutdown);
        watch_shutdown(s, w, c->shutdown_ms, kill_one, &pid);
        reason = srv__watch_reason(w, 0);
    } else {
        srv_exit_signal(pid, srv_atom_kill); /* no memory to wait: OTP's last word */
    }
    srv__watch_done(w);
    if (!shutdown_ok(c, reason, brutal))
        report_error(s, "shutdown_error", reason, NULL, c, pid, 0);
    c->pid = SRV_PID_NONE;
}

/* terminate_children: the children from the end down to index `down_to`,
 * in reverse start order; temporary ones are forgotten. */
static void terminate_children(struct sup_state *s, size_t down_to)
{
    for (size_t i = s->count; i > down_to; i--) {
        struct child *c = &s->children[i - 1];
        terminate_child(s, c);
        c->restarting = false;
        if (c->restart == SRV_TEMPORARY)
            remove_child(s, c);
    }
}

/* terminate_dynamic_children: exit(shutdown) to every child at once, then
 * one deadline for all; those left are killed. */
static void kill_dynamic(struct sup_state *s, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < s->dyn.cap; i++)
        if (s->dyn.slots[i].used && !s->dyn.slots[i].restarting)
            srv_exit_signal(s->dyn.slots[i].pid, srv_atom_kill);
    if (s->watch != NULL)
        srv__watch_kill(s->watch); /* those in their terminate too */
}

/* After a dynamic shutdown: one report per reason that was no clean
 * shutdown, with how many children ended with it, as OTP's EStack. */
static void report_dynamic(struct sup_state *s, struct exit_watch *w, bool brutal)
{
    struct child *c = &s->children[0];
    size_t n = s->dyn.cap;
    srv_atom told[8];
    size_t n_told = 0;
    for (size_t i = 0; i < n; i++) {
        srv_atom reason = srv__watch_reason(w, i);
        if (reason == NULL || shutdown_ok(c, reason, brutal))
            continue;
        bool again = false;
        for (size_t k = 0; k < n_told; k++)
            again |= told[k] == reason;
        if (again)
            continue;
        if (n_told < sizeof told / sizeof told[0])
            told[n_told++] = reason;
        size_t same = 0;
        for (size_t j = i; j < n; j++)
            same += srv__watch_reason(w, j) == reason;
        report_error(s, "shutdown_error", reason, NULL, c, SRV_PID_NONE, same);
    }
}

static void terminate_dynamic(struct sup_state *s)
{
    struct child *c = &s->children[0];
    struct dyn_table *t = &s->dyn;
    bool brutal = c->shutdown_ms == SRV_BRUTAL_KILL;
    struct exit_watch *w = t->count > 0 ? srv__watch_new(t->cap) : NULL;
    if (w == NULL) { /* none, or no memory to wait: kill them all */
        kill_dynamic(s, NULL);
        return;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].used || t->slots[i].restarting)
            continue;
        srv_pid pid = t->slots[i].pid;
        srv_unlink(pid);
        if (srv__watch_add(w, i, pid))
            srv_exit_signal(pid, brutal ? srv_atom_kill : srv_atom_shutdown);
        else
            srv_exit_signal(pid, srv_atom_kill);
    }
    watch_shutdown(s, w, c->shutdown_ms, kill_dynamic, NULL);
    report_dynamic(s, w, brutal);
    srv__watch_done(w);
    dyn_free(t, c);
}

/* ---------------------------------------------------------------------- */
/* Restarts                                                                */

/* add_restart: counts a restart now, forgetting those older than the
 * period; false when that makes more than intensity (or no memory to
 * count it: the supervisor gives up, as it would past its limit). */
static bool add_restart(struct sup_state *s)
{
    uint64_t now = srv__now_ns() / 1000000000u;
    uint64_t period = s->flags.period_s > 0 ? s->flags.period_s : 1;
    while (s->restart_count > 0 && s->restarts[s->restart_head] + period < now) {
        s->restart_head = (s->restart_head + 1) % s->restart_cap;
        s->restart_count--;
    }
    if (s->restart_count == s->restart_cap) {
        size_t cap = s->restart_cap ? s->restart_cap * 2 : 4;
        uint64_t *ring = srv__malloc(cap * sizeof *ring);
        if (ring == NULL)
            return false;
        for (size_t i = 0; i < s->restart_count; i++)
            ring[i] = s->restarts[(s->restart_head + i) % s->restart_cap];
        srv__free(s->restarts);
        s->restarts = ring;
        s->restart_cap = cap;
        s->restart_head = 0;
    }
    s->restarts[(s->restart_head + s->restart_count) % s->restart_cap] = now;
    s->restart_count++;
    return s->restart_count <= s->flags.intensity;
}

/* try_again_restart: a restart that failed is tried again after the
 * messages already queued, as OTP's cast to itself. */
static void try_again(struct sup_state *s)
{
    if (s->try_again_sent)
        return;
    struct sup_request none;
    memset(&none, 0, sizeof none);
    s->try_again_sent = srv_cast(srv__current()->pid, &sup_server, SUP_TRY_AGAIN, &none) == SRV_OK;
}

/* restart_multiple_children: the children from index `from` on are shut
 * down (in reverse order) and started again (in order); one that fails
 * is left restarting, and tried again. */
static void restart_from(struct sup_state *s, size_t from)
{
    terminate_children(s, from);
    size_t failed;
    srv_atom reason;
    if (start_children(s, from, &failed, &reason) != SRV_OK) {
        s->children[failed].restarting = true;
        try_again(s);
    }
}

/* restart/2 by strategy; the restart has been counted. */
static void restart_static(struct sup_state *s, struct child *c)
{
    size_t i = (size_t)(c - s->children);
    c->pid = SRV_PID_NONE;
    switch (s->flags.strategy) {
    case SRV_ONE_FOR_ALL:
        restart_from(s, 0);
        return;
    case SRV_REST_FOR_ONE:
        restart_from(s, i);
        return;
    default: {
        srv_atom reason;
        if (start_static(s, c, &reason, NULL) != SRV_OK) {
            report_error(s, "start_error", reason, NULL, c, SRV_PID_NONE, 0);
            c->restarting = true;
            try_again(s);
        }
    }
    }
}

/* A simple_one_for_one child, restarted with the args it had: its entry
 * e is taken out, and stored again under the new pid (or, if the start
 * fails, the old one, restarting). */
static void restart_dynamic(struct sup_state *s, struct dyn_entry *e)
{
    struct dyn_entry old = *e;
    dyn_erase(&s->dyn, e);
    struct child *c = &s->children[0];
    srv_pid pid;
    srv_atom reason;
    srv_status status = start_child(c, old.args, &pid, &reason);
    if (status == SRV_OK && srv_pid_is_none(pid)) { /* ignore: forgotten */
        free_args(c, old.args);
        return;
    }
    bool stored = dyn_store(&s->dyn, status == SRV_OK ? pid : old.pid, old.args,
                            status != SRV_OK);
    if (!stored) {
        free_args(c, old.args);
        if (status == SRV_OK)
            srv_exit_signal(pid, srv_atom_kill); /* cannot keep it: OTP would crash */
        return;
    }
    if (status != SRV_OK) {
        report_error(s, "start_error", reason, NULL, c, SRV_PID_NONE, 0);
        try_again(s);
    }
}

/* del_child: a child that is not restarted: forgotten if temporary (and
 * any simple_one_for_one child), else kept, not running. */
static void forget_child(struct sup_state *s, struct child *c, struct dyn_entry *e)
{
    if (e != NULL) {
        free_args(c, e->args);
        dyn_erase(&s->dyn, e);
    } else if (c->restart == SRV_TEMPORARY) {
        remove_child(s, c);
    } else {
        c->pid = SRV_PID_NONE;
        c->restarting = false;
    }
}

/* restart/2: counts the restart, then restarts by the strategy.  False
 * when that exceeds the intensity: reported, and the supervisor shuts
 * down. */
static bool restart(struct sup_state *s, struct child *c, struct dyn_entry *e, srv_pid pid)
{
    if (!add_restart(s)) {
        report_error(s, "shutdown", srv__atom("reached_max_restart_intensity"), NULL, c, pid, 0);
        forget_child(s, c, e);
        return false;
    }
    if (e != NULL)
        restart_dynamic(s, e);
    else
        restart_static(s, c);
    return true;
}

/* do_restart: a child ended with reason.  False when the restart
 * intensity is exceeded: the supervisor then shuts down. */
static bool child_ended(struct sup_state *s, struct child *c, struct dyn_entry *e,
                        srv_pid pid, srv_atom reason)
{
    /* the EXIT's detail: {normal, X} is a failure, {shutdown, X} none */
    const srv_detail *detail = srv_reason_detail();
    bool quiet = srv_reason_is_quiet(reason, detail);
    if (c->restart == SRV_PERMANENT || !quiet)
        report_error(s, "child_terminated", reason, detail, c, pid, 0);
    if (c->restart == SRV_TEMPORARY || (c->restart == SRV_TRANSIENT && quiet)) {
        forget_child(s, c, e);
        return true;
    }
    return restart(s, c, e, pid);
}

/* ---------------------------------------------------------------------- */
/* The server's callbacks                                                  */

/* handle_info({'EXIT', Pid, Reason}): one of ours, or nothing to do. */
static srv_action sup_exit(void *state, srv_pid pid, srv_atom reason)
{
    struct sup_state *s = state;
    bool going_on = true;
    if (is_simple(s)) {
        struct dyn_entry *e = dyn_find(&s->dyn, pid);
        if (e != NULL && !e->restarting)
            going_on = child_ended(s, &s->children[0], e, pid, reason);
    } else {
        struct child *c = find_pid(s, pid);
        if (c != NULL)
            going_on = child_ended(s, c, NULL, pid, reason);
    }
    return going_on ? srv__action(SRV_ACTION_NOREPLY, SRV_INFINITY, 0)
                    : srv__action(SRV_ACTION_STOP, SRV_INFINITY, srv_atom_shutdown);
}

/* handle_cast({try_again_restart, _}): every child left restarting. */
static bool sup_try_again(struct sup_state *s)
{
    s->try_again_sent = false;
    if (is_simple(s)) {
        for (size_t i = 0; i < s->dyn.cap && s->dyn.restarting > 0; i++) {
            struct dyn_entry *e = &s->dyn.slots[i];
            if (e->used && e->restarting) {
                e->restarting = false;
                s->dyn.restarting--;
                return restart(s, &s->children[0], e, e->pid);
            }
        }
        return true;
    }
    for (size_t i = 0; i < s->count; i++)
        if (s->children[i].restarting)
            return restart(s, &s->children[i], NULL, SRV_PID_NONE);
    return true;
}

/* start_child with a spec (handle_start_child): c, the request's copy
 * of it (checked by srv_sup_start_child), is taken when the child is
 * kept, and left to the request's free otherwise. */
static void call_start_child(struct sup_state *s, struct child *c, struct sup_reply *r)
{
    if (is_simple(s)) {
        r->status = SRV_EINVAL;
        return;
    }
    struct child *old = find_id(s, c->id);
    if (old != NULL) {
        r->pid = old->pid;
        r->status = srv_pid_is_none(old->pid) ? SRV_EPRESENT : SRV_EALREADY;
        return;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        struct child *more = srv__realloc(s->children, cap * sizeof *more);
        if (more == NULL) {
            r->status = SRV_ENOMEM;
            return;
        }
        s->children = more;
        s->cap = cap;
    }
    srv_atom reason;
    r->status = start_static(s, c, &reason, &r->pid);
    if (r->status != SRV_OK || (srv_pid_is_none(c->pid) && c->restart == SRV_TEMPORARY))
        return;
    s->children[s->count++] = *c;
    memset(c, 0, sizeof *c); /* the supervisor's now */
}

/* start_child with extra args (simple_one_for_one), for the supervisor of
 * module sup (another's: SRV_EINVAL, as a call with another's module). */
static void call_start_dynamic(struct sup_state *s, const srv_sup_module *sup,
                               const void *extra, struct sup_reply *r)
{
    if (!is_simple(s) || sup != s->sup) {
        r->status = SRV_EINVAL;
        return;
    }
    struct child *c = &s->children[0];
    size_t size = args_size(c);
    void *full = size > 0 ? srv__calloc(1, size) : NULL;
    if (size > 0 && (full == NULL ||
                     (s->sup->combine_args != NULL
                          ? !s->sup->combine_args(full, c->args, extra)
                          : (c->args != NULL && (memcpy(full, c->args, size), false))))) {
        srv__free(full);
        r->status = SRV_ENOMEM;
        return;
    }
    /* the child's own copy, kept to restart it: none for a temporary one */
    void *kept = NULL;
    if (c->restart != SRV_TEMPORARY && !copy_args(c, full, &kept)) {
        srv__free(full);
        r->status = SRV_ENOMEM;
        return;
    }
    srv_atom reason;
    r->status = start_child(c, full, &r->pid, &reason);
    srv__free(full); /* combine_args' result is not freed: it may point into both */
    if (r->status == SRV_OK && !srv_pid_is_none(r->pid) &&
        !dyn_store(&s->dyn, r->pid, kept, false)) {
        srv_exit_signal(r->pid, srv_atom_kill);
        r->pid = SRV_PID_NONE;
        r->status = SRV_ENOMEM;
    } else if (r->status == SRV_OK && !srv_pid_is_none(r->pid)) {
        return;
    }
    free_args(c, kept);
}

static void call_terminate_pid(struct sup_state *s, srv_pid pid, struct sup_reply *r)
{
    struct dyn_entry *e = is_simple(s) ? dyn_find(&s->dyn, pid) : NULL;
    if (!is_simple(s)) {
        r->status = SRV_EINVAL;
    } else if (e == NULL) {
        /* OTP: ok for a dead pid, not_found for another's live one */
        r->status = srv_is_alive(pid) ? SRV_ENOCHILD : SRV_OK;
    } else {
        struct child one = s->children[0];
        one.pid = e->restarting ? SRV_PID_NONE : pid;
        free_args(&s->children[0], e->args);
        dyn_erase(&s->dyn, e);
        terminate_child(s, &one);
        r->status = SRV_OK;
    }
}

static void call_by_id(struct sup_state *s, unsigned message, const char *id,
                       struct sup_reply *r)
{
    struct child *c = id != NULL && !is_simple(s) ? find_id(s, id) : NULL;
    if (is_simple(s) && message != SUP_GET_CHILDSPEC) {
        r->status = SRV_EINVAL;
        return;
    }
    if (is_simple(s))
        c = &s->children[0];
    if (c == NULL) {
        r->status = SRV_ENOCHILD;
        return;
    }
    r->status = SRV_OK;
    switch (message) {
    case SUP_TERMINATE_CHILD:
        terminate_child(s, c);
        c->restarting = false;
        if (c->restart == SRV_TEMPORARY)
            remove_child(s, c);
        return;
    case SUP_RESTART_CHILD: {
        if (!srv_pid_is_none(c->pid) || c->restarting) {
            r->status = SRV_ERUNNING;
            return;
        }
        srv_atom reason;
        r->status = start_static(s, c, &reason, &r->pid);
        return;
    }
    case SUP_DELETE_CHILD:
        if (!srv_pid_is_none(c->pid) || c->restarting)
            r->status = SRV_ERUNNING;
        else
            remove_child(s, c);
        return;
    default: /* SUP_GET_CHILDSPEC */
        r->status = child_to_spec(c, &r->spec);
        return;
    }
}

static void call_which_children(struct sup_state *s, struct sup_reply *r)
{
    size_t n = is_simple(s) ? s->dyn.count : s->count;
    r->children = n > 0 ? srv__calloc(n, sizeof *r->children) : NULL;
    if (n > 0 && r->children == NULL) {
        r->status = SRV_ENOMEM;
        return;
    }
    r->count = n;
    r->status = SRV_OK;
    if (!is_simple(s)) {
        for (size_t i = 0; i < n; i++) {
            const struct child *c = &s->children[i];
            r->children[i] = (srv_child_info){c->id, c->pid, c->restarting, c->sup != NULL,
                                              module_name(c)};
        }
        return;
    }
    const struct child *c = &s->children[0];
    size_t k = 0;
    for (size_t i = 0; i < s->dyn.cap; i++) {
        const struct dyn_entry *e = &s->dyn.slots[i];
        if (e->used)
            r->children[k++] = (srv_child_info){NULL, e->restarting ? SRV_PID_NONE : e->pid,
                                                e->restarting, c->sup != NULL, module_name(c)};
    }
}

static void call_count_children(struct sup_state *s, struct sup_reply *r)
{
    srv_sup_counts *n = &r->counts;
    r->status = SRV_OK;
    if (is_simple(s)) {
        n->specs = 1;
        n->active = s->dyn.count - s->dyn.restarting;
        *(s->children[0].sup != NULL ? &n->supervisors : &n->workers) = s->dyn.count;
        return;
    }
    for (size_t i = 0; i < s->count; i++) {
        const struct child *c = &s->children[i];
        n->specs++;
        n->active += !srv_pid_is_none(c->pid) && srv_is_alive(c->pid);
        *(c->sup != NULL ? &n->supervisors : &n->workers) += 1;
    }
}

static void sup_dispatch(void *state, unsigned message, void *args, const srv_from *from,
                         void *reply, srv_action *action)
{
    (void)from;
    struct sup_state *s = state;
    struct sup_request *a = args;
    struct sup_reply *r = reply;
    if (message == SUP_TRY_AGAIN) {
        *action = sup_try_again(s)
                      ? srv__action(SRV_ACTION_NOREPLY, SRV_INFINITY, 0)
                      : srv__action(SRV_ACTION_STOP, SRV_INFINITY, srv_atom_shutdown);
        return;
    }
    memset(r, 0, sizeof *r);
    switch (message) {
    case SUP_START_CHILD:
        call_start_child(s, &a->child, r);
        break;
    case SUP_START_CHILD_ARGS:
        call_start_dynamic(s, a->sup, a->own_extra, r);
        break;
    case SUP_TERMINATE_CHILD_PID:
        call_terminate_pid(s, a->pid, r);
        break;
    case SUP_WHICH_CHILDREN:
        call_which_children(s, r);
        break;
    case SUP_COUNT_CHILDREN:
        call_count_children(s, r);
        break;
    default:
        call_by_id(s, message, a->own_id, r);
        break;
    }
    *action = srv__action(SRV_ACTION_REPLY, SRV_INFINITY, 0);
}

/* terminate: the children, in reverse start order, or all at once. */
static void sup_terminate(void *state, srv_atom reason)
{
    (void)reason;
    struct sup_state *s = state;
    if (is_simple(s))
        terminate_dynamic(s);
    else
        terminate_children(s, 0);
}

static void sup_free_state(void *state)
{
    struct sup_state *s = state;
    srv__watch_done(s->watch);
    if (s->count > 0 && is_simple(s))
        dyn_free(&s->dyn, &s->children[0]);
    for (size_t i = 0; i < s->count; i++)
        child_free(&s->children[i]);
    srv__free(s->children);
    srv__free(s->restarts);
    free_block(s->sup->free_args, s->args);
}

static void sup_format_state(srv_buf *out, const void *state)
{
    const struct sup_state *s = state;
    static const char *const strategies[] = {"one_for_one", "one_for_all", "rest_for_one",
                                             "simple_one_for_one"};
    srv_buf_printf(out, "{state,");
    srv_buf_put_atom(out, s->sup->name);
    srv_buf_printf(out, ",%s,%zu,%u,%u}", strategies[s->flags.strategy],
                   is_simple(s) ? s->dyn.count : s->count, s->flags.intensity,
                   s->flags.period_s);
}

/* init's check of flags and specs (check_flags, check_startspec): the
 * bad one's reason, or NULL. */
static srv_atom init_check(const srv_sup_module *sup, const srv_sup_init *out)
{
    if (out->flags.strategy > SRV_SIMPLE_ONE_FOR_ONE)
        return reason_term("{supervisor_data,{invalid_strategy,%d}}", (int)out->flags.strategy);
    if (out->count > sup->child_count)
        return reason_term("{start_spec,too_many_children}");
    if (out->flags.strategy == SRV_SIMPLE_ONE_FOR_ONE && out->count != 1)
        return reason_term("{bad_start_spec,%zu}", out->count);
    for (size_t i = 0; i < out->count; i++) {
        const srv_child_spec *c = &out->children[i];
        if (!spec_valid(c))
            return reason_term("{start_spec,{invalid_child_spec,%zu}}", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->children[j].id, c->id) == 0)
                return reason_term("{start_spec,{duplicate_child_name,%s}}", c->id);
    }
    return NULL;
}

/* The specs init gave, copied; SRV_ENOMEM. */
static srv_status init_children(struct sup_state *s, const srv_sup_init *out)
{
    s->cap = out->count > 0 ? out->count : 1;
    s->children = srv__calloc(s->cap, sizeof *s->children);
    if (s->children == NULL)
        return SRV_ENOMEM;
    for (; s->count < out->count; s->count++)
        if (child_from_spec(&s->children[s->count], &out->children[s->count]) != SRV_OK)
            return SRV_ENOMEM;
    return SRV_OK;
}

/* init/1: the module's init, then the children started in order.  A
 * failed start stops those already started, in reverse order. */
static srv_action sup_init(void *state, const void *init_args)
{
    const struct sup_start_args *a = init_args;
    struct sup_state *s = state;
    memset(s, 0, sizeof *s);
    s->sup = a->sup;
    srv_trap_exit(true);
    if (!copy_block(s->sup->args_size, s->sup->copy_args, a->args, &s->args))
        return srv_init_stop(srv__atom_out_of_memory).action;
    srv_sup_init out;
    memset(&out, 0, sizeof out);
    out.flags.intensity = 1;
    out.flags.period_s = 5;
    size_t room = s->sup->child_count > 0 ? s->sup->child_count : 1;
    out.children = srv__calloc(room, sizeof *out.children);
    if (out.children == NULL)
        return srv_init_stop(srv__atom_out_of_memory).action;
    s->sup->init(s->args, &out);
    if (out.ignore) {
        srv__free(out.children);
        return srv_init_ignore().action;
    }
    s->flags = out.flags;
    srv_atom bad = init_check(s->sup, &out);
    srv_status copied = bad == NULL ? init_children(s, &out) : SRV_OK;
    srv__free(out.children);
    if (bad != NULL)
        return srv_init_stop(bad).action;
    if (copied != SRV_OK)
        return srv_init_stop(srv__atom_out_of_memory).action;
    if (is_simple(s))
        return srv_init_ok().action;
    size_t failed;
    srv_atom reason;
    if (start_children(s, 0, &failed, &reason) != SRV_OK) {
        srv_atom why = reason_term("{shutdown,{failed_to_start_child,%s,%s}}",
                                   srv_atom_format(s->children[failed].id).s,
                                   reason[0] == '{' ? reason : srv_atom_format(reason).s);
        terminate_children(s, 0);
        return srv_init_stop(why).action;
    }
    return srv_init_ok().action;
}

/* ---------------------------------------------------------------------- */
/* The calls' requests: the copies the supervisor reads                    */

/* start_child's: the spec, copied as the child the supervisor keeps. */
static bool copy_spec(void *dst, const void *src)
{
    const struct sup_request *from = src;
    struct sup_request *to = dst;
    memset(to, 0, sizeof *to);
    return child_from_spec(&to->child, from->spec) == SRV_OK;
}

/* start_child_args': the extra args, copied by the module the caller
 * named (which frees them too, free_request). */
static bool copy_extra(void *dst, const void *src)
{
    const struct sup_request *from = src;
    struct sup_request *to = dst;
    memset(to, 0, sizeof *to);
    to->sup = from->sup;
    return copy_block(from->sup->extra_args_size, from->sup->copy_extra_args, from->extra,
                      &to->own_extra);
}

/* The calls by id: the id. */
static bool copy_id(void *dst, const void *src)
{
    const struct sup_request *from = src;
    struct sup_request *to = dst;
    memset(to, 0, sizeof *to);
    to->own_id = srv__strdup(from->id);
    return to->own_id != NULL;
}

/* What a copy_* made (and the supervisor did not take). */
static void free_request(void *args)
{
    struct sup_request *q = args;
    child_free(&q->child);
    if (q->sup != NULL)
        free_block(q->sup->free_extra_args, q->own_extra);
    srv__free(q->own_id);
}

/* ORDER SUP_MESSAGE */
static void free_reply(void *reply)
{
    struct sup_reply *r = reply;
    srv__free(r->children);
    srv_sup_childspec_free(&r->spec);
}

/* A call whose request copy makes (NULL: it holds no pointer). */
#define SUP_CALL(n, copy, free)                                                     \
    {.name = n, .kind = SRV_MESSAGE_CALL, .args_size = sizeof(struct sup_request), \
     .reply_size = sizeof(struct sup_reply), .copy_args = copy, .free_args = free, \
     .free_reply = free_reply}
static const srv_message_type sup_messages[SUP_MESSAGE_COUNT] = {
    SUP_CALL("start_child", copy_spec, free_request),
    SUP_CALL("start_child", copy_extra, free_request),
    SUP_CALL("terminate_child", copy_id, free_request),
    SUP_CALL("terminate_child", NULL, NULL),
    SUP_CALL("restart_child", copy_id, free_request),
    SUP_CALL("delete_child", copy_id, free_request),
    SUP_CALL("which_children", NULL, NULL),
    SUP_CALL("count_children", NULL, NULL),
    SUP_CALL("get_childspec", copy_id, free_request),
    {.name = "try_again_restart", .kind = SRV_MESSAGE_CAST,
     .args_size = sizeof(struct sup_request)},
};

static const srv_module sup_server = {
    .abi_version = SRV_ABI_VERSION,
    .name = "supervisor",
    .state_size = sizeof(struct sup_state),
    .init = sup_init,
    .dispatch = sup_dispatch,
    .handle_exit = sup_exit,
    .terminate = sup_terminate,
    .format_state = sup_format_state,
    .free_state = sup_free_state,
    .messages = sup_messages,
    .message_count = SUP_MESSAGE_COUNT,
    .init_args_size = sizeof(struct sup_start_args),
};

/* ---------------------------------------------------------------------- */
/* The API                                                                 */

srv_status srv_sup_start(const srv_sup_module *sup, const void *args, srv_start_mode mode,
                         const srv_start_opts *opts, srv_start_result *result)
{
    if (sup == NULL || sup->abi_version != SRV_ABI_VERSION || sup->init == NULL) {
        if (result != NULL)
            memset(result, 0, sizeof *result);
        return SRV_EINVAL;
    }
    srv_start_opts o;
    if (opts != NULL)
        o = *opts;
    else
        memset(&o, 0, sizeof o);
    o.trap_exit = true;
    struct sup_start_args a = {sup, args};
    return srv_start(&sup_server, &a, mode, &o, result);
}

/* A call to the supervisor sup: forever, as OTP's call/2. */
static srv_status sup_call(srv_ref sup, unsigned message, const struct sup_request *request,
                           struct sup_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    srv_status status = srv_call_to(sup, &sup_server, message, request, reply, SRV_INFINITY,
                                    NULL);
    return status == SRV_OK ? reply->status : status;
}

srv_status (srv_sup_start_child)(srv_ref sup, const srv_child_spec *spec, srv_pid *child)
{
    struct sup_request q = {.spec = spec, .pid = SRV_PID_NONE};
    struct sup_reply r;
    srv_status status = spec_valid(spec) ? sup_call(sup, SUP_START_CHILD, &q, &r) : SRV_EINVAL;
    if (child != NULL)
        *child = status == SRV_OK || status == SRV_EALREADY ? r.pid : SRV_PID_NONE;
    return status;
}

srv_status (srv_sup_start_child_args)(srv_ref sup, const srv_sup_module *module,
                                     const void *extra_args, srv_pid *child)
{
    struct sup_request q = {.extra = extra_args, .sup = module, .pid = SRV_PID_NONE};
    struct sup_reply r;
    srv_status status = module != NULL && module->abi_version == SRV_ABI_VERSION
                            ? sup_call(sup, SUP_START_CHILD_ARGS, &q, &r)
                            : SRV_EINVAL;
    if (child != NULL)
        *child = status == SRV_OK ? r.pid : SRV_PID_NONE;
    return status;
}

/* The calls by id: terminate, restart, delete, get_childspec. */
static srv_status call_id(srv_ref sup, unsigned message, const char *id, struct sup_reply *r)
{
    if (id == NULL)
        return SRV_EINVAL;
    struct sup_request q = {.id = id, .pid = SRV_PID_NONE};
    return sup_call(sup, message, &q, r);
}

srv_status (srv_sup_terminate_child)(srv_ref sup, const char *id)
{
    struct sup_reply r;
    return call_id(sup, SUP_TERMINATE_CHILD, id, &r);
}

srv_status (srv_sup_terminate_child_pid)(srv_ref sup, srv_pid child)
{
    struct sup_request q = {.pid = child};
    struct sup_reply r;
    return sup_call(sup, SUP_TERMINATE_CHILD_PID, &q, &r);
}

srv_status (srv_sup_restart_child)(srv_ref sup, const char *id, srv_pid *child)
{
    struct sup_reply r;
    srv_status status = call_id(sup, SUP_RESTART_CHILD, id, &r);
    if (child != NULL)
        *child = status == SRV_OK ? r.pid : SRV_PID_NONE;
    return status;
}

srv_status (srv_sup_delete_child)(srv_ref sup, const char *id)
{
    struct sup_reply r;
    return call_id(sup, SUP_DELETE_CHILD, id, &r);
}

srv_status (srv_sup_which_children)(srv_ref sup, srv_child_info *out, size_t cap,
                                    size_t *count)
{
    if (count == NULL || (out == NULL && cap > 0))
        return SRV_EINVAL;
    *count = 0;
    struct sup_request q = {.pid = SRV_PID_NONE};
    struct sup_reply r;
    srv_status status = sup_call(sup, SUP_WHICH_CHILDREN, &q, &r);
    if (status == SRV_OK) {
        *count = r.count;
        for (size_t i = 0; i < r.count && i < cap; i++)
            out[i] = r.children[i];
    }
    srv__free(r.children);
    return status;
}

srv_status (srv_sup_count_children)(srv_ref sup, srv_sup_counts *out)
{
    if (out == NULL)
        return SRV_EINVAL;
    struct sup_request q = {.pid = SRV_PID_NONE};
    struct sup_reply r;
    srv_status status = sup_call(sup, SUP_COUNT_CHILDREN, &q, &r);
    *out = status == SRV_OK ? r.counts : (srv_sup_counts){0, 0, 0, 0};
    return status;
}

srv_status (srv_sup_get_childspec)(srv_ref sup, const char *id, srv_child_spec *out)
{
    if (out == NULL)
        return SRV_EINVAL;
    struct sup_reply r;
    srv_status status = call_id(sup, SUP_GET_CHILDSPEC, id, &r);
    if (status == SRV_OK)
        *out = r.spec;
    else
        memset(out, 0, sizeof *out);
    return status;
}

void srv_sup_childspec_free(srv_child_spec *spec)
{
    if (spec == NULL || spec->id == NULL)
        return;
    struct child c = {.module = spec->module, .sup = spec->sup};
    free_args(&c, (void *)spec->args);
    srv__free((char *)spec->id);
    srv__free((char *)spec->name);
    memset(spec, 0, sizeof *spec);
}
