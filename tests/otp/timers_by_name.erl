#!/usr/bin/env escript
%% C twin: tests/runtime/test_timer.c, timer::typed_timers_to_a_name_look_it_up_when_they_fire
%% (send_request by name: tests/runtime/test_request.c,
%% request::typed_send_request_by_name_or_srv_ref_reaches_its_holder).
%% timers_by_name.erl: erlang:send_after and start_timer to an atom look
%% the name up when the timer fires: no error while nobody holds it, the
%% message lost when nobody holds it then, delivered to whoever holds it
%% then; gen_server:send_request takes a name too, and one nobody holds
%% is answered {error, {noproc, Name}}.
-module(timers_by_name).
-mode(compile).
-behaviour(gen_server).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).
init(N) -> {ok, N}.
handle_call(pings, _From, N) -> {reply, N, N};
handle_call({add, K}, _From, N) -> {reply, N + K, N + K}.
handle_cast(_, N) -> {noreply, N}.
handle_info({ping, K}, N) -> {noreply, N + K};
handle_info({timeout, _Ref, {ping, K}}, N) -> {noreply, N + K}.
main(_) ->
    R0 = erlang:send_after(1, timer_peer, {ping, 1}),
    io:format("send_after to a name nobody holds: ~p~n", [is_reference(R0)]),
    timer:sleep(20),
    {ok, P} = gen_server:start({local, timer_peer}, ?MODULE, 0, []),
    erlang:send_after(1, timer_peer, {ping, 2}),
    erlang:start_timer(50, timer_peer, {ping, 3}),
    timer:sleep(100),
    io:format("pings after both fired: ~p (the first was lost)~n", [gen_server:call(P, pings)]),
    Req = gen_server:send_request(timer_peer, {add, 1}),
    io:format("send_request by name: ~p~n", [gen_server:wait_response(Req, 1000)]),
    gen_server:stop(P),
    Req2 = gen_server:send_request(timer_peer, {add, 1}),
    io:format("send_request to a name nobody holds: ~p~n", [gen_server:receive_response(Req2, 1000)]).
