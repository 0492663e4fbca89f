/*
 * test_parser.c: the scanner and the parser: the tree of a spec, handler
 * bodies kept verbatim with their places, recovery after errors, and
 * tokens of any length.
 */
#include <string.h>

#include "check.h"
#include "driver.h"
#include "parse.h"
#include "files.h"

static struct ast_spec *parse(const char *text, struct diag **d_out, char **printed)
{
    static size_t printed_len;
    FILE *out = open_memstream(printed, &printed_len);
    struct diag *d = diag_new(out);
    struct ast_spec *spec = parse_spec("t.srv", text, strlen(text), d);
    fflush(out);
    *d_out = d;
    (void)out;
    return spec;
}

Test(parser, builds_the_tree_of_the_seeds_worker)
{
    char *text = read_test_file("examples/worker", "worker.srv", NULL);
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse(text, &d, &printed);
    cr_assert_eq(diag_error_count(d), 0);
    cr_assert_str_eq(spec->name, "worker");
    cr_assert_eq(ast_field_count(spec->state), 2);
    cr_assert_str_eq(spec->state->next->name, "value");
    cr_assert_eq(spec->state->type.kind, AST_TYPE_ATOM);
    const char *kinds[] = {"init", "query", "set", "show", "timeout", "terminate"};
    size_t i = 0;
    for (const struct ast_handler *h = spec->handlers; h != NULL; h = h->next, i++) {
        cr_assert_lt(i, 6);
        if (h->name != NULL)
            cr_assert_str_eq(h->name, kinds[i]);
        cr_assert(h->has_body);
    }
    cr_assert_eq(i, 6);
    const struct ast_handler *set = spec->handlers->next->next;
    cr_assert_eq(set->kind, AST_CALL);
    cr_assert_eq(ast_field_count(set->args), 2);
    cr_assert_eq(ast_field_count(set->reply), 2);
    ast_spec_free(spec);
    free(text);
}

Test(parser, keeps_bodies_verbatim_past_braces_in_strings_and_comments)
{
    const char *text = "server s;\ncast go() {\n"
                       "    puts(\"}\"); /* } */ // }\n"
                       "    char c = '}';\n"
                       "    if (1) { return noreply(); }\n"
                       "}\n";
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse(text, &d, &printed);
    cr_assert_eq(diag_error_count(d), 0);
    const struct ast_handler *h = spec->handlers;
    cr_assert_str_eq(h->body.text, "\n    puts(\"}\"); /* } */ // }\n    char c = '}';\n"
                                   "    if (1) { return noreply(); }\n");
    cr_assert_eq(h->body.loc.first_line, 2);
    cr_assert_eq(h->body.loc.first_column, 12, "the character after the brace");
    ast_spec_free(spec);
}

Test(parser, external_handler_has_no_body)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse("server s;\ncall q(int x) -> (int y);\n", &d, &printed);
    cr_assert_eq(diag_error_count(d), 0);
    cr_assert_not(spec->handlers->has_body);
    cr_assert_str_eq(spec->handlers->reply->name, "y");
    ast_spec_free(spec);
}

Test(parser, ptr_type_takes_its_destructor)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec =
        parse("server s;\ncast give(ptr(struct job *, job_free) j);\n", &d, &printed);
    cr_assert_eq(diag_error_count(d), 0);
    const struct ast_type *t = &spec->handlers->args->type;
    cr_assert_eq(t->kind, AST_TYPE_PTR);
    cr_assert_str_eq(t->c_type, "struct job *");
    cr_assert_str_eq(t->free_fn, "job_free");
    ast_spec_free(spec);
}

Test(parser, raw_declaration_names_its_field)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse("server s;\nstate {\n    c(int seen[8]);\n}\n", &d, &printed);
    cr_assert_eq(diag_error_count(d), 0);
    cr_assert(spec->state->whole_declaration);
    cr_assert_str_eq(spec->state->name, "seen");
    ast_spec_free(spec);
}

Test(parser, recovers_to_report_every_broken_item)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse("server s;\ncast a(int x,);\ncast b(int);\ncast c();\n", &d, &printed);
    cr_assert_eq(diag_error_count(d), 2, "one error per broken item");
    cr_assert_not_null(spec->handlers, "the good item after them is kept");
    cr_assert_str_eq(spec->handlers->name, "c");
    ast_spec_free(spec);
}

