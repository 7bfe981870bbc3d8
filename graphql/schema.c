/*
 * The schema builder: SDL in, struct gql_schema out. The user's SDL, the
 * built-in scalars and directives and the introspection types are parsed
 * into three documents the schema keeps (names, descriptions and default
 * values point into them), then built in passes that each need the one
 * before: (1) every named type gets a node (the user's definitions first,
 * in order, then the built-ins) and a slot in an open-addressing table by
 * name; (2) extensions are attached to the types they extend; (3)
 * directive definitions are built; (4) fields, arguments, interfaces,
 * members, enum values and input fields are filled in, type references
 * resolved and directives applied (@deprecated, @specifiedBy) and checked;
 * (5) the roots are chosen; (6) interfaces learn their implementations.
 * Errors of these passes (unknown types, duplicates) stop the build; then
 * schema_validate.c applies the spec's type-system rules.
 *
 * Everything lives in one arena owned by the schema. Each object and
 * interface type has its own small hash table of fields, so the lookups
 * the validator and executor make in hot loops are a hash and a compare.
 * Wrapper types ([T], T!) are made once per wrapped type and cached in the
 * wrapped type's node: a reader loads the cache with acquire semantics and
 * only the first maker of a wrapper takes the schema's mutex (the arena is
 * not thread-safe), so gql_schema_type_ref is safe from any number of
 * threads and pointer equality is type equality.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/schema_internal.h"

static const char *const builtin_scalars[] = {"Int", "Float", "String", "Boolean", "ID"};

static const char *location_name(uint32_t bit)
{
    for (size_t i = 0; i < GQL_NDIRECTIVE_LOCATIONS; i++)
        if (bit == (1u << i))
            return gql_directive_location_names[i];
    return "?";
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static uint32_t table_size(size_t n)
{
    uint32_t size = 8;
    while (size < 2 * n)
        size *= 2;
    return size;
}

void gql_schema_report(struct gql_schema_builder *b, const char *rule, const struct gql_loc *locs,
                       size_t nlocs, const char *fmt, ...)
{
    b->nerrors++;
    if (b->errs == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = len < 0 ? NULL : malloc((size_t)len + 1);
    if (msg == NULL) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)len + 1, fmt, ap);
    va_end(ap);
    if (gql_errors_add(b->errs, rule, locs, nlocs, "%s", msg) < 0)
        b->oom = true;
    free(msg);
}

/* ---- wrappers ---- */

const struct gql_type *gql_schema_wrap(struct gql_schema_internal *in, const struct gql_type *of,
                                       enum gql_type_kind kind)
{
    if (of == NULL || (kind == GQL_KIND_NON_NULL && of->kind == GQL_KIND_NON_NULL))
        return NULL;
    struct gql_type_node *n = gql_type_node_of(of);
    _Atomic(const struct gql_type *) *slot = kind == GQL_KIND_LIST ? &n->list : &n->non_null;
    const struct gql_type *w = atomic_load_explicit(slot, memory_order_acquire);
    if (w != NULL)
        return w;
    pthread_mutex_lock(&in->wrap_lock);
    w = atomic_load_explicit(slot, memory_order_relaxed);
    if (w == NULL) {
        struct gql_type_node *wn = gql_arena_alloc(in->arena, sizeof *wn);
        if (wn != NULL) {
            atomic_init(&wn->list, NULL);
            atomic_init(&wn->non_null, NULL);
            wn->t.kind = kind;
            wn->t.of_type = of;
            w = &wn->t;
            atomic_store_explicit(slot, w, memory_order_release);
        }
    }
    pthread_mutex_unlock(&in->wrap_lock);
    return w;
}

/* ---- lookups ---- */

static const struct gql_type *type_lookup(const struct gql_schema_internal *in, const char *name)
{
    for (uint32_t i = name_hash(name) & in->type_mask;; i = (i + 1) & in->type_mask) {
        const struct gql_type *t = in->type_table[i];
        if (t == NULL || strcmp(t->name, name) == 0)
            return t;
    }
}

const struct gql_type *gql_schema_type(const struct gql_schema *schema, const char *name)
{
    if (schema == NULL || name == NULL)
        return NULL;
    return type_lookup(schema->internal, name);
}

const struct gql_directive_def *gql_schema_directive(const struct gql_schema *schema,
                                                     const char *name)
{
    if (schema == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < schema->ndirectives; i++)
        if (strcmp(schema->directives[i].name, name) == 0)
            return &schema->directives[i];
    return NULL;
}

static struct gql_field *field_lookup(const struct gql_type *type, const char *name)
{
    const struct gql_type_node *n = gql_type_node_of(type);
    if (n->field_table == NULL)
        return NULL;
    for (uint32_t i = name_hash(name) & n->field_mask;; i = (i + 1) & n->field_mask) {
        uint32_t slot = n->field_table[i];
        if (slot == 0)
            return NULL;
        if (strcmp(type->fields[slot - 1].name, name) == 0)
            return &type->fields[slot - 1];
    }
}

