#!/usr/bin/env escript
%% timers_info.erl: erlang:send_after / start_timer, read_timer and
%% cancel_timer (the time left, false once fired or cancelled), and
%% process_info of a gen_server (status, queue, name, links, monitors,
%% current function), registered() and processes().
-module(timers_info).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(_) -> {ok, []}.
handle_call(get, _From, S) -> {reply, lists:reverse(S), S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(M, S) -> {noreply, [M | S]}.

main(_) ->
    {ok, P} = gen_server:start({local, ti}, ?MODULE, [], []),
    T1 = erlang:send_after(500, P, late),
    T2 = erlang:start_timer(10, P, soon),
    Left = erlang:read_timer(T1),
    io:format("read_timer: ~p (0 < left =< 500)~n", [Left > 0 andalso Left =< 500]),
    C = erlang:cancel_timer(T1),
    io:format("cancel_timer: left ~p, again ~p, read ~p~n", [C > 0 andalso C =< 500, erlang:cancel_timer(T1), erlang:read_timer(T1)]),
    timer:sleep(50),
    io:format("start_timer's message: ~p~n", [[M =:= {timeout, T2, soon} || M <- gen_server:call(P, get)]]),
    io:format("cancel a fired timer: ~p~n", [erlang:cancel_timer(T2)]),
    link(P), monitor(process, P),
    io:format("process_info: ~p~n", [process_info(P, [status, message_queue_len, registered_name, links, monitored_by, current_function])]),
    io:format("registered has ti: ~p, processes has P: ~p~n", [lists:member(ti, registered()), lists:member(P, processes())]).
