/* test-write-since.c — a commit's write that visits only the runs around
 * what changed (vsBulkFileWriteSince, issue 16) writes the document, and
 * the runs, of the write that walks every record (vsBulkFileWrite), each
 * run cut into at most SEGMENT_MAX_PIECES frames of whole records,
 * whatever the changes: seeded random operations on versions of a tree
 * (vsTreeCopy), with intermediate versions as a batch makes, and reloads
 * of the file in between (the loader's runs).  And a record appended to a
 * run copies the frames the run had.  In format 3 (pieces) the same, the
 * files compared as the documents they load as (ids and packs depend on
 * the writes before). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "format/bulkfile-private.h"
#include "snapshot/snapshot.h"
#include "testutil.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define NAMES 400

static char *dir;
static int dirfd_;
static vsCompression write_mode = VS_COMPRESSION_ZSTD;

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
        g_assert_cmpint(vsBulkFileWriteSince(af, old, tree, UUID, write_mode, reuse, segments,
                                             &error), ==, 0);
    else
        g_assert_cmpint(vsBulkFileWrite(af, tree, UUID, write_mode, reuse, segments, &error),
                        ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    data = vsTestReadFile(path, &len);
    return g_bytes_new_take(data, len);
}

static char *
decompressAll(GBytes *file)
{
    g_autoptr(GString) doc = g_string_new(NULL);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { NULL, 0, 0 };
    char chunk[16 * 1024];
    size_t r = 1;

    in.src = g_bytes_get_data(file, &in.size);
    while (in.pos < in.size || r != 0) {
        ZSTD_outBuffer out = { chunk, sizeof(chunk), 0 };

        r = ZSTD_decompressStream(dctx, &out, &in);
        g_assert_false(ZSTD_isError(r));
        g_string_append_len(doc, chunk, out.pos);
        if (in.pos == in.size && out.pos < sizeof(chunk))
            break;
    }
    ZSTD_freeDCtx(dctx);
    return g_string_free(g_steal_pointer(&doc), FALSE);
}

/* @cut holds the records of @runs, in the same order, in frames that
 * each end inside or at the end of one run, at most SEGMENT_MAX_PIECES
 * for the last run and one for every other, and each frame holds exactly
 * its records. */
static void
assertSameRuns(const vsBulkSegments *cut, const vsBulkSegments *runs)
{
    guint frame = 0, at = 0;

    g_assert_cmpint(vsBulkSegmentsVerify(cut, NULL), ==, 0);
    for (guint r = 0; r < runs->segments->len; r++) {
        const BulkSegment *run = runs->segments->pdata[r];
        guint pieces = 0;

        for (guint k = 0; k < run->records->len;) {
            const BulkSegment *piece;

            g_assert_cmpuint(frame, <, cut->segments->len);
            piece = cut->segments->pdata[frame];
            g_assert_true(piece->records->pdata[at] == run->records->pdata[k]);
            k++;
            if (++at == piece->records->len) {
                frame++;
                at = 0;
                pieces++;
            }
        }
        g_assert_cmpuint(at, ==, 0);   /* no frame crosses a run's end */
        g_assert_cmpuint(pieces, <=, SEGMENT_MAX_PIECES);
        /* only the run still open at the document's end is in pieces */
        if (r + 1 < runs->segments->len)
            g_assert_cmpuint(pieces, ==, 1);
    }
    g_assert_cmpuint(frame, ==, cut->segments->len);
}

/* @file loads as the document of @tree (format 2's text of it). */
static void
assertLoadsAs(const char *file, const vsTree *tree)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) loaded = NULL;
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GString) want = g_string_new(NULL);

    g_assert_cmpint(vsBulkFileRead(&loaded, NULL, &vsSnapshotKind, dirfd_, dir, file, NULL,
                                   &error), ==, 0);
    vsBulkFileFormat(got, loaded, UUID);
    vsBulkFileFormat(want, tree, UUID);
    g_assert_cmpstr(got->str, ==, want->str);
}

