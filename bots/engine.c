/*
 * The engine: every bot of the config, their versions and aliases, the turn
 * workers, and reloading.
 *
 * Bots come from the config's "bots" array: {"file": "bots/airline.json",
 * "aliases": {"prod": "1"}} or {"dir": "bots/"} (every *.json in it).
 * "$LATEST" is always the file as it is now. A numbered version is a
 * snapshot published into the store ("bot_versions"/"BOT/000001") by
 * `parley publish`; an alias pins one. On first start, an alias pinned to
 * version 1 of a bot that has none publishes the file as version 1.
 *
 * Definitions are reference-counted and immutable: a reload builds the new
 * version completely (parse, check, train) and only then swaps the pointer
 * under the write lock; turns in flight keep the version they resolved.
 *
 * The word vectors (the config's intents.wordVectors, docs/configuration.md)
 * are read once, when the engine starts, and shared by every model it trains;
 * they are closed after the last definition is gone.
 *
 * Turns run on a fixed pool of workers fed by a bounded queue. Turns for
 * the same session are serialized: a worker waits while another worker
 * holds the session's key in the busy list.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/random.h>
#include <limits.h>
#include <unistd.h>

#include "bots/bots_internal.h"
#include "common/common.h"
#include "intents/intents.h"
#include "server/config.h"
#include "store/store.h"

#define VERSIONS_NS "bot_versions"
#define MAX_QUEUE 4096
#define MAX_ALIASES 16

struct alias {
    char *name;
    char *version; /* "$LATEST" or a number */
    struct bot_def *def;
};

struct bot_entry {
    char *file;
    char *cfg_path; /* where it is named in the config, for errors */
    struct bot_def *latest;
    struct alias aliases[MAX_ALIASES];
    int naliases;
};

struct job {
    struct job *next;
    struct bot_turn turn; /* strings and JSON owned by the job */
    bot_turn_done_fn done;
    void *ud;
};

struct busy {
    struct busy *next;
    char *key;
};

struct bot_engine {
    struct bot_engine_options opts;
    struct lex_auth *auth; /* who may call the Lex APIs (auth.c) */
    struct store *st;
    struct bot_turnlog *log;         /* the conversation log and turn listeners (turnlog.c) */
    struct intents_vectors *vectors; /* intents.wordVectors, or NULL; every model borrows them */
    pthread_mutex_t edit_lock;       /* one bot_latest_edit at a time */
    pthread_rwlock_t lock;           /* guards the entries' def pointers */
    struct bot_entry *entries;
    size_t nentries;

    pthread_mutex_t qlock;
    pthread_cond_t qcond;    /* a job was queued, or stopping */
    pthread_cond_t idlecond; /* a session was released */
    struct job *head, *tail;
    size_t queued;
    struct busy *busy;
    bool stopping;
    pthread_t *workers;
    unsigned nworkers;
};

struct store *bot_engine_store(struct bot_engine *e)
{
    return e->st;
}

struct bot_turnlog *bot_engine_turnlog(struct bot_engine *e)
{
    return e->log;
}

const struct lex_auth *bot_engine_auth(struct bot_engine *e)
{
    return e->auth;
}

/* ---- loading ---- */

