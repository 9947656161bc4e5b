/* bulkfile-pieces.c — format 3's table of pieces and definitions, and
 * reading a pack frame into it (the layout: bulkfile-pieces.h).
 *
 * A pack is hostile input like the rest of the file: every size, id and
 * count is checked before it is used, and a definition is only handed out
 * once vsXmlSubtreeFromPiecesChecked has accepted its pieces as exactly
 * what a capture makes.  Pieces are interned as they are read (a second
 * load of the same file in the process adds nothing); definitions are
 * resolved on first reference, each once. */
#include <string.h>
#include <zstd.h>

#include "util/error.h"
#include "format/bulkfile-pieces.h"

static void
defFree(gpointer data)
{
    vsBulkPiecesDef *def = data;

    g_free(def->piece_ids);
    vsXmlSubtreeUnref(def->resolved);
    g_free(def);
}

vsBulkPieces *
vsBulkPiecesNew(void)
{
    vsBulkPieces *pieces = g_new0(vsBulkPieces, 1);

    pieces->refs = 1;
    pieces->packs = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    pieces->pieces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                           (GDestroyNotify) vsXmlPieceUnref);
    pieces->piece_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    pieces->defs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, defFree);
    pieces->def_ids = g_hash_table_new_full((GHashFunc) vsXmlSubtreeHash,
                                            (GEqualFunc) vsXmlSubtreeEqual,
                                            (GDestroyNotify) vsXmlSubtreeUnref, NULL);
    pieces->check = vsXmlPieceCheckNew();
    return pieces;
}

vsBulkPieces *
vsBulkPiecesRef(vsBulkPieces *pieces)
{
    g_atomic_int_inc(&pieces->refs);
    return pieces;
}

void
vsBulkPiecesUnref(vsBulkPieces *pieces)
{
    if (!pieces || !g_atomic_int_dec_and_test(&pieces->refs))
        return;
    g_ptr_array_unref(pieces->packs);
    g_hash_table_unref(pieces->def_ids);
    g_hash_table_unref(pieces->defs);
    g_hash_table_unref(pieces->piece_ids);
    g_hash_table_unref(pieces->pieces);
    vsXmlPieceCheckFree(pieces->check);
    if (pieces->pending)
        g_byte_array_unref(pieces->pending);
    g_free(pieces);
}

/* ---------------------------------------------------------------- */
/* Reading a pack                                                     */

/* A pack's content being read: the bytes, where the next entry starts,
 * and the table it goes into. */
typedef struct {
    const guint8 *b;
    gsize n, i;
    vsBulkPieces *pieces;
    guint pack;
    guint64 max_held;
} PackReader;

static gboolean
packU32(PackReader *r, guint32 *out)
{
    guint32 v;

    if (r->n - r->i < 4)
        return FALSE;
    memcpy(&v, r->b + r->i, 4);
    *out = GUINT32_FROM_LE(v);
    r->i += 4;
    return TRUE;
}

static gboolean
idDefined(const vsBulkPieces *pieces, guint32 id)
{
    return g_hash_table_contains(pieces->pieces, GUINT_TO_POINTER(id)) ||
           g_hash_table_contains(pieces->defs, GUINT_TO_POINTER(id));
}

/* What the load holds grows by @bytes; past the load's limit is an error. */
static int
packCharge(PackReader *r, gsize bytes, GError **error)
{
    r->pieces->held += bytes;
    if (r->pieces->held > r->max_held)
        return vsErr(error, VS_ERROR_TOO_LARGE, "its pieces need more than the load limit "
                     "of %" G_GUINT64_FORMAT " bytes", r->max_held);
    return 0;
}

static int
packPiece(PackReader *r, guint32 id, GError **error)
{
    guint32 len;
    gsize added = 0;
    vsXmlPiece *piece;

    if (!packU32(r, &len) || len > r->n - r->i)
        return vsErr(error, VS_ERROR_CORRUPT, "piece %u is cut short", id);
    if (len == 0 || len > VS_XML_SUBTREE_MAX)
        return vsErr(error, VS_ERROR_CORRUPT, "piece %u has length %u", id, len);
    piece = vsXmlPieceIntern((const char *) r->b + r->i, len, &added);
    g_hash_table_insert(r->pieces->pieces, GUINT_TO_POINTER(id), piece);
    r->i += len;
    return packCharge(r, added, error);
}

static int
packDefinition(PackReader *r, guint32 id, GError **error)
{
    g_autofree guint32 *ids = NULL;
    guint64 total = 0;
    guint32 n;

    if (!packU32(r, &n) || n > (r->n - r->i) / 4)
        return vsErr(error, VS_ERROR_CORRUPT, "definition %u is cut short", id);
    if (n == 0)
        return vsErr(error, VS_ERROR_CORRUPT, "definition %u has no pieces", id);
    ids = g_new(guint32, n);
    for (guint32 k = 0; k < n; k++) {
        vsXmlPiece *piece;
        gsize len;

        packU32(r, &ids[k]);   /* in bounds: checked above */
        piece = g_hash_table_lookup(r->pieces->pieces, GUINT_TO_POINTER(ids[k]));
        if (!piece)
            return vsErr(error, VS_ERROR_CORRUPT, "definition %u names %u, which is not a "
                         "piece defined before it", id, ids[k]);
        vsXmlPieceGetText(piece, &len);
        total += len;
        if (total > VS_XML_SUBTREE_MAX)
            return vsErr(error, VS_ERROR_CORRUPT, "definition %u is longer than the limit "
                         "of %u bytes", id, (guint) VS_XML_SUBTREE_MAX);
    }
    {
        vsBulkPiecesDef *def = g_new0(vsBulkPiecesDef, 1);

        def->npieces = n;
        def->piece_ids = g_steal_pointer(&ids);
        def->pack = r->pack;
        g_hash_table_insert(r->pieces->defs, GUINT_TO_POINTER(id), def);
    }
    /* the list is held for the load's life, like a piece */
    return packCharge(r, (gsize) n * sizeof(guint32) + sizeof(vsBulkPiecesDef), error);
}

