/*
 * Execution, as the spec's ExecuteRequest defines it (and graphql-js's
 * execute() does it when every resolver is synchronous): coerce the
 * variables, collect the root fields, then execute each field group —
 * resolve, then complete the value against the field's type (non-null,
 * lists, leaves, objects, interfaces and unions) — building the response
 * as cJSON. Everything is synchronous, so "parallel" query fields and
 * serial mutation fields run the same way: one after the other, in the
 * order of the selection set.
 *
 * Errors: a field error records message, locations (every node merged
 * under the response key) and path, then turns the field into null; a
 * null in a non-null position makes the completion return NULL, which
 * every caller passes up until a nullable field (or list item's list)
 * turns it into null — "null propagation". The path is a linked list on
 * the C stack, turned into JSON only when an error needs it.
 *
 * Speed: field collection (CollectFields/CollectSubfields with @skip and
 * @include, fragments, merging by response key) depends only on the
 * variables, so each field group caches the sub-fields it collected per
 * runtime object type, its field definition and its coerced arguments;
 * resolving 100 items of a list collects and coerces once. Scratch
 * memory comes from one arena per execution. A field without a resolver
 * reads its parent's member without copying. Introspection values are
 * pieces of the schema (introspection.c), not JSON, so nothing is built
 * twice. An operation that reads only the schema is cached in the
 * prepared document after its first execution, as JSON text.
 *
 * The data is not built as a cJSON tree: it is written as JSON text while
 * the fields complete (a null propagating to a nullable parent rewinds
 * the text to where the parent's value began and writes null), and
 * handed over as a cJSON_Raw node (gql_exec_args.raw_data) or parsed
 * once. Printing a response is then a copy, not a second walk that
 * formats every number again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <float.h>
#include <math.h>
#include <time.h>

#include "graphql/execute_internal.h"

/* With a time budget, the clock is read at least every this many fields (and before every
   field with a resolver). */
#define BUDGET_CHECK_EVERY 128

struct group;

struct collected {
    struct group *items;
    size_t n;
};

struct subfields {
    const struct gql_type *type;
    struct collected fields;
    struct subfields *next;
};

/* The field nodes merged under one response key in one selection set. */
struct group {
    const char *key;
    size_t keylen;
    const struct gql_selection **nodes;
    size_t n;
    const struct gql_field *def; /* NULL: not a field of the type (skipped) */
    enum gql_intro_field intro;
    int member_pos;         /* 1 + where a default resolver last found its member; 0: not yet */
    const char *member_key; /* that member's name, when a constant one */
    size_t enum_pos;        /* an enum field: the value it had last */
    bool args_done;
    cJSON *args;      /* owned by exec.holder */
    char *args_error; /* arena */
    struct subfields *sub;
};

struct path {
    const struct path *prev;
    const char *key; /* NULL: index */
    size_t index;
};

struct exec {
    const struct gql_prepared *p;
    const struct gql_schema *schema;
    const struct gql_exec_args *args;
    const cJSON *variables;
    cJSON *holder;     /* keeps the per-execution JSON (arguments) alive */
    cJSON *empty_args; /* {} for fields without arguments */
    struct gql_arena *arena;
    struct gql_errors errs;
    struct gql_sb out; /* the data, as JSON text */
    bool oom;
    /* the time budget */
    int64_t budget_us;
    int64_t deadline_ns;
    unsigned tick;
    bool expired;
    /* CollectFields' visited fragments: visited[i] == gen */
    unsigned *visited;
    unsigned gen;
};

/* ---- small helpers ---- */

/* cJSON's type tests are calls into the library, and the executor makes them for every
   value it writes: the same tests, inline. */
static inline bool json_is(const cJSON *j, int type)
{
    return j != NULL && (j->type & 0xFF) == type;
}

