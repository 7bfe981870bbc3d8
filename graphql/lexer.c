/*
 * The GraphQL lexer (October 2021 grammar, plus the braced \u{...} escape
 * of later editions that graphql-js 16 also reads). It turns UTF-8 source
 * into one token at a time, on demand, in a single forward pass: ignored
 * tokens (whitespace, commas, comments, line terminators \n \r\n \r, a
 * byte order mark) are skipped, names and numbers are slices of the source,
 * strings are decoded straight into the document's arena (a decoded string
 * is never longer than its source, so one allocation of the source length
 * suffices and no temporary buffer is needed).
 *
 * Locations are 1-based lines and columns. Columns count UTF-16 code units,
 * exactly as graphql-js does (its source is a JavaScript string): a
 * character outside the Basic Multilingual Plane counts as two, any other
 * character as one — so the locations we report match what a JavaScript
 * client (GraphiQL, graphql-js tooling) computes for the same text. The
 * lexer keeps the start of the current line and how many bytes more than
 * UTF-16 units it has seen on it, so a token's column costs a subtraction.
 *
 * Errors carry graphql-js's wording ("Syntax Error: Unterminated string.").
 * Bytes that are not UTF-8 are an error ("Invalid character: byte 0xFF
 * (not UTF-8).") where graphql-js, reading a JavaScript string, would
 * never see them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/lexer.h"

static const char *const kind_desc[] = {
    [GQL_TOK_EOF] = "<EOF>",       [GQL_TOK_BANG] = "\"!\"",
    [GQL_TOK_DOLLAR] = "\"$\"",    [GQL_TOK_AMP] = "\"&\"",
    [GQL_TOK_PAREN_L] = "\"(\"",   [GQL_TOK_PAREN_R] = "\")\"",
    [GQL_TOK_SPREAD] = "\"...\"",  [GQL_TOK_COLON] = "\":\"",
    [GQL_TOK_EQUALS] = "\"=\"",    [GQL_TOK_AT] = "\"@\"",
    [GQL_TOK_BRACKET_L] = "\"[\"", [GQL_TOK_BRACKET_R] = "\"]\"",
    [GQL_TOK_BRACE_L] = "\"{\"",   [GQL_TOK_PIPE] = "\"|\"",
    [GQL_TOK_BRACE_R] = "\"}\"",   [GQL_TOK_NAME] = "Name",
    [GQL_TOK_INT] = "Int",         [GQL_TOK_FLOAT] = "Float",
    [GQL_TOK_STRING] = "String",   [GQL_TOK_BLOCK_STRING] = "BlockString",
};

const char *gql_tok_kind_desc(enum gql_tok kind)
{
    return kind_desc[kind];
}

void gql_lexer_init(struct gql_lexer *lx, const char *src, size_t len, struct gql_arena *arena,
                    struct gql_errors *errs, size_t max_tokens)
{
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->pos = src;
    lx->end = src + len;
    lx->line_start = src;
    lx->line = 1;
    lx->arena = arena;
    lx->errs = errs;
    lx->max_tokens = max_tokens;
    lx->token_cap = max_tokens != 0 ? max_tokens : SIZE_MAX;
}

char *gql_lexer_text_chunk(struct gql_lexer *lx, size_t n)
{
    /* what the rest of the source needs, about: names and numbers are copied with a NUL */
    size_t size = (size_t)(lx->end - lx->pos) / 2 + 64;
    if (size < 1024)
        size = 1024;
    if (size < n)
        size = n;
    char *chunk = gql_arena_alloc(lx->arena, size);
    if (chunk == NULL)
        return NULL;
    lx->text = chunk + n;
    lx->text_left = size - n;
    return chunk;
}

/*
 * Decodes the UTF-8 sequence at p (p < end): returns the code point and sets
 * *n to its length, or returns -1 with *n = 1 when the bytes are not UTF-8
 * (truncated, overlong, beyond U+10FFFF). Surrogates (U+D800..U+DFFF) are
 * decoded so that callers can name them the way graphql-js does.
 */
static int32_t utf8_decode(const unsigned char *p, const unsigned char *end, int *n)
{
    unsigned c = p[0];
    *n = 1;
    if (c < 0x80)
        return (int32_t)c;
    int len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (end - p < len)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF)
        return -1;
    *n = len;
    return (int32_t)cp;
}

