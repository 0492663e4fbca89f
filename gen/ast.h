/*
 * ast.h: the syntax tree of a .srv spec.
 *
 * The parser (grammar/srv.y) builds it through the constructors in ast.c;
 * check.c validates it; emit.c reads it.  Every node keeps the location of
 * its name so that diagnostics can point at it.  All lists keep spec order,
 * which makes the output deterministic.  One arena owns every node and
 * string: ast_spec_free releases the whole tree at once.
 */
#ifndef SRVC_AST_H
#define SRVC_AST_H

#include <stdbool.h>
#include <stddef.h>

/* A place in a .srv file: 1-based line and column of the first and the
 * last character, and byte offsets (offset_end is one past the end). */
struct srv_loc {
    int first_line, first_column;
    int last_line, last_column;
    size_t offset, offset_end;
};

/* The spec types of docs/language.md. */
enum ast_type_kind {
    AST_TYPE_I8, AST_TYPE_I16, AST_TYPE_I32, AST_TYPE_I64,
    AST_TYPE_U8, AST_TYPE_U16, AST_TYPE_U32, AST_TYPE_U64,
    AST_TYPE_INT, AST_TYPE_DOUBLE, AST_TYPE_FLOAT, AST_TYPE_BOOL,
    AST_TYPE_STRING, AST_TYPE_BYTES, AST_TYPE_ATOM, AST_TYPE_PID,
    AST_TYPE_RECORD,  /* a record declared in the spec: name, record */
    AST_TYPE_PTR,     /* ptr(CTYPE[, FREEFN]): c_type, free_fn (or NULL) */
    AST_TYPE_C,       /* c(CTYPE): raw C, state and records only: c_type */
    AST_TYPE_UNKNOWN  /* a name that is no type: check.c reports it */
};

struct ast_record;

struct ast_type {
    enum ast_type_kind kind;
    const char *name;             /* as written: "string", "point", "ptr" */
    const char *c_type;           /* PTR and C: the C type text, trimmed */
    const char *free_fn;          /* PTR: the destructor, or NULL */
    const struct ast_record *record; /* RECORD: set by check.c */
    const char *owner;            /* RECORD: the used spec that declares it, when
                                     not this spec (a supervisor's): NULL, this one */
    struct srv_loc loc;
};

/* A typed name: a state field, a record field, an argument, a reply field. */
struct ast_field {
    struct ast_type type;
    const char *name;
    struct srv_loc loc;           /* of the name */
    bool whole_declaration;       /* `c(DECL);`: c_type is the declaration */
    struct ast_field *next;
};

/* Verbatim C: a %{ %}, %header{ %} or %top{ %} block, or a handler body. */
struct ast_code {
    const char *text;             /* between the delimiters, verbatim */
    struct srv_loc loc;           /* of the text's first character */
};

struct ast_record {
    const char *name;
    struct srv_loc loc;
    struct ast_field *fields;
    struct ast_record *next;
};

enum ast_handler_kind {
    AST_INIT,
    AST_CALL,
    AST_CAST,
    AST_INFO,         /* a typed info message: name, args */
    AST_INFO_TIMEOUT,
    AST_INFO_EXIT,
    AST_INFO_DOWN,
    AST_TERMINATE,
    AST_FORMAT_STATUS,
    AST_CONTINUE,     /* handle_continue's clause: name, args */
    AST_CODE_CHANGE
};

/* An attribute, `[[skip_abandoned]]`, written before `call` or `server`:
 * check.c knows which exist. */
struct ast_attr {
    const char *name;
    struct srv_loc loc;
    const char *text;             /* NAME("text"): the text, or NULL */
    struct srv_loc text_loc;
    struct ast_attr *next;
};

struct ast_handler {
    enum ast_handler_kind kind;
    const char *name;             /* CALL, CAST, INFO, CONTINUE: its name; else NULL */
    struct srv_loc loc;           /* of the name, or of the keyword */
    struct ast_field *args;       /* INIT, CALL, CAST, INFO, CONTINUE */
    struct ast_field *reply;      /* CALL: the reply fields (may be empty) */
    bool bare;                    /* INFO written without (args): timeout, exit, down */
    bool has_body;                /* false: `;`, an external handler */
    struct ast_code body;         /* when has_body */
    struct ast_attr *attrs;       /* CALL: its attributes, in spec order */
    bool skip_abandoned;          /* CALL: set by check.c from the attributes */
    const struct ast_attr *erlang_request; /* CALL: its [[erlang_request("...")]] */
    const struct ast_attr *erlang_reply;   /* CALL: its [[erlang_reply("...")]] */
    struct ast_handler *next;
};

