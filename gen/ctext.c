/*
 * ctext.c: C code word by word (ctext.h).
 */
#include "ctext.h"

#include <ctype.h>
#include <string.h>

/* Past the comment, string or character constant at p, or p itself. */
static const char *skip_quoted(const char *p)
{
    if (p[0] == '/' && p[1] == '*') {
        const char *close = strstr(p + 2, "*/");
        return close != NULL ? close + 2 : p + strlen(p);
    }
    if (p[0] == '/' && p[1] == '/')
        return p + strcspn(p, "\n");
    if (*p == '"' || *p == '\'') {
        char quote = *p++;
        while (*p != '\0' && *p != quote && *p != '\n')
            p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
        return p + (*p == quote);
    }
    return p;
}

const char *ctext_next_word(const char *code, const char **at, size_t *len, bool *member)
{
    const char *p = *at;
    while (*p != '\0') {
        const char *after = skip_quoted(p);
        if (after != p) {
            p = after;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            size_t n = 0;
            while (isalnum((unsigned char)p[n]) || p[n] == '_')
                n++;
            const char *before = p;
            while (before > code && isspace((unsigned char)before[-1]))
                before--;
            *member = before > code && (before[-1] == '.' ||
                                        (before[-1] == '>' && before - 1 > code &&
                                         before[-2] == '-'));
            *len = n;
            *at = p + n;
            return p;
        } else if (isdigit((unsigned char)*p)) {
            while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
                p++; /* a number's suffix or exponent is no word */
        } else {
            p++;
        }
    }
    *at = p;
    return NULL;
}
