/*
 * The durable queue of `Event` invocations.
 *
 * An Event invocation is written to the store (namespace "lambda_events",
 * key = enqueue time in ms, zero-padded, + the request id, so that listing
 * is FIFO) before the caller gets its 202, so it survives a crash or a
 * restart. One thread lists the events that are due and invokes them
 * (RequestResponse, up to MAX_INFLIGHT at a time); a success deletes the
 * record, a failure counts an attempt and puts the event back with a later
 * notBefore (eventRetryDelayMs, doubled after each failure, as Lambda waits
 * one then two minutes). After three attempts (the first and Lambda's two
 * retries) the event moves to "lambda_events_failed" with the last error,
 * where an operator can read it. An invocation cut short by a shutdown is
 * not an attempt: the record stays and runs again at the next start, so
 * delivery is at least once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/lambda_internal.h"
#include "store/store.h"

#define NS "lambda_events"
#define NS_FAILED "lambda_events_failed"
#define MAX_INFLIGHT 16
#define MAX_ATTEMPTS 3
#define KEY_MAX 80

struct event_queue {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    bool kick;
    unsigned inflight;
    char keys[MAX_INFLIGHT][KEY_MAX]; /* "" = free slot */
};

struct event_call {
    struct lambda_registry *reg;
    char key[KEY_MAX];
    cJSON *record; /* owned */
};

static struct event_queue *queue(struct lambda_registry *reg)
{
    if (reg->events)
        return reg->events;
    struct event_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->cond, NULL);
    reg->events = q;
    return q;
}

int event_enqueue(struct lambda_registry *reg, struct lambda_function *fn, const char *payload,
                  size_t len, const char *client_context, char id_out[40])
{
    if (!reg->st)
        return PARLEY_EINVAL;
    lambda_uuid(id_out);
    char key[KEY_MAX];
    int64_t now = time_now_ms();
    snprintf(key, sizeof key, "%013lld-%s", (long long)now, id_out);
    cJSON *rec = cJSON_CreateObject();
    char *text = malloc(len + 1);
    int rc = rec && text ? 0 : PARLEY_ENOMEM;
    if (rc == 0) {
        memcpy(text, payload, len);
        text[len] = '\0';
        cJSON_AddStringToObject(rec, "id", id_out);
        cJSON_AddStringToObject(rec, "function", fn->name);
        cJSON_AddStringToObject(rec, "payload", text);
        if (client_context)
            cJSON_AddStringToObject(rec, "clientContext", client_context);
        cJSON_AddNumberToObject(rec, "attempts", 0);
        cJSON_AddNumberToObject(rec, "notBefore", (double)now);
        cJSON_AddNumberToObject(rec, "queuedAt", (double)now);
        size_t vlen;
        char *value = json_print(rec, &vlen);
        rc = value ? store_put(reg->st, NS, key, value, vlen, NULL, NULL) : PARLEY_ENOMEM;
        free(value);
    }
    free(text);
    cJSON_Delete(rec);
    if (rc == 0) {
        struct event_queue *q = reg->events;
        if (q) {
            pthread_mutex_lock(&q->lock);
            q->kick = true;
            pthread_cond_signal(&q->cond);
            pthread_mutex_unlock(&q->lock);
        }
    }
    return rc;
}

