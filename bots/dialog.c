/*
 * The dialog manager: one user input in, the bot's next move out, with the
 * conversation semantics of Amazon Lex V1.
 *
 * A turn first decides what the input is for. While a slot is being elicited
 * it is read as that slot's value (or a switch to another intent said
 * clearly enough); while a confirmation is pending it is read as yes or no;
 * otherwise it is classified to start an intent. Then the intent advances:
 * the dialog code hook when there is one (its dialogAction decides), else
 * the next missing required slot in priority order, then the confirmation
 * prompt, then fulfillment (ReturnIntent: ReadyForFulfillment; CodeHook: the
 * fulfillment hook's Close). Failed tries at a slot, a confirmation or at
 * being understood count against maxAttempts, after which the abort
 * statement (or the bot's AMAZON.FallbackIntent) ends the intent.
 *
 * The outcome is built in Lex V1 PostText shape; the V2 API converts it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "intents/intents.h"

#define HOOK_TIMEOUT_MS 30000
#define SWITCH_SCORE 0.6 /* how sure we must be to leave an intent in progress */

struct turn {
    struct bot_dialog_env *env;
    struct bot_session *s;
    const struct bot_intent *intent; /* the intent in progress, in env->def */
    struct intents_result nlu;
    bool have_nlu;
    bool missed; /* no intent recognized: a missed utterance (the turn log counts them) */
    char *message;
    const char *format;
    const char *card; /* a JSON string borrowed from the definition */
    cJSON *hook_card; /* a response card a code hook sent, owned */
    const char *fulfillment_state;
    int err;
    char *errmsg;
    size_t errlen;
};

static const char *default_clarification = "Sorry, can you please repeat that?";
static const char *default_abort = "Sorry, I could not understand. Goodbye.";

/* ---- small helpers ---- */

static void say(struct turn *t, char *text, const char *format)
{
    free(t->message);
    t->message = text;
    t->format = format ? format : "PlainText";
}

static void say_prompt(struct turn *t, const struct bot_prompt *p, const char *fallback)
{
    const char *format = "PlainText";
    char *text = bot_prompt_render(p, t->s->slots, t->s->attributes, t->env->request_attributes,
                                   &t->env->rng, &format);
    if (!text && fallback)
        text = bot_text_fill(fallback, t->s->slots, t->s->attributes, t->env->request_attributes);
    say(t, text, format);
    t->card = p ? p->response_card : NULL;
}

static void set_state(struct turn *t, const char *state, const char *slot)
{
    bot_session_set(&t->s->dialog_state, state);
    bot_session_set(&t->s->slot_to_elicit, slot);
}

static int fail(struct turn *t, int err, const char *fmt, const char *detail)
{
    t->err = err;
    snprintf(t->errmsg, t->errlen, fmt, detail ? detail : "");
    return -1;
}

/* Makes the session's slot map hold exactly the intent's slots (null when unset). */
static void reset_slots(struct turn *t)
{
    cJSON_Delete(t->s->slots);
    cJSON_Delete(t->s->slot_details);
    t->s->slots = cJSON_CreateObject();
    t->s->slot_details = cJSON_CreateObject();
    for (size_t i = 0; t->intent && i < t->intent->n_slots; i++)
        cJSON_AddNullToObject(t->s->slots, t->intent->slots[i].name);
}

static void replace_or_add(cJSON *obj, const char *name, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);
    else
        cJSON_AddItemToObject(obj, name, item);
}

/* A slot's entry in slotDetails: what the user said and the resolutions
 * (the resolved value, or an ambiguous value's readings). */
static void add_detail(cJSON *details, const char *name, const char *original, const char *resolved,
                       const struct intents_slot_match *readings)
{
    cJSON *d = cJSON_AddObjectToObject(details, name);
    cJSON *res = cJSON_AddArrayToObject(d, "resolutions");
    for (unsigned k = 0; readings && k < readings->n_readings; k++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "value", readings->readings[k]);
        cJSON_AddItemToArray(res, r);
    }
    if (resolved && *resolved) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "value", resolved);
        cJSON_AddItemToArray(res, r);
    }
    cJSON_AddStringToObject(d, "originalValue", original);
}

/* Sets (value) or clears (NULL) a slot, keeping the map's order. */
static void set_slot(struct turn *t, const char *name, const char *value, const char *original,
                     const char *resolved)
{
    replace_or_add(t->s->slots, name, value ? cJSON_CreateString(value) : cJSON_CreateNull());
    cJSON_DeleteItemFromObjectCaseSensitive(t->s->slot_details, name);
    if (value)
        add_detail(t->s->slot_details, name, original ? original : value, resolved, NULL);
}

/* Sets a slot from what the model read. An ambiguous value (a time like
 * "10 o'clock") leaves the slot unset and lists its readings in the slot's
 * details, as Lex does: a dialog code hook may pick one, or the slot is
 * elicited again. */
static void set_slot_match(struct turn *t, const char *name, const struct intents_slot_match *m)
{
    set_slot(t, name, intents_slot_value(m), m->original, m->resolved);
    if (!intents_slot_value(m) && m->n_readings)
        add_detail(t->s->slot_details, name, m->original, NULL, m);
}

