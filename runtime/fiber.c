/*
 * fiber.c: the stacks that handlers run on, and switching between them.
 *
 * Each scheduler thread runs its loop on a fiber: a stack from the
 * thread's pool, with a guard page below it.  A handler that blocks keeps
 * its fiber, frames and all, while the thread goes on with another; an
 * idle server holds none.  Fibers never move between threads, so the pool
 * needs no atomics and thread-locals stay right across a switch.  mmap is
 * called only when the pool runs dry.  The sanitizers are told of every
 * switch, as their fiber interfaces ask, and Valgrind of every stack.
 */
#define _GNU_SOURCE /* pthread_getattr_np: where the thread's own stack is */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "context.h"
#include "fiber.h"
#include "logger.h"
#include "os.h"

#if defined(SRV_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(SRV_SANITIZE_THREAD)
#include <sanitizer/tsan_interface.h>
#endif
/* Valgrind must be told where each stack is, or every access to one looks
 * like a wild one; its client requests cost a few instructions outside
 * Valgrind, and the header is only needed at build time. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SRV_VALGRIND 1
#endif
#endif

#define DEFAULT_STACK_SIZE (256 * 1024)
#define POOL_MAX 16 /* free fibers a thread keeps; more are unmapped */

struct pool {
    struct fiber *free;
    unsigned count;
    struct fiber thread; /* the thread's own stack, as a fiber */
};

static _Thread_local struct pool *pool;
_Thread_local struct fiber *srv__fiber_now;

static size_t page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

static size_t stack_bytes;
static pthread_once_t stack_bytes_once = PTHREAD_ONCE_INIT;

/* SRV_STACK_SIZE (bytes, or with a k, m or g suffix; 16k to 1g), rounded
 * up to pages. */
static void stack_bytes_read(void)
{
    size_t want = DEFAULT_STACK_SIZE;
    const char *env = getenv("SRV_STACK_SIZE");
    if (env != NULL && *env != '\0') {
        char *end;
        unsigned long long n = strtoull(env, &end, 10);
        unsigned long long unit = *end == 'k' || *end == 'K'   ? 1ull << 10
                                  : *end == 'm' || *end == 'M' ? 1ull << 20
                                  : *end == 'g' || *end == 'G' ? 1ull << 30
                                                               : 1;
        if (unit > 1)
            end++;
        if (*end == '\0' && end != env && n <= (1ull << 30) / unit &&
            n * unit >= (16ull << 10)) {
            want = (size_t)(n * unit);
        } else {
            char text[160];
            snprintf(text, sizeof text,
                     "srv: SRV_STACK_SIZE=%.40s is not a size from 16k to 1g; "
                     "stacks are 256k\n", env);
            srv__log(SRV_LOG_WARNING, text);
        }
    }
    size_t page = page_size();
    stack_bytes = (want + page - 1) / page * page;
}

static size_t stack_size(void)
{
    pthread_once(&stack_bytes_once, stack_bytes_read);
    return stack_bytes;
}

/* NULL when out of memory. */
static struct pool *my_pool(void)
{
    if (pool == NULL)
        pool = srv__calloc(1, sizeof *pool);
    return pool;
}

struct fiber *srv__fiber_thread(void)
{
    struct pool *p = my_pool();
    if (p == NULL)
        return NULL;
    if (srv__fiber_now == NULL) {
        struct fiber *t = &p->thread;
        t->thread_stack = true;
        pthread_attr_t attr;
        void *base;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &base, &size) == 0) {
                t->low = base;
                t->size = size;
            }
            pthread_attr_destroy(&attr);
        }
#if defined(SRV_SANITIZE_THREAD)
        t->sanitizer = __tsan_get_current_fiber();
#endif
        srv__fiber_now = t;
    }
    return &p->thread;
}

/* A new stack, or NULL when the system has none to give (memory, or
 * vm.max_map_count: each stack is a mapping and its guard another). */
