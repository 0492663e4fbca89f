/*
 * emit.c: the generated code.  The shape of each file is its template
 * (templates/server.h.tmpl, templates/server.c.tmpl, and the result
 * constructors of a call, templates/results.c.tmpl); this file builds the
 * data they read, handler by handler and message by message: names,
 * signatures, which names a body uses, and the code that depends on a
 * value's type (copies, frees, printers: value.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srv.h> /* SRV_ABI_VERSION */

#include "ctext.h"
#include "emit.h"
#include "emitter.h"
#include "term.h"
#include "tmpl.h"
#include "value.h"

/* Marks a #line whose number is the output's own line, filled in once the
 * whole file is rendered (fix_output_lines). */
#define OUTPUT_LINE "SRVC_OUTPUT_LINE"

/* text without its last newline, into d as name. */
void set_text(struct tmpl_dict *d, const char *name, struct buf *text)
{
    buf_puts(text, "");
    if (text->len > 0 && text->data[text->len - 1] == '\n')
        text->data[--text->len] = '\0';
    tmpl_set(d, name, text->data);
    buf_free(text);
}

/* ---------------------------------------------------------------------- */
/* Handler bodies                                                          */

/* Whether C code mentions the identifier name outside its comments,
 * strings and character constants, and not as a member (.name, ->name):
 * what decides which of a handler's names the generated code fetches,
 * and which it marks unused. */
static bool mentions(const char *code, const char *name)
{
    size_t n = strlen(name), len;
    bool member;
    for (const char *at = code, *word; (word = ctext_next_word(code, &at, &len, &member)) != NULL;)
        if (len == n && memcmp(word, name, n) == 0 && !member)
            return true;
    return false;
}

/* #line LINE "PATH", PATH escaped; a line < 0 is the output's own next
 * line, filled in by fix_output_lines. */
static void line_directive(struct buf *b, int line, const char *path)
{
    if (line < 0)
        buf_puts(b, "#line " OUTPUT_LINE " \"");
    else
        buf_printf(b, "#line %d \"", line);
    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            buf_puts(b, "\\");
        buf_append(b, p, 1);
    }
    buf_puts(b, "\"\n");
}

/* The user's code: #line to the spec, the text at its own column, then
 * closer (or nothing) where the spec's own closer stands, and #line back to
 * the output. */
static void body(struct emitter *e, struct buf *b, const struct ast_code *code,
                 const char *closer)
{
    if (e->opts->line_directives)
        line_directive(b, code->loc.first_line, e->opts->spec_path);
    for (int i = 1; i < code->loc.first_column; i++)
        buf_puts(b, " ");
    buf_puts(b, code->text);
    if (closer != NULL)
        buf_puts(b, closer);
    if (b->len > 0 && b->data[b->len - 1] != '\n')
        buf_puts(b, "\n");
    if (e->opts->line_directives)
        line_directive(b, -1, e->out_path);
}

/* A header struct's members, into d as name.  A raw C type (c(...),
 * ptr(...)) is one srvc cannot check: its member stands under #line at the
 * type's own line and column in the spec, so that the C compiler reports
 * an unknown type there, not in the header. */
static void set_members(struct emitter *e, struct tmpl_dict *d, const char *name,
                        const struct ast_field *fields)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        bool raw = f->type.kind == AST_TYPE_C || f->type.kind == AST_TYPE_PTR;
        if (raw && e->opts->line_directives) {
            line_directive(&b, f->type.loc.first_line, e->opts->spec_path);
            buf_printf(&b, "%*s", f->type.loc.last_column, "");
        } else {
            buf_puts(&b, "    ");
        }
        value_declare(e->name, &b, f, VALUE_OWNED);
        buf_puts(&b, ";\n");
        bool next_raw = f->next != NULL && (f->next->type.kind == AST_TYPE_C ||
                                            f->next->type.kind == AST_TYPE_PTR);
        if (raw && !next_raw && e->opts->line_directives)
            line_directive(&b, -1, e->header_path);
    }
    set_text(d, name, &b);
}

/* ORDER AST_HANDLER (ast.h): what a handler of each kind is, in C.  A
 * call's result type and results are its own (NULL here). */
