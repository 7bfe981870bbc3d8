/*
 * Parley's GraphQL service: the schema (parley.graphql, compiled in) with
 * its resolvers, the prepared-document cache, authorization, and the entry
 * points every transport uses (graphql/service.h).
 *
 * The cache. Parsing and validating a document costs far more than running
 * a small query, and clients send the same few documents again and again,
 * so a prepared document (gql_prepared: immutable, shareable by threads) is
 * kept per (query text, operationName) in a hash table with an LRU list,
 * at most graphql.cacheEntries of them, under one mutex held only for the
 * lookup. An entry is reference-counted: the table holds one reference, each
 * execution in flight (or subscription) another, so evicting an entry never
 * frees a document someone is running. Documents that fail to prepare are
 * not cached: their errors are cheap to find again and a flood of distinct
 * bad documents must not push the good ones out.
 *
 * Authorization is decided per operation, before execution, from its root
 * fields: fragments at the root are followed, and @skip/@include are not
 * evaluated (a field that might run counts). When every root field is in
 * graphql.publicFields no token is needed; otherwise the request must carry
 * "Authorization: Bearer <token>" with the token read at start from the
 * environment variable graphql.adminTokenEnv. The answer is the same for
 * every execution of a document, so it is computed once, when the entry is
 * made, from a parse of our own (the engine's prepared document does not
 * show its syntax tree): a cache miss parses twice, a hit not at all.
 *
 * Mutations may wait for a code hook (postText) or retrain a model
 * (putIntent), so the HTTP layer hands them to a small pool of workers here
 * (graphql_service_defer) and never runs them on a listener thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bots/bots.h"
#include "common/common.h"
#include "graphql/service_internal.h"
#include "server/config.h"

_Static_assert(JSON_CONSECUTIVE == GQL_JSON_CONSECUTIVE,
               "json_freeze's mark is the one the executor reads");

#define MAX_QUEUED_JOBS 1024
#define ROOT_WALK_DEPTH 64

/* ---- small helpers the resolvers share ---- */

cJSON *graphql_field_error(const struct gql_resolve_info *info, char **error, const char *code,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    *error = msg;
    if (info->extensions) {
        cJSON_Delete(*info->extensions);
        *info->extensions = cJSON_CreateObject();
        cJSON_AddStringToObject(*info->extensions, "code", code);
    }
    return NULL;
}

const char *graphql_arg_string(const struct gql_resolve_info *info, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info->args, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int graphql_resolvers_set(struct graphql_service *svc, const struct graphql_resolver *table,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc =
            gql_schema_set_resolver(svc->schema, table[i].type, table[i].field, table[i].fn, svc);
        if (rc != GQL_OK)
            return rc;
    }
    return 0;
}

int graphql_arg_int(const struct gql_resolve_info *info, const char *name, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info->args, name);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : def;
}

void graphql_iso_time(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* ---- the execution's context ---- */

void graphql_context_init(struct graphql_context *ctx, struct graphql_service *svc,
                          const char *channel)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->magic = GRAPHQL_CONTEXT_MAGIC;
    ctx->svc = svc;
    ctx->channel = channel;
    pthread_mutex_init(&ctx->lock, NULL);
}

void graphql_context_release(struct graphql_context *ctx)
{
    for (size_t i = 0; i < ctx->nholds; i++)
        ctx->holds[i].release(ctx->holds[i].p);
    free(ctx->holds);
    pthread_mutex_destroy(&ctx->lock);
    ctx->magic = 0;
}

struct graphql_context *graphql_context_of(const struct gql_resolve_info *info)
{
    struct graphql_context *ctx = info->context;
    return ctx && ctx->magic == GRAPHQL_CONTEXT_MAGIC ? ctx : NULL;
}

bool graphql_context_keep(struct graphql_context *ctx, void (*release)(void *p), void *p)
{
    pthread_mutex_lock(&ctx->lock);
    if (ctx->nholds == ctx->cap) {
        size_t cap = ctx->cap ? 2 * ctx->cap : 8;
        struct graphql_hold *grown = realloc(ctx->holds, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&ctx->lock);
            release(p);
            return false;
        }
        ctx->holds = grown;
        ctx->cap = cap;
    }
    ctx->holds[ctx->nholds++] = (struct graphql_hold){release, p};
    pthread_mutex_unlock(&ctx->lock);
    return true;
}

/* ---- the config's "graphql" section ---- */

static const char *const default_public[] = {"__typename", "__schema", "__type"};

static int cfg_fail(char *err, size_t errlen, const struct parley_config *cfg, const char *key,
                    const char *what)
{
    snprintf(err, errlen, "%s: graphql.%s: %s", cfg->path, key, what);
    return -1;
}

static int cfg_size(const cJSON *sec, const char *key, double min, double max, double def,
                    double *out, const struct parley_config *cfg, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
    *out = def;
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max) {
        char what[128];
        snprintf(what, sizeof what, "must be an integer from %.0f to %.0f", min, max);
        return cfg_fail(err, errlen, cfg, key, what);
    }
    *out = v->valuedouble;
    return 0;
}

