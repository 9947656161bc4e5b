/* cmd-snapshot-info.c — the commands that show one snapshot:
 * snapshot-info, snapshot-current (which also sets it) and snapshot-parent. */
#include <string.h>

#include "cli.h"
#include "cmd-snapshot.h"

/* ------------------------------------------------------------------ */
/* snapshot-info                                                      */

const vsCliOptDef vsCliOptsSnapshotInfo[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("info on current snapshot"),
    VS_OPT_JSON,
    { 0 }
};

int
vsCliCmdSnapshotInfo(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const vsSnapshot *cur;
    const char *parent;

    if (vsCliLoadSnapshot(cli, cmd, FALSE, &dom, &snap) < 0)
        return -1;

    if (vsCliOptBool(cmd, "json")) {
        vsCliPrintSnapshotJson(cli, dom, snap);
        return 0;
    }

    cur = vsDomainGetCurrent(dom, NULL);
    parent = vsMomentGetParentName(snap);
    vsCliPrint(cli, "%-15s %s\n", "Name:", vsMomentGetName(snap));
    vsCliPrint(cli, "%-15s %s\n", "Domain:", vsDomainGetName(dom));
    vsCliPrint(cli, "%-15s %s\n", "Current:",
               cur && strcmp(vsMomentGetName(cur), vsMomentGetName(snap)) == 0 ?
               "yes" : "no");
    vsCliPrint(cli, "%-15s %s\n", "State:",
               vsSnapshotStateToString(vsSnapshotGetState(snap)));
    vsCliPrint(cli, "%-15s %s\n", "Location:", vsSnapshotGetLocationSummary(snap));
    vsCliPrint(cli, "%-15s %s\n", "Parent:", parent ? parent : "-");
    vsCliPrint(cli, "%-15s %u\n", "Children:", vsDomainCountChildren(dom, snap));
    vsCliPrint(cli, "%-15s %u\n", "Descendants:", vsDomainCountDescendants(dom, snap));
    vsCliPrint(cli, "%-15s %s\n", "Metadata:", "yes");
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-current                                                   */

const vsCliOptDef vsCliOptsSnapshotCurrent[] = {
    VS_OPT_DOMAIN,
    { "name", VS_CLI_OT_BOOL, 0, "list the name, rather than the full xml" },
    { "security-info", VS_CLI_OT_BOOL, 0, "include security sensitive information in XML dump" },
    { "snapshotname", VS_CLI_OT_STRING, 0, "name of existing snapshot to make current" },
    VS_OPT_JSON,
    { 0 }
};

int
vsCliCmdSnapshotCurrent(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const char *snapname = NULL;
    gboolean json = vsCliOptBool(cmd, "json");

    if (vsCliOptExclusive(cli, cmd, "name", "snapshotname") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "name") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "snapshotname") < 0)
        return -1;

    if (vsCliOptString(cli, cmd, "snapshotname", &snapname) < 0)
        return -1;

    if (snapname) {
        if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
            return -1;
        if (vsDomainSetCurrent(dom, snapname, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        vsCliPrintExtra(cli, "Snapshot %s set as current", snapname);
        return 0;
    }

    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (!(snap = vsDomainGetCurrent(dom, NULL))) {
        vsCliError(cli, "domain '%s' has no current snapshot", vsDomainGetName(dom));
        return -1;
    }
    if (json) {
        vsCliPrintSnapshotJson(cli, dom, snap);
    } else if (vsCliOptBool(cmd, "name")) {
        vsCliPrint(cli, "%s", vsMomentGetName(snap));
    } else {
        g_autofree char *xml = NULL;

        if (vsCliFormatSnapshot(cli, dom, snap, vsCliOptBool(cmd, "security-info") ?
                                VS_SNAPSHOT_FORMAT_SECURE : 0, &xml) < 0)
            return -1;
        vsCliPrint(cli, "%s", xml);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-parent                                                    */

const vsCliOptDef vsCliOptsSnapshotParent[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "find parent of snapshot name" },
    VS_OPT_CURRENT("find parent of current snapshot"),
    VS_OPT_JSON,
    { 0 }
};

int
vsCliCmdSnapshotParent(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const vsSnapshot *parent;

    if (vsCliLoadSnapshot(cli, cmd, FALSE, &dom, &snap) < 0)
        return -1;
    if (!(parent = vsDomainGetParent(dom, snap))) {
        vsCliError(cli, "snapshot '%s' has no parent", vsMomentGetName(snap));
        return -1;
    }
    if (vsCliOptBool(cmd, "json")) {
        vsCliPrintSnapshotJson(cli, dom, parent);
    } else {
        vsCliPrint(cli, "%s", vsMomentGetName(parent));
    }
    return 0;
}
