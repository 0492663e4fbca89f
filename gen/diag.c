/*
 * diag.c: GNU-style diagnostics with the source line and a caret under the
 * place, as gcc and clang print them.  The only writer to stderr in srvc.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct diag {
    FILE *out;
    const char *path;
    const char *text;
    size_t len;
    int errors;
    bool gave_up;
};

struct diag *diag_new(FILE *out)
{
    struct diag *d = calloc(1, sizeof *d);
    if (d != NULL)
        d->out = out;
    return d;
}

void diag_free(struct diag *d)
{
    free(d);
}

void diag_set_source(struct diag *d, const char *path, const char *text, size_t len)
{
    d->path = path;
    d->text = text;
    d->len = len;
}

int diag_error_count(const struct diag *d)
{
    return d->errors;
}

bool diag_too_many(const struct diag *d)
{
    return d->errors >= DIAG_MAX_ERRORS;
}

/* Prints the line of loc and a caret line under its columns.  Tabs in the
 * line are kept in the caret's padding so both align at any tab width. */
static void show_line(struct diag *d, struct srv_loc loc)
{
    if (d->text == NULL || loc.offset > d->len)
        return;
    size_t start = loc.offset;
    while (start > 0 && d->text[start - 1] != '\n')
        start--;
    size_t end = loc.offset;
    while (end < d->len && d->text[end] != '\n')
        end++;
    fprintf(d->out, "%5d | ", loc.first_line);
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)d->text[i];
        fputc(c == '\0' || (c < 32 && c != '\t') ? ' ' : c, d->out);
    }
    fputs("\n      | ", d->out);
    for (size_t i = start; i < loc.offset; i++)
        fputc(d->text[i] == '\t' ? '\t' : ' ', d->out);
    fputc('^', d->out);
    size_t last = loc.offset_end > loc.offset ? loc.offset_end : loc.offset + 1;
    if (last > end)
        last = end;
    for (size_t i = loc.offset + 1; i < last; i++)
        fputc('~', d->out);
    fputc('\n', d->out);
}

static void report(struct diag *d, struct srv_loc loc, const char *kind,
                   const char *fmt, va_list ap)
{
    if (d->out == NULL)
        return;
    fprintf(d->out, "%s:%d:%d: %s: ", d->path ? d->path : "srvc", loc.first_line,
            loc.first_column, kind);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    show_line(d, loc);
}

void diag_error(struct diag *d, struct srv_loc loc, const char *fmt, ...)
{
    if (d->gave_up)
        return;
    if (d->errors == DIAG_MAX_ERRORS) {
        if (d->out != NULL)
            fprintf(d->out, "%s: error: too many errors, giving up\n",
                    d->path ? d->path : "srvc");
        d->gave_up = true;
        return;
    }
    d->errors++;
    va_list ap;
    va_start(ap, fmt);
    report(d, loc, "error", fmt, ap);
    va_end(ap);
}

void diag_note(struct diag *d, struct srv_loc loc, const char *fmt, ...)
{
    if (d->gave_up)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(d, loc, "note", fmt, ap);
    va_end(ap);
}

void diag_note_in(struct diag *d, const char *path, const char *text, size_t len,
                  struct srv_loc loc, const char *fmt, ...)
{
    if (d->gave_up)
        return;
    struct diag other = *d;
    diag_set_source(&other, path, text, len);
    va_list ap;
    va_start(ap, fmt);
    report(&other, loc, "note", fmt, ap);
    va_end(ap);
}

void diag_errorf(struct diag *d, const char *fmt, ...)
{
    d->errors++;
    if (d->out == NULL)
        return;
    fputs("srvc: error: ", d->out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->out, fmt, ap);
    va_end(ap);
    fputc('\n', d->out);
}
