/* legacy.h — libvirt's per-file snapshot directory DIR/<vm>/ (internal).
 *
 * libvirt ≤ 9.x keeps one "<snap>.xml" per snapshot in DIR/<vm>/, in the
 * INTERNAL format (<active>1</active> marks the current one).  This module
 * reads such a directory with libvirt's rules but records, as findings in a
 * vsLegacyReport, everything libvirt would silently skip; it builds a tree
 * only once every problem is resolved by an explicit choice.  It also writes
 * a tree back in that layout, byte for byte as libvirt 9.0 does.
 *
 * convert.c holds the public store-level functions (convert, export-legacy,
 * check); legacy.c the directory reader, converter and the report objects;
 * export.c the writer (vsLegacyExport); libvirtuse.c finds a running
 * libvirt that reads the store. */
#pragma once

#include "tree/tree.h"
#include "format/legacyfile.h"
#include "snapshot/snapshot.h"

/* Where moved-aside directories go: DIR/.virtsnap/legacy/<vm>/<N>/.
 * VM names never start with '.', so nothing here is ever a VM's path. */
#define VS_LEGACY_ASIDE_DIR ".virtsnap/legacy"
/* Where export-legacy writes DIR/<vm>/ before one rename puts it in place
 * (export.c); a leftover there is noted by check. */
#define VS_LEGACY_STAGING_DIR ".virtsnap/export"

/* Called by vsStoreLoadDomain when DIR/<vm>.xml does not exist.  Sets *out
 * to NULL when there is no legacy directory DIR/<vm>/ either (or it holds
 * no snapshot).  What happens to a directory depends on @ctx's mode:
 *  - DEFAULT (@ctx NULL): a read-only load (@write FALSE) reads it as it is,
 *    refused with an error listing its problems if it has any; a write load
 *    is refused (VS_ERROR_INVALID, naming 'virtsnap convert VM'): nothing
 *    converts a directory libvirt may still use unless asked to.
 *  - CONVERT (@write, the VM's lock held): converts it to the bulk file with
 *    @ctx's options; then *out non-NULL means the bulk file was written.
 *  - SKIP: does nothing (*out NULL), only records whether it exists.
 * @ctx (nullable) steers one call (options, report): convert.c passes it
 * through vsStoreLoadDomainWithLegacy. */
typedef struct _vsLegacyHookCtx vsLegacyHookCtx;
int vsLegacyLoadForStore(vsTree **out, int dirfd, const char *dirpath,
                         const char *vm, gboolean write, gboolean compress,
                         vsLegacyHookCtx *ctx, GError **error);

typedef enum {
    VS_LEGACY_HOOK_DEFAULT = 0, /* read-only view; refuse a write load */
    VS_LEGACY_HOOK_CONVERT,     /* convert (vsStoreConvertDomain) */
    VS_LEGACY_HOOK_SKIP,        /* do nothing: *out = NULL (check, export) */
} vsLegacyHookMode;

struct _vsLegacyHookCtx {
    vsLegacyHookMode mode;
    const vsLegacyOptions *opts;  /* NULL: defaults */
    vsLegacyReport *report;       /* findings and summary go here */
    gboolean ran;                 /* out: the hook was called */
    gboolean found_dir;           /* out: DIR/<vm>/ existed */
};

/* ---- reading ---------------------------------------------------------- */

typedef struct _vsLegacyScan vsLegacyScan;

/* Reads DIR/<vm>/ (never following a symlink, anywhere) and applies @opts'
 * resolutions.  *out is NULL (and 0 returned) when there is no directory.
 * Findings go to @report (which may be NULL).  A scan is returned even when
 * problems remain; vsLegacyScanUnresolved says how many.  Errors only for
 * I/O failures opening the directory and for options that name nothing. */
int vsLegacyScanDir(vsLegacyScan **out, int dirfd, const char *dirpath,
                    const char *vm, const vsLegacyOptions *opts,
                    vsLegacyReport *report, GError **error);
void vsLegacyScanFree(vsLegacyScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLegacyScan, vsLegacyScanFree)

guint vsLegacyScanUnresolved(const vsLegacyScan *scan);
/* The tree (borrowed), or NULL while problems remain. */
const vsTree *vsLegacyScanGetTree(const vsLegacyScan *scan);
/* Number of directory entries read. */
guint vsLegacyScanCountEntries(const vsLegacyScan *scan);
/* Entry names that went into the tree (borrowed, sorted). */
const GPtrArray *vsLegacyScanGetConverted(const vsLegacyScan *scan);
/* The CORRUPT error a refused directory gets: one line listing the first
 * problems and how to see and resolve them all. */
