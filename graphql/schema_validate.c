/*
 * The specification's type-system rules on a built schema, in the order
 * and the words of graphql-js's validateSchema: root types are object
 * types; names do not start with "__"; directive arguments are input types;
 * object and interface types have fields of output types with arguments of
 * input types and implement their interfaces correctly (every field, with a
 * covariant type and the same arguments, and the interfaces' own
 * interfaces); unions have object members, once each; enums have values;
 * input objects have input fields and no cycle of non-null fields. It runs
 * only on a schema whose build found no unknown type or duplicate, so every
 * type pointer is set. Each error carries the location of the offending
 * name in the user's SDL when it has one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/schema_internal.h"

#define TYPE_TEXT 256

static const char *print(const struct gql_type *t, char *buf)
{
    return gql_type_print(t, buf, TYPE_TEXT);
}

static bool reserved(const char *name)
{
    return name[0] == '_' && name[1] == '_';
}

/* 0 or 1 location: where the node is, if it is known. */
static size_t at(const struct gql_loc *loc, struct gql_loc *out)
{
    if (loc == NULL)
        return 0;
    *out = *loc;
    return 1;
}

static void check_name(struct gql_schema_builder *b, const char *name, const struct gql_loc *loc)
{
    struct gql_loc l;
    if (reserved(name))
        gql_schema_report(b, NULL, &l, at(loc, &l),
                          "Name \"%s\" must not begin with \"__\", which is reserved by GraphQL "
                          "introspection.",
                          name);
}

static void check_roots(struct gql_schema_builder *b)
{
    const struct gql_schema *schema = b->schema;
    char buf[TYPE_TEXT];
    const struct gql_loc *loc = b->in->schema_def != NULL ? &b->in->schema_def->loc : NULL;
    struct gql_loc l;
    if (schema->query == NULL)
        gql_schema_report(b, NULL, &l, at(loc, &l), "Query root type must be provided.");
    else if (schema->query->kind != GQL_KIND_OBJECT)
        gql_schema_report(b, NULL, &l, at(loc, &l),
                          "Query root type must be Object type, it cannot be %s.",
                          print(schema->query, buf));
    if (schema->mutation != NULL && schema->mutation->kind != GQL_KIND_OBJECT)
        gql_schema_report(b, NULL, &l, at(loc, &l),
                          "Mutation root type must be Object type if provided, it cannot be %s.",
                          print(schema->mutation, buf));
    if (schema->subscription != NULL && schema->subscription->kind != GQL_KIND_OBJECT)
        gql_schema_report(b, NULL, &l, at(loc, &l),
                          "Subscription root type must be Object type if provided, it cannot be "
                          "%s.",
                          print(schema->subscription, buf));
}

static void check_directives(struct gql_schema_builder *b)
{
    const struct gql_schema *schema = b->schema;
    char buf[TYPE_TEXT];
    for (size_t i = 0; i < schema->ndirectives; i++) {
        const struct gql_directive_def *d = &schema->directives[i];
        const struct gql_definition *ast = b->in->directive_ast[i];
        check_name(b, d->name, &ast->name_loc);
        for (size_t j = 0; j < d->nargs; j++) {
            const struct gql_input_value *arg = &d->args[j];
            const struct gql_loc *loc = &ast->input_values[j].loc;
            check_name(b, arg->name, loc);
            if (!gql_type_is_input(arg->type))
                gql_schema_report(b, NULL, loc, 1,
                                  "The type of @%s(%s:) must be Input Type but got: %s.", d->name,
                                  arg->name, print(arg->type, buf));
            if (gql_input_value_required(arg) && arg->deprecated)
                gql_schema_report(b, NULL, loc, 1,
                                  "Required argument @%s(%s:) cannot be deprecated.", d->name,
                                  arg->name);
        }
    }
}

static const struct gql_input_value *find_arg(const struct gql_field *f, const char *name)
{
    for (size_t i = 0; i < f->nargs; i++)
        if (strcmp(f->args[i].name, name) == 0)
            return &f->args[i];
    return NULL;
}