/* An alternative intent's slots as Lex reports them: each of the intent's
 * slots, null when the text holds no value for it, and their details. */
static void alternative_slots(const struct turn *t, const char *name, cJSON *slots, cJSON *details)
{
    const struct bot_intent *in = bot_def_intent(t->env->def, name);
    for (size_t i = 0; in && i < in->n_slots; i++)
        cJSON_AddNullToObject(slots, in->slots[i].name);
    struct intents_slot_match m[INTENTS_MAX_SLOTS];
    struct intents_context ctx = {.now = t->env->now_ms / 1000};
    size_t n = 0;
    if (!in || intents_slots_of(t->env->def->model, t->env->text, strlen(t->env->text), &ctx, name,
                                m, INTENTS_MAX_SLOTS, &n) < 0)
        return;
    for (size_t k = 0; k < n; k++) {
        const char *v = intents_slot_value(&m[k]);
        if ((!v && !m[k].n_readings) || !bot_intent_slot(in, m[k].name))
            continue;
        replace_or_add(slots, m[k].name, v ? cJSON_CreateString(v) : cJSON_CreateNull());
        add_detail(details, m[k].name, m[k].original, m[k].resolved, &m[k]);
    }
}

static const char *slot_value(struct turn *t, const char *name)
{
    return json_string(t->s->slots, name);
}

static void begin_intent(struct turn *t, const struct bot_intent *in)
{
    t->intent = in;
    bot_session_set(&t->s->intent, in ? in->name : NULL);
    bot_session_set(&t->s->confirmation, "None");
    t->s->attempts = 0;
    reset_slots(t);
}

static void end_intent(struct turn *t)
{
    t->s->attempts = 0;
    t->s->clarifications = 0;
}

static bool spans_overlap(const struct intents_span *a, const struct intents_span *b)
{
    return a->byte_start < b->byte_end && b->byte_start < a->byte_end;
}

/*
 * Copies the slots the classifier found (for the intent in progress) into the
 * session. One stretch of text fills one slot: when two matches overlap, the
 * slot being elicited wins, else the first.
 */
static void take_nlu_slots(struct turn *t, const char *elicited)
{
    bool taken[INTENTS_MAX_SLOTS] = {false};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->nlu.n_slots; i++) {
            const struct intents_slot_match *m = &t->nlu.slots[i];
            bool is_elicited = elicited && strcmp(m->name, elicited) == 0;
            if (taken[i] || (!intents_slot_value(m) && !m->n_readings) ||
                !bot_intent_slot(t->intent, m->name) || (pass == 0) != is_elicited)
                continue;
            bool clash = false;
            for (size_t k = 0; k < t->nlu.n_slots && !clash; k++)
                clash = taken[k] && spans_overlap(&t->nlu.slots[k].span, &m->span);
            if (clash)
                continue;
            taken[i] = true;
            set_slot_match(t, m->name, m);
        }
    }
}

static struct intents_context nlu_context(struct turn *t, const char *elicit_slot)
{
    struct intents_context ctx = {.now = t->env->now_ms / 1000};
    if (elicit_slot && t->intent) {
        ctx.elicit_intent = t->intent->name;
        ctx.elicit_slot = elicit_slot;
    }
    return ctx;
}

static int classify(struct turn *t, const char *elicit_slot)
{
    struct intents_context ctx = nlu_context(t, elicit_slot);
    int rc =
        intents_classify(t->env->def->model, t->env->text, strlen(t->env->text), &ctx, &t->nlu);
    if (rc)
        return fail(t, PARLEY_EINVAL, "inputText cannot be understood: %s", parley_strerror(rc));
    t->have_nlu = true;
    return 0;
}

/* Applies a slot's defaultValueSpec: a literal, or [sessionAttribute]. */
static void apply_defaults(struct turn *t)
{
    for (size_t i = 0; i < t->intent->n_slots; i++) {
        const struct bot_slot *sl = &t->intent->slots[i];
        if (!sl->default_value || slot_value(t, sl->name))
            continue;
        const char *v = sl->default_value;
        size_t n = strlen(v);
        if (v[0] == '[' && n > 2 && v[n - 1] == ']') {
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(n - 2), v + 1);
            v = json_string(t->s->attributes, key);
        } else if (v[0] == '#') {
            v = NULL; /* context references: no contexts in Lex V1 text bots */
        }
        if (v)
            set_slot(t, sl->name, v, v, v);
    }
}

/* ---- recentIntentSummaryView ---- */

