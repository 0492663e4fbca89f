/*
 * check_sup.c: the checks of a supervisor spec (docs/language.md,
 * "Supervisors"): its settings, the specs it uses, and each child's
 * start arguments against the init of the spec it runs.  Each check
 * reports through diag and goes on; what it resolves (strategy, each
 * child's spec, restart and shutdown) the emitter reads.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checker.h"

static const char *const strategies[] = {"one_for_one", "one_for_all", "rest_for_one",
                                         "simple_one_for_one"}; /* ORDER AST_STRATEGY */
static const char *const restarts[] = {"permanent", "transient", "temporary"};
static const char *const properties[] = {"start", "name", "restart", "shutdown"};

/* The word of list closest to word (within 2 edits), or NULL. */
static const char *closest(const char *word, const char *const *list, size_t n)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (size_t i = 0; i < n; i++) {
        size_t dist = check_distance(word, list[i]);
        if (dist < best_distance) {
            best = list[i];
            best_distance = dist;
        }
    }
    return best;
}

/* "; did you mean 'x'?" or nothing, into buf. */
static const char *hint_text(char *buf, size_t size, const char *hint)
{
    if (hint == NULL)
        return "";
    snprintf(buf, size, "; did you mean '%s'?", hint);
    return buf;
}

/* The index of v's word in list, or -1 after an error that says what
 * the key takes (one of list). */
static int one_of(struct checker *c, const struct ast_value *v, const char *key,
                  const char *const *list, size_t n)
{
    if (v->kind == AST_VALUE_NAME)
        for (size_t i = 0; i < n; i++)
            if (strcmp(v->text, list[i]) == 0)
                return (int)i;
    char all[160] = "", hint[96];
    for (size_t i = 0; i < n; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? ", " : "", list[i]);
    if (v->kind == AST_VALUE_NAME)
        diag_error(c->d, v->loc, "bad %s '%s'%s", key, v->text,
                   hint_text(hint, sizeof hint, closest(v->text, list, n)));
    else
        diag_error(c->d, v->loc, "bad %s %s: it is one of %s", key, v->text, all);
    return -1;
}

/* A non-negative integer that fits in max: its value, or an error. */
static bool whole_number(struct checker *c, const struct ast_value *v, const char *what,
                         unsigned long long max, unsigned long long *out)
{
    if (v->kind == AST_VALUE_NUMBER && v->text[0] != '-' && strchr(v->text, '.') == NULL) {
        errno = 0;
        unsigned long long n = strtoull(v->text, NULL, 10);
        if (errno == 0 && n <= max) {
            *out = n;
            return true;
        }
    }
    diag_error(c->d, v->loc, "%s must be a non-negative integer, not %s", what, v->text);
    return false;
}

/* ---------------------------------------------------------------------- */
/* Settings and uses                                                       */

/* A repeated key of a list of settings or properties: reported, true. */
static bool repeated(struct checker *c, const struct ast_setting *list,
                     const struct ast_setting *s)
{
    for (const struct ast_setting *t = list; t != s; t = t->next)
        if (strcmp(t->key, s->key) == 0) {
            diag_error(c->d, s->loc, "repeated %s", s->key);
            diag_note(c->d, t->loc, "first given here");
            return true;
        }
    return false;
}

static void check_settings(struct checker *c)
{
    struct ast_spec *spec = c->spec;
    spec->strategy = AST_ONE_FOR_ONE; /* OTP's defaults */
    spec->intensity = 1;
    spec->period = 5;
    for (const struct ast_setting *s = spec->settings; s != NULL; s = s->next) {
        if (repeated(c, spec->settings, s))
            continue;
        unsigned long long n;
        if (strcmp(s->key, "strategy") == 0) {
            int k = one_of(c, s->value, "strategy", strategies, COUNT(strategies));
            if (k >= 0)
                spec->strategy = (enum ast_strategy)k;
        } else if (whole_number(c, s->value, s->key, UINT_MAX, &n)) {
            *(strcmp(s->key, "intensity") == 0 ? &spec->intensity : &spec->period) = n;
        }
    }
}

