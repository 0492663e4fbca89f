// bench.cpp: one repetition of one group of make bench's metrics, on CAF
// 0.17 (the C++ Actor Framework): typed, event-based actors and typed
// request/response.  The same work as bench/bench.c, printed with the
// prefix caf_.  Run: bench-caf GROUP WORKERS
//
// Where CAF differs from gen_server: a server's "init acknowledged" is
// a message its init sends to the starter (spawn itself does not wait);
// stop is a request the server answers before it quits; a kill is
// send_exit(kill), the DOWN a down_msg of a monitor.
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace caf;

namespace {

constexpr int calls = 1000000;
constexpr int warmup = 10000;
constexpr int casts = 2000000;
constexpr int queued_calls = 200000;
// Calls from main (a scoped_actor's blocking request): each waits for a
// worker thread that went to sleep meanwhile (~100 us), so fewer of them.
constexpr int main_thread_calls = 20000;
constexpr int servers = 100000;
constexpr int million = 1000000;
constexpr int contenders = 16;
constexpr int contended_calls = 100000;
constexpr int queued = 100000;
constexpr int work_us = 10;
constexpr int idle_servers = 10000;

using query_atom = atom_constant<atom("query")>;
using show_atom = atom_constant<atom("show")>;
using count_atom = atom_constant<atom("count")>;
using work_atom = atom_constant<atom("work")>;
using stop_atom = atom_constant<atom("stop")>;
using calls_atom = atom_constant<atom("calls")>;
using casts_atom = atom_constant<atom("casts")>;
using blob_calls_atom = atom_constant<atom("blobcalls")>;

const atom_value key = atom("0x01f");
const atom_value value = atom("test");

// query_blob's argument: 40 words, 320 bytes, copied into each message.
using blob = std::vector<uint64_t>;
constexpr size_t blob_words = 40;

// The worker of bench/worker.srv.
using worker_actor = typed_actor<
    replies_to<query_atom, atom_value>::with<atom_value>,
    reacts_to<show_atom, atom_value>,
    replies_to<count_atom>::with<int64_t>,
    reacts_to<work_atom, int>,
    replies_to<query_atom, blob>::with<atom_value>,
    replies_to<stop_atom>::with<ok_atom>>;

struct worker_state {
    atom_value key;
    atom_value value;
    int64_t shows = 0;
};

int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// init sends its acknowledgement to the starter, as gen_server's does.
worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   atom_value k, atom_value v, actor starter)
{
    self->state.key = k;
    self->state.value = v;
    anon_send(starter, ok_atom::value);
    return {
        [=](query_atom, atom_value) { return self->state.value; },
        [=](show_atom, atom_value) { self->state.shows++; },
        [=](count_atom) { return self->state.shows; },
        [=](work_atom, int us) {
            int64_t end = now_ns() + int64_t{us} * 1000;
            while (now_ns() < end) {
            }
        },
        [=](query_atom, const blob &) { return self->state.value; },
        [=](stop_atom) {
            self->quit();
            return ok_atom::value;
        },
    };
}

// A client process: runs n calls, or casts then a count, and answers its
// requester with the nanoseconds it took.
using client_actor = typed_actor<
    replies_to<calls_atom, worker_actor, int>::with<int64_t>,
    replies_to<blob_calls_atom, worker_actor, int>::with<int64_t>,
    replies_to<casts_atom, worker_actor, int>::with<int64_t>>;

struct client_state {
    int64_t start = 0;
    int left = 0;
    typed_response_promise<int64_t> done;
};

// The client's next call of query (or of query_blob, with a blob of its
// own, copied into the message), until none are left.
void next_call(client_actor::stateful_pointer<client_state> self, worker_actor w, bool with_blob)
{
    if (self->state.left-- == 0) {
        self->state.done.deliver(now_ns() - self->state.start);
        return;
    }
    auto next = [=](atom_value v) {
        if (v != value)
            std::abort();
        next_call(self, w, with_blob);
    };
    if (with_blob) {
        blob b(blob_words);
        b[0] = uint64_t(self->state.left);
        self->request(w, infinite, query_atom::value, std::move(b)).then(next);
    } else {
        self->request(w, infinite, query_atom::value, key).then(next);
    }
}

typed_response_promise<int64_t> start_calls(client_actor::stateful_pointer<client_state> self,
                                            worker_actor w, int n, bool with_blob)
{
    self->state.start = now_ns();
    self->state.left = n;
    self->state.done = self->make_response_promise<int64_t>();
    next_call(self, w, with_blob);
    return self->state.done;
}

