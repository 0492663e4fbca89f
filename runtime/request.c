/*
 * request.c: gen_server:send_request, wait_response, receive_response,
 * check_response and request-id collections.
 *
 * A process that sends requests has a table of them, made on its first.
 * A request is a place in it: the call it made (its reply's size and free
 * function), a buffer for the reply, and a word, generation << 2 | state,
 * with the reply slot's states and protocol (wait.c): the replier moves
 * WAITING -> WRITING -> DONE, the requester WAITING -> ABANDONED when it
 * gives up, and one CAS decides.  A place that is over (its answer read,
 * or abandoned) goes back to the table's free list and is handed out
 * again with its next generation, so a late replier's CAS fails and the
 * replier frees its reply (free_reply), as for a call that timed out.
 *
 * Places live in chunks that never move (chunk k holds 16 << k of them),
 * so a replier finds one by its index with no lock.  The free list, the
 * count of places handed out and the chunks' making are the requester's
 * own: only the process (or thread) that owns the table touches them.
 *
 * Answers in the order they came: a replier pushes its place on the
 * table's stack of answered places (before DONE); the requester takes the
 * whole stack by one exchange and appends it, oldest first, to its own
 * list of answers.  A collection wait walks that list, not the
 * collection: each place knows the collection that holds it (and where),
 * so the first answer that belongs to the collection is found without a
 * look at the others, and a wait costs what has been answered since, not
 * what is out.  A place is pushed at most once a generation, and the
 * requester takes the stack before it frees a place, so no place is ever
 * on the stack twice.
 *
 * One wake-up point per process: its reply slot, as for a call (a fiber
 * parks, a plain thread spins then sleeps, an exit signal ends the wait).
 * The requester arms the slot, publishes its tag in `waiter`, then looks
 * at the requests it waits for; a replier pushes and stores DONE, then
 * reads `waiter` and completes that tag.  All seq_cst: either the
 * requester sees the answer, or the replier sees the waiter and wakes it.
 */
#include <string.h>

#include "alloc.h"
#include "link.h"
#include "loop.h"
#include "mailbox.h"
#include "os.h"
#include "process.h"
#include "reason.h"
#include "remote.h"
#include "request.h"
#include "thread.h"
#include "wait.h"

#define FIRST_CHUNK 16u /* places in chunk 0; chunk k holds 16 << k */
#define CHUNKS 20       /* 16 * (2^20 - 1) places: ~16.7 M requests out */
#define INDEX_BITS 24
#define INDEX_MASK (((uint64_t)1 << INDEX_BITS) - 1)
#define GENERATION_MASK (((uint64_t)1 << (62 - INDEX_BITS)) - 1)
#define PLACES (FIRST_CHUNK * ((1u << CHUNKS) - 1))
#define SMALL_REPLY 64  /* replies up to this size need no allocation */

struct request {
    _Atomic uint64_t word;        /* generation << 2 | SLOT_* */
    const srv_message_type *type; /* the call: reply_size, free_reply */
    void *reply;                  /* small, or allocated for a bigger reply */
    srv_atom reason;              /* set with DONE */
    const srv_detail *detail;     /* set with DONE (SRV_EEXIT): the reason's,
                                     a reference the request owns */
    srv_status status;            /* set with DONE */
    uint32_t next_free;           /* in the free list: index + 1; 0 ends it */
    uint32_t next_answered;       /* on the answered stack: index + 1; 0 ends it */
    const srv_reqids *in;         /* the collection that holds it, or NULL */
    size_t at;                    /* and where, in in->entries */
    _Alignas(max_align_t) unsigned char small[SMALL_REPLY];
};

/* An answer in the requester's list: the place and its generation then. */
struct answer {
    uint32_t index;
    uint64_t generation;
};

