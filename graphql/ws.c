/*
 * GraphQL over WebSocket: the `graphql-transport-ws` protocol (graphql-ws's
 * PROTOCOL.md) on `GET /graphql` upgrades, over server/ws.h, with every
 * operation run by graphql/service.h as the HTTP endpoint runs it.
 *
 * A connection starts unacknowledged: the client has init_timeout_ms to send
 * connection_init (else 4408), whose payload may carry the admin token
 * ({"Authorization": "Bearer ..."} or {"token": "..."}, at the top or in
 * "headers" as GraphiQL sends them; a wrong one is 4403, the HTTP endpoint's
 * rule for its Authorization header); a second init is 4429. After connection_ack, each subscribe
 * runs one operation under the client's id: a query or mutation executes once (next, then
 * complete), a subscription registers with graphql_service_subscribe and each of its events (a
 * turn, executed by the service) is sent as next. A request error (syntax, validation, limits,
 * variables, no token for a private field) is one error message with the errors array. A complete
 * from the client ends the operation; closing the socket ends them all. Anything that is not the
 * protocol — not JSON, an unknown type, a subscribe without an id or a
 * query, an id still running (4409), a subscribe before the ack (4401) —
 * closes the socket with a 44xx code, as the protocol says.
 *
 * Threads. server/ws.c calls us on its single service thread, which must
 * never wait. It parses messages, answers init/ping/complete, learns each
 * subscribe's kind (graphql_service_operation: a prepare through the
 * service's cache, bounded by the graphql limits) and starts subscriptions
 * itself (registering is quick), so a subscription listens before the
 * client's next message is read. Queries and mutations go to a small worker pool through a
 * bounded queue: a postText mutation can wait seconds for a code hook.
 * Events arrive on the bot engine's worker that ran the turn, in turn order,
 * and are queued on the socket with ws_conn_send, which never blocks (ws.c
 * closes a client that leaves 256 messages unread, 1008). One timer thread
 * closes the connections whose init is late: the timeout is the same for
 * all, so the waiting connections form a FIFO.
 *
 * Memory. struct gws_conn (one per socket, ws.c's conn_ud) is
 * reference-counted: the socket holds one reference until closed(), and an
 * operation's first step (starting it, or running it on a worker) another.
 * An operation (struct gws_op) is on its connection's list from subscribe
 * until it completes or is completed, at most max_operations of them; its
 * fields are under the connection's mutex. While `running` (its first step)
 * it belongs to that step: whoever unlinks it meanwhile (complete, close)
 * only marks it `cancelled`, and the step frees it. Subscriptions are ended
 * (graphql_subscription_free, which waits out an event in flight, whose
 * callback takes the connection's mutex) outside that mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/common.h"
#include "graphql/graphql.h"
#include "graphql/service_internal.h"
#include "graphql/ws.h"
#include "server/ws.h"

#define GWS_PATH "/graphql"
#define GWS_SUBPROTOCOL "graphql-transport-ws"
#define GWS_WORKERS 4     /* queries and mutations at once, all connections together */
#define GWS_MAX_JOBS 1024 /* subscribes waiting for a worker, all connections together */
#define GWS_MAX_ID 128    /* bytes of an operation id */
#define GWS_MAX_OPS_CAP 1000

/* The close codes of graphql-ws (its CloseCode enum). */
enum gws_close {
    GWS_BAD_REQUEST = 4400,
    GWS_UNAUTHORIZED = 4401,
    GWS_FORBIDDEN = 4403,
    GWS_INIT_TIMEOUT = 4408,
    GWS_SUBSCRIBER_EXISTS = 4409,
    GWS_TOO_MANY_INITS = 4429,
    GWS_INTERNAL = 4500,
};

struct gws_conn;

struct gws_op {
    struct gws_op *next; /* on conn->ops */
    struct gws_conn *conn;
    char id[GWS_MAX_ID + 1];
    cJSON *payload;                   /* the subscribe's payload (owned) until a worker runs it */
    struct graphql_subscription *sub; /* a subscription's, once started */
    bool running;                     /* a worker owns it */
    bool cancelled;                   /* unlinked while running: the worker frees it */
    struct gws_op *next_job;
};

