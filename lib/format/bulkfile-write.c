/* bulkfile-write.c — writing a VM's bulk file: plain, streamed a record
 * at a time, or compressed as one zstd frame per run of records, reusing
 * the frames of runs that did not change (format.md, "Segments"). */
#include <string.h>
#include <zstd.h>

#include "util/error.h"
#include "format/bulkfile-private.h"

/* ---------------------------------------------------------------- */
/* Writing                                                            */

static void
collectOne(const vsMoment *moment, gpointer data)
{
    g_ptr_array_add(data, (gpointer) moment);
}

static gboolean
segmentBoundaryAfter(const vsMoment *moment)
{
    /* g_str_hash's low bits are weak: mix before taking them. */
    guint32 h = g_str_hash(moment->name);
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h % SEGMENT_SPREAD == 0;
}

/* What a record weighs in a run: about its stored bytes, which are its
 * <domain>'s unless format 3 (@pieces) stores that as a reference. */
static gsize
segmentWeight(const vsMoment *moment, gboolean pieces)
{
    vsXmlSubtree *domain = moment->domain;

    if (!domain || (pieces && vsBulkPiecesIsDefinition(domain)))
        return SEGMENT_RECORD_OVERHEAD;
    return vsXmlSubtreeGetLength(domain) + SEGMENT_RECORD_OVERHEAD;
}

/* The previous write's frame for exactly these records, starting where
 * @next stands in its run, if any.  Records are immutable, so the same
 * pointers mean the same bytes. */
static BulkSegment *
segmentReusable(const vsBulkSegments *prev, const vsBulkSegments *next, const char *uuid,
                const vsMoment *const *records, guint count)
{
    BulkSegment *seg;

    if (!prev || !(seg = vsBulkSegmentsByFirst(prev, records[0])) ||
        seg->records->len != count ||
        (seg->uuid_sensitive && g_strcmp0(prev->uuid, uuid) != 0) ||
        !vsBulkRunStateEqual(seg->start, vsBulkSegmentsEndState(next)))
        return NULL;
    for (guint i = 0; i < count; i++)
        if (seg->records->pdata[i] != records[i])
            return NULL;
    return seg;
}

/* Kept between the commits of a handle while each buffer is at most this
 * big: one run at the cap (SEGMENT_CAP of domains, a record past it, as a
 * GString sizes it: the next power of two).  A commit that changes a run
 * of big <domain>s fills the run's text and the old frame's content anew;
 * freed, each would be mapped again and page-faulted at every commit
 * (~15 µs a 4 KiB page here; a redefine at 1,024 x 4 MiB took 20 k).
 * What a handle holds between commits is then at most two such buffers
 * (the ones it touched: ~2 × its biggest changed run) plus a zstd
 * context; handles of VMs with ~10 KB domains hold a few hundred KB as
 * before. */
#define SCRATCH_KEEP_MAX ((gsize) 2 * SEGMENT_CAP)

/* The header and end frames of the last writes, by their text: the same
 * text compresses to the same frame, and a frame however small costs ~20 K
 * instructions (zstd's fixed cost): both were half of a set current's
 * commit.  Three slots, the last used kept: the end, the header, and the
 * header before it (set current and back again). */
#define FRAME_MEMO_SLOTS 3
#define FRAME_MEMO_TEXT_MAX 1024

typedef struct {
    char *text;
    gsize len;
    GBytes *frame;
} FrameMemo;

struct _vsBulkScratch {
    ZSTD_CCtx *cctx;     /* created on first use: checksum set (the rest per frame) */
    ZSTD_DCtx *dctx;
    GString *text;       /* a run's records, formatted or kept */
    GString *plain;      /* the content of one frame of the previous write */
    char *frame;         /* a compressed frame */
    gsize frame_size;
    FrameMemo memo[FRAME_MEMO_SLOTS];   /* the last used first */
};

static void
memoClear(FrameMemo *m)
{
    g_clear_pointer(&m->text, g_free);
    g_clear_pointer(&m->frame, g_bytes_unref);
}

static void
scratchClear(vsBulkScratch *s)
{
    ZSTD_freeCCtx(s->cctx);
    ZSTD_freeDCtx(s->dctx);
    g_string_free(s->text, TRUE);
    g_string_free(s->plain, TRUE);
    g_free(s->frame);
    for (guint i = 0; i < FRAME_MEMO_SLOTS; i++)
        memoClear(&s->memo[i]);
}

