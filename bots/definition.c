/*
 * Bot definitions: Lex V1 import/export JSON in, a checked struct bot_def
 * out, with its language model trained.
 *
 * The checker walks the document once, keeping the JSON path of where it is,
 * so every problem is reported as "FILE: resource.intents[0].slots[2].slotType:
 * what is wrong" — the one line a person needs to fix the file. The parsed
 * definition keeps the original document for export and publishing.
 *
 * Built-in intents (parentIntentSignature AMAZON.CancelIntent, ...) get
 * the built-in's sample utterances in addition to their own;
 * AMAZON.FallbackIntent is not trained: it is what a low score becomes.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "intents/intents.h"

struct check {
    const char *file;
    char *err;
    size_t errlen;
};

static int problem(struct check *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int problem(struct check *c, const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s: %s", c->file, path, what);
    return -1;
}

/* path + "." + key, or path + "[i]" */
static void sub(char *out, size_t n, const char *path, const char *key)
{
    snprintf(out, n, "%s.%s", path, key);
}

static void idx(char *out, size_t n, const char *path, int i)
{
    snprintf(out, n, "%s[%d]", path, i);
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int want_string(struct check *c, const cJSON *obj, const char *key, const char *path,
                       bool required, const char **out)
{
    const cJSON *v = get(obj, key);
    char p[512];
    sub(p, sizeof p, path, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return problem(c, p, "is required");
        return 0;
    }
    if (!cJSON_IsString(v))
        return problem(c, p, "must be a string");
    *out = v->valuestring;
    return 0;
}

static int want_int(struct check *c, const cJSON *obj, const char *key, const char *path, int min,
                    int max, int dflt, int *out)
{
    const cJSON *v = get(obj, key);
    char p[512];
    sub(p, sizeof p, path, key);
    *out = dflt;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max)
        return problem(c, p, "must be an integer from %d to %d", min, max);
    *out = (int)v->valuedouble;
    return 0;
}

static bool valid_name(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                  (i > 0 && ((ch >= '0' && ch <= '9') || ch == '.' || ch == '-'));
        if (!ok)
            return false;
    }
    return true;
}

static void prompt_release(struct bot_prompt *p)
{
    for (size_t i = 0; i < p->n_messages; i++) {
        free(p->messages[i].content_type);
        free(p->messages[i].content);
    }
    free(p->messages);
    free(p->response_card);
    memset(p, 0, sizeof *p);
}

/* A prompt or statement: {messages:[{contentType, content, groupNumber}], maxAttempts?,
 * responseCard?} */
static int parse_prompt(struct check *c, const cJSON *obj, const char *path, bool with_attempts,
                        struct bot_prompt *out)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(obj))
        return problem(c, path, "must be an object with messages");
    const cJSON *msgs = get(obj, "messages");
    char p[512], q[512];
    sub(p, sizeof p, path, "messages");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return problem(c, p, "must be a non-empty array of messages");
    int n = cJSON_GetArraySize(msgs);
    if (n > 15)
        return problem(c, p, "has %d messages; Lex allows at most 15", n);
    out->messages = calloc((size_t)n, sizeof *out->messages);
    if (!out->messages)
        return problem(c, path, "out of memory");
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        idx(q, sizeof q, p, i++);
        const char *ct, *content;
        int group;
        if (!cJSON_IsObject(m))
            return problem(c, q, "must be an object {contentType, content}");
        if (want_string(c, m, "contentType", q, true, &ct) ||
            want_string(c, m, "content", q, true, &content) ||
            want_int(c, m, "groupNumber", q, 1, 5, 1, &group))
            return -1;
        if (strcmp(ct, "PlainText") && strcmp(ct, "SSML") && strcmp(ct, "CustomPayload")) {
            char r[600];
            sub(r, sizeof r, q, "contentType");
            return problem(c, r, "must be PlainText, SSML or CustomPayload, not \"%s\"", ct);
        }
        if (strlen(content) == 0 || strlen(content) > 1000) {
            char r[600];
            sub(r, sizeof r, q, "content");
            return problem(c, r, "must be 1 to 1000 characters");
        }
        struct bot_message *bm = &out->messages[out->n_messages++];
        bm->content_type = strdup(ct);
        bm->content = strdup(content);
        bm->group = group;
    }
    if (with_attempts) {
        if (want_int(c, obj, "maxAttempts", path, 1, 5, 2, &out->max_attempts))
            return -1;
    }
    const char *card;
    if (want_string(c, obj, "responseCard", path, false, &card))
        return -1;
    if (card) {
        cJSON *parsed = cJSON_Parse(card);
        if (!parsed) {
            sub(p, sizeof p, path, "responseCard");
            return problem(c, p, "must be a string holding a JSON response card");
        }
        cJSON_Delete(parsed);
        out->response_card = strdup(card);
    }
    return 0;
}