static inline bool json_is_bool(const cJSON *j)
{
    return j != NULL && (j->type & (cJSON_True | cJSON_False)) != 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Past the time budget? The clock is read before every resolver call (those are what take
   time) and every BUDGET_CHECK_EVERY fields otherwise. */
static bool over_budget(struct exec *ex, bool calls_resolver)
{
    if (ex->deadline_ns == 0)
        return false;
    if (ex->expired)
        return true;
    if (++ex->tick % BUDGET_CHECK_EVERY != 0 && !calls_resolver)
        return false;
    ex->expired = now_ns() > ex->deadline_ns;
    return ex->expired;
}

static cJSON *path_json(const struct path *path)
{
    size_t n = 0;
    for (const struct path *p = path; p != NULL; p = p->prev)
        n++;
    const struct path **v = malloc((n ? n : 1) * sizeof *v);
    cJSON *arr = cJSON_CreateArray();
    if (v == NULL || arr == NULL)
        goto oom;
    size_t i = n;
    for (const struct path *p = path; p != NULL; p = p->prev)
        v[--i] = p;
    for (i = 0; i < n; i++) {
        cJSON *item =
            v[i]->key ? cJSON_CreateString(v[i]->key) : cJSON_CreateNumber((double)v[i]->index);
        if (item == NULL || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            goto oom;
        }
    }
    free(v);
    return arr;
oom:
    free(v);
    cJSON_Delete(arr);
    return NULL;
}

/* Records a field error at path, located at the group's nodes. */
static void field_error(struct exec *ex, const struct group *g, const struct path *path,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void field_error(struct exec *ex, const struct group *g, const struct path *path,
                        const char *fmt, ...)
{
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ex->oom = true;
        return;
    }
    if ((size_t)n >= sizeof small) {
        msg = malloc((size_t)n + 1);
        if (msg == NULL) {
            ex->oom = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    struct gql_loc locs_small[8];
    struct gql_loc *locs = locs_small;
    if (g->n > 8) {
        locs = malloc(g->n * sizeof *locs);
        if (locs == NULL) {
            ex->oom = true;
            goto out;
        }
    }
    for (size_t i = 0; i < g->n; i++)
        locs[i] = g->nodes[i]->loc;
    if (gql_errors_add(&ex->errs, NULL, locs, g->n, "%s", msg) < 0) {
        ex->oom = true;
        goto out;
    }
    ex->errs.items[ex->errs.n - 1].path = path_json(path);
    if (ex->errs.items[ex->errs.n - 1].path == NULL)
        ex->oom = true;
out:
    if (locs != locs_small)
        free(locs);
    if (msg != small)
        free(msg);
}

/* ---- CollectFields ---- */

struct pair {
    const char *key;
    const struct gql_selection *node;
};

struct pairs {
    struct pair *v;
    size_t n, cap;
};

static bool directive_if(struct exec *ex, const struct gql_directive *d, bool *value)
{
    for (size_t i = 0; i < d->nargs; i++) {
        if (strcmp(d->args[i].name, "if") != 0)
            continue;
        const struct gql_value *v = &d->args[i].value;
        if (v->kind == GQL_VALUE_BOOLEAN) {
            *value = v->boolean;
            return true;
        }
        if (v->kind == GQL_VALUE_VARIABLE) {
            const cJSON *var = cJSON_GetObjectItemCaseSensitive(ex->variables, v->text);
            if (json_is_bool(var)) {
                *value = json_is(var, cJSON_True);
                return true;
            }
        }
    }
    return false;
}

/* The spec's ShouldIncludeNode: @skip(if: true) and @include(if: false) exclude. */
static bool should_include(struct exec *ex, const struct gql_directive *dirs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool v;
        if (strcmp(dirs[i].name, "skip") == 0 && directive_if(ex, &dirs[i], &v) && v)
            return false;
        if (strcmp(dirs[i].name, "include") == 0 && directive_if(ex, &dirs[i], &v) && !v)
            return false;
    }
    return true;
}

/* DoesFragmentTypeApply: the condition names the object type, an interface it implements or a
 * union it belongs to. */
static bool type_applies(struct exec *ex, const struct gql_type *obj, const char *condition)
{
    if (condition == NULL || strcmp(obj->name, condition) == 0)
        return true;
    const struct gql_type *t = gql_schema_type(ex->schema, condition);
    if (t == NULL)
        return false;
    if (t->kind == GQL_KIND_INTERFACE) {
        for (size_t i = 0; i < obj->ninterfaces; i++)
            if (obj->interfaces[i] == t)
                return true;
        for (size_t i = 0; i < t->npossible_types; i++)
            if (t->possible_types[i] == obj)
                return true;
    } else if (t->kind == GQL_KIND_UNION) {
        for (size_t i = 0; i < t->npossible_types; i++)
            if (t->possible_types[i] == obj)
                return true;
    }
    return false;
}

static void collect(struct exec *ex, const struct gql_type *obj, const struct gql_selection_set *ss,
                    struct pairs *out)
{
    if (ss == NULL)
        return;
    for (size_t i = 0; i < ss->n && !ex->oom; i++) {
        const struct gql_selection *sel = &ss->items[i];
        if (!should_include(ex, sel->directives, sel->ndirectives))
            continue;
        switch (sel->kind) {
        case GQL_SEL_FIELD:
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 16;
                struct pair *v = realloc(out->v, cap * sizeof *v);
                if (v == NULL) {
                    ex->oom = true;
                    return;
                }
                out->v = v;
                out->cap = cap;
            }
            out->v[out->n].key = sel->alias ? sel->alias : sel->name;
            out->v[out->n].node = sel;
            out->n++;
            break;
        case GQL_SEL_INLINE_FRAGMENT:
            if (type_applies(ex, obj, sel->type_condition))
                collect(ex, obj, sel->selection_set, out);
            break;
        case GQL_SEL_FRAGMENT_SPREAD: {
            size_t idx;
            const struct gql_definition *frag = gql_prepared_fragment(ex->p, sel->name, &idx);
            if (frag == NULL || ex->visited[idx] == ex->gen)
                break;
            ex->visited[idx] = ex->gen;
            if (type_applies(ex, obj, frag->type_condition))
                collect(ex, obj, frag->selection_set, out);
            break;
        }
        }
    }
}

/* FNV-1a of a response key (grouping a wide selection). */
static inline uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h;
}

/* Groups the collected pairs by response key, in first-seen order, into the arena. */
static int group_pairs(struct exec *ex, const struct gql_type *obj, const struct pairs *ps,
                       struct collected *out)
{
    out->items = NULL;
    out->n = 0;
    if (ps->n == 0)
        return GQL_OK;
    size_t *owner = malloc(ps->n * sizeof *owner);
    if (owner == NULL)
        return GQL_ENOMEM;
    size_t ngroups = 0;
    if (ps->n <= 16) {
        for (size_t i = 0; i < ps->n; i++) {
            owner[i] = ngroups;
            for (size_t j = 0; j < i; j++)
                if (strcmp(ps->v[j].key, ps->v[i].key) == 0) {
                    owner[i] = owner[j];
                    break;
                }
            if (owner[i] == ngroups)
                ngroups++;
        }
    } else {
        /* wide selections: an open-addressing table of first occurrences by key */
        size_t cap = 32;
        while (cap < ps->n * 2)
            cap *= 2;
        size_t *slot = malloc(cap * sizeof *slot); /* index of the first pair + 1, 0: empty */
        if (slot == NULL) {
            free(owner);
            return GQL_ENOMEM;
        }
        memset(slot, 0, cap * sizeof *slot);
        for (size_t i = 0; i < ps->n; i++) {
            size_t k = name_hash(ps->v[i].key) & (cap - 1);
            while (slot[k] != 0 && strcmp(ps->v[slot[k] - 1].key, ps->v[i].key) != 0)
                k = (k + 1) & (cap - 1);
            if (slot[k] == 0) {
                slot[k] = i + 1;
                owner[i] = ngroups++;
            } else {
                owner[i] = owner[slot[k] - 1];
            }
        }
        free(slot);
    }
    struct group *gs = gql_arena_alloc(ex->arena, ngroups * sizeof *gs);
    if (gs == NULL) {
        free(owner);
        return GQL_ENOMEM;
    }
    for (size_t i = 0; i < ps->n; i++)
        gs[owner[i]].n++;
    for (size_t g = 0; g < ngroups; g++) {
        gs[g].nodes = gql_arena_alloc(ex->arena, gs[g].n * sizeof *gs[g].nodes);
        if (gs[g].nodes == NULL) {
            free(owner);
            return GQL_ENOMEM;
        }
        gs[g].n = 0;
    }
    for (size_t i = 0; i < ps->n; i++) {
        struct group *g = &gs[owner[i]];
        if (g->n == 0) {
            g->key = ps->v[i].key;
            g->keylen = strlen(g->key);
        }
        g->nodes[g->n++] = ps->v[i].node;
    }
    free(owner);
    for (size_t g = 0; g < ngroups; g++) {
        gs[g].def = gql_type_field(ex->schema, obj, gs[g].nodes[0]->name);
        gs[g].intro = gs[g].def ? gql_intro_field_of(obj, gs[g].def) : GQL_I_NONE;
    }
    out->items = gs;
    out->n = ngroups;
    return GQL_OK;
}

/* CollectFields over one selection set (the root), or CollectSubfields over a group's nodes. */
static int collect_fields(struct exec *ex, const struct gql_type *obj,
                          const struct gql_selection_set *root, const struct group *g,
                          struct collected *out)
{
    struct pairs ps = {NULL, 0, 0};
    ex->gen++;
    if (root != NULL)
        collect(ex, obj, root, &ps);
    for (size_t i = 0; g != NULL && i < g->n; i++)
        collect(ex, obj, g->nodes[i]->selection_set, &ps);
    int rc = ex->oom ? GQL_ENOMEM : group_pairs(ex, obj, &ps, out);
    free(ps.v);
    if (rc < 0)
        ex->oom = true;
    return rc;
}

