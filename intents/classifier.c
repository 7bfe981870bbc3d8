/*
 * The intent classifier: a one-vs-rest linear SVM (squared hinge loss,
 * L2-regularized) trained by dual coordinate descent with shrinking, the
 * solver of LIBLINEAR (Hsieh et al., ICML 2008), over TF-IDF vectors:
 * sublinear term frequency (1 + ln tf) times smoothed idf, each feature
 * block (words, chars, word pairs) L2-normalized on its own, the pairs'
 * block then scaled to 0.8.
 *
 * Classes are independent, so they train on two threads, each taking the
 * next class when done with one; each class visits examples in an order
 * drawn from a fixed seed, so the model is the same on every build and
 * whatever the thread timing.
 *
 * Scores are calibrated: p = softmax(scale * [margins, 0]), where the extra
 * 0 is a "none of these" pseudo-class sitting on the one-vs-rest decision
 * boundary: when every intent's SVM says "not me", no intent gets a high
 * score, however few intents the bot has (a plain softmax over two intents
 * never goes below 0.5). scale minimizes the log loss of the approximate
 * leave-one-out margins of the training examples (each example's margin
 * with its own dual contribution removed, w - a_i y_i x_i), so calibration
 * costs no second training. Weights are stored feature-major
 * ([feature][class]) so classifying touches one row per feature present,
 * and at 8 bits a weight with one float scale per row (rounded after
 * training), since that row is what an utterance reads from memory.
 *
 * Bots of MLP_MIN_CLASSES intents or more also get CLASSIFIER_NETS networks
 * of mlp.c (two of 32 hidden units, each from its own fixed seed), each
 * trained on a thread of its own on the same vectors while the SVM trains,
 * then joined so that a feature's first-layer weights for both share one
 * row. Their probabilities are averaged geometrically, and that is combined
 * with the SVM's as a product of experts, p_svm * sqrt(p_net), renormalized
 * onto the mass the SVM leaves outside "none of these". Two half-width
 * networks read what one network of 64 units did, and their mean depends
 * less on the seeds than one network does.
 */
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define SVM_C 0.5
#define PAIR_WEIGHT 0.8 /* the word-pair block's norm (the others have 1) */
#define SVM_EPS 0.1
#define SVM_MAX_ITER 60
#define DEFAULT_SCALE 4.0f
#define MLP_MIN_CLASSES 16 /* smaller bots: the network did not help on held-out splits */
#define ROW_SLACK 8        /* bytes readable past the last weight row (svm_margins_avx2) */
#define MLP_WEIGHT 0.5f    /* the networks' exponent in the product of experts */

struct csr {
    size_t n_rows;
    size_t *ptr;
    uint32_t *idx;
    float *val;
    float *sqnorm;
    size_t n_dense; /* a row may end with the word-vector block: ids 0..n_dense-1 */
    size_t *split;  /* [n_rows]: where row i's word-vector block starts (its end without one) */
};

/* Where row i's word-vector block starts (its end when it has none). */
static inline size_t csr_dense_at(const struct csr *x, size_t i)
{
    return x->split[i];
}

static void csr_release(struct csr *x)
{
    free(x->ptr);
    free(x->idx);
    free(x->val);
    free(x->sqnorm);
    free(x->split);
    memset(x, 0, sizeof *x);
}

static size_t aggregate(const float *idf, uint32_t *keys, size_t m, uint32_t *idx, float *val);
static void tfidf(const float *idf, uint32_t *idx, const uint32_t *cnt, size_t n, float *val);

/* The sparse vector of a text's raw features, and (cover) the idf-weighted
 * share of its words the model knows, unknown words weighing the most an
 * idf can. An unknown word followed by its neighbours (FRAW_NEIGHBOUR) is
 * replaced by the first of them the model knows, which then counts as known
 * in its place: "film" reads as "movie" in a bot whose samples say "movie". */
static size_t vectorize(const struct classifier *c, const struct fraw *raw, uint32_t *keys,
                        uint32_t *idx, float *val, double *cover)
{
    const struct fdict *dict = &c->dict;
    size_t m = 0;
    double known = 0, all = 0, unk = log(1.0 + (double)c->n_docs) + 1.0;
    bool open = false; /* the last word was unknown and nothing stands in for it yet */
    /* the dictionary is megabytes large: fetch every feature's slot at once */
    for (size_t i = 0; i < raw->n; i++) {
        uint64_t h = raw->h[i] ? raw->h[i] : 1;
        if (!(raw->block[i] & FRAW_NEIGHBOUR)) /* few are read */
            __builtin_prefetch(&dict->slots[h & dict->mask]);
    }
    for (size_t i = 0; i < raw->n; i++) {
        bool neighbour = raw->block[i] & FRAW_NEIGHBOUR;
        if (neighbour && !open)
            continue;
        int64_t id = fdict_get_inline(dict, raw->h[i]);
        if (raw->block[i] & FRAW_UNIGRAM) {
            all += id >= 0 ? c->idf[id] : unk;
            known += id >= 0 ? c->idf[id] : 0;
            open = id < 0;
        } else if (neighbour && id >= 0) {
            all += c->idf[id];
            known += c->idf[id];
            open = false;
        }
        if (id < 0)
            continue;
        keys[m++] = (uint32_t)id | ((uint32_t)(raw->block[i] & FBLOCK_MASK) << 30);
    }
    *cover = all > 0 ? known / all : 0;
    return aggregate(c->idf, keys, m, idx, val);
}

/* keys: feature ids with the block in the top bit; counted and weighted here.
 * Counting uses a small open-addressed table, so the output keeps the order of
 * first appearance (deterministic) and costs O(m). */