struct gws_conn {
    struct graphql_ws *g;
    struct ws_conn *c; /* a reference, from established() until the conn is freed */
    pthread_mutex_t mu;
    int refs;            /* under mu */
    bool closed;         /* under mu: the socket is gone */
    bool init_received;  /* under mu */
    bool acked;          /* under mu */
    char *authorization; /* "Bearer TOKEN" from connection_init, or NULL; set before the ack */
    struct gws_op *ops;  /* under mu */
    unsigned nops;       /* under mu */
    /* on g->waiting (under g->mu) until connection_init or close */
    bool waiting;
    int64_t init_deadline_us;
    struct gws_conn *wait_prev, *wait_next;
};

struct graphql_ws {
    struct graphql_service *svc;
    struct graphql_ws_options opts;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job is queued, or stopping */
    pthread_cond_t tick; /* a connection started waiting for init, or stopping */
    struct gws_op *jobs_head, *jobs_tail;
    unsigned njobs;
    struct gws_conn *wait_head, *wait_tail;
    bool stopping;
    pthread_t workers[GWS_WORKERS];
    int nworkers;
    pthread_t timer;
    bool timer_started;
};

/* ---- connections and operations ---- */

static void conn_unref(struct gws_conn *cc)
{
    pthread_mutex_lock(&cc->mu);
    bool last = --cc->refs == 0;
    pthread_mutex_unlock(&cc->mu);
    if (!last)
        return;
    if (cc->c)
        ws_conn_unref(cc->c);
    free(cc->authorization);
    pthread_mutex_destroy(&cc->mu);
    free(cc);
}

static void op_free(struct gws_op *op)
{
    if (!op)
        return;
    cJSON_Delete(op->payload);
    free(op);
}

/* Under cc->mu: the operation with this id, or NULL; *prevp gets the link pointing at it. */
static struct gws_op *op_find(struct gws_conn *cc, const char *id, struct gws_op ***prevp)
{
    for (struct gws_op **p = &cc->ops; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            if (prevp)
                *prevp = p;
            return *p;
        }
    return NULL;
}

/*
 * Under cc->mu: unlinks op. A running op is left to its worker (marked cancelled); returns
 * op when the caller must stop its listener and free it (outside the mutex).
 */
static struct gws_op *op_unlink(struct gws_conn *cc, struct gws_op **prev)
{
    struct gws_op *op = *prev;
    *prev = op->next;
    op->next = NULL;
    cc->nops--;
    if (op->running) {
        op->cancelled = true;
        return NULL;
    }
    return op;
}

/* Outside cc->mu: ends a subscription (waiting out an event in flight) and frees the op. */
static void op_stop(struct gws_op *op)
{
    if (op)
        graphql_subscription_free(op->sub);
    op_free(op);
}

/* ---- messages out ---- */

static void send_json(struct gws_conn *cc, cJSON *j)
{
    size_t len;
    char *text = j ? json_print(j, &len) : NULL;
    if (text)
        ws_conn_send(cc->c, text, len);
    free(text);
    cJSON_Delete(j);
}