static const struct handler_shape {
    const char *label;   /* how the spec spells it: "info timeout" ("call NAME") */
    const char *suffix;  /* NAME_handle_<suffix> (NULL: the handler's name) */
    const char *result;  /* the C type it returns */
    const char *before;  /* its parameters before the spec's arguments */
    const char *after;   /* and after them */
    const char *results; /* the prefix that SRV_RESULTS(form) gets, or "" */
    const char *names;   /* the names of its parameters but the arguments */
} shapes[] = {
    [AST_INIT] = {"init", "init", "srv_init_result", "%s_state *state", "", "srv_init_",
                  "state"},
    [AST_CALL] = {"call", NULL, NULL, "%s_state *state", "", NULL, "state from"},
    [AST_CAST] = {"cast", NULL, "srv_noreply_result", "%s_state *state", "", "srv_result_",
                  "state"},
    [AST_INFO] = {"info", NULL, "srv_noreply_result", "%s_state *state", "", "srv_result_",
                  "state"},
    [AST_INFO_TIMEOUT] = {"info timeout", "timeout", "srv_noreply_result", "%s_state *state",
                          "", "srv_result_", "state"},
    [AST_INFO_EXIT] = {"info exit", "exit", "srv_noreply_result", "%s_state *state",
                       ", srv_pid pid, srv_atom reason", "srv_result_", "state pid reason"},
    [AST_INFO_DOWN] = {"info down", "down", "srv_noreply_result", "%s_state *state",
                       ", srv_monitor_ref ref, srv_pid pid, srv_atom reason", "srv_result_",
                       "state ref pid reason"},
    [AST_TERMINATE] = {"terminate", "terminate", "void", "%s_state *state",
                       ", srv_atom reason", "", "state reason"},
    [AST_FORMAT_STATUS] = {"format_status", "format_status", "void",
                           "const %s_state *state, srv_status_map *status", "", "",
                           "state status"},
    [AST_CONTINUE] = {"continue", NULL, "srv_noreply_result", "%s_state *state", "",
                      "srv_result_", "state"},
    [AST_CODE_CHANGE] = {"code_change", "code_change", "srv_code_change_result",
                         "%s_state *state, const char *old_vsn, void *extra", "",
                         "srv_code_change_", "state old_vsn extra"},
};

/* The macros that read a handler's parameter without naming it: FROM
 * reads from, REASON reason, and terminate's clearing free() state. */
static const struct {
    const char *name, *macro;
} readers[] = {{"from", "FROM"}, {"reason", "REASON"}, {"state", "free"}};

/* Whether a body uses the parameter name, by name or through a macro (of
 * those, free() only when it is terminate's clearing one). */
static bool body_uses(const char *code, const char *name, bool clearing_free)
{
    if (mentions(code, name))
        return true;
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (strcmp(readers[i].name, name) == 0 && mentions(code, readers[i].macro))
            return strcmp(readers[i].macro, "free") != 0 || clearing_free;
    return false;
}

/* Calls, casts, infos and continues: each is a message type of the
 * module, dispatched by number (a continue is never sent: the server
 * runs it itself). */
static bool is_message(const struct ast_handler *h)
{
    return h->kind == AST_CALL || h->kind == AST_CAST || h->kind == AST_INFO ||
           h->kind == AST_CONTINUE;
}

/* A handler's name, result type, signature and results, into d. */
static void handler_signature(struct emitter *e, struct tmpl_dict *d,
                              const struct ast_handler *h)
{
    const struct handler_shape *s = &shapes[h->kind];
    const char *suffix = s->suffix != NULL ? s->suffix : h->name;
    struct buf sig;
    buf_init(&sig);
    buf_printf(&sig, s->before, e->name);
    if (h->kind == AST_CALL) {
        buf_printf(&sig, ", %s_%s_from from", e->name, h->name);
        tmpl_setf(d, "result", "%s_%s_result", e->name, h->name);
        tmpl_setf(d, "results", "%s_%s_result_", e->name, h->name);
    } else {
        tmpl_set(d, "result", s->result);
        tmpl_set(d, "results", s->results);
    }
    value_params(e->name, &sig, h->args);
    buf_puts(&sig, s->after);
    tmpl_set(d, "suffix", suffix);
    tmpl_set(d, "signature", sig.data);
    buf_free(&sig);
    if (s->suffix != NULL || h->kind == AST_INIT)
        tmpl_set(d, "label", s->label);
    else
        tmpl_setf(d, "label", "%s %s", s->label, h->name);
}

/* A handler written in the spec: its body, and which of its names the
 * body uses (self is fetched only then; the others are marked unused). */
static void handler_body(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h,
                         bool frees_in_terminate)
{
    const char *code = h->body.text;
    tmpl_set(d, "self", mentions(code, "self") ? "1" : "");
    tmpl_list(d, "unused");
    bool clearing_free = h->kind == AST_TERMINATE && frees_in_terminate;
    char names[64];
    snprintf(names, sizeof names, "%s", shapes[h->kind].names);
    for (char *name = strtok(names, " "); name != NULL; name = strtok(NULL, " "))
        if (!body_uses(code, name, clearing_free))
            tmpl_set(tmpl_add(d, "unused"), "param", name);
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        if (!mentions(code, f->name))
            tmpl_set(tmpl_add(d, "unused"), "param", f->name);
    tmpl_setf(d, "line", "%d", h->loc.first_line);
    tmpl_set(d, "frees_in_terminate", clearing_free ? "1" : "");
    /* forms of one kind's alone, defined only where its body says them */
    tmpl_set(d, "init_ack", h->kind == AST_INIT && mentions(code, "init_ack") ? "1" : "");
    tmpl_set(d, "code_change_error",
             h->kind == AST_CODE_CHANGE && mentions(code, "error") ? "1" : "");
    struct buf text;
    buf_init(&text);
    /* the function's closing brace stands where the spec's does, so that
     * the C compiler reports a body that can end without a return there */
    body(e, &text, &h->body, "}");
    set_text(d, "body", &text);
}

