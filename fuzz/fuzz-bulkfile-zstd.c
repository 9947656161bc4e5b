/* fuzz-bulkfile-zstd.c — vsBulkFileParse through the zstd decoder.
 *
 * The input is compressed first, so the decoder path sees structured XML
 * rather than random frames; the first byte picks a compression level and
 * whether the frame is cut short or has one byte flipped (the decoder's
 * error paths: truncation, checksum mismatch, corrupt block), or whether
 * the document is framed the way the writer frames it — a frame per record
 * line, the segment marker — plus one cut anywhere, so the loader's choice
 * of reusable frames is checked against what the frames really hold.
 * Framed, the document may be followed by format 3's packs (bulkfile-pieces.h),
 * each introduced by a line PACK_SEPARATOR and holding a pack's raw entries:
 * the harness frames each (tag, zstd frame with content size and checksum)
 * after the header frame, under the format-3 marker. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/bulkfile-private.h"
#include "fuzz-common.h"

#define PACK_SEPARATOR "\n--pack--\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
appendFrame(GByteArray *out, const char *data, size_t size, int level)
{
    g_autofree char *frame = g_malloc(ZSTD_compressBound(size));
    size_t n = ZSTD_compress(frame, ZSTD_compressBound(size), data, size, level);
    if (ZSTD_isError(n))
        abort();
    g_byte_array_append(out, (const guint8 *) frame, n);
}

static void
appendSkippable(GByteArray *out, guint32 magic, const void *data, size_t size)
{
    guint32 head[2] = { GUINT32_TO_LE(magic), GUINT32_TO_LE((guint32) size) };

    g_byte_array_append(out, (const guint8 *) head, sizeof(head));
    g_byte_array_append(out, data, size);
}

/* A pack frame of the raw @entries. */
static void
appendPack(GByteArray *out, const guint8 *entries, size_t size, int level)
{
    size_t taglen = strlen(VS_BULK_PACK_TAG), bound = ZSTD_compressBound(size);
    g_autofree guint8 *body = g_malloc(taglen + bound);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    size_t n;

    memcpy(body, VS_BULK_PACK_TAG, taglen);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    n = ZSTD_compress2(cctx, body + taglen, bound, entries, size);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n))
        abort();
    appendSkippable(out, VS_BULK_PACK_MAGIC, body, taglen + n);
}

/* Frames cut where the writer cuts (before each "  <domainsnapshot" line
 * and the closing line), the marker (and @packs, @npacks of them) after
 * the first, and one extra cut at @extra (0: none). */
static void
checkFramed(const char *doc, size_t size, GBytes *const *packs, guint npacks, size_t extra,
            int level)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    const char *marker = npacks ? VS_BULK_SEGMENT_MARKER_3 : SEGMENT_MARKER;
    size_t start = 0;
    gboolean first = TRUE;

    for (size_t i = 1; i <= size; i++) {
        gboolean cut = i == size || i == extra ||
            (doc[i - 1] == '\n' && (g_str_has_prefix(doc + i, "  <domainsnapshot") ||
                                     g_str_has_prefix(doc + i, "</snapshots>")));
        if (!cut)
            continue;
        appendFrame(out, doc + start, i - start, level);
        if (first) {
            appendSkippable(out, SEGMENT_MARKER_MAGIC, marker, strlen(marker));
            for (guint k = 0; k < npacks; k++)
                appendPack(out, g_bytes_get_data(packs[k], NULL), g_bytes_get_size(packs[k]),
                           level);
        }
        first = FALSE;
        start = i;
    }
    fuzzBulkCheck((const char *) out->data, out->len);
}

/* The document and the packs after it (PACK_SEPARATOR), framed. */
static void
checkFramedInput(const uint8_t *data, size_t size, unsigned char mode)
{
    g_autoptr(GPtrArray) packs = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    size_t seplen = strlen(PACK_SEPARATOR);
    const uint8_t *end = data + size;
    const uint8_t *sep = memmem(data, size, PACK_SEPARATOR, seplen);
    /* g_str_has_prefix needs a terminated string. */
    g_autofree char *doc = g_strndup((const char *) data, (sep ? sep : end) - data);
    size_t len = strlen(doc);

    while (sep) {
        const uint8_t *from = sep + seplen;

        sep = memmem(from, end - from, PACK_SEPARATOR, seplen);
        g_ptr_array_add(packs, g_bytes_new(from, (sep ? sep : end) - from));
    }
    checkFramed(doc, len, (GBytes *const *) packs->pdata, packs->len, (mode >> 6) * len / 4,
                1 + (mode & 3));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *frame = NULL;
    ZSTD_CCtx *cctx;
    size_t bound, n;
    unsigned char mode;

    if (size < 1)
        return 0;
    mode = data[0];
    data++;
    size--;
    if ((mode >> 4 & 3) == 3) {
        checkFramedInput(data, size, mode);
        return 0;
    }
    bound = ZSTD_compressBound(size);
    frame = g_malloc(bound);
    cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1 + (mode & 3));
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, (mode >> 2) & 1);
    /* Half the time stream it (no content size in the header), like the library. */
    if (mode & 0x08) {
        ZSTD_inBuffer in = { data, size, 0 };
        ZSTD_outBuffer out = { frame, bound, 0 };
        if (ZSTD_isError(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end)))
            abort();
        n = out.pos;
    } else {
        n = ZSTD_compress2(cctx, frame, bound, data, size);
        if (ZSTD_isError(n))
            abort();
    }
    ZSTD_freeCCtx(cctx);

    switch (mode >> 4 & 3) {
    case 1:   /* truncated frame */
        n -= MIN(n - 4, 1 + (mode >> 6));
        break;
    case 2:   /* one corrupted byte after the magic */
        if (n > 5)
            frame[4 + (mode * 7) % (n - 4)] ^= 0x5a;
        break;
    default:
        break;
    }
    fuzzBulkCheck(frame, n);
    return 0;
}
