/* peer.c — virtsnap-bench-peer: the same operations through libvirt's API
 * and through virtsnap, side by side, in one run (issue 16).
 *
 *   virtsnap-bench-peer [--quick] [-n N]... [--repeat K] [--chain M]
 *                       [--workdir DIR] [--keep] [--check]
 *
 * For each N both sides get the same records (bench/gen-core.c): libvirt's
 * qemu driver, running in-process in this program's children
 * (qemu:///embed on a private root), by redefining them one by one,
 * virtsnap by the generator's bulk file.  Loads run in fresh processes,
 * alternately libvirt, virtsnap, xmllint; for the operations each side has
 * a process of its own and they alternate step by step, libvirt then
 * virtsnap, K rounds (peer-ops.c).  Prints one markdown table: per
 * operation and N, "libvirt ms / virtsnap ms = ratio" (medians; the ratio
 * is the median of the K per-pair ratios).  As root everything runs as nobody (65534): the
 * embedded driver would otherwise want the libvirt-qemu account.
 * Exit status 77: libvirt's embedded driver is not usable here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <grp.h>
#include <unistd.h>

#include "peer.h"
#include "peer-libvirt.h"
#include "util.h"

#define EXIT_SKIP 77
#define NOBODY 65534

enum { OP_LOAD, OP_REDEFINE, OP_CREATE, OP_CURRENT, OP_DELETE_LEAF, OP_DELETE_CHAIN, OP_LIST,
       OP_LAST };
static const char *const op_names[OP_LAST] = {
    "load", "redefine", "create", "set-current", "delete-leaf", "delete-chain", "list",
};

typedef struct {
    GArray *t[OP_LAST][PEER_SIDE_LAST];  /* seconds, in round order */
    GArray *faults[OP_LAST][PEER_SIDE_LAST];  /* page faults of each call */
    GArray *rss[PEER_SIDE_LAST];         /* KiB */
    GArray *replace, *xmllint;           /* seconds */
} Samples;

typedef struct {
    guint n;
    gboolean ok;
    char *why;
    Samples s;
    double setup_s;
    guint64 file_size, doc_size;
    char *tree;        /* "same N …" after the run */
} PeerCase;

static guint opt_repeat = 5;
static guint opt_chain = 100;
static gboolean opt_keep, opt_check;

static void
samplesInit(Samples *s)
{
    for (guint op = 0; op < OP_LAST; op++) {
        for (guint side = 0; side < PEER_SIDE_LAST; side++) {
            s->t[op][side] = g_array_new(FALSE, FALSE, sizeof(double));
            s->faults[op][side] = g_array_new(FALSE, FALSE, sizeof(double));
        }
    }
    for (guint side = 0; side < PEER_SIDE_LAST; side++)
        s->rss[side] = g_array_new(FALSE, FALSE, sizeof(double));
    s->replace = g_array_new(FALSE, FALSE, sizeof(double));
    s->xmllint = g_array_new(FALSE, FALSE, sizeof(double));
}

static void
samplesClear(Samples *s)
{
    for (guint op = 0; op < OP_LAST; op++) {
        for (guint side = 0; side < PEER_SIDE_LAST; side++) {
            g_array_unref(s->t[op][side]);
            g_array_unref(s->faults[op][side]);
        }
    }
    for (guint side = 0; side < PEER_SIDE_LAST; side++)
        g_array_unref(s->rss[side]);
    g_array_unref(s->replace);
    g_array_unref(s->xmllint);
}

static double
medianOf(GArray *a)
{
    g_autofree double *v = g_memdup2(a->data, a->len * sizeof(double));
    return benchMedian(v, a->len);
}

/* Median of the per-round ratios libvirt / virtsnap. */
static double
pairRatio(GArray *lv, GArray *vs)
{
    guint n = MIN(lv->len, vs->len);
    g_autofree double *r = g_new0(double, MAX(n, 1));

    for (guint i = 0; i < n; i++) {
        double b = g_array_index(vs, double, i);
        r[i] = b > 0 ? g_array_index(lv, double, i) / b : 0;
    }
    return benchMedian(r, n);
}

