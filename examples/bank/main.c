/*
 * examples/bank: a supervision tree (bank.srv): a ledger, a
 * simple_one_for_one supervisor of accounts, and a teller that runs the
 * day's script, crashes an account with a bad request, and ends it with a
 * Ctrl-C; bank_run (srv_run) turns that into an orderly shutdown.
 */
#include <stdio.h>

#include "bank.srv.h"

int main(void)
{
    int status = bank_run("EUR");
    printf("bank: stopped, exit status %d\n", status);
    return status;
}
