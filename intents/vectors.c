/*
 * Pretrained word vectors: what the training utterances cannot teach.
 *
 * A bot's sample utterances say "movie"; its user says "film". No feature
 * learned from the samples links the two, but vectors trained on billions
 * of words of running text (GloVe) put them side by side. The classifier
 * gets one more feature block: the weighted mean of the vectors of the
 * utterance's words, L2-normalized like the other blocks. The mean weighs a
 * word by a / (a + p(w)) (Arora et al.'s "smooth inverse frequency", a =
 * 1e-3), with p(w) read off the word's rank in the file (most frequent
 * first) by Zipf's law, so "the" and "to" count for little.
 *
 * The file is Parley's own, written by intents/vectors/convert.mjs (see
 * docs/intents.md): the magic "PARLEYV1", the word count and the dimension
 * (two little-endian uint32), the vectors at 8 bits (int8, word after word),
 * one float scale per word, then the words (a length byte and UTF-8 bytes,
 * folded as text.c folds, most frequent first), and optionally, written by
 * intents/vectors/neighbours.c, each frequent word's nearest others: when
 * classifying, a word the model does not know stands for the first of them
 * it knows (vectors_neighbours, classifier.c). It is read once, into one
 * block of memory, and never changed: any number of models and threads may
 * share it; it must outlive them. A word is found by an open-addressed table
 * of its hash, built when the file is read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#ifndef INTENTS_VECTORS_DEFAULT /* CMake sets it; a build by hand runs from the repository */
#define INTENTS_VECTORS_DEFAULT "intents/vectors/glove-100d.pvec"
#endif
#define VEC_MAGIC "PARLEYV1"
#define VEC_NB_MAGIC "NEIGHBRS"
#define VEC_SEED 0x766563 /* hash seed of the word table */
#define VEC_SIF_A 1e-3    /* the smooth-inverse-frequency weight's a */

struct intents_vectors {
    uint32_t n_words, dim;
    int8_t *vec;  /* [n_words][dim] */
    float *scale; /* [n_words] */
    struct vec_slot {
        uint64_t key; /* hash of the word, 0 = empty */
        uint64_t id;  /* its rank: key and rank in one slot, one cache miss */
    } * slots;
    size_t mask;
    double sif_c;    /* weight(rank) = rank / (rank + sif_c) */
    uint64_t digest; /* of the whole file */
    void *data;      /* the file's bytes */
    /* the optional neighbours section: the first nb_words words' nb_k
     * nearest others, closest first, UINT32_MAX past the last */
    uint32_t nb_words, nb_k;
    uint32_t *nb;
    uint64_t *word_feature; /* [nb_words]: each word's unigram feature hash */
};

static int vec_fail(char *err, size_t errlen, int rc, const char *path, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "word vectors %s: %s", path, why);
    return rc;
}

