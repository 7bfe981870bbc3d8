/*
 * What the .c files of intents/ share: tokens, hashing, the feature
 * dictionary, the classifier, the tagger, slot types and the model layout.
 * Nothing outside intents/ includes this header.
 */
#ifndef PARLEY_INTENTS_INTERNAL_H
#define PARLEY_INTENTS_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intents/intents.h"

/* ---- text.c: UTF-8, folding, tokens with offsets ---- */

enum tok_kind { TOK_WORD = 0, TOK_NUM = 1, TOK_PUNCT = 2 };

enum tok_flag {
    TOKF_UPPER_FIRST = 1, /* first letter upper case in the user's text */
    TOKF_ALL_UPPER = 2,
    TOKF_HAS_DIGIT = 4,
    TOKF_HAS_ALPHA = 8,
};

struct tok {
    uint32_t b0, b1; /* byte span in the original text */
    uint32_t c0, c1; /* code-point span */
    uint32_t n0, n1; /* span of the folded form in toks.norm */
    uint8_t kind;
    uint8_t flags;
};

struct toks {
    struct tok *v;
    size_t n, cap;
    char *norm; /* folded tokens, each NUL-terminated */
    size_t nlen, ncap;
};

/* Decodes one code point at s[*i] (advancing *i); -1 when invalid UTF-8. */
int32_t utf8_next(const char *s, size_t len, size_t *i);
/* True when s[0..len) is valid UTF-8 without NUL bytes. */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8. */
size_t utf8_count(const char *s, size_t len);
/* Byte offset of code point cp (clamped to len). */
size_t utf8_cp_to_byte(const char *s, size_t len, size_t cp);

/* Splits text into tokens (runs of letters/digits; every other non-space
 * character is its own punctuation token). Returns 0 or PARLEY_EINVAL (invalid
 * UTF-8) / PARLEY_ENOMEM. Release with toks_release. */
int toks_init(struct toks *t, const char *s, size_t len);
void toks_release(struct toks *t);
static inline const char *tok_norm(const struct toks *t, size_t i)
{
    return t->norm + t->v[i].n0;
}
static inline size_t tok_norm_len(const struct toks *t, size_t i)
{
    return t->v[i].n1 - t->v[i].n0;
}
/* Folds s (case, accents, spacing, punctuation dropped) into out (cap bytes,
 * NUL-terminated); tokens separated by one space. Returns the length. */
size_t text_fold(const char *s, size_t len, char *out, size_t cap);

/* ---- hashing and the feature dictionary (features.c) ---- */

uint64_t hash_bytes(uint64_t seed, const void *p, size_t n);

/* Memory for a table read at random while classifying (weights, the
 * dictionary, word vectors): from 2 MB on, in transparent huge pages where
 * the kernel gives them, so that reading a row costs a cache miss and not
 * also a page-table walk. Zeroed when zero is true. Release with free(). */
void *table_alloc(size_t bytes, bool zero);
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* hash -> dense id, open addressing; immutable after building. A key and
 * its id share a 16-byte slot: a lookup costs one cache miss, not two. */
struct fdict_slot {
    uint64_t key; /* 0 = empty */
    uint64_t id;
};
struct fdict {
    struct fdict_slot *slots;
    size_t mask;
    size_t n;
};
int fdict_init(struct fdict *d, size_t expect);
void fdict_release(struct fdict *d);
/* Returns the id of h, adding it when absent (-1 on OOM). */
int64_t fdict_add(struct fdict *d, uint64_t h);
/* Returns the id of h or -1. */
int64_t fdict_get(const struct fdict *d, uint64_t h);
/* The same inlined, for loops that look up every feature of a text. */
static inline int64_t fdict_get_inline(const struct fdict *d, uint64_t h)
{
    if (!d->slots)
        return -1;
    if (!h)
        h = 1;
    size_t j = h & d->mask;
    while (d->slots[j].key) {
        if (d->slots[j].key == h)
            return (int64_t)d->slots[j].id;
        j = (j + 1) & d->mask;
    }
    return -1;
}

/* The inner loops of classifying and training have AVX2 copies, chosen at
 * run time where the CPU has AVX2; each gives the same results bit for bit
 * as its plain copy. intents_plain_only (false) makes every choice the
 * plain copy: the tests set it to check that the two agree. */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_COPIES 1
