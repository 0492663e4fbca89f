/*
 * out.h: writing srvc's outputs so that make never sees half a file: into
 * a temporary file beside the target, then renamed over it; and only when
 * the content changed, so nothing rebuilds needlessly.
 */
#ifndef SRVC_OUT_H
#define SRVC_OUT_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"

int out_write_file(struct diag *d, const char *path, const struct buf *content);
/* "target target...: prereq prereq..." for make. */
int out_write_depfile(struct diag *d, const char *path, const char *const *targets,
                      size_t n_targets, const char *const *prereqs, size_t n_prereqs);

#endif /* SRVC_OUT_H */
