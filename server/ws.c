/*
 * WebSocket connections on the HTTP port, served by libwebsockets.
 *
 * listener.c peeks each new connection; a complete `GET` head with
 * `Upgrade: websocket` comes here (ws_server_adopt) on the acceptor thread.
 * We route it by path and let the route refuse it (a disallowed origin gets
 * a plain HTTP 403 written here, so the client sees a clear answer and
 * libwebsockets never sees the socket). An accepted socket goes on a queue
 * and the libwebsockets service thread is woken (lws_cancel_service): in
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED it adopts the queued sockets — the head
 * was only peeked, so libwebsockets reads it itself and does the handshake —
 * and arms writes for connections that other threads queued messages on.
 *
 * One mutex guards the queues and each connection's outbox; libwebsockets
 * itself is only ever called from the service thread, except
 * lws_cancel_service, which is made for other threads.
 *
 * Subprotocols: libwebsockets picks, from the client's Sec-WebSocket-Protocol
 * list, the first name among the vhost's protocols, and those are fixed when
 * the context is made; so `protocols` below lists every subprotocol a route
 * may speak, all served by the same callback. The route's own is checked on
 * the acceptor thread (a head that does not offer it gets a 400).
 *
 * Keep-alive is libwebsockets' own: a vhost retry policy pings a connection
 * idle for ping_interval_s and hangs up one silent for idle_timeout_s.
 */
#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "server/http.h"
#include "server/server_internal.h"
#include "server/ws.h"

#define WS_MAX_QUEUED 256 /* unwritten messages per connection before it is closed */

struct ws_route {
    char *prefix;
    size_t max_message;
    struct ws_route_ops ops;
    void *ud;
    struct ws_route *next;
};

struct ws_msg {
    struct ws_msg *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the text */
};

struct ws_conn {
    struct ws_server *s;
    const struct ws_route *route;
    void *conn_ud;
    int fd;
    int refs;        /* under s->mu */
    struct lws *wsi; /* service thread; NULL before adoption and after close */
    bool open;       /* under s->mu: sends are accepted */
    bool dirty;      /* under s->mu: on s->dirty, wants a writable callback */
    int close_code;  /* under s->mu: close after the outbox drains */
    char close_reason[64];
    struct ws_msg *out_head, *out_tail; /* under s->mu */
    unsigned queued;                    /* under s->mu: messages in the outbox */
    struct ws_conn *next_dirty;
    struct ws_conn *next_adopt;
    struct ws_conn *live_prev, *live_next; /* under s->mu: on s->live while established */
    bool live;
    bool closing_armed; /* service thread: a close is pending */
    struct buf rx;      /* service thread: the message being received */
    bool rx_oversize;
};

struct ws_server {
    struct ws_server_options opts;
    struct ws_route *routes;
    pthread_mutex_t mu;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    lws_retry_bo_t retry;
    pthread_t thread;
    bool thread_started;
    bool stopping; /* under mu */
    struct ws_conn *adopt_q;
    struct ws_conn *dirty;
    struct ws_conn *live; /* established connections, told 1001 on stop */
};

void ws_conn_ref(struct ws_conn *c)
{
    pthread_mutex_lock(&c->s->mu);
    c->refs++;
    pthread_mutex_unlock(&c->s->mu);
}

static void msg_list_free(struct ws_msg *m)
{
    while (m) {
        struct ws_msg *next = m->next;
        free(m);
        m = next;
    }
}

void ws_conn_unref(struct ws_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->s->mu);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&c->s->mu);
    if (!last)
        return;
    msg_list_free(c->out_head);
    buf_release(&c->rx);
    free(c);
}

/* Under s->mu: asks the service thread for a writable callback on c. */
static void mark_dirty(struct ws_conn *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    c->refs++;
    c->next_dirty = c->s->dirty;
    c->s->dirty = c;
}

int ws_conn_send(struct ws_conn *c, const char *text, size_t len)
{
    struct ws_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return PARLEY_ENOMEM;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    struct ws_server *s = c->s;
    pthread_mutex_lock(&s->mu);
    if (!c->open || s->stopping || c->close_code) {
        pthread_mutex_unlock(&s->mu);
        free(m);
        return PARLEY_EIO;
    }
    if (c->queued >= WS_MAX_QUEUED) {
        /* The client does not read what it asked for: drop its outbox and let it go. */
        free(m);
        msg_list_free(c->out_head);
        c->out_head = c->out_tail = NULL;
        c->queued = 0;
        c->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
        snprintf(c->close_reason, sizeof c->close_reason, "too many unread messages");
        mark_dirty(c);
        struct lws_context *ctx = s->ctx;
        pthread_mutex_unlock(&s->mu);
        lws_cancel_service(ctx);
        return PARLEY_ETOOBIG;
    }
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->queued++;
    mark_dirty(c);
    struct lws_context *ctx = s->ctx;
    pthread_mutex_unlock(&s->mu);
    lws_cancel_service(ctx);
    return 0;
}

