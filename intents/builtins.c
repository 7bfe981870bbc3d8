/*
 * Built-in slot types (AMAZON.*): names, parsing one token run, scanning a
 * text, and the sample values used to fill {Slot} in sample utterances.
 *
 * The word-based parsers live in dates.c; this file adds the ones read from
 * the raw text or a list: e-mail addresses (the characters around an '@'),
 * phone numbers (7 to 15 digits with the usual separators), cities (the
 * shipped gazetteer in gazetteer.c, longest match), first names (a list,
 * or any single word when it is the answer being elicited) and
 * alphanumerics (letters and digits with the spaces removed, "a b 1 2 3"
 * = "AB123" — also only when elicited). Scanning tries the longest token
 * run at each position first and moves past what it matched, so values do
 * not overlap.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define SCAN_MAX_TOKENS 8

static const struct {
    const char *name;
    enum builtin_type type;
} builtin_names[] = {
    {"AMAZON.DATE", BI_DATE},
    {"AMAZON.TIME", BI_TIME},
    {"AMAZON.NUMBER", BI_NUMBER},
    {"AMAZON.DURATION", BI_DURATION},
    {"AMAZON.US_CITY", BI_CITY},
    {"AMAZON.City", BI_CITY},
    {"AMAZON.EmailAddress", BI_EMAIL},
    {"AMAZON.PhoneNumber", BI_PHONE},
    {"AMAZON.AlphaNumeric", BI_ALNUM},
    {"AMAZON.FirstName", BI_FIRSTNAME},
    {"AMAZON.US_FIRST_NAME", BI_FIRSTNAME},
};

enum builtin_type builtin_lookup(const char *name)
{
    if (!name)
        return BI_NONE;
    for (size_t i = 0; i < sizeof builtin_names / sizeof builtin_names[0]; i++)
        if (strcmp(builtin_names[i].name, name) == 0)
            return builtin_names[i].type;
    return BI_NONE;
}

const char *builtin_name(enum builtin_type b)
{
    for (size_t i = 0; i < sizeof builtin_names / sizeof builtin_names[0]; i++)
        if (builtin_names[i].type == b)
            return builtin_names[i].name;
    return "";
}

const char *const *builtin_samples(enum builtin_type b, size_t *n)
{
    static const char *const dates[] = {"tomorrow",    "Tuesday",         "March 17th", "today",
                                        "next Friday", "the 3rd of June", "2027-03-17"};
    static const char *const times[] = {"3pm", "10:30 am", "noon", "7 pm", "18:45"};
    static const char *const numbers[] = {"2", "three", "10", "one hundred", "42"};
    static const char *const durations[] = {"two hours", "30 minutes", "3 days", "an hour"};
    static const char *const cities[] = {"Auckland",      "New York", "Chicago", "Wellington",
                                         "San Francisco", "Boston",   "Seattle"};
    static const char *const emails[] = {"jane@example.com", "bob.smith@mail.org"};
    static const char *const phones[] = {"555 123 4567", "+1 206 555 0100"};
    static const char *const alnums[] = {"AB123", "X9Y7", "42ZK"};
    static const char *const names[] = {"John", "Maria", "Aroha", "David", "Sarah"};
    static const char *const none[] = {"something"};
#define RET(a)                                                                                     \
    do {                                                                                           \
        *n = sizeof a / sizeof a[0];                                                               \
        return a;                                                                                  \
    } while (0)
    switch (b) {
    case BI_DATE:
        RET(dates);
    case BI_TIME:
        RET(times);
    case BI_NUMBER:
        RET(numbers);
    case BI_DURATION:
        RET(durations);
    case BI_CITY:
        RET(cities);
    case BI_EMAIL:
        RET(emails);
    case BI_PHONE:
        RET(phones);
    case BI_ALNUM:
        RET(alnums);
    case BI_FIRSTNAME:
        RET(names);
    default:
        RET(none);
    }
#undef RET
}

static void title_case(const char *folded, char *out, size_t cap)
{
    size_t n = 0;
    bool start = true;
    for (const char *p = folded; *p && n + 1 < cap; p++) {
        char c = *p;
        out[n++] = start && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        start = c == ' ' || c == '-' || c == '.';
    }
    out[n] = '\0';
}

/* Folded words [t0,t1) joined by spaces (punctuation skipped). */
static bool join_words(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = t0; i < t1; i++) {
        if (t->v[i].kind == TOK_PUNCT) {
            if (strcmp(tok_norm(t, i), ".") == 0 || strcmp(tok_norm(t, i), "-") == 0 ||
                strcmp(tok_norm(t, i), "'") == 0)
                continue;
            return false;
        }
        size_t l = tok_norm_len(t, i);
        if (n + l + 2 > cap)
            return false;
        if (n)
            out[n++] = ' ';
        memcpy(out + n, tok_norm(t, i), l);
        n += l;
    }
    out[n] = '\0';
    return n > 0;
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(list[mid], w);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool tok_is_plus(const struct toks *t, size_t i)
{
    return i < t->n && strcmp(tok_norm(t, i), "+") == 0;
}