static size_t aggregate(const float *idf, uint32_t *keys, size_t m, uint32_t *idx, float *val)
{
    enum { SLOTS = 2048 };
    uint32_t tab_s[SLOTS];
    /* counts overwrite keys already read: entry n < i when key i is read */
    uint32_t *tab = tab_s, *cnt = keys;
    size_t slots = 64; /* a power of two at least twice m: cheap to clear */
    while (slots < 2 * m)
        slots *= 2;
    if (slots > SLOTS && !(tab = malloc(slots * sizeof *tab))) {
        /* no memory: count each key once */
        for (size_t i = 0; i < m; i++) {
            idx[i] = keys[i];
            cnt[i] = 1;
        }
        slots = 0;
    }
    size_t n = 0;
    if (slots) {
        memset(tab, 0xff, slots * sizeof *tab);
        for (size_t i = 0; i < m; i++) {
            size_t h = (keys[i] * 2654435761u) & (slots - 1);
            while (tab[h] != UINT32_MAX && idx[tab[h]] != keys[i])
                h = (h + 1) & (slots - 1);
            if (tab[h] == UINT32_MAX) {
                tab[h] = (uint32_t)n;
                idx[n] = keys[i];
                cnt[n] = 1;
                n++;
            } else {
                cnt[tab[h]]++;
            }
        }
    } else {
        n = m;
    }
    if (tab != tab_s)
        free(tab);
    tfidf(idf, idx, cnt, n, val);
    return n;
}

/* idx[n]: distinct feature ids with the block in the top bits, cnt[n] how
 * often each occurs: val[n] their sublinear tf times idf, each block
 * L2-normalized (the word pairs' to PAIR_WEIGHT); the block bits cleared. */
static void tfidf(const float *idf, uint32_t *idx, const uint32_t *cnt, size_t n, float *val)
{
    double norm[FBLOCK_N] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t id = idx[i] & 0x3fffffffu;
        uint32_t c = cnt[i];
        /* most features occur once: 1 + ln 1 is 1 */
        float v = c == 1 ? idf[id] : (1.0f + logf((float)c)) * idf[id];
        val[i] = v;
        norm[idx[i] >> 30] += (double)v * v;
    }
    double len[FBLOCK_N];
    for (size_t b = 0; b < FBLOCK_N; b++)
        len[b] = sqrt(norm[b]);
    for (size_t i = 0; i < n; i++) {
        uint32_t b = idx[i] >> 30;
        if (norm[b] > 0)
            val[i] = (float)(val[i] / len[b] * (b == FBLOCK_PAIR ? PAIR_WEIGHT : 1.0));
        idx[i] &= 0x3fffffffu;
    }
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 30);
}

struct svm_job {
    const struct csr *x;
    const uint32_t *labels;
    const uint8_t *use; /* rows to train on (NULL = all) */
    size_t n_features, n_classes;
    float *w; /* [n_classes][n_features] */
    float *bias;
    float *loo;          /* [n_rows][n_classes] approximate leave-one-out margins, or NULL */
    atomic_size_t *next; /* the next class to train, shared by the threads */
    int rc;
};

/* w . x_i in four partial sums: the additions no longer wait on each other
 * (training spends most of its time here), in a fixed order. The
 * word-vector block needs no gathers: w[0..D) against the row's tail. */
static inline __attribute__((always_inline)) double row_dot(const float *w, const struct csr *x,
                                                            size_t i)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t p = x->ptr[i], end = csr_dense_at(x, i);
    for (; p + 4 <= end; p += 4) {
        s0 += (double)w[x->idx[p]] * x->val[p];
        s1 += (double)w[x->idx[p + 1]] * x->val[p + 1];
        s2 += (double)w[x->idx[p + 2]] * x->val[p + 2];
        s3 += (double)w[x->idx[p + 3]] * x->val[p + 3];
    }
    for (; p < end; p++)
        s0 += (double)w[x->idx[p]] * x->val[p];
    const float *dv = x->val + end;
    size_t D = x->ptr[i + 1] - end, d = 0;
    for (; d + 4 <= D; d += 4) {
        s0 += (double)w[d] * dv[d];
        s1 += (double)w[d + 1] * dv[d + 1];
        s2 += (double)w[d + 2] * dv[d + 2];
        s3 += (double)w[d + 3] * dv[d + 3];
    }
    for (; d < D; d++)
        s0 += (double)w[d] * dv[d];
    return (s0 + s1) + (s2 + s3);
}

/* w += d * x_i, each increment rounded to a float as it is added. */
static inline __attribute__((always_inline)) void row_axpy(float *w, const struct csr *x, size_t i,
                                                           double d)
{
    size_t p = x->ptr[i], dense = csr_dense_at(x, i);
    for (; p < dense; p++)
        w[x->idx[p]] += (float)(d * x->val[p]);
    for (size_t e = 0; p < x->ptr[i + 1]; p++, e++)
        w[e] += (float)(d * x->val[p]); /* the word-vector block */
}

#ifdef HAVE_AVX2_COPIES
/* row_dot with AVX2: the four partial sums are the lanes of one vector,
 * each product converted, multiplied and added as there (the same sums bit
 * for bit); a sparse feature's weight is gathered. */
__attribute__((target("avx2"))) static double row_dot_avx2(const float *w, const struct csr *x,
                                                           size_t i)
{
    size_t p = x->ptr[i], end = csr_dense_at(x, i);
    __m256d acc = _mm256_setzero_pd();
    for (; p + 8 <= end; p += 8) { /* eight gathered at once, added four by four */
        __m256i ix = _mm256_loadu_si256((const __m256i *)(const void *)(x->idx + p));
        __m256 wv = _mm256_i32gather_ps(w, ix, 4);
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(wv));
        __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(wv, 1));
        acc = _mm256_add_pd(acc, _mm256_mul_pd(lo, _mm256_cvtps_pd(_mm_loadu_ps(x->val + p))));
        acc = _mm256_add_pd(acc, _mm256_mul_pd(hi, _mm256_cvtps_pd(_mm_loadu_ps(x->val + p + 4))));
    }
    for (; p + 4 <= end; p += 4) {
        __m128i ix = _mm_loadu_si128((const __m128i *)(const void *)(x->idx + p));
        __m256d wv = _mm256_cvtps_pd(_mm_i32gather_ps(w, ix, 4));
        acc = _mm256_add_pd(acc, _mm256_mul_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(x->val + p))));
    }
    double s[4];
    _mm256_storeu_pd(s, acc);
    for (; p < end; p++)
        s[0] += (double)w[x->idx[p]] * x->val[p];
    acc = _mm256_loadu_pd(s);
    const float *dv = x->val + end;
    size_t D = x->ptr[i + 1] - end, d = 0;
    for (; d + 4 <= D; d += 4) {
        __m256d wv = _mm256_cvtps_pd(_mm_loadu_ps(w + d));
        acc = _mm256_add_pd(acc, _mm256_mul_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(dv + d))));
    }
    _mm256_storeu_pd(s, acc);
    for (; d < D; d++)
        s[0] += (double)w[d] * dv[d];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* row_axpy with AVX2: the increments four at a time, rounded as there. */
