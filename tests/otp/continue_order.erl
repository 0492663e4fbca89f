#!/usr/bin/env escript
%% C twin: tests/runtime/test_continue.c (a_call_replies_then_its_continue_runs_before_the_queued_cast, init_continue_and_its_chain_run_before_the_message_init_sent)
%% continue_order.erl: where handle_continue runs against queued messages.
%% init sends itself an info message, then returns {continue, a}; a call
%% returns {reply, R, S, {continue, c}} while a cast is already queued
%% behind it; a continue chains to another.  Prints the order the
%% callbacks ran in, and when the caller got its reply.
-module(continue_order).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2, handle_continue/2]).

init(Log) ->
    self() ! info_from_init,
    {ok, Log, {continue, a}}.
handle_continue(a, Log) -> Log ! {ran, continue_a}, {noreply, Log, {continue, b}};
handle_continue(b, Log) -> Log ! {ran, continue_b}, {noreply, Log};
handle_continue(c, Log) -> Log ! {ran, continue_c}, timer:sleep(20), {noreply, Log}.
handle_call(block, _From, Log) ->
    Log ! {ran, call_block}, timer:sleep(50), {reply, ok, Log};
handle_call(go, _From, Log) ->
    Log ! {ran, call_go}, {reply, ok, Log, {continue, c}}.
handle_cast(C, Log) -> Log ! {ran, {cast, C}}, {noreply, Log}.
handle_info(I, Log) -> Log ! {ran, {info, I}}, {noreply, Log}.

main(_) ->
    {ok, P} = gen_server:start(?MODULE, self(), []),
    Self = self(),
    spawn(fun() -> gen_server:call(P, block), Self ! block_done end),
    timer:sleep(10),
    spawn(fun() -> gen_server:call(P, go), Self ! {ran, go_replied} end),
    timer:sleep(10),
    gen_server:cast(P, after_go),
    timer:sleep(200),
    io:format("~p~n", [collect()]).

collect() -> receive {ran, X} -> [X | collect()]; block_done -> collect() after 100 -> [] end.
