/*
 * parley chat BOT — a conversation with a bot in the terminal, through the
 * same engine, sessions and dialog manager as the HTTP APIs. Each turn
 * prints the bot's message and a line with the dialog state, intent, slots
 * and confidence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bots/bots.h"
#include "common/common.h"
#include "server/server_internal.h"

static const char usage[] =
    "usage: parley chat BOT [--alias A] [--user U] [--config FILE] [--data-dir DIR]\n"
    "\n"
    "Talk to BOT in the terminal; one line is one turn; an empty line or end of input stops.\n"
    "  --alias A   the alias (default $LATEST)\n"
    "  --user U    the user id, and so the session (default terminal-user)\n";

int cmd_chat(int argc, char **argv)
{
    const char *alias = "$LATEST", *user = "terminal-user";
    struct cli_flag flags[] = {
        {"alias", true, &alias, NULL, "the alias"},
        {"user", true, &user, NULL, "the user id"},
        {NULL, false, NULL, NULL, NULL},
    };
    struct cli_opts o;
    int rc = cli_parse(argc, argv, usage, flags, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (o.nargs != 1) {
        fputs(usage, stderr);
        return 2;
    }
    struct cli_bots b;
    int result = 1;
    if (cli_bots_open(&o, &b) != 0)
        goto out;
    bool tty = isatty(0);
    char line[2048];
    for (;;) {
        if (tty) {
            printf("you> ");
            fflush(stdout);
        }
        if (!fgets(line, sizeof line, stdin))
            break;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            break;
        struct bot_turn turn = {
            .bot = o.args[0], .alias = alias, .user = user, .text = line, .channel = "chat"};
        int terr = 0;
        char msg[1024];
        cJSON *out = bot_turn_run(b.engine, &turn, &terr, msg, sizeof msg);
        if (!out) {
            printf("error: %s\n", msg);
            if (terr == PARLEY_ENOTFOUND)
                goto out;
            continue;
        }
        const char *m = json_string(out, "message");
        printf("%s> %s\n", o.args[0], m ? m : "(no message)");
        char *slots = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(out, "slots"));
        double score = -1;
        json_number(cJSON_GetObjectItemCaseSensitive(out, "nluIntentConfidence"), "score", &score);
        const char *intent = json_string(out, "intentName");
        const char *elicit = json_string(out, "slotToElicit");
        printf("   [%s%s%s intent=%s slots=%s", json_string(out, "dialogState"), elicit ? " " : "",
               elicit ? elicit : "", intent ? intent : "-", slots ? slots : "{}");
        if (score >= 0)
            printf(" confidence=%.2f", score);
        printf("]\n");
        fflush(stdout);
        free(slots);
        cJSON_Delete(out);
    }
    result = 0;
out:
    cli_bots_close(&b);
    return result;
}