static void
testSameRuns(gconstpointer data)
{
    guint fast_rounds = 0, seeds = data ? 6 : 12;

    write_mode = data ? VS_COMPRESSION_PIECES : VS_COMPRESSION_ZSTD;
    dir = vsTestTempDir();
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(dirfd_, >=, 0);

    for (guint32 seed = 1; seed <= seeds; seed++) {
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
            g_autoptr(vsBulkSegments) segs_c = NULL;
            g_autoptr(GBytes) a = NULL;
            g_autoptr(GBytes) b = NULL;
            g_autoptr(GBytes) c = NULL;
            g_autofree char *doc_a = NULL;
            g_autofree char *doc_c = NULL;

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
            /* Records copied from the previous frames (appendKept) are
             * the bytes formatting them gives, and the full walk copies
             * only frames that hold a whole run: the same file as a write
             * that reuses nothing. */
            c = writeFile("c.xml", NULL, next, NULL, &segs_c);
            if (write_mode == VS_COMPRESSION_PIECES) {
                /* Ids and packs depend on the writes before: the same
                 * tree loaded, the same runs. */
                assertLoadsAs("a.xml", next);
                if (round % 4 == 0) {
                    assertLoadsAs("b.xml", next);
                    assertLoadsAs("c.xml", next);
                }
                assertSameRuns(segs_a, segs_c);
                assertSameRuns(segs_b, segs_c);
            } else {
                g_assert_true(g_bytes_equal(b, c));
                /* The write that visits only the changes: the same
                 * document and runs, a run perhaps in several frames. */
                doc_a = decompressAll(a);
                doc_c = decompressAll(c);
                g_assert_cmpstr(doc_a, ==, doc_c);
                assertSameRuns(segs_a, segs_c);
            }
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
    g_assert_cmpuint(fast_rounds, ==, seeds * 60);
    close(dirfd_);
    g_free(dir);
    write_mode = VS_COMPRESSION_ZSTD;
}

static vsSnapshot *
chainRecord(const char *name, const char *parent, guint time)
{
    g_autofree char *xml = g_strdup_printf(
        "<domainsnapshot><name>%s</name><state>shutoff</state>%s%s%s"
        "<creationTime>%u</creationTime><domain type='kvm'><name>demo</name>"
        "<uuid>" UUID "</uuid><description>%s</description></domain></domainsnapshot>",
        name, parent ? "<parent><name>" : "", parent ? parent : "",
        parent ? "</name></parent>" : "", time, name);
    vsSnapshot *snap = NULL;

    g_assert_cmpint(vsSnapshotParse(&snap, xml, strlen(xml), VS_SNAPSHOT_PARSE_REDEFINE, 0,
                                    NULL, NULL), ==, 0);
    return snap;
}

/* A record under @parent whose name ends a run (@ends) or not (the rule
 * applied to it alone); its name in @name. */
static vsSnapshot *
runLeaf(char name[16], const char *parent, guint time, gboolean ends, guint *added)
{
    for (;;) {
        vsBulkRunState fresh = { 0, 0 };
        vsSnapshot *snap;

        g_snprintf(name, 16, "leaf%u", (*added)++);
        snap = chainRecord(name, parent, time);
        if ((vsBulkRunRuleOf((gpointer const *) &snap, 1, FALSE, &fresh) == RUN_RULE_ENDS) == ends)
            return snap;
        vsMomentUnref(snap);
    }
}

/* @frame is @moment's record alone as a small frame: zstd level
 * SMALL_FRAME_LEVEL with a 2^SMALL_FRAME_HASH_LOG hash table (with
 * level 3's tables it is other bytes). */
static void
assertSmallFrame(GBytes *frame, const vsMoment *moment)
{
    g_autoptr(GString) text = g_string_new(NULL);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    g_autofree char *want = NULL;
    gsize bound;
    size_t n;

    vsMomentFormatStored(text, moment, UUID, 1);
    g_assert_cmpuint(text->len, >, 8 * 1024);
    g_assert_cmpuint(text->len, <, SMALL_FRAME_MAX);
    bound = ZSTD_compressBound(text->len);
    want = g_malloc(bound);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, SMALL_FRAME_LEVEL);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, SMALL_FRAME_HASH_LOG);
    n = ZSTD_compress2(cctx, want, bound, text->str, text->len);
    ZSTD_freeCCtx(cctx);
    g_assert_false(ZSTD_isError(n));
    g_assert_cmpmem(g_bytes_get_data(frame, NULL), g_bytes_get_size(frame), want, n);
}

