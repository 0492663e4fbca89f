/*
 * context_x86_64.S: the context switch for x86-64 (System V ABI).
 *
 * A saved context, from its stack pointer up: MXCSR and the x87 control
 * word (8 bytes), r15, r14, r13, r12, rbx, rbp, and the return address.
 * srv__context_make (context.c) lays out the same frame on a fresh stack
 * with srv__context_start as the return address, the entry in r13 and its
 * argument in r12.
 */
#if defined(__x86_64__) && !defined(SRV_CONTEXT_UCONTEXT)

    .text
    .globl  srv__context_switch
    .hidden srv__context_switch
    .type   srv__context_switch, @function
    .p2align 4
/* void srv__context_switch(void **save, void *to): rdi = save, rsi = to */
srv__context_switch:
    .cfi_startproc
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    subq    $8, %rsp
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   srv__context_switch, .-srv__context_switch

    .globl  srv__context_start
    .hidden srv__context_start
    .type   srv__context_start, @function
    .p2align 4
/* The first code a fresh context runs: entry(arg), which never returns. */
srv__context_start:
    .cfi_startproc
    .cfi_undefined rip  /* the bottom of the stack for unwinders */
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   srv__context_start, .-srv__context_start

#endif

    .section .note.GNU-stack, "", @progbits
