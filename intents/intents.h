/*
 * intents: Parley's language model. Given a bot's intents (sample utterances
 * with {Slot} placeholders, or annotated examples), its slot types and a
 * user's text, decide which intent the user means, how sure we are, and which
 * slot values they gave.
 *
 * A model is built (trained) from a plain bot spec, owned by the caller of
 * intents_model_new and freed with intents_model_free. Once built it is
 * immutable: any number of threads may call intents_classify and
 * intents_slot_resolve on it at the same time. Building is deterministic: the
 * same spec gives a bit-identical model (intents_model_digest).
 *
 * Nothing here knows about HTTP, Lex JSON, bots or storage: the bots module
 * converts its bot definitions into struct intents_bot_spec.
 *
 * All text is UTF-8. Spans are reported both as byte offsets and as Unicode
 * code-point offsets into the text given to intents_classify.
 */
#ifndef PARLEY_INTENTS_H
#define PARLEY_INTENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Longest user text accepted by intents_classify (Lex allows 1024 chars). */
#define INTENTS_MAX_TEXT 4096
/* How many ranked intents and slots a result holds at most. */
#define INTENTS_MAX_RANKED 5
#define INTENTS_MAX_SLOTS 16
/* Longest slot text (original or resolved) kept in a result, NUL included. */
#define INTENTS_MAX_VALUE 256
/* Name of the intent returned below the confidence threshold. */
#define INTENTS_FALLBACK "AMAZON.FallbackIntent"

/* ---- the bot spec: plain input structs, all borrowed during intents_model_new ---- */

enum intents_selection {
    INTENTS_ORIGINAL_VALUE = 0, /* slot value = what the user said (resolved kept aside) */
    INTENTS_TOP_RESOLUTION = 1, /* slot value = the canonical value it matched, else unset */
};

struct intents_value_spec {
    const char *value;           /* canonical value */
    const char *const *synonyms; /* may be NULL when n_synonyms == 0 */
    size_t n_synonyms;
};

struct intents_slot_type_spec {
    const char *name; /* e.g. "FlowerTypes"; not the name of a built-in type */
    const struct intents_value_spec *values;
    size_t n_values;
    enum intents_selection selection;
    /* Optional POSIX extended regex that a whole value must match (anchored);
     * with no values, any text matching it is accepted. NULL for none. */
    const char *regex;
};

struct intents_slot_spec {
    const char *name;      /* e.g. "Destination" */
    const char *slot_type; /* a custom type name, a built-in "AMAZON.DATE", or NULL = free text */
};

/* An annotated example (the benchmark datasets, or a bot's own logs). */
struct intents_example_slot {
    const char *name;  /* a slot of the intent */
    size_t start, end; /* byte offsets into text, end exclusive */
};

struct intents_example {
    const char *text;
    const struct intents_example_slot *slots;
    size_t n_slots;
};

struct intents_intent_spec {
    const char *name;
    /* Sample utterances, "book a flight to {Destination} on {Date}". */
    const char *const *utterances;
    size_t n_utterances;
    /* Already annotated examples (no braces interpreted). */
    const struct intents_example *examples;
    size_t n_examples;
    const struct intents_slot_spec *slots;
    size_t n_slots;
};

struct intents_bot_spec {
    const char *locale; /* "en-US"; only English is modelled, others are accepted */
    /* Below this top score the answer is AMAZON.FallbackIntent (Lex default 0.4
     * when the bot gives none: pass a negative value to get it). */
    double confidence_threshold;
    const struct intents_intent_spec *intents;
    size_t n_intents;
    const struct intents_slot_type_spec *slot_types;
    size_t n_slot_types;
    /* Pretrained word vectors (intents_vectors_open), or NULL for none. Borrowed:
     * they must outlive the model. */
    const struct intents_vectors *vectors;
};

/* ---- pretrained word vectors, shared by every model of a process ---- */

#define INTENTS_VECTORS_MAX_DIM 512

struct intents_vectors;
/* Reads a word-vector file (docs/intents.md: how one is made). Returns 0,
 * PARLEY_ENOTFOUND (no such file), PARLEY_EIO, PARLEY_ENOMEM or PARLEY_EINVAL
 * (not such a file), with a sentence in err. Immutable once read: any number
 * of models and threads may share it. */
int intents_vectors_open(const char *path, struct intents_vectors **out, char *err, size_t errlen);
void intents_vectors_close(struct intents_vectors *v);
size_t intents_vectors_dim(const struct intents_vectors *v);
size_t intents_vectors_words(const struct intents_vectors *v);
/* Where scripts/install-deps.sh writes the word vectors of this build. */
const char *intents_vectors_default_path(void);

/* ---- classification ---- */

struct intents_context {
    int64_t now;       /* seconds since the epoch; 0 = the current time */
    int tz_offset_min; /* the user's UTC offset in minutes (e.g. +720 for NZST) */
    /* When the dialog is eliciting one slot, the intent and slot it elicits:
     * a bare answer ("Auckland") is then read as that slot. NULL otherwise. */
    const char *elicit_intent;
    const char *elicit_slot;
};

struct intents_span {
    size_t byte_start, byte_end; /* into the classified text, end exclusive */
    size_t cp_start, cp_end;     /* the same in Unicode code points */
};

