/*
 * bots/: the dialog manager through the engine — code hook events and every
 * dialogAction a hook can answer, retries past maxAttempts, the idle TTL, a
 * restart in the middle of a conversation, concurrent turns for one user,
 * placeholders and seeded prompt choice, definition errors; the conversation
 * log (newest first, retention, missed utterances, listeners), edits of
 * $LATEST (retrained at once, written to the bot file) and the config's
 * intents.wordVectors.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots/bots.h"
#include "common/common.h"
#include "server/config.h"
#include "store/store.h"

static char dir[256];
static struct parley_config cfg;
static struct store *st;
static struct bot_engine *engine;

/* ---- the fake code hook: answers with the scripted reply and records the event ---- */

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *dialog_reply;      /* NULL: Delegate with the event's slots */
static const char *fulfillment_reply; /* NULL: Close/Fulfilled naming the size */
static int hook_fail;                 /* non-zero: fail with this code */
static cJSON *last_event;
static int hook_calls;

static int fake_hook(void *ud, const char *uri, const char *event, size_t len, unsigned timeout_ms,
                     char **reply, size_t *reply_len, char *err, size_t errlen)
{
    pthread_mutex_lock(&hook_lock);
    hook_calls++;
    cJSON_Delete(last_event);
    last_event = cJSON_ParseWithLength(event, len);
    const char *source = json_string(last_event, "invocationSource");
    const cJSON *slots =
        cJSON_GetObjectItem(cJSON_GetObjectItem(last_event, "currentIntent"), "slots");
    struct buf b = BUF_INIT(8192);
    if (hook_fail) {
        snprintf(err, errlen, "the function crashed");
        pthread_mutex_unlock(&hook_lock);
        return hook_fail;
    }
    bool dialog = strcmp(source, "DialogCodeHook") == 0;
    const char *scripted = dialog ? dialog_reply : fulfillment_reply;
    if (scripted) {
        buf_puts(&b, scripted);
    } else if (dialog) {
        char *s = cJSON_PrintUnformatted(slots);
        buf_printf(&b, "{\"dialogAction\":{\"type\":\"Delegate\",\"slots\":%s}}", s);
        free(s);
    } else {
        const char *size = json_string(slots, "Size");
        buf_printf(&b,
                   "{\"sessionAttributes\":{\"ordered\":\"%s\"},\"dialogAction\":{\"type\":"
                   "\"Close\",\"fulfillmentState\":\"Fulfilled\",\"message\":{\"contentType\":"
                   "\"PlainText\",\"content\":\"Your %s pizza is ordered.\"}}}",
                   size ? size : "?", size ? size : "?");
    }
    pthread_mutex_unlock(&hook_lock);
    *reply = buf_detach(&b, reply_len);
    return 0;
}

/* ---- fixtures ---- */

static const char *pizza_bot =
    "{\"metadata\":{\"schemaVersion\":\"1.0\",\"importType\":\"LEX\",\"importFormat\":\"JSON\"},"
    "\"resource\":{\"name\":\"PizzaBot\",\"locale\":\"en-US\",\"idleSessionTTLInSeconds\":60,"
    "\"clarificationPrompt\":{\"messages\":[{\"contentType\":\"PlainText\",\"content\":\"Say "
    "again?\"}],\"maxAttempts\":1},"
    "\"abortStatement\":{\"messages\":[{\"contentType\":\"PlainText\",\"content\":\"Giving "
    "up.\"}]},"
    "\"intents\":[{\"name\":\"OrderPizza\",\"sampleUtterances\":[\"I want a pizza\",\"order a "
    "pizza\",\"I would like to order a pizza\",\"get me a {Size} pizza\",\"order a {Size} "
    "pizza\",\"pizza please\",\"order a {Size} pizza for {Time}\"],"
    "\"slots\":[{\"name\":\"Size\",\"slotConstraint\":\"Required\",\"slotType\":\"PizzaSize\","
    "\"priority\":1,\"valueElicitationPrompt\":{\"messages\":[{\"contentType\":\"PlainText\","
    "\"content\":\"What size, [name]?\",\"groupNumber\":1},{\"contentType\":\"PlainText\","
    "\"content\":\"Which size, [name]?\",\"groupNumber\":1}],\"maxAttempts\":2}},"
    "{\"name\":\"Count\",\"slotConstraint\":\"Required\",\"slotType\":\"AMAZON.NUMBER\","
    "\"priority\":2,\"valueElicitationPrompt\":{\"messages\":[{\"contentType\":\"PlainText\","
    "\"content\":\"How many {Size} pizzas ((channel))?\"}],\"maxAttempts\":2}},"
    "{\"name\":\"Time\",\"slotConstraint\":\"Optional\",\"slotType\":\"AMAZON.TIME\","
    "\"priority\":3}],"
    "\"confirmationPrompt\":{\"messages\":[{\"contentType\":\"PlainText\",\"content\":\"{Count} "
    "{Size}, right?\"}],\"maxAttempts\":2},"
    "\"rejectionStatement\":{\"messages\":[{\"contentType\":\"PlainText\",\"content\":\"Not "
    "ordered.\"}]},"
    "\"dialogCodeHook\":{\"uri\":\"arn:aws:lambda:us-east-1:1:function:PizzaDialog\","
    "\"messageVersion\":\"1.0\"},"
    "\"fulfillmentActivity\":{\"type\":\"CodeHook\",\"codeHook\":{\"uri\":\"arn:aws:lambda:us-"
    "east-1:1:function:PizzaOrder\",\"messageVersion\":\"1.0\"}}},"
    "{\"name\":\"Greeting\",\"sampleUtterances\":[\"hello\",\"hi there\",\"good "
    "morning\",\"hey\"],\"conclusionStatement\":{\"messages\":[{\"contentType\":\"PlainText\","
    "\"content\":\"Hello!\"}]}}],"
    "\"slotTypes\":[{\"name\":\"PizzaSize\",\"valueSelectionStrategy\":\"TOP_RESOLUTION\","
    "\"enumerationValues\":[{\"value\":\"small\",\"synonyms\":[\"little\"]},{\"value\":"
    "\"medium\"},{\"value\":\"large\",\"synonyms\":[\"big\",\"huge\"]}]}]}}";

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void start_engine(void)
{
    char path[512], err[1024] = "";
    snprintf(path, sizeof path, "%s/parley.json", dir);
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), 0);
    struct bot_engine_options o = {.workers = 4, .message_seed = 42, .hook = fake_hook};
    int rc = bot_engine_new(&cfg, st, &o, &engine, err, sizeof err);
    ck_assert_msg(rc == 0, "bot_engine_new: %s", err);
}