/* Fills in the #line directives that point back at the output itself. */
static void fix_output_lines(struct buf *c)
{
    struct buf fixed;
    buf_init(&fixed);
    int line = 1;
    const char *p = c->data, *end = c->data + c->len;
    size_t marker = strlen(OUTPUT_LINE);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol != NULL ? eol + 1 : end;
        if (strncmp(p, "#line " OUTPUT_LINE, 6 + marker) == 0) {
            buf_printf(&fixed, "#line %d", line + 1);
            buf_append(&fixed, p + 6 + marker, (size_t)(next - p - 6 - marker));
        } else {
            buf_append(&fixed, p, (size_t)(next - p));
        }
        line++;
        p = next;
    }
    buf_free(c);
    *c = fixed;
}

/* Renders the template called name into out, with its #line fixed. */
int render(struct emitter *e, const char *name, const struct tmpl_dict *d, struct buf *out)
{
    const struct tmpl_file *t = tmpl_find(name);
    if (t == NULL) {
        snprintf(e->error, sizeof e->error, "templates/%s.tmpl is missing", name);
        return -1;
    }
    if (tmpl_render(t, d, out, e->error, sizeof e->error) != 0)
        return -1;
    fix_output_lines(out);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Messages                                                                */

static const char *kind_word(const struct ast_handler *h)
{
    return h->kind == AST_CALL   ? "CALL"
           : h->kind == AST_CAST ? "CAST"
           : h->kind == AST_INFO ? "INFO"
                                 : "CONTINUE";
}

/* The fields of a list as items: member (a declaration), arg (the name),
 * format (its printer, from PREFIXname). */
void field_items(struct emitter *e, struct tmpl_dict *d, const char *list,
                 const struct ast_field *fields, const char *prefix, enum value_role role)
{
    tmpl_list(d, list);
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        struct tmpl_dict *item = tmpl_add(d, list);
        struct buf b;
        buf_init(&b);
        value_declare(e->name, &b, f, role);
        set_text(item, "member", &b);
        tmpl_set(item, "arg", f->name);
        char expr[160];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        buf_init(&b);
        value_format(e->name, &b, expr, &f->type);
        set_text(item, "format", &b);
    }
}

/* A copy of fields from src-> to dst-> (copy_fields), into d as copy,
 * copy_fails and uncopy. */
void set_copy(struct emitter *e, struct tmpl_dict *d, const struct ast_field *fields,
              bool free_each)
{
    struct buf copy, undo;
    buf_init(&copy);
    buf_init(&undo);
    bool fails = value_copy_fields(e->name, &copy, &undo, fields, "dst->", "src->", free_each);
    tmpl_set(d, "copy_fails", fails ? "1" : "");
    set_text(d, "copy", &copy);
    set_text(d, "uncopy", &undo);
}

/* A struct's deep copy and free, for a module table: one item of d's
 * list with copy, copy_fails, uncopy and free when fields own memory,
 * none otherwise.  Returns whether they do. */
bool set_copies(struct emitter *e, struct tmpl_dict *d, const char *list,
                const struct ast_field *fields)
{
    tmpl_list(d, list);
    if (!value_fields_own_memory(fields))
        return false;
    struct tmpl_dict *item = tmpl_add(d, list);
    set_copy(e, item, fields, true);
    struct buf b;
    buf_init(&b);
    value_each(e->name, &b, VALUE_FREE, "a->", "", fields);
    set_text(item, "free", &b);
    return true;
}

/* ", const char *key, srv_atom value": the fields as parameters, into d. */
void set_params(struct emitter *e, struct tmpl_dict *d, const char *name,
                const struct ast_field *fields)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    value_params(e->name, &b, fields);
    set_text(d, name, &b);
}

/* ", key, value" (or "key, value" without lead): the fields' names. */
void set_names(struct tmpl_dict *d, const char *name, const struct ast_field *fields,
               const char *prefix, bool lead)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        buf_printf(&b, "%s%s%s", lead || f != fields ? ", " : "", prefix, f->name);
    tmpl_set(d, name, b.data);
    buf_free(&b);
}

/* A message's arguments: the struct, its copy and free, the client's
 * filling of it, the dispatch's reading of it. */
static void message_args(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    field_items(e, d, "args", h->args, "a->", VALUE_ARG);
    set_params(e, d, "params", h->args);
    set_names(d, "arg_names", h->args, "", true);
    set_names(d, "arg_reads", h->args, "a->", true);
    bool printed = false; /* whether the printer reads an argument: ptr and c(...) it does not */
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        printed |= f->type.kind != AST_TYPE_PTR && f->type.kind != AST_TYPE_C;
    tmpl_set(d, "printed", printed ? "1" : "");
    bool copies = value_fields_own_memory(h->args);
    tmpl_set(d, "copies", copies ? "1" : "");
    tmpl_setf(d, "args_size", h->args ? "sizeof(struct %s_%s_args)" : "0", n, c);
    tmpl_set(d, "args_ref", h->args ? "&srv_args" : "NULL");
    tmpl_setf(d, "copy_fn", copies ? "%s_%s_copy_args" : "NULL", n, c);
    tmpl_setf(d, "free_fn", copies ? "%s_%s_free_args" : "NULL", n, c);
    set_copy(e, d, h->args, true);
    struct buf b;
    buf_init(&b);
    value_each(e->name, &b, VALUE_FREE, "a->", "", h->args);
    set_text(d, "free", &b);
}

