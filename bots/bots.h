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
 * Loads every bot of cfg ("bots" array; see docs/bots.md), trains their
 * models, and resolves aliases (publishing version 1 from the file on first
 * start when an alias is pinned to it). Returns 0, or -1 with err holding one
 * line "FILE: JSON.PATH: what is wrong".
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
/* Runs a turn on the calling thread (the terminal chat and tests). Returns the outcome or NULL. */
cJSON *bot_turn_run(struct bot_engine *e, const struct bot_turn *turn, int *err, char *msg,
                    size_t msglen);

/* ---- definitions ---- */

/* The Lex V1 export JSON of a bot version ("$LATEST" or a number); caller frees. NULL if none. */
char *bot_export(struct bot_engine *e, const char *bot, const char *version);

/*
 * Checks a Lex V1 import/export document; returns 0 or -1 with err holding
 * "FILE: JSON.PATH: what is wrong" (file names the document in the message).
 */
int bot_definition_check(const cJSON *doc, const char *file, char *err, size_t errlen);

/* Publishes $LATEST of bot as the next version in the store; returns the number or < 0. */
int bot_publish(struct bot_engine *e, const char *bot, char *err, size_t errlen);

#endif