void
vsBulkScratchRelease(vsBulkScratch *scratch)
{
    g_rc_box_release_full(scratch, (GDestroyNotify) scratchClear);
}

gsize
vsBulkScratchHeld(const vsBulkScratch *scratch)
{
    gsize memo = 0;

    for (guint i = 0; i < FRAME_MEMO_SLOTS; i++)
        if (scratch->memo[i].frame)
            memo += scratch->memo[i].len + g_bytes_get_size(scratch->memo[i].frame);
    return scratch->text->allocated_len + scratch->plain->allocated_len + scratch->frame_size +
           (scratch->cctx ? ZSTD_sizeof_CCtx(scratch->cctx) : 0) +
           (scratch->dctx ? ZSTD_sizeof_DCtx(scratch->dctx) : 0) + memo;
}

/* The previous write's scratch, or a new one. */
static vsBulkScratch *
scratchGet(const vsBulkSegments *prev)
{
    vsBulkScratch *s;

    if (prev && prev->scratch)
        return g_rc_box_acquire(prev->scratch);
    s = g_rc_box_new0(vsBulkScratch);
    s->text = g_string_sized_new(64 * 1024);
    s->plain = g_string_new(NULL);
    return s;
}

static void
stringTrim(GString **str)
{
    if ((*str)->allocated_len > SCRATCH_KEEP_MAX) {
        g_string_free(*str, TRUE);
        *str = g_string_new(NULL);
    }
}

/* Drops what grew past SCRATCH_KEEP_MAX (a run of big records). */
static void
scratchTrim(vsBulkScratch *s)
{
    stringTrim(&s->text);
    stringTrim(&s->plain);
    if (s->frame_size > SCRATCH_KEEP_MAX) {
        g_clear_pointer(&s->frame, g_free);
        s->frame_size = 0;
    }
    if (s->cctx && ZSTD_sizeof_CCtx(s->cctx) > SCRATCH_KEEP_MAX)
        g_clear_pointer(&s->cctx, ZSTD_freeCCtx);
}

static ZSTD_CCtx *
scratchCCtx(vsBulkScratch *s)
{
    if (!s->cctx) {
        s->cctx = ZSTD_createCCtx();
        /* level and window: per frame (frameCompress) */
        ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 1);
    }
    return s->cctx;
}

typedef struct {
    vsAtomicFile *af;
    const char *uuid;
    vsBulkScratch *s;
    const BulkSegment *plain_of;   /* the frame whose content is in s->plain */
    char *zstd_error;
    /* format 3: the next file's table (records name its definitions), and
     * the record frames, held until the packs before them are known */
    vsBulkPieces *pieces;
    GPtrArray *held;
} FrameWriter;

/* A frame of the document, written now or (format 3) once the packs are. */
static void
frameOut(FrameWriter *w, GBytes *frame)
{
    if (w->held)
        g_ptr_array_add(w->held, g_bytes_ref(frame));
    else
        vsAtomicFileWriteBytes(w->af, frame);
}

/* Compresses @len bytes of @data as one complete frame; empty after a
 * zstd error. */
static GBytes *
frameCompress(FrameWriter *w, const char *data, gsize len)
{
    vsBulkScratch *s = w->s;
    ZSTD_CCtx *cctx = scratchCCtx(s);
    gsize bound = ZSTD_compressBound(len);
    gboolean big = len >= LDM_MIN_INPUT, small = len < SMALL_FRAME_MAX;
    size_t n;

    if (s->frame_size < bound) {
        g_free(s->frame);
        s->frame_size = bound;
        s->frame = g_malloc(bound);
    }
    /* A run of big <domain>s: long-distance matching finds each one's
     * previous copies anywhere in the run's window, and the fast level
     * keeps the work to the changes between them; for small runs both
     * only cost time. */
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel,
                           big ? BULK_ZSTD_LEVEL_BIG
                               : small ? SMALL_FRAME_LEVEL : BULK_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, small ? SMALL_FRAME_HASH_LOG : 0);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog,
                           big ? BULK_ZSTD_WINDOW_LOG_BIG : BULK_ZSTD_WINDOW_LOG);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, big);
    n = ZSTD_compress2(cctx, s->frame, s->frame_size, data, len);
    if (ZSTD_isError(n)) {
        if (!w->zstd_error)
            w->zstd_error = g_strdup(ZSTD_getErrorName(n));
        n = 0;
    }
    return g_bytes_new(s->frame, n);
}

