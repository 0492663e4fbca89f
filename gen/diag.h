/*
 * diag.h: every message srvc prints goes through here, GNU style:
 *     worker.srv:7:6: error: duplicate handler 'query'
 *         7 | call query(string key) -> (string value);
 *           |      ^~~~~
 * Errors are counted; after DIAG_MAX_ERRORS the run gives up.
 */
#ifndef SRVC_DIAG_H
#define SRVC_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"

#define DIAG_MAX_ERRORS 50

struct diag;

/* out NULL: a diag that counts errors and prints none. */
struct diag *diag_new(FILE *out);
void diag_free(struct diag *d);
/* The file the next located messages are about, and its text. */
void diag_set_source(struct diag *d, const char *path, const char *text, size_t len);
void diag_error(struct diag *d, struct srv_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(struct diag *d, struct srv_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A note at loc in another file (path, its text): a used spec's. */
void diag_note_in(struct diag *d, const char *path, const char *text, size_t len,
                  struct srv_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* A message with no place in a spec: "srvc: error: ..." */
void diag_errorf(struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int diag_error_count(const struct diag *d);
/* True once DIAG_MAX_ERRORS errors were reported: stop looking for more. */
bool diag_too_many(const struct diag *d);

#endif /* SRVC_DIAG_H */
