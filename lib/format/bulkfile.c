/* bulkfile.c — the document of one VM's moments of one kind
 * (<snapshots current='…'> of <domainsnapshot>s for snapshots).
 *
 * Reading streams the file through xmlTextReader and expands one
 * record at a time, so peak memory is one record's DOM plus the
 * tree, never a DOM of the whole file.  Compressed files are recognised by
 * the zstd magic number, never by name, and decompressed on the fly. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/xmlreader.h>
#include <zstd.h>

#include "format/bulkfile.h"
#include "format/domaindedup.h"
#include "util/error.h"
#include "util/xmltext.h"
#include "tree/tree.h"

/* zstd window for new files: 8 MiB is enough for a 4 MiB <domain> to find
 * the previous snapshot's copy (a parent is written just before its first
 * child), and bounds what a reader must hold.  Readers accept windows up to
 * 128 MiB so files from other writers still load, never more. */
#define BULK_ZSTD_WINDOW_LOG 23
#define BULK_ZSTD_WINDOW_LOG_MAX 27
#define BULK_ZSTD_LEVEL 3

static const unsigned char zstd_magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };

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
#define LDM_MIN_INPUT ((gsize) 4 * 1024 * 1024)

/* A loaded file's frames are reused only when its header frame holds
 * exactly what this writer writes (appendRoot): a declaration there (an
 * encoding, a namespace) gives its records a meaning that copying them
 * into our header would change.  A header is at most ~1.7 KB. */
#define HEAD_MAX 4096

/* A skippable frame (ignored by every zstd decoder) right after the header
 * frame says the records are framed by this writer: bump the version when
 * record formatting changes, so old frames are never mixed with new ones. */
#define SEGMENT_MARKER_MAGIC 0x184D2A56u
#define SEGMENT_MARKER "virtsnap-segments 2"

typedef struct {
    GPtrArray *records;       /* vsMoment refs, in document order */
    GBytes *frame;            /* one complete zstd frame */
    gboolean uuid_sensitive;  /* a record without <domain>: formatted from the uuid */
} BulkSegment;

struct _vsBulkSegments {
    const vsMomentKind *kind;
    char *uuid;               /* what uuid-sensitive segments were formatted with */
    GPtrArray *segments;      /* BulkSegment, owned */
    GHashTable *by_first;     /* first record -> BulkSegment */
};

typedef struct {
    guint64 comp_start, comp_end;  /* in the file */
    guint64 doc_start, doc_end;    /* in the decompressed document */
} BulkFrame;

static void
segmentFree(gpointer data)
{
    BulkSegment *seg = data;
    g_ptr_array_unref(seg->records);
    g_bytes_unref(seg->frame);
    g_free(seg);
}

static vsBulkSegments *
segmentsNew(const vsMomentKind *kind, const char *uuid)
{
    vsBulkSegments *segs = g_new0(vsBulkSegments, 1);
    segs->kind = kind;
    segs->uuid = g_strdup(uuid);
    segs->segments = g_ptr_array_new_with_free_func(segmentFree);
    segs->by_first = g_hash_table_new(g_direct_hash, g_direct_equal);
    return segs;
}

void
vsBulkSegmentsFree(vsBulkSegments *segs)
{
    if (!segs)
        return;
    g_free(segs->uuid);
    g_hash_table_unref(segs->by_first);
    g_ptr_array_unref(segs->segments);
    g_free(segs);
}

/* Whether a run holds a record without <domain>, which is formatted from
 * the VM's uuid rather than from itself. */
static gboolean
runNeedsUuid(gpointer const *records, guint count)
{
    for (guint i = 0; i < count; i++) {
        if (!vsMomentGetDomain(records[i]))
            return TRUE;
    }
    return FALSE;
}

