#!/usr/bin/env escript
%% The twin of test_memory.c's queue length tests: casts to a server busy
%% in a handler wait in its mailbox, counted by message_queue_len; so do
%% messages to a suspended server; handled, they are not.
-module(queue_len).
-behaviour(gen_server).
-mode(compile).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(N) -> {ok, N}.
handle_call(get, _From, N) -> {reply, N, N}.
handle_cast({sleep, Ms}, N) -> timer:sleep(Ms), {noreply, N};
handle_cast({bump, K}, N) -> {noreply, N + K}.
handle_info(tick, N) -> {noreply, N}.

len(P) -> element(2, process_info(P, message_queue_len)).

main(_) ->
    {ok, P} = gen_server:start(?MODULE, 0, []),
    io:format("idle: ~p~n", [len(P)]),
    gen_server:cast(P, {sleep, 500}),
    timer:sleep(50),
    io:format("while a handler sleeps: ~p~n", [len(P)]),
    [gen_server:cast(P, {bump, 1}) || _ <- lists:seq(1, 100)],
    P ! tick,
    io:format("after 100 casts and an info message: ~p~n", [len(P)]),
    io:format("total once handled: ~p, queue: ~p~n", [gen_server:call(P, get), len(P)]),
    sys:suspend(P),
    [gen_server:cast(P, {bump, 1}) || _ <- lists:seq(1, 10)],
    _ = sys:get_state(P),
    io:format("10 casts to a suspended server: ~p~n", [len(P)]),
    sys:resume(P),
    io:format("resumed: total ~p, queue ~p~n", [gen_server:call(P, get), len(P)]),
    gen_server:stop(P),
    io:format("dead: ~p~n", [process_info(P, message_queue_len)]).
