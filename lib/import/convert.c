/* convert.c — store-level legacy operations: convert a VM from libvirt's
 * per-file directory, export it back, check the store.
 *
 * Every operation holds the VM's lock, taken through the store's load
 * (the store owns the lock protocol), to which it passes a context that
 * steers what the load does with the legacy directory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "format/bulkfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "import/legacy.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

static int
storeOpenDir(int *out, vsStore *store, GError **error)
{
    const char *path = vsStoreGetPath(store);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return vsErrErrno(error, errno, "%s: cannot open store directory", path);
    *out = fd;
    return 0;
}

static gint
compareStrings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Store entries (sorted), dot entries left out. */
static int
storeListEntries(GPtrArray **out, vsStore *store, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = NULL;
    GError *derr = NULL;
    const char *entry;

    if (!(dir = g_dir_open(vsStoreGetPath(store), 0, &derr))) {
        vsErr(error, VS_ERROR_IO, "%s", derr->message);
        g_error_free(derr);
        return -1;
    }
    while ((entry = g_dir_read_name(dir))) {
        if (entry[0] != '.')
            g_ptr_array_add(names, g_strdup(entry));
    }
    g_ptr_array_sort(names, compareStrings);
    *out = g_steal_pointer(&names);
    return 0;
}

int
vsStoreListLegacyDomains(char ***out, vsStore *store, GError **error)
{
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    int dirfd = -1;

    if (storeOpenDir(&dirfd, store, error) < 0)
        return -1;
    if (storeListEntries(&entries, store, error) < 0) {
        close(dirfd);
        return -1;
    }
    for (guint i = 0; i < entries->len; i++) {
        struct stat st;
        const char *name = entries->pdata[i];

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
            vsDomainNameCheck(name, NULL) == 0)
            g_ptr_array_add(vms, g_strdup(name));
    }
    close(dirfd);
    g_ptr_array_add(vms, NULL);
    *out = (char **) g_ptr_array_free(g_steal_pointer(&vms), FALSE);
    return 0;
}

/* A name fit for a one-line message: control characters and bytes that
 * are not UTF-8 escaped (\t, \xNN), cut after 40 characters. */
static char *
displayName(const char *name)
{
    GString *out = g_string_new(NULL);
    const char *p = name;
    guint chars = 0;

    while (*p && chars < 40) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            g_string_append_printf(out, "\\x%02x", (unsigned char) *p++);
        } else if (c == '\t') {
            g_string_append(out, "\\t");
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(out, "\\x%02x", (unsigned char) *p++);
        } else {
            const char *next = g_utf8_next_char(p);
            g_string_append_len(out, p, next - p);
            p = next;
        }
        chars++;
    }
    if (*p)
        g_string_append(out, "…");
    return g_string_free(out, FALSE);
}

static int
findUnsupportedNames(int dirfd, const char *dirpath, vsLegacyReport *report, GError **error)
{
    g_autoptr(GPtrArray) names = NULL;

    if (vsDirList(&names, dirfd, dirpath, error) < 0)
        return -1;
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autoptr(GError) why = NULL;
        g_autofree char *shown = NULL;
        struct stat st;

        if (strcmp(name, ".virtsnap") == 0 || vsDomainNameCheck(name, &why) == 0 ||
            fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        shown = displayName(name);
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_UNSUPPORTED_NAME, name, name, NULL,
                          "%s/: %s, so virtsnap can neither convert nor manage the snapshots "
                          "a libvirt VM of that name keeps here; the directory is left as it "
                          "is", shown, why->message);
    }
    return 0;
}

/* Leftovers of exports interrupted (or failing to flush) after their swap
 * hold a VM's previous legacy entries: say so rather than leave them
 * unnoticed until that VM's next export moves them aside. */
static int
checkStaging(int dirfd, const char *dirpath, vsLegacyReport *report, GError **error)
{
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GError) derr = NULL;
    g_autofree char *path = g_strdup_printf("%s/" VS_LEGACY_STAGING_DIR, dirpath);
    int fd, ret;

    if (vsAtomicDirOpen(&fd, dirfd, dirpath, VS_LEGACY_STAGING_DIR, FALSE, &derr) < 0) {
        if (g_error_matches(derr, VS_ERROR, VS_ERROR_NOT_FOUND))
            return 0;
        g_propagate_error(error, g_steal_pointer(&derr));
        return -1;
    }
    ret = vsDirList(&names, fd, path, error);
    close(fd);
    for (guint i = 0; ret == 0 && i < names->len; i++) {
        const char *vm = names->pdata[i];
        g_autofree char *rel = g_strdup_printf(VS_LEGACY_STAGING_DIR "/%s", vm);
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_LEFTOVER, vm, rel, NULL,
                          "%s/: left by an interrupted export-legacy (it may hold the previous "
                          "entries of %s/); the next 'virtsnap export-legacy %s' moves it to "
                          VS_LEGACY_ASIDE_DIR "/%s/", rel, vm, vm, vm);
    }
    return ret;
}