/* @text (the document's start or end) as a frame: the one a write of
 * this handle made of the same text, else compressed and kept. */
static GBytes *
frameCompressMemo(FrameWriter *w, const GString *text)
{
    vsBulkScratch *s = w->s;
    FrameMemo hit = { NULL, 0, NULL };
    guint i;

    for (i = 0; i < FRAME_MEMO_SLOTS; i++) {
        const FrameMemo *m = &s->memo[i];

        if (m->frame && m->len == text->len && memcmp(m->text, text->str, text->len) == 0)
            break;
    }
    if (i < FRAME_MEMO_SLOTS) {
        hit = s->memo[i];
    } else {
        GBytes *frame = frameCompress(w, text->str, text->len);

        if (text->len > FRAME_MEMO_TEXT_MAX || w->zstd_error)
            return frame;
        i = FRAME_MEMO_SLOTS - 1;
        memoClear(&s->memo[i]);
        hit = (FrameMemo) { g_memdup2(text->str, text->len), text->len, frame };
    }
    /* to the front, the others one down */
    memmove(&s->memo[1], &s->memo[0], i * sizeof(FrameMemo));
    s->memo[0] = hit;
    return g_bytes_ref(hit.frame);
}

/* Compresses and writes a frame of the document's start or end. */
static void
frameCompressOut(FrameWriter *w, const GString *text)
{
    g_autoptr(GBytes) frame = frameCompressMemo(w, text);
    frameOut(w, frame);
}

static void
writeMarkerFrame(vsAtomicFile *af, const char *marker)
{
    guint32 head[2] = { GUINT32_TO_LE(SEGMENT_MARKER_MAGIC),
                        GUINT32_TO_LE((guint32) strlen(marker)) };
    vsAtomicFileWrite(af, head, sizeof(head));
    vsAtomicFileWrite(af, marker, strlen(marker));
}

/* Appends record @k of @seg (a frame of @prev) as that frame holds it: the
 * same record (pointer) formats to the same bytes, and a frame's content
 * costs less to decompress than its records cost to format.  FALSE when
 * unknown (nothing appended). */
static gboolean
appendKept(FrameWriter *w, const vsBulkSegments *prev, const BulkSegment *seg, guint k)
{
    const gsize *ends = seg->ends ? (const gsize *) (gpointer) seg->ends->data : NULL;
    gsize total, start, len;
    const char *piece;

    if (!ends || seg->ends->len != seg->records->len ||
        (seg->uuid_sensitive && g_strcmp0(prev->uuid, w->uuid) != 0))
        return FALSE;
    total = ends[seg->records->len - 1];
    if (w->plain_of != seg) {
        GString *plain;
        gsize got;

        if (!w->s->dctx)
            w->s->dctx = ZSTD_createDCtx();
        w->plain_of = NULL;
        /* A bigger buffer anew: growing this one would copy what it held. */
        if (w->s->plain->allocated_len <= total) {
            g_string_free(w->s->plain, TRUE);
            w->s->plain = g_string_sized_new(total);
        }
        plain = w->s->plain;
        g_string_set_size(plain, total);
        got = ZSTD_decompressDCtx(w->s->dctx, plain->str, total,
                                  g_bytes_get_data(seg->frame, NULL),
                                  g_bytes_get_size(seg->frame));
        if (ZSTD_isError(got) || got != total)
            return FALSE;
        w->plain_of = seg;
    }
    start = k ? ends[k - 1] : 0;
    if (start >= ends[k] || ends[k] > total)
        return FALSE;
    piece = w->s->plain->str + start;
    len = ends[k] - start;
    /* only whole records, as this writer lays them out */
    if (len < 5 || memcmp(piece, "  <", 3) != 0 || memcmp(piece + len - 2, ">\n", 2) != 0)
        return FALSE;
    g_string_append_len(w->s->text, piece, len);
    return TRUE;
}

/* Writes a frame of the previous write again, as it is, and shares its
 * segment with @next. */
