/* xmlsubtree-chunks.c — a subtree's canonical text as a sequence of
 * content-defined chunks, interned process-wide, so two definitions that
 * differ by one device share every chunk but the one or two around it.
 *
 * Why process-wide: the capture calls (vsXmlSubtreeFromNode and friends)
 * take no table, and a load, a commit's parse and another handle on the
 * same VM all hold near-identical <domain>s.  Thread-safety: one mutex
 * guards the table; a chunk is found and referenced, and its last
 * reference dropped and the chunk removed, only under it, so a chunk is
 * never revived while being freed.  Other reference changes are atomic and
 * lock-free (handles in two threads may share chunks).  A capture takes the
 * lock once; releasing a subtree takes it only for chunks it held last. */
#include <string.h>

#include "record/xmlsubtree-private.h"

/* ~1 KiB + 32 lines (~2.5 KiB) on average: a hot-plugged NIC's 6 lines
 * cost a chunk or two, and a 4 MiB definition's chunk list (8 bytes a
 * chunk) stays under 1 % of it. */
const vsXmlChunking vsXmlChunkingDefault = { 1024, 16 * 1024, 0x1f };

/* Per chunk: the object, its allocation and its table slot. */
#define CHUNK_OVERHEAD (sizeof(vsXmlChunk) + 40)

static GMutex table_lock;
static GHashTable *table;   /* vsXmlChunk*, a set */

guint
vsXmlBytesHash(const char *bytes, gsize len)
{
    /* 8 bytes at a time: a domain can be megabytes. */
    guint64 h = 0x9E3779B97F4A7C15u ^ len;
    gsize i = 0;
    guint32 h32;

    for (; i + 8 <= len; i += 8) {
        guint64 w;
        memcpy(&w, bytes + i, 8);
        h = (h ^ w) * 0x100000001B3u;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ (guchar) bytes[i]) * 0x100000001B3u;
    h ^= h >> 32;
    h32 = (guint32) h;
    return h32 ? h32 : 1;
}

guint
vsXmlSubtreeHashChunks(vsXmlChunk *const *chunks, guint n)
{
    /* the chunks' hashes already stand for their bytes: mixing them (and
     * their lengths) keeps a 4 MiB definition's hash at O(its chunk list) */
    guint64 h = 0x9E3779B97F4A7C15u ^ n;
    guint32 h32;

    for (guint i = 0; i < n; i++) {
        h = (h ^ chunks[i]->hash) * 0x100000001B3u;
        h = (h ^ chunks[i]->len) * 0x100000001B3u;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h32 = (guint32) h;
    return h32 ? h32 : 1;
}

static guint
chunkHash(gconstpointer key)
{
    return ((const vsXmlChunk *) key)->hash;
}

static gboolean
chunkEqual(gconstpointer a, gconstpointer b)
{
    const vsXmlChunk *x = a, *y = b;
    return x->hash == y->hash && x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
}

/* Where the chunk starting at @start ends.  *@secret is the next secret
 * marker at or after @start (or @end), kept across calls so the text is
 * searched for markers once in all.  *@chosen (optional): whether the
 * policy chose that end after a '\n' (not the text running out). */
static const char *
chunkCut(const char *start, const char *end, const char **secret, const vsXmlChunking *policy,
         gboolean *chosen)
{
    const char *p = start;

    if (chosen)
        *chosen = FALSE;

    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        const char *line_end = nl ? nl + 1 : end;
        gsize size = line_end - start;

        if (*secret < p) {
            *secret = memchr(p, MARK_SECRET_BEGIN, end - p);
            if (!*secret)
                *secret = end;
        }
        if (*secret < line_end) {
            /* no cut before the secret closes (its end marker may start
             * the next line) */
            const char *close = memchr(*secret, MARK_SECRET_END, end - *secret);
            p = close ? close + 1 : end;
            continue;
        }
        if (size >= policy->max ||
            (size >= policy->min && (vsXmlBytesHash(p, line_end - p) & policy->mask) == 0)) {
            if (chosen)
                *chosen = nl != NULL;
            return line_end;
        }
        p = line_end;
    }
    return end;
}

/* The table's chunk equal to [text, text + len), referenced, or a new one
 * added; *@added counts what a new one holds.  Under table_lock. */
static vsXmlChunk *
chunkIntern(const char *text, gsize len, gsize *added)
{
    vsXmlChunk probe = { .hash = vsXmlBytesHash(text, len), .len = len, .text = text };
    vsXmlChunk *chunk = g_hash_table_lookup(table, &probe);

    if (chunk) {
        g_atomic_int_inc(&chunk->refs);
        return chunk;
    }
    chunk = g_malloc(sizeof(*chunk) + len + 1);
    chunk->refs = 1;
    chunk->hash = probe.hash;
    chunk->len = len;
    chunk->lines = 0;
    for (const char *nl = text; (nl = memchr(nl, '\n', text + len - nl)); nl++)
        chunk->lines++;
    memcpy(chunk->data, text, len);
    chunk->data[len] = '\0';
    chunk->text = chunk->data;
    g_hash_table_add(table, chunk);
    *added += CHUNK_OVERHEAD + len;
    return chunk;
}

static void
chunkUnref(vsXmlChunk *chunk)
{
    gint refs = g_atomic_int_get(&chunk->refs);

    /* Not the last: no lock.  The last one goes under the lock, where
     * chunkIntern could otherwise hand it out again. */
    while (refs > 1) {
        if (g_atomic_int_compare_and_exchange_full(&chunk->refs, refs, refs - 1, &refs))
            return;
    }
    g_mutex_lock(&table_lock);
    if (g_atomic_int_dec_and_test(&chunk->refs)) {
        g_hash_table_remove(table, chunk);
        g_free(chunk);
    }
    g_mutex_unlock(&table_lock);
}

