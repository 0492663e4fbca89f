#!/usr/bin/env escript
%% C twin: tests/runtime/test_supervisor.c (one_for_one_restarts_only_the_child_that_died, one_for_all_stops_the_others_in_reverse_order_and_starts_all, rest_for_one_restarts_the_child_and_those_started_after_it, transient_child_is_restarted_only_after_an_abnormal_exit, temporary_child_is_forgotten_when_it_dies)
%% supervisor_restart.erl: the restart strategies of supervisor.erl.  Three
%% workers a, b, c under one_for_one, one_for_all and rest_for_one; b is
%% killed; prints which children were restarted (their pids changed) and the
%% order of the terminate and init calls.  Then a transient child that stops
%% normal, with {shutdown, x}, and abnormally; a temporary child that crashes.
-module(supervisor_restart).
-mode(compile).
-behaviour(supervisor).
-export([main/1, init/1, start_worker/2]).
-export([wi/1, handle_call/3, handle_cast/2, terminate/2]).

%% the worker, a gen_server in the same module
start_worker(Id, Log) -> gen_server:start_link(?MODULE, {worker, Id, Log}, []).
wi({worker, Id, Log}) -> process_flag(trap_exit, true), Log ! {init, Id}, {ok, {Id, Log}}.
handle_call({stop, R}, _From, S) -> {stop, R, ok, S}.
handle_cast(_, S) -> {noreply, S}.
terminate(R, {Id, Log}) -> Log ! {terminate, Id, R}.

init({worker, _, _} = A) -> wi(A);
init({sup, Strategy, Children, Log}) ->
    {ok, {#{strategy => Strategy, intensity => 5, period => 10},
          [#{id => Id, start => {?MODULE, start_worker, [Id, Log]}, restart => Restart,
             shutdown => 1000} || {Id, Restart} <- Children]}}.

pids(Sup) -> [{Id, P} || {Id, P, _, _} <- lists:reverse(supervisor:which_children(Sup))].

events() -> receive {init, _} = E -> [E | events()]; {terminate, _, _} = E -> [E | events()] after 200 -> [] end.

main(_) ->
    logger:set_primary_config(level, emergency),
    process_flag(trap_exit, true),
    lists:foreach(fun(S) ->
        {ok, Sup} = supervisor:start_link(?MODULE, {sup, S, [{a, permanent}, {b, permanent}, {c, permanent}], self()}),
        events(),
        Before = pids(Sup),
        exit(proplists:get_value(b, Before), kill),
        Ev = events(),
        After = pids(Sup),
        Restarted = [Id || {Id, P} <- After, proplists:get_value(Id, Before) =/= P],
        io:format("~p: restarted ~p~n  events ~p~n", [S, Restarted, Ev]),
        unlink(Sup), exit(Sup, shutdown), timer:sleep(50), events()
    end, [one_for_one, one_for_all, rest_for_one]),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, one_for_one, [{t, transient}, {tmp, temporary}], self()}),
    events(),
    lists:foreach(fun(R) ->
        [{t, P} | _] = pids(Sup),
        catch gen_server:call(P, {stop, R}),
        timer:sleep(50),
        io:format("transient stopped with ~p: ~p~n", [R, case pids(Sup) of [{t, undefined} | _] -> not_restarted; [{t, P} | _] -> same; _ -> restarted end]),
        events(),
        supervisor:restart_child(Sup, t), events()
    end, [normal, {shutdown, x}, shutdown, boom]),
    [_, {tmp, Tmp}] = pids(Sup),
    exit(Tmp, kill), timer:sleep(50),
    io:format("temporary killed: children now ~p~n", [[Id || {Id, _} <- pids(Sup)]]).
