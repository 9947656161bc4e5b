/* virtsnap.c — entry point: global options, virsh-style command parsing,
 * dispatch, `;` batches and the standard-input command stream.
 *
 * The parser follows virsh 9.0: options may appear anywhere, `--opt=value`
 * and `--opt value` are equivalent, positional arguments fill the
 * command's non-boolean options in table order, `--` makes the rest of the
 * command positional, and a whole batch is parsed before anything runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Longest line read in standard-input mode. */
#define VS_CLI_MAX_LINE (1024 * 1024)

static const vsCliGroup vsCliGroupShell;

/* Every command group; a new cmd-*.c adds its group here. */
static const vsCliGroup *const vsCliGroups[] = {
    &vsCliGroupSnapshot,
    &vsCliGroupXml,
    &vsCliGroupStore,
    &vsCliGroupShell,
    NULL,
};

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

/* ------------------------------------------------------------------ */
/* Output                                                               */

void
vsCliError(vsCli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "error: %s\n", msg);
    fflush(stderr);
}

void
vsCliReportGError(vsCli *cli, const GError *err)
{
    vsCliError(cli, "%s", err ? err->message : "unknown error");
}

void
vsCliPrint(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

void
vsCliPrintExtra(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->quiet)
        return;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Store access                                                         */

static gint64
vsCliFixedClock(gpointer data)
{
    return *(const gint64 *)data;
}

static int
vsCliStoreOpenFlags(vsCli *cli, gboolean create, vsStore **out)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vsStore) store = NULL;

    if (vsStoreOpen(&store, cli->store_dir, create ? VS_STORE_OPEN_CREATE : 0,
                    &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (cli->have_now)
        vsStoreSetClock(store, vsCliFixedClock, &cli->now);
    *out = g_steal_pointer(&store);
    return 0;
}

int
vsCliOpenStore(vsCli *cli, gboolean create, vsStore **out)
{
    vsCliFlushDomains(cli);
    return vsCliStoreOpenFlags(cli, create, out);
}

void
vsCliFlushDomains(vsCli *cli)
{
    if (cli->domains)
        g_hash_table_remove_all(cli->domains);
}

typedef struct {
    vsDomain *dom;
    gboolean write;
} vsCliDomainEntry;

static void
vsCliDomainEntryFree(gpointer data)
{
    vsCliDomainEntry *e = data;

    vsDomainFree(e->dom);
    g_free(e);
}

int
vsCliLoadDomain(vsCli *cli, const vsCliCmd *cmd, gboolean write,
                vsDomain **dom_out)
{
    g_autoptr(GError) err = NULL;
    vsCliDomainEntry *e;
    vsDomain *dom = NULL;
    const char *vm = NULL;

    if (vsCliOptString(cli, cmd, "domain", &vm) < 0)
        return -1;
    g_assert(vm);   /* a required option */

    if (!cli->domains)
        cli->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             vsCliDomainEntryFree);
    /* A kept write handle serves everything: its lock has been held since
     * it was loaded, so it is current.  A read-only one is replaced by a
     * fresh locked load before a write (never write from a stale view). */
    e = g_hash_table_lookup(cli->domains, vm);
    if (e && (e->write || !write)) {
        *dom_out = e->dom;
        return 0;
    }
    if (e)
        g_hash_table_remove(cli->domains, vm);

    /* Read commands fail on a missing store rather than creating it. */
    if (!cli->store && vsCliStoreOpenFlags(cli, write, &cli->store) < 0)
        return -1;
    if (vsStoreLoadDomain(&dom, cli->store, vm, NULL,
                          write ? VS_DOMAIN_LOAD_WRITE : 0, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    e = g_new0(vsCliDomainEntry, 1);
    e->dom = dom;
    e->write = write;
    g_hash_table_insert(cli->domains, g_strdup(vm), e);
    *dom_out = dom;
    return 0;
}

int
vsCliReadFile(char **out, gsize *len, const char *path, gsize max,
              gboolean dash_is_stdin, GError **error)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    gboolean is_stdin = dash_is_stdin && strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int ret = -1;

    if (fd < 0) {
        int errsv = errno;
        g_set_error(error, VS_ERROR, errsv == ENOENT ? VS_ERROR_NOT_FOUND : VS_ERROR_IO,
                    "Failed to open file '%s': %s", path, g_strerror(errsv));
        return -1;
    }
    for (;;) {
        guint8 chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0) {
            int errsv = errno;
            if (errsv == EINTR)
                continue;
            g_set_error(error, VS_ERROR, VS_ERROR_IO,
                        "Failed to read file '%s': %s", path, g_strerror(errsv));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (buf->len + (gsize)n > max) {
            /* virsh's virFileReadAll reports EOVERFLOW past its limit. */
            g_set_error(error, VS_ERROR, VS_ERROR_TOO_LARGE,
                        "Failed to read file '%s': %s", path, g_strerror(EOVERFLOW));
            goto cleanup;
        }
        g_byte_array_append(buf, chunk, n);
    }
    *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1);
    *out = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
    ret = 0;

 cleanup:
    if (!is_stdin)
        close(fd);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Command lookup and help                                              */

static const vsCliCmdDef *
vsCliFindCommand(const char *name)
{
    for (guint g = 0; vsCliGroups[g]; g++) {
        for (const vsCliCmdDef *c = vsCliGroups[g]->cmds; c->name; c++) {
            if (strcmp(c->name, name) == 0)
                return c;
        }
    }
    return NULL;
}

static const vsCliGroup *
vsCliFindGroup(const char *keyword)
{
    for (guint g = 0; vsCliGroups[g]; g++) {
        if (g_ascii_strcasecmp(vsCliGroups[g]->keyword, keyword) == 0)
            return vsCliGroups[g];
    }
    return NULL;
}

static gboolean
vsCliOptIsPositional(const vsCliOptDef *opt)
{
    return opt->type != VS_CLI_OT_BOOL && !(opt->flags & VS_CLI_OF_NAMED);
}

/* The layout of virsh's `help COMMAND`. */
static void
vsCliPrintCommandHelp(vsCli *cli, const vsCliCmdDef *def)
{
    g_autoptr(GString) syn = g_string_new(def->name);
    g_autoptr(GString) opts = g_string_new(NULL);

    for (const vsCliOptDef *o = def->opts; o && o->name; o++) {
        g_autofree char *left = NULL;
        gboolean req = o->flags & VS_CLI_OF_REQUIRED;

        switch (o->type) {
        case VS_CLI_OT_BOOL:
            g_string_append_printf(syn, " [--%s]", o->name);
            left = g_strdup_printf("--%s", o->name);
            break;
        case VS_CLI_OT_STRING:
            if (req && vsCliOptIsPositional(o)) {
                g_string_append_printf(syn, " <%s>", o->name);
                left = g_strdup_printf("[--%s] <string>", o->name);
            } else if (req) {
                g_string_append_printf(syn, " --%s <string>", o->name);
                left = g_strdup_printf("--%s <string>", o->name);
            } else {
                g_string_append_printf(syn, " [--%s <string>]", o->name);
                left = g_strdup_printf("--%s <string>", o->name);
            }
            break;
        case VS_CLI_OT_ARGV:
            if (req)
                g_string_append_printf(syn, " <%s>...", o->name);
            else
                g_string_append_printf(syn, " [[--%s] <string>]...", o->name);
            left = g_strdup_printf("[--%s] <string>", o->name);
            break;
        }
        g_string_append_printf(opts, "    %-15s  %s\n", left, o->help);
    }

    vsCliPrint(cli, "  NAME\n    %s - %s\n\n", def->name, def->summary);
    vsCliPrint(cli, "  SYNOPSIS\n    %s\n\n", syn->str);
    if (def->description)
        vsCliPrint(cli, "  DESCRIPTION\n    %s\n\n", def->description);
    if (opts->len)
        vsCliPrint(cli, "  OPTIONS\n%s\n", opts->str);
}

static void
vsCliPrintGroupHelp(vsCli *cli, const vsCliGroup *group)
{
    vsCliPrint(cli, " %s (help keyword '%s'):\n", group->title, group->keyword);
    for (const vsCliCmdDef *c = group->cmds; c->name; c++)
        vsCliPrint(cli, "    %-30s %s\n", c->name, c->summary);
    vsCliPrint(cli, "\n");
}

static void
vsCliUsage(vsCli *cli)
{
    vsCliPrint(cli,
               "\n"
               "virtsnap [options]... [<command_string>]\n"
               "virtsnap [options]... <command> [args...]\n"
               "\n"
               "  options:\n"
               "    -h | --help             this help\n"
               "    -q | --quiet            quiet mode\n"
               "         --store=DIR        snapshot store directory\n"
               "    -v | --version          program version\n"
               "\n"
               "  environment:\n"
               "    VIRTSNAP_STORE          store directory when --store is not given\n"
               "                            (default: /var/lib/libvirt/qemu/snapshot for root,\n"
               "                            else $XDG_CONFIG_HOME/libvirt/qemu/snapshot)\n"
               "\n"
               "  commands (non interactive mode):\n"
               "\n");
    for (guint g = 0; vsCliGroups[g]; g++)
        vsCliPrintGroupHelp(cli, vsCliGroups[g]);
    vsCliPrint(cli,
               "  (specify help <group> for details about the commands in the group)\n"
               "\n"
               "  (specify help <command> for details about the command)\n"
               "\n");
}

static int
vsCliCmdHelp(vsCli *cli, const vsCliCmd *cmd)
{
    const char *name = NULL;
    const vsCliCmdDef *def;
    const vsCliGroup *group;

    if (vsCliOptString(cli, cmd, "command", &name) < 0)
        return -1;
    if (!name) {
        for (guint g = 0; vsCliGroups[g]; g++)
            vsCliPrintGroupHelp(cli, vsCliGroups[g]);
        return 0;
    }
    if ((def = vsCliFindCommand(name))) {
        vsCliPrintCommandHelp(cli, def);
        return 0;
    }
    if ((group = vsCliFindGroup(name))) {
        vsCliPrintGroupHelp(cli, group);
        return 0;
    }
    vsCliError(cli, "command or command group '%s' doesn't exist", name);
    return -1;
}

static int
vsCliCmdQuit(vsCli *cli, const vsCliCmd *cmd)
{
    cli->quit = TRUE;
    return 0;
}

static const vsCliOptDef vsCliOptsHelp[] = {
    { "command", VS_CLI_OT_STRING, 0, "Prints global help, command specific help, or help for a group of related commands" },
    { 0 }
};

static const vsCliCmdDef vsCliShellCmds[] = {
    { "exit", "quit this interactive terminal", NULL, NULL, vsCliCmdQuit },
    { "help", "print help", "Prints global help, command specific help, or help for a\n    group of related commands",
      vsCliOptsHelp, vsCliCmdHelp },
    { "quit", "quit this interactive terminal", NULL, NULL, vsCliCmdQuit },
    { 0 }
};

static const vsCliGroup vsCliGroupShell = { "Virtsnap itself", "virtsnap", vsCliShellCmds };

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

/* Parses one command; *out stays NULL for an empty one.
 * Returns the token that ended it (END or SEP) or ERROR (reported). */
static vsCliToken
vsCliParseCommand(vsCli *cli, vsCliParser *ps, vsCliCmd **out)
{
    g_autoptr(vsCliCmd) cmd = NULL;
    g_autofree char *name = NULL;
    g_autofree gboolean *filled = NULL;
    gboolean data_only = FALSE;
    vsCliToken tk;

    *out = NULL;
    tk = vsCliNext(cli, ps, FALSE, &name);
    if (tk != VS_CLI_TK_ARG)
        return tk;

    {
        const vsCliCmdDef *def = vsCliFindCommand(name);
        if (!def) {
            vsCliError(cli, "unknown command: '%s'", name);
            return VS_CLI_TK_ERROR;
        }
        cmd = vsCliCmdNew(def);
    }
    filled = g_new0(gboolean, cmd->nopts + 1);

    for (;;) {
        g_autofree char *tok = NULL;
        const vsCliOptDef *opts = cmd->def->opts;
        int idx = -1;

        tk = vsCliNext(cli, ps, FALSE, &tok);
        if (tk != VS_CLI_TK_ARG)
            break;

        if (!data_only && tok[0] == '-' && tok[1] == '-') {
            const char *oname = tok + 2;
            const char *eq = strchr(oname, '=');
            gsize olen = eq ? (gsize)(eq - oname) : strlen(oname);
            char *value = NULL;

            if (!*oname) {
                data_only = TRUE;
                continue;
            }
            if (strcmp(oname, "help") == 0) {
                /* `CMD --help` is `help CMD`. */
                vsCliCmd *help = vsCliCmdNew(vsCliFindCommand("help"));
                vsCliStore(help, 0, g_strdup(cmd->def->name));
                vsCliCmdFree(cmd);
                cmd = help;
                tk = vsCliSkipCommand(cli, ps);
                break;
            }
            idx = vsCliOptIndex(cmd->def, oname, olen);
            if (idx < 0) {
                vsCliError(cli, "command '%s' doesn't support option --%.*s",
                           cmd->def->name, (int)olen, oname);
                return VS_CLI_TK_ERROR;
            }
            /* virsh checks a repeated option when it looks the name up,
             * before it reads a value (vshCmddefGetOption). */
            if (cmd->seen[idx] && opts[idx].type != VS_CLI_OT_ARGV) {
                vsCliError(cli, "option --%s already seen", opts[idx].name);
                return VS_CLI_TK_ERROR;
            }
            if (opts[idx].type == VS_CLI_OT_BOOL) {
                if (eq) {
                    vsCliError(cli, "invalid '=' after option --%s", opts[idx].name);
                    return VS_CLI_TK_ERROR;
                }
            } else if (eq) {
                value = g_strdup(eq + 1);
            } else if (vsCliNext(cli, ps, TRUE, &value) != VS_CLI_TK_ARG) {
                g_free(value);
                vsCliError(cli, "expected syntax: --%s <string>", opts[idx].name);
                return VS_CLI_TK_ERROR;
            }
            if (opts[idx].type == VS_CLI_OT_BOOL)
                cmd->seen[idx] = TRUE;
            else
                vsCliStore(cmd, idx, value);
            filled[idx] = TRUE;
            continue;
        }

        /* A positional argument: the first option still waiting for one. */
        for (guint i = 0; i < cmd->nopts; i++) {
            if (vsCliOptIsPositional(&opts[i]) &&
                (!filled[i] || opts[i].type == VS_CLI_OT_ARGV)) {
                idx = i;
                break;
            }
        }
        if (idx < 0) {
            vsCliError(cli, "unexpected data '%s'", tok);
            return VS_CLI_TK_ERROR;
        }
        filled[idx] = TRUE;
        vsCliStore(cmd, idx, g_steal_pointer(&tok));
    }
    if (tk == VS_CLI_TK_ERROR)
        return tk;

    for (guint i = 0; i < cmd->nopts; i++) {
        const vsCliOptDef *o = &cmd->def->opts[i];

        if ((o->flags & VS_CLI_OF_REQUIRED) && !cmd->seen[i]) {
            if (vsCliOptIsPositional(o))
                vsCliError(cli, "command '%s' requires <%s> option",
                           cmd->def->name, o->name);
            else
                vsCliError(cli, "command '%s' requires --%s option",
                           cmd->def->name, o->name);
            return VS_CLI_TK_ERROR;
        }
    }
    *out = g_steal_pointer(&cmd);
    return tk;
}

/* Parses a whole batch; nothing runs if any command is malformed. */
static int
vsCliParseAll(vsCli *cli, vsCliParser *ps, GPtrArray *cmds)
{
    for (;;) {
        vsCliCmd *cmd = NULL;
        vsCliToken tk = vsCliParseCommand(cli, ps, &cmd);

        if (tk == VS_CLI_TK_ERROR)
            return -1;
        if (cmd)
            g_ptr_array_add(cmds, cmd);
        if (tk == VS_CLI_TK_END)
            return 0;
    }
}

/* Runs the commands in order; the result is the last command's. */
static int
vsCliRun(vsCli *cli, GPtrArray *cmds)
{
    int ret = 0;

    for (guint i = 0; i < cmds->len && !cli->quit; i++) {
        const vsCliCmd *cmd = g_ptr_array_index(cmds, i);

        ret = cmd->def->handler(cli, cmd);
        if (cli->quit)
            break;
        vsCliPrintExtra(cli, "\n");
        fflush(stdout);
    }
    return ret;
}

static int
vsCliRunString(vsCli *cli, const char *str)
{
    g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify)vsCliCmdFree);
    vsCliParser ps = { .p = str };

    if (vsCliParseAll(cli, &ps, cmds) < 0)
        return -1;
    return vsCliRun(cli, cmds);
}

