#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c, sys::trace_shows_a_continue_as_otp_25_prints_it
%% trace_continue.erl: sys:trace, sys:log and sys:statistics on a server
%% whose call and cast return {continue, C}: OTP 25 prints each continue
%% as a dbg event, "*DBG* st dbg  {continue,C}" (two spaces), then the
%% state after it; the log keeps {continue,C}; statistics count no
%% continue as a message in.
-module(trace_continue).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, handle_continue/2]).
init(N) -> {ok, #{count => N, secret => <<"pw">>}}.
handle_call({grow_later, K}, _From, #{count := N} = S) -> {reply, N, S, {continue, {grow, K}}}.
handle_cast(step, S) -> {noreply, S, {continue, more}}.
handle_info(_, S) -> {noreply, S}.
handle_continue({grow, K}, #{count := N} = S) -> {noreply, S#{count := N + K}};
handle_continue(more, #{count := N} = S) -> {noreply, S#{count := N + 1}}.
main(_) ->
    {ok, P} = gen_server:start({local, st}, ?MODULE, 1, []),
    sys:trace(P, true),
    sys:log(P, {true, 10}),
    sys:statistics(P, true),
    gen_server:call(P, {grow_later, 10}),
    gen_server:cast(P, step),
    {ok, Log} = sys:log(P, get),
    io:format("log: ~w~n", [[E || E <- Log, element(1, E) =:= continue]]),
    {ok, Stats} = sys:statistics(P, get),
    io:format("messages_in ~p, messages_out ~p~n",
              [proplists:get_value(messages_in, Stats), proplists:get_value(messages_out, Stats)]).
