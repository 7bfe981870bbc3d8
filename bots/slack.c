/*
 * The Slack channel: Events API, slash commands and interactions in, replies
 * out through the Web API (chat.postMessage) or a slash command's
 * response_url.
 *
 * A request is verified over its raw bytes before anything is parsed
 * (slack_signature_verify). An event is answered 200 at once on the listener
 * thread, after its event_id has been claimed in the store (a put that only
 * succeeds when no record exists, kept for dedupeTtlSeconds), so a retry —
 * also one arriving after a restart — finds the claim and is dropped. The
 * turn is then submitted to the engine (bot_turn_submit: its workers, its
 * per-session ordering); its completion renders the reply and queues it for
 * the channel's sender threads, which post with libcurl and retry: 429 waits
 * Retry-After, network errors and 5xx back off, anything else is logged and
 * dropped.
 *
 * A slash command holds its request: if the turn ends within
 * commandTimeoutMs the answer is the response itself; otherwise the timer
 * thread acknowledges with an empty 200 and the answer goes to response_url
 * when the turn ends. Whichever of the two comes first answers; a small
 * reference count frees the command's state after both.
 *
 * Secrets (signing secret, bot token) are read once at startup and never
 * logged; the access log never sees them (they travel in headers only).
 */
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bots/bots.h"
#include "bots/bots_internal.h"
#include "bots/slack.h"
#include "bots/slack_internal.h"
#include "common/common.h"
#include "server/config.h"
#include "server/http.h"
#include "store/store.h"

#define EVENTS_NS "slack_events"
#define DEFAULT_API_URL "https://slack.com/api"
#define MAX_ATTEMPTS 5
#define MAX_RETRY_AFTER_S 60
#define MAX_REPLY_BYTES (64u << 10)
#define MAX_SECRET_BYTES 4096

/* What /metrics counts per bot: requests by outcome, then replies by outcome. */
#define SLACK_COUNTS(XX)                                                                           \
    XX(REFUSED, requests, "refused")                                                               \
    XX(EVENT, requests, "event")                                                                   \
    XX(DUPLICATE, requests, "duplicate")                                                           \
    XX(IGNORED, requests, "ignored")                                                               \
    XX(COMMAND, requests, "command")                                                               \
    XX(INTERACTION, requests, "interaction")                                                       \
    XX(POSTED, replies, "posted")                                                                  \
    XX(RETRIED, replies, "retried")                                                                \
    XX(DROPPED, replies, "dropped")

enum slack_count {
#define XX(name, family, label) SLACK_C_##name,
    SLACK_COUNTS(XX)
#undef XX
        SLACK_NCOUNTS
};

struct slack_bot {
    char *bot;            /* the Parley bot; also the route segment */
    char *alias;          /* "$LATEST" or an alias */
    char *signing_secret; /* NULL: the routes answer 503 */
    char *token;          /* NULL: replies cannot be posted (logged) */
    char *bot_user_id;    /* NULL: only bot_id tells our own messages apart */
    char *api_url;        /* without a trailing slash */
    bool app_mention, message_im;
    uint64_t counts[SLACK_NCOUNTS]; /* GET /metrics; updated with __atomic builtins */
};

struct post_job {
    struct post_job *next;
    struct slack_bot *sb;
    char *url;
    bool web_api; /* chat.postMessage: bearer token, {ok} in the answer */
    char *body;
    size_t len;
};

struct command; /* a slash command waiting for its turn */

struct slack_channel {
    struct bot_engine *engine;
    struct store *st;
    struct slack_bot *bots;
    size_t nbots;
    size_t max_body;
    unsigned dedupe_ttl_s;
    unsigned command_timeout_ms;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* a job was queued, a turn ended, a command was added, stopping */
    struct post_job *head, *tail;
    size_t queued;
    unsigned pending_turns; /* submitted to the engine, done not yet called */
    struct command *commands;
    bool stopping;
    pthread_t *senders;
    unsigned nsenders;
    pthread_t timer;
    bool timer_started;
    bool curl_ready;
};

/* ---- small helpers ---- */

static void count(struct slack_bot *sb, enum slack_count c)
{
    __atomic_fetch_add(&sb->counts[c], 1, __ATOMIC_RELAXED);
}

