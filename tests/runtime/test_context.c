/*
 * test_context.c: the raw context switch (context.h): ping-pong, registers
 * and rounding modes kept per context, two stacks, ABI stack alignment.
 */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "context.h"
#include "support.h"

#define STACK_SIZE (64 * 1024)

static void *map_stack(void)
{
    void *low = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(low, MAP_FAILED, "mmap of a stack failed");
    return low;
}

static int on_stack(const void *p, const void *low)
{
    return (uintptr_t)p >= (uintptr_t)low &&
           (uintptr_t)p < (uintptr_t)low + STACK_SIZE;
}

#if !defined(SRV_SANITIZE_ADDRESS) && !defined(SRV_SANITIZE_THREAD)

/* The sanitizers need their fiber annotations around a switch (fiber.c
 * makes them); these tests switch raw, so they run in the plain build. */

static void *main_sp, *fiber_sp, *other_sp;

/* Overwrites every callee-saved register the compiler lets us name, so a
 * switch that fails to restore one shows up in the other context. */
static inline void trash_callee_saved(void)
{
#if defined(__x86_64__)
    __asm__ volatile("movq $-1, %%rbx\n\t"
                     "movq $-1, %%r12\n\t"
                     "movq $-1, %%r13\n\t"
                     "movq $-1, %%r14\n\t"
                     "movq $-1, %%r15\n\t"
                     ::: "rbx", "r12", "r13", "r14", "r15", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\t"
                     "mov x22, #-1\n\tmov x23, #-1\n\tmov x24, #-1\n\t"
                     "mov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"
                     "mov x28, #-1\n\t"
                     "fmov d8, #-1.0\n\tfmov d9, #-1.0\n\tfmov d10, #-1.0\n\t"
                     "fmov d11, #-1.0\n\tfmov d12, #-1.0\n\tfmov d13, #-1.0\n\t"
                     "fmov d14, #-1.0\n\tfmov d15, #-1.0\n\t"
                     ::: "x19", "x20", "x21", "x22", "x23", "x24", "x25",
                         "x26", "x27", "x28", "v8", "v9", "v10", "v11",
                         "v12", "v13", "v14", "v15", "memory");
#endif
}

/* --- ping-pong ---------------------------------------------------------- */

static volatile long ball;
static volatile long pong_errors;
static volatile int pong_arg_ok;

static void pong(void *arg)
{
    long rounds = *(long *)arg;
    pong_arg_ok = 1;
    for (long i = 0; i < rounds; i++) {
        if (ball != 2 * i + 1)
            pong_errors++;
        ball = 2 * i + 2;
        srv__context_switch(&fiber_sp, main_sp);
    }
    ball = -1; /* done */
    srv__context_switch(&fiber_sp, main_sp);
    abort();
}

Test(context, ping_pongs_with_a_fresh_context_in_order, .timeout = T(10))
{
    static long rounds = 100000;
    void *low = map_stack();
    ball = 0;
    fiber_sp = srv__context_make(low, STACK_SIZE, pong, &rounds);
    cr_assert(on_stack(fiber_sp, low), "a fresh context lies in its stack");
    for (long i = 0; i < rounds; i++) {
        cr_assert_eq(ball, 2 * i);
        ball = 2 * i + 1;
        srv__context_switch(&main_sp, fiber_sp);
        cr_assert_eq(ball, 2 * i + 2, "round %ld", i);
    }
    srv__context_switch(&main_sp, fiber_sp);
    cr_assert_eq(ball, -1, "the entry ran to its last switch");
    cr_assert(pong_arg_ok, "the entry got its argument");
    cr_assert_eq(pong_errors, 0);
    munmap(low, STACK_SIZE);
}

/* --- callee-saved registers -------------------------------------------- */

static volatile unsigned long seed = 3;
static volatile double dseed = 1.5;

