/*
 * A GraphQL engine (October 2021 specification) as a C library: parse,
 * build a schema from SDL with C resolvers, validate (graphql-js's
 * specifiedRules), execute, introspect. It depends on cJSON only and knows
 * nothing of HTTP or of Parley; graphql/service.h puts Parley's data behind
 * it.
 *
 *     struct gql_schema *schema;
 *     struct gql_errors errs = GQL_ERRORS_INIT;
 *     if (gql_schema_new(sdl, strlen(sdl), &schema, &errs) < 0) ...
 *     gql_schema_set_resolver(schema, "Query", "bot", resolve_bot, app);
 *
 *     struct gql_prepared *p;
 *     int rc = gql_prepare(schema, query, len, op_name, &limits, &p, &errs);
 *     if (rc < 0) ... errs holds the syntax/validation errors for the caller
 *     cJSON *response = gql_execute(p, &args, &request_error); // {"data":..,"errors":[..]}
 *     gql_prepared_free(p);
 *
 * Values travel as cJSON: a resolver receives its parent's value and
 * returns its own, the executor completes it against the field's type.
 * A schema, once resolvers are set, and a prepared document are immutable:
 * any number of threads may execute them at once.
 */
#ifndef PARLEY_GRAPHQL_H
#define PARLEY_GRAPHQL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "graphql/ast.h"

/* ---- return codes (0 is success) ---- */

enum gql_rc {
    GQL_OK = 0,
    GQL_ENOMEM = -1,
    GQL_ESYNTAX = -2,    /* the document does not parse */
    GQL_EINVALID = -3,   /* it parses but fails validation (or the SDL is not a valid schema) */
    GQL_ELIMIT = -4,     /* over a limit of struct gql_limits */
    GQL_EOPERATION = -5, /* no operation to run: unknown operationName, or several and none named */
    GQL_EARG = -6,       /* a bad argument to a library function */
};

/* ---- errors: the spec's error objects, collected in order ---- */

struct gql_error {
    char *message;             /* owned */
    struct gql_loc *locations; /* owned; nlocations may be 0 */
    size_t nlocations;
    cJSON *path; /* owned array of strings and numbers, or NULL */
    const char
        *rule; /* validation: the graphql-js rule name, e.g. "KnownTypeNamesRule"; else NULL */
    cJSON *extensions; /* owned object, or NULL: a resolver's (gql_resolve_info.extensions) */
};

struct gql_errors {
    struct gql_error *items;
    size_t n;
    size_t cap;
};