static void
copyFrame(FrameWriter *w, vsBulkSegments *next, const BulkSegment *seg)
{
    frameOut(w, seg->frame);
    vsBulkSegmentsReuse(next, seg);
}

/* A record formed anew: in format 3 its <domain>, if a definition, as a
 * reference to it (defined in the pack this write adds if new). */
static void
formatRecord(FrameWriter *w, const vsMoment *moment)
{
    char line[VS_BULK_PIECES_LINE_MAX];

    if (w->pieces && vsBulkPiecesIsDefinition(moment->domain)) {
        vsBulkPiecesReferenceLine(line, vsBulkPiecesDefine(w->pieces, moment->domain));
        vsMomentFormatStoredWith(w->s->text, moment, w->uuid, 1, line);
    } else {
        vsMomentFormatStored(w->s->text, moment, w->uuid, 1);
    }
}

/* Writes one run: the previous write's frame when it holds exactly these
 * records, else formatted and compressed (records kept from a frame of
 * the previous write copied from it, see appendKept). */
static void
emitRun(FrameWriter *w, const vsBulkSegments *prev, vsBulkSegments *next,
        const vsMoment *const *run, guint count)
{
    g_autoptr(GPtrArray) kept = NULL;
    g_autoptr(GBytes) frame = NULL;
    g_autofree gsize *ends = NULL;
    const BulkSegment *src = NULL;
    guint at = 0;
    BulkSegment *seg;

    if ((seg = segmentReusable(prev, next, w->uuid, run, count))) {
        copyFrame(w, next, seg);
        return;
    }
    kept = g_ptr_array_new_full(count, (GDestroyNotify) vsMomentUnref);
    ends = g_new(gsize, count);
    g_string_truncate(w->s->text, 0);
    for (guint k = 0; k < count; k++) {
        BulkSegment *first = prev ? vsBulkSegmentsByFirst(prev, run[k]) : NULL;

        /* where the previous write had this record, if anywhere */
        if (first) {
            src = first;
            at = 0;
        } else if (src && at + 1 < src->records->len && src->records->pdata[at + 1] == run[k]) {
            at++;
        } else {
            src = NULL;
        }
        if (!src || !appendKept(w, prev, src, at))
            formatRecord(w, run[k]);
        ends[k] = w->s->text->len;
        g_ptr_array_add(kept, vsMomentRef((vsMoment *) run[k]));
    }
    frame = frameCompress(w, w->s->text->str, w->s->text->len);
    frameOut(w, frame);
    vsBulkSegmentsAdd(next, kept, frame, ends);
}

/* Advances @state past @moment; TRUE when the rule ends the run there
 * (@state is then a run's start again). */
static gboolean
runStep(vsBulkRunState *state, const vsMoment *moment, gboolean pieces)
{
    state->count++;
    state->weight += segmentWeight(moment, pieces);
    if (state->weight >= SEGMENT_CAP || state->count >= SEGMENT_MAX_RECORDS ||
        segmentBoundaryAfter(moment)) {
        *state = (vsBulkRunState) { 0, 0 };
        return TRUE;
    }
    return FALSE;
}

/* Every run, walking every record in pre-order. */
static void
writeRunsAll(FrameWriter *w, const vsTree *tree, const vsBulkSegments *prev,
             vsBulkSegments *next)
{
    g_autoptr(GPtrArray) records = g_ptr_array_sized_new(vsTreeCount(tree));
    vsBulkRunState state = { 0, 0 };
    guint start = 0;

    vsTreeForEach(tree, collectOne, records);
    for (guint i = 0; i < records->len; i++) {
        if (!runStep(&state, records->pdata[i], w->pieces != NULL) && i + 1 < records->len)
            continue;
        emitRun(w, prev, next, (const vsMoment *const *) records->pdata + start, i + 1 - start);
        start = i + 1;
    }
}

vsBulkRunRule
vsBulkRunRuleOf(gpointer const *records, guint count, gboolean pieces, vsBulkRunState *state)
{
    for (guint k = 0; k < count; k++) {
        if (runStep(state, records[k], pieces))
            return k + 1 == count ? RUN_RULE_ENDS : RUN_RULE_NOT;
    }
    return RUN_RULE_OPEN;
}

