/* legacy.c — libvirt's per-file layout DIR/<vm>/<snap>.xml: read it with
 * libvirt's rules while reporting everything libvirt would silently skip,
 * convert it to the bulk file, write it back as libvirt 9.0 does.
 *
 * Nothing here ever deletes user data that is not also somewhere else: a
 * converted directory is moved aside (DIR/.virtsnap/legacy/<vm>/<N>/), and
 * only the REMOVE policy unlinks files, and only files verified to be in
 * the bulk file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/legacy.h"
#include "util/atomicfile.h"
#include "format/bulkfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "snapshot/snapshot.h"

/* libvirt's temporary name for a file being rewritten (virFileRewrite). */
#define LIBVIRT_TEMP_SUFFIX ".xml.new"

/* ------------------------------------------------------------------ */
/* Options                                                              */

struct _vsLegacyOptions {
    vsLegacyLeftover policy;
    unsigned int flags;
    char *current;
    GPtrArray *roots;
    vsLegacyProgressFunc progress;
    gpointer progress_data;
};

vsLegacyOptions *
vsLegacyOptionsNew(void)
{
    vsLegacyOptions *opts = g_new0(vsLegacyOptions, 1);
    opts->policy = VS_LEGACY_LEFTOVER_MOVE;
    opts->roots = g_ptr_array_new_with_free_func(g_free);
    return opts;
}

void
vsLegacyOptionsFree(vsLegacyOptions *opts)
{
    if (!opts)
        return;
    g_free(opts->current);
    g_ptr_array_unref(opts->roots);
    g_free(opts);
}

void
vsLegacyOptionsSetLeftover(vsLegacyOptions *opts, vsLegacyLeftover policy)
{
    opts->policy = policy;
}

vsLegacyLeftover
vsLegacyOptionsGetLeftover(const vsLegacyOptions *opts)
{
    return opts ? opts->policy : VS_LEGACY_LEFTOVER_MOVE;
}

unsigned int
vsLegacyOptionsGetFlags(const vsLegacyOptions *opts)
{
    return opts ? opts->flags : 0;
}

void
vsLegacyOptionsSetFlags(vsLegacyOptions *opts, unsigned int flags)
{
    opts->flags = flags;
}

void
vsLegacyOptionsSetCurrent(vsLegacyOptions *opts, const char *name)
{
    g_free(opts->current);
    opts->current = g_strdup(name);
}

void
vsLegacyOptionsAddRoot(vsLegacyOptions *opts, const char *name)
{
    g_ptr_array_add(opts->roots, g_strdup(name));
}

void
vsLegacyOptionsSetProgress(vsLegacyOptions *opts, vsLegacyProgressFunc fn, gpointer data)
{
    opts->progress = fn;
    opts->progress_data = data;
}

/* ------------------------------------------------------------------ */
/* Reports                                                              */

typedef struct {
    vsLegacyProblem kind;
    char *vm;
    char *path;
    char *message;
    char *action;
} LegacyFinding;

struct _vsLegacyReport {
    GPtrArray *findings;
    GString *summary;
};

static void
legacyFindingFree(gpointer data)
{
    LegacyFinding *f = data;
    g_free(f->vm);
    g_free(f->path);
    g_free(f->message);
    g_free(f->action);
    g_free(f);
}

vsLegacyReport *
vsLegacyReportNew(void)
{
    vsLegacyReport *report = g_new0(vsLegacyReport, 1);
    report->findings = g_ptr_array_new_with_free_func(legacyFindingFree);
    report->summary = g_string_new(NULL);
    return report;
}

void
vsLegacyReportFree(vsLegacyReport *report)
{
    if (!report)
        return;
    g_ptr_array_unref(report->findings);
    g_string_free(report->summary, TRUE);
    g_free(report);
}

void
vsLegacyReportAdd(vsLegacyReport *report, vsLegacyProblem kind, const char *vm,
                  const char *path, const char *action, const char *fmt, ...)
{
    LegacyFinding *f;
    va_list ap;

    if (!report)
        return;
    f = g_new0(LegacyFinding, 1);
    f->kind = kind;
    f->vm = g_strdup(vm);
    f->path = g_strdup(path);
    f->action = g_strdup(action);
    va_start(ap, fmt);
    f->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(report->findings, f);
}

