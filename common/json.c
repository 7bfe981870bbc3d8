/* Small conveniences over cJSON: typed lookups that never crash on a missing key. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

const char *json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool json_number(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

char *json_print(const cJSON *json, size_t *len)
{
    char *s = cJSON_PrintUnformatted(json);
    if (s && len)
        *len = strlen(s);
    return s;
}

/* ---- json_freeze ---- */

struct freezer {
    cJSON *node; /* the next free node */
    char *text;  /* the next free byte of the strings */
    const char *const *names;
    size_t nnames;
};

static const char *shared_name(const struct freezer *f, const char *name)
{
    for (size_t i = 0; name && i < f->nnames; i++)
        if (strcmp(f->names[i], name) == 0)
            return f->names[i];
    return NULL;
}

static void freeze_count(const struct freezer *f, const cJSON *j, size_t *nodes, size_t *bytes)
{
    for (; j; j = j->next) {
        (*nodes)++;
        *bytes += (j->string && !shared_name(f, j->string) ? strlen(j->string) + 1 : 0) +
                  (j->valuestring ? strlen(j->valuestring) + 1 : 0);
        freeze_count(f, j->child, nodes, bytes);
    }
}

static char *freeze_string(struct freezer *f, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = memcpy(f->text, s, n);
    f->text += n;
    return copy;
}

/* Copies the siblings from src on into consecutive nodes, then each one's children. */
static cJSON *freeze_list(struct freezer *f, const cJSON *src)
{
    size_t n = 0;
    for (const cJSON *c = src; c; c = c->next)
        n++;
    if (n == 0)
        return NULL;
    cJSON *list = f->node;
    f->node += n;
    size_t i = 0;
    for (const cJSON *c = src; c; c = c->next, i++) {
        cJSON *k = &list[i];
        const char *shared = shared_name(f, c->string);
        k->type = (c->type & 0xFF) | (shared ? cJSON_StringIsConst : 0);
        k->valueint = c->valueint;
        k->valuedouble = c->valuedouble;
        k->string = shared ? (char *)shared : freeze_string(f, c->string);
        k->valuestring = freeze_string(f, c->valuestring);
        k->prev = &list[i ? i - 1 : n - 1]; /* the first's prev is the last, as in cJSON */
        k->next = i + 1 < n ? &list[i + 1] : NULL;
    }
    i = 0;
    for (const cJSON *c = src; c; c = c->next, i++) {
        list[i].child = freeze_list(f, c->child);
        if (list[i].child)
            list[i].type |= JSON_CONSECUTIVE;
    }
    return list;
}

cJSON *json_freeze(const cJSON *json, const char *const *names, size_t nnames)
{
    size_t nodes = 0, bytes = 0;
    struct freezer f = {NULL, NULL, names, nnames};
    if (!json)
        return NULL;
    freeze_count(&f, json->child, &nodes, &bytes);
    nodes++; /* the root */
    bytes += (json->string ? strlen(json->string) + 1 : 0) +
             (json->valuestring ? strlen(json->valuestring) + 1 : 0);
    cJSON *block = calloc(1, nodes * sizeof(cJSON) + bytes);
    if (!block)
        return NULL;
    f.node = block + 1;
    f.text = (char *)(block + nodes);
    block->type = json->type & 0xFF;
    block->valueint = json->valueint;
    block->valuedouble = json->valuedouble;
    block->string = freeze_string(&f, json->string);
    block->valuestring = freeze_string(&f, json->valuestring);
    block->prev = block;
    block->child = freeze_list(&f, json->child);
    if (block->child)
        block->type |= JSON_CONSECUTIVE;
    return block;
}
