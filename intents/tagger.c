/*
 * The slot tagger: a linear-chain model over BIO labels (O, B-slot, I-slot)
 * trained as an averaged structured perceptron (Collins 2002) and decoded
 * with Viterbi.
 *
 * Features of a token: its folded form, its neighbours (±2) and the two
 * bigrams it is part of, prefixes and suffixes (1-3), its shape (Xx, x, d,
 * ...), the predicted intent and intent x word, and gazetteer features: the
 * token lies at the start or inside a known value of a slot (values seen in
 * training, with the example's own values left out while training so the
 * tagger does not learn to trust them blindly), of a custom slot type, or of
 * a built-in type (a date, a number, a city). Weights live in one hashed
 * table indexed by (feature, label), a feature's labels next to each other.
 * Decoding only considers the labels of the intent's own slots, and BIO is
 * enforced (I-x follows B-x or I-x), which makes training and tagging fast.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define TAG_EPOCHS 2
#define TAG_MAX_FEATS 48

static uint64_t hs(uint64_t seed, const char *s, size_t n)
{
    return hash_bytes(seed, s, n);
}

static uint64_t tok_h(const uint64_t *th, size_t n, long i)
{
    if (i < 0)
        return 0x1111;
    if ((size_t)i >= n)
        return 0x2222;
    return th[i];
}

static char shape_of(const struct tok *k)
{
    if (k->kind == TOK_PUNCT)
        return 'p';
    if (k->kind == TOK_NUM)
        return 'd';
    if (k->flags & TOKF_HAS_DIGIT)
        return 'm';
    if (k->flags & TOKF_ALL_UPPER)
        return 'A';
    if (k->flags & TOKF_UPPER_FIRST)
        return 'X';
    return 'x';
}

/* Writes the feature hashes of token i into f; returns how many. */
static size_t token_features(const struct toks *t, const uint64_t *th, size_t i, uint32_t intent,
                             const struct gaz_match *gaz, size_t n_gaz, uint64_t *f)
{
    size_t n = 0;
    long li = (long)i;
    uint64_t w0 = tok_h(th, t->n, li), wm1 = tok_h(th, t->n, li - 1), wp1 = tok_h(th, t->n, li + 1);
    uint64_t wm2 = tok_h(th, t->n, li - 2), wp2 = tok_h(th, t->n, li + 2);
    f[n++] = 0xb1a5;
    f[n++] = hash_mix(1, w0);
    f[n++] = hash_mix(2, wm1);
    f[n++] = hash_mix(3, wp1);
    f[n++] = hash_mix(4, wm2);
    f[n++] = hash_mix(5, wp2);
    f[n++] = hash_mix(hash_mix(6, wm1), w0);
    f[n++] = hash_mix(hash_mix(7, w0), wp1);
    f[n++] = hash_mix(10, intent);
    f[n++] = hash_mix(hash_mix(11, intent), w0);
    const char *s = tok_norm(t, i);
    size_t l = tok_norm_len(t, i);
    for (size_t k = 1; k <= 3 && k <= l; k++) {
        f[n++] = hash_mix(12 + k, hs(8, s, k));
        f[n++] = hash_mix(20 + k, hs(8, s + l - k, k));
    }
    f[n++] = hash_mix(30, (uint64_t)shape_of(&t->v[i]));
    for (size_t g = 0; g < n_gaz && n < TAG_MAX_FEATS - 2; g++) {
        if (i < gaz[g].t0 || i >= gaz[g].t1)
            continue;
        uint64_t pos = i == gaz[g].t0 ? 1 : 2;
        f[n++] = hash_mix(hash_mix(40, gaz[g].cls), pos);
        if (n < TAG_MAX_FEATS)
            f[n++] = hash_mix(hash_mix(41, gaz[g].cls), hash_mix(pos, intent));
    }
    return n;
}

/* f: a feature's slot, its hash & mask (featurize()). */
static inline size_t widx(const struct tagger *tg, uint32_t f, size_t label)
{
    return ((size_t)f + label) & tg->mask;
}

static bool bio_ok(size_t prev, size_t cur, size_t n_labels)
{
    /* prev == n_labels: start */
    if (cur == 0 || (cur & 1))
        return true; /* O or B-x */
    return prev != n_labels && prev != 0 && (prev + 1) / 2 == cur / 2;
}

