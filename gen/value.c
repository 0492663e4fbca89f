/*
 * value.c: the C code of the values of spec types (value.h): how each type
 * is declared, deep-copied, released and printed, field by field.  The
 * emitter (emit.c) hands these pieces to the templates.
 */
#include <stdio.h>
#include <string.h>

#include "value.h"

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

/* The prefix of a record's C names (type, copy, free, format): the spec
 * that declares it, the server's own or a used one's. */
static const char *record_spec(const char *server, const struct ast_type *t)
{
    return t->owner != NULL ? t->owner : server;
}

void value_declare(const char *server, struct buf *b, const struct ast_field *f,
                   enum value_role role)
{
    const struct ast_type *t = &f->type;
    if (f->whole_declaration) {
        buf_puts(b, t->c_type);
    } else if (t->kind == AST_TYPE_STRING) {
        buf_printf(b, "%schar *%s", role == VALUE_ARG ? "const " : "", f->name);
    } else if (t->kind == AST_TYPE_RECORD) {
        buf_printf(b, "%s_%s %s", record_spec(server, t), t->name, f->name);
    } else if (t->kind == AST_TYPE_PTR || t->kind == AST_TYPE_C) {
        size_t n = strlen(t->c_type);
        bool star = n > 0 && t->c_type[n - 1] == '*';
        buf_printf(b, "%s%s%s", t->c_type, star ? "" : " ", f->name);
    } else {
        buf_printf(b, "%s %s", scalars[t->kind].c_type, f->name);
    }
}

void value_params(const char *server, struct buf *b, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_puts(b, ", ");
        value_declare(server, b, f, VALUE_ARG);
    }
}

void value_members(const char *server, struct buf *b, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_puts(b, "    ");
        value_declare(server, b, f, VALUE_OWNED);
        buf_puts(b, ";\n");
    }
}

static bool owns_memory(const struct ast_type *t)
{
    return t->kind == AST_TYPE_STRING || t->kind == AST_TYPE_BYTES ||
           t->kind == AST_TYPE_RECORD || (t->kind == AST_TYPE_PTR && t->free_fn != NULL);
}

bool value_fields_own_memory(const struct ast_field *fields)
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

bool value_copy_may_fail(const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        if (!f->whole_declaration && copy_allocates(&f->type))
            return true;
    return false;
}

/* dst = a deep copy of src.  With fail set (a copy that can report out of
 * memory), a failed allocation jumps to the function's `fail` label. */
static void copy_value(const char *server, struct buf *b, const char *dst, const char *src,
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
        buf_printf(b, "if (!%s_%s_copy(&%s, &%s))\n    goto fail;\n", record_spec(server, t),
                   t->name, dst, src);
    } else if (t->kind == AST_TYPE_RECORD) {
        buf_printf(b, "%s_%s_copy(&%s, &%s);\n", record_spec(server, t), t->name, dst, src);
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
static void free_value(const char *server, struct buf *b, const char *expr,
                       const struct ast_type *t)
{
    if (t->kind == AST_TYPE_STRING)
        buf_printf(b, "free((void *)%s);\n%s = NULL;\n", expr, expr);
    else if (t->kind == AST_TYPE_BYTES)
        buf_printf(b, "free(%s.data);\n%s.data = NULL;\n%s.len = 0;\n", expr, expr, expr);
    else if (t->kind == AST_TYPE_RECORD)
        buf_printf(b, "%s_%s_free(&%s);\n", record_spec(server, t), t->name, expr);
    else if (t->kind == AST_TYPE_PTR && t->free_fn != NULL)
        buf_printf(b, "if (%s != NULL)\n    %s(%s);\n%s = NULL;\n", expr, t->free_fn, expr,
                   expr);
}

void value_format(const char *server, struct buf *b, const char *expr,
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
        buf_printf(b, "%s_%s_format(out, &%s);\n", record_spec(server, t), t->name, expr);
    else /* ptr and raw C: shown, not printed */
        buf_puts(b, "srv_buf_printf(out, \"...\");\n");
}

void value_each(const char *server, struct buf *b, enum value_job job, const char *dst,
                const char *src, const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        char to[160], from[160];
        snprintf(to, sizeof to, "%s%s", dst, f->name);
        snprintf(from, sizeof from, "%s%s", src, f->name);
        if (f->whole_declaration && (job == VALUE_COPY || job == VALUE_COPY_OR_FAIL))
            buf_printf(b, "memcpy(&%s, &%s, sizeof %s);\n", to, from, to);
        else if (f->whole_declaration)
            continue;
        else if (job == VALUE_COPY || job == VALUE_COPY_OR_FAIL)
            copy_value(server, b, to, from, &f->type, job == VALUE_COPY_OR_FAIL);
        else if (job == VALUE_DISOWN)
            disown_value(b, to, &f->type);
        else
            free_value(server, b, to, &f->type);
    }
}

bool value_copy_fields(const char *server, struct buf *copy, struct buf *undo,
                       const struct ast_field *fields, const char *dst, const char *src,
                       bool free_each)
{
    bool can_fail = value_copy_may_fail(fields);
    if (can_fail)
        buf_puts(copy, "memset(dst, 0, sizeof *dst);\n");
    value_each(server, copy, can_fail ? VALUE_COPY_OR_FAIL : VALUE_COPY, dst, src, fields);
    if (!can_fail)
        return false;
    value_each(server, undo, VALUE_DISOWN, dst, "", fields);
    if (free_each)
        value_each(server, undo, VALUE_FREE, dst, "", fields);
    return true;
}

void value_format_fields(const char *server, struct buf *b, const char *prefix,
                         const struct ast_field *fields)
{
    buf_puts(b, "srv_buf_printf(out, \"#{\");\n");
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        buf_printf(b, "srv_buf_printf(out, \"%s%s => \");\n", f == fields ? "" : ",", f->name);
        char expr[160];
        snprintf(expr, sizeof expr, "%s%s", prefix, f->name);
        value_format(server, b, expr, &f->type);
    }
    buf_puts(b, "srv_buf_printf(out, \"}\");\n");
}

void value_forget_fields(struct buf *b, const char *prefix, const struct ast_field *fields)
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
            value_forget_fields(b, inner, t->record->fields);
        }
    }
}
