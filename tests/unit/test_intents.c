/*
 * Unit tests of intents/: tokens and their offsets on non-ASCII text, every
 * built-in slot type against a fixed "now", custom types with synonyms and
 * typos, a bot's intents and slots (full utterances and elicited answers),
 * the fallback threshold, determinism, a 20-intent bot (SVM and network
 * together), and bad input.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intents/intents.h"
#include "intents/intents_internal.h"
#include "common/common.h"

/* Thursday 2026-11-26 12:00 UTC */
#define NOW 1795694400

/* ---- text ---- */

START_TEST(test_tokens_non_ascii)
{
    const char *s = "Café à Zürich, 東京! Ünïcödé—ok";
    struct toks t;
    ck_assert_int_eq(toks_init(&t, s, strlen(s)), 0);
    /* Café | à | Zürich | , | 東京 | ! | Ünïcödé | — | ok */
    ck_assert_uint_eq(t.n, 9);
    ck_assert_str_eq(tok_norm(&t, 0), "cafe");
    ck_assert_uint_eq(t.v[0].b0, 0);
    ck_assert_uint_eq(t.v[0].b1, 5); /* é is two bytes */
    ck_assert_uint_eq(t.v[0].c0, 0);
    ck_assert_uint_eq(t.v[0].c1, 4);
    ck_assert_str_eq(tok_norm(&t, 1), "a");
    ck_assert_uint_eq(t.v[1].c0, 5);
    ck_assert_str_eq(tok_norm(&t, 2), "zurich");
    ck_assert_uint_eq(t.v[2].c0, 7);
    ck_assert_uint_eq(t.v[2].c1, 13);
    ck_assert_uint_eq(t.v[2].b0, 9);
    ck_assert_uint_eq(t.v[2].b1, 16);
    ck_assert_int_eq(t.v[3].kind, TOK_PUNCT);
    ck_assert_str_eq(tok_norm(&t, 4), "東京");
    ck_assert_uint_eq(t.v[4].c0, 15);
    ck_assert_uint_eq(t.v[4].c1, 17);
    ck_assert_uint_eq(t.v[4].b1 - t.v[4].b0, 6);
    ck_assert_str_eq(tok_norm(&t, 6), "unicode");
    ck_assert_str_eq(tok_norm(&t, 7), "-"); /* the em dash folds to '-' */
    ck_assert_str_eq(tok_norm(&t, 8), "ok");
    /* the spans cut the original text exactly */
    ck_assert_int_eq(memcmp(s + t.v[6].b0, "Ünïcödé", t.v[6].b1 - t.v[6].b0), 0);
    ck_assert_uint_eq(t.v[8].c1, utf8_count(s, strlen(s)));
    toks_release(&t);
}
END_TEST

