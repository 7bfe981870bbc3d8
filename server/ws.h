/*
 * server/ws.h — WebSocket endpoints on the HTTP port (libwebsockets).
 *
 * The listener (listener.c) owns the port. When a connection opens with a
 * complete `GET ... Upgrade: websocket` request head, it is handed here
 * instead of to libmicrohttpd: the head is matched against the routes (by
 * path prefix), the route's open callback checks it (origin, path) on the
 * acceptor thread, and a refused request gets a real HTTP error response
 * (403, 404) without ever reaching libwebsockets. An accepted socket is
 * adopted by libwebsockets, which does the handshake, framing, and
 * ping/pong keep-alive on one service thread of its own.
 *
 * A route sees whole text messages (fragments joined, never longer than its
 * cap: a longer one is refused with the route's oversize callback and the
 * connection closed with 1009). It answers with ws_conn_send() from any
 * thread: messages are queued and written by the service thread, which is
 * woken with lws_cancel_service(). A client that leaves 256 messages unread
 * is disconnected (1008).
 *
 * A route may speak a subprotocol (Sec-WebSocket-Protocol, e.g. GraphQL's
 * "graphql-transport-ws"): a handshake to it must offer that name, which the
 * server then selects; one that does not is refused with a 400 before the
 * handshake. libwebsockets only selects names it was given when the context
 * was made, so ws.c lists the subprotocols it knows (ws_route_add refuses
 * others).
 *
 * A struct ws_conn is reference-counted: a route that hands one to another
 * thread (a bot turn) takes a reference and drops it when done; sending on a
 * connection that has closed is a no-op.
 */
#ifndef PARLEY_WS_H
#define PARLEY_WS_H

#include <stdbool.h>
#include <stddef.h>

struct http_server;
struct ws_server;
struct ws_conn;

struct ws_server_options {
    unsigned ping_interval_s; /* idle seconds before the server pings (default 30) */
    unsigned idle_timeout_s;  /* idle seconds without a pong before hanging up (default 75) */
};

struct ws_route_ops {
    /*
     * Acceptor thread, before the handshake: path is the request path (still
     * percent-encoded, no query), origin the Origin header or NULL, host the
     * Host header or NULL. Returns 0
     * to accept with *conn_ud set (handed to every later callback), or an
     * HTTP status (403, 404, ...) with why filled with one sentence for the
     * response body.
     */
    int (*open)(void *ud, const char *path, const char *origin, const char *host, void **conn_ud,
                char *why, size_t whylen);
    /* Service thread: the handshake is done. */
    void (*established)(struct ws_conn *c, void *conn_ud);
    /* Service thread: one whole text message (NUL-terminated; len excludes the NUL). */
    void (*message)(struct ws_conn *c, void *conn_ud, const char *data, size_t len);
    /* Service thread: a message passed the cap; the connection closes after what is queued. */
    void (*oversize)(struct ws_conn *c, void *conn_ud);
    /* Exactly once per accepted connection, whether or not the handshake finished. */
    void (*closed)(void *conn_ud);
    /* The subprotocol the route speaks, or NULL for none (see above). */
    const char *subprotocol;
};

/*
 * Creates the WebSocket layer and attaches it to srv's listener (before
 * http_server_start). Returns NULL with err filled.
 */
struct ws_server *ws_server_new(struct http_server *srv, const struct ws_server_options *opts,
                                char *err, size_t errlen);
/*
 * Adds a route for every path starting with prefix (e.g. "/webchat/"); max_message is
 * the largest text message accepted, in bytes. Call before http_server_start.
 * PARLEY_EINVAL when ops->subprotocol is not one ws.c knows.
 */
int ws_route_add(struct ws_server *s, const char *prefix, size_t max_message,
                 const struct ws_route_ops *ops, void *ud);
/*
 * Closes every connection (1001, going away, waiting up to a second for the close
 * handshakes) and stops the service thread; later sends are dropped.
 */
void ws_server_stop(struct ws_server *s);
/* Frees a stopped server; every ws_conn reference must have been dropped. NULL is fine. */
void ws_server_free(struct ws_server *s);

/*
 * Queues a text message (copied). Any thread. Returns 0, PARLEY_EIO when the conn is
 * closed, or PARLEY_ETOOBIG when its outbox is full (the conn is then closing).
 */
int ws_conn_send(struct ws_conn *c, const char *text, size_t len);
/* Closes after the queued messages are written, with a close code and reason. Any thread. */
void ws_conn_close(struct ws_conn *c, int code, const char *reason);
void ws_conn_ref(struct ws_conn *c);
void ws_conn_unref(struct ws_conn *c);

/* ---- for listener.c ---- */

/* Whether a complete request head asks for a WebSocket upgrade. */
bool ws_head_is_upgrade(const char *head, size_t len);
/* Takes fd (an accepted socket whose head is still unread) on the acceptor thread. */
void ws_server_adopt(struct ws_server *s, int fd, const char *head, size_t len);

#endif
