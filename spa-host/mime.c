/*
 * The MIME table: a file's Content-Type by its extension (case-insensitive),
 * with charset=utf-8 on text types so that browsers never guess. The table is
 * sorted by extension and searched with bsearch; it is read at activation,
 * never per request (each cached file keeps its type).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

struct mime {
    const char *ext;
    const char *type;
};

/* Sorted by ext (strcasecmp order: all lower case here). */
static const struct mime table[] = {
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"cjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"eot", "application/vnd.ms-fontobject"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/x-icon"},
    {"ics", "text/calendar; charset=utf-8"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"jsonld", "application/ld+json"},
    {"map", "application/json"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"rss", "application/rss+xml"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ts", "video/mp2t"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xml", "application/xml"},
    {"zip", "application/zip"},
};

static int cmp(const void *key, const void *elem)
{
    return strcasecmp(key, ((const struct mime *)elem)->ext);
}

const char *spa_path_extension(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || dot[1] == '\0')
        return NULL;
    return dot + 1;
}

const char *spa_mime_type(const char *path)
{
    const char *ext = spa_path_extension(path);
    if (!ext)
        return "application/octet-stream";
    const struct mime *m =
        bsearch(ext, table, sizeof table / sizeof table[0], sizeof table[0], cmp);
    return m ? m->type : "application/octet-stream";
}

bool spa_mime_compressible(const char *type)
{
    static const char *yes[] = {"text/",
                                "application/json",
                                "application/ld+json",
                                "application/manifest+json",
                                "application/xml",
                                "application/xhtml+xml",
                                "application/atom+xml",
                                "application/rss+xml",
                                "application/wasm",
                                "application/vnd.ms-fontobject",
                                "image/svg+xml",
                                "image/x-icon",
                                "image/bmp",
                                "font/ttf",
                                "font/otf"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strncmp(type, yes[i], strlen(yes[i])) == 0)
            return true;
    return false;
}
