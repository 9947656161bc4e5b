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
 * byte), and the callbacks above rebuilding every tag from its events
 * most of the rest.  The bytes this writer formats stay in a strict
 * layout, read here without libxml2: ASCII only; names without a prefix;
 * each attribute after one space, its value between single quotes and of
 * bytes the escaper leaves as they are (no control byte, '&', '<', '>' or
 * quote), no space before the tag's end; text of such bytes, TAB, LF and
 * the five predefined entities; only blanks beside elements; no comment,
 * PI, CDATA or DOCTYPE; a root's <metadata> without attributes, whose
 * bytes alone libxml2 parses into the DOM the SAX path builds.
 *
 * Why the result is the SAX path's: for such bytes libxml2 reports each
 * name and value exactly as it stands, and unescaping text then escaping
 * it again gives it back (with LF as MARK_NL).  So what the callbacks
 * write for a tag is its own bytes after its indent (the secrets' markers
 * added), and for a text its bytes: the scan copies those whole and
 * writes only what the callbacks write around them (indents, ">\n",
 * "/>\n", markers), with the same checks (root, depth, secrets, mixed
 * content, sizes).  Anything else declines, and libxml2's SAX parse reads
 * the bytes from the start and decides. */

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

/* What a byte may be in the layout (one table lookup a byte).  '>' is of
 * no class: the scan takes only bytes ending in it, so a run of a class
 * stops before their end without a bound checked a byte (skipClass). */
enum {
    BYTE_NAME_START = 1 << 0,  /* [A-Za-z_] */
    BYTE_NAME = 1 << 1,        /* [A-Za-z0-9_.-] */
    BYTE_VALUE = 1 << 2,       /* printable ASCII but & < > ' " */
    BYTE_TEXT = 1 << 3,        /* the same, TAB and LF */
    BYTE_BLANK = 1 << 4,       /* space, TAB, LF */
};

static guint8 byte_class[256];