/* The used specs: each read, named once, a server or a supervisor. */
static void check_uses(struct checker *c)
{
    for (const struct ast_use *u = c->spec->uses; u != NULL; u = u->next) {
        if (strchr(u->path, '\\') != NULL || u->path[0] == '\0') {
            diag_error(c->d, u->loc, "a used spec's path is plain text, without escapes");
            continue;
        }
        if (u->spec == NULL || u->spec->name == NULL)
            continue; /* unreadable, or no name line: reported */
        if (strcmp(u->spec->name, c->spec->name) == 0) {
            diag_error(c->d, u->loc, "'%s' is %s itself", u->path, c->spec->name);
            continue;
        }
        for (const struct ast_use *v = c->spec->uses; v != u; v = v->next)
            if (v->spec != NULL && v->spec->name != NULL &&
                strcmp(v->spec->name, u->spec->name) == 0) {
                diag_error(c->d, u->loc, "'%s' names its spec '%s', as '%s' does", u->path,
                           u->spec->name, v->path);
                break;
            }
    }
}

/* The used spec called name, or NULL. */
static const struct ast_spec *used_spec(const struct ast_spec *spec, const char *name)
{
    for (const struct ast_use *u = spec->uses; u != NULL; u = u->next)
        if (u->spec != NULL && u->spec->name != NULL && strcmp(u->spec->name, name) == 0)
            return u->spec;
    return NULL;
}

/* The first use after `after` (NULL: from the first) of a server spec
 * that declares a record called name, and that record (*record). */
static const struct ast_use *next_declaring(const struct ast_spec *spec, const char *name,
                                            const struct ast_use *after,
                                            const struct ast_record **record)
{
    for (const struct ast_use *u = after != NULL ? after->next : spec->uses; u != NULL;
         u = u->next) {
        if (u->spec == NULL || u->spec->name == NULL || u->spec->supervisor)
            continue;
        *record = ast_find_record(u->spec, name);
        if (*record != NULL)
            return u;
    }
    return NULL;
}

/* A record type t of spec, resolved: a server's own record, or for a
 * supervisor the first record of a spec it uses.  What is not found is
 * left for the spec's own compilation to report. */
static void resolve_type(const struct ast_spec *spec, struct ast_type *t)
{
    if (t->kind != AST_TYPE_RECORD || t->record != NULL)
        return;
    if (!spec->supervisor) {
        t->record = ast_find_record(spec, t->name);
        t->owner = spec->name;
        return;
    }
    const struct ast_use *u = next_declaring(spec, t->name, NULL, &t->record);
    t->owner = u != NULL ? u->spec->name : NULL;
}

/* The record types of the specs spec uses, however deep: their records'
 * fields and their init's arguments, which the children's start
 * arguments are typed against, and which a supervisor's own init
 * argument may take.  (The used specs are not checked here: each one's
 * own compilation does that.) */
static void resolve_used_types(const struct ast_spec *spec)
{
    for (const struct ast_use *u = spec->uses; u != NULL; u = u->next) {
        if (u->spec == NULL || u->spec->name == NULL)
            continue;
        resolve_used_types(u->spec); /* ends: the driver read USE_DEPTH levels */
        for (struct ast_record *r = u->spec->records; r != NULL; r = r->next)
            for (struct ast_field *f = r->fields; f != NULL; f = f->next)
                resolve_type(u->spec, &f->type);
        const struct ast_handler *init = ast_find_handler(u->spec, AST_INIT);
        for (struct ast_field *f = init != NULL ? init->args : NULL; f != NULL; f = f->next)
            resolve_type(u->spec, &f->type);
    }
}

/* A record type in a supervisor spec: a record of one of the specs it
 * uses, resolved (record, owner), or reported and made unknown. */