static void stop_engine(void)
{
    bot_engine_free(engine);
    engine = NULL;
    config_release(&cfg);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/parley-test-dialog-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file("pizza.json", pizza_bot);
    write_file("parley.json",
               "{\"bots\":[{\"file\":\"pizza.json\",\"aliases\":{\"live\":\"1\"}}]}");
    char err[256];
    ck_assert_int_eq(store_open(dir, &st, err, sizeof err), 0);
    dialog_reply = fulfillment_reply = NULL;
    hook_fail = 0;
    hook_calls = 0;
    start_engine();
}

static void teardown(void)
{
    stop_engine();
    store_close(st);
    cJSON_Delete(last_event);
    last_event = NULL;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int64_t clock_ms = 1790000000000; /* a fixed "now" the tests move by hand */

/* One turn for user; fails the test on an error unless want_err is set. */
static cJSON *turn_as(const char *user, const char *text, int want_err)
{
    struct bot_turn t = {
        .bot = "PizzaBot", .alias = "$LATEST", .user = user, .text = text, .now_ms = clock_ms};
    int err = 0;
    char msg[1024] = "";
    cJSON *o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    if (want_err) {
        ck_assert_ptr_null(o);
        ck_assert_int_eq(err, want_err);
        return NULL;
    }
    ck_assert_msg(o != NULL, "turn \"%s\" failed: %s", text, msg);
    return o;
}

static cJSON *turn(const char *text)
{
    return turn_as("user-1", text, 0);
}

static void expect(cJSON *o, const char *state, const char *message)
{
    ck_assert_str_eq(json_string(o, "dialogState"), state);
    if (message)
        ck_assert_str_eq(json_string(o, "message"), message);
    else
        ck_assert_ptr_null(json_string(o, "message"));
    cJSON_Delete(o);
}

/* ---- tests ---- */

START_TEST(full_order_with_hooks_and_event_shape)
{
    cJSON *o = turn("I want a pizza");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Size");
    /* the dialog hook saw the turn in the Lex V1 event format */
    ck_assert_str_eq(json_string(last_event, "invocationSource"), "DialogCodeHook");
    ck_assert_str_eq(json_string(last_event, "messageVersion"), "1.0");
    ck_assert_str_eq(json_string(last_event, "outputDialogMode"), "Text");
    ck_assert_str_eq(json_string(last_event, "userId"), "user-1");
    ck_assert_str_eq(json_string(last_event, "inputTranscript"), "I want a pizza");
    const cJSON *ci = cJSON_GetObjectItem(last_event, "currentIntent");
    ck_assert_str_eq(json_string(ci, "name"), "OrderPizza");
    ck_assert_str_eq(json_string(ci, "confirmationStatus"), "None");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(ci, "slots"), "Size")));
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(last_event, "bot"), "alias"), "$LATEST");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(last_event, "requestAttributes")));
    cJSON_Delete(o);

    o = turn("big");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Count");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(o, "slots"), "Size"), "large");
    /* the synonym resolved to its value, the original kept in slotDetails */
    const cJSON *sd =
        cJSON_GetObjectItem(cJSON_GetObjectItem(last_event, "currentIntent"), "slotDetails");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(sd, "Size"), "originalValue"), "big");
    cJSON_Delete(o);

    o = turn("two");
    ck_assert_str_eq(json_string(o, "dialogState"), "ConfirmIntent");
    ck_assert_str_eq(json_string(o, "message"), "2 large, right?");
    cJSON_Delete(o);

    o = turn("yes please");
    ck_assert_str_eq(json_string(o, "dialogState"), "Fulfilled");
    ck_assert_str_eq(json_string(o, "message"), "Your large pizza is ordered.");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(o, "sessionAttributes"), "ordered"), "large");
    ck_assert_str_eq(json_string(last_event, "invocationSource"), "FulfillmentCodeHook");
    ck_assert_str_eq(
        json_string(cJSON_GetObjectItem(last_event, "currentIntent"), "confirmationStatus"),
        "Confirmed");
    /* the summary view the next hook will see */
    cJSON_Delete(o);
    o = turn("order a pizza");
    const cJSON *recent = cJSON_GetObjectItem(last_event, "recentIntentSummaryView");
    ck_assert_int_ge(cJSON_GetArraySize(recent), 1);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(recent, 0), "fulfillmentState"), "Fulfilled");
    /* session attributes a hook set are kept when the next hook omits them */
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(o, "sessionAttributes"), "ordered"), "large");
    cJSON_Delete(o);
}
END_TEST

/* An ambiguous time reaches the hook as Lex V1 sends it: the slot null, its
 * two readings in slotDetails. */