static bool is_surrogate(int32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

/* graphql-js's printCodePointAt: <EOF>, "a", '"', U+0007; a non-UTF-8 byte by its value. */
static const char *print_char_at(const struct gql_lexer *lx, const char *p, char *buf, size_t size)
{
    if (p >= lx->end)
        return "<EOF>";
    int n;
    int32_t cp = utf8_decode((const unsigned char *)p, (const unsigned char *)lx->end, &n);
    if (cp < 0)
        snprintf(buf, size, "byte 0x%02X (not UTF-8)", (unsigned char)*p);
    else if (cp == '"')
        snprintf(buf, size, "'\"'");
    else if (cp >= 0x20 && cp <= 0x7E)
        snprintf(buf, size, "\"%c\"", (char)cp);
    else
        snprintf(buf, size, "U+%04X", (unsigned)cp);
    return buf;
}

struct gql_loc gql_lexer_loc_at(const struct gql_lexer *lx, const char *p)
{
    struct gql_loc loc = {1, 1};
    const unsigned char *s = (const unsigned char *)lx->src;
    const unsigned char *end = (const unsigned char *)(p < lx->end ? p : lx->end);
    while (s < end) {
        if (*s == '\n' || *s == '\r') {
            if (*s == '\r' && s + 1 < end && s[1] == '\n')
                s++;
            s++;
            loc.line++;
            loc.column = 1;
            continue;
        }
        int n;
        int32_t cp = utf8_decode(s, (const unsigned char *)lx->end, &n);
        loc.column += cp >= 0x10000 ? 2 : 1;
        s += n;
    }
    return loc;
}

int gql_lexer_error(struct gql_lexer *lx, int rc, const char *p, const char *fmt, ...)
{
    char small[256];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0, small[0] = '\0';
    if ((size_t)len >= sizeof small) {
        msg = malloc((size_t)len + 1);
        if (msg == NULL) {
            msg = small; /* truncated is better than nothing */
        } else {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)len + 1, fmt, ap);
            va_end(ap);
        }
    }
    struct gql_loc loc = gql_lexer_loc_at(lx, p);
    gql_errors_add(lx->errs, NULL, &loc, 1, "Syntax Error: %s", msg);
    if (msg != small)
        free(msg);
    return rc;
}

static int oom(struct gql_lexer *lx)
{
    gql_errors_add(lx->errs, NULL, NULL, 0, "Out of memory while parsing the document.");
    return GQL_ENOMEM;
}

/* Character classes of the bytes, for the loops that run over every byte. */
enum { CC_WS = 1, CC_NAME_START = 2, CC_NAME = 4 };
#define CC_LETTERS(c) [c] = CC_NAME_START | CC_NAME
static const unsigned char cclass[256] = {
    [' '] = CC_WS,   ['\t'] = CC_WS,  [','] = CC_WS,   ['0'] = CC_NAME, ['1'] = CC_NAME,
    ['2'] = CC_NAME, ['3'] = CC_NAME, ['4'] = CC_NAME, ['5'] = CC_NAME, ['6'] = CC_NAME,
    ['7'] = CC_NAME, ['8'] = CC_NAME, ['9'] = CC_NAME, CC_LETTERS('_'), CC_LETTERS('A'),
    CC_LETTERS('B'), CC_LETTERS('C'), CC_LETTERS('D'), CC_LETTERS('E'), CC_LETTERS('F'),
    CC_LETTERS('G'), CC_LETTERS('H'), CC_LETTERS('I'), CC_LETTERS('J'), CC_LETTERS('K'),
    CC_LETTERS('L'), CC_LETTERS('M'), CC_LETTERS('N'), CC_LETTERS('O'), CC_LETTERS('P'),
    CC_LETTERS('Q'), CC_LETTERS('R'), CC_LETTERS('S'), CC_LETTERS('T'), CC_LETTERS('U'),
    CC_LETTERS('V'), CC_LETTERS('W'), CC_LETTERS('X'), CC_LETTERS('Y'), CC_LETTERS('Z'),
    CC_LETTERS('a'), CC_LETTERS('b'), CC_LETTERS('c'), CC_LETTERS('d'), CC_LETTERS('e'),
    CC_LETTERS('f'), CC_LETTERS('g'), CC_LETTERS('h'), CC_LETTERS('i'), CC_LETTERS('j'),
    CC_LETTERS('k'), CC_LETTERS('l'), CC_LETTERS('m'), CC_LETTERS('n'), CC_LETTERS('o'),
    CC_LETTERS('p'), CC_LETTERS('q'), CC_LETTERS('r'), CC_LETTERS('s'), CC_LETTERS('t'),
    CC_LETTERS('u'), CC_LETTERS('v'), CC_LETTERS('w'), CC_LETTERS('x'), CC_LETTERS('y'),
    CC_LETTERS('z'),
};