static void metrics_source(struct buf *out, void *ud)
{
    struct slack_channel *ch = ud;
    static const char *const family[] = {
#define XX(name, fam, label) #fam,
        SLACK_COUNTS(XX)
#undef XX
    };
    static const char *const label[] = {
#define XX(name, fam, lab) lab,
        SLACK_COUNTS(XX)
#undef XX
    };
    static const char *const families[][2] = {
        {"requests", "Slack requests by bot and outcome."},
        {"replies", "Slack replies (chat.postMessage, response_url) by bot and outcome."}};
    for (int f = 0; f < 2; f++) {
        buf_printf(out, "# HELP parley_slack_%s_total %s\n# TYPE parley_slack_%s_total counter\n",
                   families[f][0], families[f][1], families[f][0]);
        for (size_t i = 0; i < ch->nbots; i++)
            for (int c = 0; c < SLACK_NCOUNTS; c++)
                if (strcmp(family[c], families[f][0]) == 0)
                    buf_printf(out, "parley_slack_%s_total{bot=\"%s\",outcome=\"%s\"} %llu\n",
                               family[c], ch->bots[i].bot, label[c],
                               (unsigned long long)__atomic_load_n(&ch->bots[i].counts[c],
                                                                   __ATOMIC_RELAXED));
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---- posting (sender threads) ---- */

struct http_answer {
    long status;
    long retry_after_s; /* -1 when absent */
    struct buf body;
};

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct http_answer *a = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char tmp[32];
        size_t k = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
        memcpy(tmp, data + 12, k);
        tmp[k] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0)
            a->retry_after_s = v;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct http_answer *a = ud;
    buf_append(&a->body, data, size * n); /* past the cap the rest is dropped */
    return size * n;
}

/* One attempt; status 0 is a transport error. */
static void post_once(const struct post_job *j, struct http_answer *a)
{
    a->status = 0;
    a->retry_after_s = -1;
    buf_reset(&a->body);
    CURL *c = curl_easy_init();
    if (!c)
        return;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    char *auth = NULL;
    if (j->web_api && j->sb->token) {
        size_t n = strlen(j->sb->token) + 32;
        auth = malloc(n);
        if (auth) {
            snprintf(auth, n, "Authorization: Bearer %s", j->sb->token);
            h = curl_slist_append(h, auth);
        }
    }
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)j->len);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (auth) {
        OPENSSL_cleanse(auth, strlen(auth));
        free(auth);
    }
}

/* Sleeps up to ms, returning early (false) when the channel is stopping. */
static bool wait_ms(struct slack_channel *ch, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ch->lock);
    while (!ch->stopping) {
        if (pthread_cond_timedwait(&ch->cond, &ch->lock, &until) != 0)
            break;
    }
    bool ok = !ch->stopping;
    pthread_mutex_unlock(&ch->lock);
    return ok;
}

static void post_with_retries(struct slack_channel *ch, const struct post_job *j)
{
    const char *what = j->web_api ? "chat.postMessage" : "response_url";
    if (j->web_api && !j->sb->token) {
        log_warn("slack %s: no bot token is configured; the reply is dropped", j->sb->bot);
        count(j->sb, SLACK_C_DROPPED);
        return;
    }
    struct http_answer a = {.body = BUF_INIT(MAX_REPLY_BYTES)};
    bool posted = false;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        post_once(j, &a);
        long wait_s = -1;
        if (a.status >= 200 && a.status < 300) {
            posted = true;
            if (!j->web_api)
                break;
            cJSON *r = a.body.data ? cJSON_ParseWithLength(a.body.data, a.body.len) : NULL;
            const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
            if (!cJSON_IsTrue(ok)) {
                const char *e = json_string(r, "error");
                log_error("slack %s: %s failed: %s; the reply is dropped", j->sb->bot, what,
                          e ? e : "the answer is not {\"ok\": true}");
                posted = false;
            }
            cJSON_Delete(r);
            break;
        }
        if (a.status == 429) {
            wait_s = a.retry_after_s >= 0 ? a.retry_after_s : 1;
            if (wait_s > MAX_RETRY_AFTER_S)
                wait_s = MAX_RETRY_AFTER_S;
        } else if (a.status == 0 || a.status >= 500) {
            wait_s = 1L << (attempt - 1);
        } else {
            log_error("slack %s: %s answered HTTP %ld; the reply is dropped", j->sb->bot, what,
                      a.status);
            break;
        }
        if (attempt == MAX_ATTEMPTS) {
            log_error("slack %s: %s failed %d times (last: %s%ld); the reply is dropped",
                      j->sb->bot, what, MAX_ATTEMPTS, a.status ? "HTTP " : "transport error ",
                      a.status);
            break;
        }
        count(j->sb, SLACK_C_RETRIED);
        log_warn("slack %s: %s answered %s%ld; retrying in %ld s", j->sb->bot, what,
                 a.status ? "HTTP " : "transport error ", a.status, wait_s);
        if (!wait_ms(ch, wait_s * 1000)) {
            log_error("slack %s: stopping; the reply to retry is dropped", j->sb->bot);
            break;
        }
    }
    count(j->sb, posted ? SLACK_C_POSTED : SLACK_C_DROPPED);
    buf_release(&a.body);
}

static void post_job_free(struct post_job *j)
{
    if (!j)
        return;
    free(j->url);
    free(j->body);
    free(j);
}

