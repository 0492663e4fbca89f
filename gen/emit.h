/*
 * emit.h: from a checked spec to NAME.srv.h and NAME.srv.c (emit.c), by
 * filling the templates in templates/ with fragments built here.
 */
#ifndef SRVC_EMIT_H
#define SRVC_EMIT_H

#include <stdbool.h>

#include "ast.h"
#include "buf.h"
#include "diag.h"

#ifndef SRVC_VERSION /* the Makefile passes srv.h's SRV_VERSION */
#error "SRVC_VERSION is not set: build srvc with the Makefile"
#endif

struct emit_options {
    const char *spec_path;   /* the .srv path as given: banner and #line */
    const char *header_name; /* "worker.srv.h": how the .c includes the header */
    const char *c_path;      /* the .c output path, for #line back to the output */
    bool line_directives;    /* false with --no-line */
};

/* Renders the server's header into h and its source into c.  Returns 0,
 * or -1 after reporting an internal error through d. */
int emit_server(const struct ast_spec *spec, const struct emit_options *opts,
                struct diag *d, struct buf *h, struct buf *c);

/* The same for a supervisor spec (emit_sup.c). */
int emit_supervisor(const struct ast_spec *spec, const struct emit_options *opts,
                    struct diag *d, struct buf *h, struct buf *c);

#endif /* SRVC_EMIT_H */