struct requests {
    struct request *_Atomic chunks[CHUNKS];
    _Atomic uint64_t waiter;      /* the slot tag the owner waits on; 0: none */
    _Atomic uint32_t answered;    /* stack of answered places: index + 1 */
    _Atomic size_t outstanding;   /* places in use (read by the tests) */
    /* The owner's own: */
    uint32_t used;                /* places ever handed out */
    uint32_t free_head;           /* index + 1 of a free place, 0: none */
    struct answer *answers;       /* answers[first, first + count): oldest first */
    size_t first, count, cap;     /* cap >= places in use, made so by request_new */
};

/* ---------------------------------------------------------------------- */
/* Places                                                                  */

static unsigned chunk_of(uint32_t index, uint32_t *offset)
{
    unsigned k = 31u - (unsigned)__builtin_clz(index / FIRST_CHUNK + 1);
    *offset = index - FIRST_CHUNK * ((1u << k) - 1);
    return k;
}

/* Anyone: the place at index, or NULL when its chunk was never made. */
static struct request *place_at(struct requests *t, uint32_t index)
{
    uint32_t offset;
    unsigned k = chunk_of(index, &offset);
    /* Acquire: pairs with the owner's release of a fresh (zeroed) chunk. */
    struct request *chunk = atomic_load_explicit(&t->chunks[k], memory_order_acquire);
    return chunk == NULL ? NULL : &chunk[offset];
}

static uint32_t index_of(uint64_t tag)
{
    return (uint32_t)(tag & INDEX_MASK);
}

static uint64_t generation_of(uint64_t tag)
{
    return (tag & ~SRV__REQUEST_TAG) >> INDEX_BITS;
}

/* p's table of requests, or NULL: none made yet (p without an extra part
 * has none).  order: the caller's, for the load of the table's pointer. */
static struct requests *table_of(struct process *p, memory_order order)
{
    struct process_extra *x = srv__extra(p);
    return x != NULL ? atomic_load_explicit(&x->requests, order) : NULL;
}

/* The calling process's table, made on first use; NULL: out of memory. */
static struct requests *requests_of(struct process *self)
{
    /* Relaxed: the owner reads its own pointer. */
    struct requests *t = table_of(self, memory_order_relaxed);
    if (t != NULL)
        return t;
    t = srv__calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    /* Release: a replier's acquire load sees the table zeroed. */
    atomic_store_explicit(&srv__extra(self)->requests, t, memory_order_release);
    return t;
}

/* The owner: a place for a request of type, WAITING, its tag in *tag;
 * NULL when out of memory (or of places). */
static struct request *request_new(struct requests *t, const srv_message_type *type,
                                   uint64_t *tag)
{
    uint32_t index = t->free_head != 0 ? t->free_head - 1 : t->used;
    if (index >= PLACES)
        return NULL;
    uint32_t offset;
    unsigned k = chunk_of(index, &offset);
    struct request *chunk = atomic_load_explicit(&t->chunks[k], memory_order_relaxed);
    if (chunk == NULL) {
        chunk = srv__calloc((size_t)FIRST_CHUNK << k, sizeof *chunk);
        if (chunk == NULL)
            return NULL;
        /* Release: see place_at. */
        atomic_store_explicit(&t->chunks[k], chunk, memory_order_release);
    }
    /* Room in the list of answers for every place in use, made now: taking
     * the answered stack must never need memory. */
    size_t in_use = atomic_load_explicit(&t->outstanding, memory_order_relaxed) + 1;
    if (t->cap < in_use) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 16;
        struct answer *grown = srv__realloc(t->answers, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        t->answers = grown;
        t->cap = cap;
    }
    struct request *r = &chunk[offset];
    void *reply = r->small;
    if (type->reply_size > SMALL_REPLY && (reply = srv__malloc(type->reply_size)) == NULL)
        return NULL;
    memset(reply, 0, type->reply_size);
    if (t->free_head != 0)
        t->free_head = r->next_free;
    else
        t->used++;
    uint64_t generation =
        ((atomic_load_explicit(&r->word, memory_order_relaxed) >> 2) + 1) & GENERATION_MASK;
    if (generation == 0)
        generation = 1;
    r->type = type;
    r->reply = reply;
    r->status = SRV_OK;
    r->reason = NULL;
    r->detail = NULL;
    r->in = NULL;
    atomic_fetch_add_explicit(&t->outstanding, 1, memory_order_relaxed);
    /* Release: a replier that sees WAITING sees reply and type. */
    atomic_store_explicit(&r->word, generation << 2 | SLOT_WAITING, memory_order_release);
    *tag = SRV__REQUEST_TAG | generation << INDEX_BITS | index;
    return r;
}