/* Is name "__typename"/"__schema"/"__type" or "Query.f"/"Mutation.f"/"Subscription.f" of ours? */
static bool public_field_known(const struct gql_schema *schema, const char *name)
{
    for (size_t i = 0; i < sizeof default_public / sizeof *default_public; i++)
        if (strcmp(name, default_public[i]) == 0)
            return true;
    const char *dot = strchr(name, '.');
    if (!dot)
        return false;
    char type[32];
    size_t n = (size_t)(dot - name);
    if (n >= sizeof type)
        return false;
    memcpy(type, name, n);
    type[n] = '\0';
    const struct gql_type *roots[] = {schema->query, schema->mutation, schema->subscription};
    for (size_t i = 0; i < 3; i++)
        if (roots[i] && strcmp(roots[i]->name, type) == 0)
            return gql_type_field(schema, roots[i], dot + 1) != NULL;
    return false;
}

static int load_config(struct graphql_service *svc, const struct parley_config *cfg,
                       unsigned *cache_entries, unsigned *workers, char *err, size_t errlen)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(cfg->doc, "graphql");
    static const char *const known[] = {"$comment",         "adminTokenEnv",   "publicFields",
                                        "maxDocumentBytes", "maxTokens",       "maxDepth",
                                        "maxFields",        "timeBudgetMs",    "cacheEntries",
                                        "workers",          "wsInitTimeoutMs", "wsMaxOperations"};
    for (const cJSON *c = sec ? sec->child : NULL; c; c = c->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            ok = ok || strcmp(c->string, known[i]) == 0;
        if (!ok)
            return cfg_fail(err, errlen, cfg, c->string, "unknown key (see docs/configuration.md)");
    }
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(sec, "adminTokenEnv");
    if (env && (!cJSON_IsString(env) || !*env->valuestring))
        return cfg_fail(err, errlen, cfg, "adminTokenEnv",
                        "must be the name of an environment variable");
    svc->token_env = strdup(env ? env->valuestring : "PARLEY_ADMIN_TOKEN");
    const char *token = getenv(svc->token_env);
    if (token && *token)
        svc->token = strdup(token);

    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(sec, "publicFields");
    if (pub && !cJSON_IsArray(pub))
        return cfg_fail(err, errlen, cfg, "publicFields",
                        "must be an array of root fields such as \"Query.bots\" or \"__schema\"");
    size_t n =
        pub ? (size_t)cJSON_GetArraySize(pub) : sizeof default_public / sizeof *default_public;
    svc->public_fields = calloc(n ? n : 1, sizeof *svc->public_fields);
    if (!svc->public_fields)
        return cfg_fail(err, errlen, cfg, "publicFields", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const cJSON *f = pub ? cJSON_GetArrayItem(pub, (int)i) : NULL;
        const char *name = pub ? (cJSON_IsString(f) ? f->valuestring : NULL) : default_public[i];
        if (!name || !public_field_known(svc->schema, name)) {
            char key[64], what[256];
            snprintf(key, sizeof key, "publicFields[%zu]", i);
            snprintf(what, sizeof what,
                     "must name a root field of the schema as \"Query.bots\", "
                     "\"Mutation.postText\", \"Subscription.turns\", or one of \"__typename\", "
                     "\"__schema\", \"__type\"%s%s%s",
                     name ? " (not \"" : "", name ? name : "", name ? "\")" : "");
            return cfg_fail(err, errlen, cfg, key, what);
        }
        svc->public_fields[svc->npublic++] = strdup(name);
    }

    double v;
    if (cfg_size(sec, "maxDocumentBytes", 64, 16 << 20, 100000, &v, cfg, err, errlen))
        return -1;
    svc->limits.max_document_bytes = (size_t)v;
    if (cfg_size(sec, "maxTokens", 16, 1000000, 20000, &v, cfg, err, errlen))
        return -1;
    svc->limits.max_tokens = (size_t)v;
    if (cfg_size(sec, "maxDepth", 2, 1000, 20, &v, cfg, err, errlen))
        return -1;
    svc->limits.max_depth = (size_t)v;
    if (cfg_size(sec, "maxFields", 1, 1000000, 5000, &v, cfg, err, errlen))
        return -1;
    svc->limits.max_fields = (size_t)v;
    if (cfg_size(sec, "timeBudgetMs", 1, 3600000, 10000, &v, cfg, err, errlen))
        return -1;
    svc->limits.time_budget_us = (int64_t)v * 1000;
    if (cfg_size(sec, "cacheEntries", 0, 1000000, 512, &v, cfg, err, errlen))
        return -1;
    *cache_entries = (unsigned)v;
    if (cfg_size(sec, "workers", 1, 256, 4, &v, cfg, err, errlen))
        return -1;
    *workers = (unsigned)v;
    if (cfg_size(sec, "wsInitTimeoutMs", 100, 600000, 3000, &v, cfg, err, errlen))
        return -1;
    svc->ws_init_timeout_ms = (unsigned)v;
    if (cfg_size(sec, "wsMaxOperations", 1, 1000, 100, &v, cfg, err, errlen))
        return -1;
    svc->ws_max_operations = (unsigned)v;
    return 0;
}

/* ---- authorization ---- */

