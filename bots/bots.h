/*
 * bots/ — Lex-compatible bots: definitions, the dialog manager, sessions, and
 * the Lex V1/V2 runtime APIs.
 *
 * A struct bot_engine holds every bot of the config. Each bot version is
 * loaded from Lex V1 import/export JSON, its language model trained once
 * (intents/), and never changed afterwards: a reload builds new versions and
 * swaps them in, and turns in flight finish on the version they started with.
 *
 * A turn (one user input) runs on the engine's worker threads, never on an
 * HTTP listener thread, because a code hook may take up to 30 seconds. Turns
 * for the same session run one after another (they queue); turns for
 * different sessions run in parallel.
 */
#ifndef PARLEY_BOTS_H
#define PARLEY_BOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct parley_config;
struct store;
struct http_server;
struct bot_engine;

/*
 * Calls a code hook: sends the Lex event (JSON) to the function named by uri
 * (a Lambda ARN or name) and waits for its reply. Returns 0 with *reply
 * (malloc'd JSON, caller frees), or a negative PARLEY_E* code with err filled
 * (PARLEY_ETIMEDOUT past timeout_ms, PARLEY_ENOTFOUND for an unknown function,
 * PARLEY_EIO when the function failed). Called from engine worker threads.
 */
typedef int (*bot_hook_fn)(void *ud, const char *uri, const char *event, size_t len,
                           unsigned timeout_ms, char **reply, size_t *reply_len, char *err,
                           size_t errlen);

struct bot_engine_options {
    unsigned workers;      /* turn worker threads (default 16) */
    uint64_t message_seed; /* seeds the choice among a prompt's messages; 0 = random */
    bot_hook_fn hook;      /* NULL: code hooks fail with DependencyFailedException */
    void *hook_ud;
};

/*
 * Reads the word vectors (cfg's intents.wordVectors, docs/configuration.md;
 * kept until bot_engine_free), loads every bot of cfg ("bots" array; see
 * docs/bots.md), trains their models with them, and resolves aliases
 * (publishing version 1 from the file on first start when an alias is pinned
 * to it). Returns 0, or -1 with err holding one line "FILE: JSON.PATH: what
 * is wrong".
 */
int bot_engine_new(const struct parley_config *cfg, struct store *st,
                   const struct bot_engine_options *opts, struct bot_engine **out, char *err,
                   size_t errlen);
/* Finishes queued turns, stops the workers, frees everything. NULL is fine. */
void bot_engine_free(struct bot_engine *e);

/* Registers the Lex V1 and V2 runtime routes. */
int bot_routes_add(struct bot_engine *e, struct http_server *srv);

/*
 * Re-reads the bot files; versions whose file changed are retrained and
 * swapped in. With only_if_changed, files whose modification time is the
 * same are skipped (the file watcher); otherwise all are (SIGHUP). A file
 * that no longer loads keeps the old version serving and logs the error.
 * Returns the number of bots reloaded.
 */
int bot_engine_reload(struct bot_engine *e, bool only_if_changed);

/* ---- one turn, as every channel sees it ---- */

struct bot_turn {
    const char *bot;
    const char *alias;               /* "$LATEST" or an alias name */
    const char *user;                /* the session is (bot, alias, user) */
    const char *text;                /* what the user said */
    const cJSON *session_attributes; /* replaces the session's when non-NULL */
    const cJSON *request_attributes; /* this turn only; NULL = none */
    int64_t now_ms;                  /* 0 = the clock */
    const char *channel; /* for the turn log: "lex-v1", "slack", "graphql"...; NULL = "other" */
};

/*
 * The result of a turn in Lex V1 PostText shape (intentName, slots,
 * sessionAttributes, message, messageFormat, dialogState, slotToElicit,
 * nluIntentConfidence, alternativeIntents, responseCard, sessionId,
 * botVersion), plus "_v2" fields the V2 API needs (slot details). Owned by
 * the caller: cJSON_Delete.
 */
typedef void (*bot_turn_done_fn)(cJSON *outcome, int err, const char *message, void *ud);