static void record_summary(struct turn *t, const char *action)
{
    if (!t->s->intent)
        return;
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddStringToObject(sum, "intentName", t->s->intent);
    cJSON_AddItemToObject(sum, "slots", cJSON_Duplicate(t->s->slots, true));
    cJSON_AddStringToObject(sum, "confirmationStatus",
                            t->s->confirmation ? t->s->confirmation : "None");
    cJSON_AddStringToObject(sum, "dialogActionType", action);
    if (t->fulfillment_state)
        cJSON_AddStringToObject(sum, "fulfillmentState", t->fulfillment_state);
    if (t->s->slot_to_elicit)
        cJSON_AddStringToObject(sum, "slotToElicit", t->s->slot_to_elicit);
    /* newest first, one entry per intent, at most three */
    cJSON *old = t->s->recent;
    cJSON *fresh = cJSON_CreateArray();
    cJSON_AddItemToArray(fresh, sum);
    const cJSON *e;
    cJSON_ArrayForEach(e, old)
    {
        const char *name = json_string(e, "intentName");
        if (cJSON_GetArraySize(fresh) < 3 && (!name || strcmp(name, t->s->intent) != 0))
            cJSON_AddItemToArray(fresh, cJSON_Duplicate(e, true));
    }
    cJSON_Delete(old);
    t->s->recent = fresh;
}

/* ---- endings ---- */

static int close_intent(struct turn *t, const char *fulfillment_state, const struct bot_prompt *p)
{
    t->fulfillment_state = fulfillment_state;
    set_state(t, fulfillment_state, NULL);
    if (!t->message && p)
        say_prompt(t, p, NULL);
    record_summary(t, "Close");
    end_intent(t);
    return 0;
}

static int abort_intent(struct turn *t);

/* ---- code hooks ---- */

static cJSON *hook_event(struct turn *t, const char *source)
{
    const struct bot_def *def = t->env->def;
    cJSON *ev = cJSON_CreateObject();
    cJSON *ci = cJSON_AddObjectToObject(ev, "currentIntent");
    cJSON_AddStringToObject(ci, "name", t->intent->name);
    if (t->have_nlu && t->nlu.intent && strcmp(t->nlu.intent, t->intent->name) == 0)
        cJSON_AddNumberToObject(ci, "nluIntentConfidenceScore", t->nlu.score);
    else
        cJSON_AddNullToObject(ci, "nluIntentConfidenceScore");
    cJSON_AddItemToObject(ci, "slots", cJSON_Duplicate(t->s->slots, true));
    cJSON_AddItemToObject(ci, "slotDetails", cJSON_Duplicate(t->s->slot_details, true));
    cJSON_AddStringToObject(ci, "confirmationStatus",
                            t->s->confirmation ? t->s->confirmation : "None");
    cJSON *alts = cJSON_AddArrayToObject(ev, "alternativeIntents");
    for (size_t i = 0; t->have_nlu && i < t->nlu.n_ranked; i++) {
        if (strcmp(t->nlu.ranked[i].name, t->intent->name) == 0)
            continue;
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "name", t->nlu.ranked[i].name);
        cJSON_AddNumberToObject(a, "nluIntentConfidenceScore", t->nlu.ranked[i].score);
        alternative_slots(t, t->nlu.ranked[i].name, cJSON_AddObjectToObject(a, "slots"),
                          cJSON_AddObjectToObject(a, "slotDetails"));
        cJSON_AddStringToObject(a, "confirmationStatus", "None");
        cJSON_AddItemToArray(alts, a);
    }
    cJSON *bot = cJSON_AddObjectToObject(ev, "bot");
    cJSON_AddStringToObject(bot, "name", def->name);
    cJSON_AddStringToObject(bot, "alias", t->env->alias);
    cJSON_AddStringToObject(bot, "version", def->version);
    cJSON_AddStringToObject(ev, "userId", t->env->user);
    cJSON_AddStringToObject(ev, "inputTranscript", t->env->text);
    cJSON_AddStringToObject(ev, "invocationSource", source);
    cJSON_AddStringToObject(ev, "outputDialogMode", "Text");
    cJSON_AddStringToObject(ev, "messageVersion", "1.0");
    cJSON_AddItemToObject(ev, "sessionAttributes", cJSON_Duplicate(t->s->attributes, true));
    if (t->env->request_attributes && cJSON_GetArraySize(t->env->request_attributes) > 0)
        cJSON_AddItemToObject(ev, "requestAttributes",
                              cJSON_Duplicate(t->env->request_attributes, true));
    else
        cJSON_AddNullToObject(ev, "requestAttributes");
    cJSON_AddItemToObject(ev, "recentIntentSummaryView", cJSON_Duplicate(t->s->recent, true));
    cJSON_AddItemToObject(ev, "activeContexts", cJSON_CreateArray());
    return ev;
}

/* Invokes hook; returns the parsed reply (caller frees) or NULL after fail(). */
static cJSON *call_hook(struct turn *t, const struct bot_hook *hook, const char *source)
{
    if (!t->env->hook) {
        fail(t, PARLEY_EIO, "No function runner is configured for code hook %s.", hook->uri);
        return NULL;
    }
    cJSON *ev = hook_event(t, source);
    size_t len;
    char *text = json_print(ev, &len);
    cJSON_Delete(ev);
    if (!text) {
        fail(t, PARLEY_ENOMEM, "out of memory%s", NULL);
        return NULL;
    }
    char *reply = NULL, why[512] = "";
    size_t rlen = 0;
    int rc = t->env->hook(t->env->hook_ud, hook->uri, text, len, HOOK_TIMEOUT_MS, &reply, &rlen,
                          why, sizeof why);
    free(text);
    if (rc) {
        char detail[700];
        snprintf(detail, sizeof detail, "%s: %s", hook->uri, why[0] ? why : parley_strerror(rc));
        fail(t, PARLEY_EIO, "Code hook failed: %s", detail);
        free(reply);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(reply, rlen);
    free(reply);
    if (!cJSON_IsObject(j) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "dialogAction"))) {
        cJSON_Delete(j);
        fail(t, PARLEY_EIO, "Invalid Lambda Response: %s",
             "the reply must be a JSON object with a dialogAction object");
        return NULL;
    }
    return j;
}

