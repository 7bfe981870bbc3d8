/*
 * libFuzzer target for the word-vector file reader (intents/vectors.c): any
 * bytes must be read or refused with PARLEY_EINVAL and a sentence, never a
 * crash, a read past the end or a sanitizer report; a file that reads must
 * then embed a text, and give its words' neighbours, without one.
 *
 * Build and run (from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -DPARLEY_VERSION='"fuzz"' -O1 -g -I. \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_vectors.c \
 *     intents/[a-z]*.c common/[a-z]*.c -lcjson -lcrypto -lm -lpthread -o fuzz_vectors
 *   ./fuzz_vectors -max_total_time=60 tests/fuzz/corpus/vectors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "intents/intents.h"
#include "intents/intents_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/parley-fuzz-vectors-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    struct intents_vectors *v = NULL;
    char err[256] = "";
    int rc = intents_vectors_open(path, &v, err, sizeof err);
    if (rc != 0) {
        if (rc != PARLEY_EINVAL || v || !strstr(err, path))
            abort();
        return 0;
    }
    struct toks t;
    static const char text[] = "a b the movie aa zz 1 x";
    if (toks_init(&t, text, sizeof text - 1) == 0) {
        float out[INTENTS_VECTORS_MAX_DIM];
        vectors_embed(v, &t, NULL, 0, out);
        uint64_t nb[VECTORS_MAX_NEIGHBOURS];
        for (size_t i = 0; i < t.n; i++)
            if (vectors_neighbours(v, tok_norm(&t, i), tok_norm_len(&t, i), nb) >
                VECTORS_MAX_NEIGHBOURS)
                abort();
        toks_release(&t);
    }
    intents_vectors_close(v);
    return 0;
}