/* The owner: whether answer a still stands for a place in use (the
 * place was neither read nor abandoned since); *word: the place's word. */
static bool answer_live(struct requests *t, const struct answer *a, uint64_t *word)
{
    /* seq_cst: see await */
    *word = atomic_load_explicit(&place_at(t, a->index)->word, memory_order_seq_cst);
    return (*word >> 2) == a->generation && (*word & 3) != SLOT_ABANDONED;
}

/* The owner: drops the answers that no longer stand, the rest to the front. */
static void compact(struct requests *t)
{
    size_t kept = 0;
    for (size_t i = t->first; i < t->first + t->count; i++) {
        uint64_t word;
        if (answer_live(t, &t->answers[i], &word))
            t->answers[kept++] = t->answers[i];
    }
    t->first = 0;
    t->count = kept;
}

/* The owner: takes the answered stack and appends it, oldest first, to its
 * list of answers.  Never allocates: every place on the stack or standing
 * in the list is a different place in use, and request_new made room for
 * all of those. */
static void take_answered(struct requests *t)
{
    /* seq_cst, and acquire: pairs with each replier's push (a release
     * sequence of CASes), so next_answered is seen; see await too. */
    uint32_t head = atomic_exchange_explicit(&t->answered, 0, memory_order_seq_cst);
    size_t n = 0;
    for (uint32_t i = head; i != 0; i = place_at(t, i - 1)->next_answered)
        n++;
    if (n == 0)
        return;
    if (t->first + t->count + n > t->cap)
        compact(t);
    size_t end = t->first + t->count + n;
    for (uint32_t i = head; i != 0; i = place_at(t, i - 1)->next_answered) {
        uint64_t word = atomic_load_explicit(&place_at(t, i - 1)->word, memory_order_relaxed);
        t->answers[--end] = (struct answer){i - 1, word >> 2}; /* newest last */
    }
    t->count += n;
}

/* The owner: r is over (DONE and read, or ABANDONED): back to the free
 * list, keeping its generation, so no replier's CAS can succeed on it.
 * The answered stack is taken first: a place freed while still on it
 * could be pushed again, and be on it twice. */
static void request_free(struct requests *t, struct request *r, uint64_t tag)
{
    take_answered(t);
    if (r->reply != r->small)
        srv__free(r->reply);
    r->reply = NULL;
    uint64_t word = atomic_load_explicit(&r->word, memory_order_relaxed);
    /* Relaxed: no replier writes a place that does not wait; the next
     * round's release store publishes it again. */
    atomic_store_explicit(&r->word, word & ~(uint64_t)3, memory_order_relaxed);
    r->next_free = t->free_head;
    t->free_head = index_of(tag) + 1;
    atomic_fetch_sub_explicit(&t->outstanding, 1, memory_order_relaxed);
}

/* The owner: gives r up.  True when it was abandoned with no answer;
 * false when the answer is there (DONE), to be read or freed. */
static bool request_abandon(struct request *r)
{
    return srv__word_abandon(&r->word);
}

/* The place of req if req is the caller's own and not over; NULL
 * otherwise.  *word (unless word is NULL): its word, read seq_cst (see
 * await). */
