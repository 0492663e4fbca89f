/*
 * term.c: the Erlang external term format for generated codecs: srv_term_*
 * read and write the values of spec types (srv/abi.h), over
 * erl_interface's ei_decode_* and ei_x_encode_*.  ei's decoders trust
 * their input, so srv__term_check walks a term from the network first,
 * bounded by its packet, and only a term it passed is decoded.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "term.h"

#define MAX_DEPTH 64
#define MAX_NODES 4096 /* other nodes whose pids were seen */

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether n more bytes lie inside the packet. */
#define NEED(n) do { if ((long)len - i < (long)(n)) return false; } while (0)

/* An atom of any of the four kinds at *at. */
static bool check_atom(const unsigned char *b, int len, int *at)
{
    int i = *at;
    NEED(1);
    int tag = b[i++];
    long n;
    if (tag == ERL_ATOM_EXT || tag == ERL_ATOM_UTF8_EXT) {
        NEED(2);
        n = b[i] << 8 | b[i + 1];
        i += 2;
    } else if (tag == ERL_SMALL_ATOM_EXT || tag == ERL_SMALL_ATOM_UTF8_EXT) {
        NEED(1);
        n = b[i++];
    } else {
        return false;
    }
    NEED(n);
    *at = i + (int)n;
    return true;
}

/* A term whose head (head bytes, the tag first) holds, right after the
 * tag, its length in width bytes: that many bytes follow the head. */
static bool check_bytes(const unsigned char *b, int len, int *at, int width, int head)
{
    int i = *at;
    NEED(head);
    long n = width == 1 ? b[i + 1] : width == 2 ? b[i + 1] << 8 | b[i + 2] : (long)get32(b + i + 1);
    i += head;
    NEED(n);
    *at = i + (int)n;
    return true;
}

/* The largest integer, in bytes of digits, that srv__term_print hands
 * ei's printer: erl_interface 5.3 (OTP 25) writes an integer's text (base
 * 16 beyond 8 bytes) with vsprintf into 2000 bytes on its stack, which
 * one of more than about 1000 bytes overruns. */
#define PRINT_BIG_MAX 512

/* A bignum's bytes, as check_bytes; *biggest keeps the largest count. */
static bool check_big(const unsigned char *b, int len, int *at, int width, int head,
                      long *biggest)
{
    int i = *at;
    if (!check_bytes(b, len, at, width, head))
        return false;
    long n = width == 1 ? b[i + 1] : (long)get32(b + i + 1);
    if (n > *biggest)
        *biggest = n;
    return true;
}

