/*
 * Prompts and statements: choosing the message to send and filling its
 * placeholders, as Lex does.
 *
 * A prompt holds messages in groups (groupNumber 1-5). One message is picked
 * from each group; one group gives that message as it is, several give a
 * Composite message, a JSON document {"messages":[...]}. The pick uses the
 * caller's xorshift state, so a fixed seed gives a reproducible conversation.
 *
 * Placeholders: {Slot} is the slot's value, [attr] a session attribute,
 * ((attr)) a request attribute. An unknown or unset name is left as written,
 * like Lex leaves it.
 */
#include <stdlib.h>
#include <string.h>

#include "bots/bots_internal.h"
#include "common/common.h"

uint64_t bot_rng_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static const char *lookup(const cJSON *obj, const char *name, size_t len)
{
    if (!obj)
        return NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        if (c->string && strlen(c->string) == len && memcmp(c->string, name, len) == 0)
            return cJSON_IsString(c) ? c->valuestring : NULL;
    }
    return NULL;
}

char *bot_text_fill(const char *text, const cJSON *slots, const cJSON *session_attrs,
                    const cJSON *request_attrs)
{
    struct buf b = BUF_INIT(64 * 1024);
    for (const char *p = text; *p;) {
        const char *open = NULL, *close = NULL, *value = NULL;
        size_t skip = 0;
        if (p[0] == '(' && p[1] == '(' && (close = strstr(p + 2, "))"))) {
            open = p + 2;
            value = lookup(request_attrs, open, (size_t)(close - open));
            skip = (size_t)(close - p) + 2;
        } else if (p[0] == '{' && (close = strchr(p + 1, '}'))) {
            open = p + 1;
            value = lookup(slots, open, (size_t)(close - open));
            skip = (size_t)(close - p) + 1;
        } else if (p[0] == '[' && (close = strchr(p + 1, ']'))) {
            open = p + 1;
            value = lookup(session_attrs, open, (size_t)(close - open));
            skip = (size_t)(close - p) + 1;
        }
        if (value) {
            buf_puts(&b, value);
            p += skip;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    return buf_detach(&b, NULL);
}

char *bot_prompt_render(const struct bot_prompt *p, const cJSON *slots, const cJSON *session_attrs,
                        const cJSON *request_attrs, uint64_t *rng, const char **format)
{
    if (!p || p->n_messages == 0)
        return NULL;
    /* the groups present, in order */
    int groups[5], ngroups = 0;
    for (int g = 1; g <= 5; g++)
        for (size_t i = 0; i < p->n_messages; i++)
            if (p->messages[i].group == g) {
                groups[ngroups++] = g;
                break;
            }
    const struct bot_message *picked[5];
    for (int k = 0; k < ngroups; k++) {
        size_t count = 0;
        for (size_t i = 0; i < p->n_messages; i++)
            count += p->messages[i].group == groups[k];
        size_t choice = (size_t)(bot_rng_next(rng) % count);
        for (size_t i = 0; i < p->n_messages; i++)
            if (p->messages[i].group == groups[k] && choice-- == 0)
                picked[k] = &p->messages[i];
    }
    if (ngroups == 1) {
        *format = picked[0]->content_type;
        return bot_text_fill(picked[0]->content, slots, session_attrs, request_attrs);
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "messages");
    for (int k = 0; k < ngroups; k++) {
        cJSON *m = cJSON_CreateObject();
        char *text = bot_text_fill(picked[k]->content, slots, session_attrs, request_attrs);
        cJSON_AddStringToObject(m, "type", picked[k]->content_type);
        cJSON_AddNumberToObject(m, "group", groups[k]);
        cJSON_AddStringToObject(m, "value", text ? text : "");
        free(text);
        cJSON_AddItemToArray(arr, m);
    }
    char *out = json_print(doc, NULL);
    cJSON_Delete(doc);
    *format = "Composite";
    return out;
}