static int64_t mtime_ns(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    return (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

static cJSON *read_json(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the bot file: %m", path);
        return NULL;
    }
    struct buf b = BUF_INIT(16u << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, n);
    fclose(f);
    if (rc) {
        snprintf(err, errlen, "%s: the bot file is larger than 16 MB", path);
        buf_release(&b);
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = b.data ? cJSON_ParseWithLengthOpts(b.data, b.len, &end, false) : NULL;
    if (!doc) {
        int line = 1, col = 1;
        for (const char *p = b.data; p && end && p < end; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        snprintf(err, errlen, "%s: line %d, column %d: not valid JSON", path, line, col);
    }
    buf_release(&b);
    return doc;
}

static struct bot_def *load_file(struct bot_engine *e, const char *path, char *err, size_t errlen)
{
    int64_t mt = mtime_ns(path);
    cJSON *doc = read_json(path, err, errlen);
    if (!doc)
        return NULL;
    struct bot_def *d = NULL;
    if (bot_def_new(doc, path, "$LATEST", e->vectors, &d, err, errlen) != 0) {
        cJSON_Delete(doc);
        return NULL;
    }
    d->file_mtime_ns = mt;
    return d;
}

static void version_key(char *out, size_t n, const char *bot, int version)
{
    snprintf(out, n, "%s/%06d", bot, version);
}

struct count_ctx {
    int max;
};

static int count_versions(const char *key, const struct store_item *item, void *ud)
{
    struct count_ctx *c = ud;
    const char *slash = strrchr(key, '/');
    long v = slash ? strtol(slash + 1, NULL, 10) : 0;
    if (v > c->max)
        c->max = (int)v;
    return 0;
}

static int latest_published(struct store *st, const char *bot)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/", bot);
    struct count_ctx c = {0};
    store_list(st, VERSIONS_NS, prefix, 0, count_versions, &c);
    return c.max;
}

static int publish_def(struct store *st, const struct bot_def *d, int version)
{
    cJSON *doc = cJSON_Duplicate(d->doc, true);
    cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "resource");
    char vs[16];
    snprintf(vs, sizeof vs, "%d", version);
    cJSON_DeleteItemFromObjectCaseSensitive(res, "version");
    cJSON_AddStringToObject(res, "version", vs);
    size_t len;
    char *text = json_print(doc, &len);
    cJSON_Delete(doc);
    if (!text)
        return PARLEY_ENOMEM;
    char key[256];
    version_key(key, sizeof key, d->name, version);
    struct store_put_opts opts = {.expect_version = STORE_NO_RECORD};
    int rc = store_put(st, VERSIONS_NS, key, text, len, &opts, NULL);
    free(text);
    return rc;
}

static struct bot_def *load_version(struct bot_engine *e, const struct bot_def *latest,
                                    const char *version, char *err, size_t errlen)
{
    struct store *st = e->st;
    char *end;
    long v = strtol(version, &end, 10);
    char key[256];
    version_key(key, sizeof key, latest->name, (int)v);
    struct store_item item;
    int rc = store_get(st, VERSIONS_NS, key, &item);
    if (rc == PARLEY_ENOTFOUND && v == 1 && latest_published(st, latest->name) == 0) {
        rc = publish_def(st, latest, 1);
        if (rc == 0) {
            log_info("bot %s: published version 1 from %s", latest->name, latest->file);
            rc = store_get(st, VERSIONS_NS, key, &item);
        }
    }
    if (rc) {
        snprintf(err, errlen, "version %s of bot %s is not published (see parley publish)", version,
                 latest->name);
        return NULL;
    }
    cJSON *doc = cJSON_ParseWithLength(item.value, item.len);
    store_item_release(&item);
    struct bot_def *d = NULL;
    char label[300];
    snprintf(label, sizeof label, "%s version %s (in the store)", latest->name, version);
    if (!doc || bot_def_new(doc, label, version, e->vectors, &d, err, errlen) != 0) {
        if (doc)
            cJSON_Delete(doc);
        else
            snprintf(err, errlen, "%s: the stored version is not valid JSON", label);
        return NULL;
    }
    return d;
}

static int add_entry(struct bot_engine *e, const char *file, const char *cfg_path,
                     const cJSON *aliases, const char *cfg_file, char *err, size_t errlen)
{
    struct bot_entry *grown = realloc(e->entries, (e->nentries + 1) * sizeof *grown);
    if (!grown)
        return -1;
    e->entries = grown;
    struct bot_entry *b = &e->entries[e->nentries];
    memset(b, 0, sizeof *b);
    b->file = strdup(file);
    b->cfg_path = strdup(cfg_path);
    e->nentries++;
    b->latest = load_file(e, file, err, errlen);
    if (!b->latest)
        return -1;
    for (size_t i = 0; i + 1 < e->nentries; i++) {
        if (strcmp(e->entries[i].latest->name, b->latest->name) == 0) {
            snprintf(err, errlen, "%s: %s: bot %s is already defined by %s", cfg_file, cfg_path,
                     b->latest->name, e->entries[i].file);
            return -1;
        }
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, aliases)
    {
        char where[300];
        snprintf(where, sizeof where, "%s.aliases.%s", cfg_path, a->string);
        if (b->naliases == MAX_ALIASES) {
            snprintf(err, errlen, "%s: %s: at most %d aliases", cfg_file, where, MAX_ALIASES);
            return -1;
        }
        char *end = NULL;
        bool numeric = cJSON_IsString(a) && strtol(a->valuestring, &end, 10) > 0 && *end == '\0';
        if (!cJSON_IsString(a) || (!numeric && strcmp(a->valuestring, "$LATEST") != 0)) {
            snprintf(err, errlen, "%s: %s: must be \"$LATEST\" or a version number like \"1\"",
                     cfg_file, where);
            return -1;
        }
        if (strcmp(a->string, "$LATEST") == 0 || !*a->string) {
            snprintf(err, errlen, "%s: %s: an alias cannot be named \"%s\"", cfg_file, where,
                     a->string);
            return -1;
        }
        struct alias *al = &b->aliases[b->naliases++];
        al->name = strdup(a->string);
        al->version = strdup(a->valuestring);
        if (numeric) {
            char why[512];
            al->def = load_version(e, b->latest, a->valuestring, why, sizeof why);
            if (!al->def) {
                snprintf(err, errlen, "%s: %s: %s", cfg_file, where, why);
                return -1;
            }
        } else {
            al->def = bot_def_ref(b->latest);
        }
    }
    return 0;
}

static int ends_with_json(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0 && name[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * intents.wordVectors: unset, the build's file when there is one and bots to
 * train (never an error: a missing or unreadable default is logged and the
 * models train without); a path (relative to the config's folder) that must
 * read; or "none".
 */
static int open_vectors(struct bot_engine *e, const struct parley_config *cfg, char *err,
                        size_t errlen)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(cfg->doc, "intents");
    const cJSON *wv = NULL;
    if (sec) { /* an object: config_load checks the sections' types */
        for (const cJSON *k = sec->child; k; k = k->next) {
            if (strcmp(k->string, "wordVectors") != 0) {
                snprintf(err, errlen, "%s: intents.%s: unknown key (intents has wordVectors)",
                         cfg->path, k->string);
                return -1;
            }
        }
        wv = cJSON_GetObjectItemCaseSensitive(sec, "wordVectors");
        if (wv && (!cJSON_IsString(wv) || !*wv->valuestring)) {
            snprintf(err, errlen,
                     "%s: intents.wordVectors: must be the path of a word-vector file or \"none\"",
                     cfg->path);
            return -1;
        }
    }
    char why[1024];
    const char *named = wv ? wv->valuestring : NULL;
    if (named && strcmp(named, "none") == 0)
        return 0;
    /* no bots, nothing to train: the build's 50 MB are not worth reading */
    if (!named && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cfg->doc, "bots")) == 0)
        return 0;
    char *path = named ? config_path_resolve(cfg, named) : strdup(intents_vectors_default_path());
    if (!path) {
        snprintf(err, errlen, "%s: intents.wordVectors: out of memory", cfg->path);
        return -1;
    }
    int rc = intents_vectors_open(path, &e->vectors, why, sizeof why);
    if (rc && named) {
        snprintf(err, errlen, "%s: intents.wordVectors: %s", cfg->path, why);
    } else if (rc == PARLEY_ENOTFOUND) {
        log_info("no word vectors at %s (scripts/install-deps.sh vectors writes them): the "
                 "bots' models train without",
                 path);
    } else if (rc) {
        log_warn("%s: the bots' models train without", why);
    } else {
        log_info("word vectors: %s (%zu words, %zu dimensions)", path,
                 intents_vectors_words(e->vectors), intents_vectors_dim(e->vectors));
    }
    free(path);
    return rc && named ? -1 : 0;
}

static int load_config(struct bot_engine *e, const struct parley_config *cfg, char *err,
                       size_t errlen)
{
    if (lex_auth_new(cfg, &e->auth, err, errlen))
        return -1;
    if (open_vectors(e, cfg, err, errlen))
        return -1;
    /* lex.messageSeed: a fixed seed makes the choice among a prompt's messages reproducible */
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cfg->doc, "lex"), "messageSeed");
    if (seed) {
        if (!cJSON_IsNumber(seed) || seed->valuedouble < 1 ||
            seed->valuedouble > 9007199254740991.0 ||
            seed->valuedouble != (double)(int64_t)seed->valuedouble) {
            snprintf(err, errlen, "%s: lex.messageSeed: must be a positive integer", cfg->path);
            return -1;
        }
        if (!e->opts.message_seed)
            e->opts.message_seed = (uint64_t)seed->valuedouble;
    }
    const cJSON *bots = cJSON_GetObjectItemCaseSensitive(cfg->doc, "bots");
    const cJSON *b;
    int i = 0;
    cJSON_ArrayForEach(b, bots)
    {
        char where[64];
        snprintf(where, sizeof where, "bots[%d]", i++);
        if (!cJSON_IsObject(b)) {
            snprintf(err, errlen, "%s: %s: must be an object {file, aliases} or {dir}", cfg->path,
                     where);
            return -1;
        }
        for (const cJSON *k = b->child; k; k = k->next) {
            if (strcmp(k->string, "file") && strcmp(k->string, "dir") &&
                strcmp(k->string, "aliases")) {
                snprintf(err, errlen, "%s: %s.%s: unknown key (file, dir or aliases)", cfg->path,
                         where, k->string);
                return -1;
            }
        }
        const char *file = json_string(b, "file");
        const char *dir = json_string(b, "dir");
        const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(b, "aliases");
        if (aliases && !cJSON_IsObject(aliases)) {
            snprintf(err, errlen, "%s: %s.aliases: must be an object {\"alias\": \"version\"}",
                     cfg->path, where);
            return -1;
        }
        if (!!file == !!dir) {
            snprintf(err, errlen, "%s: %s: needs exactly one of \"file\" or \"dir\"", cfg->path,
                     where);
            return -1;
        }
        if (file) {
            char *path = config_path_resolve(cfg, file);
            int rc = add_entry(e, path, where, aliases, cfg->path, err, errlen);
            free(path);
            if (rc)
                return -1;
            continue;
        }
        char *path = config_path_resolve(cfg, dir);
        DIR *d = path ? opendir(path) : NULL;
        if (!d) {
            snprintf(err, errlen, "%s: %s.dir: cannot open %s", cfg->path, where,
                     path ? path : dir);
            free(path);
            return -1;
        }
        char **names = NULL;
        size_t nn = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!ends_with_json(de->d_name))
                continue;
            char **grown = realloc(names, (nn + 1) * sizeof *names);
            if (!grown)
                break;
            names = grown;
            names[nn++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof *names, cmp_str);
        int rc = 0;
        for (size_t k = 0; k < nn; k++) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", path, names[k]);
            if (!rc)
                rc = add_entry(e, full, where, aliases, cfg->path, err, errlen);
            free(names[k]);
        }
        free(names);
        free(path);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- resolving ---- */