static cJSON *msg_new(const char *type, const char *id)
{
    cJSON *j = cJSON_CreateObject();
    if (j && !cJSON_AddStringToObject(j, "type", type)) {
        cJSON_Delete(j);
        return NULL;
    }
    if (j && id && !cJSON_AddStringToObject(j, "id", id)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Sends {"id", "type", "payload"}; takes payload (deleted in any case). */
static void send_payload(struct gws_conn *cc, const char *type, const char *id, cJSON *payload)
{
    cJSON *j = msg_new(type, id);
    if (!j || !payload || !cJSON_AddItemToObject(j, "payload", payload)) {
        cJSON_Delete(payload);
        cJSON_Delete(j);
        ws_conn_close(cc->c, GWS_INTERNAL, "out of memory");
        return;
    }
    send_json(cc, j);
}

static void send_errors(struct gws_conn *cc, const char *id, const struct gql_errors *errs)
{
    send_payload(cc, "error", id, gql_errors_to_json(errs));
}

static void send_error_message(struct gws_conn *cc, const char *id, const char *message)
{
    struct gql_errors errs = GQL_ERRORS_INIT;
    gql_errors_add(&errs, NULL, NULL, 0, "%s", message);
    send_errors(cc, id, &errs);
    gql_errors_release(&errs);
}

/* ---- the init deadline: g->wait_head .. wait_tail, oldest first ---- */

/* Under g->mu. */
static void wait_unlink(struct graphql_ws *g, struct gws_conn *cc)
{
    if (!cc->waiting)
        return;
    if (cc->wait_prev)
        cc->wait_prev->wait_next = cc->wait_next;
    else
        g->wait_head = cc->wait_next;
    if (cc->wait_next)
        cc->wait_next->wait_prev = cc->wait_prev;
    else
        g->wait_tail = cc->wait_prev;
    cc->waiting = false;
    cc->wait_prev = cc->wait_next = NULL;
}

static void *timer_main(void *arg)
{
    struct graphql_ws *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct gws_conn *cc = g->wait_head;
        if (!cc) {
            pthread_cond_wait(&g->tick, &g->mu);
            continue;
        }
        int64_t now = time_mono_us();
        if (cc->init_deadline_us > now) {
            /* pthread_cond_timedwait takes CLOCK_REALTIME: sleep the difference from now. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = ts.tv_nsec + (cc->init_deadline_us - now) * 1000;
            ts.tv_sec += (time_t)(ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&g->tick, &g->mu, &ts);
            continue;
        }
        wait_unlink(g, cc);
        /* Still referenced: closed() takes it off the list under g->mu before dropping its ref. */
        ws_conn_close(cc->c, GWS_INIT_TIMEOUT, "Connection initialisation timeout");
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- the workers: subscribe ---- */

/* The payload's variables and operation name, checked (4400 when malformed). */
static bool payload_well_formed(const cJSON *payload)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(payload, "query");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, "variables");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(payload, "operationName");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(payload, "extensions");
    return cJSON_IsString(q) && (!v || cJSON_IsNull(v) || cJSON_IsObject(v)) &&
           (!n || cJSON_IsNull(n) || cJSON_IsString(n)) &&
           (!e || cJSON_IsNull(e) || cJSON_IsObject(e));
}

/* One event of a subscription, on the engine worker that ran the turn: queued, never waited on. */
static void on_event(const cJSON *response, void *ud)
{
    struct gws_op *op = ud;
    struct gws_conn *cc = op->conn;
    pthread_mutex_lock(&cc->mu);
    bool live = !cc->closed && !op->cancelled;
    pthread_mutex_unlock(&cc->mu);
    if (!live)
        return;
    /* The response is borrowed: printed in place into the message, not copied. */
    size_t len;
    char *payload = json_print(response, &len);
    struct buf b = BUF_INIT(len + 6 * GWS_MAX_ID + 64); /* an id escaped: at most 6 bytes a byte */
    if (!payload || buf_puts(&b, "{\"id\":") || buf_json_string(&b, op->id, strlen(op->id)) ||
        buf_puts(&b, ",\"type\":\"next\",\"payload\":") || buf_append(&b, payload, len) ||
        buf_puts(&b, "}"))
        ws_conn_close(cc->c, GWS_INTERNAL, "out of memory");
    else
        ws_conn_send(cc->c, b.data, b.len);
    buf_release(&b);
    free(payload);
}

/* A request error's response ({"errors": [...]}) as an error message: its errors array. */
static void send_request_error(struct gws_conn *cc, const char *id, cJSON *response)
{
    cJSON *errors = cJSON_DetachItemFromObjectCaseSensitive(response, "errors");
    cJSON_Delete(response);
    if (!cJSON_IsArray(errors)) { /* the service always says why; just in case */
        cJSON_Delete(errors);
        send_error_message(cc, id, "The operation could not be run.");
        return;
    }
    send_payload(cc, "error", id, errors);
}

/* The request a subscribe's payload makes (borrowing from op->payload and the connection). */
static void request_of(const struct gws_op *op, struct graphql_request *r)
{
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(op->payload, "query");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(op->payload, "variables");
    const cJSON *ext = cJSON_GetObjectItemCaseSensitive(op->payload, "extensions");
    *r = (struct graphql_request){
        .query = query->valuestring,
        .query_len = strlen(query->valuestring),
        .operation_name = json_string(op->payload, "operationName"),
        .variables = cJSON_IsObject(vars) ? vars : NULL,
        .extensions = cJSON_IsObject(ext) ? ext : NULL,
        .authorization = op->conn->authorization, /* set once, before the ack */
        .channel = "graphql-ws",
    };
}

/*
 * The end of a subscribe's first step: hands the op back to its connection (a started
 * subscription), or unlinks and frees it when it is over or was cancelled meanwhile.
 * Drops the step's connection reference.
 */
static void op_settle(struct gws_op *op, bool done)
{
    struct gws_conn *cc = op->conn;
    cJSON_Delete(op->payload);
    op->payload = NULL;
    pthread_mutex_lock(&cc->mu);
    bool drop = done || op->cancelled || cc->closed;
    if (!op->cancelled && done) {
        struct gws_op **prev = NULL;
        if (op_find(cc, op->id, &prev) == op) {
            *prev = op->next;
            cc->nops--;
        }
    }
    op->running = false;
    pthread_mutex_unlock(&cc->mu);
    if (drop)
        op_stop(op); /* a subscription started meanwhile is ended here */
    conn_unref(cc);
}

/* A subscription: registers for its events. Fast (the document is prepared already). */
static void start_subscription(struct graphql_ws *g, struct gws_op *op,
                               const struct graphql_request *r)
{
    struct gws_conn *cc = op->conn;
    cJSON *response = NULL;
    enum graphql_status st =
        graphql_service_subscribe(g->svc, r, on_event, op, &op->sub, &response);
    bool done = true;
    if (st == GRAPHQL_STATUS_OK && op->sub)
        done = false;
    else if (response)
        send_request_error(cc, op->id, response);
    else
        ws_conn_close(cc->c, GWS_INTERNAL, "out of memory");
    op_settle(op, done);
}

/* A query or mutation (or a document that does not prepare: the errors say why), on a worker. */
static void run_single(struct graphql_ws *g, struct gws_op *op)
{
    struct gws_conn *cc = op->conn;
    struct graphql_request r;
    request_of(op, &r);
    enum graphql_status st = GRAPHQL_STATUS_OK;
    /* data as raw JSON text: printed into the next message as it is */
    cJSON *response = graphql_service_execute(g->svc, &r, GRAPHQL_RAW_DATA, &st);
    pthread_mutex_lock(&cc->mu);
    bool cancelled = op->cancelled;
    pthread_mutex_unlock(&cc->mu);
    if (!response) {
        ws_conn_close(cc->c, GWS_INTERNAL, "out of memory");
    } else if (cancelled) {
        cJSON_Delete(response); /* the client completed it first: nothing more to say */
    } else if (st != GRAPHQL_STATUS_OK) {
        send_request_error(cc, op->id, response);
    } else {
        send_payload(cc, "next", op->id, response);
        send_json(cc, msg_new("complete", op->id));
    }
    op_settle(op, true);
}

static void *worker_main(void *arg)
{
    struct graphql_ws *g = arg;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->jobs_head && !g->stopping)
            pthread_cond_wait(&g->work, &g->mu);
        if (g->stopping)
            break;
        struct gws_op *op = g->jobs_head;
        g->jobs_head = op->next_job;
        if (!g->jobs_head)
            g->jobs_tail = NULL;
        g->njobs--;
        pthread_mutex_unlock(&g->mu);
        run_single(g, op);
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- the route: server/ws.c's service thread ---- */

static int on_open(void *ud, const char *path, const char *origin, const char *host, void **conn_ud,
                   char *why, size_t whylen)
{
    (void)origin; /* the token, not the page, is what protects private data: any page may ask */
    (void)host;
    struct graphql_ws *g = ud;
    if (strcmp(path, GWS_PATH) != 0) {
        snprintf(why, whylen, "GraphQL over WebSocket is at " GWS_PATH ".");
        return 404;
    }
    struct gws_conn *cc = calloc(1, sizeof *cc);
    if (!cc) {
        snprintf(why, whylen, "The server is out of memory.");
        return 503;
    }
    cc->g = g;
    cc->refs = 1; /* the socket's, dropped in on_closed */
    pthread_mutex_init(&cc->mu, NULL);
    *conn_ud = cc;
    return 0;
}

static void on_established(struct ws_conn *c, void *conn_ud)
{
    struct gws_conn *cc = conn_ud;
    struct graphql_ws *g = cc->g;
    ws_conn_ref(c);
    cc->c = c;
    pthread_mutex_lock(&g->mu);
    cc->init_deadline_us = time_mono_us() + (int64_t)g->opts.init_timeout_ms * 1000;
    cc->waiting = true;
    cc->wait_prev = g->wait_tail;
    if (g->wait_tail)
        g->wait_tail->wait_next = cc;
    else
        g->wait_head = cc;
    g->wait_tail = cc;
    pthread_cond_signal(&g->tick);
    pthread_mutex_unlock(&g->mu);
}

/*
 * The token of a connection_init payload: "Authorization": "Bearer T" (any case of the key)
 * or "token": "T", at the top or in "headers" (what GraphiQL's fetcher sends).
 */
static const char *init_token(const cJSON *payload)
{
    for (const cJSON *k = payload ? payload->child : NULL; k; k = k->next) {
        if (!k->string)
            continue;
        if (cJSON_IsString(k) && strcasecmp(k->string, "Authorization") == 0) {
            const char *v = k->valuestring;
            return strncasecmp(v, "Bearer ", 7) == 0 ? v + 7 : v;
        }
        if (cJSON_IsString(k) && strcmp(k->string, "token") == 0)
            return k->valuestring;
    }
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(payload, "headers");
    return cJSON_IsObject(headers) ? init_token(headers) : NULL;
}

static void on_init(struct gws_conn *cc, const cJSON *msg)
{
    struct graphql_ws *g = cc->g;
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(msg, "payload");
    if (payload && !cJSON_IsNull(payload) && !cJSON_IsObject(payload)) {
        ws_conn_close(cc->c, GWS_BAD_REQUEST, "connection_init payload must be an object");
        return;
    }
    pthread_mutex_lock(&g->mu);
    wait_unlink(g, cc);
    pthread_mutex_unlock(&g->mu);
    pthread_mutex_lock(&cc->mu);
    bool again = cc->init_received;
    cc->init_received = true;
    pthread_mutex_unlock(&cc->mu);
    if (again) {
        ws_conn_close(cc->c, GWS_TOO_MANY_INITS, "Too many initialisation requests");
        return;
    }
    const char *token = init_token(cJSON_IsObject(payload) ? payload : NULL);
    char *authorization = NULL;
    if (token) {
        size_t n = strlen(token) + sizeof "Bearer ";
        if (!(authorization = malloc(n))) {
            ws_conn_close(cc->c, GWS_INTERNAL, "out of memory");
            return;
        }
        snprintf(authorization, n, "Bearer %s", token);
    }
    if (graphql_service_check_authorization(g->svc, authorization) != 0) {
        free(authorization);
        ws_conn_close(cc->c, GWS_FORBIDDEN, "Forbidden");
        return;
    }
    pthread_mutex_lock(&cc->mu);
    cc->acked = true;
    cc->authorization = authorization;
    pthread_mutex_unlock(&cc->mu);
    send_json(cc, msg_new("connection_ack", NULL));
}

static void on_subscribe(struct gws_conn *cc, cJSON *msg, const char *id)
{
    struct graphql_ws *g = cc->g;
    cJSON *payload = cJSON_GetObjectItemCaseSensitive(msg, "payload");
    if (!cJSON_IsObject(payload) || !payload_well_formed(payload)) {
        ws_conn_close(cc->c, GWS_BAD_REQUEST,
                      "subscribe needs a payload {query, variables?, operationName?}");
        return;
    }
    pthread_mutex_lock(&cc->mu);
    if (!cc->acked) {
        pthread_mutex_unlock(&cc->mu);
        ws_conn_close(cc->c, GWS_UNAUTHORIZED, "Unauthorized");
        return;
    }
    if (op_find(cc, id, NULL)) {
        pthread_mutex_unlock(&cc->mu);
        char reason[GWS_MAX_ID + 40];
        snprintf(reason, sizeof reason, "Subscriber for %s already exists", id);
        ws_conn_close(cc->c, GWS_SUBSCRIBER_EXISTS, reason);
        return;
    }
    if (cc->nops >= g->opts.max_operations) {
        pthread_mutex_unlock(&cc->mu);
        char why[160];
        snprintf(why, sizeof why,
                 "This connection already runs %u operations, the most it may; complete one "
                 "first.",
                 g->opts.max_operations);
        send_error_message(cc, id, why);
        return;
    }
    struct gws_op *op = calloc(1, sizeof *op);
    if (!op) {
        pthread_mutex_unlock(&cc->mu);
        send_error_message(cc, id, "The server is out of memory.");
        return;
    }
    snprintf(op->id, sizeof op->id, "%s", id);
    op->conn = cc;
    op->payload = cJSON_DetachItemViaPointer(msg, payload);
    op->running = true;
    op->next = cc->ops;
    cc->ops = op;
    cc->nops++;
    cc->refs++; /* the first step's, dropped by op_settle */
    pthread_mutex_unlock(&cc->mu);

    /*
     * A subscription starts here, before the next message is read, so that a client that
     * subscribes and then acts (or asks anything on this socket and gets the answer) knows it
     * listens already. Queries and mutations may wait (code hooks): they go to the workers.
     */
    struct graphql_request r;
    request_of(op, &r);
    enum gql_operation_type type = GQL_QUERY;
    if (graphql_service_operation(g->svc, &r, &type) == GQL_OK && type == GQL_SUBSCRIPTION) {
        start_subscription(g, op, &r);
        return;
    }

    pthread_mutex_lock(&g->mu);
    bool full = g->njobs >= GWS_MAX_JOBS || g->stopping;
    if (!full) {
        op->next_job = NULL;
        if (g->jobs_tail)
            g->jobs_tail->next_job = op;
        else
            g->jobs_head = op;
        g->jobs_tail = op;
        g->njobs++;
        pthread_cond_signal(&g->work);
    }
    pthread_mutex_unlock(&g->mu);
    if (full) {
        pthread_mutex_lock(&cc->mu);
        struct gws_op **prev = NULL;
        if (op_find(cc, op->id, &prev) == op) {
            *prev = op->next;
            cc->nops--;
        }
        cc->refs--; /* the first step's; the socket's own keeps it above zero */
        pthread_mutex_unlock(&cc->mu);
        op_free(op);
        send_error_message(cc, id, "The server is busy; retry in a moment.");
    }
}

static void on_complete(struct gws_conn *cc, const char *id)
{
    pthread_mutex_lock(&cc->mu);
    struct gws_op **prev = NULL;
    struct gws_op *op = op_find(cc, id, &prev) ? op_unlink(cc, prev) : NULL;
    pthread_mutex_unlock(&cc->mu);
    op_stop(op); /* none: an unknown or finished id is not an error */
}

static void on_message(struct ws_conn *c, void *conn_ud, const char *data, size_t len)
{
    (void)c;
    struct gws_conn *cc = conn_ud;
    cJSON *msg = cJSON_ParseWithLength(data, len);
    const char *type = cJSON_IsObject(msg) ? json_string(msg, "type") : NULL;
    if (!type) {
        ws_conn_close(cc->c, GWS_BAD_REQUEST, "Invalid message received");
        goto out;
    }
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const char *id = cJSON_IsString(idj) && idj->valuestring[0] ? idj->valuestring : NULL;
    if (strcmp(type, "connection_init") == 0) {
        on_init(cc, msg);
    } else if (strcmp(type, "ping") == 0 || strcmp(type, "pong") == 0) {
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(msg, "payload");
        if (payload && !cJSON_IsNull(payload) && !cJSON_IsObject(payload)) {
            ws_conn_close(cc->c, GWS_BAD_REQUEST, "ping and pong payloads are objects");
        } else if (type[1] == 'i') { /* ping: pong at once, with the same payload */
            cJSON *pong = msg_new("pong", NULL);
            if (pong && cJSON_IsObject(payload))
                cJSON_AddItemToObject(pong, "payload", cJSON_Duplicate(payload, true));
            send_json(cc, pong);
        }
    } else if (strcmp(type, "subscribe") == 0 || strcmp(type, "complete") == 0) {
        if (!id || strlen(id) > GWS_MAX_ID) {
            ws_conn_close(cc->c, GWS_BAD_REQUEST, "an operation id is a string of 1-128 bytes");
        } else if (type[0] == 's') {
            on_subscribe(cc, msg, id);
        } else {
            on_complete(cc, id);
        }
    } else {
        char reason[64];
        snprintf(reason, sizeof reason, "Unexpected message of type %.24s received", type);
        ws_conn_close(cc->c, GWS_BAD_REQUEST, reason);
    }
out:
    cJSON_Delete(msg);
}

static void on_oversize(struct ws_conn *c, void *conn_ud)
{
    (void)c;
    (void)conn_ud; /* ws.c closes with 1009 */
}

static void on_closed(void *conn_ud)
{
    struct gws_conn *cc = conn_ud;
    struct graphql_ws *g = cc->g;
    pthread_mutex_lock(&g->mu);
    wait_unlink(g, cc);
    pthread_mutex_unlock(&g->mu);
    pthread_mutex_lock(&cc->mu);
    cc->closed = true;
    struct gws_op *stop = NULL;
    while (cc->ops) {
        struct gws_op *op = op_unlink(cc, &cc->ops);
        if (op) {
            op->next = stop;
            stop = op;
        }
    }
    pthread_mutex_unlock(&cc->mu);
    while (stop) {
        struct gws_op *op = stop;
        stop = op->next;
        op_stop(op);
    }
    conn_unref(cc);
}

static const struct ws_route_ops gws_ops = {
    .open = on_open,
    .established = on_established,
    .message = on_message,
    .oversize = on_oversize,
    .closed = on_closed,
    .subprotocol = GWS_SUBPROTOCOL,
};

/* ---- lifecycle ---- */

struct graphql_ws *graphql_ws_new(struct graphql_service *svc, struct ws_server *ws,
                                  const struct graphql_ws_options *opts, char *err, size_t errlen)
{
    struct graphql_ws *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->svc = svc;
    g->opts = *opts;
    /* unset: the configuration's (graphql.wsInitTimeoutMs, graphql.wsMaxOperations, whose
       defaults are 3000 and 100) */
    if (!g->opts.init_timeout_ms)
        g->opts.init_timeout_ms = svc->ws_init_timeout_ms;
    if (!g->opts.max_operations)
        g->opts.max_operations = svc->ws_max_operations;
    if (g->opts.max_operations > GWS_MAX_OPS_CAP)
        g->opts.max_operations = GWS_MAX_OPS_CAP;
    if (!g->opts.max_message)
        g->opts.max_message = 262144; /* graphql.maxDocumentBytes is 100000 by default */
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->work, NULL);
    pthread_cond_init(&g->tick, NULL);
    for (int i = 0; i < GWS_WORKERS; i++) {
        if (pthread_create(&g->workers[i], NULL, worker_main, g) != 0)
            break;
        g->nworkers++;
    }
    g->timer_started = pthread_create(&g->timer, NULL, timer_main, g) == 0;
    if (g->nworkers == 0 || !g->timer_started) {
        snprintf(err, errlen, "cannot start the GraphQL WebSocket threads");
        graphql_ws_free(g);
        return NULL;
    }
    if (ws_route_add(ws, GWS_PATH, g->opts.max_message, &gws_ops, g) != 0) {
        snprintf(err, errlen, "cannot add the GraphQL WebSocket route");
        graphql_ws_free(g);
        return NULL;
    }
    return g;
}

void graphql_ws_free(struct graphql_ws *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = true;
    pthread_cond_broadcast(&g->work);
    pthread_cond_broadcast(&g->tick);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < g->nworkers; i++)
        pthread_join(g->workers[i], NULL);
    if (g->timer_started)
        pthread_join(g->timer, NULL);
    /* Subscribes never picked up: their connections are gone (ws_server_stop came first). */
    while (g->jobs_head) {
        struct gws_op *op = g->jobs_head;
        g->jobs_head = op->next_job;
        struct gws_conn *cc = op->conn;
        pthread_mutex_lock(&cc->mu);
        bool cancelled = op->cancelled;
        if (!cancelled) {
            struct gws_op **prev = NULL;
            if (op_find(cc, op->id, &prev) == op) {
                *prev = op->next;
                cc->nops--;
            }
        }
        pthread_mutex_unlock(&cc->mu);
        op_free(op);
        conn_unref(cc);
    }
    pthread_cond_destroy(&g->work);
    pthread_cond_destroy(&g->tick);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
