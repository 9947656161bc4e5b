/* bulkfile-fast.c — the bulk file's fast reader (issue 16): the layout this
 * library writes, read without libxml2 tokenising and building a DOM of
 * every record.
 *
 * Each record's own elements (name, state, times, memory, disks…) are read
 * straight from the bytes by a small reader of a strict subset of XML
 * (no comments, CDATA, PIs, namespaces, raw CR, nothing it does not know
 * exactly how libxml2 would read), which builds the same nodes libxml2
 * would; the kind's own parser then reads them, so both readers apply one
 * set of rules.  A record's first <domain> is decided on its raw bytes by
 * the same dedup table the DOM reader's filter uses: a repeat is skipped by
 * one memcmp, a first copy is parsed by libxml2 alone.  Anything outside the
 * subset, any error and any limit within reach declines the whole
 * document, which the DOM reader then reads from its first byte and
 * reports on: the fast reader never fails a load of its own. */
#include <string.h>

#include "util/error.h"
#include "format/bulkfile-load.h"

#define FAST_CHUNK (1024 * 1024)
/* Deeper records are refused by the kinds' parsers anyway. */
#define FAST_DEPTH_MAX 300
/* libxml2's streaming reader refuses a text node or tag over 10,000,000
 * bytes that a parse from memory accepts: a first copy with a run that
 * long without '<' is left to the DOM reader. */
#define FAST_GAP_MAX (1024 * 1024)

/* ---------------------------------------------------------------- */
/* The document's bytes                                               */

typedef struct {
    BulkParse *p;
    GByteArray *buf;      /* decompressed bytes from base */
    gsize pos;            /* next unread byte in buf */
    guint64 base;         /* document offset of buf[0] */
    gboolean eof;
    GArray *spans;        /* vsDomainDedupRecordSpan per record */
    /* one parser and one dictionary of names for the whole document, as
     * the streaming reader has: every record's nodes and every first
     * copy's share it, so nodes move between their documents freely */
    xmlParserCtxtPtr ctxt;
    vsXmlCapture *capture;  /* first copies, from their bytes */
    GString *scratch;     /* a text or value being decoded */
    const xmlChar *record_name;  /* the kind's record element, in the dictionary */
    const char *record_close;    /* and its end tag */
    guint8 classes[256];  /* CLASS_* of each byte */
    xmlDocPtr doc;        /* of each record in turn */
} Fast;

enum { CLASS_NAME_START = 1, CLASS_NAME = 2, CLASS_PLAIN_VALUE = 4, CLASS_PLAIN_TEXT = 8 };

/* Makes @want bytes from pos available (fewer only at the end). */
static gboolean
fastFill(Fast *f, gsize want)
{
    while (f->buf->len - f->pos < want && !f->eof) {
        gsize old;
        gssize got;

        if (f->pos > 0) {   /* keep only what is unread */
            memmove(f->buf->data, f->buf->data + f->pos, f->buf->len - f->pos);
            g_byte_array_set_size(f->buf, f->buf->len - f->pos);
            f->base += f->pos;
            f->pos = 0;
        }
        if (f->buf->len > VS_BULK_RECORD_MAX)
            return FALSE;
        old = f->buf->len;
        g_byte_array_set_size(f->buf, old + FAST_CHUNK);
        got = vsBulkInputRead(f->p->in, (char *) f->buf->data + old, FAST_CHUNK);
        g_byte_array_set_size(f->buf, old + MAX(got, 0));
        if (got < 0)
            return FALSE;
        f->eof = got == 0;
    }
    return TRUE;
}

static const char *
fastAt(const Fast *f)
{
    return (const char *) f->buf->data + f->pos;
}

static gsize
fastAvail(const Fast *f)
{
    return f->buf->len - f->pos;
}

/* Skips spaces, LFs and TABs between records (a CR would be read as LF). */
static gboolean
fastSkipBlanks(Fast *f)
{
    for (;;) {
        if (!fastFill(f, 1))
            return FALSE;
        if (!fastAvail(f))
            return TRUE;
        while (fastAvail(f) && strchr(" \n\t", *fastAt(f)) && *fastAt(f))
            f->pos++;
        if (fastAvail(f))
            return TRUE;
    }
}