static int parse_email(const char *text, const struct toks *t, size_t t0, size_t t1, char *out,
                       size_t cap)
{
    size_t b0 = t->v[t0].b0, b1 = t->v[t1 - 1].b1;
    size_t at = 0, n_at = 0;
    if (b1 - b0 >= cap)
        return PARLEY_ENOTFOUND;
    for (size_t i = b0; i < b1; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '@') {
            at = i;
            n_at++;
        } else if (!isalnum(c) && !strchr("._%+-", c)) {
            return PARLEY_ENOTFOUND;
        }
    }
    if (n_at != 1 || at == b0 || at + 1 >= b1)
        return PARLEY_ENOTFOUND;
    const char *dot = memchr(text + at, '.', b1 - at);
    if (!dot || dot == text + at + 1 || text[b1 - 1] == '.')
        return PARLEY_ENOTFOUND;
    size_t n = 0;
    for (size_t i = b0; i < b1; i++)
        out[n++] = (char)tolower((unsigned char)text[i]);
    out[n] = '\0';
    return 0;
}

static int parse_phone(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap)
{
    size_t n = 0, digits = 0;
    if (tok_is_plus(t, t0))
        out[n++] = '+', t0++;
    if (t0 >= t1 || t->v[t0].kind != TOK_NUM)
        return PARLEY_ENOTFOUND;
    for (size_t i = t0; i < t1; i++) {
        const char *w = tok_norm(t, i);
        if (t->v[i].kind == TOK_NUM) {
            size_t l = tok_norm_len(t, i);
            if (n + l + 1 > cap)
                return PARLEY_ENOTFOUND;
            memcpy(out + n, w, l);
            n += l;
            digits += l;
        } else if (!(strcmp(w, "-") == 0 || strcmp(w, "(") == 0 || strcmp(w, ")") == 0 ||
                     strcmp(w, ".") == 0)) {
            return PARLEY_ENOTFOUND;
        }
    }
    if (t->v[t1 - 1].kind != TOK_NUM || digits < 7 || digits > 15)
        return PARLEY_ENOTFOUND;
    out[n] = '\0';
    return 0;
}