static struct bot_entry *find_entry(struct bot_engine *e, const char *bot)
{
    for (size_t i = 0; i < e->nentries; i++)
        if (e->entries[i].latest && strcmp(e->entries[i].latest->name, bot) == 0)
            return &e->entries[i];
    return NULL;
}

struct bot_def *bot_engine_resolve(struct bot_engine *e, const char *bot, const char *alias)
{
    struct bot_def *d = NULL;
    pthread_rwlock_rdlock(&e->lock);
    struct bot_entry *b = find_entry(e, bot);
    if (b && strcmp(alias, "$LATEST") == 0) {
        d = bot_def_ref(b->latest);
    } else if (b) {
        for (int i = 0; i < b->naliases; i++)
            if (strcmp(b->aliases[i].name, alias) == 0)
                d = bot_def_ref(b->aliases[i].def);
    }
    pthread_rwlock_unlock(&e->lock);
    return d;
}

/* Makes fresh the $LATEST of b, and of the aliases that serve $LATEST; drops the old one. */
static void swap_latest(struct bot_engine *e, struct bot_entry *b, struct bot_def *fresh)
{
    pthread_rwlock_wrlock(&e->lock);
    struct bot_def *old = b->latest;
    b->latest = fresh;
    for (int k = 0; k < b->naliases; k++) {
        if (strcmp(b->aliases[k].version, "$LATEST") == 0) {
            bot_def_unref(b->aliases[k].def);
            b->aliases[k].def = bot_def_ref(fresh);
        }
    }
    pthread_rwlock_unlock(&e->lock);
    bot_def_unref(old);
}

