/*
 * The validator's walk: every definition of the document once, in order,
 * carrying what graphql-js's TypeInfo would know at each node (the parent
 * type of a selection set, a field's definition, the directive and argument
 * a value sits in). The per-node rules run as the walk meets their nodes:
 * KnownTypeNames, FragmentsOnCompositeTypes, VariablesAreInputTypes,
 * ScalarLeafs, FieldsOnCorrectType, KnownFragmentNames,
 * PossibleFragmentSpreads, KnownDirectives, UniqueDirectivesPerLocation,
 * KnownArgumentNames, UniqueArgumentNames, ProvidedRequiredArguments, the
 * optional NoDeprecated/NoSchemaIntrospection rules; literals go to
 * validate_values.c and every selection set to validate_overlap.c.
 *
 * The walk records, for each operation and fragment, the variables it
 * uses (with the type expected there) and its fragment spreads; the
 * per-operation rules in validate.c combine those without walking a
 * fragment again. Fragment spreads are never followed here, so the walk's
 * depth is the document's nesting, capped at GQL_V_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_internal.h"

static const struct {
    uint32_t bit;
    const char *name;
} locations[] = {
    {GQL_DL_QUERY, "QUERY"},
    {GQL_DL_MUTATION, "MUTATION"},
    {GQL_DL_SUBSCRIPTION, "SUBSCRIPTION"},
    {GQL_DL_FIELD, "FIELD"},
    {GQL_DL_FRAGMENT_DEFINITION, "FRAGMENT_DEFINITION"},
    {GQL_DL_FRAGMENT_SPREAD, "FRAGMENT_SPREAD"},
    {GQL_DL_INLINE_FRAGMENT, "INLINE_FRAGMENT"},
    {GQL_DL_VARIABLE_DEFINITION, "VARIABLE_DEFINITION"},
    {GQL_DL_SCHEMA, "SCHEMA"},
    {GQL_DL_SCALAR, "SCALAR"},
    {GQL_DL_OBJECT, "OBJECT"},
    {GQL_DL_FIELD_DEFINITION, "FIELD_DEFINITION"},
    {GQL_DL_ARGUMENT_DEFINITION, "ARGUMENT_DEFINITION"},
    {GQL_DL_INTERFACE, "INTERFACE"},
    {GQL_DL_UNION, "UNION"},
    {GQL_DL_ENUM, "ENUM"},
    {GQL_DL_ENUM_VALUE, "ENUM_VALUE"},
    {GQL_DL_INPUT_OBJECT, "INPUT_OBJECT"},
    {GQL_DL_INPUT_FIELD_DEFINITION, "INPUT_FIELD_DEFINITION"},
};

static const char *location_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof locations / sizeof locations[0]; i++)
        if (locations[i].bit == bit)
            return locations[i].name;
    return "";
}

static bool is_introspection_type(const struct gql_type *t)
{
    static const char *const names[] = {"__Schema",    "__Directive", "__DirectiveLocation",
                                        "__Type",      "__Field",     "__InputValue",
                                        "__EnumValue", "__TypeKind"};
    if (t == NULL || t->name == NULL || t->name[0] != '_')
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(t->name, names[i]) == 0)
            return true;
    return false;
}

/* A directive defined in the document's own SDL (graphql-js counts those as known). */
static bool document_directive(struct gql_vctx *c, const char *name, uint32_t *bits)
{
    for (size_t i = 0; i < c->doc->n; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind != GQL_DEF_DIRECTIVE || strcmp(d->name, name) != 0)
            continue;
        *bits = 0;
        for (size_t j = 0; j < d->nnames; j++)
            for (size_t k = 0; k < sizeof locations / sizeof locations[0]; k++)
                if (strcmp(d->names[j].name, locations[k].name) == 0)
                    *bits |= locations[k].bit;
        return true;
    }
    return false;
}

