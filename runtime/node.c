/*
 * node.c: the program as a node of an Erlang cluster, over erl_interface.
 *
 * One thread at a time, the node thread, does the node's I/O: it accepts
 * connections (ei's handshake checks the cookie), reads their packets
 * without blocking, ticks a connection it has written nothing on for a
 * tick (tick_ms), closes one that has said nothing for four, and turns
 * what Erlang sends a registered server into its module's messages,
 * through the module's generated codec: a {'$gen_cast', Req} or a plain
 * message is sent at once (srv_cast, srv_send); a {'$gen_call', From,
 * Req} or a sys:terminate becomes a job, which a thread of the node's
 * pool runs: it calls the server as any plain thread does and writes
 * the reply back.  The node thread is one of that pool, and hands its
 * role on to run a call itself (The node's threads, below).  Erlang's
 * monitors of a name or a pid of this node are kept per connection: a
 * call that finds its server dead or sees it exit fires them
 * (MONITOR_P_EXIT) with noproc or the reason, so an Erlang caller gets
 * that instead of a timeout.  The scheduler threads never touch a socket.
 *
 * Packets after the handshake (the distribution protocol without the
 * atom cache, as ei speaks it): a 4-byte length, then nothing (a tick),
 * or 'p', the control tuple and the message, each with its version byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "link.h"
#include "logger.h"
#include "os.h"
#include "process.h"
#include "remote.h"
#include "term.h"
#include "thread.h"
#include "wait.h"

/* Control messages of the distribution protocol. */
enum {
    DOP_LINK = 1, DOP_SEND = 2, DOP_EXIT = 3, DOP_UNLINK = 4, DOP_REG_SEND = 6,
    DOP_EXIT2 = 8, DOP_SEND_TT = 12, DOP_REG_SEND_TT = 16, DOP_MONITOR_P = 19,
    DOP_EXIT_TT = 13, DOP_DEMONITOR_P = 20, DOP_MONITOR_P_EXIT = 21, DOP_SEND_SENDER = 22,
    DOP_SEND_SENDER_TT = 23, DOP_EXIT2_TT = 18, DOP_UNLINK_ID = 35, DOP_UNLINK_ID_ACK = 36
};

#define MAX_CONNS 256
#define MAX_PACKET (64 << 20)   /* a bigger one is garbage: the connection goes */
#define MAX_THREADS 64          /* the node's pool: the node thread, the calls */
#define WRITE_TIMEOUT_MS 5000
#define HANDSHAKE_TIMEOUT_MS 2000
/* A packet held for the next one on its connection (SEND_WITH_NEXT)
 * goes on its own after this long */
#define HOLD_NS 1000000
#define VERSION_MAGIC 131       /* the external term format's first byte */

/* An Erlang process's monitor of a process of ours: by name (name set)
 * or by pid. */
struct monitor {
    erlang_pid from;
    erlang_ref ref;
    srv_atom name;
    srv_pid target;
    /* calls of from to target that a job runs: while there are,
     * the watcher leaves the monitor to it (its reply must come before
     * the DOWN), noting the reason in down */
    int busy;
    srv_atom down;
};

/* A link or a monitor between a process of ours (local) and one of the
 * node at the other end of a connection (remote): link.c keeps the local
 * side in local's lists; the tie is what the connection must tell local
 * when it goes (noconnection), and, for a monitor of ours, its ref as
 * Erlang knows it (the DOWN names that ref). */
struct tie {
    srv_pid local, remote;
    bool link;
    srv_monitor_ref ref;        /* a monitor's, local's */
    erlang_ref eref;            /* and as sent */
};

/* A connection to another node.  The node thread reads it; the threads
 * that run calls write to it under lock, which also guards its monitors
 * and ties.  refs: the node thread's one, and one per job that will
 * answer on it; the last to let go frees it. */
struct conn {
    int fd;
    char peer[MAXNODELEN + 1];
    _Atomic int refs;
    pthread_mutex_t lock;
    bool dead;                  /* under lock: writes are dropped */
    /* Every write to fd is made under write_lock (then lock, briefly):
     * packets go out whole and in the order they were given. */
    pthread_mutex_t write_lock;
    /* Casts and sends wait in out (under lock) for the node thread, which
     * writes all that came meanwhile at once: a system call costs a
     * cast more than the rest of its way.  Any other packet is written
     * by its sender, after what waits in out.  flush_asked: the node
     * thread has been woken for out. */
    char *out;
    size_t out_len, out_cap;
    _Atomic bool flush_asked; /* stored under lock; the node thread's look
                               * at the top of its loop needs none */
    _Atomic uint64_t held_ns;   /* when out began to hold a packet for the
                                 * next (SEND_WITH_NEXT); 0: none; as
                                 * flush_asked */
    struct monitor *monitors;   /* under lock */
    size_t monitor_count, monitor_cap;
    struct tie *ties;           /* under lock */
    size_t tie_count, tie_cap;
    char *in;                   /* bytes read, not yet a whole packet */
    size_t in_len, in_cap;
    uint64_t heard_ns;          /* when it last said anything */
    /* when we last wrote on it: stored under lock (write_iov), read
     * without by the node thread, which ticks it when that is old */
    _Atomic uint64_t wrote_ns;
    unsigned ticks_out;         /* the node thread's: our ticks not answered */
};

/* A job: what a thread of the node's pool does for an Erlang caller. */
struct job {
    struct job *next;
    struct conn *conn;          /* held */
    bool stop;                  /* sys:terminate: srv_stop with reason */
    srv_pid target;
    srv_atom name;              /* the name it was sent to, or NULL */
    const srv_module *module;
    unsigned message;
    void *args;                 /* owned: freed with the message's free_args */
    srv_atom reason;
    erlang_pid from;
    char *tag;                  /* the caller's Tag, encoded, owned */
    int tag_len;
};

static struct {
    pthread_mutex_t lock;       /* running, and the start and stop */
    bool running;
    ei_cnode ec;
    char name[MAXNODELEN];
    int listen_fd, epmd_fd;
    int wake[2];                /* srv_node_stop writes a byte */
    long tick_ms;
    bool visible;               /* DFLAG_PUBLISHED in the handshake */
    struct conn *conns[MAX_CONNS]; /* the node thread's own */
    size_t conn_count;
    /* the node thread's: the calls its round brought, its poll's timeout */
    struct job *round_head, *round_tail;
    int timeout_ms;
    /* the node's threads (one pool: The node's threads, below) */
    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_cond;   /* a job came, the reading is handed on,
                                 * or the node stops */
    pthread_cond_t idle_cond;   /* a thread ended, or the reading did */
    struct job *head, *tail;
    unsigned queued;            /* jobs in the queue */
    unsigned threads, idle, starting;
    bool role_free;             /* the node thread's role waits for a
                                 * thread to take it */
    bool reading;               /* until the node thread sees the stop */
    bool stopping;
    /* conns[] changes under it (the node thread's), so that the watcher
     * can walk it */
    pthread_mutex_t conns_lock;
    /* the watcher: servers Erlang monitors, to be watched (under
     * jobs_lock), and its plain thread's pid, which an exit signal wakes */
    pthread_t watcher;
    srv_pid watcher_pid;
    bool watcher_ready;
    srv_pid *to_watch;
    size_t to_watch_count, to_watch_cap;
    srv_pid *watched;           /* what it monitors now (under jobs_lock) */
    size_t watched_count, watched_cap;
} node = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .conns_lock = PTHREAD_MUTEX_INITIALIZER,
          .jobs_lock = PTHREAD_MUTEX_INITIALIZER,
          .jobs_cond = PTHREAD_COND_INITIALIZER,
          .idle_cond = PTHREAD_COND_INITIALIZER,
          .listen_fd = -1, .epmd_fd = -1, .wake = {-1, -1}};

static void node_log(srv_log_level level, const char *fmt, ...) SRV_PRINTF(2, 3);
static void node_log(srv_log_level level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    strcat(text, "\n");
    srv__log(level, text);
}

/* ---------------------------------------------------------------------- */
/* Writing packets                                                         */

/* The wake pipe's bytes: a connection was opened (poll it too), casts
 * wait to be written (flush_asked), or the node stops. */
enum { WAKE_CONNECTED = 'c', WAKE_FLUSH = 'f', WAKE_STOP = 's' };

static void conn_put(struct conn *c)
{
    /* acq_rel: the last one sees every other holder's writes */
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->write_lock);
    srv__free(c->out);
    srv__free(c->monitors);
    srv__free(c->ties);
    srv__free(c->in);
    srv__free(c);
}

/* Room for more ties on c (under its lock); false when out of memory. */
static bool grow_ties(struct conn *c)
{
    size_t cap = c->tie_cap != 0 ? 2 * c->tie_cap : 8;
    struct tie *grown = srv__realloc(c->ties, cap * sizeof *grown);
    if (grown == NULL)
        return false;
    c->ties = grown;
    c->tie_cap = cap;
    return true;
}

/* Writes all of the iov's bytes to a non-blocking socket, in one
 * system call when there is room, waiting for room at most
 * WRITE_TIMEOUT_MS each time, and notes when.  Under c->write_lock:
 * every packet of ours goes out through here. */
static bool write_iov(struct conn *c, struct iovec *iov, int count)
{
    while (count > 0) {
        ssize_t w = writev(c->fd, iov, count);
        if (w > 0) {
            while (count > 0 && (size_t)w >= iov->iov_len) {
                w -= (ssize_t)iov->iov_len;
                iov++;
                count--;
            }
            if (count > 0) {
                iov->iov_base = (char *)iov->iov_base + w;
                iov->iov_len -= (size_t)w;
            }
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = {c->fd, POLLOUT, 0};
            if (poll(&pf, 1, WRITE_TIMEOUT_MS) > 0)
                continue;
        }
        return false;
    }
    atomic_store_explicit(&c->wrote_ns, srv__now_ns(), memory_order_relaxed);
    return true;
}

/* c is dead from now on (the node thread closes it when it next reads).
 * Under c->lock. */
static void conn_kill_locked(struct conn *c)
{
    if (!c->dead) {
        c->dead = true;
        shutdown(c->fd, SHUT_RDWR);
    }
}

/* Writes what waits in c->out, then iov (count entries, 0: none), in one
 * system call when there is room; a connection that cannot take it is
 * dead.  Under c->write_lock. */
static void write_after_out(struct conn *c, const struct iovec *iov, int count)
{
    struct iovec all[4];
    pthread_mutex_lock(&c->lock);
    bool dead = c->dead;
    char *out = c->out;
    size_t out_len = c->out_len;
    c->out = NULL;
    c->out_len = c->out_cap = 0;
    atomic_store_explicit(&c->flush_asked, false, memory_order_relaxed);
    atomic_store_explicit(&c->held_ns, 0, memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);
    int n = 0;
    if (out_len > 0)
        all[n++] = (struct iovec){out, out_len};
    for (int k = 0; k < count; k++)
        all[n++] = iov[k];
    if (!dead && n > 0 && !write_iov(c, all, n)) {
        pthread_mutex_lock(&c->lock);
        conn_kill_locked(c);
        pthread_mutex_unlock(&c->lock);
    }
    srv__free(out);
}

/* The node thread: writes what of c->out the socket takes now, without
 * waiting (it reads every connection: a peer that does not read must
 * not stop it); true when some is left, to go once the socket has room
 * (POLLOUT).  Under c->lock, so that an append cannot move out. */
static bool flush_out(struct conn *c)
{
    pthread_mutex_lock(&c->write_lock);
    pthread_mutex_lock(&c->lock);
    if (!c->dead && c->out_len > 0) {
        ssize_t w;
        do
            w = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w > 0) {
            memmove(c->out, c->out + w, c->out_len - (size_t)w);
            c->out_len -= (size_t)w;
            atomic_store_explicit(&c->wrote_ns, srv__now_ns(), memory_order_relaxed);
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_kill_locked(c);
        }
    }
    if (c->dead)
        c->out_len = 0;
    bool left = c->out_len > 0;
    atomic_store_explicit(&c->flush_asked, left, memory_order_relaxed);
    atomic_store_explicit(&c->held_ns, 0, memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->write_lock);
    return left;
}

