/*
 * emit.c: the generated code.  The shape of each file is its template
 * (templates/server.h.tmpl, templates/server.c.tmpl); this file builds the
 * pieces that depend on the spec, type by type and handler by handler, and
 * hands them to the templates as variables.
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
    const char *header_path; /* NAME.srv.h: for #line back to it */
};

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

/* ---------------------------------------------------------------------- */
/* Types                                                                   */

enum role {
    ROLE_ARG,   /* a parameter of the API: strings are const char * */
    ROLE_OWNED  /* a struct member that owns what it points to */
};

static const char *scalar_c_type(enum ast_type_kind kind)
{
    switch (kind) {
    case AST_TYPE_I8: return "int8_t";
    case AST_TYPE_I16: return "int16_t";
    case AST_TYPE_I32: return "int32_t";
    case AST_TYPE_I64: return "int64_t";
    case AST_TYPE_U8: return "uint8_t";
    case AST_TYPE_U16: return "uint16_t";
    case AST_TYPE_U32: return "uint32_t";
    case AST_TYPE_U64: return "uint64_t";
    case AST_TYPE_INT: return "int";
    case AST_TYPE_DOUBLE: return "double";
    case AST_TYPE_FLOAT: return "float";
    case AST_TYPE_BOOL: return "bool";
    case AST_TYPE_BYTES: return "srv_bytes";
    case AST_TYPE_ATOM: return "srv_atom";
    case AST_TYPE_PID: return "srv_pid";
    default: return NULL;
    }
}

/* "const char *key", "worker_point where", "FILE *log": a declaration. */
static void declare(struct emitter *e, struct buf *b, const struct ast_field *f,
                    enum role role)
{
    const struct ast_type *t = &f->type;
    if (f->whole_declaration) {
        buf_puts(b, t->c_type);
        return;
    }
    switch (t->kind) {
    case AST_TYPE_STRING:
        buf_printf(b, "%schar *%s", role == ROLE_ARG ? "const " : "", f->name);
        return;
    case AST_TYPE_RECORD:
        buf_printf(b, "%s_%s %s", e->name, t->name, f->name);
        return;
    case AST_TYPE_PTR:
    case AST_TYPE_C: {
        size_t n = strlen(t->c_type);
        bool star = n > 0 && t->c_type[n - 1] == '*';
        buf_printf(b, "%s%s%s", t->c_type, star ? "" : " ", f->name);
        return;
    }
    default:
        buf_printf(b, "%s %s", scalar_c_type(t->kind), f->name);
    }
}

/* ", const char *key, srv_atom value": parameters after others. */
static void params(struct emitter *e, struct buf *b, const struct ast_field *fields,
                   bool leading_comma)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        if (leading_comma || f != fields)
            buf_puts(b, ", ");
        declare(e, b, f, ROLE_ARG);
    }
}

/* Struct members, one a line, indented by four. */
/* A header struct's members.  A raw C type (c(...), ptr(...)) is one srvc
 * cannot check: its member stands under #line at the type's own line and
 * column in the spec, so that the C compiler reports an unknown type
 * there, not in the header. */
static void members(struct emitter *e, struct buf *b, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        bool raw = f->type.kind == AST_TYPE_C || f->type.kind == AST_TYPE_PTR;
        if (raw && e->opts->line_directives) {
            line_directive(b, f->type.loc.first_line, e->opts->spec_path);
            for (int i = 0; i < f->type.loc.last_column; i++)
                buf_puts(b, " ");
        } else {
            buf_puts(b, "    ");
        }
        declare(e, b, f, ROLE_OWNED);
        buf_puts(b, ";\n");
        bool next_raw = f->next != NULL && (f->next->type.kind == AST_TYPE_C ||
                                            f->next->type.kind == AST_TYPE_PTR);
        if (raw && !next_raw && e->opts->line_directives)
            line_directive(b, -1, e->header_path);
    }
}

static bool owns_memory(const struct ast_type *t)
{
    return t->kind == AST_TYPE_STRING || t->kind == AST_TYPE_BYTES ||
           t->kind == AST_TYPE_RECORD || (t->kind == AST_TYPE_PTR && t->free_fn != NULL);
}

/* Whether a message's arguments own memory: if not, a plain copy of their
 * struct is a whole copy, and the module table says so with NULL copy and
 * free functions (the runtime copies with memcpy, frees nothing). */