/* One of a call's result constructors (templates/results.c.tmpl). */
static const struct {
    const char *form, *extra, *action, *fail_kind;
    bool fields;
} result_forms[] = {
    {"reply", "", "srv__action(SRV_ACTION_REPLY, SRV_INFINITY, 0)", "SRV_ACTION_REPLY_ENOMEM",
     true},
    {"reply_timeout", "long srv_timeout_ms", "srv__action(SRV_ACTION_REPLY, srv_timeout_ms, 0)",
     "SRV_ACTION_REPLY_ENOMEM", true},
    {"reply_continue", "srv_continue srv_next",
     "srv__action_continue(SRV_ACTION_REPLY, srv_next)", "SRV_ACTION_REPLY_ENOMEM", true},
    {"reply_hibernate", "", "srv__action_hibernate(SRV_ACTION_REPLY)",
     "SRV_ACTION_REPLY_ENOMEM", true},
    {"noreply", "", "srv__action(SRV_ACTION_NOREPLY, SRV_INFINITY, 0)", NULL, false},
    {"noreply_timeout", "long srv_timeout_ms",
     "srv__action(SRV_ACTION_NOREPLY, srv_timeout_ms, 0)", NULL, false},
    {"noreply_continue", "srv_continue srv_next",
     "srv__action_continue(SRV_ACTION_NOREPLY, srv_next)", NULL, false},
    {"noreply_hibernate", "", "srv__action_hibernate(SRV_ACTION_NOREPLY)", NULL, false},
    {"stop", "srv_atom srv_reason", "srv__action(SRV_ACTION_STOP, SRV_INFINITY, srv_reason)",
     NULL, false},
    {"stop_reply", "srv_atom srv_reason",
     "srv__action(SRV_ACTION_STOP_REPLY, SRV_INFINITY, srv_reason)", "SRV_ACTION_STOP", true},
    {"stop_detail", "srv_atom srv_reason, const char *srv_detail_text",
     "srv__action_stop_detail(SRV_ACTION_STOP, srv_reason, srv_detail_new(srv_detail_text))",
     NULL, false},
    {"stop_reply_detail", "srv_atom srv_reason, const char *srv_detail_text",
     "srv__action_stop_detail(SRV_ACTION_STOP_REPLY, srv_reason, "
     "srv_detail_new(srv_detail_text))",
     "SRV_ACTION_STOP", true},
};

/* A call's result type and constructors, rendered from their template. */
static int call_results(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    bool can_fail = value_copy_may_fail(h->reply);
    struct buf fill, unfill;
    buf_init(&fill);
    buf_init(&unfill);
    buf_puts(&fill, h->reply == NULL ? "srv_r.reply.replied = true;\n" : "");
    value_each(e->name, &fill, can_fail ? VALUE_COPY_OR_FAIL : VALUE_COPY, "srv_r.reply.", "",
               h->reply);
    /* Out of memory for the reply's copy: what was copied goes (moved
     * pointers stay the handler's), and the caller's call returns
     * SRV_ENOMEM; a stop_reply still stops. */
    value_each(e->name, &unfill, VALUE_DISOWN, "srv_r.reply.", "", h->reply);
    value_each(e->name, &unfill, VALUE_FREE, "srv_r.reply.", "", h->reply);
    tmpl_list(d, "forms");
    for (size_t i = 0; i < sizeof result_forms / sizeof result_forms[0]; i++) {
        /* reply_to builds a reply; an inline body, only what it returns */
        if (h->has_body && i != 0 && !mentions(h->body.text, result_forms[i].form))
            continue;
        struct tmpl_dict *f = tmpl_add(d, "forms");
        struct buf sig;
        buf_init(&sig);
        buf_puts(&sig, result_forms[i].extra);
        if (result_forms[i].fields)
            value_params(e->name, &sig, h->reply);
        const char *p = sig.data[0] == ',' ? sig.data + 2 : sig.data;
        tmpl_set(f, "form_params", p[0] != '\0' ? p : "void");
        buf_free(&sig);
        tmpl_set(f, "form", result_forms[i].form);
        tmpl_set(f, "action", result_forms[i].action);
        tmpl_set(f, "fields", result_forms[i].fields ? "1" : "");
        tmpl_set(f, "fails", result_forms[i].fields && can_fail ? "1" : "");
        tmpl_set(f, "fail_kind", result_forms[i].fail_kind ? result_forms[i].fail_kind : "");
    }
    set_text(d, "fill", &fill);
    set_text(d, "unfill", &unfill);
    tmpl_set(d, "reply_fails", can_fail ? "1" : "");
    tmpl_set(d, "name", e->name);
    struct buf out;
    buf_init(&out);
    int status = render(e, "results.c", d, &out);
    set_text(d, "results", &out);
    return status;
}

