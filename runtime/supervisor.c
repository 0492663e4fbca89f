/*
 * supervisor.c: OTP's supervisor (being built: the functions answer
 * SRV_EINVAL until they are).
 */
#include "srv.h"

srv_status srv_sup_start(const srv_sup_module *sup, const void *args, srv_start_mode mode,
                         const srv_start_opts *opts, srv_start_result *result)
{
    (void)sup, (void)args, (void)mode, (void)opts, (void)result;
    return SRV_EINVAL;
}

srv_status (srv_sup_start_child)(srv_ref sup, const srv_child_spec *spec, srv_pid *child)
{
    (void)sup, (void)spec, (void)child;
    return SRV_EINVAL;
}

srv_status (srv_sup_start_child_args)(srv_ref sup, const void *extra_args, srv_pid *child)
{
    (void)sup, (void)extra_args, (void)child;
    return SRV_EINVAL;
}

srv_status (srv_sup_terminate_child)(srv_ref sup, const char *id)
{
    (void)sup, (void)id;
    return SRV_EINVAL;
}

srv_status (srv_sup_terminate_child_pid)(srv_ref sup, srv_pid child)
{
    (void)sup, (void)child;
    return SRV_EINVAL;
}

srv_status (srv_sup_restart_child)(srv_ref sup, const char *id, srv_pid *child)
{
    (void)sup, (void)id, (void)child;
    return SRV_EINVAL;
}

srv_status (srv_sup_delete_child)(srv_ref sup, const char *id)
{
    (void)sup, (void)id;
    return SRV_EINVAL;
}

srv_status (srv_sup_which_children)(srv_ref sup, srv_child_info *out, size_t cap, size_t *count)
{
    (void)sup, (void)out, (void)cap, (void)count;
    return SRV_EINVAL;
}

srv_status (srv_sup_count_children)(srv_ref sup, srv_sup_counts *out)
{
    (void)sup, (void)out;
    return SRV_EINVAL;
}

srv_status (srv_sup_get_childspec)(srv_ref sup, const char *id, srv_child_spec *out)
{
    (void)sup, (void)id, (void)out;
    return SRV_EINVAL;
}

int srv_run(const srv_sup_module *root, const void *args)
{
    (void)root, (void)args;
    return 1;
}
