/*
 * ast.c: building the syntax tree.  The grammar's actions call these; all
 * memory comes from the spec's arena and goes with ast_spec_free.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "ast_build.h"

struct ast_arena {
    struct ast_arena *next;
    _Alignas(16) unsigned char data[];
};

void *ast_alloc(struct ast_spec *spec, size_t size)
{
    struct ast_arena *block = calloc(1, sizeof *block + size);
    if (block == NULL)
        abort();
    block->next = spec->arena;
    spec->arena = block;
    return block->data;
}

char *ast_strndup(struct ast_spec *spec, const char *s, size_t n)
{
    char *copy = ast_alloc(spec, n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

void ast_spec_free(struct ast_spec *spec)
{
    if (spec == NULL)
        return;
    for (struct ast_use *u = spec->uses; u != NULL; u = u->next) {
        ast_spec_free(u->spec);
        free(u->text);
    }
    struct ast_arena *block = spec->arena;
    while (block != NULL) {
        struct ast_arena *next = block->next;
        free(block);
        block = next;
    }
    free(spec);
}

size_t ast_field_count(const struct ast_field *fields)
{
    size_t n = 0;
    for (; fields != NULL; fields = fields->next)
        n++;
    return n;
}

const struct ast_handler *ast_find_handler(const struct ast_spec *spec,
                                           enum ast_handler_kind kind)
{
    for (const struct ast_handler *h = spec->handlers; h != NULL; h = h->next)
        if (h->kind == kind)
            return h;
    return NULL;
}

const struct ast_record *ast_find_record(const struct ast_spec *spec, const char *name)
{
    for (const struct ast_record *r = spec->records; r != NULL; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

/* ORDER AST_TYPE */
static const char *const type_names[] = {
    "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "int", "double", "float",
    "bool", "string", "bytes", "atom", "pid", "record", "ptr", "c", "unknown"};

const char *ast_type_kind_name(enum ast_type_kind kind)
{
    return type_names[kind];
}

enum ast_type_kind ast_builtin_type(const char *name)
{
    for (int k = 0; k <= AST_TYPE_PID; k++)
        if (strcmp(name, type_names[k]) == 0)
            return (enum ast_type_kind)k;
    return AST_TYPE_UNKNOWN;
}

struct ast_type ast_type_named(const char *name, struct srv_loc loc)
{
    struct ast_type t = {.kind = ast_builtin_type(name), .name = name, .loc = loc};
    if (t.kind == AST_TYPE_UNKNOWN)
        t.kind = AST_TYPE_RECORD; /* resolved, or reported, by check.c */
    return t;
}

/* Trims spaces around a piece of C text. */
static char *trimmed(struct ast_spec *spec, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r'))
        n--;
    return ast_strndup(spec, s, n);
}

struct ast_type ast_type_ptr(struct ast_spec *spec, const char *text, struct srv_loc loc)
{
    struct ast_type t = {.kind = AST_TYPE_PTR, .name = "ptr", .loc = loc};
    /* ptr(CTYPE, FREEFN): the destructor follows the last top-level comma */
    const char *comma = NULL;
    int depth = 0;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '(' || *c == '[')
            depth++;
        else if (*c == ')' || *c == ']')
            depth--;
        else if (*c == ',' && depth == 0)
            comma = c;
    }
    if (comma != NULL) {
        t.c_type = trimmed(spec, text, (size_t)(comma - text));
        t.free_fn = trimmed(spec, comma + 1, strlen(comma + 1));
    } else {
        t.c_type = trimmed(spec, text, strlen(text));
    }
    return t;
}

struct ast_type ast_type_c(struct ast_spec *spec, const char *text, struct srv_loc loc)
{
    struct ast_type t = {.kind = AST_TYPE_C, .name = "c", .loc = loc};
    t.c_type = trimmed(spec, text, strlen(text));
    return t;
}

struct ast_field *ast_field_new(struct ast_spec *spec, struct ast_type type,
                                const char *name, struct srv_loc loc)
{
    struct ast_field *f = ast_alloc(spec, sizeof *f);
    f->type = type;
    f->name = name;
    f->loc = loc;
    return f;
}