__attribute__((target("avx2"))) static void row_axpy_avx2(float *w, const struct csr *x, size_t i,
                                                          double d)
{
    size_t p = x->ptr[i], dense = csr_dense_at(x, i), end = x->ptr[i + 1];
    __m256d dd = _mm256_set1_pd(d);
    for (; p + 4 <= dense; p += 4) {
        float inc[4];
        _mm_storeu_ps(
            inc, _mm256_cvtpd_ps(_mm256_mul_pd(dd, _mm256_cvtps_pd(_mm_loadu_ps(x->val + p)))));
        for (size_t u = 0; u < 4; u++)
            w[x->idx[p + u]] += inc[u];
    }
    for (; p < dense; p++)
        w[x->idx[p]] += (float)(d * x->val[p]);
    size_t e = 0;
    for (; p + 4 <= end; p += 4, e += 4) {
        __m128 inc = _mm256_cvtpd_ps(_mm256_mul_pd(dd, _mm256_cvtps_pd(_mm_loadu_ps(x->val + p))));
        _mm_storeu_ps(w + e, _mm_add_ps(_mm_loadu_ps(w + e), inc));
    }
    for (; p < end; p++, e++)
        w[e] += (float)(d * x->val[p]);
}
#endif

/* row_dot and row_axpy, or their AVX2 copies (avx2: the caller is one) */
static inline __attribute__((always_inline)) double svm_dot(const float *w, const struct csr *x,
                                                            size_t i, bool avx2)
{
#ifdef HAVE_AVX2_COPIES
    if (avx2)
        return row_dot_avx2(w, x, i);
#endif
    return row_dot(w, x, i);
}

static inline __attribute__((always_inline)) void svm_axpy(float *w, const struct csr *x, size_t i,
                                                           double d, bool avx2)
{
#ifdef HAVE_AVX2_COPIES
    if (avx2) {
        row_axpy_avx2(w, x, i, d);
        return;
    }
#endif
    row_axpy(w, x, i, d);
}

/* LIBLINEAR's solve_l2r_l1l2_svc for the L2 loss, with the bias as a feature of value 1.
 * avx2: read and update the rows with the AVX2 copies (svm_train_class). */
static inline __attribute__((always_inline)) void svm_solve(const struct svm_job *j, uint32_t k,
                                                            double *alpha, size_t *index, bool avx2)
{
    const struct csr *x = j->x;
    float *w = j->w + (size_t)k * j->n_features;
    double b = 0;
    const double diag = 0.5 / SVM_C;
    size_t l = 0;
    for (size_t i = 0; i < x->n_rows; i++)
        if (!j->use || j->use[i])
            index[l++] = i;
    memset(w, 0, j->n_features * sizeof *w);
    for (size_t i = 0; i < x->n_rows; i++)
        alpha[i] = 0;
    size_t active = l;
    double pgmax_old = INFINITY, pgmin_old = -INFINITY;
    uint64_t seed = 0x5eed0000u + k;
    int iter_done = 0;
    for (int iter = 0; iter < SVM_MAX_ITER; iter++) {
        iter_done = iter + 1;
        double pgmax_new = -INFINITY, pgmin_new = INFINITY;
        for (size_t s = 0; s < active; s++) {
            size_t r = s + (size_t)(rng_next(&seed) % (active - s));
            size_t tmp = index[s];
            index[s] = index[r];
            index[r] = tmp;
        }
        for (size_t s = 0; s < active; s++) {
            size_t i = index[s];
            if (s + 2 < active) { /* rows come in random order: ask for one ahead */
                size_t q = x->ptr[index[s + 2]];
                __builtin_prefetch(x->idx + q);
                __builtin_prefetch(x->val + q);
                __builtin_prefetch(x->val + q + 16);
            }
            double y = j->labels[i] == k ? 1.0 : -1.0;
            double dot = b + svm_dot(w, x, i, avx2);
            double g = y * dot - 1.0 + alpha[i] * diag;
            double pg = 0;
            if (alpha[i] == 0) {
                if (g > pgmax_old) {
                    active--;
                    index[s] = index[active];
                    index[active] = i;
                    s--;
                    continue;
                } else if (g < 0) {
                    pg = g;
                }
            } else {
                pg = g;
            }
            if (pg > pgmax_new)
                pgmax_new = pg;
            if (pg < pgmin_new)
                pgmin_new = pg;
            if (fabs(pg) > 1e-12) {
                double old = alpha[i];
                double qd = (double)x->sqnorm[i] + 1.0 + diag;
                alpha[i] = old - g / qd;
                if (alpha[i] < 0)
                    alpha[i] = 0;
                double d = (alpha[i] - old) * y;
                svm_axpy(w, x, i, d, avx2);
                b += d;
            }
        }
        if (pgmax_new - pgmin_new <= SVM_EPS) {
            if (active == l)
                break;
            active = l;
            pgmax_old = INFINITY;
            pgmin_old = -INFINITY;
            continue;
        }
        pgmax_old = pgmax_new <= 0 ? INFINITY : pgmax_new;
        pgmin_old = pgmin_new >= 0 ? -INFINITY : pgmin_new;
    }
    (void)pgmin_old;
    (void)iter_done;
    j->bias[k] = (float)b;
    if (j->loo) {
        /* the margin each example would get without its own support: w - a_i y_i x_i */
        for (size_t i = 0; i < x->n_rows; i++) {
            double y = j->labels[i] == k ? 1.0 : -1.0;
            double dot = b + svm_dot(w, x, i, avx2);
            dot -= alpha[i] * y * ((double)x->sqnorm[i] + 1.0);
            j->loo[i * j->n_classes + k] = (float)dot;
        }
    }
}

#ifdef HAVE_AVX2_COPIES
__attribute__((target("avx2"), flatten)) static void
svm_train_class_avx2(const struct svm_job *j, uint32_t k, double *alpha, size_t *index)
{
    svm_solve(j, k, alpha, index, true);
}
#endif