/* Whether the unread bytes start with @s (filling as needed). */
static gboolean
fastLooksAt(Fast *f, const char *s)
{
    gsize len = strlen(s);
    return fastFill(f, len) && fastAvail(f) >= len && memcmp(fastAt(f), s, len) == 0;
}

/* ---------------------------------------------------------------- */
/* The strict subset                                                  */

typedef struct {
    Fast *f;
    const char *b;        /* the record's bytes */
    gsize n, i;
    gsize avail;          /* bytes buffered from b, for a repeat's compare */
    xmlDocPtr doc;
    int depth;
    guint64 tags;         /* start tags and quoted values (the budget's count) */
    gboolean domain_seen; /* the record's first <domain> was met */
    gboolean need_more;   /* a repeat cannot be decided yet */
    gboolean inner_close; /* the record's end tag also ends something inside it */
    vsXmlSubtree *repeated;
    gsize def_start, def_end;  /* a first copy, if def_end... */
    xmlNodePtr def_node;       /* ...and the node standing in its place */
} Lex;

static gboolean
isNameStart(guchar c)
{
    return g_ascii_isalpha(c) || c == '_';
}

static gboolean
isNameChar(guchar c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* Plain ASCII: nothing a reference, a markup character, a quote or "]]>"
 * could involve, nor (in a value, where libxml2 normalises them) a TAB
 * or LF. */
static gboolean
isPlain(guchar c, gboolean in_value)
{
    if (c < 0x20)
        return !in_value && (c == '\t' || c == '\n');
    return c < 0x7f && !strchr("&<>'\"", c);
}

/* The predicates above for every byte, looked up per byte of a record. */
static void
fastClassesInit(Fast *f)
{
    for (guint c = 0; c < G_N_ELEMENTS(f->classes); c++)
        f->classes[c] = (isNameStart(c) ? CLASS_NAME_START : 0) |
                        (isNameChar(c) ? CLASS_NAME : 0) |
                        (isPlain(c, TRUE) ? CLASS_PLAIN_VALUE : 0) |
                        (isPlain(c, FALSE) ? CLASS_PLAIN_TEXT : 0);
}

/* An ASCII name without a prefix. */
static gboolean
lexName(Lex *lx, gsize *start, gsize *len)
{
    const guint8 *classes = lx->f->classes;
    const guchar *b = (const guchar *) lx->b;
    gsize i = lx->i, n = lx->n;

    *start = i;
    if (i >= n || !(classes[b[i]] & CLASS_NAME_START))
        return FALSE;
    while (i < n && (classes[b[i]] & CLASS_NAME))
        i++;
    lx->i = i;
    *len = i - *start;
    return TRUE;
}

/* A character XML 1.0 allows (libxml2 refuses the others). */
static gboolean
isXmlChar(gunichar c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* A predefined entity or a character reference at b[i] ('&'). */
static gboolean
lexReference(Lex *lx, GString *out)
{
    static const struct { const char *ref; char c; } named[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
    };
    const char *p = lx->b + lx->i, *end = lx->b + lx->n;
    guint64 v = 0;
    gboolean hex;
    const char *q;

    for (guint k = 0; k < G_N_ELEMENTS(named); k++) {
        gsize len = strlen(named[k].ref);
        if ((gsize) (end - p) >= len && memcmp(p, named[k].ref, len) == 0) {
            g_string_append_c(out, named[k].c);
            lx->i += len;
            return TRUE;
        }
    }
    if (end - p < 4 || p[1] != '#')
        return FALSE;
    hex = p[2] == 'x';
    for (q = p + 2 + hex; q < end && q - p < 12 && *q != ';'; q++) {
        if (!(hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q)))
            return FALSE;
        v = v * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value(*q) : g_ascii_digit_value(*q));
    }
    if (q >= end || *q != ';' || q == p + 2 + hex || !isXmlChar((gunichar) v))
        return FALSE;
    g_string_append_unichar(out, (gunichar) v);
    lx->i = q + 1 - lx->b;
    return TRUE;
}

