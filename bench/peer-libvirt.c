/* peer-libvirt.c — libvirt's side of the peer benchmark; see peer-libvirt.h.
 *
 * Only libvirt's public client API (libvirt-dev); nothing of libvirt is
 * copied.  Every failure carries libvirt's own last error message. */
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "peer-libvirt.h"

#define PEER_ERROR (g_quark_from_static_string("bench-peer-libvirt"))

struct _PeerLibvirt {
    virConnectPtr conn;
    virDomainPtr dom;
};

static void
quietErrors(void *data, virErrorPtr err)
{
    /* Reported through GError by the caller instead of on stderr. */
}

static int
failed(GError **error, const char *what)
{
    g_set_error(error, PEER_ERROR, 1, "libvirt: %s: %s", what, virGetLastErrorMessage());
    return -1;
}

static gpointer
runEventLoop(gpointer data)
{
    for (;;)
        virEventRunDefaultImpl();
    return NULL;
}

/* An embedded driver needs a thread running libvirt's event loop. */
static int
startEventLoop(GError **error)
{
    static gsize started;
    static int result;

    if (g_once_init_enter(&started)) {
        virSetErrorFunc(NULL, quietErrors);
        result = virEventRegisterDefaultImpl();
        if (result == 0)
            g_thread_unref(g_thread_new("libvirt-events", runEventLoop, NULL));
        g_once_init_leave(&started, 1);
    }
    return result < 0 ? failed(error, "cannot register the event loop") : 0;
}

int
peerLibvirtOpen(PeerLibvirt **out, const char *root, const char *vm, GError **error)
{
    g_autofree char *escaped = g_uri_escape_string(root, "/", FALSE);
    g_autofree char *uri = g_strdup_printf("qemu:///embed?root=%s", escaped);
    PeerLibvirt *lv;

    if (startEventLoop(error) < 0)
        return -1;
    lv = g_new0(PeerLibvirt, 1);
    if (!(lv->conn = virConnectOpen(uri))) {
        peerLibvirtFree(lv);
        return failed(error, uri);
    }
    if (vm && !(lv->dom = virDomainLookupByName(lv->conn, vm))) {
        peerLibvirtFree(lv);
        return failed(error, vm);
    }
    *out = lv;
    return 0;
}

void
peerLibvirtFree(PeerLibvirt *lv)
{
    if (!lv)
        return;
    if (lv->dom)
        virDomainFree(lv->dom);
    if (lv->conn)
        virConnectClose(lv->conn);
    g_free(lv);
}

char *
peerLibvirtVersion(void)
{
    unsigned long v = 0;

    if (virGetVersion(&v, NULL, NULL) < 0)
        return g_strdup("unknown");
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

int
peerLibvirtDefine(PeerLibvirt *lv, const char *domain_xml, GError **error)
{
    if (lv->dom)
        virDomainFree(lv->dom);
    if (!(lv->dom = virDomainDefineXML(lv->conn, domain_xml)))
        return failed(error, "cannot define the domain");
    return 0;
}

int
peerLibvirtRedefine(PeerLibvirt *lv, const char *xml, gboolean current, GError **error)
{
    unsigned int flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
    virDomainSnapshotPtr snap;

    if (current)
        flags |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
    if (!(snap = virDomainSnapshotCreateXML(lv->dom, xml, flags)))
        return failed(error, "redefine");
    virDomainSnapshotFree(snap);
    return 0;
}

int
peerLibvirtGetXML(char **out, PeerLibvirt *lv, const char *name, GError **error)
{
    virDomainSnapshotPtr snap = virDomainSnapshotLookupByName(lv->dom, name, 0);

    if (!snap)
        return failed(error, name);
    *out = virDomainSnapshotGetXMLDesc(snap, VIR_DOMAIN_SNAPSHOT_XML_SECURE);
    virDomainSnapshotFree(snap);
    return *out ? 0 : failed(error, name);
}

int
peerLibvirtDelete(PeerLibvirt *lv, const char *name, gboolean children, GError **error)
{
    unsigned int flags = VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY;
    virDomainSnapshotPtr snap = virDomainSnapshotLookupByName(lv->dom, name, 0);
    int ret;

    if (!snap)
        return failed(error, name);
    if (children)
        flags |= VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN;
    ret = virDomainSnapshotDelete(snap, flags);
    virDomainSnapshotFree(snap);
    return ret < 0 ? failed(error, name) : 0;
}

int
peerLibvirtListAll(guint *count, PeerLibvirt *lv, GError **error)
{
    virDomainSnapshotPtr *snaps = NULL;
    int n = virDomainListAllSnapshots(lv->dom, &snaps, 0);
    guint named = 0;

    if (n < 0)
        return failed(error, "list");
    for (int i = 0; i < n; i++) {
        if (virDomainSnapshotGetName(snaps[i]))
            named++;
        virDomainSnapshotFree(snaps[i]);
    }
    free(snaps);
    *count = named;
    return 0;
}

int
peerLibvirtCount(guint *count, PeerLibvirt *lv, GError **error)
{
    int n = virDomainSnapshotNum(lv->dom, 0);

    if (n < 0)
        return failed(error, "count");
    *count = n;
    return 0;
}

static char *
describeOne(virDomainSnapshotPtr snap, gboolean with_xml, GError **error)
{
    virDomainSnapshotPtr parent = virDomainSnapshotGetParent(snap, 0);
    int current = virDomainSnapshotIsCurrent(snap, 0);
    g_autofree char *xml = NULL;
    char *line;

    if (current < 0) {
        if (parent)
            virDomainSnapshotFree(parent);
        failed(error, virDomainSnapshotGetName(snap));
        return NULL;
    }
    if (with_xml && !(xml = virDomainSnapshotGetXMLDesc(snap, VIR_DOMAIN_SNAPSHOT_XML_SECURE))) {
        if (parent)
            virDomainSnapshotFree(parent);
        failed(error, virDomainSnapshotGetName(snap));
        return NULL;
    }
    /* A root has no parent: that lookup's error is expected. */
    virResetLastError();
    line = g_strdup_printf("%s %s%s%s%s", virDomainSnapshotGetName(snap),
                           parent ? virDomainSnapshotGetName(parent) : "-",
                           current ? " *" : "", xml ? "\n" : "", xml ? xml : "");
    if (parent)
        virDomainSnapshotFree(parent);
    return line;
}

int
peerLibvirtDescribe(GPtrArray **lines, PeerLibvirt *lv, gboolean with_xml, GError **error)
{
    virDomainSnapshotPtr *snaps = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    int n = virDomainListAllSnapshots(lv->dom, &snaps, 0);
    int ret = 0;

    if (n < 0)
        return failed(error, "list");
    for (int i = 0; i < n; i++) {
        char *line = ret == 0 ? describeOne(snaps[i], with_xml, error) : NULL;
        if (line)
            g_ptr_array_add(out, line);
        else
            ret = -1;
        virDomainSnapshotFree(snaps[i]);
    }
    free(snaps);
    if (ret < 0)
        return -1;
    *lines = g_steal_pointer(&out);
    return 0;
}
