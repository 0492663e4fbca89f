#!/usr/bin/env escript
%% The twin of test_memory.c's monitor tests: a process that monitors a
%% server and ends takes its monitor off the server's list (10,000 of them
%% leave it as it was), and a monitor that fires leaves its watcher's.
-module(monitor_exit).
-behaviour(gen_server).
-mode(compile).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(N) -> {ok, N}.
handle_call({monitor, Pid}, _From, S) -> {reply, erlang:monitor(process, Pid), S};
handle_call(_, _From, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(Down, S) -> io:format("watcher got ~p~n", [element(1, Down)]), {noreply, S}.

monitored_by(P) -> length(element(2, process_info(P, monitored_by))).
monitors(P) -> length(element(2, process_info(P, monitors))).

main(_) ->
    {ok, S} = gen_server:start(?MODULE, 0, []),
    io:format("monitors of the server before: ~p~n", [monitored_by(S)]),
    Self = self(),
    Pids = [spawn(fun() -> erlang:monitor(process, S), Self ! {set, self()} end)
            || _ <- lists:seq(1, 10000)],
    [receive {set, P} -> ok end || P <- Pids],
    Refs = [erlang:monitor(process, P) || P <- Pids],
    [receive {'DOWN', R, process, _, _} -> ok end || R <- Refs],
    io:format("after 10000 processes monitored it and ended: ~p~n", [monitored_by(S)]),
    {ok, W} = gen_server:start(?MODULE, 0, []),
    gen_server:call(W, {monitor, S}),
    io:format("a server watches it: ~p; the watcher holds ~p~n", [monitored_by(S), monitors(W)]),
    gen_server:stop(W),
    io:format("after the watcher stopped: ~p~n", [monitored_by(S)]),
    {ok, W2} = gen_server:start(?MODULE, 0, []),
    gen_server:call(W2, {monitor, S}),
    gen_server:stop(S),
    timer:sleep(50),
    io:format("after the watched one stopped, the watcher holds ~p~n", [monitors(W2)]).
