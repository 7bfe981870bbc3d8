/*
 * parley — the entry point: a table of verbs, each in server/cmd_<verb>.c.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "server/server_internal.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static int cmd_version(int argc, char **argv)
{
    printf("parley %s\n", PARLEY_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"serve", "run the server: Lex/Lambda/GraphQL APIs and the hosted sites", cmd_serve},
    {"chat", "talk to a bot in the terminal", cmd_chat},
    {"deploy", "deploy a folder as a new release of a hosted site", cmd_deploy},
    {"releases", "list a hosted site's releases", cmd_releases},
    {"rollback", "re-activate an older release of a hosted site", cmd_rollback},
    {"eval", "train and measure the intent model on a JSONL benchmark", cmd_eval},
    {"export", "print a bot as Lex V1 import/export JSON", cmd_export},
    {"publish", "snapshot a bot's $LATEST as its next version", cmd_publish},
    {"version", "print the version", cmd_version},
    {"help", "print this help", cmd_help},
};

static int cmd_help(int argc, char **argv)
{
    printf("usage: parley <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nCommands that touch data take --config FILE (default %s)\n"
           "and --data-dir DIR (default: the config's dataDir, else ./data).\n"
           "Run 'parley <command> --help' for a command's options.\n",
           CONFIG_DEFAULT_PATH);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(argc, argv);
        return 2;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)
        return cmd_help(argc - 1, argv + 1);
    if (strcmp(verb, "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(verb, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "parley: unknown command '%s' (see parley --help)\n", verb);
    return 2;
}
