/*
 * lambda/ — fulfillment through Lambda functions.
 *
 * A registry holds the functions of the config's `functions` list. Each is
 * either remote (the Lambda Invoke API of AWS or of any compatible endpoint,
 * SigV4-signed, through libcurl) or local (a handler process started by
 * Parley and fed over the Lambda Runtime API, kept warm between calls, up to
 * the function's reserved concurrency). Callers never see which: they call
 * lambda_invoke() with a name or ARN and get one lambda_result back, on
 * another thread.
 *
 * The registry also serves the Invoke-compatible endpoint
 * (POST /2015-03-31/functions/{name}/invocations) on Parley's listener, so
 * `aws lambda invoke --endpoint-url` and the AWS SDKs can call the local
 * functions, and it keeps the durable queue of `Event` invocations in the
 * store.
 *
 * The Runtime API of a local function is not on Parley's main listener:
 * every worker process gets a listener of its own on 127.0.0.1 (an ephemeral
 * port, its AWS_LAMBDA_RUNTIME_API), as every Lambda sandbox has its own
 * endpoint. That is how a GET /runtime/invocation/next is known to come from
 * that worker, with unmodified runtime clients, and it keeps long-polls out
 * of the main listener's in-flight count. The registry therefore does not
 * need to learn the main listener's port.
 *
 * Threads: lambda_invoke and lambda_registry_* may be called from any
 * thread. A `done` callback runs on one of the registry's threads (or a
 * listener thread) and must not block for long; it may call lambda_invoke.
 */
#ifndef PARLEY_LAMBDA_H
#define PARLEY_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct parley_config;
struct store;
struct http_server;
struct lambda_registry;

enum lambda_outcome {
    LAMBDA_OK,             /* the function answered; payload is its result */
    LAMBDA_FUNCTION_ERROR, /* the function failed (threw, crashed, failed to start); payload is
                              the error JSON, function_error is "Unhandled" or "Handled" */
    LAMBDA_TIMEOUT,        /* the function ran past its timeout and was stopped (local: killed) */
    LAMBDA_THROTTLED,      /* past the reserved concurrency and the queue (429) */
    LAMBDA_NOT_FOUND,      /* no function by that name (404) */
    LAMBDA_SERVICE_ERROR,  /* Parley or the remote service failed: network, 5xx, signing,
                              bad request, shutting down; error_type/message say which */
};

enum lambda_invocation_type {
    LAMBDA_REQUEST_RESPONSE, /* run and wait for the result */
    LAMBDA_EVENT,            /* queue durably, run later, retried twice; done() is called
                                once the event is queued (outcome OK, empty payload) */
    LAMBDA_DRY_RUN,          /* only check that the function exists and may be called */
};

struct lambda_invoke_opts {
    enum lambda_invocation_type type;
    unsigned timeout_ms; /* 0 = the function's timeout; else a lower bound to apply instead */
    bool log_tail;       /* fill lambda_result.log_tail (the last 4 KB of the function's log) */
    const char *client_context; /* base64 JSON (X-Amz-Client-Context), or NULL */
};

struct lambda_result {
    enum lambda_outcome outcome;
    int status;                 /* the HTTP status Lambda's Invoke API gives this outcome */
    const char *function_error; /* "Unhandled"/"Handled" with FUNCTION_ERROR and TIMEOUT */
    const char *error_type;     /* x-amzn-ErrorType for THROTTLED, NOT_FOUND, SERVICE_ERROR */
    const char *message;        /* a sentence for THROTTLED, NOT_FOUND, SERVICE_ERROR */
    const char *payload;        /* the function's result or error JSON; never NULL */
    size_t len;
    const char *log_tail; /* raw text (not base64) when asked for and known, else NULL */
    size_t log_tail_len;
    const char *request_id; /* the invocation's id (Lambda's x-amzn-RequestId) */
    int64_t duration_us;    /* from lambda_invoke to the result */
};

/* Everything in a result is borrowed for the duration of the call only. */
typedef void (*lambda_done_fn)(const struct lambda_result *r, void *ud);

