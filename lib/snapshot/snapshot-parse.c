/* snapshot-parse.c — a <domainsnapshot> read with libvirt 9.0's rules
 * (virDomainSnapshotDefParse): the same checks, defaults and error texts
 * (SEMANTICS.md §1).  <domain>, <inactiveDomain> and <cookie> are kept as
 * opaque canonical subtrees (record/xmlsubtree.c). */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/schema.h"
#include "snapshot/snapshot-private.h"

/* Short for the snapshot fields of a record being built. */
#define S(m) vsSnapshotFields(m)

/* The qemu driver's save cookie keeps the first <cpu> and whether
 * <slirpHelper/> is there, and prints them in that order; anything else in
 * <cookie> is dropped (checked against libvirt 9.0).  *out stays NULL for
 * a cookie with neither, which libvirt still prints as an empty pair. */
static int
cookieParse(vsXmlSubtree **out, xmlNodePtr cookie, GError **error)
{
    xmlNodePtr cpu = vsXmlFirstChild(cookie, "cpu");
    gboolean slirp = vsXmlFirstChild(cookie, "slirpHelper") != NULL;
    xmlNodePtr copy;
    int ret;

    *out = NULL;
    if (!cpu && !slirp)
        return 0;
    copy = xmlNewNode(NULL, BAD_CAST "cookie");
    if (cpu)
        xmlAddChild(copy, xmlCopyNode(cpu, 1));
    if (slirp)
        xmlNewChild(copy, NULL, BAD_CAST "slirpHelper", NULL);
    ret = vsXmlSubtreeFromNode(out, copy, error);
    xmlFreeNode(copy);
    return ret;
}

/* A redefinition's <domain>: kept when it has a type.  Older snapshots
 * carry only <domain><uuid>: no type, no domain kept; the formatter
 * regenerates it from the VM's uuid, else from the uuid kept here. */
static int
parseDomain(vsMoment *snap, xmlNodePtr root, GError **error)
{
    xmlNodePtr domnode = vsXmlFirstChild(root, "domain");
    g_autofree char *domtype = domnode ? vsXmlPropString(domnode, "type") : NULL;

    if (domtype && *domtype)
        return vsXmlSubtreeFromNodeInPlace(&snap->domain, domnode, error);
    if (domnode) {
        g_autofree char *uuid = vsXmlNodeString(vsXmlFirstChild(domnode, "uuid"));
        if (uuid && *uuid)
            vsSnapshotFields(snap)->domain_uuid = g_steal_pointer(&uuid);
    }
    /* libvirt would read the type of a later <domain> but parse the first
     * one, and fail; say why instead. */
    for (xmlNodePtr c = domnode ? domnode->next : NULL; c; c = c->next) {
        if (vsXmlIsElement(c, "domain") && xmlHasProp(c, BAD_CAST "type"))
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: the first of several <domain> elements has "
                         "no 'type' attribute");
    }
    return 0;
}

/* What only a redefinition (a previously dumped definition) carries:
 * creationTime, parent, state (which says whether it is *offline), the
 * domains. */
static int
parseRedefined(vsMoment *snap, xmlNodePtr root, gboolean *offline, GError **error)
{
    g_autofree char *ctime = vsXmlNodeString(vsXmlFirstChild(root, "creationTime"));
    g_autofree char *state = NULL;
    xmlNodePtr inactive;
    int st;

    if (!vsXmlParseLongLong(ctime, &snap->creation_time))
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: missing creationTime from existing snapshot");
    /* libvirt accepts 0 but writes no <creationTime> for it, then drops
     * the snapshot when it reads its own file back. */
    if (snap->creation_time == 0) {
        g_autofree char *shown = vsMomentShowName(snap->name);
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: snapshot '%s': creationTime 0 is not supported "
                     "(libvirt would not store it)", shown);
    }
    snap->parent_name = vsXmlNodeString(vsXmlFirstGrandChild(root, "parent", "name"));
    if (!(state = vsXmlNodeString(vsXmlFirstChild(root, "state"))))
        return vsErr(error, VS_ERROR_INVALID, "XML error: missing state from existing snapshot");
    st = vsSnapshotStateFromString(state);
    if (st <= 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: Invalid state '%s' in domain snapshot XML",
                     state);
    S(snap)->state = st;
    *offline = st == VS_SNAPSHOT_STATE_SHUTOFF || st == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
    if (parseDomain(snap, root, error) < 0)
        return -1;
    if ((inactive = vsXmlFirstChild(root, "inactiveDomain")) &&
        vsXmlSubtreeFromNodeInPlace(&S(snap)->inactive_domain, inactive, error) < 0)
        return -1;
    return 0;
}

