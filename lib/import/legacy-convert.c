/* legacy-convert.c — converting a VM from libvirt's per-file directory to
 * the store: through the store's own path (the VM's lock from the load, the
 * one commit of vsDomainReplace's tree), then read back and compared, and
 * only then the leftover policy.
 *
 * Nothing here ever deletes user data that is not also somewhere else: a
 * converted directory is moved aside (DIR/.virtsnap/legacy/<vm>/<N>/), and
 * only the REMOVE policy unlinks files, and only files verified to be in
 * the store. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "import/legacy.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

/* Empties the moved-aside directory of the files now in the store; it goes
 * (with its container, if that was its only entry) once nothing else is in
 * it. */
static int
policyRemoveConverted(int dirfd, const char *dirpath, const char *vm, vsLegacyAside *aside,
                      const GPtrArray *converted, vsLegacyReport *report, GError **error)
{
    g_autoptr(GPtrArray) rest = NULL;
    guint removed = 0;
    int lfd;

    if (vsAtomicDirOpen(&aside->fd, aside->containerfd, aside->path, aside->name, FALSE,
                        error) < 0)
        return -1;
    for (guint i = 0; i < converted->len; i++) {
        if (unlinkat(aside->fd, converted->pdata[i], 0) < 0 && errno != ENOENT)
            return vsErrErrno(error, errno, "%s/%s: cannot remove", aside->path,
                              (const char *) converted->pdata[i]);
        removed++;
    }
    if (vsAtomicSyncDir(aside->fd, aside->path, error) < 0 ||
        vsDirList(&rest, aside->fd, aside->path, error) < 0)
        return -1;
    if (rest->len > 0) {
        vsLegacyReportAppendSummary(report, "removed %u converted file%s of %s/; its %u other "
                                    "entr%s kept in %s/", removed, removed == 1 ? "" : "s",
                                    vm, rest->len, rest->len == 1 ? "y is" : "ies are",
                                    aside->rel);
        return 0;
    }
    if (unlinkat(aside->containerfd, aside->name, AT_REMOVEDIR) < 0)
        return vsErrErrno(error, errno, "%s: cannot remove", aside->path);
    /* The container too, when this was its only entry (fine if not). */
    if (vsAtomicDirOpen(&lfd, dirfd, dirpath, VS_LEGACY_ASIDE_DIR, FALSE, NULL) == 0) {
        unlinkat(lfd, vm, AT_REMOVEDIR);
        close(lfd);
    }
    vsLegacyReportAppendSummary(report, "removed %s/ (%u file%s)", vm, removed,
                                removed == 1 ? "" : "s");
    return 0;
}

int
vsLegacyApplyPolicy(int dirfd, const char *dirpath, const char *vm, vsLegacyLeftover policy,
                    const GPtrArray *converted, vsLegacyReport *report, GError **error)
{
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    int ret = -1;

    if (policy == VS_LEGACY_LEFTOVER_KEEP) {
        vsLegacyReportAppendSummary(report, "left %s/ in place", vm);
        return 0;
    }
    /* Both MOVE and REMOVE start with one atomic rename, so an interrupted
     * REMOVE leaves a moved-aside directory, never a half-empty DIR/<vm>/. */
    if (vsLegacyAsideMoveDir(dirfd, dirpath, vm, &aside, error) < 0)
        goto cleanup;
    if (policy == VS_LEGACY_LEFTOVER_MOVE) {
        vsLegacyReportAppendSummary(report, "moved %s/ to %s/", vm, aside.rel);
        ret = 0;
    } else {
        ret = policyRemoveConverted(dirfd, dirpath, vm, &aside, converted, report, error);
    }

 cleanup:
    vsLegacyAsideClear(&aside);
    return ret;
}

/* The store already holds the VM: an earlier conversion was interrupted
 * before its leftover policy ran, or kept the directory.  Finish it if
 * they match (the store's tree as loaded under the lock: no second read). */
