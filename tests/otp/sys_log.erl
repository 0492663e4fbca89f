#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c, sys::log_keeps_the_last_n_events and
%% sys::debug_trace_start_option_traces_from_the_first_message;
%% tests/runtime/test_log.c,
%% crash_report::goes_through_format_status_and_shows_the_log.
%% sys_log.erl: the debug start option: {log, 3} keeps the last three
%% events (oldest first in get_status's "Logged events" and in sys:log get,
%% newest first in the Debug list), sys:log print writes them as *DBG*
%% lines; [trace] traces from the first message; a crash report of a
%% server with {log, 2} and a format_status/1 that hides part of the
%% state: the state as format_status leaves it, then "** Log ==" (the
%% events, the state in them unhidden) before the client.
-module(sys_log).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, format_status/1]).
init(N) -> {ok, #{count => N, secret => "pw"}}.
handle_call({crash, Why}, _From, _S) -> exit(Why);
handle_call(get, _From, S) -> {reply, maps:get(count, S), S}.
handle_cast({add, K}, S = #{count := N}) -> {noreply, S#{count := N + K}}.
handle_info(_, S) -> {noreply, S}.
format_status(Status) ->
    maps:map(fun(state, S) -> S#{secret := hidden}; (_, V) -> V end, Status).
main(_) ->
    {ok, _} = gen_server:start({local, st}, ?MODULE, 1, [{debug, [{log, 3}]}]),
    gen_server:call(st, get),
    gen_server:cast(st, {add, 2}),
    st ! hello,
    gen_server:call(st, get),
    io:format("get_status: ~p~n", [sys:get_status(st)]),
    io:format("log get: ~p~n", [sys:log(st, get)]),
    sys:log(st, print),
    ok = sys:log(st, false),
    io:format("log get after false: ~p~n", [sys:log(st, get)]),
    {ok, _} = gen_server:start({local, st2}, ?MODULE, 1, [{debug, [trace]}]),
    io:format("get_status2: ~p~n", [sys:get_status(st2)]),
    gen_server:cast(st2, {add, 2}),
    gen_server:call(st2, get),
    {ok, _} = gen_server:start({local, st3}, ?MODULE, 12, [{debug, [{log, 2}]}]),
    gen_server:cast(st3, {add, 2}),
    catch gen_server:call(st3, {crash, bad_thing}),
    timer:sleep(100).
