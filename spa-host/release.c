/*
 * Releases on disk: deploy, list, rollback.
 *
 *   DATA/sites/NAME/
 *     current -> releases/20261126-170102-123     (symlink, replaced by rename)
 *     releases/20261126-170102-123/
 *       manifest.json    {site, id, created, files: [{path, size, mtime, sha256, gzip?, br?}]}
 *       files/...        the site's files, regular files only
 *       precompressed/...  PATH.gz and PATH.br where they are smaller
 *     .lock              flock(2): one deploy or rollback of a site at a time
 *
 * A deploy builds the whole release in releases/.tmp-ID-PID (hidden from
 * listings), flushes it to disk (syncfs), renames it to releases/ID and only
 * then replaces `current` with a new symlink through rename(2), the one
 * atomic step that activates it. Any failure before that removes the
 * temporary folder and leaves `current` untouched, so a half-done deploy is
 * never served. Leftover temporary folders of a crashed deploy are removed
 * by the next one (the lock proves nobody else is writing them).
 *
 * The source folder is copied file by file: dotfiles and dot-folders are
 * skipped (except .well-known), as is anything that is not a regular file or
 * folder; a symlink is followed only when its target stays inside the source
 * folder, so the release never contains a link that could leave it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

#define COMPRESS_MAX (32u << 20) /* larger files are not precompressed */
#define COMPRESS_MIN 256         /* smaller ones gain nothing */

struct deploy {
    const struct spa_site *site;
    char src_root[PATH_MAX]; /* realpath of the source folder */
    char tmp[PATH_MAX];      /* the release being built */
    cJSON *files;            /* manifest entries */
    unsigned nfiles;
    uint64_t bytes;
    void (*log_fn)(const char *line, void *ud);
    void *ud;
    char *err;
    size_t errlen;
};

/* snprintf for paths: a wrapper, so the truncation (checked where it matters) is not a warning. */
static int pathf(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int pathf(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, outlen, fmt, ap);
    va_end(ap);
    return n;
}

