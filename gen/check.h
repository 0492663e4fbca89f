/*
 * check.h: the checks a parsed spec must pass before emission: names,
 * types, duplicates, collisions with C and with generated names.
 */
#ifndef SRVC_CHECK_H
#define SRVC_CHECK_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"

/* Reports every problem through d; returns the number of errors found.
 * Resolves record types (ast_type.record) on the way. */
int check_spec(struct ast_spec *spec, struct diag *d, bool after_syntax_errors);

#endif /* SRVC_CHECK_H */
