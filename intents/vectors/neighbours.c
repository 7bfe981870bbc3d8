/*
 * Appends to a word-vector file (the format docs/intents.md describes) each
 * frequent word's nearest neighbours: for the NB_WORDS most frequent words,
 * the NB_K others among them closest by cosine, closest first, those below
 * NB_MIN_COS left out. The classifier maps a word its samples never use to
 * the first of its neighbours they do use ("film" -> "movie").
 *
 * A one-off step of scripts/install-deps.sh vectors, after convert.mjs: 30,000
 * words against 30,000 is 9e10 multiply-adds, seconds in C on two threads
 * where JavaScript needed minutes. A file that already has the section gets
 * it replaced. No fused multiply-adds (-ffp-contract=off), so every CPU
 * computes the same sums and the same lists.
 *   cc -O3 -march=native -ffp-contract=off -pthread -o pvec-neighbours neighbours.c -lm
 *   ./pvec-neighbours glove-100d.pvec
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_WORDS 30000
#define NB_K 10
#define NB_MIN_COS 0.5f
#define NB_THREADS 2

static float *vec;   /* [q][dim], each row of length 1 */
static uint32_t *nb; /* [q][NB_K], UINT32_MAX = none */
static uint32_t q_words, dim;

/* Queries go in blocks of NB_BLOCK (their rows stay in cache while every
 * candidate row streams past once per block); threads take alternate
 * blocks and write disjoint rows, so the result does not depend on timing. */
#define NB_BLOCK 64

static float dot(const float *a, const float *b)
{
    float part[8] = {0}, s = 0; /* eight partial sums: vectorized */
    uint32_t d = 0;
    for (; d + 8 <= dim; d += 8)
        for (int u = 0; u < 8; u++)
            part[u] += a[d + u] * b[d + u];
    for (; d < dim; d++)
        s += a[d] * b[d];
    for (int u = 0; u < 8; u++)
        s += part[u];
    return s;
}

static void *worker(void *arg)
{
    static float best[NB_THREADS][NB_BLOCK][NB_K];
    uint32_t part = (uint32_t)(uintptr_t)arg;
    for (uint32_t i0 = part * NB_BLOCK; i0 < q_words; i0 += NB_THREADS * NB_BLOCK) {
        uint32_t n = q_words - i0 < NB_BLOCK ? q_words - i0 : NB_BLOCK;
        float(*bb)[NB_K] = best[part];
        for (uint32_t b = 0; b < n; b++)
            for (int k = 0; k < NB_K; k++) {
                bb[b][k] = NB_MIN_COS;
                nb[(size_t)(i0 + b) * NB_K + k] = UINT32_MAX;
            }
        for (uint32_t j = 0; j < q_words; j++) {
            const float *c = vec + (size_t)j * dim;
            for (uint32_t b = 0; b < n; b++) {
                if (i0 + b == j)
                    continue;
                float s = dot(vec + (size_t)(i0 + b) * dim, c);
                if (s <= bb[b][NB_K - 1])
                    continue;
                uint32_t *who = nb + (size_t)(i0 + b) * NB_K;
                int k = NB_K - 1; /* insert, keeping the list sorted, ties by rank */
                while (k > 0 && bb[b][k - 1] < s) {
                    bb[b][k] = bb[b][k - 1];
                    who[k] = who[k - 1];
                    k--;
                }
                bb[b][k] = s;
                who[k] = j;
            }
        }
    }
    return NULL;
}

static int fail(const char *path, const char *why)
{
    fprintf(stderr, "pvec-neighbours: %s: %s\n", path, why);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fail("usage", "pvec-neighbours FILE");
    const char *path = argv[1];
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(path, "cannot open");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *data = size > 16 ? malloc((size_t)size) : NULL;
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
        return fail(path, "cannot read");
    fclose(f);
    uint32_t n;
    memcpy(&n, data + 8, 4);
    memcpy(&dim, data + 12, 4);
    if (memcmp(data, "PARLEYV1", 8) != 0 || dim == 0 || dim > 512)
        return fail(path, "not a word-vector file");
    size_t at = 16 + (size_t)n * dim + (size_t)n * 4; /* the words */
    for (uint32_t i = 0; i < n; i++) {
        if (at >= (size_t)size)
            return fail(path, "truncated word list");
        at += 1 + data[at];
    }
    if (at > (size_t)size)
        return fail(path, "truncated word list");
    q_words = n < NB_WORDS ? n : NB_WORDS;
    vec = malloc((size_t)q_words * dim * sizeof *vec);
    nb = malloc((size_t)q_words * NB_K * sizeof *nb);
    if (!vec || !nb)
        return fail(path, "out of memory");
    const int8_t *q = (const int8_t *)(data + 16);
    for (uint32_t i = 0; i < q_words; i++) {
        double s = 0;
        for (uint32_t d = 0; d < dim; d++)
            s += (double)q[(size_t)i * dim + d] * q[(size_t)i * dim + d];
        float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0;
        for (uint32_t d = 0; d < dim; d++)
            vec[(size_t)i * dim + d] = q[(size_t)i * dim + d] * inv;
    }
    pthread_t th[NB_THREADS];
    for (uintptr_t t = 0; t < NB_THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < NB_THREADS; t++)
        pthread_join(th[t], NULL);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "wb");
    uint32_t head[2] = {q_words, NB_K};
    if (!f || fwrite(data, 1, at, f) != at || fwrite("NEIGHBRS", 1, 8, f) != 8 ||
        fwrite(head, 4, 2, f) != 2 ||
        fwrite(nb, sizeof *nb, (size_t)q_words * NB_K, f) != (size_t)q_words * NB_K ||
        fclose(f) != 0 || rename(tmp, path) != 0)
        return fail(tmp, "cannot write");
    size_t found = 0;
    for (size_t i = 0; i < (size_t)q_words * NB_K; i++)
        found += nb[i] != UINT32_MAX;
    printf("pvec-neighbours: %u words, %zu neighbours (cosine >= %.2f, at most %d each) -> %s\n",
           q_words, found, (double)NB_MIN_COS, NB_K, path);
    return 0;
}
