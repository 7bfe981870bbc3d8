/*
 * The Lex runtime APIs over HTTP: V1 (PostText, GetSession, PutSession,
 * DeleteSession) and V2 (RecognizeText, GetSession, PutSession,
 * DeleteSession), in the exact shapes the AWS SDKs read.
 *
 * Each handler checks its input, then hands the turn to the engine's
 * workers and returns; the worker answers (the connection waits suspended,
 * no listener thread is held). Errors are Lex's: the x-amzn-ErrorType
 * header and {"message"} with Lex's status codes (V1 names such as
 * BadRequestException, V2 names such as ValidationException).
 *
 * V2 ids: botId is the bot's name, botAliasId an alias name ("TSTALIASID",
 * Lex V2's test alias, means $LATEST), localeId the bot's locale with an
 * underscore (en_US), sessionId the user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "server/http.h"
#include "store/store.h"

enum lex_api { LEX_V1, LEX_V2 };

struct lex_ctx {
    struct bot_engine *e;
    enum lex_api api;
};

static struct lex_ctx v1_ctx, v2_ctx;

static const char *or_default(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static const char *or_empty(const char *s)
{
    return or_default(s, "");
}

/* ---- errors ---- */

struct lex_error {
    int status;
    const char *v1;
    const char *v2;
};

static struct lex_error error_for(int err)
{
    switch (err) {
    case PARLEY_ENOTFOUND:
        return (struct lex_error){404, "NotFoundException", "ResourceNotFoundException"};
    case PARLEY_EINVAL:
        return (struct lex_error){400, "BadRequestException", "ValidationException"};
    case PARLEY_EIO:
    case PARLEY_ETIMEDOUT:
        return (struct lex_error){424, "DependencyFailedException", "DependencyFailedException"};
    case PARLEY_EBUSY:
        return (struct lex_error){429, "LimitExceededException", "ThrottlingException"};
    case PARLEY_ECONFLICT:
        return (struct lex_error){409, "ConflictException", "ConflictException"};
    default:
        return (struct lex_error){500, "InternalFailureException", "InternalServerException"};
    }
}

const char *bot_error_code(int err)
{
    return error_for(err).v2;
}

static void respond_error(struct http_request *req, enum lex_api api, int err, const char *msg)
{
    struct lex_error le = error_for(err);
    if (le.status == 429) {
        struct http_response *r = http_response_new(429);
        char body[1200];
        struct buf b = BUF_INIT(2048);
        buf_puts(&b, "{\"message\":");
        buf_json_string(&b, msg, strlen(msg));
        buf_puts(&b, "}");
        snprintf(body, sizeof body, "%s", b.data ? b.data : "{}");
        buf_release(&b);
        http_response_header(r, "Content-Type", "application/json");
        http_response_header(r, "x-amzn-ErrorType", api == LEX_V1 ? le.v1 : le.v2);
        http_response_header(r, "Retry-After", "1");
        http_response_body(r, body, strlen(body));
        http_respond(req, r);
        return;
    }
    http_respond_error(req, le.status, api == LEX_V1 ? le.v1 : le.v2, "%s", msg);
}

/* ---- input checks ---- */

static bool valid_user_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* Code points in valid UTF-8, or -1 when it is not valid UTF-8. */
static long utf8_length(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80         ? 1
                  : (*p >> 5) == 6  ? 2
                  : (*p >> 4) == 14 ? 3
                  : (*p >> 3) == 30 ? 4
                                    : 0;
        if (!len)
            return -1;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        p += len;
        n++;
    }
    return n;
}

/* A string -> string map, or absent/null. */
static bool string_map(const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsObject(v))
        return false;
    const cJSON *c;
    cJSON_ArrayForEach(c, v) if (!cJSON_IsString(c)) return false;
    return true;
}

static cJSON *parse_body(struct http_request *req, enum lex_api api, bool required)
{
    size_t len;
    const char *body = http_request_body(req, &len);
    if (len == 0 && !required)
        return cJSON_CreateObject();
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        respond_error(req, api, PARLEY_EINVAL, "The request body must be a JSON object.");
        return NULL;
    }
    return j;
}

