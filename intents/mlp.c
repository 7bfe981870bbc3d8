/*
 * A small neural network next to the SVM: one hidden layer of ReLU units
 * over the same sparse TF-IDF vectors, a softmax over the intents, trained
 * by plain stochastic gradient descent on the cross-entropy.
 *
 * The SVM is a linear model; this one is not, and the two make different
 * mistakes, so the classifier combines their probabilities (a product of
 * experts, see classifier.c). Inputs are sparse (a few hundred non-zero
 * features out of 10^4-10^5), so the first layer is a table of rows, one
 * per input feature: the forward pass adds up the rows of the features
 * present and the backward pass updates only those rows, which keeps an
 * epoch at O(nnz x hidden + hidden x classes) per example. Only the most
 * frequent features feed the network (the classifier numbers features by
 * falling document frequency, so that is a prefix of the ids): rare
 * features would only be memorized, and the table stays small.
 *
 * Training is single-threaded and draws its initial weights and its example
 * order from the seed it is given (a fixed one per network), so the weights
 * are bit-identical on every build. Networks trained apart (on threads of
 * their own) are then joined into one struct mlp: a feature's first-layer
 * weights for all of them side by side in one row, kept at 8 bits a weight
 * (one scale per row), since classifying reads a row per feature present
 * and memory traffic is what that costs. The geometric mean of the
 * networks' softmaxes is, up to a constant, the exponential of the mean of
 * their logits, and those are linear in the joined hidden units: the output
 * layers are averaged into one, and mlp_predict returns those mean logits
 * (the classifier renormalizes, so the constant never matters). The joined
 * networks are immutable.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define MLP_HIDDEN 32        /* hidden units: two networks of 32 (classifier.c) beat one of 64 */
#define MLP_MAX_INPUTS 32768 /* the most frequent features feed the network */
#define MLP_EPOCHS 6
#define MLP_LR 0.1     /* decays linearly to 0 */
#define MLP_INIT 0.1f  /* first-layer weights uniform in +-MLP_INIT */
#define MLP_SKIP 1e-4f /* output gradients smaller than this are skipped */

static uint64_t mlp_rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 30);
}

/* uniform in [-1, 1) */
static float mlp_uniform(uint64_t *s)
{
    return (float)((double)(mlp_rng(s) >> 11) * (1.0 / 4503599627370496.0) - 1.0);
}

void mlp_release(struct mlp *m)
{
    free(m->in_map);
    free(m->w1);
    free(m->w1q);
    free(m->w1s);
    free(m->b1);
    free(m->w2);
    free(m->b2);
    free(m->wo);
    free(m->bo);
    memset(m, 0, sizeof *m);
}

/* hidden[H] = relu(b1 + sum_p val[p] * w1[in_map[idx[p]]]); unmapped features are skipped */
static void mlp_hidden(const struct mlp *m, const uint32_t *idx, const float *val, size_t n,
                       float *hidden)
{
    size_t H = m->n_hidden;
    memcpy(hidden, m->b1, H * sizeof *hidden);
    for (size_t p = 0; p < n; p++) {
        uint32_t ahead = p + 8 < n && idx[p + 8] < m->n_map ? m->in_map[idx[p + 8]] : UINT32_MAX;
        if (ahead != UINT32_MAX)
            for (size_t j = 0; j < H; j += 16)
                __builtin_prefetch(m->w1 + (size_t)ahead * H + j);
        uint32_t in = idx[p] < m->n_map ? m->in_map[idx[p]] : UINT32_MAX;
        if (in == UINT32_MAX)
            continue;
        const float *row = m->w1 + (size_t)in * H;
        float v = val[p];
        for (size_t j = 0; j < H; j++)
            hidden[j] += v * row[j];
    }
    for (size_t j = 0; j < H; j++)
        if (hidden[j] < 0)
            hidden[j] = 0;
}

/* The first-layer row of feature idx[p] (UINT32_MAX: not an input), the
 * rows of the features ahead asked for (W: a row's width). */
static inline __attribute__((always_inline)) uint32_t
input_row(const struct mlp *m, const uint32_t *idx, size_t n, size_t p, size_t W)
{
    if (p + 16 < n && idx[p + 16] < m->n_map)
        __builtin_prefetch(&m->in_map[idx[p + 16]]);
    uint32_t ahead = p + 8 < n && idx[p + 8] < m->n_map ? m->in_map[idx[p + 8]] : UINT32_MAX;
    if (ahead != UINT32_MAX) {
        __builtin_prefetch(m->w1q + (size_t)ahead * W);
        __builtin_prefetch(&m->w1s[ahead]);
    }
    return idx[p] < m->n_map ? m->in_map[idx[p]] : UINT32_MAX;
}

