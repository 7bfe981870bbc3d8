/*
 * Text: UTF-8 decoding and validation, folding and tokenization.
 *
 * Every token keeps its byte span and its code-point span in the user's
 * text, so whatever we decide on folded text maps back to exactly what the
 * user typed. Folding is case folding plus accent folding (Latin-1 and
 * Latin Extended-A letters to their ASCII base, ß to "ss"; Greek and
 * Cyrillic upper case to lower case); everything else passes through.
 * A token is a run of letters and digits; any other non-space character is
 * a punctuation token of its own, so "Pre-Party R&B" gives five tokens and a
 * slot boundary can fall on either side of the hyphen.
 */
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

int32_t utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = *i;
    unsigned c = p[k];
    int32_t cp;
    size_t need;
    if (c < 0x80) {
        *i = k + 1;
        return (int32_t)c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F;
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F;
        need = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07;
        need = 3;
    } else {
        return -1;
    }
    if (len - k <= need)
        return -1;
    for (size_t j = 1; j <= need; j++) {
        unsigned cc = p[k + j];
        if ((cc & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (int32_t)(cc & 0x3F);
    }
    /* overlong, surrogates, out of range */
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *i = k + 1 + need;
    return cp;
}

bool utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        int32_t cp = utf8_next(s, len, &i);
        if (cp <= 0)
            return false;
    }
    return true;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

size_t utf8_cp_to_byte(const char *s, size_t len, size_t cp)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == cp)
                return i;
            n++;
        }
    }
    return len;
}

/* Latin-1 Supplement 0xC0..0xFF folded ("" = not a letter). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

/* Latin Extended-A 0x100..0x17F: ranges of the same base letter. */
static const struct {
    uint16_t lo, hi;
    const char *base;
} exta_fold[] = {
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"},  {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"},  {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"},  {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"},  {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

static bool cp_is_space(int32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static bool cp_is_alnum(int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c <= 0xBF)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7)
        return false;
    if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
        (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF00 && c <= 0xFF0F) ||
        (c >= 0xFF1A && c <= 0xFF20) || (c >= 0x1F000 && c <= 0x1FAFF) ||
        (c >= 0xE000 && c <= 0xF8FF))
        return false;
    return true;
}

static bool cp_is_upper(int32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
           (c >= 0x100 && c <= 0x17F && (c & 1) == 0 && c != 0x138) || (c >= 0x391 && c <= 0x3A9) ||
           (c >= 0x400 && c <= 0x42F);
}

static size_t put_utf8(char *out, int32_t c)
{
    unsigned u = (unsigned)c;
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    } else if (u < 0x800) {
        out[0] = (char)(0xC0 | (u >> 6));
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    } else if (u < 0x10000) {
        out[0] = (char)(0xE0 | (u >> 12));
        out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (u >> 18));
    out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* Writes the folded form of c into out (at most 4 bytes); returns its length. */
static size_t fold_cp(int32_t c, char *out)
{
    if (c >= 'A' && c <= 'Z') {
        out[0] = (char)(c + 32);
        return 1;
    }
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    const char *base = NULL;
    if (c >= 0xC0 && c <= 0xFF) {
        base = latin1_fold[c - 0xC0];
    } else if (c >= 0x100 && c <= 0x17F) {
        for (size_t i = 0; i < sizeof exta_fold / sizeof exta_fold[0]; i++)
            if (c >= exta_fold[i].lo && c <= exta_fold[i].hi)
                base = exta_fold[i].base;
    }
    if (base && base[0]) {
        size_t n = strlen(base);
        memcpy(out, base, n);
        return n;
    }
    if (c >= 0x391 && c <= 0x3A9)
        c += 0x20;
    else if (c >= 0x410 && c <= 0x42F)
        c += 0x20;
    else if (c >= 0x400 && c <= 0x40F)
        c += 0x50;
    return put_utf8(out, c);
}

static int toks_push_norm(struct toks *t, const char *p, size_t n)
{
    if (t->nlen + n + 1 > t->ncap) {
        size_t cap = t->ncap ? t->ncap * 2 : 256;
        while (cap < t->nlen + n + 1)
            cap *= 2;
        char *q = realloc(t->norm, cap);
        if (!q)
            return PARLEY_ENOMEM;
        t->norm = q;
        t->ncap = cap;
    }
    memcpy(t->norm + t->nlen, p, n);
    t->nlen += n;
    return 0;
}

