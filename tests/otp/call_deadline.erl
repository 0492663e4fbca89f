#!/usr/bin/env escript
%% The twin of test_inline.c: a call's deadline holds when the handler
%% blocks, the server goes on after its caller gave up, and stop's
%% deadline holds when terminate blocks.
-module(call_deadline).
-behaviour(gen_server).
-mode(compile).
-export([main/1, init/1, handle_call/3, handle_cast/2, terminate/2]).

init(Total) -> process_flag(trap_exit, true), {ok, #{total => Total, slow_terminate => 0}}.
handle_call({sleep, Ms}, _From, S) -> timer:sleep(Ms), {reply, ok, S};
handle_call(get, _From, S = #{total := T}) -> {reply, T, S};
handle_call({slow_terminate, Ms}, _From, S) -> {reply, ok, S#{slow_terminate := Ms}}.
handle_cast(_, S) -> {noreply, S}.
terminate(Reason, #{slow_terminate := Ms}) ->
    timer:sleep(Ms), io:format("terminate ~p after ~p ms~n", [Reason, Ms]).

ms(T0) -> erlang:convert_time_unit(erlang:monotonic_time() - T0, native, millisecond).

main(_) ->
    {ok, P} = gen_server:start(?MODULE, 5, []),
    T0 = erlang:monotonic_time(),
    R = (catch gen_server:call(P, {sleep, 300}, 50)),
    io:format("call with 50 ms timeout, handler sleeps 300 ms: ~p after ~p ms~n",
              [element(1, element(2, R)), ms(T0)]),
    io:format("server alive after the caller gave up: ~p~n", [is_process_alive(P)]),
    T1 = erlang:monotonic_time(),
    io:format("next call answered: ~p after ~p ms (queued behind the sleep)~n",
              [gen_server:call(P, get), ms(T1)]),
    ok = gen_server:call(P, {slow_terminate, 300}),
    T2 = erlang:monotonic_time(),
    S = (catch gen_server:stop(P, normal, 50)),
    io:format("stop with 50 ms timeout, terminate sleeps 300 ms: ~p after ~p ms~n",
              [S, ms(T2)]),
    timer:sleep(400),
    io:format("server alive after terminate finished: ~p~n", [is_process_alive(P)]).