int
vsStoreFindUnsupportedNames(vsLegacyReport **out, vsStore *store, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    int dirfd = -1;
    int ret;

    *out = NULL;
    if (storeOpenDir(&dirfd, store, error) < 0)
        return -1;
    ret = findUnsupportedNames(dirfd, vsStoreGetPath(store), report, error);
    close(dirfd);
    if (ret == 0)
        *out = g_steal_pointer(&report);
    return ret;
}

static char *
formatRecord(const vsMoment *moment)
{
    GString *buf = g_string_new(NULL);

    vsMomentFormatStored(buf, moment, NULL, 0);
    return g_string_free(buf, FALSE);
}

/* How the directory's tree differs from the bulk file's, in one line. */
static char *
describeDiff(const vsTree *dir, const vsTree *bulk)
{
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) b = NULL;
    const vsSnapshot *ca = vsTreeGetCurrent(dir), *cb = vsTreeGetCurrent(bulk);
    GString *out = g_string_new(NULL);

    vsTreeList(&a, dir, NULL, 0, NULL);
    vsTreeList(&b, bulk, NULL, 0, NULL);
    for (guint i = 0; a && i < a->len; i++) {
        const char *name = vsSnapshotGetName(a->pdata[i]);
        const vsSnapshot *other = vsTreeLookup(bulk, name);
        g_autofree char *x = NULL, *y = NULL;

        if (!other) {
            g_ptr_array_add(diffs, g_strdup_printf("snapshot '%s' is only in the directory",
                                                   name));
            continue;
        }
        x = formatRecord(a->pdata[i]);
        y = formatRecord(other);
        if (strcmp(x, y) != 0)
            g_ptr_array_add(diffs, g_strdup_printf("snapshot '%s' differs", name));
    }
    for (guint i = 0; b && i < b->len; i++) {
        const char *name = vsSnapshotGetName(b->pdata[i]);
        if (!vsTreeLookup(dir, name))
            g_ptr_array_add(diffs, g_strdup_printf("snapshot '%s' is only in the bulk file",
                                                   name));
    }
    if ((ca == NULL) != (cb == NULL) ||
        (ca && strcmp(vsSnapshotGetName(ca), vsSnapshotGetName(cb)) != 0))
        g_ptr_array_add(diffs, g_strdup_printf("the current snapshot is %s%s%s in the "
                                               "directory, %s%s%s in the bulk file",
                                               ca ? "'" : "", ca ? vsSnapshotGetName(ca) : "none",
                                               ca ? "'" : "", cb ? "'" : "",
                                               cb ? vsSnapshotGetName(cb) : "none",
                                               cb ? "'" : ""));
    for (guint i = 0; i < diffs->len && i < 3; i++)
        g_string_append_printf(out, "%s%s", i ? "; " : "", (const char *) diffs->pdata[i]);
    if (diffs->len > 3)
        g_string_append_printf(out, "; and %u more", diffs->len - 3);
    if (diffs->len == 0)
        g_string_append(out, "the files differ in form only");
    return g_string_free(out, FALSE);
}

