/* checkpoint.c — virtsnap-bench-checkpoint: the checkpoint row of
 * docs/performance.md.  N checkpoints of one VM in a chain (each with the
 * VM's <domain>, as libvirt's redefine keeps it, and two disks), stored
 * in one file (plain and zstd): bytes on disk, the load of all N, and one
 * commit (a redefine of a new leaf).  Medians of --repeat runs; a load is
 * timed in a fresh process (no warm caches of the library's own).
 *
 *   build/bench/virtsnap-bench-checkpoint [--checkpoints N] [--repeat K] [--keep DIR]
 *
 * --keep DIR leaves the generated stores in DIR/plain and DIR/zstd.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "util.h"

#define VM "vm1"
#define UUID "0f4c2d8e-7a51-4b6f-8e3d-92a1c5b7e604"

/* The VM's definition as of change @version (it changes every 10
 * checkpoints, like virtsnap-bench's default --vary 10). */
static char *
domainXML(guint version)
{
    GString *d = g_string_new("<domain type='qemu'><name>" VM "</name><uuid>" UUID "</uuid>");
    g_string_append_printf(d, "<memory unit='KiB'>%u</memory><vcpu>1</vcpu>"
                           "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
                           "<devices>", 262144 + version);
    for (char dev = 'a'; dev <= 'b'; dev++)
        g_string_append_printf(d, "<disk type='file' device='disk'><driver name='qemu' "
                               "type='qcow2'/><source file='/var/lib/libvirt/images/" VM
                               "-vd%c.qcow2'/><target dev='vd%c' bus='virtio'/></disk>",
                               dev, dev);
    /* about the ~9 KB of a real definition, like virtsnap-bench's rows */
    for (int i = 0; i < 60; i++)
        g_string_append_printf(d, "<interface type='network'><mac address='52:54:00:00:%02x:%02x'/>"
                               "<source network='net%d'/><model type='virtio'/></interface>",
                               i / 256, i % 256, i);
    g_string_append(d, "</devices></domain>");
    return g_string_free(d, FALSE);
}

/* Checkpoint c<i>, child of c<parent> (none when @i is 0). */
static char *
checkpointXML(guint i, guint parent_i, const char *domain)
{
    g_autofree char *parent = i ? g_strdup_printf("<parent><name>c%05u</name></parent>",
                                                  parent_i)
                                : g_strdup("");
    return g_strdup_printf("<domaincheckpoint><name>c%05u</name>%s<creationTime>%u"
                           "</creationTime><disks><disk name='vda'/><disk name='vdb' "
                           "checkpoint='no'/></disks>%s</domaincheckpoint>",
                           i, parent, 1700000000 + i, domain);
}

/* The N records in one commit (vsDomainReplace). */
static void
generate(const char *dir, guint n, gboolean zstd)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < n; i++) {
        g_autofree char *domain = domainXML(i / 10);
        g_autofree char *xml = checkpointXML(i, i - 1, domain);
        vsCheckpoint *chk = NULL;
        if (vsCheckpointParse(&chk, xml, strlen(xml), VS_CHECKPOINT_PARSE_REDEFINE, 0,
                              &error) < 0)
            g_error("parse: %s", error->message);
        g_ptr_array_add(recs, chk);
    }
    if (vsStoreOpen(&store, dir, VS_STORE_OPEN_CREATE, &error) < 0)
        g_error("open: %s", error->message);
    if (vsStoreSaveCompression(store, zstd, &error) < 0)
        g_error("config: %s", error->message);
    if (vsStoreLoadCheckpoints(&dom, store, VM, UUID, VS_DOMAIN_LOAD_WRITE, &error) < 0 ||
        vsDomainReplace(dom, (vsMoment *const *) recs->pdata, recs->len, NULL, &error) < 0)
        g_error("store: %s", error->message);
}

/* One load in a fresh process: wall seconds, and *cpu its user + system
 * seconds (what a busy machine does not inflate); < 0 on failure. */
