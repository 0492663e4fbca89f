/*
 * emit.c: the generated code.  The shape of each file is its template
 * (templates/server.h.tmpl, templates/server.c.tmpl, and the result
 * constructors of a call, templates/results.c.tmpl); this file builds the
 * data they read: names, signatures, and the code that depends on a
 * value's type (copies, frees, printers), handler by handler and message
 * by message.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "tmpl.h"

/* Marks a #line whose number is the output's own line, filled in once the
 * whole file is rendered (fix_output_lines). */
#define OUTPUT_LINE "SRVC_OUTPUT_LINE"

struct emitter {
    const struct ast_spec *spec;
    const struct emit_options *opts;
    const char *out_path; /* the file being built: for #line back to it */
    const char *name;  /* the server's name: every generated name's prefix */
    char upper[80];    /* NAME in capitals, for enum constants */
    char error[256];   /* a template's error, for emit_server to report */
};

/* ---------------------------------------------------------------------- */
/* Types                                                                   */

enum role {
    ROLE_ARG,   /* a parameter of the API: strings are const char * */
    ROLE_OWNED  /* a struct member that owns what it points to */
};

/* ORDER AST_TYPE: each scalar type's C type and how it is printed (a
 * printf format and the cast its value gets), up to AST_TYPE_PID. */
static const struct {
    const char *c_type, *format, *cast;
} scalars[] = {
    {"int8_t", "%lld", "long long"},    {"int16_t", "%lld", "long long"},
    {"int32_t", "%lld", "long long"},   {"int64_t", "%lld", "long long"},
    {"uint8_t", "%llu", "unsigned long long"}, {"uint16_t", "%llu", "unsigned long long"},
    {"uint32_t", "%llu", "unsigned long long"}, {"uint64_t", "%llu", "unsigned long long"},
    {"int", "%lld", "long long"},       {"double", "%g", "double"},
    {"float", "%g", "double"},          {"bool", NULL, NULL},
    {"char *", NULL, NULL},             {"srv_bytes", NULL, NULL},
    {"srv_atom", NULL, NULL},           {"srv_pid", NULL, NULL},
};

/* "const char *key", "worker_point where", "FILE *log": a declaration. */
static void declare(struct emitter *e, struct buf *b, const struct ast_field *f,
                    enum role role)
{
    const struct ast_type *t = &f->type;
    if (f->whole_declaration) {
        buf_puts(b, t->c_type);
    } else if (t->kind == AST_TYPE_STRING) {
        buf_printf(b, "%schar *%s", role == ROLE_ARG ? "const " : "", f->name);
    } else if (t->kind == AST_TYPE_RECORD) {
        buf_printf(b, "%s_%s %s", e->name, t->name, f->name);
    } else if (t->kind == AST_TYPE_PTR || t->kind == AST_TYPE_C) {
        size_t n = strlen(t->c_type);
        bool star = n > 0 && t->c_type[n - 1] == '*';
        buf_printf(b, "%s%s%s", t->c_type, star ? "" : " ", f->name);
    } else {
        buf_printf(b, "%s %s", scalars[t->kind].c_type, f->name);
    }
}

/* ", const char *key, srv_atom value": parameters after others. */
static void params(struct emitter *e, struct buf *b, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_puts(b, ", ");
        declare(e, b, f, ROLE_ARG);
    }
}

/* Struct members, one a line, indented by four. */
static void members(struct emitter *e, struct buf *b, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_puts(b, "    ");
        declare(e, b, f, ROLE_OWNED);
        buf_puts(b, ";\n");
    }
}

static bool owns_memory(const struct ast_type *t)
{
    return t->kind == AST_TYPE_STRING || t->kind == AST_TYPE_BYTES ||
           t->kind == AST_TYPE_RECORD || (t->kind == AST_TYPE_PTR && t->free_fn != NULL);
}

/* Whether fields own memory: if not, a plain copy of their struct is a
 * whole copy, and nothing needs freeing. */
static bool fields_own_memory(const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        if (!f->whole_declaration && owns_memory(&f->type))
            return true;
    return false;
}

