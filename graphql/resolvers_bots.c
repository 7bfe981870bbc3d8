/*
 * Resolvers over bots/: the bots' definitions, sessions, the conversation
 * log and missed utterances; the mutations that drive a bot (postText,
 * putSession, deleteSession) and change it (putIntent, addUtterance,
 * putSlotType).
 *
 * Most fields need no resolver at all: a bot is its Lex V1 "resource"
 * document, a turn outcome is the PostText JSON, a turn is the log's JSON,
 * and the schema names their fields as those documents do, so the
 * executor's default (the parent's member of the field's name) reads them.
 * Resolvers here fetch the roots, answer for what a document may leave out
 * (an empty list where the schema promises a list, $LATEST, the locale), and
 * page connections.
 *
 * Nothing read is copied when it can be borrowed: a bot's value refers to
 * its $LATEST definition, held for the execution (bot_latest_resource), and
 * a conversation's turns refer to the shared parsed window of its recent
 * turns (bot_conversation_turns_shared); the execution's context
 * (struct graphql_context) releases both when the response is complete.
 * Borrowed values are never changed. When an execution is not the service's
 * own (no context of ours), resolvers fall back to copies.
 *
 * Every resolver finds the service in its resolve_data, never in the
 * execution's context, so that any transport may execute Parley's
 * documents; the context only adds the turn log's channel and the holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots.h"
#include "common/common.h"
#include "graphql/service_internal.h"

#define MAX_PAGE 200

static struct bot_engine *engine(const struct gql_resolve_info *info)
{
    return ((struct graphql_service *)info->data)->deps.bots;
}

/* Lex's user id: 2 to 100 characters of [0-9a-zA-Z._:-]. */
static bool valid_user(const char *u)
{
    size_t n = strlen(u);
    return n >= 2 && n <= 100 &&
           strspn(u, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._:-") == n;
}

static bool valid_name(const char *s)
{
    return s && *s && !strchr(s, '/') && strlen(s) <= 100;
}

/* first, checked: 0..MAX_PAGE. -1 after setting *error. */
static int page_size(const struct gql_resolve_info *info, char **error)
{
    int first = graphql_arg_int(info, "first", 20);
    if (first < 0 || first > MAX_PAGE) {
        graphql_field_error(info, error, "ValidationException", "first must be from 0 to %d.",
                            MAX_PAGE);
        return -1;
    }
    return first;
}

/* ---- bots ---- */

static void ensure_array(cJSON *obj, const char *key)
{
    if (cJSON_IsObject(obj) && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, key))) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        cJSON_AddItemToObject(obj, key, cJSON_CreateArray());
    }
}

/* A copy of the resource of bot_describe's answer (takes desc). */
static cJSON *bot_value(cJSON *desc)
{
    cJSON *res = cJSON_DetachItemFromObjectCaseSensitive(desc, "resource");
    cJSON_Delete(desc);
    if (!cJSON_IsObject(res)) {
        cJSON_Delete(res);
        res = cJSON_CreateObject();
    }
    return res;
}

static void release_bot(void *p)
{
    bot_hold_release(p);
}

static void release_turns(void *p)
{
    bot_turns_release(p);
}

/*
 * The Bot value of name: its $LATEST resource itself, borrowed for the
 * execution (the context keeps the definition alive), or a copy when the
 * execution is not ours. The fields a document may lack have resolvers
 * (list_member, resolve_bot_*), so the value is never changed. NULL if none.
 */
static cJSON *bot_ref(const struct gql_resolve_info *info, const char *name)
{
    struct graphql_context *ctx = graphql_context_of(info);
    if (ctx) {
        struct bot_hold *hold = NULL;
        const cJSON *res = bot_latest_resource(engine(info), name, &hold);
        if (!res) {
            bot_hold_release(hold);
            return NULL;
        }
        if (graphql_context_keep(ctx, release_bot, hold))
            return cJSON_CreateObjectReference(res->child);
    }
    cJSON *d = bot_describe(engine(info), name);
    return d ? bot_value(d) : NULL;
}