static void release_slot(struct event_queue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    for (int i = 0; i < MAX_INFLIGHT; i++)
        if (strcmp(q->keys[i], key) == 0) {
            q->keys[i][0] = '\0';
            q->inflight--;
            break;
        }
    q->kick = true;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

static void event_done(const struct lambda_result *r, void *ud)
{
    struct event_call *call = ud;
    struct lambda_registry *reg = call->reg;
    const char *fname = json_string(call->record, "function");
    double attempts = 0;
    json_number(call->record, "attempts", &attempts);
    pthread_mutex_lock(&reg->lock);
    bool stopped = reg->stopping || reg->shut_down; /* cut short: not an attempt */
    pthread_mutex_unlock(&reg->lock);
    if (r->outcome == LAMBDA_OK) {
        store_delete(reg->st, NS, call->key, STORE_ANY_VERSION);
        log_debug("lambda: event %s for %s done", call->key, fname ? fname : "?");
    } else if (!stopped) {
        attempts += 1;
        cJSON_ReplaceItemInObject(call->record, "attempts", cJSON_CreateNumber(attempts));
        cJSON_DeleteItemFromObject(call->record, "lastError");
        cJSON *err = cJSON_AddObjectToObject(call->record, "lastError");
        if (err) {
            cJSON_AddStringToObject(err, "outcome", lambda_outcome_name(r->outcome));
            cJSON_AddStringToObject(err, "requestId", r->request_id ? r->request_id : "");
            char *p = malloc(r->len + 1);
            if (p) {
                memcpy(p, r->payload, r->len);
                p[r->len] = '\0';
                cJSON_AddStringToObject(err, "payload", p);
                free(p);
            }
        }
        struct lambda_function *fn = lambda_function_find(reg, fname);
        unsigned delay = fn ? fn->event_retry_delay_ms : 60000;
        bool give_up = attempts >= MAX_ATTEMPTS || r->outcome == LAMBDA_NOT_FOUND;
        if (!give_up) {
            double not_before = (double)time_now_ms() + (double)delay * (attempts >= 2 ? 2 : 1);
            cJSON_ReplaceItemInObject(call->record, "notBefore", cJSON_CreateNumber(not_before));
        }
        size_t vlen;
        char *value = json_print(call->record, &vlen);
        if (value && give_up) {
            store_put(reg->st, NS_FAILED, call->key, value, vlen, NULL, NULL);
            store_delete(reg->st, NS, call->key, STORE_ANY_VERSION);
            log_error("lambda: event %s for %s failed %d time(s) (%s); moved to %s", call->key,
                      fname ? fname : "?", (int)attempts, lambda_outcome_name(r->outcome),
                      NS_FAILED);
        } else if (value) {
            store_put(reg->st, NS, call->key, value, vlen, NULL, NULL);
            log_warn("lambda: event %s for %s failed (%s); retry %d of %d in %u ms", call->key,
                     fname ? fname : "?", lambda_outcome_name(r->outcome), (int)attempts,
                     MAX_ATTEMPTS - 1, delay * (attempts >= 2 ? 2 : 1));
        }
        free(value);
    }
    release_slot(reg->events, call->key);
    cJSON_Delete(call->record);
    free(call);
}

struct scan {
    struct event_queue *q;
    int64_t now;
    int64_t next_due;
    struct event_call *due[MAX_INFLIGHT];
    int ndue;
    struct lambda_registry *reg;
};

static bool in_flight(struct event_queue *q, const char *key)
{
    for (int i = 0; i < MAX_INFLIGHT; i++)
        if (strcmp(q->keys[i], key) == 0)
            return true;
    return false;
}

static int scan_one(const char *key, const struct store_item *item, void *ud)
{
    struct scan *s = ud;
    if (strlen(key) >= KEY_MAX)
        return 0;
    pthread_mutex_lock(&s->q->lock);
    bool busy = in_flight(s->q, key);
    unsigned free_slots = MAX_INFLIGHT - s->q->inflight - (unsigned)s->ndue;
    pthread_mutex_unlock(&s->q->lock);
    if (busy)
        return 0;
    if (free_slots == 0)
        return 1;
    cJSON *rec = cJSON_ParseWithLength(item->value, item->len);
    double nb = 0;
    if (!rec || !json_string(rec, "function") || !json_string(rec, "payload")) {
        log_error("lambda: event %s is not readable; moved to %s", key, NS_FAILED);
        store_put(s->reg->st, NS_FAILED, key, item->value, item->len, NULL, NULL);
        store_delete(s->reg->st, NS, key, STORE_ANY_VERSION);
        cJSON_Delete(rec);
        return 0;
    }
    json_number(rec, "notBefore", &nb);
    if ((int64_t)nb > s->now) {
        if ((int64_t)nb < s->next_due)
            s->next_due = (int64_t)nb;
        cJSON_Delete(rec);
        return 0;
    }
    struct event_call *call = calloc(1, sizeof *call);
    if (!call) {
        cJSON_Delete(rec);
        return 1;
    }
    call->reg = s->reg;
    snprintf(call->key, sizeof call->key, "%s", key);
    call->record = rec;
    s->due[s->ndue++] = call;
    return 0;
}

static void *events_main(void *arg)
{
    struct lambda_registry *reg = arg;
    struct event_queue *q = reg->events;
    for (;;) {
        struct scan s = {.q = q, .now = time_now_ms(), .next_due = INT64_MAX, .reg = reg};
        store_list(reg->st, NS, "", 1000, scan_one, &s);
        pthread_mutex_lock(&q->lock);
        bool stop = q->stop;
        for (int i = 0; i < s.ndue && !stop; i++)
            for (int j = 0; j < MAX_INFLIGHT; j++)
                if (!q->keys[j][0]) {
                    snprintf(q->keys[j], KEY_MAX, "%s", s.due[i]->key);
                    q->inflight++;
                    break;
                }
        pthread_mutex_unlock(&q->lock);
        for (int i = 0; i < s.ndue; i++) {
            struct event_call *call = s.due[i];
            if (stop) {
                cJSON_Delete(call->record);
                free(call);
                continue;
            }
            const char *payload = json_string(call->record, "payload");
            struct lambda_invoke_opts o = {.type = LAMBDA_REQUEST_RESPONSE,
                                           .client_context =
                                               json_string(call->record, "clientContext")};
            lambda_invoke(reg, json_string(call->record, "function"), payload, strlen(payload), &o,
                          event_done, call);
        }
        if (stop)
            break;
        pthread_mutex_lock(&q->lock);
        int64_t wait_ms = 1000;
        if (s.next_due != INT64_MAX && s.next_due - time_now_ms() < wait_ms)
            wait_ms = s.next_due - time_now_ms();
        if (wait_ms < 1)
            wait_ms = 1;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)wait_ms * 1000000ull;
        until.tv_sec += (time_t)(ns / 1000000000ull);
        until.tv_nsec = (long)(ns % 1000000000ull);
        while (!q->kick && !q->stop)
            if (pthread_cond_timedwait(&q->cond, &q->lock, &until) != 0)
                break;
        q->kick = false;
        stop = q->stop;
        pthread_mutex_unlock(&q->lock);
        if (stop)
            break;
    }
    return NULL;
}

int event_queue_start(struct lambda_registry *reg)
{
    if (!reg->st || reg->nfns == 0)
        return 0;
    struct event_queue *q = queue(reg);
    if (!q)
        return PARLEY_ENOMEM;
    if (q->started)
        return 0;
    if (pthread_create(&q->thread, NULL, events_main, reg) != 0)
        return PARLEY_EIO;
    q->started = true;
    return 0;
}

void event_queue_stop(struct lambda_registry *reg)
{
    struct event_queue *q = reg->events;
    if (!q || !q->started)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    q->started = false;
}

void event_queue_free(struct lambda_registry *reg)
{
    struct event_queue *q = reg->events;
    if (!q)
        return;
    event_queue_stop(reg);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
    reg->events = NULL;
}
