/* bulkfile.h — the document of one VM's moments of one kind (internal):
 * <snapshots current='…'> holding <domainsnapshot> records, or the
 * element names of another kind (its vsMomentKind).
 *
 * Read with a streaming xmlTextReader, one record expanded at a time
 * (never a DOM of the whole file); plain or zstd (by magic number).
 * All-or-nothing: any problem fails the whole load. */
#pragma once

#include "tree/tree.h"
#include "util/atomicfile.h"

/* The compressed frames of the last file read or written, kept so the next
 * write copies the frames of unchanged runs of records instead of
 * formatting and compressing them again (see format.md, "Segments").
 * Holds references to the records it describes. */
typedef struct _vsBulkSegments vsBulkSegments;
void vsBulkSegmentsFree(vsBulkSegments *segments);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsBulkSegments, vsBulkSegmentsFree)
/* Checks that every kept frame holds exactly its records, in order: its
 * content parses to records that format as the kept ones do (tests and
 * fuzzing; a frame of a loaded file may hold an equivalent but not
 * canonical spelling, see format.md "Segments").  Errors: VS_ERROR_FAILED
 * naming the segment.  Cost: decompressing, parsing and formatting all. */
int vsBulkSegmentsVerify(const vsBulkSegments *segments, GError **error);

/* Which reader reads a document (bulkfile-load.h): the fast reader of this
 * writer's own layout, falling back to the streaming DOM reader for
 * anything else (the default); one of them only (tests and fuzzing compare
 * the two; the fast one alone fails with VS_ERROR_FAILED where it
 * declines). */
typedef enum {
    VS_BULK_READER_AUTO = 0,
    VS_BULK_READER_DOM,
    VS_BULK_READER_FAST,
} vsBulkReader;

typedef struct {
    /* cap on the memory the load holds (the store's load-limit); 0: the
     * default, VS_STORE_LOAD_LIMIT_DEFAULT */
    guint64 max_held;
    /* cap on the decompressed document; 0: VS_BULK_DOCUMENT_MAX */
    guint64 max_document;
    vsBulkReader reader;
} vsBulkReadOptions;

/* The largest record, as stored, that create accepts and a load reads
 * (create's own input limit): one record's parse is bounded by it. */
#define VS_BULK_RECORD_MAX VS_SNAPSHOT_XML_MAX
/* The format's largest document (16,384 snapshots of 4 MiB), which bounds
 * the time a load of a repetitive document can take. */
#define VS_BULK_DOCUMENT_MAX ((guint64) 64 * 1024 * 1024 * 1024)

/* Reads the document at @path (opened relative to @dirfd) into a new tree.
 * With @segments (may be NULL), also returns the file's reusable frames
 * (none unless it is compressed and framed by this writer); costs one
 * extra read of the compressed bytes.
 * Errors: VS_ERROR_CORRUPT "PATH:LINE: problem" (bad XML, wrong root,
 * duplicate, missing parent, cycle, unknown current, truncation),
 * VS_ERROR_TOO_LARGE, VS_ERROR_IO, VS_ERROR_NOT_FOUND (no file). */
int vsBulkFileRead(vsTree **out, vsBulkSegments **segments, const vsMomentKind *kind,
                   int dirfd, const char *dirpath, const char *name,
                   const vsBulkReadOptions *opts, GError **error);

/* Same, from memory (fuzzing, tests).  @label names it in errors. */
int vsBulkFileParse(vsTree **out, vsBulkSegments **segments, const vsMomentKind *kind,
                    const char *data, gsize len, const char *label,
                    const vsBulkReadOptions *opts, GError **error);

/* Whether @moment, stored as the bulk file stores it (the kind's stored
 * form one level down), loads back as the same record through the
 * bulk reader.  Create and redefine check every record before they commit,
 * so an accepted record can never make its VM's file unloadable: libxml2's
 * limits (depth, text and tag sizes) apply to the stored bytes, not to the
 * document that was given.  Errors: VS_ERROR_INVALID or VS_ERROR_TOO_LARGE
 * naming the snapshot.  Cost: formatting the record, and parsing and
 * formatting it back with its <domain> cut to the start tag (a record of
 * 9,000,000 bytes or more, or without a <domain>: parsed whole); why the
 * domain's children need no parse is in bulkfile-check.c. */
int vsBulkRecordCheck(const vsMoment *moment, const char *uuid, GError **error);

/* Appends the whole document (the kind's comment, root, records in
 * topological order, each in its stored form) to @buf. */
void vsBulkFileFormat(GString *buf, const vsTree *tree, const char *uuid);
/* The same document handed to @write about 1 MiB at a time (a record
 * whole), so memory is bounded by the biggest record, not the document;
 * stops at @write's first failure (vsDomainWriteDocument). */
int vsBulkFileFormatTo(const vsTree *tree, const char *uuid, vsDocumentWriteFunc write,
                       gpointer data, GError **error);

/* Writes the document for @tree into @af as @mode asks (vsCompression:
 * plain, format 2, or format 3 with definitions as pieces).
 * Compressed files are a sequence of frames, one per run of records: runs
 * whose records are unchanged since @reuse (may be NULL) was made are
 * copied from it, not formatted and compressed again.  With @segments (may
 * be NULL), returns the frames of what was written, for the next write;
 * adopt them only once the file is committed.  Cost: O(N) to walk the tree
 * plus formatting and compressing the changed runs (plain: everything).
 * Errors: VS_ERROR_FAILED (zstd). */
int vsBulkFileWrite(vsAtomicFile *af, const vsTree *tree, const char *uuid,
                    vsCompression mode, const vsBulkSegments *reuse,
                    vsBulkSegments **segments, GError **error);
/* The same, given @old (nullable), the tree @reuse was loaded or written
 * with, of which @tree is a version (vsTreeCopy): then only the runs around
 * what changed between the two are visited, not every record (issue 16),
 * and the bytes written are the same.  Cost: O(changes x depth around
 * them + runs) plus formatting and compressing the changed runs; O(N) as
 * vsBulkFileWrite when @old is not a version of @tree or @reuse's runs were
 * not in pre-order. */
int vsBulkFileWriteSince(vsAtomicFile *af, const vsTree *old, const vsTree *tree,
                         const char *uuid, vsCompression mode, const vsBulkSegments *reuse,
                         vsBulkSegments **segments, GError **error);
