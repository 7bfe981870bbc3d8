/*
 * Literals against the input type of their position: ValuesOfCorrectType
 * (graphql-js's ValuesOfCorrectTypeRule with the built-in scalars'
 * parseLiteral messages), UniqueInputFieldNames, the optional NoDeprecated
 * checks on input fields and enum values, and the variable usages the
 * per-operation rules need (recorded with the type expected where the
 * variable sits and whether that position has a default).
 *
 * The expected type follows graphql-js's TypeInfo: a list literal's items
 * get the list's item type (or the position's own type when it is not a
 * list), an object literal's fields their input field's type. As in
 * graphql-js, once a list or object literal is reported as a whole, its
 * contents are not checked again for ValuesOfCorrectType (voct false) but
 * still are for the other rules. Nesting is capped by GQL_V_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_internal.h"

static const char *const rule = "ValuesOfCorrectTypeRule";

/* Int's range check on an Int lexeme (optional '-', digits). */
static bool int_in_range(const char *text)
{
    const char *digits = text[0] == '-' ? text + 1 : text;
    while (*digits == '0' && digits[1] != '\0')
        digits++;
    if (strlen(digits) > 10)
        return false;
    long long v = strtoll(text, NULL, 10);
    return v >= -2147483648LL && v <= 2147483647LL;
}

static void enum_value_error(struct gql_vctx *c, const struct gql_value *v,
                             const struct gql_type *e)
{
    const char *printed = gql_v_value_str(c, v);
    const char **names = gql_v_alloc(c, (e->nenum_values + 1) * sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; i < e->nenum_values; i++)
        names[i] = e->enum_values[i].name;
    const char **sugg;
    size_t ns = gql_v_suggest(c, printed, names, e->nenum_values, &sugg);
    const char *hint = gql_v_did_you_mean(c, "the enum value", sugg, ns);
    if (v->kind != GQL_VALUE_ENUM)
        gql_v_error(c, rule, &v->loc, 1, "Enum \"%s\" cannot represent non-enum value: %s.%s",
                    e->name, printed, hint);
    else
        gql_v_error(c, rule, &v->loc, 1, "Value \"%s\" does not exist in \"%s\" enum.%s", printed,
                    e->name, hint);
}

/* graphql-js isValidValueNode: a leaf literal (or a misplaced list/object) at a position. */
static void check_leaf(struct gql_vctx *c, const struct gql_value *v,
                       const struct gql_type *location)
{
    if (location == NULL)
        return;
    const struct gql_type *t = gql_type_named(location);
    if (!gql_v_is_leaf(t)) {
        gql_v_error(c, rule, &v->loc, 1, "Expected value of type \"%s\", found %s.",
                    gql_v_type_str(c, location), gql_v_value_str(c, v));
        return;
    }
    if (t->kind == GQL_KIND_ENUM) {
        if (v->kind != GQL_VALUE_ENUM) {
            enum_value_error(c, v, t);
            return;
        }
        for (size_t i = 0; i < t->nenum_values; i++)
            if (strcmp(t->enum_values[i].name, v->text) == 0)
                return;
        enum_value_error(c, v, t);
        return;
    }
    const char *name = t->name;
    if (strcmp(name, "Int") == 0) {
        if (v->kind != GQL_VALUE_INT)
            gql_v_error(c, rule, &v->loc, 1, "Int cannot represent non-integer value: %s",
                        gql_v_value_str(c, v));
        else if (!int_in_range(v->text))
            gql_v_error(c, rule, &v->loc, 1,
                        "Int cannot represent non 32-bit signed integer value: %s", v->text);
    } else if (strcmp(name, "Float") == 0) {
        if (v->kind != GQL_VALUE_INT && v->kind != GQL_VALUE_FLOAT)
            gql_v_error(c, rule, &v->loc, 1, "Float cannot represent non numeric value: %s",
                        gql_v_value_str(c, v));
    } else if (strcmp(name, "String") == 0) {
        if (v->kind != GQL_VALUE_STRING)
            gql_v_error(c, rule, &v->loc, 1, "String cannot represent a non string value: %s",
                        gql_v_value_str(c, v));
    } else if (strcmp(name, "Boolean") == 0) {
        if (v->kind != GQL_VALUE_BOOLEAN)
            gql_v_error(c, rule, &v->loc, 1, "Boolean cannot represent a non boolean value: %s",
                        gql_v_value_str(c, v));
    } else if (strcmp(name, "ID") == 0) {
        if (v->kind != GQL_VALUE_STRING && v->kind != GQL_VALUE_INT)
            gql_v_error(c, rule, &v->loc, 1,
                        "ID cannot represent a non-string and non-integer value: %s",
                        gql_v_value_str(c, v));
    }
    /* a custom scalar takes any literal, as graphql-js's default parseLiteral does */
}

static void unique_fields(struct gql_vctx *c, const struct gql_value *v)
{
    if (v->nfields < 2)
        return;
    const char **names = gql_v_alloc(c, v->nfields * sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; i < v->nfields; i++)
        names[i] = v->fields[i].name;
    uint32_t *first = gql_v_first_of(c, names, v->nfields);
    if (first == NULL)
        return;
    for (size_t i = 0; i < v->nfields; i++)
        if (first[i] != i) {
            struct gql_loc locs[2] = {v->fields[first[i]].loc, v->fields[i].loc};
            gql_v_error(c, "UniqueInputFieldNamesRule", locs, 2,
                        "There can be only one input field named \"%s\".", names[i]);
        }
}

static const struct gql_input_value *input_field(const struct gql_type *t, const char *name)
{
    for (size_t i = 0; i < t->ninput_fields; i++)
        if (strcmp(t->input_fields[i].name, name) == 0)
            return &t->input_fields[i];
    return NULL;
}

