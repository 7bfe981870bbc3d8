/*
 * The HTTP core over libmicrohttpd.
 *
 * libmicrohttpd runs a pool of threads, each with its own epoll loop, and
 * calls on_request several times per request: once when the headers are in
 * (we match the route and create our struct http_request), once per chunk of
 * body (appended to a capped buf), and once more when the body is complete,
 * which is where the handler runs. A handler that does not answer before it
 * returns leaves the connection suspended; http_respond from another thread
 * resumes it, and libmicrohttpd calls on_request again so that the response
 * is queued on the connection's own thread, as the library requires.
 *
 * Paths reach us raw (our unescape callback leaves them as sent): route
 * parameters are percent-decoded once, per segment, so an encoded '/' never
 * splits a segment, and a NUL or a malformed escape is a 400.
 *
 * Shutdown: quiesce the daemon (the listening socket closes, connections in
 * progress go on), wait for the in-flight count to reach zero or the grace
 * period to run out, then stop the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "server/http.h"
#include "server/server_internal.h"

#define MAX_SEGMENTS 32
#define MAX_PARAMS 8

struct route {
    char *method; /* "*" = any */
    char *pattern;
    char *segments[MAX_SEGMENTS]; /* literal text, or "{name}" / "{name+}" */
    int nsegments;
    int literals;
    bool greedy;
    struct http_route_opts opts;
    http_handler_fn fn;
    void *ud;
    int metric; /* index in the metrics registry */
};

struct metrics_source {
    http_metrics_fn fn;
    void *ud;
};

struct http_server {
    struct http_server_options opts;
    char *host;
    struct MHD_Daemon *daemon;
    struct listener *listener; /* the port: HTTP/1.1 goes to the daemon, h2c to h2c.c */
    struct ws_server *ws;      /* WebSocket upgrades go here when set (server/ws.c) */
    int port;
    struct route *routes;
    size_t nroutes;
    struct metrics_source *sources;
    size_t nsources;
    struct metrics *metrics;
    int unmatched_metric;
    FILE *access_log;
    bool own_access_log;

    pthread_mutex_t lock; /* guards in_flight and the condition */
    pthread_cond_t idle;
    unsigned in_flight;
    bool stopping;

    char id_prefix[9];
    uint64_t id_counter; /* atomic */
};

enum req_state { REQ_READING, REQ_HANDLING, REQ_SUSPENDED, REQ_QUEUED };

struct header {
    struct header *next;
    char *name; /* both point into text: one allocation per header */
    char *value;
    char text[];
};

struct http_response {
    int status;
    struct header *headers;
    struct header **tail; /* where the next header goes (keeps them in order) */
    char *body;
    size_t len;
    int fd; /* -1 unless the body comes from a file */
    uint64_t fd_offset;
    uint64_t fd_len;
    const char *ref; /* a borrowed body (http_response_body_ref), released by ref_done */
    void (*ref_done)(void *cls);
    void *ref_cls;
};

struct arena_block {
    struct arena_block *next;
    max_align_t data[];
};

struct http_request {
    struct http_server *server;
    struct MHD_Connection *conn;
    const char *method;
    char *path; /* raw, no query */
    const struct route *route;
    const char *param_names[MAX_PARAMS];
    char *param_values[MAX_PARAMS];
    int nparams;
    int match_error; /* 0, 404, 405, or 400 for a bad escape */
    char allow[96];  /* with 405: the methods the path does allow */
    struct buf body;
    size_t max_body;
    bool too_large;
    char id[40];
    int64_t start_us;

    pthread_mutex_t lock; /* guards state and response across threads */
    enum req_state state;
    struct http_response *response;
    int status;
    uint64_t bytes;
    struct arena_block *arena;
};

/* ---- small helpers ---- */

const char *http_status_reason(int status)
{
    const char *r = MHD_get_reason_phrase_for((unsigned)status);
    return r && *r ? r : "Unknown";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes (and '+' as a space when plus_space) into a new string; NULL when malformed
 * or when it would contain a NUL. */
static char *percent_decode(const char *s, size_t len, bool plus_space)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = plus_space && c == '+' ? ' ' : c;
        }
    }
    out[o] = '\0';
    return out;
}