int intents_vectors_open(const char *path, struct intents_vectors **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vec_fail(err, errlen, errno == ENOENT ? PARLEY_ENOTFOUND : PARLEY_EIO, path,
                        strerror(errno));
    struct intents_vectors *v = calloc(1, sizeof *v);
    unsigned char *data = NULL;
    long size = -1;
    int rc = PARLEY_EINVAL;
    const char *why = "not a Parley word-vector file (see docs/intents.md)";
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (!v || size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = v ? PARLEY_EIO : PARLEY_ENOMEM;
        why = v ? "cannot read" : "out of memory";
        goto fail;
    }
    if (!(data = table_alloc((size_t)size + 1, false))) {
        rc = PARLEY_ENOMEM;
        why = "out of memory";
        goto fail;
    }
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        rc = PARLEY_EIO;
        why = "cannot read";
        goto fail;
    }
    if (size < 16 || memcmp(data, VEC_MAGIC, 8) != 0)
        goto fail;
    uint32_t n, dim;
    memcpy(&n, data + 8, 4);
    memcpy(&dim, data + 12, 4);
    /* the vectors and scales must fit before the words begin */
    uint64_t fixed = 16 + (uint64_t)n * dim + (uint64_t)n * 4;
    if (n == 0 || dim == 0 || dim > INTENTS_VECTORS_MAX_DIM || fixed > (uint64_t)size) {
        why = "bad header: no words, a dimension over 512, or shorter than its header says";
        goto fail;
    }
    v->n_words = n;
    v->dim = dim;
    v->vec = (int8_t *)(data + 16);
    v->scale = malloc((size_t)n * sizeof *v->scale);
    size_t cap = 64;
    while (cap < (size_t)n * 2)
        cap *= 2;
    v->slots = table_alloc(cap * sizeof *v->slots, true);
    v->mask = cap - 1;
    if (!v->scale || !v->slots) {
        rc = PARLEY_ENOMEM;
        why = "out of memory";
        goto fail;
    }
    memcpy(v->scale, data + 16 + (size_t)n * dim, (size_t)n * sizeof *v->scale);
    size_t at = (size_t)fixed;
    for (uint32_t i = 0; i < n; i++) {
        if (at >= (size_t)size || at + 1 + data[at] > (size_t)size || data[at] == 0) {
            why = "the word list is truncated or has an empty word";
            goto fail;
        }
        size_t len = data[at];
        uint64_t h = hash_bytes(VEC_SEED, data + at + 1, len);
        size_t j = h & v->mask;
        while (v->slots[j].key && v->slots[j].key != h)
            j = (j + 1) & v->mask;
        if (!v->slots[j].key) { /* a repeated word (or hash) keeps its first, more frequent, rank */
            v->slots[j].key = h;
            v->slots[j].id = i;
        }
        if (!isfinite(v->scale[i]) || v->scale[i] < 0) {
            why = "a scale is not a finite non-negative number";
            goto fail;
        }
        at += 1 + len;
    }
    /* after the words, an optional neighbours section (neighbours.c) */
    if (at != (size_t)size) {
        uint32_t nw, k;
        if ((size_t)size - at < 16 || memcmp(data + at, VEC_NB_MAGIC, 8) != 0) {
            why = "bytes after the word list that are not a neighbours section";
            goto fail;
        }
        memcpy(&nw, data + at + 8, 4);
        memcpy(&k, data + at + 12, 4);
        if (nw > n || k == 0 || k > VECTORS_MAX_NEIGHBOURS ||
            (size_t)size - at - 16 != (uint64_t)nw * k * 4) {
            why = "a neighbours section whose size does not match its header";
            goto fail;
        }
        v->nb = malloc((size_t)nw * k * sizeof *v->nb + 1);
        v->word_feature = malloc(((size_t)nw + 1) * sizeof *v->word_feature);
        if (!v->nb || !v->word_feature) {
            rc = PARLEY_ENOMEM;
            why = "out of memory";
            goto fail;
        }
        memcpy(v->nb, data + at + 16, (size_t)nw * k * sizeof *v->nb);
        v->nb_words = nw;
        v->nb_k = k;
        for (size_t i = 0; i < (size_t)nw * k; i++)
            if (v->nb[i] >= nw && v->nb[i] != UINT32_MAX) {
                why = "a neighbour that is not one of the section's words";
                goto fail;
            }
        size_t w = (size_t)fixed;
        for (uint32_t i = 0; i < nw; i++) {
            v->word_feature[i] = features_word_hash((const char *)data + w + 1, data[w]);
            w += 1 + data[w];
        }
    }
    v->sif_c = 1.0 / (VEC_SIF_A * (log((double)n) + 0.5772156649));
    /* the file's digest, eight bytes at a time (a byte-wise hash of 36 MB
     * would be most of the reading time) */
    uint64_t h = hash_mix(VEC_SEED, (uint64_t)size);
    size_t words = (size_t)size / 8;
    for (size_t k = 0; k < words; k++) {
        uint64_t w8;
        memcpy(&w8, data + 8 * k, 8);
        h = hash_mix(h, w8);
    }
    v->digest = hash_mix(h, hash_bytes(VEC_SEED, data + 8 * words, (size_t)size % 8));
    v->data = data;
    fclose(f);
    *out = v;
    return 0;
