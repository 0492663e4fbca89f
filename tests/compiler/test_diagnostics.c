/*
 * test_diagnostics.c: the bad-spec suite.  Each tests/specs/bad/NAME.srv
 * holds one mistake, and NAME.stderr the exact diagnostics srvc must print
 * for it (GNU location, message, source line and caret).
 */
#include "driver.h"
#include "files.h"

ParameterizedTestParameters(bad_spec, prints_its_exact_diagnostics)
{
    size_t count;
    struct spec_case *cases = spec_cases("tests/specs/bad", &count);
    return cr_make_param_array(struct spec_case, cases, count);
}

ParameterizedTest(struct spec_case *c, bad_spec, prints_its_exact_diagnostics)
{
    char spec_name[SPEC_NAME_MAX + 8], expected_name[SPEC_NAME_MAX + 8];
    snprintf(spec_name, sizeof spec_name, "%s.srv", c->name);
    snprintf(expected_name, sizeof expected_name, "%s.stderr", c->name);
    size_t len;
    char *text = read_test_file("tests/specs/bad", spec_name, &len);
    char *expected = read_test_file("tests/specs/bad", expected_name, NULL);

    char *printed = NULL;
    size_t printed_len = 0;
    FILE *out = open_memstream(&printed, &printed_len);
    struct diag *d = diag_new(out);
    struct srvc_job job = {.spec_path = spec_name, .line_directives = true};
    int errors = srvc_compile_text(&job, text, len, d);
    diag_free(d);
    fclose(out);

    cr_assert_gt(errors, 0, "%s compiled without errors", spec_name);
    cr_assert_str_eq(printed, expected, "%s: srvc printed:\n%s", spec_name, printed);
    cr_assert_eq(job.c.len, 0, "nothing is emitted for a spec with errors");
    srvc_job_free(&job);
    free(printed);
    free(text);
    free(expected);
}