START_TEST(test_tokens_invalid_utf8)
{
    struct toks t;
    const char bad[][6] = {"a\xff"
                           "b",
                           "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(toks_init(&t, bad[i], strlen(bad[i])), PARLEY_EINVAL);
    ck_assert(!utf8_valid("a\0b", 3));
    char out[64];
    text_fold("  Crème   Brûlée!! ", 21, out, sizeof out);
    ck_assert_str_eq(out, "creme brulee");
}
END_TEST

/* ---- built-ins ---- */

struct bi_case {
    const char *type, *text, *want; /* "A|B": ambiguous, unset, with readings A and B */
};

static const struct bi_case bi_cases[] = {
    {"AMAZON.DATE", "today", "2026-11-26"},
    {"AMAZON.DATE", "tomorrow", "2026-11-27"},
    {"AMAZON.DATE", "yesterday", "2026-11-25"},
    {"AMAZON.DATE", "the day after tomorrow", "2026-11-28"},
    {"AMAZON.DATE", "Thursday", "2026-11-26"},
    {"AMAZON.DATE", "friday", "2026-11-27"},
    {"AMAZON.DATE", "on Monday", "2026-11-30"},
    {"AMAZON.DATE", "next Friday", "2026-12-04"},
    {"AMAZON.DATE", "next week", "2026-11-30"},
    {"AMAZON.DATE", "in 3 days", "2026-11-29"},
    {"AMAZON.DATE", "two weeks ago", "2026-11-12"},
    {"AMAZON.DATE", "in a month", "2026-12-26"},
    {"AMAZON.DATE", "in 3 months", "2027-02-26"},
    {"AMAZON.DATE", "a year ago", "2025-11-26"},
    {"AMAZON.DATE", "this week", "2026-11-23"},
    {"AMAZON.DATE", "last week", "2026-11-16"},
    /* a month or a year without a day, as Lex: the first day of the
     * present or a past one, the last day of a future one */
    {"AMAZON.DATE", "this month", "2026-11-01"},
    {"AMAZON.DATE", "last month", "2026-10-01"},
    {"AMAZON.DATE", "next month", "2026-12-31"},
    {"AMAZON.DATE", "this year", "2026-01-01"},
    {"AMAZON.DATE", "next year", "2027-12-31"},
    {"AMAZON.DATE", "last year", "2025-01-01"},
    {"AMAZON.DATE", "now", "2026-11-26"},
    {"AMAZON.DATE", "March 17th", "2027-03-17"},
    {"AMAZON.DATE", "the 3rd of June", "2027-06-03"},
    {"AMAZON.DATE", "December 1", "2026-12-01"},
    {"AMAZON.DATE", "march seventeenth 2028", "2028-03-17"},
    {"AMAZON.DATE", "2027-03-17", "2027-03-17"},
    {"AMAZON.DATE", "12/25", "2026-12-25"},
    {"AMAZON.DATE", "fly out on the 17th of March please", "2027-03-17"},
    {"AMAZON.TIME", "3pm", "15:00"},
    {"AMAZON.TIME", "3 p.m.", "15:00"},
    {"AMAZON.TIME", "10:30 am", "10:30"},
    {"AMAZON.TIME", "12 am", "00:00"},
    {"AMAZON.TIME", "18:45", "18:45"},
    {"AMAZON.TIME", "noon", "12:00"},
    {"AMAZON.TIME", "midnight", "00:00"},
    {"AMAZON.TIME", "in the morning", "MO"},
    {"AMAZON.TIME", "10 o'clock", "10:00|22:00"},
    {"AMAZON.TIME", "seven", "07:00|19:00"}, /* a whole answer: an hour alone */
    {"AMAZON.TIME", "at 12", "12:00|00:00"},
    {"AMAZON.TIME", "around 18", "18:00"},
    {"AMAZON.TIME", "quarter past three", "03:15|15:15"},
    {"AMAZON.TIME", "half past 7 pm", "19:30"},
    {"AMAZON.TIME", "a quarter to twelve", "11:45|23:45"},
    {"AMAZON.TIME", "ten to one", "12:50|00:50"},
    {"AMAZON.TIME", "20 minutes after 16", "16:20"},
    {"AMAZON.TIME", "quarter to 12 a.m.", "23:45"},
    {"AMAZON.NUMBER", "42", "42"},
    {"AMAZON.NUMBER", "one hundred twenty three point four five", "123.45"},
    {"AMAZON.NUMBER", "three thousand two hundred", "3200"},
    {"AMAZON.NUMBER", "1,250.5", "1250.5"},
    {"AMAZON.NUMBER", "a dozen", "12"},
    {"AMAZON.NUMBER", "minus seven", "-7"},
    {"AMAZON.NUMBER", "twenty one", "21"},
    {"AMAZON.DURATION", "two hours", "PT2H"},
    {"AMAZON.DURATION", "2 hours and 30 minutes", "PT2H30M"},
    {"AMAZON.DURATION", "3 days", "P3D"},
    {"AMAZON.DURATION", "an hour", "PT1H"},
    {"AMAZON.DURATION", "half an hour", "PT30M"},
    {"AMAZON.DURATION", "1 week", "P1W"},
    {"AMAZON.US_CITY", "new york", "New York"},
    {"AMAZON.US_CITY", "I live in SAN FRANCISCO", "San Francisco"},
    {"AMAZON.City", "Auckland", "Auckland"},
    {"AMAZON.EmailAddress", "it is Jane.Doe@Example.com thanks", "jane.doe@example.com"},
    {"AMAZON.PhoneNumber", "(206) 555-0100", "2065550100"},
    {"AMAZON.PhoneNumber", "call +64 21 555 1234", "+64215551234"},
    {"AMAZON.AlphaNumeric", "ab 123", "AB123"},
    {"AMAZON.FirstName", "maria", "Maria"},
    {"AMAZON.FirstName", "my name is John", "John"},
};

START_TEST(test_builtin_table)
{
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    const struct bi_case *c = &bi_cases[_i];
    struct intents_slot_match m;
    int rc = intents_slot_resolve(NULL, c->type, c->text, strlen(c->text), &ctx, &m);
    ck_assert_msg(rc == 0, "%s \"%s\": rc %d", c->type, c->text, rc);
    char got[2 * INTENTS_MAX_VALUE];
    if (m.n_readings) {
        ck_assert_uint_eq(m.n_readings, 2);
        ck_assert_str_eq(m.resolved, "");
        ck_assert_ptr_null(intents_slot_value(&m));
        snprintf(got, sizeof got, "%s|%s", m.readings[0], m.readings[1]);
    } else {
        snprintf(got, sizeof got, "%s", m.resolved);
    }
    ck_assert_msg(strcmp(got, c->want) == 0, "%s \"%s\": got \"%s\", want \"%s\"", c->type, c->text,
                  got, c->want);
}
END_TEST

START_TEST(test_builtin_not_found)
{
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    struct intents_slot_match m;
    const char *none[][2] = {{"AMAZON.DATE", "banana"},     {"AMAZON.TIME", "in seven"},
                             {"AMAZON.NUMBER", "lots"},     {"AMAZON.EmailAddress", "a@b"},
                             {"AMAZON.PhoneNumber", "12"},  {"AMAZON.US_CITY", "Atlantis"},
                             {"AMAZON.DATE", "February 30"}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        ck_assert_msg(intents_slot_resolve(NULL, none[i][0], none[i][1], strlen(none[i][1]), &ctx,
                                           &m) == PARLEY_ENOTFOUND,
                      "%s %s", none[i][0], none[i][1]);
    ck_assert_int_eq(intents_slot_resolve(NULL, "AMAZON.Nope", "x", 1, &ctx, &m), PARLEY_EINVAL);
}
END_TEST

START_TEST(test_date_time_zone)
{
    /* 23:30 UTC is already Friday in New Zealand (+13:00 in summer) */
    struct intents_context ctx = {NOW + 11 * 3600 + 1800, 13 * 60, NULL, NULL};
    struct intents_slot_match m;
    ck_assert_int_eq(intents_slot_resolve(NULL, "AMAZON.DATE", "today", 5, &ctx, &m), 0);
    ck_assert_str_eq(m.resolved, "2026-11-27");
    ctx.tz_offset_min = -5 * 60;
    ck_assert_int_eq(intents_slot_resolve(NULL, "AMAZON.DATE", "tomorrow", 8, &ctx, &m), 0);
    ck_assert_str_eq(m.resolved, "2026-11-27");
}
END_TEST

/* ---- a bot ---- */

static const char *const rose_syn[] = {"rose", "red roses"};
static const char *const lily_syn[] = {"lily"};
static const struct intents_value_spec flower_values[] = {
    {"roses", rose_syn, 2},
    {"lilies", lily_syn, 1},
    {"tulips", NULL, 0},
    {"chrysanthemums", NULL, 0},
};
static const struct intents_slot_type_spec bot_types[] = {
    {"FlowerTypes", flower_values, 4, INTENTS_TOP_RESOLUTION, NULL},
    {"BookingRef", NULL, 0, INTENTS_ORIGINAL_VALUE, "[A-Z]{3}[0-9]{3}"},
};
static const char *const order_utt[] = {
    "I would like to order some flowers",
    "I want to order {FlowerType}",
    "can I get {FlowerType} for {PickupDate}",
    "order {FlowerType} to pick up at {PickupTime} on {PickupDate}",
    "please send me some {FlowerType}",
    "buy flowers",
};
static const struct intents_slot_spec order_slots[] = {
    {"FlowerType", "FlowerTypes"},
    {"PickupDate", "AMAZON.DATE"},
    {"PickupTime", "AMAZON.TIME"},
};
static const char *const trip_utt[] = {
    "book a flight from {Origin} to {Destination} on {Date}",
    "I need a flight to {Destination}",
    "fly me to {Destination}",
    "book a trip",
    "I want to travel from {Origin} to {Destination}",
    "get me a plane ticket to {Destination} for {Date}",
};
static const struct intents_slot_spec trip_slots[] = {
    {"Origin", "AMAZON.US_CITY"},
    {"Destination", "AMAZON.US_CITY"},
    {"Date", "AMAZON.DATE"},
};
static const char *const check_utt[] = {
    "check my booking {Ref}",
    "what is the status of booking {Ref}",
    "look up my reservation",
};
static const struct intents_slot_spec check_slots[] = {{"Ref", "BookingRef"}};
static const struct intents_intent_spec bot_intents[] = {
    {"OrderFlowers", order_utt, 6, NULL, 0, order_slots, 3},
    {"BookTrip", trip_utt, 6, NULL, 0, trip_slots, 3},
    {"CheckBooking", check_utt, 3, NULL, 0, check_slots, 1},
};
static const struct intents_bot_spec bot = {"en-US", 0.4, bot_intents, 3, bot_types, 2, NULL};

static struct intents_model *bot_model(void)
{
    struct intents_model *m = NULL;
    char err[256];
    int rc = intents_model_new(&bot, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "model: %s", err);
    return m;
}

static const struct intents_slot_match *slot(const struct intents_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_slots; i++)
        if (strcmp(r->slots[i].name, name) == 0)
            return &r->slots[i];
    return NULL;
}

START_TEST(test_bot_full_utterance)
{
    struct intents_model *m = bot_model();
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    struct intents_result r;
    const char *text = "book a flight from Seattle to Chicago on Tuesday";
    ck_assert_int_eq(intents_classify(m, text, strlen(text), &ctx, &r), 0);
    ck_assert_str_eq(r.intent, "BookTrip");
    ck_assert(!r.fallback);
    ck_assert(r.score > 0.4 && r.score <= 1.0);
    ck_assert_uint_ge(r.n_ranked, 2);
    ck_assert(r.ranked[0].score >= r.ranked[1].score);
    const struct intents_slot_match *o = slot(&r, "Origin"), *d = slot(&r, "Destination"),
                                    *dt = slot(&r, "Date");
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(dt);
    ck_assert_str_eq(intents_slot_value(o), "Seattle");
    ck_assert_str_eq(intents_slot_value(d), "Chicago");
    ck_assert_str_eq(intents_slot_value(dt), "2026-12-01");
    ck_assert_str_eq(dt->original, "Tuesday");
    ck_assert_uint_eq(d->span.cp_start, 30);
    ck_assert_uint_eq(d->span.cp_end, 37);
    /* an ambiguous time in a full utterance: found, unset, two readings */
    text = "order roses to pick up at 10 o'clock on Friday";
    ck_assert_int_eq(intents_classify(m, text, strlen(text), &ctx, &r), 0);
    ck_assert_str_eq(r.intent, "OrderFlowers");
    const struct intents_slot_match *tm = slot(&r, "PickupTime");
    ck_assert_ptr_nonnull(tm);
    ck_assert_str_eq(tm->original, "10 o'clock");
    ck_assert_ptr_null(intents_slot_value(tm));
    ck_assert_uint_eq(tm->n_readings, 2);
    ck_assert_str_eq(tm->readings[0], "10:00");
    ck_assert_str_eq(tm->readings[1], "22:00");
    ck_assert_uint_eq(slot(&r, "PickupDate")->n_readings, 0);
    intents_model_free(m);
}
END_TEST

/* The slots a text holds for an intent the classifier did not choose. */
START_TEST(test_slots_of_an_alternative)
{
    struct intents_model *m = bot_model();
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    const char *text = "order roses for a trip to Denver on Tuesday";
    struct intents_slot_match sm[INTENTS_MAX_SLOTS];
    size_t n = 0;
    ck_assert_int_eq(
        intents_slots_of(m, text, strlen(text), &ctx, "BookTrip", sm, INTENTS_MAX_SLOTS, &n), 0);
    const struct intents_slot_match *d = NULL, *dt = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sm[i].name, "Destination") == 0)
            d = &sm[i];
        if (strcmp(sm[i].name, "Date") == 0)
            dt = &sm[i];
    }
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(dt);
    ck_assert_str_eq(intents_slot_value(d), "Denver");
    ck_assert_str_eq(intents_slot_value(dt), "2026-12-01");
    /* and the same text's slots for the flower order */
    ck_assert_int_eq(
        intents_slots_of(m, text, strlen(text), &ctx, "OrderFlowers", sm, INTENTS_MAX_SLOTS, &n),
        0);
    bool flower = false;
    for (size_t i = 0; i < n; i++)
        flower |= strcmp(sm[i].name, "FlowerType") == 0 &&
                  strcmp(intents_slot_value(&sm[i]), "roses") == 0;
    ck_assert(flower);
    ck_assert_int_eq(
        intents_slots_of(m, text, strlen(text), &ctx, "NoSuchIntent", sm, INTENTS_MAX_SLOTS, &n),
        PARLEY_EINVAL);
    ck_assert_int_eq(intents_slots_of(m, "", 0, &ctx, "BookTrip", sm, INTENTS_MAX_SLOTS, &n),
                     PARLEY_EINVAL);
    intents_model_free(m);
}
END_TEST