const struct gql_field *gql_type_field(const struct gql_schema *schema, const struct gql_type *type,
                                       const char *name)
{
    if (schema == NULL || type == NULL || name == NULL)
        return NULL;
    if (name[0] == '_' && name[1] == '_') {
        const struct gql_schema_internal *in = schema->internal;
        if (strcmp(name, "__typename") == 0 &&
            (type->kind == GQL_KIND_OBJECT || type->kind == GQL_KIND_INTERFACE ||
             type->kind == GQL_KIND_UNION))
            return &in->typename_field;
        if (type == schema->query && strcmp(name, "__schema") == 0)
            return &in->schema_field;
        if (type == schema->query && strcmp(name, "__type") == 0)
            return &in->type_field;
    }
    if (type->kind != GQL_KIND_OBJECT && type->kind != GQL_KIND_INTERFACE)
        return NULL;
    return field_lookup(type, name);
}

const struct gql_type *gql_schema_type_ref(const struct gql_schema *schema,
                                           const struct gql_type_ref *ref)
{
    if (schema == NULL || ref == NULL)
        return NULL;
    switch (ref->kind) {
    case GQL_TYPE_NAMED:
        return ref->name == NULL ? NULL : type_lookup(schema->internal, ref->name);
    case GQL_TYPE_LIST:
        return gql_schema_wrap(schema->internal, gql_schema_type_ref(schema, ref->of),
                               GQL_KIND_LIST);
    case GQL_TYPE_NON_NULL:
        return gql_schema_wrap(schema->internal, gql_schema_type_ref(schema, ref->of),
                               GQL_KIND_NON_NULL);
    }
    return NULL;
}

/* ---- resolvers ---- */

int gql_schema_set_resolver(struct gql_schema *schema, const char *type, const char *field,
                            gql_resolve_fn fn, void *data)
{
    const struct gql_type *t = gql_schema_type(schema, type);
    if (t == NULL || field == NULL || (t->kind != GQL_KIND_OBJECT && t->kind != GQL_KIND_INTERFACE))
        return GQL_EARG;
    struct gql_field *f = field_lookup(t, field);
    if (f == NULL)
        return GQL_EARG;
    f->resolve = fn;
    f->resolve_data = data;
    return GQL_OK;
}

int gql_schema_set_type_resolver(struct gql_schema *schema, const char *type,
                                 gql_resolve_type_fn fn, void *data)
{
    const struct gql_type *t = gql_schema_type(schema, type);
    if (t == NULL || (t->kind != GQL_KIND_INTERFACE && t->kind != GQL_KIND_UNION))
        return GQL_EARG;
    struct gql_type *mt = &gql_type_node_of(t)->t;
    mt->resolve_type = fn;
    mt->resolve_type_data = data;
    return GQL_OK;
}

/* ---- the builder ---- */

static void *alloc(struct gql_schema_builder *b, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    if (size != 0 && n > SIZE_MAX / size) {
        b->oom = true;
        return NULL;
    }
    void *p = gql_arena_alloc(b->in->arena, n * size);
    if (p == NULL)
        b->oom = true;
    return p;
}

static bool is_builtin_scalar(const char *name)
{
    for (size_t i = 0; i < sizeof builtin_scalars / sizeof builtin_scalars[0]; i++)
        if (strcmp(builtin_scalars[i], name) == 0)
            return true;
    return false;
}

static bool reserved(const char *name)
{
    return name[0] == '_' && name[1] == '_';
}

static bool def_type_kind(enum gql_definition_kind dk, enum gql_type_kind *kind)
{
    switch (dk) {
    case GQL_DEF_SCALAR:
        *kind = GQL_KIND_SCALAR;
        return true;
    case GQL_DEF_OBJECT:
        *kind = GQL_KIND_OBJECT;
        return true;
    case GQL_DEF_INTERFACE:
        *kind = GQL_KIND_INTERFACE;
        return true;
    case GQL_DEF_UNION:
        *kind = GQL_KIND_UNION;
        return true;
    case GQL_DEF_ENUM:
        *kind = GQL_KIND_ENUM;
        return true;
    case GQL_DEF_INPUT_OBJECT:
        *kind = GQL_KIND_INPUT_OBJECT;
        return true;
    default:
        return false;
    }
}

static const char *kind_word(enum gql_type_kind kind)
{
    static const char *const words[] = {"scalar", "object",       "interface", "union",
                                        "enum",   "input object", "list",      "non-null"};
    return words[kind];
}

static uint32_t kind_location(enum gql_type_kind kind)
{
    switch (kind) {
    case GQL_KIND_SCALAR:
        return GQL_DL_SCALAR;
    case GQL_KIND_OBJECT:
        return GQL_DL_OBJECT;
    case GQL_KIND_INTERFACE:
        return GQL_DL_INTERFACE;
    case GQL_KIND_UNION:
        return GQL_DL_UNION;
    case GQL_KIND_ENUM:
        return GQL_DL_ENUM;
    default:
        return GQL_DL_INPUT_OBJECT;
    }
}

