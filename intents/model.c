/*
 * The model: builds everything a bot needs from its spec, and classifies.
 *
 * Building (intents_model_new) validates the spec, turns each sample
 * utterance into annotated examples by filling its {Slot} placeholders with
 * values of the slot's type (a deterministic rotation through the type's
 * values, synonyms or built-in samples: this is how a Lex bot's few samples
 * become many), adds the already annotated examples, tokenizes them, and
 * trains the intent classifier (classifier.c) and the slot tagger
 * (tagger.c). Recognized slot values (custom values, dates, numbers,
 * cities...) are replaced by their type name in the classifier's word
 * features, both when training and when classifying, so a model trained on
 * "fly to Paris" understands "fly to Denver".
 *
 * Classifying (intents_classify) ranks the intents by calibrated
 * probability, falls back to AMAZON.FallbackIntent below the threshold,
 * tags the slots of the winning intent, resolves each by its type and fills
 * slots the tagger missed when a recognizer found an unambiguous value.
 * When the dialog is eliciting a slot, a bare answer is read as that slot.
 * The model is never written after building, so classification is safe
 * from many threads; per-call memory is the caller's result plus scratch.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define DEFAULT_THRESHOLD 0.4
#define FILLS_PER_TEMPLATE 3
#define MAX_TYPE_MATCHES 64
#define GAZ_MAX_TOKENS 16

struct ex_span {
    uint32_t slot; /* local slot index in the intent */
    size_t b0, b1;
};

struct example {
    char *text;
    size_t len;
    uint32_t intent;
    struct ex_span *spans;
    size_t n_spans;
    bool annotated; /* from the spec's examples (feeds the value gazetteer) */
    struct toks t;
    uint16_t *gold;
    struct gaz_match *gaz;
    size_t n_gaz;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- value gazetteer (slot values seen in annotated examples) ---- */

static uint64_t run_hash(uint64_t h, const struct toks *t, size_t i)
{
    h = hash_mix(h, hash_bytes(3, tok_norm(t, i), tok_norm_len(t, i)));
    return h ? h : 1;
}

/* The key id of a run hash, added (as a mere prefix) when absent. */
static int64_t gaz_key(struct gazetteer *g, uint64_t h)
{
    int64_t id = fdict_add(&g->keys, h);
    if (id < 0)
        return id;
    if ((size_t)id >= g->head_cap) {
        size_t cap = g->head_cap ? g->head_cap * 2 : 1024;
        uint32_t *p = realloc(g->head, cap * sizeof *p);
        if (!p)
            return -1;
        for (size_t i = g->head_cap; i < cap; i++)
            p[i] = UINT32_MAX;
        g->head = p;
        g->head_cap = cap;
    }
    return id;
}

/* Counts tokens [t0,t1) of t as a value of class cls. */
static int gaz_add(struct gazetteer *g, const struct toks *t, size_t t0, size_t t1, uint32_t cls)
{
    if (t1 - t0 > GAZ_MAX_TOKENS)
        return 0;
    uint64_t h = 0x9a2e;
    int64_t id = -1;
    for (size_t i = t0; i < t1; i++) {
        h = run_hash(h, t, i);
        if ((id = gaz_key(g, h)) < 0)
            return PARLEY_ENOMEM;
    }
    for (uint32_t e = g->head[id]; e != UINT32_MAX; e = g->v[e].next)
        if (g->v[e].cls == cls) {
            g->v[e].count++;
            return 0;
        }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        struct gaz_entry *v = realloc(g->v, cap * sizeof *v);
        if (!v)
            return PARLEY_ENOMEM;
        g->v = v;
        g->cap = cap;
    }
    g->v[g->n] = (struct gaz_entry){cls, 1, g->head[id]};
    g->head[id] = (uint32_t)g->n++;
    if (t1 - t0 > g->max_tokens)
        g->max_tokens = (uint32_t)(t1 - t0);
    return 0;
}

static int gm_push(struct gaz_match **v, size_t *n, size_t *cap, struct gaz_match m)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        struct gaz_match *p = realloc(*v, c * sizeof *p);
        if (!p)
            return PARLEY_ENOMEM;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = m;
    return 0;
}

