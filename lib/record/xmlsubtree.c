/* xmlsubtree.c — opaque, immutable, ref-counted XML subtrees: capturing
 * one from a parsed node, and its identity.
 *
 * A subtree is kept as its canonical serialization at indent level 0, in
 * the style of libvirt's formatter (2 spaces per level, single-quoted
 * attributes, libvirt's escaping, self-closed empty elements, text-only
 * elements on one line, whitespace between elements dropped, comments and
 * PIs dropped).  That text is the single source of truth, so
 * equal content means equal bytes.  It is held as a sequence of interned
 * chunks of whole lines (xmlsubtree-chunks.c), so definitions that differ
 * in one device share the rest.
 *
 * Two byte markers that cannot occur in XML 1.0 character data make the
 * text re-indentable in one pass:
 *   '\n'   ends a structural line; re-indenting prefixes the next line;
 *   '\x01' is a newline inside character data, emitted raw and never
 *          indented (libvirt only indents at structural line starts);
 *   '\x02' … '\x03' bracket a secret, dropped when emitting without
 *          secure (see "Secrets" below).
 *
 * The exception is <metadata> directly under a <domain>/<inactiveDomain>
 * root: libvirt prints it with libxml2's own serializer (xmlNodeDump with
 * indentation), double quotes and all, so that is what we store for it
 * (xmlsubtree-metadata.c).  Writing a subtree out, comparing it with bytes
 * and looking inside it: xmlsubtree-out.c.
 */
#include <string.h>
#include <libxml/parser.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/xmlsubtree-private.h"

/* Secrets: what libvirt 9.0's domain formatter writes only with
 * VIR_DOMAIN_DEF_FORMAT_SECURE (snapshot-dumpxml --security-info), audited
 * in its src/conf/domain_conf.c:
 *  - virDomainGraphicsAuthDefFormatAttr: passwd='…' of <graphics> (VNC and
 *    SPICE; hidden here on every <graphics>, other types carry none);
 *  - virDomainDiskSourceFormatNetworkCookies: the whole <cookies> element
 *    of a network <source>, reached through virDomainDiskSourceFormat for
 *    a disk's <source>, each <backingStore>'s <source> and the <nvram>
 *    <source> (virDomainLoaderDefFormatNvram); hidden here wherever it
 *    stands in a <domain>/<inactiveDomain>.
 * Nothing else in the domain formatter looks at SECURE (auth and
 * encryption elements only name libvirt secret objects).  A snapshot's own
 * <disks> are formatted without it: their <cookies> are never kept. */

/* ------------------------------------------------------------------ */
/* Serialization                                                        */




static void
appendQName(GString *out, xmlNsPtr ns, const xmlChar *name)
{
    if (ns && ns->prefix) {
        g_string_append(out, (const char *) ns->prefix);
        g_string_append_c(out, ':');
    }
    g_string_append(out, (const char *) name);
}

static void
collectUsedNs(vsSer *ser, xmlNodePtr node)
{
    if (node->ns)
        g_hash_table_add(ser->used_ns, node->ns);
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        if (a->ns)
            g_hash_table_add(ser->used_ns, a->ns);
    }
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c != ser->metadata)
            collectUsedNs(ser, c);
    }
}

static void
appendNsDecl(vsSer *ser, xmlNsPtr ns)
{
    GString *out = ser->out;

    if (!ns->href || !g_hash_table_contains(ser->used_ns, ns))
        return;
    if (ns->prefix && strcmp((const char *) ns->prefix, "xml") == 0)
        return;
    g_string_append(out, " xmlns");
    if (ns->prefix) {
        g_string_append_c(out, ':');
        g_string_append(out, (const char *) ns->prefix);
    }
    g_string_append(out, "='");
    {
        /* libxml2 keeps an escaped '&' in a namespace URI as "&#38;" (it
         * expands nothing in xmlns values); escaping that again would add
         * a "#38;" at every round trip. */
        g_auto(GStrv) parts = g_strsplit((const char *) ns->href, "&#38;", -1);
        g_autofree char *href = g_strjoinv("&", parts);
        vsXmlEscapeAttr(out, href);
    }
    g_string_append_c(out, '\'');
}


