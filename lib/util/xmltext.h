/* xmltext.h — XML text in and out (internal): THE escaper, the one way
 * documents are parsed (safe options, first error on one line), and the
 * node lookups with libvirt's XPath semantics that every record parser
 * uses. */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <glib.h>

/* ---- escaping ------------------------------------------------------------ */

/* The one XML escaper of the library: appends @str as libvirt's
 * virBufferEscapeString does (& < > " ' as entities, control characters
 * other than TAB, LF and CR dropped), except that what an XML parser would
 * not read back as given is written as a character reference: CR in text
 * (&#13;), and TAB, LF and CR in an attribute value (&#9; &#10; &#13;).
 * libvirt writes those raw, and its own re-read loses them (format.md). */
void vsXmlEscapeText(GString *buf, const char *str);
/* For an attribute value between single quotes. */
void vsXmlEscapeAttr(GString *buf, const char *str);
/* Text, with every LF written as @newline instead (a marker byte that
 * re-indenting leaves alone, see xmlsubtree.c). */
void vsXmlEscapeTextMarked(GString *buf, const char *str, char newline);

/* libvirt's formatter layout: two spaces per @level; and
 * "<name>TEXT</name>\n" at @level, TEXT escaped. */
/* What each byte may be in the strict layout both fast readers take (the
 * bulk file's record heads, a <domain> this library formatted): one
 * lookup a byte.  '>', '&', '<', quotes, CR, NUL and every byte past 0x7e
 * are of no class, so a run of a class stops before any of them. */
enum {
    VS_XML_BYTE_NAME_START = 1 << 0,   /* [A-Za-z_] */
    VS_XML_BYTE_NAME = 1 << 1,         /* [A-Za-z0-9_.-] */
    VS_XML_BYTE_PLAIN_VALUE = 1 << 2,  /* printable ASCII but & < > ' " */
    VS_XML_BYTE_PLAIN_TEXT = 1 << 3,   /* the same, TAB and LF */
    VS_XML_BYTE_BLANK = 1 << 4,        /* space, TAB, LF */
};
/* The VS_XML_BYTE_* of every byte (built once; never freed). */
const guint8 *vsXmlByteClasses(void);
/* The length of the predefined entity ("&amp;", "&lt;", "&gt;", "&quot;",
 * "&apos;") at @p, of @avail bytes, and in *@c its character; 0: none. */
gsize vsXmlPredefinedEntity(const char *p, gsize avail, char *c);

void vsXmlIndent(GString *buf, guint level);
void vsXmlAppendTextElement(GString *buf, guint level, const char *name, const char *text);

/* ---- parsing ----------------------------------------------------------- */

/* libxml2 nests a document at most this deep (xmlParserMaxDepth, without
 * XML_PARSE_HUGE, which is never used): deeper is not well-formed. */
#define VS_XML_DEPTH_MAX 256

/* The options every parse starts from: no network, no DTD loading, no
 * entity expansion (no NOENT), no XML_PARSE_HUGE; errors go to a handler,
 * never to stderr. */
#define VS_XML_SAFE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR)

/* How deep elements nest under @top (an element alone: 1), counted until
 * the depth passes @stop_above.  Iterative: any depth is safe to measure. */
guint vsXmlElementDepth(xmlNodePtr top, guint stop_above);

/* What went wrong while parsing or validating: the first error (its line,
 * one line of text) and the last one's text.  Clear with vsXmlProblemClear. */
typedef struct {
    int line;
    char *message;          /* first error; NULL: none */
    char *last;             /* last error */
    gboolean entity_decl;   /* an entity declaration was refused */
} vsXmlProblem;
void vsXmlProblemClear(vsXmlProblem *problem);
/* Records @err (errors only, not warnings) into @problem. */
void vsXmlProblemRecord(vsXmlProblem *problem, const xmlError *err);
/* libxml2's message on one line: the final newline dropped, inner line
 * breaks ("…indicate encoding !\nBytes: …") as spaces. */
char *vsXmlMessageLine(const char *msg);

typedef enum {
    /* libvirt parses with xmlKeepBlanksDefault(0): documents users give */
    VS_XML_READ_NOBLANKS    = 1 << 0,
    /* refuse a document declaring an entity, before anything refers to it
     * (billion laughs, external files); entities are never expanded */
    VS_XML_READ_NO_ENTITIES = 1 << 1,
    /* short text kept inside its node (XML_PARSE_COMPACT: fewer
     * allocations); only xmlNodeSetContent may change such a node */
    VS_XML_READ_COMPACT     = 1 << 2,
} vsXmlReadFlags;

/* Parses @len bytes with the library's safe options (no network, no DTD
 * loading, no entity expansion, no HUGE): NULL when not well-formed.  Every
 * error is recorded in @problem; a caller that refuses any error (not only
 * ill-formedness) also checks problem->message.  xmlFreeDoc the result. */
xmlDocPtr vsXmlReadMemory(const char *data, gsize len, const char *url, unsigned int flags,
                          vsXmlProblem *problem);

/* ---- libvirt's lookups ------------------------------------------------- */

/* An element named @name in no namespace. */
gboolean vsXmlIsElement(xmlNodePtr node, const char *name);
/* ./name — the first such child element, or NULL. */
xmlNodePtr vsXmlFirstChild(xmlNodePtr parent, const char *name);
/* ./a/b — the first b under any a, in document order. */
xmlNodePtr vsXmlFirstGrandChild(xmlNodePtr parent, const char *a, const char *b);
/* string(node): NULL when absent or empty, as virXPathString returns.  g_free. */
char *vsXmlNodeString(xmlNodePtr node);
/* virXMLPropString: the attribute value, "" kept, NULL when absent.  g_free. */
char *vsXmlPropString(xmlNodePtr node, const char *name);
/* virStrToLong_ll with no end pointer: the whole string, base 10. */
gboolean vsXmlParseLongLong(const char *str, gint64 *out);
/* Index of @str in @names[@n], -1 when absent or NULL. */
int vsXmlEnumFromString(const char *const *names, gsize n, const char *str);
/* libvirt's "XML error: Invalid value for attribute 'A' in element 'E': 'V'."
 * (VS_ERROR_INVALID); returns -1. */
int vsXmlErrInvalidAttr(GError **error, const char *attr, xmlNodePtr node, const char *value);
/* virXMLPropEnumDefault with VIR_XML_PROP_NONZERO: absent gives @def, the
 * value 0 or an unknown word fails (vsXmlErrInvalidAttr). */
int vsXmlPropEnum(xmlNodePtr node, const char *attr, const char *const *names, gsize n,
                  int def, int *out, GError **error);