static cJSON *resolve_bots(const struct gql_resolve_info *info, char **error)
{
    cJSON *out = cJSON_CreateArray();
    if (!engine(info))
        return out;
    cJSON *names = bot_names(engine(info));
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        cJSON *b = bot_ref(info, n->valuestring);
        if (b)
            cJSON_AddItemToArray(out, b);
    }
    cJSON_Delete(names);
    return out;
}

static cJSON *resolve_bot(const struct gql_resolve_info *info, char **error)
{
    const char *name = graphql_arg_string(info, "name");
    cJSON *b = engine(info) && name ? bot_ref(info, name) : NULL;
    return b ? b : cJSON_CreateNull();
}

/* A list member of the source, borrowed; [] when the document leaves it out. */
static cJSON *list_member(const struct gql_resolve_info *info, char **error)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info->source, info->field->name);
    return cJSON_IsArray(v) ? cJSON_CreateArrayReference(v->child) : cJSON_CreateArray();
}

static cJSON *resolve_bot_version(const struct gql_resolve_info *info, char **error)
{
    return cJSON_CreateString("$LATEST");
}

static cJSON *resolve_bot_locale(const struct gql_resolve_info *info, char **error)
{
    const char *l = json_string(info->source, "locale");
    return cJSON_CreateString(l ? l : "en-US");
}

static cJSON *resolve_bot_aliases(const struct gql_resolve_info *info, char **error)
{
    const char *name = json_string(info->source, "name");
    return name && engine(info) ? bot_aliases(engine(info), name) : cJSON_CreateArray();
}

static cJSON *resolve_bot_versions(const struct gql_resolve_info *info, char **error)
{
    const char *name = json_string(info->source, "name");
    return name && engine(info) ? bot_versions(engine(info), name) : cJSON_CreateArray();
}

static cJSON *resolve_bot_intent(const struct gql_resolve_info *info, char **error)
{
    const char *name = graphql_arg_string(info, "name");
    const cJSON *in;
    cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(info->source, "intents"))
    {
        const char *n = json_string(in, "name");
        if (n && name && strcmp(n, name) == 0)
            return cJSON_CreateObjectReference(in->child);
    }
    return cJSON_CreateNull();
}

/* ---- sessions ---- */

static cJSON *session_error(const struct gql_resolve_info *info, char **error, int err,
                            const char *msg)
{
    if (err == PARLEY_ENOTFOUND)
        return cJSON_CreateNull();
    return graphql_field_error(info, error, bot_error_code(err), "%s", msg);
}

static bool session_args(const struct gql_resolve_info *info, const char **bot, const char **alias,
                         const char **user, char **error)
{
    *bot = graphql_arg_string(info, "bot");
    *alias = graphql_arg_string(info, "alias");
    *user = graphql_arg_string(info, "user");
    if (!*alias)
        *alias = "$LATEST";
    if (!engine(info)) {
        graphql_field_error(info, error, "ResourceNotFoundException", "This server runs no bots.");
        return false;
    }
    if (!valid_name(*bot) || !valid_name(*alias)) {
        graphql_field_error(info, error, "ValidationException",
                            "bot and alias must be names (no '/').");
        return false;
    }
    if (!*user || !valid_user(*user)) {
        graphql_field_error(info, error, "ValidationException",
                            "user must be 2 to 100 characters of [0-9a-zA-Z._:-].");
        return false;
    }
    return true;
}

static cJSON *resolve_session(const struct gql_resolve_info *info, char **error)
{
    const char *bot, *alias, *user;
    if (!session_args(info, &bot, &alias, &user, error))
        return NULL;
    int err = 0;
    char msg[512] = "";
    cJSON *v = bot_session_get(engine(info), bot, alias, user, &err, msg, sizeof msg);
    return v ? v : session_error(info, error, err, msg);
}

