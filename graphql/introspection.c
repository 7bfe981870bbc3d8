/*
 * Introspection: the fields of __Schema, __Type, __Field, __InputValue,
 * __EnumValue and __Directive, and the meta-fields __schema, __type and
 * __typename. The introspection types are ordinary object types of the
 * schema (builtins.c declares them in SDL), so the executor collects,
 * merges, skips and completes them like any other; only their resolvers
 * are here. Their values are not JSON but pointers into the schema
 * (struct gql_xvalue), so no intermediate JSON is built: a __Type is the
 * struct gql_type itself, its fields list an array of pointers to its
 * struct gql_field. Which field a selection names is decided once per
 * field group (gql_intro_field_of), not per value.
 *
 * Lists follow graphql-js: definition order, "__"-prefixed meta-fields
 * left out, deprecated elements filtered unless includeDeprecated is
 * true; defaultValue is print(astFromValue(default, type)).
 */
#include <string.h>
#include <stdlib.h>

#include "graphql/execute_internal.h"

struct intro_name {
    const char *type;
    const char *field;
    enum gql_intro_field id;
};

static const struct intro_name intro_names[] = {
    {"__Schema", "description", GQL_I_SCHEMA_DESCRIPTION},
    {"__Schema", "types", GQL_I_SCHEMA_TYPES},
    {"__Schema", "queryType", GQL_I_SCHEMA_QUERY},
    {"__Schema", "mutationType", GQL_I_SCHEMA_MUTATION},
    {"__Schema", "subscriptionType", GQL_I_SCHEMA_SUBSCRIPTION},
    {"__Schema", "directives", GQL_I_SCHEMA_DIRECTIVES},
    {"__Type", "kind", GQL_I_TYPE_KIND},
    {"__Type", "name", GQL_I_TYPE_NAME},
    {"__Type", "description", GQL_I_TYPE_DESCRIPTION},
    {"__Type", "specifiedByURL", GQL_I_TYPE_SPECIFIED_BY},
    {"__Type", "fields", GQL_I_TYPE_FIELDS},
    {"__Type", "interfaces", GQL_I_TYPE_INTERFACES},
    {"__Type", "possibleTypes", GQL_I_TYPE_POSSIBLE},
    {"__Type", "enumValues", GQL_I_TYPE_ENUM_VALUES},
    {"__Type", "inputFields", GQL_I_TYPE_INPUT_FIELDS},
    {"__Type", "ofType", GQL_I_TYPE_OF_TYPE},
    {"__Field", "name", GQL_I_FIELD_NAME},
    {"__Field", "description", GQL_I_FIELD_DESCRIPTION},
    {"__Field", "args", GQL_I_FIELD_ARGS},
    {"__Field", "type", GQL_I_FIELD_TYPE},
    {"__Field", "isDeprecated", GQL_I_FIELD_DEPRECATED},
    {"__Field", "deprecationReason", GQL_I_FIELD_REASON},
    {"__InputValue", "name", GQL_I_INPUT_NAME},
    {"__InputValue", "description", GQL_I_INPUT_DESCRIPTION},
    {"__InputValue", "type", GQL_I_INPUT_TYPE},
    {"__InputValue", "defaultValue", GQL_I_INPUT_DEFAULT},
    {"__InputValue", "isDeprecated", GQL_I_INPUT_DEPRECATED},
    {"__InputValue", "deprecationReason", GQL_I_INPUT_REASON},
    {"__EnumValue", "name", GQL_I_ENUM_NAME},
    {"__EnumValue", "description", GQL_I_ENUM_DESCRIPTION},
    {"__EnumValue", "isDeprecated", GQL_I_ENUM_DEPRECATED},
    {"__EnumValue", "deprecationReason", GQL_I_ENUM_REASON},
    {"__Directive", "name", GQL_I_DIRECTIVE_NAME},
    {"__Directive", "description", GQL_I_DIRECTIVE_DESCRIPTION},
    {"__Directive", "isRepeatable", GQL_I_DIRECTIVE_REPEATABLE},
    {"__Directive", "locations", GQL_I_DIRECTIVE_LOCATIONS},
    {"__Directive", "args", GQL_I_DIRECTIVE_ARGS},
};