void ws_conn_close(struct ws_conn *c, int code, const char *reason)
{
    struct ws_server *s = c->s;
    pthread_mutex_lock(&s->mu);
    if (c->open && !s->stopping && !c->close_code) {
        c->close_code = code;
        snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
        mark_dirty(c);
    }
    struct lws_context *ctx = s->stopping ? NULL : s->ctx;
    pthread_mutex_unlock(&s->mu);
    if (ctx)
        lws_cancel_service(ctx);
}

/* ---- the service thread ---- */

static void conn_closed(struct ws_conn *c)
{
    pthread_mutex_lock(&c->s->mu);
    if (c->live) {
        if (c->live_prev)
            c->live_prev->live_next = c->live_next;
        else
            c->s->live = c->live_next;
        if (c->live_next)
            c->live_next->live_prev = c->live_prev;
        c->live = false;
    }
    c->open = false;
    c->wsi = NULL;
    pthread_mutex_unlock(&c->s->mu);
    c->route->ops.closed(c->conn_ud);
    ws_conn_unref(c);
}

static void adopt_queued(struct ws_server *s)
{
    pthread_mutex_lock(&s->mu);
    struct ws_conn *q = s->adopt_q;
    s->adopt_q = NULL;
    pthread_mutex_unlock(&s->mu);
    while (q) {
        struct ws_conn *c = q;
        q = q->next_adopt;
        lws_adopt_desc_t d = {
            .vh = s->vh,
            .type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP,
            .fd.sockfd = c->fd,
            .opaque = c,
        };
        c->wsi = lws_adopt_descriptor_vhost_via_info(&d);
        if (!c->wsi) /* libwebsockets has closed the socket */
            conn_closed(c);
    }
}

static void arm_dirty(struct ws_server *s)
{
    pthread_mutex_lock(&s->mu);
    struct ws_conn *d = s->dirty;
    s->dirty = NULL;
    for (struct ws_conn *c = d; c; c = c->next_dirty) {
        c->dirty = false;
        c->closing_armed = c->close_code != 0; /* read below without the lock */
    }
    pthread_mutex_unlock(&s->mu);
    while (d) {
        struct ws_conn *c = d;
        d = d->next_dirty;
        if (c->wsi) {
            lws_callback_on_writable(c->wsi);
            /* A client that reads nothing never lets the close frame out: bound the wait. */
            if (c->closing_armed)
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 5);
        }
        ws_conn_unref(c);
    }
}