/* UniqueArgumentNames: one error per repeated name, at every occurrence. */
static void unique_arguments(struct gql_vctx *c, const struct gql_argument *args, size_t n)
{
    if (n < 2)
        return;
    const char **names = gql_v_alloc(c, n * sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        names[i] = args[i].name;
    uint32_t *first = gql_v_first_of(c, names, n);
    if (first == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        if (first[i] != i)
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++)
            count += first[j] == i;
        if (count < 2)
            continue;
        struct gql_loc *locs = gql_v_alloc(c, count * sizeof *locs);
        if (locs == NULL)
            return;
        count = 0;
        for (size_t j = i; j < n; j++)
            if (first[j] == i)
                locs[count++] = args[j].loc;
        gql_v_error(c, "UniqueArgumentNamesRule", locs, count,
                    "There can be only one argument named \"%s\".", names[i]);
    }
}

static const char *const *arg_names(struct gql_vctx *c, const struct gql_input_value *args,
                                    size_t n)
{
    const char **names = gql_v_alloc(c, (n + 1) * sizeof *names);
    if (names != NULL)
        for (size_t i = 0; i < n; i++)
            names[i] = args[i].name;
    return names;
}

static bool provided(const struct gql_argument *args, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(args[i].name, name) == 0)
            return true;
    return false;
}

static bool is_required(const struct gql_input_value *arg)
{
    return arg->type != NULL && arg->type->kind == GQL_KIND_NON_NULL && arg->default_value == NULL;
}

/*
 * The directives of one node at one location. parent and field are what
 * graphql-js's TypeInfo holds there (the selection set's type and the
 * field being visited or enclosing, else NULL): for a directive the schema
 * does not know, TypeInfo takes the arguments' definitions from that field,
 * and so do the rules.
 */
static void walk_directives(struct gql_vwalk *w, const struct gql_directive *dirs, size_t n,
                            uint32_t location, const struct gql_type *parent,
                            const struct gql_field *field)
{
    struct gql_vctx *c = w->c;
    if (n == 0 || c->aborted)
        return;
    const struct gql_directive_def **defs = gql_v_alloc(c, n * sizeof *defs);
    const char **names = gql_v_alloc(c, n * sizeof *names);
    if (defs == NULL || names == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        defs[i] = gql_schema_directive(c->schema, dirs[i].name);
        names[i] = dirs[i].name;
    }
    if (n > 1) {
        uint32_t *first = gql_v_first_of(c, names, n);
        if (first == NULL)
            return;
        for (size_t i = 0; i < n; i++)
            if (first[i] != i && defs[i] != NULL && !defs[i]->repeatable) {
                struct gql_loc locs[2] = {dirs[first[i]].loc, dirs[i].loc};
                gql_v_error(c, "UniqueDirectivesPerLocationRule", locs, 2,
                            "The directive \"@%s\" can only be used once at this location.",
                            names[i]);
            }
    }
    for (size_t i = 0; i < n && !c->aborted; i++) {
        const struct gql_directive *d = &dirs[i];
        const struct gql_directive_def *def = defs[i];
        uint32_t bits = 0;
        if (def != NULL)
            bits = def->locations;
        else if (!document_directive(c, d->name, &bits)) {
            gql_v_error(c, "KnownDirectivesRule", &d->loc, 1, "Unknown directive \"@%s\".",
                        d->name);
            bits = ~0u;
        }
        if (!(bits & location))
            gql_v_error(c, "KnownDirectivesRule", &d->loc, 1,
                        "Directive \"@%s\" may not be used on %s.", d->name,
                        location_name(location));
        unique_arguments(c, d->args, d->nargs);
        for (size_t j = 0; j < d->nargs && !c->aborted; j++) {
            const struct gql_argument *a = &d->args[j];
            const struct gql_input_value *adef =
                def != NULL     ? gql_v_find_arg(def->args, def->nargs, a->name)
                : field != NULL ? gql_v_find_arg(field->args, field->nargs, a->name)
                                : NULL;
            if (def != NULL && adef == NULL) {
                const char **sugg;
                size_t ns = gql_v_suggest(c, a->name, arg_names(c, def->args, def->nargs),
                                          def->nargs, &sugg);
                gql_v_error(c, "KnownArgumentNamesRule", &a->loc, 1,
                            "Unknown argument \"%s\" on directive \"@%s\".%s", a->name, d->name,
                            gql_v_did_you_mean(c, NULL, sugg, ns));
            }
            const char *reason =
                adef ? gql_v_deprecation(adef->deprecated, adef->deprecation_reason) : NULL;
            if (reason != NULL && (c->options & GQL_VALIDATE_NO_DEPRECATED)) {
                if (def != NULL)
                    gql_v_error(c, "NoDeprecatedCustomRule", &a->loc, 1,
                                "Directive \"@%s\" argument \"%s\" is deprecated. %s", d->name,
                                adef->name, reason);
                else
                    gql_v_error(c, "NoDeprecatedCustomRule", &a->loc, 1,
                                "Field \"%s.%s\" argument \"%s\" is deprecated. %s",
                                parent ? parent->name : "", field->name, adef->name, reason);
            }
            gql_v_value(w, &a->value, adef && gql_v_is_input(adef->type) ? adef->type : NULL,
                        adef ? adef->default_value : NULL, true, 0);
        }
        for (size_t j = 0; def != NULL && j < def->nargs; j++)
            if (is_required(&def->args[j]) && !provided(d->args, d->nargs, def->args[j].name))
                gql_v_error(c, "ProvidedRequiredArgumentsRule", &d->loc, 1,
                            "Directive \"@%s\" argument \"%s\" of type \"%s\" is required, but it "
                            "was not provided.",
                            d->name, def->args[j].name, gql_v_type_str(c, def->args[j].type));
    }
}

