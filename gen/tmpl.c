/*
 * tmpl.c: renders a template (tmpl.h says what a template may hold).
 * Blocks are found line by line as the renderer meets them: an @for@ or
 * @if@ looks ahead for its @end@, counting the blocks opened on the way,
 * and renders the lines between with the names they should see.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

/* The widest line the templates' code is given (wrap). */
#define TMPL_COLUMNS 100

struct binding {
    char *name;
    char *text;               /* NULL for a list */
    struct tmpl_dict **items; /* a list's items, in order */
    size_t n_items, cap_items;
};

struct tmpl_dict {
    struct binding *bindings;
    size_t n, cap;
};

const struct tmpl_file *tmpl_find(const char *name)
{
    for (const struct tmpl_file *t = tmpl_files; t->name != NULL; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Out of memory ends srvc, as in buf.c. */
static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n * size);
    if (q == NULL) {
        fputs("srvc: error: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static char *copy_text(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(grow(NULL, n, 1), s, n);
}

struct tmpl_dict *tmpl_dict_new(void)
{
    struct tmpl_dict *d = grow(NULL, 1, sizeof *d);
    d->bindings = NULL;
    d->n = d->cap = 0;
    return d;
}

void tmpl_dict_free(struct tmpl_dict *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        struct binding *b = &d->bindings[i];
        for (size_t k = 0; k < b->n_items; k++)
            tmpl_dict_free(b->items[k]);
        free(b->items);
        free(b->name);
        free(b->text);
    }
    free(d->bindings);
    free(d);
}

/* The binding of name in d, made (empty) if there is none. */
static struct binding *bind(struct tmpl_dict *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->bindings[i].name, name) == 0)
            return &d->bindings[i];
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->bindings = grow(d->bindings, d->cap, sizeof *d->bindings);
    }
    struct binding *b = &d->bindings[d->n++];
    memset(b, 0, sizeof *b);
    b->name = copy_text(name);
    return b;
}

void tmpl_set(struct tmpl_dict *d, const char *name, const char *text)
{
    struct binding *b = bind(d, name);
    free(b->text);
    b->text = copy_text(text);
}