static int is_name_start(unsigned char c)
{
    return cclass[c] & CC_NAME_START;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int peek(const struct gql_lexer *lx, const char *p)
{
    return p < lx->end ? (unsigned char)*p : -1;
}

static void new_line(struct gql_lexer *lx, const char *start)
{
    lx->line++;
    lx->line_start = start;
    lx->line_extra = 0;
}

/* Accounts for a decoded multi-byte character of n bytes in the column count. */
static void wide_char(struct gql_lexer *lx, int n)
{
    lx->line_extra += (size_t)(n == 4 ? 2 : n - 1);
}

/* ---- numbers ---- */

/* Digits+ at p; returns the position after them, or NULL after an error. */
static const char *read_digits(struct gql_lexer *lx, const char *p)
{
    char buf[32];
    if (!is_digit((unsigned char)peek(lx, p))) {
        gql_lexer_error(lx, GQL_ESYNTAX, p, "Invalid number, expected digit but got: %s.",
                        print_char_at(lx, p, buf, sizeof buf));
        return NULL;
    }
    while (p < lx->end && is_digit((unsigned char)*p))
        p++;
    return p;
}

__attribute__((noinline)) static int read_number(struct gql_lexer *lx, const char *start)
{
    char buf[32];
    const char *p = start;
    bool is_float = false;
    if (*p == '-')
        p++;
    if (peek(lx, p) == '0') {
        p++;
        if (is_digit((unsigned char)peek(lx, p)))
            return gql_lexer_error(lx, GQL_ESYNTAX, p,
                                   "Invalid number, unexpected digit after 0: %s.",
                                   print_char_at(lx, p, buf, sizeof buf));
    } else if ((p = read_digits(lx, p)) == NULL) {
        return GQL_ESYNTAX;
    }
    if (peek(lx, p) == '.') {
        is_float = true;
        if ((p = read_digits(lx, p + 1)) == NULL)
            return GQL_ESYNTAX;
    }
    int c = peek(lx, p);
    if (c == 'e' || c == 'E') {
        is_float = true;
        p++;
        c = peek(lx, p);
        if (c == '+' || c == '-')
            p++;
        if ((p = read_digits(lx, p)) == NULL)
            return GQL_ESYNTAX;
    }
    c = peek(lx, p);
    if (c == '.' || (c >= 0 && is_name_start((unsigned char)c)))
        return gql_lexer_error(lx, GQL_ESYNTAX, p, "Invalid number, expected digit but got: %s.",
                               print_char_at(lx, p, buf, sizeof buf));
    lx->tok.kind = is_float ? GQL_TOK_FLOAT : GQL_TOK_INT;
    lx->tok.len = (size_t)(p - start);
    lx->pos = p;
    return GQL_OK;
}

/* ---- strings ---- */

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p as a number, -1 if any is not one. */
static int32_t read_hex4(const struct gql_lexer *lx, const char *p)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_val(peek(lx, p + i));
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static char *utf8_encode(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/*
 * A bad escape: the message quotes the n UTF-16 code units from p that
 * graphql-js quotes (its slice), whole characters only, and stops at the
 * source's end or at bytes that are not UTF-8 (the message stays UTF-8).
 */
static int escape_error(struct gql_lexer *lx, const char *p, size_t n, const char *what)
{
    size_t keep = 0, units = 0;
    while (units < n && p + keep < lx->end) {
        int len;
        int32_t cp =
            utf8_decode((const unsigned char *)p + keep, (const unsigned char *)lx->end, &len);
        if (cp < 0)
            break;
        keep += (size_t)len;
        units += cp >= 0x10000 ? 2 : 1;
    }
    return gql_lexer_error(lx, GQL_ESYNTAX, p, "Invalid %s escape sequence: \"%.*s\".", what,
                           (int)keep, p);
}

/*
 * A "string": finds its end first (so that the decoded value can be
 * allocated once), then decodes and checks it from the start, so that
 * errors come in source order as graphql-js reports them.
 */
__attribute__((noinline)) static int read_string(struct gql_lexer *lx, const char *start)
{
    const char *p = start + 1, *end = lx->end;
    bool plain = true; /* no escape, nothing but ASCII: copied as is */
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\n' || c == '\r')
            break;
        if (c == '\\') {
            plain = false;
            p += (p + 1 < end && (p[1] == '"' || p[1] == '\\')) ? 2 : 1;
            continue;
        }
        if (c >= 0x80)
            plain = false;
        p++;
    }
    const char *stop = p; /* the closing quote, a line terminator or the end */
    bool closed = stop < end && *stop == '"';
    char *out = gql_lexer_text(lx, (size_t)(stop - start));
    if (out == NULL)
        return oom(lx);
    char *o = out;
    if (plain) {
        memcpy(out, start + 1, (size_t)(stop - start - 1));
        o += stop - start - 1;
    } else {
        char buf[32];
        p = start + 1;
        while (p < stop) {
            unsigned char c = (unsigned char)*p;
            if (c < 0x80 && c != '\\') {
                *o++ = (char)c;
                p++;
                continue;
            }
            if (c >= 0x80) {
                int n;
                int32_t cp = utf8_decode((const unsigned char *)p, (const unsigned char *)end, &n);
                if (cp < 0 || is_surrogate(cp))
                    return gql_lexer_error(lx, GQL_ESYNTAX, p,
                                           "Invalid character within String: %s.",
                                           print_char_at(lx, p, buf, sizeof buf));
                memcpy(o, p, (size_t)n);
                o += n;
                p += n;
                wide_char(lx, n);
                continue;
            }
            /* an escape */
            int e = peek(lx, p + 1);
            if (e == 'u' && peek(lx, p + 2) == '{') {
                uint32_t cp = 0;
                size_t size = 3;
                bool ok = false;
                while (size < 12) {
                    int d = peek(lx, p + size++);
                    if (d == '}') {
                        ok = size >= 5 && cp <= 0x10FFFF && !is_surrogate((int32_t)cp);
                        break;
                    }
                    int h = hex_val(d);
                    if (h < 0)
                        break;
                    /* past U+10FFFF it stays invalid: saturate, never overflow */
                    cp = cp > 0x10FFFF ? 0x110000 : (cp << 4 | (uint32_t)h);
                }
                if (!ok)
                    return escape_error(lx, p, size, "Unicode");
                o = utf8_encode(o, cp);
                p += size;
                continue;
            }
            if (e == 'u') {
                int32_t cp = read_hex4(lx, p + 2);
                if (cp >= 0 && !is_surrogate(cp)) {
                    o = utf8_encode(o, (uint32_t)cp);
                    p += 6;
                    continue;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF && peek(lx, p + 6) == '\\' &&
                    peek(lx, p + 7) == 'u') {
                    int32_t lo = read_hex4(lx, p + 8);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        o = utf8_encode(o, 0x10000 + ((uint32_t)(cp - 0xD800) << 10) +
                                               (uint32_t)(lo - 0xDC00));
                        p += 12;
                        continue;
                    }
                }
                return escape_error(lx, p, 6, "Unicode");
            }
            char v;
            switch (e) {
            case '"':
                v = '"';
                break;
            case '\\':
                v = '\\';
                break;
            case '/':
                v = '/';
                break;
            case 'b':
                v = '\b';
                break;
            case 'f':
                v = '\f';
                break;
            case 'n':
                v = '\n';
                break;
            case 'r':
                v = '\r';
                break;
            case 't':
                v = '\t';
                break;
            default:
                return escape_error(lx, p, 2, "character");
            }
            *o++ = v;
            p += 2;
        }
    }
    if (!closed)
        return gql_lexer_error(lx, GQL_ESYNTAX, stop, "Unterminated string.");
    *o = '\0';
    lx->tok.kind = GQL_TOK_STRING;
    lx->tok.len = (size_t)(stop + 1 - start);
    lx->tok.value = out;
    lx->tok.value_len = (size_t)(o - out);
    lx->pos = stop + 1;
    return GQL_OK;
}