static int failf(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int failf(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static void note(struct deploy *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct deploy *d, const char *fmt, ...)
{
    if (!d->log_fn)
        return;
    char line[PATH_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    d->log_fn(line, d->ud);
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (pathf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) && errno != EEXIST)
        return -1;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes data to path (created, must not exist) and sets its mtime. */
static int write_file(const char *path, const void *data, size_t len, const struct timespec *mtime)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, data, len);
    if (rc == 0 && mtime) {
        struct timespec ts[2] = {*mtime, *mtime};
        rc = futimens(fd, ts);
    }
    if (close(fd))
        rc = -1;
    return rc;
}

static int mkdirs_for(const char *file)
{
    char dir[PATH_MAX];
    pathf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    return mkdir_p(dir);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Copies one regular file into the release, hashing and precompressing it. */
static int add_file(struct deploy *d, const char *src, const char *rel, const struct stat *st)
{
    char dst[PATH_MAX];
    int rc = PARLEY_EIO;
    char *data = NULL, *gz = NULL, *br = NULL;
    size_t gzlen = 0, brlen = 0;
    int in = -1, out = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return failf(d->err, d->errlen, PARLEY_ENOMEM, "out of memory");
    if (d->nfiles >= SPA_MAX_FILES) {
        rc = failf(d->err, d->errlen, PARLEY_ETOOBIG, "%s: more than %d files", d->src_root,
                   SPA_MAX_FILES);
        goto out;
    }
    if (pathf(dst, sizeof dst, "%s/files/%s", d->tmp, rel) >= (int)sizeof dst || mkdirs_for(dst)) {
        rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: cannot create its folder: %s", dst,
                   strerror(errno));
        goto out;
    }
    in = open(src, O_RDONLY | O_CLOEXEC);
    out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) {
        rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", in < 0 ? src : dst, strerror(errno));
        goto out;
    }
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    const char *type = spa_mime_type(rel);
    bool compress = spa_mime_compressible(type) && st->st_size >= COMPRESS_MIN &&
                    (uint64_t)st->st_size <= COMPRESS_MAX;
    if (compress && !(data = malloc((size_t)st->st_size + 1))) {
        rc = failf(d->err, d->errlen, PARLEY_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (data && total + (uint64_t)n > (uint64_t)st->st_size) {
            /* It grew while we read it: copy it whole, but do not precompress. */
            free(data);
            data = NULL;
        }
        if (data)
            memcpy(data + total, chunk, (size_t)n);
        EVP_DigestUpdate(md, chunk, (size_t)n);
        if (write_all(out, chunk, (size_t)n)) {
            rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", dst, strerror(errno));
            goto out;
        }
        total += (uint64_t)n;
    }
    struct timespec ts[2] = {st->st_mtim, st->st_mtim};
    if (futimens(out, ts) || close(out)) {
        out = -1;
        rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", dst, strerror(errno));
        goto out;
    }
    out = -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_DigestFinal_ex(md, digest, &dlen);
    char sha[2 * EVP_MAX_MD_SIZE + 1];
    hex(digest, dlen, sha);

    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToArray(d->files, e)) {
        cJSON_Delete(e);
        rc = failf(d->err, d->errlen, PARLEY_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(e, "path", rel);
    cJSON_AddNumberToObject(e, "size", (double)total);
    cJSON_AddNumberToObject(e, "mtime", (double)st->st_mtim.tv_sec);
    cJSON_AddStringToObject(e, "sha256", sha);
    if (data && total == (uint64_t)st->st_size) {
        /* Keep a variant only when it saves at least 5% (and a few bytes). */
        size_t worth = (size_t)total - (size_t)total / 20 - 16;
        if (spa_compress_gzip(data, (size_t)total, &gz, &gzlen) == 0 && gzlen < worth) {
            pathf(dst, sizeof dst, "%s/precompressed/%s.gz", d->tmp, rel);
            if (mkdirs_for(dst) || write_file(dst, gz, gzlen, &st->st_mtim)) {
                rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", dst, strerror(errno));
                goto out;
            }
            cJSON_AddNumberToObject(e, "gzip", (double)gzlen);
        }
        if (spa_compress_brotli(data, (size_t)total, &br, &brlen) == 0 && brlen < worth) {
            pathf(dst, sizeof dst, "%s/precompressed/%s.br", d->tmp, rel);
            if (mkdirs_for(dst) || write_file(dst, br, brlen, &st->st_mtim)) {
                rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", dst, strerror(errno));
                goto out;
            }
            cJSON_AddNumberToObject(e, "br", (double)brlen);
        }
    }
    d->nfiles++;
    d->bytes += total;
    rc = 0;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    EVP_MD_CTX_free(md);
    free(data);
    free(gz);
    free(br);
    return rc;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!spa_utf8_valid(name, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f || name[i] == '\\')
            return false;
    return true;
}

static int walk(struct deploy *d, const char *dir, const char *rel, int depth)
{
    if (depth > SPA_MAX_DEPTH)
        return failf(d->err, d->errlen, PARLEY_ETOOBIG, "%s: folders nest deeper than %d levels",
                     dir, SPA_MAX_DEPTH);
    DIR *dh = opendir(dir);
    if (!dh)
        return failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dh))) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char src[PATH_MAX], sub[PATH_MAX];
        if (pathf(src, sizeof src, "%s/%s", dir, name) >= (int)sizeof src ||
            pathf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name) >= SPA_PATH_MAX) {
            note(d, "skipped %s%s%s: the path is too long", rel, *rel ? "/" : "", name);
            continue;
        }
        if (name[0] == '.' && strcmp(name, ".well-known") != 0) {
            note(d, "skipped %s: dotfiles are never served", sub);
            continue;
        }
        if (!name_ok(name)) {
            note(d, "skipped %s: the name is not clean UTF-8", sub);
            continue;
        }
        struct stat st;
        if (lstat(src, &st)) {
            rc = failf(d->err, d->errlen, PARLEY_EIO, "%s: %s", src, strerror(errno));
            break;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            size_t rootlen = strlen(d->src_root);
            if (!realpath(src, target) || strncmp(target, d->src_root, rootlen) != 0 ||
                target[rootlen] != '/') {
                note(d, "skipped %s: a symlink that leaves the site folder", sub);
                continue;
            }
            if (stat(target, &st)) {
                note(d, "skipped %s: a dangling symlink", sub);
                continue;
            }
        }
        if (S_ISDIR(st.st_mode))
            rc = walk(d, src, sub, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = add_file(d, src, sub, &st);
        else
            note(d, "skipped %s: not a regular file", sub);
    }
    closedir(dh);
    return rc;
}

