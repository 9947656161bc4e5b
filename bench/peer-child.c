/* peer-child.c — the peer benchmark's measuring children; see peer.h.
 *
 * Each operation is timed whole on each side: for libvirt one API call
 * (parse, checks, its file writes with fsync and rename), for virtsnap one
 * library call (parse, commit: write, fsync, rename, directory fsync).
 * Both sides must end every round holding the same tree, so every round
 * measures the same N. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "peer.h"
#include "peer-libvirt.h"
#include "util.h"

#define PEER_CHILD_ERROR (g_quark_from_static_string("bench-peer"))
/* creationTime of the snapshots the rounds add: after every generated one */
#define PEER_TIME_BASE G_GINT64_CONSTANT(1800000000)

void
peerGenOptionsInit(BenchGenOptions *opts, guint n)
{
    benchGenOptionsInit(opts);
    opts->snapshots = n;
    opts->shape = BENCH_SHAPE_CHAIN;
    opts->vm = PEER_VM;
    opts->quiet = TRUE;
}

/* ---------------------------------------------------------------- */
/* Setup and load                                                     */

typedef struct {
    PeerLibvirt *lv;
    const char *current;
    guint done;
} SetupState;

static int
redefineRecord(const char *name, const char *parent, const char *xml, gsize len,
               gpointer data, GError **error)
{
    SetupState *st = data;

    if (peerLibvirtRedefine(st->lv, xml, g_str_equal(name, st->current), error) < 0)
        return -1;
    if (++st->done % 2000 == 0)
        g_printerr("  libvirt: %u snapshots redefined\n", st->done);
    return 0;
}

int
peerChildSetup(const char *root, guint n)
{
    g_autoptr(PeerLibvirt) lv = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *domain = NULL, *defined = NULL, *last = benchSnapshotName(n - 1);
    SetupState st = { 0 };
    BenchGenOptions opts;
    guint count = 0;
    double t0;

    peerGenOptionsInit(&opts, n);
    domain = benchDomainXML(&opts);
    /* The VM is only defined, never started: plain TCG needs no /dev/kvm
     * for an unprivileged user.  Snapshots keep their own type='kvm'. */
    g_assert(g_str_has_prefix(domain, "<domain type='kvm'>"));
    defined = g_strconcat("<domain type='qemu'>", domain + strlen("<domain type='kvm'>"), NULL);
    if (peerLibvirtOpen(&lv, root, NULL, &error) < 0 ||
        peerLibvirtDefine(lv, defined, &error) < 0) {
        printf("error %s\n", error->message);
        return 1;
    }
    st.lv = lv;
    st.current = last;
    t0 = benchNow();
    if ((n > 0 && benchForEachRecord(&opts, redefineRecord, &st, &error) < 0) ||
        peerLibvirtCount(&count, lv, &error) < 0) {
        printf("error %s\n", error->message);
        return 1;
    }
    printf("setup %.6f %u\n", benchNow() - t0, count);
    return count == n ? 0 : 1;
}

int
peerChildLoadLibvirt(const char *root)
{
    g_autoptr(PeerLibvirt) lv = NULL;
    g_autoptr(GError) error = NULL;
    guint count = 0;
    double t0 = benchNow();

    if (peerLibvirtOpen(&lv, root, PEER_VM, &error) < 0 ||
        peerLibvirtCount(&count, lv, &error) < 0) {
        printf("error %s\n", error->message);
        return 1;
    }
    printf("load %.6f %u %ld\n", benchNow() - t0, count, benchPeakRssKiB());
    return 0;
}

/* ---------------------------------------------------------------- */
/* Operations                                                         */

typedef struct {
    const PeerOpsArgs *args;
    PeerLibvirt *lv;
    vsDomain *dom;
    BenchGenOptions opts;
    char *first, *mid, *last;     /* s00000, s<N/2>, s<N-1> (current) */
    char *lv_mid, *lv_last;       /* their XML as libvirt dumps it */
    char *replace_data;
    guint added;                  /* snapshots the rounds created so far */
} PeerOps;