static double
timeLoad(const char *dir, guint n, double *cpu)
{
    int fd[2];
    double t[2] = { -1, -1 };
    pid_t pid;

    g_assert(pipe(fd) == 0);
    pid = fork();
    if (pid == 0) {
        g_autoptr(vsStore) store = NULL;
        g_autoptr(vsDomain) dom = NULL;
        struct rusage r0, r1;
        double t0 = benchNow(), took[2];

        getrusage(RUSAGE_SELF, &r0);
        if (vsStoreOpen(&store, dir, 0, NULL) < 0 ||
            vsStoreLoadCheckpoints(&dom, store, VM, NULL, 0, NULL) < 0 ||
            vsDomainCount(dom) != n)
            _exit(1);
        took[0] = benchNow() - t0;
        getrusage(RUSAGE_SELF, &r1);
        took[1] = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
                  (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                  ((r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                   (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) / 1e6;
        _exit(write(fd[1], took, sizeof(took)) == sizeof(took) ? 0 : 1);
    }
    close(fd[1]);
    if (read(fd[0], t, sizeof(t)) != sizeof(t))
        t[0] = t[1] = -1;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    *cpu = t[1];
    return t[0];
}

/* Load for writing, redefine one new leaf, commit: seconds (the commit's
 * call only, the load apart). */
static double
timeCommit(const char *dir, guint n, guint k)
{
    g_autofree char *domain = domainXML((n - 1) / 10);
    /* a new leaf under the chain's last checkpoint */
    g_autofree char *xml = checkpointXML(n + k, n - 1, domain);
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    double t0;

    if (vsStoreOpen(&store, dir, 0, &error) < 0 ||
        vsStoreLoadCheckpoints(&dom, store, VM, NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
        g_error("load: %s", error->message);
    t0 = benchNow();
    if (vsDomainCheckpointCreateXML(NULL, dom, xml, strlen(xml), NULL,
                                    VS_CHECKPOINT_CREATE_REDEFINE, &error) < 0)
        g_error("commit: %s", error->message);
    return benchNow() - t0;
}

int
main(int argc, char **argv)
{
    guint n = 16384, repeat = 5;
    g_autofree char *work = NULL;
    const char *keep = NULL;
    const char *kinds[] = { "plain", "zstd" };

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--checkpoints") == 0)
            n = (guint) g_ascii_strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = (guint) g_ascii_strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = argv[i + 1];
    }
    work = keep ? g_strdup(keep) : g_dir_make_tmp("virtsnap-bench-ckpt-XXXXXX", NULL);
    if (n < 2 || repeat < 1)
        g_error("usage: %s [--checkpoints N>=2] [--repeat K>=1]", argv[0]);
    printf("| checkpoints, chain %u x ~9 KB | bytes on disk | load, ms (CPU ms) | commit: "
           "redefine a new leaf, ms |\n|---|---|---|---|\n", n);
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        g_autofree char *dir = g_build_filename(work, kinds[k], NULL);
        g_autofree char *file = g_build_filename(dir, VM ".xml", NULL);
        g_autofree double *loads = g_new0(double, repeat);
        g_autofree double *cpus = g_new0(double, repeat);
        g_autofree double *commits = g_new0(double, repeat);
        g_autofree char *load_ms = NULL, *cpu_ms = NULL, *commit_ms = NULL;
        struct stat st;

        generate(dir, n, k == 1);
        g_assert(stat(file, &st) == 0);
        for (guint r = 0; r < repeat; r++)
            loads[r] = timeLoad(dir, n, &cpus[r]);
        for (guint r = 0; r < repeat; r++)
            commits[r] = timeCommit(dir, n, r + 1);
        load_ms = benchFormatMs(benchMedian(loads, repeat));
        cpu_ms = benchFormatMs(benchMedian(cpus, repeat));
        commit_ms = benchFormatMs(benchMedian(commits, repeat));
        printf("| %s | %.1f MiB (%.0f B per checkpoint) | %s (%s) | %s |\n", kinds[k],
               st.st_size / BENCH_MIB, (double) st.st_size / n, load_ms, cpu_ms, commit_ms);
        fflush(stdout);
        if (!keep)
            benchRmTree(dir);
    }
    if (!keep)
        benchRmTree(work);
    return 0;
}
