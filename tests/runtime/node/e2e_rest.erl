%% e2e_rest.erl: what gen_server:send_request and gen_server:stop to a
%% pid of another node give between two Erlang nodes (OTP 25), which
%% test_node.c holds srv_send_request and srv_stop to.  Run in its
%% directory: erlc e2e_rest.erl, then
%%   erl -noshell -sname e2er@localhost -setcookie abc -eval 'e2e_rest:main(), init:stop().'
%% It printed (crash reports left out):
%%   request reply: {reply,2}
%%   request crash: {error,{boom,<8982.93.0>}}
%%   request dead pid: {error,{noproc,<8982.93.0>}}
%%   request {nobody,Node}: {error,{noproc,{nobody,'peer-2-15930@localhost'}}}
%%   request check none: no_reply
%%   request wait timeout: timeout
%%   stop remote: ok
%%   request after stop: {error,{normal,<8982.95.0>}}
%%   stop dead remote: {'EXIT',noproc}
%%   stop remote with reason: ok
%%   request node gone: {error,{noconnection,<8982.99.0>}}
%%   request to gone node: {error,{noconnection,<8982.99.0>}}
%%   stop gone node: {'EXIT',{{nodedown,'peer-2-15930@localhost'},
%%                            {sys,terminate,[<8982.99.0>,normal,infinity]}}}
%%   stop gone node 3: {'EXIT',{{nodedown,'peer-2-15930@localhost'},
%%                              {sys,terminate,[<8982.99.0>,normal,1000]}}}
-module(e2e_rest).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).

show(What, V) -> io:format("~s: ~p~n", [What, V]).

main() ->
    {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(), host => "localhost",
                                         args => ["-setcookie", "abc"]}),
    pong = net_adm:ping(Node),
    {module, _} = rpc:call(Node, code, load_binary, [?MODULE, "e2e_rest.beam",
                                                     element(2, code:get_object_code(?MODULE))]),
    S = fun() -> {ok, P} = rpc:call(Node, gen_server, start, [?MODULE, [], []]), P end,
    P1 = S(),
    show("request reply", gen_server:receive_response(gen_server:send_request(P1, {add, 2}), 5000)),
    show("request crash", gen_server:receive_response(gen_server:send_request(P1, crash), 5000)),
    show("request dead pid", gen_server:receive_response(gen_server:send_request(P1, {add, 1}), 5000)),
    show("request {nobody,Node}",
         gen_server:receive_response(gen_server:send_request({nobody, Node}, {add, 1}), 5000)),
    P2 = S(),
    R4 = gen_server:send_request(P2, hold),
    show("request check none", gen_server:check_response({x, y}, R4)),
    show("request wait timeout", gen_server:wait_response(R4, 100)),
    show("stop remote", catch gen_server:stop(P2)),
    show("request after stop", gen_server:wait_response(R4, 1000)),
    show("stop dead remote", catch gen_server:stop(P2)),
    P3 = S(),
    show("stop remote with reason", catch gen_server:stop(P3, {shutdown, bye}, 5000)),
    P4 = S(),
    R5 = gen_server:send_request(P4, hold),
    peer:stop(Peer),
    show("request node gone", gen_server:receive_response(R5, 5000)),
    show("request to gone node",
         gen_server:receive_response(gen_server:send_request(P4, {add, 1}), 5000)),
    show("stop gone node", catch gen_server:stop(P4)),
    show("stop gone node 3", catch gen_server:stop(P4, normal, 1000)),
    ok.

init([]) -> {ok, 0}.
handle_call({add, N}, _From, T) -> {reply, T + N, T + N};
handle_call(crash, _From, _) -> exit(boom);
handle_call(hold, _From, T) -> {noreply, T}.
handle_cast(_, T) -> {noreply, T}.