/*
 * KnownTypeNames at one named type: unknown when neither the schema nor the
 * document defines it. In type-system definitions (sdl) the standard scalars
 * and introspection types count as known, as in graphql-js.
 */
static void known_type(struct gql_vctx *c, const char *name, struct gql_loc loc, bool sdl)
{
    uint32_t v;
    if (name == NULL || gql_schema_type(c->schema, name) != NULL ||
        gql_vmap_get(&c->defined_types, name, &v))
        return;
    static const char *const standard[] = {"String",
                                           "Int",
                                           "Float",
                                           "Boolean",
                                           "ID",
                                           "__Schema",
                                           "__Type",
                                           "__Field",
                                           "__InputValue",
                                           "__EnumValue",
                                           "__Directive",
                                           "__TypeKind",
                                           "__DirectiveLocation"};
    size_t nstandard = sizeof standard / sizeof standard[0];
    if (sdl)
        for (size_t i = 0; i < nstandard; i++)
            if (strcmp(name, standard[i]) == 0)
                return;
    size_t cap = c->schema->ntypes + c->defined_types.n + nstandard + 1, n = 0;
    const char **names = gql_v_alloc(c, cap * sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; sdl && i < nstandard; i++)
        names[n++] = standard[i];
    for (size_t i = 0; i < c->schema->ntypes; i++)
        names[n++] = c->schema->types[i]->name;
    for (size_t i = 0; i < c->defined_types.cap; i++)
        if (c->defined_types.slots[i].key != NULL)
            names[n++] = c->defined_types.slots[i].key;
    const char **sugg;
    size_t ns = gql_v_suggest(c, name, names, n, &sugg);
    gql_v_error(c, "KnownTypeNamesRule", &loc, 1, "Unknown type \"%s\".%s", name,
                gql_v_did_you_mean(c, NULL, sugg, ns));
}

static void unknown_type(struct gql_vctx *c, const char *name, struct gql_loc loc)
{
    known_type(c, name, loc, false);
}

static void known_ref(struct gql_vctx *c, const struct gql_type_ref *ref)
{
    const struct gql_type_ref *named = gql_v_ref_named(ref);
    if (named != NULL)
        known_type(c, named->name, named->loc, true);
}

/* graphql-js FieldsOnCorrectType's getSuggestedTypeNames. */
struct suggested_type {
    const struct gql_type *type;
    size_t usage;
};

static int suggested_cmp(const void *pa, const void *pb)
{
    const struct suggested_type *a = pa, *b = pb;
    if (a->usage != b->usage)
        return a->usage > b->usage ? -1 : 1;
    if (a->type->kind == GQL_KIND_INTERFACE && gql_v_is_possible(a->type, b->type))
        return -1;
    if (b->type->kind == GQL_KIND_INTERFACE && gql_v_is_possible(b->type, a->type))
        return 1;
    return gql_v_natural_compare(a->type->name, b->type->name);
}

/*
 * graphql-js sorts the suggested types with a comparator that is not a
 * total order (usage count, then "an interface before its implementations",
 * then the name), so the result depends on the sort algorithm: this is
 * V8's Array.prototype.sort for short arrays (TimSort's first run, then
 * binary insertion), which gives graphql-js's order on node.
 */