void
vsLegacyReportSetLastAction(vsLegacyReport *report, const char *fmt, ...)
{
    LegacyFinding *f;
    va_list ap;

    if (!report || report->findings->len == 0)
        return;
    f = g_ptr_array_index(report->findings, report->findings->len - 1);
    g_free(f->action);
    va_start(ap, fmt);
    f->action = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void
vsLegacyReportAppendSummary(vsLegacyReport *report, const char *fmt, ...)
{
    va_list ap;

    if (!report)
        return;
    va_start(ap, fmt);
    g_string_append_vprintf(report->summary, fmt, ap);
    va_end(ap);
    g_string_append_c(report->summary, '\n');
}

gboolean
vsLegacyProblemIsNote(vsLegacyProblem kind)
{
    return kind == VS_LEGACY_PROBLEM_NOT_CONVERTED ||
           kind == VS_LEGACY_PROBLEM_LEFTOVER ||
           kind == VS_LEGACY_PROBLEM_NAME_MISMATCH ||
           kind == VS_LEGACY_PROBLEM_NO_CURRENT;
}

const char *
vsLegacyProblemToString(vsLegacyProblem kind)
{
    switch (kind) {
    case VS_LEGACY_PROBLEM_NOT_CONVERTED: return "not-converted";
    case VS_LEGACY_PROBLEM_LEFTOVER: return "leftover";
    case VS_LEGACY_PROBLEM_DIVERGED: return "diverged";
    case VS_LEGACY_PROBLEM_COLLISION: return "collision";
    case VS_LEGACY_PROBLEM_SYMLINK: return "symlink";
    case VS_LEGACY_PROBLEM_UNREADABLE: return "unreadable";
    case VS_LEGACY_PROBLEM_TOO_LARGE: return "too-large";
    case VS_LEGACY_PROBLEM_UNPARSABLE: return "unparsable";
    case VS_LEGACY_PROBLEM_JUNK: return "junk";
    case VS_LEGACY_PROBLEM_STALE_TEMP: return "stale-temp";
    case VS_LEGACY_PROBLEM_DUPLICATE: return "duplicate";
    case VS_LEGACY_PROBLEM_NAME_MISMATCH: return "name-mismatch";
    case VS_LEGACY_PROBLEM_MISSING_PARENT: return "missing-parent";
    case VS_LEGACY_PROBLEM_CYCLE: return "cycle";
    case VS_LEGACY_PROBLEM_NO_CURRENT: return "no-current";
    case VS_LEGACY_PROBLEM_SEVERAL_CURRENT: return "several-current";
    case VS_LEGACY_PROBLEM_BULK_CORRUPT: return "bulk-corrupt";
    case VS_LEGACY_PROBLEM_UNSUPPORTED_NAME: return "unsupported-name";
    }
    return "unknown";
}

static const LegacyFinding *
reportGet(const vsLegacyReport *report, guint i)
{
    g_return_val_if_fail(report && i < report->findings->len, NULL);
    return g_ptr_array_index(report->findings, i);
}

guint
vsLegacyReportGetCount(const vsLegacyReport *report)
{
    return report ? report->findings->len : 0;
}

vsLegacyProblem
vsLegacyReportGetProblem(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->kind : 0;
}

gboolean
vsLegacyReportIsNote(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f && vsLegacyProblemIsNote(f->kind);
}

const char *
vsLegacyReportGetDomain(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->vm : NULL;
}

const char *
vsLegacyReportGetPath(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->path : NULL;
}

const char *
vsLegacyReportGetMessage(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->message : NULL;
}

const char *
vsLegacyReportGetAction(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->action : NULL;
}

guint
vsLegacyReportCountUnresolved(const vsLegacyReport *report)
{
    guint n = 0;

    for (guint i = 0; report && i < report->findings->len; i++) {
        const LegacyFinding *f = g_ptr_array_index(report->findings, i);
        if (!vsLegacyProblemIsNote(f->kind) && !f->action)
            n++;
    }
    return n;
}

const char *
vsLegacyReportGetSummary(const vsLegacyReport *report)
{
    return report ? report->summary->str : "";
}

/* ------------------------------------------------------------------ */
/* Small filesystem helpers                                             */

static int
syncDir(int fd, const char *path, GError **error)
{
    if (fsync(fd) < 0 && errno != EINVAL)
        return vsErrErrno(error, errno, "%s: cannot flush directory", path);
    return 0;
}

void
vsLegacyAsideClear(vsLegacyAside *aside)
{
    if (aside->containerfd >= 0)
        close(aside->containerfd);
    if (aside->fd >= 0)
        close(aside->fd);
    g_free(aside->name);
    g_free(aside->rel);
    g_free(aside->path);
    *aside = (vsLegacyAside) { .containerfd = -1, .fd = -1 };
}

int
vsLegacyAsideNew(vsLegacyAside *out, int dirfd, const char *dirpath, const char *vm,
                 gboolean create, GError **error)
{
    g_autofree char *container = g_strdup_printf(VS_LEGACY_ASIDE_DIR "/%s", vm);
    g_autoptr(GPtrArray) names = NULL;
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    guint64 next = 1;

    *out = aside;
    /* Opened a component at a time: a link at .virtsnap, .virtsnap/legacy or
     * .virtsnap/legacy/<vm> is refused, never followed. */
    if (vsAtomicDirOpen(&aside.containerfd, dirfd, dirpath, container, TRUE, error) < 0)
        return -1;
    if (vsDirList(&names, aside.containerfd, container, error) < 0) {
        vsLegacyAsideClear(&aside);
        return -1;
    }
    for (guint i = 0; i < names->len; i++) {
        guint64 n;
        if (g_ascii_string_to_unsigned(names->pdata[i], 10, 1, G_MAXUINT32, &n, NULL) &&
            n >= next)
            next = n + 1;
    }
    aside.name = g_strdup_printf("%" G_GUINT64_FORMAT, next);
    aside.rel = g_strdup_printf("%s/%s", container, aside.name);
    aside.path = g_strdup_printf("%s/%s", dirpath, aside.rel);
    if (create &&
        vsAtomicDirOpen(&aside.fd, aside.containerfd, aside.path, aside.name, TRUE, error) < 0) {
        vsLegacyAsideClear(&aside);
        return -1;
    }
    *out = aside;
    return 0;
}

int
vsLegacyAsideMoveDir(int dirfd, const char *dirpath, const char *vm, vsLegacyAside *aside,
                     GError **error)
{
    g_autofree char *vmpath = NULL;

    if (vsLegacyAsideNew(aside, dirfd, dirpath, vm, FALSE, error) < 0)
        return -1;
    vmpath = g_strdup_printf("%s/%s", dirpath, vm);
    return vsAtomicMove(dirfd, vm, aside->containerfd, aside->name, RENAME_NOREPLACE,
                        vmpath, aside->path, error);
}

/* ------------------------------------------------------------------ */
/* Reading a directory                                                  */

typedef struct {
    char *file;
    char *rel;          /* "<vm>/<file>", for findings */
    vsSnapshot *snap;   /* the parsed record, NULL when not loadable */
    gboolean active;
    gboolean keep;      /* goes into the tree */
} LegacyEntry;

struct _vsLegacyScan {
    char *vm;
    GPtrArray *entries;     /* LegacyEntry, sorted by file name */
    guint unresolved;
    GPtrArray *problems;    /* messages of unresolved problems, in order */
    GPtrArray *converted;   /* borrowed file names of kept entries */
    GHashTable *domains;    /* distinct <domain>s, shared between records */
    vsTree *tree;
};

static void
legacyEntryFree(gpointer data)
{
    LegacyEntry *e = data;
    g_free(e->file);
    g_free(e->rel);
    if (e->snap)
        vsSnapshotUnref(e->snap);
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

guint
vsLegacyScanCountEntries(const vsLegacyScan *scan)
{
    return scan->entries->len;
}

const GPtrArray *
vsLegacyScanGetConverted(const vsLegacyScan *scan)
{
    return scan->converted;
}

/* Records a finding; a problem without @action counts as unresolved. */
static void G_GNUC_PRINTF(6, 7)
scanFinding(vsLegacyScan *scan, vsLegacyReport *report, vsLegacyProblem kind,
            const char *path, const char *action, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vsLegacyReportAdd(report, kind, scan->vm, path, action, "%s", msg);
    if (!vsLegacyProblemIsNote(kind) && !action) {
        scan->unresolved++;
        g_ptr_array_add(scan->problems, g_steal_pointer(&msg));
    }
}

static const char *
dropAction(const vsLegacyOptions *opts)
{
    return (opts->flags & VS_LEGACY_DROP_BAD_FILES)
           ? "left out of the conversion (the file itself is kept)" : NULL;
}

/* Reads one directory entry: a loadable snapshot or a finding. */
static void
scanEntry(vsLegacyScan *scan, vsLegacyReport *report, int vfd, LegacyEntry *e,
          const vsLegacyOptions *opts)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *buf = NULL;
    gsize len = 0;
    struct stat st;
    int fd;

    if (fstatat(vfd, e->file, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(opts),
                    "%s: cannot stat: %s", e->rel, g_strerror(errno));
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_SYMLINK, e->rel, dropAction(opts),
                    "%s: is a symbolic link (virtsnap never follows links; libvirt would)",
                    e->rel);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(opts),
                    "%s: is a directory, not a snapshot file", e->rel);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(opts),
                    "%s: is not a regular file", e->rel);
        return;
    }
    if (g_str_has_suffix(e->file, LIBVIRT_TEMP_SUFFIX)) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_STALE_TEMP, e->rel, dropAction(opts),
                    "%s: stale temporary file of an unfinished libvirt write", e->rel);
        return;
    }
    if (vsAtomicFileIsTemp(e->file)) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_STALE_TEMP, e->rel, dropAction(opts),
                    "%s: stale temporary file of an unfinished virtsnap write", e->rel);
        return;
    }
    if (st.st_size > VS_LEGACY_FILE_MAX) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_TOO_LARGE, e->rel, dropAction(opts),
                    "%s: %lld bytes, over libvirt's 1 MiB limit for a snapshot file",
                    e->rel, (long long) st.st_size);
        return;
    }

    /* O_NONBLOCK: the entry may have become a FIFO since the stat. */
    fd = openat(vfd, e->file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int errsv = fd < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        scanFinding(scan, report, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(opts),
                    "%s: cannot open: %s", e->rel,
                    errsv ? g_strerror(errsv) : "not a regular file");
        return;
    }
    if (vsFileReadAll(&buf, &len, fd, VS_LEGACY_FILE_MAX, e->rel, &err) < 0) {
        close(fd);
        if (g_error_matches(err, VS_ERROR, VS_ERROR_TOO_LARGE))
            scanFinding(scan, report, VS_LEGACY_PROBLEM_TOO_LARGE, e->rel, dropAction(opts),
                        "%s: over libvirt's 1 MiB limit for a snapshot file (it grew while "
                        "read)", e->rel);
        else
            scanFinding(scan, report, VS_LEGACY_PROBLEM_UNREADABLE, e->rel, dropAction(opts),
                        "%s", err->message);
        return;
    }
    close(fd);

    /* libvirt's load flags: REDEFINE | INTERNAL, so <active> is required. */
    if (vsLegacyFileParse(&e->snap, &vsSnapshotKind, buf, len, &e->active, &err) < 0) {
        g_clear_pointer(&e->snap, vsSnapshotUnref);
        if (g_str_has_suffix(e->file, ".xml"))
            scanFinding(scan, report, VS_LEGACY_PROBLEM_UNPARSABLE, e->rel, dropAction(opts),
                        "%s: not a valid snapshot file: %s", e->rel, err->message);
        else
            scanFinding(scan, report, VS_LEGACY_PROBLEM_JUNK, e->rel, dropAction(opts),
                        "%s: not a snapshot file: %s", e->rel, err->message);
        return;
    }
    /* A VM's snapshots mostly embed the same <domain>: keep one copy. */
    if (vsMomentGetDomain(e->snap)) {
        vsXmlSubtree *known = g_hash_table_lookup(scan->domains, vsMomentGetDomain(e->snap));
        if (known)
            vsMomentSetDomain(e->snap, known);
        else
            g_hash_table_add(scan->domains, vsXmlSubtreeRef(vsMomentGetDomain(e->snap)));
    }
    e->keep = TRUE;
}

