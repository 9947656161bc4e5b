/* bulkfile-pieces.h — format 3: a compressed bulk file whose records'
 * <domain> definitions are stored once, as pieces (internal; format/ only).
 *
 * The file (docs/format.md, "Definitions as pieces"):
 *   frame 1   the header, as in format 2, but the root's start tag carries
 *             virtsnap-format='3' after current= (a reader that does not
 *             know format 3 refuses the file instead of loading records
 *             without their definitions);
 *   frame 2   the skippable segment marker, "virtsnap-segments 3";
 *   packs     skippable frames (magic VS_BULK_PACK_MAGIC), each holding
 *             VS_BULK_PACK_TAG then one zstd frame (content size and
 *             checksum set) whose content is a sequence of entries:
 *               'P' id:u32le len:u32le bytes[len]       a piece
 *               'D' id:u32le n:u32le piece-id:u32le[n]  a definition
 *             Pieces and definitions share one id space; an id is defined
 *             once in a file; a definition names pieces defined before it
 *             (in this pack or an earlier one);
 *   records   zstd frames of whole records as in format 2, except that a
 *             record's first <domain> that is a definition (non-empty
 *             type) is written as the one line
 *                 <domain virtsnap-pieces='ID'/>
 *             (ID in decimal, no sign or leading zero);
 *   trailer   </snapshots>.
 * All packs come before the first record frame: a reader fails the load
 * on a pack after it, or on packs under a root without virtsnap-format='3'
 * (bulkfile-read.c), never loading records without their definitions.
 * Any other skippable frame is ignored.  Ids are kept for the
 * file's life (a commit copies record frames that name them), so a
 * compaction drops dead entries but never renumbers. */
#pragma once

#include "record/xmlsubtree.h"

#define VS_BULK_PACK_MAGIC 0x184D2A57u
#define VS_BULK_PACK_TAG "virtsnap-pack 1\n"
#define VS_BULK_FORMAT_ATTR "virtsnap-format"
#define VS_BULK_PIECES_ATTR "virtsnap-pieces"
#define VS_BULK_SEGMENT_MARKER_3 "virtsnap-segments 3"

/* One definition: its pieces' ids, and once resolved, its subtree. */
typedef struct {
    guint32 npieces;
    guint32 *piece_ids;
    vsXmlSubtree *resolved;   /* checked (vsXmlSubtreeFromPiecesChecked), or NULL */
    guint pack;               /* index in packs of the pack defining it */
} vsBulkPiecesDef;

/* The pieces and definitions of one file, as read or as written: what a
 * load resolves references with, and what the handle's next commit
 * copies and extends.  Immutable once a load or a write hands it out
 * (shared by refcount); a commit derives a new one. */
typedef struct _vsBulkPieces {
    gint refs;
    GPtrArray *packs;          /* GBytes: whole skippable frames, file order */
    GHashTable *pieces;        /* id -> vsXmlPiece* (referenced) */
    GHashTable *piece_ids;     /* vsXmlPiece* -> id + 1 (writer) */
    GHashTable *defs;          /* id -> vsBulkPiecesDef* (owned) */
    GHashTable *def_ids;       /* vsXmlSubtree* (by content) -> id + 1 (writer) */
    guint32 next_id;           /* above every id defined */
    vsXmlPieceCheck *check;    /* what resolving has checked so far */
    gsize held;                /* bytes of pieces new to the process, for budgets */
    GByteArray *pending;       /* writer: the entries of the pack being built, or NULL */
    guint compact_base;        /* writer: records at the last compaction (0: unknown) */
} vsBulkPieces;

/* ---- bulkfile-pieces.c: the table, and reading ----------------------- */

vsBulkPieces *vsBulkPiecesNew(void);
vsBulkPieces *vsBulkPiecesRef(vsBulkPieces *pieces);
void vsBulkPiecesUnref(vsBulkPieces *pieces);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsBulkPieces, vsBulkPiecesUnref)

/* Adds the entries of @frame, one whole pack frame (magic, size, tag and
 * the zstd frame), and keeps it for the next write.  Errors:
 * VS_ERROR_CORRUPT with a short reason (a bad frame, an id defined twice,
 * a definition naming a piece not defined before, sizes past the format's
 * limits); VS_ERROR_TOO_LARGE past @max_held bytes held. */
int vsBulkPiecesAddPack(vsBulkPieces *pieces, GBytes *frame, guint64 max_held,
                        GError **error);

/* The definition @id as a checked subtree (borrowed; resolved and checked
 * once per table).  Errors: VS_ERROR_CORRUPT "no definition ID" or why its
 * pieces are not a definition. */
int vsBulkPiecesResolve(vsBulkPieces *pieces, guint32 id, vsXmlSubtree **out,
                        GError **error);

/* ---- bulkfile-pieces-write.c: writing --------------------------------- */

/* A table for the next write: @old's packs and entries (shared), or an
 * empty one when @old is NULL. */
vsBulkPieces *vsBulkPiecesDerive(const vsBulkPieces *old);
/* The id of @domain's definition: an existing one with the same text, or
 * a new one (and its pieces not yet in the table) added to the pack being
 * built. */
guint32 vsBulkPiecesDefine(vsBulkPieces *pieces, vsXmlSubtree *domain);
/* Closes the pack being built (if anything was added) and appends its
 * frame to @pieces->packs.  Errors: VS_ERROR_FAILED (zstd). */
int vsBulkPiecesFinishPack(vsBulkPieces *pieces, GError **error);
/* Whether a record's <domain> is stored as a reference: a definition
 * (non-empty type, vsDomainDedupIsDefinition's rule).  O(its start tag). */
gboolean vsBulkPiecesIsDefinition(const vsXmlSubtree *domain);
/* The line a record holds instead of definition @id. */
#define VS_BULK_PIECES_LINE_MAX 48
void vsBulkPiecesReferenceLine(char line[VS_BULK_PIECES_LINE_MAX], guint32 id);
/* A table whose ids reached this is not extended: the next write starts
 * one anew (every record formed again), so ids never run out. */
#define VS_BULK_PIECES_ID_RENEW ((guint32) 1 << 31)

/* Compaction: packs keep definitions no record names any more (a record
 * deleted, or redefined with another <domain>).  A write rewrites all
 * packs as one holding only the live entries when the file would have
 * more than VS_BULK_PIECES_PACKS_MAX packs, or when the tree has shrunk to
 * under half the most records it had since the last compaction (or since
 * its table was made or loaded).  Ids are kept (record frames are copied and name them).
 * Cost, then: a walk of every record (a hash lookup of its <domain>) and
 * compressing every live piece once; the O(N) is paid at most once per
 * VS_BULK_PIECES_PACKS_MAX commits that add definitions, or per halving. */
#define VS_BULK_PIECES_PACKS_MAX 32
/* A set of the <domain>s of a tree's records (by text): what is live. */
GHashTable *vsBulkPiecesLiveSetNew(void);
/* Drops every definition whose text is not in @live (and the pieces only
 * they named) and replaces the packs, the one being built included, with
 * one pack of what is left.  Errors: VS_ERROR_FAILED (zstd). */
int vsBulkPiecesCompact(vsBulkPieces *pieces, GHashTable *live, GError **error);