/* mlp_hidden for all the networks at once, with the 8-bit first layer kept
 * once trained: hidden[net * H + j], a feature's row holding every network's
 * weights under one scale. */
static void mlp_hidden_q_plain(const struct mlp *m, const uint32_t *idx, const float *val, size_t n,
                               float *hidden)
{
    size_t W = m->n_nets * m->n_hidden;
    memcpy(hidden, m->b1, W * sizeof *hidden);
    for (size_t p = 0; p < n; p++) {
        uint32_t in = input_row(m, idx, n, p, W);
        if (in == UINT32_MAX)
            continue;
        const int8_t *restrict row = m->w1q + (size_t)in * W;
        float *restrict acc = hidden;
        float v = val[p] * m->w1s[in];
        for (size_t j = 0; j < W; j++)
            acc[j] += v * (float)row[j];
    }
    for (size_t j = 0; j < W; j++)
        if (hidden[j] < 0)
            hidden[j] = 0;
}

#ifdef HAVE_AVX2_COPIES
#define MLP_AVX2_VECTORS 8 /* the widest row read in registers: 64 units */

/* The same with AVX2 for rows of nv whole vectors (nv <= MLP_AVX2_VECTORS,
 * a constant where it is inlined, so the loop over the vectors unrolls):
 * the sums stay in registers from the first feature to the last, each
 * acc + v * w multiplied then added in the same order as the plain copy. */
static inline __attribute__((always_inline, target("avx2"))) void
mlp_hidden_q_vectors(const struct mlp *m, const uint32_t *idx, const float *val, size_t n,
                     size_t nv, float *hidden)
{
    size_t W = 8 * nv;
    __m256 a[MLP_AVX2_VECTORS];
    for (size_t u = 0; u < nv; u++)
        a[u] = _mm256_loadu_ps(m->b1 + 8 * u);
    for (size_t p = 0; p < n; p++) {
        uint32_t in = input_row(m, idx, n, p, W);
        if (in == UINT32_MAX)
            continue;
        const int8_t *row = m->w1q + (size_t)in * W;
        __m256 v = _mm256_set1_ps(val[p] * m->w1s[in]);
        for (size_t u = 0; u < nv; u++) {
            __m128i q = _mm_loadl_epi64((const __m128i *)(const void *)(row + 8 * u));
            __m256 x = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            a[u] = _mm256_add_ps(a[u], _mm256_mul_ps(v, x));
        }
    }
    /* hidden < 0 becomes 0; anything else (-0, NaN) stays, as in the plain copy */
    __m256 zero = _mm256_setzero_ps();
    for (size_t u = 0; u < nv; u++) {
        __m256 neg = _mm256_cmp_ps(a[u], zero, _CMP_LT_OQ);
        _mm256_storeu_ps(hidden + 8 * u, _mm256_blendv_ps(a[u], zero, neg));
    }
}

__attribute__((target("avx2"))) static void mlp_hidden_q_avx2(const struct mlp *m,
                                                              const uint32_t *idx, const float *val,
                                                              size_t n, float *hidden)
{
    size_t nv = m->n_nets * m->n_hidden / 8;
    if (nv == 0 || nv > MLP_AVX2_VECTORS) {
        mlp_hidden_q_plain(m, idx, val, n, hidden);
        return;
    }
#define MLP_HIDDEN_CALL(v) mlp_hidden_q_vectors(m, idx, val, n, v, hidden)
    WITH_CONST_1_TO_8(nv, MLP_HIDDEN_CALL);
#undef MLP_HIDDEN_CALL
}
#endif

/* Chosen at run time: the CPU may not have AVX2; rows that are not whole
 * vectors of eight units, or wider than 64, take the plain copy. */
static void mlp_hidden_q(const struct mlp *m, const uint32_t *idx, const float *val, size_t n,
                         float *hidden)
{
#ifdef HAVE_AVX2_COPIES
    if (use_avx2() && (m->n_nets * m->n_hidden) % 8 == 0) {
        mlp_hidden_q_avx2(m, idx, val, n, hidden);
        return;
    }
#endif
    mlp_hidden_q_plain(m, idx, val, n, hidden);
}