static void *sender_main(void *arg)
{
    struct slack_channel *ch = arg;
    for (;;) {
        pthread_mutex_lock(&ch->lock);
        while (!ch->head && !(ch->stopping && ch->pending_turns == 0))
            pthread_cond_wait(&ch->cond, &ch->lock);
        struct post_job *j = ch->head;
        if (j) {
            ch->head = j->next;
            if (!ch->head)
                ch->tail = NULL;
            ch->queued--;
        }
        pthread_mutex_unlock(&ch->lock);
        if (!j)
            return NULL;
        post_with_retries(ch, j);
        post_job_free(j);
    }
}

/* Queues a reply (taking msg). */
static void queue_post(struct slack_channel *ch, struct slack_bot *sb, const char *url,
                       bool web_api, cJSON *msg)
{
    struct post_job *j = calloc(1, sizeof *j);
    if (j) {
        j->sb = sb;
        j->web_api = web_api;
        j->url = strdup(url);
        j->body = json_print(msg, &j->len);
    }
    cJSON_Delete(msg);
    if (!j || !j->url || !j->body) {
        log_error("slack %s: out of memory; a reply is dropped", sb->bot);
        post_job_free(j);
        return;
    }
    pthread_mutex_lock(&ch->lock);
    if (ch->tail)
        ch->tail->next = j;
    else
        ch->head = j;
    ch->tail = j;
    ch->queued++;
    pthread_cond_broadcast(&ch->cond);
    pthread_mutex_unlock(&ch->lock);
}

static void queue_chat_post(struct slack_channel *ch, struct slack_bot *sb, cJSON *msg)
{
    char url[2048];
    snprintf(url, sizeof url, "%s/chat.postMessage", sb->api_url);
    queue_post(ch, sb, url, true, msg);
}

/* What a user sees when the turn failed. */
static cJSON *error_outcome(int err, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    char text[600];
    if (err == PARLEY_EIO || err == PARLEY_ETIMEDOUT)
        snprintf(text, sizeof text, "Sorry, I could not do that: %s", message);
    else if (err == PARLEY_EBUSY)
        snprintf(text, sizeof text, "Sorry, I am too busy right now. Please try again.");
    else
        snprintf(text, sizeof text, "Sorry, something went wrong: %s", message);
    cJSON_AddStringToObject(o, "message", text);
    return o;
}

/* ---- turns ---- */

struct turn_ctx {
    struct slack_channel *ch;
    struct slack_bot *sb;
    char *channel;
    char *thread_ts;
};

static void turn_ctx_free(struct turn_ctx *t)
{
    free(t->channel);
    free(t->thread_ts);
    free(t);
}

static void turn_finished(struct slack_channel *ch)
{
    pthread_mutex_lock(&ch->lock);
    ch->pending_turns--;
    pthread_cond_broadcast(&ch->cond);
    pthread_mutex_unlock(&ch->lock);
}

/* An event's or a click's turn ended: post the reply in the conversation. */
static void on_turn_done(cJSON *outcome, int err, const char *message, void *ud)
{
    struct turn_ctx *t = ud;
    if (err) {
        log_warn("slack %s: the turn failed: %s", t->sb->bot, message ? message : "");
        outcome = error_outcome(err, message ? message : "");
    }
    cJSON *msg = slack_message_render(outcome, t->channel, t->thread_ts);
    cJSON_Delete(outcome);
    if (msg)
        queue_chat_post(t->ch, t->sb, msg);
    struct slack_channel *ch = t->ch;
    turn_ctx_free(t);
    turn_finished(ch);
}

static void submit_turn(struct slack_channel *ch, struct slack_bot *sb, const char *user,
                        const char *text, void *ctx, bot_turn_done_fn done)
{
    pthread_mutex_lock(&ch->lock);
    ch->pending_turns++;
    pthread_mutex_unlock(&ch->lock);
    struct bot_turn turn = {
        .bot = sb->bot, .alias = sb->alias, .user = user, .text = text, .channel = "slack"};
    bot_turn_submit(ch->engine, &turn, done, ctx);
}

/* ---- requests: the common gate ---- */

/* The bot for the request, verified; NULL when the request was answered (404, 503, 401). */
static struct slack_bot *find_bot(struct slack_channel *ch, struct http_request *req)
{
    const char *name = http_request_param(req, "bot");
    for (size_t i = 0; name && i < ch->nbots; i++)
        if (strcmp(ch->bots[i].bot, name) == 0)
            return &ch->bots[i];
    return NULL;
}

static struct slack_bot *gate(struct slack_channel *ch, struct http_request *req)
{
    struct slack_bot *sb = find_bot(ch, req);
    if (!sb) {
        http_respond_error(req, 404, NULL, "No bot is connected to Slack under this name.");
        return NULL;
    }
    if (!sb->signing_secret) {
        http_respond_error(req, 503, NULL,
                           "This bot has no Slack signing secret configured; see docs/slack.md.");
        return NULL;
    }
    size_t len;
    const char *body = http_request_body(req, &len);
    const char *why = NULL;
    if (slack_signature_verify(sb->signing_secret,
                               http_request_header(req, "X-Slack-Request-Timestamp"),
                               http_request_header(req, "X-Slack-Signature"), body, len,
                               time_now_ms() / 1000, &why) != 0) {
        log_debug("slack %s: request %s refused: %s", sb->bot, http_request_id(req), why);
        count(sb, SLACK_C_REFUSED);
        http_respond_error(req, 401, NULL, "The request signature is not valid.");
        return NULL;
    }
    return sb;
}

