/*
 * mailbox.h: envelopes, what travels to a process, and its mailbox,
 * Vyukov's intrusive MPSC queue of them (mailbox.c).
 */
#ifndef SRV_MAILBOX_H
#define SRV_MAILBOX_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pool.h"
#include "srv.h"

enum envelope_kind {
    ENV_CALL = 1,   /* a module call: args inline, from */
    ENV_CAST,       /* a module cast: args inline */
    ENV_INFO,       /* a module info message: args inline */
    ENV_TIMEOUT,    /* the callback timeout fired: seq says which */
    ENV_EXIT,       /* an exit signal: pid, reason */
    ENV_DOWN,       /* a monitor fired: pid, ref, reason */
    ENV_SYSTEM,     /* sys: system, from */
    ENV_CONTINUE    /* never queued: the continue a server runs (loop.c),
                     * as its current message */
};

enum system_request {
    SYS_GET_STATE = 1,
    SYS_REPLACE_STATE,
    SYS_SUSPEND,
    SYS_RESUME,
    SYS_TERMINATE,
    SYS_GET_STATUS,
    SYS_TRACE,                     /* ref: on */
    SYS_LOG,                       /* ref: events to keep */
    SYS_LOG_GET,
    SYS_LOG_PRINT,
    SYS_COPY_STATE,
    SYS_STATISTICS,                /* arg: the srv_statistics_op, as an integer */
    SYS_CHANGE_CODE,               /* reason: the old version; arg: extra */
    SYS_NO_DEBUG,
    SYS_LOG_TO_FILE,               /* arg: the file's path, the envelope's
                                      own copy (NULL: close it) */
    SYS_INSTALL,                   /* debug_fn, arg: its state */
    SYS_REMOVE                     /* debug_fn */
};

/* The mailbox link: first in every envelope, and the mailbox's stub. */
struct mailbox_link {
    struct mailbox_link *_Atomic next;
};

struct envelope {
    struct mailbox_link link;      /* first: mailbox.c casts between them */
    uint16_t kind;                 /* enum envelope_kind */
    uint16_t system;               /* ENV_SYSTEM: enum system_request */
    unsigned message;              /* ENV_CALL/CAST/INFO: the module's index */
    size_t size;                   /* bytes allocated, for the free */
    srv_from from;                 /* ENV_CALL, ENV_SYSTEM: the caller */
    srv_pid pid;                   /* ENV_EXIT, ENV_DOWN: who */
    uint64_t ref;                  /* ENV_DOWN: the monitor; ENV_TIMEOUT: seq;
                                      ENV_INFO: the timer of srv_start_timer */
    srv_atom reason;               /* ENV_EXIT, ENV_DOWN, SYS_TERMINATE */
    union {
        void (*fn)(void *state, void *arg); /* SYS_REPLACE_STATE */
        srv_sys_debug_fn debug_fn;          /* SYS_INSTALL, SYS_REMOVE */
    };
    union {
        void *arg;                 /* SYS_REPLACE_STATE: fn's; SYS_INSTALL:
                                      debug_fn's state; SYS_LOG_TO_FILE */
        const srv_detail *detail;  /* ENV_EXIT, ENV_DOWN, SYS_TERMINATE: the
                                      reason's, a reference the envelope
                                      owns (srv__envelope_free gives it
                                      back), or NULL */
    };
    _Alignas(max_align_t) unsigned char args[]; /* a copy made by copy_args */
};

/* A zeroed envelope (args not zeroed), or NULL when out of memory.
 * Inline, as srv__envelope_with_args: every cast's. */
