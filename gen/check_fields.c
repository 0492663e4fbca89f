/*
 * check_fields.c: the checks both kinds of spec make alike (check.c's
 * servers, check_sup.c's supervisors): a name of the spec's own, the
 * types and names of fields, and the "did you mean" of a misspelling.
 */
#include <stdio.h>
#include <string.h>

#include "checker.h"

/* The keywords of C11 and C23. */
static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
    "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
    "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
    "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas",
    "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "bool", "true", "false", "nullptr", "alignas",
    "alignof", "constexpr", "static_assert", "thread_local", "typeof", "typeof_unqual",
    "_BitInt", "_Decimal32", "_Decimal64", "_Decimal128"};

/* C++20's others: the generated header is C++ too (extern "C"). */
static const char *const cpp_keywords[] = {
    "asm", "catch", "char8_t", "char16_t", "char32_t", "class", "co_await", "co_return",
    "co_yield", "concept", "const_cast", "consteval", "constinit", "decltype", "delete",
    "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace", "new",
    "noexcept", "operator", "private", "protected", "public", "reinterpret_cast",
    "requires", "static_cast", "template", "this", "throw", "try", "typeid", "typename",
    "using", "virtual", "wchar_t"};

/* Object-like macros that the C library's headers or the compiler define:
 * a field or an argument so named is replaced in the generated code (a
 * struct member `errno` becomes `(*__errno_location ())`).  Function-like
 * ones (assert, offsetof) do no harm without a `(` after them. */
static const struct c_macros {
    const char *from;
    const char *names;            /* each between spaces */
} c_macros[] = {
    {"<stddef.h>", " NULL "},
    {"<errno.h>", " errno EDOM ERANGE EILSEQ "},
    {"<stdio.h>", " EOF stdin stdout stderr BUFSIZ FILENAME_MAX FOPEN_MAX TMP_MAX L_tmpnam"
                  " SEEK_SET SEEK_CUR SEEK_END "},
    {"<stdlib.h>", " EXIT_SUCCESS EXIT_FAILURE RAND_MAX MB_CUR_MAX "},
    {"<limits.h>", " CHAR_BIT MB_LEN_MAX INT_MAX INT_MIN UINT_MAX LONG_MAX LONG_MIN "},
    {"<stdint.h>", " SIZE_MAX "},
    {"<time.h>", " CLOCKS_PER_SEC TIME_UTC "},
    {"<math.h>", " INFINITY NAN HUGE_VAL math_errhandling "},
    {"<complex.h>", " complex imaginary I "},
    {"<stdnoreturn.h>", " noreturn "},
    {"<iso646.h>", " and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq "},
    {"<wchar.h>", " WEOF "},
    {"<locale.h>", " LC_ALL LC_CTYPE LC_NUMERIC LC_TIME LC_COLLATE LC_MONETARY "},
    {"<signal.h>", " SIG_DFL SIG_IGN SIG_ERR SIGABRT SIGFPE SIGILL SIGINT SIGSEGV SIGTERM "},
    {"GNU C (-std=gnu11) on Linux", " linux "},
    {"GNU C (-std=gnu11) on Unix", " unix "},
    {"GNU C (-std=gnu11) on x86", " i386 "}};

/* Where the macro name comes from, or NULL if it is none of c_macros. */
static const char *c_macro_origin(const char *name)
{
    char spaced[72];
    if (strlen(name) > 64)
        return NULL;
    snprintf(spaced, sizeof spaced, " %s ", name);
    for (size_t i = 0; i < sizeof c_macros / sizeof c_macros[0]; i++)
        if (strstr(c_macros[i].names, spaced) != NULL)
            return c_macros[i].from;
    return NULL;
}

/* Names a handler's body sees beside its arguments (docs/language.md),
 * which no argument may take: its parameters and the object-like macros.
 * Reply fields meet only the macros (in the result constructors).  The
 * generated code's own parameters and locals are srv_ names, which no
 * name of the spec may be. */
static const struct {
    const char *name;
    bool in_replies;
} body_names[] = {{"state", false}, {"from", false}, {"self", false},
                  {"SELF", true},   {"FROM", true},  {"REASON", true},
                  {"REASON_DETAIL", true}};

bool check_in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

size_t check_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closer of best and the records of list to name, within *distance. */
static const char *closer_record(const struct ast_record *list, const char *name,
                                 const char *best, size_t *distance)
{
    for (const struct ast_record *r = list; r != NULL; r = r->next) {
        size_t dist = check_distance(name, r->name);
        if (dist < *distance || (dist == *distance && best == NULL)) {
            best = r->name;
            *distance = dist;
        }
    }
    return best;
}