void *http_request_alloc(struct http_request *req, size_t size)
{
    struct arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = req->arena;
    req->arena = b;
    return b->data;
}

/* ---- routes ---- */

static int parse_pattern(struct route *r)
{
    const char *p = r->pattern;
    if (*p != '/')
        return PARLEY_EINVAL;
    while (*p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 && !end)
            break; /* trailing slash or the root pattern "/" */
        if (r->nsegments == MAX_SEGMENTS || r->greedy)
            return PARLEY_EINVAL;
        char *seg = strndup(p, n);
        if (!seg)
            return PARLEY_ENOMEM;
        r->segments[r->nsegments++] = seg;
        if (seg[0] == '{') {
            if (n < 3 || seg[n - 1] != '}')
                return PARLEY_EINVAL;
            if (seg[n - 2] == '+')
                r->greedy = true;
        } else {
            r->literals++;
        }
        p += n;
    }
    return 0;
}

int http_route_add(struct http_server *s, const char *method, const char *pattern,
                   const struct http_route_opts *opts, http_handler_fn fn, void *ud)
{
    if (s->daemon || !method || !pattern || !fn)
        return PARLEY_EINVAL;
    struct route *routes = realloc(s->routes, (s->nroutes + 1) * sizeof *routes);
    if (!routes)
        return PARLEY_ENOMEM;
    s->routes = routes;
    struct route *r = &routes[s->nroutes];
    memset(r, 0, sizeof *r);
    r->method = strdup(method);
    r->pattern = strdup(pattern);
    if (opts)
        r->opts = *opts;
    r->fn = fn;
    r->ud = ud;
    int rc = r->method && r->pattern ? parse_pattern(r) : PARLEY_ENOMEM;
    if (rc) {
        for (int i = 0; i < r->nsegments; i++)
            free(r->segments[i]);
        free(r->method);
        free(r->pattern);
        return rc;
    }
    r->metric = metrics_route_add(s->metrics, method, pattern);
    s->nroutes++;
    return 0;
}

static void route_free(struct route *r)
{
    for (int i = 0; i < r->nsegments; i++)
        free(r->segments[i]);
    free(r->method);
    free(r->pattern);
}

/*
 * Splits the raw path into segments (pointers into a copy) and tries each
 * route. Fills req->route and its parameters, or req->match_error.
 */
static void match_route(struct http_server *s, struct http_request *req)
{
    const char *segs[MAX_SEGMENTS + 1];
    size_t seglen[MAX_SEGMENTS + 1];
    int nsegs = 0;
    bool too_deep = false;
    for (const char *p = req->path; *p == '/';) {
        p++;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 && !end)
            break;
        if (nsegs == MAX_SEGMENTS + 1) {
            too_deep = true;
            break;
        }
        segs[nsegs] = p;
        seglen[nsegs++] = n;
        p += n;
    }
    const struct route *best = NULL;
    int best_score = -1;
    bool path_matched = false;
    for (size_t i = 0; i < s->nroutes; i++) {
        const struct route *r = &s->routes[i];
        int fixed = r->greedy ? r->nsegments - 1 : r->nsegments;
        if (r->greedy ? nsegs < fixed : (nsegs != fixed || too_deep))
            continue;
        bool ok = true;
        for (int k = 0; k < fixed && ok; k++) {
            const char *pat = r->segments[k];
            if (pat[0] == '{')
                ok = seglen[k] > 0;
            else
                ok = strlen(pat) == seglen[k] && memcmp(pat, segs[k], seglen[k]) == 0;
        }
        if (!ok)
            continue;
        path_matched = true;
        bool method_ok = strcmp(r->method, "*") == 0 || strcmp(r->method, req->method) == 0 ||
                         (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
        if (!method_ok) {
            /* Remember it for the Allow header of a 405. */
            if (!strstr(req->allow, r->method) &&
                strlen(req->allow) + strlen(r->method) + 3 < sizeof req->allow) {
                size_t n = strlen(req->allow);
                snprintf(req->allow + n, sizeof req->allow - n, "%s%s", n ? ", " : "", r->method);
                if (strcmp(r->method, "GET") == 0 && !strstr(req->allow, "HEAD")) {
                    n = strlen(req->allow);
                    snprintf(req->allow + n, sizeof req->allow - n, ", HEAD");
                }
            }
            continue;
        }
        int score = r->literals * 4 + (r->greedy ? 0 : 2) + (strcmp(r->method, "*") ? 1 : 0);
        if (score > best_score) {
            best = r;
            best_score = score;
        }
    }
    if (!best) {
        req->match_error = path_matched ? 405 : 404;
        return;
    }
    req->route = best;
    int fixed = best->greedy ? best->nsegments - 1 : best->nsegments;
    for (int k = 0; k < best->nsegments && req->nparams < MAX_PARAMS; k++) {
        const char *pat = best->segments[k];
        if (pat[0] != '{')
            continue;
        const char *raw = k < fixed ? segs[k] : (k < nsegs ? segs[k] : "");
        size_t rawlen;
        if (k < fixed)
            rawlen = seglen[k];
        else
            rawlen = strlen(raw); /* the rest of the path, slashes included */
        char *val = percent_decode(raw, rawlen, false);
        if (!val) {
            req->match_error = 400;
            req->route = NULL;
            return;
        }
        req->param_names[req->nparams] = pat;
        req->param_values[req->nparams++] = val;
    }
}