static bool args_own_memory(const struct ast_handler *h)
{
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        if (owns_memory(&f->type))
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

/* dst = a deep copy of src.  With fail set (a copy that can report out of
 * memory), a failed allocation jumps to the function's `fail` label. */
static void copy_value(struct emitter *e, struct buf *b, const char *indent,
                       const char *dst, const char *src, const struct ast_type *t,
                       bool fail)
{
    switch (t->kind) {
    case AST_TYPE_STRING:
        buf_printf(b, "%s%s = srv_strdup(%s);\n", indent, dst, src);
        if (fail)
            buf_printf(b, "%sif (%s == NULL && %s != NULL)\n%s    goto fail;\n", indent, dst,
                       src, indent);
        return;
    case AST_TYPE_BYTES:
        buf_printf(b, "%s%s.data = (unsigned char *)srv_memdup(%s.data, %s.len);\n", indent, dst,
                   src, src);
        buf_printf(b, "%s%s.len = %s.len;\n", indent, dst, src);
        if (fail)
            buf_printf(b, "%sif (%s.data == NULL && %s.data != NULL && %s.len > 0)\n%s    goto fail;\n",
                       indent, dst, src, src, indent);
        return;
    case AST_TYPE_RECORD:
        if (fail && copy_allocates(t))
            buf_printf(b, "%sif (!%s_%s_copy(&%s, &%s))\n%s    goto fail;\n", indent, e->name,
                       t->name, dst, src, indent);
        else
            buf_printf(b, "%s%s_%s_copy(&%s, &%s);\n", indent, e->name, t->name, dst, src);
        return;
    default:
        buf_printf(b, "%s%s = %s;\n", indent, dst, src);
    }
}

/* After a failed copy: the pointers that move with a message (ptr with a
 * free function) are set back to NULL in the copy, so that freeing it
 * leaves them to the sender, who still owns them. */
static void disown_value(struct buf *b, const char *indent, const char *expr,
                         const struct ast_type *t)
{
    if (t->kind == AST_TYPE_PTR && t->free_fn != NULL) {
        buf_printf(b, "%s%s = NULL;\n", indent, expr);
    } else if (t->kind == AST_TYPE_RECORD && t->record != NULL) {
        for (const struct ast_field *f = t->record->fields; f != NULL; f = f->next) {
            char inner[320];
            snprintf(inner, sizeof inner, "%s.%s", expr, f->name);
            if (!f->whole_declaration)
                disown_value(b, indent, inner, &f->type);
        }
    }
}

/* Releases what expr owns and clears it, so that a second release (a
 * state field freed in terminate, a reply freed twice) frees nothing. */
static void free_value(struct emitter *e, struct buf *b, const char *indent,
                       const char *expr, const struct ast_type *t)
{
    switch (t->kind) {
    case AST_TYPE_STRING:
        buf_printf(b, "%sfree((void *)%s);\n%s%s = NULL;\n", indent, expr, indent, expr);
        return;
    case AST_TYPE_BYTES:
        buf_printf(b, "%sfree(%s.data);\n%s%s.data = NULL;\n%s%s.len = 0;\n", indent, expr,
                   indent, expr, indent, expr);
        return;
    case AST_TYPE_RECORD:
        buf_printf(b, "%s%s_%s_free(&%s);\n", indent, e->name, t->name, expr);
        return;
    case AST_TYPE_PTR:
        if (t->free_fn != NULL)
            buf_printf(b, "%sif (%s != NULL)\n%s    %s(%s);\n%s%s = NULL;\n", indent, expr,
                       indent, t->free_fn, expr, indent, expr);
        return;
    default:
        return;
    }
}

/* Prints expr in Erlang's notation. */
static void format_value(struct emitter *e, struct buf *b, const char *indent,
                         const char *expr, const struct ast_type *t)
{
    switch (t->kind) {
    case AST_TYPE_I8: case AST_TYPE_I16: case AST_TYPE_I32: case AST_TYPE_I64:
    case AST_TYPE_INT:
        buf_printf(b, "%ssrv_buf_printf(out, \"%%lld\", (long long)%s);\n", indent, expr);
        return;
    case AST_TYPE_U8: case AST_TYPE_U16: case AST_TYPE_U32: case AST_TYPE_U64:
        buf_printf(b, "%ssrv_buf_printf(out, \"%%llu\", (unsigned long long)%s);\n", indent,
                   expr);
        return;
    case AST_TYPE_DOUBLE: case AST_TYPE_FLOAT:
        buf_printf(b, "%ssrv_buf_printf(out, \"%%g\", (double)%s);\n", indent, expr);
        return;
    case AST_TYPE_BOOL:
        buf_printf(b, "%ssrv_buf_printf(out, \"%%s\", %s ? \"true\" : \"false\");\n", indent,
                   expr);
        return;
    case AST_TYPE_STRING:
        buf_printf(b, "%ssrv_buf_put_string(out, %s);\n", indent, expr);
        return;
    case AST_TYPE_BYTES:
        buf_printf(b, "%ssrv_buf_put_bytes(out, %s.data, %s.len);\n", indent, expr, expr);
        return;
    case AST_TYPE_ATOM:
        buf_printf(b, "%ssrv_buf_put_atom(out, %s);\n", indent, expr);
        return;
    case AST_TYPE_PID:
        buf_printf(b, "%ssrv_buf_printf(out, \"%%s\", srv_pid_format(%s).s);\n", indent, expr);
        return;
    case AST_TYPE_RECORD:
        buf_printf(b, "%s%s_%s_format(out, &%s);\n", indent, e->name, t->name, expr);
        return;
    default: /* ptr and raw C: shown, not printed */
        buf_printf(b, "%ssrv_buf_printf(out, \"...\");\n", indent);
    }
}

/* "#{key => '0x01f',value => <<"test">>}": a map of the fields. */
static void format_fields(struct emitter *e, struct buf *b, const char *prefix,
                          const struct ast_field *fields)
{
    buf_puts(b, "    srv_buf_printf(out, \"#{\");\n");
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_printf(b, "    srv_buf_printf(out, \"%s%s => \");\n", f == fields ? "" : ",",
                   f->name);
        char expr[160];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        format_value(e, b, "    ", expr, &f->type);
    }
    buf_puts(b, "    srv_buf_printf(out, \"}\");\n");
}

/* ---------------------------------------------------------------------- */
/* Handler bodies                                                          */

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

struct result_macro {
    const char *name, *target;
};

/* The end of a handler's function name: worker_handle_<this>. */
static const char *handler_suffix(const struct ast_handler *h)
{
    switch (h->kind) {
    case AST_INIT: return "init";
    case AST_INFO_TIMEOUT: return "timeout";
    case AST_INFO_EXIT: return "exit";
    case AST_INFO_DOWN: return "down";
    case AST_TERMINATE: return "terminate";
    case AST_FORMAT_STATUS: return "format_status";
    default: return h->name;
    }
}

/* How the spec spells the handler: "call query", "info timeout", "init". */
static void handler_label(struct buf *b, const struct ast_handler *h)
{
    switch (h->kind) {
    case AST_CALL: buf_printf(b, "call %s", h->name); return;
    case AST_CAST: buf_printf(b, "cast %s", h->name); return;
    case AST_INFO: buf_printf(b, "info %s", h->name); return;
    case AST_INFO_TIMEOUT: case AST_INFO_EXIT: case AST_INFO_DOWN:
        buf_printf(b, "info %s", handler_suffix(h));
        return;
    default: buf_puts(b, handler_suffix(h));
    }
}

/* A handler's function: signature, the names its body uses, the body. */
static void handler_function(struct emitter *e, struct buf *b, const struct ast_handler *h,
                             const char *result_type, const char *signature_tail,
                             const struct result_macro *macros, size_t n_macros,
                             const char *const *unused, size_t n_unused)
{
    buf_puts(b, "/* ");
    handler_label(b, h);
    buf_printf(b, ": %s:%d */\n", e->opts->spec_path, h->loc.first_line);
    buf_printf(b, "static %s %s_handle_%s(%s)\n{\n", result_type, e->name, handler_suffix(h),
               signature_tail);
    buf_puts(b, "    srv_pid self = srv_self();\n");
    buf_puts(b, "    (void)self;\n");
    for (size_t i = 0; i < n_unused; i++)
        buf_printf(b, "    (void)%s;\n", unused[i]);
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        buf_printf(b, "    (void)%s;\n", f->name);
    for (size_t i = 0; i < n_macros; i++)
        buf_printf(b, "#define %s %s\n", macros[i].name, macros[i].target);
    /* the function's closing brace stands where the spec's does, so that
     * the C compiler reports a body that can end without a return there */
    body(e, b, &h->body, "}");
    for (size_t i = 0; i < n_macros; i++) {
        char name[64];
        size_t n = strcspn(macros[i].name, "(");
        snprintf(name, sizeof name, "%.*s", (int)n, macros[i].name);
        buf_printf(b, "#undef %s\n", name);
    }
    buf_puts(b, "\n");
}

/* ---------------------------------------------------------------------- */
/* Pieces of the header and the source                                     */

static bool is_message(const struct ast_handler *h)
{
    return h->kind == AST_CALL || h->kind == AST_CAST || h->kind == AST_INFO;
}

static const char *kind_word(const struct ast_handler *h)
{
    return h->kind == AST_CALL ? "CALL" : h->kind == AST_CAST ? "CAST" : "INFO";
}