/* ---- Events API ---- */

/* Claims event_id in the store; false when it was claimed before (a retry or a replay). */
static bool claim_event(struct slack_channel *ch, struct slack_bot *sb, const char *event_id)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", sb->bot, event_id);
    char now[32];
    int64_t t = time_now_ms();
    int n = snprintf(now, sizeof now, "%lld", (long long)t);
    struct store_put_opts o = {.expect_version = STORE_NO_RECORD,
                               .expires_at_ms = t + (int64_t)ch->dedupe_ttl_s * 1000};
    int rc = store_put(ch->st, EVENTS_NS, key, now, (size_t)n, &o, NULL);
    if (rc == PARLEY_ECONFLICT)
        return false;
    if (rc != 0) /* the store failed: answer rather than stay silent */
        log_error("slack %s: cannot record event %s: %s", sb->bot, event_id, parley_strerror(rc));
    return true;
}

static void handle_event(struct slack_channel *ch, struct slack_bot *sb, const cJSON *env)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(env, "event");
    const char *type = json_string(ev, "type");
    const char *event_id = json_string(env, "event_id");
    if (!type || !event_id)
        return;
    bool mention = strcmp(type, "app_mention") == 0;
    if (mention
            ? !sb->app_mention
            : !(strcmp(type, "message") == 0 && sb->message_im && json_string(ev, "channel_type") &&
                strcmp(json_string(ev, "channel_type"), "im") == 0))
        return;
    const char *user = json_string(ev, "user");
    const char *channel = json_string(ev, "channel");
    const char *text = json_string(ev, "text");
    if (cJSON_GetObjectItemCaseSensitive(ev, "bot_id") || json_string(ev, "subtype") || !user ||
        !channel || !text || (sb->bot_user_id && strcmp(user, sb->bot_user_id) == 0)) {
        count(sb, SLACK_C_IGNORED);
        return; /* bots (ourselves included), edits, joins: nothing to answer */
    }
    char *clean = slack_strip_mentions(text, sb->bot_user_id);
    if (!clean || !*clean) {
        free(clean);
        return;
    }
    if (!claim_event(ch, sb, event_id)) {
        count(sb, SLACK_C_DUPLICATE);
        log_info("slack %s: event %s was already handled; ignored", sb->bot, event_id);
        free(clean);
        return;
    }
    /* A mention is answered in its thread (one is started at the message); the thread is
       also the session, so replying in it continues the dialog. */
    const char *thread = json_string(ev, "thread_ts");
    if (!thread && mention)
        thread = json_string(ev, "ts");
    const char *team = json_string(env, "team_id");
    if (!team)
        team = json_string(ev, "team");
    char sess[128];
    slack_session_user(sess, sizeof sess, team, user, channel, thread);
    count(sb, SLACK_C_EVENT);
    struct turn_ctx *t = calloc(1, sizeof *t);
    if (!t) {
        free(clean);
        return;
    }
    t->ch = ch;
    t->sb = sb;
    t->channel = strdup(channel);
    t->thread_ts = dup_or_null(thread);
    submit_turn(ch, sb, sess, clean, t, on_turn_done);
    free(clean);
}

static void handle_events(struct http_request *req, void *ud)
{
    struct slack_channel *ch = ud;
    struct slack_bot *sb = gate(ch, req);
    if (!sb)
        return;
    size_t len;
    const char *body = http_request_body(req, &len);
    cJSON *env = cJSON_ParseWithLength(body, len);
    const char *type = json_string(env, "type");
    if (!type) {
        cJSON_Delete(env);
        http_respond_error(req, 400, NULL, "The body is not a Slack Events API envelope.");
        return;
    }
    if (strcmp(type, "url_verification") == 0) {
        const char *challenge = json_string(env, "challenge");
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "challenge", challenge ? challenge : "");
        http_respond_json(req, 200, r);
        cJSON_Delete(r);
        cJSON_Delete(env);
        return;
    }
    /* Acknowledge first: Slack waits 3 seconds at most. req is gone after this. */
    http_respond(req, http_response_new(200));
    if (strcmp(type, "event_callback") == 0)
        handle_event(ch, sb, env);
    cJSON_Delete(env);
}

/* ---- interactions (button clicks) ---- */

