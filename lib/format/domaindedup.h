/* domaindedup.h — skip re-parsing repeated <domain> definitions while
 * reading a bulk file, of any kind of moment (internal).
 *
 * Most snapshots of a VM embed a <domain> byte-identical to an earlier
 * one.  This filter sits between the file (plain or decompressed) and
 * libxml2: the first copy of each record-level <domain> goes through
 * unchanged but tagged, and every later byte-identical copy is replaced
 * by a one-line placeholder, so libxml2 tokenises each distinct definition
 * once.  The markers carry a random per-load nonce, so a file cannot forge
 * them.  Only the first <domain> child of each record directly
 * under the root is considered; anything unusual (a DOCTYPE, a definition
 * larger than VS_XML_SUBTREE_MAX) just passes through untouched. */
#pragma once

#include <libxml/tree.h>
#include "record/xmlsubtree.h"

typedef struct _vsDomainDedup vsDomainDedup;

/* Supplies document bytes: > 0 bytes, 0 at the end, < 0 on error. */
typedef gssize (*vsDomainDedupSource)(gpointer data, char *buf, gsize len);

/* @record_element: the kind's record ("domainsnapshot"), the children of
 * the document's root whose first <domain> is considered.
 * @record_max: the largest record (source bytes) accepted; a larger one,
 * or any construct the scanner has to buffer that is larger, stops the
 * read (vsDomainDedupRead fails, vsDomainDedupGetStop says why).
 * @size_hint: the document's length if known and small (it is then read
 * in one piece), else 0. */
vsDomainDedup *vsDomainDedupNew(vsDomainDedupSource source, gpointer data,
                                const char *record_element, guint64 record_max,
                                gsize size_hint);
void vsDomainDedupFree(vsDomainDedup *dedup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsDomainDedup, vsDomainDedupFree)

/* The filtered document, for libxml2's read callback (same contract as the
 * source). */
gssize vsDomainDedupRead(vsDomainDedup *dedup, char *buf, gsize len);

/* Makes reading stop (VS_DEDUP_OVER_BUDGET) as soon as *@kept (what the
 * load keeps so far, updated by the caller), plus what the filter holds,
 * plus an estimate of the record being read and its DOM (its bytes and a
 * cost per element and attribute) would pass @max.  Without it only
 * record_max bounds a record. */
void vsDomainDedupSetBudget(vsDomainDedup *dedup, guint64 max, const guint64 *kept);

typedef enum {
    VS_DEDUP_READING = 0,
    VS_DEDUP_RECORD_TOO_LARGE,   /* a record (or construct) over record_max */
    VS_DEDUP_OVER_BUDGET,        /* see vsDomainDedupSetBudget */
} vsDomainDedupStop;
/* Why reading stopped, if it did (vsDomainDedupRead failed); *offset
 * (optional) is where the record being read starts in the source. */
vsDomainDedupStop vsDomainDedupGetStop(const vsDomainDedup *dedup, guint64 *offset);

/* Memory the filter holds for recognising repeats (raw first copies), for
 * the loader's budget. */
guint64 vsDomainDedupGetHeldBytes(const vsDomainDedup *dedup);

/* Where each record directly under the root starts ('<') and
 * ends (after its closing '>'), as offsets into the source document, in
 * document order — what the bulk-file reader needs to tell which
 * compressed frame holds which records.  NULL (and *count 0) when the
 * scan gave up (a DOCTYPE, an unterminated construct at the end).
 * Valid until the filter is freed. */
typedef struct {
    guint64 start, end;
} vsDomainDedupRecordSpan;
const vsDomainDedupRecordSpan *vsDomainDedupGetRecordSpans(const vsDomainDedup *dedup,
                                                           guint *count);

/* Format 3 (bulkfile-pieces.h): the definition @id of the file's packs
 * (borrowed), or an error naming why not. */
typedef int (*vsDomainDedupResolve)(gpointer data, guint32 id, vsXmlSubtree **out,
                                    GError **error);
