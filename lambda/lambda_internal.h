/*
 * What the files of lambda/ share among themselves: the function and
 * invocation records, the registry, and each file's entry points. Nothing
 * outside lambda/ includes this (the unit tests do, to reach the signer and
 * the Runtime API state machine).
 */
#ifndef PARLEY_LAMBDA_INTERNAL_H
#define PARLEY_LAMBDA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "lambda/lambda.h"

#define LAMBDA_PAYLOAD_MAX (6u * 1024u * 1024u) /* synchronous payload limit, both ways */
#define LAMBDA_EVENT_PAYLOAD_MAX (256u * 1024u) /* Event invocations */
#define LAMBDA_LOG_TAIL 4096u                   /* X-Amz-Log-Result keeps the last 4 KB */
#define LAMBDA_ACCOUNT "000000000000"           /* the account in the ARNs of local functions */
#define LAMBDA_NOUTCOMES 6
#define LAMBDA_NBUCKETS 12
/* Durations for the percentiles: bucket i holds (100 µs * 1.1^(i-1), 100 µs * 1.1^i]. */
#define LAMBDA_DURATION_BUCKETS 176 /* 1.1^175 * 100 µs: about 5.7 hours */

struct worker;
struct invocation;

struct lambda_function {
    char *name;
    char *arn;
    char *region;
    bool remote;
    unsigned timeout_ms;
    unsigned event_retry_delay_ms;

    /* local */
    char *code_dir; /* absolute */
    char **argv;    /* NULL-terminated; argv[0] resolved when spawning */
    char *handler;  /* _HANDLER */
    char **env;     /* "K=V" from `environment`, NULL-terminated */
    unsigned memory_mb;
    unsigned reserved; /* reserved concurrency: at most this many workers */
    unsigned max_queued;
    unsigned init_timeout_ms;

    /* remote */
    char *remote_name; /* function name or ARN at the remote end */
    char *endpoint;    /* base URL, no trailing slash */
    unsigned max_retries;
    unsigned connect_timeout_ms;

    /* local state, under reg->lock */
    struct worker *workers;
    unsigned nworkers, nstarting;
    struct invocation *qhead, *qtail;
    unsigned nqueued;
    unsigned running; /* admitted and not finished (queued + running) */
    unsigned next_worker_id;
    int64_t last_cold_start_us;

    /* metrics, under reg->metrics_lock */
    uint64_t outcomes[LAMBDA_NOUTCOMES];
    uint64_t buckets[LAMBDA_NBUCKETS];
    uint64_t count;
    double sum_s;
    uint64_t cold_starts;
    uint64_t durations[LAMBDA_DURATION_BUCKETS]; /* non-cumulative, for p50/p99 */
};

/* One invocation in flight, local or remote. */
struct invocation {
    struct invocation *next; /* queue or completion list link */
    struct lambda_registry *reg;
    struct lambda_function *fn;
    char id[40];
    char *payload;
    size_t len;
    char *client_context;
    unsigned timeout_ms;
    bool want_log;
    struct buf log; /* the function's log lines for this invocation (tail kept) */
    int64_t start_us;
    int64_t run_start_us;
    lambda_done_fn done;
    void *ud;

    /* the result, filled before invocation_finish */
    enum lambda_outcome outcome;
    int status;
    const char *function_error;
    char *error_type;
    char *message;
    char *result;
    size_t result_len;
};

struct local_runtime; /* local.c */
struct remote_pool;   /* remote.c */
struct event_queue;   /* events.c */

struct lambda_registry {
    char *config_path;
    struct lambda_function *fns;
    size_t nfns;
    struct store *st;

    pthread_mutex_t lock; /* local state of every function, active, stopping */
    pthread_cond_t idle;  /* active reached 0 */
    unsigned active;      /* admitted invocations not yet finished */
    bool stopping;        /* refusing new invocations */
    bool shut_down;

    pthread_mutex_t metrics_lock;

    struct local_runtime *local;
    struct remote_pool *remote;
    struct event_queue *events;
};

/* ---- registry.c ---- */

struct lambda_function *lambda_function_find(const struct lambda_registry *reg,
                                             const char *function);
struct invocation *invocation_new(struct lambda_registry *reg, struct lambda_function *fn,
                                  const char *payload, size_t len,
                                  const struct lambda_invoke_opts *opts, lambda_done_fn done,
                                  void *ud);
/* Sets the result fields; copies payload. */
void invocation_set_result(struct invocation *inv, enum lambda_outcome o, const char *ferr,
                           const char *payload, size_t len);
void invocation_set_error(struct invocation *inv, enum lambda_outcome o, int status,
                          const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Calls done, counts the metrics, frees inv. Never with reg->lock held. */
void invocation_finish(struct invocation *inv);
/* Appends text to the invocation's log, keeping the last LAMBDA_LOG_TAIL bytes (and a margin). */
void invocation_log(struct invocation *inv, const char *text, size_t len);
void lambda_uuid(char out[37]);
/* Writes one JSON log line for a function's output. */
void lambda_log_output(const char *function, const char *request_id, const char *stream,
                       const char *line, size_t len);

/* ---- local.c: workers and the Runtime API ---- */

int local_runtime_start(struct lambda_registry *reg, char *err, size_t errlen);
/* Queues inv on its (local) function; takes inv. Called without reg->lock. */
void local_invoke(struct lambda_registry *reg, struct invocation *inv);
/* Kills every worker, fails every queued invocation, reaps, joins. */
void local_runtime_stop(struct lambda_registry *reg);
void local_metrics(struct lambda_registry *reg, struct buf *out);

/* ---- remote.c: the Invoke API client ---- */

int remote_pool_start(struct lambda_registry *reg, char *err, size_t errlen);
void remote_invoke(struct lambda_registry *reg, struct invocation *inv);
void remote_pool_stop(struct lambda_registry *reg);

/* ---- events.c: the durable Event queue ---- */

int event_queue_start(struct lambda_registry *reg);
/* Stores the event; 0 or a PARLEY_E* code. */
int event_enqueue(struct lambda_registry *reg, struct lambda_function *fn, const char *payload,
                  size_t len, const char *client_context, char id_out[40]);
void event_queue_stop(struct lambda_registry *reg);
/* After every invocation has finished (their callbacks use the queue). */
void event_queue_free(struct lambda_registry *reg);

/* ---- endpoint.c: the Invoke-compatible endpoint ---- */

int endpoint_routes_add(struct lambda_registry *reg, struct http_server *srv);

#endif
