/*
 * term.c: the Erlang term of each message and reply (term.h), and the
 * code that reads and writes it.  A record is the tuple {Name, F1, ...}
 * tagged with its name, as Erlang's records are; strings and bytes are
 * binaries.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

bool term_maps(const struct ast_type *t)
{
    if (t->kind == AST_TYPE_RECORD)
        return t->record != NULL && term_fields_map(t->record->fields);
    return t->kind != AST_TYPE_PTR && t->kind != AST_TYPE_C && t->kind != AST_TYPE_UNKNOWN;
}

bool term_fields_map(const struct ast_field *fields)
{
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        if (f->whole_declaration || !term_maps(&f->type))
            return false;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Patterns                                                                */

static struct pattern *node(enum pattern_kind kind)
{
    struct pattern *p = calloc(1, sizeof *p);
    if (p == NULL) {
        perror("srvc");
        exit(2);
    }
    p->kind = kind;
    return p;
}

static void add(struct pattern *tuple, struct pattern *item)
{
    tuple->items = realloc(tuple->items, (size_t)(tuple->count + 1) * sizeof *tuple->items);
    if (tuple->items == NULL) {
        perror("srvc");
        exit(2);
    }
    tuple->items[tuple->count++] = item;
}

static struct pattern *atom(const char *text, size_t n)
{
    struct pattern *p = node(PATTERN_ATOM);
    p->atom = strndup(text, n);
    return p;
}

static struct pattern *field(const struct ast_field *f)
{
    struct pattern *p = node(PATTERN_FIELD);
    p->field = f;
    return p;
}

void pattern_free(struct pattern *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->count; i++)
        pattern_free(p->items[i]);
    free(p->items);
    free(p->atom);
    free(p);
}

struct pattern *pattern_default(const char *name, const struct ast_field *fields,
                                bool as_tuple)
{
    if (fields == NULL)
        return atom(as_tuple ? name : "ok", strlen(as_tuple ? name : "ok"));
    if (!as_tuple && fields->next == NULL)
        return field(fields);
    struct pattern *t = node(PATTERN_TUPLE);
    if (as_tuple)
        add(t, atom(name, strlen(name)));
    for (const struct ast_field *f = fields; f != NULL; f = f->next)
        add(t, field(f));
    return t;
}

struct parser {
    const char *s, *start;
    const struct ast_field *fields;
    char *error;
    size_t size;
    int depth;
};

static void skip_space(struct parser *ps)
{
    while (isspace((unsigned char)*ps->s))
        ps->s++;
}

static struct pattern *fail(struct parser *ps, struct pattern *p, const char *what)
{
    if (ps->error[0] == '\0')
        snprintf(ps->error, ps->size, "%s at offset %d of the pattern", what,
                 (int)(ps->s - ps->start));
    pattern_free(p);
    return NULL;
}

static struct pattern *parse(struct parser *ps)
{
    skip_space(ps);
    if (++ps->depth > 32)
        return fail(ps, NULL, "a pattern nested too deep");
    const char *s = ps->s;
    if (*s == '{') {
        struct pattern *t = node(PATTERN_TUPLE);
        ps->s++;
        skip_space(ps);
        if (*ps->s == '}') {
            ps->s++;
            ps->depth--;
            return t;
        }
        for (;;) {
            struct pattern *item = parse(ps);
            if (item == NULL)
                return fail(ps, t, "a term expected");
            add(t, item);
            skip_space(ps);
            if (*ps->s == ',') {
                ps->s++;
                continue;
            }
            if (*ps->s == '}') {
                ps->s++;
                ps->depth--;
                return t;
            }
            return fail(ps, t, "',' or '}' expected");
        }
    }
    if (*s == '\'') {
        const char *end = strchr(s + 1, '\'');
        if (end == NULL)
            return fail(ps, NULL, "an unterminated quoted atom");
        ps->s = end + 1;
        ps->depth--;
        return atom(s + 1, (size_t)(end - s - 1));
    }
    if (isalpha((unsigned char)*s) || *s == '_') {
        while (isalnum((unsigned char)*ps->s) || *ps->s == '_' || *ps->s == '@')
            ps->s++;
        size_t n = (size_t)(ps->s - s);
        ps->depth--;
        for (const struct ast_field *f = ps->fields; f != NULL; f = f->next)
            if (strlen(f->name) == n && strncmp(f->name, s, n) == 0)
                return field(f);
        if (!islower((unsigned char)*s))
            return fail(ps, NULL, "an atom must start with a lower-case letter or be quoted");
        return atom(s, n);
    }
    return fail(ps, NULL, "a tuple, an atom or a field expected");
}

/* How many times p uses f. */
static int uses(const struct pattern *p, const struct ast_field *f)
{
    if (p->kind == PATTERN_FIELD)
        return p->field == f;
    int n = 0;
    for (int i = 0; i < p->count; i++)
        n += uses(p->items[i], f);
    return n;
}

struct pattern *pattern_parse(const char *text, const struct ast_field *fields,
                              char *error, size_t size)
{
    struct parser ps = {text, text, fields, error, size, 0};
    error[0] = '\0';
    struct pattern *p = parse(&ps);
    if (p == NULL)
        return NULL;
    skip_space(&ps);
    if (*ps.s != '\0')
        return fail(&ps, p, "text after the pattern");
    for (const struct ast_field *f = fields; f != NULL; f = f->next) {
        int n = uses(p, f);
        if (n != 1) {
            snprintf(error, size, "the pattern %s field '%s'",
                     n == 0 ? "leaves out" : "repeats", f->name);
            pattern_free(p);
            return NULL;
        }
    }
    return p;
}

