/* bulkfile-private.h — what the bulk file's reader, writer and frames
 * share (format/bulkfile-*.c only). */
#pragma once

#include "format/bulkfile.h"
#include "format/bulkfile-pieces.h"

/* zstd window for new files: 8 MiB is enough for a 4 MiB <domain> to find
 * the previous snapshot's copy (a parent is written just before its first
 * child), and bounds what a reader must hold.  Readers accept windows up to
 * 128 MiB so files from other writers still load, never more. */
#define BULK_ZSTD_WINDOW_LOG 23
#define BULK_ZSTD_WINDOW_LOG_MAX 27
#define BULK_ZSTD_LEVEL 3
/* A frame under SMALL_FRAME_MAX (the header and end frames, a record
 * appended in a piece of its own until its run is formed anew, a run of
 * one record) is zstd level 1 with a 4,096-entry hash table: for a ~9 KB
 * record level 3's two tables (~190 KB touched at each frame: ~4,200 L1
 * misses) cost more than compressing, for 33 more bytes (2,025 -> 2,058). */
#define SMALL_FRAME_MAX ((gsize) 16 * 1024)
#define SMALL_FRAME_LEVEL 1
#define SMALL_FRAME_HASH_LOG 12
/* A run of LDM_MIN_INPUT bytes or more (big <domain>s): level 1 with
 * long-distance matching in a 32 MiB window, which holds a whole run at
 * SEGMENT_CAP, so every domain finds its closest copy in the run
 * (performance.md, "Longer runs for 4 MiB domains"); a reader streaming
 * such a frame holds 32 MiB for it. */
#define BULK_ZSTD_WINDOW_LOG_BIG 25
#define BULK_ZSTD_LEVEL_BIG 1

/* ---------------------------------------------------------------- */
/* Segments: a compressed file is a sequence of independent zstd frames
 * (header, a marker, one frame per run of whole records, trailer), so a
 * commit recompresses only the runs whose records changed and copies the
 * other frames as they are.  Concatenated frames are one zstd stream:
 * `zstdcat` and every reader see the same single document. */

/* A run of records ends after a record whose name hashes to 0 mod
 * SEGMENT_SPREAD (content-defined, so inserting or deleting a record moves
 * no other boundary), or once it has SEGMENT_MAX_RECORDS records or its
 * records' domains pass SEGMENT_CAP bytes.  Each frame starts without
 * history, so fewer, longer runs compress better; shorter ones make a
 * commit cheaper.  ~32 records of ~10 KB: a commit recompresses ~300 KB and
 * a frame costs ~2.5 KB on disk. */
#define SEGMENT_SPREAD 32
#define SEGMENT_MAX_RECORDS 96
#define SEGMENT_CAP ((gsize) 32 * 1024 * 1024)
#define SEGMENT_RECORD_OVERHEAD 1024
/* A run may be stored as several frames ("pieces"): records appended after
 * a frame that did not end its run get a frame of their own, so a new leaf
 * at the end of the document costs its own compression, not its run's.
 * Each piece starts without history (~2.5 KB on disk for a ~10 KB record),
 * so a write that would leave a run in more pieces than this forms it
 * anew as one. */
#define SEGMENT_MAX_PIECES 4
#define LDM_MIN_INPUT ((gsize) 4 * 1024 * 1024)

/* A loaded file's frames are reused only when its header frame holds
 * exactly what this writer writes (vsBulkAppendRoot): a declaration there (an
 * encoding, a namespace) gives its records a meaning that copying them
 * into our header would change.  A header is at most ~1.7 KB. */
#define HEAD_MAX 4096

/* A skippable frame (ignored by every zstd decoder) right after the header
 * frame says the records are framed by this writer: bump the version when
 * record formatting changes, so old frames are never mixed with new ones. */
#define SEGMENT_MARKER_MAGIC 0x184D2A56u
#define SEGMENT_MARKER "virtsnap-segments 2"

/* How a run relates to the rule above, applied from its first record: it
 * ends exactly at its last record (RUN_RULE_ENDS), the rule does not end it
 * at all (RUN_RULE_OPEN: only the document's end did), or the rule would
 * cut it elsewhere (RUN_RULE_NOT: another writer's frame). */
typedef enum {
    RUN_RULE_ENDS,
    RUN_RULE_OPEN,
    RUN_RULE_NOT,
} vsBulkRunRule;

/* Where the rule stands inside a run: its records so far and their
 * weight (both 0 at a run's start). */
typedef struct {
    guint count;
    gsize weight;
} vsBulkRunState;

static inline gboolean
vsBulkRunStateEqual(vsBulkRunState a, vsBulkRunState b)
{
    return a.count == b.count && a.weight == b.weight;
}

/* A run of records and its compressed frame: immutable, shared by the
 * segments of every write that copies the frame (refcounted). */
typedef struct {
    gint refs;
    GPtrArray *records;       /* vsMoment refs, in document order */
    GBytes *frame;            /* one complete zstd frame */
    /* where each record's bytes end in the frame's content (gsize; record
     * k: from the end of k - 1, or 0, to its own), or NULL when not known;
     * shared by the writes that reuse the frame */
    GArray *ends;
    gboolean uuid_sensitive;  /* a record without <domain>: formatted from the uuid */
    /* The rule applied from @start, the state where this frame starts:
     * where the previous frame of the same segments left it when that one
     * did not end its run (RUN_RULE_OPEN), else a run's start.  @end: the
     * state after the last record (a run's start unless OPEN).  A writer
     * copies the frame only where the walk stands at @start, so @rule
     * holds there whatever the frames around it were. */
    vsBulkRunState start;
    vsBulkRunState end;
    vsBulkRunRule rule;
} BulkSegment;

