/* run.c — virtsnap-bench: measure load, memory, commits and disk use.
 *
 *   virtsnap-bench [--quick] [--repeat K] [--case NAME]... [--workdir DIR] [--keep]
 *
 * Every measurement runs in a freshly exec'd child (this same program in a
 * hidden child mode), so peak RSS (ru_maxrss from wait4) is that one
 * load's and never accumulates, and the page cache is the only thing runs
 * share.  Prints one markdown table on stdout; progress goes to stderr.
 * See bench/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "virtsnap-private.h"   /* vsStoreGetCommitCount */
#include "gen-core.h"
#include "util.h"

#define BENCH_VM "vm1"
#define KIB BENCH_KIB
#define MIB BENCH_MIB

typedef struct {
    const char *name;
    const char *label;
    guint snapshots;
    BenchShape shape;
    gsize domain_size;
    guint vary;
    guint max_repeat;   /* 0: --repeat as given; big cases cap it */
} BenchCase;

/* Issue 7's targets; see docs/performance.md. */
static const BenchCase default_cases[] = {
    { "chain-1000", "chain 1,000 x ~9 KB", 1000, BENCH_SHAPE_CHAIN, 0, 10, 0 },
    { "chain-5000", "chain 5,000 x ~9 KB", 5000, BENCH_SHAPE_CHAIN, 0, 10, 0 },
    { "chain-16384", "chain 16,384 x ~9 KB", 16384, BENCH_SHAPE_CHAIN, 0, 10, 0 },
    { "random-5000", "random 5,000 x ~9 KB", 5000, BENCH_SHAPE_RANDOM, 0, 10, 0 },
    /* Every domain differs from its parent's: few repeats to share. */
    { "distinct-5000", "chain 5,000 x ~9 KB, all domains vary", 5000, BENCH_SHAPE_CHAIN, 0, 100,
      0 },
    /* 1 GiB per load and per plain commit: three runs keep it to minutes. */
    { "dom4m-256", "chain 256 x 4 MiB domain", 256, BENCH_SHAPE_CHAIN, 4 * 1024 * 1024, 10, 3 },
};

static const BenchCase quick_cases[] = {
    { "chain-200", "chain 200 x ~9 KB", 200, BENCH_SHAPE_CHAIN, 0, 10, 0 },
    { "dom256k-16", "chain 16 x 256 KiB domain", 16, BENCH_SHAPE_CHAIN, 256 * 1024, 10, 0 },
};

/* Commit operations, in the order the ops child runs them. */
enum { OP_CREATE, OP_REDEFINE, OP_CURRENT, OP_DELETE, OP_DELETE_CHILDREN, OP_LAST };
static const char *op_names[OP_LAST] = {
    "create", "redefine", "set-current", "delete", "delete-children",
};
static const char *op_labels[OP_LAST] = {
    "commit: create (plain, with `<domain>`), ms",
    "commit: redefine (new leaf with `<domain>`), ms",
    "commit: set current, ms",
    "commit: delete one (middle, re-parents), ms",
    "commit: delete `--children` of s00001 (N−1 gone), ms",
};

typedef enum { KIND_PLAIN, KIND_ZSTD, KIND_LEGACY, KIND_LAST } StoreKind;
static const char *kind_dirs[KIND_LAST] = { "plain", "zstd", "legacy" };

typedef struct {
    gboolean ok;
    char *why;                 /* when !ok: short reason for "n/a" */
    double load_s;             /* medians */
    double rss_kib;
    double gen_s;
    guint64 apparent, allocated, files;
    double op_s[OP_LAST];
    gboolean op_ok[OP_LAST];
    guint64 op_commits[OP_LAST];  /* max over repeats */
} KindResult;

typedef struct {
    const BenchCase *c;
    guint repeat;
    KindResult kind[KIND_LAST];
} CaseResult;

static guint opt_repeat = 5;
static gboolean opt_keep;

/* ---------------------------------------------------------------- */
/* Children                                                           */

/* CPU seconds (user + system) and minor page faults of this process so
 * far: on a shared machine a commit's wall time measures the neighbours
 * as much as the commit, and big runs cost their buffers' page faults. */
typedef struct {
    double wall, cpu;
    long faults;
} OpClock;

