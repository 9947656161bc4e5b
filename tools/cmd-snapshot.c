/* cmd-snapshot.c — virsh's snapshot-* commands: the group's table and what
 * its commands share (finding a snapshot, formatting or printing it,
 * reading an XML file).  The commands are in cmd-snapshot-*.c, one file
 * per family.
 *
 * Each command keeps virsh 9.0's option table, checks, messages and
 * output bytes; only the hypervisor side is missing (a revert or a delete
 * touches metadata only), and a few options supply what a hypervisor
 * would (--domain-xml, --state).
 */
#include "cli.h"
#include "cmd-snapshot.h"

/* virsh's virshLookupSnapshot: {--ARG name | --current}. */
int
vsCliLookupSnapshot(vsCli *cli, const vsCliCmd *cmd, const char *arg,
                    gboolean exclusive, const vsDomain *dom,
                    const vsSnapshot **snap)
{
    g_autoptr(GError) err = NULL;
    gboolean current = vsCliOptBool(cmd, "current");
    const char *name = NULL;

    if (vsCliOptString(cli, cmd, arg, &name) < 0)
        return -1;
    if (exclusive && current && name) {
        vsCliError(cli, "--%s and --current are mutually exclusive", arg);
        return -1;
    }
    if (name) {
        *snap = vsDomainLookup(dom, name, &err);
    } else if (current) {
        *snap = vsDomainGetCurrent(dom, &err);
    } else {
        vsCliError(cli, "--%s or --current is required", arg);
        return -1;
    }
    if (!*snap) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

int
vsCliLoadSnapshot(vsCli *cli, const vsCliCmd *cmd, gboolean write,
                  vsDomain **dom, const vsSnapshot **snap)
{
    if (vsCliLoadDomain(cli, cmd, write, dom) < 0)
        return -1;
    return vsCliLookupSnapshot(cli, cmd, "snapshotname", TRUE, *dom, snap);
}

void
vsCliPrintSnapshotJson(vsCli *cli, const vsDomain *dom, const vsSnapshot *snap)
{
    g_autoptr(GString) out = g_string_new(NULL);

    vsCliJsonSnapshot(out, dom, snap, 0);
    vsCliPrint(cli, "%s\n", out->str);
}

int
vsCliFormatSnapshot(vsCli *cli, const vsDomain *dom, const vsSnapshot *snap,
                    unsigned int flags, char **out)
{
    g_autoptr(GError) err = NULL;

    if (vsSnapshotFormat(out, snap, vsDomainGetUUID(dom), flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

int
vsCliReadXml(vsCli *cli, const char *path, char **buf, gsize *len)
{
    g_autoptr(GError) err = NULL;

    if (vsCliReadFile(buf, len, path, VS_CLI_MAX_XML_FILE, FALSE, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */

static const vsCliCmdDef vsCliSnapshotCmds[] = {
    { "snapshot-create", "Create a snapshot from XML",
      "Create a snapshot (disk and RAM) from XML", vsCliOptsSnapshotCreate, vsCliCmdSnapshotCreate },
    { "snapshot-create-as", "Create a snapshot from a set of args",
      "Create a snapshot (disk and RAM) from arguments", vsCliOptsSnapshotCreateAs, vsCliCmdSnapshotCreateAs },
    { "snapshot-current", "Get or set the current snapshot",
      "Get or set the current snapshot", vsCliOptsSnapshotCurrent, vsCliCmdSnapshotCurrent },
    { "snapshot-delete", "Delete a domain snapshot",
      "Snapshot Delete", vsCliOptsSnapshotDelete, vsCliCmdSnapshotDelete },
    { "snapshot-dumpxml", "Dump XML for a domain snapshot",
      "Snapshot Dump XML", vsCliOptsSnapshotDumpxml, vsCliCmdSnapshotDumpxml },
    { "snapshot-edit", "edit XML for a snapshot",
      "Edit the domain snapshot XML for a named snapshot", vsCliOptsSnapshotEdit, vsCliCmdSnapshotEdit },
    { "snapshot-info", "snapshot information",
      "Returns basic information about a snapshot.", vsCliOptsSnapshotInfo, vsCliCmdSnapshotInfo },
    { "snapshot-list", "List snapshots for a domain",
      "Snapshot List", vsCliOptsSnapshotList, vsCliCmdSnapshotList },
    { "snapshot-parent", "Get the name of the parent of a snapshot",
      "Extract the snapshot's parent, if any", vsCliOptsSnapshotParent, vsCliCmdSnapshotParent },
    { "snapshot-revert", "Revert a domain to a snapshot",
      "Revert domain to snapshot", vsCliOptsSnapshotRevert, vsCliCmdSnapshotRevert },
    { 0 }
};

const vsCliGroup vsCliGroupSnapshot = { "Snapshot", "snapshot", vsCliSnapshotCmds };
