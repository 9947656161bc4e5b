/* legacy-scan.c — reading libvirt's per-file directory DIR/<vm>/ with
 * libvirt's rules (qemuDomainSnapshotLoad), reporting instead of skipping
 * everything libvirt would silently drop, and building the tree only once
 * every problem has an explicit resolution. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "import/legacy.h"

/* libvirt's temporary name for a file being rewritten (virFileRewrite). */
#define LIBVIRT_TEMP_SUFFIX ".xml.new"

struct _vsLegacyScan {
    const vsMomentKind *kind;
    const vsLegacyOptions *opts;   /* during the scan only */
    vsLegacyReport *report;        /* during the scan only; may be NULL */
    char *vm;
    GPtrArray *entries;     /* vsLegacyEntry, sorted by file name */
    guint unresolved;
    GPtrArray *problems;    /* messages of unresolved problems, in order */
    GPtrArray *converted;   /* borrowed file names of kept entries */
    GHashTable *domains;    /* distinct <domain>s, shared between records */
    GHashTable *byname;     /* record name -> the kept entry */
    GHashTable *parent_of;  /* kept entry -> its kept parent entry */
    GHashTable *used_roots; /* the user's roots that resolved something */
    vsTree *tree;
};

static void
legacyEntryFree(gpointer data)
{
    vsLegacyEntry *e = data;
    g_free(e->file);
    g_free(e->rel);
    if (e->record)
        vsMomentUnref(e->record);
    g_free(e);
}

void
vsLegacyScanFree(vsLegacyScan *scan)
{
    if (!scan)
        return;
    g_free(scan->vm);
    g_ptr_array_unref(scan->entries);
    g_ptr_array_unref(scan->problems);
    g_ptr_array_unref(scan->converted);
    g_hash_table_unref(scan->domains);
    g_hash_table_unref(scan->byname);
    g_hash_table_unref(scan->parent_of);
    g_hash_table_unref(scan->used_roots);
    if (scan->tree)
        vsTreeFree(scan->tree);
    g_free(scan);
}

guint
vsLegacyScanUnresolved(const vsLegacyScan *scan)
{
    return scan->unresolved;
}

const vsTree *
vsLegacyScanGetTree(const vsLegacyScan *scan)
{
    return scan->tree;
}

const GPtrArray *
vsLegacyScanGetEntries(const vsLegacyScan *scan)
{
    return scan->entries;
}

const GPtrArray *
vsLegacyScanGetConverted(const vsLegacyScan *scan)
{
    return scan->converted;
}

/* Records a finding; a problem without @action counts as unresolved. */
static void G_GNUC_PRINTF(5, 6)
scanFinding(vsLegacyScan *scan, vsLegacyProblem kind, const char *path, const char *action,
            const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vsLegacyReportAdd(scan->report, kind, scan->vm, path, action, "%s", msg);
    if (!vsLegacyProblemIsNote(kind) && !action) {
        scan->unresolved++;
        g_ptr_array_add(scan->problems, g_steal_pointer(&msg));
    }
}

static const char *
dropAction(const vsLegacyScan *scan)
{
    return (scan->opts->flags & VS_LEGACY_DROP_BAD_FILES)
           ? "left out of the conversion (the file itself is kept)" : NULL;
}

/* ------------------------------------------------------------------ */
/* One entry                                                            */

/* Whether entry @e can be a record's file: a regular file that is not a
 * temporary and fits libvirt's read limit; if not, a finding. */