/* WORKER_CALL_QUERY: the message's number in the module table. */
static void message_constant(struct emitter *e, struct buf *b, const struct ast_handler *h)
{
    buf_printf(b, "%s_%s_", e->upper, kind_word(h));
    for (const char *p = h->name; *p != '\0'; p++)
        buf_printf(b, "%c", toupper((unsigned char)*p));
}

/* "worker_query", "worker_show", "worker_send_tick": the client function. */
static void client_name(struct emitter *e, struct buf *b, const struct ast_handler *h)
{
    buf_printf(b, "%s_%s%s", e->name, h->kind == AST_INFO ? "send_" : "", h->name);
}

/* Records, in an order where each comes after the records it holds. */
static void emit_records(struct emitter *e, struct buf *types, struct buf *protos,
                         struct buf *code)
{
    size_t n = 0;
    for (const struct ast_record *r = e->spec->records; r != NULL; r = r->next)
        n++;
    const struct ast_record **done = calloc(n + 1, sizeof *done);
    size_t n_done = 0;
    while (n_done < n) {
        size_t before = n_done;
        for (const struct ast_record *r = e->spec->records; r != NULL; r = r->next) {
            bool emitted = false, ready = true;
            for (size_t i = 0; i < n_done; i++)
                emitted |= done[i] == r;
            for (const struct ast_field *f = r->fields; f != NULL && !emitted; f = f->next)
                if (f->type.kind == AST_TYPE_RECORD) {
                    bool have = false;
                    for (size_t i = 0; i < n_done; i++)
                        have |= done[i] == f->type.record;
                    ready &= have;
                }
            if (emitted || !ready)
                continue;
            done[n_done++] = r;
            buf_printf(types, "/* record %s: %s:%d */\ntypedef struct %s_%s {\n", r->name,
                       e->opts->spec_path, r->loc.first_line, e->name, r->name);
            members(e, types, r->fields);
            buf_printf(types, "} %s_%s;\n\n", e->name, r->name);

            /* false when out of memory: dst then owns nothing */
            buf_printf(protos, "bool %s_%s_copy(%s_%s *dst, const %s_%s *src);\n", e->name,
                       r->name, e->name, r->name, e->name, r->name);
            buf_printf(protos, "void %s_%s_free(%s_%s *record);\n", e->name, r->name, e->name,
                       r->name);
            buf_printf(protos, "void %s_%s_format(srv_buf *out, const %s_%s *record);\n",
                       e->name, r->name, e->name, r->name);

            buf_printf(code, "bool %s_%s_copy(%s_%s *dst, const %s_%s *src)\n{\n", e->name,
                       r->name, e->name, r->name, e->name, r->name);
            bool can_fail = false;
            for (const struct ast_field *f = r->fields; f != NULL; f = f->next)
                can_fail |= !f->whole_declaration && copy_allocates(&f->type);
            if (can_fail)
                buf_puts(code, "    memset(dst, 0, sizeof *dst);\n");
            for (const struct ast_field *f = r->fields; f != NULL; f = f->next) {
                char dst[160], src[160];
                snprintf(dst, sizeof dst, "dst->%s", f->name);
                snprintf(src, sizeof src, "src->%s", f->name);
                if (f->whole_declaration)
                    buf_printf(code, "    memcpy(&dst->%s, &src->%s, sizeof dst->%s);\n",
                               f->name, f->name, f->name);
                else
                    copy_value(e, code, "    ", dst, src, &f->type, can_fail);
            }
            buf_puts(code, "    return true;\n");
            if (can_fail) {
                buf_puts(code, "fail: /* out of memory: moved pointers stay the sender's */\n");
                for (const struct ast_field *f = r->fields; f != NULL; f = f->next) {
                    char expr[160];
                    snprintf(expr, sizeof expr, "dst->%s", f->name);
                    if (!f->whole_declaration)
                        disown_value(code, "    ", expr, &f->type);
                }
                buf_printf(code, "    %s_%s_free(dst);\n    memset(dst, 0, sizeof *dst);\n    return false;\n",
                           e->name, r->name);
            }
            buf_puts(code, "}\n\n");
            buf_printf(code, "void %s_%s_free(%s_%s *record)\n{\n    (void)record;\n",
                       e->name, r->name, e->name, r->name);
            for (const struct ast_field *f = r->fields; f != NULL; f = f->next) {
                char expr[160];
                snprintf(expr, sizeof expr, "record->%s", f->name);
                free_value(e, code, "    ", expr, &f->type);
            }
            buf_puts(code, "}\n\n");
            buf_printf(code, "void %s_%s_format(srv_buf *out, const %s_%s *record)\n{\n    (void)record;\n",
                       e->name, r->name, e->name, r->name);
            format_fields(e, code, "record->", r->fields);
            buf_puts(code, "}\n\n");
        }
        if (n_done == before)
            break; /* a cycle: check.c has reported it */
    }
    free(done);
}