/* The path's bot, alias and user, checked. Returns false after answering. */
static bool path_ids(struct http_request *req, enum lex_api api, const char **bot,
                     const char **alias, const char **user, struct bot_def **def,
                     struct bot_engine *e)
{
    const char *denied;
    char why[256];
    if (lex_auth_check(bot_engine_auth(e), req, &denied, why, sizeof why) != 0) {
        http_respond_error(req, 403, denied, "%s", why);
        return false;
    }
    *bot = http_request_param(req, api == LEX_V1 ? "botName" : "botId");
    *alias = http_request_param(req, api == LEX_V1 ? "botAlias" : "botAliasId");
    *user = http_request_param(req, api == LEX_V1 ? "userId" : "sessionId");
    if (api == LEX_V2 && strcmp(*alias, "TSTALIASID") == 0)
        *alias = "$LATEST";
    if (!valid_user_id(*user)) {
        respond_error(req, api, PARLEY_EINVAL,
                      api == LEX_V1 ? "userId must be 2 to 100 characters of [0-9a-zA-Z._:-]."
                                    : "sessionId must be 2 to 100 characters of [0-9a-zA-Z._:-].");
        return false;
    }
    *def = bot_engine_resolve(e, *bot, *alias);
    if (!*def) {
        char msg[512];
        snprintf(msg, sizeof msg, "The bot %s with alias %s does not exist.", *bot, *alias);
        respond_error(req, api, PARLEY_ENOTFOUND, msg);
        return false;
    }
    if (api == LEX_V2) {
        const char *locale = http_request_param(req, "localeId");
        char want[32];
        snprintf(want, sizeof want, "%s", (*def)->locale);
        for (char *p = want; *p; p++)
            if (*p == '-')
                *p = '_';
        if (strcmp(locale, want) != 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "The bot %s has no locale %s (it has %s).", *bot, locale,
                     want);
            bot_def_unref(*def);
            respond_error(req, api, PARLEY_ENOTFOUND, msg);
            return false;
        }
    }
    return true;
}

/* ---- V1 <-> V2 shapes ---- */

static const char *v2_intent_state(const char *dialog_state)
{
    if (!dialog_state)
        return "InProgress";
    if (!strcmp(dialog_state, "Fulfilled") || !strcmp(dialog_state, "Failed") ||
        !strcmp(dialog_state, "ReadyForFulfillment"))
        return dialog_state;
    return "InProgress";
}

static const char *v2_action_type(const char *dialog_state)
{
    if (!dialog_state || !strcmp(dialog_state, "ElicitIntent"))
        return "ElicitIntent";
    if (!strcmp(dialog_state, "ElicitSlot") || !strcmp(dialog_state, "ConfirmIntent"))
        return dialog_state;
    return "Close";
}

static cJSON *v2_slots(const cJSON *slots, const cJSON *details)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *s;
    cJSON_ArrayForEach(s, slots)
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(details, s->string);
        const char *orig = json_string(d, "originalValue");
        if (!cJSON_IsString(s) && !orig) {
            cJSON_AddNullToObject(out, s->string);
            continue;
        }
        /* a slot with details but no value is ambiguous ("10 o'clock"):
         * Lex V2 gives it no interpretedValue and lists its readings */
        cJSON *slot = cJSON_AddObjectToObject(out, s->string);
        cJSON *v = cJSON_AddObjectToObject(slot, "value");
        cJSON_AddStringToObject(v, "originalValue", orig ? orig : s->valuestring);
        if (cJSON_IsString(s))
            cJSON_AddStringToObject(v, "interpretedValue", s->valuestring);
        else
            cJSON_AddNullToObject(v, "interpretedValue");
        cJSON *rv = cJSON_AddArrayToObject(v, "resolvedValues");
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(d, "resolutions"))
        {
            const char *val = json_string(r, "value");
            if (val)
                cJSON_AddItemToArray(rv, cJSON_CreateString(val));
        }
    }
    return out;
}