const char *http_request_param(const struct http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < req->nparams; i++) {
        const char *p = req->param_names[i] + 1; /* skip '{' */
        if (strncmp(p, name, n) == 0 && (p[n] == '}' || (p[n] == '+' && p[n + 1] == '}')))
            return req->param_values[i];
    }
    return NULL;
}

/* ---- request accessors ---- */

const char *http_request_method(const struct http_request *req)
{
    return req->method;
}

const char *http_request_path(const struct http_request *req)
{
    return req->path;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(struct http_request *req, const char *name)
{
    const char *raw = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!raw)
        return NULL;
    char *val = percent_decode(raw, strlen(raw), true);
    if (!val)
        return NULL;
    size_t n = strlen(val) + 1;
    char *copy = http_request_alloc(req, n);
    if (copy)
        memcpy(copy, val, n);
    free(val);
    return copy;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct buf *b = cls;
    if (b->len)
        buf_append(b, "&", 1);
    buf_puts(b, key);
    if (value) {
        buf_append(b, "=", 1);
        buf_puts(b, value);
    }
    return MHD_YES;
}

const char *http_request_raw_query(struct http_request *req)
{
    /* libmicrohttpd keeps the arguments (raw: see keep_escaped), not the string: rebuild it. */
    struct buf b = BUF_INIT(64 * 1024);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    char *copy = http_request_alloc(req, b.len + 1);
    if (copy)
        memcpy(copy, b.data ? b.data : "", b.len + 1);
    buf_release(&b);
    return copy ? copy : "";
}

const char *http_request_body(const struct http_request *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

const char *http_request_id(const struct http_request *req)
{
    return req->id;
}

const char *http_request_route(const struct http_request *req)
{
    return req->route ? req->route->pattern : NULL;
}

/* ---- responses ---- */

struct http_response *http_response_new(int status)
{
    struct http_response *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = status;
    r->fd = -1;
    return r;
}

void http_response_free(struct http_response *r)
{
    if (!r)
        return;
    while (r->headers) {
        struct header *h = r->headers;
        r->headers = h->next;
        free(h);
    }
    free(r->body);
    if (r->fd >= 0)
        close(r->fd);
    if (r->ref_done)
        r->ref_done(r->ref_cls);
    free(r);
}

int http_response_header(struct http_response *r, const char *name, const char *value)
{
    size_t nlen = strlen(name) + 1, vlen = strlen(value) + 1;
    struct header *h = malloc(sizeof *h + nlen + vlen);
    if (!h)
        return PARLEY_ENOMEM;
    h->next = NULL;
    h->name = h->text;
    h->value = h->text + nlen;
    memcpy(h->name, name, nlen);
    memcpy(h->value, value, vlen);
    /* Keep the order they were added in. */
    if (!r->tail)
        r->tail = &r->headers;
    *r->tail = h;
    r->tail = &h->next;
    return 0;
}

int http_response_body(struct http_response *r, const void *data, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return PARLEY_ENOMEM;
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    http_response_body_take(r, copy, len);
    return 0;
}

static void drop_body(struct http_response *r)
{
    free(r->body);
    r->body = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->ref_done)
        r->ref_done(r->ref_cls);
    r->ref = NULL;
    r->ref_done = NULL;
}