void tmpl_setf(struct tmpl_dict *d, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = grow(NULL, (size_t)(n > 0 ? n : 0) + 1, 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    struct binding *b = bind(d, name);
    free(b->text);
    b->text = text;
}

void tmpl_list(struct tmpl_dict *d, const char *name)
{
    struct binding *b = bind(d, name);
    free(b->text);
    b->text = NULL;
}

struct tmpl_dict *tmpl_add(struct tmpl_dict *d, const char *list)
{
    struct binding *b = bind(d, list);
    tmpl_list(d, list);
    if (b->n_items == b->cap_items) {
        b->cap_items = b->cap_items ? 2 * b->cap_items : 8;
        b->items = grow(b->items, b->cap_items, sizeof *b->items);
    }
    return b->items[b->n_items++] = tmpl_dict_new();
}

/* ---------------------------------------------------------------------- */
/* Rendering                                                               */

/* The dicts a line sees: an @for@ item's, then those around it. */
struct scope {
    const struct tmpl_dict *dict;
    const struct scope *up;
};

struct renderer {
    const struct tmpl_file *t;
    struct buf *out;
    char *error;
    size_t size;
};

static int fail(struct renderer *r, int line, const char *what, const char *name, int len)
{
    snprintf(r->error, r->size, "templates/%s.tmpl:%d: %s%.*s%s", r->t->name, line, what,
             len, name, len > 0 ? "'" : "");
    return -1;
}

static const struct binding *lookup(const struct scope *s, const char *name, size_t len)
{
    for (; s != NULL; s = s->up)
        for (size_t i = 0; s->dict != NULL && i < s->dict->n; i++) {
            const struct binding *b = &s->dict->bindings[i];
            if (strlen(b->name) == len && memcmp(b->name, name, len) == 0)
                return b;
        }
    return NULL;
}

/* Appends value, each line after the first indented by indent bytes (not
 * empty lines, nor preprocessor lines, which stay at column 1). */
static void put_indented(struct buf *out, const char *value, const char *indent,
                         size_t indent_len)
{
    for (const char *p = value; *p != '\0'; p++) {
        buf_append(out, p, 1);
        if (*p == '\n' && p[1] != '\0' && p[1] != '\n' && p[1] != '#')
            buf_append(out, indent, indent_len);
    }
}

/* Where a line that starts at column and inside depth parentheses may
 * break before TMPL_COLUMNS: after the last ", " inside its first
 * parenthesis and outside strings.  0 if nowhere. */
static size_t break_point(const char *line, size_t len, size_t column, int depth)
{
    size_t best = 0;
    char quote = 0;
    for (size_t i = 0; i < len && column + i < TMPL_COLUMNS; i++) {
        char ch = line[i];
        if (quote != 0) {
            i += ch == '\\';
            quote = ch == quote ? 0 : quote;
        } else if (ch == '"' || ch == '\'') {
            quote = ch;
        } else if (ch == '(' || ch == ')') {
            depth += ch == '(' ? 1 : -1;
        } else if (ch == ',' && depth == 1 && i + 1 < len && line[i + 1] == ' ') {
            best = i + 1;
        }
    }
    return best;
}

/* Breaks the line from start to the end of out, a line of code wider than
 * TMPL_COLUMNS, after commas of its first parenthesis, each part after the
 * first aligned after that '('. */
static void wrap(struct buf *out, size_t start)
{
    size_t len = out->len - start;
    len -= len > 0 && out->data[out->len - 1] == '\n';
    const char *text = out->data + start, *open = memchr(text, '(', len);
    const char *first = text + strspn(text, " ");
    if (len <= TMPL_COLUMNS || open == NULL || *first == '#' || *first == '/' || *first == '*')
        return;
    /* A function named in parentheses, "(name)(...)": its parameters'. */
    const char *close = open + 1, *end = text + len;
    while (close < end && (isalnum((unsigned char)*close) || *close == '_'))
        close++;
    if (close + 1 < end && close[0] == ')' && close[1] == '(')
        open = close + 1;
    size_t indent = (size_t)(open - text) + 1, column = 0, cut;
    struct buf line;
    buf_init(&line);
    buf_append(&line, text, out->len - start);
    out->len = start;
    const char *p = line.data;
    int depth = 0;
    while (column + len > TMPL_COLUMNS && (cut = break_point(p, len, column, depth)) > 0) {
        buf_append(out, p, cut);
        buf_printf(out, "\n%*s", (int)indent, "");
        p += cut + 1; /* and the space after the comma */
        len -= cut + 1;
        column = indent;
        depth = 1;
    }
    buf_puts(out, p);
    buf_free(&line);
}

/* Renders one line of text and holes, from text to line_end (its '\n'
 * included). */
static int render_line(struct renderer *r, const struct scope *s, const char *text,
                       const char *line_end, int line)
{
    struct buf *out = r->out;
    size_t start = out->len;
    bool only_holes = true, any_text = false, value_ended_line = false;
    bool code_line = true; /* no value of many lines, which is kept as it is */
    const char *p = text;
    while (p < line_end) {
        const char *at = memchr(p, '@', (size_t)(line_end - p));
        if (at == NULL) {
            /* A multi-line value at the end of its line brought its own
             * newline: the template's would leave a blank line. */
            if (value_ended_line && p + 1 == line_end && *p == '\n')
                break;
            buf_append(out, p, (size_t)(line_end - p));
            only_holes &= strspn(p, " \n") >= (size_t)(line_end - p);
            break;
        }
        buf_append(out, p, (size_t)(at - p));
        only_holes &= strspn(p, " ") >= (size_t)(at - p);
        if (at + 1 < line_end && at[1] == '@') {
            buf_append(out, "@", 1);
            only_holes = false;
            p = at + 2;
            continue;
        }
        const char *close = memchr(at + 1, '@', (size_t)(line_end - at - 1));
        if (close == NULL)
            return fail(r, line, "unclosed '@'", "", 0);
        int len = (int)(close - at - 1);
        const struct binding *b = lookup(s, at + 1, (size_t)len);
        if (b == NULL)
            return fail(r, line, "unknown name '", at + 1, len);
        if (b->text == NULL)
            return fail(r, line, "a list where text belongs: '", at + 1, len);
        any_text |= b->text[0] != '\0';
        code_line &= strchr(b->text, '\n') == NULL;
        put_indented(out, b->text, text, (size_t)(at - text));
        size_t value_len = strlen(b->text);
        value_ended_line = value_len > 0 && b->text[value_len - 1] == '\n';
        p = close + 1;
    }
    /* A line of nothing but empty holes leaves no blank line behind. */
    if (only_holes && !any_text && memchr(text, '@', (size_t)(line_end - text)) != NULL) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    } else if (code_line) {
        wrap(out, start);
    }
    return 0;
}

enum directive { LINE_TEXT, LINE_FOR, LINE_IF, LINE_ELSE, LINE_END };

/* What the line from text to line_end is; for @for@ and @if@, the name
 * it reads (and whether it is negated). */