/* Pass 1: a node per type definition of doc, in order. */
static void add_types(struct gql_schema_builder *b, const struct gql_document *doc, bool builtin)
{
    struct gql_schema_internal *in = b->in;
    struct gql_schema *schema = b->schema;
    for (size_t i = 0; i < doc->n && !b->oom; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        enum gql_type_kind kind;
        if (d->extension || !def_type_kind(d->kind, &kind))
            continue;
        /* graphql-js: a user's "scalar String" stands for the standard one */
        if (!builtin && kind == GQL_KIND_SCALAR && is_builtin_scalar(d->name))
            continue;
        if (!builtin && reserved(d->name)) {
            gql_schema_report(b, NULL, &d->name_loc, 1,
                              "Name \"%s\" must not begin with \"__\", which is reserved by "
                              "GraphQL introspection.",
                              d->name);
            continue;
        }
        uint32_t slot = name_hash(d->name) & in->type_mask;
        while (in->type_table[slot] != NULL && strcmp(in->type_table[slot]->name, d->name) != 0)
            slot = (slot + 1) & in->type_mask;
        const struct gql_type *prev = in->type_table[slot];
        if (prev != NULL) {
            const struct gql_definition *pd = gql_type_node_of(prev)->def;
            if (builtin) /* the user's definition of a built-in name */
                gql_schema_report(b, "UniqueTypeNamesRule", &pd->name_loc, 1,
                                  "There can be only one type named \"%s\".", d->name);
            else
                gql_schema_report(b, "UniqueTypeNamesRule",
                                  (struct gql_loc[]){pd->name_loc, d->name_loc}, 2,
                                  "There can be only one type named \"%s\".", d->name);
            continue;
        }
        struct gql_type_node *n = alloc(b, 1, sizeof *n);
        if (n == NULL)
            return;
        atomic_init(&n->list, NULL);
        atomic_init(&n->non_null, NULL);
        n->t.kind = kind;
        n->t.name = d->name;
        n->t.description = d->description;
        n->def = d;
        n->builtin = builtin;
        n->index = schema->ntypes;
        schema->types[schema->ntypes++] = &n->t;
        in->type_table[slot] = &n->t;
    }
}

/* Pass 2: extensions join the type they extend. */
static void attach_extensions(struct gql_schema_builder *b, const struct gql_document *doc)
{
    for (int fill = 0; fill < 2 && !b->oom; fill++) {
        for (size_t i = 0; i < doc->n; i++) {
            const struct gql_definition *d = &doc->definitions[i];
            enum gql_type_kind kind;
            if (!d->extension || !def_type_kind(d->kind, &kind))
                continue;
            const struct gql_type *t = type_lookup(b->in, d->name);
            if (fill == 0 && reserved(d->name)) {
                gql_schema_report(b, NULL, &d->name_loc, 1,
                                  "Name \"%s\" must not begin with \"__\", which is reserved by "
                                  "GraphQL introspection.",
                                  d->name);
                continue;
            }
            if (fill == 0 && t == NULL) {
                gql_schema_report(b, "PossibleTypeExtensionsRule", &d->name_loc, 1,
                                  "Cannot extend type \"%s\" because it is not defined.", d->name);
                continue;
            }
            if (fill == 0 && t->kind != kind) {
                gql_schema_report(b, "PossibleTypeExtensionsRule", &d->name_loc, 1,
                                  "Cannot extend non-%s type \"%s\".", kind_word(kind), d->name);
                continue;
            }
            if (t == NULL || t->kind != kind || reserved(d->name))
                continue;
            struct gql_type_node *n = gql_type_node_of(t);
            if (fill == 0)
                n->nexts++;
            else
                n->exts[n->nexts++] = d;
        }
        if (fill == 0) {
            for (size_t i = 0; i < b->schema->ntypes; i++) {
                struct gql_type_node *n = gql_type_node_of(b->schema->types[i]);
                n->exts = alloc(b, n->nexts, sizeof *n->exts);
                n->nexts = 0;
            }
        }
    }
}

/* A type reference of the SDL, "Unknown type" when it names none. */
static const struct gql_type *build_ref(struct gql_schema_builder *b,
                                        const struct gql_type_ref *ref)
{
    const struct gql_type *t;
    switch (ref->kind) {
    case GQL_TYPE_NAMED:
        t = type_lookup(b->in, ref->name);
        if (t == NULL)
            gql_schema_report(b, "KnownTypeNamesRule", &ref->loc, 1, "Unknown type \"%s\".",
                              ref->name);
        return t;
    case GQL_TYPE_LIST:
    case GQL_TYPE_NON_NULL:
        t = build_ref(b, ref->of);
        if (t == NULL)
            return NULL;
        t = gql_schema_wrap(b->in, t,
                            ref->kind == GQL_TYPE_LIST ? GQL_KIND_LIST : GQL_KIND_NON_NULL);
        if (t == NULL)
            b->oom = true;
        return t;
    }
    return NULL;
}

struct applied {
    bool deprecated;
    const char *reason;
    const char *url;
};

static const struct gql_directive_def *directive_lookup(const struct gql_schema *schema,
                                                        const char *name)
{
    return gql_schema_directive(schema, name);
}

static const struct gql_value *directive_arg(const struct gql_directive *dir, const char *name)
{
    for (size_t i = 0; i < dir->nargs; i++)
        if (strcmp(dir->args[i].name, name) == 0)
            return &dir->args[i].value;
    return NULL;
}

/*
 * The directives used at one place of the SDL (a type with its extensions
 * is one place): known, allowed at the location, not repeated unless
 * repeatable, known and required arguments; @deprecated and @specifiedBy
 * are read into out.
 */
