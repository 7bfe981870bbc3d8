/*
 * The web chat channel: JSON messages over a WebSocket (server/ws.h), one
 * connection per open widget, translated into bot turns.
 *
 * The checks that keep a public endpoint safe happen as early as they can:
 * the bot and the page's origin when the socket opens (a refused page gets
 * an HTTP 403 and never a socket), the message size while it arrives
 * (server/ws.c stops reading past the cap), and a token bucket per
 * connection before a message is parsed. A message that passes becomes a
 * bot_turn_submit; the connection is told "typing" at once and gets the
 * reply from the worker thread when the turn (and any code hook) is done.
 * Every reply names the message it answers (the client's "id").
 *
 * The widget's two files are compiled in (bots/embed.cmake) and served from
 * memory with an ETag, so a third-party page can load them from any Parley
 * install, with nothing to deploy.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bots/bots.h"
#include "bots/webchat.h"
#include "common/common.h"
#include "server/config.h"
#include "server/http.h"
#include "server/ws.h"

#define WEBCHAT_PREFIX "/webchat/"
#define MAX_TEXT 1024 /* Lex's limit on inputText */

extern const unsigned char parley_widget_js[];
extern const size_t parley_widget_js_len;
extern const unsigned char parley_widget_css[];
extern const size_t parley_widget_css_len;

enum msg_result { MSG_TURN, MSG_PING, MSG_RATE_LIMITED, MSG_BAD, MSG_TOO_LARGE, MSG_NRESULTS };
static const char *const msg_result_names[MSG_NRESULTS] = {"turn", "ping", "rate_limited", "bad",
                                                           "too_large"};

struct chat_bot {
    char *name;
    char **origins; /* "*", "self", or scheme://host[:port] */
    size_t norigins;
};

struct webchat {
    struct bot_engine *engine;
    size_t max_message;
    double rate_per_s;
    double burst;
    struct chat_bot *bots;
    size_t nbots;
    char js_etag[24];
    char css_etag[24];
    unsigned char *js_gz, *css_gz; /* gzip'd at start, served to clients that take it */
    size_t js_gz_len, css_gz_len;
    /* GET /metrics */
    atomic_long open_conns;
    atomic_ulong refused[2]; /* 403, 404 */
    atomic_ulong messages[MSG_NRESULTS];
};

struct chat_conn {
    struct webchat *w;
    struct ws_conn *c;
    char bot[101];
    char alias[101];
    double tokens;
    int64_t last_ms;
};

struct chat_turn {
    struct ws_conn *c;
    cJSON *id; /* the client's message id, echoed; may be NULL */
    char session[101];
};

/* ---- replies ---- */

static void send_json(struct ws_conn *c, cJSON *j)
{
    size_t len;
    char *text = json_print(j, &len);
    if (text)
        ws_conn_send(c, text, len);
    free(text);
    cJSON_Delete(j);
}

static cJSON *reply_new(const char *type, const cJSON *id)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", type);
    if (id)
        cJSON_AddItemToObject(j, "id", cJSON_Duplicate(id, true));
    return j;
}

static void send_error(struct ws_conn *c, const cJSON *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void send_error(struct ws_conn *c, const cJSON *id, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *j = reply_new("error", id);
    cJSON_AddStringToObject(j, "code", code);
    cJSON_AddStringToObject(j, "message", msg);
    send_json(c, j);
}

static const char *const outcome_keys[] = {
    "message", "messageFormat", "dialogState",  "intentName",
    "slots",   "slotToElicit",  "responseCard", NULL,
};

static void turn_done(cJSON *outcome, int err, const char *message, void *ud)
{
    struct chat_turn *t = ud;
    if (err == 0 && outcome) {
        cJSON *j = reply_new("bot", t->id);
        cJSON_AddStringToObject(j, "sessionId", t->session);
        for (int i = 0; outcome_keys[i]; i++) {
            cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(outcome, outcome_keys[i]);
            if (v)
                cJSON_AddItemToObject(j, outcome_keys[i], v);
        }
        send_json(t->c, j);
    } else {
        const char *code = err == PARLEY_ENOTFOUND   ? "NotFound"
                           : err == PARLEY_EINVAL    ? "BadRequest"
                           : err == PARLEY_EIO       ? "DependencyFailed"
                           : err == PARLEY_EBUSY     ? "Busy"
                           : err == PARLEY_ETIMEDOUT ? "DependencyFailed"
                                                     : "InternalError";
        send_error(t->c, t->id, code, "%s", message && *message ? message : parley_strerror(err));
    }
    cJSON_Delete(outcome);
    ws_conn_unref(t->c);
    cJSON_Delete(t->id);
    free(t);
}

/* ---- the WebSocket route ---- */

static bool valid_session_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '-'))
            return false;
    }
    return true;
}