static OpClock
opClock(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (OpClock) { benchNow(),
                       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
                       ru.ru_minflt };
}

/* "op NAME SECONDS COMMITS CPU_SECONDS FAULTS" (the parent reads the first
 * three). */
static void
reportOp(const char *name, OpClock t0, const vsStore *store, guint64 before, GError *error)
{
    OpClock t = opClock();

    if (error)
        printf("error %s %s\n", name, error->message);
    else
        printf("op %s %.6f %" G_GUINT64_FORMAT " %.6f %ld\n", name, t.wall - t0.wall,
               vsStoreGetCommitCount(store) - before, t.cpu - t0.cpu, t.faults - t0.faults);
    fflush(stdout);
}

/* Child: one commit of each kind on a write-loaded copy of the store,
 * written in @mode (@mode_text: 0, 1, or a mode name; see bench/README.md). */
static int
childOps(const char *dir, const char *vm, guint n, gsize domain_size, const char *mode_text)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    BenchGenOptions opts;
    g_autofree char *domain_xml = NULL, *redef_xml = NULL;
    g_autofree char *mid = benchSnapshotName(n / 2);
    g_autofree char *second = benchSnapshotName(1);
    static const char create_xml[] =
        "<domainsnapshot><name>bench-create</name>"
        "<description>created by the benchmark</description></domainsnapshot>";
    int mode = g_str_equal(mode_text, "0") ? VS_COMPRESSION_NONE
             : g_str_equal(mode_text, "1") ? VS_COMPRESSION_ZSTD
             : benchCompressionFromString(mode_text);
    guint64 before;
    OpClock t0;

    if (mode < 0) {
        printf("error args unknown compression '%s'\n", mode_text);
        return 1;
    }
    benchGenOptionsInit(&opts);
    opts.vm = vm;
    opts.domain_size = domain_size;
    domain_xml = benchDomainXML(&opts);
    /* a fresh device: the new leaf's domain is one no snapshot has */
    redef_xml = benchSnapshotXMLHotplug(&opts, "bench-redefine", mid,
                                        G_GINT64_CONSTANT(1800000000), BENCH_FRESH_NIC_ID + 1);

    if (vsStoreOpen(&store, dir, 0, &error) < 0 ||
        vsStoreLoadDomain(&dom, store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0) {
        printf("error load %s\n", error->message);
        return 1;
    }
    vsStoreSetCompressionMode(store, mode);

#define RUN_OP(idx, call) \
    do { \
        before = vsStoreGetCommitCount(store); \
        t0 = opClock(); \
        if ((call) < 0) { \
            reportOp(op_names[idx], t0, store, before, error); \
            g_clear_error(&error); \
        } else { \
            reportOp(op_names[idx], t0, store, before, NULL); \
        } \
    } while (0)

    RUN_OP(OP_CREATE, vsDomainCreateXML(NULL, dom, create_xml, strlen(create_xml), domain_xml,
                                        VS_SNAPSHOT_STATE_SHUTOFF, 0, &error));
    RUN_OP(OP_REDEFINE, vsDomainCreateXML(NULL, dom, redef_xml, strlen(redef_xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error));
    RUN_OP(OP_CURRENT, vsDomainSetCurrent(dom, mid, &error));
    RUN_OP(OP_DELETE, vsDomainDelete(dom, mid, 0, &error));
    if (n > 1)
        RUN_OP(OP_DELETE_CHILDREN, vsDomainDelete(dom, second, VS_SNAPSHOT_DELETE_CHILDREN,
                                                  &error));
#undef RUN_OP
    return 0;
}

/* ---------------------------------------------------------------- */
/* Files                                                              */

static int
sizeEntry(const char *path, const struct stat *st, int flag, struct FTW *ftw);
static guint64 du_apparent, du_allocated, du_files;
static int
sizeEntry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F) {
        du_apparent += st->st_size;
        du_files++;
    }
    du_allocated += (guint64) st->st_blocks * 512;
    return 0;
}

/* Apparent/allocated bytes of a file, or of a directory and its files. */
static void
diskUsage(KindResult *k, const char *path)
{
    du_apparent = du_allocated = du_files = 0;
    nftw(path, sizeEntry, 16, FTW_PHYS);
    k->apparent = du_apparent;
    k->allocated = du_allocated;
    k->files = du_files;
}