/* <memory snapshot= file=> and libvirt's defaults and checks for it. */
static int
parseMemory(vsSnapshotRecord *s, xmlNodePtr root, gboolean redefine, gboolean offline,
            GError **error)
{
    xmlNodePtr memory = vsXmlFirstChild(root, "memory");

    if (memory) {
        int v;
        s->memory_file = vsXmlPropString(memory, "file");
        if (vsXmlPropEnum(memory, "snapshot", vsSnapshotLocationNames,
                          G_N_ELEMENTS(vsSnapshotLocationNames), VS_SNAPSHOT_LOCATION_DEFAULT, &v,
                          error) < 0)
            return -1;
        s->memory = v;
        if (s->memory == VS_SNAPSHOT_LOCATION_MANUAL)
            return vsErr(error, VS_ERROR_INVALID,
                         "XML error: 'manual' memory snapshot mode not supported");
    }
    if (s->memory == VS_SNAPSHOT_LOCATION_DEFAULT) {
        if (s->memory_file)
            s->memory = VS_SNAPSHOT_LOCATION_EXTERNAL;
        else if (redefine)
            s->memory = offline ? VS_SNAPSHOT_LOCATION_NO : VS_SNAPSHOT_LOCATION_INTERNAL;
    }
    if (s->memory_file && s->memory != VS_SNAPSHOT_LOCATION_EXTERNAL)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory filename '%s' requires external snapshot",
                     s->memory_file);
    if (!s->memory_file && s->memory == VS_SNAPSHOT_LOCATION_EXTERNAL)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: external memory snapshots require a filename");
    if (offline && s->memory != VS_SNAPSHOT_LOCATION_DEFAULT &&
        s->memory != VS_SNAPSHOT_LOCATION_NO)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory state cannot be saved with offline or disk-only snapshot");
    if (s->memory_file && !g_path_is_absolute(s->memory_file))
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: memory snapshot file path (%s) must be absolute",
                     s->memory_file);
    return 0;
}

/* libvirt reads every element child of every <disks>, whatever its name. */
static int
parseDisks(vsSnapshotRecord *s, xmlNodePtr root, GError **error)
{
    guint ndisks = 0;

    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr c = d->children; c; c = c->next)
            ndisks += c->type == XML_ELEMENT_NODE;
    }
    s->disks = g_new0(vsSnapshotDisk, ndisks);
    for (xmlNodePtr d = root->children; d; d = d->next) {
        if (!vsXmlIsElement(d, "disks"))
            continue;
        for (xmlNodePtr c = d->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (vsSnapshotDiskParse(&s->disks[s->ndisks++], c, error) < 0)
                return -1;
        }
    }
    return 0;
}

/* <active> of libvirt's own files (PARSE_INTERNAL): required. */
static int
parseActive(xmlNodePtr root, gboolean *is_current, GError **error)
{
    g_autofree char *active = vsXmlNodeString(vsXmlFirstChild(root, "active"));
    gint64 v;

    if (!vsXmlParseLongLong(active, &v) || v < G_MININT || v > G_MAXINT)
        return vsErr(error, VS_ERROR_INVALID, "internal error: Could not find 'active' element");
    if (is_current)
        *is_current = v != 0;
    return 0;
}