/* Whether a copy of a value of type t allocates (and so may fail). */
static bool copy_allocates(const struct ast_type *t)
{
    if (t->kind == AST_TYPE_RECORD && t->record != NULL) {
        for (const struct ast_field *f = t->record->fields; f != NULL; f = f->next)
            if (!f->whole_declaration && copy_allocates(&f->type))
                return true;
        return false;
    }
    return t->kind == AST_TYPE_STRING || t->kind == AST_TYPE_BYTES ||
           t->kind == AST_TYPE_RECORD;
}

static bool any_copy_allocates(const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        if (!f->whole_declaration && copy_allocates(&f->type))
            return true;
    return false;
}

/* dst = a deep copy of src.  With fail set (a copy that can report out of
 * memory), a failed allocation jumps to the function's `fail` label. */
static void copy_value(struct emitter *e, struct buf *b, const char *dst, const char *src,
                       const struct ast_type *t, bool fail)
{
    if (t->kind == AST_TYPE_STRING) {
        buf_printf(b, "%s = srv_strdup(%s);\n", dst, src);
        if (fail)
            buf_printf(b, "if (%s == NULL && %s != NULL)\n    goto fail;\n", dst, src);
    } else if (t->kind == AST_TYPE_BYTES) {
        buf_printf(b, "%s.data = (unsigned char *)srv_memdup(%s.data, %s.len);\n", dst, src,
                   src);
        buf_printf(b, "%s.len = %s.len;\n", dst, src);
        if (fail)
            buf_printf(b, "if (%s.data == NULL && %s.data != NULL && %s.len > 0)\n"
                          "    goto fail;\n", dst, src, src);
    } else if (t->kind == AST_TYPE_RECORD && fail && copy_allocates(t)) {
        buf_printf(b, "if (!%s_%s_copy(&%s, &%s))\n    goto fail;\n", e->name, t->name, dst,
                   src);
    } else if (t->kind == AST_TYPE_RECORD) {
        buf_printf(b, "%s_%s_copy(&%s, &%s);\n", e->name, t->name, dst, src);
    } else {
        buf_printf(b, "%s = %s;\n", dst, src);
    }
}

/* After a failed copy: the pointers that move with a message (ptr with a
 * free function) are set back to NULL in the copy, so that freeing it
 * leaves them to the sender, who still owns them. */
static void disown_value(struct buf *b, const char *expr, const struct ast_type *t)
{
    if (t->kind == AST_TYPE_PTR && t->free_fn != NULL) {
        buf_printf(b, "%s = NULL;\n", expr);
    } else if (t->kind == AST_TYPE_RECORD && t->record != NULL) {
        for (const struct ast_field *f = t->record->fields; f != NULL; f = f->next) {
            char inner[320];
            snprintf(inner, sizeof inner, "%s.%s", expr, f->name);
            if (!f->whole_declaration)
                disown_value(b, inner, &f->type);
        }
    }
}

/* Releases what expr owns and clears it, so that a second release (a
 * state field freed in terminate, a reply freed twice) frees nothing. */
static void free_value(struct emitter *e, struct buf *b, const char *expr,
                       const struct ast_type *t)
{
    if (t->kind == AST_TYPE_STRING)
        buf_printf(b, "free((void *)%s);\n%s = NULL;\n", expr, expr);
    else if (t->kind == AST_TYPE_BYTES)
        buf_printf(b, "free(%s.data);\n%s.data = NULL;\n%s.len = 0;\n", expr, expr, expr);
    else if (t->kind == AST_TYPE_RECORD)
        buf_printf(b, "%s_%s_free(&%s);\n", e->name, t->name, expr);
    else if (t->kind == AST_TYPE_PTR && t->free_fn != NULL)
        buf_printf(b, "if (%s != NULL)\n    %s(%s);\n%s = NULL;\n", expr, t->free_fn, expr,
                   expr);
}