/* A call's reply: its struct, its free, reply_to's parameters. */
static int call_reply(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    set_members(e, d, "reply_members", h->reply);
    bool owns = value_fields_own_memory(h->reply);
    tmpl_set(d, "reply_owns", owns ? "1" : "");
    tmpl_setf(d, "reply_size", "sizeof(%s_%s_reply)", n, c);
    tmpl_setf(d, "free_reply_fn", owns ? "%s_%s_free_reply" : "NULL", n, c);
    set_params(e, d, "reply_params", h->reply);
    set_names(d, "reply_names", h->reply, "", false);
    struct buf b;
    buf_init(&b);
    value_each(e->name, &b, VALUE_FREE, "reply->", "", h->reply);
    set_text(d, "reply_free", &b);
    tmpl_set(d, "external", h->has_body ? "" : "1");
    /* The reply as Erlang would print it: ok for none, the value for
     * one, a tuple for more (the trace's "sent 1 to <0.9.0>"). */
    buf_init(&b);
    bool many = h->reply != NULL && h->reply->next != NULL;
    if (h->reply == NULL)
        buf_puts(&b, "srv_buf_put_atom(out, \"ok\");\n");
    if (many)
        buf_puts(&b, "srv_buf_printf(out, \"{\");\n");
    for (const struct ast_field *f = h->reply; f != NULL; f = f->next) {
        char expr[160];
        snprintf(expr, sizeof expr, "srv_reply->%s", f->name);
        if (f != h->reply)
            buf_puts(&b, "srv_buf_printf(out, \",\");\n");
        value_format(e->name, &b, expr, &f->type);
    }
    if (many)
        buf_puts(&b, "srv_buf_printf(out, \"}\");\n");
    set_text(d, "reply_format", &b);
    bool reads = false; /* whether the printer reads the reply: ptr and c(...) it does not */
    for (const struct ast_field *f = h->reply; f != NULL; f = f->next)
        reads |= f->type.kind != AST_TYPE_PTR && f->type.kind != AST_TYPE_C;
    tmpl_set(d, "reply_printed", reads ? "1" : "");
    tmpl_setf(d, "format_reply_fn", "%s_%s_format_reply", n, c);
    return call_results(e, d, h);
}