/* A subtree of @chunks (their references taken over), its length, lines
 * and hash from theirs: nothing reads the text again.  It holds its object
 * and its list (+ 64: the allocation); a capture adds the chunks it made. */
static vsXmlSubtree *
subtreeNew(vsXmlChunk *const *chunks, guint n)
{
    vsXmlSubtree *tree = g_malloc(sizeof(*tree) + n * sizeof(vsXmlChunk *));

    tree->refs = 1;
    tree->len = 0;
    tree->lines = 0;
    for (guint i = 0; i < n; i++) {
        tree->chunks[i] = chunks[i];
        tree->len += chunks[i]->len;
        tree->lines += chunks[i]->lines;
    }
    tree->hash = vsXmlSubtreeHashChunks(chunks, n);
    tree->default_cut = FALSE;
    tree->flat = NULL;
    tree->nchunks = n;
    tree->held = sizeof(*tree) + n * sizeof(vsXmlChunk *) + 64;
    return tree;
}

/* The process's table, made on first use.  Under table_lock. */
static void
tableEnsure(void)
{
    if (!table)
        table = g_hash_table_new(chunkHash, chunkEqual);
}

vsXmlSubtree *
vsXmlSubtreeFromText(const char *text, gsize len, const vsXmlChunking *policy)
{
    g_autoptr(GPtrArray) chunks = g_ptr_array_new();
    const char *end = text + len;
    const char *secret = text;
    vsXmlSubtree *tree;
    gsize added = 0;

    if (len > 0 && !(secret = memchr(text, MARK_SECRET_BEGIN, len)))
        secret = end;
    g_mutex_lock(&table_lock);
    tableEnsure();
    for (const char *p = text; p < end;) {
        const char *cut = chunkCut(p, end, &secret, policy, NULL);
        g_ptr_array_add(chunks, chunkIntern(p, cut - p, &added));
        p = cut;
    }
    g_mutex_unlock(&table_lock);

    tree = subtreeNew((vsXmlChunk *const *) chunks->pdata, chunks->len);
    tree->default_cut = policy == &vsXmlChunkingDefault;
    tree->held += added;
    return tree;
}

void
vsXmlSubtreeDestroy(vsXmlSubtree *tree)
{
    for (guint i = 0; i < tree->nchunks; i++)
        chunkUnref(tree->chunks[i]);
    g_free(tree->flat);
    g_free(tree);
}

const char *
vsXmlSubtreeGetCanonical(const vsXmlSubtree *tree, gsize *len)
{
    vsXmlSubtree *t = (vsXmlSubtree *) tree;
    char *flat;
    gsize at = 0;

    if (len)
        *len = tree->len;
    if (tree->nchunks == 1)
        return tree->chunks[0]->text;
    if ((flat = g_atomic_pointer_get(&t->flat)))
        return flat;
    flat = g_malloc(tree->len + 1);
    for (guint i = 0; i < tree->nchunks; i++) {
        memcpy(flat + at, tree->chunks[i]->text, tree->chunks[i]->len);
        at += tree->chunks[i]->len;
    }
    flat[at] = '\0';
    /* subtrees are shared across threads: the first copy made stays */
    if (!g_atomic_pointer_compare_and_exchange(&t->flat, NULL, flat)) {
        g_free(flat);
        flat = g_atomic_pointer_get(&t->flat);
    }
    return flat;
}

/* ------------------------------------------------------------------ */
/* Pieces (format 3)                                                    */

vsXmlPiece *
vsXmlPieceIntern(const char *text, gsize len, gsize *added)
{
    gsize ignored = 0;
    vsXmlChunk *chunk;

    g_mutex_lock(&table_lock);
    tableEnsure();
    chunk = chunkIntern(text, len, added ? added : &ignored);
    g_mutex_unlock(&table_lock);
    return chunk;
}

vsXmlPiece *
vsXmlPieceRef(vsXmlPiece *piece)
{
    g_atomic_int_inc(&piece->refs);
    return piece;
}

void
vsXmlPieceUnref(vsXmlPiece *piece)
{
    if (piece)
        chunkUnref(piece);
}

const char *
vsXmlPieceGetText(const vsXmlPiece *piece, gsize *len)
{
    if (len)
        *len = piece->len;
    return piece->text;
}

guint
vsXmlSubtreeGetPieceCount(const vsXmlSubtree *tree)
{
    return tree->nchunks;
}

vsXmlPiece *
vsXmlSubtreeGetPiece(const vsXmlSubtree *tree, guint index)
{
    g_return_val_if_fail(index < tree->nchunks, NULL);
    return tree->chunks[index];
}

vsXmlSubtree *
vsXmlSubtreeFromPieces(vsXmlPiece *const *pieces, guint n)
{
    vsXmlSubtree *tree = subtreeNew(pieces, n);

    for (guint i = 0; i < n; i++)
        vsXmlPieceRef(pieces[i]);
    return tree;
}

gboolean
vsXmlPieceCutAsCapture(const vsXmlPiece *piece, gboolean last)
{
    const char *end = piece->text + piece->len;
    const char *secret = piece->text;
    gboolean chosen;

    /* chunkCut over the piece alone sees the same lines up to its end as
     * over the whole text, when that end is a line's ('\n') end: the cut
     * the whole text gets there is the one chosen here */
    if (piece->len == 0)
        return FALSE;
    if (!(secret = memchr(piece->text, MARK_SECRET_BEGIN, piece->len)))
        secret = end;
    return chunkCut(piece->text, end, &secret, &vsXmlChunkingDefault, &chosen) == end &&
           (last || chosen);
}
