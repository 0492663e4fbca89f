/*
 * value.h: the C code of the values of spec types, as pieces of text for
 * the templates: a declaration, a deep copy, a release, a printer, for
 * one value or for each field of a list.  The code of a record names the
 * record's functions, which carry the server's name (server).  Pieces of
 * several lines end each line with '\n' and are not indented.
 */
#ifndef SRVC_VALUE_H
#define SRVC_VALUE_H

#include <stdbool.h>

#include "ast.h"
#include "buf.h"

enum value_role {
    VALUE_ARG,  /* a parameter of the API: strings are const char * */
    VALUE_OWNED /* a struct member that owns what it points to */
};

/* "const char *key", "worker_point where", "FILE *log": a declaration. */
void value_declare(const char *server, struct buf *b, const struct ast_field *f,
                   enum value_role role);
/* ", const char *key, srv_atom value": parameters after others. */
void value_params(const char *server, struct buf *b, const struct ast_field *fields);
/* Struct members, one a line, indented by four. */
void value_members(const char *server, struct buf *b, const struct ast_field *fields);

/* Whether fields own memory: if not, a plain copy of their struct is a
 * whole copy, and nothing needs freeing. */
bool value_fields_own_memory(const struct ast_field *fields);
/* Whether a deep copy of fields allocates, and so may fail. */
bool value_copy_may_fail(const struct ast_field *fields);

/* What value_each writes for each field (whole C declarations are copied
 * with memcpy, and left out of the rest). */
enum value_job {
    VALUE_COPY,         /* dst = a deep copy of src */
    VALUE_COPY_OR_FAIL, /* the same, and `goto fail` when out of memory */
    VALUE_DISOWN,       /* pointers that move with a message back to NULL */
    VALUE_FREE          /* release what it owns, and clear it */
};
/* job for each field f of fields, as dst PREFIX + f (and src PREFIX + f). */
void value_each(const char *server, struct buf *b, enum value_job job, const char *dst,
                const char *src, const struct ast_field *fields);
/* A deep copy of fields from src to dst (their prefixes) into copy, which
 * zeroes dst first when it can fail; then (returns true) what undoes it
 * after `fail:` into undo: moved pointers go back to the sender, and with
 * free_each what was copied is freed field by field. */
bool value_copy_fields(const char *server, struct buf *copy, struct buf *undo,
                       const struct ast_field *fields, const char *dst, const char *src,
                       bool free_each);

/* Prints expr, of type t, in Erlang's notation into the srv_buf `out`. */
void value_format(const char *server, struct buf *b, const char *expr,
                  const struct ast_type *t);
/* "#{key => '0x01f',value => <<"test">>}": a map of the fields. */
void value_format_fields(const char *server, struct buf *b, const char *prefix,
                         const struct ast_field *fields);

/* For each string, bytes and ptr(..., FREEFN) that fields own, however
 * deep in records: if the pointer p is it, the field is cleared (what
 * terminate's clearing free() does before it frees p). */
void value_forget_fields(struct buf *b, const char *prefix, const struct ast_field *fields);

#endif /* SRVC_VALUE_H */