static void
report(const char *op, const char *side, double seconds)
{
    printf("op %s %s %.6f\n", op, side, seconds);
    fflush(stdout);
}

/* Times one whole call; on failure the caller's round stops. */
#define TIMED(op, side, call) \
    do { \
        double t0_ = benchNow(); \
        if ((call) < 0) \
            return -1; \
        report(op, side, benchNow() - t0_); \
    } while (0)

/* A new snapshot's XML (made before any clock starts). */
static char *
newRecord(PeerOps *po, const char *name, const char *parent)
{
    return benchSnapshotXML(&po->opts, name, parent, PEER_TIME_BASE + 60 * po->added++);
}

static int
vsRedefine(PeerOps *po, const char *xml, gboolean current, GError **error)
{
    unsigned int flags = VS_SNAPSHOT_CREATE_REDEFINE;

    if (current)
        flags |= VS_SNAPSHOT_CREATE_CURRENT;
    return vsDomainCreateXML(NULL, po->dom, xml, strlen(xml), NULL, 0, flags, error);
}

static int
vsDelete(PeerOps *po, const char *name, gboolean children, GError **error)
{
    return vsDomainDelete(po->dom, name, VS_SNAPSHOT_DELETE_METADATA_ONLY |
                          (children ? VS_SNAPSHOT_DELETE_CHILDREN : 0), error);
}

static int
vsListAll(guint *count, vsDomain *dom, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;

    if (vsDomainListSnapshots(&list, dom, NULL, 0, error) < 0)
        return -1;
    *count = 0;
    for (guint i = 0; i < list->len; i++) {
        if (vsSnapshotGetName(list->pdata[i]))
            (*count)++;
    }
    return 0;
}

/* A new leaf below s<N/2>, then its deletion (metadata only). */
static int
roundLeaf(PeerOps *po, guint k, GError **error)
{
    g_autofree char *name = g_strdup_printf("leaf%u", k);
    g_autofree char *xml = newRecord(po, name, po->mid);

    TIMED("redefine", "libvirt", peerLibvirtRedefine(po->lv, xml, FALSE, error));
    TIMED("redefine", "virtsnap", vsRedefine(po, xml, FALSE, error));
    TIMED("delete-leaf", "libvirt", peerLibvirtDelete(po->lv, name, FALSE, error));
    TIMED("delete-leaf", "virtsnap", vsDelete(po, name, FALSE, error));
    return 0;
}

/* "create": libvirt cannot create a snapshot of an inactive domain
 * without touching its disks, so both sides redefine a new child of the
 * current snapshot that becomes current.  Deleting it (untimed) makes its
 * parent current again on both sides. */
static int
roundCreate(PeerOps *po, guint k, GError **error)
{
    g_autofree char *name = g_strdup_printf("new%u", k);
    g_autofree char *xml = newRecord(po, name, po->last);

    TIMED("create", "libvirt", peerLibvirtRedefine(po->lv, xml, TRUE, error));
    TIMED("create", "virtsnap", vsRedefine(po, xml, TRUE, error));
    if (peerLibvirtDelete(po->lv, name, FALSE, error) < 0 || vsDelete(po, name, FALSE, error) < 0)
        return -1;
    return 0;
}

/* Each side as its `snapshot-current NAME` does it: virsh redefines the
 * snapshot's own XML with CURRENT (fetched here beforehand, untimed),
 * virtsnap sets the current one.  Then back to s<N-1>, untimed. */
static int
roundCurrent(PeerOps *po, GError **error)
{
    TIMED("set-current", "libvirt", peerLibvirtRedefine(po->lv, po->lv_mid, TRUE, error));
    TIMED("set-current", "virtsnap", vsDomainSetCurrent(po->dom, po->mid, error));
    if (peerLibvirtRedefine(po->lv, po->lv_last, TRUE, error) < 0 ||
        vsDomainSetCurrent(po->dom, po->last, error) < 0)
        return -1;
    return 0;
}

