%% bench_remote.erl: the cluster's figures, measured from one Erlang
%% client node (bench/node.c runs it): gen_server calls and casts to the
%% srv node's worker ({worker, SrvNode}, bench/worker.srv) and, the same,
%% to an Erlang node's bench_worker on this machine (a peer started here).
%% Prints "srv METRIC VALUE" and "erl METRIC VALUE" lines.
-module(bench_remote).
-export([main/1]).

-define(CALLS, 20000).
-define(CASTS, 200000).

main([SrvNode]) ->
    Srv = {worker, list_to_atom(SrvNode)},
    Dir = filename:dirname(code:which(?MODULE)),
    {ok, Peer, PeerNode} = peer:start_link(#{name => peer:random_name(),
                                             host => "localhost",
                                             args => ["-pa", Dir, "-setcookie",
                                                      atom_to_list(erlang:get_cookie())]}),
    {ok, Pid} = erpc:call(PeerNode, bench_worker, start, ['0x01f', test]),
    true = erpc:call(PeerNode, erlang, register, [bench_worker, Pid]),
    Erl = {bench_worker, PeerNode},
    measure(srv, Srv),
    measure(erl, Erl),
    peer:stop(Peer),
    halt().

measure(Who, Server) ->
    calls(Server, 1000),                        % warm up
    T0 = erlang:monotonic_time(nanosecond),
    calls(Server, ?CALLS),
    T1 = erlang:monotonic_time(nanosecond),
    io:format("~s remote_call_rtt_us ~.3f~n", [Who, (T1 - T0) / ?CALLS / 1000]),
    Before = gen_server:call(Server, count, infinity),
    T2 = erlang:monotonic_time(nanosecond),
    casts(Server, ?CASTS),
    wait(Server, Before + ?CASTS),
    T3 = erlang:monotonic_time(nanosecond),
    io:format("~s remote_casts_per_s ~w~n", [Who, round(?CASTS / ((T3 - T2) / 1.0e9))]).

calls(_, 0) -> ok;
calls(Server, N) -> gen_server:call(Server, {query, '0x01f'}, infinity), calls(Server, N - 1).

casts(_, 0) -> ok;
casts(Server, N) -> gen_server:cast(Server, {show, '0x01f'}), casts(Server, N - 1).

%% count answers after the casts before it (one connection, in order)
wait(Server, Want) ->
    case gen_server:call(Server, count, infinity) of
        Want -> ok;
        Got when Got < Want -> wait(Server, Want)
    end.