static void
segmentsAdd(vsBulkSegments *segs, GPtrArray *records, GBytes *frame)
{
    BulkSegment *seg = g_new0(BulkSegment, 1);
    seg->records = g_ptr_array_ref(records);
    seg->frame = g_bytes_ref(frame);
    seg->uuid_sensitive = runNeedsUuid(records->pdata, records->len);
    g_ptr_array_add(segs->segments, seg);
    g_hash_table_insert(segs->by_first, records->pdata[0], seg);
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

static int bulkParseRecordsOnly(GPtrArray **out, const vsMomentKind *kind, const char *data,
                                gsize len, const char *label, GError **error);

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
        if (bulkParseRecordsOnly(&parsed, segs->kind, doc->str, doc->len, "frame", &perr) < 0)
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

/* ---------------------------------------------------------------- */
/* Input: plain bytes or a zstd stream, from memory or a descriptor. */

typedef struct {
    const vsMomentKind *kind; /* of the records */
    int fd;                   /* -1 when reading from memory */
    const char *mem;
    gsize mem_len, mem_pos;
    gboolean compressed;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    char *inbuf;
    gsize inbuf_size;
    gboolean src_eof;
    gboolean zstd_frame_open; /* a frame has started and not ended */
    guint64 raw_offset;       /* source offset of inbuf[0] */
    GArray *frames;           /* BulkFrame, when the caller wants segments */
    BulkFrame frame;          /* the frame being decoded */
    gboolean marker_seen;     /* our segment marker frame was in the stream */
    GString *head;            /* the document's first HEAD_MAX bytes, with frames */
    GPtrArray *records_only;  /* set: collect the records here, link nothing */
    guint64 produced;         /* document bytes handed to libxml2 */
    guint64 max_document;     /* cap on the decompressed document */
    guint64 max_held;         /* cap on what the load holds (the load limit) */
    guint64 held;             /* held by the records read so far */
    vsDomainDedup *dedup;     /* the filter reading from this input */
    int err;                  /* errno of a failed read */
    char *zstd_error;
    gboolean too_large;       /* the document passed max_document */
} BulkInput;

/* Raw bytes from the source (file or memory). */
static gssize
inputReadRaw(BulkInput *in, char *buf, gsize len)
{
    if (in->fd < 0) {
        gsize n = MIN(len, in->mem_len - in->mem_pos);
        if (n == 0)
            return 0;
        memcpy(buf, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return n;
    }
    for (;;) {
        ssize_t n = read(in->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            in->err = errno;
        return n;
    }
}

/* Notes where a frame starts, and whether it is our segment marker (only
 * recognised when its few bytes are already buffered, as they are near the
 * start of the file; missing it just means no frame is reused). */
static void
inputFrameStart(BulkInput *in, gsize out_pos)
{
    const guint8 *p = (const guint8 *) in->in.src + in->in.pos;
    gsize avail = in->in.size - in->in.pos;
    gsize mlen = strlen(SEGMENT_MARKER);
    guint32 magic, size;

    in->frame.comp_start = in->raw_offset + in->in.pos;
    in->frame.doc_start = in->produced + out_pos;
    if (avail < 8 + mlen)
        return;
    memcpy(&magic, p, 4);
    memcpy(&size, p + 4, 4);
    if (GUINT32_FROM_LE(magic) == SEGMENT_MARKER_MAGIC && GUINT32_FROM_LE(size) == mlen &&
        memcmp(p + 8, SEGMENT_MARKER, mlen) == 0)
        in->marker_seen = TRUE;
}

/* The document's bytes: the file's, or zstd-decompressed. */
static gssize
inputReadDocument(gpointer opaque, char *buf, gsize len)
{
    BulkInput *in = opaque;
    gssize n;

    if (!in->compressed) {
        n = inputReadRaw(in, buf, len);
    } else {
        ZSTD_outBuffer out = { buf, (size_t) len, 0 };
        while (out.pos == 0) {
            if (in->in.pos == in->in.size && !in->src_eof) {
                gssize got = inputReadRaw(in, in->inbuf, in->inbuf_size);
                if (got < 0)
                    return -1;
                if (got == 0)
                    in->src_eof = TRUE;
                in->raw_offset += in->in.size;
                in->in.src = in->inbuf;
                in->in.size = got;
                in->in.pos = 0;
            }
            if (in->in.pos == in->in.size && in->src_eof)
                break;
            if (!in->zstd_frame_open && in->frames)
                inputFrameStart(in, out.pos);
            size_t r = ZSTD_decompressStream(in->dctx, &out, &in->in);
            if (ZSTD_isError(r)) {
                in->zstd_error = g_strdup(ZSTD_getErrorName(r));
                return -1;
            }
            in->zstd_frame_open = (r != 0);
            if (r == 0 && in->frames) {
                in->frame.comp_end = in->raw_offset + in->in.pos;
                in->frame.doc_end = in->produced + out.pos;
                g_array_append_val(in->frames, in->frame);
            }
        }
        if (out.pos == 0 && in->zstd_frame_open) {
            in->zstd_error = g_strdup("compressed data is truncated");
            return -1;
        }
        n = out.pos;
    }
    if (n > 0) {
        if (in->head && in->head->len < HEAD_MAX)
            g_string_append_len(in->head, buf, MIN((gsize) n, HEAD_MAX - in->head->len));
        in->produced += n;
        if (in->produced > in->max_document) {
            in->too_large = TRUE;
            return -1;
        }
    }
    return n;
}

static int
inputReadCallback(void *opaque, char *buf, int len)
{
    return (int) vsDomainDedupRead(opaque, buf, len);
}

static void
inputClear(BulkInput *in)
{
    if (in->dctx)
        ZSTD_freeDCtx(in->dctx);
    g_free(in->inbuf);
    g_free(in->zstd_error);
    if (in->frames)
        g_array_unref(in->frames);
    if (in->head)
        g_string_free(in->head, TRUE);
}

static void
inputLimits(BulkInput *in, const vsBulkReadOptions *opts)
{
    in->max_held = opts && opts->max_held ? opts->max_held : VS_STORE_LOAD_LIMIT_DEFAULT;
    in->max_document = opts && opts->max_document ? opts->max_document : VS_BULK_DOCUMENT_MAX;
}

/* Peeks the first 4 bytes to choose plain or zstd; keeps them for libxml2. */
static int
inputStart(BulkInput *in, const char *label, GError **error)
{
    unsigned char head[4];
    gsize have = 0;

    if (in->fd < 0) {
        have = MIN(4, in->mem_len);
        if (have > 0)   /* an empty document may come as (NULL, 0) */
            memcpy(head, in->mem, have);
    } else {
        while (have < 4) {
            gssize n = inputReadRaw(in, (char *) head + have, 4 - have);
            if (n < 0)
                return vsErrErrno(error, in->err, "%s: cannot read", label);
            if (n == 0)
                break;
            have += n;
        }
        if (lseek(in->fd, 0, SEEK_SET) < 0)
            return vsErrErrno(error, errno, "%s: cannot seek", label);
    }
    if (have == 4 && memcmp(head, zstd_magic, 4) == 0) {
        in->compressed = TRUE;
        in->dctx = ZSTD_createDCtx();
        ZSTD_DCtx_setParameter(in->dctx, ZSTD_d_windowLogMax, BULK_ZSTD_WINDOW_LOG_MAX);
        in->inbuf_size = ZSTD_DStreamInSize();
        in->inbuf = g_malloc(in->inbuf_size);
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* Parsing                                                            */

static void
readerErrorHandler(void *data, const xmlError *err)
{
    vsXmlProblemRecord(data, err);
}

static int
corrupt(GError **error, const char *label, int line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int
corrupt(GError **error, const char *label, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        return vsErr(error, VS_ERROR_CORRUPT, "%s:%d: %s", label, line, msg);
    return vsErr(error, VS_ERROR_CORRUPT, "%s: %s", label, msg);
}

#define LOAD_LIMIT_TEXT \
    "loading needs more than the load limit of %" G_GUINT64_FORMAT " bytes of memory for " \
    "distinct snapshot data (the store's load-limit setting)"

/* Explains why the reader stopped: our input layer or libxml2. */
static int
readerFailure(GError **error, const char *label, BulkInput *in,
              vsXmlProblem *errs, xmlTextReaderPtr reader)
{
    guint64 offset = 0;

    switch (in->dedup ? vsDomainDedupGetStop(in->dedup, &offset) : VS_DEDUP_READING) {
    case VS_DEDUP_RECORD_TOO_LARGE:
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s: the snapshot record at byte %" G_GUINT64_FORMAT " is larger than "
                     "the limit of %" G_GUINT64_FORMAT " bytes per snapshot",
                     label, offset, (guint64) VS_BULK_RECORD_MAX);
    case VS_DEDUP_OVER_BUDGET:
        return vsErr(error, VS_ERROR_TOO_LARGE, "%s: " LOAD_LIMIT_TEXT ", reading the record "
                     "at byte %" G_GUINT64_FORMAT, label, in->max_held, offset);
    case VS_DEDUP_READING:
        break;
    }
    if (in->too_large)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s: document is larger than the format's limit of %" G_GUINT64_FORMAT
                     " bytes", label, in->max_document);
    if (in->err)
        return vsErrErrno(error, in->err, "%s: cannot read", label);
    if (in->zstd_error)
        return corrupt(error, label, 0, "zstd: %s", in->zstd_error);
    if (in->produced == 0)   /* libxml2 would say "Extra content at the end" */
        return corrupt(error, label, 0, "no <%s> document (empty or truncated file)",
                       in->kind->list_element);
    if (errs->message)
        return corrupt(error, label, errs->line, "%s", errs->message);
    return corrupt(error, label, xmlTextReaderGetParserLineNumber(reader),
                   "unreadable XML");
}

/* The root (<snapshots>) carries current= and nothing else: no namespace declaration
 * (records would depend on it, and frames are copied without it), no
 * other attribute (format.md says it is invalid). */
static int
rootAttributes(xmlTextReaderPtr reader, const char *root, char **current, const char *label,
               int line, GError **error)
{
    int r;

    for (r = xmlTextReaderMoveToFirstAttribute(reader); r == 1;
         r = xmlTextReaderMoveToNextAttribute(reader)) {
        const char *name = (const char *) xmlTextReaderConstName(reader);

        if (xmlTextReaderIsNamespaceDecl(reader) == 1)
            return corrupt(error, label, line, "namespace declaration '%s' on <%s> is "
                           "not allowed", name, root);
        if (strcmp(name, "current") != 0)
            return corrupt(error, label, line, "unexpected attribute '%s' on <%s>",
                           name, root);
        *current = (char *) xmlTextReaderValue(reader);
    }
    xmlTextReaderMoveToElement(reader);
    return 0;
}

/* The load limit bounds what the load holds: each record's own data, each
 * distinct <domain> once, and what the filter keeps to recognise repeats.
 * A document of many distinct big records (a compression bomb) stops here,
 * a big but repetitive one does not. */
static int
chargeRecord(BulkInput *in, const vsMoment *moment, gsize domain_bytes, const char *label,
             int line, GError **error)
{
    in->held += vsMomentOwnBytes(moment) + domain_bytes;
    if (in->held + vsDomainDedupGetHeldBytes(in->dedup) > in->max_held)
        return vsErr(error, VS_ERROR_TOO_LARGE, "%s:%d: " LOAD_LIMIT_TEXT, label, line,
                     in->max_held);
    return 0;
}

/* Expands the record under the reader and adds it, unlinked.  Each
 * distinct <domain> is kept once (vsMomentShareDomain): memory grows with
 * unique domain bytes. */
static int
bulkParseRecord(vsTree *tree, GHashTable *domains, vsDomainDedup *dedup, GPtrArray *order,
                xmlTextReaderPtr reader, const char *label, int line, BulkInput *in,
                vsXmlProblem *errs, GError **error)
{
    g_autoptr(vsMoment) moment = NULL;
    g_autoptr(GError) perr = NULL;
    xmlNodePtr node = xmlTextReaderExpand(reader);
    vsXmlSubtree *repeated = NULL;
    gsize domain_bytes = 0;
    int def_index;

    if (!node)
        return readerFailure(error, label, in, errs, reader);
    /* The parser reads ahead; the element knows where it starts. */
    if (xmlGetLineNo(node) > 0)
        line = xmlGetLineNo(node);
    if (vsDomainDedupPrepareRecord(dedup, node, &def_index, &repeated, &perr) < 0 ||
        in->kind->parse_stored(&moment, node, &perr) < 0) {
        g_set_error(error, VS_ERROR,
                    perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE : VS_ERROR_CORRUPT,
                    "%s:%d: %s", label, line, perr->message);
        return -1;
    }
    /* Every name create refuses is refused here too: a name is a file
     * name when the VM is exported to libvirt's layout. */
    if (in->kind->name_check(moment->name, &perr) < 0)
        return corrupt(error, label, line, "%s", perr->message);
    if (repeated)
        vsMomentSetDomain(moment, repeated);   /* already shared */
    else
        domain_bytes = vsMomentShareDomain(domains, moment);
    if (chargeRecord(in, moment, domain_bytes, label, line, error) < 0)
        return -1;
    if (def_index >= 0)
        vsDomainDedupRegister(dedup, def_index, vsMomentGetDomain(moment));
    if (vsTreeAddUnlinked(tree, moment, &perr) < 0)
        return corrupt(error, label, line, "%s", perr->message);
    if (order)
        g_ptr_array_add(order, vsSnapshotRef(moment));
    return 0;
}

/* The compressed bytes of @frame, from the source. */
static GBytes *
inputFrameBytes(BulkInput *in, const BulkFrame *frame)
{
    gsize len = frame->comp_end - frame->comp_start;
    char *data;
    gsize got = 0;

    if (in->fd < 0)
        return g_bytes_new(in->mem + frame->comp_start, len);
    data = g_malloc(len);
    while (got < len) {
        ssize_t n = pread(in->fd, data + got, len - got, frame->comp_start + got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_free(data);
            return NULL;
        }
        got += n;
    }
    return g_bytes_new_take(data, len);
}

static void appendRoot(GString *buf, const vsTree *tree);

/* Whether the file's first frame is exactly the header this writer would
 * write for @tree. */
static gboolean
headerIsOurs(const BulkInput *in, const vsTree *tree)
{
    g_autoptr(GString) ours = g_string_new(NULL);
    const BulkFrame *first;

    if (!in->frames->len)
        return FALSE;
    first = &g_array_index(in->frames, BulkFrame, 0);
    appendRoot(ours, tree);
    return first->doc_start == 0 && first->doc_end == ours->len &&
           in->head->len >= ours->len && memcmp(in->head->str, ours->str, ours->len) == 0;
}

/* After a good load: the frames that hold whole records, laid out exactly
 * as this writer lays them out (each record "  <domainsnapshot>…\n", nothing
 * between) under our own header, become reusable segments.  Anything else
 * is just not reused. */
static vsBulkSegments *
segmentsFromLoad(BulkInput *in, vsDomainDedup *dedup, GPtrArray *order, const vsTree *tree)
{
    vsBulkSegments *segs = segmentsNew(in->kind, NULL);
    guint nspans, next = 0;
    const vsDomainDedupRecordSpan *spans = vsDomainDedupGetRecordSpans(dedup, &nspans);

    if (!in->marker_seen || !spans || nspans != order->len || !headerIsOurs(in, tree))
        return segs;
    for (guint f = 0; f < in->frames->len; f++) {
        const BulkFrame *frame = &g_array_index(in->frames, BulkFrame, f);
        guint first = next;
        gboolean exact = TRUE;
        guint64 expect = frame->doc_start + 2;

        while (next < nspans && spans[next].start < frame->doc_end) {
            exact = exact && spans[next].start == expect && spans[next].end < frame->doc_end;
            expect = spans[next].end + 3;
            next++;
        }
        if (next == first || !exact || expect - 2 != frame->doc_end)
            continue;
        /* A record without <domain> was formatted from a uuid we cannot
         * know here: such a run is never reused from the file. */
        if (runNeedsUuid(order->pdata + first, next - first))
            continue;
        {
            g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
                (GDestroyNotify) vsSnapshotUnref);
            g_autoptr(GBytes) bytes = inputFrameBytes(in, frame);

            if (!bytes)
                continue;
            for (guint i = first; i < next; i++)
                g_ptr_array_add(records, vsSnapshotRef(order->pdata[i]));
            segmentsAdd(segs, records, bytes);
        }
    }
    return segs;
}

static int
bulkParse(vsTree **out, vsBulkSegments **segments, BulkInput *in, const char *label,
          GError **error)
{
    g_autoptr(GPtrArray) order = NULL;
    g_autoptr(vsTree) tree = vsTreeNew(in->kind);
    g_autofree char *current = NULL;
    g_autoptr(GHashTable) domains = vsMomentDomainTableNew();
    vsXmlProblem errs = { 0 };
    g_autoptr(vsDomainDedup) dedup = NULL;
    xmlTextReaderPtr reader = NULL;
    gboolean seen_root = FALSE, root_closed = FALSE;
    int ret = -1;
    int r;

    if (inputStart(in, label, error) < 0)
        return -1;
    if (in->records_only) {
        order = g_ptr_array_ref(in->records_only);
    } else if (segments && in->compressed) {
        order = g_ptr_array_new_with_free_func((GDestroyNotify) vsSnapshotUnref);
        in->frames = g_array_new(FALSE, FALSE, sizeof(BulkFrame));
        in->head = g_string_sized_new(HEAD_MAX);
    }

    dedup = vsDomainDedupNew(inputReadDocument, in, in->kind->record_element, VS_BULK_RECORD_MAX);
    vsDomainDedupSetBudget(dedup, in->max_held, &in->held);
    in->dedup = dedup;
    /* No XML_PARSE_NOBLANKS here, unlike vsSnapshotParse: libxml2 decides
     * whether a text of only whitespace is ignorable by looking at the next
     * two bytes ("</"), and a streaming read may split them, so the same
     * <description> </description> would sometimes lose its text.  Records
     * come out the same: the subtree serializer ignores whitespace between
     * elements, and <metadata> is normalised the same way either way. */
    reader = xmlReaderForIO(inputReadCallback, NULL, dedup, label, NULL,
                            VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);
    if (!reader) {
        vsErr(error, VS_ERROR_FAILED, "%s: cannot create XML reader", label);
        goto cleanup;
    }
    xmlTextReaderSetStructuredErrorHandler(reader, (xmlStructuredErrorFunc) readerErrorHandler,
                                           &errs);

    r = xmlTextReaderRead(reader);
    while (r == 1) {
        int type = xmlTextReaderNodeType(reader);
        int depth = xmlTextReaderDepth(reader);
        const char *name = (const char *) xmlTextReaderConstName(reader);
        int line = xmlTextReaderGetParserLineNumber(reader);

        if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
            if (strcmp(name, in->kind->list_element) != 0) {
                corrupt(error, label, line, "unexpected root element <%s>, expecting <%s>",
                        name, in->kind->list_element);
                goto cleanup;
            }
            seen_root = TRUE;
            if (rootAttributes(reader, name, &current, label, line, error) < 0)
                goto cleanup;
            if (xmlTextReaderIsEmptyElement(reader))
                root_closed = TRUE;
        } else if (type == XML_READER_TYPE_END_ELEMENT && depth == 0) {
            root_closed = TRUE;
        } else if (type == XML_READER_TYPE_ELEMENT && depth == 1 &&
                   strcmp(name, in->kind->record_element) == 0) {
            if (bulkParseRecord(tree, domains, dedup, order, reader, label, line, in, &errs,
                                error) < 0)
                goto cleanup;
            /* Skip past the expanded record; the reader frees it as it goes. */
            r = xmlTextReaderNext(reader);
            continue;
        } else if (type == XML_READER_TYPE_ELEMENT) {
            corrupt(error, label, line, "unexpected element <%s> in <%s>", name,
                    in->kind->list_element);
            goto cleanup;
        } else if (type == XML_READER_TYPE_DOCUMENT_TYPE ||
                   type == XML_READER_TYPE_ENTITY_REFERENCE) {
            /* We never write them; refusing them keeps entities out entirely. */
            corrupt(error, label, line, "document type declarations and entities are not allowed");
            goto cleanup;
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
            corrupt(error, label, line, "unexpected text in <%s>", in->kind->list_element);
            goto cleanup;
        }
        r = xmlTextReaderRead(reader);
    }
    if (r < 0 || errs.message || in->too_large || in->err || in->zstd_error) {
        readerFailure(error, label, in, &errs, reader);
        goto cleanup;
    }
    if (!seen_root) {
        corrupt(error, label, 0, "no <%s> document (empty or truncated file)",
                in->kind->list_element);
        goto cleanup;
    }
    if (!root_closed) {
        corrupt(error, label, xmlTextReaderGetParserLineNumber(reader),
                "truncated document: <%s> is not closed", in->kind->list_element);
        goto cleanup;
    }
    if (in->records_only) {
        *out = g_steal_pointer(&tree);   /* unlinked: only the records matter */
        ret = 0;
        goto cleanup;
    }
    {
        g_autoptr(GError) lerr = NULL;
        if (vsTreeLinkAll(tree, &lerr) < 0) {
            corrupt(error, label, 0, "%s", lerr->message);
            goto cleanup;
        }
    }
    if (current) {
        if (!vsTreeLookup(tree, current)) {
            corrupt(error, label, 0, "no snapshot matching current='%s'", current);
            goto cleanup;
        }
        if (vsTreeSetCurrent(tree, current, error) < 0)
            goto cleanup;
    }
    if (segments)
        *segments = order ? segmentsFromLoad(in, dedup, order, tree) : segmentsNew(in->kind, NULL);
    *out = g_steal_pointer(&tree);
    ret = 0;

 cleanup:
    if (reader)
        xmlFreeTextReader(reader);
    vsXmlProblemClear(&errs);
    return ret;
}

int
vsBulkFileParse(vsTree **out, vsBulkSegments **segments, const vsMomentKind *kind,
                const char *data, gsize len, const char *label, const vsBulkReadOptions *opts,
                GError **error)
{
    BulkInput in = { .kind = kind, .fd = -1, .mem = data, .mem_len = len };
    int ret;

    inputLimits(&in, opts);
    ret = bulkParse(out, segments, &in, label, error);
    inputClear(&in);
    return ret;
}

/* The records of a document fragment, in order, unlinked (what one frame
 * holds: parents may be elsewhere). */
static int
bulkParseRecordsOnly(GPtrArray **out, const vsMomentKind *kind, const char *data, gsize len,
                     const char *label, GError **error)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
        (GDestroyNotify) vsSnapshotUnref);
    g_autoptr(vsTree) tree = NULL;
    BulkInput in = { .kind = kind, .fd = -1, .mem = data, .mem_len = len,
                     .records_only = records };
    int ret;

    inputLimits(&in, NULL);
    ret = bulkParse(&tree, NULL, &in, label, error);
    inputClear(&in);
    if (ret == 0)
        *out = g_steal_pointer(&records);
    return ret;
}

