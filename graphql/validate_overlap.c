/*
 * OverlappingFieldsCanBeMerged, ported from graphql-js 16.15's rule (the
 * same algorithm as graphql-js 17's, without fragment arguments).
 *
 * Each selection set's "field map" (its fields by response name, inline
 * fragments flattened, plus the fragments it spreads) is computed once and
 * cached by selection set. A field map remembers which fragments it was
 * compared with, and pairs of fragments compared are kept in a pair set
 * (both with graphql-js's mutually-exclusive flag), so nothing is compared
 * twice and fragment cycles end. Reasons longer than 1000 characters end in
 * "...", and a conflict keeps at most 20 locations a side, as graphql-js.
 *
 * Work is bounded as graphql-js bounds it: a complexity budget of 500000
 * units charged at the same places; past it validation stops with
 * "Validation aborted.". On top of that, for a validator that faces the
 * internet, the fields of one response name are split into classes of
 * structurally identical fields (same parent, name, arguments and
 * sub-selections) and only representatives are compared until two classes
 * conflict, so "{ a a a ... }" or a thousand copies of "dog { name }" cost
 * a linear pass where graphql-js spends its whole budget. Recursion is
 * capped by GQL_V_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_internal.h"

#define OVERLAP_BUDGET 500000 /* graphql-js's complexity budget, in its units */
#define MAX_CONFLICTS (GQL_V_MAX_ERRORS + 1)
#define MAX_DETAIL 1000 /* graphql-js: longer reasons end in "..." */
#define MAX_NODES 20    /* graphql-js: locations kept per side of a conflict */
#define SMALL_MAP 8     /* up to this many response names, a field map is searched in order */

struct ofield {
    const struct gql_type *parent;
    const struct gql_selection *node;
    const struct gql_field *def;
};

struct ogroup {
    const char *name;
    struct ofield *fields;
    size_t n;
    /* classes of identical fields (see group_classes): members of class k are
       members[start[k] .. start[k + 1]), classes in the order of their first field */
    bool classed;
    uint32_t nclasses;
    uint32_t *start, *members;
};

struct ofmap {
    struct ogroup *groups;
    size_t ngroups;
    struct gql_vmap index;    /* response name -> group, once there are SMALL_MAP groups */
    struct gql_vmap compared; /* fragment name -> 1 + exclusive, once compared with */
    uint32_t *frags;          /* fragment definitions spread (first-seen order, each once) */
    size_t nfrags;
};

struct pslot {
    const void *key;
    struct ofmap *map;
};

struct pairslot {
    uint64_t key; /* 0: empty */
    bool exclusive;
};

struct gql_voverlap {
    struct pslot *cache; /* selection set -> field map */
    size_t cache_cap, cache_n;
    struct pairslot *pairs;
    size_t pairs_cap, pairs_n;
    long budget; /* left of OVERLAP_BUDGET */
    bool over_budget;
};

struct oconflict {
    uint64_t key;       /* order among the conflicts of two groups (compare_pair) */
    const char *name;   /* the response name */
    const char *reason; /* graphql-js's words, abbreviated past MAX_DETAIL */
    const struct gql_selection **f1, **f2;
    size_t n1, n2;
};

struct oconflicts {
    struct oconflict *items;
    size_t n, cap;
};

/* graphql-js spendComplexityBudget: false once the budget is spent. */
static bool spend(struct gql_vctx *c, long cost)
{
    struct gql_voverlap *o = c->overlap;
    o->budget -= cost;
    if (o->budget < 0 && !o->over_budget) {
        /* as graphql-js: the whole validation stops with this error */
        o->over_budget = true;
        gql_v_error(c, NULL, NULL, 0, "Validation aborted.");
        c->aborted = true;
    }
    return !c->aborted;
}

/* ---- caches ---- */

static size_t ptr_hash(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    v ^= v >> 17;
    v *= 0x9E3779B97F4A7C15ull;
    return (size_t)(v ^ (v >> 29));
}

static struct ofmap *cache_get(struct gql_voverlap *o, const void *key)
{
    if (o->cache_cap == 0)
        return NULL;
    for (size_t i = ptr_hash(key) & (o->cache_cap - 1);; i = (i + 1) & (o->cache_cap - 1)) {
        if (o->cache[i].key == NULL)
            return NULL;
        if (o->cache[i].key == key)
            return o->cache[i].map;
    }
}