/* DIR/<vm>.xml as a directory is VM '<vm>.xml''s legacy directory. */
static int
checkBulkPathFree(int dirfd, const char *dirpath, const char *vm, GError **error)
{
    g_autofree char *bulk = g_strdup_printf("%s.xml", vm);
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

/* The bulk file exists: an earlier conversion was interrupted before its
 * leftover policy ran, or kept the directory.  Finish it if they match. */
static int
convertFinish(int dirfd, const char *dirpath, const char *vm, const vsLegacyOptions *opts,
              vsLegacyReport *report, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(vsTree) bulk = NULL;
    g_autofree char *bulkname = g_strdup_printf("%s.xml", vm);
    g_autoptr(vsLegacyOptions) defaults = NULL;

    if (!opts)
        opts = defaults = vsLegacyOptionsNew();
    if (vsLegacyScanDir(&scan, dirfd, dirpath, vm, opts, report, error) < 0)
        return -1;
    if (!scan) {
        vsLegacyReportAppendSummary(report, "%s already holds VM '%s''s snapshots and no "
                                    "legacy directory is left: nothing to do", bulkname, vm);
        return 0;
    }
    if (vsLegacyScanUnresolved(scan))
        return vsLegacyScanRefuse(scan, dirpath, vm, error);
    if (vsBulkFileRead(&bulk, NULL, &vsSnapshotKind, dirfd, dirpath, bulkname, NULL, error) < 0)
        return -1;
    if (!vsLegacyTreesEqual(vsLegacyScanGetTree(scan), bulk)) {
        g_autofree char *diff = describeDiff(vsLegacyScanGetTree(scan), bulk);
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_DIVERGED, vm, vm, NULL,
                          "%s/: left beside %s, and they differ: %s", vm, bulkname, diff);
        return vsErr(error, VS_ERROR_EXISTS,
                     "%s/%s/ differs from %s/%s (%s); nothing was changed: virtsnap uses the "
                     "bulk file, and 'virtsnap export-legacy --force %s' rewrites the "
                     "directory from it (moving its files aside)",
                     dirpath, vm, dirpath, bulkname, diff, vm);
    }
    vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_LEFTOVER, vm, vm, NULL,
                      "%s/: left beside %s, with the same %u snapshot%s", vm, bulkname,
                      vsTreeCount(bulk), vsTreeCount(bulk) == 1 ? "" : "s");
    vsLegacyReportAppendSummary(report, "%s already holds the same snapshots as %s/ (an "
                                "earlier conversion was interrupted or kept it)", bulkname, vm);
    return vsLegacyApplyPolicy(dirfd, dirpath, vm, vsLegacyOptionsGetLeftover(opts),
                               vsLegacyScanGetConverted(scan),
                               report, error);
}

int
vsStoreConvertDomain(vsLegacyReport **out, vsStore *store, const char *vm,
                     const vsLegacyOptions *opts, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    vsLegacyHookCtx ctx = { VS_LEGACY_HOOK_CONVERT, opts, report, FALSE, FALSE };
    g_autoptr(vsDomain) dom = NULL;
    const char *dirpath = vsStoreGetPath(store);
    struct stat st;
    int dirfd = -1;
    int ret = -1;
    int rc;

    if (out)
        *out = NULL;
    if (vsDomainNameCheck(vm, error) < 0 || storeOpenDir(&dirfd, store, error) < 0)
        return -1;
    if (checkBulkPathFree(dirfd, dirpath, vm, error) < 0)
        goto cleanup;
    /* Moving DIR/<vm>/ away hides it from a libvirt that reads it. */
    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
        !(vsLegacyOptionsGetFlags(opts) & VS_LEGACY_FORCE_LIBVIRT_RUNNING) &&
        vsStoreCheckLibvirtIdle(store, vm, error) < 0)
        goto cleanup;

    rc = vsStoreLoadDomainWithLegacy(&dom, store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &ctx, error);
    if (rc < 0)
        goto cleanup;
    if (ctx.ran && !ctx.found_dir) {
        vsErr(error, VS_ERROR_NOT_FOUND,
              "VM '%s' has no snapshot metadata in %s (neither %s.xml nor %s/)",
              vm, dirpath, vm, vm);
        goto cleanup;
    }
    if (ctx.ran)
        ret = 0;
    else
        ret = convertFinish(dirfd, dirpath, vm, opts, report, error);

 cleanup:
    close(dirfd);
    /* Findings explain a refusal too, so the caller gets them either way. */
    if (out && (ret == 0 || vsLegacyReportGetCount(report) > 0))
        *out = g_steal_pointer(&report);
    return ret;
}

