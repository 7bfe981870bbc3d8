/*
 * HTTP/2 over cleartext (h2c, prior knowledge) on Parley's one port, for
 * the clients that speak nothing else — the AWS SDK's Lex V2 client, whose
 * request handler is HTTP/2 only.
 *
 * nghttp2 does the framing. Each request stream, once complete, is passed to
 * the HTTP/1.1 core as it is: a socketpair whose one end is given to
 * libmicrohttpd (MHD_add_connection) and whose other end gets the request
 * with "Connection: close"; the response read back becomes the stream's
 * response. So every route, error format, access log line and metric is the
 * same whichever protocol the client spoke, at the price of a socketpair per
 * HTTP/2 request.
 *
 * One thread per HTTP/2 connection; its streams are answered one at a time
 * in the order they complete.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "server/server_internal.h"

#define MAX_BODY (8u << 20)
#define MAX_RESPONSE (64u << 20)
#define MAX_CONNS 256
#define IO_TIMEOUT_MS 120000

struct h2c {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int fds[MAX_CONNS];
    int nconns;
};

struct stream {
    int32_t id;
    char method[16];
    char *path;
    char *authority;
    struct buf head; /* "name: value\r\n" lines */
    struct buf body;
    bool complete, answered, too_large;
    struct buf response; /* the body being sent */
    size_t sent;
    struct stream *next;
};

struct conn {
    struct h2c *h2;
    int fd;
    nghttp2_session *session;
    struct stream *streams;
};

/* ---- nghttp2 callbacks ---- */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct stream *st = calloc(1, sizeof *st);
    if (!st)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    st->id = frame->hd.stream_id;
    buf_init(&st->head, 64 * 1024);
    buf_init(&st->body, MAX_BODY);
    buf_init(&st->response, MAX_RESPONSE);
    st->next = c->streams;
    c->streams = st;
    nghttp2_session_set_stream_user_data(s, st->id, st);
    return 0;
}

static bool hop_by_hop(const char *name, size_t len)
{
    static const char *const names[] = {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
        "te",         "host",       "content-length"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    struct stream *st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!st)
        return 0;
    const char *n = (const char *)name, *v = (const char *)value;
    if (namelen == 7 && memcmp(n, ":method", 7) == 0) {
        snprintf(st->method, sizeof st->method, "%.*s", (int)valuelen, v);
    } else if (namelen == 5 && memcmp(n, ":path", 5) == 0) {
        free(st->path);
        st->path = strndup(v, valuelen);
    } else if (namelen == 10 && memcmp(n, ":authority", 10) == 0) {
        free(st->authority);
        st->authority = strndup(v, valuelen);
    } else if (n[0] != ':' && !hop_by_hop(n, namelen)) {
        buf_append(&st->head, n, namelen);
        buf_append(&st->head, ": ", 2);
        buf_append(&st->head, v, valuelen);
        buf_append(&st->head, "\r\n", 2);
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *ud)
{
    struct stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st && !st->too_large && buf_append(&st->body, data, len) != 0)
        st->too_large = true;
    return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        struct stream *st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
        if (st)
            st->complete = true;
    }
    return 0;
}

static void stream_free(struct stream *st)
{
    free(st->path);
    free(st->authority);
    buf_release(&st->head);
    buf_release(&st->body);
    buf_release(&st->response);
    free(st);
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct conn *c = ud;
    for (struct stream **p = &c->streams; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct stream *st = *p;
            *p = st->next;
            stream_free(st);
            break;
        }
    }
    return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *out, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    struct stream *st = src->ptr;
    size_t left = st->response.len - st->sent;
    size_t n = left < len ? left : len;
    if (n)
        memcpy(out, st->response.data + st->sent, n);
    st->sent += n;
    if (st->sent == st->response.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- the HTTP/1.1 leg, through libmicrohttpd ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
            return -1;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Sends the stream's request to the core and reads the whole response into out. */
static int forward(struct h2c *h2, struct stream *st, struct buf *out)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
        return -1;
    struct sockaddr_in loop = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (MHD_add_connection(h2->daemon, sp[0], (struct sockaddr *)&loop, sizeof loop) != MHD_YES) {
        close(sp[1]);
        return -1;
    }
    struct buf req = BUF_INIT(MAX_BODY + 128 * 1024);
    buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", st->method, st->path ? st->path : "/",
               st->authority ? st->authority : "localhost");
    if (st->head.data)
        buf_append(&req, st->head.data, st->head.len);
    buf_printf(&req, "Content-Length: %zu\r\nConnection: close\r\n\r\n", st->body.len);
    if (st->body.len)
        buf_append(&req, st->body.data, st->body.len);
    int rc = write_all(sp[1], req.data, req.len);
    buf_release(&req);
    while (rc == 0) {
        char chunk[16384];
        struct pollfd pfd = {sp[1], POLLIN, 0};
        if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0) {
            rc = -1;
            break;
        }
        ssize_t n = recv(sp[1], chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (buf_append(out, chunk, (size_t)n) != 0)
            rc = -1;
    }
    close(sp[1]);
    return rc;
}