static LegacyEntry *
scanFindKept(GHashTable *byname, const char *name)
{
    return name ? g_hash_table_lookup(byname, name) : NULL;
}

/* Which file of a duplicate group is kept; the others are left out. */
static void
scanDuplicates(vsLegacyScan *scan, vsLegacyReport *report, const vsLegacyOptions *opts,
               GHashTable *byname)
{
    g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    gboolean first = (opts->flags & VS_LEGACY_DUPLICATES_FIRST) != 0;
    gboolean last = (opts->flags & VS_LEGACY_DUPLICATES_LAST) != 0;

    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        const char *name;
        GPtrArray *group;

        if (!e->keep)
            continue;
        name = vsSnapshotGetName(e->snap);
        if (!(group = g_hash_table_lookup(groups, name))) {
            group = g_ptr_array_new();
            g_hash_table_insert(groups, (gpointer) name, group);
            g_ptr_array_add(order, (gpointer) name);
        }
        g_ptr_array_add(group, e);
    }

    for (guint i = 0; i < order->len; i++) {
        GPtrArray *group = g_hash_table_lookup(groups, order->pdata[i]);
        g_autoptr(GString) files = g_string_new(NULL);
        g_autofree char *action = NULL;
        LegacyEntry *winner;

        if (group->len == 1) {
            g_hash_table_insert(byname, order->pdata[i], group->pdata[0]);
            continue;
        }
        for (guint j = 0; j < group->len; j++)
            g_string_append_printf(files, "%s%s", j ? ", " : "",
                                   ((LegacyEntry *) group->pdata[j])->file);
        if (first == last) {
            scanFinding(scan, report, VS_LEGACY_PROBLEM_DUPLICATE, NULL, NULL,
                        "%s: snapshot '%s' is defined by %u files: %s",
                        scan->vm, (const char *) order->pdata[i], group->len, files->str);
            for (guint j = 0; j < group->len; j++)
                ((LegacyEntry *) group->pdata[j])->keep = FALSE;
            continue;
        }
        /* Entries are sorted by file name, so the group is too. */
        winner = group->pdata[first ? 0 : group->len - 1];
        for (guint j = 0; j < group->len; j++) {
            LegacyEntry *e = group->pdata[j];
            if (e != winner)
                e->keep = FALSE;
        }
        action = g_strdup_printf("kept %s (%s file name); the other files are left "
                                 "out of the conversion but kept",
                                 winner->file, first ? "first" : "last");
        scanFinding(scan, report, VS_LEGACY_PROBLEM_DUPLICATE, NULL, action,
                    "%s: snapshot '%s' is defined by %u files: %s",
                    scan->vm, (const char *) order->pdata[i], group->len, files->str);
        g_hash_table_insert(byname, order->pdata[i], winner);
    }
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

