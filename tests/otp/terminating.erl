#!/usr/bin/env escript
%% The twin of test_stop.c's a_server_in_terminate_is_alive_...: a
%% gen_server is alive through its terminate.  It keeps its name; a
%% monitor and a link taken then hear the real reason once terminate is
%% done (not noproc); a caller and a second stopper wait in its mailbox
%% and hear the reason too; the first stopper's stop succeeds.
-module(terminating).
-behaviour(gen_server).
-mode(compile).
-export([main/1, init/1, handle_call/3, handle_cast/2, terminate/2]).

init([]) -> {ok, 0}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
terminate(_, _) -> receive release -> ok end.

main(_) ->
    {ok, P} = gen_server:start({local, terminating}, ?MODULE, [], []),
    Self = self(),
    spawn(fun() -> Self ! {first, catch gen_server:stop(P)} end),
    wait_in_terminate(P),
    io:format("alive in terminate: ~p, its name its own: ~p~n",
              [is_process_alive(P), whereis(terminating) =:= P]),
    process_flag(trap_exit, true),
    Ref = erlang:monitor(process, P),
    link(P),
    spawn(fun() -> Self ! {caller, catch gen_server:call(P, add, 5000)} end),
    spawn(fun() -> Self ! {second, catch gen_server:stop(P, normal, 5000)} end),
    ok = gen_server:cast(P, bump),
    wait_queued(P, 3),
    io:format("queued: ~p~n", [element(2, process_info(P, message_queue_len))]),
    P ! release,
    Got = [receive {first, F} -> {first_stopper, F} end,
           receive {second, S} -> {second_stopper, element(1, element(2, S))} end,
           receive {caller, C} -> {caller, element(1, element(2, C))} end,
           receive {'DOWN', Ref, process, P, D} -> {down, D} end,
           receive {'EXIT', P, E} -> {exit, E} end],
    [io:format("~p~n", [X]) || X <- Got],
    io:format("alive after: ~p, name held: ~p~n", [is_process_alive(P), whereis(terminating)]).

wait_in_terminate(P) ->
    case process_info(P, current_function) of
        {current_function, {?MODULE, terminate, 2}} -> ok;
        _ -> timer:sleep(1), wait_in_terminate(P)
    end.

wait_queued(P, N) ->
    case process_info(P, message_queue_len) of
        {message_queue_len, N} -> ok;
        _ -> timer:sleep(1), wait_queued(P, N)
    end.