/* One character of text or of an attribute value, as libxml2 reads it;
 * FALSE for anything it reads otherwise (a raw CR; in a value, a raw TAB
 * or LF: it normalises them) or refuses. */
static gboolean
lexChar(Lex *lx, GString *out, gboolean in_value)
{
    guchar c = lx->b[lx->i];
    gunichar u;

    if (c == '&')
        return lexReference(lx, out);
    if (c == '<' || c == '\r' || (in_value && (c == '\t' || c == '\n')))
        return FALSE;
    if (c < 0x80) {
        if (c < 0x20 && c != '\t' && c != '\n')
            return FALSE;
        if (!in_value && c == '>' && lx->i >= 2 && lx->b[lx->i - 1] == ']' &&
            lx->b[lx->i - 2] == ']')
            return FALSE;   /* "]]>" is not allowed in text */
        g_string_append_c(out, c);
        lx->i++;
        return TRUE;
    }
    u = g_utf8_get_char_validated(lx->b + lx->i, lx->n - lx->i);
    if (u == (gunichar) -1 || u == (gunichar) -2 || !isXmlChar(u))
        return FALSE;
    g_string_append_len(out, lx->b + lx->i, g_utf8_skip[c]);
    lx->i += g_utf8_skip[c];
    return TRUE;
}

/* The end of the run of plain ASCII at b[i]. */
static gsize
lexPlainEnd(const Lex *lx, gboolean in_value)
{
    const guint8 *classes = lx->f->classes;
    const guchar *b = (const guchar *) lx->b;
    guint8 plain = in_value ? CLASS_PLAIN_VALUE : CLASS_PLAIN_TEXT;
    gsize j = lx->i, n = lx->n;

    while (j < n && (classes[b[j]] & plain))
        j++;
    return j;
}

/* Character data at b[i] up to @end ('<', or a value's quote) or the end
 * of the bytes, as libxml2 decodes it: *text points into the record when
 * it is one plain run (most are), else into the scratch buffer. */
static gboolean
lexCharData(Lex *lx, char end, gboolean in_value, const char **text, gsize *len)
{
    GString *out = lx->f->scratch;
    gsize from = lx->i;

    lx->i = lexPlainEnd(lx, in_value);
    if (lx->i >= lx->n || lx->b[lx->i] == end) {
        *text = lx->b + from;
        *len = lx->i - from;
        return TRUE;
    }
    g_string_truncate(out, 0);
    g_string_append_len(out, lx->b + from, lx->i - from);
    while (lx->i < lx->n && lx->b[lx->i] != end) {
        if (!lexChar(lx, out, in_value))
            return FALSE;
        from = lx->i;
        lx->i = lexPlainEnd(lx, in_value);
        g_string_append_len(out, lx->b + from, lx->i - from);
    }
    *text = out->str;
    *len = out->len;
    return TRUE;
}

/* Nodes as libxml2's own parser builds them with XML_PARSE_COMPACT (the
 * DOM reader's options): names from the load's dictionary, a text shorter
 * than two pointers held in the node itself, an attribute's value as its
 * one text child.  xmlFreeDoc frees them as it frees the parser's; what
 * the DOM reader's nodes cost beyond that (a name looked up twice, a text
 * copied twice, a sibling list searched for text to merge) is not spent. */
G_STATIC_ASSERT(G_STRUCT_OFFSET(xmlNode, nsDef) ==
                G_STRUCT_OFFSET(xmlNode, properties) + sizeof(void *));

static xmlNodePtr
fastText(xmlDocPtr doc, const char *text, gsize len)
{
    xmlNodePtr node = xmlNewDocText(doc, NULL);

    if (len < 2 * sizeof(void *)) {
        xmlChar *inside = (xmlChar *) &node->properties;
        memcpy(inside, text, len);
        inside[len] = '\0';
        node->content = inside;
    } else {
        node->content = xmlStrndup(BAD_CAST text, (int) len);
    }
    return node;
}

static void
fastAppend(xmlNodePtr parent, xmlNodePtr node)
{
    node->parent = parent;
    node->prev = parent->last;
    if (parent->last)
        parent->last->next = node;
    else
        parent->children = node;
    parent->last = node;
}

