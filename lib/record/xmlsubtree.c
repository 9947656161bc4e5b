/* xmlsubtree.c — opaque, immutable, ref-counted XML subtrees.
 *
 * A subtree is kept as ONE string: its canonical serialization at indent
 * level 0, in the style of libvirt's formatter (2 spaces per level,
 * single-quoted attributes, libvirt's escaping, self-closed empty elements,
 * text-only elements on one line, whitespace between elements dropped,
 * comments and PIs dropped).  That text is the single source of truth, so
 * equal content means equal bytes (later work interns by content).
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
 * indentation), double quotes and all, so that is what we store for it.
 */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include "util/error.h"
#include "util/xmltext.h"
#include "record/xmlsubtree.h"

struct _vsXmlSubtree {
    gint refs;
    guint hash;    /* of the canonical bytes, 0 until first asked */
    gsize lines;   /* '\n' bytes in the text: sizes vsXmlSubtreeAppend's output */
    gsize len;
    char text[];   /* canonical form, NUL-terminated */
};

#define MARK_NL ('\x01')
#define MARK_SECRET_BEGIN ('\x02')
#define MARK_SECRET_END ('\x03')

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

typedef struct {
    GString *out;
    GHashTable *used_ns;   /* xmlNs* referenced outside <metadata> */
    xmlNodePtr metadata;   /* the <metadata> child dumped libxml2-style */
    gboolean domain_root;
    gboolean in_place;     /* the caller's <metadata> may be rewritten */
    GError **error;
} vsSer;

static gboolean
isBlank(const xmlChar *s)
{
    if (!s)
        return TRUE;
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return FALSE;
    }
    return TRUE;
}

static void
appendIndent(GString *out, guint depth)
{
    for (guint i = 0; i < depth; i++)
        g_string_append(out, "  ");
}

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

static gboolean
attrHasEntityRef(xmlAttrPtr attr)
{
    for (xmlNodePtr c = attr->children; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            return TRUE;
    }
    return FALSE;
}