static void check_used_record(struct checker *c, struct ast_type *t)
{
    const struct ast_record *r, *other;
    const struct ast_use *first = next_declaring(c->spec, t->name, NULL, &r), *u = first;
    while (u != NULL && (u = next_declaring(c->spec, t->name, u, &other)) != NULL)
        if (strcmp(first->spec->name, u->spec->name) != 0)
            break; /* not the same spec used twice (reported) */
    if (first != NULL && u == NULL) {
        t->record = r;
        t->owner = first->spec->name;
        return;
    }
    if (u != NULL) {
        diag_error(c->d, t->loc, "record '%s' is declared by two specs %s uses, %s and %s: "
                   "which one is meant?", t->name, c->spec->name, first->spec->name,
                   u->spec->name);
        diag_note_in(c->d, first->shown_path, first->text, strlen(first->text), r->loc,
                     "%s's record '%s' is declared here", first->spec->name, t->name);
        diag_note_in(c->d, u->shown_path, u->text, strlen(u->text), other->loc,
                     "%s's record '%s' is declared here", u->spec->name, t->name);
    } else {
        const char *hint = check_closest_type(c->spec, t->name);
        char buf[96];
        diag_error(c->d, t->loc, "unknown type '%s'%s", t->name,
                   hint != NULL ? hint_text(buf, sizeof buf, hint)
                                : ": no spec used here declares a record so named");
    }
    t->kind = AST_TYPE_UNKNOWN;
}

/* A ptr(...) field of record r, however deep in its records, or NULL;
 * depth stops a record that holds itself (its own spec reports it). */
static const struct ast_field *moved_field(const struct ast_record *r, int depth)
{
    for (const struct ast_field *f = r->fields; f != NULL && depth < 64; f = f->next) {
        const struct ast_field *inner = NULL;
        if (f->type.kind == AST_TYPE_PTR)
            return f;
        if (f->type.kind == AST_TYPE_RECORD && f->type.record != NULL)
            inner = moved_field(f->type.record, depth + 1);
        if (inner != NULL)
            return inner;
    }
    return NULL;
}

/* An argument f that a supervisor cannot give again at each restart: a
 * ptr, whose ownership moves with the start, or a record that holds one.
 * What f is, in words, into buf; NULL for any other argument. */
static const char *moves(char *buf, size_t size, const struct ast_field *f)
{
    const struct ast_field *moved = f->type.kind == AST_TYPE_RECORD && f->type.record != NULL
                                        ? moved_field(f->type.record, 0) : NULL;
    if (f->type.kind != AST_TYPE_PTR && moved == NULL)
        return NULL;
    if (moved == NULL)
        snprintf(buf, size, "ptr");
    else
        snprintf(buf, size, "record %s, whose field '%s' is ptr", f->type.name, moved->name);
    return buf;
}

/* ---------------------------------------------------------------------- */
/* Start arguments                                                         */

/* The range of an integer type: min and max as long long / unsigned. */
static bool integer_range(enum ast_type_kind k, long long *min, unsigned long long *max)
{
    static const struct {
        enum ast_type_kind kind;
        long long min;
        unsigned long long max;
    } ranges[] = {
        {AST_TYPE_I8, INT8_MIN, INT8_MAX},     {AST_TYPE_I16, INT16_MIN, INT16_MAX},
        {AST_TYPE_I32, INT32_MIN, INT32_MAX},  {AST_TYPE_I64, INT64_MIN, INT64_MAX},
        {AST_TYPE_U8, 0, UINT8_MAX},           {AST_TYPE_U16, 0, UINT16_MAX},
        {AST_TYPE_U32, 0, UINT32_MAX},         {AST_TYPE_U64, 0, UINT64_MAX},
        {AST_TYPE_INT, INT_MIN, INT_MAX},
    };
    for (size_t i = 0; i < COUNT(ranges); i++)
        if (ranges[i].kind == k) {
            *min = ranges[i].min;
            *max = ranges[i].max;
            return true;
        }
    return false;
}

/* A number for a parameter of kind k: NULL, or what is wrong with it. */
static const char *number_fits(const char *text, enum ast_type_kind k)
{
    long long min;
    unsigned long long max;
    if (k == AST_TYPE_DOUBLE || k == AST_TYPE_FLOAT)
        return NULL;
    if (!integer_range(k, &min, &max))
        return "a number";
    if (strchr(text, '.') != NULL)
        return "not an integer";
    errno = 0;
    if (text[0] == '-') {
        long long n = strtoll(text, NULL, 10);
        return errno != 0 || n < min ? "out of its range" : NULL;
    }
    unsigned long long n = strtoull(text, NULL, 10);
    return errno != 0 || n > max ? "out of its range" : NULL;
}

