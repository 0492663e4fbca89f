/*
 * inline.c: a handler run for its caller, on a stack of its own.
 *
 * A call to an idle server runs the handler at once, on the caller's
 * thread: nothing is queued and no thread is woken.  It runs on a stack
 * of its own rather than on the caller's, entered and left by a plain
 * call and return (srv__fiber_call), so that a handler that blocks (a
 * call of its own, a deferred reply, a sleep) can let its caller go: the
 * caller then waits for the reply up to its deadline, as for any queued
 * call, and the handler goes on, as its server's, on a scheduler thread.
 * A call's timeout holds on this path as on the other.
 *
 * Each thread keeps one such stack between calls; one that was detached
 * from its caller ends as a scheduler's loop (sched.c).
 */
#include <pthread.h>

#include "fiber.h"
#include "inline.h"
#include "os.h"
#include "process.h"
#include "sched.h"
#include "wait.h"

static _Thread_local struct fiber *spare; /* a job's stack between jobs */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

void srv__inline_thread_done(void)
{
    if (spare != NULL) {
        srv__fiber_free(spare);
        spare = NULL;
    }
}

/* fork: the child's forking thread makes its next job's stack anew (a
 * fresh stack for ThreadSanitizer too, whose fibers do not cross a fork);
 * the old one goes back to the pool. */
void srv__inline_fork(enum srv_fork_phase phase)
{
    if (phase == SRV_FORK_CHILD)
        srv__inline_thread_done();
}

/* A plain thread that ran jobs leaves its spare stack and its pool
 * behind when it ends: both go then. */
static void thread_done(void *unused)
{
    (void)unused;
    srv__inline_thread_done();
    srv__fiber_thread_done();
}

static void spare_key_make(void)
{
    if (pthread_key_create(&spare_key, thread_done) != 0)
        srv__fatal("srv: no thread key for the inline stacks");
}

/* The job's first frame on its own stack.  ThreadSanitizer must not see
 * its return: by then its shadow stack is the caller's again. */
#if defined(SRV_SANITIZE_THREAD)
__attribute__((no_sanitize("thread")))
#endif
static void job_entry(void *arg)
{
    struct fiber *me = arg;
    srv__fiber_entered();
    me->job(me->job_arg);
    if (me->caller == NULL) {
        /* Detached: the caller went on long ago; we are a scheduler's
         * fiber now, and carry on as its loop. */
        srv__set_current(NULL);
        srv__sched_loop();
    }
    struct fiber *caller = me->caller;
    me->caller = NULL;
    me->job_done = true;
    srv__fiber_call_return(caller);
}

SRV_CALL_PATH
bool srv__inline_call(void (*job)(void *arg), void *arg,
                      struct reply_slot *slot, uint64_t tag)
{
    struct fiber *caller = srv__fiber_running();
    if (caller == NULL)
        caller = srv__fiber_thread();
    if (caller == NULL) { /* no memory for the thread's pool: on ours */
        job(arg);
        return true;
    }
    struct fiber *f = spare;
    if (f != NULL) {
        spare = NULL;
    } else {
        f = srv__fiber_new(job_entry, NULL, NULL); /* entered by srv__fiber_call */
        if (f == NULL) { /* no stack to be had: on ours, as a function */
            job(arg);
            return true;
        }
        if (caller->thread_stack) {
            pthread_once(&spare_once, spare_key_make);
            pthread_setspecific(spare_key, &spare_key);
        }
    }
    f->caller = caller;
    f->caller_process = srv__slot_owner(slot);
    f->caller_tag = tag;
    f->job = job;
    f->job_arg = arg;
    f->job_done = false;
    f->on_detach = NULL;
    struct process *current = srv__current_or_null();
    srv__fiber_call(f, job_entry, f);
    srv__set_current(current);
    if (!f->job_done) {
        srv__sched_adopt(f);
        return false;
    }
    if (spare == NULL)
        spare = f;
    else
        srv__fiber_free(f); /* a nested call's: one spare is enough */
    return true;
}

bool srv__inline_detach(void)
{
    struct fiber *f = srv__fiber_running();
    if (f == NULL || f->caller == NULL)
        return false;
    struct fiber *caller = f->caller;
    f->caller = NULL;
    if (f->on_detach != NULL) /* the caller's frame is still there */
        f->on_detach(f->on_detach_arg);
    struct process *current = srv__current_or_null();
    srv__fiber_switch_light(f, caller);
    /* Resumed by a scheduler's loop, on this thread or (when the caller
     * was a plain thread) on a scheduler's. */
    srv__sched_resumed();
    srv__set_current(current);
    return true;
}
