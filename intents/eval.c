/*
 * `parley eval`: trains a model on a JSONL benchmark file and measures it
 * on another (the format of ../shared/datasets: text, intent, slots with
 * code-point offsets; intent "oos" = out of scope).
 *
 * Every training intent but "oos" becomes an intent of the spec, with its
 * lines as annotated examples and the slot names it uses as free-text slots
 * (the datasets have no slot types). "oos" training lines are left out, as a
 * real bot has none: out of scope is decided by the fallback threshold
 * alone. That threshold is either given, or chosen on a held-out file
 * (--val) as the score below which a given share (reject_pct, default 2 %)
 * of its in-scope lines fall: a budget of in-scope answers we accept to
 * lose, the usual way to set such a threshold. The test file is never used
 * to choose anything.
 *
 * Reported: intent accuracy over all test lines (an "oos" line is right
 * when we fall back), in-scope accuracy, OOS recall, slot precision /
 * recall / F1 on exact (name, start, end) matches, the most confused intent
 * pairs, the wall-clock training time and the mean classification time
 * (the fastest of three passes over the test file, or of
 * 1 + PARLEY_EVAL_PASSES, as the machine may be shared), and both again as
 * CPU time (all threads while training; the classifying thread's own time
 * per pass), which waiting for a busy CPU does not inflate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define LINE_MAX_BYTES (1 << 20)

static int64_t cpu_us(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct eline {
    char *text;
    char *intent;
    struct intents_example_slot *slots; /* byte offsets */
    size_t *cp;                         /* code-point start, end pairs */
    size_t n_slots;
};

struct eset {
    struct eline *v;
    size_t n, cap;
};

static void eset_free(struct eset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].text);
        free(s->v[i].intent);
        for (size_t k = 0; k < s->v[i].n_slots; k++)
            free((char *)s->v[i].slots[k].name);
        free(s->v[i].slots);
        free(s->v[i].cp);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static int eset_load(const char *path, struct eset *s, FILE *errout)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    size_t lineno = 0;
    int rc = 0;
    memset(s, 0, sizeof *s);
    if (!f) {
        fprintf(errout, "parley eval: cannot open %s\n", path);
        return PARLEY_EIO;
    }
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (got > LINE_MAX_BYTES) {
            fprintf(errout, "parley eval: %s:%zu: line too long\n", path, lineno);
            rc = PARLEY_ETOOBIG;
            break;
        }
        cJSON *j = cJSON_Parse(line);
        if (!j) {
            bool blank = true;
            for (ssize_t i = 0; i < got; i++)
                if (line[i] != ' ' && line[i] != '\n' && line[i] != '\r' && line[i] != '\t')
                    blank = false;
            if (blank)
                continue;
            fprintf(errout, "parley eval: %s:%zu: not a JSON object\n", path, lineno);
            rc = PARLEY_EINVAL;
            break;
        }
        const char *text = json_string(j, "text"), *intent = json_string(j, "intent");
        if (!text || !intent) {
            fprintf(errout, "parley eval: %s:%zu: needs \"text\" and \"intent\" strings\n", path,
                    lineno);
            cJSON_Delete(j);
            rc = PARLEY_EINVAL;
            break;
        }
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 1024;
            struct eline *v = realloc(s->v, nc * sizeof *v);
            if (!v) {
                cJSON_Delete(j);
                rc = PARLEY_ENOMEM;
                break;
            }
            s->v = v;
            s->cap = nc;
        }
        struct eline *e = &s->v[s->n++];
        memset(e, 0, sizeof *e);
        e->text = dup_str(text);
        e->intent = dup_str(intent);
        const cJSON *slots = cJSON_GetObjectItemCaseSensitive(j, "slots");
        size_t ns = cJSON_IsArray(slots) ? (size_t)cJSON_GetArraySize(slots) : 0;
        e->slots = calloc(ns + 1, sizeof *e->slots);
        e->cp = calloc(2 * ns + 2, sizeof *e->cp);
        if (!e->text || !e->intent || !e->slots || !e->cp) {
            cJSON_Delete(j);
            rc = PARLEY_ENOMEM;
            break;
        }
        size_t len = strlen(text), ncp = utf8_count(text, len);
        const cJSON *sl;
        cJSON_ArrayForEach(sl, slots)
        {
            const char *name = json_string(sl, "name");
            double st, en;
            if (!name || !json_number(sl, "start", &st) || !json_number(sl, "end", &en) || st < 0 ||
                en <= st || en > (double)ncp) {
                fprintf(errout, "parley eval: %s:%zu: bad slot\n", path, lineno);
                rc = PARLEY_EINVAL;
                break;
            }
            struct intents_example_slot *es = &e->slots[e->n_slots];
            es->name = dup_str(name);
            if (!es->name) {
                rc = PARLEY_ENOMEM;
                break;
            }
            e->cp[2 * e->n_slots] = (size_t)st;
            e->cp[2 * e->n_slots + 1] = (size_t)en;
            es->start = utf8_cp_to_byte(text, len, (size_t)st);
            es->end = utf8_cp_to_byte(text, len, (size_t)en);
            e->n_slots++;
        }
        cJSON_Delete(j);
        if (rc < 0)
            break;
    }
    free(line);
    fclose(f);
    if (rc == 0 && s->n == 0) {
        fprintf(errout, "parley eval: %s has no lines\n", path);
        rc = PARLEY_EINVAL;
    }
    if (rc < 0)
        eset_free(s);
    return rc;
}