/* Appends the gazetteer matches of t to *out (n, cap); self = leave-one-out spans. */
static int gaz_scan(const struct intents_model *m, const struct toks *t,
                    const struct gaz_match *self, size_t n_self, struct gaz_match **out, size_t *n,
                    size_t *cap)
{
    const struct gazetteer *g = &m->gaz;
    if (!g->n)
        return 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t h = 0x9a2e;
        for (size_t l = 1; l <= g->max_tokens && i + l <= t->n; l++) {
            h = run_hash(h, t, i + l - 1);
            int64_t id = fdict_get(&g->keys, h);
            if (id < 0)
                break; /* no value starts with this run */
            for (uint32_t e = g->head[id]; e != UINT32_MAX; e = g->v[e].next) {
                uint32_t count = g->v[e].count, cls = g->v[e].cls;
                for (size_t k = 0; k < n_self; k++)
                    if (self[k].t0 == i && self[k].t1 == i + l && self[k].cls == cls)
                        count--;
                if (count == 0)
                    continue;
                int rc =
                    gm_push(out, n, cap, (struct gaz_match){(uint32_t)i, (uint32_t)(i + l), cls});
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

/* Runs every slot type's recognizer over t (custom values, built-ins). */
static size_t type_scan(const struct intents_model *m, const char *text, const struct toks *t,
                        const struct intents_context *ctx, struct gaz_match *out, size_t max,
                        char (*resolved)[INTENTS_MAX_VALUE])
{
    struct bi_match bm[16];
    size_t n = 0;
    for (size_t k = 0; k < m->n_types && n < max; k++) {
        const struct slot_type *st = &m->types[k];
        size_t got;
        if (st->builtin == BI_ALNUM || st->builtin == BI_FIRSTNAME)
            continue; /* they match almost anything: only read when eliciting */
        if (st->builtin != BI_NONE)
            got = builtin_scan(st->builtin, text, t, ctx, bm, 16);
        else
            got = slot_type_scan(st, text, t, bm, 16);
        for (size_t j = 0; j < got && n < max; j++) {
            out[n] = (struct gaz_match){bm[j].t0, bm[j].t1, (uint32_t)k};
            if (resolved)
                memcpy(resolved[n], bm[j].resolved, INTENTS_MAX_VALUE);
            n++;
        }
    }
    return n;
}

static int model_typed_features(const struct intents_model *m, const struct toks *t,
                                const struct gaz_match *tm, size_t n_tm, bool classifying,
                                struct fraw *out);

/* Classifier features of t with recognized values replaced by their types. */
/* classifying: a text to classify (not a sample to learn from) */
static int model_features(const struct intents_model *m, const struct toks *t,
                          const struct gaz_match *tm, size_t n_tm, const struct gaz_match *gz,
                          size_t n_gz, bool classifying, struct fraw *out)
{
    int rc = model_typed_features(m, t, tm, n_tm, classifying, out);
    if (rc < 0)
        return rc;
    /* known slot values (from annotated examples) add their slot name as a word */
    for (size_t i = 0; i < n_gz; i++) {
        if (gz[i].cls < m->n_types)
            continue;
        uint64_t h = hash_mix(0x6a2, gz[i].cls);
        if ((rc = fraw_push(out, h, FBLOCK_WORD)) < 0)
            return rc;
        if (gz[i].t0 > 0 && t->v[gz[i].t0 - 1].kind != TOK_PUNCT) {
            uint64_t w = hash_bytes(5, tok_norm(t, gz[i].t0 - 1), tok_norm_len(t, gz[i].t0 - 1));
            if ((rc = fraw_push(out, hash_mix(h, w), FBLOCK_WORD)) < 0)
                return rc;
        }
    }
    return 0;
}

static int model_typed_features(const struct intents_model *m, const struct toks *t,
                                const struct gaz_match *tm, size_t n_tm, bool classifying,
                                struct fraw *out)
{
    struct typed_span ts[MAX_TYPE_MATCHES];
    size_t n = 0;
    /* keep the longest non-overlapping matches */
    for (size_t i = 0; i < n_tm && n < MAX_TYPE_MATCHES; i++) {
        bool clash = false;
        for (size_t j = 0; j < n_tm; j++) {
            if (j == i || tm[j].t1 <= tm[i].t0 || tm[j].t0 >= tm[i].t1)
                continue;
            size_t li = tm[i].t1 - tm[i].t0, lj = tm[j].t1 - tm[j].t0;
            if (lj > li || (lj == li && j < i))
                clash = true;
        }
        if (!clash)
            ts[n++] = (struct typed_span){tm[i].t0, tm[i].t1, m->types[tm[i].cls].name};
    }
    return features_extract(t, ts, n, m->vectors, classifying ? &m->clf.dict : NULL, out);
}

/* ---- building ---- */

static int find_intent_slot(const struct intents_intent_spec *is, const char *name, size_t n)
{
    for (size_t s = 0; s < is->n_slots; s++)
        if (is->slots[s].name && strlen(is->slots[s].name) == n &&
            memcmp(is->slots[s].name, name, n) == 0)
            return (int)s;
    return -1;
}

static int type_index(const struct intents_model *m, const char *name)
{
    for (size_t k = 0; k < m->n_types; k++)
        if (strcmp(m->types[k].name, name) == 0)
            return (int)k;
    return -1;
}

/* Fill value number v for a slot of type k (NULL type = free text). */
static const char *fill_value(const struct intents_model *m, int k, size_t v)
{
    static const char *const free_fill[] = {"something", "this one", "the thing"};
    if (k < 0)
        return free_fill[v % 3];
    const struct slot_type *st = &m->types[k];
    if (st->builtin != BI_NONE) {
        size_t n;
        const char *const *s = builtin_samples(st->builtin, &n);
        return s[v % n];
    }
    if (st->n_values == 0)
        return "something";
    size_t total = 0;
    for (size_t i = 0; i < st->n_values; i++)
        total += st->values[i].n_folded;
    size_t pick = v % total;
    for (size_t i = 0; i < st->n_values; i++) {
        if (pick < st->values[i].n_folded)
            return pick == 0 ? st->values[i].value : st->values[i].folded[pick];
        pick -= st->values[i].n_folded;
    }
    return st->values[0].value;
}

static int ex_push(struct example **v, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        struct example *p = realloc(*v, c * sizeof *p);
        if (!p)
            return PARLEY_ENOMEM;
        *v = p;
        *cap = c;
    }
    memset(&(*v)[*n], 0, sizeof **v);
    (*n)++;
    return 0;
}

/* Expands one template into filled examples. */
static int expand_template(const struct intents_model *m, const struct intents_intent_spec *is,
                           uint32_t intent, const char *tpl, size_t tpl_no, struct example **v,
                           size_t *n, size_t *cap, char *err, size_t errlen)
{
    size_t n_ph = 0;
    for (const char *p = tpl; *p; p++)
        if (*p == '{')
            n_ph++;
    size_t fills = n_ph ? FILLS_PER_TEMPLATE : 1;
    for (size_t f = 0; f < fills; f++) {
        struct buf b = BUF_INIT(INTENTS_MAX_TEXT * 4);
        struct ex_span spans[32];
        size_t ns = 0;
        int rc = 0;
        for (const char *p = tpl; *p;) {
            if (*p != '{') {
                const char *q = strchr(p, '{');
                size_t l = q ? (size_t)(q - p) : strlen(p);
                if ((rc = buf_append(&b, p, l)) < 0)
                    break;
                p += l;
                continue;
            }
            const char *close = strchr(p, '}');
            if (!close) {
                seterr(err, errlen, "intent \"%s\": sample utterance \"%s\" has a '{' without '}'",
                       is->name, tpl);
                rc = PARLEY_EINVAL;
                break;
            }
            int s = find_intent_slot(is, p + 1, (size_t)(close - p - 1));
            if (s < 0) {
                seterr(err, errlen,
                       "intent \"%s\": sample utterance \"%s\" names slot {%.*s}, which the "
                       "intent does not define",
                       is->name, tpl, (int)(close - p - 1), p + 1);
                rc = PARLEY_EINVAL;
                break;
            }
            int k = m->intents[intent].slots[s].type;
            const char *val = fill_value(m, k, tpl_no * 7 + f + (size_t)s * 3);
            size_t b0 = b.len;
            if ((rc = buf_puts(&b, val)) < 0)
                break;
            if (ns < 32)
                spans[ns++] = (struct ex_span){(uint32_t)s, b0, b.len};
            p = close + 1;
        }
        if (rc == 0 && b.len == 0) {
            buf_release(&b);
            continue;
        }
        if (rc == 0)
            rc = ex_push(v, n, cap);
        if (rc < 0) {
            buf_release(&b);
            return rc;
        }
        struct example *e = &(*v)[*n - 1];
        e->len = b.len;
        e->text = buf_detach(&b, NULL);
        e->intent = intent;
        e->spans = malloc((ns + 1) * sizeof *e->spans);
        if (!e->text || !e->spans)
            return PARLEY_ENOMEM;
        memcpy(e->spans, spans, ns * sizeof *spans);
        e->n_spans = ns;
    }
    return 0;
}

static int build_types(struct intents_model *m, const struct intents_bot_spec *spec, char *err,
                       size_t errlen)
{
    int rc;
    size_t n_builtin = 0;
    for (size_t i = 0; i < spec->n_intents; i++)
        n_builtin += spec->intents[i].n_slots;
    m->types = calloc(spec->n_slot_types + n_builtin + 1, sizeof *m->types);
    if (!m->types)
        return PARLEY_ENOMEM;
    for (size_t k = 0; k < spec->n_slot_types; k++) {
        const struct intents_slot_type_spec *ts = &spec->slot_types[k];
        struct slot_type *st = &m->types[m->n_types];
        if (!ts->name || !ts->name[0]) {
            seterr(err, errlen, "slot type %zu has no name", k);
            return PARLEY_EINVAL;
        }
        if (builtin_lookup(ts->name) != BI_NONE) {
            seterr(err, errlen, "slot type \"%s\" has the name of a built-in type: rename it",
                   ts->name);
            return PARLEY_EINVAL;
        }
        if (type_index(m, ts->name) >= 0) {
            seterr(err, errlen, "slot type \"%s\" is defined twice", ts->name);
            return PARLEY_EINVAL;
        }
        if (ts->n_values && !ts->values) {
            seterr(err, errlen, "slot type \"%s\": the value list is missing", ts->name);
            return PARLEY_EINVAL;
        }
        if (ts->n_values == 0 && !ts->regex) {
            seterr(err, errlen, "slot type \"%s\" has neither values nor a regex", ts->name);
            return PARLEY_EINVAL;
        }
        m->n_types++;
        st->name = xstrdup(ts->name);
        st->selection = ts->selection;
        st->values = calloc(ts->n_values + 1, sizeof *st->values);
        if (!st->name || !st->values)
            return PARLEY_ENOMEM;
        for (size_t v = 0; v < ts->n_values; v++) {
            const struct intents_value_spec *vs = &ts->values[v];
            struct slot_value *sv = &st->values[st->n_values];
            if (!vs->value || !vs->value[0] || !utf8_valid(vs->value, strlen(vs->value))) {
                seterr(err, errlen, "slot type \"%s\": value %zu is empty or not UTF-8", ts->name,
                       v);
                return PARLEY_EINVAL;
            }
            st->n_values++;
            sv->value = xstrdup(vs->value);
            sv->folded = calloc(vs->n_synonyms + 1, sizeof *sv->folded);
            if (!sv->value || !sv->folded)
                return PARLEY_ENOMEM;
            for (size_t s = 0; s <= vs->n_synonyms; s++) {
                const char *src = s == 0 ? vs->value : vs->synonyms[s - 1];
                if (!src || !utf8_valid(src, strlen(src)))
                    continue;
                char tmp[INTENTS_MAX_VALUE];
                if (text_fold(src, strlen(src), tmp, sizeof tmp) == 0)
                    continue;
                if (!(sv->folded[sv->n_folded++] = xstrdup(tmp)))
                    return PARLEY_ENOMEM;
            }
            if (sv->n_folded == 0) {
                seterr(err, errlen, "slot type \"%s\": value \"%s\" has no letters or digits",
                       ts->name, vs->value);
                return PARLEY_EINVAL;
            }
        }
        if ((rc = slot_type_prepare(st)) < 0)
            return rc;
        if (ts->regex) {
            size_t rl = strlen(ts->regex);
            st->regex_src = malloc(rl + 3);
            if (!st->regex_src)
                return PARLEY_ENOMEM;
            snprintf(st->regex_src, rl + 3, "^%s$", ts->regex);
            if (regcomp(&st->regex, st->regex_src, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0) {
                seterr(err, errlen, "slot type \"%s\": regex \"%s\" does not compile", ts->name,
                       ts->regex);
                return PARLEY_EINVAL;
            }
            st->has_regex = true;
        }
    }
    /* built-ins the intents use */
    for (size_t i = 0; i < spec->n_intents; i++) {
        for (size_t s = 0; s < spec->intents[i].n_slots; s++) {
            const char *tn = spec->intents[i].slots[s].slot_type;
            if (!tn || type_index(m, tn) >= 0)
                continue;
            enum builtin_type b = builtin_lookup(tn);
            if (b == BI_NONE) {
                seterr(err, errlen,
                       "intent \"%s\": slot \"%s\" has type \"%s\", which is neither a slot type "
                       "of the bot nor a supported built-in",
                       spec->intents[i].name, spec->intents[i].slots[s].name, tn);
                return PARLEY_EINVAL;
            }
            struct slot_type *st = &m->types[m->n_types++];
            st->name = xstrdup(builtin_name(b));
            st->builtin = b;
            if (!st->name)
                return PARLEY_ENOMEM;
        }
    }
    return 0;
}

static int build_intents(struct intents_model *m, const struct intents_bot_spec *spec, char *err,
                         size_t errlen)
{
    m->intents = calloc(spec->n_intents, sizeof *m->intents);
    m->slot_names = calloc(1, sizeof *m->slot_names);
    if (!m->intents || !m->slot_names)
        return PARLEY_ENOMEM;
    for (size_t i = 0; i < spec->n_intents; i++) {
        const struct intents_intent_spec *is = &spec->intents[i];
        struct model_intent *mi = &m->intents[i];
        if (!is->name || !is->name[0]) {
            seterr(err, errlen, "intent %zu has no name", i);
            return PARLEY_EINVAL;
        }

        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->intents[j].name, is->name) == 0) {
                seterr(err, errlen, "intent \"%s\" is defined twice", is->name);
                return PARLEY_EINVAL;
            }
        m->n_intents++;
        mi->name = xstrdup(is->name);
        mi->slots = calloc(is->n_slots + 1, sizeof *mi->slots);
        if (!mi->name || !mi->slots)
            return PARLEY_ENOMEM;
        for (size_t s = 0; s < is->n_slots; s++) {
            const struct intents_slot_spec *ss = &is->slots[s];
            if (!ss->name || !ss->name[0] || strchr(ss->name, '{') || strchr(ss->name, '}')) {
                seterr(err, errlen, "intent \"%s\": slot %zu has no valid name", is->name, s);
                return PARLEY_EINVAL;
            }
            if (find_intent_slot(is, ss->name, strlen(ss->name)) != (int)s) {
                seterr(err, errlen, "intent \"%s\": slot \"%s\" is defined twice", is->name,
                       ss->name);
                return PARLEY_EINVAL;
            }
            struct model_slot *ms = &mi->slots[mi->n_slots++];
            ms->name = xstrdup(ss->name);
            if (!ms->name)
                return PARLEY_ENOMEM;
            ms->type = ss->slot_type ? type_index(m, ss->slot_type) : -1;
            size_t g = 0;
            while (g < m->n_slot_names && strcmp(m->slot_names[g], ss->name) != 0)
                g++;
            if (g == m->n_slot_names && g >= 16000) {
                seterr(err, errlen, "the bot has more than 16000 distinct slot names");
                return PARLEY_EINVAL;
            }
            if (g == m->n_slot_names) {
                char **p = realloc(m->slot_names, (g + 2) * sizeof *p);
                if (!p)
                    return PARLEY_ENOMEM;
                m->slot_names = p;
                if (!(p[g] = xstrdup(ss->name)))
                    return PARLEY_ENOMEM;
                m->n_slot_names++;
            }
            ms->global = (uint32_t)g;
        }
    }
    return 0;
}

static void examples_free(struct example *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].text);
        free(v[i].spans);
        toks_release(&v[i].t);
        free(v[i].gold);
        free(v[i].gaz);
    }
    free(v);
}

