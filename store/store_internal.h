/*
 * The backend interface behind store.h. A backend fills in these operations;
 * store.c checks arguments and dispatches. Included only by the .c files of store/.
 */
#ifndef PARLEY_STORE_INTERNAL_H
#define PARLEY_STORE_INTERNAL_H

#include "store/store.h"

struct store_backend_ops {
    const char *name;
    void (*close)(void *be);
    int (*schema_version)(void *be);
    int (*get)(void *be, const char *ns, const char *key, int64_t now_ms, struct store_item *out);
    int (*put)(void *be, const char *ns, const char *key, const void *value, size_t len,
               int64_t expect_version, int64_t expires_at_ms, int64_t now_ms, int64_t *version);
    int (*del)(void *be, const char *ns, const char *key, int64_t expect_version, int64_t now_ms);
    int (*list)(void *be, const char *ns, const char *prefix, size_t limit, int64_t now_ms,
                store_list_fn fn, void *ud);
    int (*purge)(void *be, int64_t now_ms);
};

int store_sqlite_open(const char *data_dir, const struct store_backend_ops **ops, void **be,
                      char *err, size_t errlen);

#endif