/* k sets the start apart, so that the two contexts never hold equal values. */
#define DECLARE_LOCALS(k)                                                     \
    unsigned long a = seed + (k), b = a * 7, c = a + 11, d = a * a,           \
                  e = b - c, f = d + 5, g = a ^ 0x55, h = b * 3;              \
    double x = dseed + (k), y = x * 1.25, z = x / 3.0, w = x * 0.1,           \
           u = x + 2.0, v = x - 7.0

#define STEP(i)                                                               \
    do {                                                                      \
        a += (unsigned long)(i); b ^= a; c += b; d = d * 3 + c; e -= d;       \
        f += e ^ (unsigned long)(i); g = g * 5 + f; h += g;                   \
        x = x * 1.0001 + y; y -= z * 0.5; z += w; w = w * 0.99 + x * 1e-6;   \
        u = u * 0.5 + v; v = v * 1.5 - u * 0.25;                             \
    } while (0)

#define SUMS(out_l, out_d)                                                    \
    do {                                                                      \
        (out_l) = a + 3 * b + 5 * c + 7 * d + 11 * e + 13 * f + 17 * g        \
                  + 19 * h;                                                   \
        (out_d) = x + 3 * y + 5 * z + 7 * w + 11 * u + 13 * v;               \
    } while (0)

#define REG_ROUNDS 1000

static volatile unsigned long fiber_sum_l, expected_sum_l[2];
static volatile double fiber_sum_d, expected_sum_d[2];

/* The same arithmetic without switches. */
static __attribute__((noinline)) void reference_sums(int k)
{
    DECLARE_LOCALS(k);
    for (long i = 0; i < REG_ROUNDS; i++)
        STEP(i);
    unsigned long sl;
    double sd;
    SUMS(sl, sd);
    expected_sum_l[k] = sl;
    expected_sum_d[k] = sd;
}

static void busy(void *arg)
{
    (void)arg;
    DECLARE_LOCALS(1);
    for (long i = 0; i < REG_ROUNDS; i++) {
        STEP(i);
        trash_callee_saved();
        srv__context_switch(&fiber_sp, main_sp);
    }
    unsigned long sl;
    double sd;
    SUMS(sl, sd);
    fiber_sum_l = sl;
    fiber_sum_d = sd;
    srv__context_switch(&fiber_sp, main_sp);
    abort();
}

Test(context, callee_saved_registers_and_doubles_survive_switches, .timeout = T(10))
{
    reference_sums(0);
    reference_sums(1);
    cr_assert_neq(expected_sum_l[0], expected_sum_l[1]);
    void *low = map_stack();
    fiber_sp = srv__context_make(low, STACK_SIZE, busy, NULL);
    DECLARE_LOCALS(0);
    /* Live across each switch, in callee-saved registers where they fit;
     * the fiber overwrites those registers before it switches back. */
    for (long i = 0; i < REG_ROUNDS; i++) {
        STEP(i);
        srv__context_switch(&main_sp, fiber_sp);
    }
    unsigned long sl;
    double sd;
    SUMS(sl, sd);
    srv__context_switch(&main_sp, fiber_sp); /* the fiber's last round */
    cr_assert_eq(sl, expected_sum_l[0], "main's integers");
    cr_assert(sd == expected_sum_d[0], "main's doubles: %a, want %a", sd,
              expected_sum_d[0]);
    cr_assert_eq(fiber_sum_l, expected_sum_l[1], "the fiber's integers");
    cr_assert(fiber_sum_d == expected_sum_d[1], "the fiber's doubles");
    munmap(low, STACK_SIZE);
}

/* --- rounding mode ------------------------------------------------------ */

#if defined(__x86_64__) || defined(__aarch64__)

/* fegetround and fesetround, without libm (the tests do not link it).
 * On x86-64 both control words must agree: SSE rounds doubles, x87 long
 * doubles, and the switch keeps both. */
static int get_round(void)
{
#if defined(__x86_64__)
    unsigned short cw;
    unsigned int mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(cw) : : "memory");
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr) : : "memory");
    int x87 = cw & 0xC00, sse = (int)(mxcsr >> 3) & 0xC00;
    return x87 == sse ? x87 : -1;
#else
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr) : : "memory");
    return (int)(fpcr & 0xC00000);
