/*
 * check.c: what the grammar cannot say.  Each check reports through diag
 * and goes on, so one run shows every mistake.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "checker.h"
#include "ctext.h"
#include "term.h"

/* Names of the generated API that handlers must not take. */
static const char *const generated_names[] = {
    "start", "start_link", "start_monitor", "start_opts", "stop", "stop_timeout",
    "stop_ref", "stop_timeout_ref", "enter_loop",
    "state", "module", "init", "dispatch", "messages"};


/* A record may not hold itself by value, however deep: a search from its
 * fields that visits each record once (a plain recursion would be
 * exponential on records that share fields). */
static bool contains_itself(const struct ast_spec *spec, const struct ast_record *target)
{
    size_t n = 0;
    for (const struct ast_record *r = spec->records; r != NULL; r = r->next)
        n++;
    const struct ast_record **stack = calloc(n + 1, sizeof *stack);
    const struct ast_record **seen = calloc(n + 1, sizeof *seen);
    if (stack == NULL || seen == NULL) {
        free(stack);
        free(seen);
        return false;
    }
    size_t depth = 0, n_seen = 0;
    bool found = false;
    stack[depth++] = target;
    while (depth > 0 && !found) {
        const struct ast_record *r = stack[--depth];
        for (const struct ast_field *f = r->fields; f != NULL && !found; f = f->next) {
            const struct ast_record *next = f->type.kind == AST_TYPE_RECORD ? f->type.record : NULL;
            if (next == NULL)
                continue;
            if (next == target) {
                found = true;
                break;
            }
            bool visited = false;
            for (size_t i = 0; i < n_seen && !visited; i++)
                visited = seen[i] == next;
            if (!visited && n_seen < n) {
                seen[n_seen++] = next;
                stack[depth++] = next;
            }
        }
    }
    free(stack);
    free(seen);
    return found;
}

static void check_server_lines(struct checker *c, bool after_syntax_errors)
{
    const struct ast_server_line *first = c->spec->server_lines;
    if (first == NULL && after_syntax_errors)
        return; /* it may be where the syntax error was */
    if (first == NULL) {
        struct srv_loc start = {1, 1, 1, 1, 0, 0};
        diag_error(c->d, start, "missing 'server NAME;' line");
        return;
    }
    const char *kind = first->supervisor ? "supervisor" : "server";
    if (!first->first_item)
        diag_error(c->d, first->loc, "'%s %s;' must come before everything else", kind,
                   first->name);
    check_name(c, kind, first->name, first->loc);
    for (const struct ast_server_line *l = first->next; l != NULL; l = l->next) {
        diag_error(c->d, l->loc, "repeated '%s' line",
                   l->supervisor == first->supervisor ? kind : "server' or 'supervisor");
        diag_note(c->d, first->loc, "first given here");
    }
}


/* `info timeout`, `info exit`, `info down`: bare info handlers. */
static void resolve_bare_info(struct checker *c, struct ast_handler *h)
{
    static const char *const names[] = {"timeout", "exit", "down"};
    static const enum ast_handler_kind kinds[] = {AST_INFO_TIMEOUT, AST_INFO_EXIT,
                                                  AST_INFO_DOWN};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(h->name, names[i]) == 0) {
            h->kind = kinds[i];
            return;
        }
    const char *hint = NULL;
    for (size_t i = 0; i < 3; i++)
        if (check_distance(h->name, names[i]) <= 2)
            hint = names[i];
    if (hint != NULL)
        diag_error(c->d, h->loc, "unknown info handler '%s'; did you mean '%s'?", h->name,
                   hint);
    else
        diag_error(c->d, h->loc,
                   "info handler '%s' needs its arguments: 'info %s(...)', or is one of "
                   "timeout, exit, down",
                   h->name, h->name);
}

/* The generated names a call, cast or info takes beyond its own:
 * query_timeout, query_full, query_reply, query_ref, ... (an info's are
 * send_NAME's). */
static const char *const call_suffixes[] = {"_timeout", "_full", "_reply", "_reply_free",
                                            "_reply_to", "_result", "_from",
                                            "_send_request", "_wait_response",
                                            "_receive_response", "_check_response", "_ref",
                                            "_timeout_ref", "_full_ref", "_multi_call",
                                            "_send_request_ref", "_node"};
static const char *const cast_suffixes[] = {"_ref", "_abcast", "_node"};
static const char *const send_suffixes[] = {"_ref"}; /* of send_NAME */