Test(check, resolves_records_and_finds_no_error_in_a_good_spec)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse("server s;\nrecord p {\n    int x;\n}\ncast go(p where);\n", &d, &printed);
    cr_assert_eq(check_spec(spec, d, false), 0);
    cr_assert_not_null(spec->handlers->args->type.record);
    cr_assert_str_eq(spec->handlers->args->type.record->name, "p");
    ast_spec_free(spec);
}

/* "server s;\n" + head + n copies of fill + tail, NUL-terminated. */
static char *spec_with_run(const char *head, char fill, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *text = malloc(10 + h + n + t + 1);
    memcpy(text, "server s;\n", 10);
    memcpy(text + 10, head, h);
    memset(text + 10 + h, fill, n);
    memcpy(text + 10 + h + n, tail, t + 1);
    return text;
}

/* Compiles text in memory; returns the error count, the outputs in job. */
static int compile_quietly(const char *text, struct srvc_job *job)
{
    static FILE *sink;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    struct diag *d = diag_new(sink);
    job->spec_path = "s.srv";
    job->line_directives = true;
    int errors = srvc_compile_text(job, text, strlen(text), d);
    diag_free(d);
    return errors;
}

#define KB100 (100 * 1024)

Test(scanner, a_100_kb_comment_is_skipped)
{
    char *text = spec_with_run("/* ", 'x', KB100, " */\ncast go() { return noreply(); }\n");
    struct srvc_job job = {0};
    cr_assert_eq(compile_quietly(text, &job), 0);
    cr_assert_null(strstr(job.c.data, "xxxxxxxx"), "the comment is not in the output");
    cr_assert_not_null(strstr(job.c.data, "static srv_noreply_result s_handle_go("));
    srvc_job_free(&job);
    free(text);
}

/* Compiles text, whose line starting with line_start is 100 KB long: that
 * line is in the output whole, followed (somewhere) by after. */
static void assert_line_copied_whole(char *text, const char *line_start, const char *after)
{
    struct srvc_job job = {0};
    cr_assert_eq(compile_quietly(text, &job), 0);
    char *line = strstr(text, line_start);
    *strchr(line, '\n') = '\0';
    const char *copied = strstr(job.c.data, line);
    cr_assert_not_null(copied, "the line is in the output");
    cr_assert_eq(copied[strlen(line)], '\n', "and whole");
    cr_assert_not_null(strstr(copied, after), "and what follows it");
    srvc_job_free(&job);
    free(text);
}

Test(scanner, a_100_kb_line_in_a_c_block_is_copied_whole)
{
    assert_line_copied_whole(spec_with_run("%{\nstatic const char big[] = \"", 'x', KB100,
                                           "\";\n%}\ncast go() { (void)big; return noreply(); }\n"),
                             "static const char big", "static srv_noreply_result s_handle_go(");
}

Test(scanner, a_100_kb_line_in_a_handler_body_is_copied_whole)
{
    assert_line_copied_whole(spec_with_run("cast go() {\n    const char *big = \"", 'x', KB100,
                                           "\"; (void)big;\n    return noreply();\n}\n"),
                             "    const char *big", "\n    return noreply();\n}\n#line ");
}

/* One kind of token, long: the spec around a run of one character. */
struct long_token {
    const char *head;
    char fill;
    const char *tail;
    size_t good_up_to;            /* longer runs are an error srvc reports */
};

#define ANY ((size_t)-1)

static const struct long_token long_tokens[] = {
    {"/*", 'x', "*/\n", ANY},                                /* comment */
    {"//", 'x', "\n", ANY},                                  /* line comment */
    {"", ' ', "\n", ANY},                                    /* blank run */
    {"", '\n', "", ANY},                                     /* blank lines */
    {"%{\n", 'x', "\n%}\n", ANY},                            /* %{ block */
    {"%header{\n", 'x', "\n%}\n", ANY},                      /* %header{ block */
    {"%top{\n", 'x', "\n%}\n", ANY},                         /* %top{ block */
    {"%{\n/*", '*', "/\n%}\n", ANY},                         /* comment in a block */
    {"cast go() {\n\"", 'x', "\";\n}\n", ANY},               /* string in a body */
    {"cast go() {\n'", 'x', "';\n}\n", ANY},                  /* character constant */
    {"cast go() {\n", '(', "\n}\n", ANY},                     /* parentheses in a body */
    {"state {\n    c(int ", '*', "p);\n}\n", ANY},            /* c(...) */
    {"cast go(ptr(struct j ", '*', ") j);\n", ANY},          /* ptr(...) */
    {"cast ", 'g', "();\n", 63},                              /* a handler's name */
    {"state {\n    int ", 'n', ";\n}\n", 63},                  /* a field's name */
    {"cast go() {\n", '{', "\n}\n", 0},                       /* unclosed braces */
    {"/*", 'x', "", 0},                                      /* unterminated comment */
    {"cast go() {\n\"", 'x', "\n}\n", 0},                     /* unterminated string */
    {"", '9', "\n", 0},                                      /* a number */
};

