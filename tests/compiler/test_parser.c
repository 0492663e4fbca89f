/*
 * test_parser.c: the scanner and the parser: the tree of a spec, handler
 * bodies kept verbatim with their places, and recovery after errors.
 */
#include <string.h>

#include "check.h"
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
