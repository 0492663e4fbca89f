#!/usr/bin/env escript
%% send_request.erl: asynchronous calls (OTP 25).  wait_response that
%% times out keeps the request (a later wait gets the reply);
%% receive_response that times out abandons it (the late reply is never
%% seen); check_response matches a message against a request;
%% request-id collections with labels; a request to a dead server, to a
%% name nobody holds, to a name whose server exits: {error, {Reason,
%% ServerRef}}.
%% C twin: tests/runtime/test_request.c, line by line: request::
%% wait_response_that_times_out_keeps_the_request,
%% receive_response_abandons_at_its_timeout_and_the_late_reply_is_freed,
%% check_response_says_noreply_until_the_answer_has_come,
%% collection_says_which_request_and_label_answered,
%% collection_receive_abandons_every_request_at_its_timeout,
%% to_a_dead_server_is_answered_noproc, to_a_name_nobody_holds_is_answered_noproc,
%% to_a_name_whose_server_exits_is_answered_with_the_reason_and_the_name.
-module(send_request).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2]).

init(_) -> {ok, 0}.
handle_call({sleep, Ms}, _From, S) -> timer:sleep(Ms), {reply, {slept, Ms}, S};
handle_call({echo, X}, _From, S) -> {reply, X, S};
handle_call({leave, R}, _From, S) -> {stop, R, S}.
handle_cast(_, S) -> {noreply, S}.

main(_) ->
    {ok, P} = gen_server:start(?MODULE, [], []),
    R1 = gen_server:send_request(P, {sleep, 100}),
    io:format("wait_response 10: ~p~n", [gen_server:wait_response(R1, 10)]),
    io:format("wait_response again: ~p~n", [gen_server:wait_response(R1, 1000)]),
    R2 = gen_server:send_request(P, {sleep, 100}),
    io:format("receive_response 10: ~p~n", [gen_server:receive_response(R2, 10)]),
    timer:sleep(150),
    io:format("mailbox after the abandoned reply was due: ~p~n", [process_info(self(), messages)]),
    R3 = gen_server:send_request(P, {echo, hello}),
    Msg = receive M -> M end,
    io:format("check_response: ~p~n", [gen_server:check_response(Msg, R3)]),
    io:format("check_response of another message: ~p~n", [gen_server:check_response(other, R3)]),
    C0 = gen_server:reqids_new(),
    C1 = gen_server:send_request(P, {echo, one}, first, C0),
    C2 = gen_server:send_request(P, {echo, two}, second, C1),
    io:format("reqids_size: ~p~n", [gen_server:reqids_size(C2)]),
    io:format("labels: ~p~n", [lists:sort([L || {_, L} <- gen_server:reqids_to_list(C2)])]),
    {Resp1, L1, C3} = gen_server:wait_response(C2, 1000, true),
    {Resp2, L2, C4} = gen_server:receive_response(C3, 1000, true),
    io:format("collection: ~p ~p, ~p ~p, left ~p~n", [L1, Resp1, L2, Resp2, gen_server:reqids_size(C4)]),
    io:format("empty collection: ~p~n", [gen_server:wait_response(C4, 10, true)]),
    R5 = gen_server:send_request(P, {sleep, 100}),
    C5 = gen_server:reqids_add(R5, slow, gen_server:reqids_new()),
    io:format("collection receive_response 10: ~p~n", [gen_server:receive_response(C5, 10, true)]),
    gen_server:stop(P),
    R6 = gen_server:send_request(P, {echo, x}),
    io:format("to a dead server: ~p~n", [gen_server:receive_response(R6, 1000)]),
    R7 = gen_server:send_request(nobody_here, {echo, x}),
    io:format("to an unregistered name: ~p~n", [gen_server:receive_response(R7, 1000)]),
    {ok, _} = gen_server:start({local, leaving}, ?MODULE, [], []),
    R8 = gen_server:send_request(leaving, {leave, {shutdown, bye}}),
    io:format("to a name that exits: ~p~n", [gen_server:receive_response(R8, 1000)]),
    R9 = gen_server:send_request({via, global, nobody}, {echo, x}),
    io:format("to a via name nobody holds: ~p~n", [gen_server:receive_response(R9, 1000)]).
