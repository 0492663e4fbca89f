/*
 * overflow.c: a stack overflow is reported with the server's name and pid
 * before the program aborts.
 *
 * Handlers run on fibers' stacks on scheduler threads (fiber.c), and on
 * the stacks of callers that run an idle server's handler themselves.
 * Each such thread gets an alternate signal stack, so that SIGSEGV can
 * still run when its stack is exhausted; the handler tells an overflow (a
 * fault just below the running stack's low end, its guard page) from any
 * other fault,
 * names the process that was running, and aborts.  Everything it does is
 * async-signal-safe: no stdio, no malloc.
 */
#define _GNU_SOURCE /* pthread_getattr_np: where this thread's stack is */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fiber.h"
#include "overflow.h"
#include "process.h"

#if defined(SRV_SANITIZE_ADDRESS) || defined(SRV_SANITIZE_THREAD)

/* The sanitizers catch and report faults themselves. */
void srv__overflow_watch_thread(void)
{
}

void srv__overflow_unwatch_thread(void)
{
}

#else

#define GUARD_SLACK (64 * 1024) /* faults this far below the stack count */

static _Thread_local uintptr_t stack_low;
static _Thread_local void *alt_stack;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static struct sigaction previous;

static size_t put_text(char *buf, size_t at, size_t size, const char *text)
{
    while (*text != '\0' && at + 1 < size)
        buf[at++] = *text++;
    return at;
}

static size_t put_number(char *buf, size_t at, size_t size, uint32_t n)
{
    char digits[11];
    size_t k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (k > 0 && at + 1 < size)
        buf[at++] = digits[--k];
    return at;
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    uintptr_t addr = (uintptr_t)info->si_addr;
    bool overflow = (stack_low != 0 && addr < stack_low + 4096 &&
                     addr + GUARD_SLACK >= stack_low) ||
                    srv__fiber_guard_hit(addr, GUARD_SLACK);
    if (overflow) {
        char text[256];
        size_t n = put_text(text, 0, sizeof text, "srv: stack overflow in ");
        struct process *p = srv__current_or_null();
        if (p != NULL && p->module != NULL) {
            n = put_text(text, n, sizeof text, p->module->name);
            n = put_text(text, n, sizeof text, " <");
            n = put_number(text, n, sizeof text, p->pid.node);
            n = put_text(text, n, sizeof text, ".");
            n = put_number(text, n, sizeof text, p->pid.index);
            n = put_text(text, n, sizeof text, ".");
            n = put_number(text, n, sizeof text, p->pid.serial);
            n = put_text(text, n, sizeof text, ">");
        } else {
            n = put_text(text, n, sizeof text, "a thread outside any server");
        }
        n = put_text(text, n, sizeof text, "\n");
        ssize_t ignored = write(STDERR_FILENO, text, n);
        (void)ignored;
        abort();
    }
    /* Not ours: let the previous disposition have it. */
    if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction != NULL) {
        previous.sa_sigaction(sig, info, context);
        return;
    }
    signal(sig, previous.sa_handler == SIG_IGN ? SIG_DFL : previous.sa_handler);
    raise(sig);
}

static void install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous);
}

void srv__overflow_watch_thread(void)
{
    if (alt_stack != NULL)
        return;
    pthread_attr_t attr;
    void *base;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &base, &size) == 0)
        stack_low = (uintptr_t)base;
    pthread_attr_destroy(&attr);
    size_t alt_size = SIGSTKSZ > 16384 ? SIGSTKSZ : 16384;
    alt_stack = srv__malloc(alt_size); /* none: overflows abort unreported */
    if (alt_stack == NULL)
        return;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = alt_size, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    pthread_once(&installed, install);
}

void srv__overflow_unwatch_thread(void)
{
    if (alt_stack == NULL)
        return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    srv__free(alt_stack);
    alt_stack = NULL;
    stack_low = 0;
}

#endif /* sanitizers */
