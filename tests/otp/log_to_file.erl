#!/usr/bin/env escript
%% C twin: tests/runtime/test_sys.c,
%% sys::log_to_file_writes_the_trace_lines_of_a_call_and_a_cast,
%% sys::log_to_file_to_another_file_closes_the_first,
%% sys::log_to_file_that_cannot_open_is_an_error_and_closes_the_file,
%% sys::log_to_file_false_and_no_debug_stop_the_writing.
%% log_to_file.erl: sys:log_to_file(Name, File) writes each event as
%% sys:trace prints it, a *DBG* line, to File as it happens (the file is
%% opened for writing: emptied first).  A new file closes the one before;
%% one that cannot be opened answers {error, open_file} and leaves none
%% open; false, and no_debug, close it.
-module(log_to_file).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).
init(N) -> {ok, #{count => N, secret => <<"pw">>}}.
handle_call(get, _From, S) -> {reply, maps:get(count, S), S}.
handle_cast({add, K}, S = #{count := N}) -> {noreply, S#{count := N + K}}.
handle_info(_, S) -> {noreply, S}.

read(File) -> {ok, Text} = file:read_file(File), binary_to_list(Text).

main(_) ->
    Dir = string:trim(os:cmd("mktemp -d")),
    One = filename:join(Dir, "one.log"),
    Two = filename:join(Dir, "two.log"),
    {ok, _} = gen_server:start({local, st}, ?MODULE, 1, []),
    ok = sys:log_to_file(st, One),
    1 = gen_server:call(st, get),
    ok = gen_server:cast(st, {add, 2}),
    _ = sys:get_state(st),
    Me = pid_to_list(self()),
    Want = "*DBG* st got call get from " ++ Me ++ "\n"
           "*DBG* st sent 1 to " ++ Me ++ ", new state #{count => 1,secret => <<\"pw\">>}\n"
           "*DBG* st got cast {add,2}\n"
           "*DBG* st new state #{count => 3,secret => <<\"pw\">>}\n",
    io:format("one:~n~s", [read(One)]),
    Want = read(One),

    %% another file: the first is closed, the second gets what follows
    ok = sys:log_to_file(st, Two),
    ok = gen_server:cast(st, {add, 1}),
    _ = sys:get_state(st),
    Want = read(One),
    "*DBG* st got cast {add,1}\n*DBG* st new state #{count => 4,secret => <<\"pw\">>}\n" = read(Two),

    %% a file that cannot be opened: an error, and none is open after
    {error, open_file} = sys:log_to_file(st, filename:join([Dir, "no", "such.log"])),
    [] = lists:nth(4, element(4, sys:get_status(st))),
    ok = gen_server:cast(st, {add, 1}),
    _ = sys:get_state(st),
    "*DBG* st got cast {add,1}\n*DBG* st new state #{count => 4,secret => <<\"pw\">>}\n" = read(Two),

    %% false stops it (also when none is open); so does no_debug
    ok = sys:log_to_file(st, One),
    ok = sys:log_to_file(st, false),
    ok = sys:log_to_file(st, false),
    ok = gen_server:cast(st, {add, 1}),
    _ = sys:get_state(st),
    "" = read(One),
    ok = sys:log_to_file(st, Two),
    ok = sys:no_debug(st),
    ok = gen_server:cast(st, {add, 1}),
    _ = sys:get_state(st),
    "" = read(Two),
    ok = gen_server:stop(st),
    os:cmd("rm -r " ++ Dir),
    io:format("ok~n").