static bool triple_quote(const struct gql_lexer *lx, const char *p)
{
    return lx->end - p >= 3 && p[0] == '"' && p[1] == '"' && p[2] == '"';
}

/* Spaces and tabs at the start of the line [p, end). */
static size_t leading_ws(const char *p, const char *end)
{
    const char *s = p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return (size_t)(s - p);
}

/* The end of the raw line starting at p (a line terminator or the closing quotes). */
static const char *line_end(const char *p, const char *close)
{
    while (p < close && *p != '\n' && *p != '\r')
        p++;
    return p;
}

static const char *next_line(const char *eol, const char *close)
{
    if (eol < close && *eol == '\r' && eol + 1 < close && eol[1] == '\n')
        return eol + 2;
    return eol + 1;
}

/*
 * A """block string""": one pass finds the closing quotes, checks the
 * characters and keeps the line count; a second measures the lines for the
 * spec's BlockStringValue() (common indentation of all lines but the first,
 * blank lines dropped at both ends); a third writes the value, lines joined
 * by \n and \""" read as """.
 */
__attribute__((noinline)) static int read_block_string(struct gql_lexer *lx, const char *start)
{
    char buf[32];
    const char *p = start + 3, *end = lx->end;
    const char *close = NULL;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' && triple_quote(lx, p)) {
            close = p;
            break;
        }
        if (c == '\\' && triple_quote(lx, p + 1)) {
            p += 4;
            continue;
        }
        if (c == '\n' || c == '\r') {
            p += (c == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
            new_line(lx, p);
            continue;
        }
        if (c >= 0x80) {
            int n;
            int32_t cp = utf8_decode((const unsigned char *)p, (const unsigned char *)end, &n);
            if (cp < 0 || is_surrogate(cp))
                return gql_lexer_error(lx, GQL_ESYNTAX, p, "Invalid character within String: %s.",
                                       print_char_at(lx, p, buf, sizeof buf));
            wide_char(lx, n);
            p += n;
            continue;
        }
        p++;
    }
    if (close == NULL)
        return gql_lexer_error(lx, GQL_ESYNTAX, end, "Unterminated string.");

    const char *body = start + 3;
    size_t common = SIZE_MAX;
    size_t first = SIZE_MAX, last = 0, i = 0;
    for (const char *ls = body;; i++) {
        const char *eol = line_end(ls, close);
        size_t indent = leading_ws(ls, eol);
        if (indent < (size_t)(eol - ls)) {
            if (first == SIZE_MAX)
                first = i;
            last = i;
            if (i > 0 && indent < common)
                common = indent;
        }
        if (eol >= close)
            break;
        ls = next_line(eol, close);
    }

    char *out = gql_lexer_text(lx, (size_t)(close - body) + 1);
    if (out == NULL)
        return oom(lx);
    char *o = out;
    if (first != SIZE_MAX) {
        i = 0;
        for (const char *ls = body; i <= last; i++) {
            const char *eol = line_end(ls, close);
            if (i >= first) {
                const char *s = ls;
                if (i > 0)
                    s += (size_t)(eol - ls) < common ? (size_t)(eol - ls) : common;
                if (i > first)
                    *o++ = '\n';
                while (s < eol) {
                    if (*s == '\\' && eol - s >= 4 && s[1] == '"' && s[2] == '"' && s[3] == '"') {
                        memcpy(o, "\"\"\"", 3);
                        o += 3;
                        s += 4;
                    } else {
                        *o++ = *s++;
                    }
                }
            }
            if (eol >= close)
                break;
            ls = next_line(eol, close);
        }
    }
    *o = '\0';
    lx->tok.kind = GQL_TOK_BLOCK_STRING;
    lx->tok.len = (size_t)(close + 3 - start);
    lx->tok.value = out;
    lx->tok.value_len = (size_t)(o - out);
    lx->pos = close + 3;
    return GQL_OK;
}

