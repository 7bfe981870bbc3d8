/*
 * What the files of bots/ share: the parsed bot definition, sessions, the
 * dialog manager's entry point and the engine's internals.
 */
#ifndef PARLEY_BOTS_INTERNAL_H
#define PARLEY_BOTS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "bots/bots.h"

struct intents_model;
struct intents_vectors;
struct store;

/* ---- definition.c: a bot version parsed from Lex V1 JSON ---- */

struct bot_message {
    char *content_type; /* PlainText | SSML | CustomPayload */
    char *content;
    int group;
};

struct bot_prompt {
    struct bot_message *messages;
    size_t n_messages;
    int max_attempts;    /* 0 when the prompt has none */
    char *response_card; /* a JSON string (Lex's responseCard), or NULL */
};

struct bot_slot {
    char *name;
    bool required;
    char *slot_type;
    int priority;
    struct bot_prompt prompt;
    char *default_value; /* from defaultValueSpec, or NULL */
};

struct bot_hook {
    char *uri; /* NULL = none */
    char *message_version;
};

enum bot_builtin {
    BOT_BUILTIN_NONE,
    BOT_BUILTIN_CANCEL,
    BOT_BUILTIN_STOP,
    BOT_BUILTIN_HELP,
    BOT_BUILTIN_START_OVER,
    BOT_BUILTIN_REPEAT,
    BOT_BUILTIN_FALLBACK,
};

struct bot_intent {
    char *name;
    enum bot_builtin builtin; /* from parentIntentSignature */
    char **utterances;
    size_t n_utterances;
    struct bot_slot *slots; /* sorted by priority */
    size_t n_slots;
    struct bot_prompt confirmation; /* n_messages == 0: none */
    struct bot_prompt rejection;    /* statement */
    struct bot_prompt conclusion;   /* statement */
    struct bot_prompt follow_up;    /* followUpPrompt.prompt */
    struct bot_hook dialog_hook;
    struct bot_hook fulfillment_hook; /* uri NULL = ReturnIntent */
};

struct bot_def {
    int refs; /* atomic; a turn holds one */
    char *name;
    char *version; /* "$LATEST" or "1", "2", ... */
    char *locale;
    char *file; /* where $LATEST came from */
    int64_t file_mtime_ns;
    int idle_ttl_s;
    double threshold; /* nluIntentConfidenceThreshold */
    struct bot_prompt clarification;
    struct bot_prompt abort_statement;
    struct bot_intent *intents;
    size_t n_intents;
    cJSON *doc; /* the whole import/export document, for export and publishing */
    struct intents_model *model;
};

/* Parses and checks doc (taken on success) and trains the model, with the word vectors when
 * vectors is not NULL (borrowed: they must outlive the definition). err: "FILE: PATH: problem". */
int bot_def_new(cJSON *doc, const char *file, const char *version,
                const struct intents_vectors *vectors, struct bot_def **out, char *err,
                size_t errlen);
struct bot_def *bot_def_ref(struct bot_def *d);
void bot_def_unref(struct bot_def *d);
const struct bot_intent *bot_def_intent(const struct bot_def *d, const char *name);
const struct bot_slot *bot_intent_slot(const struct bot_intent *in, const char *name);
const struct bot_intent *bot_def_builtin(const struct bot_def *d, enum bot_builtin b);

/* ---- session.c: one conversation's state, kept in the store ---- */

struct bot_session {
    char *key;       /* "bot/alias/user" */
    int64_t version; /* store version read, 0 when new */
    char *session_id;
    cJSON *attributes;   /* sessionAttributes, string -> string */
    char *intent;        /* the intent in progress, or NULL */
    cJSON *slots;        /* its slots: name -> string or null */
    cJSON *slot_details; /* name -> {originalValue, resolutions} */
    double confidence;
    char *confirmation; /* None | Confirmed | Denied */
    char *dialog_state; /* ElicitIntent | ElicitSlot | ConfirmIntent | Fulfilled | ... */
    char *slot_to_elicit;
    int attempts;       /* failed tries at the current slot or confirmation */
    int clarifications; /* failed tries at recognizing an intent */
    char *last_message; /* for AMAZON.RepeatIntent */
    cJSON *recent;      /* recentIntentSummaryView, newest first, at most 3 */
    int turns;
};

