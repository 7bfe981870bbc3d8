/*
 * The embedded backend: one SQLite database, data_dir/parley.db, in WAL mode
 * with synchronous=FULL so that a write is on disk when the call returns.
 *
 * One connection serves every thread under a mutex, with its statements
 * prepared once. Parley's writes are small (a session, a transcript line) and
 * SQLite commits them in microseconds, so a single writer is not the limit;
 * a reader pool can come later without changing the interface.
 *
 * Schema changes are numbered migrations applied in one transaction each;
 * PRAGMA user_version records the last one applied. A file written by a
 * newer Parley is refused rather than misread.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "store/store_internal.h"

static const char *const migrations[] = {
    /* 1: the versioned key-value table */
    "CREATE TABLE kv ("
    "  ns TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (ns, key)"
    ") WITHOUT ROWID;"
    "CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at > 0;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum stmt_id { ST_GET, ST_INSERT, ST_UPDATE, ST_DELETE, ST_LIST, ST_PURGE, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    [ST_GET] = "SELECT value, version, expires_at, updated_at FROM kv WHERE ns = ?1 AND key = ?2",
    [ST_INSERT] = "INSERT INTO kv (ns, key, value, version, expires_at, updated_at) "
                  "VALUES (?1, ?2, ?3, ?6, ?4, ?5)",
    [ST_UPDATE] = "UPDATE kv SET value = ?3, version = ?6, expires_at = ?4, updated_at = ?5 "
                  "WHERE ns = ?1 AND key = ?2",
    [ST_DELETE] = "DELETE FROM kv WHERE ns = ?1 AND key = ?2",
    [ST_LIST] = "SELECT key, value, version, expires_at, updated_at FROM kv "
                "WHERE ns = ?1 AND key >= ?2 AND key < ?3 AND (expires_at = 0 OR +expires_at > ?4) "
                "ORDER BY key LIMIT ?5",
    [ST_PURGE] = "DELETE FROM kv WHERE expires_at > 0 AND expires_at <= ?1",
};

struct sqlite_be {
    sqlite3 *db;
    pthread_mutex_t lock;
    sqlite3_stmt *st[ST_COUNT];
    int schema_version;
    char path[4096];
};

static int map_rc(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return PARLEY_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PARLEY_EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return PARLEY_ECORRUPT;
    case SQLITE_TOOBIG:
        return PARLEY_ETOOBIG;
    default:
        return PARLEY_EIO;
    }
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *path)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK && err)
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : map_rc(rc);
}