int
vsStoreExportLegacy(vsLegacyReport **out, vsStore *store, const char *vm,
                    unsigned int flags, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    vsLegacyHookCtx ctx = { VS_LEGACY_HOOK_SKIP, NULL, NULL, FALSE, FALSE };
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(vsTree) tree = NULL;
    g_autofree char *bulkname = g_strdup_printf("%s.xml", vm);
    g_autofree char *uuid = NULL;
    const char *dirpath = vsStoreGetPath(store);
    int dirfd = -1;
    int ret = -1;
    int rc;

    if (out)
        *out = NULL;
    if (flags & ~VS_LEGACY_EXPORT_FORCE)
        return vsErr(error, VS_ERROR_INVALID, "unsupported flags (0x%x)",
                     flags & ~VS_LEGACY_EXPORT_FORCE);
    if (vsDomainNameCheck(vm, error) < 0 || storeOpenDir(&dirfd, store, error) < 0)
        return -1;

    rc = vsStoreLoadDomainWithLegacy(&dom, store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &ctx, error);
    if (rc < 0)
        goto cleanup;
    if (vsDomainCount(dom) == 0) {
        if (ctx.found_dir)
            vsErr(error, VS_ERROR_NOT_FOUND,
                  "VM '%s' has no bulk file; its snapshots are still in libvirt's "
                  "layout (%s/%s/): nothing to export", vm, dirpath, vm);
        else
            vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s' has no snapshots in %s", vm, dirpath);
        goto cleanup;
    }
    /* The file as committed (the lock is held, so it is current). */
    if (vsBulkFileRead(&tree, NULL, &vsSnapshotKind, dirfd, dirpath, bulkname, NULL, error) < 0)
        goto cleanup;
    uuid = vsTreeFindUUID(tree);
    if (vsLegacyExport(dirfd, dirpath, vm, tree, uuid, flags & VS_LEGACY_EXPORT_FORCE,
                       report, error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    close(dirfd);
    if (out && ret == 0)
        *out = g_steal_pointer(&report);
    return ret;
}

/* ------------------------------------------------------------------ */
/* check                                                                */

static void
checkBulkTemps(int dirfd, const char *vm, const GPtrArray *entries, gboolean repaired,
               vsLegacyReport *report)
{
    g_autofree char *prefix = g_strdup_printf("%s.xml" VS_ATOMIC_TEMP_MARK, vm);

    for (guint i = 0; i < entries->len; i++) {
        const char *name = entries->pdata[i];
        struct stat st;

        if (!g_str_has_prefix(name, prefix) || !vsAtomicFileIsTemp(name) ||
            strlen(name) != strlen(prefix) + 6)
            continue;
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_STALE_TEMP, vm, name, NULL,
                          "%s: stale temporary file of an unfinished virtsnap write", name);
        if (repaired && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
            vsLegacyReportSetLastAction(report, "removed (the VM's file was never replaced "
                                        "by it)");
    }
}

static int
checkDomain(vsStore *store, int dirfd, const char *vm, const GPtrArray *entries,
            gboolean repair, vsLegacyReport *report, GError **error)
{
    const char *dirpath = vsStoreGetPath(store);
    g_autofree char *bulkname = g_strdup_printf("%s.xml", vm);
    g_autoptr(vsTree) bulk = NULL;
    g_autoptr(GError) berr = NULL;
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(vsDomain) lock = NULL;
    gboolean has_bulk = FALSE, has_dir = FALSE, dir_link = FALSE, bulk_dir = FALSE;
    gboolean repaired = FALSE;
    struct stat st;

    if (fstatat(dirfd, bulkname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISREG(st.st_mode))
            has_bulk = TRUE;
        else if (S_ISDIR(st.st_mode))
            bulk_dir = TRUE;
        else if (S_ISLNK(st.st_mode))
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_COLLISION, vm, bulkname, NULL,
                              "%s: is a symbolic link where VM '%s''s bulk file would be; "
                              "virtsnap never follows links in the store", bulkname, vm);
    }
    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
        has_dir = TRUE;
        dir_link = S_ISLNK(st.st_mode);
    }
    if (bulk_dir && has_dir)
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_COLLISION, vm, bulkname, NULL,
                          "%s/ is the legacy directory of VM '%s' and takes the place of VM "
                          "'%s''s bulk file; convert VM '%s' first (its directory is moved "
                          "aside), then VM '%s'", bulkname, bulkname, vm, bulkname, vm);

    if (repair && (has_bulk || has_dir)) {
        /* A write load takes the lock and clears stale bulk temporaries. */
        vsLegacyHookCtx ctx = { VS_LEGACY_HOOK_SKIP, NULL, NULL, FALSE, FALSE };
        g_autoptr(GError) lerr = NULL;

        if (vsStoreLoadDomainWithLegacy(&lock, store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &ctx,
                                        &lerr) == 0) {
            repaired = TRUE;
        } else if (g_error_matches(lerr, VS_ERROR, VS_ERROR_LOCKED)) {
            g_propagate_error(error, g_steal_pointer(&lerr));
            return -1;
        }
        if (repaired && has_dir && !dir_link && vsLegacyRepairDir(dirfd, dirpath, vm, report, error) < 0)
            return -1;
    }

    if (has_bulk) {
        if (vsBulkFileRead(&bulk, NULL, &vsSnapshotKind, dirfd, dirpath, bulkname, NULL, &berr) < 0)
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_BULK_CORRUPT, vm, bulkname, NULL,
                              "%s", berr->message);
        checkBulkTemps(dirfd, vm, entries, repaired, report);
    }
    if (!has_dir)
        return 0;
    if (vsLegacyScanDir(&scan, dirfd, dirpath, vm, NULL, report, error) < 0)
        return -1;
    if (!scan)
        return 0;
    if (dir_link)
        return 0;
    if (!has_bulk) {
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_NOT_CONVERTED, vm, vm, NULL,
                          "%s/: still in libvirt's per-file layout (%u entr%s); 'virtsnap "
                          "convert %s' converts it", vm, vsLegacyScanCountEntries(scan),
                          vsLegacyScanCountEntries(scan) == 1 ? "y" : "ies", vm);
    } else if (bulk && vsLegacyScanGetTree(scan)) {
        if (vsLegacyTreesEqual(vsLegacyScanGetTree(scan), bulk)) {
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_LEFTOVER, vm, vm, NULL,
                              "%s/: left beside %s, with the same %u snapshot%s; 'virtsnap "
                              "convert %s' moves it aside", vm, bulkname, vsTreeCount(bulk),
                              vsTreeCount(bulk) == 1 ? "" : "s", vm);
        } else {
            g_autofree char *diff = describeDiff(vsLegacyScanGetTree(scan), bulk);
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_DIVERGED, vm, vm, NULL,
                              "%s/: left beside %s, and they differ: %s", vm, bulkname, diff);
        }
    } else if (bulk) {
        /* Its problems are listed already; whether it matches depends on
         * the resolutions chosen when it was converted. */
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_LEFTOVER, vm, vm, NULL,
                          "%s/: left beside %s, with the problems above; 'virtsnap convert "
                          "%s' with the resolutions used before moves it aside",
                          vm, bulkname, vm);
    }
    return 0;
}