/* One class's weights into j->w: the AVX2 copies where the CPU has them
 * (the same weights bit for bit). */
static void svm_train_class(const struct svm_job *j, uint32_t k, double *alpha, size_t *index)
{
#ifdef HAVE_AVX2_COPIES
    if (use_avx2()) {
        svm_train_class_avx2(j, k, alpha, index);
        return;
    }
#endif
    svm_solve(j, k, alpha, index, false);
}

static void *svm_thread(void *arg)
{
    struct svm_job *j = arg;
    double *alpha = malloc(j->x->n_rows * sizeof *alpha);
    size_t *index = malloc(j->x->n_rows * sizeof *index);
    if (!alpha || !index) {
        j->rc = PARLEY_ENOMEM;
    } else {
        /* each thread takes the next class when it is done with one: classes
         * differ in cost, and the tagger shares the cores */
        for (size_t k; (k = atomic_fetch_add(j->next, 1)) < j->n_classes;)
            svm_train_class(j, (uint32_t)k, alpha, index);
    }
    free(alpha);
    free(index);
    return NULL;
}

/* Trains all classes into w[n_classes][n_features] and bias. */
static int svm_train(const struct csr *x, const uint32_t *labels, const uint8_t *use,
                     size_t n_features, size_t n_classes, float *w, float *bias, float *loo)
{
    enum { N_THREADS = 2 };
    struct svm_job jobs[N_THREADS];
    pthread_t th[N_THREADS];
    bool started[N_THREADS] = {false};
    atomic_size_t next = 0;
    for (unsigned t = 0; t < N_THREADS; t++) {
        jobs[t] = (struct svm_job){x, labels, use, n_features, n_classes, w, bias, loo, &next, 0};
        started[t] = t > 0 && pthread_create(&th[t], NULL, svm_thread, &jobs[t]) == 0;
    }
    svm_thread(&jobs[0]);
    for (unsigned t = 1; t < N_THREADS; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            svm_thread(&jobs[t]);
    }
    for (unsigned t = 0; t < N_THREADS; t++)
        if (jobs[t].rc < 0)
            return jobs[t].rc;
    return 0;
}

void quantize_rows(const float *w, size_t rows, size_t cols, int8_t *q, float *scale)
{
    for (size_t r = 0; r < rows; r++) {
        const float *row = w + r * cols;
        float mx = 0;
        for (size_t j = 0; j < cols; j++)
            if (fabsf(row[j]) > mx)
                mx = fabsf(row[j]);
        scale[r] = mx / 127.0f;
        float inv = mx > 0 ? 127.0f / mx : 0;
        for (size_t j = 0; j < cols; j++)
            q[r * cols + j] = (int8_t)lrintf(row[j] * inv);
    }
}

struct mlp_job {
    struct mlp *m;
    uint64_t seed;
    const struct csr *x;
    const uint32_t *labels;
    size_t n_features, n_classes;
    int rc;
};

static void *mlp_thread(void *arg)
{
    struct mlp_job *j = arg;
    j->rc = mlp_train(j->m, j->x->ptr, j->x->idx, j->x->val, j->labels, j->x->n_rows, j->n_features,
                      j->n_classes, j->seed);
    return NULL;
}

/* Packs the class-major weights wtmp[k][nf] into q[nf][k] at 8 bits (with
 * scale[nf]), through w, room for nf * k floats. */
struct pack_job {
    const float *wtmp;
    float *w;
    size_t nf, k;
    int8_t *q;
    float *scale;
};

static void *pack_thread(void *arg)
{
    struct pack_job *j = arg;
    for (size_t k = 0; k < j->k; k++)
        for (size_t f = 0; f < j->nf; f++)
            j->w[f * j->k + k] = j->wtmp[k * j->nf + f];
    quantize_rows(j->w, j->nf, j->k, j->q, j->scale);
    memset(j->q + j->k * j->nf, 0, ROW_SLACK);
    return NULL;
}

/* The derivatives in scale of the mean log loss of softmax(scale * [margins,
 * 0]) against the labels: with d = margin - max, the loss of a row is
 * -scale * d_label + log sum exp(scale * d), whose first derivative is
 * E_p[d] - d_label and second Var_p[d] (>= 0: the loss is convex in scale). */
struct loss_job {
    const float *margins;
    const uint32_t *labels;
    size_t from, to, k;
    double scale;
    double sg, sh;   /* the sums of the rows' terms, added in order ... */
    double *tg, *th; /* ... or, when not NULL, the terms of rows from..to-1 */
};

static void *loss_terms(void *arg)
{
    struct loss_job *j = arg;
    size_t k = j->k;
    for (size_t i = j->from; i < j->to; i++) {
        const float *m = j->margins + i * k;
        double mx = 0; /* the "none of them" pseudo-class has margin 0 */
        for (size_t c = 0; c < k; c++)
            if (m[c] > mx)
                mx = m[c];
        double z = exp(j->scale * (0 - mx)), e1 = z * (0 - mx), e2 = e1 * (0 - mx);
        for (size_t c = 0; c < k; c++) {
            double d = m[c] - mx, p = exp(j->scale * d);
            z += p;
            e1 += p * d;
            e2 += p * d * d;
        }
        double mean = e1 / z, tg = mean - (m[j->labels[i]] - mx), th = e2 / z - mean * mean;
        if (j->tg) {
            j->tg[i - j->from] = tg;
            j->th[i - j->from] = th;
        } else {
            j->sg += tg;
            j->sh += th;
        }
    }
    return NULL;
}

/* scratch: room for 2 * (n - n / 2) doubles, or NULL: the second half of
 * the rows then has its terms computed on a second thread, and they are
 * added after the first half's, in the same order as on one thread. */
