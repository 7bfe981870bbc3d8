/*
 * The syntax tree of a GraphQL document (October 2021 grammar): executable
 * definitions (operations, fragments) and type-system definitions and
 * extensions (SDL). gql_parse builds it; the validator, the executor and the
 * schema builder read it. Every node and string lives in the document's
 * arena and is freed with it; nothing here is ever modified after parsing.
 *
 * Lists are arrays of structs with a count (items[0..n)), never linked.
 * Locations are 1-based line and column, the column counted in UTF-16
 * code units (an emoji counts 2), as graphql-js reports them.
 */
#ifndef PARLEY_GRAPHQL_AST_H
#define PARLEY_GRAPHQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gql_arena; /* bump allocator owning a document's nodes (graphql/internal.h) */

struct gql_loc {
    uint32_t line;
    uint32_t column;
};

/* ---- values ---- */

enum gql_value_kind {
    GQL_VALUE_VARIABLE, /* $name: text is the name without '$' */
    GQL_VALUE_INT,      /* text is the lexeme, e.g. "-12" */
    GQL_VALUE_FLOAT,    /* text is the lexeme, e.g. "1.5e3" */
    GQL_VALUE_STRING,   /* text is the decoded value (escapes and block indentation done) */
    GQL_VALUE_BOOLEAN,  /* boolean */
    GQL_VALUE_NULL,
    GQL_VALUE_ENUM, /* text is the name */
    GQL_VALUE_LIST,
    GQL_VALUE_OBJECT,
};

struct gql_object_field;

struct gql_value {
    enum gql_value_kind kind;
    struct gql_loc loc;
    const char *text; /* NUL-terminated; see the kinds */
    size_t len;       /* bytes of text (a decoded string may hold "\u0000") */
    bool boolean;
    bool block;              /* STRING written as a """block string""" */
    struct gql_value *items; /* LIST */
    size_t nitems;
    struct gql_object_field *fields; /* OBJECT */
    size_t nfields;
};

struct gql_object_field {
    const char *name;
    struct gql_loc loc;
    struct gql_value value;
};

struct gql_argument {
    const char *name;
    struct gql_loc loc;
    struct gql_value value;
};

struct gql_directive {
    const char *name; /* without '@' */
    struct gql_loc loc;
    struct gql_argument *args;
    size_t nargs;
};

/* ---- type references: Name, [Type], Type! ---- */

enum gql_type_ref_kind { GQL_TYPE_NAMED, GQL_TYPE_LIST, GQL_TYPE_NON_NULL };

struct gql_type_ref {
    enum gql_type_ref_kind kind;
    struct gql_loc loc;
    const char *name;        /* NAMED */
    struct gql_type_ref *of; /* LIST, NON_NULL */
};

/* ---- selections ---- */

enum gql_selection_kind { GQL_SEL_FIELD, GQL_SEL_FRAGMENT_SPREAD, GQL_SEL_INLINE_FRAGMENT };

struct gql_selection;

struct gql_selection_set {
    struct gql_loc loc;
    struct gql_selection *items;
    size_t n;
};

struct gql_selection {
    enum gql_selection_kind kind;
    struct gql_loc loc;        /* the field's alias or name; the "..." of a fragment */
    const char *alias;         /* FIELD: NULL when none */
    const char *name;          /* FIELD: the field; FRAGMENT_SPREAD: the fragment */
    struct gql_argument *args; /* FIELD */
    size_t nargs;
    struct gql_directive *directives;
    size_t ndirectives;
    const char *type_condition; /* INLINE_FRAGMENT: NULL when none */
    struct gql_loc type_condition_loc;
    struct gql_selection_set *selection_set; /* FIELD (NULL for a leaf), INLINE_FRAGMENT */
    struct gql_loc name_loc; /* FRAGMENT_SPREAD: the fragment's name (line 0: not recorded) */
};

/* ---- definitions ---- */

enum gql_operation_type { GQL_QUERY, GQL_MUTATION, GQL_SUBSCRIPTION };

struct gql_variable_def {
    const char *name;   /* without '$' */
    struct gql_loc loc; /* the '$' */
    struct gql_type_ref *type;
    struct gql_value *default_value; /* NULL when none */
    struct gql_directive *directives;
    size_t ndirectives;
    struct gql_loc description_loc; /* its description's start (graphql-js locates the
                                       definition there); line 0: none or not recorded */
};

/* An argument definition or an input object field. */
struct gql_input_value_def {
    const char *description; /* NULL when none */
    const char *name;
    struct gql_loc loc;
    struct gql_type_ref *type;
    struct gql_value *default_value; /* NULL when none */
    struct gql_directive *directives;
    size_t ndirectives;
};

struct gql_field_def {
    const char *description;
    const char *name;
    struct gql_loc loc;
    struct gql_input_value_def *args;
    size_t nargs;
    struct gql_type_ref *type;
    struct gql_directive *directives;
    size_t ndirectives;
};

struct gql_enum_value_def {
    const char *description;
    const char *name;
    struct gql_loc loc;
    struct gql_directive *directives;
    size_t ndirectives;
};

struct gql_root_operation {
    enum gql_operation_type operation;
    const char *type_name;
    struct gql_loc loc;
};

struct gql_name {
    const char *name;
    struct gql_loc loc;
};

enum gql_definition_kind {
    GQL_DEF_OPERATION,
    GQL_DEF_FRAGMENT,
    GQL_DEF_SCHEMA,
    GQL_DEF_SCALAR,
    GQL_DEF_OBJECT,
    GQL_DEF_INTERFACE,
    GQL_DEF_UNION,
    GQL_DEF_ENUM,
    GQL_DEF_INPUT_OBJECT,
    GQL_DEF_DIRECTIVE,
};

/*
 * One definition. Which members are used depends on the kind; the others
 * are NULL/0. For OPERATION written as a bare selection set ("{ a }"), the
 * operation is GQL_QUERY, name is NULL and shorthand is true.
 */
struct gql_definition {
    enum gql_definition_kind kind;
    struct gql_loc loc; /* the first token (description excluded) */
    bool extension;     /* "extend type X ..." and friends */
    const char *description;
    const char *name; /* NULL for anonymous operations and for schema */
    struct gql_loc name_loc;
    struct gql_directive *directives;
    size_t ndirectives;

    /* OPERATION */
    enum gql_operation_type operation;
    bool shorthand;
    struct gql_variable_def *variables;
    size_t nvariables;

    /* OPERATION, FRAGMENT */
    struct gql_selection_set *selection_set;

    /* FRAGMENT */
    const char *type_condition;
    struct gql_loc type_condition_loc;

    /* OBJECT, INTERFACE: implemented interfaces; UNION: member types;
       DIRECTIVE: locations (e.g. "FIELD") */
    struct gql_name *names;
    size_t nnames;

    /* OBJECT, INTERFACE */
    struct gql_field_def *fields;
    size_t nfields;

    /* INPUT_OBJECT: its fields; DIRECTIVE: its arguments */
    struct gql_input_value_def *input_values;
    size_t ninput_values;

    /* ENUM */
    struct gql_enum_value_def *enum_values;
    size_t nenum_values;

    /* SCHEMA */
    struct gql_root_operation *roots;
    size_t nroots;

    /* DIRECTIVE */
    bool repeatable;

    /* its description's start (graphql-js locates the definition there); line 0: none or not
       recorded */
    struct gql_loc description_loc;
};

struct gql_document {
    struct gql_definition *definitions;
    size_t n;
    struct gql_arena *arena; /* owns every node and string above */
    size_t tokens;           /* lexical tokens read (for limits) */
};

#endif
