#!/usr/bin/env escript
%% bank.erl: the Erlang twin of examples/bank (checked by its
%% expected.txt in tests/scripts/examples.sh): the same tree (bank, a
%% one_for_one root of ledger, accounts and teller; accounts, a
%% simple_one_for_one supervisor of transient account servers registered
%% as 'acct:NAME'), the same script, the same crash, and the orderly
%% shutdown init:stop/0 would make, where the C program gets its Ctrl-C.  It prints the
%% lines examples/bank/expected.txt holds, and the two reports on the
%% standard error that examples/bank/expected-stderr.sh looks for.
%% Run: escript tests/otp/bank.erl
-module(bank).
-mode(compile).
-export([main/1, init/1, handle_call/3, handle_cast/2, handle_info/2,
         handle_continue/2, terminate/2, start/2, start/3]).

%% ---- the supervisors (bank.srv, accounts.srv) and the servers' starts
start(Kind, Args) -> gen_server:start_link(?MODULE, {Kind, Args}, []).
start(account, Name, Opening) -> start(account, [Name, Opening]).

init(bank) ->
    {ok, {#{strategy => one_for_one, intensity => 3, period => 5},
          [#{id => ledger, start => {?MODULE, start, [ledger, "EUR"]}},
           #{id => accounts, start => {supervisor, start_link,
                                       [{local, accounts}, ?MODULE, accounts]},
             type => supervisor},
           #{id => teller, start => {?MODULE, start, [teller, []]}, restart => temporary}]}};
init(accounts) ->
    {ok, {#{strategy => simple_one_for_one, intensity => 5, period => 10},
          [#{id => account, start => {?MODULE, start, [account]}, restart => transient,
             shutdown => 1000}]}};
%% ---- ledger.srv
init({ledger, Currency}) ->
    register(ledger, self()),
    process_flag(trap_exit, true),
    {ok, {ledger, Currency, 0}};
%% ---- account.srv
init({account, [Name, Opening]}) ->
    register(list_to_atom("acct:" ++ Name), self()),
    {ok, {account, Name, Opening}};
%% ---- teller.srv
init({teller, []}) ->
    {ok, teller, {continue, script}}.

acct(Name) -> list_to_atom("acct:" ++ Name).

handle_call({transfer, From, To, Amount}, _, {ledger, Cur, N} = S) ->
    case catch gen_server:call(acct(From), {withdraw, Amount}) of
        {true, _} ->
            _ = gen_server:call(acct(To), {deposit, Amount}),
            io:format("ledger: ~s -> ~s ~p ~s~n", [From, To, Amount, Cur]),
            {reply, true, {ledger, Cur, N + 1}};
        {false, _} ->
            io:format("ledger: ~s -> ~s ~p ~s refused (too low)~n", [From, To, Amount, Cur]),
            {reply, false, S};
        {'EXIT', _} ->
            io:format("ledger: ~s -> ~s ~p ~s refused (the process exited)~n",
                      [From, To, Amount, Cur]),
            {reply, false, S}
    end;
handle_call(balance, _, {account, _, B} = S) -> {reply, B, S};
handle_call({deposit, A}, _, {account, Name, B}) when A >= 0 -> {reply, B + A, {account, Name, B + A}};
handle_call({withdraw, A}, _, {account, _, B} = S) when A >= 0, A > B -> {reply, {false, B}, S};
handle_call({withdraw, A}, _, {account, Name, B}) when A >= 0 -> {reply, {true, B - A}, {account, Name, B - A}}.

handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.

handle_continue(script, S) ->
    [io:format("teller: opened ~s with ~p: ~s~n",
               [N, B, element(1, supervisor:start_child(accounts, [N, B]))])
     || {N, B} <- [{"alice", 100}, {"bob", 50}, {"carol", 0}]],
    transfer("alice", "bob", 30),
    transfer("bob", "carol", 100),
    transfer("alice", "carol", -5),
    #{active := Active} = maps:from_list(supervisor:count_children(accounts)),
    io:format("teller: ~p accounts running~n", [Active]),
    balance("alice"),
    transfer("bob", "carol", 20),
    balance("bob"),
    balance("carol"),
    io:format("teller: Ctrl-C~n"),
    main ! ctrl_c,
    {noreply, S}.

transfer(From, To, Amount) -> gen_server:call(ledger, {transfer, From, To, Amount}).
balance(Name) -> io:format("teller: ~s has ~p~n", [Name, gen_server:call(acct(Name), balance)]).

terminate(Reason, {ledger, _, N}) ->
    io:format("ledger: closed after ~p transfers (~p)~n", [N, Reason]);
terminate(_, _) -> ok.

main(_) ->
    %% main is the root's parent, as srv_run's thread is: at the Ctrl-C it
    %% sends the root exit(shutdown), as init:stop/0's application master
    %% does, and waits for its EXIT
    %% the reports go to the standard error, as libsrv's logger prints them
    ok = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h,
                            #{config => #{type => standard_error},
                              formatter => {logger_formatter, #{legacy_header => true,
                                                                single_line => false}}}),
    register(main, self()),
    process_flag(trap_exit, true),
    {ok, Root} = supervisor:start_link({local, bank}, ?MODULE, bank),
    receive ctrl_c -> exit(Root, shutdown) end,
    receive {'EXIT', Root, Reason} ->
        io:format("bank: stopped, exit status ~p~n", [case Reason of shutdown -> 0; _ -> 1 end])
    end.
