/*
 * The conversation log: every completed turn, from any channel, written to
 * the store and handed to the turn listeners (the GraphQL subscription).
 *
 * Three namespaces:
 *   "conversations"  "bot/alias/user"             {id, bot, alias, user, startedAt,
 *                                                   lastActivity, turnCount}
 *   "turns"          "bot/alias/user/NNNNNNNNNN"  the Turn JSON (bots.h), where N is
 *                                                   9999999999 - seq so that key order,
 *                                                   the only order store_list knows, is
 *                                                   newest first
 *   "missed_utterances" "bot"                     {"items": [{key, utterance, count,
 *                                                   firstSeen, lastSeen}]}
 *
 * A conversation's turns are written by one worker at a time (the engine
 * serializes turns per session), so its record is read-modify-written
 * without a retry loop; the compare-and-set only guards against a second
 * server on the same store. Retention is bounded twice: the turn numbered
 * seq - BOT_LOG_MAX_TURNS is deleted when seq is written, and every record
 * expires BOT_LOG_TTL_DAYS after its last write. Missed utterances of a bot
 * share one record (turns of different sessions race on it: compare-and-set
 * with retries) holding at most BOT_MISSED_MAX entries, the least recently
 * seen dropped first.
 *
 * Reading goes through windows: the retained turns of the
 * BOT_LOG_CACHED_CONVERSATIONS most recently read conversations, parsed once
 * and shared by reference count (struct shared_turn: immutable, freed with
 * its last holder, so a reader's borrowed turns outlive an eviction). A
 * logged turn joins its conversation's window when the window is exactly
 * one turn behind; otherwise the window is dropped. A reader passes the
 * conversation's turnCount as it read it (the record is written after the
 * turn), and a window behind that is read again from the store, so a turn
 * written by a racing writer, or by another server, is never missed.
 *
 * Listeners sit in a list under a read-write lock: notifying holds it for
 * reading (listeners run in parallel on the engine's workers), removing
 * takes it for writing, so that once bot_turn_listener_remove returns the
 * callback is neither running nor called again.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "store/store.h"

#define CONV_NS "conversations"
#define TURNS_NS "turns"
#define MISSED_NS "missed_utterances"
#define SEQ_MAX 9999999999LL
#define MISSED_TEXT_MAX 300 /* bytes of an utterance kept */
#define DAY_MS (24LL * 3600 * 1000)

struct listener {
    struct listener *next;
    uint64_t id;
    bot_turn_listener_fn fn;
    void *ud;
};

/* A turn kept parsed in memory: immutable, shared by the window and the readers holding it. */
struct shared_turn {
    int refs; /* atomic */
    int64_t seq;
    int64_t at_ms;
    cJSON *json; /* json_freeze's copy: read-only, freed with free() */
};

/* The newest turns of one recently read conversation: ring[seq % BOT_LOG_MAX_TURNS]. */
struct window {
    struct window *prev, *next; /* most recently used first */
    char *id;
    int64_t newest; /* the newest turn it knows; every retained turn up to it is in the ring */
    struct shared_turn *ring[BOT_LOG_MAX_TURNS];
};

struct bot_turns_hold {
    size_t n;
    struct shared_turn *turns[];
};

struct bot_turnlog {
    struct store *st;
    pthread_rwlock_t lock; /* the listener list */
    struct listener *listeners;
    uint64_t next_id;
    pthread_mutex_t cache_lock; /* the windows */
    struct window *windows;
    size_t nwindows;
};

struct bot_turnlog *bot_turnlog_new(struct store *st)
{
    struct bot_turnlog *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->st = st;
    pthread_rwlock_init(&log->lock, NULL);
    pthread_mutex_init(&log->cache_lock, NULL);
    return log;
}

static void shared_unref(struct shared_turn *t)
{
    if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(t->json); /* json_freeze's */
        free(t);
    }
}

