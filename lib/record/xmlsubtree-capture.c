/* xmlsubtree-capture.c — a <domain> captured from bytes this library
 * formatted, without building and re-serializing a DOM of it (issue 16).
 *
 * libxml2 parses the bytes with SAX callbacks only: every element, text
 * and attribute it reports is written straight out by the rules of
 * serElement (xmlsubtree.c), and only a root's <metadata> is built as a
 * DOM (libxml2's own SAX2 tree builder) and written by the same
 * vsXmlSubtreeSerMetadata as always.  Whatever those rules would treat
 * specially is declined rather than reproduced: namespaces outside
 * <metadata>, mixed content, comments, PIs, CDATA, entity references, '&'
 * in an attribute value (libxml2 hands it over escaped), a second
 * <metadata>, text beside the root's elements, deep nesting, any error or
 * warning.  Last, the text must format back to exactly the given bytes:
 * only what this library writes is taken, and anything declined is
 * captured from a DOM as before, which reports the errors.
 *
 * A direct scan of the bytes comes first (xmlsubtree-scan.c: the strict
 * layout this library writes, read without libxml2, its <metadata> alone
 * parsed by libxml2, written as these callbacks would write it); bytes
 * outside that layout are parsed by libxml2 from the start, as before. */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include "util/xmltext.h"
#include "record/xmlsubtree-capture.h"

typedef struct {
    const xmlChar *name;   /* the parser's dictionary */
    gboolean children;     /* ">\n" written: elements, one per line */
    gboolean secret;       /* a <cookies>: bracketed as a secret */
} Frame;

/* Whether vsXmlEscapeAttr leaves @n bytes as they are. */
static gboolean
attrIsPlain(const xmlChar *v, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (v[i] < 0x20 || v[i] == '&' || v[i] == '<' || v[i] == '>' || v[i] == '"' ||
            v[i] == '\'')
            return FALSE;
    }
    return TRUE;
}

static void
decline(vsXmlCapture *cap)
{
    cap->declined = TRUE;
    if (!cap->scanning)
        xmlStopParser(cap->ctxt);
}

static vsXmlCapture *
captureOf(void *ctx)
{
    return ((xmlParserCtxtPtr) ctx)->_private;
}

static Frame *
topFrame(vsXmlCapture *cap)
{
    return cap->stack->len ? &g_array_index(cap->stack, Frame, cap->stack->len - 1) : NULL;
}

static gboolean
textIsBlank(const GString *text)
{
    return vsXmlSubtreeIsBlank((const xmlChar *) text->str);
}

/* A child element starts under @parent: its start tag is closed by ">\n"
 * (whitespace around elements is dropped; text beside them is mixed
 * content, written inline: declined). */
static gboolean
openChildren(vsXmlCapture *cap, Frame *parent)
{
    if (parent->children)
        return TRUE;
    if (!textIsBlank(cap->text))
        return FALSE;
    g_string_truncate(cap->text, 0);
    put(cap->out, ">\n", 2);
    parent->children = TRUE;
    return TRUE;
}

static gboolean
appendAttributes(vsXmlCapture *cap, const xmlChar *name, int nb_attributes,
                 const xmlChar **attributes)
{
    for (int i = 0; i < nb_attributes; i++) {
        const xmlChar **a = attributes + 5 * i;   /* local, prefix, URI, value, end */
        gboolean secret = vsXmlSubtreeSecretAttr(name, FALSE, a[0], a[1] || a[2]);

        if (a[1] || a[2] || memchr(a[3], '&', a[4] - a[3]))
            return FALSE;
        if (secret)
            putByte(cap->out, MARK_SECRET_BEGIN);
        putByte(cap->out, ' ');
        putStr(cap->out, (const char *) a[0]);
        put(cap->out, "='", 2);
        if (attrIsPlain(a[3], a[4] - a[3])) {
            put(cap->out, a[3], a[4] - a[3]);
        } else {
            g_string_truncate(cap->scratch, 0);
            g_string_append_len(cap->scratch, (const char *) a[3], a[4] - a[3]);
            vsXmlEscapeAttr(cap->out, cap->scratch->str);
        }
        putByte(cap->out, '\'');
        if (secret)
            putByte(cap->out, MARK_SECRET_END);
    }
    return TRUE;
}