static bool check(const unsigned char *b, int len, int *at, int depth, long *biggest)
{
    int i = *at;
    if (depth > MAX_DEPTH)
        return false;
    NEED(1);
    int tag = b[i];
    long n;
    switch (tag) {
    case ERL_SMALL_INTEGER_EXT: NEED(2); i += 2; break;
    case ERL_INTEGER_EXT: NEED(5); i += 5; break;
    case ERL_FLOAT_EXT: NEED(32); i += 32; break;
    case NEW_FLOAT_EXT: NEED(9); i += 9; break;
    case ERL_NIL_EXT: i += 1; break;
    case ERL_ATOM_EXT: case ERL_ATOM_UTF8_EXT:
    case ERL_SMALL_ATOM_EXT: case ERL_SMALL_ATOM_UTF8_EXT:
        if (!check_atom(b, len, &i))
            return false;
        break;
    case ERL_STRING_EXT: /* tag, 2 of length, the bytes */
        if (!check_bytes(b, len, &i, 2, 3))
            return false;
        break;
    case ERL_BINARY_EXT: /* tag, 4 of length, the bytes */
        if (!check_bytes(b, len, &i, 4, 5))
            return false;
        break;
    case ERL_BIT_BINARY_EXT: /* tag, 4 of length, the bits of the last, the bytes */
        if (!check_bytes(b, len, &i, 4, 6))
            return false;
        break;
    case ERL_SMALL_BIG_EXT: /* tag, 1 of length, sign, the digits */
        if (!check_big(b, len, &i, 1, 3, biggest))
            return false;
        break;
    case ERL_LARGE_BIG_EXT: /* tag, 4 of length, sign, the digits */
        if (!check_big(b, len, &i, 4, 6, biggest))
            return false;
        break;
    case ERL_SMALL_TUPLE_EXT: case ERL_LARGE_TUPLE_EXT: case ERL_MAP_EXT:
        if (tag == ERL_SMALL_TUPLE_EXT) {
            NEED(2);
            n = b[i + 1];
            i += 2;
        } else {
            NEED(5);
            n = get32(b + i + 1);
            i += 5;
        }
        if (tag == ERL_MAP_EXT)
            n *= 2;
        for (long k = 0; k < n; k++)
            if (!check(b, len, &i, depth + 1, biggest))
                return false;
        break;
    case ERL_LIST_EXT:
        NEED(5);
        n = get32(b + i + 1);
        i += 5;
        for (long k = 0; k <= n; k++) /* the elements, then the tail */
            if (!check(b, len, &i, depth + 1, biggest))
                return false;
        break;
    case ERL_PID_EXT: case ERL_NEW_PID_EXT:
        i += 1;
        if (!check_atom(b, len, &i))
            return false;
        NEED(tag == ERL_PID_EXT ? 9 : 12);
        i += tag == ERL_PID_EXT ? 9 : 12;
        break;
    case ERL_PORT_EXT: case ERL_NEW_PORT_EXT: case ERL_V4_PORT_EXT:
        i += 1;
        if (!check_atom(b, len, &i))
            return false;
        n = tag == ERL_PORT_EXT ? 5 : tag == ERL_NEW_PORT_EXT ? 8 : 12;
        NEED(n);
        i += (int)n;
        break;
    case ERL_REFERENCE_EXT:
        i += 1;
        if (!check_atom(b, len, &i))
            return false;
        NEED(5);
        i += 5;
        break;
    case ERL_NEW_REFERENCE_EXT: case ERL_NEWER_REFERENCE_EXT:
        NEED(3);
        n = b[i + 1] << 8 | b[i + 2];
        if (n > 5) /* ei's erlang_ref holds five words */
            return false;
        i += 3;
        if (!check_atom(b, len, &i))
            return false;
        n = (tag == ERL_NEW_REFERENCE_EXT ? 1 : 4) + 4 * n;
        NEED(n);
        i += (int)n;
        break;
    default: /* funs, exports, atom cache references: not taken */
        return false;
    }
    *at = i;
    return true;
}

bool srv__term_check(const char *buf, int len, int *index)
{
    long biggest = 0;
    return *index >= 0 && *index <= len &&
           check((const unsigned char *)buf, len, index, 0, &biggest);
}

/* ---------------------------------------------------------------------- */
/* Pids                                                                    */

/* This node's name and creation (set while a node runs; "" otherwise),
 * and the table of the other nodes whose pids were seen. */
static struct {
    pthread_mutex_t lock;
    char name[MAXATOMLEN_UTF8];
    unsigned creation;
} self = {.lock = PTHREAD_MUTEX_INITIALIZER};

void srv__term_set_node(const char *name, unsigned creation)
{
    pthread_mutex_lock(&self.lock);
    snprintf(self.name, sizeof self.name, "%s", name != NULL ? name : "");
    self.creation = creation;
    pthread_mutex_unlock(&self.lock);
}

/* This node's name (nonode@nohost when none runs) and creation. */
static void self_get(char name[MAXATOMLEN_UTF8], unsigned *creation)
{
    pthread_mutex_lock(&self.lock);
    snprintf(name, MAXATOMLEN_UTF8, "%s", self.name[0] != '\0' ? self.name : "nonode@nohost");
    *creation = self.creation;
    pthread_mutex_unlock(&self.lock);
}

static struct {
    pthread_mutex_t lock;
    size_t count;
    struct { char name[MAXATOMLEN_UTF8]; unsigned creation; } *nodes;
} remote = {.lock = PTHREAD_MUTEX_INITIALIZER};

