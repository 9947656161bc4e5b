/* parse.c — a parsed command and its options, and virsh's command-line
 * syntax.
 *
 * The parser follows virsh 9.0: options may appear anywhere, `--opt=value`
 * and `--opt value` are equivalent, positional arguments fill the
 * command's non-boolean options in table order, `--` makes the rest of the
 * command positional, and a whole batch is parsed before anything runs.
 */
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* A parsed command and its options                                     */

struct _vsCliCmd {
    const vsCliCmdDef *def;
    guint nopts;
    gboolean *seen;
    char **values;           /* STRING options */
    GPtrArray **argv;        /* ARGV options */
};

static void
vsCliCmdFree(vsCliCmd *cmd)
{
    if (!cmd)
        return;
    for (guint i = 0; i < cmd->nopts; i++) {
        g_free(cmd->values[i]);
        if (cmd->argv[i])
            g_ptr_array_unref(cmd->argv[i]);
    }
    g_free(cmd->seen);
    g_free(cmd->values);
    g_free(cmd->argv);
    g_free(cmd);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsCliCmd, vsCliCmdFree)

static vsCliCmd *
vsCliCmdNew(const vsCliCmdDef *def)
{
    vsCliCmd *cmd = g_new0(vsCliCmd, 1);

    cmd->def = def;
    while (def->opts && def->opts[cmd->nopts].name)
        cmd->nopts++;
    cmd->seen = g_new0(gboolean, cmd->nopts + 1);
    cmd->values = g_new0(char *, cmd->nopts + 1);
    cmd->argv = g_new0(GPtrArray *, cmd->nopts + 1);
    return cmd;
}

