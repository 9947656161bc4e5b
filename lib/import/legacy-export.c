/* legacy-export.c — write a VM's tree back in libvirt's per-file layout,
 * DIR/<vm>/<name>.xml, byte for byte as libvirt 9.0 writes it.
 *
 * The files are written into a staging directory DIR/.virtsnap/export/<vm>/
 * (private: libvirt never reads it), made durable with one syncfs and put in
 * place with one atomic rename — or an exchange with the existing directory,
 * which then goes whole to DIR/.virtsnap/legacy/<vm>/<N>/.  So libvirt sees
 * the old directory or the complete export, never a mix; a failed export
 * removes its staging directory and leaves nothing behind; and no existing
 * file is ever overwritten or deleted. */
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

/* Findings that list names show this many, then a count. */
#define EXPORT_SHOW_MAX 3

typedef struct {
    const char *noun;       /* the kind's, for messages */
    int dirfd;
    const char *dirpath;
    const char *vm;
    char *vmpath;           /* DIRPATH/<vm> */
    int parentfd;           /* DIR/.virtsnap/export */
    char *parentpath;
    int stagefd;            /* DIR/.virtsnap/export/<vm>, while ours */
    char *stagepath;
    GHashTable *digests;    /* file name -> SHA-256 of what was written */
    GPtrArray *too_large;   /* "'name' (N bytes)" of records libvirt would skip */
} Export;

static void
closeFd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void
exportClear(Export *ex)
{
    if (ex->parentfd >= 0)
        close(ex->parentfd);
    if (ex->stagefd >= 0)
        close(ex->stagefd);
    g_free(ex->vmpath);
    g_free(ex->parentpath);
    g_free(ex->stagepath);
    g_hash_table_unref(ex->digests);
    g_ptr_array_unref(ex->too_large);
}

/* The names, and a count past EXPORT_SHOW_MAX: "a, b, c and 4 more". */
static char *
joinSome(const GPtrArray *items, const char *sep)
{
    GString *out = g_string_new(NULL);
    guint shown = MIN(items->len, EXPORT_SHOW_MAX);

    for (guint i = 0; i < shown; i++)
        g_string_append_printf(out, "%s%s", i ? sep : "", (const char *) items->pdata[i]);
    if (items->len > shown)
        g_string_append_printf(out, " and %u more", items->len - shown);
    return g_string_free(out, FALSE);
}

/* DIR/<vm> must be absent, or a directory (empty unless @force).  Never a
 * link, never another VM's bulk file. */
static int
exportCheckTarget(Export *ex, gboolean force, gboolean *exists, GError **error)
{
    g_autoptr(GPtrArray) existing = NULL;
    struct stat st;
    int vfd, ret;

    *exists = FALSE;
    if (fstatat(ex->dirfd, ex->vm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return vsErrErrno(error, errno, "%s: cannot stat", ex->vmpath);
    }
    if (S_ISLNK(st.st_mode))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s: is a symbolic link; virtsnap never writes through links in the store",
                     ex->vmpath);
    if (!S_ISDIR(st.st_mode)) {
        if (S_ISREG(st.st_mode) && g_str_has_suffix(ex->vm, ".xml"))
            return vsErr(error, VS_ERROR_INVALID,
                         "%s: is the bulk file of VM '%.*s', where VM '%s''s legacy "
                         "directory would have to be; libvirt's layout cannot hold both, "
                         "rename one of the VMs", ex->vmpath, (int) strlen(ex->vm) - 4,
                         ex->vm, ex->vm);
        return vsErr(error, VS_ERROR_INVALID, "%s: exists and is not a directory", ex->vmpath);
    }
    if (vsAtomicDirOpen(&vfd, ex->dirfd, ex->dirpath, ex->vm, FALSE, error) < 0)
        return -1;
    ret = vsDirList(&existing, vfd, ex->vmpath, error);
    close(vfd);
    if (ret < 0)
        return -1;
    if (existing->len > 0 && !force)
        return vsErr(error, VS_ERROR_EXISTS,
                     "%s/: legacy %s directory already exists and is not empty "
                     "(%u entr%s); export with force to replace it (its entries are "
                     "moved aside, never overwritten or deleted)", ex->vmpath, ex->noun,
                     existing->len, existing->len == 1 ? "y" : "ies");
    *exists = TRUE;
    return 0;
}