static cJSON *v2_session_state(const cJSON *o)
{
    const char *ds = json_string(o, "dialogState");
    const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(o, "_v2");
    cJSON *ss = cJSON_CreateObject();
    cJSON *da = cJSON_AddObjectToObject(ss, "dialogAction");
    cJSON_AddStringToObject(da, "type", v2_action_type(ds));
    const char *ste = json_string(o, "slotToElicit");
    if (ste)
        cJSON_AddStringToObject(da, "slotToElicit", ste);
    const char *intent = json_string(o, "intentName");
    if (intent) {
        cJSON *in = cJSON_AddObjectToObject(ss, "intent");
        cJSON_AddStringToObject(in, "name", intent);
        cJSON_AddItemToObject(in, "slots",
                              v2_slots(cJSON_GetObjectItemCaseSensitive(o, "slots"),
                                       cJSON_GetObjectItemCaseSensitive(v2, "slotDetails")));
        cJSON_AddStringToObject(in, "state", v2_intent_state(ds));
        const char *cs = json_string(v2, "confirmationStatus");
        cJSON_AddStringToObject(in, "confirmationState", cs ? cs : "None");
    }
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(o, "sessionAttributes");
    cJSON_AddItemToObject(ss, "sessionAttributes",
                          attrs ? cJSON_Duplicate(attrs, true) : cJSON_CreateObject());
    return ss;
}

static cJSON *v2_messages(const cJSON *o)
{
    cJSON *msgs = cJSON_CreateArray();
    const char *m = json_string(o, "message");
    const char *fmt = json_string(o, "messageFormat");
    if (m && fmt && strcmp(fmt, "Composite") == 0) {
        cJSON *doc = cJSON_Parse(m);
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "messages"))
        {
            cJSON *mm = cJSON_CreateObject();
            const char *type = json_string(x, "type");
            cJSON_AddStringToObject(mm, "contentType", type ? type : "PlainText");
            cJSON_AddStringToObject(mm, "content", or_empty(json_string(x, "value")));
            cJSON_AddItemToArray(msgs, mm);
        }
        cJSON_Delete(doc);
    } else if (m) {
        cJSON *mm = cJSON_CreateObject();
        cJSON_AddStringToObject(mm, "contentType", fmt ? fmt : "PlainText");
        cJSON_AddStringToObject(mm, "content", m);
        cJSON_AddItemToArray(msgs, mm);
    }
    const cJSON *card = cJSON_GetObjectItemCaseSensitive(o, "responseCard");
    const cJSON *att =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "genericAttachments"), 0);
    if (att) {
        cJSON *mm = cJSON_CreateObject();
        cJSON_AddStringToObject(mm, "contentType", "ImageResponseCard");
        cJSON *irc = cJSON_AddObjectToObject(mm, "imageResponseCard");
        cJSON_AddStringToObject(irc, "title", or_empty(json_string(att, "title")));
        if (json_string(att, "subTitle"))
            cJSON_AddStringToObject(irc, "subtitle", json_string(att, "subTitle"));
        cJSON *buttons = cJSON_AddArrayToObject(irc, "buttons");
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(att, "buttons"))
        {
            cJSON *bb = cJSON_CreateObject();
            cJSON_AddStringToObject(bb, "text", or_empty(json_string(b, "text")));
            cJSON_AddStringToObject(bb, "value", or_empty(json_string(b, "value")));
            cJSON_AddItemToArray(buttons, bb);
        }
        cJSON_AddItemToArray(msgs, mm);
    }
    return msgs;
}

static cJSON *v2_interpretations(const cJSON *o, const cJSON *session_state)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(session_state, "intent");
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(o, "nluIntentConfidence");
    if (in) {
        cJSON *i = cJSON_CreateObject();
        if (conf) {
            cJSON *c = cJSON_AddObjectToObject(i, "nluConfidence");
            double score = 0;
            json_number(conf, "score", &score);
            cJSON_AddNumberToObject(c, "score", score);
        }
        cJSON_AddItemToObject(i, "intent", cJSON_Duplicate(in, true));
        cJSON_AddItemToArray(out, i);
    }
    const cJSON *a;
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "_v2"), "alternativeSlotDetails");
    int k = 0;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "alternativeIntents"))
    {
        cJSON *i = cJSON_CreateObject();
        double score;
        if (json_number(cJSON_GetObjectItemCaseSensitive(a, "nluIntentConfidence"), "score",
                        &score)) {
            cJSON *c = cJSON_AddObjectToObject(i, "nluConfidence");
            cJSON_AddNumberToObject(c, "score", score);
        }
        cJSON *intent = cJSON_AddObjectToObject(i, "intent");
        cJSON_AddStringToObject(intent, "name", or_empty(json_string(a, "intentName")));
        cJSON_AddItemToObject(intent, "slots",
                              v2_slots(cJSON_GetObjectItemCaseSensitive(a, "slots"),
                                       cJSON_GetArrayItem(details, k++)));
        cJSON_AddItemToArray(out, i);
    }
    return out;
}

