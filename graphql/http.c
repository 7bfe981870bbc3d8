/*
 * GraphQL over HTTP at /graphql, as the GraphQL-over-HTTP specification
 * (graphql/graphql-over-http, the draft graphql-http's audits check) says.
 *
 * - POST with Content-Type application/json (charset utf-8 or none) and a
 *   body {query, operationName?, variables?, extensions?}; GET with the same
 *   as query parameters (variables and extensions as JSON text), for queries
 *   only: a mutation over GET is 405 with Allow: POST. Other methods are
 *   405 from the HTTP core.
 * - The response's media type follows Accept: application/graphql-response+json
 *   or application/json (also for a missing Accept, * / * and application/ *);
 *   none of them acceptable is 406.
 * - Statuses. A request that is not a GraphQL request — a body that is not
 *   JSON, not an object, query missing or not a string, operationName,
 *   variables or extensions of the wrong type — is 400 (415 for another
 *   content type). A GraphQL request that fails before execution (syntax,
 *   validation, limits, variable coercion, unknown operation) is 400 with
 *   application/graphql-response+json and 200 with application/json, the
 *   legacy type, whose clients read errors from the body; it carries no
 *   "data". A missing or wrong token is 401 (WWW-Authenticate: Bearer) with
 *   graphql-response+json and 200 with application/json, errors only.
 *   Executed: 200, field errors or not.
 *
 * The document is looked up (or prepared) and authorized on the listener
 * thread that read the request, once; queries then run there too (they only
 * read memory and the store), while mutations are handed, with the prepared
 * document, to the service's workers, because a postText may wait seconds
 * for a code hook, and answered from there (the connection is suspended
 * meanwhile, see server/http.h).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "graphql/service_internal.h"
#include "server/http.h"

enum media { MEDIA_NONE, MEDIA_GRAPHQL_RESPONSE, MEDIA_JSON };

static const char *const media_types[] = {
    [MEDIA_GRAPHQL_RESPONSE] = "application/graphql-response+json; charset=utf-8",
    [MEDIA_JSON] = "application/json; charset=utf-8",
};

/* ---- Accept ---- */

/* Trims spaces and tabs around [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static bool token_eq(const char *s, const char *e, const char *want)
{
    size_t n = strlen(want);
    return (size_t)(e - s) == n && strncasecmp(s, want, n) == 0;
}

/*
 * One media range "type/sub;a=b;q=0.5" in [s, e): how specifically it names
 * candidate (3 exact, 2 type/ *, 1 * / *, 0 not at all) and its q (0..1000).
 */
static int range_match(const char *s, const char *e, const char *candidate, int *q)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *type_end = semi ? semi : e;
    const char *ts = s, *te = type_end;
    trim(&ts, &te);
    *q = 1000;
    for (const char *p = semi; p && p < e;) {
        const char *next = memchr(p + 1, ';', (size_t)(e - p - 1));
        const char *ps = p + 1, *pe = next ? next : e;
        trim(&ps, &pe);
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        if (eq) {
            const char *ks = ps, *ke = eq, *vs = eq + 1, *ve = pe;
            trim(&ks, &ke);
            trim(&vs, &ve);
            if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
                vs++;
                ve--;
            }
            if (token_eq(ks, ke, "q")) {
                double v = strtod(vs, NULL);
                *q = v <= 0 ? 0 : v >= 1 ? 1000 : (int)(v * 1000 + 0.5);
            } else if (token_eq(ks, ke, "charset") && !token_eq(vs, ve, "utf-8") &&
                       !token_eq(vs, ve, "utf8")) {
                return 0; /* we only speak UTF-8 */
            }
        }
        p = next;
    }
    const char *slash = strchr(candidate, '/');
    size_t main_len = (size_t)(slash - candidate);
    if (token_eq(ts, te, candidate))
        return 3;
    if ((size_t)(te - ts) == main_len + 2 && strncasecmp(ts, candidate, main_len) == 0 &&
        ts[main_len] == '/' && ts[main_len + 1] == '*')
        return 2;
    if (token_eq(ts, te, "*/*"))
        return 1;
    return 0;
}