/* name='value' pairs up to '>' or '/>' of a start tag, set on @node. */
static gboolean
lexAttributes(Lex *lx, xmlNodePtr node, gboolean *self_closing)
{
    for (;;) {
        gsize start, len, ws = lx->i, value_len;
        const char *value;
        char quote;

        while (lx->i < lx->n && lx->b[lx->i] == ' ')
            lx->i++;
        if (lx->i + 1 < lx->n && lx->b[lx->i] == '/' && lx->b[lx->i + 1] == '>') {
            lx->i += 2;
            *self_closing = TRUE;
            return TRUE;
        }
        if (lx->i < lx->n && lx->b[lx->i] == '>') {
            lx->i++;
            *self_closing = FALSE;
            return TRUE;
        }
        if (lx->i == ws || !lexName(lx, &start, &len) || lx->i + 1 >= lx->n ||
            lx->b[lx->i] != '=' || (lx->b[lx->i + 1] != '\'' && lx->b[lx->i + 1] != '"'))
            return FALSE;
        {
            const xmlChar *name;
            xmlAttrPtr attr;

            if (len == strlen("xmlns") && memcmp(lx->b + start, "xmlns", len) == 0)
                return FALSE;
            name = xmlDictLookup(lx->doc->dict, BAD_CAST lx->b + start, (int) len);
            for (attr = node->properties; attr; attr = attr->next) {
                if (attr->name == name)   /* one dictionary: one pointer per name */
                    return FALSE;
            }
            quote = lx->b[lx->i + 1];
            lx->i += 2;
            if (!lexCharData(lx, quote, TRUE, &value, &value_len) || lx->i >= lx->n)
                return FALSE;
            lx->i++;
            lx->tags++;
            attr = xmlNewNsPropEatName(node, NULL, (xmlChar *) name, NULL);
            fastAppend((xmlNodePtr) attr, fastText(lx->doc, value, value_len));
        }
    }
}

static gboolean
isBlank(const char *text, gsize len)
{
    for (gsize k = 0; k < len; k++) {
        if (text[k] != ' ' && text[k] != '\t' && text[k] != '\n')
            return FALSE;
    }
    return TRUE;
}

/* Text up to the next '<', as one text node of @parent.  Blanks right
 * in the record element (its layout's indentation) are dropped: neither
 * kind's parser reads a text of the record element itself, only of its
 * children. */
static gboolean
lexText(Lex *lx, xmlNodePtr parent)
{
    const char *text;
    gsize len;

    if (!lexCharData(lx, '<', FALSE, &text, &len))
        return FALSE;
    if (len && (parent->parent != (xmlNodePtr) lx->doc || !isBlank(text, len)))
        fastAppend(parent, fastText(lx->doc, text, len));
    return TRUE;
}

/* Counts @c in b[from, to). */
static guint64
countByte(const char *b, gsize from, gsize to, char c)
{
    guint64 count = 0;

    for (const char *p = b + from; (p = memchr(p, c, b + to - p)); p++)
        count++;
    return count;
}

/* A first copy of a <domain>, from its '<' at @start: only its extent is
 * found here, up to the first "</domain>" (libxml2 parses it, and fails
 * if that was not its end: the element would be cut, or followed by more).
 * The budget's count of its tags and values is bounded by its '<'s and
 * half its quotes.  Comments, CDATA, PIs and a DOCTYPE are left to the DOM
 * reader, and so is a run without '<' long enough for the streaming
 * reader's limits on a text or a tag. */
