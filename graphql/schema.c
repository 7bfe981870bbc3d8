/* STUB until the schema builder lands (issue 8). */
#include <stdlib.h>

#include "graphql/internal.h"

int gql_schema_new(const char *sdl, size_t len, struct gql_schema **out, struct gql_errors *errs)
{
    *out = NULL;
    gql_errors_add(errs, NULL, NULL, 0, "The schema builder is not built yet.");
    return GQL_EINVALID;
}

void gql_schema_free(struct gql_schema *schema)
{
    free(schema);
}

int gql_schema_set_resolver(struct gql_schema *schema, const char *type, const char *field,
                            gql_resolve_fn fn, void *data)
{
    return GQL_EARG;
}

int gql_schema_set_type_resolver(struct gql_schema *schema, const char *type,
                                 gql_resolve_type_fn fn, void *data)
{
    return GQL_EARG;
}

const struct gql_type *gql_schema_type(const struct gql_schema *schema, const char *name)
{
    return NULL;
}

const struct gql_directive_def *gql_schema_directive(const struct gql_schema *schema,
                                                     const char *name)
{
    return NULL;
}

const struct gql_field *gql_type_field(const struct gql_schema *schema, const struct gql_type *type,
                                       const char *name)
{
    return NULL;
}

const struct gql_type *gql_schema_type_ref(const struct gql_schema *schema,
                                           const struct gql_type_ref *ref)
{
    return NULL;
}

const struct gql_type *gql_type_named(const struct gql_type *type)
{
    while (type != NULL && (type->kind == GQL_KIND_LIST || type->kind == GQL_KIND_NON_NULL))
        type = type->of_type;
    return type;
}

bool gql_type_is_input(const struct gql_type *type)
{
    return false;
}

bool gql_type_is_output(const struct gql_type *type)
{
    return false;
}

bool gql_type_is_leaf(const struct gql_type *type)
{
    return false;
}

bool gql_type_is_abstract(const struct gql_type *type)
{
    return false;
}

bool gql_type_is_subtype(const struct gql_schema *schema, const struct gql_type *maybe_sub,
                         const struct gql_type *super)
{
    return false;
}

bool gql_types_overlap(const struct gql_schema *schema, const struct gql_type *a,
                       const struct gql_type *b)
{
    return false;
}

const char *gql_type_print(const struct gql_type *type, char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    return out;
}