static int
appendStartTag(vsSer *ser, xmlNodePtr node, gboolean root)
{
    GString *out = ser->out;
    gboolean graphics = vsXmlIsElement(node, "graphics");

    g_string_append_c(out, '<');
    appendQName(out, node->ns, node->name);

    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        xmlChar *value;
        /* see "Secrets" above */
        gboolean secret = graphics && !a->ns &&
                          strcmp((const char *) a->name, "passwd") == 0;

        if (attrHasEntityRef(a))
            return vsErr(ser->error, VS_ERROR_INVALID,
                         "XML error: entity reference in attribute '%s' is not supported",
                         (const char *) a->name);
        value = xmlNodeGetContent((xmlNodePtr) a);
        if (secret)
            g_string_append_c(out, MARK_SECRET_BEGIN);
        g_string_append_c(out, ' ');
        appendQName(out, a->ns, a->name);
        g_string_append(out, "='");
        vsXmlEscapeAttr(out, value ? (const char *) value : "");
        xmlFree(value);
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
static int serMetadata(vsSer *ser, xmlNodePtr node, guint depth);

static int
checkSize(vsSer *ser)
{
    if (ser->out->len > VS_XML_SUBTREE_MAX)
        return vsErr(ser->error, VS_ERROR_TOO_LARGE,
                     "XML subtree is larger than %d bytes", VS_XML_SUBTREE_MAX);
    return 0;
}

static int
serElement(vsSer *ser, xmlNodePtr node, guint depth, gboolean inlined,
           gboolean root)
{
    GString *out = ser->out;
    gboolean has_elem = FALSE;
    gboolean has_text = FALSE;
    gboolean has_blank = FALSE;
    /* see "Secrets" above; bracketed with its indent and final newline, so
     * leaving it out leaves the lines around it as they are */
    gboolean secret = ser->domain_root && !root && vsXmlIsElement(node, "cookies");

    if (checkSize(ser) < 0)
        return -1;
    if (secret)
        g_string_append_c(out, MARK_SECRET_BEGIN);

    for (xmlNodePtr c = node->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            has_elem = TRUE;
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (isBlank(c->content))
                has_blank = TRUE;
            else
                has_text = TRUE;
            break;
        case XML_ENTITY_REF_NODE:
            return vsErr(ser->error, VS_ERROR_INVALID,
                         "XML error: entity reference '&%s;' is not supported",
                         (const char *) c->name);
        default:
            break;   /* comments, PIs: dropped */
        }
    }

    /* Text directly inside <domain> beside its elements is ignored by
     * libvirt's parser; dropping it keeps <metadata> on its own path. */
    if (root && has_elem)
        has_text = FALSE;

    if (!inlined)
        appendIndent(out, depth);
    if (appendStartTag(ser, node, root) < 0)
        return -1;

    if (inlined || (has_elem && has_text)) {
        /* mixed content: formatting whitespace would change the data, so
         * keep it on one line exactly as given */
        if (!has_elem && !has_text && !has_blank) {
            g_string_append(out, "/>");
        } else {
            g_string_append_c(out, '>');
            for (xmlNodePtr c = node->children; c; c = c->next) {
                if (c->type == XML_ELEMENT_NODE) {
                    if (serElement(ser, c, depth + 1, TRUE, FALSE) < 0)
                        return -1;
                } else if (c->type == XML_TEXT_NODE ||
                           c->type == XML_CDATA_SECTION_NODE) {
                    vsXmlEscapeTextMarked(out, (const char *) c->content, MARK_NL);
                }
            }
            g_string_append(out, "</");
            appendQName(out, node->ns, node->name);
            g_string_append_c(out, '>');
        }
        if (!inlined)
            g_string_append_c(out, '\n');
    } else if (has_elem) {
        g_string_append(out, ">\n");
        for (xmlNodePtr c = node->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (root && ser->domain_root && vsXmlIsElement(c, "metadata")) {
                /* libvirt keeps only the first <metadata> */
                if (c == ser->metadata && serMetadata(ser, c, depth + 1) < 0)
                    return -1;
                continue;
            }
            if (serElement(ser, c, depth + 1, FALSE, FALSE) < 0)
                return -1;
        }
        appendIndent(out, depth);
        g_string_append(out, "</");
        appendQName(out, node->ns, node->name);
        g_string_append(out, ">\n");
    } else if (has_text || has_blank) {
        g_string_append_c(out, '>');
        for (xmlNodePtr c = node->children; c; c = c->next) {
            if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
                vsXmlEscapeTextMarked(out, (const char *) c->content, MARK_NL);
        }
        g_string_append(out, "</");
        appendQName(out, node->ns, node->name);
        g_string_append(out, ">\n");
    } else {
        g_string_append(out, "/>\n");
    }
    if (secret)
        g_string_append_c(out, MARK_SECRET_END);
    return 0;
}

/* ------------------------------------------------------------------ */
/* <metadata>: libxml2's serializer, as libvirt uses it                 */

/* libvirt keeps only namespaced children of <metadata>, the first per
 * namespace URI (virXMLNodeSanitizeNamespaces). */
static void
metadataSanitize(xmlNodePtr node)
{
    xmlNodePtr child = node->children;

    while (child) {
        xmlNodePtr next = child->next;

        if (child->type != XML_ELEMENT_NODE || !child->ns || !child->ns->href) {
            xmlUnlinkNode(child);
            xmlFreeNode(child);
            child = next;
            continue;
        }
        for (xmlNodePtr other = child->next; other;) {
            xmlNodePtr after = other->next;
            if (other->type == XML_ELEMENT_NODE && other->ns && other->ns->href &&
                xmlStrEqual(other->ns->href, child->ns->href)) {
                xmlUnlinkNode(other);
                xmlFreeNode(other);
            }
            other = after;
        }
        child = child->next;
    }
}

