#!/usr/bin/env escript
%% names.erl: a server addressed by its registered name in call, cast,
%% send, stop and monitor; what each says when nobody holds the name;
%% multi_call and abcast over the local node; a {via, Module, Name}
%% registry (global here, which has the via interface).  C twin:
%% tests/runtime/test_name.c, name::call_cast_send_stop_and_monitor_take_a_registered_name,
%% name::a_name_nobody_holds_answers_as_otp_does,
%% name::multi_call_and_abcast_over_the_local_node and
%% name::start_call_cast_and_stop_by_a_via_name.
-module(names).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(N) -> {ok, N}.
handle_call(get, _From, N) -> {reply, N, N}.
handle_cast({add, K}, N) -> {noreply, N + K}.
handle_info({add, K}, N) -> {noreply, N + K}.

main(_) ->
    {ok, _} = gen_server:start({local, acc}, ?MODULE, 0, []),
    gen_server:cast(acc, {add, 1}),
    acc ! {add, 10},
    io:format("call by name: ~p~n", [gen_server:call(acc, get)]),
    Ref = monitor(process, acc),
    gen_server:stop(acc, normal, infinity),
    receive {'DOWN', Ref, process, Who, Why} -> io:format("DOWN by name: ~p ~p~n", [Who, Why]) end,
    io:format("call to nobody: ~p~n", [catch gen_server:call(acc, get)]),
    io:format("cast to nobody: ~p~n", [gen_server:cast(acc, {add, 1})]),
    io:format("send to nobody: ~p~n", [catch (acc ! x)]),
    io:format("stop nobody: ~p~n", [catch gen_server:stop(acc)]),
    R2 = monitor(process, acc),
    receive {'DOWN', R2, process, W2, Why2} -> io:format("monitor nobody: DOWN ~p ~p~n", [W2, Why2]) end,
    {ok, _} = gen_server:start({local, acc}, ?MODULE, 5, []),
    io:format("multi_call: ~p~n", [gen_server:multi_call(acc, get)]),
    io:format("multi_call, nobody: ~p~n", [gen_server:multi_call(nobody, get)]),
    io:format("abcast: ~p~n", [gen_server:abcast(acc, {add, 2})]),
    io:format("after abcast: ~p~n", [gen_server:call(acc, get)]),
    io:format("start a second acc: ~p~n", [gen_server:start({local, acc}, ?MODULE, 0, [])]),
    {ok, V} = gen_server:start({via, global, vacc}, ?MODULE, 7, []),
    io:format("via call: ~p, whereis_name ~p~n", [gen_server:call({via, global, vacc}, get), global:whereis_name(vacc) =:= V]),
    gen_server:cast({via, global, vacc}, {add, 1}),
    io:format("via after cast: ~p~n", [gen_server:call({via, global, vacc}, get)]),
    gen_server:stop({via, global, vacc}),
    io:format("via call to nobody: ~p~n", [catch gen_server:call({via, global, vacc}, get)]).
