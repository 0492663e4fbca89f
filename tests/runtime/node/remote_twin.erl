%% remote_twin.erl: tests/runtime/servers/remote.srv's protocol served by
%% an Erlang gen_server, for test_node.c's calls from srv to Erlang.  The
%% node that runs it stops when told {note, stop}, or when the server ends.
%% A second one, spare, may end (crash, gen_server:stop) and leave the
%% node up: a dead pid of a node still there.
-module(remote_twin).
-behaviour(gen_server).
-export([start/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

start() ->
    {ok, Pid} = gen_server:start({local, remote}, ?MODULE, [], []),
    {ok, _} = gen_server:start({local, spare}, ?MODULE, [], []),
    spawn(fun() -> M = monitor(process, Pid), receive {'DOWN', M, _, _, _} -> init:stop() end end),
    {ok, Pid}.

init([]) -> {ok, {0, undefined}}.

handle_call({add, N}, _From, {Total, Last}) -> {reply, Total + N, {Total + N, Last}};
handle_call({echo, T, D, F, R, S, W}, _From, State) -> {reply, {T, D, F, R, S, W}, State};
handle_call(whoami, _From, State) -> {reply, self(), State};
handle_call({crash, Reason}, _From, _State) -> exit(Reason);
handle_call({get, last}, _From, State = {_, Last}) -> {reply, {last, Last}, State};
handle_call(hold, From, State) -> put(held, From), {noreply, State}.

handle_cast({note, stop}, State) -> init:stop(), {noreply, State};
handle_cast({note, release}, State) -> gen_server:reply(get(held), held), {noreply, State};
handle_cast({note, What}, {Total, _}) -> {noreply, {Total, What}}.

handle_info({ping, What}, {Total, _}) -> {noreply, {Total, What}}.