static int collect_examples(struct intents_model *m, const struct intents_bot_spec *spec,
                            struct example **out, size_t *n_out, char *err, size_t errlen)
{
    struct example *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < spec->n_intents; i++) {
        const struct intents_intent_spec *is = &spec->intents[i];
        for (size_t u = 0; u < is->n_utterances; u++) {
            const char *tpl = is->utterances[u];
            if (!tpl || !utf8_valid(tpl, strlen(tpl))) {
                seterr(err, errlen, "intent \"%s\": sample utterance %zu is not valid UTF-8",
                       is->name, u);
                rc = PARLEY_EINVAL;
                goto out;
            }
            if (strlen(tpl) > INTENTS_MAX_TEXT) {
                seterr(err, errlen, "intent \"%s\": sample utterance %zu is too long", is->name, u);
                rc = PARLEY_EINVAL;
                goto out;
            }
            if ((rc = expand_template(m, is, (uint32_t)i, tpl, u, &v, &n, &cap, err, errlen)) < 0)
                goto out;
        }
        for (size_t x = 0; x < is->n_examples; x++) {
            const struct intents_example *ex = &is->examples[x];
            size_t len = ex->text ? strlen(ex->text) : 0;
            if (!ex->text || len > INTENTS_MAX_TEXT || !utf8_valid(ex->text, len)) {
                seterr(err, errlen, "intent \"%s\": example %zu is missing, too long or not UTF-8",
                       is->name, x);
                rc = PARLEY_EINVAL;
                goto out;
            }
            if (len == 0)
                continue;
            if ((rc = ex_push(&v, &n, &cap)) < 0)
                goto out;
            struct example *e = &v[n - 1];
            e->text = malloc(len + 1);
            e->spans = malloc((ex->n_slots + 1) * sizeof *e->spans);
            if (!e->text || !e->spans) {
                rc = PARLEY_ENOMEM;
                goto out;
            }
            memcpy(e->text, ex->text, len + 1);
            e->len = len;
            e->intent = (uint32_t)i;
            e->annotated = true;
            for (size_t s = 0; s < ex->n_slots; s++) {
                const struct intents_example_slot *es = &ex->slots[s];
                int ls = es->name ? find_intent_slot(is, es->name, strlen(es->name)) : -1;
                if (ls < 0) {
                    seterr(err, errlen,
                           "intent \"%s\": example \"%s\" names slot \"%s\", which the intent "
                           "does not define",
                           is->name, ex->text, es->name ? es->name : "(null)");
                    rc = PARLEY_EINVAL;
                    goto out;
                }
                if (es->start >= es->end || es->end > len) {
                    seterr(err, errlen,
                           "intent \"%s\": example \"%s\" has a slot span out of range", is->name,
                           ex->text);
                    rc = PARLEY_EINVAL;
                    goto out;
                }
                e->spans[e->n_spans++] = (struct ex_span){(uint32_t)ls, es->start, es->end};
            }
        }
    }
    if (n == 0) {
        seterr(err, errlen, "the bot has no sample utterances: give each intent at least one");
        rc = PARLEY_EINVAL;
    }
