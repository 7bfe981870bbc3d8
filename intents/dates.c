/*
 * Built-in values read from words: AMAZON.NUMBER, AMAZON.DATE, AMAZON.TIME
 * and AMAZON.DURATION.
 *
 * Each parser takes a run of tokens and either consumes all of it or
 * rejects it, so a scanner can try the longest run first. Numbers read
 * digits ("1,250.5") and English words ("one hundred twenty three point
 * four five" = 123.45). Dates resolve against the caller's "now" in the
 * caller's UTC offset, with plain integer calendar arithmetic (no libc time
 * zone state, so it is thread-safe): today, tomorrow, yesterday, weekday
 * names (on or after today; "next Friday" = the Friday of next week),
 * "next week" (that Monday), "next month" and "last year" (Lex's rule: the
 * last day of a future month or year, the first of a present or past one),
 * "in 3 days", "two weeks ago", "March 17th", "the 17th of March", "March
 * 17, 2027", ISO "2027-03-17" and US "3/17/2027". A month and day without a
 * year is the next such date on or after today. Times read "3pm", "3:30
 * pm", "15:45", "noon", "midnight", "quarter past three", "ten to six" and
 * the parts of the day (MO, AF, EV, NI, like Lex); "10 o'clock" is
 * ambiguous: it has two readings, 10:00 and 22:00, and no single value.
 * Durations read "2 hours 30 minutes", "an hour",
 * "half an hour" into ISO-8601 ("PT2H30M").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intents/intents_internal.h"
#include "common/common.h"

static bool tok_is(const struct toks *t, size_t i, const char *w)
{
    return i < t->n && strcmp(tok_norm(t, i), w) == 0;
}

static int word_index(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- numbers ---- */

