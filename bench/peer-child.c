/* peer-child.c — the peer benchmark's measuring children; see peer.h.
 *
 * Each side's operations run in a process of their own that holds only
 * that side's state (libvirt's driver, or virtsnap's loaded VM), as in real
 * use, and takes one step at a time from the parent, so the two sides
 * alternate operation by operation.  Each operation is timed whole: for
 * libvirt one API call (parse, checks, its file writes with fsync and
 * rename), for virtsnap one library call (parse, then the commit: write,
 * fsync, rename, directory fsync). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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
/* One side's operations                                              */

typedef struct {
    const char *name;             /* "libvirt" or "virtsnap" */
    guint n;
    BenchGenOptions opts;
    char *first, *mid, *last;     /* s00000, s<N/2>, s<N-1> (current) */
    guint added;                  /* snapshots the steps created so far */
    /* libvirt's side */
    PeerLibvirt *lv;
    char *lv_mid, *lv_last;       /* their XML as libvirt dumps it */
    /* virtsnap's side */
    vsStore *store;
    vsDomain *dom;
} PeerSide;

static int
sideRedefine(PeerSide *s, const char *xml, gboolean current, GError **error)
{
    unsigned int flags = VS_SNAPSHOT_CREATE_REDEFINE | (current ? VS_SNAPSHOT_CREATE_CURRENT : 0);

    if (s->lv)
        return peerLibvirtRedefine(s->lv, xml, current, error);
    return vsDomainCreateXML(NULL, s->dom, xml, strlen(xml), NULL, 0, flags, error);
}

static int
sideDelete(PeerSide *s, const char *name, gboolean children, GError **error)
{
    if (s->lv)
        return peerLibvirtDelete(s->lv, name, children, error);
    return vsDomainDelete(s->dom, name, VS_SNAPSHOT_DELETE_METADATA_ONLY |
                          (children ? VS_SNAPSHOT_DELETE_CHILDREN : 0), error);
}

/* Each side as its `snapshot-current NAME` does it: virsh redefines the
 * snapshot's own XML with CURRENT (fetched beforehand, untimed: this
 * favours libvirt), virtsnap sets the current one. */
static int
sideSetCurrent(PeerSide *s, const char *name, GError **error)
{
    if (s->lv)
        return peerLibvirtRedefine(s->lv, g_str_equal(name, s->mid) ? s->lv_mid : s->lv_last,
                                   TRUE, error);
    return vsDomainSetCurrent(s->dom, name, error);
}

static int
sideList(guint *count, PeerSide *s, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;

    if (s->lv)
        return peerLibvirtListAll(count, s->lv, error);
    if (vsDomainListMoments(&list, s->dom, NULL, 0, error) < 0)
        return -1;
    *count = 0;
    for (guint i = 0; i < list->len; i++) {
        if (vsMomentGetName(list->pdata[i]))
            (*count)++;
    }
    return 0;
}

/* virtsnap's side of peerLibvirtDescribe, line for line. */
static int
vsDescribe(GPtrArray **lines, vsDomain *dom, gboolean with_xml, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    const vsSnapshot *cur = vsDomainGetCurrent(dom, NULL);

    if (vsDomainListMoments(&list, dom, NULL, 0, error) < 0)
        return -1;
    for (guint i = 0; i < list->len; i++) {
        const vsSnapshot *snap = list->pdata[i];
        const vsSnapshot *parent = vsDomainGetParent(dom, snap);
        const char *name = vsMomentGetName(snap);
        g_autofree char *xml = NULL;

        if (with_xml && vsSnapshotFormat(&xml, snap, vsDomainGetUUID(dom),
                                         VS_SNAPSHOT_FORMAT_SECURE, error) < 0)
            return -1;
        g_ptr_array_add(out, g_strdup_printf("%s %s%s%s%s", name,
                                             parent ? vsMomentGetName(parent) : "-",
                                             cur && g_str_equal(vsMomentGetName(cur), name)
                                             ? " *" : "", xml ? "\n" : "", xml ? xml : ""));
    }
    *lines = g_steal_pointer(&out);
    return 0;
}