static void check_fields(struct gql_schema_builder *b, const struct gql_type_node *n)
{
    const struct gql_type *t = &n->t;
    char buf[TYPE_TEXT];
    if (t->nfields == 0) {
        gql_schema_report(b, NULL, &n->def->name_loc, 1, "Type %s must define one or more fields.",
                          t->name);
        return;
    }
    for (size_t i = 0; i < t->nfields; i++) {
        const struct gql_field *f = &t->fields[i];
        const struct gql_field_def *fd = n->item_ast[i];
        check_name(b, f->name, &fd->loc);
        if (!gql_type_is_output(f->type))
            gql_schema_report(b, NULL, &fd->type->loc, 1,
                              "The type of %s.%s must be Output Type but got: %s.", t->name,
                              f->name, print(f->type, buf));
        for (size_t j = 0; j < f->nargs; j++) {
            const struct gql_input_value *arg = &f->args[j];
            const struct gql_loc *loc = &fd->args[j].loc;
            check_name(b, arg->name, loc);
            if (!gql_type_is_input(arg->type))
                gql_schema_report(b, NULL, loc, 1,
                                  "The type of %s.%s(%s:) must be Input Type but got: %s.", t->name,
                                  f->name, arg->name, print(arg->type, buf));
            if (gql_input_value_required(arg) && arg->deprecated)
                gql_schema_report(b, NULL, loc, 1,
                                  "Required argument %s.%s(%s:) cannot be deprecated.", t->name,
                                  f->name, arg->name);
        }
    }
}

static bool implements(const struct gql_type *t, const struct gql_type *iface)
{
    for (size_t i = 0; i < t->ninterfaces; i++)
        if (t->interfaces[i] == iface)
            return true;
    return false;
}

static void check_implementation(struct gql_schema_builder *b, const struct gql_type_node *n,
                                 const struct gql_type *iface, const struct gql_loc *loc)
{
    const struct gql_type *t = &n->t;
    char b1[TYPE_TEXT], b2[TYPE_TEXT];
    for (size_t i = 0; i < iface->nfields; i++) {
        const struct gql_field *ifield = &iface->fields[i];
        const struct gql_field *field = gql_type_field(b->schema, t, ifield->name);
        if (field == NULL) {
            gql_schema_report(b, NULL, loc, 1,
                              "Interface field %s.%s expected but %s does not provide it.",
                              iface->name, ifield->name, t->name);
            continue;
        }
        const struct gql_field_def *fd = n->item_ast[field - t->fields];
        if (!gql_type_is_subtype(b->schema, field->type, ifield->type))
            gql_schema_report(b, NULL, &fd->type->loc, 1,
                              "Interface field %s.%s expects type %s but %s.%s is type %s.",
                              iface->name, ifield->name, print(ifield->type, b1), t->name,
                              field->name, print(field->type, b2));
        for (size_t j = 0; j < ifield->nargs; j++) {
            const struct gql_input_value *iarg = &ifield->args[j];
            const struct gql_input_value *arg = find_arg(field, iarg->name);
            if (arg == NULL) {
                gql_schema_report(b, NULL, &fd->loc, 1,
                                  "Interface field argument %s.%s(%s:) expected but %s.%s does "
                                  "not provide it.",
                                  iface->name, ifield->name, iarg->name, t->name, field->name);
                continue;
            }
            if (arg->type != iarg->type)
                gql_schema_report(b, NULL, &fd->args[arg - field->args].loc, 1,
                                  "Interface field argument %s.%s(%s:) expects type %s but "
                                  "%s.%s(%s:) is type %s.",
                                  iface->name, ifield->name, iarg->name, print(iarg->type, b1),
                                  t->name, field->name, arg->name, print(arg->type, b2));
        }
        for (size_t j = 0; j < field->nargs; j++) {
            const struct gql_input_value *arg = &field->args[j];
            if (gql_input_value_required(arg) && find_arg(ifield, arg->name) == NULL)
                gql_schema_report(b, NULL, &fd->args[j].loc, 1,
                                  "Object field %s.%s includes required argument %s that is "
                                  "missing from the Interface field %s.%s.",
                                  t->name, field->name, arg->name, iface->name, ifield->name);
        }
    }
}

