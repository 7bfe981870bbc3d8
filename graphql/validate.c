/*
 * Validation: graphql-js's specifiedRules (and, on request, its two custom
 * rules), with graphql-js's messages, locations and rule names.
 *
 * graphql-js runs its 26 rules as one parallel visitor with a TypeInfo. Here
 * the rules fall in three groups that each touch the document once:
 *   - this file: the document-level rules, which need the whole document or
 *     a whole operation (executable definitions, unique and lone operation
 *     names, fragment names, unused fragments, fragment cycles, variables
 *     defined/used/in allowed positions, single-field subscriptions);
 *   - validate_fields.c: one walk over every definition knowing the parent
 *     type, field and argument of each node (the per-node rules), which also
 *     records each definition's variable usages and fragment spreads so the
 *     per-operation rules never walk a fragment twice;
 *   - validate_values.c (literals) and validate_overlap.c (field merging),
 *     called from that walk.
 * Everything the validator allocates comes from one scratch arena dropped
 * when gql_validate returns; errors go to the caller's gql_errors. Nothing
 * recurses through fragment spreads: cycles are followed with explicit
 * stacks and visit marks, and nesting is capped by GQL_V_MAX_DEPTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/validate_internal.h"

/* ---- memory and errors ---- */

void *gql_v_alloc(struct gql_vctx *c, size_t size)
{
    void *p = gql_arena_alloc(c->arena, size ? size : 1);
    if (p == NULL) {
        c->rc = GQL_ENOMEM;
        c->aborted = true;
    }
    return p;
}

bool gql_v_grow(struct gql_vctx *c, void **items, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = gql_v_alloc(c, ncap * elem);
    if (p == NULL)
        return false;
    if (n > 0)
        memcpy(p, *items, n * elem);
    *items = p;
    *cap = ncap;
    return true;
}

void gql_v_error(struct gql_vctx *c, const char *rule, const struct gql_loc *locs, size_t nlocs,
                 const char *fmt, ...)
{
    if (c->aborted)
        return;
    if (c->nerrors >= GQL_V_MAX_ERRORS) {
        if (gql_errors_add(c->errs, NULL, NULL, 0, "%s",
                           "Too many validation errors, error limit reached. Validation "
                           "aborted.") < 0)
            c->rc = GQL_ENOMEM;
        c->aborted = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = len < 0 ? NULL : gql_v_alloc(c, (size_t)len + 1);
    if (msg == NULL) {
        c->rc = GQL_ENOMEM;
        c->aborted = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)len + 1, fmt, ap);
    va_end(ap);
    if (gql_errors_add(c->errs, rule, locs, nlocs, "%s", msg) < 0) {
        c->rc = GQL_ENOMEM;
        c->aborted = true;
        return;
    }
    c->nerrors++;
}

/* ---- maps ---- */

uint32_t gql_v_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

bool gql_vmap_get(const struct gql_vmap *m, const char *key, uint32_t *value)
{
    if (m->cap == 0)
        return false;
    uint32_t h = gql_v_hash(key);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const struct gql_vslot *s = &m->slots[i];
        if (s->key == NULL)
            return false;
        if (s->hash == h && strcmp(s->key, key) == 0) {
            *value = s->value;
            return true;
        }
    }
}

static void vmap_insert(struct gql_vslot *slots, size_t cap, const char *key, uint32_t h,
                        uint32_t value)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (slots[i].key == NULL || (slots[i].hash == h && strcmp(slots[i].key, key) == 0)) {
            slots[i].key = key;
            slots[i].hash = h;
            slots[i].value = value;
            return;
        }
    }
}

bool gql_vmap_put(struct gql_vctx *c, struct gql_vmap *m, const char *key, uint32_t value)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        struct gql_vslot *slots = gql_v_alloc(c, ncap * sizeof *slots);
        if (slots == NULL)
            return false;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key != NULL)
                vmap_insert(slots, ncap, m->slots[i].key, m->slots[i].hash, m->slots[i].value);
        m->slots = slots;
        m->cap = ncap;
    }
    uint32_t old;
    if (!gql_vmap_get(m, key, &old))
        m->n++;
    vmap_insert(m->slots, m->cap, key, gql_v_hash(key), value);
    return true;
}

long gql_v_fragment(const struct gql_vctx *c, const char *name)
{
    uint32_t v;
    return gql_vmap_get(&c->fragments, name, &v) ? (long)v : -1;
}

uint32_t *gql_v_first_of(struct gql_vctx *c, const char *const *names, size_t n)
{
    uint32_t *first = gql_v_alloc(c, n * sizeof *first);
    if (first == NULL)
        return NULL;
    if (n <= 8) {
        for (size_t i = 0; i < n; i++) {
            first[i] = (uint32_t)i;
            for (size_t j = 0; j < i; j++)
                if (strcmp(names[j], names[i]) == 0) {
                    first[i] = (uint32_t)j;
                    break;
                }
        }
        return first;
    }
    struct gql_vmap m = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        if (gql_vmap_get(&m, names[i], &v)) {
            first[i] = v;
        } else {
            first[i] = (uint32_t)i;
            if (!gql_vmap_put(c, &m, names[i], (uint32_t)i))
                return NULL;
        }
    }
    return first;
}

/* ---- strings ---- */

void gql_vstr_add(struct gql_vctx *c, struct gql_vstr *s, const char *text, size_t len)
{
    if (s->len + len + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 64;
        while (ncap < s->len + len + 1)
            ncap *= 2;
        char *p = gql_v_alloc(c, ncap);
        if (p == NULL)
            return;
        if (s->len)
            memcpy(p, s->p, s->len);
        s->p = p;
        s->cap = ncap;
    }
    memcpy(s->p + s->len, text, len);
    s->len += len;
    s->p[s->len] = '\0';
}