/* Any label may precede O or B-x; I-x follows only B-x or I-x. */
static inline bool any_before(const uint16_t *al, size_t a)
{
    return a == 0 || (al[a] & 1);
}

/* The targets any label may precede, rounded up to whole vectors of eight. */
static size_t open_width(const uint16_t *al, size_t na)
{
    size_t m = 0;
    for (size_t a = 0; a < na; a++)
        m += any_before(al, a);
    return (m + 7) & ~(size_t)7;
}

/* How many floats an intent's transitions take (transitions()). */
static size_t transitions_size(const uint16_t *al, size_t na)
{
    return (na + 1) * na + na * open_width(al, na);
}

/* Where each of an intent's transition scores is read from in tg->trans
 * (a BIO violation: from its last entry, -1e30), in the order transitions()
 * writes them: by source label, ix[b * na + a] for b -> a (b = na: the
 * start); then, for Viterbi, the same rows restricted to the targets any
 * label may precede (O and B-x, in their order), each padded to whole
 * vectors: ix[(na + 1) * na + b * mw + j], mw = open_width(). */
static void transition_index(const struct tagger *tg, const uint16_t *al, size_t na, uint32_t *ix)
{
    size_t L = tg->n_labels, mw = open_width(al, na);
    uint32_t *open = ix + (na + 1) * na, none = (uint32_t)((L + 1) * L);
    for (size_t b = 0; b <= na; b++) {
        size_t prev = b < na ? al[b] : L;
        for (size_t a = 0; a < na; a++)
            ix[b * na + a] = bio_ok(prev, al[a], L) ? (uint32_t)(prev * L + al[a]) : none;
    }
    for (size_t b = 0; b < na; b++) {
        size_t j = 0;
        for (size_t a = 0; a < na; a++)
            if (any_before(al, a))
                open[b * mw + j++] = ix[b * na + a];
        for (; j < mw; j++)
            open[b * mw + j] = none;
    }
}

#ifdef HAVE_AVX2_COPIES
/* transitions() with AVX2: eight scores gathered at a time. */
__attribute__((target("avx2"))) static void transitions_avx2(const float *trans, const uint32_t *ix,
                                                             size_t size, float *lt)
{
    size_t e = 0;
    for (; e + 8 <= size; e += 8) {
        __m256i at = _mm256_loadu_si256((const __m256i *)(const void *)(ix + e));
        _mm256_storeu_ps(lt + e, _mm256_i32gather_ps(trans, at, 4));
    }
    for (; e < size; e++)
        lt[e] = trans[ix[e]];
}
#endif

/* An intent's transition scores lt[size] as Viterbi reads them, from its
 * index ix (transition_index()). */
static void transitions(const struct tagger *tg, const uint32_t *ix, size_t size, float *lt)
{
#ifdef HAVE_AVX2_COPIES
    /* the gather's indices are signed 32-bit */
    if ((tg->n_labels + 1) * tg->n_labels < INT32_MAX && use_avx2()) {
        transitions_avx2(tg->trans, ix, size, lt);
        return;
    }
#endif
    for (size_t e = 0; e < size; e++)
        lt[e] = tg->trans[ix[e]];
}

/* best[j], arg[j]: the best score prev[b] + open[b * mw + j] of the targets
 * any label may precede, over the sources b < na in their order, and the
 * first source that reaches it; mw a multiple of eight (vectorized: the
 * targets are independent). */
static void open_best_plain(size_t na, size_t mw, const float *prev, const float *open,
                            float *restrict best, int32_t *restrict arg)
{
    for (size_t j = 0; j < mw; j++) {
        best[j] = -3e30f;
        arg[j] = 0;
    }
    for (size_t b = 0; b < na; b++) {
        const float pb = prev[b], *restrict row = open + b * mw;
        for (size_t j = 0; j < mw; j += 8)
            for (size_t u = 0; u < 8; u++) {
                float v = pb + row[j + u], old = best[j + u];
                int32_t gt = -(int32_t)(v > old); /* all ones or zero: no branch */
                best[j + u] = v > old ? v : old;
                arg[j + u] = ((int32_t)b & gt) | (arg[j + u] & ~gt);
            }
    }
}

#ifdef HAVE_AVX2_COPIES
/* The same with AVX2, eight targets at a time kept in registers over the
 * sources (the same comparisons in the same order). */
