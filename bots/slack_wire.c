/*
 * Slack's wire formats, without any HTTP: the request signature (v0,
 * HMAC-SHA256 over the raw body, compared in constant time), the session user
 * id of a conversation, form bodies, mentions, and the chat.postMessage body a turn's outcome
 * becomes (a Lex response card's buttons as an actions block). Kept apart
 * from slack.c, which holds the routes and threads, so that the unit tests
 * link only this.
 */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/slack.h"
#include "bots/slack_internal.h"
#include "common/common.h"

#define MAX_SKEW_S 300

/* ---- verifying ---- */

int slack_signature_verify(const char *secret, const char *timestamp, const char *signature,
                           const void *body, size_t len, int64_t now_s, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!secret || !*secret) {
        *why = "no signing secret is configured";
        return PARLEY_EINVAL;
    }
    if (!timestamp || !signature) {
        *why = "X-Slack-Request-Timestamp or X-Slack-Signature is missing";
        return PARLEY_EINVAL;
    }
    size_t tl = strlen(timestamp);
    /* canonical decimal only: no sign, no leading zero, no fraction (Slack sends none) */
    if (tl == 0 || tl > 15 || (timestamp[0] == '0' && tl > 1)) {
        *why = "the timestamp is not an integer";
        return PARLEY_EINVAL;
    }
    int64_t ts = 0;
    for (size_t i = 0; i < tl; i++) {
        if (timestamp[i] < '0' || timestamp[i] > '9') {
            *why = "the timestamp is not an integer";
            return PARLEY_EINVAL;
        }
        ts = ts * 10 + (timestamp[i] - '0');
    }
    if (ts > now_s + MAX_SKEW_S || ts < now_s - MAX_SKEW_S) {
        *why = "the timestamp is more than 5 minutes away from now";
        return PARLEY_EINVAL;
    }
    if (strlen(signature) != 3 + 64 || strncmp(signature, "v0=", 3) != 0) {
        *why = "the signature is not v0=<64 hex digits>";
        return PARLEY_EINVAL;
    }
    size_t blen = 3 + tl + 1 + len;
    unsigned char *base = malloc(blen ? blen : 1);
    if (!base) {
        *why = "out of memory";
        return PARLEY_EINVAL;
    }
    memcpy(base, "v0:", 3);
    memcpy(base + 3, timestamp, tl);
    base[3 + tl] = ':';
    if (len)
        memcpy(base + 4 + tl, body, len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    unsigned char *ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), base, blen, mac, &maclen);
    free(base);
    if (!ok || maclen != 32) {
        *why = "HMAC failed";
        return PARLEY_EINVAL;
    }
    static const char hex[] = "0123456789abcdef";
    char expect[64];
    for (unsigned i = 0; i < 32; i++) {
        expect[2 * i] = hex[mac[i] >> 4];
        expect[2 * i + 1] = hex[mac[i] & 15];
    }
    if (CRYPTO_memcmp(expect, signature + 3, 64) != 0) {
        *why = "the signature does not match";
        return PARLEY_EINVAL;
    }
    *why = NULL;
    return 0;
}

void slack_session_user(char *out, size_t outlen, const char *team, const char *user,
                        const char *channel, const char *thread)
{
    snprintf(out, outlen, "%s:%s:%s%s%s", team ? team : "", user ? user : "",
             channel ? channel : "", thread ? ":" : "", thread ? thread : "");
    size_t n = strlen(out);
    if (n > 100)
        out[n = 100] = '\0';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-')
            out[i] = '_';
    }
}

/* ---- rendering an outcome ---- */

static cJSON *plain_text(const char *s)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", "plain_text");
    cJSON_AddStringToObject(t, "text", s);
    return t;
}

static cJSON *mrkdwn_section(const char *s)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON *t = cJSON_AddObjectToObject(b, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", s);
    return b;
}

/* Slack limits: section text 3000, button text 75, value 2000, 25 elements per actions block. */
static void cut(char *s, size_t max)
{
    if (strlen(s) > max) {
        size_t n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        s[n] = '\0';
    }
}