static void v8_sort(struct suggested_type *a, size_t n)
{
    if (n < 2)
        return;
    /* the initial run: ascending, or strictly descending and then reversed */
    size_t run = 2;
    bool descending = suggested_cmp(&a[1], &a[0]) < 0;
    for (size_t i = 2; i < n; i++) {
        int order = suggested_cmp(&a[i], &a[i - 1]);
        if (descending ? order >= 0 : order < 0)
            break;
        run++;
    }
    if (descending)
        for (size_t i = 0, j = run - 1; i < j; i++, j--) {
            struct suggested_type t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    for (size_t start = run; start < n; start++) {
        struct suggested_type pivot = a[start];
        size_t left = 0, right = start;
        while (left < right) {
            size_t mid = left + ((right - left) >> 1);
            if (suggested_cmp(&pivot, &a[mid]) < 0)
                right = mid;
            else
                left = mid + 1;
        }
        for (size_t p = start; p > left; p--)
            a[p] = a[p - 1];
        a[left] = pivot;
    }
}

static bool has_own_field(const struct gql_type *t, const char *name)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return true;
    return false;
}

static void unknown_field(struct gql_vctx *c, const struct gql_type *parent,
                          const struct gql_selection *sel)
{
    const char *hint = "";
    if (parent->kind == GQL_KIND_UNION || parent->kind == GQL_KIND_INTERFACE) {
        size_t cap = 0, n = 0;
        struct suggested_type *st = NULL;
        for (size_t i = 0; i < parent->npossible_types; i++) {
            const struct gql_type *p = parent->possible_types[i];
            if (!has_own_field(p, sel->name))
                continue;
            const struct gql_type *add[1 + 64];
            size_t nadd = 0;
            add[nadd++] = p;
            for (size_t k = 0; k < p->ninterfaces && nadd < 65; k++)
                if (has_own_field(p->interfaces[k], sel->name))
                    add[nadd++] = p->interfaces[k];
            for (size_t k = 0; k < nadd; k++) {
                size_t j = 0;
                while (j < n && st[j].type != add[k])
                    j++;
                if (j == n) {
                    if (!gql_v_grow(c, (void **)&st, n, &cap, sizeof *st))
                        return;
                    st[n].type = add[k];
                    st[n].usage = 0;
                    n++;
                }
                /* graphql-js sets an object's count to 1 and adds 1 per implementer for an
                   interface */
                st[j].usage = k == 0 ? 1 : st[j].usage + 1;
            }
        }
        if (n > 0) {
            v8_sort(st, n);
            const char **names = gql_v_alloc(c, n * sizeof *names);
            if (names == NULL)
                return;
            for (size_t i = 0; i < n; i++)
                names[i] = st[i].type->name;
            hint = gql_v_did_you_mean(c, "to use an inline fragment on", names, n);
        }
    }
    if (hint[0] == '\0' &&
        (parent->kind == GQL_KIND_OBJECT || parent->kind == GQL_KIND_INTERFACE)) {
        const char **names = gql_v_alloc(c, (parent->nfields + 1) * sizeof *names);
        if (names == NULL)
            return;
        for (size_t i = 0; i < parent->nfields; i++)
            names[i] = parent->fields[i].name;
        const char **sugg;
        size_t ns = gql_v_suggest(c, sel->name, names, parent->nfields, &sugg);
        hint = gql_v_did_you_mean(c, NULL, sugg, ns);
    }
    gql_v_error(c, "FieldsOnCorrectTypeRule", &sel->loc, 1,
                "Cannot query field \"%s\" on type \"%s\".%s", sel->name, parent->name, hint);
}

static void walk_set(struct gql_vwalk *w, const struct gql_type *parent,
                     const struct gql_field *enclosing, const struct gql_selection_set *set,
                     unsigned depth, bool inline_fragment);