static bool has_field(const struct gql_value *v, const char *name)
{
    for (size_t i = 0; i < v->nfields; i++)
        if (strcmp(v->fields[i].name, name) == 0)
            return true;
    return false;
}

static void check_object(struct gql_vwalk *w, const struct gql_value *v,
                         const struct gql_type *type, bool voct, unsigned depth)
{
    struct gql_vctx *c = w->c;
    const struct gql_type *named = gql_type_named(type);
    const struct gql_type *io = named && named->kind == GQL_KIND_INPUT_OBJECT ? named : NULL;
    bool child_voct = voct;
    if (voct && io == NULL) {
        check_leaf(c, v, type);
        child_voct = false;
    } else if (voct) {
        for (size_t i = 0; i < io->ninput_fields; i++) {
            const struct gql_input_value *f = &io->input_fields[i];
            if (f->type != NULL && f->type->kind == GQL_KIND_NON_NULL && f->default_value == NULL &&
                !has_field(v, f->name))
                gql_v_error(c, rule, &v->loc, 1,
                            "Field \"%s.%s\" of required type \"%s\" was not provided.", io->name,
                            f->name, gql_v_type_str(c, f->type));
        }
    }
    unique_fields(c, v);
    for (size_t i = 0; i < v->nfields && !c->aborted; i++) {
        const struct gql_object_field *of = &v->fields[i];
        const struct gql_input_value *fdef = io ? input_field(io, of->name) : NULL;
        const struct gql_type *ftype = fdef && gql_v_is_input(fdef->type) ? fdef->type : NULL;
        if (child_voct && ftype == NULL && io != NULL) {
            const char **names = gql_v_alloc(c, (io->ninput_fields + 1) * sizeof *names);
            if (names == NULL)
                return;
            for (size_t k = 0; k < io->ninput_fields; k++)
                names[k] = io->input_fields[k].name;
            const char **sugg;
            size_t ns = gql_v_suggest(c, of->name, names, io->ninput_fields, &sugg);
            gql_v_error(c, rule, &of->loc, 1, "Field \"%s\" is not defined by type \"%s\".%s",
                        of->name, io->name, gql_v_did_you_mean(c, NULL, sugg, ns));
        }
        if (fdef != NULL && (c->options & GQL_VALIDATE_NO_DEPRECATED)) {
            const char *reason = gql_v_deprecation(fdef->deprecated, fdef->deprecation_reason);
            if (reason != NULL)
                gql_v_error(c, "NoDeprecatedCustomRule", &of->loc, 1,
                            "The input field %s.%s is deprecated. %s", io->name, fdef->name,
                            reason);
        }
        gql_v_value(w, &of->value, ftype, fdef ? fdef->default_value : NULL, child_voct, depth + 1);
    }
}

void gql_v_value(struct gql_vwalk *w, const struct gql_value *v, const struct gql_type *type,
                 const struct gql_value *location_default, bool voct, unsigned depth)
{
    struct gql_vctx *c = w->c;
    if (c->aborted)
        return;
    if (depth > GQL_V_MAX_DEPTH) {
        gql_v_error(c, NULL, &v->loc, 1, "The document is nested too deeply to validate.");
        c->aborted = true;
        return;
    }
    switch (v->kind) {
    case GQL_VALUE_VARIABLE:
        if (w->def != NULL) {
            struct gql_vdef *d = w->def;
            if (!gql_v_grow(c, (void **)&d->usages, d->nusages, &d->capusages, sizeof *d->usages))
                return;
            struct gql_vusage *u = &d->usages[d->nusages++];
            u->name = v->text;
            u->loc = v->loc;
            u->type = type;
            u->has_location_default = location_default != NULL;
        }
        break;
    case GQL_VALUE_NULL:
        if (voct && type != NULL && type->kind == GQL_KIND_NON_NULL)
            gql_v_error(c, rule, &v->loc, 1, "Expected value of type \"%s\", found null.",
                        gql_v_type_str(c, type));
        break;
    case GQL_VALUE_LIST: {
        const struct gql_type *nullable =
            type != NULL && type->kind == GQL_KIND_NON_NULL ? type->of_type : type;
        const struct gql_type *item =
            nullable != NULL && nullable->kind == GQL_KIND_LIST ? nullable->of_type : nullable;
        if (!gql_v_is_input(item))
            item = NULL;
        bool child_voct = voct;
        if (voct && (nullable == NULL || nullable->kind != GQL_KIND_LIST)) {
            check_leaf(c, v, item);
            child_voct = false;
        }
        for (size_t i = 0; i < v->nitems && !c->aborted; i++)
            gql_v_value(w, &v->items[i], item, NULL, child_voct, depth + 1);
        break;
    }
    case GQL_VALUE_OBJECT:
        check_object(w, v, type, voct, depth);
        break;
    case GQL_VALUE_ENUM:
        if (c->options & GQL_VALIDATE_NO_DEPRECATED) {
            const struct gql_type *e = gql_type_named(type);
            for (size_t i = 0; e != NULL && e->kind == GQL_KIND_ENUM && i < e->nenum_values; i++) {
                const struct gql_enum_value *ev = &e->enum_values[i];
                if (strcmp(ev->name, v->text) != 0)
                    continue;
                const char *reason = gql_v_deprecation(ev->deprecated, ev->deprecation_reason);
                if (reason != NULL)
                    gql_v_error(c, "NoDeprecatedCustomRule", &v->loc, 1,
                                "The enum value \"%s.%s\" is deprecated. %s", e->name, ev->name,
                                reason);
                break;
            }
        }
        if (voct)
            check_leaf(c, v, type);
        break;
    default:
        if (voct)
            check_leaf(c, v, type);
        break;
    }
}
