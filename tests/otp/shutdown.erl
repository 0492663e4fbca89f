#!/usr/bin/env escript
%% shutdown.erl: the Erlang twin of srv_runtime_shutdown's tests in
%% tests/runtime/test_stop.c: a supervisor's shutdown of its dynamic
%% children (supervisor.erl, terminate_dynamic_children): exit(Pid,
%% shutdown) to every child at once, one timer for all, kill on timeout.
%% Run: escript tests/otp/shutdown.erl
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

init(Trap) -> process_flag(trap_exit, Trap), {ok, Trap}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast({sleep, Ms}, S) -> timer:sleep(Ms), {noreply, S};
handle_cast(spin, S) -> spin(), {noreply, S}.
handle_info(_, S) -> {noreply, S}.
terminate(Reason, _) -> io:format("  terminate(~p) ran in ~p~n", [Reason, self()]).

spin() -> spin().

%% Linked, as a supervisor's children are: an EXIT from the parent is what
%% ends a trapping gen_server with terminate.
start(Trap) -> {ok, Pid} = gen_server:start_link(?MODULE, Trap, []), Pid.

%% terminate_dynamic_children: returns the DOWN reasons and the time taken.
shutdown(Pids, Time) ->
    T0 = erlang:monotonic_time(microsecond),
    Mons = [begin M = monitor(process, P), exit(P, shutdown), M end || P <- Pids],
    TRef = erlang:start_timer(Time, self(), kill),
    Reasons = wait(Mons, Pids, TRef, []),
    {Reasons, (erlang:monotonic_time(microsecond) - T0) / 1000}.

wait([], _, TRef, Acc) -> erlang:cancel_timer(TRef), lists:usort(Acc);
wait(Mons, Pids, TRef, Acc) ->
    receive
        {'DOWN', M, process, _, R} -> wait(lists:delete(M, Mons), Pids, TRef, [R | Acc]);
        {timeout, TRef, kill} -> [exit(P, kill) || P <- Pids], wait(Mons, Pids, TRef, Acc)
    end.

main(_) ->
    process_flag(trap_exit, true), % as a supervisor does
    io:format("3 servers that do not trap exits and 2 that do, shutdown 5000 ms:~n"),
    {R1, Ms1} = shutdown([start(false) || _ <- [1, 2, 3]] ++ [start(true) || _ <- [1, 2]], 5000),
    io:format("  DOWN reasons ~p after ~.1f ms~n", [R1, Ms1]),

    Busy = [start(true) || _ <- lists:seq(1, 20)],
    [gen_server:cast(P, {sleep, 60000}) || P <- Busy],
    {R2, Ms2} = shutdown(Busy, 100),
    io:format("20 busy trapping servers, shutdown 100 ms: DOWN reasons ~p after ~.1f ms~n",
              [R2, Ms2]),

    Spinner = start(true),
    gen_server:cast(Spinner, spin),
    {R3, Ms3} = shutdown([Spinner], 100),
    io:format("a handler computing forever, shutdown 100 ms: DOWN reasons ~p after ~.1f ms~n",
              [R3, Ms3]),

    Idle = [start(false) || _ <- lists:seq(1, 10000)],
    {R4, Ms4} = shutdown(Idle, 5000),
    io:format("10000 idle servers, shutdown: DOWN reasons ~p after ~.1f ms~n", [R4, Ms4]),
    ok.
