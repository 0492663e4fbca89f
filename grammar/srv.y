/*
 * srv.y: the grammar of the .srv spec language (docs/language.md).
 *
 * A pure parser with locations; each action is one call into ast.c, and
 * nothing is checked here (check.c does that).  Error recovery resumes at
 * the next ';', handler body or '}', so one run reports several mistakes.
 */
%require "3.8"
%define api.pure full
%define api.token.prefix {TOK_}
%define parse.error detailed
%locations
%define api.location.type {struct srv_loc}
%expect 0

%param {void *scanner}
%parse-param {struct parse_state *ps}

%code requires {
#include "ast.h"
struct parse_state;
}

%code provides {
int yylex(YYSTYPE *yylval, YYLTYPE *yylloc, void *scanner);
void yyerror(YYLTYPE *loc, void *scanner, struct parse_state *ps, const char *msg);
}

%code {
#include <string.h>

#include "ast_build.h"
#include "diag.h"
#include "parse.h"

#define YYLLOC_DEFAULT(Current, Rhs, N)                                       \
    do {                                                                      \
        if (N) {                                                              \
            (Current) = YYRHSLOC(Rhs, 1);                                     \
            (Current).last_line = YYRHSLOC(Rhs, N).last_line;                 \
            (Current).last_column = YYRHSLOC(Rhs, N).last_column;             \
            (Current).offset_end = YYRHSLOC(Rhs, N).offset_end;               \
        } else {                                                              \
            (Current) = YYRHSLOC(Rhs, 0);                                     \
            (Current).first_line = (Current).last_line;                       \
            (Current).first_column = (Current).last_column;                   \
            (Current).offset = (Current).offset_end;                          \
        }                                                                     \
    } while (0)

static const struct ast_code *body_of(const struct ast_code *code)
{
    return code->text != NULL ? code : NULL;
}
}

%union {
    char *str;
    struct ast_field *field;
    struct ast_type type;
    struct ast_code code;
    struct ast_attr *attr;
    struct ast_value *value;
    struct ast_setting *setting;
}

%token SERVER "server" STATE "state" RECORD "record" INIT "init" CALL "call"
%token CAST "cast" INFO "info" CONTINUE "continue" TERMINATE "terminate"
%token FORMAT_STATUS "format_status" ARROW "->"
%token SUPERVISOR "supervisor" USE "use" CHILD "child" STRATEGY "strategy"
%token INTENSITY "intensity" PERIOD "period"
%token <str> NUMBER "number" STRING "string literal" ELLIPSIS "..."
%token CODE_CHANGE "code_change"
%token <str> IDENT "identifier" PTR_TEXT "ptr(...)" C_TEXT "c(...)"
%token <code> CBLOCK "%{ block" HBLOCK "%header{ block" TBLOCK "%top{ block"
%token <code> BODY "handler body"

%type <field> fields field params param_list param
%type <type> type
%type <code> body
%type <attr> attrs attr_list attr
%type <value> value values value_list
%type <setting> properties property
%type <str> setting_key

%%

spec:
    %empty
  | spec item               { ps->items++; }
  ;

item:
    attrs SERVER IDENT ';'  { ast_server_name(ps->spec, $3, @3, ps->items == 0, $1); }
  | CBLOCK                  { ast_c_block(ps->spec, &$1); }
  | HBLOCK                  { ast_h_block(ps->spec, &$1); }
  | TBLOCK                  { ast_top_block(ps->spec, &$1); }
  | RECORD IDENT '{' fields '}'
                            { ast_record_add(ps->spec, $2, @2, $4); }
  | STATE '{' fields '}'    { ast_state_add(ps->spec, @1, $3); }
  | INIT '(' params ')' body
                            { ast_handler_add(ps->spec, AST_INIT, NULL, @1, $3, NULL, body_of(&$5)); }
  | attrs CALL IDENT '(' params ')' ARROW '(' params ')' body
                            { ast_call_attrs(ast_handler_add(ps->spec, AST_CALL, $3, @3, $5, $9, body_of(&$11)), $1); }
  | CAST IDENT '(' params ')' body
                            { ast_handler_add(ps->spec, AST_CAST, $2, @2, $4, NULL, body_of(&$6)); }
  | INFO IDENT '(' params ')' body
                            { ast_handler_add(ps->spec, AST_INFO, $2, @2, $4, NULL, body_of(&$6)); }
  | INFO IDENT body         { ast_handler_add(ps->spec, AST_INFO, $2, @2, NULL, NULL, body_of(&$3))->bare = true; }
 | CONTINUE IDENT '(' params ')' body
                            { ast_handler_add(ps->spec, AST_CONTINUE, $2, @2, $4, NULL, body_of(&$6)); }
  | TERMINATE body          { ast_handler_add(ps->spec, AST_TERMINATE, NULL, @1, NULL, NULL, body_of(&$2)); }
  | FORMAT_STATUS body      { ast_handler_add(ps->spec, AST_FORMAT_STATUS, NULL, @1, NULL, NULL, body_of(&$2)); }
  | SUPERVISOR IDENT ';'    { ast_supervisor_name(ps->spec, $2, @2, ps->items == 0); }
  | USE STRING ';'          { ast_use_add(ps->spec, $2, @2); }
  | setting_key value ';'   { ast_setting_add(ps->spec, ast_setting_new(ps->spec, $1, @1, $2, false, NULL)); }
  | CHILD IDENT '{' properties '}'
                            { ast_child_add(ps->spec, $2, @2, $4); }
  | CODE_CHANGE body        { ast_handler_add(ps->spec, AST_CODE_CHANGE, NULL, @1, NULL, NULL, body_of(&$2)); }
  | error ';'               { yyerrok; }
  | error BODY              { yyerrok; }
  | error '}'               { yyerrok; ps->expect_fields = false; }
  ;

