#!/usr/bin/env escript
%% abandoned_call.erl: a call whose caller gives up while it waits in the
%% server's queue still runs (its side effects happen), and its late reply
%% is dropped.  C twin: tests/runtime/test_call.c,
%% call::abandoned_queued_call_still_runs_and_its_late_reply_is_dropped.
-module(abandoned_call).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

init(Total) -> {ok, Total}.
handle_call({sleep, Ms}, _From, T) -> timer:sleep(Ms), {reply, ok, T};
handle_call({add, N}, _From, T) -> {reply, T + N, T + N};
handle_call(get, _From, T) -> {reply, T, T}.
handle_cast(_, T) -> {noreply, T}.
handle_info(_, T) -> {noreply, T}.

main(_) ->
    {ok, Pid} = gen_server:start(?MODULE, 5, []),
    Self = self(),
    spawn(fun() -> gen_server:call(Pid, {sleep, 300}, infinity), Self ! slept end),
    timer:sleep(20), %% the sleep call is running: ours will queue
    R = (catch gen_server:call(Pid, {add, 1}, 20)),
    io:format("call with a 20 ms timeout: ~p~n", [element(1, element(2, R))]),
    receive slept -> ok end,
    io:format("total afterwards: ~p (the abandoned add ran)~n", [gen_server:call(Pid, get)]),
    receive Late -> io:format("late message in the caller's mailbox: ~p~n", [Late])
    after 100 -> io:format("no late reply in the caller's mailbox~n")
    end.
