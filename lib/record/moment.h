/* moment.h — the record every libvirt moment is, and what a kind of
 * moment supplies (internal).
 *
 * libvirt calls snapshots and checkpoints "moments": each has a name, a
 * description, a parent, a creationTime and the VM's <domain>, and its
 * kind adds the rest.  A vsMoment is that common part; a kind's record
 * embeds it first and follows it with its own fields, so one allocation
 * holds a record and every layer below the kind (tree, bulk file, store,
 * legacy layout) works on vsMoment through the kind's descriptor.
 *
 * Records are immutable once shared (in a tree, handed out): a change is
 * made on a copy (vsMomentCopy), which shares the opaque subtrees. */
#pragma once

#include <string.h>
#include <libxml/tree.h>
#include "virtsnap/virtsnap.h"
#include "record/xmlsubtree.h"

typedef struct _vsMomentKind vsMomentKind;

/* The deepest a record may nest (its own element is level 1): a bulk file
 * nests records one level down, and libxml2 refuses a document nested
 * deeper than 257 levels (xmlParserMaxDepth 256, without XML_PARSE_HUGE).
 * Parsers refuse deeper records, so none is ever stored that its file
 * could not load back. */
#define VS_MOMENT_DEPTH_MAX 256

struct _vsMoment {
    gint refs;
    const vsMomentKind *kind;
    char *name;
    char *description;
    char *parent_name;
    gint64 creation_time;
    vsXmlSubtree *domain;      /* the full <domain>, or NULL */
    /* the kind's own fields follow: kind->size bytes in all */
};

/* What a list request of the kind's flags selects (vsTreeSelect). */
typedef struct {
    gboolean none;         /* matches nothing (e.g. NO_METADATA alone) */
    gboolean descend;      /* every record below the start, not only its children
                            * (domain-wide: all records, not only the roots) */
    gboolean leaves;       /* only records without children */
    gboolean no_leaves;    /* only records with children (both: nothing) */
    unsigned int filter;   /* passed to kind->list_match; 0: no filter */
} vsMomentListQuery;

/* The delete flags the tree knows (libvirt's values for every kind). */
#define VS_MOMENT_DELETE_CHILDREN      (1u << 0)
#define VS_MOMENT_DELETE_CHILDREN_ONLY (1u << 2)

/* A kind of moment.  One static const descriptor per kind (snapshot.c's
 * vsSnapshotKind; a checkpoint kind adds its own): the element names of
 * its files, how its records are parsed, formatted, copied and listed. */
struct _vsMomentKind {
    vsMomentKindId id;           /* the public name of the kind */
    const char *noun;            /* "snapshot": in messages */
    const char *record_element;  /* "domainsnapshot" */
    const char *list_element;    /* "snapshots": the root of a VM's bulk file */
    /* the comment that opens a VM's bulk file (format.md: exact bytes) */
    const char *bulk_header;
    /* libvirt's comment before each per-record file of its own layout
     * (exact bytes, blank line included), naming `virsh snapshot-edit` */
    const char *legacy_header;
    /* the current record is set by the user and stored (snapshots); FALSE:
     * it follows from the tree (libvirt derives a current checkpoint): the
     * kind's rules keep it, vsDomainSetCurrent refuses */
    gboolean stores_current;
    gsize size;                  /* of the kind's record, vsMoment first */

    /* The kind's fields: copy them from @src into the zeroed @dst; free
     * them; count the memory they hold (load budgets). */
    void (*copy)(vsMoment *dst, const vsMoment *src);
    void (*clear)(vsMoment *moment);
    gsize (*own_bytes)(const vsMoment *moment);
    /* Names the kind accepts for storing (file names in libvirt's layout). */
    int (*name_check)(const char *name, GError **error);

    /* The stored form: one record of the bulk file, parsed from its
     * element (the reader expands one at a time; @node's <metadata> may be
     * rewritten in place), and formatted at @level with secrets; with
     * @domain_line (nullable), the record's <domain> (vsMomentGetDomain) is
     * written as that one line instead (format 3's reference to its
     * definition: an element without indent or newline). */
    int (*parse_stored)(vsMoment **out, xmlNodePtr node, GError **error);
    void (*format_stored)(GString *buf, const vsMoment *moment, const char *uuid, guint level,
                          const char *domain_line);
    /* libvirt's own per-record file (without its header): parsed as
     * libvirt loads it (*is_current: the record says it is current), and
     * formatted byte for byte as libvirt writes it. */
    int (*parse_legacy)(vsMoment **out, const char *xml, gsize len, gboolean *is_current,
                        GError **error);
    void (*format_legacy)(GString *buf, const vsMoment *moment, const char *uuid,
                          gboolean current);