START_TEST(ambiguous_time_reaches_the_hook_with_its_readings)
{
    cJSON *o = turn("order a large pizza for 7 o'clock");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Count");
    const cJSON *ci = cJSON_GetObjectItem(last_event, "currentIntent");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(ci, "slots"), "Size"), "large");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(ci, "slots"), "Time")));
    const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(ci, "slotDetails"), "Time");
    ck_assert_str_eq(json_string(d, "originalValue"), "7 o'clock");
    const cJSON *res = cJSON_GetObjectItem(d, "resolutions");
    ck_assert_int_eq(cJSON_GetArraySize(res), 2);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(res, 0), "value"), "07:00");
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(res, 1), "value"), "19:00");
    cJSON_Delete(o);
}
END_TEST

START_TEST(hook_elicit_slot_and_confirm_intent)
{
    dialog_reply = "{\"sessionAttributes\":{\"k\":\"v\"},\"dialogAction\":{\"type\":\"ElicitSlot\","
                   "\"intentName\":\"OrderPizza\",\"slots\":{\"Size\":\"medium\",\"Count\":null},"
                   "\"slotToElicit\":\"Count\",\"message\":{\"contentType\":\"PlainText\","
                   "\"content\":\"Medium it is. How many?\"}}}";
    cJSON *o = turn("I want a pizza");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Count");
    ck_assert_str_eq(json_string(o, "message"), "Medium it is. How many?");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(o, "slots"), "Size"), "medium");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(o, "sessionAttributes"), "k"), "v");
    cJSON_Delete(o);
    /* no message: the slot's own prompt, with its placeholders */
    dialog_reply = "{\"dialogAction\":{\"type\":\"ConfirmIntent\",\"intentName\":\"OrderPizza\","
                   "\"slots\":{\"Size\":\"small\",\"Count\":\"3\"}}}";
    o = turn("three");
    expect(o, "ConfirmIntent", "3 small, right?");
}
END_TEST

START_TEST(hook_elicit_intent_and_close_failed)
{
    dialog_reply = "{\"dialogAction\":{\"type\":\"ElicitIntent\",\"message\":{\"contentType\":"
                   "\"PlainText\",\"content\":\"What else?\"}}}";
    cJSON *o = turn("I want a pizza");
    ck_assert_ptr_null(json_string(o, "intentName"));
    expect(o, "ElicitIntent", "What else?");
    dialog_reply = "{\"dialogAction\":{\"type\":\"Close\",\"fulfillmentState\":\"Failed\","
                   "\"message\":{\"contentType\":\"PlainText\",\"content\":\"Closed.\"}}}";
    expect(turn("I want a pizza"), "Failed", "Closed.");
    /* Close without a message and no conclusion: no message */
    dialog_reply = "{\"dialogAction\":{\"type\":\"Close\",\"fulfillmentState\":\"Fulfilled\"}}";
    expect(turn("I want a pizza"), "Fulfilled", NULL);
}
END_TEST

START_TEST(bad_hook_replies_are_dependency_failures)
{
    const char *bad[] = {
        "not json",
        "{\"dialogAction\":{}}",
        "{\"dialogAction\":{\"type\":\"Dance\"}}",
        "{\"dialogAction\":{\"type\":\"Close\",\"fulfillmentState\":\"Maybe\"}}",
        "{\"dialogAction\":{\"type\":\"ElicitSlot\",\"slotToElicit\":\"Nope\"}}",
        "{\"dialogAction\":{\"type\":\"ElicitSlot\",\"intentName\":\"Unknown\","
        "\"slotToElicit\":\"Size\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dialog_reply = bad[i];
        turn_as("user-bad", "I want a pizza", PARLEY_EIO);
    }
    dialog_reply = NULL;
    hook_fail = PARLEY_ETIMEDOUT;
    turn_as("user-bad", "I want a pizza", PARLEY_EIO);
    /* a failed turn changed nothing: the next one starts cleanly */
    hook_fail = 0;
    cJSON *o = turn_as("user-bad", "I want a pizza", 0);
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Size");
    cJSON_Delete(o);
}
END_TEST

START_TEST(retries_past_max_attempts_abort)
{
    cJSON_Delete(turn("I want a pizza"));
    cJSON *o = turn("purple");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Size"); /* asked again */
    cJSON_Delete(o);
    expect(turn("green"), "Failed", "Giving up.");
    /* the clarification prompt: one attempt allowed, then the abort statement */
    expect(turn("qqqq zzzz"), "ElicitIntent", "Say again?");
    expect(turn("wwww xxxx"), "Failed", "Giving up.");
}
END_TEST

START_TEST(confirmation_denied_gives_the_rejection)
{
    cJSON_Delete(turn("order a small pizza"));
    cJSON_Delete(turn("4"));
    expect(turn("nope"), "Failed", "Not ordered.");
}
END_TEST

START_TEST(idle_ttl_expires_the_session)
{
    cJSON *o = turn("I want a pizza");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Size");
    const char *sid = json_string(o, "sessionId");
    char first[64];
    snprintf(first, sizeof first, "%s", sid);
    cJSON_Delete(o);
    clock_ms += 59 * 1000; /* within the 60 s TTL: "large" answers the slot */
    o = turn("large");
    ck_assert_str_eq(json_string(o, "slotToElicit"), "Count");
    ck_assert_str_eq(json_string(o, "sessionId"), first);
    cJSON_Delete(o);
    clock_ms += 61 * 1000; /* idle past the TTL: a new session */
    o = turn("hello");
    ck_assert_str_eq(json_string(o, "intentName"), "Greeting");
    ck_assert_str_ne(json_string(o, "sessionId"), first);
    cJSON_Delete(o);
}
END_TEST

