/*
 * What prepare.c, coerce.c, execute.c and introspection.c share: the
 * prepared document, the executor's value (a cJSON or a piece of the
 * schema, for introspection), a small growable string buffer, and the
 * coercion entry points. Only these four files include it.
 */
#ifndef PARLEY_GRAPHQL_EXECUTE_INTERNAL_H
#define PARLEY_GRAPHQL_EXECUTE_INTERNAL_H

#include <stdatomic.h>

#include "graphql/internal.h"

/* ---- prepare.c ---- */

struct gql_prepared {
    const struct gql_schema *schema;
    struct gql_document *doc; /* owned */
    const struct gql_definition *op;
    const struct gql_definition **fragments; /* sorted by name (malloc'd) */
    size_t nfragments;
    const struct gql_type **var_types; /* op->variables[i]'s type (malloc'd) */
    int64_t time_budget_us;            /* from the limits; 0: none */
    /* The built-in scalars, looked up once. */
    const struct gql_type *t_int, *t_float, *t_string, *t_boolean, *t_id;
    /* The data of an operation that reads only the (immutable) schema, as
       JSON text: printed after the first execution without errors, shared
       read-only afterwards (malloc'd; freed with p). */
    bool cacheable;
    _Atomic(char *) cached_text;
    /* The length of the last execution's data, the size its successor starts with. */
    _Atomic size_t out_hint;
};

/* The fragment named name and its index in p->fragments, or NULL. */
const struct gql_definition *gql_prepared_fragment(const struct gql_prepared *p, const char *name,
                                                   size_t *index);

/* ---- a growable string (malloc'd; len excludes the NUL) ---- */

struct gql_sb {
    char *s;
    size_t len, cap;
    bool oom;
};

