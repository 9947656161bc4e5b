/* cmd-store.c — the store commands: convert (from libvirt's per-file
 * layout), export-legacy (back to it), check [--repair], and the parts of
 * virsh's undefine and domrename that concern snapshot metadata; the
 * group's table, which also lists copy-store (cmd-copy-store.c).
 *
 * Findings are printed one per line on stdout:
 *   problem: MESSAGE (resolve: HOW)     needs the user's decision
 *   note: MESSAGE                       informational, never blocks
 *   resolved: MESSAGE: WHAT WAS DONE    (check --repair: "repaired:")
 * then what the command did, one line per step. */
#include <string.h>
#include <unistd.h>

#include "cmd-store.h"

/* How the user resolves each kind of problem, in this CLI's words. */
static const char *
vsCliLegacyHint(vsLegacyProblem kind)
{
    switch (kind) {
    case VS_LEGACY_PROBLEM_SYMLINK:
    case VS_LEGACY_PROBLEM_UNREADABLE:
    case VS_LEGACY_PROBLEM_TOO_LARGE:
    case VS_LEGACY_PROBLEM_UNPARSABLE:
    case VS_LEGACY_PROBLEM_JUNK:
        return "convert --drop-bad leaves it out";
    case VS_LEGACY_PROBLEM_STALE_TEMP:
        return "check --repair moves it aside if the committed file is sound, "
               "convert --drop-bad leaves it out";
    case VS_LEGACY_PROBLEM_DUPLICATE:
        return "convert --duplicates=first or --duplicates=last picks one by file name";
    case VS_LEGACY_PROBLEM_MISSING_PARENT:
        return "convert --orphans=root, or --root NAME for this one";
    case VS_LEGACY_PROBLEM_CYCLE:
        return "convert --root NAME with one snapshot of the cycle";
    case VS_LEGACY_PROBLEM_SEVERAL_CURRENT:
        return "convert --current NAME, or --no-current";
    case VS_LEGACY_PROBLEM_DIVERGED:
        return "export-legacy --force rewrites the directory from the bulk file";
    default:
        return NULL;
    }
}

static void
vsCliPrintFindings(vsCli *cli, const vsLegacyReport *report, const char *done_word)
{
    for (guint i = 0; i < vsLegacyReportGetCount(report); i++) {
        const char *msg = vsLegacyReportGetMessage(report, i);
        const char *action = vsLegacyReportGetAction(report, i);
        vsLegacyProblem kind = vsLegacyReportGetProblem(report, i);
        const char *hint;

        if (action)
            vsCliPrint(cli, "%s: %s: %s\n", done_word, msg, action);
        else if (vsLegacyReportIsNote(report, i))
            vsCliPrint(cli, "note: %s\n", msg);
        else if ((hint = vsCliLegacyHint(kind)))
            vsCliPrint(cli, "problem: %s (resolve: %s)\n", msg, hint);
        else
            vsCliPrint(cli, "problem: %s\n", msg);
    }
}

/* A progress line on a terminal, for directories worth waiting for. */
#define VS_CLI_PROGRESS_MIN 200