client_actor::behavior_type client(client_actor::stateful_pointer<client_state> self)
{
    return {
        [=](calls_atom, worker_actor w, int n) { return start_calls(self, w, n, false); },
        [=](blob_calls_atom, worker_actor w, int n) { return start_calls(self, w, n, true); },
        [=](casts_atom, worker_actor w, int n) -> typed_response_promise<int64_t> {
            self->state.start = now_ns();
            self->state.done = self->make_response_promise<int64_t>();
            self->request(w, infinite, count_atom::value).then([=](int64_t before) {
                for (int i = 0; i < n; i++)
                    self->send(w, show_atom::value, key);
                self->request(w, infinite, count_atom::value).then([=](int64_t after) {
                    if (after - before != n)
                        std::abort();
                    self->state.done.deliver(now_ns() - self->state.start);
                });
            });
            return self->state.done;
        },
    };
}

void print(const char *name, double v)
{
    std::printf("caf_%s %.3f\n", name, v);
    std::fflush(stdout);
}

double resident_bytes()
{
    long size = 0, resident = 0;
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr || std::fscanf(f, "%ld %ld", &size, &resident) != 2)
        std::abort();
    std::fclose(f);
    return double(resident) * 4096;
}

double peak_resident_mb()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
        if (std::sscanf(line, "VmHWM: %lf kB", &kb) == 1)
            break;
    if (f != nullptr)
        std::fclose(f);
    if (kb < 0)
        std::abort();
    return kb / 1024;
}

worker_actor start(actor_system &sys, scoped_actor &self)
{
    auto w = sys.spawn(worker, key, value, actor{self});
    self->receive([](ok_atom) {});
    return w;
}

void stop(scoped_actor &self, const worker_actor &w)
{
    self->request(w, infinite, stop_atom::value).receive([](ok_atom) {}, [](error &) { std::abort(); });
}

int64_t run(scoped_actor &self, const client_actor &c, atom_value what, const worker_actor &w, int n)
{
    int64_t ns = 0;
    auto got = [&](int64_t t) { ns = t; };
    auto failed = [](error &) { std::abort(); };
    if (what == calls_atom::value)
        self->request(c, infinite, calls_atom::value, w, n).receive(got, failed);
    else if (what == blob_calls_atom::value)
        self->request(c, infinite, blob_calls_atom::value, w, n).receive(got, failed);
    else
        self->request(c, infinite, casts_atom::value, w, n).receive(got, failed);
    return ns;
}

void main_calls(scoped_actor &self, const worker_actor &w, int n)
{
    for (int i = 0; i < n; i++)
        self->request(w, infinite, query_atom::value, key)
            .receive([](atom_value v) { if (v != value) std::abort(); },
                     [](error &) { std::abort(); });
}

void group_calls(actor_system &sys)
{
    scoped_actor self{sys};
    auto w = start(sys, self);
    auto c = sys.spawn(client);
    run(self, c, calls_atom::value, w, warmup);
    print("call_rtt_ns", double(run(self, c, calls_atom::value, w, calls)) / calls);

    main_calls(self, w, warmup);
    int64_t t0 = now_ns();
    main_calls(self, w, main_thread_calls);
    print("main_thread_call_rtt_ns", double(now_ns() - t0) / main_thread_calls);

    print("cast_msgs_per_s", casts / (double(run(self, c, casts_atom::value, w, casts)) / 1e9));

    // The calls that srv must queue (query_blob): CAF queues every call.
    run(self, c, blob_calls_atom::value, w, warmup);
    print("queued_call_rtt_ns", double(run(self, c, blob_calls_atom::value, w, queued_calls)) / queued_calls);

    std::vector<client_actor> cs;
    for (int i = 0; i < contenders; i++)
        cs.push_back(sys.spawn(client));
    t0 = now_ns();
    for (auto &ci : cs)
        self->send(ci, calls_atom::value, w, contended_calls);
    for (int i = 0; i < contenders; i++)
        self->receive([](int64_t) {});
    print("contended16_calls_per_s", contenders * double(contended_calls) / ((now_ns() - t0) / 1e9));
    stop(self, w);
    for (auto &ci : cs)
        anon_send_exit(ci, exit_reason::user_shutdown);
    anon_send_exit(c, exit_reason::user_shutdown);
}

// The servers and million groups run in a driver, an event-based actor
// (a scoped_actor's blocking receive waits ~100 us for a worker thread
// that went to sleep): it starts n servers one after the other, each
// acknowledged, calls each once if asked, stops them one after the other,
// and sends main the times of each phase.
struct driver_state {
    std::vector<worker_actor> ws;
    int n = 0;
    bool call_each = false;
    actor main;
    int64_t t0 = 0, started = 0, called = 0;
    double before = 0, after = 0;
};
using driver = stateful_actor<driver_state>;