static gboolean
lexSkipElement(Lex *lx, gsize start)
{
    static const char close[] = "</domain>";
    const char *record_close = lx->f->record_close;
    gsize to = 0, last = start;

    for (const char *p = lx->b + start + 1; !to && (p = memchr(p, '<', lx->b + lx->n - p)); p++) {
        gsize at = p - lx->b, rest = lx->n - at;

        if (at - last > FAST_GAP_MAX || rest < 2 || p[1] == '!' || p[1] == '?')
            return FALSE;
        last = at;
        lx->tags++;
        if (p[1] != '/')
            continue;
        if (rest >= strlen(close) && memcmp(p, close, strlen(close)) == 0)
            to = at + strlen(close);
        else if (rest >= strlen(record_close) && memcmp(p, record_close, strlen(record_close)) == 0)
            lx->inner_close = TRUE;
    }
    if (!to)
        return FALSE;
    lx->tags += (countByte(lx->b, start, to, '\'') + countByte(lx->b, start, to, '"')) / 2 + 1;
    lx->i = to;
    return TRUE;
}

/* Format 3: a record's first <domain> (@node, its start tag read) written
 * exactly as a reference is its definition (@node dropped, as a repeat's,
 * *handled); the reference attribute written otherwise, or naming nothing
 * this file defines, declines (FALSE).  Without the attribute: read as in
 * format 2. */
static gboolean
lexPiecesReference(Lex *lx, xmlNodePtr node, gsize start, gboolean *handled)
{
    guint32 id;

    if (!vsDomainDedupIsPiecesRef(lx->b, start, lx->i - 1, &id))
        return !xmlHasProp(node, BAD_CAST VS_BULK_PIECES_ATTR);
    if (vsBulkLoadResolve(lx->f->p, id, &lx->repeated, NULL) < 0)
        return FALSE;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
    *handled = TRUE;
    return TRUE;
}

/* A record's first <domain> (@node, its start tag read), when it is a
 * definition: the dedup filter's rule, on the same bytes.  A repeat is skipped
 * (and @node dropped), a first copy is noted and @node stands in its place
 * until libxml2 has parsed it.  *handled: nothing more to read of it. */
static gboolean
lexDomain(Lex *lx, xmlNodePtr node, gsize start, gboolean self_closing, gboolean *handled)
{
    vsDomainDedup *dedup = lx->f->p->dedup;
    gboolean parsed;
    gsize len;
    int index;

    *handled = FALSE;
    lx->domain_seen = TRUE;
    if (lx->f->p->format3) {
        if (!lexPiecesReference(lx, node, start, handled))
            return FALSE;
        if (*handled)
            return TRUE;
    }
    if (!vsDomainDedupIsDefinition(lx->b, start, lx->i - 1))
        return TRUE;   /* an older snapshot's <domain><uuid>: an element like any */
    index = vsDomainDedupFindRepeat(dedup, lx->b + start, lx->avail - start, lx->f->eof,
                                    &lx->need_more);
    if (lx->need_more)
        return FALSE;
    if (index >= 0) {
        lx->repeated = vsDomainDedupGetDomain(dedup, index, &parsed, &len);
        if (!parsed || !lx->repeated || start + len > lx->n)
            return FALSE;
        xmlUnlinkNode(node);
        xmlFreeNode(node);
        lx->i = start + len;
        *handled = TRUE;
        return TRUE;
    }
    if (self_closing)
        return TRUE;
    if (!lexSkipElement(lx, start))
        return FALSE;
    lx->def_start = start;
    lx->def_end = lx->i;
    lx->def_node = node;
    *handled = TRUE;
    return TRUE;
}

static gboolean lexElement(Lex *lx, xmlNodePtr parent, xmlNodePtr *out);

/* The content of @node up to its end tag, which closes it. */
static gboolean
lexContent(Lex *lx, xmlNodePtr node)
{
    for (;;) {
        if (!lexText(lx, node) || lx->i + 1 >= lx->n)
            return FALSE;
        if (lx->b[lx->i + 1] == '/') {
            gsize len = strlen((const char *) node->name);
            lx->i += 2;
            if (lx->n - lx->i < len + 1 || memcmp(lx->b + lx->i, node->name, len) != 0 ||
                lx->b[lx->i + len] != '>')
                return FALSE;
            lx->i += len + 1;
            lx->inner_close |= node->name == lx->f->record_name && lx->depth > 1;
            return TRUE;
        }
        if (!lexElement(lx, node, NULL))
            return FALSE;
    }
}