static cJSON *v2_from_outcome(const cJSON *o, const char *session_id,
                              const cJSON *request_attributes)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "messages", v2_messages(o));
    cJSON *ss = v2_session_state(o);
    cJSON_AddItemToObject(r, "interpretations", v2_interpretations(o, ss));
    cJSON_AddItemToObject(r, "sessionState", ss);
    if (request_attributes && cJSON_IsObject(request_attributes))
        cJSON_AddItemToObject(r, "requestAttributes", cJSON_Duplicate(request_attributes, true));
    cJSON_AddStringToObject(r, "sessionId", session_id);
    return r;
}

/* ---- PostText / RecognizeText ---- */

struct pending {
    struct http_request *req;
    enum lex_api api;
    char *session_id; /* V2 */
    cJSON *request_attributes;
};

static void turn_done(cJSON *o, int err, const char *msg, void *ud)
{
    struct pending *p = ud;
    if (!o) {
        respond_error(p->req, p->api, err, msg);
    } else if (p->api == LEX_V1) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "_v2");
        http_respond_json(p->req, 200, o);
    } else {
        cJSON *r = v2_from_outcome(o, p->session_id, p->request_attributes);
        http_respond_json(p->req, 200, r);
        cJSON_Delete(r);
    }
    cJSON_Delete(o);
    cJSON_Delete(p->request_attributes);
    free(p->session_id);
    free(p);
}

static void handle_text(struct http_request *req, void *ud)
{
    struct lex_ctx *ctx = ud;
    enum lex_api api = ctx->api;
    const char *bot, *alias, *user;
    struct bot_def *def;
    if (!path_ids(req, api, &bot, &alias, &user, &def, ctx->e))
        return;
    bot_def_unref(def);
    cJSON *body = parse_body(req, api, true);
    if (!body)
        return;
    const char *text_key = api == LEX_V1 ? "inputText" : "text";
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(body, text_key);
    const cJSON *attrs, *req_attrs = cJSON_GetObjectItemCaseSensitive(body, "requestAttributes");
    if (api == LEX_V1) {
        attrs = cJSON_GetObjectItemCaseSensitive(body, "sessionAttributes");
    } else {
        attrs = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(body, "sessionState"), "sessionAttributes");
    }
    char msg[256];
    long n = cJSON_IsString(text) ? utf8_length(text->valuestring) : -2;
    if (n == -2 || n == 0) {
        snprintf(msg, sizeof msg, "%s is required and must be a non-empty string.", text_key);
    } else if (n < 0) {
        snprintf(msg, sizeof msg, "%s must be valid UTF-8.", text_key);
    } else if (n > 1024) {
        snprintf(msg, sizeof msg, "%s must be at most 1024 characters; it has %ld.", text_key, n);
    } else if (!string_map(attrs) || !string_map(req_attrs)) {
        snprintf(msg, sizeof msg,
                 "sessionAttributes and requestAttributes must map strings to "
                 "strings.");
    } else {
        msg[0] = '\0';
    }
    if (msg[0]) {
        cJSON_Delete(body);
        respond_error(req, api, PARLEY_EINVAL, msg);
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    p->req = req;
    p->api = api;
    p->session_id = strdup(user);
    p->request_attributes =
        req_attrs && !cJSON_IsNull(req_attrs) ? cJSON_Duplicate(req_attrs, true) : NULL;
    struct bot_turn turn = {
        .bot = bot,
        .alias = alias,
        .user = user,
        .text = text->valuestring,
        .session_attributes = attrs && !cJSON_IsNull(attrs) ? attrs : NULL,
        .request_attributes = p->request_attributes,
        .channel = api == LEX_V1 ? "lex-v1" : "lex-v2",
    };
    bot_turn_submit(ctx->e, &turn, turn_done, p);
    cJSON_Delete(body);
}

