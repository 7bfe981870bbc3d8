/*
 * What the files of Parley's GraphQL service share (service.c, http.c,
 * resolvers_*.c); nothing outside graphql/ includes it.
 */
#ifndef PARLEY_GRAPHQL_SERVICE_INTERNAL_H
#define PARLEY_GRAPHQL_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "graphql/graphql.h"
#include "graphql/service.h"

/* parley.graphql, compiled in by graphql/CMakeLists.txt (bots/embed.cmake) */
extern const unsigned char parley_graphql_sdl[];
extern const size_t parley_graphql_sdl_len;

struct cache_entry;
struct gql_job;
struct turn_listener;

struct graphql_service {
    struct graphql_service_deps deps;
    struct gql_schema *schema;
    struct gql_limits limits;
    char *token; /* the admin token read from the environment; NULL: none set */
    char *token_env;
    char **public_fields; /* "__typename", "__schema", "__type" or "Type.field" */
    size_t npublic;
    unsigned ws_init_timeout_ms; /* graphql.wsInitTimeoutMs, for graphql/ws.c */
    unsigned ws_max_operations;  /* graphql.wsMaxOperations */

    /* the prepared-document cache (service.c): a hash table and an LRU list */
    pthread_mutex_t cache_lock;
    struct cache_entry **buckets;
    size_t nbuckets;
    size_t cached, cache_cap;
    struct cache_entry *lru_head, *lru_tail; /* most recently used first */

    /* workers for what must not run on an HTTP listener thread (mutations) */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct gql_job *qhead, *qtail;
    size_t queued;
    bool stopping;
    pthread_t *workers;
    unsigned nworkers;

    /* counters for /metrics (atomic) */
    uint64_t cache_hits, cache_misses;
    uint64_t by_status[5];    /* enum graphql_status */
    uint64_t by_operation[3]; /* enum gql_operation_type, of the admitted operations */
    int64_t subscriptions;    /* open */

    /* turn listeners registered through the service (graphql_service_turns_listen) */
    pthread_mutex_t listen_lock;
    struct turn_listener *listeners;
    bool stopped;
};

/*
 * The context every execution hands its resolvers (gql_exec_args.context):
 * the turn log's channel, and what resolvers borrow for the execution's
 * length (bot definitions, see bot_latest_resource), released by
 * graphql_context_release once the response is complete.
 */
#define GRAPHQL_CONTEXT_MAGIC 0x47514c43u
struct graphql_hold {
    void (*release)(void *p);
    void *p;
};
struct graphql_context {
    uint32_t magic; /* GRAPHQL_CONTEXT_MAGIC: resolvers check it before trusting the rest */
    struct graphql_service *svc;
    const char *channel; /* the turn log's channel for postText */
    pthread_mutex_t lock;
    struct graphql_hold *holds;
    size_t nholds, cap;
};
void graphql_context_init(struct graphql_context *ctx, struct graphql_service *svc,
                          const char *channel);
void graphql_context_release(struct graphql_context *ctx);
/* The execution's context if it is ours, else NULL. */
struct graphql_context *graphql_context_of(const struct gql_resolve_info *info);
/* Calls release(p) when the execution ends. false (released now) when out of memory. */
bool graphql_context_keep(struct graphql_context *ctx, void (*release)(void *p), void *p);

/*
 * graphql_service_execute in two steps, for the HTTP layer, which decides
 * where to run an operation once it knows its type: admit looks r's
 * document up (or prepares it) and checks what may run it — the entry with a
 * reference, or NULL with *resp (new) and *status; run executes an admitted
 * entry with r's variables and drops the reference.
 */
struct cache_entry *graphql_service_admit(struct graphql_service *svc,
                                          const struct graphql_request *r, unsigned flags,
                                          cJSON **resp, enum graphql_status *status);
enum gql_operation_type graphql_entry_operation(const struct cache_entry *e);
/* Drops an admitted entry's reference without running it. */
void graphql_entry_release(struct graphql_service *svc, struct cache_entry *e);
cJSON *graphql_service_run(struct graphql_service *svc, struct cache_entry *e,
                           const struct graphql_request *r, unsigned flags,
                           enum graphql_status *status);

struct buf;
/* Appends the service's Prometheus lines (http_metrics_source_add's callback). */
void graphql_service_metrics(struct buf *out, void *ud);

/* Runs fn(arg) on one of the service's workers. 0, or PARLEY_EBUSY when stopping or full. */
int graphql_service_defer(struct graphql_service *svc, void (*fn)(void *arg), void *arg);

/* Resolvers (their resolve_data is the service). 0 or a negative gql_rc. */
struct graphql_resolver {
    const char *type, *field;
    gql_resolve_fn fn;
};
int graphql_resolvers_set(struct graphql_service *svc, const struct graphql_resolver *table,
                          size_t n);
int graphql_resolvers_bots_add(struct graphql_service *svc);
int graphql_resolvers_hosting_add(struct graphql_service *svc);

/*
 * A field error for a resolver: sets *error to the formatted message and the
 * error's extensions to {"code": code} (Lex V2's exception names:
 * ValidationException, ResourceNotFoundException, ...), returns NULL.
 */
cJSON *graphql_field_error(const struct gql_resolve_info *info, char **error, const char *code,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The argument name of info as a string, or NULL when absent or null. */
const char *graphql_arg_string(const struct gql_resolve_info *info, const char *name);
/* The argument as an int, def when absent or null. */
int graphql_arg_int(const struct gql_resolve_info *info, const char *name, int def);
/* ms since the epoch as 2026-11-26T21:30:00.000Z into out. */
void graphql_iso_time(int64_t ms, char out[32]);

#endif
