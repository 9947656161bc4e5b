/* bulkfile-read.c — reading a VM's bulk file.
 *
 * Reading streams the file through xmlTextReader and expands one record at
 * a time, so peak memory is one record's DOM plus the tree, never a DOM of
 * the whole file.  Compressed files are recognised by the zstd magic
 * number, never by name, and decompressed on the fly; repeated <domain>s
 * are recognised before libxml2 sees them (domaindedup.c). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/xmlreader.h>
#include <zstd.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "format/bulkfile-load.h"

static const unsigned char zstd_magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };

/* ---------------------------------------------------------------- */
/* Input: plain bytes or a zstd stream, from memory or a descriptor. */

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

/* Makes @want bytes available from in->in.pos (fewer only at the end of
 * the source), moving what is left to the buffer's start first. */
static gboolean
inputEnsure(BulkInput *in, gsize want)
{
    want = MIN(want, in->inbuf_size);
    if (in->in.size - in->in.pos >= want || in->src_eof)
        return TRUE;
    if (in->in.src) {
        memmove(in->inbuf, in->inbuf + in->in.pos, in->in.size - in->in.pos);
        in->raw_offset += in->in.pos;
        in->in.size -= in->in.pos;
        in->in.pos = 0;
    }
    in->in.src = in->inbuf;
    while (in->in.size < want && !in->src_eof) {
        gssize got = inputReadRaw(in, in->inbuf + in->in.size, in->inbuf_size - in->in.size);
        if (got < 0)
            return FALSE;
        in->src_eof = got == 0;
        in->in.size += got;
    }
    return TRUE;
}

/* The pack frame of @size bytes after its 8-byte head at in->in.pos, read
 * whole (from the buffer, then from the source) and added to the table.
 * Packs come after the header frame and before the first frame of records
 * (bulkfile-pieces.h): one anywhere else fails the load rather than
 * leaving records it defines for unread. */
static int
inputTakePack(BulkInput *in, guint32 size)
{
    guint64 at = in->raw_offset + in->in.pos;
    gsize total = (gsize) size + 8, buffered = MIN(total, in->in.size - in->in.pos);
    g_autofree char *data = NULL;
    g_autoptr(GBytes) frame = NULL;
    guint64 held_before;
    gsize got = buffered;

    if (in->data_frames != 1) {
        g_set_error(&in->pack_error, VS_ERROR, VS_ERROR_CORRUPT, "definitions pack at byte %"
                    G_GUINT64_FORMAT " after a frame of records", at);
        return -1;
    }
    if (size > in->max_held) {
        g_set_error(&in->pack_error, VS_ERROR, VS_ERROR_TOO_LARGE, "definitions pack at byte %"
                    G_GUINT64_FORMAT " is larger than the load limit of %" G_GUINT64_FORMAT
                    " bytes", at, in->max_held);
        return -1;
    }
    data = g_malloc(total);
    memcpy(data, in->inbuf + in->in.pos, buffered);
    in->in.pos += buffered;
    while (got < total) {
        gssize n = inputReadRaw(in, data + got, total - got);
        if (n <= 0) {
            if (n == 0)
                g_set_error(&in->pack_error, VS_ERROR, VS_ERROR_CORRUPT, "definitions pack at "
                            "byte %" G_GUINT64_FORMAT " is cut short", at);
            return -1;
        }
        got += n;
        in->raw_offset += n;   /* read past the buffer: its end moves on */
    }
    if (!in->pieces)
        in->pieces = vsBulkPiecesNew();
    frame = g_bytes_new_take(g_steal_pointer(&data), total);
    held_before = in->pieces->held;
    if (vsBulkPiecesAddPack(in->pieces, frame, in->max_held, &in->pack_error) < 0) {
        g_prefix_error(&in->pack_error, "definitions pack at byte %" G_GUINT64_FORMAT ": ", at);
        return -1;
    }
    in->held += in->pieces->held - held_before;
    return 0;
}

/* Which of our segment markers the skippable frame at @p (@avail bytes
 * buffered) is, or NULL. */