/* Writes what waits in c->out, waiting for room as a sender does: the
 * node's stop, so that no cast made before it is lost. */
static void flush_out_all(struct conn *c)
{
    pthread_mutex_lock(&c->write_lock);
    write_after_out(c, NULL, 0);
    pthread_mutex_unlock(&c->write_lock);
}

/* How a packet goes out.  A system call costs a packet more than the
 * rest of its way, so only what must go now is written alone. */
enum send_mode {
    SEND_NOW,        /* written by its sender, after what waits in out */
    SEND_LAZY,       /* queued in out for the node thread (a cast, a send) */
    /* queued in out, to go in one system call with the next packet
     * written at once on the connection (its sender's next, or a
     * caller's next call); the node thread writes it within HOLD_NS
     * when none comes.  What sends it is about to write, or is the node
     * thread, which sees the hold when its loop next turns. */
    SEND_WITH_NEXT,
};

/* Appends the packet to c->out and, unless its sender writes next,
 * wakes the node thread to write it if it is not woken already; false
 * when out of memory. */
static bool queue_out(struct conn *c, const struct iovec *iov, int count, enum send_mode mode)
{
    size_t n = 0;
    for (int k = 0; k < count; k++)
        n += iov[k].iov_len;
    pthread_mutex_lock(&c->lock);
    bool fits = c->dead || c->out_cap - c->out_len >= n;
    if (!fits) {
        size_t cap = c->out_cap != 0 ? c->out_cap : 4096;
        while (cap - c->out_len < n)
            cap *= 2;
        char *grown = srv__realloc(c->out, cap);
        if (grown != NULL) {
            c->out = grown;
            c->out_cap = cap;
            fits = true;
        }
    }
    bool wake = false;
    if (fits && !c->dead) {
        for (int k = 0; k < count; k++) {
            memcpy(c->out + c->out_len, iov[k].iov_base, iov[k].iov_len);
            c->out_len += iov[k].iov_len;
        }
        if (mode == SEND_LAZY) {
            wake = !atomic_load_explicit(&c->flush_asked, memory_order_relaxed);
            atomic_store_explicit(&c->flush_asked, true, memory_order_relaxed);
        } else if (atomic_load_explicit(&c->held_ns, memory_order_relaxed) == 0) {
            atomic_store_explicit(&c->held_ns, srv__now_ns(), memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (wake) {
        char byte = WAKE_FLUSH;
        while (write(node.wake[1], &byte, 1) < 0 && errno == EINTR)
            ;
    }
    return fits;
}

/* Sends 'p', control and msg (msg may be NULL) as one packet, as mode
 * says.  A connection that cannot take it is dead from then on (the
 * node thread closes it when it next reads). */
static void send_packet(struct conn *c, const ei_x_buff *control, const ei_x_buff *msg,
                        enum send_mode mode)
{
    size_t n = 1 + (size_t)control->index + (msg != NULL ? (size_t)msg->index : 0);
    char head[5] = {(char)(n >> 24), (char)(n >> 16), (char)(n >> 8), (char)n, 'p'};
    struct iovec iov[3] = {{head, sizeof head},
                           {control->buff, (size_t)control->index},
                           {msg != NULL ? msg->buff : NULL, msg != NULL ? (size_t)msg->index : 0}};
    int count = msg != NULL ? 3 : 2;
    if (mode != SEND_NOW && queue_out(c, iov, count, mode))
        return;
    pthread_mutex_lock(&c->write_lock);
    write_after_out(c, iov, count);
    pthread_mutex_unlock(&c->write_lock);
}

/* msg, a whole encoded term with its version, to the Erlang pid to. */
static void send_to_pid(struct conn *c, const erlang_pid *to, const ei_x_buff *msg,
                        enum send_mode mode)
{
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    if (ei_x_encode_tuple_header(&control, 3) == 0 &&
        ei_x_encode_long(&control, DOP_SEND) == 0 &&
        ei_x_encode_atom(&control, "") == 0 && ei_x_encode_pid(&control, to) == 0)
        send_packet(c, &control, msg, mode);
    ei_x_free(&control);
}

/* MONITOR_P_EXIT: m's process is gone, with reason (an encoded term,
 * without its version byte, or NULL for the atom in atom). */
static void send_monitor_exit(struct conn *c, const struct monitor *m, const char *reason,
                              int reason_len, srv_atom atom)
{
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    erlang_pid self;
    srv__term_pid_out(m->target, &self);
    bool ok = ei_x_encode_tuple_header(&control, 5) == 0 &&
              ei_x_encode_long(&control, DOP_MONITOR_P_EXIT) == 0 &&
              (m->name != NULL ? ei_x_encode_atom(&control, m->name)
                               : ei_x_encode_pid(&control, &self)) == 0 &&
              ei_x_encode_pid(&control, &m->from) == 0 &&
              ei_x_encode_ref(&control, &m->ref) == 0 &&
              (reason != NULL ? ei_x_append_buf(&control, reason, reason_len)
                              : ei_x_encode_atom(&control, atom)) == 0;
    if (ok)
        send_packet(c, &control, NULL, SEND_NOW);
    ei_x_free(&control);
}

/* ---------------------------------------------------------------------- */
/* Monitors                                                                */

static bool monitor_is_on(const struct monitor *m, srv_atom name, srv_pid target)
{
    return name != NULL ? m->name == name : srv__pid_same(m->target, target);
}

static bool same_pid(const erlang_pid *a, const erlang_pid *b)
{
    return a->num == b->num && a->serial == b->serial && a->creation == b->creation &&
           strcmp(a->node, b->node) == 0;
}

/* Whether m is of from (any, when from is NULL) and on name (or on
 * target, by pid, when name is NULL). */
static bool monitor_matches(const struct monitor *m, const erlang_pid *from, srv_atom name,
                            srv_pid target)
{
    return (monitor_is_on(m, name, target) || srv__pid_same(m->target, target)) &&
           (from == NULL || same_pid(&m->from, from));
}

/* Fires c's monitors of from on name (or on target) with reason, and
 * forgets them.  From the watcher (by_watcher), a monitor whose caller's
 * call still runs is left to the thread running it, with the reason
 * noted. */
static void fire(struct conn *c, const erlang_pid *from, srv_atom name, srv_pid target,
                 const char *reason, int reason_len, srv_atom atom, bool by_watcher)
{
    for (;;) {
        struct monitor m;
        bool found = false;
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->monitor_count && !found; i++) {
            struct monitor *x = &c->monitors[i];
            if (!monitor_matches(x, from, name, target) || (by_watcher && x->down != NULL))
                continue;
            if (by_watcher && x->busy > 0) {
                x->down = atom;
                continue;
            }
            m = *x;
            *x = c->monitors[--c->monitor_count];
            found = true;
        }
        pthread_mutex_unlock(&c->lock);
        if (!found)
            return;
        send_monitor_exit(c, &m, reason, reason_len, atom);
    }
}

static void fire_monitors(struct conn *c, const erlang_pid *from, srv_atom name,
                          srv_pid target, const char *reason, int reason_len,
                          srv_atom atom)
{
    fire(c, from, name, target, reason, reason_len, atom, false);
}

/* A call of from to name (or target) starts (+1) or has answered (-1);
 * once none runs, a DOWN the watcher left to it goes out. */
static void monitors_busy(struct conn *c, const erlang_pid *from, srv_atom name,
                          srv_pid target, int delta)
{
    struct monitor late[8];
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->monitor_count;) {
        struct monitor *x = &c->monitors[i];
        if (monitor_matches(x, from, name, target)) {
            x->busy += delta;
            if (x->busy == 0 && x->down != NULL && n < sizeof late / sizeof late[0]) {
                late[n++] = *x;
                *x = c->monitors[--c->monitor_count];
                continue;
            }
        }
        i++;
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        send_monitor_exit(c, &late[i], NULL, 0, late[i].down);
}

/* ---------------------------------------------------------------------- */
/* The watcher: a server that Erlang monitors dies                         */

/* The watcher is a plain thread that monitors (srv_monitor) each server
 * an Erlang process monitors, once, and waits in srv_receive_signal: a
 * DOWN fires the Erlang monitors of that server on every connection; an
 * EXIT (srv_exit_signal from watch(), which a plain thread receives as a
 * message) says that there are servers to watch, or that the node
 * stops. */
#define WATCH_WAKE "srv_node_watch"

static bool in(const srv_pid *pids, size_t n, srv_pid pid)
{
    for (size_t i = 0; i < n; i++)
        if (srv__pid_same(pids[i], pid))
            return true;
    return false;
}

/* Has the watcher monitor target (once: a server it watches already, as
 * each gen_server:call's monitor names it, costs a look-up). */
static void watch(srv_pid target)
{
    pthread_mutex_lock(&node.jobs_lock);
    if (in(node.watched, node.watched_count, target) ||
        in(node.to_watch, node.to_watch_count, target)) {
        pthread_mutex_unlock(&node.jobs_lock);
        return;
    }
    if (node.to_watch_count == node.to_watch_cap) {
        size_t cap = node.to_watch_cap != 0 ? 2 * node.to_watch_cap : 16;
        srv_pid *grown = srv__realloc(node.to_watch, cap * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&node.jobs_lock);
            return; /* its DOWN then comes with a call, or never */
        }
        node.to_watch = grown;
        node.to_watch_cap = cap;
    }
    node.to_watch[node.to_watch_count++] = target;
    srv_pid watcher = node.watcher_pid;
    pthread_mutex_unlock(&node.jobs_lock);
    srv_exit_signal(watcher, srv_atom_from(WATCH_WAKE));
}

static void fire_everywhere(srv_pid target, srv_atom reason)
{
    pthread_mutex_lock(&node.conns_lock);
    for (size_t k = 0; k < node.conn_count; k++)
        fire(node.conns[k], NULL, NULL, target, NULL, 0, reason, true);
    pthread_mutex_unlock(&node.conns_lock);
}

static void *watcher_thread(void *unused)
{
    pthread_mutex_lock(&node.jobs_lock);
    node.watcher_pid = srv_self();
    node.watcher_ready = true;
    pthread_cond_broadcast(&node.idle_cond);
    pthread_mutex_unlock(&node.jobs_lock);
    for (;;) {
        srv_signal sig;
        if (srv_receive_signal(&sig, SRV_INFINITY) != SRV_OK)
            continue;
        if (sig.kind == SRV_SIGNAL_DOWN) {
            pthread_mutex_lock(&node.jobs_lock);
            for (size_t i = 0; i < node.watched_count; i++)
                if (srv__pid_same(node.watched[i], sig.pid)) {
                    node.watched[i] = node.watched[--node.watched_count];
                    break;
                }
            pthread_mutex_unlock(&node.jobs_lock);
            fire_everywhere(sig.pid, sig.reason);
            continue;
        }
        pthread_mutex_lock(&node.jobs_lock);
        bool stopping = node.stopping;
        srv_pid *batch = node.to_watch;
        size_t n = node.to_watch_count;
        node.to_watch = NULL;
        node.to_watch_count = node.to_watch_cap = 0;
        pthread_mutex_unlock(&node.jobs_lock);
        for (size_t k = 0; k < n; k++) {
            pthread_mutex_lock(&node.jobs_lock);
            bool room = !in(node.watched, node.watched_count, batch[k]);
            if (room && node.watched_count == node.watched_cap) {
                size_t more = node.watched_cap != 0 ? 2 * node.watched_cap : 16;
                srv_pid *grown = srv__realloc(node.watched, more * sizeof *grown);
                if (grown != NULL) {
                    node.watched = grown;
                    node.watched_cap = more;
                }
                room = grown != NULL;
            }
            if (room)
                node.watched[node.watched_count++] = batch[k];
            pthread_mutex_unlock(&node.jobs_lock);
            if (room) /* one that is dead already sends its DOWN, noproc */
                srv_monitor(batch[k], NULL);
        }
        srv__free(batch);
        if (stopping)
            break;
    }
    pthread_mutex_lock(&node.jobs_lock);
    srv__free(node.watched); /* its monitors end with the thread's identity */
    node.watched = NULL;
    node.watched_count = node.watched_cap = 0;
    pthread_mutex_unlock(&node.jobs_lock);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* The jobs: calls from other nodes                                        */

/* The caller's {Tag, Reply}, Reply written by write_reply. */
static void reply(struct job *j, void (*write_reply)(struct job *, srv_term_out *, void *),
                  void *arg)
{
    struct srv_term_out out;
    if (!srv__term_out_init(&out))
        return;
    if (ei_x_encode_tuple_header(&out.x, 2) != 0 ||
        ei_x_append_buf(&out.x, j->tag, j->tag_len) != 0)
        out.failed = true;
    write_reply(j, &out, arg);
    if (out.failed)
        node_log(SRV_LOG_ERROR, "node: no memory for the reply to a call of %s",
             j->module->name);
    else
        send_to_pid(j->conn, &j->from, &out.x, SEND_NOW);
    srv__term_out_free(&out);
}

static void write_call_reply(struct job *j, srv_term_out *out, void *reply_struct)
{
    j->module->codec->encode_reply(out, j->message, reply_struct);
}

static void write_ok(struct job *j, srv_term_out *out, void *unused)
{
    srv_term_put_atom(out, "ok");
}

/* The server is gone: its Erlang monitors on every connection would say
 * so; this one's say it now (noproc, or the exit reason). */
static void server_gone(struct job *j, srv_status status, srv_atom reason)
{
    srv_atom why = status == SRV_ENOPROC ? srv_atom_noproc : reason;
    fire_monitors(j->conn, NULL, j->name, j->target, NULL, 0,
                  why != NULL ? why : srv_atom_noproc);
}

static void run_job(struct job *j)
{
    srv_call_result result = {0};
    if (j->stop) {
        srv_status s = srv_stop(j->target, j->reason, SRV_INFINITY, &result);
        if (s == SRV_OK) {
            reply(j, write_ok, NULL);
            fire_monitors(j->conn, NULL, j->name, j->target, NULL, 0, j->reason);
        } else {
            server_gone(j, s, result.reason);
        }
        return;
    }
    const srv_message_type *type = &j->module->messages[j->message];
    void *reply_struct = srv__calloc(1, type->reply_size > 0 ? type->reply_size : 1);
    if (reply_struct == NULL) {
        node_log(SRV_LOG_ERROR, "node: no memory for a call of %s", j->module->name);
        return;
    }
    srv_status s = srv_call(j->target, j->module, j->message, j->args, reply_struct,
                            SRV_INFINITY, &result);
    if (s == SRV_OK) {
        reply(j, write_call_reply, reply_struct);
        if (type->free_reply != NULL)
            type->free_reply(reply_struct);
    } else if (s == SRV_ENOPROC || s == SRV_EEXIT) {
        server_gone(j, s, result.reason);
    } else {
        node_log(SRV_LOG_ERROR, "node: a call of %s from %s: %s", j->module->name,
             j->conn->peer, srv_strerror(s));
    }
    srv__free(reply_struct);
}

static void job_free(struct job *j)
{
    monitors_busy(j->conn, &j->from, j->name, j->target, -1);
    if (j->args != NULL && !j->stop &&
        j->module->messages[j->message].free_args != NULL)
        j->module->messages[j->message].free_args(j->args);
    srv__free(j->args);
    srv__free(j->tag);
    conn_put(j->conn);
    srv__free(j);
}

/* j at the end of the list from *head to *tail. */
static void job_append(struct job **head, struct job **tail, struct job *j)
{
    j->next = NULL;
    if (*tail != NULL)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

/* ---------------------------------------------------------------------- */
/* What Erlang sends a process of ours                                     */

/* A term of a message at buf[at..): its raw bytes' end. */
static int term_end(const char *buf, int at)
{
    int i = at;
    ei_skip_term(buf, &i); /* checked already: srv__term_check */
    return i;
}

/* The module of a live local process, or NULL. */
static const srv_module *module_of(srv_pid pid)
{
    struct process *p = srv__process_get(pid);
    if (p == NULL)
        return NULL;
    const srv_module *m = p->module;
    srv__process_put(p);
    return m;
}

/* A request no message of the module's takes: the caller's monitor of
 * the server fires with {function_clause, [{Module, Handler, [Req], []}]}
 * (the server itself goes on), and the node logs it. */
static void reject(struct conn *c, const erlang_pid *from, srv_atom name, srv_pid target,
                   const srv_module *module, const char *handler, const char *buf,
                   int at, int end)
{
    srv_buf text = {0};
    srv__term_print(&text, buf, at, end);
    node_log(SRV_LOG_ERROR, "node: a message from %s: %s:%s takes no %s", c->peer,
         module != NULL ? module->name : "?", handler, text.data != NULL ? text.data : "");
    srv_buf_free(&text);
    if (from == NULL)
        return;
    ei_x_buff reason;
    if (ei_x_new(&reason) != 0)
        return;
    if (ei_x_encode_tuple_header(&reason, 2) == 0 &&
        ei_x_encode_atom(&reason, "function_clause") == 0 &&
        ei_x_encode_list_header(&reason, 1) == 0 &&
        ei_x_encode_tuple_header(&reason, 4) == 0 &&
        ei_x_encode_atom(&reason, module != NULL ? module->name : "undefined") == 0 &&
        ei_x_encode_atom(&reason, handler) == 0 &&
        ei_x_encode_list_header(&reason, 1) == 0 &&
        ei_x_append_buf(&reason, buf + at, end - at) == 0 &&
        ei_x_encode_empty_list(&reason) == 0 && ei_x_encode_empty_list(&reason) == 0 &&
        ei_x_encode_empty_list(&reason) == 0)
        fire_monitors(c, from, name, target, reason.buff, reason.index, NULL);
    ei_x_free(&reason);
}

/* Decodes the term at buf[at..end) as a message of kind of module into
 * fresh args: its number, or -1. */
static int decode(const srv_module *module, srv_message_kind kind, const char *buf,
                  int at, int end, void **args)
{
    *args = NULL;
    if (module == NULL || module->codec == NULL)
        return -1;
    const srv_codec *codec = module->codec;
    void *a = srv__calloc(1, codec->args_max > 0 ? codec->args_max : 1);
    if (a == NULL)
        return -1;
    srv_term_in in = {buf, at, end};
    int message = codec->decode(&in, kind, a);
    if (message < 0) {
        srv__free(a);
        return -1;
    }
    *args = a;
    return message;
}

static void free_args(const srv_module *module, int message, void *args)
{
    if (module->messages[message].free_args != NULL)
        module->messages[message].free_args(args);
    srv__free(args);
}

/* {'$gen_call', {From, Tag}, Request} or {system, {From, Tag}, {terminate,
 * Reason}}: a job (end_round). */
static void on_call(struct conn *c, srv_atom name, srv_pid target, const char *buf,
                    int i, int end, bool system)
{
    erlang_pid from;
    int arity;
    if (ei_decode_tuple_header(buf, &i, &arity) != 0 || arity != 2 ||
        ei_decode_pid(buf, &i, &from) != 0)
        return;
    int tag_at = i, tag_end = term_end(buf, i), req = tag_end;
    const srv_module *module = module_of(target);
    struct job *j = srv__calloc(1, sizeof *j);
    if (j == NULL)
        return;
    j->conn = c;
    j->target = target;
    j->name = name;
    j->module = module;
    j->from = from;
    if (system) {
        char reason[MAXATOMLEN_UTF8];
        int k = req;
        if (ei_decode_tuple_header(buf, &k, &arity) != 0 || arity != 2 ||
            !srv_term_get_tag(&(srv_term_in){buf, k, end}, "terminate") ||
            (k = term_end(buf, k),
             ei_decode_atom_as(buf, &k, reason, sizeof reason, ERLANG_UTF8, NULL, NULL)) != 0 ||
            (j->reason = srv_atom_from(reason)) == NULL) {
            reject(c, &from, name, target, module, "system", buf, req, end);
            srv__free(j);
            return;
        }
        j->stop = true;
    } else {
        if (module == NULL) { /* gone, or a plain thread */
            srv__free(j);
            fire_monitors(c, &from, name, target, NULL, 0, srv_atom_noproc);
            return;
        }
        int message = decode(module, SRV_MESSAGE_CALL, buf, req, end, &j->args);
        if (message < 0) {
            reject(c, &from, name, target, module, "handle_call", buf, req, end);
            srv__free(j);
            return;
        }
        j->message = (unsigned)message;
    }
    j->tag_len = tag_end - tag_at;
    if ((j->tag = srv__malloc((size_t)j->tag_len)) == NULL) {
        if (j->args != NULL)
            free_args(module, (int)j->message, j->args);
        srv__free(j);
        return;
    }
    memcpy(j->tag, buf + tag_at, (size_t)j->tag_len);
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    monitors_busy(c, &from, name, target, +1);
    job_append(&node.round_head, &node.round_tail, j); /* for end_round */
}

/* net_kernel's {'$gen_call', {From, Tag}, {is_auth, Node}}, which
 * net_adm:ping sends: {Tag, yes} (the handshake already checked the
 * cookie). */
static void answer_ping(struct conn *c, const char *buf, int at)
{
    int i = at, arity;
    char tag[MAXATOMLEN_UTF8];
    erlang_pid from;
    if (ei_decode_tuple_header(buf, &i, &arity) != 0 || arity != 3 ||
        ei_decode_atom_as(buf, &i, tag, sizeof tag, ERLANG_UTF8, NULL, NULL) != 0 ||
        strcmp(tag, "$gen_call") != 0 || ei_decode_tuple_header(buf, &i, &arity) != 0 ||
        arity != 2 || ei_decode_pid(buf, &i, &from) != 0)
        return;
    int tag_at = i, tag_end = term_end(buf, i);
    ei_x_buff out;
    if (ei_x_new_with_version(&out) != 0)
        return;
    if (ei_x_encode_tuple_header(&out, 2) == 0 &&
        ei_x_append_buf(&out, buf + tag_at, tag_end - tag_at) == 0 &&
        ei_x_encode_atom(&out, "yes") == 0)
        send_to_pid(c, &from, &out, SEND_NOW);
    ei_x_free(&out);
}

/* A message for name (or target, by pid) at buf[at..end). */
static void on_message(struct conn *c, srv_atom name, srv_pid target, const char *buf,
                       int at, int end)
{
    if (name != NULL && strcmp(name, "net_kernel") == 0 &&
        srv_whereis(name, &target) != SRV_OK) {
        answer_ping(c, buf, at);
        return;
    }
    if (name != NULL && srv_whereis(name, &target) != SRV_OK) {
        node_log(SRV_LOG_WARNING, "node: a message from %s to %s, which nobody holds",
             c->peer, name);
        return; /* as Erlang drops a message to a name on another node */
    }
    int i = at, arity = 0;
    char tag[MAXATOMLEN_UTF8] = "";
    if (ei_decode_tuple_header(buf, &i, &arity) == 0 && arity >= 2)
        ei_decode_atom_as(buf, &i, tag, sizeof tag, ERLANG_UTF8, NULL, NULL);
    if (arity == 3 && strcmp(tag, "$gen_call") == 0) {
        on_call(c, name, target, buf, i, end, false);
        return;
    }
    if (arity == 3 && strcmp(tag, "system") == 0) {
        on_call(c, name, target, buf, i, end, true);
        return;
    }
    const srv_module *module = module_of(target);
    bool cast = arity == 2 && strcmp(tag, "$gen_cast") == 0;
    int req = cast ? i : at;
    void *args;
    int message = decode(module, cast ? SRV_MESSAGE_CAST : SRV_MESSAGE_INFO, buf, req,
                         end, &args);
    if (message < 0) {
        reject(c, NULL, name, target, module, cast ? "handle_cast" : "handle_info", buf,
               req, end);
        return;
    }
    srv_status s = cast ? srv_cast(target, module, (unsigned)message, args)
                        : srv_send(target, module, (unsigned)message, args);
    if (s != SRV_OK && s != SRV_ENOPROC)
        node_log(SRV_LOG_ERROR, "node: a message of %s from %s: %s", module->name, c->peer,
             srv_strerror(s));
    free_args(module, message, args);
}

/* MONITOR_P {19, From, ToProc, Ref}: an Erlang process monitors a
 * process of ours, by name or by pid. */
static void on_monitor(struct conn *c, const char *buf, int i)
{
    struct monitor m = {0};
    char name[MAXATOMLEN_UTF8];
    int k = i;
    if (ei_decode_pid(buf, &i, &m.from) != 0)
        return;
    k = i;
    if (ei_decode_atom_as(buf, &k, name, sizeof name, ERLANG_UTF8, NULL, NULL) == 0) {
        m.name = srv_atom_from(name);
    } else {
        erlang_pid e;
        if (ei_decode_pid(buf, &k, &e) != 0 || !srv__term_pid_in(&e, &m.target))
            return;
    }
    if (ei_decode_ref(buf, &k, &m.ref) != 0)
        return;
    bool alive = m.name != NULL ? srv_whereis(m.name, &m.target) == SRV_OK ||
                                      strcmp(m.name, "net_kernel") == 0 /* answer_ping */
                                : m.target.node == 0 && srv_is_alive(m.target);
    if (!alive) {
        send_monitor_exit(c, &m, NULL, 0, srv_atom_noproc);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (c->monitor_count == c->monitor_cap) {
        size_t cap = c->monitor_cap != 0 ? 2 * c->monitor_cap : 8;
        struct monitor *grown = srv__realloc(c->monitors, cap * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&c->lock);
            node_log(SRV_LOG_ERROR, "node: no memory for a monitor from %s", c->peer);
            return;
        }
        c->monitors = grown;
        c->monitor_cap = cap;
    }
    c->monitors[c->monitor_count++] = m;
    pthread_mutex_unlock(&c->lock);
    if (m.target.node == 0 && !srv_pid_is_none(m.target))
        watch(m.target);
}

/* DEMONITOR_P {20, From, ToProc, Ref}. */
static void on_demonitor(struct conn *c, const char *buf, int i)
{
    erlang_pid from;
    erlang_ref ref;
    if (ei_decode_pid(buf, &i, &from) != 0)
        return;
    i = term_end(buf, i);
    if (ei_decode_ref(buf, &i, &ref) != 0)
        return;
    pthread_mutex_lock(&c->lock);
    for (size_t k = 0; k < c->monitor_count; k++)
        if (memcmp(c->monitors[k].ref.n, ref.n, sizeof ref.n) == 0 &&
            c->monitors[k].ref.len == ref.len) {
            c->monitors[k] = c->monitors[--c->monitor_count];
            break;
        }
    pthread_mutex_unlock(&c->lock);
}

/* EXIT2 {8, From, To, Reason}: exit(Pid, Reason) from Erlang; an atom
 * reason only. */
static void on_exit2(struct conn *c, const char *buf, int i)
{
    erlang_pid from, to;
    char reason[MAXATOMLEN_UTF8];
    srv_pid target, sender;
    if (ei_decode_pid(buf, &i, &from) != 0 || ei_decode_pid(buf, &i, &to) != 0 ||
        !srv__term_pid_in(&to, &target) || target.node != 0 ||
        !srv__term_pid_in(&from, &sender))
        return;
    if (ei_decode_atom_as(buf, &i, reason, sizeof reason, ERLANG_UTF8, NULL, NULL) != 0) {
        node_log(SRV_LOG_WARNING, "node: an exit signal from %s with a reason that is no atom",
             c->peer);
        return;
    }
    srv_atom a = srv_atom_from(reason);
    if (a != NULL)
        srv__remote_exit_signal(target, sender, a);
}

static bool take_reply(const char *buf, int at, int end);
static void on_monitor_exit(struct conn *c, const char *buf, int i);
static void on_link(struct conn *c, long op, const char *buf, int i);
static void on_unlink_id(struct conn *c, const char *buf, int i);

/* A packet of length 0 on c: false when c is dead or its lock is held
 * (then a writer is saying something already). */
static bool write_tick(struct conn *c)
{
    static const char zero[4];
    struct iovec iov = {(void *)zero, sizeof zero};
    if (pthread_mutex_trylock(&c->write_lock) != 0)
        return false;
    write_after_out(c, &iov, 1);
    pthread_mutex_lock(&c->lock);
    bool written = !c->dead;
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->write_lock);
    return written;
}

/* One packet of p[0..len): false when it is garbage (the connection
 * then goes). */
static bool on_packet(struct conn *c, const char *p, int len)
{
    if (len == 0) { /* a tick, or the answer to one of ours (tick_if_quiet) */
        if (c->ticks_out > 0)
            c->ticks_out--;
        else
            write_tick(c);
        return true;
    }
    int i = 2, control = 2, msg = -1;
    if (len < 2 || p[0] != 'p' || (unsigned char)p[1] != VERSION_MAGIC ||
        !srv__term_check(p, len, &i))
        return false;
    if (i < len) {
        if ((unsigned char)p[i] != VERSION_MAGIC)
            return false;
        msg = i + 1;
        int k = msg;
        if (!srv__term_check(p, len, &k) || k != len)
            return false;
    }
    int arity;
    long op;
    i = control;
    if (ei_decode_tuple_header(p, &i, &arity) != 0 || ei_decode_long(p, &i, &op) != 0)
        return false;
    switch (op) {
    case DOP_REG_SEND: case DOP_REG_SEND_TT: { /* {6, From, _, ToName} */
        char to[MAXATOMLEN_UTF8];
        i = term_end(p, term_end(p, i));
        if (msg < 0 ||
            ei_decode_atom_as(p, &i, to, sizeof to, ERLANG_UTF8, NULL, NULL) != 0)
            return false;
        srv_atom name = srv_atom_from(to);
        if (name != NULL)
            on_message(c, name, SRV_PID_NONE, p, msg, len);
        return true;
    }
    case DOP_SEND: case DOP_SEND_TT: case DOP_SEND_SENDER: case DOP_SEND_SENDER_TT: {
        erlang_pid to;
        srv_pid target;
        i = term_end(p, i); /* the unused cookie, or the sender */
        if (msg < 0 || ei_decode_pid(p, &i, &to) != 0)
            return false;
        if (srv__term_pid_in(&to, &target) && target.node == 0 && !take_reply(p, msg, len))
            on_message(c, NULL, target, p, msg, len);
        return true;
    }
    case DOP_MONITOR_P_EXIT:
        on_monitor_exit(c, p, i);
        return true;
    case DOP_LINK: case DOP_UNLINK: case DOP_EXIT: case DOP_EXIT_TT:
        on_link(c, op, p, i);
        return true;
    case DOP_UNLINK_ID:
        on_unlink_id(c, p, i);
        return true;
    case DOP_MONITOR_P:
        on_monitor(c, p, i);
        return true;
    case DOP_DEMONITOR_P:
        on_demonitor(c, p, i);
        return true;
    case DOP_EXIT2: case DOP_EXIT2_TT:
        if (op == DOP_EXIT2_TT)
            i = term_end(p, term_end(p, term_end(p, i))); /* From, To, Token */
        on_exit2(c, p, i);
        return true;
    default: /* group leaders, aliases: not kept */
        return true;
    }
}

/* ---------------------------------------------------------------------- */
/* The node thread                                                         */

static void fail_pending(struct conn *c);
static void ties_broken(struct tie *ties, size_t count);

static void conn_close(struct conn *c, const char *why)
{
    if (why != NULL)
        node_log(SRV_LOG_INFO, "node: connection to %s closed: %s", c->peer, why);
    pthread_mutex_lock(&c->lock);
    c->dead = true;
    c->monitor_count = 0;
    struct tie *ties = c->ties;
    size_t tie_count = c->tie_count;
    c->ties = NULL;
    c->tie_count = c->tie_cap = 0;
    pthread_mutex_unlock(&c->lock);
    close(c->fd);
    pthread_mutex_lock(&node.conns_lock);
    for (size_t k = 0; k < node.conn_count; k++)
        if (node.conns[k] == c) {
            node.conns[k] = node.conns[--node.conn_count];
            break;
        }
    pthread_mutex_unlock(&node.conns_lock);
    fail_pending(c);
    ties_broken(ties, tie_count);
    conn_put(c);
}

/* Reads what c has and handles its packets; false when it closed or
 * sent garbage.  A read that leaves room in the buffer took all there
 * was: poll says when more comes.  A peer that sends and closes at once
 * has its last packets handled before its end, as they were sent before
 * it went. */
static bool conn_read(struct conn *c, const char **why)
{
    const char *ended = NULL;
    while (ended == NULL) {
        if (c->in_cap - c->in_len < 4096) {
            size_t cap = c->in_cap != 0 ? 2 * c->in_cap : 16384;
            char *grown = srv__realloc(c->in, cap);
            if (grown == NULL) {
                ended = "out of memory";
                break;
            }
            c->in = grown;
            c->in_cap = cap;
        }
        size_t room = c->in_cap - c->in_len;
        ssize_t r = read(c->fd, c->in + c->in_len, room);
        if (r == 0) {
            ended = "closed by the peer";
        } else if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno != EINTR)
                ended = strerror(errno);
        } else {
            c->in_len += (size_t)r;
            c->heard_ns = srv__now_ns();
            if ((size_t)r < room)
                break;
        }
    }
    size_t at = 0;
    while (c->in_len - at >= 4) {
        const unsigned char *h = (const unsigned char *)c->in + at;
        size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (n > MAX_PACKET) {
            *why = "a packet too big";
            return false;
        }
        if (c->in_len - at - 4 < n)
            break;
        if (!on_packet(c, c->in + at + 4, (int)n)) {
            *why = "garbage";
            return false;
        }
        at += 4 + n;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    *why = ended;
    return ended == NULL;
}

/* A connection on fd, whose handshake is done, to peer: in the node's
 * list (the node thread polls it from its next round), held once for
 * that list.  NULL when there is no room or memory. */
/* fd closes in a program this one starts (exec): a child must not hold
 * the node's name in epmd, its port or its connections. */
static void keep_from_children(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static struct conn *conn_add(int fd, const char *peer)
{
    struct conn *c = srv__calloc(1, sizeof *c);
    pthread_mutex_lock(&node.conns_lock);
    if (c == NULL || node.conn_count == MAX_CONNS) {
        pthread_mutex_unlock(&node.conns_lock);
        node_log(SRV_LOG_ERROR, "node: a connection with %s refused: %s", peer,
                 c == NULL ? "out of memory" : "too many");
        srv__free(c);
        return NULL;
    }
    c->fd = fd;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->write_lock, NULL);
    c->heard_ns = srv__now_ns();
    atomic_init(&c->wrote_ns, c->heard_ns); /* the handshake's last packet */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    keep_from_children(fd);
    int on = 1; /* as Erlang's distribution: a reply goes out at once */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    node.conns[node.conn_count++] = c;
    pthread_mutex_unlock(&node.conns_lock);
    node_log(SRV_LOG_INFO, "node: %s connected", c->peer);
    return c;
}

static void accept_one(void)
{
    ErlConnect info;
    int fd = ei_accept_tmo(&node.ec, node.listen_fd, &info, HANDSHAKE_TIMEOUT_MS);
    if (fd < 0) {
        node_log(SRV_LOG_WARNING,
             "node: a connection refused in its handshake (a bad cookie, or garbage)");
        return;
    }
    if (conn_add(fd, info.nodename) == NULL)
        close(fd);
}

/* Ticks c when we have written nothing on it for tick_ns, as net_kernel
 * does: a peer that hears nothing drops the connection (another srv node
 * after four ticks), though only one side may have anything to say, or
 * neither.  A tick that comes is answered (on_packet), as ei does: Erlang
 * ticks a hidden node, such as this one, whenever it has heard nothing
 * for a tick of its own, however short, and counts on the answer.
 * Another srv node answers ours too; a tick that comes while some of
 * ours are unanswered is taken as the answer to one, and not answered:
 * else two srv nodes would answer each other's answers for ever.  Returns
 * the time until c's next tick is due. */
static uint64_t tick_if_quiet(struct conn *c, uint64_t tick_ns)
{
    uint64_t wrote = atomic_load_explicit(&c->wrote_ns, memory_order_relaxed);
    uint64_t quiet = srv__now_ns() - wrote;
    if (quiet < tick_ns)
        return tick_ns - quiet;
    if (write_tick(c))
        c->ticks_out++;
    return tick_ns;
}

/* How long c's held packet (SEND_WITH_NEXT) may still wait for another
 * to go with: 0 when it goes now, UINT64_MAX when none is held. */
static uint64_t hold_left(struct conn *c, uint64_t now)
{
    uint64_t held = atomic_load_explicit(&c->held_ns, memory_order_relaxed);
    if (held == 0)
        return UINT64_MAX;
    if (now < held) /* held since this thread read the clock */
        return HOLD_NS;
    return now - held >= HOLD_NS ? 0 : HOLD_NS - (now - held);
}

/* One round of the node thread: the writes that wait, a poll of every
 * connection, the wake pipe and the listening socket, and what came
 * handled (the calls put in the round's list); *accept says whether a
 * connection waits to be accepted.  False when the node stops. */
static bool read_round(bool *accept)
{
    static struct pollfd fds[MAX_CONNS + 2];  /* the node thread's */
    static struct conn *polled[MAX_CONNS];
    uint64_t tick_ns = (uint64_t)node.tick_ms * 1000000;
    fds[0] = (struct pollfd){node.wake[0], POLLIN, 0};
    fds[1] = (struct pollfd){node.listen_fd, POLLIN, 0};
    /* only this thread removes connections: these stay valid */
    pthread_mutex_lock(&node.conns_lock);
    size_t n = node.conn_count;
    memcpy(polled, node.conns, n * sizeof *polled);
    pthread_mutex_unlock(&node.conns_lock);
    /* casts that wait (WAKE_FLUSH), and what was held too long for
     * another packet, all at once; what a full socket leaves waits for
     * its room */
    uint64_t now = srv__now_ns();
    for (size_t k = 0; k < n; k++) {
        bool waits = (atomic_load_explicit(&polled[k]->flush_asked, memory_order_relaxed) ||
                      hold_left(polled[k], now) == 0) &&
                     flush_out(polled[k]);
        fds[k + 2] = (struct pollfd){polled[k]->fd, (short)(POLLIN | (waits ? POLLOUT : 0)), 0};
    }
    int r = poll(fds, n + 2, node.timeout_ms);
    if (r < 0 && errno != EINTR)
        return false;
    if (fds[0].revents != 0) {
        char bytes[64];
        ssize_t got = read(node.wake[0], bytes, sizeof bytes);
        if (got > 0 && memchr(bytes, WAKE_STOP, (size_t)got) != NULL)
            return false;
    }
    uint64_t next = tick_ns;
    for (size_t k = 0; k < n; k++) {
        struct conn *c = polled[k];
        const char *why = NULL;
        if ((fds[k + 2].revents & ~POLLOUT) != 0 && !conn_read(c, &why)) {
            conn_close(c, why);
        } else if (srv__now_ns() - c->heard_ns > 4 * tick_ns) {
            conn_close(c, "no tick from it");
        } else if (c->dead) {
            conn_close(c, "a write failed");
        } else {
            uint64_t due = tick_if_quiet(c, tick_ns);
            uint64_t hold = hold_left(c, srv__now_ns());
            due = hold < due ? hold : due;
            next = due < next ? due : next;
        }
    }
    node.timeout_ms = (int)((next + 999999) / 1000000);
    *accept = fds[1].revents != 0;
    return true;
}

/* ---------------------------------------------------------------------- */
/* The node's threads                                                      */

/*
 * One pool of threads does the node's work.  One of them at a time is
 * the node thread: it runs read_round after read_round.  The others
 * run jobs, each a call from another node (run_job: the srv_call, the
 * reply written).  When a round brings calls and a thread of the pool
 * is idle, the node thread hands its role to that thread and runs the
 * round's first call itself: the call does not wait for a thread to
 * wake (a wake-up on another core, most of what a remote call costs in
 * this program), and the reading goes on meanwhile, however long the
 * handler runs.  With no idle thread it queues the calls, starts
 * threads for them (MAX_THREADS in all, then they wait for one)
 * and reads on.  The role passes under jobs_lock: the node thread's
 * state (its connections' buffers, the round's fields) passes with it.
 */

static void *node_threads(void *unused);

/* Starts a thread of the pool (under jobs_lock); false when none more
 * can be. */
static bool start_thread(void)
{
    if (node.threads >= MAX_THREADS)
        return false;
    bool started = srv__thread_start_detached(node_threads, NULL);
    if (started) {
        node.threads++;
        node.starting++;
    }
    return started;
}

/* The round's calls: the first the node thread's to run, returned, once
 * its role is handed to an idle thread (one that waits already: the
 * reading must not wait for a thread to start); the others queued, with
 * threads started for what the idle and starting ones cannot take.
 * NULL: the node thread reads on (all queued, or none came). */
static struct job *end_round(void)
{
    struct job *first = node.round_head;
    if (first == NULL)
        return NULL;
    node.round_head = node.round_tail = NULL;
    pthread_mutex_lock(&node.jobs_lock);
    struct job *mine = NULL;
    if (node.idle > node.queued) {
        mine = first;
        first = first->next;
        node.role_free = true;
    }
    unsigned wake = node.role_free ? 1 : 0;
    while (first != NULL) {
        struct job *j = first;
        first = j->next;
        job_append(&node.head, &node.tail, j);
        node.queued++;
        wake++;
    }
    for (unsigned free = node.idle + node.starting;
         free < node.queued + (node.role_free ? 1 : 0) && start_thread(); free++)
        ;
    pthread_mutex_unlock(&node.jobs_lock);
    /* after the unlock: a thread woken under it would wait for it */
    if (wake > 1)
        pthread_cond_broadcast(&node.jobs_cond);
    else if (wake == 1)
        pthread_cond_signal(&node.jobs_cond);
    return mine;
}

/* The node thread's role, taken: rounds until one hands it on (its call
 * run then) or the node stops. */
static void read_until_handed_on(void)
{
    for (;;) {
        bool accept;
        if (!read_round(&accept)) {
            pthread_mutex_lock(&node.jobs_lock);
            node.reading = false;
            pthread_cond_broadcast(&node.idle_cond);
            pthread_mutex_unlock(&node.jobs_lock);
            return;
        }
        /* the calls first: a handshake may take a while */
        struct job *mine = end_round();
        if (mine != NULL) { /* the next node thread's poll sees the connection */
            run_job(mine);
            job_free(mine);
            return;
        }
        if (accept)
            accept_one();
    }
}

static void *node_threads(void *unused)
{
    pthread_mutex_lock(&node.jobs_lock);
    node.starting--;
    for (;;) {
        while (!node.role_free && node.head == NULL && !node.stopping) {
            node.idle++;
            pthread_cond_wait(&node.jobs_cond, &node.jobs_lock);
            node.idle--;
        }
        if (node.role_free) { /* the reading first: it must go on */
            node.role_free = false;
            pthread_mutex_unlock(&node.jobs_lock);
            read_until_handed_on();
            pthread_mutex_lock(&node.jobs_lock);
            continue;
        }
        struct job *j = node.head;
        if (j == NULL)
            break; /* stopping, and nothing left */
        node.head = j->next;
        if (node.head == NULL)
            node.tail = NULL;
        node.queued--;
        pthread_mutex_unlock(&node.jobs_lock);
        run_job(j);
        job_free(j);
        pthread_mutex_lock(&node.jobs_lock);
    }
    node.threads--;
    pthread_cond_broadcast(&node.idle_cond);
    pthread_mutex_unlock(&node.jobs_lock);
    return NULL;
}

/* Closes every connection (the reading has ended). */
static void close_all(void)
{
    for (;;) {
        pthread_mutex_lock(&node.conns_lock);
        struct conn *c = node.conn_count > 0 ? node.conns[node.conn_count - 1] : NULL;
        pthread_mutex_unlock(&node.conns_lock);
        if (c == NULL)
            break;
        flush_out_all(c);
        conn_close(c, NULL);
    }
}

/* ---------------------------------------------------------------------- */
/* Calls and casts to other nodes                                          */

/* A call of this node's to another: its tag (a ref, also its monitor's),
 * the connection it went on (while c is in the list, it is open: its
 * close answers and takes off its calls), and the caller's reply slot.
 * The caller waits on its slot as for a local call: a handler's fiber
 * parks and leaves its scheduler thread to others, and an exit signal
 * ends the wait.  Whoever takes a call off the list frees it: the node
 * thread when it answers, the caller when it gave up first.  A caller
 * ended in its wait leaves its call listed until the answer, the DOWN or
 * the connection's close takes it off. */
struct pending {
    struct pending *next;
    erlang_ref ref;
    struct conn *conn;
    srv_from from;
    /* whom it monitors (by ref): the server's name on conn's node, or
     * its pid (name NULL); the node thread demonitors it once the reply
     * came */
    srv_atom name;
    srv_pid server;
    /* A request's (srv_send_request): nobody waits now, its from names a
     * place in the requester's table of requests (request.c), which gets
     * the reply decoded here, by module's codec.  module NULL: a call's. */
    const srv_module *module;
    unsigned message;
};

/* What the caller's slot gets with SRV_OK: the reply term (no version
 * byte), the caller's to free. */
struct remote_reply {
    char *term;
    int len;
};

static struct {
    pthread_mutex_t lock;       /* the list, ei_make_ref */
    struct pending *list;
    pthread_mutex_t connect_lock; /* one connect at a time */
} calls = {.lock = PTHREAD_MUTEX_INITIALIZER, .connect_lock = PTHREAD_MUTEX_INITIALIZER};

static bool same_ref(const erlang_ref *a, const erlang_ref *b)
{
    return a->len == b->len && memcmp(a->n, b->n, (size_t)a->len * sizeof a->n[0]) == 0 &&
           strcmp(a->node, b->node) == 0;
}

/* Takes the call of ref (or the first on c, when ref is NULL) off the
 * list: the caller's now, or NULL. */
static struct pending *pending_take(const erlang_ref *ref, const struct conn *c)
{
    pthread_mutex_lock(&calls.lock);
    struct pending *found = NULL;
    for (struct pending **at = &calls.list; *at != NULL; at = &(*at)->next)
        if (ref != NULL ? same_ref(&(*at)->ref, ref) : (*at)->conn == c) {
            found = *at;
            *at = found->next;
            break;
        }
    pthread_mutex_unlock(&calls.lock);
    return found;
}

static void answer_request(struct pending *p, srv_status status, srv_atom reason,
                           struct remote_reply reply);

/* Answers p's caller and frees p; a reply the caller did not take (it
 * gave up, or ended) is freed too. */
static void answer(struct pending *p, srv_status status, srv_atom reason,
                   struct remote_reply reply)
{
    if (p->module != NULL)
        answer_request(p, status, reason, reply);
    else if (!srv__slot_complete(p->from, status, reason, status == SRV_OK ? &reply : NULL,
                                 sizeof reply))
        srv__free(reply.term);
    srv__free(p);
}

static void reply_demonitor(const struct pending *p);

/* A message to a local pid that is {Ref, Reply} for a call of ours:
 * taken (true), its reply copied for the caller. */
static bool take_reply(const char *buf, int at, int end)
{
    int i = at, arity;
    erlang_ref ref;
    if (ei_decode_tuple_header(buf, &i, &arity) != 0 || arity != 2 ||
        ei_decode_ref(buf, &i, &ref) != 0)
        return false;
    struct pending *p = pending_take(&ref, NULL);
    if (p == NULL)
        return false;
    reply_demonitor(p); /* as gen_server's, once the reply came */
    struct remote_reply reply = {srv__malloc((size_t)(end - i)), end - i};
    if (reply.term != NULL)
        memcpy(reply.term, buf + i, (size_t)(end - i));
    answer(p, reply.term != NULL ? SRV_OK : SRV_ENOMEM, NULL, reply);
    return true;
}

/* The reason of an exit at buf[*i..): an atom, or the atom at the head
 * of a tuple ({badarith, Stack}: badarith); "unknown" for another. */
static srv_atom reason_at(const char *buf, int *i)
{
    char reason[MAXATOMLEN_UTF8] = "";
    int k = *i, arity;
    if (ei_decode_tuple_header(buf, &k, &arity) == 0 && arity > 0)
        *i = k;
    if (ei_decode_atom_as(buf, i, reason, sizeof reason, ERLANG_UTF8, NULL, NULL) != 0)
        snprintf(reason, sizeof reason, "unknown");
    return srv_atom_from(reason);
}

static bool tie_take(struct conn *c, const struct tie *like, bool by_eref, struct tie *out);

/* MONITOR_P_EXIT {21, FromProc, ToPid, Ref, Reason}: the process a call
 * or a monitor of ours watches is gone: noproc, or its reason. */
static void on_monitor_exit(struct conn *c, const char *buf, int i)
{
    erlang_ref ref;
    erlang_pid from;
    srv_pid remote;
    int k = i;
    if (ei_decode_pid(buf, &k, &from) != 0 || !srv__term_pid_in(&from, &remote))
        remote = SRV_PID_NONE; /* a call's, by name */
    i = term_end(buf, term_end(buf, i)); /* FromProc, ToPid */
    if (ei_decode_ref(buf, &i, &ref) != 0)
        return;
    srv_atom why = reason_at(buf, &i);
    struct pending *p = pending_take(&ref, NULL);
    if (p != NULL) {
        answer(p, why == srv_atom_noproc ? SRV_ENOPROC : SRV_EEXIT, why,
               (struct remote_reply){NULL, 0});
        return;
    }
    struct tie like = {.eref = ref}, mine;
    if (tie_take(c, &like, true, &mine))
        srv__remote_down(mine.local, mine.ref, mine.remote, why);
}

/* c went away: its calls answer noconnection, as gen_server's caller of
 * a node that goes exits. */
static void fail_pending(struct conn *c)
{
    for (struct pending *p; (p = pending_take(NULL, c)) != NULL;)
        answer(p, SRV_ENOPROC, srv_atom_from("noconnection"), (struct remote_reply){NULL, 0});
}

/* The open connection to peer, held, or NULL. */
static struct conn *conn_find(const char *peer)
{
    struct conn *found = NULL;
    pthread_mutex_lock(&node.conns_lock);
    for (size_t k = 0; k < node.conn_count && found == NULL; k++)
        if (strcmp(node.conns[k]->peer, peer) == 0 && !node.conns[k]->dead)
            found = node.conns[k];
    if (found != NULL)
        atomic_fetch_add_explicit(&found->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&node.conns_lock);
    return found;
}

/* The connection to peer, held; opened (and handed to the node thread)
 * when there is none.  NULL when peer cannot be reached. */
static struct conn *conn_to(const char *peer)
{
    pthread_mutex_lock(&calls.connect_lock);
    struct conn *found = conn_find(peer);
    if (found == NULL) {
        int fd = ei_connect_tmo(&node.ec, (char *)peer, HANDSHAKE_TIMEOUT_MS);
        if (fd < 0) {
            node_log(SRV_LOG_WARNING, "node: cannot connect to %s", peer);
        } else if ((found = conn_add(fd, peer)) == NULL) {
            close(fd);
        } else {
            atomic_fetch_add_explicit(&found->refs, 1, memory_order_relaxed);
            char byte = WAKE_CONNECTED;
            while (write(node.wake[1], &byte, 1) < 0 && errno == EINTR)
                ;
        }
    }
    pthread_mutex_unlock(&calls.connect_lock);
    return found;
}

/* Whom a call, cast or monitor of ours is to: the server name holds on
 * peer, or the process pid (name NULL), whose node is peer. */
struct target {
    const char *peer;
    const char *name;
    erlang_pid pid;
    srv_pid id;                 /* the pid's, when name is NULL */
};

/* t as pid (t's peer points into t itself: t is not to be copied). */
static void target_pid(struct target *t, srv_pid pid)
{
    t->name = NULL;
    t->id = pid;
    srv__term_pid_out(pid, &t->pid);
    t->peer = t->pid.node;
}

static int encode_target(ei_x_buff *x, const struct target *t)
{
    return t->name != NULL ? ei_x_encode_atom(x, t->name) : ei_x_encode_pid(x, &t->pid);
}

/* Sends {op, Self, To, Ref} (MONITOR_P, DEMONITOR_P): To by name or pid;
 * sent as mode says. */
static void send_monitor_op(struct conn *c, long op, const erlang_pid *self,
                            const struct target *t, const erlang_ref *ref,
                            enum send_mode mode)
{
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    if (ei_x_encode_tuple_header(&control, 4) == 0 && ei_x_encode_long(&control, op) == 0 &&
        ei_x_encode_pid(&control, self) == 0 && encode_target(&control, t) == 0 &&
        ei_x_encode_ref(&control, ref) == 0)
        send_packet(c, &control, NULL, mode);
    ei_x_free(&control);
}

/* msg to t on c, from self: REG_SEND to a name, SEND to a pid. */
static void send_to_target(struct conn *c, const erlang_pid *self, const struct target *t,
                           const ei_x_buff *msg, enum send_mode mode)
{
    if (t->name == NULL) {
        send_to_pid(c, &t->pid, msg, mode);
        return;
    }
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    if (ei_x_encode_tuple_header(&control, 4) == 0 &&
        ei_x_encode_long(&control, DOP_REG_SEND) == 0 &&
        ei_x_encode_pid(&control, self) == 0 && ei_x_encode_atom(&control, "") == 0 &&
        ei_x_encode_atom(&control, t->name) == 0)
        send_packet(c, &control, msg, mode);
    ei_x_free(&control);
}

/* The term of module's message: a call's request in {'$gen_call', {Self,
 * Ref}, Req} (ref non-NULL), a cast's in {'$gen_cast', Req}, an info
 * message as it is; false when it has no term. */
static bool request_term(struct srv_term_out *out, const srv_module *module,
                         unsigned message, const void *args, const erlang_pid *self,
                         const erlang_ref *ref)
{
    if (!srv__term_out_init(out))
        return false;
    if (ref != NULL) {
        srv_term_put_tuple(out, 3);
        srv_term_put_atom(out, "$gen_call");
        srv_term_put_tuple(out, 2);
        if (ei_x_encode_pid(&out->x, self) != 0 || ei_x_encode_ref(&out->x, ref) != 0)
            out->failed = true;
    } else if (module->messages[message].kind == SRV_MESSAGE_CAST) {
        srv_term_put_tuple(out, 2);
        srv_term_put_atom(out, "$gen_cast");
    }
    bool mapped = module->codec->encode_request(out, message, args);
    if (!mapped || out->failed) {
        srv__term_out_free(out);
        return false;
    }
    return true;
}

static bool can_send(const srv_module *module, unsigned message, srv_message_kind kind)
{
    return module != NULL && module->codec != NULL && message < module->message_count &&
           module->messages[message].kind == kind;
}

/* The reply term got to call number message of module, read into reply:
 * false (and logged) when it is no reply of it. */
static bool reply_read(const struct target *t, const srv_module *module, unsigned message,
                       struct remote_reply got, void *reply)
{
    srv_term_in in = {got.term, 0, got.len};
    if (module->codec->decode_reply(&in, message, reply))
        return true;
    srv_buf text = {0};
    srv__term_print(&text, got.term, 0, got.len);
    node_log(SRV_LOG_ERROR, "node: a reply from %s's %s to %s: %s is no reply of it",
             t->peer, t->name != NULL ? t->name : "pid", module->messages[message].name,
             text.data != NULL ? text.data : "");
    srv_buf_free(&text);
    return false;
}

/* p's ref, made under the list's lock (ei_make_ref is not thread-safe). */
static void pending_ref(struct pending *p)
{
    pthread_mutex_lock(&calls.lock);
    ei_make_ref(&node.ec, &p->ref);
    pthread_mutex_unlock(&calls.lock);
}

/* p's ref made, and out the term of call number message of module from
 * self with it: false (p freed) when the message has no term. */
static bool call_term(struct pending *p, struct process *self, const srv_module *module,
                      unsigned message, const void *args, struct srv_term_out *out)
{
    pending_ref(p);
    erlang_pid me;
    srv__term_pid_out(self->pid, &me);
    if (request_term(out, module, message, args, &me, &p->ref))
        return true;
    srv__free(p);
    return false;
}

/* Sends out, a call's term with p's ref (pending_ref) in it, to t from
 * self, after a monitor of t whose ref is p's (in *ref too); p, made by
 * the caller, is listed first, for the node thread to answer: a call's
 * caller's slot is armed here for got (p->module NULL), a request's from
 * is the caller's.  out is freed.  SRV_ENOPROC with noconnection when
 * t's node cannot be reached: nothing sent, p freed. */
static srv_status call_out(const struct target *t, struct srv_term_out *out,
                           struct process *self, struct pending *p,
                           struct remote_reply *got, erlang_ref *ref, srv_atom *reason)
{
    struct conn *c = conn_to(t->peer);
    if (c == NULL) {
        srv__term_out_free(out);
        srv__free(p);
        *reason = srv_atom_from("noconnection");
        return SRV_ENOPROC;
    }
    erlang_pid me;
    srv__term_pid_out(self->pid, &me);
    p->conn = c;
    p->name = t->name != NULL ? srv_atom_from(t->name) : NULL;
    p->server = t->id;
    if (p->module == NULL)
        p->from = (srv_from){self->pid, srv__slot_arm(srv__slot(self), got), NULL};
    *ref = p->ref; /* p is the node thread's once listed */
    pthread_mutex_lock(&calls.lock);
    p->next = calls.list;
    calls.list = p;
    pthread_mutex_unlock(&calls.lock);
    send_monitor_op(c, DOP_MONITOR_P, &me, t, ref, SEND_WITH_NEXT);
    send_to_target(c, &me, t, &out->x, SEND_NOW);
    srv__term_out_free(out);
    conn_put(c); /* listed, the call keeps c open or is answered by its close */
    return SRV_OK;
}

/* The wait for what call_out sent: the answer in self's slot (a reply
 * in the got given to call_out), or SRV_ETIMEOUT at deadline; as
 * gen_server, the monitor goes once a reply came (the node thread's
 * reply_demonitor) or the wait gave up. */
static srv_status call_wait(const struct target *t, struct process *self,
                            const erlang_ref *ref, uint64_t deadline, srv_atom *reason)
{
    srv_status status = srv__slot_wait(srv__slot(self), deadline, reason);
    struct pending *mine = status == SRV_ETIMEOUT ? pending_take(ref, NULL) : NULL;
    if (mine == NULL) /* the node thread took it, and frees it */
        return status;
    struct conn *still = conn_find(t->peer);
    if (still != NULL) {
        erlang_pid me;
        srv__term_pid_out(self->pid, &me);
        send_monitor_op(still, DOP_DEMONITOR_P, &me, t, ref, SEND_LAZY);
        conn_put(still);
    }
    srv__free(mine);
    return status;
}

/* gen_server:call to t: the request with a monitor of t (its ref the
 * call's tag), the wait in the caller's reply slot, the demonitor. */
static srv_status remote_call(const struct target *t, const srv_module *module,
                              unsigned message, const void *args, void *reply,
                              long timeout_ms, srv_atom *reason)
{
    *reason = NULL;
    struct process *self = srv__caller();
    struct pending *p = self != NULL ? srv__calloc(1, sizeof *p) : NULL;
    if (p == NULL)
        return SRV_ENOMEM;
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    struct srv_term_out out;
    if (!call_term(p, self, module, message, args, &out))
        return SRV_EINVAL;
    struct remote_reply got = {NULL, 0};
    erlang_ref ref;
    srv_status status = call_out(t, &out, self, p, &got, &ref, reason);
    if (status == SRV_OK)
        status = call_wait(t, self, &ref, deadline, reason);
    if (status == SRV_OK && !reply_read(t, module, message, got, reply))
        status = SRV_EINVAL;
    srv__free(got.term);
    return status;
}

static srv_status node_stop(srv_pid to, srv_atom reason, long timeout_ms, srv_atom *why)
{
    *why = NULL;
    struct process *self = node.running ? srv__caller() : NULL;
    if (!node.running) { /* no node: no other node can be reached */
        *why = srv_atom_from("noconnection");
        return SRV_ENOPROC;
    }
    struct pending *p = self != NULL ? srv__calloc(1, sizeof *p) : NULL;
    struct srv_term_out out;
    if (p == NULL || !srv__term_out_init(&out)) {
        srv__free(p);
        return SRV_ENOMEM;
    }
    uint64_t deadline = srv__deadline_after_ms(timeout_ms);
    pending_ref(p);
    erlang_pid me;
    srv__term_pid_out(self->pid, &me);
    /* {system, {Self, Ref}, {terminate, Reason}}: sys:terminate's */
    srv_term_put_tuple(&out, 3);
    srv_term_put_atom(&out, "system");
    srv_term_put_tuple(&out, 2);
    if (ei_x_encode_pid(&out.x, &me) != 0 || ei_x_encode_ref(&out.x, &p->ref) != 0)
        out.failed = true;
    srv_term_put_tuple(&out, 2);
    srv_term_put_atom(&out, "terminate");
    srv_term_put_atom(&out, reason);
    if (out.failed) {
        srv__term_out_free(&out);
        srv__free(p);
        return SRV_ENOMEM;
    }
    struct target t;
    target_pid(&t, to);
    struct remote_reply got = {NULL, 0};
    erlang_ref ref;
    srv_status status = call_out(&t, &out, self, p, &got, &ref, why);
    if (status == SRV_OK)
        status = call_wait(&t, self, &ref, deadline, why);
    srv__free(got.term);
    /* an srv server replies ok before it fires the monitor; Erlang's
     * exits with the reason and only the DOWN says so, as proc_lib:stop
     * hears it */
    if (status == SRV_EEXIT && *why == reason)
        status = SRV_OK;
    if (status == SRV_OK)
        *why = NULL;
    return status;
}

static srv_status node_request(srv_pid to, const srv_module *module, unsigned message,
                               const void *args, srv_from from, srv_atom *reason)
{
    *reason = NULL;
    if (!can_send(module, message, SRV_MESSAGE_CALL))
        return SRV_EINVAL;
    if (!node.running) { /* no node: no other node can be reached */
        *reason = srv_atom_from("noconnection");
        return SRV_ENOPROC;
    }
    struct process *self = srv__caller();
    struct pending *p = self != NULL ? srv__calloc(1, sizeof *p) : NULL;
    if (p == NULL)
        return SRV_ENOMEM;
    p->from = from;
    p->module = module;
    p->message = message;
    struct srv_term_out out;
    if (!call_term(p, self, module, message, args, &out))
        return SRV_EINVAL;
    struct target t;
    target_pid(&t, to);
    erlang_ref ref;
    return call_out(&t, &out, self, p, NULL, &ref, reason);
}

/* The node thread, once the reply to p came: the demonitor of its
 * server, held for the caller's next packet (a loop of calls sends one
 * packet a call, not two) or written by this thread a moment later; it
 * need not wait for room. */
static void reply_demonitor(const struct pending *p)
{
    erlang_pid me;
    struct target t;
    srv__term_pid_out(p->from.pid, &me);
    if (p->name != NULL)
        t = (struct target){.peer = p->conn->peer, .name = p->name};
    else
        target_pid(&t, p->server);
    send_monitor_op(p->conn, DOP_DEMONITOR_P, &me, &t, &p->ref, SEND_WITH_NEXT);
}

/* A request's answer, to its place in the requester's table: the reply
 * read into the call's reply struct (one that does not read is
 * SRV_EINVAL, as a call's), freed by its free_reply if the requester
 * gave it up or ended. */
static void answer_request(struct pending *p, srv_status status, srv_atom reason,
                           struct remote_reply reply)
{
    const srv_message_type *type = &p->module->messages[p->message];
    void *read = NULL;
    if (status == SRV_OK) {
        struct target t;
        target_pid(&t, p->server);
        read = srv__calloc(1, type->reply_size > 0 ? type->reply_size : 1);
        if (read == NULL)
            status = SRV_ENOMEM;
        else if (!reply_read(&t, p->module, p->message, reply, read))
            status = SRV_EINVAL;
    }
    if (!srv__slot_complete(p->from, status, reason, status == SRV_OK ? read : NULL,
                            type->reply_size) &&
        status == SRV_OK && type->free_reply != NULL)
        type->free_reply(read);
    srv__free(read);
    srv__free(reply.term);
}

srv_status srv_node_call(const char *peer, const char *name, const srv_module *module,
                         unsigned message, const void *args, void *reply, long timeout_ms,
                         srv_call_result *result)
{
    if (result != NULL)
        result->reason = NULL;
    if (!node.running || peer == NULL || name == NULL ||
        !can_send(module, message, SRV_MESSAGE_CALL) || !srv__timeout_valid(timeout_ms))
        return SRV_EINVAL;
    struct target t = {.peer = peer, .name = name};
    srv_atom reason;
    srv_status status = remote_call(&t, module, message, args, reply, timeout_ms, &reason);
    if (result != NULL)
        result->reason = reason;
    return status;
}

static srv_status node_call(srv_pid to, const srv_module *module, unsigned message,
                            const void *args, void *reply, long timeout_ms, srv_atom *reason)
{
    *reason = NULL;
    if (!can_send(module, message, SRV_MESSAGE_CALL))
        return SRV_EINVAL;
    if (!node.running) { /* no node: no other node can be reached */
        *reason = srv_atom_from("noconnection");
        return SRV_ENOPROC;
    }
    struct target t;
    target_pid(&t, to);
    return remote_call(&t, module, message, args, reply, timeout_ms, reason);
}

/* A cast or a message to t: dropped when t's node cannot be reached, as
 * Erlang's. */
static srv_status remote_post(const struct target *t, const srv_module *module,
                              unsigned message, const void *args)
{
    erlang_pid self = {0};
    if (t->name != NULL) /* REG_SEND names its sender; a send to a pid
                          * does not, and a timer's thread has no self */
        srv__term_pid_out(srv_self(), &self);
    struct srv_term_out out;
    if (!request_term(&out, module, message, args, &self, NULL))
        return SRV_EINVAL;
    struct conn *c = conn_to(t->peer);
    if (c != NULL) {
        send_to_target(c, &self, t, &out.x, SEND_LAZY);
        conn_put(c);
    }
    srv__term_out_free(&out);
    return SRV_OK;
}

srv_status srv_node_cast(const char *peer, const char *name, const srv_module *module,
                         unsigned message, const void *args)
{
    if (!node.running || peer == NULL || name == NULL ||
        !can_send(module, message, SRV_MESSAGE_CAST))
        return SRV_EINVAL;
    struct target t = {.peer = peer, .name = name};
    return remote_post(&t, module, message, args);
}

static srv_status node_post(srv_pid to, const srv_module *module, unsigned message,
                            const void *args, srv_message_kind kind)
{
    if (!can_send(module, message, kind))
        return SRV_EINVAL;
    if (!node.running)
        return SRV_OK; /* no node reaches it: lost, as a message to a dead pid */
    struct target t;
    target_pid(&t, to);
    return remote_post(&t, module, message, args);
}

/* ---------------------------------------------------------------------- */
/* Links and monitors with other nodes' processes                          */

/* Adds t to c's ties; false when c is dead (closed, or closing: its ties
 * are told already) or out of memory. */
static bool tie_add(struct conn *c, const struct tie *t)
{
    pthread_mutex_lock(&c->lock);
    bool added = !c->dead && (c->tie_count < c->tie_cap || grow_ties(c));
    if (added)
        c->ties[c->tie_count++] = *t;
    pthread_mutex_unlock(&c->lock);
    return added;
}

static bool tie_is(const struct tie *t, const struct tie *like, bool by_eref)
{
    if (by_eref)
        return !t->link && same_ref(&t->eref, &like->eref);
    return t->link == like->link && srv__pid_same(t->local, like->local) &&
           srv__pid_same(t->remote, like->remote) && (t->link || t->ref == like->ref);
}

/* Takes the tie like (by its eref, or by its ends and kind) off c's
 * ties, into *out: false when there is none. */
static bool tie_take(struct conn *c, const struct tie *like, bool by_eref, struct tie *out)
{
    bool found = false;
    pthread_mutex_lock(&c->lock);
    for (size_t k = 0; k < c->tie_count && !found; k++)
        if (tie_is(&c->ties[k], like, by_eref)) {
            *out = c->ties[k];
            c->ties[k] = c->ties[--c->tie_count];
            found = true;
        }
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* A closed connection's ties (owned, freed here): each link breaks and
 * each monitor fires with noconnection, as Erlang's do when a node goes. */
static void ties_broken(struct tie *ties, size_t count)
{
    srv_atom why = srv_atom_from("noconnection");
    for (size_t k = 0; k < count; k++)
        if (ties[k].link)
            srv__remote_link_exit(ties[k].local, ties[k].remote, why);
        else
            srv__remote_down(ties[k].local, ties[k].ref, ties[k].remote, why);
    srv__free(ties);
}

/* Sends {op, From, To} (LINK, UNLINK), or {op, From, To, Reason} (EXIT)
 * when reason is not NULL. */
static void send_link_op(struct conn *c, long op, srv_pid from, srv_pid to, srv_atom reason)
{
    erlang_pid f, t;
    srv__term_pid_out(from, &f);
    srv__term_pid_out(to, &t);
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    if (ei_x_encode_tuple_header(&control, reason != NULL ? 4 : 3) == 0 &&
        ei_x_encode_long(&control, op) == 0 && ei_x_encode_pid(&control, &f) == 0 &&
        ei_x_encode_pid(&control, &t) == 0 &&
        (reason == NULL || ei_x_encode_atom(&control, reason) == 0))
        send_packet(c, &control, NULL, SEND_NOW);
    ei_x_free(&control);
}

/* LINK, UNLINK {op, From, To}, EXIT {3, From, To, Reason}, EXIT_TT {13,
 * From, To, Token, Reason}: an Erlang process links to, unlinks from or,
 * linked, ends under a process of ours. */
static void on_link(struct conn *c, long op, const char *buf, int i)
{
    erlang_pid from, to;
    struct tie t = {.link = true}, old;
    if (ei_decode_pid(buf, &i, &from) != 0 || ei_decode_pid(buf, &i, &to) != 0 ||
        !srv__term_pid_in(&from, &t.remote) || !srv__term_pid_in(&to, &t.local) ||
        t.local.node != 0)
        return;
    if (op == DOP_LINK) {
        if (srv__remote_link(t.local, t.remote) != SRV_OK) { /* as Erlang: noproc */
            send_link_op(c, DOP_EXIT, t.local, t.remote, srv_atom_noproc);
            return;
        }
        tie_take(c, &t, false, &old); /* linked already: one tie all the same */
        if (!tie_add(c, &t))
            srv__remote_link_exit(t.local, t.remote, srv_atom_from("noconnection"));
        return;
    }
    tie_take(c, &t, false, &old);
    if (op == DOP_UNLINK) {
        srv__remote_unlink(t.local, t.remote);
        return;
    }
    if (op == DOP_EXIT_TT)
        i = term_end(buf, i); /* the trace token */
    srv__remote_link_exit(t.local, t.remote, reason_at(buf, &i));
}

/* UNLINK_ID {35, Id, From, To}: unlink/1 on OTP 23 and later, even to a
 * node that does not announce DFLAG_UNLINK_ID (OTP 25 here): the link
 * goes, and UNLINK_ID_ACK {36, Id, To, From} says so. */
static void on_unlink_id(struct conn *c, const char *buf, int i)
{
    int id_at = i, id_end = term_end(buf, i);
    i = id_end;
    on_link(c, DOP_UNLINK, buf, i);
    erlang_pid from, to;
    if (ei_decode_pid(buf, &i, &from) != 0 || ei_decode_pid(buf, &i, &to) != 0)
        return;
    ei_x_buff control;
    if (ei_x_new_with_version(&control) != 0)
        return;
    if (ei_x_encode_tuple_header(&control, 4) == 0 &&
        ei_x_encode_long(&control, DOP_UNLINK_ID_ACK) == 0 &&
        ei_x_append_buf(&control, buf + id_at, id_end - id_at) == 0 &&
        ei_x_encode_pid(&control, &to) == 0 && ei_x_encode_pid(&control, &from) == 0)
        send_packet(c, &control, NULL, SEND_NOW);
    ei_x_free(&control);
}

/* The open connection to pid's node, held: connected to (with_connect)
 * or found (NULL when there is none), or NULL when no node runs. */
static struct conn *conn_of(srv_pid pid, bool with_connect)
{
    if (!node.running)
        return NULL;
    erlang_pid e;
    srv__term_pid_out(pid, &e);
    return with_connect ? conn_to(e.node) : conn_find(e.node);
}

static bool node_link(srv_pid self, srv_pid remote)
{
    struct conn *c = conn_of(remote, true);
    struct tie t = {.local = self, .remote = remote, .link = true};
    if (c == NULL)
        return false;
    bool tied = tie_add(c, &t);
    if (tied)
        send_link_op(c, DOP_LINK, self, remote, NULL);
    conn_put(c);
    return tied;
}

/* The link of self and remote ends: op (UNLINK, or EXIT with reason)
 * tells the other node, if the link was still there. */
static void untie_link(srv_pid self, srv_pid remote, long op, srv_atom reason)
{
    struct conn *c = conn_of(remote, false);
    struct tie t = {.local = self, .remote = remote, .link = true}, old;
    if (c == NULL)
        return;
    if (tie_take(c, &t, false, &old))
        send_link_op(c, op, self, remote, reason);
    conn_put(c);
}

static void node_unlink(srv_pid self, srv_pid remote)
{
    untie_link(self, remote, DOP_UNLINK, NULL);
}

static void node_link_exit(srv_pid self, srv_pid remote, srv_atom reason,
                           const srv_detail *detail)
{
    (void)detail; /* the reason alone crosses: {Reason, Detail} has no term */
    untie_link(self, remote, DOP_EXIT, reason);
}

/* MONITOR_P or DEMONITOR_P of monitor tie t's remote pid. */
static void send_pid_monitor_op(struct conn *c, long op, const struct tie *t)
{
    struct target to;
    erlang_pid me;
    target_pid(&to, t->remote);
    srv__term_pid_out(t->local, &me);
    send_monitor_op(c, op, &me, &to, &t->eref, SEND_NOW);
}

static bool node_monitor(srv_pid self, srv_pid remote, srv_monitor_ref ref)
{
    struct conn *c = conn_of(remote, true);
    if (c == NULL)
        return false;
    struct tie t = {.local = self, .remote = remote, .ref = ref};
    pthread_mutex_lock(&calls.lock);
    ei_make_ref(&node.ec, &t.eref);
    pthread_mutex_unlock(&calls.lock);
    bool tied = tie_add(c, &t);
    if (tied)
        send_pid_monitor_op(c, DOP_MONITOR_P, &t);
    conn_put(c);
    return tied;
}

static void node_demonitor(srv_pid self, srv_pid remote, srv_monitor_ref ref)
{
    struct conn *c = conn_of(remote, false);
    struct tie t = {.local = self, .remote = remote, .ref = ref}, old;
    if (c == NULL)
        return;
    if (tie_take(c, &t, false, &old))
        send_pid_monitor_op(c, DOP_DEMONITOR_P, &old);
    conn_put(c);
}

/* What the runtime asks of the node about other nodes' pids (remote.h). */
static const struct srv__remote_hooks hooks = {
    .call = node_call,
    .request = node_request,
    .stop = node_stop,
    .post = node_post,
    .link = node_link,
    .unlink = node_unlink,
    .link_exit = node_link_exit,
    .monitor = node_monitor,
    .demonitor = node_demonitor,
};

/* ---------------------------------------------------------------------- */
/* Starting and stopping                                                   */

/* ei's own socket functions (not in its headers, but exported), which the
 * node's wrap: ei announces DFLAG_DIST_MONITOR but not
 * DFLAG_DIST_MONITOR_NAME, and without that Erlang never sends a
 * monitor of a name on this node (gen_server:call({Name, Node}, ...)
 * monitors one): its caller of a server that dies would wait for its
 * timeout.  The node keeps monitors by name itself (on_monitor), so it
 * says so in the challenge it writes in the handshake: 'N' (OTP 23 and
 * later: 8 bytes of flags after the tag) or 'n' (2 of version, 4 of
 * flags), after the packet's 2-byte length.  The digest does not cover
 * the flags.  A visible node adds DFLAG_PUBLISHED, which is all Erlang
 * looks at to list a node in nodes() rather than nodes(hidden) (epmd
 * still has it as ei's hidden type, 72, which ei_publish writes and
 * Erlang does not read for this).  Such a node is sent global's and rpc's
 * messages (global_name_server, rex), which nobody here holds: they are
 * dropped, and OTP 25 keeps the connection all the same. */
extern ei_socket_callbacks ei_default_socket_callbacks;
static ei_socket_callbacks callbacks;

#define DFLAG_DIST_MONITOR_NAME 0x20
#define DFLAG_PUBLISHED 0x01

static int handshake_write(void *ctx, const char *buf, ssize_t *len, unsigned tmo)
{
    char patched[512];
    if (*len >= 11 && *len <= (ssize_t)sizeof patched && (buf[2] == 'N' || buf[2] == 'n')) {
        memcpy(patched, buf, (size_t)*len);
        patched[buf[2] == 'N' ? 10 : 8] |=
            DFLAG_DIST_MONITOR_NAME | (node.visible ? DFLAG_PUBLISHED : 0);
        buf = patched;
    }
    return ei_default_socket_callbacks.write(ctx, buf, len, tmo);
}

/* Publishes the port in epmd, starting `epmd -daemon` when none answers
 * and waiting for it to (two seconds at most). */
static int publish(int port)
{
    int fd = ei_publish_tmo(&node.ec, port, 1000);
    if (fd >= 0)
        return fd;
    if (system("epmd -daemon >/dev/null 2>&1") != 0)
        return -1;
    for (int tries = 0; tries < 40 && fd < 0; tries++) {
        /* epmd comes up in its own time: there is nothing to wait on */
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        fd = ei_publish_tmo(&node.ec, port, 1000);
    }
    return fd;
}

static void close_fds(void)
{
    int *fds[] = {&node.listen_fd, &node.epmd_fd, &node.wake[0], &node.wake[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    node.name[0] = '\0';
    srv__term_set_node(NULL, 0);
}

static void stop_watcher(void)
{
    pthread_mutex_lock(&node.jobs_lock);
    node.stopping = true;
    srv_pid watcher = node.watcher_pid;
    pthread_mutex_unlock(&node.jobs_lock);
    srv_exit_signal(watcher, srv_atom_from(WATCH_WAKE));
    pthread_join(node.watcher, NULL);
}

srv_status srv_node_start(const char *name, const char *cookie,
                          const srv_node_options *options)
{
    if (name == NULL || cookie == NULL || name[0] == '\0' || name[0] == '@' ||
        strlen(name) >= MAXNODELEN - 12 || strlen(cookie) >= 512)
        return SRV_EINVAL;
    pthread_mutex_lock(&node.lock);
    if (node.running) {
        pthread_mutex_unlock(&node.lock);
        return SRV_EALREADY;
    }
    char alive[MAXNODELEN], host[MAXNODELEN];
    const char *at = strchr(name, '@');
    snprintf(alive, sizeof alive, "%.*s", at != NULL ? (int)(at - name) : (int)strlen(name),
             name);
    snprintf(host, sizeof host, "%s", at != NULL ? at + 1 : "localhost");
    char full[2 * MAXNODELEN + 2];
    snprintf(full, sizeof full, "%s@%s", alive, host);
    if (strlen(full) >= MAXNODELEN) {
        pthread_mutex_unlock(&node.lock);
        return SRV_EINVAL;
    }
    srv_status status = SRV_ENODE;
    int port = options != NULL ? options->port : 0;
    node.tick_ms = options != NULL && options->tick_ms > 0 ? options->tick_ms : 15000;
    node.visible = options != NULL && options->visible;
    node.stopping = false;
    struct in_addr any = {0};
    if (ei_init() != 0 ||
        (callbacks = ei_default_socket_callbacks, callbacks.write = handshake_write,
         ei_connect_xinit_ussi(&node.ec, host, alive, full, &any, cookie, 0, &callbacks,
                               sizeof callbacks, NULL)) < 0 ||
        pipe(node.wake) != 0 ||
        (node.listen_fd = ei_xlisten(&node.ec, &any, &port, 16)) < 0 ||
        (node.epmd_fd = publish(port)) < 0) {
        node_log(SRV_LOG_ERROR, "node: %s cannot start: %s", full,
             node.listen_fd < 0 ? "no port to listen on" : "epmd does not answer");
        close_fds();
        pthread_mutex_unlock(&node.lock);
        return status;
    }
    keep_from_children(node.listen_fd);
    keep_from_children(node.epmd_fd);
    keep_from_children(node.wake[0]);
    keep_from_children(node.wake[1]);
    srv__remote_set(&hooks);
    /* ei_publish learnt the node's creation from epmd */
    snprintf(node.name, sizeof node.name, "%s", ei_thisnodename(&node.ec));
    srv__term_set_node(node.name, ei_self(&node.ec)->creation);
    node.watcher_ready = false;
    if (srv__thread_create(&node.watcher, NULL, watcher_thread, NULL) != 0) {
        close_fds();
        pthread_mutex_unlock(&node.lock);
        return SRV_ENOMEM;
    }
    pthread_mutex_lock(&node.jobs_lock);
    while (!node.watcher_ready)
        pthread_cond_wait(&node.idle_cond, &node.jobs_lock);
    pthread_mutex_unlock(&node.jobs_lock);
    pthread_mutex_lock(&node.jobs_lock);
    node.timeout_ms = (int)node.tick_ms; /* until the next tick is due */
    node.role_free = node.reading = true;
    bool started = start_thread();
    if (!started)
        node.role_free = node.reading = false;
    pthread_mutex_unlock(&node.jobs_lock);
    if (!started) {
        stop_watcher();
        close_fds();
        pthread_mutex_unlock(&node.lock);
        return SRV_ENOMEM;
    }
    node.running = true;
    pthread_mutex_unlock(&node.lock);
    return SRV_OK;
}

srv_status srv_node_start_env(void)
{
    const char *name = getenv("SRV_NODE");
    const char *cookie = getenv("SRV_COOKIE");
    char file_cookie[512] = "";
    if (name == NULL)
        return SRV_EINVAL;
    if (cookie == NULL) { /* as erl: ~/.erlang.cookie */
        const char *home = getenv("HOME");
        char path[4096];
        snprintf(path, sizeof path, "%s/.erlang.cookie", home != NULL ? home : ".");
        FILE *f = fopen(path, "r");
        if (f == NULL)
            return SRV_EINVAL;
        if (fgets(file_cookie, sizeof file_cookie, f) == NULL)
            file_cookie[0] = '\0';
        fclose(f);
        file_cookie[strcspn(file_cookie, "\r\n")] = '\0';
        cookie = file_cookie;
    }
    const char *visible = getenv("SRV_NODE_VISIBLE");
    srv_node_options options = {.visible = visible != NULL && strcmp(visible, "1") == 0};
    return srv_node_start(name, cookie, &options);
}

void srv_node_stop(void)
{
    pthread_mutex_lock(&node.lock);
    if (!node.running) {
        pthread_mutex_unlock(&node.lock);
        return;
    }
    char byte = WAKE_STOP;
    while (write(node.wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&node.jobs_lock);
    while (node.reading) /* then nothing more is read */
        pthread_cond_wait(&node.idle_cond, &node.jobs_lock);
    pthread_mutex_unlock(&node.jobs_lock);
    stop_watcher();
    /* the threads finish the calls they run, answering on connections
     * still open, then end; then the connections close */
    pthread_mutex_lock(&node.jobs_lock);
    pthread_cond_broadcast(&node.jobs_cond);
    while (node.threads > 0)
        pthread_cond_wait(&node.idle_cond, &node.jobs_lock);
    pthread_mutex_unlock(&node.jobs_lock);
    close_all();
    close_fds(); /* closing epmd's socket unpublishes the name */
    node.running = false;
    pthread_mutex_unlock(&node.lock);
}

const char *srv_node_name(void)
{
    return node.name[0] != '\0' ? node.name : NULL;
}
