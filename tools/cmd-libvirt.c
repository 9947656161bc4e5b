/* cmd-libvirt.c — the libvirt bridge: pull (libvirt -> store), push
 * (store -> libvirt) and diff, against any libvirt URI (--connect, the
 * global -c, LIBVIRT_DEFAULT_URI, libvirt's default).
 *
 * Output: one summary line per VM; with it (not with -q) one line per
 * record created, replaced, kept or deleted.  diff prints one line per
 * difference and exits 0 when equal, 1 when not, 2 on error. */
#include <signal.h>
#include <string.h>

#include "cli.h"

/* The connection of this command: --connect, else the global -c. */
static int
vsCliConnect(vsCli *cli, const vsCliCmd *cmd, vsLibvirt **out)
{
    g_autoptr(GError) err = NULL;
    const char *uri = NULL;

    if (vsCliOptString(cli, cmd, "connect", &uri) < 0)
        return -1;
    if (!uri)
        uri = cli->connect_uri;
    /* libvirt's client writes to its socket without MSG_NOSIGNAL: a daemon
     * that dies mid-call must be an error naming the snapshot, not a
     * SIGPIPE that kills us (libvirt asks its clients to ignore it). */
    signal(SIGPIPE, SIG_IGN);
    if (vsLibvirtOpen(out, uri, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* The VMs a command works on: the named ones, or with --all those of
 * libvirt (@from_store FALSE) or of the store. */
static int
vsCliLibvirtTargets(vsCli *cli, const vsCliCmd *cmd, vsLibvirt *lv, vsStore *store,
                    gboolean from_store, GPtrArray **out)
{
    const GPtrArray *named = vsCliOptArgv(cmd, "domain");
    gboolean all = vsCliOptBool(cmd, "all");
    g_auto(GStrv) names = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    if (all && named) {
        vsCliError(cli, "Options --all and <domain> are mutually exclusive");
        return -1;
    }
    if (!all && !named) {
        vsCliError(cli, "command '%s' requires <domain> option or --all", vsCliCmdName(cmd));
        return -1;
    }
    *out = g_ptr_array_new_with_free_func(g_free);
    if (named) {
        for (guint i = 0; i < named->len; i++)
            g_ptr_array_add(*out, g_strdup(named->pdata[i]));
        return 0;
    }
    rc = from_store ? vsStoreListDomains(&names, store, &err)
                    : vsLibvirtListDomains(&names, lv, &err);
    if (rc < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    for (guint i = 0; names[i]; i++)
        g_ptr_array_add(*out, g_strdup(names[i]));
    return 0;
}

static const char *
vsCliKindNoun(vsMomentKindId kind)
{
    return kind == VS_MOMENT_SNAPSHOT ? "snapshot" : "moment";
}

/* One report line in words: "created: snapshot 's1'". */
static void
vsCliPrintLine(vsCli *cli, const vsLibvirtReport *r, guint i, gboolean extra)
{
    static const char *const words[] = {
        [VS_LIBVIRT_ONLY_STORE] = "only in store",
        [VS_LIBVIRT_ONLY_LIBVIRT] = "only in libvirt",
        [VS_LIBVIRT_DIFFERS] = "differs",
        [VS_LIBVIRT_PARENT] = "parent differs",
        [VS_LIBVIRT_CURRENT] = "current",
        [VS_LIBVIRT_CREATED] = "created",
        [VS_LIBVIRT_REPLACED] = "replaced",
        [VS_LIBVIRT_SKIPPED] = "skipped",
        [VS_LIBVIRT_KEPT] = "kept (only in libvirt)",
        [VS_LIBVIRT_MADE_CURRENT] = "made current",
        [VS_LIBVIRT_STORED] = "stored",
        [VS_LIBVIRT_DELETED] = "deleted from libvirt",
        [VS_LIBVIRT_NORMALIZED] = "re-formatted by libvirt",
    };
    vsLibvirtEntry e = vsLibvirtReportGetEntry(r, i);
    const char *name = vsLibvirtReportGetName(r, i);
    const char *detail = vsLibvirtReportGetDetail(r, i);
    const char *noun = vsCliKindNoun(vsLibvirtReportGetKind(r, i));
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "%s: ", e < G_N_ELEMENTS(words) && words[e] ? words[e] : "?");
    if (e == VS_LIBVIRT_CURRENT)
        g_string_append_printf(s, "the current %s differs (%s)\n", noun, detail ? detail : "");
    else if (detail)
        g_string_append_printf(s, "%s '%s' (%s)\n", noun, name, detail);
    else
        g_string_append_printf(s, "%s '%s'\n", noun, name);
    if (extra)
        vsCliPrintExtra(cli, "%s", s->str);
    else
        vsCliPrint(cli, "%s", s->str);
}

/* ------------------------------------------------------------------ */
/* pull                                                                 */

static const vsCliOptDef vsCliOptsPull[] = {
    { "domain", VS_CLI_OT_ARGV, 0, "domain name(s) in libvirt" },
    { "all", VS_CLI_OT_BOOL, 0, "every domain of the connection" },
    { "connect", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "libvirt URI (like virsh -c)" },
    { "replace", VS_CLI_OT_BOOL, 0, "replace a different tree the store holds" },
    { "purge", VS_CLI_OT_BOOL, 0,
      "then delete libvirt's snapshot metadata (children first), once the store's "
      "write is durable: before migrating the domain" },
    { 0 }
};

static int
vsCliPullOne(vsCli *cli, vsLibvirt *lv, vsStore *store, const char *vm, unsigned int flags)
{
    g_autoptr(vsLibvirtReport) r = NULL;
    g_autoptr(GError) err = NULL;
    int rc = vsLibvirtPull(&r, lv, store, vm, flags, &err);
    guint stored, deleted;

    if (rc < 0) {
        for (guint i = 0; r && i < vsLibvirtReportGetCount(r); i++) {
            if (vsLibvirtReportGetEntry(r, i) != VS_LIBVIRT_DELETED)
                vsCliPrintLine(cli, r, i, FALSE);
        }
        vsCliReportGError(cli, err);
        return -1;
    }
    stored = vsLibvirtReportCountEntry(r, VS_LIBVIRT_STORED);
    deleted = vsLibvirtReportCountEntry(r, VS_LIBVIRT_DELETED);
    if (stored > 0)
        vsCliPrint(cli, "Pulled %u snapshot%s of domain '%s' into %s\n", stored,
                   stored == 1 ? "" : "s", vm, vsStoreGetLocation(store));
    else
        vsCliPrint(cli, "Domain '%s': the store already holds libvirt's snapshots\n", vm);
    if (flags & VS_LIBVIRT_PURGE)
        vsCliPrint(cli, "Deleted libvirt's metadata of %u snapshot%s of domain '%s'\n",
                   deleted, deleted == 1 ? "" : "s", vm);
    return 0;
}

static int
vsCliCmdPull(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsLibvirt) lv = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    unsigned int flags = 0;
    int ret = 0;

    if (vsCliOptBool(cmd, "replace"))
        flags |= VS_LIBVIRT_REPLACE;
    if (vsCliOptBool(cmd, "purge"))
        flags |= VS_LIBVIRT_PURGE;
    if (vsCliConnect(cli, cmd, &lv) < 0 ||
        vsCliOpenStore(cli, TRUE, &store) < 0 ||
        vsCliLibvirtTargets(cli, cmd, lv, store, FALSE, &vms) < 0)
        return -1;
    for (guint i = 0; i < vms->len; i++) {
        if (vsCliPullOne(cli, lv, store, vms->pdata[i], flags) < 0)
            ret = -1;
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* push                                                                 */

static const vsCliOptDef vsCliOptsPush[] = {
    { "domain", VS_CLI_OT_ARGV, 0, "VM name(s) in the store" },
    { "all", VS_CLI_OT_BOOL, 0, "every VM of the store" },
    { "connect", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "libvirt URI (like virsh -c)" },
    { "as", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "push into this libvirt domain instead (a clone, a restore under a new name): "
      "each record's domain name and UUID become its" },
    { "map-path", VS_CLI_OT_ARGV, VS_CLI_OF_NAMED,
      "OLD=NEW: paths in the records (disk images, memory and overlay files) that start "
      "with OLD start with NEW instead (repeatable; the first that matches applies)" },
    { "replace", VS_CLI_OT_BOOL, 0,
      "redefine snapshots libvirt holds with other content" },
    { "dry-run", VS_CLI_OT_BOOL, 0, "only say what would be done" },
    { 0 }
};

static int
vsCliPushOne(vsCli *cli, vsLibvirt *lv, vsStore *store, const char *vm, const char *as,
             const char *const *map, unsigned int flags)
{
    g_autoptr(vsLibvirtReport) r = NULL;
    g_autoptr(GError) err = NULL;
    int rc = vsLibvirtPush(&r, lv, store, vm, as, map, flags, &err);
    guint n = r ? vsLibvirtReportGetCount(r) : 0, normalized;

    for (guint i = 0; i < n; i++) {
        vsLibvirtEntry e = vsLibvirtReportGetEntry(r, i);

        if (rc < 0 && (e == VS_LIBVIRT_DIFFERS || e == VS_LIBVIRT_PARENT))
            vsCliPrintLine(cli, r, i, FALSE);
        else if (e != VS_LIBVIRT_SKIPPED && e != VS_LIBVIRT_DIFFERS && e != VS_LIBVIRT_PARENT)
            vsCliPrintLine(cli, r, i, TRUE);
    }
    if (rc < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if ((normalized = vsLibvirtReportCountEntry(r, VS_LIBVIRT_NORMALIZED)) > 0)
        vsCliNote(cli, "libvirt re-formatted %u of the snapshots pushed (its canonical form of a "
                  "<domain> it did not write itself): 'virtsnap pull --replace %s' stores its "
                  "form, so that diff and later pushes see them as equal", normalized, as ? as : vm);
    vsCliPrint(cli, "%s domain '%s'%s%s%s: %u created, %u replaced, %u skipped (identical), "
               "%u kept (only in libvirt)\n",
               (flags & VS_LIBVIRT_DRY_RUN) ? "Would push" : "Pushed", vm,
               as ? " as '" : "", as ? as : "", as ? "'" : "",
               vsLibvirtReportCountEntry(r, VS_LIBVIRT_CREATED),
               vsLibvirtReportCountEntry(r, VS_LIBVIRT_REPLACED),
               vsLibvirtReportCountEntry(r, VS_LIBVIRT_SKIPPED),
               vsLibvirtReportCountEntry(r, VS_LIBVIRT_KEPT));
    return 0;
}

/* --map-path OLD=NEW... as the pairs vsLibvirtPush takes (NULL when none). */
static int
vsCliPathMap(vsCli *cli, const vsCliCmd *cmd, GPtrArray **out)
{
    const GPtrArray *given = vsCliOptArgv(cmd, "map-path");

    *out = NULL;
    if (!given)
        return 0;
    *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < given->len; i++) {
        const char *arg = given->pdata[i];
        const char *eq = strchr(arg, '=');

        if (!eq || eq == arg) {
            vsCliError(cli, "--map-path '%s': expected OLD=NEW with a non-empty OLD", arg);
            return -1;
        }
        g_ptr_array_add(*out, g_strndup(arg, eq - arg));
        g_ptr_array_add(*out, g_strdup(eq + 1));
    }
    g_ptr_array_add(*out, NULL);
    return 0;
}

static int
vsCliCmdPush(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsLibvirt) lv = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GPtrArray) map = NULL;
    const char *as = NULL;
    unsigned int flags = 0;
    int ret = 0;

    if (vsCliOptBool(cmd, "replace"))
        flags |= VS_LIBVIRT_REPLACE;
    if (vsCliOptBool(cmd, "dry-run"))
        flags |= VS_LIBVIRT_DRY_RUN;
    if (vsCliOptString(cli, cmd, "as", &as) < 0 ||
        vsCliConnect(cli, cmd, &lv) < 0 ||
        vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliLibvirtTargets(cli, cmd, lv, store, TRUE, &vms) < 0)
        return -1;
    if (as && vms->len != 1) {
        vsCliError(cli, "--as needs exactly one VM");
        return -1;
    }
    if (vsCliPathMap(cli, cmd, &map) < 0)
        return -1;
    for (guint i = 0; i < vms->len; i++) {
        if (vsCliPushOne(cli, lv, store, vms->pdata[i], as,
                         map ? (const char *const *) map->pdata : NULL, flags) < 0)
            ret = -1;
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* diff                                                                 */

static const vsCliOptDef vsCliOptsDiff[] = {
    { "domain", VS_CLI_OT_ARGV, 0, "domain name(s)" },
    { "all", VS_CLI_OT_BOOL, 0, "every domain of the connection" },
    { "connect", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "libvirt URI (like virsh -c)" },
    { "json", VS_CLI_OT_BOOL, 0, "print the differences as JSON" },
    { 0 }
};

static void
vsCliDiffJson(GString *out, const vsLibvirtReport *r, gboolean first)
{
    guint n = vsLibvirtReportGetCount(r);

    g_string_append_printf(out, "%s  {\n    \"domain\": ", first ? "" : ",\n");
    vsCliJsonString(out, vsLibvirtReportGetDomain(r));
    g_string_append_printf(out, ",\n    \"equal\": %s,\n    \"differences\": [",
                           n == 0 ? "true" : "false");
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(out, "%s\n      { \"kind\": \"%s\", \"type\": \"%s\", "
                               "\"name\": ", i ? "," : "",
                               vsCliKindNoun(vsLibvirtReportGetKind(r, i)),
                               vsLibvirtEntryToString(vsLibvirtReportGetEntry(r, i)));
        vsCliJsonString(out, vsLibvirtReportGetName(r, i));
        g_string_append(out, ", \"detail\": ");
        vsCliJsonString(out, vsLibvirtReportGetDetail(r, i));
        g_string_append(out, " }");
    }
    g_string_append(out, n ? "\n    ]\n  }" : "]\n  }");
}

static int
vsCliCmdDiff(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsLibvirt) lv = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    g_autoptr(GString) json = g_string_new("[\n");
    gboolean as_json = vsCliOptBool(cmd, "json");
    gboolean all_equal = TRUE, failed = FALSE;

    cli->status = 2;
    if (vsCliConnect(cli, cmd, &lv) < 0 ||
        vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliLibvirtTargets(cli, cmd, lv, store, FALSE, &vms) < 0)
        return -1;
    for (guint i = 0; i < vms->len; i++) {
        g_autoptr(vsLibvirtReport) r = NULL;
        g_autoptr(GError) err = NULL;
        gboolean equal = FALSE;

        if (vsLibvirtDiff(&r, &equal, lv, store, vms->pdata[i], &err) < 0) {
            vsCliReportGError(cli, err);
            failed = TRUE;
            continue;
        }
        all_equal = all_equal && equal;
        if (as_json) {
            vsCliDiffJson(json, r, json->len == 2);
            continue;
        }
        for (guint k = 0; k < vsLibvirtReportGetCount(r); k++) {
            if (vms->len > 1)
                vsCliPrint(cli, "%s: ", (const char *) vms->pdata[i]);
            vsCliPrintLine(cli, r, k, FALSE);
        }
    }
    if (as_json)
        vsCliPrint(cli, "%s\n]\n", json->str);
    if (failed)
        return -1;
    cli->status = all_equal ? 0 : 1;
    return 0;
}

static const vsCliCmdDef vsCliLibvirtCmds[] = {
    { "diff", "Compare the store's snapshots of a domain with libvirt's",
      "Prints what differs between the store and libvirt: a snapshot only on\n"
      "    one side, one with different content or a different parent, a\n"
      "    different current snapshot.  Exit status 0 when they are equal, 1 when\n"
      "    not, 2 on error (like diff).", vsCliOptsDiff, vsCliCmdDiff },
    { "pull", "Store a domain's snapshots as a running libvirt has them",
      "Reads every snapshot of the domain from libvirt (with secrets, as libvirt\n"
      "    keeps them) and makes the store's tree exactly that, in one durable\n"
      "    write.  Refuses when the store holds a different tree, unless\n"
      "    --replace.  --purge then deletes libvirt's snapshot metadata (children\n"
      "    first, metadata only), so the domain can migrate; push on the target\n"
      "    restores it.", vsCliOptsPull, vsCliCmdPull },
    { "push", "Make libvirt's snapshots of a domain equal the store's",
      "Redefines in libvirt, parents first, every stored snapshot libvirt does\n"
      "    not have, the current one as current; skips what libvirt has\n"
      "    identically, so a run after a failure completes the job.  Refuses\n"
      "    snapshots libvirt has with other content unless --replace; never\n"
      "    deletes anything in libvirt.  --as NAME pushes into another domain,\n"
      "    rewriting each record's domain name and UUID; --map-path OLD=NEW\n"
      "    rewrites the paths of disk images and memory/overlay files.",
      vsCliOptsPush, vsCliCmdPush },
    { 0 }
};

const vsCliGroup vsCliGroupLibvirt = { "Libvirt bridge", "libvirt", vsCliLibvirtCmds };