static gboolean
scanEntryUsable(vsLegacyScan *scan, int vfd, vsLegacyEntry *e)
{
    const char *noun = scan->kind->noun;
    struct stat st;

    if (fstatat(vfd, e->file, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        scanFinding(scan, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(scan),
                    "%s: cannot stat: %s", e->rel, g_strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_SYMLINK, e->rel, dropAction(scan),
                    "%s: is a symbolic link (virtsnap never follows links; libvirt would)",
                    e->rel);
    } else if (S_ISDIR(st.st_mode)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(scan),
                    "%s: is a directory, not a %s file", e->rel, noun);
    } else if (!S_ISREG(st.st_mode)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(scan),
                    "%s: is not a regular file", e->rel);
    } else if (g_str_has_suffix(e->file, LIBVIRT_TEMP_SUFFIX)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_STALE_TEMP, e->rel, dropAction(scan),
                    "%s: stale temporary file of an unfinished libvirt write", e->rel);
    } else if (vsAtomicFileIsTemp(e->file)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_STALE_TEMP, e->rel, dropAction(scan),
                    "%s: stale temporary file of an unfinished virtsnap write", e->rel);
    } else if (st.st_size > VS_LEGACY_FILE_MAX) {
        scanFinding(scan, VS_LEGACY_PROBLEM_TOO_LARGE, e->rel, dropAction(scan),
                    "%s: %lld bytes, over libvirt's 1 MiB limit for a %s file",
                    e->rel, (long long) st.st_size, noun);
    } else {
        return TRUE;
    }
    return FALSE;
}

/* Reads one directory entry: a loadable record or a finding. */
static void
scanEntry(vsLegacyScan *scan, int vfd, vsLegacyEntry *e)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *buf = NULL;
    gsize len = 0;
    struct stat st;
    int fd;

    if (!scanEntryUsable(scan, vfd, e))
        return;
    /* O_NONBLOCK: the entry may have become a FIFO since the stat. */
    fd = openat(vfd, e->file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int errsv = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        scanFinding(scan, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(scan),
                    "%s: cannot open: %s", e->rel,
                    errsv ? g_strerror(errsv) : "not a regular file");
        return;
    }
    if (vsFileReadAll(&buf, &len, fd, VS_LEGACY_FILE_MAX, e->rel, &err) < 0) {
        close(fd);
        if (g_error_matches(err, VS_ERROR, VS_ERROR_TOO_LARGE))
            scanFinding(scan, VS_LEGACY_PROBLEM_TOO_LARGE, e->rel, dropAction(scan),
                        "%s: over libvirt's 1 MiB limit for a %s file (it grew while "
                        "read)", e->rel, scan->kind->noun);
        else
            scanFinding(scan, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(scan),
                        "%s", err->message);
        return;
    }
    close(fd);

    if (vsLegacyFileParse(&e->record, scan->kind, buf, len, &e->active, &err) < 0) {
        if (g_str_has_suffix(e->file, ".xml"))
            scanFinding(scan, VS_LEGACY_PROBLEM_UNPARSABLE, e->rel, dropAction(scan),
                        "%s: not a valid %s file: %s", e->rel, scan->kind->noun, err->message);
        else
            scanFinding(scan, VS_LEGACY_PROBLEM_JUNK, e->rel, dropAction(scan),
                        "%s: not a %s file: %s", e->rel, scan->kind->noun, err->message);
        return;
    }
    /* A VM's records mostly embed the same <domain>: keep one copy. */
    vsMomentShareDomain(scan->domains, e->record);
    e->keep = TRUE;
}

/* ------------------------------------------------------------------ */
/* Names, current, parents                                              */

static vsLegacyEntry *
scanFindKept(const vsLegacyScan *scan, const char *name)
{
    return name ? g_hash_table_lookup(scan->byname, name) : NULL;
}

/* Which file of a duplicate group is kept; the others are left out. */
static void
scanDuplicateGroup(vsLegacyScan *scan, const char *name, GPtrArray *group)
{
    gboolean first = (scan->opts->flags & VS_LEGACY_DUPLICATES_FIRST) != 0;
    gboolean last = (scan->opts->flags & VS_LEGACY_DUPLICATES_LAST) != 0;
    g_autoptr(GString) files = g_string_new(NULL);
    g_autofree char *action = NULL;
    vsLegacyEntry *winner;

    if (group->len == 1) {
        g_hash_table_insert(scan->byname, (gpointer) name, group->pdata[0]);
        return;
    }
    for (guint j = 0; j < group->len; j++)
        g_string_append_printf(files, "%s%s", j ? ", " : "",
                               ((vsLegacyEntry *) group->pdata[j])->file);
    if (first == last) {
        scanFinding(scan, VS_LEGACY_PROBLEM_DUPLICATE, NULL, NULL,
                    "%s: %s '%s' is defined by %u files: %s",
                    scan->vm, scan->kind->noun, name, group->len, files->str);
        for (guint j = 0; j < group->len; j++)
            ((vsLegacyEntry *) group->pdata[j])->keep = FALSE;
        return;
    }
    /* Entries are sorted by file name, so the group is too. */
    winner = group->pdata[first ? 0 : group->len - 1];
    for (guint j = 0; j < group->len; j++) {
        vsLegacyEntry *e = group->pdata[j];
        if (e != winner)
            e->keep = FALSE;
    }
    action = g_strdup_printf("kept %s (%s file name); the other files are left "
                             "out of the conversion but kept",
                             winner->file, first ? "first" : "last");
    scanFinding(scan, VS_LEGACY_PROBLEM_DUPLICATE, NULL, action,
                "%s: %s '%s' is defined by %u files: %s",
                scan->vm, scan->kind->noun, name, group->len, files->str);
    g_hash_table_insert(scan->byname, (gpointer) name, winner);
}