static int parse_optional_prompt(struct check *c, const cJSON *parent, const char *key,
                                 const char *path, bool with_attempts, struct bot_prompt *out)
{
    const cJSON *v = get(parent, key);
    memset(out, 0, sizeof *out);
    if (!v || cJSON_IsNull(v))
        return 0;
    char p[512];
    sub(p, sizeof p, path, key);
    return parse_prompt(c, v, p, with_attempts, out);
}

static int parse_hook(struct check *c, const cJSON *obj, const char *path, struct bot_hook *out)
{
    const char *uri, *mv;
    if (!cJSON_IsObject(obj))
        return problem(c, path, "must be an object {uri, messageVersion}");
    if (want_string(c, obj, "uri", path, true, &uri) ||
        want_string(c, obj, "messageVersion", path, false, &mv))
        return -1;
    if (mv && strcmp(mv, "1.0") != 0) {
        char p[512];
        sub(p, sizeof p, path, "messageVersion");
        return problem(c, p, "must be \"1.0\"");
    }
    out->uri = strdup(uri);
    out->message_version = strdup(mv ? mv : "1.0");
    return 0;
}

static enum bot_builtin builtin_of(const char *sig)
{
    static const struct {
        const char *name;
        enum bot_builtin b;
    } table[] = {
        {"AMAZON.CancelIntent", BOT_BUILTIN_CANCEL},
        {"AMAZON.StopIntent", BOT_BUILTIN_STOP},
        {"AMAZON.HelpIntent", BOT_BUILTIN_HELP},
        {"AMAZON.StartOverIntent", BOT_BUILTIN_START_OVER},
        {"AMAZON.RepeatIntent", BOT_BUILTIN_REPEAT},
        {"AMAZON.FallbackIntent", BOT_BUILTIN_FALLBACK},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(sig, table[i].name) == 0)
            return table[i].b;
    return BOT_BUILTIN_NONE;
}

/* What a built-in intent understands before the bot adds its own samples. */
static const char *const *builtin_utterances(enum bot_builtin b, size_t *n)
{
    static const char *const cancel[] = {
        "cancel",    "cancel that",     "never mind",        "nevermind",
        "forget it", "forget about it", "cancel my request", "i don't want to do this anymore"};
    static const char *const stop[] = {"stop",          "quit",    "exit",    "stop it",
                                       "that's enough", "shut up", "goodbye", "bye"};
    static const char *const help[] = {
        "help",        "help me",           "can you help me", "what can i say", "what can you do",
        "i need help", "how does this work"};
    static const char *const start_over[] = {"start over", "start again", "restart", "begin again",
                                             "let's start over"};
    static const char *const repeat[] = {"repeat",           "repeat that", "say that again",
                                         "what did you say", "come again",  "pardon"};
#define LIST(a)                                                                                    \
    do {                                                                                           \
        *n = sizeof a / sizeof a[0];                                                               \
        return a;                                                                                  \
    } while (0)
    switch (b) {
    case BOT_BUILTIN_CANCEL:
        LIST(cancel);
    case BOT_BUILTIN_STOP:
        LIST(stop);
    case BOT_BUILTIN_HELP:
        LIST(help);
    case BOT_BUILTIN_START_OVER:
        LIST(start_over);
    case BOT_BUILTIN_REPEAT:
        LIST(repeat);
    default:
        *n = 0;
        return NULL;
    }
#undef LIST
}