/* Prints expr in Erlang's notation. */
static void format_value(struct emitter *e, struct buf *b, const char *expr,
                         const struct ast_type *t)
{
    enum ast_type_kind k = t->kind;
    if (k <= AST_TYPE_PID && scalars[k].format != NULL)
        buf_printf(b, "srv_buf_printf(out, \"%s\", (%s)%s);\n", scalars[k].format,
                   scalars[k].cast, expr);
    else if (k == AST_TYPE_BOOL)
        buf_printf(b, "srv_buf_printf(out, \"%%s\", %s ? \"true\" : \"false\");\n", expr);
    else if (k == AST_TYPE_STRING)
        buf_printf(b, "srv_buf_put_string(out, %s);\n", expr);
    else if (k == AST_TYPE_BYTES)
        buf_printf(b, "srv_buf_put_bytes(out, %s.data, %s.len);\n", expr, expr);
    else if (k == AST_TYPE_ATOM)
        buf_printf(b, "srv_buf_put_atom(out, %s);\n", expr);
    else if (k == AST_TYPE_PID)
        buf_printf(b, "srv_buf_printf(out, \"%%s\", srv_pid_format(%s).s);\n", expr);
    else if (k == AST_TYPE_RECORD)
        buf_printf(b, "%s_%s_format(out, &%s);\n", e->name, t->name, expr);
    else /* ptr and raw C: shown, not printed */
        buf_puts(b, "srv_buf_printf(out, \"...\");\n");
}

/* What each field of a list gets: copy_value, free_value, ... with
 * "PREFIXname" for the field, whole C declarations left out. */
enum field_job { JOB_COPY, JOB_COPY_OR_FAIL, JOB_DISOWN, JOB_FREE };

static void each_field(struct emitter *e, struct buf *b, enum field_job job, const char *dst,
                       const char *src, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        char to[160], from[160];
        snprintf(to, sizeof to, "%s%s", dst, f->name);
        snprintf(from, sizeof from, "%s%s", src, f->name);
        if (f->whole_declaration && (job == JOB_COPY || job == JOB_COPY_OR_FAIL))
            buf_printf(b, "memcpy(&%s, &%s, sizeof %s);\n", to, from, to);
        else if (f->whole_declaration)
            continue;
        else if (job == JOB_COPY || job == JOB_COPY_OR_FAIL)
            copy_value(e, b, to, from, &f->type, job == JOB_COPY_OR_FAIL);
        else if (job == JOB_DISOWN)
            disown_value(b, to, &f->type);
        else
            free_value(e, b, to, &f->type);
    }
}

/* A deep copy of fields from src to dst (their prefixes) into copy and,
 * when it can fail (returns true), what undoes it after `fail:` into undo:
 * moved pointers go back to the sender, and with free_each, what was
 * copied is freed field by field. */
static bool copy_fields(struct emitter *e, struct buf *copy, struct buf *undo,
                        const struct ast_field *fields, const char *dst, const char *src,
                        bool free_each)
{
    bool can_fail = any_copy_allocates(fields);
    if (can_fail)
        buf_puts(copy, "memset(dst, 0, sizeof *dst);\n");
    each_field(e, copy, can_fail ? JOB_COPY_OR_FAIL : JOB_COPY, dst, src, fields);
    if (!can_fail)
        return false;
    each_field(e, undo, JOB_DISOWN, dst, "", fields);
    if (free_each)
        each_field(e, undo, JOB_FREE, dst, "", fields);
    return true;
}

/* "#{key => '0x01f',value => <<"test">>}": a map of the fields. */
static void format_fields(struct emitter *e, struct buf *b, const char *prefix,
                          const struct ast_field *fields)
{
    buf_puts(b, "srv_buf_printf(out, \"#{\");\n");
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_printf(b, "srv_buf_printf(out, \"%s%s => \");\n", f == fields ? "" : ",", f->name);
        char expr[160];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        format_value(e, b, expr, &f->type);
    }
    buf_puts(b, "srv_buf_printf(out, \"}\");\n");
}

/* text without its last newline, into d as name. */
static void set_text(struct tmpl_dict *d, const char *name, struct buf *text)
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
    size_t n = strlen(name);
    const char *last = "  "; /* the last character outside spaces and comments */
    for (const char *p = code; *p != '\0'; last = strchr(" \t\n", p[-1]) ? last : p - 1) {
        if (p[0] == '/' && p[1] == '*') {
            const char *close = strstr(p + 2, "*/");
            p = close != NULL ? close + 2 : p + strlen(p);
        } else if (p[0] == '/' && p[1] == '/') {
            p += strcspn(p, "\n");
        } else if (*p == '"' || *p == '\'') {
            char quote = *p++;
            while (*p != '\0' && *p != quote && *p != '\n')
                p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
            p += *p == quote;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            size_t len = 0;
            while (isalnum((unsigned char)p[len]) || p[len] == '_')
                len++;
            bool member = *last == '.' || (*last == '>' && last > code && last[-1] == '-');
            if (len == n && memcmp(p, name, n) == 0 && !member)
                return true;
            p += len;
        } else {
            p++;
        }
    }
    return false;
}