/* ---- sessions ---- */

static const char *v1_action_type(const char *state)
{
    if (!state)
        return "ElicitIntent";
    if (!strcmp(state, "ElicitSlot") || !strcmp(state, "ConfirmIntent") ||
        !strcmp(state, "ElicitIntent"))
        return state;
    return "Close";
}

static cJSON *v1_dialog_action(const cJSON *o)
{
    const char *state = json_string(o, "dialogState");
    cJSON *da = cJSON_CreateObject();
    const char *type = v1_action_type(state);
    cJSON_AddStringToObject(da, "type", type);
    if (json_string(o, "intentName"))
        cJSON_AddStringToObject(da, "intentName", json_string(o, "intentName"));
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(o, "slots");
    if (slots)
        cJSON_AddItemToObject(da, "slots", cJSON_Duplicate(slots, true));
    if (json_string(o, "slotToElicit"))
        cJSON_AddStringToObject(da, "slotToElicit", json_string(o, "slotToElicit"));
    if (strcmp(type, "Close") == 0 && state)
        cJSON_AddStringToObject(da, "fulfillmentState", state);
    if (json_string(o, "message")) {
        cJSON_AddStringToObject(da, "message", json_string(o, "message"));
        cJSON_AddStringToObject(da, "messageFormat",
                                or_default(json_string(o, "messageFormat"), "PlainText"));
    }
    return da;
}

/* Loads the stored session of the path's ids; false after answering (404 when there is none). */
static bool existing_session(struct http_request *req, struct lex_ctx *ctx, struct bot_def **def,
                             struct bot_session *s, const char **bot, const char **alias,
                             const char **user)
{
    if (!path_ids(req, ctx->api, bot, alias, user, def, ctx->e))
        return false;
    char *key = bot_session_key(*bot, *alias, *user);
    int rc = bot_session_load(bot_engine_store(ctx->e), key, time_now_ms(), (*def)->idle_ttl_s, s);
    free(key);
    if (rc == 0 && s->version == 0)
        rc = PARLEY_ENOTFOUND;
    if (rc) {
        bot_session_release(s);
        bot_def_unref(*def);
        respond_error(req, ctx->api, rc,
                      rc == PARLEY_ENOTFOUND ? "No session exists for this user."
                                             : "The session store failed.");
        return false;
    }
    return true;
}

static void handle_get_session(struct http_request *req, void *ud)
{
    struct lex_ctx *ctx = ud;
    struct bot_def *def;
    struct bot_session s;
    const char *bot, *alias, *user;
    if (!existing_session(req, ctx, &def, &s, &bot, &alias, &user))
        return;
    cJSON *o = bot_session_outcome(def, &s);
    cJSON *r = cJSON_CreateObject();
    if (ctx->api == LEX_V1) {
        cJSON_AddItemToObject(r, "recentIntentSummaryView", cJSON_Duplicate(s.recent, true));
        cJSON_AddItemToObject(r, "sessionAttributes", cJSON_Duplicate(s.attributes, true));
        cJSON_AddStringToObject(r, "sessionId", s.session_id);
        cJSON_AddItemToObject(r, "dialogAction", v1_dialog_action(o));
        cJSON_AddItemToObject(r, "activeContexts", cJSON_CreateArray());
    } else {
        cJSON_AddStringToObject(r, "sessionId", user);
        cJSON_AddItemToObject(r, "messages", cJSON_CreateArray());
        cJSON *ss = v2_session_state(o);
        cJSON_AddItemToObject(r, "interpretations", v2_interpretations(o, ss));
        cJSON_AddItemToObject(r, "sessionState", ss);
    }
    http_respond_json(req, 200, r);
    cJSON_Delete(r);
    cJSON_Delete(o);
    bot_session_release(&s);
    bot_def_unref(def);
}