static void apply_directives(struct gql_schema_builder *b, const struct gql_directive *const *dirs,
                             size_t n, uint32_t location, struct applied *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct gql_directive *dir = dirs[i];
        const struct gql_directive_def *def = directive_lookup(b->schema, dir->name);
        if (def == NULL) {
            gql_schema_report(b, "KnownDirectivesRule", &dir->loc, 1, "Unknown directive \"@%s\".",
                              dir->name);
            continue;
        }
        if (!(def->locations & location))
            gql_schema_report(b, "KnownDirectivesRule", &dir->loc, 1,
                              "Directive \"@%s\" may not be used on %s.", dir->name,
                              location_name(location));
        if (!def->repeatable) {
            for (size_t j = 0; j < i; j++) {
                if (strcmp(dirs[j]->name, dir->name) == 0) {
                    gql_schema_report(b, "UniqueDirectivesPerLocationRule",
                                      (struct gql_loc[]){dirs[j]->loc, dir->loc}, 2,
                                      "The directive \"@%s\" can only be used once at this "
                                      "location.",
                                      dir->name);
                    break;
                }
            }
        }
        for (size_t a = 0; a < dir->nargs; a++) {
            const struct gql_argument *arg = &dir->args[a];
            const struct gql_input_value *known = NULL;
            for (size_t k = 0; k < def->nargs && known == NULL; k++)
                if (strcmp(def->args[k].name, arg->name) == 0)
                    known = &def->args[k];
            if (known != NULL && known->type != NULL) {
                struct gql_deferred_arg *da = alloc(b, 1, sizeof *da);
                if (da != NULL) {
                    *da = (struct gql_deferred_arg){dir, arg, known->type, b->deferred};
                    b->deferred = da;
                }
            }
            if (known == NULL)
                gql_schema_report(b, "KnownArgumentNamesOnDirectivesRule", &arg->loc, 1,
                                  "Unknown argument \"%s\" on directive \"@%s\".", arg->name,
                                  dir->name);
            for (size_t k = 0; k < a; k++) {
                if (strcmp(dir->args[k].name, arg->name) == 0) {
                    gql_schema_report(b, "UniqueArgumentNamesRule",
                                      (struct gql_loc[]){dir->args[k].loc, arg->loc}, 2,
                                      "There can be only one argument named \"%s\".", arg->name);
                    break;
                }
            }
        }
        for (size_t k = 0; k < def->nargs; k++) {
            if (gql_input_value_required(&def->args[k]) &&
                directive_arg(dir, def->args[k].name) == NULL) {
                char type[128];
                gql_schema_report(b, "ProvidedRequiredArgumentsOnDirectivesRule", &dir->loc, 1,
                                  "Directive \"@%s\" argument \"%s\" of type \"%s\" is required, "
                                  "but it was not provided.",
                                  dir->name, def->args[k].name,
                                  gql_type_print(def->args[k].type, type, sizeof type));
            }
        }
        if (out == NULL)
            continue;
        if (strcmp(dir->name, "deprecated") == 0 &&
            (location & (GQL_DL_FIELD_DEFINITION | GQL_DL_ARGUMENT_DEFINITION |
                         GQL_DL_INPUT_FIELD_DEFINITION | GQL_DL_ENUM_VALUE))) {
            const struct gql_value *v = directive_arg(dir, "reason");
            if (v == NULL) {
                for (size_t k = 0; k < def->nargs && v == NULL; k++)
                    if (strcmp(def->args[k].name, "reason") == 0)
                        v = def->args[k].default_value;
            }
            out->deprecated = true;
            out->reason = v != NULL && v->kind == GQL_VALUE_STRING ? v->text : NULL;
        } else if (strcmp(dir->name, "specifiedBy") == 0 && location == GQL_DL_SCALAR) {
            const struct gql_value *v = directive_arg(dir, "url");
            if (v != NULL && v->kind == GQL_VALUE_STRING)
                out->url = v->text;
        }
    }
}

/* apply_directives on one directive list. */
static void apply_list(struct gql_schema_builder *b, const struct gql_directive *dirs, size_t n,
                       uint32_t location, struct applied *out)
{
    if (n == 0)
        return;
    const struct gql_directive **ptrs = alloc(b, n, sizeof *ptrs);
    if (ptrs == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &dirs[i];
    apply_directives(b, ptrs, n, location, out);
}

/* Arguments or input fields; parent names them in messages ("T.f", "@d", "T"). */
static struct gql_input_value *build_input_values(struct gql_schema_builder *b,
                                                  const struct gql_input_value_def *defs, size_t n,
                                                  const char *parent, const char *parent2,
                                                  bool fields, size_t *count)
{
    *count = 0;
    struct gql_input_value *vals = alloc(b, n, sizeof *vals);
    if (vals == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct gql_input_value_def *d = &defs[i];
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            if (strcmp(defs[j].name, d->name) == 0) {
                dup = true;
                if (fields)
                    gql_schema_report(b, "UniqueInputFieldDefinitionNamesRule",
                                      (struct gql_loc[]){defs[j].loc, d->loc}, 2,
                                      "Field \"%s.%s\" can only be defined once.", parent, d->name);
                else
                    gql_schema_report(b, "UniqueArgumentDefinitionNamesRule",
                                      (struct gql_loc[]){defs[j].loc, d->loc}, 2,
                                      "Argument \"%s%s(%s:)\" can only be defined once.", parent,
                                      parent2, d->name);
            }
        }
        struct gql_input_value *v = &vals[i];
        v->name = d->name;
        v->description = d->description;
        v->type = build_ref(b, d->type);
        v->default_value = d->default_value;
        struct applied ap = {0};
        apply_list(b, d->directives, d->ndirectives,
                   fields ? GQL_DL_INPUT_FIELD_DEFINITION : GQL_DL_ARGUMENT_DEFINITION, &ap);
        v->deprecated = ap.deprecated;
        v->deprecation_reason = ap.reason;
    }
    *count = n;
    return vals;
}

