/*
 * context_aarch64.S: the context switch for AArch64 (AAPCS64).
 *
 * A saved context, from its stack pointer up (176 bytes, 16-aligned):
 * x19..x28, x29 (frame pointer), x30 (return address), d8..d15 and FPCR.
 * srv__context_make (context.c) lays out the same frame on a fresh stack
 * with srv__context_start in x30, the entry in x20 and its argument in x19.
 */
#if defined(__aarch64__) && !defined(SRV_CONTEXT_UCONTEXT)

    .text

/* Saves the running context's frame and stack pointer in *x0; takes up
 * the one at x1, as far as FPCR. */
.macro switch_frames
    sub     sp, sp, #176
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mrs     x9, fpcr
    str     x9, [sp, #160]
    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1
.endm

/* Loads the rest of the frame and returns into the context taken up. */
.macro resume_frame
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #176
    ret
.endm

    .globl  srv__context_switch
    .hidden srv__context_switch
    .type   srv__context_switch, %function
    .p2align 4
/* void srv__context_switch(void **save, void *to): x0 = save, x1 = to */
srv__context_switch:
    .cfi_startproc
    switch_frames
    ldr     x9, [sp, #160]
    msr     fpcr, x9
    resume_frame
    .cfi_endproc
    .size   srv__context_switch, .-srv__context_switch

    .globl  srv__context_switch_light
    .hidden srv__context_switch_light
    .type   srv__context_switch_light, %function
    .p2align 4
/* The same frame; FPCR is saved but not loaded: the one resumed goes on
 * with ours, as a function call's callee would. */
srv__context_switch_light:
    .cfi_startproc
    switch_frames
    resume_frame
    .cfi_endproc
    .size   srv__context_switch_light, .-srv__context_switch_light

    .globl  srv__context_call
    .hidden srv__context_call
    .type   srv__context_call, %function
    .p2align 4
/* void srv__context_call(void **save, void *low, size_t size,
 *                        void (*fn)(void *), void *arg):
 * x0 = save, x1 = low, x2 = size, x3 = fn, x4 = arg.  Stores the frame a switch
 * saves (FPCR's slot left as it is: only a light switch resumes it),
 * stores its stack pointer in *save, and calls fn(arg) on the stack
 * [low, low + size).  When fn returns, so do we; when a switch resumes *save
 * instead, our caller sees us return from there. */
srv__context_call:
    .cfi_startproc
    sub     sp, sp, #176
    .cfi_def_cfa_offset 176
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    .cfi_offset x19, -176
    .cfi_offset x20, -168
    .cfi_offset x21, -160
    .cfi_offset x22, -152
    .cfi_offset x23, -144
    .cfi_offset x24, -136
    .cfi_offset x25, -128
    .cfi_offset x26, -120
    .cfi_offset x27, -112
    .cfi_offset x28, -104
    .cfi_offset x29, -96
    .cfi_offset x30, -88
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mov     x9, sp
    str     x9, [x0]
    mov     x19, x0
    /* From here the frame is found through *save (x19): CFA = *x19 + 176. */
    .cfi_escape 0x0f, 0x06, 0x83, 0x00, 0x06, 0x23, 0xb0, 0x01
    add     x9, x1, x2
    and     x9, x9, #~15
    mov     sp, x9
    mov     x0, x4
    blr     x3
    ldr     x9, [x19]
    mov     sp, x9
    .cfi_def_cfa sp, 176
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    ldp     x19, x20, [sp, #0]
    add     sp, sp, #176
    .cfi_def_cfa_offset 0
    ret
    .cfi_endproc
    .size   srv__context_call, .-srv__context_call

    .globl  srv__context_start
    .hidden srv__context_start
    .type   srv__context_start, %function
    .p2align 4
/* The first code a fresh context runs: entry(arg), which never returns. */
srv__context_start:
    .cfi_startproc
    .cfi_undefined x30  /* the bottom of the stack for unwinders */
    mov     x0, x19
    blr     x20
    brk     #0
    .cfi_endproc
    .size   srv__context_start, .-srv__context_start

#endif

    .section .note.GNU-stack, "", %progbits