void gql_vstr_addz(struct gql_vctx *c, struct gql_vstr *s, const char *text)
{
    gql_vstr_add(c, s, text, strlen(text));
}

const char *gql_vstr_cstr(struct gql_vctx *c, struct gql_vstr *s)
{
    (void)c;
    return s->p ? s->p : "";
}

/* ---- suggestions (graphql-js jsutils/suggestionList.ts, didYouMean.ts, naturalCompare.ts) ---- */

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

int gql_v_natural_compare(const char *a, const char *b)
{
    size_t ai = 0, bi = 0, alen = strlen(a), blen = strlen(b);
    while (ai < alen && bi < blen) {
        int ac = (unsigned char)a[ai], bc = (unsigned char)b[bi];
        if (is_digit(ac) && is_digit(bc)) {
            double an = 0, bn = 0;
            do {
                ++ai;
                an = an * 10 + (ac - '0');
                ac = ai < alen ? (unsigned char)a[ai] : 0;
            } while (is_digit(ac) && an > 0);
            do {
                ++bi;
                bn = bn * 10 + (bc - '0');
                bc = bi < blen ? (unsigned char)b[bi] : 0;
            } while (is_digit(bc) && bn > 0);
            if (an < bn)
                return -1;
            if (an > bn)
                return 1;
        } else {
            if (ac < bc)
                return -1;
            if (ac > bc)
                return 1;
            ++ai;
            ++bi;
        }
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Damerau-Levenshtein distance of the lower-cased strings, or -1 past threshold. */
static long lexical_distance(const char *input, const char *lin, size_t blen, const char *option,
                             size_t threshold, size_t *rows)
{
    if (strcmp(input, option) == 0)
        return 0;
    size_t olen = strlen(option);
    bool same_lower = olen == blen;
    for (size_t i = 0; same_lower && i < olen; i++)
        same_lower = lower(option[i]) == lin[i];
    if (same_lower)
        return 1;
    /* a is the longer one */
    const char *a = option, *b = lin;
    size_t alen = olen;
    bool a_is_option = true;
    if (alen < blen) {
        a = lin;
        b = option;
        size_t t = alen;
        alen = blen;
        blen = t;
        a_is_option = false;
    }
#define A(i) (a_is_option ? lower(a[i]) : a[i])
#define B(j) (a_is_option ? b[j] : lower(b[j]))
    if (alen - blen > threshold)
        return -1;
    size_t w = blen + 1;
    for (size_t j = 0; j <= blen; j++)
        rows[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t *up = rows + ((i - 1) % 3) * w, *cur = rows + (i % 3) * w;
        size_t smallest = cur[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = A(i - 1) == B(j - 1) ? 0 : 1;
            size_t cell = up[j] + 1;
            if (cur[j - 1] + 1 < cell)
                cell = cur[j - 1] + 1;
            if (up[j - 1] + cost < cell)
                cell = up[j - 1] + cost;
            if (i > 1 && j > 1 && A(i - 1) == B(j - 2) && A(i - 2) == B(j - 1)) {
                size_t dd = rows[((i - 2) % 3) * w + j - 2] + 1;
                if (dd < cell)
                    cell = dd;
            }
            if (cell < smallest)
                smallest = cell;
            cur[j] = cell;
        }
        if (smallest > threshold)
            return -1;
    }
#undef A
#undef B
    size_t d = rows[(alen % 3) * w + blen];
    return d <= threshold ? (long)d : -1;
}

struct scored {
    const char *name;
    long distance;
    size_t order;
};

static int scored_cmp(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    if (a->distance != b->distance)
        return a->distance < b->distance ? -1 : 1;
    int n = gql_v_natural_compare(a->name, b->name);
    if (n != 0)
        return n;
    return a->order < b->order ? -1 : a->order > b->order;
}

size_t gql_v_suggest(struct gql_vctx *c, const char *input, const char *const *options,
                     size_t noptions, const char ***out)
{
    *out = NULL;
    size_t ilen = strlen(input);
    char *lin = gql_v_alloc(c, ilen + 1);
    struct scored *sc = gql_v_alloc(c, (noptions + 1) * sizeof *sc);
    if (lin == NULL || sc == NULL)
        return 0;
    for (size_t i = 0; i < ilen; i++)
        lin[i] = lower(input[i]);
    size_t threshold = (ilen * 4) / 10 + 1;
    size_t n = 0;
    /* the shorter string is at most ilen long: one set of rows serves every option */
    size_t *rows = gql_v_alloc(c, 3 * (ilen + 1) * sizeof *rows);
    if (rows == NULL)
        return 0;
    for (size_t i = 0; i < noptions; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(sc[j].name, options[i]) == 0;
        if (dup)
            continue;
        long d = lexical_distance(input, lin, ilen, options[i], threshold, rows);
        if (d >= 0) {
            sc[n].name = options[i];
            sc[n].distance = d;
            sc[n].order = i;
            n++;
        }
    }
    qsort(sc, n, sizeof *sc, scored_cmp);
    const char **names = gql_v_alloc(c, (n + 1) * sizeof *names);
    if (names == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        names[i] = sc[i].name;
    *out = names;
    return n;
}

const char *gql_v_did_you_mean(struct gql_vctx *c, const char *sub, const char *const *items,
                               size_t n)
{
    if (n == 0)
        return "";
    struct gql_vstr s = {0};
    gql_vstr_addz(c, &s, " Did you mean ");
    if (sub != NULL) {
        gql_vstr_addz(c, &s, sub);
        gql_vstr_addz(c, &s, " ");
    }
    if (n > 5)
        n = 5;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            gql_vstr_addz(c, &s, n == 2 ? " or " : i == n - 1 ? ", or " : ", ");
        gql_vstr_addz(c, &s, "\"");
        gql_vstr_addz(c, &s, items[i]);
        gql_vstr_addz(c, &s, "\"");
    }
    gql_vstr_addz(c, &s, "?");
    return gql_vstr_cstr(c, &s);
}

/* ---- printing ---- */

static void type_str(struct gql_vctx *c, struct gql_vstr *s, const struct gql_type *t,
                     unsigned depth)
{
    if (t == NULL || depth > GQL_V_MAX_DEPTH)
        return;
    if (t->kind == GQL_KIND_LIST) {
        gql_vstr_addz(c, s, "[");
        type_str(c, s, t->of_type, depth + 1);
        gql_vstr_addz(c, s, "]");
    } else if (t->kind == GQL_KIND_NON_NULL) {
        type_str(c, s, t->of_type, depth + 1);
        gql_vstr_addz(c, s, "!");
    } else {
        gql_vstr_addz(c, s, t->name);
    }
}

const char *gql_v_type_str(struct gql_vctx *c, const struct gql_type *type)
{
    struct gql_vstr s = {0};
    type_str(c, &s, type, 0);
    return gql_vstr_cstr(c, &s);
}

static void ref_str(struct gql_vctx *c, struct gql_vstr *s, const struct gql_type_ref *r,
                    unsigned depth)
{
    if (r == NULL || depth > GQL_V_MAX_DEPTH)
        return;
    if (r->kind == GQL_TYPE_LIST) {
        gql_vstr_addz(c, s, "[");
        ref_str(c, s, r->of, depth + 1);
        gql_vstr_addz(c, s, "]");
    } else if (r->kind == GQL_TYPE_NON_NULL) {
        ref_str(c, s, r->of, depth + 1);
        gql_vstr_addz(c, s, "!");
    } else {
        gql_vstr_addz(c, s, r->name);
    }
}

const char *gql_v_ref_str(struct gql_vctx *c, const struct gql_type_ref *ref)
{
    struct gql_vstr s = {0};
    ref_str(c, &s, ref, 0);
    return gql_vstr_cstr(c, &s);
}

/* graphql-js printString: JSON-like escapes, \uXXXX for control characters. */
static void string_str(struct gql_vctx *c, struct gql_vstr *s, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    gql_vstr_addz(c, s, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        const char *esc = NULL;
        char u[7];
        unsigned cp = 0x100;
        switch (ch) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                cp = ch;
            else if (ch == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
                     (unsigned char)text[i + 1] <= 0x9f)
                cp = (unsigned char)text[++i];
        }
        if (esc != NULL) {
            gql_vstr_addz(c, s, esc);
        } else if (cp < 0x100) {
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[cp >> 4];
            u[5] = hex[cp & 15];
            u[6] = '\0';
            gql_vstr_addz(c, s, u);
        } else {
            gql_vstr_add(c, s, (const char *)&text[i], 1);
        }
    }
    gql_vstr_addz(c, s, "\"");
}

static void value_str(struct gql_vctx *c, struct gql_vstr *s, const struct gql_value *v,
                      unsigned depth)
{
    if (depth > GQL_V_MAX_DEPTH) {
        gql_vstr_addz(c, s, "...");
        return;
    }
    switch (v->kind) {
    case GQL_VALUE_VARIABLE:
        gql_vstr_addz(c, s, "$");
        gql_vstr_addz(c, s, v->text);
        break;
    case GQL_VALUE_INT:
    case GQL_VALUE_FLOAT:
    case GQL_VALUE_ENUM:
        gql_vstr_addz(c, s, v->text);
        break;
    case GQL_VALUE_STRING:
        if (v->block) {
            bool multi =
                memchr(v->text, '\n', v->len) != NULL || v->len > 70 ||
                (v->len > 0 && (v->text[v->len - 1] == '"' || v->text[v->len - 1] == '\\'));
            gql_vstr_addz(c, s, multi ? "\"\"\"\n" : "\"\"\"");
            for (size_t i = 0; i < v->len; i++) {
                if (i + 2 < v->len && memcmp(v->text + i, "\"\"\"", 3) == 0) {
                    gql_vstr_addz(c, s, "\\\"\"\"");
                    i += 2;
                } else {
                    gql_vstr_add(c, s, v->text + i, 1);
                }
            }
            gql_vstr_addz(c, s, multi ? "\n\"\"\"" : "\"\"\"");
        } else {
            string_str(c, s, v->text, v->len);
        }
        break;
    case GQL_VALUE_BOOLEAN:
        gql_vstr_addz(c, s, v->boolean ? "true" : "false");
        break;
    case GQL_VALUE_NULL:
        gql_vstr_addz(c, s, "null");
        break;
    case GQL_VALUE_LIST:
        gql_vstr_addz(c, s, "[");
        for (size_t i = 0; i < v->nitems; i++) {
            if (i > 0)
                gql_vstr_addz(c, s, ", ");
            value_str(c, s, &v->items[i], depth + 1);
        }
        gql_vstr_addz(c, s, "]");
        break;
    case GQL_VALUE_OBJECT:
        gql_vstr_addz(c, s, "{");
        for (size_t i = 0; i < v->nfields; i++) {
            if (i > 0)
                gql_vstr_addz(c, s, ", ");
            gql_vstr_addz(c, s, v->fields[i].name);
            gql_vstr_addz(c, s, ": ");
            value_str(c, s, &v->fields[i].value, depth + 1);
        }
        gql_vstr_addz(c, s, "}");
        break;
    }
}

const char *gql_v_value_str(struct gql_vctx *c, const struct gql_value *v)
{
    struct gql_vstr s = {0};
    value_str(c, &s, v, 0);
    return gql_vstr_cstr(c, &s);
}

/* ---- types ---- */

const struct gql_type_ref *gql_v_ref_named(const struct gql_type_ref *ref)
{
    for (unsigned d = 0; ref != NULL && ref->kind != GQL_TYPE_NAMED && d < GQL_V_MAX_DEPTH; d++)
        ref = ref->of;
    return ref != NULL && ref->kind == GQL_TYPE_NAMED ? ref : NULL;
}

static const struct gql_type *type_from_ref(struct gql_vctx *c, const struct gql_type_ref *ref,
                                            unsigned depth)
{
    if (ref == NULL || depth > GQL_V_MAX_DEPTH)
        return NULL;
    if (ref->kind == GQL_TYPE_NAMED)
        return gql_schema_type(c->schema, ref->name);
    const struct gql_type *of = type_from_ref(c, ref->of, depth + 1);
    if (of == NULL)
        return NULL;
    struct gql_type *t = gql_v_alloc(c, sizeof *t);
    if (t == NULL)
        return NULL;
    t->kind = ref->kind == GQL_TYPE_LIST ? GQL_KIND_LIST : GQL_KIND_NON_NULL;
    t->of_type = of;
    return t;
}

const struct gql_type *gql_v_type_from_ref(struct gql_vctx *c, const struct gql_type_ref *ref)
{
    return type_from_ref(c, ref, 0);
}

bool gql_v_is_composite(const struct gql_type *t)
{
    return t != NULL && (t->kind == GQL_KIND_OBJECT || t->kind == GQL_KIND_INTERFACE ||
                         t->kind == GQL_KIND_UNION);
}

bool gql_v_is_input(const struct gql_type *t)
{
    t = gql_type_named(t);
    return t != NULL && (t->kind == GQL_KIND_SCALAR || t->kind == GQL_KIND_ENUM ||
                         t->kind == GQL_KIND_INPUT_OBJECT);
}

bool gql_v_is_leaf(const struct gql_type *t)
{
    return t != NULL && (t->kind == GQL_KIND_SCALAR || t->kind == GQL_KIND_ENUM);
}

bool gql_v_is_possible(const struct gql_type *abstract, const struct gql_type *maybe_sub)
{
    if (abstract == NULL || maybe_sub == NULL)
        return false;
    if (abstract->kind == GQL_KIND_UNION) {
        for (size_t i = 0; i < abstract->npossible_types; i++)
            if (abstract->possible_types[i] == maybe_sub)
                return true;
        return false;
    }
    if (abstract->kind != GQL_KIND_INTERFACE)
        return false;
    for (size_t i = 0; i < maybe_sub->ninterfaces; i++)
        if (maybe_sub->interfaces[i] == abstract)
            return true;
    if (maybe_sub->kind == GQL_KIND_OBJECT)
        for (size_t i = 0; i < abstract->npossible_types; i++)
            if (abstract->possible_types[i] == maybe_sub)
                return true;
    return false;
}

bool gql_v_type_equal(const struct gql_type *a, const struct gql_type *b)
{
    for (unsigned d = 0; a != NULL && b != NULL && d < GQL_V_MAX_DEPTH; d++) {
        if (a == b)
            return true;
        if (a->kind != b->kind || (a->kind != GQL_KIND_LIST && a->kind != GQL_KIND_NON_NULL))
            return false;
        a = a->of_type;
        b = b->of_type;
    }
    return a == b;
}

bool gql_v_is_subtype(const struct gql_type *sub, const struct gql_type *super)
{
    for (unsigned d = 0; sub != NULL && super != NULL && d < GQL_V_MAX_DEPTH; d++) {
        if (gql_v_type_equal(sub, super))
            return true;
        if (super->kind == GQL_KIND_NON_NULL) {
            if (sub->kind != GQL_KIND_NON_NULL)
                return false;
            sub = sub->of_type;
            super = super->of_type;
        } else if (sub->kind == GQL_KIND_NON_NULL) {
            sub = sub->of_type;
        } else if (super->kind == GQL_KIND_LIST) {
            if (sub->kind != GQL_KIND_LIST)
                return false;
            sub = sub->of_type;
            super = super->of_type;
        } else if (sub->kind == GQL_KIND_LIST) {
            return false;
        } else {
            return (super->kind == GQL_KIND_UNION || super->kind == GQL_KIND_INTERFACE) &&
                   (sub->kind == GQL_KIND_INTERFACE || sub->kind == GQL_KIND_OBJECT) &&
                   gql_v_is_possible(super, sub);
        }
    }
    return false;
}

static bool is_abstract(const struct gql_type *t)
{
    return t->kind == GQL_KIND_UNION || t->kind == GQL_KIND_INTERFACE;
}

bool gql_v_types_overlap(const struct gql_type *a, const struct gql_type *b)
{
    if (a == b)
        return true;
    if (is_abstract(a)) {
        if (is_abstract(b)) {
            for (size_t i = 0; i < a->npossible_types; i++)
                if (gql_v_is_possible(b, a->possible_types[i]))
                    return true;
            return false;
        }
        return gql_v_is_possible(a, b);
    }
    if (is_abstract(b))
        return gql_v_is_possible(b, a);
    return false;
}

const struct gql_field *gql_v_own_field(const struct gql_vctx *c, const struct gql_type *type,
                                        const char *name)
{
    if (type == NULL || (type->kind != GQL_KIND_OBJECT && type->kind != GQL_KIND_INTERFACE))
        return NULL;
    if (name[0] == '_' && name[1] == '_') {
        for (size_t i = 0; i < type->nfields; i++)
            if (strcmp(type->fields[i].name, name) == 0)
                return &type->fields[i];
        return NULL;
    }
    return gql_type_field(c->schema, type, name);
}

const struct gql_field *gql_v_field_def(const struct gql_vctx *c, const struct gql_type *parent,
                                        const char *name)
{
    if (parent == NULL)
        return NULL;
    if (name[0] == '_' && name[1] == '_') {
        if (strcmp(name, "__schema") == 0 || strcmp(name, "__type") == 0) {
            if (parent == c->schema->query)
                return gql_type_field(c->schema, parent, name);
            return NULL;
        }
        if (strcmp(name, "__typename") == 0) {
            if (!gql_v_is_composite(parent))
                return NULL;
            const struct gql_field *f = gql_type_field(c->schema, parent, name);
            return f != NULL ? f : gql_type_field(c->schema, c->schema->query, name);
        }
    }
    return gql_v_own_field(c, parent, name);
}

const struct gql_input_value *gql_v_find_arg(const struct gql_input_value *args, size_t n,
                                             const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(args[i].name, name) == 0)
            return &args[i];
    return NULL;
}