static int
convertFinish(vsDomain *dom, int dirfd, const char *dirpath, const char *vm,
              const vsLegacyOptions *opts, vsLegacyReport *report, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(GArray) diffs = NULL;
    g_autofree char *bulk = vsDirBulkName(vm);
    const vsTree *stored = vsDomainGetTree(dom);
    const char *noun = vsTreeGetKind(stored)->noun;
    const vsTree *dir;

    if (vsLegacyScanDir(&scan, vsTreeGetKind(stored), dirfd, dirpath, vm, opts, report,
                        error) < 0)
        return -1;
    if (!scan) {
        vsLegacyReportAppendSummary(report, "%s already holds VM '%s''s %ss and no "
                                    "legacy directory is left: nothing to do", bulk, vm, noun);
        return 0;
    }
    if (vsLegacyScanUnresolved(scan))
        return vsLegacyScanRefuse(scan, dirpath, error);
    dir = vsLegacyScanGetTree(scan);
    if (!vsTreeDiff(dir, stored, &diffs)) {
        g_autofree char *diff = vsTreeDiffDescribe(dir, stored, diffs, "the directory",
                                                   "the bulk file");
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_DIVERGED, vm, vm, NULL,
                          "%s/: left beside %s, and they differ: %s", vm, bulk, diff);
        return vsErr(error, VS_ERROR_EXISTS,
                     "%s/%s/ differs from %s/%s (%s); nothing was changed: virtsnap uses the "
                     "bulk file, and 'virtsnap export-legacy --force %s' rewrites the "
                     "directory from it (moving its files aside)",
                     dirpath, vm, dirpath, bulk, diff, vm);
    }
    vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_LEFTOVER, vm, vm, NULL,
                      "%s/: left beside %s, with the same %u %s%s", vm, bulk,
                      vsTreeCount(stored), noun, vsTreeCount(stored) == 1 ? "" : "s");
    vsLegacyReportAppendSummary(report, "%s already holds the same %ss as %s/ (an "
                                "earlier conversion was interrupted or kept it)", bulk, noun, vm);
    return vsLegacyApplyPolicy(dirfd, dirpath, vm, opts ? opts->policy : VS_LEGACY_LEFTOVER_MOVE,
                               vsLegacyScanGetConverted(scan), report, error);
}

/* Stores @tree as the VM's (the store's one commit), reads it back through
 * the store and compares: the directory is touched only once they match. */
static int
convertStore(vsDomain *dom, const vsTree *tree, const char *dirpath, const char *vm,
             vsLegacyReport *report, GError **error)
{
    g_autoptr(vsTree) back = NULL;
    g_autoptr(GError) rerr = NULL;
    g_autofree char *bulk = vsDirBulkName(vm);
    const vsMoment *cur = vsTreeGetCurrent(tree);
    const char *noun = vsTreeGetKind(tree)->noun;
    guint n = vsTreeCount(tree);

    /* The records were read with libvirt's loader and are verified below
     * as a whole, so they are not checked one by one before (as
     * vsDomainReplace does for records given by a caller). */
    if (vsDomainReplaceTree(dom, vsTreeCopy(tree), FALSE, error) < 0)
        return -1;
    if (vsDomainReadBack(dom, &back, &rerr) < 0 || !vsTreeDiff(tree, back, NULL)) {
        vsDomainRemoveStored(dom, NULL);
        return vsErr(error, VS_ERROR_CORRUPT,
                     "%s/%s: the converted file does not read back as written (%s); "
                     "it was removed and %s/ is untouched",
                     dirpath, bulk, rerr ? rerr->message : "contents differ", vm);
    }
    if (cur)
        vsLegacyReportAppendSummary(report, "converted %u %s%s of %s/ into %s (current '%s')",
                                    n, noun, n == 1 ? "" : "s", vm, bulk, cur->name);
    else
        vsLegacyReportAppendSummary(report, "converted %u %s%s of %s/ into %s (no current %s)",
                                    n, noun, n == 1 ? "" : "s", vm, bulk, noun);
    return 0;
}