#endif
}

static void set_round(int mode)
{
#if defined(__x86_64__)
    unsigned short cw;
    unsigned int mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(cw) : : "memory");
    cw = (unsigned short)((cw & ~0xC00) | mode);
    __asm__ volatile("fldcw %0" : : "m"(cw) : "memory");
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr) : : "memory");
    mxcsr = (mxcsr & ~0x6000u) | (unsigned)mode << 3;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr) : "memory");
#else
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr) : : "memory");
    fpcr = (fpcr & ~(uint64_t)0xC00000) | (uint64_t)mode;
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr) : "memory");
#endif
}

/* A tenth rounds up to nearest in binary: rounding down gives less. */
static volatile double one = 1.0, ten = 10.0;
static volatile long double one_l = 1.0L, ten_l = 10.0L;
static volatile int fiber_mode_first, fiber_mode_set, fiber_mode_again;
static volatile double fiber_tenth_set, fiber_tenth_again;
static volatile long double fiber_tenth_l_again;

static void downward(void *arg)
{
    (void)arg;
    fiber_mode_first = get_round();
    set_round(FE_DOWNWARD);
    fiber_mode_set = get_round();
    fiber_tenth_set = one / ten;
    srv__context_switch(&fiber_sp, main_sp);
    fiber_mode_again = get_round();
    fiber_tenth_again = one / ten;
    fiber_tenth_l_again = one_l / ten_l;
    srv__context_switch(&fiber_sp, main_sp);
    abort();
}

Test(context, each_context_keeps_its_own_rounding_mode, .timeout = T(10))
{
    cr_assert_eq(get_round(), FE_TONEAREST);
    volatile double nearest = one / ten;
    volatile long double nearest_l = one_l / ten_l;
    void *low = map_stack();
    fiber_sp = srv__context_make(low, STACK_SIZE, downward, NULL);
    srv__context_switch(&main_sp, fiber_sp);
    cr_assert_eq(fiber_mode_first, FE_TONEAREST, "a fresh context rounds to nearest");
    cr_assert_eq(fiber_mode_set, FE_DOWNWARD);
    cr_assert(fiber_tenth_set < nearest, "a tenth rounds down in the fiber");
    cr_assert_eq(get_round(), FE_TONEAREST, "main's mode came back with main");
    volatile double again = one / ten;
    volatile long double again_l = one_l / ten_l;
    cr_assert(again == nearest);
    cr_assert(again_l == nearest_l);
    srv__context_switch(&main_sp, fiber_sp);
    cr_assert_eq(fiber_mode_again, FE_DOWNWARD, "the fiber's mode came back with it");
    cr_assert(fiber_tenth_again < nearest);
    cr_assert(fiber_tenth_l_again < nearest_l, "long double rounds down too");
    cr_assert_eq(get_round(), FE_TONEAREST);
    munmap(low, STACK_SIZE);
}

#endif /* x86-64 or AArch64 */

/* --- two stacks --------------------------------------------------------- */

struct walker {
    void **sp;           /* where this context's stack pointer is kept */
    void *low;           /* its stack */
    long steps;          /* how far it got, kept in a local meanwhile */
    volatile int outside; /* a frame seen outside its own stack */
    char name;
};

static char trail[64];
static volatile int trail_len;

static void walk(void *arg)
{
    struct walker *me = arg;
    long steps = 0;  /* lives on this context's stack */
    for (;;) {
        if (!on_stack(&steps, me->low) || !on_stack(__builtin_frame_address(0), me->low))
            me->outside = 1;
        steps++;
        me->steps = steps;
        trail[trail_len++] = (char)(me->name + (steps - 1) % 26);
        srv__context_switch(me->sp, main_sp);
    }
}