static void handle_interactions(struct http_request *req, void *ud)
{
    struct slack_channel *ch = ud;
    struct slack_bot *sb = gate(ch, req);
    if (!sb)
        return;
    size_t len;
    const char *body = http_request_body(req, &len);
    char *payload = slack_form_get(body, len, "payload");
    cJSON *p = payload ? cJSON_Parse(payload) : NULL;
    free(payload);
    const char *type = json_string(p, "type");
    if (!type) {
        cJSON_Delete(p);
        http_respond_error(req, 400, NULL, "The body has no payload= with an interaction.");
        return;
    }
    http_respond(req, http_response_new(200));
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(p, "actions");
    const cJSON *action = cJSON_GetArrayItem(actions, 0);
    const char *value = json_string(action, "value");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(p, "user");
    const cJSON *channel = cJSON_GetObjectItemCaseSensitive(p, "channel");
    const cJSON *team = cJSON_GetObjectItemCaseSensitive(p, "team");
    const cJSON *container = cJSON_GetObjectItemCaseSensitive(p, "container");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(p, "message");
    const char *uid = json_string(user, "id");
    const char *cid = json_string(channel, "id");
    if (!cid)
        cid = json_string(container, "channel_id");
    const char *tid = json_string(team, "id");
    if (!tid)
        tid = json_string(user, "team_id");
    const char *thread = json_string(container, "thread_ts");
    if (!thread)
        thread = json_string(message, "thread_ts");
    if (strcmp(type, "block_actions") != 0 || !value || !*value || !uid || !cid) {
        cJSON_Delete(p);
        return;
    }
    count(sb, SLACK_C_INTERACTION);
    char sess[128];
    slack_session_user(sess, sizeof sess, tid, uid, cid, thread);
    struct turn_ctx *t = calloc(1, sizeof *t);
    if (t) {
        t->ch = ch;
        t->sb = sb;
        t->channel = strdup(cid);
        t->thread_ts = dup_or_null(thread);
        submit_turn(ch, sb, sess, value, t, on_turn_done);
    }
    cJSON_Delete(p);
}

/* ---- slash commands ---- */

struct command {
    struct command *next; /* in ch->commands while the timer may still answer */
    struct slack_channel *ch;
    struct slack_bot *sb;
    struct http_request *req;
    char *response_url;
    int64_t deadline_us;
    bool answered; /* under ch->lock */
    int refs;      /* under ch->lock: the turn and the timer list */
};

static void command_unref_locked(struct command *c)
{
    if (--c->refs == 0) {
        free(c->response_url);
        free(c);
    }
}

static void unlink_command_locked(struct slack_channel *ch, struct command *c)
{
    for (struct command **pp = &ch->commands; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            command_unref_locked(c);
            return;
        }
    }
}

static void on_command_done(cJSON *outcome, int err, const char *message, void *ud)
{
    struct command *c = ud;
    struct slack_channel *ch = c->ch;
    if (err)
        outcome = error_outcome(err, message ? message : "");
    cJSON *msg = slack_message_render(outcome, NULL, NULL);
    cJSON_Delete(outcome);
    if (msg)
        cJSON_AddStringToObject(msg, "response_type", "in_channel");
    pthread_mutex_lock(&ch->lock);
    bool in_time = !c->answered;
    c->answered = true;
    struct http_request *req = c->req;
    unlink_command_locked(ch, c);
    pthread_mutex_unlock(&ch->lock);
    if (in_time) {
        if (msg)
            http_respond_json(req, 200, msg);
        else
            http_respond(req, http_response_new(200));
        cJSON_Delete(msg);
    } else if (msg && c->response_url) {
        queue_post(ch, c->sb, c->response_url, false, msg);
    } else {
        cJSON_Delete(msg);
    }
    pthread_mutex_lock(&ch->lock);
    command_unref_locked(c);
    pthread_mutex_unlock(&ch->lock);
    turn_finished(ch);
}

static void *timer_main(void *arg)
{
    struct slack_channel *ch = arg;
    pthread_mutex_lock(&ch->lock);
    for (;;) {
        int64_t now = time_mono_us(), next = 0;
        for (struct command **pp = &ch->commands; *pp;) {
            struct command *c = *pp;
            if (c->deadline_us <= now) {
                /* too slow: acknowledge now, the answer goes to response_url later */
                *pp = c->next;
                c->answered = true;
                struct http_request *req = c->req;
                command_unref_locked(c);
                pthread_mutex_unlock(&ch->lock);
                http_respond(req, http_response_new(200));
                pthread_mutex_lock(&ch->lock);
                pp = &ch->commands; /* the list may have changed meanwhile */
                now = time_mono_us();
                continue;
            }
            if (!next || c->deadline_us < next)
                next = c->deadline_us;
            pp = &c->next;
        }
        if (ch->stopping && !ch->commands && ch->pending_turns == 0)
            break;
        if (!next) {
            pthread_cond_wait(&ch->cond, &ch->lock);
        } else {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t wait = next - now;
            until.tv_sec += wait / 1000000;
            until.tv_nsec += (wait % 1000000) * 1000;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&ch->cond, &ch->lock, &until);
        }
    }
    pthread_mutex_unlock(&ch->lock);
    return NULL;
}