static const char *
segmentMarker(const guint8 *p, gsize avail)
{
    static const char *const markers[] = { SEGMENT_MARKER, VS_BULK_SEGMENT_MARKER_3 };
    guint32 magic, size;

    memcpy(&magic, p, 4);
    memcpy(&size, p + 4, 4);
    for (guint k = 0; k < G_N_ELEMENTS(markers); k++) {
        gsize mlen = strlen(markers[k]);

        if (GUINT32_FROM_LE(magic) == SEGMENT_MARKER_MAGIC && GUINT32_FROM_LE(size) == mlen &&
            avail >= 8 + mlen && memcmp(p + 8, markers[k], mlen) == 0)
            return markers[k];
    }
    return NULL;
}

/* At a frame's start: a pack is taken (1), anything else is noted (where
 * it starts, whether it is our segment marker) and left to zstd (0).
 * Enough bytes are buffered to tell, wherever the frame falls. */
static int
inputFrameStart(BulkInput *in, gsize out_pos)
{
    const guint8 *p;
    gsize avail;
    guint32 magic, size;

    if (!inputEnsure(in, 8 + strlen(VS_BULK_SEGMENT_MARKER_3)))
        return -1;
    p = (const guint8 *) in->in.src + in->in.pos;
    avail = in->in.size - in->in.pos;
    if (avail < 8)
        return 0;   /* zstd tells what is wrong */
    memcpy(&magic, p, 4);
    memcpy(&size, p + 4, 4);
    if (GUINT32_FROM_LE(magic) == VS_BULK_PACK_MAGIC)
        return inputTakePack(in, GUINT32_FROM_LE(size)) < 0 ? -1 : 1;
    if (memcmp(p, zstd_magic, 4) == 0)
        in->data_frames++;
    if (!in->frames)
        return 0;
    in->frame.comp_start = in->raw_offset + in->in.pos;
    in->frame.doc_start = in->produced + out_pos;
    if (!in->marker)
        in->marker = segmentMarker(p, avail);
    return 0;
}

/* The document's bytes: the file's, or zstd-decompressed. */
gssize
vsBulkInputRead(gpointer opaque, char *buf, gsize len)
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
            if (!in->zstd_frame_open) {
                int taken = inputFrameStart(in, out.pos);
                if (taken < 0)
                    return -1;
                if (taken > 0 || in->in.pos == in->in.size)
                    continue;
            }
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
    vsBulkPiecesUnref(in->pieces);
    g_clear_error(&in->pack_error);
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
    if (in->pack_error)
        return vsErr(error, in->pack_error->code, "%s: %s", label, in->pack_error->message);
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

/* The root (<snapshots>) carries current= and virtsnap-format='3' (format 3)
 * and nothing else: no namespace declaration (records would depend on it,
 * and frames are copied without it), no other attribute or format
 * (format.md says it is invalid). */
static int
rootAttributes(BulkParse *p, const char *root, int line, GError **error)
{
    xmlTextReaderPtr reader = p->reader;
    int r;

    for (r = xmlTextReaderMoveToFirstAttribute(reader); r == 1;
         r = xmlTextReaderMoveToNextAttribute(reader)) {
        const char *name = (const char *) xmlTextReaderConstName(reader);
        const char *value = (const char *) xmlTextReaderConstValue(reader);

        if (xmlTextReaderIsNamespaceDecl(reader) == 1)
            return corrupt(error, p->label, line, "namespace declaration '%s' on <%s> is "
                           "not allowed", name, root);
        if (strcmp(name, VS_BULK_FORMAT_ATTR) == 0) {
            if (strcmp(value, "3") != 0)
                return corrupt(error, p->label, line, "%s='%s' on <%s> is not a format "
                               "this reader knows", name, value, root);
            vsBulkLoadSetFormat3(p);
            continue;
        }
        if (strcmp(name, "current") != 0)
            return corrupt(error, p->label, line, "unexpected attribute '%s' on <%s>",
                           name, root);
        p->current = g_strdup(value);
    }
    xmlTextReaderMoveToElement(reader);
    return 0;
}

/* Format 3: a reference names a definition of the file's packs (none
 * read: an empty table, which names none). */
static int
resolveReference(gpointer data, guint32 id, vsXmlSubtree **out, GError **error)
{
    BulkInput *in = data;

    if (!in->pieces)
        in->pieces = vsBulkPiecesNew();
    return vsBulkPiecesResolve(in->pieces, id, out, error);
}

void
vsBulkLoadSetFormat3(BulkParse *p)
{
    p->format3 = TRUE;
    vsDomainDedupSetResolve(p->dedup, resolveReference, p->in);
}