static const struct collected *subfields(struct exec *ex, struct group *g,
                                         const struct gql_type *obj)
{
    for (struct subfields *s = g->sub; s != NULL; s = s->next)
        if (s->type == obj)
            return &s->fields;
    struct subfields *s = gql_arena_alloc(ex->arena, sizeof *s);
    if (s == NULL) {
        ex->oom = true;
        return NULL;
    }
    if (collect_fields(ex, obj, NULL, g, &s->fields) < 0)
        return NULL;
    s->type = obj;
    s->next = g->sub;
    g->sub = s;
    return &s->fields;
}

/* ---- completing values ---- */

static bool xvalue_is_null(const struct gql_xvalue *v)
{
    switch (v->kind) {
    case GQL_V_JSON:
        return v->u.json == NULL || json_is(v->u.json, cJSON_NULL);
    case GQL_V_STRING:
    case GQL_V_STRING_COPY:
    case GQL_V_SCHEMA:
    case GQL_V_TYPE:
    case GQL_V_FIELD:
    case GQL_V_INPUT:
    case GQL_V_ENUMVALUE:
    case GQL_V_DIRECTIVE:
        return v->u.ptr == NULL;
    case GQL_V_NULL:
        return true;
    default:
        return false;
    }
}

/* ---- the output: JSON text written as the fields complete ---- */

static inline void put(struct exec *ex, const char *s, size_t len)
{
    struct gql_sb *o = &ex->out;
    if (o->cap - o->len > len) {
        memcpy(o->s + o->len, s, len);
        o->len += len;
    } else {
        gql_sb_add(o, s, len);
    }
}

static inline void putc_(struct exec *ex, char c)
{
    struct gql_sb *o = &ex->out;
    if (o->cap - o->len > 1)
        o->s[o->len++] = c;
    else
        gql_sb_add(o, &c, 1);
}

#define PUTS(ex, lit) put(ex, lit, sizeof lit - 1)

/* Rewinds the output to mark (a null replaces what a failed value had written). */
static void put_null_at(struct exec *ex, size_t mark)
{
    if (!ex->out.oom)
        ex->out.len = mark;
    PUTS(ex, "null");
}

/* Bytes a JSON string must escape. */
static const unsigned char json_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,         1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1,
};

/* Does the word hold a byte that a JSON string must escape (below 0x20, '"' or '\\')? */
static inline bool word_needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
            ((backslash - ones) & ~backslash)) &
           highs;
}

/*
 * A JSON string, written straight into the output (room for the worst
 * case, every byte a \u00XX escape, is made first): eight bytes at a time
 * while none of them needs an escape.
 */
static void put_string(struct exec *ex, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s), i = 0;
    if (n > (SIZE_MAX - 3) / 6) {
        ex->out.oom = true;
        return;
    }
    if (ex->out.cap - ex->out.len <= 6 * n + 2 && !gql_sb_reserve(&ex->out, 6 * n + 2))
        return;
    char *d = ex->out.s + ex->out.len;
    *d++ = '"';
    uint64_t w;
    for (;;) {
        while (i + 8 <= n && (memcpy(&w, s + i, 8), !word_needs_escape(w))) {
            memcpy(d, &w, 8);
            d += 8;
            i += 8;
        }
        /* under eight bytes left: the last eight, overlapping what was copied, end it (none
           of them needs an escape, so the bytes before i among them were copied as they are) */
        if (i < n && i + 8 > n && n >= 8 && (memcpy(&w, s + n - 8, 8), !word_needs_escape(w))) {
            memcpy(d - (i - (n - 8)), &w, 8);
            d += n - i;
            i = n;
        }
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i++];
        if (!json_escape[c]) {
            *d++ = (char)c;
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *d++ = (char)c;
            break;
        case '\b':
            *d++ = 'b';
            break;
        case '\f':
            *d++ = 'f';
            break;
        case '\n':
            *d++ = 'n';
            break;
        case '\r':
            *d++ = 'r';
            break;
        case '\t':
            *d++ = 't';
            break;
        default:
            memcpy(d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
    }
    *d++ = '"';
    ex->out.len = (size_t)(d - ex->out.s);
}

/*
 * printf's %.{p}g rounding of a (positive, finite), worked out here for
 * p = 15 and 17: *digits gets the p significant digits as an integer and
 * *exp10 the decimal exponent of the first. a = mant / 2^shift exactly,
 * so a * 10^k is a 128-bit integer quotient and remainder: exact, ties to
 * even as printf rounds them. False for a below 1e-5 or from 1e15 (printf
 * writes those with an exponent) and without 128-bit integers: then
 * printf does it.
 */
#ifdef __SIZEOF_INT128__
static bool round_digits(double a, int p, unsigned long long *digits, int *exp10)
{
    if (!(a >= 1e-5 && a < 1e15))
        return false;
    int e2;
    unsigned long long mant = (unsigned long long)ldexp(frexp(a, &e2), 53);
    int shift = 53 - e2; /* from 4 (a < 2^50) to 70 (a >= 2^-17) */
    unsigned __int128 low = 1, high;
    for (int i = 0; i < p - 1; i++)
        low *= 10; /* 10^(p-1) */
    high = low * 10;
    int e = 0; /* first guess of the exponent, corrected below */
    for (double t = 10; t <= a; t *= 10)
        e++;
    for (double t = 1; t > a && e > -6; t /= 10)
        e--;
    for (int tries = 0; tries < 3; tries++) {
        int k = p - 1 - e;
        if (k < 0 || k > 22)
            return false;
        unsigned __int128 scale = 1;
        for (int i = 0; i < k; i++)
            scale *= 10;
        unsigned __int128 prod = (unsigned __int128)mant * scale; /* < 2^53 * 10^22 < 2^127 */
        unsigned __int128 whole = prod >> shift, rem = prod & (((unsigned __int128)1 << shift) - 1);
        if (whole < low) {
            e--;
            continue;
        }
        if (whole >= high) {
            e++;
            continue;
        }
        unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
        if (rem > half || (rem == half && (whole & 1)))
            whole++;
        if (whole == high) { /* 9.99…95 rounds up to 10 */
            whole = low;
            e++;
        }
        *digits = (unsigned long long)whole;
        *exp10 = e;
        return true;
    }
    return false;
}
#else
static bool round_digits(double a, int p, unsigned long long *digits, int *exp10)
{
    (void)a, (void)p, (void)digits, (void)exp10;
    return false;
}
#endif

