/*
 * checker.h: what the checks of a server spec (check.c) and those of a
 * supervisor spec (check_sup.c) share: the checker, the checks both make
 * (check_fields.c), and the supervisor's own, which check.c calls.
 */
#ifndef SRVC_CHECKER_H
#define SRVC_CHECKER_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct checker {
    struct ast_spec *spec;
    struct diag *d;
    /* Resolves a record type, or reports it and makes it unknown, where
     * the records are those of the specs a supervisor uses (check_sup.c
     * sets it); NULL: the spec's own records. */
    void (*used_record)(struct checker *c, struct ast_type *t);
};

/* Where a list of fields stands: what its names and types may be. */
enum place { IN_STATE, IN_RECORD, IN_MESSAGE, IN_REPLY, IN_INIT };

/* check_fields.c */
bool check_in_list(const char *name, const char *const *list, size_t n);
/* Edit distance, for "did you mean". */
size_t check_distance(const char *a, const char *b);
/* The closest to name of the built-in types and the records the spec
 * knows (a supervisor's: those of the specs it uses), or NULL. */
const char *check_closest_type(const struct ast_spec *spec, const char *name);
/* A name of the spec's own: not a C keyword, not reserved to the C
 * implementation, not srv_-prefixed; what says what it names. */
void check_name(struct checker *c, const char *what, const char *name, struct srv_loc loc);
/* Fields, arguments or reply fields: names unique, types known. */
void check_fields(struct checker *c, struct ast_field *fields, const char *what,
                  enum place place);
/* How the spec spells a handler's kind: "info timeout". */
const char *handler_kind_name(enum ast_handler_kind kind);

/* A supervisor spec's own checks (check_sup.c). */
void check_supervisor(struct checker *c);

#endif /* SRVC_CHECKER_H */
