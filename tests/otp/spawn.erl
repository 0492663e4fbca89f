#!/usr/bin/env escript
%% spawn.erl: proc_lib's spawn family, the twin of
%% tests/runtime/test_spawn.c.  A function run as a process of its own:
%% returning is exit normal, with no report; an abnormal exit logs a
%% crash report (its fields below); spawn_link's EXIT and spawn_opt's
%% monitor's DOWN carry the reason; an exit signal ends a process that
%% does not trap exits, and one that traps receives it.
%% Run: escript tests/otp/spawn.erl
-module(spawn).
-mode(compile).
-export([main/1, log/2, returns/0, crashes/1, waits/0, traps/1]).

returns() -> ok.
crashes(Why) -> exit(Why).
waits() -> receive never -> ok end.
traps(Parent) ->
    process_flag(trap_exit, true),
    Parent ! trapping,
    receive {'EXIT', From, Reason} -> Parent ! {got, From, Reason} end.

down(Ref) -> receive {'DOWN', Ref, process, _, R} -> R after 5000 -> no_down end.

%% The crash report's fields, as a logger handler gets them.
log(#{msg := {report, #{label := {proc_lib, crash}, report := [Crasher, _Neighbours]}}}, Cfg) ->
    Show = [initial_call, pid, registered_name, error_info, ancestors,
            message_queue_len, links, trap_exit, status],
    Fields = [{K, element(2, lists:keyfind(K, 1, Crasher))} || K <- Show],
    maps:get(config, Cfg) ! {crash_report, Fields};
log(_, _) -> ok.

reports() ->
    receive {crash_report, F} -> [F | reports()] after 200 -> [] end.

main(_) ->
    logger:add_handler(twin, ?MODULE, #{config => self()}),
    logger:remove_handler(default),
    %% spawn of a function that returns: exit normal, no report
    P1 = proc_lib:spawn(?MODULE, returns, []),
    R1 = monitor(process, P1),
    io:format("spawn, returns: DOWN ~p, reports ~p~n", [down(R1), length(reports())]),

    %% exit(shutdown) and exit({shutdown, x}): no report either
    P2 = proc_lib:spawn(?MODULE, crashes, [shutdown]),
    R2 = monitor(process, P2),
    D2 = down(R2),
    P3 = proc_lib:spawn(?MODULE, crashes, [{shutdown, x}]),
    R3 = monitor(process, P3),
    io:format("spawn, exit shutdown, {shutdown,x}: DOWN ~p, ~p, reports ~p~n",
              [D2, down(R3), length(reports())]),

    %% an abnormal exit: the crash report
    P4 = proc_lib:spawn(?MODULE, crashes, [boom]),
    R4 = monitor(process, P4),
    io:format("spawn, exit boom: DOWN ~p~n", [down(R4)]),
    [[{initial_call, IC}, {pid, Pid}, {registered_name, RN}, {error_info, {Class, Why, _}},
      {ancestors, Anc}, {message_queue_len, QL}, {links, Links}, {trap_exit, TE},
      {status, St}]] = reports(),
    io:format("  crash report: initial_call ~p, pid is it ~p, registered_name ~p,~n"
              "  error_info {~p,~p,_}, ancestors are [self()] ~p, message_queue_len ~p,~n"
              "  links ~p, trap_exit ~p, status ~p~n",
              [IC, Pid =:= P4, RN, Class, Why, Anc =:= [self()], QL, Links, TE, St]),

    %% spawn_link, the parent trapping exits: EXIT with the reason
    process_flag(trap_exit, true),
    P5 = proc_lib:spawn_link(?MODULE, crashes, [boom]),
    receive {'EXIT', P5, W5} -> io:format("spawn_link, exit boom: EXIT ~p~n", [W5]) end,
    P6 = proc_lib:spawn_link(?MODULE, returns, []),
    receive {'EXIT', P6, W6} -> io:format("spawn_link, returns: EXIT ~p~n", [W6]) end,
    process_flag(trap_exit, false),
    reports(),

    %% spawn_opt with monitor: DOWN with the reason
    {P7, R7} = proc_lib:spawn_opt(?MODULE, crashes, [{shutdown, done}], [monitor]),
    io:format("spawn_opt monitor, exit {shutdown,done}: DOWN ~p (pid ~p)~n",
              [down(R7), is_pid(P7)]),
    {_, R8} = proc_lib:spawn_opt(?MODULE, crashes, [boom], [link, monitor]),
    process_flag(trap_exit, true),
    io:format("spawn_opt link monitor, exit boom: DOWN ~p, ", [down(R8)]),
    receive {'EXIT', _, W8} -> io:format("EXIT ~p~n", [W8]) end,
    process_flag(trap_exit, false),
    reports(),

    %% an exit signal to a spawned process that waits: it ends, with a report
    P9 = proc_lib:spawn(?MODULE, waits, []),
    R9 = monitor(process, P9),
    exit(P9, stop_it),
    io:format("exit(P, stop_it) to a waiting process: DOWN ~p, reports ~p~n",
              [down(R9), length(reports())]),
    P10 = proc_lib:spawn(?MODULE, waits, []),
    R10 = monitor(process, P10),
    exit(P10, kill),
    io:format("exit(P, kill): DOWN ~p, reports ~p~n", [down(R10), length(reports())]),
    P11 = proc_lib:spawn(?MODULE, waits, []),
    R11 = monitor(process, P11),
    exit(P11, normal),
    io:format("exit(P, normal) to one that does not trap: alive ~p~n", [is_process_alive(P11)]),
    exit(P11, kill), down(R11), reports(),

    %% trapped: it receives the signal as a message, and goes on
    Self = self(),
    P12 = proc_lib:spawn(?MODULE, traps, [Self]),
    R12 = monitor(process, P12),
    receive trapping -> ok end,
    exit(P12, stop_it),
    receive {got, From12, W12} ->
        io:format("trapping: got {'EXIT', self(), ~p} (from us ~p); DOWN ~p, reports ~p~n",
                  [W12, From12 =:= Self, down(R12), length(reports())])
    end.