/* What a change did to the frames of the previous write (vsBulkDirtyRuns). */
typedef struct {
    const vsTree *tree;
    const vsBulkSegments *prev;
    GHashTable *dirty;        /* BulkSegment broken */
    GHashTable *moved_after;  /* records whose successor may have changed -> it, or NULL */
    guint placed;             /* records of @tree the walk has placed so far */
    guint total;              /* records of @tree */
} Change;

/* Asked once or twice per frame: most changes leave the sets empty. */
static gboolean
setHas(GHashTable *set, gconstpointer key)
{
    return g_hash_table_size(set) != 0 && g_hash_table_contains(set, key);
}

/* The index of the frame of @prev that starts at @x and may be copied
 * where the walk stands in its run (@state): unbroken by the change,
 * formatted with this write's uuid if that matters, the rule applied from
 * @state; -1 if none. */
static gint
pieceKept(const Change *c, const char *uuid, const vsMoment *x, vsBulkRunState state)
{
    gint i = vsBulkSegmentsFind(c->prev, x);
    const BulkSegment *seg = i < 0 ? NULL : c->prev->segments->pdata[i];

    if (!seg || setHas(c->dirty, seg) || seg->rule == RUN_RULE_NOT ||
        (seg->uuid_sensitive && g_strcmp0(c->prev->uuid, uuid) != 0) ||
        !vsBulkRunStateEqual(seg->start, state))
        return -1;
    return i;
}

/* The record after @x (placed last) in the new tree: none once every
 * record is placed (the document's last record is where a new leaf, and
 * the leaf deleted again, leave the walk: climbing a long history's chain
 * to learn that touched a cold node per level, ~11,000 cache lines at
 * 5,000), else known to vsBulkDirtyRuns, else found (a lookup by name, and a
 * climb after a subtree). */
static const vsMoment *
successorOf(const Change *c, const vsMoment *x)
{
    const vsMoment *known;

    if (c->placed == c->total)
        return NULL;
    known = g_hash_table_lookup(c->moved_after, x);
    return known ? known : vsTreeNext(c->tree, x);
}

/* The record after unbroken frame @i of @prev in the new tree: the first
 * of the frame after it, as before, unless the change reached either
 * (vsBulkDirtyRuns lists every record whose successor it may have changed), else
 * successorOf. */
static const vsMoment *
pieceAfter(const Change *c, guint i)
{
    const BulkSegment *seg = c->prev->segments->pdata[i];
    const vsMoment *last = seg->records->pdata[seg->records->len - 1];

    if (c->prev->complete && !setHas(c->moved_after, last)) {
        const BulkSegment *after;

        if (i + 1 == c->prev->segments->len)
            return NULL;
        after = c->prev->segments->pdata[i + 1];
        if (!setHas(c->dirty, after))
            return after->records->pdata[0];
    }
    return successorOf(c, last);
}

/* Writes the run that starts at @x: the frames of @prev that hold its
 * first records unbroken, copied, then its other records formed as one
 * frame — or the whole run formed anew when that would leave it in more
 * than SEGMENT_MAX_PIECES frames, or when the rule ends it in more than
 * one (pieces are for the run still growing at the document's end: a
 * closed run is one frame, so a history made by appends costs on disk
 * what one written whole does).  @rest: an array for the records to
 * form, kept from one run to the next (a run's own arrays cost more than
 * copying its frame).  Returns the record after the run. */
static const vsMoment *
writeRun(FrameWriter *w, Change *c, vsBulkSegments *next, GPtrArray *rest,
         const vsMoment *x)
{
    const vsBulkSegments *prev = c->prev;
    const BulkSegment *kept[SEGMENT_MAX_PIECES];
    vsBulkRunState state = { 0, 0 };
    gboolean ended = FALSE;
    const BulkSegment *seg;
    guint nkept = 0, pieces;
    gint at;

    if (rest->len)
        g_ptr_array_set_size(rest, 0);
    while (!ended && x && nkept < SEGMENT_MAX_PIECES &&
           (at = pieceKept(c, w->uuid, x, state)) >= 0) {
        seg = kept[nkept++] = prev->segments->pdata[at];
        c->placed += seg->records->len;
        x = pieceAfter(c, at);
        state = seg->end;
        ended = seg->rule == RUN_RULE_ENDS;
    }
    while (!ended && x) {
        g_ptr_array_add(rest, (gpointer) x);
        c->placed++;
        ended = runStep(&state, x, w->pieces != NULL);
        x = successorOf(c, x);
    }
    pieces = nkept + (rest->len > 0);
    if (pieces > SEGMENT_MAX_PIECES || (ended && pieces > 1)) {
        g_autoptr(GPtrArray) all = g_ptr_array_new();

        for (guint i = 0; i < nkept; i++)
            g_ptr_array_extend(all, kept[i]->records, NULL, NULL);
        g_ptr_array_extend(all, rest, NULL, NULL);
        emitRun(w, prev, next, (const vsMoment *const *) all->pdata, all->len);
        return x;
    }
    for (guint i = 0; i < nkept; i++)
        copyFrame(w, next, kept[i]);
    if (rest->len)
        emitRun(w, prev, next, (const vsMoment *const *) rest->pdata, rest->len);
    return x;
}

