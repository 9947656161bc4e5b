/* bulkfile-load.h — what the bulk file's two readers share (format/
 * bulkfile-read.c, the streaming DOM reader, and format/bulkfile-fast.c,
 * the reader of this writer's own layout): the input, the load's state,
 * and adding a parsed record to it. */
#pragma once

#include <libxml/xmlreader.h>
#include <zstd.h>

#include "util/xmltext.h"
#include "format/bulkfile-private.h"
#include "format/domaindedup.h"

typedef struct {
    guint64 comp_start, comp_end;  /* in the file */
    guint64 doc_start, doc_end;    /* in the decompressed document */
} BulkFrame;

/* Input: plain bytes or a zstd stream, from memory or a descriptor. */
typedef struct {
    const vsMomentKind *kind; /* of the records */
    int fd;                   /* -1 when reading from memory */
    const char *mem;
    gsize mem_len, mem_pos;
    gboolean compressed;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    char *inbuf;
    gsize inbuf_size;
    gboolean src_eof;
    gboolean zstd_frame_open; /* a frame has started and not ended */
    guint64 raw_offset;       /* source offset of inbuf[0] */
    GArray *frames;           /* BulkFrame, when the caller wants segments */
    BulkFrame frame;          /* the frame being decoded */
    const char *marker;       /* our segment marker frame in the stream (2 or 3), or NULL */
    GString *head;            /* the document's first HEAD_MAX bytes, with frames */
    GPtrArray *records_only;  /* set: collect the records here, link nothing */
    guint64 produced;         /* document bytes handed to libxml2 */
    guint64 max_document;     /* cap on the decompressed document */
    guint64 max_held;         /* cap on what the load holds (the load limit) */
    guint64 held;             /* held by the records read so far */
    vsDomainDedup *dedup;     /* the filter reading from this input */
    int err;                  /* errno of a failed read */
    char *zstd_error;
    gboolean too_large;       /* the document passed max_document */
    guint data_frames;        /* zstd frames of the document started so far */
    vsBulkPieces *pieces;     /* format 3: the packs read so far, or NULL */
    GError *pack_error;       /* why a pack stopped the read */
} BulkInput;

/* The document's bytes (plain, or zstd-decompressed): > 0 bytes, 0 at the
 * end, < 0 on an error that @in records. */
gssize vsBulkInputRead(gpointer in, char *buf, gsize len);

/* One document being read. */
typedef struct {
    BulkInput *in;
    const char *label;
    xmlTextReaderPtr reader;   /* the DOM reader's */
    vsXmlProblem errs;         /* libxml2's first error (the DOM reader's) */
    vsDomainDedup *dedup;
    vsTree *tree;              /* the records, unlinked until the end */
    GHashTable *domains;       /* distinct <domain>s (vsMomentShareDomain) */
    GPtrArray *order;          /* the records in document order, when needed */
    char *current;             /* the root's current= */
    gboolean format3;          /* the root says virtsnap-format='3' */
    gboolean seen_root, root_closed;
} BulkParse;

/* Parses @node (a record: its first <domain> registered as dedup definition
 * @def_index if >= 0, or removed as a repeat of @repeated, or removed as
 * a first copy already @captured) and adds it to the load, unlinked.
 * Errors name @line of the file. */
int vsBulkLoadRecord(BulkParse *p, xmlNodePtr node, int line, int def_index,
                     vsXmlSubtree *repeated, vsXmlSubtree *captured, GError **error);

/* The root says format 3: references are resolved from the input's packs. */
void vsBulkLoadSetFormat3(BulkParse *p);
/* The definition @id of the input's packs (borrowed), or why not. */
int vsBulkLoadResolve(BulkParse *p, guint32 id, vsXmlSubtree **out, GError **error);
/* Whether the packs read (if any) may be: only in a format-3 document. */
gboolean vsBulkLoadPacksAllowed(const BulkParse *p);

/* Whether the load would pass its limit with @extra more bytes held for
 * the record being read (what the DOM reader's filter would stop at). */
gboolean vsBulkLoadOverBudget(const BulkParse *p, guint64 extra);

/* Reads the whole document of @p->in, if it is laid out as this writer
 * lays it out, without building a DOM of every record; the records,
 * current= and each record's span (vsDomainDedupRecordSpan, into *spans)
 * come out as the DOM reader gives them.  FALSE: declined (anything
 * else, any problem: the caller reads the file again with the DOM reader,
 * which reports it).  Never an error of its own. */
gboolean vsBulkFastParse(BulkParse *p, GArray **spans);