int bot_engine_reload(struct bot_engine *e, bool only_if_changed)
{
    int reloaded = 0;
    pthread_mutex_lock(&e->edit_lock); /* an edit (bot_latest_edit) also swaps $LATEST */
    for (size_t i = 0; i < e->nentries; i++) {
        struct bot_entry *b = &e->entries[i];
        int64_t mt = mtime_ns(b->file);
        if (only_if_changed && mt == b->latest->file_mtime_ns)
            continue;
        char err[1024];
        struct bot_def *fresh = load_file(e, b->file, err, sizeof err);
        if (!fresh) {
            log_error("reload: %s (the previous version keeps serving)", err);
            b->latest->file_mtime_ns = mt; /* do not retry until it changes again */
            continue;
        }
        if (strcmp(fresh->name, b->latest->name) != 0) {
            log_error("reload: %s: the bot's name changed from %s to %s; restart to rename",
                      b->file, b->latest->name, fresh->name);
            bot_def_unref(fresh);
            continue;
        }
        swap_latest(e, b, fresh);
        log_info("reloaded bot %s from %s", fresh->name, b->file);
        reloaded++;
    }
    pthread_mutex_unlock(&e->edit_lock);
    return reloaded;
}

/* Writes text to path through a temporary file in the same folder and rename(2). */
static int write_file_atomic(const char *path, const char *text, size_t len)
{
    struct buf tmp = BUF_INIT(PATH_MAX);
    int rc = PARLEY_EIO;
    FILE *f = NULL;
    if (buf_printf(&tmp, "%s.tmp.%d", path, (int)getpid()))
        goto out;
    f = fopen(tmp.data, "wb");
    if (!f)
        goto out;
    bool ok = fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    f = NULL;
    if (!ok || rename(tmp.data, path) != 0) {
        unlink(tmp.data);
        goto out;
    }
    rc = 0;
out:
    buf_release(&tmp);
    return rc;
}

