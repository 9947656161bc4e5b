/* xmltext.c — XML text in and out: the escaper, safe parsing with one-line
 * errors, and libvirt's node lookups. */
#include <errno.h>
#include <string.h>
#include <libxml/parser.h>

#include "util/error.h"
#include "util/xmltext.h"

/* ------------------------------------------------------------------ */
/* Escaping                                                             */

/* libvirt's virBufferEscapeString (the five markup characters as entities,
 * control characters other than TAB, LF and CR dropped), plus what makes
 * the value read back the same: an XML parser turns a raw CR into LF, and
 * a raw TAB, LF or CR inside an attribute value into a space, so those are
 * written as character references where they would change.  In text, LF
 * is kept raw, or written as @newline when that is not 0. */
static void
escapeAppend(GString *buf, const char *str, gboolean attr, char newline)
{
    const char nl[2] = { newline, '\0' };
    const char *run = str;
    const char *p;

    for (p = str; *p; p++) {
        unsigned char c = (unsigned char) *p;
        const char *rep;

        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#13;"; break;
        case '\t': rep = attr ? "&#9;" : NULL; break;
        case '\n': rep = attr ? "&#10;" : newline ? nl : NULL; break;
        default:
            /* libvirt silently drops control characters it cannot print */
            rep = c < 0x20 ? "" : NULL;
            break;
        }
        if (rep) {
            g_string_append_len(buf, run, p - run);
            g_string_append(buf, rep);
            run = p + 1;
        }
    }
    g_string_append_len(buf, run, p - run);
}

void
vsXmlEscapeText(GString *buf, const char *str)
{
    escapeAppend(buf, str, FALSE, 0);
}

void
vsXmlEscapeAttr(GString *buf, const char *str)
{
    escapeAppend(buf, str, TRUE, 0);
}

void
vsXmlEscapeTextMarked(GString *buf, const char *str, char newline)
{
    escapeAppend(buf, str, FALSE, newline);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

guint
vsXmlElementDepth(xmlNodePtr top, guint stop_above)
{
    xmlNodePtr node = top;
    guint level = 1, max = 1;

    /* iterative pre-order walk, so the check itself cannot overflow */
    while (node) {
        if (node->type == XML_ELEMENT_NODE) {
            max = MAX(max, level);
            if (max > stop_above)
                return max;
            if (node->children) {
                node = node->children;
                level++;
                continue;
            }
        }
        while (node != top && !node->next) {
            node = node->parent;
            level--;
        }
        if (node == top)
            break;
        node = node->next;
    }
    return max;
}

char *
vsXmlMessageLine(const char *msg)
{
    char *s = g_strdup(msg ? msg : "unknown error");

    g_strchomp(s);
    for (char *p = s; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    return s;
}

void
vsXmlProblemClear(vsXmlProblem *problem)
{
    g_free(problem->message);
    g_free(problem->last);
    *problem = (vsXmlProblem) { 0 };
}

void
vsXmlProblemRecord(vsXmlProblem *problem, const xmlError *err)
{
    if (err->level < XML_ERR_ERROR)
        return;
    g_free(problem->last);
    problem->last = vsXmlMessageLine(err->message);
    if (!problem->message) {
        problem->line = err->line;
        problem->message = g_strdup(problem->last);
    }
}

static void
onParseError(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;

    vsXmlProblemRecord(ctxt->_private, err);
}

static void
onEntityDecl(void *data, const xmlChar *name, int type, const xmlChar *public_id,
             const xmlChar *system_id, xmlChar *content)
{
    xmlParserCtxtPtr ctxt = data;
    vsXmlProblem *problem = ctxt->_private;

    if (!problem->message) {
        problem->entity_decl = TRUE;
        problem->line = ctxt->input ? ctxt->input->line : 0;
        problem->message = g_strdup_printf("entity declarations are not supported ('%s')",
                                           (const char *) name);
    }
    xmlStopParser(ctxt);
}

xmlDocPtr
vsXmlReadMemory(const char *data, gsize len, const char *url, unsigned int flags,
                vsXmlProblem *problem)
{
    int options = VS_XML_SAFE_OPTIONS;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr doc;

    if (!ctxt)
        g_error("out of memory creating an XML parser");
    if (flags & VS_XML_READ_NOBLANKS)
        options |= XML_PARSE_NOBLANKS;
    if (flags & VS_XML_READ_COMPACT)
        options |= XML_PARSE_COMPACT;
    ctxt->_private = problem;
    ctxt->sax->serror = onParseError;
    if (flags & VS_XML_READ_NO_ENTITIES)
        ctxt->sax->entityDecl = onEntityDecl;
    doc = xmlCtxtReadMemory(ctxt, len ? data : "", (int) len, url, NULL, options);
    if (doc && (!ctxt->wellFormed || problem->entity_decl)) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* ------------------------------------------------------------------ */
/* libvirt's lookups                                                    */

gboolean
vsXmlIsElement(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && node->ns == NULL &&
           strcmp((const char *) node->name, name) == 0;
}

xmlNodePtr
vsXmlFirstChild(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (vsXmlIsElement(c, name))
            return c;
    }
    return NULL;
}

xmlNodePtr
vsXmlFirstGrandChild(xmlNodePtr parent, const char *a, const char *b)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (vsXmlIsElement(c, a)) {
            xmlNodePtr n = vsXmlFirstChild(c, b);
            if (n)
                return n;
        }
    }
    return NULL;
}