void http_response_body_ref(struct http_response *r, const void *data, size_t len,
                            void (*done)(void *cls), void *cls)
{
    drop_body(r);
    r->ref = data;
    r->len = len;
    r->ref_done = done;
    r->ref_cls = cls;
}

void http_response_body_take(struct http_response *r, char *data, size_t len)
{
    drop_body(r);
    r->body = data;
    r->len = len;
}

void http_response_body_fd(struct http_response *r, int fd, uint64_t offset, uint64_t len)
{
    drop_body(r);
    r->fd = fd;
    r->fd_offset = offset;
    r->fd_len = len;
}

/* Hands the response to libmicrohttpd; called on the connection's thread. */
static enum MHD_Result queue_response(struct http_request *req, struct http_response *r)
{
    struct MHD_Response *mr;
    if (r->fd >= 0) {
        mr = MHD_create_response_from_fd_at_offset64(r->fd_len, r->fd, r->fd_offset);
        if (mr)
            r->fd = -1; /* libmicrohttpd closes it */
        req->bytes = r->fd_len;
    } else if (r->ref_done) {
        mr = MHD_create_response_from_buffer_with_free_callback_cls(r->len, (void *)r->ref,
                                                                    r->ref_done, r->ref_cls);
        if (mr)
            r->ref_done = NULL; /* libmicrohttpd calls it when done */
        req->bytes = r->len;
    } else {
        mr = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free);
        if (mr)
            r->body = NULL;
        req->bytes = r->len;
    }
    if (!mr) {
        http_response_free(r);
        return MHD_NO;
    }
    for (const struct header *h = r->headers; h; h = h->next)
        MHD_add_response_header(mr, h->name, h->value);
    MHD_add_response_header(mr, "X-Request-Id", req->id);
    if (req->server->stopping)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    req->status = r->status;
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    http_response_free(r);
    return ok;
}

void http_respond(struct http_request *req, struct http_response *resp)
{
    if (!resp)
        resp = http_response_new(500);
    pthread_mutex_lock(&req->lock);
    if (req->response || req->state == REQ_QUEUED) {
        /* A second answer is a bug in the caller; keep the first. */
        pthread_mutex_unlock(&req->lock);
        log_error("request %s answered twice; second answer dropped", req->id);
        http_response_free(resp);
        return;
    }
    req->response = resp;
    if (req->state == REQ_SUSPENDED) {
        req->state = REQ_HANDLING;
        MHD_resume_connection(req->conn);
    }
    pthread_mutex_unlock(&req->lock);
}

void http_respond_json(struct http_request *req, int status, const cJSON *json)
{
    size_t len = 0;
    char *text = json_print(json, &len);
    if (!text) {
        http_respond_error(req, 500, NULL, "out of memory while writing the response");
        return;
    }
    struct http_response *r = http_response_new(status);
    if (!r) {
        free(text);
        http_respond(req, NULL);
        return;
    }
    http_response_header(r, "Content-Type", "application/json");
    http_response_body_take(r, text, len);
    http_respond(req, r);
}

static enum http_error_style error_style(const struct http_request *req)
{
    return req->route ? req->route->opts.errors : HTTP_ERRORS_PROBLEM;
}