static void walk_field(struct gql_vwalk *w, const struct gql_type *parent,
                       const struct gql_selection *sel, unsigned depth)
{
    struct gql_vctx *c = w->c;
    const struct gql_field *def = gql_v_field_def(c, parent, sel->name);
    const struct gql_type *type = def ? def->type : NULL;
    const struct gql_type *named = gql_type_named(type);
    if (parent != NULL && def == NULL)
        unknown_field(c, parent, sel);
    if (type != NULL) {
        if (gql_v_is_leaf(named)) {
            if (sel->selection_set != NULL)
                gql_v_error(c, "ScalarLeafsRule", &sel->selection_set->loc, 1,
                            "Field \"%s\" must not have a selection since type \"%s\" has no "
                            "subfields.",
                            sel->name, gql_v_type_str(c, type));
        } else if (sel->selection_set == NULL) {
            gql_v_error(c, "ScalarLeafsRule", &sel->loc, 1,
                        "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you "
                        "mean \"%s { ... }\"?",
                        sel->name, gql_v_type_str(c, type), sel->name);
        }
    }
    if (c->options & GQL_VALIDATE_NO_DEPRECATED) {
        const char *reason =
            def ? gql_v_deprecation(def->deprecated, def->deprecation_reason) : NULL;
        if (reason != NULL)
            gql_v_error(c, "NoDeprecatedCustomRule", &sel->loc, 1,
                        "The field %s.%s is deprecated. %s", parent->name, def->name, reason);
    }
    if ((c->options & GQL_VALIDATE_NO_SCHEMA_INTROSPECTION) && is_introspection_type(named))
        gql_v_error(c, "NoSchemaIntrospectionCustomRule", &sel->loc, 1,
                    "GraphQL introspection has been disabled, but the requested query contained "
                    "the field \"%s\".",
                    sel->name);
    unique_arguments(c, sel->args, sel->nargs);
    for (size_t i = 0; i < sel->nargs && !c->aborted; i++) {
        const struct gql_argument *a = &sel->args[i];
        const struct gql_input_value *adef =
            def ? gql_v_find_arg(def->args, def->nargs, a->name) : NULL;
        if (adef == NULL && def != NULL && parent != NULL) {
            const char **sugg;
            size_t ns =
                gql_v_suggest(c, a->name, arg_names(c, def->args, def->nargs), def->nargs, &sugg);
            gql_v_error(c, "KnownArgumentNamesRule", &a->loc, 1,
                        "Unknown argument \"%s\" on field \"%s.%s\".%s", a->name, parent->name,
                        def->name, gql_v_did_you_mean(c, NULL, sugg, ns));
        }
        const char *reason =
            adef ? gql_v_deprecation(adef->deprecated, adef->deprecation_reason) : NULL;
        if (reason != NULL && (c->options & GQL_VALIDATE_NO_DEPRECATED))
            gql_v_error(c, "NoDeprecatedCustomRule", &a->loc, 1,
                        "Field \"%s.%s\" argument \"%s\" is deprecated. %s", parent->name,
                        def->name, adef->name, reason);
        gql_v_value(w, &a->value, adef && gql_v_is_input(adef->type) ? adef->type : NULL,
                    adef ? adef->default_value : NULL, true, 0);
    }
    walk_directives(w, sel->directives, sel->ndirectives, GQL_DL_FIELD, parent, def);
    if (sel->selection_set != NULL)
        walk_set(w, gql_v_is_composite(named) ? named : NULL, def, sel->selection_set, depth + 1,
                 false);
    for (size_t i = 0; def != NULL && i < def->nargs; i++)
        if (is_required(&def->args[i]) && !provided(sel->args, sel->nargs, def->args[i].name))
            gql_v_error(c, "ProvidedRequiredArgumentsRule", &sel->loc, 1,
                        "Field \"%s\" argument \"%s\" of type \"%s\" is required, but it was not "
                        "provided.",
                        def->name, def->args[i].name, gql_v_type_str(c, def->args[i].type));
}