static int cmp_priority(const void *a, const void *b)
{
    const struct bot_slot *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static bool slot_type_known(const cJSON *slot_types, const char *name)
{
    if (strncmp(name, "AMAZON.", 7) == 0)
        return true;
    const cJSON *t;
    cJSON_ArrayForEach(t, slot_types)
    {
        const cJSON *n = get(t, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Every {Name} in an utterance must be a slot of the intent. */
static int check_placeholders(struct check *c, const char *utt, const char *path,
                              const struct bot_intent *in)
{
    for (const char *p = strchr(utt, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            return problem(c, path, "has a '{' without its '}'");
        char name[128];
        size_t n = (size_t)(end - p - 1);
        if (n == 0 || n >= sizeof name)
            return problem(c, path, "has an empty or overlong {slot} placeholder");
        memcpy(name, p + 1, n);
        name[n] = '\0';
        if (!bot_intent_slot(in, name))
            return problem(c, path, "names slot {%s}, which intent %s does not have", name,
                           in->name);
    }
    return 0;
}

static int parse_intent(struct check *c, const cJSON *j, const char *path, const cJSON *slot_types,
                        struct bot_intent *in)
{
    const char *name, *parent;
    char p[512], q[512];
    if (!cJSON_IsObject(j))
        return problem(c, path, "must be an object");
    if (want_string(c, j, "name", path, true, &name) ||
        want_string(c, j, "parentIntentSignature", path, false, &parent))
        return -1;
    if (!valid_name(name, 100)) {
        sub(p, sizeof p, path, "name");
        return problem(c, p, "\"%s\" is not a valid intent name (letters, digits, _ . -)", name);
    }
    in->name = strdup(name);
    if (parent) {
        in->builtin = builtin_of(parent);
        if (in->builtin == BOT_BUILTIN_NONE) {
            sub(p, sizeof p, path, "parentIntentSignature");
            return problem(c, p, "\"%s\" is not a built-in intent Parley knows", parent);
        }
    }

    const cJSON *slots = get(j, "slots");
    sub(p, sizeof p, path, "slots");
    if (slots && !cJSON_IsNull(slots) && !cJSON_IsArray(slots))
        return problem(c, p, "must be an array");
    int ns = cJSON_GetArraySize(slots);
    in->slots = calloc((size_t)(ns ? ns : 1), sizeof *in->slots);
    const cJSON *s;
    int i = 0;
    cJSON_ArrayForEach(s, slots)
    {
        idx(q, sizeof q, p, i++);
        struct bot_slot *bs = &in->slots[in->n_slots];
        const char *sname, *constraint, *type;
        if (!cJSON_IsObject(s))
            return problem(c, q, "must be an object");
        if (want_string(c, s, "name", q, true, &sname) ||
            want_string(c, s, "slotConstraint", q, true, &constraint) ||
            want_string(c, s, "slotType", q, true, &type) ||
            want_int(c, s, "priority", q, 0, 100, i, &bs->priority))
            return -1;
        char r[600];
        if (!valid_name(sname, 100)) {
            sub(r, sizeof r, q, "name");
            return problem(c, r, "\"%s\" is not a valid slot name", sname);
        }
        if (bot_intent_slot(in, sname)) {
            sub(r, sizeof r, q, "name");
            return problem(c, r, "slot %s is defined twice", sname);
        }
        if (strcmp(constraint, "Required") && strcmp(constraint, "Optional")) {
            sub(r, sizeof r, q, "slotConstraint");
            return problem(c, r, "must be Required or Optional");
        }
        if (!slot_type_known(slot_types, type)) {
            sub(r, sizeof r, q, "slotType");
            return problem(c, r, "\"%s\" is neither a built-in type nor in resource.slotTypes",
                           type);
        }
        bs->name = strdup(sname);
        bs->slot_type = strdup(type);
        bs->required = strcmp(constraint, "Required") == 0;
        in->n_slots++;
        const cJSON *vep = get(s, "valueElicitationPrompt");
        if (vep && !cJSON_IsNull(vep)) {
            sub(r, sizeof r, q, "valueElicitationPrompt");
            if (parse_prompt(c, vep, r, true, &bs->prompt))
                return -1;
        } else if (bs->required) {
            sub(r, sizeof r, q, "valueElicitationPrompt");
            return problem(c, r, "is required for a Required slot");
        }
        const cJSON *dvs = get(s, "defaultValueSpec");
        const cJSON *dvl = dvs ? get(dvs, "defaultValueList") : NULL;
        const cJSON *first = cJSON_IsArray(dvl) ? cJSON_GetArrayItem(dvl, 0) : NULL;
        const char *dv = first ? json_string(first, "defaultValue") : NULL;
        if (dv)
            bs->default_value = strdup(dv);
    }
    qsort(in->slots, in->n_slots, sizeof *in->slots, cmp_priority);

    const cJSON *utts = get(j, "sampleUtterances");
    sub(p, sizeof p, path, "sampleUtterances");
    if (utts && !cJSON_IsNull(utts) && !cJSON_IsArray(utts))
        return problem(c, p, "must be an array of strings");
    int nu = cJSON_GetArraySize(utts);
    if (nu > 1500)
        return problem(c, p, "has %d utterances; at most 1500", nu);
    size_t nb = 0;
    const char *const *bu = builtin_utterances(in->builtin, &nb);
    in->utterances = calloc((size_t)nu + nb + 1, sizeof *in->utterances);
    const cJSON *u;
    i = 0;
    cJSON_ArrayForEach(u, utts)
    {
        idx(q, sizeof q, p, i++);
        if (!cJSON_IsString(u) || !*u->valuestring)
            return problem(c, q, "must be a non-empty string");
        if (strlen(u->valuestring) > 200)
            return problem(c, q, "is longer than 200 characters");
        if (check_placeholders(c, u->valuestring, q, in))
            return -1;
        in->utterances[in->n_utterances++] = strdup(u->valuestring);
    }
    for (size_t k = 0; k < nb; k++)
        in->utterances[in->n_utterances++] = strdup(bu[k]);
    if (in->n_utterances == 0 && in->builtin != BOT_BUILTIN_FALLBACK)
        return problem(c, p, "intent %s has no sample utterances", in->name);

    if (parse_optional_prompt(c, j, "confirmationPrompt", path, true, &in->confirmation) ||
        parse_optional_prompt(c, j, "rejectionStatement", path, false, &in->rejection) ||
        parse_optional_prompt(c, j, "conclusionStatement", path, false, &in->conclusion))
        return -1;
    if (in->confirmation.n_messages && !in->rejection.n_messages) {
        sub(p, sizeof p, path, "rejectionStatement");
        return problem(c, p, "is required when there is a confirmationPrompt");
    }
    const cJSON *fup = get(j, "followUpPrompt");
    if (fup && !cJSON_IsNull(fup)) {
        sub(p, sizeof p, path, "followUpPrompt");
        if (in->conclusion.n_messages)
            return problem(c, p, "cannot be set together with conclusionStatement");
        char r[600];
        sub(r, sizeof r, p, "prompt");
        if (parse_prompt(c, get(fup, "prompt"), r, true, &in->follow_up))
            return -1;
    }
    const cJSON *dch = get(j, "dialogCodeHook");
    if (dch && !cJSON_IsNull(dch)) {
        sub(p, sizeof p, path, "dialogCodeHook");
        if (parse_hook(c, dch, p, &in->dialog_hook))
            return -1;
    }
    const cJSON *fa = get(j, "fulfillmentActivity");
    sub(p, sizeof p, path, "fulfillmentActivity");
    if (fa && !cJSON_IsNull(fa)) {
        const char *type;
        if (want_string(c, fa, "type", p, true, &type))
            return -1;
        if (strcmp(type, "CodeHook") == 0) {
            sub(q, sizeof q, p, "codeHook");
            if (parse_hook(c, get(fa, "codeHook"), q, &in->fulfillment_hook))
                return -1;
        } else if (strcmp(type, "ReturnIntent") != 0) {
            sub(q, sizeof q, p, "type");
            return problem(c, q, "must be ReturnIntent or CodeHook");
        }
    }
    return 0;
}

static void intent_release(struct bot_intent *in)
{
    free(in->name);
    for (size_t i = 0; i < in->n_utterances; i++)
        free(in->utterances[i]);
    free(in->utterances);
    for (size_t i = 0; i < in->n_slots; i++) {
        free(in->slots[i].name);
        free(in->slots[i].slot_type);
        free(in->slots[i].default_value);
        prompt_release(&in->slots[i].prompt);
    }
    free(in->slots);
    prompt_release(&in->confirmation);
    prompt_release(&in->rejection);
    prompt_release(&in->conclusion);
    prompt_release(&in->follow_up);
    free(in->dialog_hook.uri);
    free(in->dialog_hook.message_version);
    free(in->fulfillment_hook.uri);
    free(in->fulfillment_hook.message_version);
}

static int check_slot_types(struct check *c, const cJSON *types)
{
    const cJSON *t;
    int i = 0;
    cJSON_ArrayForEach(t, types)
    {
        char p[256], q[512];
        idx(p, sizeof p, "resource.slotTypes", i++);
        const char *name, *strategy;
        if (!cJSON_IsObject(t))
            return problem(c, p, "must be an object");
        if (want_string(c, t, "name", p, true, &name) ||
            want_string(c, t, "valueSelectionStrategy", p, false, &strategy))
            return -1;
        if (!valid_name(name, 100) || strncmp(name, "AMAZON.", 7) == 0) {
            sub(q, sizeof q, p, "name");
            return problem(c, q, "\"%s\" is not a valid custom slot type name", name);
        }
        if (strategy && strcmp(strategy, "ORIGINAL_VALUE") && strcmp(strategy, "TOP_RESOLUTION")) {
            sub(q, sizeof q, p, "valueSelectionStrategy");
            return problem(c, q, "must be ORIGINAL_VALUE or TOP_RESOLUTION");
        }
        /* Parley extension: "parleyRegex", a POSIX extended regex a value must match whole;
           with it, enumerationValues may be empty (any matching text is a value). */
        const char *regex;
        if (want_string(c, t, "parleyRegex", p, false, &regex))
            return -1;
        if (regex) {
            regex_t re;
            sub(q, sizeof q, p, "parleyRegex");
            if (regcomp(&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
                return problem(c, q, "is not a valid POSIX extended regular expression");
            regfree(&re);
        }
        const cJSON *vals = get(t, "enumerationValues");
        sub(q, sizeof q, p, "enumerationValues");
        if (regex && (!vals || (cJSON_IsArray(vals) && cJSON_GetArraySize(vals) == 0)))
            continue;
        if (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) == 0)
            return problem(c, q, "must be a non-empty array of {value, synonyms}");
        const cJSON *v;
        int k = 0;
        cJSON_ArrayForEach(v, vals)
        {
            char r[600];
            idx(r, sizeof r, q, k++);
            const char *value;
            if (!cJSON_IsObject(v))
                return problem(c, r, "must be an object {value, synonyms}");
            if (want_string(c, v, "value", r, true, &value))
                return -1;
            const cJSON *syn = get(v, "synonyms");
            if (syn && !cJSON_IsNull(syn)) {
                const cJSON *sy;
                cJSON_ArrayForEach(sy, syn)
                {
                    if (!cJSON_IsString(sy)) {
                        char w[700];
                        sub(w, sizeof w, r, "synonyms");
                        return problem(c, w, "must be an array of strings");
                    }
                }
            }
        }
    }
    return 0;
}

/* Builds the intents/ spec from the definition and trains the model. */
static int train(struct bot_def *d, const cJSON *types, const struct intents_vectors *vectors,
                 struct check *c)
{
    size_t nt = (size_t)cJSON_GetArraySize(types);
    struct intents_slot_type_spec *ts = calloc(nt + 1, sizeof *ts);
    struct intents_intent_spec *is = calloc(d->n_intents + 1, sizeof *is);
    struct intents_slot_spec **ss = calloc(d->n_intents + 1, sizeof *ss);
    struct intents_value_spec **vs = calloc(nt + 1, sizeof *vs);
    const char ***syns = NULL;
    size_t nsyn = 0;
    int result = -1;
    if (!ts || !is || !ss || !vs) {
        problem(c, "resource", "out of memory");
        goto out;
    }
    size_t i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
    {
        const cJSON *vals = get(t, "enumerationValues");
        size_t nv = (size_t)cJSON_GetArraySize(vals);
        const char *strategy = json_string(t, "valueSelectionStrategy");
        ts[i].name = json_string(t, "name");
        ts[i].regex = json_string(t, "parleyRegex");
        ts[i].selection = strategy && strcmp(strategy, "TOP_RESOLUTION") == 0
                              ? INTENTS_TOP_RESOLUTION
                              : INTENTS_ORIGINAL_VALUE;
        vs[i] = calloc(nv + 1, sizeof *vs[i]);
        const cJSON *v;
        size_t k = 0;
        cJSON_ArrayForEach(v, vals)
        {
            vs[i][k].value = json_string(v, "value");
            const cJSON *syn = get(v, "synonyms");
            size_t ny = (size_t)cJSON_GetArraySize(syn);
            if (ny) {
                const char ***grown = realloc(syns, (nsyn + 1) * sizeof *syns);
                if (!grown)
                    goto out;
                syns = grown;
                syns[nsyn] = calloc(ny, sizeof **syns);
                const cJSON *sy;
                size_t m = 0;
                cJSON_ArrayForEach(sy, syn) syns[nsyn][m++] = sy->valuestring;
                vs[i][k].synonyms = syns[nsyn++];
                vs[i][k].n_synonyms = ny;
            }
            k++;
        }
        ts[i].values = vs[i];
        ts[i].n_values = nv;
        i++;
    }
    size_t n = 0;
    for (size_t k = 0; k < d->n_intents; k++) {
        const struct bot_intent *in = &d->intents[k];
        if (in->builtin == BOT_BUILTIN_FALLBACK || in->n_utterances == 0)
            continue;
        ss[n] = calloc(in->n_slots + 1, sizeof **ss);
        for (size_t m = 0; m < in->n_slots; m++) {
            ss[n][m].name = in->slots[m].name;
            ss[n][m].slot_type = in->slots[m].slot_type;
        }
        is[n].name = in->name;
        is[n].utterances = (const char *const *)in->utterances;
        is[n].n_utterances = in->n_utterances;
        is[n].slots = ss[n];
        is[n].n_slots = in->n_slots;
        n++;
    }
    struct intents_bot_spec spec = {
        .locale = d->locale,
        .confidence_threshold = d->threshold,
        .intents = is,
        .n_intents = n,
        .slot_types = ts,
        .n_slot_types = nt,
        .vectors = vectors,
    };
    char why[512];
    if (intents_model_new(&spec, &d->model, why, sizeof why) != 0) {
        problem(c, "resource.intents", "the language model cannot be trained: %s", why);
        goto out;
    }
    result = 0;
out:
    for (size_t k = 0; ss && k <= d->n_intents; k++)
        free(ss[k]);
    for (size_t k = 0; vs && k <= nt; k++)
        free(vs[k]);
    for (size_t k = 0; k < nsyn; k++)
        free(syns[k]);
    free(syns);
    free(ss);
    free(vs);
    free(is);
    free(ts);
    return result;
}

int bot_definition_check(const cJSON *doc, const char *file, char *err, size_t errlen)
{
    cJSON *copy = cJSON_Duplicate(doc, true);
    struct bot_def *d = NULL;
    int rc = bot_def_new(copy, file, "$LATEST", NULL, &d, err, errlen); /* checks: no vectors */
    if (rc == 0)
        bot_def_unref(d); /* frees the copy with it */
    else
        cJSON_Delete(copy);
    return rc;
}

int bot_def_new(cJSON *doc, const char *file, const char *version,
                const struct intents_vectors *vectors, struct bot_def **out, char *err,
                size_t errlen)
{
    struct check c = {file, err, errlen};
    struct bot_def *d = calloc(1, sizeof *d);
    if (!d)
        return problem(&c, "(file)", "out of memory");
    d->refs = 1;
    d->doc = doc;
    int rc = -1;
    if (!cJSON_IsObject(doc)) {
        problem(&c, "(top level)", "must be a Lex import/export object {metadata, resource}");
        goto out;
    }
    const cJSON *meta = get(doc, "metadata");
    const char *import_type, *import_format, *schema;
    if (!cJSON_IsObject(meta)) {
        problem(&c, "metadata",
                "is required: {\"schemaVersion\":\"1.0\",\"importType\":\"LEX\","
                "\"importFormat\":\"JSON\"}");
        goto out;
    }
    if (want_string(&c, meta, "importType", "metadata", true, &import_type) ||
        want_string(&c, meta, "importFormat", "metadata", true, &import_format) ||
        want_string(&c, meta, "schemaVersion", "metadata", false, &schema))
        goto out;
    if (strcmp(import_type, "LEX") != 0) {
        problem(&c, "metadata.importType", "must be \"LEX\" (Parley reads Lex V1 bot exports)");
        goto out;
    }
    if (strcmp(import_format, "JSON") != 0) {
        problem(&c, "metadata.importFormat", "must be \"JSON\"");
        goto out;
    }
    const cJSON *res = get(doc, "resource");
    if (!cJSON_IsObject(res)) {
        problem(&c, "resource", "is required and must be an object");
        goto out;
    }
    const char *name, *locale, *rversion;
    if (want_string(&c, res, "name", "resource", true, &name) ||
        want_string(&c, res, "locale", "resource", false, &locale) ||
        want_string(&c, res, "version", "resource", false, &rversion) ||
        want_int(&c, res, "idleSessionTTLInSeconds", "resource", 60, 86400, 300, &d->idle_ttl_s))
        goto out;
    if (!valid_name(name, 50) || strchr(name, '.')) {
        problem(&c, "resource.name", "\"%s\" is not a valid bot name (2-50 letters, digits, _)",
                name);
        goto out;
    }
    d->name = strdup(name);
    d->locale = strdup(locale ? locale : "en-US");
    d->version = strdup(version);
    d->file = strdup(file);
    double th = 0.4;
    const cJSON *thj = get(res, "nluIntentConfidenceThreshold");
    if (thj && !cJSON_IsNull(thj)) {
        if (!cJSON_IsNumber(thj) || thj->valuedouble < 0 || thj->valuedouble > 1) {
            problem(&c, "resource.nluIntentConfidenceThreshold", "must be a number from 0 to 1");
            goto out;
        }
        th = thj->valuedouble;
    }
    d->threshold = th;
    if (parse_optional_prompt(&c, res, "clarificationPrompt", "resource", true,
                              &d->clarification) ||
        parse_optional_prompt(&c, res, "abortStatement", "resource", false, &d->abort_statement))
        goto out;

    const cJSON *types = get(res, "slotTypes");
    if (types && !cJSON_IsNull(types) && !cJSON_IsArray(types)) {
        problem(&c, "resource.slotTypes", "must be an array");
        goto out;
    }
    if (check_slot_types(&c, types))
        goto out;
    const cJSON *intents = get(res, "intents");
    if (!cJSON_IsArray(intents) || cJSON_GetArraySize(intents) == 0) {
        problem(&c, "resource.intents", "must be a non-empty array of intents");
        goto out;
    }
    int n = cJSON_GetArraySize(intents);
    if (n > 250) {
        problem(&c, "resource.intents", "has %d intents; at most 250", n);
        goto out;
    }
    d->intents = calloc((size_t)n, sizeof *d->intents);
    const cJSON *ij;
    int i = 0;
    cJSON_ArrayForEach(ij, intents)
    {
        char p[64];
        idx(p, sizeof p, "resource.intents", i++);
        struct bot_intent *in = &d->intents[d->n_intents++];
        if (parse_intent(&c, ij, p, types, in))
            goto out;
        if (bot_def_intent(d, in->name) != in) {
            char q[128];
            sub(q, sizeof q, p, "name");
            problem(&c, q, "intent %s is defined twice", in->name);
            goto out;
        }
    }
    if (train(d, types, vectors, &c))
        goto out;
    rc = 0;
out:
    if (rc) {
        d->doc = NULL; /* the caller keeps the document on failure */
        bot_def_unref(d);
        return -1;
    }
    *out = d;
    return 0;
}

struct bot_def *bot_def_ref(struct bot_def *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
    return d;
}

void bot_def_unref(struct bot_def *d)
{
    if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < d->n_intents; i++)
        intent_release(&d->intents[i]);
    free(d->intents);
    prompt_release(&d->clarification);
    prompt_release(&d->abort_statement);
    intents_model_free(d->model);
    cJSON_Delete(d->doc);
    free(d->name);
    free(d->version);
    free(d->locale);
    free(d->file);
    free(d);
}

const struct bot_intent *bot_def_intent(const struct bot_def *d, const char *name)
{
    for (size_t i = 0; i < d->n_intents; i++)
        if (d->intents[i].name && strcmp(d->intents[i].name, name) == 0)
            return &d->intents[i];
    return NULL;
}

const struct bot_intent *bot_def_builtin(const struct bot_def *d, enum bot_builtin b)
{
    for (size_t i = 0; i < d->n_intents; i++)
        if (d->intents[i].builtin == b)
            return &d->intents[i];
    return NULL;
}

const struct bot_slot *bot_intent_slot(const struct bot_intent *in, const char *name)
{
    for (size_t i = 0; i < in->n_slots; i++)
        if (in->slots[i].name && strcmp(in->slots[i].name, name) == 0)
            return &in->slots[i];
    return NULL;
}