/* One network's logits while it trains. */
__attribute__((target_clones("avx2", "default"))) static void
mlp_logits(const struct mlp *m, const float *hidden, float *out)
{
    size_t H = m->n_hidden;
    const float *w2 = m->w2, *b2 = m->b2;
    for (size_t k = 0; k < m->n_out; k++) {
        const float *row = w2 + k * H;
        float part[8] = {0}; /* eight partial sums: a fixed order the compiler can vectorize */
        for (size_t j = 0; j + 8 <= H; j += 8)
            for (size_t u = 0; u < 8; u++)
                part[u] += row[j + u] * hidden[j + u];
        float s = b2[k];
        for (size_t j = H - H % 8; j < H; j++)
            s += row[j] * hidden[j];
        for (size_t u = 0; u < 8; u++)
            s += part[u];
        out[k] = s;
    }
}

/* The joined networks' mean logits: a row of the averaged output layer per
 * hidden unit, added across the classes. A unit the ReLU turned off adds
 * nothing and is skipped. */
static void mlp_mean_logits_plain(const struct mlp *m, const float *hidden, float *out)
{
    size_t W = m->n_nets * m->n_hidden, K = m->n_out;
    memcpy(out, m->bo, K * sizeof *out);
    for (size_t j = 0; j < W; j++) {
        if (hidden[j] == 0)
            continue;
        const float *restrict row = m->wo + j * K;
        float *restrict acc = out;
        float h = hidden[j];
        for (size_t k = 0; k < K; k++)
            acc[k] += h * row[k];
    }
}

#ifdef HAVE_AVX2_COPIES
/* The same with AVX2 for the classes [k0, k0 + 8 nv), nv a constant where
 * it is inlined: their sums stay in registers over the hidden units. The
 * last vector reads and writes only the lanes in tail (the classes past
 * n_out are neither read nor written). Each sum is acc + h * w, multiplied
 * then added in the order of the units as in the plain copy. */
static inline __attribute__((always_inline, target("avx2"))) void
mlp_mean_logits_vectors(const struct mlp *m, const float *hidden, size_t k0, size_t nv,
                        __m256i tail, float *out)
{
    size_t W = m->n_nets * m->n_hidden, K = m->n_out;
    __m256 a[MLP_AVX2_VECTORS];
    for (size_t u = 0; u + 1 < nv; u++)
        a[u] = _mm256_loadu_ps(m->bo + k0 + 8 * u);
    a[nv - 1] = _mm256_maskload_ps(m->bo + k0 + 8 * (nv - 1), tail);
    for (size_t j = 0; j < W; j++) {
        if (hidden[j] == 0)
            continue;
        const float *row = m->wo + j * K + k0;
        __m256 h = _mm256_set1_ps(hidden[j]);
        for (size_t u = 0; u + 1 < nv; u++)
            a[u] = _mm256_add_ps(a[u], _mm256_mul_ps(h, _mm256_loadu_ps(row + 8 * u)));
        __m256 x = _mm256_maskload_ps(row + 8 * (nv - 1), tail);
        a[nv - 1] = _mm256_add_ps(a[nv - 1], _mm256_mul_ps(h, x));
    }
    for (size_t u = 0; u + 1 < nv; u++)
        _mm256_storeu_ps(out + k0 + 8 * u, a[u]);
    _mm256_maskstore_ps(out + k0 + 8 * (nv - 1), tail, a[nv - 1]);
}

__attribute__((target("avx2"))) static void mlp_mean_logits_avx2(const struct mlp *m,
                                                                 const float *hidden, float *out)
{
    size_t K = m->n_out;
    for (size_t k0 = 0; k0 < K; k0 += 8 * MLP_AVX2_VECTORS) {
        size_t left = K - k0, nv = left >= 8 * MLP_AVX2_VECTORS ? MLP_AVX2_VECTORS : (left + 7) / 8;
        size_t last = left - 8 * (nv - 1); /* classes in the last vector: 1..8 */
        __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)last),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#define MLP_LOGITS_CALL(v) mlp_mean_logits_vectors(m, hidden, k0, v, tail, out)
        WITH_CONST_1_TO_8(nv, MLP_LOGITS_CALL);
#undef MLP_LOGITS_CALL
    }
}
#endif

/* Chosen at run time: the CPU may not have AVX2. */
static void mlp_mean_logits(const struct mlp *m, const float *hidden, float *out)
{
#ifdef HAVE_AVX2_COPIES
    if (use_avx2()) {
        mlp_mean_logits_avx2(m, hidden, out);
        return;
    }
#endif
    mlp_mean_logits_plain(m, hidden, out);
}

