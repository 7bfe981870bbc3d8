/*
 * What the schema's files (schema.c builds, schema_validate.c checks,
 * types.c answers the type predicates) share: the node every gql_type is
 * embedded in, the schema's private part and the builder's error sink.
 * Nothing outside graphql/schema*.c and graphql/types.c includes this.
 */
#ifndef PARLEY_GRAPHQL_SCHEMA_INTERNAL_H
#define PARLEY_GRAPHQL_SCHEMA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "graphql/internal.h"

/*
 * Every gql_type of a schema, named or wrapper, is the first member of a
 * node, so a const struct gql_type * converts back to its node. The
 * wrappers [T] and T! are made once per T and remembered here, which makes
 * them unique: pointer equality is type equality.
 */
struct gql_type_node {
    struct gql_type t;                         /* first */
    _Atomic(const struct gql_type *) list;     /* [t], or NULL until first asked for */
    _Atomic(const struct gql_type *) non_null; /* t!, likewise; never made for a NON_NULL t */
    uint32_t *field_table; /* OBJECT, INTERFACE: open addressing, slot = field index + 1 */
    uint32_t field_mask;   /* slots - 1 (a power of two minus one) */
    size_t index;          /* position in schema->types */
    bool builtin;          /* from the built-in or introspection SDL */

    /* The syntax the type was built from (in the schema's documents), for
       the locations of schema-validation errors. */
    const struct gql_definition *def;
    const struct gql_definition **exts; /* its extensions in document order */
    size_t nexts;
    const void **item_ast;              /* parallel to fields (gql_field_def), input_fields
                                           (gql_input_value_def), enum_values (gql_enum_value_def) */
    const struct gql_name **member_ast; /* parallel to interfaces (OBJECT, INTERFACE) or
                                           possible_types (UNION) */
};

static inline struct gql_type_node *gql_type_node_of(const struct gql_type *type)
{
    return (struct gql_type_node *)(uintptr_t)type;
}

struct gql_schema_internal {
    struct gql_arena *arena; /* owns the schema, every type, field, table and wrapper */
    /* The parsed SDL (user's, built-in, introspection), freed with the schema:
       names, descriptions and default values point into them. */
    struct gql_document *docs[3];
    pthread_mutex_t wrap_lock;          /* wrappers made after the build allocate from the arena */
    const struct gql_type **type_table; /* open addressing by name; NULL = empty slot */
    uint32_t type_mask;
    const struct gql_definition **directive_ast; /* parallel to schema->directives */
    const struct gql_definition *schema_def;     /* schema { } or NULL */
    /* The fields every composite type (__typename) or the query root
       (__schema, __type) answers without declaring them. */
    struct gql_field typename_field;
    struct gql_field schema_field;
    struct gql_field type_field;
    struct gql_input_value type_field_name_arg;
};

/* A directive's argument in the SDL, checked against its type once every
   type is complete (an enum may be defined after its use). */
struct gql_deferred_arg {
    const struct gql_directive *directive;
    const struct gql_argument *arg;
    const struct gql_type *type;
    struct gql_deferred_arg *next;
};

/* Where schema.c and schema_validate.c report SDL errors. */
struct gql_schema_builder {
    struct gql_schema *schema;
    struct gql_schema_internal *in;
    struct gql_errors *errs; /* may be NULL: errors are only counted */
    size_t nerrors;
    bool oom;
    struct gql_deferred_arg *deferred; /* in the arena, newest first */
};

void gql_schema_report(struct gql_schema_builder *b, const char *rule, const struct gql_loc *locs,
                       size_t nlocs, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* [of] and of!, made once (thread-safe); NULL when out of memory, or for of!! */
const struct gql_type *gql_schema_wrap(struct gql_schema_internal *in, const struct gql_type *of,
                                       enum gql_type_kind kind);

/* schema_validate.c: the spec's type-system rules on a built schema (graphql-js
   validateSchema); errors go to b, the count of new ones is returned. */
size_t gql_schema_validate(struct gql_schema_builder *b);

/* The input value is required: non-null and without a default. */
static inline bool gql_input_value_required(const struct gql_input_value *v)
{
    return v->type->kind == GQL_KIND_NON_NULL && v->default_value == NULL;
}

#endif