int
vsBulkRecordCheck(const vsMoment *moment, const char *uuid, GError **error)
{
    const vsMomentKind *kind = moment->kind;
    g_autoptr(GString) doc = g_string_new(NULL);
    g_autoptr(GString) again = g_string_new(NULL);
    g_autoptr(GPtrArray) parsed = NULL;
    g_autoptr(GError) perr = NULL;
    gsize head;

    g_string_printf(doc, "<%s>\n", kind->list_element);
    g_string_assign(again, doc->str);
    head = doc->len;
    vsMomentFormatStored(doc, moment, uuid, 1);
    if (doc->len - head > VS_BULK_RECORD_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s '%s' cannot be stored: it is %" G_GSIZE_FORMAT " bytes as "
                     "stored, more than the limit of %d bytes per %s", kind->noun, moment->name,
                     doc->len - head, VS_BULK_RECORD_MAX, kind->noun);
    g_string_append_printf(doc, "</%s>\n", kind->list_element);
    if (bulkParseRecordsOnly(&parsed, kind, doc->str, doc->len, "stored form", &perr) < 0)
        return vsErr(error, perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE
                                                             : VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would not load back "
                     "(%s)", kind->noun, moment->name, perr->message);
    g_assert(parsed->len == 1);
    vsMomentFormatStored(again, parsed->pdata[0], uuid, 1);
    g_string_append_printf(again, "</%s>\n", kind->list_element);
    if (!g_string_equal(doc, again))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would load back "
                     "different", kind->noun, moment->name);
    return 0;
}

