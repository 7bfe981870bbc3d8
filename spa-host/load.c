/*
 * The in-memory release: what a request reads instead of the disk.
 *
 * Loading a release reads its manifest, opens every file and variant the
 * manifest names, component by component with O_NOFOLLOW from the release
 * folder (so a symlink planted in a release after the deploy is refused, and
 * nothing outside the folder is ever opened), checks that each is a regular
 * file of the size the manifest says, and then either reads it into memory
 * (files up to site.memoryFileMaxBytes, until site.memoryCacheBytes are used)
 * or keeps it open for zero-copy sends (sendfile from a dup of the
 * descriptor; past 256 open files, opened per request instead). Every
 * header that depends only on the file (type, ETag, Last-Modified,
 * Cache-Control) is computed here once.
 *
 * Lookups go through an open-addressing hash table of the normalized paths:
 * no filesystem path is ever built from a request. The release is immutable
 * once loaded and freed when its last reference goes: the host holds one
 * while it is active, and each request holds one until its response is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

#define MAX_OPEN_FDS 256

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

static uint32_t hash_path(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

bool spa_manifest_path_ok(const char *path)
{
    char norm[SPA_PATH_MAX];
    bool slash;
    if (!*path || spa_path_normalize(path, norm, sizeof norm, &slash) != SPA_PATH_OK)
        return false;
    return !slash && strcmp(norm, path) == 0;
}

int spa_open_beneath(int dirfd, const char *relpath)
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", relpath) >= (int)sizeof copy)
        return -1;
    int fd = dirfd;
    char *p = copy;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash ? O_DIRECTORY : 0);
        int next = openat(fd, p, flags);
        if (fd != dirfd)
            close(fd);
        if (next < 0 || !slash)
            return next;
        fd = next;
        p = slash + 1;
    }
}

/* Reads exactly len bytes of fd from offset 0 into a new buffer. */
static char *read_whole(int fd, uint64_t len)
{
    char *data = malloc(len ? (size_t)len : 1);
    if (!data)
        return NULL;
    uint64_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, data + got, (size_t)(len - got), (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(data);
            return NULL;
        }
        got += (uint64_t)n;
    }
    return data;
}

static void release_free(struct spa_release *rel)
{
    for (size_t i = 0; i < rel->nfiles; i++) {
        struct spa_file *f = &rel->files[i];
        for (int e = 0; e < SPA_ENC_COUNT; e++) {
            free((char *)f->v[e].data);
            free(f->v[e].relpath);
            if (f->v[e].fd >= 0)
                close(f->v[e].fd);
        }
        free(f->path);
    }
    free(rel->files);
    free(rel->table);
    if (rel->dirfd >= 0)
        close(rel->dirfd);
    free(rel);
}

void spa_release_ref(struct spa_release *rel)
{
    atomic_fetch_add_explicit(&rel->refs, 1, memory_order_relaxed);
}

void spa_release_unref(struct spa_release *rel)
{
    if (rel && atomic_fetch_sub_explicit(&rel->refs, 1, memory_order_acq_rel) == 1)
        release_free(rel);
}

const struct spa_file *spa_release_lookup(const struct spa_release *rel, const char *path)
{
    if (!rel->table)
        return NULL;
    for (size_t i = hash_path(path) & rel->table_mask;; i = (i + 1) & rel->table_mask) {
        uint32_t slot = rel->table[i];
        if (slot == 0)
            return NULL;
        if (strcmp(rel->files[slot - 1].path, path) == 0)
            return &rel->files[slot - 1];
    }
}

static cJSON *read_manifest(int dirfd, char *err, size_t errlen, const char *where)
{
    int fd = openat(dirfd, "manifest.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (256 << 20)) {
        if (fd >= 0)
            close(fd);
        failf(err, errlen, PARLEY_ECORRUPT, "%s/manifest.json: missing or unreadable", where);
        return NULL;
    }
    char *text = read_whole(fd, (uint64_t)st.st_size);
    close(fd);
    cJSON *m = text ? cJSON_ParseWithLength(text, (size_t)st.st_size) : NULL;
    free(text);
    if (!m)
        failf(err, errlen, PARLEY_ECORRUPT, "%s/manifest.json: not valid JSON", where);
    return m;
}

