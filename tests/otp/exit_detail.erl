#!/usr/bin/env escript
%% C twin: tests/runtime/test_reason.c (server tests/runtime/servers/parting.srv).
%% exit_detail.erl: exit reasons with detail.  {shutdown, Detail} is quiet
%% (no crash report) and reaches links, monitors, callers and terminate
%% whole; {normal, Detail} is not quiet; a bad return value's reason
%% carries the value; exit({oops, Detail}) is a crash reported whole; a
%% call to a dead pid or a missing name fails with {noproc, {gen_server,
%% call, ...}}, one that times out with {timeout, {gen_server, call,
%% [Server, Request, Timeout]}}; init's {stop, {shutdown, no_config}}
%% reaches the starter; gen_server:stop(P, {shutdown, rebalance}) reaches
%% terminate and the monitor; a linked process that does not trap exits
%% ends with the reason whole; exit(P, {oops, boom}) ends a server that
%% does not trap with it (no terminate, no report).  Each case prints one line per event; a
%% crash report prints as "report: Reason".
-module(exit_detail).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).
-export([log/2]).

init({Log, stop}) -> _ = Log, {stop, {shutdown, no_config}};
init({Log, bad}) -> _ = Log, {ok, Log, -7};
init(Log) -> {ok, Log}.
handle_call({stop_with, R}, _From, Log) -> {stop, R, stopped, Log};
handle_call({stop_silently, R}, _From, Log) -> {stop, R, Log};
handle_call({crash, D}, _From, _Log) -> exit({oops, D});
handle_call(hold, _From, Log) -> {noreply, Log};
handle_call({link_to, P}, _From, Log) -> link(P), {reply, ok, Log};
handle_call(bad, _From, _Log) -> {what, is, this}.
handle_cast({leave, D}, Log) -> {stop, {shutdown, D}, Log};
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
terminate(R, Log) -> Log ! {terminate, R}.

%% A logger handler that forwards each error report's reason to Log.
log(#{msg := {report, #{label := {gen_server, terminate}, reason := R}}}, #{config := Log}) ->
    Log ! {report, R};
log(_, _) -> ok.

reports() ->
    receive {report, R} -> [R | reports()] after 200 -> [] end.

run(Req) ->
    {ok, P} = gen_server:start(?MODULE, self(), []),
    Ref = monitor(process, P),
    Caller = (catch gen_server:call(P, Req)),
    T = receive {terminate, TR} -> TR after 500 -> none end,
    D = receive {'DOWN', Ref, process, P, DR} -> DR end,
    io:format("~p:~n  caller ~p~n  terminate ~p~n  DOWN ~p~n  reports ~p~n",
              [Req, Caller, T, D, reports()]),
    P.

main(_) ->
    logger:add_handler(twin, ?MODULE, #{config => self()}),
    logger:set_handler_config(default, level, none),
    run({stop_with, {shutdown, going_home}}),
    run({stop_silently, {shutdown, going_home}}),
    run({stop_with, {normal, x}}),
    run({crash, disk_full}),
    P = run(bad),
    io:format("call to the dead pid: ~p~n", [catch gen_server:call(P, get)]),
    io:format("call to a free name: ~p~n", [catch gen_server:call(nobody, get)]),
    {ok, H} = gen_server:start(?MODULE, self(), []),
    io:format("call that times out: ~p~n", [catch gen_server:call(H, hold, 10)]),
    {ok, C} = gen_server:start(?MODULE, self(), []),
    CRef = monitor(process, C),
    gen_server:cast(C, {leave, bye}),
    receive {'DOWN', CRef, process, C, CR} -> io:format("cast leave: DOWN ~p~n", [CR]) end,
    receive {terminate, CT} -> io:format("  terminate ~p~n", [CT]) end,
    io:format("init stop: ~p~n", [gen_server:start(?MODULE, {self(), stop}, [])]),
    io:format("init bad: ~p~n", [catch gen_server:start(?MODULE, {self(), bad}, [])]),
    {ok, S} = gen_server:start(?MODULE, self(), []),
    SRef = monitor(process, S),
    io:format("stop with detail: ~p~n", [gen_server:stop(S, {shutdown, rebalance}, 1000)]),
    receive {terminate, ST} -> io:format("  terminate ~p~n", [ST]) end,
    receive {'DOWN', SRef, process, S, SR} -> io:format("  DOWN ~p~n", [SR]) end,
    {ok, A} = gen_server:start(?MODULE, self(), []),
    {ok, B} = gen_server:start(?MODULE, self(), []),
    ok = gen_server:call(B, {link_to, A}),
    BRef = monitor(process, B),
    stopped = gen_server:call(A, {stop_with, {shutdown, 42}}),
    receive {terminate, AT} -> io:format("chain: first's terminate ~p~n", [AT]) end,
    receive {'DOWN', BRef, process, B, BR} -> io:format("  second's DOWN ~p~n", [BR]) end,
    receive {terminate, BT} -> io:format("  second's terminate ~p~n", [BT])
    after 200 -> io:format("  second's terminate: none~n") end,
    {ok, E} = gen_server:start(?MODULE, self(), []),
    ERef = monitor(process, E),
    exit(E, {oops, boom}),
    receive {'DOWN', ERef, process, E, ER} -> io:format("exit(E, {oops,boom}): DOWN ~p~n", [ER]) end,
    receive {terminate, ET} -> io:format("  terminate ~p~n", [ET])
    after 200 -> io:format("  terminate: none~n") end,
    io:format("  reports ~p~n", [reports()]),
    process_flag(trap_exit, true),
    {ok, L} = gen_server:start_link(?MODULE, self(), []),
    gen_server:call(L, {stop_with, {shutdown, 42}}),
    receive {'EXIT', L, Why} -> io:format("link got: ~p~n", [Why]) end,
    io:format("reports at the end: ~p~n", [reports()]).
