/*
 * floor.c: the machine's floor under make bench's metrics: what the
 * cheapest code doing the same job must spend here, part by part.
 *
 *   floor_cas_ns              an uncontended compare-and-swap (seq_cst), as
 *                             taking an idle server or pushing to a mailbox
 *   floor_indirect_call_ns    a call through a table of function pointers,
 *                             as a handler is found through its module
 *   floor_switch_pair_ns      a switch to another stack and back
 *                             (srv__context_switch, context.h): a fiber
 *                             parked and resumed
 *   floor_light_switch_pair_ns the same with srv__context_switch_light, as
 *                             a caller runs a handler on a stack of its own
 *   floor_cache_line_rtt_ns   a cache line to the other core and back (two
 *                             threads taking turns on one atomic)
 *   floor_malloc_free_ns      malloc and free of an envelope's size
 *                             (struct envelope, mailbox.h, and 8 bytes of
 *                             arguments)
 *
 * Each is the fastest of BURSTS bursts: a floor is a lower bound, and on a
 * machine shared with other work a burst may lose its core midway.
 * bench/run.sh adds these up into a floor per metric and prints each
 * metric's distance from it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "context.h"
#include "mailbox.h"

enum {
    BURSTS = 20,
    ROUNDS = 500000,   /* per burst */
    LINE_ROUNDS = 10000,
    STACK_SIZE = 64 * 1024,
    ENVELOPE_SIZE = sizeof(struct envelope) + 8,
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double cas_ns(int unused)
{
    (void)unused;
    static _Atomic uint64_t word;
    atomic_store(&word, 0);
    double start = now_ns();
    for (uint64_t i = 0; i < ROUNDS; i++) {
        uint64_t expected = i;
        atomic_compare_exchange_strong_explicit(&word, &expected, i + 1,
                                                memory_order_seq_cst,
                                                memory_order_relaxed);
    }
    double ns = (now_ns() - start) / ROUNDS;
    if (atomic_load(&word) != ROUNDS)
        exit(1);
    return ns;
}

/* Four handlers, as a module's table holds them; noinline, so that each
 * call is a real one. */
struct counter { uint64_t n; };
__attribute__((noinline)) static void add1(struct counter *c) { c->n += 1; }
__attribute__((noinline)) static void add2(struct counter *c) { c->n += 2; }
__attribute__((noinline)) static void add3(struct counter *c) { c->n += 3; }
__attribute__((noinline)) static void add4(struct counter *c) { c->n += 4; }
static void (*const volatile handlers[4])(struct counter *) = {add1, add2, add3, add4};

static double indirect_call_ns(int unused)
{
    (void)unused;
    struct counter c = {0};
    double start = now_ns();
    for (unsigned i = 0; i < ROUNDS; i++)
        handlers[i & 3](&c);
    double ns = (now_ns() - start) / ROUNDS;
    if (c.n != (uint64_t)ROUNDS / 4 * 10)
        exit(1);
    return ns;
}

static void *main_context, *fiber_context;
static int light;

static void fiber_entry(void *arg)
{
    (void)arg;
    for (;;) {
        if (light)
            srv__context_switch_light(&fiber_context, main_context);
        else
            srv__context_switch(&fiber_context, main_context);
    }
}

static double switch_pair_ns(int use_light)
{
    void *stack = malloc(STACK_SIZE);
    if (stack == NULL)
        exit(1);
    light = use_light;
    fiber_context = srv__context_make(stack, STACK_SIZE, fiber_entry, NULL);
    double start = now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        if (use_light)
            srv__context_switch_light(&main_context, fiber_context);
        else
            srv__context_switch(&main_context, fiber_context);
    }
    double ns = (now_ns() - start) / ROUNDS;
    free(stack);
    return ns;
}

static _Atomic uint64_t line; /* the cache line the two threads pass */

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}

/* The other side: answers each odd value with the next even one.
 * Acquire and release: each turn sees the other's write. */
static void *line_partner(void *arg)
{
    (void)arg;
    pin(1);
    for (uint64_t i = 0; i < LINE_ROUNDS; i++) {
        while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

static double cache_line_rtt_ns(int unused)
{
    (void)unused;
    pthread_t partner;
    atomic_store(&line, 0);
    if (pthread_create(&partner, NULL, line_partner, NULL) != 0)
        exit(1);
    pin(0);
    double start = now_ns();
    for (uint64_t i = 0; i < LINE_ROUNDS; i++) {
        atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 2)
            ;
    }
    double ns = (now_ns() - start) / LINE_ROUNDS;
    pthread_join(partner, NULL);
    return ns;
}

static double malloc_free_ns(int unused)
{
    (void)unused;
    static void *volatile sink;
    double start = now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        void *p = malloc(ENVELOPE_SIZE);
        if (p == NULL)
            exit(1);
        sink = p;
        free(sink);
    }
    return (now_ns() - start) / ROUNDS;
}

static double fastest(double (*measure)(int), int arg)
{
    double best = measure(arg);
    for (int i = 1; i < BURSTS; i++) {
        double ns = measure(arg);
        best = ns < best ? ns : best;
    }
    return best;
}

int main(void)
{
    printf("floor_cas_ns %.2f\n", fastest(cas_ns, 0));
    printf("floor_indirect_call_ns %.2f\n", fastest(indirect_call_ns, 0));
    printf("floor_switch_pair_ns %.2f\n", fastest(switch_pair_ns, 0));
    printf("floor_light_switch_pair_ns %.2f\n", fastest(switch_pair_ns, 1));
    printf("floor_cache_line_rtt_ns %.2f\n", fastest(cache_line_rtt_ns, 0));
    printf("floor_malloc_free_ns %.2f\n", fastest(malloc_free_ns, 0));
    return 0;
}
