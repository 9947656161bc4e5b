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

/* The definitions of a given document captured from its bytes (see "A
 * given document's definitions from its bytes" below): each one set stands
 * in the parsed document as its start tag alone, an empty element. */
typedef struct {
    vsXmlSubtree *domain;     /* the root's first <domain>; its type= is not empty */
    vsXmlSubtree *inactive;   /* the root's first <inactiveDomain> */
} Given;

static void
givenClear(Given *given)
{
    g_clear_pointer(&given->domain, vsXmlSubtreeUnref);
    g_clear_pointer(&given->inactive, vsXmlSubtreeUnref);
}

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
parseDomain(vsMoment *snap, xmlNodePtr root, const Given *given, GError **error)
{
    xmlNodePtr domnode = vsXmlFirstChild(root, "domain");
    g_autofree char *domtype = domnode ? vsXmlPropString(domnode, "type") : NULL;

    if (domtype && *domtype && given->domain) {
        snap->domain = vsXmlSubtreeRef(given->domain);
        return 0;
    }
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
parseRedefined(vsMoment *snap, xmlNodePtr root, const Given *given, gboolean *offline,
               GError **error)
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
    if (parseDomain(snap, root, given, error) < 0)
        return -1;
    if (given->inactive)
        S(snap)->inactive_domain = vsXmlSubtreeRef(given->inactive);
    else if ((inactive = vsXmlFirstChild(root, "inactiveDomain")) &&
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

/* virDomainSnapshotDefParse, with what @given captured already.  Its
 * depth check sees the same as with the definitions in place: a captured
 * one nests at most VS_XML_CAPTURE_DEPTH_MAX levels under the root. */
G_STATIC_ASSERT(1 + VS_XML_CAPTURE_DEPTH_MAX <= VS_MOMENT_DEPTH_MAX);
static int
parseRoot(vsSnapshot **out, xmlNodePtr root, unsigned int flags, gint64 now,
          const Given *given, gboolean *is_current, GError **error)
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
        if (parseRedefined(snap, root, given, &offline, error) < 0)
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

int
vsSnapshotParseNode(vsSnapshot **out, xmlNodePtr root, unsigned int flags,
                    gint64 now, gboolean *is_current, GError **error)
{
    Given none = { 0 };

    return parseRoot(out, root, flags, now, &none, is_current, error);
}

/* ------------------------------------------------------------------ */
/* A given document's definitions from its bytes (issue 16)             */

/* What snapshot-dumpxml --security-info printed (this library's own
 * layout) holds its <domain> and <inactiveDomain> exactly as
 * vsXmlSubtreeFromFormattedDirect reads them without a DOM, which costs
 * less than libxml2 building their DOM and capturing them from it.  The
 * rest of the document is parsed by libxml2 with each of them cut down to
 * its start tag: the rules read nothing else of them but the captured
 * subtree (the schema does: --validate parses the document whole).  Any
 * doubt leaves the document whole: a root other than exactly
 * <domainsnapshot> (a prolog, namespaces), a comment, PI or CDATA before
 * the definitions, a definition the direct scan declines.  A cut
 * definition is a complete element libxml2 parses the same alone as in
 * its place (no DTD, no namespaces in scope), so the cut document is well
 * formed exactly when the whole one is. */

#define GIVEN_ROOT "<domainsnapshot>"

/* The end of the tag whose '<' is at @i, after its '>' (quoted values
 * skipped); 0 if it does not end.  *empty: it ends in "/>". */
static gsize
tagEnd(const char *b, gsize n, gsize i, gboolean *empty)
{
    for (i++; i < n; i++) {
        if (b[i] == '\'' || b[i] == '"') {
            const char *q = memchr(b + i + 1, b[i], n - i - 1);
            if (!q)
                return 0;
            i = q - b;
        } else if (b[i] == '>') {
            *empty = b[i - 1] == '/';
            return i + 1;
        }
    }
    return 0;
}

/* Whether the tag at @i is a start tag named @name. */
static gboolean
startTagIs(const char *b, gsize n, gsize i, const char *name)
{
    gsize len = strlen(name);

    return n - i > len + 1 && memcmp(b + i + 1, name, len) == 0 &&
           (b[i + 1 + len] == ' ' || b[i + 1 + len] == '>' || b[i + 1 + len] == '/' ||
            b[i + 1 + len] == '\t' || b[i + 1 + len] == '\n' || b[i + 1 + len] == '\r');
}

/* The definition whose start tag is at [@i, @tag_end), captured when the
 * direct scan takes it at the record's indent (its end tag the first one
 * on a line of its own at that indent); *end: after its end tag. */
static vsXmlSubtree *
givenCapture(vsXmlCapture *cap, const char *b, gsize n, gsize i, gsize tag_end,
             const char *name, gsize *end)
{
    g_autofree char *close = g_strdup_printf("\n  </%s>", name);
    const char *hit = memmem(b + tag_end, n - tag_end, close, strlen(close));

    if (!hit)
        return NULL;
    *end = hit + strlen(close) - b;
    return vsXmlSubtreeFromFormattedDirect(cap, b + i, *end - i, 1);
}

static gboolean
hasType(const vsXmlSubtree *domain)
{
    g_autofree char *type = vsXmlSubtreeGetRootAttr(domain, "type");

    return type && *type;
}

/* Walks the root's children up to its first <domain> and <inactiveDomain>
 * and captures them; @reduced gets the document with what was captured cut
 * to its start tag.  FALSE: nothing was cut. */
static gboolean
givenCut(const char *b, gsize n, Given *given, GString *reduced)
{
    g_autoptr(vsXmlCapture) cap = NULL;
    gboolean seen_domain = FALSE, seen_inactive = FALSE;
    gsize i = strlen(GIVEN_ROOT), copied = 0;
    guint depth = 1;

    if (n < i || memcmp(b, GIVEN_ROOT, i) != 0)
        return FALSE;
    while (depth > 0 && !(seen_domain && seen_inactive)) {
        const char *lt = memchr(b + i, '<', n - i);
        gboolean empty = FALSE, is_domain, is_inactive;
        vsXmlSubtree *tree;
        gsize tag_end, end;

        if (!lt || (i = lt - b) + 1 >= n || b[i + 1] == '!' || b[i + 1] == '?' ||
            !(tag_end = tagEnd(b, n, i, &empty)))
            break;
        if (b[i + 1] == '/') {
            depth--;
            i = tag_end;
            continue;
        }
        is_domain = depth == 1 && !seen_domain && startTagIs(b, n, i, "domain");
        is_inactive = depth == 1 && !seen_inactive && startTagIs(b, n, i, "inactiveDomain");
        seen_domain |= is_domain;
        seen_inactive |= is_inactive;
        if (!is_domain && !is_inactive) {
            depth += !empty;
            i = tag_end;
            continue;
        }
        if (empty)
            break;
        if (!cap)
            cap = vsXmlCaptureNew();
        if (!(tree = givenCapture(cap, b, n, i, tag_end, is_domain ? "domain" : "inactiveDomain",
                                  &end)))
            break;
        if (is_domain && !hasType(tree)) {   /* its <uuid> is read from the DOM */
            vsXmlSubtreeUnref(tree);
            break;
        }
        if (is_domain)
            given->domain = tree;
        else
            given->inactive = tree;
        g_string_append_len(reduced, b + copied, tag_end - 1 - copied);
        g_string_append(reduced, "/>");
        copied = i = end;
    }
    if (!copied) {
        givenClear(given);
        return FALSE;
    }
    g_string_append_len(reduced, b + copied, n - copied);
    return TRUE;
}

static guint givenCutCount;

guint
vsSnapshotParseGetCutCount(void)
{
    return g_atomic_int_get(&givenCutCount);
}

/* libvirt parses with xmlKeepBlanksDefault(0), i.e. NOBLANKS; the DOM is
 * only read (cookieParse copies), so its short texts stay compact */
static xmlDocPtr
readDocument(const char *xml, gsize len, vsXmlProblem *problem)
{
    return vsXmlReadMemory(xml, len, "(domain_snapshot)",
                           VS_XML_READ_NOBLANKS | VS_XML_READ_NO_ENTITIES | VS_XML_READ_COMPACT,
                           problem);
}

/* The document with its definitions cut (into @given), when they could be
 * and it parses without a problem; NULL: it is read whole, which reports
 * the problems with their lines. */
static xmlDocPtr
readCut(const char *xml, gsize len, unsigned int flags, Given *given)
{
    g_autoptr(GString) reduced = NULL;
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;

    if (flags & (VS_SNAPSHOT_PARSE_VALIDATE | VS_SNAPSHOT_PARSE_WHOLE))
        return NULL;
    reduced = g_string_sized_new(MIN(len, 4096) + 1);
    if (!givenCut(xml, len, given, reduced))
        return NULL;
    doc = readDocument(reduced->str, reduced->len, &problem);
    if (!doc || problem.message) {
        xmlFreeDoc(doc);
        doc = NULL;
        givenClear(given);
    } else {
        g_atomic_int_inc(&givenCutCount);
    }
    vsXmlProblemClear(&problem);
    return doc;
}

int
vsSnapshotParse(vsSnapshot **out, const char *xml, gsize len, unsigned int flags,
                gint64 now, gboolean *is_current, GError **error)
{
    vsXmlProblem problem = { 0 };
    Given given = { 0 };
    xmlDocPtr doc;
    int ret;

    *out = NULL;
    if (len > VS_SNAPSHOT_XML_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "snapshot XML is %" G_GSIZE_FORMAT " bytes, more than the %d byte limit",
                     len, VS_SNAPSHOT_XML_MAX);

    if (!(doc = readCut(xml, len, flags, &given)))
        doc = readDocument(xml, len, &problem);
    if (!doc || problem.message) {
        if (problem.entity_decl)
            ret = vsErr(error, VS_ERROR_INVALID, "XML error: (domain_snapshot):%d: %s",
                        problem.line, problem.message);
        else
            ret = vsErr(error, VS_ERROR_INVALID, "(domain_snapshot):%d: %s",
                        problem.message ? problem.line : 1,
                        problem.message ? problem.message : "Document is not well formed");
    } else {
        ret = parseRoot(out, xmlDocGetRootElement(doc), flags, now, &given, is_current, error);
    }
    givenClear(&given);
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
