/*
 * Command-line plumbing shared by the verbs: one parser that knows the
 * options every data-touching verb takes (--config, --data-dir, --port) plus
 * each verb's own flags, and one way to load the config and report its error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bots/bots.h"
#include "common/common.h"
#include "lambda/lambda.h"
#include "server/server_internal.h"
#include "store/store.h"

static int parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse(int argc, char **argv, const char *usage, const struct cli_flag *flags,
              struct cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->config_path = CONFIG_DEFAULT_PATH;
    o->port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (o->nargs == (int)(sizeof o->args / sizeof o->args[0])) {
                fprintf(stderr, "parley %s: too many arguments\n", argv[0]);
                return -1;
            }
            o->args[o->nargs++] = a;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        bool common_value = (nlen == 6 && strncmp(name, "config", 6) == 0) ||
                            (nlen == 8 && strncmp(name, "data-dir", 8) == 0) ||
                            (nlen == 4 && strncmp(name, "port", 4) == 0);
        const struct cli_flag *flag = NULL;
        for (const struct cli_flag *f = flags; f && f->name; f++)
            if (strlen(f->name) == nlen && strncmp(f->name, name, nlen) == 0)
                flag = f;
        if (!common_value && !flag) {
            fprintf(stderr, "parley %s: unknown option --%.*s (see parley %s --help)\n", argv[0],
                    (int)nlen, name, argv[0]);
            return -1;
        }
        bool wants_value = common_value || flag->takes_value;
        if (wants_value && !value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "parley %s: --%.*s needs a value\n", argv[0], (int)nlen, name);
                return -1;
            }
            value = argv[++i];
        } else if (!wants_value && value) {
            fprintf(stderr, "parley %s: --%.*s takes no value\n", argv[0], (int)nlen, name);
            return -1;
        }
        if (nlen == 6 && strncmp(name, "config", 6) == 0) {
            o->config_path = value;
        } else if (nlen == 8 && strncmp(name, "data-dir", 8) == 0) {
            o->data_dir = value;
        } else if (nlen == 4 && strncmp(name, "port", 4) == 0) {
            if (parse_port(value, &o->port)) {
                fprintf(stderr, "parley %s: --port: must be an integer from 0 to 65535\n", argv[0]);
                return -1;
            }
        } else {
            if (flag->value)
                *flag->value = value;
            if (flag->set)
                *flag->set = true;
        }
    }
    return 0;
}

int cli_load_config(const struct cli_opts *o, struct parley_config *cfg)
{
    char err[1024];
    if (config_load(o->config_path, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "parley: %s\n", err);
        config_release(cfg);
        return -1;
    }
    if (o->data_dir) {
        free(cfg->data_dir);
        cfg->data_dir = strdup(o->data_dir);
    }
    if (o->port >= 0)
        cfg->server.port = o->port;
    return 0;
}

int cli_bots_open(const struct cli_opts *o, struct cli_bots *b)
{
    memset(b, 0, sizeof *b);
    if (cli_load_config(o, &b->cfg))
        return -1;
    char err[1024];
    struct bot_engine_options bo = {.workers = 1, .hook = serve_code_hook};
    if (store_open(b->cfg.data_dir, &b->st, err, sizeof err) != 0 ||
        lambda_registry_new(&b->cfg, b->st, &b->functions, err, sizeof err) != 0 ||
        (bo.hook_ud = b->functions,
         bot_engine_new(&b->cfg, b->st, &bo, &b->engine, err, sizeof err) != 0)) {
        fprintf(stderr, "parley: %s\n", err);
        return -1;
    }
    return 0;
}

void cli_bots_close(struct cli_bots *b)
{
    bot_engine_free(b->engine);
    lambda_registry_free(b->functions);
    store_close(b->st);
    config_release(&b->cfg);
    memset(b, 0, sizeof *b);
}
