/*
 * test_cli.c: the srvc command: exit statuses, outputs, dependency files,
 * and nothing written when a spec has errors.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"

static char dir[] = "/tmp/srvc-cli-XXXXXX";

static void make_dir(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Runs srvc with args in dir; returns its exit status. */
static int srvc(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && %s/srvc %s >out.txt 2>err.txt", dir, BUILDDIR, args);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static bool exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

TestSuite(cli, .init = make_dir, .fini = remove_dir);

Test(cli, good_spec_exits_0_and_writes_both_files)
{
    write_file("a.srv", "server a;\ncast go();\n");
    cr_assert_eq(srvc("a.srv"), 0);
    cr_assert(exists("a.srv.c"));
    cr_assert(exists("a.srv.h"));
}

Test(cli, spec_with_errors_exits_1_and_writes_nothing)
{
    write_file("good.srv", "server good;\n");
    write_file("bad.srv", "server bad;\ncast go(strng s);\n");
    cr_assert_eq(srvc("good.srv bad.srv"), 1);
    cr_assert_not(exists("good.srv.c"), "no output at all when any spec fails");
    cr_assert_not(exists("bad.srv.c"));
    cr_assert_not(exists("bad.srv.h"));
}

Test(cli, bad_usage_exits_2)
{
    cr_assert_eq(srvc("--frobnicate a.srv"), 2);
    cr_assert_eq(srvc(""), 2);
    cr_assert_eq(srvc("-o"), 2);
}

Test(cli, missing_file_is_reported_and_exits_1)
{
    cr_assert_eq(srvc("nowhere.srv"), 1);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "grep -q \"srvc: error: cannot open 'nowhere.srv': No such file or directory\" %s/err.txt",
             dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, version_and_help_exit_0)
{
    cr_assert_eq(srvc("--version"), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -q '^srvc 0.1.0$' %s/out.txt", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(srvc("--help"), 0);
    snprintf(cmd, sizeof cmd, "grep -q '^usage: srvc' %s/out.txt", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, output_dir_and_depfile)
{
    write_file("w.srv", "server w;\n");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir %s/gen", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(srvc("-o gen --depfile gen/w.d w.srv"), 0);
    cr_assert(exists("gen/w.srv.c"));
    snprintf(cmd, sizeof cmd, "grep -qx 'gen/w.srv.c gen/w.srv.h: w.srv' %s/gen/w.d", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, unchanged_output_is_not_rewritten)
{
    write_file("u.srv", "server u;\n");
    cr_assert_eq(srvc("u.srv"), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/u.srv.c", dir);
    struct stat before, after;
    cr_assert_eq(stat(path, &before), 0);
    sleep(1);
    cr_assert_eq(srvc("u.srv"), 0);
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_eq(before.st_mtime, after.st_mtime, "make must not see it as new");
}

Test(cli, no_line_drops_line_directives)
{
    write_file("n.srv", "server n;\ncast go() {\n    return noreply();\n}\n");
    cr_assert_eq(srvc("--no-line n.srv"), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -q '#line' %s/n.srv.c", dir);
    cr_assert_neq(system(cmd), 0);
    cr_assert_eq(srvc("n.srv"), 0);
    snprintf(cmd, sizeof cmd, "grep -q '#line 2 \"n.srv\"' %s/n.srv.c", dir);
    cr_assert_eq(system(cmd), 0);
}