/* A path as a C string's contents. */
static void put_quoted(struct buf *b, const char *path)
{
    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            buf_puts(b, "\\");
        buf_append(b, p, 1);
    }
}

/* The user's code: #line to the spec, the text at its own column, and
 * #line back to the output. */
static void body(struct emitter *e, struct buf *b, const struct ast_code *code)
{
    if (e->opts->line_directives) {
        buf_printf(b, "#line %d \"", code->loc.first_line);
        put_quoted(b, e->opts->spec_path);
        buf_puts(b, "\"\n");
    }
    for (int i = 1; i < code->loc.first_column; i++)
        buf_puts(b, " ");
    buf_puts(b, code->text);
    if (b->len > 0 && b->data[b->len - 1] != '\n')
        buf_puts(b, "\n");
    if (e->opts->line_directives) {
        buf_printf(b, "#line " OUTPUT_LINE " \"");
        put_quoted(b, e->out_path);
        buf_puts(b, "\"\n");
    }
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
    [AST_CAST] = {"cast", NULL, "srv_noreply_result", "%s_state *state", "", "srv_", "state"},
    [AST_INFO] = {"info", NULL, "srv_noreply_result", "%s_state *state", "", "srv_", "state"},
    [AST_INFO_TIMEOUT] = {"info timeout", "timeout", "srv_noreply_result", "%s_state *state",
                          "", "srv_", "state"},
    [AST_INFO_EXIT] = {"info exit", "exit", "srv_noreply_result", "%s_state *state",
                       ", srv_pid pid, srv_atom reason", "srv_", "state pid reason"},
    [AST_INFO_DOWN] = {"info down", "down", "srv_noreply_result", "%s_state *state",
                       ", uint64_t ref, srv_pid pid, srv_atom reason", "srv_",
                       "state ref pid reason"},
    [AST_TERMINATE] = {"terminate", "terminate", "void", "%s_state *state",
                       ", srv_atom reason", "", "state reason"},
    [AST_FORMAT_STATUS] = {"format_status", "format_status", "void",
                           "const %s_state *state, srv_buf *out, srv_atom reason", "", "",
                           "state out reason"},
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

static bool is_message(const struct ast_handler *h)
{
    return h->kind == AST_CALL || h->kind == AST_CAST || h->kind == AST_INFO;
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
    params(e, &sig, h->args);
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
    struct buf text;
    buf_init(&text);
    body(e, &text, &h->body);
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
static int render(struct emitter *e, const char *name, const struct tmpl_dict *d,
                  struct buf *out)
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
    return h->kind == AST_CALL ? "CALL" : h->kind == AST_CAST ? "CAST" : "INFO";
}

/* The fields of a list as items: member (a declaration), arg (the name),
 * format (its printer, from PREFIXname). */
static void field_items(struct emitter *e, struct tmpl_dict *d, const char *list,
                        const struct ast_field *fields, const char *prefix, enum role role)
{
    tmpl_list(d, list);
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        struct tmpl_dict *item = tmpl_add(d, list);
        struct buf b;
        buf_init(&b);
        declare(e, &b, f, role);
        set_text(item, "member", &b);
        tmpl_set(item, "arg", f->name);
        char expr[160];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        buf_init(&b);
        format_value(e, &b, expr, &f->type);
        set_text(item, "format", &b);
    }
}

/* A copy of fields from src-> to dst-> (copy_fields), into d as copy,
 * copy_fails and uncopy. */
static void set_copy(struct emitter *e, struct tmpl_dict *d, const struct ast_field *fields,
                     bool free_each)
{
    struct buf copy, undo;
    buf_init(&copy);
    buf_init(&undo);
    bool fails = copy_fields(e, &copy, &undo, fields, "dst->", "src->", free_each);
    tmpl_set(d, "copy_fails", fails ? "1" : "");
    set_text(d, "copy", &copy);
    set_text(d, "uncopy", &undo);
}