out:
    if (rc < 0) {
        examples_free(v, n);
        v = NULL;
        n = 0;
    }
    *out = v;
    *n_out = n;
    return rc;
}

/* Sets e's gold labels and its own values as gazetteer spans (token units). */
static void example_self(const struct intents_model *m, struct example *e, struct gaz_match *self,
                         size_t *n_self)
{
    *n_self = 0;
    for (size_t s = 0; s < e->n_spans; s++) {
        const struct ex_span *sp = &e->spans[s];
        uint32_t g = m->intents[e->intent].slots[sp->slot].global;
        size_t first = SIZE_MAX, last = 0;
        for (size_t i = 0; i < e->t.n; i++) {
            if (e->t.v[i].b0 >= sp->b0 && e->t.v[i].b1 <= sp->b1) {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
                e->gold[i] = (uint16_t)(i == first ? 1 + 2 * g : 2 + 2 * g);
            }
        }
        if (first != SIZE_MAX && *n_self < 32)
            self[(*n_self)++] =
                (struct gaz_match){(uint32_t)first, (uint32_t)last + 1, (uint32_t)(m->n_types + g)};
    }
}

/* Type matches, gazetteer matches and classifier features of one example. */
static int featurize_example(const struct intents_model *m, struct example *e,
                             struct train_doc *doc, struct tag_doc *tdoc)
{
    int rc;
    struct gaz_match tm[MAX_TYPE_MATCHES], self[32];
    size_t n_self;
    size_t n_tm = type_scan(m, e->text, &e->t, NULL, tm, MAX_TYPE_MATCHES, NULL);
    size_t cap = 0;
    example_self(m, e, self, &n_self);
    for (size_t k = 0; k < n_tm; k++)
        if ((rc = gm_push(&e->gaz, &e->n_gaz, &cap, tm[k])) < 0)
            return rc;
    if ((rc = gaz_scan(m, &e->t, e->annotated ? self : NULL, e->annotated ? n_self : 0, &e->gaz,
                       &e->n_gaz, &cap)) < 0)
        return rc;
    if ((rc = model_features(m, &e->t, tm, n_tm, e->gaz, e->n_gaz, false, &doc->raw)) < 0)
        return rc;
    doc->label = e->intent;
    *tdoc = (struct tag_doc){&e->t, e->intent, e->gold, e->gaz, e->n_gaz};
    return 0;
}

/* Examples first, first + step, ...: each touches only its own example, doc
 * and tag doc, and reads the model's types and gazetteer, so threads can
 * share the work and the result does not depend on their timing. */
struct featurize_job {
    const struct intents_model *m;
    struct example *ex;
    size_t n_ex;
    struct train_doc *docs;
    struct tag_doc *tdocs;
    size_t first, step;
    int rc;
};

static void *featurize_thread(void *arg)
{
    struct featurize_job *j = arg;
    for (size_t i = j->first; i < j->n_ex && j->rc == 0; i += j->step)
        j->rc = featurize_example(j->m, &j->ex[i], &j->docs[i], &j->tdocs[i]);
    return NULL;
}

/* The same split for tokenizing: tokens and room for the gold labels. */
static void *tokenize_thread(void *arg)
{
    struct featurize_job *j = arg;
    for (size_t i = j->first; i < j->n_ex && j->rc == 0; i += j->step) {
        struct example *e = &j->ex[i];
        if ((j->rc = toks_init(&e->t, e->text, e->len)) == 0 &&
            !(e->gold = calloc(e->t.n + 1, sizeof *e->gold)))
            j->rc = PARLEY_ENOMEM;
    }
    return NULL;
}

