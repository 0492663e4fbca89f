%% bench_scale.erl: make bench-scale's costs per server for N servers on
%% Erlang/OTP's gen_server; the same work as bench/scale.c, printed as
%% "N erlang_metric value".  Run: erl +P ... -noshell -pa DIR -run bench_scale main N
-module(bench_scale).
-export([main/1]).

-define(KEY, '0x01f').
-define(VALUE, test).
-define(CALLS, 1000000).
-define(CASTS, 2000000).

main([NText]) ->
    N = list_to_integer(NText),
    Self = self(),
    spawn_link(fun() -> run(N), Self ! done end),
    receive done -> ok end,
    halt(0).

print(N, Name, Value) -> io:format("~b erlang_~s ~.4f~n", [N, Name, float(Value)]).

%% xorshift64, as scale.c picks its servers.
next_random(X0) ->
    X1 = X0 bxor ((X0 bsl 13) band 16#FFFFFFFFFFFFFFFF),
    X2 = X1 bxor (X1 bsr 7),
    (X2 bxor ((X2 bsl 17) band 16#FFFFFFFFFFFFFFFF)).

calls(_Pids, _N, _X, 0) -> ok;
calls(Pids, N, X0, Left) ->
    X = next_random(X0),
    {ok, ?VALUE} = bench_worker:query(element(X rem N + 1, Pids), ?KEY),
    calls(Pids, N, X, Left - 1).

casts(_Pids, _N, _Counter, I, I) -> ok;
casts(Pids, N, Counter, I, Casts) ->
    bench_worker:tally(element(I rem N + 1, Pids), Counter),
    casts(Pids, N, Counter, I + 1, Casts).

%% Looks every millisecond, as scale.c every 100 us, for the last cast.
wait(Counter, Casts) ->
    case counters:get(Counter, 1) >= Casts of
        true -> ok;
        false -> timer:sleep(1), wait(Counter, Casts)
    end.

run(N) ->
    Before = bench:resident_bytes(),
    T0 = bench:now_ns(),
    Pids = list_to_tuple([begin {ok, P} = bench_worker:start(?KEY, ?VALUE), P end
                          || _ <- lists:seq(1, N)]),
    T1 = bench:now_ns(),
    After = bench:resident_bytes(),
    print(N, start_us_per_server, (T1 - T0) / 1000 / N),
    print(N, bytes_per_server, (After - Before) / N),
    T2 = bench:now_ns(),
    calls(Pids, N, 88172645463325252, ?CALLS),
    print(N, random_call_rtt_ns, (bench:now_ns() - T2) / ?CALLS),
    %% A client process casts, as in scale.c.
    Counter = counters:new(1, [write_concurrency]),
    Casts = max(N, ?CASTS),
    T3 = bench:now_ns(),
    spawn_link(fun() -> casts(Pids, N, Counter, 0, Casts) end),
    wait(Counter, Casts),
    print(N, casts_per_s, Casts / ((bench:now_ns() - T3) / 1.0e9)).
