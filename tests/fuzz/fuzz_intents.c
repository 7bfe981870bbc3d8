/*
 * libFuzzer target for the utterance text path of intents/: tokenizing,
 * classifying with a small bot (full utterance and elicited answer), the
 * slots of each intent, and resolving every built-in slot type. Any input
 * must give 0 or a clean error, never a crash or a sanitizer report. The
 * bot uses the word vectors when scripts/install-deps.sh vectors has
 * written them.
 *
 * Build and run (from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -DPARLEY_VERSION='"fuzz"' -O1 -g -I. \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_intents.c \
 *     intents/[a-z]*.c common/[a-z]*.c -lcjson -lcrypto -lm -lpthread -o fuzz_intents
 *   ./fuzz_intents -max_total_time=60 tests/fuzz/corpus/intents
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents.h"
#include "intents/intents_internal.h"

static struct intents_model *model;

static const char *const city_utt[] = {"fly from {From} to {To} on {When}",
                                       "I need a flight to {To}", "book a trip"};
static const struct intents_slot_spec city_slots[] = {
    {"From", "AMAZON.US_CITY"}, {"To", "AMAZON.US_CITY"}, {"When", "AMAZON.DATE"}};
static const char *const pizza_utt[] = {"order a {Size} pizza", "I want {Count} pizzas at {At}",
                                        "pizza please"};
static const char *const small_syn[] = {"tiny", "little"};
static const struct intents_value_spec sizes[] = {{"small", small_syn, 2}, {"large", NULL, 0}};
static const struct intents_slot_type_spec types[] = {
    {"Size", sizes, 2, INTENTS_TOP_RESOLUTION, NULL}};
static const struct intents_slot_spec pizza_slots[] = {
    {"Size", "Size"}, {"Count", "AMAZON.NUMBER"}, {"At", "AMAZON.TIME"}};
static const struct intents_intent_spec intents[] = {
    {"BookTrip", city_utt, 3, NULL, 0, city_slots, 3},
    {"OrderPizza", pizza_utt, 3, NULL, 0, pizza_slots, 3},
};
static struct intents_bot_spec bot = {"en-US", 0.4, intents, 2, types, 1, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) {
        char err[256];
        struct intents_vectors *vec = NULL;
        if (intents_vectors_open(intents_vectors_default_path(), &vec, err, sizeof err) == 0)
            bot.vectors = vec; /* kept for the process's life, like the model */
        else
            fprintf(stderr, "fuzz: without word vectors: %s\n", err);
        if (intents_model_new(&bot, &model, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
    }
    const char *text = (const char *)data;
    struct intents_context ctx = {1795694400, 780, NULL, NULL};
    struct intents_result r;
    int rc = intents_classify(model, text, size, &ctx, &r);
    if (rc == 0) {
        for (size_t i = 0; i < r.n_slots; i++)
            if (r.slots[i].span.byte_end > size || strlen(r.slots[i].original) >= INTENTS_MAX_VALUE)
                abort();
    }
    ctx.elicit_intent = "OrderPizza";
    ctx.elicit_slot = "Size";
    intents_classify(model, text, size, &ctx, &r);
    static const char *const builtins[] = {
        "AMAZON.DATE",        "AMAZON.TIME",         "AMAZON.NUMBER",
        "AMAZON.DURATION",    "AMAZON.City",         "AMAZON.EmailAddress",
        "AMAZON.PhoneNumber", "AMAZON.AlphaNumeric", "AMAZON.FirstName"};
    struct intents_slot_match m;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        intents_slot_resolve(model, builtins[i], text, size, &ctx, &m);
    intents_slot_resolve(model, "Size", text, size, &ctx, &m);
    struct intents_slot_match alt[INTENTS_MAX_SLOTS];
    size_t n_alt;
    for (size_t i = 0; i < 2; i++)
        if (intents_slots_of(model, text, size, &ctx, intents[i].name, alt, INTENTS_MAX_SLOTS,
                             &n_alt) == 0)
            for (size_t k = 0; k < n_alt; k++)
                if (alt[k].span.byte_end > size)
                    abort();
    char folded[128];
    if (size <= INTENTS_MAX_TEXT)
        text_fold(text, size, folded, sizeof folded);
    return 0;
}
