/* moment.c — the common part of every record, dispatched to its kind. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/moment.h"

vsMoment *
vsMomentNew(const vsMomentKind *kind)
{
    vsMoment *moment = g_malloc0(kind->size);

    moment->refs = 1;
    moment->kind = kind;
    return moment;
}

vsMoment *
vsMomentCopy(const vsMoment *moment)
{
    vsMoment *copy = vsMomentNew(moment->kind);

    copy->name = g_strdup(moment->name);
    copy->description = g_strdup(moment->description);
    copy->parent_name = g_strdup(moment->parent_name);
    copy->creation_time = moment->creation_time;
    copy->domain = vsXmlSubtreeRef(moment->domain);
    moment->kind->copy(copy, moment);
    return copy;
}

vsMoment *
vsMomentRef(vsMoment *moment)
{
    if (moment)
        g_atomic_int_inc(&moment->refs);
    return moment;
}

void
vsMomentUnref(vsMoment *moment)
{
    if (!moment || !g_atomic_int_dec_and_test(&moment->refs))
        return;
    moment->kind->clear(moment);
    g_free(moment->name);
    g_free(moment->description);
    g_free(moment->parent_name);
    vsXmlSubtreeUnref(moment->domain);
    g_free(moment);
}

const vsMomentKind *
vsMomentGetKindInfo(const vsMoment *moment)
{
    return moment->kind;
}

vsMomentKindId vsMomentGetKind(const vsMoment *moment) { return moment->kind->id; }
const char *vsMomentGetName(const vsMoment *moment) { return moment->name; }
const char *vsMomentGetDescription(const vsMoment *moment) { return moment->description; }
const char *vsMomentGetParentName(const vsMoment *moment) { return moment->parent_name; }
gint64 vsMomentGetCreationTime(const vsMoment *moment) { return moment->creation_time; }
gboolean vsMomentHasDomain(const vsMoment *moment) { return moment->domain != NULL; }
vsXmlSubtree *vsMomentGetDomain(const vsMoment *moment) { return moment->domain; }

void
vsMomentSetParentName(vsMoment *moment, const char *parent_name)
{
    char *old = moment->parent_name;

    moment->parent_name = g_strdup(parent_name);
    g_free(old);
}

void
vsMomentSetDomain(vsMoment *moment, vsXmlSubtree *domain)
{
    vsXmlSubtree *old = moment->domain;

    moment->domain = vsXmlSubtreeRef(domain);
    vsXmlSubtreeUnref(old);
}

char *
vsMomentGetDomainUUID(const vsMoment *moment)
{
    return moment->domain ? vsXmlSubtreeGetChildText(moment->domain, "uuid") : NULL;
}

gsize
vsMomentOwnBytes(const vsMoment *moment)
{
    return moment->kind->size + vsStringBytes(moment->name) + vsStringBytes(moment->description) +
           vsStringBytes(moment->parent_name) + moment->kind->own_bytes(moment);
}

void
vsMomentFormatStored(GString *buf, const vsMoment *moment, const char *uuid, guint level)
{
    moment->kind->format_stored(buf, moment, uuid, level, NULL);
}

void
vsMomentAppendDomain(GString *buf, const vsXmlSubtree *domain, guint level, gboolean secure,
                     const char *domain_line)
{
    if (domain_line) {
        vsXmlIndent(buf, level);
        g_string_append(buf, domain_line);
        g_string_append_c(buf, '\n');
    } else {
        vsXmlSubtreeAppend(buf, domain, level, secure);
    }
}

void
vsMomentFormatStoredWith(GString *buf, const vsMoment *moment, const char *uuid, guint level,
                         const char *domain_line)
{
    moment->kind->format_stored(buf, moment, uuid, level, domain_line);
}

char *
vsMomentShowName(const char *name)
{
    char *shown = g_strdup(name ? name : "");

    for (char *q = shown; *q; q++) {
        if (((unsigned char) *q < 0x20 && *q != '\t') || *q == 0x7f)
            *q = '?';
    }
    return shown;
}

int
vsMomentErrNotFound(const vsMomentKind *kind, GError **error, const char *name)
{
    return vsErr(error, VS_ERROR_NOT_FOUND,
                 "Domain %s not found: no domain %s with matching name '%s'",
                 kind->noun, kind->noun, name);
}

int
vsMomentErrNoCurrent(const vsMomentKind *kind, GError **error)
{
    return vsErr(error, VS_ERROR_NOT_FOUND,
                 "Domain %s not found: the domain does not have a current %s",
                 kind->noun, kind->noun);
}

GHashTable *
vsMomentDomainTableNew(void)
{
    return g_hash_table_new_full((GHashFunc) vsXmlSubtreeHash, (GEqualFunc) vsXmlSubtreeEqual,
                                 (GDestroyNotify) vsXmlSubtreeUnref, NULL);
}

gsize
vsMomentShareDomain(GHashTable *table, vsMoment *moment)
{
    vsXmlSubtree *known;

    if (!moment->domain)
        return 0;
    if ((known = g_hash_table_lookup(table, moment->domain))) {
        vsMomentSetDomain(moment, known);
        return 0;
    }
    g_hash_table_add(table, vsXmlSubtreeRef(moment->domain));
    return vsXmlSubtreeBytes(moment->domain);
}

int
vsMomentDomainFromXML(vsXmlSubtree **out, const vsMomentKind *kind, const char *xml,
                      GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, strlen(xml), "domain.xml", 0, &problem);
    xmlNodePtr root;
    int ret;

    /* any error, as the snapshot's own parse: libxml2 hands out a
     * well-formed document cut short at a text node past its limit, or
     * one naming an undeclared prefix; the first error names the cause
     * (after a text past the limit comes "Extra content at the end") */
    if (!doc || problem.message) {
        ret = vsErr(error, VS_ERROR_INVALID, "XML error: domain definition: %s",
                    problem.message ? problem.message : "not well-formed");
        vsXmlProblemClear(&problem);
        xmlFreeDoc(doc);
        return ret;
    }
    vsXmlProblemClear(&problem);
    root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *) root->name, "domain") != 0) {
        ret = vsErr(error, VS_ERROR_INVALID,
                    "XML error: expecting root element of 'domain', not '%s'",
                    root ? (const char *) root->name : "");
    } else if (vsXmlElementDepth(root, VS_MOMENT_DEPTH_MAX - 1) >= VS_MOMENT_DEPTH_MAX) {
        /* the record nests it one level down */
        ret = vsErr(error, VS_ERROR_INVALID,
                    "XML error: domain definition nests elements more than %d levels deep, "
                    "more than a %s can hold", VS_MOMENT_DEPTH_MAX - 1, kind->noun);
    } else {
        ret = vsXmlSubtreeFromNode(out, root, error);
    }
    xmlFreeDoc(doc);
    return ret;
}
