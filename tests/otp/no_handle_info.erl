#!/usr/bin/env escript
%% no_handle_info.erl: a callback timeout in a module without handle_info
%% is logged as a warning and the server goes on.  C twin:
%% tests/runtime/test_timer.c,
%% timer::callback_timeout_without_an_info_timeout_handler_is_logged.
-module(no_handle_info).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2]).

init(_) -> {ok, 0}.
handle_call({arm, Ms}, _From, S) -> {reply, ok, S, Ms};
handle_call(pings, _From, S) -> {reply, S, S}.
handle_cast(_, S) -> {noreply, S}.

main(_) ->
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => false}}),
    {ok, Pid} = gen_server:start(?MODULE, [], []),
    ok = gen_server:call(Pid, {arm, 10}),
    timer:sleep(200),
    io:format("alive after the timeout: ~p, pings: ~p~n",
              [is_process_alive(Pid), gen_server:call(Pid, pings)]).