static bool field_public(const struct graphql_service *svc, const char *root, const char *field)
{
    for (size_t i = 0; i < svc->npublic; i++) {
        const char *p = svc->public_fields[i];
        if (p[0] == '_' && p[1] == '_') {
            if (strcmp(p, field) == 0)
                return true;
            continue;
        }
        size_t n = strlen(root);
        if (strncmp(p, root, n) == 0 && p[n] == '.' && strcmp(p + n + 1, field) == 0)
            return true;
    }
    return false;
}

static const struct gql_definition *find_fragment(const struct gql_document *doc, const char *name)
{
    for (size_t i = 0; i < doc->n; i++)
        if (doc->definitions[i].kind == GQL_DEF_FRAGMENT &&
            strcmp(doc->definitions[i].name, name) == 0)
            return &doc->definitions[i];
    return NULL;
}

/* True when every field the root selection set may select is public. */
static bool root_public(const struct graphql_service *svc, const struct gql_document *doc,
                        const char *root, const struct gql_selection_set *set, int depth)
{
    if (!set || depth > ROOT_WALK_DEPTH)
        return false;
    for (size_t i = 0; i < set->n; i++) {
        const struct gql_selection *s = &set->items[i];
        const struct gql_definition *frag;
        switch (s->kind) {
        case GQL_SEL_FIELD:
            if (!field_public(svc, root, s->name))
                return false;
            break;
        case GQL_SEL_INLINE_FRAGMENT:
            if (!root_public(svc, doc, root, s->selection_set, depth + 1))
                return false;
            break;
        case GQL_SEL_FRAGMENT_SPREAD:
            frag = find_fragment(doc, s->name);
            if (!frag || !root_public(svc, doc, root, frag->selection_set, depth + 1))
                return false;
            break;
        }
    }
    return true;
}

/* Does running operation_name of query need the token? (The document is known to prepare.) */
static bool needs_token(const struct graphql_service *svc, const char *query, size_t len,
                        const char *operation_name, enum gql_operation_type type)
{
    struct gql_document *doc = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    bool need = true;
    if (gql_parse(query, len, &svc->limits, &doc, &errs) != GQL_OK)
        goto out;
    const struct gql_schema *schema = svc->schema;
    const struct gql_type *root = type == GQL_QUERY      ? schema->query
                                  : type == GQL_MUTATION ? schema->mutation
                                                         : schema->subscription;
    for (size_t i = 0; i < doc->n; i++) {
        const struct gql_definition *d = &doc->definitions[i];
        if (d->kind != GQL_DEF_OPERATION)
            continue;
        if (operation_name ? (d->name && strcmp(d->name, operation_name) == 0) : true) {
            need = !root || !root_public(svc, doc, root->name, d->selection_set, 0);
            break;
        }
    }
out:
    gql_document_free(doc);
    gql_errors_release(&errs);
    return need;
}

/* Constant-time comparison of the token in "Bearer TOKEN" with ours. */
static bool token_matches(const struct graphql_service *svc, const char *authorization)
{
    if (!svc->token || !authorization)
        return false;
    while (*authorization == ' ')
        authorization++;
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *given = authorization + 7;
    while (*given == ' ')
        given++;
    size_t a = strlen(given), b = strlen(svc->token);
    while (a > 0 && given[a - 1] == ' ')
        a--;
    unsigned char diff = a != b;
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)(given[i < a ? i : 0] ^ svc->token[i]);
    return diff == 0;
}

int graphql_service_check_authorization(struct graphql_service *svc, const char *authorization)
{
    if (!authorization || !svc->token)
        return 0;
    return token_matches(svc, authorization) ? 0 : -1;
}

/* ---- the prepared-document cache ---- */

struct cache_entry {
    struct cache_entry *next; /* hash chain */
    struct cache_entry *lru_prev, *lru_next;
    uint64_t hash;
    char *key; /* query bytes, '\0', operation name */
    size_t keylen;
    struct gql_prepared *prepared;
    enum gql_operation_type type;
    bool needs_token;
    int refs;      /* the table's (while cached) and each user's; under cache_lock */
    bool in_table; /* still reachable from the table */
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void entry_free(struct cache_entry *e)
{
    gql_prepared_free(e->prepared);
    free(e->key);
    free(e);
}

static void lru_unlink(struct graphql_service *svc, struct cache_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        svc->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        svc->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct graphql_service *svc, struct cache_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = svc->lru_head;
    if (svc->lru_head)
        svc->lru_head->lru_prev = e;
    svc->lru_head = e;
    if (!svc->lru_tail)
        svc->lru_tail = e;
}

/* Takes e out of the table (cache_lock held); returns true when nobody else holds it. */
static bool table_remove(struct graphql_service *svc, struct cache_entry *e)
{
    struct cache_entry **p = &svc->buckets[e->hash & (svc->nbuckets - 1)];
    while (*p && *p != e)
        p = &(*p)->next;
    if (*p)
        *p = e->next;
    lru_unlink(svc, e);
    e->in_table = false;
    svc->cached--;
    return --e->refs == 0;
}

static void cache_release(struct graphql_service *svc, struct cache_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&svc->cache_lock);
    bool last = --e->refs == 0;
    pthread_mutex_unlock(&svc->cache_lock);
    if (last)
        entry_free(e);
}