bool srv__term_pid_in(const erlang_pid *e, srv_pid *out)
{
    char name[MAXATOMLEN_UTF8];
    unsigned creation;
    self_get(name, &creation);
    if (strcmp(e->node, name) == 0 && e->creation == creation) {
        *out = (srv_pid){0, e->num, e->serial};
        return true;
    }
    pthread_mutex_lock(&remote.lock);
    size_t i = 0;
    while (i < remote.count && (strcmp(remote.nodes[i].name, e->node) != 0 ||
                                remote.nodes[i].creation != e->creation))
        i++;
    if (i == remote.count) {
        if (remote.nodes == NULL)
            remote.nodes = srv__calloc(MAX_NODES, sizeof *remote.nodes);
        if (remote.nodes == NULL || remote.count == MAX_NODES) {
            pthread_mutex_unlock(&remote.lock);
            return false;
        }
        snprintf(remote.nodes[i].name, sizeof remote.nodes[i].name, "%s", e->node);
        remote.nodes[i].creation = e->creation;
        remote.count++;
    }
    pthread_mutex_unlock(&remote.lock);
    *out = (srv_pid){(uint32_t)i + 1, e->num, e->serial};
    return true;
}

void srv__term_pid_out(srv_pid pid, erlang_pid *e)
{
    memset(e, 0, sizeof *e);
    e->num = pid.index;
    e->serial = pid.serial;
    if (pid.node == 0) {
        self_get(e->node, &e->creation);
        return;
    }
    pthread_mutex_lock(&remote.lock);
    if (pid.node <= remote.count) {
        snprintf(e->node, sizeof e->node, "%s", remote.nodes[pid.node - 1].name);
        e->creation = remote.nodes[pid.node - 1].creation;
    }
    pthread_mutex_unlock(&remote.lock);
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                 */

int srv_term_mark(const srv_term_in *in)
{
    return in->index;
}

void srv_term_reset(srv_term_in *in, int mark)
{
    in->index = mark;
}

bool srv_term_done(const srv_term_in *in)
{
    return in->index == in->len;
}

bool srv_term_get_tuple(srv_term_in *in, int arity)
{
    int i = in->index, n;
    if (ei_decode_tuple_header(in->buf, &i, &n) != 0 || n != arity)
        return false;
    in->index = i;
    return true;
}

static bool get_atom_text(srv_term_in *in, char text[MAXATOMLEN_UTF8])
{
    int i = in->index;
    if (ei_decode_atom_as(in->buf, &i, text, MAXATOMLEN_UTF8, ERLANG_UTF8, NULL,
                          NULL) != 0)
        return false;
    in->index = i;
    return true;
}

bool srv_term_get_tag(srv_term_in *in, const char *atom)
{
    char text[MAXATOMLEN_UTF8];
    int mark = in->index;
    if (get_atom_text(in, text) && strcmp(text, atom) == 0)
        return true;
    in->index = mark;
    return false;
}

bool srv_term_get_int(srv_term_in *in, int64_t min, int64_t max, int64_t *v)
{
    int i = in->index;
    long long n;
    if (ei_decode_longlong(in->buf, &i, &n) != 0 || n < min || n > max)
        return false;
    *v = n;
    in->index = i;
    return true;
}

bool srv_term_get_uint(srv_term_in *in, uint64_t max, uint64_t *v)
{
    int i = in->index;
    unsigned long long n;
    if (ei_decode_ulonglong(in->buf, &i, &n) != 0 || n > max)
        return false;
    *v = n;
    in->index = i;
    return true;
}

bool srv_term_get_double(srv_term_in *in, double *v)
{
    int i = in->index;
    if (ei_decode_double(in->buf, &i, v) != 0)
        return false;
    in->index = i;
    return true;
}

bool srv_term_get_bool(srv_term_in *in, bool *v)
{
    int i = in->index, b;
    if (ei_decode_boolean(in->buf, &i, &b) != 0)
        return false;
    *v = b != 0;
    in->index = i;
    return true;
}

bool srv_term_get_atom(srv_term_in *in, srv_atom *v)
{
    char text[MAXATOMLEN_UTF8];
    int mark = in->index;
    if (!get_atom_text(in, text))
        return false;
    if ((*v = srv_atom_from(text)) == NULL) {
        in->index = mark;
        return false;
    }
    return true;
}

/* A binary's bytes, in a fresh block with a NUL after them (NULL, n 0,
 * for an empty one). */
static bool get_binary(srv_term_in *in, unsigned char **data, size_t *n)
{
    int i = in->index, type, size;
    long got;
    if (ei_get_type(in->buf, &i, &type, &size) != 0 || type != ERL_BINARY_EXT)
        return false;
    unsigned char *p = NULL;
    if (size > 0 && (p = srv__malloc((size_t)size + 1)) == NULL)
        return false;
    if (ei_decode_binary(in->buf, &i, p, &got) != 0) {
        srv__free(p);
        return false;
    }
    if (p != NULL)
        p[got] = '\0';
    *data = p;
    *n = (size_t)got;
    in->index = i;
    return true;
}

bool srv_term_get_string(srv_term_in *in, char **v)
{
    unsigned char *p;
    size_t n;
    int mark = in->index;
    if (!get_binary(in, &p, &n))
        return false;
    if (p != NULL && memchr(p, '\0', n) != NULL) { /* a C string ends at NUL */
        srv__free(p);
        in->index = mark;
        return false;
    }
    *v = (char *)p;
    return true;
}

bool srv_term_get_bytes(srv_term_in *in, srv_bytes *v)
{
    return get_binary(in, &v->data, &v->len);
}

bool srv_term_get_pid(srv_term_in *in, srv_pid *v)
{
    int i = in->index;
    erlang_pid e;
    if (ei_decode_pid(in->buf, &i, &e) != 0 || !srv__term_pid_in(&e, v))
        return false;
    in->index = i;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

bool srv__term_out_init(struct srv_term_out *out)
{
    out->failed = ei_x_new_with_version(&out->x) != 0;
    return !out->failed;
}

void srv__term_out_free(struct srv_term_out *out)
{
    ei_x_free(&out->x);
}

/* Every writer records a failure (out of memory) and goes on: the node
 * looks once, at the end. */
#define PUT(call) do { if ((call) != 0) out->failed = true; } while (0)

void srv_term_put_tuple(srv_term_out *out, int arity)
{
    PUT(ei_x_encode_tuple_header(&out->x, arity));
}

void srv_term_put_atom(srv_term_out *out, srv_atom atom)
{
    const char *text = atom != NULL ? atom : "undefined";
    PUT(ei_x_encode_atom_len_as(&out->x, text, (int)strlen(text), ERLANG_UTF8,
                                ERLANG_UTF8));
}

void srv_term_put_int(srv_term_out *out, int64_t v)
{
    PUT(ei_x_encode_longlong(&out->x, v));
}

void srv_term_put_uint(srv_term_out *out, uint64_t v)
{
    PUT(ei_x_encode_ulonglong(&out->x, v));
}

void srv_term_put_double(srv_term_out *out, double v)
{
    PUT(ei_x_encode_double(&out->x, v));
}

void srv_term_put_bool(srv_term_out *out, bool v)
{
    PUT(ei_x_encode_boolean(&out->x, v));
}

void srv_term_put_string(srv_term_out *out, const char *s)
{
    PUT(ei_x_encode_binary(&out->x, s != NULL ? s : "", s != NULL ? (long)strlen(s) : 0));
}

void srv_term_put_bytes(srv_term_out *out, srv_bytes v)
{
    PUT(ei_x_encode_binary(&out->x, v.data != NULL ? (const void *)v.data : "",
                           (long)v.len));
}

void srv_term_put_pid(srv_term_out *out, srv_pid pid)
{
    erlang_pid e;
    srv__term_pid_out(pid, &e);
    PUT(ei_x_encode_pid(&out->x, &e));
}

void srv__term_print(srv_buf *out, const char *buf, int index, int end)
{
    long biggest = 0;
    int at = index;
    if (index < 0 || index > end || !check((const unsigned char *)buf, end, &at, 0, &biggest)) {
        srv_buf_printf(out, "...");
        return;
    }
    if (biggest > PRINT_BIG_MAX) {
        srv_buf_printf(out, "(a term with an integer of %ld bytes)", biggest);
        return;
    }
    char *text = NULL;
    int i = index;
    if (ei_s_print_term(&text, buf, &i) < 0)
        srv_buf_printf(out, "...");
    else
        srv_buf_printf(out, "%s", text);
    free(text); /* ei's own malloc */
}