/* The entries of a pack's content, in order. */
static int
packEntries(PackReader *r, GError **error)
{
    while (r->i < r->n) {
        guint8 kind = r->b[r->i++];
        guint32 id;

        if (kind != 'P' && kind != 'D')
            return vsErr(error, VS_ERROR_CORRUPT, "unknown entry kind 0x%02x at byte %"
                         G_GSIZE_FORMAT " of its content", kind, r->i - 1);
        if (!packU32(r, &id))
            return vsErr(error, VS_ERROR_CORRUPT, "an entry is cut short");
        if (idDefined(r->pieces, id))
            return vsErr(error, VS_ERROR_CORRUPT, "id %u is defined twice", id);
        if ((kind == 'P' ? packPiece(r, id, error) : packDefinition(r, id, error)) < 0)
            return -1;
        if (id >= r->pieces->next_id)
            r->pieces->next_id = id == G_MAXUINT32 ? id : id + 1;
    }
    return 0;
}

/* The zstd frame after the tag, decompressed: exactly one frame filling
 * the rest of the pack, its content size and checksum set, its content
 * within the load limit (it is held whole while it is read). */
static int
packContent(const guint8 *z, gsize zlen, guint64 max_held, guint8 **out, gsize *out_len,
            GError **error)
{
    static const guint8 zstd_magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };
    g_autofree guint8 *content = NULL;
    unsigned long long size;
    size_t got;

    /* byte 4: the frame header descriptor, bit 2 its checksum flag */
    if (zlen < 5 || memcmp(z, zstd_magic, 4) != 0)
        return vsErr(error, VS_ERROR_CORRUPT, "no zstd frame after its tag");
    if (ZSTD_findFrameCompressedSize(z, zlen) != zlen)
        return vsErr(error, VS_ERROR_CORRUPT, "its zstd frame does not fill it exactly");
    size = ZSTD_getFrameContentSize(z, zlen);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || !(z[4] & 0x04))
        return vsErr(error, VS_ERROR_CORRUPT, "its zstd frame lacks a content size or "
                     "a checksum");
    if (size > max_held || size > G_MAXSIZE - 1)
        return vsErr(error, VS_ERROR_TOO_LARGE, "its content (%llu bytes) is larger than "
                     "the load limit of %" G_GUINT64_FORMAT " bytes", size, max_held);
    content = g_malloc(MAX(size, 1));
    got = ZSTD_decompress(content, size, z, zlen);
    if (ZSTD_isError(got) || got != size)
        return vsErr(error, VS_ERROR_CORRUPT, "zstd: %s",
                     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short content");
    *out = g_steal_pointer(&content);
    *out_len = got;
    return 0;
}

int
vsBulkPiecesAddPack(vsBulkPieces *pieces, GBytes *frame, guint64 max_held, GError **error)
{
    gsize len, taglen = strlen(VS_BULK_PACK_TAG);
    const guint8 *b = g_bytes_get_data(frame, &len);
    g_autofree guint8 *content = NULL;
    PackReader r = { .pieces = pieces, .pack = pieces->packs->len, .max_held = max_held };
    guint32 magic, size;

    if (len < 8)
        return vsErr(error, VS_ERROR_CORRUPT, "pack frame is cut short");
    memcpy(&magic, b, 4);
    memcpy(&size, b + 4, 4);
    if (GUINT32_FROM_LE(magic) != VS_BULK_PACK_MAGIC || GUINT32_FROM_LE(size) != len - 8)
        return vsErr(error, VS_ERROR_CORRUPT, "not a whole pack frame");
    if (len - 8 < taglen || memcmp(b + 8, VS_BULK_PACK_TAG, taglen) != 0)
        return vsErr(error, VS_ERROR_CORRUPT, "pack frame without its tag '%.*s'",
                     (int) taglen - 1, VS_BULK_PACK_TAG);
    if (packContent(b + 8 + taglen, len - 8 - taglen, max_held, &content, &r.n, error) < 0)
        return -1;
    r.b = content;
    if (packEntries(&r, error) < 0)
        return -1;
    g_ptr_array_add(pieces->packs, g_bytes_ref(frame));
    return 0;
}

/* ---------------------------------------------------------------- */
/* Resolving                                                          */

int
vsBulkPiecesResolve(vsBulkPieces *pieces, guint32 id, vsXmlSubtree **out, GError **error)
{
    vsBulkPiecesDef *def = g_hash_table_lookup(pieces->defs, GUINT_TO_POINTER(id));
    g_autofree vsXmlPiece **list = NULL;
    g_autoptr(GError) cerr = NULL;

    if (!def)
        return vsErr(error, VS_ERROR_CORRUPT, "<domain> names definition %u, which the "
                     "file does not hold", id);
    if (!def->resolved) {
        list = g_new(vsXmlPiece *, def->npieces);
        for (guint32 k = 0; k < def->npieces; k++)   /* all present: checked when read */
            list[k] = g_hash_table_lookup(pieces->pieces, GUINT_TO_POINTER(def->piece_ids[k]));
        if (vsXmlSubtreeFromPiecesChecked(&def->resolved, pieces->check, list, def->npieces,
                                          &cerr) < 0)
            return vsErr(error, VS_ERROR_CORRUPT, "<domain> names definition %u, which is "
                         "not a definition: %s", id, cerr->message);
    }
    *out = def->resolved;
    return 0;
}
