/* bulkfile-fast.h — what the fast reader's two files share: the document
 * being read (format/bulkfile-fast.c: its bytes, its records) and one
 * record being read by the reader of the strict subset of XML
 * (format/bulkfile-fast-lex.c). */
#pragma once

#include "format/bulkfile-load.h"

/* Deeper records are refused by the kinds' parsers anyway. */
#define FAST_DEPTH_MAX 300
/* libxml2's streaming reader refuses a text node or tag over 10,000,000
 * bytes that a parse from memory accepts: a first copy with a run that
 * long without '<', and a record's text, value or start tag longer than
 * this, is left to the DOM reader. */
#define FAST_GAP_MAX (1024 * 1024)
/* libxml2 refuses a name over 50,000 bytes (XML_MAX_NAME_LENGTH): a long
 * one is left to the DOM reader. */
#define FAST_NAME_MAX 1000

/* The document's bytes and what every record's reading shares. */
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
    const guint8 *classes;  /* vsXmlByteClasses() */
    xmlDocPtr doc;        /* of each record in turn */
} Fast;

/* One record being read. */
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

/* The element at lx->b[lx->i] ('<'), added to @parent (or made the root
 * of lx->doc), read to its end tag; *out: the element, once made.  FALSE:
 * outside the subset, or not within lx->n bytes. */
gboolean vsBulkFastLexElement(Lex *lx, xmlNodePtr parent, xmlNodePtr *out);

/* name='value' pairs up to '>' or '/>' of a start tag, set on @node;
 * *self_closing: it ended with '/>'. */
gboolean vsBulkFastLexAttributes(Lex *lx, xmlNodePtr node, gboolean *self_closing);
