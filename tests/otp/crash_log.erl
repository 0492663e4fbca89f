#!/usr/bin/env escript
%% C twin: tests/runtime/test_log.c,
%% crash_report::goes_through_format_status_and_shows_the_log.
%% crash_log.erl: a crash report of a server with a format_status/1 that
%% hides part of the state and a log of two events: the state as
%% format_status leaves it, then "** Log ==" (the events, the state in
%% them unhidden) before the client.
-module(crash_log).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, format_status/1]).
init(N) -> {ok, #{count => N, secret => "pw"}}.
handle_call(get, _From, S) -> {reply, maps:get(count, S), S};
handle_call({crash, Why}, _From, _S) -> exit(Why).
handle_cast({add, K}, S = #{count := N}) -> {noreply, S#{count := N + K}}.
format_status(Status) ->
    maps:map(fun(state, S) -> S#{secret := hidden}; (_, V) -> V end, Status).
main(_) ->
    {ok, _} = gen_server:start({local, st}, ?MODULE, 12, [{debug, [{log, 2}]}]),
    gen_server:cast(st, {add, 2}),
    catch gen_server:call(st, {crash, bad_thing}),
    timer:sleep(100).