static void window_free(struct window *w)
{
    for (size_t i = 0; i < BOT_LOG_MAX_TURNS; i++)
        shared_unref(w->ring[i]);
    free(w->id);
    free(w);
}

static void window_unlink(struct bot_turnlog *log, struct window *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        log->windows = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    log->nwindows--;
}

static void window_push_front(struct bot_turnlog *log, struct window *w)
{
    w->prev = NULL;
    w->next = log->windows;
    if (log->windows)
        log->windows->prev = w;
    log->windows = w;
    log->nwindows++;
}

static struct window *window_find(struct bot_turnlog *log, const char *id)
{
    for (struct window *w = log->windows; w; w = w->next)
        if (strcmp(w->id, id) == 0)
            return w;
    return NULL;
}

void bot_turnlog_free(struct bot_turnlog *log)
{
    if (!log)
        return;
    while (log->windows) {
        struct window *w = log->windows;
        window_unlink(log, w);
        window_free(w);
    }
    pthread_mutex_destroy(&log->cache_lock);
    while (log->listeners) {
        struct listener *l = log->listeners;
        log->listeners = l->next;
        free(l);
    }
    pthread_rwlock_destroy(&log->lock);
    free(log);
}

/* ---- listeners ---- */

uint64_t bot_turnlog_listen(struct bot_turnlog *log, bot_turn_listener_fn fn, void *ud)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l || !fn) {
        free(l);
        return 0;
    }
    l->fn = fn;
    l->ud = ud;
    pthread_rwlock_wrlock(&log->lock);
    l->id = ++log->next_id;
    l->next = log->listeners;
    log->listeners = l;
    pthread_rwlock_unlock(&log->lock);
    return l->id;
}

void bot_turnlog_unlisten(struct bot_turnlog *log, uint64_t id)
{
    pthread_rwlock_wrlock(&log->lock);
    for (struct listener **p = &log->listeners; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct listener *l = *p;
            *p = l->next;
            free(l);
            break;
        }
    }
    pthread_rwlock_unlock(&log->lock);
}

static void notify(struct bot_turnlog *log, const cJSON *turn)
{
    pthread_rwlock_rdlock(&log->lock);
    for (struct listener *l = log->listeners; l; l = l->next)
        l->fn(turn, l->ud);
    pthread_rwlock_unlock(&log->lock);
}

/* ---- helpers ---- */

static void iso_time(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void turn_key(char *out, size_t n, const char *conv, int64_t seq)
{
    snprintf(out, n, "%s/%010lld", conv, (long long)(SEQ_MAX - seq));
}

static cJSON *read_json(struct store *st, const char *ns, const char *key, int64_t *version)
{
    struct store_item item;
    if (store_get(st, ns, key, &item) != 0)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(item.value, item.len);
    if (version)
        *version = item.version;
    store_item_release(&item);
    return j;
}

static int write_json(struct store *st, const char *ns, const char *key, const cJSON *j,
                      int64_t expect, int64_t expires)
{
    size_t len;
    char *text = json_print(j, &len);
    if (!text)
        return PARLEY_ENOMEM;
    struct store_put_opts o = {.expect_version = expect, .expires_at_ms = expires};
    int rc = store_put(st, ns, key, text, len, &o, NULL);
    free(text);
    return rc;
}

static void add_string_or_null(cJSON *o, const char *name, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, name, s);
    else
        cJSON_AddNullToObject(o, name);
}

