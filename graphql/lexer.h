/*
 * The lexer the parser reads from (graphql/lexer.c); internal to
 * graphql/lexer.c and graphql/parser.c. One token at a time, on demand:
 * the parser looks at lx->tok and calls gql_lexer_next to move on.
 */
#ifndef PARLEY_GRAPHQL_LEXER_H
#define PARLEY_GRAPHQL_LEXER_H

#include <string.h>

#include "graphql/internal.h"

enum gql_tok {
    GQL_TOK_EOF,
    GQL_TOK_BANG,      /* ! */
    GQL_TOK_DOLLAR,    /* $ */
    GQL_TOK_AMP,       /* & */
    GQL_TOK_PAREN_L,   /* ( */
    GQL_TOK_PAREN_R,   /* ) */
    GQL_TOK_SPREAD,    /* ... */
    GQL_TOK_COLON,     /* : */
    GQL_TOK_EQUALS,    /* = */
    GQL_TOK_AT,        /* @ */
    GQL_TOK_BRACKET_L, /* [ */
    GQL_TOK_BRACKET_R, /* ] */
    GQL_TOK_BRACE_L,   /* { */
    GQL_TOK_PIPE,      /* | */
    GQL_TOK_BRACE_R,   /* } */
    GQL_TOK_NAME,
    GQL_TOK_INT,
    GQL_TOK_FLOAT,
    GQL_TOK_STRING,
    GQL_TOK_BLOCK_STRING,
};

struct gql_token {
    enum gql_tok kind;
    struct gql_loc loc;
    const char *start; /* the lexeme in the source (borrowed) */
    size_t len;
    const char *value; /* STRING, BLOCK_STRING: the decoded value, NUL-terminated, in the arena */
    size_t value_len;
};

struct gql_lexer {
    const char *src;
    const char *pos; /* the next byte to read */
    const char *end;
    const char *line_start; /* first byte of the current line */
    uint32_t line;
    size_t line_extra; /* bytes minus UTF-16 units between line_start and pos */
    struct gql_arena *arena;
    struct gql_errors *errs;
    size_t ntokens; /* tokens read, <EOF> excluded */
    size_t max_tokens;
    size_t token_cap; /* max_tokens, or SIZE_MAX for none */
    char *text;       /* the free part of the current text chunk (see gql_lexer_text) */
    size_t text_left;
    struct gql_token tok; /* the current token */
};

/* Starts at the beginning of src; call gql_lexer_next for the first token. */
void gql_lexer_init(struct gql_lexer *lx, const char *src, size_t len, struct gql_arena *arena,
                    struct gql_errors *errs, size_t max_tokens);
/*
 * Reads the next token into lx->tok. GQL_OK, or GQL_ESYNTAX / GQL_ELIMIT /
 * GQL_ENOMEM with one error appended to lx->errs.
 */
int gql_lexer_next(struct gql_lexer *lx);
/*
 * Text — names, numbers, decoded strings — is cut byte by byte from chunks
 * of the arena (no alignment, no per-piece bookkeeping): n bytes, or NULL
 * when out of memory.
 */
char *gql_lexer_text_chunk(struct gql_lexer *lx, size_t n);
static inline char *gql_lexer_text(struct gql_lexer *lx, size_t n)
{
    if (lx->text_left < n)
        return gql_lexer_text_chunk(lx, n);
    char *p = lx->text;
    lx->text += n;
    lx->text_left -= n;
    return p;
}
/* A NUL-terminated copy of len bytes of s as text; NULL when out of memory. */
static inline char *gql_lexer_copy(struct gql_lexer *lx, const char *s, size_t len)
{
    char *p = gql_lexer_text(lx, len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}
/* How graphql-js names a token kind in messages: "Name", "<EOF>", "\"{\"". */
const char *gql_tok_kind_desc(enum gql_tok kind);
/* The line and column of a byte of the source (slow: for errors). */
struct gql_loc gql_lexer_loc_at(const struct gql_lexer *lx, const char *p);
/* Appends "Syntax Error: <message>" at p with the given return code; returns rc. */
int gql_lexer_error(struct gql_lexer *lx, int rc, const char *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