/* The media type to answer in, or MEDIA_NONE when Accept allows neither. */
static enum media negotiate(const char *accept)
{
    if (!accept || !*accept)
        return MEDIA_JSON;
    const char *candidates[] = {[MEDIA_GRAPHQL_RESPONSE] = "application/graphql-response+json",
                                [MEDIA_JSON] = "application/json"};
    int best_q[3] = {-1, -1, -1}, best_spec[3] = {0, 0, 0}, best_pos[3] = {0, 0, 0};
    int pos = 0;
    for (const char *s = accept; *s; pos++) {
        const char *comma = strchr(s, ',');
        const char *e = comma ? comma : s + strlen(s);
        for (int m = MEDIA_GRAPHQL_RESPONSE; m <= MEDIA_JSON; m++) {
            int q;
            int spec = range_match(s, e, candidates[m], &q);
            /* the most specific range that names a type decides its q (RFC 9110) */
            if (spec > best_spec[m]) {
                best_spec[m] = spec;
                best_q[m] = q;
                best_pos[m] = pos;
            }
        }
        s = comma ? comma + 1 : e;
    }
    enum media pick = MEDIA_NONE;
    for (int m = MEDIA_GRAPHQL_RESPONSE; m <= MEDIA_JSON; m++) {
        if (best_q[m] <= 0)
            continue;
        if (pick == MEDIA_NONE || best_q[m] > best_q[pick] ||
            (best_q[m] == best_q[pick] && (best_spec[m] > best_spec[pick] ||
                                           (best_spec[m] == best_spec[pick] &&
                                            (best_pos[m] < best_pos[pick] ||
                                             (best_pos[m] == best_pos[pick] && m == MEDIA_JSON))))))
            pick = (enum media)m;
    }
    return pick;
}

/* ---- answering ---- */

#define RESPONSE_MAX (256u << 20) /* a response larger than this is an error, not a body */

/* A JSON string: runs of bytes that need no escape are copied whole. */
static int put_string(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_append(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; rc == 0; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        if (p > run)
            rc = buf_append(b, run, (size_t)(p - run));
        if (c == '\0' || rc)
            break;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c == '\n')
            esc[1] = 'n';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c == '\t')
            esc[1] = 't';
        else if (c != '"' && c != '\\') {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        rc = buf_append(b, esc, n);
        run = p + 1;
    }
    return rc ? rc : buf_append(b, "\"", 1);
}

static int put_number(struct buf *b, double d)
{
    if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
        return buf_append(b, "null", 4);
    if (d == (double)(long long)d && d < 9007199254740992.0 && d > -9007199254740992.0) {
        char digits[24];
        char *p = digits + sizeof digits;
        long long v = (long long)d;
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            *--p = '-';
        return buf_append(b, p, (size_t)(digits + sizeof digits - p));
    }
    /* 15 significant digits unless they read back as another double, as cJSON prints (so a
       turn's scores read the same here as from the Lex API) */
    char text[32];
    snprintf(text, sizeof text, "%1.15g", d);
    double back = strtod(text, NULL);
    double mag = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
    if (fabs(back - d) > mag * DBL_EPSILON)
        snprintf(text, sizeof text, "%1.17g", d);
    return buf_puts(b, text);
}

/* Writes v as compact JSON (cJSON's own printer formats every number through printf). */
static int put_json(struct buf *b, const cJSON *v, int depth)
{
    if (depth > 10000)
        return PARLEY_ETOOBIG;
    if (cJSON_IsNull(v) || cJSON_IsInvalid(v))
        return buf_append(b, "null", 4);
    if (cJSON_IsFalse(v))
        return buf_append(b, "false", 5);
    if (cJSON_IsTrue(v))
        return buf_append(b, "true", 4);
    if (cJSON_IsNumber(v))
        return put_number(b, v->valuedouble);
    if (cJSON_IsString(v))
        return put_string(b, v->valuestring ? v->valuestring : "");
    if (cJSON_IsRaw(v))
        return buf_puts(b, v->valuestring ? v->valuestring : "null");
    bool object = cJSON_IsObject(v);
    int rc = buf_append(b, object ? "{" : "[", 1);
    for (const cJSON *c = v->child; c && rc == 0; c = c->next) {
        if (c != v->child)
            rc = buf_append(b, ",", 1);
        if (rc == 0 && object) {
            rc = put_string(b, c->string ? c->string : "");
            if (rc == 0)
                rc = buf_append(b, ":", 1);
        }
        if (rc == 0)
            rc = put_json(b, c, depth + 1);
    }
    return rc ? rc : buf_append(b, object ? "}" : "]", 1);
}