static void walk_set(struct gql_vwalk *w, const struct gql_type *parent,
                     const struct gql_field *enclosing, const struct gql_selection_set *set,
                     unsigned depth, bool inline_fragment)
{
    struct gql_vctx *c = w->c;
    if (set == NULL || c->aborted)
        return;
    if (depth > GQL_V_MAX_DEPTH) {
        gql_v_error(c, NULL, &set->loc, 1, "The document is nested too deeply to validate.");
        c->aborted = true;
        return;
    }
    gql_v_overlap(c, parent, set, inline_fragment);
    for (size_t i = 0; i < set->n && !c->aborted; i++) {
        const struct gql_selection *sel = &set->items[i];
        if (sel->kind == GQL_SEL_FIELD) {
            walk_field(w, parent, sel, depth);
        } else if (sel->kind == GQL_SEL_FRAGMENT_SPREAD) {
            long fi = gql_v_fragment(c, sel->name);
            if (fi < 0) {
                struct gql_loc loc = sel->name_loc;
                if (loc.line == 0) { /* a parser that does not record it: the name after "..." */
                    loc = sel->loc;
                    loc.column += 3;
                }
                gql_v_error(c, "KnownFragmentNamesRule", &loc, 1, "Unknown fragment \"%s\".",
                            sel->name);
            } else {
                const struct gql_type *ft =
                    gql_schema_type(c->schema, c->doc->definitions[fi].type_condition);
                if (gql_v_is_composite(ft) && parent != NULL && !gql_v_types_overlap(ft, parent))
                    gql_v_error(c, "PossibleFragmentSpreadsRule", &sel->loc, 1,
                                "Fragment \"%s\" cannot be spread here as objects of type \"%s\" "
                                "can never be of type \"%s\".",
                                sel->name, parent->name, ft->name);
            }
            walk_directives(w, sel->directives, sel->ndirectives, GQL_DL_FRAGMENT_SPREAD, parent,
                            enclosing);
        } else {
            const struct gql_type *t = parent;
            if (sel->type_condition != NULL) {
                t = gql_schema_type(c->schema, sel->type_condition);
                if (t == NULL)
                    unknown_type(c, sel->type_condition, sel->type_condition_loc);
                else if (!gql_v_is_composite(t))
                    gql_v_error(c, "FragmentsOnCompositeTypesRule", &sel->type_condition_loc, 1,
                                "Fragment cannot condition on non composite type \"%s\".",
                                sel->type_condition);
            }
            if (gql_v_is_composite(t) && parent != NULL && !gql_v_types_overlap(t, parent))
                gql_v_error(c, "PossibleFragmentSpreadsRule", &sel->loc, 1,
                            "Fragment cannot be spread here as objects of type \"%s\" can never "
                            "be of type \"%s\".",
                            parent->name, t->name);
            walk_directives(w, sel->directives, sel->ndirectives, GQL_DL_INLINE_FRAGMENT, parent,
                            enclosing);
            walk_set(w, gql_v_is_composite(t) ? t : NULL, enclosing, sel->selection_set, depth + 1,
                     true);
        }
    }
}

static void walk_operation(struct gql_vctx *c, size_t index)
{
    const struct gql_definition *op = &c->doc->definitions[index];
    struct gql_vwalk nouse = {c, NULL}, w = {c, &c->defs[index]};
    const struct gql_type *root = op->operation == GQL_QUERY      ? c->schema->query
                                  : op->operation == GQL_MUTATION ? c->schema->mutation
                                                                  : c->schema->subscription;
    for (size_t i = 0; i < op->nvariables && !c->aborted; i++) {
        const struct gql_variable_def *v = &op->variables[i];
        const struct gql_type_ref *named = gql_v_ref_named(v->type);
        if (named != NULL && gql_schema_type(c->schema, named->name) == NULL)
            unknown_type(c, named->name, named->loc);
        const struct gql_type *vt = gql_v_type_from_ref(c, v->type);
        if (vt != NULL && !gql_v_is_input(vt))
            gql_v_error(c, "VariablesAreInputTypesRule", &v->type->loc, 1,
                        "Variable \"$%s\" cannot be non-input type \"%s\".", v->name,
                        gql_v_ref_str(c, v->type));
        /* graphql-js's getVariableUsages skips variable definitions */
        if (v->default_value != NULL)
            gql_v_value(&nouse, v->default_value, gql_v_is_input(vt) ? vt : NULL, NULL, true, 0);
        walk_directives(&nouse, v->directives, v->ndirectives, GQL_DL_VARIABLE_DEFINITION, NULL,
                        NULL);
    }
    uint32_t where = op->operation == GQL_QUERY      ? GQL_DL_QUERY
                     : op->operation == GQL_MUTATION ? GQL_DL_MUTATION
                                                     : GQL_DL_SUBSCRIPTION;
    walk_directives(&w, op->directives, op->ndirectives, where, NULL, NULL);
    walk_set(&w, root, NULL, op->selection_set, 0, false);
}

