/*
 * libFuzzer target for what spa-host parses from the network: the request
 * path (after the core's single decode), Accept-Encoding, Range, If-None-Match
 * and HTTP dates. Besides "no crash, no sanitizer report" it checks the
 * confinement invariants: a path accepted by spa_path_normalize has no ".."
 * segment, no backslash, no control character, is valid UTF-8 and is a valid
 * manifest key; a satisfiable range lies inside the file.
 *
 * Build (clang): cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPARLEY_FUZZ=ON
 *   -DPARLEY_SANITIZE=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
 * Run: build-fuzz/spa-host/fuzz_spa_path tests/fuzz/corpus/spa_path -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "spa-host/spa_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* the core never passes a NUL inside a path */

    char out[SPA_PATH_MAX + 1];
    bool slash;
    if (spa_path_normalize(s, out, sizeof out, &slash) == SPA_PATH_OK) {
        size_t n = strlen(out);
        if (!spa_utf8_valid(out, n) || strchr(out, '\\') || out[0] == '/')
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
                abort();
        if (strcmp(out, "..") == 0 || strncmp(out, "../", 3) == 0 || strstr(out, "/../") ||
            (n >= 3 && strcmp(out + n - 3, "/..") == 0) || strstr(out, "//"))
            abort();
        if (n && !spa_manifest_path_ok(out))
            abort();
    }
    static const bool all[SPA_ENC_COUNT] = {true, true, true};
    enum spa_encoding e = spa_encoding_choose(s, all);
    if (e < SPA_ENC_IDENTITY || e >= SPA_ENC_COUNT)
        abort();
    uint64_t start, len, fsize = size * 7 + 1;
    if (spa_range_parse(s, fsize, &start, &len) == SPA_RANGE_OK &&
        (len == 0 || start >= fsize || start + len > fsize))
        abort();
    spa_etag_match(s, "\"0123456789abcdef0123456789abcdef\"");
    spa_http_date_parse(s);
    spa_route_like(s, s);
    free(s);
    return 0;
}