static void handle_commands(struct http_request *req, void *ud)
{
    struct slack_channel *ch = ud;
    size_t len;
    const char *body = http_request_body(req, &len);
    /* Slack's SSL check may come unsigned (bolt lets it through too): an empty 200 that
       reads nothing else and reaches no bot. */
    char *ssl = slack_form_get(body, len, "ssl_check");
    bool ssl_check = ssl && strcmp(ssl, "1") == 0;
    free(ssl);
    if (ssl_check && find_bot(ch, req)) {
        http_respond(req, http_response_new(200));
        return;
    }
    struct slack_bot *sb = gate(ch, req);
    if (!sb)
        return;
    char *text = slack_form_get(body, len, "text");
    char *user = slack_form_get(body, len, "user_id");
    char *channel = slack_form_get(body, len, "channel_id");
    char *team = slack_form_get(body, len, "team_id");
    char *command = slack_form_get(body, len, "command");
    char *response_url = slack_form_get(body, len, "response_url");
    if (!user || !channel) {
        http_respond_error(req, 400, NULL, "The slash command has no user_id or channel_id.");
    } else if (!text || !*text) {
        cJSON *r = cJSON_CreateObject();
        char hint[200];
        snprintf(hint, sizeof hint, "Say what you want after the command, e.g. `%s hello`.",
                 command ? command : "/command");
        cJSON_AddStringToObject(r, "response_type", "ephemeral");
        cJSON_AddStringToObject(r, "text", hint);
        http_respond_json(req, 200, r);
        cJSON_Delete(r);
    } else {
        struct command *c = calloc(1, sizeof *c);
        if (!c) {
            http_respond_error(req, 503, NULL, "Out of memory.");
        } else {
            count(sb, SLACK_C_COMMAND);
            char sess[128];
            slack_session_user(sess, sizeof sess, team, user, channel, NULL);
            c->ch = ch;
            c->sb = sb;
            c->req = req;
            c->refs = 2;
            c->response_url = response_url;
            response_url = NULL;
            c->deadline_us = time_mono_us() + (int64_t)ch->command_timeout_ms * 1000;
            pthread_mutex_lock(&ch->lock);
            c->next = ch->commands;
            ch->commands = c;
            pthread_cond_broadcast(&ch->cond);
            pthread_mutex_unlock(&ch->lock);
            submit_turn(ch, sb, sess, text, c, on_command_done);
        }
    }
    free(text);
    free(user);
    free(channel);
    free(team);
    free(command);
    free(response_url);
}

/* ---- configuration ---- */

/* A secret from an environment variable or a file; NULL when unset or empty. */
static char *read_secret(const struct parley_config *cfg, const char *env, const char *file)
{
    if (env) {
        const char *v = getenv(env);
        return v && *v ? strdup(v) : NULL;
    }
    if (!file)
        return NULL;
    char *path = config_path_resolve(cfg, file);
    FILE *f = path ? fopen(path, "rb") : NULL;
    free(path);
    if (!f)
        return NULL;
    char tmp[MAX_SECRET_BYTES + 1];
    size_t n = fread(tmp, 1, MAX_SECRET_BYTES, f);
    fclose(f);
    while (n > 0 && isspace((unsigned char)tmp[n - 1]))
        n--;
    tmp[n] = '\0';
    char *s = n ? strdup(tmp) : NULL;
    OPENSSL_cleanse(tmp, sizeof tmp);
    return s;
}

static bool known_key(const char *k, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(k, *keys) == 0)
            return true;
    return k[0] == '$'; /* "$comment" */
}

static int check_string(const cJSON *obj, const char *key, const char *file, const char *where,
                        const char **out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !*v->valuestring) {
        snprintf(err, errlen, "%s: %s.%s: must be a non-empty string", file, where, key);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

static int check_uint(const cJSON *obj, const char *key, const char *file, unsigned min,
                      unsigned max, unsigned dflt, unsigned *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = dflt;
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max) {
        snprintf(err, errlen, "%s: slack.%s: must be an integer from %u to %u", file, key, min,
                 max);
        return -1;
    }
    *out = (unsigned)v->valuedouble;
    return 0;
}

