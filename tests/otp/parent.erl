#!/usr/bin/env escript
%% parent.erl: who is a gen_server's parent in each start mode.  A server
%% that traps exits is started with start, start_link and start_monitor;
%% its starter then sends it the exit signal shutdown.  Prints whether
%% terminate ran (the starter was the parent) or handle_info got the EXIT
%% (it was not).  C twin: tests/runtime/test_start.c, start::*parent*.
-module(parent).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

init(Starter) ->
    process_flag(trap_exit, true),
    {ok, Starter}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(Msg, Starter) ->
    Starter ! {handle_info, Msg},
    {noreply, Starter}.
terminate(Reason, Starter) ->
    Starter ! {terminate, Reason}.

start(start) -> gen_server:start(?MODULE, self(), []);
start(start_link) -> gen_server:start_link(?MODULE, self(), []);
start(start_monitor) ->
    {ok, {Pid, _Ref}} = gen_server:start_monitor(?MODULE, self(), []),
    {ok, Pid}.

main(_) ->
    process_flag(trap_exit, true),
    lists:foreach(fun(Mode) ->
        {ok, Pid} = start(Mode),
        exit(Pid, shutdown),
        Seen = receive
                   {terminate, R} -> {terminate_ran, R};
                   {handle_info, {'EXIT', From, R}} when From =:= self() ->
                       {handle_info_got_exit_from_starter, R}
               after 2000 -> nothing
               end,
        timer:sleep(50),
        io:format("~p: ~p, alive afterwards: ~p~n", [Mode, Seen, is_process_alive(Pid)]),
        flush(),
        exit(Pid, kill)
    end, [start, start_link, start_monitor]).

flush() -> receive _ -> flush() after 100 -> ok end.