static void cache_put(struct gql_vctx *c, struct gql_voverlap *o, const void *key,
                      struct ofmap *map)
{
    if ((o->cache_n + 1) * 2 > o->cache_cap) {
        size_t ncap = o->cache_cap ? o->cache_cap * 2 : 64;
        struct pslot *slots = gql_v_alloc(c, ncap * sizeof *slots);
        if (slots == NULL)
            return;
        for (size_t i = 0; i < o->cache_cap; i++) {
            if (o->cache[i].key == NULL)
                continue;
            size_t j = ptr_hash(o->cache[i].key) & (ncap - 1);
            while (slots[j].key != NULL)
                j = (j + 1) & (ncap - 1);
            slots[j] = o->cache[i];
        }
        o->cache = slots;
        o->cache_cap = ncap;
    }
    size_t j = ptr_hash(key) & (o->cache_cap - 1);
    while (o->cache[j].key != NULL && o->cache[j].key != key)
        j = (j + 1) & (o->cache_cap - 1);
    if (o->cache[j].key == NULL)
        o->cache_n++;
    o->cache[j].key = key;
    o->cache[j].map = map;
}

static uint64_t pair_key(uint32_t a, uint32_t b)
{
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    return ((uint64_t)a + 1) << 32 | ((uint64_t)b + 1);
}

static struct pairslot *pair_find(struct gql_voverlap *o, uint64_t key)
{
    if (o->pairs_cap == 0)
        return NULL;
    for (size_t i = ptr_hash((const void *)(uintptr_t)key) & (o->pairs_cap - 1);;
         i = (i + 1) & (o->pairs_cap - 1)) {
        if (o->pairs[i].key == 0 || o->pairs[i].key == key)
            return &o->pairs[i];
    }
}

/* PairSet.has: an exclusive question is answered by any entry, a non-exclusive one only by a
   non-exclusive entry. */
static bool pair_has(struct gql_voverlap *o, uint32_t a, uint32_t b, bool exclusive)
{
    struct pairslot *s = pair_find(o, pair_key(a, b));
    if (s == NULL || s->key == 0)
        return false;
    return exclusive ? true : s->exclusive == exclusive;
}

static void pair_add(struct gql_vctx *c, struct gql_voverlap *o, uint32_t a, uint32_t b,
                     bool exclusive)
{
    if ((o->pairs_n + 1) * 2 > o->pairs_cap) {
        size_t ncap = o->pairs_cap ? o->pairs_cap * 2 : 64;
        struct pairslot *slots = gql_v_alloc(c, ncap * sizeof *slots);
        if (slots == NULL)
            return;
        struct pairslot *old = o->pairs;
        size_t oldcap = o->pairs_cap;
        o->pairs = slots;
        o->pairs_cap = ncap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key != 0)
                *pair_find(o, old[i].key) = old[i];
    }
    struct pairslot *s = pair_find(o, pair_key(a, b));
    if (s->key == 0)
        o->pairs_n++;
    s->key = pair_key(a, b);
    s->exclusive = exclusive;
}

/* ---- field maps ---- */

/* The group of a response name in m, or false. */
static bool find_group(const struct ofmap *m, const char *name, uint32_t *g)
{
    if (m->index.cap == 0) {
        for (size_t i = 0; i < m->ngroups; i++)
            if (strcmp(m->groups[i].name, name) == 0) {
                *g = (uint32_t)i;
                return true;
            }
        return false;
    }
    return gql_vmap_get(&m->index, name, g);
}

/* Adds a group; the hash index starts when the map outgrows SMALL_MAP. */
static bool add_group(struct gql_vctx *c, struct ofmap *m, size_t *cap, const char *name,
                      uint32_t *g)
{
    if (!gql_v_grow(c, (void **)&m->groups, m->ngroups, cap, sizeof *m->groups))
        return false;
    *g = (uint32_t)m->ngroups++;
    memset(&m->groups[*g], 0, sizeof m->groups[*g]);
    m->groups[*g].name = name;
    if (m->index.cap == 0 && m->ngroups <= SMALL_MAP)
        return true;
    if (m->index.cap == 0) {
        for (size_t i = 0; i < m->ngroups; i++)
            if (!gql_vmap_put(c, &m->index, m->groups[i].name, (uint32_t)i))
                return false;
        return true;
    }
    return gql_vmap_put(c, &m->index, name, *g);
}

struct entry {
    uint32_t group;
    struct ofield f;
};

struct builder {
    struct entry *entries;
    size_t n, cap;
    struct ofmap *map;
    size_t capgroups, capfrags;
    struct gql_vmap spread; /* fragment names already in map->frags */
};