const char *check_closest_type(const struct ast_spec *spec, const char *name)
{
    const char *best = NULL;
    size_t best_distance = strlen(name) <= 3 ? 1 : 2;
    for (int k = 0; k <= AST_TYPE_PID; k++) { /* the spec's built-in types */
        const char *type = ast_type_kind_name((enum ast_type_kind)k);
        size_t dist = check_distance(name, type);
        if (dist <= best_distance) {
            best = type;
            best_distance = dist;
        }
    }
    best = closer_record(spec->records, name, best, &best_distance);
    for (const struct ast_use *u = spec->uses; u != NULL; u = u->next)
        if (u->spec != NULL)
            best = closer_record(u->spec->records, name, best, &best_distance);
    return best;
}

/* A name of the spec's own: not a C keyword, not reserved to the C
 * implementation (C11 7.1.3), not srv_-prefixed. */
void check_name(struct checker *c, const char *what, const char *name, struct srv_loc loc)
{
    if (check_in_list(name, c_keywords, COUNT(c_keywords)))
        diag_error(c->d, loc, "%s name '%s' is a C keyword", what, name);
    else if (check_in_list(name, cpp_keywords, COUNT(cpp_keywords)))
        diag_error(c->d, loc, "%s name '%s' is a C++ keyword", what, name);
    else if (name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z')))
        diag_error(c->d, loc, "%s name '%s' is reserved to the C compiler and library",
                   what, name);
    else if (strncmp(name, "srv_", 4) == 0 || strncmp(name, "SRV_", 4) == 0)
        diag_error(c->d, loc,
                   "%s name '%s' starts with '%.4s': such names are libsrv's and the "
                   "generated code's", what, name, name);
}

static void check_type(struct checker *c, struct ast_type *t, enum place place)
{
    if (t->kind == AST_TYPE_RECORD && c->used_record != NULL) {
        c->used_record(c, t);
    } else if (t->kind == AST_TYPE_RECORD) {
        t->record = ast_find_record(c->spec, t->name);
        if (t->record == NULL) {
            const char *hint = check_closest_type(c->spec, t->name);
            if (hint != NULL)
                diag_error(c->d, t->loc, "unknown type '%s'; did you mean '%s'?", t->name,
                           hint);
            else
                diag_error(c->d, t->loc, "unknown type '%s'", t->name);
            t->kind = AST_TYPE_UNKNOWN;
        }
    } else if (t->kind == AST_TYPE_C && (place == IN_MESSAGE || place == IN_REPLY ||
                                         place == IN_INIT)) {
        diag_error(c->d, t->loc,
                   "raw C type 'c(%s)' cannot travel in a message; use a spec type or ptr(...)",
                   t->c_type);
    } else if ((t->kind == AST_TYPE_PTR || t->kind == AST_TYPE_C) && t->c_type[0] == '\0') {
        diag_error(c->d, t->loc, "empty C type in %s(...)", t->name);
    }
}

/* Fields, arguments or reply fields: names unique, types known. */
void check_fields(struct checker *c, struct ast_field *fields, const char *what,
                  enum place place)
{
    for (struct ast_field *f = fields; f != NULL; f = f->next) {
        check_type(c, &f->type, place);
        if (f->whole_declaration &&
            (f->name[0] == '\0' || check_in_list(f->name, c_keywords, COUNT(c_keywords)))) {
            diag_error(c->d, f->loc, "raw C declaration 'c(%s)' declares no name",
                       f->type.c_type);
            continue;
        }
        check_name(c, what, f->name, f->loc);
        const char *macro_origin = c_macro_origin(f->name);
        if (macro_origin != NULL)
            diag_error(c->d, f->loc, "%s name '%s' is a macro of %s", what, f->name,
                       macro_origin);
        for (size_t i = 0; i < COUNT(body_names) && place != IN_STATE && place != IN_RECORD; i++)
            if (strcmp(f->name, body_names[i].name) == 0 &&
                (place != IN_REPLY || body_names[i].in_replies))
                diag_error(c->d, f->loc, "%s name '%s' is taken by the handler body's '%s'",
                           what, f->name, f->name);
        for (struct ast_field *g = fields; g != f; g = g->next)
            if (strcmp(g->name, f->name) == 0) {
                diag_error(c->d, f->loc, "duplicate %s '%s'", what, f->name);
                diag_note(c->d, g->loc, "first defined here");
                break;
            }
    }
}

const char *handler_kind_name(enum ast_handler_kind kind)
{
    switch (kind) {
    case AST_INIT: return "init";
    case AST_CALL: return "call";
    case AST_CAST: return "cast";
    case AST_INFO: return "info";
    case AST_INFO_TIMEOUT: return "info timeout";
    case AST_INFO_EXIT: return "info exit";
    case AST_INFO_DOWN: return "info down";
    case AST_TERMINATE: return "terminate";
    case AST_FORMAT_STATUS: return "format_status";
    case AST_CONTINUE: return "continue";
    case AST_CODE_CHANGE: return "code_change";
    }
    return "handler";
}
