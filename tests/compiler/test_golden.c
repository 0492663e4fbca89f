/*
 * test_golden.c: the generated code of representative specs, byte for
 * byte.  For each tests/golden/NAME.srv.c, the spec NAME.srv (an example's,
 * examples/NAME/NAME.srv, or one of the folder's own, tests/golden/NAME.srv)
 * is compiled as srvc would from inside its folder, and must give
 * NAME.srv.c and NAME.srv.h exactly.  `make golden` rewrites them after an
 * intended change, for review in the diff.
 */
#include "driver.h"
#include "files.h"

ParameterizedTestParameters(golden, output_is_byte_identical)
{
    size_t count;
    struct spec_case *cases = file_cases("tests/golden", ".srv.c", &count);
    return cr_make_param_array(struct spec_case, cases, count);
}

ParameterizedTest(struct spec_case *c, golden, output_is_byte_identical)
{
    char spec[SPEC_NAME_MAX + 8], c_name[SPEC_NAME_MAX + 8], h_name[SPEC_NAME_MAX + 8];
    char example[SPEC_NAME_MAX + 16];
    snprintf(spec, sizeof spec, "%s.srv", c->name);
    snprintf(c_name, sizeof c_name, "%s.srv.c", c->name);
    snprintf(h_name, sizeof h_name, "%s.srv.h", c->name);
    snprintf(example, sizeof example, "examples/%s", c->name);
    const char *dir = test_file_exists("tests/golden", spec) ? "tests/golden" : example;
    size_t len;
    char *text = read_test_file(dir, spec, &len);
    struct diag *d = diag_new(stderr);
    char use_dir[1024]; /* a supervisor's used specs are its neighbours */
    snprintf(use_dir, sizeof use_dir, "%s/%s", SRCDIR, dir);
    struct srvc_job job = {.spec_path = spec, .line_directives = true, .use_dir = use_dir};
    cr_assert_eq(srvc_compile_text(&job, text, len, d), 0);
    char *want_c = read_test_file("tests/golden", c_name, NULL);
    char *want_h = read_test_file("tests/golden", h_name, NULL);
    cr_assert_str_eq(job.c.data, want_c, "%s differs from the golden file", c_name);
    cr_assert_str_eq(job.h.data, want_h, "%s differs from the golden file", h_name);
    diag_free(d);
    srvc_job_free(&job);
    free(text);
    free(want_c);
    free(want_h);
}
