/* main.c: calls the hello server twice and prints the replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.srv.h"

int main(void)
{
    /* the installed header (and the srv/abi.h it includes) and library agree */
    if (strcmp(srv_version(), SRV_VERSION) != 0)
        return 1;
    srv_pid pid;
    if (hello_start(&pid) != SRV_OK)
        return 1;
    for (int i = 0; i < 2; i++) {
        hello_greet_reply r;
        if (hello_greet(pid, "world", &r) != SRV_OK)
            return 1;
        printf("%s\n", r.text);
        hello_greet_reply_free(&r);
    }
    return hello_stop(pid) == SRV_OK && srv_runtime_shutdown(5000) == SRV_OK ? 0 : 1;
}
