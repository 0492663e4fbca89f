/*
 * ast_build.h: the constructors the grammar's actions call (ast.c).  Each
 * action is one call; nothing here checks anything (check.c does).
 */
#ifndef SRVC_AST_BUILD_H
#define SRVC_AST_BUILD_H

#include "ast.h"

void *ast_alloc(struct ast_spec *spec, size_t size);
char *ast_strndup(struct ast_spec *spec, const char *s, size_t n);

struct ast_type ast_type_named(const char *name, struct srv_loc loc);
struct ast_type ast_type_ptr(struct ast_spec *spec, const char *text, struct srv_loc loc);
struct ast_type ast_type_c(struct ast_spec *spec, const char *text, struct srv_loc loc);
struct ast_field *ast_field_new(struct ast_spec *spec, struct ast_type type,
                                const char *name, struct srv_loc loc);
struct ast_field *ast_field_declaration(struct ast_spec *spec, struct ast_type type);
struct ast_field *ast_fields_append(struct ast_field *list, struct ast_field *f);

struct ast_handler *ast_handler_add(struct ast_spec *spec, enum ast_handler_kind kind,
                                    const char *name, struct srv_loc loc,
                                    struct ast_field *args, struct ast_field *reply,
                                    const struct ast_code *body);
void ast_server_name(struct ast_spec *spec, const char *name, struct srv_loc loc,
                     bool first_item, struct ast_attr *attrs);
struct ast_attr *ast_attr_append(struct ast_spec *spec, struct ast_attr *list,
                                 const char *name, struct srv_loc loc);
struct ast_attr *ast_attrs_join(struct ast_attr *list, struct ast_attr *more);
/* attr, which is NAME("text"), takes its text. */
struct ast_attr *ast_attr_text(struct ast_attr *attr, const char *text, struct srv_loc loc);
/* The call just added takes its attributes. */
void ast_call_attrs(struct ast_handler *call, struct ast_attr *attrs);
void ast_c_block(struct ast_spec *spec, const struct ast_code *code);
void ast_h_block(struct ast_spec *spec, const struct ast_code *code);
void ast_top_block(struct ast_spec *spec, const struct ast_code *code);
void ast_record_add(struct ast_spec *spec, const char *name, struct srv_loc loc,
                    struct ast_field *fields);
/* A supervisor's pieces. */
void ast_supervisor_name(struct ast_spec *spec, const char *name, struct srv_loc loc,
                         bool first_item);
void ast_use_add(struct ast_spec *spec, const char *literal, struct srv_loc loc);
struct ast_value *ast_value_new(struct ast_spec *spec, enum ast_value_kind kind,
                                const char *text, struct srv_loc loc);
/* "-" and number, for a negative value. */
const char *ast_negative(struct ast_spec *spec, const char *number);
struct ast_value *ast_values_append(struct ast_value *list, struct ast_value *v);
/* KEY VALUE, or KEY VALUE(ARGS) with has_args. */
struct ast_setting *ast_setting_new(struct ast_spec *spec, const char *key,
                                    struct srv_loc loc, struct ast_value *value,
                                    bool has_args, struct ast_value *args);
struct ast_setting *ast_settings_append(struct ast_setting *list, struct ast_setting *s);
void ast_setting_add(struct ast_spec *spec, struct ast_setting *s);
void ast_child_add(struct ast_spec *spec, const char *id, struct srv_loc loc,
                   struct ast_setting *props);
void ast_state_add(struct ast_spec *spec, struct srv_loc loc, struct ast_field *fields);

#endif /* SRVC_AST_BUILD_H */
