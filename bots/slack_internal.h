/*
 * bots/slack_internal.h — helpers of the Slack channel shared by slack.c and
 * slack_wire.c and the unit tests; nothing outside bots/ includes it.
 */
#ifndef PARLEY_SLACK_INTERNAL_H
#define PARLEY_SLACK_INTERNAL_H

#include <stddef.h>

/*
 * The value of name in an application/x-www-form-urlencoded body (len bytes),
 * percent-decoded with '+' as a space; NULL when absent or on OOM. Caller frees.
 */
char *slack_form_get(const char *body, size_t len, const char *name);

/*
 * text without the mentions "<@ID>" and "<@ID|name>" of id (of anyone when id
 * is NULL), trimmed of surrounding white space. Caller frees; NULL on OOM.
 */
char *slack_strip_mentions(const char *text, const char *id);

#endif