static int
appendStartTag(vsSer *ser, xmlNodePtr node, gboolean root)
{
    GString *out = ser->out;

    g_string_append_c(out, '<');
    appendQName(out, node->ns, node->name);

    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        xmlChar *joined = NULL;
        const char *value;
        /* see "Secrets" above */
        gboolean secret = vsXmlSubtreeSecretAttr(node->name, node->ns != NULL, a->name,
                                                 a->ns != NULL);

        if (vsXmlSubtreeAttrHasEntityRef(a))
            return vsErr(ser->error, VS_ERROR_INVALID,
                         "XML error: entity reference in attribute '%s' is not supported",
                         (const char *) a->name);
        /* the usual value is one text node: read it in place rather than
         * copy it (xmlNodeGetContent allocates) */
        if (a->children && a->children->type == XML_TEXT_NODE && !a->children->next)
            value = (const char *) a->children->content;
        else
            value = (const char *) (joined = xmlNodeGetContent((xmlNodePtr) a));
        if (secret)
            g_string_append_c(out, MARK_SECRET_BEGIN);
        g_string_append_c(out, ' ');
        appendQName(out, a->ns, a->name);
        g_string_append_len(out, "='", 2);
        vsXmlEscapeAttr(out, value ? value : "");
        xmlFree(joined);
        g_string_append_c(out, '\'');
        if (secret)
            g_string_append_c(out, MARK_SECRET_END);
    }

    if (root) {
        /* declarations in scope (own first, then inherited), as libvirt
         * prints its namespaces on the root after ordinary attributes */
        xmlNsPtr *list = xmlGetNsList(node->doc, node);
        for (xmlNsPtr *n = list; n && *n; n++)
            appendNsDecl(ser, *n);
        xmlFree(list);
    } else {
        for (xmlNsPtr ns = node->nsDef; ns; ns = ns->next)
            appendNsDecl(ser, ns);
    }
    return 0;
}

static int serElement(vsSer *ser, xmlNodePtr node, guint depth,
                      gboolean inlined, gboolean root);


/* What @node holds: elements, text, text of only whitespace.  Entity
 * references are refused (never expanded). */
static int
serClassify(vsSer *ser, xmlNodePtr node, gboolean *has_elem, gboolean *has_text,
            gboolean *has_blank)
{
    *has_elem = *has_text = *has_blank = FALSE;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            *has_elem = TRUE;
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (vsXmlSubtreeIsBlank(c->content))
                *has_blank = TRUE;
            else
                *has_text = TRUE;
            break;
        case XML_ENTITY_REF_NODE:
            return vsErr(ser->error, VS_ERROR_INVALID,
                         "XML error: entity reference '&%s;' is not supported",
                         (const char *) c->name);
        default:
            break;   /* comments, PIs: dropped */
        }
    }
    return 0;
}

static void
serEndTag(GString *out, xmlNodePtr node)
{
    g_string_append(out, "</");
    appendQName(out, node->ns, node->name);
    g_string_append_c(out, '>');
}

/* The content after the start tag, on one line: mixed content (formatting
 * whitespace would change the data, so it is kept exactly as given), or
 * text alone.  @with_elements: child elements too (inline themselves). */
static int
serInline(vsSer *ser, xmlNodePtr node, guint depth, gboolean with_elements)
{
    g_string_append_c(ser->out, '>');
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (with_elements && serElement(ser, c, depth + 1, TRUE, FALSE) < 0)
                return -1;
        } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            vsXmlEscapeTextMarked(ser->out, (const char *) c->content, MARK_NL);
        }
    }
    serEndTag(ser->out, node);
    return 0;
}