/* Runs fn over the examples on two threads (odd ones on the second); the
 * first error of the first thread, then of the second. */
static int split_examples(void *(*fn)(void *), const struct intents_model *m, struct example *ex,
                          size_t n_ex, struct train_doc *docs, struct tag_doc *tdocs)
{
    struct featurize_job fj[2];
    pthread_t th;
    for (unsigned k = 0; k < 2; k++)
        fj[k] = (struct featurize_job){m, ex, n_ex, docs, tdocs, k, 2, 0};
    bool threaded = pthread_create(&th, NULL, fn, &fj[1]) == 0;
    fn(&fj[0]);
    if (threaded)
        pthread_join(th, NULL);
    else
        fn(&fj[1]);
    return fj[0].rc < 0 ? fj[0].rc : fj[1].rc;
}

struct tagger_job {
    struct tagger *tg;
    const struct tag_doc *docs;
    size_t n_docs, n_slots, n_intents;
    uint16_t *const *allowed;
    const size_t *n_allowed;
    struct example *ex; /* the examples docs point into: freed once trained */
    int rc;
    int64_t done_us;
};

static void *tagger_thread(void *arg)
{
    struct tagger_job *j = arg;
    j->rc = tagger_train(j->tg, j->docs, j->n_docs, j->n_slots, j->n_intents, j->allowed,
                         j->n_allowed, NULL, 0);
    j->done_us = time_mono_us();
    /* nothing else reads them: freeing them here keeps it off the classifier's path */
    examples_free(j->ex, j->n_docs);
    return NULL;
}

int intents_model_new(const struct intents_bot_spec *spec, struct intents_model **out, char *err,
                      size_t errlen)
{
    int rc = 0;
    struct example *ex = NULL;
    size_t n_ex = 0;
    struct train_doc *docs = NULL;
    struct tag_doc *tdocs = NULL;
    uint16_t **allowed = NULL;
    size_t *n_allowed = NULL;
    struct intents_model *m = NULL;
    int64_t t_start = time_mono_us();
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (spec && spec->n_slot_types && !spec->slot_types) {
        seterr(err, errlen, "the slot type list is missing");
        return PARLEY_EINVAL;
    }
    for (size_t i = 0; spec && spec->intents && i < spec->n_intents; i++) {
        const struct intents_intent_spec *is = &spec->intents[i];
        if ((is->n_utterances && !is->utterances) || (is->n_examples && !is->examples) ||
            (is->n_slots && !is->slots)) {
            seterr(err, errlen, "intent %zu: a list is missing its items", i);
            return PARLEY_EINVAL;
        }
    }
    for (size_t k = 0; spec && spec->slot_types && k < spec->n_slot_types; k++) {
        const struct intents_slot_type_spec *ts = &spec->slot_types[k];
        for (size_t v = 0; ts->values && v < ts->n_values; v++)
            if (ts->values[v].n_synonyms && !ts->values[v].synonyms) {
                seterr(err, errlen, "slot type %zu: value %zu is missing its synonyms", k, v);
                return PARLEY_EINVAL;
            }
    }
    if (!spec || spec->n_intents == 0 || !spec->intents) {
        seterr(err, errlen, "the bot has no intents: define at least one");
        return PARLEY_EINVAL;
    }
    m = calloc(1, sizeof *m);
    if (!m)
        return PARLEY_ENOMEM;
    m->threshold = spec->confidence_threshold >= 0 ? spec->confidence_threshold : DEFAULT_THRESHOLD;
    m->vectors = spec->vectors;
    if (m->threshold > 1) {
        seterr(err, errlen, "the confidence threshold must be between 0 and 1");
        rc = PARLEY_EINVAL;
        goto out;
    }
    if ((rc = build_types(m, spec, err, errlen)) < 0 ||
        (rc = build_intents(m, spec, err, errlen)) < 0 ||
        (rc = collect_examples(m, spec, &ex, &n_ex, err, errlen)) < 0)
        goto out;
    if ((rc = fdict_init(&m->gaz.keys, 1024)) < 0)
        goto out;
    m->use_types = m->n_types > 0;
    struct gaz_match self[32];
    size_t n_self;
    if ((rc = split_examples(tokenize_thread, m, ex, n_ex, NULL, NULL)) < 0)
        goto out;
    /* gazetteer of annotated values (featurize_example sets every
     * example's gold labels) */
    for (size_t i = 0; i < n_ex; i++) {
        if (!ex[i].annotated)
            continue;
        example_self(m, &ex[i], self, &n_self);
        for (size_t s = 0; s < n_self; s++)
            if ((rc = gaz_add(&m->gaz, &ex[i].t, self[s].t0, self[s].t1, self[s].cls)) < 0)
                goto out;
    }
    docs = calloc(n_ex, sizeof *docs);
    tdocs = calloc(n_ex, sizeof *tdocs);
    if (!docs || !tdocs) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    /* featurizing is a tenth of the training time: odd examples on a second thread */
    if ((rc = split_examples(featurize_thread, m, ex, n_ex, docs, tdocs)) < 0)
        goto out;
    int64_t t_feat = time_mono_us();
    allowed = calloc(m->n_intents, sizeof *allowed);
    n_allowed = calloc(m->n_intents, sizeof *n_allowed);
    if (!allowed || !n_allowed) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->n_intents; i++) {
        const struct model_intent *mi = &m->intents[i];
        allowed[i] = malloc((1 + 2 * mi->n_slots) * sizeof **allowed);
        if (!allowed[i]) {
            rc = PARLEY_ENOMEM;
            goto out;
        }
        allowed[i][n_allowed[i]++] = 0;
        for (size_t s = 0; s < mi->n_slots; s++) {
            allowed[i][n_allowed[i]++] = (uint16_t)(1 + 2 * mi->slots[s].global);
            allowed[i][n_allowed[i]++] = (uint16_t)(2 + 2 * mi->slots[s].global);
        }
    }
    /* the tagger trains on a second thread while the classifier trains here */
    struct tagger_job tj = {
        &m->tagger, tdocs, n_ex, m->n_slot_names, m->n_intents, allowed, n_allowed, ex, 0, 0};
    ex = NULL; /* the tagger's job frees them */
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, tagger_thread, &tj) == 0;
    rc = classifier_train(&m->clf, docs, n_ex, m->n_intents);
    int64_t t_clf = time_mono_us();
    if (threaded)
        pthread_join(th, NULL);
    else
        tagger_thread(&tj);
    if (rc == 0)
        rc = tj.rc;
    if (rc < 0)
        goto out;
    if (getenv("PARLEY_INTENTS_DEBUG"))
        fprintf(stderr, "intents: prepare %lld us, classifier %lld us, tagger %lld us\n",
                (long long)(t_feat - t_start), (long long)(t_clf - t_feat),
                (long long)(tj.done_us - t_feat));
