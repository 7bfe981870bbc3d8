/*
 * store/ — Parley's persistence behind one narrow interface.
 *
 * The model is a versioned key-value store split into namespaces
 * ("sessions", "transcripts", "slack_events", ...). Each record has a value
 * (bytes, usually JSON), a version that grows by one on every write, and an
 * optional expiry time. That is all the other folders get: it maps onto
 * SQLite (the embedded default), PostgreSQL (a table with the same columns)
 * or Redis (a hash per key with EXPIRE) without leaking any of them.
 *
 * Guarantees: a put or delete is durable when it returns 0 (SQLite WAL with
 * synchronous=FULL); a put with expect_version is a compare-and-set; expired
 * records are invisible to get and list even before they are purged.
 * All functions are safe to call from any thread.
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One record as read. value is NUL-terminated for convenience; owned by the item. */
struct store_item {
    char *value;
    size_t len;
    int64_t version;
    int64_t expires_at_ms; /* 0 = never */
    int64_t updated_at_ms;
};

#define STORE_ANY_VERSION (-1) /* expect_version: write whatever is there */
#define STORE_NO_RECORD 0      /* expect_version: only if the key is absent */

struct store_put_opts {
    int64_t expect_version; /* STORE_ANY_VERSION, STORE_NO_RECORD, or the version read */
    int64_t expires_at_ms;  /* 0 = never */
};

/*
 * Opens (creating if needed) the embedded store in data_dir/parley.db and
 * brings its schema up to date. Returns 0 or a PARLEY_E* code; on failure
 * err (if given) holds a sentence naming the file and the problem.
 */
int store_open(const char *data_dir, struct store **out, char *err, size_t errlen);
/* Closes cleanly (checkpoints the WAL). NULL is fine. */
void store_close(struct store *s);

/* The schema version this build writes; store_open refuses a newer file. */
int store_schema_version(struct store *s);

/* 0 and *out filled (release with store_item_release), or PARLEY_ENOTFOUND. */
int store_get(struct store *s, const char *ns, const char *key, struct store_item *out);
void store_item_release(struct store_item *item);

/*
 * Writes value under (ns, key). opts may be NULL (any version, no expiry).
 * Returns 0 and the new version in *version (may be NULL), PARLEY_ECONFLICT
 * when expect_version does not match.
 */
int store_put(struct store *s, const char *ns, const char *key, const void *value, size_t len,
              const struct store_put_opts *opts, int64_t *version);

/* Deletes (ns, key); expect_version as for put. PARLEY_ENOTFOUND if absent. */
int store_delete(struct store *s, const char *ns, const char *key, int64_t expect_version);

/*
 * Calls fn for each live record in ns whose key starts with prefix, in key
 * order, at most limit records (0 = no limit). The item is borrowed for the
 * duration of the call. fn returns non-zero to stop early.
 */
typedef int (*store_list_fn)(const char *key, const struct store_item *item, void *ud);
int store_list(struct store *s, const char *ns, const char *prefix, size_t limit, store_list_fn fn,
               void *ud);

/* Removes records that expired before now_ms; returns how many, or a PARLEY_E* code. */
int store_purge_expired(struct store *s, int64_t now_ms);

#endif