int
vsBulkLoadResolve(BulkParse *p, guint32 id, vsXmlSubtree **out, GError **error)
{
    return resolveReference(p->in, id, out, error);
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

gboolean
vsBulkLoadOverBudget(const BulkParse *p, guint64 extra)
{
    return p->in->held + vsDomainDedupGetHeldBytes(p->dedup) + extra > p->in->max_held;
}

/* Each distinct <domain> is kept once (vsMomentShareDomain): memory grows
 * with unique domain bytes. */
int
vsBulkLoadRecord(BulkParse *p, xmlNodePtr node, int line, int def_index,
                 vsXmlSubtree *repeated, vsXmlSubtree *captured, GError **error)
{
    BulkInput *in = p->in;
    g_autoptr(vsMoment) moment = NULL;
    g_autoptr(GError) perr = NULL;
    gsize domain_bytes = 0;

    if (in->kind->parse_stored(&moment, node, &perr) < 0) {
        g_set_error(error, VS_ERROR,
                    perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE : VS_ERROR_CORRUPT,
                    "%s:%d: %s", p->label, line, perr->message);
        return -1;
    }
    /* Every name create refuses is refused here too: a name is a file
     * name when the VM is exported to libvirt's layout. */
    if (in->kind->name_check(moment->name, &perr) < 0)
        return corrupt(error, p->label, line, "%s", perr->message);
    if (repeated) {
        vsMomentSetDomain(moment, repeated);   /* already shared */
    } else {
        if (captured)
            vsMomentSetDomain(moment, captured);
        domain_bytes = vsMomentShareDomain(p->domains, moment);
    }
    if (chargeRecord(in, moment, domain_bytes, p->label, line, error) < 0)
        return -1;
    if (def_index >= 0)
        vsDomainDedupRegister(p->dedup, def_index, vsMomentGetDomain(moment));
    if (vsTreeAddUnlinked(p->tree, moment, &perr) < 0)
        return corrupt(error, p->label, line, "%s", perr->message);
    if (p->order)
        g_ptr_array_add(p->order, vsMomentRef(moment));
    return 0;
}

/* Expands the record under the reader and adds it. */
static int
bulkParseRecord(BulkParse *p, int line, GError **error)
{
    g_autoptr(GError) perr = NULL;
    xmlNodePtr node = xmlTextReaderExpand(p->reader);
    vsXmlSubtree *repeated = NULL;
    int def_index;

    if (!node)
        return readerFailure(error, p->label, p->in, &p->errs, p->reader);
    /* The parser reads ahead; the element knows where it starts. */
    if (xmlGetLineNo(node) > 0)
        line = xmlGetLineNo(node);
    if (vsDomainDedupPrepareRecord(p->dedup, node, &def_index, &repeated, &line, &perr) < 0) {
        g_set_error(error, VS_ERROR, VS_ERROR_CORRUPT, "%s:%d: %s", p->label, line,
                    perr->message);
        return -1;
    }
    return vsBulkLoadRecord(p, node, line, def_index, repeated, NULL, error);
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

/* Whether the file's first frame is exactly the header this writer would
 * write for @tree (in format 3 when @format3). */
static gboolean
headerIsOurs(const BulkInput *in, const vsTree *tree, gboolean format3)
{
    g_autoptr(GString) ours = g_string_new(NULL);
    const BulkFrame *first;

    if (!in->frames->len)
        return FALSE;
    first = &g_array_index(in->frames, BulkFrame, 0);
    if (format3)
        vsBulkAppendRootPieces(ours, tree);
    else
        vsBulkAppendRoot(ours, tree);
    return first->doc_start == 0 && first->doc_end == ours->len &&
           in->head->len >= ours->len && memcmp(in->head->str, ours->str, ours->len) == 0;
}

typedef struct {
    const GPtrArray *order;
    guint next;
    gboolean same;
} PreorderCheck;

static void
preorderCheckOne(const vsMoment *moment, gpointer data)
{
    PreorderCheck *c = data;

    c->same = c->same && c->next < c->order->len && c->order->pdata[c->next] == moment;
    c->next++;
}

/* Whether the file held its records in the tree's pre-order (this writer's
 * order): only then can a commit find a record's run by walking the tree. */
static gboolean
orderIsPreorder(const GPtrArray *order, const vsTree *tree)
{
    PreorderCheck c = { order, 0, TRUE };

    vsTreeForEach(tree, preorderCheckOne, &c);
    return c.same && c.next == order->len;
}

/* After a good load: the frames that hold whole records, laid out exactly
 * as this writer lays them out (each record "  <domainsnapshot>…\n", nothing
 * between) under our own header and marker for the format (@format3: the
 * file's table goes with them, its packs copied by the next write),
 * become reusable segments.  Anything else is just not reused. */
static vsBulkSegments *
segmentsFromLoad(BulkInput *in, const vsDomainDedupRecordSpan *spans, guint nspans,
                 GPtrArray *order, const vsTree *tree, gboolean format3)
{
    vsBulkSegments *segs = vsBulkSegmentsNew(in->kind, NULL);
    const char *marker = format3 ? VS_BULK_SEGMENT_MARKER_3 : SEGMENT_MARKER;
    guint next = 0;

    if (g_strcmp0(in->marker, marker) != 0 || !spans || nspans != order->len ||
        !headerIsOurs(in, tree, format3))
        return segs;
    if (format3)
        segs->pieces = in->pieces ? vsBulkPiecesRef(in->pieces) : vsBulkPiecesNew();
    segs->preorder = orderIsPreorder(order, tree);
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
        if (vsBulkRunNeedsUuid(order->pdata + first, next - first))
            continue;
        {
            g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
                (GDestroyNotify) vsMomentUnref);
            g_autoptr(GBytes) bytes = inputFrameBytes(in, frame);
            g_autofree gsize *ends = g_new(gsize, next - first);

            if (!bytes)
                continue;
            for (guint i = first; i < next; i++) {
                g_ptr_array_add(records, vsMomentRef(order->pdata[i]));
                /* up to the newline after its closing tag (checked above) */
                ends[i - first] = spans[i].end + 1 - frame->doc_start;
            }
            vsBulkSegmentsAdd(segs, records, bytes, ends);
        }
    }
    return segs;
}