static void
caseFail(PeerCase *pc, const char *what, const char *out)
{
    g_autofree char *text = g_strchomp(g_strdup(out ? out : ""));
    /* The table shows the first line; stderr has it all. */
    if (!pc->why)
        pc->why = g_strdup_printf("%s failed: %.*s", what, (int) strcspn(text, "\n"), text);
    pc->ok = FALSE;
    g_printerr("virtsnap-bench-peer: N=%u: %s failed: %s\n", pc->n, what, text);
}

/* ---------------------------------------------------------------- */
/* Running the children                                               */

static int
runSetup(PeerCase *pc, const char *root, guint n)
{
    g_autofree char *arg = g_strdup_printf("%u", n);
    const char *args[] = { "--child-setup", root, arg, NULL };
    BenchChild res = { 0 };
    guint count;
    int ret = 0;

    if (benchRunChild(&res, args) < 0 ||
        sscanf(res.out, "setup %lf %u", &pc->setup_s, &count) != 2) {
        caseFail(pc, "libvirt setup", res.out);
        ret = -1;
    }
    benchChildClear(&res);
    return ret;
}

/* virtsnap's load child is virtsnap-bench's (beside this program): a
 * process not linked with libvirt, whose libraries alone would add ~8 MiB
 * to its peak RSS. */
static char *
virtsnapBench(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : g_strdup(".");
    return g_build_filename(dir, "virtsnap-bench", NULL);
}

/* One load child; appends its time and peak RSS to the side's samples. */
static int
runLoad(PeerCase *pc, guint side, const char *const *args)
{
    g_autofree char *program = side == PEER_SIDE_VIRTSNAP ? virtsnapBench()
                               : g_strdup("/proc/self/exe");
    BenchChild res = { 0 };
    double t, rss;
    guint count;
    long hwm;
    int ret = 0;

    if (benchRunProgram(&res, program, args) < 0 ||
        sscanf(res.out, "load %lf %u %ld", &t, &count, &hwm) != 3 || count != pc->n) {
        caseFail(pc, side == PEER_SIDE_LIBVIRT ? "libvirt load" : "virtsnap load", res.out);
        ret = -1;
    } else {
        rss = hwm;
        g_array_append_val(pc->s.t[OP_LOAD][side], t);
        g_array_append_val(pc->s.rss[side], rss);
    }
    benchChildClear(&res);
    return ret;
}

/* libxml2's own streaming reader over the plain document: issue 16's
 * yardstick for a load. */
static int
runXmllint(PeerCase *pc, const char *doc)
{
    const char *argv[] = { "xmllint", "--stream", "--noout", "--huge", doc, NULL };
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    double t0 = benchNow(), t;
    int status;

    if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error) ||
        !g_spawn_check_wait_status(status, NULL)) {
        caseFail(pc, "xmllint --stream", error ? error->message : err);
        return -1;
    }
    t = benchNow() - t0;
    g_array_append_val(pc->s.xmllint, t);
    return 0;
}

static void
measureLoads(PeerCase *pc, const char *root, const char *store, const char *doc)
{
    const char *lv_args[] = { "--child-load-libvirt", root, NULL };
    const char *vs_args[] = { "--child-load", store, PEER_VM, NULL };

    for (guint k = 0; k < opt_repeat; k++) {
        if (runLoad(pc, PEER_SIDE_LIBVIRT, lv_args) < 0 ||
            runLoad(pc, PEER_SIDE_VIRTSNAP, vs_args) < 0 || (doc && runXmllint(pc, doc) < 0))
            return;
        g_printerr("virtsnap-bench-peer: N=%u: load %u of %u: libvirt %.3f s, virtsnap %.3f s\n",
                   pc->n, k + 1, opt_repeat,
                   g_array_index(pc->s.t[OP_LOAD][PEER_SIDE_LIBVIRT], double, k),
                   g_array_index(pc->s.t[OP_LOAD][PEER_SIDE_VIRTSNAP], double, k));
    }
}