/* The text of a node whose content is one text child (most are), as
 * libxml2 would give it, without its copy; NULL: ask libxml2. */
static const char *
onlyText(xmlNodePtr node)
{
    xmlNodePtr text = node->children;

    if (text && !text->next && text->type == XML_TEXT_NODE && text->content)
        return (const char *) text->content;
    return NULL;
}

char *
vsXmlNodeString(xmlNodePtr node)
{
    const char *only;
    xmlChar *s;
    char *ret = NULL;

    if (!node)
        return NULL;
    if (node->type == XML_ELEMENT_NODE && (only = onlyText(node)))
        return *only ? g_strdup(only) : NULL;
    s = xmlNodeGetContent(node);
    if (s && *s)
        ret = g_strdup((const char *) s);
    xmlFree(s);
    return ret;
}

/* The value of attribute @name (no namespace) as libxml2 gives it:
 * borrowed from @node when it is set there as one text (most are), else
 * libxml2's copy (a default from the DTD, several nodes), in *copy for the
 * caller to free. */
static const char *
propValue(xmlNodePtr node, const char *name, xmlChar **copy)
{
    *copy = NULL;
    for (xmlAttrPtr a = node->type == XML_ELEMENT_NODE ? node->properties : NULL; a;
         a = a->next) {
        if (!a->ns && strcmp((const char *) a->name, name) == 0) {
            const char *text = onlyText((xmlNodePtr) a);
            if (text)
                return text;
            break;
        }
    }
    *copy = xmlGetNoNsProp(node, (const xmlChar *) name);
    return (const char *) *copy;
}

char *
vsXmlPropString(xmlNodePtr node, const char *name)
{
    xmlChar *copy;
    char *ret = g_strdup(propValue(node, name, &copy));

    xmlFree(copy);
    return ret;
}

gboolean
vsXmlParseLongLong(const char *str, gint64 *out)
{
    char *end = NULL;
    gint64 v;

    if (!str || !*str)
        return FALSE;
    errno = 0;
    v = g_ascii_strtoll(str, &end, 10);
    if (errno || end == str || *end)
        return FALSE;
    *out = v;
    return TRUE;
}

int
vsXmlEnumFromString(const char *const *names, gsize n, const char *str)
{
    if (!str)
        return -1;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(names[i], str) == 0)
            return (int) i;
    }
    return -1;
}

int
vsXmlErrInvalidAttr(GError **error, const char *attr, xmlNodePtr node, const char *value)
{
    return vsErr(error, VS_ERROR_INVALID,
                 "XML error: Invalid value for attribute '%s' in element '%s': '%s'.",
                 attr, (const char *) node->name, value ? value : "(null)");
}

int
vsXmlPropEnum(xmlNodePtr node, const char *attr, const char *const *names, gsize n,
              int def, int *out, GError **error)
{
    xmlChar *copy;
    const char *value = propValue(node, attr, &copy);
    int ret = 0, v;

    *out = def;
    if (value) {
        v = vsXmlEnumFromString(names, n, value);
        if (v <= 0)
            ret = vsXmlErrInvalidAttr(error, attr, node, value);
        else
            *out = v;
    }
    xmlFree(copy);
    return ret;
}

const guint8 *
vsXmlByteClasses(void)
{
    static guint8 classes[256];
    static gsize done = 0;

    if (g_once_init_enter(&done)) {
        for (guint c = 0x20; c < 0x7f; c++) {
            if (!strchr("&<>'\"", (int) c))
                classes[c] |= VS_XML_BYTE_PLAIN_VALUE | VS_XML_BYTE_PLAIN_TEXT;
            if (g_ascii_isalpha(c) || c == '_')
                classes[c] |= VS_XML_BYTE_NAME_START;
            if (g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.')
                classes[c] |= VS_XML_BYTE_NAME;
        }
        classes[' '] |= VS_XML_BYTE_BLANK;
        classes['\t'] |= VS_XML_BYTE_PLAIN_TEXT | VS_XML_BYTE_BLANK;
        classes['\n'] |= VS_XML_BYTE_PLAIN_TEXT | VS_XML_BYTE_BLANK;
        g_once_init_leave(&done, 1);
    }
    return classes;
}

gsize
vsXmlPredefinedEntity(const char *p, gsize avail, char *c)
{
    static const struct { const char *ref; gsize len; char c; } named[] = {
        { "&amp;", 5, '&' }, { "&lt;", 4, '<' }, { "&gt;", 4, '>' },
        { "&quot;", 6, '"' }, { "&apos;", 6, '\'' },
    };

    for (guint k = 0; k < G_N_ELEMENTS(named); k++) {
        if (avail >= named[k].len && memcmp(p, named[k].ref, named[k].len) == 0) {
            *c = named[k].c;
            return named[k].len;
        }
    }
    return 0;
}

void
vsXmlIndent(GString *buf, guint level)
{
    for (guint i = 0; i < level; i++)
        g_string_append(buf, "  ");
}

void
vsXmlAppendTextElement(GString *buf, guint level, const char *name, const char *text)
{
    vsXmlIndent(buf, level);
    g_string_append_printf(buf, "<%s>", name);
    vsXmlEscapeText(buf, text);
    g_string_append_printf(buf, "</%s>\n", name);
}