/* A bot or alias name in the path: [A-Za-z0-9_.$-], 1..100 characters. */
static bool path_segment(const char **p, char *out, size_t outlen)
{
    size_t n = 0;
    while (**p && **p != '/') {
        char ch = **p;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '_' || ch == '.' || ch == '$' || ch == '-') ||
            n + 1 >= outlen)
            return false;
        out[n++] = ch;
        (*p)++;
    }
    out[n] = '\0';
    return n > 0;
}

static bool origin_allowed(const struct chat_bot *b, const char *origin, const char *host)
{
    if (!origin)
        return true; /* not a browser: origins protect browser users, see docs/webchat.md */
    for (size_t i = 0; i < b->norigins; i++) {
        const char *o = b->origins[i];
        if (strcmp(o, "*") == 0 || strcmp(o, origin) == 0)
            return true;
        if (strcmp(o, "self") == 0 && host) {
            const char *rest = strncmp(origin, "http://", 7) == 0    ? origin + 7
                               : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                                     : NULL;
            if (rest && strcmp(rest, host) == 0)
                return true;
        }
    }
    return false;
}

static int on_open(void *ud, const char *path, const char *origin, const char *host, void **conn_ud,
                   char *why, size_t whylen)
{
    struct webchat *w = ud;
    char bot[101], alias[101];
    const char *p = path + strlen(WEBCHAT_PREFIX);
    if (!path_segment(&p, bot, sizeof bot) || *p++ != '/' ||
        !path_segment(&p, alias, sizeof alias) || *p) {
        snprintf(why, whylen, "The web chat endpoint is /webchat/{bot}/{alias}.");
        atomic_fetch_add(&w->refused[1], 1);
        return 404;
    }
    const struct chat_bot *b = NULL;
    for (size_t i = 0; i < w->nbots && !b; i++)
        if (strcmp(w->bots[i].name, bot) == 0)
            b = &w->bots[i];
    if (!b) {
        snprintf(why, whylen, "The bot %s is not open to web chat (webchat.bots in the config).",
                 bot);
        atomic_fetch_add(&w->refused[1], 1);
        return 404;
    }
    if (!origin_allowed(b, origin, host)) {
        snprintf(why, whylen,
                 "Pages from %.200s may not chat with %s (webchat.bots.%s.allowedOrigins).", origin,
                 bot, bot);
        atomic_fetch_add(&w->refused[0], 1);
        return 403;
    }
    struct chat_conn *cc = calloc(1, sizeof *cc);
    if (!cc) {
        snprintf(why, whylen, "The server is out of memory.");
        return 503;
    }
    cc->w = w;
    snprintf(cc->bot, sizeof cc->bot, "%s", bot);
    snprintf(cc->alias, sizeof cc->alias, "%s", alias);
    cc->tokens = w->burst;
    cc->last_ms = time_mono_us() / 1000;
    atomic_fetch_add(&w->open_conns, 1);
    *conn_ud = cc;
    return 0;
}

static void on_established(struct ws_conn *c, void *conn_ud)
{
    struct chat_conn *cc = conn_ud;
    cc->c = c;
    cJSON *j = reply_new("hello", NULL);
    cJSON_AddStringToObject(j, "bot", cc->bot);
    cJSON_AddStringToObject(j, "alias", cc->alias);
    cJSON_AddNumberToObject(j, "maxMessageBytes", (double)cc->w->max_message);
    send_json(c, j);
}

/* The token bucket: false when the connection has no message left to spend. */
static bool take_token(struct chat_conn *cc, int64_t *retry_ms)
{
    int64_t now = time_mono_us() / 1000;
    cc->tokens += (double)(now - cc->last_ms) * cc->w->rate_per_s / 1000.0;
    if (cc->tokens > cc->w->burst)
        cc->tokens = cc->w->burst;
    cc->last_ms = now;
    if (cc->tokens >= 1.0) {
        cc->tokens -= 1.0;
        return true;
    }
    *retry_ms = (int64_t)((1.0 - cc->tokens) * 1000.0 / cc->w->rate_per_s) + 1;
    return false;
}