static void collect(struct gql_vctx *c, struct builder *b, const struct gql_type *parent,
                    const struct gql_selection_set *set, unsigned depth)
{
    if (set == NULL || depth > GQL_V_MAX_DEPTH)
        return;
    struct ofmap *m = b->map;
    for (size_t i = 0; i < set->n && !c->aborted; i++) {
        const struct gql_selection *s = &set->items[i];
        if (s->kind == GQL_SEL_FIELD) {
            const char *response = s->alias ? s->alias : s->name;
            uint32_t g;
            if (!find_group(m, response, &g) && !add_group(c, m, &b->capgroups, response, &g))
                return;
            m->groups[g].n++;
            if (!gql_v_grow(c, (void **)&b->entries, b->n, &b->cap, sizeof *b->entries))
                return;
            struct entry *e = &b->entries[b->n++];
            e->group = g;
            e->f.parent = parent;
            e->f.node = s;
            e->f.def = gql_v_own_field(c, parent, s->name);
        } else if (s->kind == GQL_SEL_FRAGMENT_SPREAD) {
            long fi = gql_v_fragment(c, s->name);
            uint32_t seen;
            if (fi < 0 || gql_vmap_get(&b->spread, s->name, &seen))
                continue;
            if (!gql_v_grow(c, (void **)&m->frags, m->nfrags, &b->capfrags, sizeof *m->frags) ||
                !gql_vmap_put(c, &b->spread, s->name, 1))
                return;
            m->frags[m->nfrags++] = (uint32_t)fi;
        } else {
            const struct gql_type *t =
                s->type_condition ? gql_schema_type(c->schema, s->type_condition) : parent;
            collect(c, b, t, s->selection_set, depth + 1);
        }
    }
}

static struct ofmap *fields_and_fragments(struct gql_vctx *c, const struct gql_type *parent,
                                          const struct gql_selection_set *set)
{
    struct gql_voverlap *o = c->overlap;
    struct ofmap *m = cache_get(o, set);
    if (m != NULL)
        return m;
    m = gql_v_alloc(c, sizeof *m);
    if (m == NULL)
        return NULL;
    struct builder b = {0};
    b.map = m;
    collect(c, &b, parent, set, 0);
    if (c->aborted)
        return NULL;
    size_t *next = gql_v_alloc(c, (m->ngroups + 1) * sizeof *next);
    struct ofield *all = gql_v_alloc(c, (b.n + 1) * sizeof *all);
    if (next == NULL || all == NULL)
        return NULL;
    size_t off = 0;
    for (size_t g = 0; g < m->ngroups; g++) {
        m->groups[g].fields = all + off;
        next[g] = off;
        off += m->groups[g].n;
    }
    for (size_t i = 0; i < b.n; i++)
        all[next[b.entries[i].group]++] = b.entries[i].f;
    cache_put(c, o, set, m);
    return m;
}

static struct ofmap *fragment_fields(struct gql_vctx *c, uint32_t fi)
{
    const struct gql_definition *d = &c->doc->definitions[fi];
    struct ofmap *m = cache_get(c->overlap, d->selection_set);
    if (m != NULL)
        return m;
    return fields_and_fragments(c, gql_schema_type(c->schema, d->type_condition), d->selection_set);
}

/* ---- comparing ---- */

static bool value_equal(const struct gql_value *a, const struct gql_value *b, unsigned depth)
{
    if (a->kind != b->kind || depth > GQL_V_MAX_DEPTH)
        return false;
    switch (a->kind) {
    case GQL_VALUE_BOOLEAN:
        return a->boolean == b->boolean;
    case GQL_VALUE_NULL:
        return true;
    case GQL_VALUE_STRING:
        return a->block == b->block && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
    case GQL_VALUE_LIST:
        if (a->nitems != b->nitems)
            return false;
        for (size_t i = 0; i < a->nitems; i++)
            if (!value_equal(&a->items[i], &b->items[i], depth + 1))
                return false;
        return true;
    case GQL_VALUE_OBJECT:
        /* graphql-js compares print(sortValueNode(v)): fields in name order, a repeated name's
           values in document order */
        if (a->nfields != b->nfields)
            return false;
        for (size_t i = 0; i < a->nfields; i++) {
            size_t nth = 0, j;
            for (size_t k = 0; k < i; k++)
                nth += strcmp(a->fields[k].name, a->fields[i].name) == 0;
            for (j = 0; j < b->nfields; j++)
                if (strcmp(b->fields[j].name, a->fields[i].name) == 0 && nth-- == 0)
                    break;
            if (j == b->nfields ||
                !value_equal(&a->fields[i].value, &b->fields[j].value, depth + 1))
                return false;
        }
        return true;
    default:
        return strcmp(a->text, b->text) == 0;
    }
}