static const char *const units_w[] = {"zero",    "one",     "two",       "three",    "four",
                                      "five",    "six",     "seven",     "eight",    "nine",
                                      "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                      "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens_w[] = {"",      "",      "twenty",  "thirty", "forty",
                                     "fifty", "sixty", "seventy", "eighty", "ninety"};

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int small_word(const char *w)
{
    int u = word_index(w, units_w, 20);
    if (u >= 0)
        return u;
    int tn = word_index(w, tens_w, 10);
    if (tn >= 2)
        return tn * 10;
    return -1;
}

int numbers_parse(const struct toks *t, size_t t0, size_t t1, double *value)
{
    if (t0 >= t1)
        return PARLEY_ENOTFOUND;
    size_t i = t0;
    double sign = 1;
    if (tok_is(t, i, "minus") || tok_is(t, i, "negative") || tok_is(t, i, "-")) {
        sign = -1;
        i++;
    }
    if (i >= t1)
        return PARLEY_ENOTFOUND;
    /* digits: 1,250.50 */
    if (all_digits(tok_norm(t, i))) {
        char buf[64];
        size_t bl = 0;
        for (; i < t1; i++) {
            const char *w = tok_norm(t, i);
            size_t l = tok_norm_len(t, i);
            if (all_digits(w)) {
                if (bl + l + 1 >= sizeof buf)
                    return PARLEY_ENOTFOUND;
                memcpy(buf + bl, w, l);
                bl += l;
            } else if (strcmp(w, ",") == 0 && i + 1 < t1 && tok_norm_len(t, i + 1) == 3 &&
                       all_digits(tok_norm(t, i + 1)) && t->v[i].b0 == t->v[i - 1].b1) {
                continue;
            } else if (strcmp(w, ".") == 0 && i + 1 < t1 && all_digits(tok_norm(t, i + 1)) &&
                       t->v[i].b0 == t->v[i - 1].b1 && !memchr(buf, '.', bl)) {
                buf[bl++] = '.';
            } else {
                return PARLEY_ENOTFOUND;
            }
        }
        buf[bl] = '\0';
        *value = sign * strtod(buf, NULL);
        return 0;
    }
    /* words */
    double total = 0, group = 0;
    bool any = false, last_small = false;
    for (; i < t1; i++) {
        const char *w = tok_norm(t, i);
        int v = small_word(w);
        if (v >= 0) {
            if (last_small && !(group >= 20 && (long)group % 10 == 0 && v < 10))
                return PARLEY_ENOTFOUND;
            group += v;
            any = true;
            last_small = true;
            continue;
        }
        last_small = false;
        if (strcmp(w, "hundred") == 0) {
            group = (group ? group : 1) * 100;
        } else if (strcmp(w, "thousand") == 0 || strcmp(w, "million") == 0 ||
                   strcmp(w, "billion") == 0) {
            double mul = w[0] == 't' ? 1e3 : w[0] == 'm' ? 1e6 : 1e9;
            total += (group ? group : 1) * mul;
            group = 0;
        } else if (strcmp(w, "dozen") == 0) {
            group = (group ? group : 1) * 12;
        } else if ((strcmp(w, "a") == 0 || strcmp(w, "and") == 0) && any) {
            continue;
        } else if (strcmp(w, "a") == 0 && i + 1 < t1 &&
                   (tok_is(t, i + 1, "hundred") || tok_is(t, i + 1, "thousand") ||
                    tok_is(t, i + 1, "dozen"))) {
            continue;
        } else if (strcmp(w, "point") == 0 && any && i + 1 < t1) {
            double frac = 0, scale = 0.1;
            for (i++; i < t1; i++) {
                int d = word_index(tok_norm(t, i), units_w, 10);
                if (d < 0)
                    return PARLEY_ENOTFOUND;
                frac += d * scale;
                scale /= 10;
            }
            *value = sign * (total + group + frac);
            return 0;
        } else {
            return PARLEY_ENOTFOUND;
        }
        any = true;
    }
    if (!any || tok_is(t, t1 - 1, "and") || tok_is(t, t1 - 1, "a"))
        return PARLEY_ENOTFOUND;
    *value = sign * (total + group);
    return 0;
}

void numbers_format(double v, char *out, size_t cap)
{
    if (fabs(v - round(v)) < 1e-9 && fabs(v) < 1e15) {
        snprintf(out, cap, "%lld", (long long)llround(v));
        return;
    }
    snprintf(out, cap, "%.6f", v);
    /* trim trailing zeros */
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

/* ---- calendar ---- */

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int64_t today_days(const struct intents_context *ctx)
{
    int64_t now = ctx ? ctx->now : 0;
    int64_t off = ctx ? (int64_t)ctx->tz_offset_min * 60 : 0;
    int64_t s = now + off;
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* 0 = Monday .. 6 = Sunday */
static int weekday_of(int64_t days)
{
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static void format_day(int64_t days, char *out, size_t cap)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* Which day format_months_away gives. */
enum months_day { SAME_DAY, MONTH_FIRST, MONTH_LAST, YEAR_FIRST, YEAR_LAST };

/* A date `months` months from today's: the same day (the last of the month
 * when that is shorter), or the first or last day of its month or year. */
static void format_months_away(int64_t today, int64_t months, enum months_day day, char *out,
                               size_t cap)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(today, &y, &m, &d);
    int64_t k = y * 12 + (m - 1) + months;
    y = k >= 0 ? k / 12 : -((-k + 11) / 12);
    m = day == YEAR_FIRST ? 1 : day == YEAR_LAST ? 12 : (unsigned)(k - y * 12) + 1;
    if (day == MONTH_FIRST || day == YEAR_FIRST)
        d = 1;
    else if (day != SAME_DAY || d > days_in_month(y, m))
        d = days_in_month(y, m);
    snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

static const char *const weekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};
static const char *const weekdays3[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const months[] = {"january",   "february", "march",    "april",
                                     "may",       "june",     "july",     "august",
                                     "september", "october",  "november", "december"};
static const char *const months3[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const ordinals[] = {"",
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
                                       "twenty first",
                                       "twenty second",
                                       "twenty third",
                                       "twenty fourth",
                                       "twenty fifth",
                                       "twenty sixth",
                                       "twenty seventh",
                                       "twenty eighth",
                                       "twenty ninth",
                                       "thirtieth",
                                       "thirty first"};

static int weekday_word(const char *w)
{
    int i = word_index(w, weekdays, 7);
    if (i < 0)
        i = word_index(w, weekdays3, 7);
    if (i < 0 && (strcmp(w, "tues") == 0))
        i = 1;
    if (i < 0 && (strcmp(w, "thur") == 0 || strcmp(w, "thurs") == 0))
        i = 3;
    return i;
}

static int month_word(const char *w)
{
    int i = word_index(w, months, 12);
    if (i < 0)
        i = word_index(w, months3, 12);
    if (i < 0 && strcmp(w, "sept") == 0)
        i = 8;
    return i < 0 ? -1 : i + 1;
}

/* A day of the month at tokens [*i..): "17", "17th", "seventeenth", "twenty first". */
static int day_number(const struct toks *t, size_t *i, size_t end)
{
    if (*i >= end)
        return -1;
    const char *w = tok_norm(t, *i);
    char *e;
    long v = strtol(w, &e, 10);
    if (e != w) {
        if (*e && strcmp(e, "st") && strcmp(e, "nd") && strcmp(e, "rd") && strcmp(e, "th"))
            return -1;
        if (v < 1 || v > 31)
            return -1;
        (*i)++;
        return (int)v;
    }
    if (*i + 1 < end && (strcmp(w, "twenty") == 0 || strcmp(w, "thirty") == 0)) {
        char two[32];
        snprintf(two, sizeof two, "%s %s", w, tok_norm(t, *i + 1));
        int k = word_index(two, ordinals, 32);
        if (k > 0) {
            *i += 2;
            return k;
        }
    }
    int k = word_index(w, ordinals, 32);
    if (k > 0) {
        (*i)++;
        return k;
    }
    return -1;
}

static int year_number(const struct toks *t, size_t *i, size_t end)
{
    if (*i >= end || !all_digits(tok_norm(t, *i)) || tok_norm_len(t, *i) != 4)
        return -1;
    long y = strtol(tok_norm(t, *i), NULL, 10);
    (*i)++;
    return (int)y;
}

static int resolve_md(int64_t today, int y, int m, int d, char *out, size_t cap)
{
    int64_t ty;
    unsigned tm, td;
    civil_from_days(today, &ty, &tm, &td);
    if (y < 0) {
        y = (int)ty;
        if ((unsigned)m < tm || ((unsigned)m == tm && (unsigned)d < td))
            y++;
    }
    if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
        return PARLEY_ENOTFOUND;
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
    return 0;
}

int dates_parse(const struct toks *t, size_t t0, size_t t1, const struct intents_context *ctx,
                char *out, size_t cap)
{
    int64_t today = today_days(ctx);
    size_t n = t1 - t0;
    if (n == 0)
        return PARLEY_ENOTFOUND;
    const char *w0 = tok_norm(t, t0);
    if (n == 1) {
        int64_t d = INT64_MIN;
        if (strcmp(w0, "today") == 0 || strcmp(w0, "tonight") == 0 || strcmp(w0, "now") == 0)
            d = today;
        else if (strcmp(w0, "tomorrow") == 0 || strcmp(w0, "tmrw") == 0)
            d = today + 1;
        else if (strcmp(w0, "yesterday") == 0)
            d = today - 1;
        if (d != INT64_MIN) {
            format_day(d, out, cap);
            return 0;
        }
    }
    /* the day after tomorrow */
    size_t i = t0;
    if (tok_is(t, i, "the") && n > 1)
        i++;
    if (t1 - i == 3 && tok_is(t, i, "day") && tok_is(t, i + 1, "after") &&
        tok_is(t, i + 2, "tomorrow")) {
        format_day(today + 2, out, cap);
        return 0;
    }
    /* [this|next|on] weekday */
    i = t0;
    int rel = 0;
    if (tok_is(t, i, "this") || tok_is(t, i, "on") || tok_is(t, i, "coming")) {
        i++;
    } else if (tok_is(t, i, "next")) {
        rel = 1;
        i++;
    } else if (tok_is(t, i, "last")) {
        rel = -1;
        i++;
    }
    if (i + 1 == t1) {
        int wd = weekday_word(tok_norm(t, i));
        if (wd >= 0) {
            int tw = weekday_of(today);
            int64_t d;
            if (rel == 0)
                d = today + ((wd - tw + 7) % 7);
            else if (rel > 0)
                d = today - tw + 7 + wd; /* that day of next week */
            else
                d = today - ((tw - wd + 7) % 7 ? (tw - wd + 7) % 7 : 7);
            format_day(d, out, cap);
            return 0;
        }
        if (tok_is(t, i, "week") && (rel != 0 || tok_is(t, t0, "this"))) {
            int tw = weekday_of(today);
            format_day(today - tw + (rel > 0 ? 7 : rel < 0 ? -7 : 0), out, cap);
            return 0;
        }
        if ((tok_is(t, i, "month") || tok_is(t, i, "year")) &&
            (rel != 0 || tok_is(t, t0, "this"))) {
            /* as Lex: the first day of a present or past month or year, the
             * last day of a future one */
            bool year = tok_is(t, i, "year");
            enum months_day day =
                year ? (rel > 0 ? YEAR_LAST : YEAR_FIRST) : (rel > 0 ? MONTH_LAST : MONTH_FIRST);
            format_months_away(today, year ? 12 * rel : rel, day, out, cap);
            return 0;
        }
        if (tok_is(t, i, "weekend") && rel >= 0) {
            int tw = weekday_of(today);
            format_day(today - tw + 5 + (rel > 0 ? 7 : 0), out, cap);
            return 0;
        }
    }
    /* in N days / weeks / months / years, and N of them ago */
    bool in = tok_is(t, t0, "in"), ago = tok_is(t, t1 - 1, "ago");
    if ((in || ago) && n >= 3) {
        double v;
        size_t a = in ? t0 + 1 : t0, z = in ? t1 - 1 : t1 - 2;
        const char *u = tok_norm(t, z);
        if (numbers_parse(t, a, z, &v) == 0 || (z - a == 1 && tok_is(t, a, "a") && (v = 1) > 0)) {
            int64_t k = (int64_t)v * (ago ? -1 : 1);
            if (v != floor(v) || v < 0 || v > 10000)
                return PARLEY_ENOTFOUND;
            if (strcmp(u, "day") == 0 || strcmp(u, "days") == 0) {
                format_day(today + k, out, cap);
                return 0;
            }
            if (strcmp(u, "week") == 0 || strcmp(u, "weeks") == 0) {
                format_day(today + 7 * k, out, cap);
                return 0;
            }
            if (strcmp(u, "month") == 0 || strcmp(u, "months") == 0 || strcmp(u, "year") == 0 ||
                strcmp(u, "years") == 0) {
                format_months_away(today, u[0] == 'y' ? 12 * k : k, SAME_DAY, out, cap);
                return 0;
            }
        }
    }
    /* ISO 2027-03-17 and US 3/17[/2027] */
    if (n == 5 && all_digits(tok_norm(t, t0)) && tok_norm_len(t, t0) == 4 &&
        tok_is(t, t0 + 1, "-") && tok_is(t, t0 + 3, "-") && all_digits(tok_norm(t, t0 + 2)) &&
        all_digits(tok_norm(t, t0 + 4))) {
        int y = (int)strtol(tok_norm(t, t0), NULL, 10);
        int m = (int)strtol(tok_norm(t, t0 + 2), NULL, 10);
        int d = (int)strtol(tok_norm(t, t0 + 4), NULL, 10);
        return resolve_md(today, y, m, d, out, cap);
    }
    if ((n == 3 || n == 5) && all_digits(tok_norm(t, t0)) && tok_is(t, t0 + 1, "/") &&
        all_digits(tok_norm(t, t0 + 2)) &&
        (n == 3 || (tok_is(t, t0 + 3, "/") && all_digits(tok_norm(t, t0 + 4))))) {
        int m = (int)strtol(tok_norm(t, t0), NULL, 10);
        int d = (int)strtol(tok_norm(t, t0 + 2), NULL, 10);
        int y = -1;
        if (n == 5) {
            y = (int)strtol(tok_norm(t, t0 + 4), NULL, 10);
            if (y < 100)
                y += 2000;
        }
        return resolve_md(today, y, m, d, out, cap);
    }
    /* [weekday[,]] [the] month day[th] [[,] year] | [the] day[th] [of] month [year] */
    i = t0;
    if (weekday_word(tok_norm(t, i)) >= 0 && i + 1 < t1) {
        i++;
        if (tok_is(t, i, ","))
            i++;
    }
    if (tok_is(t, i, "the"))
        i++;
    int m = i < t1 ? month_word(tok_norm(t, i)) : -1, d = -1, y = -1;
    if (m > 0) {
        i++;
        if (tok_is(t, i, "the"))
            i++;
        d = day_number(t, &i, t1);
    } else {
        d = day_number(t, &i, t1);
        if (d > 0) {
            if (tok_is(t, i, "of"))
                i++;
            m = i < t1 ? month_word(tok_norm(t, i)) : -1;
            if (m > 0)
                i++;
        }
    }
    if (m > 0 && d > 0) {
        if (tok_is(t, i, ",") && i + 1 < t1)
            i++;
        if (i < t1)
            y = year_number(t, &i, t1);
        if (i == t1)
            return resolve_md(today, y, m, d, out, cap);
    }
    return PARLEY_ENOTFOUND;
}

/* ---- times ---- */

/* "am", "pm", "a.m.", "p.m." at token i: how many tokens, *ampm 1 (am) or
 * 2 (pm); 0 when there is none. */
static size_t ampm_at(const struct toks *t, size_t i, size_t t1, int *ampm)
{
    *ampm = 0;
    if (i >= t1)
        return 0;
    const char *x = tok_norm(t, i);
    if (strcmp(x, "am") == 0 || strcmp(x, "pm") == 0) {
        *ampm = x[0] == 'a' ? 1 : 2;
        return 1;
    }
    if ((strcmp(x, "a") == 0 || strcmp(x, "p") == 0) && tok_is(t, i + 1, ".") &&
        tok_is(t, i + 2, "m") && i + 2 < t1) {
        *ampm = x[0] == 'a' ? 1 : 2;
        return tok_is(t, i + 3, ".") && i + 3 < t1 ? 4 : 3;
    }
    return 0;
}

/* Hour h read with am (1), pm (2) or neither (0), on the 24-hour clock; -1
 * for an am or pm hour outside 1-12. */
static long hour_24(long h, int ampm)
{
    if (!ampm)
        return h;
    if (h < 1 || h > 12)
        return -1;
    return ampm == 1 ? h % 12 : h % 12 + 12;
}

/* Writes HH:MM, or "~HH:MM" for an ambiguous time (TIME_AMBIGUOUS). */
static int time_out(long h, long mi, bool ambiguous, char *out, size_t cap)
{
    if (ambiguous)
        snprintf(out, cap, "%c%02ld:%02ld", TIME_AMBIGUOUS, h, mi);
    else
        snprintf(out, cap, "%02ld:%02ld", h, mi);
    return 0;
}

/* "quarter past three", "half past 7 pm", "ten to six", "20 minutes after 4" */
static int times_parse_past_to(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap)
{
    size_t k = t0;
    long mins = -1;
    double v;
    if (tok_is(t, k, "a") && tok_is(t, k + 1, "quarter"))
        k++;
    if (tok_is(t, k, "quarter"))
        mins = 15;
    else if (tok_is(t, k, "half"))
        mins = 30;
    else if (k < t1 && numbers_parse(t, k, k + 1, &v) == 0 && v == floor(v) && v >= 1 && v < 60)
        mins = (long)v;
    if (mins < 0 || ++k >= t1)
        return PARLEY_ENOTFOUND;
    if (tok_is(t, k, "minutes") || tok_is(t, k, "minute") || tok_is(t, k, "mins"))
        k++;
    int dir = tok_is(t, k, "past") || tok_is(t, k, "after")                         ? 1
              : tok_is(t, k, "to") || tok_is(t, k, "before") || tok_is(t, k, "til") ? -1
                                                                                    : 0;
    if (!dir || (mins == 30 && dir < 0) || ++k >= t1 || numbers_parse(t, k, k + 1, &v) < 0 ||
        v != floor(v) || v < 0 || v > 23)
        return PARLEY_ENOTFOUND;
    long h = (long)v;
    int ampm;
    k++;
    k += ampm_at(t, k, t1, &ampm);
    bool ambiguous = !ampm && h >= 1 && h <= 12;
    if (k != t1 || (h = hour_24(h, ampm)) < 0)
        return PARLEY_ENOTFOUND;
    long total = (h * 60 + dir * mins + 1440) % 1440;
    return time_out(total / 60, total % 60, ambiguous, out, cap);
}

int times_parse(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap)
{
    size_t n = t1 - t0;
    if (n == 0)
        return PARLEY_ENOTFOUND;
    const char *w = tok_norm(t, t0);
    if (n == 1 || (n == 2 && (tok_is(t, t0, "the") || tok_is(t, t0, "this")))) {
        const char *x = tok_norm(t, t1 - 1);
        const char *r = NULL;
        if (strcmp(x, "noon") == 0 || strcmp(x, "midday") == 0)
            r = "12:00";
        else if (strcmp(x, "midnight") == 0)
            r = "00:00";
        else if (strcmp(x, "morning") == 0)
            r = "MO";
        else if (strcmp(x, "afternoon") == 0)
            r = "AF";
        else if (strcmp(x, "evening") == 0)
            r = "EV";
        else if (strcmp(x, "night") == 0 || strcmp(x, "tonight") == 0)
            r = "NI";
        if (r) {
            snprintf(out, cap, "%s", r);
            return 0;
        }
    }
    if (times_parse_past_to(t, t0, t1, out, cap) == 0)
        return 0;
    /* H[:MM][am|pm] | H o'clock */
    size_t i = t0;
    char *e;
    long h = strtol(w, &e, 10), mi = 0;
    if (e == w)
        h = small_word(w), e = (char *)"";
    if (h < 0 || h > 23)
        return PARLEY_ENOTFOUND;
    const char *suffix = e;
    i++;
    bool has_min = false;
    if (!*suffix && i + 1 < t1 && tok_is(t, i, ":") && tok_norm_len(t, i + 1) >= 2) {
        const char *mw = tok_norm(t, i + 1);
        if (!(mw[0] >= '0' && mw[0] <= '5' && mw[1] >= '0' && mw[1] <= '9'))
            return PARLEY_ENOTFOUND;
        mi = (mw[0] - '0') * 10 + (mw[1] - '0');
        suffix = mw + 2;
        has_min = true;
        i += 2;
    }
    int ampm = 0;
    bool oclock = false;
    if (*suffix) {
        if (strcmp(suffix, "am") == 0 || strcmp(suffix, "a") == 0)
            ampm = 1;
        else if (strcmp(suffix, "pm") == 0 || strcmp(suffix, "p") == 0)
            ampm = 2;
        else
            return PARLEY_ENOTFOUND;
    } else if (i < t1) {
        const char *x = tok_norm(t, i);
        size_t used = ampm_at(t, i, t1, &ampm);
        if (used) {
            i += used;
        } else if (strcmp(x, "o") == 0 && tok_is(t, i + 1, "'") && tok_is(t, i + 2, "clock")) {
            oclock = true;
            i += 3;
        } else if (strcmp(x, "oclock") == 0) {
            oclock = true;
            i++;
        }
    }
    if (i != t1)
        return PARLEY_ENOTFOUND;
    if (!ampm && !has_min && !oclock)
        return PARLEY_ENOTFOUND; /* a bare number is not a time */
    /* "10 o'clock" is 10:00 or 22:00; "10:30" reads as a 24-hour time */
    bool ambiguous = !ampm && oclock && !has_min && h >= 1 && h <= 12;
    if ((h = hour_24(h, ampm)) < 0)
        return PARLEY_ENOTFOUND;
    return time_out(h, mi, ambiguous, out, cap);
}

/* ---- durations ---- */

int durations_parse(const struct toks *t, size_t t0, size_t t1, char *out, size_t cap)
{
    static const char *const unit_names[][4] = {
        {"year", "years", "yr", "yrs"},      {"month", "months", "mo", "mos"},
        {"week", "weeks", "wk", "wks"},      {"day", "days", "d", "days"},
        {"hour", "hours", "hr", "hrs"},      {"minute", "minutes", "min", "mins"},
        {"second", "seconds", "sec", "secs"}};
    double amount[7] = {0};
    bool any = false;
    size_t i = t0;
    if (t1 - t0 == 3 && tok_is(t, t0, "half") &&
        (tok_is(t, t0 + 1, "an") || tok_is(t, t0 + 1, "a"))) {
        const char *u = tok_norm(t, t0 + 2);
        if (strcmp(u, "hour") == 0) {
            snprintf(out, cap, "PT30M");
            return 0;
        }
        if (strcmp(u, "day") == 0) {
            snprintf(out, cap, "PT12H");
            return 0;
        }
    }
    while (i < t1) {
        if (any && (tok_is(t, i, "and") || tok_is(t, i, ","))) {
            i++;
            continue;
        }
        /* number then unit */
        size_t u = i + 1;
        int unit = -1;
        for (; u < t1 && u <= i + 6; u++) {
            for (int k = 0; k < 7 && unit < 0; k++)
                for (int a = 0; a < 4; a++)
                    if (strcmp(tok_norm(t, u), unit_names[k][a]) == 0)
                        unit = k;
            if (unit >= 0)
                break;
        }
        if (unit < 0)
            return PARLEY_ENOTFOUND;
        double v;
        if (u == i + 1 && (tok_is(t, i, "a") || tok_is(t, i, "an")))
            v = 1;
        else if (numbers_parse(t, i, u, &v) < 0 || v < 0)
            return PARLEY_ENOTFOUND;
        amount[unit] += v;
        any = true;
        i = u + 1;
    }
    if (!any)
        return PARLEY_ENOTFOUND;
    struct buf b = BUF_INIT(INTENTS_MAX_VALUE);
    static const char date_units[] = "YMWD", time_units[] = "HMS";
    buf_puts(&b, "P");
    for (int k = 0; k < 4; k++)
        if (amount[k] > 0) {
            char num[32];
            numbers_format(amount[k], num, sizeof num);
            buf_printf(&b, "%s%c", num, date_units[k]);
        }
    if (amount[4] > 0 || amount[5] > 0 || amount[6] > 0) {
        buf_puts(&b, "T");
        for (int k = 4; k < 7; k++)
            if (amount[k] > 0) {
                char num[32];
                numbers_format(amount[k], num, sizeof num);
                buf_printf(&b, "%s%c", num, time_units[k - 4]);
            }
    }
    snprintf(out, cap, "%s", b.data ? b.data : "");
    buf_release(&b);
    return b.len > 1 || out[1] ? 0 : PARLEY_ENOTFOUND;
}
