/*
 * The listening socket, ours rather than libmicrohttpd's, so that one port
 * speaks both HTTP/1.1 and HTTP/2 over cleartext (h2c with prior knowledge,
 * which is what the AWS SDK's Lex V2 client uses against an http:// endpoint).
 *
 * One acceptor thread runs an epoll loop: new connections are accepted and
 * watched until their first bytes arrive; a peek at them decides the
 * protocol. HTTP/1.1 connections are handed to libmicrohttpd
 * (MHD_add_connection) and never seen again; connections that open with the
 * HTTP/2 preface go to h2c.c. When a WebSocket layer is attached (server/ws.c),
 * a `GET` is peeked until its head is complete, and one that asks for
 * `Upgrade: websocket` goes there instead (browsers open a fresh connection
 * for every WebSocket, so the first request decides). A connection that sends
 * nothing within the connection timeout is closed. The cost is one peek per
 * connection, not per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "server/server_internal.h"
#include "server/ws.h"

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN (sizeof h2_preface - 1)
#define MAX_PENDING 4096
#define MAX_HEAD 8192 /* a longer GET head is not a WebSocket upgrade we take */

struct pending {
    int fd;
    int64_t since_ms;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool edge; /* waiting for more of the head: woken only by new bytes */
};

struct listener {
    int fd;
    int wake; /* eventfd: stop */
    int ep;
    pthread_t thread;
    struct MHD_Daemon *daemon;
    unsigned timeout_s;
    struct pending *pending[MAX_PENDING];
    struct h2c *h2;
    struct ws_server *ws;
};

static void drop(struct listener *l, struct pending *p)
{
    epoll_ctl(l->ep, EPOLL_CTL_DEL, p->fd, NULL);
    for (int i = 0; i < MAX_PENDING; i++)
        if (l->pending[i] == p)
            l->pending[i] = NULL;
    free(p);
}

/* Waits for more bytes; level-triggered epoll would wake at once for the bytes already there. */
static void wait_more(struct listener *l, struct pending *p)
{
    if (p->edge)
        return;
    p->edge = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = p};
    epoll_ctl(l->ep, EPOLL_CTL_MOD, p->fd, &ev);
}

static void decide(struct listener *l, struct pending *p)
{
    char head[MAX_HEAD];
    size_t want = l->ws ? sizeof head : PREFACE_LEN;
    ssize_t n = recv(p->fd, head, want, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close(p->fd);
        drop(l, p);
        return;
    }
    size_t cmp = (size_t)n < PREFACE_LEN ? (size_t)n : PREFACE_LEN;
    bool maybe_h2 = memcmp(head, h2_preface, cmp) == 0;
    if (maybe_h2 && (size_t)n < PREFACE_LEN) {
        wait_more(l, p); /* the rest of the preface */
        return;
    }
    bool upgrade = false;
    if (l->ws && !maybe_h2) {
        size_t g = (size_t)n < 4 ? (size_t)n : 4;
        bool is_get = memcmp(head, "GET ", g) == 0;
        bool complete = memmem(head, (size_t)n, "\r\n\r\n", 4) != NULL;
        if (is_get && !complete && (size_t)n < sizeof head) {
            wait_more(l, p); /* the rest of the head */
            return;
        }
        upgrade = is_get && complete && ws_head_is_upgrade(head, (size_t)n);
    }
    int fd = p->fd;
    struct sockaddr_storage addr = p->addr;
    socklen_t addrlen = p->addrlen;
    drop(l, p);
    if (maybe_h2) {
        h2c_connection_start(l->h2, fd);
    } else if (upgrade) {
        ws_server_adopt(l->ws, fd, head, (size_t)n);
    } else if (MHD_add_connection(l->daemon, fd, (struct sockaddr *)&addr, addrlen) != MHD_YES) {
        /* libmicrohttpd closes the socket itself when it refuses it */
        log_warn("listener: libmicrohttpd refused a connection");
    }
}

static void accept_all(struct listener *l)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addrlen = sizeof addr;
        int fd = accept4(l->fd, (struct sockaddr *)&addr, &addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or an error to retry on the next wake-up */
        int slot = -1;
        for (int i = 0; i < MAX_PENDING && slot < 0; i++)
            if (!l->pending[i])
                slot = i;
        struct pending *p = slot >= 0 ? calloc(1, sizeof *p) : NULL;
        if (!p) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        p->fd = fd;
        p->since_ms = time_now_ms();
        p->addr = addr;
        p->addrlen = addrlen;
        l->pending[slot] = p;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = p};
        if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            l->pending[slot] = NULL;
            free(p);
            continue;
        }
        /* Most clients have already sent their first bytes: decide at once. */
        decide(l, p);
    }
}

static void expire(struct listener *l)
{
    int64_t cutoff = time_now_ms() - (int64_t)l->timeout_s * 1000;
    for (int i = 0; i < MAX_PENDING; i++) {
        struct pending *p = l->pending[i];
        if (p && p->since_ms < cutoff) {
            close(p->fd);
            drop(l, p);
        }
    }
}

static void *run(void *arg)
{
    struct listener *l = arg;
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(l->ep, events, 64, 1000);
        for (int i = 0; i < n; i++) {
            void *ptr = events[i].data.ptr;
            if (ptr == &l->wake)
                return NULL;
            if (ptr == &l->fd)
                accept_all(l);
            else
                decide(l, ptr);
        }
        expire(l);
    }
}

int listener_start(struct sockaddr *addr, unsigned addrlen, struct MHD_Daemon *daemon,
                   struct ws_server *ws, unsigned timeout_s, struct listener **out, int *port,
                   char *err, size_t errlen)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l)
        return PARLEY_ENOMEM;
    l->daemon = daemon;
    l->ws = ws;
    l->timeout_s = timeout_s;
    l->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l->fd, addr, addrlen) != 0 || listen(l->fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen: %s", strerror(errno));
        if (l->fd >= 0)
            close(l->fd);
        free(l);
        return PARLEY_EIO;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(l->fd, (struct sockaddr *)&bound, &blen);
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    l->h2 = h2c_new(daemon);
    l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->fd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &l->wake};
    if (!l->h2 || l->wake < 0 || l->ep < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->fd, &ev) ||
        epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &wev) ||
        pthread_create(&l->thread, NULL, run, l) != 0) {
        snprintf(err, errlen, "cannot start the listener thread");
        close(l->fd);
        h2c_free(l->h2);
        free(l);
        return PARLEY_EIO;
    }
    *out = l;
    return 0;
}

void listener_stop(struct listener *l)
{
    if (!l)
        return;
    uint64_t one = 1;
    if (write(l->wake, &one, sizeof one) < 0)
        log_warn("listener: cannot wake the acceptor");
    pthread_join(l->thread, NULL);
    close(l->fd);
    for (int i = 0; i < MAX_PENDING; i++) {
        if (l->pending[i]) {
            close(l->pending[i]->fd);
            free(l->pending[i]);
        }
    }
    close(l->wake);
    close(l->ep);
    /* HTTP/2 connections finish the streams they have and close. */
    h2c_free(l->h2);
    free(l);
}