int
vsBulkFileRead(vsTree **out, vsBulkSegments **segments, const vsMomentKind *kind, int dirfd,
               const char *dirpath, const char *name, const vsBulkReadOptions *opts,
               GError **error)
{
    g_autofree char *label = g_build_filename(dirpath, name, NULL);
    BulkInput in = { .kind = kind, .fd = -1 };
    struct stat st;
    int ret = -1;

    in.fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (in.fd < 0) {
        if (errno == ENOENT)
            return vsErr(error, VS_ERROR_NOT_FOUND, "%s: no such file", label);
        if (errno == ELOOP)
            return vsErr(error, VS_ERROR_CORRUPT,
                         "%s: is a symbolic link; refusing to follow it", label);
        return vsErrErrno(error, errno, "%s: cannot open", label);
    }
    if (fstat(in.fd, &st) < 0) {
        vsErrErrno(error, errno, "%s: cannot stat", label);
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        vsErr(error, VS_ERROR_CORRUPT, "%s: not a regular file", label);
        goto cleanup;
    }
    inputLimits(&in, opts);
    ret = bulkParse(out, segments, &in, label, error);

 cleanup:
    close(in.fd);
    inputClear(&in);
    return ret;
}

/* ---------------------------------------------------------------- */
/* Writing                                                            */

