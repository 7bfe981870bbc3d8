/*
 * libFuzzer target for the request heads the listener peeks at before handing
 * a connection to libwebsockets (server/ws.c: ws_head_is_upgrade and its
 * header scanner). Besides "no crash, no sanitizer report" it checks that the
 * answer depends only on the bytes given (never reads past len) and that only
 * a GET can be an upgrade.
 *
 * Build (clang): cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPARLEY_FUZZ=ON
 *   -DPARLEY_SANITIZE=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
 * Run: build-fuzz/server/fuzz_ws_head tests/fuzz/corpus/ws_head -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan catches any read past the end. */
    char *head = malloc(size ? size : 1);
    if (!head)
        return 0;
    memcpy(head, data, size);
    bool up = ws_head_is_upgrade(head, size);
    if (up && (size < 4 || memcmp(head, "GET ", 4) != 0))
        abort();
    free(head);
    return 0;
}