static void
byteClassInit(void)
{
    static gsize done = 0;

    if (!g_once_init_enter(&done))
        return;
    for (guint c = 0x20; c < 0x7f; c++) {
        if (!strchr("&<>'\"", (int) c))
            byte_class[c] |= BYTE_VALUE | BYTE_TEXT;
        if (g_ascii_isalpha(c) || c == '_')
            byte_class[c] |= BYTE_NAME_START;
        if (g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.')
            byte_class[c] |= BYTE_NAME;
    }
    byte_class[' '] |= BYTE_BLANK;
    byte_class['\t'] |= BYTE_TEXT | BYTE_BLANK;
    byte_class['\n'] |= BYTE_TEXT | BYTE_BLANK;
    g_once_init_leave(&done, 1);
}

/* An open element: its name in the bytes. */
typedef struct {
    const char *name;
    gsize len;
    gboolean children;   /* ">\n" written */
    gboolean secret;
} ScanFrame;

typedef struct {
    vsXmlCapture *cap;
    const char *b;
    gsize n, i;
    guint depth;
    gsize pad;        /* of the indent level the bytes are formatted at */
    gsize spaces_end; /* the last text's leading LF and spaces end here */
    gboolean layout;  /* every blank beside elements is the layout's */
    ScanFrame open[CAPTURE_DEPTH_MAX];
} Scan;

/* The first byte at or after @i (< the bytes' length) not of @cls. */
static inline gsize
skipClass(const Scan *s, gsize i, guint cls)
{
    while (byte_class[(guchar) s->b[i]] & cls)
        i++;
    return i;
}

/* A name at i: ASCII, no prefix; its length (0: none). */
static inline gsize
scanName(Scan *s)
{
    gsize start = s->i;

    if (s->i >= s->n || !(byte_class[(guchar) s->b[s->i]] & BYTE_NAME_START))
        return 0;
    s->i = skipClass(s, s->i, BYTE_NAME);
    return s->i - start <= SCAN_NAME_MAX ? s->i - start : 0;
}

/* An attribute at i (its space): " name='value'" in the layout, its name
 * neither "xmlns" nor one of the tag's before it (kept in cap->attrs, as
 * start and length). */
static gboolean
scanAttribute(Scan *s, gsize count, const char **name, gsize *len)
{
    vsXmlCapture *cap = s->cap;
    gsize from;

    s->i++;
    *name = s->b + s->i;
    if (!(*len = scanName(s)) || vsXmlNameIs(*name, *len, "xmlns") || s->n - s->i < 2 ||
        s->b[s->i] != '=' || s->b[s->i + 1] != '\'')
        return FALSE;
    s->i += 2;
    from = s->i;
    if (s->i >= s->n || s->b[(s->i = skipClass(s, s->i, BYTE_VALUE))] != '\'' ||
        s->i - from > SCAN_VALUE_MAX)
        return FALSE;
    s->i++;
    for (gsize k = 0; k < count; k++) {
        if (cap->attrs[k].len == *len && memcmp(cap->attrs[k].name, *name, *len) == 0)
            return FALSE;
    }
    if (count == cap->attrs_alloc) {
        cap->attrs_alloc = 2 * cap->attrs_alloc + 8;
        cap->attrs = g_renew(ScanName, cap->attrs, cap->attrs_alloc);
    }
    cap->attrs[count] = (ScanName) { *name, *len };
    return TRUE;
}

/* The parent's start tag is followed by children: closed by ">\n". */
static void
scanOpenChildren(Scan *s)
{
    ScanFrame *parent = &s->open[s->depth - 1];

    if (!parent->children)
        put(s->cap->out, ">\n", 2);
    parent->children = TRUE;
}

static gboolean scanMetadata(Scan *s);

/* A start tag at i (its '<'), after only blanks in its parent: copied
 * after its indent, the secrets' markers added; an empty element ends
 * there. */
static gboolean
scanStartTag(Scan *s)
{
    GString *out = s->cap->out;
    gsize from = s->i, len, count = 0;
    const char *name = s->b + s->i + 1;
    ScanFrame frame = { name, 0, FALSE, FALSE };
    gboolean graphics;

    if (s->depth >= CAPTURE_DEPTH_MAX || out->len > VS_XML_SUBTREE_MAX)
        return FALSE;
    if (s->depth == 1 && s->n - s->i > 10 && memcmp(s->b + s->i, "<metadata>", 10) == 0)
        return scanMetadata(s);
    s->i++;
    if (!(frame.len = scanName(s)) ||
        (s->depth == 0 && !vsXmlNameIs(name, frame.len, "domain") &&
         !vsXmlNameIs(name, frame.len, "inactiveDomain")) ||
        (s->depth == 1 && vsXmlNameIs(name, frame.len, "metadata")))
        return FALSE;   /* a <metadata> with attributes, or empty: the SAX path's */
    if (s->depth > 0)
        scanOpenChildren(s);
    frame.secret = s->depth > 0 && vsXmlNameIs(name, frame.len, VS_XML_SECRET_ELEMENT);
    graphics = vsXmlNameIs(name, frame.len, VS_XML_SECRET_ATTR_OF);
    if (frame.secret)
        putByte(out, MARK_SECRET_BEGIN);
    putIndent(out, s->depth);
    while (s->i < s->n && s->b[s->i] == ' ') {
        gsize at = s->i;
        const char *attr;

        if (!scanAttribute(s, count++, &attr, &len))
            return FALSE;
        if (graphics && vsXmlNameIs(attr, len, VS_XML_SECRET_ATTR)) {
            put(out, s->b + from, at - from);
            putByte(out, MARK_SECRET_BEGIN);
            put(out, s->b + at, s->i - at);
            putByte(out, MARK_SECRET_END);
            from = s->i;
        }
    }
    put(out, s->b + from, s->i - from);
    if (s->n - s->i >= 2 && s->b[s->i] == '/' && s->b[s->i + 1] == '>') {
        s->i += 2;
        put(out, "/>\n", 3);
        if (frame.secret)
            putByte(out, MARK_SECRET_END);
        return TRUE;
    }
    if (s->i >= s->n || s->b[s->i] != '>')
        return FALSE;
    s->i++;
    s->open[s->depth++] = frame;
    return TRUE;
}

/* The character data at i up to the next '<' (FALSE: none follows, or a
 * byte outside the layout); *ink: it holds more than blanks. */
static gboolean
scanText(Scan *s, gboolean *ink)
{
    static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    gsize refs = 0, from = s->i;

    if (s->i >= s->n)
        return FALSE;
    /* mostly the layout's LF and indent */
    if (s->b[s->i] == '\n') {
        for (s->i++; s->b[s->i] == ' ';)
            s->i++;
    }
    s->spaces_end = s->i;
    s->i = skipClass(s, s->i, BYTE_BLANK);
    *ink = s->b[s->i] != '<';
    while ((s->i = skipClass(s, s->i, BYTE_TEXT)), s->b[s->i] == '&') {
        guint k;

        for (k = 0; k < G_N_ELEMENTS(entities); k++) {
            gsize len = strlen(entities[k]);
            if (s->n - s->i >= len && memcmp(s->b + s->i, entities[k], len) == 0)
                break;
        }
        if (k == G_N_ELEMENTS(entities))
            return FALSE;
        s->i += strlen(entities[k]);
        refs += strlen(entities[k]) - 1;
    }
    return s->b[s->i] == '<' && s->i - from - refs <= SCAN_TEXT_MAX;
}

/* The open element's end tag at i (its "</"), after [@text, i) of its
 * character data: children, or text written as it stands (LF as
 * MARK_NL), on one line. */
static gboolean
scanEndTag(Scan *s, gsize text, gboolean ink)
{
    GString *out = s->cap->out;
    ScanFrame *top = &s->open[s->depth - 1];

    if (s->n - s->i < top->len + 3 || memcmp(s->b + s->i + 2, top->name, top->len) != 0 ||
        s->b[s->i + 2 + top->len] != '>' || out->len > VS_XML_SUBTREE_MAX)
        return FALSE;
    if (top->children) {
        if (ink)
            return FALSE;   /* mixed content */
        putIndent(out, s->depth - 1);
        put(out, "</", 2);
    } else if (s->i > text) {
        gsize at = out->len + 1;

        putByte(out, '>');
        put(out, s->b + text, s->i - text + 2);   /* the text and "</" */
        for (char *p = out->str + at; (p = memchr(p, '\n', out->str + out->len - p)); p++)
            *p = MARK_NL;
    } else {
        return FALSE;   /* "<a></a>": written "<a/>", not these bytes */
    }
    put(out, top->name, top->len);
    put(out, ">\n", 2);
    if (top->secret)
        putByte(out, MARK_SECRET_END);
    s->i += top->len + 3;
    s->depth--;
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

/* The root's <metadata> (its "<metadata>" at i, after only blanks): the
 * bytes up to the first "</metadata>" are that element if libxml2 parses
 * them as one without a report (the end tag of a nested one, or one in a
 * comment, would leave it open); then written from its DOM as the SAX
 * path does. */
static gboolean
scanMetadata(Scan *s)
{
    static const char close[] = "</metadata>";
    vsXmlCapture *cap = s->cap;
    const char *end;
    xmlDocPtr doc;
    gsize to, written;

    if (cap->metadata_seen || cap->out->len > VS_XML_SUBTREE_MAX)
        return FALSE;
    scanOpenChildren(s);
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
        cap->metadata_level = G_MAXUINT;
        g_string_truncate(cap->metadata_out, 0);
        g_string_append_len(cap->metadata_out, cap->out->str + written, cap->out->len - written);
    }
    cap->metadata = NULL;
    xmlFreeDoc(doc);
    s->i = to;
    return !cap->declined;
}

/* Whether the blanks [@from, i) before a line of elements at @depth are
 * what vsXmlSubtreeFormattedEqual expects there: LF and the line's indent
 * at the scan's pad (which is the pad as long as libxml2's cap on
 * <metadata> indents cannot apply, see linePad in xmlsubtree-out.c). */
static gboolean
scanLayoutLine(const Scan *s, gsize from, guint depth)
{
    gsize indent = s->pad + 2 * (gsize) depth;

    return indent <= VS_XML_SUBTREE_INDENT_CAP && s->b[from] == '\n' &&
           s->spaces_end == s->i && s->i - from == indent + 1;
}

/* The element at bytes[0], written as the callbacks write libxml2's SAX
 * events for it, when it is in the layout; FALSE: declined (the state is
 * left as it is, for the caller to reset).  *@layout: every line but
 * <metadata>'s formats back at @indent_level to the bytes. */
static gboolean
scanFormatted(vsXmlCapture *cap, const char *bytes, gsize len, guint indent_level,
              gboolean *layout)
{
    Scan s;
    gboolean ok;

    if (bytes[len - 1] != '>')   /* skipClass's bound */
        return FALSE;
    s.cap = cap;
    s.b = bytes;
    s.n = len;
    s.i = 0;
    s.depth = 0;
    s.pad = 2 * (gsize) indent_level;
    s.layout = TRUE;
    cap->scanning = TRUE;
    ok = scanStartTag(&s);
    while (ok && s.depth > 0) {
        gsize text = s.i;
        gboolean ink;

        if (!scanText(&s, &ink)) {
            ok = FALSE;
        } else if (s.i + 1 < s.n && s.b[s.i + 1] == '/') {
            if (s.open[s.depth - 1].children)
                s.layout = s.layout && scanLayoutLine(&s, text, s.depth - 1);
            ok = scanEndTag(&s, text, ink);
        } else {
            s.layout = s.layout && scanLayoutLine(&s, text, s.depth);
            ok = !ink && scanStartTag(&s);   /* text beside an element: mixed */
        }
    }
    cap->scanning = FALSE;
    *layout = s.layout;
    return ok && s.i == s.n;
}

vsXmlCapture *
vsXmlCaptureNew(void)
{
    vsXmlCapture *cap = g_new0(vsXmlCapture, 1);
    xmlSAXHandler sax = { 0 };

    byteClassInit();

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
    if (cap->direct && scanFormatted(cap, bytes, len, indent_level, &layout)) {
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
     * metadata_out's, and those formatted back at this level before. */
    known = layout && (!cap->metadata_seen || cap->metadata_level == indent_level);
    if (!known && !vsXmlSubtreeFormattedEqual(tree, indent_level, TRUE, bytes, len)) {
        vsXmlSubtreeUnref(tree);
        return NULL;
    }
    if (layout && cap->metadata_seen)
        cap->metadata_level = indent_level;
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
