/* cmd-store-dump.c — store-dumpxml: a VM's whole document (its snapshots,
 * or with --checkpoints its checkpoints) as a format-2 file holds it, in
 * any store and whatever the store's compression.  What `zstdcat DIR/VM.xml`
 * shows of a zstd store; a pieces store's file holds references instead
 * (docs/format.md, "Definitions as pieces").  Streamed
 * (vsDomainWriteDocument).  Listed in the store group's table (cmd-store.c). */
#include <errno.h>
#include <stdio.h>

#include "cmd-snapshot.h"
#include "cmd-store.h"

const vsCliOptDef vsCliOptsStoreDump[] = {
    VS_OPT_DOMAIN,
    { "checkpoints", VS_CLI_OT_BOOL, 0, "the domain's checkpoints instead of its snapshots" },
    { 0 }
};

/* Standard output, as the document is formatted: a worst-case VM's
 * document (tens of GiB) is never held whole. */
static int
vsCliWriteStdout(const char *bytes, gsize len, gpointer data, GError **error)
{
    if (fwrite(bytes, 1, len, stdout) == len)
        return 0;
    g_set_error(error, VS_ERROR, VS_ERROR_IO, "cannot write standard output: %s",
                g_strerror(errno));
    return -1;
}

int
vsCliCmdStoreDump(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;

    if ((vsCliOptBool(cmd, "checkpoints") ? vsCliLoadCheckpoints(cli, cmd, FALSE, &dom)
                                          : vsCliLoadDomain(cli, cmd, FALSE, &dom)) < 0)
        return -1;
    if (vsDomainWriteDocument(dom, vsCliWriteStdout, NULL, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}
