/* libvirt-live.c — an import source: a running libvirt, through its own
 * client library (libvirt-dev).  Pull reads every record of a domain
 * (SECURE dumps), parses them with PARSE_REDEFINE, compares with the
 * store's tree (vsTreeDiff) and stores them with one vsDomainReplaceTree;
 * push compares the other way and redefines what libvirt lacks, parents
 * first; diff only compares.
 *
 * Per kind of moment: what libvirt calls differ per kind (the list, dump,
 * redefine and delete calls), so each kind is one vsLiveKind below and the
 * rest works on vsTree and vsMomentKind only.  Snapshots are the one kind
 * today; checkpoints (lib/checkpoint/) add a vsLiveKind over
 * virDomainListAllCheckpoints / virDomainCheckpointGetXMLDesc /
 * virDomainCheckpointCreateXML(REDEFINE) / virDomainCheckpointDelete
 * (METADATA_ONLY), listed AFTER snapshots: libvirt refuses to redefine a
 * snapshot while the domain has checkpoints, so push restores snapshots
 * first, and purge deletes in the reverse order. */
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "import/libvirt-bridge.h"
#include "import/virt-dyn.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/error.h"
#include "util/xmltext.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

struct _vsLibvirt {
    virConnectPtr conn;
    char *uri;
};

/* What one kind of moment needs from libvirt. */
typedef struct {
    const vsMomentKind *kind;
    /* Every record's name and SECURE dump, parents first, and the current
     * record's name (NULL: none). */
    int (*read)(virDomainPtr dom, const char *vm, GPtrArray *names, GPtrArray *xmls,
                char **current, GError **error);
    int (*parse)(vsMoment **out, const char *xml, GError **error);
    int (*format)(char **out, const vsMoment *moment, const char *uuid, GError **error);
    /* @name's SECURE dump (free()); NULL leaves libvirt's error set. */
    char *(*dump)(virDomainPtr dom, const char *name);
    /* REDEFINE (CURRENT with @current); -1 leaves libvirt's error set. */
    int (*define)(virDomainPtr dom, const char *xml, gboolean current);
    /* Deletes the metadata of @name only; -1 leaves libvirt's error set. */
    int (*remove)(virDomainPtr dom, const char *name);
} vsLiveKind;

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* "VM 'vm': snapshot 's': WHAT: libvirt's message"; a missing domain is
 * NOT_FOUND. */
static int
liveErr(GError **error, const char *vm, const vsMomentKind *kind, const char *name,
        const char *what)
{
    virErrorPtr e = virGetLastError();
    const char *msg = e && e->message ? e->message : "unknown libvirt error";
    vsErrorCode code = e && e->code == VIR_ERR_NO_DOMAIN ? VS_ERROR_NOT_FOUND : VS_ERROR_FAILED;
    g_autofree char *shown = vsMomentShowName(name);

    if (name)
        return vsErr(error, code, "VM '%s': %s '%s': %s: %s", vm, kind->noun, shown, what, msg);
    return vsErr(error, code, "VM '%s': %s: %s", vm, what, msg);
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                            */

static int
snapRead(virDomainPtr dom, const char *vm, GPtrArray *names, GPtrArray *xmls, char **current,
         GError **error)
{
    virDomainSnapshotPtr *snaps = NULL;
    int n = virDomainListAllSnapshots(dom, &snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
    int has, ret = -1;

    if (n < 0)
        return liveErr(error, vm, &vsSnapshotKind, NULL, "cannot list snapshots");
    for (int i = 0; i < n; i++) {
        const char *name = virDomainSnapshotGetName(snaps[i]);
        char *xml = virDomainSnapshotGetXMLDesc(snaps[i], VIR_DOMAIN_SNAPSHOT_XML_SECURE);

        if (!xml) {
            liveErr(error, vm, &vsSnapshotKind, name, "cannot dump");
            goto cleanup;
        }
        g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_add(xmls, g_strdup(xml));
        free(xml);
    }
    if ((has = virDomainHasCurrentSnapshot(dom, 0)) < 0) {
        liveErr(error, vm, &vsSnapshotKind, NULL, "cannot ask for the current snapshot");
        goto cleanup;
    }
    if (has) {
        virDomainSnapshotPtr cur = virDomainSnapshotCurrent(dom, 0);

        if (!cur) {
            liveErr(error, vm, &vsSnapshotKind, NULL, "cannot get the current snapshot");
            goto cleanup;
        }
        *current = g_strdup(virDomainSnapshotGetName(cur));
        virDomainSnapshotFree(cur);
    }
    ret = 0;

 cleanup:
    for (int i = 0; i < n; i++)
        virDomainSnapshotFree(snaps[i]);
    free(snaps);
    return ret;
}

static int
snapParse(vsMoment **out, const char *xml, GError **error)
{
    return vsSnapshotParse(out, xml, strlen(xml), VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, error);
}

static int
snapFormat(char **out, const vsMoment *moment, const char *uuid, GError **error)
{
    return vsSnapshotFormat(out, moment, uuid, VS_SNAPSHOT_FORMAT_SECURE, error);
}

static char *
snapDump(virDomainPtr dom, const char *name)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(dom, name, 0);
    char *xml;

    if (!s)
        return NULL;
    xml = virDomainSnapshotGetXMLDesc(s, VIR_DOMAIN_SNAPSHOT_XML_SECURE);
    virDomainSnapshotFree(s);
    return xml;
}

static int
snapDefine(virDomainPtr dom, const char *xml, gboolean current)
{
    unsigned int flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    virDomainSnapshotPtr s;

    if (current)
        flags |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    if (!(s = virDomainSnapshotCreateXML(dom, xml, flags)))
        return -1;
    virDomainSnapshotFree(s);
    return 0;
}

static int
snapRemove(virDomainPtr dom, const char *name)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(dom, name, 0);
    int ret;

    if (!s)
        return -1;
    ret = virDomainSnapshotDelete(s, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY);
    virDomainSnapshotFree(s);
    return ret;
}