static enum directive directive(const char *text, const char *line_end, const char **name,
                                size_t *len, bool *negated)
{
    static const struct {
        const char *word;
        enum directive kind;
    } words[] = {{"@for ", LINE_FOR}, {"@if ", LINE_IF}, {"@else@", LINE_ELSE},
                 {"@end@", LINE_END}};
    const char *p = text + strspn(text, " ");
    size_t n = (size_t)(line_end - p);
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t w = strlen(words[i].word);
        if (n < w || memcmp(p, words[i].word, w) != 0)
            continue;
        if (words[i].kind == LINE_ELSE || words[i].kind == LINE_END)
            return n == w ? words[i].kind : LINE_TEXT;
        if (n <= w + 1 || p[n - 1] != '@')
            return LINE_TEXT;
        *negated = p[w] == '!';
        *name = p + w + *negated;
        *len = n - w - 1 - *negated;
        return words[i].kind;
    }
    return LINE_TEXT;
}

static const char *next_line(const char *text, const char *end)
{
    const char *eol = memchr(text, '\n', (size_t)(end - text));
    return eol != NULL ? eol + 1 : end;
}

/* The block that starts after the line at open: where its @else@ (or
 * NULL) and its @end@ lines begin, or -1 when it has no @end@. */
static int find_end(const char *body, const char *end, const char **else_at,
                    const char **end_at)
{
    int depth = 0;
    *else_at = NULL;
    for (const char *p = body; p < end; p = next_line(p, end)) {
        const char *name;
        size_t len;
        bool negated;
        switch (directive(p, next_line(p, end), &name, &len, &negated)) {
        case LINE_FOR: case LINE_IF: depth++; break;
        case LINE_ELSE: if (depth == 0) *else_at = p; break;
        case LINE_END:
            if (depth-- == 0) {
                *end_at = p;
                return 0;
            }
            break;
        case LINE_TEXT: break;
        }
    }
    return -1;
}

static int count_lines(const char *from, const char *to)
{
    int n = 0;
    for (const char *p = from; p < to; p++)
        n += *p == '\n';
    return n;
}

static int render_lines(struct renderer *r, const struct scope *s, const char *text,
                        const char *end, int line);

/* An @for@ or @if@ block whose first line is at text; *after is where
 * the line after its @end@ begins. */
static int render_block(struct renderer *r, const struct scope *s, const char *text,
                        const char *end, int line, const char **after)
{
    const char *name, *else_at, *end_at;
    size_t len;
    bool negated = false;
    const char *body = next_line(text, end);
    enum directive kind = directive(text, body, &name, &len, &negated);
    if (find_end(body, end, &else_at, &end_at) != 0)
        return fail(r, line, kind == LINE_FOR ? "@for@ without @end@" : "@if@ without @end@",
                    "", 0);
    *after = next_line(end_at, end);
    const struct binding *b = lookup(s, name, len);
    if (b == NULL)
        return fail(r, line, "unknown name '", name, (int)len);
    if (kind == LINE_FOR && (b->text != NULL || else_at != NULL))
        return fail(r, line, b->text != NULL ? "not a list: '" : "@else@ in the @for@ of '",
                    name, (int)len);
    const char *body_end = else_at != NULL ? else_at : end_at;
    if (kind == LINE_FOR) {
        for (size_t i = 0; i < b->n_items; i++) {
            struct scope inner = {b->items[i], s};
            if (render_lines(r, &inner, body, body_end, line + 1) != 0)
                return -1;
        }
        return 0;
    }
    bool holds = b->text != NULL ? b->text[0] != '\0' : b->n_items > 0;
    if (holds != negated)
        return render_lines(r, s, body, body_end, line + 1);
    if (else_at == NULL)
        return 0;
    return render_lines(r, s, next_line(else_at, end), end_at,
                        line + 1 + count_lines(body, else_at) + 1);
}

static int render_lines(struct renderer *r, const struct scope *s, const char *text,
                        const char *end, int line)
{
    while (text < end) {
        const char *line_end = next_line(text, end), *name;
        size_t len;
        bool negated;
        switch (directive(text, line_end, &name, &len, &negated)) {
        case LINE_TEXT:
            if (render_line(r, s, text, line_end, line) != 0)
                return -1;
            break;
        case LINE_FOR: case LINE_IF:
            if (render_block(r, s, text, end, line, &line_end) != 0)
                return -1;
            break;
        case LINE_ELSE:
            return fail(r, line, "@else@ without @if@", "", 0);
        case LINE_END:
            return fail(r, line, "@end@ without @for@ or @if@", "", 0);
        }
        line += count_lines(text, line_end);
        text = line_end;
    }
    return 0;
}

int tmpl_render(const struct tmpl_file *t, const struct tmpl_dict *d, struct buf *out,
                char *error, size_t size)
{
    struct renderer r = {t, out, error, size};
    struct scope top = {d, NULL};
    buf_puts(out, "");
    return render_lines(&r, &top, t->text, t->text + t->len, 1);
}
