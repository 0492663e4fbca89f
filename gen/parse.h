/*
 * parse.h: running the scanner and the parser over a spec (parse.c), and
 * the state they share while they run.
 */
#ifndef SRVC_PARSE_H
#define SRVC_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* Shared by grammar/srv.l and grammar/srv.y: no global state. */
struct parse_state {
    struct ast_spec *spec;
    struct diag *diag;
    const char *text;             /* the whole file, for code block texts */
    size_t len;
    int line, column;             /* where the next token starts */
    size_t offset;
    bool expect_fields;           /* after `state`, `record NAME` or `child NAME`:
                                     `{` opens fields or properties */
    bool supervisor;              /* after `supervisor`: its keywords, numbers
                                     and strings */
    int depth;                    /* brace or parenthesis depth inside a block */
    struct srv_loc opener;        /* where the block being scanned opened */
    int block_token;              /* the token a %{, %header{ or %top{ block
                                     returns at its %} */
    size_t block_start;           /* offset of its first character */
    int items;                    /* top-level items so far */
    bool lexer_reported;          /* the scanner just reported an error: the
                                     parser's follow-up message is noise */
};

/* Parses text (len bytes, from path) into a new spec; diagnostics go to d.
 * Returns the spec even when there were errors (NULL only without memory). */
struct ast_spec *parse_spec(const char *path, const char *text, size_t len,
                            struct diag *d);

#endif /* SRVC_PARSE_H */