out:
    if (docs)
        for (size_t i = 0; i < n_ex; i++)
            fraw_release(&docs[i].raw);
    free(docs);
    free(tdocs);
    if (allowed)
        for (size_t i = 0; i < m->n_intents; i++)
            free(allowed[i]);
    free(allowed);
    free(n_allowed);
    examples_free(ex, n_ex);
    if (rc < 0) {
        if (rc == PARLEY_ENOMEM)
            seterr(err, errlen, "out of memory while training the model");
        intents_model_free(m);
        m = NULL;
    }
    *out = m;
    return rc;
}

void intents_model_free(struct intents_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_intents; i++) {
        for (size_t s = 0; s < m->intents[i].n_slots; s++)
            free(m->intents[i].slots[s].name);
        free(m->intents[i].slots);
        free(m->intents[i].name);
    }
    free(m->intents);
    for (size_t k = 0; k < m->n_types; k++)
        slot_type_release(&m->types[k]);
    free(m->types);
    for (size_t s = 0; s < m->n_slot_names; s++)
        free(m->slot_names[s]);
    free(m->slot_names);
    free(m->gaz.v);
    free(m->gaz.head);
    fdict_release(&m->gaz.keys);
    classifier_release(&m->clf);
    tagger_release(&m->tagger);
    free(m);
}

uint64_t intents_model_digest(const struct intents_model *m)
{
    uint64_t h = 0x1e7e;
    for (size_t i = 0; i < m->n_intents; i++)
        h = hash_mix(h, hash_bytes(1, m->intents[i].name, strlen(m->intents[i].name)));
    h = hash_mix(h, vectors_digest(m->vectors));
    h = classifier_digest(&m->clf, h);
    h = tagger_digest(&m->tagger, h);
    h = hash_mix(h, m->gaz.n);
    if (m->gaz.n)
        h = hash_mix(h, hash_bytes(9, m->gaz.v, m->gaz.n * sizeof *m->gaz.v));
    if (m->gaz.keys.slots)
        h = hash_mix(h, hash_bytes(10, m->gaz.keys.slots,
                                   (m->gaz.keys.mask + 1) * sizeof *m->gaz.keys.slots));
    return h;
}

double intents_model_threshold(const struct intents_model *m)
{
    return m->threshold;
}

/* ---- classifying ---- */