START_TEST(restart_in_the_middle_of_a_conversation)
{
    cJSON_Delete(turn("I want a pizza"));
    cJSON_Delete(turn("small"));
    stop_engine();
    store_close(st);
    char err[256];
    ck_assert_int_eq(store_open(dir, &st, err, sizeof err), 0);
    start_engine();
    cJSON *o = turn("2");
    ck_assert_str_eq(json_string(o, "dialogState"), "ConfirmIntent");
    ck_assert_str_eq(json_string(o, "message"), "2 small, right?");
    cJSON_Delete(o);
}
END_TEST

struct concurrent {
    int done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static void on_done(cJSON *o, int err, const char *msg, void *ud)
{
    struct concurrent *c = ud;
    ck_assert_msg(o != NULL, "turn failed: %s", msg);
    cJSON_Delete(o);
    pthread_mutex_lock(&c->lock);
    c->done++;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

START_TEST(concurrent_turns_for_one_user_are_serialized)
{
    struct concurrent c = {0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    enum { N = 24 };
    for (int i = 0; i < N; i++) {
        struct bot_turn t = {.bot = "PizzaBot",
                             .alias = "$LATEST",
                             .user = "busy-user",
                             .text = i % 2 ? "hello" : "hi there",
                             .now_ms = clock_ms};
        bot_turn_submit(engine, &t, on_done, &c);
    }
    pthread_mutex_lock(&c.lock);
    while (c.done < N)
        pthread_cond_wait(&c.cond, &c.lock);
    pthread_mutex_unlock(&c.lock);
    /* every turn read the session the previous one wrote: none was lost */
    struct store_item item;
    ck_assert_int_eq(store_get(st, "sessions", "PizzaBot/$LATEST/busy-user", &item), 0);
    cJSON *j = cJSON_Parse(item.value);
    double turns = 0;
    ck_assert(json_number(j, "turns", &turns));
    ck_assert_int_eq((int)turns, N);
    ck_assert_int_eq(item.version, N);
    cJSON_Delete(j);
    store_item_release(&item);
}
END_TEST

START_TEST(placeholders_and_seeded_prompts)
{
    struct bot_turn t = {.bot = "PizzaBot",
                         .alias = "$LATEST",
                         .user = "ph-user",
                         .text = "I want a pizza",
                         .now_ms = clock_ms};
    cJSON *attrs = cJSON_Parse("{\"name\":\"Ana\"}");
    cJSON *req = cJSON_Parse("{\"channel\":\"for delivery\"}");
    t.session_attributes = attrs;
    int err;
    char msg[256];
    cJSON *o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    const char *m = json_string(o, "message");
    /* one of the group's two messages, with [name] filled */
    ck_assert(strcmp(m, "What size, Ana?") == 0 || strcmp(m, "Which size, Ana?") == 0);
    char first[64];
    snprintf(first, sizeof first, "%s", m);
    cJSON_Delete(o);
    t.session_attributes = NULL;
    t.request_attributes = req;
    t.text = "small";
    o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    ck_assert_str_eq(json_string(o, "message"), "How many small pizzas for delivery?");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(last_event, "requestAttributes"), "channel"),
                     "for delivery");
    cJSON_Delete(o);
    /* the same seed and turn number choose the same message for another user */
    t.user = "ph-user-2";
    t.text = "I want a pizza";
    t.session_attributes = attrs;
    t.request_attributes = NULL;
    o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    ck_assert_str_eq(json_string(o, "message"), first);
    cJSON_Delete(o);
    cJSON_Delete(attrs);
    cJSON_Delete(req);
}
END_TEST

START_TEST(aliases_publish_and_export)
{
    /* alias "live" was pinned to 1: published from the file on first start */
    struct bot_turn t = {.bot = "PizzaBot",
                         .alias = "live",
                         .user = "alias-user",
                         .text = "hello",
                         .now_ms = clock_ms};
    int err;
    char msg[256];
    cJSON *o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string(o, "botVersion"), "1");
    cJSON_Delete(o);
    t.alias = "nope";
    ck_assert_ptr_null(bot_turn_run(engine, &t, &err, msg, sizeof msg));
    ck_assert_int_eq(err, PARLEY_ENOTFOUND);
    char perr[256];
    ck_assert_int_eq(bot_publish(engine, "PizzaBot", perr, sizeof perr), 2);
    char *v2 = bot_export(engine, "PizzaBot", "2");
    ck_assert_ptr_nonnull(v2);
    cJSON *doc = cJSON_Parse(v2);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(doc, "resource"), "version"), "2");
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(doc, "resource"), "name"), "PizzaBot");
    /* an export is itself a valid import */
    ck_assert_int_eq(bot_definition_check(doc, "export", perr, sizeof perr), 0);
    cJSON_Delete(doc);
    free(v2);
    ck_assert_ptr_null(bot_export(engine, "PizzaBot", "9"));
}
END_TEST