static cJSON *conversation_of(const struct gql_resolve_info *info, const char *bot,
                              const char *alias, const char *user)
{
    if (!bot || !alias || !user || !engine(info))
        return NULL;
    char id[1024];
    snprintf(id, sizeof id, "%s/%s/%s", bot, alias, user);
    return bot_conversation_get(engine(info), id);
}

static cJSON *resolve_session_conversation(const struct gql_resolve_info *info, char **error)
{
    const cJSON *s = info->source;
    cJSON *c = conversation_of(info, json_string(s, "bot"), json_string(s, "alias"),
                               json_string(s, "user"));
    return c ? c : cJSON_CreateNull();
}

static cJSON *resolve_turn_conversation(const struct gql_resolve_info *info, char **error)
{
    const cJSON *t = info->source;
    cJSON *c = conversation_of(info, json_string(t, "bot"), json_string(t, "alias"),
                               json_string(t, "user"));
    if (c)
        return c;
    /* the record expired (or the log failed): what the turn itself says */
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", json_string(t, "conversationId"));
    cJSON_AddStringToObject(c, "bot", json_string(t, "bot"));
    cJSON_AddStringToObject(c, "alias", json_string(t, "alias"));
    cJSON_AddStringToObject(c, "user", json_string(t, "user"));
    double seq = 0;
    json_number(t, "seq", &seq);
    cJSON_AddNumberToObject(c, "turnCount", seq);
    return c;
}

/* ---- connections ---- */

/*
 * {edges: [{cursor, node}], nodes, pageInfo} over items (taken); cursor_key
 * names the member that is the cursor.
 *
 * A page of 100 turns would be some 600 small allocations (and as many
 * frees) as ordinary cJSON, more than the executor then spends reading it.
 * So the connection is built in one block, nodes pointing at the items'
 * members and strings rather than copying them, and the block and the
 * items live as long as the execution (graphql_context_keep). The executor
 * gets a reference to the block's root, which is all it deletes.
 */
#define CURSOR_DIGITS 24

static void link_item(cJSON *parent, cJSON *item, const char *name)
{
    item->string = (char *)name;
    item->type |= cJSON_IsReference | (name ? cJSON_StringIsConst : 0);
    if (!parent->child) {
        parent->child = item;
    } else {
        cJSON *last = parent->child->prev;
        last->next = item;
        item->prev = last;
    }
    parent->child->prev = item;
}

static void free_items(void *items)
{
    cJSON_Delete(items);
}