static struct request *own_request(struct process *self, const srv_request_id *req,
                                   uint64_t *word)
{
    struct requests *t = table_of(self, memory_order_relaxed);
    uint64_t tag = req->from.tag;
    if (t == NULL || !srv__tag_is_request(tag) || !srv__pid_same(req->from.pid, self->pid) ||
        index_of(tag) >= t->used)
        return NULL;
    struct request *r = place_at(t, index_of(tag));
    uint64_t now = atomic_load_explicit(&r->word, memory_order_seq_cst);
    if (word != NULL)
        *word = now;
    return (now >> 2) == generation_of(tag) && (now & 3) != SLOT_ABANDONED ? r : NULL;
}

/* The owner: reads r's answer and frees the place.  The call's status;
 * for SRV_OK the reply goes to reply (the caller owns it then), or is
 * freed unread when reply is NULL. */
static srv_status take_answer(struct requests *t, struct request *r, uint64_t tag,
                              void *reply, srv_call_result *result)
{
    srv_status status = r->status;
    if (result != NULL)
        result->reason = r->reason;
    /* the detail goes to the requester to keep, as a call's does */
    if (result != NULL && r->detail != NULL)
        result->detail = srv__keep_detail(srv__caller(), KEPT_WAIT, r->detail);
    else
        srv_detail_release(r->detail);
    r->detail = NULL;
    if (status == SRV_OK) {
        if (reply != NULL)
            memcpy(reply, r->reply, r->type->reply_size);
        else if (r->type->free_reply != NULL)
            r->type->free_reply(r->reply);
    }
    request_free(t, r, tag);
    return status;
}

/* The owner: abandons req, or frees its answer unread if it came. */
static void drop(struct process *self, const srv_request_id *req)
{
    struct request *r = own_request(self, req, NULL);
    if (r == NULL)
        return;
    struct requests *t = table_of(self, memory_order_relaxed);
    if (request_abandon(r))
        request_free(t, r, req->from.tag);
    else
        take_answer(t, r, req->from.tag, NULL, NULL);
}

/* ---------------------------------------------------------------------- */
/* The replier's side (wait.c routes request tags here)                    */

/* The place a replier may answer for tag, and the word it then holds. */
static struct request *find(struct process *owner, uint64_t tag, uint64_t *waiting)
{
    /* Acquire: pairs with requests_of's release. */
    struct requests *t = table_of(owner, memory_order_acquire);
    if (t == NULL || index_of(tag) >= PLACES)
        return NULL;
    *waiting = generation_of(tag) << 2 | SLOT_WAITING;
    return place_at(t, index_of(tag));
}

bool srv__request_complete(struct process *owner, uint64_t tag, srv_status status,
                           srv_atom reason, const srv_detail *detail, const void *reply,
                           size_t size)
{
    uint64_t waiting;
    struct request *r = find(owner, tag, &waiting);
    /* Acquire: we write into reply, published by request_new's release. */
    if (r == NULL || !atomic_compare_exchange_strong_explicit(
                         &r->word, &waiting, (waiting & ~(uint64_t)3) | SLOT_WRITING,
                         memory_order_acquire, memory_order_relaxed))
        return false;
    if (reply != NULL && size > 0)
        memcpy(r->reply, reply, size);
    r->status = status;
    r->reason = reason;
    r->detail = srv_detail_retain(detail);
    struct requests *t = table_of(owner, memory_order_relaxed);
    /* On the answered stack, before DONE: an answer the requester sees is
     * always in its list once it takes the stack.  seq_cst (a release for
     * next_answered): see take_answered and await. */
    uint32_t head = atomic_load_explicit(&t->answered, memory_order_relaxed);
    do
        r->next_answered = head;
    while (!atomic_compare_exchange_weak_explicit(&t->answered, &head, index_of(tag) + 1,
                                                  memory_order_seq_cst,
                                                  memory_order_relaxed));
    /* seq_cst, then the load of waiter: pairs with await's store of waiter
     * and its look at the places.  It is also the release the owner's
     * acquire of DONE pairs with. */
    atomic_store_explicit(&r->word, (waiting & ~(uint64_t)3) | SLOT_DONE,
                          memory_order_seq_cst);
    uint64_t waiter = atomic_load_explicit(&t->waiter, memory_order_seq_cst);
    if (waiter != 0) /* a stale tag's CAS fails in the slot: harmless */
        srv__slot_complete((srv_from){owner->pid, waiter, NULL}, SRV_OK, NULL, NULL, 0);
    return true;
}