/*
 * Queues a turn; done is called exactly once from a worker thread with the
 * outcome (err == 0) or an error: PARLEY_ENOTFOUND (bot or alias),
 * PARLEY_EINVAL (bad input), PARLEY_EIO (a code hook failed: Lex's
 * DependencyFailedException), PARLEY_EBUSY (the queue is full).
 */
void bot_turn_submit(struct bot_engine *e, const struct bot_turn *turn, bot_turn_done_fn done,
                     void *ud);
/* Lex V2's exception name for an error of the engine's: ResourceNotFoundException for
   PARLEY_ENOTFOUND, ValidationException, DependencyFailedException, ThrottlingException,
   ConflictException, else InternalServerException (GraphQL's extensions.code). */
const char *bot_error_code(int err);
/* Runs a turn on the calling thread (the terminal chat and tests). Returns the outcome or NULL. */
cJSON *bot_turn_run(struct bot_engine *e, const struct bot_turn *turn, int *err, char *msg,
                    size_t msglen);

/* ---- the conversation log (turnlog.c) ----
 *
 * Every completed turn, whatever its channel, is logged in the store and
 * handed to the turn listeners. A conversation is one (bot, alias, user);
 * its id is "bot/alias/user". Retention: the newest BOT_LOG_MAX_TURNS turns
 * of each conversation, each kept BOT_LOG_TTL_DAYS after it was taken (the
 * conversation's record lives as long as its newest turn). Utterances that
 * fell to the fallback intent or to the clarification prompt are counted per
 * bot: the BOT_MISSED_MAX most recently seen distinct texts, each kept
 * BOT_LOG_TTL_DAYS after it was last seen.
 *
 * Turn JSON (the schema's Turn type, graphql/parley.graphql): id, seq,
 * conversationId, bot, alias, user, channel, at (ISO 8601), inputText,
 * intentName, confidence, slots, sessionAttributes, dialogState,
 * slotToElicit, message, messageFormat, fulfilled, failed, missed,
 * botVersion, sessionId; absent members are null.
 */

#define BOT_LOG_MAX_TURNS 200
#define BOT_LOG_TTL_DAYS 30
#define BOT_MISSED_MAX 500

/*
 * Called with each completed turn (borrowed for the call) on the worker that
 * ran it, after the session was saved and the turn logged. It must not block
 * and must not remove listeners.
 */
typedef void (*bot_turn_listener_fn)(const cJSON *turn, void *ud);
/* Returns the listener's id (> 0), or 0 when out of memory. */
uint64_t bot_turn_listener_add(struct bot_engine *e, bot_turn_listener_fn fn, void *ud);
/* When it returns, fn is not running and will not be called again for id. */
void bot_turn_listener_remove(struct bot_engine *e, uint64_t id);

/*
 * A conversation's record {id, bot, alias, user, startedAt, lastActivity,
 * turnCount} (new; caller deletes), or NULL when none is logged (or bad id).
 */
cJSON *bot_conversation_get(struct bot_engine *e, const char *id);
/*
 * A bot's conversations in id order, at most first, after the id `after`
 * (NULL: from the start): an array of records (new). *more tells whether
 * there are others after the last one.
 */
cJSON *bot_conversation_list(struct bot_engine *e, const char *bot, const char *after, size_t first,
                             bool *more);
/*
 * A conversation's turns, newest first, at most first, older than the turn
 * numbered before (0: from the newest): an array of Turn JSON (new).
 */
cJSON *bot_conversation_turns(struct bot_engine *e, const char *id, int64_t before, size_t first,
                              bool *more);
/*
 * The same, from memory when it can: the retained turns of the
 * BOT_LOG_CACHED_CONVERSATIONS most recently read conversations are kept
 * parsed, shared and never changed (a turn joins its window when it is
 * logged). newest is the conversation's turnCount as just read from its
 * record (bot_conversation_get; the record is written after the turns):
 * turns above it are not shown, and a window that lags it is read again
 * from the store. Returns an array of references to the shared turns (new),
 * which stay valid until bot_turns_release(*hold); NULL when out of memory.
 * With newest < 1 it is bot_conversation_turns (owned copies, *hold NULL).
 */
#define BOT_LOG_CACHED_CONVERSATIONS 32
struct bot_turns_hold;
cJSON *bot_conversation_turns_shared(struct bot_engine *e, const char *id, int64_t newest,
                                     int64_t before, size_t first, bool *more,
                                     struct bot_turns_hold **hold);