static cJSON *connection(const struct gql_resolve_info *info, cJSON *items, const char *cursor_key,
                         bool has_next, bool has_prev, char **error)
{
    struct graphql_context *ctx = graphql_context_of(info);
    if (!items || !ctx) {
        cJSON_Delete(items);
        return graphql_field_error(info, error, "InternalServerException",
                                   items ? "No execution context." : "Out of memory.");
    }
    /* (graphql_context_keep releases what it cannot keep) */
    if (!graphql_context_keep(ctx, free_items, items))
        return graphql_field_error(info, error, "InternalServerException", "Out of memory.");
    size_t n = (size_t)cJSON_GetArraySize(items);
    /* root, edges, nodes, pageInfo and its four members; per item: edge, cursor, node, nodes' */
    size_t nnodes = 8 + 4 * n;
    char *block = calloc(1, nnodes * sizeof(cJSON) + n * CURSOR_DIGITS);
    if (!block || !graphql_context_keep(ctx, free, block))
        return graphql_field_error(info, error, "InternalServerException", "Out of memory.");
    cJSON *node = (cJSON *)block;
    char *digits = block + nnodes * sizeof(cJSON);
    cJSON *root = node++, *edges = node++, *nodes = node++, *page = node++;
    root->type = cJSON_Object;
    edges->type = nodes->type = cJSON_Array;
    page->type = cJSON_Object;
    link_item(root, edges, "edges");
    link_item(root, nodes, "nodes");
    link_item(root, page, "pageInfo");
    const char *first_cursor = NULL, *last_cursor = NULL;
    for (cJSON *it = items->child; it; it = it->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, cursor_key);
        char *cursor = "";
        if (cJSON_IsNumber(k) && k->valuedouble >= 0 && k->valuedouble < 1e15) {
            /* a sequence number: digits by hand, this runs once per item */
            char *d = digits + CURSOR_DIGITS;
            unsigned long long v = (unsigned long long)k->valuedouble;
            *--d = '\0';
            do {
                *--d = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            cursor = d;
            digits += CURSOR_DIGITS;
        } else if (cJSON_IsString(k)) {
            cursor = k->valuestring;
        }
        if (!first_cursor)
            first_cursor = cursor;
        last_cursor = cursor;
        cJSON *edge = node++, *c = node++, *in_edge = node++, *in_nodes = node++;
        edge->type = cJSON_Object;
        c->type = cJSON_String;
        c->valuestring = cursor;
        /* the item's members, as laid out (GQL_JSON_CONSECUTIVE when frozen) */
        in_edge->type = in_nodes->type = cJSON_Object | (it->type & GQL_JSON_CONSECUTIVE);
        in_edge->child = in_nodes->child = it->child;
        link_item(edge, c, "cursor");
        link_item(edge, in_edge, "node");
        link_item(edges, edge, NULL);
        link_item(nodes, in_nodes, NULL);
    }
    cJSON *more = node++, *less = node++, *start = node++, *end = node++;
    more->type = has_next ? cJSON_True : cJSON_False;
    less->type = has_prev ? cJSON_True : cJSON_False;
    start->type = first_cursor ? cJSON_String : cJSON_NULL;
    start->valuestring = (char *)first_cursor;
    end->type = last_cursor ? cJSON_String : cJSON_NULL;
    end->valuestring = (char *)last_cursor;
    link_item(page, more, "hasNextPage");
    link_item(page, less, "hasPreviousPage");
    link_item(page, start, "startCursor");
    link_item(page, end, "endCursor");
    cJSON *ref = cJSON_CreateObjectReference(root->child);
    return ref ? ref
               : graphql_field_error(info, error, "InternalServerException", "Out of memory.");
}

static cJSON *resolve_conversations(const struct gql_resolve_info *info, char **error)
{
    const char *bot = graphql_arg_string(info, "bot");
    const char *after = graphql_arg_string(info, "after");
    int first = page_size(info, error);
    if (first < 0)
        return NULL;
    if (!valid_name(bot))
        return graphql_field_error(info, error, "ValidationException", "bot must be a bot's name.");
    bool more = false;
    cJSON *items = engine(info)
                       ? bot_conversation_list(engine(info), bot, after, (size_t)first, &more)
                       : cJSON_CreateArray();
    return connection(info, items, "id", more, after != NULL, error);
}

static cJSON *resolve_conversation(const struct gql_resolve_info *info, char **error)
{
    const char *id = graphql_arg_string(info, "id");
    cJSON *c = engine(info) && id ? bot_conversation_get(engine(info), id) : NULL;
    return c ? c : cJSON_CreateNull();
}