__attribute__((target("avx2"))) static void open_best_avx2(size_t na, size_t mw, const float *prev,
                                                           const float *open, float *best,
                                                           int32_t *arg)
{
    for (size_t j = 0; j < mw; j += 8) {
        __m256 top = _mm256_set1_ps(-3e30f), from = _mm256_setzero_ps();
        for (size_t b = 0; b < na; b++) {
            __m256 v = _mm256_add_ps(_mm256_set1_ps(prev[b]), _mm256_loadu_ps(open + b * mw + j));
            __m256 gt = _mm256_cmp_ps(v, top, _CMP_GT_OQ);
            top = _mm256_blendv_ps(top, v, gt);
            from = _mm256_blendv_ps(from, _mm256_castsi256_ps(_mm256_set1_epi32((int32_t)b)), gt);
        }
        _mm256_storeu_ps(best + j, top);
        _mm256_storeu_si256((__m256i *)(void *)(arg + j), _mm256_castps_si256(from));
    }
}
#endif

/* Viterbi over the allowed labels al[0..na): emit is [n][na], lt their
 * transitions (transitions()), best and arg room for open_width() entries.
 * The targets any label may precede take their best scores source by
 * source, all at once: each keeps the first source that reaches its
 * maximum, as a search for the maximum and then for the first source at
 * it would (open_best_avx2 where the CPU has AVX2). */
static void viterbi(size_t n, const uint16_t *al, size_t na, const float *emit, float *dp,
                    uint16_t *bp, float *restrict best, int32_t *restrict arg, const float *lt,
                    uint16_t *out)
{
    size_t mw = open_width(al, na);
    const float *open = lt + (na + 1) * na;
#ifdef HAVE_AVX2_COPIES
    bool avx2 = use_avx2();
#endif
    for (size_t a = 0; a < na; a++) {
        dp[a] = emit[a] + lt[na * na + a];
        bp[a] = 0;
    }
    for (size_t i = 1; i < n; i++) {
        const float *prev = dp + (i - 1) * na;
#ifdef HAVE_AVX2_COPIES
        if (avx2)
            open_best_avx2(na, mw, prev, open, best, arg);
        else
#endif
            open_best_plain(na, mw, prev, open, best, arg);
        for (size_t a = 0, j = 0; a < na; a++) {
            float top = best[j];
            int32_t from = arg[j];
            if (any_before(al, a)) {
                j++;
            } else {
                /* I-x follows only B-x (a - 1) or I-x (a): allowed lists pair them */
                top = -3e30f;
                from = 0;
                for (size_t b = a - 1; b <= a; b++) {
                    float v = prev[b] + lt[b * na + a];
                    if (v > top) {
                        top = v;
                        from = (int32_t)b;
                    }
                }
            }
            dp[i * na + a] = top + emit[i * na + a];
            bp[i * na + a] = (uint16_t)from;
        }
    }
    size_t best_last = 0;
    for (size_t a = 1; a < na; a++)
        if (dp[(n - 1) * na + a] > dp[(n - 1) * na + best_last])
            best_last = a;
    for (size_t i = n; i-- > 0;) {
        out[i] = al[best_last];
        best_last = bp[i * na + best_last];
    }
}

struct tag_scratch {
    float *emit, *dp, *best;
    int32_t *arg;
    uint16_t *bp, *pred;
    size_t cap;
};

static int scratch_fit(struct tag_scratch *s, size_t n, size_t na)
{
    /* best and arg hold open_width() <= na + 7 entries */
    if (n * na <= s->cap && n <= s->cap && na + 8 <= s->cap)
        return 0;
    size_t cap = n * (na > 1 ? na : 1) + na + 64;
    free(s->emit);
    free(s->dp);
    free(s->best);
    free(s->arg);
    free(s->bp);
    free(s->pred);
    s->emit = malloc(cap * sizeof *s->emit);
    s->dp = malloc(cap * sizeof *s->dp);
    s->best = malloc(cap * sizeof *s->best);
    s->arg = malloc(cap * sizeof *s->arg);
    s->bp = malloc(cap * sizeof *s->bp);
    s->pred = malloc(cap * sizeof *s->pred);
    s->cap = cap;
    if (!s->emit || !s->dp || !s->best || !s->arg || !s->bp || !s->pred) {
        s->cap = 0;
        return PARLEY_ENOMEM;
    }
    return 0;
}

