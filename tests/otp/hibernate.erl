#!/usr/bin/env escript
%% C twin: tests/runtime/test_hibernate.c (init_cast_and_a_reply_hibernate_and_the_next_message_wakes, hibernate_after_hibernates_an_idle_server)
%% hibernate.erl: a server that returns hibernate (from init, a cast, a
%% call's reply) sits in erlang:hibernate/3 with a small heap, and the
%% next message wakes it with its state intact; hibernate_after puts an
%% idle server there on its own.
-module(hibernate).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(N) -> {ok, N, hibernate}.
handle_call(get, _From, N) -> {reply, N, N};
handle_call(bump_and_sleep, _From, N) -> {reply, N + 1, N + 1, hibernate}.
handle_cast(bump, N) -> {noreply, N + 1, hibernate}.
handle_info(_, N) -> {noreply, N}.

where(P) ->
    timer:sleep(20),
    {current_function, F} = process_info(P, current_function),
    {total_heap_size, H} = process_info(P, total_heap_size),
    {F, H}.

main(_) ->
    {ok, P} = gen_server:start(?MODULE, 0, []),
    io:format("after init: ~p~n", [where(P)]),
    gen_server:cast(P, bump),
    io:format("after cast: ~p~n", [where(P)]),
    io:format("call get: ~p, then ~p~n", [gen_server:call(P, get), where(P)]),
    io:format("call bump_and_sleep: ~p, then ~p~n", [gen_server:call(P, bump_and_sleep), where(P)]),
    {ok, Q} = gen_server:start(?MODULE, 0, [{hibernate_after, 50}]),
    gen_server:call(Q, get),
    io:format("hibernate_after 50, just called: ~p~n", [where(Q)]),
    timer:sleep(100),
    io:format("hibernate_after 50, 120 ms idle: ~p~n", [where(Q)]),
    io:format("woken: ~p~n", [gen_server:call(Q, get)]).