/* Replaces slots from a dialogAction's "slots" map, keeping only the intent's own slots. */
static void take_action_slots(struct turn *t, const cJSON *slots)
{
    if (!cJSON_IsObject(slots))
        return;
    for (size_t i = 0; i < t->intent->n_slots; i++) {
        const char *name = t->intent->slots[i].name;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(slots, name);
        if (!v)
            continue;
        const char *cur = slot_value(t, name);
        if (cJSON_IsString(v) && (!cur || strcmp(cur, v->valuestring) != 0))
            set_slot(t, name, v->valuestring, v->valuestring, v->valuestring);
        else if (cJSON_IsNull(v))
            set_slot(t, name, NULL, NULL, NULL);
    }
}

static void take_action_message(struct turn *t, const cJSON *action)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(action, "message");
    const char *content = json_string(m, "content");
    if (content) {
        static const char *const formats[] = {"PlainText", "SSML", "CustomPayload", "Composite"};
        const char *ct = json_string(m, "contentType");
        const char *format = "PlainText";
        for (size_t i = 0; ct && i < sizeof formats / sizeof formats[0]; i++)
            if (strcmp(ct, formats[i]) == 0)
                format = formats[i];
        say(t, strdup(content), format);
    }
    const cJSON *card = cJSON_GetObjectItemCaseSensitive(action, "responseCard");
    if (cJSON_IsObject(card)) {
        cJSON_Delete(t->hook_card);
        t->hook_card = cJSON_Duplicate(card, true);
    }
}

static int delegate_next(struct turn *t);
static int fulfill(struct turn *t);

/* Acts on a code hook's reply; takes it. */
static int apply_action(struct turn *t, cJSON *reply, bool from_fulfillment)
{
    int rc = 0;
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(reply, "sessionAttributes");
    if (cJSON_IsObject(attrs)) {
        cJSON *fresh = cJSON_CreateObject();
        const cJSON *a;
        cJSON_ArrayForEach(a, attrs)
        {
            if (cJSON_IsString(a)) {
                cJSON_AddStringToObject(fresh, a->string, a->valuestring);
            } else if (!cJSON_IsNull(a)) {
                char *s = cJSON_PrintUnformatted(a);
                cJSON_AddStringToObject(fresh, a->string, s ? s : "");
                free(s);
            }
        }
        cJSON_Delete(t->s->attributes);
        t->s->attributes = fresh;
    }
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(reply, "dialogAction");
    const char *type = json_string(action, "type");
    take_action_message(t, action);
    if (!type) {
        rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: %s", "dialogAction.type is missing");
    } else if (strcmp(type, "Close") == 0) {
        const char *fs = json_string(action, "fulfillmentState");
        if (!fs || (strcmp(fs, "Fulfilled") && strcmp(fs, "Failed"))) {
            rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: %s",
                      "Close needs fulfillmentState Fulfilled or Failed");
        } else {
            rc = close_intent(t, strcmp(fs, "Fulfilled") == 0 ? "Fulfilled" : "Failed",
                              strcmp(fs, "Fulfilled") == 0 ? &t->intent->conclusion : NULL);
            if (!rc && strcmp(fs, "Fulfilled") == 0 && t->intent->follow_up.n_messages &&
                !json_string(cJSON_GetObjectItemCaseSensitive(action, "message"), "content")) {
                say_prompt(t, &t->intent->follow_up, NULL);
                set_state(t, "ElicitIntent", NULL);
            }
        }
    } else if (strcmp(type, "Delegate") == 0) {
        if (from_fulfillment) {
            rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: %s",
                      "a fulfillment code hook must answer with Close (or another action), not "
                      "Delegate");
        } else {
            take_action_slots(t, cJSON_GetObjectItemCaseSensitive(action, "slots"));
            free(t->message);
            t->message = NULL; /* Lex uses the configured prompts after a Delegate */
            rc = delegate_next(t);
        }
    } else if (strcmp(type, "ElicitSlot") == 0 || strcmp(type, "ConfirmIntent") == 0) {
        const char *iname = json_string(action, "intentName");
        const struct bot_intent *in = iname ? bot_def_intent(t->env->def, iname) : t->intent;
        if (!in) {
            rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: %s",
                      "dialogAction.intentName is not an intent of this bot");
        } else {
            if (in != t->intent) {
                record_summary(t, "ElicitIntent");
                begin_intent(t, in);
            }
            take_action_slots(t, cJSON_GetObjectItemCaseSensitive(action, "slots"));
            if (strcmp(type, "ConfirmIntent") == 0) {
                bot_session_set(&t->s->confirmation, "None");
                set_state(t, "ConfirmIntent", NULL);
                if (!t->message)
                    say_prompt(t, &in->confirmation, "Do you want to continue?");
                record_summary(t, "ConfirmIntent");
            } else {
                const char *slot = json_string(action, "slotToElicit");
                const struct bot_slot *sl = slot ? bot_intent_slot(in, slot) : NULL;
                if (!sl) {
                    rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: %s",
                              "ElicitSlot needs slotToElicit naming a slot of the intent");
                } else {
                    set_state(t, "ElicitSlot", sl->name);
                    if (!t->message)
                        say_prompt(t, &sl->prompt, NULL);
                    record_summary(t, "ElicitSlot");
                }
            }
        }
    } else if (strcmp(type, "ElicitIntent") == 0) {
        record_summary(t, "ElicitIntent");
        set_state(t, "ElicitIntent", NULL);
        if (!t->message)
            say_prompt(t, &t->env->def->clarification, default_clarification);
        bot_session_set(&t->s->intent, NULL);
        t->intent = NULL;
        end_intent(t);
    } else {
        rc = fail(t, PARLEY_EIO, "Invalid Lambda Response: unknown dialogAction.type %s", type);
    }
    cJSON_Delete(reply);
    return rc;
}