const char *gql_v_deprecation(bool deprecated, const char *reason)
{
    if (reason != NULL)
        return reason;
    return deprecated ? "No longer supported" : NULL;
}

/* ---- fragment spreads (graphql-js ValidationContext) ---- */

void gql_v_spreads(struct gql_vctx *c, size_t def_index)
{
    struct gql_vdef *d = &c->defs[def_index];
    if (d->spreads_done)
        return;
    d->spreads_done = true;
    const struct gql_selection_set *root = c->doc->definitions[def_index].selection_set;
    if (root == NULL)
        return;
    const struct gql_selection_set **stack = NULL;
    size_t nstack = 0, capstack = 0, capspreads = 0;
    if (!gql_v_grow(c, (void **)&stack, nstack, &capstack, sizeof *stack))
        return;
    stack[nstack++] = root;
    while (nstack > 0) {
        const struct gql_selection_set *set = stack[--nstack];
        for (size_t i = 0; i < set->n; i++) {
            const struct gql_selection *sel = &set->items[i];
            if (sel->kind == GQL_SEL_FRAGMENT_SPREAD) {
                if (!gql_v_grow(c, (void **)&d->spreads, d->nspreads, &capspreads,
                                sizeof *d->spreads))
                    return;
                d->spreads[d->nspreads++] = sel;
            } else if (sel->selection_set != NULL) {
                if (!gql_v_grow(c, (void **)&stack, nstack, &capstack, sizeof *stack))
                    return;
                stack[nstack++] = sel->selection_set;
            }
        }
    }
}