Test(scanner, no_token_length_crashes_srvc)
{
    /* around flex's 16 KiB buffer, its powers of two and beyond */
    static const size_t lengths[] = {1, 2, 63, 64, 4095, 4096, 8192, 16381, 16382, 16383,
                                     16384, 16385, 16386, 16387, 32768, 65536, 1 << 20};
    for (size_t k = 0; k < sizeof long_tokens / sizeof long_tokens[0]; k++) {
        const struct long_token *t = &long_tokens[k];
        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
            size_t n = lengths[i];
            char *text = spec_with_run(t->head, t->fill, n, t->tail);
            struct srvc_job job = {0};
            int errors = compile_quietly(text, &job);
            cr_assert(n <= t->good_up_to ? errors == 0 : errors > 0,
                      "token %zu ('%s' + %zu x '%c'): %d errors", k, t->head, n, t->fill,
                      errors);
            srvc_job_free(&job);
            free(text);
        }
    }
}

Test(scanner, a_handler_may_be_named_c_or_ptr_or_a_keyword)
{
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse("server s;\ncast c(int x);\ncall ptr () -> ();\n"
                                  "info state\n(int n);\n", &d, &printed);
    cr_assert_eq(diag_error_count(d), 0, "%s", printed);
    const struct ast_handler *h = spec->handlers;
    cr_assert_str_eq(h->name, "c");
    cr_assert_str_eq(h->args->name, "x");
    cr_assert_str_eq(h->next->name, "ptr");
    cr_assert_str_eq(h->next->next->name, "state", "a name, even on the line before its (");
    ast_spec_free(spec);
}

Test(parser, builds_the_tree_of_a_supervisor_spec)
{
    char *text = read_test_file("examples/bank", "bank.srv", NULL);
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse(text, &d, &printed);
    cr_assert_eq(diag_error_count(d), 0, "%s", printed);
    cr_assert(spec->supervisor);
    cr_assert_str_eq(spec->name, "bank");
    cr_assert_str_eq(spec->uses->path, "ledger.srv");
    cr_assert_str_eq(spec->settings->key, "strategy");
    cr_assert_str_eq(spec->settings->value->text, "one_for_one");
    const struct ast_child *ledger = spec->children;
    cr_assert_str_eq(ledger->id, "ledger");
    const struct ast_setting *start = ledger->props;
    cr_assert_str_eq(start->key, "start");
    cr_assert(start->has_args);
    cr_assert_str_eq(start->value->text, "ledger");
    cr_assert_eq(start->args->kind, AST_VALUE_NAME);
    cr_assert_str_eq(start->args->text, "currency");
    cr_assert_eq(start->next->value->kind, AST_VALUE_STRING);
    cr_assert_str_eq(start->next->value->text, "\"ledger\"");
    cr_assert_str_eq(ledger->next->next->id, "teller");
    ast_spec_free(spec);
    free(text);
}

Test(parser, a_servers_names_may_be_a_supervisors_keywords)
{
    /* use, child, strategy, intensity and period are keywords after
     * `supervisor NAME;` only, and numbers and strings values there only */
    const char *text = "server s;\nstate {\n    i64 period;\n    pid child;\n}\n"
                       "cast use(i64 intensity, atom strategy);\n";
    struct diag *d;
    char *printed = NULL;
    struct ast_spec *spec = parse(text, &d, &printed);
    cr_assert_eq(diag_error_count(d), 0, "%s", printed);
    cr_assert_not(spec->supervisor);
    cr_assert_str_eq(spec->state->name, "period");
    cr_assert_str_eq(spec->state->next->name, "child");
    cr_assert_str_eq(spec->handlers->name, "use");
    cr_assert_str_eq(spec->handlers->args->next->name, "strategy");
    ast_spec_free(spec);
}