static bool same_arguments(const struct gql_selection *a, const struct gql_selection *b)
{
    if (a->nargs != b->nargs)
        return false;
    for (size_t i = 0; i < a->nargs; i++) {
        const struct gql_argument *other = NULL; /* the last of that name, as a JS Map */
        for (size_t j = 0; j < b->nargs; j++)
            if (strcmp(b->args[j].name, a->args[i].name) == 0)
                other = &b->args[j];
        if (other == NULL || !value_equal(&a->args[i].value, &other->value, 0))
            return false;
    }
    return true;
}

static bool types_conflict(const struct gql_type *a, const struct gql_type *b)
{
    for (unsigned d = 0; d < GQL_V_MAX_DEPTH; d++) {
        if (a->kind == GQL_KIND_LIST || b->kind == GQL_KIND_LIST) {
            if (a->kind != b->kind)
                return true;
        } else if (a->kind == GQL_KIND_NON_NULL || b->kind == GQL_KIND_NON_NULL) {
            if (a->kind != b->kind)
                return true;
        } else {
            if (gql_v_is_leaf(a) || gql_v_is_leaf(b))
                return a != b;
            return false;
        }
        a = a->of_type;
        b = b->of_type;
    }
    return false;
}

static void push_conflict(struct gql_vctx *c, struct oconflicts *out, const struct oconflict *cf)
{
    if (out->n >= MAX_CONFLICTS)
        return;
    if (!gql_v_grow(c, (void **)&out->items, out->n, &out->cap, sizeof *out->items))
        return;
    out->items[out->n++] = *cf;
}

static bool simple_conflict(struct gql_vctx *c, struct oconflict *cf, const char *response,
                            const char *msg, const struct gql_selection *a,
                            const struct gql_selection *b)
{
    const struct gql_selection **f = gql_v_alloc(c, 2 * sizeof *f);
    if (f == NULL)
        return false;
    f[0] = a;
    f[1] = b;
    memset(cf, 0, sizeof *cf);
    cf->name = response;
    cf->reason = msg;
    cf->f1 = f;
    cf->n1 = 1;
    cf->f2 = f + 1;
    cf->n2 = 1;
    return true;
}

/* graphql-js maybeAbbreviate. */
static const char *abbreviate(struct gql_vctx *c, const char *text)
{
    size_t len = strlen(text);
    if (len <= MAX_DETAIL)
        return text;
    struct gql_vstr s = {0};
    gql_vstr_add(c, &s, text, MAX_DETAIL);
    gql_vstr_addz(c, &s, "...");
    return gql_vstr_cstr(c, &s);
}

/* graphql-js collectConflictNodes: node, then the sub-conflicts' nodes (the last ones of each
   kept when space runs out), MAX_NODES in all. */
static const struct gql_selection **conflict_nodes(struct gql_vctx *c,
                                                   const struct gql_selection *node,
                                                   const struct oconflicts *subs, bool first,
                                                   size_t *n)
{
    const struct gql_selection **nodes = gql_v_alloc(c, MAX_NODES * sizeof *nodes);
    if (nodes == NULL)
        return NULL;
    nodes[0] = node;
    *n = 1;
    for (size_t i = 0; i < subs->n; i++) {
        size_t remaining = MAX_NODES - *n;
        const struct oconflict *cf = &subs->items[i];
        const struct gql_selection **from = first ? cf->f1 : cf->f2;
        size_t count = first ? cf->n1 : cf->n2;
        size_t skip = count > remaining ? count - remaining : 0;
        for (size_t k = skip; k < count; k++)
            nodes[(*n)++] = from[k];
        if (*n == MAX_NODES)
            break;
    }
    return nodes;
}

/* graphql-js subfieldConflicts: one conflict standing for those of two fields' sub-fields. */
static bool subfield_conflict(struct gql_vctx *c, struct oconflict *out, const char *response,
                              const struct gql_selection *node1, const struct gql_selection *node2,
                              const struct oconflicts *subs)
{
    struct gql_vstr msg = {0};
    for (size_t i = 0; i < subs->n; i++) {
        if (msg.len > 0)
            gql_vstr_addz(c, &msg, " and ");
        gql_vstr_addz(c, &msg, "subfields \"");
        gql_vstr_addz(c, &msg, abbreviate(c, subs->items[i].name));
        gql_vstr_addz(c, &msg, "\" conflict because ");
        gql_vstr_addz(c, &msg, subs->items[i].reason);
        if (msg.len > MAX_DETAIL)
            break;
    }
    memset(out, 0, sizeof *out);
    out->name = response;
    out->reason = abbreviate(c, gql_vstr_cstr(c, &msg));
    out->f1 = conflict_nodes(c, node1, subs, true, &out->n1);
    out->f2 = conflict_nodes(c, node2, subs, false, &out->n2);
    return out->f1 != NULL && out->f2 != NULL;
}

