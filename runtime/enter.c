/*
 * enter.c: gen_server:enter_loop.  The calling plain thread's own process
 * becomes a server of a module, with a state the thread made itself: its
 * pid, registered name, links, monitors and mailbox stay; only what runs
 * it changes.  From then on it is a server like any other (scheduler
 * threads and callers run its handlers), and the thread waits until it
 * ends, to return its exit reason: a C thread cannot stop being a thread,
 * so it lends its identity and blocks, as enter_loop never returns.
 *
 * Why only a plain thread: a handler that entered another module's loop
 * would leave its own server's frames with nobody to return to (the
 * process is one executor at a time), so srv_enter_loop from a handler is
 * SRV_EINVAL.
 */
#include <string.h>

#include "alloc.h"
#include "atom.h"
#include "exit.h"
#include "loop.h"
#include "os.h"
#include "process.h"
#include "sched.h"
#include "thread.h"

srv_status srv_enter_loop(const srv_module *module, void *state,
                          const srv_enter_opts *opts, srv_atom *reason)
{
    if (reason != NULL)
        *reason = NULL;
    long timeout = opts != NULL && opts->timeout_ms != 0 ? opts->timeout_ms : SRV_INFINITY;
    if (module == NULL || module->abi_version != SRV_ABI_VERSION ||
        module->dispatch == NULL || (state == NULL && module->state_size > 0) ||
        !srv__timeout_valid(timeout) || srv__current_or_null() != NULL)
        return SRV_EINVAL;
    struct process *p = srv__thread_identity();
    if (p == NULL)
        return SRV_ENOMEM;
    if (opts != NULL && opts->name != NULL) {
        srv_atom name = srv_atom_from(opts->name);
        if (name == NULL)
            return SRV_ENOMEM;
        if (srv__name(p) != name) {
            /* gen.erl: the process exits with process_not_registered */
            srv__thread_identity_exit(srv__atom("process_not_registered"), NULL);
            if (reason != NULL)
                *reason = srv__atom("process_not_registered");
            return SRV_ENOTREG;
        }
    }
    void *copy = srv__malloc(module->state_size > 0 ? module->state_size : 1);
    if (copy == NULL)
        return SRV_ENOMEM;
    if (module->state_size > 0)
        memcpy(copy, state, module->state_size);
    srv__sched_ensure_started();
    struct enter_wait w = {.state = copy};
    struct process_extra *x = srv__extra_made(p);
    if (x == NULL) {
        srv__free(copy);
        return SRV_ENOMEM;
    }
    /* Its state is w's (srv__state); as a plain start, it is its own
     * parent (x->parent none), with no starter and so no ancestors. */
    x->entered = &w;
    x->parent = SRV_PID_NONE;
    srv__set_flag(p, PF_ENTERED, true);
    srv__thread_identity_lend();
    /* It is ours to run (RUNNING) before it is a server to others. */
    atomic_store_explicit(&p->run_state, PROC_RUNNING, memory_order_seq_cst);
    srv__process_become_server(p, module);
    srv_action action = srv__action(SRV_ACTION_NOREPLY, timeout, NULL);
    if (srv__after_action(p, &action)) {
        /* Hold p across the release: another may end it the moment it is
         * idle.  Signals and mail that came meanwhile schedule it. */
        struct process *held = srv__process_get(p->pid);
        srv__release(p);
        srv__process_put(held);
    } else {
        srv__exit(p, srv__atom_out_of_memory, NULL, EXIT_TERMINATE);
    }
    while (atomic_load_explicit(&w.done, memory_order_acquire) == 0)
        srv__futex_wait(&w.done, 0, UINT64_MAX);
    if (reason != NULL)
        *reason = w.reason;
    return SRV_OK;
}