/* ---- advancing an intent ---- */

static int elicit(struct turn *t, const struct bot_slot *sl)
{
    if (!t->s->slot_to_elicit || strcmp(t->s->slot_to_elicit, sl->name) != 0)
        t->s->attempts = 0;
    set_state(t, "ElicitSlot", sl->name);
    say_prompt(t, &sl->prompt, NULL);
    record_summary(t, "ElicitSlot");
    return 0;
}

static int fulfill(struct turn *t)
{
    if (!t->intent->fulfillment_hook.uri || t->env->put_session) {
        t->fulfillment_state = "ReadyForFulfillment";
        set_state(t, "ReadyForFulfillment", NULL);
        record_summary(t, "Close");
        end_intent(t);
        return 0;
    }
    cJSON *reply = call_hook(t, &t->intent->fulfillment_hook, "FulfillmentCodeHook");
    return reply ? apply_action(t, reply, true) : -1;
}

/* What Lex does on its own (and after a Delegate): next slot, confirmation, fulfillment. */
static int delegate_next(struct turn *t)
{
    apply_defaults(t);
    for (size_t i = 0; i < t->intent->n_slots; i++) {
        const struct bot_slot *sl = &t->intent->slots[i];
        if (sl->required && !slot_value(t, sl->name))
            return elicit(t, sl);
    }
    const char *conf = t->s->confirmation ? t->s->confirmation : "None";
    if (strcmp(conf, "Denied") == 0)
        return close_intent(t, "Failed", &t->intent->rejection);
    if (t->intent->confirmation.n_messages && strcmp(conf, "Confirmed") != 0) {
        t->s->attempts = 0;
        set_state(t, "ConfirmIntent", NULL);
        say_prompt(t, &t->intent->confirmation, NULL);
        record_summary(t, "ConfirmIntent");
        return 0;
    }
    return fulfill(t);
}

/* After the input changed the intent's state: the dialog hook, or Lex's own next step. */
static int advance(struct turn *t)
{
    if (t->intent->builtin != BOT_BUILTIN_NONE) {
        /* Built-ins end at once: their conclusion, their code hook, or ReadyForFulfillment. */
        if (t->intent->fulfillment_hook.uri)
            return fulfill(t);
        if (t->intent->conclusion.n_messages)
            return close_intent(t, "Fulfilled", &t->intent->conclusion);
        return fulfill(t);
    }
    if (t->intent->dialog_hook.uri) {
        cJSON *reply = call_hook(t, &t->intent->dialog_hook, "DialogCodeHook");
        return reply ? apply_action(t, reply, false) : -1;
    }
    return delegate_next(t);
}

static int abort_intent(struct turn *t)
{
    const struct bot_intent *fb = bot_def_builtin(t->env->def, BOT_BUILTIN_FALLBACK);
    if (fb) {
        if (t->s->intent)
            record_summary(t, "Close");
        begin_intent(t, fb);
        t->s->clarifications = 0;
        return advance(t);
    }
    say_prompt(t, &t->env->def->abort_statement, default_abort);
    bot_session_set(&t->s->confirmation, "None");
    return close_intent(t, "Failed", NULL);
}

/* ---- reading the input ---- */

static bool is_terminal(const char *state)
{
    return !state || !strcmp(state, "Fulfilled") || !strcmp(state, "Failed") ||
           !strcmp(state, "ReadyForFulfillment") || !strcmp(state, "ElicitIntent");
}

/* A built-in (Cancel, Stop, StartOver, Help, Repeat) said during another intent. */
static int handle_builtin(struct turn *t, const struct bot_intent *in)
{
    switch (in->builtin) {
    case BOT_BUILTIN_REPEAT:
        if (t->s->last_message) {
            say(t, strdup(t->s->last_message), "PlainText");
            return 0;
        }
        break;
    case BOT_BUILTIN_HELP:
        if (t->intent && !is_terminal(t->s->dialog_state)) {
            /* answer, then keep waiting for what was asked */
            say_prompt(t, &in->conclusion, "I can help you with that.");
            return 0;
        }
        break;
    default:
        if (t->s->intent && !is_terminal(t->s->dialog_state))
            record_summary(t, "Close");
        break;
    }
    begin_intent(t, in);
    return advance(t);
}