/* C23's attribute syntax: [[skip_abandoned]] before `call` or `server`. */
attrs:
    %empty                  { $$ = NULL; }
  | attrs '[' '[' attr_list ']' ']'
                            { $$ = ast_attrs_join($1, $4); }
  ;

attr_list:
    attr                    { $$ = $1; }
  | attr_list ',' attr      { $$ = ast_attrs_join($1, $3); }
  ;

/* skip_abandoned, or erlang_reply("{ok, value}"): a name and its text. */
attr:
    IDENT                   { $$ = ast_attr_append(ps->spec, NULL, $1, @1); }
  | IDENT '(' STRING ')'    { $$ = ast_attr_text(ast_attr_append(ps->spec, NULL, $1, @1),
                                                 ast_strndup(ps->spec, $3 + 1, strlen($3) - 2), @3); }
  ;

/* A supervisor's settings and its children's properties. */
setting_key:
    STRATEGY                { $$ = "strategy"; }
  | INTENSITY               { $$ = "intensity"; }
  | PERIOD                  { $$ = "period"; }
  ;

properties:
    %empty                  { $$ = NULL; }
  | properties property     { $$ = ast_settings_append($1, $2); }
  ;

/* name "x";  restart transient;  start account(name, 0); */
property:
    IDENT value ';'         { $$ = ast_setting_new(ps->spec, $1, @1, $2, false, NULL); }
  | IDENT value '(' values ')' ';'
                            { $$ = ast_setting_new(ps->spec, $1, @1, $2, true, $4); }
  | error ';'               { $$ = NULL; yyerrok; }
  ;

values:
    %empty                  { $$ = NULL; }
  | value_list              { $$ = $1; }
  ;

value_list:
    value                   { $$ = $1; }
  | value_list ',' value    { $$ = ast_values_append($1, $3); }
  ;

value:
    NUMBER                  { $$ = ast_value_new(ps->spec, AST_VALUE_NUMBER, $1, @1); }
  | '-' NUMBER              { $$ = ast_value_new(ps->spec, AST_VALUE_NUMBER, ast_negative(ps->spec, $2), @$); }
  | STRING                  { $$ = ast_value_new(ps->spec, AST_VALUE_STRING, $1, @1); }
  | IDENT                   { $$ = ast_value_new(ps->spec, AST_VALUE_NAME, $1, @1); }
  | ELLIPSIS                { $$ = ast_value_new(ps->spec, AST_VALUE_REST, $1, @1); }
  ;

body:
    BODY                    { $$ = $1; }
  | ';'                     { $$.text = NULL; $$.loc = @1; }
  ;

fields:
    %empty                  { $$ = NULL; }
  | fields field            { $$ = ast_fields_append($1, $2); }
  ;

field:
    type IDENT ';'          { $$ = ast_field_new(ps->spec, $1, $2, @2); }
  | C_TEXT ';'              { $$ = ast_field_declaration(ps->spec, ast_type_c(ps->spec, $1, @1)); }
  | error ';'               { $$ = NULL; yyerrok; }
  ;

params:
    %empty                  { $$ = NULL; }
  | param_list              { $$ = $1; }
  ;

param_list:
    param                   { $$ = $1; }
  | param_list ',' param    { $$ = ast_fields_append($1, $3); }
  ;

param:
    type IDENT              { $$ = ast_field_new(ps->spec, $1, $2, @2); }
  ;

type:
    IDENT                   { $$ = ast_type_named($1, @1); }
  | PTR_TEXT                { $$ = ast_type_ptr(ps->spec, $1, @1); }
  | C_TEXT                  { $$ = ast_type_c(ps->spec, $1, @1); }
  ;

%%

void yyerror(YYLTYPE *loc, void *scanner, struct parse_state *ps, const char *msg)
{
    (void)scanner;
    /* After the scanner's own precise message, a generic one adds nothing. */
    if (ps->lexer_reported) {
        ps->lexer_reported = false;
        return;
    }
    diag_error(ps->diag, *loc, "%s", msg);
}
