#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c, sys::get_status_shows_the_ancestors_by_name_or_pid
%% (and get_status_has_otp_layout_and_format_status_state for a server
%% the main process started).
%% ancestors.erl: sys:get_status's process dictionary holds
%% '$initial_call' and '$ancestors': the starter, then its ancestors, each
%% by its registered name when it has one (proc_lib:get_my_name); the
%% escript's main process, not started by proc_lib, ends the list.
-module(ancestors).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).
init(N) -> {ok, N}.
handle_call(start_child, _From, N) ->
    {ok, C} = gen_server:start_link(?MODULE, 0, []),
    {reply, C, N}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
pdict(P) -> {status, _, _, [PDict | _]} = sys:get_status(P), PDict.
main(_) ->
    {ok, Elder} = gen_server:start({local, elder}, ?MODULE, 0, []),
    Child = gen_server:call(Elder, start_child),
    io:format("main: ~p~n", [self()]),
    io:format("elder: ~w~n", [pdict(Elder)]),
    io:format("child: ~w~n", [pdict(Child)]).