Test(context, two_contexts_on_their_own_stacks_interleave, .timeout = T(10))
{
    void *low_a = map_stack(), *low_b = map_stack();
    struct walker a = {&fiber_sp, low_a, 0, 0, 'a'};
    struct walker b = {&other_sp, low_b, 0, 0, 'A'};
    fiber_sp = srv__context_make(low_a, STACK_SIZE, walk, &a);
    other_sp = srv__context_make(low_b, STACK_SIZE, walk, &b);
    memset(trail, 0, sizeof trail);
    trail_len = 0;
    for (int i = 0; i < 5; i++) {
        srv__context_switch(&main_sp, fiber_sp);
        srv__context_switch(&main_sp, other_sp);
    }
    srv__context_switch(&main_sp, other_sp); /* b twice in a row */
    srv__context_switch(&main_sp, fiber_sp);
    cr_assert_str_eq(trail, "aAbBcCdDeEFf");
    cr_assert_eq(a.steps, 6);
    cr_assert_eq(b.steps, 6);
    cr_assert_not(a.outside, "a ran on its own stack");
    cr_assert_not(b.outside, "b ran on its own stack");
    munmap(low_a, STACK_SIZE);
    munmap(low_b, STACK_SIZE);
}

/* A context can resume another directly, not only the one that resumed it. */

static volatile int relay[8];
static volatile int relay_len;

static void relay_b(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        relay[relay_len++] = 2;
        srv__context_switch(&other_sp, fiber_sp);
    }
    abort();
}

static void relay_a(void *arg)
{
    void *low_b = arg;
    other_sp = srv__context_make(low_b, STACK_SIZE, relay_b, NULL);
    for (int i = 0; i < 3; i++) {
        relay[relay_len++] = 1;
        srv__context_switch(&fiber_sp, other_sp);
    }
    relay[relay_len++] = 3;
    srv__context_switch(&fiber_sp, main_sp);
    abort();
}

Test(context, a_context_can_switch_straight_to_another, .timeout = T(10))
{
    void *low_a = map_stack(), *low_b = map_stack();
    relay_len = 0;
    fiber_sp = srv__context_make(low_a, STACK_SIZE, relay_a, low_b);
    srv__context_switch(&main_sp, fiber_sp);
    cr_assert_eq(relay_len, 7);
    int want[] = {1, 2, 1, 2, 1, 2, 3};
    for (int i = 0; i < 7; i++)
        cr_assert_eq(relay[i], want[i], "step %d", i);
    munmap(low_a, STACK_SIZE);
    munmap(low_b, STACK_SIZE);
}

/* --- stack alignment ---------------------------------------------------- */

static volatile uintptr_t entry_frame, nested_frame, aligned_local;
static char printed[64];
static void *align_low;

static __attribute__((noinline)) void nested(double value)
{
    _Alignas(16) char local[16];
    memset(local, 1, sizeof local);
    aligned_local = (uintptr_t)local;
    nested_frame = (uintptr_t)__builtin_frame_address(0);
    /* printf's double path stores vector registers to the stack. */
    snprintf(printed, sizeof printed, "%.3f %s", value, local[0] == 1 ? "ok" : "?");
}

static void aligned(void *arg)
{
    (void)arg;
    entry_frame = (uintptr_t)__builtin_frame_address(0);
    nested(2.5);
    srv__context_switch(&fiber_sp, main_sp);
    abort();
}

Test(context, a_fresh_context_has_an_abi_aligned_stack, .timeout = T(10))
{
    /* An odd size too: make must align the top itself. */
    size_t sizes[] = {STACK_SIZE, STACK_SIZE - 8, STACK_SIZE - 24};
    for (int i = 0; i < 3; i++) {
        align_low = map_stack();
        entry_frame = nested_frame = aligned_local = 0;
        memset(printed, 0, sizeof printed);
        fiber_sp = srv__context_make(align_low, sizes[i], aligned, NULL);
        srv__context_switch(&main_sp, fiber_sp);
        cr_assert(on_stack((void *)entry_frame, align_low));
        cr_assert_eq(entry_frame % 16, 0, "entry frame %#lx",
                     (unsigned long)entry_frame);
        cr_assert_eq(nested_frame % 16, 0, "nested frame %#lx",
                     (unsigned long)nested_frame);
        cr_assert_eq(aligned_local % 16, 0, "_Alignas(16) local %#lx",
                     (unsigned long)aligned_local);
        cr_assert_str_eq(printed, "2.500 ok");
        munmap(align_low, STACK_SIZE);
    }
}