/* Answers one complete stream: forward it, then submit the response it got. */
static void answer(struct conn *c, struct stream *st)
{
    st->answered = true;
    struct buf raw = BUF_INIT(MAX_RESPONSE);
    int status = 502;
    nghttp2_nv nv[64];
    size_t nnv = 0;
    char status_text[4];
    if (st->too_large) {
        status = 413;
    } else if (forward(c->h2, st, &raw) == 0 && raw.data) {
        char *end = strstr(raw.data, "\r\n\r\n");
        if (end && sscanf(raw.data, "HTTP/1.%*d %d", &status) == 1) {
            *end = '\0';
            char *line = strstr(raw.data, "\r\n");
            while (line && line < end && nnv < 62) {
                line += 2;
                char *next = strstr(line, "\r\n");
                char *colon = strchr(line, ':');
                if (next)
                    *next = '\0';
                if (colon) {
                    *colon = '\0';
                    char *value = colon + 1;
                    while (*value == ' ')
                        value++;
                    for (char *p = line; *p; p++)
                        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
                    if (!hop_by_hop(line, strlen(line)) && strcmp(line, "date") != 0)
                        nv[1 + nnv++] =
                            (nghttp2_nv){(uint8_t *)line, (uint8_t *)value, strlen(line),
                                         strlen(value), NGHTTP2_NV_FLAG_NONE};
                }
                line = next;
            }
            buf_append(&st->response, end + 4, raw.len - (size_t)(end + 4 - raw.data));
        } else {
            status = 502;
        }
    }
    snprintf(status_text, sizeof status_text, "%d", status);
    nv[0] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status_text, 7, strlen(status_text),
                         NGHTTP2_NV_FLAG_NONE};
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
    /* nghttp2 copies the header names and values before this returns. */
    nghttp2_submit_response(c->session, st->id, nv, 1 + nnv, &dp);
    buf_release(&raw);
}

static int flush(struct conn *c)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (write_all(c->fd, (const char *)data, (size_t)n) != 0)
            return -1;
    }
}

static void *serve(void *arg)
{
    struct conn *c = arg;
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
    nghttp2_session_server_new(&c->session, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 1);

    while (nghttp2_session_want_read(c->session) || nghttp2_session_want_write(c->session)) {
        for (struct stream *st = c->streams; st; st = st->next) {
            if (st->complete && !st->answered) {
                answer(c, st);
                break; /* the list may change while flushing: start over */
            }
        }
        if (flush(c) != 0)
            break;
        bool pending = false;
        for (struct stream *st = c->streams; st && !pending; st = st->next)
            pending = st->complete && !st->answered;
        if (pending)
            continue;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r = poll(&pfd, 1, IO_TIMEOUT_MS);
        if (r <= 0)
            break;
        uint8_t in[16384];
        ssize_t n = recv(c->fd, in, sizeof in, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0 || nghttp2_session_mem_recv(c->session, in, (size_t)n) < 0)
            break;
    }
    nghttp2_session_del(c->session);
    while (c->streams) {
        struct stream *st = c->streams;
        c->streams = st->next;
        stream_free(st);
    }
    struct h2c *h2 = c->h2;
    pthread_mutex_lock(&h2->lock);
    for (int i = 0; i < MAX_CONNS; i++)
        if (h2->fds[i] == c->fd)
            h2->fds[i] = -1;
    close(c->fd);
    h2->nconns--;
    pthread_cond_broadcast(&h2->idle);
    pthread_mutex_unlock(&h2->lock);
    free(c);
    return NULL;
}

struct h2c *h2c_new(struct MHD_Daemon *daemon)
{
    struct h2c *h2 = calloc(1, sizeof *h2);
    if (!h2)
        return NULL;
    h2->daemon = daemon;
    pthread_mutex_init(&h2->lock, NULL);
    pthread_cond_init(&h2->idle, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        h2->fds[i] = -1;
    return h2;
}

void h2c_connection_start(struct h2c *h2, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    pthread_mutex_lock(&h2->lock);
    int slot = -1;
    for (int i = 0; i < MAX_CONNS && slot < 0; i++)
        if (h2->fds[i] < 0)
            slot = i;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!c || slot < 0) {
        close(fd);
        free(c);
    } else {
        c->h2 = h2;
        c->fd = fd;
        h2->fds[slot] = fd;
        h2->nconns++;
        if (pthread_create(&t, &attr, serve, c) != 0) {
            h2->fds[slot] = -1;
            h2->nconns--;
            close(fd);
            free(c);
        }
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_unlock(&h2->lock);
}

void h2c_free(struct h2c *h2)
{
    if (!h2)
        return;
    pthread_mutex_lock(&h2->lock);
    /* Stop reading new frames; the streams being answered finish first. */
    for (int i = 0; i < MAX_CONNS; i++)
        if (h2->fds[i] >= 0)
            shutdown(h2->fds[i], SHUT_RD);
    while (h2->nconns > 0)
        pthread_cond_wait(&h2->idle, &h2->lock);
    pthread_mutex_unlock(&h2->lock);
    pthread_cond_destroy(&h2->idle);
    pthread_mutex_destroy(&h2->lock);
    free(h2);
}
