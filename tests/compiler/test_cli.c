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

Test(cli, supervisor_reads_the_specs_it_uses_beside_it_and_depends_on_them)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir %s/specs %s/gen", dir, dir);
    cr_assert_eq(system(cmd), 0);
    write_file("specs/worker.srv", "server worker;\ninit(i64 n);\n");
    write_file("specs/top.srv", "supervisor top;\nuse \"worker.srv\";\n"
                                "child w {\n    start worker(3);\n}\n");
    cr_assert_eq(srvc("-o gen -M gen/top.d specs/top.srv"), 0);
    cr_assert(exists("gen/top.srv.c"));
    snprintf(cmd, sizeof cmd,
             "grep -qx 'gen/top.srv.c gen/top.srv.h: specs/top.srv specs/worker.srv' %s/gen/top.d",
             dir);
    cr_assert_eq(system(cmd), 0, "a supervisor's outputs depend on the specs it uses");
    snprintf(cmd, sizeof cmd, "grep -q '#include \"worker.srv.h\"' %s/gen/top.srv.h", dir);
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

/* Compiles dir/name (a .srv.c) with cc and flags; returns its exit status. */
static int cc(const char *name, const char *flags)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && cc %s -I%s/runtime/include -c -o /dev/null %s 2>cc.txt",
             dir, flags, SRCDIR, name);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Writes dir/name: head, n copies of fill, tail. */
static void write_run(const char *name, const char *head, char fill, size_t n,
                      const char *tail)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(head, f);
    for (size_t i = 0; i < n; i++)
        fputc(fill, f);
    fputs(tail, f);
    fclose(f);
}

Test(cli, specs_with_100_kb_tokens_give_c_that_compiles)
{
    write_run("comment.srv", "server comment;\n/* ", 'x', 100 * 1024,
              " */\ncast go() { return noreply(); }\n");
    write_run("block.srv", "server block;\n%{\nstatic const char big[] = \"", 'x', 100 * 1024,
              "\";\n%}\ncall size() -> (u64 n) { return reply(sizeof big); }\n");
    write_run("body.srv", "server body;\ncall size() -> (u64 n) {\n    return reply(sizeof \"",
              'x', 100 * 1024, "\");\n}\n");
    cr_assert_eq(srvc("comment.srv block.srv body.srv"), 0);
    const char *flags = "-std=c11 -Wall -Wextra -Werror";
    cr_assert_eq(cc("comment.srv.c", flags), 0);
    cr_assert_eq(cc("block.srv.c", flags), 0);
    cr_assert_eq(cc("body.srv.c", flags), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && grep -c xxxxxxxx comment.srv.c block.srv.c body.srv.c"
             " | tr '\\n' ' ' | grep -qx 'comment.srv.c:0 block.srv.c:1 body.srv.c:1 '", dir);
    cr_assert_eq(system(cmd), 0, "the comment is dropped, the block's and body's lines kept");
}

/* A handler that calls clock_gettime, which <time.h> declares under
 * -std=c11 only when _POSIX_C_SOURCE is defined before it. */
static const char clock_spec[] =
    "%s\n#define _POSIX_C_SOURCE 200809L\n#include <time.h>\n%%}\n"
    "call now() -> (i64 ns) {\n"
    "    struct timespec t;\n"
    "    clock_gettime(CLOCK_MONOTONIC, &t);\n"
    "    return reply((int64_t)t.tv_sec * 1000000000 + t.tv_nsec);\n"
    "}\n";

Test(cli, top_block_comes_before_the_includes)
{
    char text[1024];
    snprintf(text, sizeof text, "server clock;\n");
    snprintf(text + strlen(text), sizeof text - strlen(text), clock_spec, "%top{");
    write_file("clock.srv", text);
    cr_assert_eq(srvc("clock.srv"), 0);
    cr_assert_eq(cc("clock.srv.c", "-std=c11 -Wall -Wextra -Werror"), 0,
                 "_POSIX_C_SOURCE took effect");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "head -n 6 %s/clock.srv.c | grep -q '^/\\* %%top{ block: clock.srv:2 \\*/$'",
             dir);
    cr_assert_eq(system(cmd), 0, "right after the banner");

    /* the same in %{ comes after the includes: too late */
    snprintf(text, sizeof text, "server clock;\n");
    snprintf(text + strlen(text), sizeof text - strlen(text), clock_spec, "%{");
    write_file("clock.srv", text);
    cr_assert_eq(srvc("clock.srv"), 0);
    cr_assert_neq(cc("clock.srv.c", "-std=c11 -Wall -Wextra -Werror"), 0);
}
