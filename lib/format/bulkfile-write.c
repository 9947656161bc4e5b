/* bulkfile-write.c — writing a VM's bulk file: plain, streamed a record
 * at a time, or compressed as one zstd frame per run of records, reusing
 * the frames of runs that did not change (format.md, "Segments"). */
#include <string.h>
#include <zstd.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "format/bulkfile-private.h"

/* ---------------------------------------------------------------- */
/* Writing                                                            */

typedef struct {
    GString *buf;        /* one record at a time */
    const char *uuid;
} FormatCtx;

/* The kind's header comment and the root element (current= when one is). */
void
vsBulkAppendRoot(GString *buf, const vsTree *tree)
{
    const vsMomentKind *kind = vsTreeGetKind(tree);
    const vsMoment *cur = vsTreeGetCurrent(tree);

    g_string_append(buf, kind->bulk_header);
    if (cur) {
        g_string_append_printf(buf, "<%s current='", kind->list_element);
        vsXmlEscapeAttr(buf, cur->name);
        g_string_append(buf, "'>\n");
    } else {
        g_string_append_printf(buf, "<%s>\n", kind->list_element);
    }
}

void
vsBulkAppendEnd(GString *buf, const vsTree *tree)
{
    g_string_append_printf(buf, "</%s>\n", vsTreeGetKind(tree)->list_element);
}

static void
formatOne(const vsMoment *moment, gpointer data)
{
    FormatCtx *ctx = data;
    vsMomentFormatStored(ctx->buf, moment, ctx->uuid, 1);
}

void
vsBulkFileFormat(GString *buf, const vsTree *tree, const char *uuid)
{
    FormatCtx ctx = { buf, uuid };
    vsBulkAppendRoot(buf, tree);
    vsTreeForEach(tree, formatOne, &ctx);
    vsBulkAppendEnd(buf, tree);
}

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

static gsize
segmentWeight(const vsMoment *moment)
{
    vsXmlSubtree *domain = moment->domain;
    gsize len = 0;
    if (domain)
        vsXmlSubtreeGetCanonical(domain, &len);
    return len + SEGMENT_RECORD_OVERHEAD;
}

/* The previous write's frame for exactly these records, if any.  Records
 * are immutable, so the same pointers mean the same bytes. */
static BulkSegment *
segmentReusable(const vsBulkSegments *prev, const char *uuid, const vsMoment *const *records,
                guint count)
{
    BulkSegment *seg;

    if (!prev || !(seg = g_hash_table_lookup(prev->by_first, records[0])) ||
        seg->records->len != count ||
        (seg->uuid_sensitive && g_strcmp0(prev->uuid, uuid) != 0))
        return NULL;
    for (guint i = 0; i < count; i++)
        if (seg->records->pdata[i] != records[i])
            return NULL;
    return seg;
}

typedef struct {
    vsAtomicFile *af;
    const char *uuid;
    ZSTD_CCtx *cctx;
    GString *text;
    char *frame;
    gsize frame_size;
    char *zstd_error;
} FrameWriter;

/* Compresses @len bytes of @data as one complete frame (left in w->frame)
 * and writes it; returns its size, 0 after a zstd error. */
static gsize
frameCompress(FrameWriter *w, const char *data, gsize len)
{
    gsize bound = ZSTD_compressBound(len);
    size_t n;

    if (w->frame_size < bound) {
        g_free(w->frame);
        w->frame_size = bound;
        w->frame = g_malloc(bound);
    }
    /* Long-distance matching finds the previous copy of a big <domain>;
     * for small runs it only costs time. */
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_enableLongDistanceMatching,
                           len >= LDM_MIN_INPUT);
    n = ZSTD_compress2(w->cctx, w->frame, w->frame_size, data, len);
    if (ZSTD_isError(n)) {
        if (!w->zstd_error)
            w->zstd_error = g_strdup(ZSTD_getErrorName(n));
        return 0;
    }
    vsAtomicFileWrite(w->af, w->frame, n);
    return n;
}

