/* cmd-store-dump.c — store-dumpxml: a VM's whole document (its snapshots,
 * or with --checkpoints its checkpoints) as a format-2 file holds it, in
 * any store and whatever the store's compression.  What `zstdcat DIR/VM.xml`
 * shows of a zstd store; a pieces store's file holds references instead
 * (docs/format.md, "Definitions as pieces").  Listed in the store group's
 * table (cmd-store.c). */
#include "cmd-snapshot.h"
#include "cmd-store.h"

const vsCliOptDef vsCliOptsStoreDump[] = {
    VS_OPT_DOMAIN,
    { "checkpoints", VS_CLI_OT_BOOL, 0, "the domain's checkpoints instead of its snapshots" },
    { 0 }
};

int
vsCliCmdStoreDump(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *document = NULL;
    vsDomain *dom = NULL;

    if ((vsCliOptBool(cmd, "checkpoints") ? vsCliLoadCheckpoints(cli, cmd, FALSE, &dom)
                                          : vsCliLoadDomain(cli, cmd, FALSE, &dom)) < 0)
        return -1;
    if (vsDomainFormat(&document, dom, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrint(cli, "%s", document);
    return 0;
}
