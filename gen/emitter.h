/*
 * emitter.h: what the emission of a server (emit.c) shares with that of a
 * supervisor (emit_sup.c): the emitter's state, the rendering of a
 * template, and the pieces of text both fill their templates with.
 */
#ifndef SRVC_EMITTER_H
#define SRVC_EMITTER_H

#include "emit.h"
#include "tmpl.h"
#include "value.h"

struct emitter {
    const struct ast_spec *spec;
    const struct emit_options *opts;
    const char *out_path; /* the file being built: for #line back to it */
    const char *name;  /* the server's name: every generated name's prefix */
    char upper[80];    /* NAME in capitals, for enum constants */
    const char *header_path; /* NAME.srv.h: for #line back to it */
    char error[256];   /* a template's error, for emit_files to report */
};

/* Renders KIND.h and KIND.c (templates/KIND.*.tmpl) into h and c from the
 * data fill builds, beside what every file reads (version, spec, name,
 * NAME, header, guard and the spec's C blocks).  Returns 0, or -1 after
 * reporting an internal error through d. */
int emit_files(const struct ast_spec *spec, const struct emit_options *opts, struct diag *d,
               struct buf *h, struct buf *c, const char *kind,
               int (*fill)(struct emitter *e, struct tmpl_dict *data));
/* Renders the template called name into out, with its #line fixed. */
int render(struct emitter *e, const char *name, const struct tmpl_dict *d, struct buf *out);

/* text without its last newline, into d as name (text is freed). */
void set_text(struct tmpl_dict *d, const char *name, struct buf *text);
/* The fields of a list as items of d's list: member (a declaration), arg
 * (the name), format (its printer, from PREFIXname). */
void field_items(struct emitter *e, struct tmpl_dict *d, const char *list,
                 const struct ast_field *fields, const char *prefix, enum value_role role);
/* A copy of fields from src-> to dst-> into d as copy, copy_fails, uncopy. */
void set_copy(struct emitter *e, struct tmpl_dict *d, const struct ast_field *fields,
              bool free_each);
/* A deep copy and free of fields (a->), for a module table, as the one
 * item of d's list (copy, copy_fails, uncopy, free) when they own memory;
 * the list is empty otherwise.  Returns whether they do. */
bool set_copies(struct emitter *e, struct tmpl_dict *d, const char *list,
                const struct ast_field *fields);
/* ", const char *key, srv_atom value": the fields as parameters, into d. */
void set_params(struct emitter *e, struct tmpl_dict *d, const char *name,
                const struct ast_field *fields);
/* init's arguments: init_args (items), init_params ("const char *key, "),
 * init_names ("key, "), init_args_size, and init_copies (one item with
 * copy, uncopy and free when they own memory), from the spec's init. */
void server_init(struct emitter *e, struct tmpl_dict *d);
/* ", key, value" (or "key, value" without lead): the fields' names. */
void set_names(struct tmpl_dict *d, const char *name, const struct ast_field *fields,
               const char *prefix, bool lead);
/* Verbatim C blocks, each with its #line, into d as name. */
void code_blocks(struct emitter *e, struct tmpl_dict *d, const char *name,
                 const char *opener, const struct ast_code *blocks, size_t n);

#endif /* SRVC_EMITTER_H */