/* Handles the node under the reader; *skip: the reader must skip past it
 * (an expanded record) rather than read into it. */
static int
bulkParseNode(BulkParse *p, gboolean *skip, GError **error)
{
    const vsMomentKind *kind = p->in->kind;
    int type = xmlTextReaderNodeType(p->reader);
    int depth = xmlTextReaderDepth(p->reader);
    const char *name = (const char *) xmlTextReaderConstName(p->reader);
    int line = xmlTextReaderGetParserLineNumber(p->reader);

    *skip = FALSE;
    if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
        if (strcmp(name, kind->list_element) != 0)
            return corrupt(error, p->label, line, "unexpected root element <%s>, expecting <%s>",
                           name, kind->list_element);
        p->seen_root = TRUE;
        if (xmlTextReaderIsEmptyElement(p->reader))
            p->root_closed = TRUE;
        return rootAttributes(p, name, line, error);
    }
    if (type == XML_READER_TYPE_END_ELEMENT && depth == 0) {
        p->root_closed = TRUE;
    } else if (type == XML_READER_TYPE_ELEMENT && depth == 1 &&
               strcmp(name, kind->record_element) == 0) {
        *skip = TRUE;   /* the reader frees the expanded record as it goes */
        return bulkParseRecord(p, line, error);
    } else if (type == XML_READER_TYPE_ELEMENT) {
        return corrupt(error, p->label, line, "unexpected element <%s> in <%s>", name,
                       kind->list_element);
    } else if (type == XML_READER_TYPE_DOCUMENT_TYPE ||
               type == XML_READER_TYPE_ENTITY_REFERENCE) {
        /* We never write them; refusing them keeps entities out entirely. */
        return corrupt(error, p->label, line,
                       "document type declarations and entities are not allowed");
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
        return corrupt(error, p->label, line, "unexpected text in <%s>", kind->list_element);
    }
    return 0;
}

