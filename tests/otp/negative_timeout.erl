#!/usr/bin/env escript
%% negative_timeout.erl: a negative timeout other than infinity.  A caller
%% that gives one is refused (gen:call's guard: function_clause); a
%% callback that returns one has returned a bad value, and its caller
%% gets no reply.  C twins: tests/runtime/test_call.c,
%% call::negative_timeouts_other_than_infinity_are_einval and
%% call::negative_timeout_from_a_callback_is_a_bad_return_value.
-module(negative_timeout).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(_) -> {ok, 0}.
handle_call({arm_timeout, Ms}, _From, S) -> {reply, ok, S, Ms};
handle_call(get, _From, S) -> {reply, S, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.

main(_) ->
    logger:set_primary_config(level, none),
    {ok, Pid} = gen_server:start(?MODULE, [], []),
    {'EXIT', {{Why, _}, _}} = (catch gen_server:call(Pid, get, -5)),
    io:format("call with timeout -5: ~p, server alive: ~p~n", [Why, is_process_alive(Pid)]),
    {'EXIT', {Reason, _}} = (catch gen_server:call(Pid, {arm_timeout, -5})),
    io:format("callback returning timeout -5: caller gets ~p~n", [Reason]).
