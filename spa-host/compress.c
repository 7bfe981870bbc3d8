/*
 * Precompression at deploy time: each text asset is compressed once with
 * gzip (zlib, level 9) and Brotli (libbrotlienc, quality 11, the densest,
 * affordable because it runs at deploy, not per request; 9 past 1 MiB, where
 * 11 would take seconds per file). Whole buffers in,
 * malloc'd buffers out; the caller keeps a variant only when it is smaller.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <brotli/encode.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

int spa_compress_gzip(const void *in, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper rather than zlib's. */
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return PARLEY_ENOMEM;
    size_t cap = deflateBound(&z, (uLong)len) + 32;
    char *o = malloc(cap);
    if (!o) {
        deflateEnd(&z);
        return PARLEY_ENOMEM;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)o;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(o);
        return PARLEY_EIO;
    }
    *out = o;
    *outlen = n;
    return 0;
}

int spa_compress_brotli(const void *in, size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    size_t cap = BrotliEncoderMaxCompressedSize(len);
    if (cap == 0)
        cap = len + 1024;
    char *o = malloc(cap);
    if (!o)
        return PARLEY_ENOMEM;
    size_t n = cap;
    /* Quality 11 runs at about 1 MB/s: keep it for the usual bundle sizes. */
    int quality = len <= (1u << 20) ? BROTLI_MAX_QUALITY : 9;
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len,
                               (const uint8_t *)in, &n, (uint8_t *)o)) {
        free(o);
        return PARLEY_EIO;
    }
    *out = o;
    *outlen = n;
    return 0;
}
