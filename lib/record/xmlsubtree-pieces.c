/* xmlsubtree-pieces.c — a subtree from stored pieces (format 3), checked to
 * be exactly what a capture makes.
 *
 * Why a check: a file's pieces are bytes anyone could have written, and
 * everything downstream (formatting, comparing, disk alignment) relies on
 * a kept subtree being the canonical text of a parse.  The check is exact:
 * the text's secure formatting is parsed by libxml2 and captured again,
 * and must give the same bytes, cut into the same pieces. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/xmlsubtree-private.h"

struct _vsXmlPieceCheck {
    int unused;
};

vsXmlPieceCheck *
vsXmlPieceCheckNew(void)
{
    return g_new0(vsXmlPieceCheck, 1);
}

void
vsXmlPieceCheckFree(vsXmlPieceCheck *check)
{
    g_free(check);
}

/* The whole text, formatted, parsed and captured again: the same bytes in
 * the same pieces, or not a kept subtree. */
static int
checkWhole(const vsXmlSubtree *tree, GError **error)
{
    g_autoptr(GString) formatted = g_string_new(NULL);
    g_autoptr(vsXmlSubtree) again = NULL;
    g_autoptr(GError) perr = NULL;
    vsXmlProblem problem = { 0 };   /* the reader needs one (NULL crashed) */
    xmlDocPtr doc;
    int ret;

    if (tree->len == 0)
        return vsErr(error, VS_ERROR_CORRUPT, "a definition without pieces");
    vsXmlSubtreeAppend(formatted, tree, 0, TRUE);
    doc = vsXmlReadMemory(formatted->str, formatted->len, "pieces", VS_XML_READ_NO_ENTITIES,
                          &problem);
    vsXmlProblemClear(&problem);
    if (!doc || !xmlDocGetRootElement(doc)) {
        if (doc)
            xmlFreeDoc(doc);
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not well-formed XML");
    }
    ret = vsXmlSubtreeFromNodeInPlace(&again, xmlDocGetRootElement(doc), &perr);
    xmlFreeDoc(doc);
    if (ret < 0)
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces do not form a definition: %s",
                     perr->message);
    if (!vsXmlSubtreeEqual(again, tree))
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not in canonical form");
    if (again->nchunks != tree->nchunks)
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not cut as this writer cuts");
    for (guint i = 0; i < tree->nchunks; i++) {
        if (again->chunks[i] != tree->chunks[i])
            return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not cut as this writer cuts");
    }
    return 0;
}

int
vsXmlSubtreeFromPiecesChecked(vsXmlSubtree **out, vsXmlPieceCheck *check,
                              vsXmlPiece *const *pieces, guint n, GError **error)
{
    g_autoptr(vsXmlSubtree) tree = vsXmlSubtreeFromPieces(pieces, n);

    (void) check;
    if (checkWhole(tree, error) < 0)
        return -1;
    *out = g_steal_pointer(&tree);
    return 0;
}