static bool collides_with(const char *name, const struct ast_handler *g)
{
    size_t n = strlen(g->name);
    if (strncmp(name, g->name, n) != 0)
        return false;
    const char *const *suffixes = g->kind == AST_CALL   ? call_suffixes
                                  : g->kind == AST_CAST ? cast_suffixes
                                                        : send_suffixes;
    size_t count = g->kind == AST_CALL   ? COUNT(call_suffixes)
                   : g->kind == AST_CAST ? COUNT(cast_suffixes)
                                         : COUNT(send_suffixes);
    if (check_in_list(name + n, suffixes, count))
        return true;
    return g->kind == AST_CALL && strncmp(name + n, "_result_", 8) == 0;
}

/* The generated names an info message x takes in the space of calls and
 * casts: x_send_after, x_start_timer and their _ref twins. */
static const char *const info_suffixes[] = {"_send_after", "_start_timer",
                                            "_send_after_ref", "_start_timer_ref"};

/* Whether name is one of the names info generates there. */
static bool info_makes(const char *name, const struct ast_handler *info)
{
    size_t n = strlen(info->name);
    return strncmp(name, info->name, n) == 0 &&
           check_in_list(name + n, info_suffixes, COUNT(info_suffixes));
}

/* Whether info's generated names are other's name, or one that other, a
 * call, generates. */
static bool collides_with_info(const struct ast_handler *other, const struct ast_handler *info)
{
    if (info_makes(other->name, info))
        return true;
    for (size_t i = 0; i < COUNT(info_suffixes) && other->kind == AST_CALL; i++) {
        char made[512];
        snprintf(made, sizeof made, "%s%s", info->name, info_suffixes[i]);
        if (collides_with(made, other))
            return true;
    }
    return false;
}

/* The attributes a spec may write, before `call` or before `server` (then
 * for every call). */
static const char *const known_attrs[] = {"skip_abandoned", "erlang_request",
                                          "erlang_reply"};

/* Reports unknown and repeated attributes; true if name is among them. */
static bool check_attrs(struct checker *c, const struct ast_attr *attrs, const char *name)
{
    bool found = false;
    for (const struct ast_attr *a = attrs; a != NULL; a = a->next) {
        if (!check_in_list(a->name, known_attrs, COUNT(known_attrs))) {
            const char *hint = NULL;
            for (size_t i = 0; i < COUNT(known_attrs); i++)
                if (check_distance(a->name, known_attrs[i]) <= 3)
                    hint = known_attrs[i];
            if (hint != NULL)
                diag_error(c->d, a->loc, "unknown attribute '%s'; did you mean '%s'?",
                           a->name, hint);
            else
                diag_error(c->d, a->loc, "unknown attribute '%s'", a->name);
            continue;
        }
        for (const struct ast_attr *b = attrs; b != a; b = b->next)
            if (strcmp(a->name, b->name) == 0) {
                diag_error(c->d, a->loc, "repeated attribute '%s'", a->name);
                diag_note(c->d, b->loc, "first given here");
                break;
            }
        found |= strcmp(a->name, name) == 0;
    }
    return found;
}

/* A call's [[erlang_request("...")]] and [[erlang_reply("...")]]: a
 * pattern over its arguments or its reply fields (gen/term.c), each field
 * once, all of them with an Erlang term.  A server's attributes take no
 * pattern, and skip_abandoned takes no text. */
static void check_erlang_attrs(struct checker *c, struct ast_handler *call,
                               const struct ast_attr *attrs)
{
    for (const struct ast_attr *a = attrs; a != NULL; a = a->next) {
        bool request = strcmp(a->name, "erlang_request") == 0;
        bool pattern = request || strcmp(a->name, "erlang_reply") == 0;
        if (!pattern) {
            if (a->text != NULL && check_in_list(a->name, known_attrs, COUNT(known_attrs)))
                diag_error(c->d, a->text_loc, "attribute '%s' takes no text", a->name);
            continue;
        }
        if (call == NULL) {
            diag_error(c->d, a->loc, "attribute '%s' belongs before a call", a->name);
            continue;
        }
        if (a->text == NULL) {
            diag_error(c->d, a->loc, "attribute '%s' needs a pattern: %s(\"{...}\")",
                       a->name, a->name);
            continue;
        }
        const struct ast_field *fields = request ? call->args : call->reply;
        char error[160];
        struct pattern *p = pattern_parse(a->text, fields, error, sizeof error);
        if (p == NULL) {
            diag_error(c->d, a->text_loc, "bad Erlang pattern: %s", error);
            continue;
        }
        pattern_free(p);
        if (request)
            call->erlang_request = a;
        else
            call->erlang_reply = a;
    }
}

