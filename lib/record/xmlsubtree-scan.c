/* xmlsubtree-scan.c — the direct scan: a <domain> in this writer's own
 * layout captured without libxml2 (but for its <metadata>), as the SAX
 * path of xmlsubtree-capture.c captures it (issue 16). */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "util/xmltext.h"
#include "record/xmlsubtree-capture.h"

/* libxml2's SAX parse is most of a first copy's cost (~80 instructions a
 * byte), and its callbacks rebuilding every tag from the events most of
 * the rest.  The bytes this writer formats stay in a strict
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
    const guint8 *classes;  /* vsXmlByteClasses() */
    ScanFrame open[CAPTURE_DEPTH_MAX];
} Scan;

/* The first byte at or after @i (< the bytes' length) not of @cls: '>' is
 * of no class, and the scan takes only bytes ending in it, so a run stops
 * before their end without a bound checked a byte. */
static inline gsize
skipClass(const Scan *s, gsize i, guint cls)
{
    while (s->classes[(guchar) s->b[i]] & cls)
        i++;
    return i;
}

/* A name at i: ASCII, no prefix; its length (0: none). */
static inline gsize
scanName(Scan *s)
{
    gsize start = s->i;

    if (s->i >= s->n || !(s->classes[(guchar) s->b[s->i]] & VS_XML_BYTE_NAME_START))
        return 0;
    s->i = skipClass(s, s->i, VS_XML_BYTE_NAME);
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
    if (s->i >= s->n || s->b[(s->i = skipClass(s, s->i, VS_XML_BYTE_PLAIN_VALUE))] != '\'' ||
        s->i - from > SCAN_VALUE_MAX)
        return FALSE;
    s->i++;
    for (gsize k = 0; k < count; k++) {
        if (cap->attrs[k].len == *len && cap->attrs[k].name[0] == (*name)[0] &&
            memcmp(cap->attrs[k].name, *name, *len) == 0)
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
    gsize refs = 0, from = s->i;

    if (s->i >= s->n)
        return FALSE;
    /* mostly the layout's LF and indent */
    if (s->b[s->i] == '\n') {
        for (s->i++; s->b[s->i] == ' ';)
            s->i++;
    }
    s->spaces_end = s->i;
    s->i = skipClass(s, s->i, VS_XML_BYTE_BLANK);
    *ink = s->b[s->i] != '<';
    while ((s->i = skipClass(s, s->i, VS_XML_BYTE_PLAIN_TEXT)), s->b[s->i] == '&') {
        char c;
        gsize len = vsXmlPredefinedEntity(s->b + s->i, s->n - s->i, &c);

        if (!len)
            return FALSE;
        s->i += len;
        refs += len - 1;
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

/* The <metadata> at i is metadata_in, written as metadata_out: whether
 * those lines format back to its bytes at the scan's level, once per
 * <metadata> and level (cap->metadata_level), so that the capture need
 * not format the whole definition back (the scan checks the lines around
 * it).  The bytes hold its first line's own indent before it. */
static void
scanMetadataLines(Scan *s)
{
    vsXmlCapture *cap = s->cap;
    guint level = (guint) (s->pad / 2);

    if (cap->metadata_level != level && s->i >= 2 &&
        vsXmlTextFormattedEqual(cap->metadata_out->str, cap->metadata_out->len, level,
                                s->b + s->i - 2, cap->metadata_in->len + 2))
        cap->metadata_level = level;
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
        scanMetadataLines(s);
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
        vsXmlCaptureEndMetadata(cap);
    else
        cap->declined = TRUE;
    if (!cap->declined) {
        g_string_truncate(cap->metadata_in, 0);
        g_string_append_len(cap->metadata_in, s->b + s->i, to - s->i);
        cap->metadata_level = G_MAXUINT;
        g_string_truncate(cap->metadata_out, 0);
        g_string_append_len(cap->metadata_out, cap->out->str + written, cap->out->len - written);
        scanMetadataLines(s);
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

/* The element at bytes[0], as the SAX path writes it (xmlsubtree-capture.h). */
gboolean
vsXmlCaptureScan(vsXmlCapture *cap, const char *bytes, gsize len, guint indent_level,
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
    s.classes = vsXmlByteClasses();
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