cJSON *slack_message_render(const cJSON *outcome, const char *channel, const char *thread_ts)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return NULL;
    if (channel)
        cJSON_AddStringToObject(m, "channel", channel);
    if (thread_ts)
        cJSON_AddStringToObject(m, "thread_ts", thread_ts);
    const char *msg = json_string(outcome, "message");
    char fallback[300];
    if (!msg || !*msg) {
        const char *intent = json_string(outcome, "intentName");
        const char *state = json_string(outcome, "dialogState");
        snprintf(fallback, sizeof fallback, "%s%s%s", intent ? intent : "",
                 intent && state ? ": " : "", state ? state : "(no answer)");
        msg = fallback;
    }
    cJSON_AddStringToObject(m, "text", msg);
    const cJSON *card = cJSON_GetObjectItemCaseSensitive(outcome, "responseCard");
    const cJSON *atts = cJSON_GetObjectItemCaseSensitive(card, "genericAttachments");
    if (!cJSON_IsArray(atts) || cJSON_GetArraySize(atts) == 0)
        return m;
    cJSON *blocks = cJSON_AddArrayToObject(m, "blocks");
    char *t = strdup(msg);
    if (t) {
        cut(t, 3000);
        cJSON_AddItemToArray(blocks, mrkdwn_section(t));
        free(t);
    }
    const cJSON *a;
    int nbutton = 0;
    cJSON_ArrayForEach(a, atts)
    {
        const char *title = json_string(a, "title");
        const char *sub = json_string(a, "subTitle");
        if (title || sub) {
            struct buf b = BUF_INIT(3000);
            if (title)
                buf_printf(&b, "*%s*", title);
            if (sub)
                buf_printf(&b, "%s%s", title ? "\n" : "", sub);
            if (b.data)
                cJSON_AddItemToArray(blocks, mrkdwn_section(b.data));
            buf_release(&b);
        }
        const cJSON *buttons = cJSON_GetObjectItemCaseSensitive(a, "buttons");
        if (!cJSON_IsArray(buttons) || cJSON_GetArraySize(buttons) == 0)
            continue;
        cJSON *actions = cJSON_CreateObject();
        cJSON_AddStringToObject(actions, "type", "actions");
        cJSON *els = cJSON_AddArrayToObject(actions, "elements");
        const cJSON *bt;
        int n = 0;
        cJSON_ArrayForEach(bt, buttons)
        {
            const char *text = json_string(bt, "text");
            const char *value = json_string(bt, "value");
            if (!value || n == 25)
                continue;
            char label[80], val[2001], id[32];
            snprintf(label, sizeof label, "%s", text && *text ? text : value);
            cut(label, 75);
            snprintf(val, sizeof val, "%s", value);
            snprintf(id, sizeof id, "parley_button_%d", nbutton++);
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "type", "button");
            cJSON_AddItemToObject(e, "text", plain_text(label));
            cJSON_AddStringToObject(e, "value", val);
            cJSON_AddStringToObject(e, "action_id", id);
            cJSON_AddItemToArray(els, e);
            n++;
        }
        cJSON_AddItemToArray(blocks, actions);
    }
    return m;
}

/* ---- form bodies and mentions ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *slack_form_get(const char *body, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
            const char *v = eq + 1;
            char *out = malloc((size_t)(stop - v) + 1);
            if (!out)
                return NULL;
            size_t o = 0;
            for (const char *q = v; q < stop; q++) {
                if (*q == '+') {
                    out[o++] = ' ';
                } else if (*q == '%' && stop - q >= 3 && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
                    out[o++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
                    q += 2;
                } else {
                    out[o++] = *q;
                }
            }
            out[o] = '\0';
            return out;
        }
        p = stop + 1;
    }
    return NULL;
}

char *slack_strip_mentions(const char *text, const char *id)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (text[i] == '<' && text[i + 1] == '@') {
            const char *close = strchr(text + i, '>');
            if (close) {
                const char *mid = text + i + 2;
                size_t idlen = strcspn(mid, "|>");
                if (!id || (strlen(id) == idlen && strncmp(mid, id, idlen) == 0)) {
                    i = (size_t)(close - text) + 1;
                    continue;
                }
            }
        }
        out[o++] = text[i++];
    }
    out[o] = '\0';
    size_t s = 0;
    while (s < o && isspace((unsigned char)out[s]))
        s++;
    while (o > s && isspace((unsigned char)out[o - 1]))
        o--;
    memmove(out, out + s, o - s);
    out[o - s] = '\0';
    return out;
}
