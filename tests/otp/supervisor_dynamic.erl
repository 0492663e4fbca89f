#!/usr/bin/env escript
%% C twin: tests/runtime/test_supervisor.c (child_calls_answer_as_otp_does, simple_one_for_one_child_gets_template_and_extra_args, simple_one_for_one_holds_and_shuts_down_100k_children); bench: make bench, group supervisors
%% supervisor_dynamic.erl: dynamic children.  start_child, terminate_child,
%% restart_child, delete_child, which_children, count_children,
%% get_childspec on a one_for_one supervisor; and a simple_one_for_one one
%% whose start_child takes the extra arguments, holding 100,000 children,
%% shut down with it (time and memory printed as a rough guide).
-module(supervisor_dynamic).
-mode(compile).
-behaviour(supervisor).
-export([main/1, init/1, start_worker/2]).
-export([handle_call/3, handle_cast/2]).

start_worker(Base, Extra) -> gen_server:start_link(?MODULE, {worker, Base + Extra}, []).
handle_call(get, _From, N) -> {reply, N, N}.
handle_cast(_, S) -> {noreply, S}.

init({worker, N}) -> {ok, N};
init(one) -> {ok, {#{strategy => one_for_one}, []}};
init(simple) ->
    {ok, {#{strategy => simple_one_for_one},
          [#{id => w, start => {?MODULE, start_worker, [1000]}, restart => temporary}]}}.

spec(Id) -> #{id => Id, start => {?MODULE, start_worker, [0, 1]}}.

main(_) ->
    logger:set_primary_config(level, emergency),
    process_flag(trap_exit, true),
    {ok, S} = supervisor:start_link(?MODULE, one),
    {ok, P} = supervisor:start_child(S, spec(x)),
    io:format("start_child again: ~p~n", [supervisor:start_child(S, spec(x))]),
    io:format("count_children: ~p~n", [supervisor:count_children(S)]),
    io:format("get_childspec: ~p~n", [supervisor:get_childspec(S, x)]),
    io:format("delete_child while running: ~p~n", [supervisor:delete_child(S, x)]),
    io:format("terminate_child: ~p, alive ~p~n", [supervisor:terminate_child(S, x), is_process_alive(P)]),
    io:format("which_children: ~p~n", [supervisor:which_children(S)]),
    {ok, P2} = supervisor:restart_child(S, x),
    io:format("restart_child: new pid ~p, answers ~p~n", [P2 =/= P, gen_server:call(P2, get)]),
    ok = supervisor:terminate_child(S, x),
    io:format("delete_child: ~p, then get_childspec ~p~n", [supervisor:delete_child(S, x), supervisor:get_childspec(S, x)]),
    io:format("terminate_child unknown: ~p~n", [supervisor:terminate_child(S, nobody)]),
    {ok, D} = supervisor:start_link(?MODULE, simple),
    {ok, C1} = supervisor:start_child(D, [7]),
    io:format("simple_one_for_one child: ~p~n", [gen_server:call(C1, get)]),
    io:format("terminate_child by pid: ~p~n", [supervisor:terminate_child(D, C1)]),
    T0 = erlang:monotonic_time(microsecond),
    [{ok, _} = supervisor:start_child(D, [I]) || I <- lists:seq(1, 100000)],
    T1 = erlang:monotonic_time(microsecond),
    io:format("100000 children: ~p~n", [supervisor:count_children(D)]),
    unlink(D), exit(D, shutdown),
    R = monitor(process, D), receive {'DOWN', R, _, _, _} -> ok end,
    T2 = erlang:monotonic_time(microsecond),
    io:format("start ~~~p us/child, shutdown of all ~~~p ms~n", [(T1 - T0) div 100000, (T2 - T1) div 1000]).