/* Drops the whitespace-only text nodes that libxml2's keepBlanks=0
 * heuristic drops while parsing (libvirt parses that way, and indenting
 * output depends on it).  Idempotent on an already NOBLANKS-parsed tree. */
static void
metadataStripBlanks(xmlNodePtr node)
{
    xmlNodePtr child = node->children;

    while (child) {
        xmlNodePtr next = child->next;

        if (child->type == XML_ELEMENT_NODE) {
            metadataStripBlanks(child);
        } else if (child->type == XML_TEXT_NODE && isBlank(child->content)) {
            gboolean only = !child->prev && !child->next;
            gboolean after_text = child->prev && child->prev->type == XML_TEXT_NODE;
            gboolean text_first = node->children != child &&
                                  node->children->type == XML_TEXT_NODE;

            if (!only && !after_text && !text_first) {
                xmlUnlinkNode(child);
                xmlFreeNode(child);
            }
        }
        child = next;
    }
}

/* Newlines in character data become MARK_NL so the dump's raw newlines
 * are all structural (xmlNodeDump writes \x01 through unchanged). */
static void
metadataMarkNewlines(xmlNodePtr node)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            metadataMarkNewlines(c);
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            if (c->content && strchr((const char *) c->content, '\n')) {
                g_autofree char *s = g_strdup((const char *) c->content);
                for (char *p = s; *p; p++) {
                    if (*p == '\n')
                        *p = MARK_NL;
                }
                xmlNodeSetContent(c, (const xmlChar *) s);
            }
            break;
        default:
            break;
        }
    }
}

typedef struct {
    GHashTable *declared;  /* xmlNs* declared inside the subtree */
    GHashTable *used;      /* xmlNs* its elements and attributes refer to */
    xmlNsPtr last_used;    /* most nodes repeat their neighbour's */
} MetadataNs;

static void
metadataNsUse(MetadataNs *ns, xmlNsPtr used)
{
    if (used && used != ns->last_used) {
        g_hash_table_add(ns->used, used);
        ns->last_used = used;
    }
}

/* One walk over <metadata>: whether it holds an entity reference, and,
 * with @ns, the namespaces declared in and used by it. */
static gboolean
metadataScan(xmlNodePtr node, MetadataNs *ns)
{
    if (ns) {
        for (xmlNsPtr d = node->nsDef; d; d = d->next)
            g_hash_table_add(ns->declared, d);
        metadataNsUse(ns, node->ns);
    }
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        if (attrHasEntityRef(a))
            return TRUE;
        if (ns)
            metadataNsUse(ns, a->ns);
    }
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            return TRUE;
        if (c->type == XML_ELEMENT_NODE && metadataScan(c, ns))
            return TRUE;
    }
    return FALSE;
}

/* Whether dumping @node where it stands gives the same bytes as dumping a
 * document-less copy: every namespace it uses is declared inside it (a
 * copy re-declares outside ones on its root), and attribute escaping does
 * not depend on the document (libxml2 writes non-ASCII as character
 * references only when the document has no declared encoding). */
static gboolean
metadataDumpsInPlace(xmlNodePtr node, MetadataNs *ns)
{
    GHashTableIter iter;
    gpointer used;

    if (node->doc && node->doc->encoding)
        return FALSE;
    g_hash_table_iter_init(&iter, ns->used);
    while (g_hash_table_iter_next(&iter, &used, NULL)) {
        if (!g_hash_table_contains(ns->declared, used))
            return FALSE;
    }
    return TRUE;
}

/* libxml2's output layer writes straight into our string. */
static int
metadataWrite(void *context, const char *buffer, int len)
{
    g_string_append_len(context, buffer, len);
    return len;
}