/* ", const char *key, srv_atom value": the fields as parameters, into d. */
static void set_params(struct emitter *e, struct tmpl_dict *d, const char *name,
                       const struct ast_field *fields)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    params(e, &b, fields);
    set_text(d, name, &b);
}

/* ", key, value" (or "key, value" without lead): the fields' names. */
static void set_names(struct tmpl_dict *d, const char *name, const struct ast_field *fields,
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
    field_items(e, d, "args", h->args, "a->", ROLE_ARG);
    set_params(e, d, "params", h->args);
    set_names(d, "arg_names", h->args, "", true);
    set_names(d, "arg_reads", h->args, "a->", true);
    bool printed = false; /* whether the printer reads an argument: ptr and c(...) it does not */
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        printed |= f->type.kind != AST_TYPE_PTR && f->type.kind != AST_TYPE_C;
    tmpl_set(d, "printed", printed ? "1" : "");
    bool copies = fields_own_memory(h->args);
    tmpl_set(d, "copies", copies ? "1" : "");
    tmpl_setf(d, "args_size", h->args ? "sizeof(struct %s_%s_args)" : "0", n, c);
    tmpl_set(d, "args_ref", h->args ? "&srv_args" : "NULL");
    tmpl_setf(d, "copy_fn", copies ? "%s_%s_copy_args" : "NULL", n, c);
    tmpl_setf(d, "free_fn", copies ? "%s_%s_free_args" : "NULL", n, c);
    set_copy(e, d, h->args, true);
    struct buf b;
    buf_init(&b);
    each_field(e, &b, JOB_FREE, "a->", "", h->args);
    set_text(d, "free", &b);
}

/* One of a call's result constructors (templates/results.c.tmpl). */
static const struct {
    const char *form, *extra, *action, *timeout, *reason, *fail_kind;
    bool fields;
} result_forms[] = {
    {"reply", "", "SRV_ACTION_REPLY", "SRV_INFINITY", "0", "SRV_ACTION_REPLY_ENOMEM", true},
    {"reply_timeout", "long srv_timeout_ms", "SRV_ACTION_REPLY", "srv_timeout_ms", "0",
     "SRV_ACTION_REPLY_ENOMEM", true},
    {"noreply", "", "SRV_ACTION_NOREPLY", "SRV_INFINITY", "0", NULL, false},
    {"noreply_timeout", "long srv_timeout_ms", "SRV_ACTION_NOREPLY", "srv_timeout_ms", "0",
     NULL, false},
    {"stop", "srv_atom srv_reason", "SRV_ACTION_STOP", "SRV_INFINITY", "srv_reason", NULL,
     false},
    {"stop_reply", "srv_atom srv_reason", "SRV_ACTION_STOP_REPLY", "SRV_INFINITY",
     "srv_reason", "SRV_ACTION_STOP", true},
};

/* A call's result type and constructors, rendered from their template. */
static int call_results(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    bool can_fail = any_copy_allocates(h->reply);
    struct buf fill, unfill;
    buf_init(&fill);
    buf_init(&unfill);
    buf_puts(&fill, h->reply == NULL ? "srv_r.reply.replied = true;\n" : "");
    each_field(e, &fill, can_fail ? JOB_COPY_OR_FAIL : JOB_COPY, "srv_r.reply.", "", h->reply);
    /* Out of memory for the reply's copy: what was copied goes (moved
     * pointers stay the handler's), and the caller's call returns
     * SRV_ENOMEM; a stop_reply still stops. */
    each_field(e, &unfill, JOB_DISOWN, "srv_r.reply.", "", h->reply);
    each_field(e, &unfill, JOB_FREE, "srv_r.reply.", "", h->reply);
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
            params(e, &sig, h->reply);
        const char *p = sig.data[0] == ',' ? sig.data + 2 : sig.data;
        tmpl_set(f, "form_params", p[0] != '\0' ? p : "void");
        buf_free(&sig);
        tmpl_set(f, "form", result_forms[i].form);
        tmpl_set(f, "action", result_forms[i].action);
        tmpl_set(f, "timeout", result_forms[i].timeout);
        tmpl_set(f, "reason", result_forms[i].reason);
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
    field_items(e, d, "reply", h->reply, "", ROLE_OWNED);
    bool owns = fields_own_memory(h->reply);
    tmpl_set(d, "reply_owns", owns ? "1" : "");
    tmpl_setf(d, "reply_size", "sizeof(%s_%s_reply)", n, c);
    tmpl_setf(d, "free_reply_fn", owns ? "%s_%s_free_reply" : "NULL", n, c);
    set_params(e, d, "reply_params", h->reply);
    set_names(d, "reply_names", h->reply, "", false);
    struct buf b;
    buf_init(&b);
    each_field(e, &b, JOB_FREE, "reply->", "", h->reply);
    set_text(d, "reply_free", &b);
    tmpl_set(d, "external", h->has_body ? "" : "1");
    return call_results(e, d, h);
}