enum gql_intro_field gql_intro_field_of(const struct gql_type *parent, const struct gql_field *f)
{
    if (strcmp(f->name, "__typename") == 0)
        return GQL_I_TYPENAME;
    if (f->resolve != NULL)
        return GQL_I_NONE;
    if (strcmp(f->name, "__schema") == 0)
        return GQL_I_SCHEMA;
    if (strcmp(f->name, "__type") == 0)
        return GQL_I_TYPE;
    if (parent->name == NULL || strncmp(parent->name, "__", 2) != 0)
        return GQL_I_NONE;
    for (size_t i = 0; i < sizeof intro_names / sizeof intro_names[0]; i++)
        if (strcmp(intro_names[i].type, parent->name) == 0 &&
            strcmp(intro_names[i].field, f->name) == 0)
            return intro_names[i].id;
    return GQL_I_NONE;
}

static const char *const kind_names[] = {
    [GQL_KIND_SCALAR] = "SCALAR",       [GQL_KIND_OBJECT] = "OBJECT",
    [GQL_KIND_INTERFACE] = "INTERFACE", [GQL_KIND_UNION] = "UNION",
    [GQL_KIND_ENUM] = "ENUM",           [GQL_KIND_INPUT_OBJECT] = "INPUT_OBJECT",
    [GQL_KIND_LIST] = "LIST",           [GQL_KIND_NON_NULL] = "NON_NULL",
};

static bool is_specified_directive(const char *name)
{
    return strcmp(name, "include") == 0 || strcmp(name, "skip") == 0 ||
           strcmp(name, "deprecated") == 0 || strcmp(name, "specifiedBy") == 0;
}

static bool include_deprecated(const cJSON *args)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "includeDeprecated"));
}