/* libxml2's formatted dump (xmlNodeDumpOutput, format 1) indents its lines
 * only while the process-global xmlIndentTreeOutput is set, with the global
 * xmlTreeIndentString, up to MAX_INDENT (60) bytes.  Those globals belong
 * to the application, so the library never sets them: it takes the dump's
 * line breaks, which do not depend on them, and indents each line as
 * libxml2's defaults do (2 spaces a level, at most 30 levels).  Every line
 * break in the dump is structural (newlines in text, comments and PIs were
 * marked, attribute values escape theirs) and every line starts with a tag,
 * a comment or a PI, so a line's level follows from the lines before it:
 * a start tag alone on its line opens one, an end tag closes one.  The
 * first line (the <metadata> start tag) is indented by the caller. */
#define METADATA_INDENT_LEVELS_MAX 30
static void
metadataIndent(GString *out, const char *dump, gsize len, guint depth)
{
    const char *p = dump;
    const char *end = dump + len;
    guint level = depth;

    for (gboolean first = TRUE; p < end; first = FALSE) {
        const char *eol = memchr(p, '\n', end - p);
        const char *line;
        gsize n;

        if (!eol)
            eol = end;
        /* whatever libxml2 put before the '<' is its own indentation */
        line = memchr(p, '<', eol - p);
        if (!line)
            line = p;
        n = eol - line;
        if (!first) {
            if (n >= 2 && line[1] == '/' && level > 0)
                level--;
            appendIndent(out, MIN(level, METADATA_INDENT_LEVELS_MAX));
        }
        g_string_append_len(out, line, n);
        if (eol < end)
            g_string_append_c(out, '\n');
        if (n >= 2 && line[0] == '<' && !strchr("/!?", line[1]) && line[n - 1] == '>' &&
            line[n - 2] != '/' && !memchr(line + 1, '<', n - 1))
            level++;
        p = eol < end ? eol + 1 : end;
    }
}

static int
serMetadata(vsSer *ser, xmlNodePtr node, guint depth)
{
    g_autoptr(GHashTable) declared = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    MetadataNs ns = { declared, used, NULL };
    xmlNodePtr copy = NULL;
    xmlNodePtr target = node;
    g_autoptr(GString) dump = NULL;
    xmlOutputBufferPtr obuf;
    int rc;

    if (metadataScan(node, ser->in_place ? &ns : NULL))
        return vsErr(ser->error, VS_ERROR_INVALID,
                     "XML error: entity references in <metadata> are not supported");

    /* Like libvirt: a document-less deep copy (namespaces declared outside
     * get re-declared on the copy's root), sanitized, then dumped.  When
     * the caller gave the tree away and the copy would dump the same,
     * the node itself is normalised: a big <metadata> is most of a big
     * domain, and copying it doubled the DOM. */
    if (!ser->in_place || !metadataDumpsInPlace(node, &ns)) {
        copy = xmlCopyNode(node, 1);
        if (!copy)
            g_error("out of memory copying <metadata>");
        target = copy;
    }
    metadataSanitize(target);
    metadataStripBlanks(target);
    metadataMarkNewlines(target);

    dump = g_string_new(NULL);
    obuf = xmlOutputBufferCreateIO(metadataWrite, NULL, dump, NULL);
    if (!obuf)
        g_error("out of memory serializing <metadata>");
    xmlNodeDumpOutput(obuf, NULL, target, (int) depth, 1, NULL);
    rc = obuf->error;
    if (xmlOutputBufferClose(obuf) < 0 && rc == 0)
        rc = -1;
    if (copy)
        xmlFreeNode(copy);

    if (rc != 0)
        return vsErr(ser->error, VS_ERROR_FAILED, "failed to serialize <metadata>");
    appendIndent(ser->out, depth);
    metadataIndent(ser->out, dump->str, dump->len, depth);
    g_string_append_c(ser->out, '\n');
    return checkSize(ser);
}

/* Everything below recurses; libxml2's parser already stops at depth 257
 * (without XML_PARSE_HUGE), this also covers trees built by hand. */
#define VS_XML_SUBTREE_DEPTH_MAX 1024