size_t gql_v_referenced_fragments(struct gql_vctx *c, size_t op_index, uint32_t **out)
{
    uint32_t *list = NULL;
    size_t n = 0, cap = 0;
    size_t *stack = NULL, nstack = 0, capstack = 0;
    uint32_t stamp = ++c->stamp;
    *out = NULL;
    if (!gql_v_grow(c, (void **)&stack, nstack, &capstack, sizeof *stack))
        return 0;
    stack[nstack++] = op_index;
    while (nstack > 0 && !c->aborted) {
        size_t di = stack[--nstack];
        gql_v_spreads(c, di);
        struct gql_vdef *d = &c->defs[di];
        for (size_t i = 0; i < d->nspreads; i++) {
            long fi = gql_v_fragment(c, d->spreads[i]->name);
            if (fi < 0 || c->defs[fi].stamp == stamp)
                continue;
            c->defs[fi].stamp = stamp;
            if (!gql_v_grow(c, (void **)&list, n, &cap, sizeof *list) ||
                !gql_v_grow(c, (void **)&stack, nstack, &capstack, sizeof *stack))
                return 0;
            list[n++] = (uint32_t)fi;
            stack[nstack++] = (size_t)fi;
        }
    }
    *out = list;
    return n;
}

/* ---- document-level rules ---- */