static inline struct envelope *srv__envelope_new(size_t args_size)
{
    size_t size = sizeof(struct envelope) + args_size;
    struct envelope *e = srv__pool_alloc(size);
    if (e == NULL)
        return NULL;
    /* Field by field: a memset of the struct is a rep stos, which costs
     * a cast more than all its other stores together. */
    _Static_assert(sizeof(struct envelope) == 112, "every field is set below");
    atomic_store_explicit(&e->link.next, NULL, memory_order_relaxed);
    e->kind = 0;
    e->system = 0;
    e->message = 0;
    e->size = size;
    e->from = (srv_from){SRV_PID_NONE, 0, NULL};
    e->pid = SRV_PID_NONE;
    e->ref = 0;
    e->reason = NULL;
    e->fn = NULL;
    e->arg = NULL; /* and detail, the union's other member */
    return e;
}

/* An envelope holding a deep copy of a message's args (copy_args); NULL
 * when out of memory, with nothing copied left behind.  Inline: it is
 * every cast's. */
static inline struct envelope *srv__envelope_with_args(const srv_message_type *type,
                                                       const void *args)
{
    struct envelope *e = srv__envelope_new(type->args_size);
    if (e == NULL)
        return NULL;
    if (type->copy_args != NULL) {
        if (!type->copy_args(e->args, args)) {
            srv__pool_free(e); /* copy_args freed what it had copied */
            return NULL;
        }
    } else {
        /* A copy of a known size is a move or two where a call to memcpy
         * costs more than the rest of a cast's copying together. */
        switch (type->args_size) {
        case 0: break;
        case 8: memcpy(e->args, args, 8); break;
        case 16: memcpy(e->args, args, 16); break;
        default: memcpy(e->args, args, type->args_size); break;
        }
    }
    return e;
}
/* Frees e and, for a module message of module (NULL: none), its args. */
void srv__envelope_free(const srv_module *module, struct envelope *e);
/* srv__envelope_free of a cast or an info of module, which holds nothing
 * but its args: a handled message's. */
static inline void srv__envelope_free_message(const srv_module *module, struct envelope *e)
{
    void (*free_args)(void *args) = module->messages[e->message].free_args;
    if (free_args != NULL)
        free_args(e->args);
    srv__pool_free(e);
}

/* A list of envelopes that one thread owns (a suspended server's held
 * messages), linked through their mailbox links. */
struct envelope_list {
    struct envelope *first, *last;
};

static inline void srv__envelope_list_push(struct envelope_list *list,
                                           struct envelope *e)
{
    /* relaxed: the list's owner alone reads these links */
    atomic_store_explicit(&e->link.next, NULL, memory_order_relaxed);
    if (list->last != NULL)
        atomic_store_explicit(&list->last->link.next, &e->link,
                              memory_order_relaxed);
    else
        list->first = e;
    list->last = e;
}

/* The oldest envelope, taken off the list; NULL when it is empty. */
static inline struct envelope *srv__envelope_list_pop(struct envelope_list *list)
{
    struct envelope *e = list->first;
    if (e == NULL)
        return NULL;
    list->first = (struct envelope *)atomic_load_explicit(&e->link.next,
                                                          memory_order_relaxed);
    if (list->first == NULL)
        list->last = NULL;
    return e;
}

struct mailbox {
    struct mailbox_link *_Atomic head; /* the newest: producers exchange it */
    struct mailbox_link *tail;         /* the oldest: the consumer's end */
    struct mailbox_link stub;
};

void srv__mailbox_init(struct mailbox *mb);
/* Any thread.  Returns nothing: the caller decides whom to wake. */
void srv__mailbox_push(struct mailbox *mb, struct envelope *e);
/* The owner only.  NULL when empty, or when a push is half done (the
 * pusher has exchanged head but not linked yet): the caller must then treat
 * the mailbox as not empty (srv__mailbox_empty says so) and come back. */
struct envelope *srv__mailbox_pop(struct mailbox *mb);
/* The owner only. */
bool srv__mailbox_empty(struct mailbox *mb);
/* Any thread, a hint: whether something was pushed that the owner has not
 * taken yet (head is the stub again once it has taken all). */
static inline bool srv__mailbox_has_mail(struct mailbox *mb)
{
    return atomic_load_explicit(&mb->head, memory_order_relaxed) != &mb->stub;
}

#endif /* SRV_MAILBOX_H */