/* Pass 3: the directive definitions, built-ins first; a user's definition
   of a built-in name takes its place (as graphql-js allows). */
static void build_directives(struct gql_schema_builder *b, const struct gql_document *user,
                             const struct gql_document *builtins)
{
    struct gql_schema *schema = b->schema;
    struct gql_schema_internal *in = b->in;
    size_t cap = 0;
    const struct gql_document *docs[2] = {builtins, user};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < docs[k]->n; i++)
            cap += docs[k]->definitions[i].kind == GQL_DEF_DIRECTIVE;
    schema->directives = alloc(b, cap, sizeof *schema->directives);
    in->directive_ast = alloc(b, cap, sizeof *in->directive_ast);
    if (b->oom)
        return;
    size_t nbuiltin = 0;
    bool replaced[8] = {false};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < docs[k]->n; i++) {
            const struct gql_definition *d = &docs[k]->definitions[i];
            if (d->kind != GQL_DEF_DIRECTIVE)
                continue;
            size_t at = schema->ndirectives;
            for (size_t j = 0; j < schema->ndirectives; j++) {
                if (strcmp(in->directive_ast[j]->name, d->name) != 0)
                    continue;
                if (j < nbuiltin && j < 8 && !replaced[j]) {
                    replaced[j] = true;
                    at = j;
                } else {
                    at = SIZE_MAX;
                    gql_schema_report(
                        b, "UniqueDirectiveNamesRule",
                        (struct gql_loc[]){in->directive_ast[j]->name_loc, d->name_loc}, 2,
                        "There can be only one directive named \"@%s\".", d->name);
                }
                break;
            }
            if (at == SIZE_MAX)
                continue;
            in->directive_ast[at] = d;
            if (at == schema->ndirectives)
                schema->ndirectives++;
            if (k == 0)
                nbuiltin = schema->ndirectives;
        }
    }
    for (size_t i = 0; i < schema->ndirectives && !b->oom; i++) {
        const struct gql_definition *d = in->directive_ast[i];
        struct gql_directive_def *dd = &schema->directives[i];
        dd->name = d->name;
        dd->description = d->description;
        dd->repeatable = d->repeatable;
        for (size_t j = 0; j < d->nnames; j++) {
            size_t l = 0;
            while (l < GQL_NDIRECTIVE_LOCATIONS &&
                   strcmp(gql_directive_location_names[l], d->names[j].name) != 0)
                l++;
            if (l == GQL_NDIRECTIVE_LOCATIONS)
                gql_schema_report(b, NULL, &d->names[j].loc, 1,
                                  "Unknown directive location \"%s\".", d->names[j].name);
            else if (!(dd->locations & (1u << l))) {
                dd->locations |= 1u << l;
                dd->written[dd->nwritten++] = (uint8_t)l;
            }
        }
    }
    /* arguments last, @deprecated's first: the others' may use it */
    for (int deprecated = 1; deprecated >= 0; deprecated--) {
        for (size_t i = 0; i < schema->ndirectives && !b->oom; i++) {
            const struct gql_definition *d = in->directive_ast[i];
            struct gql_directive_def *dd = &schema->directives[i];
            if ((strcmp(d->name, "deprecated") == 0) != deprecated)
                continue;
            dd->args = build_input_values(b, d->input_values, d->ninput_values, "@", d->name, false,
                                          &dd->nargs);
        }
    }
}

/* The definitions of a type: its definition, then its extensions. */
static size_t type_defs(const struct gql_type_node *n, const struct gql_definition **out,
                        size_t max)
{
    size_t k = 0;
    if (k < max)
        out[k++] = n->def;
    for (size_t i = 0; i < n->nexts && k < max; i++)
        out[k++] = n->exts[i];
    return k;
}

static void build_fields(struct gql_schema_builder *b, struct gql_type_node *n,
                         const struct gql_definition **defs, size_t ndefs)
{
    struct gql_type *t = &n->t;
    size_t total = 0;
    for (size_t k = 0; k < ndefs; k++)
        total += defs[k]->nfields;
    t->fields = alloc(b, total, sizeof *t->fields);
    n->item_ast = alloc(b, total, sizeof *n->item_ast);
    n->field_mask = table_size(total) - 1;
    n->field_table = alloc(b, (size_t)n->field_mask + 1, sizeof *n->field_table);
    if (b->oom)
        return;
    for (size_t k = 0; k < ndefs; k++) {
        for (size_t i = 0; i < defs[k]->nfields && !b->oom; i++) {
            const struct gql_field_def *fd = &defs[k]->fields[i];
            uint32_t slot = name_hash(fd->name) & n->field_mask;
            while (n->field_table[slot] != 0 &&
                   strcmp(t->fields[n->field_table[slot] - 1].name, fd->name) != 0)
                slot = (slot + 1) & n->field_mask;
            if (n->field_table[slot] != 0) {
                const struct gql_field_def *prev = n->item_ast[n->field_table[slot] - 1];
                gql_schema_report(b, "UniqueFieldDefinitionNamesRule",
                                  (struct gql_loc[]){prev->loc, fd->loc}, 2,
                                  "Field \"%s.%s\" can only be defined once.", t->name, fd->name);
                continue;
            }
            struct gql_field *f = &t->fields[t->nfields];
            n->item_ast[t->nfields] = fd;
            n->field_table[slot] = (uint32_t)++t->nfields;
            f->name = fd->name;
            f->description = fd->description;
            f->type = build_ref(b, fd->type);
            char parent[256];
            snprintf(parent, sizeof parent, "%s.%s", t->name, fd->name);
            f->args = build_input_values(b, fd->args, fd->nargs, parent, "", false, &f->nargs);
            struct applied ap = {0};
            apply_list(b, fd->directives, fd->ndirectives, GQL_DL_FIELD_DEFINITION, &ap);
            f->deprecated = ap.deprecated;
            f->deprecation_reason = ap.reason;
        }
    }
}