static void log_loss_derivs(const float *margins, const uint32_t *labels, size_t n, size_t k,
                            double scale, double *g, double *h, double *scratch)
{
    size_t half = scratch ? n / 2 : n;
    struct loss_job first = {margins, labels, 0, half, k, scale, 0, 0, NULL, NULL};
    struct loss_job second = {
        margins, labels, half, n, k, scale, 0, 0, scratch, scratch ? scratch + (n - half) : NULL};
    pthread_t th;
    bool threaded = scratch && pthread_create(&th, NULL, loss_terms, &second) == 0;
    loss_terms(&first);
    if (threaded)
        pthread_join(th, NULL);
    else if (scratch)
        loss_terms(&second);
    for (size_t i = 0; scratch && i < n - half; i++) {
        first.sg += second.tg[i];
        first.sh += second.th[i];
    }
    *g = n ? first.sg / (double)n : 0;
    *h = n ? first.sh / (double)n : 0;
}

/* The scale that minimizes that loss in [0.5, 200]: Newton's method on the
 * convex loss, kept inside a bracket that the sign of the derivative
 * narrows (bisecting, in log scale, when a step would leave it). A handful
 * of passes over the margins where a golden-section search needed 26. */
static double fit_scale(const float *margins, const uint32_t *labels, size_t n, size_t k)
{
    const double min = 0.5, max = 200.0;
    double lo = min, hi = max, s = DEFAULT_SCALE;
    /* a second thread for the exponentials when there are many */
    double *scratch = n * k >= 65536 ? malloc(2 * (n - n / 2) * sizeof *scratch) : NULL;
    for (int it = 0; it < 40; it++) {
        double g, h;
        log_loss_derivs(margins, labels, n, k, s, &g, &h, scratch);
        if (g == 0 || (s == min && g > 0) || (s == max && g < 0))
            break; /* the minimum, or at a bound with the loss still falling outward */
        if (g < 0)
            lo = s;
        else
            hi = s;
        double next = h > 0 ? s - g / h : (g > 0 ? lo : hi);
        if (next <= lo)
            next = lo == min && s != min ? min : sqrt(lo * hi);
        else if (next >= hi)
            next = hi == max && s != max ? max : sqrt(lo * hi);
        bool done = fabs(next - s) <= 1e-6 * s;
        s = next;
        if (done)
            break;
    }
    free(scratch);
    return s;
}

/* Renumbers features by df (descending, ties by first appearance); permutes df,
 * the dictionary's ids and the n raw ids in rid. A counting sort on df (at
 * most n_docs): linear, and the same order a comparison sort would give. */
static int renumber(struct classifier *c, uint32_t *df, uint32_t *rid, size_t n)
{
    size_t nf = c->n_features, nd = c->n_docs;
    uint32_t *newid = malloc((nf + 1) * sizeof *newid);
    size_t *start = calloc(nd + 2, sizeof *start);
    if (!newid || !start) {
        free(newid);
        free(start);
        return PARLEY_ENOMEM;
    }
    for (size_t f = 0; f < nf; f++)
        start[df[f] <= nd ? df[f] : nd]++;
    /* start[d]: the first new id of the features of df d, highest df first */
    size_t next = 0;
    for (size_t d = nd + 1; d-- > 0;) {
        size_t cnt = start[d];
        start[d] = next;
        next += cnt;
    }
    for (size_t f = 0; f < nf; f++)
        newid[f] = (uint32_t)start[df[f] <= nd ? df[f] : nd]++;
    uint32_t *ndf = malloc((nf + 1) * sizeof *ndf);
    if (!ndf) {
        free(newid);
        free(start);
        return PARLEY_ENOMEM;
    }
    for (size_t f = 0; f < nf; f++)
        ndf[newid[f]] = df[f];
    memcpy(df, ndf, nf * sizeof *df);
    free(ndf);
    for (size_t i = 0; i < n; i++)
        rid[i] = newid[rid[i] & 0x3fffffffu] | (rid[i] & 0xc0000000u);
    for (size_t j = 0; j <= c->dict.mask; j++)
        if (c->dict.slots[j].key)
            c->dict.slots[j].id = newid[c->dict.slots[j].id];
    free(newid);
    free(start);
    return 0;
}

/* The word-vector block takes ids 0..D-1, ahead of the sparse features: it
 * is in (nearly) every text, the most frequent of all, and the networks read
 * a prefix of the ids. */
static int make_room_for_dense(struct classifier *c, size_t D, uint32_t *rid, size_t n_rid)
{
    float *idf = malloc((c->n_features + D + 1) * sizeof *idf);
    if (!idf)
        return PARLEY_ENOMEM;
    for (size_t d = 0; d < D; d++)
        idf[d] = 1;
    memcpy(idf + D, c->idf, c->n_features * sizeof *idf);
    free(c->idf);
    c->idf = idf;
    for (size_t j = 0; j <= c->dict.mask; j++)
        if (c->dict.slots[j].key)
            c->dict.slots[j].id += (uint32_t)D;
    for (size_t j = 0; j < n_rid; j++)
        rid[j] += (uint32_t)D; /* the id sits below the block bits */
    c->n_features += D;
    c->n_dense = D;
    return 0;
}

/* Appends a text's word-vector block (ids 0..n_dense-1); returns how many. */
static size_t append_dense(const struct classifier *c, const struct fraw *raw, uint32_t *idx,
                           float *val)
{
    if (!c->n_dense || raw->n_dense != c->n_dense)
        return 0;
    for (size_t d = 0; d < c->n_dense; d++) {
        idx[d] = (uint32_t)d;
        val[d] = raw->dense[d];
    }
    return c->n_dense;
}