/* ---------------------------------------------------------------------- */
/* The continue, hibernate and detail forms in handler bodies              */

/* Which handler kinds may use each form: OTP's callbacks that take a
 * {continue, C} or hibernate as their tuple's last element, that may
 * stop with {Reason, Detail}, and that are given a reason with a detail
 * (REASON_DETAIL: terminate, and info exit and info down).  A stop with
 * detail takes its reason and the detail's text first: it has at least
 * min_args arguments (0: not checked), and at most max_args (0: any). */
enum { FORM_INIT = 1, FORM_CALL = 2, FORM_NOREPLY = 4, FORM_GIVEN_REASON = 8 };
static const struct {
    const char *name;
    unsigned kinds;
    bool names_continue;
    int min_args, max_args;
    const char *usage;
} body_forms[] = {
    {"ok_continue", FORM_INIT, true, 0, 0, NULL},
    {"ok_hibernate", FORM_INIT, false, 0, 0, NULL},
    {"reply_continue", FORM_CALL, true, 0, 0, NULL},
    {"reply_hibernate", FORM_CALL, false, 0, 0, NULL},
    {"noreply_continue", FORM_CALL | FORM_NOREPLY, true, 0, 0, NULL},
    {"noreply_hibernate", FORM_CALL | FORM_NOREPLY, false, 0, 0, NULL},
    {"stop_detail", FORM_INIT | FORM_CALL | FORM_NOREPLY, false, 2, 2,
     "stop_detail(reason, \"detail\")"},
    {"stop_reply_detail", FORM_CALL, false, 2, 0,
     "stop_reply_detail(reason, \"detail\", reply...)"},
    {"REASON_DETAIL", FORM_GIVEN_REASON, false, 0, 0, NULL},
};

static unsigned form_kind(enum ast_handler_kind kind)
{
    switch (kind) {
    case AST_INIT: return FORM_INIT;
    case AST_CALL: return FORM_CALL;
    case AST_TERMINATE: return FORM_GIVEN_REASON;
    case AST_FORMAT_STATUS: return 0;
    case AST_INFO_EXIT:
    case AST_INFO_DOWN: return FORM_NOREPLY | FORM_GIVEN_REASON;
    default: return FORM_NOREPLY;
    }
}

/* A place in a body: its text from the start, and where that starts. */
struct body_cursor {
    const char *text;
    struct srv_loc start;
};