/* Everything the templates say of one message. */
static int message(struct emitter *e, struct tmpl_dict *d, const struct ast_handler *h)
{
    const char *n = e->name;
    char constant[160];
    int len = snprintf(constant, sizeof constant, "%s_%s_%s", e->upper, kind_word(h), h->name);
    for (int i = 0; i < len && i < (int)sizeof constant; i++)
        constant[i] = (char)toupper((unsigned char)constant[i]);
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
    if (h->kind != AST_CALL) {
        tmpl_set(d, "reply_owns", "");
        tmpl_set(d, "reply_size", "0");
        tmpl_set(d, "free_reply_fn", "NULL");
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
    field_items(e, d, "fields", r->fields, "record->", ROLE_OWNED);
    set_copy(e, d, r->fields, false);
    tmpl_set(d, "owns", fields_own_memory(r->fields) ? "1" : "");
    struct buf b;
    buf_init(&b);
    each_field(e, &b, JOB_FREE, "record->", "", r->fields);
    set_text(d, "free", &b);
    buf_init(&b);
    format_fields(e, &b, "record->", r->fields);
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

/* For each string, bytes and ptr(..., FREEFN) the state owns, however deep
 * in records: if p is it, the field is cleared. */
static void forget_fields(struct buf *b, const char *prefix, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        char expr[256];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        const struct ast_type *t = &f->type;
        if (f->whole_declaration)
            continue;
        if (t->kind == AST_TYPE_STRING || (t->kind == AST_TYPE_PTR && t->free_fn != NULL)) {
            buf_printf(b, "if (p == (const void *)%s)\n    %s = NULL;\n", expr, expr);
        } else if (t->kind == AST_TYPE_BYTES) {
            buf_printf(b, "if (p == (const void *)%s.data) {\n    %s.data = NULL;\n"
                          "    %s.len = 0;\n}\n", expr, expr, expr);
        } else if (t->kind == AST_TYPE_RECORD && t->record != NULL) {
            char inner[264];
            snprintf(inner, sizeof inner, "%s.", expr);
            forget_fields(b, inner, t->record->fields);
        }
    }
}

/* The state: its fields, printer, free, and terminate's clearing free(). */
static void server_state(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_field *state = e->spec->state;
    struct buf b;
    buf_init(&b);
    if (state != NULL)
        members(e, &b, state);
    else
        buf_puts(&b, "    bool started; /* the spec declares no state */\n");
    set_text(d, "state_fields", &b);
    tmpl_set(d, "state", state != NULL ? "1" : "");
    buf_init(&b);
    format_fields(e, &b, "s->", state);
    set_text(d, "format_state", &b);
    buf_init(&b);
    each_field(e, &b, JOB_FREE, "s->", "", state);
    set_text(d, "free_state", &b);
    buf_init(&b);
    const struct ast_handler *t = ast_find_handler(e->spec, AST_TERMINATE);
    if (t != NULL && t->has_body)
        forget_fields(&b, "s->", state);
    set_text(d, "forget", &b);
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
}

/* init: its arguments, how the start functions pass them on. */
static void server_init(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_handler *init = ast_find_handler(e->spec, AST_INIT);
    const struct ast_field *args = init != NULL ? init->args : NULL;
    tmpl_set(d, "init", init != NULL ? "1" : "");
    field_items(e, d, "init_args", args, "a->", ROLE_ARG);
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    params(e, &b, args);
    if (b.len > 0)
        buf_puts(&b, ", ");
    tmpl_set(d, "init_params", b.data + (b.len > 0 ? 2 : 0));
    buf_free(&b);
    set_names(d, "init_reads", args, "a->", true);
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
        for (const struct ast_field *f = e->spec->state; f != NULL; f = f->next)
            frees |= !f->whole_declaration && owns_memory(&f->type);
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

/* The messages (calls, casts, infos) and what dispatch needs of them. */
static int server_messages(struct emitter *e, struct tmpl_dict *d)
{
    size_t count = 0;
    bool any_args = false, any_call = false, header_results = false;
    tmpl_list(d, "messages");
    tmpl_list(d, "calls");
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        if (!is_message(h))
            continue;
        count++;
        any_args |= h->args != NULL;
        any_call |= h->kind == AST_CALL;
        if (message(e, tmpl_add(d, "messages"), h) != 0 ||
            (h->kind == AST_CALL && message(e, tmpl_add(d, "calls"), h) != 0))
            return -1;
        header_results |= h->kind == AST_CALL && !h->has_body;
    }
    tmpl_setf(d, "message_count", "%zu", count);
    tmpl_setf(d, "messages_fn", count > 0 ? "%s_messages" : "NULL", e->name);
    tmpl_set(d, "header_results", header_results ? "1" : "");
    tmpl_list(d, "dispatch_unused");
    const char *unused[] = {any_args ? NULL : "args", any_call ? NULL : "from",
                            any_call ? NULL : "reply"};
    for (size_t i = 0; i < 3; i++)
        if (unused[i] != NULL)
            tmpl_set(tmpl_add(d, "dispatch_unused"), "param", unused[i]);
    return 0;
}

/* Verbatim C blocks, each with its #line, into d as name. */
static void code_blocks(struct emitter *e, struct tmpl_dict *d, const char *name,
                        const struct ast_code *blocks, size_t n)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "/* %%{ block: %s:%d */\n", e->opts->spec_path, blocks[i].loc.first_line);
        body(e, &b, &blocks[i]);
    }
    set_text(d, name, &b);
}