static void executable_definitions(struct gql_vctx *c)
{
    for (size_t i = 0; i < c->doc->n; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind == GQL_DEF_OPERATION || d->kind == GQL_DEF_FRAGMENT)
            continue;
        struct gql_loc loc = gql_v_node_loc(d->loc, d->description_loc);
        if (d->kind == GQL_DEF_SCHEMA)
            gql_v_error(c, "ExecutableDefinitionsRule", &loc, 1,
                        "The schema definition is not executable.");
        else
            gql_v_error(c, "ExecutableDefinitionsRule", &loc, 1,
                        "The \"%s\" definition is not executable.", d->name ? d->name : "");
    }
}

static void operation_names(struct gql_vctx *c)
{
    size_t nops = 0;
    struct gql_vmap seen = {0};
    for (size_t i = 0; i < c->doc->n; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind != GQL_DEF_OPERATION)
            continue;
        nops++;
        if (d->name == NULL)
            continue;
        uint32_t first;
        if (gql_vmap_get(&seen, d->name, &first)) {
            struct gql_loc locs[2] = {c->doc->definitions[first].name_loc, d->name_loc};
            gql_v_error(c, "UniqueOperationNamesRule", locs, 2,
                        "There can be only one operation named \"%s\".", d->name);
        } else if (!gql_vmap_put(c, &seen, d->name, (uint32_t)i)) {
            return;
        }
    }
    for (size_t i = 0; i < c->doc->n && nops > 1; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        struct gql_loc loc = gql_v_node_loc(d->loc, d->description_loc);
        if (d->kind == GQL_DEF_OPERATION && d->name == NULL)
            gql_v_error(c, "LoneAnonymousOperationRule", &loc, 1,
                        "This anonymous operation must be the only defined operation.");
    }
}

static void fragment_names(struct gql_vctx *c)
{
    struct gql_vmap seen = {0};
    for (size_t i = 0; i < c->doc->n; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind != GQL_DEF_FRAGMENT)
            continue;
        uint32_t first;
        if (gql_vmap_get(&seen, d->name, &first)) {
            struct gql_loc locs[2] = {c->doc->definitions[first].name_loc, d->name_loc};
            gql_v_error(c, "UniqueFragmentNamesRule", locs, 2,
                        "There can be only one fragment named \"%s\".", d->name);
        } else if (!gql_vmap_put(c, &seen, d->name, (uint32_t)i)) {
            return;
        }
    }
}

