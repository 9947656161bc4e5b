/* legacy-check.c — what a directory store holds beside virtsnap's files:
 * VMs still in libvirt's layout, leftover or diverged legacy directories,
 * bulk files that do not load, stale temporaries, names virtsnap cannot
 * use; and the repairs that need no guess. */
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

/* The store directory's entries (sorted), dot entries left out. */
static int
storeEntries(GPtrArray **out, vsStore *store, int *dirfd, const char **dirpath,
             GError **error)
{
    g_autoptr(GPtrArray) all = NULL;

    if (vsStoreGetDirectory(store, dirfd, dirpath, error) < 0 ||
        vsDirList(&all, *dirfd, *dirpath, error) < 0)
        return -1;
    *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < all->len; i++) {
        if (((const char *) all->pdata[i])[0] != '.')
            g_ptr_array_add(*out, g_strdup(all->pdata[i]));
    }
    return 0;
}

int
vsStoreListLegacyDomains(char ***out, vsStore *store, GError **error)
{
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    const char *dirpath;
    int dirfd;

    if (storeEntries(&entries, store, &dirfd, &dirpath, error) < 0)
        return -1;
    for (guint i = 0; i < entries->len; i++) {
        struct stat st;
        const char *name = entries->pdata[i];

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
            vsDomainNameCheck(name, NULL) == 0)
            g_ptr_array_add(vms, g_strdup(name));
    }
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
findUnsupportedNames(const vsMomentKind *kind, int dirfd, const char *dirpath,
                     vsLegacyReport *report, GError **error)
{
    g_autoptr(GPtrArray) names = NULL;

    if (vsDirList(&names, dirfd, dirpath, error) < 0)
        return -1;
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autoptr(GError) why = NULL;
        g_autofree char *shown = NULL;
        struct stat st;

        if (strcmp(name, VS_DIR_PRIVATE) == 0 || vsDomainNameCheck(name, &why) == 0 ||
            fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        shown = displayName(name);
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_UNSUPPORTED_NAME, name, name, NULL,
                          "%s/: %s, so virtsnap can neither convert nor manage the %ss "
                          "a libvirt VM of that name keeps here; the directory is left as it "
                          "is", shown, why->message, kind->noun);
    }
    return 0;
}

int
vsStoreFindUnsupportedNames(vsLegacyReport **out, vsStore *store, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    const char *dirpath;
    int dirfd;

    *out = NULL;
    if (vsStoreGetDirectory(store, &dirfd, &dirpath, error) < 0 ||
        findUnsupportedNames(&vsSnapshotKind, dirfd, dirpath, report, error) < 0)
        return -1;
    *out = g_steal_pointer(&report);
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

/* ------------------------------------------------------------------ */
/* One VM                                                               */

typedef struct {
    vsStore *store;
    const vsMomentKind *kind;
    int dirfd;
    const char *dirpath;
    const GPtrArray *entries;     /* the store directory's */
    vsLegacyReport *report;
    const char *vm;
    char *bulk;                   /* "<vm>.xml" */
    gboolean has_bulk, has_dir, dir_link, bulk_dir;
} CheckVM;

/* What stands at the VM's two paths (never followed). */
static void
checkPaths(CheckVM *c)
{
    struct stat st;

    if (fstatat(c->dirfd, c->bulk, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISREG(st.st_mode))
            c->has_bulk = TRUE;
        else if (S_ISDIR(st.st_mode))
            c->bulk_dir = TRUE;
        else if (S_ISLNK(st.st_mode))
            vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_COLLISION, c->vm, c->bulk, NULL,
                              "%s: is a symbolic link where VM '%s''s bulk file would be; "
                              "virtsnap never follows links in the store", c->bulk, c->vm);
    }
    if (fstatat(c->dirfd, c->vm, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
        c->has_dir = TRUE;
        c->dir_link = S_ISLNK(st.st_mode);
    }
    if (c->bulk_dir && c->has_dir)
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_COLLISION, c->vm, c->bulk, NULL,
                          "%s/ is the legacy directory of VM '%s' and takes the place of VM "
                          "'%s''s bulk file; convert VM '%s' first (its directory is moved "
                          "aside), then VM '%s'", c->bulk, c->bulk, c->vm, c->bulk, c->vm);
}

