/* checkpoint-parse.c — a <domaincheckpoint> read with libvirt 9.0's rules
 * (virDomainCheckpointDefParseString): the schema always applied, the
 * same defaults and error texts.  <domain> is kept as an opaque canonical
 * subtree (record/xmlsubtree.c). */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/schema.h"
#include "checkpoint/checkpoint-private.h"

/* Short for the checkpoint fields of a record being built. */
#define C(m) vsCheckpointFields(m)

/* A parse flag beside the public one: a record read back from a bulk
 * file, checked by the schema when it was stored, is not checked again. */
#define PARSE_TRUSTED (1u << 16)

/* virDomainCheckpointDiskDefParseXML: the schema guarantees a name and a
 * known checkpoint=; none means bitmap.  size= is never read. */
static void
parseDisk(vsCheckpointDisk *disk, xmlNodePtr node)
{
    g_autofree char *type = vsXmlPropString(node, "checkpoint");
    int v = type ? vsXmlEnumFromString(vsCheckpointTypeNames, VS_CHECKPOINT_TYPE_LAST, type) : -1;

    disk->name = vsXmlPropString(node, "name");
    disk->type = v > 0 ? v : VS_CHECKPOINT_TYPE_BITMAP;
    disk->bitmap = vsXmlPropString(node, "bitmap");
}

/* ./disks/<any element>, as libvirt's XPath reads them. */
static void
parseDisks(vsCheckpointRecord *c, xmlNodePtr root)
{
    guint n = 0;

    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr e = d->children; e; e = e->next)
            n += e->type == XML_ELEMENT_NODE;
    }
    c->disks = g_new0(vsCheckpointDisk, n);
    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr e = d->children; e; e = e->next) {
            if (e->type == XML_ELEMENT_NODE)
                parseDisk(&c->disks[c->ndisks++], e);
        }
    }
}

/* What only a redefinition carries: creationTime, parent, <domain>. */
static int
parseRedefined(vsMoment *chk, xmlNodePtr root, GError **error)
{
    g_autofree char *ctime = vsXmlNodeString(vsXmlFirstChild(root, "creationTime"));
    xmlNodePtr domnode;

    if (!vsXmlParseLongLong(ctime, &chk->creation_time))
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: missing creationTime from existing checkpoint");
    /* libvirt accepts 0 but writes no <creationTime> for it, and then
     * cannot load its own file back. */
    if (chk->creation_time == 0) {
        g_autofree char *shown = vsMomentShowName(chk->name);
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: checkpoint '%s': creationTime 0 is not supported "
                     "(libvirt would not store it)", shown);
    }
    chk->parent_name = vsXmlNodeString(vsXmlFirstGrandChild(root, "parent", "name"));
    if ((domnode = vsXmlFirstChild(root, "domain")) &&
        vsXmlSubtreeFromNodeInPlace(&chk->domain, domnode, error) < 0)
        return -1;
    return 0;
}

int
vsCheckpointParseNode(vsCheckpoint **out, xmlNodePtr root, unsigned int flags, gint64 now,
                      GError **error)
{
    g_autoptr(vsMoment) chk = NULL;
    gboolean redefine = (flags & VS_CHECKPOINT_PARSE_REDEFINE) != 0;

    *out = NULL;
    if (!(flags & PARSE_TRUSTED) && vsSchemaValidate(root, "domaincheckpoint.rng", error) < 0)
        return -1;
    if (!vsXmlIsElement(root, "domaincheckpoint"))
        return vsErr(error, VS_ERROR_INVALID, "XML error: domaincheckpoint");

    chk = vsMomentNew(&vsCheckpointKind);
    chk->name = vsXmlNodeString(vsXmlFirstChild(root, "name"));
    if (!chk->name && redefine)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: a redefined checkpoint must have a name");
    chk->description = vsXmlNodeString(vsXmlFirstChild(root, "description"));
    if (redefine) {
        if (parseRedefined(chk, root, error) < 0)
            return -1;
    } else if (now != 0) {
        /* the moment post-parse hook: stamp "now", default the name; 0
         * skips it, as libvirt's xml2xml test does without a mocked time */
        chk->creation_time = now;
        if (!chk->name)
            chk->name = g_strdup_printf("%" G_GINT64_FORMAT, now);
    }
    if (vsXmlElementDepth(root, VS_MOMENT_DEPTH_MAX) > VS_MOMENT_DEPTH_MAX) {
        g_autofree char *shown = vsMomentShowName(chk->name);
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: checkpoint '%s' nests elements more than %d levels deep, "
                     "more than a bulk file can hold", shown, VS_MOMENT_DEPTH_MAX);
    }
    parseDisks(C(chk), root);
    *out = g_steal_pointer(&chk);
    return 0;
}

int
vsCheckpointParse(vsCheckpoint **out, const char *xml, gsize len, unsigned int flags,
                  gint64 now, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;
    int ret;

    *out = NULL;
    if (flags & ~VS_CHECKPOINT_PARSE_REDEFINE)
        return vsErr(error, VS_ERROR_INVALID, "unsupported flags (0x%x) in vsCheckpointParse",
                     flags & ~VS_CHECKPOINT_PARSE_REDEFINE);
    if (len > VS_CHECKPOINT_XML_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "checkpoint XML is %" G_GSIZE_FORMAT " bytes, more than the %d byte limit",
                     len, VS_CHECKPOINT_XML_MAX);
    /* libvirt parses with xmlKeepBlanksDefault(0), i.e. NOBLANKS */
    doc = vsXmlReadMemory(xml, len, "(domain_checkpoint)",
                          VS_XML_READ_NOBLANKS | VS_XML_READ_NO_ENTITIES, &problem);
    if (!doc || problem.message) {
        if (problem.entity_decl)
            ret = vsErr(error, VS_ERROR_INVALID, "XML error: (domain_checkpoint):%d: %s",
                        problem.line, problem.message);
        else
            ret = vsErr(error, VS_ERROR_INVALID, "(domain_checkpoint):%d: %s",
                        problem.message ? problem.line : 1,
                        problem.message ? problem.message : "Document is not well formed");
    } else {
        ret = vsCheckpointParseNode(out, xmlDocGetRootElement(doc), flags, now, error);
    }
    vsXmlProblemClear(&problem);
    xmlFreeDoc(doc);
    return ret;
}

/* A record of a bulk file: validated when it was stored. */
int
vsCheckpointParseStored(vsMoment **out, xmlNodePtr node, GError **error)
{
    return vsCheckpointParseNode(out, node, VS_CHECKPOINT_PARSE_REDEFINE | PARSE_TRUSTED, 0,
                                 error);
}

/* libvirt's load of its own files (qemuCheckpointLoad): REDEFINE, schema
 * applied; no file says it is current (libvirt derives that). */
int
vsCheckpointParseLegacy(vsMoment **out, const char *xml, gsize len, gboolean *is_current,
                        GError **error)
{
    if (is_current)
        *is_current = FALSE;
    return vsCheckpointParse(out, xml, len, VS_CHECKPOINT_PARSE_REDEFINE, 0, error);
}