static struct fiber *fiber_map(void)
{
    size_t page = page_size(), size = stack_size();
    /* Only the pages a handler touches take memory: NORESERVE. */
    unsigned char *base = mmap(NULL, page + size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                               -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    struct fiber *f = srv__calloc(1, sizeof *f);
    if (f == NULL || mprotect(base, page, PROT_NONE) != 0) { /* the guard page */
        srv__free(f);
        munmap(base, page + size);
        return NULL;
    }
    f->low = base + page;
    f->size = size;
#if defined(SRV_VALGRIND)
    f->valgrind_stack = VALGRIND_STACK_REGISTER(f->low, f->low + f->size);
#endif
    return f;
}

bool srv__fiber_reserve(void)
{
    struct pool *p = my_pool();
    if (p == NULL)
        return false;
    if (p->free != NULL)
        return true;
    struct fiber *f = fiber_map();
    if (f == NULL)
        return false;
    f->next = NULL;
    p->free = f;
    p->count = 1;
    return true;
}

static void fiber_unmap(struct fiber *f)
{
#if defined(SRV_SANITIZE_THREAD)
    if (f->sanitizer != NULL)
        __tsan_destroy_fiber(f->sanitizer);
#endif
#if defined(SRV_VALGRIND)
    VALGRIND_STACK_DEREGISTER(f->valgrind_stack);
#endif
    size_t page = page_size();
    munmap(f->low - page, f->size + page);
    srv__free(f);
}

struct fiber *srv__fiber_new(void (*entry)(void *arg), void *arg,
                             struct scheduler *owner)
{
    if (!srv__fiber_reserve())
        return NULL;
    struct pool *p = my_pool();
    struct fiber *f = p->free;
    p->free = f->next;
    p->count--;
    f->next = NULL;
    f->owner = owner;
    f->heap_index = SIZE_MAX;
#if defined(SRV_SANITIZE_ADDRESS)
    /* Frames left by the stack's last user are still poisoned. */
    ASAN_UNPOISON_MEMORY_REGION(f->low, f->size);
#endif
#if defined(SRV_SANITIZE_THREAD)
    /* A fresh shadow stack too: the old one holds the abandoned frames. */
    if (f->sanitizer != NULL)
        __tsan_destroy_fiber(f->sanitizer);
    f->sanitizer = __tsan_create_fiber(0);
#endif
    f->context = srv__context_make(f->low, f->size, entry, arg);
    return f;
}

void srv__fiber_free(struct fiber *f)
{
    struct pool *p = my_pool();
    if (p->count >= POOL_MAX) {
        fiber_unmap(f);
        return;
    }
    f->next = p->free;
    p->free = f;
    p->count++;
}

void srv__fiber_entered(void)
{
#if defined(SRV_SANITIZE_ADDRESS)
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

static inline void fiber_switch(struct fiber *from, struct fiber *to, bool from_ends,
                                bool light)
{
#if defined(SRV_SANITIZE_ADDRESS)
    /* A fiber that ends leaves no fake stack to come back to (NULL). */
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(from_ends ? NULL : &fake_stack, to->low, to->size);
#elif defined(SRV_SANITIZE_THREAD)
    (void)from_ends;
    __tsan_switch_to_fiber(to->sanitizer, 0);
#else
    (void)from_ends;
#endif
    srv__fiber_now = to;
    if (light)
        srv__context_switch_light(&from->context, to->context);
    else
        srv__context_switch(&from->context, to->context);
#if defined(SRV_SANITIZE_ADDRESS)
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}

void srv__fiber_switch(struct fiber *from, struct fiber *to, bool from_ends)
{
    fiber_switch(from, to, from_ends, false);
}

void srv__fiber_switch_light(struct fiber *from, struct fiber *to)
{
    fiber_switch(from, to, false, true);
}

void srv__fiber_call(struct fiber *f, void (*fn)(void *arg), void *arg)
{
    struct fiber *from = srv__fiber_now;
#if defined(SRV_SANITIZE_ADDRESS)
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, f->low, f->size);
#elif defined(SRV_SANITIZE_THREAD)
    __tsan_switch_to_fiber(f->sanitizer, 0);
#endif
    srv__fiber_now = f;
    srv__context_call(&from->context, f->low, f->size, fn, arg);
    srv__fiber_now = from;
#if defined(SRV_SANITIZE_ADDRESS)
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}

/* ThreadSanitizer must not see this function return: by then its shadow
 * stack is the caller's. */
#if defined(SRV_SANITIZE_THREAD)
__attribute__((no_sanitize("thread")))
#endif
void srv__fiber_call_return(struct fiber *to)
{
#if defined(SRV_SANITIZE_ADDRESS)
    __sanitizer_start_switch_fiber(NULL, to->low, to->size);
#elif defined(SRV_SANITIZE_THREAD)
    __tsan_switch_to_fiber(to->sanitizer, 0);
#else
    (void)to;
#endif
}

void srv__fiber_thread_done(void)
{
    struct pool *p = pool;
    if (p == NULL)
        return;
    while (p->free != NULL) {
        struct fiber *f = p->free;
        p->free = f->next;
        fiber_unmap(f);
    }
    srv__free(p);
    pool = NULL;
    srv__fiber_now = NULL;
}

bool srv__fiber_guard_hit(uintptr_t address, uintptr_t slack)
{
    struct fiber *f = srv__fiber_now;
    if (f == NULL || f->thread_stack) /* overflow.c knows thread stacks */
        return false;
    uintptr_t low = (uintptr_t)f->low;
    return address < low && address + slack >= low;
}