#define GQL_ERRORS_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends an error; locs may be NULL when nlocs is 0. GQL_OK or GQL_ENOMEM. */
int gql_errors_add(struct gql_errors *errs, const char *rule, const struct gql_loc *locs,
                   size_t nlocs, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gql_errors_release(struct gql_errors *errs);
/* The errors as a JSON array of {message, locations?, path?} (new; caller deletes). */
cJSON *gql_errors_to_json(const struct gql_errors *errs);

/* ---- limits against abuse; 0 means "no limit" ---- */

struct gql_limits {
    size_t max_document_bytes; /* GQL_ELIMIT before parsing */
    size_t max_tokens;         /* lexical tokens */
    size_t max_depth;          /* nesting of selection sets, fragments expanded */
    size_t max_fields;         /* fields of the operation, fragments expanded (its complexity) */
    int64_t time_budget_us;    /* execution stops with an error past it */
};

/* ---- parsing ---- */

/*
 * Parses len bytes of UTF-8 source, executable definitions and SDL alike.
 * On success *out is the document (free with gql_document_free). On failure
 * errs gets one "Syntax Error: ..." with its location (GQL_ESYNTAX), or a
 * limit error (GQL_ELIMIT); limits may be NULL.
 */
int gql_parse(const char *source, size_t len, const struct gql_limits *limits,
              struct gql_document **out, struct gql_errors *errs);
void gql_document_free(struct gql_document *doc);

/* ---- the type system ---- */

enum gql_type_kind {
    GQL_KIND_SCALAR,
    GQL_KIND_OBJECT,
    GQL_KIND_INTERFACE,
    GQL_KIND_UNION,
    GQL_KIND_ENUM,
    GQL_KIND_INPUT_OBJECT,
    GQL_KIND_LIST,
    GQL_KIND_NON_NULL,
};

/* Where a directive may appear: one bit per DirectiveLocation. */
enum gql_directive_location {
    GQL_DL_QUERY = 1u << 0,
    GQL_DL_MUTATION = 1u << 1,
    GQL_DL_SUBSCRIPTION = 1u << 2,
    GQL_DL_FIELD = 1u << 3,
    GQL_DL_FRAGMENT_DEFINITION = 1u << 4,
    GQL_DL_FRAGMENT_SPREAD = 1u << 5,
    GQL_DL_INLINE_FRAGMENT = 1u << 6,
    GQL_DL_VARIABLE_DEFINITION = 1u << 7,
    GQL_DL_SCHEMA = 1u << 8,
    GQL_DL_SCALAR = 1u << 9,
    GQL_DL_OBJECT = 1u << 10,
    GQL_DL_FIELD_DEFINITION = 1u << 11,
    GQL_DL_ARGUMENT_DEFINITION = 1u << 12,
    GQL_DL_INTERFACE = 1u << 13,
    GQL_DL_UNION = 1u << 14,
    GQL_DL_ENUM = 1u << 15,
    GQL_DL_ENUM_VALUE = 1u << 16,
    GQL_DL_INPUT_OBJECT = 1u << 17,
    GQL_DL_INPUT_FIELD_DEFINITION = 1u << 18,
};

struct gql_type;
struct gql_resolve_info;

/*
 * A field resolver. Returns the field's value as a new cJSON the executor
 * takes (and deletes), a cJSON null for null; to return part of the parent
 * without copying, return a reference (cJSON_CreateObjectReference /
 * cJSON_CreateArrayReference / cJSON_CreateStringReference). Returns NULL
 * for a field error, with *error set to a malloc'd message (or left NULL
 * for "out of memory").
 */
typedef cJSON *(*gql_resolve_fn)(const struct gql_resolve_info *info, char **error);

/*
 * Picks the object type of a value of an interface or union type; NULL
 * when it cannot (a field error). The default reads the value's
 * "__typename" member.
 */
typedef const struct gql_type *(*gql_resolve_type_fn)(const struct gql_type *abstract,
                                                      const cJSON *value, void *context,
                                                      void *data);

struct gql_input_value {
    const char *name;
    const char *description;
    const struct gql_type *type;
    const struct gql_value *default_value; /* NULL when none; a literal in the schema's arena */
    bool deprecated;
    const char *deprecation_reason;
};

struct gql_field {
    const char *name;
    const char *description;
    struct gql_input_value *args;
    size_t nargs;
    const struct gql_type *type;
    bool deprecated;
    const char *deprecation_reason;
    gql_resolve_fn resolve; /* NULL: the parent value's member of the field's name */
    void *resolve_data;
};

struct gql_enum_value {
    const char *name;
    const char *description;
    bool deprecated;
    const char *deprecation_reason;
};

struct gql_type {
    enum gql_type_kind kind;
    const char *name; /* NULL for LIST and NON_NULL */
    const char *description;
    const char *specified_by_url;   /* SCALAR */
    const struct gql_type *of_type; /* LIST, NON_NULL */
    struct gql_field *fields;       /* OBJECT, INTERFACE */
    size_t nfields;
    const struct gql_type **interfaces; /* OBJECT, INTERFACE */
    size_t ninterfaces;
    const struct gql_type **possible_types; /* UNION: members; INTERFACE: implementing objects */
    size_t npossible_types;
    struct gql_enum_value *enum_values; /* ENUM */
    size_t nenum_values;
    struct gql_input_value *input_fields; /* INPUT_OBJECT */
    size_t ninput_fields;
    gql_resolve_type_fn resolve_type; /* INTERFACE, UNION; NULL: by "__typename" */
    void *resolve_type_data;
};

struct gql_directive_def {
    const char *name;
    const char *description;
    struct gql_input_value *args;
    size_t nargs;
    bool repeatable;
    uint32_t locations; /* enum gql_directive_location bits */
    /* The same locations as written in the SDL (what introspection lists): bit numbers. */
    uint8_t written[32];
    size_t nwritten;
};

struct gql_schema_internal;

struct gql_schema {
    const char *description;
    const struct gql_type *
        *types; /* every named type, built-in scalars and __Schema & co. included */
    size_t ntypes;
    const struct gql_type *query; /* never NULL */
    const struct gql_type *mutation;
    const struct gql_type *subscription;
    struct gql_directive_def *directives; /* @include @skip @deprecated @specifiedBy first */
    size_t ndirectives;
    struct gql_schema_internal *internal; /* lookups, the arena, the wrapper types */
};

/*
 * Builds a schema from SDL (type definitions, extensions, schema {} or the
 * default root names Query/Mutation/Subscription). The built-in scalars and
 * directives and the introspection types are added. On error errs says
 * what is wrong with the SDL (GQL_ESYNTAX or GQL_EINVALID).
 */
int gql_schema_new(const char *sdl, size_t len, struct gql_schema **out, struct gql_errors *errs);
void gql_schema_free(struct gql_schema *schema);
/* Sets a field's resolver before the schema is used. GQL_EARG when there is no such field. */
int gql_schema_set_resolver(struct gql_schema *schema, const char *type, const char *field,
                            gql_resolve_fn fn, void *data);
int gql_schema_set_type_resolver(struct gql_schema *schema, const char *type,
                                 gql_resolve_type_fn fn, void *data);

/* Lookups: NULL when absent. */
const struct gql_type *gql_schema_type(const struct gql_schema *schema, const char *name);
const struct gql_directive_def *gql_schema_directive(const struct gql_schema *schema,
                                                     const char *name);
/* A field of an object or interface type; __typename, __schema and __type included. */
const struct gql_field *gql_type_field(const struct gql_schema *schema, const struct gql_type *type,
                                       const char *name);
/* The type a reference names in this schema (wrappers made as needed), NULL if unknown. */
const struct gql_type *gql_schema_type_ref(const struct gql_schema *schema,
                                           const struct gql_type_ref *ref);
const struct gql_type *gql_type_named(const struct gql_type *type); /* strips LIST and NON_NULL */
bool gql_type_is_input(const struct gql_type *type);
bool gql_type_is_output(const struct gql_type *type);
bool gql_type_is_leaf(const struct gql_type *type);
bool gql_type_is_abstract(const struct gql_type *type);
/* Is maybe_sub the same as super, or a subtype (non-null of it, member, implementation)? */
bool gql_type_is_subtype(const struct gql_schema *schema, const struct gql_type *maybe_sub,
                         const struct gql_type *super);
/* Could a value be of both composite types (the spec's GetPossibleTypes intersect)? */
bool gql_types_overlap(const struct gql_schema *schema, const struct gql_type *a,
                       const struct gql_type *b);
/* Writes the type as GraphQL spells it ("[Int!]!") into out; returns out. */
const char *gql_type_print(const struct gql_type *type, char *out, size_t size);

/* ---- validation ---- */

/* Runs every rule of graphql-js's specifiedRules; GQL_OK or GQL_EINVALID with errs filled. */
int gql_validate(const struct gql_schema *schema, const struct gql_document *doc,
                 struct gql_errors *errs);

/* graphql-js's optional rules, for gql_validate_ex's options. */
enum gql_validate_option {
    GQL_VALIDATE_NO_DEPRECATED = 1u << 0,           /* NoDeprecatedCustomRule */
    GQL_VALIDATE_NO_SCHEMA_INTROSPECTION = 1u << 1, /* NoSchemaIntrospectionCustomRule */
};
/* gql_validate plus the optional rules given as enum gql_validate_option bits. */
int gql_validate_ex(const struct gql_schema *schema, const struct gql_document *doc,
                    unsigned options, struct gql_errors *errs);

/* ---- execution ---- */

struct gql_resolve_info {
    const struct gql_schema *schema;
    const struct gql_type *parent_type;
    const struct gql_field *field;
    const struct gql_selection *selection; /* the (first) field node */
    const cJSON *source;                   /* the parent's value (root_value at the top) */
    const cJSON *args;                     /* coerced arguments: an object, never NULL */
    void *context;                         /* gql_exec_args.context */
    void *data;                            /* the resolve_data given with the resolver */
    /* With a field error, a resolver may also set *extensions to an object: the error's
       "extensions" (e.g. {"code": ...}); the executor takes it. */
    cJSON **extensions;
};

/* A parsed, validated document with its operation chosen; immutable. */
struct gql_prepared;

/*
 * Parses (within limits), validates, checks depth and field count, and picks
 * the operation (operation_name may be NULL). GQL_OK with *out, or an error
 * code with errs filled in the spec's words: GQL_ESYNTAX, GQL_EINVALID,
 * GQL_ELIMIT, GQL_EOPERATION.
 */
int gql_prepare(const struct gql_schema *schema, const char *query, size_t len,
                const char *operation_name, const struct gql_limits *limits,
                struct gql_prepared **out, struct gql_errors *errs);
void gql_prepared_free(struct gql_prepared *p);
enum gql_operation_type gql_prepared_operation(const struct gql_prepared *p);

struct gql_exec_args {
    const cJSON *variables;  /* the request's "variables" object, or NULL */
    const cJSON *root_value; /* the source of the root fields, or NULL */
    void *context;           /* handed to every resolver */
    int64_t time_budget_us;  /* 0: none */
    bool raw_data;           /* the response's "data" as a cJSON_Raw (see gql_execute) */
};
/*
 * Fields without a resolver read their parent's member of the same name. A
 * member whose name is marked cJSON_StringIsConst is recognised by the
 * name's address once one was found: such names (static ones, json_freeze's)
 * must stay put, and not be freed for another name to take their place,
 * while an execution runs. An object whose type has both bits of
 * GQL_JSON_CONSECUTIVE keeps its members in consecutive nodes, child[0] to
 * child->prev (the last), as json_freeze lays them out: the executor reads
 * a member by its position rather than walking the list to it.
 * (cJSON_Duplicate keeps the first bit and drops cJSON_IsReference: a copy,
 * a list like any other, is never taken for one.)
 */
#define GQL_JSON_CONSECUTIVE ((1 << 12) | cJSON_IsReference)

/*
 * Executes the prepared operation: queries' fields in parallel order,
 * mutations' root fields serially. Returns the response {"data": ...,
 * "errors": [...]} (new; caller deletes); NULL only when out of memory.
 * *request_error is set when execution did not start (the variables did
 * not coerce): then the response holds errors and no "data".
 * For a subscription this executes the root field once, as a query would.
 * The data is written as JSON text while executing; with args->raw_data
 * the "data" member is a cJSON_Raw node holding that text (cJSON prints
 * it as is: the fastest way to a printed response; the buffer moves into
 * the node, so cJSON must use its default malloc/free), otherwise it is
 * parsed into an ordinary tree. Same for gql_execute_event.
 */
cJSON *gql_execute(const struct gql_prepared *p, const struct gql_exec_args *args,
                   bool *request_error);

/*
 * Subscriptions: the root field a subscription listens to and its coerced
 * arguments (new object; caller deletes), GQL_OK, or a request error in
 * errs (bad variables) as GQL_EINVALID.
 */
int gql_subscription_source(const struct gql_prepared *p, const struct gql_exec_args *args,
                            const char **field_name, cJSON **field_args, struct gql_errors *errs);
/* One event of the stream: the response with event as the root field's value (new). */
cJSON *gql_execute_event(const struct gql_prepared *p, const struct gql_exec_args *args,
                         const cJSON *event);

#endif