int builtin_parse(enum builtin_type b, const char *text, const struct toks *t, size_t t0, size_t t1,
                  const struct intents_context *ctx, char *resolved, size_t cap)
{
    char w[INTENTS_MAX_VALUE];
    double v;
    if (t0 >= t1 || t1 > t->n)
        return PARLEY_ENOTFOUND;
    resolved[0] = '\0';
    switch (b) {
    case BI_DATE:
        return dates_parse(t, t0, t1, ctx, resolved, cap);
    case BI_TIME:
        return times_parse(t, t0, t1, resolved, cap);
    case BI_NUMBER:
        if (numbers_parse(t, t0, t1, &v) < 0)
            return PARLEY_ENOTFOUND;
        numbers_format(v, resolved, cap);
        return 0;
    case BI_DURATION:
        return durations_parse(t, t0, t1, resolved, cap);
    case BI_CITY:
        if (!join_words(t, t0, t1, w, sizeof w) ||
            !in_list(w, gazetteer_cities, gazetteer_n_cities))
            return PARLEY_ENOTFOUND;
        title_case(w, resolved, cap);
        return 0;
    case BI_EMAIL:
        return parse_email(text, t, t0, t1, resolved, cap);
    case BI_PHONE:
        return parse_phone(t, t0, t1, resolved, cap);
    case BI_FIRSTNAME:
        if (t1 - t0 != 1 || t->v[t0].kind != TOK_WORD)
            return PARLEY_ENOTFOUND;
        title_case(tok_norm(t, t0), resolved, cap);
        return 0;
    case BI_ALNUM: {
        size_t n = 0;
        for (size_t i = t0; i < t1; i++) {
            if (t->v[i].kind == TOK_PUNCT)
                return PARLEY_ENOTFOUND;
            size_t l = t->v[i].b1 - t->v[i].b0;
            if (n + l + 1 > cap)
                return PARLEY_ENOTFOUND;
            for (size_t k = 0; k < l; k++)
                resolved[n++] = (char)toupper((unsigned char)text[t->v[i].b0 + k]);
        }
        resolved[n] = '\0';
        return 0;
    }
    default:
        return PARLEY_ENOTFOUND;
    }
}

/* Words that may start a value, with the types they may start (bit 1 << type),
 * in a small hash set built once (pthread_once: safe from many threads). */
static const char *const starter_words[] = {
    /* numbers (NUMBER, TIME, DURATION, DATE) */
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    NULL,
    /* dates */
    "now",
    "a",
    "today",
    "tonight",
    "tomorrow",
    "tmrw",
    "yesterday",
    "the",
    "day",
    "this",
    "on",
    "coming",
    "next",
    "last",
    "in",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty",
    "thirty",
    "thirtieth",
    NULL,
    /* times */
    "noon",
    "midday",
    "midnight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "tonight",
    "the",
    "this",
    "quarter",
    "half",
    "a",
    NULL,
    /* durations */
    "a",
    "an",
    "half",
    NULL,
    /* numbers only */
    "minus",
    "negative",
    "-",
    "a",
    NULL,
};

enum { STARTER_SLOTS = 512 };
static struct {
    uint64_t key;
    unsigned mask;
} starters[STARTER_SLOTS];
static pthread_once_t starters_once = PTHREAD_ONCE_INIT;

static void starters_add(const char *w, unsigned mask)
{
    uint64_t h = hash_bytes(21, w, strlen(w));
    size_t j = h & (STARTER_SLOTS - 1);
    while (starters[j].key && starters[j].key != h)
        j = (j + 1) & (STARTER_SLOTS - 1);
    starters[j].key = h;
    starters[j].mask |= mask;
}

static void starters_build(void)
{
    const unsigned group_mask[] = {
        1u << BI_NUMBER | 1u << BI_TIME | 1u << BI_DURATION | 1u << BI_DATE, /* "two weeks ago" */
        1u << BI_DATE, 1u << BI_TIME, 1u << BI_DURATION, 1u << BI_NUMBER};
    size_t g = 0;
    for (size_t i = 0; i < sizeof starter_words / sizeof starter_words[0]; i++) {
        if (!starter_words[i]) {
            g++;
            continue;
        }
        starters_add(starter_words[i], group_mask[g]);
    }
}

static unsigned starter_mask(const char *w, size_t len)
{
    pthread_once(&starters_once, starters_build);
    uint64_t h = hash_bytes(21, w, len);
    size_t j = h & (STARTER_SLOTS - 1);
    while (starters[j].key) {
        if (starters[j].key == h)
            return starters[j].mask;
        j = (j + 1) & (STARTER_SLOTS - 1);
    }
    return 0;
}

