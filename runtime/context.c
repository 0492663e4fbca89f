/*
 * context.c: fresh contexts for the assembly switch, and the ucontext
 * fallback for machines it does not cover.
 *
 * srv__context_make lays out on a new stack the frame that the switch in
 * context_ARCH.S pops: zeroed callee-saved registers, the default
 * floating-point control words, the entry and its argument in two
 * callee-saved registers, and srv__context_start as the return address.
 */
#include <stdint.h>

#include "context.h"

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(SRV_CONTEXT_UCONTEXT)

void srv__context_start(void); /* context_ARCH.S */

void *srv__context_make(void *low, size_t size, void (*entry)(void *arg),
                        void *arg)
{
    uintptr_t top = ((uintptr_t)low + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* After the switch's `ret`, rsp is top - 16: 16-aligned, as a call
     * through srv__context_start then needs. */
    uint64_t *sp = (uint64_t *)(top - 16);
    *--sp = (uint64_t)(uintptr_t)srv__context_start; /* return address */
    *--sp = 0;                                       /* rbp */
    *--sp = 0;                                       /* rbx */
    *--sp = (uint64_t)(uintptr_t)arg;                /* r12 */
    *--sp = (uint64_t)(uintptr_t)entry;              /* r13 */
    *--sp = 0;                                       /* r14 */
    *--sp = 0;                                       /* r15 */
    *--sp = (uint64_t)0x037F << 32 | 0x1F80;         /* x87 CW, MXCSR */
    return sp;
#else
    uint64_t *sp = (uint64_t *)(top - 176);
    for (int i = 0; i < 22; i++)
        sp[i] = 0;                                   /* x21..x28, d8..d15, FPCR */
    sp[0] = (uint64_t)(uintptr_t)arg;                /* x19 */
    sp[1] = (uint64_t)(uintptr_t)entry;              /* x20 */
    sp[11] = (uint64_t)(uintptr_t)srv__context_start; /* x30 */
    return sp;
#endif
}

#else /* the ucontext fallback */

#include <ucontext.h>

/* A fresh context keeps its ucontext and its entry at the top of its own
 * stack; a saved one keeps its ucontext in the switch's frame. */
struct fresh {
    ucontext_t context;
    void (*entry)(void *arg);
    void *arg;
};

/* makecontext passes int arguments only: the pointer comes in halves. */
static void start(unsigned high, unsigned low)
{
    struct fresh *f = (struct fresh *)(((uintptr_t)high << 16 << 16) | low);
    f->entry(f->arg);
}

void *srv__context_make(void *low, size_t size, void (*entry)(void *arg),
                        void *arg)
{
    uintptr_t top = ((uintptr_t)low + size - sizeof(struct fresh)) & ~(uintptr_t)63;
    struct fresh *f = (struct fresh *)top;
    getcontext(&f->context);
    f->context.uc_stack.ss_sp = low;
    f->context.uc_stack.ss_size = top - (uintptr_t)low;
    f->context.uc_link = NULL;
    f->entry = entry;
    f->arg = arg;
    uintptr_t address = (uintptr_t)f;
    makecontext(&f->context, (void (*)(void))start, 2,
                (unsigned)(address >> 16 >> 16), (unsigned)(address & 0xFFFFFFFFu));
    return &f->context;
}

void srv__context_switch(void **save, void *to)
{
    ucontext_t here;
    *save = &here;
    swapcontext(&here, to);
}

void srv__context_switch_light(void **save, void *to)
{
    srv__context_switch(save, to);
}

/* fn runs in a context of its own whose successor (uc_link) is ours:
 * when it returns, we go on; a switch to *save resumes us instead. */
struct call {
    void (*fn)(void *arg);
    void *arg;
};

static void call_start(unsigned high, unsigned low)
{
    struct call *c = (struct call *)(((uintptr_t)high << 16 << 16) | low);
    c->fn(c->arg);
}

void srv__context_call(void **save, void *low, size_t size,
                       void (*fn)(void *arg), void *arg)
{
    ucontext_t here, there;
    struct call c = {fn, arg};
    *save = &here;
    getcontext(&there);
    there.uc_stack.ss_sp = low;
    there.uc_stack.ss_size = size;
    there.uc_link = &here;
    uintptr_t address = (uintptr_t)&c;
    makecontext(&there, (void (*)(void))call_start, 2,
                (unsigned)(address >> 16 >> 16), (unsigned)(address & 0xFFFFFFFFu));
    swapcontext(&here, &there);
}

#endif