/* Interfaces (OBJECT, INTERFACE) or members (UNION), unknown names reported. */
static void build_members(struct gql_schema_builder *b, struct gql_type_node *n,
                          const struct gql_definition **defs, size_t ndefs,
                          const struct gql_type ***out, size_t *count)
{
    size_t total = 0;
    for (size_t k = 0; k < ndefs; k++)
        total += defs[k]->nnames;
    *out = alloc(b, total, sizeof **out);
    n->member_ast = alloc(b, total, sizeof *n->member_ast);
    *count = 0;
    if (b->oom)
        return;
    for (size_t k = 0; k < ndefs; k++) {
        for (size_t i = 0; i < defs[k]->nnames; i++) {
            const struct gql_name *nm = &defs[k]->names[i];
            const struct gql_type *m = type_lookup(b->in, nm->name);
            if (m == NULL) {
                gql_schema_report(b, "KnownTypeNamesRule", &nm->loc, 1, "Unknown type \"%s\".",
                                  nm->name);
                continue;
            }
            n->member_ast[*count] = nm;
            (*out)[(*count)++] = m;
        }
    }
}

static void build_enum_values(struct gql_schema_builder *b, struct gql_type_node *n,
                              const struct gql_definition **defs, size_t ndefs)
{
    struct gql_type *t = &n->t;
    size_t total = 0;
    for (size_t k = 0; k < ndefs; k++)
        total += defs[k]->nenum_values;
    t->enum_values = alloc(b, total, sizeof *t->enum_values);
    n->item_ast = alloc(b, total, sizeof *n->item_ast);
    if (b->oom)
        return;
    for (size_t k = 0; k < ndefs; k++) {
        for (size_t i = 0; i < defs[k]->nenum_values; i++) {
            const struct gql_enum_value_def *vd = &defs[k]->enum_values[i];
            bool dup = false;
            for (size_t j = 0; j < t->nenum_values && !dup; j++) {
                if (strcmp(t->enum_values[j].name, vd->name) == 0) {
                    const struct gql_enum_value_def *prev = n->item_ast[j];
                    gql_schema_report(
                        b, "UniqueEnumValueNamesRule", (struct gql_loc[]){prev->loc, vd->loc}, 2,
                        "Enum value \"%s.%s\" can only be defined once.", t->name, vd->name);
                    dup = true;
                }
            }
            if (dup)
                continue;
            struct gql_enum_value *v = &t->enum_values[t->nenum_values];
            n->item_ast[t->nenum_values++] = vd;
            v->name = vd->name;
            v->description = vd->description;
            struct applied ap = {0};
            apply_list(b, vd->directives, vd->ndirectives, GQL_DL_ENUM_VALUE, &ap);
            v->deprecated = ap.deprecated;
            v->deprecation_reason = ap.reason;
        }
    }
}

static void build_input_fields(struct gql_schema_builder *b, struct gql_type_node *n,
                               const struct gql_definition **defs, size_t ndefs)
{
    struct gql_type *t = &n->t;
    size_t total = 0;
    for (size_t k = 0; k < ndefs; k++)
        total += defs[k]->ninput_values;
    /* one array for the definition and its extensions, so duplicates across
       them are found like duplicates within one */
    struct gql_input_value_def *all = alloc(b, total, sizeof *all);
    n->item_ast = alloc(b, total, sizeof *n->item_ast);
    if (b->oom || total == 0)
        return;
    size_t at = 0;
    for (size_t k = 0; k < ndefs; k++)
        for (size_t i = 0; i < defs[k]->ninput_values; i++)
            all[at++] = defs[k]->input_values[i];
    t->input_fields = build_input_values(b, all, total, t->name, "", true, &t->ninput_fields);
    for (size_t k = 0, i = 0; k < ndefs; k++)
        for (size_t j = 0; j < defs[k]->ninput_values; j++)
            n->item_ast[i++] = &defs[k]->input_values[j];
}