struct spec_build {
    struct intents_intent_spec *intents;
    struct intents_example **examples;
    struct intents_slot_spec **slots;
    size_t n;
};

static void spec_build_free(struct spec_build *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->examples[i]);
        free(b->slots[i]);
    }
    free(b->intents);
    free(b->examples);
    free(b->slots);
}

static int spec_build(const struct eset *train, struct spec_build *b)
{
    memset(b, 0, sizeof *b);
    b->intents = calloc(train->n + 1, sizeof *b->intents);
    b->examples = calloc(train->n + 1, sizeof *b->examples);
    b->slots = calloc(train->n + 1, sizeof *b->slots);
    if (!b->intents || !b->examples || !b->slots)
        return PARLEY_ENOMEM;
    for (size_t i = 0; i < train->n; i++) {
        const struct eline *e = &train->v[i];
        if (strcmp(e->intent, "oos") == 0)
            continue;
        size_t k = 0;
        while (k < b->n && strcmp(b->intents[k].name, e->intent) != 0)
            k++;
        if (k == b->n) {
            b->intents[k].name = e->intent;
            b->examples[k] = calloc(train->n, sizeof **b->examples);
            b->slots[k] = calloc(64, sizeof **b->slots);
            if (!b->examples[k] || !b->slots[k])
                return PARLEY_ENOMEM;
            b->n++;
        }
        struct intents_intent_spec *is = &b->intents[k];
        b->examples[k][is->n_examples++] = (struct intents_example){e->text, e->slots, e->n_slots};
        for (size_t s = 0; s < e->n_slots; s++) {
            size_t j = 0;
            while (j < is->n_slots && strcmp(b->slots[k][j].name, e->slots[s].name) != 0)
                j++;
            if (j == is->n_slots && j < 64)
                b->slots[k][is->n_slots++] = (struct intents_slot_spec){e->slots[s].name, NULL};
        }
    }
    for (size_t k = 0; k < b->n; k++) {
        b->intents[k].examples = b->examples[k];
        b->intents[k].slots = b->slots[k];
    }
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The threshold below which at most reject_pct % of set's in-scope lines fall. */
static double choose_threshold(const struct intents_model *m, const struct eset *set,
                               const struct intents_context *ctx, double reject_pct)
{
    float *sc = calloc(set->n + 1, sizeof *sc);
    struct intents_result r;
    size_t n = 0;
    if (!sc)
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct eline *e = &set->v[i];
        if (strcmp(e->intent, "oos") == 0)
            continue;
        if (intents_classify(m, e->text, strlen(e->text), ctx, &r) < 0)
            continue;
        sc[n++] = (float)r.ranked[0].score;
    }
    qsort(sc, n, sizeof *sc, cmp_float);
    size_t k = (size_t)((double)n * reject_pct / 100.0);
    double t = n == 0 ? 0 : k == 0 ? sc[0] * 0.999 : (sc[k - 1] + sc[k < n ? k : n - 1]) / 2;
    if (k > 0 && k < n && sc[k] == sc[k - 1])
        t = sc[k - 1]; /* ties: do not reject more than the budget */
    free(sc);
    return t;
}

struct pair_count {
    const char *gold, *pred;
    size_t n;
};

static int cmp_pairs(const void *a, const void *b)
{
    const struct pair_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    int c = strcmp(x->gold, y->gold);
    return c ? c : strcmp(x->pred, y->pred);
}