/* Standard input, read with our own buffer so we know when the next
 * read would block. */
typedef struct {
    GString *buf;       /* bytes read but not yet returned */
    gboolean eof;
} vsCliInput;

/* Reads one line (without its newline) into @line; FALSE at the end of
 * input.  A line over VS_CLI_MAX_LINE bytes sets *too_long and is
 * skipped.  Before waiting for more input the kept VM handles are
 * dropped: a pause in the input must not keep other writers locked out. */
static gboolean
vsCliReadLine(vsCli *cli, vsCliInput *in, GString *line, gboolean *too_long)
{
    gsize skipped = 0;

    *too_long = FALSE;
    g_string_truncate(line, 0);
    for (;;) {
        char *nl = memchr(in->buf->str, '\n', in->buf->len);
        char chunk[65536];
        ssize_t n;

        if (nl) {
            gsize len = nl - in->buf->str;

            if (skipped + len > VS_CLI_MAX_LINE)
                *too_long = TRUE;
            else
                g_string_append_len(line, in->buf->str, len);
            g_string_erase(in->buf, 0, len + 1);
            return TRUE;
        }
        if (in->eof) {
            if (in->buf->len == 0 && skipped == 0)
                return FALSE;
            if (skipped + in->buf->len > VS_CLI_MAX_LINE)
                *too_long = TRUE;
            else
                g_string_append_len(line, in->buf->str, in->buf->len);
            g_string_truncate(in->buf, 0);
            return TRUE;
        }
        /* Keep memory bounded on an endless line. */
        if (in->buf->len > VS_CLI_MAX_LINE) {
            skipped += in->buf->len;
            g_string_truncate(in->buf, 0);
        }
        vsCliFlushDomains(cli);
        n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            in->eof = TRUE;
        else
            g_string_append_len(in->buf, chunk, n);
    }
}

