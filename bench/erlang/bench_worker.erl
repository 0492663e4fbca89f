%% bench_worker.erl: the seed's worker without its printing, plus count,
%% work, query_blob and tally: the Erlang side of bench/worker.srv.
-module(bench_worker).
-behaviour(gen_server).

-export([start/2, start_link/2, start_link/3, query/2, query_blob/2, show/2, tally/2, count/1, work/2, rest/1, stop/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-record(state, {key, value, shows = 0}).

start(Key, Value) -> gen_server:start(?MODULE, [Key, Value], []).
%% A supervisor's child: linked, registered under Name or not.
start_link(Key, Value) -> gen_server:start_link(?MODULE, [Key, Value], []).
start_link(Name, Key, Value) -> gen_server:start_link({local, Name}, ?MODULE, [Key, Value], []).
query(Server, Key) -> gen_server:call(Server, {query, Key}, infinity).
%% Blob: a tuple of 40 integers, copied into the server's heap as srv's
%% 320-byte blob is copied into its envelope.
query_blob(Server, Blob) -> gen_server:call(Server, {query_blob, Blob}, infinity).
show(Server, Key) -> gen_server:cast(Server, {show, Key}).
%% Counted across all workers in Counter (bench_scale's casts).
tally(Server, Counter) -> gen_server:cast(Server, {tally, Counter}).
count(Server) -> gen_server:call(Server, count, infinity).
work(Server, Us) -> gen_server:cast(Server, {work, Us}).
rest(Server) -> gen_server:cast(Server, rest).
stop(Server) -> gen_server:stop(Server).

init([Key, Value]) -> {ok, #state{key = Key, value = Value}}.

handle_call({query, _Key}, _From, State = #state{value = Value}) ->
    {reply, {ok, Value}, State};
handle_call({query_blob, _Blob}, _From, State = #state{value = Value}) ->
    {reply, {ok, Value}, State};
handle_call({set, Key, Value}, _From, State) ->
    {reply, {ok, {Key, Value}}, State#state{key = Key, value = Value}};
handle_call(count, _From, State = #state{shows = Shows}) ->
    {reply, Shows, State}.

handle_cast({show, _Key}, State = #state{shows = Shows}) ->
    {noreply, State#state{shows = Shows + 1}};
handle_cast({tally, Counter}, State) ->
    counters:add(Counter, 1, 1),
    {noreply, State};
handle_cast(rest, State) ->
    {noreply, State, hibernate};
handle_cast({work, Us}, State) ->
    spin(erlang:monotonic_time(microsecond) + Us),
    {noreply, State}.

%% Computes until the deadline, as worker.srv's work does.
spin(Until) ->
    case erlang:monotonic_time(microsecond) < Until of
        true -> spin(Until);
        false -> ok
    end.

handle_info(_Info, State) -> {noreply, State}.

terminate(_Reason, _State) -> ok.