static void add_copy_or_null(cJSON *o, const char *name, const cJSON *v)
{
    cJSON_AddItemToObject(o, name, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
}

/* The Turn JSON of bots.h from the outcome. */
static cJSON *turn_json(const struct bot_turn *turn, const cJSON *outcome, const char *conv,
                        int64_t seq, const char *at)
{
    cJSON *t = cJSON_CreateObject();
    char id[1100];
    snprintf(id, sizeof id, "%s/%lld", conv, (long long)seq);
    cJSON_AddStringToObject(t, "id", id);
    cJSON_AddNumberToObject(t, "seq", (double)seq);
    cJSON_AddStringToObject(t, "conversationId", conv);
    cJSON_AddStringToObject(t, "bot", turn->bot);
    cJSON_AddStringToObject(t, "alias", turn->alias);
    cJSON_AddStringToObject(t, "user", turn->user);
    cJSON_AddStringToObject(t, "channel", turn->channel ? turn->channel : "other");
    cJSON_AddStringToObject(t, "at", at);
    cJSON_AddStringToObject(t, "inputText", turn->text ? turn->text : "");
    add_string_or_null(t, "intentName", json_string(outcome, "intentName"));
    double score;
    if (json_number(cJSON_GetObjectItemCaseSensitive(outcome, "nluIntentConfidence"), "score",
                    &score))
        cJSON_AddNumberToObject(t, "confidence", score);
    else
        cJSON_AddNullToObject(t, "confidence");
    add_copy_or_null(t, "slots", cJSON_GetObjectItemCaseSensitive(outcome, "slots"));
    add_copy_or_null(t, "sessionAttributes",
                     cJSON_GetObjectItemCaseSensitive(outcome, "sessionAttributes"));
    const char *state = json_string(outcome, "dialogState");
    cJSON_AddStringToObject(t, "dialogState", state ? state : "ElicitIntent");
    add_string_or_null(t, "slotToElicit", json_string(outcome, "slotToElicit"));
    add_string_or_null(t, "message", json_string(outcome, "message"));
    add_string_or_null(t, "messageFormat", json_string(outcome, "messageFormat"));
    cJSON_AddBoolToObject(t, "fulfilled", state && strcmp(state, "Fulfilled") == 0);
    cJSON_AddBoolToObject(t, "failed", state && strcmp(state, "Failed") == 0);
    const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(outcome, "_v2");
    cJSON_AddBoolToObject(t, "missed",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v2, "missed")));
    add_string_or_null(t, "botVersion", json_string(outcome, "botVersion"));
    add_string_or_null(t, "sessionId", json_string(outcome, "sessionId"));
    return t;
}

/* The member names turn_json writes: a window's turns share them (json_freeze), and a
   reader that looks members up by name can tell them apart by address. */
static const char *const turn_member_names[] = {
    "id",
    "seq",
    "conversationId",
    "bot",
    "alias",
    "user",
    "channel",
    "at",
    "inputText",
    "intentName",
    "confidence",
    "slots",
    "sessionAttributes",
    "dialogState",
    "slotToElicit",
    "message",
    "messageFormat",
    "fulfilled",
    "failed",
    "missed",
    "botVersion",
    "sessionId",
};

/* Lower case, runs of spaces as one, trimmed: the text that counts as "the same". */
static void missed_key(const char *text, char *out, size_t n)
{
    size_t o = 0;
    bool space = false;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < n; p++) {
        if (isspace(*p)) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < n)
            out[o++] = ' ';
        space = false;
        out[o++] = (char)tolower(*p);
    }
    out[o] = '\0';
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence; returns a malloc'd copy. */
static char *utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

