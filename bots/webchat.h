/*
 * bots/webchat.h — the web chat channel: the chat widget's WebSocket
 * endpoint (GET /webchat/{bot}/{alias}, upgraded) and the widget's own files
 * (GET /widget/parley-widget.js and .css). The protocol is in docs/webchat.md.
 *
 * A chat turn is an ordinary bot turn (bot_turn_submit): the session is
 * (bot, alias, sessionId), the same session the Lex V1 PostText endpoint
 * reaches with userId = sessionId, which is the widget's HTTP fallback.
 */
#ifndef PARLEY_WEBCHAT_H
#define PARLEY_WEBCHAT_H

struct parley_config;
struct bot_engine;
struct http_server;
struct ws_server;
struct webchat;

/*
 * Reads and checks the config's "webchat" section (absent = no bot is
 * reachable over WebSocket, the widget files are still served) and
 * registers the WebSocket route on ws and the widget routes on srv. Returns
 * NULL with err holding one line "FILE: webchat.KEY: what is wrong".
 * Free after the bot engine (turns in flight hold connections).
 */
struct webchat *webchat_new(const struct parley_config *cfg, struct bot_engine *engine,
                            struct http_server *srv, struct ws_server *ws, char *err,
                            size_t errlen);
void webchat_free(struct webchat *w);

#endif