void bot_turns_release(struct bot_turns_hold *hold);
/* A bot's missed utterances, most frequent first (then most recent): [{utterance, count,
 * firstSeen, lastSeen}] (new), at most first. */
cJSON *bot_missed_list(struct bot_engine *e, const char *bot, size_t first);

/* ---- sessions (GetSession, PutSession, DeleteSession; serialized with the turns) ---- */

/*
 * The session as GetSession sees it: the PostText-shaped outcome with bot,
 * alias, user, confirmationStatus and lastActivity (ISO 8601) (new; caller
 * deletes); NULL with *err PARLEY_ENOTFOUND and msg when there is none (or no
 * such bot or alias), another PARLEY_E* when the store fails.
 */
cJSON *bot_session_get(struct bot_engine *e, const char *bot, const char *alias, const char *user,
                       int *err, char *msg, size_t msglen);
/* PutSession (V1): action is a dialogAction (or NULL), attrs replaces the attributes when not
 * NULL. The PostText-shaped outcome (new), or NULL with *err and msg. */
cJSON *bot_session_put(struct bot_engine *e, const char *bot, const char *alias, const char *user,
                       const cJSON *action, const cJSON *attrs, int *err, char *msg, size_t msglen);
/* DeleteSession: the view of the session deleted (new), or NULL as bot_session_get. */
cJSON *bot_session_remove(struct bot_engine *e, const char *bot, const char *alias,
                          const char *user, int *err, char *msg, size_t msglen);

/* ---- definitions ---- */

/* The Lex V1 export JSON of a bot version ("$LATEST" or a number); caller frees. NULL if none. */
char *bot_export(struct bot_engine *e, const char *bot, const char *version);

/*
 * Checks a Lex V1 import/export document; returns 0 or -1 with err holding
 * "FILE: JSON.PATH: what is wrong" (file names the document in the message).
 */
int bot_definition_check(const cJSON *doc, const char *file, char *err, size_t errlen);

/*
 * Changes the $LATEST definition of bot (PutIntent, PutSlotType): edit gets
 * a copy of its Lex V1 document to change (0, or a PARLEY_E* code with err
 * filled). The result is checked and the model trained; only then is the
 * bot file rewritten (atomically: a temporary file and rename) and the new
 * definition swapped in for $LATEST and the aliases that serve $LATEST, as a
 * reload would. Numbered versions never change. Returns 0, or PARLEY_ENOTFOUND
 * (no such bot), PARLEY_EINVAL (the edit or the result is not valid), PARLEY_EIO
 * (the file cannot be written) with err holding a sentence.
 */
typedef int (*bot_edit_fn)(cJSON *doc, void *ud, char *err, size_t errlen);
int bot_latest_edit(struct bot_engine *e, const char *bot, bot_edit_fn edit, void *ud, char *err,
                    size_t errlen);

/*
 * What GraphQL shows of a bot: {"resource": <the $LATEST Lex V1 resource>,
 * "aliases": [{name, botVersion}], "versions": [{version, createdAt}]}
 * (new; caller deletes), or NULL when there is no such bot. bot_names gives
 * the names in config order (a new array of strings).
 */
cJSON *bot_describe(struct bot_engine *e, const char *bot);
cJSON *bot_names(struct bot_engine *e);

/*
 * The same without copying, for readers that only look: the "resource" of
 * the bot's $LATEST document, valid until bot_hold_release(*hold) however
 * the bot is reloaded or edited meanwhile (the definition is reference-
 * counted); NULL when there is no such bot. Never change it.
 */
struct bot_hold;
const cJSON *bot_latest_resource(struct bot_engine *e, const char *bot, struct bot_hold **hold);
void bot_hold_release(struct bot_hold *hold);
/* The aliases [{name, botVersion}] and the published versions [{version, createdAt}] (new). */
cJSON *bot_aliases(struct bot_engine *e, const char *bot);
cJSON *bot_versions(struct bot_engine *e, const char *bot);

/* Publishes $LATEST of bot as the next version in the store; returns the number or < 0. */
int bot_publish(struct bot_engine *e, const char *bot, char *err, size_t errlen);

#endif