static const BulkSegment *
lastFrame(const vsBulkSegments *segs, guint from_end)
{
    return segs->segments->pdata[segs->segments->len - 1 - from_end];
}

/* Leaves appended one by one at the end of the document (a growing
 * history, as creates make it): the frames the last run had are copied
 * and each new record gets a frame of its own, until the run would be in
 * more than SEGMENT_MAX_PIECES frames: then it is one frame again.
 * Deleting the leaf again gives back the frames from before.  A leaf that
 * ends the run closes it as one frame. */
static void
testAppendKeepsFrames(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsBulkSegments) cache = NULL;
    g_autoptr(GBytes) first = NULL;
    const BulkSegment *tail;
    char name[16], parent[16];
    guint time = 1, added = 0;

    dir = vsTestTempDir();
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (guint i = 0; i < 100; i++) {
        g_autoptr(vsSnapshot) snap = NULL;

        g_snprintf(name, sizeof(name), "c%03u", i);
        snap = chainRecord(name, i ? parent : NULL, time++);
        g_assert_cmpint(vsTreeRedefine(tree, snap, NULL), ==, 0);
        g_strlcpy(parent, name, sizeof(parent));
    }
    first = writeFile("a.xml", NULL, tree, NULL, &cache);
    tail = lastFrame(cache, 0);
    /* This chain's names leave its last run open (no boundary after c099). */
    g_assert_cmpint(tail->rule, ==, RUN_RULE_OPEN);
    g_assert_cmpuint(tail->records->len, >, 1);

    for (guint n = 1; n <= SEGMENT_MAX_PIECES; n++) {
        g_autoptr(vsTree) next = vsTreeCopy(tree);
        g_autoptr(vsBulkSegments) segs = NULL;
        g_autoptr(vsSnapshot) leaf = runLeaf(name, parent, time++, FALSE, &added);
        g_autoptr(GBytes) file = NULL;

        g_assert_cmpint(vsTreeRedefine(next, leaf, NULL), ==, 0);
        file = writeFile("a.xml", tree, next, cache, &segs);
        g_assert_true(lastFrame(segs, 0)->records->pdata[lastFrame(segs, 0)->records->len - 1] ==
                      (gpointer) leaf);
        if (n < SEGMENT_MAX_PIECES) {
            /* every frame before kept, the leaf alone in a new one */
            g_assert_cmpuint(segs->segments->len, ==, cache->segments->len + 1);
            for (guint i = 0; i < cache->segments->len; i++)
                g_assert_true(segs->segments->pdata[i] == cache->segments->pdata[i]);
            g_assert_cmpuint(lastFrame(segs, 0)->records->len, ==, 1);
            g_assert_true(lastFrame(segs, n) == tail);
        } else {
            /* one frame again: the run's records and the leaf */
            g_assert_cmpuint(segs->segments->len, ==, cache->segments->len + 1 - n);
            g_assert_cmpuint(lastFrame(segs, 0)->records->len, ==, tail->records->len + n);
        }
        if (n == 1) {
            /* deleting it again: the frames from before, nothing formed */
            g_autoptr(vsTree) back = vsTreeCopy(next);
            g_autoptr(vsBulkSegments) again = NULL;
            g_autoptr(GBytes) undone = NULL;

            g_assert_cmpint(vsTreeDelete(back, name, 0, NULL), ==, 0);
            undone = writeFile("a.xml", next, back, segs, &again);
            g_assert_true(g_bytes_equal(undone, first));
            g_assert_cmpuint(again->segments->len, ==, cache->segments->len);
            for (guint i = 0; i < cache->segments->len; i++)
                g_assert_true(again->segments->pdata[i] == cache->segments->pdata[i]);
        }
        vsBulkSegmentsFree(cache);
        cache = g_steal_pointer(&segs);
        vsTreeFree(tree);
        tree = g_steal_pointer(&next);
        g_strlcpy(parent, name, sizeof(parent));
    }
    for (guint n = 1; n <= 2; n++) {
        g_autoptr(vsTree) next = vsTreeCopy(tree);
        g_autoptr(vsBulkSegments) segs = NULL;
        g_autoptr(vsSnapshot) leaf = runLeaf(name, parent, time++, n == 2, &added);
        g_autoptr(GBytes) file = NULL;
        guint before = cache->segments->len;

        g_assert_cmpint(vsTreeRedefine(next, leaf, NULL), ==, 0);
        file = writeFile("a.xml", tree, next, cache, &segs);
        if (n == 1) {
            g_assert_cmpuint(segs->segments->len, ==, before + 1);   /* a piece */
        } else {
            /* closed: the run's two pieces and the leaf in one frame */
            g_assert_cmpuint(segs->segments->len, ==, before - 1);
            g_assert_cmpint(lastFrame(segs, 0)->rule, ==, RUN_RULE_ENDS);
        }
        vsBulkSegmentsFree(cache);
        cache = g_steal_pointer(&segs);
        vsTreeFree(tree);
        tree = g_steal_pointer(&next);
        g_strlcpy(parent, name, sizeof(parent));
    }
    close(dirfd_);
    g_free(dir);
}