static void unused_fragments(struct gql_vctx *c)
{
    /* marks live in a separate array: gql_v_referenced_fragments reuses the stamps */
    bool *is_used = gql_v_alloc(c, c->doc->n + 1);
    if (is_used == NULL)
        return;
    for (size_t i = 0; i < c->doc->n && !c->aborted; i++) {
        if (c->doc->definitions[i].kind != GQL_DEF_OPERATION)
            continue;
        uint32_t *frags;
        size_t n = gql_v_referenced_fragments(c, i, &frags);
        for (size_t j = 0; j < n; j++)
            is_used[frags[j]] = true;
    }
    for (size_t i = 0; i < c->doc->n; i++) {
        const struct gql_definition *d = &c->doc->definitions[i];
        if (d->kind != GQL_DEF_FRAGMENT)
            continue;
        /* graphql-js marks by name: a duplicate of a used name counts as used */
        long winner = gql_v_fragment(c, d->name);
        struct gql_loc loc = gql_v_node_loc(d->loc, d->description_loc);
        if (winner < 0 || !is_used[winner])
            gql_v_error(c, "NoUnusedFragmentsRule", &loc, 1, "Fragment \"%s\" is never used.",
                        d->name);
    }
}

/*
 * graphql-js NoFragmentCyclesRule, with an explicit stack instead of
 * recursion. Marks are by name (the winning definition's index stands for
 * the name); each fragment definition starts a search from its own
 * spreads, the spreads it leads to are followed to the winning definition.
 */
static void fragment_cycles(struct gql_vctx *c)
{
    size_t ndefs = c->doc->n;
    bool *visited = gql_v_alloc(c, ndefs + 1);
    long *path_index = gql_v_alloc(c, (ndefs + 1) * sizeof *path_index);
    const struct gql_selection **path = gql_v_alloc(c, (ndefs + 1) * sizeof *path);
    struct frame {
        size_t def;  /* whose spreads */
        size_t name; /* the winning definition of its name */
        size_t next;
    } *stack = gql_v_alloc(c, (ndefs + 1) * sizeof *stack);
    if (visited == NULL || path_index == NULL || path == NULL || stack == NULL)
        return;
    for (size_t i = 0; i < ndefs; i++)
        path_index[i] = -1;
    for (size_t root = 0; root < ndefs && !c->aborted; root++) {
        const struct gql_definition *rd = &c->doc->definitions[root];
        if (rd->kind != GQL_DEF_FRAGMENT)
            continue;
        long rname = gql_v_fragment(c, rd->name);
        if (rname < 0 || visited[rname])
            continue;
        visited[rname] = true;
        gql_v_spreads(c, root);
        if (c->defs[root].nspreads == 0)
            continue;
        size_t depth = 0, npath = 0;
        path_index[rname] = 0;
        stack[0].def = root;
        stack[0].name = (size_t)rname;
        stack[0].next = 0;
        depth = 1;
        while (depth > 0 && !c->aborted) {
            struct frame *f = &stack[depth - 1];
            struct gql_vdef *d = &c->defs[f->def];
            if (f->next > 0)
                npath--; /* the spread we came back from */
            if (f->next == d->nspreads) {
                path_index[f->name] = -1;
                depth--;
                continue;
            }
            const struct gql_selection *spread = d->spreads[f->next++];
            long fi = gql_v_fragment(c, spread->name);
            path[npath++] = spread;
            if (fi >= 0 && path_index[fi] >= 0) {
                size_t from = (size_t)path_index[fi];
                struct gql_vstr via = {0};
                size_t nlocs = npath - from;
                struct gql_loc *locs = gql_v_alloc(c, nlocs * sizeof *locs);
                if (locs == NULL)
                    return;
                for (size_t k = from; k < npath; k++) {
                    locs[k - from] = path[k]->loc;
                    if (k + 1 < npath) {
                        if (k > from)
                            gql_vstr_addz(c, &via, ", ");
                        gql_vstr_addz(c, &via, "\"");
                        gql_vstr_addz(c, &via, path[k]->name);
                        gql_vstr_addz(c, &via, "\"");
                    }
                }
                if (via.len > 0)
                    gql_v_error(c, "NoFragmentCyclesRule", locs, nlocs,
                                "Cannot spread fragment \"%s\" within itself via %s.", spread->name,
                                via.p);
                else
                    gql_v_error(c, "NoFragmentCyclesRule", locs, nlocs,
                                "Cannot spread fragment \"%s\" within itself.", spread->name);
                continue; /* pops the spread on the next turn */
            }
            if (fi < 0 || visited[fi])
                continue;
            visited[fi] = true;
            gql_v_spreads(c, (size_t)fi);
            if (c->defs[fi].nspreads == 0)
                continue;
            path_index[fi] = (long)npath;
            stack[depth].def = (size_t)fi;
            stack[depth].name = (size_t)fi;
            stack[depth].next = 0;
            depth++;
        }
    }
}

static void variable_names(struct gql_vctx *c, const struct gql_definition *op)
{
    if (op->nvariables < 2)
        return;
    const char **names = gql_v_alloc(c, op->nvariables * sizeof *names);
    if (names == NULL)
        return;
    for (size_t i = 0; i < op->nvariables; i++)
        names[i] = op->variables[i].name;
    uint32_t *first = gql_v_first_of(c, names, op->nvariables);
    if (first == NULL)
        return;
    for (size_t i = 0; i < op->nvariables; i++) {
        if (first[i] != i)
            continue;
        size_t n = 0;
        for (size_t j = i; j < op->nvariables; j++)
            n += first[j] == i;
        if (n < 2)
            continue;
        struct gql_loc *locs = gql_v_alloc(c, n * sizeof *locs);
        if (locs == NULL)
            return;
        n = 0;
        for (size_t j = i; j < op->nvariables; j++)
            if (first[j] == i) {
                locs[n] = op->variables[j].loc; /* graphql-js points at the name after '$' */
                locs[n++].column++;
            }
        gql_v_error(c, "UniqueVariableNamesRule", locs, n,
                    "There can be only one variable named \"$%s\".", names[i]);
    }
}