static void record_missed(struct store *st, const char *bot, const char *text, const char *at,
                          int64_t now)
{
    char *shown = utf8_cut(text, MISSED_TEXT_MAX);
    char key[MISSED_TEXT_MAX + 1];
    if (!shown)
        return;
    missed_key(shown, key, sizeof key);
    for (int attempt = 0; attempt < 8; attempt++) {
        int64_t version = STORE_NO_RECORD;
        cJSON *doc = read_json(st, MISSED_NS, bot, &version);
        if (!doc)
            version = STORE_NO_RECORD;
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            doc = cJSON_CreateObject();
        }
        cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
        if (!cJSON_IsArray(items)) {
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "items");
            items = cJSON_AddArrayToObject(doc, "items");
        }
        cJSON *hit = NULL, *it;
        cJSON_ArrayForEach(it, items)
        {
            const char *k = json_string(it, "key");
            if (k && strcmp(k, key) == 0)
                hit = it;
        }
        if (hit) {
            double count = 0;
            json_number(hit, "count", &count);
            cJSON_ReplaceItemInObjectCaseSensitive(hit, "count", cJSON_CreateNumber(count + 1));
            cJSON_ReplaceItemInObjectCaseSensitive(hit, "utterance", cJSON_CreateString(shown));
            cJSON_ReplaceItemInObjectCaseSensitive(hit, "lastSeen", cJSON_CreateString(at));
        } else {
            /* full: the least recently seen goes (ISO times compare as strings) */
            while (cJSON_GetArraySize(items) >= BOT_MISSED_MAX) {
                int oldest = 0, i = 0;
                const char *oldest_at = NULL;
                cJSON_ArrayForEach(it, items)
                {
                    const char *seen = json_string(it, "lastSeen");
                    if (!oldest_at || (seen && strcmp(seen, oldest_at) < 0)) {
                        oldest_at = seen ? seen : "";
                        oldest = i;
                    }
                    i++;
                }
                cJSON_DeleteItemFromArray(items, oldest);
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "key", key);
            cJSON_AddStringToObject(e, "utterance", shown);
            cJSON_AddNumberToObject(e, "count", 1);
            cJSON_AddStringToObject(e, "firstSeen", at);
            cJSON_AddStringToObject(e, "lastSeen", at);
            cJSON_AddItemToArray(items, e);
        }
        int rc = write_json(st, MISSED_NS, bot, doc, version, now + BOT_LOG_TTL_DAYS * DAY_MS);
        cJSON_Delete(doc);
        if (rc != PARLEY_ECONFLICT) {
            if (rc)
                log_warn("turn log: cannot count a missed utterance of %s: %s", bot,
                         parley_strerror(rc));
            break;
        }
    }
    free(shown);
}

/* ---- writing ---- */

void bot_turnlog_record(struct bot_turnlog *log, const struct bot_turn *turn, const cJSON *outcome,
                        int64_t now)
{
    char *conv = bot_session_key(turn->bot, turn->alias, turn->user);
    cJSON *meta = NULL, *t = NULL;
    if (!conv)
        return;
    char at[32];
    iso_time(now, at);
    int64_t expires = now + BOT_LOG_TTL_DAYS * DAY_MS;
    int64_t version = STORE_NO_RECORD;
    meta = read_json(log->st, CONV_NS, conv, &version);
    double count = 0;
    if (!cJSON_IsObject(meta) || !json_number(meta, "turnCount", &count)) {
        cJSON_Delete(meta);
        meta = cJSON_CreateObject();
        cJSON_AddStringToObject(meta, "id", conv);
        cJSON_AddStringToObject(meta, "bot", turn->bot);
        cJSON_AddStringToObject(meta, "alias", turn->alias);
        cJSON_AddStringToObject(meta, "user", turn->user);
        cJSON_AddStringToObject(meta, "startedAt", at);
        cJSON_AddStringToObject(meta, "lastActivity", at);
        cJSON_AddNumberToObject(meta, "turnCount", 0);
        count = 0;
        if (version != STORE_NO_RECORD)
            version = STORE_ANY_VERSION; /* a record that does not parse: replace it */
    }
    int64_t seq = (int64_t)count + 1;
    cJSON_ReplaceItemInObjectCaseSensitive(meta, "turnCount", cJSON_CreateNumber((double)seq));
    cJSON_ReplaceItemInObjectCaseSensitive(meta, "lastActivity", cJSON_CreateString(at));
    t = turn_json(turn, outcome, conv, seq, at);
    char key[1100];
    turn_key(key, sizeof key, conv, seq);
    int rc = write_json(log->st, TURNS_NS, key, t, STORE_ANY_VERSION, expires);
    if (rc == 0)
        rc = write_json(log->st, CONV_NS, conv, meta, version, expires);
    if (rc) {
        log_warn("turn log: cannot log a turn of %s: %s", conv, parley_strerror(rc));
    } else if (seq > BOT_LOG_MAX_TURNS) {
        turn_key(key, sizeof key, conv, seq - BOT_LOG_MAX_TURNS);
        store_delete(log->st, TURNS_NS, key, STORE_ANY_VERSION);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "missed")))
        record_missed(log->st, turn->bot, turn->text ? turn->text : "", at, now);
    /* A window of this conversation takes the turn (never changed from here on), before the
       listeners hear of it: what they read of the conversation already has it. */
    struct shared_turn *shared = NULL;
    pthread_mutex_lock(&log->cache_lock);
    struct window *w = window_find(log, conv);
    if (w) {
        shared = rc == 0 && w->newest == seq - 1 ? calloc(1, sizeof *shared) : NULL;
        if (shared &&
            !(shared->json = json_freeze(t, turn_member_names,
                                         sizeof turn_member_names / sizeof *turn_member_names))) {
            free(shared);
            shared = NULL;
        }
        if (shared) {
            shared->refs = 2; /* the window's and ours, for the listeners */
            shared->seq = seq;
            shared->at_ms = now;
            shared_unref(w->ring[seq % BOT_LOG_MAX_TURNS]); /* past the retention */
            w->ring[seq % BOT_LOG_MAX_TURNS] = shared;
            w->newest = seq;
        } else {
            window_unlink(log, w); /* out of step with the store: read it again next time */
            window_free(w);
        }
    }
    pthread_mutex_unlock(&log->cache_lock);
    notify(log, shared ? shared->json : t);
    shared_unref(shared);
    cJSON_Delete(t);
    cJSON_Delete(meta);
    free(conv);
}