static void
addSample(const char *op, const char *side, double t, double faults, gpointer data)
{
    PeerCase *pc = data;

    if (g_str_equal(op, "replace")) {
        g_array_append_val(pc->s.replace, t);
        return;
    }
    for (guint o = 0; o < OP_LAST; o++) {
        for (guint s = 0; s < PEER_SIDE_LAST; s++) {
            if (g_str_equal(op, op_names[o]) && g_str_equal(side, peer_side_names[s])) {
                g_array_append_val(pc->s.t[o][s], t);
                if (faults >= 0)
                    g_array_append_val(pc->s.faults[o][s], faults);
            }
        }
    }
}

static void
measureOps(PeerCase *pc, const char *root, const char *store, const char *scratch)
{
    g_autoptr(GError) error = NULL;
    PeerOpsArgs args = {
        .root = root, .store = store, .n = pc->n, .repeat = opt_repeat, .chain = opt_chain,
        .scratch = scratch, .replace_size = pc->file_size, .check_xml = opt_check,
    };

    if (peerRunOps(&args, addSample, pc, &pc->tree, &error) < 0)
        caseFail(pc, "operations", error->message);
}

/* ---------------------------------------------------------------- */
/* One N                                                              */

static guint64
fileSize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* The plain document (for xmllint) and the compressed store (virtsnap's
 * default): the same records, the generator validates both. */
static int
generateStores(PeerCase *pc, const char *casedir, const char *store, const char *doc)
{
    g_autofree char *plain = g_build_filename(casedir, "plain", NULL);
    g_autofree char *plain_file = g_build_filename(plain, PEER_VM ".xml", NULL);
    g_autofree char *store_file = g_build_filename(store, PEER_VM ".xml", NULL);
    BenchGenOptions opts;

    peerGenOptionsInit(&opts, pc->n);
    opts.out = plain;
    if (benchGenerateInChild(&opts) < 0 || rename(plain_file, doc) < 0) {
        caseFail(pc, "generating the plain document", doc);
        return -1;
    }
    benchRmTree(plain);
    opts.out = store;
    opts.compression = VS_COMPRESSION_ZSTD;
    if (benchGenerateInChild(&opts) < 0) {
        caseFail(pc, "generating the virtsnap store", store);
        return -1;
    }
    pc->file_size = fileSize(store_file);
    pc->doc_size = fileSize(doc);
    return 0;
}

static void
runCase(PeerCase *pc, const char *workdir)
{
    g_autofree char *casedir = g_strdup_printf("%s/n%u", workdir, pc->n);
    g_autofree char *root = g_build_filename(casedir, "root", NULL);
    g_autofree char *store = g_build_filename(casedir, "store", NULL);
    g_autofree char *scratch = g_build_filename(casedir, "scratch", NULL);
    g_autofree char *doc = g_build_filename(casedir, "document.xml", NULL);
    double t0 = benchNow();

    pc->ok = TRUE;
    samplesInit(&pc->s);
    g_mkdir_with_parents(scratch, 0700);
    g_printerr("virtsnap-bench-peer: N=%u: generating the records...\n", pc->n);
    if (generateStores(pc, casedir, store, doc) < 0)
        goto done;
    g_printerr("virtsnap-bench-peer: N=%u: redefining them in libvirt...\n", pc->n);
    if (runSetup(pc, root, pc->n) < 0)
        goto done;
    g_printerr("virtsnap-bench-peer: N=%u: libvirt setup took %.1f s; loads x%u...\n", pc->n,
               pc->setup_s, opt_repeat);
    measureLoads(pc, root, store, doc);
    if (!pc->ok)
        goto done;
    g_printerr("virtsnap-bench-peer: N=%u: operations x%u...\n", pc->n, opt_repeat);
    measureOps(pc, root, store, scratch);

 done:
    if (!opt_keep)
        benchRmTree(casedir);
    g_printerr("virtsnap-bench-peer: N=%u: done in %.0f s%s%s\n", pc->n, benchNow() - t0,
               pc->ok ? "" : "; ", pc->ok ? "" : pc->why);
}