int intents_eval_run(const struct intents_eval_opts *opts, FILE *out, FILE *errout)
{
    struct eset train = {0}, test = {0}, val = {0};
    struct spec_build sb = {0};
    struct intents_model *m = NULL;
    struct intents_vectors *vec = NULL;
    struct pair_count *pairs = NULL;
    size_t n_pairs = 0;
    char err[512];
    int rc;
    if (!opts->train_path || !opts->test_path) {
        fprintf(errout, "parley eval: --train FILE and --test FILE are required\n");
        return PARLEY_EINVAL;
    }
    if ((rc = eset_load(opts->train_path, &train, errout)) < 0 ||
        (rc = eset_load(opts->test_path, &test, errout)) < 0 ||
        (opts->val_path && (rc = eset_load(opts->val_path, &val, errout)) < 0))
        goto out;
    if ((rc = spec_build(&train, &sb)) < 0)
        goto out;
    /* read once per process, as the server does at start: not training time */
    int64_t tv = time_mono_us();
    if (opts->vectors_path &&
        (rc = intents_vectors_open(opts->vectors_path, &vec, err, sizeof err)) < 0) {
        fprintf(errout, "parley eval: %s\n", err);
        goto out;
    }
    double vectors_ms = (double)(time_mono_us() - tv) / 1000.0;
    struct intents_bot_spec spec = {"en-US", 0.0, sb.intents, sb.n, NULL, 0, vec};
    int64_t t0 = time_mono_us(), cpu0 = cpu_us(CLOCK_PROCESS_CPUTIME_ID);
    rc = intents_model_new(&spec, &m, err, sizeof err);
    int64_t train_us = time_mono_us() - t0;
    int64_t train_cpu_us = cpu_us(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    if (rc < 0) {
        fprintf(errout, "parley eval: cannot train: %s\n", err);
        goto out;
    }
    /* after the timing: hashing the model is not training */
    if (getenv("PARLEY_INTENTS_DEBUG"))
        fprintf(stderr, "intents: model digest %016llx\n",
                (unsigned long long)intents_model_digest(m));
    struct intents_context ctx = {1795000000, 0, NULL, NULL}; /* fixed now: Nov 2026 */
    double threshold = opts->threshold;
    if (opts->val_path)
        threshold = choose_threshold(m, &val, &ctx, opts->reject_pct);

    size_t n_correct = 0, n_in = 0, n_in_correct = 0, n_oos = 0, n_oos_hit = 0;
    size_t slot_tp = 0, slot_pred = 0, slot_gold = 0;
    int64_t infer_us = 0, infer_cpu_us = INT64_MAX;
    pairs = calloc(test.n + 1, sizeof *pairs);
    if (!pairs) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < test.n; i++) {
        const struct eline *e = &test.v[i];
        struct intents_result r;
        int64_t c0 = time_mono_us();
        int crc = intents_classify(m, e->text, strlen(e->text), &ctx, &r);
        infer_us += time_mono_us() - c0;
        bool fell = crc < 0 || r.fallback || r.ranked[0].score < threshold;
        const char *pred = fell ? "oos" : r.intent;
        bool is_oos = strcmp(e->intent, "oos") == 0;
        bool right = strcmp(pred, e->intent) == 0;
        n_correct += right;
        if (is_oos) {
            n_oos++;
            n_oos_hit += right;
        } else {
            n_in++;
            n_in_correct += right;
        }
        if (!right) {
            size_t k = 0;
            while (k < n_pairs &&
                   (strcmp(pairs[k].gold, e->intent) != 0 || strcmp(pairs[k].pred, pred) != 0))
                k++;
            if (k == n_pairs)
                pairs[n_pairs++] = (struct pair_count){e->intent, pred, 0};
            pairs[k].n++;
        }
        slot_gold += e->n_slots;
        if (fell)
            continue;
        for (size_t s = 0; s < r.n_slots; s++) {
            slot_pred++;
            for (size_t g = 0; g < e->n_slots; g++)
                if (strcmp(e->slots[g].name, r.slots[s].name) == 0 &&
                    e->cp[2 * g] == r.slots[s].span.cp_start &&
                    e->cp[2 * g + 1] == r.slots[s].span.cp_end) {
                    slot_tp++;
                    break;
                }
        }
    }
    qsort(pairs, n_pairs, sizeof *pairs, cmp_pairs);
    double acc = 100.0 * (double)n_correct / (double)test.n;
    double in_acc = n_in ? 100.0 * (double)n_in_correct / (double)n_in : 0;
    double oos_rec = n_oos ? 100.0 * (double)n_oos_hit / (double)n_oos : 0;
    double p = slot_pred ? 100.0 * (double)slot_tp / (double)slot_pred : 0;
    double rr = slot_gold ? 100.0 * (double)slot_tp / (double)slot_gold : 0;
    double f1 = p + rr > 0 ? 2 * p * rr / (p + rr) : 0;
    double train_ms = (double)train_us / 1000.0;
    /* the machine may be shared: time more passes (two, or
     * PARLEY_EVAL_PASSES) and keep the fastest, by the wall clock and by the
     * CPU time of this thread (which leaves out time the thread waited) */
    const char *passes_env = getenv("PARLEY_EVAL_PASSES");
    long passes = passes_env ? strtol(passes_env, NULL, 10) : 2;
    for (long pass = 0; pass < passes; pass++) {
        struct intents_result r;
        int64_t c0 = time_mono_us(), cc0 = cpu_us(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < test.n; i++)
            intents_classify(m, test.v[i].text, strlen(test.v[i].text), &ctx, &r);
        int64_t us = time_mono_us() - c0, cus = cpu_us(CLOCK_THREAD_CPUTIME_ID) - cc0;
        if (us < infer_us)
            infer_us = us;
        if (cus < infer_cpu_us)
            infer_cpu_us = cus;
    }
    double mean_us = (double)infer_us / (double)test.n;
    double mean_cpu_us = infer_cpu_us < INT64_MAX ? (double)infer_cpu_us / (double)test.n : 0;
    if (opts->json) {
        fprintf(out, "{\"intent_accuracy\":%.2f,\"in_scope_accuracy\":%.2f,", acc, in_acc);
        if (n_oos)
            fprintf(out, "\"oos_recall\":%.2f,", oos_rec);
        else
            fprintf(out, "\"oos_recall\":null,");
        if (slot_gold)
            fprintf(out, "\"slot_precision\":%.2f,\"slot_recall\":%.2f,\"slot_f1\":%.2f,", p, rr,
                    f1);
        else
            fprintf(out, "\"slot_f1\":null,");
        fprintf(out,
                "\"train_ms\":%.1f,\"infer_us\":%.2f,\"train_cpu_ms\":%.1f,\"infer_cpu_us\":%.2f,"
                "\"threshold\":%.4f,\"train_lines\":%zu,\"test_lines\":%zu,\"intents\":%zu,",
                train_ms, mean_us, (double)train_cpu_us / 1000.0, mean_cpu_us, threshold, train.n,
                test.n, sb.n);
        if (vec)
            fprintf(out, "\"vectors\":{\"words\":%zu,\"dim\":%zu,\"load_ms\":%.1f}}\n",
                    intents_vectors_words(vec), intents_vectors_dim(vec), vectors_ms);
        else
            fprintf(out, "\"vectors\":null}\n");
    } else {
        fprintf(out, "train %s (%zu lines, %zu intents), test %s (%zu lines)\n", opts->train_path,
                train.n, sb.n, opts->test_path, test.n);
        fprintf(out, "intent accuracy     %6.2f %%\n", acc);
        fprintf(out, "in-scope accuracy   %6.2f %%\n", in_acc);
        if (n_oos)
            fprintf(out, "OOS recall          %6.2f %%  (threshold %.4f)\n", oos_rec, threshold);
        if (opts->val_path)
            fprintf(out, "  threshold chosen on %s: %.1f %% of its in-scope lines below it\n",
                    opts->val_path, opts->reject_pct);
        if (slot_gold)
            fprintf(out, "slots P / R / F1    %6.2f / %.2f / %.2f %%  (exact span and name)\n", p,
                    rr, f1);
        if (vec)
            fprintf(out, "word vectors        %s (%zu words, %zu dimensions, read in %.0f ms)\n",
                    opts->vectors_path, intents_vectors_words(vec), intents_vectors_dim(vec),
                    vectors_ms);
        else
            fprintf(out, "word vectors        none\n");
        fprintf(out, "training time       %8.1f ms\n", train_ms);
        fprintf(out, "  CPU time          %8.1f ms (all threads)\n", (double)train_cpu_us / 1000.0);
        fprintf(out, "inference           %8.2f us per utterance (mean, best of %ld passes)\n",
                mean_us, passes + 1);
        fprintf(out, "  CPU time          %8.2f us per utterance\n", mean_cpu_us);
        if (n_pairs) {
            fprintf(out, "most confused (gold -> predicted):\n");
            for (size_t k = 0; k < n_pairs && k < 10; k++)
                fprintf(out, "  %4zu  %s -> %s\n", pairs[k].n, pairs[k].gold, pairs[k].pred);
        }
    }
out:
    intents_model_free(m);
    intents_vectors_close(vec);
    free(pairs);
    spec_build_free(&sb);
    eset_free(&train);
    eset_free(&test);
    eset_free(&val);
    return rc;
}