int bot_latest_edit(struct bot_engine *e, const char *bot, bot_edit_fn edit, void *ud, char *err,
                    size_t errlen)
{
    int rc = 0;
    cJSON *doc = NULL;
    struct bot_def *fresh = NULL;
    char *text = NULL;
    pthread_mutex_lock(&e->edit_lock);
    struct bot_entry *b = find_entry(e, bot);
    if (!b) {
        snprintf(err, errlen, "There is no bot named %s.", bot);
        rc = PARLEY_ENOTFOUND;
        goto out;
    }
    pthread_rwlock_rdlock(&e->lock);
    doc = cJSON_Duplicate(b->latest->doc, true);
    pthread_rwlock_unlock(&e->lock);
    if (!doc) {
        rc = PARLEY_ENOMEM;
        snprintf(err, errlen, "Out of memory.");
        goto out;
    }
    rc = edit(doc, ud, err, errlen);
    if (rc)
        goto out;
    /* checked and trained before the file is touched: a bad edit changes nothing */
    if (bot_def_new(doc, b->file, "$LATEST", e->vectors, &fresh, err, errlen) != 0) {
        rc = PARLEY_EINVAL;
        goto out;
    }
    doc = NULL; /* fresh has it */
    text = cJSON_Print(fresh->doc);
    if (!text || write_file_atomic(b->file, text, strlen(text)) != 0) {
        snprintf(err, errlen, "Cannot write the bot file %s.", b->file);
        rc = PARLEY_EIO;
        goto out;
    }
    fresh->file_mtime_ns = mtime_ns(b->file); /* the file watcher need not reload it */
    swap_latest(e, b, fresh);
    fresh = NULL;
    log_info("bot %s: $LATEST changed and retrained; written to %s", bot, b->file);
out:
    pthread_mutex_unlock(&e->edit_lock);
    free(text);
    bot_def_unref(fresh);
    cJSON_Delete(doc);
    return rc;
}

/* ---- running turns ---- */

static void session_acquire(struct bot_engine *e, const char *key)
{
    pthread_mutex_lock(&e->qlock);
    for (;;) {
        bool taken = false;
        for (struct busy *b = e->busy; b && !taken; b = b->next)
            taken = strcmp(b->key, key) == 0;
        if (!taken)
            break;
        pthread_cond_wait(&e->idlecond, &e->qlock);
    }
    struct busy *b = malloc(sizeof *b);
    b->key = strdup(key);
    b->next = e->busy;
    e->busy = b;
    pthread_mutex_unlock(&e->qlock);
}

static void session_release_key(struct bot_engine *e, const char *key)
{
    pthread_mutex_lock(&e->qlock);
    for (struct busy **p = &e->busy; *p; p = &(*p)->next) {
        if (strcmp((*p)->key, key) == 0) {
            struct busy *b = *p;
            *p = b->next;
            free(b->key);
            free(b);
            break;
        }
    }
    pthread_cond_broadcast(&e->idlecond);
    pthread_mutex_unlock(&e->qlock);
}

