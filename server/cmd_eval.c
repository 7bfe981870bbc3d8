/*
 * `parley eval`: measures the intent model on a benchmark. The work is
 * intents_eval_run (intents/eval.c); this verb only reads the flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "intents/intents.h"
#include "server/server_internal.h"

static const char usage[] =
    "usage: parley eval --train FILE --test FILE [--val FILE [--reject PCT]] [--threshold P]\n"
    "                   [--vectors FILE|none] [--json]\n"
    "\n"
    "Trains the intent model on --train (JSON lines: text, intent, slots with\n"
    "code-point start/end; intent \"oos\" = out of scope) and reports on --test:\n"
    "intent accuracy, in-scope accuracy, OOS recall, slot precision/recall/F1\n"
    "(exact span and name), the most confused intents, training time and mean\n"
    "inference time per utterance. \"oos\" training lines are left out; the\n"
    "fallback threshold is chosen on --val as the score below which --reject %\n"
    "(default 2) of its in-scope lines fall, or given with --threshold (default:\n"
    "never fall back). --vectors names the word-vector file (default: the one\n"
    "scripts/install-deps.sh writes, when it is there; none: without). --json\n"
    "prints one object\n"
    "with intent_accuracy, in_scope_accuracy, oos_recall, slot_f1 (0-100),\n"
    "train_ms and infer_us.\n";

int cmd_eval(int argc, char **argv)
{
    const char *train = NULL, *test = NULL, *val = NULL, *threshold = NULL, *reject = NULL;
    const char *vectors = NULL;
    bool json = false;
    const struct cli_flag flags[] = {
        {"train", true, &train, NULL, "training JSONL"},
        {"test", true, &test, NULL, "test JSONL"},
        {"val", true, &val, NULL, "held-out JSONL to choose the OOS threshold"},
        {"reject", true, &reject, NULL, "share of in-scope --val lines to reject, %"},
        {"threshold", true, &threshold, NULL, "fallback threshold 0..1"},
        {"vectors", true, &vectors, NULL, "word-vector file, or none"},
        {"json", false, NULL, &json, "print one JSON object"},
        {NULL, false, NULL, NULL, NULL},
    };
    struct cli_opts o;
    int rc = cli_parse(argc, argv, usage, flags, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!train || !test || o.nargs) {
        fputs(usage, stderr);
        return 2;
    }
    struct intents_eval_opts eo = {train, test, val, 2.0, 0, json, vectors};
    if (!vectors) {
        eo.vectors_path = intents_vectors_default_path();
        if (access(eo.vectors_path, R_OK) != 0) {
            fprintf(stderr,
                    "parley eval: no word vectors at %s (scripts/install-deps.sh vectors "
                    "writes them); measuring without\n",
                    eo.vectors_path);
            eo.vectors_path = NULL;
        }
    } else if (strcmp(vectors, "none") == 0) {
        eo.vectors_path = NULL;
    }
    if (reject) {
        char *end;
        eo.reject_pct = strtod(reject, &end);
        if (*end || eo.reject_pct < 0 || eo.reject_pct > 100) {
            fprintf(stderr, "parley eval: --reject takes a percentage between 0 and 100\n");
            return 2;
        }
    }
    if (threshold) {
        char *end;
        eo.threshold = strtod(threshold, &end);
        if (*end || eo.threshold < 0 || eo.threshold > 1) {
            fprintf(stderr, "parley eval: --threshold takes a number between 0 and 1\n");
            return 2;
        }
    }
    return intents_eval_run(&eo, stdout, stderr) < 0 ? 1 : 0;
}
