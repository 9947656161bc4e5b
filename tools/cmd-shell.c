/* cmd-shell.c — the commands of virtsnap itself (help, exit, quit) and
 * the help texts: `virtsnap --help`, `help`, `help GROUP`, `help COMMAND`
 * (and `COMMAND --help`), laid out as virsh 9.0 lays out its own. */
#include <string.h>

#include "cli.h"

static const vsCliGroup *
vsCliFindGroup(const char *keyword)
{
    for (guint g = 0; vsCliGroups[g]; g++) {
        if (g_ascii_strcasecmp(vsCliGroups[g]->keyword, keyword) == 0)
            return vsCliGroups[g];
    }
    return NULL;
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

void
vsCliUsage(vsCli *cli)
{
    vsCliPrint(cli,
               "\n"
               "virtsnap [options]... [<command_string>]\n"
               "virtsnap [options]... <command> [args...]\n"
               "\n"
               "  options:\n"
               "    -c | --connect=URI      libvirt URI for pull, push and diff (like virsh)\n"
               "    -h | --help             this help\n"
               "    -q | --quiet            quiet mode\n"
               "         --store=DIR        snapshot store directory\n"
               "         --checkpoint-dir=DIR  checkpoint store directory\n"
               "    -v | --version          program version\n"
               "\n"
               "  environment:\n"
               "    VIRTSNAP_STORE          store directory when --store is not given\n"
               "                            (default: /var/lib/virtsnap/snapshot for root, else\n"
               "                            $XDG_DATA_HOME/virtsnap/snapshot; libvirt's own\n"
               "                            /var/lib/libvirt/qemu/snapshot only when named)\n"
               "    VIRTSNAP_CHECKPOINT_DIR checkpoint directory when --checkpoint-dir is not\n"
               "                            given (default: 'checkpoint' beside a store named\n"
               "                            'snapshot', a database store itself, else\n"
               "                            STORE/.virtsnap/checkpoint)\n"
               "    LIBVIRT_DEFAULT_URI     libvirt URI when -c is not given (then libvirt's\n"
               "                            own default)\n"
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

const vsCliGroup vsCliGroupShell = { "Virtsnap itself", "virtsnap", vsCliShellCmds };