static int
subtreeFromNode(vsXmlSubtree **out, xmlNodePtr node, gboolean in_place, GError **error)
{
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    g_autoptr(GString) text = g_string_sized_new(256);
    vsSer ser = { text, used, NULL, FALSE, in_place, error };
    vsXmlSubtree *tree;

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
    if (checkSize(&ser) < 0)
        return -1;

    tree = g_malloc(sizeof(*tree) + text->len + 1);
    tree->refs = 1;
    tree->hash = 0;
    tree->len = text->len;
    tree->lines = 0;
    for (const char *nl = text->str; (nl = memchr(nl, '\n', text->str + text->len - nl)); nl++)
        tree->lines++;
    memcpy(tree->text, text->str, text->len + 1);
    *out = tree;
    return 0;
}

int
vsXmlSubtreeFromNode(vsXmlSubtree **out, xmlNodePtr node, GError **error)
{
    return subtreeFromNode(out, node, FALSE, error);
}

int
vsXmlSubtreeFromNodeInPlace(vsXmlSubtree **out, xmlNodePtr node, GError **error)
{
    return subtreeFromNode(out, node, TRUE, error);
}

/* ------------------------------------------------------------------ */
/* Emission                                                             */

/* Writes @n bytes to @out, or compares them with @cmp, at *pos. */
static inline gboolean
emitBytes(char *out, const char *cmp, gsize cmp_len, gsize *pos, const char *bytes, gsize n)
{
    if (out)
        memcpy(out + *pos, bytes, n);
    else if (*pos + n > cmp_len || memcmp(cmp + *pos, bytes, n) != 0)
        return FALSE;
    *pos += n;
    return TRUE;
}

/* The one walk behind vsXmlSubtreeAppend and vsXmlSubtreeFormattedEqual:
 * the formatted subtree after its first indent (with or without its final
 * newline), either written to @out (sized by the caller: at most the text
 * plus one indent per line) or compared with @cmp.  Returns its length, or
 * -1 at the first difference from @cmp.  Markers are rare, so it tracks
 * where the next of each kind is and moves whole runs (memchr, memcpy or
 * memcmp): every commit formats thousands of these. */
static gssize
subtreeEmit(const vsXmlSubtree *tree, guint indent_level, gboolean secure,
            gboolean final_newline, char *out, const char *cmp, gsize cmp_len)
{
    static const char spaces[64] =
        "                                                               ";
    static const char marks[3] = { MARK_NL, MARK_SECRET_BEGIN, MARK_SECRET_END };
    const char *next_mark[3];
    const char *p = tree->text;
    const char *end = tree->text + tree->len;
    gsize pad = indent_level * 2;
    gsize pos = 0;

    if (!final_newline && end > p && end[-1] == '\n')
        end--;
    for (guint k = 0; k < G_N_ELEMENTS(marks); k++) {
        next_mark[k] = memchr(p, marks[k], end - p);
        if (!next_mark[k])
            next_mark[k] = end;
    }
    while (p < end) {
        const char *stop = end;
        const char *nl;

        for (guint k = 0; k < G_N_ELEMENTS(marks); k++) {
            if (next_mark[k] < p) {
                next_mark[k] = memchr(p, marks[k], end - p);
                if (!next_mark[k])
                    next_mark[k] = end;
            }
            stop = MIN(stop, next_mark[k]);
        }
        if ((nl = memchr(p, '\n', stop - p)))
            stop = nl;
        if (!emitBytes(out, cmp, cmp_len, &pos, p, stop - p))
            return -1;
        p = stop;
        if (p >= end)
            break;
        switch (*p) {
        case '\n':
            if (!emitBytes(out, cmp, cmp_len, &pos, "\n", 1))
                return -1;
            for (gsize left = p + 1 < end ? pad : 0; left > 0;) {
                gsize k = MIN(left, sizeof(spaces) - 1);
                if (!emitBytes(out, cmp, cmp_len, &pos, spaces, k))
                    return -1;
                left -= k;
            }
            p++;
            break;
        case MARK_NL:
            if (!emitBytes(out, cmp, cmp_len, &pos, "\n", 1))
                return -1;
            p++;
            break;
        case MARK_SECRET_BEGIN:
            if (!secure) {
                const char *close = memchr(p, MARK_SECRET_END, end - p);
                p = close ? close + 1 : end;
            } else {
                p++;
            }
            break;
        default:   /* MARK_SECRET_END, or a byte that cannot be there */
            p++;
            break;
        }
    }
    if (!out && pos != cmp_len)
        return -1;
    return pos;
}

