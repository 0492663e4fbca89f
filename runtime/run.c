/*
 * run.c: srv_run, a program that runs a supervision tree, as an Erlang
 * node runs its applications: the root supervisor is started linked to
 * the calling thread; SIGTERM and SIGINT become init:stop/0's orderly
 * shutdown (the root gets exit(shutdown) and shuts its tree down, children
 * in reverse order, each within its shutdown), a second signal kills the
 * root at once; the exit status says how it ended.
 *
 * A signal handler may do nearly nothing: it writes a byte to a pipe.  A
 * thread of run.c's own reads the pipe and sends the exit signals; the
 * calling thread waits for the root's EXIT.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

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
    pthread_t thread;
};

/* Reads the pipe: the first signal shuts the root down, the second kills
 * it; a 0 byte (from srv_run) says the root is gone. */
static void *watch_signals(void *arg)
{
    struct watcher *w = arg;
    unsigned signals = 0;
    for (;;) {
        unsigned char byte;
        ssize_t n = read(signal_pipe[0], &byte, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || byte == 0)
            return NULL;
        srv_exit_signal(w->root, signals++ == 0 ? SRV_SHUTDOWN : SRV_KILL);
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

    int status = 1;
    srv_start_result started;
    srv_status code = srv_sup_start(root, args, SRV_START_LINK, NULL, &started);
    struct watcher w = {started.pid, 0};
    if (code == SRV_OK && pthread_create(&w.thread, NULL, watch_signals, &w) == 0) {
        /* the root's EXIT: the only signal this thread's identity gets,
         * but for EXITs of processes it linked to before */
        srv_signal signal;
        while (srv_receive_signal(&signal, SRV_INFINITY) == SRV_OK)
            if (signal.kind == SRV_SIGNAL_EXIT && srv_pid_equal(signal.pid, started.pid)) {
                status = signal.reason == SRV_SHUTDOWN || signal.reason == SRV_NORMAL ? 0 : 1;
                break;
            }
        unsigned char stop = 0;
        ssize_t ignored = write(signal_pipe[1], &stop, 1);
        (void)ignored;
        pthread_join(w.thread, NULL);
    } else if (code == SRV_OK) { /* no thread to watch signals: none taken */
        srv_exit_signal(started.pid, SRV_KILL);
    }
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
    /* what else runs ends with the tree, as the node does */
    srv_runtime_shutdown(5000);
    return status;
}
