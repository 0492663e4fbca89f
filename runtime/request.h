/*
 * request.h: asynchronous requests (request.c), what the rest of the
 * runtime sees of them.
 *
 * A request's reply goes to a place of its own in its requester's table
 * of requests, not to the requester's one reply slot.  Its from.tag says
 * which place: SRV__REQUEST_TAG | generation << 24 | index.  Tags of the
 * reply slot are counters that never reach bit 62, so the bit alone tells
 * the two apart; every path that answers or looks at a from asks
 * srv__tag_is_request first.
 */
#ifndef SRV_REQUEST_H
#define SRV_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv.h"

struct process;

#define SRV__REQUEST_TAG ((uint64_t)1 << 62)

static inline bool srv__tag_is_request(uint64_t tag)
{
    return (tag & SRV__REQUEST_TAG) != 0;
}

/* Anyone holding owner: answers owner's request tag (status, and for
 * SRV_OK the reply, size bytes, copied into the request's buffer) and
 * wakes owner if it waits for a request.  False if the request was
 * abandoned, already answered or never made: the reply was not taken and
 * its sender frees it. */
bool srv__request_complete(struct process *owner, uint64_t tag, srv_status status,
                           srv_atom reason, const srv_detail *detail, const void *reply,
                           size_t size);
/* Anyone holding owner: whether request tag still waits for its answer. */
bool srv__request_waits(struct process *owner, uint64_t tag);
/* p's table, just before p is freed (srv__exit, a thread's end), once no
 * one else holds p: replies nobody read are freed by their call's
 * free_reply. */
void srv__requests_release(struct process *p);
/* For the tests: requests of pid not yet read or abandoned. */
size_t srv__requests_outstanding(srv_pid pid);

#endif /* SRV_REQUEST_H */
