/*
 * fiber.h: stacks to run handlers on, and switching between them
 * (fiber.c); the sanitizers' and Valgrind's hooks are fiber.c's own.
 */
#ifndef SRV_FIBER_H
#define SRV_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scheduler;
struct process;

struct fiber {
    void *context;             /* its saved stack pointer, while switched out */
    unsigned char *low;        /* its stack is [low, low + size), a guard page below */
    size_t size;
    bool thread_stack;         /* the stack a thread started on */
    struct fiber *next;        /* in a pool, or a scheduler's ready list */
    struct scheduler *owner;   /* the thread it runs on: fibers never move */
    /* While parked (sched.c): */
    _Atomic uint64_t *claim;   /* a waker turns it from claim_value to 0 */
    uint64_t claim_value;
    uint64_t deadline_ns;
    size_t heap_index;         /* in its owner's deadline heap, or SIZE_MAX */
    void *sanitizer;           /* ThreadSanitizer's fiber */
    unsigned valgrind_stack;   /* Valgrind's id of the stack, when built with it */
    /* While it runs a handler for the caller beneath it (inline.c): */
    struct fiber *caller;      /* the suspended caller; NULL once detached */
    struct process *caller_process; /* who the caller runs as, and its call */
    uint64_t caller_tag;
    void (*job)(void *arg);
    void *job_arg;
    bool job_done;             /* set when the job ended with the caller attached */
    /* What the job borrows from the caller's frame, kept before it leaves */
    void (*on_detach)(void *arg);
    void *on_detach_arg;
};

/* A fiber from this thread's pool that will run entry(arg) when first
 * switched to; entry starts with srv__fiber_entered and never returns.
 * NULL when no stack can be had (never after srv__fiber_reserve). */
struct fiber *srv__fiber_new(void (*entry)(void *arg), void *arg,
                             struct scheduler *owner);
/* Makes sure this thread's pool holds a stack; false if none can be had. */
bool srv__fiber_reserve(void);
void srv__fiber_entered(void);
/* Back to this thread's pool (never the running one). */
void srv__fiber_free(struct fiber *f);
/* Switches from the running fiber to `to`; from_ends when `from` will
 * never run again (its stack goes back to the pool). */
void srv__fiber_switch(struct fiber *from, struct fiber *to, bool from_ends);
/* The same for a switch that stands for a call or its return: `to` goes
 * on with the floating-point control words of `from`. */
void srv__fiber_switch_light(struct fiber *from, struct fiber *to);
/* Calls fn(arg) on f's stack, as a plain call would, from the running
 * fiber (the caller); it returns when fn does, or when f switches back
 * to the caller (light) and leaves fn's frames on f, to go on later as
 * a fiber of its own.  fn starts with srv__fiber_entered, and ends with
 * srv__fiber_call_return(caller) when it returns. */
void srv__fiber_call(struct fiber *f, void (*fn)(void *arg), void *arg);
void srv__fiber_call_return(struct fiber *to);
/* The thread's own stack as a fiber (NULL when out of memory), and the
 * running fiber. */
struct fiber *srv__fiber_thread(void);
extern _Thread_local struct fiber *srv__fiber_now; /* fiber.c's own */
static inline struct fiber *srv__fiber_running(void)
{
    return srv__fiber_now;
}
/* Unmaps this thread's pool, before the thread ends. */
void srv__fiber_thread_done(void);
/* Signal handlers: whether address is within slack below the running
 * fiber's stack (its guard page). */
bool srv__fiber_guard_hit(uintptr_t address, uintptr_t slack);

#endif /* SRV_FIBER_H */
