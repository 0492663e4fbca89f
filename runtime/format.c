/*
 * format.c: text: srv_buf, Erlang's notation for atoms, strings, bytes,
 * pids and callers, the status table, and the copy helpers generated code
 * uses.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "srv.h"

static const char *const status_names[] = {
#define SRV__STATUS_NAME(name, text) "SRV_" #name,
    SRV_STATUS_MAP(SRV__STATUS_NAME)
#undef SRV__STATUS_NAME
};

static const char *const status_texts[] = {
#define SRV__STATUS_TEXT(name, text) text,
    SRV_STATUS_MAP(SRV__STATUS_TEXT)
#undef SRV__STATUS_TEXT
};

const char *srv_strerror(srv_status status)
{
    return (unsigned)status < SRV_STATUS_COUNT ? status_texts[status]
                                               : "unknown status";
}

const char *srv_status_name(srv_status status)
{
    return (unsigned)status < SRV_STATUS_COUNT ? status_names[status]
                                               : "SRV_UNKNOWN";
}

char *srv_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    return srv__strdup(s);
}

void *srv_memdup(const void *p, size_t n)
{
    if (p == NULL || n == 0)
        return NULL;
    void *copy = srv__malloc(n);
    return copy != NULL ? memcpy(copy, p, n) : NULL;
}

/* False when out of memory: the text is then cut short where it is. */
static bool reserve(srv_buf *buf, size_t more)
{
    if (buf->len + more + 1 <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < buf->len + more + 1)
        cap *= 2;
    char *data = srv__realloc(buf->data, cap);
    if (data == NULL)
        return false;
    buf->data = data;
    buf->cap = cap;
    return true;
}

static void put(srv_buf *buf, const char *s, size_t n)
{
    if (!reserve(buf, n))
        return;
    memcpy(buf->data + buf->len, s, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

void srv_buf_printf(srv_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (!reserve(buf, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
}

/* One character as Erlang prints it inside quotes. */
static void put_escaped(srv_buf *buf, unsigned char c, char quote)
{
    switch (c) {
    case '\n': put(buf, "\\n", 2); return;
    case '\t': put(buf, "\\t", 2); return;
    case '\\': put(buf, "\\\\", 2); return;
    default:
        if (c == (unsigned char)quote) {
            char pair[2] = {'\\', quote};
            put(buf, pair, 2);
        } else if (c < 32 || c == 127) {
            srv_buf_printf(buf, "\\%03o", c);
        } else {
            put(buf, (const char *)&c, 1);
        }
    }
}

void srv_buf_put_string(srv_buf *buf, const char *s)
{
    if (s == NULL) {
        put(buf, "undefined", 9);
        return;
    }
    put(buf, "<<\"", 3);
    for (; *s != '\0'; s++)
        put_escaped(buf, (unsigned char)*s, '"');
    put(buf, "\">>", 3);
}

void srv_buf_put_bytes(srv_buf *buf, const void *p, size_t n)
{
    const unsigned char *bytes = p;
    put(buf, "<<", 2);
    for (size_t i = 0; i < n; i++)
        srv_buf_printf(buf, i ? ",%u" : "%u", bytes[i]);
    put(buf, ">>", 2);
}

/* Erlang quotes an atom unless it is a lowercase-led word. */
static bool needs_quotes(const char *s)
{
    static const char *const reserved[] = {
        "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr",
        "bxor", "case", "catch", "cond", "div", "end", "fun", "if", "let", "not",
        "of", "or", "orelse", "receive", "rem", "try", "when", "xor", "maybe", "else"};
    if (*s < 'a' || *s > 'z')
        return true;
    for (const char *c = s; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '@'))
            return true;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(s, reserved[i]) == 0)
            return true;
    return false;
}

void srv_buf_put_atom(srv_buf *buf, srv_atom atom)
{
    if (atom == NULL) {
        put(buf, "undefined", 9);
        return;
    }
    if (!needs_quotes(atom)) {
        put(buf, atom, strlen(atom));
        return;
    }
    put(buf, "'", 1);
    for (const char *c = atom; *c != '\0'; c++)
        put_escaped(buf, (unsigned char)*c, '\'');
    put(buf, "'", 1);
}

void srv_buf_free(srv_buf *buf)
{
    srv__free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

void srv_sys_status_free(srv_sys_status *status)
{
    srv_buf_free(&status->debug);
    srv_buf_free(&status->ancestors);
    srv_buf_free(&status->log);
    srv_buf_free(&status->state);
    srv_buf_free(&status->text);
}

void srv_buf_reset(srv_buf *buf)
{
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

srv_atom_text srv_atom_format(srv_atom atom)
{
    srv_atom_text text;
    srv_buf buf = {0};
    srv_buf_put_atom(&buf, atom);
    if (buf.data == NULL) { /* out of memory */
        memcpy(text.s, "...", 4);
    } else if (buf.len < sizeof text.s) {
        memcpy(text.s, buf.data, buf.len + 1);
    } else {
        memcpy(text.s, buf.data, sizeof text.s - 4);
        memcpy(text.s + sizeof text.s - 4, "...", 4);
    }
    srv_buf_free(&buf);
    return text;
}

srv_pid_text srv_pid_format(srv_pid pid)
{
    srv_pid_text text;
    snprintf(text.s, sizeof text.s, "<%" PRIu32 ".%" PRIu32 ".%" PRIu32 ">",
             pid.node, pid.index, pid.serial);
    return text;
}

srv_from_text srv_from_format(srv_from from)
{
    srv_from_text text;
    snprintf(text.s, sizeof text.s, "{%s,#Ref<0.0.%" PRIu32 ".%" PRIu32 ">}",
             srv_pid_format(from.pid).s, (uint32_t)(from.tag >> 32),
             (uint32_t)from.tag);
    return text;
}
