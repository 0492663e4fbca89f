/*
 * out.c: atomic, change-only file writes (out.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"

/* True if path holds exactly content. */
static bool same_content(const char *path, const struct buf *content)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    bool same = true;
    size_t at = 0;
    char chunk[8192];
    size_t n;
    while (same && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (at + n > content->len || memcmp(chunk, content->data + at, n) != 0)
            same = false;
        at += n;
    }
    same = same && at == content->len && !ferror(f);
    fclose(f);
    return same;
}

int out_write_file(struct diag *d, const char *path, const struct buf *content)
{
    if (same_content(path, content))
        return 0;
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (tmp == NULL) {
        diag_errorf(d, "out of memory");
        return -1;
    }
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        diag_errorf(d, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t done = 0;
    while (done < content->len) {
        ssize_t w = write(fd, content->data + done, content->len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        done += (size_t)w;
    }
    /* The temp file is made 0600; outputs get the usual 0644 (less umask). */
    mode_t mask = umask(0);
    umask(mask);
    bool ok = done == content->len && fchmod(fd, 0666 & ~mask) == 0;
    if (close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        diag_errorf(d, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* make's escaping for a file name in a rule. */
static void put_name(struct buf *b, const char *name)
{
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\')
            buf_puts(b, "\\");
        if (*p == '$')
            buf_puts(b, "$");
        buf_append(b, p, 1);
    }
}

int out_write_depfile(struct diag *d, const char *path, const char *const *targets,
                      size_t n_targets, const char *const *prereqs, size_t n_prereqs)
{
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n_targets; i++) {
        if (i > 0)
            buf_puts(&b, " ");
        put_name(&b, targets[i]);
    }
    buf_puts(&b, ":");
    for (size_t i = 0; i < n_prereqs; i++) {
        buf_puts(&b, " ");
        put_name(&b, prereqs[i]);
    }
    buf_puts(&b, "\n");
    int status = out_write_file(d, path, &b);
    buf_free(&b);
    return status;
}