/* Every `server NAME;` line and `state` block, for the checks. */
struct ast_server_line {
    const char *name;
    struct srv_loc loc;
    bool first_item;
    bool supervisor;              /* `supervisor NAME;` */
    struct ast_attr *attrs;       /* written before `server`: for every call */
    struct ast_server_line *next;
};
struct ast_state_block {
    struct srv_loc loc;
    struct ast_state_block *next;
};

/* ---- Supervisors (`supervisor NAME;`) -------------------------------- */

/* A value written in a supervisor spec: a child's start argument, or the
 * value of a setting or of a child's property. */
enum ast_value_kind {
    AST_VALUE_NUMBER,  /* 42, -1, 2.5: text as written, sign included */
    AST_VALUE_STRING,  /* "acct": text is the C literal, quotes included */
    AST_VALUE_NAME,    /* an identifier: an init argument, a keyword value */
    AST_VALUE_REST     /* `...`: start_child's arguments (simple_one_for_one) */
};

struct ast_value {
    enum ast_value_kind kind;
    const char *text;
    struct srv_loc loc;
    struct ast_value *next;
};

/* `use "account.srv";`: a spec whose server or supervisor a child runs.
 * The driver reads and parses it (spec: NULL when it could not). */
struct ast_use {
    const char *path;             /* as written, unquoted */
    struct srv_loc loc;
    struct ast_spec *spec;
    char *text;                   /* its source, which spec's nodes point into */
    const char *shown_path;       /* its path as diagnostics name it (the driver's) */
    struct ast_use *next;
};

/* `KEY VALUE;`: a supervisor's setting (strategy, intensity, period) or a
 * child's property (name, restart, shutdown), or `start SPEC(ARGS);`
 * (value SPEC, with args); check.c knows which exist. */
struct ast_setting {
    const char *key;
    struct srv_loc loc;           /* of the key */
    struct ast_value *value;
    bool has_args;                /* written KEY VALUE(ARGS) */
    struct ast_value *args;
    struct ast_setting *next;
};

enum ast_restart { AST_PERMANENT, AST_TRANSIENT, AST_TEMPORARY };

/* `child ID { start SPEC(ARGS); PROPERTY VALUE; ... }` */
struct ast_child {
    const char *id;
    struct srv_loc loc;           /* of the id */
    struct ast_setting *props;    /* in spec order, `start` among them */
    /* set by check.c */
    const struct ast_setting *start; /* start SPEC(ARGS), or NULL */
    const struct ast_spec *spec;  /* the used spec it runs */
    const struct ast_value *name; /* its registered name, or NULL */
    enum ast_restart restart;
    const struct ast_value *shutdown; /* NULL: OTP's default for its type */
    size_t fixed;                 /* arguments before `...` (all: no `...`) */
    bool rest;                    /* ends in `...` */
    struct ast_child *next;
};

enum ast_strategy {
    AST_ONE_FOR_ONE, AST_ONE_FOR_ALL, AST_REST_FOR_ONE, AST_SIMPLE_ONE_FOR_ONE
};

/* The whole spec.  Lists are in spec order. */
struct ast_spec {
    const char *path;             /* the .srv file as named on the command line */
    const char *name;             /* `server NAME;`, or NULL if missing */
    bool supervisor;              /* `supervisor NAME;` instead */
    struct srv_loc name_loc;
    struct ast_code *c_blocks;    /* %{ %} blocks: array of n_c_blocks */
    size_t n_c_blocks;
    struct ast_code *h_blocks;    /* %header{ %} blocks: array of n_h_blocks */
    size_t n_h_blocks;
    struct ast_code *top_blocks;  /* %top{ %} blocks: array of n_top_blocks */
    size_t n_top_blocks;
    struct ast_record *records;
    struct ast_field *state;      /* state fields (NULL: no state block or empty) */
    bool has_state;
    struct srv_loc state_loc;
    struct ast_handler *handlers; /* every handler, in spec order */
    struct ast_server_line *server_lines;
    struct ast_state_block *state_blocks;
    /* a supervisor's */
    struct ast_use *uses;
    struct ast_setting *settings;
    struct ast_child *children;
    enum ast_strategy strategy;   /* set by check.c, as are the two below */
    unsigned long intensity, period;
    struct ast_arena *arena;      /* owns every node and string */
};

/* Counting helpers the checks and the emitter share. */
size_t ast_field_count(const struct ast_field *fields);
const struct ast_handler *ast_find_handler(const struct ast_spec *spec,
                                           enum ast_handler_kind kind);
const struct ast_record *ast_find_record(const struct ast_spec *spec, const char *name);
const char *ast_type_kind_name(enum ast_type_kind kind); /* "string" */
/* The built-in type (i8 ... pid) called name, or AST_TYPE_UNKNOWN. */
enum ast_type_kind ast_builtin_type(const char *name);

void ast_spec_free(struct ast_spec *spec);

#endif /* SRVC_AST_H */
