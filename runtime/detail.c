/*
 * detail.c: an exit reason's detail, the second element of a reason such
 * as {shutdown, going_home}, kept as the text Erlang would print:
 * immutable once made, shared by a reference count (atomic, since a
 * detail travels with exit signals and DOWNs to other threads) and freed
 * by whoever gives the last reference back.  Plain atoms have none.  A
 * leaf: the mailbox, the process table and the exit path all hold
 * details, and none of it is below this file.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "atom.h"

struct srv_detail {
    _Atomic size_t refs;
    size_t len;
    char text[]; /* NUL-terminated */
};

const srv_detail *srv_detail_new(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t len = strlen(text);
    struct srv_detail *d = srv__malloc(sizeof *d + len + 1);
    if (d == NULL)
        return NULL;
    atomic_init(&d->refs, 1);
    d->len = len;
    memcpy(d->text, text, len + 1);
    return d;
}

const srv_detail *srv_detail_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    struct srv_detail *d = srv__malloc(sizeof *d + (size_t)n + 1);
    if (d == NULL)
        return NULL;
    atomic_init(&d->refs, 1);
    d->len = (size_t)n;
    va_start(ap, fmt);
    vsnprintf(d->text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

const srv_detail *srv_detail_retain(const srv_detail *d)
{
    /* Relaxed: a new reference is made from one already held, which keeps
     * d alive meanwhile; it orders nothing (as shared_ptr's increment). */
    if (d != NULL)
        atomic_fetch_add_explicit(&((struct srv_detail *)d)->refs, 1, memory_order_relaxed);
    return d;
}

void srv_detail_release(const srv_detail *d)
{
    if (d == NULL)
        return;
    struct srv_detail *m = (struct srv_detail *)d;
    /* acq_rel: each holder's uses happen before the last one's free. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        srv__free(m);
}

const char *srv_detail_text(const srv_detail *d)
{
    return d != NULL ? d->text : NULL;
}

bool srv_detail_equal(const srv_detail *a, const srv_detail *b)
{
    if (a == b)
        return true;
    return a != NULL && b != NULL && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

bool srv_reason_is_quiet(srv_atom reason, const srv_detail *detail)
{
    /* {shutdown, _} also as one atom of that text (a supervisor's own
     * reasons, srv__atom_is_shutdown_detail) */
    return reason == srv_atom_shutdown || (reason == srv_atom_normal && detail == NULL) ||
           (detail == NULL && srv__atom_is_shutdown_detail(reason));
}

void srv_buf_put_reason(srv_buf *buf, srv_atom reason, const srv_detail *detail)
{
    if (detail == NULL) {
        srv_buf_put_atom(buf, reason);
        return;
    }
    srv_buf_printf(buf, "{");
    srv_buf_put_atom(buf, reason);
    srv_buf_printf(buf, ",%s}", detail->text);
}