static const vsLiveKind liveSnapshots = {
    &vsSnapshotKind, snapRead, snapParse, snapFormat, snapDump, snapDefine, snapRemove,
};

/* Push order; purge goes backwards.  Checkpoints follow snapshots. */
static const vsLiveKind *const liveKinds[] = { &liveSnapshots, NULL };

/* ------------------------------------------------------------------ */
/* The connection                                                       */

gboolean
vsLibvirtIsSupported(void)
{
    return TRUE;
}

static void
quietErrors(void *data, virErrorPtr err)
{
    /* Reported through GError instead of on stderr. */
}

static gpointer
runEventLoop(gpointer data)
{
    for (;;)
        virEventRunDefaultImpl();
    return NULL;
}

/* The in-process driver (qemu:///embed) needs an event loop running. */
static int
startEventLoop(GError **error)
{
    static gsize started;
    static int result;

    if (g_once_init_enter(&started)) {
        result = virEventRegisterDefaultImpl();
        if (result == 0)
            g_thread_unref(g_thread_new("libvirt-events", runEventLoop, NULL));
        g_once_init_leave(&started, 1);
    }
    if (result < 0)
        return vsErr(error, VS_ERROR_FAILED, "cannot start libvirt's event loop: %s",
                     virGetLastErrorMessage());
    return 0;
}

int
vsLibvirtOpen(vsLibvirt **out, const char *uri, GError **error)
{
    static gsize quieted;
    const char *effective = uri ? uri : g_getenv("LIBVIRT_DEFAULT_URI");
    g_autoptr(vsLibvirt) lv = g_new0(vsLibvirt, 1);
    char *actual;

    *out = NULL;
    if (vsVirtLoad(error) < 0)
        return -1;
    if (g_once_init_enter(&quieted)) {
        virSetErrorFunc(NULL, quietErrors);
        g_once_init_leave(&quieted, 1);
    }
    if (effective && g_str_has_prefix(effective, "qemu:///embed") && startEventLoop(error) < 0)
        return -1;
    if (!(lv->conn = virConnectOpen(uri)))
        return vsErr(error, VS_ERROR_FAILED, "failed to connect to the hypervisor%s%s%s: %s",
                     effective ? " '" : "", effective ? effective : "",
                     effective ? "'" : "", virGetLastErrorMessage());
    actual = virConnectGetURI(lv->conn);
    lv->uri = g_strdup(actual ? actual : effective);
    free(actual);
    *out = g_steal_pointer(&lv);
    return 0;
}