static void handle_delete_session(struct http_request *req, void *ud)
{
    struct lex_ctx *ctx = ud;
    struct bot_def *def;
    struct bot_session s;
    const char *bot, *alias, *user;
    if (!existing_session(req, ctx, &def, &s, &bot, &alias, &user))
        return;
    int rc = bot_session_delete(bot_engine_store(ctx->e), s.key);
    if (rc && rc != PARLEY_ENOTFOUND) {
        respond_error(req, ctx->api, rc, "The session store failed.");
    } else {
        cJSON *r = cJSON_CreateObject();
        const char *alias_out =
            http_request_param(req, ctx->api == LEX_V1 ? "botAlias" : "botAliasId");
        if (ctx->api == LEX_V1) {
            cJSON_AddStringToObject(r, "botName", bot);
            cJSON_AddStringToObject(r, "botAlias", alias_out);
            cJSON_AddStringToObject(r, "userId", user);
            cJSON_AddStringToObject(r, "sessionId", s.session_id);
        } else {
            cJSON_AddStringToObject(r, "botId", bot);
            cJSON_AddStringToObject(r, "botAliasId", alias_out);
            cJSON_AddStringToObject(r, "localeId", http_request_param(req, "localeId"));
            cJSON_AddStringToObject(r, "sessionId", user);
        }
        http_respond_json(req, 200, r);
        cJSON_Delete(r);
    }
    bot_session_release(&s);
    bot_def_unref(def);
}

/* base64 of text; gzip first when gz (what Lex V2 does with its session headers). */
static char *header_b64(const char *text, bool gz)
{
    size_t len = strlen(text);
    if (!gz)
        return base64_encode(text, len);
    z_stream zs = {0};
    size_t cap = compressBound(len) + 32;
    unsigned char *packed = malloc(cap);
    if (!packed || deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(packed);
        return NULL;
    }
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (uInt)len;
    zs.next_out = packed;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    char *out = base64_encode(packed, zs.total_out);
    free(packed);
    return out;
}

static void add_b64_header(struct http_response *r, const char *name, const cJSON *j, bool gz)
{
    if (!j)
        return;
    char *text = cJSON_PrintUnformatted(j);
    char *b64 = text ? header_b64(text, gz) : NULL;
    if (b64)
        http_response_header(r, name, b64);
    free(b64);
    free(text);
}

