/*
 * Routes for the integration tests, registered only when the config sets
 * server.debugRoutes: a request that takes a given time (to test graceful
 * shutdown and suspended connections) and raw store reads and writes (to
 * test durability under kill -9). Never enable them in production.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "server/http.h"
#include "server/server_internal.h"
#include "store/store.h"

struct sleeper {
    struct http_request *req;
    long ms;
};

static void *sleep_then_answer(void *arg)
{
    struct sleeper *sl = arg;
    struct timespec ts = {sl->ms / 1000, (sl->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "slept_ms", (double)sl->ms);
    /* A body large enough to need several writes, so a cut response would show. */
    char *pad = malloc(64 * 1024 + 1);
    if (pad) {
        memset(pad, 'x', 64 * 1024);
        pad[64 * 1024] = '\0';
        cJSON_AddStringToObject(j, "pad", pad);
        free(pad);
    }
    http_respond_json(sl->req, 200, j);
    cJSON_Delete(j);
    free(sl);
    return NULL;
}

/* GET /debug/sleep?ms=N: answers after N ms from another thread (the connection is suspended). */
static void handle_sleep(struct http_request *req, void *ud)
{
    const char *q = http_request_query(req, "ms");
    char *end = NULL;
    long ms = q ? strtol(q, &end, 10) : -1;
    if (!q || *end || ms < 0 || ms > 10000) {
        http_respond_error(req, 400, NULL, "ms must be an integer from 0 to 10000");
        return;
    }
    struct sleeper *sl = malloc(sizeof *sl);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!sl) {
        http_respond_error(req, 500, NULL, "out of memory");
    } else {
        sl->req = req;
        sl->ms = ms;
        if (pthread_create(&t, &attr, sleep_then_answer, sl) != 0) {
            free(sl);
            http_respond_error(req, 503, NULL, "cannot start a thread");
        }
    }
    pthread_attr_destroy(&attr);
}

static void handle_store_put(struct http_request *req, void *ud)
{
    struct store *st = ud;
    size_t len;
    const char *body = http_request_body(req, &len);
    int64_t version = 0;
    int rc = store_put(st, "debug", http_request_param(req, "key"), body, len, NULL, &version);
    if (rc) {
        http_respond_error(req, 500, NULL, "store_put failed: %s", parley_strerror(rc));
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "version", (double)version);
    http_respond_json(req, 200, j);
    cJSON_Delete(j);
}

static void handle_store_get(struct http_request *req, void *ud)
{
    struct store *st = ud;
    struct store_item item;
    int rc = store_get(st, "debug", http_request_param(req, "key"), &item);
    if (rc) {
        http_respond_error(req, rc == PARLEY_ENOTFOUND ? 404 : 500, NULL, "%s",
                           parley_strerror(rc));
        return;
    }
    struct http_response *r = http_response_new(200);
    http_response_header(r, "Content-Type", "application/octet-stream");
    http_response_body_take(r, item.value, item.len);
    item.value = NULL;
    http_respond(req, r);
}

void debug_routes_add(struct http_server *srv, struct store *st)
{
    http_route_add(srv, "GET", "/debug/sleep", NULL, handle_sleep, NULL);
    http_route_add(srv, "PUT", "/debug/store/{key}", NULL, handle_store_put, st);
    http_route_add(srv, "GET", "/debug/store/{key}", NULL, handle_store_get, st);
}