/* The runs, visiting only what changed: from the first record, run by
 * run, the unbroken frames of @prev are copied and skipped whole; records
 * around a change are formed into frames.  The runs are those writeRunsAll
 * forms (the rule is applied record by record across copied frames), so
 * the document is the same; only how a run is cut into frames depends on
 * the previous write.  Cost: the changes, times the depth of the tree
 * around them, plus one step per frame.  FALSE (nothing written): the
 * caller walks every record. */
static gboolean
writeRunsChanged(FrameWriter *w, const vsTree *old, const vsTree *tree,
                 const vsBulkSegments *prev, vsBulkSegments *next)
{
    g_autoptr(GHashTable) dirty = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) moved_after = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) rest = g_ptr_array_new();
    Change c = { tree, prev, dirty, moved_after, 0, vsTreeCount(tree) };

    if (!vsBulkDirtyRuns(old, tree, prev, dirty, moved_after))
        return FALSE;
    for (const vsMoment *x = vsTreeFirst(tree); x;)
        x = writeRun(w, &c, next, rest, x);
    return TRUE;
}

/* Whether the frames of @prev may be copied into a file of this format
 * (@pieces: format 3): never across formats (a format-2 record holds its
 * <domain>, a format-3 one a reference), nor from a table whose ids are
 * nearly used up. */
static gboolean
segmentsReusable(const vsBulkSegments *prev, gboolean pieces)
{
    if (!prev || (prev->pieces != NULL) != pieces)
        return FALSE;
    return !pieces || prev->pieces->next_id < VS_BULK_PIECES_ID_RENEW;
}

static void
liveAddOne(const vsMoment *moment, gpointer data)
{
    if (moment->domain && vsBulkPiecesIsDefinition(moment->domain))
        g_hash_table_add(data, moment->domain);
}

/* Rewrites the packs as one of the definitions @tree's records name, when
 * the rule says (bulkfile-pieces.h: more than VS_BULK_PIECES_PACKS_MAX
 * packs, or under half the most records the tree had since the last
 * compaction). */
static int
compactIfDue(vsBulkPieces *pieces, const vsTree *tree, GError **error)
{
    g_autoptr(GHashTable) live = NULL;
    guint count = vsTreeCount(tree);

    pieces->compact_base = MAX(pieces->compact_base, count);
    if (pieces->packs->len <= VS_BULK_PIECES_PACKS_MAX && count >= pieces->compact_base / 2)
        return 0;
    live = vsBulkPiecesLiveSetNew();
    vsTreeForEach(tree, liveAddOne, live);
    if (vsBulkPiecesCompact(pieces, live, error) < 0)
        return -1;
    pieces->compact_base = count;
    return 0;
}

/* Format 3's file once its records are formed: header, marker, the packs
 * (the previous write's as they were, then this write's; or one, when
 * compacted), the record frames held until now; the trailer follows. */
static int
writePiecesFront(FrameWriter *w, const vsTree *tree, GBytes *head, GError **error)
{
    GPtrArray *packs;

    if (vsBulkPiecesFinishPack(w->pieces, error) < 0 ||
        compactIfDue(w->pieces, tree, error) < 0)
        return -1;
    vsAtomicFileWriteBytes(w->af, head);
    writeMarkerFrame(w->af, VS_BULK_SEGMENT_MARKER_3);
    packs = w->pieces->packs;
    for (guint i = 0; i < packs->len; i++)
        vsAtomicFileWriteBytes(w->af, packs->pdata[i]);
    for (guint i = 0; i < w->held->len; i++)
        vsAtomicFileWriteBytes(w->af, w->held->pdata[i]);
    g_clear_pointer(&w->held, g_ptr_array_unref);
    return 0;
}

