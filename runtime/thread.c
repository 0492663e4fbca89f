/*
 * thread.c: a plain thread's own process identity.  A thread that starts,
 * calls or links to servers is a process to them: it gets a pid the first
 * time it needs one, and when the thread ends its links and monitors hear
 * `normal`.  A function spawned as a process (spawn.c) runs on a thread
 * that adopts the identity made for it.
 */
#include <pthread.h>

#include "exit.h"
#include "link.h"
#include "mailbox.h"
#include "name.h"
#include "os.h"
#include "overflow.h"
#include "process.h"
#include "request.h"
#include "special.h"
#include "thread.h"

static _Thread_local struct process *identity;
static pthread_key_t identity_key;
static pthread_once_t identity_once = PTHREAD_ONCE_INIT;
static bool identity_key_made;

void srv__identity_end(struct process *p, srv_atom reason, const srv_detail *detail)
{
    srv__process_close(p);
    srv__process_quiesce(p, false);
    /* a spawned function's process: a signal that came before the close
     * ended it first (a plain thread's identity never has one) */
    srv__signal_replaces(p, &reason, &detail);
    /* a special process's debug options, while its name is held, and the
     * system message it was handling (sys:terminate's, answered) */
    srv__special_end(p, reason, detail);
    srv__name_release(p);
    srv__links_exit(p, reason, detail);
    /* what is queued: system requests hear the reason, as a server's do */
    struct envelope *e;
    struct envelope_list *held = &srv__extra(p)->held;
    while ((e = srv__envelope_list_pop(held)) != NULL ||
           (e = srv__mailbox_pop(&p->mailbox)) != NULL) {
        if (e->kind == ENV_SYSTEM)
            srv__fail_request(&e->from, reason, detail);
        srv__envelope_free(NULL, e);
    }
    srv_detail_release(detail); /* each signal and caller has its own */
    srv__requests_release(p); /* replies nobody read */
    srv__process_free(p);
}

/* A plain thread's identity ends with the thread: its links and monitors
 * hear `normal`. */
static void identity_destroy(void *arg)
{
    srv__identity_end(arg, SRV_NORMAL, NULL);
    srv__overflow_unwatch_thread();
}

/* The thread has no identity from here on (a fresh one on its next need). */
static void identity_forget(void)
{
    identity = NULL;
    if (identity_key_made)
        pthread_setspecific(identity_key, NULL);
}

void srv__thread_identity_exit(srv_atom reason, const srv_detail *detail)
{
    struct process *p = identity;
    if (p == NULL) {
        srv_detail_release(detail);
        return;
    }
    identity_forget();
    srv__identity_end(p, reason, detail);
    srv__overflow_unwatch_thread();
}

void srv__thread_identity_lend(void)
{
    identity_forget();
}

static void identity_key_make(void)
{
    identity_key_made = pthread_key_create(&identity_key, identity_destroy) == 0;
}

struct process *srv__thread_identity(void)
{
    if (identity == NULL) {
        struct process *p = srv__process_new(NULL);
        if (p == NULL)
            return NULL;
        srv__thread_identity_adopt(p);
    }
    return identity;
}

void srv__thread_identity_adopt(struct process *p)
{
    pthread_once(&identity_once, identity_key_make);
    identity = p;
    pthread_setspecific(identity_key, p);
    /* a thread that calls servers may run their handlers itself */
    srv__overflow_watch_thread();
}

struct process *srv__thread_identity_peek(void)
{
    return identity;
}

struct process *srv__caller_slow(struct process *p)
{
    if (p == NULL)
        return srv__thread_identity(); /* made with its extra part */
    return srv__extra_made(p) != NULL ? p : NULL;
}

struct process *srv__current(void)
{
    struct process *p = srv__current_or_null();
    if (p == NULL)
        p = srv__thread_identity();
    if (p == NULL)
        srv__fatal("srv: out of memory for a thread's process identity");
    return p;
}

srv_pid srv_self(void)
{
    return srv__current()->pid;
}

/* fork: the forking thread gets a new identity on first use (the process
 * table it was in is gone, process.c). */
void srv__thread_fork(enum srv_fork_phase phase)
{
    if (phase != SRV_FORK_CHILD)
        return;
    identity = NULL;
    if (identity_key_made)
        pthread_setspecific(identity_key, NULL);
}