/* The reply struct, the result type and its constructors of a call. */
static void emit_call_types(struct emitter *e, struct buf *b, const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    buf_printf(b, "/* call %s: %s:%d */\n", c, e->opts->spec_path, h->loc.first_line);
    buf_printf(b, "typedef struct %s_%s_reply {\n", n, c);
    if (h->reply == NULL)
        buf_puts(b, "    bool replied; /* the call returns nothing but its status */\n");
    members(e, b, h->reply);
    buf_printf(b, "} %s_%s_reply;\n\n", n, c);
    buf_printf(b, "/* What %s_handle_%s returns: the action and, for a reply, the reply. */\n",
               n, c);
    buf_printf(b, "typedef struct %s_%s_result {\n    srv_action action;\n    %s_%s_reply reply;\n} %s_%s_result;\n\n",
               n, c, n, c, n, c);

    struct buf fill, unfill;
    buf_init(&fill);
    buf_init(&unfill);
    if (h->reply == NULL)
        buf_puts(&fill, "    r.reply.replied = true;\n");
    bool can_fail = false;
    for (const struct ast_field *f = h->reply; f != NULL; f = f->next)
        can_fail |= copy_allocates(&f->type);
    for (const struct ast_field *f = h->reply; f != NULL; f = f->next) {
        char dst[160];
        snprintf(dst, sizeof dst, "r.reply.%s", f->name);
        if (f->type.kind == AST_TYPE_STRING || f->type.kind == AST_TYPE_BYTES ||
            f->type.kind == AST_TYPE_RECORD)
            copy_value(e, &fill, "    ", dst, f->name, &f->type, can_fail);
        else
            buf_printf(&fill, "    %s = %s;\n", dst, f->name);
    }
    /* Out of memory for the reply's copy: what was copied goes (moved
     * pointers stay the handler's), and the caller's call returns
     * SRV_ENOMEM; a stop_reply still stops. */
    if (can_fail) {
        for (const struct ast_field *f = h->reply; f != NULL; f = f->next) {
            char expr[160];
            snprintf(expr, sizeof expr, "r.reply.%s", f->name);
            disown_value(&unfill, "    ", expr, &f->type);
        }
        for (const struct ast_field *f = h->reply; f != NULL; f = f->next) {
            char expr[160];
            snprintf(expr, sizeof expr, "r.reply.%s", f->name);
            free_value(e, &unfill, "    ", expr, &f->type);
        }
    }
    struct {
        const char *suffix, *extra, *action, *timeout, *reason;
        bool fields;
    } forms[] = {
        {"reply", "", "SRV_ACTION_REPLY", "SRV_INFINITY", "0", true},
        {"reply_timeout", "long timeout_ms", "SRV_ACTION_REPLY", "timeout_ms", "0", true},
        {"noreply", "", "SRV_ACTION_NOREPLY", "SRV_INFINITY", "0", false},
        {"noreply_timeout", "long timeout_ms", "SRV_ACTION_NOREPLY", "timeout_ms", "0", false},
        {"stop", "srv_atom reason", "SRV_ACTION_STOP", "SRV_INFINITY", "reason", false},
        {"stop_reply", "srv_atom reason", "SRV_ACTION_STOP_REPLY", "SRV_INFINITY", "reason", true},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        buf_printf(b, "static inline %s_%s_result %s_%s_result_%s(%s", n, c, n, c,
                   forms[i].suffix, forms[i].extra);
        if (forms[i].fields)
            params(e, b, h->reply, forms[i].extra[0] != '\0');
        if (forms[i].extra[0] == '\0' && (!forms[i].fields || h->reply == NULL))
            buf_puts(b, "void");
        buf_printf(b, ")\n{\n    %s_%s_result r;\n    memset(&r, 0, sizeof r);\n", n, c);
        buf_printf(b, "    r.action = srv__action(%s, %s, %s);\n", forms[i].action,
                   forms[i].timeout, forms[i].reason);
        if (forms[i].fields)
            buf_puts(b, fill.data);
        buf_puts(b, "    return r;\n");
        if (forms[i].fields && can_fail) {
            buf_puts(b, "fail: /* out of memory for the reply */\n");
            buf_puts(b, unfill.data);
            if (strcmp(forms[i].action, "SRV_ACTION_STOP_REPLY") == 0)
                buf_puts(b, "    r.action.kind = SRV_ACTION_STOP;\n");
            else
                buf_puts(b, "    r.action.kind = SRV_ACTION_REPLY_ENOMEM;\n");
            buf_puts(b, "    return r;\n");
        }
        buf_puts(b, "}\n\n");
    }
    buf_free(&fill);
    buf_free(&unfill);
}

/* The client API's declarations (header) and definitions (source). */
static void emit_client(struct emitter *e, struct buf *decl, struct buf *code,
                        const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    struct buf fn, constant;
    buf_init(&fn);
    buf_init(&constant);
    client_name(e, &fn, h);
    message_constant(e, &constant, h);
    const char *args = h->args != NULL ? "&args" : "NULL";

    struct buf fill;
    buf_init(&fill);
    if (h->args != NULL) {
        buf_printf(&fill, "    struct %s_%s_args args;\n    memset(&args, 0, sizeof args);\n", n, c);
        for (const struct ast_field *f = h->args; f != NULL; f = f->next)
            buf_printf(&fill, "    args.%s = %s;\n", f->name, f->name);
    }

    if (h->kind == AST_CALL) {
        buf_printf(decl, "/* call %s: %s:%d */\n", c, e->opts->spec_path, h->loc.first_line);
        const char *forms[][2] = {
            {"", ""}, {"_timeout", ", long timeout_ms"},
            {"_full", ", long timeout_ms, srv_call_result *result"}};
        for (int i = 0; i < 3; i++) {
            struct buf sig;
            buf_init(&sig);
            buf_printf(&sig, "srv_status %s%s(srv_pid server", fn.data, forms[i][0]);
            params(e, &sig, h->args, true);
            buf_printf(&sig, ", %s_%s_reply *reply%s)", n, c, forms[i][1]);
            buf_printf(decl, "%s;\n", sig.data);
            buf_printf(code, "%s\n{\n", sig.data);
            if (i == 0) {
                buf_printf(code, "    return %s_timeout(server", fn.data);
                for (const struct ast_field *f = h->args; f != NULL; f = f->next)
                    buf_printf(code, ", %s", f->name);
                buf_puts(code, ", reply, SRV_DEFAULT_CALL_TIMEOUT);\n}\n\n");
            } else if (i == 1) {
                buf_printf(code, "    return %s_full(server", fn.data);
                for (const struct ast_field *f = h->args; f != NULL; f = f->next)
                    buf_printf(code, ", %s", f->name);
                buf_puts(code, ", reply, timeout_ms, NULL);\n}\n\n");
            } else {
                buf_puts(code, fill.data ? fill.data : "");
                buf_puts(code, "    if (reply != NULL)\n        memset(reply, 0, sizeof *reply);\n");
                buf_printf(code, "    return srv_call(server, &%s_module, %s, %s, reply, timeout_ms, result);\n}\n\n",
                           n, constant.data, args);
            }
            buf_free(&sig);
        }
        buf_printf(decl, "void %s_%s_reply_free(%s_%s_reply *reply);\n", n, c, n, c);
        buf_printf(decl, "srv_status %s_%s_reply_to(%s_%s_from from", n, c, n, c);
        params(e, decl, h->reply, true);
        buf_puts(decl, ");\n\n");

        buf_printf(code, "void %s_%s_reply_free(%s_%s_reply *reply)\n{\n    (void)reply;\n", n, c,
                   n, c);
        for (const struct ast_field *f = h->reply; f != NULL; f = f->next) {
            char expr[160];
            snprintf(expr, sizeof expr, "reply->%s", f->name);
            free_value(e, code, "    ", expr, &f->type);
        }
        buf_puts(code, "}\n\n");
        buf_printf(code, "srv_status %s_%s_reply_to(%s_%s_from from", n, c, n, c);
        params(e, code, h->reply, true);
        buf_printf(code, ")\n{\n    %s_%s_result r = %s_%s_result_reply(", n, c, n, c);
        for (const struct ast_field *f = h->reply; f != NULL; f = f->next)
            buf_printf(code, "%s%s", f == h->reply ? "" : ", ", f->name);
        bool can_fail = false;
        for (const struct ast_field *f = h->reply; f != NULL; f = f->next)
            can_fail |= copy_allocates(&f->type);
        buf_puts(code, ");\n    /* the runtime checks that from is a caller of this call, and\n"
                       "     * frees the reply when it does not deliver it */\n");
        if (can_fail) /* NULL: the copy failed, the caller gets SRV_ENOMEM */
            buf_printf(code, "    return srv_reply(from.from, &%s_module, %s,\n"
                             "                     r.action.kind == SRV_ACTION_REPLY_ENOMEM ? NULL : &r.reply);\n}\n\n",
                       n, constant.data);
        else
            buf_printf(code, "    return srv_reply(from.from, &%s_module, %s, &r.reply);\n}\n\n",
                       n, constant.data);
    } else {
        buf_printf(decl, "/* %s %s: %s:%d */\n", h->kind == AST_CAST ? "cast" : "info", c,
                   e->opts->spec_path, h->loc.first_line);
        struct buf sig;
        buf_init(&sig);
        buf_printf(&sig, "srv_status %s(srv_pid server", fn.data);
        params(e, &sig, h->args, true);
        buf_puts(&sig, ")");
        buf_printf(decl, "%s;\n\n", sig.data);
        buf_printf(code, "%s\n{\n%s    return srv_%s(server, &%s_module, %s, %s);\n}\n\n", sig.data,
                   fill.data ? fill.data : "", h->kind == AST_CAST ? "cast" : "send", n,
                   constant.data, args);
        buf_free(&sig);
    }
    buf_free(&fill);
    buf_free(&fn);
    buf_free(&constant);
}