static void
onStartElement(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI,
               int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
               int nb_defaulted, const xmlChar **attributes)
{
    vsXmlCapture *cap = captureOf(ctx);
    Frame *parent = topFrame(cap);
    guint depth = cap->stack->len;
    Frame frame = { localname, FALSE, FALSE };

    if (cap->declined)
        return;
    if (cap->metadata) {
        cap->metadata_depth++;
        xmlSAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces, namespaces,
                              nb_attributes, nb_defaulted, attributes);
        return;
    }
    /* the root is a <domain> or <inactiveDomain> (what decides <metadata>
     * and secret <cookies>); the text stays within the DOM path's bound */
    if (cap->out->len > VS_XML_SUBTREE_MAX || prefix || URI || nb_namespaces || nb_defaulted || depth >= CAPTURE_DEPTH_MAX ||
        (!parent && !xmlStrEqual(localname, BAD_CAST "domain") &&
         !xmlStrEqual(localname, BAD_CAST "inactiveDomain")) ||
        (parent && !openChildren(cap, parent))) {
        decline(cap);
        return;
    }
    if (depth == 1 && xmlStrEqual(localname, BAD_CAST "metadata")) {
        if (cap->metadata_seen) {   /* libvirt keeps the first one only */
            decline(cap);
            return;
        }
        cap->metadata_seen = TRUE;
        cap->metadata_depth = 1;
        xmlSAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces, namespaces,
                              nb_attributes, nb_defaulted, attributes);
        cap->metadata = ((xmlParserCtxtPtr) ctx)->node;
        if (!cap->metadata)
            decline(cap);
        return;
    }
    frame.secret = vsXmlSubtreeSecretElement(localname, prefix || URI, depth > 0);
    if (frame.secret)
        putByte(cap->out, MARK_SECRET_BEGIN);
    putIndent(cap->out, depth);
    putByte(cap->out, '<');
    putStr(cap->out, (const char *) localname);
    if (!appendAttributes(cap, localname, nb_attributes, attributes)) {
        decline(cap);
        return;
    }
    g_string_truncate(cap->text, 0);
    g_array_append_val(cap->stack, frame);
}

void
vsXmlCaptureEndMetadata(vsXmlCapture *cap)
{
    vsSer ser = { cap->out, NULL, cap->metadata, TRUE, TRUE, NULL };

    if (vsXmlSubtreeSerMetadata(&ser, cap->metadata, 1) < 0)
        decline(cap);
    xmlUnlinkNode(cap->metadata);
    xmlFreeNode(cap->metadata);
    cap->metadata = NULL;
}

static void
onEndElement(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI)
{
    vsXmlCapture *cap = captureOf(ctx);
    Frame frame;

    if (cap->declined)
        return;
    if (cap->metadata) {
        xmlSAX2EndElementNs(ctx, localname, prefix, URI);
        if (--cap->metadata_depth == 0)
            vsXmlCaptureEndMetadata(cap);
        return;
    }
    if (!topFrame(cap) || cap->out->len > VS_XML_SUBTREE_MAX) {
        decline(cap);
        return;
    }
    frame = *topFrame(cap);
    g_array_set_size(cap->stack, cap->stack->len - 1);
    if (frame.children) {
        putIndent(cap->out, cap->stack->len);
        put(cap->out, "</", 2);
    } else if (cap->text->len) {
        putByte(cap->out, '>');
        vsXmlEscapeTextMarked(cap->out, cap->text->str, MARK_NL);
        put(cap->out, "</", 2);
    } else {
        put(cap->out, "/>\n", 3);
    }
    if (frame.children || cap->text->len) {
        putStr(cap->out, (const char *) frame.name);
        put(cap->out, ">\n", 2);
    }
    if (frame.secret)
        putByte(cap->out, MARK_SECRET_END);
    g_string_truncate(cap->text, 0);
}