static void sub_selection_conflicts(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                                    const struct gql_type *p1, const struct gql_selection_set *s1,
                                    const struct gql_type *p2, const struct gql_selection_set *s2,
                                    unsigned depth);

static bool find_conflict(struct gql_vctx *c, bool parents_exclusive, const char *response,
                          const struct ofield *f1, const struct ofield *f2, unsigned depth,
                          struct oconflict *out)
{
    if (!spend(c, 2) || depth > GQL_V_MAX_DEPTH)
        return false;
    bool exclusive = parents_exclusive ||
                     (f1->parent != f2->parent && f1->parent != NULL && f2->parent != NULL &&
                      f1->parent->kind == GQL_KIND_OBJECT && f2->parent->kind == GQL_KIND_OBJECT);
    if (!exclusive) {
        if (strcmp(f1->node->name, f2->node->name) != 0) {
            struct gql_vstr s = {0};
            gql_vstr_addz(c, &s, "\"");
            gql_vstr_addz(c, &s, abbreviate(c, f1->node->name));
            gql_vstr_addz(c, &s, "\" and \"");
            gql_vstr_addz(c, &s, abbreviate(c, f2->node->name));
            gql_vstr_addz(c, &s, "\" are different fields");
            return simple_conflict(c, out, response, gql_vstr_cstr(c, &s), f1->node, f2->node);
        }
        if (!spend(c, (long)f1->node->nargs))
            return false;
        if (!same_arguments(f1->node, f2->node))
            return simple_conflict(c, out, response, "they have differing arguments", f1->node,
                                   f2->node);
    }
    const struct gql_type *t1 = f1->def ? f1->def->type : NULL;
    const struct gql_type *t2 = f2->def ? f2->def->type : NULL;
    if (t1 != NULL && t2 != NULL && t1 != t2 && !spend(c, 1))
        return false;
    if (t1 != NULL && t2 != NULL && types_conflict(t1, t2)) {
        struct gql_vstr s = {0};
        gql_vstr_addz(c, &s, "they return conflicting types \"");
        gql_vstr_addz(c, &s, gql_v_type_str(c, t1));
        gql_vstr_addz(c, &s, "\" and \"");
        gql_vstr_addz(c, &s, gql_v_type_str(c, t2));
        gql_vstr_addz(c, &s, "\"");
        return simple_conflict(c, out, response, gql_vstr_cstr(c, &s), f1->node, f2->node);
    }
    const struct gql_selection_set *s1 = f1->node->selection_set, *s2 = f2->node->selection_set;
    if (s1 == NULL || s2 == NULL)
        return false;
    struct oconflicts subs = {0};
    sub_selection_conflicts(c, &subs, exclusive, gql_type_named(t1), s1, gql_type_named(t2), s2,
                            depth + 1);
    if (subs.n == 0)
        return false;
    return subfield_conflict(c, out, response, f1->node, f2->node, &subs);
}

/* ---- classes of identical fields ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t value_hash(const struct gql_value *v, unsigned depth)
{
    uint64_t h = mix(v->kind, v->boolean);
    if (depth > GQL_V_MAX_DEPTH)
        return h;
    if (v->kind == GQL_VALUE_LIST) {
        for (size_t i = 0; i < v->nitems; i++)
            h = mix(h, value_hash(&v->items[i], depth + 1));
    } else if (v->kind == GQL_VALUE_OBJECT) {
        for (size_t i = 0; i < v->nfields; i++)
            h = mix(h, gql_v_hash(v->fields[i].name) ^ value_hash(&v->fields[i].value, depth + 1));
    } else if (v->text != NULL) {
        h = mix(h, gql_v_hash(v->text));
    }
    return h;
}

static uint64_t set_hash(const struct gql_selection_set *set, unsigned depth)
{
    uint64_t h = 0x51;
    if (set == NULL || depth > GQL_V_MAX_DEPTH)
        return h;
    for (size_t i = 0; i < set->n; i++) {
        const struct gql_selection *s = &set->items[i];
        h = mix(h, s->kind);
        if (s->name)
            h = mix(h, gql_v_hash(s->name));
        if (s->alias)
            h = mix(h, gql_v_hash(s->alias));
        if (s->type_condition)
            h = mix(h, gql_v_hash(s->type_condition));
        for (size_t k = 0; k < s->nargs; k++)
            h = mix(h, gql_v_hash(s->args[k].name) ^ value_hash(&s->args[k].value, 0));
        if (s->selection_set)
            h = mix(h, set_hash(s->selection_set, depth + 1));
    }
    return h;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool ordered_args(const struct gql_selection *a, const struct gql_selection *b)
{
    if (a->nargs != b->nargs)
        return false;
    for (size_t i = 0; i < a->nargs; i++)
        if (strcmp(a->args[i].name, b->args[i].name) != 0 ||
            !value_equal(&a->args[i].value, &b->args[i].value, 0))
            return false;
    return true;
}

/* The same selections, as far as this rule can tell (directives play no part in it). */
static bool set_same(const struct gql_selection_set *a, const struct gql_selection_set *b,
                     unsigned depth)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL || a->n != b->n || depth > GQL_V_MAX_DEPTH)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct gql_selection *x = &a->items[i], *y = &b->items[i];
        if (x->kind != y->kind || !str_same(x->name, y->name) || !str_same(x->alias, y->alias) ||
            !str_same(x->type_condition, y->type_condition) || !ordered_args(x, y) ||
            !set_same(x->selection_set, y->selection_set, depth + 1))
            return false;
    }
    return true;
}