static void on_message(struct ws_conn *c, void *conn_ud, const char *data, size_t len)
{
    struct chat_conn *cc = conn_ud;
    int64_t retry_ms = 0;
    enum msg_result result = MSG_BAD;
    if (!take_token(cc, &retry_ms)) {
        atomic_fetch_add(&cc->w->messages[MSG_RATE_LIMITED], 1);
        send_error(c, NULL, "RateLimited",
                   "Too many messages; wait %lld ms before sending the next one.",
                   (long long)retry_ms);
        return;
    }
    cJSON *msg = cJSON_ParseWithLength(data, len);
    const cJSON *id = msg ? cJSON_GetObjectItemCaseSensitive(msg, "id") : NULL;
    if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id))
        id = NULL;
    const char *type = msg ? json_string(msg, "type") : NULL;
    if (!cJSON_IsObject(msg) || !type) {
        send_error(c, NULL, "BadMessage",
                   "A message is a JSON object with a \"type\": \"text\", \"button\" or \"ping\".");
        goto out;
    }
    if (strcmp(type, "ping") == 0) {
        send_json(c, reply_new("pong", id));
        result = MSG_PING;
        goto out;
    }
    bool is_text = strcmp(type, "text") == 0, is_button = strcmp(type, "button") == 0;
    if (!is_text && !is_button) {
        send_error(c, id, "BadMessage",
                   "Unknown message type \"%.40s\"; use \"text\", \"button\" or \"ping\".", type);
        goto out;
    }
    const char *session = json_string(msg, "sessionId");
    if (!session || !valid_session_id(session)) {
        send_error(c, id, "BadSessionId",
                   "sessionId must be 2 to 100 characters of [0-9a-zA-Z._:-].");
        goto out;
    }
    const char *field = is_text ? "text" : "value";
    const char *text = json_string(msg, field);
    size_t tlen = text ? strlen(text) : 0;
    if (!text || tlen == 0 || tlen > MAX_TEXT) {
        send_error(c, id, "BadMessage", "\"%s\" must be a string of 1 to %d characters.", field,
                   MAX_TEXT);
        goto out;
    }
    struct chat_turn *t = calloc(1, sizeof *t);
    if (!t) {
        send_error(c, id, "InternalError", "The server is out of memory.");
        goto out;
    }
    t->c = c;
    ws_conn_ref(c);
    t->id = id ? cJSON_Duplicate(id, true) : NULL;
    snprintf(t->session, sizeof t->session, "%s", session);
    send_json(c, reply_new("typing", id));
    struct bot_turn turn = {
        .bot = cc->bot, .alias = cc->alias, .user = t->session, .text = text, .channel = "webchat"};
    bot_turn_submit(cc->w->engine, &turn, turn_done, t);
    result = MSG_TURN;
out:
    atomic_fetch_add(&cc->w->messages[result], 1);
    cJSON_Delete(msg);
}

static void on_oversize(struct ws_conn *c, void *conn_ud)
{
    struct chat_conn *cc = conn_ud;
    atomic_fetch_add(&cc->w->messages[MSG_TOO_LARGE], 1);
    send_error(c, NULL, "MessageTooLarge",
               "A message may be at most %zu bytes; this connection is closing.",
               cc->w->max_message);
}

static void on_closed(void *conn_ud)
{
    struct chat_conn *cc = conn_ud;
    atomic_fetch_sub(&cc->w->open_conns, 1);
    free(cc);
}

static const struct ws_route_ops chat_ops = {
    .open = on_open,
    .established = on_established,
    .message = on_message,
    .oversize = on_oversize,
    .closed = on_closed,
};

/* ---- the widget's files ---- */

static void etag_of(const unsigned char *data, size_t len, char *out, size_t outlen)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    snprintf(out, outlen, "\"%016llx\"", (unsigned long long)h);
}

static void static_done(void *cls)
{
    (void)cls; /* the files are compiled in: nothing to release */
}

/* gzip (level 9) of len bytes into a malloc'd *out; false on failure. */
static bool gzip_of(const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong cap = deflateBound(&z, (uLong)len);
    *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    bool ok = *out && deflate(&z, Z_FINISH) == Z_STREAM_END;
    *outlen = z.total_out;
    deflateEnd(&z);
    if (!ok) {
        free(*out);
        *out = NULL;
    }
    return ok;
}

static bool accepts_gzip(const char *ae)
{
    /* Enough for browsers: "gzip" listed and not refused with q=0. */
    const char *g = ae ? strstr(ae, "gzip") : NULL;
    return g && strncmp(g + 4, ";q=0", 4) != 0 && strncmp(g + 4, "; q=0", 5) != 0;
}

