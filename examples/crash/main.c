/*
 * main.c: a crash, seen from every side.
 *
 * keeper starts fragile linked to itself and traps exits; main monitors
 * fragile, then makes it divide by zero.  The failed SRV_ASSERT crashes
 * fragile (not the program): its terminate runs, the logger prints the crash
 * report (on stderr), main's call returns SRV_EEXIT with the reason, main
 * receives the DOWN, and keeper receives the EXIT.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fragile.srv.h"
#include "keeper.srv.h"

static void check(const char *what, srv_status status)
{
    if (status == SRV_OK)
        return;
    fprintf(stderr, "%s: %s\n", what, srv_strerror(status));
    exit(1);
}

int main(void)
{
    srv_pid keeper;
    check("start keeper", keeper_start(&keeper));
    keeper_child_reply child;
    check("child", keeper_child(keeper, &child));

    srv_monitor_ref ref;
    check("monitor", srv_monitor(child.child, &ref));

    fragile_divide_reply q;
    check("divide", fragile_divide(child.child, 84, 2, &q));
    printf("main: 84 / 2 = %d\n", q.quotient);

    srv_call_result why;
    srv_status status = fragile_divide_full(child.child, 1, 0, &q, 5000, &why);
    printf("main: 1 / 0 gave %s, reason %s\n", srv_status_name(status),
           why.reason ? why.reason : "-");

    srv_signal signal;
    check("receive", srv_receive_signal(&signal, 5000));
    printf("main: got DOWN for %s, reason %s, same ref: %s\n",
           srv_pid_format(signal.pid).s, signal.reason,
           signal.ref == ref ? "yes" : "no");

    /* The EXIT reaches keeper in its own time: ask until it has seen it. */
    keeper_exits_seen_reply seen = {0};
    while (seen.n == 0) {
        check("exits_seen", keeper_exits_seen(keeper, &seen));
        if (seen.n == 0)
            srv_sleep(1);
    }
    printf("keeper: trapped {'EXIT',%s,%s}\n", srv_pid_format(seen.from_pid).s,
           srv_atom_format(seen.why).s);

    check("stop keeper", keeper_stop(keeper));
    return srv_runtime_shutdown(5000) == SRV_OK ? 0 : 1;
}