/* Second line of defence: a name that is not one file name (a bulk file
 * or a tree built by hand could hold one) is never written anywhere. */
static int
exportCheckNames(Export *ex, const GPtrArray *all, GError **error)
{
    for (guint i = 0; i < all->len; i++) {
        const char *name = ((const vsMoment *) all->pdata[i])->name;
        if (strchr(name, '/'))
            return vsErr(error, VS_ERROR_INVALID,
                         "VM '%s': %s '%s' cannot be exported: its name contains '/', "
                         "which is not a file name; nothing was exported", ex->vm, ex->noun,
                         name);
    }
    return 0;
}

/* Moves a directory at DIR/.virtsnap/export/<vm> aside: the leftover of an
 * export interrupted after its exchange holds the previous entries. */
static int
exportMoveStaleStaging(Export *ex, vsLegacyReport *report, GError **error)
{
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    struct stat st;
    int ret;

    if (fstatat(ex->parentfd, ex->vm, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : vsErrErrno(error, errno, "%s: cannot stat", ex->stagepath);
    ret = vsLegacyAsideNew(&aside, ex->dirfd, ex->dirpath, ex->vm, FALSE, error);
    if (ret == 0 && vsAtomicMove(ex->parentfd, ex->vm, aside.containerfd, aside.name,
                                 RENAME_NOREPLACE, ex->stagepath, aside.path, error) < 0)
        ret = -1;
    if (ret == 0)
        vsLegacyReportAppendSummary(report, "moved the leftover of an interrupted export "
                                    "(%s/%s/) to %s/", VS_LEGACY_STAGING_DIR, ex->vm, aside.rel);
    vsLegacyAsideClear(&aside);
    return ret;
}

static int
exportOpenStaging(Export *ex, vsLegacyReport *report, GError **error)
{
    if (vsAtomicDirOpen(&ex->parentfd, ex->dirfd, ex->dirpath, VS_LEGACY_STAGING_DIR, TRUE,
                        error) < 0 ||
        exportMoveStaleStaging(ex, report, error) < 0)
        return -1;
    /* libvirt: mkdir 0777 & umask; the mode goes with the directory. */
    if (mkdirat(ex->parentfd, ex->vm, 0777) < 0)
        return vsErrErrno(error, errno, "%s: cannot create directory", ex->stagepath);
    return vsAtomicDirOpen(&ex->stagefd, ex->parentfd, ex->parentpath, ex->vm, FALSE, error);
}

/* Removes the staging directory and what was written into it (all ours). */
static void
exportDiscardStaging(Export *ex)
{
    g_autoptr(GPtrArray) names = NULL;

    if (ex->stagefd < 0)
        return;
    if (vsDirList(&names, ex->stagefd, ex->stagepath, NULL) == 0) {
        for (guint i = 0; i < names->len; i++)
            unlinkat(ex->stagefd, names->pdata[i], 0);
    }
    closeFd(&ex->stagefd);
    unlinkat(ex->parentfd, ex->vm, AT_REMOVEDIR);
}

/* One record: staged as DIR/.virtsnap/export/<vm>/<name>.xml, or only
 * noted when its file would be over libvirt's read limit (then nothing
 * more is written: the export will be refused). */
static int
exportWriteOne(Export *ex, const vsMoment *moment, const char *uuid, gboolean current,
               GError **error)
{
    g_autoptr(vsAtomicFile) af = NULL;
    g_autoptr(GString) content = g_string_sized_new(16 * 1024);
    g_autofree char *file = vsLegacyFileName(moment->name);

    vsLegacyFileFormat(content, moment, uuid, current);
    if (content->len > VS_LEGACY_FILE_MAX) {
        g_ptr_array_add(ex->too_large, g_strdup_printf("'%s' (%zu bytes)", moment->name,
                                                        content->len));
        return 0;
    }
    if (ex->too_large->len > 0)
        return 0;
    if (vsAtomicFileOpen(&af, ex->stagefd, ex->stagepath, file, error) < 0)
        return -1;
    vsAtomicFileDeferSync(af);   /* one syncfs for all, before they are used */
    vsAtomicFileWrite(af, content->str, content->len);
    if (vsAtomicFileCommit(af, error) < 0)
        return -1;
    g_hash_table_insert(ex->digests, g_steal_pointer(&file),
                        g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                    (const guchar *) content->str, content->len));
    return 0;
}

static int
exportRefuseTooLarge(Export *ex, GError **error)
{
    g_autofree char *list = joinSome(ex->too_large, ", ");
    guint n = ex->too_large->len;

    if (n == 1)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s/: %s %s would be a file over the 1 MiB that libvirt 9.0 reads "
                     "(it would skip it without a word); nothing was exported",
                     ex->vmpath, ex->noun, list);
    return vsErr(error, VS_ERROR_TOO_LARGE,
                 "%s/: %u %ss would be files over the 1 MiB that libvirt 9.0 reads (it "
                 "would skip them without a word): %s; nothing was exported",
                 ex->vmpath, n, ex->noun, list);
}