cJSON *bot_turn_run(struct bot_engine *e, const struct bot_turn *turn, int *err, char *msg,
                    size_t msglen)
{
    struct bot_def *def = bot_engine_resolve(e, turn->bot, turn->alias);
    if (!def) {
        *err = PARLEY_ENOTFOUND;
        snprintf(msg, msglen, "%s of bot %s does not exist.",
                 strcmp(turn->alias, "$LATEST") ? "The alias" : "The version", turn->bot);
        if (!find_entry(e, turn->bot))
            snprintf(msg, msglen, "The bot %s does not exist.", turn->bot);
        return NULL;
    }
    if (!turn->text || !*turn->text) {
        bot_def_unref(def);
        *err = PARLEY_EINVAL;
        snprintf(msg, msglen, "inputText must not be empty.");
        return NULL;
    }
    int64_t now = turn->now_ms ? turn->now_ms : time_now_ms();
    char *key = bot_session_key(turn->bot, turn->alias, turn->user);
    session_acquire(e, key);
    struct bot_session s;
    cJSON *out = NULL;
    int rc = bot_session_load(e->st, key, now, def->idle_ttl_s, &s);
    if (rc) {
        *err = rc;
        snprintf(msg, msglen, "The session store failed: %s.", parley_strerror(rc));
        goto out;
    }
    if (turn->session_attributes && cJSON_IsObject(turn->session_attributes)) {
        cJSON_Delete(s.attributes);
        s.attributes = cJSON_Duplicate(turn->session_attributes, true);
    }
    uint64_t seed = e->opts.message_seed;
    if (!seed && getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time_mono_us();
    struct bot_dialog_env env = {
        .def = def,
        .alias = turn->alias,
        .user = turn->user,
        .text = turn->text,
        .request_attributes = turn->request_attributes,
        .now_ms = now,
        .rng = seed ^ ((uint64_t)s.turns * 0x9e3779b97f4a7c15ull),
        .hook = e->opts.hook,
        .hook_ud = e->opts.hook_ud,
    };
    out = bot_dialog_turn(&env, &s, err, msg, msglen);
    if (out) {
        rc = bot_session_save(e->st, &s, def->idle_ttl_s, now);
        if (rc) {
            cJSON_Delete(out);
            out = NULL;
            *err = rc == PARLEY_ECONFLICT ? PARLEY_ECONFLICT : rc;
            snprintf(msg, msglen, "%s",
                     rc == PARLEY_ECONFLICT
                         ? "The session was changed by another request; try again."
                         : "The session store failed.");
        }
    }
    /* while the session is still ours: the log's sequence numbers follow the turns */
    if (out && e->log)
        bot_turnlog_record(e->log, turn, out, now);
out:
    bot_session_release(&s);
    session_release_key(e, key);
    free(key);
    bot_def_unref(def);
    return out;
}

/* ---- sessions as GraphQL sees them: get, put, delete (serialized with the turns) ---- */

static void iso_ms(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* The view of a loaded session: the PostText-shaped outcome and who, when, confirmation. */
static cJSON *session_view(struct bot_engine *e, const struct bot_def *def,
                           const struct bot_session *s, const char *bot, const char *alias,
                           const char *user)
{
    cJSON *o = bot_session_outcome(def, s);
    if (!o)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "_v2");
    cJSON_AddStringToObject(o, "bot", bot);
    cJSON_AddStringToObject(o, "alias", alias);
    cJSON_AddStringToObject(o, "user", user);
    cJSON_AddStringToObject(o, "confirmationStatus", s->confirmation ? s->confirmation : "None");
    struct store_item item;
    if (store_get(e->st, "sessions", s->key, &item) == 0) {
        char at[32];
        iso_ms(item.updated_at_ms, at);
        cJSON_AddStringToObject(o, "lastActivity", at);
        store_item_release(&item);
    }
    return o;
}

enum session_op { SESSION_GET, SESSION_PUT, SESSION_DELETE };

static cJSON *session_op(struct bot_engine *e, enum session_op op, const char *bot,
                         const char *alias, const char *user, const cJSON *action,
                         const cJSON *attrs, int *err, char *msg, size_t msglen)
{
    struct bot_def *def = bot_engine_resolve(e, bot, alias);
    if (!def) {
        *err = PARLEY_ENOTFOUND;
        snprintf(msg, msglen, "%s",
                 find_entry(e, bot) ? "The bot has no such alias." : "The bot does not exist.");
        return NULL;
    }
    char *key = bot_session_key(bot, alias, user);
    session_acquire(e, key);
    struct bot_session s;
    cJSON *out = NULL;
    int rc = bot_session_load(e->st, key, time_now_ms(), def->idle_ttl_s, &s);
    if (rc) {
        *err = rc;
        snprintf(msg, msglen, "The session store failed: %s.", parley_strerror(rc));
        goto out;
    }
    if (op != SESSION_PUT && s.version == 0) {
        *err = PARLEY_ENOTFOUND;
        snprintf(msg, msglen, "No session exists for this user.");
        goto out;
    }
    if (op == SESSION_PUT) {
        if (attrs && cJSON_IsObject(attrs)) {
            cJSON_Delete(s.attributes);
            s.attributes = cJSON_Duplicate(attrs, true);
        }
        cJSON *o = bot_dialog_put(def, &s, action, NULL, false, err, msg, msglen);
        if (!o)
            goto out;
        rc = bot_session_save(e->st, &s, def->idle_ttl_s, time_now_ms());
        if (rc) {
            cJSON_Delete(o);
            *err = rc;
            snprintf(msg, msglen, "The session store failed.");
            goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, "_v2");
        out = o;
        goto out;
    }
    out = session_view(e, def, &s, bot, alias, user);
    if (op == SESSION_DELETE && out) {
        rc = bot_session_delete(e->st, key);
        if (rc && rc != PARLEY_ENOTFOUND) {
            cJSON_Delete(out);
            out = NULL;
            *err = rc;
            snprintf(msg, msglen, "The session store failed.");
        }
    }
out:
    bot_session_release(&s);
    session_release_key(e, key);
    free(key);
    bot_def_unref(def);
    return out;
}

cJSON *bot_session_get(struct bot_engine *e, const char *bot, const char *alias, const char *user,
                       int *err, char *msg, size_t msglen)
{
    return session_op(e, SESSION_GET, bot, alias, user, NULL, NULL, err, msg, msglen);
}

cJSON *bot_session_put(struct bot_engine *e, const char *bot, const char *alias, const char *user,
                       const cJSON *action, const cJSON *attrs, int *err, char *msg, size_t msglen)
{
    return session_op(e, SESSION_PUT, bot, alias, user, action, attrs, err, msg, msglen);
}

cJSON *bot_session_remove(struct bot_engine *e, const char *bot, const char *alias,
                          const char *user, int *err, char *msg, size_t msglen)
{
    return session_op(e, SESSION_DELETE, bot, alias, user, NULL, NULL, err, msg, msglen);
}

static void job_free(struct job *j)
{
    free((char *)j->turn.bot);
    free((char *)j->turn.alias);
    free((char *)j->turn.user);
    free((char *)j->turn.text);
    free((char *)j->turn.channel);
    cJSON_Delete((cJSON *)j->turn.session_attributes);
    cJSON_Delete((cJSON *)j->turn.request_attributes);
    free(j);
}

static void *worker(void *arg)
{
    struct bot_engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->qlock);
        while (!e->head && !e->stopping)
            pthread_cond_wait(&e->qcond, &e->qlock);
        struct job *j = e->head;
        if (!j) {
            pthread_mutex_unlock(&e->qlock);
            return NULL; /* stopping and the queue is drained */
        }
        e->head = j->next;
        if (!e->head)
            e->tail = NULL;
        e->queued--;
        pthread_mutex_unlock(&e->qlock);

        int err = 0;
        char msg[1024] = "";
        cJSON *out = bot_turn_run(e, &j->turn, &err, msg, sizeof msg);
        j->done(out, out ? 0 : err, msg, j->ud);
        job_free(j);
    }
}