/* A parent-chain walk over the kept records: cycles are reported once
 * each, listed from the first member met in file-name order.  A cycle with
 * a member the user made a root is resolved (@used collects those). */
static void
scanCycles(vsLegacyScan *scan, vsLegacyReport *report, const vsLegacyOptions *opts,
           GHashTable *byname, GHashTable *parent_of, GHashTable *used)
{
    g_autoptr(GHashTable) state = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) path = g_ptr_array_new();
    enum { ON_PATH = 1, DONE = 2 };

    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        const char *walk;

        if (!e->keep)
            continue;
        g_ptr_array_set_size(path, 0);
        walk = vsSnapshotGetName(e->snap);
        while (walk && scanFindKept(byname, walk)) {
            guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(state, walk));

            if (seen == DONE)
                break;
            if (seen == ON_PATH) {
                g_autoptr(GString) members = g_string_new(NULL);
                g_autoptr(GString) roots = g_string_new(NULL);
                guint start = 0;

                while (strcmp(path->pdata[start], walk) != 0)
                    start++;
                for (guint j = start; j < path->len; j++) {
                    const char *m = path->pdata[j];
                    g_string_append_printf(members, "%s'%s'", j > start ? " -> " : "", m);
                    if (optsHasRoot(opts, m)) {
                        g_string_append_printf(roots, "%s'%s'", roots->len ? ", " : "", m);
                        g_hash_table_add(used, (gpointer) m);
                    }
                }
                if (roots->len) {
                    g_string_prepend(roots, "made ");
                    g_string_append(roots, " a root as asked");
                }
                scanFinding(scan, report, VS_LEGACY_PROBLEM_CYCLE, NULL,
                            roots->len ? roots->str : NULL,
                            "%s: parents form a cycle: %s -> '%s'",
                            scan->vm, members->str, walk);
                break;
            }
            g_hash_table_insert(state, (gpointer) walk, GUINT_TO_POINTER(ON_PATH));
            g_ptr_array_add(path, (gpointer) walk);
            walk = g_hash_table_lookup(parent_of, walk);
        }
        for (guint j = 0; j < path->len; j++)
            g_hash_table_insert(state, path->pdata[j], GUINT_TO_POINTER(DONE));
    }
}

static int
scanBuildTree(vsLegacyScan *scan, const char *current, GHashTable *parent_of,
              GError **error)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);

    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        const char *name;
        g_autoptr(vsSnapshot) snap = NULL;

        if (!e->keep)
            continue;
        name = vsSnapshotGetName(e->snap);
        if (g_strcmp0(g_hash_table_lookup(parent_of, name), vsSnapshotGetParentName(e->snap))) {
            /* Re-rooted: records in a tree are immutable, so change a copy. */
            snap = vsMomentCopy(e->snap);
            vsMomentSetParentName(snap, NULL);
        } else {
            snap = vsSnapshotRef(e->snap);
        }
        if (vsTreeAddUnlinked(tree, snap, error) < 0)
            return -1;
        g_ptr_array_add(scan->converted, e->file);
    }
    if (vsTreeLinkAll(tree, error) < 0 ||
        vsTreeSetCurrent(tree, current, error) < 0)
        return -1;
    scan->tree = g_steal_pointer(&tree);
    return 0;
}

static void
scanNoteSymlinkDir(vsLegacyScan *scan, vsLegacyReport *report, const char *dirpath)
{
    scanFinding(scan, report, VS_LEGACY_PROBLEM_COLLISION, scan->vm, NULL,
                "%s: is a symbolic link where VM '%s''s legacy directory would be; "
                "virtsnap never follows links in the store (replace it with the "
                "directory itself)", scan->vm, scan->vm);
}

