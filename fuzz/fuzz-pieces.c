/* fuzz-pieces.c — a definition given as pieces (format 3), checked
 * (vsXmlSubtreeFromPiecesChecked).
 *
 * Input: 1 mode byte, then
 *   mode bit 0 clear: pieces, separated by 0xFF bytes (a byte no canonical
 *     text holds), checked as they are;
 *   mode bit 0 set: an XML document whose root element is captured (as a
 *     <domain> would be), its pieces checked (always accepted, as the same
 *     subtree), then its canonical text with the byte at (mode >> 1) * 7
 *     replaced by the mode byte, cut again, checked.
 * Oracle: the check (by parts, through one vsXmlPieceCheck that remembers
 * across the input's checks) accepts exactly what the whole check
 * accepts, and what it accepts is the subtree of those pieces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "record/xmlsubtree-private.h"
#include "util/xmltext.h"

static void
failed(const char *what, vsXmlPiece *const *pieces, guint n)
{
    fprintf(stderr, "fuzz-pieces: %s (%u pieces)\n", what, n);
    abort();
}

/* Checks @pieces twice (the second time from what the check remembers)
 * against the whole check. */
static void
checkAgrees(vsXmlPieceCheck *check, vsXmlPiece *const *pieces, guint n, gboolean must_accept)
{
    g_autoptr(vsXmlSubtree) plain = vsXmlSubtreeFromPieces(pieces, n);
    int whole = vsXmlPiecesCheckWhole(pieces, n, NULL);

    for (int round = 0; round < 2; round++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(vsXmlSubtree) tree = NULL;
        int ret = vsXmlSubtreeFromPiecesChecked(&tree, check, pieces, n, &error);

        if (ret != whole)
            failed(ret == 0 ? "accepted what the whole check refuses"
                            : "refused what the whole check accepts", pieces, n);
        if (ret < 0 && (!error || !error->message[0]))
            failed("a refusal without a message", pieces, n);
        if (ret == 0 && !vsXmlSubtreeEqual(tree, plain))
            failed("accepted as another subtree", pieces, n);
    }
    if (must_accept && whole < 0)
        failed("a capture's own pieces refused", pieces, n);
}

static void
fuzzRawPieces(vsXmlPieceCheck *check, const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func((GDestroyNotify) vsXmlPieceUnref);
    size_t start = 0;

    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == 0xFF) {
            g_ptr_array_add(pieces, vsXmlPieceIntern((const char *) data + start, i - start, NULL));
            start = i + 1;
        }
    }
    checkAgrees(check, (vsXmlPiece *const *) pieces->pdata, pieces->len, FALSE);
}

static void
fuzzCaptured(vsXmlPieceCheck *check, uint8_t mode, const uint8_t *data, size_t size)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory((const char *) data, size, "fuzz", VS_XML_READ_NOBLANKS |
                                    VS_XML_READ_NO_ENTITIES, &problem);
    g_autoptr(vsXmlSubtree) tree = NULL;
    g_autoptr(vsXmlSubtree) edited = NULL;
    g_autofree char *text = NULL;
    gsize len;
    int ret;

    vsXmlProblemClear(&problem);
    if (!doc)
        return;
    ret = vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), NULL);
    xmlFreeDoc(doc);
    if (ret < 0)
        return;
    checkAgrees(check, tree->chunks, tree->nchunks, TRUE);
    text = g_memdup2(vsXmlSubtreeGetCanonical(tree, &len), len + 1);
    if (len == 0)
        return;
    text[((gsize) (mode >> 1) * 7) % len] = (char) mode;
    edited = vsXmlSubtreeFromText(text, len, &vsXmlChunkingDefault);
    checkAgrees(check, edited->chunks, edited->nchunks, FALSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();

    if (size < 1 || size > 1 << 20)
        return 0;
    if (data[0] & 1)
        fuzzCaptured(check, data[0], data + 1, size - 1);
    else
        fuzzRawPieces(check, data + 1, size - 1);
    return 0;
}
