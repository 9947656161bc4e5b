/* fuzz-bulkfile-zstd.c — vsBulkFileParse through the zstd decoder.
 *
 * The input is compressed first, so the decoder path sees structured XML
 * rather than random frames; the first byte picks a compression level and
 * whether the frame is cut short or has one byte flipped (the decoder's
 * error paths: truncation, checksum mismatch, corrupt block). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "bulkfile.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
