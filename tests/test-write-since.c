/* test-write-since.c — a commit's write that visits only the runs around
 * what changed (vsBulkFileWriteSince, issue 16) writes exactly the bytes
 * of the write that walks every record (vsBulkFileWrite), whatever the
 * changes: seeded random operations on versions of a tree (vsTreeCopy),
 * with intermediate versions as a batch makes, and reloads of the file in
 * between (the loader's runs). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "format/bulkfile.h"
#include "snapshot/snapshot.h"
#include "testutil.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define NAMES 400

static char *dir;
static int dirfd_;

static vsSnapshot *
record(GRand *rand, const char *name, const char *parent)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) xml = g_string_new("<domainsnapshot>");
    vsSnapshot *snap = NULL;

    g_string_append_printf(xml, "<name>%s</name><state>shutoff</state>", name);
    if (parent)
        g_string_append_printf(xml, "<parent><name>%s</name></parent>", parent);
    g_string_append_printf(xml, "<creationTime>%d</creationTime>",
                           g_rand_int_range(rand, 1, 2000));
    if (g_rand_int_range(rand, 0, 8) == 0) {
        /* No full <domain>: its stored form comes from the VM's uuid. */
        g_string_append(xml, "<domain><uuid>" UUID "</uuid></domain>");
    } else {
        g_string_append_printf(xml, "<domain type='kvm'><name>demo</name><uuid>" UUID "</uuid>"
                               "<memory unit='KiB'>1048576</memory><description>generation"
                               " %d %s</description></domain>",
                               g_rand_int_range(rand, 0, 4), g_rand_boolean(rand) ? name : "");
    }
    g_string_append(xml, "</domainsnapshot>");
    if (vsSnapshotParse(&snap, xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL,
                        &error) < 0)
        g_error("record %s: %s", name, error->message);
    return snap;
}

static const char *
someName(GRand *rand, char buf[8])
{
    g_snprintf(buf, 8, "n%03d", g_rand_int_range(rand, 0, NAMES));
    return buf;
}

/* One random change (refusals ignored: the tree stays as it was). */
static void
change(vsTree *tree, GRand *rand)
{
    static const unsigned int flags[] = { 0, VS_SNAPSHOT_DELETE_CHILDREN,
                                          VS_SNAPSHOT_DELETE_CHILDREN_ONLY };
    g_autoptr(GError) error = NULL;
    char name[8], parent[8];
    guint what = g_rand_int_range(rand, 0, 10);

    someName(rand, name);
    if (what < 6) {
        const char *p = g_rand_int_range(rand, 0, 6) ? someName(rand, parent) : NULL;
        g_autoptr(vsSnapshot) snap = NULL;

        if (p && !vsTreeLookup(tree, p))
            p = NULL;
        snap = record(rand, name, p);
        vsTreeRedefine(tree, snap, &error);
    } else if (what < 9) {
        vsTreeDelete(tree, name, flags[g_rand_int_range(rand, 0, 3)], &error);
    } else {
        vsTreeSetCurrent(tree, vsTreeLookup(tree, name) ? name : NULL, &error);
    }
}

static GBytes *
writeFile(const char *file, const vsTree *old, const vsTree *tree, const vsBulkSegments *reuse,
          vsBulkSegments **segments)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *path = g_build_filename(dir, file, NULL);
    char *data;
    gsize len;

    g_assert_cmpint(vsAtomicFileOpen(&af, dirfd_, dir, file, &error), ==, 0);
    if (old)
        g_assert_cmpint(vsBulkFileWriteSince(af, old, tree, UUID, TRUE, reuse, segments,
                                             &error), ==, 0);
    else
        g_assert_cmpint(vsBulkFileWrite(af, tree, UUID, TRUE, reuse, segments, &error), ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    data = vsTestReadFile(path, &len);
    return g_bytes_new_take(data, len);
}

static void
testSameBytes(void)
{
    guint fast_rounds = 0;

    dir = vsTestTempDir();
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(dirfd_, >=, 0);

    for (guint32 seed = 1; seed <= 12; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        vsTree *tree = vsTreeNew(&vsSnapshotKind);
        vsBulkSegments *cache = NULL;
        g_autoptr(GBytes) first = NULL;

        for (guint i = 0; i < 600; i++)
            change(tree, rand);
        first = writeFile("a.xml", NULL, tree, NULL, &cache);

        for (guint round = 0; round < 60; round++) {
            vsTree *next = vsTreeCopy(tree);
            vsBulkSegments *segs_a = NULL, *segs_b = NULL;
            g_autoptr(GBytes) a = NULL;
            g_autoptr(GBytes) b = NULL;

            for (guint k = g_rand_int_range(rand, 1, 4); k > 0; k--)
                change(next, rand);
            if (g_rand_int_range(rand, 0, 5) == 0) {
                /* A batch: a version of a version, the first dropped. */
                vsTree *more = vsTreeCopy(next);

                change(more, rand);
                vsTreeFree(next);
                next = more;
            }
            a = writeFile("a.xml", tree, next, cache, &segs_a);
            b = writeFile("b.xml", NULL, next, cache, &segs_b);
            g_assert_true(g_bytes_equal(a, b));
            vsBulkSegmentsFree(segs_b);
            vsBulkSegmentsFree(cache);
            cache = segs_a;
            vsTreeFree(tree);
            tree = next;
            fast_rounds++;

            if (g_rand_int_range(rand, 0, 10) == 0) {
                /* Go on from the file as loaded: the loader's runs. */
                g_autoptr(GError) error = NULL;

                vsTreeFree(tree);
                vsBulkSegmentsFree(cache);
                tree = NULL;
                cache = NULL;
                g_assert_cmpint(vsBulkFileRead(&tree, &cache, &vsSnapshotKind, dirfd_, dir,
                                               "a.xml", NULL, &error), ==, 0);
            }
        }
        vsBulkSegmentsFree(cache);
        vsTreeFree(tree);
    }
    g_assert_cmpuint(fast_rounds, ==, 12 * 60);
    close(dirfd_);
    g_free(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/segments/write-since/same-bytes", testSameBytes);
    return g_test_run();
}
