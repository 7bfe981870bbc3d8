/*
 * Custom slot types: enumerated values with synonyms, optionally
 * constrained by a regex.
 *
 * Values and synonyms are kept folded (case, accents, punctuation), so
 * "Crème Brûlée!" matches "creme brulee". Matching a candidate tries, in
 * order: an exact folded match, a match after singularizing the last word
 * of both sides ("roses" ~ "rose", "lilies" ~ "lily"), and a small typo
 * (Damerau-Levenshtein distance 1 for words of 4+ letters, 2 for 8+, with
 * the first letter right). The resolved value is the canonical value of
 * whatever matched. A type with a regex accepts only text matching it
 * whole; a type with a regex and no values accepts any such text.
 * Scanning a text looks for the longest matching token runs, left to
 * right, which is how recognized values become features and fill slots.
 */
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

#define SCAN_MAX_TOKENS 6

void slot_type_release(struct slot_type *st)
{
    for (size_t v = 0; v < st->n_values; v++) {
        for (size_t f = 0; f < st->values[v].n_folded; f++) {
            free(st->values[v].folded[f]);
            if (st->values[v].singular)
                free(st->values[v].singular[f]);
        }
        free(st->values[v].folded);
        free(st->values[v].singular);
        free(st->values[v].value);
    }
    free(st->values);
    free(st->name);
    if (st->has_regex)
        regfree(&st->regex);
    free(st->regex_src);
    memset(st, 0, sizeof *st);
}

/* Singular form of the last word of s into out. */
static void singularize(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n + 1 > cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    if (n >= 4 && memcmp(out + n - 3, "ies", 3) == 0) {
        out[n - 3] = 'y';
        out[n - 2] = '\0';
    } else if (n >= 4 &&
               (memcmp(out + n - 4, "ches", 4) == 0 || memcmp(out + n - 4, "shes", 4) == 0 ||
                memcmp(out + n - 3, "xes", 3) == 0 || memcmp(out + n - 3, "ses", 3) == 0)) {
        out[n - 2] = '\0';
    } else if (n >= 3 && out[n - 1] == 's' && out[n - 2] != 's' && out[n - 2] != ' ') {
        out[n - 1] = '\0';
    }
}

/* Damerau-Levenshtein (optimal string alignment) distance, capped at max+1. */
static size_t edit_distance(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 48 || lb > 48)
        return max + 1;
    if ((la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t d[50][50];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t rowmin = SIZE_MAX;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
    }
    return d[la][lb];
}

int slot_type_prepare(struct slot_type *st)
{
    st->max_words = 1;
    for (size_t v = 0; v < st->n_values; v++) {
        struct slot_value *sv = &st->values[v];
        sv->singular = calloc(sv->n_folded + 1, sizeof *sv->singular);
        if (!sv->singular)
            return PARLEY_ENOMEM;
        for (size_t f = 0; f < sv->n_folded; f++) {
            size_t n = strlen(sv->folded[f]) + 1, words = 1;
            if (!(sv->singular[f] = malloc(n)))
                return PARLEY_ENOMEM;
            singularize(sv->folded[f], sv->singular[f], n);
            for (const char *p = sv->folded[f]; *p; p++)
                words += *p == ' ';
            if (words > st->max_words)
                st->max_words = words;
        }
    }
    return 0;
}

int slot_type_match(const struct slot_type *st, const char *folded, const char *original,
                    char *resolved, size_t cap)
{
    if (!folded[0])
        return PARLEY_ENOTFOUND;
    if (st->has_regex && regexec(&st->regex, original, 0, NULL, 0) != 0)
        return PARLEY_ENOTFOUND;
    if (st->n_values == 0) {
        snprintf(resolved, cap, "%s", original);
        return 0;
    }
    for (size_t v = 0; v < st->n_values; v++)
        for (size_t f = 0; f < st->values[v].n_folded; f++)
            if (strcmp(st->values[v].folded[f], folded) == 0) {
                snprintf(resolved, cap, "%s", st->values[v].value);
                return 0;
            }
    char sing[INTENTS_MAX_VALUE];
    singularize(folded, sing, sizeof sing);
    for (size_t v = 0; v < st->n_values; v++)
        for (size_t f = 0; f < st->values[v].n_folded; f++) {
            if (strcmp(st->values[v].singular[f], sing) == 0) {
                snprintf(resolved, cap, "%s", st->values[v].value);
                return 0;
            }
        }
    size_t len = strlen(folded);
    if (len < 4)
        return PARLEY_ENOTFOUND;
    size_t max = len >= 8 ? 2 : 1, best = max + 1, best_v = 0;
    for (size_t v = 0; v < st->n_values; v++)
        for (size_t f = 0; f < st->values[v].n_folded; f++) {
            const char *c = st->values[v].folded[f];
            if (c[0] != folded[0])
                continue;
            size_t d = edit_distance(folded, c, max);
            if (d < best) {
                best = d;
                best_v = v;
            }
        }
    if (best <= max) {
        snprintf(resolved, cap, "%s", st->values[best_v].value);
        return 0;
    }
    return PARLEY_ENOTFOUND;
}

size_t slot_type_scan(const struct slot_type *st, const char *text, const struct toks *t,
                      struct bi_match *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < max;) {
        if (t->v[i].kind == TOK_PUNCT) {
            i++;
            continue;
        }
        size_t matched = 0;
        /* a value of w words spans at most 2w - 1 tokens (punctuation between) */
        size_t longest = st->n_values ? 2 * st->max_words - 1 : SCAN_MAX_TOKENS;
        if (longest > SCAN_MAX_TOKENS)
            longest = SCAN_MAX_TOKENS;
        for (size_t l = longest; l >= 1 && !matched; l--) {
            if (i + l > t->n || t->v[i + l - 1].kind == TOK_PUNCT)
                continue;
            char folded[INTENTS_MAX_VALUE], original[INTENTS_MAX_VALUE];
            size_t fl = 0;
            bool fits = true;
            for (size_t k = i; k < i + l; k++) {
                if (t->v[k].kind == TOK_PUNCT)
                    continue;
                size_t tl = tok_norm_len(t, k);
                if (fl + tl + 2 > sizeof folded) {
                    fits = false;
                    break;
                }
                if (fl)
                    folded[fl++] = ' ';
                memcpy(folded + fl, tok_norm(t, k), tl);
                fl += tl;
            }
            size_t ol = t->v[i + l - 1].b1 - t->v[i].b0;
            if (!fits || ol + 1 > sizeof original)
                continue;
            folded[fl] = '\0';
            memcpy(original, text + t->v[i].b0, ol);
            original[ol] = '\0';
            if (slot_type_match(st, folded, original, out[n].resolved, sizeof out[n].resolved) ==
                0) {
                out[n].t0 = (uint32_t)i;
                out[n].t1 = (uint32_t)(i + l);
                n++;
                matched = l;
            }
        }
        i += matched ? matched : 1;
    }
    return n;
}
