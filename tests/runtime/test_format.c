/*
 * test_format.c: atoms, pids, callers and statuses in Erlang's notation;
 * the version the library reports.
 */
#include "support.h"

Test(atom, same_name_same_pointer_and_builtins_are_interned, .timeout = T(10))
{
    cr_assert_eq(srv_atom_from("normal"), srv_atom_normal);
    cr_assert_eq(srv_atom_from("some_atom"), srv_atom_from("some_atom"));
    cr_assert_str_eq(srv_atom_format(srv_atom_from("0x01f")).s, "'0x01f'");
    cr_assert_str_eq(srv_atom_format(srv_atom_from("test")).s, "test");
    cr_assert_str_eq(srv_atom_format(srv_atom_from("end")).s, "'end'");
}

Test(format, pids_and_callers_print_as_erlang_does, .timeout = T(10))
{
    srv_pid pid = {0, 58, 0};
    cr_assert_str_eq(srv_pid_format(pid).s, "<0.58.0>");
    srv_from from = {{0, 56, 0}, ((uint64_t)1 << 32) | 59, NULL};
    cr_assert_str_eq(srv_from_format(from).s, "{<0.56.0>,#Ref<0.0.1.59>}");
    cr_assert_str_eq(srv_strerror(SRV_ENOPROC), "no such process");
    cr_assert_str_eq(srv_status_name(SRV_ETIMEOUT), "SRV_ETIMEOUT");
}

Test(version, library_version_is_its_header_version, .timeout = T(10))
{
    cr_assert_str_eq(srv_version(), SRV_VERSION);
}
