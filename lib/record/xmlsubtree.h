/* xmlsubtree.h — opaque XML subtrees (<domain>, <inactiveDomain>,
 * <cookie>, disk <source>): kept exactly, re-emitted in libvirt's
 * canonical style (internal). */
#pragma once

#include <libxml/tree.h>
#include <glib.h>
#include "util/xmltext.h"

typedef struct _vsXmlSubtree vsXmlSubtree;

/* Captures @node and everything below it.  Errors: VS_ERROR_TOO_LARGE
 * past VS_XML_SUBTREE_MAX canonical bytes; VS_ERROR_INVALID for entity
 * references (never expanded).  A document given by a user is parsed with
 * XML_PARSE_NOBLANKS, as libvirt does; a document this library formatted
 * gives the same subtree parsed with or without it (whitespace between
 * elements is ignored, and a <metadata> child of a <domain> or
 * <inactiveDomain> root is normalised the same way either way), which the
 * bulk reader relies on (it cannot use NOBLANKS, see bulkfile.c). */
#define VS_XML_SUBTREE_MAX (64 * 1024 * 1024)
int vsXmlSubtreeFromNode(vsXmlSubtree **out, xmlNodePtr node, GError **error);
/* Same result, for a caller that frees @node's tree right after: a
 * <metadata> child of a <domain>/<inactiveDomain> root may be normalised
 * in place instead of in a copy (cheaper for big definitions). */
int vsXmlSubtreeFromNodeInPlace(vsXmlSubtree **out, xmlNodePtr node, GError **error);

/* Capturing a <domain> or <inactiveDomain> from the bytes of a document
 * this library formatted, without a DOM (xmlsubtree-capture.c): one
 * capturer (a parser and its buffers) serves any number of captures. */
typedef struct _vsXmlCapture vsXmlCapture;
vsXmlCapture *vsXmlCaptureNew(void);
void vsXmlCaptureFree(vsXmlCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsXmlCapture, vsXmlCaptureFree)
/* The subtree vsXmlSubtreeFromNodeInPlace gives for the element libxml2
 * parses from @bytes (@len, from its '<' to its closing '>'), when those
 * bytes are exactly vsXmlSubtreeAppend's secure formatting of it at
 * @indent_level (minus the first indent and the final newline); NULL
 * (declined, never an error) for anything else, which the caller captures
 * from a DOM as always. */
vsXmlSubtree *vsXmlSubtreeFromFormatted(vsXmlCapture *cap, const char *bytes, gsize len,
                                        guint indent_level);
/* vsXmlSubtreeFromFormatted by the direct scan alone: NULL whenever the
 * bytes are outside the strict subset it reads (no libxml2 parse of them
 * is tried), so declining costs about a scan of the bytes.  What it takes
 * nests at most VS_XML_CAPTURE_DEPTH_MAX elements deep (the root counted):
 * a caller that cuts the element out of a document before checking the
 * document's depth relies on it. */
#define VS_XML_CAPTURE_DEPTH_MAX 128
vsXmlSubtree *vsXmlSubtreeFromFormattedDirect(vsXmlCapture *cap, const char *bytes, gsize len,
                                              guint indent_level);
/* For tests: whether the capture first tries its direct scan, which reads
 * this writer's own layout without libxml2 (the default), and how many
 * captures it completed. */
void vsXmlCaptureSetDirect(vsXmlCapture *cap, gboolean direct);
guint vsXmlCaptureGetDirectCount(const vsXmlCapture *cap);
/* For tests: the <metadata>s the direct scan had libxml2 parse (a repeat
 * of the last one taken is not parsed again). */
guint vsXmlCaptureGetMetadataParseCount(const vsXmlCapture *cap);

/* Appends the subtree in libvirt's style, each line indented by
 * 2 * @indent_level spaces (the element itself starts at that indent and
 * the output ends with "\n").  Without @secure, the secrets libvirt
 * writes only with VIR_DOMAIN_DEF_FORMAT_SECURE (<graphics passwd=…>, a
 * network source's <cookies>; list in xmlsubtree.c) are left out. */
void vsXmlSubtreeAppend(GString *buf, const vsXmlSubtree *tree,
                        guint indent_level, gboolean secure);

/* vsXmlSubtreeAppend at level 0 with secrets, of only the root's start and
 * end tags, the elements named by the NULL-terminated @path below it (e.g.
 * "devices", "disk": each <devices> child of the root, each <disk> child
 * of those; names in no prefix, none "metadata") and everything inside
 * the last one.  A path element written on one line (empty, or text and
 * elements mixed) is kept whole.  The same document as the whole
 * formatting for a reader that looks only along @path, at O(the text) of
 * scanning and copying only what is kept. */
void vsXmlSubtreeAppendPath(GString *buf, const vsXmlSubtree *tree, const char *const *path);

/* Whether @data of @len bytes is exactly what vsXmlSubtreeAppend would
 * write minus the first line's indent and the final newline (from '<' to
 * the closing '>', as the element stands in a formatted document).
 * Nothing is built. */
gboolean vsXmlSubtreeFormattedEqual(const vsXmlSubtree *tree, guint indent_level,
                                    gboolean secure, const char *data, gsize len);

/* The root element's start tag as vsXmlSubtreeAppend writes it at level 0
 * with its secrets (from '<' to its '>', "/>" for an empty element); NULL
 * for an empty subtree.  O(the tag): the tag is the first line.  g_free. */