int
vsLegacyScanDir(vsLegacyScan **out, int dirfd, const char *dirpath, const char *vm,
                const vsLegacyOptions *opts_in, vsLegacyReport *report, GError **error)
{
    g_autoptr(vsLegacyOptions) defaults = NULL;
    const vsLegacyOptions *opts = opts_in;
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GHashTable) byname = NULL;
    g_autoptr(GHashTable) parent_of = NULL;
    g_autoptr(GHashTable) used = NULL;
    g_autofree char *vmpath = g_strdup_printf("%s/%s", dirpath, vm);
    g_autoptr(GString) actives = g_string_new(NULL);
    const char *current = NULL;
    guint nactive = 0;
    struct stat st;
    int vfd;

    *out = NULL;
    if (!opts)
        opts = defaults = vsLegacyOptionsNew();
    if ((opts->flags & VS_LEGACY_DUPLICATES_FIRST) && (opts->flags & VS_LEGACY_DUPLICATES_LAST))
        return vsErr(error, VS_ERROR_INVALID,
                     "keeping both the first and the last of duplicate files is contradictory");

    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return vsErrErrno(error, errno, "%s: cannot stat", vmpath);
    }
    scan = g_new0(vsLegacyScan, 1);
    scan->vm = g_strdup(vm);
    scan->entries = g_ptr_array_new_with_free_func(legacyEntryFree);
    scan->problems = g_ptr_array_new_with_free_func(g_free);
    scan->converted = g_ptr_array_new();
    scan->domains = g_hash_table_new_full((GHashFunc) vsXmlSubtreeHash,
                                          (GEqualFunc) vsXmlSubtreeEqual,
                                          (GDestroyNotify) vsXmlSubtreeUnref, NULL);
    if (S_ISLNK(st.st_mode)) {
        scanNoteSymlinkDir(scan, report, dirpath);
        *out = g_steal_pointer(&scan);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;   /* a plain file named like the VM is not its directory */

    vfd = openat(dirfd, vm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (vfd < 0)
        return vsErrErrno(error, errno, "%s: cannot open legacy snapshot directory", vmpath);
    if (vsDirList(&names, vfd, vmpath, error) < 0) {
        close(vfd);
        return -1;
    }
    /* Sorted by file name: the same directory always gives the same
     * findings and the same resolutions, whatever readdir's order. */
    for (guint i = 0; i < names->len; i++) {
        LegacyEntry *e = g_new0(LegacyEntry, 1);

        e->file = g_strdup(names->pdata[i]);
        e->rel = g_strdup_printf("%s/%s", vm, e->file);
        g_ptr_array_add(scan->entries, e);
        scanEntry(scan, report, vfd, e, opts);
        if (opts->progress)
            opts->progress(vm, i + 1, names->len, opts->progress_data);
    }
    close(vfd);

    byname = g_hash_table_new(g_str_hash, g_str_equal);
    scanDuplicates(scan, report, opts, byname);

    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        const char *name;
        g_autofree char *expect = NULL;

        if (!e->keep)
            continue;
        name = vsSnapshotGetName(e->snap);
        expect = vsLegacyFileName(name);
        if (strcmp(expect, e->file) != 0)
            scanFinding(scan, report, VS_LEGACY_PROBLEM_NAME_MISMATCH, e->rel, NULL,
                        "%s: holds snapshot '%s' (libvirt names that file %s; it "
                        "loads it anyway)", e->rel, name, expect);
        if (e->active) {
            g_string_append_printf(actives, "%s'%s' (%s)", nactive ? ", " : "", name, e->file);
            nactive++;
            current = name;
        }
    }

    /* Current: the files' word unless the user decided. */
    if (opts->current) {
        g_autofree char *action = NULL;

        if (!scanFindKept(byname, opts->current))
            return vsErr(error, VS_ERROR_INVALID,
                         "cannot make '%s' current: %s/ has no such snapshot",
                         opts->current, vm);
        action = g_strdup_printf("made '%s' current as asked", opts->current);
        if (nactive > 1)
            scanFinding(scan, report, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL, action,
                        "%s: %u snapshots are marked current: %s", vm, nactive,
                        actives->str);
        else if (nactive == 0)
            scanFinding(scan, report, VS_LEGACY_PROBLEM_NO_CURRENT, NULL, action,
                        "%s: no snapshot is marked current", vm);
        else if (strcmp(current, opts->current) != 0)
            scanFinding(scan, report, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL, action,
                        "%s: snapshot %s is marked current", vm, actives->str);
        current = opts->current;
    } else if (nactive > 1) {
        scanFinding(scan, report, VS_LEGACY_PROBLEM_SEVERAL_CURRENT, NULL,
                    (opts->flags & VS_LEGACY_NO_CURRENT) ? "made none current as asked" : NULL,
                    "%s: %u snapshots are marked current: %s", vm, nactive, actives->str);
        current = NULL;
    } else if (nactive == 0 && g_hash_table_size(byname) > 0 && scan->unresolved == 0) {
        /* (With problems left, the current file may just be among them.) */
        scanFinding(scan, report, VS_LEGACY_PROBLEM_NO_CURRENT, NULL, NULL,
                    "%s: no snapshot is marked current", vm);
    }

    /* Parents: missing ones, then cycles; the user's roots must each
     * resolve one of those (virtsnap does not reshape a sound tree). */
    parent_of = g_hash_table_new(g_str_hash, g_str_equal);
    used = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        const char *name, *parent;
        const char *action = NULL;

        if (!e->keep)
            continue;
        name = vsSnapshotGetName(e->snap);
        parent = vsSnapshotGetParentName(e->snap);
        if (!parent)
            continue;
        if (scanFindKept(byname, parent)) {
            g_hash_table_insert(parent_of, (gpointer) name, (gpointer) parent);
            continue;
        }
        if (optsHasRoot(opts, name)) {
            action = "made a root as asked";
            g_hash_table_add(used, (gpointer) name);
        } else if (opts->flags & VS_LEGACY_ORPHANS_ROOT) {
            action = "made a root (orphans become roots, as asked)";
        }
        scanFinding(scan, report, VS_LEGACY_PROBLEM_MISSING_PARENT, e->rel, action,
                    "%s: snapshot '%s': parent '%s' does not exist", e->rel, name, parent);
    }
    scanCycles(scan, report, opts, byname, parent_of, used);
    for (guint i = 0; i < opts->roots->len; i++) {
        const char *name = opts->roots->pdata[i];
        if (!g_hash_table_contains(used, name))
            return vsErr(error, VS_ERROR_INVALID,
                         scanFindKept(byname, name)
                         ? "cannot make '%s' a root: it is neither on a parent cycle nor "
                           "missing its parent in %s/"
                         : "cannot make '%s' a root: %s/ has no such snapshot",
                         name, vm);
        g_hash_table_remove(parent_of, name);
    }

    if (scan->unresolved == 0 && scanBuildTree(scan, current, parent_of, error) < 0)
        return -1;
    *out = g_steal_pointer(&scan);
    return 0;
}