/* The whole document, node by node, then what only its end can tell. */
static int
bulkParseDocument(BulkParse *p, GError **error)
{
    int r = xmlTextReaderRead(p->reader);

    while (r == 1) {
        gboolean skip;

        if (bulkParseNode(p, &skip, error) < 0)
            return -1;
        r = skip ? xmlTextReaderNext(p->reader) : xmlTextReaderRead(p->reader);
    }
    if (r < 0 || p->errs.message || p->in->too_large || p->in->err || p->in->zstd_error ||
        p->in->pack_error)
        return readerFailure(error, p->label, p->in, &p->errs, p->reader);
    if (!p->seen_root)
        return corrupt(error, p->label, 0, "no <%s> document (empty or truncated file)",
                       p->in->kind->list_element);
    if (!p->root_closed)
        return corrupt(error, p->label, xmlTextReaderGetParserLineNumber(p->reader),
                       "truncated document: <%s> is not closed", p->in->kind->list_element);
    if (!vsBulkLoadPacksAllowed(p))
        return corrupt(error, p->label, 0, "the file holds definition packs, but its root "
                       "does not say %s='3'", VS_BULK_FORMAT_ATTR);
    return 0;
}

gboolean
vsBulkLoadPacksAllowed(const BulkParse *p)
{
    return p->format3 || !p->in->pieces || !p->in->pieces->packs->len;
}

/* Links the records read (any order) and sets the current one. */
static int
bulkParseLink(BulkParse *p, GError **error)
{
    g_autoptr(GError) lerr = NULL;

    if (vsTreeLinkAll(p->tree, &lerr) < 0)
        return corrupt(error, p->label, 0, "%s", lerr->message);
    /* Checkpoint files written before 2026-12-02 carried the handle's current
     * checkpoint; it is not stored (format.md), so it is not read either. */
    if (!p->current || !p->in->kind->stores_current)
        return 0;
    if (!vsTreeLookup(p->tree, p->current))
        return corrupt(error, p->label, 0, "no %s matching current='%s'", p->in->kind->noun,
                       p->current);
    return vsTreeSetCurrent(p->tree, p->current, error);
}

/* Starts reading @in again from its first byte, for a second reader. */
static int
inputRewind(BulkInput *in, const char *label, GError **error)
{
    BulkInput fresh = { .kind = in->kind, .fd = in->fd, .mem = in->mem,
                        .mem_len = in->mem_len, .records_only = in->records_only,
                        .max_document = in->max_document, .max_held = in->max_held };

    inputClear(in);
    *in = fresh;
    if (in->fd >= 0 && lseek(in->fd, 0, SEEK_SET) < 0)
        return vsErrErrno(error, errno, "%s: cannot seek", label);
    return 0;
}

/* The streaming DOM reader: every node through libxml2's reader. */
static int
bulkParseDom(BulkParse *p, GError **error)
{
    /* No XML_PARSE_NOBLANKS here, unlike vsSnapshotParse: libxml2 decides
     * whether a text of only whitespace is ignorable by looking at the next
     * two bytes ("</"), and a streaming read may split them, so the same
     * <description> </description> would sometimes lose its text.  Records
     * come out the same: the subtree serializer ignores whitespace between
     * elements, and <metadata> is normalised the same way either way. */
    p->reader = xmlReaderForIO(inputReadCallback, NULL, p->dedup, p->label, NULL,
                               VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);
    if (!p->reader)
        return vsErr(error, VS_ERROR_FAILED, "%s: cannot create XML reader", p->label);
    xmlTextReaderSetStructuredErrorHandler(p->reader,
                                           (xmlStructuredErrorFunc) readerErrorHandler, &p->errs);
    return bulkParseDocument(p, error);
}

/* One read of the document, by the fast reader (@fast: *declined when it
 * would not take the document, or the tree it read does not link: the DOM
 * reader then reports what is wrong) or by the DOM reader. */
