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
 * The SAX events come first from a direct scan of the bytes ("The direct
 * scan" below: the strict subset this library writes, read without
 * libxml2, its <metadata> alone parsed by libxml2); bytes outside that
 * subset are parsed by libxml2 from the start, as before. */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include "util/xmltext.h"
#include "record/xmlsubtree-private.h"

/* Far below any record depth a kind's parser accepts. */
#define CAPTURE_DEPTH_MAX VS_XML_CAPTURE_DEPTH_MAX

typedef struct {
    const xmlChar *name;   /* the parser's dictionary */
    gboolean children;     /* ">\n" written: elements, one per line */
    gboolean secret;       /* a <cookies>: bracketed as a secret */
} Frame;

struct _vsXmlCapture {
    xmlParserCtxtPtr ctxt;
    xmlParserCtxtPtr metadata_ctxt;  /* the direct scan's <metadata> parses */
    GString *metadata_in;  /* the last <metadata> bytes the direct scan took... */
    GString *metadata_out; /* ...and what they were written as (scanMetadata) */
    guint metadata_parsed; /* <metadata>s the direct scan had libxml2 parse */
    const xmlChar **attrs; /* the direct scan's attributes, 5 pointers each */
    gsize attrs_alloc;     /* pointers room in attrs */
    const xmlChar *names[256]; /* the direct scan's last names, by a hash */
    gboolean direct;       /* try the direct scan first (tests turn it off) */
    gboolean scanning;     /* the events come from the direct scan */
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
static void
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

/* The root's <metadata> is complete: written as always, from its DOM. */
static void
endMetadata(vsXmlCapture *cap)
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
            endMetadata(cap);
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

/* ---------------------------------------------------------------- */
/* The direct scan (issue 16)                                         */

/* libxml2's SAX parse is most of a first copy's cost (~80 instructions a
 * byte).  The bytes this writer formats stay in a strict subset of XML,
 * which is read here without libxml2 and fed to the same callbacks as
 * the SAX events libxml2 would report for them, so the text is the same:
 * ASCII only; names without a prefix; quoted values without '&', '<',
 * TAB, LF or CR (which libxml2 would normalise); text with the five
 * predefined entities only and no '>'; no comment, PI, CDATA or DOCTYPE;
 * a root's <metadata> without attributes, whose bytes alone libxml2
 * parses into the DOM the SAX path builds.  Anything else declines, and
 * libxml2's SAX parse reads the bytes from the start and decides. */

/* Beyond these, libxml2's own limits may apply: left to it.  (Its depth
 * limit counts from the document's root: a <metadata> parsed alone is
 * one level shallower than in its <domain>.) */
#define SCAN_NAME_MAX 1000
#define SCAN_VALUE_MAX (1024 * 1024)
#define SCAN_METADATA_DEPTH_MAX 100
/* libxml2's tree builder may refuse a text node past XML_MAX_TEXT_LENGTH
 * (10,000,000 bytes, no XML_PARSE_HUGE; whether it does depends on how its
 * parser hands the text over): well below it the scan declines, leaving
 * the decision to libxml2, so what it takes a DOM would hold too. */
#define SCAN_TEXT_MAX (XML_MAX_TEXT_LENGTH / 2)

typedef struct {
    vsXmlCapture *cap;
    const char *b;
    gsize n, i;
} Scan;

static inline gboolean
scanIsNameChar(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* An ASCII name without a prefix, in the parser's dictionary (the
 * callbacks keep element names until their end tags).  A definition
 * repeats a few dozen names: the last one seen at each of a few slots is
 * taken without asking the dictionary. */
static const xmlChar *
scanName(Scan *s)
{
    gsize start = s->i, len;
    const char *name = s->b + start;
    const xmlChar **slot;

    if (s->i >= s->n || !(g_ascii_isalpha(s->b[s->i]) || s->b[s->i] == '_'))
        return NULL;
    while (s->i < s->n && scanIsNameChar(s->b[s->i]))
        s->i++;
    len = s->i - start;
    if (len > SCAN_NAME_MAX)
        return NULL;
    slot = &s->cap->names[(len * 31 + (guchar) name[0] * 7 + (guchar) name[len / 2] * 3 +
                           (guchar) name[len - 1]) % G_N_ELEMENTS(s->cap->names)];
    if (!*slot || strncmp((const char *) *slot, name, len) != 0 || (*slot)[len] != '\0')
        *slot = xmlDictLookup(s->cap->ctxt->dict, BAD_CAST name, (int) len);
    return *slot;
}

/* A quoted value, as libxml2 hands it over when it holds no reference. */
static gboolean
scanValue(Scan *s, const xmlChar **from, const xmlChar **to)
{
    char quote;

    if (s->i >= s->n || (s->b[s->i] != '\'' && s->b[s->i] != '"'))
        return FALSE;
    quote = s->b[s->i++];
    *from = BAD_CAST s->b + s->i;
    while (s->i < s->n && s->b[s->i] != quote) {
        guchar c = s->b[s->i];
        if (c < 0x20 || c >= 0x7f || c == '&' || c == '<')
            return FALSE;
        s->i++;
    }
    if (s->i >= s->n || (gsize) (BAD_CAST s->b + s->i - *from) > SCAN_VALUE_MAX)
        return FALSE;
    *to = BAD_CAST s->b + s->i;
    s->i++;
    return TRUE;
}

/* A start tag (its '<' at i), reported; an empty element is ended too. */
static gboolean
scanStartTag(Scan *s)
{
    vsXmlCapture *cap = s->cap;
    const xmlChar *name, *attr, *from, *to;
    gsize count = 0;
    gboolean empty;

    s->i++;
    if (!(name = scanName(s)))
        return FALSE;
    for (;;) {
        gsize ws = s->i;

        while (s->i < s->n && s->b[s->i] == ' ')
            s->i++;
        if (s->i + 1 < s->n && s->b[s->i] == '/' && s->b[s->i + 1] == '>') {
            s->i += 2;
            empty = TRUE;
            break;
        }
        if (s->i < s->n && s->b[s->i] == '>') {
            s->i++;
            empty = FALSE;
            break;
        }
        if (s->i == ws || !(attr = scanName(s)) || xmlStrEqual(attr, BAD_CAST "xmlns") ||
            s->i >= s->n || s->b[s->i++] != '=' || !scanValue(s, &from, &to))
            return FALSE;
        for (gsize k = 0; k < count; k += 5) {
            if (cap->attrs[k] == attr)   /* one dictionary: a repeat */
                return FALSE;
        }
        if (count + 5 > cap->attrs_alloc) {
            cap->attrs_alloc = 2 * cap->attrs_alloc + 5;
            cap->attrs = g_renew(const xmlChar *, cap->attrs, cap->attrs_alloc);
        }
        cap->attrs[count++] = attr;
        cap->attrs[count++] = NULL;
        cap->attrs[count++] = NULL;
        cap->attrs[count++] = from;
        cap->attrs[count++] = to;
    }
    if (cap->stack->len == 1 && xmlStrEqual(name, BAD_CAST "metadata"))
        return FALSE;   /* one with attributes, or empty: the SAX path's */
    onStartElement(cap->ctxt, name, NULL, NULL, 0, NULL, (int) count / 5, 0, cap->attrs);
    if (empty && !cap->declined)
        onEndElement(cap->ctxt, name, NULL, NULL);
    return !cap->declined;
}

/* An end tag (its "</" at i) of the open element, reported. */
static gboolean
scanEndTag(Scan *s)
{
    Frame *top = topFrame(s->cap);
    const xmlChar *name = top ? top->name : NULL;
    gsize len = name ? strlen((const char *) name) : 0;

    s->i += 2;
    if (!name || s->n - s->i < len + 1 || memcmp(s->b + s->i, name, len) != 0 ||
        s->b[s->i + len] != '>')
        return FALSE;
    s->i += len + 1;
    onEndElement(s->cap->ctxt, name, NULL, NULL);
    return !s->cap->declined;
}

/* Character data up to the next '<': runs of plain bytes, and each
 * predefined entity as its character, as libxml2 reports them. */
static gboolean
scanText(Scan *s)
{
    static const struct { const char *ref; char c; } entities[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
    };

    while (s->i < s->n && s->b[s->i] != '<') {
        gsize run = s->i;
        gboolean known = FALSE;

        while (s->i < s->n) {
            guchar c = s->b[s->i];
            if (c == '<' || c == '&' || c == '>' || c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n'))
                break;
            s->i++;
        }
        if (s->cap->text->len + (s->i - run) > SCAN_TEXT_MAX)
            return FALSE;
        if (s->i > run)
            onCharacters(s->cap->ctxt, BAD_CAST s->b + run, (int) (s->i - run));
        if (s->cap->declined)
            return FALSE;
        if (s->i >= s->n || s->b[s->i] == '<')
            break;
        for (guint k = 0; k < G_N_ELEMENTS(entities) && !known; k++) {
            gsize len = strlen(entities[k].ref);
            if (s->n - s->i >= len && memcmp(s->b + s->i, entities[k].ref, len) == 0) {
                onCharacters(s->cap->ctxt, BAD_CAST &entities[k].c, 1);
                s->i += len;
                known = TRUE;
            }
        }
        if (!known || s->cap->declined)
            return FALSE;
    }
    return TRUE;
}

/* Whether the @avail bytes at @bytes start with exactly the <metadata> the
 * direct scan last took.  Those bytes end at their first "</metadata>",
 * so the same bytes here end there too: the element is the same one,
 * found without searching for its end.  What a <metadata> is written as
 * depends on its bytes alone (parsed by themselves, with the same
 * options), so a repeat is written as before without parsing it again:
 * the domains of a VM mostly differ by a device and keep one big
 * <metadata> (issue 16's worst case: a 4 MiB definition, most of it
 * <metadata>, where its parse and formatting were 60 % of a load).  Holds
 * one <metadata> twice (its bytes and its writing) for the capture's
 * life. */
static gboolean
metadataSeenBefore(const vsXmlCapture *cap, const char *bytes, gsize avail)
{
    gsize len = cap->metadata_in->len;

    return len > 0 && avail >= len && memcmp(cap->metadata_in->str, bytes, len) == 0;
}

/* The root's <metadata> (its "<metadata>" at i): the bytes up to the
 * first "</metadata>" are that element if libxml2 parses them as one
 * without a report (the end tag of a nested one, or one in a comment,
 * would leave it open); then written from its DOM as the SAX path does. */
static gboolean
scanMetadata(Scan *s)
{
    static const char close[] = "</metadata>";
    vsXmlCapture *cap = s->cap;
    const char *end;
    xmlDocPtr doc;
    gsize to, written;

    if (cap->metadata_seen || cap->out->len > VS_XML_SUBTREE_MAX ||
        !openChildren(cap, topFrame(cap)))
        return FALSE;
    cap->metadata_seen = TRUE;
    if (metadataSeenBefore(cap, s->b + s->i, s->n - s->i)) {
        g_string_append_len(cap->out, cap->metadata_out->str, cap->metadata_out->len);
        s->i += cap->metadata_in->len;
        return TRUE;
    }
    if (!(end = memmem(s->b + s->i, s->n - s->i, close, strlen(close))))
        return FALSE;
    to = end + strlen(close) - s->b;
    written = cap->out->len;
    cap->metadata_parsed++;
    doc = xmlCtxtReadMemory(cap->metadata_ctxt, s->b + s->i, (int) (to - s->i), NULL, NULL,
                            VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);
    cap->metadata = doc ? xmlDocGetRootElement(doc) : NULL;
    if (cap->metadata && !cap->declined && cap->metadata_ctxt->wellFormed &&
        vsXmlElementDepth(cap->metadata, SCAN_METADATA_DEPTH_MAX) <= SCAN_METADATA_DEPTH_MAX)
        endMetadata(cap);
    else
        cap->declined = TRUE;
    if (!cap->declined) {
        g_string_truncate(cap->metadata_in, 0);
        g_string_append_len(cap->metadata_in, s->b + s->i, to - s->i);
        g_string_truncate(cap->metadata_out, 0);
        g_string_append_len(cap->metadata_out, cap->out->str + written, cap->out->len - written);
    }
    cap->metadata = NULL;
    xmlFreeDoc(doc);
    s->i = to;
    return !cap->declined;
}

/* The element at bytes[0] reported as libxml2's SAX parse would report
 * it, when it is in the subset; FALSE: declined (the state is left as it
 * is, for the caller to reset). */
static gboolean
scanFormatted(vsXmlCapture *cap, const char *bytes, gsize len)
{
    Scan s = { cap, bytes, len, 0 };
    gboolean ok = TRUE;

    cap->scanning = TRUE;
    do {
        if (s.b[s.i] != '<')
            ok = scanText(&s);
        else if (s.i + 1 < s.n && s.b[s.i + 1] == '/')
            ok = scanEndTag(&s);
        else if (cap->stack->len == 1 && s.n - s.i > 10 && memcmp(s.b + s.i, "<metadata>", 10) == 0)
            ok = scanMetadata(&s);
        else
            ok = scanStartTag(&s);
    } while (ok && cap->stack->len && s.i < s.n);
    cap->scanning = FALSE;
    return ok && !cap->stack->len && s.i == s.n;
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

    if (len > VS_XML_SUBTREE_MAX || len < 2 || bytes[0] != '<')
        return NULL;
    captureReset(cap);
    if (cap->direct && scanFormatted(cap, bytes, len)) {
        cap->direct_taken++;
    } else {
        captureReset(cap);
        if (!sax || !captureParse(cap, bytes, len))
            return NULL;
    }
    if (cap->stack->len || cap->out->len > VS_XML_SUBTREE_MAX || !cap->out->len)
        return NULL;
    tree = vsXmlSubtreeFromText(cap->out->str, cap->out->len, &vsXmlChunkingDefault);
    if (!vsXmlSubtreeFormattedEqual(tree, indent_level, TRUE, bytes, len)) {
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