static int
copyFile(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    struct stat st;
    int ret = -1;

    if (in < 0 || out < 0 || fstat(in, &st) < 0)
        goto cleanup;
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, left, 0);
        if (n <= 0)
            goto cleanup;
        left -= n;
    }
    ret = 0;
 cleanup:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return ret;
}

/* ---------------------------------------------------------------- */
/* Measuring                                                          */

static void
kindFail(KindResult *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
kindFail(KindResult *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_free(k->why);
    k->why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    k->ok = FALSE;
}

static int
generate(KindResult *k, const BenchCase *c, const char *dir, StoreKind kind)
{
    BenchGenOptions opts;
    double t0 = benchNow();

    benchGenOptionsInit(&opts);
    opts.snapshots = c->snapshots;
    opts.shape = c->shape;
    opts.domain_size = c->domain_size;
    opts.vary = c->vary;
    opts.out = dir;
    opts.vm = BENCH_VM;
    opts.quiet = TRUE;
    opts.compression = kind == KIND_ZSTD ? VS_COMPRESSION_ZSTD : VS_COMPRESSION_NONE;
    opts.layout = kind == KIND_LEGACY ? BENCH_LAYOUT_LEGACY : BENCH_LAYOUT_BULK;

    if (benchGenerateInChild(&opts) < 0) {
        kindFail(k, "generation failed");
        return -1;
    }
    k->gen_s = benchNow() - t0;
    return 0;
}

static void
measureLoad(KindResult *k, const BenchCase *c, const char *dir, guint repeat)
{
    g_autofree double *times = g_new0(double, repeat);
    g_autofree double *rss = g_new0(double, repeat);
    const char *args[] = { "--child-load", dir, BENCH_VM, NULL };

    for (guint r = 0; r < repeat; r++) {
        BenchChild res = { 0 };
        double t;
        guint count;
        long hwm;

        if (benchRunChild(&res, args) < 0 ||
            sscanf(res.out, "load %lf %u %ld", &t, &count, &hwm) != 3) {
            kindFail(k, "load failed: %s", g_strchomp(res.out ? res.out : ""));
            benchChildClear(&res);
            return;
        }
        benchChildClear(&res);
        if (count != c->snapshots) {
            kindFail(k, "loaded %u of %u", count, c->snapshots);
            return;
        }
        times[r] = t;
        rss[r] = hwm > 0 ? hwm : res.maxrss_kib;
    }
    k->load_s = benchMedian(times, repeat);
    k->rss_kib = benchMedian(rss, repeat);
}

static void
measureOps(KindResult *k, const BenchCase *c, const char *work, const char *src,
           gboolean compress, guint repeat)
{
    g_autofree double *times = g_new0(double, repeat * OP_LAST);
    g_autofree char *n = g_strdup_printf("%u", c->snapshots);
    g_autofree char *size = g_strdup_printf("%zu", c->domain_size);
    g_autofree char *opsdir = g_build_filename(work, "ops", NULL);
    g_autofree char *target = g_build_filename(opsdir, BENCH_VM ".xml", NULL);
    const char *args[] = { "--child-ops", opsdir, BENCH_VM, n, size, compress ? "1" : "0",
                           NULL };
    guint got[OP_LAST] = { 0 };

    for (guint r = 0; r < repeat; r++) {
        BenchChild res = { 0 };
        g_auto(GStrv) lines = NULL;

        /* A fresh copy each time: every repeat sees the same N. */
        benchRmTree(opsdir);
        g_mkdir_with_parents(opsdir, 0700);
        if (copyFile(src, target) < 0) {
            kindFail(k, "cannot copy %s", src);
            return;
        }
        if (benchRunChild(&res, args) < 0) {
            kindFail(k, "commit run failed: %s", g_strchomp(res.out));
            benchChildClear(&res);
            return;
        }
        lines = g_strsplit(res.out, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            char name[64];
            double t;
            guint64 commits;
            if (sscanf(lines[i], "op %63s %lf %" G_GUINT64_FORMAT, name, &t, &commits) != 3) {
                if (g_str_has_prefix(lines[i], "error"))
                    g_printerr("virtsnap-bench: %s: %s\n", c->name, lines[i]);
                continue;
            }
            for (guint op = 0; op < OP_LAST; op++) {
                if (g_str_equal(name, op_names[op])) {
                    times[op * repeat + got[op]++] = t;
                    k->op_commits[op] = MAX(k->op_commits[op], commits);
                }
            }
        }
        benchChildClear(&res);
    }
    benchRmTree(opsdir);
    for (guint op = 0; op < OP_LAST; op++) {
        k->op_ok[op] = got[op] == repeat;
        if (k->op_ok[op])
            k->op_s[op] = benchMedian(times + op * repeat, repeat);
    }
}

static void
runCase(CaseResult *cr, const char *workdir)
{
    const BenchCase *c = cr->c;
    g_autofree char *casedir = g_build_filename(workdir, c->name, NULL);
    double t0 = benchNow();

    cr->repeat = c->max_repeat ? MIN(opt_repeat, c->max_repeat) : opt_repeat;

    for (StoreKind kind = 0; kind < KIND_LAST; kind++) {
        KindResult *k = &cr->kind[kind];
        g_autofree char *dir = g_build_filename(casedir, kind_dirs[kind], NULL);
        g_autofree char *file = g_build_filename(dir, kind == KIND_LEGACY ? BENCH_VM
                                                 : BENCH_VM ".xml", NULL);

        k->ok = TRUE;
        if (kind == KIND_LEGACY && c->domain_size > 1024 * 1024) {
            /* libvirt 9.0 refuses snapshot files over 1 MiB. */
            kindFail(k, "over libvirt's 1 MiB file limit");
            continue;
        }
        g_printerr("virtsnap-bench: %s: generating %s store...\n", c->name, kind_dirs[kind]);
        if (generate(k, c, dir, kind) < 0)
            continue;
        diskUsage(k, file);
        g_printerr("virtsnap-bench: %s: %s: load x%u...\n", c->name, kind_dirs[kind],
                   cr->repeat);
        measureLoad(k, c, dir, cr->repeat);
        g_printerr("virtsnap-bench: %s: %s: %.1f MiB on disk, load %.3f s, peak RSS %.1f MiB%s%s\n",
                   c->name, kind_dirs[kind], k->apparent / MIB, k->load_s, k->rss_kib / KIB,
                   k->ok ? "" : ", failed: ", k->ok ? "" : k->why);
        if (kind != KIND_LEGACY && k->ok) {
            g_printerr("virtsnap-bench: %s: %s: commits x%u...\n", c->name, kind_dirs[kind],
                       cr->repeat);
            measureOps(k, c, casedir, file, kind == KIND_ZSTD, cr->repeat);
            for (guint op = 0; op < OP_LAST; op++)
                g_printerr("virtsnap-bench: %s: %s:   %s %.4f s\n", c->name, kind_dirs[kind],
                           op_names[op], k->op_s[op]);
        }
        /* Big cases: keep the disk footprint of a full run small. */
        if (!opt_keep)
            benchRmTree(dir);
    }
    if (!opt_keep)
        benchRmTree(casedir);
    g_printerr("virtsnap-bench: %s: done in %.0f s\n", c->name, benchNow() - t0);
}

/* ---------------------------------------------------------------- */
/* Table                                                              */

static char *
fmtBytes(guint64 b)
{
    if (b >= 10 * MIB)
        return g_strdup_printf("%.1f MiB", b / MIB);
    if (b >= 10 * KIB)
        return g_strdup_printf("%.1f KiB", b / KIB);
    return g_strdup_printf("%" G_GUINT64_FORMAT " B", b);
}

static char *
na(const KindResult *k)
{
    return g_strdup_printf("n/a (%s)", k->why ? k->why : "not measured");
}

typedef char *(*CellFunc)(const CaseResult *cr, double baseline_kib);

static char *
cellShape(const CaseResult *cr, double b)
{
    return g_strdup_printf("%s, %u", benchShapeToString(cr->c->shape), cr->c->snapshots);
}

static char *
cellRecord(const CaseResult *cr, double b)
{
    const KindResult *k = &cr->kind[KIND_PLAIN];
    if (!k->apparent)
        return na(k);
    g_autofree char *s = fmtBytes(k->apparent / cr->c->snapshots);
    return g_strdup_printf("%s", s);
}

static char *
diskCell(const KindResult *k, guint n)
{
    if (!k->apparent)
        return na(k);
    g_autofree char *a = fmtBytes(k->apparent);
    g_autofree char *l = fmtBytes(k->allocated);
    g_autofree char *per = fmtBytes(k->allocated / n);
    return g_strdup_printf("%s / %s (%s per snapshot)", a, l, per);
}

static char *
cellDiskPlain(const CaseResult *cr, double b)
{
    return diskCell(&cr->kind[KIND_PLAIN], cr->c->snapshots);
}

static char *
cellDiskZstd(const CaseResult *cr, double b)
{
    const KindResult *k = &cr->kind[KIND_ZSTD];
    if (!k->apparent)
        return na(k);
    g_autofree char *a = fmtBytes(k->apparent);
    g_autofree char *l = fmtBytes(k->allocated);
    return g_strdup_printf("%s / %s (%.0f B per snapshot)", a, l,
                           (double) k->apparent / cr->c->snapshots);
}

static char *
cellDiskLegacy(const CaseResult *cr, double b)
{
    const KindResult *k = &cr->kind[KIND_LEGACY];
    if (!k->apparent)
        return na(k);
    g_autofree char *d = diskCell(k, cr->c->snapshots);
    return g_strdup_printf("%s, %" G_GUINT64_FORMAT " files", d, k->files);
}

static char *
loadCell(const KindResult *k, guint n)
{
    if (!k->ok || k->load_s == 0)
        return na(k);
    g_autofree char *ms = benchFormatMs(k->load_s);
    return g_strdup_printf("%s (%.3f per snapshot)", ms, k->load_s * 1000 / n);
}

static char *
cellLoadPlain(const CaseResult *cr, double b)
{
    return loadCell(&cr->kind[KIND_PLAIN], cr->c->snapshots);
}

static char *
cellLoadZstd(const CaseResult *cr, double b)
{
    return loadCell(&cr->kind[KIND_ZSTD], cr->c->snapshots);
}

static char *
cellLoadLegacy(const CaseResult *cr, double b)
{
    return loadCell(&cr->kind[KIND_LEGACY], cr->c->snapshots);
}

static char *
rssCell(const KindResult *k, guint n, double baseline)
{
    if (!k->ok || k->rss_kib == 0)
        return na(k);
    return g_strdup_printf("%.1f (+%.1f KiB per snapshot)", k->rss_kib / KIB,
                           (k->rss_kib - baseline) / n);
}

static char *
cellRssPlain(const CaseResult *cr, double b)
{
    return rssCell(&cr->kind[KIND_PLAIN], cr->c->snapshots, b);
}

static char *
cellRssZstd(const CaseResult *cr, double b)
{
    return rssCell(&cr->kind[KIND_ZSTD], cr->c->snapshots, b);
}

static char *
cellRssLegacy(const CaseResult *cr, double b)
{
    return rssCell(&cr->kind[KIND_LEGACY], cr->c->snapshots, b);
}

static char *
opCell(const CaseResult *cr, guint op)
{
    const KindResult *p = &cr->kind[KIND_PLAIN], *z = &cr->kind[KIND_ZSTD];
    g_autofree char *ps = p->op_ok[op] ? benchFormatMs(p->op_s[op]) : g_strdup("n/a");
    g_autofree char *zs = z->op_ok[op] ? benchFormatMs(z->op_s[op]) : g_strdup("n/a");
    return g_strdup_printf("%s / %s", ps, zs);
}

#define OP_CELL(idx, fn) \
    static char *fn(const CaseResult *cr, double b) { return opCell(cr, idx); }
OP_CELL(OP_CREATE, cellOpCreate)
OP_CELL(OP_REDEFINE, cellOpRedefine)
OP_CELL(OP_CURRENT, cellOpCurrent)
OP_CELL(OP_DELETE, cellOpDelete)
OP_CELL(OP_DELETE_CHILDREN, cellOpDeleteChildren)

static char *
cellCommits(const CaseResult *cr, double b)
{
    GString *s = g_string_new(NULL);
    for (StoreKind kind = KIND_PLAIN; kind <= KIND_ZSTD; kind++) {
        const KindResult *k = &cr->kind[kind];
        guint64 max = 0;
        gboolean all = TRUE;
        for (guint op = 0; op < OP_LAST; op++) {
            if (cr->c->snapshots < 2 && op == OP_DELETE_CHILDREN)
                continue;
            all &= k->op_ok[op];
            max = MAX(max, k->op_commits[op]);
        }
        if (kind > KIND_PLAIN)
            g_string_append(s, " / ");
        if (all)
            g_string_append_printf(s, "%" G_GUINT64_FORMAT, max);
        else
            g_string_append(s, "n/a");
    }
    return g_string_free(s, FALSE);
}

static const struct {
    const char *label;
    CellFunc fn;
} rows[] = {
    { "shape, snapshots", cellShape },
    { "record size (plain bulk file / N)", cellRecord },
    { "bulk file, plain: apparent / allocated", cellDiskPlain },
    { "bulk file, zstd: apparent / allocated", cellDiskZstd },
    { "legacy per-file dir: apparent / allocated", cellDiskLegacy },
    { "load, plain bulk file, ms", cellLoadPlain },
    { "load, zstd bulk file, ms", cellLoadZstd },
    { "load, legacy per-file dir (read-only), ms", cellLoadLegacy },
    { "peak RSS of the load, plain, MiB", cellRssPlain },
    { "peak RSS of the load, zstd, MiB", cellRssZstd },
    { "peak RSS of the load, legacy, MiB", cellRssLegacy },
    { NULL, NULL },  /* op rows follow: plain / zstd */
    { NULL, cellOpCreate },
    { NULL, cellOpRedefine },
    { NULL, cellOpCurrent },
    { NULL, cellOpDelete },
    { NULL, cellOpDeleteChildren },
    { "file replaces per operation (max), plain / zstd", cellCommits },
};

static void
printTable(CaseResult *res, guint n, double baseline_kib)
{
    guint op = 0;

    printf("| metric (median of K runs) |");
    for (guint i = 0; i < n; i++)
        printf(" %s, K=%u |", res[i].c->label, res[i].repeat);
    printf("\n|---|");
    for (guint i = 0; i < n; i++)
        printf("---|");
    printf("\n");
    printf("| peak RSS of a process loading an empty VM (baseline), MiB |");
    for (guint i = 0; i < n; i++)
        printf(" %.1f |", baseline_kib / KIB);
    printf("\n");
    for (guint r = 0; r < G_N_ELEMENTS(rows); r++) {
        const char *label = rows[r].label;
        if (!rows[r].fn)
            continue;
        if (!label)
            label = op_labels[op++];
        printf("| %s%s |", label, op > 0 && !rows[r].label ? " (plain / zstd)" : "");
        for (guint i = 0; i < n; i++) {
            g_autofree char *cell = rows[r].fn(&res[i], baseline_kib);
            printf(" %s |", cell);
        }
        printf("\n");
    }
}

/* ---------------------------------------------------------------- */

static double
measureBaseline(const char *workdir)
{
    g_autofree char *dir = g_build_filename(workdir, "empty", NULL);
    const char *args[] = { "--child-load", dir, BENCH_VM, NULL };
    g_autofree double *rss = g_new0(double, opt_repeat);

    g_mkdir_with_parents(dir, 0700);
    for (guint r = 0; r < opt_repeat; r++) {
        BenchChild res = { 0 };
        double t;
        guint count;
        long hwm = 0;
        if (benchRunChild(&res, args) < 0 ||
            sscanf(res.out, "load %lf %u %ld", &t, &count, &hwm) != 3)
            g_printerr("virtsnap-bench: baseline load failed: %s\n", res.out);
        rss[r] = hwm > 0 ? hwm : res.maxrss_kib;
        benchChildClear(&res);
    }
    benchRmTree(dir);
    return benchMedian(rss, opt_repeat);
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    gboolean quick = FALSE, keep = FALSE;
    gint repeat = 0;
    g_autofree char *workdir_parent = NULL;
    g_auto(GStrv) only = NULL;
    g_autofree char *workdir = NULL;
    g_autoptr(GArray) chosen = g_array_new(FALSE, FALSE, sizeof(BenchCase));
    g_autofree CaseResult *results = NULL;
    const BenchCase *cases;
    guint ncases;
    double baseline, t0 = benchNow();
    GOptionEntry entries[] = {
        { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Small smoke run (< 30 s)", NULL },
        { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
          "Runs per measurement, median reported (5; 3 with --quick)", "K" },
        { "case", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &only, "Only this case (repeatable)",
          "NAME" },
        { "workdir", 'w', 0, G_OPTION_ARG_FILENAME, &workdir_parent,
          "Where to create the scratch directory ($TMPDIR or /var/tmp)", "DIR" },
        { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the scratch directory", NULL },
        G_OPTION_ENTRY_NULL
    };

    /* Hidden child modes (see benchRunChild). */
    if (argc == 4 && g_str_equal(argv[1], "--child-load"))
        return benchChildLoad(argv[2], argv[3]);
    if (argc == 7 && g_str_equal(argv[1], "--child-ops"))
        return childOps(argv[2], argv[3], atoi(argv[4]), g_ascii_strtoull(argv[5], NULL, 10),
                        argv[6]);

    ctx = g_option_context_new("- benchmark libvirtsnap (prints a markdown table)");
    g_option_context_add_main_entries(ctx, entries, NULL);
    {
        GString *desc = g_string_new("Cases:\n");
        for (guint i = 0; i < G_N_ELEMENTS(default_cases); i++)
            g_string_append_printf(desc, "  %-14s %s\n", default_cases[i].name,
                                   default_cases[i].label);
        for (guint i = 0; i < G_N_ELEMENTS(quick_cases); i++)
            g_string_append_printf(desc, "  %-14s %s (--quick)\n", quick_cases[i].name,
                                   quick_cases[i].label);
        g_option_context_set_description(ctx, desc->str);
        g_string_free(desc, TRUE);
    }
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("virtsnap-bench: %s\n", error->message);
        return EXIT_FAILURE;
    }
    opt_keep = keep;
    opt_repeat = repeat > 0 ? repeat : quick ? 3 : 5;
    cases = quick ? quick_cases : default_cases;
    ncases = quick ? G_N_ELEMENTS(quick_cases) : G_N_ELEMENTS(default_cases);
    for (guint i = 0; i < G_N_ELEMENTS(default_cases) + G_N_ELEMENTS(quick_cases); i++) {
        const BenchCase *c = i < G_N_ELEMENTS(default_cases) ? &default_cases[i]
                             : &quick_cases[i - G_N_ELEMENTS(default_cases)];
        gboolean in_list = c >= cases && c < cases + ncases;
        if (only ? g_strv_contains((const char *const *) only, c->name) : in_list)
            g_array_append_val(chosen, *c);
    }
    if (chosen->len == 0) {
        g_printerr("virtsnap-bench: no such case; see --help\n");
        return EXIT_FAILURE;
    }

    if (!workdir_parent)
        workdir_parent = g_strdup(g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/var/tmp");
    workdir = g_build_filename(workdir_parent, "virtsnap-bench-XXXXXX", NULL);
    if (!g_mkdtemp(workdir)) {
        g_printerr("virtsnap-bench: %s: cannot create: %s\n", workdir, g_strerror(errno));
        return EXIT_FAILURE;
    }
    g_printerr("virtsnap-bench: scratch directory %s\n", workdir);

    baseline = measureBaseline(workdir);
    results = g_new0(CaseResult, chosen->len);
    for (guint i = 0; i < chosen->len; i++) {
        results[i].c = &g_array_index(chosen, BenchCase, i);
        runCase(&results[i], workdir);
    }
    printTable(results, chosen->len, baseline);
    for (guint i = 0; i < chosen->len; i++) {
        for (StoreKind k = 0; k < KIND_LAST; k++)
            g_free(results[i].kind[k].why);
    }
    if (!keep)
        benchRmTree(workdir);
    g_printerr("virtsnap-bench: done in %.1f s\n", benchNow() - t0);
    return EXIT_SUCCESS;
}