static cJSON *resolve_conversation_turns(const struct gql_resolve_info *info, char **error)
{
    const char *id = json_string(info->source, "id");
    const char *after = graphql_arg_string(info, "after");
    int first = page_size(info, error);
    if (first < 0)
        return NULL;
    int64_t before = 0;
    if (after) {
        char *end;
        long long v = strtoll(after, &end, 10);
        if (*end || v < 1 || end == after)
            return graphql_field_error(info, error, "ValidationException",
                                       "after must be a cursor from this connection.");
        before = v;
    }
    bool more = false;
    cJSON *items;
    struct graphql_context *ctx = graphql_context_of(info);
    double newest = 0;
    if (!engine(info)) {
        items = cJSON_CreateArray();
    } else if (ctx && json_number(info->source, "turnCount", &newest) && newest >= 1) {
        /* the shared, parsed window of recent turns, borrowed for the execution; without a
           hold the items are copies of their own */
        struct bot_turns_hold *hold = NULL;
        items = bot_conversation_turns_shared(engine(info), id, (int64_t)newest, before,
                                              (size_t)first, &more, &hold);
        if (hold && !graphql_context_keep(ctx, release_turns, hold)) {
            cJSON_Delete(items); /* its references died with the hold */
            items = NULL;
        }
        if (!items)
            return graphql_field_error(info, error, "InternalServerException", "Out of memory.");
    } else {
        items = bot_conversation_turns(engine(info), id, before, (size_t)first, &more);
    }
    return connection(info, items, "seq", more, after != NULL, error);
}

static cJSON *resolve_missed(const struct gql_resolve_info *info, char **error)
{
    const char *bot = graphql_arg_string(info, "bot");
    int first = page_size(info, error);
    if (first < 0)
        return NULL;
    if (!valid_name(bot))
        return graphql_field_error(info, error, "ValidationException", "bot must be a bot's name.");
    return engine(info) ? bot_missed_list(engine(info), bot, (size_t)first) : cJSON_CreateArray();
}

/* ---- mutations that drive a bot ---- */

/* Is v an object of strings (Lex's sessionAttributes)? NULL and JSON null are fine. */
static bool string_map(const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsObject(v))
        return false;
    const cJSON *x;
    cJSON_ArrayForEach(x, v) if (!cJSON_IsString(x)) return false;
    return true;
}

static cJSON *resolve_post_text(const struct gql_resolve_info *info, char **error)
{
    const char *bot, *alias, *user;
    if (!session_args(info, &bot, &alias, &user, error))
        return NULL;
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(info->args, "sessionAttributes");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(info->args, "requestAttributes");
    if (!string_map(attrs) || !string_map(req))
        return graphql_field_error(info, error, "ValidationException",
                                   "sessionAttributes and requestAttributes must map "
                                   "names to strings.");
    const struct graphql_context *ctx = info->context;
    struct bot_turn turn = {
        .bot = bot,
        .alias = alias,
        .user = user,
        .text = graphql_arg_string(info, "text"),
        .session_attributes = cJSON_IsObject(attrs) ? attrs : NULL,
        .request_attributes = cJSON_IsObject(req) ? req : NULL,
        .channel = ctx && ctx->channel ? ctx->channel : "graphql",
    };
    int err = 0;
    char msg[1024] = "";
    cJSON *out = bot_turn_run(engine(info), &turn, &err, msg, sizeof msg);
    if (!out)
        return graphql_field_error(info, error, bot_error_code(err), "%s",
                                   msg[0] ? msg : "The turn failed.");
    cJSON_DeleteItemFromObjectCaseSensitive(out, "_v2");
    return out;
}

/* A copy of v without its null members, recursively (coerced input objects keep them). */
static cJSON *without_nulls(const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        cJSON *o = cJSON_CreateObject();
        const cJSON *x;
        cJSON_ArrayForEach(x, v) if (!cJSON_IsNull(x))
            cJSON_AddItemToObject(o, x->string, without_nulls(x));
        return o;
    }
    if (cJSON_IsArray(v)) {
        cJSON *a = cJSON_CreateArray();
        const cJSON *x;
        cJSON_ArrayForEach(x, v) cJSON_AddItemToArray(a, without_nulls(x));
        return a;
    }
    return cJSON_Duplicate(v, true);
}