/* ---- reading ---- */

/* A conversation id "bot/alias/user" with three non-empty parts, no more slashes in bot, alias. */
static bool valid_conv_id(const char *id)
{
    const char *a = strchr(id, '/');
    const char *u = a ? strchr(a + 1, '/') : NULL;
    return a && u && a > id && u > a + 1 && u[1] != '\0';
}

cJSON *bot_conversation_get(struct bot_engine *e, const char *id)
{
    if (!id || !valid_conv_id(id))
        return NULL;
    cJSON *meta = read_json(bot_engine_store(e), CONV_NS, id, NULL);
    if (meta && !cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        meta = NULL;
    }
    return meta;
}

struct collect {
    cJSON *out;
    char **texts; /* turns: the records' text, parsed after the store's lock is released */
    size_t ntexts;
    size_t want;       /* items to collect */
    bool more;         /* one more was seen */
    const char *after; /* conversations: skip keys up to this one */
    int64_t before;    /* turns: only seq < before (0 = all) */
    size_t prefix_len;
};

static int collect_conv(const char *key, const struct store_item *item, void *ud)
{
    struct collect *c = ud;
    if (c->after && strcmp(key, c->after) <= 0)
        return 0;
    if (!valid_conv_id(key))
        return 0;
    if ((size_t)cJSON_GetArraySize(c->out) == c->want) {
        c->more = true;
        return 1;
    }
    cJSON *j = cJSON_ParseWithLength(item->value, item->len);
    if (cJSON_IsObject(j))
        cJSON_AddItemToArray(c->out, j);
    else
        cJSON_Delete(j);
    return 0;
}

cJSON *bot_conversation_list(struct bot_engine *e, const char *bot, const char *after, size_t first,
                             bool *more)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s/", bot);
    struct collect c = {.out = cJSON_CreateArray(), .want = first, .after = after};
    store_list(bot_engine_store(e), CONV_NS, prefix, 0, collect_conv, &c);
    if (more)
        *more = c.more;
    return c.out;
}