START_TEST(definition_errors_name_the_json_path)
{
    struct {
        const char *find, *replace, *want;
    } cases[] = {
        {"\"importType\":\"LEX\"", "\"importType\":\"ALEXA\"",
         "x.json: metadata.importType: must be \"LEX\" (Parley reads Lex V1 bot exports)"},
        {"\"slotConstraint\":\"Required\"", "\"slotConstraint\":\"Sometimes\"",
         "x.json: resource.intents[0].slots[0].slotConstraint: must be Required or Optional"},
        {"\"slotType\":\"PizzaSize\"", "\"slotType\":\"Crust\"",
         "x.json: resource.intents[0].slots[0].slotType: \"Crust\" is neither a built-in type "
         "nor in resource.slotTypes"},
        {"get me a {Size} pizza", "get me a {Topping} pizza",
         "x.json: resource.intents[0].sampleUtterances[3]: names slot {Topping}, which intent "
         "OrderPizza does not have"},
        {"\"maxAttempts\":2}},{", "\"maxAttempts\":9}},{",
         "x.json: resource.intents[0].slots[0].valueElicitationPrompt.maxAttempts: must be an "
         "integer from 1 to 5"},
        {"\"type\":\"CodeHook\",\"codeHook\":{", "\"type\":\"Magic\",\"codeHook\":{",
         "x.json: resource.intents[0].fulfillmentActivity.type: must be ReturnIntent or CodeHook"},
        {"\"idleSessionTTLInSeconds\":60", "\"idleSessionTTLInSeconds\":5",
         "x.json: resource.idleSessionTTLInSeconds: must be an integer from 60 to 86400"},
        {"\"sampleUtterances\":[\"hello\",\"hi there\",\"good morning\",\"hey\"]",
         "\"sampleUtterances\":[]",
         "x.json: resource.intents[1].sampleUtterances: intent "
         "Greeting has no sample utterances"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr(pizza_bot, cases[i].find);
        ck_assert_msg(at != NULL, "fixture lacks %s", cases[i].find);
        struct buf b = BUF_INIT(1 << 20);
        buf_append(&b, pizza_bot, (size_t)(at - pizza_bot));
        buf_puts(&b, cases[i].replace);
        buf_puts(&b, at + strlen(cases[i].find));
        cJSON *doc = cJSON_Parse(b.data);
        ck_assert_ptr_nonnull(doc);
        char err[1024] = "";
        ck_assert_int_ne(bot_definition_check(doc, "x.json", err, sizeof err), 0);
        ck_assert_str_eq(err, cases[i].want);
        cJSON_Delete(doc);
        buf_release(&b);
    }
}
END_TEST

START_TEST(bad_input_is_refused)
{
    turn_as("user-1", "", PARLEY_EINVAL);
    struct bot_turn t = {.bot = "NoBot", .alias = "$LATEST", .user = "u", .text = "hi"};
    int err;
    char msg[256];
    ck_assert_ptr_null(bot_turn_run(engine, &t, &err, msg, sizeof msg));
    ck_assert_int_eq(err, PARLEY_ENOTFOUND);
    ck_assert_str_eq(msg, "The bot NoBot does not exist.");
    turn_as("user-1", "\xff\xfe invalid", PARLEY_EINVAL);
}
END_TEST

/* ---- the conversation log, missed utterances, listeners, edits ---- */

static cJSON *turn_now(const char *user, const char *text, const char *channel)
{
    struct bot_turn t = {
        .bot = "PizzaBot", .alias = "$LATEST", .user = user, .text = text, .channel = channel};
    int err = 0;
    char msg[1024] = "";
    cJSON *o = bot_turn_run(engine, &t, &err, msg, sizeof msg);
    ck_assert_msg(o != NULL, "turn \"%s\" failed: %s", text, msg);
    return o;
}

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen[8][64];
static int nseen;

static void listener(const cJSON *turn, void *ud)
{
    ck_assert_ptr_eq(ud, &nseen);
    pthread_mutex_lock(&seen_lock);
    if (nseen < 8)
        snprintf(seen[nseen++], sizeof seen[0], "%s|%s|%s|%d", json_string(turn, "channel"),
                 json_string(turn, "inputText"), json_string(turn, "dialogState"),
                 cJSON_IsTrue(cJSON_GetObjectItem(turn, "missed")));
    pthread_mutex_unlock(&seen_lock);
}

START_TEST(turn_log_newest_first_with_missed_utterances)
{
    nseen = 0;
    uint64_t id = bot_turn_listener_add(engine, listener, &nseen);
    ck_assert_uint_gt(id, 0);
    cJSON_Delete(turn_now("log-user", "hello", "test"));
    cJSON *o = turn_now("log-user", "blorp zzz qux", "test");
    ck_assert_str_eq(json_string(o, "message"), "Say again?");
    /* the flag reaches V2 only through _v2, never a V1 caller's fields */
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "_v2"), "missed")));
    cJSON_Delete(o);
    cJSON_Delete(turn_now("log-user", "  Blorp   ZZZ qux ", NULL));
    bot_turn_listener_remove(engine, id);
    cJSON_Delete(turn_now("log-user", "hello", "test")); /* not seen: removed */
    ck_assert_int_eq(nseen, 3);
    ck_assert_str_eq(seen[0], "test|hello|ReadyForFulfillment|0");
    ck_assert_str_eq(seen[1], "test|blorp zzz qux|ElicitIntent|1");
    /* maxAttempts 1: the second miss aborts */
    ck_assert_str_eq(seen[2], "other|  Blorp   ZZZ qux |Failed|1");

    bool more = false;
    cJSON *page = bot_conversation_turns(engine, "PizzaBot/$LATEST/log-user", 0, 3, &more);
    ck_assert_int_eq(cJSON_GetArraySize(page), 3);
    ck_assert(more);
    double seq;
    ck_assert(json_number(cJSON_GetArrayItem(page, 0), "seq", &seq) && seq == 4);
    ck_assert(json_number(cJSON_GetArrayItem(page, 2), "seq", &seq) && seq == 2);
    const cJSON *t2 = cJSON_GetArrayItem(page, 2);
    ck_assert_str_eq(json_string(t2, "id"), "PizzaBot/$LATEST/log-user/2");
    ck_assert_str_eq(json_string(t2, "conversationId"), "PizzaBot/$LATEST/log-user");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(t2, "missed")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(t2, "intentName")));
    cJSON_Delete(page);
    page = bot_conversation_turns(engine, "PizzaBot/$LATEST/log-user", 2, 3, &more);
    ck_assert_int_eq(cJSON_GetArraySize(page), 1);
    ck_assert(!more);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(page, 0), "intentName"), "Greeting");
    cJSON_Delete(page);

    cJSON *conv = bot_conversation_get(engine, "PizzaBot/$LATEST/log-user");
    ck_assert_ptr_nonnull(conv);
    ck_assert(json_number(conv, "turnCount", &seq) && seq == 4);
    ck_assert_str_eq(json_string(conv, "user"), "log-user");
    cJSON_Delete(conv);
    ck_assert_ptr_null(bot_conversation_get(engine, "PizzaBot/$LATEST/nobody"));
    ck_assert_ptr_null(bot_conversation_get(engine, "no-slashes"));

    cJSON_Delete(turn_now("other-user", "hello", NULL));
    cJSON *list = bot_conversation_list(engine, "PizzaBot", NULL, 1, &more);
    ck_assert_int_eq(cJSON_GetArraySize(list), 1);
    ck_assert(more);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(list, 0), "id"), "PizzaBot/$LATEST/log-user");
    cJSON_Delete(list);
    list = bot_conversation_list(engine, "PizzaBot", "PizzaBot/$LATEST/log-user", 5, &more);
    ck_assert_int_eq(cJSON_GetArraySize(list), 1);
    ck_assert(!more);
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(list, 0), "id"), "PizzaBot/$LATEST/other-user");
    cJSON_Delete(list);

    /* the same text, case and spacing aside, counts once; the newest spelling is shown */
    cJSON *missed = bot_missed_list(engine, "PizzaBot", 10);
    ck_assert_int_eq(cJSON_GetArraySize(missed), 1);
    const cJSON *m = cJSON_GetArrayItem(missed, 0);
    ck_assert(json_number(m, "count", &seq) && seq == 2);
    ck_assert_str_eq(json_string(m, "utterance"), "  Blorp   ZZZ qux ");
    ck_assert_ptr_nonnull(json_string(m, "firstSeen"));
    ck_assert_ptr_null(cJSON_GetObjectItem(m, "key"));
    cJSON_Delete(missed);
}
END_TEST