void
vsLibvirtFree(vsLibvirt *lv)
{
    if (!lv)
        return;
    if (lv->conn)
        virConnectClose(lv->conn);
    g_free(lv->uri);
    g_free(lv);
}

const char *
vsLibvirtGetURI(const vsLibvirt *lv)
{
    return lv->uri;
}

static gint
compareNames(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int
vsLibvirtListDomains(char ***out, vsLibvirt *lv, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(lv->conn, &doms, 0);
    GPtrArray *names;

    *out = NULL;
    if (n < 0)
        return vsErr(error, VS_ERROR_FAILED, "%s: cannot list domains: %s", lv->uri,
                     virGetLastErrorMessage());
    names = g_ptr_array_new();
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(names, g_strdup(virDomainGetName(doms[i])));
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(names, compareNames);
    g_ptr_array_add(names, NULL);
    *out = (char **) g_ptr_array_free(names, FALSE);
    return 0;
}

static int
lookupDomain(virDomainPtr *out, char uuid[VIR_UUID_STRING_BUFLEN], vsLibvirt *lv,
             const char *vm, GError **error)
{
    g_autoptr(virDomain) dom = NULL;

    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    if (!(dom = virDomainLookupByName(lv->conn, vm)))
        return liveErr(error, vm, NULL, NULL, "failed to get domain");
    if (virDomainGetUUIDString(dom, uuid) < 0)
        return liveErr(error, vm, NULL, NULL, "cannot get the domain's UUID");
    *out = g_steal_pointer(&dom);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Trees                                                                */

/* libvirt's records of one kind, as a tree. */
static int
liveLoad(vsTree **out, const vsLiveKind *lk, virDomainPtr dom, const char *vm,
         GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) xmls = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autofree char *current = NULL;

    if (lk->read(dom, vm, names, xmls, &current, error) < 0)
        return -1;
    for (guint i = 0; i < xmls->len; i++) {
        vsMoment *m = NULL;

        if (lk->parse(&m, xmls->pdata[i], error) < 0) {
            g_autofree char *shown = vsMomentShowName(names->pdata[i]);

            g_prefix_error(error, "VM '%s': libvirt's %s '%s': ", vm, lk->kind->noun, shown);
            return -1;
        }
        g_ptr_array_add(recs, m);
    }
    if (vsTreeBuild(out, lk->kind, (vsMoment *const *) recs->pdata, recs->len, current,
                    error) < 0) {
        g_prefix_error(error, "VM '%s': libvirt's %ss: ", vm, lk->kind->noun);
        return -1;
    }
    return 0;
}

static char *
describeCurrent(const vsTree *store, const vsTree *live)
{
    const vsMoment *a = vsTreeGetCurrent(store), *b = vsTreeGetCurrent(live);
    g_autofree char *sa = a ? g_strdup_printf("'%s'", a->name) : g_strdup("none");
    g_autofree char *sb = b ? g_strdup_printf("'%s'", b->name) : g_strdup("none");

    return g_strdup_printf("store: %s, libvirt: %s", sa, sb);
}

/* The differences of vsTreeDiff(@store, @live) as report lines. */
static void
reportDiffs(vsLibvirtReport *report, const vsTree *store, const vsTree *live,
            const GArray *diffs)
{
    vsMomentKindId id = vsTreeGetKind(store)->id;

    for (guint i = 0; i < diffs->len; i++) {
        const vsTreeDifference *d = &g_array_index(diffs, vsTreeDifference, i);
        const vsMoment *a, *b;

        switch (d->type) {
        case VS_TREE_DIFF_ONLY_A:
            vsLibvirtReportAdd(report, VS_LIBVIRT_ONLY_STORE, id, d->name, NULL);
            break;
        case VS_TREE_DIFF_ONLY_B:
            vsLibvirtReportAdd(report, VS_LIBVIRT_ONLY_LIBVIRT, id, d->name, NULL);
            break;
        case VS_TREE_DIFF_RECORD:
            a = vsTreeLookup(store, d->name);
            b = vsTreeLookup(live, d->name);
            if (g_strcmp0(a->parent_name, b->parent_name) != 0) {
                g_autofree char *detail =
                    g_strdup_printf("store: %s%s%s, libvirt: %s%s%s",
                                    a->parent_name ? "'" : "",
                                    a->parent_name ? a->parent_name : "none",
                                    a->parent_name ? "'" : "", b->parent_name ? "'" : "",
                                    b->parent_name ? b->parent_name : "none",
                                    b->parent_name ? "'" : "");

                vsLibvirtReportAdd(report, VS_LIBVIRT_PARENT, id, d->name, detail);
            } else {
                vsLibvirtReportAdd(report, VS_LIBVIRT_DIFFERS, id, d->name, NULL);
            }
            break;
        case VS_TREE_DIFF_CURRENT: {
            g_autofree char *detail = describeCurrent(store, live);
            const vsMoment *c = vsTreeGetCurrent(store);

            vsLibvirtReportAdd(report, VS_LIBVIRT_CURRENT, id, c ? c->name : NULL, detail);
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ */
/* diff                                                                 */

int
vsLibvirtDiff(vsLibvirtReport **out, gboolean *equal, vsLibvirt *lv, vsStore *store,
              const char *vm, GError **error)
{
    g_autoptr(vsLibvirtReport) report = vsLibvirtReportNew(vm);
    g_autoptr(virDomain) dom = NULL;
    char uuid[VIR_UUID_STRING_BUFLEN];

    *out = NULL;
    *equal = FALSE;
    if (lookupDomain(&dom, uuid, lv, vm, error) < 0)
        return -1;
    for (guint k = 0; liveKinds[k]; k++) {
        g_autoptr(vsTree) live = NULL;
        g_autoptr(vsDomain) sd = NULL;
        g_autoptr(GArray) diffs = NULL;

        if (liveLoad(&live, liveKinds[k], dom, vm, error) < 0 ||
            vsStoreLoadKind(&sd, store, liveKinds[k]->kind, vm, uuid, 0, error) < 0)
            return -1;
        if (!vsTreeDiff(vsDomainGetTree(sd), live, &diffs))
            reportDiffs(report, vsDomainGetTree(sd), live, diffs);
    }
    *equal = vsLibvirtReportGetCount(report) == 0;
    *out = g_steal_pointer(&report);
    return 0;
}

/* ------------------------------------------------------------------ */
/* pull                                                                 */

/* Makes the store's tree of one kind libvirt's; *@out_live: what was read. */
static int
pullKind(vsTree **out_live, vsLibvirtReport *report, const vsLiveKind *lk,
         virDomainPtr dom, const char *uuid, vsStore *store, const char *vm,
         unsigned int flags, GError **error)
{
    g_autoptr(vsTree) live = NULL;
    g_autoptr(vsTree) back = NULL;
    g_autoptr(vsDomain) sd = NULL;
    g_autoptr(GArray) diffs = NULL;
    g_autoptr(GPtrArray) list = NULL;
    const vsTree *stored;
    const char *noun = lk->kind->noun;

    if (liveLoad(&live, lk, dom, vm, error) < 0 ||
        vsStoreLoadKind(&sd, store, lk->kind, vm, uuid, VS_DOMAIN_LOAD_WRITE, error) < 0)
        return -1;
    stored = vsDomainGetTree(sd);
    if (!vsTreeDiff(stored, live, &diffs)) {
        if (vsTreeCount(stored) > 0 && !(flags & VS_LIBVIRT_REPLACE)) {
            g_autofree char *desc = vsTreeDiffDescribe(stored, live, diffs, "the store",
                                                       "libvirt");

            reportDiffs(report, stored, live, diffs);
            return vsErr(error, VS_ERROR_EXISTS,
                         "VM '%s': the store holds other %ss than libvirt (%s); nothing "
                         "was changed (pull --replace makes the store's tree libvirt's)",
                         vm, noun, desc);
        }
        if (vsDomainReplaceTree(sd, vsTreeCopy(live), TRUE, error) < 0) {
            g_prefix_error(error, "VM '%s': ", vm);
            return -1;
        }
        if (vsTreeList(&list, live, NULL, 0, error) < 0)
            return -1;
        for (guint i = 0; i < list->len; i++)
            vsLibvirtReportAdd(report, VS_LIBVIRT_STORED, lk->kind->id,
                               ((const vsMoment *) list->pdata[i])->name, NULL);
    }
    if (flags & VS_LIBVIRT_PURGE) {
        /* Only what reads back from the store may go from libvirt. */
        if (vsDomainReadBack(sd, &back, error) < 0)
            return -1;
        if (!vsTreeDiff(back, live, NULL))
            return vsErr(error, VS_ERROR_CORRUPT,
                         "VM '%s': the store does not read back the %ss pulled; libvirt's "
                         "metadata was not deleted", vm, noun);
    }
    *out_live = g_steal_pointer(&live);
    return 0;
}

/* Deletes libvirt's metadata of the records of @live, children first. */
static int
purgeKind(vsLibvirtReport *report, const vsLiveKind *lk, virDomainPtr dom, const vsTree *live,
          const char *vm, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;

    if (vsTreeList(&list, live, NULL, 0, error) < 0)
        return -1;
    for (guint i = list->len; i-- > 0;) {
        const char *name = ((const vsMoment *) list->pdata[i])->name;

        if (lk->remove(dom, name) < 0)
            return liveErr(error, vm, lk->kind, name,
                           "cannot delete libvirt's metadata (the store holds every record; "
                           "run pull --purge again)");
        vsLibvirtReportAdd(report, VS_LIBVIRT_DELETED, lk->kind->id, name, NULL);
    }
    return 0;
}

int
vsLibvirtPull(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store, const char *vm,
              unsigned int flags, GError **error)
{
    g_autoptr(vsLibvirtReport) report = vsLibvirtReportNew(vm);
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(GPtrArray) lives = g_ptr_array_new_with_free_func((GDestroyNotify) vsTreeFree);
    char uuid[VIR_UUID_STRING_BUFLEN];
    int ret = -1;

    if (lookupDomain(&dom, uuid, lv, vm, error) < 0)
        goto cleanup;
    for (guint k = 0; liveKinds[k]; k++) {
        vsTree *live = NULL;

        if (pullKind(&live, report, liveKinds[k], dom, uuid, store, vm, flags, error) < 0)
            goto cleanup;
        g_ptr_array_add(lives, live);
    }
    /* Every kind is stored before anything goes from libvirt. */
    for (guint k = lives->len; (flags & VS_LIBVIRT_PURGE) && k-- > 0;) {
        if (purgeKind(report, liveKinds[k], dom, lives->pdata[k], vm, error) < 0)
            goto cleanup;
    }
    ret = 0;

 cleanup:
    if (out)
        *out = g_steal_pointer(&report);
    return ret;
}

/* ------------------------------------------------------------------ */
/* push                                                                 */

/* Sets the text of @parent's child element @name, if it has one. */
static void
setChildText(xmlNodePtr parent, const char *name, const char *text)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *) c->name, name) == 0) {
            xmlNodeSetContent(c, NULL);
            xmlNodeAddContent(c, (const xmlChar *) text);
        }
    }
}

