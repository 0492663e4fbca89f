/*
 * test_diagnostics.c: the bad-spec suite.  Each tests/specs/bad/NAME.srv
 * holds one mistake, and NAME.stderr the exact diagnostics srvc must print
 * for it (GNU location, message, source line and caret).  The specs a
 * bad supervisor spec uses are in tests/specs/bad/used/.
 *
 * tests/specs/bad_in_c/NAME.srv holds a mistake only the C compiler can
 * see (an unknown raw C type, a body that can end without a return): srvc
 * accepts it, and NAME.stderr holds the error lines gcc must print for
 * the generated code, at the spec's line and column; clang must report
 * the same places.
 */
#include <unistd.h>

#include "driver.h"
#include "files.h"

ParameterizedTestParameters(bad_spec, prints_its_exact_diagnostics)
{
    size_t count;
    struct spec_case *cases = spec_cases("tests/specs/bad", &count);
    return cr_make_param_array(struct spec_case, cases, count);
}

/* A case of dir: NAME.srv's name and text (len bytes), NAME.stderr's text. */
struct bad_case {
    char spec_name[SPEC_NAME_MAX + 8];
    char *text, *expected;
    size_t len;
};

static void read_case(const char *dir, const struct spec_case *c, struct bad_case *b)
{
    char expected_name[SPEC_NAME_MAX + 8];
    snprintf(b->spec_name, sizeof b->spec_name, "%s.srv", c->name);
    snprintf(expected_name, sizeof expected_name, "%s.stderr", c->name);
    b->text = read_test_file(dir, b->spec_name, &b->len);
    b->expected = read_test_file(dir, expected_name, NULL);
}

ParameterizedTest(struct spec_case *c, bad_spec, prints_its_exact_diagnostics)
{
    struct bad_case b;
    read_case("tests/specs/bad", c, &b);
    const char *spec_name = b.spec_name, *text = b.text, *expected = b.expected;
    size_t len = b.len;

    char *printed = NULL;
    size_t printed_len = 0;
    FILE *out = open_memstream(&printed, &printed_len);
    struct diag *d = diag_new(out);
    /* a supervisor's `use "used/NAME.srv"` reads the folder's used/ */
    struct srvc_job job = {.spec_path = spec_name, .line_directives = true,
                           .use_dir = SRCDIR "/tests/specs/bad"};
    int errors = srvc_compile_text(&job, text, len, d);
    diag_free(d);
    fclose(out);

    cr_assert_gt(errors, 0, "%s compiled without errors", spec_name);
    cr_assert_str_eq(printed, expected, "%s: srvc printed:\n%s", spec_name, printed);
    cr_assert_eq(job.c.len, 0, "nothing is emitted for a spec with errors");
    srvc_job_free(&job);
    free(printed);
    free(b.text);
    free(b.expected);
}

ParameterizedTestParameters(bad_spec_in_c, c_compiler_reports_it_at_the_spec)
{
    size_t count;
    struct spec_case *cases = spec_cases("tests/specs/bad_in_c", &count);
    return cr_make_param_array(struct spec_case, cases, count);
}

/* Writes len bytes of text to dir/name. */
static void write_out(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Compiles dir/NAME.srv.c with cc; returns its lines "NAME.srv:L:C: error: ..."
 * (or, with locations_only, "NAME.srv:L:C"), one per line. */
static char *spec_errors(const char *dir, const char *name, const char *cc, bool locations_only)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && LC_ALL=C %s -std=c11 -c -o /dev/null -I%s/runtime/include %s.srv.c 2>&1"
             " | grep '^%s\\.srv:[0-9]*:[0-9]*: error: '%s",
             dir, cc, SRCDIR, name, name, locations_only ? " | cut -d: -f1-3" : "");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char *lines = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&lines, &len);
    char line[4096];
    while (fgets(line, sizeof line, p) != NULL)
        fputs(line, out);
    pclose(p);
    fclose(out);
    return lines;
}

ParameterizedTest(struct spec_case *c, bad_spec_in_c, c_compiler_reports_it_at_the_spec)
{
    struct bad_case b;
    read_case("tests/specs/bad_in_c", c, &b);
    const char *spec_name = b.spec_name, *text = b.text, *expected = b.expected;
    size_t len = b.len;

    struct diag *d = diag_new(stderr);
    struct srvc_job job = {.spec_path = spec_name, .line_directives = true};
    cr_assert_eq(srvc_compile_text(&job, text, len, d), 0, "srvc accepts %s", spec_name);
    diag_free(d);
    char dir[] = "/tmp/srvc-bad-in-c-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char out_name[SPEC_NAME_MAX + 8];
    write_out(dir, spec_name, text, len);
    snprintf(out_name, sizeof out_name, "%s.srv.c", c->name);
    write_out(dir, out_name, job.c.data, job.c.len);
    snprintf(out_name, sizeof out_name, "%s.srv.h", c->name);
    write_out(dir, out_name, job.h.data, job.h.len);

    char *by_gcc = spec_errors(dir, c->name, "gcc", false);
    cr_assert_str_eq(by_gcc, expected, "%s: gcc printed:\n%s", spec_name, by_gcc);
    if (system("command -v clang >/dev/null 2>&1") == 0) {
        char *by_clang = spec_errors(dir, c->name, "clang", true);
        char *places = strdup(expected), *w = places;
        for (const char *line = expected; *line != '\0';) {  /* "NAME.srv:L:C" of each */
            const char *colon = strstr(line, ": error: ");
            const char *eol = strchr(line, '\n');
            memcpy(w, line, (size_t)(colon - line));
            w += colon - line;
            *w++ = '\n';
            line = eol + 1;
        }
        *w = '\0';
        cr_assert_str_eq(by_clang, places, "%s: clang reported errors at:\n%s", spec_name,
                         by_clang);
        free(by_clang);
        free(places);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    srvc_job_free(&job);
    free(by_gcc);
    free(b.text);
    free(b.expected);
}
