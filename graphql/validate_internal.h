/*
 * What the validator's files (validate.c, validate_fields.c,
 * validate_values.c, validate_overlap.c) share: one context per
 * gql_validate call, whose scratch memory is a single arena freed when the
 * call returns, and the helpers every rule uses (errors with graphql-js's
 * wording, "Did you mean" suggestions, printing types and values).
 */
#ifndef PARLEY_GRAPHQL_VALIDATE_INTERNAL_H
#define PARLEY_GRAPHQL_VALIDATE_INTERNAL_H

#include "graphql/internal.h"

/* graphql-js stops after this many errors and says so. */
#define GQL_V_MAX_ERRORS 100
/* Recursion guard for selection sets, values and field comparison (the parser caps nesting
   well below this; the guard keeps the validator safe on any document). */
#define GQL_V_MAX_DEPTH 512

/* A string -> index map (open addressing; the keys are borrowed). */
struct gql_vslot {
    const char *key;
    uint32_t hash;
    uint32_t value;
};

struct gql_vmap {
    struct gql_vslot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

/* Where a variable is used: the expected type there and whether that position has a default. */
struct gql_vusage {
    const char *name;
    struct gql_loc loc;
    const struct gql_type *type; /* NULL when unknown */
    bool has_location_default;
};

/* What the walk learns about one executable definition of the document. */
struct gql_vdef {
    const struct gql_type *type; /* FRAGMENT: its type condition (NULL if unknown) */
    struct gql_vusage *usages;   /* variables used in it, fragments not followed */
    size_t nusages, capusages;
    const struct gql_selection **spreads; /* its fragment spreads, graphql-js's order */
    size_t nspreads;
    bool spreads_done;
    uint32_t stamp; /* visit marks (see gql_v_referenced_fragments) */
};

struct gql_voverlap; /* validate_overlap.c's caches */

struct gql_vctx {
    const struct gql_schema *schema;
    const struct gql_document *doc;
    struct gql_errors *errs;
    unsigned options;
    struct gql_arena *arena; /* scratch; freed at the end of gql_validate */
    int rc;                  /* GQL_OK, or GQL_ENOMEM once an allocation failed */
    size_t nerrors;
    bool aborted;              /* too many errors or out of memory: every rule stops */
    struct gql_vdef *defs;     /* one per document definition */
    struct gql_vmap fragments; /* name -> definition index; the last one wins, as in graphql-js */
    uint32_t stamp;
    struct gql_voverlap *overlap;
    struct gql_vmap defined_types; /* type definitions in the document itself (SDL) */
};

/* Where graphql-js locates a node that may have a description: at the description. */
static inline struct gql_loc gql_v_node_loc(struct gql_loc loc, struct gql_loc description_loc)
{
    return description_loc.line != 0 ? description_loc : loc;
}

/* ---- validate.c ---- */

void *gql_v_alloc(struct gql_vctx *c, size_t size); /* zeroed; NULL (and c->aborted) on OOM */
/* Grows *items (of elem bytes each) so that one more fits; false on OOM. */
bool gql_v_grow(struct gql_vctx *c, void **items, size_t n, size_t *cap, size_t elem);
void gql_v_error(struct gql_vctx *c, const char *rule, const struct gql_loc *locs, size_t nlocs,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

uint32_t gql_v_hash(const char *s);
bool gql_vmap_get(const struct gql_vmap *m, const char *key, uint32_t *value);
bool gql_vmap_put(struct gql_vctx *c, struct gql_vmap *m, const char *key, uint32_t value);
/* Index of the fragment definition named name in doc->definitions, or -1. */
long gql_v_fragment(const struct gql_vctx *c, const char *name);

/* A growable string in the scratch arena. */
struct gql_vstr {
    char *p;
    size_t len, cap;
};
void gql_vstr_add(struct gql_vctx *c, struct gql_vstr *s, const char *text, size_t len);
void gql_vstr_addz(struct gql_vctx *c, struct gql_vstr *s, const char *text);
const char *gql_vstr_cstr(struct gql_vctx *c, struct gql_vstr *s); /* never NULL */

/* graphql-js suggestionList: the options close to input, best first (arena array). */
size_t gql_v_suggest(struct gql_vctx *c, const char *input, const char *const *options,
                     size_t noptions, const char ***out);
/* graphql-js didYouMean: "" or " Did you mean [sub ]"a", "b", or "c"?" (at most 5). */
const char *gql_v_did_you_mean(struct gql_vctx *c, const char *sub, const char *const *items,
                               size_t n);
/* graphql-js naturalCompare. */
int gql_v_natural_compare(const char *a, const char *b);

/* The type as GraphQL spells it ("[Int!]!"), in the arena. */
const char *gql_v_type_str(struct gql_vctx *c, const struct gql_type *type);
/* A type reference as written, in the arena. */
const char *gql_v_ref_str(struct gql_vctx *c, const struct gql_type_ref *ref);
/* A value literal as graphql-js's printer writes it, in the arena. */
const char *gql_v_value_str(struct gql_vctx *c, const struct gql_value *v);
/* The schema type a reference names, wrappers built in the arena; NULL if unknown. */
const struct gql_type *gql_v_type_from_ref(struct gql_vctx *c, const struct gql_type_ref *ref);
/* The innermost named reference of ref. */
const struct gql_type_ref *gql_v_ref_named(const struct gql_type_ref *ref);

bool gql_v_is_composite(const struct gql_type *t);
bool gql_v_is_input(const struct gql_type *t);
bool gql_v_is_leaf(const struct gql_type *t);
/* schema.isSubType(abstract, maybe_sub): a member of the union, an implementation. */
bool gql_v_is_possible(const struct gql_type *abstract, const struct gql_type *maybe_sub);
/* graphql-js isTypeSubTypeOf, structurally (wrappers are not shared). */
bool gql_v_is_subtype(const struct gql_type *maybe_sub, const struct gql_type *super);
/* graphql-js doTypesOverlap for two composite types. */
bool gql_v_types_overlap(const struct gql_type *a, const struct gql_type *b);
/* Structural equality of two types (named ones by identity). */
bool gql_v_type_equal(const struct gql_type *a, const struct gql_type *b);
/* A field of an object or interface type as declared (no __typename &co.); NULL if none. */
const struct gql_field *gql_v_own_field(const struct gql_vctx *c, const struct gql_type *type,
                                        const char *name);
/* TypeInfo's getFieldDef: __schema and __type on the query type, __typename on any composite. */
const struct gql_field *gql_v_field_def(const struct gql_vctx *c, const struct gql_type *parent,
                                        const char *name);
const struct gql_input_value *gql_v_find_arg(const struct gql_input_value *args, size_t n,
                                             const char *name);
/* The deprecation reason to print, NULL when not deprecated. */
const char *gql_v_deprecation(bool deprecated, const char *reason);

/* The fragment spreads of a definition's selection set (cached, graphql-js's order). */
void gql_v_spreads(struct gql_vctx *c, size_t def_index);
/*
 * graphql-js getRecursivelyReferencedFragments: the fragments an operation
 * reaches, each once, as definition indexes into *out (arena); returns the count.
 */
size_t gql_v_referenced_fragments(struct gql_vctx *c, size_t op_index, uint32_t **out);

/* For each of n names, the index of the first name equal to it (itself when first). */
uint32_t *gql_v_first_of(struct gql_vctx *c, const char *const *names, size_t n);

/* ---- validate_fields.c: the walk over every definition with its types ---- */

void gql_v_walk(struct gql_vctx *c);

/* ---- validate_values.c: literals against their input types ---- */

struct gql_vwalk {
    struct gql_vctx *c;
    struct gql_vdef *def; /* where variable usages are recorded; NULL: none */
};
/*
 * Checks a literal at a position of input type type (NULL when unknown),
 * location_default the default value of that position (argument or input
 * field), voct whether ValuesOfCorrectType still applies here.
 */
void gql_v_value(struct gql_vwalk *w, const struct gql_value *v, const struct gql_type *type,
                 const struct gql_value *location_default, bool voct, unsigned depth);

/* ---- validate_overlap.c: OverlappingFieldsCanBeMerged ---- */

void gql_v_overlap(struct gql_vctx *c, const struct gql_type *parent,
                   const struct gql_selection_set *set, bool in_inline_fragment);

#endif