/* The deep copy and the free of a message's arguments that own memory. */
static void emit_copy_and_free(struct emitter *e, struct buf *b, const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    /* false when out of memory: the copy then owns nothing */
    buf_printf(b, "static bool %s_%s_copy_args(void *to, const void *from)\n{\n", n, c);
    buf_printf(b, "    struct %s_%s_args *dst = (struct %s_%s_args *)to;\n", n, c, n, c);
    buf_printf(b, "    const struct %s_%s_args *src = (const struct %s_%s_args *)from;\n", n, c,
               n, c);
    bool can_fail = false;
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        can_fail |= copy_allocates(&f->type);
    if (can_fail)
        buf_puts(b, "    memset(dst, 0, sizeof *dst);\n");
    for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
        char dst[160], src[160];
        snprintf(dst, sizeof dst, "dst->%s", f->name);
        snprintf(src, sizeof src, "src->%s", f->name);
        copy_value(e, b, "    ", dst, src, &f->type, can_fail);
    }
    buf_puts(b, "    return true;\n");
    if (can_fail) {
        buf_puts(b, "fail: /* out of memory: moved pointers stay the sender's */\n");
        for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
            char expr[160];
            snprintf(expr, sizeof expr, "dst->%s", f->name);
            disown_value(b, "    ", expr, &f->type);
        }
        for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
            char expr[160];
            snprintf(expr, sizeof expr, "dst->%s", f->name);
            free_value(e, b, "    ", expr, &f->type);
        }
        buf_puts(b, "    return false;\n");
    }
    buf_puts(b, "}\n\n");
    buf_printf(b, "static void %s_%s_free_args(void *args)\n{\n", n, c);
    bool any = false;
    for (const struct ast_field *f = h->args; f != NULL; f = f->next)
        any |= owns_memory(&f->type);
    if (any)
        buf_printf(b, "    struct %s_%s_args *a = (struct %s_%s_args *)args;\n", n, c, n, c);
    else
        buf_puts(b, "    (void)args;\n");
    for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
        char expr[160];
        snprintf(expr, sizeof expr, "a->%s", f->name);
        free_value(e, b, "    ", expr, &f->type);
    }
    buf_puts(b, "}\n\n");
}

/* Arguments' struct, copy, free and printer: what a queued message is. */
static void emit_message_support(struct emitter *e, struct buf *b, const struct ast_handler *h)
{
    const char *n = e->name, *c = h->name;
    if (h->args == NULL) {
        if (h->kind == AST_CALL) {
            buf_printf(b, "static void %s_%s_free_reply(void *reply)\n{\n    %s_%s_reply_free((%s_%s_reply *)reply);\n}\n\n",
                       n, c, n, c, n, c);
        }
        buf_printf(b, "static void %s_%s_format_args(srv_buf *out, const void *args)\n{\n    (void)args;\n    srv_buf_put_atom(out, \"%s\");\n}\n\n",
                   n, c, c);
        return;
    }
    buf_printf(b, "struct %s_%s_args {\n", n, c);
    for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
        buf_puts(b, "    ");
        declare(e, b, f, ROLE_ARG);
        buf_puts(b, ";\n");
    }
    buf_puts(b, "};\n\n");
    if (args_own_memory(h))
        emit_copy_and_free(e, b, h);
    if (h->kind == AST_CALL)
        buf_printf(b, "static void %s_%s_free_reply(void *reply)\n{\n    %s_%s_reply_free((%s_%s_reply *)reply);\n}\n\n",
                   n, c, n, c, n, c);
    /* {query,'0x01f'}: Erlang's tuple of the message */
    buf_printf(b, "static void %s_%s_format_args(srv_buf *out, const void *args)\n{\n", n, c);
    buf_printf(b, "    const struct %s_%s_args *a = (const struct %s_%s_args *)args;\n    (void)a;\n",
               n, c, n, c);
    buf_printf(b, "    srv_buf_printf(out, \"{\");\n    srv_buf_put_atom(out, \"%s\");\n", c);
    for (const struct ast_field *f = h->args; f != NULL; f = f->next) {
        char expr[160];
        snprintf(expr, sizeof expr, "a->%s", f->name);
        buf_puts(b, "    srv_buf_printf(out, \",\");\n");
        format_value(e, b, "    ", expr, &f->type);
    }
    buf_puts(b, "    srv_buf_printf(out, \"}\");\n}\n\n");
}

/* The result macros the body of each kind of handler sees. */
static const struct result_macro init_macros[] = {
    {"ok()", "srv_init_ok()"}, {"ok_timeout(...)", "srv_init_ok_timeout(__VA_ARGS__)"},
    {"ignore()", "srv_init_ignore()"}, {"stop(...)", "srv_init_stop(__VA_ARGS__)"}};
static const struct result_macro noreply_macros[] = {
    {"noreply()", "srv_noreply()"},
    {"noreply_timeout(...)", "srv_noreply_timeout(__VA_ARGS__)"},
    {"stop(...)", "srv_stop(__VA_ARGS__)"}};

/* For each string, bytes and ptr(..., FREEFN) the state owns, however deep
 * in records: if p is it, the field is cleared. */
static void forget_fields(struct emitter *e, struct buf *b, const char *prefix,
                          const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        char expr[256];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        const struct ast_type *t = &f->type;
        if (f->whole_declaration)
            continue;
        if (t->kind == AST_TYPE_STRING || (t->kind == AST_TYPE_PTR && t->free_fn != NULL)) {
            buf_printf(b, "    if (p == (const void *)%s)\n        %s = NULL;\n", expr, expr);
        } else if (t->kind == AST_TYPE_BYTES) {
            buf_printf(b, "    if (p == (const void *)%s.data) {\n        %s.data = NULL;\n"
                          "        %s.len = 0;\n    }\n", expr, expr, expr);
        } else if (t->kind == AST_TYPE_RECORD && t->record != NULL) {
            char inner[264];
            snprintf(inner, sizeof inner, "%s.", expr);
            forget_fields(e, b, inner, t->record->fields);
        }
    }
}

/* The free() a terminate body sees: the state's own memory is released
 * after terminate by NAME_free_state, so a pointer of the state that
 * terminate frees is cleared here and never freed twice.  Empty when the
 * state owns nothing. */