int vsLegacyScanRefuse(const vsLegacyScan *scan, const char *dirpath,
                       const char *vm, GError **error);

/* Whether the two trees format to the same bulk document (each with the
 * UUID its own records give): compared a record at a time. */
gboolean vsLegacyTreesEqual(const vsTree *a, const vsTree *b);

/* ---- converting ------------------------------------------------------- */

/* Writes the bulk file DIR/<vm>.xml for @scan's tree with one atomic
 * replace, re-reads it and compares (both formatted, byte for byte), and
 * only then applies @opts' leftover policy to DIR/<vm>/.  An empty tree
 * writes no file.  On a failed comparison the new file is removed again.
 * Called with the VM's lock held. */
int vsLegacyConvert(int dirfd, const char *dirpath, const char *vm,
                    const vsLegacyScan *scan, const vsLegacyOptions *opts,
                    gboolean compress, vsLegacyReport *report, GError **error);

/* Applies the leftover policy to DIR/<vm>/ (bulk file verified already).
 * @converted: entries that are in the bulk file (REMOVE deletes only those). */
int vsLegacyApplyPolicy(int dirfd, const char *dirpath, const char *vm,
                        vsLegacyLeftover policy, const GPtrArray *converted,
                        vsLegacyReport *report, GError **error);

/* A moved-aside directory DIR/.virtsnap/legacy/<vm>/<N>/. */
typedef struct {
    int containerfd;   /* DIR/.virtsnap/legacy/<vm>/, opened without following links */
    int fd;            /* N itself once created, else -1 */
    char *name;        /* "N" */
    char *rel;         /* ".virtsnap/legacy/<vm>/N" (reports) */
    char *path;        /* DIRPATH/rel (messages) */
} vsLegacyAside;

/* Picks the next N (creating the directories above it, never through a
 * link) and, with @create, makes and opens N for moving entries into it.
 * Clear with vsLegacyAsideClear, also after a failure. */
int vsLegacyAsideNew(vsLegacyAside *out, int dirfd, const char *dirpath,
                     const char *vm, gboolean create, GError **error);
void vsLegacyAsideClear(vsLegacyAside *aside);
/* Moves the whole directory DIR/<vm>/ to the next N, durably (one rename,
 * both directories flushed). */
int vsLegacyAsideMoveDir(int dirfd, const char *dirpath, const char *vm,
                         vsLegacyAside *aside, GError **error);

/* Repairs DIR/<vm>/ where no guess is needed (see VS_STORE_CHECK_REPAIR):
 * adds one finding with its action per fix.  Lock held by the caller. */
int vsLegacyRepairDir(int dirfd, const char *dirpath, const char *vm,
                      vsLegacyReport *report, GError **error);

/* ---- writing back ------------------------------------------------------ */

/* Writes DIR/<vm>/<snap>.xml for every snapshot of @tree as libvirt 9.0
 * does (header, SECURE|INTERNAL[|CURRENT], mode 0600), each atomically.
 * @force: an existing non-empty directory is overwritten in place; its
 * entries that are not part of the export are moved aside.  Never follows
 * symlinks.  Called with the VM's lock held. */
int vsLegacyExport(int dirfd, const char *dirpath, const char *vm,
                   const vsTree *tree, const char *uuid, gboolean force,
                   vsLegacyReport *report, GError **error);

/* The leftover policy of @opts (NULL: the default, MOVE). */
vsLegacyLeftover vsLegacyOptionsGetLeftover(const vsLegacyOptions *opts);
/* The vsLegacyResolveFlags of @opts (NULL: none). */
unsigned int vsLegacyOptionsGetFlags(const vsLegacyOptions *opts);

/* ---- reports ------------------------------------------------------------ */

vsLegacyReport *vsLegacyReportNew(void);
/* Adds a finding; @path is store-relative (NULL: the VM as a whole). */
void vsLegacyReportAdd(vsLegacyReport *report, vsLegacyProblem kind,
                       const char *vm, const char *path, const char *action,
                       const char *fmt, ...) G_GNUC_PRINTF(6, 7);
/* Sets the action of the last finding added. */
void vsLegacyReportSetLastAction(vsLegacyReport *report, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void vsLegacyReportAppendSummary(vsLegacyReport *report, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
gboolean vsLegacyProblemIsNote(vsLegacyProblem kind);