static void walk_fragment(struct gql_vctx *c, size_t index)
{
    const struct gql_definition *f = &c->doc->definitions[index];
    struct gql_vwalk w = {c, &c->defs[index]};
    const struct gql_type *t = gql_schema_type(c->schema, f->type_condition);
    c->defs[index].type = t;
    if (t == NULL)
        unknown_type(c, f->type_condition, f->type_condition_loc);
    else if (!gql_v_is_composite(t))
        gql_v_error(c, "FragmentsOnCompositeTypesRule", &f->type_condition_loc, 1,
                    "Fragment \"%s\" cannot condition on non composite type \"%s\".", f->name,
                    f->type_condition);
    walk_directives(&w, f->directives, f->ndirectives, GQL_DL_FRAGMENT_DEFINITION, NULL, NULL);
    walk_set(&w, gql_v_is_composite(t) ? t : NULL, NULL, f->selection_set, 0, false);
}

/* Type-system definitions in an executable document: only their directives are checked. */
static void walk_sdl(struct gql_vctx *c, const struct gql_definition *d)
{
    struct gql_vwalk w = {c, NULL};
    uint32_t where = 0;
    switch (d->kind) {
    case GQL_DEF_SCHEMA:
        where = GQL_DL_SCHEMA;
        break;
    case GQL_DEF_SCALAR:
        where = GQL_DL_SCALAR;
        break;
    case GQL_DEF_OBJECT:
        where = GQL_DL_OBJECT;
        break;
    case GQL_DEF_INTERFACE:
        where = GQL_DL_INTERFACE;
        break;
    case GQL_DEF_UNION:
        where = GQL_DL_UNION;
        break;
    case GQL_DEF_ENUM:
        where = GQL_DL_ENUM;
        break;
    case GQL_DEF_INPUT_OBJECT:
        where = GQL_DL_INPUT_OBJECT;
        break;
    default:
        break;
    }
    if (where != 0)
        walk_directives(&w, d->directives, d->ndirectives, where, NULL, NULL);
    for (size_t i = 0; i < d->nroots; i++)
        known_type(c, d->roots[i].type_name, d->roots[i].loc, true);
    if (d->kind != GQL_DEF_DIRECTIVE)
        for (size_t i = 0; i < d->nnames; i++) /* interfaces, union members */
            known_type(c, d->names[i].name, d->names[i].loc, true);
    for (size_t i = 0; i < d->nfields; i++) {
        for (size_t j = 0; j < d->fields[i].nargs; j++)
            known_ref(c, d->fields[i].args[j].type);
        known_ref(c, d->fields[i].type);
    }
    for (size_t i = 0; i < d->ninput_values; i++)
        known_ref(c, d->input_values[i].type);
    for (size_t i = 0; i < d->nfields; i++) {
        walk_directives(&w, d->fields[i].directives, d->fields[i].ndirectives,
                        GQL_DL_FIELD_DEFINITION, NULL, NULL);
        for (size_t j = 0; j < d->fields[i].nargs; j++)
            walk_directives(&w, d->fields[i].args[j].directives, d->fields[i].args[j].ndirectives,
                            GQL_DL_ARGUMENT_DEFINITION, NULL, NULL);
    }
    for (size_t i = 0; i < d->ninput_values; i++)
        walk_directives(&w, d->input_values[i].directives, d->input_values[i].ndirectives,
                        d->kind == GQL_DEF_INPUT_OBJECT ? GQL_DL_INPUT_FIELD_DEFINITION
                                                        : GQL_DL_ARGUMENT_DEFINITION,
                        NULL, NULL);
    for (size_t i = 0; i < d->nenum_values; i++)
        walk_directives(&w, d->enum_values[i].directives, d->enum_values[i].ndirectives,
                        GQL_DL_ENUM_VALUE, NULL, NULL);
}

void gql_v_walk(struct gql_vctx *c)
{
    for (size_t i = 0; i < c->doc->n && !c->aborted; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind == GQL_DEF_OPERATION)
            walk_operation(c, i);
        else if (d->kind == GQL_DEF_FRAGMENT)
            walk_fragment(c, i);
        else
            walk_sdl(c, d);
    }
}