/* graphql-js allowedVariableUsage. */
static bool allowed_usage(const struct gql_type *var_type, const struct gql_value *var_default,
                          const struct gql_type *location, bool location_default)
{
    if (location->kind == GQL_KIND_NON_NULL && var_type->kind != GQL_KIND_NON_NULL) {
        bool non_null_default = var_default != NULL && var_default->kind != GQL_VALUE_NULL;
        if (!non_null_default && !location_default)
            return false;
        return gql_v_is_subtype(var_type, location->of_type);
    }
    return gql_v_is_subtype(var_type, location);
}

/* NoUndefinedVariables, NoUnusedVariables, VariablesInAllowedPosition for one operation. */
static void operation_variables(struct gql_vctx *c, size_t op_index)
{
    const struct gql_definition *op = &c->doc->definitions[op_index];
    uint32_t *frags;
    size_t nfrags = gql_v_referenced_fragments(c, op_index, &frags);
    if (c->aborted)
        return;
    struct gql_vmap vars = {0};
    const struct gql_type **var_types = gql_v_alloc(c, (op->nvariables + 1) * sizeof *var_types);
    bool *used = gql_v_alloc(c, op->nvariables + 1);
    if (var_types == NULL || used == NULL)
        return;
    for (size_t i = 0; i < op->nvariables; i++) {
        if (!gql_vmap_put(c, &vars, op->variables[i].name, (uint32_t)i)) /* the last wins */
            return;
        var_types[i] = gql_v_type_from_ref(c, op->variables[i].type);
    }
    for (size_t k = 0; k <= nfrags && !c->aborted; k++) {
        const struct gql_vdef *d = &c->defs[k == 0 ? op_index : frags[k - 1]];
        for (size_t u = 0; u < d->nusages && !c->aborted; u++) {
            const struct gql_vusage *us = &d->usages[u];
            uint32_t vi;
            if (!gql_vmap_get(&vars, us->name, &vi)) {
                struct gql_loc locs[2] = {us->loc, gql_v_node_loc(op->loc, op->description_loc)};
                if (op->name != NULL)
                    gql_v_error(c, "NoUndefinedVariablesRule", locs, 2,
                                "Variable \"$%s\" is not defined by operation \"%s\".", us->name,
                                op->name);
                else
                    gql_v_error(c, "NoUndefinedVariablesRule", locs, 2,
                                "Variable \"$%s\" is not defined.", us->name);
                continue;
            }
            const struct gql_variable_def *vd = &op->variables[vi];
            used[vi] = true;
            if (us->type == NULL || var_types[vi] == NULL)
                continue;
            if (!allowed_usage(var_types[vi], vd->default_value, us->type,
                               us->has_location_default)) {
                struct gql_loc locs[2] = {gql_v_node_loc(vd->loc, vd->description_loc), us->loc};
                gql_v_error(c, "VariablesInAllowedPositionRule", locs, 2,
                            "Variable \"$%s\" of type \"%s\" used in position expecting type "
                            "\"%s\".",
                            us->name, gql_v_type_str(c, var_types[vi]),
                            gql_v_type_str(c, us->type));
            }
        }
    }
    for (size_t i = 0; i < op->nvariables; i++) {
        uint32_t vi = 0;
        if (gql_vmap_get(&vars, op->variables[i].name, &vi) && used[vi])
            continue;
        struct gql_loc loc = gql_v_node_loc(op->variables[i].loc, op->variables[i].description_loc);
        if (op->name != NULL)
            gql_v_error(c, "NoUnusedVariablesRule", &loc, 1,
                        "Variable \"$%s\" is never used in operation \"%s\".",
                        op->variables[i].name, op->name);
        else
            gql_v_error(c, "NoUnusedVariablesRule", &loc, 1, "Variable \"$%s\" is never used.",
                        op->variables[i].name);
    }
}

/* ---- SingleFieldSubscriptions: collectFields over the subscription type ---- */

struct sub_field {
    const char *response;
    const struct gql_selection *first;
    struct gql_loc *locs;
    size_t nlocs, caplocs;
};

struct sub_collect {
    struct sub_field *fields;
    size_t n, cap;
    struct gql_vmap by_response;
    bool *visited; /* fragment definitions */
};

static bool literal_skipped(const struct gql_directive *dirs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool skip = strcmp(dirs[i].name, "skip") == 0;
        if (!skip && strcmp(dirs[i].name, "include") != 0)
            continue;
        for (size_t j = 0; j < dirs[i].nargs; j++)
            if (strcmp(dirs[i].args[j].name, "if") == 0 &&
                dirs[i].args[j].value.kind == GQL_VALUE_BOOLEAN &&
                dirs[i].args[j].value.boolean == skip)
                return true;
    }
    return false;
}

static bool condition_matches(struct gql_vctx *c, const char *cond, const struct gql_type *type)
{
    if (cond == NULL)
        return true;
    const struct gql_type *t = gql_schema_type(c->schema, cond);
    if (t == type)
        return true;
    if (t != NULL && is_abstract(t))
        return gql_v_is_possible(t, type);
    return false;
}