static void
vsCliProgress(const char *vm, guint done, guint total, gpointer data)
{
    if (total < VS_CLI_PROGRESS_MIN)
        return;
    if (done == total) {
        fprintf(stderr, "\r\033[K");
    } else if (done % 50 == 1) {
        fprintf(stderr, "\r%s: reading %u/%u files", vm, done, total);
    }
    fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* convert                                                              */

static const vsCliOptDef vsCliOptsConvert[] = {
    { "domain", VS_CLI_OT_ARGV, 0, "VM name(s)" },
    { "all", VS_CLI_OT_BOOL, 0, "every VM with a legacy directory" },
    { "legacy", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "what to do with the directory once converted: move (default: to "
      ".virtsnap/legacy/VM/N/), keep, remove" },
    { "drop-bad", VS_CLI_OT_BOOL, 0,
      "leave out files that are not loadable snapshots (they are kept on disk)" },
    { "orphans", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "'root': snapshots whose parent does not exist become roots" },
    { "duplicates", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "'first' or 'last': of several files defining one name, keep the one "
      "whose file name sorts first or last" },
    { "current", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "make this snapshot current, whatever the files say" },
    { "no-current", VS_CLI_OT_BOOL, 0,
      "when several snapshots are marked current, make none current" },
    { "root", VS_CLI_OT_ARGV, VS_CLI_OF_NAMED,
      "make this snapshot a root: breaks a parent cycle or re-roots one orphan "
      "(repeatable)" },
    { "force", VS_CLI_OT_BOOL, 0,
      "convert even though a running libvirt reads the directory (it then no longer "
      "sees the snapshots; export-legacy VM undoes it)" },
    { 0 }
};

static int
vsCliParseConvertOptions(vsCli *cli, const vsCliCmd *cmd, vsLegacyOptions *opts)
{
    const char *legacy = NULL, *orphans = NULL, *dups = NULL, *current = NULL;
    const GPtrArray *roots = vsCliOptArgv(cmd, "root");
    unsigned int flags = 0;

    if (vsCliOptString(cli, cmd, "legacy", &legacy) < 0 ||
        vsCliOptString(cli, cmd, "orphans", &orphans) < 0 ||
        vsCliOptString(cli, cmd, "duplicates", &dups) < 0 ||
        vsCliOptString(cli, cmd, "current", &current) < 0)
        return -1;
    if (legacy) {
        if (strcmp(legacy, "move") == 0) {
            vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_MOVE);
        } else if (strcmp(legacy, "keep") == 0) {
            vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_KEEP);
        } else if (strcmp(legacy, "remove") == 0) {
            vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_REMOVE);
        } else {
            vsCliError(cli, "invalid --legacy '%s': expected keep, move or remove", legacy);
            return -1;
        }
    }
    if (orphans) {
        if (strcmp(orphans, "root") != 0) {
            vsCliError(cli, "invalid --orphans '%s': expected root", orphans);
            return -1;
        }
        flags |= VS_LEGACY_ORPHANS_ROOT;
    }
    if (dups) {
        if (strcmp(dups, "first") == 0) {
            flags |= VS_LEGACY_DUPLICATES_FIRST;
        } else if (strcmp(dups, "last") == 0) {
            flags |= VS_LEGACY_DUPLICATES_LAST;
        } else {
            vsCliError(cli, "invalid --duplicates '%s': expected first or last", dups);
            return -1;
        }
    }
    if (current && vsCliOptBool(cmd, "no-current")) {
        vsCliError(cli, "Options --current and --no-current are mutually exclusive");
        return -1;
    }
    if (vsCliOptBool(cmd, "drop-bad"))
        flags |= VS_LEGACY_DROP_BAD_FILES;
    if (vsCliOptBool(cmd, "no-current"))
        flags |= VS_LEGACY_NO_CURRENT;
    if (vsCliOptBool(cmd, "force"))
        flags |= VS_LEGACY_FORCE_LIBVIRT_RUNNING;
    vsLegacyOptionsSetFlags(opts, flags);
    vsLegacyOptionsSetCurrent(opts, current);
    for (guint i = 0; roots && i < roots->len; i++)
        vsLegacyOptionsAddRoot(opts, roots->pdata[i]);
    if (isatty(STDERR_FILENO))
        vsLegacyOptionsSetProgress(opts, vsCliProgress, NULL);
    return 0;
}

/* VM X.xml's directory sits where VM X's bulk file goes, so X.xml is
 * converted (and its directory moved aside) before X. */
static void
vsCliOrderLegacy(GPtrArray *out, GHashTable *pending, const char *vm)
{
    g_autofree char *next = g_strdup_printf("%s.xml", vm);

    if (!g_hash_table_remove(pending, vm))
        return;
    vsCliOrderLegacy(out, pending, next);
    g_ptr_array_add(out, g_strdup(vm));
}

