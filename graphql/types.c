/*
 * Questions about types the validator and the executor ask: input or
 * output, leaf, abstract, the spec's IsSubType with list and non-null
 * covariance, graphql-js's doTypesOverlap, and the type printed the way
 * GraphQL writes it. They read the schema's immutable types only, so any
 * thread may ask at any time. Wrapper types are unique per wrapped type
 * (schema.c), so type equality is pointer equality here.
 *
 * gql_type_is_input/output follow graphql-js and look through LIST and
 * NON_NULL; so do gql_type_is_leaf and gql_type_is_abstract, which answer
 * for the named type ([Int!] is a list of leaves: true).
 */
#include <string.h>

#include "graphql/schema_internal.h"

const struct gql_type *gql_type_named(const struct gql_type *type)
{
    while (type != NULL && (type->kind == GQL_KIND_LIST || type->kind == GQL_KIND_NON_NULL))
        type = type->of_type;
    return type;
}

bool gql_type_is_input(const struct gql_type *type)
{
    type = gql_type_named(type);
    return type != NULL && (type->kind == GQL_KIND_SCALAR || type->kind == GQL_KIND_ENUM ||
                            type->kind == GQL_KIND_INPUT_OBJECT);
}

bool gql_type_is_output(const struct gql_type *type)
{
    type = gql_type_named(type);
    return type != NULL && type->kind != GQL_KIND_INPUT_OBJECT;
}

bool gql_type_is_leaf(const struct gql_type *type)
{
    type = gql_type_named(type);
    return type != NULL && (type->kind == GQL_KIND_SCALAR || type->kind == GQL_KIND_ENUM);
}

bool gql_type_is_abstract(const struct gql_type *type)
{
    type = gql_type_named(type);
    return type != NULL && (type->kind == GQL_KIND_INTERFACE || type->kind == GQL_KIND_UNION);
}

/* graphql-js schema.isSubType: a member of a union, an implementation (object
   or interface) of an interface. */
static bool is_possible(const struct gql_type *abstract, const struct gql_type *maybe)
{
    if (abstract->kind == GQL_KIND_UNION) {
        for (size_t i = 0; i < abstract->npossible_types; i++)
            if (abstract->possible_types[i] == maybe)
                return true;
        return false;
    }
    if (abstract->kind == GQL_KIND_INTERFACE &&
        (maybe->kind == GQL_KIND_OBJECT || maybe->kind == GQL_KIND_INTERFACE)) {
        for (size_t i = 0; i < maybe->ninterfaces; i++)
            if (maybe->interfaces[i] == abstract)
                return true;
    }
    return false;
}

bool gql_type_is_subtype(const struct gql_schema *schema, const struct gql_type *maybe_sub,
                         const struct gql_type *super)
{
    if (maybe_sub == NULL || super == NULL)
        return false;
    if (maybe_sub == super)
        return true;
    if (super->kind == GQL_KIND_NON_NULL)
        return maybe_sub->kind == GQL_KIND_NON_NULL &&
               gql_type_is_subtype(schema, maybe_sub->of_type, super->of_type);
    if (maybe_sub->kind == GQL_KIND_NON_NULL)
        return gql_type_is_subtype(schema, maybe_sub->of_type, super);
    if (super->kind == GQL_KIND_LIST)
        return maybe_sub->kind == GQL_KIND_LIST &&
               gql_type_is_subtype(schema, maybe_sub->of_type, super->of_type);
    if (maybe_sub->kind == GQL_KIND_LIST)
        return false;
    return (super->kind == GQL_KIND_INTERFACE || super->kind == GQL_KIND_UNION) &&
           (maybe_sub->kind == GQL_KIND_OBJECT || maybe_sub->kind == GQL_KIND_INTERFACE) &&
           is_possible(super, maybe_sub);
}

bool gql_types_overlap(const struct gql_schema *schema, const struct gql_type *a,
                       const struct gql_type *b)
{
    if (a == NULL || b == NULL)
        return false;
    if (a == b)
        return true;
    bool a_abstract = a->kind == GQL_KIND_INTERFACE || a->kind == GQL_KIND_UNION;
    bool b_abstract = b->kind == GQL_KIND_INTERFACE || b->kind == GQL_KIND_UNION;
    if (a_abstract && b_abstract) {
        for (size_t i = 0; i < b->npossible_types; i++)
            if (is_possible(a, b->possible_types[i]))
                return true;
        return false;
    }
    if (a_abstract)
        return is_possible(a, b);
    if (b_abstract)
        return is_possible(b, a);
    return false;
}

static void put(char *out, size_t size, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + 1 < size) {
        size_t room = size - 1 - *pos;
        memcpy(out + *pos, s, n < room ? n : room);
    }
    *pos += n;
}

static void print(const struct gql_type *t, char *out, size_t size, size_t *pos)
{
    if (t == NULL) {
        put(out, size, pos, "?");
    } else if (t->kind == GQL_KIND_LIST) {
        put(out, size, pos, "[");
        print(t->of_type, out, size, pos);
        put(out, size, pos, "]");
    } else if (t->kind == GQL_KIND_NON_NULL) {
        print(t->of_type, out, size, pos);
        put(out, size, pos, "!");
    } else {
        put(out, size, pos, t->name);
    }
}

const char *gql_type_print(const struct gql_type *type, char *out, size_t size)
{
    if (out == NULL || size == 0)
        return out;
    size_t pos = 0;
    print(type, out, size, &pos);
    out[pos < size ? pos : size - 1] = '\0';
    return out;
}