/* --- a call on another stack (srv__context_call) ------------------------ */

static void *call_low;
static volatile uintptr_t call_frame;
static volatile int call_steps;
static void *caller_sp, *callee_sp;

/* Returns as a plain function: the call returns with it. */
static void returns(void *arg)
{
    call_frame = (uintptr_t)__builtin_frame_address(0);
    trash_callee_saved();
    *(int *)arg += 1;
}

Test(context, a_call_on_another_stack_returns_with_registers_kept, .timeout = T(10))
{
    call_low = map_stack();
    int n = 41;
    volatile long kept = 12345;
    /* Odd sizes: the callee's stack must be aligned all the same. */
    size_t sizes[] = {STACK_SIZE, STACK_SIZE - 8, STACK_SIZE - 24};
    for (int i = 0; i < 3; i++) {
        call_frame = 0;
        srv__context_call(&caller_sp, call_low, sizes[i], returns, &n);
        cr_assert(on_stack((void *)call_frame, call_low), "ran on the other stack");
        cr_assert_eq(call_frame % 16, 0, "frame %#lx", (unsigned long)call_frame);
    }
    cr_assert_eq(n, 44);
    cr_assert_eq(kept, 12345);
    munmap(call_low, STACK_SIZE);
}

/* Leaves its frames on the other stack: switches (light) to the caller's
 * saved frame, which returns from the call; resumed later by a full
 * switch, it finishes by switching to the caller's new context. */
static void leaves(void *arg)
{
    (void)arg;
    volatile int mine = 7;
    call_steps = 1;
    trash_callee_saved();
    srv__context_switch_light(&callee_sp, caller_sp);
    call_steps = mine == 7 ? 3 : -1; /* our frame survived */
    srv__context_switch(&callee_sp, caller_sp);
    abort();
}

Test(context, a_call_that_switches_back_leaves_a_context_to_resume, .timeout = T(10))
{
    call_low = map_stack();
    volatile long kept = 777;
    call_steps = 0;
    srv__context_call(&caller_sp, call_low, STACK_SIZE, leaves, NULL);
    cr_assert_eq(call_steps, 1, "the call came back before the callee ended");
    cr_assert_eq(kept, 777);
    call_steps = 2;
    srv__context_switch(&caller_sp, callee_sp);
    cr_assert_eq(call_steps, 3);
    cr_assert_eq(kept, 777);
    munmap(call_low, STACK_SIZE);
}

#if defined(__x86_64__) || defined(__aarch64__)

/* The light switch leaves the control words as they are: the callee
 * goes on in the rounding mode its caller had, as a function call. */
static void rounds_as_called(void *arg)
{
    *(int *)arg = get_round();
    set_round(FE_TONEAREST);
}

Test(context, a_call_on_another_stack_runs_in_the_callers_rounding_mode, .timeout = T(10))
{
    call_low = map_stack();
    int seen = -1;
    set_round(FE_UPWARD);
    srv__context_call(&caller_sp, call_low, STACK_SIZE, rounds_as_called, &seen);
    cr_assert_eq(seen, FE_UPWARD);
#if !defined(SRV_CONTEXT_UCONTEXT) /* swapcontext restores the caller's */
    cr_assert_eq(get_round(), FE_TONEAREST, "as after any call that set it");
#endif
    set_round(FE_TONEAREST);
    munmap(call_low, STACK_SIZE);
}

#endif

#else /* sanitizer builds: the raw switch would confuse them */

static void never_runs(void *arg)
{
    (void)arg;
    abort();
}

Test(context, make_lays_a_context_inside_its_stack, .timeout = T(10))
{
    void *low = map_stack();
    void *sp = srv__context_make(low, STACK_SIZE, never_runs, NULL);
    cr_assert_not_null(sp);
    cr_assert(on_stack(sp, low));
    munmap(low, STACK_SIZE);
}

#endif
