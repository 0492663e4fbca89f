%% e2e.erl: what links, monitors, exit signals and calls across nodes give
%% between two Erlang nodes (OTP 25), which test_node.c holds the srv node
%% to.  Run in its directory: erlc e2e.erl, then
%%   erl -noshell -sname e2e@localhost -setcookie abc -eval 'e2e:main(), init:stop().'
%% It printed:
%%   trapped link exit: {'EXIT',<8991.92.0>,boom}
%%   monitor down: {'DOWN',#Ref<0.2335414494.2378432513.116023>,process,
%%                         <8991.93.0>,boom}
%%   monitor dead pid: {'DOWN',#Ref<0.2335414494.2378432513.116026>,process,
%%                             <8991.93.0>,noproc}
%%   link to dead remote pid: {'EXIT',<8991.93.0>,noproc}
%%   untrapped local dies with: {'DOWN',#Ref<0.2335414494.2378432513.116032>,
%%                                      process,<0.89.0>,boom}
%%   remote linked sees: {remote_saw,crashed}
%%   exit/2 untrapped: {'DOWN',#Ref<0.2335414494.2378432513.116048>,process,
%%                             <8991.96.0>,stop_it}
%%   nodedown 1: {'EXIT',<8991.97.0>,noconnection}
%%   nodedown 2: {'DOWN',#Ref<0.2335414494.2378432513.116052>,process,<8991.97.0>,
%%                       noconnection}
%%   call to gone node's pid: {'EXIT',{{nodedown,'peer-2-14419@localhost'},
%%                                     {gen_server,call,[<8991.97.0>,x,1000]}}}
%%   hidden?: {[],[]}
-module(e2e).
-export([main/0]).
%% Erlang to Erlang: what links, monitors and exit signals across nodes give.
show(What, V) -> io:format("~s: ~p~n", [What, V]).
wait() -> receive M -> M after 5000 -> timeout end.

main() ->
    {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(), host => "localhost", args => ["-setcookie", "abc"]}),
    ok = rpc_ok(Node),
    process_flag(trap_exit, true),
    %% a linked remote process exits boom: trapped
    P1 = spawn(Node, fun() -> receive {ping, R} -> exit(R) end end),
    link(P1), P1 ! {ping, boom}, show("trapped link exit", wait()),
    %% monitor of a remote process that exits boom, then of a dead one
    P2 = spawn(Node, fun() -> receive {ping, R} -> exit(R) end end),
    M2 = monitor(process, P2), P2 ! {ping, boom}, show("monitor down", wait()),
    M3 = monitor(process, P2), show("monitor dead pid", wait()), _ = M3,
    %% link to a dead remote pid
    link(P2), show("link to dead remote pid", wait()),
    %% untrapped: a local process linked to a remote one that exits boom
    P4 = spawn(Node, fun() -> receive {ping, R} -> exit(R) end end),
    L = spawn(fun() -> link(P4), receive _ -> ok end end),
    ML = monitor(process, L), timer:sleep(100), P4 ! {ping, boom}, show("untrapped local dies with", wait()),
    %% the remote linked to us, we exit crash: what the remote's trapped process sees
    Me = self(),
    Watch = spawn(Node, fun() -> process_flag(trap_exit, true), Me ! {ready, self()},
                                receive {'EXIT', _, R} -> Me ! {remote_saw, R} end end),
    receive {ready, Watch} -> ok end,
    Victim = spawn(fun() -> link(Watch), receive go -> exit(crashed) end end),
    timer:sleep(100), Victim ! go, show("remote linked sees", wait()),
    %% exit/2 with a reason to an untrapped remote process
    P5 = spawn(Node, fun() -> receive after infinity -> ok end end),
    M5 = monitor(process, P5), exit(P5, stop_it), show("exit/2 untrapped", wait()), _ = M5,
    %% node goes: link and monitor
    P6 = spawn(Node, fun() -> receive after infinity -> ok end end),
    link(P6), M6 = monitor(process, P6),
    peer:stop(Peer),
    show("nodedown 1", wait()), show("nodedown 2", wait()), _ = {M2, ML, M6},
    %% a call to a pid of a node that is gone
    show("call to gone node's pid", catch gen_server:call(P6, x, 1000)),
    show("hidden?", {nodes(), nodes(hidden)}),
    ok.
rpc_ok(Node) -> pong = net_adm:ping(Node), ok.