static int new_intent_from_nlu(struct turn *t)
{
    if (t->nlu.fallback) {
        t->missed = true;
        t->s->clarifications++;
        int max =
            t->env->def->clarification.max_attempts ? t->env->def->clarification.max_attempts : 2;
        if (t->s->clarifications > max)
            return abort_intent(t);
        bot_session_set(&t->s->intent, NULL);
        t->intent = NULL;
        set_state(t, "ElicitIntent", NULL);
        say_prompt(t, &t->env->def->clarification, default_clarification);
        return 0;
    }
    const struct bot_intent *in = bot_def_intent(t->env->def, t->nlu.intent);
    if (!in)
        return fail(t, PARLEY_EIO, "the model returned an unknown intent %s", t->nlu.intent);
    t->s->clarifications = 0;
    if (in->builtin == BOT_BUILTIN_FALLBACK)
        t->missed = true;
    if (in->builtin != BOT_BUILTIN_NONE)
        return handle_builtin(t, in);
    if (t->s->intent && !is_terminal(t->s->dialog_state))
        record_summary(t, "Close");
    begin_intent(t, in);
    take_nlu_slots(t, NULL);
    return advance(t);
}

static bool confident_switch(struct turn *t)
{
    return t->have_nlu && !t->nlu.fallback && t->nlu.intent &&
           (!t->intent || strcmp(t->nlu.intent, t->intent->name) != 0) &&
           t->nlu.score >= SWITCH_SCORE;
}

static const struct bot_intent *nlu_builtin(struct turn *t)
{
    if (!t->have_nlu || t->nlu.fallback || !t->nlu.intent)
        return NULL;
    const struct bot_intent *in = bot_def_intent(t->env->def, t->nlu.intent);
    return in && in->builtin != BOT_BUILTIN_NONE && t->nlu.score >= SWITCH_SCORE ? in : NULL;
}

static int answer_slot(struct turn *t)
{
    const struct bot_slot *sl = bot_intent_slot(t->intent, t->s->slot_to_elicit);
    if (!sl)
        return new_intent_from_nlu(t);
    if (classify(t, sl->name))
        return -1;
    const struct bot_intent *b = nlu_builtin(t);
    if (b)
        return handle_builtin(t, b);
    if (t->nlu.intent && strcmp(t->nlu.intent, t->intent->name) == 0)
        take_nlu_slots(t, sl->name);
    if (!slot_value(t, sl->name)) {
        struct intents_context ctx = nlu_context(t, sl->name);
        struct intents_slot_match m;
        if (intents_slot_resolve(t->env->def->model, sl->slot_type, t->env->text,
                                 strlen(t->env->text), &ctx, &m) == 0 &&
            (intents_slot_value(&m) || m.n_readings))
            set_slot_match(t, sl->name, &m);
    }
    if (slot_value(t, sl->name)) {
        t->s->attempts = 0;
        return advance(t);
    }
    if (confident_switch(t))
        return new_intent_from_nlu(t);
    t->s->attempts++;
    if (t->s->attempts >= (sl->prompt.max_attempts ? sl->prompt.max_attempts : 2))
        return abort_intent(t);
    return elicit(t, sl);
}

static int answer_confirmation(struct turn *t)
{
    int yn = bot_yes_no(t->env->text);
    if (yn >= 0) {
        bot_session_set(&t->s->confirmation, yn ? "Confirmed" : "Denied");
        t->s->attempts = 0;
        if (t->intent->dialog_hook.uri) {
            cJSON *reply = call_hook(t, &t->intent->dialog_hook, "DialogCodeHook");
            return reply ? apply_action(t, reply, false) : -1;
        }
        return delegate_next(t);
    }
    if (classify(t, NULL))
        return -1;
    const struct bot_intent *b = nlu_builtin(t);
    if (b)
        return handle_builtin(t, b);
    if (confident_switch(t))
        return new_intent_from_nlu(t);
    t->s->attempts++;
    if (t->s->attempts >=
        (t->intent->confirmation.max_attempts ? t->intent->confirmation.max_attempts : 2))
        return abort_intent(t);
    set_state(t, "ConfirmIntent", NULL);
    say_prompt(t, &t->intent->confirmation, NULL);
    return 0;
}

/* ---- yes / no ---- */

