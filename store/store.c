/*
 * The front of the store: argument checks, the clock, and dispatch to the
 * backend (only SQLite for now; see store_internal.h for what a second
 * backend implements).
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "store/store_internal.h"

struct store {
    const struct store_backend_ops *ops;
    void *be;
};

int store_open(const char *data_dir, struct store **out, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return PARLEY_ENOMEM;
    int rc = store_sqlite_open(data_dir, &s->ops, &s->be, err, errlen);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    s->ops->close(s->be);
    free(s);
}

int store_schema_version(struct store *s)
{
    return s->ops->schema_version(s->be);
}

static bool valid_name(const char *s)
{
    return s && *s && strlen(s) <= 1024;
}

int store_get(struct store *s, const char *ns, const char *key, struct store_item *out)
{
    memset(out, 0, sizeof *out);
    if (!valid_name(ns) || !key)
        return PARLEY_EINVAL;
    return s->ops->get(s->be, ns, key, time_now_ms(), out);
}

void store_item_release(struct store_item *item)
{
    free(item->value);
    memset(item, 0, sizeof *item);
}

int store_put(struct store *s, const char *ns, const char *key, const void *value, size_t len,
              const struct store_put_opts *opts, int64_t *version)
{
    if (!valid_name(ns) || !key || (!value && len))
        return PARLEY_EINVAL;
    int64_t expect = opts ? opts->expect_version : STORE_ANY_VERSION;
    int64_t expires = opts ? opts->expires_at_ms : 0;
    return s->ops->put(s->be, ns, key, value ? value : "", len, expect, expires, time_now_ms(),
                       version);
}

int store_delete(struct store *s, const char *ns, const char *key, int64_t expect_version)
{
    if (!valid_name(ns) || !key)
        return PARLEY_EINVAL;
    return s->ops->del(s->be, ns, key, expect_version, time_now_ms());
}

int store_list(struct store *s, const char *ns, const char *prefix, size_t limit, store_list_fn fn,
               void *ud)
{
    if (!valid_name(ns) || !fn)
        return PARLEY_EINVAL;
    return s->ops->list(s->be, ns, prefix ? prefix : "", limit, time_now_ms(), fn, ud);
}

int store_purge_expired(struct store *s, int64_t now_ms)
{
    return s->ops->purge(s->be, now_ms);
}