void
vsXmlSubtreeAppend(GString *buf, const vsXmlSubtree *tree,
                   guint indent_level, gboolean secure)
{
    guint pad = indent_level * 2;
    gsize at = buf->len;
    gssize n;

    if (tree->len == 0)
        return;
    g_string_set_size(buf, at + pad + tree->len + tree->lines * pad);
    memset(buf->str + at, ' ', pad);
    n = subtreeEmit(tree, indent_level, secure, TRUE, buf->str + at + pad, NULL, 0);
    g_string_truncate(buf, at + pad + n);
}

gboolean
vsXmlSubtreeFormattedEqual(const vsXmlSubtree *tree, guint indent_level, gboolean secure,
                           const char *data, gsize len)
{
    return subtreeEmit(tree, indent_level, secure, FALSE, NULL, data, len) == (gssize) len;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

/* Reverses vsXmlEscapeAttr/vsXmlEscapeTextMarked on [s, s+len). */
static char *
unescape(const char *s, gsize len)
{
    GString *out = g_string_sized_new(len);
    const char *end = s + len;

    while (s < end) {
        if (*s == '&') {
            static const struct { const char *ent; char c; } ents[] = {
                { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
                { "&quot;", '"' }, { "&apos;", '\'' }, { "&#9;", '\t' },
                { "&#10;", '\n' }, { "&#13;", '\r' },
            };
            gboolean done = FALSE;
            for (gsize i = 0; i < G_N_ELEMENTS(ents); i++) {
                gsize n = strlen(ents[i].ent);
                if ((gsize) (end - s) >= n && memcmp(s, ents[i].ent, n) == 0) {
                    g_string_append_c(out, ents[i].c);
                    s += n;
                    done = TRUE;
                    break;
                }
            }
            if (done)
                continue;
        }
        if (*s == MARK_NL)
            g_string_append_c(out, '\n');
        else if (*s != MARK_SECRET_BEGIN && *s != MARK_SECRET_END)
            g_string_append_c(out, *s);
        s++;
    }
    return g_string_free(out, FALSE);
}

char *
vsXmlSubtreeGetRootAttr(const vsXmlSubtree *tree, const char *attr)
{
    const char *p = tree->text;
    gsize alen = strlen(attr);

    /* the start tag is the first line; canonical attributes are
     * " name='value'" with every ' inside value escaped */
    if (*p != '<')
        return NULL;
    while (*p && *p != ' ' && *p != '>' && *p != '/' && *p != '\n')
        p++;
    while (*p == ' ' || *p == MARK_SECRET_BEGIN || *p == MARK_SECRET_END) {
        const char *name;
        const char *eq;
        const char *close;

        if (*p != ' ') {
            p++;
            continue;
        }
        name = p + 1;
        eq = strchr(name, '=');
        if (!eq || eq[1] != '\'')
            return NULL;
        close = strchr(eq + 2, '\'');
        if (!close)
            return NULL;
        if ((gsize) (eq - name) == alen && memcmp(name, attr, alen) == 0)
            return unescape(eq + 2, close - (eq + 2));
        p = close + 1;
    }
    return NULL;
}

char *
vsXmlSubtreeGetChildText(const vsXmlSubtree *tree, const char *child)
{
    g_autofree char *open = g_strdup_printf("\n  <%s", child);
    g_autofree char *close = g_strdup_printf("</%s>\n", child);
    gsize olen = strlen(open);
    const char *p = tree->text;

    /* A line starting with exactly two spaces and "<child" is a depth-1
     * child: deeper lines have more indent, and newlines inside data are
     * markers, never '\n'.  Fast path for the text-only form; anything
     * else goes through a real parse. */
    while ((p = strstr(p, open))) {
        const char *after = p + olen;
        if (*after == '>') {
            const char *eol = strchr(after, '\n');
            const char *content = after + 1;
            gsize clen = strlen(close);
            if (eol && (gsize) (eol + 1 - content) >= clen &&
                memcmp(eol + 1 - clen, close, clen) == 0 &&
                !memchr(content, '<', (eol + 1 - clen) - content))
                return unescape(content, (eol + 1 - clen) - content);
            break;
        }
        if (*after == ' ' || *after == '/')
            break;
        p = after;   /* a longer name with this prefix */
    }
    /* not found: absent, unless the whole subtree is one inline line */
    if (!p && strchr(tree->text, '\n') != tree->text + tree->len - 1)
        return NULL;

    {
        xmlDocPtr doc = vsXmlSubtreeToDoc(tree, NULL);
        xmlNodePtr root;
        char *ret = NULL;

        if (!doc)
            return NULL;
        root = xmlDocGetRootElement(doc);
        for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
            if (vsXmlIsElement(c, child)) {
                xmlChar *s = xmlNodeGetContent(c);
                ret = g_strdup(s ? (const char *) s : "");
                xmlFree(s);
                break;
            }
        }
        xmlFreeDoc(doc);
        return ret;
    }
}

xmlDocPtr
vsXmlSubtreeToDoc(const vsXmlSubtree *tree, GError **error)
{
    g_autoptr(GString) xml = g_string_sized_new(tree->len + 64);
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;

    vsXmlSubtreeAppend(xml, tree, 0, TRUE);
    doc = vsXmlReadMemory(xml->str, xml->len, "(subtree)", VS_XML_READ_NOBLANKS, &problem);
    /* Only a subtree whose formatting passes one of libxml2's limits (a
     * start tag grown past 10,000,000 bytes by escaping, say) gets here. */
    if (!doc)
        vsErr(error, VS_ERROR_INVALID, "XML error: formatted as it would be stored, a <%.*s> "
              "element does not parse again (%s)", (int) strcspn(tree->text + 1, " />\n"),
              tree->text + 1, problem.message ? problem.message : "not well-formed");
    vsXmlProblemClear(&problem);
    return doc;
}

/* ------------------------------------------------------------------ */
/* Identity and lifetime                                                */

const char *
vsXmlSubtreeGetCanonical(const vsXmlSubtree *tree, gsize *len)
{
    if (len)
        *len = tree->len;
    return tree->text;
}

guint
vsXmlSubtreeHash(const vsXmlSubtree *tree)
{
    /* Over the canonical bytes, 8 at a time (a domain can be megabytes),
     * computed once: subtrees are immutable, and interning asks for every
     * snapshot's <domain>. */
    if (tree->hash == 0) {
        guint64 h = 0x9E3779B97F4A7C15u ^ tree->len;
        gsize i = 0;
        guint32 h32;

        for (; i + 8 <= tree->len; i += 8) {
            guint64 w;
            memcpy(&w, tree->text + i, 8);
            h = (h ^ w) * 0x100000001B3u;
            h ^= h >> 29;
        }
        for (; i < tree->len; i++)
            h = (h ^ (guchar) tree->text[i]) * 0x100000001B3u;
        h ^= h >> 32;
        h32 = (guint32) h;
        ((vsXmlSubtree *) tree)->hash = h32 ? h32 : 1;
    }
    return tree->hash;
}

gsize
vsXmlSubtreeBytes(const vsXmlSubtree *tree)
{
    return tree ? tree->len + 64 : 0;   /* + the object and its allocation */
}

gboolean
vsXmlSubtreeEqual(const vsXmlSubtree *a, const vsXmlSubtree *b)
{
    if (a == b)
        return TRUE;
    if (!a || !b)
        return FALSE;
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
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
        g_free(tree);
}
