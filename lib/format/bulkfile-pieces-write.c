/* bulkfile-pieces-write.c — format 3's table as a writer extends it: a
 * commit derives the next table from the last (sharing its packs, never
 * changing it), defines the <domain>s its new record frames name, and
 * closes one new pack of what it added (the layout: bulkfile-pieces.h).
 *
 * Derive copies the old table's index (O(pieces + definitions' piece
 * lists), ~11 MB of ids for 1,600 distinct 4 MiB definitions), not the
 * packs: the packs are whole frames, written again as they are. */
#include <string.h>
#include <zstd.h>

#include "util/error.h"
#include "format/bulkfile-private.h"
#include "format/domaindedup.h"

static vsBulkPiecesDef *
defCopy(const vsBulkPiecesDef *def)
{
    vsBulkPiecesDef *copy = g_new0(vsBulkPiecesDef, 1);

    copy->npieces = def->npieces;
    copy->piece_ids = g_memdup2(def->piece_ids, (gsize) def->npieces * sizeof(guint32));
    copy->resolved = def->resolved ? vsXmlSubtreeRef(def->resolved) : NULL;
    copy->pack = def->pack;
    return copy;
}

/* @id names the definition @domain (a reference of the table's own). */
static void
defIndex(vsBulkPieces *pieces, vsXmlSubtree *domain, guint32 id)
{
    if (!g_hash_table_contains(pieces->def_ids, domain))
        g_hash_table_insert(pieces->def_ids, vsXmlSubtreeRef(domain), GUINT_TO_POINTER(id + 1));
}

vsBulkPieces *
vsBulkPiecesDerive(const vsBulkPieces *old)
{
    vsBulkPieces *pieces = vsBulkPiecesNew();
    GHashTableIter iter;
    gpointer key, value;

    if (!old)
        return pieces;
    for (guint i = 0; i < old->packs->len; i++)
        g_ptr_array_add(pieces->packs, g_bytes_ref(old->packs->pdata[i]));
    g_hash_table_iter_init(&iter, old->pieces);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_hash_table_insert(pieces->pieces, key, vsXmlPieceRef(value));
        g_hash_table_insert(pieces->piece_ids, value, GUINT_TO_POINTER(GPOINTER_TO_UINT(key) + 1));
    }
    /* A definition a load resolved is known by its text from then on. */
    g_hash_table_iter_init(&iter, old->defs);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        vsBulkPiecesDef *def = defCopy(value);

        g_hash_table_insert(pieces->defs, key, def);
        if (def->resolved)
            defIndex(pieces, def->resolved, GPOINTER_TO_UINT(key));
    }
    g_hash_table_iter_init(&iter, old->def_ids);
    while (g_hash_table_iter_next(&iter, &key, &value))
        defIndex(pieces, key, GPOINTER_TO_UINT(value) - 1);
    pieces->next_id = old->next_id;
    pieces->compact_base = old->compact_base;
    return pieces;
}

static void
pendingU32(GByteArray *out, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(out, (const guint8 *) &le, 4);
}

static guint32
newId(vsBulkPieces *pieces)
{
    /* the writer starts a table anew long before (VS_BULK_PIECES_ID_RENEW) */
    g_assert(pieces->next_id < G_MAXUINT32);
    return pieces->next_id++;
}

/* The id of @piece, defined in the pending pack if the table lacks it. */
static guint32
pieceId(vsBulkPieces *pieces, vsXmlPiece *piece)
{
    gpointer known = g_hash_table_lookup(pieces->piece_ids, piece);
    const char *text;
    gsize len;
    guint32 id;

    if (known)
        return GPOINTER_TO_UINT(known) - 1;
    id = newId(pieces);
    text = vsXmlPieceGetText(piece, &len);
    g_byte_array_append(pieces->pending, (const guint8 *) "P", 1);
    pendingU32(pieces->pending, id);
    pendingU32(pieces->pending, (guint32) len);
    g_byte_array_append(pieces->pending, (const guint8 *) text, len);
    g_hash_table_insert(pieces->pieces, GUINT_TO_POINTER(id), vsXmlPieceRef(piece));
    g_hash_table_insert(pieces->piece_ids, piece, GUINT_TO_POINTER(id + 1));
    return id;
}

guint32
vsBulkPiecesDefine(vsBulkPieces *pieces, vsXmlSubtree *domain)
{
    gpointer known = g_hash_table_lookup(pieces->def_ids, domain);
    guint n = vsXmlSubtreeGetPieceCount(domain);
    vsBulkPiecesDef *def;
    guint32 id;

    if (known)
        return GPOINTER_TO_UINT(known) - 1;
    if (!pieces->pending)
        pieces->pending = g_byte_array_new();
    def = g_new0(vsBulkPiecesDef, 1);
    def->npieces = n;
    def->piece_ids = g_new(guint32, MAX(n, 1));
    def->resolved = vsXmlSubtreeRef(domain);
    def->pack = pieces->packs->len;
    for (guint k = 0; k < n; k++)
        def->piece_ids[k] = pieceId(pieces, vsXmlSubtreeGetPiece(domain, k));
    id = newId(pieces);
    g_byte_array_append(pieces->pending, (const guint8 *) "D", 1);
    pendingU32(pieces->pending, id);
    pendingU32(pieces->pending, n);
    for (guint k = 0; k < n; k++)
        pendingU32(pieces->pending, def->piece_ids[k]);
    g_hash_table_insert(pieces->defs, GUINT_TO_POINTER(id), def);
    defIndex(pieces, domain, id);
    return id;
}

/* @content as one pack frame: magic, size, tag, and a zstd frame with its
 * content size and checksum (what a reader requires). */