/* Header frame, marker, (format 3: packs,) the runs, trailer frame.  With
 * @old (the tree @prev was written from, a version of @tree) only the runs
 * around what changed are walked (writeRunsChanged); else every record. */
static int
bulkWriteSegments(vsAtomicFile *af, const vsTree *old, const vsTree *tree, const char *uuid,
                  const vsBulkSegments *prev, gboolean pieces, vsBulkSegments **out,
                  GError **error)
{
    g_autoptr(vsBulkSegments) next = vsBulkSegmentsNew(vsTreeGetKind(tree), uuid);
    FrameWriter w = { .af = af, .uuid = uuid, .s = scratchGet(prev) };
    g_autoptr(GBytes) head = NULL;
    GString *text = w.s->text;
    int ret = 0;

    next->preorder = TRUE;
    next->complete = TRUE;
    next->scratch = w.s;
    if (!segmentsReusable(prev, pieces))
        prev = NULL;
    if (prev)
        vsBulkSegmentsReserve(next, prev->segments->len + 1);
    if (pieces) {
        next->pieces = w.pieces = vsBulkPiecesDerive(prev ? prev->pieces : NULL);
        w.held = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    }

    g_string_truncate(text, 0);
    if (pieces)
        vsBulkAppendRootPieces(text, tree);
    else
        vsBulkAppendRoot(text, tree);
    head = frameCompressMemo(&w, text);
    if (!pieces) {
        frameOut(&w, head);
        writeMarkerFrame(af, SEGMENT_MARKER);
    }

    if (!old || !prev || !writeRunsChanged(&w, old, tree, prev, next))
        writeRunsAll(&w, tree, prev, next);

    if (pieces && !w.zstd_error)
        ret = writePiecesFront(&w, tree, head, error);
    g_string_truncate(text, 0);
    vsBulkAppendEnd(text, tree);
    frameCompressOut(&w, text);
    scratchTrim(w.s);

    if (w.zstd_error && ret == 0)
        ret = vsErr(error, VS_ERROR_FAILED, "zstd compression failed: %s", w.zstd_error);
    if (ret == 0 && out)
        *out = g_steal_pointer(&next);
    if (w.held)
        g_ptr_array_unref(w.held);
    g_free(w.zstd_error);
    return ret;
}

typedef struct {
    vsAtomicFile *af;
    const char *uuid;
    GString *text;
} PlainWriter;

static void
writePlainOne(const vsMoment *moment, gpointer data)
{
    PlainWriter *w = data;
    g_string_truncate(w->text, 0);
    vsMomentFormatStored(w->text, moment, w->uuid, 1);
    vsAtomicFileWrite(w->af, w->text->str, w->text->len);
}

int
vsBulkFileWrite(vsAtomicFile *af, const vsTree *tree, const char *uuid, vsCompression mode,
                const vsBulkSegments *reuse, vsBulkSegments **segments, GError **error)
{
    return vsBulkFileWriteSince(af, NULL, tree, uuid, mode, reuse, segments, error);
}

int
vsBulkFileWriteSince(vsAtomicFile *af, const vsTree *old, const vsTree *tree, const char *uuid,
                     vsCompression mode, const vsBulkSegments *reuse,
                     vsBulkSegments **segments, GError **error)
{
    PlainWriter w = { .af = af, .uuid = uuid };

    if (mode != VS_COMPRESSION_NONE)
        return bulkWriteSegments(af, old, tree, uuid, reuse, mode == VS_COMPRESSION_PIECES,
                                 segments, error);

    /* Plain: streamed a record at a time; nothing to reuse. */
    w.text = g_string_sized_new(64 * 1024);
    vsBulkAppendRoot(w.text, tree);
    vsAtomicFileWrite(af, w.text->str, w.text->len);
    vsTreeForEach(tree, writePlainOne, &w);
    g_string_truncate(w.text, 0);
    vsBulkAppendEnd(w.text, tree);
    vsAtomicFileWrite(af, w.text->str, w.text->len);
    g_string_free(w.text, TRUE);
    if (segments)
        *segments = vsBulkSegmentsNew(vsTreeGetKind(tree), uuid);
    return 0;
}
