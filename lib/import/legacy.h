/* legacy.h — libvirt's per-file layout DIR/<vm>/<name>.xml as an import
 * source (internal).
 *
 * libvirt ≤ 9.x keeps one "<name>.xml" per record in DIR/<vm>/, in its
 * INTERNAL format (<active>1</active> marks the current snapshot).  This
 * layer reads such a directory with libvirt's rules but records, as
 * findings in a vsLegacyReport, everything libvirt would silently skip; it
 * builds a tree only once every problem is resolved by an explicit choice.
 * A conversion replaces the VM's tree through the store (vsDomainReplace's
 * path: one commit, the store's lock), reads it back and compares.  It also
 * writes a tree back in that layout, byte for byte as libvirt 9.0 does.
 *
 * Files: legacy-report.c (options, reports), legacy-scan.c (reading a
 * directory; the read-only view of an unconverted VM), legacy-convert.c,
 * legacy-export.c, legacy-check.c (check, unsupported names),
 * legacy-repair.c, libvirtuse.c (is a running libvirt reading the store?). */
#pragma once

#include "format/legacyfile.h"
#include "store/dir-layout.h"
#include "tree/tree.h"

/* ---- options and reports (legacy-report.c) ------------------------------ */

struct _vsLegacyOptions {
    vsLegacyLeftover policy;
    unsigned int flags;           /* vsLegacyResolveFlags */
    char *current;
    GPtrArray *roots;
    vsLegacyProgressFunc progress;
    gpointer progress_data;
};

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

/* ---- reading a directory (legacy-scan.c) -------------------------------- */

/* One entry of DIR/<vm>/. */
typedef struct {
    char *file;
    char *rel;          /* "<vm>/<file>", for findings */
    vsMoment *record;   /* the parsed record, NULL when not loadable */
    gboolean active;    /* the file says it is current */
    gboolean keep;      /* goes into the tree */
} vsLegacyEntry;

typedef struct _vsLegacyScan vsLegacyScan;

/* Reads DIR/<vm>/ (never following a symlink, anywhere) with @kind's rules
 * and applies @opts' resolutions (NULL: none).  *out is NULL (and 0
 * returned) when there is no directory.  Findings go to @report (which may
 * be NULL).  A scan is returned even when problems remain;
 * vsLegacyScanUnresolved says how many.  Errors only for I/O failures
 * opening the directory and for options that name nothing. */
int vsLegacyScanDir(vsLegacyScan **out, const vsMomentKind *kind, int dirfd,
                    const char *dirpath, const char *vm, const vsLegacyOptions *opts,
                    vsLegacyReport *report, GError **error);
void vsLegacyScanFree(vsLegacyScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsLegacyScan, vsLegacyScanFree)

guint vsLegacyScanUnresolved(const vsLegacyScan *scan);
/* The tree (borrowed), or NULL while problems remain. */
const vsTree *vsLegacyScanGetTree(const vsLegacyScan *scan);
/* Every entry read, sorted by file name (vsLegacyEntry, borrowed). */
const GPtrArray *vsLegacyScanGetEntries(const vsLegacyScan *scan);
/* Entry names that went into the tree (borrowed, sorted). */
const GPtrArray *vsLegacyScanGetConverted(const vsLegacyScan *scan);
/* The CORRUPT error a refused directory gets: one line listing the first
 * problems and how to see and resolve them all. */
int vsLegacyScanRefuse(const vsLegacyScan *scan, const char *dirpath, GError **error);

/* What a load of VM @vm sees when the store holds no record for it (the
 * directory backend's load): its libvirt directory DIR/<vm>/, read as it
 * is by a read-only load (refused with an error listing its problems if it
 * has any; *out NULL without a directory or snapshots); a write load is
 * refused (VS_ERROR_INVALID naming 'virtsnap convert VM'): nothing converts
 * a directory libvirt may still use unless asked to. */
int vsLegacyView(vsTree **out, const vsMomentKind *kind, int dirfd, const char *dirpath,
                 const char *vm, gboolean write, GError **error);

/* ---- the operations, for any kind of moment ------------------------------ */

/* vsStoreConvertDomain, vsStoreExportLegacy and vsStoreCheck (the public
 * snapshot calls) for @kind's records. */
int vsStoreConvertKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                       const char *vm, const vsLegacyOptions *opts, GError **error);
int vsStoreExportKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                      const char *vm, unsigned int flags, GError **error);
int vsStoreCheckKind(vsLegacyReport **out, vsStore *store, const vsMomentKind *kind,
                     const char *vm, unsigned int flags, GError **error);

/* ---- the rest ----------------------------------------------------------- */

/* Applies the leftover policy to DIR/<vm>/ once the store holds its
 * records (legacy-convert.c).  @converted: entries that are in the store
 * (REMOVE deletes only those). */
int vsLegacyApplyPolicy(int dirfd, const char *dirpath, const char *vm,
                        vsLegacyLeftover policy, const GPtrArray *converted,
                        vsLegacyReport *report, GError **error);

/* Repairs DIR/<vm>/ where no guess is needed (see VS_STORE_CHECK_REPAIR):
 * adds one finding with its action per fix.  Lock held by the caller
 * (legacy-repair.c). */
int vsLegacyRepairDir(const vsMomentKind *kind, int dirfd, const char *dirpath, const char *vm,
                      vsLegacyReport *report, GError **error);

/* Writes DIR/<vm>/<name>.xml for every record of @tree as libvirt 9.0
 * does, each atomically (legacy-export.c).  @force: an existing non-empty
 * directory is overwritten in place; its entries that are not part of the
 * export are moved aside.  Never follows symlinks.  Called with the VM's
 * lock held. */
int vsLegacyExport(int dirfd, const char *dirpath, const char *vm,
                   const vsTree *tree, const char *uuid, gboolean force,
                   vsLegacyReport *report, GError **error);