static int on_writable(struct lws *wsi, struct ws_conn *c)
{
    struct ws_server *s = c->s;
    pthread_mutex_lock(&s->mu);
    struct ws_msg *m = c->out_head;
    if (m) {
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->queued--;
    }
    bool more = c->out_head != NULL;
    int close_code = c->close_code;
    pthread_mutex_unlock(&s->mu);
    if (m) {
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        free(m);
        if (n < 0)
            return -1;
        if (more || close_code) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    if (close_code && !more) {
        lws_close_reason(wsi, (enum lws_close_status)close_code, (unsigned char *)c->close_reason,
                         strlen(c->close_reason));
        return -1;
    }
    return 0;
}

static void on_receive(struct lws *wsi, struct ws_conn *c, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi)) {
        buf_reset(&c->rx);
        c->rx_oversize = false;
    }
    if (c->rx_oversize)
        return;
    if (buf_append(&c->rx, in, len) != 0) {
        c->rx_oversize = true;
        buf_reset(&c->rx);
        c->route->ops.oversize(c, c->conn_ud);
        ws_conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
        return;
    }
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        c->route->ops.message(c, c->conn_ud, c->rx.data ? c->rx.data : "", c->rx.len);
        buf_reset(&c->rx);
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct ws_server *s = lws_context_user(lws_get_context(wsi));
    struct ws_conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        adopt_queued(s);
        arm_dirty(s);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        if (!c)
            return -1;
        pthread_mutex_lock(&s->mu);
        c->open = true;
        c->live = true;
        c->live_prev = NULL;
        c->live_next = s->live;
        if (s->live)
            s->live->live_prev = c;
        s->live = c;
        pthread_mutex_unlock(&s->mu);
        c->route->ops.established(c, c->conn_ud);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (c)
            on_receive(wsi, c, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? on_writable(wsi, c) : 0;
    case LWS_CALLBACK_HTTP:
        /* Only upgrade requests are handed to us; anything else is a client error. */
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
        return -1;
    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            lws_set_opaque_user_data(wsi, NULL);
            conn_closed(c);
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* The first is the default (no subprotocol); the others are the subprotocols routes may speak. */
static const struct lws_protocols protocols[] = {
    {"parley", callback, 0, 4096, 0, NULL, 0},
    {"graphql-transport-ws", callback, 0, 4096, 0, NULL, 0}, /* graphql/ws.c */
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static bool subprotocol_known(const char *name)
{
    for (const struct lws_protocols *p = protocols + 1; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return true;
    return false;
}

static void *service(void *arg)
{
    struct ws_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        if (lws_service(s->ctx, 0) < 0)
            break;
    }
    return NULL;
}

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
        n--;
    if (level & LLL_ERR)
        log_warn("ws: %.*s", (int)n, line);
    else
        log_debug("ws: %.*s", (int)n, line);
}

struct ws_server *ws_server_new(struct http_server *srv, const struct ws_server_options *opts,
                                char *err, size_t errlen)
{
    struct ws_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->opts = *opts;
    if (!s->opts.ping_interval_s)
        s->opts.ping_interval_s = 30;
    if (!s->opts.idle_timeout_s)
        s->opts.idle_timeout_s = 75;
    pthread_mutex_init(&s->mu, NULL);
    s->retry.secs_since_valid_ping = (uint16_t)s->opts.ping_interval_s;
    s->retry.secs_since_valid_hangup = (uint16_t)s->opts.idle_timeout_s;

    lws_set_log_level(LLL_ERR, lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = protocols;
    info.user = s;
    info.gid = -1;
    info.uid = -1;
    info.retry_and_idle_policy = &s->retry;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.vhost_name = "parley";
    s->ctx = lws_create_context(&info);
    s->vh = s->ctx ? lws_get_vhost_by_name(s->ctx, "parley") : NULL;
    if (!s->vh || pthread_create(&s->thread, NULL, service, s) != 0) {
        snprintf(err, errlen, "cannot start libwebsockets");
        if (s->ctx)
            lws_context_destroy(s->ctx);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    s->thread_started = true;
    http_server_ws_attach(srv, s);
    return s;
}

int ws_route_add(struct ws_server *s, const char *prefix, size_t max_message,
                 const struct ws_route_ops *ops, void *ud)
{
    if (ops->subprotocol && !subprotocol_known(ops->subprotocol))
        return PARLEY_EINVAL;
    struct ws_route *r = calloc(1, sizeof *r);
    if (!r || !(r->prefix = strdup(prefix))) {
        free(r);
        return PARLEY_ENOMEM;
    }
    r->max_message = max_message;
    r->ops = *ops;
    r->ud = ud;
    pthread_mutex_lock(&s->mu);
    r->next = s->routes;
    s->routes = r;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void ws_server_stop(struct ws_server *s)
{
    if (!s || !s->thread_started)
        return;
    /* Say goodbye (1001, going away) and give the clients a moment to see it. */
    pthread_mutex_lock(&s->mu);
    for (struct ws_conn *c = s->live; c; c = c->live_next) {
        if (!c->close_code) {
            c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
            snprintf(c->close_reason, sizeof c->close_reason, "server shutting down");
            mark_dirty(c);
        }
    }
    pthread_mutex_unlock(&s->mu);
    lws_cancel_service(s->ctx);
    for (int i = 0; i < 100; i++) { /* at most a second */
        pthread_mutex_lock(&s->mu);
        bool gone = s->live == NULL;
        pthread_mutex_unlock(&s->mu);
        if (gone)
            break;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    lws_cancel_service(s->ctx);
    pthread_join(s->thread, NULL);
    s->thread_started = false;
    /* Sockets never adopted: close them here. */
    struct ws_conn *q = s->adopt_q;
    s->adopt_q = NULL;
    while (q) {
        struct ws_conn *c = q;
        q = q->next_adopt;
        close(c->fd);
        conn_closed(c);
    }
    /* Closes every connection (WSI_DESTROY tells each route). */
    lws_context_destroy(s->ctx);
    s->ctx = NULL;
    struct ws_conn *d = s->dirty;
    s->dirty = NULL;
    while (d) {
        struct ws_conn *c = d;
        d = d->next_dirty;
        ws_conn_unref(c);
    }
}

void ws_server_free(struct ws_server *s)
{
    if (!s)
        return;
    ws_server_stop(s);
    while (s->routes) {
        struct ws_route *r = s->routes;
        s->routes = r->next;
        free(r->prefix);
        free(r);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- the acceptor side ---- */

/* Copies the value of header name from a request head into out; false if absent. */
static bool head_header(const char *head, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *end = head + len;
    const char *p = memchr(head, '\n', len);
    while (p && p + 1 < end) {
        p++;
        if ((size_t)(end - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = v;
            while (e < end && *e != '\r' && *e != '\n')
                e++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            snprintf(out, outlen, "%.*s", (int)(e - v), v);
            return true;
        }
        p = memchr(p, '\n', (size_t)(end - p));
    }
    return false;
}

static bool token_in(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == n && strncasecmp(p, token, n) == 0)
            return true;
        p = e;
    }
    return false;
}

bool ws_head_is_upgrade(const char *head, size_t len)
{
    char v[256];
    return len > 4 && memcmp(head, "GET ", 4) == 0 &&
           head_header(head, len, "Upgrade", v, sizeof v) && token_in(v, "websocket");
}

static void refuse(int fd, int status, const char *why)
{
    log_info("web socket refused (%d): %s", status, why);
    char body[512], resp[1024];
    struct buf b = BUF_INIT(sizeof body - 1);
    buf_puts(&b, "{\"error\":");
    buf_json_string(&b, why, strlen(why));
    buf_puts(&b, "}");
    snprintf(body, sizeof body, "%s", b.data ? b.data : "{}");
    buf_release(&b);
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, http_status_reason(status), strlen(body), body);
    /* A fresh socket's send buffer takes a few hundred bytes at once; this is best effort. */
    if (send(fd, resp, (size_t)n, MSG_NOSIGNAL) < 0)
        log_debug("ws: cannot send the refusal: %s", strerror(errno));
    shutdown(fd, SHUT_WR);
    close(fd);
}

void ws_server_adopt(struct ws_server *s, int fd, const char *head, size_t len)
{
    /* The request target: "GET /path?query HTTP/1.1" */
    char path[1024];
    const char *p = head + 4, *e = p;
    const char *end = head + len;
    while (e < end && *e != ' ' && *e != '?' && *e != '\r')
        e++;
    snprintf(path, sizeof path, "%.*s", (int)(e - p), p);
    char origin[512];
    bool has_origin = head_header(head, len, "Origin", origin, sizeof origin);
    char host[256];
    bool has_host = head_header(head, len, "Host", host, sizeof host);

    const struct ws_route *route = NULL;
    for (const struct ws_route *r = s->routes; r && !route; r = r->next)
        if (strncmp(path, r->prefix, strlen(r->prefix)) == 0)
            route = r;
    if (!route) {
        refuse(fd, 404, "There is no WebSocket endpoint at this path.");
        return;
    }
    char offered[256];
    if (route->ops.subprotocol &&
        (!head_header(head, len, "Sec-WebSocket-Protocol", offered, sizeof offered) ||
         !token_in(offered, route->ops.subprotocol))) {
        char why[160];
        snprintf(why, sizeof why,
                 "This endpoint speaks the WebSocket subprotocol %s: offer it in "
                 "Sec-WebSocket-Protocol.",
                 route->ops.subprotocol);
        refuse(fd, 400, why);
        return;
    }
    char why[256] = "";
    void *conn_ud = NULL;
    int status = route->ops.open(route->ud, path, has_origin ? origin : NULL,
                                 has_host ? host : NULL, &conn_ud, why, sizeof why);
    if (status != 0) {
        refuse(fd, status, why[0] ? why : http_status_reason(status));
        return;
    }
    struct ws_conn *c = calloc(1, sizeof *c);
    if (!c) {
        route->ops.closed(conn_ud);
        refuse(fd, 503, "The server is out of memory.");
        return;
    }
    c->s = s;
    c->route = route;
    c->conn_ud = conn_ud;
    c->fd = fd;
    c->refs = 1; /* the connection's own, dropped in conn_closed */
    buf_init(&c->rx, route->max_message);
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    if (!stopping) {
        c->next_adopt = s->adopt_q;
        s->adopt_q = c;
    }
    struct lws_context *ctx = s->ctx;
    pthread_mutex_unlock(&s->mu);
    if (stopping) {
        close(fd);
        conn_closed(c);
        return;
    }
    lws_cancel_service(ctx);
}