void http_respond_error(struct http_request *req, int status, const char *type, const char *fmt,
                        ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct http_response *r = http_response_new(status);
    struct buf b = BUF_INIT(4096);
    if (!r) {
        http_respond(req, NULL);
        return;
    }
    const char *reason = http_status_reason(status);
    if (status == 405 && req->allow[0])
        http_response_header(r, "Allow", req->allow);
    switch (error_style(req)) {
    case HTTP_ERRORS_AWS:
        http_response_header(r, "Content-Type", "application/json");
        http_response_header(r, "x-amzn-ErrorType", type ? type : reason);
        buf_puts(&b, "{\"message\":");
        buf_json_string(&b, msg, strlen(msg));
        buf_puts(&b, "}");
        break;
    case HTTP_ERRORS_GRAPHQL:
        http_response_header(r, "Content-Type", "application/json");
        buf_puts(&b, "{\"errors\":[{\"message\":");
        buf_json_string(&b, msg, strlen(msg));
        buf_puts(&b, "}]}");
        break;
    case HTTP_ERRORS_TEXT:
        http_response_header(r, "Content-Type", "text/plain; charset=utf-8");
        buf_printf(&b, "%s\n", msg);
        break;
    case HTTP_ERRORS_PROBLEM:
        http_response_header(r, "Content-Type", "application/problem+json");
        buf_puts(&b, "{\"type\":\"about:blank\",\"title\":");
        buf_json_string(&b, reason, strlen(reason));
        buf_printf(&b, ",\"status\":%d,\"detail\":", status);
        buf_json_string(&b, msg, strlen(msg));
        buf_puts(&b, "}");
        break;
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    if (body)
        http_response_body_take(r, body, len);
    http_respond(req, r);
}

/* ---- the libmicrohttpd callbacks ---- */

static bool sane_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0 && n < 40;
}

static struct http_request *request_new(struct http_server *s, struct MHD_Connection *conn,
                                        const char *url, const char *method)
{
    struct http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->server = s;
    req->conn = conn;
    req->method = method;
    const char *q = strchr(url, '?');
    req->path = q ? strndup(url, (size_t)(q - url)) : strdup(url);
    req->start_us = time_mono_us();
    pthread_mutex_init(&req->lock, NULL);
    req->state = REQ_READING;

    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given && sane_request_id(given)) {
        snprintf(req->id, sizeof req->id, "%s", given);
    } else {
        uint64_t n = __atomic_add_fetch(&s->id_counter, 1, __ATOMIC_RELAXED);
        snprintf(req->id, sizeof req->id, "%s%08llx", s->id_prefix, (unsigned long long)n);
    }
    if (!req->path) {
        req->match_error = 500;
    } else {
        match_route(s, req);
    }
    req->max_body = req->route && req->route->opts.max_body_bytes ? req->route->opts.max_body_bytes
                                                                  : s->opts.max_body_bytes;
    buf_init(&req->body, req->max_body);

    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    return req;
}

static void request_free(struct http_request *req)
{
    for (int i = 0; i < req->nparams; i++)
        free(req->param_values[i]);
    while (req->arena) {
        struct arena_block *b = req->arena;
        req->arena = b->next;
        free(b);
    }
    buf_release(&req->body);
    http_response_free(req->response);
    pthread_mutex_destroy(&req->lock);
    free(req->path);
    free(req);
}

static void dispatch(struct http_request *req)
{
    if (req->too_large) {
        http_respond_error(req, 413, "RequestEntityTooLargeException",
                           "The request body is larger than the limit of %zu bytes.",
                           req->max_body);
        return;
    }
    switch (req->match_error) {
    case 0:
        break;
    case 400:
        http_respond_error(req, 400, "BadRequestException",
                           "The path contains a malformed percent-escape or an encoded NUL.");
        return;
    case 404:
        http_respond_error(req, 404, "NotFoundException", "No route matches %s %s.", req->method,
                           req->path);
        return;
    case 405:
        http_respond_error(req, 405, "MethodNotAllowedException",
                           "The method %s is not allowed on %s; use %s.", req->method, req->path,
                           req->allow);
        return;
    default:
        http_respond_error(req, 500, "InternalFailureException", "Out of memory.");
        return;
    }
    req->route->fn(req, req->route->ud);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;

    if (!req) {
        req = request_new(s, conn, url, method);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        /* A declared length past the cap with Expect: 100-continue is refused before the body. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno == 0 && *end == '\0' && n > req->max_body) {
                req->too_large = true;
                if (expect && strcasecmp(expect, "100-continue") == 0) {
                    req->state = REQ_HANDLING;
                    dispatch(req);
                    req->state = REQ_QUEUED;
                    struct http_response *r = req->response;
                    req->response = NULL;
                    return queue_response(req, r);
                }
            }
        }
        return MHD_YES;
    }

    if (*upload_size) {
        if (!req->too_large && buf_append(&req->body, upload_data, *upload_size) != 0) {
            req->too_large = true;
            buf_release(&req->body);
        }
        *upload_size = 0; /* past the cap the rest is read and dropped */
        return MHD_YES;
    }

    pthread_mutex_lock(&req->lock);
    if (req->state == REQ_QUEUED) {
        pthread_mutex_unlock(&req->lock);
        return MHD_YES;
    }
    if (req->state == REQ_READING) {
        req->state = REQ_HANDLING;
        pthread_mutex_unlock(&req->lock);
        dispatch(req);
        pthread_mutex_lock(&req->lock);
        if (!req->response) {
            req->state = REQ_SUSPENDED;
            MHD_suspend_connection(conn);
            pthread_mutex_unlock(&req->lock);
            return MHD_YES;
        }
    }
    struct http_response *r = req->response;
    req->response = NULL;
    req->state = REQ_QUEUED;
    pthread_mutex_unlock(&req->lock);
    if (!r)
        return MHD_YES; /* resumed spuriously; cannot happen, but never queue NULL */
    return queue_response(req, r);
}