/* Room for extra more bytes and a NUL; false when out of memory (then sb->oom). */
bool gql_sb_reserve(struct gql_sb *sb, size_t extra);
void gql_sb_add(struct gql_sb *sb, const char *s, size_t len);
void gql_sb_adds(struct gql_sb *sb, const char *s);
void gql_sb_addf(struct gql_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the string (malloc'd, caller frees), NULL when out of memory. */
char *gql_sb_take(struct gql_sb *sb);

/* ---- coerce.c ---- */

/* JavaScript's String(number), as graphql-js prints numbers (buf of 32 bytes). */
const char *gql_js_number(double d, char buf[32]);
/* graphql-js's inspect(value) of a JSON value, appended to sb. */
void gql_inspect(struct gql_sb *sb, const cJSON *v);
/* A literal printed as graphql-js's print() would (appended to sb). */
void gql_print_literal(struct gql_sb *sb, const struct gql_value *v);
/* A coerced value printed as print(astFromValue(value, type)) (appended to sb). */
void gql_print_value(struct gql_sb *sb, const cJSON *v, const struct gql_type *type);

/*
 * CoerceVariableValues: the operation's variables from the request's
 * inputs (may be NULL). GQL_OK with *out a new object (caller deletes),
 * GQL_EINVALID with the errors appended to errs, or GQL_ENOMEM.
 */
int gql_coerce_variables(const struct gql_prepared *p, const cJSON *inputs, cJSON **out,
                         struct gql_errors *errs);

/*
 * valueFromAST: a literal (with variables already coerced) as a value of
 * type. GQL_OK with *out new (caller deletes), GQL_EINVALID when the
 * literal is not a valid value of the type, GQL_ENOMEM.
 */
int gql_value_from_literal(const struct gql_value *lit, const struct gql_type *type,
                           const cJSON *variables, cJSON **out);

/*
 * CoerceArgumentValues: the arguments of a field or directive. GQL_OK
 * with *out a new object (caller deletes), GQL_EINVALID with *error a
 * malloc'd message (graphql-js's words), GQL_ENOMEM.
 */
int gql_coerce_arguments(const struct gql_input_value *defs, size_t ndefs,
                         const struct gql_argument *args, size_t nargs, const cJSON *variables,
                         cJSON **out, char **error);

/* ---- execute.c / introspection.c: the executor's values ---- */

enum gql_vkind {
    GQL_V_JSON,        /* u.json (NULL: absent, i.e. null) */
    GQL_V_STRING,      /* u.str (NULL: null), the schema's or static: output by reference */
    GQL_V_STRING_COPY, /* u.str (NULL: null), the execution's arena: copied into the output */
    GQL_V_BOOL,        /* u.b */
    GQL_V_SCHEMA,      /* u.ptr: struct gql_schema */
    GQL_V_TYPE,        /* u.ptr: struct gql_type */
    GQL_V_FIELD,       /* u.ptr: struct gql_field */
    GQL_V_INPUT,       /* u.ptr: struct gql_input_value */
    GQL_V_ENUMVALUE,   /* u.ptr: struct gql_enum_value */
    GQL_V_DIRECTIVE,   /* u.ptr: struct gql_directive_def */
    GQL_V_LIST,        /* u.list */
    GQL_V_NULL,
};

struct gql_xvalue {
    enum gql_vkind kind;
    union {
        const cJSON *json;
        const char *str;
        bool b;
        const void *ptr;
        struct {
            const struct gql_xvalue *items;
            size_t n;
        } list;
    } u;
};

/* Introspection fields, resolved once per field group. */
enum gql_intro_field {
    GQL_I_NONE,
    GQL_I_TYPENAME,
    GQL_I_SCHEMA, /* Query.__schema */
    GQL_I_TYPE,   /* Query.__type(name:) */
    GQL_I_SCHEMA_DESCRIPTION,
    GQL_I_SCHEMA_TYPES,
    GQL_I_SCHEMA_QUERY,
    GQL_I_SCHEMA_MUTATION,
    GQL_I_SCHEMA_SUBSCRIPTION,
    GQL_I_SCHEMA_DIRECTIVES,
    GQL_I_TYPE_KIND,
    GQL_I_TYPE_NAME,
    GQL_I_TYPE_DESCRIPTION,
    GQL_I_TYPE_SPECIFIED_BY,
    GQL_I_TYPE_FIELDS,
    GQL_I_TYPE_INTERFACES,
    GQL_I_TYPE_POSSIBLE,
    GQL_I_TYPE_ENUM_VALUES,
    GQL_I_TYPE_INPUT_FIELDS,
    GQL_I_TYPE_OF_TYPE,
    GQL_I_FIELD_NAME,
    GQL_I_FIELD_DESCRIPTION,
    GQL_I_FIELD_ARGS,
    GQL_I_FIELD_TYPE,
    GQL_I_FIELD_DEPRECATED,
    GQL_I_FIELD_REASON,
    GQL_I_INPUT_NAME,
    GQL_I_INPUT_DESCRIPTION,
    GQL_I_INPUT_TYPE,
    GQL_I_INPUT_DEFAULT,
    GQL_I_INPUT_DEPRECATED,
    GQL_I_INPUT_REASON,
    GQL_I_ENUM_NAME,
    GQL_I_ENUM_DESCRIPTION,
    GQL_I_ENUM_DEPRECATED,
    GQL_I_ENUM_REASON,
    GQL_I_DIRECTIVE_NAME,
    GQL_I_DIRECTIVE_DESCRIPTION,
    GQL_I_DIRECTIVE_REPEATABLE,
    GQL_I_DIRECTIVE_LOCATIONS,
    GQL_I_DIRECTIVE_ARGS,
};

/* Which introspection field (if any) parent.field is; GQL_I_NONE for the user's fields. */
enum gql_intro_field gql_intro_field_of(const struct gql_type *parent, const struct gql_field *f);

/*
 * Resolves an introspection field on src (a value of the parent type);
 * args are the field's coerced arguments. Lists and strings are
 * allocated from arena. GQL_OK or GQL_ENOMEM.
 */
int gql_intro_resolve(const struct gql_schema *schema, enum gql_intro_field which,
                      const struct gql_xvalue *src, const cJSON *args, struct gql_arena *arena,
                      struct gql_xvalue *out);

#endif