static int collect_turn(const char *key, const struct store_item *item, void *ud)
{
    struct collect *c = ud;
    const char *digits = key + c->prefix_len;
    char *end;
    long long inv = strtoll(digits, &end, 10);
    if (*end || end - digits != 10)
        return 0; /* a user whose id continues with '/' */
    int64_t seq = SEQ_MAX - inv;
    if (c->before > 0 && seq >= c->before)
        return 0;
    if (c->ntexts == c->want) {
        c->more = true;
        return 1;
    }
    char *copy = malloc(item->len + 1);
    if (!copy)
        return 1;
    memcpy(copy, item->value, item->len);
    copy[item->len] = '\0';
    c->texts[c->ntexts++] = copy;
    return 0;
}

cJSON *bot_conversation_turns(struct bot_engine *e, const char *id, int64_t before, size_t first,
                              bool *more)
{
    struct collect c = {.out = cJSON_CreateArray(), .want = first, .before = before};
    if (more)
        *more = false;
    if (!id || !valid_conv_id(id))
        return c.out;
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s/", id);
    c.prefix_len = strlen(prefix);
    c.texts = calloc(first ? first : 1, sizeof *c.texts);
    if (!c.texts)
        return c.out;
    /* the store holds its lock through the listing: copy there, parse here */
    store_list(bot_engine_store(e), TURNS_NS, prefix, 0, collect_turn, &c);
    for (size_t i = 0; i < c.ntexts; i++) {
        cJSON *j = cJSON_Parse(c.texts[i]);
        if (cJSON_IsObject(j))
            cJSON_AddItemToArray(c.out, j);
        else
            cJSON_Delete(j);
        free(c.texts[i]);
    }
    free(c.texts);
    if (more)
        *more = c.more;
    return c.out;
}

/* ---- reading through the windows ---- */

/* Parses an ISO 8601 time of ours (2026-11-26T21:30:00.000Z) to ms; 0 when it is not one. */
static int64_t iso_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Reads every retained turn of id from the store into a new window (NULL when none or OOM). */
static struct window *window_load(struct bot_engine *e, const char *id)
{
    bool more = false;
    cJSON *all = bot_conversation_turns(e, id, 0, BOT_LOG_MAX_TURNS, &more);
    struct window *w = calloc(1, sizeof *w);
    if (!w || !(w->id = strdup(id)) || cJSON_GetArraySize(all) == 0) {
        if (w)
            free(w->id);
        free(w);
        cJSON_Delete(all);
        return NULL;
    }
    cJSON *t;
    while ((t = cJSON_DetachItemFromArray(all, 0)) != NULL) {
        double seq = 0;
        struct shared_turn *st = calloc(1, sizeof *st);
        if (!st || !json_number(t, "seq", &seq) || seq < 1) {
            free(st);
            cJSON_Delete(t);
            continue;
        }
        st->refs = 1;
        st->seq = (int64_t)seq;
        st->at_ms = iso_ms(json_string(t, "at"));
        st->json =
            json_freeze(t, turn_member_names, sizeof turn_member_names / sizeof *turn_member_names);
        cJSON_Delete(t);
        if (!st->json) { /* out of memory: no window, the readers go to the store */
            free(st);
            cJSON_Delete(all);
            window_free(w);
            return NULL;
        }
        if (st->seq > w->newest)
            w->newest = st->seq;
        size_t slot = (size_t)(st->seq % BOT_LOG_MAX_TURNS);
        shared_unref(w->ring[slot]);
        w->ring[slot] = st;
    }
    cJSON_Delete(all);
    return w;
}