bool srv__request_waits(struct process *owner, uint64_t tag)
{
    uint64_t waiting;
    struct request *r = find(owner, tag, &waiting);
    return r != NULL && atomic_load_explicit(&r->word, memory_order_acquire) == waiting;
}

void srv__requests_release(struct process *p)
{
    struct requests *t = table_of(p, memory_order_acquire);
    if (t == NULL)
        return;
    for (uint32_t index = 0; index < t->used; index++) {
        struct request *r = place_at(t, index);
        uint64_t word = atomic_load_explicit(&r->word, memory_order_acquire);
        if ((word & 3) == SLOT_DONE && r->status == SRV_OK && r->type->free_reply != NULL)
            r->type->free_reply(r->reply); /* an answer nobody read */
        if ((word & 3) == SLOT_DONE)
            srv_detail_release(r->detail);
        if ((word & 3) != SLOT_ABANDONED && r->reply != r->small)
            srv__free(r->reply);
    }
    for (unsigned k = 0; k < CHUNKS; k++)
        srv__free(atomic_load_explicit(&t->chunks[k], memory_order_relaxed));
    srv__free(t->answers);
    srv__free(t);
    atomic_store_explicit(&srv__extra(p)->requests, NULL, memory_order_relaxed);
}

size_t srv__requests_outstanding(srv_pid pid)
{
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return 0;
    struct requests *t = table_of(p, memory_order_acquire);
    size_t n = t != NULL ? atomic_load_explicit(&t->outstanding, memory_order_relaxed) : 0;
    srv__process_put(p);
    return n;
}

/* ---------------------------------------------------------------------- */
/* Waiting                                                                 */

/* The owner: the oldest answer that belongs to reqids, its place in
 * reqids->entries in *at.  Answers at the front that no longer stand
 * leave the list. */
static bool first_in(struct requests *t, const srv_reqids *reqids, size_t *at)
{
    take_answered(t);
    for (size_t i = t->first; i < t->first + t->count; i++) {
        const struct answer *a = &t->answers[i];
        uint64_t word;
        if (!answer_live(t, a, &word)) {
            if (i == t->first) {
                t->first++;
                t->count--;
            }
            continue;
        }
        struct request *r = place_at(t, a->index);
        if ((word & 3) == SLOT_DONE && r->in == reqids && r->at < reqids->count &&
            reqids->entries[r->at].req.from.tag ==
                (SRV__REQUEST_TAG | a->generation << INDEX_BITS | a->index)) {
            *at = r->at;
            return true;
        }
    }
    return false;
}

/* Whether what the caller waits for is answered: a request of reqids
 * (*at says which), or else the request one. */
static bool answered(struct process *self, const srv_reqids *reqids,
                     const srv_request_id *one, size_t *at)
{
    struct requests *t = table_of(self, memory_order_relaxed);
    if (reqids != NULL)
        return t != NULL && first_in(t, reqids, at);
    uint64_t word;
    return own_request(self, one, &word) != NULL && (word & 3) == SLOT_DONE;
}

/* Waits until what the caller waits for is answered (SRV_OK) or the
 * deadline passes (SRV_ETIMEOUT), on the caller's reply slot. */
