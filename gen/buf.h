/*
 * buf.h: a growable text buffer: what srvc renders its output into.
 */
#ifndef SRVC_BUF_H
#define SRVC_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated once anything was written */
    size_t len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SRVC_BUF_H */
