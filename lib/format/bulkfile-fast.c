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
#include "format/bulkfile-fast.h"

#define FAST_CHUNK (1024 * 1024)

/* ---------------------------------------------------------------- */
/* The document's bytes                                               */

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
        while (fastAvail(f) && (*fastAt(f) == ' ' || *fastAt(f) == '\n' || *fastAt(f) == '\t'))
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
    if (!vsBulkFastLexElement(&lx, NULL, &record) || lx.inner_close || (found && lx.i != *n)) {
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
    if (record) {   /* the document is the next record's */
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
    ok = vsBulkFastLexAttributes(&lx, root, &self_closing) && !self_closing && lx.i == lx.n &&
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
    f.classes = vsXmlByteClasses();
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