/* A cheap test on the first token of a candidate run, so scanning does not
 * try every parser at every position. */
static bool can_start(enum builtin_type b, const struct toks *t, size_t i)
{
    const struct tok *k = &t->v[i];
    const char *w = tok_norm(t, i);
    bool digit = w[0] >= '0' && w[0] <= '9';
    switch (b) {
    case BI_PHONE:
        return k->kind == TOK_NUM || strcmp(w, "+") == 0 || strcmp(w, "(") == 0;
    case BI_EMAIL:
        return k->kind != TOK_PUNCT;
    case BI_NUMBER:
    case BI_DURATION:
    case BI_TIME:
    case BI_DATE:
        return digit || (starter_mask(w, tok_norm_len(t, i)) & (1u << b));
    case BI_CITY: {
        /* some city starts with this word */
        size_t lo = 0, hi = gazetteer_n_cities, l = strlen(w);
        if (k->kind == TOK_PUNCT)
            return false;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(gazetteer_cities[mid], w) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < gazetteer_n_cities && strncmp(gazetteer_cities[lo], w, l) == 0 &&
               (gazetteer_cities[lo][l] == '\0' || gazetteer_cities[lo][l] == ' ');
    }
    default:
        return k->kind != TOK_PUNCT;
    }
}

size_t builtin_scan(enum builtin_type b, const char *text, const struct toks *t,
                    const struct intents_context *ctx, struct bi_match *out, size_t max)
{
    size_t n = 0;
    if (b == BI_ALNUM) {
        /* the whole answer */
        size_t a = 0, z = t->n;
        while (a < z && t->v[a].kind == TOK_PUNCT)
            a++;
        while (z > a && t->v[z - 1].kind == TOK_PUNCT)
            z--;
        if (a < z && max > 0 &&
            builtin_parse(b, text, t, a, z, ctx, out[0].resolved, sizeof out[0].resolved) == 0) {
            out[0].t0 = (uint32_t)a;
            out[0].t1 = (uint32_t)z;
            return 1;
        }
        return 0;
    }
    if (b == BI_FIRSTNAME) {
        /* a listed name anywhere, else a single-word answer */
        for (size_t i = 0; i < t->n && n < max; i++)
            if (t->v[i].kind == TOK_WORD &&
                in_list(tok_norm(t, i), gazetteer_first_names, gazetteer_n_first_names)) {
                title_case(tok_norm(t, i), out[n].resolved, sizeof out[n].resolved);
                out[n].t0 = (uint32_t)i;
                out[n].t1 = (uint32_t)i + 1;
                n++;
            }
        if (n == 0 && t->n == 1 && max > 0 &&
            builtin_parse(b, text, t, 0, 1, ctx, out[0].resolved, sizeof out[0].resolved) == 0) {
            out[0].t0 = 0;
            out[0].t1 = 1;
            n = 1;
        }
        return n;
    }
    if (b == BI_EMAIL && !memchr(text, '@', t->n ? t->v[t->n - 1].b1 : 0))
        return 0;
    size_t span = b == BI_EMAIL || b == BI_PHONE ? 24 : b == BI_CITY ? 4 : SCAN_MAX_TOKENS;
    for (size_t i = 0; i < t->n && n < max;) {
        size_t matched = 0;
        if (can_start(b, t, i)) {
            size_t top = t->n - i < span ? t->n - i : span;
            for (size_t l = top; l >= 1; l--) {
                if (builtin_parse(b, text, t, i, i + l, ctx, out[n].resolved,
                                  sizeof out[n].resolved) == 0) {
                    out[n].t0 = (uint32_t)i;
                    out[n].t1 = (uint32_t)(i + l);
                    n++;
                    matched = l;
                    break;
                }
            }
        }
        i += matched ? matched : 1;
    }
    return n;
}