static void release_id_new(const char *releases, char *id)
{
    int64_t ms = time_now_ms();
    for (;; ms++) {
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char stamp[24];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        pathf(id, SPA_ID_MAX, "%s-%03d", stamp, (int)(ms % 1000));
        char path[PATH_MAX];
        pathf(path, sizeof path, "%s/%s", releases, id);
        struct stat st;
        if (stat(path, &st) != 0)
            return;
    }
}

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= SPA_ID_MAX || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
              (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_'))
            return false;
    return true;
}

int spa_release_current(const struct spa_site *site, char *id)
{
    char link[PATH_MAX], target[PATH_MAX];
    pathf(link, sizeof link, "%s/current", site->dir);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return -1;
    target[n] = '\0';
    const char *slash = strrchr(target, '/');
    const char *name = slash ? slash + 1 : target;
    if (strncmp(target, "releases/", 9) != 0 || !id_ok(name))
        return -1;
    pathf(id, SPA_ID_MAX, "%s", name);
    return 0;
}

/* Points `current` at releases/id in one rename(2). */
static int activate(const struct spa_site *site, const char *id, char *err, size_t errlen)
{
    char tmp[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
    pathf(tmp, sizeof tmp, "%s/.current-%d.tmp", site->dir, (int)getpid());
    pathf(link, sizeof link, "%s/current", site->dir);
    pathf(target, sizeof target, "releases/%s", id);
    unlink(tmp);
    if (symlink(target, tmp) || rename(tmp, link)) {
        int e = errno;
        unlink(tmp);
        return failf(err, errlen, PARLEY_EIO, "%s: cannot activate release %s: %s", link, id,
                     strerror(e));
    }
    fsync_dir(site->dir);
    return 0;
}

static int lock_site(const struct spa_site *site, char *err, size_t errlen)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/releases", site->dir);
    if (mkdir_p(path))
        return failf(err, errlen, PARLEY_EIO, "%s: cannot create it: %s", path, strerror(errno));
    pathf(path, sizeof path, "%s/.lock", site->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return failf(err, errlen, PARLEY_EIO, "%s: cannot lock it: %s", path, strerror(e));
    }
    return fd;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Release ids in releases/, oldest first (ids sort by time). Caller frees each and the array. */
static int list_ids(const struct spa_site *site, char ***out, size_t *n)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/releases", site->dir);
    *out = NULL;
    *n = 0;
    DIR *dh = opendir(path);
    if (!dh)
        return errno == ENOENT ? 0 : PARLEY_EIO;
    struct dirent *de;
    size_t cap = 0;
    int rc = 0;
    while ((de = readdir(dh))) {
        if (!id_ok(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **v = realloc(*out, cap * sizeof *v);
            if (!v) {
                rc = PARLEY_ENOMEM;
                break;
            }
            *out = v;
        }
        (*out)[(*n)++] = strdup(de->d_name);
    }
    closedir(dh);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_str);
    return rc;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static void prune(const struct spa_site *site, const char *keep_id)
{
    char **ids;
    size_t n;
    if (list_ids(site, &ids, &n))
        return;
    char cur[SPA_ID_MAX] = "";
    spa_release_current(site, cur);
    size_t excess = n > site->keep_releases ? n - site->keep_releases : 0;
    for (size_t i = 0; i < n && excess; i++) {
        if (strcmp(ids[i], cur) == 0 || strcmp(ids[i], keep_id) == 0)
            continue;
        char path[PATH_MAX];
        pathf(path, sizeof path, "%s/releases/%s", site->dir, ids[i]);
        rm_rf(path);
        excess--;
    }
    free_ids(ids, n);
}

static void remove_stale_tmp(const struct spa_site *site)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/releases", site->dir);
    DIR *dh = opendir(path);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (strncmp(de->d_name, ".tmp-", 5) == 0) {
            char sub[PATH_MAX];
            pathf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
    }
    closedir(dh);
}