/* ---------------------------------------------------------------- */
/* The table                                                          */

static char *
formatRatio(double r)
{
    if (r >= 9.95)
        return g_strdup_printf("%.0f×", r);
    if (r >= 0.995)
        return g_strdup_printf("%.1f×", r);
    if (r >= 0.01)
        return g_strdup_printf("%.2f×", r);
    return g_strdup_printf("%.3f×", r);
}

static char *
formatSize(guint64 b)
{
    if (b >= 10 * BENCH_MIB)
        return g_strdup_printf("%.0f MiB", b / BENCH_MIB);
    if (b >= BENCH_MIB)
        return g_strdup_printf("%.1f MiB", b / BENCH_MIB);
    return g_strdup_printf("%.0f KiB", b / BENCH_KIB);
}

static char *
cellOp(const PeerCase *pc, guint op)
{
    GArray *lv = pc->s.t[op][PEER_SIDE_LIBVIRT], *vs = pc->s.t[op][PEER_SIDE_VIRTSNAP];

    if (lv->len == 0 || vs->len == 0)
        return g_strdup("n/a");
    g_autofree char *a = benchFormatMs(medianOf(lv));
    g_autofree char *b = benchFormatMs(medianOf(vs));
    g_autofree char *r = formatRatio(pairRatio(lv, vs));
    return g_strdup_printf("%s / %s = %s", a, b, r);
}

static char *
cellRss(const PeerCase *pc, const double *baseline)
{
    GArray *lv = pc->s.rss[PEER_SIDE_LIBVIRT], *vs = pc->s.rss[PEER_SIDE_VIRTSNAP];

    if (lv->len == 0 || vs->len == 0)
        return g_strdup("n/a");
    double a = medianOf(lv), b = medianOf(vs);
    g_autofree char *r = formatRatio(b > 0 ? a / b : 0);
    return g_strdup_printf("%.1f / %.1f = %s (%+.1f / %+.1f KiB per snapshot)",
                           a / BENCH_KIB, b / BENCH_KIB, r,
                           (a - baseline[PEER_SIDE_LIBVIRT]) / pc->n,
                           (b - baseline[PEER_SIDE_VIRTSNAP]) / pc->n);
}

static char *
cellMachine(GArray *samples, guint64 size)
{
    if (samples->len == 0)
        return g_strdup("n/a");
    g_autofree char *ms = benchFormatMs(medianOf(samples));
    g_autofree char *sz = formatSize(size);
    return g_strdup_printf("%s (%s)", ms, sz);
}

/* virtsnap's own figure against the machine's: issue 16's targets. */
static char *
cellAgainst(GArray *ours, GArray *machine)
{
    if (ours->len == 0 || machine->len == 0)
        return g_strdup("n/a");
    return g_strdup_printf("%.2f", medianOf(ours) / medianOf(machine));
}

static const char *const op_labels[OP_LAST] = {
    "load: open + read every snapshot (fresh process)",
    "redefine a new leaf (child of s<N/2>)",
    "create: redefine a new current (plain create needs a running VM)",
    "set current (s<N/2>; virsh: redefine its XML with CURRENT)",
    "delete a leaf (metadata only)",
    NULL,  /* with the chain's length, see printTable */
    "list all (names)",
};

static void
printRow(const char *label, PeerCase *cases, guint ncases, char *(*cell)(PeerCase *, gpointer),
         gpointer data)
{
    printf("| %s |", label);
    for (guint i = 0; i < ncases; i++) {
        g_autofree char *c = cell(&cases[i], data);
        printf(" %s |", c);
    }
    printf("\n");
}

static char *
rowOp(PeerCase *pc, gpointer op)
{
    return cellOp(pc, GPOINTER_TO_UINT(op));
}

static char *
rowRss(PeerCase *pc, gpointer baseline)
{
    return cellRss(pc, baseline);
}

static char *
rowReplace(PeerCase *pc, gpointer unused)
{
    return cellMachine(pc->s.replace, pc->file_size);
}