static void emit_free_in_terminate(struct emitter *e, struct buf *b)
{
    struct buf checks;
    buf_init(&checks);
    buf_puts(&checks, "");
    forget_fields(e, &checks, "s->", e->spec->state);
    if (checks.len > 0) {
        buf_printf(b, "/* terminate's free(): what the state owns is freed after terminate\n"
                      " * (%s_free_state); a field that terminate frees is cleared first,\n"
                      " * so it is not freed twice. */\n", e->name);
        buf_printf(b, "static void %s_free_in_terminate(%s_state *s, void *p)\n{\n", e->name,
                   e->name);
        buf_puts(b, checks.data);
        buf_puts(b, "    free(p);\n}\n\n");
    }
    buf_free(&checks);
}

/* Declares (external) or defines (inline) each handler, and the dispatch. */
static void emit_handlers(struct emitter *e, struct buf *code, struct buf *external)
{
    const char *n = e->name;
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        struct buf result, tail;
        buf_init(&result);
        buf_init(&tail);
        buf_printf(&tail, "%s_state *state", n);
        const char *const *unused = NULL;
        size_t n_unused = 0;
        static const char *const call_unused[] = {"state", "from"};
        static const char *const state_unused[] = {"state"};
        static const char *const exit_unused[] = {"state", "pid", "reason"};
        static const char *const down_unused[] = {"state", "ref", "pid", "reason"};
        static const char *const terminate_unused[] = {"state", "reason"};
        const char *terminate_frees[] = {"state", "reason", NULL};
        static const char *const status_unused[] = {"state", "out", "reason"};
        struct result_macro call_macros[6]; /* a call's results; terminate's free() */
        char targets[6][160];
        const struct result_macro *macros = NULL;
        size_t n_macros = 0;
        switch (h->kind) {
        case AST_INIT:
            buf_puts(&result, "srv_init_result");
            params(e, &tail, h->args, true);
            macros = init_macros;
            n_macros = 4;
            unused = state_unused;
            n_unused = 1;
            break;
        case AST_CALL: {
            buf_printf(&result, "%s_%s_result", n, h->name);
            buf_printf(&tail, ", %s_%s_from from", n, h->name);
            params(e, &tail, h->args, true);
            static const char *const names[] = {"reply(...)", "reply_timeout(...)",
                                                "noreply()", "noreply_timeout(...)",
                                                "stop(...)", "stop_reply(...)"};
            static const char *const forms[] = {"reply", "reply_timeout", "noreply",
                                                "noreply_timeout", "stop", "stop_reply"};
            for (int i = 0; i < 6; i++) {
                bool empty = i == 2;
                snprintf(targets[i], sizeof targets[i], "%s_%s_result_%s(%s)", n, h->name,
                         forms[i], empty ? "" : "__VA_ARGS__");
                call_macros[i] = (struct result_macro){names[i], targets[i]};
            }
            macros = call_macros;
            n_macros = 6;
            unused = call_unused;
            n_unused = 2;
            break;
        }
        case AST_CAST:
        case AST_INFO:
        case AST_INFO_TIMEOUT:
            buf_puts(&result, "srv_noreply_result");
            params(e, &tail, h->args, true);
            macros = noreply_macros;
            n_macros = 3;
            unused = state_unused;
            n_unused = 1;
            break;
        case AST_INFO_EXIT:
            buf_puts(&result, "srv_noreply_result");
            buf_puts(&tail, ", srv_pid pid, srv_atom reason");
            macros = noreply_macros;
            n_macros = 3;
            unused = exit_unused;
            n_unused = 3;
            break;
        case AST_INFO_DOWN:
            buf_puts(&result, "srv_noreply_result");
            buf_puts(&tail, ", uint64_t ref, srv_pid pid, srv_atom reason");
            macros = noreply_macros;
            n_macros = 3;
            unused = down_unused;
            n_unused = 4;
            break;
        case AST_TERMINATE: {
            buf_puts(&result, "void");
            buf_puts(&tail, ", srv_atom reason");
            unused = terminate_unused;
            n_unused = 2;
            size_t before = code->len;
            if (h->has_body)
                emit_free_in_terminate(e, code);
            if (code->len > before) {
                /* the body's free() is the clearing one; (void) it, for a
                 * body that frees nothing */
                char *free_target = targets[0], *free_name = targets[1];
                snprintf(free_target, sizeof targets[0], "%s_free_in_terminate(state, (p))", n);
                snprintf(free_name, sizeof targets[1], "%s_free_in_terminate", n);
                call_macros[0] = (struct result_macro){"free(p)", free_target};
                macros = call_macros;
                n_macros = 1;
                terminate_frees[2] = free_name;
                unused = terminate_frees;
                n_unused = 3;
            }
            break;
        }
        case AST_FORMAT_STATUS:
            buf_puts(&result, "void");
            tail.len = 0;
            buf_printf(&tail, "const %s_state *state, srv_buf *out, srv_atom reason", n);
            unused = status_unused;
            n_unused = 3;
            break;
        }
        const char *suffix = handler_suffix(h);
        if (h->has_body)
            handler_function(e, code, h, result.data, tail.data, macros, n_macros, unused,
                             n_unused);
        else
            buf_printf(external, "%s %s_handle_%s(%s);\n", result.data, n, suffix, tail.data);
        buf_free(&result);
        buf_free(&tail);
    }
}

static void emit_dispatch(struct emitter *e, struct buf *b)
{
    const char *n = e->name;
    buf_printf(b, "static srv_action %s_dispatch(void *state, unsigned message, void *args,\n", n);
    buf_printf(b, "                                %*s srv_from from, void *reply)\n{\n",
               (int)strlen(n), "");
    buf_puts(b, "    (void)args;\n    (void)from;\n    (void)reply;\n    switch (message) {\n");
    for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
        if (!is_message(h))
            continue;
        buf_puts(b, "    case ");
        message_constant(e, b, h);
        buf_puts(b, ": {\n");
        if (h->args != NULL)
            buf_printf(b, "        struct %s_%s_args *a = (struct %s_%s_args *)args;\n", n,
                       h->name, n, h->name);
        if (h->kind == AST_CALL) {
            buf_printf(b, "        %s_%s_from caller;\n        caller.from = from;\n", n,
                       h->name);
            buf_printf(b, "        %s_%s_result r = %s_handle_%s((%s_state *)state, caller", n,
                       h->name, n, h->name, n);
        }
        else {
            buf_printf(b, "        srv_noreply_result r = %s_handle_%s((%s_state *)state", n,
                       h->name, n);
        }
        for (const struct ast_field *f = h->args; f != NULL; f = f->next)
            buf_printf(b, ", a->%s", f->name);
        buf_puts(b, ");\n");
        if (h->kind == AST_CALL) {
            buf_puts(b, "        /* only a reply may touch the caller's buffer: a deferred\n"
                        "         * reply may be on its way from another thread */\n");
            buf_puts(b, "        if (r.action.kind == SRV_ACTION_REPLY || r.action.kind == SRV_ACTION_STOP_REPLY)\n");
            buf_printf(b, "            *(%s_%s_reply *)reply = r.reply;\n", n, h->name);
        }
        buf_puts(b, "        return r.action;\n    }\n");
    }
    buf_puts(b, "    default:\n        return srv__action(SRV_ACTION_NONE, SRV_INFINITY, 0);\n    }\n}\n");
}