static struct gql_xvalue *list_alloc(struct gql_arena *arena, size_t n, struct gql_xvalue *out)
{
    struct gql_xvalue *items = gql_arena_alloc(arena, (n ? n : 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    out->kind = GQL_V_LIST;
    out->u.list.items = items;
    out->u.list.n = 0;
    return items;
}

static int list_of_types(struct gql_arena *arena, const struct gql_type *const *types, size_t n,
                         struct gql_xvalue *out)
{
    struct gql_xvalue *items = list_alloc(arena, n, out);
    if (items == NULL)
        return GQL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        items[i] = (struct gql_xvalue){.kind = GQL_V_TYPE, .u.ptr = types[i]};
    out->u.list.n = n;
    return GQL_OK;
}

static int list_of_inputs(struct gql_arena *arena, const struct gql_input_value *v, size_t n,
                          bool all, struct gql_xvalue *out)
{
    struct gql_xvalue *items = list_alloc(arena, n, out);
    if (items == NULL)
        return GQL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (all || !v[i].deprecated)
            items[k++] = (struct gql_xvalue){.kind = GQL_V_INPUT, .u.ptr = &v[i]};
    out->u.list.n = k;
    return GQL_OK;
}

static void set_string(struct gql_xvalue *out, const char *s)
{
    out->kind = GQL_V_STRING;
    out->u.str = s;
}

static void set_bool(struct gql_xvalue *out, bool b)
{
    out->kind = GQL_V_BOOL;
    out->u.b = b;
}

static void set_type(struct gql_xvalue *out, const struct gql_type *t)
{
    out->kind = t ? GQL_V_TYPE : GQL_V_NULL;
    out->u.ptr = t;
}

/* print(astFromValue(valueFromAST(literal, type), type)), arena-allocated. */
static int default_value(struct gql_arena *arena, const struct gql_input_value *iv,
                         struct gql_xvalue *out)
{
    struct gql_sb sb = {0};
    cJSON *v = NULL;
    int rc = gql_value_from_literal(iv->default_value, iv->type, NULL, &v);
    if (rc == GQL_ENOMEM)
        return rc;
    if (rc == GQL_OK)
        gql_print_value(&sb, v, iv->type);
    else
        gql_print_literal(&sb, iv->default_value);
    cJSON_Delete(v);
    if (sb.oom) {
        free(sb.s);
        return GQL_ENOMEM;
    }
    char *s = gql_arena_strndup(arena, sb.s ? sb.s : "", sb.len);
    free(sb.s);
    if (s == NULL)
        return GQL_ENOMEM;
    out->kind = GQL_V_STRING_COPY;
    out->u.str = s;
    return GQL_OK;
}

int gql_intro_resolve(const struct gql_schema *schema, enum gql_intro_field which,
                      const struct gql_xvalue *src, const cJSON *args, struct gql_arena *arena,
                      struct gql_xvalue *out)
{
    const void *ptr = src->u.ptr;
    out->kind = GQL_V_NULL;
    out->u.ptr = NULL;
    /* Each field reads a value of its own type; anything else (JSON) is null. */
    if (which != GQL_I_SCHEMA && which != GQL_I_TYPE && which != GQL_I_TYPENAME) {
        enum gql_vkind want;
        if (which <= GQL_I_SCHEMA_DIRECTIVES)
            want = GQL_V_SCHEMA;
        else if (which <= GQL_I_TYPE_OF_TYPE)
            want = GQL_V_TYPE;
        else if (which <= GQL_I_FIELD_REASON)
            want = GQL_V_FIELD;
        else if (which <= GQL_I_INPUT_REASON)
            want = GQL_V_INPUT;
        else if (which <= GQL_I_ENUM_REASON)
            want = GQL_V_ENUMVALUE;
        else
            want = GQL_V_DIRECTIVE;
        if (src->kind != want || ptr == NULL)
            return GQL_OK;
    }

    const struct gql_type *t = ptr;
    const struct gql_field *f = ptr;
    const struct gql_input_value *iv = ptr;
    const struct gql_enum_value *ev = ptr;
    const struct gql_directive_def *d = ptr;
    switch (which) {
    case GQL_I_NONE:
    case GQL_I_TYPENAME:
        return GQL_OK;
    case GQL_I_SCHEMA:
        out->kind = GQL_V_SCHEMA;
        out->u.ptr = schema;
        return GQL_OK;
    case GQL_I_TYPE: {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "name");
        if (cJSON_IsString(name))
            set_type(out, gql_schema_type(schema, name->valuestring));
        return GQL_OK;
    }
    case GQL_I_SCHEMA_DESCRIPTION:
        set_string(out, schema->description);
        return GQL_OK;
    case GQL_I_SCHEMA_TYPES:
        return list_of_types(arena, schema->types, schema->ntypes, out);
    case GQL_I_SCHEMA_QUERY:
        set_type(out, schema->query);
        return GQL_OK;
    case GQL_I_SCHEMA_MUTATION:
        set_type(out, schema->mutation);
        return GQL_OK;
    case GQL_I_SCHEMA_SUBSCRIPTION:
        set_type(out, schema->subscription);
        return GQL_OK;
    case GQL_I_SCHEMA_DIRECTIVES: {
        struct gql_xvalue *items = list_alloc(arena, schema->ndirectives, out);
        if (items == NULL)
            return GQL_ENOMEM;
        /* graphql-js's order: the schema's own directives, then the specified ones (which
           struct gql_schema holds first) */
        size_t nspec = 0;
        while (nspec < schema->ndirectives && nspec < 4 &&
               is_specified_directive(schema->directives[nspec].name))
            nspec++;
        size_t k = 0;
        for (size_t i = nspec; i < schema->ndirectives; i++)
            items[k++] =
                (struct gql_xvalue){.kind = GQL_V_DIRECTIVE, .u.ptr = &schema->directives[i]};
        for (size_t i = 0; i < nspec; i++)
            items[k++] =
                (struct gql_xvalue){.kind = GQL_V_DIRECTIVE, .u.ptr = &schema->directives[i]};
        out->u.list.n = schema->ndirectives;
        return GQL_OK;
    }
    case GQL_I_TYPE_KIND:
        set_string(out, kind_names[t->kind]);
        return GQL_OK;
    case GQL_I_TYPE_NAME:
        set_string(out, t->name);
        return GQL_OK;
    case GQL_I_TYPE_DESCRIPTION:
        set_string(out, t->description);
        return GQL_OK;
    case GQL_I_TYPE_SPECIFIED_BY:
        set_string(out, t->kind == GQL_KIND_SCALAR ? t->specified_by_url : NULL);
        return GQL_OK;
    case GQL_I_TYPE_FIELDS: {
        if (t->kind != GQL_KIND_OBJECT && t->kind != GQL_KIND_INTERFACE)
            return GQL_OK;
        bool all = include_deprecated(args);
        struct gql_xvalue *items = list_alloc(arena, t->nfields, out);
        if (items == NULL)
            return GQL_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < t->nfields; i++)
            if ((all || !t->fields[i].deprecated) && strncmp(t->fields[i].name, "__", 2) != 0)
                items[k++] = (struct gql_xvalue){.kind = GQL_V_FIELD, .u.ptr = &t->fields[i]};
        out->u.list.n = k;
        return GQL_OK;
    }
    case GQL_I_TYPE_INTERFACES:
        if (t->kind != GQL_KIND_OBJECT && t->kind != GQL_KIND_INTERFACE)
            return GQL_OK;
        return list_of_types(arena, t->interfaces, t->ninterfaces, out);
    case GQL_I_TYPE_POSSIBLE:
        if (t->kind != GQL_KIND_UNION && t->kind != GQL_KIND_INTERFACE)
            return GQL_OK;
        return list_of_types(arena, t->possible_types, t->npossible_types, out);
    case GQL_I_TYPE_ENUM_VALUES: {
        if (t->kind != GQL_KIND_ENUM)
            return GQL_OK;
        bool all = include_deprecated(args);
        struct gql_xvalue *items = list_alloc(arena, t->nenum_values, out);
        if (items == NULL)
            return GQL_ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < t->nenum_values; i++)
            if (all || !t->enum_values[i].deprecated)
                items[k++] =
                    (struct gql_xvalue){.kind = GQL_V_ENUMVALUE, .u.ptr = &t->enum_values[i]};
        out->u.list.n = k;
        return GQL_OK;
    }
    case GQL_I_TYPE_INPUT_FIELDS:
        if (t->kind != GQL_KIND_INPUT_OBJECT)
            return GQL_OK;
        return list_of_inputs(arena, t->input_fields, t->ninput_fields, include_deprecated(args),
                              out);
    case GQL_I_TYPE_OF_TYPE:
        set_type(out, t->of_type);
        return GQL_OK;
    case GQL_I_FIELD_NAME:
        set_string(out, f->name);
        return GQL_OK;
    case GQL_I_FIELD_DESCRIPTION:
        set_string(out, f->description);
        return GQL_OK;
    case GQL_I_FIELD_ARGS:
        return list_of_inputs(arena, f->args, f->nargs, include_deprecated(args), out);
    case GQL_I_FIELD_TYPE:
        set_type(out, f->type);
        return GQL_OK;
    case GQL_I_FIELD_DEPRECATED:
        set_bool(out, f->deprecated);
        return GQL_OK;
    case GQL_I_FIELD_REASON:
        set_string(out, f->deprecated ? f->deprecation_reason : NULL);
        return GQL_OK;
    case GQL_I_INPUT_NAME:
        set_string(out, iv->name);
        return GQL_OK;
    case GQL_I_INPUT_DESCRIPTION:
        set_string(out, iv->description);
        return GQL_OK;
    case GQL_I_INPUT_TYPE:
        set_type(out, iv->type);
        return GQL_OK;
    case GQL_I_INPUT_DEFAULT:
        if (iv->default_value == NULL)
            return GQL_OK;
        return default_value(arena, iv, out);
    case GQL_I_INPUT_DEPRECATED:
        set_bool(out, iv->deprecated);
        return GQL_OK;
    case GQL_I_INPUT_REASON:
        set_string(out, iv->deprecated ? iv->deprecation_reason : NULL);
        return GQL_OK;
    case GQL_I_ENUM_NAME:
        set_string(out, ev->name);
        return GQL_OK;
    case GQL_I_ENUM_DESCRIPTION:
        set_string(out, ev->description);
        return GQL_OK;
    case GQL_I_ENUM_DEPRECATED:
        set_bool(out, ev->deprecated);
        return GQL_OK;
    case GQL_I_ENUM_REASON:
        set_string(out, ev->deprecated ? ev->deprecation_reason : NULL);
        return GQL_OK;
    case GQL_I_DIRECTIVE_NAME:
        set_string(out, d->name);
        return GQL_OK;
    case GQL_I_DIRECTIVE_DESCRIPTION:
        set_string(out, d->description);
        return GQL_OK;
    case GQL_I_DIRECTIVE_REPEATABLE:
        set_bool(out, d->repeatable);
        return GQL_OK;
    case GQL_I_DIRECTIVE_LOCATIONS: {
        /* as written, as graphql-js lists them */
        struct gql_xvalue *items = list_alloc(arena, d->nwritten, out);
        if (items == NULL)
            return GQL_ENOMEM;
        for (size_t i = 0; i < d->nwritten; i++)
            items[i] = (struct gql_xvalue){.kind = GQL_V_STRING,
                                           .u.str = gql_directive_location_names[d->written[i]]};
        out->u.list.n = d->nwritten;
        return GQL_OK;
    }
    case GQL_I_DIRECTIVE_ARGS:
        return list_of_inputs(arena, d->args, d->nargs, include_deprecated(args), out);
    }
    return GQL_OK;
}