/* @xml with the name and UUID of its <domain> and <inactiveDomain> made
 * @target's (a restore into another domain). */
static int
rewriteDomain(char **out, const char *xml, const char *target, const char *uuid,
              GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, strlen(xml), NULL, 0, &problem);
    xmlChar *text = NULL;
    int len = 0;

    if (!doc) {
        vsErr(error, VS_ERROR_INVALID, "%s", problem.message ? problem.message : "bad XML");
        vsXmlProblemClear(&problem);
        return -1;
    }
    vsXmlProblemClear(&problem);
    for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && (strcmp((const char *) c->name, "domain") == 0 ||
                                            strcmp((const char *) c->name, "inactiveDomain") == 0)) {
            setChildText(c, "name", target);
            setChildText(c, "uuid", uuid);
        }
    }
    xmlDocDumpMemory(doc, &text, &len);
    xmlFreeDoc(doc);
    *out = g_strndup((const char *) text, len);
    xmlFree(text);
    return 0;
}

/* The store's tree as the target domain should hold it: the same, or
 * every record renamed into @target (@rename). */
static int
pushWanted(vsTree **out, const vsLiveKind *lk, const vsTree *stored, const char *suuid,
           gboolean rename, const char *target, const char *tuuid, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    const vsMoment *cur = vsTreeGetCurrent(stored);

    if (!rename) {
        *out = vsTreeCopy(stored);
        return 0;
    }
    if (vsTreeList(&list, stored, NULL, 0, error) < 0)
        return -1;
    for (guint i = 0; i < list->len; i++) {
        const vsMoment *m = list->pdata[i];
        g_autofree char *xml = NULL;
        g_autofree char *moved = NULL;
        vsMoment *r = NULL;

        if (lk->format(&xml, m, suuid, error) < 0 ||
            rewriteDomain(&moved, xml, target, tuuid, error) < 0 ||
            lk->parse(&r, moved, error) < 0) {
            g_prefix_error(error, "%s '%s': ", lk->kind->noun, m->name);
            return -1;
        }
        g_ptr_array_add(recs, r);
    }
    return vsTreeBuild(out, lk->kind, (vsMoment *const *) recs->pdata, recs->len,
                       cur ? cur->name : NULL, error);
}