static void softmax(float *v, size_t n)
{
    float mx = v[0];
    for (size_t k = 1; k < n; k++)
        if (v[k] > mx)
            mx = v[k];
    double z = 0;
    for (size_t k = 0; k < n; k++) {
        v[k] = expf(v[k] - mx);
        z += v[k];
    }
    for (size_t k = 0; k < n; k++)
        v[k] = (float)(v[k] / z);
}

int mlp_train(struct mlp *m, const size_t *ptr, const uint32_t *idx, const float *val,
              const uint32_t *labels, size_t n_rows, size_t n_features, size_t n_classes,
              uint64_t seed)
{
    int rc = 0;
    const size_t H = MLP_HIDDEN;
    size_t *order = NULL;
    float *hidden = NULL, *dh = NULL, *out = NULL;
    memset(m, 0, sizeof *m);
    m->in_map = malloc((n_features + 1) * sizeof *m->in_map);
    if (!m->in_map) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    m->n_map = n_features;
    for (size_t f = 0; f < n_features; f++)
        m->in_map[f] = m->n_in < MLP_MAX_INPUTS ? (uint32_t)m->n_in++ : UINT32_MAX;
    m->n_hidden = H;
    m->n_out = n_classes;
    m->n_nets = 1;
    m->w1 = malloc((m->n_in * H + 1) * sizeof *m->w1);
    m->b1 = malloc(H * sizeof *m->b1);
    m->w2 = malloc(n_classes * H * sizeof *m->w2);
    m->b2 = calloc(n_classes, sizeof *m->b2);
    order = malloc((n_rows + 1) * sizeof *order);
    hidden = malloc(H * sizeof *hidden);
    dh = malloc(H * sizeof *dh);
    out = malloc(n_classes * sizeof *out);
    if (!m->w1 || !m->b1 || !m->w2 || !m->b2 || !order || !hidden || !dh || !out) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->n_in * H; i++)
        m->w1[i] = MLP_INIT * mlp_uniform(&seed);
    for (size_t j = 0; j < H; j++)
        m->b1[j] = 0.01f;
    float s2 = (float)sqrt(6.0 / (double)(H + n_classes));
    for (size_t i = 0; i < n_classes * H; i++)
        m->w2[i] = s2 * mlp_uniform(&seed);
    for (size_t i = 0; i < n_rows; i++)
        order[i] = i;
    if (getenv("PARLEY_INTENTS_DEBUG")) {
        size_t in = 0;
        for (size_t i = 0; i < ptr[n_rows]; i++)
            in += m->in_map[idx[i]] != UINT32_MAX;
        fprintf(stderr, "mlp: %zu rows, nnz %.1f (%.1f inputs), %zu features\n", n_rows,
                (double)ptr[n_rows] / (double)n_rows, (double)in / (double)n_rows, n_features);
    }
    size_t steps = (size_t)MLP_EPOCHS * n_rows, step = 0;
    for (int e = 0; e < MLP_EPOCHS; e++) {
        for (size_t s = 0; s + 1 < n_rows; s++) {
            size_t r = s + (size_t)(mlp_rng(&seed) % (n_rows - s));
            size_t tmp = order[s];
            order[s] = order[r];
            order[r] = tmp;
        }
        for (size_t s = 0; s < n_rows; s++, step++) {
            size_t i = order[s];
            float lr = (float)(MLP_LR * (1.0 - (double)step / (double)steps));
            const uint32_t *xi = idx + ptr[i];
            const float *xv = val + ptr[i];
            size_t nnz = ptr[i + 1] - ptr[i];
            mlp_hidden(m, xi, xv, nnz, hidden);
            mlp_logits(m, hidden, out);
            softmax(out, n_classes);
            out[labels[i]] -= 1.0f; /* the gradient of the loss wrt the logits */
            memset(dh, 0, H * sizeof *dh);
            for (size_t k = 0; k < n_classes; k++) {
                float g = out[k];
                if (g > -MLP_SKIP && g < MLP_SKIP)
                    continue; /* a class already far off: its update would be noise */
                float *row = m->w2 + k * H;
                for (size_t j = 0; j < H; j++) {
                    dh[j] += g * row[j];
                    row[j] -= lr * g * hidden[j];
                }
                m->b2[k] -= lr * g;
            }
            for (size_t j = 0; j < H; j++)
                if (hidden[j] <= 0)
                    dh[j] = 0;
            for (size_t p = 0; p < nnz; p++) {
                uint32_t in = m->in_map[xi[p]];
                if (in == UINT32_MAX)
                    continue;
                float *row = m->w1 + (size_t)in * H;
                float v = lr * xv[p];
                for (size_t j = 0; j < H; j++)
                    row[j] -= v * dh[j];
            }
            for (size_t j = 0; j < H; j++)
                m->b1[j] -= lr * dh[j];
        }
    }
    if (getenv("PARLEY_INTENTS_DEBUG")) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        fprintf(stderr, "mlp: %d epochs, thread cpu %.0f ms\n", MLP_EPOCHS,
                (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
    }
    /* the first layer stays in floats until mlp_join keeps it at 8 bits */
out:
    free(order);
    free(hidden);
    free(dh);
    free(out);
    if (rc < 0)
        mlp_release(m);
    return rc;
}