START_TEST(test_bot_synonyms_typos)
{
    struct intents_model *m = bot_model();
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    struct intents_result r;
    const char *cases[][2] = {
        {"I want to order red roses", "roses"},
        {"I want to order rose", "roses"},
        {"I want to order Lilys", "lilies"},
        {"I want to order tulpis", "tulips"},
        {"I want to order chrysanthemum", "chrysanthemums"},
        {"I want to order Crysanthemums", "chrysanthemums"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(intents_classify(m, cases[i][0], strlen(cases[i][0]), &ctx, &r), 0);
        ck_assert_msg(strcmp(r.intent, "OrderFlowers") == 0, "%s -> %s", cases[i][0], r.intent);
        const struct intents_slot_match *f = slot(&r, "FlowerType");
        ck_assert_msg(f && intents_slot_value(f) && strcmp(intents_slot_value(f), cases[i][1]) == 0,
                      "%s -> %s", cases[i][0],
                      f && intents_slot_value(f) ? intents_slot_value(f) : "(none)");
    }
    /* resolving by type, without a full utterance */
    struct intents_slot_match sm;
    ck_assert_int_eq(intents_slot_resolve(m, "FlowerTypes", "TULIPS", 6, &ctx, &sm), 0);
    ck_assert_str_eq(sm.resolved, "tulips");
    ck_assert_str_eq(sm.original, "TULIPS");
    ck_assert_int_eq(intents_slot_resolve(m, "FlowerTypes", "cactus", 6, &ctx, &sm),
                     PARLEY_ENOTFOUND);
    /* a regex type */
    ck_assert_int_eq(intents_slot_resolve(m, "BookingRef", "ABC123", 6, &ctx, &sm), 0);
    ck_assert_str_eq(intents_slot_value(&sm), "ABC123");
    ck_assert_int_eq(intents_slot_resolve(m, "BookingRef", "AB12", 4, &ctx, &sm), PARLEY_ENOTFOUND);
    intents_model_free(m);
}
END_TEST

/* Intents that share slots in another order: the second one's labels are
 * not in increasing order (Item is slot 0, Person slot 1), which the
 * tagger's emission run must cover. */
START_TEST(test_shared_slots_in_another_order)
{
    static const struct intents_value_spec items[] = {
        {"book", NULL, 0}, {"lamp", NULL, 0}, {"chair", NULL, 0}, {"kettle", NULL, 0}};
    static const struct intents_value_spec people[] = {
        {"anna", NULL, 0}, {"bob", NULL, 0}, {"carl", NULL, 0}, {"dora", NULL, 0}};
    static const struct intents_slot_type_spec types[] = {
        {"ItemType", items, 4, INTENTS_TOP_RESOLUTION, NULL},
        {"PersonType", people, 4, INTENTS_TOP_RESOLUTION, NULL}};
    static const char *const give_utt[] = {"give {Item} to {Person}",
                                           "hand the {Item} to {Person}"};
    static const char *const ask_utt[] = {"did {Person} send the {Item}",
                                          "has {Person} sent me a {Item}", "what did {Person} send",
                                          "any {Item} from {Person}"};
    static const struct intents_slot_spec give_slots[] = {{"Item", "ItemType"},
                                                          {"Person", "PersonType"}};
    static const struct intents_slot_spec ask_slots[] = {{"Person", "PersonType"},
                                                         {"Item", "ItemType"}};
    static const struct intents_intent_spec in[] = {{"Give", give_utt, 2, NULL, 0, give_slots, 2},
                                                    {"Ask", ask_utt, 4, NULL, 0, ask_slots, 2}};
    struct intents_bot_spec spec = {"en-US", 0.0, in, 2, types, 2, NULL};
    struct intents_model *m;
    char err[256];
    ck_assert_int_eq(intents_model_new(&spec, &m, err, sizeof err), 0);
    const char *texts[] = {"did dora send the kettle", "has bob sent me a chair",
                           "did carl send the book"};
    const char *want[][2] = {{"dora", "kettle"}, {"bob", "chair"}, {"carl", "book"}};
    for (size_t i = 0; i < 3; i++) {
        struct intents_result r;
        ck_assert_int_eq(intents_classify(m, texts[i], strlen(texts[i]), NULL, &r), 0);
        ck_assert_str_eq(r.intent, "Ask");
        const struct intents_slot_match *p = slot(&r, "Person"), *it = slot(&r, "Item");
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_nonnull(it);
        ck_assert_str_eq(p->original, want[i][0]);
        ck_assert_str_eq(it->original, want[i][1]);
    }
    intents_model_free(m);
}
END_TEST

START_TEST(test_bot_elicit)
{
    struct intents_model *m = bot_model();
    struct intents_context ctx = {NOW, 0, "BookTrip", "Destination"};
    struct intents_result r;
    ck_assert_int_eq(intents_classify(m, "Chicago", 7, &ctx, &r), 0);
    ck_assert_str_eq(r.intent, "BookTrip");
    const struct intents_slot_match *d = slot(&r, "Destination");
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(intents_slot_value(d), "Chicago");
    ctx.elicit_slot = "Date";
    ck_assert_int_eq(intents_classify(m, "next friday", 11, &ctx, &r), 0);
    ck_assert_str_eq(r.intent, "BookTrip");
    ck_assert_ptr_nonnull(slot(&r, "Date"));
    ck_assert_str_eq(intents_slot_value(slot(&r, "Date")), "2026-12-04");
    ctx = (struct intents_context){NOW, 0, "OrderFlowers", "FlowerType"};
    ck_assert_int_eq(intents_classify(m, "lillies", 7, &ctx, &r), 0);
    ck_assert_str_eq(r.intent, "OrderFlowers");
    ck_assert_str_eq(intents_slot_value(slot(&r, "FlowerType")), "lilies");
    intents_model_free(m);
}
END_TEST

START_TEST(test_fallback_threshold)
{
    struct intents_model *m = bot_model();
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    struct intents_result r;
    const char *text = "what is the meaning of life the universe and everything";
    ck_assert_int_eq(intents_classify(m, text, strlen(text), &ctx, &r), 0);
    ck_assert_msg(r.fallback, "top %s %.3f", r.ranked[0].name, r.ranked[0].score);
    ck_assert_str_eq(r.intent, INTENTS_FALLBACK);
    ck_assert_uint_eq(r.n_slots, 0);
    ck_assert(r.score < 0.4);
    intents_model_free(m);

    /* the same utterance that passes at 0.4 falls back at 0.999 */
    struct intents_bot_spec strict = bot;
    strict.confidence_threshold = 0.999;
    char err[256];
    ck_assert_int_eq(intents_model_new(&strict, &m, err, sizeof err), 0);
    ck_assert(intents_model_threshold(m) > 0.99);
    text = "I want to order roses";
    ck_assert_int_eq(intents_classify(m, text, strlen(text), &ctx, &r), 0);
    ck_assert(r.fallback);
    ck_assert_str_eq(r.intent, INTENTS_FALLBACK);
    ck_assert_str_eq(r.ranked[0].name, "OrderFlowers");
    intents_model_free(m);
}
END_TEST

START_TEST(test_deterministic)
{
    struct intents_model *a = bot_model(), *b = bot_model();
    ck_assert(intents_model_digest(a) == intents_model_digest(b));
    struct intents_result ra, rb;
    const char *text = "fly me to Boston tomorrow";
    ck_assert_int_eq(intents_classify(a, text, strlen(text), NULL, &ra), 0);
    ck_assert_int_eq(intents_classify(b, text, strlen(text), NULL, &rb), 0);
    ck_assert(ra.score == rb.score);
    intents_model_free(a);
    intents_model_free(b);
    /* and a different bot gives a different model */
    struct intents_bot_spec other = bot;
    other.n_intents = 2;
    char err[256];
    ck_assert_int_eq(intents_model_new(&other, &b, err, sizeof err), 0);
    a = bot_model();
    ck_assert(intents_model_digest(a) != intents_model_digest(b));
    intents_model_free(a);
    intents_model_free(b);
}
END_TEST

/* ---- a bot with many intents: the SVM and the network together ---- */

static const char *const topics[] = {"invoice", "password", "parcel", "refund",  "printer",
                                     "salary",  "vacation", "laptop", "parking", "badge",
                                     "meeting", "coffee",   "train",  "hotel",   "insurance",
                                     "pension", "training", "phone",  "email",   "desk"};
#define N_TOPICS (sizeof topics / sizeof topics[0])
static char topic_utt[N_TOPICS][6][80];
static const char *topic_ptr[N_TOPICS][6];
static char topic_name[N_TOPICS][32];
static struct intents_intent_spec topic_intents[N_TOPICS];

static struct intents_model *topics_model_with(const struct intents_vectors *vectors)
{
    static const char *const forms[6] = {"I have a question about my %s",
                                         "there is a problem with the %s",
                                         "who handles the %s",
                                         "help me with %s please",
                                         "the %s again",
                                         "can we talk about the %s"};
    for (size_t k = 0; k < N_TOPICS; k++) {
        for (size_t u = 0; u < 6; u++) {
            snprintf(topic_utt[k][u], sizeof topic_utt[k][u], forms[u], topics[k]);
            topic_ptr[k][u] = topic_utt[k][u];
        }
        snprintf(topic_name[k], sizeof topic_name[k], "Ask_%s", topics[k]);
        topic_intents[k] =
            (struct intents_intent_spec){topic_name[k], topic_ptr[k], 6, NULL, 0, NULL, 0};
    }
    struct intents_bot_spec spec = {"en-US", 0.0, topic_intents, N_TOPICS, NULL, 0, vectors};
    struct intents_model *m = NULL;
    char err[256];
    int rc = intents_model_new(&spec, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "model: %s", err);
    return m;
}

static struct intents_model *topics_model(void)
{
    return topics_model_with(NULL);
}

/* Joined networks answer the mean of their logits: checked against the two
 * networks computed apart, before joining (in floats; the joined first
 * layer is at 8 bits, hence the tolerance). */
START_TEST(test_networks_join)
{
    enum { R = 24, F = 6, K = 3, NETS = 2 };
    size_t ptr[R + 1];
    uint32_t idx[2 * R], lab[R];
    float val[2 * R];
    for (size_t i = 0; i < R; i++) {
        ptr[i] = 2 * i;
        idx[2 * i] = (uint32_t)(i % K);         /* the class's own feature */
        idx[2 * i + 1] = (uint32_t)(K + i % 3); /* and one shared by all */
        val[2 * i] = val[2 * i + 1] = 0.7071f;
        lab[i] = (uint32_t)(i % K);
    }
    ptr[R] = 2 * R;
    const uint32_t q_idx[2] = {1, 4};
    const float q_val[2] = {0.6f, 0.8f};
    struct mlp nets[NETS], joined;
    double expect[K] = {0};
    for (size_t t = 0; t < NETS; t++) {
        ck_assert_int_eq(mlp_train(&nets[t], ptr, idx, val, lab, R, F, K, 1000 + t), 0);
        size_t H = nets[t].n_hidden;
        for (size_t k = 0; k < K; k++) {
            double logit = nets[t].b2[k];
            for (size_t j = 0; j < H; j++) {
                double h = nets[t].b1[j];
                for (size_t p = 0; p < 2; p++)
                    h += q_val[p] * nets[t].w1[nets[t].in_map[q_idx[p]] * H + j];
                logit += nets[t].w2[k * H + j] * (h > 0 ? h : 0);
            }
            expect[k] += logit / NETS;
        }
    }
    ck_assert_int_eq(mlp_join(&joined, nets, NETS), 0);
    float got[K];
    ck_assert_int_eq(mlp_predict(&joined, q_idx, q_val, 2, got), 0);
    for (size_t k = 0; k < K; k++)
        ck_assert_msg(fabs(got[k] - expect[k]) < 0.02 * (1 + fabs(expect[k])),
                      "class %zu: %f, expected %f", k, got[k], expect[k]);
    ck_assert(got[1] > got[0] && got[1] > got[2]); /* feature 1 is class 1's */
    mlp_release(&joined);
}
END_TEST

START_TEST(test_many_intents)
{
    struct intents_model *a = topics_model(), *b = topics_model();
    /* 20 intents: the network is trained next to the SVM, the same every time */
    ck_assert_ptr_nonnull(a->clf.mlp.w1q);
    ck_assert_uint_eq(a->clf.mlp.n_out, N_TOPICS);
    ck_assert_uint_eq(a->clf.mlp.n_nets, CLASSIFIER_NETS);
    ck_assert(intents_model_digest(a) == intents_model_digest(b));
    for (size_t k = 0; k < N_TOPICS; k++) {
        char text[96];
        snprintf(text, sizeof text, "my %s does not work, who can help", topics[k]);
        struct intents_result ra, rb;
        ck_assert_int_eq(intents_classify(a, text, strlen(text), NULL, &ra), 0);
        ck_assert_int_eq(intents_classify(b, text, strlen(text), NULL, &rb), 0);
        ck_assert_str_eq(ra.intent, topic_name[k]);
        ck_assert(ra.score == rb.score);
        ck_assert(ra.score > 0 && ra.score <= 1);
        double sum = 0;
        for (size_t i = 0; i < ra.n_ranked; i++)
            sum += ra.ranked[i].score;
        ck_assert(sum <= 1.0 + 1e-5);
    }
    intents_model_free(a);
    intents_model_free(b);
    /* a small bot has no network */
    struct intents_model *m = bot_model();
    ck_assert_ptr_null(m->clf.mlp.w1q);
    intents_model_free(m);
}
END_TEST

/* ---- many readers ---- */

struct reader {
    const struct intents_model *m;
    int ok;
};

static const char *const reader_texts[] = {
    "book a flight from Seattle to Chicago on Tuesday", "I want to order tulpis",
    "check my booking ABC123", "what is the meaning of life", "fly me to Boston tomorrow"};

static void *reader_run(void *arg)
{
    struct reader *rd = arg;
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    struct intents_result want[5], got;
    for (size_t i = 0; i < 5; i++)
        intents_classify(rd->m, reader_texts[i], strlen(reader_texts[i]), &ctx, &want[i]);
    rd->ok = 1;
    for (int round = 0; round < 200; round++) {
        size_t i = (size_t)round % 5;
        if (intents_classify(rd->m, reader_texts[i], strlen(reader_texts[i]), &ctx, &got) != 0 ||
            got.score != want[i].score || got.n_slots != want[i].n_slots ||
            strcmp(got.intent, want[i].intent) != 0)
            rd->ok = 0;
    }
    return NULL;
}

START_TEST(test_concurrent_readers)
{
    struct intents_model *m = bot_model();
    pthread_t th[4];
    struct reader rd[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (struct reader){m, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader_run, &rd[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert(rd[i].ok);
    }
    intents_model_free(m);
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_bad_text)
{
    struct intents_model *m = bot_model();
    struct intents_result r;
    ck_assert_int_eq(intents_classify(m, "", 0, NULL, &r), PARLEY_EINVAL);
    ck_assert_int_eq(intents_classify(m, NULL, 0, NULL, &r), PARLEY_EINVAL);
    ck_assert_int_eq(intents_classify(m, "a\xff", 2, NULL, &r), PARLEY_EINVAL);
    ck_assert_int_eq(intents_classify(m, "a\0b", 3, NULL, &r), PARLEY_EINVAL);
    size_t big = 100 * 1024;
    char *s = malloc(big);
    memset(s, 'a', big);
    for (size_t i = 7; i < big; i += 8)
        s[i] = ' ';
    ck_assert_int_eq(intents_classify(m, s, big, NULL, &r), PARLEY_ETOOBIG);
    /* the largest accepted text works */
    ck_assert_int_eq(intents_classify(m, s, INTENTS_MAX_TEXT, NULL, &r), 0);
    free(s);
    /* only punctuation and spaces: no crash, an answer */
    ck_assert_int_eq(intents_classify(m, " ?! ", 4, NULL, &r), 0);
    ck_assert(r.fallback);
    intents_model_free(m);
}
END_TEST

START_TEST(test_bad_bots)
{
    struct intents_model *m = (struct intents_model *)1;
    char err[256];
    /* no intents */
    struct intents_bot_spec empty = {"en-US", 0.4, NULL, 0, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&empty, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert(strstr(err, "no intents"));
    /* intents without utterances */
    struct intents_intent_spec mute[] = {{"A", NULL, 0, NULL, 0, NULL, 0}};
    struct intents_bot_spec no_utt = {"en-US", 0.4, mute, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&no_utt, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert(strstr(err, "no sample utterances"));
    /* an utterance naming an undefined slot */
    const char *utt[] = {"fly to {Nowhere}"};
    struct intents_intent_spec undef[] = {{"Fly", utt, 1, NULL, 0, trip_slots, 3}};
    struct intents_bot_spec b1 = {"en-US", 0.4, undef, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b1, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert_msg(strstr(err, "{Nowhere}") && strstr(err, "Fly"), "%s", err);
    /* an unclosed brace, an unknown slot type, a duplicate intent, bad UTF-8 */
    const char *open_utt[] = {"fly to {Destination"};
    struct intents_intent_spec open_i[] = {{"Fly", open_utt, 1, NULL, 0, trip_slots, 3}};
    struct intents_bot_spec b2 = {"en-US", 0.4, open_i, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b2, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert(strstr(err, "without '}'"));
    struct intents_slot_spec bad_type[] = {{"X", "NoSuchType"}};
    const char *ok_utt[] = {"hello {X}"};
    struct intents_intent_spec bt[] = {{"Hi", ok_utt, 1, NULL, 0, bad_type, 1}};
    struct intents_bot_spec b3 = {"en-US", 0.4, bt, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b3, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert(strstr(err, "NoSuchType"));
    struct intents_intent_spec dup[] = {{"Hi", utt, 0, NULL, 0, NULL, 0},
                                        {"Hi", utt, 0, NULL, 0, NULL, 0}};
    struct intents_bot_spec b4 = {"en-US", 0.4, dup, 2, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b4, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert(strstr(err, "twice"));
    const char *bad_utf[] = {"caf\xc3"};
    struct intents_intent_spec bu[] = {{"Hi", bad_utf, 1, NULL, 0, NULL, 0}};
    struct intents_bot_spec b5 = {"en-US", 0.4, bu, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b5, &m, err, sizeof err), PARLEY_EINVAL);
    ck_assert(strstr(err, "UTF-8"));
    /* a bad regex */
    struct intents_slot_type_spec rx[] = {{"R", NULL, 0, INTENTS_ORIGINAL_VALUE, "([a-z"}};
    struct intents_bot_spec b6 = {"en-US", 0.4, bot_intents, 1, rx, 1, NULL};
    ck_assert_int_eq(intents_model_new(&b6, &m, err, sizeof err), PARLEY_EINVAL);
    /* a one-intent bot with one utterance is fine */
    const char *one[] = {"hello"};
    struct intents_intent_spec oi[] = {{"Hello", one, 1, NULL, 0, NULL, 0}};
    struct intents_bot_spec b7 = {"en-US", -1, oi, 1, NULL, 0, NULL};
    ck_assert_int_eq(intents_model_new(&b7, &m, err, sizeof err), 0);
    struct intents_result r;
    ck_assert_int_eq(intents_classify(m, "hello", 5, NULL, &r), 0);
    ck_assert_str_eq(r.intent, "Hello");
    intents_model_free(m);
}
END_TEST

/* ---- pretrained word vectors ---- */

/* Writes a vector file (intents/vectors.c's format) of words[n] in dim
 * dimensions: word i points along axis axes[i] (two words that share an axis
 * are synonyms), at 8 bits with one scale. Returns the path in dir. */
static void write_vectors(const char *path, const char *const *words, const int *axes, size_t n,
                          uint32_t dim)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint32_t hdr[2] = {(uint32_t)n, dim};
    fwrite("PARLEYV1", 1, 8, f);
    fwrite(hdr, 4, 2, f);
    for (size_t i = 0; i < n; i++)
        for (uint32_t d = 0; d < dim; d++) {
            /* a little of every other axis, so that no two words are equal */
            int8_t q = (int)d == axes[i] ? 127 : (int8_t)((i * 7 + d * 3) % 11);
            fputc((unsigned char)q, f);
        }
    for (size_t i = 0; i < n; i++) {
        float sc = 0.01f;
        fwrite(&sc, sizeof sc, 1, f);
    }
    for (size_t i = 0; i < n; i++) {
        fputc((int)strlen(words[i]), f);
        fputs(words[i], f);
    }
    fclose(f);
}

static const char *const vec_words[] = {"a",    "to",  "me",   "i",   "want",   "watch", "movie",
                                        "film", "get", "taxi", "cab", "please", "show",  "tonight"};
static const int vec_axes[] = {0, 0, 0, 0, 1, 2, 3, 3, 1, 4, 4, 5, 2, 6};
static const char *const movie_utt[] = {"i want to watch a movie", "show me a movie",
                                        "a movie tonight"};
static const char *const taxi_utt[] = {"get me a taxi", "i want a taxi to the station",
                                       "a taxi tonight"};
static const struct intents_intent_spec vec_intents[] = {
    {"WatchMovie", movie_utt, 3, NULL, 0, NULL, 0},
    {"BookTaxi", taxi_utt, 3, NULL, 0, NULL, 0},
};

START_TEST(test_vectors_synonyms)
{
    char path[] = "/tmp/parley-vec-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_vectors(path, vec_words, vec_axes, sizeof vec_words / sizeof vec_words[0], 8);
    struct intents_vectors *v = NULL;
    char err[256];
    ck_assert_int_eq(intents_vectors_open(path, &v, err, sizeof err), 0);
    ck_assert_uint_eq(intents_vectors_dim(v), 8);
    ck_assert_uint_eq(intents_vectors_words(v), sizeof vec_words / sizeof vec_words[0]);
    struct intents_bot_spec plain = {"en-US", 0.0, vec_intents, 2, NULL, 0, NULL};
    struct intents_bot_spec with = plain;
    with.vectors = v;
    struct intents_model *m0 = NULL, *m1 = NULL, *m2 = NULL;
    ck_assert_int_eq(intents_model_new(&plain, &m0, err, sizeof err), 0);
    ck_assert_int_eq(intents_model_new(&with, &m1, err, sizeof err), 0);
    ck_assert_int_eq(intents_model_new(&with, &m2, err, sizeof err), 0);
    /* the vectors are part of what the model learned, and deterministic */
    ck_assert(intents_model_digest(m1) == intents_model_digest(m2));
    ck_assert(intents_model_digest(m1) != intents_model_digest(m0));
    /* "film" and "cab" are in no sample: only their vectors tie them to an
     * intent ("a" and "tonight" are in both intents' samples) */
    static const struct {
        const char *text, *intent;
    } cases[] = {{"a film tonight", "WatchMovie"}, {"a cab tonight", "BookTaxi"}};
    for (size_t i = 0; i < 2; i++) {
        struct intents_result r0, r1;
        size_t len = strlen(cases[i].text);
        ck_assert_int_eq(intents_classify(m0, cases[i].text, len, NULL, &r0), 0);
        ck_assert_int_eq(intents_classify(m1, cases[i].text, len, NULL, &r1), 0);
        ck_assert_str_eq(r1.ranked[0].name, cases[i].intent);
        ck_assert_msg(r1.ranked[0].score > 1.1 * r1.ranked[1].score, "%s: %.3f vs %.3f",
                      cases[i].text, r1.ranked[0].score, r1.ranked[1].score);
        /* without them the two intents are about even */
        ck_assert_msg(r0.ranked[0].score < 1.05 * r0.ranked[1].score, "%s: %.3f vs %.3f",
                      cases[i].text, r0.ranked[0].score, r0.ranked[1].score);
    }
    intents_model_free(m0);
    intents_model_free(m1);
    intents_model_free(m2);
    intents_vectors_close(v);
    unlink(path);
}
END_TEST

/* ---- the AVX2 copies of the inner loops against the plain ones ---- */

static void assert_same_result(const struct intents_result *a, const struct intents_result *b,
                               const char *text)
{
    ck_assert_msg(strcmp(a->intent, b->intent) == 0 && a->score == b->score,
                  "%s: %s %.9g / %s %.9g", text, a->intent, a->score, b->intent, b->score);
    ck_assert_uint_eq(a->n_ranked, b->n_ranked);
    for (size_t i = 0; i < a->n_ranked; i++)
        ck_assert_msg(strcmp(a->ranked[i].name, b->ranked[i].name) == 0 &&
                          a->ranked[i].score == b->ranked[i].score,
                      "%s: ranked %zu: %.9g / %.9g", text, i, a->ranked[i].score,
                      b->ranked[i].score);
    ck_assert_uint_eq(a->n_slots, b->n_slots);
    for (size_t i = 0; i < a->n_slots; i++) {
        ck_assert_str_eq(a->slots[i].name, b->slots[i].name);
        ck_assert_str_eq(a->slots[i].original, b->slots[i].original);
        ck_assert_str_eq(a->slots[i].resolved, b->slots[i].resolved);
    }
}

/* Where the CPU has AVX2, training and classifying run AVX2 copies of their
 * inner loops (the SVM's solver and margins, the networks' layers, the
 * tagger's emissions, transitions and Viterbi); they must give the plain
 * copies' models and answers bit for bit. A bot with networks and word
 * vectors (10 dimensions: vectors of eight and four with a tail), and one
 * with slots for the tagger. (Without AVX2 both runs are plain.) */
START_TEST(test_plain_copies_agree)
{
    static const char *const words[] = {"question", "problem", "handles",  "help",   "again",
                                        "talk",     "invoice", "password", "parcel", "refund",
                                        "printer",  "salary",  "laptop",   "coffee", "hotel"};
    int axes[sizeof words / sizeof words[0]];
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        axes[i] = (int)(i % 10);
    char path[] = "/tmp/parley-vec-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_vectors(path, words, axes, sizeof words / sizeof words[0], 10);
    struct intents_vectors *v = NULL;
    char err[256];
    ck_assert_int_eq(intents_vectors_open(path, &v, err, sizeof err), 0);
    struct intents_model *avx[2] = {topics_model_with(v), bot_model()};
    intents_plain_only = true;
    struct intents_model *plain[2] = {topics_model_with(v), bot_model()};
    intents_plain_only = false;
    static const char *const texts[] = {
        "I have a question about my invoice",
        "the printer again, and the laptop, and the coffee machine on the third floor: who "
        "handles the printer, the salary questions, the parcel that never came, my password "
        "and the hotel for the training next week? please help me with all of it",
        "book a flight from Seattle to Chicago on Tuesday",
        "I want to order two dozen tulpis for tomorrow",
        "check my booking ABC123",
        "what is the meaning of life"};
    /* the first has the networks and the vector block, the second a tagger */
    ck_assert_ptr_nonnull(avx[0]->clf.mlp.w1q);
    ck_assert_uint_eq(avx[0]->clf.n_dense, 10);
    ck_assert_uint_gt(avx[1]->tagger.n_labels, 2);
    struct intents_context ctx = {NOW, 0, NULL, NULL};
    for (size_t k = 0; k < 2; k++) {
        ck_assert(intents_model_digest(avx[k]) == intents_model_digest(plain[k]));
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            struct intents_result ra, rp;
            size_t len = strlen(texts[i]);
            ck_assert_int_eq(intents_classify(avx[k], texts[i], len, &ctx, &ra), 0);
            intents_plain_only = true;
            ck_assert_int_eq(intents_classify(avx[k], texts[i], len, &ctx, &rp), 0);
            intents_plain_only = false;
            assert_same_result(&ra, &rp, texts[i]);
        }
        intents_model_free(avx[k]);
        intents_model_free(plain[k]);
    }
    intents_vectors_close(v);
    unlink(path);
}
END_TEST

static void append_neighbours(const char *path, uint32_t nw, uint32_t k, const uint32_t *ranks)
{
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    uint32_t hdr[2] = {nw, k};
    fwrite("NEIGHBRS", 1, 8, f);
    fwrite(hdr, 4, 2, f);
    fwrite(ranks, 4, (size_t)nw * k, f);
    fclose(f);
}

/* A word no sample uses stands for its nearest neighbour that one does:
 * "film please" is about a movie, and not a text of unknown words. */
START_TEST(test_vectors_neighbours)
{
    enum { N = sizeof vec_words / sizeof vec_words[0] };
    char plain_path[] = "/tmp/parley-vec-XXXXXX", nb_path[] = "/tmp/parley-vec-XXXXXX";
    close(mkstemp(plain_path));
    close(mkstemp(nb_path));
    write_vectors(plain_path, vec_words, vec_axes, N, 8);
    write_vectors(nb_path, vec_words, vec_axes, N, 8);
    uint32_t ranks[N * 2];
    for (size_t i = 0; i < N * 2; i++)
        ranks[i] = UINT32_MAX;
    ranks[7 * 2] = 6;  /* film: movie */
    ranks[10 * 2] = 9; /* cab: taxi */
    append_neighbours(nb_path, N, 2, ranks);
    struct intents_vectors *v0 = NULL, *v1 = NULL;
    char err[256];
    ck_assert_int_eq(intents_vectors_open(plain_path, &v0, err, sizeof err), 0);
    ck_assert_int_eq(intents_vectors_open(nb_path, &v1, err, sizeof err), 0);
    struct intents_bot_spec spec = {"en-US", 0.0, vec_intents, 2, NULL, 0, v0};
    struct intents_model *m0 = NULL, *m1 = NULL;
    ck_assert_int_eq(intents_model_new(&spec, &m0, err, sizeof err), 0);
    spec.vectors = v1;
    ck_assert_int_eq(intents_model_new(&spec, &m1, err, sizeof err), 0);
    const char *cases[][2] = {{"film please", "WatchMovie"}, {"cab please", "BookTaxi"}};
    for (size_t i = 0; i < 2; i++) {
        struct intents_result r0, r1;
        ck_assert_int_eq(intents_classify(m0, cases[i][0], strlen(cases[i][0]), NULL, &r0), 0);
        ck_assert_int_eq(intents_classify(m1, cases[i][0], strlen(cases[i][0]), NULL, &r1), 0);
        /* without neighbours every word is unknown: nothing is likely */
        ck_assert_msg(r0.score < 0.05, "%s: %.3f", cases[i][0], r0.score);
        ck_assert_str_eq(r1.ranked[0].name, cases[i][1]);
        ck_assert_msg(r1.score > 0.05 && r1.score > 4 * r0.score, "%s: %.3f (%.3f without)",
                      cases[i][0], r1.score, r0.score);
    }
    /* a known word keeps its own meaning: the same answers as without */
    struct intents_result r0, r1;
    ck_assert_int_eq(intents_classify(m0, "a taxi tonight", 14, NULL, &r0), 0);
    ck_assert_int_eq(intents_classify(m1, "a taxi tonight", 14, NULL, &r1), 0);
    ck_assert(r0.score == r1.score);
    intents_model_free(m0);
    intents_model_free(m1);
    intents_vectors_close(v0);
    intents_vectors_close(v1);
    unlink(plain_path);
    unlink(nb_path);
}
END_TEST

START_TEST(test_vectors_bad_files)
{
    struct intents_vectors *v = (struct intents_vectors *)1;
    char err[256] = "";
    ck_assert_int_eq(intents_vectors_open("/nonexistent/v.pvec", &v, err, sizeof err),
                     PARLEY_ENOTFOUND);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/v.pvec"));
    char path[] = "/tmp/parley-vec-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_vectors(path, vec_words, vec_axes, 4, 8);
    FILE *f = fopen(path, "rb");
    unsigned char good[1024];
    size_t n = fread(good, 1, sizeof good, f);
    fclose(f);
    ck_assert_uint_eq(n, 16 + 4 * 8 + 4 * 4 + (1 + 1) + (1 + 2) + (1 + 2) + (1 + 1));
    ck_assert_int_eq(intents_vectors_open(path, &v, err, sizeof err), 0);
    intents_vectors_close(v);
    /* every way of breaking it is refused with a reason, never read past the end */
    struct {
        size_t at, len; /* the file cut at len, after byte at is changed to val */
        int val;
    } cuts[] = {
        {0, n, 'X'},            /* magic */
        {8, n, 0},              /* no words (low byte of the count) */
        {9, n, 1},              /* more words than the file holds */
        {13, n, 2},             /* a dimension of 520 */
        {0, n - 1, 'P'},        /* the last word cut short */
        {0, 12, 'P'},           /* the header cut short */
        {16 + 32 + 3, n, 0xff}, /* a scale that is NaN (its high byte 0xff...) */
        {16 + 32 + 16, n, 0},   /* an empty word */
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        unsigned char bad[1024];
        memcpy(bad, good, n);
        bad[cuts[i].at] = (unsigned char)cuts[i].val;
        if (cuts[i].at == 16 + 32 + 3)
            bad[cuts[i].at - 1] = 0xff; /* 0xffff.... : NaN */
        f = fopen(path, "wb");
        fwrite(bad, 1, cuts[i].len, f);
        fclose(f);
        err[0] = 0;
        v = (struct intents_vectors *)1;
        ck_assert_msg(intents_vectors_open(path, &v, err, sizeof err) == PARLEY_EINVAL, "cut %zu",
                      i);
        ck_assert_ptr_null(v);
        ck_assert_msg(strstr(err, path) != NULL, "cut %zu: %s", i, err);
    }
    /* bytes after the word list */
    f = fopen(path, "wb");
    fwrite(good, 1, n, f);
    fputc('x', f);
    fclose(f);
    ck_assert_int_eq(intents_vectors_open(path, &v, err, sizeof err), PARLEY_EINVAL);
    /* a neighbours section: one that fits loads; a neighbour past the
     * section's words, a short section or a count over the file's are not */
    const uint32_t ok[8] = {1, UINT32_MAX, 0, UINT32_MAX}, far[8] = {1, 2, 0, UINT32_MAX};
    struct {
        uint32_t nw, k;
        const uint32_t *ranks;
        size_t cut; /* bytes left out at the end */
        int rc;
    } sections[] = {{2, 2, ok, 0, 0},
                    {2, 2, far, 0, PARLEY_EINVAL},
                    {2, 2, ok, 1, PARLEY_EINVAL},
                    {5, 1, ok, 1, PARLEY_EINVAL},
                    {2, 0, ok, 0, PARLEY_EINVAL}};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        f = fopen(path, "wb");
        fwrite(good, 1, n, f);
        fclose(f);
        append_neighbours(path, sections[i].nw, sections[i].k, sections[i].ranks);
        if (sections[i].cut) {
            FILE *g = fopen(path, "rb");
            unsigned char buf[1024];
            size_t m = fread(buf, 1, sizeof buf, g);
            fclose(g);
            g = fopen(path, "wb");
            fwrite(buf, 1, m - sections[i].cut, g);
            fclose(g);
        }
        err[0] = 0;
        ck_assert_msg(intents_vectors_open(path, &v, err, sizeof err) == sections[i].rc,
                      "section %zu: %s", i, err);
        intents_vectors_close(v);
        v = NULL;
    }
    unlink(path);
}
END_TEST

/* ---- eval over JSONL ---- */

START_TEST(test_eval_json)
{
    char dir[] = "/tmp/parley-eval-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char train[64], test[64];
    snprintf(train, sizeof train, "%s/train.jsonl", dir);
    snprintf(test, sizeof test, "%s/test.jsonl", dir);
    FILE *f = fopen(train, "w");
    const char *lines[] = {
        "{\"text\":\"play some jazz\",\"intent\":\"Play\",\"slots\":[{\"name\":\"genre\","
        "\"value\":\"jazz\",\"start\":10,\"end\":14}]}",
        "{\"text\":\"play rock music\",\"intent\":\"Play\",\"slots\":[{\"name\":\"genre\","
        "\"value\":\"rock\",\"start\":5,\"end\":9}]}",
        "{\"text\":\"put on some blues\",\"intent\":\"Play\",\"slots\":[{\"name\":\"genre\","
        "\"value\":\"blues\",\"start\":12,\"end\":17}]}",
        "{\"text\":\"what is the weather\",\"intent\":\"Weather\",\"slots\":[]}",
        "{\"text\":\"will it rain today\",\"intent\":\"Weather\",\"slots\":[]}",
        "{\"text\":\"is it sunny in Zürich\",\"intent\":\"Weather\",\"slots\":[]}",
        "{\"text\":\"blah blah\",\"intent\":\"oos\",\"slots\":[]}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        fprintf(f, "%s\n", lines[i]);
    fclose(f);
    f = fopen(test, "w");
    fprintf(f, "%s\n%s\n", lines[0], lines[4]);
    fclose(f);
    char *out = NULL;
    size_t outlen = 0;
    FILE *o = open_memstream(&out, &outlen);
    struct intents_eval_opts eo = {train, test, NULL, 2.0, 0, true, NULL};
    ck_assert_int_eq(intents_eval_run(&eo, o, stderr), 0);
    fclose(o);
    cJSON *j = cJSON_Parse(out);
    ck_assert_ptr_nonnull(j);
    double v;
    ck_assert(json_number(j, "intent_accuracy", &v) && v == 100.0);
    ck_assert(json_number(j, "slot_f1", &v) && v == 100.0);
    ck_assert(json_number(j, "train_ms", &v));
    ck_assert(json_number(j, "infer_us", &v));
    cJSON_Delete(j);
    free(out);
    /* a missing file is an error, not a crash */
    eo.test_path = "/nonexistent/test.jsonl";
    FILE *devnull = fopen("/dev/null", "w");
    ck_assert_int_eq(intents_eval_run(&eo, devnull, devnull), PARLEY_EIO);
    fclose(devnull);
    unlink(train);
    unlink(test);
    rmdir(dir);
}
END_TEST

static Suite *intents_suite(void)
{
    Suite *s = suite_create("intents");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, test_tokens_non_ascii);
    tcase_add_test(tc, test_tokens_invalid_utf8);
    suite_add_tcase(s, tc);
    tc = tcase_create("builtins");
    tcase_add_loop_test(tc, test_builtin_table, 0, sizeof bi_cases / sizeof bi_cases[0]);
    tcase_add_test(tc, test_builtin_not_found);
    tcase_add_test(tc, test_date_time_zone);
    suite_add_tcase(s, tc);
    tc = tcase_create("bot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bot_full_utterance);
    tcase_add_test(tc, test_slots_of_an_alternative);
    tcase_add_test(tc, test_bot_synonyms_typos);
    tcase_add_test(tc, test_bot_elicit);
    tcase_add_test(tc, test_shared_slots_in_another_order);
    tcase_add_test(tc, test_fallback_threshold);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_networks_join);
    tcase_add_test(tc, test_many_intents);
    tcase_add_test(tc, test_concurrent_readers);
    tcase_add_test(tc, test_vectors_synonyms);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_text);
    tcase_add_test(tc, test_bad_bots);
    tcase_add_test(tc, test_vectors_bad_files);
    tcase_add_test(tc, test_vectors_neighbours);
    tcase_add_test(tc, test_plain_copies_agree);
    tcase_add_test(tc, test_eval_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(intents_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
