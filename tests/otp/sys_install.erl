#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c,
%% sys::installed_function_sees_a_call_and_a_cast_with_its_state_threaded,
%% sys::installing_a_function_again_keeps_the_one_installed,
%% sys::installed_function_that_says_done_is_removed,
%% sys::remove_takes_the_function_off_and_it_sees_nothing_more,
%% sys::installed_function_that_crashes_is_removed,
%% sys::no_debug_removes_installed_functions,
%% sys::installed_function_names_an_unnamed_server_by_its_pid.
%% sys_install.erl: sys:install(Name, {Func, FuncState}) on a gen_server.
%% Func(FuncState, Event, Name) runs inside the server at each event that
%% trace prints (a call in, its reply out with the state, a cast in, the
%% state after it); what it returns is its next FuncState, done takes it
%% off.  The newest installed runs first.  Installing a Func that is
%% installed already changes nothing (sys's install_debug keeps the
%% first); remove/2 takes it off (ok whether it was there or not); one
%% that crashes is taken off; no_debug takes them all off.  The third
%% argument is gen_server's Name: the registered name, else the pid.
-module(sys_install).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).
init(N) -> {ok, #{count => N, secret => <<"pw">>}}.
handle_call(get, _From, S) -> {reply, maps:get(count, S), S}.
handle_cast({add, K}, S = #{count := N}) -> {noreply, S#{count := N + K}}.
handle_info(_, S) -> {noreply, S}.

debug(Name) -> lists:nth(4, element(4, sys:get_status(Name))).

%% The events sent to us so far, each {Tag, Name, FuncState, Event}.
events() -> receive {ev, _, _, _} = E -> [E | events()] after 0 -> [] end.

main(_) ->
    Me = self(),
    F = fun(N, Ev, Name) -> Me ! {ev, Name, N, Ev}, N + 1 end,
    {ok, _} = gen_server:start({local, st}, ?MODULE, 1, []),
    ok = sys:install(st, {F, 0}),
    ok = sys:install(st, {F, 100}),  % installed already: the first stays
    1 = gen_server:call(st, get),
    ok = gen_server:cast(st, {add, 2}),
    _ = sys:get_state(st),           % the cast's events are over
    Events = events(),
    io:format("events: ~p~n", [Events]),
    [{ev, st, 0, {in, {'$gen_call', From, get}}},
     {ev, st, 1, {out, 1, From, #{count := 1}}},
     {ev, st, 2, {in, {'$gen_cast', {add, 2}}}},
     {ev, st, 3, {noreply, #{count := 3}}}] = Events,
    [{F, 4}] = debug(st),            % its state, threaded through
    io:format("debug: ~p~n", [debug(st)]),

    %% done after two events: taken off; the newest runs first
    G = fun(N, Ev, Name) -> Me ! {ev, Name, {g, N}, Ev}, case N of 1 -> done; _ -> N + 1 end end,
    ok = sys:install(st, {G, 0}),
    ok = gen_server:cast(st, {add, 1}),
    4 = gen_server:call(st, get),
    Events2 = events(),
    io:format("with done: ~p~n", [Events2]),
    [{ev, st, {g, 0}, {in, _}}, {ev, st, 4, {in, _}},
     {ev, st, {g, 1}, {noreply, _}}, {ev, st, 5, {noreply, _}},
     {ev, st, 6, {in, _}}, {ev, st, 7, {out, 4, _, _}}] = Events2,
    [{F, 8}] = debug(st),

    %% remove: off, nothing more seen; again: ok all the same
    ok = sys:remove(st, F),
    ok = sys:remove(st, F),
    ok = gen_server:cast(st, {add, 1}),
    _ = sys:get_state(st),
    [] = events(),
    [] = debug(st),

    %% a crash takes it off
    Crash = fun(_, _, _) -> error(boom) end,
    ok = sys:install(st, {Crash, x}),
    ok = gen_server:cast(st, {add, 1}),
    [] = debug(st),

    %% no_debug: all off
    ok = sys:install(st, {F, 0}),
    ok = sys:trace(st, true),
    ok = sys:no_debug(st),
    [] = debug(st),

    %% an unnamed server is named by its pid
    {ok, P} = gen_server:start(?MODULE, 1, []),
    ok = sys:install(P, {F, 0}),
    ok = gen_server:cast(P, {add, 1}),
    _ = sys:get_state(P),
    [{ev, P, 0, {in, _}}, {ev, P, 1, {noreply, #{count := 2}}}] = events(),
    io:format("ok~n").