/* The p digits and exponent as %g writes them without an exponent; false when it would use one. */
static bool format_g(char *buf, bool negative, unsigned long long n, int p, int e, size_t *len)
{
    if (e < -4 || e >= p)
        return false;
    char digits[20];
    for (int i = p - 1; i >= 0; i--, n /= 10)
        digits[i] = (char)('0' + n % 10);
    int nd = p;
    while (nd > 1 && digits[nd - 1] == '0') /* %g drops trailing zeros */
        nd--;
    char *q = buf;
    if (negative)
        *q++ = '-';
    if (e < 0) {
        *q++ = '0';
        *q++ = '.';
        for (int i = 0; i < -e - 1; i++)
            *q++ = '0';
        memcpy(q, digits, (size_t)nd);
        q += nd;
    } else {
        for (int i = 0; i <= e; i++)
            *q++ = i < nd ? digits[i] : '0';
        if (nd > e + 1) {
            *q++ = '.';
            memcpy(q, digits + e + 1, (size_t)(nd - e - 1));
            q += nd - e - 1;
        }
    }
    *len = (size_t)(q - buf);
    return true;
}

/*
 * A number as cJSON prints it, so that the data reads the same whether it
 * is handed over as text or as a tree, and the same as every other JSON
 * Parley writes: integers of int range as integers, else 15 significant
 * digits (%1.15g) when they read back within cJSON's epsilon, else 17.
 * Without printf for integers below 10^15 and (round_digits) for most
 * other numbers between 1e-5 and 1e15; the text is the same.
 */