static char *
rowXmllint(PeerCase *pc, gpointer unused)
{
    return cellMachine(pc->s.xmllint, pc->doc_size);
}

static char *
rowLoadVsXmllint(PeerCase *pc, gpointer unused)
{
    return cellAgainst(pc->s.t[OP_LOAD][PEER_SIDE_VIRTSNAP], pc->s.xmllint);
}

static char *
rowCommitVsReplace(PeerCase *pc, gpointer unused)
{
    static const guint ops[] = { OP_REDEFINE, OP_CREATE, OP_CURRENT, OP_DELETE_LEAF };
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autofree char *c = cellAgainst(pc->s.t[ops[i]][PEER_SIDE_VIRTSNAP], pc->s.replace);
        g_string_append_printf(s, "%s%s", i ? " / " : "", c);
    }
    return g_string_free(s, FALSE);
}

/* Page faults per call, libvirt / virtsnap (medians): a fresh allocation
 * costs time that instruction counts do not show. */
static char *
rowFaults(PeerCase *pc, gpointer unused)
{
    static const guint ops[] = { OP_REDEFINE, OP_CREATE, OP_CURRENT, OP_DELETE_LEAF };
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        GArray *lv = pc->s.faults[ops[i]][PEER_SIDE_LIBVIRT];
        GArray *vs = pc->s.faults[ops[i]][PEER_SIDE_VIRTSNAP];

        if (lv->len == 0 || vs->len == 0)
            g_string_append_printf(s, "%sn/a", i ? " · " : "");
        else
            g_string_append_printf(s, "%s%.0f / %.0f", i ? " · " : "", medianOf(lv),
                                   medianOf(vs));
    }
    return g_string_free(s, FALSE);
}

static char *
rowSetup(PeerCase *pc, gpointer unused)
{
    return g_strdup_printf("%.1f", pc->setup_s);
}

static char *
rowTree(PeerCase *pc, gpointer unused)
{
    if (!pc->ok)
        return g_strdup_printf("**failed**: %s", pc->why);
    return g_strdup_printf("yes (%s)", pc->tree ? pc->tree : "?");
}

static void
printTable(PeerCase *cases, guint ncases, const double *baseline_rss, const double *baseline_load)
{
    g_autofree char *chain_label =
        g_strdup_printf("delete `--children` of a %u-chain (metadata only)", opt_chain);

    printf("| operation: libvirt ms / virtsnap ms = ratio (medians, K=%u) |", opt_repeat);
    for (guint i = 0; i < ncases; i++)
        printf(" N = %u |", cases[i].n);
    printf("\n|---|");
    for (guint i = 0; i < ncases; i++)
        printf("---|");
    printf("\n");
    for (guint op = 0; op < OP_LAST; op++) {
        printRow(op == OP_DELETE_CHAIN ? chain_label : op_labels[op], cases, ncases, rowOp,
                 GUINT_TO_POINTER(op));
        if (op == OP_LOAD)
            printRow("peak RSS of that process, MiB", cases, ncases, rowRss,
                     (gpointer) baseline_rss);
    }
    printRow("machine: atomic replace of a file the size of virtsnap's, ms", cases, ncases,
             rowReplace, NULL);
    printRow("machine: `xmllint --stream --noout` over the plain document, ms", cases, ncases,
             rowXmllint, NULL);
    printRow("virtsnap load ÷ xmllint (issue 16: ≤ 0.2)", cases, ncases, rowLoadVsXmllint, NULL);
    printRow("virtsnap redefine / create / set current / delete leaf ÷ atomic replace "
             "(issue 16: ≤ 2)", cases, ncases, rowCommitVsReplace, NULL);
    printRow("page faults per call, libvirt / virtsnap: redefine · create · set current · "
             "delete leaf", cases, ncases, rowFaults, NULL);
    printRow("libvirt setup: N redefines, s (not compared)", cases, ncases, rowSetup, NULL);
    printRow("both sides hold the same tree afterwards", cases, ncases, rowTree, NULL);
    printf("\nEmpty VM (no snapshot file): load %.1f ms libvirt (the driver's start), "
           "%.2f ms virtsnap; peak RSS %.1f / %.1f MiB.\n",
           baseline_load[PEER_SIDE_LIBVIRT] * 1000, baseline_load[PEER_SIDE_VIRTSNAP] * 1000,
           baseline_rss[PEER_SIDE_LIBVIRT] / BENCH_KIB,
           baseline_rss[PEER_SIDE_VIRTSNAP] / BENCH_KIB);
}