static int load_bot(struct slack_channel *ch, const struct parley_config *cfg, const cJSON *b,
                    const char *where, struct slack_bot *sb, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "bot",         "alias",        "signingSecretEnv", "signingSecretFile",
        "botTokenEnv", "botTokenFile", "botUserId",        "botUserIdEnv",
        "apiUrl",      "apiUrlEnv",    "events",           NULL};
    const char *f = cfg->path;
    if (!cJSON_IsObject(b)) {
        snprintf(err, errlen, "%s: %s: must be an object {bot, signingSecretEnv, ...}", f, where);
        return -1;
    }
    for (const cJSON *k = b->child; k; k = k->next) {
        if (!known_key(k->string, keys)) {
            snprintf(err, errlen, "%s: %s.%s: unknown key (see docs/slack.md)", f, where,
                     k->string);
            return -1;
        }
    }
    const char *bot, *alias, *sse, *ssf, *bte, *btf, *uid, *uide, *url, *urle;
    if (check_string(b, "bot", f, where, &bot, err, errlen) ||
        check_string(b, "alias", f, where, &alias, err, errlen) ||
        check_string(b, "signingSecretEnv", f, where, &sse, err, errlen) ||
        check_string(b, "signingSecretFile", f, where, &ssf, err, errlen) ||
        check_string(b, "botTokenEnv", f, where, &bte, err, errlen) ||
        check_string(b, "botTokenFile", f, where, &btf, err, errlen) ||
        check_string(b, "botUserId", f, where, &uid, err, errlen) ||
        check_string(b, "botUserIdEnv", f, where, &uide, err, errlen) ||
        check_string(b, "apiUrl", f, where, &url, err, errlen) ||
        check_string(b, "apiUrlEnv", f, where, &urle, err, errlen))
        return -1;
    if (!bot) {
        snprintf(err, errlen, "%s: %s.bot: is required (the name of a bot in \"bots\")", f, where);
        return -1;
    }
    if (!alias)
        alias = "$LATEST";
    struct bot_def *d = bot_engine_resolve(ch->engine, bot, alias);
    if (!d) {
        snprintf(err, errlen, "%s: %s.%s: no bot %s with alias %s is loaded", f, where,
                 strcmp(alias, "$LATEST") ? "alias" : "bot", bot, alias);
        return -1;
    }
    bot_def_unref(d);
    for (size_t i = 0; i < ch->nbots; i++) {
        if (strcmp(ch->bots[i].bot, bot) == 0) {
            snprintf(err, errlen, "%s: %s.bot: %s is connected to Slack twice", f, where, bot);
            return -1;
        }
    }
    if (!sse == !ssf) {
        snprintf(err, errlen,
                 "%s: %s.signingSecretEnv: needs exactly one of signingSecretEnv (an environment "
                 "variable name) or signingSecretFile",
                 f, where);
        return -1;
    }
    if (bte && btf) {
        snprintf(err, errlen, "%s: %s.botTokenEnv: give botTokenEnv or botTokenFile, not both", f,
                 where);
        return -1;
    }
    if ((uid && uide) || (url && urle)) {
        snprintf(err, errlen, "%s: %s.%s: give the value or the Env key, not both", f, where,
                 uid && uide ? "botUserId" : "apiUrl");
        return -1;
    }
    sb->bot = strdup(bot);
    sb->alias = strdup(alias);
    sb->signing_secret = read_secret(cfg, sse, ssf);
    sb->token = read_secret(cfg, bte, btf);
    const char *uv = uide ? getenv(uide) : uid;
    sb->bot_user_id = uv && *uv ? strdup(uv) : NULL;
    const char *api = urle ? getenv(urle) : url;
    if (!api || !*api)
        api = DEFAULT_API_URL;
    if (strncmp(api, "http://", 7) != 0 && strncmp(api, "https://", 8) != 0) {
        snprintf(err, errlen, "%s: %s.%s: must be an http:// or https:// URL", f, where,
                 urle ? "apiUrlEnv" : "apiUrl");
        return -1;
    }
    sb->api_url = strdup(api);
    size_t n = strlen(sb->api_url);
    while (n > 0 && sb->api_url[n - 1] == '/')
        sb->api_url[--n] = '\0';
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(b, "events");
    if (!events) {
        sb->app_mention = true;
    } else if (!cJSON_IsArray(events)) {
        snprintf(err, errlen, "%s: %s.events: must be an array of \"app_mention\", \"message.im\"",
                 f, where);
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, "app_mention") == 0) {
            sb->app_mention = true;
        } else if (cJSON_IsString(e) && strcmp(e->valuestring, "message.im") == 0) {
            sb->message_im = true;
        } else {
            snprintf(err, errlen,
                     "%s: %s.events: only \"app_mention\" and \"message.im\" are known", f, where);
            return -1;
        }
    }
    if (!sb->signing_secret)
        log_warn("slack %s: the signing secret (%s %s) is not set; /slack/%s/* answers 503", bot,
                 sse ? "environment variable" : "file", sse ? sse : ssf, bot);
    if (!sb->token)
        log_warn("slack %s: no bot token is set (%s); replies cannot be posted", bot,
                 bte   ? bte
                 : btf ? btf
                       : "botTokenEnv/botTokenFile missing");
    if (!sb->bot_user_id)
        log_warn("slack %s: the bot user id is not set; only bot_id tells our own messages apart",
                 bot);
    return 0;
}