int classifier_train(struct classifier *c, const struct train_doc *docs, size_t n_docs,
                     size_t n_classes)
{
    int rc = 0;
    struct csr x = {0};
    uint32_t *labels = NULL, *df = NULL, *seen = NULL, *uniq = NULL, *cnt = NULL, *where = NULL;
    size_t *first = NULL;
    float *wtmp = NULL, *margins = NULL;
    size_t total = 0, D = 0;
    int64_t t_start = time_mono_us();
    memset(c, 0, sizeof *c);
    c->n_classes = n_classes;
    c->scale = DEFAULT_SCALE;
    for (size_t i = 0; i < n_docs; i++) {
        total += docs[i].raw.n;
        if (docs[i].raw.n_dense)
            D = docs[i].raw.n_dense; /* the same for every text that has one */
    }
    /* about one raw feature in ten is new (SNIPS: 2.5 M raw, 243 k distinct):
     * start there and let the table grow, rather than touch megabytes of
     * slots that stay empty (the ids, in order of first appearance, are the
     * same whatever the table's size) */
    if ((rc = fdict_init(&c->dict, total / 16 + 64)) < 0)
        goto out;
    /* ids in order of first appearance: deterministic. Each text's distinct
     * features (id and block) go to uniq in order of first appearance with
     * their counts, as aggregate() would list them, and each id's document
     * frequency is counted on the way: seen[id] is the last text (+ 1) that
     * had it, where[id] its entry there. Arrays of one entry per raw feature:
     * only as many as there are distinct features are touched. */
    uniq = malloc((total + 1) * sizeof *uniq);
    cnt = malloc((total + 1) * sizeof *cnt);
    first = malloc((n_docs + 1) * sizeof *first);
    df = calloc(total + 1, sizeof *df);
    seen = calloc(total + 1, sizeof *seen);
    where = malloc((total + 1) * sizeof *where);
    if (!uniq || !cnt || !first || !df || !seen || !where) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    size_t n_uniq = 0;
    for (size_t i = 0; i < n_docs; i++) {
        first[i] = n_uniq;
        for (size_t j = 0; j < docs[i].raw.n; j++) {
            /* the table is larger than the caches: ask for a slot ahead */
            if (j + 8 < docs[i].raw.n) {
                uint64_t h = docs[i].raw.h[j + 8];
                __builtin_prefetch(&c->dict.slots[(h ? h : 1) & c->dict.mask]);
            }
            int64_t id = fdict_add(&c->dict, docs[i].raw.h[j]);
            if (id < 0) {
                rc = PARLEY_ENOMEM;
                goto out;
            }
            uint32_t key = (uint32_t)id | ((uint32_t)(docs[i].raw.block[j] & FBLOCK_MASK) << 30);
            size_t e;
            if (seen[id] != i + 1) {
                seen[id] = (uint32_t)i + 1;
                df[id]++;
                e = n_uniq++;
                where[id] = (uint32_t)e;
                uniq[e] = key;
                cnt[e] = 0;
            } else if (uniq[e = where[id]] != key) {
                /* the id in a second block (one hash in two blocks): an entry of its own */
                for (e = first[i]; e < n_uniq && uniq[e] != key; e++)
                    ;
                if (e == n_uniq) {
                    uniq[n_uniq++] = key;
                    cnt[e] = 0;
                }
            }
            cnt[e]++;
        }
    }
    first[n_docs] = n_uniq;
    c->n_features = c->dict.n;
    c->n_docs = n_docs;
    c->idf = calloc(c->n_features + 1, sizeof *c->idf);
    labels = malloc((n_docs + 1) * sizeof *labels);
    x.ptr = malloc((n_docs + 1) * sizeof *x.ptr);
    x.idx = malloc((n_uniq + n_docs * D + 1) * sizeof *x.idx);
    x.val = malloc((n_uniq + n_docs * D + 1) * sizeof *x.val);
    x.sqnorm = malloc((n_docs + 1) * sizeof *x.sqnorm);
    x.split = malloc((n_docs + 1) * sizeof *x.split);
    if (!c->idf || !labels || !x.ptr || !x.idx || !x.val || !x.sqnorm || !x.split) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    int64_t t_dict = time_mono_us();
    /* number the features by falling document frequency: the weights the
     * solver touches most sit together in memory (training is memory bound) */
    if ((rc = renumber(c, df, uniq, n_uniq)) < 0)
        goto out;
    for (size_t f = 0; f < c->n_features; f++)
        c->idf[f] = (float)(log((1.0 + (double)n_docs) / (1.0 + df[f])) + 1.0);
    if (D && (rc = make_room_for_dense(c, D, uniq, n_uniq)) < 0)
        goto out;
    x.n_rows = n_docs;
    x.n_dense = D;
    x.ptr[0] = 0;
    for (size_t i = 0; i < n_docs; i++) {
        /* uniq already holds each text's distinct features: no lookups */
        size_t n = first[i + 1] - first[i];
        memcpy(x.idx + x.ptr[i], uniq + first[i], n * sizeof *x.idx);
        tfidf(c->idf, x.idx + x.ptr[i], cnt + first[i], n, x.val + x.ptr[i]);
        x.split[i] = x.ptr[i] + n;
        n += append_dense(c, &docs[i].raw, x.idx + x.ptr[i] + n, x.val + x.ptr[i] + n);
        double s = 0;
        for (size_t p = x.ptr[i]; p < x.ptr[i] + n; p++)
            s += (double)x.val[p] * x.val[p];
        x.sqnorm[i] = (float)s;
        x.ptr[i + 1] = x.ptr[i] + n;
        labels[i] = docs[i].label;
    }
    int64_t t_vec = time_mono_us();
    wtmp = malloc(n_classes * c->n_features * sizeof *wtmp + 1);
    c->bias = calloc(n_classes, sizeof *c->bias);
    if (!wtmp || !c->bias) {
        rc = PARLEY_ENOMEM;
        goto out;
    }

    /* calibration on approximate leave-one-out margins of (at most) ~4000 examples */
    margins = malloc(n_docs * n_classes * sizeof *margins + 1);
    if (!margins) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    /* each network trains on a thread of its own while the SVM trains here */
    struct mlp nets[CLASSIFIER_NETS];
    struct mlp_job mj[CLASSIFIER_NETS];
    pthread_t mth[CLASSIFIER_NETS];
    bool mlp_on = n_classes >= MLP_MIN_CLASSES, mlp_threaded[CLASSIFIER_NETS] = {false};
    memset(nets, 0, sizeof nets);
    for (unsigned t = 0; t < CLASSIFIER_NETS && mlp_on; t++) {
        mj[t] = (struct mlp_job){
            &nets[t], 0x6d6c7000u + 0x100u * t, &x, labels, c->n_features, n_classes, 0};
        mlp_threaded[t] = pthread_create(&mth[t], NULL, mlp_thread, &mj[t]) == 0;
    }
    rc = svm_train(&x, labels, NULL, c->n_features, n_classes, wtmp, c->bias, margins);
    for (unsigned t = 0; t < CLASSIFIER_NETS && mlp_on; t++) {
        if (mlp_threaded[t])
            pthread_join(mth[t], NULL);
        else
            mlp_thread(&mj[t]);
        if (rc == 0)
            rc = mj[t].rc;
    }
    if (mlp_on && rc == 0)
        rc = mlp_join(&c->mlp, nets, CLASSIFIER_NETS); /* releases nets */
    else
        for (unsigned t = 0; t < CLASSIFIER_NETS; t++)
            mlp_release(&nets[t]);
    if (rc < 0)
        goto out;
    int64_t t_svm = time_mono_us();
    /* feature-major for classifying, and 8 bits a weight: classifying reads a
     * whole row per feature present, and memory traffic is what it costs.
     * With a buffer of their own the weights are packed on a second thread
     * while the scale is calibrated here; else into the margins' buffer once
     * calibration is done with it. */
    c->w = table_alloc(n_classes * c->n_features + ROW_SLACK, false);
    c->wscale = malloc((c->n_features + 1) * sizeof *c->wscale);
    struct pack_job pj = {wtmp, NULL, c->n_features, n_classes, c->w, c->wscale};
    bool own = n_docs < c->n_features; /* the margins' buffer is too small */
    if (own)
        pj.w = malloc(n_classes * c->n_features * sizeof *pj.w + 1);
    if (!c->w || !c->wscale || (own && !pj.w)) {
        free(pj.w);
        rc = PARLEY_ENOMEM;
        goto out;
    }
    pthread_t pth;
    bool packing = own && pthread_create(&pth, NULL, pack_thread, &pj) == 0;
    if (n_classes > 1) {
        size_t step = n_docs * n_classes / 400000 + 1, n_cal = 0;
        for (size_t i = 0; i < n_docs; i += step) {
            memmove(margins + n_cal * n_classes, margins + i * n_classes,
                    n_classes * sizeof *margins);
            labels[n_cal++] = labels[i];
        }
        c->scale = (float)fit_scale(margins, labels, n_cal, n_classes);
    }
    if (packing) {
        pthread_join(pth, NULL);
    } else {
        if (!own)
            pj.w = margins; /* no longer needed */
        pack_thread(&pj);
    }
    if (own)
        free(pj.w);
    if (getenv("PARLEY_INTENTS_DEBUG"))
        fprintf(stderr,
                "intents: classifier: dictionary %lld us, vectors %lld us, training %lld us, "
                "calibration %lld us; %zu features of %zu raw\n",
                (long long)(t_dict - t_start), (long long)(t_vec - t_dict),
                (long long)(t_svm - t_vec), (long long)(time_mono_us() - t_svm), c->n_features,
                total);
out:
    csr_release(&x);
    free(labels);
    free(uniq);
    free(cnt);
    free(first);
    free(where);
    free(df);
    free(seen);
    free(wtmp);
    free(margins);
    if (rc < 0)
        classifier_release(c);
    return rc;
}