/* The VMs a command names, or every one with a legacy directory. */
static int
vsCliStoreTargets(vsCli *cli, const vsCliCmd *cmd, vsStore *store, gboolean all,
                  GPtrArray **out)
{
    const GPtrArray *named = vsCliOptArgv(cmd, "domain");
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);

    if (all && named) {
        vsCliError(cli, "Options --all and <domain> are mutually exclusive");
        return -1;
    }
    if (all) {
        g_auto(GStrv) legacy = NULL;
        g_autoptr(GError) err = NULL;

        if (vsStoreListLegacyDomains(&legacy, store, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        g_autoptr(GHashTable) pending = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint i = 0; legacy[i]; i++)
            g_hash_table_add(pending, legacy[i]);
        for (guint i = 0; legacy[i]; i++)
            vsCliOrderLegacy(vms, pending, legacy[i]);
    } else if (named) {
        for (guint i = 0; i < named->len; i++)
            g_ptr_array_add(vms, g_strdup(named->pdata[i]));
    } else {
        vsCliError(cli, "command '%s' requires <domain> option or --all", vsCliCmdName(cmd));
        return -1;
    }
    *out = g_steal_pointer(&vms);
    return 0;
}

/* Whether @store (NULL: none) holds checkpoints of @vm, as a bulk file or
 * libvirt's directory; -1 (reported). */
