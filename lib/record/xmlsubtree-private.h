/* xmlsubtree-private.h — a subtree's representation and the serializer's
 * state, shared by record/xmlsubtree*.c only. */
#pragma once

#include <libxml/tree.h>
#include "record/xmlsubtree.h"

struct _vsXmlSubtree {
    gint refs;
    guint hash;    /* of the canonical bytes, 0 until first asked */
    gsize lines;   /* '\n' bytes in the text: sizes vsXmlSubtreeAppend's output */
    gsize len;
    char text[];   /* canonical form, NUL-terminated */
};

/* The markers in the text (xmlsubtree.c explains them). */
/* libxml2's MAX_INDENT: <metadata> lines stop at this column (xmlsubtree-out.c) */
#define VS_XML_SUBTREE_INDENT_CAP 60
#define MARK_NL ('\x01')
#define MARK_SECRET_BEGIN ('\x02')
#define MARK_SECRET_END ('\x03')

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