static void
scanDuplicates(vsLegacyScan *scan)
{
    g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
    g_autoptr(GPtrArray) order = g_ptr_array_new();

    for (guint i = 0; i < scan->entries->len; i++) {
        vsLegacyEntry *e = scan->entries->pdata[i];
        GPtrArray *group;

        if (!e->keep)
            continue;
        if (!(group = g_hash_table_lookup(groups, e->record->name))) {
            group = g_ptr_array_new();
            g_hash_table_insert(groups, e->record->name, group);
            g_ptr_array_add(order, e->record->name);
        }
        g_ptr_array_add(group, e);
    }
    for (guint i = 0; i < order->len; i++)
        scanDuplicateGroup(scan, order->pdata[i], g_hash_table_lookup(groups, order->pdata[i]));
}

/* Notes a record in a file not named after it; returns the kept records
 * marked current ("'name' (file)" each, in @actives) and the last one. */
static const char *
scanNamesAndActives(vsLegacyScan *scan, GString *actives, guint *nactive)
{
    const char *current = NULL;

    for (guint i = 0; i < scan->entries->len; i++) {
        vsLegacyEntry *e = scan->entries->pdata[i];
        const char *name;
        g_autofree char *expect = NULL;

        if (!e->keep)
            continue;
        name = e->record->name;
        expect = vsLegacyFileName(name);
        if (strcmp(expect, e->file) != 0)
            scanFinding(scan, VS_LEGACY_PROBLEM_NAME_MISMATCH, e->rel, NULL,
                        "%s: holds %s '%s' (libvirt names that file %s; it "
                        "loads it anyway)", e->rel, scan->kind->noun, name, expect);
        if (e->active) {
            g_string_append_printf(actives, "%s'%s' (%s)", *nactive ? ", " : "", name, e->file);
            (*nactive)++;
            current = name;
        }
    }
    return current;
}

/* The current record: the files' word unless the user decided.  Sets
 * *current (NULL: none). */
static int
scanCurrent(vsLegacyScan *scan, const char **current, GError **error)
{
    const vsLegacyOptions *opts = scan->opts;
    const char *noun = scan->kind->noun;
    g_autoptr(GString) actives = g_string_new(NULL);
    guint nactive = 0;

    *current = scanNamesAndActives(scan, actives, &nactive);
    /* a kind whose current record is derived (checkpoints): no file says
     * it, and none is stored */
    if (!scan->kind->stores_current) {
        *current = NULL;
        if (opts->current)
            return vsErr(error, VS_ERROR_INVALID, "cannot make '%s' current: a current %s "
                         "is not stored (libvirt derives it)", opts->current, noun);
        return 0;
    }
    if (opts->current) {
        g_autofree char *action = NULL;

        if (!scanFindKept(scan, opts->current))
            return vsErr(error, VS_ERROR_INVALID, "cannot make '%s' current: %s/ has no such %s",
                         opts->current, scan->vm, noun);
        action = g_strdup_printf("made '%s' current as asked", opts->current);
        if (nactive > 1)
            scanFinding(scan, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL, action,
                        "%s: %u %ss are marked current: %s", scan->vm, nactive, noun,
                        actives->str);
        else if (nactive == 0)
            scanFinding(scan, VS_LEGACY_PROBLEM_NO_CURRENT, NULL, action,
                        "%s: no %s is marked current", scan->vm, noun);
        else if (strcmp(*current, opts->current) != 0)
            scanFinding(scan, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL, action,
                        "%s: %s %s is marked current", scan->vm, noun, actives->str);
        *current = opts->current;
    } else if (nactive > 1) {
        scanFinding(scan, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL,
                    (opts->flags & VS_LEGACY_NO_CURRENT) ? "made none current as asked" : NULL,
                    "%s: %u %ss are marked current: %s", scan->vm, nactive, noun, actives->str);
        *current = NULL;
    } else if (nactive == 0 && g_hash_table_size(scan->byname) > 0 && scan->unresolved == 0) {
        /* (With problems left, the current file may just be among them.) */
        scanFinding(scan, VS_LEGACY_PROBLEM_NO_CURRENT, NULL, NULL,
                    "%s: no %s is marked current", scan->vm, noun);
    }
    return 0;
}

