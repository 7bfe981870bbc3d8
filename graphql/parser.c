/* STUB until the parser lands (issue 8): every document is a syntax error. */
#include "graphql/internal.h"

int gql_parse(const char *source, size_t len, const struct gql_limits *limits,
              struct gql_document **out, struct gql_errors *errs)
{
    *out = NULL;
    gql_errors_add(errs, NULL, NULL, 0, "Syntax Error: the parser is not built yet.");
    return GQL_ESYNTAX;
}

void gql_document_free(struct gql_document *doc)
{
    if (doc != NULL)
        gql_arena_free(doc->arena);
}
