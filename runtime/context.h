/*
 * context.h: switching stacks in user space.
 *
 * A context is a stack pointer.  Switching saves the callee-saved
 * registers and the floating-point control words on the current stack,
 * stores the stack pointer, and resumes another context the same way: a
 * few instructions, no system call (context_x86_64.S, context_aarch64.S).
 * Other machines fall back to ucontext (context.c), which costs a system
 * call per switch for the signal mask.
 */
#ifndef SRV_CONTEXT_H
#define SRV_CONTEXT_H

#include <stddef.h>

/* Saves the running context in *save and resumes `to`.  Returns when
 * another switch resumes *save. */
void srv__context_switch(void **save, void *to);

/* The same, but the floating-point control words go on as they are
 * instead of being loaded (loading them is most of a switch's cost):
 * for a switch that stands for a function call and its return.  A
 * context saved by either switch may be resumed by either. */
void srv__context_switch_light(void **save, void *to);

/* Calls fn(arg) on the stack [low, low + size), as a plain call would,
 * with the caller's context saved in *save first: when fn returns, so
 * does this; a switch to *save (a light one: the control words in that
 * frame are not saved) makes this return from there instead, while fn's
 * frames stay where they are, to be resumed as a context of their own. */
void srv__context_call(void **save, void *low, size_t size,
                       void (*fn)(void *arg), void *arg);

/* A fresh context on the stack [low, low + size): the first switch to it
 * calls entry(arg) there.  entry must never return: it ends by switching
 * away for good. */
void *srv__context_make(void *low, size_t size, void (*entry)(void *arg),
                        void *arg);

#endif /* SRV_CONTEXT_H */