int
vsLegacyScanRefuse(const vsLegacyScan *scan, const char *dirpath, const char *vm,
                   GError **error)
{
    g_autoptr(GString) list = g_string_new(NULL);
    guint shown = MIN(scan->problems->len, 3);

    for (guint i = 0; i < shown; i++)
        g_string_append_printf(list, "%s%s", i ? "; " : "",
                               (const char *) scan->problems->pdata[i]);
    if (scan->problems->len > shown)
        g_string_append_printf(list, "; and %u more", scan->problems->len - shown);
    return vsErr(error, VS_ERROR_CORRUPT,
                 "%s/%s/: legacy snapshot directory has %u unresolved problem%s (%s); "
                 "'virtsnap check %s' lists them, 'virtsnap convert %s' with a "
                 "resolution converts it",
                 dirpath, vm, scan->problems->len, scan->problems->len == 1 ? "" : "s",
                 list->str, vm, vm);
}

/* ------------------------------------------------------------------ */
/* Converting                                                           */

gboolean
vsLegacyTreesEqual(const vsTree *a, const vsTree *b)
{
    g_autofree char *uuid_a = vsTreeFindUUID(a);
    g_autofree char *uuid_b = vsTreeFindUUID(b);
    g_autoptr(GPtrArray) la = NULL;
    g_autoptr(GPtrArray) lb = NULL;
    g_autoptr(GString) fa = g_string_new(NULL);
    g_autoptr(GString) fb = g_string_new(NULL);
    const vsSnapshot *ca = vsTreeGetCurrent(a), *cb = vsTreeGetCurrent(b);

    /* The bulk documents of both, a record at a time: the same verdict as
     * comparing the whole formatted files, in the memory of one record. */
    if ((ca == NULL) != (cb == NULL) ||
        (ca && strcmp(vsSnapshotGetName(ca), vsSnapshotGetName(cb)) != 0) ||
        vsTreeCount(a) != vsTreeCount(b) ||
        vsTreeList(&la, a, NULL, 0, NULL) < 0 || vsTreeList(&lb, b, NULL, 0, NULL) < 0)
        return FALSE;
    for (guint i = 0; i < la->len; i++) {
        g_string_truncate(fa, 0);
        g_string_truncate(fb, 0);
        vsMomentFormatStored(fa, la->pdata[i], uuid_a, 1);
        vsMomentFormatStored(fb, lb->pdata[i], uuid_b, 1);
        if (!g_string_equal(fa, fb))
            return FALSE;
    }
    return TRUE;
}

int
vsLegacyApplyPolicy(int dirfd, const char *dirpath, const char *vm, vsLegacyLeftover policy,
                    const GPtrArray *converted, vsLegacyReport *report, GError **error)
{
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    g_autoptr(GPtrArray) rest = NULL;
    guint removed = 0;
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
        goto cleanup;
    }

    if (vsAtomicDirOpen(&aside.fd, aside.containerfd, aside.path, aside.name, FALSE,
                        error) < 0)
        goto cleanup;
    for (guint i = 0; i < converted->len; i++) {
        if (unlinkat(aside.fd, converted->pdata[i], 0) < 0 && errno != ENOENT) {
            vsErrErrno(error, errno, "%s/%s: cannot remove", aside.path,
                       (const char *) converted->pdata[i]);
            goto cleanup;
        }
        removed++;
    }
    if (syncDir(aside.fd, aside.path, error) < 0 ||
        vsDirList(&rest, aside.fd, aside.path, error) < 0)
        goto cleanup;
    if (rest->len > 0) {
        vsLegacyReportAppendSummary(report, "removed %u converted file%s of %s/; its %u other "
                                    "entr%s kept in %s/", removed, removed == 1 ? "" : "s",
                                    vm, rest->len, rest->len == 1 ? "y is" : "ies are",
                                    aside.rel);
        ret = 0;
        goto cleanup;
    }
    if (unlinkat(aside.containerfd, aside.name, AT_REMOVEDIR) < 0) {
        vsErrErrno(error, errno, "%s: cannot remove", aside.path);
        goto cleanup;
    }
    /* The container too, when this was its only entry (fine if not). */
    {
        g_autofree char *container = g_strdup_printf(VS_LEGACY_ASIDE_DIR "/%s", vm);
        int lfd;
        if (vsAtomicDirOpen(&lfd, dirfd, dirpath, VS_LEGACY_ASIDE_DIR, FALSE, NULL) == 0) {
            unlinkat(lfd, vm, AT_REMOVEDIR);
            close(lfd);
        }
    }
    vsLegacyReportAppendSummary(report, "removed %s/ (%u file%s)", vm, removed,
                                removed == 1 ? "" : "s");
    ret = 0;

 cleanup:
    vsLegacyAsideClear(&aside);
    return ret;
}

