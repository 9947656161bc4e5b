/* bulkfile-segments.c — a compressed bulk file's frames, kept so that
 * the next write copies those of unchanged runs of records (format.md,
 * "Segments"), and their check. */
#include <string.h>
#include <zstd.h>

#include "util/error.h"
#include "format/bulkfile-private.h"

static void
segmentUnref(gpointer data)
{
    BulkSegment *seg = data;

    if (!g_atomic_int_dec_and_test(&seg->refs))
        return;
    g_ptr_array_unref(seg->records);
    g_bytes_unref(seg->frame);
    g_clear_pointer(&seg->ends, g_array_unref);
    g_free(seg);
}

vsBulkSegments *
vsBulkSegmentsNew(const vsMomentKind *kind, const char *uuid)
{
    vsBulkSegments *segs = g_new0(vsBulkSegments, 1);
    segs->kind = kind;
    segs->uuid = g_strdup(uuid);
    segs->segments = g_ptr_array_new_with_free_func(segmentUnref);
    return segs;
}

void
vsBulkSegmentsFree(vsBulkSegments *segs)
{
    if (!segs)
        return;
    g_free(segs->uuid);
    g_clear_pointer(&segs->scratch, vsBulkScratchRelease);
    vsBulkPiecesUnref(segs->pieces);
    g_free(segs->first_keys);
    g_free(segs->first_index);
    g_ptr_array_unref(segs->segments);
    g_free(segs);
}

gboolean
vsBulkRunNeedsUuid(gpointer const *records, guint count)
{
    for (guint i = 0; i < count; i++) {
        if (!vsMomentGetDomain(records[i]))
            return TRUE;
    }
    return FALSE;
}

vsBulkRunState
vsBulkSegmentsEndState(const vsBulkSegments *segs)
{
    vsBulkRunState none = { 0, 0 };
    guint n = segs->segments->len;

    return n ? ((const BulkSegment *) segs->segments->pdata[n - 1])->end : none;
}

static guint
firstSlot(const vsBulkSegments *segs, gconstpointer key)
{
    /* Fibonacci hashing: the top bits of the address times 2^64/phi (its
     * low bits are alignment). */
    guint64 h = (guint64) (guintptr) key * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
    guint slot = (guint) (h >> (64 - segs->first_bits));

    while (segs->first_keys[slot] && segs->first_keys[slot] != key)
        slot = (slot + 1) & segs->first_mask;
    return slot;
}

/* Room for @count frames, at most half the slots used. */
void
vsBulkSegmentsReserve(vsBulkSegments *segs, guint count)
{
    guint old_size = segs->first_keys ? segs->first_mask + 1 : 0;
    g_autofree gconstpointer *keys = NULL;
    g_autofree guint *index = NULL;
    guint bits = 6;

    while ((1u << bits) < 2 * count)
        bits++;
    if ((1u << bits) <= old_size)
        return;
    keys = g_steal_pointer(&segs->first_keys);
    index = g_steal_pointer(&segs->first_index);
    segs->first_bits = bits;
    segs->first_mask = (1u << bits) - 1;
    segs->first_keys = g_new0(gconstpointer, segs->first_mask + 1);
    segs->first_index = g_new(guint, segs->first_mask + 1);
    for (guint i = 0; i < old_size; i++) {
        if (keys[i]) {
            guint slot = firstSlot(segs, keys[i]);
            segs->first_keys[slot] = keys[i];
            segs->first_index[slot] = index[i];
        }
    }
}

gint
vsBulkSegmentsFind(const vsBulkSegments *segs, gconstpointer first)
{
    guint slot;

    if (!segs->first_keys)
        return -1;
    slot = firstSlot(segs, first);
    return segs->first_keys[slot] ? (gint) segs->first_index[slot] : -1;
}

BulkSegment *
vsBulkSegmentsByFirst(const vsBulkSegments *segs, gconstpointer first)
{
    gint i = vsBulkSegmentsFind(segs, first);

    return i < 0 ? NULL : segs->segments->pdata[i];
}