int spa_release_deploy(const struct spa_sites *sites, const char *name, const char *dir,
                       char *id_out, void (*log_fn)(const char *line, void *ud), void *ud,
                       char *err, size_t errlen)
{
    const struct spa_site *site = spa_site_find(sites, name);
    if (!site)
        return failf(err, errlen, PARLEY_ENOTFOUND, "no site named '%s' in the config's \"sites\"",
                     name);
    struct deploy d = {.site = site, .log_fn = log_fn, .ud = ud, .err = err, .errlen = errlen};
    struct stat st;
    if (!realpath(dir, d.src_root) || stat(d.src_root, &st) || !S_ISDIR(st.st_mode))
        return failf(err, errlen, PARLEY_ENOTFOUND, "%s: not a folder", dir);
    int lock = lock_site(site, err, errlen);
    if (lock < 0)
        return lock;
    remove_stale_tmp(site);

    int rc;
    char releases[PATH_MAX], id[SPA_ID_MAX], final[PATH_MAX], path[PATH_MAX];
    cJSON *manifest = cJSON_CreateObject();
    d.files = cJSON_CreateArray();
    pathf(releases, sizeof releases, "%s/releases", site->dir);
    release_id_new(releases, id);
    pathf(d.tmp, sizeof d.tmp, "%s/.tmp-%s-%d", releases, id, (int)getpid());
    pathf(final, sizeof final, "%s/%s", releases, id);
    if (!manifest || !d.files) {
        cJSON_Delete(d.files);
        rc = failf(err, errlen, PARLEY_ENOMEM, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(manifest, "site", site->name);
    cJSON_AddStringToObject(manifest, "id", id);
    cJSON_AddNumberToObject(manifest, "created", (double)time_now_ms());
    cJSON_AddStringToObject(manifest, "source", d.src_root);
    cJSON_AddItemToObject(manifest, "files", d.files);
    pathf(path, sizeof path, "%s/files", d.tmp);
    if (mkdir_p(path)) {
        rc = failf(err, errlen, PARLEY_EIO, "%s: cannot create it: %s", path, strerror(errno));
        goto out;
    }
    pathf(path, sizeof path, "%s/precompressed", d.tmp);
    mkdir(path, 0755);
    rc = walk(&d, d.src_root, "", 0);
    if (rc)
        goto out;
    bool has_index = false;
    for (const cJSON *e = d.files->child; e && !has_index; e = e->next)
        has_index = strcmp(json_string(e, "path"), site->index) == 0;
    if (!has_index)
        note(&d, "warning: no %s at the top: / and the SPA fallback will answer 404", site->index);
    size_t len;
    char *text = json_print(manifest, &len);
    pathf(path, sizeof path, "%s/manifest.json", d.tmp);
    if (!text || write_file(path, text, len, NULL)) {
        free(text);
        rc = failf(err, errlen, PARLEY_EIO, "%s: cannot write it: %s", path, strerror(errno));
        goto out;
    }
    free(text);
    /* Everything on disk before the rename that publishes it. */
    int fd = open(d.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd)) {
        if (fd >= 0)
            close(fd);
        rc = failf(err, errlen, PARLEY_EIO, "%s: cannot flush it: %s", d.tmp, strerror(errno));
        goto out;
    }
    close(fd);
    if (rename(d.tmp, final)) {
        rc = failf(err, errlen, PARLEY_EIO, "%s: cannot rename it: %s", final, strerror(errno));
        goto out;
    }
    fsync_dir(releases);
    rc = activate(site, id, err, errlen);
    if (rc) {
        rm_rf(final);
        goto out;
    }
    if (id_out)
        pathf(id_out, SPA_ID_MAX, "%s", id);
    prune(site, id);
out:
    if (rc)
        rm_rf(d.tmp);
    cJSON_Delete(manifest);
    close(lock);
    return rc;
}

static cJSON *read_manifest(const struct spa_site *site, const char *id)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/releases/%s/manifest.json", site->dir, id);
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    struct buf b = BUF_INIT(256u << 20);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, n);
    fclose(f);
    cJSON *j = rc || !b.data ? NULL : cJSON_ParseWithLength(b.data, b.len);
    buf_release(&b);
    return j;
}

