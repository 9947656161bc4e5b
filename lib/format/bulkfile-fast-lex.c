/* bulkfile-fast-lex.c — the fast reader's reader of one record
 * (format/bulkfile-fast.c reads the document): a strict subset of XML
 * read straight from the bytes into the nodes libxml2 would build, with
 * the record's first <domain> decided on its raw bytes (skipped as a
 * repeat, or noted as a first copy for libxml2 or the capture). */
#include <string.h>

#include "format/bulkfile-fast.h"

/* An ASCII name without a prefix. */
static gboolean
lexName(Lex *lx, gsize *start, gsize *len)
{
    const guint8 *classes = lx->f->classes;
    const guchar *b = (const guchar *) lx->b;
    gsize i = lx->i, n = lx->n;

    *start = i;
    if (i >= n || !(classes[b[i]] & VS_XML_BYTE_NAME_START))
        return FALSE;
    while (i < n && (classes[b[i]] & VS_XML_BYTE_NAME))
        i++;
    lx->i = i;
    *len = i - *start;
    return *len <= FAST_NAME_MAX;
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
    const char *p = lx->b + lx->i, *end = lx->b + lx->n;
    guint64 v = 0;
    gboolean hex;
    const char *q;
    gsize len;
    char c;

    if ((len = vsXmlPredefinedEntity(p, end - p, &c))) {
        g_string_append_c(out, c);
        lx->i += len;
        return TRUE;
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

/* The end of the run of plain ASCII at b[i]: nothing a reference, a
 * markup character, a quote or "]]>" could involve, nor in a value a TAB
 * or LF (libxml2 normalises them). */
static gsize
lexPlainEnd(const Lex *lx, gboolean in_value)
{
    const guint8 *classes = lx->f->classes;
    const guchar *b = (const guchar *) lx->b;
    guint8 plain = in_value ? VS_XML_BYTE_PLAIN_VALUE : VS_XML_BYTE_PLAIN_TEXT;
    gsize j = lx->i, n = lx->n;

    while (j < n && (classes[b[j]] & plain))
        j++;
    return j;
}

/* Character data at b[i] up to @end ('<', or a value's quote) or the end
 * of the bytes, as libxml2 decodes it: *text points into the record when
 * it is one plain run (most are), else into the scratch buffer.  Longer
 * than FAST_GAP_MAX: declined. */
static gboolean
lexCharData(Lex *lx, char end, gboolean in_value, const char **text, gsize *len)
{
    GString *out = lx->f->scratch;
    gsize start = lx->i, from = lx->i;

    lx->i = lexPlainEnd(lx, in_value);
    if (lx->i >= lx->n || lx->b[lx->i] == end) {
        *text = lx->b + from;
        *len = lx->i - from;
        return *len <= FAST_GAP_MAX;
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
    return lx->i - start <= FAST_GAP_MAX;
}

/* Nodes as libxml2's own parser builds them with XML_PARSE_COMPACT (the
 * DOM reader's options): names from the load's dictionary, a text shorter
 * than two pointers held in the node itself, an attribute's value as its
 * one text child.  xmlFreeNode frees them as it frees the parser's; what
 * the tree API would add (xmlNewProp looking the name up again and copying
 * the value twice, xmlAddChild looking for a text to merge with) is not
 * spent. */
static void G_GNUC_NORETURN G_GNUC_NO_INLINE
outOfMemory(void)
{
    g_error("out of memory building a record's nodes");
}

G_STATIC_ASSERT(G_STRUCT_OFFSET(xmlNode, nsDef) ==
                G_STRUCT_OFFSET(xmlNode, properties) + sizeof(void *));

static xmlNodePtr
fastText(xmlDocPtr doc, const char *text, gsize len)
{
    xmlNodePtr node = xmlNewDocText(doc, NULL);

    if (!node)
        outOfMemory();
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

gboolean
vsBulkFastLexAttributes(Lex *lx, xmlNodePtr node, gboolean *self_closing)
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
            if (!(attr = xmlNewNsPropEatName(node, NULL, (xmlChar *) name, NULL)))
                outOfMemory();
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
        if (!vsBulkFastLexElement(lx, node, NULL))
            return FALSE;
    }
}

gboolean
vsBulkFastLexElement(Lex *lx, xmlNodePtr parent, xmlNodePtr *out)
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
    if (!node)
        outOfMemory();
    if (parent)
        fastAppend(parent, node);
    else
        xmlDocSetRootElement(lx->doc, node);
    if (out)
        *out = node;
    if (!vsBulkFastLexAttributes(lx, node, &self_closing) || lx->i - start > FAST_GAP_MAX)
        return FALSE;
    if (lx->depth == 1 && !lx->domain_seen && nlen == strlen("domain") &&
        memcmp(lx->b + nstart, "domain", nlen) == 0) {
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