/*
 * Builds the registry from cfg->doc's `functions` list and validates it. st
 * (may be NULL: then Event invocations are refused) holds the Event queue.
 * No process starts here: a local function starts its first worker on its
 * first invocation. Returns 0, or PARLEY_EINVAL with err holding
 * "FILE: functions[1].timeout: must be ..."; PARLEY_ENOMEM. Free with
 * lambda_registry_free.
 */
int lambda_registry_new(const struct parley_config *cfg, struct store *st,
                        struct lambda_registry **out, char *err, size_t errlen);

/*
 * Adds the Invoke-compatible endpoint and the metrics to srv (before
 * http_server_start), and starts the Event queue's worker. 0 or PARLEY_E*.
 */
int lambda_routes_add(struct lambda_registry *reg, struct http_server *srv);

/*
 * Stops taking invocations (new ones get SERVICE_ERROR), waits up to
 * grace_ms for those running, then fails the rest, kills every worker's
 * process group, reaps every child and answers every suspended request.
 * Call before http_server_shutdown. Idempotent.
 */
void lambda_registry_shutdown(struct lambda_registry *reg, unsigned grace_ms);

/* Shuts down (grace 0) if not done yet and frees. NULL is fine. */
void lambda_registry_free(struct lambda_registry *reg);

/*
 * Resolves a name, a partial ARN ("123456789012:function:BookFlight"), a full
 * ARN (arn:aws:lambda:us-east-1:123456789012:function:BookFlight[:qualifier])
 * or "name:qualifier" to the registered function's name; NULL if none.
 * The string returned belongs to the registry.
 */
const char *lambda_function_resolve(const struct lambda_registry *reg, const char *function);

/*
 * Invokes function (a name or ARN, see lambda_function_resolve) with payload
 * (JSON, copied; len bytes). opts may be NULL (RequestResponse, the
 * function's timeout, no log tail). done(result, ud) is called exactly once,
 * possibly before lambda_invoke returns (NOT_FOUND, THROTTLED, DryRun), else
 * from another thread. Returns 0, or PARLEY_EINVAL without calling done
 * when an argument is NULL.
 */
int lambda_invoke(struct lambda_registry *reg, const char *function, const char *payload,
                  size_t len, const struct lambda_invoke_opts *opts, lambda_done_fn done, void *ud);

/*
 * The blocking form, for the CLI and tests. Fills *out; the caller releases
 * it with lambda_result_release. Returns 0, or PARLEY_EINVAL/ENOMEM.
 */
struct lambda_owned_result {
    struct lambda_result r; /* its strings point into the owned copies below */
    char *payload, *log_tail, *request_id, *function_error, *error_type, *message;
};
int lambda_invoke_sync(struct lambda_registry *reg, const char *function, const char *payload,
                       size_t len, const struct lambda_invoke_opts *opts,
                       struct lambda_owned_result *out);
void lambda_result_release(struct lambda_owned_result *res);

/* ---- statistics since the registry started (GraphQL's Function type) ---- */

struct lambda_function_stats {
    const char *name;    /* borrowed from the registry, like the strings below */
    bool remote;         /* the Invoke API of AWS (or compatible); else a local handler */
    const char *handler; /* local: the handler (_HANDLER), else NULL */
    const char *arn;
    unsigned timeout_ms;
    unsigned reserved_concurrency; /* local; 0 for remote */
    uint64_t invocations;          /* admitted and finished (throttled ones excluded) */
    uint64_t errors;               /* function errors + timeouts + service errors */
    uint64_t throttles;            /* refused past the reserved concurrency */
    uint64_t timeouts;
    double p50_ms, p99_ms; /* from invoke to result; bucket upper bounds (within 10%); -1: none */
};

/* The number of functions; the i-th one's statistics (0 or PARLEY_ENOTFOUND past the end). */
size_t lambda_function_count(const struct lambda_registry *reg);
int lambda_function_stats(struct lambda_registry *reg, size_t i, struct lambda_function_stats *out);

/* "OK", "FunctionError", "Timeout", "Throttled", "NotFound", "ServiceError". */
const char *lambda_outcome_name(enum lambda_outcome o);

#endif
