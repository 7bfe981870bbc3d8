/*
 * Features for the intent classifier, and the dictionary that numbers them.
 *
 * A text becomes a bag of 64-bit hashes in three blocks. Two are the
 * TF-IDF baseline of NLU-NOTES.md: the word block holds folded word
 * unigrams and bigrams (punctuation dropped), where a recognized slot value
 * is replaced by its slot type ("fly to <AMAZON.US_CITY>"), and the char
 * block holds character 2..5-grams inside word boundaries (" wellington "
 * padded with spaces), which carry typos and morphology. The third holds
 * every unordered pair of the words of three letters or more ("card" +
 * "arrive" wherever they are), a cheap degree-2 interaction that the
 * linear model cannot build by itself. The classifier
 * maps hashes seen in training to dense ids with an fdict (an open-addressed
 * table, immutable after training and so safe to read from many threads);
 * hashes never seen in training are dropped at inference.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "intents/intents_internal.h"
#include "common/common.h"

bool intents_plain_only = false;

/* hash_bytes, inlined where n is a constant (its loop then unrolls) */
static inline __attribute__((always_inline)) uint64_t hash_inline(uint64_t seed, const void *p,
                                                                  size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x100000001b3ULL);
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
    return hash_inline(seed, p, n);
}

void *table_alloc(size_t bytes, bool zero)
{
    enum { HUGE_PAGE = 2 << 20 };
    void *p = NULL;
    if (bytes < HUGE_PAGE)
        return zero ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE); /* advice: no huge pages is no error */
    if (zero)
        memset(p, 0, bytes);
    return p;
}

int fdict_init(struct fdict *d, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2)
        cap *= 2;
    d->slots = table_alloc(cap * sizeof *d->slots, true);
    d->mask = cap - 1;
    d->n = 0;
    if (!d->slots) {
        fdict_release(d);
        return PARLEY_ENOMEM;
    }
    return 0;
}

void fdict_release(struct fdict *d)
{
    free(d->slots);
    memset(d, 0, sizeof *d);
}

static int fdict_grow(struct fdict *d)
{
    struct fdict g;
    if (fdict_init(&g, (d->mask + 1)) < 0)
        return PARLEY_ENOMEM;
    for (size_t i = 0; i <= d->mask; i++) {
        if (!d->slots[i].key)
            continue;
        size_t j = d->slots[i].key & g.mask;
        while (g.slots[j].key)
            j = (j + 1) & g.mask;
        g.slots[j] = d->slots[i];
    }
    g.n = d->n;
    fdict_release(d);
    *d = g;
    return 0;
}

int64_t fdict_add(struct fdict *d, uint64_t h)
{
    if (!h)
        h = 1;
    if ((d->n + 1) * 2 > d->mask + 1 && fdict_grow(d) < 0)
        return -1;
    size_t j = h & d->mask;
    while (d->slots[j].key) {
        if (d->slots[j].key == h)
            return (int64_t)d->slots[j].id;
        j = (j + 1) & d->mask;
    }
    d->slots[j].key = h;
    d->slots[j].id = d->n;
    return (int64_t)d->n++;
}

int64_t fdict_get(const struct fdict *d, uint64_t h)
{
    return fdict_get_inline(d, h);
}

void fraw_release(struct fraw *f)
{
    free(f->h);
    free(f->block);
    free(f->dense);
    memset(f, 0, sizeof *f);
}