/* No command on the command line: one command string per input line,
 * so a script pays for one process start. */
static int
vsCliRunStdin(vsCli *cli)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GString) buf = g_string_new(NULL);
    vsCliInput in = { buf, FALSE };
    gboolean interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    gboolean too_long;
    guint64 lineno = 0;
    int ret = 0;

    cli->stdin_commands = TRUE;
    for (;;) {
        if (interactive) {
            vsCliPrint(cli, "virtsnap # ");
            fflush(stdout);
        }
        if (!vsCliReadLine(cli, &in, line, &too_long))
            break;
        lineno++;
        if (too_long) {
            vsCliError(cli, "line %" G_GUINT64_FORMAT ": longer than %d bytes",
                       lineno, VS_CLI_MAX_LINE);
            ret = -1;
            continue;
        }
        if (memchr(line->str, '\0', line->len)) {
            vsCliError(cli, "line %" G_GUINT64_FORMAT ": contains a NUL byte", lineno);
            ret = -1;
            continue;
        }
        ret = vsCliRunString(cli, line->str);
        if (cli->quit)
            break;
    }
    if (interactive && !cli->quit)
        vsCliPrint(cli, "\n");
    return ret;
}

/* ------------------------------------------------------------------ */
/* Global options                                                       */

static char *
vsCliDefaultStore(void)
{
    /* root uses libvirt's own snapshotDir, so a legacy directory there
     * can be converted in place. */
    if (geteuid() == 0)
        return g_strdup("/var/lib/libvirt/qemu/snapshot");
    return g_build_filename(g_get_user_config_dir(), "libvirt", "qemu",
                            "snapshot", NULL);
}