void classifier_release(struct classifier *c)
{
    fdict_release(&c->dict);
    mlp_release(&c->mlp);
    free(c->idf);
    free(c->w);
    free(c->wscale);
    free(c->bias);
    memset(c, 0, sizeof *c);
}

/* Asks for the weight row (and its scale) of the feature at position p,
 * if there is one, a few features ahead of the one being added. */
static inline void prefetch_row(const struct classifier *c, const uint32_t *idx, size_t n, size_t p)
{
    if (p >= n)
        return;
    for (size_t j = 0; j < c->n_classes; j += 64)
        __builtin_prefetch(c->w + (size_t)idx[p] * c->n_classes + j);
    __builtin_prefetch(&c->wscale[idx[p]]);
}

/* margins[k] = bias + sum_p val[p] * w[idx[p]]: a row of 8-bit weights per
 * feature present. */
static void svm_margins_plain(const struct classifier *c, const uint32_t *idx, const float *val,
                              size_t n, float *margins)
{
    size_t k = c->n_classes;
    for (size_t j = 0; j < k; j++)
        margins[j] = c->bias[j];
    for (size_t p = 0; p < 8; p++)
        prefetch_row(c, idx, n, p);
    for (size_t p = 0; p < n; p++) {
        prefetch_row(c, idx, n, p + 8);
        const int8_t *restrict row = c->w + (size_t)idx[p] * k;
        float *restrict acc = margins;
        float v = val[p] * c->wscale[idx[p]];
        for (size_t j = 0; j < k; j++)
            acc[j] += v * (float)row[j];
    }
}

#ifdef HAVE_AVX2_COPIES
#define SVM_BLOCK 8   /* vectors of eight classes summed in registers at a time */
#define SVM_CHUNK 128 /* features read per pass over the blocks (their rows stay in L1) */

/* acc[j0 .. j0 + 8 nv) += the rows' weights of features [p0, p1) for those
 * classes, the nv sums in registers from the first feature to the last.
 * Inlined with nv a constant, so the loop over the vectors unrolls. */
static inline __attribute__((always_inline, target("avx2"))) void
svm_block_avx2(const struct classifier *c, const uint32_t *idx, const float *vs, size_t p0,
               size_t p1, size_t j0, size_t nv, float *acc)
{
    size_t k = c->n_classes;
    __m256 a[SVM_BLOCK];
    for (size_t u = 0; u < nv; u++)
        a[u] = _mm256_loadu_ps(acc + j0 + 8 * u);
    for (size_t p = p0; p < p1; p++) {
        const int8_t *row = c->w + (size_t)idx[p] * k + j0;
        __m256 v = _mm256_set1_ps(vs[p]);
        for (size_t u = 0; u < nv; u++) {
            __m128i q = _mm_loadl_epi64((const __m128i *)(const void *)(row + 8 * u));
            __m256 x = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            a[u] = _mm256_add_ps(a[u], _mm256_mul_ps(v, x));
        }
    }
    for (size_t u = 0; u < nv; u++)
        _mm256_storeu_ps(acc + j0 + 8 * u, a[u]);
}

/* The same with AVX2, eight weights at a time and no scalar tail: a row's
 * last vector reads up to 7 bytes of the next row (ROW_SLACK covers the
 * last one) into lanes past k, which acc[] has room for and nobody reads.
 * The classes go SVM_BLOCK vectors at a time, their sums kept in registers
 * over a chunk of features (no load and store of acc per weight vector).
 * Chosen at run time (svm_margins): the CPU may not have AVX2.
 * Each sum is acc + v * w, multiplied then added in the order of the
 * features as in the plain copy, so the answers are the same bit for bit. */
