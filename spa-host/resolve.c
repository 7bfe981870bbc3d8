/*
 * Request paths: decoded once, then confined to the release.
 *
 * The HTTP core has already percent-decoded the path exactly once (and
 * refused a malformed escape or %00 with a 400), so "%252e" arrives here as
 * the literal text "%2e" and is never decoded again: it can only name a file
 * called "%2e". What is left is checked strictly rather than repaired: a ".."
 * segment, a backslash (a separator on other systems and a classic bypass),
 * a control character or ill-formed UTF-8 (overlong forms such as C0 AE for
 * '.', surrogates, code points past U+10FFFF) is a 400; a segment starting
 * with '.' is hidden (404), except ".well-known".
 *
 * Confinement does not rest on this check alone: the normalized path is a
 * key looked up in the release's manifest table, never a filesystem path,
 * so a request can only ever reach a file that the deploy put in the release
 * (and the deploy copies regular files only, never a symlink leaving the
 * source folder).
 */
#include <string.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

bool spa_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false; /* continuation byte first, C0/C1 (overlong), F5+ */
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

enum spa_path_result spa_path_normalize(const char *decoded, char *out, size_t outlen,
                                        bool *trailing_slash)
{
    size_t len = strlen(decoded);
    *trailing_slash = len > 0 && decoded[len - 1] == '/';
    if (outlen == 0)
        return SPA_PATH_LONG;
    out[0] = '\0';
    if (!spa_utf8_valid(decoded, len))
        return SPA_PATH_BAD;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)decoded[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return SPA_PATH_BAD;
    }
    size_t o = 0;
    enum spa_path_result hidden = SPA_PATH_OK;
    const char *p = decoded;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 1 && p[0] == '.') {
            p += n;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return SPA_PATH_BAD;
        if (p[0] == '.' && !(n == 11 && memcmp(p, ".well-known", 11) == 0))
            hidden = SPA_PATH_HIDDEN; /* keep checking: a later ".." is still a 400 */
        if (o + n + 2 > outlen || o + n + 1 > SPA_PATH_MAX)
            return SPA_PATH_LONG;
        if (o)
            out[o++] = '/';
        memcpy(out + o, p, n);
        o += n;
        out[o] = '\0';
        p += n;
    }
    return hidden;
}