static int
vsCliParseNow(vsCli *cli)
{
    const char *env = g_getenv("VIRTSNAP_NOW");
    gint64 v;

    if (!env || !*env)
        return 0;
    if (!g_ascii_string_to_signed(env, 10, G_MININT64, G_MAXINT64, &v, NULL)) {
        vsCliError(cli, "VIRTSNAP_NOW: '%s' is not a number of seconds", env);
        return -1;
    }
    cli->have_now = TRUE;
    cli->now = v;
    return 0;
}

/* Parses options up to the first non-option word (like virsh's "+" getopt).
 * Returns the index of the command word, argc when none, or -1 when the
 * program should exit with *status. */
static int
vsCliParseGlobal(vsCli *cli, int argc, char **argv, int *status)
{
    const char *store = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (a[1] == '-') {
            if (strcmp(a, "--quiet") == 0) {
                cli->quiet = TRUE;
            } else if (strcmp(a, "--help") == 0) {
                vsCliUsage(cli);
                *status = 0;
                return -1;
            } else if (strcmp(a, "--version") == 0) {
                vsCliPrint(cli, "%s\n", VS_VERSION_STRING);
                *status = 0;
                return -1;
            } else if (strcmp(a, "--store") == 0) {
                if (i + 1 >= argc) {
                    vsCliError(cli, "option '--store' requires an argument");
                    *status = 1;
                    return -1;
                }
                store = argv[++i];
            } else if (g_str_has_prefix(a, "--store=")) {
                store = a + strlen("--store=");
            } else {
                vsCliError(cli, "unsupported option '%s'. See --help.", a);
                *status = 1;
                return -1;
            }
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            switch (*c) {
            case 'q':
                cli->quiet = TRUE;
                break;
            case 'h':
                vsCliUsage(cli);
                *status = 0;
                return -1;
            case 'v':
                vsCliPrint(cli, "%s\n", VS_VERSION_STRING);
                *status = 0;
                return -1;
            default:
                vsCliError(cli, "unsupported option '-%c'. See --help.", *c);
                *status = 1;
                return -1;
            }
        }
    }

    if (store && !*store) {
        vsCliError(cli, "option '--store' requires a directory");
        *status = 1;
        return -1;
    }
    if (!store)
        store = g_getenv("VIRTSNAP_STORE");
    cli->store_dir = store && *store ? g_strdup(store) : vsCliDefaultStore();
    if (vsCliParseNow(cli) < 0) {
        *status = 1;
        return -1;
    }
    return i;
}

int
main(int argc, char **argv)
{
    vsCli cli = { 0 };
    int status = 0;
    int first;
    int ret;

    /* Display widths and local time follow the user's locale, as in virsh. */
    setlocale(LC_ALL, "");

    first = vsCliParseGlobal(&cli, argc, argv, &status);
    if (first < 0) {
        g_free(cli.store_dir);
        return status;
    }

    if (first >= argc) {
        ret = vsCliRunStdin(&cli);
    } else if (argc - first == 1) {
        /* One word is a command string, which may hold several commands;
         * an empty one is refused like virsh does. */
        ret = *argv[first] ? vsCliRunString(&cli, argv[first]) : -1;
    } else {
        g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func((GDestroyNotify)vsCliCmdFree);
        vsCliParser ps = { .argv = argv + first, .argc = argc - first };

        ret = vsCliParseAll(&cli, &ps, cmds) < 0 ? -1 : vsCliRun(&cli, cmds);
    }

    fflush(stdout);
    vsCliFlushDomains(&cli);
    g_clear_pointer(&cli.domains, g_hash_table_unref);
    g_clear_pointer(&cli.store, vsStoreFree);
    g_free(cli.store_dir);
    return ret < 0 ? 1 : 0;
}