static void serve_file(struct http_request *req, const unsigned char *data, size_t len,
                       const unsigned char *gz, size_t gz_len, const char *type, const char *etag)
{
    bool zipped = gz && accepts_gzip(http_request_header(req, "Accept-Encoding"));
    char tag[32]; /* each encoding is its own representation: "HASH" or "HASH-gz" */
    snprintf(tag, sizeof tag, "%.*s%s\"", (int)strlen(etag) - 1, etag, zipped ? "-gz" : "");
    etag = tag;
    const char *inm = http_request_header(req, "If-None-Match");
    bool fresh = inm && strcmp(inm, etag) == 0;
    struct http_response *r = http_response_new(fresh ? 304 : 200);
    http_response_header(r, "Content-Type", type);
    http_response_header(r, "Cache-Control", "public, max-age=300");
    http_response_header(r, "ETag", etag);
    http_response_header(r, "Vary", "Accept-Encoding");
    http_response_header(r, "X-Content-Type-Options", "nosniff");
    /* A site on another origin may load the widget (and its stylesheet with crossorigin). */
    http_response_header(r, "Access-Control-Allow-Origin", "*");
    if (!fresh && zipped) {
        http_response_header(r, "Content-Encoding", "gzip");
        http_response_body_ref(r, gz, gz_len, static_done, NULL);
    } else if (!fresh) {
        http_response_body_ref(r, data, len, static_done, NULL);
    }
    http_respond(req, r);
}

static void handle_widget(struct http_request *req, void *ud)
{
    struct webchat *w = ud;
    const char *file = http_request_param(req, "file");
    if (strcmp(file, "parley-widget.js") == 0)
        serve_file(req, parley_widget_js, parley_widget_js_len, w->js_gz, w->js_gz_len,
                   "text/javascript; charset=utf-8", w->js_etag);
    else if (strcmp(file, "parley-widget.css") == 0)
        serve_file(req, parley_widget_css, parley_widget_css_len, w->css_gz, w->css_gz_len,
                   "text/css; charset=utf-8", w->css_etag);
    else
        http_respond_error(req, 404, NULL,
                           "The widget's files are parley-widget.js and "
                           "parley-widget.css.");
}

static void metrics_source(struct buf *out, void *ud)
{
    struct webchat *w = ud;
    buf_printf(out,
               "# HELP parley_webchat_connections Open web chat WebSockets.\n"
               "# TYPE parley_webchat_connections gauge\n"
               "parley_webchat_connections %ld\n"
               "# HELP parley_webchat_handshakes_refused_total WebSocket upgrades refused, by "
               "HTTP status.\n"
               "# TYPE parley_webchat_handshakes_refused_total counter\n"
               "parley_webchat_handshakes_refused_total{status=\"403\"} %lu\n"
               "parley_webchat_handshakes_refused_total{status=\"404\"} %lu\n"
               "# HELP parley_webchat_messages_total Client messages, by what became of them.\n"
               "# TYPE parley_webchat_messages_total counter\n",
               atomic_load(&w->open_conns), atomic_load(&w->refused[0]),
               atomic_load(&w->refused[1]));
    for (int i = 0; i < MSG_NRESULTS; i++)
        buf_printf(out, "parley_webchat_messages_total{result=\"%s\"} %lu\n", msg_result_names[i],
                   atomic_load(&w->messages[i]));
}

/* ---- the config ---- */

static bool origin_well_formed(const char *o)
{
    if (strcmp(o, "*") == 0 || strcmp(o, "self") == 0)
        return true;
    const char *rest = strncmp(o, "http://", 7) == 0    ? o + 7
                       : strncmp(o, "https://", 8) == 0 ? o + 8
                                                        : NULL;
    return rest && *rest && !strchr(rest, '/') && !strchr(rest, ' ');
}