void bot_turn_submit(struct bot_engine *e, const struct bot_turn *turn, bot_turn_done_fn done,
                     void *ud)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        done(NULL, PARLEY_ENOMEM, "Out of memory.", ud);
        return;
    }
    j->turn.bot = strdup(turn->bot);
    j->turn.alias = strdup(turn->alias);
    j->turn.user = strdup(turn->user);
    j->turn.text = strdup(turn->text ? turn->text : "");
    j->turn.session_attributes =
        turn->session_attributes ? cJSON_Duplicate(turn->session_attributes, true) : NULL;
    j->turn.request_attributes =
        turn->request_attributes ? cJSON_Duplicate(turn->request_attributes, true) : NULL;
    j->turn.now_ms = turn->now_ms;
    j->turn.channel = turn->channel ? strdup(turn->channel) : NULL;
    j->done = done;
    j->ud = ud;
    pthread_mutex_lock(&e->qlock);
    if (e->queued >= MAX_QUEUE || e->stopping) {
        pthread_mutex_unlock(&e->qlock);
        job_free(j);
        done(NULL, PARLEY_EBUSY, "Too many requests are waiting; try again shortly.", ud);
        return;
    }
    if (e->tail)
        e->tail->next = j;
    else
        e->head = j;
    e->tail = j;
    e->queued++;
    pthread_cond_signal(&e->qcond);
    pthread_mutex_unlock(&e->qlock);
}

/* ---- lifecycle ---- */

int bot_engine_new(const struct parley_config *cfg, struct store *st,
                   const struct bot_engine_options *opts, struct bot_engine **out, char *err,
                   size_t errlen)
{
    struct bot_engine *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    if (opts)
        e->opts = *opts;
    if (!e->opts.workers)
        e->opts.workers = 16;
    e->st = st;
    e->log = bot_turnlog_new(st);
    pthread_rwlock_init(&e->lock, NULL);
    pthread_mutex_init(&e->edit_lock, NULL);
    pthread_mutex_init(&e->qlock, NULL);
    pthread_cond_init(&e->qcond, NULL);
    pthread_cond_init(&e->idlecond, NULL);
    if (load_config(e, cfg, err, errlen) != 0) {
        bot_engine_free(e);
        return -1;
    }
    e->workers = calloc(e->opts.workers, sizeof *e->workers);
    for (unsigned i = 0; e->workers && i < e->opts.workers; i++) {
        if (pthread_create(&e->workers[i], NULL, worker, e) != 0)
            break;
        e->nworkers++;
    }
    if (e->nworkers == 0) {
        snprintf(err, errlen, "cannot start the bot workers");
        bot_engine_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void bot_engine_free(struct bot_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->qlock);
    e->stopping = true;
    pthread_cond_broadcast(&e->qcond);
    pthread_mutex_unlock(&e->qlock);
    for (unsigned i = 0; i < e->nworkers; i++)
        pthread_join(e->workers[i], NULL);
    free(e->workers);
    for (size_t i = 0; i < e->nentries; i++) {
        struct bot_entry *b = &e->entries[i];
        for (int k = 0; k < b->naliases; k++) {
            free(b->aliases[k].name);
            free(b->aliases[k].version);
            bot_def_unref(b->aliases[k].def);
        }
        bot_def_unref(b->latest);
        free(b->file);
        free(b->cfg_path);
    }
    free(e->entries);
    intents_vectors_close(e->vectors); /* after the last model that borrowed them */
    bot_turnlog_free(e->log);
    pthread_mutex_destroy(&e->edit_lock);
    lex_auth_free(e->auth);
    pthread_rwlock_destroy(&e->lock);
    pthread_mutex_destroy(&e->qlock);
    pthread_cond_destroy(&e->qcond);
    pthread_cond_destroy(&e->idlecond);
    free(e);
}

/* ---- what GraphQL shows ---- */

cJSON *bot_names(struct bot_engine *e)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < e->nentries; i++)
        if (e->entries[i].latest)
            cJSON_AddItemToArray(a, cJSON_CreateString(e->entries[i].latest->name));
    return a;
}

struct versions_ctx {
    cJSON *out;
};