static void check_interfaces(struct gql_schema_builder *b, const struct gql_type_node *n)
{
    const struct gql_type *t = &n->t;
    char buf[TYPE_TEXT];
    for (size_t i = 0; i < t->ninterfaces; i++) {
        const struct gql_type *iface = t->interfaces[i];
        const struct gql_loc *loc = &n->member_ast[i]->loc;
        if (iface->kind != GQL_KIND_INTERFACE) {
            gql_schema_report(b, NULL, loc, 1,
                              "Type %s must only implement Interface types, it cannot implement "
                              "%s.",
                              t->name, print(iface, buf));
            continue;
        }
        if (iface == t) {
            gql_schema_report(b, NULL, loc, 1,
                              "Type %s cannot implement itself because it would create a "
                              "circular reference.",
                              t->name);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = t->interfaces[j] == iface;
        if (dup) {
            gql_schema_report(b, NULL, loc, 1, "Type %s can only implement %s once.", t->name,
                              iface->name);
            continue;
        }
        for (size_t j = 0; j < iface->ninterfaces; j++) {
            const struct gql_type *transitive = iface->interfaces[j];
            if (implements(t, transitive))
                continue;
            if (transitive == t)
                gql_schema_report(b, NULL, loc, 1,
                                  "Type %s cannot implement %s because it would create a "
                                  "circular reference.",
                                  t->name, iface->name);
            else
                gql_schema_report(b, NULL, loc, 1,
                                  "Type %s must implement %s because it is implemented by %s.",
                                  t->name, transitive->name, iface->name);
        }
        check_implementation(b, n, iface, loc);
    }
}

static void check_union(struct gql_schema_builder *b, const struct gql_type_node *n)
{
    const struct gql_type *t = &n->t;
    char buf[TYPE_TEXT];
    if (t->npossible_types == 0) {
        gql_schema_report(b, NULL, &n->def->name_loc, 1,
                          "Union type %s must define one or more member types.", t->name);
        return;
    }
    for (size_t i = 0; i < t->npossible_types; i++) {
        const struct gql_type *m = t->possible_types[i];
        const struct gql_loc *loc = &n->member_ast[i]->loc;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = t->possible_types[j] == m;
        if (dup) {
            gql_schema_report(b, NULL, loc, 1, "Union type %s can only include type %s once.",
                              t->name, m->name);
            continue;
        }
        if (m->kind != GQL_KIND_OBJECT)
            gql_schema_report(b, NULL, loc, 1,
                              "Union type %s can only include Object types, it cannot include "
                              "%s.",
                              t->name, print(m, buf));
    }
}

static void check_enum(struct gql_schema_builder *b, const struct gql_type_node *n)
{
    const struct gql_type *t = &n->t;
    if (t->nenum_values == 0) {
        gql_schema_report(b, NULL, &n->def->name_loc, 1,
                          "Enum type %s must define one or more values.", t->name);
        return;
    }
    for (size_t i = 0; i < t->nenum_values; i++) {
        const char *name = t->enum_values[i].name;
        const struct gql_enum_value_def *vd = n->item_ast[i];
        check_name(b, name, &vd->loc);
        if (strcmp(name, "true") == 0 || strcmp(name, "false") == 0 || strcmp(name, "null") == 0)
            gql_schema_report(b, NULL, &vd->loc, 1, "Enum type %s cannot include value: %s.",
                              t->name, name);
    }
}

static void check_input_object(struct gql_schema_builder *b, const struct gql_type_node *n)
{
    const struct gql_type *t = &n->t;
    char buf[TYPE_TEXT];
    if (t->ninput_fields == 0) {
        gql_schema_report(b, NULL, &n->def->name_loc, 1,
                          "Input Object type %s must define one or more fields.", t->name);
        return;
    }
    for (size_t i = 0; i < t->ninput_fields; i++) {
        const struct gql_input_value *f = &t->input_fields[i];
        const struct gql_input_value_def *fd = n->item_ast[i];
        check_name(b, f->name, &fd->loc);
        if (!gql_type_is_input(f->type))
            gql_schema_report(b, NULL, &fd->type->loc, 1,
                              "The type of %s.%s must be Input Type but got: %s.", t->name, f->name,
                              print(f->type, buf));
        if (gql_input_value_required(f) && f->deprecated)
            gql_schema_report(b, NULL, &fd->loc, 1,
                              "Required input field %s.%s cannot be deprecated.", t->name, f->name);
    }
}

/*
 * graphql-js createInputObjectCircularRefsValidator: a depth-first walk over
 * non-null input-object fields; path_index[type] is the depth at which the
 * type is on the current path (SIZE_MAX when it is not).
 */
struct cycles {
    struct gql_schema_builder *b;
    bool *visited;      /* by type index */
    size_t *path_index; /* by type index */
    const struct gql_input_value **path;
    const struct gql_loc **path_locs;
    size_t depth;
};

static void detect_cycle(struct cycles *c, const struct gql_type *t)
{
    size_t ti = gql_type_node_of(t)->index;
    if (c->visited[ti])
        return;
    c->visited[ti] = true;
    c->path_index[ti] = c->depth;
    const struct gql_type_node *n = gql_type_node_of(t);
    for (size_t i = 0; i < t->ninput_fields; i++) {
        const struct gql_input_value *f = &t->input_fields[i];
        if (f->type->kind != GQL_KIND_NON_NULL || f->type->of_type->kind != GQL_KIND_INPUT_OBJECT)
            continue;
        const struct gql_type *ft = f->type->of_type;
        size_t fi = gql_type_node_of(ft)->index;
        const struct gql_input_value_def *fd = n->item_ast[i];
        c->path[c->depth] = f;
        c->path_locs[c->depth] = &fd->loc;
        c->depth++;
        if (c->path_index[fi] == SIZE_MAX) {
            detect_cycle(c, ft);
        } else {
            size_t from = c->path_index[fi];
            size_t len = 0;
            for (size_t k = from; k < c->depth; k++)
                len += strlen(c->path[k]->name) + 1;
            char *text = malloc(len + 1);
            struct gql_loc *locs = malloc((c->depth - from) * sizeof *locs);
            if (text == NULL || locs == NULL) {
                c->b->oom = true;
            } else {
                size_t pos = 0;
                for (size_t k = from; k < c->depth; k++) {
                    size_t l = strlen(c->path[k]->name);
                    if (k > from)
                        text[pos++] = '.';
                    memcpy(text + pos, c->path[k]->name, l);
                    pos += l;
                    locs[k - from] = *c->path_locs[k];
                }
                text[pos] = '\0';
                gql_schema_report(c->b, NULL, locs, c->depth - from,
                                  "Cannot reference Input Object \"%s\" within itself through a "
                                  "series of non-null fields: \"%s\".",
                                  ft->name, text);
            }
            free(text);
            free(locs);
        }
        c->depth--;
    }
    c->path_index[ti] = SIZE_MAX;
}

static void check_input_cycles(struct gql_schema_builder *b)
{
    size_t n = b->schema->ntypes;
    struct cycles c = {.b = b};
    c.visited = calloc(n, sizeof *c.visited);
    c.path_index = malloc(n * sizeof *c.path_index);
    c.path = malloc((n + 1) * sizeof *c.path);
    c.path_locs = malloc((n + 1) * sizeof *c.path_locs);
    if (c.visited == NULL || c.path_index == NULL || c.path == NULL || c.path_locs == NULL) {
        b->oom = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        c.path_index[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (b->schema->types[i]->kind == GQL_KIND_INPUT_OBJECT)
            detect_cycle(&c, b->schema->types[i]);
out:
    free(c.visited);
    free(c.path_index);
    free(c.path);
    free(c.path_locs);
}

/* ---- literals against their types (defaults, directive arguments) ---- */

static void put(char *out, size_t size, size_t *pos, const char *s, size_t n)
{
    if (*pos + 1 < size) {
        size_t room = size - 1 - *pos;
        memcpy(out + *pos, s, n < room ? n : room);
    }
    *pos += n;
}

/* The literal as GraphQL writes it, cut to size. */
static void print_value(const struct gql_value *v, char *out, size_t size, size_t *pos)
{
    switch (v->kind) {
    case GQL_VALUE_VARIABLE:
        put(out, size, pos, "$", 1);
        put(out, size, pos, v->text, strlen(v->text));
        break;
    case GQL_VALUE_STRING:
        put(out, size, pos, "\"", 1);
        for (size_t i = 0; i < v->len; i++) {
            unsigned char c = (unsigned char)v->text[i];
            char esc[8];
            if (c == '"' || c == '\\') {
                esc[0] = '\\';
                esc[1] = (char)c;
                put(out, size, pos, esc, 2);
            } else if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                put(out, size, pos, esc, 6);
            } else {
                put(out, size, pos, (const char *)&v->text[i], 1);
            }
        }
        put(out, size, pos, "\"", 1);
        break;
    case GQL_VALUE_BOOLEAN:
        put(out, size, pos, v->boolean ? "true" : "false", v->boolean ? 4 : 5);
        break;
    case GQL_VALUE_NULL:
        put(out, size, pos, "null", 4);
        break;
    case GQL_VALUE_LIST:
        put(out, size, pos, "[", 1);
        for (size_t i = 0; i < v->nitems; i++) {
            if (i > 0)
                put(out, size, pos, ", ", 2);
            print_value(&v->items[i], out, size, pos);
        }
        put(out, size, pos, "]", 1);
        break;
    case GQL_VALUE_OBJECT:
        put(out, size, pos, "{", 1);
        for (size_t i = 0; i < v->nfields; i++) {
            put(out, size, pos, i > 0 ? ", " : "", i > 0 ? 2 : 0);
            put(out, size, pos, v->fields[i].name, strlen(v->fields[i].name));
            put(out, size, pos, ": ", 2);
            print_value(&v->fields[i].value, out, size, pos);
        }
        put(out, size, pos, "}", 1);
        break;
    default: /* INT, FLOAT, ENUM: the lexeme */
        put(out, size, pos, v->text, strlen(v->text));
        break;
    }
}

static const char *value_text(const struct gql_value *v, char *buf, size_t size)
{
    size_t pos = 0;
    print_value(v, buf, size, &pos);
    buf[pos < size ? pos : size - 1] = '\0';
    return buf;
}

static bool int_fits(const struct gql_value *v)
{
    errno = 0;
    char *end;
    long long n = strtoll(v->text, &end, 10);
    return errno == 0 && *end == '\0' && n >= INT32_MIN && n <= INT32_MAX;
}

/* Could the constant literal v be coerced to type (the spec's input coercion)? */
static bool literal_fits(const struct gql_type *type, const struct gql_value *v)
{
    if (type == NULL)
        return true; /* an unknown type was reported already */
    if (v->kind == GQL_VALUE_VARIABLE)
        return false; /* no variables in a schema */
    if (type->kind == GQL_KIND_NON_NULL)
        return v->kind != GQL_VALUE_NULL && literal_fits(type->of_type, v);
    if (v->kind == GQL_VALUE_NULL)
        return true;
    switch (type->kind) {
    case GQL_KIND_LIST:
        if (v->kind != GQL_VALUE_LIST)
            return literal_fits(type->of_type, v);
        for (size_t i = 0; i < v->nitems; i++)
            if (!literal_fits(type->of_type, &v->items[i]))
                return false;
        return true;
    case GQL_KIND_INPUT_OBJECT:
        if (v->kind != GQL_VALUE_OBJECT)
            return false;
        for (size_t i = 0; i < v->nfields; i++) {
            const struct gql_input_value *f = NULL;
            for (size_t j = 0; j < type->ninput_fields && f == NULL; j++)
                if (strcmp(type->input_fields[j].name, v->fields[i].name) == 0)
                    f = &type->input_fields[j];
            if (f == NULL || !literal_fits(f->type, &v->fields[i].value))
                return false;
        }
        for (size_t j = 0; j < type->ninput_fields; j++) {
            bool given = false;
            for (size_t i = 0; i < v->nfields && !given; i++)
                given = strcmp(type->input_fields[j].name, v->fields[i].name) == 0;
            if (!given && gql_input_value_required(&type->input_fields[j]))
                return false;
        }
        return true;
    case GQL_KIND_ENUM:
        if (v->kind != GQL_VALUE_ENUM)
            return false;
        for (size_t i = 0; i < type->nenum_values; i++)
            if (strcmp(type->enum_values[i].name, v->text) == 0)
                return true;
        return false;
    case GQL_KIND_SCALAR:
        if (strcmp(type->name, "Int") == 0)
            return v->kind == GQL_VALUE_INT && int_fits(v);
        if (strcmp(type->name, "Float") == 0)
            return v->kind == GQL_VALUE_INT || v->kind == GQL_VALUE_FLOAT;
        if (strcmp(type->name, "String") == 0)
            return v->kind == GQL_VALUE_STRING;
        if (strcmp(type->name, "Boolean") == 0)
            return v->kind == GQL_VALUE_BOOLEAN;
        if (strcmp(type->name, "ID") == 0)
            return v->kind == GQL_VALUE_STRING || v->kind == GQL_VALUE_INT;
        return true; /* a custom scalar takes any literal */
    default:
        return false;
    }
}

#define VALUE_TEXT 200

static void check_default(struct gql_schema_builder *b, const struct gql_input_value *v,
                          const char *what, const char *p1, const char *p2, const char *p3)
{
    char buf[VALUE_TEXT];
    if (v->default_value != NULL && !literal_fits(v->type, v->default_value))
        gql_schema_report(b, NULL, &v->default_value->loc, 1,
                          "%s \"%s%s%s\" has invalid default value: %s.", what, p1, p2, p3,
                          value_text(v->default_value, buf, sizeof buf));
}

static void check_defaults(struct gql_schema_builder *b)
{
    const struct gql_schema *schema = b->schema;
    char parent[TYPE_TEXT];
    for (size_t i = 0; i < schema->ndirectives; i++) {
        const struct gql_directive_def *d = &schema->directives[i];
        for (size_t j = 0; j < d->nargs; j++) {
            snprintf(parent, sizeof parent, "@%s(", d->name);
            check_default(b, &d->args[j], "Argument", parent, d->args[j].name, ":)");
        }
    }
    for (size_t i = 0; i < schema->ntypes; i++) {
        const struct gql_type *t = schema->types[i];
        if (gql_type_node_of(t)->builtin)
            continue;
        for (size_t j = 0; j < t->nfields; j++) {
            const struct gql_field *f = &t->fields[j];
            snprintf(parent, sizeof parent, "%s.%s(", t->name, f->name);
            for (size_t k = 0; k < f->nargs; k++)
                check_default(b, &f->args[k], "Argument", parent, f->args[k].name, ":)");
        }
        for (size_t j = 0; j < t->ninput_fields; j++) {
            snprintf(parent, sizeof parent, "%s.", t->name);
            check_default(b, &t->input_fields[j], "Input field", parent, t->input_fields[j].name,
                          "");
        }
    }
    /* directive arguments given in the SDL, in document order */
    struct gql_deferred_arg *rev = NULL;
    while (b->deferred != NULL) {
        struct gql_deferred_arg *next = b->deferred->next;
        b->deferred->next = rev;
        rev = b->deferred;
        b->deferred = next;
    }
    char buf[VALUE_TEXT];
    for (struct gql_deferred_arg *da = rev; da != NULL; da = da->next)
        if (!literal_fits(da->type, &da->arg->value))
            gql_schema_report(b, NULL, &da->arg->loc, 1,
                              "Argument \"@%s(%s:)\" has invalid value %s.", da->directive->name,
                              da->arg->name, value_text(&da->arg->value, buf, sizeof buf));
}

size_t gql_schema_validate(struct gql_schema_builder *b)
{
    size_t before = b->nerrors;
    check_roots(b);
    check_directives(b);
    for (size_t i = 0; i < b->schema->ntypes; i++) {
        const struct gql_type_node *n = gql_type_node_of(b->schema->types[i]);
        if (n->builtin)
            continue; /* the built-in SDL is valid and may use "__" names */
        switch (n->t.kind) {
        case GQL_KIND_OBJECT:
        case GQL_KIND_INTERFACE:
            check_fields(b, n);
            check_interfaces(b, n);
            break;
        case GQL_KIND_UNION:
            check_union(b, n);
            break;
        case GQL_KIND_ENUM:
            check_enum(b, n);
            break;
        case GQL_KIND_INPUT_OBJECT:
            check_input_object(b, n);
            break;
        default:
            break;
        }
    }
    check_input_cycles(b);
    check_defaults(b);
    return b->nerrors - before;
}