/*
 * The prepared document of r, with a reference (cache_release it), or NULL
 * with errs filled (and *rc the gql_rc).
 */
static struct cache_entry *cache_get(struct graphql_service *svc, const struct graphql_request *r,
                                     struct gql_errors *errs, int *rc)
{
    const char *op = r->operation_name ? r->operation_name : "";
    size_t oplen = strlen(op);
    size_t keylen = r->query_len + 1 + oplen;
    char *key = malloc(keylen + 1);
    if (!key) {
        *rc = GQL_ENOMEM;
        gql_errors_add(errs, NULL, NULL, 0, "Out of memory.");
        return NULL;
    }
    memcpy(key, r->query, r->query_len);
    key[r->query_len] = '\0';
    memcpy(key + r->query_len + 1, op, oplen + 1);
    uint64_t h = fnv1a(key, keylen);

    pthread_mutex_lock(&svc->cache_lock);
    for (struct cache_entry *e = svc->nbuckets ? svc->buckets[h & (svc->nbuckets - 1)] : NULL; e;
         e = e->next) {
        if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
            e->refs++;
            lru_unlink(svc, e);
            lru_push_front(svc, e);
            pthread_mutex_unlock(&svc->cache_lock);
            free(key);
            __atomic_add_fetch(&svc->cache_hits, 1, __ATOMIC_RELAXED);
            return e;
        }
    }
    pthread_mutex_unlock(&svc->cache_lock);

    /* a miss: prepare outside the lock (two threads may both do it; one entry wins) */
    __atomic_add_fetch(&svc->cache_misses, 1, __ATOMIC_RELAXED);
    struct gql_prepared *p = NULL;
    *rc =
        gql_prepare(svc->schema, r->query, r->query_len, r->operation_name, &svc->limits, &p, errs);
    if (*rc != GQL_OK) {
        free(key);
        return NULL;
    }
    struct cache_entry *e = calloc(1, sizeof *e);
    if (!e) {
        gql_prepared_free(p);
        free(key);
        *rc = GQL_ENOMEM;
        gql_errors_add(errs, NULL, NULL, 0, "Out of memory.");
        return NULL;
    }
    e->hash = h;
    e->key = key;
    e->keylen = keylen;
    e->prepared = p;
    e->type = gql_prepared_operation(p);
    e->needs_token = needs_token(svc, r->query, r->query_len, r->operation_name, e->type);
    e->refs = 1; /* the caller's */
    if (svc->cache_cap == 0)
        return e;

    struct cache_entry *evicted = NULL;
    pthread_mutex_lock(&svc->cache_lock);
    bool present = false;
    for (struct cache_entry *x = svc->buckets[h & (svc->nbuckets - 1)]; x && !present; x = x->next)
        present = x->hash == h && x->keylen == keylen && memcmp(x->key, key, keylen) == 0;
    if (!present) {
        e->refs++; /* the table's */
        e->in_table = true;
        struct cache_entry **b = &svc->buckets[h & (svc->nbuckets - 1)];
        e->next = *b;
        *b = e;
        lru_push_front(svc, e);
        svc->cached++;
        if (svc->cached > svc->cache_cap) {
            struct cache_entry *old = svc->lru_tail;
            if (table_remove(svc, old))
                evicted = old;
        }
    }
    pthread_mutex_unlock(&svc->cache_lock);
    if (evicted)
        entry_free(evicted);
    return e;
}

static void cache_clear(struct graphql_service *svc)
{
    pthread_mutex_lock(&svc->cache_lock);
    struct cache_entry *freeable = NULL;
    while (svc->lru_head) {
        struct cache_entry *e = svc->lru_head;
        if (table_remove(svc, e)) {
            e->next = freeable;
            freeable = e;
        }
    }
    pthread_mutex_unlock(&svc->cache_lock);
    while (freeable) {
        struct cache_entry *e = freeable;
        freeable = e->next;
        entry_free(e);
    }
}

/* ---- execution ---- */

/* {"errors": [{"message": msg, "extensions"?: {"code": code}}]} (new). */
static cJSON *error_response(const char *msg, const char *code)
{
    cJSON *resp = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(resp, "errors");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", msg);
    if (code)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "extensions"), "code", code);
    cJSON_AddItemToArray(arr, e);
    return resp;
}

static cJSON *errors_response(const struct gql_errors *errs)
{
    cJSON *resp = cJSON_CreateObject();
    cJSON *arr = gql_errors_to_json(errs);
    if (!arr || cJSON_GetArraySize(arr) == 0) {
        cJSON_Delete(arr);
        cJSON_Delete(resp);
        return error_response("The request could not be run.", NULL);
    }
    cJSON_AddItemToObject(resp, "errors", arr);
    return resp;
}

static cJSON *unauthorized_response(const struct graphql_service *svc)
{
    char msg[256];
    if (svc->token)
        snprintf(msg, sizeof msg,
                 "This operation needs the admin token: send \"Authorization: Bearer <token>\" "
                 "with the value of %s.",
                 svc->token_env);
    else
        snprintf(msg, sizeof msg,
                 "This operation needs the admin token, and none is set: start Parley with %s "
                 "set, and send \"Authorization: Bearer <token>\".",
                 svc->token_env);
    return error_response(msg, "UNAUTHENTICATED");
}

