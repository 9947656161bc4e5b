/* bulkfile.h — the <snapshots current='…'> document of one VM (internal).
 *
 * Read with a streaming xmlTextReader, one <domainsnapshot> expanded at a
 * time (never a DOM of the whole file); plain or zstd (by magic number).
 * All-or-nothing: any problem fails the whole load. */
#pragma once

#include "tree.h"
#include "atomicfile.h"

typedef struct {
    guint64 max_bytes;   /* cap on the decompressed document; 0 = default */
} vsBulkReadOptions;

#define VS_BULK_DEFAULT_MAX ((guint64) 64 * 1024 * 1024 * 1024)

/* Reads the document at @path (opened relative to @dirfd) into a new tree.
 * Errors: VS_ERROR_CORRUPT "PATH:LINE: problem" (bad XML, wrong root,
 * duplicate, missing parent, cycle, unknown current, truncation),
 * VS_ERROR_TOO_LARGE, VS_ERROR_IO, VS_ERROR_NOT_FOUND (no file). */
int vsBulkFileRead(vsTree **out, int dirfd, const char *dirpath,
                   const char *name, const vsBulkReadOptions *opts,
                   GError **error);

/* Same, from memory (fuzzing, tests).  @label names it in errors. */
int vsBulkFileParse(vsTree **out, const char *data, gsize len,
                    const char *label, const vsBulkReadOptions *opts,
                    GError **error);

/* Appends the whole document (comment, root, records in topological
 * order, each with FORMAT_SECURE and no <active>) to @buf. */
void vsBulkFileFormat(GString *buf, const vsTree *tree, const char *uuid);

/* Writes the document for @tree into @af, zstd-compressed if asked. */
int vsBulkFileWrite(vsAtomicFile *af, const vsTree *tree, const char *uuid,
                    gboolean compress, GError **error);