static int migrate(struct sqlite_be *be, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(be->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return PARLEY_EIO;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %d is newer than this build's %d", be->path,
                 version, SCHEMA_VERSION);
        return PARLEY_ECORRUPT;
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
        int rc = exec_sql(be->db, "BEGIN IMMEDIATE", err, errlen, be->path);
        if (!rc)
            rc = exec_sql(be->db, migrations[v], err, errlen, be->path);
        if (!rc)
            rc = exec_sql(be->db, bump, err, errlen, be->path);
        if (!rc)
            rc = exec_sql(be->db, "COMMIT", err, errlen, be->path);
        if (rc) {
            sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    be->schema_version = SCHEMA_VERSION;
    return 0;
}

static void be_close(void *p)
{
    struct sqlite_be *be = p;
    if (!be)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(be->st[i]);
    if (be->db) {
        /* Fold the WAL back into the main file so a clean stop leaves one file. */
        sqlite3_wal_checkpoint_v2(be->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        sqlite3_close(be->db);
    }
    pthread_mutex_destroy(&be->lock);
    free(be);
}

static int be_schema_version(void *p)
{
    return ((struct sqlite_be *)p)->schema_version;
}

static void fill_item(sqlite3_stmt *st, int col, struct store_item *out, bool copy)
{
    const void *blob = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    if (copy) {
        out->value = malloc(len + 1);
        if (out->value) {
            if (len)
                memcpy(out->value, blob, len);
            out->value[len] = '\0';
        }
    } else {
        /* sqlite3_column_blob's memory is followed by no NUL: text reads go through column_text */
        out->value = (char *)sqlite3_column_text(st, col);
    }
    out->len = len;
    out->version = sqlite3_column_int64(st, col + 1);
    out->expires_at_ms = sqlite3_column_int64(st, col + 2);
    out->updated_at_ms = sqlite3_column_int64(st, col + 3);
}

static bool expired(int64_t expires_at, int64_t now_ms)
{
    return expires_at > 0 && expires_at <= now_ms;
}

static int be_get(void *p, const char *ns, const char *key, int64_t now_ms, struct store_item *out)
{
    struct sqlite_be *be = p;
    int result = PARLEY_ENOTFOUND;
    pthread_mutex_lock(&be->lock);
    sqlite3_stmt *st = be->st[ST_GET];
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (!expired(sqlite3_column_int64(st, 2), now_ms)) {
            fill_item(st, 0, out, true);
            result = out->value ? 0 : PARLEY_ENOMEM;
        }
    } else if (rc != SQLITE_DONE) {
        result = map_rc(rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(&be->lock);
    return result;
}

/* Reads the current live version of (ns, key) into *version (0 when absent or expired). */
static int current_version(struct sqlite_be *be, const char *ns, const char *key, int64_t now_ms,
                           int64_t *version)
{
    sqlite3_stmt *st = be->st[ST_GET];
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *version = 0;
    bool present = false;
    if (rc == SQLITE_ROW) {
        present = true;
        if (!expired(sqlite3_column_int64(st, 2), now_ms))
            *version = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return map_rc(rc);
    return present ? 1 : 0;
}

static int be_put(void *p, const char *ns, const char *key, const void *value, size_t len,
                  int64_t expect_version, int64_t expires_at_ms, int64_t now_ms, int64_t *version)
{
    struct sqlite_be *be = p;
    int result = 0;
    int64_t cur = 0;
    pthread_mutex_lock(&be->lock);
    int present = current_version(be, ns, key, now_ms, &cur);
    if (present < 0) {
        result = present;
        goto out;
    }
    if (expect_version != STORE_ANY_VERSION && expect_version != cur) {
        result = PARLEY_ECONFLICT;
        goto out;
    }
    /* An expired record is replaced as if it were absent: its version starts again at 1. */
    int64_t newv = cur + 1;
    sqlite3_stmt *st = be->st[present ? ST_UPDATE : ST_INSERT];
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, value, len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, expires_at_ms);
    sqlite3_bind_int64(st, 5, now_ms);
    sqlite3_bind_int64(st, 6, newv);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        result = map_rc(rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!result && version)
        *version = newv;
out:
    pthread_mutex_unlock(&be->lock);
    return result;
}

static int be_del(void *p, const char *ns, const char *key, int64_t expect_version, int64_t now_ms)
{
    struct sqlite_be *be = p;
    int result = 0;
    int64_t cur = 0;
    pthread_mutex_lock(&be->lock);
    int present = current_version(be, ns, key, now_ms, &cur);
    if (present < 0) {
        result = present;
        goto out;
    }
    if (cur == 0) {
        result = PARLEY_ENOTFOUND;
        goto out;
    }
    if (expect_version != STORE_ANY_VERSION && expect_version != cur) {
        result = PARLEY_ECONFLICT;
        goto out;
    }
    sqlite3_stmt *st = be->st[ST_DELETE];
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        result = map_rc(rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
out:
    pthread_mutex_unlock(&be->lock);
    return result;
}

static int be_list(void *p, const char *ns, const char *prefix, size_t limit, int64_t now_ms,
                   store_list_fn fn, void *ud)
{
    struct sqlite_be *be = p;
    /* Keys are UTF-8 text, which never contains the byte 0xff: prefix + 0xff.. bounds the range. */
    size_t plen = strlen(prefix);
    char *upper = malloc(plen + 5);
    if (!upper)
        return PARLEY_ENOMEM;
    memcpy(upper, prefix, plen);
    memset(upper + plen, 0xff, 4);
    upper[plen + 4] = '\0';

    int result = 0;
    pthread_mutex_lock(&be->lock);
    sqlite3_stmt *st = be->st[ST_LIST];
    sqlite3_bind_text(st, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, prefix, (int)plen, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, upper, (int)plen + 4, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    sqlite3_bind_int64(st, 5, limit ? (int64_t)limit : -1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_item item;
        fill_item(st, 1, &item, false);
        if (fn((const char *)sqlite3_column_text(st, 0), &item, ud))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        result = map_rc(rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(&be->lock);
    free(upper);
    return result;
}

static int be_purge(void *p, int64_t now_ms)
{
    struct sqlite_be *be = p;
    pthread_mutex_lock(&be->lock);
    sqlite3_stmt *st = be->st[ST_PURGE];
    sqlite3_bind_int64(st, 1, now_ms);
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_DONE ? sqlite3_changes(be->db) : map_rc(rc);
    sqlite3_reset(st);
    pthread_mutex_unlock(&be->lock);
    return result;
}

static const struct store_backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = be_close,
    .schema_version = be_schema_version,
    .get = be_get,
    .put = be_put,
    .del = be_del,
    .list = be_list,
    .purge = be_purge,
};

int store_sqlite_open(const char *data_dir, const struct store_backend_ops **ops, void **out,
                      char *err, size_t errlen)
{
    char scratch[256];
    if (!err) {
        err = scratch;
        errlen = sizeof scratch;
    }
    struct sqlite_be *be = calloc(1, sizeof *be);
    if (!be)
        return PARLEY_ENOMEM;
    pthread_mutex_init(&be->lock, NULL);
    int result = 0;
    if (mkdir_p(data_dir) != 0) {
        snprintf(err, errlen, "%s: cannot create the data directory: %s", data_dir,
                 strerror(errno));
        result = PARLEY_EIO;
        goto out;
    }
    snprintf(be->path, sizeof be->path, "%s/parley.db", data_dir);
    int rc = sqlite3_open_v2(
        be->path, &be->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", be->path, be->db ? sqlite3_errmsg(be->db) : "cannot open");
        result = map_rc(rc);
        goto out;
    }
    sqlite3_busy_timeout(be->db, 5000);
    result = exec_sql(be->db,
                      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                      "PRAGMA foreign_keys = ON;",
                      err, errlen, be->path);
    if (result)
        goto out;
    result = migrate(be, err, errlen);
    if (result)
        goto out;
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(be->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &be->st[i],
                                NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", be->path, sqlite3_errmsg(be->db));
            result = map_rc(rc);
            goto out;
        }
    }
out:
    if (result) {
        be_close(be);
        return result;
    }
    *ops = &sqlite_ops;
    *out = be;
    return 0;
}
