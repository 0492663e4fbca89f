/*
 * tmpl.c: renders a template (tmpl.h says what a template may hold).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tmpl.h"

const struct tmpl_file *tmpl_find(const char *name)
{
    for (const struct tmpl_file *t = tmpl_files; t->name != NULL; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static const char *lookup(const struct tmpl_var *vars, size_t n, const char *name,
                          size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return vars[i].value;
    return NULL;
}

/* Appends value, each line after the first indented by indent bytes. */
static void put_indented(struct buf *out, const char *value, const char *indent,
                         size_t indent_len)
{
    for (const char *p = value; *p != '\0'; p++) {
        buf_append(out, p, 1);
        if (*p == '\n' && p[1] != '\0' && p[1] != '\n' && !(p[1] == '#'))
            buf_append(out, indent, indent_len);
    }
}

int tmpl_render(const struct tmpl_file *t, const struct tmpl_var *vars, size_t n,
                struct buf *out, char *error, size_t size)
{
    const char *text = t->text, *end = t->text + t->len;
    int line = 1;
    while (text < end) {
        const char *eol = memchr(text, '\n', (size_t)(end - text));
        const char *line_end = eol != NULL ? eol + 1 : end;
        size_t start = out->len;
        bool only_holes = true, any_text = false;
        const char *p = text;
        bool value_ended_line = false;
        while (p < line_end) {
            const char *at = memchr(p, '@', (size_t)(line_end - p));
            if (at == NULL) {
                /* A multi-line value at the end of its line brought its own
                 * newline: the template's would leave a blank line. */
                if (value_ended_line && p + 1 == line_end && *p == '\n')
                    break;
                buf_append(out, p, (size_t)(line_end - p));
                for (; p < line_end; p++)
                    if (*p != ' ' && *p != '\n')
                        only_holes = false;
                break;
            }
            buf_append(out, p, (size_t)(at - p));
            for (const char *q = p; q < at; q++)
                if (*q != ' ')
                    only_holes = false;
            if (at + 1 < line_end && at[1] == '@') {
                buf_append(out, "@", 1);
                only_holes = false;
                p = at + 2;
                continue;
            }
            const char *close = memchr(at + 1, '@', (size_t)(line_end - at - 1));
            if (close == NULL) {
                snprintf(error, size, "templates/%s.tmpl:%d: unclosed '@'", t->name, line);
                return -1;
            }
            const char *value = lookup(vars, n, at + 1, (size_t)(close - at - 1));
            if (value == NULL) {
                snprintf(error, size, "templates/%s.tmpl:%d: unknown variable '%.*s'",
                         t->name, line, (int)(close - at - 1), at + 1);
                return -1;
            }
            if (*value != '\0')
                any_text = true;
            put_indented(out, value, text, (size_t)(at - text));
            size_t value_len = strlen(value);
            value_ended_line = value_len > 0 && value[value_len - 1] == '\n';
            p = close + 1;
        }
        /* A line of nothing but empty holes leaves no blank line behind. */
        if (only_holes && !any_text && memchr(text, '@', (size_t)(line_end - text)) != NULL) {
            out->len = start;
            if (out->data != NULL)
                out->data[start] = '\0';
        }
        text = line_end;
        line++;
    }
    return 0;
}