static void copy_text(char *dst, const char *src, size_t n)
{
    if (n >= INTENTS_MAX_VALUE) {
        n = INTENTS_MAX_VALUE - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* An ambiguous time from times_parse ("~10:00") becomes the slot's two
 * readings, morning first ("12:15" before "00:15": noon's hour reads as
 * noon), and leaves the slot unset, as Lex does. */
static void readings_take(struct intents_slot_match *sm)
{
    if (sm->resolved[0] != TIME_AMBIGUOUS)
        return;
    int h = (int)strtol(sm->resolved + 1, NULL, 10) % 12;
    int mi = (int)strtol(sm->resolved + 4, NULL, 10) % 60;
    snprintf(sm->readings[0], sizeof sm->readings[0], "%02d:%02d", h == 0 ? 12 : h, mi);
    snprintf(sm->readings[1], sizeof sm->readings[1], "%02d:%02d", h == 0 ? 0 : h + 12, mi);
    sm->n_readings = 2;
    sm->resolved[0] = '\0';
    sm->value_from = INTENTS_VALUE_NONE;
}

static void fill_match(const struct intents_model *m, const char *text, const struct toks *t,
                       size_t t0, size_t t1, int type, const struct intents_context *ctx,
                       const char *preresolved, struct intents_slot_match *sm)
{
    sm->span.byte_start = t->v[t0].b0;
    sm->span.byte_end = t->v[t1 - 1].b1;
    sm->span.cp_start = t->v[t0].c0;
    sm->span.cp_end = t->v[t1 - 1].c1;
    copy_text(sm->original, text + sm->span.byte_start, sm->span.byte_end - sm->span.byte_start);
    sm->resolved[0] = '\0';
    sm->value_from = INTENTS_VALUE_ORIGINAL;
    sm->slot_type = NULL;
    sm->n_readings = 0;
    if (type < 0)
        return;
    const struct slot_type *st = &m->types[type];
    sm->slot_type = st->name;
    if (preresolved) {
        snprintf(sm->resolved, sizeof sm->resolved, "%s", preresolved);
    } else if (st->builtin != BI_NONE) {
        if (builtin_parse(st->builtin, text, t, t0, t1, ctx, sm->resolved, sizeof sm->resolved) < 0)
            sm->resolved[0] = '\0';
    } else {
        char folded[INTENTS_MAX_VALUE];
        text_fold(sm->original, strlen(sm->original), folded, sizeof folded);
        if (slot_type_match(st, folded, sm->original, sm->resolved, sizeof sm->resolved) < 0)
            sm->resolved[0] = '\0';
    }
    if (st->builtin != BI_NONE) {
        if (sm->resolved[0])
            sm->value_from = INTENTS_VALUE_RESOLVED;
        else if (st->builtin != BI_CITY && st->builtin != BI_FIRSTNAME && st->builtin != BI_ALNUM)
            sm->value_from = INTENTS_VALUE_NONE;
    } else if (st->selection == INTENTS_TOP_RESOLUTION) {
        sm->value_from = sm->resolved[0] ? INTENTS_VALUE_RESOLVED : INTENTS_VALUE_NONE;
    }
    readings_take(sm);
}

static bool span_free(const struct intents_result *r, const struct toks *t, size_t t0, size_t t1)
{
    for (size_t s = 0; s < r->n_slots; s++)
        if (r->slots[s].span.byte_start < t->v[t1 - 1].b1 &&
            t->v[t0].b0 < r->slots[s].span.byte_end)
            return false;
    return true;
}

/* Tags the slots of intent into r. */
static int extract_slots(const struct intents_model *m, const char *text, const struct toks *t,
                         uint32_t intent, const struct gaz_match *gaz, size_t n_gaz,
                         const struct gaz_match *tm, char (*tm_res)[INTENTS_MAX_VALUE], size_t n_tm,
                         const struct intents_context *ctx, struct intents_result *r)
{
    const struct model_intent *mi = &m->intents[intent];
    uint16_t lab_s[256];
    uint16_t *labels = t->n <= 256 ? lab_s : malloc(t->n * sizeof *labels);
    if (!labels)
        return PARLEY_ENOMEM;
    int rc = tagger_tag(&m->tagger, t, intent, gaz, n_gaz, labels);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < t->n && r->n_slots < INTENTS_MAX_SLOTS;) {
        if (labels[i] == 0 || !(labels[i] & 1)) {
            i++;
            continue;
        }
        uint32_t g = (labels[i] - 1) / 2;
        size_t j = i + 1;
        while (j < t->n && labels[j] == labels[i] + 1)
            j++;
        for (size_t s = 0; s < mi->n_slots; s++) {
            if (mi->slots[s].global != g)
                continue;
            bool dup = false;
            for (size_t k = 0; k < r->n_slots; k++)
                if (r->slots[k].name == mi->slots[s].name)
                    dup = true;
            if (dup)
                break;
            int type = mi->slots[s].type;
            struct intents_slot_match *sm = &r->slots[r->n_slots];
            memset(sm, 0, sizeof *sm);
            sm->name = mi->slots[s].name;
            fill_match(m, text, t, i, j, type, ctx, NULL, sm);
            r->n_slots++;
            /* a span its type cannot read takes the bounds of the first
             * overlapping value the type recognizes: the tagger may cut "10
             * o'clock" at "10 o'" */
            size_t z = j;
            for (size_t k = 0; type >= 0 && !sm->resolved[0] && !sm->n_readings && k < n_tm; k++)
                if ((int)tm[k].cls == type && tm[k].t0 < j && i < tm[k].t1) {
                    z = tm[k].t1;
                    fill_match(m, text, t, tm[k].t0, tm[k].t1, type, ctx, tm_res[k], sm);
                }
            if (z > j)
                j = z;
            break;
        }
        i = j;
    }
    /* typed slots the tagger missed: take an unambiguous recognized value */
    for (size_t s = 0; s < mi->n_slots && r->n_slots < INTENTS_MAX_SLOTS; s++) {
        int type = mi->slots[s].type;
        if (type < 0)
            continue;
        bool filled = false;
        size_t same_type_open = 0;
        for (size_t k = 0; k < r->n_slots; k++)
            if (r->slots[k].name == mi->slots[s].name)
                filled = true;
        if (filled)
            continue;
        for (size_t s2 = 0; s2 < mi->n_slots; s2++) {
            if (mi->slots[s2].type != type)
                continue;
            bool f2 = false;
            for (size_t k = 0; k < r->n_slots; k++)
                if (r->slots[k].name == mi->slots[s2].name)
                    f2 = true;
            same_type_open += !f2;
        }
        if (same_type_open != 1)
            continue;
        for (size_t k = 0; k < n_tm; k++) {
            if ((int)tm[k].cls != type || !span_free(r, t, tm[k].t0, tm[k].t1))
                continue;
            struct intents_slot_match *sm = &r->slots[r->n_slots];
            memset(sm, 0, sizeof *sm);
            sm->name = mi->slots[s].name;
            fill_match(m, text, t, tm[k].t0, tm[k].t1, type, ctx, tm_res[k], sm);
            r->n_slots++;
            break;
        }
    }
out:
    if (labels != lab_s)
        free(labels);
    return rc;
}

static int check_text(const char *text, size_t len)
{
    if (!text || len == 0)
        return PARLEY_EINVAL;
    if (len > INTENTS_MAX_TEXT)
        return PARLEY_ETOOBIG;
    if (!utf8_valid(text, len))
        return PARLEY_EINVAL;
    return 0;
}

static int find_intent(const struct intents_model *m, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < m->n_intents; i++)
        if (strcmp(m->intents[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* What classifying and tagging both read off a text: its tokens, the
 * values its slot types recognize, and the known values it holds. */
struct reading {
    struct toks t;
    struct intents_context ctx; /* the caller's, "now" filled in */
    struct gaz_match tm[MAX_TYPE_MATCHES];
    char (*tm_res)[INTENTS_MAX_VALUE];
    size_t n_tm;
    struct gaz_match *gaz;
    size_t n_gaz, gaz_cap;
};

static void reading_release(struct reading *r)
{
    free(r->tm_res);
    free(r->gaz);
    toks_release(&r->t);
}

static int reading_init(const struct intents_model *m, const char *text, size_t len,
                        const struct intents_context *ctx, struct reading *r)
{
    int rc;
    memset(r, 0, offsetof(struct reading, tm));
    r->tm_res = NULL;
    r->n_tm = 0;
    r->gaz = NULL;
    r->n_gaz = r->gaz_cap = 0;
    if (ctx)
        r->ctx = *ctx;
    if (r->ctx.now == 0)
        r->ctx.now = (int64_t)time(NULL);
    if ((rc = check_text(text, len)) < 0 || (rc = toks_init(&r->t, text, len)) < 0)
        return rc;
    if (m->use_types) {
        if (!(r->tm_res = malloc(MAX_TYPE_MATCHES * sizeof *r->tm_res)))
            return PARLEY_ENOMEM;
        r->n_tm = type_scan(m, text, &r->t, &r->ctx, r->tm, MAX_TYPE_MATCHES, r->tm_res);
    }
    for (size_t k = 0; k < r->n_tm; k++)
        if ((rc = gm_push(&r->gaz, &r->n_gaz, &r->gaz_cap, r->tm[k])) < 0)
            return rc;
    return gaz_scan(m, &r->t, NULL, 0, &r->gaz, &r->n_gaz, &r->gaz_cap);
}

static int reading_slots(const struct intents_model *m, const char *text, struct reading *r,
                         uint32_t intent, struct intents_result *out)
{
    return extract_slots(m, text, &r->t, intent, r->gaz, r->n_gaz, r->tm, r->tm_res, r->n_tm,
                         &r->ctx, out);
}

int intents_classify(const struct intents_model *m, const char *text, size_t len,
                     const struct intents_context *ctx, struct intents_result *out)
{
    struct reading rd;
    struct fraw raw = {0};
    float probs_s[256];
    float *probs = probs_s;
    int rc;
    /* the slots are 8 KB: each is cleared when it is filled, not here */
    memset(out, 0, offsetof(struct intents_result, slots));
    out->n_slots = 0;
    out->intent = INTENTS_FALLBACK;
    out->fallback = true;
    if (!m)
        return PARLEY_EINVAL;
    if ((rc = reading_init(m, text, len, ctx, &rd)) < 0)
        goto out;
    if (m->n_intents > 256 && !(probs = malloc(m->n_intents * sizeof *probs))) {
        rc = PARLEY_ENOMEM;
        goto out;
    }
    if ((rc = model_features(m, &rd.t, rd.tm, rd.n_tm, rd.gaz, rd.n_gaz, true, &raw)) < 0 ||
        (rc = classifier_predict(&m->clf, &raw, probs)) < 0)
        goto out;
    /* top intents */
    for (size_t i = 0; i < m->n_intents; i++) {
        size_t k = out->n_ranked;
        if (k == INTENTS_MAX_RANKED && probs[i] <= out->ranked[k - 1].score)
            continue;
        if (k < INTENTS_MAX_RANKED)
            out->n_ranked++;
        else
            k--;
        while (k > 0 && out->ranked[k - 1].score < probs[i]) {
            out->ranked[k] = out->ranked[k - 1];
            k--;
        }
        out->ranked[k] = (struct intents_ranked){m->intents[i].name, probs[i]};
    }
    int top = find_intent(m, out->ranked[0].name);
    out->score = out->ranked[0].score;

    /* a bare answer to an elicited slot */
    int ei = find_intent(m, rd.ctx.elicit_intent);
    if (ei >= 0 && rd.ctx.elicit_slot) {
        const struct model_intent *mi = &m->intents[ei];
        for (size_t s = 0; s < mi->n_slots; s++) {
            if (strcmp(mi->slots[s].name, rd.ctx.elicit_slot) != 0)
                continue;
            struct intents_slot_match sm;
            int type = mi->slots[s].type;
            int found = PARLEY_ENOTFOUND;
            if (type >= 0) {
                found = intents_slot_resolve(m, m->types[type].name, text, len, &rd.ctx, &sm);
            } else if (rd.t.n > 0) {
                fill_match(m, text, &rd.t, 0, rd.t.n, -1, &rd.ctx, NULL, &sm);
                found = 0;
            }
            if (found == 0 && (top == ei || out->score < 0.8 || rd.t.n <= 3)) {
                sm.name = mi->slots[s].name;
                out->intent = mi->name;
                out->score = 1.0;
                out->fallback = false;
                out->slots[out->n_slots++] = sm;
                rc = reading_slots(m, text, &rd, (uint32_t)ei, out);
                goto out;
            }
        }
    }
    if (top < 0 || out->score < m->threshold) {
        out->intent = INTENTS_FALLBACK;
        out->fallback = true;
        goto out;
    }
    out->intent = m->intents[top].name;
    out->fallback = false;
    rc = reading_slots(m, text, &rd, (uint32_t)top, out);
out:
    if (probs != probs_s)
        free(probs);
    fraw_release(&raw);
    reading_release(&rd);
    return rc;
}

int intents_slots_of(const struct intents_model *m, const char *text, size_t len,
                     const struct intents_context *ctx, const char *intent,
                     struct intents_slot_match *slots, size_t max, size_t *n)
{
    struct reading rd;
    int rc, k;
    *n = 0;
    if (!m || (k = find_intent(m, intent)) < 0)
        return PARLEY_EINVAL;
    struct intents_result *r = malloc(sizeof *r);
    if (!r)
        return PARLEY_ENOMEM;
    r->n_slots = 0;
    if ((rc = reading_init(m, text, len, ctx, &rd)) == 0 &&
        (rc = reading_slots(m, text, &rd, (uint32_t)k, r)) == 0) {
        *n = r->n_slots < max ? r->n_slots : max;
        memcpy(slots, r->slots, *n * sizeof *slots);
    }
    reading_release(&rd);
    free(r);
    return rc;
}

/* The answer to "what time?" may be an hour alone: "ten", "at 7", "around
 * 18". Inside a longer utterance a bare number is not a time ("a table for
 * 4"), so only a whole answer is read this way; 1-12 are ambiguous. */
static size_t bare_hour(const struct toks *t, struct bi_match *bm)
{
    size_t i = 0;
    static const char *const before[] = {"at", "around", "about", "by"};
    for (size_t k = 0; t->n == 2 && k < sizeof before / sizeof before[0]; k++)
        if (strcmp(tok_norm(t, 0), before[k]) == 0)
            i = 1;
    double v;
    if (i + 1 != t->n || numbers_parse(t, i, i + 1, &v) < 0 || v != floor(v) || v < 0 || v > 23)
        return 0;
    int h = (int)v;
    bm[0] = (struct bi_match){(uint32_t)i, (uint32_t)i + 1, ""};
    if (h >= 1 && h <= 12)
        snprintf(bm[0].resolved, sizeof bm[0].resolved, "%c%02d:00", TIME_AMBIGUOUS, h);
    else
        snprintf(bm[0].resolved, sizeof bm[0].resolved, "%02d:00", h);
    return 1;
}

int intents_slot_resolve(const struct intents_model *m, const char *slot_type, const char *text,
                         size_t len, const struct intents_context *ctx,
                         struct intents_slot_match *out)
{
    struct toks t = {0};
    struct intents_context c = {0};
    int rc;
    memset(out, 0, sizeof *out);
    if (!slot_type || (rc = check_text(text, len)) < 0)
        return PARLEY_EINVAL;
    if (ctx)
        c = *ctx;
    if (c.now == 0)
        c.now = (int64_t)time(NULL);
    int type = m ? type_index(m, slot_type) : -1;
    enum builtin_type b = builtin_lookup(slot_type);
    if (type < 0 && b == BI_NONE)
        return PARLEY_EINVAL;
    if ((rc = toks_init(&t, text, len)) < 0)
        return rc;
    if (t.n == 0) {
        rc = PARLEY_ENOTFOUND;
        goto out;
    }
    struct bi_match bm[4];
    size_t got = 0;
    if (type >= 0 && m->types[type].builtin == BI_NONE) {
        const struct slot_type *st = &m->types[type];
        got = slot_type_scan(st, text, &t, bm, 4);
        if (got == 0 && st->selection == INTENTS_ORIGINAL_VALUE) {
            /* an original value: the whole answer, if the type's regex allows it */
            char whole[INTENTS_MAX_VALUE];
            copy_text(whole, text + t.v[0].b0, t.v[t.n - 1].b1 - t.v[0].b0);
            if (!st->has_regex || regexec(&st->regex, whole, 0, NULL, 0) == 0) {
                bm[0] = (struct bi_match){0, (uint32_t)t.n, ""};
                got = 1;
            }
        }
    } else {
        if (b == BI_NONE)
            b = m->types[type].builtin;
        got = builtin_scan(b, text, &t, &c, bm, 4);
        if (got == 0 && b == BI_TIME)
            got = bare_hour(&t, bm);
    }
    if (got == 0) {
        rc = PARLEY_ENOTFOUND;
        goto out;
    }
    /* the longest value found */
    size_t best = 0;
    for (size_t k = 1; k < got; k++)
        if (bm[k].t1 - bm[k].t0 > bm[best].t1 - bm[best].t0)
            best = k;
    out->span.byte_start = t.v[bm[best].t0].b0;
    out->span.byte_end = t.v[bm[best].t1 - 1].b1;
    out->span.cp_start = t.v[bm[best].t0].c0;
    out->span.cp_end = t.v[bm[best].t1 - 1].c1;
    copy_text(out->original, text + out->span.byte_start,
              out->span.byte_end - out->span.byte_start);
    snprintf(out->resolved, sizeof out->resolved, "%s", bm[best].resolved);
    out->slot_type = type >= 0 ? m->types[type].name : builtin_name(b);
    out->value_from = out->resolved[0] ? INTENTS_VALUE_RESOLVED : INTENTS_VALUE_ORIGINAL;
    if (type >= 0 && m->types[type].builtin == BI_NONE &&
        m->types[type].selection == INTENTS_ORIGINAL_VALUE)
        out->value_from = INTENTS_VALUE_ORIGINAL;
    readings_take(out);
out:
    toks_release(&t);
    return rc;
}