static void scratch_release(struct tag_scratch *s)
{
    free(s->emit);
    free(s->dp);
    free(s->best);
    free(s->arg);
    free(s->bp);
    free(s->pred);
    memset(s, 0, sizeof *s);
}

/* Features of every token of t, as the slots of their hashes in the weight
 * table (hash & mask: (hash + label) & mask is (slot + label) & mask):
 * token i has feats[off[i] .. off[i + 1]). feats must hold t->n *
 * TAG_MAX_FEATS entries; returns how many were written. */
static size_t featurize(const struct toks *t, uint32_t intent, const struct gaz_match *gaz,
                        size_t n_gaz, size_t mask, uint32_t *feats, uint32_t *off)
{
    size_t n = 0;
    uint64_t th_s[64];
    uint64_t *th = t->n <= 64 ? th_s : malloc(t->n * sizeof *th);
    if (!th) {
        off[0] = 0;
        for (size_t i = 0; i < t->n; i++)
            off[i + 1] = 0;
        return 0;
    }
    for (size_t i = 0; i < t->n; i++)
        th[i] = hs(7, tok_norm(t, i), tok_norm_len(t, i));
    for (size_t i = 0; i < t->n; i++) {
        uint64_t f[TAG_MAX_FEATS];
        size_t nf = token_features(t, th, i, intent, gaz, n_gaz, f);
        off[i] = (uint32_t)n;
        for (size_t k = 0; k < nf; k++)
            feats[n++] = (uint32_t)(f[k] & mask);
    }
    if (th != th_s)
        free(th);
    off[t->n] = (uint32_t)n;
    return n;
}

/* Emission scores of the allowed labels, token by token. A feature's labels
 * are adjacent in the table, so unless the intent's labels are few and
 * spread wide, the scores of every label up to its highest are added as one
 * run (vectorized), then the allowed ones picked out: the same additions in
 * the same order as label by label. */
static void emissions_plain(const struct tagger *tg, size_t n, const uint16_t *al, size_t na,
                            const uint32_t *feats, const uint32_t *off, float *emit)
{
    enum { RUN_MAX = 256 };
    float run[RUN_MAX];
    size_t span = 0; /* the labels 0 .. span - 1 hold the allowed ones */
    for (size_t a = 0; a < na; a++)
        if ((size_t)al[a] + 1 > span)
            span = (size_t)al[a] + 1;
    for (size_t i = 0; i < n; i++) {
        float *e = emit + i * na;
        if (span > RUN_MAX || span > 4 * na) { /* few labels spread wide: one by one */
            for (size_t a = 0; a < na; a++)
                e[a] = 0;
            for (uint32_t k = off[i]; k < off[i + 1]; k++)
                for (size_t a = 0; a < na; a++)
                    e[a] += tg->w[widx(tg, feats[k], al[a])];
            continue;
        }
        memset(run, 0, span * sizeof *run);
        for (uint32_t k = off[i]; k < off[i + 1]; k++) {
            size_t base = widx(tg, feats[k], 0);
            const float *restrict row = tg->w + base;
            if (base + span <= tg->mask + 1)
                for (size_t l = 0; l < span; l++)
                    run[l] += row[l];
            else /* the run wraps around the table's end */
                for (size_t l = 0; l < span; l++)
                    run[l] += tg->w[widx(tg, feats[k], l)];
        }
        for (size_t a = 0; a < na; a++)
            e[a] = run[al[a]];
    }
}

#ifdef HAVE_AVX2_COPIES
/* The same with AVX2, eight labels at a time, each token's features added
 * in their order into each vector: the runs read from the table (the last
 * vector masked, a run that wraps around the table's end gathered), the
 * labels one by one gathered. */