static void
onCharacters(void *ctx, const xmlChar *ch, int len)
{
    vsXmlCapture *cap = captureOf(ctx);
    Frame *top = topFrame(cap);

    if (cap->declined)
        return;
    if (cap->metadata) {
        xmlSAX2Characters(ctx, ch, len);
        return;
    }
    if (!top || memchr(ch, '\0', len)) {
        decline(cap);
        return;
    }
    if (top->children) {
        /* beside elements: only the whitespace of the layout */
        for (int i = 0; i < len; i++) {
            if (ch[i] != ' ' && ch[i] != '\n' && ch[i] != '\t' && ch[i] != '\r') {
                decline(cap);
                return;
            }
        }
        return;
    }
    g_string_append_len(cap->text, (const char *) ch, len);
}

/* Comments, PIs and CDATA: kept inside <metadata> (its serializer
 * decides what becomes of them), declined elsewhere.  Whether to build. */
static gboolean
metadataOnly(void *ctx)
{
    vsXmlCapture *cap = captureOf(ctx);

    if (!cap->declined && !cap->metadata)
        decline(cap);
    return !cap->declined;
}

static void
onComment(void *ctx, const xmlChar *value)
{
    if (metadataOnly(ctx))
        xmlSAX2Comment(ctx, value);
}

static void
onPI(void *ctx, const xmlChar *target, const xmlChar *data)
{
    if (metadataOnly(ctx))
        xmlSAX2ProcessingInstruction(ctx, target, data);
}

static void
onCData(void *ctx, const xmlChar *value, int len)
{
    if (metadataOnly(ctx))
        xmlSAX2CDataBlock(ctx, value, len);
}

static void
onReference(void *ctx, const xmlChar *name G_GNUC_UNUSED)
{
    decline(captureOf(ctx));
}

static void
onInternalSubset(void *ctx, const xmlChar *name G_GNUC_UNUSED,
                 const xmlChar *external_id G_GNUC_UNUSED, const xmlChar *system_id G_GNUC_UNUSED)
{
    decline(captureOf(ctx));
}

/* Any report at all, warnings included: the rest of the parse only
 * finishes (its events are ignored). */
static void
onProblem(void *ctx, xmlErrorPtr err G_GNUC_UNUSED)
{
    vsXmlCapture *cap = captureOf(ctx);

    cap->declined = TRUE;
}

vsXmlCapture *
vsXmlCaptureNew(void)
{
    vsXmlCapture *cap = g_new0(vsXmlCapture, 1);
    xmlSAXHandler sax = { 0 };

    sax.initialized = XML_SAX2_MAGIC;
    sax.startDocument = xmlSAX2StartDocument;
    sax.endDocument = xmlSAX2EndDocument;
    sax.startElementNs = onStartElement;
    sax.endElementNs = onEndElement;
    sax.characters = onCharacters;
    sax.ignorableWhitespace = onCharacters;
    sax.comment = onComment;
    sax.processingInstruction = onPI;
    sax.cdataBlock = onCData;
    sax.reference = onReference;
    sax.internalSubset = onInternalSubset;
    sax.serror = onProblem;
    cap->ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
    if (!cap->ctxt)
        g_error("out of memory creating a parser");
    cap->ctxt->_private = cap;
    cap->metadata_ctxt = xmlNewParserCtxt();
    if (!cap->metadata_ctxt)
        g_error("out of memory creating a parser");
    cap->metadata_ctxt->_private = cap;
    cap->metadata_ctxt->sax->serror = onProblem;   /* any report declines, as in the SAX path */
    cap->metadata_in = g_string_new(NULL);
    cap->metadata_out = g_string_new(NULL);
    cap->metadata_level = G_MAXUINT;
    cap->direct = TRUE;
    cap->out = g_string_sized_new(4096);
    cap->text = g_string_new(NULL);
    cap->scratch = g_string_new(NULL);
    cap->stack = g_array_new(FALSE, FALSE, sizeof(Frame));
    return cap;
}