static void
checkBulkTemps(const CheckVM *c, gboolean repaired)
{
    g_autofree char *prefix = g_strconcat(c->bulk, VS_ATOMIC_TEMP_MARK, NULL);

    for (guint i = 0; i < c->entries->len; i++) {
        const char *name = c->entries->pdata[i];
        struct stat st;

        if (!g_str_has_prefix(name, prefix) || !vsAtomicFileIsTemp(name) ||
            strlen(name) != strlen(prefix) + 6)
            continue;
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_STALE_TEMP, c->vm, name, NULL,
                          "%s: stale temporary file of an unfinished virtsnap write", name);
        if (repaired && fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
            vsLegacyReportSetLastAction(c->report, "removed (the VM's file was never replaced "
                                        "by it)");
    }
}

/* The legacy directory beside what the store holds (@stored: NULL when
 * the bulk file does not load). */
static int
checkLegacyDir(const CheckVM *c, const vsTree *stored, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(GArray) diffs = NULL;
    const vsTree *dir;

    if (vsLegacyScanDir(&scan, c->kind, c->dirfd, c->dirpath, c->vm, NULL, c->report,
                        error) < 0)
        return -1;
    if (!scan || c->dir_link)
        return 0;
    dir = vsLegacyScanGetTree(scan);
    if (!c->has_bulk) {
        guint n = vsLegacyScanGetEntries(scan)->len;
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_NOT_CONVERTED, c->vm, c->vm, NULL,
                          "%s/: still in libvirt's per-file layout (%u entr%s); 'virtsnap "
                          "convert %s' converts it", c->vm, n, n == 1 ? "y" : "ies", c->vm);
    } else if (stored && dir && vsTreeDiff(dir, stored, &diffs)) {
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_LEFTOVER, c->vm, c->vm, NULL,
                          "%s/: left beside %s, with the same %u %s%s; 'virtsnap "
                          "convert %s' moves it aside", c->vm, c->bulk, vsTreeCount(stored),
                          c->kind->noun, vsTreeCount(stored) == 1 ? "" : "s", c->vm);
    } else if (stored && dir) {
        g_autofree char *diff = vsTreeDiffDescribe(dir, stored, diffs, "the directory",
                                                   "the bulk file");
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_DIVERGED, c->vm, c->vm, NULL,
                          "%s/: left beside %s, and they differ: %s", c->vm, c->bulk, diff);
    } else if (stored) {
        /* Its problems are listed already; whether it matches depends on
         * the resolutions chosen when it was converted. */
        vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_LEFTOVER, c->vm, c->vm, NULL,
                          "%s/: left beside %s, with the problems above; 'virtsnap convert "
                          "%s' with the resolutions used before moves it aside",
                          c->vm, c->bulk, c->vm);
    }
    return 0;
}

/* One read of the bulk file: a read-only load, or with @repair a write
 * load, which takes the VM's lock and clears stale bulk temporaries. */
static int
checkDomain(CheckVM *c, gboolean repair, GError **error)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) lerr = NULL;
    gboolean repaired = FALSE;

    checkPaths(c);
    if (!c->has_bulk && !c->has_dir)
        return 0;
    if (vsStoreLoadKind(&dom, c->store, c->kind, c->vm, NULL,
                        VS_DOMAIN_LOAD_STORED_ONLY | (repair ? VS_DOMAIN_LOAD_WRITE : 0),
                        &lerr) == 0) {
        repaired = repair;
    } else if (repair && g_error_matches(lerr, VS_ERROR, VS_ERROR_LOCKED)) {
        g_propagate_error(error, g_steal_pointer(&lerr));
        return -1;
    }
    if (repaired && c->has_dir && !c->dir_link &&
        vsLegacyRepairDir(c->kind, c->dirfd, c->dirpath, c->vm, c->report, error) < 0)
        return -1;
    if (c->has_bulk) {
        if (lerr)
            vsLegacyReportAdd(c->report, VS_LEGACY_PROBLEM_BULK_CORRUPT, c->vm, c->bulk, NULL,
                              "%s", lerr->message);
        checkBulkTemps(c, repaired);
    }
    if (!c->has_dir)
        return 0;
    return checkLegacyDir(c, dom && c->has_bulk ? vsDomainGetTree(dom) : NULL, error);
}