START_TEST(turn_log_keeps_the_newest_turns)
{
    for (int i = 0; i < BOT_LOG_MAX_TURNS + 3; i++)
        cJSON_Delete(turn_now("chatty", "hello", NULL));
    bool more = true;
    cJSON *all = bot_conversation_turns(engine, "PizzaBot/$LATEST/chatty", 0, 1000, &more);
    ck_assert_int_eq(cJSON_GetArraySize(all), BOT_LOG_MAX_TURNS);
    ck_assert(!more);
    double seq;
    ck_assert(json_number(cJSON_GetArrayItem(all, 0), "seq", &seq) && seq == BOT_LOG_MAX_TURNS + 3);
    ck_assert(json_number(cJSON_GetArrayItem(all, BOT_LOG_MAX_TURNS - 1), "seq", &seq) && seq == 4);
    cJSON_Delete(all);
}
END_TEST

static int add_slice(cJSON *doc, void *ud, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    cJSON *in =
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "resource"), "intents"), 0);
    cJSON_AddItemToArray(cJSON_GetObjectItem(in, "sampleUtterances"), cJSON_CreateString(ud));
    return 0;
}

START_TEST(edits_retrain_at_once_and_survive_a_restart)
{
    cJSON *o = turn_now("edit-user", "fancy a margherita", NULL);
    ck_assert_ptr_null(json_string(o, "intentName"));
    cJSON_Delete(o);
    char err[1024] = "";
    ck_assert_int_eq(
        bot_latest_edit(engine, "PizzaBot", add_slice, "fancy a margherita", err, sizeof err), 0);
    o = turn_now("edit-user-2", "fancy a margherita", NULL);
    ck_assert_str_eq(json_string(o, "intentName"), "OrderPizza");
    cJSON_Delete(o);
    /* an edit the definition check refuses changes nothing */
    ck_assert_int_eq(
        bot_latest_edit(engine, "PizzaBot", add_slice, "a {Topping} pizza", err, sizeof err),
        PARLEY_EINVAL);
    ck_assert_msg(strstr(err, "{Topping}") != NULL, "%s", err);
    ck_assert_int_eq(bot_latest_edit(engine, "NoBot", add_slice, "x", err, sizeof err),
                     PARLEY_ENOTFOUND);
    /* the alias pinned to version 1 keeps the old model; $LATEST's file has the change */
    cJSON *d = bot_describe(engine, "PizzaBot");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(
        json_string(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "aliases"), 0), "botVersion"), "1");
    ck_assert_str_eq(
        json_string(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "versions"), 0), "version"), "1");
    cJSON_Delete(d);
    ck_assert_ptr_null(bot_describe(engine, "NoBot"));
    cJSON *names = bot_names(engine);
    ck_assert_str_eq(cJSON_GetArrayItem(names, 0)->valuestring, "PizzaBot");
    cJSON_Delete(names);
    ck_assert_int_eq(bot_engine_reload(engine, true), 0); /* the watcher sees nothing new */
    stop_engine();
    start_engine();
    o = turn_now("edit-user-3", "fancy a margherita", NULL);
    ck_assert_str_eq(json_string(o, "intentName"), "OrderPizza");
    cJSON_Delete(o);
}
END_TEST

