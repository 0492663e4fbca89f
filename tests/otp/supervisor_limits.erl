#!/usr/bin/env escript
%% C twin: tests/runtime/test_supervisor.c (third_crash_within_intensity_two_shuts_the_supervisor_down, failed_start_stops_the_started_children_in_reverse_order, shutdown_waits_each_child_its_time_then_kills_it, a_child_killed_gives_a_supervisor_report_and_a_progress_report)
%% supervisor_limits.erl: what supervisor.erl does at its limits.
%% - intensity 2 in 10 s: the third crash shuts the children down in reverse
%%   order and the supervisor exits with shutdown (its linked starter sees it);
%% - a child whose start fails: the ones already started are stopped in
%%   reverse order and start_link returns the error;
%% - shutdown: a child that traps exits gets shutdown and its terminate runs;
%%   one whose terminate overruns its shutdown time is killed; brutal_kill;
%% - the supervisor reports (printed by the default logger handler).
-module(supervisor_limits).
-mode(compile).
-behaviour(supervisor).
-export([main/1, init/1, start_worker/3]).
-export([handle_call/3, handle_cast/2, terminate/2]).

start_worker(Id, Log, How) -> gen_server:start_link(?MODULE, {worker, Id, Log, How}, []).
handle_call(_, _From, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
terminate(R, {Id, Log, slow}) -> Log ! {terminate_begins, Id, R}, timer:sleep(5000);
terminate(R, {Id, Log, _}) -> Log ! {terminate, Id, R}.

init({worker, _Id, _Log, fail}) -> {stop, no_way};
init({worker, Id, Log, How}) -> process_flag(trap_exit, true), Log ! {init, Id}, {ok, {Id, Log, How}};
init({sup, Children, Log}) ->
    {ok, {#{strategy => one_for_one, intensity => 2, period => 10},
          [#{id => Id, start => {?MODULE, start_worker, [Id, Log, How]}, shutdown => Sd}
           || {Id, How, Sd} <- Children]}}.

events() -> receive E when element(1, E) =/= 'EXIT' -> [E | events()] after 300 -> [] end.

main(_) ->
    process_flag(trap_exit, true),
    logger:set_primary_config(level, emergency),
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, [{a, ok, 1000}, {b, ok, 1000}], self()}),
    events(),
    lists:foreach(fun(N) ->
        [_, {b, P, _, _}] = lists:reverse(supervisor:which_children(Sup)),
        exit(P, kill),
        timer:sleep(50),
        io:format("crash ~p: supervisor alive ~p, events ~p~n", [N, is_process_alive(Sup), events()])
    end, [1, 2, 3]),
    receive {'EXIT', Sup, Why} -> io:format("starter got EXIT ~p~n", [Why]) after 500 -> io:format("no EXIT~n") end,
    R = supervisor:start_link(?MODULE, {sup, [{a, ok, 1000}, {b, ok, 1000}, {c, fail, 1000}, {d, ok, 1000}], self()}),
    io:format("a start fails: ~p~n  events ~p~n", [R, events()]),
    {ok, S2} = supervisor:start_link(?MODULE, {sup, [{a, ok, 1000}, {s, slow, 100}, {k, ok, brutal_kill}], self()}),
    events(),
    T0 = erlang:monotonic_time(millisecond),
    unlink(S2), exit(S2, shutdown),
    Ref = monitor(process, S2),
    receive {'DOWN', Ref, _, _, W} -> ok end,
    io:format("shutdown took ~p ms (s's shutdown 100), reason ~p~n  events ~p~n",
              [(erlang:monotonic_time(millisecond) - T0) div 100 * 100, W, events()]),
    logger:set_primary_config(level, info),
    {ok, S3} = supervisor:start_link(?MODULE, {sup, [{r, ok, 1000}], self()}),
    [{r, Pr, _, _}] = supervisor:which_children(S3),
    exit(Pr, kill), timer:sleep(100), events(),
    unlink(S3), exit(S3, shutdown), timer:sleep(100).