/* The message constant of h: WORKER_CALL_QUERY. */
static void message_constant(struct emitter *e, const struct ast_handler *h, char *out,
                             size_t size)
{
    int len = snprintf(out, size, "%s_%s_%s", e->upper, kind_word(h), h->name);
    for (int i = 0; i < len && i < (int)size; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
}

/* Everything the templates say of one message. */
static int message(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    const char *n = e->name;
    char constant[160];
    message_constant(e, h, constant, sizeof constant);
    tmpl_set(d, "msg", h->name);
    tmpl_set(d, "CONST", constant);
    tmpl_set(d, "KIND", kind_word(h));
    tmpl_set(d, "kind", shapes[h->kind].label);
    tmpl_setf(d, "line", "%d", h->loc.first_line);
    tmpl_setf(d, "client", "%s_%s%s", n, h->kind == AST_INFO ? "send_" : "", h->name);
    tmpl_set(d, "send", h->kind == AST_CAST ? "cast" : "send");
    tmpl_set(d, "flags", h->skip_abandoned ? "SRV_MESSAGE_SKIP_ABANDONED" : "0");
    message_args(e, d, h);
    tmpl_set(d, "call", h->kind == AST_CALL ? "1" : "");
    /* an info message's typed timers: NAME_INFO_send_after, _start_timer */
    tmpl_list(d, "timers");
    for (int i = 0; i < 2 && h->kind == AST_INFO; i++)
        tmpl_set(tmpl_add(d, "timers"), "timer", i == 0 ? "send_after" : "start_timer");
    tmpl_set(d, "cast", h->kind == AST_CAST ? "1" : "");
    tmpl_set(d, "continue", h->kind == AST_CONTINUE ? "1" : "");
    if (h->kind == AST_CONTINUE) { /* NAME_continue_x's parameters */
        struct buf b;
        buf_init(&b);
        value_params(e->name, &b, h->args);
        tmpl_set(d, "continue_params", b.len > 0 ? b.data + 2 : "void");
        buf_free(&b);
    }
    if (h->kind != AST_CALL) {
        tmpl_set(d, "reply_owns", "");
        tmpl_set(d, "reply_size", "0");
        tmpl_set(d, "free_reply_fn", "NULL");
        tmpl_set(d, "format_reply_fn", "NULL");
        return 0;
    }
    return call_reply(e, d, h);
}

/* ---------------------------------------------------------------------- */
/* Records                                                                 */

/* One record: its fields, copy, free and printer. */
static void record(struct emitter *e, struct tmpl_dict *d, const struct ast_record *r)
{
    tmpl_set(d, "record", r->name);
    tmpl_setf(d, "line", "%d", r->loc.first_line);
    set_members(e, d, "members", r->fields);
    set_copy(e, d, r->fields, false);
    tmpl_set(d, "owns", value_fields_own_memory(r->fields) ? "1" : "");
    struct buf b;
    buf_init(&b);
    value_each(e->name, &b, VALUE_FREE, "record->", "", r->fields);
    set_text(d, "free", &b);
    buf_init(&b);
    value_format_fields(e->name, &b, "record->", r->fields);
    /* raw C fields print as "...": a record of only those reads nothing */
    buf_puts(&b, "");
    tmpl_set(d, "reads", strstr(b.data, "record->") != NULL ? "1" : "");
    set_text(d, "format", &b);
}

/* Records, in an order where each comes after the records it holds. */
static void emit_records(struct emitter *e, struct tmpl_dict *d)
{
    size_t n = 0, n_done = 0;
    for (const struct ast_record *r = e->spec->records; r != NULL; r = r->next)
        n++;
    const struct ast_record **done = calloc(n + 1, sizeof *done);
    tmpl_list(d, "records");
    for (size_t before = n + 1; n_done < n && n_done != before;) {
        before = n_done; /* unchanged after a pass: a cycle, which check.c reported */
        for (const struct ast_record *r = e->spec->records; r != NULL; r = r->next) {
            bool emitted = false, ready = true;
            for (size_t i = 0; i < n_done; i++)
                emitted |= done[i] == r;
            for (const struct ast_field *f = r->fields; f != NULL && !emitted; f = f->next) {
                bool have = f->type.kind != AST_TYPE_RECORD;
                for (size_t i = 0; i < n_done; i++)
                    have |= done[i] == f->type.record;
                ready &= have;
            }
            if (!emitted && ready) {
                done[n_done++] = r;
                record(e, tmpl_add(d, "records"), r);
            }
        }
    }
    free(done);
}

/* ---------------------------------------------------------------------- */
/* The server                                                              */

/* The state: its fields, printer, free, and terminate's clearing free(). */
static void server_state(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_field *state = e->spec->state;
    set_members(e, d, "state_fields", state);
    tmpl_set(d, "state", state != NULL ? "1" : "");
    struct buf b;
    buf_init(&b);
    value_format_fields(e->name, &b, "s->", state);
    set_text(d, "format_state", &b);
    buf_init(&b);
    value_each(e->name, &b, VALUE_FREE, "s->", "", state);
    set_text(d, "free_state", &b);
    buf_init(&b);
    const struct ast_handler *t = ast_find_handler(e->spec, AST_TERMINATE);
    if (t != NULL && t->has_body)
        value_forget_fields(&b, "s->", state);
    set_text(d, "forget", &b);
    /* NAME_get_state's deep copy: moved pointers (ptr with a free
     * function) stay the server's, NULL in the copy */
    struct buf copy, undo;
    buf_init(&copy);
    buf_init(&undo);
    bool fails = value_copy_fields(e->name, &copy, &undo, state, "dst->", "src->", true);
    value_each(e->name, &copy, VALUE_DISOWN, "dst->", "", state);
    tmpl_set(d, "state_copy_fails", fails ? "1" : "");
    set_text(d, "state_copy", &copy);
    set_text(d, "state_uncopy", &undo);
}

/* The callbacks of the module table, NULL where the spec has none. */
static void server_callbacks(struct emitter *e, struct tmpl_dict *d, bool free_state)
{
    static const struct {
        const char *field, *key, *suffix;
        enum ast_handler_kind kind;
    } callbacks[] = {
        {"handle_timeout", "timeout", "timeout", AST_INFO_TIMEOUT},
        {"handle_exit", "exit", "exit", AST_INFO_EXIT},
        {"handle_down", "down", "down", AST_INFO_DOWN},
        {"terminate", "terminate", "terminate", AST_TERMINATE},
        {"format_state", NULL, "format_state", AST_INIT},
        {"format_status", "format_status", "format_status", AST_FORMAT_STATUS},
        {"free_state", NULL, "free_state", AST_INIT},
        {"copy_state", NULL, "copy_state", AST_INIT},
    };
    tmpl_list(d, "callbacks");
    for (size_t i = 0; i < sizeof callbacks / sizeof callbacks[0]; i++) {
        bool has = callbacks[i].key != NULL ? ast_find_handler(e->spec, callbacks[i].kind)
                                                  != NULL
                                            : i != 6 || free_state;
        if (callbacks[i].key != NULL)
            tmpl_set(d, callbacks[i].key, has ? "1" : "");
        struct tmpl_dict *c = tmpl_add(d, "callbacks");
        tmpl_set(c, "field", callbacks[i].field);
        tmpl_setf(c, "fn", has ? "%s_%s" : "NULL", e->name, callbacks[i].suffix);
    }
    /* after the messages, where the module table has it (C++ wants the
     * designators in order) */
    bool code_change = ast_find_handler(e->spec, AST_CODE_CHANGE) != NULL;
    tmpl_set(d, "code_change", code_change ? "1" : "");
    tmpl_setf(d, "code_change_fn", code_change ? "%s_code_change" : "NULL", e->name);
}

/* init: its arguments, how the start functions pass them on. */
void server_init(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_handler *init = ast_find_handler(e->spec, AST_INIT);
    const struct ast_field *args = init != NULL ? init->args : NULL;
    tmpl_set(d, "init", init != NULL ? "1" : "");
    field_items(e, d, "init_args", args, "a->", VALUE_ARG);
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    value_params(e->name, &b, args);
    if (b.len > 0)
        buf_puts(&b, ", ");
    tmpl_set(d, "init_params", b.data + (b.len > 0 ? 2 : 0));
    buf_free(&b);
    set_names(d, "init_reads", args, "a->", true);
    /* the module table's copy and free of them, for a supervisor */
    bool copies = value_fields_own_memory(args);
    tmpl_setf(d, "init_args_size", args ? "sizeof(struct %s_init_args)" : "0", e->name);
    tmpl_setf(d, "init_copy_fn", copies ? "%s_init_copy_args" : "NULL", e->name);
    tmpl_setf(d, "init_free_fn", copies ? "%s_init_free_args" : "NULL", e->name);
    set_copies(e, d, "init_copies", args);
    buf_init(&b);
    buf_puts(&b, "");
    for (const struct ast_field *f = args; f != NULL; f = f->next)
        buf_printf(&b, "%s, ", f->name);
    tmpl_set(d, "init_names", b.data);
    buf_free(&b);
}

/* Every handler: written in the spec (bodies) or outside it (externals). */
static void server_handlers(struct emitter *e, struct tmpl_dict *d)
{
    bool frees = false;
    const struct ast_handler *t = ast_find_handler(e->spec, AST_TERMINATE);
    if (t != NULL && t->has_body && mentions(t->body.text, "free"))
        frees = value_fields_own_memory(e->spec->state);
    tmpl_set(d, "frees_in_terminate", frees ? "1" : "");
    tmpl_list(d, "bodies");
    tmpl_list(d, "externals");
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        struct tmpl_dict *item = tmpl_add(d, h->has_body ? "bodies" : "externals");
        handler_signature(e, item, h);
        if (h->has_body)
            handler_body(e, item, h, frees);
    }
}