/* PutSession: applies the body's dialog action and attributes; replies in x-amz-lex-* headers. */
static void handle_put_session(struct http_request *req, void *ud)
{
    struct lex_ctx *ctx = ud;
    enum lex_api api = ctx->api;
    const char *bot, *alias, *user;
    struct bot_def *def;
    if (!path_ids(req, api, &bot, &alias, &user, &def, ctx->e))
        return;
    cJSON *body = parse_body(req, api, false);
    if (!body) {
        bot_def_unref(def);
        return;
    }
    cJSON *action = NULL, *attrs, *intent = NULL;
    if (api == LEX_V1) {
        action = cJSON_GetObjectItemCaseSensitive(body, "dialogAction");
        attrs = cJSON_GetObjectItemCaseSensitive(body, "sessionAttributes");
    } else {
        cJSON *ss = cJSON_GetObjectItemCaseSensitive(body, "sessionState");
        action = cJSON_GetObjectItemCaseSensitive(ss, "dialogAction");
        attrs = cJSON_GetObjectItemCaseSensitive(ss, "sessionAttributes");
        intent = cJSON_GetObjectItemCaseSensitive(ss, "intent");
    }
    int err = 0;
    char msg[512] = "";
    char *key = bot_session_key(bot, alias, user);
    struct bot_session s;
    cJSON *o = NULL;
    if (!string_map(attrs)) {
        err = PARLEY_EINVAL;
        snprintf(msg, sizeof msg, "sessionAttributes must map strings to strings.");
    } else if (bot_session_load(bot_engine_store(ctx->e), key, time_now_ms(), def->idle_ttl_s,
                                &s) != 0) {
        err = PARLEY_EIO;
        snprintf(msg, sizeof msg, "The session store failed.");
        bot_session_release(&s);
    } else {
        if (attrs && cJSON_IsObject(attrs)) {
            cJSON_Delete(s.attributes);
            s.attributes = cJSON_Duplicate(attrs, true);
        }
        o = bot_dialog_put(def, &s, action, intent, api == LEX_V2, &err, msg, sizeof msg);
        if (o && bot_session_save(bot_engine_store(ctx->e), &s, def->idle_ttl_s, time_now_ms())) {
            cJSON_Delete(o);
            o = NULL;
            err = PARLEY_EIO;
            snprintf(msg, sizeof msg, "The session store failed.");
        }
        bot_session_release(&s);
    }
    free(key);
    if (!o) {
        respond_error(req, api, err, msg);
    } else {
        struct http_response *r = http_response_new(200);
        const char *accept = http_request_header(req, "Accept");
        http_response_header(r, "Content-Type",
                             accept && *accept ? accept : "text/plain; charset=utf-8");
        if (api == LEX_V1) {
            const char *intent_name = json_string(o, "intentName");
            if (intent_name)
                http_response_header(r, "x-amz-lex-intent-name", intent_name);
            add_b64_header(r, "x-amz-lex-slots", cJSON_GetObjectItemCaseSensitive(o, "slots"),
                           false);
            add_b64_header(r, "x-amz-lex-session-attributes",
                           cJSON_GetObjectItemCaseSensitive(o, "sessionAttributes"), false);
            const char *m = json_string(o, "message");
            if (m) {
                bool ascii = true;
                for (const char *c = m; *c && ascii; c++)
                    ascii = (unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f;
                if (ascii) /* the deprecated plain header, for clients that still read it */
                    http_response_header(r, "x-amz-lex-message", m);
                char *b64 = header_b64(m, false);
                if (b64)
                    http_response_header(r, "x-amz-lex-encoded-message", b64);
                free(b64);
                http_response_header(r, "x-amz-lex-message-format",
                                     or_default(json_string(o, "messageFormat"), "PlainText"));
            }
            http_response_header(r, "x-amz-lex-dialog-state", json_string(o, "dialogState"));
            if (json_string(o, "slotToElicit"))
                http_response_header(r, "x-amz-lex-slot-to-elicit", json_string(o, "slotToElicit"));
            http_response_header(r, "x-amz-lex-session-id", json_string(o, "sessionId"));
        } else {
            cJSON *ss = v2_session_state(o);
            cJSON *msgs = v2_messages(o);
            add_b64_header(r, "x-amz-lex-session-state", ss, true);
            add_b64_header(r, "x-amz-lex-messages", msgs, true);
            http_response_header(r, "x-amz-lex-session-id", user);
            cJSON_Delete(ss);
            cJSON_Delete(msgs);
        }
        http_response_body(r, "", 0);
        http_respond(req, r);
        cJSON_Delete(o);
    }
    cJSON_Delete(body);
    bot_def_unref(def);
}

int bot_routes_add(struct bot_engine *e, struct http_server *srv)
{
    v1_ctx = (struct lex_ctx){e, LEX_V1};
    v2_ctx = (struct lex_ctx){e, LEX_V2};
    struct http_route_opts aws = {.errors = HTTP_ERRORS_AWS};
    const char *v1 = "/bot/{botName}/alias/{botAlias}/user/{userId}";
    const char *v2 = "/bots/{botId}/botAliases/{botAliasId}/botLocales/{localeId}/sessions/"
                     "{sessionId}";
    char path[256];
    int rc = 0;
    snprintf(path, sizeof path, "%s/text", v1);
    rc |= http_route_add(srv, "POST", path, &aws, handle_text, &v1_ctx);
    snprintf(path, sizeof path, "%s/session", v1);
    rc |= http_route_add(srv, "GET", path, &aws, handle_get_session, &v1_ctx);
    rc |= http_route_add(srv, "POST", path, &aws, handle_put_session, &v1_ctx);
    rc |= http_route_add(srv, "DELETE", path, &aws, handle_delete_session, &v1_ctx);
    snprintf(path, sizeof path, "%s/text", v2);
    rc |= http_route_add(srv, "POST", path, &aws, handle_text, &v2_ctx);
    rc |= http_route_add(srv, "GET", v2, &aws, handle_get_session, &v2_ctx);
    rc |= http_route_add(srv, "POST", v2, &aws, handle_put_session, &v2_ctx);
    rc |= http_route_add(srv, "DELETE", v2, &aws, handle_delete_session, &v2_ctx);
    return rc ? PARLEY_EINVAL : 0;
}