/* Whether the file @name in @fd has exactly the bytes written for it. */
static gboolean
exportSameAsWritten(Export *ex, int fd, const char *name)
{
    const char *want = g_hash_table_lookup(ex->digests, name);
    g_autofree char *data = NULL;
    g_autofree char *got = NULL;
    struct stat st;
    gsize len;
    int ffd, rc;

    if (!want)
        return FALSE;
    ffd = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (ffd < 0)
        return FALSE;
    rc = fstat(ffd, &st) == 0 && S_ISREG(st.st_mode)
         ? vsFileReadAll(&data, &len, ffd, VS_LEGACY_FILE_MAX, name, NULL) : -1;
    close(ffd);
    if (rc < 0)
        return FALSE;
    got = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
    return strcmp(got, want) == 0;
}

/* The previous directory, now at the staging path after the exchange: gone
 * when empty, else moved whole aside, and the report says which of its
 * entries were not what the export wrote (edits made on libvirt's side). */
static int
exportPutAsideOld(Export *ex, vsLegacyReport *report, GError **error)
{
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GPtrArray) differ = g_ptr_array_new();
    g_autofree char *list = NULL;
    int ofd, rc, ret = -1;

    if (vsAtomicDirOpen(&ofd, ex->parentfd, ex->parentpath, ex->vm, FALSE, error) < 0)
        return -1;
    if (vsDirList(&names, ofd, ex->stagepath, error) < 0) {
        close(ofd);
        return -1;
    }
    for (guint i = 0; i < names->len; i++) {
        if (!exportSameAsWritten(ex, ofd, names->pdata[i]))
            g_ptr_array_add(differ, names->pdata[i]);
    }
    close(ofd);
    if (names->len == 0) {
        if (unlinkat(ex->parentfd, ex->vm, AT_REMOVEDIR) < 0)
            return vsErrErrno(error, errno, "%s: cannot remove", ex->stagepath);
        return 0;
    }
    if (vsLegacyAsideNew(&aside, ex->dirfd, ex->dirpath, ex->vm, FALSE, error) < 0)
        goto cleanup;
    rc = vsAtomicMove(ex->parentfd, ex->vm, aside.containerfd, aside.name, RENAME_NOREPLACE,
                      ex->stagepath, aside.path, error);
    if (rc == -1)
        goto cleanup;
    list = joinSome(differ, ", ");
    vsLegacyReportAppendSummary(report, "moved the previous %u entr%s of %s/ to %s/ (%s%s)",
                                names->len, names->len == 1 ? "y" : "ies", ex->vm, aside.rel,
                                differ->len ? "not as exported: " : "all as exported",
                                list);
    ret = rc;

 cleanup:
    vsLegacyAsideClear(&aside);
    return ret;
}

static int
exportStageAll(Export *ex, const vsTree *tree, const GPtrArray *all, const char *uuid,
               GError **error)
{
    const vsMoment *cur = vsTreeGetCurrent(tree);

    for (guint i = 0; i < all->len; i++) {
        if (exportWriteOne(ex, all->pdata[i], uuid, all->pdata[i] == cur, error) < 0)
            return -1;
    }
    if (ex->too_large->len > 0)
        return exportRefuseTooLarge(ex, error);
    return vsAtomicSyncFs(ex->stagefd, ex->stagepath, error);
}