static int
bulkParseWith(vsTree **out, vsBulkSegments **segments, BulkInput *in, const char *label,
              gboolean fast, gboolean *declined, GError **error)
{
    g_autoptr(GPtrArray) order = NULL;
    g_autoptr(vsTree) tree = vsTreeNew(in->kind);
    g_autoptr(GHashTable) domains = vsMomentDomainTableNew();
    g_autoptr(vsDomainDedup) dedup = NULL;
    g_autoptr(GArray) fast_spans = NULL;
    BulkParse p = { .in = in, .label = label };
    const vsDomainDedupRecordSpan *spans;
    guint nspans;
    int ret = -1;

    if (inputStart(in, label, error) < 0)
        return -1;
    if (in->records_only) {
        order = g_ptr_array_ref(in->records_only);
    } else if (segments && in->compressed) {
        order = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
        in->frames = g_array_new(FALSE, FALSE, sizeof(BulkFrame));
        in->head = g_string_sized_new(HEAD_MAX);
    }
    /* plain bytes in memory: their length is the document's */
    dedup = vsDomainDedupNew(vsBulkInputRead, in, in->kind->record_element,
                             VS_BULK_RECORD_MAX,
                             in->fd < 0 && !in->compressed ? in->mem_len : 0);
    vsDomainDedupSetBudget(dedup, in->max_held, &in->held);
    in->dedup = dedup;
    p.dedup = dedup;
    p.tree = tree;
    p.domains = domains;
    p.order = order;
    if (in->records_only && in->pieces)   /* frames of a format-3 file, parsed alone */
        vsBulkLoadSetFormat3(&p);

    if (fast) {
        *declined = !vsBulkFastParse(&p, &fast_spans) || bulkParseLink(&p, NULL) < 0;
        if (*declined)
            goto cleanup;
    } else if (bulkParseDom(&p, error) < 0 ||
               (!in->records_only && bulkParseLink(&p, error) < 0)) {
        goto cleanup;
    }
    /* A fragment (records only): unlinked, only the records matter. */
    if (!in->records_only && segments) {
        spans = fast_spans ? (const vsDomainDedupRecordSpan *) fast_spans->data
                           : vsDomainDedupGetRecordSpans(dedup, &nspans);
        if (fast_spans)
            nspans = fast_spans->len;
        *segments = order ? segmentsFromLoad(in, spans, nspans, order, tree, p.format3)
                          : vsBulkSegmentsNew(in->kind, NULL);
    }
    *out = g_steal_pointer(&tree);
    ret = 0;

 cleanup:
    if (p.reader)
        xmlFreeTextReader(p.reader);
    vsXmlProblemClear(&p.errs);
    g_free(p.current);
    return ret;
}

/* A whole document goes to the fast reader first; what it declines, and
 * any fragment, is read by the DOM reader, which alone reports errors. */
static int
bulkParse(vsTree **out, vsBulkSegments **segments, BulkInput *in, const char *label,
          vsBulkReader reader, GError **error)
{
    gboolean declined = FALSE;

    if (in->records_only || reader == VS_BULK_READER_DOM)
        return bulkParseWith(out, segments, in, label, FALSE, NULL, error);
    if (bulkParseWith(out, segments, in, label, TRUE, &declined, error) == 0)
        return 0;
    if (!declined)
        return -1;
    if (reader == VS_BULK_READER_FAST)
        return vsErr(error, VS_ERROR_FAILED, "%s: the fast reader declined the document",
                     label);
    if (inputRewind(in, label, error) < 0)
        return -1;
    return bulkParseWith(out, segments, in, label, FALSE, NULL, error);
}

int
vsBulkFileParse(vsTree **out, vsBulkSegments **segments, const vsMomentKind *kind,
                const char *data, gsize len, const char *label, const vsBulkReadOptions *opts,
                GError **error)
{
    BulkInput in = { .kind = kind, .fd = -1, .mem = data, .mem_len = len };
    int ret;

    inputLimits(&in, opts);
    ret = bulkParse(out, segments, &in, label, opts ? opts->reader : VS_BULK_READER_AUTO, error);
    inputClear(&in);
    return ret;
}

int
vsBulkParseRecordsResolving(GPtrArray **out, const vsMomentKind *kind, const char *data,
                            gsize len, vsBulkPieces *pieces, const char *label,
                            GError **error)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(
        (GDestroyNotify) vsMomentUnref);
    g_autoptr(vsTree) tree = NULL;
    BulkInput in = { .kind = kind, .fd = -1, .mem = data, .mem_len = len,
                     .records_only = records };
    int ret;

    inputLimits(&in, NULL);
    if (pieces)
        in.pieces = vsBulkPiecesRef(pieces);
    ret = bulkParse(&tree, NULL, &in, label, VS_BULK_READER_DOM, error);
    inputClear(&in);
    if (ret == 0)
        *out = g_steal_pointer(&records);
    return ret;
}

int
vsBulkParseRecordsOnly(GPtrArray **out, const vsMomentKind *kind, const char *data, gsize len,
                     const char *label, GError **error)
{
    return vsBulkParseRecordsResolving(out, kind, data, len, NULL, label, error);
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
    ret = bulkParse(out, segments, &in, label, opts ? opts->reader : VS_BULK_READER_AUTO, error);

 cleanup:
    close(in.fd);
    inputClear(&in);
    return ret;
}