int slack_channel_new(const struct parley_config *cfg, struct bot_engine *engine,
                      struct slack_channel **out, char *err, size_t errlen)
{
    *out = NULL;
    struct slack_channel *ch = calloc(1, sizeof *ch);
    if (!ch) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ch->engine = engine;
    ch->st = bot_engine_store(engine);
    pthread_mutex_init(&ch->lock, NULL);
    pthread_cond_init(&ch->cond, NULL);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg->doc, "slack");
    static const char *const keys[] = {
        "bots", "workers", "maxBodyBytes", "dedupeTtlSeconds", "commandTimeoutMs", NULL};
    unsigned workers, max_body;
    int result = -1;
    for (const cJSON *k = s ? s->child : NULL; k; k = k->next) {
        if (!known_key(k->string, keys)) {
            snprintf(err, errlen, "%s: slack.%s: unknown key (see docs/slack.md)", cfg->path,
                     k->string);
            goto out;
        }
    }
    if (check_uint(s, "workers", cfg->path, 1, 64, 4, &workers, err, errlen) ||
        check_uint(s, "maxBodyBytes", cfg->path, 1024, 64u << 20, 1u << 20, &max_body, err,
                   errlen) ||
        check_uint(s, "dedupeTtlSeconds", cfg->path, 600, 7 * 86400, 3600, &ch->dedupe_ttl_s, err,
                   errlen) ||
        check_uint(s, "commandTimeoutMs", cfg->path, 100, 2900, 2500, &ch->command_timeout_ms, err,
                   errlen))
        goto out;
    ch->max_body = max_body;
    const cJSON *bots = cJSON_GetObjectItemCaseSensitive(s, "bots");
    if (bots && !cJSON_IsArray(bots)) {
        snprintf(err, errlen, "%s: slack.bots: must be an array", cfg->path);
        goto out;
    }
    int nb = cJSON_GetArraySize(bots);
    ch->bots = calloc((size_t)nb + 1, sizeof *ch->bots);
    if (!ch->bots)
        goto out;
    const cJSON *b;
    cJSON_ArrayForEach(b, bots)
    {
        char where[64];
        snprintf(where, sizeof where, "slack.bots[%zu]", ch->nbots);
        int rc = load_bot(ch, cfg, b, where, &ch->bots[ch->nbots], err, errlen);
        ch->nbots++; /* freed with the others even when half loaded */
        if (rc)
            goto out;
    }
    if (ch->nbots) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        ch->curl_ready = true;
        ch->senders = calloc(workers, sizeof *ch->senders);
        for (unsigned i = 0; ch->senders && i < workers; i++)
            if (pthread_create(&ch->senders[i], NULL, sender_main, ch) == 0)
                ch->nsenders++;
        if (pthread_create(&ch->timer, NULL, timer_main, ch) == 0)
            ch->timer_started = true;
        if (!ch->nsenders || !ch->timer_started) {
            snprintf(err, errlen, "cannot start the Slack threads");
            goto out;
        }
    }
    result = 0;
out:
    if (result) {
        slack_channel_free(ch);
        return -1;
    }
    *out = ch;
    return 0;
}

int slack_routes_add(struct slack_channel *ch, struct http_server *srv)
{
    if (!ch || !ch->nbots)
        return 0;
    struct http_route_opts o = {.errors = HTTP_ERRORS_TEXT, .max_body_bytes = ch->max_body};
    http_metrics_source_add(srv, metrics_source, ch);
    if (http_route_add(srv, "POST", "/slack/{bot}/events", &o, handle_events, ch) ||
        http_route_add(srv, "POST", "/slack/{bot}/commands", &o, handle_commands, ch) ||
        http_route_add(srv, "POST", "/slack/{bot}/interactions", &o, handle_interactions, ch))
        return PARLEY_EINVAL;
    return 0;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void slack_channel_free(struct slack_channel *ch)
{
    if (!ch)
        return;
    pthread_mutex_lock(&ch->lock);
    /* turns in flight still queue their replies; the threads leave once all is sent */
    while (ch->pending_turns > 0)
        pthread_cond_wait(&ch->cond, &ch->lock);
    ch->stopping = true;
    pthread_cond_broadcast(&ch->cond);
    pthread_mutex_unlock(&ch->lock);
    for (unsigned i = 0; i < ch->nsenders; i++)
        pthread_join(ch->senders[i], NULL);
    if (ch->timer_started)
        pthread_join(ch->timer, NULL);
    while (ch->head) {
        struct post_job *j = ch->head;
        ch->head = j->next;
        post_job_free(j);
    }
    for (size_t i = 0; i < ch->nbots; i++) {
        struct slack_bot *sb = &ch->bots[i];
        free(sb->bot);
        free(sb->alias);
        free_secret(sb->signing_secret);
        free_secret(sb->token);
        free(sb->bot_user_id);
        free(sb->api_url);
    }
    free(ch->bots);
    free(ch->senders);
    if (ch->curl_ready)
        curl_global_cleanup();
    pthread_mutex_destroy(&ch->lock);
    pthread_cond_destroy(&ch->cond);
    free(ch);
}