static GBytes *
packFrame(const guint8 *content, gsize len, GError **error)
{
    gsize taglen = strlen(VS_BULK_PACK_TAG);
    gsize bound = ZSTD_compressBound(len);
    g_autofree guint8 *out = g_malloc(8 + taglen + bound);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    guint32 head[2];
    size_t n;

    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, BULK_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    n = ZSTD_compress2(cctx, out + 8 + taglen, bound, content, len);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n)) {
        vsErr(error, VS_ERROR_FAILED, "zstd compression failed: %s", ZSTD_getErrorName(n));
        return NULL;
    }
    if (taglen + n > G_MAXUINT32) {
        vsErr(error, VS_ERROR_FAILED, "a pack of %" G_GSIZE_FORMAT " bytes is too big for "
              "its frame", taglen + n);
        return NULL;
    }
    head[0] = GUINT32_TO_LE(VS_BULK_PACK_MAGIC);
    head[1] = GUINT32_TO_LE((guint32) (taglen + n));
    memcpy(out, head, 8);
    memcpy(out + 8, VS_BULK_PACK_TAG, taglen);
    return g_bytes_new_take(g_steal_pointer(&out), 8 + taglen + n);
}

int
vsBulkPiecesFinishPack(vsBulkPieces *pieces, GError **error)
{
    g_autoptr(GByteArray) pending = g_steal_pointer(&pieces->pending);
    GBytes *frame;

    if (!pending || pending->len == 0)
        return 0;
    if (!(frame = packFrame(pending->data, pending->len, error)))
        return -1;
    g_ptr_array_add(pieces->packs, frame);
    return 0;
}

gboolean
vsBulkPiecesIsDefinition(const vsXmlSubtree *domain)
{
    g_autofree char *tag = domain ? vsXmlSubtreeGetStartTag(domain) : NULL;

    return tag && vsDomainDedupIsDefinition(tag, 0, strlen(tag) - 1);
}

void
vsBulkPiecesReferenceLine(char line[VS_BULK_PIECES_LINE_MAX], guint32 id)
{
    g_snprintf(line, VS_BULK_PIECES_LINE_MAX, "<domain " VS_BULK_PIECES_ATTR "='%u'/>", id);
}

/* ---------------------------------------------------------------- */
/* Compaction                                                         */

GHashTable *
vsBulkPiecesLiveSetNew(void)
{
    return g_hash_table_new((GHashFunc) vsXmlSubtreeHash, (GEqualFunc) vsXmlSubtreeEqual);
}

static gint
idCompare(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
    return x < y ? -1 : x > y;
}

/* The keys of @table (ids), ascending: a pack lists entries in id order. */
static GArray *
sortedIds(GHashTable *table)
{
    GArray *ids = g_array_sized_new(FALSE, FALSE, sizeof(guint32), g_hash_table_size(table));
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        guint32 id = GPOINTER_TO_UINT(key);
        g_array_append_val(ids, id);
    }
    g_array_sort(ids, idCompare);
    return ids;
}

/* Keeps the definitions whose text is live (every definition a record
 * names was resolved or defined, so it has its text) and the pieces they
 * name; the rest go from every index. */
static void
compactDrop(vsBulkPieces *pieces, GHashTable *live)
{
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, pieces->defs);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        vsBulkPiecesDef *def = value;

        if (!def->resolved || !g_hash_table_contains(live, def->resolved)) {
            g_hash_table_iter_remove(&iter);
            continue;
        }
        def->pack = 0;
        for (guint32 k = 0; k < def->npieces; k++)
            g_hash_table_add(used, GUINT_TO_POINTER(def->piece_ids[k]));
    }
    g_hash_table_iter_init(&iter, pieces->def_ids);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        if (!g_hash_table_contains(live, key))
            g_hash_table_iter_remove(&iter);
    g_hash_table_iter_init(&iter, pieces->pieces);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (!g_hash_table_contains(used, key)) {
            g_hash_table_remove(pieces->piece_ids, value);
            g_hash_table_iter_remove(&iter);
        }
    }
}

int
vsBulkPiecesCompact(vsBulkPieces *pieces, GHashTable *live, GError **error)
{
    g_autoptr(GByteArray) content = g_byte_array_new();
    g_autoptr(GArray) piece_ids = NULL;
    g_autoptr(GArray) def_ids = NULL;
    GBytes *frame = NULL;

    g_clear_pointer(&pieces->pending, g_byte_array_unref);
    compactDrop(pieces, live);
    /* every piece before every definition: each names pieces before it */
    piece_ids = sortedIds(pieces->pieces);
    def_ids = sortedIds(pieces->defs);
    for (guint i = 0; i < piece_ids->len; i++) {
        guint32 id = g_array_index(piece_ids, guint32, i);
        gsize len;
        const char *text = vsXmlPieceGetText(
            g_hash_table_lookup(pieces->pieces, GUINT_TO_POINTER(id)), &len);

        g_byte_array_append(content, (const guint8 *) "P", 1);
        pendingU32(content, id);
        pendingU32(content, (guint32) len);
        g_byte_array_append(content, (const guint8 *) text, len);
    }
    for (guint i = 0; i < def_ids->len; i++) {
        guint32 id = g_array_index(def_ids, guint32, i);
        const vsBulkPiecesDef *def = g_hash_table_lookup(pieces->defs, GUINT_TO_POINTER(id));

        g_byte_array_append(content, (const guint8 *) "D", 1);
        pendingU32(content, id);
        pendingU32(content, def->npieces);
        for (guint32 k = 0; k < def->npieces; k++)
            pendingU32(content, def->piece_ids[k]);
    }
    g_ptr_array_set_size(pieces->packs, 0);
    if (content->len && !(frame = packFrame(content->data, content->len, error)))
        return -1;
    if (frame)
        g_ptr_array_add(pieces->packs, frame);
    return 0;
}