int
vsLegacyConvert(int dirfd, const char *dirpath, const char *vm, const vsLegacyScan *scan,
                const vsLegacyOptions *opts, gboolean compress, vsLegacyReport *report,
                GError **error)
{
    const vsTree *tree = scan->tree;
    g_autofree char *bulk = g_strdup_printf("%s.xml", vm);
    vsLegacyLeftover policy = opts ? opts->policy : VS_LEGACY_LEFTOVER_MOVE;

    g_assert(tree);
    if (vsTreeCount(tree) > 0) {
        g_autoptr(vsAtomicFile) af = NULL;
        g_autoptr(vsTree) back = NULL;
        g_autoptr(GError) rerr = NULL;
        g_autofree char *uuid = vsTreeFindUUID(tree);
        const vsSnapshot *cur = vsTreeGetCurrent(tree);

        if (vsAtomicFileOpen(&af, dirfd, dirpath, bulk, error) < 0 ||
            vsBulkFileWrite(af, tree, uuid, compress, NULL, NULL, error) < 0 ||
            vsAtomicFileCommit(af, error) < 0)
            return -1;

        /* The directory is touched only once the file reads back equal. */
        if (vsBulkFileRead(&back, NULL, &vsSnapshotKind, dirfd, dirpath, bulk, NULL, &rerr) < 0 ||
            !vsLegacyTreesEqual(tree, back)) {
            vsAtomicFileRemove(dirfd, dirpath, bulk, NULL);
            return vsErr(error, VS_ERROR_CORRUPT,
                         "%s/%s: the converted file does not read back as written (%s); "
                         "it was removed and %s/ is untouched",
                         dirpath, bulk, rerr ? rerr->message : "contents differ", vm);
        }
        if (cur)
            vsLegacyReportAppendSummary(report, "converted %u snapshot%s of %s/ into %s "
                                        "(current '%s')", vsTreeCount(tree),
                                        vsTreeCount(tree) == 1 ? "" : "s", vm, bulk,
                                        vsSnapshotGetName(cur));
        else
            vsLegacyReportAppendSummary(report, "converted %u snapshot%s of %s/ into %s "
                                        "(no current snapshot)", vsTreeCount(tree),
                                        vsTreeCount(tree) == 1 ? "" : "s", vm, bulk);
    } else {
        vsLegacyReportAppendSummary(report, "%s/ holds no snapshot: no bulk file written", vm);
    }
    return vsLegacyApplyPolicy(dirfd, dirpath, vm, policy, scan->converted, report, error);
}

/* ------------------------------------------------------------------ */
/* The store's hook                                                     */

/* A write to a VM that only libvirt's layout holds would have to convert
 * it, which hides its snapshots from a libvirt that still reads DIR/<vm>/:
 * only an explicit convert does that. */
static int
legacyRefuseImplicit(const char *dirpath, const char *vm, GError **error)
{
    return vsErr(error, VS_ERROR_INVALID,
                 "VM '%s': its snapshots are in libvirt's per-file layout (%s/%s/), which "
                 "virtsnap does not change unless asked: 'virtsnap convert %s' moves them "
                 "into virtsnap's file %s/%s.xml (libvirt 9.0 then no longer sees them; "
                 "'virtsnap export-legacy %s' writes them back)",
                 vm, dirpath, vm, vm, dirpath, vm, vm);
}

