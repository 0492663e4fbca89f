%% bench.erl: one repetition of one group of make bench's metrics, on
%% Erlang/OTP's gen_server; the same work as bench/bench.c, printed with the
%% prefix erlang_.  Run: erl -noshell -pa DIR -run bench main GROUP
%% (bench_scale uses its now_ns and resident_bytes)
-module(bench).
-export([main/1, now_ns/0, resident_bytes/0]).
-export([init/1]). % the supervisors group's supervisor

-define(KEY, '0x01f').
-define(VALUE, test).
-define(CALLS, 1000000).
-define(WARMUP, 10000).
-define(CASTS, 2000000).
-define(QUEUED_CALLS, 200000).
-define(BLOB_WORDS, 40).
-define(SERVERS, 100000).
-define(MILLION, 1000000).
-define(CONTENDERS, 16).
-define(CONTENDED_CALLS, 100000).
-define(QUEUED, 100000).
-define(WORK_US, 10).
-define(IDLE_SERVERS, 10000).
-define(REQUESTS, 10000).
-define(RESTARTS, 10000).
-define(DYNAMIC, 100000).

main([Group]) ->
    %% Each group runs in a fresh process of its own, like the C clients.
    Self = self(),
    spawn_link(fun() -> group(list_to_atom(Group)), Self ! done end),
    receive done -> ok end,
    halt(0).

now_ns() -> erlang:monotonic_time(nanosecond).

resident_bytes() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_Size, Resident | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Resident) * 4096.

peak_resident_mb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]),
                   binary:match(L, <<"VmHWM:">>) =/= nomatch],
    [_, Kb, _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb) / 1024.

calls(_Server, 0) -> ok;
calls(Server, N) -> {ok, ?VALUE} = bench_worker:query(Server, ?KEY), calls(Server, N - 1).

%% Every answer of a request-id collection, as they come.
answers(Reqs, N) ->
    case gen_server:receive_response(Reqs, infinity, true) of
        no_request -> N;
        {{reply, {ok, ?VALUE}}, _Label, Rest} -> answers(Rest, N + 1)
    end.

blob_calls(_Server, _Blob, 0) -> ok;
blob_calls(Server, Blob, N) ->
    {ok, ?VALUE} = bench_worker:query_blob(Server, Blob),
    blob_calls(Server, Blob, N - 1).

casts(_Server, 0) -> ok;
casts(Server, N) -> bench_worker:show(Server, ?KEY), casts(Server, N - 1).

%% A client process runs Fun and sends back the nanoseconds it took.
in_client(Fun) ->
    Parent = self(),
    Pid = spawn_link(fun() ->
        T0 = now_ns(), Fun(), Parent ! {self(), now_ns() - T0}
    end),
    receive {Pid, Ns} -> Ns end.

print(Name, Value) -> io:format("erlang_~s ~.3f~n", [Name, float(Value)]).

group(calls) ->
    {ok, Server} = bench_worker:start(?KEY, ?VALUE),
    in_client(fun() -> calls(Server, ?WARMUP) end),
    CallNs = in_client(fun() -> calls(Server, ?CALLS) end),
    print(call_rtt_ns, CallNs / ?CALLS),
    %% The bench's own process stands for C's main thread.
    calls(Server, ?WARMUP),
    T0 = now_ns(), calls(Server, ?CALLS),
    print(main_thread_call_rtt_ns, (now_ns() - T0) / ?CALLS),
    T2 = now_ns(),
    Reqs = lists:foldl(fun(I, C) -> gen_server:send_request(Server, {query, ?KEY}, I, C) end,
                       gen_server:reqids_new(), lists:seq(1, ?REQUESTS)),
    ?REQUESTS = answers(Reqs, 0),
    print(requests_10k_out_us, (now_ns() - T2) / 1000 / ?REQUESTS),
    CastNs = in_client(fun() ->
        Before = bench_worker:count(Server),
        casts(Server, ?CASTS),
        After = bench_worker:count(Server),
        ?CASTS = After - Before
    end),
    print(cast_msgs_per_s, ?CASTS / (CastNs / 1.0e9)),
    %% The calls that srv must queue (query_blob): Erlang queues every call.
    Blob = erlang:make_tuple(?BLOB_WORDS, 0),
    in_client(fun() -> blob_calls(Server, Blob, ?WARMUP) end),
    BlobNs = in_client(fun() -> blob_calls(Server, Blob, ?QUEUED_CALLS) end),
    print(queued_call_rtt_ns, BlobNs / ?QUEUED_CALLS),
    Parent = self(),
    T1 = now_ns(),
    Pids = [spawn_link(fun() -> calls(Server, ?CONTENDED_CALLS), Parent ! {self(), done} end)
            || _ <- lists:seq(1, ?CONTENDERS)],
    [receive {P, done} -> ok end || P <- Pids],
    print(contended16_calls_per_s, ?CONTENDERS * ?CONTENDED_CALLS / ((now_ns() - T1) / 1.0e9)),
    bench_worker:stop(Server);
