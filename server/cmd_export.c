/*
 * parley export BOT [--version V] — print a bot version as Lex V1 import/export JSON.
 * parley publish BOT — snapshot $LATEST as the next numbered version, for aliases to pin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots.h"
#include "common/common.h"
#include "server/server_internal.h"

static int with_engine(int argc, char **argv, const char *usage, const struct cli_flag *flags,
                       int (*fn)(struct bot_engine *e, const char *bot, void *ud), void *ud)
{
    struct cli_opts o;
    int rc = cli_parse(argc, argv, usage, flags, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (o.nargs != 1) {
        fputs(usage, stderr);
        return 2;
    }
    struct cli_bots b;
    int result = cli_bots_open(&o, &b) == 0 ? fn(b.engine, o.args[0], ud) : 1;
    cli_bots_close(&b);
    return result;
}

static int do_export(struct bot_engine *e, const char *bot, void *ud)
{
    const char *version = *(const char **)ud;
    char *text = bot_export(e, bot, version);
    if (!text) {
        fprintf(stderr, "parley export: no version %s of a bot named %s\n", version, bot);
        return 1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    static const char usage[] =
        "usage: parley export BOT [--version V] [--config FILE] [--data-dir DIR]\n"
        "\nPrints the bot as Lex V1 import/export JSON (default version $LATEST).\n";
    const char *version = "$LATEST";
    struct cli_flag flags[] = {{"version", true, &version, NULL, "the version"},
                               {NULL, false, NULL, NULL, NULL}};
    return with_engine(argc, argv, usage, flags, do_export, &version);
}

static int do_publish(struct bot_engine *e, const char *bot, void *ud)
{
    char err[512];
    int v = bot_publish(e, bot, err, sizeof err);
    if (v < 0) {
        fprintf(stderr, "parley publish: %s\n", err);
        return 1;
    }
    printf("published %s version %d\n", bot, v);
    return 0;
}

int cmd_publish(int argc, char **argv)
{
    static const char usage[] =
        "usage: parley publish BOT [--config FILE] [--data-dir DIR]\n"
        "\nSnapshots the bot's $LATEST as its next numbered version; an alias can then pin it\n"
        "(\"aliases\": {\"prod\": \"2\"} in the config).\n";
    return with_engine(argc, argv, usage, NULL, do_publish, NULL);
}