/* Loads (ns "sessions") or starts the session; one idle past ttl_s (0 = never) starts over. */
int bot_session_load(struct store *st, const char *key, int64_t now_ms, int ttl_s,
                     struct bot_session *s);
int bot_session_save(struct store *st, struct bot_session *s, int ttl_s, int64_t now_ms);
int bot_session_delete(struct store *st, const char *key);
void bot_session_release(struct bot_session *s);
void bot_session_set(char **field, const char *value);
char *bot_session_key(const char *bot, const char *alias, const char *user);

/* ---- messages.c: prompts and placeholders ---- */

/*
 * Picks one message per group of p (rng chooses among a group's messages),
 * fills {Slot}, [sessionAttr] and ((requestAttr)) placeholders, and returns
 * the text (malloc'd) with *format set to PlainText, SSML, CustomPayload or
 * Composite (several groups: a JSON {"messages":[...]} document). NULL if p
 * has no messages.
 */
char *bot_prompt_render(const struct bot_prompt *p, const cJSON *slots, const cJSON *session_attrs,
                        const cJSON *request_attrs, uint64_t *rng, const char **format);
char *bot_text_fill(const char *text, const cJSON *slots, const cJSON *session_attrs,
                    const cJSON *request_attrs);
uint64_t bot_rng_next(uint64_t *state);

/* ---- dialog.c: the dialog manager ---- */

struct bot_dialog_env {
    struct bot_def *def;
    const char *alias;
    const char *user;
    const char *text;
    const cJSON *request_attributes;
    int64_t now_ms;
    uint64_t rng;
    bot_hook_fn hook;
    void *hook_ud;
    bool put_session; /* PutSession: no input, no code hooks */
};

/* Runs one turn on s; returns the outcome (Lex V1 PostText shape) or NULL with *err/msg. */
cJSON *bot_dialog_turn(struct bot_dialog_env *env, struct bot_session *s, int *err, char *msg,
                       size_t msglen);
/* Applies a PutSession dialogAction (V1 shape, or V2 with its intent) to s; outcome or NULL. */
cJSON *bot_dialog_put(struct bot_def *def, struct bot_session *s, const cJSON *action,
                      const cJSON *v2_intent, bool v2, int *err, char *msg, size_t msglen);
/* "yes" / "no" / neither (1 / 0 / -1) for a confirmation answer. */
int bot_yes_no(const char *text);
/* The PostText-shaped view of a session with no new input (GetSession, PutSession). */
cJSON *bot_session_outcome(const struct bot_def *def, const struct bot_session *s);

/* ---- engine.c ---- */

/* Finds the bot version an alias points to, with a reference; NULL if none. */
struct bot_def *bot_engine_resolve(struct bot_engine *e, const char *bot, const char *alias);
struct store *bot_engine_store(struct bot_engine *e);
struct bot_turnlog *bot_engine_turnlog(struct bot_engine *e);
const struct lex_auth *bot_engine_auth(struct bot_engine *e);

/* ---- turnlog.c: the conversation log and the turn listeners (bots.h) ---- */

struct bot_turnlog;
struct bot_turnlog *bot_turnlog_new(struct store *st);
void bot_turnlog_free(struct bot_turnlog *log);
/* Logs a completed turn (outcome in PostText shape) and notifies the listeners. */
void bot_turnlog_record(struct bot_turnlog *log, const struct bot_turn *turn, const cJSON *outcome,
                        int64_t now);
uint64_t bot_turnlog_listen(struct bot_turnlog *log, bot_turn_listener_fn fn, void *ud);
void bot_turnlog_unlisten(struct bot_turnlog *log, uint64_t id);

/* ---- auth.c: who may call the Lex runtime APIs (the config's "lex" section) ---- */

struct parley_config;
struct http_request;
struct lex_auth;
/* NULL *out means anyone may call. -1 with err "FILE: lex.KEY: problem". */
int lex_auth_new(const struct parley_config *cfg, struct lex_auth **out, char *err, size_t errlen);
void lex_auth_free(struct lex_auth *a);
/* 0 when req may pass; else -1 with *type (an AWS error name) and msg set (answer 403). */
int lex_auth_check(const struct lex_auth *a, struct http_request *req, const char **type, char *msg,
                   size_t msglen);

#endif