static int
roundList(PeerOps *po, GError **error)
{
    guint lv_count = 0, vs_count = 0;

    TIMED("list", "libvirt", peerLibvirtListAll(&lv_count, po->lv, error));
    TIMED("list", "virtsnap", vsListAll(&vs_count, po->dom, error));
    if (lv_count != po->args->n || vs_count != po->args->n) {
        g_set_error(error, PEER_CHILD_ERROR, 1, "listed %u (libvirt) and %u (virtsnap), not %u",
                    lv_count, vs_count, po->args->n);
        return -1;
    }
    return 0;
}

/* A fresh chain below s00000 on both sides (untimed), then the deletion of
 * its root with --children (metadata only). */
static int
roundChain(PeerOps *po, guint k, GError **error)
{
    g_autofree char *root = NULL;
    g_autofree char *parent = NULL;

    for (guint j = 0; j < po->args->chain; j++) {
        g_autofree char *name = g_strdup_printf("c%u-%04u", k, j);
        g_autofree char *xml = newRecord(po, name, j == 0 ? po->first : parent);

        if (peerLibvirtRedefine(po->lv, xml, FALSE, error) < 0 ||
            vsRedefine(po, xml, FALSE, error) < 0)
            return -1;
        if (j == 0)
            root = g_strdup(name);
        g_free(parent);
        parent = g_steal_pointer(&name);
    }
    if (!root)
        return 0;
    TIMED("delete-chain", "libvirt", peerLibvirtDelete(po->lv, root, TRUE, error));
    TIMED("delete-chain", "virtsnap", vsDelete(po, root, TRUE, error));
    return 0;
}

/* The machine's floor under any durable commit, measured beside them:
 * write a file the size of virtsnap's, fdatasync, rename over the old one,
 * fsync the directory.  Deliberately not the library's atomic file: this
 * times the machine, not virtsnap. */
