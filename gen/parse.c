/*
 * parse.c: runs the scanner and the parser over one spec.  Before that it
 * checks the bytes: a NUL or a byte that is not UTF-8 is reported where it
 * is, and the spec is not parsed further.
 */
#include <stdlib.h>

#include "ast_build.h"
#include "parse.h"
#include "srv.tab.h"
#include "srv.lex.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned min;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    unsigned code = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        code = code << 6 | (s[i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return len;
}

/* Reports NUL bytes and invalid UTF-8; true if the text is clean. */
static bool check_bytes(const char *text, size_t len, struct diag *d)
{
    bool clean = true;
    int line = 1, column = 1;
    for (size_t i = 0; i < len;) {
        const unsigned char *s = (const unsigned char *)text + i;
        size_t n = s[0] == 0 ? 0 : utf8_length(s, len - i);
        if (n == 0) {
            struct srv_loc loc = {line, column, line, column, i, i + 1};
            if (s[0] == 0)
                diag_error(d, loc, "stray '\\x00' in spec");
            else
                diag_error(d, loc, "invalid UTF-8 byte 0x%02x", s[0]);
            clean = false;
            n = 1;
        }
        if (s[0] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        i += n;
    }
    return clean;
}

struct ast_spec *parse_spec(const char *path, const char *text, size_t len,
                            struct diag *d)
{
    struct ast_spec *spec = calloc(1, sizeof *spec);
    if (spec == NULL)
        return NULL;
    spec->path = path;
    diag_set_source(d, path, text, len);
    if (!check_bytes(text, len, d))
        return spec;
    struct parse_state ps = {.spec = spec, .diag = d, .text = text, .len = len,
                             .line = 1, .column = 1};
    yyscan_t scanner;
    if (yylex_init_extra(&ps, &scanner) != 0) {
        diag_errorf(d, "out of memory");
        return spec;
    }
    YY_BUFFER_STATE buffer = yy_scan_bytes(text, (int)len, scanner);
    yyparse(scanner, &ps);
    yy_delete_buffer(buffer, scanner);
    yylex_destroy(scanner);
    return spec;
}