/* What a write needs besides the records (zstd contexts, buffers), kept
 * from one commit of a handle to the next (bulkfile-write.c): a fresh
 * compression context per commit costs its tables' page faults and
 * clearing, more CPU than compressing a run of ~32 records. */
typedef struct _vsBulkScratch vsBulkScratch;
void vsBulkScratchRelease(vsBulkScratch *scratch);
/* What @scratch keeps for the next write, in bytes allocated (not all
 * touched): tests check what the keeping bound (SCRATCH_KEEP_MAX) keeps. */
gsize vsBulkScratchHeld(const vsBulkScratch *scratch);

struct _vsBulkSegments {
    const vsMomentKind *kind;
    char *uuid;               /* what uuid-sensitive segments were formatted with */
    GPtrArray *segments;      /* BulkSegment, owned */
    /* first record -> its index in @segments: open addressing (a
     * GHashTable insert cost more than the O(1) copy of a frame it
     * indexes); @first_mask + 1 slots, at most half used */
    gconstpointer *first_keys;
    guint *first_index;
    guint first_mask;
    guint first_bits;         /* log2 of the slots */
    gboolean preorder;        /* the runs are in the tree's pre-order (written
                               * by this writer, or a file checked to be) */
    gboolean complete;        /* every record is in @segments, in order (written
                               * by this writer): a frame's successor is the
                               * next frame's first record */
    vsBulkScratch *scratch;   /* shared with the next write's segments, or NULL */
    /* format 3: the file's pieces and definitions (what its records'
     * references name, and its packs to copy), or NULL (formats 1, 2) */
    vsBulkPieces *pieces;
};

/* The rule applied to @count records from *@state, which it advances to
 * the state after them; @pieces: records as format 3 stores them
 * (bulkfile-write.c). */
vsBulkRunRule vsBulkRunRuleOf(gpointer const *records, guint count, gboolean pieces,
                              vsBulkRunState *state);


vsBulkSegments *vsBulkSegmentsNew(const vsMomentKind *kind, const char *uuid);
/* Adds a frame of records after the last one added (taking a reference
 * to @records and @frame; copying @ends, one per record, if not NULL); it
 * starts where that one left the rule. */
void vsBulkSegmentsAdd(vsBulkSegments *segs, GPtrArray *records, GBytes *frame,
                       const gsize *ends);
/* Adds @seg of an earlier write again (shared, not copied: O(1)); it
 * must start where the last one added left the rule. */
void vsBulkSegmentsReuse(vsBulkSegments *segs, const BulkSegment *seg);
/* The index in @segs->segments of the frame whose first record is
 * @first, or -1. */
gint vsBulkSegmentsFind(const vsBulkSegments *segs, gconstpointer first);
/* Room for @count frames in the index (it grows by itself too). */
void vsBulkSegmentsReserve(vsBulkSegments *segs, guint count);
/* That frame, or NULL. */
BulkSegment *vsBulkSegmentsByFirst(const vsBulkSegments *segs, gconstpointer first);
/* Where the last frame added left the rule (a run's start when none). */
vsBulkRunState vsBulkSegmentsEndState(const vsBulkSegments *segs);
/* Whether a run holds a record without <domain>, which is formatted from
 * the VM's uuid rather than from itself. */
gboolean vsBulkRunNeedsUuid(gpointer const *records, guint count);

/* The document's start (the kind's header comment, the root element with
 * current=) and end, as this writer writes them (bulkfile-format.c). */
void vsBulkAppendRoot(GString *buf, const vsTree *tree);
/* The same with format 3's virtsnap-format='3' (bulkfile-pieces.h). */
void vsBulkAppendRootPieces(GString *buf, const vsTree *tree);
void vsBulkAppendEnd(GString *buf, const vsTree *tree);

/* Adds to @dirty (BulkSegment *) the runs of @prev that the change from
 * @old to @tree broke, and to @moved_after the records of @tree whose
 * successor it may have changed (-> it, or NULL: not known here); FALSE:
 * cannot tell (not versions of one tree, runs not this writer's), so walk
 * every record.  Costs the change's size, not the tree's
 * (bulkfile-changes.c). */
gboolean vsBulkDirtyRuns(const vsTree *old, const vsTree *tree, const vsBulkSegments *prev,
                         GHashTable *dirty, GHashTable *moved_after);

/* The records of a document fragment, in order, unlinked (what one frame
 * holds: parents may be elsewhere) (bulkfile-read.c). */
int vsBulkParseRecordsOnly(GPtrArray **out, const vsMomentKind *kind, const char *data,
                           gsize len, const char *label, GError **error);
/* The same, a format-3 file's frame: its references resolved from @pieces
 * (the file's table; NULL: as vsBulkParseRecordsOnly). */
int vsBulkParseRecordsResolving(GPtrArray **out, const vsMomentKind *kind, const char *data,
                                gsize len, vsBulkPieces *pieces, const char *label,
                                GError **error);
