/* cmd-copy-store.c — copy-store: every VM of one store copied into
 * another (directory or postgresql://, either way), snapshots then
 * checkpoints, each VM in one commit through the public API.  Listed in
 * the store group's table (cmd-store.c). */
#include <string.h>
#include <unistd.h>

#include "cmd-store.h"

const vsCliOptDef vsCliOptsCopy[] = {
    { "source", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED,
      "the store to copy from (a directory or a postgresql:// URI)" },
    { "destination", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED,
      "the store to copy into (created when it is a missing directory)" },
    { 0 }
};

static int
vsCliDigestPart(const char *bytes, gsize len, gpointer data, GError **error)
{
    g_checksum_update(data, (const guchar *) bytes, len);
    return 0;
}

/* The SHA-256 of @dom's whole document (g_free), formatted a part at a
 * time: a worst-case VM's document (~64 GiB) is never held. */
static char *
vsCliDocumentDigest(const vsDomain *dom, GError **error)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

    if (vsDomainWriteDocument(dom, vsCliDigestPart, sum, error) < 0)
        return NULL;
    return g_strdup(g_checksum_get_string(sum));
}

/* Makes VM @vm's moments of one kind in @dst exactly what @src holds: one
 * commit, none when they are the same already (so a re-run only completes
 * what is left).  *copied: whether it wrote. */
static int
vsCliCopyDomain(vsStore *src, vsStore *dst, const char *vm, gboolean checkpoints,
                gboolean *copied, GError **error)
{
    g_autoptr(vsDomain) from = NULL;
    g_autoptr(vsDomain) to = NULL;
    g_autoptr(GPtrArray) records = NULL;
    g_autofree char *want = NULL, *have = NULL;
    const vsMoment *current;
    int rc;

    *copied = FALSE;
    rc = checkpoints ? vsStoreLoadCheckpoints(&from, src, vm, NULL, 0, error)
                     : vsStoreLoadDomain(&from, src, vm, NULL, 0, error);
    if (rc < 0)
        return -1;
    rc = checkpoints ? vsStoreLoadCheckpoints(&to, dst, vm, vsDomainGetUUID(from),
                                              VS_DOMAIN_LOAD_WRITE, error)
                     : vsStoreLoadDomain(&to, dst, vm, vsDomainGetUUID(from),
                                         VS_DOMAIN_LOAD_WRITE, error);
    if (rc < 0 || !(want = vsCliDocumentDigest(from, error)) ||
        !(have = vsCliDocumentDigest(to, error)))
        return -1;
    if (strcmp(want, have) == 0)
        return 0;
    if (vsDomainListMoments(&records, from, NULL, 0, error) < 0)
        return -1;
    current = vsDomainGetCurrent(from, NULL);
    if (vsDomainReplace(to, (vsMoment *const *) records->pdata, records->len,
                        current ? vsMomentGetName(current) : NULL, error) < 0)
        return -1;
    *copied = TRUE;
    return 0;
}

/* Copies every VM of one kind; *copied and *total count them. */
static int
vsCliCopyKind(vsCli *cli, vsStore *src, vsStore *dst, gboolean checkpoints, guint *copied,
              guint *total)
{
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) vms = NULL;
    gboolean progress = isatty(STDERR_FILENO);
    const char *what = checkpoints ? "checkpoints of " : "";
    guint n;

    if ((checkpoints ? vsStoreListCheckpointDomains(&vms, src, &err)
                     : vsStoreListDomains(&vms, src, &err)) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    n = g_strv_length(vms);
    for (guint i = 0; i < n; i++) {
        gboolean wrote = FALSE;

        if (progress)
            fprintf(stderr, "\rcopy-store: %s%u/%u VMs\033[K", what, i, n);
        if (vsCliCopyDomain(src, dst, vms[i], checkpoints, &wrote, &err) < 0) {
            if (progress)
                fprintf(stderr, "\r\033[K");
            vsCliError(cli, "copy-store: %sVM '%s' not copied (%u of %u VMs copied before; "
                       "run it again to complete the copy)", what, vms[i], i, n);
            vsCliReportGError(cli, err);
            return -1;
        }
        *copied += wrote;
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    *total += n;
    return 0;
}

int
vsCliCmdCopy(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsStore) src = NULL;
    g_autoptr(vsStore) dst = NULL;
    g_autoptr(vsStore) src_ck = NULL;
    g_autoptr(vsStore) dst_ck = NULL;
    g_autoptr(GError) err = NULL;
    const char *from = NULL, *to = NULL;
    g_autofree char *from_ck = NULL, *to_ck = NULL;
    guint total = 0, copied = 0, ck_total = 0, ck_copied = 0;

    vsCliFlushDomains(cli);
    if (vsCliOptString(cli, cmd, "source", &from) < 0 ||
        vsCliOptString(cli, cmd, "destination", &to) < 0)
        return -1;
    from_ck = vsCliDefaultCheckpointDir(from);
    to_ck = vsCliDefaultCheckpointDir(to);
    if (vsStoreOpen(&src, from, 0, &err) < 0 ||
        vsStoreOpen(&dst, to, VS_STORE_OPEN_CREATE, &err) < 0 ||
        vsCliOpenCheckpointSide(&src_ck, from_ck, FALSE, &err) < 0 ||
        (src_ck && vsCliOpenCheckpointSide(&dst_ck, to_ck, TRUE, &err) < 0)) {
        vsCliReportGError(cli, err);
        return -1;
    }
    /* snapshots first, as a push into libvirt needs them */
    if (vsCliCopyKind(cli, src, dst, FALSE, &copied, &total) < 0 ||
        (src_ck && vsCliCopyKind(cli, src_ck, dst_ck, TRUE, &ck_copied, &ck_total) < 0))
        return -1;
    vsCliPrintExtra(cli, "Copied %u VMs (%u already identical)\n", copied, total - copied);
    if (ck_total)
        vsCliPrintExtra(cli, "Copied the checkpoints of %u VMs (%u already identical)\n",
                        ck_copied, ck_total - ck_copied);
    return 0;
}