cJSON *bot_conversation_turns_shared(struct bot_engine *e, const char *id, int64_t newest,
                                     int64_t before, size_t first, bool *more,
                                     struct bot_turns_hold **hold)
{
    struct bot_turnlog *log = bot_engine_turnlog(e);
    *hold = NULL;
    *more = false;
    if (!log || !id || !valid_conv_id(id) || newest < 1)
        return bot_conversation_turns(e, id, before, first, more);
    pthread_mutex_lock(&log->cache_lock);
    struct window *w = window_find(log, id);
    if (!w || w->newest < newest) {
        if (w) {
            window_unlink(log, w);
            window_free(w);
        }
        pthread_mutex_unlock(&log->cache_lock);
        struct window *fresh = window_load(e, id); /* outside the lock: the store is slow */
        pthread_mutex_lock(&log->cache_lock);
        w = window_find(log, id);
        if (w && fresh && w->newest < fresh->newest) {
            window_unlink(log, w);
            window_free(w);
            w = NULL;
        }
        if (!w && fresh) {
            window_push_front(log, fresh);
            w = fresh;
            fresh = NULL;
            while (log->nwindows > BOT_LOG_CACHED_CONVERSATIONS) {
                struct window *old = log->windows;
                while (old->next)
                    old = old->next;
                window_unlink(log, old);
                window_free(old);
            }
        }
        if (fresh)
            window_free(fresh);
        if (!w) {
            pthread_mutex_unlock(&log->cache_lock);
            return cJSON_CreateArray(); /* nothing logged (or out of memory) */
        }
    } else if (w != log->windows) {
        window_unlink(log, w);
        window_push_front(log, w);
    }
    struct bot_turns_hold *h = malloc(sizeof *h + (first + 1) * sizeof h->turns[0]);
    cJSON *out = cJSON_CreateArray();
    if (!h || !out) {
        pthread_mutex_unlock(&log->cache_lock);
        free(h);
        cJSON_Delete(out);
        return NULL;
    }
    h->n = 0;
    int64_t top = newest < w->newest ? newest : w->newest;
    if (before > 0 && before - 1 < top)
        top = before - 1;
    int64_t floor = w->newest - BOT_LOG_MAX_TURNS + 1;
    int64_t expired_before = time_now_ms() - BOT_LOG_TTL_DAYS * DAY_MS;
    for (int64_t seq = top; seq >= 1 && seq >= floor; seq--) {
        struct shared_turn *st = w->ring[seq % BOT_LOG_MAX_TURNS];
        if (!st || st->seq != seq || st->at_ms <= expired_before)
            continue;
        if (h->n == first) {
            *more = true;
            break;
        }
        __atomic_add_fetch(&st->refs, 1, __ATOMIC_ACQ_REL);
        h->turns[h->n++] = st;
        cJSON *ref = cJSON_CreateObjectReference(st->json->child);
        if (ref) /* its members are the frozen turn's: consecutive */
            ref->type |= st->json->type & JSON_CONSECUTIVE;
        cJSON_AddItemToArray(out, ref);
    }
    pthread_mutex_unlock(&log->cache_lock);
    *hold = h;
    return out;
}

void bot_turns_release(struct bot_turns_hold *hold)
{
    if (!hold)
        return;
    for (size_t i = 0; i < hold->n; i++)
        shared_unref(hold->turns[i]);
    free(hold);
}

static int by_count(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double cx = 0, cy = 0;
    json_number(x, "count", &cx);
    json_number(y, "count", &cy);
    if (cx != cy)
        return cx > cy ? -1 : 1;
    const char *lx = json_string(x, "lastSeen"), *ly = json_string(y, "lastSeen");
    return -strcmp(lx ? lx : "", ly ? ly : "");
}

cJSON *bot_missed_list(struct bot_engine *e, const char *bot, size_t first)
{
    cJSON *out = cJSON_CreateArray();
    cJSON *doc = read_json(bot_engine_store(e), MISSED_NS, bot, NULL);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    size_t n = (size_t)cJSON_GetArraySize(items);
    cJSON **v = n ? calloc(n, sizeof *v) : NULL;
    size_t k = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (v && cJSON_IsObject(it))
            v[k++] = it;
    }
    if (v)
        qsort(v, k, sizeof *v, by_count);
    for (size_t i = 0; i < k && i < first; i++) {
        cJSON *copy = cJSON_Duplicate(v[i], true);
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "key");
        cJSON_AddItemToArray(out, copy);
    }
    free(v);
    cJSON_Delete(doc);
    return out;
}