/* Room for at least need features (doubling from 128). */
static int fraw_reserve(struct fraw *f, size_t need)
{
    if (need <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap * 2 : 128;
    while (cap < need)
        cap *= 2;
    uint64_t *nh = realloc(f->h, cap * sizeof *nh);
    if (!nh)
        return PARLEY_ENOMEM;
    f->h = nh;
    uint8_t *nb = realloc(f->block, cap);
    if (!nb)
        return PARLEY_ENOMEM;
    f->block = nb;
    f->cap = cap;
    return 0;
}

int fraw_push(struct fraw *f, uint64_t h, uint8_t block)
{
    if (f->n == f->cap && fraw_reserve(f, f->n + 1) < 0)
        return PARLEY_ENOMEM;
    f->h[f->n] = h;
    f->block[f->n] = block;
    f->n++;
    return 0;
}

enum { SEED_UNI = 1, SEED_BI = 2, SEED_CHAR = 3, SEED_TYPE = 4 };
#define PAIR_MAX_WORDS 32

uint64_t features_word_hash(const char *w, size_t len)
{
    return hash_bytes(SEED_UNI, w, len);
}

/* The n-grams of buf[0, bl) hashed as hash_bytes hashes them; inlined with
 * n a constant, so the loop over a gram's bytes unrolls. */
static inline __attribute__((always_inline)) int char_grams(struct fraw *out, const char *buf,
                                                            size_t bl, size_t n)
{
    int rc;
    for (size_t k = 0; k + n <= bl; k++)
        if ((rc = fraw_push(out, hash_inline(SEED_CHAR + 16 * n, buf + k, n), FBLOCK_CHAR)) < 0)
            return rc;
    return 0;
}

int features_extract(const struct toks *t, const struct typed_span *spans, size_t n_spans,
                     const struct intents_vectors *vectors, const struct fdict *known,
                     struct fraw *out)
{
    int rc = 0;
    uint64_t prev = 0;
    out->n = 0;
    out->n_dense = 0;
    /* room for the features below at once: a unigram and a bigram per word,
     * a token's character n-grams, the word pairs (an unknown word's
     * neighbours, when classifying, make room for themselves) */
    size_t need = 0, words = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t bl = (tok_norm_len(t, i) > 64 ? 64 : tok_norm_len(t, i)) + 2;
        for (size_t n = 2; n <= 5 && n <= bl; n++)
            need += bl - n + 1;
        if (t->v[i].kind != TOK_PUNCT)
            need += 2;
        if (t->v[i].kind != TOK_PUNCT && tok_norm_len(t, i) > 2 && words < PAIR_MAX_WORDS)
            words++;
    }
    if ((rc = fraw_reserve(out, need + words * (words - 1) / 2)) < 0)
        return rc;
    if (vectors) {
        size_t dim = intents_vectors_dim(vectors);
        if (!out->dense && !(out->dense = malloc(dim * sizeof *out->dense)))
            return PARLEY_ENOMEM;
        if (vectors_embed(vectors, t, spans, n_spans, out->dense))
            out->n_dense = dim;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].kind == TOK_PUNCT)
            continue;
        uint64_t w = 0;
        const struct typed_span *sp = NULL;
        for (size_t s = 0; s < n_spans; s++)
            if (i >= spans[s].t0 && i < spans[s].t1)
                sp = &spans[s];
        if (sp) {
            if (i == sp->t0)
                w = hash_bytes(SEED_TYPE, sp->type, strlen(sp->type));
        } else {
            w = hash_bytes(SEED_UNI, tok_norm(t, i), tok_norm_len(t, i));
        }
        if (w) {
            if ((rc = fraw_push(out, w, FBLOCK_WORD | FRAW_UNIGRAM)) < 0)
                return rc;
            uint64_t nb[VECTORS_MAX_NEIGHBOURS];
            uint32_t n_nb =
                known && !sp && fdict_get(known, w) < 0
                    ? vectors_neighbours(vectors, tok_norm(t, i), tok_norm_len(t, i), nb)
                    : 0;
            for (uint32_t k = 0; k < n_nb; k++)
                if ((rc = fraw_push(out, nb[k], FBLOCK_WORD | FRAW_NEIGHBOUR)) < 0)
                    return rc;
            if (prev && (rc = fraw_push(out, hash_mix(prev, w) ^ SEED_BI, FBLOCK_WORD)) < 0)
                return rc;
            prev = w;
        }
        /* char n-grams of the word padded with spaces */
        char buf[72];
        size_t l = tok_norm_len(t, i);
        if (l > 64)
            l = 64;
        buf[0] = ' ';
        memcpy(buf + 1, tok_norm(t, i), l);
        buf[l + 1] = ' ';
        size_t bl = l + 2;
        if ((rc = char_grams(out, buf, bl, 2)) < 0 || (rc = char_grams(out, buf, bl, 3)) < 0 ||
            (rc = char_grams(out, buf, bl, 4)) < 0 || (rc = char_grams(out, buf, bl, 5)) < 0)
            return rc;
    }
    /* unordered pairs of the words of 3+ letters, in a block of their own */
    {
        uint64_t ws[PAIR_MAX_WORDS];
        size_t nw = 0;
        for (size_t i = 0; i < t->n && nw < PAIR_MAX_WORDS; i++)
            if (t->v[i].kind != TOK_PUNCT && tok_norm_len(t, i) > 2)
                ws[nw++] = hash_bytes(SEED_UNI, tok_norm(t, i), tok_norm_len(t, i));
        for (size_t a = 0; a < nw; a++)
            for (size_t b = a + 1; b < nw; b++) {
                uint64_t x = ws[a] < ws[b] ? ws[a] : ws[b], y = ws[a] < ws[b] ? ws[b] : ws[a];
                if ((rc = fraw_push(out, hash_mix(hash_mix(x, 0x77), y), FBLOCK_PAIR)) < 0)
                    return rc;
            }
    }
    return 0;
}