/* Which text is the slot's value (see intents_slot_value). */
enum intents_value_from {
    INTENTS_VALUE_NONE = 0, /* unset: e.g. TOP_RESOLUTION and nothing matched */
    INTENTS_VALUE_ORIGINAL,
    INTENTS_VALUE_RESOLVED,
};

/* A slot value; plain data, safe to copy by value. */
struct intents_slot_match {
    const char *name;                 /* borrowed from the model */
    const char *slot_type;            /* borrowed from the model; NULL for free text */
    char original[INTENTS_MAX_VALUE]; /* the user's exact text */
    char resolved[INTENTS_MAX_VALUE]; /* canonical value / ISO date / number; "" if none */
    /* What Lex puts in the slot map: the resolved value for built-ins and
     * TOP_RESOLUTION types, the original text for ORIGINAL_VALUE types. */
    enum intents_value_from value_from;
    struct intents_span span;
    /* An ambiguous value, AMAZON.TIME's "10 o'clock": resolved is "", the
     * slot is unset (INTENTS_VALUE_NONE), and these are its readings in the
     * order Lex lists them ("10:00", "22:00"). */
    unsigned n_readings;
    char readings[2][8];
};

/* The slot's value as Lex reports it (points into m), or NULL when unset. */
static inline const char *intents_slot_value(const struct intents_slot_match *m)
{
    return m->value_from == INTENTS_VALUE_ORIGINAL   ? m->original
           : m->value_from == INTENTS_VALUE_RESOLVED ? m->resolved
                                                     : NULL;
}

struct intents_ranked {
    const char *name; /* borrowed from the model */
    double score;     /* calibrated probability 0..1 */
};

struct intents_result {
    const char *intent; /* the answer: a model intent or INTENTS_FALLBACK */
    double score;       /* its score (for the fallback: the top score that was too low) */
    bool fallback;
    struct intents_ranked ranked[INTENTS_MAX_RANKED]; /* best first, model intents only */
    size_t n_ranked;
    struct intents_slot_match slots[INTENTS_MAX_SLOTS]; /* slots of `intent`; none on fallback */
    size_t n_slots;
};

struct intents_model;

/*
 * Trains a model from spec. On success *out is a new model the caller frees
 * with intents_model_free; on failure returns a negative PARLEY_E* code and,
 * when err is non-NULL, writes a sentence saying what to fix into err.
 */
int intents_model_new(const struct intents_bot_spec *spec, struct intents_model **out, char *err,
                      size_t errlen);
void intents_model_free(struct intents_model *model);

/* A 64-bit digest of everything the model learned; equal for equal specs. */
uint64_t intents_model_digest(const struct intents_model *model);

/* The fallback threshold the model uses (from the spec or the default). */
double intents_model_threshold(const struct intents_model *model);

/*
 * Classifies text (len bytes of UTF-8, not necessarily NUL-terminated) into
 * *out, which the caller owns (no allocation is returned; names in it are
 * borrowed from the model and live as long as it). ctx may be NULL.
 * Returns 0, PARLEY_EINVAL for empty text or invalid UTF-8, PARLEY_ETOOBIG
 * past INTENTS_MAX_TEXT bytes, PARLEY_ENOMEM.
 */
int intents_classify(const struct intents_model *model, const char *text, size_t len,
                     const struct intents_context *ctx, struct intents_result *out);

/*
 * The slots text holds for a given intent (one the classifier did not
 * choose: Lex reports the alternatives' slots too): up to max of them into
 * slots[], *n set. Returns 0, PARLEY_EINVAL for an unknown intent or bad
 * text, PARLEY_ENOMEM.
 */
int intents_slots_of(const struct intents_model *model, const char *text, size_t len,
                     const struct intents_context *ctx, const char *intent,
                     struct intents_slot_match *slots, size_t max, size_t *n);

/*
 * Finds a value of slot_type in text (a custom type of the model or a built-in
 * "AMAZON.*"; model may be NULL for built-ins) and fills *out (name = NULL).
 * Used for elicitation answers. Returns 0, PARLEY_ENOTFOUND when the text holds
 * no such value, PARLEY_EINVAL for an unknown type or bad text.
 */
int intents_slot_resolve(const struct intents_model *model, const char *slot_type, const char *text,
                         size_t len, const struct intents_context *ctx,
                         struct intents_slot_match *out);

/* ---- evaluation over the JSONL benchmark format (`parley eval`) ---- */

struct intents_eval_opts {
    const char *train_path; /* JSONL: text, intent, slots[{name,start,end}] in code points */
    const char *test_path;
    /* Optional held-out JSONL used to choose the fallback threshold: the score
     * below which reject_pct % of its in-scope lines fall. NULL to use
     * `threshold`. */
    const char *val_path;
    double reject_pct;        /* with val_path; e.g. 2.0 */
    double threshold;         /* used when val_path is NULL; <= 0 = never fall back */
    bool json;                /* one JSON object instead of the text report */
    const char *vectors_path; /* word vectors (intents_vectors_open), or NULL for none */
};

/* Trains on train_path, evaluates on test_path and prints the report to out.
 * Returns 0 or a negative PARLEY_E* code (a sentence was written to errout). */
int intents_eval_run(const struct intents_eval_opts *opts, FILE *out, FILE *errout);

#endif