static gint
compareLines(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Writes the side's tree to @path, sorted, entries NUL-terminated, for
 * the parent to compare with the other side's. */
static int
sideDescribe(PeerSide *s, const char *path, gboolean with_xml, GError **error)
{
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(GString) buf = g_string_new(NULL);

    if ((s->lv ? peerLibvirtDescribe(&lines, s->lv, with_xml, error)
               : vsDescribe(&lines, s->dom, with_xml, error)) < 0)
        return -1;
    g_ptr_array_sort(lines, compareLines);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_len(buf, lines->pdata[i], strlen(lines->pdata[i]) + 1);
    return g_file_set_contents(path, buf->str, buf->len, error) ? 0 : -1;
}

static long
pageFaults(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt + ru.ru_majflt;
}

static void
report(const PeerSide *s, const char *op, double seconds, long faults)
{
    printf("op %s %s %.6f %ld\n", op, s->name, seconds, faults);
}

/* Times one whole call, and counts the page faults it took (fresh
 * allocations touched for the first time: time that no instruction
 * count shows). */
#define TIMED(op, call) \
    do { \
        long f0_ = pageFaults(); \
        double t0_ = benchNow(); \
        if ((call) < 0) \
            return -1; \
        report(s, op, benchNow() - t0_, pageFaults() - f0_); \
    } while (0)

/* A new snapshot's XML, made before any clock starts.  Both sides take
 * the same steps in the same order, so they make the same records. */
static char *
newRecord(PeerSide *s, const char *name, const char *parent)
{
    return benchSnapshotXML(&s->opts, name, parent, PEER_TIME_BASE + 60 * s->added++);
}

/* A fresh chain of @len below s00000 (untimed; deleted by "delete-chain"). */
static int
sideChain(PeerSide *s, guint k, guint len, GError **error)
{
    g_autofree char *parent = g_strdup(s->first);

    for (guint j = 0; j < len; j++) {
        g_autofree char *name = g_strdup_printf("c%u-%04u", k, j);
        g_autofree char *xml = newRecord(s, name, parent);

        if (sideRedefine(s, xml, FALSE, error) < 0)
            return -1;
        g_free(parent);
        parent = g_steal_pointer(&name);
    }
    return 0;
}

/* Touches 64 MiB, more than this machine class's caches, so that the next
 * call starts as it does in the benchmark's rounds, where the other side
 * ran in between: with its data and code out of the caches.  Never used
 * by the benchmark itself (a diagnostic step, by hand). */
static void
evictCaches(void)
{
    static volatile char *junk;
    const gsize size = 64 << 20;

    if (!junk)
        junk = g_malloc0(size);
    for (gsize i = 0; i < size; i += 64)
        junk[i]++;
}

/* One step (see the list in peer.h); timed ones print "op NAME SIDE SECONDS FAULTS". */
static int
sideStep(PeerSide *s, const char *step, guint k, const char *arg, GError **error)
{
    g_autofree char *leaf = g_strdup_printf("leaf%u", k);
    g_autofree char *fresh = g_strdup_printf("new%u", k);
    g_autofree char *chain = g_strdup_printf("c%u-0000", k);
    g_autofree char *xml = NULL;
    guint count = 0;

    if (g_str_equal(step, "redefine")) {
        xml = newRecord(s, leaf, s->mid);
        TIMED("redefine", sideRedefine(s, xml, FALSE, error));
    } else if (g_str_equal(step, "delete-leaf")) {
        TIMED("delete-leaf", sideDelete(s, leaf, FALSE, error));
    } else if (g_str_equal(step, "create")) {
        /* libvirt cannot create a snapshot of an inactive domain without
         * touching its disks: both sides redefine a new current child of
         * the current snapshot instead. */
        xml = newRecord(s, fresh, s->last);
        TIMED("create", sideRedefine(s, xml, TRUE, error));
    } else if (g_str_equal(step, "create-undo")) {
        /* Its parent, s<N-1>, becomes current again. */
        return sideDelete(s, fresh, FALSE, error);
    } else if (g_str_equal(step, "set-current")) {
        TIMED("set-current", sideSetCurrent(s, s->mid, error));
    } else if (g_str_equal(step, "current-undo")) {
        return sideSetCurrent(s, s->last, error);
    } else if (g_str_equal(step, "list")) {
        TIMED("list", sideList(&count, s, error));
        if (count != s->n) {
            g_set_error(error, PEER_CHILD_ERROR, 1, "listed %u snapshots, not %u", count, s->n);
            return -1;
        }
    } else if (g_str_equal(step, "chain")) {
        return sideChain(s, k, arg ? atoi(arg) : 0, error);
    } else if (g_str_equal(step, "delete-chain")) {
        TIMED("delete-chain", sideDelete(s, chain, TRUE, error));
    } else if (g_str_equal(step, "evict")) {
        evictCaches();
        return 0;
    } else if (g_str_equal(step, "describe") && arg) {
        return sideDescribe(s, arg, k != 0, error);
    } else {
        g_set_error(error, PEER_CHILD_ERROR, 1, "unknown step '%s'", step);
        return -1;
    }
    return 0;
}

static int
sideOpen(PeerSide *s, const char *path, GError **error)
{
    if (g_str_equal(s->name, "libvirt")) {
        return peerLibvirtOpen(&s->lv, path, PEER_VM, error) < 0 ||
               peerLibvirtGetXML(&s->lv_mid, s->lv, s->mid, error) < 0 ||
               peerLibvirtGetXML(&s->lv_last, s->lv, s->last, error) < 0 ? -1 : 0;
    }
    if (vsStoreOpen(&s->store, path, 0, error) < 0 ||
        vsStoreLoadDomain(&s->dom, s->store, PEER_VM, NULL, VS_DOMAIN_LOAD_WRITE, error) < 0)
        return -1;
    /* The store's default, and what the table compares. */
    vsStoreSetCompression(s->store, TRUE);
    return 0;
}

int
peerChildSide(const char *side, const char *path, guint n)
{
    g_autoptr(GError) error = NULL;
    PeerSide s = { .name = side, .n = n };
    char *line = NULL;
    size_t cap = 0;
    int ret = 1;

    peerGenOptionsInit(&s.opts, n);
    s.first = benchSnapshotName(0);
    s.mid = benchSnapshotName(n / 2);
    s.last = benchSnapshotName(n - 1);
    if (sideOpen(&s, path, &error) < 0) {
        printf("error %s: %s\n", side, error->message);
        goto cleanup;
    }
    printf("ready\n");
    fflush(stdout);
    /* "STEP K [ARG]" per line until EOF; each answered by "ok" or "error". */
    while (getline(&line, &cap, stdin) > 0) {
        char step[32] = "";
        guint k = 0;
        int end = 0;
        const char *arg;

        /* ARG is the rest of the line: a path may hold spaces. */
        if (sscanf(g_strchomp(line), "%31s %u %n", step, &k, &end) < 2 || end == 0) {
            printf("error %s: cannot parse step '%s'\n", side, line);
            goto cleanup;
        }
        arg = line[end] ? line + end : NULL;
        if (sideStep(&s, step, k, arg, &error) < 0) {
            printf("error %s: %s: %s\n", side, step, error->message);
            fflush(stdout);
            goto cleanup;
        }
        printf("ok\n");
        fflush(stdout);
    }
    ret = 0;

 cleanup:
    free(line);
    vsDomainFree(s.dom);
    vsStoreFree(s.store);
    peerLibvirtFree(s.lv);
    g_free(s.first);
    g_free(s.mid);
    g_free(s.last);
    g_free(s.lv_mid);
    g_free(s.lv_last);
    return ret;
}