/* Every name some entry speaks for: bulk files, directories, and symlinks
 * standing where either would be; each once, sorted. */
static GPtrArray *
checkCandidates(int dirfd, const GPtrArray *entries)
{
    GPtrArray *vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    gsize suffix = strlen(VS_DIR_BULK_SUFFIX);

    for (guint i = 0; i < entries->len; i++) {
        const char *name = entries->pdata[i];
        gboolean bulk_name = g_str_has_suffix(name, VS_DIR_BULK_SUFFIX) && strlen(name) > suffix;
        g_autofree char *cand = NULL;
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        /* A symlink named X.xml stands for VM X's bulk file, any other for
         * a legacy directory: each is reported once. */
        if (S_ISDIR(st.st_mode) || (S_ISLNK(st.st_mode) && !bulk_name))
            cand = g_strdup(name);
        if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && bulk_name) {
            g_autofree char *base = g_strndup(name, strlen(name) - suffix);
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
    g_ptr_array_sort(vms, (GCompareFunc) vsStrcmpIndirect);
    return vms;
}

/* A store that is not a directory (a database) has no libvirt layout
 * beside it: its check loads each VM's record (with @repair under the VM's
 * lock) and reports those that do not load. */
static int
checkRecords(vsStore *store, const vsMomentKind *kind, const char *vm, gboolean repair,
             vsLegacyReport *report, GError **error)
{
    g_auto(GStrv) vms = NULL;

    if (vm)
        vms = g_strdupv((char *[]) { (char *) vm, NULL });
    else if (vsStoreListKind(&vms, store, kind, error) < 0)
        return -1;
    for (guint i = 0; vms[i]; i++) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) lerr = NULL;

        if (vsStoreLoadKind(&dom, store, kind, vms[i], NULL,
                            VS_DOMAIN_LOAD_STORED_ONLY | (repair ? VS_DOMAIN_LOAD_WRITE : 0),
                            &lerr) == 0)
            continue;
        if (g_error_matches(lerr, VS_ERROR, VS_ERROR_LOCKED) ||
            g_error_matches(lerr, VS_ERROR, VS_ERROR_IO)) {
            g_propagate_error(error, g_steal_pointer(&lerr));
            return -1;
        }
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_BULK_CORRUPT, vms[i], vms[i], NULL, "%s",
                          lerr->message);
    }
    return 0;
}

int
vsStoreCheck(vsLegacyReport **out, vsStore *store, const char *vm, unsigned int flags,
             GError **error)
{
    return vsStoreCheckKind(out, store, &vsSnapshotKind, vm, flags, error);
}

int
vsStoreCheckKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                 const char *vm, unsigned int flags, GError **error)
{
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) vms = NULL;
    const char *dirpath;
    int dirfd;

    *out = NULL;
    if (flags & ~VS_STORE_CHECK_REPAIR)
        return vsErr(error, VS_ERROR_INVALID, "unsupported flags (0x%x)",
                     flags & ~VS_STORE_CHECK_REPAIR);
    if (vm && vsDomainNameCheck(vm, error) < 0)
        return -1;
    if (vsStoreGetDirectory(store, &dirfd, &dirpath, NULL) < 0) {
        if (checkRecords(store, kind, vm, flags & VS_STORE_CHECK_REPAIR, report, error) < 0)
            return -1;
        *out = g_steal_pointer(&report);
        return 0;
    }
    if (storeEntries(&entries, store, &dirfd, &dirpath, error) < 0)
        return -1;
    if (vm) {
        vms = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(vms, g_strdup(vm));
    } else {
        vms = checkCandidates(dirfd, entries);
    }
    for (guint i = 0; i < vms->len; i++) {
        CheckVM c = { .store = store, .kind = kind, .dirfd = dirfd, .dirpath = dirpath, .entries = entries,
                      .report = report, .vm = vms->pdata[i],
                      .bulk = vsDirBulkName(vms->pdata[i]) };
        int rc = checkDomain(&c, flags & VS_STORE_CHECK_REPAIR, error);

        g_free(c.bulk);
        if (rc < 0)
            return -1;
    }
    if (!vm && (findUnsupportedNames(kind, dirfd, dirpath, report, error) < 0 ||
                checkStaging(dirfd, dirpath, report, error) < 0))
        return -1;
    *out = g_steal_pointer(&report);
    return 0;
}