static void write_access_log(struct http_server *s, struct http_request *req, int64_t us,
                             enum MHD_RequestTerminationCode toe)
{
    if (!s->access_log)
        return;
    struct buf b = BUF_INIT(8192);
    char ts[32];
    time_iso_now(ts);
    buf_printf(&b, "{\"ts\":\"%s\",\"id\":\"%s\",\"method\":", ts, req->id);
    buf_json_string(&b, req->method, strlen(req->method));
    buf_puts(&b, ",\"path\":");
    /* The path only: a query string may carry a token, and logs must not. */
    buf_json_string(&b, req->path ? req->path : "", req->path ? strlen(req->path) : 0);
    if (req->route) {
        buf_puts(&b, ",\"route\":");
        buf_json_string(&b, req->route->pattern, strlen(req->route->pattern));
    }
    buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"us\":%lld", req->status,
               (unsigned long long)req->bytes, (long long)us);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        buf_puts(&b, ",\"completed\":false");
    buf_puts(&b, "}");
    if (b.data)
        log_line(s->access_log, b.data, b.len);
    buf_release(&b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    if (req->status == 0)
        req->status = 499; /* the client went away before an answer (nginx's code) */
    int64_t us = time_mono_us() - req->start_us;
    metrics_observe(s->metrics, req->route ? req->route->metric : s->unmatched_metric, req->status,
                    us);
    write_access_log(s, req, us, toe);
    request_free(req);

    pthread_mutex_lock(&s->lock);
    s->in_flight--;
    if (s->in_flight == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}

/* Paths and query arguments stay as sent; the core decodes each once, where it knows the context.
 */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_debug("libmicrohttpd: %s", msg);
}

/* ---- built-in routes ---- */

static void handle_metrics(struct http_request *req, void *ud)
{
    struct http_server *s = ud;
    struct buf b = BUF_INIT(16u << 20);
    metrics_render(s->metrics, http_server_in_flight(s), &b);
    for (size_t i = 0; i < s->nsources; i++)
        s->sources[i].fn(&b, s->sources[i].ud);
    struct http_response *r = http_response_new(200);
    size_t len;
    char *text = buf_detach(&b, &len);
    if (!r || !text) {
        free(text);
        http_response_free(r);
        http_respond_error(req, 500, NULL, "out of memory while rendering metrics");
        return;
    }
    http_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    http_response_body_take(r, text, len);
    http_respond(req, r);
}

void http_metrics_source_add(struct http_server *s, http_metrics_fn fn, void *ud)
{
    struct metrics_source *src = realloc(s->sources, (s->nsources + 1) * sizeof *src);
    if (!src)
        return;
    s->sources = src;
    s->sources[s->nsources++] = (struct metrics_source){fn, ud};
}

/* ---- lifecycle ---- */

