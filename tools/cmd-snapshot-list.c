/* cmd-snapshot-list.c — snapshot-list: virsh's filters, and its table,
 * --tree, --name and --json layouts. */
#include "cli.h"
#include "cmd-snapshot.h"

const vsCliOptDef vsCliOptsSnapshotList[] = {
    VS_OPT_DOMAIN,
    { "parent", VS_CLI_OT_BOOL, 0, "add a column showing parent snapshot" },
    { "roots", VS_CLI_OT_BOOL, 0, "list only snapshots without parents" },
    { "leaves", VS_CLI_OT_BOOL, 0, "list only snapshots without children" },
    { "no-leaves", VS_CLI_OT_BOOL, 0, "list only snapshots that are not leaves (with children)" },
    { "metadata", VS_CLI_OT_BOOL, 0, "list only snapshots that have metadata that would prevent undefine" },
    { "no-metadata", VS_CLI_OT_BOOL, 0, "list only snapshots that have no metadata managed by libvirt" },
    { "inactive", VS_CLI_OT_BOOL, 0, "filter by snapshots taken while inactive" },
    { "active", VS_CLI_OT_BOOL, 0, "filter by snapshots taken while active (full system snapshots)" },
    { "disk-only", VS_CLI_OT_BOOL, 0, "filter by disk-only snapshots" },
    { "internal", VS_CLI_OT_BOOL, 0, "filter by internal snapshots" },
    { "external", VS_CLI_OT_BOOL, 0, "filter by external snapshots" },
    { "tree", VS_CLI_OT_BOOL, 0, "list snapshots in a tree" },
    { "from", VS_CLI_OT_STRING, 0, "limit list to children of given snapshot" },
    VS_OPT_CURRENT("limit list to children of current snapshot"),
    { "descendants", VS_CLI_OT_BOOL, 0, "with --from, list all descendants" },
    { "name", VS_CLI_OT_BOOL, 0, "list snapshot names only" },
    { "topological", VS_CLI_OT_BOOL, 0, "sort list topologically rather than by name" },
    VS_OPT_JSON,
    { 0 }
};

/* The library's list flags for the command's options, after virsh's
 * checks of which options go together; -1 (reported). */
static int
vsCliListFlags(vsCli *cli, const vsCliCmd *cmd, unsigned int *flags_out)
{
    static const struct {
        const char *opt;
        unsigned int flag;
    } filters[] = {
        { "leaves", VS_SNAPSHOT_LIST_LEAVES },
        { "no-leaves", VS_SNAPSHOT_LIST_NO_LEAVES },
        { "inactive", VS_SNAPSHOT_LIST_INACTIVE },
        { "active", VS_SNAPSHOT_LIST_ACTIVE },
        { "disk-only", VS_SNAPSHOT_LIST_DISK_ONLY },
        { "internal", VS_SNAPSHOT_LIST_INTERNAL },
        { "external", VS_SNAPSHOT_LIST_EXTERNAL },
    };
    gboolean tree = vsCliOptBool(cmd, "tree");
    unsigned int flags = 0;

    if (vsCliOptExclusive(cli, cmd, "tree", "name") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "roots") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "from") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "current") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "name") < 0)
        return -1;

    for (guint i = 0; i < G_N_ELEMENTS(filters); i++) {
        if (vsCliOptBool(cmd, filters[i].opt)) {
            if (tree) {
                vsCliError(cli, "--%s and --tree are mutually exclusive", filters[i].opt);
                return -1;
            }
            flags |= filters[i].flag;
        }
    }
    if (vsCliOptBool(cmd, "topological"))
        flags |= VS_SNAPSHOT_LIST_TOPOLOGICAL;
    if (vsCliOptBool(cmd, "roots"))
        flags |= VS_SNAPSHOT_LIST_ROOTS;
    if (vsCliOptBool(cmd, "metadata"))
        flags |= VS_SNAPSHOT_LIST_METADATA;
    if (vsCliOptBool(cmd, "no-metadata"))
        flags |= VS_SNAPSHOT_LIST_NO_METADATA;
    if (vsCliOptBool(cmd, "descendants")) {
        if (!vsCliOptBool(cmd, "from") && !vsCliOptBool(cmd, "current")) {
            vsCliError(cli, "--descendants requires either --from or --current");
            return -1;
        }
        flags |= VS_SNAPSHOT_LIST_DESCENDANTS;
    }
    *flags_out = flags;
    return 0;
}

/* --json: one array of snapshot objects. */
static void
vsCliListPrintJson(vsCli *cli, const vsDomain *dom, GPtrArray *list)
{
    g_autoptr(GString) out = g_string_new("[");

    for (guint i = 0; i < list->len; i++) {
        g_string_append(out, i ? ",\n" : "\n");
        vsCliJsonSnapshot(out, dom, g_ptr_array_index(list, i), 2);
    }
    g_string_append(out, list->len ? "\n]\n" : "]\n");
    vsCliPrint(cli, "%s", out->str);
}

/* virsh's table, with a Parent column for --parent. */
static void
vsCliListPrintTable(vsCli *cli, GPtrArray *list, gboolean parent)
{
    static const char *const head3[] = { "Name", "Creation Time", "State" };
    static const char *const head4[] = { "Name", "Creation Time", "State", "Parent" };
    g_autoptr(vsCliTable) table = vsCliTableNew(parent ? 4 : 3, parent ? head4 : head3);
    g_autofree char *text = NULL;

    for (guint i = 0; i < list->len; i++) {
        const vsSnapshot *s = g_ptr_array_index(list, i);
        g_autofree char *when = vsCliFormatTime(vsMomentGetCreationTime(s));
        const char *pname = vsMomentGetParentName(s);
        const char *row[] = {
            vsMomentGetName(s), when,
            vsSnapshotStateToString(vsSnapshotGetState(s)),
            pname ? pname : "",
        };

        vsCliTableAddRow(table, row);
    }
    text = vsCliTableFormat(table, !cli->quiet);
    vsCliPrint(cli, "%s", text);
}

int
vsCliCmdSnapshotList(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    const vsSnapshot *start = NULL;
    gboolean tree = vsCliOptBool(cmd, "tree");
    unsigned int flags = 0;

    if (vsCliListFlags(cli, cmd, &flags) < 0)
        return -1;
    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if ((vsCliOptBool(cmd, "from") || vsCliOptBool(cmd, "current")) &&
        vsCliLookupSnapshot(cli, cmd, "from", TRUE, dom, &start) < 0)
        return -1;

    /* --tree --from prints the start as the root of what is listed:
     * its children, or with --descendants its whole subtree (virsh 9.0
     * adds no implicit --descendants). */
    if (vsDomainListMoments(&list, dom, start, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (tree && start)
        g_ptr_array_add(list, (gpointer)start);
    if (!(flags & VS_SNAPSHOT_LIST_TOPOLOGICAL))
        g_ptr_array_sort(list, vsCliCompareMomentNames);

    if (tree) {
        vsCliPrintMomentTree(cli, list, start);
    } else if (vsCliOptBool(cmd, "json")) {
        vsCliListPrintJson(cli, dom, list);
    } else if (vsCliOptBool(cmd, "name")) {
        for (guint i = 0; i < list->len; i++)
            vsCliPrint(cli, "%s\n", vsMomentGetName(g_ptr_array_index(list, i)));
    } else {
        vsCliListPrintTable(cli, list, vsCliOptBool(cmd, "parent"));
    }
    return 0;
}