__attribute__((target("avx2"))) static void svm_margins_avx2(const struct classifier *c,
                                                             const uint32_t *idx, const float *val,
                                                             size_t n, float *acc, float *vs)
{
    size_t k = c->n_classes, nv = (k + 7) / 8;
    memcpy(acc, c->bias, k * sizeof *acc);
    for (size_t p = 0; p < 8; p++)
        prefetch_row(c, idx, n, p);
    for (size_t p = 0; p < n; p++) {
        prefetch_row(c, idx, n, p + 8);
        vs[p] = val[p] * c->wscale[idx[p]];
    }
    for (size_t p0 = 0; p0 < n; p0 += SVM_CHUNK) {
        size_t p1 = n - p0 < SVM_CHUNK ? n : p0 + SVM_CHUNK;
        for (size_t b = 0; b < nv; b += SVM_BLOCK) {
#define SVM_BLOCK_CALL(v) svm_block_avx2(c, idx, vs, p0, p1, 8 * b, v, acc)
            WITH_CONST_1_TO_8(nv - b, SVM_BLOCK_CALL);
#undef SVM_BLOCK_CALL
        }
    }
}
#endif

static void svm_margins(const struct classifier *c, const uint32_t *idx, const float *val, size_t n,
                        float *margins)
{
#ifdef HAVE_AVX2_COPIES
    if (use_avx2()) {
        float acc_s[256], vs_s[512];
        size_t cap = (c->n_classes + 7) & ~(size_t)7; /* whole vectors */
        float *acc = cap <= 256 ? acc_s : malloc(cap * sizeof *acc);
        float *vs = n <= 512 ? vs_s : malloc(n * sizeof *vs);
        if (acc && vs) {
            memset(acc + c->n_classes, 0, (cap - c->n_classes) * sizeof *acc);
            svm_margins_avx2(c, idx, val, n, acc, vs);
            memcpy(margins, acc, c->n_classes * sizeof *margins);
        }
        if (acc != acc_s)
            free(acc);
        if (vs != vs_s)
            free(vs);
        if (acc && vs)
            return;
    }
#endif
    svm_margins_plain(c, idx, val, n, margins);
}

int classifier_predict(const struct classifier *c, const struct fraw *raw, float *probs)
{
    enum { STACK = 512 };
    uint32_t keys_s[STACK], idx_s[STACK];
    float val_s[STACK];
    uint32_t *keys = keys_s, *idx = idx_s;
    float *val = val_s;
    int rc = 0;
    if (raw->n + c->n_dense > STACK) {
        keys = malloc(raw->n * sizeof *keys + 1);
        idx = malloc((raw->n + c->n_dense) * sizeof *idx);
        val = malloc((raw->n + c->n_dense) * sizeof *val);
        if (!keys || !idx || !val) {
            rc = PARLEY_ENOMEM;
            goto out;
        }
    }
    double cover;
    size_t n = vectorize(c, raw, keys, idx, val, &cover);
    n += append_dense(c, raw, idx + n, val + n);
    size_t k = c->n_classes;
    svm_margins(c, idx, val, n, probs);
    float mx = 0; /* the "none of them" pseudo-class has margin 0 */
    for (size_t j = 0; j < k; j++)
        if (probs[j] > mx)
            mx = probs[j];
    double z = expf(c->scale * (0 - mx));
    for (size_t j = 0; j < k; j++) {
        probs[j] = expf(c->scale * (probs[j] - mx));
        z += probs[j];
    }
    /* words the model never saw make every intent less likely: scale by the
     * share of the words that are known (cover, from vectorize) */
    if (c->mlp.w1q) {
        /* product of the experts: p_svm * p_mlp^MLP_WEIGHT (p_mlp: the
         * networks' geometric mean, exp(mean logits) up to a constant),
         * renormalized onto the mass the SVM gives the intents (the rest is
         * "none of these") */
        float pm_s[256];
        float *pm = k <= 256 ? pm_s : malloc(k * sizeof *pm);
        if (!pm || (rc = mlp_predict(&c->mlp, idx, val, n, pm)) < 0) {
            rc = pm ? rc : PARLEY_ENOMEM;
            if (pm != pm_s)
                free(pm);
            goto out;
        }
        float lmax = pm[0]; /* pm: the networks' mean logits */
        for (size_t j = 1; j < k; j++)
            if (pm[j] > lmax)
                lmax = pm[j];
        double in = 0, zz = 0;
        for (size_t j = 0; j < k; j++) {
            in += probs[j];
            pm[j] = probs[j] * expf(MLP_WEIGHT * (pm[j] - lmax));
            zz += pm[j];
        }
        for (size_t j = 0; j < k; j++)
            probs[j] = zz > 0 ? (float)(pm[j] / zz * (in / z) * cover) : 0;
        if (pm != pm_s)
            free(pm);
    } else {
        for (size_t j = 0; j < k; j++)
            probs[j] = (float)(probs[j] / z * cover);
    }
out:
    if (keys != keys_s) {
        free(keys);
        free(idx);
        free(val);
    }
    return rc;
}

uint64_t classifier_digest(const struct classifier *c, uint64_t h)
{
    h = hash_mix(h, c->n_features);
    h = hash_mix(h, c->n_classes);
    h = hash_mix(h, hash_bytes(1, &c->scale, sizeof c->scale));
    if (c->w)
        h = hash_mix(h, hash_bytes(2, c->w, c->n_features * c->n_classes));
    if (c->wscale)
        h = hash_mix(h, hash_bytes(6, c->wscale, c->n_features * sizeof *c->wscale));
    if (c->bias)
        h = hash_mix(h, hash_bytes(3, c->bias, c->n_classes * sizeof *c->bias));
    if (c->idf)
        h = hash_mix(h, hash_bytes(4, c->idf, c->n_features * sizeof *c->idf));
    if (c->dict.slots)
        h = hash_mix(h, hash_bytes(5, c->dict.slots, (c->dict.mask + 1) * sizeof *c->dict.slots));
    return mlp_digest(&c->mlp, h);
}