/* The element at b[i] ('<'), added to @parent (or made the root). */
static gboolean
lexElement(Lex *lx, xmlNodePtr parent, xmlNodePtr *out)
{
    gsize start = lx->i, nstart, nlen;
    gboolean self_closing, ok;
    xmlNodePtr node;

    lx->i++;
    if (!lexName(lx, &nstart, &nlen) || lx->i >= lx->n ||
        (lx->b[lx->i] != ' ' && lx->b[lx->i] != '/' && lx->b[lx->i] != '>') ||
        lx->depth >= FAST_DEPTH_MAX)
        return FALSE;
    lx->tags++;
    node = xmlNewDocNodeEatName(lx->doc, NULL,
                                (xmlChar *) xmlDictLookup(lx->doc->dict,
                                                          BAD_CAST lx->b + nstart, (int) nlen),
                                NULL);
    if (parent)
        fastAppend(parent, node);
    else
        xmlDocSetRootElement(lx->doc, node);
    if (out)
        *out = node;
    if (!lexAttributes(lx, node, &self_closing))
        return FALSE;
    if (lx->depth == 1 && !lx->domain_seen && xmlStrEqual(node->name, BAD_CAST "domain")) {
        gboolean handled;
        if (!lexDomain(lx, node, start, self_closing, &handled))
            return FALSE;
        if (handled)
            return TRUE;
    }
    if (self_closing)
        return TRUE;
    lx->depth++;
    ok = lexContent(lx, node);
    lx->depth--;
    return ok;
}

/* ---------------------------------------------------------------- */
/* Records                                                            */

/* Any error libxml2 reports: the streaming reader fails on each, a
 * namespace error included (which leaves wellFormed set). */
static void
onParseError(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;

    if (err->level >= XML_ERR_ERROR)
        *(gboolean *) ctxt->_private = TRUE;
}

/* libxml2's parse of a first copy, in the place it stood in the record.
 * Its document shares the record's dictionary, so its nodes can move. */
static gboolean
graftFirstCopy(Lex *lx)
{
    gboolean failed = FALSE;
    xmlDocPtr dom;
    xmlNodePtr root;

    lx->f->ctxt->_private = &failed;
    lx->f->ctxt->sax->serror = onParseError;
    dom = xmlCtxtReadMemory(lx->f->ctxt, lx->b + lx->def_start,
                            (int) (lx->def_end - lx->def_start), NULL, NULL,
                            VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);
    lx->f->ctxt->_private = NULL;
    root = dom ? xmlDocGetRootElement(dom) : NULL;
    if (!root || failed || !lx->f->ctxt->wellFormed) {
        xmlFreeDoc(dom);
        return FALSE;
    }
    xmlUnlinkNode(root);
    xmlFreeDoc(dom);
    xmlSetTreeDoc(root, lx->doc);
    xmlReplaceNode(lx->def_node, root);
    xmlFreeNode(lx->def_node);
    lx->def_node = NULL;
    return TRUE;
}

/* A first copy captured straight from its bytes (when they are exactly
 * this writer's formatting of it: no DOM built and re-serialized), its
 * stand-in node then dropped as a repeat's is; NULL: it is grafted.
 * A record with a second <domain> keeps the DOM path (the kind's parser
 * would look at that one in its place). */
static vsXmlSubtree *
captureFirstCopy(Lex *lx, xmlNodePtr record)
{
    vsXmlSubtree *tree;

    for (xmlNodePtr c = record->children; c; c = c->next) {
        if (c != lx->def_node && c->type == XML_ELEMENT_NODE &&
            xmlStrEqual(c->name, BAD_CAST "domain"))
            return NULL;
    }
    tree = vsXmlSubtreeFromFormatted(lx->f->capture, lx->b + lx->def_start,
                                     lx->def_end - lx->def_start, VS_DEDUP_DOMAIN_INDENT_LEVEL);
    if (tree) {
        xmlUnlinkNode(lx->def_node);
        xmlFreeNode(lx->def_node);
        lx->def_node = NULL;
    }
    return tree;
}

/* An empty document on the load's dictionary. */
static xmlDocPtr
fastDocNew(Fast *f)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");

    doc->dict = f->ctxt->dict;
    xmlDictReference(doc->dict);
    return doc;
}