/* ---------------------------------------------------------------- */

/* The embedded driver run by root wants the libvirt-qemu account and
 * chowns to it; as nobody it is an ordinary session-like user.  Both
 * sides run as the same user, so neither gains from it. */
static int
dropRoot(void)
{
    if (geteuid() != 0)
        return 0;
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0) {
        g_printerr("virtsnap-bench-peer: cannot switch to user %d: %s\n", NOBODY,
                   g_strerror(errno));
        return -1;
    }
    prctl(PR_SET_DUMPABLE, 1);
    return 0;
}

/* libvirt's client keeps config and cache under HOME/XDG: a private one. */
static void
privateHome(const char *workdir)
{
    static const char *const vars[][2] = {
        { "HOME", "" }, { "XDG_CONFIG_HOME", "/config" }, { "XDG_CACHE_HOME", "/cache" },
        { "XDG_RUNTIME_DIR", "/run" },
    };
    g_autofree char *home = g_build_filename(workdir, "home", NULL);

    for (guint i = 0; i < G_N_ELEMENTS(vars); i++) {
        g_autofree char *dir = g_strconcat(home, vars[i][1], NULL);
        g_mkdir_with_parents(dir, 0700);
        g_setenv(vars[i][0], dir, TRUE);
    }
    /* Errors reach the table through the API; keep libvirt's log quiet. */
    g_setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", FALSE);
}

/* An empty VM on both sides: the driver's and the library's own start,
 * and the RSS baseline per-snapshot figures are taken against. */
static int
measureBaseline(PeerCase *pc, const char *workdir)
{
    g_autofree char *root = g_build_filename(workdir, "empty", "root", NULL);
    g_autofree char *store = g_build_filename(workdir, "empty", "store", NULL);

    pc->ok = TRUE;
    samplesInit(&pc->s);
    g_mkdir_with_parents(store, 0700);
    if (runSetup(pc, root, 0) < 0)
        return -1;
    measureLoads(pc, root, store, NULL);
    return pc->ok ? 0 : -1;
}

static void
printHeader(double t0, const char *loadavg_start)
{
    g_autofree char *version = peerLibvirtVersion();
    g_autofree char *loadavg = NULL;
    struct utsname u;

    uname(&u);
    g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);
    printf("libvirt %s (qemu driver in-process, `qemu:///embed`) vs virtsnap (zstd store, "
           "the default), same records; Linux %s, %ld CPUs; K=%u interleaved rounds; "
           "load average %.14s at start, %.14s at end; %.0f s in all.\n\n",
           version, u.release, sysconf(_SC_NPROCESSORS_ONLN), opt_repeat,
           loadavg_start ? loadavg_start : "?", loadavg ? loadavg : "?", benchNow() - t0);
}

static int
childMain(int argc, char **argv)
{
    if (argc == 4 && g_str_equal(argv[1], "--child-setup"))
        return peerChildSetup(argv[2], atoi(argv[3]));
    if (argc == 3 && g_str_equal(argv[1], "--child-load-libvirt"))
        return peerChildLoadLibvirt(argv[2]);
    if (argc == 5 && g_str_equal(argv[1], "--child-side"))
        return peerChildSide(argv[2], argv[3], atoi(argv[4]));
    return -1;
}

