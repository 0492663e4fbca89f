#!/usr/bin/env escript
%% C: tests/runtime/test_start.c, init_ack_answers_the_starter_and_messages_wait_for_inits_end
%% (and the other init_ack tests there); enter_loop: test_start.c,
%% enter_loop_makes_the_thread_a_server_under_its_name and
%% enter_loop_under_a_name_it_does_not_hold_exits_process_not_registered.
%% init_ack.erl: proc_lib:init_ack lets init answer its starter and go on
%% with slow setup; messages sent meanwhile wait in the mailbox.
%% enter_loop makes a process that proc_lib started a gen_server, with a
%% name and a timeout.
-module(init_ack).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, become/1]).

init(Log) ->
    proc_lib:init_ack({ok, self()}),
    Log ! {init, acked},
    timer:sleep(100),
    Log ! {init, setup_done},
    {ok, Log}.
handle_call(get, _From, Log) -> Log ! {handled, get}, {reply, ok, Log}.
handle_cast(_, S) -> {noreply, S}.
handle_info(timeout, Log) -> Log ! {handled, timeout}, {noreply, Log};
handle_info(_, S) -> {noreply, S}.

become(Log) ->
    register(entered, self()),
    proc_lib:init_ack({ok, self()}),
    gen_server:enter_loop(?MODULE, [], Log, {local, entered}, 50).

main(_) ->
    T0 = erlang:monotonic_time(millisecond),
    {ok, P} = gen_server:start(?MODULE, self(), []),
    io:format("start returned after ~p ms (init acked early)~n", [erlang:monotonic_time(millisecond) - T0]),
    ok = gen_server:call(P, get),
    io:format("~p~n", [collect()]),
    {ok, E} = proc_lib:start(?MODULE, become, [self()]),
    io:format("entered: ~p, whereis ~p~n", [E =:= whereis(entered), whereis(entered) =/= undefined]),
    receive {handled, timeout} -> io:format("enter_loop's timeout 50 fired~n") after 1000 -> io:format("no timeout~n") end,
    ok = gen_server:call(entered, get),
    receive {handled, get} -> io:format("call by the entered name answered~n") end,
    io:format("enter_loop with a name it does not hold: ~p~n", [catch_enter()]).

catch_enter() ->
    {P, R} = spawn_monitor(fun() -> gen_server:enter_loop(?MODULE, [], self(), {local, not_mine}) end),
    receive {'DOWN', R, process, P, Why} -> Why end.

collect() -> receive {_, _} = X -> [X | collect()] after 300 -> [] end.