/* if (READ p INTO prefix...\n    && srv_term_done(srv_in))\n    return
 * result;: the statement that reads a whole term as p. */
static void decode_statement(struct emitter *e, struct buf *b, const struct pattern *p,
                             const char *prefix, const char *result)
{
    struct buf match;
    buf_init(&match);
    pattern_decode(e->name, &match, p, prefix);
    buf_puts(b, "if (");
    for (const char *s = match.data; *s != '\0'; s++)
        buf_puts(b, *s == '\n' ? "\n    " : (char[]){*s, '\0'});
    buf_printf(b, "\n    && srv_term_done(srv_in))\n    return %s;", result);
    buf_free(&match);
}

/* The node's codec (gen/term.c): for each call, cast and info whose
 * arguments (and reply) all have Erlang terms, how its term is read
 * (decoders) and how a call's reply is written (encoders). */
static void server_codec(struct emitter *e, struct tmpl_dict *d)
{
    bool any = false;
    struct buf all; /* args_max: the size of a union of every args struct */
    buf_init(&all);
    tmpl_list(d, "decoders");
    tmpl_list(d, "encoders");
    tmpl_list(d, "requests");
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        bool typed = h->kind == AST_CALL || h->kind == AST_CAST ||
                     (h->kind == AST_INFO && !h->bare);
        if (!typed || !term_fields_map(h->args) ||
            (h->kind == AST_CALL && !term_fields_map(h->reply)))
            continue;
        char constant[160], error[160];
        message_constant(e, h, constant, sizeof constant);
        struct pattern *p =
            h->erlang_request != NULL
                ? pattern_parse(h->erlang_request->text, h->args, error, sizeof error)
                : pattern_default(h->name, h->args, true);
        struct tmpl_dict *item = tmpl_add(d, "decoders");
        struct buf b;
        buf_init(&b);
        pattern_print(&b, p);
        tmpl_set(item, "pattern", b.data);
        buf_free(&b);
        buf_init(&b);
        decode_statement(e, &b, p, "srv_a->", constant);
        tmpl_set(item, "match", b.data);
        buf_free(&b);
        buf_init(&b);
        value_each(e->name, &b, VALUE_FREE, "srv_a->", "", h->args);
        set_text(item, "free", &b);
        pattern_free(p);
        tmpl_set(item, "msg", h->name);
        tmpl_set(item, "KIND", kind_word(h));
        tmpl_set(item, "CONST", constant);
        tmpl_set(item, "args", h->args != NULL ? "1" : "");
        /* the client's side: the request (or message) written */
        struct tmpl_dict *req = tmpl_add(d, "requests");
        struct pattern *q =
            h->erlang_request != NULL
                ? pattern_parse(h->erlang_request->text, h->args, error, sizeof error)
                : pattern_default(h->name, h->args, true);
        buf_init(&b);
        pattern_encode(e->name, &b, q, "srv_a->");
        set_text(req, "put", &b);
        pattern_free(q);
        tmpl_set(req, "msg", h->name);
        tmpl_set(req, "CONST", constant);
        tmpl_set(req, "args", h->args != NULL ? "1" : "");
        if (h->args != NULL)
            buf_printf(&all, "struct %s_%s_args %s;\n", e->name, h->name, h->name);
        any = true;
        if (h->kind != AST_CALL)
            continue;
        p = h->erlang_reply != NULL
                ? pattern_parse(h->erlang_reply->text, h->reply, error, sizeof error)
                : pattern_default(h->name, h->reply, false);
        item = tmpl_add(d, "encoders");
        buf_init(&b);
        pattern_print(&b, p);
        tmpl_set(item, "pattern", b.data);
        buf_free(&b);
        buf_init(&b);
        pattern_encode(e->name, &b, p, "srv_r->");
        set_text(item, "put", &b);
        buf_init(&b); /* the client's side: the reply read */
        decode_statement(e, &b, p, "srv_r->", "true");
        tmpl_set(item, "match", b.data);
        buf_free(&b);
        buf_init(&b);
        value_each(e->name, &b, VALUE_FREE, "srv_r->", "", h->reply);
        set_text(item, "free", &b);
        pattern_free(p);
        tmpl_set(item, "msg", h->name);
        tmpl_set(item, "CONST", constant);
        tmpl_set(item, "fields", h->reply != NULL ? "1" : "");
    }
    buf_puts(&all, "char srv_none;\n");
    set_text(d, "args_union", &all);
    tmpl_set(d, "codec", any ? "1" : "");
    tmpl_setf(d, "codec_ref", any ? "&%s_codec" : "NULL", e->name);
}

