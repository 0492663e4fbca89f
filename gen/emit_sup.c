/*
 * emit_sup.c: the generated code of a supervisor spec.  Its shape is the
 * templates' (templates/supervisor.h.tmpl, supervisor.c.tmpl); this file
 * builds what they read from the checked spec: the children's specs and
 * the C of their start arguments, which come from literals and from the
 * supervisor's own init arguments.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "emitter.h"

/* ORDER AST_STRATEGY, AST_RESTART */
static const char *const strategies[] = {"SRV_ONE_FOR_ONE", "SRV_ONE_FOR_ALL",
                                         "SRV_REST_FOR_ONE", "SRV_SIMPLE_ONE_FOR_ONE"};
static const char *const restarts[] = {"SRV_PERMANENT", "SRV_TRANSIENT", "SRV_TEMPORARY"};

/* The parameter of a child's init that position i gives, or NULL. */
static const struct ast_field *init_param(const struct ast_spec *spec, size_t i)
{
    const struct ast_handler *init = ast_find_handler(spec, AST_INIT);
    const struct ast_field *p = init != NULL ? init->args : NULL;
    while (p != NULL && i-- > 0)
        p = p->next;
    return p;
}

/* The C of a start argument v for the parameter p: a literal of p's type,
 * or the supervisor's own argument (a->x). */
static void value_c(struct buf *b, const struct ast_value *v, const struct ast_field *p)
{
    enum ast_type_kind k = p->type.kind;
    if (v->kind == AST_VALUE_NAME && strcmp(v->text, "true") != 0 &&
        strcmp(v->text, "false") != 0)
        buf_printf(b, "a->%s", v->text);
    else if (v->kind == AST_VALUE_STRING && k == AST_TYPE_ATOM)
        buf_printf(b, "srv_atom_from(%s)", v->text);
    else if (v->kind == AST_VALUE_STRING && k == AST_TYPE_BYTES)
        buf_printf(b, "(srv_bytes){(unsigned char *)%s, sizeof %s - 1}", v->text, v->text);
    else if (k == AST_TYPE_FLOAT)
        buf_printf(b, "(float)%s", v->text);
    else if (k >= AST_TYPE_U8 && k <= AST_TYPE_U64)
        buf_printf(b, "%su", v->text);
    else
        buf_puts(b, v->text);
}

/* The fixed start arguments of a child, as assignments to its struct in
 * the supervisor's arguments. */
static void child_fills(struct tmpl_dict *d, const struct ast_child *ch)
{
    size_t i = 0;
    for (const struct ast_value *v = ch->start->args; v != NULL && i < ch->fixed; v = v->next) {
        const struct ast_field *p = init_param(ch->spec, i++);
        struct buf b;
        buf_init(&b);
        buf_printf(&b, "a->srv_children.%s.%s = ", ch->id, p->name);
        value_c(&b, v, p);
        buf_puts(&b, ";");
        tmpl_set(tmpl_add(d, "fills"), "fill", b.data);
        buf_free(&b);
    }
}

/* A child's shutdown: its spec's, or OTP's default for its type. */
static void child_shutdown(struct tmpl_dict *d, const struct ast_child *ch)
{
    const struct ast_value *v = ch->shutdown;
    if (v == NULL)
        tmpl_set(d, "shutdown", ch->spec->supervisor ? "SRV_INFINITY" : "5000");
    else if (strcmp(v->text, "brutal_kill") == 0)
        tmpl_set(d, "shutdown", "SRV_BRUTAL_KILL");
    else if (strcmp(v->text, "infinity") == 0)
        tmpl_set(d, "shutdown", "SRV_INFINITY");
    else
        tmpl_set(d, "shutdown", v->text);
}

/* One child: its spec entry in init, and its arguments' struct. */
static bool child(struct emitter *e, struct tmpl_dict *d, const struct ast_child *ch,
                  size_t index)
{
    struct tmpl_dict *item = tmpl_add(d, "children");
    const char *spec = ch->spec->name;
    bool has_args = ch->spec->supervisor || init_param(ch->spec, 0) != NULL;
    tmpl_set(item, "id", ch->id);
    tmpl_setf(item, "index", "%zu", index);
    tmpl_setf(item, "line", "%d", ch->loc.first_line);
    tmpl_set(item, "child_spec", spec);
    char constant[160];
    int len = snprintf(constant, sizeof constant, "%s_%s", e->upper, ch->id);
    for (int i = 0; i < len && i < (int)sizeof constant; i++)
        constant[i] = (char)toupper((unsigned char)constant[i]);
    tmpl_set(item, "CHILD", constant);
    tmpl_setf(item, "module", ch->spec->supervisor ? "NULL" : "&%s_module", spec);
    tmpl_setf(item, "sup", ch->spec->supervisor ? "&%s_module" : "NULL", spec);
    tmpl_setf(item, "args", has_args ? "&a->srv_children.%s" : "NULL", ch->id);
    if (ch->name == NULL)
        tmpl_set(item, "regname", "NULL");
    else if (ch->name->kind == AST_VALUE_STRING)
        tmpl_set(item, "regname", ch->name->text);
    else
        tmpl_setf(item, "regname", "a->%s", ch->name->text);
    tmpl_set(item, "restart", restarts[ch->restart]);
    child_shutdown(item, ch);
    if (has_args) {
        struct tmpl_dict *a = tmpl_add(d, "child_args");
        tmpl_set(a, "id", ch->id);
        tmpl_set(a, "child_spec", spec);
        child_fills(d, ch);
    }
    return has_args || ch->name != NULL;
}

