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

    /* with the call path's C functions (SRV_CALL_PATH, os.h) */
    .section .text.hot.srv_context, "ax", @progbits

/* Saves the running context's frame and stack pointer in *rdi; takes
 * up the one at rsi, as far as its control words. */
.macro switch_frames
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
.endm

/* Pops the rest of the frame and returns into the context taken up. */
.macro resume_frame
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
.endm

    .globl  srv__context_switch
    .hidden srv__context_switch
    .type   srv__context_switch, @function
    .p2align 4
/* void srv__context_switch(void **save, void *to): rdi = save, rsi = to */
srv__context_switch:
    .cfi_startproc
    switch_frames
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    resume_frame
    .cfi_endproc
    .size   srv__context_switch, .-srv__context_switch

    .globl  srv__context_switch_light
    .hidden srv__context_switch_light
    .type   srv__context_switch_light, @function
    .p2align 4
/* The same frame; the control words are saved but not loaded: the one
 * resumed goes on with ours, as a function call's callee would. */
srv__context_switch_light:
    .cfi_startproc
    switch_frames
    resume_frame
    .cfi_endproc
    .size   srv__context_switch_light, .-srv__context_switch_light

    .globl  srv__context_call
    .hidden srv__context_call
    .type   srv__context_call, @function
    .p2align 6
/* void srv__context_call(void **save, void *low, size_t size,
 *                        void (*fn)(void *), void *arg):
 * rdi = save, rsi = low, rdx = size, rcx = fn, r8 = arg.  Pushes the frame a switch
 * saves (the control-word slot left as it is: only a light switch resumes
 * it), stores its stack pointer in *save, and calls fn(arg) on the stack
 * [low, low + size).  A call and a return: the return-address predictor
 * stays right.  When fn returns, so do we; when a switch resumes *save
 * instead, our caller sees us return from there. */
srv__context_call:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r15, 0
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
    movq    %rsp, (%rdi)
    movq    %rdi, %r12
    /* From here the frame is found through *save (r12): CFA = *r12 + 64. */
    .cfi_escape 0x0f, 0x05, 0x7c, 0x00, 0x06, 0x23, 0x40
    leaq    (%rsi, %rdx), %rsp
    andq    $-16, %rsp
    movq    %r8, %rdi
    callq   *%rcx
    movq    (%r12), %rsp
    .cfi_def_cfa rsp, 64
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size   srv__context_call, .-srv__context_call

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
