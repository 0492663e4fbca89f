/*
 * driver.h: one spec from file to rendered outputs, in memory (driver.c).
 * main.c writes them; tests call this directly.
 */
#ifndef SRVC_DRIVER_H
#define SRVC_DRIVER_H

#include <stdbool.h>

#include "buf.h"
#include "diag.h"

struct srvc_job {
    const char *spec_path;  /* as given */
    const char *out_dir;    /* NULL: the spec's own directory */
    bool line_directives;
    const char *use_dir;    /* where a supervisor's `use "x.srv"` looks:
                               NULL, the spec's own directory */
    /* filled by srvc_compile */
    char *c_path, *h_path;  /* malloc'd */
    char **used;            /* the specs its `use` lines read (for -M) */
    size_t n_used;
    struct buf c, h;
};

/* Reads, parses, checks and renders job->spec_path.  Returns 0, or the
 * number of errors reported through d (-1 if it could not be read). */
int srvc_compile(struct srvc_job *job, struct diag *d);
/* Same, from text in memory (the fuzzer, the tests). */
int srvc_compile_text(struct srvc_job *job, const char *text, size_t len, struct diag *d);
void srvc_job_free(struct srvc_job *job);

#endif /* SRVC_DRIVER_H */