/* The supervisor's init argument called name, or NULL. */
static const struct ast_field *own_arg(const struct ast_spec *spec, const char *name)
{
    const struct ast_handler *init = ast_find_handler(spec, AST_INIT);
    for (const struct ast_field *f = init ? init->args : NULL; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* The name of a type, as a spec writes it. */
static const char *type_text(const struct ast_type *t)
{
    return t->kind == AST_TYPE_RECORD ? t->name : ast_type_kind_name(t->kind);
}

/* A parameter p of child's init that giver cannot give (what: moves()). */
static void moved_arg(struct checker *c, struct srv_loc loc, const char *giver,
                      const struct ast_spec *child, const struct ast_field *p, const char *what)
{
    diag_error(c->d, loc, "argument '%s' of %s's init is %s: %s cannot give it, for its "
               "ownership moves to the child, and every restart would give it again",
               p->name, child->name, what, giver);
}

/* A type as a message names it: "string", "record point of pt". */
static const char *type_words(char *buf, size_t size, const struct ast_type *t)
{
    if (t->kind != AST_TYPE_RECORD || t->owner == NULL)
        return type_text(t);
    snprintf(buf, size, "record %s of %s", t->name, t->owner);
    return buf;
}

/* Whether an init argument of type own can give a parameter of type p:
 * the same type, and for a record the same spec's record (its C type). */
static bool same_type(const struct ast_type *own, const struct ast_type *p)
{
    if (own->kind != p->kind)
        return false;
    return own->kind != AST_TYPE_RECORD ||
           (own->owner != NULL && p->owner != NULL && strcmp(own->owner, p->owner) == 0 &&
            strcmp(own->name, p->name) == 0);
}

/* One start argument v for the child spec's parameter p. */
static void check_arg(struct checker *c, const struct ast_spec *child,
                      const struct ast_value *v, const struct ast_field *p)
{
    enum ast_type_kind k = p->type.kind;
    const char *why = NULL;
    char buf[160], wanted[160];
    if (v->kind == AST_VALUE_NUMBER) {
        why = number_fits(v->text, k);
    } else if (v->kind == AST_VALUE_STRING) {
        why = k == AST_TYPE_STRING || k == AST_TYPE_ATOM || k == AST_TYPE_BYTES
                  ? NULL : "a string";
    } else if (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0) {
        why = k == AST_TYPE_BOOL ? NULL : "a bool";
    } else {
        const struct ast_field *own = own_arg(c->spec, v->text);
        if (own == NULL) {
            diag_error(c->d, v->loc, "unknown name '%s': a start argument is a literal or an "
                       "argument of %s's init", v->text, c->spec->name);
            return;
        }
        if (own->type.kind == AST_TYPE_UNKNOWN)
            return; /* reported */
        if (!same_type(&own->type, &p->type))
            why = type_words(buf, sizeof buf, &own->type);
    }
    if (moves(wanted, sizeof wanted, p) != NULL) {
        moved_arg(c, v->loc, "a supervisor", child, p, wanted);
        return;
    }
    if ((k == AST_TYPE_RECORD || k == AST_TYPE_PID) && v->kind != AST_VALUE_NAME) {
        diag_error(c->d, v->loc, "argument '%s' of %s's init is %s: only an init argument "
                   "of %s of that type can give it", p->name, child->name,
                   type_words(wanted, sizeof wanted, &p->type), c->spec->name);
        return;
    }
    if (why != NULL)
        diag_error(c->d, v->loc, "argument '%s' of %s's init is %s; %s is %s", p->name,
                   child->name, type_words(wanted, sizeof wanted, &p->type), v->text, why);
}

/* start SPEC(ARGS): SPEC used, ARGS typed against its init. */
static void check_start(struct checker *c, struct ast_child *ch, const struct ast_setting *s)
{
    const struct ast_value *v = s->value;
    if (!s->has_args || v->kind != AST_VALUE_NAME) {
        diag_error(c->d, v->loc, "start names a used spec and gives its init's arguments: "
                   "'start SPEC(ARGS);'");
        return;
    }
    ch->spec = used_spec(c->spec, v->text);
    if (ch->spec == NULL) {
        const char *names[64], *hint;
        size_t n = 0;
        char buf[96];
        for (const struct ast_use *u = c->spec->uses; u != NULL && n < COUNT(names); u = u->next)
            if (u->spec != NULL && u->spec->name != NULL)
                names[n++] = u->spec->name;
        hint = closest(v->text, names, n);
        diag_error(c->d, v->loc, "unknown child spec '%s'%s", v->text,
                   hint != NULL ? hint_text(buf, sizeof buf, hint)
                                : ": no spec used here is named so");
        return;
    }
    const struct ast_handler *init = ast_find_handler(ch->spec, AST_INIT);
    const struct ast_field *p = init != NULL ? init->args : NULL;
    size_t given = 0, wanted = ast_field_count(p);
    char why[160];
    for (const struct ast_value *a = s->args; a != NULL; a = a->next) {
        if (a->kind == AST_VALUE_REST) {
            if (a->next != NULL)
                diag_error(c->d, a->loc, "'...' stands last: start_child's arguments follow "
                           "the fixed ones");
            else if (c->spec->strategy != AST_SIMPLE_ONE_FOR_ONE)
                diag_error(c->d, a->loc, "'...' (start_child's arguments) is for a "
                           "simple_one_for_one supervisor's child");
            ch->rest = true;
            for (const struct ast_field *q = p; q != NULL; q = q->next)
                if (moves(why, sizeof why, q) != NULL)
                    moved_arg(c, a->loc, "start_child", ch->spec, q, why);
            break;
        }
        if (p != NULL)
            check_arg(c, ch->spec, a, p);
        given++;
        p = p != NULL ? p->next : NULL;
    }
    ch->fixed = given;
    if (ch->rest ? given > wanted : given != wanted)
        diag_error(c->d, v->loc, "%s's init takes %zu argument%s, not %zu%s", ch->spec->name,
                   wanted, wanted == 1 ? "" : "s", given, ch->rest ? " and more" : "");
}

/* ---------------------------------------------------------------------- */
/* Children                                                                */

/* name "x": a string, or a string or atom init argument of the supervisor. */
static void check_registered_name(struct checker *c, struct ast_child *ch,
                                  const struct ast_value *v)
{
    const struct ast_field *own = v->kind == AST_VALUE_NAME ? own_arg(c->spec, v->text) : NULL;
    if (v->kind != AST_VALUE_STRING &&
        (own == NULL || (own->type.kind != AST_TYPE_STRING && own->type.kind != AST_TYPE_ATOM))) {
        diag_error(c->d, v->loc, "a registered name is a string, or a string or atom argument "
                   "of %s's init, not %s", c->spec->name, v->text);
        return;
    }
    ch->name = v;
    for (const struct ast_child *o = c->spec->children; o != ch; o = o->next)
        if (o->name != NULL && o->name->kind == v->kind && strcmp(o->name->text, v->text) == 0) {
            diag_error(c->d, v->loc, "name %s is used twice: children '%s' and '%s'", v->text,
                       o->id, ch->id);
            diag_note(c->d, o->name->loc, "first used here");
            return;
        }
}

/* A child's properties: each known and given once. */
static void check_properties(struct checker *c, struct ast_child *ch)
{
    char buf[96];
    for (const struct ast_setting *s = ch->props; s != NULL; s = s->next) {
        bool start = strcmp(s->key, "start") == 0;
        if (!check_in_list(s->key, properties, COUNT(properties))) {
            diag_error(c->d, s->loc, "unknown child property '%s'%s", s->key,
                       hint_text(buf, sizeof buf, closest(s->key, properties, COUNT(properties))));
            continue;
        }
        if (repeated(c, ch->props, s))
            continue;
        if (s->has_args && !start) {
            diag_error(c->d, s->loc, "%s takes a value, not arguments", s->key);
            continue;
        }
        unsigned long long ms;
        if (start) {
            ch->start = s;
            check_start(c, ch, s);
        } else if (strcmp(s->key, "name") == 0) {
            check_registered_name(c, ch, s->value);
        } else if (strcmp(s->key, "restart") == 0) {
            int k = one_of(c, s->value, "restart", restarts, COUNT(restarts));
            ch->restart = k >= 0 ? (enum ast_restart)k : AST_PERMANENT;
        } else if (s->value->kind == AST_VALUE_NAME && (strcmp(s->value->text, "brutal_kill") == 0 ||
                                                        strcmp(s->value->text, "infinity") == 0)) {
            ch->shutdown = s->value;
        } else if (s->value->kind == AST_VALUE_NUMBER) {
            if (whole_number(c, s->value, "shutdown", LONG_MAX, &ms))
                ch->shutdown = s->value;
        } else {
            diag_error(c->d, s->value->loc, "bad shutdown %s: it is brutal_kill, infinity or a "
                       "timeout in milliseconds", s->value->text);
        }
    }
    if (ch->start == NULL)
        diag_error(c->d, ch->loc, "child '%s' has no 'start SPEC(ARGS);'", ch->id);
}

static void check_children(struct checker *c)
{
    size_t n = 0;
    for (struct ast_child *ch = c->spec->children; ch != NULL; ch = ch->next) {
        n++;
        check_name(c, "child", ch->id, ch->loc);
        for (const struct ast_child *o = c->spec->children; o != ch; o = o->next)
            if (strcasecmp(o->id, ch->id) == 0) {
                if (strcmp(o->id, ch->id) == 0)
                    diag_error(c->d, ch->loc, "duplicate child id '%s'", ch->id);
                else
                    diag_error(c->d, ch->loc, "child ids '%s' and '%s' differ only in case: "
                               "their constants would be one", o->id, ch->id);
                diag_note(c->d, o->loc, "first defined here");
                break;
            }
        check_properties(c, ch);
        if (c->spec->strategy == AST_SIMPLE_ONE_FOR_ONE && ch->name != NULL)
            diag_error(c->d, ch->name->loc, "a simple_one_for_one child has no name of the "
                       "spec's: every child would take it (its init can register one)");
        if (c->spec->strategy == AST_SIMPLE_ONE_FOR_ONE && n == 2)
            diag_error(c->d, ch->loc, "a simple_one_for_one supervisor has one child, the "
                       "template of those start_child starts");
    }
    if (c->spec->strategy == AST_SIMPLE_ONE_FOR_ONE && n == 0) {
        const struct ast_setting *s = c->spec->settings;
        while (strcmp(s->key, "strategy") != 0)
            s = s->next;
        diag_error(c->d, s->value->loc, "a simple_one_for_one supervisor has one child, the "
                   "template of those start_child starts; it has none");
    }
}

/* What a supervisor spec may not hold: handlers but init, state, records. */
static void check_items(struct checker *c)
{
    const struct ast_handler *init = NULL;
    char why[160];
    for (const struct ast_handler *h = c->spec->handlers; h != NULL; h = h->next) {
        if (h->kind != AST_INIT) {
            diag_error(c->d, h->loc, "a supervisor has no '%s': it runs its children, "
                       "declared with 'child'", handler_kind_name(h->kind));
        } else if (init != NULL) {
            diag_error(c->d, h->loc, "repeated init");
            diag_note(c->d, init->loc, "first defined here");
        } else if (h->has_body) {
            diag_error(c->d, h->loc, "a supervisor's init has no body: write 'init(ARGS);', "
                       "and its children with 'child'");
        } else {
            init = h;
            check_fields(c, h->args, "argument", IN_INIT);
            for (const struct ast_field *f = h->args; f != NULL; f = f->next)
                if (moves(why, sizeof why, f) != NULL)
                    diag_error(c->d, f->type.loc, "a supervisor's init argument cannot be %s: "
                               "it gives its children the same at every restart", why);
        }
    }
    if (c->spec->has_state)
        diag_error(c->d, c->spec->state_loc, "a supervisor has no state");
    for (const struct ast_record *r = c->spec->records; r != NULL; r = r->next)
        diag_error(c->d, r->loc, "a supervisor has no records");
}

void check_supervisor(struct checker *c)
{
    c->used_record = check_used_record;
    resolve_used_types(c->spec);
    check_items(c);
    check_settings(c);
    check_uses(c);
    check_children(c);
}