static const guint default_sizes[] = { 100, 1000, 5000, 16384 };
static const guint quick_sizes[] = { 100, 1000 };

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) sizes = NULL;
    g_autofree char *workdir_parent = NULL, *workdir = NULL, *loadavg = NULL;
    g_autoptr(GArray) ns = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree PeerCase *cases = NULL;
    PeerCase base = { 0 };
    double baseline_rss[PEER_SIDE_LAST], baseline_load[PEER_SIDE_LAST], t0 = benchNow();
    gboolean quick = FALSE, failed = FALSE;
    gint repeat = 0, chain = -1;
    int child;
    GOptionEntry entries[] = {
        { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "N = 100 and 1,000, K = 3", NULL },
        { "snapshots", 'n', 0, G_OPTION_ARG_STRING_ARRAY, &sizes,
          "Measure at N snapshots (repeatable; 100, 1000, 5000, 16384)", "N" },
        { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Interleaved rounds (5; 3 with --quick)",
          "K" },
        { "chain", 0, 0, G_OPTION_ARG_INT, &chain,
          "Length of the chain deleted with --children (100)", "M" },
        { "workdir", 'w', 0, G_OPTION_ARG_FILENAME, &workdir_parent,
          "Where to create the scratch directory ($TMPDIR or /var/tmp)", "DIR" },
        { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the scratch directory", NULL },
        { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check,
          "Also compare every snapshot's XML on both sides at the end", NULL },
        G_OPTION_ENTRY_NULL
    };

    if ((child = childMain(argc, argv)) >= 0)
        return child;

    ctx = g_option_context_new("- the same snapshot operations through libvirt and virtsnap");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("virtsnap-bench-peer: %s\n", error->message);
        return EXIT_FAILURE;
    }
    opt_repeat = repeat > 0 ? repeat : quick ? 3 : 5;
    opt_chain = chain >= 0 ? chain : 100;
    for (guint i = 0; sizes && sizes[i]; i++) {
        guint n = atoi(sizes[i]);
        if (n < 2) {
            g_printerr("virtsnap-bench-peer: --snapshots %s: need at least 2\n", sizes[i]);
            return EXIT_FAILURE;
        }
        g_array_append_val(ns, n);
    }
    if (!sizes)
        g_array_append_vals(ns, quick ? quick_sizes : default_sizes,
                            quick ? G_N_ELEMENTS(quick_sizes) : G_N_ELEMENTS(default_sizes));
    if (dropRoot() < 0)
        return EXIT_FAILURE;

    if (!workdir_parent)
        workdir_parent = g_strdup(g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/var/tmp");
    workdir = g_build_filename(workdir_parent, "virtsnap-peer-XXXXXX", NULL);
    if (!g_mkdtemp(workdir)) {
        g_printerr("virtsnap-bench-peer: %s: cannot create: %s\n", workdir, g_strerror(errno));
        return EXIT_FAILURE;
    }
    g_printerr("virtsnap-bench-peer: scratch directory %s\n", workdir);
    privateHome(workdir);
    g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);

    if (measureBaseline(&base, workdir) < 0) {
        g_printerr("virtsnap-bench-peer: libvirt's embedded qemu driver is not usable here "
                   "(%s); nothing measured\n", base.why);
        if (!opt_keep)
            benchRmTree(workdir);
        return EXIT_SKIP;
    }
    for (guint side = 0; side < PEER_SIDE_LAST; side++) {
        baseline_rss[side] = medianOf(base.s.rss[side]);
        baseline_load[side] = medianOf(base.s.t[OP_LOAD][side]);
    }
    cases = g_new0(PeerCase, ns->len);
    for (guint i = 0; i < ns->len; i++) {
        cases[i].n = g_array_index(ns, guint, i);
        runCase(&cases[i], workdir);
        failed |= !cases[i].ok;
    }
    printHeader(t0, loadavg);
    printTable(cases, ns->len, baseline_rss, baseline_load);

    for (guint i = 0; i < ns->len; i++) {
        samplesClear(&cases[i].s);
        g_free(cases[i].why);
        g_free(cases[i].tree);
    }
    samplesClear(&base.s);
    g_free(base.why);
    if (!opt_keep)
        benchRmTree(workdir);
    g_printerr("virtsnap-bench-peer: done in %.1f s\n", benchNow() - t0);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