/* The name a raw declaration declares: its last identifier outside
 * brackets ("waiting" in "srv_from waiting[8]"). */
struct ast_field *ast_field_declaration(struct ast_spec *spec, struct ast_type type)
{
    const char *text = type.c_type, *name = NULL;
    size_t name_len = 0;
    int depth = 0;
    for (const char *c = text; *c != '\0';) {
        if (*c == '[' || *c == '(') {
            depth++;
            c++;
        } else if (*c == ']' || *c == ')') {
            depth--;
            c++;
        } else if ((*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
            const char *start = c;
            while (*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                   (*c >= '0' && *c <= '9'))
                c++;
            if (depth == 0) {
                name = start;
                name_len = (size_t)(c - start);
            }
        } else {
            c++;
        }
    }
    struct ast_field *f = ast_field_new(spec, type,
                                        name ? ast_strndup(spec, name, name_len) : "",
                                        type.loc);
    f->whole_declaration = true;
    return f;
}

struct ast_field *ast_fields_append(struct ast_field *list, struct ast_field *f)
{
    if (f == NULL)
        return list;
    if (list == NULL)
        return f;
    struct ast_field *last = list;
    while (last->next != NULL)
        last = last->next;
    last->next = f;
    return list;
}

static void append_handler(struct ast_spec *spec, struct ast_handler *h)
{
    struct ast_handler **tail = &spec->handlers;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = h;
}

struct ast_attr *ast_attr_append(struct ast_spec *spec, struct ast_attr *list,
                                 const char *name, struct srv_loc loc)
{
    struct ast_attr *a = ast_alloc(spec, sizeof *a);
    a->name = name;
    a->loc = loc;
    return ast_attrs_join(list, a);
}

struct ast_attr *ast_attr_text(struct ast_attr *attr, const char *text, struct srv_loc loc)
{
    attr->text = text;
    attr->text_loc = loc;
    return attr;
}

struct ast_attr *ast_attrs_join(struct ast_attr *list, struct ast_attr *more)
{
    if (list == NULL)
        return more;
    struct ast_attr *last = list;
    while (last->next != NULL)
        last = last->next;
    last->next = more;
    return list;
}

void ast_call_attrs(struct ast_handler *call, struct ast_attr *attrs)
{
    call->attrs = attrs;
}

struct ast_handler *ast_handler_add(struct ast_spec *spec, enum ast_handler_kind kind,
                                    const char *name, struct srv_loc loc,
                                    struct ast_field *args, struct ast_field *reply,
                                    const struct ast_code *body)
{
    struct ast_handler *h = ast_alloc(spec, sizeof *h);
    h->kind = kind;
    h->name = name;
    h->loc = loc;
    h->args = args;
    h->reply = reply;
    if (body != NULL) {
        h->has_body = true;
        h->body = *body;
    }
    append_handler(spec, h);
    return h;
}

void ast_server_name(struct ast_spec *spec, const char *name, struct srv_loc loc,
                     bool first_item, struct ast_attr *attrs)
{
    struct ast_server_line *line = ast_alloc(spec, sizeof *line);
    line->name = name;
    line->loc = loc;
    line->first_item = first_item;
    line->attrs = attrs;
    struct ast_server_line **tail = &spec->server_lines;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = line;
    if (spec->name == NULL) {
        spec->name = name;
        spec->name_loc = loc;
    }
}

static struct ast_code *push_code(struct ast_spec *spec, struct ast_code *array,
                                  size_t *count, const struct ast_code *code)
{
    struct ast_code *grown = ast_alloc(spec, (*count + 1) * sizeof *grown);
    if (*count > 0)
        memcpy(grown, array, *count * sizeof *grown);
    grown[(*count)++] = *code;
    return grown;
}

void ast_c_block(struct ast_spec *spec, const struct ast_code *code)
{
    spec->c_blocks = push_code(spec, spec->c_blocks, &spec->n_c_blocks, code);
}

void ast_h_block(struct ast_spec *spec, const struct ast_code *code)
{
    spec->h_blocks = push_code(spec, spec->h_blocks, &spec->n_h_blocks, code);
}

void ast_top_block(struct ast_spec *spec, const struct ast_code *code)
{
    spec->top_blocks = push_code(spec, spec->top_blocks, &spec->n_top_blocks, code);
}

void ast_record_add(struct ast_spec *spec, const char *name, struct srv_loc loc,
                    struct ast_field *fields)
{
    struct ast_record *r = ast_alloc(spec, sizeof *r);
    r->name = name;
    r->loc = loc;
    r->fields = fields;
    struct ast_record **tail = &spec->records;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = r;
}

void ast_state_add(struct ast_spec *spec, struct srv_loc loc, struct ast_field *fields)
{
    struct ast_state_block *b = ast_alloc(spec, sizeof *b);
    b->loc = loc;
    struct ast_state_block **tail = &spec->state_blocks;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = b;
    if (!spec->has_state) {
        spec->has_state = true;
        spec->state = fields;
        spec->state_loc = loc;
    }
}

/* ---------------------------------------------------------------------- */
/* Supervisors                                                             */

void ast_supervisor_name(struct ast_spec *spec, const char *name, struct srv_loc loc,
                         bool first_item)
{
    bool first = spec->name == NULL;
    ast_server_name(spec, name, loc, first_item, NULL);
    struct ast_server_line *line = spec->server_lines;
    while (line->next != NULL)
        line = line->next;
    line->supervisor = true;
    if (first)
        spec->supervisor = true;
}

/* The path of a use: the literal without its quotes (check.c refuses
 * escapes in it). */
void ast_use_add(struct ast_spec *spec, const char *literal, struct srv_loc loc)
{
    struct ast_use *u = ast_alloc(spec, sizeof *u);
    size_t n = strlen(literal);
    u->path = ast_strndup(spec, literal + 1, n >= 2 ? n - 2 : 0);
    u->loc = loc;
    struct ast_use **tail = &spec->uses;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = u;
}

struct ast_value *ast_value_new(struct ast_spec *spec, enum ast_value_kind kind,
                                const char *text, struct srv_loc loc)
{
    struct ast_value *v = ast_alloc(spec, sizeof *v);
    v->kind = kind;
    v->text = text;
    v->loc = loc;
    return v;
}

struct ast_value *ast_values_append(struct ast_value *list, struct ast_value *v)
{
    if (list == NULL)
        return v;
    struct ast_value *last = list;
    while (last->next != NULL)
        last = last->next;
    last->next = v;
    return list;
}

struct ast_setting *ast_setting_new(struct ast_spec *spec, const char *key,
                                    struct srv_loc loc, struct ast_value *value,
                                    bool has_args, struct ast_value *args)
{
    struct ast_setting *s = ast_alloc(spec, sizeof *s);
    s->key = key;
    s->loc = loc;
    s->value = value;
    s->has_args = has_args;
    s->args = args;
    return s;
}

struct ast_setting *ast_settings_append(struct ast_setting *list, struct ast_setting *s)
{
    if (s == NULL)
        return list;
    if (list == NULL)
        return s;
    struct ast_setting *last = list;
    while (last->next != NULL)
        last = last->next;
    last->next = s;
    return list;
}

void ast_setting_add(struct ast_spec *spec, struct ast_setting *s)
{
    spec->settings = ast_settings_append(spec->settings, s);
}

void ast_child_add(struct ast_spec *spec, const char *id, struct srv_loc loc,
                   struct ast_setting *props)
{
    struct ast_child *c = ast_alloc(spec, sizeof *c);
    c->id = id;
    c->loc = loc;
    c->props = props;
    struct ast_child **tail = &spec->children;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = c;
}

const char *ast_negative(struct ast_spec *spec, const char *number)
{
    size_t n = strlen(number);
    char *text = ast_alloc(spec, n + 2);
    text[0] = '-';
    memcpy(text + 1, number, n + 1);
    return text;
}