/* The location of the len characters at p in the body. */
static struct srv_loc body_loc(const struct body_cursor *b, const char *p, size_t len)
{
    struct srv_loc loc = b->start;
    for (const char *q = b->text; q < p; q++) {
        if (*q == '\n') {
            loc.first_line++;
            loc.first_column = 1;
        } else {
            loc.first_column++;
        }
    }
    loc.offset += (size_t)(p - b->text);
    loc.offset_end = loc.offset + len;
    loc.last_line = loc.first_line;
    loc.last_column = loc.first_column + (int)len - 1;
    return loc;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static size_t ident_len(const char *p)
{
    size_t n = 0;
    if (isalpha((unsigned char)*p) || *p == '_')
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
    return n;
}

/* The arguments between the parenthesis at p and its match: -1 if it
 * does not close. */
static int count_args(const char *p)
{
    int depth = 0, commas = 0;
    bool any = false;
    for (; *p != '\0'; p++) {
        if (*p == '"' || *p == '\'') {
            char quote = *p++;
            while (*p != '\0' && *p != quote)
                p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
            if (*p == '\0')
                return -1;
            any = true;
        } else if (*p == '(' || *p == '[' || *p == '{') {
            any |= depth > 0;
            depth++;
        } else if (*p == ')' || *p == ']' || *p == '}') {
            if (--depth == 0)
                return any ? commas + 1 : 0;
            any = true;
        } else if (*p == ',' && depth == 1) {
            commas++;
        } else if (!isspace((unsigned char)*p)) {
            any = true;
        }
    }
    return -1;
}

/* One form at p (its name, len characters long) in handler h's body. */
static void check_form(struct checker *c, const struct ast_handler *h,
                       const struct body_cursor *b, const char *p, size_t i)
{
    size_t len = strlen(body_forms[i].name);
    if (!(form_kind(h->kind) & body_forms[i].kinds)) {
        if (body_forms[i].kinds == FORM_GIVEN_REASON)
            diag_error(c->d, body_loc(b, p, len),
                       "%s is given no reason: '%s' is terminate's, info exit's and "
                       "info down's",
                       handler_kind_name(h->kind), body_forms[i].name);
        else
            diag_error(c->d, body_loc(b, p, len), "%s cannot return '%s'",
                       handler_kind_name(h->kind), body_forms[i].name);
        return;
    }
    const char *q = skip_space(p + len);
    if (body_forms[i].min_args > 0 && *q == '(') {
        int given = count_args(q);
        if (given >= 0 && (given < body_forms[i].min_args ||
                           (body_forms[i].max_args > 0 && given > body_forms[i].max_args)))
            diag_error(c->d, body_loc(b, p, len),
                       "'%s' takes a reason and the detail's text: '%s'", body_forms[i].name,
                       body_forms[i].usage);
        return;
    }
    if (!body_forms[i].names_continue || *q != '(')
        return;
    const char *name = skip_space(q + 1);
    size_t n = ident_len(name);
    if (n == 0)
        return; /* not a name: the C compiler says what it is */
    char word[65];
    snprintf(word, sizeof word, "%.*s", (int)(n < 64 ? n : 64), name);
    const struct ast_handler *cont = NULL;
    const char *hint = NULL;
    for (const struct ast_handler *g = c->spec->handlers; g != NULL; g = g->next)
        if (g->kind == AST_CONTINUE) {
            if (strlen(g->name) == n && memcmp(g->name, name, n) == 0)
                cont = g;
            else if (check_distance(g->name, word) <= 2)
                hint = g->name;
        }
    struct srv_loc at = body_loc(b, name, n);
    if (cont == NULL) {
        if (hint != NULL)
            diag_error(c->d, at, "unknown continue handler '%.*s'; did you mean '%s'?",
                       (int)n, name, hint);
        else
            diag_error(c->d, at, "unknown continue handler '%.*s'", (int)n, name);
        return;
    }
    const char *open = skip_space(name + n);
    int given = *open == '(' ? count_args(open) : -1;
    int wanted = (int)ast_field_count(cont->args);
    if (given < 0)
        diag_error(c->d, at, "continue '%s' needs its arguments: '%s(...)'", cont->name,
                   cont->name);
    else if (given != wanted)
        diag_error(c->d, at, "continue '%s' takes %d argument%s, not %d", cont->name, wanted,
                   wanted == 1 ? "" : "s", given);
}

/* The continue and hibernate forms a body returns: each of its handler's
 * kind, and each continue it names declared and given its arguments. */
static void check_body_forms(struct checker *c, const struct ast_handler *h)
{
    if (!h->has_body || h->body.text == NULL)
        return;
    struct body_cursor b = {h->body.text, h->body.loc};
    size_t len;
    bool member;
    for (const char *at = b.text, *word; (word = ctext_next_word(b.text, &at, &len, &member));)
        for (size_t i = 0; i < COUNT(body_forms) && !member; i++)
            if (strlen(body_forms[i].name) == len && memcmp(word, body_forms[i].name, len) == 0)
                check_form(c, h, &b, word, i);
}

static void check_handlers(struct checker *c)
{
    const struct ast_server_line *server = c->spec->server_lines;
    bool skip_all = server != NULL &&
                    check_attrs(c, server->attrs, "skip_abandoned");
    if (server != NULL)
        check_erlang_attrs(c, NULL, server->attrs);
    for (struct ast_handler *h = c->spec->handlers; h != NULL; h = h->next)
        if (h->kind == AST_INFO && h->bare)
            resolve_bare_info(c, h);

    for (struct ast_handler *h = c->spec->handlers; h != NULL; h = h->next) {
        bool named = h->kind == AST_CALL || h->kind == AST_CAST || h->kind == AST_CONTINUE ||
                     (h->kind == AST_INFO && !h->bare);
        if (!named) {
            if (h->kind == AST_INFO)
                continue; /* a bare info that was already reported */
            for (struct ast_handler *g = c->spec->handlers; g != h; g = g->next)
                if (g->kind == h->kind) {
                    diag_error(c->d, h->loc, "repeated %s", handler_kind_name(h->kind));
                    diag_note(c->d, g->loc, "first defined here");
                    break;
                }
            check_fields(c, h->args, "argument", IN_INIT);
            check_body_forms(c, h);
            continue;
        }
        const char *what = handler_kind_name(h->kind);
        check_name(c, what, h->name, h->loc);
        if (h->kind != AST_INFO && check_in_list(h->name, generated_names, COUNT(generated_names)))
            diag_error(c->d, h->loc, "%s name '%s' collides with the generated '%s_%s'", what,
                       h->name, c->spec->name ? c->spec->name : "NAME", h->name);
        if (strncmp(h->name, "handle_", 7) == 0 || strncmp(h->name, "send_", 5) == 0)
            diag_error(c->d, h->loc, "%s name '%s' collides with generated names", what,
                       h->name);
        for (struct ast_handler *g = c->spec->handlers; g != h; g = g->next) {
            bool g_named = g->kind == AST_CALL || g->kind == AST_CAST ||
                           g->kind == AST_CONTINUE || (g->kind == AST_INFO && !g->bare);
            if (!g_named)
                continue;
            /* calls and casts share NAME_x; infos have NAME_send_x; a
             * continue's NAME_continue_x is unique, but its handler and
             * arguments' names are every other message's */
            bool same_space = (g->kind == AST_INFO) == (h->kind == AST_INFO) ||
                              g->kind == AST_CONTINUE || h->kind == AST_CONTINUE;
            if (same_space && strcmp(g->name, h->name) == 0) {
                diag_error(c->d, h->loc, "duplicate handler '%s'", h->name);
                diag_note(c->d, g->loc, "first defined here");
                break;
            }
            if (same_space && collides_with(h->name, g)) {
                diag_error(c->d, h->loc, "%s name '%s' collides with a generated name of %s '%s'",
                           what, h->name, handler_kind_name(g->kind), g->name);
                break;
            }
            if (same_space && collides_with(g->name, h)) {
                diag_error(c->d, h->loc, "%s '%s' makes a generated name that %s '%s' has",
                           what, h->name, handler_kind_name(g->kind), g->name);
                break;
            }
            if (g->kind == AST_INFO && h->kind != AST_INFO && collides_with_info(h, g)) {
                diag_error(c->d, h->loc, "%s name '%s' collides with a generated name of info '%s'",
                           what, h->name, g->name);
                break;
            }
            if (h->kind == AST_INFO && g->kind != AST_INFO && collides_with_info(g, h)) {
                diag_error(c->d, h->loc, "info '%s' makes a generated name that %s '%s' has",
                           h->name, handler_kind_name(g->kind), g->name);
                break;
            }
        }
        for (const struct ast_record *r = c->spec->records; r != NULL; r = r->next)
            if (h->kind != AST_INFO && strcmp(r->name, h->name) == 0) {
                diag_error(c->d, h->loc, "%s name '%s' is also a record's name", what, h->name);
                diag_note(c->d, r->loc, "record defined here");
            } else if (h->kind == AST_INFO && info_makes(r->name, h)) {
                diag_error(c->d, h->loc, "info '%s' makes a generated name that record '%s' has",
                           h->name, r->name);
                diag_note(c->d, r->loc, "record defined here");
            }
        check_fields(c, h->args, "argument", IN_MESSAGE);
        check_body_forms(c, h);
        if (h->kind == AST_CALL) {
            h->skip_abandoned = check_attrs(c, h->attrs, "skip_abandoned") || skip_all;
            check_erlang_attrs(c, h, h->attrs);
            check_fields(c, h->reply, "reply field", IN_REPLY);
        }
    }
}

int check_spec(struct ast_spec *spec, struct diag *d, bool after_syntax_errors)
{
    struct checker c = {spec, d, NULL};
    int before = diag_error_count(d);
    check_server_lines(&c, after_syntax_errors);
    if (spec->supervisor) {
        check_supervisor(&c);
        return diag_error_count(d) - before;
    }

    for (const struct ast_state_block *b = spec->state_blocks; b != NULL; b = b->next)
        if (b != spec->state_blocks) {
            diag_error(d, b->loc, "repeated state block");
            diag_note(d, spec->state_blocks->loc, "first defined here");
        }
    for (struct ast_record *r = spec->records; r != NULL; r = r->next) {
        check_name(&c, "record", r->name, r->loc);
        if (ast_builtin_type(r->name) != AST_TYPE_UNKNOWN ||
            strcmp(r->name, "state") == 0)
            diag_error(d, r->loc, "record name '%s' is taken by a spec type", r->name);
        for (struct ast_record *q = spec->records; q != r; q = q->next)
            if (strcmp(q->name, r->name) == 0) {
                diag_error(d, r->loc, "duplicate record '%s'", r->name);
                diag_note(d, q->loc, "first defined here");
                break;
            }
        if (r->fields == NULL)
            diag_error(d, r->loc, "record '%s' has no fields", r->name);
        check_fields(&c, r->fields, "record field", IN_RECORD);
    }
    for (struct ast_record *r = spec->records; r != NULL; r = r->next)
        if (contains_itself(spec, r))
            diag_error(d, r->loc, "record '%s' contains itself", r->name);
    check_fields(&c, spec->state, "state field", IN_STATE);
    check_handlers(&c);
    return diag_error_count(d) - before;
}