static int
atomicReplace(PeerOps *po, GError **error)
{
    g_autofree char *tmp = g_build_filename(po->args->scratch, "replace.tmp", NULL);
    g_autofree char *dst = g_build_filename(po->args->scratch, "replace.dat", NULL);
    const char *p = po->replace_data;
    gsize left = po->args->replace_size;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int dirfd = -1, ret = -1;

    if (fd < 0)
        goto cleanup;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto cleanup;
        p += n;
        left -= n;
    }
    if (fdatasync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, dst) < 0 ||
        (dirfd = open(po->args->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        fsync(dirfd) < 0)
        goto cleanup;
    ret = 0;
 cleanup:
    if (ret < 0)
        g_set_error(error, PEER_CHILD_ERROR, 1, "%s: atomic replace: %s", tmp, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    return ret;
}

static int
roundReplace(PeerOps *po, GError **error)
{
    TIMED("replace", "machine", atomicReplace(po, error));
    return 0;
}

/* ---------------------------------------------------------------- */
/* Same tree on both sides                                            */

static gint
compareLines(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* virtsnap's side of peerLibvirtDescribe, line for line. */
static int
vsDescribe(GPtrArray **lines, vsDomain *dom, gboolean with_xml, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    const vsSnapshot *cur = vsDomainGetCurrent(dom, NULL);

    if (vsDomainListSnapshots(&list, dom, NULL, 0, error) < 0)
        return -1;
    for (guint i = 0; i < list->len; i++) {
        const vsSnapshot *snap = list->pdata[i];
        const vsSnapshot *parent = vsDomainGetParent(dom, snap);
        const char *name = vsSnapshotGetName(snap);
        g_autofree char *xml = NULL;

        if (with_xml && vsSnapshotFormat(&xml, snap, vsDomainGetUUID(dom),
                                         VS_SNAPSHOT_FORMAT_SECURE, error) < 0)
            return -1;
        g_ptr_array_add(out, g_strdup_printf("%s %s%s%s%s", name,
                                             parent ? vsSnapshotGetName(parent) : "-",
                                             cur && g_str_equal(vsSnapshotGetName(cur), name)
                                             ? " *" : "", xml ? "\n" : "", xml ? xml : ""));
    }
    *lines = g_steal_pointer(&out);
    return 0;
}

/* Names, parents and current (and with @with_xml every snapshot's XML)
 * must be equal; prints "tree WHEN same COUNT". */
static int
compareTrees(PeerOps *po, const char *when, gboolean with_xml, GError **error)
{
    g_autoptr(GPtrArray) lv = NULL;
    g_autoptr(GPtrArray) vs = NULL;

    if (peerLibvirtDescribe(&lv, po->lv, with_xml, error) < 0 ||
        vsDescribe(&vs, po->dom, with_xml, error) < 0)
        return -1;
    g_ptr_array_sort(lv, compareLines);
    g_ptr_array_sort(vs, compareLines);
    for (guint i = 0; i < MAX(lv->len, vs->len); i++) {
        const char *a = i < lv->len ? lv->pdata[i] : "(nothing)";
        const char *b = i < vs->len ? vs->pdata[i] : "(nothing)";
        if (strcmp(a, b) != 0) {
            g_set_error(error, PEER_CHILD_ERROR, 1,
                        "%s: the trees differ (%u snapshots in libvirt, %u in virtsnap); "
                        "first difference:\n--- libvirt:\n%s\n--- virtsnap:\n%s",
                        when, lv->len, vs->len, a, b);
            return -1;
        }
    }
    printf("tree %s same %u%s\n", when, lv->len, with_xml ? " with-xml" : "");
    return 0;
}

/* ---------------------------------------------------------------- */

static int
opsPrepare(PeerOps *po, vsStore **store, GError **error)
{
    const PeerOpsArgs *a = po->args;

    peerGenOptionsInit(&po->opts, a->n);
    po->first = benchSnapshotName(0);
    po->mid = benchSnapshotName(a->n / 2);
    po->last = benchSnapshotName(a->n - 1);
    po->replace_data = g_malloc(a->replace_size);
    for (guint64 i = 0; i < a->replace_size; i++)
        po->replace_data[i] = (char) (i * 2654435761u >> 24);
    if (peerLibvirtOpen(&po->lv, a->root, PEER_VM, error) < 0 ||
        vsStoreOpen(store, a->store, 0, error) < 0 ||
        vsStoreLoadDomain(&po->dom, *store, PEER_VM, NULL, VS_DOMAIN_LOAD_WRITE, error) < 0)
        return -1;
    /* The store's default, and what the table compares. */
    vsStoreSetCompression(*store, TRUE);
    if (peerLibvirtGetXML(&po->lv_mid, po->lv, po->mid, error) < 0 ||
        peerLibvirtGetXML(&po->lv_last, po->lv, po->last, error) < 0)
        return -1;
    return compareTrees(po, "before", FALSE, error);
}

static int
opsRound(PeerOps *po, guint k, GError **error)
{
    if (roundLeaf(po, k, error) < 0 ||
        roundCreate(po, k, error) < 0 ||
        roundCurrent(po, error) < 0 ||
        roundReplace(po, error) < 0 ||
        roundList(po, error) < 0 ||
        roundChain(po, k, error) < 0)
        return -1;
    return 0;
}

int
peerChildOps(const PeerOpsArgs *args)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GError) error = NULL;
    PeerOps po = { .args = args };
    int ret = 1;

    if (opsPrepare(&po, &store, &error) < 0)
        goto cleanup;
    for (guint k = 0; k < args->repeat; k++) {
        if (opsRound(&po, k, &error) < 0)
            goto cleanup;
        g_printerr("  round %u of %u done\n", k + 1, args->repeat);
    }
    if (compareTrees(&po, "after", args->check_xml, &error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    if (error)
        printf("error %s\n", error->message);
    vsDomainFree(po.dom);
    peerLibvirtFree(po.lv);
    g_free(po.first);
    g_free(po.mid);
    g_free(po.last);
    g_free(po.lv_mid);
    g_free(po.lv_last);
    g_free(po.replace_data);
    return ret;
}
