/*
 * tmpl.h: the template engine.  A template is C with holes: @name@ is
 * replaced by the variable's text, indented to the hole's column when it
 * spans lines; a line that holds only a hole whose text is empty vanishes;
 * @@ is a literal @.  An unknown variable is an error that names the
 * template's file and line.  The templates (templates/NAME.tmpl) are built
 * into srvc by mk/embed.sh.
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

struct tmpl_var {
    const char *name;
    const char *value;
};

/* The built-in template called name ("server.c"), or NULL. */
const struct tmpl_file *tmpl_find(const char *name);

/* Renders t with vars (n of them) into out.  Returns 0, or -1 with a
 * message in error (size bytes). */
int tmpl_render(const struct tmpl_file *t, const struct tmpl_var *vars, size_t n,
                struct buf *out, char *error, size_t size);

#endif /* SRVC_TMPL_H */
