/* xmlsubtree-private.h — a subtree's representation and the serializer's
 * state, shared by record/xmlsubtree*.c only. */
#pragma once

#include <string.h>
#include <libxml/tree.h>
#include "record/xmlsubtree.h"

/* A piece of a subtree's canonical text: whole lines, interned, so equal
 * pieces anywhere in the process are one object (xmlsubtree-chunks.c). */
typedef struct _vsXmlPiece {
    gint refs;
    guint hash;        /* vsXmlBytesHash of the bytes: the interning key */
    gsize len;
    gsize lines;       /* '\n' bytes in it, counted once at intern */
    const char *text;  /* NUL-terminated; data for an interned chunk */
    char data[];
} vsXmlChunk;

/* A subtree is the sequence of its chunks: their bytes, concatenated, are
 * its canonical text.  A chunk ends after a structural '\n' and never
 * inside a secret's '\x02' … '\x03', so every line, and every secret, is
 * whole in one chunk. */
struct _vsXmlSubtree {
    gint refs;
    guint hash;    /* vsXmlSubtreeHashChunks of its chunks: equal texts cut
                    * the same way hash the same, and no byte is read again */
    gboolean default_cut;  /* cut by vsXmlChunkingDefault: equal texts are then
                            * equal chunk lists (and equal hashes) */
    gsize lines;   /* '\n' bytes in the text: sizes vsXmlSubtreeAppend's output */
    gsize len;     /* of the whole text */
    gsize held;    /* vsXmlSubtreeBytes: what its capture added to memory */
    char *flat;    /* the text in one piece, once vsXmlSubtreeGetCanonical asked */
    guint nchunks;
    vsXmlChunk *chunks[];
};

/* Where chunks are cut: after a line once the chunk holds @min bytes and
 * the line's hash has its @mask bits clear, or once it holds @max bytes
 * (a longer line is never split).  Content-defined: two texts differing in
 * one place are cut alike before it and again soon after it. */
typedef struct {
    gsize min;
    gsize max;
    guint mask;
} vsXmlChunking;

extern const vsXmlChunking vsXmlChunkingDefault;

/* The hash of chunks (never 0). */
guint vsXmlBytesHash(const char *bytes, gsize len);
/* The hash of a subtree: of its chunks' hashes and lengths, in order
 * (never 0).  O(@n), whatever the text's length. */
guint vsXmlSubtreeHashChunks(vsXmlChunk *const *chunks, guint n);
/* A subtree of canonical @text (@len bytes), cut by @policy, its chunks
 * interned in the process's table. */
vsXmlSubtree *vsXmlSubtreeFromText(const char *text, gsize len, const vsXmlChunking *policy);
/* The subtree of @pieces' texts in order (each referenced again), not
 * checked: only vsXmlSubtreeFromPiecesChecked hands one out. */
vsXmlSubtree *vsXmlSubtreeFromPieces(vsXmlPiece *const *pieces, guint n);
/* Appends canonical text (@len bytes of whole lines, every secret whole)
 * formatted as vsXmlSubtreeAppend formats a subtree of that text at level
 * 0 with its secrets: for text that is no kept subtree (a pieces check's
 * wrap, the lines a path keeps), so none need be made to format it. */
void vsXmlCanonicalAppend(GString *buf, const char *text, gsize len);
/* Whether a text cut by vsXmlChunkingDefault has @piece as a whole chunk
 * where @piece starts a chunk: the policy cuts at its end and nowhere
 * before (@last: the text ends there, so no cut need be chosen).  O(the
 * piece); the pieces check remembers it per piece. */
gboolean vsXmlPieceCutAsCapture(const vsXmlPiece *piece, gboolean last);
/* For tests: the whole check of @pieces (formatted, parsed and captured
 * again), which the check by parts must always agree with; and how many
 * documents (wraps of parts, or whole texts) a pieces check has parsed. */