/* A record appended in a piece of its own, ~9 KB as the generator's: its
 * frame is a small frame (assertSmallFrame). */
static void
testSmallFrameLevel(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsTree) next = NULL;
    g_autoptr(vsBulkSegments) cache = NULL;
    g_autoptr(vsBulkSegments) segs = NULL;
    g_autoptr(GBytes) first = NULL;
    g_autoptr(GBytes) file = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(16);
    g_autoptr(GString) xml = g_string_new(NULL);
    g_autoptr(vsSnapshot) leaf = NULL;
    char name[16], parent[16];

    dir = vsTestTempDir();
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (guint i = 0; i < 100; i++) {
        g_autoptr(vsSnapshot) snap = NULL;

        g_snprintf(name, sizeof(name), "c%03u", i);
        snap = chainRecord(name, i ? parent : NULL, i + 1);
        g_assert_cmpint(vsTreeRedefine(tree, snap, NULL), ==, 0);
        g_strlcpy(parent, name, sizeof(parent));
    }
    first = writeFile("a.xml", NULL, tree, NULL, &cache);
    g_assert_cmpint(lastFrame(cache, 0)->rule, ==, RUN_RULE_OPEN);
    /* c099's child "leaf1" does not end the run (runLeaf's first name) */
    g_string_append(xml, "<domainsnapshot><name>leaf1</name><state>shutoff</state>"
                    "<parent><name>c099</name></parent><creationTime>200</creationTime>"
                    "<domain type='kvm'><name>demo</name><uuid>" UUID "</uuid><devices>");
    for (guint i = 0; i < 70; i++)
        g_string_append_printf(xml, "<interface type='network'><mac address='52:54:00:%02x:%02x:"
                               "%02x'/><source network='net%u'/></interface>",
                               g_rand_int_range(rand, 0, 256), g_rand_int_range(rand, 0, 256),
                               g_rand_int_range(rand, 0, 256), g_rand_int_range(rand, 0, 9999));
    g_string_append(xml, "</devices></domain></domainsnapshot>");
    g_assert_cmpint(vsSnapshotParse(&leaf, xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE, 0,
                                    NULL, NULL), ==, 0);
    next = vsTreeCopy(tree);
    g_assert_cmpint(vsTreeRedefine(next, leaf, NULL), ==, 0);
    file = writeFile("a.xml", tree, next, cache, &segs);
    g_assert_cmpuint(segs->segments->len, ==, cache->segments->len + 1);
    g_assert_cmpuint(lastFrame(segs, 0)->records->len, ==, 1);
    assertSmallFrame(lastFrame(segs, 0)->frame, (const vsMoment *) leaf);
    close(dirfd_);
    g_free(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/segments/write-since/same-runs", NULL, testSameRuns);
    g_test_add_data_func("/segments/write-since/same-runs-pieces", "pieces", testSameRuns);
    g_test_add_func("/segments/write-since/append-keeps-frames", testAppendKeepsFrames);
    g_test_add_func("/segments/write-since/small-frame-level", testSmallFrameLevel);
    return g_test_run();
}