group(servers) ->
    Before = resident_bytes(),
    T0 = now_ns(),
    Pids = [begin {ok, P} = bench_worker:start(?KEY, ?VALUE), P end
            || _ <- lists:seq(1, ?SERVERS)],
    T1 = now_ns(),
    After = resident_bytes(),
    [bench_worker:stop(P) || P <- Pids],
    T2 = now_ns(),
    print(start_us_per_server, (T1 - T0) / 1000 / ?SERVERS),
    print(bytes_per_idle_server, (After - Before) / ?SERVERS),
    print(stop_us_per_server, (T2 - T1) / 1000 / ?SERVERS);
group(hibernated) ->
    %% as bench.c's: each hibernates on a cast; sys:get_state behind it
    %% (which gen_server answers and hibernates again) says it was handled
    Before = resident_bytes(),
    Pids = [begin {ok, P} = bench_worker:start(?KEY, ?VALUE), bench_worker:rest(P), P end
            || _ <- lists:seq(1, ?SERVERS)],
    [sys:get_state(P) || P <- Pids],
    After = resident_bytes(),
    print(bytes_per_hibernated_server, (After - Before) / ?SERVERS),
    [bench_worker:stop(P) || P <- Pids];
group(million) ->
    T0 = now_ns(),
    Pids = [begin {ok, P} = bench_worker:start(?KEY, ?VALUE), P end
            || _ <- lists:seq(1, ?MILLION)],
    [{ok, ?VALUE} = bench_worker:query(P, ?KEY) || P <- Pids],
    [bench_worker:stop(P) || P <- Pids],
    print(million_servers_s, (now_ns() - T0) / 1.0e9),
    print(million_servers_peak_mb, peak_resident_mb());
group(kill) ->
    %% The bench's process monitors, as main does in bench.c.
    {ok, Server} = bench_worker:start(?KEY, ?VALUE),
    Ref = monitor(process, Server),
    [bench_worker:work(Server, ?WORK_US) || _ <- lists:seq(1, ?QUEUED)],
    T0 = now_ns(),
    exit(Server, kill),
    receive {'DOWN', Ref, process, Server, killed} -> ok end,
    print(kill_with_100k_queued_us, (now_ns() - T0) / 1.0e3);
group(control) ->
    %% A supervisor's shutdown of its dynamic children
    %% (supervisor:terminate_dynamic_children): shutdown to all at once,
    %% then every DOWN.
    Pids = [begin {ok, P} = bench_worker:start(?KEY, ?VALUE), P end
            || _ <- lists:seq(1, ?IDLE_SERVERS)],
    T1 = now_ns(),
    Mons = [begin M = monitor(process, P), exit(P, shutdown), M end || P <- Pids],
    [receive {'DOWN', M, process, _, _} -> ok end || M <- Mons],
    print(shutdown_10k_servers_ms, (now_ns() - T1) / 1.0e6);
group(supervisors) ->
    logger:set_primary_config(level, emergency),
    {ok, One} = supervisor:start_link(?MODULE, one),
    T0 = now_ns(),
    restarts(?RESTARTS),
    print(restart_us_per_child, (now_ns() - T0) / 1.0e3 / ?RESTARTS),
    stop_sup(One),
    {ok, Dyn} = supervisor:start_link(?MODULE, simple),
    T1 = now_ns(),
    [{ok, _} = supervisor:start_child(Dyn, []) || _ <- lists:seq(1, ?DYNAMIC)],
    T2 = now_ns(),
    print(start_100k_dynamic_children_s, (T2 - T1) / 1.0e9),
    stop_sup(Dyn),
    print(shutdown_100k_dynamic_children_s, (now_ns() - T2) / 1.0e9).

%% supervisor:init/1 of the supervisors group: one worker registered as
%% bench_child, or simple_one_for_one of temporary workers.
init(one) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 1},
          [#{id => w, start => {bench_worker, start_link, [bench_child, ?KEY, ?VALUE]}}]}};
init(simple) ->
    {ok, {#{strategy => simple_one_for_one, intensity => 1000000, period => 1},
          [#{id => w, start => {bench_worker, start_link, [?KEY, ?VALUE]},
             restart => temporary}]}}.

restarts(0) -> ok;
restarts(N) ->
    Old = whereis(bench_child),
    exit(Old, kill),
    New = wait_new(Old),
    {ok, ?VALUE} = bench_worker:query(New, ?KEY),
    restarts(N - 1).

wait_new(Old) ->
    case whereis(bench_child) of
        P when is_pid(P), P =/= Old -> P;
        _ -> erlang:yield(), wait_new(Old)
    end.

%% The bench's process is the supervisors' parent: its exit(shutdown)
%% shuts them down, as main's does in bench.c.
stop_sup(Sup) ->
    Ref = monitor(process, Sup),
    unlink(Sup),
    exit(Sup, shutdown),
    receive {'DOWN', Ref, process, Sup, _} -> ok end.