static void
writeMarkerFrame(vsAtomicFile *af)
{
    guint32 head[2] = { GUINT32_TO_LE(SEGMENT_MARKER_MAGIC),
                        GUINT32_TO_LE((guint32) strlen(SEGMENT_MARKER)) };
    vsAtomicFileWrite(af, head, sizeof(head));
    vsAtomicFileWrite(af, SEGMENT_MARKER, strlen(SEGMENT_MARKER));
}

/* Compressed: header frame, marker, one frame per run of records (reused
 * from @prev when the run is unchanged), trailer frame. */
static int
bulkWriteSegments(vsAtomicFile *af, const vsTree *tree, const char *uuid,
                  const vsBulkSegments *prev, vsBulkSegments **out, GError **error)
{
    g_autoptr(GPtrArray) records = g_ptr_array_sized_new(vsTreeCount(tree));
    vsBulkSegments *next = vsBulkSegmentsNew(vsTreeGetKind(tree), uuid);
    FrameWriter w = { .af = af };
    guint start = 0;
    gsize weight = 0;
    int ret = 0;

    w.cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, BULK_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_windowLog, BULK_ZSTD_WINDOW_LOG);
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1);
    w.text = g_string_sized_new(64 * 1024);

    vsBulkAppendRoot(w.text, tree);
    frameCompress(&w, w.text->str, w.text->len);
    writeMarkerFrame(af);

    vsTreeForEach(tree, collectOne, records);
    for (guint i = 0; i < records->len; i++) {
        const vsMoment *const *run = (const vsMoment *const *) records->pdata + start;
        guint count = i + 1 - start;
        BulkSegment *seg;

        weight += segmentWeight(records->pdata[i]);
        if (i + 1 < records->len && weight < SEGMENT_CAP && count < SEGMENT_MAX_RECORDS &&
            !segmentBoundaryAfter(records->pdata[i]))
            continue;
        if ((seg = segmentReusable(prev, uuid, run, count))) {
            vsAtomicFileWrite(af, g_bytes_get_data(seg->frame, NULL),
                              g_bytes_get_size(seg->frame));
            vsBulkSegmentsReuse(next, seg);
        } else {
            g_autoptr(GPtrArray) kept = g_ptr_array_new_full(count,
                                                             (GDestroyNotify) vsMomentUnref);
            g_autoptr(GBytes) frame = NULL;
            gsize n;

            g_string_truncate(w.text, 0);
            for (guint k = 0; k < count; k++) {
                vsMomentFormatStored(w.text, run[k], uuid, 1);
                g_ptr_array_add(kept, vsMomentRef((vsMoment *) run[k]));
            }
            n = frameCompress(&w, w.text->str, w.text->len);
            frame = g_bytes_new(w.frame, n);
            vsBulkSegmentsAdd(next, kept, frame);
        }
        start = i + 1;
        weight = 0;
    }
    g_string_truncate(w.text, 0);
    vsBulkAppendEnd(w.text, tree);
    frameCompress(&w, w.text->str, w.text->len);

    if (w.zstd_error) {
        ret = vsErr(error, VS_ERROR_FAILED, "zstd compression failed: %s", w.zstd_error);
        vsBulkSegmentsFree(next);
    } else if (out) {
        *out = next;
    } else {
        vsBulkSegmentsFree(next);
    }
    ZSTD_freeCCtx(w.cctx);
    g_free(w.frame);
    g_free(w.zstd_error);
    g_string_free(w.text, TRUE);
    return ret;
}

static void
writePlainOne(const vsMoment *moment, gpointer data)
{
    FrameWriter *w = data;
    g_string_truncate(w->text, 0);
    vsMomentFormatStored(w->text, moment, w->uuid, 1);
    vsAtomicFileWrite(w->af, w->text->str, w->text->len);
}

int
vsBulkFileWrite(vsAtomicFile *af, const vsTree *tree, const char *uuid, gboolean compress,
                const vsBulkSegments *reuse, vsBulkSegments **segments, GError **error)
{
    FrameWriter w = { .af = af, .uuid = uuid };

    if (compress)
        return bulkWriteSegments(af, tree, uuid, reuse, segments, error);

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
