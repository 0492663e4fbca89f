#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c, sys::crashing_format_status_is_caught_as_otp_25_catches_it
%% format_status_crash.erl: a format_status/1 that crashes is caught by
%% gen:format_status/4: get_status and the crash report show the state as
%% the string "Mod:format_status/1 crashed"; the last message and the
%% reason are shown as they were.
-module(format_status_crash).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, format_status/1]).
init(N) -> {ok, #{count => N, secret => <<"crash">>}}.
handle_call({crash, Why}, _From, _S) -> exit(Why).
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
format_status(_Status) -> exit(oops).
main(_) ->
    {ok, P} = gen_server:start({local, st}, ?MODULE, 1, []),
    {status, _, _, [_, _, _, _, [_, _, State]]} = sys:get_status(P),
    io:format("get_status: ~p~n", [State]),
    io:format("get_state: ~p~n", [sys:get_state(P)]),
    catch gen_server:call(P, {crash, boom}),
    timer:sleep(200).