/* Looks up r's document and checks what may run it; NULL with *resp and *status otherwise. */
static struct cache_entry *admit(struct graphql_service *svc, const struct graphql_request *r,
                                 unsigned flags, cJSON **resp, enum graphql_status *status)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = 0;
    *resp = NULL;
    struct cache_entry *e = cache_get(svc, r, &errs, &rc);
    if (!e) {
        *status = GRAPHQL_STATUS_INVALID;
        *resp = errors_response(&errs);
        gql_errors_release(&errs);
        return NULL;
    }
    gql_errors_release(&errs);
    if ((flags & GRAPHQL_QUERIES_ONLY) && e->type == GQL_MUTATION) {
        *status = GRAPHQL_STATUS_NOT_ALLOWED;
        *resp = error_response("Mutations are not run over GET: send them with POST.", NULL);
    } else if (e->needs_token && !token_matches(svc, r->authorization)) {
        *status = GRAPHQL_STATUS_UNAUTHORIZED;
        *resp = unauthorized_response(svc);
    } else {
        *status = GRAPHQL_STATUS_OK;
        __atomic_add_fetch(&svc->by_operation[e->type], 1, __ATOMIC_RELAXED);
        return e;
    }
    cache_release(svc, e);
    return NULL;
}

static void count_status(struct graphql_service *svc, enum graphql_status st)
{
    if ((unsigned)st < sizeof svc->by_status / sizeof *svc->by_status)
        __atomic_add_fetch(&svc->by_status[st], 1, __ATOMIC_RELAXED);
}

void graphql_service_metrics(struct buf *out, void *ud)
{
    struct graphql_service *svc = ud;
    static const char *const status_names[] = {"ok", "invalid", "unauthorized", "not_allowed",
                                               "subscription"};
    static const char *const op_names[] = {"query", "mutation", "subscription"};
    buf_puts(out, "# HELP parley_graphql_requests_total GraphQL requests by how they ended.\n"
                  "# TYPE parley_graphql_requests_total counter\n");
    for (size_t i = 0; i < 5; i++)
        buf_printf(out, "parley_graphql_requests_total{status=\"%s\"} %llu\n", status_names[i],
                   (unsigned long long)__atomic_load_n(&svc->by_status[i], __ATOMIC_RELAXED));
    buf_puts(out, "# HELP parley_graphql_operations_total Operations admitted to run, by type.\n"
                  "# TYPE parley_graphql_operations_total counter\n");
    for (size_t i = 0; i < 3; i++)
        buf_printf(out, "parley_graphql_operations_total{type=\"%s\"} %llu\n", op_names[i],
                   (unsigned long long)__atomic_load_n(&svc->by_operation[i], __ATOMIC_RELAXED));
    pthread_mutex_lock(&svc->cache_lock);
    size_t cached = svc->cached;
    pthread_mutex_unlock(&svc->cache_lock);
    buf_printf(out,
               "# HELP parley_graphql_document_cache_hits_total Requests whose document was "
               "prepared already.\n"
               "# TYPE parley_graphql_document_cache_hits_total counter\n"
               "parley_graphql_document_cache_hits_total %llu\n"
               "# HELP parley_graphql_document_cache_misses_total Requests whose document was "
               "parsed and validated.\n"
               "# TYPE parley_graphql_document_cache_misses_total counter\n"
               "parley_graphql_document_cache_misses_total %llu\n"
               "# HELP parley_graphql_document_cache_entries Prepared documents kept.\n"
               "# TYPE parley_graphql_document_cache_entries gauge\n"
               "parley_graphql_document_cache_entries %zu\n"
               "# HELP parley_graphql_subscriptions Subscriptions open.\n"
               "# TYPE parley_graphql_subscriptions gauge\n"
               "parley_graphql_subscriptions %lld\n",
               (unsigned long long)__atomic_load_n(&svc->cache_hits, __ATOMIC_RELAXED),
               (unsigned long long)__atomic_load_n(&svc->cache_misses, __ATOMIC_RELAXED), cached,
               (long long)__atomic_load_n(&svc->subscriptions, __ATOMIC_RELAXED));
}

struct cache_entry *graphql_service_admit(struct graphql_service *svc,
                                          const struct graphql_request *r, unsigned flags,
                                          cJSON **resp, enum graphql_status *status)
{
    struct cache_entry *e = admit(svc, r, flags, resp, status);
    if (!e)
        count_status(svc, *status);
    return e;
}

enum gql_operation_type graphql_entry_operation(const struct cache_entry *e)
{
    return e->type;
}

void graphql_entry_release(struct graphql_service *svc, struct cache_entry *e)
{
    cache_release(svc, e);
}

cJSON *graphql_service_execute(struct graphql_service *svc, const struct graphql_request *r,
                               unsigned flags, enum graphql_status *status)
{
    cJSON *resp = NULL;
    struct cache_entry *e = graphql_service_admit(svc, r, flags, &resp, status);
    return e ? graphql_service_run(svc, e, r, flags, status) : resp;
}