int bot_yes_no(const char *text)
{
    static const char *const yes[] = {
        "yes",         "yeah",         "yep",        "yup",          "y",
        "sure",        "ok",           "okay",       "correct",      "right",
        "affirmative", "absolutely",   "of course",  "please do",    "do it",
        "sounds good", "that's right", "yes please", "go ahead",     "confirm",
        "certainly",   "definitely",   "yes it is",  "that is right"};
    static const char *const no[] = {"no",       "nope",       "nah",          "n",
                                     "negative", "not really", "no thanks",    "no thank you",
                                     "don't",    "do not",     "wrong",        "not now",
                                     "no way",   "never",      "no it is not", "that's wrong"};
    char norm[128];
    size_t n = 0;
    for (const char *p = text; *p && n < sizeof norm - 1; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.' || c == '!' || c == ',' || c == '?')
            continue;
        norm[n++] = (char)tolower(c);
    }
    while (n && norm[n - 1] == ' ')
        n--;
    norm[n] = '\0';
    const char *s = norm;
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcmp(s, no[i]) == 0)
            return 0;
    return -1;
}

/* ---- the outcome ---- */

static cJSON *outcome(const struct bot_def *def, const struct bot_session *s, const struct turn *t)
{
    cJSON *o = cJSON_CreateObject();
    if (s->intent)
        cJSON_AddStringToObject(o, "intentName", s->intent);
    if (t && t->have_nlu && !t->nlu.fallback && s->intent && t->nlu.intent &&
        strcmp(t->nlu.intent, s->intent) == 0) {
        cJSON *c = cJSON_AddObjectToObject(o, "nluIntentConfidence");
        cJSON_AddNumberToObject(c, "score", t->nlu.score);
    }
    /* the alternatives' slot details go to the V2 API only, index by index */
    cJSON *alt_details = NULL;
    if (t && t->have_nlu) {
        cJSON *alts = cJSON_AddArrayToObject(o, "alternativeIntents");
        alt_details = cJSON_CreateArray();
        for (size_t i = 0; i < t->nlu.n_ranked && cJSON_GetArraySize(alts) < 4; i++) {
            if (s->intent && strcmp(t->nlu.ranked[i].name, s->intent) == 0)
                continue;
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "intentName", t->nlu.ranked[i].name);
            cJSON *c = cJSON_AddObjectToObject(a, "nluIntentConfidence");
            cJSON_AddNumberToObject(c, "score", t->nlu.ranked[i].score);
            cJSON *d = cJSON_CreateObject();
            alternative_slots(t, t->nlu.ranked[i].name, cJSON_AddObjectToObject(a, "slots"), d);
            cJSON_AddItemToArray(alts, a);
            cJSON_AddItemToArray(alt_details, d);
        }
        if (!t->nlu.fallback && cJSON_GetArraySize(alts) < 4) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "intentName", INTENTS_FALLBACK);
            cJSON_AddItemToObject(a, "slots", cJSON_CreateObject());
            cJSON_AddItemToArray(alts, a);
            cJSON_AddItemToArray(alt_details, cJSON_CreateObject());
        }
    }
    if (s->intent)
        cJSON_AddItemToObject(o, "slots", cJSON_Duplicate(s->slots, true));
    cJSON_AddItemToObject(o, "sessionAttributes", cJSON_Duplicate(s->attributes, true));
    if (t && t->message) {
        cJSON_AddStringToObject(o, "message", t->message);
        cJSON_AddStringToObject(o, "messageFormat", t->format ? t->format : "PlainText");
    }
    cJSON_AddStringToObject(o, "dialogState", s->dialog_state ? s->dialog_state : "ElicitIntent");
    if (s->slot_to_elicit)
        cJSON_AddStringToObject(o, "slotToElicit", s->slot_to_elicit);
    if (t && t->hook_card) {
        cJSON_AddItemToObject(o, "responseCard", cJSON_Duplicate(t->hook_card, true));
    } else if (t && t->card) {
        cJSON *card = cJSON_Parse(t->card);
        if (card)
            cJSON_AddItemToObject(o, "responseCard", card);
    }
    cJSON_AddStringToObject(o, "sessionId", s->session_id);
    cJSON_AddStringToObject(o, "botVersion", def->version);
    /* What the V2 API needs besides: slot details and the confirmation state; and for the turn
       log, whether the input was missed. Never shown to a V1 caller. */
    cJSON *v2 = cJSON_AddObjectToObject(o, "_v2");
    if (t && t->missed)
        cJSON_AddTrueToObject(v2, "missed");
    cJSON_AddItemToObject(v2, "slotDetails", cJSON_Duplicate(s->slot_details, true));
    if (alt_details)
        cJSON_AddItemToObject(v2, "alternativeSlotDetails", alt_details);
    cJSON_AddStringToObject(v2, "confirmationStatus", s->confirmation ? s->confirmation : "None");
    if (t && t->fulfillment_state)
        cJSON_AddStringToObject(v2, "fulfillmentState", t->fulfillment_state);
    return o;
}

cJSON *bot_session_outcome(const struct bot_def *def, const struct bot_session *s)
{
    return outcome(def, s, NULL);
}

