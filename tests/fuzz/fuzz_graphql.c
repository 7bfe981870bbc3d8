/*
 * libFuzzer target for the GraphQL engine's front: any input goes through
 * gql_parse (executable documents and SDL alike), once without limits and
 * once with a small token limit; a document that parses is validated
 * against a fixed small schema (built once). Besides "no crash, no leak,
 * no sanitizer report" it checks what callers rely on: success gives a
 * document and no error, failure gives no document and exactly one error
 * with a message (and a location, unless it is the size limit).
 *
 * Build (clang): cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPARLEY_FUZZ=ON
 *   -DPARLEY_SANITIZE=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
 *   && cmake --build build-fuzz --target fuzz_graphql
 * Run: build-fuzz/server/fuzz_graphql tests/fuzz/corpus/graphql -max_total_time=600
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql.h"

static const char schema_sdl[] =
    "schema { query: Query mutation: Mutation }\n"
    "interface Node { id: ID! }\n"
    "type Bot implements Node { id: ID! name: String! intents(first: Int = 10): [Intent!]! }\n"
    "type Intent implements Node { id: ID! name: String utterances: [String!] }\n"
    "union Thing = Bot | Intent\n"
    "enum Order { NEWEST OLDEST }\n"
    "input Page { first: Int = 20, after: String, order: Order = NEWEST }\n"
    "type Query { bot(id: ID!): Bot node(id: ID!): Node things(page: Page): [Thing] "
    "hello(name: String = \"you\"): String }\n"
    "type Mutation { postText(bot: ID!, text: String!): String }\n";

static struct gql_schema *schema;
static int schema_tried;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, struct gql_document *doc, const struct gql_errors *errs)
{
    if (rc == GQL_OK) {
        if (doc == NULL || errs->n != 0)
            abort();
        return;
    }
    if (doc != NULL || errs->n != 1 || errs->items[0].message == NULL)
        abort();
    if (rc != GQL_ESYNTAX && rc != GQL_ELIMIT && rc != GQL_ENOMEM)
        abort();
    if (errs->items[0].nlocations != 1 || errs->items[0].locations[0].line == 0 ||
        errs->items[0].locations[0].column == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!schema_tried) {
        struct gql_errors errs = GQL_ERRORS_INIT;
        schema_tried = 1;
        if (gql_schema_new(schema_sdl, sizeof schema_sdl - 1, &schema, &errs) != GQL_OK) {
            /* the builder may not be there yet: then parse only, and say so */
            fprintf(stderr, "fuzz_graphql: no schema (%s): parsing only\n",
                    errs.n > 0 ? errs.items[0].message : "?");
            schema = NULL;
        }
        gql_errors_release(&errs);
    }
    const char *src = (const char *)data;
    struct gql_errors errs = GQL_ERRORS_INIT;
    struct gql_document *doc = NULL;
    int rc = gql_parse(src, size, NULL, &doc, &errs);
    check_result(rc, doc, &errs);
    if (rc == GQL_OK && doc->tokens > size)
        abort();
    gql_errors_release(&errs);
    if (rc == GQL_OK && schema != NULL) {
        gql_validate(schema, doc, &errs);
        gql_errors_release(&errs);
    }
    gql_document_free(doc);

    struct gql_limits limits = {0};
    limits.max_tokens = 16;
    doc = NULL;
    rc = gql_parse(src, size, &limits, &doc, &errs);
    check_result(rc, doc, &errs);
    if (rc == GQL_OK && doc->tokens > 16)
        abort();
    gql_errors_release(&errs);
    gql_document_free(doc);
    return 0;
}