/* The messages (calls, casts, infos) and what dispatch needs of them. */
static int server_messages(struct emitter *e, struct tmpl_dict *d)
{
    size_t count = 0;
    bool any_args = false, any_call = false, header_results = false;
    tmpl_list(d, "messages");
    tmpl_list(d, "calls");
    tmpl_list(d, "continues");
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        if (!is_message(h))
            continue;
        count++;
        any_args |= h->args != NULL;
        any_call |= h->kind == AST_CALL;
        if (message(e, tmpl_add(d, "messages"), h) != 0 ||
            (h->kind == AST_CALL && message(e, tmpl_add(d, "calls"), h) != 0) ||
            (h->kind == AST_CONTINUE && message(e, tmpl_add(d, "continues"), h) != 0))
            return -1;
        header_results |= h->kind == AST_CALL && !h->has_body;
    }
    tmpl_setf(d, "message_count", "%zu", count);
    tmpl_setf(d, "messages_fn", count > 0 ? "%s_messages" : "NULL", e->name);
    server_codec(e, d);
    tmpl_set(d, "header_results", header_results ? "1" : "");
    tmpl_list(d, "dispatch_unused");
    const char *unused[] = {any_args ? NULL : "args", any_call ? NULL : "from",
                            any_call ? NULL : "reply"};
    for (size_t i = 0; i < 3; i++)
        if (unused[i] != NULL)
            tmpl_set(tmpl_add(d, "dispatch_unused"), "param", unused[i]);
    return 0;
}

/* Verbatim C blocks, each with its #line, into d as name; opener is how
 * the spec opens them. */
void code_blocks(struct emitter *e, struct tmpl_dict *d, const char *name,
                 const char *opener, const struct ast_code *blocks, size_t n)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "/* %s block: %s:%d */\n", opener, e->opts->spec_path,
                   blocks[i].loc.first_line);
        body(e, &b, &blocks[i], NULL);
    }
    set_text(d, name, &b);
}

/* The data both templates read.  Returns 0, or -1 with e->error set. */
static int server_data(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_spec *spec = e->spec;
    emit_records(e, d);
    server_state(e, d);
    server_callbacks(e, d, value_fields_own_memory(spec->state));
    server_init(e, d);
    server_handlers(e, d);
    return server_messages(e, d);
}

int emit_files(const struct ast_spec *spec, const struct emit_options *opts, struct diag *d,
               struct buf *h, struct buf *c, const char *kind,
               int (*fill)(struct emitter *e, struct tmpl_dict *data))
{
    /* the header's path: the .c's, with .h */
    size_t c_len = strlen(opts->c_path);
    char *h_path = malloc(c_len + 1);
    if (h_path == NULL)
        return -1;
    memcpy(h_path, opts->c_path, c_len + 1);
    if (c_len > 0)
        h_path[c_len - 1] = 'h';
    struct emitter e = {spec, opts, h_path, spec->name, {0}, h_path, {0}};
    for (size_t i = 0; spec->name[i] != '\0' && i + 1 < sizeof e.upper; i++)
        e.upper[i] = (char)toupper((unsigned char)spec->name[i]);
    struct tmpl_dict *data = tmpl_dict_new();
    int status = 0;
    /* what every generated file says of itself, and the spec's C blocks */
    tmpl_set(data, "version", SRVC_VERSION);
    tmpl_setf(data, "abi", "%d", SRV_ABI_VERSION); /* the libsrv it is for */
    tmpl_set(data, "spec", opts->spec_path);
    tmpl_set(data, "name", e.name);
    tmpl_set(data, "NAME", e.upper);
    tmpl_set(data, "header", opts->header_name);
    tmpl_setf(data, "guard", "%s_SRV_H", e.upper);
    e.out_path = h_path;
    code_blocks(&e, data, "header_blocks", "%{", spec->h_blocks, spec->n_h_blocks);
    e.out_path = opts->c_path;
    code_blocks(&e, data, "top_blocks", "%top{", spec->top_blocks, spec->n_top_blocks);
    code_blocks(&e, data, "c_blocks", "%{", spec->c_blocks, spec->n_c_blocks);
    char h_name[32], c_name[32];
    snprintf(h_name, sizeof h_name, "%s.h", kind);
    snprintf(c_name, sizeof c_name, "%s.c", kind);
    if (fill(&e, data) != 0 || render(&e, h_name, data, h) != 0 ||
        render(&e, c_name, data, c) != 0) {
        diag_errorf(d, "internal error: %s", e.error);
        status = -1;
    }
    tmpl_dict_free(data);
    free(h_path);
    return status;
}

int emit_server(const struct ast_spec *spec, const struct emit_options *opts,
                struct diag *d, struct buf *h, struct buf *c)
{
    return emit_files(spec, opts, d, h, c, "server", server_data);
}