static int read_number(const cJSON *obj, const char *key, double min, double max, double *out,
                       const char *file, const char *where, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max) {
        snprintf(err, errlen, "%s: %s.%s: must be a number from %g to %g", file, where, key, min,
                 max);
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

static int config_read(struct webchat *w, const struct parley_config *cfg, char *err, size_t errlen)
{
    const char *file = cfg->path;
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(cfg->doc, "webchat");
    double max = 4096, rate = 2, burst = 5;
    if (!sec)
        goto done;
    for (const cJSON *k = sec->child; k; k = k->next) {
        if (strcmp(k->string, "bots") && strcmp(k->string, "maxMessageBytes") &&
            strcmp(k->string, "rateLimit") && strcmp(k->string, "$comment")) {
            snprintf(err, errlen,
                     "%s: webchat.%s: unknown key (webchat has bots, maxMessageBytes, rateLimit)",
                     file, k->string);
            return -1;
        }
    }
    if (read_number(sec, "maxMessageBytes", 64, 1048576, &max, file, "webchat", err, errlen))
        return -1;
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(sec, "rateLimit");
    if (rl && !cJSON_IsObject(rl)) {
        snprintf(err, errlen, "%s: webchat.rateLimit: must be an object {messagesPerSecond, burst}",
                 file);
        return -1;
    }
    if (rl && (read_number(rl, "messagesPerSecond", 0.01, 1000, &rate, file, "webchat.rateLimit",
                           err, errlen) ||
               read_number(rl, "burst", 1, 1000, &burst, file, "webchat.rateLimit", err, errlen)))
        return -1;
    const cJSON *bots = cJSON_GetObjectItemCaseSensitive(sec, "bots");
    if (bots && !cJSON_IsObject(bots)) {
        snprintf(err, errlen,
                 "%s: webchat.bots: must be an object {\"BotName\": {\"allowedOrigins\": [...]}}",
                 file);
        return -1;
    }
    size_t n = (size_t)cJSON_GetArraySize(bots);
    w->bots = n ? calloc(n, sizeof *w->bots) : NULL;
    if (n && !w->bots)
        goto oom;
    for (const cJSON *b = bots ? bots->child : NULL; b; b = b->next) {
        struct chat_bot *cb = &w->bots[w->nbots++];
        cb->name = strdup(b->string);
        char *exported = bot_export(w->engine, b->string, "$LATEST");
        free(exported);
        if (!exported) {
            snprintf(err, errlen, "%s: webchat.bots.%s: there is no bot by that name in \"bots\"",
                     file, b->string);
            return -1;
        }
        const cJSON *origins =
            cJSON_IsObject(b) ? cJSON_GetObjectItemCaseSensitive(b, "allowedOrigins") : NULL;
        if (!cJSON_IsArray(origins) || cJSON_GetArraySize(origins) == 0) {
            snprintf(err, errlen,
                     "%s: webchat.bots.%s.allowedOrigins: must be a non-empty array of origins "
                     "such as \"https://www.example.com\", \"self\" or \"*\"",
                     file, b->string);
            return -1;
        }
        size_t no = (size_t)cJSON_GetArraySize(origins);
        cb->origins = calloc(no, sizeof *cb->origins);
        if (!cb->origins || !cb->name)
            goto oom;
        int i = 0;
        for (const cJSON *o = origins->child; o; o = o->next, i++) {
            if (!cJSON_IsString(o) || !origin_well_formed(o->valuestring)) {
                snprintf(err, errlen,
                         "%s: webchat.bots.%s.allowedOrigins[%d]: must be \"self\", \"*\" or "
                         "scheme://host[:port] with no path, e.g. \"http://localhost:8080\"",
                         file, b->string, i);
                return -1;
            }
            if (!(cb->origins[cb->norigins++] = strdup(o->valuestring)))
                goto oom;
        }
    }
done:
    w->max_message = (size_t)max;
    w->rate_per_s = rate;
    w->burst = burst;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

struct webchat *webchat_new(const struct parley_config *cfg, struct bot_engine *engine,
                            struct http_server *srv, struct ws_server *ws, char *err, size_t errlen)
{
    struct webchat *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->engine = engine;
    if (config_read(w, cfg, err, errlen) != 0) {
        webchat_free(w);
        return NULL;
    }
    etag_of(parley_widget_js, parley_widget_js_len, w->js_etag, sizeof w->js_etag);
    etag_of(parley_widget_css, parley_widget_css_len, w->css_etag, sizeof w->css_etag);
    /* Without memory for these, the files go out uncompressed. */
    gzip_of(parley_widget_js, parley_widget_js_len, &w->js_gz, &w->js_gz_len);
    gzip_of(parley_widget_css, parley_widget_css_len, &w->css_gz, &w->css_gz_len);
    struct http_route_opts ro = {.errors = HTTP_ERRORS_TEXT};
    if (ws_route_add(ws, WEBCHAT_PREFIX, w->max_message, &chat_ops, w) != 0 ||
        http_route_add(srv, "GET", "/widget/{file}", &ro, handle_widget, w) != 0 ||
        http_route_add(srv, "HEAD", "/widget/{file}", &ro, handle_widget, w) != 0) {
        snprintf(err, errlen, "cannot add the web chat routes");
        webchat_free(w);
        return NULL;
    }
    http_metrics_source_add(srv, metrics_source, w);
    return w;
}

void webchat_free(struct webchat *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nbots; i++) {
        for (size_t j = 0; j < w->bots[i].norigins; j++)
            free(w->bots[i].origins[j]);
        free(w->bots[i].origins);
        free(w->bots[i].name);
    }
    free(w->bots);
    free(w->js_gz);
    free(w->css_gz);
    free(w);
}