static void sub_collect(struct gql_vctx *c, struct sub_collect *sc, const struct gql_type *type,
                        const struct gql_selection_set *set, unsigned depth)
{
    if (depth > GQL_V_MAX_DEPTH || set == NULL)
        return;
    for (size_t i = 0; i < set->n && !c->aborted; i++) {
        const struct gql_selection *s = &set->items[i];
        if (literal_skipped(s->directives, s->ndirectives))
            continue;
        if (s->kind == GQL_SEL_FIELD) {
            const char *response = s->alias ? s->alias : s->name;
            uint32_t k32;
            size_t k = gql_vmap_get(&sc->by_response, response, &k32) ? k32 : sc->n;
            if (k == sc->n) {
                if (!gql_v_grow(c, (void **)&sc->fields, sc->n, &sc->cap, sizeof *sc->fields) ||
                    !gql_vmap_put(c, &sc->by_response, response, (uint32_t)k))
                    return;
                memset(&sc->fields[k], 0, sizeof sc->fields[k]);
                sc->fields[k].response = response;
                sc->fields[k].first = s;
                sc->n++;
            }
            struct sub_field *f = &sc->fields[k];
            if (!gql_v_grow(c, (void **)&f->locs, f->nlocs, &f->caplocs, sizeof *f->locs))
                return;
            f->locs[f->nlocs++] = s->loc;
        } else if (s->kind == GQL_SEL_INLINE_FRAGMENT) {
            if (condition_matches(c, s->type_condition, type))
                sub_collect(c, sc, type, s->selection_set, depth + 1);
        } else {
            long fi = gql_v_fragment(c, s->name);
            if (fi < 0 || sc->visited[fi])
                continue;
            sc->visited[fi] = true;
            const struct gql_definition *fd = &c->doc->definitions[fi];
            if (condition_matches(c, fd->type_condition, type))
                sub_collect(c, sc, type, fd->selection_set, depth + 1);
        }
    }
}

static void single_field_subscription(struct gql_vctx *c, const struct gql_definition *op)
{
    const struct gql_type *type = c->schema->subscription;
    if (type == NULL)
        return;
    struct sub_collect sc = {0};
    sc.visited = gql_v_alloc(c, c->doc->n + 1);
    if (sc.visited == NULL)
        return;
    sub_collect(c, &sc, type, op->selection_set, 0);
    if (sc.n > 1) {
        size_t n = 0;
        for (size_t i = 1; i < sc.n; i++)
            n += sc.fields[i].nlocs;
        struct gql_loc *locs = gql_v_alloc(c, n * sizeof *locs);
        if (locs == NULL)
            return;
        n = 0;
        for (size_t i = 1; i < sc.n; i++)
            for (size_t j = 0; j < sc.fields[i].nlocs; j++)
                locs[n++] = sc.fields[i].locs[j];
        if (op->name != NULL)
            gql_v_error(c, "SingleFieldSubscriptionsRule", locs, n,
                        "Subscription \"%s\" must select only one top level field.", op->name);
        else
            gql_v_error(c, "SingleFieldSubscriptionsRule", locs, n,
                        "Anonymous Subscription must select only one top level field.");
    }
    for (size_t i = 0; i < sc.n; i++) {
        const char *name = sc.fields[i].first->name;
        if (name[0] != '_' || name[1] != '_')
            continue;
        if (op->name != NULL)
            gql_v_error(c, "SingleFieldSubscriptionsRule", sc.fields[i].locs, sc.fields[i].nlocs,
                        "Subscription \"%s\" must not select an introspection top level field.",
                        op->name);
        else
            gql_v_error(c, "SingleFieldSubscriptionsRule", sc.fields[i].locs, sc.fields[i].nlocs,
                        "Anonymous Subscription must not select an introspection top level "
                        "field.");
    }
}

/* ---- the driver ---- */

int gql_validate_ex(const struct gql_schema *schema, const struct gql_document *doc,
                    unsigned options, struct gql_errors *errs)
{
    if (schema == NULL || doc == NULL || errs == NULL)
        return GQL_EARG;
    struct gql_vctx ctx = {0}, *c = &ctx;
    c->schema = schema;
    c->doc = doc;
    c->errs = errs;
    c->options = options;
    c->arena = gql_arena_new();
    if (c->arena == NULL)
        return GQL_ENOMEM;
    c->defs = gql_v_alloc(c, (doc->n + 1) * sizeof *c->defs);
    if (c->defs == NULL)
        goto out;
    for (size_t i = 0; i < doc->n; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        if (d->kind == GQL_DEF_FRAGMENT && !gql_vmap_put(c, &c->fragments, d->name, (uint32_t)i))
            goto out;
        /* graphql-js's KnownTypeNames also knows the types the document defines */
        if (d->kind >= GQL_DEF_SCALAR && d->kind <= GQL_DEF_INPUT_OBJECT && !d->extension &&
            !gql_vmap_put(c, &c->defined_types, d->name, (uint32_t)i))
            goto out;
    }

    executable_definitions(c);
    operation_names(c);
    fragment_names(c);
    unused_fragments(c);
    fragment_cycles(c);
    /* the per-node rules; records variable usages on the way */
    gql_v_walk(c);
    for (size_t i = 0; i < doc->n && !c->aborted; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        if (d->kind != GQL_DEF_OPERATION)
            continue;
        if (d->operation == GQL_SUBSCRIPTION)
            single_field_subscription(c, d);
        variable_names(c, d);
        operation_variables(c, i);
    }
out:;
    int rc = c->rc;
    gql_arena_free(c->arena);
    if (rc < 0)
        return rc;
    return c->nerrors > 0 || c->aborted ? GQL_EINVALID : GQL_OK;
}

int gql_validate(const struct gql_schema *schema, const struct gql_document *doc,
                 struct gql_errors *errs)
{
    return gql_validate_ex(schema, doc, 0, errs);
}