cJSON *bot_dialog_turn(struct bot_dialog_env *env, struct bot_session *s, int *err, char *msg,
                       size_t msglen)
{
    struct turn t = {.env = env, .s = s, .errmsg = msg, .errlen = msglen};
    t.intent = s->intent ? bot_def_intent(env->def, s->intent) : NULL;
    const char *state = s->dialog_state;
    int rc;
    s->turns++;
    if (t.intent && state && strcmp(state, "ElicitSlot") == 0 && s->slot_to_elicit)
        rc = answer_slot(&t);
    else if (t.intent && state && strcmp(state, "ConfirmIntent") == 0)
        rc = answer_confirmation(&t);
    else
        rc = classify(&t, NULL) ? -1 : new_intent_from_nlu(&t);
    cJSON *o = NULL;
    if (rc == 0) {
        if (t.message)
            bot_session_set(&s->last_message, t.message);
        o = outcome(env->def, s, &t);
        *err = 0;
    } else {
        *err = t.err ? t.err : PARLEY_EIO;
    }
    free(t.message);
    cJSON_Delete(t.hook_card);
    return o;
}

/* ---- PutSession ---- */

cJSON *bot_dialog_put(struct bot_def *def, struct bot_session *s, const cJSON *action,
                      const cJSON *v2_intent, bool v2, int *err, char *msg, size_t msglen)
{
    struct bot_dialog_env env = {.def = def,
                                 .text = "",
                                 .now_ms = time_now_ms(),
                                 .put_session = true,
                                 .rng = (uint64_t)time_mono_us()};
    struct turn t = {.env = &env, .s = s, .errmsg = msg, .errlen = msglen};
    t.intent = s->intent ? bot_def_intent(def, s->intent) : NULL;
    const char *type = json_string(action, "type");
    const char *iname = v2 ? json_string(v2_intent, "name") : json_string(action, "intentName");
    cJSON *slots = cJSON_CreateObject();
    const cJSON *src = v2 ? cJSON_GetObjectItemCaseSensitive(v2_intent, "slots")
                          : cJSON_GetObjectItemCaseSensitive(action, "slots");
    const cJSON *x;
    cJSON_ArrayForEach(x, src)
    {
        const char *v =
            v2 ? json_string(cJSON_GetObjectItemCaseSensitive(x, "value"), "interpretedValue")
               : (cJSON_IsString(x) ? x->valuestring : NULL);
        if (v)
            cJSON_AddStringToObject(slots, x->string, v);
        else
            cJSON_AddNullToObject(slots, x->string);
    }
    const char *fs = v2 ? json_string(v2_intent, "state") : json_string(action, "fulfillmentState");
    int rc = 0;
    *err = PARLEY_EINVAL;
    if (action && !type) {
        rc = fail(&t, PARLEY_EINVAL, "dialogAction.type is required.%s", NULL);
    } else if (type && strcmp(type, "ElicitIntent") && strcmp(type, "ElicitSlot") &&
               strcmp(type, "ConfirmIntent") && strcmp(type, "Close") && strcmp(type, "Delegate")) {
        rc = fail(&t, PARLEY_EINVAL, "dialogAction.type %s is not a Lex dialog action.", type);
    } else if (type && strcmp(type, "ElicitIntent") != 0) {
        const struct bot_intent *in = iname ? bot_def_intent(def, iname) : t.intent;
        if (!in) {
            rc = fail(&t, PARLEY_EINVAL, "The intent %s is not an intent of this bot.",
                      iname ? iname : "(none)");
        } else {
            if (in != t.intent || (iname && (!s->intent || strcmp(s->intent, iname))))
                begin_intent(&t, in);
            t.intent = in;
            take_action_slots(&t, slots);
            const char *m = v2 ? NULL : json_string(action, "message");
            if (m)
                say(&t, strdup(m), json_string(action, "messageFormat"));
            if (!strcmp(type, "ElicitSlot")) {
                const char *ste = json_string(action, "slotToElicit");
                const struct bot_slot *sl = ste ? bot_intent_slot(in, ste) : NULL;
                if (!sl)
                    rc = fail(&t, PARLEY_EINVAL,
                              "dialogAction.slotToElicit must name a slot of the intent.%s", NULL);
                else if (!t.message)
                    rc = elicit(&t, sl);
                else
                    set_state(&t, "ElicitSlot", sl->name);
            } else if (!strcmp(type, "ConfirmIntent")) {
                set_state(&t, "ConfirmIntent", NULL);
                if (!t.message)
                    say_prompt(&t, &in->confirmation, NULL);
            } else if (!strcmp(type, "Close")) {
                if (!fs || (strcmp(fs, "Fulfilled") && strcmp(fs, "Failed") &&
                            strcmp(fs, "ReadyForFulfillment")))
                    rc = fail(&t, PARLEY_EINVAL,
                              "Close needs fulfillmentState Fulfilled, Failed or "
                              "ReadyForFulfillment.%s",
                              NULL);
                else
                    rc = close_intent(&t, fs, NULL);
            } else {
                rc = delegate_next(&t);
            }
        }
    } else if (type) {
        bot_session_set(&s->intent, NULL);
        set_state(&t, "ElicitIntent", NULL);
        const char *m = v2 ? NULL : json_string(action, "message");
        if (m)
            say(&t, strdup(m), json_string(action, "messageFormat"));
    }
    cJSON_Delete(slots);
    cJSON *o = NULL;
    if (rc == 0) {
        o = outcome(def, s, &t);
        *err = 0;
    } else if (t.err) {
        *err = t.err;
    }
    free(t.message);
    cJSON_Delete(t.hook_card);
    return o;
}