/* simple_one_for_one: start_child's arguments (those after the template's
 * fixed ones), and how they complete the template's. */
static void start_child_args(struct emitter *e, struct tmpl_dict *d, const struct ast_child *ch)
{
    const struct ast_field *rest = init_param(ch->spec, ch->fixed);
    field_items(e, d, "extra_args", rest, "x->", VALUE_ARG);
    set_params(e, d, "extra_params", rest);
    tmpl_set(d, "template_spec", ch->spec->name);
    tmpl_set(d, "template_id", ch->id);
    tmpl_set(d, "template_args", init_param(ch->spec, 0) != NULL ? "1" : "");
    tmpl_setf(d, "combine_fn", "%s_combine_args", e->name);
    tmpl_setf(d, "extra_size", rest != NULL ? "sizeof(struct %s_start_child_args)" : "0",
              e->name);
    bool copies = set_copies(e, d, "extra_copies", rest);
    tmpl_setf(d, "copy_extra_fn", copies ? "%s_copy_extra_args" : "NULL", e->name);
    tmpl_setf(d, "free_extra_fn", copies ? "%s_free_extra_args" : "NULL", e->name);
}

/* The supervisor's own arguments: the struct, its copy and free. */
static void own_args(struct emitter *e, struct tmpl_dict *d)
{
    server_init(e, d);
    const struct ast_handler *init = ast_find_handler(e->spec, AST_INIT);
    const struct ast_field *args = init != NULL ? init->args : NULL;
    set_params(e, d, "params", args);
    set_names(d, "names", args, "", true);
    struct buf copy, undo, free_text;
    buf_init(&copy); /* run's parameters: init's, or void */
    buf_puts(&copy, "");
    value_params(e->name, &copy, args);
    tmpl_set(d, "run_params", copy.len > 0 ? copy.data + 2 : "void");
    buf_free(&copy);
    buf_init(&copy);
    buf_init(&undo);
    buf_init(&free_text);
    buf_puts(&copy, "");
    bool fails = value_copy_fields(e->name, &copy, &undo, args, "dst->", "src->", true);
    tmpl_set(d, "copy_fails", fails ? "1" : "");
    /* the template zeroes dst, children's arguments and all, in any case */
    const char *zero = "memset(dst, 0, sizeof *dst);\n";
    size_t n = strlen(zero);
    if (strncmp(copy.data, zero, n) == 0) {
        memmove(copy.data, copy.data + n, copy.len - n + 1);
        copy.len -= n;
    }
    set_text(d, "copy", &copy);
    set_text(d, "uncopy", &undo);
    bool frees = value_fields_own_memory(args);
    value_each(e->name, &free_text, VALUE_FREE, "a->", "", args);
    set_text(d, "free", &free_text);
    tmpl_set(d, "frees", frees ? "1" : "");
    tmpl_setf(d, "free_fn", frees ? "%s_free_args" : "NULL", e->name);
}

/* The data both templates read, beyond emit_files' own.  Returns 0. */
static int supervisor_data(struct emitter *e, struct tmpl_dict *d)
{
    const struct ast_spec *spec = e->spec;
    tmpl_list(d, "uses");
    for (const struct ast_use *u = spec->uses; u != NULL; u = u->next)
        tmpl_setf(tmpl_add(d, "uses"), "use_header", "%s.h", u->path);
    own_args(e, d);
    tmpl_set(d, "strategy", strategies[spec->strategy]);
    tmpl_setf(d, "intensity", "%lu", spec->intensity);
    tmpl_setf(d, "period", "%lu", spec->period);
    tmpl_list(d, "children");
    tmpl_list(d, "child_args");
    tmpl_list(d, "fills");
    size_t n = 0;
    bool reads = false;
    for (const struct ast_child *ch = spec->children; ch != NULL; ch = ch->next, n++)
        reads |= child(e, d, ch, n);
    tmpl_set(d, "reads_args", reads ? "1" : "");
    tmpl_setf(d, "child_count", "%zu", n);
    tmpl_set(d, "first_id", spec->children != NULL ? spec->children->id : "");
    bool simple = spec->strategy == AST_SIMPLE_ONE_FOR_ONE;
    tmpl_set(d, "simple", simple ? "1" : "");
    tmpl_set(d, "combine_fn", "NULL");
    tmpl_set(d, "extra_size", "0");
    tmpl_set(d, "copy_extra_fn", "NULL");
    tmpl_set(d, "free_extra_fn", "NULL");
    tmpl_list(d, "extra_args");
    tmpl_list(d, "extra_copies");
    if (simple)
        start_child_args(e, d, spec->children);
    return 0;
}

int emit_supervisor(const struct ast_spec *spec, const struct emit_options *opts,
                    struct diag *d, struct buf *h, struct buf *c)
{
    return emit_files(spec, opts, d, h, c, "supervisor", supervisor_data);
}