static int
vsCliOptIndex(const vsCliCmdDef *def, const char *name, gsize len)
{
    for (int i = 0; def->opts && def->opts[i].name; i++) {
        if (strlen(def->opts[i].name) == len &&
            memcmp(def->opts[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

/* Option lookups by the handlers: an unknown name is a programming error. */
static int
vsCliOptIndexChecked(const vsCliCmd *cmd, const char *name)
{
    int i = vsCliOptIndex(cmd->def, name, strlen(name));

    if (i < 0)
        g_critical("command '%s' has no option '%s'", cmd->def->name, name);
    return i;
}

const char *
vsCliCmdName(const vsCliCmd *cmd)
{
    return cmd->def->name;
}

gboolean
vsCliOptBool(const vsCliCmd *cmd, const char *name)
{
    int i = vsCliOptIndexChecked(cmd, name);

    return i >= 0 && cmd->seen[i];
}

int
vsCliOptString(vsCli *cli, const vsCliCmd *cmd, const char *name,
               const char **value)
{
    int i = vsCliOptIndexChecked(cmd, name);

    *value = NULL;
    if (i < 0 || !cmd->seen[i])
        return 0;
    if (!cmd->values[i][0] && !(cmd->def->opts[i].flags & VS_CLI_OF_EMPTY_OK)) {
        vsCliError(cli, "Failed to get option '%s': Option argument is empty",
                   name);
        return -1;
    }
    *value = cmd->values[i];
    return 1;
}

const GPtrArray *
vsCliOptArgv(const vsCliCmd *cmd, const char *name)
{
    int i = vsCliOptIndexChecked(cmd, name);

    return i >= 0 ? cmd->argv[i] : NULL;
}

int
vsCliOptExclusive(vsCli *cli, const vsCliCmd *cmd, const char *a, const char *b)
{
    if (vsCliOptBool(cmd, a) && vsCliOptBool(cmd, b)) {
        vsCliError(cli, "Options --%s and --%s are mutually exclusive", a, b);
        return -1;
    }
    return 0;
}

gboolean
vsCliOptIsPositional(const vsCliOptDef *opt)
{
    return opt->type != VS_CLI_OT_BOOL && !(opt->flags & VS_CLI_OF_NAMED);
}

/* ------------------------------------------------------------------ */
/* Tokenizers                                                           */

typedef enum {
    VS_CLI_TK_ERROR = -1,
    VS_CLI_TK_END,
    VS_CLI_TK_ARG,
    VS_CLI_TK_SEP,      /* ";" or end of line: next command */
} vsCliToken;

typedef struct {
    char **argv;         /* argument-vector mode */
    int argc;
    int pos;
    const char *p;       /* string mode */
} vsCliParser;

/* virsh's command-string syntax: blanks separate words, ';' and newline
 * separate commands, '#' starts a comment, 'single' quotes are literal,
 * "double" quotes and a backslash outside single quotes escape. */
static vsCliToken
vsCliStringNext(vsCli *cli, vsCliParser *ps, char **out)
{
    const char *p = ps->p;
    g_autoptr(GString) word = NULL;
    gboolean sq = FALSE, dq = FALSE;

    while (*p == ' ' || *p == '\t' || (p[0] == '\\' && p[1] == '\n'))
        p += p[0] == '\\' ? 2 : 1;
    if (*p == '\0') {
        ps->p = p;
        return VS_CLI_TK_END;
    }
    if (*p == ';' || *p == '\n') {
        ps->p = p + 1;
        return VS_CLI_TK_SEP;
    }
    if (*p == '#') {
        while (*p && *p != '\n')
            p++;
        ps->p = *p ? p + 1 : p;
        return VS_CLI_TK_SEP;
    }

    word = g_string_new(NULL);
    while (*p) {
        if (!sq && !dq && (*p == ' ' || *p == '\t' || *p == ';' || *p == '\n'))
            break;
        if (!dq && *p == '\'') {
            sq = !sq;
            p++;
            continue;
        }
        if (!sq && *p == '"') {
            dq = !dq;
            p++;
            continue;
        }
        if (!sq && *p == '\\') {
            p++;
            if (*p == '\0') {
                vsCliError(cli, "dangling \\");
                return VS_CLI_TK_ERROR;
            }
            if (*p == '\n') {
                p++;
                continue;
            }
        }
        g_string_append_c(word, *p++);
    }
    /* Like virsh, an unterminated single quote simply runs to the end. */
    if (dq) {
        vsCliError(cli, "missing \"");
        return VS_CLI_TK_ERROR;
    }
    ps->p = p;
    *out = g_string_free(g_steal_pointer(&word), FALSE);
    return VS_CLI_TK_ARG;
}

/* Argument-vector mode: every element is one word, except that a lone
 * ";" where an option or a positional is expected separates commands
 * (virsh only does this inside a single command-string argument). */
static vsCliToken
vsCliArgvNext(vsCliParser *ps, gboolean want_value, char **out)
{
    if (ps->pos >= ps->argc)
        return VS_CLI_TK_END;
    if (!want_value && strcmp(ps->argv[ps->pos], ";") == 0) {
        ps->pos++;
        return VS_CLI_TK_SEP;
    }
    *out = g_strdup(ps->argv[ps->pos++]);
    return VS_CLI_TK_ARG;
}

static vsCliToken
vsCliNext(vsCli *cli, vsCliParser *ps, gboolean want_value, char **out)
{
    *out = NULL;
    if (ps->argv)
        return vsCliArgvNext(ps, want_value, out);
    return vsCliStringNext(cli, ps, out);
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */

static void
vsCliStore(vsCliCmd *cmd, int idx, char *value)
{
    const vsCliOptDef *o = &cmd->def->opts[idx];

    cmd->seen[idx] = TRUE;
    if (o->type == VS_CLI_OT_ARGV) {
        if (!cmd->argv[idx])
            cmd->argv[idx] = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(cmd->argv[idx], value);
    } else {
        g_free(cmd->values[idx]);
        cmd->values[idx] = value;
    }
}

/* Skips to the end of the current command (after `--help`). */
static vsCliToken
vsCliSkipCommand(vsCli *cli, vsCliParser *ps)
{
    for (;;) {
        g_autofree char *tok = NULL;
        vsCliToken tk = vsCliNext(cli, ps, FALSE, &tok);

        if (tk != VS_CLI_TK_ARG)
            return tk;
    }
}

/* `--NAME`, `--NAME=VALUE` or `--NAME VALUE` (@arg is what follows the
 * dashes) sets an option of @cmd; -1 (reported) when it cannot. */
static int
vsCliParseOption(vsCli *cli, vsCliParser *ps, vsCliCmd *cmd, gboolean *filled,
                 const char *arg)
{
    const vsCliOptDef *opts = cmd->def->opts;
    const char *eq = strchr(arg, '=');
    gsize len = eq ? (gsize)(eq - arg) : strlen(arg);
    int idx = vsCliOptIndex(cmd->def, arg, len);
    char *value = NULL;

    if (idx < 0) {
        vsCliError(cli, "command '%s' doesn't support option --%.*s",
                   cmd->def->name, (int)len, arg);
        return -1;
    }
    /* virsh checks a repeated option when it looks the name up, before it
     * reads a value (vshCmddefGetOption). */
    if (cmd->seen[idx] && opts[idx].type != VS_CLI_OT_ARGV) {
        vsCliError(cli, "option --%s already seen", opts[idx].name);
        return -1;
    }
    if (opts[idx].type == VS_CLI_OT_BOOL) {
        if (eq) {
            vsCliError(cli, "invalid '=' after option --%s", opts[idx].name);
            return -1;
        }
    } else if (eq) {
        value = g_strdup(eq + 1);
    } else if (vsCliNext(cli, ps, TRUE, &value) != VS_CLI_TK_ARG) {
        g_free(value);
        vsCliError(cli, "expected syntax: --%s <string>", opts[idx].name);
        return -1;
    }
    if (opts[idx].type == VS_CLI_OT_BOOL)
        cmd->seen[idx] = TRUE;
    else
        vsCliStore(cmd, idx, value);
    filled[idx] = TRUE;
    return 0;
}

/* A positional argument goes to the first option still waiting for one
 * (*tok is taken); -1 (reported) when none is. */
static int
vsCliParsePositional(vsCli *cli, vsCliCmd *cmd, gboolean *filled, char **tok)
{
    const vsCliOptDef *opts = cmd->def->opts;

    for (guint i = 0; i < cmd->nopts; i++) {
        if (vsCliOptIsPositional(&opts[i]) &&
            (!filled[i] || opts[i].type == VS_CLI_OT_ARGV)) {
            filled[i] = TRUE;
            vsCliStore(cmd, i, g_steal_pointer(tok));
            return 0;
        }
    }
    vsCliError(cli, "unexpected data '%s'", *tok);
    return -1;
}

/* `CMD --help` is `help CMD`: *cmd is replaced, the rest of CMD skipped. */
static vsCliToken
vsCliParseHelpInstead(vsCli *cli, vsCliParser *ps, vsCliCmd **cmd)
{
    vsCliCmd *help = vsCliCmdNew(vsCliFindCommand("help"));

    vsCliStore(help, 0, g_strdup((*cmd)->def->name));
    vsCliCmdFree(*cmd);
    *cmd = help;
    return vsCliSkipCommand(cli, ps);
}

/* -1 (reported) when a VS_CLI_OF_REQUIRED option of @cmd is missing. */
static int
vsCliCheckRequired(vsCli *cli, const vsCliCmd *cmd)
{
    for (guint i = 0; i < cmd->nopts; i++) {
        const vsCliOptDef *o = &cmd->def->opts[i];

        if ((o->flags & VS_CLI_OF_REQUIRED) && !cmd->seen[i]) {
            if (vsCliOptIsPositional(o))
                vsCliError(cli, "command '%s' requires <%s> option",
                           cmd->def->name, o->name);
            else
                vsCliError(cli, "command '%s' requires --%s option",
                           cmd->def->name, o->name);
            return -1;
        }
    }
    return 0;
}

/* Parses one command; *out stays NULL for an empty one.
 * Returns the token that ended it (END or SEP) or ERROR (reported). */
static vsCliToken
vsCliParseCommand(vsCli *cli, vsCliParser *ps, vsCliCmd **out)
{
    g_autoptr(vsCliCmd) cmd = NULL;
    g_autofree char *name = NULL;
    g_autofree gboolean *filled = NULL;   /* given, by option index */
    const vsCliCmdDef *def;
    gboolean data_only = FALSE;
    vsCliToken tk;

    *out = NULL;
    tk = vsCliNext(cli, ps, FALSE, &name);
    if (tk != VS_CLI_TK_ARG)
        return tk;
    if (!(def = vsCliFindCommand(name))) {
        vsCliError(cli, "unknown command: '%s'", name);
        return VS_CLI_TK_ERROR;
    }
    cmd = vsCliCmdNew(def);
    filled = g_new0(gboolean, cmd->nopts + 1);

    for (;;) {
        g_autofree char *tok = NULL;

        tk = vsCliNext(cli, ps, FALSE, &tok);
        if (tk != VS_CLI_TK_ARG)
            break;
        if (data_only || tok[0] != '-' || tok[1] != '-') {
            if (vsCliParsePositional(cli, cmd, filled, &tok) < 0)
                return VS_CLI_TK_ERROR;
        } else if (!tok[2]) {
            data_only = TRUE;   /* `--`: the rest is positional */
        } else if (strcmp(tok + 2, "help") == 0) {
            tk = vsCliParseHelpInstead(cli, ps, &cmd);
            break;
        } else if (vsCliParseOption(cli, ps, cmd, filled, tok + 2) < 0) {
            return VS_CLI_TK_ERROR;
        }
    }
    if (tk == VS_CLI_TK_ERROR || vsCliCheckRequired(cli, cmd) < 0)
        return VS_CLI_TK_ERROR;
    *out = g_steal_pointer(&cmd);
    return tk;
}

/* Parses a whole batch; nothing runs if any command is malformed. */
static GPtrArray *
vsCliParseAll(vsCli *cli, vsCliParser *ps)
{
    g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify)vsCliCmdFree);

    for (;;) {
        vsCliCmd *cmd = NULL;
        vsCliToken tk = vsCliParseCommand(cli, ps, &cmd);

        if (tk == VS_CLI_TK_ERROR)
            return NULL;
        if (cmd)
            g_ptr_array_add(cmds, cmd);
        if (tk == VS_CLI_TK_END)
            return g_steal_pointer(&cmds);
    }
}

GPtrArray *
vsCliParseString(vsCli *cli, const char *str)
{
    vsCliParser ps = { .p = str };

    return vsCliParseAll(cli, &ps);
}

GPtrArray *
vsCliParseArgv(vsCli *cli, char **argv, int argc)
{
    vsCliParser ps = { .argv = argv, .argc = argc };

    return vsCliParseAll(cli, &ps);
}

int
vsCliCmdRun(vsCli *cli, const vsCliCmd *cmd)
{
    return cmd->def->handler(cli, cmd);
}