void stop_from(driver *self, size_t i)
{
    if (i == self->state.ws.size()) {
        auto &st = self->state;
        anon_send(st.main, st.t0, st.started, st.called, now_ns(), st.before, st.after);
        self->quit();
        return;
    }
    self->request(self->state.ws[i], infinite, stop_atom::value).then([=](ok_atom) {
        stop_from(self, i + 1);
    });
}

void call_from(driver *self, size_t i)
{
    if (i == self->state.ws.size()) {
        self->state.called = now_ns();
        stop_from(self, 0);
        return;
    }
    self->request(self->state.ws[i], infinite, query_atom::value, key).then([=](atom_value v) {
        if (v != value)
            std::abort();
        call_from(self, i + 1);
    });
}

behavior run_servers(driver *self, int n, bool call_each, actor main)
{
    auto &st = self->state;
    st.n = n;
    st.call_each = call_each;
    st.main = main;
    st.ws.reserve(n);
    st.before = resident_bytes();
    st.t0 = now_ns();
    st.ws.push_back(self->spawn(worker, key, value, actor_cast<actor>(self)));
    return {
        [=](ok_atom) {
            auto &st = self->state;
            if (int(st.ws.size()) < st.n) {
                st.ws.push_back(self->spawn(worker, key, value, actor_cast<actor>(self)));
                return;
            }
            st.started = now_ns();
            st.after = resident_bytes();
            st.called = st.started;
            if (st.call_each)
                call_from(self, 0);
            else
                stop_from(self, 0);
        },
    };
}

// Runs a driver for n servers; t0, started, called, stopped in ns.
void drive(actor_system &sys, int n, bool call_each, int64_t t[4], double mem[2])
{
    scoped_actor self{sys};
    sys.spawn(run_servers, n, call_each, actor{self});
    self->receive([&](int64_t t0, int64_t started, int64_t called, int64_t stopped,
                      double before, double after) {
        t[0] = t0, t[1] = started, t[2] = called, t[3] = stopped;
        mem[0] = before, mem[1] = after;
    });
}

void group_servers(actor_system &sys)
{
    int64_t t[4];
    double mem[2];
    drive(sys, servers, false, t, mem);
    print("start_us_per_server", double(t[1] - t[0]) / 1000 / servers);
    print("bytes_per_idle_server", (mem[1] - mem[0]) / servers);
    print("stop_us_per_server", double(t[3] - t[2]) / 1000 / servers);
}

void group_million(actor_system &sys)
{
    int64_t t[4];
    double mem[2];
    drive(sys, million, true, t, mem);
    print("million_servers_s", double(t[3] - t[0]) / 1e9);
    print("million_servers_peak_mb", peak_resident_mb());
}

void group_kill(actor_system &sys)
{
    scoped_actor self{sys};
    auto w = start(sys, self);
    self->monitor(w);
    for (int i = 0; i < queued; i++)
        self->send(w, work_atom::value, work_us);
    int64_t t0 = now_ns();
    self->send_exit(w, exit_reason::kill);
    self->receive([&](down_msg &d) {
        if (d.reason != exit_reason::kill)
            std::abort();
    });
    print("kill_with_100k_queued_us", double(now_ns() - t0) / 1e3);
}

void group_control(actor_system &sys)
{
    scoped_actor self{sys};
    std::vector<worker_actor> ws;
    for (int i = 0; i < idle_servers; i++)
        ws.push_back(start(sys, self));
    int64_t t1 = now_ns();
    for (auto &wi : ws) {
        self->monitor(wi);
        self->send_exit(wi, exit_reason::user_shutdown);
    }
    for (int i = 0; i < idle_servers; i++)
        self->receive([](down_msg &) {});
    print("shutdown_10k_servers_ms", double(now_ns() - t1) / 1e6);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench-caf calls|servers|million|kill|control WORKERS\n");
        return 2;
    }
    actor_system_config cfg;
    cfg.set("scheduler.max-threads", std::atoi(argv[2]));
    cfg.set("logger.verbosity", atom("quiet"));
    actor_system sys{cfg};
    if (std::strcmp(argv[1], "calls") == 0)
        group_calls(sys);
    else if (std::strcmp(argv[1], "servers") == 0)
        group_servers(sys);
    else if (std::strcmp(argv[1], "million") == 0)
        group_million(sys);
    else if (std::strcmp(argv[1], "kill") == 0)
        group_kill(sys);
    else if (std::strcmp(argv[1], "control") == 0)
        group_control(sys);
    else {
        std::fprintf(stderr, "bench-caf: unknown group '%s'\n", argv[1]);
        return 2;
    }
    std::fflush(stdout);
    return 0;
}