cJSON *graphql_service_run(struct graphql_service *svc, struct cache_entry *e,
                           const struct graphql_request *r, unsigned flags,
                           enum graphql_status *status)
{
    cJSON *resp = NULL;
    if (e->type == GQL_SUBSCRIPTION) {
        *status = GRAPHQL_STATUS_SUBSCRIPTION;
        count_status(svc, *status);
        cache_release(svc, e);
        return error_response("Subscriptions run over WebSocket: connect to /graphql with the "
                              "graphql-transport-ws subprotocol.",
                              NULL);
    }
    struct graphql_context ctx;
    graphql_context_init(&ctx, svc, r->channel ? r->channel : "graphql");
    struct gql_exec_args args = {
        .variables = r->variables,
        .context = &ctx,
        .time_budget_us = svc->limits.time_budget_us,
        .raw_data = (flags & GRAPHQL_RAW_DATA) != 0,
    };
    bool request_error = false;
    resp = gql_execute(e->prepared, &args, &request_error);
    graphql_context_release(&ctx);
    *status = request_error ? GRAPHQL_STATUS_INVALID : GRAPHQL_STATUS_OK;
    count_status(svc, *status);
    cache_release(svc, e);
    return resp;
}

int graphql_service_operation(struct graphql_service *svc, const struct graphql_request *r,
                              enum gql_operation_type *type)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    int rc = 0;
    struct cache_entry *e = cache_get(svc, r, &errs, &rc);
    gql_errors_release(&errs);
    if (!e)
        return rc < 0 ? rc : GQL_EINVALID;
    *type = e->type;
    cache_release(svc, e);
    return GQL_OK;
}

const struct gql_schema *graphql_service_schema(const struct graphql_service *svc)
{
    return svc->schema;
}

/* ---- turn listeners ---- */

struct turn_listener {
    struct turn_listener *next;
    struct graphql_service *svc;
    uint64_t id; /* bots/'s */
    char *bot, *alias, *user;
    graphql_turn_fn fn;
    void *ud;
};

static void on_turn(const cJSON *turn, void *ud)
{
    struct turn_listener *l = ud;
    if ((l->bot && strcmp(l->bot, json_string(turn, "bot") ? json_string(turn, "bot") : "")) ||
        (l->alias &&
         strcmp(l->alias, json_string(turn, "alias") ? json_string(turn, "alias") : "")) ||
        (l->user && strcmp(l->user, json_string(turn, "user") ? json_string(turn, "user") : "")))
        return;
    l->fn(turn, l->ud);
}

static void listener_free(struct turn_listener *l)
{
    free(l->bot);
    free(l->alias);
    free(l->user);
    free(l);
}

uint64_t graphql_service_turns_listen(struct graphql_service *svc, const char *bot,
                                      const char *alias, const char *user, graphql_turn_fn fn,
                                      void *ud)
{
    if (!svc->deps.bots || !fn)
        return 0;
    struct turn_listener *l = calloc(1, sizeof *l);
    if (!l)
        return 0;
    l->svc = svc;
    l->bot = bot ? strdup(bot) : NULL;
    l->alias = alias ? strdup(alias) : NULL;
    l->user = user ? strdup(user) : NULL;
    l->fn = fn;
    l->ud = ud;
    pthread_mutex_lock(&svc->listen_lock);
    if (svc->stopped) {
        pthread_mutex_unlock(&svc->listen_lock);
        listener_free(l);
        return 0;
    }
    l->id = bot_turn_listener_add(svc->deps.bots, on_turn, l);
    if (l->id) {
        l->next = svc->listeners;
        svc->listeners = l;
    }
    pthread_mutex_unlock(&svc->listen_lock);
    uint64_t id = l->id;
    if (!id)
        listener_free(l);
    return id;
}

void graphql_service_turns_unlisten(struct graphql_service *svc, uint64_t id)
{
    struct turn_listener *found = NULL;
    pthread_mutex_lock(&svc->listen_lock);
    for (struct turn_listener **p = &svc->listeners; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            found = *p;
            *p = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&svc->listen_lock);
    if (found) {
        /* outside our lock: removing waits for a callback in flight */
        bot_turn_listener_remove(svc->deps.bots, found->id);
        listener_free(found);
    }
}

/* ---- subscriptions ---- */

struct graphql_subscription {
    struct graphql_service *svc;
    struct cache_entry *entry;
    cJSON *variables; /* a copy of the request's */
    graphql_event_fn fn;
    void *ud;
    uint64_t listener;
};

static void on_subscription_turn(const cJSON *turn, void *ud)
{
    struct graphql_subscription *sub = ud;
    struct graphql_context ctx;
    graphql_context_init(&ctx, sub->svc, "graphql-ws");
    struct gql_exec_args args = {
        .variables = sub->variables,
        .context = &ctx,
        .time_budget_us = sub->svc->limits.time_budget_us,
    };
    cJSON *resp = gql_execute_event(sub->entry->prepared, &args, turn);
    graphql_context_release(&ctx);
    if (resp) {
        sub->fn(resp, sub->ud);
        cJSON_Delete(resp);
    }
}