fail:
    fclose(f);
    free(data);
    if (v) {
        free(v->scale);
        free(v->slots);
        free(v->nb);
        free(v->word_feature);
        free(v);
    }
    return vec_fail(err, errlen, rc, path, why);
}

void intents_vectors_close(struct intents_vectors *v)
{
    if (!v)
        return;
    free(v->data);
    free(v->scale);
    free(v->slots);
    free(v->nb);
    free(v->word_feature);
    free(v);
}

size_t intents_vectors_dim(const struct intents_vectors *v)
{
    return v ? v->dim : 0;
}

size_t intents_vectors_words(const struct intents_vectors *v)
{
    return v ? v->n_words : 0;
}

const char *intents_vectors_default_path(void)
{
    return INTENTS_VECTORS_DEFAULT;
}

uint64_t vectors_digest(const struct intents_vectors *v)
{
    return v ? v->digest : 0;
}

/* The rank of the word of hash h, or -1. */
static int64_t vec_find(const struct intents_vectors *v, uint64_t h)
{
    for (size_t j = h & v->mask; v->slots[j].key; j = (j + 1) & v->mask)
        if (v->slots[j].key == h)
            return (int64_t)v->slots[j].id;
    return -1;
}

bool vectors_embed(const struct intents_vectors *v, const struct toks *t,
                   const struct typed_span *spans, size_t n_spans, float *out)
{
    uint32_t D = v->dim;
    uint64_t h[64];
    int64_t rank[64];
    size_t n = 0, i = 0;
    /* the first 64 words that have a vector. The tables are megabytes
     * large: ask for a batch of words' slots, then for the vectors found,
     * before reading any, so the misses overlap */
    while (n < 64 && i < t->n) {
        size_t nw = 0;
        for (; i < t->n && nw < 64; i++) {
            if (t->v[i].kind == TOK_PUNCT)
                continue;
            bool typed = false; /* a recognized slot value stands for its type, not its words */
            for (size_t s = 0; s < n_spans && !typed; s++)
                typed = i >= spans[s].t0 && i < spans[s].t1;
            if (typed)
                continue;
            h[nw] = hash_bytes(VEC_SEED, tok_norm(t, i), tok_norm_len(t, i));
            __builtin_prefetch(&v->slots[h[nw++] & v->mask]);
        }
        for (size_t k = 0; k < nw && n < 64; k++)
            if ((rank[n] = vec_find(v, h[k])) >= 0)
                __builtin_prefetch(v->vec + (size_t)rank[n++] * D);
    }
    if (n == 0)
        return false;
    memset(out, 0, D * sizeof *out);
    for (size_t k = 0; k < n; k++) {
        const int8_t *restrict row = v->vec + (size_t)rank[k] * D;
        double r = (double)rank[k] + 1;
        float wgt = (float)(r / (r + v->sif_c)) * v->scale[rank[k]];
        for (uint32_t d = 0; d < D; d++)
            out[d] += wgt * (float)row[d];
    }
    double s = 0;
    for (uint32_t d = 0; d < D; d++)
        s += (double)out[d] * out[d];
    if (!(s > 0))
        return false;
    float k = (float)(1.0 / sqrt(s));
    for (uint32_t d = 0; d < D; d++)
        out[d] *= k;
    return true;
}

uint32_t vectors_neighbours(const struct intents_vectors *v, const char *word, size_t len,
                            uint64_t *features)
{
    if (!v || !v->nb)
        return 0;
    int64_t r = vec_find(v, hash_bytes(VEC_SEED, word, len));
    if (r < 0 || (uint64_t)r >= v->nb_words)
        return 0;
    const uint32_t *nb = v->nb + (size_t)r * v->nb_k;
    uint32_t n = 0;
    while (n < v->nb_k && nb[n] != UINT32_MAX) {
        features[n] = v->word_feature[nb[n]];
        n++;
    }
    return n;
}