static int add_version(const char *key, const struct store_item *item, void *ud)
{
    struct versions_ctx *c = ud;
    const char *slash = strrchr(key, '/');
    long v = slash ? strtol(slash + 1, NULL, 10) : 0;
    if (v <= 0)
        return 0;
    char vs[16], at[32];
    snprintf(vs, sizeof vs, "%ld", v);
    time_t secs = (time_t)(item->updated_at_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(at + n, sizeof at - n, ".%03dZ", (int)(item->updated_at_ms % 1000));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", vs);
    cJSON_AddStringToObject(o, "createdAt", at);
    cJSON_AddItemToArray(c->out, o);
    return 0;
}

const cJSON *bot_latest_resource(struct bot_engine *e, const char *bot, struct bot_hold **hold)
{
    pthread_rwlock_rdlock(&e->lock);
    struct bot_entry *b = find_entry(e, bot);
    struct bot_def *d = b ? bot_def_ref(b->latest) : NULL;
    pthread_rwlock_unlock(&e->lock);
    *hold = (struct bot_hold *)d;
    return d ? cJSON_GetObjectItemCaseSensitive(d->doc, "resource") : NULL;
}

void bot_hold_release(struct bot_hold *hold)
{
    bot_def_unref((struct bot_def *)hold);
}

cJSON *bot_aliases(struct bot_engine *e, const char *bot)
{
    cJSON *aliases = cJSON_CreateArray();
    pthread_rwlock_rdlock(&e->lock);
    struct bot_entry *b = find_entry(e, bot);
    for (int i = 0; b && aliases && i < b->naliases; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "name", b->aliases[i].name);
        cJSON_AddStringToObject(a, "botVersion", b->aliases[i].version);
        cJSON_AddItemToArray(aliases, a);
    }
    pthread_rwlock_unlock(&e->lock);
    return aliases;
}

cJSON *bot_versions(struct bot_engine *e, const char *bot)
{
    /* keys are BOT/000001: key order is version order */
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/", bot);
    struct versions_ctx c = {cJSON_CreateArray()};
    if (c.out)
        store_list(e->st, VERSIONS_NS, prefix, 0, add_version, &c);
    return c.out;
}

cJSON *bot_describe(struct bot_engine *e, const char *bot)
{
    pthread_rwlock_rdlock(&e->lock);
    struct bot_entry *b = find_entry(e, bot);
    cJSON *out = NULL;
    if (b) {
        out = cJSON_CreateObject();
        cJSON_AddItemToObject(
            out, "resource",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(b->latest->doc, "resource"), true));
        cJSON *aliases = cJSON_AddArrayToObject(out, "aliases");
        for (int i = 0; i < b->naliases; i++) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "name", b->aliases[i].name);
            cJSON_AddStringToObject(a, "botVersion", b->aliases[i].version);
            cJSON_AddItemToArray(aliases, a);
        }
    }
    pthread_rwlock_unlock(&e->lock);
    if (out) {
        /* keys are BOT/000001: key order is version order */
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%s/", bot);
        struct versions_ctx c = {cJSON_AddArrayToObject(out, "versions")};
        store_list(e->st, VERSIONS_NS, prefix, 0, add_version, &c);
    }
    return out;
}

/* ---- turn listeners (turnlog.c keeps them) ---- */

uint64_t bot_turn_listener_add(struct bot_engine *e, bot_turn_listener_fn fn, void *ud)
{
    return e->log ? bot_turnlog_listen(e->log, fn, ud) : 0;
}

void bot_turn_listener_remove(struct bot_engine *e, uint64_t id)
{
    if (e->log)
        bot_turnlog_unlisten(e->log, id);
}

/* ---- export and publish ---- */

char *bot_export(struct bot_engine *e, const char *bot, const char *version)
{
    struct bot_entry *b = find_entry(e, bot);
    if (!b)
        return NULL;
    if (!version || strcmp(version, "$LATEST") == 0) {
        pthread_rwlock_rdlock(&e->lock);
        char *text = cJSON_Print(b->latest->doc);
        pthread_rwlock_unlock(&e->lock);
        return text;
    }
    char key[256];
    version_key(key, sizeof key, bot, (int)strtol(version, NULL, 10));
    struct store_item item;
    if (store_get(e->st, VERSIONS_NS, key, &item) != 0)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(item.value, item.len);
    store_item_release(&item);
    char *text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    return text;
}

int bot_publish(struct bot_engine *e, const char *bot, char *err, size_t errlen)
{
    struct bot_entry *b = find_entry(e, bot);
    if (!b) {
        snprintf(err, errlen, "no bot named %s in the config", bot);
        return PARLEY_ENOTFOUND;
    }
    int next = latest_published(e->st, bot) + 1;
    int rc = publish_def(e->st, b->latest, next);
    if (rc) {
        snprintf(err, errlen, "cannot store version %d: %s", next, parley_strerror(rc));
        return rc;
    }
    return next;
}