int
vsLegacyExport(int dirfd, const char *dirpath, const char *vm, const vsTree *tree,
               const char *uuid, gboolean force, vsLegacyReport *report, GError **error)
{
    Export ex = {
        .noun = vsTreeGetKind(tree)->noun,
        .dirfd = dirfd, .dirpath = dirpath, .vm = vm, .parentfd = -1, .stagefd = -1,
        .vmpath = g_strdup_printf("%s/%s", dirpath, vm),
        .parentpath = g_strdup_printf("%s/" VS_LEGACY_STAGING_DIR, dirpath),
        .stagepath = g_strdup_printf("%s/" VS_LEGACY_STAGING_DIR "/%s", dirpath, vm),
        .digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .too_large = g_ptr_array_new_with_free_func(g_free),
    };
    g_autoptr(GPtrArray) all = NULL;
    const vsMoment *cur = vsTreeGetCurrent(tree);
    const char *noun = ex.noun;
    gboolean exists = FALSE;
    int ret = -1, rc;

    if (exportCheckTarget(&ex, force, &exists, error) < 0 ||
        vsTreeList(&all, tree, NULL, 0, error) < 0 ||
        exportCheckNames(&ex, all, error) < 0 ||
        exportOpenStaging(&ex, report, error) < 0)
        goto cleanup;
    if (exportStageAll(&ex, tree, all, uuid, error) < 0) {
        exportDiscardStaging(&ex);
        goto cleanup;
    }
    closeFd(&ex.stagefd);
    /* The one step libvirt can see: the old directory or the new one. */
    rc = vsAtomicMove(ex.parentfd, vm, dirfd, vm, exists ? RENAME_EXCHANGE : RENAME_NOREPLACE,
                      ex.stagepath, ex.vmpath, error);
    if (rc == -1 &&
        vsAtomicDirOpen(&ex.stagefd, ex.parentfd, ex.parentpath, vm, FALSE, NULL) == 0)
        exportDiscardStaging(&ex);   /* not moved: still ours */
    if (rc < 0)
        goto cleanup;   /* -2: in place; the old entries wait at the staging path */
    if (cur)
        vsLegacyReportAppendSummary(report, "exported %u %s%s to %s/ (current '%s')",
                                    all->len, noun, all->len == 1 ? "" : "s", vm, cur->name);
    else
        vsLegacyReportAppendSummary(report, "exported %u %s%s to %s/ (no current %s)",
                                    all->len, noun, all->len == 1 ? "" : "s", vm, noun);
    if (exists && exportPutAsideOld(&ex, report, error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    exportClear(&ex);
    return ret;
}

int
vsStoreExportLegacy(vsLegacyReport **out, vsStore *store, const char *vm,
                    unsigned int flags, GError **error)
{
    return vsStoreExportKind(out, store, &vsSnapshotKind, vm, flags, error);
}

int
vsStoreExportKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                  const char *vm, unsigned int flags, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    g_autoptr(vsDomain) dom = NULL;
    g_autofree char *uuid = NULL;
    const vsTree *tree;
    const char *dirpath;
    struct stat st;
    int dirfd;

    if (out)
        *out = NULL;
    if (flags & ~VS_LEGACY_EXPORT_FORCE)
        return vsErr(error, VS_ERROR_INVALID, "unsupported flags (0x%x)",
                     flags & ~VS_LEGACY_EXPORT_FORCE);
    /* The VM's lock for the whole export; its tree as loaded under it is
     * the stored one (one read). */
    if (vsDomainNameCheck(vm, error) < 0 ||
        vsStoreGetDirectory(store, &dirfd, &dirpath, error) < 0 ||
        vsStoreLoadKind(&dom, store, kind, vm, NULL,
                        VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_STORED_ONLY, error) < 0)
        return -1;
    tree = vsDomainGetTree(dom);
    if (vsTreeCount(tree) == 0) {
        if (!vsDomainIsStored(dom) && fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(st.st_mode))
            return vsErr(error, VS_ERROR_NOT_FOUND,
                         "VM '%s' has no bulk file; its %ss are still in libvirt's "
                         "layout (%s/%s/): nothing to export", vm, kind->noun, dirpath, vm);
        return vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s' has no %ss in %s", vm, kind->noun,
                     dirpath);
    }
    uuid = vsTreeFindUUID(tree);
    if (vsLegacyExport(dirfd, dirpath, vm, tree, uuid, flags & VS_LEGACY_EXPORT_FORCE,
                       report, error) < 0)
        return -1;
    if (out)
        *out = g_steal_pointer(&report);
    return 0;
}
