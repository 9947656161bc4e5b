/* bulkfile-check.c — whether a record, stored as the bulk file stores it,
 * loads back as the same record (vsBulkRecordCheck, bulkfile.h).
 *
 * Why the <domain> of a record under CHECK_WHOLE_FROM bytes need not be
 * parsed back (format.md, "What a command accepts loads back"):
 *
 * - Its stored bytes are vsXmlSubtreeAppend of a subtree captured from a
 *   libxml2 parse (no XML_PARSE_HUGE): elements balanced, every value
 *   escaped by the one escaper (markup characters and the TAB, LF, CR that
 *   a parser would change), no comment, PI or entity reference kept.
 *   Reading those bytes back captures the same canonical text: that is the
 *   subtree's own round trip (test-xmlsubtree.c, the fuzzers, and every
 *   reload of test-roundtrip.c), which does not depend on the record.
 * - What does depend on the stored bytes is libxml2's limits.  Depth: the
 *   stored element nests as deep as the given one, and parsers refuse a
 *   record deeper than a file holds (VS_MOMENT_DEPTH_MAX).  Names: the same
 *   names passed the same 50,000-byte limit when the subtree was captured.
 *   Sizes (a text node, an attribute value, a start tag, the dictionary:
 *   10,000,000 bytes each) can grow by escaping; no token of a record under
 *   CHECK_WHOLE_FROM bytes reaches them.  A bigger record is parsed whole.
 * - What the kind makes of the element depends only on its start tag: a
 *   snapshot keeps a <domain> with a non-empty type (else only its uuid),
 *   a checkpoint keeps it always.  So the head is checked with the domain
 *   cut to its own start tag, every attribute kept: the record's name,
 *   fields, disks, other subtrees and the kind's decision on the domain
 *   all go through the real parse, only the domain's children do not. */
#include <string.h>

#include "util/error.h"
#include "format/bulkfile-private.h"

/* Below libxml2's 10,000,000-byte limits, with room for the list element. */
#define CHECK_WHOLE_FROM (9 * 1000 * 1000)

/* @moment's record at level 1 of a one-record list document; returns
 * the record's length as stored. */
static gsize
formatInList(GString *doc, const vsMoment *moment, const char *uuid)
{
    const char *list = moment->kind->list_element;
    gsize start;

    g_string_append_printf(doc, "<%s>\n", list);
    start = doc->len;
    vsMomentFormatStored(doc, moment, uuid, 1);
    g_string_append_printf(doc, "</%s>\n", list);
    return doc->len - start - strlen(list) - 4;
}

/* Whether @doc, the formatting of @moment, reads back through the bulk
 * reader and formats again to the same bytes. */
static int
loadsBackSame(const GString *doc, const vsMoment *moment, const char *uuid, GError **error)
{
    const vsMomentKind *kind = moment->kind;
    g_autoptr(GString) again = g_string_new(NULL);
    g_autoptr(GPtrArray) parsed = NULL;
    g_autoptr(GError) perr = NULL;

    if (vsBulkParseRecordsOnly(&parsed, kind, doc->str, doc->len, "stored form", &perr) < 0)
        return vsErr(error, perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE
                                                             : VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would not load back "
                     "(%s)", kind->noun, moment->name, perr->message);
    g_assert(parsed->len == 1);
    formatInList(again, parsed->pdata[0], uuid);
    if (!g_string_equal(doc, again))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would load back "
                     "different", kind->noun, moment->name);
    return 0;
}

/* @moment with its <domain> cut to the domain's start tag, attributes and
 * all (an empty element); -1 if that start tag does not parse alone. */
static int
withEmptyDomain(vsMoment **out, const vsMoment *moment)
{
    g_autofree char *start = vsXmlSubtreeGetStartTag(moment->domain);
    g_autoptr(GString) tag = g_string_new(start);
    g_autoptr(vsXmlSubtree) empty = NULL;

    g_assert(tag->len >= 2 && tag->str[tag->len - 1] == '>');
    g_string_truncate(tag, tag->len - 1);
    if (tag->str[tag->len - 1] == '/')
        g_string_truncate(tag, tag->len - 1);
    g_string_append(tag, "/>");
    if (vsMomentDomainFromXML(&empty, moment->kind, tag->str, NULL) < 0)
        return -1;
    *out = vsMomentCopy(moment);
    vsMomentSetDomain(*out, empty);
    return 0;
}

/* The whole record formatted, checked against the per-record limit, and
 * read back whole. */
static int
checkWhole(const vsMoment *moment, const char *uuid, GError **error)
{
    const vsMomentKind *kind = moment->kind;
    g_autoptr(GString) doc = g_string_new(NULL);
    gsize record_len = formatInList(doc, moment, uuid);

    if (record_len > VS_BULK_RECORD_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s '%s' cannot be stored: it is %" G_GSIZE_FORMAT " bytes as "
                     "stored, more than the limit of %d bytes per %s", kind->noun, moment->name,
                     record_len, VS_BULK_RECORD_MAX, kind->noun);
    return loadsBackSame(doc, moment, uuid, error);
}

/* At least the length of @domain as formatted in a record at level 1 (the
 * kinds put it at level 2), without formatting it: vsXmlSubtreeAppend
 * writes at most the canonical bytes plus the level's indent before each
 * line, and a line holds at least its newline. */
static gsize
domainLengthBound(const vsXmlSubtree *domain)
{
    const gsize pad = 2 * 2;

    return pad + vsXmlSubtreeGetLength(domain) * (1 + pad);
}

int
vsBulkRecordCheck(const vsMoment *moment, const char *uuid, GError **error)
{
    g_autoptr(GString) head_doc = NULL;
    g_autoptr(vsMoment) head = NULL;

    /* a start tag that does not stand alone is no shortcut: parse it all */
    if (!moment->domain || withEmptyDomain(&head, moment) < 0)
        return checkWhole(moment, uuid, error);
    head_doc = g_string_new(NULL);
    formatInList(head_doc, head, uuid);
    /* The whole document is no longer than the head's plus the domain's
     * bound.  Under the smaller of both limits, neither can be reached:
     * the record is not formatted whole just to learn its length. */
    if (head_doc->len + domainLengthBound(moment->domain) >=
        MIN(CHECK_WHOLE_FROM, VS_BULK_RECORD_MAX))
        return checkWhole(moment, uuid, error);
    return loadsBackSame(head_doc, moment, uuid, error);
}
