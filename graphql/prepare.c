/*
 * Preparing a request: everything that depends on the document and the
 * schema but not on the variables, done once so that the prepared
 * document can be executed any number of times, from any number of
 * threads. In order: the byte limit (before any parsing), the parser (with
 * the token limit), the depth and field-count limits over the operation
 * that will run, with its fragments expanded (before the validator, whose
 * rules cost more), the validator, then the spec's GetOperation with its
 * errors. Each fragment's depth and field count is computed once and
 * memoized, so a "fragment bomb" (ten fragments each spreading the next
 * one twice) is measured in linear time and rejected instead of being
 * expanded; counts saturate rather than overflow.
 *
 * The prepared object owns the document; it also resolves, once, what
 * the executor would otherwise look up per execution (the variables'
 * types, the fragments by name, the built-in scalars).
 */
#include <stdlib.h>
#include <string.h>

#include "graphql/execute_internal.h"

static int fragment_cmp(const void *a, const void *b)
{
    const struct gql_definition *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

const struct gql_definition *gql_prepared_fragment(const struct gql_prepared *p, const char *name,
                                                   size_t *index)
{
    size_t lo = 0, hi = p->nfragments;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, p->fragments[mid]->name);
        if (c == 0) {
            if (index != NULL)
                *index = mid;
            return p->fragments[mid];
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- depth and field count, fragments expanded and memoized ---- */

struct measure {
    const struct gql_prepared *p;
    size_t *depth;        /* per fragment */
    size_t *fields;       /* per fragment */
    unsigned char *state; /* 0 not seen, 1 being measured (a cycle), 2 done */
};

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static void measure_set(struct measure *m, const struct gql_selection_set *ss, size_t *depth,
                        size_t *fields)
{
    *depth = 0;
    *fields = 0;
    if (ss == NULL)
        return;
    for (size_t i = 0; i < ss->n; i++) {
        const struct gql_selection *sel = &ss->items[i];
        size_t d = 0, f = 0;
        switch (sel->kind) {
        case GQL_SEL_FIELD:
            measure_set(m, sel->selection_set, &d, &f);
            d = sat_add(d, 1);
            f = sat_add(f, 1);
            break;
        case GQL_SEL_INLINE_FRAGMENT:
            measure_set(m, sel->selection_set, &d, &f);
            break;
        case GQL_SEL_FRAGMENT_SPREAD: {
            size_t idx;
            const struct gql_definition *frag = gql_prepared_fragment(m->p, sel->name, &idx);
            if (frag == NULL || m->state[idx] == 1)
                break;
            if (m->state[idx] == 0) {
                m->state[idx] = 1;
                measure_set(m, frag->selection_set, &m->depth[idx], &m->fields[idx]);
                m->state[idx] = 2;
            }
            d = m->depth[idx];
            f = m->fields[idx];
            break;
        }
        }
        if (d > *depth)
            *depth = d;
        *fields = sat_add(*fields, f);
    }
}

static int check_limits(const struct gql_prepared *p, const struct gql_limits *limits,
                        struct gql_errors *errs)
{
    if (limits == NULL || (limits->max_depth == 0 && limits->max_fields == 0))
        return GQL_OK;
    int rc = GQL_OK;
    struct measure m = {p, NULL, NULL, NULL};
    size_t n = p->nfragments ? p->nfragments : 1;
    m.depth = calloc(n, sizeof *m.depth);
    m.fields = calloc(n, sizeof *m.fields);
    m.state = calloc(n, 1);
    if (m.depth == NULL || m.fields == NULL || m.state == NULL) {
        rc = GQL_ENOMEM;
        goto out;
    }
    size_t depth, fields;
    measure_set(&m, p->op->selection_set, &depth, &fields);
    if (limits->max_depth != 0 && depth > limits->max_depth) {
        rc = gql_errors_add(errs, NULL, NULL, 0, "Query depth %zu exceeds the limit of %zu.", depth,
                            limits->max_depth);
        if (rc == GQL_OK)
            rc = GQL_ELIMIT;
        goto out;
    }
    if (limits->max_fields != 0 && fields > limits->max_fields) {
        if (fields == SIZE_MAX)
            rc = gql_errors_add(errs, NULL, NULL, 0,
                                "Query has too many fields (fragments expanded); the limit is "
                                "%zu.",
                                limits->max_fields);
        else
            rc = gql_errors_add(errs, NULL, NULL, 0,
                                "Query has %zu fields (fragments expanded), which exceeds the "
                                "limit of %zu.",
                                fields, limits->max_fields);
        if (rc == GQL_OK)
            rc = GQL_ELIMIT;
        goto out;
    }
out:
    free(m.depth);
    free(m.fields);
    free(m.state);
    return rc;
}

/* ---- the cache of schema-only operations ---- */

/* Does the selection read only the schema (introspection and __typename at the root)? */
static bool reads_only_schema(const struct gql_prepared *p, const struct gql_selection_set *ss,
                              int budget)
{
    if (ss == NULL || budget <= 0)
        return false;
    for (size_t i = 0; i < ss->n; i++) {
        const struct gql_selection *sel = &ss->items[i];
        switch (sel->kind) {
        case GQL_SEL_FIELD:
            if (strncmp(sel->name, "__", 2) != 0)
                return false;
            break;
        case GQL_SEL_INLINE_FRAGMENT:
            if (!reads_only_schema(p, sel->selection_set, budget - 1))
                return false;
            break;
        case GQL_SEL_FRAGMENT_SPREAD: {
            const struct gql_definition *frag = gql_prepared_fragment(p, sel->name, NULL);
            if (frag == NULL || !reads_only_schema(p, frag->selection_set, budget - 1))
                return false;
            break;
        }
        }
    }
    return true;
}

/* ---- gql_prepare ---- */

/* GetOperation; errs NULL: no errors recorded, only the answer. */
static int get_operation(const struct gql_document *doc, const char *name,
                         const struct gql_definition **out, struct gql_errors *errs)
{
    const struct gql_definition *op = NULL;
    size_t nops = 0;
    for (size_t i = 0; i < doc->n; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        if (d->kind != GQL_DEF_OPERATION)
            continue;
        nops++;
        if (name == NULL) {
            if (op == NULL)
                op = d;
        } else if (d->name != NULL && strcmp(d->name, name) == 0) {
            op = d;
            break;
        }
    }
    int rc = GQL_OK;
    if (op != NULL && (name != NULL || nops == 1)) {
        *out = op;
        return GQL_OK;
    }
    if (errs == NULL) /* only asking */
        return GQL_EOPERATION;
    if (name != NULL && op == NULL)
        rc = gql_errors_add(errs, NULL, NULL, 0, "Unknown operation named \"%s\".", name);
    else if (name == NULL && nops > 1)
        rc = gql_errors_add(errs, NULL, NULL, 0,
                            "Must provide operation name if query contains multiple operations.");
    else if (op == NULL)
        rc = gql_errors_add(errs, NULL, NULL, 0, "Must provide an operation.");
    else {
        *out = op;
        return GQL_OK;
    }
    return rc < 0 ? rc : GQL_EOPERATION;
}

int gql_prepare(const struct gql_schema *schema, const char *query, size_t len,
                const char *operation_name, const struct gql_limits *limits,
                struct gql_prepared **out, struct gql_errors *errs)
{
    struct gql_document *doc = NULL;
    struct gql_prepared *p = NULL;
    int rc;
    if (out == NULL || errs == NULL)
        return GQL_EARG;
    *out = NULL;
    if (schema == NULL || (query == NULL && len > 0))
        return GQL_EARG;
    if (limits != NULL && limits->max_document_bytes != 0 && len > limits->max_document_bytes) {
        rc = gql_errors_add(errs, NULL, NULL, 0,
                            "Document of %zu bytes exceeds the limit of %zu bytes.", len,
                            limits->max_document_bytes);
        return rc < 0 ? rc : GQL_ELIMIT;
    }
    rc = gql_parse(query ? query : "", len, limits, &doc, errs);
    if (rc < 0)
        return rc;
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rc = GQL_ENOMEM;
        goto out;
    }
    p->schema = schema;
    p->doc = doc;
    doc = NULL;
    size_t nfrag = 0;
    for (size_t i = 0; i < p->doc->n; i++)
        nfrag += p->doc->definitions[i].kind == GQL_DEF_FRAGMENT;
    p->fragments = calloc(nfrag ? nfrag : 1, sizeof *p->fragments);
    if (p->fragments == NULL) {
        rc = GQL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < p->doc->n; i++)
        if (p->doc->definitions[i].kind == GQL_DEF_FRAGMENT)
            p->fragments[p->nfragments++] = &p->doc->definitions[i];
    qsort(p->fragments, p->nfragments, sizeof *p->fragments, fragment_cmp);

    /* The depth and field limits before validation: they are cheap (memoized, cycles cut)
       and keep an abusive document from the validator's costlier rules. */
    if (get_operation(p->doc, operation_name, &p->op, NULL) == GQL_OK) {
        rc = check_limits(p, limits, errs);
        if (rc < 0)
            goto out;
    }
    rc = gql_validate(schema, p->doc, errs);
    if (rc < 0)
        goto out;
    rc = get_operation(p->doc, operation_name, &p->op, errs);
    if (rc < 0)
        goto out;
    p->var_types = calloc(p->op->nvariables ? p->op->nvariables : 1, sizeof *p->var_types);
    if (p->var_types == NULL) {
        rc = GQL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < p->op->nvariables; i++)
        p->var_types[i] = gql_schema_type_ref(schema, p->op->variables[i].type);
    p->t_int = gql_schema_type(schema, "Int");
    p->t_float = gql_schema_type(schema, "Float");
    p->t_string = gql_schema_type(schema, "String");
    p->t_boolean = gql_schema_type(schema, "Boolean");
    p->t_id = gql_schema_type(schema, "ID");
    p->time_budget_us = limits ? limits->time_budget_us : 0;
    p->cacheable = p->op->operation == GQL_QUERY && p->op->nvariables == 0 &&
                   reads_only_schema(p, p->op->selection_set, 64);
    atomic_init(&p->cached_text, NULL);
    *out = p;
    p = NULL;
    rc = GQL_OK;
out:
    gql_prepared_free(p);
    gql_document_free(doc);
    return rc;
}

void gql_prepared_free(struct gql_prepared *p)
{
    if (p == NULL)
        return;
    free(atomic_load(&p->cached_text));
    gql_document_free(p->doc);
    free(p->fragments);
    free(p->var_types);
    free(p);
}

enum gql_operation_type gql_prepared_operation(const struct gql_prepared *p)
{
    return p->op->operation;
}