struct http_server *http_server_new(const struct http_server_options *opts, char *err,
                                    size_t errlen)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->opts = *opts;
    s->host = strdup(opts->host ? opts->host : "127.0.0.1");
    s->opts.host = s->host;
    s->metrics = metrics_new();
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    if (!s->host || !s->metrics) {
        snprintf(err, errlen, "out of memory");
        http_server_free(s);
        return NULL;
    }
    s->unmatched_metric = metrics_route_add(s->metrics, "*", "unmatched");

    const char *al = opts->access_log ? opts->access_log : "-";
    if (strcmp(al, "-") == 0) {
        s->access_log = stdout;
    } else if (strcmp(al, "off") != 0) {
        s->access_log = fopen(al, "ae");
        if (!s->access_log) {
            snprintf(err, errlen, "%s: cannot open the access log: %s", al, strerror(errno));
            http_server_free(s);
            return NULL;
        }
        s->own_access_log = true;
    }

    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (uint32_t)time_now_ms() ^ (uint32_t)getpid();
    snprintf(s->id_prefix, sizeof s->id_prefix, "%08x", rnd);

    http_route_add(s, "GET", "/metrics", NULL, handle_metrics, s);
    return s;
}

int http_server_start(struct http_server *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    socklen_t sslen;
    /* We own the listening socket (listener.c); libmicrohttpd gets the HTTP/1.1 connections. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_NO_LISTEN_SOCKET;
    if (inet_pton(AF_INET, s->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)s->opts.port);
        sslen = sizeof *sin;
    } else if (inet_pton(AF_INET6, s->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)s->opts.port);
        sslen = sizeof *sin6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "server.host: %s is not an IPv4 or IPv6 address", s->host);
        return PARLEY_EINVAL;
    }
    unsigned threads = s->opts.threads ? s->opts.threads : 4;
    unsigned timeout = s->opts.connection_timeout_s ? s->opts.connection_timeout_s : 60;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        /* with one thread, no pool (a pool of 1 makes libmicrohttpd warn on stderr); the
           per-IP limit given instead is its default, 0 = none (both take an unsigned int) */
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        threads > 1 ? threads : 0u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_CONNECTION_TIMEOUT, timeout,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot start the HTTP threads: %s",
                 errno ? strerror(errno) : "libmicrohttpd refused to start");
        return PARLEY_EIO;
    }
    char why[256];
    if (listener_start((struct sockaddr *)&ss, sslen, s->daemon, s->ws, timeout, &s->listener,
                       &s->port, why, sizeof why) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->host, s->opts.port, why);
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        return PARLEY_EIO;
    }
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

unsigned http_server_in_flight(const struct http_server *s)
{
    struct http_server *m = (struct http_server *)s;
    pthread_mutex_lock(&m->lock);
    unsigned n = m->in_flight;
    pthread_mutex_unlock(&m->lock);
    return n;
}

unsigned http_server_drain(struct http_server *s)
{
    if (!s->daemon || s->stopping)
        return http_server_in_flight(s);
    s->stopping = true;
    listener_stop(s->listener); /* the port closes: new connections are refused */
    s->listener = NULL;

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    uint64_t ns = (uint64_t)deadline.tv_nsec + (uint64_t)s->opts.shutdown_grace_ms * 1000000ull;
    deadline.tv_sec += (time_t)(ns / 1000000000ull);
    deadline.tv_nsec = (long)(ns % 1000000000ull);
    pthread_mutex_lock(&s->lock);
    while (s->in_flight > 0) {
        if (pthread_cond_timedwait(&s->idle, &s->lock, &deadline) == ETIMEDOUT)
            break;
    }
    unsigned left = s->in_flight;
    pthread_mutex_unlock(&s->lock);
    if (left)
        log_warn("shutdown: %u request(s) still in flight after %u ms", left,
                 s->opts.shutdown_grace_ms);
    return left;
}

unsigned http_server_shutdown(struct http_server *s)
{
    if (!s->daemon)
        return 0;
    unsigned left = http_server_drain(s);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    return left;
}

void http_server_free(struct http_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        http_server_shutdown(s);
    for (size_t i = 0; i < s->nroutes; i++)
        route_free(&s->routes[i]);
    free(s->routes);
    free(s->sources);
    metrics_free(s->metrics);
    if (s->own_access_log && s->access_log)
        fclose(s->access_log);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s->host);
    free(s);
}

void http_server_ws_attach(struct http_server *s, struct ws_server *ws)
{
    s->ws = ws;
}