/* The module table: the message types and the callbacks for libsrv. */
static void emit_module(struct emitter *e, struct buf *b, size_t n_messages)
{
    const char *n = e->name;
    if (n_messages > 0) {
        buf_printf(b, "/* ORDER %s_MESSAGE: in the order of the constants above */\n", e->upper);
        buf_printf(b, "static const srv_message_type %s_messages[] = {\n", n);
        for (const struct ast_handler *h = e->spec->handlers; h != NULL; h = h->next) {
            if (!is_message(h))
                continue;
            buf_puts(b, "    { /* ");
            message_constant(e, b, h);
            buf_printf(b, " */\n        .name = \"%s\",\n        .kind = SRV_MESSAGE_%s,\n",
                       h->name, kind_word(h));
            /* every field, in order: a reader sees what is absent */
            if (h->args != NULL)
                buf_printf(b, "        .args_size = sizeof(struct %s_%s_args),\n", n, h->name);
            else
                buf_puts(b, "        .args_size = 0,\n");
            if (h->kind == AST_CALL)
                buf_printf(b, "        .reply_size = sizeof(%s_%s_reply),\n", n, h->name);
            else
                buf_puts(b, "        .reply_size = 0,\n");
            buf_printf(b, "        .flags = %s,\n",
                       h->skip_abandoned ? "SRV_MESSAGE_SKIP_ABANDONED" : "0");
            if (h->args != NULL && args_own_memory(h)) {
                buf_printf(b, "        .copy_args = %s_%s_copy_args,\n", n, h->name);
                buf_printf(b, "        .free_args = %s_%s_free_args,\n", n, h->name);
            } else {
                buf_puts(b, "        .copy_args = NULL,\n        .free_args = NULL,\n");
            }
            if (h->kind == AST_CALL)
                buf_printf(b, "        .free_reply = %s_%s_free_reply,\n", n, h->name);
            else
                buf_puts(b, "        .free_reply = NULL,\n");
            buf_printf(b, "        .format_args = %s_%s_format_args,\n    },\n", n, h->name);
        }
        buf_puts(b, "};\n\n");
    }
    const struct ast_spec *s = e->spec;
    buf_printf(b, "const srv_module %s_module = {\n", n);
    buf_puts(b, "    .abi_version = SRV_ABI_VERSION,\n");
    buf_printf(b, "    .name = \"%s\",\n", n);
    buf_printf(b, "    .state_size = sizeof(%s_state),\n", n);
    buf_printf(b, "    .init = %s_init,\n    .dispatch = %s_dispatch,\n", n, n);
    struct {
        const char *field, *suffix;
        enum ast_handler_kind kind;
    } callbacks[] = {
        {"handle_timeout", "timeout", AST_INFO_TIMEOUT},
        {"handle_exit", "exit", AST_INFO_EXIT},
        {"handle_down", "down", AST_INFO_DOWN},
        {"terminate", "terminate", AST_TERMINATE},
        {"format_state", NULL, AST_INIT},
        {"format_status", "format_status", AST_FORMAT_STATUS},
    };
    for (size_t i = 0; i < sizeof callbacks / sizeof callbacks[0]; i++) {
        if (callbacks[i].suffix == NULL)
            buf_printf(b, "    .%s = %s_%s,\n", callbacks[i].field, n, callbacks[i].field);
        else if (ast_find_handler(s, callbacks[i].kind))
            buf_printf(b, "    .%s = %s_%s,\n", callbacks[i].field, n, callbacks[i].suffix);
        else
            buf_printf(b, "    .%s = NULL,\n", callbacks[i].field);
    }
    buf_printf(b, "    .free_state = %s_free_state,\n", n);
    if (n_messages > 0)
        buf_printf(b, "    .messages = %s_messages,\n", n);
    else
        buf_puts(b, "    .messages = NULL,\n");
    buf_printf(b, "    .message_count = %zu,\n};\n", n_messages);
}

/* The callbacks' adapters: from the module table's untyped calls to the
 * typed handlers. */