__attribute__((target("avx2"))) static void emissions_avx2(const struct tagger *tg, size_t n,
                                                           const uint16_t *al, size_t na,
                                                           const uint32_t *feats,
                                                           const uint32_t *off, float *emit)
{
    enum { RUN_MAX = 256 };
    float run[RUN_MAX];
    int32_t lab[RUN_MAX];
    size_t span = 0;
    for (size_t a = 0; a < na; a++)
        if ((size_t)al[a] + 1 > span)
            span = (size_t)al[a] + 1;
    bool one_by_one = span > RUN_MAX || span > 4 * na;
    if (one_by_one && na > RUN_MAX) {
        emissions_plain(tg, n, al, na, feats, off, emit);
        return;
    }
    size_t width = one_by_one ? na : span, chunks = (width + 7) / 8;
    for (size_t a = 0; a < chunks * 8; a++)
        lab[a] = one_by_one ? (a < na ? al[a] : 0) : (int32_t)a;
    const __m256i mask = _mm256_set1_epi32((int32_t)tg->mask);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t i = 0; i < n; i++) {
        size_t nf = off[i + 1] - off[i];
        const uint32_t *base = feats + off[i];
        uint32_t last = 0; /* the highest slot (a vectorized maximum) */
        for (size_t k = 0; k < nf; k++)
            last = base[k] > last ? base[k] : last;
        bool wraps = one_by_one || last + span > tg->mask + 1;
        for (size_t c = 0; c < chunks; c++) {
            __m256 acc = _mm256_setzero_ps();
            __m256i l = _mm256_loadu_si256((const __m256i *)(const void *)(lab + 8 * c));
            if (wraps) {
                /* each label at (feature + label) & mask */
                for (size_t k = 0; k < nf; k++) {
                    __m256i ix = _mm256_and_si256(
                        _mm256_add_epi32(_mm256_set1_epi32((int32_t)base[k]), l), mask);
                    acc = _mm256_add_ps(acc, _mm256_i32gather_ps(tg->w, ix, 4));
                }
            } else if (8 * c + 8 <= width) {
                for (size_t k = 0; k < nf; k++)
                    acc = _mm256_add_ps(acc, _mm256_loadu_ps(tg->w + base[k] + 8 * c));
            } else {
                /* the last vector: the lanes past the run are not read */
                __m256i in = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(width - 8 * c)), lanes);
                for (size_t k = 0; k < nf; k++)
                    acc = _mm256_add_ps(acc, _mm256_maskload_ps(tg->w + base[k] + 8 * c, in));
            }
            float *to = (one_by_one ? emit + i * na : run) + 8 * c, out[8];
            if (8 * c + 8 <= width) {
                _mm256_storeu_ps(to, acc);
            } else {
                _mm256_storeu_ps(out, acc);
                for (size_t u = 0; u < width - 8 * c; u++)
                    to[u] = out[u];
            }
        }
        if (!one_by_one)
            for (size_t a = 0; a < na; a++)
                emit[i * na + a] = run[al[a]];
    }
}
#endif

/* emissions_avx2 where the CPU has AVX2, else emissions_plain. */
static void emissions(const struct tagger *tg, size_t n, const uint16_t *al, size_t na,
                      const uint32_t *feats, const uint32_t *off, float *emit)
{
#ifdef HAVE_AVX2_COPIES
    if (use_avx2()) {
        emissions_avx2(tg, n, al, na, feats, off, emit);
        return;
    }
#endif
    emissions_plain(tg, n, al, na, feats, off, emit);
}

/* lt: the intent's transitions (transitions()). */
static void decode(const struct tagger *tg, size_t n, uint32_t intent, const uint32_t *feats,
                   const uint32_t *off, const float *lt, struct tag_scratch *s)
{
    const uint16_t *al = tg->allowed[intent];
    size_t na = tg->n_allowed[intent];
    /* the weights are a 4 MB table read at random: ask for every line first so
     * the misses overlap instead of queueing one after the other */
    for (uint32_t k = off[0]; k < off[n]; k++) {
        size_t base = (size_t)feats[k];
        __builtin_prefetch(&tg->w[(base + al[0]) & tg->mask]);
        __builtin_prefetch(&tg->w[(base + al[na - 1]) & tg->mask]);
    }
    emissions(tg, n, al, na, feats, off, s->emit);
    viterbi(n, al, na, s->emit, s->dp, s->bp, s->best, s->arg, lt, s->pred);
}

/* An intent's transitions while training: where they are read from in
 * tg->trans (transition_index()), and when they were last computed. */
struct lt_state {
    uint32_t *ix;
    size_t size;
    uint64_t at;
};