static int
vsCliHasCheckpoints(vsCli *cli, vsStore *ckstore, const char *vm)
{
    g_autoptr(GError) err = NULL;
    gboolean has = FALSE;

    if (ckstore && vsStoreHasCheckpoints(&has, ckstore, vm, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return has ? 1 : 0;
}

static int
vsCliHasSnapshots(vsCli *cli, vsStore *store, const char *vm)
{
    g_autoptr(GError) err = NULL;
    gboolean has = FALSE;

    if (vsStoreHasDomain(&has, store, vm, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return has ? 1 : 0;
}

/* convert's checkpoint side for @vm (the checkpoint store has something
 * for it): findings and summary as for snapshots; -1 (reported). */
static int
vsCliConvertCheckpoints(vsCli *cli, vsStore *ckstore, const char *vm,
                        const vsLegacyOptions *opts)
{
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    int rc = vsStoreConvertCheckpoints(&report, ckstore, vm, opts, &err);

    vsCliPrintFindings(cli, report, "resolved");
    if (rc < 0) {
        vsCliError(cli, "Failed to convert the checkpoints of domain '%s'", vm);
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrint(cli, "%s", vsLegacyReportGetSummary(report));
    return 0;
}

/* --all: the VMs with a legacy checkpoint directory join the list. */
static int
vsCliAddCheckpointTargets(vsCli *cli, vsStore *ckstore, GPtrArray *vms)
{
    g_auto(GStrv) legacy = NULL;
    g_autoptr(GError) err = NULL;

    if (!ckstore)
        return 0;
    if (vsStoreListLegacyDomains(&legacy, ckstore, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    for (guint i = 0; legacy[i]; i++) {
        if (!g_ptr_array_find_with_equal_func(vms, legacy[i], g_str_equal, NULL))
            g_ptr_array_add(vms, g_strdup(legacy[i]));
    }
    return 0;
}

static int
vsCliCmdConvert(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsStore) ckstore = NULL;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    gboolean all = vsCliOptBool(cmd, "all");
    guint skipped = 0;
    int ret = 0;

    if (vsCliParseConvertOptions(cli, cmd, opts) < 0 ||
        vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliOpenCheckpointStore(cli, FALSE, &ckstore) < 0 ||
        vsCliStoreTargets(cli, cmd, store, all, &vms) < 0 ||
        (all && vsCliAddCheckpointTargets(cli, ckstore, vms) < 0))
        return -1;
    /* Once for --all, rather than the same refusal for every VM. */
    if (all && vms->len > 0 && !vsCliOptBool(cmd, "force")) {
        g_autoptr(GError) err = NULL;
        if (vsStoreCheckLibvirtIdle(store, NULL, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
    }
    if (all) {
        g_autoptr(vsLegacyReport) unsupported = NULL;
        g_autoptr(GError) err = NULL;

        /* Directories whose names cannot be VMs here are said, not skipped. */
        if (vsStoreFindUnsupportedNames(&unsupported, store, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        vsCliPrintFindings(cli, unsupported, "resolved");
        skipped = vsLegacyReportGetCount(unsupported);
        if (vms->len == 0 && skipped == 0)
            vsCliPrintExtra(cli, "No legacy snapshot directory in %s\n", vsStoreGetLocation(store));
    }

    for (guint i = 0; i < vms->len; i++) {
        const char *vm = vms->pdata[i];
        g_autoptr(vsLegacyReport) report = NULL;
        g_autoptr(GError) err = NULL;
        int rc;

        int ck = vsCliHasCheckpoints(cli, ckstore, vm);

        if (vms->len > 1)
            vsCliPrint(cli, "Domain '%s':\n", vm);
        /* checkpoints when their store has any; snapshots unless only
         * checkpoints are there (else its error says nothing is) */
        if (ck > 0 && vsCliConvertCheckpoints(cli, ckstore, vm, opts) < 0)
            ret = -1;
        if (ck < 0 || (ck > 0 && vsCliHasSnapshots(cli, store, vm) == 0)) {
            ret = ck < 0 ? -1 : ret;
            continue;
        }
        rc = vsStoreConvertDomain(&report, store, vm, opts, &err);
        vsCliPrintFindings(cli, report, "resolved");
        if (rc < 0) {
            vsCliError(cli, "Failed to convert domain '%s'", vm);
            vsCliReportGError(cli, err);
            ret = -1;
            continue;
        }
        vsCliPrint(cli, "%s", vsLegacyReportGetSummary(report));
    }
    if (skipped > 0) {
        vsCliError(cli, "%u director%s not converted: %s name%s cannot be a VM name here",
                   skipped, skipped == 1 ? "y" : "ies", skipped == 1 ? "its" : "their",
                   skipped == 1 ? "" : "s");
        ret = -1;
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* export-legacy                                                        */

static const vsCliOptDef vsCliOptsExport[] = {
    { "domain", VS_CLI_OT_ARGV, VS_CLI_OF_REQUIRED, "VM name(s)" },
    { "force", VS_CLI_OT_BOOL, 0,
      "replace an existing directory (it is moved aside whole, never overwritten)" },
    { 0 }
};

static int
vsCliCmdExport(vsCli *cli, const vsCliCmd *cmd)
{
    const GPtrArray *vms = vsCliOptArgv(cmd, "domain");
    g_autoptr(vsStore) store = NULL;
    unsigned int flags = vsCliOptBool(cmd, "force") ? VS_LEGACY_EXPORT_FORCE : 0;
    g_autoptr(vsStore) ckstore = NULL;
    int ret = 0;

    if (vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliOpenCheckpointStore(cli, FALSE, &ckstore) < 0)
        return -1;
    for (guint i = 0; i < vms->len; i++) {
        const char *vm = vms->pdata[i];
        g_autoptr(vsLegacyReport) report = NULL;
        g_autoptr(GError) err = NULL;
        int ck = vsCliHasCheckpoints(cli, ckstore, vm);

        if (ck > 0) {
            g_autoptr(vsLegacyReport) ckreport = NULL;

            if (vsStoreExportCheckpoints(&ckreport, ckstore, vm, flags, &err) < 0) {
                vsCliError(cli, "Failed to export the checkpoints of domain '%s'", vm);
                vsCliReportGError(cli, err);
                g_clear_error(&err);
                ret = -1;
            } else {
                vsCliPrint(cli, "%s", vsLegacyReportGetSummary(ckreport));
            }
            if (vsCliHasSnapshots(cli, store, vm) == 0)
                continue;
        }
        if (ck < 0) {
            ret = -1;
            continue;
        }
        if (vsStoreExportLegacy(&report, store, vm, flags, &err) < 0) {
            vsCliError(cli, "Failed to export domain '%s'", vm);
            vsCliReportGError(cli, err);
            ret = -1;
            continue;
        }
        vsCliPrint(cli, "%s", vsLegacyReportGetSummary(report));
    }
    return ret;
}

/* ------------------------------------------------------------------ */
/* check                                                                */

static const vsCliOptDef vsCliOptsCheck[] = {
    { "domain", VS_CLI_OT_ARGV, 0, "VM name(s); default: the whole store" },
    { "repair", VS_CLI_OT_BOOL, 0,
      "fix what needs no guess (moving files aside, never deleting them)" },
    { 0 }
};

/* One check of one kind: findings printed, counts added; -1 (reported). */
static int
vsCliCheckKind(vsCli *cli, vsStore *store, gboolean checkpoints, const char *vm,
               unsigned int flags, guint *found, guint *unresolved)
{
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;

    if ((checkpoints ? vsStoreCheckCheckpoints(&report, store, vm, flags, &err)
                     : vsStoreCheck(&report, store, vm, flags, &err)) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrintFindings(cli, report, "repaired");
    *found += vsLegacyReportGetCount(report);
    *unresolved += vsLegacyReportCountUnresolved(report);
    return 0;
}

static int
vsCliCmdCheck(vsCli *cli, const vsCliCmd *cmd)
{
    const GPtrArray *named = vsCliOptArgv(cmd, "domain");
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) ckstore = NULL;
    unsigned int flags = vsCliOptBool(cmd, "repair") ? VS_STORE_CHECK_REPAIR : 0;
    guint unresolved = 0, found = 0;

    if (vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliOpenCheckpointStore(cli, FALSE, &ckstore) < 0)
        return -1;
    for (guint i = 0; i < (named ? named->len : 1); i++) {
        const char *vm = named ? named->pdata[i] : NULL;
        int ck = vm ? vsCliHasCheckpoints(cli, ckstore, vm) : ckstore != NULL;

        if (ck < 0)
            return -1;
        /* a named VM: each kind it has (snapshots when it has neither,
         * which says it is unknown); the whole store: both directories */
        if ((!vm || ck == 0 || vsCliHasSnapshots(cli, store, vm) > 0) &&
            ((vm && ck == 0 && vsCliRequireKnownDomain(cli, store, vm) < 0) ||
             vsCliCheckKind(cli, store, FALSE, vm, flags, &found, &unresolved) < 0))
            return -1;
        if (ck > 0 && vsCliCheckKind(cli, ckstore, TRUE, vm, flags, &found, &unresolved) < 0)
            return -1;
    }
    if (found == 0)
        vsCliPrintExtra(cli, "No problems found\n");
    if (unresolved > 0) {
        vsCliError(cli, "%u problem%s need%s a decision", unresolved,
                   unresolved == 1 ? "" : "s", unresolved == 1 ? "s" : "");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* undefine --snapshots-metadata, domrename                             */

static const vsCliOptDef vsCliOptsUndefine[] = {
    { "domain", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "domain name" },
    { "snapshots-metadata", VS_CLI_OT_BOOL, 0,
      "remove all snapshot metadata of the domain" },
    { "checkpoints-metadata", VS_CLI_OT_BOOL, 0,
      "remove all domain checkpoint metadata (vm must be inactive)" },
    { 0 }
};

/* virtsnap keeps no VM definitions: what undefine means here is dropping
 * the VM's snapshot metadata, which virsh refuses without the flag. */
static int
vsCliUndefineFailed(vsCli *cli, vsDomain *dom, const GError *err)
{
    vsCliError(cli, "Failed to undefine domain '%s'", vsDomainGetName(dom));
    vsCliReportGError(cli, err);
    vsCliNoteMovedAside(cli, vsDomainGetName(dom), vsDomainGetMovedAside(dom));
    return -1;
}

static int
vsCliCmdUndefine(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    vsDomain *ckdom = NULL;
    guint count, ckcount = 0;

    /* checkpoints too when their directory exists (each kind its lock) */
    if (g_file_test(cli->checkpoint_dir, G_FILE_TEST_IS_DIR) &&
        vsCliLoadCheckpoints(cli, cmd, TRUE, &ckdom) < 0)
        return -1;
    if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
        return -1;
    count = vsDomainCount(dom);
    ckcount = ckdom ? vsDomainCount(ckdom) : 0;
    if (count > 0 && !vsCliOptBool(cmd, "snapshots-metadata")) {
        vsCliError(cli, "Failed to undefine domain '%s'", vsDomainGetName(dom));
        vsCliError(cli, "Requested operation is not valid: cannot delete inactive domain "
                   "with %u snapshots", count);
        return -1;
    }
    if (ckcount > 0 && !vsCliOptBool(cmd, "checkpoints-metadata")) {
        vsCliError(cli, "Failed to undefine domain '%s'", vsDomainGetName(dom));
        vsCliError(cli, "Requested operation is not valid: cannot delete inactive domain "
                   "with %u checkpoints", ckcount);
        return -1;
    }
    if (vsDomainDeleteAll(dom, &err) < 0)
        return vsCliUndefineFailed(cli, dom, err);
    vsCliNoteMovedAside(cli, vsDomainGetName(dom), vsDomainGetMovedAside(dom));
    if (ckcount > 0 && vsDomainDeleteAll(ckdom, &err) < 0)
        return vsCliUndefineFailed(cli, ckdom, err);
    if (ckcount > 0)
        vsCliNoteMovedAside(cli, vsDomainGetName(ckdom), vsDomainGetMovedAside(ckdom));
    vsCliPrintExtra(cli, "Domain '%s' snapshot metadata removed (%u snapshot%s)\n",
                    vsDomainGetName(dom), count, count == 1 ? "" : "s");
    if (ckcount > 0)
        vsCliPrintExtra(cli, "Domain '%s' checkpoint metadata removed (%u checkpoint%s)\n",
                        vsDomainGetName(dom), ckcount, ckcount == 1 ? "" : "s");
    return 0;
}

static const vsCliOptDef vsCliOptsRename[] = {
    { "domain", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "domain name" },
    { "new-name", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "new domain name" },
    { 0 }
};

/* Renames both kinds (libvirt 9.0 loses the checkpoints): snapshots,
 * then checkpoints; when the checkpoints cannot move, the snapshots move
 * back, so both stay under one name. */
static int
vsCliCmdRename(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) ckstore = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *moved = NULL;
    g_autofree char *ckmoved = NULL;
    const char *from = NULL, *to = NULL;
    int has_s, has_c, rc = 0;

    if (vsCliOptString(cli, cmd, "domain", &from) < 0 ||
        vsCliOptString(cli, cmd, "new-name", &to) < 0 ||
        vsCliOpenStore(cli, FALSE, &store) < 0 ||
        vsCliOpenCheckpointStore(cli, FALSE, &ckstore) < 0 ||
        (has_c = vsCliHasCheckpoints(cli, ckstore, from)) < 0 ||
        (has_s = vsCliHasSnapshots(cli, store, from)) < 0 ||
        (!has_c && vsCliRequireKnownDomain(cli, store, from) < 0))
        return -1;
    if (has_s)
        rc = vsStoreRenameDomain(&moved, store, from, to, &err);
    if (rc == 0 && has_c &&
        (rc = vsStoreRenameCheckpoints(&ckmoved, ckstore, from, to, &err)) < 0 && has_s) {
        g_autoptr(GError) back = NULL;
        if (vsStoreRenameDomain(NULL, store, to, from, &back) < 0)
            vsCliWarning(cli, "the snapshots stay renamed to '%s': %s", to, back->message);
    }
    if (rc < 0) {
        vsCliError(cli, "Failed to rename domain '%s' to '%s'", from, to);
        vsCliReportGError(cli, err);
    }
    vsCliNoteMovedAside(cli, from, moved);
    vsCliNoteMovedAside(cli, from, ckmoved);
    if (rc < 0)
        return -1;
    vsCliPrintExtra(cli, "Domain successfully renamed\n");
    return 0;
}

/* ------------------------------------------------------------------ */
/* list                                                                 */

int
vsCliOpenCheckpointSide(vsStore **out, const char *location, gboolean create, GError **error)
{
    g_autoptr(GError) err = NULL;

    *out = NULL;
    if (vsStoreOpen(out, location, create ? VS_STORE_OPEN_CREATE : 0, &err) == 0)
        return 0;
    if (!create && g_error_matches(err, VS_ERROR, VS_ERROR_NOT_FOUND))
        return 0;
    g_propagate_error(error, g_steal_pointer(&err));
    return -1;
}

static const vsCliOptDef vsCliOptsList[] = {
    { "checkpoints", VS_CLI_OT_BOOL, 0, "list the domains with checkpoints instead" },
    { 0 }
};

/* Through the public API, so any store answers (bash completion's VM
 * names come from here). */
static int
vsCliCmdList(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) vms = NULL;
    int rc;

    if (vsCliOptBool(cmd, "checkpoints")) {
        vsCliFlushDomains(cli);
        if (vsCliOpenCheckpointSide(&store, cli->checkpoint_dir, FALSE, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        if (!store)
            return 0;   /* no checkpoint directory yet: no checkpoints */
        rc = vsStoreListCheckpointDomains(&vms, store, &err);
    } else {
        if (vsCliOpenStore(cli, FALSE, &store) < 0)
            return -1;
        rc = vsStoreListDomains(&vms, store, &err);
    }
    if (rc < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    for (guint i = 0; vms[i]; i++)
        vsCliPrint(cli, "%s\n", vms[i]);
    return 0;
}

/* ------------------------------------------------------------------ */
/* store-config                                                         */

static const vsCliOptDef vsCliOptsConfig[] = {
    { "compression", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "zstd, pieces or none: how bulk files are written from now on" },
    { "load-limit", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "memory a load may hold (bytes, or with K, M, G, T; 0: the default, 1G)" },
    { 0 }
};

/* The setting's words, indexed by vsCompression. */
static const char *const vsCliCompressionNames[] = { "none", "zstd", "pieces" };

static int
vsCliCmdConfig(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GError) err = NULL;
    const char *compression = NULL, *limit_text = NULL;
    int mode = -1;
    guint64 limit = 0;

    if (vsCliOptString(cli, cmd, "compression", &compression) < 0 ||
        vsCliOptString(cli, cmd, "load-limit", &limit_text) < 0)
        return -1;
    for (guint i = 0; compression && i < G_N_ELEMENTS(vsCliCompressionNames); i++)
        if (strcmp(compression, vsCliCompressionNames[i]) == 0)
            mode = i;
    if (compression && mode < 0) {
        vsCliError(cli, "invalid argument: unknown compression '%s' (expected zstd, pieces "
                   "or none)", compression);
        return -1;
    }
    if (limit_text && strcmp(limit_text, "0") != 0 &&
        vsStoreParseSize(limit_text, &limit, &err) < 0) {
        vsCliError(cli, "invalid argument: --load-limit: %s", err->message);
        return -1;
    }
    if (vsCliOpenStore(cli, compression || limit_text, &store) < 0)
        return -1;
    if ((compression &&
         vsStoreSaveCompressionMode(store, mode, &err) < 0) ||
        (limit_text && vsStoreSaveLoadLimit(store, limit, &err) < 0)) {
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrint(cli, "compression: %s\n",
               vsCliCompressionNames[vsStoreGetCompressionMode(store)]);
    vsCliPrint(cli, "load-limit: %" G_GUINT64_FORMAT "\n", vsStoreGetLoadLimit(store));
    return 0;
}

/* ------------------------------------------------------------------ */

static const vsCliCmdDef vsCliStoreCmds[] = {
    { "check", "Check the store and libvirt's per-file directories",
      "Reports leftover legacy directories beside bulk files, VMs not yet\n"
      "    converted, bulk files that do not load, and every problem of a legacy\n"
      "    directory that libvirt would silently skip.  --repair fixes what needs\n"
      "    no guess.", vsCliOptsCheck, vsCliCmdCheck },
    { "convert", "Convert VMs from libvirt's per-file layout",
      "Converts DIR/VM/*.xml (libvirt's layout) into the bulk file DIR/VM.xml,\n"
      "    verifies it, then moves the directory aside (or keeps or removes it).\n"
      "    A directory with problems is refused until each has a resolution, and\n"
      "    a directory a running libvirt reads is refused without --force (libvirt\n"
      "    9.0 no longer sees converted snapshots; export-legacy writes them back).\n"
      "    Safe to interrupt and to run again.", vsCliOptsConvert, vsCliCmdConvert },
    { "export-legacy", "Write VMs back in libvirt's per-file layout",
      "Writes DIR/VM/SNAP.xml for every snapshot exactly as libvirt 9.0 does,\n"
      "    so an older libvirt sees them again: all files at once (one rename), or\n"
      "    nothing.  Refuses a snapshot whose file would be over the 1 MiB libvirt\n"
      "    reads.  The bulk file stays.",
      vsCliOptsExport, vsCliCmdExport },
    { "copy-store", "Copy every VM from one store to another",
      "Copies every VM's snapshots from SOURCE to DESTINATION (a directory or a\n"
      "    postgresql:// database, either way, or database to database), each VM\n"
      "    in one commit, replacing what DESTINATION had for it; then their\n"
      "    checkpoints, between the two stores' default checkpoint places.  VMs\n"
      "    already the same are not written, so a copy that stopped midway is\n"
      "    completed by running it again.  Shows its progress on a terminal.",
      vsCliOptsCopy, vsCliCmdCopy },
    { "domrename", "Move a domain's snapshot metadata to a new name",
      "Renames DIR/VM.xml to DIR/NEW-NAME.xml (one rename), refusing when the\n"
      "    new name already has snapshot metadata.  A legacy directory DIR/VM/ is\n"
      "    moved aside first (it would give VM its snapshots back).",
      vsCliOptsRename, vsCliCmdRename },
    { "list", "List the domains the store has snapshots of",
      "Prints the name of every domain with snapshots in the store, one per\n"
      "    line, sorted (with --checkpoints: every domain with checkpoints in the\n"
      "    checkpoint store).  Works on any store, a directory or a database.",
      vsCliOptsList, vsCliCmdList },
    { "store-config", "Show or change the store's settings",
      "Shows the store's settings; --compression sets how bulk files are\n"
      "    written from now on: zstd (the default: zstdcat shows the document),\n"
      "    pieces (zstd, each distinct <domain> stored once as shared pieces, for\n"
      "    many snapshots of large definitions: zstdcat then shows references,\n"
      "    store-dumpxml the document) or none (plain XML).  Each VM's file\n"
      "    changes at its next write; every kind is always read.  --load-limit\n"
      "    SIZE refuses to load a VM whose distinct snapshot data needs more\n"
      "    memory (a safety limit; 0 restores the default, 1 GiB).",
      vsCliOptsConfig, vsCliCmdConfig },
    { "store-dumpxml", "Print a domain's whole document as the store holds it",
      "Prints every snapshot of the domain (with --checkpoints, every\n"
      "    checkpoint) as one <snapshots> document: DIR/VM.xml of a plain store,\n"
      "    what zstdcat shows of a zstd store's file.  A pieces store's file names\n"
      "    its <domain> definitions instead (zstdcat shows references): this\n"
      "    prints them in full, as the other two hold them.",
      vsCliOptsStoreDump, vsCliCmdStoreDump },
    { "undefine", "Remove a domain's snapshot metadata",
      "With --snapshots-metadata, removes every snapshot of the domain without\n"
      "    re-parenting (one unlink), like virsh undefine --snapshots-metadata;\n"
      "    without it, refuses while the domain has snapshots.  A legacy directory\n"
      "    DIR/VM/ is moved aside first (it would bring the snapshots back).",
      vsCliOptsUndefine, vsCliCmdUndefine },
    { 0 }
};

const vsCliGroup vsCliGroupStore = { "Store", "store", vsCliStoreCmds };