int
vsStoreCheck(vsLegacyReport **out, vsStore *store, const char *vm, unsigned int flags,
             GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    int dirfd = -1;
    int ret = -1;

    *out = NULL;
    if (flags & ~VS_STORE_CHECK_REPAIR)
        return vsErr(error, VS_ERROR_INVALID, "unsupported flags (0x%x)",
                     flags & ~VS_STORE_CHECK_REPAIR);
    if (vm && vsDomainNameCheck(vm, error) < 0)
        return -1;
    if (storeOpenDir(&dirfd, store, error) < 0)
        return -1;
    if (storeListEntries(&entries, store, error) < 0)
        goto cleanup;

    if (vm) {
        g_ptr_array_add(vms, g_strdup(vm));
    } else {
        /* Every name some entry speaks for: bulk files, directories,
         * and symlinks standing where either would be. */
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint i = 0; i < entries->len; i++) {
            const char *name = entries->pdata[i];
            g_autofree char *cand = NULL;
            struct stat st;

            if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            /* A symlink named X.xml stands for VM X's bulk file, any other
             * for a legacy directory: each is reported once. */
            if (S_ISDIR(st.st_mode) || (S_ISLNK(st.st_mode) && !g_str_has_suffix(name, ".xml")))
                cand = g_strdup(name);
            if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && g_str_has_suffix(name, ".xml") &&
                strlen(name) > 4) {
                g_autofree char *base = g_strndup(name, strlen(name) - 4);
                if (vsDomainNameCheck(base, NULL) == 0 && !g_hash_table_contains(seen, base)) {
                    g_hash_table_add(seen, base);
                    g_ptr_array_add(vms, g_steal_pointer(&base));
                }
            }
            if (cand && vsDomainNameCheck(cand, NULL) == 0 && !g_hash_table_contains(seen, cand)) {
                g_hash_table_add(seen, cand);
                g_ptr_array_add(vms, g_steal_pointer(&cand));
            }
        }
        g_ptr_array_sort(vms, compareStrings);
    }

    for (guint i = 0; i < vms->len; i++) {
        if (checkDomain(store, dirfd, vms->pdata[i], entries, flags & VS_STORE_CHECK_REPAIR,
                        report, error) < 0)
            goto cleanup;
    }
    if (!vm && (findUnsupportedNames(dirfd, vsStoreGetPath(store), report, error) < 0 ||
                checkStaging(dirfd, vsStoreGetPath(store), report, error) < 0))
        goto cleanup;
    ret = 0;
    *out = g_steal_pointer(&report);

 cleanup:
    close(dirfd);
    return ret;
}