/* Element children, one per line, then the end tag on its own line. */
static int
serChildren(vsSer *ser, xmlNodePtr node, guint depth, gboolean root)
{
    g_string_append(ser->out, ">\n");
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (root && ser->domain_root && vsXmlIsElement(c, "metadata")) {
            /* libvirt keeps only the first <metadata> */
            if (c == ser->metadata && vsXmlSubtreeSerMetadata(ser, c, depth + 1) < 0)
                return -1;
            continue;
        }
        if (serElement(ser, c, depth + 1, FALSE, FALSE) < 0)
            return -1;
    }
    vsXmlSubtreeIndent(ser->out, depth);
    serEndTag(ser->out, node);
    return 0;
}

static int
serElement(vsSer *ser, xmlNodePtr node, guint depth, gboolean inlined,
           gboolean root)
{
    GString *out = ser->out;
    gboolean has_elem, has_text, has_blank;
    /* see "Secrets" above; bracketed with its indent and final newline, so
     * leaving it out leaves the lines around it as they are */
    gboolean secret = ser->domain_root &&
                      vsXmlSubtreeSecretElement(node->name, node->ns != NULL, !root);
    int rc;

    if (vsXmlSubtreeCheckSize(ser) < 0 || serClassify(ser, node, &has_elem, &has_text, &has_blank) < 0)
        return -1;
    /* Text directly inside <domain> beside its elements is ignored by
     * libvirt's parser; dropping it keeps <metadata> on its own path. */
    if (root && has_elem)
        has_text = FALSE;
    if (secret)
        g_string_append_c(out, MARK_SECRET_BEGIN);
    if (!inlined)
        vsXmlSubtreeIndent(out, depth);
    if (appendStartTag(ser, node, root) < 0)
        return -1;

    if (!has_elem && !has_text && !has_blank) {
        g_string_append(out, "/>");
        rc = 0;
    } else if (inlined || (has_elem && has_text)) {
        rc = serInline(ser, node, depth, TRUE);
    } else if (has_elem) {
        rc = serChildren(ser, node, depth, root);
    } else {
        rc = serInline(ser, node, depth, FALSE);
    }
    if (rc < 0)
        return -1;
    if (!inlined)
        g_string_append_c(out, '\n');
    if (secret)
        g_string_append_c(out, MARK_SECRET_END);
    return 0;
}

gboolean
vsXmlSubtreeIsBlank(const xmlChar *s)
{
    if (!s)
        return TRUE;
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return FALSE;
    }
    return TRUE;
}

void
vsXmlSubtreeIndent(GString *out, guint depth)
{
    /* one append per 32 levels, not one per level: every element of a
     * formatted or captured tree starts with its indent */
    static const char spaces[] = "                                "
                                 "                                ";
    gsize left = (gsize) depth * 2;

    while (left > 0) {
        gsize n = MIN(left, sizeof(spaces) - 1);

        g_string_append_len(out, spaces, (gssize) n);
        left -= n;
    }
}

gboolean
vsXmlSubtreeAttrHasEntityRef(xmlAttrPtr attr)
{
    for (xmlNodePtr c = attr->children; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            return TRUE;
    }
    return FALSE;
}

int
vsXmlSubtreeCheckSize(vsSer *ser)
{
    if (ser->out->len > VS_XML_SUBTREE_MAX)
        return vsErr(ser->error, VS_ERROR_TOO_LARGE,
                     "XML subtree is larger than %d bytes", VS_XML_SUBTREE_MAX);
    return 0;
}

/* Everything below recurses; libxml2's parser already stops at depth 257
 * (without XML_PARSE_HUGE), this also covers trees built by hand. */
#define VS_XML_SUBTREE_DEPTH_MAX 1024