int vsXmlPiecesCheckWhole(vsXmlPiece *const *pieces, guint n, GError **error);
guint vsXmlPieceCheckGetParseCount(const vsXmlPieceCheck *check);
/* For tests: how many definitions the whole check decided (the check by
 * parts did not accept them). */
guint vsXmlPieceCheckGetWholeCount(const vsXmlPieceCheck *check);
/* vsXmlSubtreeFormattedEqual (with secrets) of a canonical @text of
 * whole lines not held as a subtree: a part of one, which formats the
 * same way (each line is formatted by its own bytes). */
gboolean vsXmlTextFormattedEqual(const char *text, gsize text_len, guint indent_level,
                                 const char *data, gsize len);
/* Drops the chunks and the object (the last reference is gone). */
void vsXmlSubtreeDestroy(vsXmlSubtree *tree);
/* Capture with a chosen @policy (tests compare cuttings). */
int vsXmlSubtreeFromNodeChunked(vsXmlSubtree **out, xmlNodePtr node,
                                const vsXmlChunking *policy, GError **error);

/* The markers in the text (xmlsubtree.c explains them). */
/* libxml2's MAX_INDENT: <metadata> lines stop at this column (xmlsubtree-out.c) */
#define VS_XML_SUBTREE_INDENT_CAP 60
#define MARK_NL ('\x01')
#define MARK_SECRET_BEGIN ('\x02')
#define MARK_SECRET_END ('\x03')

/* The secrets (xmlsubtree.c, "Secrets"), for both captures (from a DOM and
 * from formatted bytes): passwd='…' of a <graphics>, and a <cookies>
 * element anywhere below a domain's root (names without a namespace). */
#define VS_XML_SECRET_ATTR_OF "graphics"
#define VS_XML_SECRET_ATTR "passwd"
#define VS_XML_SECRET_ELEMENT "cookies"

static inline gboolean
vsXmlSubtreeSecretAttr(const xmlChar *element, gboolean element_ns, const xmlChar *attr,
                       gboolean attr_ns)
{
    return !element_ns && !attr_ns && xmlStrEqual(element, BAD_CAST VS_XML_SECRET_ATTR_OF) &&
           xmlStrEqual(attr, BAD_CAST VS_XML_SECRET_ATTR);
}

static inline gboolean
vsXmlSubtreeSecretElement(const xmlChar *element, gboolean element_ns, gboolean below_root)
{
    return below_root && !element_ns && xmlStrEqual(element, BAD_CAST VS_XML_SECRET_ELEMENT);
}

/* Whether the @len bytes at @name (no NUL needed) are the name @literal. */
static inline gboolean
vsXmlNameIs(const char *name, gsize len, const char *literal)
{
    return len == strlen(literal) && memcmp(name, literal, len) == 0;
}

/* One capture in progress. */
typedef struct {
    GString *out;
    GHashTable *used_ns;   /* xmlNs* referenced outside <metadata> */
    xmlNodePtr metadata;   /* the <metadata> child dumped libxml2-style */
    gboolean domain_root;
    gboolean in_place;     /* the caller's <metadata> may be rewritten */
    GError **error;
} vsSer;

/* Text of only whitespace (or none). */
gboolean vsXmlSubtreeIsBlank(const xmlChar *s);
/* Two spaces a level. */
void vsXmlSubtreeIndent(GString *out, guint depth);
gboolean vsXmlSubtreeAttrHasEntityRef(xmlAttrPtr attr);
/* VS_ERROR_TOO_LARGE once the text passes VS_XML_SUBTREE_MAX. */
int vsXmlSubtreeCheckSize(vsSer *ser);
/* A <metadata> child of a <domain>/<inactiveDomain> root, at @depth, as
 * libvirt prints it: through libxml2's serializer (xmlsubtree-metadata.c). */
int vsXmlSubtreeSerMetadata(vsSer *ser, xmlNodePtr node, guint depth);