static void put_number(struct exec *ex, double d)
{
    char buf[40];
    double a = fabs(d);
    if (d == floor(d) && a < 1e15) {
        long long n = (long long)d;
        char *e = buf + sizeof buf, *q = e;
        unsigned long long u = n < 0 ? -(unsigned long long)n : (unsigned long long)n;
        do {
            *--q = (char)('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (n < 0)
            *--q = '-';
        put(ex, q, (size_t)(e - q));
        return;
    }
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    unsigned long long n;
    int e;
    size_t len;
    if (round_digits(a, 15, &n, &e) && e <= 14) { /* 999999999999999.9 rounds to 1e15 */
        /* what strtod reads back: the quotient of two exact doubles, correctly rounded */
        double back = (double)n / pow10[14 - e];
        double max = back > a ? back : a;
        if (fabs(back - a) <= max * DBL_EPSILON) {
            if (format_g(buf, d < 0, n, 15, e, &len)) {
                put(ex, buf, len);
                return;
            }
        } else if (round_digits(a, 17, &n, &e) && format_g(buf, d < 0, n, 17, e, &len)) {
            put(ex, buf, len);
            return;
        }
    }
    int k = snprintf(buf, sizeof buf, "%1.15g", d);
    double back = strtod(buf, NULL);
    double max = fabs(back) > a ? fabs(back) : a;
    if (!(fabs(back - d) <= max * DBL_EPSILON))
        k = snprintf(buf, sizeof buf, "%1.17g", d);
    if (k > 0)
        put(ex, buf, (size_t)k);
}

/* A custom scalar's JSON value, written as cJSON_PrintUnformatted writes it. */
static void put_json(struct exec *ex, const cJSON *j)
{
    switch (j->type & 0xFF) {
    case cJSON_False:
        PUTS(ex, "false");
        break;
    case cJSON_True:
        PUTS(ex, "true");
        break;
    case cJSON_Number:
        if (isfinite(j->valuedouble))
            put_number(ex, j->valuedouble);
        else
            PUTS(ex, "null");
        break;
    case cJSON_String:
        put_string(ex, j->valuestring ? j->valuestring : "");
        break;
    case cJSON_Raw:
        if (j->valuestring != NULL)
            put(ex, j->valuestring, strlen(j->valuestring));
        else
            PUTS(ex, "null");
        break;
    case cJSON_Array:
    case cJSON_Object: {
        bool obj = json_is(j, cJSON_Object);
        putc_(ex, obj ? '{' : '[');
        for (const cJSON *c = j->child; c != NULL; c = c->next) {
            if (c != j->child)
                putc_(ex, ',');
            if (obj) {
                put_string(ex, c->string ? c->string : "");
                putc_(ex, ':');
            }
            put_json(ex, c);
        }
        putc_(ex, obj ? '}' : ']');
        break;
    }
    default:
        PUTS(ex, "null");
        break;
    }
}

static bool complete_value(struct exec *ex, const struct gql_type *parent, struct group *g,
                           const struct gql_type *type, const struct gql_xvalue *v,
                           const struct path *path);

static bool execute_fields(struct exec *ex, const struct gql_type *obj,
                           const struct collected *fields, const struct gql_xvalue *src,
                           const struct path *path, const struct gql_xvalue *first_value);

/* The value's inspect() for messages (arena-allocated; "" when out of memory). */
static const char *inspect_xvalue(struct exec *ex, const struct gql_xvalue *v)
{
    struct gql_sb sb = {0};
    if (v->kind == GQL_V_JSON)
        gql_inspect(&sb, v->u.json);
    else if (v->kind == GQL_V_STRING || v->kind == GQL_V_STRING_COPY)
        gql_sb_addf(&sb, "\"%s\"", v->u.str);
    else if (v->kind == GQL_V_BOOL)
        gql_sb_adds(&sb, v->u.b ? "true" : "false");
    else
        gql_sb_adds(&sb, "{}");
    const char *r = "";
    if (!sb.oom && sb.s != NULL) {
        char *a = gql_arena_strndup(ex->arena, sb.s, sb.len);
        if (a != NULL)
            r = a;
    }
    free(sb.s);
    return r;
}

/* JavaScript's Number(string) for the serializers' string inputs; false for NaN. */
static bool js_to_number(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == '\0')
        return false;
    char *end;
    double d = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (*end != '\0' || end == s || isnan(d))
        return false;
    *out = d;
    return true;
}

/* Serializes a leaf value into the output; false after recording the field error. */
static bool complete_leaf(struct exec *ex, const struct gql_type *parent, struct group *g,
                          const struct gql_type *type, const struct gql_xvalue *v,
                          const struct path *path)
{
    const struct gql_prepared *p = ex->p;
    const cJSON *j = v->kind == GQL_V_JSON ? v->u.json : NULL;
    char num[32];
    if (v->kind == GQL_V_STRING || v->kind == GQL_V_STRING_COPY) {
        if (type == p->t_int || type == p->t_float || type == p->t_boolean)
            goto bad_type;
        put_string(ex, v->u.str);
        return true;
    }
    if (v->kind == GQL_V_BOOL) {
        if (type != p->t_boolean && type->kind != GQL_KIND_SCALAR)
            goto bad_type;
        if (v->u.b)
            PUTS(ex, "true");
        else
            PUTS(ex, "false");
        return true;
    }
    if (j == NULL)
        goto bad_type;
    if (type->kind == GQL_KIND_ENUM) {
        if (json_is(j, cJSON_String))
            for (size_t k = 0; k < type->nenum_values; k++) {
                /* from the value this field had last: a list's items often share it */
                size_t i = (g->enum_pos + k) % type->nenum_values;
                if (strcmp(type->enum_values[i].name, j->valuestring) == 0) {
                    g->enum_pos = i;
                    put_string(ex, j->valuestring);
                    return true;
                }
            }
        field_error(ex, g, path, "Enum \"%s\" cannot represent value: %s", type->name,
                    inspect_xvalue(ex, v));
        return false;
    }
    if (type == p->t_int || type == p->t_float) {
        double d;
        bool is_int = type == p->t_int;
        if (json_is(j, cJSON_Number))
            d = j->valuedouble;
        else if (json_is_bool(j))
            d = json_is(j, cJSON_True) ? 1 : 0;
        else if (!json_is(j, cJSON_String) || !js_to_number(j->valuestring, &d))
            d = NAN;
        if (is_int) {
            if (!isfinite(d) || d != floor(d)) {
                field_error(ex, g, path, "Int cannot represent non-integer value: %s",
                            inspect_xvalue(ex, v));
                return false;
            }
            if (d > 2147483647.0 || d < -2147483648.0) {
                field_error(ex, g, path, "Int cannot represent non 32-bit signed integer value: %s",
                            inspect_xvalue(ex, v));
                return false;
            }
        } else if (!isfinite(d)) {
            field_error(ex, g, path, "Float cannot represent non numeric value: %s",
                        inspect_xvalue(ex, v));
            return false;
        }
        put_number(ex, d);
        return true;
    }
    if (type == p->t_string) {
        if (json_is(j, cJSON_String)) {
            put_string(ex, j->valuestring);
        } else if (json_is_bool(j)) {
            if (json_is(j, cJSON_True))
                PUTS(ex, "\"true\"");
            else
                PUTS(ex, "\"false\"");
        } else if (json_is(j, cJSON_Number)) {
            put_string(ex, gql_js_number(j->valuedouble, num));
        } else {
            field_error(ex, g, path, "String cannot represent value: %s", inspect_xvalue(ex, v));
            return false;
        }
        return true;
    }
    if (type == p->t_boolean) {
        if (json_is_bool(j) || json_is(j, cJSON_Number)) {
            bool b = json_is_bool(j) ? json_is(j, cJSON_True) : j->valuedouble != 0;
            if (b)
                PUTS(ex, "true");
            else
                PUTS(ex, "false");
            return true;
        }
        field_error(ex, g, path, "Boolean cannot represent a non boolean value: %s",
                    inspect_xvalue(ex, v));
        return false;
    }
    if (type == p->t_id) {
        if (json_is(j, cJSON_String)) {
            put_string(ex, j->valuestring);
        } else if (json_is(j, cJSON_Number) && j->valuedouble == floor(j->valuedouble)) {
            put_string(ex, gql_js_number(j->valuedouble, num));
        } else {
            field_error(ex, g, path, "ID cannot represent value: %s", inspect_xvalue(ex, v));
            return false;
        }
        return true;
    }
    /* A custom scalar serializes as itself. */
    put_json(ex, j);
    return true;
bad_type:
    field_error(ex, g, path, "%s cannot represent value: %s", type->name, inspect_xvalue(ex, v));
    return false;
}

static bool is_possible_type(const struct gql_type *abstract, const struct gql_type *obj)
{
    for (size_t i = 0; i < abstract->npossible_types; i++)
        if (abstract->possible_types[i] == obj)
            return true;
    return false;
}

/* ResolveAbstractType then CompleteObjectValue; false after recording the field error. */
static bool complete_abstract(struct exec *ex, const struct gql_type *parent, struct group *g,
                              const struct gql_type *type, const struct gql_xvalue *v,
                              const struct path *path)
{
    const struct gql_type *rt = NULL;
    const cJSON *j = v->kind == GQL_V_JSON ? v->u.json : NULL;
    if (type->resolve_type != NULL) {
        rt = type->resolve_type(type, j, ex->args->context, type->resolve_type_data);
    } else {
        const cJSON *tn = j ? cJSON_GetObjectItemCaseSensitive(j, "__typename") : NULL;
        if (json_is(tn, cJSON_String)) {
            rt = gql_schema_type(ex->schema, tn->valuestring);
            if (rt == NULL) {
                field_error(ex, g, path,
                            "Abstract type \"%s\" was resolved to a type \"%s\" that does not "
                            "exist inside the schema.",
                            type->name, tn->valuestring);
                return false;
            }
        }
    }
    if (rt == NULL || rt->kind != GQL_KIND_OBJECT) {
        field_error(ex, g, path,
                    "Abstract type \"%s\" must resolve to an Object type at runtime for field "
                    "\"%s.%s\". Either the \"%s\" type should provide a \"resolveType\" function "
                    "or each possible type should provide an \"isTypeOf\" function.",
                    type->name, parent->name, g->def->name, type->name);
        return false;
    }
    if (!is_possible_type(type, rt)) {
        field_error(ex, g, path, "Runtime Object type \"%s\" is not a possible type for \"%s\".",
                    rt->name, type->name);
        return false;
    }
    const struct collected *sub = subfields(ex, g, rt);
    return sub ? execute_fields(ex, rt, sub, v, path, NULL) : false;
}

static bool complete_list(struct exec *ex, const struct gql_type *parent, struct group *g,
                          const struct gql_type *type, const struct gql_xvalue *v,
                          const struct path *path)
{
    const struct gql_type *item_type = type->of_type;
    if (v->kind == GQL_V_LIST) {
        putc_(ex, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            struct path ip = {path, NULL, i};
            if (i > 0)
                putc_(ex, ',');
            if (!complete_value(ex, parent, g, item_type, &v->u.list.items[i], &ip))
                return false;
        }
        putc_(ex, ']');
        return true;
    }
    if (v->kind != GQL_V_JSON || !json_is(v->u.json, cJSON_Array)) {
        field_error(ex, g, path, "Expected Iterable, but did not find one for field \"%s.%s\".",
                    parent->name, g->def->name);
        return false;
    }
    putc_(ex, '[');
    size_t i = 0;
    for (const cJSON *it = v->u.json->child; it != NULL; it = it->next, i++) {
        struct path ip = {path, NULL, i};
        struct gql_xvalue iv = {.kind = GQL_V_JSON, .u.json = it};
        if (i > 0)
            putc_(ex, ',');
        if (!complete_value(ex, parent, g, item_type, &iv, &ip))
            return false;
    }
    putc_(ex, ']');
    return true;
}

/*
 * CompleteValue into the output. False when an error made a non-null
 * position null: the caller propagates (and rewinds what was written).
 */
static bool complete_value(struct exec *ex, const struct gql_type *parent, struct group *g,
                           const struct gql_type *type, const struct gql_xvalue *v,
                           const struct path *path)
{
    bool non_null = type->kind == GQL_KIND_NON_NULL;
    if (non_null)
        type = type->of_type;
    if (xvalue_is_null(v)) {
        if (non_null) {
            field_error(ex, g, path, "Cannot return null for non-nullable field %s.%s.",
                        parent->name, g->def->name);
            return false;
        }
        PUTS(ex, "null");
        return true;
    }
    size_t mark = ex->out.len;
    bool ok;
    switch (type->kind) {
    case GQL_KIND_LIST:
        ok = complete_list(ex, parent, g, type, v, path);
        break;
    case GQL_KIND_SCALAR:
    case GQL_KIND_ENUM:
        ok = complete_leaf(ex, parent, g, type, v, path);
        break;
    case GQL_KIND_OBJECT: {
        const struct collected *sub = subfields(ex, g, type);
        ok = sub ? execute_fields(ex, type, sub, v, path, NULL) : false;
        break;
    }
    case GQL_KIND_INTERFACE:
    case GQL_KIND_UNION:
        ok = complete_abstract(ex, parent, g, type, v, path);
        break;
    default:
        ok = false;
        break;
    }
    if (!ok && !non_null) {
        put_null_at(ex, mark);
        return true;
    }
    return ok;
}

/* The group's coerced arguments (once per execution); NULL with *error, or out of memory. */
static const cJSON *group_args(struct exec *ex, struct group *g, const char **error)
{
    *error = NULL;
    if (!g->args_done) {
        const struct gql_selection *node = g->nodes[0];
        g->args_done = true;
        if (g->def->nargs == 0) {
            g->args = ex->empty_args;
        } else {
            cJSON *args = NULL;
            char *err = NULL;
            int rc = gql_coerce_arguments(g->def->args, g->def->nargs, node->args, node->nargs,
                                          ex->variables, &args, &err);
            if (rc == GQL_OK && cJSON_AddItemToArray(ex->holder, args)) {
                g->args = args;
            } else if (rc == GQL_EINVALID) {
                g->args_error = gql_arena_strndup(ex->arena, err, strlen(err));
                if (g->args_error == NULL)
                    ex->oom = true;
            } else {
                cJSON_Delete(args);
                ex->oom = true;
            }
            free(err);
        }
    }
    *error = g->args_error;
    return g->args;
}

static const char *budget_ms(struct exec *ex, char buf[32])
{
    if (ex->budget_us % 1000 == 0)
        snprintf(buf, 32, "%lld", (long long)(ex->budget_us / 1000));
    else
        snprintf(buf, 32, "%g", (double)ex->budget_us / 1000.0);
    return buf;
}

/*
 * The member a field without a resolver reads (cJSON_GetObjectItemCaseSensitive),
 * made cheap for the objects of a long list. Objects usually list their
 * members in the order they are selected, so the member after the previous
 * one is tried first. On a miss, the group remembers where in its object
 * it found the member, and the items of a list are usually built alike:
 * the object's members are listed once (an array of pointers, or the
 * object's own nodes when it is GQL_JSON_CONSECUTIVE) and the remembered
 * position is tried before a scan of every name.
 */
#define MEMBERS_LISTED 32 /* objects with more members are scanned */

struct members {
    const cJSON *hint;
    int n;                  /* members listed; 0: not yet, -1: too many */
    const cJSON *const *at; /* the list: list[], or an array of consecutive members */
    const cJSON *list[MEMBERS_LISTED];
};

/*
 * Is m the member named name? A constant name (cJSON_StringIsConst: names
 * shared by many objects, as json_freeze's) is known by the address the
 * group last found, without reading it.
 */
static inline bool named(const cJSON *m, const struct group *g, const char *name)
{
    if (m->string == NULL)
        return false;
    if ((m->type & cJSON_StringIsConst) && m->string == g->member_key)
        return true;
    return m->string[0] == name[0] && strcmp(m->string, name) == 0;
}

static const cJSON *member(struct members *mem, const cJSON *obj, struct group *g)
{
    const char *name = g->def->name;
    const cJSON *m = mem->hint;
    if (m != NULL && named(m, g, name))
        goto found;
    if (mem->n == 0 && (obj->type & GQL_JSON_CONSECUTIVE) == GQL_JSON_CONSECUTIVE &&
        obj->child != NULL) {
        mem->n = (int)(obj->child->prev - obj->child) + 1;
        mem->at = NULL;
    } else if (mem->n == 0) {
        for (m = obj->child; m != NULL && mem->n < MEMBERS_LISTED; m = m->next)
            mem->list[mem->n++] = m;
        mem->at = mem->list;
        if (m != NULL)
            mem->n = -1;
    }
#define MEMBER_AT(i) (mem->at ? mem->at[i] : obj->child + (i))
    if (g->member_pos > 0 && g->member_pos <= mem->n) {
        m = MEMBER_AT(g->member_pos - 1);
        if (named(m, g, name))
            goto found;
    }
    for (int i = 0; i < mem->n; i++) {
        m = MEMBER_AT(i);
        if (m->string != NULL && strcmp(m->string, name) == 0) {
            g->member_pos = i + 1;
            goto found;
        }
    }
#undef MEMBER_AT
    m = mem->n < 0 ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    mem->hint = m ? m->next : NULL;
    return m;
found:
    if (m->type & cJSON_StringIsConst)
        g->member_key = m->string;
    mem->hint = m->next;
    return m;
}

/* ExecuteField: resolve, then complete into the output. False: the null propagates. */
static bool execute_field(struct exec *ex, const struct gql_type *obj, struct group *g,
                          const struct gql_xvalue *src, const struct path *path,
                          const struct gql_xvalue *preset, struct members *mem)
{
    const struct gql_field *def = g->def;
    const struct gql_type *type = def->type;
    struct gql_xvalue v = {.kind = GQL_V_JSON, .u.json = NULL};
    cJSON *owned = NULL;
    char num[32];

    if (over_budget(ex, def->resolve != NULL)) {
        field_error(ex, g, path, "Query exceeded its time budget of %s ms.", budget_ms(ex, num));
        goto failed;
    }
    if (preset != NULL) {
        v = *preset;
    } else if (g->intro == GQL_I_TYPENAME) {
        v.kind = GQL_V_STRING;
        v.u.str = obj->name;
    } else {
        const char *err;
        const cJSON *args = NULL;
        if (def->resolve != NULL || g->intro != GQL_I_NONE || def->nargs > 0) {
            args = group_args(ex, g, &err);
            if (args == NULL) {
                if (err == NULL)
                    return false; /* out of memory */
                field_error(ex, g, path, "%s", err);
                goto failed;
            }
        }
        if (def->resolve != NULL) {
            struct gql_resolve_info info = {
                .schema = ex->schema,
                .parent_type = obj,
                .field = def,
                .selection = g->nodes[0],
                .source = src->kind == GQL_V_JSON ? src->u.json : NULL,
                .args = args,
                .context = ex->args->context,
                .data = def->resolve_data,
            };
            char *rerr = NULL;
            cJSON *ext = NULL;
            info.extensions = &ext;
            owned = def->resolve(&info, &rerr);
            if (owned == NULL) {
                size_t n = ex->errs.n;
                field_error(ex, g, path, "%s", rerr ? rerr : "out of memory");
                if (ex->errs.n > n && cJSON_IsObject(ext)) {
                    ex->errs.items[n].extensions = ext;
                    ext = NULL;
                }
                cJSON_Delete(ext);
                free(rerr);
                goto failed;
            }
            cJSON_Delete(ext);
            free(rerr);
            v.u.json = owned;
        } else if (g->intro != GQL_I_NONE) {
            if (gql_intro_resolve(ex->schema, g->intro, src, args, ex->arena, &v) < 0) {
                ex->oom = true;
                return false;
            }
        } else if (src->kind == GQL_V_JSON && json_is(src->u.json, cJSON_Object)) {
            v.u.json = member(mem, src->u.json, g);
        }
    }
    bool ok = complete_value(ex, obj, g, type, &v, path);
    cJSON_Delete(owned);
    return ok;
failed:
    if (type->kind == GQL_KIND_NON_NULL)
        return false;
    PUTS(ex, "null");
    return true;
}

/*
 * ExecuteSelectionSet over collected fields, written as a JSON object.
 * False: the object is null (propagating). first_value, when not NULL, is
 * the already-resolved value of the first field (a subscription's event).
 */
static bool execute_fields(struct exec *ex, const struct gql_type *obj,
                           const struct collected *fields, const struct gql_xvalue *src,
                           const struct path *path, const struct gql_xvalue *first_value)
{
    bool first = true;
    struct members mem; /* at[] is filled on demand: not cleared */
    mem.hint = src->kind == GQL_V_JSON && src->u.json ? src->u.json->child : NULL;
    mem.n = 0;
    putc_(ex, '{');
    for (size_t i = 0; i < fields->n; i++) {
        struct group *g = &fields->items[i];
        if (g->def == NULL)
            continue;
        struct path fp = {path, g->key, 0};
        const struct gql_xvalue *preset = NULL;
        if (first_value != NULL && g->intro == GQL_I_NONE) {
            preset = first_value;
            first_value = NULL;
        }
        if (!first)
            putc_(ex, ',');
        first = false;
        /* a response key is a Name: nothing to escape */
        putc_(ex, '"');
        put(ex, g->key, g->keylen);
        PUTS(ex, "\":");
        if (!execute_field(ex, obj, g, src, &fp, preset, &mem) || ex->oom)
            return false;
    }
    putc_(ex, '}');
    return true;
}

/* ---- the entry points ---- */

static int exec_init(struct exec *ex, const struct gql_prepared *p,
                     const struct gql_exec_args *args)
{
    memset(ex, 0, sizeof *ex);
    ex->p = p;
    ex->schema = p->schema;
    ex->args = args;
    ex->arena = gql_arena_new();
    ex->holder = cJSON_CreateArray();
    ex->empty_args = cJSON_CreateObject();
    ex->visited = calloc(p->nfragments ? p->nfragments : 1, sizeof *ex->visited);
    /* as large as this document's last output (it grows by doubling, copying, otherwise) */
    size_t cap = atomic_load_explicit(&p->out_hint, memory_order_relaxed);
    cap = cap > 4096 ? cap + cap / 8 : 4096;
    ex->out.s = malloc(cap);
    ex->out.cap = cap;
    if (ex->arena == NULL || ex->holder == NULL || ex->empty_args == NULL || ex->visited == NULL ||
        ex->out.s == NULL)
        return GQL_ENOMEM;
    int64_t budget = args->time_budget_us;
    if (p->time_budget_us > 0 && (budget <= 0 || p->time_budget_us < budget))
        budget = p->time_budget_us;
    if (budget > 0) {
        ex->budget_us = budget;
        ex->deadline_ns = now_ns() + budget * 1000;
    }
    return GQL_OK;
}

static void exec_release(struct exec *ex)
{
    gql_arena_free(ex->arena);
    cJSON_Delete(ex->holder);
    cJSON_Delete(ex->empty_args);
    cJSON_Delete((cJSON *)ex->variables);
    free(ex->visited);
    free(ex->out.s);
    gql_errors_release(&ex->errs);
}

/* The data written (a cJSON_Raw of the text), or null when it propagated to the top. */
static cJSON *data_json(struct exec *ex, bool ok)
{
    putc_(ex, '\0'); /* the fast appends leave the text unterminated */
    if (!ex->out.oom)
        ex->out.len--;
    if (ex->out.oom)
        ex->oom = true;
    if (ex->oom)
        return NULL;
    atomic_store_explicit((_Atomic size_t *)&ex->p->out_hint, ex->out.len, memory_order_relaxed);
    cJSON *data;
    if (!ok) {
        data = cJSON_CreateNull();
    } else if (ex->args->raw_data) {
        /* the text moves into the node (cJSON frees it with the default hooks the engine
           requires) rather than being copied */
        data = cJSON_CreateRaw("");
        if (data != NULL) {
            free(data->valuestring);
            data->valuestring = ex->out.s;
            ex->out.s = NULL;
        }
    } else {
        data = cJSON_ParseWithLength(ex->out.s, ex->out.len);
    }
    if (data == NULL)
        ex->oom = true;
    return data;
}

static const struct gql_type *root_type(const struct gql_prepared *p)
{
    switch (p->op->operation) {
    case GQL_MUTATION:
        return p->schema->mutation;
    case GQL_SUBSCRIPTION:
        return p->schema->subscription;
    default:
        return p->schema->query;
    }
}

static const char *op_word(enum gql_operation_type t)
{
    return t == GQL_MUTATION ? "mutation" : t == GQL_SUBSCRIPTION ? "subscription" : "query";
}

/* {"errors": [...]} with the data (taken; may be NULL for none) after them. */
static cJSON *response(struct exec *ex, cJSON *data, bool with_data)
{
    cJSON *resp = cJSON_CreateObject();
    if (resp == NULL)
        goto oom;
    if (ex->errs.n > 0) {
        cJSON *errs = gql_errors_to_json(&ex->errs);
        if (errs == NULL || !cJSON_AddItemToObject(resp, "errors", errs)) {
            cJSON_Delete(errs);
            goto oom;
        }
    }
    if (with_data) {
        if (data == NULL && (data = cJSON_CreateNull()) == NULL)
            goto oom;
        if (!cJSON_AddItemToObject(resp, "data", data))
            goto oom;
    }
    return resp;
oom:
    cJSON_Delete(data);
    cJSON_Delete(resp);
    return NULL;
}

/* Coerces the variables and collects the root fields; false with the response made. */
static bool begin(struct exec *ex, const struct gql_prepared *p, const struct gql_exec_args *args,
                  struct collected *root, const struct gql_type **rt, bool *request_error,
                  cJSON **resp)
{
    cJSON *vars = NULL;
    *resp = NULL;
    *request_error = false;
    if (exec_init(ex, p, args) < 0)
        return false;
    int rc = gql_coerce_variables(p, args->variables, &vars, &ex->errs);
    if (rc == GQL_ENOMEM)
        return false;
    if (rc < 0) {
        *request_error = true;
        *resp = response(ex, NULL, false);
        return false;
    }
    ex->variables = vars;
    *rt = root_type(p);
    if (*rt == NULL) {
        if (gql_errors_add(&ex->errs, NULL, &p->op->loc, 1,
                           "Schema is not configured to execute %s operation.",
                           op_word(p->op->operation)) == GQL_OK)
            *resp = response(ex, NULL, true);
        return false;
    }
    if (collect_fields(ex, *rt, p->op->selection_set, NULL, root) < 0)
        return false;
    return true;
}

cJSON *gql_execute(const struct gql_prepared *p, const struct gql_exec_args *args,
                   bool *request_error)
{
    static const struct gql_exec_args no_args;
    struct exec ex;
    struct collected root;
    const struct gql_type *rt;
    cJSON *resp = NULL;
    bool reqerr;
    if (request_error == NULL)
        request_error = &reqerr;
    *request_error = false;
    if (p == NULL)
        return NULL;
    if (args == NULL)
        args = &no_args;
    if (p->cacheable) {
        const char *cached = atomic_load(&p->cached_text);
        if (cached != NULL) {
            cJSON *data = args->raw_data ? cJSON_CreateRaw(cached) : cJSON_Parse(cached);
            resp = cJSON_CreateObject();
            if (data == NULL || resp == NULL || !cJSON_AddItemToObject(resp, "data", data)) {
                cJSON_Delete(data);
                cJSON_Delete(resp);
                return NULL;
            }
            return resp;
        }
    }
    if (!begin(&ex, p, args, &root, &rt, request_error, &resp))
        goto out;
    struct gql_xvalue src = {.kind = GQL_V_JSON, .u.json = args->root_value};
    bool ok = execute_fields(&ex, rt, &root, &src, NULL, NULL);
    cJSON *data = data_json(&ex, ok);
    if (data == NULL)
        goto out;
    if (p->cacheable && ok && ex.errs.n == 0) {
        char *text = strdup(ex.out.s ? ex.out.s : data->valuestring); /* raw: moved */
        char *expected = NULL;
        if (text != NULL &&
            !atomic_compare_exchange_strong((_Atomic(char *) *)&p->cached_text, &expected, text))
            free(text);
    }
    resp = response(&ex, data, true);
out:
    exec_release(&ex);
    return resp;
}

int gql_subscription_source(const struct gql_prepared *p, const struct gql_exec_args *args,
                            const char **field_name, cJSON **field_args, struct gql_errors *errs)
{
    static const struct gql_exec_args no_args;
    struct exec ex;
    struct collected root;
    const struct gql_type *rt;
    cJSON *resp = NULL;
    bool reqerr;
    int rc = GQL_ENOMEM;
    if (p == NULL || field_name == NULL || field_args == NULL || errs == NULL)
        return GQL_EARG;
    *field_name = NULL;
    *field_args = NULL;
    if (args == NULL)
        args = &no_args;
    if (p->op->operation != GQL_SUBSCRIPTION) {
        rc = gql_errors_add(errs, NULL, &p->op->loc, 1, "The operation is not a subscription.");
        rc = rc < 0 ? rc : GQL_EARG;
        exec_init(&ex, p, args);
        goto out;
    }
    if (!begin(&ex, p, args, &root, &rt, &reqerr, &resp)) {
        if (ex.errs.n > 0) {
            rc = GQL_EINVALID;
            for (size_t i = 0; i < ex.errs.n; i++) {
                struct gql_error *e = &ex.errs.items[i];
                if (gql_errors_add(errs, NULL, e->locations, e->nlocations, "%s", e->message) < 0) {
                    rc = GQL_ENOMEM;
                    break;
                }
            }
        }
        goto out;
    }
    struct group *g = NULL;
    for (size_t i = 0; i < root.n && g == NULL; i++)
        if (root.items[i].def != NULL)
            g = &root.items[i];
    if (g == NULL) {
        rc = gql_errors_add(errs, NULL, &p->op->loc, 1,
                            "The subscription selects no field of type \"%s\".", rt->name);
        rc = rc < 0 ? rc : GQL_EINVALID;
        goto out;
    }
    const char *err;
    const cJSON *a = group_args(&ex, g, &err);
    if (a == NULL) {
        if (err == NULL)
            goto out;
        struct gql_loc *locs = malloc(g->n * sizeof *locs);
        if (locs == NULL)
            goto out;
        for (size_t i = 0; i < g->n; i++)
            locs[i] = g->nodes[i]->loc;
        rc = gql_errors_add(errs, NULL, locs, g->n, "%s", err);
        free(locs);
        rc = rc < 0 ? rc : GQL_EINVALID;
        goto out;
    }
    *field_args = cJSON_Duplicate(a, true);
    if (*field_args == NULL)
        goto out;
    *field_name = g->def->name;
    rc = GQL_OK;
out:
    cJSON_Delete(resp);
    exec_release(&ex);
    return rc;
}

cJSON *gql_execute_event(const struct gql_prepared *p, const struct gql_exec_args *args,
                         const cJSON *event)
{
    static const struct gql_exec_args no_args;
    struct exec ex;
    struct collected root;
    const struct gql_type *rt;
    cJSON *resp = NULL, *data = NULL;
    bool reqerr;
    if (p == NULL)
        return NULL;
    if (args == NULL)
        args = &no_args;
    if (!begin(&ex, p, args, &root, &rt, &reqerr, &resp))
        goto out;
    struct gql_xvalue src = {.kind = GQL_V_JSON, .u.json = args->root_value};
    struct gql_xvalue ev = {.kind = GQL_V_JSON, .u.json = event};
    bool ok = execute_fields(&ex, rt, &root, &src, NULL, &ev);
    data = data_json(&ex, ok);
    if (data == NULL)
        goto oom;
    resp = response(&ex, data, true);
    data = NULL;
    goto out;
oom:
    cJSON_Delete(data);
    resp = NULL;
out:
    exec_release(&ex);
    return resp;
}
