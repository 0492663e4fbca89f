/*
 * tmpl.h: the template engine.  A template is C with holes and blocks:
 *
 *   @name@            the text of name, indented to the hole's column
 *                     when it spans lines (not its # lines); @@ is @
 *   @for list@        the lines up to the matching @end@, once for each
 *                     item of list, whose names hide the outer ones
 *   @if name@         the lines up to @else@ or @end@ when name is text
 *   @if !name@        that is not empty or a list that is not, and the
 *   @else@            lines from @else@ otherwise (!name: the other way)
 *   @end@
 *
 * A block's lines (@for@, @if@, @else@, @end@) hold nothing else and
 * leave no line in the output; so does a line of nothing but holes whose
 * text is empty.  A line of code that comes out wider than 100 columns is
 * broken after the commas of its first parenthesis, each part aligned
 * after that '(' (a parameter list, a call's arguments); a line with text
 * of many lines in a hole (the spec's own code) is left as it is.  An
 * unknown name, a block left open and an @end@ with nothing to close are
 * errors that give the template's file and line.
 * The templates (templates/NAME.tmpl) are built into srvc by mk/embed.sh.
 */
#ifndef SRVC_TMPL_H
#define SRVC_TMPL_H

#include <stddef.h>

#include "buf.h"

struct tmpl_file {
    const char *name;
    const char *text;
    size_t len;
};
extern const struct tmpl_file tmpl_files[];

/* What a template reads: names bound to text or to a list of dicts. */
struct tmpl_dict;

/* The built-in template called name ("server.c"), or NULL. */
const struct tmpl_file *tmpl_find(const char *name);

/* A new, empty dict; tmpl_dict_free releases it with its lists' items. */
struct tmpl_dict *tmpl_dict_new(void);
void tmpl_dict_free(struct tmpl_dict *d);

/* Binds name to a copy of text (or to printf's output); the last binding
 * of a name wins. */
void tmpl_set(struct tmpl_dict *d, const char *name, const char *text);
void tmpl_setf(struct tmpl_dict *d, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Binds name to an empty list, if it is not one yet (an @if on it is then
 * false), and returns the dict of a new item appended to it. */
void tmpl_list(struct tmpl_dict *d, const char *name);
struct tmpl_dict *tmpl_add(struct tmpl_dict *d, const char *list);

/* Renders t with d into out.  Returns 0, or -1 with a message in error
 * (size bytes). */
int tmpl_render(const struct tmpl_file *t, const struct tmpl_dict *d, struct buf *out,
                char *error, size_t size);

#endif /* SRVC_TMPL_H */