int spa_release_list(const struct spa_sites *sites, const char *name, struct spa_release_info **out,
                     size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    const struct spa_site *site = spa_site_find(sites, name);
    if (!site)
        return failf(err, errlen, PARLEY_ENOTFOUND, "no site named '%s' in the config's \"sites\"",
                     name);
    char **ids;
    size_t nids;
    if (list_ids(site, &ids, &nids))
        return failf(err, errlen, PARLEY_EIO, "%s/releases: cannot list it", site->dir);
    char cur[SPA_ID_MAX] = "";
    spa_release_current(site, cur);
    *out = calloc(nids ? nids : 1, sizeof **out);
    if (!*out) {
        free_ids(ids, nids);
        return failf(err, errlen, PARLEY_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nids; i++) {
        struct spa_release_info *ri = &(*out)[*n];
        cJSON *m = read_manifest(site, ids[i]);
        if (!m)
            continue; /* not a complete release */
        pathf(ri->id, sizeof ri->id, "%s", ids[i]);
        double v;
        if (json_number(m, "created", &v))
            ri->created_ms = (int64_t)v;
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
        for (const cJSON *f = files ? files->child : NULL; f; f = f->next) {
            ri->files++;
            if (json_number(f, "size", &v))
                ri->bytes += (uint64_t)v;
        }
        ri->current = strcmp(ids[i], cur) == 0;
        cJSON_Delete(m);
        (*n)++;
    }
    free_ids(ids, nids);
    return 0;
}

int spa_release_rollback(const struct spa_sites *sites, const char *name, const char *id,
                         char *id_out, char *err, size_t errlen)
{
    const struct spa_site *site = spa_site_find(sites, name);
    if (!site)
        return failf(err, errlen, PARLEY_ENOTFOUND, "no site named '%s' in the config's \"sites\"",
                     name);
    int lock = lock_site(site, err, errlen);
    if (lock < 0)
        return lock;
    int rc = 0;
    char target[SPA_ID_MAX] = "";
    char cur[SPA_ID_MAX] = "";
    bool has_current = spa_release_current(site, cur) == 0;
    if (id) {
        if (!id_ok(id)) {
            rc = failf(err, errlen, PARLEY_EINVAL, "'%s' is not a release id", id);
            goto out;
        }
        pathf(target, sizeof target, "%s", id);
    } else {
        char **ids;
        size_t n;
        if (list_ids(site, &ids, &n)) {
            rc = failf(err, errlen, PARLEY_EIO, "%s/releases: cannot list it", site->dir);
            goto out;
        }
        /* The newest complete release older than the current one. */
        for (size_t i = n; i-- > 0;) {
            if (has_current && strcmp(ids[i], cur) >= 0)
                continue;
            cJSON *m = read_manifest(site, ids[i]);
            if (m) {
                cJSON_Delete(m);
                pathf(target, sizeof target, "%s", ids[i]);
                break;
            }
        }
        free_ids(ids, n);
        if (!target[0]) {
            rc = failf(err, errlen, PARLEY_ENOTFOUND,
                       "site '%s' has no release older than the current one (%s)", name,
                       has_current ? cur : "none");
            goto out;
        }
    }
    cJSON *m = read_manifest(site, target);
    if (!m) {
        rc = failf(err, errlen, PARLEY_ENOTFOUND,
                   "site '%s' has no complete release '%s' (see parley releases %s)", name, target,
                   name);
        goto out;
    }
    cJSON_Delete(m);
    rc = activate(site, target, err, errlen);
    if (rc == 0 && id_out)
        pathf(id_out, SPA_ID_MAX, "%s", target);
out:
    close(lock);
    return rc;
}