/* Pass 4: one type's contents. */
static void build_type(struct gql_schema_builder *b, struct gql_type_node *n)
{
    size_t ndefs = 1 + n->nexts;
    const struct gql_definition **defs = alloc(b, ndefs, sizeof *defs);
    if (defs == NULL)
        return;
    ndefs = type_defs(n, defs, ndefs);
    struct gql_type *t = &n->t;

    /* directives of the type: the definition and its extensions are one place */
    size_t ndirs = 0;
    for (size_t k = 0; k < ndefs; k++)
        ndirs += defs[k]->ndirectives;
    struct applied ap = {0};
    if (ndirs > 0) {
        const struct gql_directive **dirs = alloc(b, ndirs, sizeof *dirs);
        if (dirs == NULL)
            return;
        ndirs = 0;
        for (size_t k = 0; k < ndefs; k++)
            for (size_t i = 0; i < defs[k]->ndirectives; i++)
                dirs[ndirs++] = &defs[k]->directives[i];
        apply_directives(b, dirs, ndirs, kind_location(t->kind), &ap);
    }

    switch (t->kind) {
    case GQL_KIND_SCALAR:
        t->specified_by_url = ap.url;
        break;
    case GQL_KIND_OBJECT:
    case GQL_KIND_INTERFACE:
        build_fields(b, n, defs, ndefs);
        build_members(b, n, defs, ndefs, &t->interfaces, &t->ninterfaces);
        break;
    case GQL_KIND_UNION:
        build_members(b, n, defs, ndefs, &t->possible_types, &t->npossible_types);
        break;
    case GQL_KIND_ENUM:
        build_enum_values(b, n, defs, ndefs);
        break;
    case GQL_KIND_INPUT_OBJECT:
        build_input_fields(b, n, defs, ndefs);
        break;
    default:
        break;
    }
}

/* Pass 5: schema { } and its extensions, or the default root names. */
static void build_roots(struct gql_schema_builder *b, const struct gql_document *doc)
{
    struct gql_schema *schema = b->schema;
    const struct gql_type **roots[3] = {&schema->query, &schema->mutation, &schema->subscription};
    const struct gql_root_operation *seen[3] = {NULL, NULL, NULL};
    static const char *const op_names[3] = {"query", "mutation", "subscription"};
    const struct gql_definition *schema_def = NULL;
    size_t ndirs = 0;
    for (size_t i = 0; i < doc->n; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        if (d->kind != GQL_DEF_SCHEMA)
            continue;
        ndirs += d->ndirectives;
        if (!d->extension) {
            if (schema_def != NULL) {
                gql_schema_report(b, "LoneSchemaDefinitionRule", &d->loc, 1,
                                  "Must provide only one schema definition.");
                continue;
            }
            schema_def = d;
            schema->description = d->description;
        }
        for (size_t r = 0; r < d->nroots; r++) {
            const struct gql_root_operation *ro = &d->roots[r];
            unsigned op = (unsigned)ro->operation;
            if (op > 2)
                continue;
            if (seen[op] != NULL) {
                gql_schema_report(b, "UniqueOperationTypesRule",
                                  (struct gql_loc[]){seen[op]->loc, ro->loc}, 2,
                                  "There can be only one %s type in schema.", op_names[op]);
                continue;
            }
            seen[op] = ro;
            const struct gql_type *t = type_lookup(b->in, ro->type_name);
            if (t == NULL)
                gql_schema_report(b, "KnownTypeNamesRule", &ro->loc, 1, "Unknown type \"%s\".",
                                  ro->type_name);
            *roots[op] = t;
        }
    }
    b->in->schema_def = schema_def;
    if (ndirs > 0) {
        const struct gql_directive **dirs = alloc(b, ndirs, sizeof *dirs);
        if (dirs == NULL)
            return;
        ndirs = 0;
        for (size_t i = 0; i < doc->n; i++) {
            const struct gql_definition *d = &doc->definitions[i];
            for (size_t k = 0; d->kind == GQL_DEF_SCHEMA && k < d->ndirectives; k++)
                dirs[ndirs++] = &d->directives[k];
        }
        apply_directives(b, dirs, ndirs, GQL_DL_SCHEMA, NULL);
    }
    /* graphql-js buildASTSchema: without a schema definition the types
       named Query, Mutation, Subscription are the roots, even when an
       "extend schema" named others */
    if (schema_def == NULL) {
        static const char *const defaults[3] = {"Query", "Mutation", "Subscription"};
        for (int op = 0; op < 3; op++) {
            const struct gql_type *t = type_lookup(b->in, defaults[op]);
            if (t != NULL && !gql_type_node_of(t)->builtin)
                *roots[op] = t;
        }
    }
}

/* Pass 6: an interface's possible types are the object types implementing it. */
static void build_implementations(struct gql_schema_builder *b)
{
    struct gql_schema *schema = b->schema;
    for (int fill = 0; fill < 2 && !b->oom; fill++) {
        for (size_t i = 0; i < schema->ntypes; i++) {
            const struct gql_type *t = schema->types[i];
            if (t->kind != GQL_KIND_OBJECT)
                continue;
            for (size_t j = 0; j < t->ninterfaces; j++) {
                const struct gql_type *iface = t->interfaces[j];
                if (iface->kind != GQL_KIND_INTERFACE)
                    continue;
                struct gql_type *it = &gql_type_node_of(iface)->t;
                bool dup = false; /* "implements A & A" is reported by validation */
                for (size_t k = 0; k < j && !dup; k++)
                    dup = t->interfaces[k] == iface;
                if (dup)
                    continue;
                if (fill == 0)
                    it->npossible_types++;
                else
                    it->possible_types[it->npossible_types++] = t;
            }
        }
        if (fill == 0) {
            for (size_t i = 0; i < schema->ntypes; i++) {
                struct gql_type *it = &gql_type_node_of(schema->types[i])->t;
                if (it->kind != GQL_KIND_INTERFACE)
                    continue;
                it->possible_types = alloc(b, it->npossible_types, sizeof *it->possible_types);
                it->npossible_types = 0;
            }
        }
    }
}

