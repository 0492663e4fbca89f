%% bench_remote.erl: the cluster's figures, measured from one Erlang
%% client node (bench/node.c runs it): gen_server calls and casts to the
%% srv node's worker ({worker, SrvNode}, bench/worker.srv), the same to
%% an Erlang node's bench_worker on this machine (a peer started here),
%% and the same again from a second srv program, a node of its own
%% (bench/node --client, run here as a port and told what to do).
%% Prints "srv METRIC VALUE" and "erl METRIC VALUE" lines.
%%
%% The three clients' calls are made in turns, ?ROUNDS rounds of
%% ?CALLS div ?ROUNDS each, and so are their casts: the loopback's
%% latency on this machine moves by a third from one second to the next,
%% and three figures measured one after the other would compare three
%% moments, not three clients.
-module(bench_remote).
-export([main/1, calls/2, casts/2]).

-define(CALLS, 20000).
-define(ROUNDS, 20).
-define(CASTS, 200000).

main([SrvNode, Client]) ->
    Srv = {worker, list_to_atom(SrvNode)},
    Dir = filename:dirname(code:which(?MODULE)),
    {ok, Peer, PeerNode} = peer:start_link(#{name => peer:random_name(),
                                             host => "localhost",
                                             args => ["-pa", Dir, "-setcookie",
                                                      atom_to_list(erlang:get_cookie())]}),
    {ok, Pid} = erpc:call(PeerNode, bench_worker, start, ['0x01f', test]),
    true = erpc:call(PeerNode, erlang, register, [bench_worker, Pid]),
    Erl = {bench_worker, PeerNode},
    Port = open_port({spawn_executable, Client},
                     [{args, ["--client", SrvNode, atom_to_list(erlang:get_cookie())]},
                      {line, 256}, use_stdio, exit_status]),
    calls(Srv, 1000),                           % warm up
    calls(Erl, 1000),
    client(Port, "calls 1000"),
    {SrvUs, ErlUs, ClientUs} = rounds(calls, Srv, Erl, Port, ?CALLS, {0, 0, 0}),
    io:format("srv remote_call_rtt_us ~.3f~n", [SrvUs / ?CALLS]),
    io:format("erl remote_call_rtt_us ~.3f~n", [ErlUs / ?CALLS]),
    io:format("srv srv_remote_call_rtt_us ~.3f~n", [ClientUs / ?CALLS]),
    {SrvCastUs, ErlCastUs, ClientCastUs} = rounds(casts, Srv, Erl, Port, ?CASTS, {0, 0, 0}),
    io:format("srv remote_casts_per_s ~w~n", [round(?CASTS / SrvCastUs * 1.0e6)]),
    io:format("erl remote_casts_per_s ~w~n", [round(?CASTS / ErlCastUs * 1.0e6)]),
    io:format("srv srv_remote_casts_per_s ~w~n", [round(?CASTS / ClientCastUs * 1.0e6)]),
    port_close(Port),
    peer:stop(Peer),
    halt().

%% Total calls (or casts) made in ?ROUNDS rounds, each the Erlang
%% client's to srv, to Erlang, then the srv client's; the us each of the
%% three took, summed.
rounds(What, Srv, Erl, Port, Total, Sums) ->
    rounds(What, Srv, Erl, Port, Total div ?ROUNDS, ?ROUNDS, Sums).

rounds(_, _, _, _, _, 0, Sums) -> Sums;
rounds(What, Srv, Erl, Port, K, N, {S, E, C}) ->
    S1 = timed(fun() -> ?MODULE:What(Srv, K) end),
    E1 = timed(fun() -> ?MODULE:What(Erl, K) end),
    C1 = list_to_float(client(Port, atom_to_list(What) ++ " " ++ integer_to_list(K))),
    rounds(What, Srv, Erl, Port, K, N - 1, {S + S1, E + E1, C + C1}).

timed(F) ->
    T0 = erlang:monotonic_time(nanosecond),
    F(),
    (erlang:monotonic_time(nanosecond) - T0) / 1000.

%% A command to the srv client, and its one line of answer.
client(Port, Command) ->
    port_command(Port, Command ++ "\n"),
    receive
        {Port, {data, {eol, Line}}} -> Line;
        {Port, {exit_status, Status}} -> exit({client_exited, Status})
    end.

calls(_, 0) -> ok;
calls(Server, N) -> gen_server:call(Server, {query, '0x01f'}, infinity), calls(Server, N - 1).

%% N casts, then calls of count until the server has seen them all
casts(Server, N) ->
    Before = gen_server:call(Server, count, infinity),
    cast(Server, N),
    wait(Server, Before + N).

cast(_, 0) -> ok;
cast(Server, N) -> gen_server:cast(Server, {show, '0x01f'}), cast(Server, N - 1).

%% count answers after the casts before it (one connection, in order)
wait(Server, Want) ->
    case gen_server:call(Server, count, infinity) of
        Want -> ok;
        Got when Got < Want -> wait(Server, Want)
    end.