START_TEST(sessions_get_put_delete)
{
    int err = 0;
    char msg[256];
    ck_assert_ptr_null(
        bot_session_get(engine, "PizzaBot", "$LATEST", "s-user", &err, msg, sizeof msg));
    ck_assert_int_eq(err, PARLEY_ENOTFOUND);
    cJSON_Delete(turn_now("s-user", "order a pizza", NULL));
    cJSON *v = bot_session_get(engine, "PizzaBot", "$LATEST", "s-user", &err, msg, sizeof msg);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_string(v, "intentName"), "OrderPizza");
    ck_assert_str_eq(json_string(v, "dialogState"), "ElicitSlot");
    ck_assert_str_eq(json_string(v, "user"), "s-user");
    ck_assert_str_eq(json_string(v, "confirmationStatus"), "None");
    ck_assert_ptr_nonnull(json_string(v, "lastActivity"));
    ck_assert_ptr_null(cJSON_GetObjectItem(v, "_v2"));
    cJSON_Delete(v);
    cJSON *action = cJSON_Parse("{\"type\":\"ElicitSlot\",\"intentName\":\"OrderPizza\","
                                "\"slots\":{\"Size\":\"large\"},\"slotToElicit\":\"Count\"}");
    cJSON *attrs = cJSON_Parse("{\"name\":\"Ada\"}");
    v = bot_session_put(engine, "PizzaBot", "$LATEST", "s-user", action, attrs, &err, msg,
                        sizeof msg);
    ck_assert_msg(v != NULL, "%s", msg);
    ck_assert_str_eq(json_string(v, "slotToElicit"), "Count");
    cJSON_Delete(v);
    cJSON_Delete(action);
    cJSON_Delete(attrs);
    cJSON *o = turn_now("s-user", "2", NULL);
    ck_assert_str_eq(json_string(o, "dialogState"), "ConfirmIntent");
    cJSON_Delete(o);
    v = bot_session_remove(engine, "PizzaBot", "$LATEST", "s-user", &err, msg, sizeof msg);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(json_string(cJSON_GetObjectItem(v, "sessionAttributes"), "name"), "Ada");
    cJSON_Delete(v);
    ck_assert_ptr_null(
        bot_session_remove(engine, "PizzaBot", "$LATEST", "s-user", &err, msg, sizeof msg));
    ck_assert_int_eq(err, PARLEY_ENOTFOUND);
    ck_assert_ptr_null(
        bot_session_get(engine, "NoBot", "$LATEST", "s-user", &err, msg, sizeof msg));
    ck_assert_int_eq(err, PARLEY_ENOTFOUND);
}
END_TEST

START_TEST(turn_windows_are_shared_and_follow_the_log)
{
    for (int i = 0; i < 5; i++)
        cJSON_Delete(turn_now("w-user", i % 2 ? "hello" : "hi there", NULL));
    const char *id = "PizzaBot/$LATEST/w-user";
    bool more = false;
    struct bot_turns_hold *h1 = NULL, *h2 = NULL, *h3 = NULL;
    cJSON *a = bot_conversation_turns_shared(engine, id, 5, 0, 3, &more, &h1);
    ck_assert_ptr_nonnull(h1);
    ck_assert_int_eq(cJSON_GetArraySize(a), 3);
    ck_assert(more);
    double seq;
    ck_assert(json_number(cJSON_GetArrayItem(a, 0), "seq", &seq) && seq == 5);
    /* the same turns as the store's, newest first, paged with before */
    cJSON *b = bot_conversation_turns_shared(engine, id, 5, 3, 10, &more, &h2);
    ck_assert_int_eq(cJSON_GetArraySize(b), 2);
    ck_assert(!more);
    ck_assert(json_number(cJSON_GetArrayItem(b, 0), "seq", &seq) && seq == 2);
    cJSON *copy = bot_conversation_turns(engine, id, 3, 10, &more);
    char *x = cJSON_PrintUnformatted(b), *y = cJSON_PrintUnformatted(copy);
    ck_assert_str_eq(x, y);
    free(x);
    free(y);
    cJSON_Delete(copy);
    /* shared, not copied: both calls refer to the same parsed turn */
    cJSON *c = bot_conversation_turns_shared(engine, id, 5, 0, 1, &more, &h3);
    ck_assert_ptr_eq(cJSON_GetArrayItem(c, 0)->child, cJSON_GetArrayItem(a, 0)->child);
    cJSON_Delete(c);
    bot_turns_release(h3);
    /* a new turn joins the window; a reader that saw an older turnCount does not see it */
    cJSON_Delete(turn_now("w-user", "hello", NULL));
    c = bot_conversation_turns_shared(engine, id, 6, 0, 1, &more, &h3);
    ck_assert(json_number(cJSON_GetArrayItem(c, 0), "seq", &seq) && seq == 6);
    cJSON_Delete(c);
    bot_turns_release(h3);
    c = bot_conversation_turns_shared(engine, id, 5, 0, 1, &more, &h3);
    ck_assert(json_number(cJSON_GetArrayItem(c, 0), "seq", &seq) && seq == 5);
    cJSON_Delete(c);
    bot_turns_release(h3);
    /* many conversations read: the first window is evicted, its borrowed turns stay valid */
    for (int i = 0; i < BOT_LOG_CACHED_CONVERSATIONS + 2; i++) {
        char user[32], cid[64];
        snprintf(user, sizeof user, "many-%d", i);
        snprintf(cid, sizeof cid, "PizzaBot/$LATEST/%s", user);
        cJSON_Delete(turn_now(user, "hello", NULL));
        c = bot_conversation_turns_shared(engine, cid, 1, 0, 1, &more, &h3);
        ck_assert_int_eq(cJSON_GetArraySize(c), 1);
        cJSON_Delete(c);
        bot_turns_release(h3);
    }
    ck_assert_str_eq(json_string(cJSON_GetArrayItem(a, 2), "inputText"), "hi there");
    cJSON_Delete(a);
    cJSON_Delete(b);
    bot_turns_release(h1);
    bot_turns_release(h2);
    /* nothing logged: empty; newest unknown: copies without a hold */
    c = bot_conversation_turns_shared(engine, "PizzaBot/$LATEST/nobody", 3, 0, 5, &more, &h3);
    ck_assert_int_eq(cJSON_GetArraySize(c), 0);
    ck_assert_ptr_null(h3);
    cJSON_Delete(c);
    c = bot_conversation_turns_shared(engine, id, 0, 0, 2, &more, &h3);
    ck_assert_int_eq(cJSON_GetArraySize(c), 2);
    ck_assert_ptr_null(h3);
    cJSON_Delete(c);
}
END_TEST

