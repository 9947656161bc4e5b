/* fuzz-bulkfile-zstd.c — vsBulkFileParse through the zstd decoder.
 *
 * The input is compressed first, so the decoder path sees structured XML
 * rather than random frames; the first byte picks a compression level and
 * whether the frame is cut short or has one byte flipped (the decoder's
 * error paths: truncation, checksum mismatch, corrupt block), or whether
 * the document is framed the way the writer frames it — a frame per record
 * line, the segment marker — plus one cut anywhere, so the loader's choice
 * of reusable frames is checked against what the frames really hold. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/bulkfile.h"
#include "fuzz-common.h"

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

/* Frames cut where the writer cuts (before each "  <domainsnapshot" line
 * and the closing line), the marker after the first, and one extra cut at
 * @extra (0: none). */
static void
checkFramed(const char *doc, size_t size, size_t extra, int level)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    static const guint8 marker[] = { 0x56, 0x2a, 0x4d, 0x18, 19, 0, 0, 0,
                                     'v', 'i', 'r', 't', 's', 'n', 'a', 'p', '-', 's', 'e',
                                     'g', 'm', 'e', 'n', 't', 's', ' ', '1' };
    size_t start = 0;
    gboolean first = TRUE;

    for (size_t i = 1; i <= size; i++) {
        gboolean cut = i == size || i == extra ||
            (doc[i - 1] == '\n' && (g_str_has_prefix(doc + i, "  <domainsnapshot") ||
                                     g_str_has_prefix(doc + i, "</snapshots>")));
        if (!cut)
            continue;
        appendFrame(out, doc + start, i - start, level);
        if (first)
            g_byte_array_append(out, marker, sizeof(marker));
        first = FALSE;
        start = i;
    }
    fuzzBulkCheck((const char *) out->data, out->len);
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
        /* g_str_has_prefix needs a terminated string. */
        g_autofree char *doc = g_strndup((const char *) data, size);
        checkFramed(doc, strlen(doc), (mode >> 6) * strlen(doc) / 4, 1 + (mode & 3));
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