/* virDomainSnapshotDefParse */
int
vsSnapshotParseNode(vsSnapshot **out, xmlNodePtr root, unsigned int flags,
                    gint64 now, gboolean *is_current, GError **error)
{
    g_autoptr(vsSnapshot) snap = vsMomentNew(&vsSnapshotKind);
    vsSnapshotRecord *s = S(snap);
    gboolean redefine = !!(flags & VS_SNAPSHOT_PARSE_REDEFINE);
    gboolean offline = !!(flags & VS_SNAPSHOT_PARSE_OFFLINE);
    xmlNodePtr cookie;

    *out = NULL;
    if (is_current)
        *is_current = FALSE;
    if (!root || root->type != XML_ELEMENT_NODE ||
        strcmp((const char *) root->name, "domainsnapshot") != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: expecting root element of 'domainsnapshot', not '%s'",
                     root && root->name ? (const char *) root->name : "");
    if ((flags & VS_SNAPSHOT_PARSE_VALIDATE) &&
        vsSchemaValidate(root, "domainsnapshot.rng", error) < 0)
        return -1;

    snap->name = vsXmlNodeString(vsXmlFirstChild(root, "name"));
    if (!snap->name && redefine)
        return vsErr(error, VS_ERROR_INVALID, "XML error: a redefined snapshot must have a name");
    snap->description = vsXmlNodeString(vsXmlFirstChild(root, "description"));
    if (redefine) {
        if (parseRedefined(snap, root, &offline, error) < 0)
            return -1;
    } else if (now != 0) {
        /* the moment post-parse hook: stamp "now", default the name.  A
         * @now of 0 skips it, as libvirt's xml2xml test does without a
         * mocked time (DO_TEST_IN); no real clock reads 0. */
        snap->creation_time = now;
        if (!snap->name)
            snap->name = g_strdup_printf("%" G_GINT64_FORMAT, now);
    }
    if (vsXmlElementDepth(root, VS_MOMENT_DEPTH_MAX) > VS_MOMENT_DEPTH_MAX) {
        g_autofree char *shown = vsMomentShowName(snap->name);
        return vsErr(error, VS_ERROR_INVALID,
                     "XML error: snapshot '%s' nests elements more than %d levels deep, "
                     "more than a bulk file can hold", shown, VS_MOMENT_DEPTH_MAX);
    }
    if (parseMemory(s, root, redefine, offline, error) < 0 ||
        parseDisks(s, root, error) < 0 ||
        ((flags & VS_SNAPSHOT_PARSE_INTERNAL) && parseActive(root, is_current, error) < 0))
        return -1;
    if (!offline && (cookie = vsXmlFirstChild(root, "cookie"))) {
        if (cookieParse(&s->cookie, cookie, error) < 0)
            return -1;
        s->cookie_empty = !s->cookie;
    }
    *out = g_steal_pointer(&snap);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Documents                                                            */

int
vsSnapshotParse(vsSnapshot **out, const char *xml, gsize len, unsigned int flags,
                gint64 now, gboolean *is_current, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;
    int ret;

    *out = NULL;
    if (len > VS_SNAPSHOT_XML_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "snapshot XML is %" G_GSIZE_FORMAT " bytes, more than the %d byte limit",
                     len, VS_SNAPSHOT_XML_MAX);

    /* libvirt parses with xmlKeepBlanksDefault(0), i.e. NOBLANKS; the DOM
     * is only read (cookieParse copies), so its short texts stay compact */
    doc = vsXmlReadMemory(xml, len, "(domain_snapshot)",
                          VS_XML_READ_NOBLANKS | VS_XML_READ_NO_ENTITIES | VS_XML_READ_COMPACT,
                          &problem);
    if (!doc || problem.message) {
        if (problem.entity_decl)
            ret = vsErr(error, VS_ERROR_INVALID, "XML error: (domain_snapshot):%d: %s",
                        problem.line, problem.message);
        else
            ret = vsErr(error, VS_ERROR_INVALID, "(domain_snapshot):%d: %s",
                        problem.message ? problem.line : 1,
                        problem.message ? problem.message : "Document is not well formed");
    } else {
        ret = vsSnapshotParseNode(out, xmlDocGetRootElement(doc), flags, now,
                                  is_current, error);
    }
    vsXmlProblemClear(&problem);
    xmlFreeDoc(doc);
    return ret;
}


int
vsSnapshotParseStored(vsMoment **out, xmlNodePtr node, GError **error)
{
    return vsSnapshotParseNode(out, node, VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, error);
}

/* libvirt's load flags for its own files (qemuDomainSnapshotLoad): REDEFINE
 * | INTERNAL, so <active> is required. */
int
vsSnapshotParseLegacy(vsMoment **out, const char *xml, gsize len, gboolean *is_current,
                      GError **error)
{
    return vsSnapshotParse(out, xml, len, VS_SNAPSHOT_PARSE_REDEFINE | VS_SNAPSHOT_PARSE_INTERNAL,
                           0, is_current, error);
}
