/*
 * term.h: the Erlang term of each message and reply (term.c): patterns
 * (the default shapes, or a call's [[erlang_request("...")]] and
 * [[erlang_reply("...")]]) and the code of the node's codec that reads
 * and writes them through libsrv's srv_term_* functions.
 */
#ifndef SRVC_TERM_H
#define SRVC_TERM_H

#include <stdbool.h>

#include "ast.h"
#include "buf.h"

/* A pattern: a tuple of patterns, an atom, or a field of the message. */
enum pattern_kind { PATTERN_TUPLE, PATTERN_ATOM, PATTERN_FIELD };
struct pattern {
    enum pattern_kind kind;
    char *atom;                     /* ATOM: its text */
    const struct ast_field *field;  /* FIELD */
    struct pattern **items;         /* TUPLE: count of them */
    int count;
};

/* Whether a value of type t has an Erlang term (not ptr or c, nor a record
 * holding one). */
bool term_maps(const struct ast_type *t);
bool term_fields_map(const struct ast_field *fields);

/* Parses text ("{ok, value}"): a tuple in braces, an atom ('quoted', or a
 * name that is not one of fields), or a field by its name; each of fields
 * exactly once.  NULL with a message in error (size bytes) when it is not
 * one.  pattern_free frees it. */
struct pattern *pattern_parse(const char *text, const struct ast_field *fields,
                              char *error, size_t size);
/* The default: `name` for no fields, else {name, F1, ..., Fn} (as_tuple),
 * or for a reply (!as_tuple): ok, F1, or {F1, ..., Fn}. */
struct pattern *pattern_default(const char *name, const struct ast_field *fields,
                                bool as_tuple);
void pattern_free(struct pattern *p);
/* Erlang's notation of p, fields in capitals: {query, Key}. */
void pattern_print(struct buf *b, const struct pattern *p);

/* The conditions that read p into prefix + each field's name, joined by
 * "\n&& " (srv_in the reader). */
void pattern_decode(const char *server, struct buf *b, const struct pattern *p,
                    const char *prefix);
/* The statements that write p from prefix + each field's name (srv_out). */
void pattern_encode(const char *server, struct buf *b, const struct pattern *p,
                    const char *prefix);

#endif /* SRVC_TERM_H */