static void respond(struct http_request *req, enum media m, int status, const cJSON *body)
{
    struct http_response *r = http_response_new(status);
    size_t len = 0;
    struct buf out = BUF_INIT(RESPONSE_MAX);
    char *text = NULL;
    const cJSON *data = body ? body->child : NULL;
    if (data && !data->next && cJSON_IsRaw(data) && data->valuestring &&
        strcmp(data->string, "data") == 0) {
        /* the usual answer, {"data": text}: one allocation, one copy */
        size_t n = strlen(data->valuestring);
        if (n <= RESPONSE_MAX && (text = malloc(n + 10)) != NULL) {
            memcpy(text, "{\"data\":", 8);
            memcpy(text + 8, data->valuestring, n);
            memcpy(text + 8 + n, "}", 2);
            len = n + 9;
        }
    } else if (body && put_json(&out, body, 0) == 0) {
        text = buf_detach(&out, &len);
    }
    buf_release(&out);
    if (!text) {
        text = strdup("{\"errors\":[{\"message\":\"Out of memory.\"}]}");
        len = text ? strlen(text) : 0;
    }
    http_response_header(r, "Content-Type", media_types[m == MEDIA_NONE ? MEDIA_JSON : m]);
    http_response_header(r, "Vary", "Accept");
    if (status == 401)
        http_response_header(r, "WWW-Authenticate", "Bearer realm=\"parley\"");
    if (status == 405)
        http_response_header(r, "Allow", "POST");
    http_response_body_take(r, text, len);
    http_respond(req, r);
}

static void respond_message(struct http_request *req, enum media m, int status, const char *msg)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "errors"), e);
    respond(req, m, status, body);
    cJSON_Delete(body);
}

static int status_of(enum graphql_status st, enum media m)
{
    switch (st) {
    case GRAPHQL_STATUS_OK:
        return 200;
    case GRAPHQL_STATUS_NOT_ALLOWED:
        return 405;
    case GRAPHQL_STATUS_UNAUTHORIZED:
        return m == MEDIA_GRAPHQL_RESPONSE ? 401 : 200;
    case GRAPHQL_STATUS_INVALID:
    case GRAPHQL_STATUS_SUBSCRIPTION:
        break;
    }
    return m == MEDIA_GRAPHQL_RESPONSE ? 400 : 200;
}

/* Runs an admitted entry (taking its reference) and answers. */
static void run_entry(struct graphql_service *svc, struct cache_entry *e, struct http_request *req,
                      enum media m, const struct graphql_request *r)
{
    enum graphql_status st = GRAPHQL_STATUS_OK;
    /* the data comes back as JSON text, written while executing: printed as it is */
    cJSON *resp = graphql_service_run(svc, e, r, GRAPHQL_RAW_DATA, &st);
    respond(req, m, status_of(st, m), resp);
    cJSON_Delete(resp);
}

/* ---- a mutation on a worker ---- */

struct deferred {
    struct graphql_service *svc;
    struct cache_entry *entry; /* admitted, with a reference */
    struct http_request *req;
    enum media m;
    cJSON *params; /* the body: r's strings point into it */
    struct graphql_request r;
};

static void run_deferred(void *arg)
{
    struct deferred *d = arg;
    run_entry(d->svc, d->entry, d->req, d->m, &d->r);
    cJSON_Delete(d->params);
    free(d);
}

/*
 * Admits r and runs it: a mutation on a worker (params, r's storage, go with it; false), anything
 * else here (true: the caller still owns params).
 */
static bool admit_and_run(struct graphql_service *svc, struct http_request *req, enum media m,
                          const struct graphql_request *r, unsigned flags, cJSON *params)
{
    enum graphql_status st = GRAPHQL_STATUS_OK;
    cJSON *resp = NULL;
    struct cache_entry *e = graphql_service_admit(svc, r, flags, &resp, &st);
    if (!e) {
        respond(req, m, status_of(st, m), resp);
        cJSON_Delete(resp);
        return true;
    }
    if (graphql_entry_operation(e) != GQL_MUTATION) {
        run_entry(svc, e, req, m, r);
        return true;
    }
    struct deferred *d = calloc(1, sizeof *d);
    if (d) {
        *d = (struct deferred){
            .svc = svc, .entry = e, .req = req, .m = m, .params = params, .r = *r};
        if (graphql_service_defer(svc, run_deferred, d) == 0)
            return false; /* answered by the worker */
        free(d);
    }
    graphql_entry_release(svc, e);
    respond_message(req, m, 503, "Too many mutations are waiting; try again shortly.");
    return true;
}

/* ---- reading the request ---- */

static bool is_json_content_type(const char *ct)
{
    if (!ct)
        return false;
    const char *semi = strchr(ct, ';');
    const char *s = ct, *e = semi ? semi : ct + strlen(ct);
    trim(&s, &e);
    if (!token_eq(s, e, "application/json"))
        return false;
    int q;
    /* the parameters: a charset other than UTF-8 is refused */
    return !semi || range_match(ct, ct + strlen(ct), "application/json", &q) != 0;
}

/* Parses text as JSON; NULL unless it is exactly one JSON value (whitespace around it). */
static cJSON *parse_json(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!j)
        return NULL;
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