typedef enum { RECORD_DECLINED, RECORD_READ, RECORD_NEEDS_MORE, RECORD_UNREAD } RecordResult;

/* One record, b[0] its '<', up to *n: the '>' of the first end tag of its
 * name.  Given (*n > 0), that end was found by searching, and reading
 * checks that it is the record's own.  Not given, the record is read from
 * what is buffered and ends where its element does, when that end tag is
 * the first of its name: no element inside closes with it, no first copy
 * holds it, and a repeat is a first copy's bytes.  Its <domain> is then
 * not searched through again; a reading that fails (RECORD_UNREAD: the
 * record runs past the buffer, or is declined) tells nothing, and the
 * record is found by searching.  A first copy is remembered and parsed
 * only once the record's budget is known to fit. */
static RecordResult
fastRecord(Fast *f, gsize *n)
{
    BulkParse *p = f->p;
    gboolean found = *n > 0;
    Lex lx = { .f = f, .b = fastAt(f), .n = found ? *n : fastAvail(f), .avail = fastAvail(f) };
    xmlNodePtr record = NULL;
    RecordResult ret = RECORD_DECLINED;
    g_autoptr(vsXmlSubtree) captured = NULL;
    int def_index = -1;
    guint64 extra;

    lx.doc = f->doc;
    if (!lexElement(&lx, NULL, &record) || lx.inner_close || (found && lx.i != *n)) {
        if (!found)
            ret = RECORD_UNREAD;
        else if (lx.need_more)
            ret = RECORD_NEEDS_MORE;
        goto cleanup;
    }
    *n = lx.i;
    /* What the DOM reader's filter would count at most for this record. */
    extra = (lx.def_end ? lx.def_end - lx.def_start : 0) + *n +
            lx.tags * VS_DEDUP_DOM_NODE_COST;
    if (*n + 2 * FAST_CHUNK > VS_BULK_RECORD_MAX || vsBulkLoadOverBudget(p, extra))
        goto cleanup;
    if (lx.def_end) {
        def_index = vsDomainDedupAddFirstCopy(p->dedup, lx.b + lx.def_start,
                                              lx.def_end - lx.def_start);
        captured = captureFirstCopy(&lx, record);
        if (!captured && !graftFirstCopy(&lx))
            goto cleanup;
    }
    if (vsBulkLoadRecord(p, record, 0, def_index, lx.repeated, captured, NULL) == 0)
        ret = RECORD_READ;

 cleanup:
    if ((record = xmlDocGetRootElement(lx.doc))) {
        xmlUnlinkNode(record);
        xmlFreeNode(record);
    }
    return ret;
}

/* current= and virtsnap-format='3', each at most once, and nothing else. */
static gboolean
fastRootAttributes(BulkParse *p, xmlNodePtr root)
{
    for (xmlAttrPtr a = root->properties; a; a = a->next) {
        g_autofree char *value = (char *) xmlNodeGetContent((xmlNodePtr) a);

        if (xmlStrEqual(a->name, BAD_CAST VS_BULK_FORMAT_ATTR) && g_strcmp0(value, "3") == 0) {
            vsBulkLoadSetFormat3(p);
        } else if (xmlStrEqual(a->name, BAD_CAST "current")) {
            p->current = g_steal_pointer(&value);
        } else {
            return FALSE;
        }
    }
    return TRUE;
}

/* The root's start tag after the kind's header comment: current= and
 * the format only. */
static gboolean
fastRoot(Fast *f)
{
    const vsMomentKind *kind = f->p->in->kind;
    g_autofree char *open = g_strdup_printf("<%s", kind->list_element);
    const char *gt;
    Lex lx = { .f = f };
    xmlNodePtr root;
    gboolean self_closing, ok;

    if (!fastLooksAt(f, kind->bulk_header))
        return FALSE;
    f->pos += strlen(kind->bulk_header);
    if (!fastLooksAt(f, open) || !fastFill(f, HEAD_MAX) ||
        !(gt = memchr(fastAt(f), '>', fastAvail(f))))
        return FALSE;
    lx.b = fastAt(f);
    lx.n = gt + 1 - fastAt(f);
    lx.i = strlen(open);
    lx.doc = fastDocNew(f);
    root = xmlNewDocNode(lx.doc, NULL, BAD_CAST kind->list_element, NULL);
    xmlDocSetRootElement(lx.doc, root);
    ok = lexAttributes(&lx, root, &self_closing) && !self_closing && lx.i == lx.n &&
         fastRootAttributes(f->p, root);
    xmlFreeDoc(lx.doc);
    f->pos += lx.n;
    return ok;
}