/* Redefines @m in libvirt (CURRENT with @current). */
static int
pushOne(const vsLiveKind *lk, virDomainPtr dom, const vsMoment *m, const char *uuid,
        gboolean current, const char *vm, GError **error)
{
    g_autofree char *xml = NULL;

    if (lk->format(&xml, m, uuid, error) < 0)
        return -1;
    if (lk->define(dom, xml, current) < 0)
        return liveErr(error, vm, lk->kind, m->name,
                       "libvirt refused the redefine (what was pushed before it stays; "
                       "push again to complete)");
    return 0;
}

/* Whether libvirt now dumps @m as the store has it. */
static int
pushCheck(gboolean *same, const vsLiveKind *lk, virDomainPtr dom, const vsMoment *m,
          const char *uuid, const char *vm, GError **error)
{
    g_autoptr(vsMoment) back = NULL;
    g_autoptr(GString) a = g_string_new(NULL);
    g_autoptr(GString) b = g_string_new(NULL);
    char *xml = lk->dump(dom, m->name);
    int rc;

    if (!xml)
        return liveErr(error, vm, lk->kind, m->name, "cannot dump it back after the redefine");
    rc = lk->parse(&back, xml, error);
    free(xml);
    if (rc < 0)
        return -1;
    vsMomentFormatStored(a, m, uuid, 1);
    vsMomentFormatStored(b, back, uuid, 1);
    *same = g_string_equal(a, b);
    return 0;
}