static int toks_push(struct toks *t, const struct tok *k)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return PARLEY_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *k;
    return 0;
}

int toks_init(struct toks *t, const char *s, size_t len)
{
    memset(t, 0, sizeof *t);
    size_t i = 0, cp = 0;
    struct tok cur;
    bool in_word = false;
    int rc = 0;
    char tmp[8];
    while (i <= len) {
        size_t at = i;
        int32_t c = -2; /* end of text */
        if (i < len) {
            c = utf8_next(s, len, &i);
            if (c <= 0) {
                rc = PARLEY_EINVAL;
                goto out;
            }
        } else {
            i++;
        }
        bool alnum = c > 0 && cp_is_alnum(c);
        if (in_word && !alnum) {
            cur.b1 = (uint32_t)at;
            cur.c1 = (uint32_t)cp;
            cur.n1 = (uint32_t)t->nlen;
            if ((rc = toks_push_norm(t, "", 1)) < 0 || (rc = toks_push(t, &cur)) < 0)
                goto out;
            in_word = false;
        }
        if (c == -2)
            break;
        if (alnum) {
            bool digit = c >= '0' && c <= '9';
            if (!in_word) {
                memset(&cur, 0, sizeof cur);
                cur.b0 = (uint32_t)at;
                cur.c0 = (uint32_t)cp;
                cur.n0 = (uint32_t)t->nlen;
                cur.kind = TOK_NUM;
                cur.flags = TOKF_ALL_UPPER;
                if (cp_is_upper(c))
                    cur.flags |= TOKF_UPPER_FIRST;
                in_word = true;
            }
            if (digit) {
                cur.flags |= TOKF_HAS_DIGIT;
            } else {
                cur.kind = TOK_WORD;
                cur.flags |= TOKF_HAS_ALPHA;
                if (!cp_is_upper(c))
                    cur.flags &= (uint8_t)~TOKF_ALL_UPPER;
            }
            size_t n = fold_cp(c, tmp);
            if ((rc = toks_push_norm(t, tmp, n)) < 0)
                goto out;
        } else if (!cp_is_space(c)) {
            struct tok p = {0};
            p.b0 = (uint32_t)at;
            p.b1 = (uint32_t)i;
            p.c0 = (uint32_t)cp;
            p.c1 = (uint32_t)cp + 1;
            p.n0 = (uint32_t)t->nlen;
            p.kind = TOK_PUNCT;
            /* fold the typographic apostrophe and quotes to ASCII */
            if (c == 0x2019 || c == 0x2018 || c == 0x2032)
                c = '\'';
            else if (c == 0x201C || c == 0x201D)
                c = '"';
            else if (c == 0x2013 || c == 0x2014)
                c = '-';
            size_t n = put_utf8(tmp, c);
            if ((rc = toks_push_norm(t, tmp, n)) < 0)
                goto out;
            p.n1 = (uint32_t)t->nlen;
            if ((rc = toks_push_norm(t, "", 1)) < 0 || (rc = toks_push(t, &p)) < 0)
                goto out;
        }
        cp++;
    }
    for (size_t k = 0; k < t->n; k++)
        if (!(t->v[k].flags & TOKF_HAS_ALPHA))
            t->v[k].flags &= (uint8_t)~TOKF_ALL_UPPER;
out:
    if (rc < 0)
        toks_release(t);
    return rc;
}

void toks_release(struct toks *t)
{
    free(t->v);
    free(t->norm);
    memset(t, 0, sizeof *t);
}

size_t text_fold(const char *s, size_t len, char *out, size_t cap)
{
    struct toks t;
    size_t n = 0;
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (toks_init(&t, s, len) < 0)
        return 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.v[i].kind == TOK_PUNCT)
            continue;
        size_t l = tok_norm_len(&t, i);
        if (n + l + 2 > cap)
            break;
        if (n)
            out[n++] = ' ';
        memcpy(out + n, tok_norm(&t, i), l);
        n += l;
    }
    out[n] = '\0';
    toks_release(&t);
    return n;
}