static srv_status await(struct process *self, const srv_reqids *reqids,
                        const srv_request_id *one, uint64_t deadline_ns, size_t *at)
{
    struct requests *t = table_of(self, memory_order_relaxed);
    for (;;) {
        if (answered(self, reqids, one, at))
            return SRV_OK;
        if (deadline_ns != UINT64_MAX && srv__now_ns() >= deadline_ns)
            return SRV_ETIMEOUT;
        uint64_t tag = srv__slot_arm(srv__slot(self), NULL);
        /* seq_cst, then the looks at the places: see srv__request_complete. */
        if (t != NULL)
            atomic_store_explicit(&t->waiter, tag, memory_order_seq_cst);
        bool now = answered(self, reqids, one, at);
        srv_status status = SRV_OK;
        if (now)
            srv__slot_disarm(srv__slot(self));
        else
            status = srv__slot_wait(srv__slot(self), deadline_ns, NULL);
        /* Relaxed: a replier that still sees the old tag completes a slot
         * that has moved on, and its CAS fails. */
        if (t != NULL)
            atomic_store_explicit(&t->waiter, 0, memory_order_relaxed);
        if (now)
            return SRV_OK;
        if (status == SRV_ETIMEOUT)
            return answered(self, reqids, one, at) ? SRV_OK : SRV_ETIMEOUT;
    }
}