typedef struct {
    GString *buf;        /* one record at a time */
    const char *uuid;
} FormatCtx;

/* The kind's header comment and the root element (current= when one is). */
static void
appendRoot(GString *buf, const vsTree *tree)
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

static void
appendEnd(GString *buf, const vsTree *tree)
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
    appendRoot(buf, tree);
    vsTreeForEach(tree, formatOne, &ctx);
    appendEnd(buf, tree);
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
    vsBulkSegments *next = segmentsNew(vsTreeGetKind(tree), uuid);
    FrameWriter w = { .af = af };
    guint start = 0;
    gsize weight = 0;
    int ret = 0;

    w.cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, BULK_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_windowLog, BULK_ZSTD_WINDOW_LOG);
    ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1);
    w.text = g_string_sized_new(64 * 1024);

    appendRoot(w.text, tree);
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
            segmentsAdd(next, seg->records, seg->frame);
        } else {
            g_autoptr(GPtrArray) kept = g_ptr_array_new_full(count,
                                                             (GDestroyNotify) vsSnapshotUnref);
            g_autoptr(GBytes) frame = NULL;
            gsize n;

            g_string_truncate(w.text, 0);
            for (guint k = 0; k < count; k++) {
                vsMomentFormatStored(w.text, run[k], uuid, 1);
                g_ptr_array_add(kept, vsSnapshotRef((vsMoment *) run[k]));
            }
            n = frameCompress(&w, w.text->str, w.text->len);
            frame = g_bytes_new(w.frame, n);
            segmentsAdd(next, kept, frame);
        }
        start = i + 1;
        weight = 0;
    }
    g_string_truncate(w.text, 0);
    appendEnd(w.text, tree);
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
    appendRoot(w.text, tree);
    vsAtomicFileWrite(af, w.text->str, w.text->len);
    vsTreeForEach(tree, writePlainOne, &w);
    g_string_truncate(w.text, 0);
    appendEnd(w.text, tree);
    vsAtomicFileWrite(af, w.text->str, w.text->len);
    g_string_free(w.text, TRUE);
    if (segments)
        *segments = segmentsNew(vsTreeGetKind(tree), uuid);
    return 0;
}