/* Adds @seg, taking its reference. */
static void
segmentsAdd(vsBulkSegments *segs, BulkSegment *seg)
{
    gconstpointer first = seg->records->pdata[0];
    guint slot;

    if (!segs->first_keys || 2 * (segs->segments->len + 1) > segs->first_mask + 1)
        vsBulkSegmentsReserve(segs, 2 * (segs->segments->len + 1));
    slot = firstSlot(segs, first);
    segs->first_keys[slot] = first;
    segs->first_index[slot] = segs->segments->len;
    g_ptr_array_add(segs->segments, seg);
}

void
vsBulkSegmentsAdd(vsBulkSegments *segs, GPtrArray *records, GBytes *frame, const gsize *ends)
{
    BulkSegment *seg = g_new0(BulkSegment, 1);

    seg->refs = 1;
    seg->records = g_ptr_array_ref(records);
    seg->frame = g_bytes_ref(frame);
    if (ends) {
        seg->ends = g_array_sized_new(FALSE, FALSE, sizeof(gsize), records->len);
        g_array_append_vals(seg->ends, ends, records->len);
    }
    seg->uuid_sensitive = vsBulkRunNeedsUuid(records->pdata, records->len);
    seg->start = vsBulkSegmentsEndState(segs);
    seg->end = seg->start;
    seg->rule = vsBulkRunRuleOf(records->pdata, records->len, segs->pieces != NULL, &seg->end);
    segmentsAdd(segs, seg);
}

void
vsBulkSegmentsReuse(vsBulkSegments *segs, const BulkSegment *seg)
{
    BulkSegment *shared = (BulkSegment *) seg;
    vsBulkRunState at = vsBulkSegmentsEndState(segs);

    g_assert(vsBulkRunStateEqual(at, seg->start));
    g_atomic_int_inc(&shared->refs);
    segmentsAdd(segs, shared);
}

/* Appends the content of one zstd frame (its size field is not trusted). */
static int
frameDecompress(GString *out, GBytes *frame)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { NULL, 0, 0 };
    char chunk[16 * 1024];
    size_t r = 1;
    int ret = 0;

    in.src = g_bytes_get_data(frame, &in.size);
    while (r != 0) {
        ZSTD_outBuffer o = { chunk, sizeof(chunk), 0 };
        r = ZSTD_decompressStream(dctx, &o, &in);
        if (ZSTD_isError(r) || (o.pos == 0 && in.pos == in.size && r != 0)) {
            ret = -1;
            break;
        }
        g_string_append_len(out, chunk, o.pos);
    }
    ZSTD_freeDCtx(dctx);
    return ret == 0 && in.pos == in.size ? 0 : -1;
}

int
vsBulkSegmentsVerify(const vsBulkSegments *segs, GError **error)
{
    g_autoptr(GString) expect = g_string_new(NULL);
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GString) doc = g_string_new(NULL);

    for (guint i = 0; i < segs->segments->len; i++) {
        BulkSegment *seg = segs->segments->pdata[i];
        g_autoptr(GPtrArray) parsed = NULL;
        g_autoptr(GError) perr = NULL;

        g_string_printf(doc, "<%s>\n", segs->kind->list_element);
        if (frameDecompress(doc, seg->frame) < 0)
            return vsErr(error, VS_ERROR_FAILED, "segment %u: not one complete zstd frame", i);
        g_string_append_printf(doc, "</%s>\n", segs->kind->list_element);
        if (vsBulkParseRecordsResolving(&parsed, segs->kind, doc->str, doc->len, segs->pieces,
                                        "frame", &perr) < 0)
            return vsErr(error, VS_ERROR_FAILED, "segment %u: its frame does not parse: %s",
                         i, perr->message);
        if (parsed->len != seg->records->len)
            return vsErr(error, VS_ERROR_FAILED, "segment %u: its frame holds %u records, "
                         "not %u", i, parsed->len, seg->records->len);
        for (guint k = 0; k < parsed->len; k++) {
            g_string_truncate(expect, 0);
            g_string_truncate(got, 0);
            vsMomentFormatStored(expect, seg->records->pdata[k], segs->uuid, 1);
            vsMomentFormatStored(got, parsed->pdata[k], segs->uuid, 1);
            if (!g_string_equal(got, expect))
                return vsErr(error, VS_ERROR_FAILED, "segment %u: record %u of its frame is "
                             "'%s', not '%s' as kept", i, k,
                             ((vsMoment *) parsed->pdata[k])->name,
                             ((vsMoment *) seg->records->pdata[k])->name);
        }
    }
    return 0;
}

