/* Base64 (RFC 4648, with padding): AWS headers carry JSON and logs this way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

char *base64_decode(const char *text, size_t *outlen)
{
    size_t len = strlen(text);
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t v = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        const char *pos = ch ? strchr(b64, ch) : NULL;
        if (ch == '=') {
            pad++;
            continue;
        }
        if (!pos || pad) {
            free(out);
            return NULL;
        }
        v = (v << 6) | (uint32_t)(pos - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((v >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}