static int
subtreeFromNode(vsXmlSubtree **out, xmlNodePtr node, gboolean in_place,
                const vsXmlChunking *policy, GError **error)
{
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    g_autoptr(GString) text = g_string_sized_new(256);
    vsSer ser = { text, used, NULL, FALSE, in_place, error };

    *out = NULL;
    g_return_val_if_fail(node && node->type == XML_ELEMENT_NODE, -1);
    if (vsXmlElementDepth(node, VS_XML_SUBTREE_DEPTH_MAX) > VS_XML_SUBTREE_DEPTH_MAX)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: <%s> is nested deeper than %d levels",
                     (const char *) node->name, VS_XML_SUBTREE_DEPTH_MAX);

    if (vsXmlIsElement(node, "domain") || vsXmlIsElement(node, "inactiveDomain")) {
        ser.domain_root = TRUE;
        for (xmlNodePtr c = node->children; c; c = c->next) {
            if (vsXmlIsElement(c, "metadata")) {
                ser.metadata = c;
                break;
            }
        }
    }
    collectUsedNs(&ser, node);
    if (serElement(&ser, node, 0, FALSE, TRUE) < 0)
        return -1;
    if (vsXmlSubtreeCheckSize(&ser) < 0)
        return -1;
    *out = vsXmlSubtreeFromText(text->str, text->len, policy);
    return 0;
}

int
vsXmlSubtreeFromNode(vsXmlSubtree **out, xmlNodePtr node, GError **error)
{
    return subtreeFromNode(out, node, FALSE, &vsXmlChunkingDefault, error);
}

int
vsXmlSubtreeFromNodeInPlace(vsXmlSubtree **out, xmlNodePtr node, GError **error)
{
    return subtreeFromNode(out, node, TRUE, &vsXmlChunkingDefault, error);
}

int
vsXmlSubtreeFromNodeChunked(vsXmlSubtree **out, xmlNodePtr node, const vsXmlChunking *policy,
                            GError **error)
{
    return subtreeFromNode(out, node, FALSE, policy, error);
}

/* ------------------------------------------------------------------ */
/* Identity and lifetime                                                */

gsize
vsXmlSubtreeGetLength(const vsXmlSubtree *tree)
{
    return tree->len;
}

guint
vsXmlSubtreeHash(const vsXmlSubtree *tree)
{
    return tree->hash;   /* computed at capture (subtrees are immutable) */
}

gsize
vsXmlSubtreeBytes(const vsXmlSubtree *tree)
{
    return tree ? tree->held : 0;
}

/* Byte for byte, whatever the cutting; a chunk both hold at the same
 * place is compared by address. */
static gboolean
chunksEqual(const vsXmlSubtree *a, const vsXmlSubtree *b)
{
    guint i = 0, j = 0;
    gsize at_a = 0, at_b = 0;

    while (i < a->nchunks && j < b->nchunks) {
        const vsXmlChunk *x = a->chunks[i];
        const vsXmlChunk *y = b->chunks[j];
        gsize n;

        if (at_a == 0 && at_b == 0 && x == y) {
            i++;
            j++;
            continue;
        }
        n = MIN(x->len - at_a, y->len - at_b);
        if (memcmp(x->text + at_a, y->text + at_b, n) != 0)
            return FALSE;
        at_a += n;
        at_b += n;
        if (at_a == x->len) {
            i++;
            at_a = 0;
        }
        if (at_b == y->len) {
            j++;
            at_b = 0;
        }
    }
    return TRUE;   /* same length: both ran out together */
}

gboolean
vsXmlSubtreeEqual(const vsXmlSubtree *a, const vsXmlSubtree *b)
{
    if (a == b)
        return TRUE;
    if (!a || !b)
        return FALSE;
    if (a->len != b->len)
        return FALSE;
    /* a subtree's hash is of its chunks: equal texts hash alike only when
     * cut alike (tests cut with other policies) */
    if (a->default_cut && b->default_cut && a->hash != b->hash)
        return FALSE;
    return chunksEqual(a, b);
}

vsXmlSubtree *
vsXmlSubtreeRef(vsXmlSubtree *tree)
{
    if (tree)
        g_atomic_int_inc(&tree->refs);
    return tree;
}

void
vsXmlSubtreeUnref(vsXmlSubtree *tree)
{
    if (tree && g_atomic_int_dec_and_test(&tree->refs))
        vsXmlSubtreeDestroy(tree);
}