int
vsLegacyLoadForStore(vsTree **out, int dirfd, const char *dirpath, const char *vm,
                     gboolean write, gboolean compress, vsLegacyHookCtx *ctx,
                     GError **error)
{
    g_autoptr(vsLegacyReport) own = NULL;
    vsLegacyHookMode mode = ctx ? ctx->mode : VS_LEGACY_HOOK_DEFAULT;
    vsLegacyReport *report;
    g_autoptr(vsLegacyScan) scan = NULL;
    struct stat st;
    gboolean is_dir;

    *out = NULL;
    g_assert(mode != VS_LEGACY_HOOK_CONVERT || write);
    is_dir = fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (ctx) {
        ctx->ran = TRUE;
        ctx->found_dir = is_dir;
    }
    if (mode == VS_LEGACY_HOOK_SKIP)
        return 0;
    if (mode == VS_LEGACY_HOOK_DEFAULT && write && is_dir)
        return legacyRefuseImplicit(dirpath, vm, error);
    report = ctx && ctx->report ? ctx->report : (own = vsLegacyReportNew());
    if (vsLegacyScanDir(&scan, dirfd, dirpath, vm, ctx ? ctx->opts : NULL, report, error) < 0)
        return -1;
    if (!scan)
        return 0;
    if (ctx)
        ctx->found_dir = TRUE;
    if (scan->unresolved)
        return vsLegacyScanRefuse(scan, dirpath, vm, error);
    if (mode == VS_LEGACY_HOOK_CONVERT &&
        vsLegacyConvert(dirfd, dirpath, vm, scan, ctx->opts, compress, report, error) < 0)
        return -1;
    if (vsTreeCount(scan->tree) > 0)
        *out = vsTreeCopy(scan->tree);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Repairs that need no guess                                           */

typedef struct {
    int dirfd;
    const char *dirpath;
    const char *vm;
    int vfd;
    vsLegacyAside aside;    /* created on first use */
} RepairCtx;

static int
repairMoveAside(RepairCtx *rc, const char *file, GError **error)
{
    g_autofree char *from = NULL, *to = NULL;

    if (rc->aside.fd < 0 &&
        vsLegacyAsideNew(&rc->aside, rc->dirfd, rc->dirpath, rc->vm, TRUE, error) < 0)
        return -1;
    from = g_strdup_printf("%s/%s/%s", rc->dirpath, rc->vm, file);
    to = g_strdup_printf("%s/%s", rc->aside.rel, file);
    return vsAtomicMove(rc->vfd, file, rc->aside.fd, file, RENAME_NOREPLACE, from, to, error);
}

static char *
repairFormat(const LegacyEntry *e)
{
    GString *out = g_string_new(NULL);

    vsLegacyFileFormat(out, e->snap, NULL, e->active);
    return g_string_free(out, FALSE);
}

int
vsLegacyRepairDir(int dirfd, const char *dirpath, const char *vm, vsLegacyReport *report,
                  GError **error)
{
    g_autoptr(vsLegacyScan) scan = NULL;
    g_autoptr(GHashTable) present = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    g_autofree char *vmpath = g_strdup_printf("%s/%s", dirpath, vm);
    RepairCtx rc = { dirfd, dirpath, vm, -1, { .containerfd = -1, .fd = -1 } };
    int ret = -1;

    if (vsLegacyScanDir(&scan, dirfd, dirpath, vm, NULL, NULL, error) < 0)
        return -1;
    if (!scan || scan->entries->len == 0)
        return 0;
    rc.vfd = openat(dirfd, vm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rc.vfd < 0)
        return vsErrErrno(error, errno, "%s: cannot open", vmpath);

    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        g_hash_table_insert(present, e->file, e);
    }

    /* Unfinished writes: libvirt's (when the committed file loads) and ours. */
    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];

        if (g_str_has_suffix(e->file, LIBVIRT_TEMP_SUFFIX)) {
            g_autofree char *base = g_strndup(e->file, strlen(e->file) - strlen(".new"));
            LegacyEntry *committed = g_hash_table_lookup(present, base);

            if (!committed || !committed->snap)
                continue;
            if (repairMoveAside(&rc, e->file, error) < 0)
                goto cleanup;
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_STALE_TEMP, vm, e->rel, NULL,
                              "%s: stale temporary file of an unfinished libvirt write",
                              e->rel);
            vsLegacyReportSetLastAction(report, "moved to %s/ (%s is the committed file)",
                                        rc.aside.rel, base);
            g_hash_table_remove(present, e->file);
        } else if (vsAtomicFileIsTemp(e->file)) {
            if (repairMoveAside(&rc, e->file, error) < 0)
                goto cleanup;
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_STALE_TEMP, vm, e->rel, NULL,
                              "%s: stale temporary file of an unfinished virtsnap write",
                              e->rel);
            vsLegacyReportSetLastAction(report, "moved to %s/", rc.aside.rel);
            g_hash_table_remove(present, e->file);
        }
    }

    /* Duplicates identical to the file libvirt itself would have written. */
    for (guint i = 0; i < scan->entries->len; i++) {
        LegacyEntry *e = scan->entries->pdata[i];
        GPtrArray *group;

        if (!e->snap || !g_hash_table_contains(present, e->file))
            continue;
        if (!(group = g_hash_table_lookup(groups, vsSnapshotGetName(e->snap)))) {
            group = g_ptr_array_new();
            g_hash_table_insert(groups, (gpointer) vsSnapshotGetName(e->snap), group);
            g_ptr_array_add(order, (gpointer) vsSnapshotGetName(e->snap));
        }
        g_ptr_array_add(group, e);
    }
    for (guint i = 0; i < order->len; i++) {
        const char *name = order->pdata[i];
        GPtrArray *group = g_hash_table_lookup(groups, name);
        g_autofree char *canon_file = vsLegacyFileName(name);
        LegacyEntry *canon = g_hash_table_lookup(present, canon_file);
        g_autofree char *canon_xml = NULL;
        g_autoptr(GString) files = g_string_new(NULL);

        if (group->len < 2 || !canon || !canon->snap ||
            strcmp(vsSnapshotGetName(canon->snap), name) != 0)
            continue;
        canon_xml = repairFormat(canon);
        for (guint j = 0; j < group->len; j++)
            g_string_append_printf(files, "%s%s", j ? ", " : "",
                                   ((LegacyEntry *) group->pdata[j])->file);
        for (guint j = 0; j < group->len; j++) {
            LegacyEntry *e = group->pdata[j];
            g_autofree char *xml = NULL;

            if (e == canon)
                continue;
            xml = repairFormat(e);
            if (!xml || !canon_xml || strcmp(xml, canon_xml) != 0)
                continue;
            if (repairMoveAside(&rc, e->file, error) < 0)
                goto cleanup;
            vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_DUPLICATE, vm, e->rel, NULL,
                              "%s: snapshot '%s' is defined by %u files: %s",
                              vm, name, group->len, files->str);
            vsLegacyReportSetLastAction(report, "moved %s to %s/ (identical to %s)",
                                        e->file, rc.aside.rel, canon_file);
            g_hash_table_remove(present, e->file);
            g_ptr_array_remove_index(group, j--);
        }
    }

    /* A lone record in a file not named after it: give it its name. */
    for (guint i = 0; i < order->len; i++) {
        const char *name = order->pdata[i];
        GPtrArray *group = g_hash_table_lookup(groups, name);
        LegacyEntry *e = group->pdata[0];
        g_autofree char *want = vsLegacyFileName(name);

        if (group->len != 1 || strcmp(e->file, want) == 0 ||
            g_hash_table_contains(present, want))
            continue;
        if (renameat2(rc.vfd, e->file, rc.vfd, want, RENAME_NOREPLACE) < 0) {
            vsErrErrno(error, errno, "%s/%s: cannot rename to %s", vmpath, e->file, want);
            goto cleanup;
        }
        vsLegacyReportAdd(report, VS_LEGACY_PROBLEM_NAME_MISMATCH, vm, e->rel, NULL,
                          "%s: holds snapshot '%s' (libvirt names that file %s; it "
                          "loads it anyway)", e->rel, name, want);
        vsLegacyReportSetLastAction(report, "renamed to %s", want);
    }
    if (syncDir(rc.vfd, vmpath, error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    close(rc.vfd);
    vsLegacyAsideClear(&rc.aside);
    return ret;
}