/* ---- the token loop ---- */

static int punct(struct gql_lexer *lx, enum gql_tok kind, const char *p, size_t len)
{
    lx->tok.kind = kind;
    lx->tok.len = len;
    lx->pos = p + len;
    return GQL_OK;
}

int gql_lexer_next(struct gql_lexer *lx)
{
    const char *p = lx->pos, *end = lx->end;
    char buf[32];
    for (;;) {
        if (p >= end) {
            lx->pos = p;
            lx->tok.kind = GQL_TOK_EOF;
            lx->tok.start = p;
            lx->tok.len = 0;
            lx->tok.loc.line = lx->line;
            lx->tok.loc.column = (uint32_t)((size_t)(p - lx->line_start) - lx->line_extra + 1);
            return GQL_OK;
        }
        unsigned char c = (unsigned char)*p;
        if (cclass[c] & CC_WS) {
            p++;
            while (p < end && (cclass[(unsigned char)*p] & CC_WS))
                p++;
            continue;
        }
        if (c == '\n') {
            p++;
            new_line(lx, p);
            continue;
        }
        if (c == '\r') {
            p += (p + 1 < end && p[1] == '\n') ? 2 : 1;
            new_line(lx, p);
            continue;
        }
        if (c == '#') {
            p++;
            while (p < end && *p != '\n' && *p != '\r') {
                if ((unsigned char)*p < 0x80) {
                    p++;
                    continue;
                }
                int n;
                int32_t cp = utf8_decode((const unsigned char *)p, (const unsigned char *)end, &n);
                if (cp < 0 || is_surrogate(cp))
                    break; /* the comment ends here, the character is an error below */
                wide_char(lx, n);
                p += n;
            }
            continue;
        }
        if (c == 0xEF && end - p >= 3 && (unsigned char)p[1] == 0xBB &&
            (unsigned char)p[2] == 0xBF) {
            p += 3; /* U+FEFF, the byte order mark, is ignored (one column) */
            lx->line_extra += 2;
            continue;
        }
        break;
    }

    if (lx->ntokens >= lx->token_cap) {
        lx->pos = p;
        return gql_lexer_error(lx, GQL_ELIMIT, p,
                               "Document contains more than %zu tokens. Parsing aborted.",
                               lx->max_tokens);
    }
    lx->ntokens++;
    lx->tok.start = p;
    lx->tok.loc.line = lx->line;
    lx->tok.loc.column = (uint32_t)((size_t)(p - lx->line_start) - lx->line_extra + 1);

    unsigned char c = (unsigned char)*p;
    switch (c) {
    case '!':
        return punct(lx, GQL_TOK_BANG, p, 1);
    case '$':
        return punct(lx, GQL_TOK_DOLLAR, p, 1);
    case '&':
        return punct(lx, GQL_TOK_AMP, p, 1);
    case '(':
        return punct(lx, GQL_TOK_PAREN_L, p, 1);
    case ')':
        return punct(lx, GQL_TOK_PAREN_R, p, 1);
    case ':':
        return punct(lx, GQL_TOK_COLON, p, 1);
    case '=':
        return punct(lx, GQL_TOK_EQUALS, p, 1);
    case '@':
        return punct(lx, GQL_TOK_AT, p, 1);
    case '[':
        return punct(lx, GQL_TOK_BRACKET_L, p, 1);
    case ']':
        return punct(lx, GQL_TOK_BRACKET_R, p, 1);
    case '{':
        return punct(lx, GQL_TOK_BRACE_L, p, 1);
    case '|':
        return punct(lx, GQL_TOK_PIPE, p, 1);
    case '}':
        return punct(lx, GQL_TOK_BRACE_R, p, 1);
    case '.':
        if (end - p >= 3 && p[1] == '.' && p[2] == '.')
            return punct(lx, GQL_TOK_SPREAD, p, 3);
        break;
    case '"':
        if (triple_quote(lx, p))
            return read_block_string(lx, p);
        return read_string(lx, p);
    default:
        break;
    }
    if (is_digit(c) || c == '-')
        return read_number(lx, p);
    if (is_name_start(c)) {
        const char *s = p + 1;
        while (s < end && (cclass[(unsigned char)*s] & CC_NAME))
            s++;
        lx->tok.kind = GQL_TOK_NAME;
        lx->tok.len = (size_t)(s - p);
        lx->pos = s;
        return GQL_OK;
    }
    if (c == '\'')
        return gql_lexer_error(
            lx, GQL_ESYNTAX, p,
            "Unexpected single quote character ('), did you mean to use a double quote (\")?");
    int n;
    int32_t cp = utf8_decode((const unsigned char *)p, (const unsigned char *)end, &n);
    return gql_lexer_error(lx, GQL_ESYNTAX, p, "%s character: %s.",
                           cp >= 0 && !is_surrogate(cp) ? "Unexpected" : "Invalid",
                           print_char_at(lx, p, buf, sizeof buf));
}