static gboolean
optsHasRoot(const vsLegacyOptions *opts, const char *name)
{
    for (guint i = 0; i < opts->roots->len; i++) {
        if (strcmp(opts->roots->pdata[i], name) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Parents that are not there: findings, resolved by the user's roots or
 * ORPHANS_ROOT; the others link entry to parent entry. */
static void
scanMissingParents(vsLegacyScan *scan)
{
    for (guint i = 0; i < scan->entries->len; i++) {
        vsLegacyEntry *e = scan->entries->pdata[i];
        vsLegacyEntry *parent;
        const char *name, *action = NULL;

        if (!e->keep || !e->record->parent_name)
            continue;
        name = e->record->name;
        if ((parent = scanFindKept(scan, e->record->parent_name))) {
            g_hash_table_insert(scan->parent_of, e, parent);
            continue;
        }
        if (optsHasRoot(scan->opts, name)) {
            action = "made a root as asked";
            g_hash_table_add(scan->used_roots, (gpointer) name);
        } else if (scan->opts->flags & VS_LEGACY_ORPHANS_ROOT) {
            action = "made a root (orphans become roots, as asked)";
        }
        scanFinding(scan, VS_LEGACY_PROBLEM_MISSING_PARENT, e->rel, action,
                    "%s: %s '%s': parent '%s' does not exist", e->rel, scan->kind->noun, name,
                    e->record->parent_name);
    }
}

static gconstpointer
scanParentOf(gconstpointer entry, gpointer data)
{
    vsLegacyScan *scan = data;

    return g_hash_table_lookup(scan->parent_of, entry);
}

/* A cycle is reported once, listed from its first member met in file-name
 * order; one with a member the user made a root is resolved. */
static gboolean
scanOnCycle(const GPtrArray *path, guint start, gpointer data)
{
    vsLegacyScan *scan = data;
    g_autoptr(GString) members = g_string_new(NULL);
    g_autoptr(GString) roots = g_string_new(NULL);

    for (guint j = start; j < path->len; j++) {
        const char *m = ((vsLegacyEntry *) path->pdata[j])->record->name;

        g_string_append_printf(members, "%s'%s'", j > start ? " -> " : "", m);
        if (optsHasRoot(scan->opts, m)) {
            g_string_append_printf(roots, "%s'%s'", roots->len ? ", " : "", m);
            g_hash_table_add(scan->used_roots, (gpointer) m);
        }
    }
    if (roots->len) {
        g_string_prepend(roots, "made ");
        g_string_append(roots, " a root as asked");
    }
    scanFinding(scan, VS_LEGACY_PROBLEM_CYCLE, NULL, roots->len ? roots->str : NULL,
                "%s: parents form a cycle: %s -> '%s'", scan->vm, members->str,
                ((vsLegacyEntry *) path->pdata[start])->record->name);
    return TRUE;
}

/* Parents: missing ones, then cycles (the tree's one chain walk); the
 * user's roots must each resolve one of those (virtsnap does not reshape
 * a sound tree). */
static int
scanParents(vsLegacyScan *scan, GError **error)
{
    g_autoptr(GPtrArray) kept = g_ptr_array_new();

    scanMissingParents(scan);
    for (guint i = 0; i < scan->entries->len; i++) {
        vsLegacyEntry *e = scan->entries->pdata[i];
        if (e->keep)
            g_ptr_array_add(kept, e);
    }
    vsTreeWalkChains(kept, scanParentOf, scanOnCycle, scan);
    for (guint i = 0; i < scan->opts->roots->len; i++) {
        const char *name = scan->opts->roots->pdata[i];
        vsLegacyEntry *e = scanFindKept(scan, name);

        if (!g_hash_table_contains(scan->used_roots, name))
            return vsErr(error, VS_ERROR_INVALID,
                         e ? "cannot make '%s' a root: it is neither on a parent cycle nor "
                             "missing its parent in %s/"
                           : "cannot make '%s' a root: %s/ has no such %s",
                         name, scan->vm, scan->kind->noun);
        g_hash_table_remove(scan->parent_of, e);
    }
    return 0;
}

/* The tree of the kept records, re-rooted where the user resolved a
 * missing parent or a cycle (records are immutable: a copy is changed). */
static int
scanBuildTree(vsLegacyScan *scan, const char *current, GError **error)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
        (GDestroyNotify) vsMomentUnref);

    for (guint i = 0; i < scan->entries->len; i++) {
        vsLegacyEntry *e = scan->entries->pdata[i];
        vsLegacyEntry *parent;

        if (!e->keep)
            continue;
        parent = g_hash_table_lookup(scan->parent_of, e);
        if (!parent && e->record->parent_name) {
            vsMoment *copy = vsMomentCopy(e->record);
            vsMomentSetParentName(copy, NULL);
            g_ptr_array_add(records, copy);
        } else {
            g_ptr_array_add(records, vsMomentRef(e->record));
        }
        g_ptr_array_add(scan->converted, e->file);
    }
    return vsTreeBuild(&scan->tree, scan->kind, (vsMoment *const *) records->pdata,
                       records->len, current, error);
}

/* ------------------------------------------------------------------ */
/* The directory                                                        */

static vsLegacyScan *
scanNew(const vsMomentKind *kind, const char *vm, const vsLegacyOptions *opts,
        vsLegacyReport *report)
{
    vsLegacyScan *scan = g_new0(vsLegacyScan, 1);

    scan->kind = kind;
    scan->opts = opts;
    scan->report = report;
    scan->vm = g_strdup(vm);
    scan->entries = g_ptr_array_new_with_free_func(legacyEntryFree);
    scan->problems = g_ptr_array_new_with_free_func(g_free);
    scan->converted = g_ptr_array_new();
    scan->domains = vsMomentDomainTableNew();
    scan->byname = g_hash_table_new(g_str_hash, g_str_equal);
    scan->parent_of = g_hash_table_new(NULL, NULL);
    scan->used_roots = g_hash_table_new(g_str_hash, g_str_equal);
    return scan;
}

/* Every entry of DIR/<vm>/, sorted by file name: the same directory
 * always gives the same findings and resolutions, whatever readdir's
 * order. */
static int
scanReadEntries(vsLegacyScan *scan, int dirfd, const char *dirpath, GError **error)
{
    g_autoptr(GPtrArray) names = NULL;
    g_autofree char *vmpath = g_strdup_printf("%s/%s", dirpath, scan->vm);
    int vfd = openat(dirfd, scan->vm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (vfd < 0)
        return vsErrErrno(error, errno, "%s: cannot open legacy %s directory", vmpath,
                          scan->kind->noun);
    if (vsDirList(&names, vfd, vmpath, error) < 0) {
        close(vfd);
        return -1;
    }
    for (guint i = 0; i < names->len; i++) {
        vsLegacyEntry *e = g_new0(vsLegacyEntry, 1);

        e->file = g_strdup(names->pdata[i]);
        e->rel = g_strdup_printf("%s/%s", scan->vm, e->file);
        g_ptr_array_add(scan->entries, e);
        scanEntry(scan, vfd, e);
        if (scan->opts->progress)
            scan->opts->progress(scan->vm, i + 1, names->len, scan->opts->progress_data);
    }
    close(vfd);
    return 0;
}

int
vsLegacyScanDir(vsLegacyScan **out, const vsMomentKind *kind, int dirfd, const char *dirpath,
                const char *vm, const vsLegacyOptions *opts_in, vsLegacyReport *report,
                GError **error)
{
    g_autoptr(vsLegacyOptions) defaults = NULL;
    const vsLegacyOptions *opts = opts_in ? opts_in : (defaults = vsLegacyOptionsNew());
    g_autoptr(vsLegacyScan) scan = NULL;
    const char *current = NULL;
    struct stat st;

    *out = NULL;
    if ((opts->flags & VS_LEGACY_DUPLICATES_FIRST) && (opts->flags & VS_LEGACY_DUPLICATES_LAST))
        return vsErr(error, VS_ERROR_INVALID,
                     "keeping both the first and the last of duplicate files is contradictory");
    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return vsErrErrno(error, errno, "%s/%s: cannot stat", dirpath, vm);
    }
    if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))
        return 0;   /* a plain file named like the VM is not its directory */
    scan = scanNew(kind, vm, opts, report);
    if (S_ISLNK(st.st_mode)) {
        scanFinding(scan, VS_LEGACY_PROBLEM_COLLISION, vm, NULL,
                    "%s: is a symbolic link where VM '%s''s legacy directory would be; "
                    "virtsnap never follows links in the store (replace it with the "
                    "directory itself)", vm, vm);
    } else if (scanReadEntries(scan, dirfd, dirpath, error) < 0) {
        return -1;
    } else {
        scanDuplicates(scan);
        if (scanCurrent(scan, &current, error) < 0 || scanParents(scan, error) < 0)
            return -1;
        if (scan->unresolved == 0 && scanBuildTree(scan, current, error) < 0)
            return -1;
    }
    scan->opts = NULL;
    scan->report = NULL;
    *out = g_steal_pointer(&scan);
    return 0;
}