    /* Lists: translate the kind's public list flags (libvirt's values and
     * errors) for a domain-wide list or one @from a record; and the kind's
     * own filters (query->filter) on one record. */
    int (*list_query)(unsigned int flags, gboolean from, vsMomentListQuery *query,
                      GError **error);
    gboolean (*list_match)(const vsMoment *moment, unsigned int filter);
    /* Deletes: refuse the flags libvirt refuses, with its texts; the rest
     * is VS_MOMENT_DELETE_*. */
    int (*delete_check)(unsigned int flags, GError **error);
};

/* A new record of @kind (refcount 1, every field zero). */
vsMoment *vsMomentNew(const vsMomentKind *kind);
/* A new record (refcount 1) with @moment's fields; opaque subtrees shared. */
vsMoment *vsMomentCopy(const vsMoment *moment);
const vsMomentKind *vsMomentGetKindInfo(const vsMoment *moment);

void vsMomentSetParentName(vsMoment *moment, const char *parent_name);
/* The record's full <domain> subtree (borrowed) or NULL. */
vsXmlSubtree *vsMomentGetDomain(const vsMoment *moment);
/* Replaces the record's <domain> (takes a new reference to @domain). */
void vsMomentSetDomain(vsMoment *moment, vsXmlSubtree *domain);
/* What the record holds besides its <domain> (which records share): for
 * load budgets. */
gsize vsMomentOwnBytes(const vsMoment *moment);
/* Memory a string holds, for budgets (0 for NULL). */
static inline gsize
vsStringBytes(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* The VM's UUID as the record's <domain> gives it, or NULL.  g_free. */
char *vsMomentGetDomainUUID(const vsMoment *moment);

/* The stored form (kind->format_stored), the <domain> written whole; the
 * second form with @domain_line in its place when not NULL. */
void vsMomentFormatStored(GString *buf, const vsMoment *moment, const char *uuid,
                          guint level);
void vsMomentFormatStoredWith(GString *buf, const vsMoment *moment, const char *uuid,
                              guint level, const char *domain_line);
/* A record's <domain> at @level as the kinds write it: @domain_line on
 * its own line when not NULL, else the subtree (vsXmlSubtreeAppend). */
void vsMomentAppendDomain(GString *buf, const vsXmlSubtree *domain, guint level,
                          gboolean secure, const char *domain_line);

/* @name as a message shows it: control characters (TAB aside) as '?' (so
 * it stays on one line), NULL as "".  g_free. */
char *vsMomentShowName(const char *name);

/* libvirt's NOT_FOUND texts for the kind: "Domain snapshot not found: no
 * domain snapshot with matching name 'X'", and "... the domain does not
 * have a current snapshot".  Return -1. */
int vsMomentErrNotFound(const vsMomentKind *kind, GError **error, const char *name);
int vsMomentErrNoCurrent(const vsMomentKind *kind, GError **error);

/* A <domain> document a caller gives for a plain create (the VM's
 * definition, which a hypervisor would supply), parsed safely and checked
 * to nest no deeper than a record of @kind can hold.  Errors:
 * VS_ERROR_INVALID ("XML error: ..."). */
int vsMomentDomainFromXML(vsXmlSubtree **out, const vsMomentKind *kind, const char *xml,
                          GError **error);

/* The one interning table of <domain>s: a VM's records mostly embed the
 * same definition, and readers (the bulk file, libvirt's layout) keep one
 * copy of each.  vsMomentShareDomain makes @moment use the table's equal
 * subtree, or adds its own; returns the bytes newly kept (0 for a repeat;
 * vsXmlSubtreeBytes for a new one: its chunks no other subtree holds). */
GHashTable *vsMomentDomainTableNew(void);
gsize vsMomentShareDomain(GHashTable *table, vsMoment *moment);
