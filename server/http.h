/*
 * server/http.h — Parley's HTTP core, the one listener every module uses.
 *
 * A module registers routes (method + path pattern) with a handler. The core
 * reads the request body (up to a cap, 413 past it), matches the route,
 * and calls the handler on one of the listener's threads. The handler
 * answers with http_respond(), either before it returns or later from any
 * thread: a handler that returns without answering suspends the connection
 * until it does, so slow work (a Lambda call, a Slack reply) never holds a
 * listener thread.
 *
 * Patterns: literal segments, {name} for one segment, and {name+} as the
 * last segment for the rest of the path, e.g.
 *   /bot/{botName}/alias/{botAlias}/user/{userId}/text
 *   /{path+}
 * When several routes match, the one with more literal segments wins, then
 * the one without a greedy parameter.
 *
 * Every response carries X-Request-Id. Every request is written to the
 * access log and counted in /metrics.
 */
#ifndef PARLEY_HTTP_H
#define PARLEY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct http_server;
struct http_request;  /* valid from the handler's call until the request completes */
struct http_response; /* built by a handler, owned by the core once passed to http_respond */

/* How errors look on a route, so that each caller gets them in its own protocol. */
enum http_error_style {
    HTTP_ERRORS_PROBLEM, /* application/problem+json: {type, title, status, detail} (default) */
    HTTP_ERRORS_AWS,     /* x-amzn-ErrorType: <type> and {"message": ...} (Lex, Lambda) */
    HTTP_ERRORS_GRAPHQL, /* {"errors": [{"message": ...}]} */
    HTTP_ERRORS_TEXT,    /* text/plain sentence (Slack endpoints, static sites) */
};

struct http_server_options {
    const char *host;           /* listen address, e.g. "127.0.0.1" */
    int port;                   /* 0 = any free port (see http_server_port) */
    unsigned threads;           /* listener threads (libmicrohttpd thread pool, epoll) */
    size_t max_body_bytes;      /* default request body cap */
    unsigned shutdown_grace_ms; /* how long shutdown waits for requests in flight */
    unsigned connection_timeout_s;
    const char *access_log; /* "-" = stdout, "off", or a file path (appended) */
};

typedef void (*http_handler_fn)(struct http_request *req, void *ud);

struct http_route_opts {
    enum http_error_style errors;
    size_t max_body_bytes; /* 0 = the server's default */
};

/* Returns NULL with err filled when the options are unusable. */
struct http_server *http_server_new(const struct http_server_options *opts, char *err,
                                    size_t errlen);
/* Frees a server that was never started or has been shut down. */
void http_server_free(struct http_server *s);

/*
 * Adds a route; call before http_server_start. method is "GET", "POST", ...
 * or "*" for any. opts may be NULL for the defaults. Returns 0 or
 * PARLEY_EINVAL for a malformed pattern.
 */
int http_route_add(struct http_server *s, const char *method, const char *pattern,
                   const struct http_route_opts *opts, http_handler_fn fn, void *ud);

/*
 * Adds text to GET /metrics: fn appends Prometheus exposition lines to out
 * each time the endpoint is scraped.
 */
struct buf;
typedef void (*http_metrics_fn)(struct buf *out, void *ud);
void http_metrics_source_add(struct http_server *s, http_metrics_fn fn, void *ud);

int http_server_start(struct http_server *s, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);
/*
 * Stops accepting connections and waits up to the grace period for requests
 * in flight to finish. The listener threads keep running, so modules can
 * still answer what they hold (stop them after this, before shutdown).
 * Returns the number of requests still unfinished (0 = clean).
 */
unsigned http_server_drain(struct http_server *s);
/* Drains (if not done yet), then closes every connection and stops the threads. */
unsigned http_server_shutdown(struct http_server *s);
unsigned http_server_in_flight(const struct http_server *s);

/* ---- reading a request (all strings borrowed, valid until the request completes) ---- */

const char *http_request_method(const struct http_request *req);
/* The path as sent, still percent-encoded, without the query string. */
const char *http_request_path(const struct http_request *req);
/* A named path parameter, percent-decoded once; NULL if the route has none by that name. */
const char *http_request_param(const struct http_request *req, const char *name);
/* A header value (case-insensitive name), NULL if absent. */
const char *http_request_header(const struct http_request *req, const char *name);
/* A query-string argument, percent-decoded ('+' is a space); NULL if absent. */
const char *http_request_query(struct http_request *req, const char *name);
/* The query string as sent (no '?', still percent-encoded); "" when none. */
const char *http_request_raw_query(struct http_request *req);
/* The raw body; "" with *len = 0 when there is none. NUL-terminated. */
const char *http_request_body(const struct http_request *req, size_t *len);
const char *http_request_id(const struct http_request *req);
const char *http_request_route(const struct http_request *req);
/* Scratch memory freed with the request. NULL on OOM. */
void *http_request_alloc(struct http_request *req, size_t size);

/* ---- answering ---- */

struct http_response *http_response_new(int status);
void http_response_free(struct http_response *r); /* only for one never passed to http_respond */
/* Copies name and value. Content-Length is set by the core. */
int http_response_header(struct http_response *r, const char *name, const char *value);
/* Copies the body. */
int http_response_body(struct http_response *r, const void *data, size_t len);
/* Takes ownership of a malloc'd body. */
void http_response_body_take(struct http_response *r, char *data, size_t len);
/* Sends len bytes of fd from offset; takes ownership of fd (closed by the core). */
void http_response_body_fd(struct http_response *r, int fd, uint64_t offset, uint64_t len);
/*
 * Sends len bytes at data without copying them. The memory stays the
 * caller's: done(cls) is called exactly once when the core no longer needs
 * it (after the response is sent, or when it is freed unsent), e.g. to drop
 * a reference to an immutable cache.
 */
void http_response_body_ref(struct http_response *r, const void *data, size_t len,
                            void (*done)(void *cls), void *cls);

/*
 * Sends resp (taking it) as the answer to req. Call exactly once per
 * request, from any thread. After it returns, req may be gone.
 */
void http_respond(struct http_request *req, struct http_response *resp);
/* Answers with json (not taken) as application/json. */
void http_respond_json(struct http_request *req, int status, const cJSON *json);
/*
 * Answers with an error in the route's style. type is the protocol's error
 * name (e.g. "BadRequestException") or NULL for the status's reason phrase.
 */
void http_respond_error(struct http_request *req, int status, const char *type, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

const char *http_status_reason(int status);

#endif