/* The document's root says format 3: from now on a record's first <domain>
 * written exactly as a reference (vsDomainDedupIsPiecesRef) is the
 * definition @resolve gives, and one carrying the attribute otherwise is
 * an error.  Without it such an element is an ordinary <domain>. */
void vsDomainDedupSetResolve(vsDomainDedup *dedup, vsDomainDedupResolve resolve,
                             gpointer data);

/* Whether the start tag @b[@start..@end] (from its '<' to its '>') is
 * exactly "<domain virtsnap-pieces='ID'/>" (ID in decimal, no sign or
 * leading zero, at most G_MAXUINT32), and *@id that ID.  Both readers ask
 * this. */
gboolean vsDomainDedupIsPiecesRef(const char *b, gsize start, gsize end, guint32 *id);

/* Before parsing an expanded @record: strips the markers.
 * *def_index is set (>= 0) when the record holds a tagged first copy that
 * must be registered after parsing; *domain is set (borrowed) when the
 * record's <domain> was a placeholder or a format-3 reference, now
 * removed, to be given back to the parsed record.  Errors:
 * VS_ERROR_CORRUPT (a reference to nothing), *@line (unchanged otherwise)
 * the line of the <domain> at fault. */
int vsDomainDedupPrepareRecord(vsDomainDedup *dedup, xmlNodePtr record, int *def_index,
                               vsXmlSubtree **domain, int *line, GError **error);

/* Remembers the parsed <domain> (may be NULL) of a tagged first copy. */
void vsDomainDedupRegister(vsDomainDedup *dedup, int def_index, vsXmlSubtree *domain);

/* For a reader that scans whole records itself (bulkfile-fast.c): the
 * filter's own decisions on the same bytes, so both readers share the same
 * definitions and hold the same bytes.
 * The index of a known definition that the @avail bytes at @p repeat
 * exactly, or -1; *need_more when more input (none if @at_end) could
 * still decide it. */
int vsDomainDedupFindRepeat(vsDomainDedup *dedup, const char *p, gsize avail,
                            gboolean at_end, gboolean *need_more);
/* Remembers a first copy, @bytes from "<domain" to the '>' closing it, as
 * the filter does; returns its index for vsDomainDedupRegister. */
int vsDomainDedupAddFirstCopy(vsDomainDedup *dedup, const char *bytes, gsize len);
/* The parsed definition of @index (borrowed; NULL when it has none);
 * *parsed: whether it was registered yet; *len: its bytes in the file. */
vsXmlSubtree *vsDomainDedupGetDomain(const vsDomainDedup *dedup, int index, gboolean *parsed,
                                     gsize *len);
/* Registering never drops a first copy's bytes (it may, normally, once an
 * equal formatting can stand in for them).  A reader that registers each
 * record as soon as it has scanned it then holds at least what the
 * streaming filter holds at any point, whose registering lags behind its
 * scan: its budget bounds the filter's. */
void vsDomainDedupKeepRaw(vsDomainDedup *dedup);

/* What libxml2 spends per element or attribute of a record's DOM (a node,
 * plus an attribute's text child), beyond the bytes themselves: the
 * budget's estimate counts each start tag and each quoted value. */
#define VS_DEDUP_DOM_NODE_COST 300

/* Where a record's <domain> stands in a file this writer wrote: records
 * are formatted at level 1, so their <domain> at level 2 (secure). */
#define VS_DEDUP_DOMAIN_INDENT_LEVEL 2

/* Whether the start tag @b[@start..@end] (from its '<' to its '>') of a
 * record's first <domain> is a definition the repeat table decides: one
 * with a non-empty type.  An older snapshot's <domain> with only a <uuid>
 * (no type, or an empty one) is not: the kind reads it, and each record
 * keeps its own (snapshot-parse.c).  Both readers ask this. */
gboolean vsDomainDedupIsDefinition(const char *b, gsize start, gsize end);
