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

#include "import/libvirt-live.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "util/error.h"

struct _vsLibvirt {
    virConnectPtr conn;
    char *uri;
};


/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* "VM 'vm': snapshot 's': WHAT: libvirt's message"; a missing domain is
 * NOT_FOUND. */
int
vsLiveErr(GError **error, const char *vm, const vsMomentKind *kind, const char *name,
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
        return vsLiveErr(error, vm, &vsSnapshotKind, NULL, "cannot list snapshots");
    for (int i = 0; i < n; i++) {
        const char *name = virDomainSnapshotGetName(snaps[i]);
        char *xml = virDomainSnapshotGetXMLDesc(snaps[i], VIR_DOMAIN_SNAPSHOT_XML_SECURE);

        if (!xml) {
            vsLiveErr(error, vm, &vsSnapshotKind, name, "cannot dump");
            goto cleanup;
        }
        g_ptr_array_add(names, g_strdup(name));
        g_ptr_array_add(xmls, g_strdup(xml));
        free(xml);
    }
    if ((has = virDomainHasCurrentSnapshot(dom, 0)) < 0) {
        vsLiveErr(error, vm, &vsSnapshotKind, NULL, "cannot ask for the current snapshot");
        goto cleanup;
    }
    if (has) {
        virDomainSnapshotPtr cur = virDomainSnapshotCurrent(dom, 0);

        if (!cur) {
            vsLiveErr(error, vm, &vsSnapshotKind, NULL, "cannot get the current snapshot");
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

/* libvirt's error is reported before the handle is freed: every libvirt
 * call, virDomainSnapshotFree included, resets the last error first. */
static char *
snapDump(virDomainPtr dom, const char *vm, const char *name, const char *what,
         GError **error)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(dom, name, 0);
    char *xml;

    if (!s) {
        vsLiveErr(error, vm, &vsSnapshotKind, name, what);
        return NULL;
    }
    if (!(xml = virDomainSnapshotGetXMLDesc(s, VIR_DOMAIN_SNAPSHOT_XML_SECURE)))
        vsLiveErr(error, vm, &vsSnapshotKind, name, what);
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
snapRemove(virDomainPtr dom, const char *vm, const char *name, const char *what,
           GError **error)
{
    virDomainSnapshotPtr s = virDomainSnapshotLookupByName(dom, name, 0);
    int ret;

    if (!s)
        return vsLiveErr(error, vm, &vsSnapshotKind, name, what);
    if ((ret = virDomainSnapshotDelete(s, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)) < 0)
        vsLiveErr(error, vm, &vsSnapshotKind, name, what);
    virDomainSnapshotFree(s);
    return ret;
}

static const vsLiveKind liveSnapshots = {
    &vsSnapshotKind, snapRead, snapParse, snapFormat, snapDump, snapDefine, snapRemove,
};

/* Push order; purge goes backwards.  Checkpoints follow snapshots. */
const vsLiveKind *const vsLiveKinds[] = { &liveSnapshots, NULL };

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
    if (!(lv->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0)))
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

int
vsLiveLookupDomain(virDomainPtr *out, char uuid[VIR_UUID_STRING_BUFLEN], vsLibvirt *lv,
                   const char *vm, GError **error)
{
    g_autoptr(virDomain) dom = NULL;

    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    if (!(dom = virDomainLookupByName(lv->conn, vm)))
        return vsLiveErr(error, vm, NULL, NULL, "failed to get domain");
    if (virDomainGetUUIDString(dom, uuid) < 0)
        return vsLiveErr(error, vm, NULL, NULL, "cannot get the domain's UUID");
    *out = g_steal_pointer(&dom);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Trees                                                                */

/* libvirt's records of one kind, as a tree. */
int
vsLiveLoad(vsTree **out, const vsLiveKind *lk, virDomainPtr dom, const char *vm,
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
void
vsLiveReportDiffs(vsLibvirtReport *report, const vsTree *store, const vsTree *live,
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
    if (vsLiveLookupDomain(&dom, uuid, lv, vm, error) < 0)
        return -1;
    for (guint k = 0; vsLiveKinds[k]; k++) {
        g_autoptr(vsTree) live = NULL;
        g_autoptr(vsDomain) sd = NULL;
        g_autoptr(GArray) diffs = NULL;

        if (vsLiveLoad(&live, vsLiveKinds[k], dom, vm, error) < 0 ||
            vsStoreLoadKind(&sd, store, vsLiveKinds[k]->kind, vm, uuid, 0, error) < 0)
            return -1;
        if (!vsTreeDiff(vsDomainGetTree(sd), live, &diffs))
            vsLiveReportDiffs(report, vsDomainGetTree(sd), live, diffs);
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

    if (vsLiveLoad(&live, lk, dom, vm, error) < 0 ||
        vsStoreLoadKind(&sd, store, lk->kind, vm, uuid, VS_DOMAIN_LOAD_WRITE, error) < 0)
        return -1;
    stored = vsDomainGetTree(sd);
    if (!vsTreeDiff(stored, live, &diffs)) {
        if (vsTreeCount(stored) > 0 && !(flags & VS_LIBVIRT_REPLACE)) {
            g_autofree char *desc = vsTreeDiffDescribe(stored, live, diffs, "the store",
                                                       "libvirt");

            vsLiveReportDiffs(report, stored, live, diffs);
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

        if (lk->remove(dom, vm, name,
                       "cannot delete libvirt's metadata (the store holds every record; "
                       "run pull --purge again)", error) < 0)
            return -1;
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

    if (vsLiveLookupDomain(&dom, uuid, lv, vm, error) < 0)
        goto cleanup;
    for (guint k = 0; vsLiveKinds[k]; k++) {
        vsTree *live = NULL;

        if (pullKind(&live, report, vsLiveKinds[k], dom, uuid, store, vm, flags, error) < 0)
            goto cleanup;
        g_ptr_array_add(lives, live);
    }
    /* Every kind is stored before anything goes from libvirt. */
    for (guint k = lives->len; (flags & VS_LIBVIRT_PURGE) && k-- > 0;) {
        if (purgeKind(report, vsLiveKinds[k], dom, lives->pdata[k], vm, error) < 0)
            goto cleanup;
    }
    ret = 0;

 cleanup:
    if (out)
        *out = g_steal_pointer(&report);
    return ret;
}
