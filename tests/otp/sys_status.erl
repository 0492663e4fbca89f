#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c, sys::get_status_has_otp_layout_and_format_status_state,
%% sys::get_state_is_the_state_not_format_status,
%% sys::trace_prints_every_message_in_and_out_as_dbg_lines,
%% sys::statistics_count_messages_in_and_out_from_when_turned_on (statistics),
%% sys::change_code_on_a_suspended_server_runs_code_change and
%% sys::change_code_while_running_is_refused_and_runs_nothing (change_code).
%% sys_status.erl: sys:get_status's layout with a format_status/1 (OTP 25
%% map form) that hides part of the state; sys:get_state; sys:trace's
%% *DBG* lines for a call, a cast and an info; sys:statistics; and
%% sys:change_code through suspend / code_change / resume.
-module(sys_status).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2,
         format_status/1, code_change/3]).

init(N) -> {ok, #{count => N, secret => "pw"}}.
handle_call(get, _From, S) -> {reply, maps:get(count, S), S}.
handle_cast({add, K}, S = #{count := N}) -> {noreply, S#{count := N + K}}.
handle_info(_, S) -> {noreply, S}.
format_status(Status) ->
    maps:map(fun(state, S) -> S#{secret := hidden}; (_, V) -> V end, Status).
code_change(OldVsn, S, Extra) ->
    io:format("code_change(~p, ~p, ~p)~n", [OldVsn, S, Extra]),
    {ok, S#{count := 100}}.

main(_) ->
    {ok, P} = gen_server:start({local, st}, ?MODULE, 1, []),
    io:format("get_status: ~p~n", [sys:get_status(st)]),
    io:format("get_state: ~p~n", [sys:get_state(st)]),
    ok = sys:trace(st, true),
    gen_server:call(st, get),
    gen_server:cast(st, {add, 2}),
    st ! hello,
    gen_server:call(st, get),
    ok = sys:trace(st, false),
    ok = sys:statistics(st, true),
    gen_server:call(st, get), gen_server:cast(st, {add, 1}),
    io:format("statistics: ~p~n", [sys:statistics(st, get)]),
    ok = sys:suspend(st),
    io:format("change_code: ~p~n", [sys:change_code(st, ?MODULE, "1", extra)]),
    ok = sys:resume(st),
    io:format("after change_code: ~p~n", [gen_server:call(st, get)]),
    io:format("change_code while running: ~p~n", [catch sys:change_code(st, ?MODULE, "1", extra, 100)]),
    exit(P, kill).