void pattern_print(struct buf *b, const struct pattern *p)
{
    if (p->kind == PATTERN_ATOM) {
        buf_puts(b, p->atom);
    } else if (p->kind == PATTERN_FIELD) {
        buf_printf(b, "%c%s", toupper((unsigned char)p->field->name[0]), p->field->name + 1);
    } else {
        buf_puts(b, "{");
        for (int i = 0; i < p->count; i++) {
            if (i > 0)
                buf_puts(b, ", ");
            pattern_print(b, p->items[i]);
        }
        buf_puts(b, "}");
    }
}

/* ---------------------------------------------------------------------- */
/* The code                                                                */

/* ORDER AST_TYPE: the srv_term_get_ and srv_term_put_ of each scalar. */
static const struct {
    const char *get, *put;
} scalar[] = {
    {"i8", "int"}, {"i16", "int"}, {"i32", "int"}, {"i64", "int"},
    {"u8", "uint"}, {"u16", "uint"}, {"u32", "uint"}, {"u64", "uint"},
    {"c_int", "int"}, {"double", "double"}, {"float", "double"}, {"bool", "bool"},
    {"string", "string"}, {"bytes", "bytes"}, {"atom", "atom"}, {"pid", "pid"},
};

static void sep(struct buf *b, bool *first)
{
    if (!*first)
        buf_puts(b, "\n&& ");
    *first = false;
}

static void decode_value(const char *server, struct buf *b, const char *expr,
                         const struct ast_type *t, bool *first);

static void decode_record(const char *server, struct buf *b, const char *expr,
                          const struct ast_record *r, bool *first)
{
    int n = 1;
    for (const struct ast_field *f = r->fields; f != NULL; f = f->next)
        n++;
    sep(b, first);
    buf_printf(b, "srv_term_get_tuple(srv_in, %d)", n);
    sep(b, first);
    buf_printf(b, "srv_term_get_tag(srv_in, \"%s\")", r->name);
    for (const struct ast_field *f = r->fields; f != NULL; f = f->next) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s.%s", expr, f->name);
        decode_value(server, b, sub, &f->type, first);
    }
}

static void decode_value(const char *server, struct buf *b, const char *expr,
                         const struct ast_type *t, bool *first)
{
    if (t->kind == AST_TYPE_RECORD) {
        decode_record(server, b, expr, t->record, first);
        return;
    }
    sep(b, first); /* an argument's string is const char *: the cast is
                    * the reader's, which owns what it reads */
    buf_printf(b, "srv_term_get_%s(srv_in, %s&%s)", scalar[t->kind].get,
               t->kind == AST_TYPE_STRING ? "(char **)" : "", expr);
}

static void decode(const char *server, struct buf *b, const struct pattern *p,
                   const char *prefix, bool *first)
{
    if (p->kind == PATTERN_ATOM) {
        sep(b, first);
        buf_printf(b, "srv_term_get_tag(srv_in, \"%s\")", p->atom);
    } else if (p->kind == PATTERN_FIELD) {
        char expr[256];
        snprintf(expr, sizeof expr, "%s%s", prefix, p->field->name);
        decode_value(server, b, expr, &p->field->type, first);
    } else {
        sep(b, first);
        buf_printf(b, "srv_term_get_tuple(srv_in, %d)", p->count);
        for (int i = 0; i < p->count; i++)
            decode(server, b, p->items[i], prefix, first);
    }
}

void pattern_decode(const char *server, struct buf *b, const struct pattern *p,
                    const char *prefix)
{
    bool first = true;
    decode(server, b, p, prefix, &first);
}

static void encode_value(const char *server, struct buf *b, const char *expr,
                         const struct ast_type *t)
{
    if (t->kind == AST_TYPE_RECORD) {
        int n = 1;
        for (const struct ast_field *f = t->record->fields; f != NULL; f = f->next)
            n++;
        buf_printf(b, "srv_term_put_tuple(srv_out, %d);\n", n);
        buf_printf(b, "srv_term_put_atom(srv_out, \"%s\");\n", t->record->name);
        for (const struct ast_field *f = t->record->fields; f != NULL; f = f->next) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s.%s", expr, f->name);
            encode_value(server, b, sub, &f->type);
        }
        return;
    }
    buf_printf(b, "srv_term_put_%s(srv_out, %s);\n", scalar[t->kind].put, expr);
}

void pattern_encode(const char *server, struct buf *b, const struct pattern *p,
                    const char *prefix)
{
    if (p->kind == PATTERN_ATOM) {
        buf_printf(b, "srv_term_put_atom(srv_out, \"%s\");\n", p->atom);
    } else if (p->kind == PATTERN_FIELD) {
        char expr[256];
        snprintf(expr, sizeof expr, "%s%s", prefix, p->field->name);
        encode_value(server, b, expr, &p->field->type);
    } else {
        buf_printf(b, "srv_term_put_tuple(srv_out, %d);\n", p->count);
        for (int i = 0; i < p->count; i++)
            pattern_encode(server, b, p->items[i], prefix);
    }
}
