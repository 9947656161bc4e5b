/* xmlsubtree-metadata.c — a <domain>'s <metadata> kept as libvirt prints
 * it: sanitized as libvirt does, then dumped by libxml2's serializer with
 * libxml2's default indentation (never touching its global switches). */
#include <string.h>
#include <libxml/globals.h>
#include <libxml/xmlsave.h>

#include "util/error.h"
#include "record/xmlsubtree-private.h"

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
        } else if (child->type == XML_TEXT_NODE && vsXmlSubtreeIsBlank(child->content)) {
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
        if (vsXmlSubtreeAttrHasEntityRef(a))
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
 * to the application, so the library never sets them: when they are not
 * libxml2's defaults it takes the dump's line breaks, which do not depend
 * on them, and indents each line as the defaults do (2 spaces a level, at
 * most 30 levels).  Every line
 * break in the dump is structural (newlines in text, comments and PIs were
 * marked, attribute values escape theirs) and every line starts with a tag,
 * a comment or a PI, so a line's level follows from the lines before it:
 * a start tag alone on its line opens one, an end tag closes one.  The
 * first line (the <metadata> start tag) is indented by the caller. */
#define METADATA_INDENT_LEVELS_MAX (VS_XML_SUBTREE_INDENT_CAP / 2)
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
            vsXmlSubtreeIndent(out, MIN(level, METADATA_INDENT_LEVELS_MAX));
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

int
vsXmlSubtreeSerMetadata(vsSer *ser, xmlNodePtr node, guint depth)
{
    g_autoptr(GHashTable) declared = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    MetadataNs ns = { declared, used, NULL };
    xmlNodePtr copy = NULL;
    xmlNodePtr target = node;
    g_autoptr(GString) dump = NULL;
    gboolean default_indent;
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

    /* The application's libxml2 indentation settings are read, never set:
     * with the defaults (nearly always) the dump is already indented as
     * kept, else its lines are indented here (metadataIndent). */
    default_indent = xmlIndentTreeOutput && g_strcmp0(xmlTreeIndentString, "  ") == 0;
    vsXmlSubtreeIndent(ser->out, depth);
    if (!default_indent)
        dump = g_string_new(NULL);
    obuf = xmlOutputBufferCreateIO(metadataWrite, NULL, dump ? dump : ser->out, NULL);
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
    if (dump)
        metadataIndent(ser->out, dump->str, dump->len, depth);
    g_string_append_c(ser->out, '\n');
    return vsXmlSubtreeCheckSize(ser);
}