enum graphql_status graphql_service_subscribe(struct graphql_service *svc,
                                              const struct graphql_request *r, graphql_event_fn fn,
                                              void *ud, struct graphql_subscription **out,
                                              cJSON **errors)
{
    enum graphql_status status;
    *out = NULL;
    *errors = NULL;
    struct cache_entry *e = admit(svc, r, 0, errors, &status);
    if (!e) {
        count_status(svc, status);
        return status;
    }
    if (e->type != GQL_SUBSCRIPTION) {
        cache_release(svc, e);
        return GRAPHQL_STATUS_SUBSCRIPTION;
    }
    struct gql_exec_args args = {.variables = r->variables};
    const char *field = NULL;
    cJSON *fargs = NULL;
    struct gql_errors errs = GQL_ERRORS_INIT;
    struct graphql_subscription *sub = NULL;
    if (gql_subscription_source(e->prepared, &args, &field, &fargs, &errs) != GQL_OK) {
        *errors = errors_response(&errs);
        status = GRAPHQL_STATUS_INVALID;
        goto out;
    }
    /* Subscription.turns(bot, alias, user, conversation) */
    const char *bot = json_string(fargs, "bot");
    const char *alias = json_string(fargs, "alias");
    const char *user = json_string(fargs, "user");
    const char *conv = json_string(fargs, "conversation");
    char cbot[256] = "", calias[256] = "";
    if (conv) {
        const char *a = strchr(conv, '/');
        const char *u = a ? strchr(a + 1, '/') : NULL;
        if (!a || !u || (size_t)(a - conv) >= sizeof cbot || (size_t)(u - a - 1) >= sizeof calias ||
            !u[1]) {
            *errors =
                error_response("conversation must be a conversation id: bot/alias/user.", NULL);
            status = GRAPHQL_STATUS_INVALID;
            goto out;
        }
        memcpy(cbot, conv, (size_t)(a - conv));
        memcpy(calias, a + 1, (size_t)(u - a - 1));
        if (bot && strcmp(bot, cbot) != 0) {
            *errors = error_response("conversation belongs to another bot than bot.", NULL);
            status = GRAPHQL_STATUS_INVALID;
            goto out;
        }
        alias = calias;
        user = u + 1;
    }
    if (!field || strcmp(field, "turns") != 0 || !bot) {
        *errors = error_response("Subscription.turns needs a bot.", NULL);
        status = GRAPHQL_STATUS_INVALID;
        goto out;
    }
    cJSON *names = svc->deps.bots ? bot_names(svc->deps.bots) : NULL;
    bool known = false;
    const cJSON *nm;
    cJSON_ArrayForEach(nm, names) known = known || strcmp(nm->valuestring, bot) == 0;
    cJSON_Delete(names);
    if (!known) {
        char msg[400];
        snprintf(msg, sizeof msg, "There is no bot named %s.", bot);
        *errors = error_response(msg, NULL);
        status = GRAPHQL_STATUS_INVALID;
        goto out;
    }
    sub = calloc(1, sizeof *sub);
    if (!sub) {
        *errors = error_response("Out of memory.", NULL);
        status = GRAPHQL_STATUS_INVALID;
        goto out;
    }
    sub->svc = svc;
    sub->entry = e;
    sub->variables = r->variables ? cJSON_Duplicate(r->variables, true) : NULL;
    sub->fn = fn;
    sub->ud = ud;
    sub->listener = graphql_service_turns_listen(svc, bot, alias, user, on_subscription_turn, sub);
    if (!sub->listener) {
        cJSON_Delete(sub->variables);
        free(sub);
        sub = NULL;
        *errors = error_response("The server is stopping.", NULL);
        status = GRAPHQL_STATUS_INVALID;
        goto out;
    }
    e = NULL; /* the subscription holds the reference */
    *out = sub;
    status = GRAPHQL_STATUS_OK;
    __atomic_add_fetch(&svc->subscriptions, 1, __ATOMIC_RELAXED);
out:
    if (status != GRAPHQL_STATUS_SUBSCRIPTION)
        count_status(svc, status);
    cJSON_Delete(fargs);
    gql_errors_release(&errs);
    cache_release(svc, e);
    return status;
}

void graphql_subscription_free(struct graphql_subscription *sub)
{
    if (!sub)
        return;
    graphql_service_turns_unlisten(sub->svc, sub->listener);
    __atomic_sub_fetch(&sub->svc->subscriptions, 1, __ATOMIC_RELAXED);
    cache_release(sub->svc, sub->entry);
    cJSON_Delete(sub->variables);
    free(sub);
}

/* ---- workers ---- */

struct gql_job {
    struct gql_job *next;
    void (*fn)(void *arg);
    void *arg;
};

static void *worker_main(void *arg)
{
    struct graphql_service *svc = arg;
    for (;;) {
        pthread_mutex_lock(&svc->qlock);
        while (!svc->qhead && !svc->stopping)
            pthread_cond_wait(&svc->qcond, &svc->qlock);
        struct gql_job *j = svc->qhead;
        if (!j) {
            pthread_mutex_unlock(&svc->qlock);
            return NULL; /* stopping, and the queue is drained */
        }
        svc->qhead = j->next;
        if (!svc->qhead)
            svc->qtail = NULL;
        svc->queued--;
        pthread_mutex_unlock(&svc->qlock);
        j->fn(j->arg);
        free(j);
    }
}