int tagger_train(struct tagger *tg, const struct tag_doc *docs, size_t n_docs, size_t n_slots,
                 size_t n_intents, uint16_t *const *allowed, const size_t *n_allowed,
                 const char *const *gaz_names, size_t n_gaz_names)
{
    int rc = 0;
    struct tag_scratch s = {0};
    float *u = NULL, *ut = NULL;
    size_t *order = NULL, *doc_feat = NULL, *doc_off = NULL;
    struct lt_state *lts = NULL;
    uint32_t *feats = NULL;
    uint32_t *off = NULL;
    memset(tg, 0, sizeof *tg);
    tg->n_labels = 1 + 2 * n_slots;
    tg->n_intents = n_intents;
    size_t n_tok = 0;
    for (size_t d = 0; d < n_docs; d++)
        n_tok += docs[d].t->n;
    size_t size = 1u << 14;
    size_t want = n_tok * 24 * 4;
    while (size < want && size < (1u << 20))
        size <<= 1;
    tg->mask = size - 1;
    size_t L = tg->n_labels;
    tg->w = calloc(size, sizeof *tg->w);
    u = calloc(size, sizeof *u);
    tg->trans = calloc((L + 1) * L + 1, sizeof *tg->trans); /* + the violations' score */
    ut = calloc((L + 1) * L, sizeof *ut);
    tg->allowed = calloc(n_intents, sizeof *tg->allowed);
    tg->n_allowed = calloc(n_intents, sizeof *tg->n_allowed);
    order = malloc((n_docs + 1) * sizeof *order);
    if (!tg->w || !u || !tg->trans || !ut || !tg->allowed || !tg->n_allowed || !order) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    tg->trans[(L + 1) * L] = -1e30f;
    for (size_t k = 0; k < n_intents; k++) {
        tg->allowed[k] = malloc((n_allowed[k] + 1) * sizeof **tg->allowed);
        if (!tg->allowed[k]) {
            rc = PARLEY_ENOMEM;
            goto out;
        }
        memcpy(tg->allowed[k], allowed[k], n_allowed[k] * sizeof **allowed);
        tg->n_allowed[k] = n_allowed[k];
    }
    (void)gaz_names;
    (void)n_gaz_names;
    if (n_slots == 0)
        goto out;
    for (size_t d = 0; d < n_docs; d++)
        order[d] = d;
    /* features do not change between epochs: compute them once */
    feats = malloc((n_tok * TAG_MAX_FEATS + 1) * sizeof *feats);
    off = malloc((n_tok + n_docs + 1) * sizeof *off);
    doc_feat = malloc((n_docs + 1) * sizeof *doc_feat);
    doc_off = malloc((n_docs + 1) * sizeof *doc_off);
    /* each intent's transitions, as Viterbi reads them: recomputed only
     * when a mistake has changed the scores since (trans_at counts the
     * changes, lts[k].at the count intent k's were computed at) */
    tg->lt = calloc(n_intents, sizeof *tg->lt);
    lts = calloc(n_intents, sizeof *lts);
    if (!feats || !off || !doc_feat || !doc_off || !tg->lt || !lts) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < n_intents; k++) {
        size_t na = tg->n_allowed[k];
        if (na <= 1)
            continue;
        lts[k].size = transitions_size(tg->allowed[k], na);
        tg->lt[k] = malloc(lts[k].size * sizeof **tg->lt);
        lts[k].ix = malloc(lts[k].size * sizeof *lts[k].ix);
        if (!tg->lt[k] || !lts[k].ix) {
            rc = PARLEY_ENOMEM;
            goto out;
        }
        transition_index(tg, tg->allowed[k], na, lts[k].ix);
    }
    uint64_t trans_at = 1;
    size_t nfeat = 0, noff = 0;
    for (size_t d = 0; d < n_docs; d++) {
        doc_feat[d] = nfeat;
        doc_off[d] = noff;
        nfeat += featurize(docs[d].t, docs[d].intent, docs[d].gaz, docs[d].n_gaz, tg->mask,
                           feats + nfeat, off + noff);
        noff += docs[d].t->n + 1;
    }
    uint64_t seed = 0x7a66e5u;
    float c = 1;
    int epochs = TAG_EPOCHS;
    for (int ep = 0; ep < epochs; ep++) {
        for (size_t d = n_docs; d > 1; d--) {
            seed = hash_mix(seed, d);
            size_t r = seed % d;
            size_t tmp = order[d - 1];
            order[d - 1] = order[r];
            order[r] = tmp;
        }
        for (size_t oi = 0; oi < n_docs; oi++) {
            size_t di = order[oi];
            const struct tag_doc *doc = &docs[di];
            const struct toks *t = doc->t;
            if (t->n == 0 || tg->n_allowed[doc->intent] <= 1)
                continue;
            if ((rc = scratch_fit(&s, t->n, tg->n_allowed[doc->intent])) < 0)
                goto out;
            const uint32_t *f = feats + doc_feat[di];
            const uint32_t *fo = off + doc_off[di];
            struct lt_state *lk = &lts[doc->intent];
            if (lk->at != trans_at) {
                transitions(tg, lk->ix, lk->size, tg->lt[doc->intent]);
                lk->at = trans_at;
            }
            decode(tg, t->n, doc->intent, f, fo, tg->lt[doc->intent], &s);
            bool same = true;
            for (size_t i = 0; i < t->n; i++)
                if (s.pred[i] != doc->gold[i])
                    same = false;
            if (!same) {
                trans_at++;
                for (size_t i = 0; i < t->n; i++) {
                    size_t g = doc->gold[i], p = s.pred[i];
                    size_t gp = i ? doc->gold[i - 1] : L, pp = i ? s.pred[i - 1] : L;
                    if (g != p) {
                        for (uint32_t k = fo[i]; k < fo[i + 1]; k++) {
                            size_t a = widx(tg, f[k], g), b = widx(tg, f[k], p);
                            tg->w[a] += 1;
                            u[a] += c;
                            tg->w[b] -= 1;
                            u[b] -= c;
                        }
                    }
                    if (g != p || gp != pp) {
                        tg->trans[gp * L + g] += 1;
                        ut[gp * L + g] += c;
                        tg->trans[pp * L + p] -= 1;
                        ut[pp * L + p] -= c;
                    }
                }
            }
            c += 1;
        }
    }
    for (size_t i = 0; i < size; i++)
        tg->w[i] -= u[i] / c;
    for (size_t i = 0; i < (L + 1) * L; i++)
        tg->trans[i] -= ut[i] / c;
    /* each intent's averaged transitions, once: tagging reads them */
    for (size_t k = 0; k < n_intents; k++)
        if (tg->n_allowed[k] > 1)
            transitions(tg, lts[k].ix, lts[k].size, tg->lt[k]);
