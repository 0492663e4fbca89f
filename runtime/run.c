/*
 * run.c: srv_run, a program that runs a supervision tree, as an Erlang
 * node runs its applications: the root supervisor is started linked to
 * the calling thread; SIGTERM and SIGINT become init:stop/0's orderly
 * shutdown (the root gets exit(shutdown) and shuts its tree down, children
 * in reverse order, each within its shutdown); a second signal kills the
 * root and returns 1 at once, the program's end ending what is left; the
 * exit status says how it ended.
 *
 * A signal handler may do nearly nothing: it writes a byte to a pipe.  A
 * thread of run.c's own takes the signals (the calling thread blocks them,
 * the runtime's threads never take them), reads the pipe and sends the
 * exit signals; the calling thread waits for the root's EXIT.  The handler
 * so runs where the thread is in read(), never where a thread sleeps in a
 * futex: ThreadSanitizer runs a handler there only once that thread next
 * calls into libc, which a wait with no deadline never does.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "srv.h"

static int signal_pipe[2] = {-1, -1};

/* Async-signal-safe: one write, errno kept. */
static void on_signal(int sig)
{
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    ssize_t ignored = write(signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

struct watcher {
    srv_pid root;
    srv_pid runner;       /* srv_run's thread */
    _Atomic bool killed;  /* a second signal came */
    pthread_t thread;
    sigset_t signals;     /* SIGTERM and SIGINT */
};

/* Reads the pipe: the first signal shuts the root down, the second kills
 * it; a 0 byte (from srv_run) says the root is gone. */
static void *watch_signals(void *arg)
{
    struct watcher *w = arg;
    /* taken here even if the caller blocked them: this thread lets them in */
    pthread_sigmask(SIG_UNBLOCK, &w->signals, NULL);
    unsigned signals = 0;
    for (;;) {
        unsigned char byte;
        ssize_t n = read(signal_pipe[0], &byte, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || byte == 0)
            return NULL;
        /* as from the root's parent: one it traps shuts it down */
        if (signals++ == 0) {
            srv__exit_signal_from_runtime(w->root, SRV_SHUTDOWN);
            continue;
        }
        /* The second: the root is killed, in its terminate too (where
         * it waits for a child's), as exit(Root, kill) would; srv_run
         * returns at once, for the program to end whatever is left. */
        atomic_store(&w->killed, true);
        srv__exit_signal_from_runtime(w->root, SRV_KILL);
        srv__exit_signal_from_runtime(w->runner, SRV_KILL); /* wakes it */
    }
}

int srv_run(const srv_sup_module *root, const void *args)
{
    if (pipe(signal_pipe) != 0)
        return 1;
    struct sigaction action, old_term, old_int;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, &old_term);
    sigaction(SIGINT, &action, &old_int);
    /* The watcher takes them; until it runs they wait, pending. */
    sigset_t ours, old_mask;
    sigemptyset(&ours);
    sigaddset(&ours, SIGTERM);
    sigaddset(&ours, SIGINT);
    pthread_sigmask(SIG_BLOCK, &ours, &old_mask);

    int status = 1;
    srv_start_result started;
    srv_status code = srv_sup_start(root, args, SRV_START_LINK, NULL, &started);
    struct watcher w = {started.pid, srv_self(), false, 0, ours};
    if (code == SRV_OK && pthread_create(&w.thread, NULL, watch_signals, &w) == 0) {
        /* the root's EXIT: the only signal this thread's identity gets,
         * but for EXITs of processes it linked to before */
        srv_signal signal;
        while (srv_receive_signal(&signal, SRV_INFINITY) == SRV_OK) {
            if (atomic_load(&w.killed))
                break;
            if (signal.kind == SRV_SIGNAL_EXIT && srv_pid_equal(signal.pid, started.pid)) {
                status = signal.reason == SRV_SHUTDOWN || signal.reason == SRV_NORMAL ? 0 : 1;
                break;
            }
        }
        unsigned char stop = 0;
        ssize_t ignored = write(signal_pipe[1], &stop, 1);
        (void)ignored;
        pthread_join(w.thread, NULL);
    } else if (code == SRV_OK) { /* no thread to watch signals: none taken */
        srv_exit_signal(started.pid, SRV_KILL);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
    /* what else runs ends with the tree, as the node does */
    if (!atomic_load(&w.killed))
        srv_runtime_shutdown(5000);
    return status;
}
