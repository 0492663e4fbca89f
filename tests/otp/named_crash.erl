#!/usr/bin/env escript
%% named_crash.erl: the crash report of a registered server names it, and
%% the name is free once the caller has heard of the crash.  C twin:
%% tests/runtime/test_log.c, crash_report::names_the_registered_name.
-module(named_crash).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(_) -> {ok, 0}.
handle_call({crash, Why}, _From, _S) -> exit(Why).
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.

main(_) ->
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => false}}),
    {ok, Pid} = gen_server:start({local, named_crasher}, ?MODULE, [], []),
    catch gen_server:call(Pid, {crash, bad_thing}),
    timer:sleep(100),
    io:format("whereis afterwards: ~p~n", [whereis(named_crasher)]).