static int load_variant(struct spa_release *rel, struct spa_variant *v, const char *relpath,
                        uint64_t size, const char *where, char *err, size_t errlen)
{
    const struct spa_site *site = rel->site;
    v->present = true;
    v->size = size;
    v->fd = -1;
    v->relpath = strdup(relpath);
    if (!v->relpath)
        return failf(err, errlen, PARLEY_ENOMEM, "out of memory");
    int fd = spa_open_beneath(rel->dirfd, relpath);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return failf(err, errlen, PARLEY_ECORRUPT,
                     "%s/%s: %s (the release is damaged; deploy again or roll back)", where,
                     relpath,
                     fd < 0 ? (e == ELOOP || e == ENOTDIR ? "a symlink, refused" : strerror(e))
                            : "not a regular file of the size in the manifest");
    }
    if (size <= site->memory_file_max && rel->cached_bytes + size <= site->memory_bytes) {
        v->data = read_whole(fd, size);
        close(fd);
        if (!v->data)
            return failf(err, errlen, PARLEY_EIO, "%s/%s: cannot read it", where, relpath);
        rel->cached_bytes += size;
    } else if (rel->open_fds < MAX_OPEN_FDS) {
        v->fd = fd;
        rel->open_fds++;
    } else {
        close(fd);
    }
    return 0;
}

int spa_release_load(const struct spa_site *site, const char *id, struct spa_release **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    char where[PATH_MAX];
    snprintf(where, sizeof where, "%s/releases/%s", site->dir, id);
    struct spa_release *rel = calloc(1, sizeof *rel);
    if (!rel)
        return failf(err, errlen, PARLEY_ENOMEM, "out of memory");
    atomic_init(&rel->refs, 1);
    rel->site = site;
    snprintf(rel->id, sizeof rel->id, "%s", id);
    rel->dirfd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    int rc = 0;
    cJSON *m = NULL;
    if (rel->dirfd < 0) {
        rc = failf(err, errlen, PARLEY_ENOTFOUND, "%s: %s", where, strerror(errno));
        goto out;
    }
    m = read_manifest(rel->dirfd, err, errlen, where);
    if (!m) {
        rc = PARLEY_ECORRUPT;
        goto out;
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
    size_t n = cJSON_IsArray(files) ? (size_t)cJSON_GetArraySize(files) : 0;
    if (!cJSON_IsArray(files) || n > SPA_MAX_FILES) {
        rc =
            failf(err, errlen, PARLEY_ECORRUPT, "%s/manifest.json: files: must be an array", where);
        goto out;
    }
    rel->files = calloc(n ? n : 1, sizeof *rel->files);
    size_t tsize = 16;
    while (tsize < 2 * n)
        tsize *= 2;
    rel->table = calloc(tsize, sizeof *rel->table);
    rel->table_mask = tsize - 1;
    if (!rel->files || !rel->table) {
        rc = failf(err, errlen, PARLEY_ENOMEM, "out of memory");
        goto out;
    }
    for (const cJSON *e = files->child; e; e = e->next) {
        const char *path = json_string(e, "path");
        const char *sha = json_string(e, "sha256");
        double size = -1, mtime = 0, gz = -1, br = -1;
        json_number(e, "size", &size);
        json_number(e, "mtime", &mtime);
        json_number(e, "gzip", &gz);
        json_number(e, "br", &br);
        if (!path || !spa_manifest_path_ok(path) || !sha || strlen(sha) < 32 || size < 0 ||
            spa_release_lookup(rel, path)) {
            rc = failf(err, errlen, PARLEY_ECORRUPT,
                       "%s/manifest.json: files[%zu]: a bad, unsafe or repeated entry", where,
                       rel->nfiles);
            goto out;
        }
        struct spa_file *f = &rel->files[rel->nfiles];
        for (int k = 0; k < SPA_ENC_COUNT; k++)
            f->v[k].fd = -1;
        rel->nfiles++;
        f->path = strdup(path);
        if (!f->path) {
            rc = failf(err, errlen, PARLEY_ENOMEM, "out of memory");
            goto out;
        }
        f->content_type = spa_mime_type(path);
        f->cache_control = spa_site_cache_control(site, path);
        f->mtime = (int64_t)mtime;
        spa_http_date_format(f->mtime, f->last_modified);
        static const char *suffix[SPA_ENC_COUNT] = {"", "-gz", "-br"};
        static const char *ext[SPA_ENC_COUNT] = {"", ".gz", ".br"};
        double sizes[SPA_ENC_COUNT] = {size, gz, br};
        for (int k = 0; k < SPA_ENC_COUNT; k++) {
            if (sizes[k] < 0)
                continue;
            char relpath[PATH_MAX];
            snprintf(relpath, sizeof relpath, "%s/%s%s", k ? "precompressed" : "files", path,
                     ext[k]);
            rc = load_variant(rel, &f->v[k], relpath, (uint64_t)sizes[k], where, err, errlen);
            if (rc)
                goto out;
            snprintf(f->v[k].etag, sizeof f->v[k].etag, "\"%.32s%s\"", sha, suffix[k]);
        }
        size_t i = hash_path(path) & rel->table_mask;
        while (rel->table[i])
            i = (i + 1) & rel->table_mask;
        rel->table[i] = (uint32_t)rel->nfiles;
    }
out:
    cJSON_Delete(m);
    if (rc) {
        release_free(rel);
        return rc;
    }
    *out = rel;
    return 0;
}