#include <immintrin.h>
#endif
extern bool intents_plain_only;
static inline bool use_avx2(void)
{
#ifdef HAVE_AVX2_COPIES
    return !intents_plain_only && __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

/* Runs CALL(v) with v the constant 1, 2, ... or 8 that n is (8 for n > 8):
 * an AVX2 loop over v vectors, inlined with v a constant, unrolls and
 * keeps its sums in registers (classifier.c, mlp.c). */
#define WITH_CONST_1_TO_8(n, CALL)                                                                 \
    do {                                                                                           \
        switch ((n) < 8 ? (n) : 8) {                                                               \
        case 1:                                                                                    \
            CALL(1);                                                                               \
            break;                                                                                 \
        case 2:                                                                                    \
            CALL(2);                                                                               \
            break;                                                                                 \
        case 3:                                                                                    \
            CALL(3);                                                                               \
            break;                                                                                 \
        case 4:                                                                                    \
            CALL(4);                                                                               \
            break;                                                                                 \
        case 5:                                                                                    \
            CALL(5);                                                                               \
            break;                                                                                 \
        case 6:                                                                                    \
            CALL(6);                                                                               \
            break;                                                                                 \
        case 7:                                                                                    \
            CALL(7);                                                                               \
            break;                                                                                 \
        default:                                                                                   \
            CALL(8);                                                                               \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

/* Raw features of a text for the classifier: hashes tagged with their block. */
enum { FBLOCK_WORD = 0, FBLOCK_CHAR = 1, FBLOCK_PAIR = 2, FBLOCK_N = 3 };
#define FBLOCK_MASK 3
#define FRAW_UNIGRAM 4 /* flag on a word unigram (for vocabulary coverage) */
/* flag on a neighbour of the unigram before it (vectors_neighbours): the
 * classifier takes the first one it knows in place of an unknown word */
#define FRAW_NEIGHBOUR 8
struct fraw {
    uint64_t *h;
    uint8_t *block;
    size_t n, cap;
    float *dense;   /* the word-vector block, n_dense values (vectors.c), or NULL */
    size_t n_dense; /* 0 when no word of the text has a vector */
};
void fraw_release(struct fraw *f);
int fraw_push(struct fraw *f, uint64_t h, uint8_t block);
/* A token sequence with some spans replaced by slot-type names. */
struct typed_span {
    uint32_t t0, t1; /* token span, end exclusive */
    const char *type;
};
/* known: when classifying, the words the model knows (its dictionary): a
 * word it does not know is followed by its neighbours' unigrams, for the
 * classifier to pick one. NULL while learning from samples. */
struct fdict;
int features_extract(const struct toks *t, const struct typed_span *spans, size_t n_spans,
                     const struct intents_vectors *vectors, const struct fdict *known,
                     struct fraw *out);
/* The unigram feature of a folded word. */
uint64_t features_word_hash(const char *w, size_t len);

/* ---- vectors.c: pretrained word vectors ---- */

/* out[dim] = the L2-normalized weighted mean of the vectors of t's words
 * (those inside spans left out); false when none of them has a vector. */
bool vectors_embed(const struct intents_vectors *v, const struct toks *t,
                   const struct typed_span *spans, size_t n_spans, float *out);
uint64_t vectors_digest(const struct intents_vectors *v);
/* The unigram features of a folded word's nearest neighbours, closest
 * first, into features[VECTORS_MAX_NEIGHBOURS]; how many (0 without the
 * file's neighbours section or for a word outside it). */
#define VECTORS_MAX_NEIGHBOURS 64
uint32_t vectors_neighbours(const struct intents_vectors *v, const char *word, size_t len,
                            uint64_t *features);

/* A sparse vector of dictionary ids. */
struct fvec {
    uint32_t *idx;
    float *val;
    size_t n;
};

/* Quantizes w[rows][cols] to 8 bits a weight, one scale per row:
 * w[r][j] ~ q[r][j] * scale[r]. */
void quantize_rows(const float *w, size_t rows, size_t cols, int8_t *q, float *scale);

/* ---- mlp.c: one hidden layer over the sparse vectors ---- */

/* n_nets networks of n_hidden units over the same inputs; a feature's
 * first-layer weights for all of them share one row (one cache line). */
struct mlp {
    size_t n_in, n_hidden, n_out, n_nets;
    uint32_t *in_map; /* [n_map]: classifier feature id -> input row, UINT32_MAX = not an input */
    size_t n_map;
    float *w1;   /* [n_in][n_hidden] while training (one network) */
    int8_t *w1q; /* [n_in][n_nets * n_hidden] once joined, times w1s[input] */
    float *w1s;  /* [n_in] */
    float *b1;   /* [n_nets * n_hidden] */
    float *w2;   /* [n_out][n_hidden] while training (one network) */
    float *b2;   /* [n_out] while training */
    float *wo;   /* [n_nets * n_hidden][n_out] once joined: the output layers over n_nets */
    float *bo;   /* [n_out] once joined: the mean of the output biases */
};

/* Trains one network on the CSR rows (ptr[n_rows + 1], idx, val) with labels;
 * seed draws the initial weights and the order of the examples. Its first
 * layer stays in floats (w1): mlp_join makes it usable by mlp_predict. */
int mlp_train(struct mlp *m, const size_t *ptr, const uint32_t *idx, const float *val,
              const uint32_t *labels, size_t n_rows, size_t n_features, size_t n_classes,
              uint64_t seed);
/* Moves n (>= 1) trained networks of the same shape into one, their first
 * layers side by side in each row, kept at 8 bits a weight with one scale a
 * row, their output layers averaged into one; releases them, also on
 * failure. */
int mlp_join(struct mlp *out, struct mlp *nets, size_t n);
/* Fills logits[n_out] with the mean of the networks' logits for one sparse
 * vector: the log of the geometric mean of their softmaxes, up to a
 * constant. */
int mlp_predict(const struct mlp *m, const uint32_t *idx, const float *val, size_t n,
                float *logits);
void mlp_release(struct mlp *m);
uint64_t mlp_digest(const struct mlp *m, uint64_t h);

/* ---- classifier.c: one-vs-rest linear SVM, calibrated softmax ---- */

#define CLASSIFIER_NETS 2 /* networks next to the SVM, each from its own seed */

struct classifier {
    struct fdict dict;
    float *idf;    /* per feature id */
    int8_t *w;     /* [n_features][n_classes], times wscale[feature] */
    float *wscale; /* [n_features] */
    float *bias;   /* [n_classes] */
    size_t n_features, n_classes, n_docs;
    size_t n_dense; /* features 0..n_dense-1: the word-vector block */
    float scale;    /* softmax temperature: p = softmax(scale * margin) */
    struct mlp mlp;
};

struct train_doc {
    struct fraw raw;
    uint32_t label;
};

int classifier_train(struct classifier *c, const struct train_doc *docs, size_t n_docs,
                     size_t n_classes);
void classifier_release(struct classifier *c);
/* Fills probs[n_classes]. */
int classifier_predict(const struct classifier *c, const struct fraw *raw, float *probs);
uint64_t classifier_digest(const struct classifier *c, uint64_t h);

/* ---- tagger.c: BIO averaged structured perceptron ---- */

struct gaz_match {
    uint32_t t0, t1;
    uint32_t cls; /* gazetteer class (slot name or slot type) */
};

struct tag_doc {
    const struct toks *t;
    uint32_t intent;
    const uint16_t *gold; /* labels per token */
    const struct gaz_match *gaz;
    size_t n_gaz;
};

struct tagger {
    float *w; /* hashed (feature, label) weights */
    size_t mask;
    float *trans; /* [(n_labels + 1) * n_labels], row n_labels = start; then -1e30 */
    size_t n_labels;
    /* allowed[intent] = label ids allowed for that intent (O always first) */
    uint16_t **allowed;
    size_t *n_allowed;
    size_t n_intents;
    /* lt[intent]: its allowed labels' transitions, as Viterbi reads them */
    float **lt;
};

/* Labels: 0 = O, 1 + 2s = B-slot s, 2 + 2s = I-slot s. */
int tagger_train(struct tagger *tg, const struct tag_doc *docs, size_t n_docs, size_t n_slots,
                 size_t n_intents, uint16_t *const *allowed, const size_t *n_allowed,
                 const char *const *gaz_names, size_t n_gaz_names);
void tagger_release(struct tagger *tg);
/* Tags t for intent into labels[t->n]. */
int tagger_tag(const struct tagger *tg, const struct toks *t, uint32_t intent,
               const struct gaz_match *gaz, size_t n_gaz, uint16_t *labels);
uint64_t tagger_digest(const struct tagger *tg, uint64_t h);

/* ---- builtins.c / dates.c: built-in slot types ---- */

enum builtin_type {
    BI_NONE = 0,
    BI_DATE,
    BI_TIME,
    BI_NUMBER,
    BI_DURATION,
    BI_CITY,
    BI_EMAIL,
    BI_PHONE,
    BI_ALNUM,
    BI_FIRSTNAME,
    BI_N
};

enum builtin_type builtin_lookup(const char *name);
const char *builtin_name(enum builtin_type b);

/* A recognized value: token span and its resolution. */
struct bi_match {
    uint32_t t0, t1;
    char resolved[INTENTS_MAX_VALUE];
};

/* Parses exactly tokens [t0,t1) of t as a value of type b; 0 or PARLEY_ENOTFOUND. */
int builtin_parse(enum builtin_type b, const char *text, const struct toks *t, size_t t0, size_t t1,
                  const struct intents_context *ctx, char *resolved, size_t cap);
/* Finds the longest values of type b in t, left to right, non-overlapping. */
size_t builtin_scan(enum builtin_type b, const char *text, const struct toks *t,
                    const struct intents_context *ctx, struct bi_match *out, size_t max);
/* Sample values used to fill {Slot} of a built-in type in sample utterances. */
const char *const *builtin_samples(enum builtin_type b, size_t *n);

/* dates.c */
int dates_parse(const struct toks *t, size_t t0, size_t t1, const struct intents_context *ctx,
                char *out, size_t cap);
/* An ambiguous time ("10 o'clock", "quarter past three") is written
 * "~HH:MM": the caller turns it into the slot's two readings, HH:MM and
 * twelve hours later (readings_take in model.c). */
int times_parse(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap);
#define TIME_AMBIGUOUS '~'
int durations_parse(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap);
/* numbers: parse tokens [t0,t1) as a number into out (decimal text). */
int numbers_parse(const struct toks *t, size_t t0, size_t t1, double *value);
void numbers_format(double v, char *out, size_t cap);

/* gazetteer.c: shipped city and first-name lists (folded, one per entry). */
extern const char *const gazetteer_cities[];
extern const size_t gazetteer_n_cities;
extern const char *const gazetteer_first_names[];
extern const size_t gazetteer_n_first_names;

/* ---- slots.c: custom slot types ---- */

struct slot_value {
    char *value;     /* canonical, as given */
    char **folded;   /* folded forms: value then synonyms */
    char **singular; /* the same with the last word singularized */
    size_t n_folded;
};

struct slot_type {
    char *name;
    struct slot_value *values;
    size_t n_values;
    enum intents_selection selection;
    char *regex_src;
    regex_t regex;
    bool has_regex;
    enum builtin_type builtin; /* BI_NONE for custom types */
    size_t max_words;          /* words in the longest folded value (scan limit) */
    uint32_t gaz_class;
};

/* Resolves a folded candidate against a custom type: exact, plural, typo. */
int slot_type_match(const struct slot_type *st, const char *folded, const char *original,
                    char *resolved, size_t cap);
/* Finds values of a custom type in t (longest, non-overlapping). */
size_t slot_type_scan(const struct slot_type *st, const char *text, const struct toks *t,
                      struct bi_match *out, size_t max);
void slot_type_release(struct slot_type *st);
/* Fills the singular forms and max_words once values are folded. */
int slot_type_prepare(struct slot_type *st);

/* ---- the model (model.c) ---- */

struct model_slot {
    char *name;
    int32_t type;    /* index into model.types, -1 = free text */
    uint32_t global; /* index into model.slot_names */
};

struct model_intent {
    char *name;
    struct model_slot *slots;
    size_t n_slots;
};

/* Gazetteer of values seen as slot values (examples) or defined (types). */
struct gaz_entry {
    uint32_t cls;
    uint32_t count; /* examples with this value */
    uint32_t next;  /* next entry of the same key, UINT32_MAX at the end */
};

struct gazetteer {
    struct gaz_entry *v;
    size_t n, cap;
    struct fdict keys; /* hash of a folded token run (a value or a prefix of one) -> id */
    uint32_t *head;    /* [id]: first entry of that run, UINT32_MAX for a mere prefix */
    size_t head_cap;
    uint32_t max_tokens;
};

struct intents_model {
    struct model_intent *intents;
    size_t n_intents;
    struct slot_type *types;
    size_t n_types;
    char **slot_names; /* global slot names (tagger labels) */
    size_t n_slot_names;
    char **gaz_names; /* gazetteer classes */
    size_t n_gaz_names;
    struct gazetteer gaz;
    struct classifier clf;
    struct tagger tagger;
    double threshold;
    bool use_types;                        /* slot-type replacement features enabled */
    const struct intents_vectors *vectors; /* borrowed from the spec, or NULL */
};

#endif
