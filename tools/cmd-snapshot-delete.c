/* cmd-snapshot-delete.c — the commands that change the tree around one
 * snapshot: snapshot-delete and snapshot-revert (metadata only). */
#include "cli.h"
#include "cmd-snapshot.h"

/* ------------------------------------------------------------------ */
/* snapshot-delete                                                    */

const vsCliOptDef vsCliOptsSnapshotDelete[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("delete current snapshot"),
    { "children", VS_CLI_OT_BOOL, 0, "delete snapshot and all children" },
    { "children-only", VS_CLI_OT_BOOL, 0, "delete children but not snapshot" },
    { "metadata", VS_CLI_OT_BOOL, 0, "delete only libvirt metadata, leaving snapshot contents behind" },
    { 0 }
};

int
vsCliCmdSnapshotDelete(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const char *name;
    unsigned int flags = 0;

    if (vsCliLoadSnapshot(cli, cmd, TRUE, &dom, &snap) < 0)
        return -1;
    name = vsMomentGetName(snap);   /* valid until the handle is freed */

    if (vsCliOptBool(cmd, "children"))
        flags |= VS_SNAPSHOT_DELETE_CHILDREN;
    if (vsCliOptBool(cmd, "children-only"))
        flags |= VS_SNAPSHOT_DELETE_CHILDREN_ONLY;
    if (vsCliOptBool(cmd, "metadata"))
        flags |= VS_SNAPSHOT_DELETE_METADATA_ONLY;

    if (vsDomainDelete(dom, name, flags, &err) < 0) {
        vsCliError(cli, "Failed to delete snapshot %s", name);
        vsCliReportGError(cli, err);
        vsCliNoteMovedAside(cli, vsDomainGetName(dom), vsDomainGetMovedAside(dom));
        return -1;
    }
    vsCliNoteMovedAside(cli, vsDomainGetName(dom), vsDomainGetMovedAside(dom));
    if (flags & VS_SNAPSHOT_DELETE_CHILDREN_ONLY)
        vsCliPrintExtra(cli, "Domain snapshot %s children deleted\n", name);
    else
        vsCliPrintExtra(cli, "Domain snapshot %s deleted\n", name);
    /* virsh would also have deleted the snapshots' disk and memory data */
    if (!(flags & VS_SNAPSHOT_DELETE_METADATA_ONLY))
        vsCliWarning(cli, "only snapshot metadata was deleted; disk and memory data "
                     "were not touched (--metadata says so)");
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-revert                                                    */

const vsCliOptDef vsCliOptsSnapshotRevert[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("revert to current snapshot"),
    { "running", VS_CLI_OT_BOOL, 0, "after reverting, change state to running" },
    { "paused", VS_CLI_OT_BOOL, 0, "after reverting, change state to paused" },
    { "force", VS_CLI_OT_BOOL, 0, "try harder on risky reverts" },
    { 0 }
};

int
vsCliCmdSnapshotRevert(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const char *name;

    if (vsCliLoadSnapshot(cli, cmd, TRUE, &dom, &snap) < 0)
        return -1;
    name = vsMomentGetName(snap);   /* valid until the handle is freed */

    /* Metadata only: reverting makes the snapshot current.  The flag
     * check is the one libvirt's API entry point makes. */
    if (vsCliOptBool(cmd, "running") && vsCliOptBool(cmd, "paused")) {
        vsCliError(cli, "Failed to revert snapshot %s", name);
        vsCliError(cli, "Flags 'VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING' and "
                   "'VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED' are mutually exclusive");
        return -1;
    }
    if (vsDomainSetCurrent(dom, name, &err) < 0) {
        vsCliError(cli, "Failed to revert snapshot %s", name);
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrintExtra(cli, "Domain snapshot %s reverted\n", name);
    return 0;
}