int graphql_service_defer(struct graphql_service *svc, void (*fn)(void *arg), void *arg)
{
    struct gql_job *j = calloc(1, sizeof *j);
    if (!j)
        return PARLEY_ENOMEM;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&svc->qlock);
    if (svc->stopping || svc->queued >= MAX_QUEUED_JOBS) {
        pthread_mutex_unlock(&svc->qlock);
        free(j);
        return PARLEY_EBUSY;
    }
    if (svc->qtail)
        svc->qtail->next = j;
    else
        svc->qhead = j;
    svc->qtail = j;
    svc->queued++;
    pthread_cond_signal(&svc->qcond);
    pthread_mutex_unlock(&svc->qlock);
    return 0;
}

/* ---- lifecycle ---- */

int graphql_service_new(const struct parley_config *cfg, const struct graphql_service_deps *deps,
                        struct http_server *srv, struct graphql_service **out, char *err,
                        size_t errlen)
{
    struct graphql_service *svc = calloc(1, sizeof *svc);
    struct gql_errors errs = GQL_ERRORS_INIT;
    unsigned cache_entries = 0, workers = 0;
    if (!svc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (deps)
        svc->deps = *deps;
    pthread_mutex_init(&svc->cache_lock, NULL);
    pthread_mutex_init(&svc->qlock, NULL);
    pthread_cond_init(&svc->qcond, NULL);
    pthread_mutex_init(&svc->listen_lock, NULL);
    if (gql_schema_new((const char *)parley_graphql_sdl, parley_graphql_sdl_len, &svc->schema,
                       &errs) != GQL_OK) {
        snprintf(err, errlen, "graphql/parley.graphql: %s",
                 errs.n ? errs.items[0].message : "the schema does not build");
        goto fail;
    }
    if (graphql_resolvers_bots_add(svc) != 0 || graphql_resolvers_hosting_add(svc) != 0) {
        snprintf(err, errlen, "graphql/parley.graphql: a resolver names a field it lacks");
        goto fail;
    }
    if (load_config(svc, cfg, &cache_entries, &workers, err, errlen) != 0)
        goto fail;
    if (!svc->token)
        log_warn("graphql: %s is not set: only the public fields (graphql.publicFields) answer",
                 svc->token_env);
    svc->cache_cap = cache_entries;
    svc->nbuckets = 16;
    while (svc->nbuckets < 2 * (size_t)cache_entries)
        svc->nbuckets *= 2;
    svc->buckets = calloc(svc->nbuckets, sizeof *svc->buckets);
    svc->workers = calloc(workers, sizeof *svc->workers);
    if (!svc->buckets || !svc->workers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&svc->workers[i], NULL, worker_main, svc) != 0)
            break;
        svc->nworkers++;
    }
    if (!svc->nworkers) {
        snprintf(err, errlen, "cannot start the GraphQL workers");
        goto fail;
    }
    if (srv && graphql_http_routes_add(svc, srv) != 0) {
        snprintf(err, errlen, "cannot add the /graphql routes");
        goto fail;
    }
    gql_errors_release(&errs);
    *out = svc;
    return 0;
fail:
    gql_errors_release(&errs);
    graphql_service_free(svc);
    return -1;
}

void graphql_service_stop(struct graphql_service *svc)
{
    if (!svc)
        return;
    pthread_mutex_lock(&svc->qlock);
    svc->stopping = true;
    pthread_cond_broadcast(&svc->qcond);
    pthread_mutex_unlock(&svc->qlock);
    for (unsigned i = 0; i < svc->nworkers; i++)
        pthread_join(svc->workers[i], NULL);
    svc->nworkers = 0;
    /* drop every listener still registered: their callbacks end here */
    pthread_mutex_lock(&svc->listen_lock);
    struct turn_listener *ls = svc->listeners;
    svc->listeners = NULL;
    svc->stopped = true;
    pthread_mutex_unlock(&svc->listen_lock);
    while (ls) {
        struct turn_listener *l = ls;
        ls = l->next;
        if (svc->deps.bots)
            bot_turn_listener_remove(svc->deps.bots, l->id);
        listener_free(l);
    }
}

void graphql_service_free(struct graphql_service *svc)
{
    if (!svc)
        return;
    graphql_service_stop(svc);
    if (svc->buckets)
        cache_clear(svc);
    free(svc->buckets);
    free(svc->workers);
    gql_schema_free(svc->schema);
    for (size_t i = 0; i < svc->npublic; i++)
        free(svc->public_fields[i]);
    free(svc->public_fields);
    free(svc->token);
    free(svc->token_env);
    pthread_mutex_destroy(&svc->cache_lock);
    pthread_mutex_destroy(&svc->qlock);
    pthread_cond_destroy(&svc->qcond);
    pthread_mutex_destroy(&svc->listen_lock);
    free(svc);
}