static bool field_same(const struct ofield *a, const struct ofield *b)
{
    return a->parent == b->parent && a->def == b->def &&
           strcmp(a->node->name, b->node->name) == 0 && ordered_args(a->node, b->node) &&
           set_same(a->node->selection_set, b->node->selection_set, 0);
}

struct hashed {
    uint64_t hash;
    uint32_t index;
};

static int hashed_cmp(const void *pa, const void *pb)
{
    const struct hashed *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Splits a group into classes of identical fields. Two identical fields
 * compare the same against any third one, and against each other they only
 * conflict when one of them conflicts with itself; so comparing one pair of
 * representatives stands for every pair of members (see compare_groups).
 */
static bool group_classes(struct gql_vctx *c, struct ogroup *g)
{
    if (g->classed)
        return true;
    uint32_t *cls = gql_v_alloc(c, g->n * sizeof *cls);
    uint32_t *first = gql_v_alloc(c, g->n * sizeof *first); /* class -> first member */
    struct hashed *h = gql_v_alloc(c, g->n * sizeof *h);
    g->start = gql_v_alloc(c, (g->n + 1) * sizeof *g->start);
    g->members = gql_v_alloc(c, g->n * sizeof *g->members);
    if (cls == NULL || first == NULL || h == NULL || g->start == NULL || g->members == NULL)
        return false;
    for (size_t i = 0; i < g->n; i++) {
        h[i].hash = mix(mix(gql_v_hash(g->fields[i].node->name), (uintptr_t)g->fields[i].parent),
                        set_hash(g->fields[i].node->selection_set, 0));
        h[i].index = (uint32_t)i;
    }
    if (g->n > 1)
        qsort(h, g->n, sizeof *h, hashed_cmp);
    uint32_t nclasses = 0;
    for (size_t r = 0; r < g->n;) {
        size_t end = r + 1;
        while (end < g->n && h[end].hash == h[r].hash)
            end++;
        uint32_t run_first = nclasses;
        for (size_t k = r; k < end; k++) {
            uint32_t i = h[k].index, found = UINT32_MAX;
            for (uint32_t cl = run_first; cl < nclasses && found == UINT32_MAX; cl++)
                if (field_same(&g->fields[first[cl]], &g->fields[i]))
                    found = cl;
            if (found == UINT32_MAX) {
                found = nclasses++;
                first[found] = i;
            }
            cls[i] = found;
        }
        r = end;
    }
    /* renumber classes by their first member, then bucket the members in order */
    uint32_t *renum = gql_v_alloc(c, (nclasses + 1) * sizeof *renum);
    uint32_t *count = gql_v_alloc(c, (nclasses + 1) * sizeof *count);
    if (renum == NULL || count == NULL)
        return false;
    for (uint32_t cl = 0; cl < nclasses; cl++)
        renum[cl] = UINT32_MAX;
    uint32_t next = 0;
    for (size_t i = 0; i < g->n; i++)
        if (renum[cls[i]] == UINT32_MAX)
            renum[cls[i]] = next++;
    for (size_t i = 0; i < g->n; i++)
        count[renum[cls[i]]]++;
    g->start[0] = 0;
    for (uint32_t cl = 0; cl < nclasses; cl++)
        g->start[cl + 1] = g->start[cl] + count[cl];
    for (uint32_t cl = 0; cl < nclasses; cl++)
        count[cl] = g->start[cl];
    for (size_t i = 0; i < g->n; i++)
        g->members[count[renum[cls[i]]]++] = (uint32_t)i;
    g->nclasses = nclasses;
    g->classed = true;
    return true;
}

/* Field ia of a against field ib of b; within one group the earlier field goes first, as in
   graphql-js's (i, j) loops. The conflict's key orders it as those loops would. */
static void compare_pair(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                         const struct ogroup *a, uint32_t ia, const struct ogroup *b, uint32_t ib,
                         unsigned depth)
{
    if (a == b && ia > ib) {
        uint32_t t = ia;
        ia = ib;
        ib = t;
    }
    struct oconflict cf;
    if (out->n < MAX_CONFLICTS &&
        find_conflict(c, exclusive, a->name, &a->fields[ia], &b->fields[ib], depth, &cf)) {
        cf.key = (uint64_t)ia << 32 | ib;
        push_conflict(c, out, &cf);
    }
}

static int conflict_cmp(const void *pa, const void *pb)
{
    const struct oconflict *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return 0;
}

/*
 * Compares the fields of group a with those of group b (b == a: each pair
 * within a once), representatives first: only when two classes conflict
 * are their other members compared one by one. The conflicts found are
 * then put in the order graphql-js's pairwise loops would give.
 */
static void compare_groups(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                           struct ogroup *a, struct ogroup *b, unsigned depth)
{
    if (!group_classes(c, a) || !group_classes(c, b))
        return;
    bool within = a == b;
    size_t start = out->n;
    for (uint32_t ka = 0; ka < a->nclasses && out->n < MAX_CONFLICTS && !c->aborted; ka++) {
        const uint32_t *ma = a->members + a->start[ka];
        size_t na = a->start[ka + 1] - a->start[ka];
        if (within && na > 1) {
            size_t before = out->n;
            compare_pair(c, out, exclusive, a, ma[0], a, ma[1], depth);
            for (size_t i = 0; out->n > before && i < na; i++)
                for (size_t j = i + 1; j < na; j++)
                    if (i != 0 || j != 1)
                        compare_pair(c, out, exclusive, a, ma[i], a, ma[j], depth);
        }
        for (uint32_t kb = within ? ka + 1 : 0; kb < b->nclasses && out->n < MAX_CONFLICTS; kb++) {
            const uint32_t *mb = b->members + b->start[kb];
            size_t nb = b->start[kb + 1] - b->start[kb];
            size_t before = out->n;
            compare_pair(c, out, exclusive, a, ma[0], b, mb[0], depth);
            for (size_t i = 0; out->n > before && i < na; i++)
                for (size_t j = 0; j < nb; j++)
                    if (i != 0 || j != 0)
                        compare_pair(c, out, exclusive, a, ma[i], b, mb[j], depth);
        }
    }
    /* keys are distinct within one call: qsort's instability cannot show */
    if (out->n - start > 1)
        qsort(out->items + start, out->n - start, sizeof *out->items, conflict_cmp);
}

static void collect_between(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                            const struct ofmap *m1, const struct ofmap *m2, unsigned depth)
{
    if (m1->ngroups == 0 || m2->ngroups == 0)
        return;
    if (!spend(c, (long)m1->ngroups))
        return;
    for (size_t g = 0; g < m1->ngroups && !c->aborted && out->n < MAX_CONFLICTS; g++) {
        uint32_t g2;
        if (find_group(m2, m1->groups[g].name, &g2))
            compare_groups(c, out, exclusive, &m1->groups[g], &m2->groups[g2], depth);
    }
}

static void collect_within(struct gql_vctx *c, struct oconflicts *out, const struct ofmap *m)
{
    for (size_t g = 0; g < m->ngroups && !c->aborted && out->n < MAX_CONFLICTS; g++)
        if (m->groups[g].n > 1)
            compare_groups(c, out, false, &m->groups[g], &m->groups[g], 0);
}

/*
 * graphql-js collectConflictsBetweenFieldsAndFragment: the fields of m
 * against a fragment and the fragments it spreads. Each field map
 * remembers the fragments it was compared with (a non-exclusive comparison
 * covers an exclusive one), which also ends cycles.
 */
static void fields_and_fragment(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                                struct ofmap *m, uint32_t fragment, unsigned depth)
{
    if (!spend(c, 1) || m->ngroups == 0 || depth > GQL_V_MAX_DEPTH)
        return;
    const char *name = c->doc->definitions[fragment].name;
    uint32_t seen;
    if (gql_vmap_get(&m->compared, name, &seen) && (seen == 1 || exclusive))
        return;
    if (!gql_vmap_put(c, &m->compared, name, exclusive ? 2 : 1))
        return;
    struct ofmap *m2 = fragment_fields(c, fragment);
    if (m2 == NULL || m2 == m)
        return;
    collect_between(c, out, exclusive, m, m2, depth);
    for (size_t i = 0; i < m2->nfrags; i++)
        fields_and_fragment(c, out, exclusive, m, m2->frags[i], depth + 1);
}

static void between_fragments(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                              uint32_t f1, uint32_t f2, unsigned depth)
{
    if (!spend(c, 2) || f1 == f2 || depth > GQL_V_MAX_DEPTH)
        return;
    if (pair_has(c->overlap, f1, f2, exclusive))
        return;
    pair_add(c, c->overlap, f1, f2, exclusive);
    struct ofmap *m1 = fragment_fields(c, f1), *m2 = fragment_fields(c, f2);
    if (m1 == NULL || m2 == NULL)
        return;
    collect_between(c, out, exclusive, m1, m2, depth);
    for (size_t i = 0; i < m2->nfrags; i++)
        between_fragments(c, out, exclusive, f1, m2->frags[i], depth + 1);
    for (size_t i = 0; i < m1->nfrags; i++)
        between_fragments(c, out, exclusive, m1->frags[i], f2, depth + 1);
}

static void sub_selection_conflicts(struct gql_vctx *c, struct oconflicts *out, bool exclusive,
                                    const struct gql_type *p1, const struct gql_selection_set *s1,
                                    const struct gql_type *p2, const struct gql_selection_set *s2,
                                    unsigned depth)
{
    struct ofmap *m1 = fields_and_fragments(c, p1, s1);
    struct ofmap *m2 = fields_and_fragments(c, p2, s2);
    if (m1 == NULL || m2 == NULL)
        return;
    collect_between(c, out, exclusive, m1, m2, depth);
    for (size_t i = 0; i < m2->nfrags; i++)
        fields_and_fragment(c, out, exclusive, m1, m2->frags[i], depth);
    for (size_t i = 0; i < m1->nfrags; i++)
        fields_and_fragment(c, out, exclusive, m2, m1->frags[i], depth);
    for (size_t i = 0; i < m1->nfrags; i++)
        for (size_t j = 0; j < m2->nfrags; j++)
            between_fragments(c, out, exclusive, m1->frags[i], m2->frags[j], depth);
}

void gql_v_overlap(struct gql_vctx *c, const struct gql_type *parent,
                   const struct gql_selection_set *set, bool in_inline_fragment)
{
    /* as graphql-js 16.15: an inline fragment's selections are compared within the selection
       set that holds it, and a lone field has nothing to merge with */
    if (in_inline_fragment ||
        (set->n <= 1 && (set->n == 0 || set->items[0].kind != GQL_SEL_INLINE_FRAGMENT)))
        return;
    if (c->overlap == NULL) {
        c->overlap = gql_v_alloc(c, sizeof *c->overlap);
        if (c->overlap == NULL)
            return;
        c->overlap->budget = OVERLAP_BUDGET;
    }
    struct gql_voverlap *o = c->overlap;
    if (o->over_budget || c->aborted)
        return;
    struct ofmap *m = fields_and_fragments(c, parent, set);
    if (m == NULL)
        return;
    struct oconflicts out = {0};
    collect_within(c, &out, m);
    if (m->nfrags > 0 && (m->ngroups > 0 || m->nfrags > 1)) {
        for (size_t i = 0; i < m->nfrags && !c->aborted; i++) {
            fields_and_fragment(c, &out, false, m, m->frags[i], 0);
            for (size_t j = i + 1; j < m->nfrags; j++)
                between_fragments(c, &out, false, m->frags[i], m->frags[j], 0);
        }
    }
    for (size_t i = 0; i < out.n && !c->aborted; i++) {
        const struct oconflict *cf = &out.items[i];
        size_t nlocs = cf->n1 + cf->n2;
        struct gql_loc *locs = gql_v_alloc(c, nlocs * sizeof *locs);
        if (locs == NULL)
            return;
        for (size_t k = 0; k < cf->n1; k++)
            locs[k] = cf->f1[k]->loc;
        for (size_t k = 0; k < cf->n2; k++)
            locs[cf->n1 + k] = cf->f2[k]->loc;
        gql_v_error(c, "OverlappingFieldsCanBeMergedRule", locs, nlocs,
                    "Fields \"%s\" conflict because %s. Use different aliases on the fields to "
                    "fetch both if this was intentional.",
                    abbreviate(c, cf->name), cf->reason);
    }
}