int mlp_join(struct mlp *out, struct mlp *nets, size_t n)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (n == 0)
        return PARLEY_EINVAL;
    size_t H = nets[0].n_hidden, K = nets[0].n_out, I = nets[0].n_in, W = n * H;
    float *w1 = NULL;
    for (size_t t = 0; t < n; t++)
        if (nets[t].n_hidden != H || nets[t].n_out != K || nets[t].n_in != I ||
            nets[t].n_nets != 1 || !nets[t].w1) {
            rc = PARLEY_EINVAL;
            goto out;
        }
    *out = (struct mlp){.n_in = I,
                        .n_hidden = H,
                        .n_out = K,
                        .n_nets = n,
                        .in_map = nets[0].in_map,
                        .n_map = nets[0].n_map};
    nets[0].in_map = NULL;
    w1 = malloc((I * W + 1) * sizeof *w1);
    out->w1q = table_alloc(I * W + 1, false);
    out->w1s = malloc((I + 1) * sizeof *out->w1s);
    out->b1 = malloc(W * sizeof *out->b1);
    out->wo = malloc(W * K * sizeof *out->wo);
    out->bo = calloc(K, sizeof *out->bo);
    if (!w1 || !out->w1q || !out->w1s || !out->b1 || !out->wo || !out->bo) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    for (size_t t = 0; t < n; t++) {
        for (size_t r = 0; r < I; r++)
            memcpy(w1 + r * W + t * H, nets[t].w1 + r * H, H * sizeof *w1);
        memcpy(out->b1 + t * H, nets[t].b1, H * sizeof *out->b1);
        /* the mean of the logits: each network's output layer over n,
         * transposed so that a hidden unit's weights for every class are
         * one row */
        for (size_t k = 0; k < K; k++) {
            for (size_t j = 0; j < H; j++)
                out->wo[(t * H + j) * K + k] = nets[t].w2[k * H + j] / (float)n;
            out->bo[k] += nets[t].b2[k] / (float)n;
        }
    }
    /* 8 bits a weight, one scale per joint row (see classifier.c) */
    quantize_rows(w1, I, W, out->w1q, out->w1s);
out:
    free(w1);
    for (size_t t = 0; t < n; t++)
        mlp_release(&nets[t]);
    if (rc < 0)
        mlp_release(out);
    return rc;
}

int mlp_predict(const struct mlp *m, const uint32_t *idx, const float *val, size_t n, float *logits)
{
    enum { STACK = 1024 };
    float hidden_s[STACK];
    size_t W = m->n_nets * m->n_hidden;
    float *hidden = W <= STACK ? hidden_s : malloc(W * sizeof *hidden);
    if (!hidden)
        return PARLEY_ENOMEM;
    mlp_hidden_q(m, idx, val, n, hidden);
    mlp_mean_logits(m, hidden, logits);
    if (hidden != hidden_s)
        free(hidden);
    return 0;
}

uint64_t mlp_digest(const struct mlp *m, uint64_t h)
{
    size_t N = m->n_nets, W = N * m->n_hidden;
    h = hash_mix(h, m->n_in);
    h = hash_mix(h, m->n_hidden);
    h = hash_mix(h, N);
    if (m->in_map)
        h = hash_mix(h, hash_bytes(10, m->in_map, m->n_map * sizeof *m->in_map));
    if (m->w1q)
        h = hash_mix(h, hash_bytes(11, m->w1q, m->n_in * W));
    if (m->w1s)
        h = hash_mix(h, hash_bytes(15, m->w1s, m->n_in * sizeof *m->w1s));
    if (m->b1)
        h = hash_mix(h, hash_bytes(12, m->b1, W * sizeof *m->b1));
    if (m->wo)
        h = hash_mix(h, hash_bytes(13, m->wo, W * m->n_out * sizeof *m->wo));
    if (m->bo)
        h = hash_mix(h, hash_bytes(14, m->bo, m->n_out * sizeof *m->bo));
    return h;
}
