/* xmlsubtree-capture.h — a capturer's state, shared by its two readers
 * of a formatted <domain>: libxml2's SAX parse (xmlsubtree-capture.c) and
 * the direct scan of this writer's layout (xmlsubtree-scan.c). */
#pragma once

#include <string.h>
#include <libxml/parser.h>

#include "record/xmlsubtree-private.h"

/* Far below any record depth a kind's parser accepts. */
#define CAPTURE_DEPTH_MAX VS_XML_CAPTURE_DEPTH_MAX

/* A name in the bytes the direct scan reads. */
typedef struct {
    const char *name;
    gsize len;
} ScanName;

struct _vsXmlCapture {
    xmlParserCtxtPtr ctxt;
    xmlParserCtxtPtr metadata_ctxt;  /* the direct scan's <metadata> parses */
    GString *metadata_in;  /* the last <metadata> bytes the direct scan took... */
    GString *metadata_out; /* ...and what they were written as (scanMetadata) */
    guint metadata_level;  /* an indent level metadata_in's lines format back
                            * to themselves at; G_MAXUINT: none known */
    guint metadata_parsed; /* <metadata>s the direct scan had libxml2 parse */
    ScanName *attrs;       /* the direct scan's tag's attribute names */
    gsize attrs_alloc;
    gboolean direct;       /* try the direct scan first (tests turn it off) */
    gboolean scanning;     /* the direct scan runs (no libxml2 parse to stop) */
    guint direct_taken;    /* captures the direct scan completed */
    GString *out;          /* the canonical text so far */
    GString *text;         /* the open element's character data so far */
    GString *scratch;      /* an attribute value, NUL-terminated */
    GArray *stack;         /* Frame per open element, outside <metadata> */
    xmlNodePtr metadata;   /* the root's <metadata>, while being built */
    guint metadata_depth;  /* open elements inside it (itself included) */
    gboolean metadata_seen;
    gboolean declined;
};

/* Appends without a call per piece (thousands of pieces a definition). */
static inline void
put(GString *out, const void *bytes, gsize n)
{
    if (G_UNLIKELY(out->len + n >= out->allocated_len)) {
        gsize len = out->len;
        g_string_set_size(out, len + n);
        out->len = len;
    }
    memcpy(out->str + out->len, bytes, n);
    out->len += n;
    out->str[out->len] = '\0';
}

static inline void
putStr(GString *out, const char *s)
{
    put(out, s, strlen(s));
}

static inline void
putByte(GString *out, char c)
{
    put(out, &c, 1);
}

/* vsXmlSubtreeIndent with this file's inline appends: calling it (one
 * g_string_append_len per indent) cost +1 % of a load's instructions. */
static inline void
putIndent(GString *out, guint depth)
{
    static const char spaces[64] =
        "                                                               ";

    for (gsize left = 2 * (gsize) depth; left > 0;) {
        gsize k = MIN(left, sizeof(spaces) - 1);
        put(out, spaces, k);
        left -= k;
    }
}

/* The root's <metadata> in cap->metadata is complete: written to cap->out
 * as always, from its DOM, or the capture declined (xmlsubtree-capture.c). */
void vsXmlCaptureEndMetadata(vsXmlCapture *cap);

/* The direct scan (xmlsubtree-scan.c): the element at @bytes[0] (@len
 * bytes formatted at @indent_level) written to cap->out as the SAX path
 * writes it, when it is in this writer's layout.
 * FALSE: declined (the capture's state is left for the caller to reset).
 * *@layout: every line of the element but its <metadata>'s formats back
 * at @indent_level to the bytes. */
gboolean vsXmlCaptureScan(vsXmlCapture *cap, const char *bytes, gsize len, guint indent_level,
                          gboolean *layout);