int
vsLegacyScanRefuse(const vsLegacyScan *scan, const char *dirpath, GError **error)
{
    g_autoptr(GString) list = g_string_new(NULL);
    guint shown = MIN(scan->problems->len, 3);

    for (guint i = 0; i < shown; i++)
        g_string_append_printf(list, "%s%s", i ? "; " : "",
                               (const char *) scan->problems->pdata[i]);
    if (scan->problems->len > shown)
        g_string_append_printf(list, "; and %u more", scan->problems->len - shown);
    return vsErr(error, VS_ERROR_CORRUPT,
                 "%s/%s/: legacy %s directory has %u unresolved problem%s (%s); "
                 "'virtsnap check %s' lists them, 'virtsnap convert %s' with a "
                 "resolution converts it",
                 dirpath, scan->vm, scan->kind->noun, scan->problems->len,
                 scan->problems->len == 1 ? "" : "s", list->str, scan->vm, scan->vm);
}

/* ------------------------------------------------------------------ */
/* What a load sees of an unconverted VM                                */

int
vsLegacyView(vsTree **out, const vsMomentKind *kind, int dirfd, const char *dirpath,
             const char *vm, gboolean write, GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autofree char *bulk = vsDirBulkName(vm);
    struct stat st;

    *out = NULL;
    /* A write would have to convert it, which hides its records from a
     * libvirt that still reads DIR/<vm>/: only an explicit convert does. */
    if (write && fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s': its %ss are in libvirt's per-file layout (%s/%s/), which "
                     "virtsnap does not change unless asked: 'virtsnap convert %s' moves them "
                     "into virtsnap's file %s/%s (libvirt 9.0 then no longer sees them; "
                     "'virtsnap export-legacy %s' writes them back)",
                     vm, kind->noun, dirpath, vm, vm, dirpath, bulk, vm);
    if (vsLegacyScanDir(&scan, kind, dirfd, dirpath, vm, NULL, NULL, error) < 0)
        return -1;
    if (!scan)
        return 0;
    if (scan->unresolved)
        return vsLegacyScanRefuse(scan, dirpath, error);
    if (vsTreeCount(scan->tree) > 0)
        *out = vsTreeCopy(scan->tree);
    return 0;
}