static void emit_adapters(struct emitter *e, struct buf *b)
{
    const char *n = e->name;
    const struct ast_spec *s = e->spec;
    const struct ast_handler *init = ast_find_handler(s, AST_INIT);
    if (init != NULL && init->args != NULL) {
        buf_printf(b, "struct %s_init_args {\n", n);
        for (const struct ast_field *f = init->args; f != NULL; f = f->next) {
            buf_puts(b, "    ");
            declare(e, b, f, ROLE_ARG);
            buf_puts(b, ";\n");
        }
        buf_puts(b, "};\n\n");
    }
    buf_printf(b, "static srv_action %s_init(void *state, const void *init_args)\n{\n", n);
    if (init == NULL) {
        buf_puts(b, "    (void)state;\n    (void)init_args;\n    return srv_init_ok().action;\n}\n\n");
    } else if (init->args == NULL) {
        buf_printf(b, "    (void)init_args;\n    return %s_handle_init((%s_state *)state).action;\n}\n\n", n, n);
    } else {
        buf_printf(b, "    const struct %s_init_args *a = (const struct %s_init_args *)init_args;\n", n, n);
        buf_printf(b, "    return %s_handle_init((%s_state *)state", n, n);
        for (const struct ast_field *f = init->args; f != NULL; f = f->next)
            buf_printf(b, ", a->%s", f->name);
        buf_puts(b, ").action;\n}\n\n");
    }
    if (ast_find_handler(s, AST_INFO_TIMEOUT))
        buf_printf(b, "static srv_action %s_timeout(void *state)\n{\n    return %s_handle_timeout((%s_state *)state).action;\n}\n\n", n, n, n);
    if (ast_find_handler(s, AST_INFO_EXIT))
        buf_printf(b, "static srv_action %s_exit(void *state, srv_pid pid, srv_atom reason)\n{\n    return %s_handle_exit((%s_state *)state, pid, reason).action;\n}\n\n", n, n, n);
    if (ast_find_handler(s, AST_INFO_DOWN))
        buf_printf(b, "static srv_action %s_down(void *state, uint64_t ref, srv_pid pid, srv_atom reason)\n{\n    return %s_handle_down((%s_state *)state, ref, pid, reason).action;\n}\n\n", n, n, n);
    if (ast_find_handler(s, AST_TERMINATE))
        buf_printf(b, "static void %s_terminate(void *state, srv_atom reason)\n{\n    %s_handle_terminate((%s_state *)state, reason);\n}\n\n", n, n, n);
    if (ast_find_handler(s, AST_FORMAT_STATUS))
        buf_printf(b, "static void %s_format_status(srv_buf *out, const void *state, srv_atom reason)\n{\n    %s_handle_format_status((const %s_state *)state, out, reason);\n}\n\n", n, n, n);

    buf_printf(b, "static void %s_format_state(srv_buf *out, const void *state)\n{\n", n);
    buf_printf(b, "    const %s_state *s = (const %s_state *)state;\n    (void)s;\n", n, n);
    format_fields(e, b, "s->", s->state);
    buf_puts(b, "}\n\n");
    buf_printf(b, "static void %s_free_state(void *state)\n{\n    %s_state *s = (%s_state *)state;\n    (void)s;\n", n, n, n);
    for (const struct ast_field *f = s->state; f != NULL; f = f->next) {
        char expr[160];
        snprintf(expr, sizeof expr, "s->%s", f->name);
        if (!f->whole_declaration)
            free_value(e, b, "    ", expr, &f->type);
    }
    buf_puts(b, "}\n");
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

/* Verbatim C blocks, each with its #line; opener is how the spec opens them. */
static void code_blocks(struct emitter *e, struct buf *b, const char *opener,
                        const struct ast_code *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        buf_printf(b, "/* %s block: %s:%d */\n", opener, e->opts->spec_path,
                   blocks[i].loc.first_line);
        body(e, b, &blocks[i], NULL);
    }
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
    struct emitter e = {spec, opts, h_path, spec->name, {0}, h_path};
    size_t i = 0;
    for (const char *p = spec->name; *p != '\0' && i + 1 < sizeof e.upper; p++)
        e.upper[i++] = (char)toupper((unsigned char)*p);

    struct buf guard, h_blocks, top_blocks, c_blocks, records, record_protos, record_code, state,
        call_types, client_decls, client_code, external, messages, handlers, dispatch,
        adapters, module, constants, from_types;
    struct buf *all[] = {&guard, &h_blocks, &top_blocks, &c_blocks, &records, &record_protos,
                         &record_code, &state, &call_types, &client_decls, &client_code,
                         &external, &messages, &handlers, &dispatch, &adapters, &module,
                         &constants, &from_types};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        buf_init(all[k]);
        buf_puts(all[k], "");
    }

    buf_printf(&guard, "%s_SRV_H", e.upper);
    code_blocks(&e, &h_blocks, "%{", spec->h_blocks, spec->n_h_blocks);
    e.out_path = opts->c_path;
    code_blocks(&e, &top_blocks, "%top{", spec->top_blocks, spec->n_top_blocks);
    code_blocks(&e, &c_blocks, "%{", spec->c_blocks, spec->n_c_blocks);
    emit_records(&e, &records, &record_protos, &record_code);
    if (spec->state != NULL)
        members(&e, &state, spec->state);
    else
        buf_puts(&state, "    bool started; /* the spec declares no state */\n");

    size_t n_messages = 0;
    buf_printf(&constants, "enum {\n");
    for (const struct ast_handler *hd = spec->handlers; hd != NULL; hd = hd->next) {
        if (!is_message(hd))
            continue;
        buf_puts(&constants, "    ");
        message_constant(&e, &constants, hd);
        buf_puts(&constants, ",\n");
        n_messages++;
        if (hd->kind == AST_CALL) {
            emit_call_types(&e, &call_types, hd);
            buf_printf(&from_types, "/* Who made a `call %s`: only its handler gets one, and only\n"
                                    " * %s_%s_reply_to takes one. */\n", hd->name, e.name, hd->name);
            buf_printf(&from_types, "typedef struct %s_%s_from {\n    srv_from from;\n} %s_%s_from;\n\n",
                       e.name, hd->name, e.name, hd->name);
        }
        emit_client(&e, &client_decls, &client_code, hd);
        emit_message_support(&e, &messages, hd);
    }
    buf_printf(&constants, "    %s_MESSAGE_COUNT\n};\n", e.upper);
    emit_handlers(&e, &handlers, &external);
    emit_dispatch(&e, &dispatch);
    emit_adapters(&e, &adapters);
    emit_module(&e, &module, n_messages);

    const struct ast_handler *init = ast_find_handler(spec, AST_INIT);
    struct buf init_params, init_args, init_fill;
    buf_init(&init_params);
    buf_init(&init_args);
    buf_init(&init_fill);
    buf_puts(&init_params, "");
    buf_puts(&init_args, "NULL");
    buf_puts(&init_fill, "");
    if (init != NULL && init->args != NULL) {
        params(&e, &init_params, init->args, false);
        buf_puts(&init_params, ", ");
        init_args.len = 0;
        buf_puts(&init_args, "&args");
        buf_printf(&init_fill, "struct %s_init_args args;\nmemset(&args, 0, sizeof args);\n", e.name);
        for (const struct ast_field *f = init->args; f != NULL; f = f->next)
            buf_printf(&init_fill, "args.%s = %s;\n", f->name, f->name);
    }
    struct buf init_names;
    buf_init(&init_names);
    buf_puts(&init_names, "");
    if (init != NULL)
        for (const struct ast_field *f = init->args; f != NULL; f = f->next)
            buf_printf(&init_names, "%s, ", f->name);

    struct tmpl_var vars[] = {
        {"version", SRVC_VERSION},
        {"spec", opts->spec_path},
        {"name", e.name},
        {"header", opts->header_name},
        {"guard", guard.data},
        {"header_blocks", h_blocks.data},
        {"top_blocks", top_blocks.data},
        {"c_blocks", c_blocks.data},
        {"records", records.data},
        {"record_functions", record_protos.data},
        {"record_code", record_code.data},
        {"state_fields", state.data},
        {"call_types", call_types.data},
        {"from_types", from_types.data},
        {"client_api", client_decls.data},
        {"client_code", client_code.data},
        {"external_handlers", external.data},
        {"message_constants", constants.data},
        {"message_support", messages.data},
        {"handlers", handlers.data},
        {"dispatch", dispatch.data},
        {"adapters", adapters.data},
        {"module", module.data},
        {"init_params", init_params.data},
        {"init_args", init_args.data},
        {"init_fill", init_fill.data},
        {"init_names", init_names.data},
    };
    size_t n_vars = sizeof vars / sizeof vars[0];
    char error[256];
    int status = 0;
    const struct tmpl_file *th = tmpl_find("server.h"), *tc = tmpl_find("server.c");
    if (th == NULL || tc == NULL) {
        diag_errorf(d, "internal error: a template is missing from this srvc");
        status = -1;
    } else if (tmpl_render(th, vars, n_vars, h, error, sizeof error) != 0 ||
               tmpl_render(tc, vars, n_vars, c, error, sizeof error) != 0) {
        diag_errorf(d, "internal error: %s", error);
        status = -1;
    } else {
        fix_output_lines(h);
        fix_output_lines(c);
    }
    free(h_path);
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        buf_free(all[k]);
    buf_free(&init_params);
    buf_free(&init_args);
    buf_free(&init_fill);
    buf_free(&init_names);
    return status;
}