/* wait, receive (abandon at the timeout) and check (timeout 0). */
static srv_status respond(srv_request_id *req, long timeout_ms, bool abandon,
                          void *reply, srv_call_result *result)
{
    if (result != NULL)
        *result = (srv_call_result){0};
    if (req == NULL || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    struct request *r = own_request(self, req, NULL);
    if (r == NULL)
        return SRV_EINVAL;
    if (reply != NULL) /* as a call leaves it, unless the reply comes */
        memset(reply, 0, r->type->reply_size);
    size_t at;
    if (await(self, NULL, req, srv__deadline_after_ms(timeout_ms), &at) == SRV_ETIMEOUT &&
        (!abandon || request_abandon(r))) {
        if (abandon)
            request_free(table_of(self, memory_order_relaxed), r,
                         req->from.tag);
        return SRV_ETIMEOUT;
    }
    srv_status status = take_answer(table_of(self, memory_order_relaxed), r, req->from.tag,
                                    reply, result);
    if (status == SRV_EEXIT || status == SRV_ENOPROC)
        srv__request_failed(result, req->name == NULL ? srv_ref_pid(req->server)
                                    : req->via != NULL ? srv_ref_via(req->via, req->name)
                                                       : srv_ref_name(req->name));
    return status;
}

/* ---------------------------------------------------------------------- */
/* Sending                                                                 */

static bool is_call(const srv_module *module, unsigned message)
{
    return module != NULL && message < module->message_count &&
           module->messages[message].kind == SRV_MESSAGE_CALL;
}

/* The request r (tag from.tag) to server, another node's pid: sent by
 * the node, which answers it once the reply, the DOWN or the close of
 * the connection comes; a node that cannot be reached is answered now
 * (noconnection, as OTP's monitor of it fires at once).  A request that
 * could not be sent is given up. */
static srv_status send_remote(struct requests *t, struct request *r, srv_pid server,
                              const srv_module *module, unsigned message,
                              const void *args, srv_from from)
{
    srv_atom reason = NULL;
    srv_status status = srv__node_request(server, module, message, args, from, &reason);
    if (status == SRV_ENOPROC) {
        srv__request_complete(srv__caller(), from.tag, SRV_ENOPROC, reason, NULL, NULL, 0);
        return SRV_OK;
    }
    if (status != SRV_OK) {
        request_abandon(r);
        request_free(t, r, from.tag);
    }
    return status;
}

/* p: the server, held, or NULL when there is none (answered noproc). */
static srv_status send_to(struct process *p, srv_pid server, const srv_module *module,
                          unsigned message, const void *args, srv_request_id *req)
{
    struct process *self = srv__caller();
    struct requests *t = self != NULL ? requests_of(self) : NULL;
    srv_status status = t == NULL ? SRV_ENOMEM
                        : p != NULL && p->module != module ? SRV_EINVAL : SRV_OK;
    const srv_message_type *type = &module->messages[message];
    uint64_t tag = 0;
    struct request *r = status == SRV_OK ? request_new(t, type, &tag) : NULL;
    struct envelope *e = NULL;
    if (r == NULL && status == SRV_OK)
        status = SRV_ENOMEM;
    if (r != NULL && p != NULL && (e = srv__envelope_with_args(type, args)) == NULL) {
        request_abandon(r);
        request_free(t, r, tag);
        status = SRV_ENOMEM;
    }
    if (status != SRV_OK) {
        if (p != NULL)
            srv__process_put(p);
        return status;
    }
    srv_from from = {self->pid, tag, type};
    *req = (srv_request_id){server, from, NULL, NULL};
    if (p == NULL && server.node != 0) /* another node's (node.c's to send) */
        return send_remote(t, r, server, module, message, args, from);
    if (p == NULL) {
        /* No such process: answered now, as OTP's monitor fires at once. */
        srv__request_complete(self, tag, SRV_ENOPROC, srv_atom_noproc, NULL, NULL, 0);
        return SRV_OK;
    }
    e->kind = ENV_CALL;
    e->message = message;
    e->from = from;
    srv__post(p, e, true); /* held: a request is answered even when late */
    return SRV_OK;
}

srv_status srv_send_request(srv_pid server, const srv_module *module, unsigned message,
                            const void *args, srv_request_id *req)
{
    if (req == NULL || !is_call(module, message))
        return SRV_EINVAL;
    return send_to(srv__process_get(server), server, module, message, args, req);
}

srv_status srv_send_request_to(srv_ref server, const srv_module *module, unsigned message,
                               const void *args, srv_request_id *req)
{
    if (req == NULL || !is_call(module, message))
        return SRV_EINVAL;
    srv_pid pid = SRV_PID_NONE;
    srv_status status = srv_resolve(server, &pid);
    if (status != SRV_OK && status != SRV_ENOTREG)
        return status; /* SRV_EINVAL, SRV_ENOMEM: nothing sent */
    /* a name nobody holds: answered at once with noproc, as OTP's */
    struct process *p = srv_pid_is_none(pid) ? NULL : srv__process_get(pid);
    status = send_to(p, pid, module, message, args, req);
    if (status == SRV_OK && p == NULL && server.kind != SRV_REF_PID) {
        /* gen's term names the ServerRef a request could not reach,
         * {noproc, nobody_here}, and the pid of one it reached; without
         * memory for the name, it shows none */
        req->name = srv_atom_from(server.name);
        req->via = req->name != NULL && server.kind == SRV_REF_VIA ? server.via : NULL;
    }
    return status;
}

srv_status srv_send_request_name(const char *name, const srv_module *module,
                                 unsigned message, const void *args,
                                 srv_request_id *req)
{
    if (name == NULL)
        return SRV_EINVAL;
    return srv_send_request_to(srv_ref_name(name), module, message, args, req);
}

bool srv_request_is(const srv_request_id *req, const srv_module *module, unsigned message)
{
    return req != NULL && is_call(module, message) &&
           req->from.type == &module->messages[message];
}

srv_status srv_wait_response(srv_request_id *req, long timeout_ms, void *reply,
                             srv_call_result *result)
{
    return respond(req, timeout_ms, false, reply, result);
}

srv_status srv_receive_response(srv_request_id *req, long timeout_ms, void *reply,
                                srv_call_result *result)
{
    return respond(req, timeout_ms, true, reply, result);
}

srv_status srv_check_response(srv_request_id *req, void *reply, srv_call_result *result)
{
    srv_status status = respond(req, 0, false, reply, result);
    return status == SRV_ETIMEOUT ? SRV_NOREPLY : status;
}

/* ---------------------------------------------------------------------- */
/* Collections                                                             */

void srv_reqids_new(srv_reqids *reqids)
{
    *reqids = (srv_reqids)SRV_REQIDS_INIT;
}

/* The caller's own request in its place, if it still stands and reqids
 * holds it: the place says where. */
static struct request *held_by(struct process *self, const srv_reqids *reqids,
                               const srv_request_id *req)
{
    struct request *r = own_request(self, req, NULL);
    return r != NULL && r->in == reqids ? r : NULL;
}

srv_status srv_reqids_add(srv_reqids *reqids, const srv_request_id *req, void *label)
{
    if (reqids == NULL || req == NULL)
        return SRV_EINVAL;
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    struct request *r = own_request(self, req, NULL);
    if (r != NULL && r->in != NULL)
        return SRV_EINVAL; /* in a collection already */
    if (reqids->count == reqids->cap) {
        size_t cap = reqids->cap != 0 ? reqids->cap * 2 : 8;
        srv_reqids_entry *grown = srv__realloc(reqids->entries, cap * sizeof *grown);
        if (grown == NULL)
            return SRV_ENOMEM;
        reqids->entries = grown;
        reqids->cap = cap;
    }
    reqids->entries[reqids->count++] = (srv_reqids_entry){*req, label};
    if (r != NULL) { /* another's, or one that is over, is never answered */
        r->in = reqids;
        r->at = reqids->count - 1;
    }
    return SRV_OK;
}

/* Takes entry at out of reqids; the last entry takes its place. */
static void remove_at(struct process *self, srv_reqids *reqids, size_t at)
{
    struct request *r = held_by(self, reqids, &reqids->entries[at].req);
    if (r != NULL)
        r->in = NULL;
    reqids->entries[at] = reqids->entries[--reqids->count];
    if (at < reqids->count && (r = held_by(self, reqids, &reqids->entries[at].req)) != NULL)
        r->at = at;
}

size_t srv_reqids_size(const srv_reqids *reqids)
{
    return reqids != NULL ? reqids->count : 0;
}

const srv_reqids_entry *srv_reqids_to_list(const srv_reqids *reqids, size_t *count)
{
    *count = srv_reqids_size(reqids);
    return *count != 0 ? reqids->entries : NULL;
}

/* Abandons every request of reqids (the caller's own), and empties it. */
static void abandon_all(srv_reqids *reqids)
{
    struct process *self = reqids->count != 0 ? srv__caller() : NULL;
    for (size_t i = 0; self != NULL && i < reqids->count; i++)
        drop(self, &reqids->entries[i].req);
    reqids->count = 0;
}

void srv_reqids_free(srv_reqids *reqids)
{
    if (reqids == NULL)
        return;
    abandon_all(reqids);
    srv__free(reqids->entries);
    *reqids = (srv_reqids)SRV_REQIDS_INIT;
}

/* wait, receive (abandon all at the timeout) and check (timeout 0). */
static srv_status collect(srv_reqids *reqids, long timeout_ms, bool delete_answered,
                          bool abandon, srv_request_id *which, void **label)
{
    if (reqids == NULL || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    if (reqids->count == 0)
        return SRV_NOREQUEST;
    struct process *self = srv__caller();
    if (self == NULL)
        return SRV_ENOMEM;
    size_t at;
    if (await(self, reqids, NULL, srv__deadline_after_ms(timeout_ms), &at) == SRV_ETIMEOUT) {
        if (abandon)
            abandon_all(reqids);
        return SRV_ETIMEOUT;
    }
    if (which != NULL)
        *which = reqids->entries[at].req;
    if (label != NULL)
        *label = reqids->entries[at].label;
    if (delete_answered)
        remove_at(self, reqids, at);
    return SRV_OK;
}

srv_status srv_reqids_wait(srv_reqids *reqids, long timeout_ms, bool delete_answered,
                           srv_request_id *which, void **label)
{
    return collect(reqids, timeout_ms, delete_answered, false, which, label);
}

srv_status srv_reqids_receive(srv_reqids *reqids, long timeout_ms, bool delete_answered,
                              srv_request_id *which, void **label)
{
    return collect(reqids, timeout_ms, delete_answered, true, which, label);
}

srv_status srv_reqids_check(srv_reqids *reqids, bool delete_answered,
                            srv_request_id *which, void **label)
{
    srv_status status = collect(reqids, 0, delete_answered, false, which, label);
    return status == SRV_ETIMEOUT ? SRV_NOREPLY : status;
}