static int synthetic_fields(struct gql_schema_builder *b)
{
    struct gql_schema_internal *in = b->in;
    const struct gql_type *string = type_lookup(in, "String");
    const struct gql_type *schema_t = type_lookup(in, "__Schema");
    const struct gql_type *type_t = type_lookup(in, "__Type");
    if (string == NULL || schema_t == NULL || type_t == NULL)
        return GQL_EINVALID;
    const struct gql_type *string_nn = gql_schema_wrap(in, string, GQL_KIND_NON_NULL);
    const struct gql_type *schema_nn = gql_schema_wrap(in, schema_t, GQL_KIND_NON_NULL);
    if (string_nn == NULL || schema_nn == NULL)
        return GQL_ENOMEM;
    in->typename_field.name = "__typename";
    in->typename_field.description = "The name of the current Object type at runtime.";
    in->typename_field.type = string_nn;
    in->schema_field.name = "__schema";
    in->schema_field.description = "Access the current type schema of this server.";
    in->schema_field.type = schema_nn;
    in->type_field.name = "__type";
    in->type_field.description = "Request the type information of a single type.";
    in->type_field.type = type_t;
    in->type_field.args = &in->type_field_name_arg;
    in->type_field.nargs = 1;
    in->type_field_name_arg.name = "name";
    in->type_field_name_arg.type = string_nn;
    return GQL_OK;
}

void gql_schema_free(struct gql_schema *schema)
{
    if (schema == NULL)
        return;
    struct gql_schema_internal *in = schema->internal;
    for (int i = 0; i < 3; i++)
        gql_document_free(in->docs[i]);
    pthread_mutex_destroy(&in->wrap_lock);
    gql_arena_free(in->arena); /* schema and in live in it */
}

int gql_schema_new(const char *sdl, size_t len, struct gql_schema **out, struct gql_errors *errs)
{
    int rc = GQL_ENOMEM;
    struct gql_schema *schema = NULL;
    struct gql_schema_builder b = {.errs = errs};
    if (out == NULL || (sdl == NULL && len > 0))
        return GQL_EARG;
    *out = NULL;
    struct gql_arena *arena = gql_arena_new();
    if (arena == NULL)
        return GQL_ENOMEM;
    schema = gql_arena_alloc(arena, sizeof *schema);
    struct gql_schema_internal *in = gql_arena_alloc(arena, sizeof *in);
    if (schema == NULL || in == NULL) {
        gql_arena_free(arena);
        return GQL_ENOMEM;
    }
    in->arena = arena;
    schema->internal = in;
    if (pthread_mutex_init(&in->wrap_lock, NULL) != 0) {
        gql_arena_free(arena);
        return GQL_ENOMEM;
    }

    rc = gql_parse(sdl == NULL ? "" : sdl, len, NULL, &in->docs[0], errs);
    if (rc < 0)
        goto out;
    /* The built-in SDL never fails to parse; its errors would go to the caller too. */
    rc = gql_parse(gql_builtin_sdl, strlen(gql_builtin_sdl), NULL, &in->docs[1], errs);
    if (rc < 0)
        goto out;
    rc = gql_parse(gql_introspection_sdl, strlen(gql_introspection_sdl), NULL, &in->docs[2], errs);
    if (rc < 0)
        goto out;

    b.schema = schema;
    b.in = in;
    const struct gql_document *user = in->docs[0];
    for (size_t i = 0; i < user->n; i++) {
        const struct gql_definition *d = &user->definitions[i];
        if (d->kind == GQL_DEF_OPERATION || d->kind == GQL_DEF_FRAGMENT)
            gql_schema_report(&b, NULL, &d->loc, 1,
                              "A schema holds type system definitions only, not %s.",
                              d->kind == GQL_DEF_OPERATION ? "operations" : "fragments");
    }

    size_t ndefs = 0;
    for (int k = 0; k < 3; k++)
        ndefs += in->docs[k]->n;
    in->type_mask = table_size(ndefs) - 1;
    in->type_table = alloc(&b, (size_t)in->type_mask + 1, sizeof *in->type_table);
    schema->types = alloc(&b, ndefs, sizeof *schema->types);
    if (b.oom)
        goto built;

    add_types(&b, user, false);
    add_types(&b, in->docs[1], true);
    add_types(&b, in->docs[2], true);
    attach_extensions(&b, user);
    if (b.oom)
        goto built;
    build_directives(&b, user, in->docs[1]);
    for (size_t i = 0; i < schema->ntypes && !b.oom; i++)
        build_type(&b, gql_type_node_of(schema->types[i]));
    build_roots(&b, user);
    build_implementations(&b);
    if (!b.oom && b.nerrors == 0) {
        rc = synthetic_fields(&b);
        if (rc == GQL_EINVALID)
            gql_schema_report(&b, NULL, NULL, 0, "The introspection types are missing.");
        else if (rc == GQL_ENOMEM)
            b.oom = true;
    }
    if (!b.oom && b.nerrors == 0)
        gql_schema_validate(&b);
built:
    if (b.oom)
        rc = GQL_ENOMEM;
    else if (b.nerrors > 0)
        rc = GQL_EINVALID;
    else
        rc = GQL_OK;
out:
    if (rc < 0) {
        gql_schema_free(schema);
        return rc;
    }
    *out = schema;
    return GQL_OK;
}