out:
    scratch_release(&s);
    free(u);
    free(ut);
    free(order);
    free(feats);
    free(off);
    free(doc_feat);
    free(doc_off);
    for (size_t k = 0; lts && k < n_intents; k++)
        free(lts[k].ix);
    free(lts);
    if (rc < 0)
        tagger_release(tg);
    return rc;
}

void tagger_release(struct tagger *tg)
{
    free(tg->w);
    free(tg->trans);
    for (size_t k = 0; k < tg->n_intents; k++) {
        if (tg->allowed)
            free(tg->allowed[k]);
        if (tg->lt)
            free(tg->lt[k]);
    }
    free(tg->allowed);
    free(tg->lt);
    free(tg->n_allowed);
    memset(tg, 0, sizeof *tg);
}

int tagger_tag(const struct tagger *tg, const struct toks *t, uint32_t intent,
               const struct gaz_match *gaz, size_t n_gaz, uint16_t *labels)
{
    struct tag_scratch s = {0};
    if (t->n == 0)
        return 0;
    if (!tg->w || intent >= tg->n_intents || tg->n_allowed[intent] <= 1) {
        memset(labels, 0, t->n * sizeof *labels);
        return 0;
    }
    uint32_t *feats = malloc(t->n * TAG_MAX_FEATS * sizeof *feats);
    uint32_t *off = malloc((t->n + 1) * sizeof *off);
    int rc = 0;
    if (!feats || !off || scratch_fit(&s, t->n, tg->n_allowed[intent]) < 0) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    featurize(t, intent, gaz, n_gaz, tg->mask, feats, off);
    decode(tg, t->n, intent, feats, off, tg->lt[intent], &s);
    memcpy(labels, s.pred, t->n * sizeof *labels);
out:
    free(feats);
    free(off);
    scratch_release(&s);
    return rc;
}

uint64_t tagger_digest(const struct tagger *tg, uint64_t h)
{
    h = hash_mix(h, tg->n_labels);
    if (tg->w)
        h = hash_mix(h, hash_bytes(11, tg->w, (tg->mask + 1) * sizeof *tg->w));
    if (tg->trans)
        h = hash_mix(
            h, hash_bytes(12, tg->trans, (tg->n_labels + 1) * tg->n_labels * sizeof *tg->trans));
    return h;
}