char *vsXmlSubtreeGetStartTag(const vsXmlSubtree *tree);

/* Value of attribute @attr on the root element, or of the text of the
 * first child element @child (e.g. "uuid"); NULL if absent.  g_free. */
char *vsXmlSubtreeGetRootAttr(const vsXmlSubtree *tree, const char *attr);
char *vsXmlSubtreeGetChildText(const vsXmlSubtree *tree, const char *child);

/* Canonical bytes (secure form, indent level 0) in one piece.
 * Not plain XML: a newline inside character data is stored as '\x01' (so
 * re-indenting never touches it) and a secret (attribute or element) is
 * bracketed by '\x02' … '\x03'; bytes that cannot occur in XML 1.0 text.
 * The subtree is held in shared chunks: the first call makes (and keeps,
 * for the subtree's life) a copy of the whole text unless it is one chunk;
 * callers that need only the length use vsXmlSubtreeGetLength. */
const char *vsXmlSubtreeGetCanonical(const vsXmlSubtree *tree, gsize *len);
/* The length of the canonical bytes.  O(1). */
gsize vsXmlSubtreeGetLength(const vsXmlSubtree *tree);
/* The memory a subtree added to the process when it was captured, for
 * budgets; 0 for NULL.  Its text is held in chunks of whole lines shared
 * by every subtree of the process that has them (xmlsubtree-chunks.c): a
 * subtree counts its object, its list of chunks (8 bytes each) and the
 * chunks no subtree held before it, so two definitions differing by one
 * device count the second at about its list and a chunk or two, and the
 * sum over a load's subtrees is what the load holds for them. */
gsize vsXmlSubtreeBytes(const vsXmlSubtree *tree);
/* Byte equality of the canonical text, however it is cut (O(1) for
 * different hashes of two subtrees cut by the capture's policy; chunks held
 * by both are compared by address). */
gboolean vsXmlSubtreeEqual(const vsXmlSubtree *a, const vsXmlSubtree *b);
/* Hash of the canonical text as the capture cuts it (of its chunks' hashes
 * and lengths), computed at capture; with vsXmlSubtreeEqual: interning
 * tables (of subtrees all cut by the capture's policy). */
guint vsXmlSubtreeHash(const vsXmlSubtree *tree);

/* Parses the subtree's secure XML back into a fresh document (for callers
 * that need to look inside, e.g. disk alignment).  xmlFreeDoc it. */
xmlDocPtr vsXmlSubtreeToDoc(const vsXmlSubtree *tree, GError **error);

/* Pieces (format 3, docs/format.md "Definitions as pieces"): a subtree's
 * canonical text is held as a sequence of chunks of whole lines, each
 * interned process-wide (xmlsubtree-chunks.c); a piece is one of them.
 * Two subtrees hold the same piece object exactly when they hold the same
 * bytes there, so a piece's address is its identity within the process. */
typedef struct _vsXmlPiece vsXmlPiece;
/* The interned piece of @text (@len bytes), referenced (one reference for
 * the caller).  *@added (optional) grows by what a piece new to the process
 * holds.  Cost: hashing @len bytes and a table lookup, under the table's lock. */
vsXmlPiece *vsXmlPieceIntern(const char *text, gsize len, gsize *added);
vsXmlPiece *vsXmlPieceRef(vsXmlPiece *piece);
void vsXmlPieceUnref(vsXmlPiece *piece);
/* The piece's bytes (canonical text, markers included; NUL-terminated). */
const char *vsXmlPieceGetText(const vsXmlPiece *piece, gsize *len);
/* A subtree's pieces, in order (borrowed: valid while @tree is).  O(1). */
guint vsXmlSubtreeGetPieceCount(const vsXmlSubtree *tree);
vsXmlPiece *vsXmlSubtreeGetPiece(const vsXmlSubtree *tree, guint index);

/* What the pieces checks of one load (or one file) have decided, kept so
 * that a part of a definition checked once is not checked again (it holds
 * references to the pieces it has seen).  One thread at a time. */
typedef struct _vsXmlPieceCheck vsXmlPieceCheck;
vsXmlPieceCheck *vsXmlPieceCheckNew(void);
void vsXmlPieceCheckFree(vsXmlPieceCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsXmlPieceCheck, vsXmlPieceCheckFree)
/* The subtree whose canonical text is the texts of @pieces (@n of them)
 * in order, each referenced again, if that text is exactly what a capture
 * makes of some element (its secure formatting, parsed by libxml2 and
 * captured, gives the same bytes back) and the pieces are cut where a
 * capture cuts that text (so equal texts are always equal pieces).
 * Errors: VS_ERROR_CORRUPT with a short reason (the caller names the file
 * and the record).  Cost: see xmlsubtree-pieces.c; a text whose parts
 * (the root's children, and a big child's children, in groups of about a
 * piece) were checked before through @check costs O(@n), and one that
 * differs from those by a device parses the part or two around it. */
int vsXmlSubtreeFromPiecesChecked(vsXmlSubtree **out, vsXmlPieceCheck *check,
                                  vsXmlPiece *const *pieces, guint n, GError **error);

vsXmlSubtree *vsXmlSubtreeRef(vsXmlSubtree *tree);
void vsXmlSubtreeUnref(vsXmlSubtree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsXmlSubtree, vsXmlSubtreeUnref)