/* Checks the request's parameters (an object); NULL, or the sentence saying what is wrong. */
static const char *check_params(const cJSON *p, struct graphql_request *r)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(p, "query");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(p, "operationName");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(p, "variables");
    const cJSON *ext = cJSON_GetObjectItemCaseSensitive(p, "extensions");
    if (!q)
        return "The request has no query: send {\"query\": \"{ ... }\"}.";
    if (!cJSON_IsString(q))
        return "query must be a string holding a GraphQL document.";
    if (op && !cJSON_IsNull(op) && !cJSON_IsString(op))
        return "operationName must be a string or null.";
    if (vars && !cJSON_IsNull(vars) && !cJSON_IsObject(vars))
        return "variables must be an object (or null).";
    if (ext && !cJSON_IsNull(ext) && !cJSON_IsObject(ext))
        return "extensions must be an object (or null).";
    r->query = q->valuestring;
    r->query_len = strlen(q->valuestring);
    r->operation_name = cJSON_IsString(op) ? op->valuestring : NULL;
    r->variables = cJSON_IsObject(vars) ? vars : NULL;
    r->extensions = cJSON_IsObject(ext) ? ext : NULL;
    return NULL;
}

static void handle_post(struct http_request *req, void *ud)
{
    struct graphql_service *svc = ud;
    enum media m = negotiate(http_request_header(req, "Accept"));
    if (m == MEDIA_NONE) {
        respond_message(req, MEDIA_JSON, 406,
                        "Accept application/graphql-response+json or application/json.");
        return;
    }
    if (!is_json_content_type(http_request_header(req, "Content-Type"))) {
        respond_message(req, m, 415,
                        "Send the request as Content-Type: application/json (UTF-8): "
                        "{\"query\": \"...\", \"variables\": {...}}.");
        return;
    }
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    cJSON *params = len ? parse_json(body, len) : NULL;
    if (!cJSON_IsObject(params)) {
        cJSON_Delete(params);
        respond_message(req, m, 400,
                        len ? "The body is not a JSON object: send {\"query\": \"...\"}."
                            : "The body is empty: send {\"query\": \"...\"}.");
        return;
    }
    struct graphql_request r = {.authorization = http_request_header(req, "Authorization"),
                                .channel = "graphql"};
    const char *bad = check_params(params, &r);
    if (bad) {
        respond_message(req, m, 400, bad);
        cJSON_Delete(params);
        return;
    }
    if (admit_and_run(svc, req, m, &r, 0, params))
        cJSON_Delete(params);
}

static void handle_get(struct http_request *req, void *ud)
{
    struct graphql_service *svc = ud;
    enum media m = negotiate(http_request_header(req, "Accept"));
    if (m == MEDIA_NONE) {
        respond_message(req, MEDIA_JSON, 406,
                        "Accept application/graphql-response+json or application/json.");
        return;
    }
    const char *query = http_request_query(req, "query");
    const char *op = http_request_query(req, "operationName");
    const char *vars_text = http_request_query(req, "variables");
    const char *ext_text = http_request_query(req, "extensions");
    cJSON *vars = NULL, *ext = NULL;
    const char *bad = NULL;
    if (!query)
        bad = "The request has no query: add ?query={...} (GET runs queries; POST runs all).";
    else if (vars_text && *vars_text &&
             !cJSON_IsObject(vars = parse_json(vars_text, strlen(vars_text))))
        bad = "variables must be a JSON object.";
    else if (ext_text && *ext_text && !cJSON_IsObject(ext = parse_json(ext_text, strlen(ext_text))))
        bad = "extensions must be a JSON object.";
    if (bad) {
        respond_message(req, m, 400, bad);
    } else {
        struct graphql_request r = {
            .query = query,
            .query_len = strlen(query),
            .operation_name = op && *op ? op : NULL,
            .variables = vars,
            .extensions = ext,
            .authorization = http_request_header(req, "Authorization"),
            .channel = "graphql",
        };
        admit_and_run(svc, req, m, &r, GRAPHQL_QUERIES_ONLY, NULL); /* never deferred */
    }
    cJSON_Delete(vars);
    cJSON_Delete(ext);
}

int graphql_http_routes_add(struct graphql_service *svc, struct http_server *srv)
{
    struct http_route_opts o = {
        .errors = HTTP_ERRORS_GRAPHQL,
        /* the document, and room for the variables around it */
        .max_body_bytes = svc->limits.max_document_bytes + (1u << 20),
    };
    if (http_route_add(srv, "POST", "/graphql", &o, handle_post, svc) != 0 ||
        http_route_add(srv, "GET", "/graphql", &o, handle_get, svc) != 0)
        return PARLEY_EINVAL;
    http_metrics_source_add(srv, graphql_service_metrics, svc);
    return 0;
}
