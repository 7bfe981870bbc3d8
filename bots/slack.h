/*
 * bots/slack.h — the Slack channel: a Parley bot as a Slack app.
 *
 * Routes (one set per bot named in the config's "slack.bots"):
 *   POST /slack/{bot}/events        Events API (url_verification, event_callback)
 *   POST /slack/{bot}/commands      slash commands (form-encoded)
 *   POST /slack/{bot}/interactions  button clicks (payload=JSON)
 *
 * Every request is verified (v0 HMAC-SHA256 over the raw body, |now - ts| <=
 * 300 s) before anything is parsed; a failure is 401 and nothing reaches the
 * bot. Events are acknowledged at once; the turn runs on the engine's workers
 * and the reply is posted with chat.postMessage by the channel's own sender
 * threads (retries, Retry-After on 429). Event ids are claimed in the store
 * ("slack_events"), so a retried or replayed event is answered once, also
 * after a restart. See docs/slack.md.
 *
 * Kept in its own header (not bots.h) because only the composition root and
 * the tests use it.
 */
#ifndef PARLEY_SLACK_H
#define PARLEY_SLACK_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

struct parley_config;
struct bot_engine;
struct http_server;
struct slack_channel;

/*
 * Reads and checks the config's "slack" section (absent is fine: no bots).
 * Secrets are read once here from the environment or files and never logged.
 * A bot whose signing secret is missing still loads (a warning is logged and
 * its routes answer 503). Returns 0 with *out (free with slack_channel_free),
 * or -1 with err holding one line "FILE: slack.bots[0].KEY: what is wrong".
 */
int slack_channel_new(const struct parley_config *cfg, struct bot_engine *engine,
                      struct slack_channel **out, char *err, size_t errlen);
/* Registers the /slack/{bot}/... routes. Returns 0 or a PARLEY_E* code. */
int slack_routes_add(struct slack_channel *ch, struct http_server *srv);
/*
 * Waits for turns in flight, sends the replies already queued (no more
 * waiting between retries), stops the threads and frees everything. Call
 * after http_server_drain and before bot_engine_free. NULL is fine.
 */
void slack_channel_free(struct slack_channel *ch);

/*
 * Verifies a Slack request signature: signature must be exactly
 * "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)), compared
 * in constant time; timestamp must be a decimal integer (no sign, no
 * leading zero, no fraction) with |now_s - timestamp| <= 300. Returns 0
 * when valid, PARLEY_EINVAL otherwise with *why (if given) set to a static
 * sentence for the log.
 */
int slack_signature_verify(const char *secret, const char *timestamp, const char *signature,
                           const void *body, size_t len, int64_t now_s, const char **why);

/*
 * The session user id for a Slack conversation: "team:user:channel" plus
 * ":thread" when thread is non-NULL, any character outside [0-9A-Za-z._:-]
 * replaced by '_', cut to 100 characters. Writes into out (>= 101 bytes).
 */
void slack_session_user(char *out, size_t outlen, const char *team, const char *user,
                        const char *channel, const char *thread);

/*
 * Renders a turn's outcome (Lex V1 PostText shape) as a chat.postMessage
 * body: {channel, text, thread_ts?, blocks?}; a response card's buttons
 * become an actions block. channel and thread_ts may be NULL (a
 * response_url body). Caller frees with cJSON_Delete; NULL on OOM.
 */
cJSON *slack_message_render(const cJSON *outcome, const char *channel, const char *thread_ts);

#endif
