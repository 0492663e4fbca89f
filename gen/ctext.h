/*
 * ctext.h: reading the C code of handler bodies word by word, past its
 * comments, strings and character constants: what tells the emitter which
 * names a body uses (emit.c) and the checks which results it returns
 * (check.c).
 */
#ifndef SRVC_CTEXT_H
#define SRVC_CTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The next identifier of code at or after *at, outside comments, strings
 * and character constants, or NULL at the end; *len is its length and
 * *member whether it follows `.` or `->`.  *at moves past it. */
const char *ctext_next_word(const char *code, const char **at, size_t *len, bool *member);

#endif /* SRVC_CTEXT_H */