/* The data both templates read.  Returns 0, or -1 with e->error set. */
static int server_data(struct emitter *e, struct tmpl_dict *d, const char *h_path)
{
    const struct ast_spec *spec = e->spec;
    tmpl_set(d, "version", SRVC_VERSION);
    tmpl_set(d, "spec", e->opts->spec_path);
    tmpl_set(d, "name", e->name);
    tmpl_set(d, "NAME", e->upper);
    tmpl_set(d, "header", e->opts->header_name);
    tmpl_setf(d, "guard", "%s_SRV_H", e->upper);
    e->out_path = h_path;
    code_blocks(e, d, "header_blocks", spec->h_blocks, spec->n_h_blocks);
    e->out_path = e->opts->c_path;
    code_blocks(e, d, "c_blocks", spec->c_blocks, spec->n_c_blocks);
    emit_records(e, d);
    server_state(e, d);
    server_callbacks(e, d, fields_own_memory(spec->state));
    server_init(e, d);
    server_handlers(e, d);
    return server_messages(e, d);
}

int emit_server(const struct ast_spec *spec, const struct emit_options *opts,
                struct diag *d, struct buf *h, struct buf *c)
{
    /* the header's path: the .c's, with .h */
    size_t c_len = strlen(opts->c_path);
    char *h_path = malloc(c_len + 1);
    if (h_path == NULL)
        return -1;
    memcpy(h_path, opts->c_path, c_len + 1);
    if (c_len > 0)
        h_path[c_len - 1] = 'h';
    struct emitter e = {spec, opts, h_path, spec->name, {0}, {0}};
    for (size_t i = 0; spec->name[i] != '\0' && i + 1 < sizeof e.upper; i++)
        e.upper[i] = (char)toupper((unsigned char)spec->name[i]);
    struct tmpl_dict *data = tmpl_dict_new();
    int status = 0;
    if (server_data(&e, data, h_path) != 0 || render(&e, "server.h", data, h) != 0 ||
        render(&e, "server.c", data, c) != 0) {
        diag_errorf(d, "internal error: %s", e.error);
        status = -1;
    }
    tmpl_dict_free(data);
    free(h_path);
    return status;
}