/* Finds the end of the record at pos: *n its length, up to its end tag's '>'. */
static gboolean
fastRecordEnd(Fast *f, const char *close, gsize *n)
{
    gsize searched = 0, clen = strlen(close);

    for (;;) {
        const char *hit = memmem(fastAt(f) + searched, fastAvail(f) - searched, close, clen);
        if (hit) {
            *n = hit + clen - fastAt(f);
            return TRUE;
        }
        if (f->eof || fastAvail(f) > VS_BULK_RECORD_MAX)
            return FALSE;
        searched = fastAvail(f) >= clen ? fastAvail(f) - clen + 1 : 0;
        if (!fastFill(f, fastAvail(f) + FAST_CHUNK))
            return FALSE;
    }
}

/* The records, then the root's end tag and nothing but blanks. */
static gboolean
fastRecords(Fast *f)
{
    const vsMomentKind *kind = f->p->in->kind;
    g_autofree char *open = g_strdup_printf("<%s>", kind->record_element);
    g_autofree char *end = g_strdup_printf("</%s>", kind->list_element);

    for (;;) {
        vsDomainDedupRecordSpan span;
        RecordResult r;
        gsize n;

        if (!fastSkipBlanks(f))
            return FALSE;
        if (fastLooksAt(f, end))
            break;
        if (!fastLooksAt(f, open))
            return FALSE;
        n = 0;
        if ((r = fastRecord(f, &n)) == RECORD_UNREAD) {
            if (!fastRecordEnd(f, f->record_close, &n))
                return FALSE;
            /* A repeat longer than what is buffered: read on, try again. */
            while ((r = fastRecord(f, &n)) == RECORD_NEEDS_MORE) {
                if (!fastFill(f, fastAvail(f) + FAST_CHUNK))
                    return FALSE;
            }
        }
        if (r != RECORD_READ)
            return FALSE;
        span.start = f->base + f->pos;
        span.end = span.start + n;
        g_array_append_val(f->spans, span);
        f->pos += n;
    }
    f->pos += strlen(end);
    if (!fastSkipBlanks(f))
        return FALSE;
    return fastAvail(f) == 0 && f->eof;
}

gboolean
vsBulkFastParse(BulkParse *p, GArray **spans)
{
    g_autofree char *close = NULL;
    Fast f = { .p = p };
    gboolean ok;

    vsDomainDedupKeepRaw(p->dedup);
    f.ctxt = xmlNewParserCtxt();
    if (!f.ctxt)
        return FALSE;
    f.record_name = xmlDictLookup(f.ctxt->dict, BAD_CAST p->in->kind->record_element, -1);
    f.record_close = close = g_strdup_printf("</%s>", p->in->kind->record_element);
    fastClassesInit(&f);
    f.doc = fastDocNew(&f);
    f.capture = vsXmlCaptureNew();
    f.scratch = g_string_sized_new(256);
    f.buf = g_byte_array_sized_new(FAST_CHUNK);
    f.spans = g_array_new(FALSE, FALSE, sizeof(vsDomainDedupRecordSpan));
    ok = fastRoot(&f) && fastRecords(&f) && vsBulkLoadPacksAllowed(p);
    g_byte_array_unref(f.buf);
    g_string_free(f.scratch, TRUE);
    vsXmlCaptureFree(f.capture);
    xmlFreeDoc(f.doc);
    xmlFreeParserCtxt(f.ctxt);
    if (!ok) {
        g_array_unref(f.spans);
        return FALSE;
    }
    *spans = f.spans;
    return TRUE;
}