static int
pushKind(vsLibvirtReport *report, const vsLiveKind *lk, virDomainPtr dom, const char *tuuid,
         vsStore *store, const char *vm, const char *target, unsigned int flags,
         GError **error)
{
    g_autoptr(vsDomain) sd = NULL;
    g_autoptr(vsTree) wanted = NULL;
    g_autoptr(vsTree) live = NULL;
    g_autoptr(GArray) diffs = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GHashTable) create = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) conflict = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *wuuid = NULL;
    gboolean rename = strcmp(vm, target) != 0;
    const vsMoment *cur, *lcur;
    const char *suuid, *uuid;
    gboolean cur_done = FALSE;
    vsMomentKindId id = lk->kind->id;

    if (vsStoreLoadKind(&sd, store, lk->kind, vm, NULL, 0, error) < 0)
        return -1;
    if (vsTreeCount(vsDomainGetTree(sd)) == 0)
        return 0;
    suuid = vsDomainGetUUID(sd);
    if (!rename && suuid && g_ascii_strcasecmp(suuid, tuuid) != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s': libvirt's domain has UUID %s but the stored %ss are of UUID "
                     "%s; nothing was pushed (push --as NAME restores into another domain)",
                     vm, tuuid, lk->kind->noun, suuid);
    if (pushWanted(&wanted, lk, vsDomainGetTree(sd), suuid, rename, target, tuuid, error) < 0 ||
        liveLoad(&live, lk, dom, target, error) < 0) {
        g_prefix_error(error, "VM '%s': ", vm);
        return -1;
    }
    vsTreeDiff(wanted, live, &diffs);
    for (guint i = 0; i < diffs->len; i++) {
        const vsTreeDifference *d = &g_array_index(diffs, vsTreeDifference, i);

        if (d->type == VS_TREE_DIFF_ONLY_A)
            g_hash_table_add(create, (gpointer) d->name);
        else if (d->type == VS_TREE_DIFF_RECORD)
            g_hash_table_add(conflict, (gpointer) d->name);
        else if (d->type == VS_TREE_DIFF_ONLY_B)
            vsLibvirtReportAdd(report, VS_LIBVIRT_KEPT, id, d->name, NULL);
    }
    if (g_hash_table_size(conflict) > 0 && !(flags & VS_LIBVIRT_REPLACE)) {
        g_autoptr(GArray) only = g_array_new(FALSE, FALSE, sizeof(vsTreeDifference));
        g_autofree char *desc = NULL;

        for (guint i = 0; i < diffs->len; i++) {
            if (g_array_index(diffs, vsTreeDifference, i).type == VS_TREE_DIFF_RECORD)
                g_array_append_val(only, g_array_index(diffs, vsTreeDifference, i));
        }
        reportDiffs(report, wanted, live, only);
        desc = vsTreeDiffDescribe(wanted, live, only, "the store", "libvirt");
        return vsErr(error, VS_ERROR_EXISTS,
                     "VM '%s': libvirt's domain '%s' has %u %s%s differing from the store's "
                     "(%s); nothing was pushed (push --replace redefines them)", vm, target,
                     g_hash_table_size(conflict), lk->kind->noun,
                     g_hash_table_size(conflict) == 1 ? "" : "s", desc);
    }
    cur = vsTreeGetCurrent(wanted);
    lcur = vsTreeGetCurrent(live);
    if (vsTreeList(&list, wanted, NULL, 0, error) < 0)
        return -1;
    wuuid = vsTreeFindUUID(wanted);
    uuid = wuuid ? wuuid : tuuid;
    for (guint i = 0; i < list->len; i++) {
        const vsMoment *m = list->pdata[i];
        gboolean is_cur = m == cur;
        vsLibvirtEntry what;

        if (g_hash_table_contains(create, m->name))
            what = VS_LIBVIRT_CREATED;
        else if (g_hash_table_contains(conflict, m->name))
            what = VS_LIBVIRT_REPLACED;
        else {
            vsLibvirtReportAdd(report, VS_LIBVIRT_SKIPPED, id, m->name, NULL);
            continue;
        }
        if (!(flags & VS_LIBVIRT_DRY_RUN)) {
            gboolean same = TRUE;

            if (pushOne(lk, dom, m, uuid, is_cur, vm, error) < 0)
                return -1;
            vsLibvirtReportAdd(report, what, id, m->name, NULL);
            if (pushCheck(&same, lk, dom, m, uuid, vm, error) < 0)
                return -1;
            if (!same)
                vsLibvirtReportAdd(report, VS_LIBVIRT_NORMALIZED, id, m->name, NULL);
        } else {
            vsLibvirtReportAdd(report, what, id, m->name, NULL);
        }
        if (is_cur) {
            vsLibvirtReportAdd(report, VS_LIBVIRT_MADE_CURRENT, id, m->name, NULL);
            cur_done = TRUE;
        }
    }
    if (cur && !cur_done && (!lcur || strcmp(lcur->name, cur->name) != 0)) {
        if (!(flags & VS_LIBVIRT_DRY_RUN) && pushOne(lk, dom, cur, uuid, TRUE, vm, error) < 0)
            return -1;
        vsLibvirtReportAdd(report, VS_LIBVIRT_MADE_CURRENT, id, cur->name, NULL);
    }
    return 0;
}

int
vsLibvirtPush(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store, const char *vm,
              const char *target, unsigned int flags, GError **error)
{
    g_autoptr(vsLibvirtReport) report = vsLibvirtReportNew(vm);
    g_autoptr(virDomain) dom = NULL;
    char uuid[VIR_UUID_STRING_BUFLEN];
    gboolean has = FALSE;
    int ret = -1;

    if (!target)
        target = vm;
    if (vsStoreHasDomain(&has, store, vm, error) < 0)
        goto cleanup;
    if (!has) {
        vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s': the store %s holds nothing for it", vm,
              vsStoreGetLocation(store));
        goto cleanup;
    }
    if (lookupDomain(&dom, uuid, lv, target, error) < 0)
        goto cleanup;
    for (guint k = 0; liveKinds[k]; k++) {
        if (pushKind(report, liveKinds[k], dom, uuid, store, vm, target, flags, error) < 0)
            goto cleanup;
    }
    ret = 0;

 cleanup:
    if (out)
        *out = g_steal_pointer(&report);
    return ret;
}
