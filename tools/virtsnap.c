/* virtsnap.c — entry point: global options, the table of command groups,
 * and running commands: one batch from the command line (`;` separates
 * commands), or one command string per line of standard input.
 *
 * Parsing a command is parse.c's, help is cmd-shell.c's, the commands
 * themselves are the cmd-*.c files'.
 */
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* Command groups                                                       */

/* Every command group; a new cmd-*.c adds its group here. */
const vsCliGroup *const vsCliGroups[] = {
    &vsCliGroupSnapshot,
    &vsCliGroupCheckpoint,
    &vsCliGroupXml,
    &vsCliGroupStore,
    &vsCliGroupLibvirt,
    &vsCliGroupShell,
    NULL,
};

const vsCliCmdDef *
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

/* ------------------------------------------------------------------ */
/* Running commands                                                     */

/* Runs the commands in order; the result is the last command's. */
static int
vsCliRun(vsCli *cli, GPtrArray *cmds)
{
    int ret = 0;

    for (guint i = 0; i < cmds->len && !cli->quit; i++) {
        const vsCliCmd *cmd = g_ptr_array_index(cmds, i);

        cli->status = 0;
        ret = vsCliCmdRun(cli, cmd);
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
    g_autoptr(GPtrArray) cmds = vsCliParseString(cli, str);

    return cmds ? vsCliRun(cli, cmds) : -1;
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
    /* virtsnap's own directory, never libvirt's: libvirt 9.0 reads only its
     * per-file layout, so virtsnap writes there only when told to (--store,
     * VIRTSNAP_STORE). */
    if (geteuid() == 0)
        return g_strdup("/var/lib/virtsnap/snapshot");
    return g_build_filename(g_get_user_data_dir(), "virtsnap", "snapshot", NULL);
}

/* Where checkpoints are kept when --checkpoint-dir and
 * VIRTSNAP_CHECKPOINT_DIR say nothing: beside a store directory named
 * "snapshot" (libvirt's layout, and virtsnap's default store), the
 * directory "checkpoint"; else STORE/.virtsnap/checkpoint, a name no VM of
 * the store can have.  A database store (a URI) keeps both kinds itself,
 * each VM's record keyed by its kind: the same location. */
char *
vsCliDefaultCheckpointDir(const char *store)
{
    g_autofree char *base = NULL;
    g_autofree char *dir = NULL;

    if (strstr(store, "://"))
        return g_strdup(store);
    base = g_path_get_basename(store);
    dir = g_path_get_dirname(store);
    if (strcmp(base, "snapshot") == 0)
        return g_build_filename(dir, "checkpoint", NULL);
    return g_build_filename(store, ".virtsnap", "checkpoint", NULL);
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

/* Global option -@c (--quiet, --help and --version are -q, -h and -v);
 * FALSE when the program should exit with *status. */
static gboolean
vsCliGlobalFlag(vsCli *cli, char c, int *status)
{
    switch (c) {
    case 'q':
        cli->quiet = TRUE;
        return TRUE;
    case 'h':
        vsCliUsage(cli);
        *status = 0;
        return FALSE;
    case 'v':
        vsCliPrint(cli, "%s\n", VS_VERSION_STRING);
        *status = 0;
        return FALSE;
    default:
        vsCliError(cli, "unsupported option '-%c'. See --help.", c);
        *status = 1;
        return FALSE;
    }
}

/* Parses options up to the first non-option word (like virsh's "+" getopt).
 * Returns the index of the command word, argc when none, or -1 when the
 * program should exit with *status. */
static int
vsCliParseGlobal(vsCli *cli, int argc, char **argv, int *status)
{
    static const struct {
        const char *name;
        char flag;
    } longflags[] = { { "--quiet", 'q' }, { "--help", 'h' }, { "--version", 'v' } };
    const char *store = NULL;
    const char *ckdir = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char flag = 0;

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        /* virsh's -c URI: libvirt's connection for pull, push and diff. */
        if (strcmp(a, "-c") == 0 || strcmp(a, "--connect") == 0) {
            if (i + 1 >= argc) {
                vsCliError(cli, "option '%s' requires an argument", a);
                *status = 1;
                return -1;
            }
            g_free(cli->connect_uri);
            cli->connect_uri = g_strdup(argv[++i]);
            continue;
        }
        if (g_str_has_prefix(a, "--connect=")) {
            g_free(cli->connect_uri);
            cli->connect_uri = g_strdup(a + strlen("--connect="));
            continue;
        }
        if (a[1] != '-') {
            for (const char *c = a + 1; *c; c++) {
                if (!vsCliGlobalFlag(cli, *c, status))
                    return -1;
            }
            continue;
        }
        if (strcmp(a, "--store") == 0) {
            if (i + 1 >= argc) {
                vsCliError(cli, "option '--store' requires an argument");
                *status = 1;
                return -1;
            }
            store = argv[++i];
            continue;
        }
        if (g_str_has_prefix(a, "--store=")) {
            store = a + strlen("--store=");
            continue;
        }
        if (strcmp(a, "--checkpoint-dir") == 0) {
            if (i + 1 >= argc) {
                vsCliError(cli, "option '--checkpoint-dir' requires an argument");
                *status = 1;
                return -1;
            }
            ckdir = argv[++i];
            continue;
        }
        if (g_str_has_prefix(a, "--checkpoint-dir=")) {
            ckdir = a + strlen("--checkpoint-dir=");
            continue;
        }
        for (guint k = 0; k < G_N_ELEMENTS(longflags); k++) {
            if (strcmp(a, longflags[k].name) == 0)
                flag = longflags[k].flag;
        }
        if (!flag) {
            vsCliError(cli, "unsupported option '%s'. See --help.", a);
            *status = 1;
            return -1;
        }
        if (!vsCliGlobalFlag(cli, flag, status))
            return -1;
    }

    if (store && !*store) {
        vsCliError(cli, "option '--store' requires a directory");
        *status = 1;
        return -1;
    }
    if (!store)
        store = g_getenv("VIRTSNAP_STORE");
    cli->store_dir = store && *store ? g_strdup(store) : vsCliDefaultStore();
    if (ckdir && !*ckdir) {
        vsCliError(cli, "option '--checkpoint-dir' requires a directory");
        *status = 1;
        return -1;
    }
    if (!ckdir)
        ckdir = g_getenv("VIRTSNAP_CHECKPOINT_DIR");
    cli->checkpoint_dir = ckdir && *ckdir ? g_strdup(ckdir)
                                          : vsCliDefaultCheckpointDir(cli->store_dir);
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
        g_free(cli.checkpoint_dir);
        g_free(cli.connect_uri);
        return status;
    }

    if (first >= argc) {
        ret = vsCliRunStdin(&cli);
    } else if (argc - first == 1) {
        /* One word is a command string, which may hold several commands;
         * an empty one is refused like virsh does. */
        ret = *argv[first] ? vsCliRunString(&cli, argv[first]) : -1;
    } else {
        g_autoptr(GPtrArray) cmds = vsCliParseArgv(&cli, argv + first, argc - first);

        ret = cmds ? vsCliRun(&cli, cmds) : -1;
    }

    fflush(stdout);
    vsCliFlushDomains(&cli);
    g_clear_pointer(&cli.domains, g_hash_table_unref);
    g_clear_pointer(&cli.checkpoint_domains, g_hash_table_unref);
    g_clear_pointer(&cli.store, vsStoreFree);
    g_clear_pointer(&cli.checkpoint_store, vsStoreFree);
    g_free(cli.store_dir);
    g_free(cli.checkpoint_dir);
    g_free(cli.connect_uri);
    if (ret < 0)
        return cli.status ? cli.status : 1;
    return cli.status;
}