void
vsXmlCaptureFree(vsXmlCapture *cap)
{
    if (!cap)
        return;
    xmlFreeParserCtxt(cap->ctxt);
    xmlFreeParserCtxt(cap->metadata_ctxt);
    g_string_free(cap->metadata_in, TRUE);
    g_string_free(cap->metadata_out, TRUE);
    g_free(cap->attrs);
    g_string_free(cap->out, TRUE);
    g_string_free(cap->text, TRUE);
    g_string_free(cap->scratch, TRUE);
    g_array_unref(cap->stack);
    g_free(cap);
}

void
vsXmlCaptureSetDirect(vsXmlCapture *cap, gboolean direct)
{
    cap->direct = direct;
}

guint
vsXmlCaptureGetDirectCount(const vsXmlCapture *cap)
{
    return cap->direct_taken;
}

guint
vsXmlCaptureGetMetadataParseCount(const vsXmlCapture *cap)
{
    return cap->metadata_parsed;
}

static void
captureReset(vsXmlCapture *cap)
{
    g_string_truncate(cap->out, 0);
    g_string_truncate(cap->text, 0);
    g_array_set_size(cap->stack, 0);
    cap->metadata = NULL;
    cap->metadata_seen = cap->declined = FALSE;
}

/* libxml2's SAX parse of the bytes, into the callbacks; whether it went
 * through without a report or a decline. */
static gboolean
captureParse(vsXmlCapture *cap, const char *bytes, gsize len)
{
    xmlDocPtr doc = xmlCtxtReadMemory(cap->ctxt, bytes, (int) len, NULL, NULL,
                                      VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);

    /* a <metadata> left open by a stopped parse belongs to the document */
    cap->metadata = NULL;
    xmlFreeDoc(doc);
    return !cap->declined && cap->ctxt->wellFormed;
}

/* The direct scan, then (with @sax) libxml2's SAX parse when it declines. */
static vsXmlSubtree *
captureFormatted(vsXmlCapture *cap, const char *bytes, gsize len, guint indent_level,
                 gboolean sax)
{
    vsXmlSubtree *tree = NULL;
    gboolean layout = FALSE, known;

    if (len > VS_XML_SUBTREE_MAX || len < 2 || bytes[0] != '<')
        return NULL;
    captureReset(cap);
    if (cap->direct && vsXmlCaptureScan(cap, bytes, len, indent_level, &layout)) {
        cap->direct_taken++;
    } else {
        layout = FALSE;
        captureReset(cap);
        if (!sax || !captureParse(cap, bytes, len))
            return NULL;
    }
    if (cap->stack->len || cap->out->len > VS_XML_SUBTREE_MAX || !cap->out->len)
        return NULL;
    tree = vsXmlSubtreeFromText(cap->out->str, cap->out->len, &vsXmlChunkingDefault);
    /* The formatting goes line by line, each line's by its own bytes: the
     * scan saw every line in the layout but <metadata>'s, which are
     * metadata_out's, and those it checked at this level. */
    known = layout && (!cap->metadata_seen || cap->metadata_level == indent_level);
    if (!known && !vsXmlSubtreeFormattedEqual(tree, indent_level, TRUE, bytes, len)) {
        vsXmlSubtreeUnref(tree);
        return NULL;
    }
    return tree;
}

vsXmlSubtree *
vsXmlSubtreeFromFormatted(vsXmlCapture *cap, const char *bytes, gsize len, guint indent_level)
{
    return captureFormatted(cap, bytes, len, indent_level, TRUE);
}

vsXmlSubtree *
vsXmlSubtreeFromFormattedDirect(vsXmlCapture *cap, const char *bytes, gsize len,
                                guint indent_level)
{
    return captureFormatted(cap, bytes, len, indent_level, FALSE);
}