static cJSON *resolve_put_session(const struct gql_resolve_info *info, char **error)
{
    const char *bot, *alias, *user;
    if (!session_args(info, &bot, &alias, &user, error))
        return NULL;
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(info->args, "sessionAttributes");
    if (!string_map(attrs))
        return graphql_field_error(info, error, "ValidationException",
                                   "sessionAttributes must map names to strings.");
    const cJSON *da = cJSON_GetObjectItemCaseSensitive(info->args, "dialogAction");
    cJSON *action = da && !cJSON_IsNull(da) ? without_nulls(da) : NULL;
    int err = 0;
    char msg[1024] = "";
    cJSON *out = bot_session_put(engine(info), bot, alias, user, action,
                                 cJSON_IsObject(attrs) ? attrs : NULL, &err, msg, sizeof msg);
    cJSON_Delete(action);
    if (!out)
        return graphql_field_error(info, error, bot_error_code(err), "%s",
                                   msg[0] ? msg : "PutSession failed.");
    return out;
}

static cJSON *resolve_delete_session(const struct gql_resolve_info *info, char **error)
{
    const char *bot, *alias, *user;
    if (!session_args(info, &bot, &alias, &user, error))
        return NULL;
    int err = 0;
    char msg[512] = "";
    cJSON *v = bot_session_remove(engine(info), bot, alias, user, &err, msg, sizeof msg);
    return v ? v : session_error(info, error, err, msg);
}

/* ---- mutations that change a bot ---- */

struct edit {
    const char *list; /* "intents" or "slotTypes" */
    cJSON *item;      /* putIntent, putSlotType: the new member (borrowed) */
    const char *name; /* addUtterance: the intent */
    const char *text; /* addUtterance: the utterance */
};

static int apply_edit(cJSON *doc, void *ud, char *err, size_t errlen)
{
    struct edit *ed = ud;
    cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "resource");
    if (!cJSON_IsObject(res)) {
        snprintf(err, errlen, "The bot's document has no resource.");
        return PARLEY_EINVAL;
    }
    ensure_array(res, ed->list);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(res, ed->list);
    const char *name = ed->item ? json_string(ed->item, "name") : ed->name;
    int i = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const char *n = json_string(it, "name");
        if (n && strcmp(n, name) == 0)
            break;
        i++;
    }
    if (ed->item) {
        cJSON *copy = cJSON_Duplicate(ed->item, true);
        if (it)
            cJSON_ReplaceItemInArray(list, i, copy);
        else
            cJSON_AddItemToArray(list, copy);
        return 0;
    }
    if (!it) {
        snprintf(err, errlen, "The bot has no intent named %s.", name);
        return PARLEY_ENOTFOUND;
    }
    ensure_array(it, "sampleUtterances");
    cJSON *utts = cJSON_GetObjectItemCaseSensitive(it, "sampleUtterances");
    const cJSON *u;
    cJSON_ArrayForEach(u, utts) if (cJSON_IsString(u) && strcmp(u->valuestring, ed->text) ==
                                                             0) return 0; /* already there */
    cJSON_AddItemToArray(utts, cJSON_CreateString(ed->text));
    return 0;
}

/* After an edit: the member named name of the bot's list, as the schema shows it. */
static cJSON *edited_member(const struct gql_resolve_info *info, const char *bot, const char *list,
                            const char *name, char **error)
{
    cJSON *d = bot_describe(engine(info), bot);
    cJSON *v = d ? bot_value(d) : NULL;
    cJSON *found = NULL;
    cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, list))
    {
        const char *n = json_string(it, "name");
        if (n && strcmp(n, name) == 0) {
            found = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(v, list), i);
            break;
        }
        i++;
    }
    cJSON_Delete(v);
    return found ? found
                 : graphql_field_error(info, error, "InternalServerException",
                                       "The change was made but cannot be read.");
}

