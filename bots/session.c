/*
 * Sessions: the state of one conversation, (bot, alias, user), kept in the
 * store as one JSON document under "sessions"/"bot/alias/user" with the
 * bot's idle TTL as its expiry. Loading an expired or absent session gives a
 * fresh one; a session survives restarts because it lives only in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "store/store.h"

#define SESSIONS_NS "sessions"

char *bot_session_key(const char *bot, const char *alias, const char *user)
{
    struct buf b = BUF_INIT(1024);
    if (buf_printf(&b, "%s/%s/%s", bot, alias, user)) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

void bot_session_set(char **field, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    free(*field);
    *field = copy;
}

static char *new_session_id(void)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(time_mono_us() >> (i % 8));
    char *id = malloc(40);
    if (id)
        snprintf(id, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
                 r[13], r[14], r[15]);
    return id;
}

static char *dup_field(const cJSON *j, const char *key)
{
    const char *s = json_string(j, key);
    return s ? strdup(s) : NULL;
}

static cJSON *dup_object(const cJSON *j, const char *key, bool array)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (v && (array ? cJSON_IsArray(v) : cJSON_IsObject(v)))
        return cJSON_Duplicate(v, true);
    return array ? cJSON_CreateArray() : cJSON_CreateObject();
}

int bot_session_load(struct store *st, const char *key, int64_t now_ms, int ttl_s,
                     struct bot_session *s)
{
    memset(s, 0, sizeof *s);
    s->key = strdup(key);
    struct store_item item;
    int rc = store_get(st, SESSIONS_NS, key, &item);
    if (rc && rc != PARLEY_ENOTFOUND)
        return rc;
    cJSON *j = rc == 0 ? cJSON_ParseWithLength(item.value, item.len) : NULL;
    if (rc == 0) {
        s->version = item.version;
        store_item_release(&item);
    }
    double last = 0;
    if (j && ttl_s > 0 && json_number(j, "lastActivity", &last) &&
        (int64_t)last + (int64_t)ttl_s * 1000 <= now_ms) {
        /* idle for longer than the bot's TTL: the conversation starts over */
        cJSON_Delete(j);
        j = NULL;
    }
    if (j) {
        s->session_id = dup_field(j, "sessionId");
        s->intent = dup_field(j, "intentName");
        s->confirmation = dup_field(j, "confirmationStatus");
        s->dialog_state = dup_field(j, "dialogState");
        s->slot_to_elicit = dup_field(j, "slotToElicit");
        s->last_message = dup_field(j, "lastMessage");
        s->attributes = dup_object(j, "sessionAttributes", false);
        s->slots = dup_object(j, "slots", false);
        s->slot_details = dup_object(j, "slotDetails", false);
        s->recent = dup_object(j, "recentIntentSummaryView", true);
        double v;
        if (json_number(j, "attempts", &v))
            s->attempts = (int)v;
        if (json_number(j, "clarifications", &v))
            s->clarifications = (int)v;
        if (json_number(j, "turns", &v))
            s->turns = (int)v;
        if (json_number(j, "nluIntentConfidence", &v))
            s->confidence = v;
        cJSON_Delete(j);
    } else {
        s->attributes = cJSON_CreateObject();
        s->slots = cJSON_CreateObject();
        s->slot_details = cJSON_CreateObject();
        s->recent = cJSON_CreateArray();
    }
    if (!s->session_id)
        s->session_id = new_session_id();
    return s->key && s->session_id && s->attributes && s->slots && s->recent ? 0 : PARLEY_ENOMEM;
}

static void add_string(cJSON *j, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(j, key, value);
}

int bot_session_save(struct store *st, struct bot_session *s, int ttl_s, int64_t now_ms)
{
    cJSON *j = cJSON_CreateObject();
    add_string(j, "sessionId", s->session_id);
    add_string(j, "intentName", s->intent);
    add_string(j, "confirmationStatus", s->confirmation);
    add_string(j, "dialogState", s->dialog_state);
    add_string(j, "slotToElicit", s->slot_to_elicit);
    add_string(j, "lastMessage", s->last_message);
    cJSON_AddItemToObject(j, "sessionAttributes", cJSON_Duplicate(s->attributes, true));
    cJSON_AddItemToObject(j, "slots", cJSON_Duplicate(s->slots, true));
    cJSON_AddItemToObject(j, "slotDetails", cJSON_Duplicate(s->slot_details, true));
    cJSON_AddItemToObject(j, "recentIntentSummaryView", cJSON_Duplicate(s->recent, true));
    cJSON_AddNumberToObject(j, "attempts", s->attempts);
    cJSON_AddNumberToObject(j, "clarifications", s->clarifications);
    cJSON_AddNumberToObject(j, "turns", s->turns);
    cJSON_AddNumberToObject(j, "nluIntentConfidence", s->confidence);
    cJSON_AddNumberToObject(j, "lastActivity", (double)now_ms);
    size_t len;
    char *text = json_print(j, &len);
    cJSON_Delete(j);
    if (!text)
        return PARLEY_ENOMEM;
    struct store_put_opts opts = {
        .expect_version = s->version ? s->version : STORE_NO_RECORD,
        /* The store forgets the record a TTL after the last real write; the session's own
           lastActivity (the turn's clock) decides whether a conversation goes on. */
        .expires_at_ms = time_now_ms() + (int64_t)ttl_s * 1000,
    };
    int64_t v = 0;
    int rc = store_put(st, SESSIONS_NS, s->key, text, len, &opts, &v);
    if (rc == PARLEY_ECONFLICT && s->version) {
        /* The record expired between load and save: write it as new. */
        opts.expect_version = STORE_NO_RECORD;
        rc = store_put(st, SESSIONS_NS, s->key, text, len, &opts, &v);
    }
    free(text);
    if (rc == 0)
        s->version = v;
    return rc;
}

int bot_session_delete(struct store *st, const char *key)
{
    return store_delete(st, SESSIONS_NS, key, STORE_ANY_VERSION);
}

void bot_session_release(struct bot_session *s)
{
    free(s->key);
    free(s->session_id);
    free(s->intent);
    free(s->confirmation);
    free(s->dialog_state);
    free(s->slot_to_elicit);
    free(s->last_message);
    cJSON_Delete(s->attributes);
    cJSON_Delete(s->slots);
    cJSON_Delete(s->slot_details);
    cJSON_Delete(s->recent);
    memset(s, 0, sizeof *s);
}
