#!/usr/bin/env escript
%% special.erl: a special process (not a gen_server, but answering sys),
%% the twin of tests/runtime/test_special.c.  proc_lib:spawn_link runs
%% a loop that hands {system, From, Req} to sys:handle_system_msg with
%% its callbacks (system_continue, system_terminate, system_get_state,
%% system_replace_state, system_code_change), keeps a Debug made by
%% sys:debug_options, and reports each message it takes with
%% sys:handle_debug and a formatter of its own.  Its messages are EXIT
%% messages (it traps exits), which is all a process spawned in C gets.
%% From outside: get_status's layout for a special process ({module, Mod},
%% Misc last), suspend (a message waits until resume), get_state,
%% replace_state, trace (the formatter's *DBG* lines), log with get and
%% print, get_log/print_log from inside, statistics, and terminate
%% (system_terminate gets the reason).
%% Run: escript tests/otp/special.erl
-module(special).
-mode(compile).
-export([main/1, system_continue/3, system_terminate/4, system_get_state/1,
         system_replace_state/2, system_code_change/4, write_debug/3]).

init(Parent, Main) ->
    process_flag(trap_exit, true),
    Deb = sys:debug_options([]),
    Main ! {ready, self()},
    loop(Parent, Deb, {Main, 0}).

loop(Parent, Deb, {Main, N} = Misc) ->
    receive
        {system, From, Req} ->
            sys:handle_system_msg(Req, From, Parent, ?MODULE, Deb, Misc);
        {'EXIT', _, dump} ->
            Main ! {log, sys:get_log(Deb)},
            sys:print_log(Deb),
            loop(Parent, Deb, Misc);
        {'EXIT', _, _} = Msg ->
            Deb1 = sys:handle_debug(Deb, fun ?MODULE:write_debug/3, counter, {in, Msg}),
            loop(Parent, Deb1, {Main, N + 1})
    end.

%% The formatter writes the whole line, as sys's FormFunc does.
write_debug(Dev, Event, Name) ->
    io:format(Dev, "*DBG* ~p event = ~p~n", [Name, Event]).

system_continue(Parent, Deb, Misc) -> loop(Parent, Deb, Misc).
system_terminate(Reason, _Parent, _Deb, {Main, _}) ->
    Main ! {terminated, Reason},
    exit(Reason).
system_get_state({_, N}) -> {ok, N}.
system_replace_state(F, {Main, N}) -> N1 = F(N), {ok, N1, {Main, N1}}.
system_code_change(Misc, _, _, _) -> {ok, Misc}.

%% An exit signal from a process of its own (not the parent, whose EXIT
%% would end a suspended special process), over when it is delivered.
send(P, What) ->
    {H, R} = spawn_monitor(fun() -> exit(P, What) end),
    receive {'DOWN', R, _, H, _} -> ok end.

main(_) ->
    Me = self(),
    P = proc_lib:spawn_link(fun() -> init(Me, Me) end),
    receive {ready, P} -> ok end,
    Status = sys:get_status(P),
    io:format("status: ~p~n", [Status]),
    {status, P, {module, special}, [PDict, running, Me, [], {Me, 0}]} = Status,
    {'$ancestors', [Me]} = lists:keyfind('$ancestors', 1, PDict),
    {'$initial_call', _} = lists:keyfind('$initial_call', 1, PDict),

    ok = sys:suspend(P),
    send(P, bump),
    0 = sys:get_state(P),                         % not taken while suspended
    {status, _, _, [_, suspended | _]} = sys:get_status(P),
    ok = sys:resume(P),
    1 = sys:get_state(P),

    11 = sys:replace_state(P, fun(N) -> N + 10 end),
    11 = sys:get_state(P),

    ok = sys:trace(P, true),
    send(P, bump),                                 % *DBG* counter event = {in,...}
    ok = sys:trace(P, false),

    ok = sys:log(P, {true, 5}),
    send(P, bump),
    send(P, bump),
    {ok, Log} = sys:log(P, get),
    io:format("log: ~p~n", [Log]),
    [{in, {'EXIT', _, bump}}, {in, {'EXIT', _, bump}}] = Log,
    ok = sys:log(P, print),
    send(P, dump),                                 % get_log and print_log inside
    receive {log, Log} -> ok end,
    {status, _, _, [_, running, Me, [{log, _}], {Me, 14}]} = sys:get_status(P),

    ok = sys:statistics(P, true),
    send(P, bump),
    {ok, Stats} = sys:statistics(P, get),
    io:format("statistics: ~p~n", [Stats]),
    {messages_in, 1} = lists:keyfind(messages_in, 1, Stats),
    {messages_out, 0} = lists:keyfind(messages_out, 1, Stats),

    unlink(P),
    ok = sys:terminate(P, bye),
    receive {terminated, R} -> io:format("system_terminate: ~p~n", [R]) end,
    bye = R,
    io:format("special: ok~n").