/* The store holds nothing for the VM: read DIR/<vm>/ and, once every
 * problem is resolved, store its tree and apply the leftover policy. */
static int
convertNew(vsDomain *dom, int dirfd, const char *dirpath, const char *vm,
           const vsLegacyOptions *opts, vsLegacyReport *report, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autofree char *bulk = vsDirBulkName(vm);
    const vsMomentKind *kind = vsTreeGetKind(vsDomainGetTree(dom));
    const vsTree *tree;

    if (vsLegacyScanDir(&scan, kind, dirfd, dirpath, vm, opts, report, error) < 0)
        return -1;
    if (!scan)
        return vsErr(error, VS_ERROR_NOT_FOUND,
                     "VM '%s' has no %s metadata in %s (neither %s nor %s/)",
                     vm, kind->noun, dirpath, bulk, vm);
    if (vsLegacyScanUnresolved(scan))
        return vsLegacyScanRefuse(scan, dirpath, error);
    tree = vsLegacyScanGetTree(scan);
    if (vsTreeCount(tree) > 0) {
        if (convertStore(dom, tree, dirpath, vm, report, error) < 0)
            return -1;
    } else {
        vsLegacyReportAppendSummary(report, "%s/ holds no %s: no bulk file written", vm,
                                    kind->noun);
    }
    return vsLegacyApplyPolicy(dirfd, dirpath, vm, opts ? opts->policy : VS_LEGACY_LEFTOVER_MOVE,
                               vsLegacyScanGetConverted(scan), report, error);
}

/* DIR/<vm>.xml as a directory is VM '<vm>.xml''s legacy directory. */
static int
checkBulkPathFree(int dirfd, const char *dirpath, const char *vm, GError **error)
{
    g_autofree char *bulk = vsDirBulkName(vm);
    struct stat st;

    if (fstatat(dirfd, bulk, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (S_ISDIR(st.st_mode))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s/%s/ is the legacy directory of VM '%s' and takes the place of VM "
                     "'%s''s bulk file; convert VM '%s' first (its directory is moved "
                     "aside), or rename one of the VMs", dirpath, bulk, bulk, vm, bulk);
    if (S_ISLNK(st.st_mode))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s/%s: is a symbolic link; virtsnap never follows links in the store",
                     dirpath, bulk);
    return 0;
}

int
vsStoreConvertDomain(vsLegacyReport **out, vsStore *store, const char *vm,
                     const vsLegacyOptions *opts, GError **error)
{
    return vsStoreConvertKind(out, store, &vsSnapshotKind, vm, opts, error);
}

int
vsStoreConvertKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                   const char *vm, const vsLegacyOptions *opts, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    g_autoptr(vsDomain) dom = NULL;
    const char *dirpath;
    struct stat st;
    int dirfd;
    int ret = -1;

    if (out)
        *out = NULL;
    if (vsDomainNameCheck(vm, error) < 0 ||
        vsStoreGetDirectory(store, &dirfd, &dirpath, error) < 0 ||
        checkBulkPathFree(dirfd, dirpath, vm, error) < 0)
        goto done;
    /* Moving DIR/<vm>/ away hides it from a libvirt that reads it. */
    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
        !(opts && (opts->flags & VS_LEGACY_FORCE_LIBVIRT_RUNNING)) &&
        vsStoreCheckLibvirtIdle(store, vm, error) < 0)
        goto done;
    if (vsStoreLoadKind(&dom, store, kind, vm, NULL,
                        VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_STORED_ONLY, error) < 0)
        goto done;
    if (vsDomainIsStored(dom))
        ret = convertFinish(dom, dirfd, dirpath, vm, opts, report, error);
    else
        ret = convertNew(dom, dirfd, dirpath, vm, opts, report, error);

 done:
    /* Findings explain a refusal too, so the caller gets them either way. */
    if (out && (ret == 0 || vsLegacyReportGetCount(report) > 0))
        *out = g_steal_pointer(&report);
    return ret;
}
