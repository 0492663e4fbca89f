#!/usr/bin/env escript
%% exit_signals.erl: the Erlang twin of tests/runtime/test_link.c's
%% signal tests.  A signal is not a message: kill, and an abnormal exit
%% to a process that does not trap exits, act ahead of queued mail and
%% through sys:suspend; a trapping process gets EXIT as a message, in
%% order.  Run: escript tests/otp/exit_signals.erl
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

%% The server counts the casts it handles in a counter the test reads
%% after the server is gone; `spin` computes until the test releases it.
init(Counter) -> {ok, {Counter, 0}}.
handle_call(casts, _From, S = {_, N}) -> {reply, N, S}.
handle_cast({spin, Flag}, S) -> spin(Flag), {noreply, S};
handle_cast(bump, {C, N}) -> counters:add(C, 1, 1), {noreply, {C, N + 1}}.
handle_info({'EXIT', _From, Reason}, S = {_, N}) ->
    io:format("  trapping: EXIT with ~p after ~p casts~n", [Reason, N]),
    {noreply, S}.
terminate(Reason, _) -> io:format("  terminate(~p) ran~n", [Reason]).

spin(Flag) -> case atomics:get(Flag, 1) of 0 -> spin(Flag); _ -> ok end.

busy(Trap) ->
    C = counters:new(1, []), Flag = atomics:new(1, []),
    {ok, Pid} = gen_server:start(?MODULE, C, []),
    Trap andalso sys:replace_state(Pid, fun(S) -> process_flag(trap_exit, true), S end),
    Ref = monitor(process, Pid),
    gen_server:cast(Pid, {spin, Flag}),
    {Pid, Ref, C, Flag}.

down(Ref) -> receive {'DOWN', Ref, process, _, R} -> R after 5000 -> no_down end.

casts(_, 0) -> ok;
casts(Pid, N) -> gen_server:cast(Pid, bump), casts(Pid, N - 1).

main(_) ->
    {P1, R1, C1, F1} = busy(false),
    casts(P1, 100000),
    T0 = erlang:monotonic_time(microsecond),
    exit(P1, kill),
    atomics:put(F1, 1, 1),
    D1 = down(R1),
    io:format("kill with 100000 casts queued: DOWN ~p, casts handled ~p (kill -> DOWN ~p us)~n",
              [D1, counters:get(C1, 1), erlang:monotonic_time(microsecond) - T0]),

    {P2, R2, C2, F2} = busy(false),
    casts(P2, 1000),
    exit(P2, boom),
    atomics:put(F2, 1, 1),
    io:format("our casts, then our exit(boom): DOWN ~p, casts handled ~p~n",
              [down(R2), counters:get(C2, 1)]),

    C3 = counters:new(1, []),
    {ok, P3} = gen_server:start(?MODULE, C3, []),
    R3 = monitor(process, P3),
    ok = sys:suspend(P3),
    casts(P3, 100),
    exit(P3, kill),
    io:format("kill to a suspended server: DOWN ~p, casts handled ~p~n",
              [down(R3), counters:get(C3, 1)]),

    {P4, R4, _, F4} = busy(false),
    Self = self(),
    spawn(fun() -> Self ! {stopped, catch gen_server:stop(P4, normal, infinity)} end),
    wait_queued(P4),
    exit(P4, kill),
    atomics:put(F4, 1, 1),
    io:format("kill after a queued stop: DOWN ~p, the stopper got ~p~n",
              [down(R4), receive {stopped, X} -> X end]),

    {P5, R5, _, F5} = busy(true),
    casts(P5, 100),
    spawn(fun() -> exit(P5, boom) end),
    timer:sleep(10), % the signal from that process is in P5's queue
    casts(P5, 100),
    atomics:put(F5, 1, 1),
    io:format("trapping server, 100 casts, exit(boom) from another process, 100 casts:~n"),
    io:format("  casts handled in all: ~p~n", [gen_server:call(P5, casts)]),
    exit(P5, kill), down(R5),
    ok.

wait_queued(Pid) ->
    case process_info(Pid, message_queue_len) of
        {message_queue_len, N} when N > 0 -> ok;
        _ -> timer:sleep(1), wait_queued(Pid)
    end.