static cJSON *run_edit(const struct gql_resolve_info *info, struct edit *ed, const char *bot,
                       const char *name, char **error)
{
    if (!engine(info))
        return graphql_field_error(info, error, "ResourceNotFoundException",
                                   "This server runs no bots.");
    char err[1024] = "";
    int rc = bot_latest_edit(engine(info), bot, apply_edit, ed, err, sizeof err);
    if (rc)
        return graphql_field_error(info, error, bot_error_code(rc), "%s",
                                   err[0] ? err : parley_strerror(rc));
    return edited_member(info, bot, ed->list, name, error);
}

static cJSON *resolve_put_intent(const struct gql_resolve_info *info, char **error)
{
    const char *bot = graphql_arg_string(info, "bot");
    cJSON *item = without_nulls(cJSON_GetObjectItemCaseSensitive(info->args, "intent"));
    const char *name = json_string(item, "name");
    cJSON *out;
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(item, "fulfillmentActivity")))
        cJSON_AddStringToObject(cJSON_AddObjectToObject(item, "fulfillmentActivity"), "type",
                                "ReturnIntent");
    if (!name || !*name) {
        out = graphql_field_error(info, error, "ValidationException",
                                  "intent.name must not be empty.");
    } else {
        struct edit ed = {.list = "intents", .item = item};
        out = run_edit(info, &ed, bot, name, error);
    }
    cJSON_Delete(item);
    return out;
}

static cJSON *resolve_add_utterance(const struct gql_resolve_info *info, char **error)
{
    const char *bot = graphql_arg_string(info, "bot");
    const char *intent = graphql_arg_string(info, "intent");
    const char *text = graphql_arg_string(info, "utterance");
    if (!text || !*text || strlen(text) > 200)
        return graphql_field_error(info, error, "ValidationException",
                                   "utterance must be 1 to 200 characters.");
    struct edit ed = {.list = "intents", .name = intent, .text = text};
    return run_edit(info, &ed, bot, intent, error);
}

static cJSON *resolve_put_slot_type(const struct gql_resolve_info *info, char **error)
{
    const char *bot = graphql_arg_string(info, "bot");
    cJSON *item = without_nulls(cJSON_GetObjectItemCaseSensitive(info->args, "slotType"));
    const char *name = json_string(item, "name");
    cJSON *out;
    if (!name || !*name) {
        out = graphql_field_error(info, error, "ValidationException",
                                  "slotType.name must not be empty.");
    } else {
        struct edit ed = {.list = "slotTypes", .item = item};
        out = run_edit(info, &ed, bot, name, error);
    }
    cJSON_Delete(item);
    return out;
}

int graphql_resolvers_bots_add(struct graphql_service *svc)
{
    static const struct graphql_resolver table[] = {
        {"Query", "bots", resolve_bots},
        {"Query", "bot", resolve_bot},
        {"Query", "session", resolve_session},
        {"Query", "conversations", resolve_conversations},
        {"Query", "conversation", resolve_conversation},
        {"Query", "missedUtterances", resolve_missed},
        {"Bot", "intent", resolve_bot_intent},
        {"Bot", "version", resolve_bot_version},
        {"Bot", "locale", resolve_bot_locale},
        {"Bot", "aliases", resolve_bot_aliases},
        {"Bot", "versions", resolve_bot_versions},
        {"Bot", "intents", list_member},
        {"Bot", "slotTypes", list_member},
        {"Intent", "sampleUtterances", list_member},
        {"Intent", "slots", list_member},
        {"SlotType", "enumerationValues", list_member},
        {"Session", "conversation", resolve_session_conversation},
        {"Conversation", "turns", resolve_conversation_turns},
        {"Turn", "conversation", resolve_turn_conversation},
        {"Mutation", "postText", resolve_post_text},
        {"Mutation", "putSession", resolve_put_session},
        {"Mutation", "deleteSession", resolve_delete_session},
        {"Mutation", "putIntent", resolve_put_intent},
        {"Mutation", "addUtterance", resolve_add_utterance},
        {"Mutation", "putSlotType", resolve_put_slot_type},
    };
    return graphql_resolvers_set(svc, table, sizeof table / sizeof *table);
}