/* Loads parley.json with the given "intents" section and starts an engine; returns its error
 * line with the test folder cut to "DIR" ("" when it started, and the engine is running). */
static const char *start_with_intents(const char *intents)
{
    static char err[2048];
    char text[512], path[512];
    snprintf(text, sizeof text, "{\"bots\":[{\"file\":\"pizza.json\"}],\"intents\":%s}", intents);
    write_file("parley.json", text);
    snprintf(path, sizeof path, "%s/parley.json", dir);
    err[0] = '\0';
    ck_assert_int_eq(config_load(path, &cfg, err, sizeof err), 0);
    struct bot_engine_options o = {.workers = 1, .hook = fake_hook};
    if (bot_engine_new(&cfg, st, &o, &engine, err, sizeof err) != 0) {
        engine = NULL;
        config_release(&cfg);
        ck_assert_str_ne(err, "");
        /* the folder is random: "DIR" stands for it */
        struct buf b = BUF_INIT(sizeof err);
        for (const char *p = err, *at; *p; p = at + strlen(dir)) {
            if (!(at = strstr(p, dir))) {
                buf_puts(&b, p);
                break;
            }
            buf_append(&b, p, (size_t)(at - p));
            buf_puts(&b, "DIR");
        }
        snprintf(err, sizeof err, "%s", b.data ? b.data : "");
        buf_release(&b);
        return err;
    }
    ck_assert_str_eq(err, "");
    return err;
}

/* A word-vector file (intents/vectors.c) of two words, "pizza" and "pie", in one direction. */
static void write_vectors(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint32_t n = 2, dim = 4;
    const int8_t vec[2][4] = {{100, 0, 0, 0}, {90, 10, 0, 0}};
    const float scale[2] = {0.01f, 0.01f};
    fwrite("PARLEYV1", 1, 8, f); /* the tests run on little-endian machines */
    fwrite(&n, 4, 1, f);
    fwrite(&dim, 4, 1, f);
    fwrite(vec, 1, sizeof vec, f);
    fwrite(scale, 4, 2, f);
    fwrite("\005pizza\003pie", 1, 10, f);
    fclose(f);
}

START_TEST(word_vectors_from_the_config)
{
    stop_engine();
    /* a file named by the config must read; the error names the key */
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":\"vectors/missing.pvec\"}"),
                     "DIR/parley.json: intents.wordVectors: word vectors "
                     "DIR/vectors/missing.pvec: No such file or directory");
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":\"pizza.json\"}"),
                     "DIR/parley.json: intents.wordVectors: word vectors DIR/pizza.json: not a "
                     "Parley word-vector file (see docs/intents.md)");
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":true}"),
                     "DIR/parley.json: intents.wordVectors: must be the path of a word-vector "
                     "file or \"none\"");
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":\"\"}"),
                     "DIR/parley.json: intents.wordVectors: must be the path of a word-vector "
                     "file or \"none\"");
    /* unknown keys are errors, as everywhere in the config */
    ck_assert_str_eq(start_with_intents("{\"vectors\":\"none\"}"),
                     "DIR/parley.json: intents.vectors: unknown key (intents has wordVectors)");
    /* a file relative to the config's folder; then "none"; each bot still converses */
    write_vectors("tiny.pvec");
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":\"tiny.pvec\"}"), "");
    cJSON *o = turn("I want a pizza");
    ck_assert_str_eq(json_string(o, "intentName"), "OrderPizza");
    cJSON_Delete(o);
    stop_engine();
    ck_assert_str_eq(start_with_intents("{\"wordVectors\":\"none\"}"), "");
    o = turn_as("user-2", "I want a pizza", 0);
    ck_assert_str_eq(json_string(o, "intentName"), "OrderPizza");
    cJSON_Delete(o);
    /* unset: the build's file if it is there, else none; never an error */
    stop_engine();
    ck_assert_str_eq(start_with_intents("{}"), "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dialog");
    TCase *tc = tcase_create("engine");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, full_order_with_hooks_and_event_shape);
    tcase_add_test(tc, ambiguous_time_reaches_the_hook_with_its_readings);
    tcase_add_test(tc, hook_elicit_slot_and_confirm_intent);
    tcase_add_test(tc, hook_elicit_intent_and_close_failed);
    tcase_add_test(tc, bad_hook_replies_are_dependency_failures);
    tcase_add_test(tc, retries_past_max_attempts_abort);
    tcase_add_test(tc, confirmation_denied_gives_the_rejection);
    tcase_add_test(tc, idle_ttl_expires_the_session);
    tcase_add_test(tc, restart_in_the_middle_of_a_conversation);
    tcase_add_test(tc, concurrent_turns_for_one_user_are_serialized);
    tcase_add_test(tc, placeholders_and_seeded_prompts);
    tcase_add_test(tc, aliases_publish_and_export);
    tcase_add_test(tc, definition_errors_name_the_json_path);
    tcase_add_test(tc, bad_input_is_refused);
    tcase_add_test(tc, turn_log_newest_first_with_missed_utterances);
    tcase_add_test(tc, turn_log_keeps_the_newest_turns);
    tcase_add_test(tc, edits_retrain_at_once_and_survive_a_restart);
    tcase_add_test(tc, sessions_get_put_delete);
    tcase_add_test(tc, turn_windows_are_shared_and_follow_the_log);
    tcase_add_test(tc, word_vectors_from_the_config);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
