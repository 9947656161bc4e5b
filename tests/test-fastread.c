/* test-fastread.c — the bulk file's two readers agree (issue 16): the fast
 * reader of this writer's own layout (format/bulkfile-fast.c) and the
 * streaming DOM reader give equal trees and segments for every document
 * the fast one takes, and a document it declines loads (or fails with the
 * same one-line error) exactly as before.  Documents: every fixture record
 * stored by this writer, records with odd names and texts, plain and zstd,
 * and thousands of byte-level mutations of them under several load
 * limits. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bulkfile-private.h"
#include "format/domaindedup.h"
#include "record/xmlsubtree.h"
#include "snapshot/snapshot.h"
#include "checkpoint/checkpoint.h"
#include "util/xmltext.h"
#include "testutil.h"
#include "../fuzz/fuzz-common.h"   /* the fuzzers' oracle: fuzzSameDomains */

typedef struct {
    int ret;
    vsTree *tree;
    vsBulkSegments *segs;
    GError *error;
} Load;

static void
loadWith(Load *l, const vsMomentKind *kind, const char *doc, gsize len, vsBulkReader reader,
         guint64 max_held)
{
    vsBulkReadOptions opts = { .max_held = max_held, .reader = reader };

    memset(l, 0, sizeof(*l));
    l->ret = vsBulkFileParse(&l->tree, &l->segs, kind, doc, len, "t.xml", &opts, &l->error);
}

static void
loadClear(Load *l)
{
    g_clear_pointer(&l->tree, vsTreeFree);
    g_clear_pointer(&l->segs, vsBulkSegmentsFree);
    g_clear_error(&l->error);
}

static char *
formatTree(const vsTree *tree)
{
    GString *buf = g_string_new(NULL);
    vsBulkFileFormat(buf, tree, NULL);
    return g_string_free(buf, FALSE);
}

/* Same tree, same reusable frames (each holding the same records). */
static void
assertSameLoad(const Load *a, const Load *b)
{
    g_autofree char *fa = formatTree(a->tree);
    g_autofree char *fb = formatTree(b->tree);

    g_assert_cmpstr(fa, ==, fb);
    g_assert_true(fuzzSameDomains(a->tree, b->tree));
    g_assert_cmpuint(a->segs->segments->len, ==, b->segs->segments->len);
    g_assert_cmpint(a->segs->preorder, ==, b->segs->preorder);
    for (guint i = 0; i < a->segs->segments->len; i++) {
        const BulkSegment *sa = a->segs->segments->pdata[i], *sb = b->segs->segments->pdata[i];
        g_assert_cmpuint(sa->records->len, ==, sb->records->len);
        g_assert_true(g_bytes_equal(sa->frame, sb->frame));
        for (guint k = 0; k < sa->records->len; k++)
            g_assert_cmpstr(((vsMoment *) sa->records->pdata[k])->name, ==,
                            ((vsMoment *) sb->records->pdata[k])->name);
    }
}

/* The oracle.  Returns whether the fast reader took the document. */
static gboolean
checkReaders(const vsMomentKind *kind, const char *doc, gsize len, guint64 max_held)
{
    Load dom, fast, any;
    gboolean took;

    loadWith(&dom, kind, doc, len, VS_BULK_READER_DOM, max_held);
    loadWith(&fast, kind, doc, len, VS_BULK_READER_FAST, max_held);
    loadWith(&any, kind, doc, len, VS_BULK_READER_AUTO, max_held);
    took = fast.ret == 0;
    /* what the fast reader takes, the DOM reader takes the same way */
    if (took) {
        g_assert_no_error(dom.error);
        assertSameLoad(&fast, &dom);
    } else {
        g_assert_error(fast.error, VS_ERROR, VS_ERROR_FAILED);
    }
    /* and a load (both readers in turn) is what the DOM reader gives */
    g_assert_cmpint(any.ret, ==, dom.ret);
    if (dom.ret == 0) {
        assertSameLoad(&any, &dom);
    } else {
        g_assert_cmpint(any.error->code, ==, dom.error->code);
        g_assert_cmpstr(any.error->message, ==, dom.error->message);
    }
    loadClear(&dom);
    loadClear(&fast);
    loadClear(&any);
    return took;
}

/* The document of @tree as a commit writes it: plain, or zstd framed in
 * runs (as a store file is). */
static char *
writeDocument(const vsTree *tree, gboolean compress, gsize *len)
{
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *path = g_build_filename(dir, "vm.xml", NULL);
    g_autoptr(vsAtomicFile) af = NULL;
    g_autoptr(GError) error = NULL;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    char *data;

    g_assert_cmpint(vsAtomicFileOpen(&af, dirfd, dir, "vm.xml", &error), ==, 0);
    g_assert_cmpint(vsBulkFileWrite(af, tree, NULL, compress, NULL, NULL, &error), ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    close(dirfd);
    return data;
}

/* ---------------------------------------------------------------- */
/* Fixtures                                                           */

/* The records of libvirt file @path, as a bulk reader reads them (parents
 * dropped: each fixture comes from a tree of its own). */
static void
collectFixture(const char *path, GPtrArray *snaps, GPtrArray *checks, GHashTable *seen)
{
    g_autofree char *text = NULL;
    const char *rec;
    struct { const char *record, *list; const vsMomentKind *kind; GPtrArray *into; } kinds[] = {
        { "<domainsnapshot", "snapshots", &vsSnapshotKind, snaps },
        { "<domaincheckpoint", "checkpoints", &vsCheckpointKind, checks },
    };

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return;
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        g_autoptr(GPtrArray) records = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *doc = NULL;

        if (!(rec = strstr(text, kinds[k].record)))
            continue;
        doc = g_strdup_printf("<%s>%s</%s>", kinds[k].list, rec, kinds[k].list);
        if (vsBulkParseRecordsOnly(&records, kinds[k].kind, doc, strlen(doc), path,
                                   &error) < 0)
            continue;
        for (guint i = 0; i < records->len; i++) {
            vsMoment *m = records->pdata[i];
            /* fixtures of different trees reuse names */
            char *unique = g_strdup_printf("%u-%s", g_hash_table_size(seen), m->name);
            g_hash_table_add(seen, g_strdup(unique));
            g_free(m->name);
            m->name = unique;
            vsMomentSetParentName(m, NULL);
            g_ptr_array_add(kinds[k].into, vsMomentRef(m));
        }
    }
}

static void
collectDir(const char *dir, GPtrArray *snaps, GPtrArray *checks, GHashTable *seen)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            collectDir(path, snaps, checks, seen);
        else if (g_str_has_suffix(name, ".xml"))
            collectFixture(path, snaps, checks, seen);
    }
}

/* Every fixture record, stored by this writer, alone and all together,
 * plain and zstd: the fast reader takes each and agrees. */
static void
test_fixtures(void)
{
    g_autofree char *root = vsTestFixture("");
    g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *sets[] = { snaps, checks };
    const vsMomentKind *kinds[] = { &vsSnapshotKind, &vsCheckpointKind };

    collectDir(root, snaps, checks, seen);
    g_test_message("%u snapshot and %u checkpoint fixture records", snaps->len, checks->len);
    g_assert_cmpuint(snaps->len, >=, 15);
    g_assert_cmpuint(checks->len, >=, 15);
    for (guint k = 0; k < G_N_ELEMENTS(sets); k++) {
        for (guint i = 0; i <= sets[k]->len; i++) {
            /* each record alone, then (i == len) all of them */
            gboolean all = i == sets[k]->len;
            g_autoptr(vsTree) tree = NULL;
            g_autoptr(GError) error = NULL;

            g_assert_cmpint(vsTreeBuild(&tree, kinds[k], all ? (vsMoment **) sets[k]->pdata
                                                              : (vsMoment **) sets[k]->pdata + i,
                                        all ? sets[k]->len : 1, NULL, &error), ==, 0);
            for (int compress = 0; compress <= 1; compress++) {
                gsize len;
                g_autofree char *doc = writeDocument(tree, compress, &len);
                g_assert_true(checkReaders(kinds[k], doc, len, 0));
            }
        }
    }
}

/* ---------------------------------------------------------------- */
/* Odd names and texts, and mutations                                 */

/* A chain of snapshots with names and texts that need escaping, CRs,
 * blanks, non-ASCII, "]]>", repeated and distinct domains, and records
 * without <domain> or with only its uuid. */
static vsTree *
oddTree(void)
{
    static const char *names[] = {
        "plain", "tab\there", "amp&lt<gt>", "quo'te\"s", "ünï cødé ✓", " lead and trail ",
        "]]>", "semi;colon&#", "x",
    };
    static const char *descs[] = {
        NULL, "", " ", "line\nbreak", "cr\rlf\r\n", "a]]>b", "&amp; literally", "\t",
        "ünï", "<not a tag>",
    };
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    vsTree *tree = NULL;
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GString) xml = g_string_new("<domainsnapshot><name>");
        vsSnapshot *snap = NULL;

        vsXmlEscapeText(xml, names[i]);
        g_string_append(xml, "</name>");
        if (descs[i % G_N_ELEMENTS(descs)]) {
            g_string_append(xml, "<description>");
            vsXmlEscapeText(xml, descs[i % G_N_ELEMENTS(descs)]);
            g_string_append(xml, "</description>");
        }
        if (i > 0) {
            g_string_append(xml, "<parent><name>");
            vsXmlEscapeText(xml, names[i - 1]);
            g_string_append(xml, "</name></parent>");
        }
        g_string_append_printf(xml, "<state>%s</state><creationTime>%u</creationTime>",
                               i % 3 ? "shutoff" : "running", 1000 + i);
        if (i % 3 == 0)
            g_string_append(xml, "<memory snapshot='external' file='/var/m&apos;em &amp; x'/>");
        g_string_append(xml, "<disks><disk name='vda' snapshot='external'><source file='/s/"
                             "a b&amp;c'/></disk><disk name='vdb' snapshot='no'/></disks>");
        if (i % 4 == 3)
            g_string_append(xml, "<domain><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                                 "</domain>");
        else if (i % 4 != 2)
            g_string_append_printf(xml, "<domain type='kvm'><name>vm</name><uuid>"
                                   "1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid><memory "
                                   "unit='KiB'>%u</memory><metadata><a:x xmlns:a='urn:a'>t"
                                   "</a:x></metadata><devices><graphics type='vnc' "
                                   "passwd='s&amp;e&apos;c'/></devices></domain>",
                                   i < 5 ? 1024 : 2048);
        if (i % 3 == 0)
            g_string_append(xml, "<cookie><cpu mode='custom'><model>qemu64</model></cpu>"
                                 "</cookie>");
        g_string_append(xml, "</domainsnapshot>");
        g_assert_cmpint(vsSnapshotParse(&snap, xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE,
                                        0, NULL, &error), ==, 0);
        g_ptr_array_add(records, snap);
    }
    g_assert_cmpint(vsTreeBuild(&tree, &vsSnapshotKind, (vsMoment **) records->pdata,
                                records->len, names[4], &error), ==, 0);
    return tree;
}

static void
test_odd_names(void)
{
    g_autoptr(vsTree) tree = oddTree();

    for (int compress = 0; compress <= 1; compress++) {
        gsize len;
        g_autofree char *doc = writeDocument(tree, compress, &len);
        g_assert_true(checkReaders(&vsSnapshotKind, doc, len, 0));
    }
}

/* One byte-level edit of @m: a byte of @interesting (@n of them) set or
 * inserted, a byte erased, or a piece of @m copied elsewhere. */
static void
mutate(GString *m, GRand *rand, const char *interesting, gsize n)
{
    gsize at = g_rand_int_range(rand, 0, m->len);
    char c = interesting[g_rand_int_range(rand, 0, n)];

    switch (g_rand_int_range(rand, 0, 4)) {
    case 0: m->str[at] = c; break;
    case 1: g_string_insert_c(m, at, c); break;
    case 2: g_string_erase(m, at, 1); break;
    default: {
        gsize from = g_rand_int_range(rand, 0, m->len), len = g_rand_int_range(rand, 1, 64);
        g_autofree char *piece = g_strndup(m->str + from, MIN(len, m->len - from));
        g_string_insert(m, at, piece);
    }
    }
}

/* Byte-level mutations of the odd document: whatever the fast reader
 * takes, the DOM reader takes the same; everything else loads, or fails
 * with the same line, as with the DOM reader alone.  Load limits around
 * what the document needs exercise the budget's bound. */
static void
test_mutations(void)
{
    static const char interesting[] = "<>&'\"\r\t\n ]!?/=;#xa\x80\xff";
    static const guint64 limits[] = { 0, 6000, 12000, 20000, 40000, 80000 };
    g_autoptr(vsTree) tree = oddTree();
    gsize len;
    g_autofree char *doc = writeDocument(tree, FALSE, &len);
    /* VS_FASTREAD_RUNS / VS_FASTREAD_SEED: a longer soak by hand */
    const char *runs_env = g_getenv("VS_FASTREAD_RUNS"), *seed_env = g_getenv("VS_FASTREAD_SEED");
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed_env ? atoi(seed_env) : 16);
    guint took = 0, runs = runs_env ? atoi(runs_env) : 3000;

    for (guint r = 0; r < runs; r++) {
        g_autoptr(GString) m = g_string_new_len(doc, len);
        guint edits = g_rand_int_range(rand, 1, 4);

        for (guint e = 0; e < edits; e++)
            mutate(m, rand, interesting, sizeof(interesting) - 1);
        took += checkReaders(&vsSnapshotKind, m->str, m->len,
                             limits[g_rand_int_range(rand, 0, G_N_ELEMENTS(limits))]);
    }
    /* Many mutations land in text and stay in the fast reader's subset. */
    g_test_message("fast reader took %u of %u mutated documents", took, runs);
    g_assert_cmpuint(took, >, runs / 20);
}

/* A chain of @n snapshots whose <domain>s (about 6 KB each) take turns
 * among three definitions: its document outgrows the fast reader's
 * buffer, so records, repeats among them, run past what is buffered. */
static vsTree *
bigTree(guint n)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GError) error = NULL;
    vsTree *tree = NULL;

    for (guint i = 0; i < n; i++) {
        g_autoptr(GString) xml = g_string_new(NULL);
        vsSnapshot *snap = NULL;

        g_string_append_printf(xml, "<domainsnapshot><name>s%u</name>", i);
        if (i > 0)
            g_string_append_printf(xml, "<parent><name>s%u</name></parent>", i - 1);
        g_string_append_printf(xml, "<state>shutoff</state><creationTime>%u</creationTime>"
                               "<disks><disk name='vda' snapshot='internal'/></disks>"
                               "<domain type='kvm'><name>vm</name><memory unit='KiB'>%u"
                               "</memory><devices>", 1000 + i, 1024 * (i % 3 + 1));
        for (guint d = 0; d < 60; d++)
            g_string_append_printf(xml, "<disk type='file' device='disk'><source file='/var/"
                                   "lib/libvirt/images/d%u.qcow2'/><target dev='vd%u'/></disk>",
                                   d, d);
        g_string_append(xml, "</devices></domain></domainsnapshot>");
        g_assert_cmpint(vsSnapshotParse(&snap, xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE,
                                        0, NULL, &error), ==, 0);
        g_ptr_array_add(records, snap);
    }
    g_assert_cmpint(vsTreeBuild(&tree, &vsSnapshotKind, (vsMoment **) records->pdata,
                                records->len, "s0", &error), ==, 0);
    return tree;
}

/* Records read to their end tag from what is buffered, and, where one
 * runs past it, found by searching once more is read: plain and zstd, the
 * fast reader takes the document and agrees. */
static void
test_past_buffer(void)
{
    g_autoptr(vsTree) tree = bigTree(400);

    for (int compress = 0; compress <= 1; compress++) {
        gsize len;
        g_autofree char *doc = writeDocument(tree, compress, &len);
        if (!compress)
            g_assert_cmpuint(len, >, 2 * 1024 * 1024);
        g_assert_true(checkReaders(&vsSnapshotKind, doc, len, 0));
    }
}

/* A record whose end tag is not the first of its name (an element inside
 * it, in its own elements or in its first <domain>, ends with that same
 * tag) is declined, as when every record's end was found by searching. */
static void
test_inner_end_tag(void)
{
    static const struct { const char *after, *insert; } edits[] = {
        { "</state>", "<x><domainsnapshot></domainsnapshot></x>" },
        { "<domain type='kvm'>", "<domainsnapshot></domainsnapshot>" },
        { "</state>", "<x><domainsnapshot/></x>" },   /* no end tag: taken */
    };
    g_autoptr(vsTree) tree = oddTree();
    gsize len;
    g_autofree char *doc = writeDocument(tree, FALSE, &len);

    for (guint i = 0; i < G_N_ELEMENTS(edits); i++) {
        g_autoptr(GString) m = g_string_new_len(doc, len);
        const char *at = strstr(m->str, edits[i].after);

        g_assert_nonnull(at);
        g_string_insert(m, at - m->str + strlen(edits[i].after), edits[i].insert);
        g_assert_cmpint(checkReaders(&vsSnapshotKind, m->str, m->len, 0), ==, i == 2);
    }
}

/* A name, a text, a value or a start tag in a record's own elements as
 * long as libxml2 refuses (over 50,000 bytes for a name, 10,000,000 for
 * the others, which a DOM read of the file reports) is declined, and the
 * load fails as with the DOM reader alone. */
static void
test_long_runs(void)
{
    g_autofree char *name = g_strnfill(60000, 'n');
    g_autofree char *big = g_strnfill(11000000, 'v');
    g_autofree char *part = g_strnfill(1000000, 'p');
    g_autoptr(GPtrArray) edits = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) attrs = g_string_new("<x");
    g_autoptr(vsTree) tree = oddTree();
    gsize len;
    g_autofree char *doc = writeDocument(tree, FALSE, &len);

    for (guint k = 0; k < 11; k++)   /* each value well under, the tag over */
        g_string_append_printf(attrs, " a%u='%s'", k, part);
    g_string_append(attrs, "/>");
    g_ptr_array_add(edits, g_strdup_printf("<%s/>", name));
    g_ptr_array_add(edits, g_strdup_printf("<x %s='1'/>", name));
    g_ptr_array_add(edits, g_strdup_printf("<x y='%s'/>", big));
    g_ptr_array_add(edits, g_strdup_printf("<description>%s</description>", big));
    g_ptr_array_add(edits, g_strdup(attrs->str));
    for (guint i = 0; i < edits->len; i++) {
        g_autoptr(GString) m = g_string_new_len(doc, len);
        const char *at = strstr(m->str, "</state>");

        g_string_insert(m, at - m->str + strlen("</state>"), edits->pdata[i]);
        g_assert_false(checkReaders(&vsSnapshotKind, m->str, m->len, 0));
    }
}

/* A document laid out otherwise (one line, an XML declaration, a comment
 * between records) is declined and loads as before. */
static void
test_foreign_layouts(void)
{
    static const char *docs[] = {
        "<snapshots><domainsnapshot><name>a</name><state>shutoff</state><creationTime>5"
        "</creationTime></domainsnapshot></snapshots>",
        "<?xml version='1.0'?>\n<snapshots>\n</snapshots>\n",
        "<snapshots>\n<!-- c -->\n</snapshots>\n",
    };

    for (guint i = 0; i < G_N_ELEMENTS(docs); i++)
        g_assert_false(checkReaders(&vsSnapshotKind, docs[i], strlen(docs[i]), 0));
}

/* A <domain> whose type is empty, in this writer's exact layout: a
 * snapshot keeps no such definition, only its <uuid> (snapshot-parse.c),
 * so neither its first copy nor a repeat may be captured as one. */
static void
test_empty_type(void)
{
    static const char *records[] = {
        "<domainsnapshot><name>a</name><state>shutoff</state><creationTime>1</creationTime>"
        "<domain type='kvm'><name>vm</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
        "</domain></domainsnapshot>",
        "<domainsnapshot><name>b</name><parent><name>a</name></parent><state>shutoff</state>"
        "<creationTime>2</creationTime><domain type='kvm'><name>vm</name><uuid>"
        "1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid></domain></domainsnapshot>",
    };
    g_autoptr(GPtrArray) moments = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(vsTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) doc = NULL;
    gsize len;
    g_autofree char *bytes = NULL;
    const char *at;

    for (guint i = 0; i < G_N_ELEMENTS(records); i++) {
        vsSnapshot *snap = NULL;
        g_assert_cmpint(vsSnapshotParse(&snap, records[i], strlen(records[i]),
                                        VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, &error), ==, 0);
        g_ptr_array_add(moments, snap);
    }
    g_assert_cmpint(vsTreeBuild(&tree, &vsSnapshotKind, (vsMoment **) moments->pdata,
                                moments->len, "b", &error), ==, 0);
    bytes = writeDocument(tree, FALSE, &len);
    doc = g_string_new_len(bytes, len);
    /* both definitions (a first copy and its repeat) lose their type */
    for (guint k = 0; (at = strstr(doc->str, "<domain type='kvm'")); k++)
        g_string_erase(doc, at - doc->str + strlen("<domain type='"), strlen("kvm"));
    g_assert_true(checkReaders(&vsSnapshotKind, doc->str, doc->len, 0));
    /* and the first alone */
    doc = (g_string_free(doc, TRUE), g_string_new_len(bytes, len));
    at = strstr(doc->str, "<domain type='kvm'");
    g_string_erase(doc, at - doc->str + strlen("<domain type='"), strlen("kvm"));
    g_assert_true(checkReaders(&vsSnapshotKind, doc->str, doc->len, 0));
}

/* ---------------------------------------------------------------- */
/* A first copy captured from its bytes (xmlsubtree-capture.c)        */

/* Whatever vsXmlSubtreeFromFormatted takes from @bytes, the DOM path (the
 * first copy parsed as the fast reader grafts it, then captured) takes
 * too, as the same canonical bytes; and the capture gives the same with
 * its direct scan as with libxml2's SAX parse alone (@sax_only), whether
 * the scan took the bytes or declined them.  Returns whether it took them. */
static gboolean
checkCaptureAt(vsXmlCapture *cap, vsXmlCapture *sax_only, const char *bytes, gsize len,
               guint level)
{
    g_autoptr(vsXmlSubtree) fast = vsXmlSubtreeFromFormatted(cap, bytes, len, level);
    g_autoptr(vsXmlSubtree) sax = vsXmlSubtreeFromFormatted(sax_only, bytes, len, level);
    g_autoptr(vsXmlSubtree) dom = NULL;
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc;

    g_assert_true((fast != NULL) == (sax != NULL));
    if (!fast)
        return FALSE;
    g_assert_true(vsXmlSubtreeEqual(fast, sax));
    doc = xmlReadMemory(bytes, (int) len, NULL, NULL, VS_XML_SAFE_OPTIONS | XML_PARSE_COMPACT);
    g_assert_nonnull(doc);
    g_assert_cmpint(vsXmlSubtreeFromNodeInPlace(&dom, xmlDocGetRootElement(doc), &error), ==, 0);
    g_assert_true(vsXmlSubtreeEqual(fast, dom));
    xmlFreeDoc(doc);
    return TRUE;
}

static gboolean
checkCapture(vsXmlCapture *cap, vsXmlCapture *sax_only, const char *bytes, gsize len)
{
    return checkCaptureAt(cap, sax_only, bytes, len, VS_DEDUP_DOMAIN_INDENT_LEVEL);
}

/* @tree as this writer stores a <domain> at @level: from its '<' to its
 * closing '>'. */
static char *
formattedDomainAt(const vsXmlSubtree *tree, guint level, gsize *len)
{
    GString *buf = g_string_new(NULL);
    gsize pad = 2 * level;

    vsXmlSubtreeAppend(buf, tree, level, TRUE);
    g_assert_cmpuint(buf->len, >, pad + 1);
    g_string_erase(buf, 0, pad);
    g_string_truncate(buf, buf->len - 1);
    *len = buf->len;
    return g_string_free(buf, FALSE);
}

/* As a record's <domain> is stored. */
static char *
formattedDomain(const vsXmlSubtree *tree, gsize *len)
{
    return formattedDomainAt(tree, VS_DEDUP_DOMAIN_INDENT_LEVEL, len);
}

/* Definitions whose canonical text has every marker and rule: newlines,
 * CRs and tabs in data and values, escaping, secrets in and out of
 * <metadata>, <metadata> with comments, PIs, CDATA, blanks and repeated
 * namespaces, empty and blank-only elements, an <inactiveDomain> root;
 * and ones the capture declines (namespaces outside <metadata>, mixed
 * content, '&' in a value). */
static const char *oddDomains[] = {
    "<domain type='kvm'><name>a&amp;b&lt;c&gt;d\"e'f</name><description>l1\nl2\r\n\tl3"
    "</description><e/><f></f><g>  </g><h>\n</h><i>\u00fcn\u00ef</i>"
    "<devices><graphics type='vnc' passwd='p&lt;w&apos;&#10;x&quot;' listen='a&#9;b&lt;'/>"
    "<disk><source protocol='http' name='x'><cookies><cookie name='c'>v</cookie></cookies>"
    "</source></disk></devices></domain>",
    "<domain type='qemu'><metadata><a:x xmlns:a='urn:a'>t\nu<!-- c\nd --><?pi x?></a:x>"
    "<b:y xmlns:b='urn:b'><b:z>  </b:z><![CDATA[<&>]]></b:y><a:again xmlns:a='urn:a'/>"
    "<plain/>text</metadata><uuid>u</uuid><graphics type='spice' passwd='s'/></domain>",
    "<inactiveDomain type='kvm'><name>i</name><metadata><q:r xmlns:q='urn:q' q:s='1'/>"
    "</metadata><cookies>secret</cookies></inactiveDomain>",
    "<domain type='kvm'><a><b><c><d><e><f><g><h>deep</h></g></f></e></d></c></b></a></domain>",
    "<domain type='kvm'>only text\nhere</domain>",
    "<domain type='kvm'/>",
    /* declined (each still captured from a DOM as before) */
    "<domain type='kvm' xmlns:qemu='urn:qemu'><qemu:commandline/></domain>",
    "<domain type='kvm'><p>mixed <b>content</b> here</p></domain>",
    "<domain type='kvm'><x xmlns:n='urn:n' n:a='1'/></domain>",
    "<domain type='kvm'><x xml:lang='en'/></domain>",
    "<domain type='kvm'><a>&amp;</a><b c='&amp;'/></domain>",
};

/* Every fixture's definition, then the odd ones (in their order). */
static GPtrArray *
captureTrees(void)
{
    g_autofree char *root = vsTestFixture("");
    g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *trees = g_ptr_array_new_with_free_func((GDestroyNotify) vsXmlSubtreeUnref);

    collectDir(root, snaps, checks, seen);
    for (guint k = 0; k < 2; k++) {
        GPtrArray *set = k ? checks : snaps;
        for (guint i = 0; i < set->len; i++) {
            const vsXmlSubtree *dom = vsMomentGetDomain(set->pdata[i]);
            if (dom)
                g_ptr_array_add(trees, vsXmlSubtreeRef((vsXmlSubtree *) dom));
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(oddDomains); i++) {
        xmlDocPtr doc = xmlReadMemory(oddDomains[i], strlen(oddDomains[i]), NULL, NULL,
                                      VS_XML_SAFE_OPTIONS);
        vsXmlSubtree *tree = NULL;

        g_assert_nonnull(doc);
        g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), NULL), ==, 0);
        g_ptr_array_add(trees, tree);
        xmlFreeDoc(doc);
    }
    return trees;
}

/* Every fixture's definition and the odd ones, formatted as stored: the
 * capture takes nearly all and agrees; byte-level mutations of them are
 * either declined or taken as the DOM path takes them. */
static void
test_capture(void)
{
    static const char interesting[] = "<>&'\"\r\t\n ]!?/=;#xa:\x01\x80\xff";
    g_autoptr(GPtrArray) trees = captureTrees();
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(vsXmlCapture) cap = vsXmlCaptureNew();
    g_autoptr(vsXmlCapture) sax_only = vsXmlCaptureNew();
    /* VS_FASTREAD_RUNS / VS_FASTREAD_SEED: a longer soak by hand */
    const char *runs_env = g_getenv("VS_FASTREAD_RUNS"), *seed_env = g_getenv("VS_FASTREAD_SEED");
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed_env ? atoi(seed_env) : 16);
    guint took = 0, mutated_took = 0, runs = runs_env ? atoi(runs_env) : 4000, direct_before;

    vsXmlCaptureSetDirect(sax_only, FALSE);
    for (guint i = 0; i < trees->len; i++) {
        gsize len;
        g_ptr_array_add(texts, formattedDomain(trees->pdata[i], &len));
    }
    for (guint i = 0; i < texts->len; i++) {
        const char *t = texts->pdata[i];
        gboolean odd_declined = i >= texts->len - 5;
        gboolean ok = checkCapture(cap, sax_only, t, strlen(t));

        if (i >= texts->len - G_N_ELEMENTS(oddDomains) && ok == odd_declined)
            g_error("odd definition %u: %s\n%s", (guint) (i + G_N_ELEMENTS(oddDomains) - texts->len), ok ? "taken" : "declined", t);
        took += ok;
    }
    g_test_message("captured %u of %u definitions; the direct scan read %u", took, texts->len,
                   vsXmlCaptureGetDirectCount(cap));
    g_assert_cmpuint(took, >=, texts->len * 3 / 4);
    /* the direct scan takes what this writer formats (<metadata> included),
     * leaving libxml2 the odd definitions */
    g_assert_cmpuint(vsXmlCaptureGetDirectCount(cap), >=, took - G_N_ELEMENTS(oddDomains));
    direct_before = vsXmlCaptureGetDirectCount(cap);

    for (guint r = 0; r < runs; r++) {
        const char *t = texts->pdata[g_rand_int_range(rand, 0, texts->len)];
        g_autoptr(GString) m = g_string_new(t);
        guint edits = g_rand_int_range(rand, 1, 4);

        for (guint e = 0; e < edits; e++)
            mutate(m, rand, interesting, sizeof(interesting) - 1);
        mutated_took += checkCapture(cap, sax_only, m->str, m->len);
    }
    /* a <metadata> nested about as deep as libxml2 allows: its depth
     * counts from the <domain>, so the direct scan, which parses the
     * <metadata> alone, leaves deep ones to the SAX parse */
    for (guint depth = 240; depth <= 260; depth++) {
        g_autoptr(GString) xml = g_string_new("<domain type='kvm'><metadata>");
        g_autoptr(vsXmlSubtree) tree = NULL;
        g_autofree char *t = NULL;
        xmlDocPtr doc;
        gsize len;

        for (guint d = 0; d < depth; d++)
            g_string_append(xml, "<x:a xmlns:x='urn:x'>");
        for (guint d = 0; d < depth; d++)
            g_string_append(xml, "</x:a>");
        g_string_append(xml, "</metadata></domain>");
        doc = xmlReadMemory(xml->str, (int) xml->len, NULL, NULL,
                            VS_XML_SAFE_OPTIONS | XML_PARSE_HUGE);
        g_assert_nonnull(doc);
        if (vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), NULL) == 0) {
            t = formattedDomain(tree, &len);
            checkCapture(cap, sax_only, t, len);
        }
        xmlFreeDoc(doc);
    }
    g_test_message("captured %u of %u mutated definitions; the direct scan read %u", mutated_took,
                   runs, vsXmlCaptureGetDirectCount(cap) - direct_before);
    g_assert_cmpuint(vsXmlCaptureGetDirectCount(cap) - direct_before, >, runs / 40);
    g_assert_cmpuint(mutated_took, >, runs / 20);
}

/* Domains that differ by a device and share one <metadata> (issue 16's
 * worst case): the direct scan parses the <metadata> once and writes the
 * repeats as the first; a <metadata> that differs by one byte, of the same
 * length, is parsed again, and one made malformed that way is left to the
 * SAX parse, which declines it.  Every capture agrees with the SAX path. */
static void
test_capture_metadata_repeat(void)
{
    static const char *const variants[] = {
        "<x:m xmlns:x='urn:x'><x:k v='1'>big</x:k></x:m>",  /* the first */
        "<x:m xmlns:x='urn:x'><x:k v='1'>big</x:k></x:m>",  /* a repeat, other devices */
        "<x:m xmlns:x='urn:x'><x:k v='2'>big</x:k></x:m>",  /* same length, one byte */
        "<x:m xmlns:x='urn:x'><x:k v='2'>big</x:k></x:n>",  /* same length, malformed */
        "<x:m xmlns:x='urn:x'><x:k v='2'>big</x:k></x:m>",  /* the last taken again: not parsed */
    };
    static const guint parsed_after[] = { 1, 1, 2, 3, 3 };
    g_autoptr(vsXmlCapture) cap = vsXmlCaptureNew();
    g_autoptr(vsXmlCapture) sax_only = vsXmlCaptureNew();

    vsXmlCaptureSetDirect(sax_only, FALSE);
    for (guint i = 0; i < G_N_ELEMENTS(variants); i++) {
        g_autofree char *xml = g_strdup_printf("<domain type='kvm'><name>d%u</name><metadata>%s"
                                               "</metadata><devices><disk device='d%u'/>"
                                               "</devices></domain>", i, variants[i], i);
        g_autofree char *good = g_strdup_printf("<domain type='kvm'><name>d%u</name><metadata>%s"
                                                "</metadata><devices><disk device='d%u'/>"
                                                "</devices></domain>", i, variants[i > 2 ? 2 : i],
                                                i);
        xmlDocPtr doc = xmlReadMemory(good, (int) strlen(good), NULL, NULL, VS_XML_SAFE_OPTIONS);
        g_autoptr(vsXmlSubtree) tree = NULL;
        g_autofree char *t = NULL;
        gsize len;

        g_assert_nonnull(doc);
        g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), NULL), ==, 0);
        xmlFreeDoc(doc);
        t = formattedDomain(tree, &len);
        if (i == 3) {   /* the stored form with its <metadata> broken in place */
            char *close = strstr(t, "</x:m>");
            g_assert_nonnull(close);
            close[4] = 'n';
        }
        g_assert_true(checkCapture(cap, sax_only, t, len) == (i != 3));
        g_assert_cmpuint(vsXmlCaptureGetMetadataParseCount(cap), ==, parsed_after[i]);
    }
    g_assert_cmpuint(vsXmlCaptureGetDirectCount(cap), ==, 4);
}

/* A blank of @m's layout edited: a space more or less, an LF turned into
 * a space, a space into an LF, either into a TAB. */
static void
mutateBlank(GString *m, GRand *rand)
{
    static const char *const blanks[] = { " ", "\n", "\t", "\n  " };
    gsize at = 0;

    for (guint tries = 0; tries < 64; tries++) {
        at = g_rand_int_range(rand, 0, m->len);
        if (m->str[at] == ' ' || m->str[at] == '\n')
            break;
    }
    switch (g_rand_int_range(rand, 0, 4)) {
    case 0: g_string_erase(m, at, 1); break;
    case 1: m->str[at] = m->str[at] == '\n' ? ' ' : '\n'; break;
    case 2: m->str[at] = '\t'; break;
    default: g_string_insert(m, at, blanks[g_rand_int_range(rand, 0, G_N_ELEMENTS(blanks))]);
    }
}

/* @text with its <metadata> element replaced by the one in @from (both
 * have one). */
static GString *
withMetadataOf(const char *text, const char *from)
{
    const char *at = strstr(text, "<metadata>"), *end = strstr(text, "</metadata>");
    const char *from_at = strstr(from, "<metadata>"), *from_end = strstr(from, "</metadata>");
    GString *out = g_string_new_len(text, at - text);

    g_string_append_len(out, from_at, from_end - from_at);
    g_string_append(out, end);
    return out;
}

/* The direct scan checks the layout of what it reads itself, where
 * libxml2's SAX parse leaves it to the formatting check, and remembers a
 * <metadata> whose lines formatted back (xmlsubtree-capture.c): it agrees
 * with that path on every definition formatted at other indent levels (up
 * to and past where libxml2's 60-column cap on <metadata> lines applies),
 * on edits of their blanks, and on a <metadata> checked at one level then
 * given, byte for byte, at another. */
static void
test_capture_layout(void)
{
    static const guint levels[] = { 0, 1, 2, 3, 9, 25, 28, 29, 30, 31 };
    g_autoptr(GPtrArray) trees = captureTrees();
    g_autoptr(vsXmlCapture) cap = vsXmlCaptureNew();
    g_autoptr(vsXmlCapture) sax_only = vsXmlCaptureNew();
    const char *runs_env = g_getenv("VS_FASTREAD_RUNS"), *seed_env = g_getenv("VS_FASTREAD_SEED");
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed_env ? atoi(seed_env) : 16);
    guint runs = runs_env ? atoi(runs_env) : 4000, took = 0, edited_took = 0, moved = 0;

    vsXmlCaptureSetDirect(sax_only, FALSE);
    for (guint l = 0; l < G_N_ELEMENTS(levels); l++) {
        for (guint i = 0; i < trees->len; i++) {
            gsize len;
            g_autofree char *t = formattedDomainAt(trees->pdata[i], levels[l], &len);
            took += checkCaptureAt(cap, sax_only, t, len, levels[l]);
        }
    }
    /* all but the five odd ones the capture declines, at every level */
    g_assert_cmpuint(took, ==, (trees->len - 5) * G_N_ELEMENTS(levels));
    for (guint r = 0; r < runs; r++) {
        guint level = levels[g_rand_int_range(rand, 0, G_N_ELEMENTS(levels))];
        gsize len;
        g_autofree char *t = formattedDomainAt(trees->pdata[g_rand_int_range(rand, 0, trees->len)],
                                               level, &len);
        g_autoptr(GString) m = g_string_new_len(t, len);

        for (guint e = g_rand_int_range(rand, 1, 3); e > 0; e--)
            mutateBlank(m, rand);
        edited_took += checkCaptureAt(cap, sax_only, m->str, m->len, level);
    }
    for (guint i = 0; i < trees->len; i++) {
        for (guint l = 0; l + 1 < G_N_ELEMENTS(levels); l++) {
            gsize len, next_len;
            g_autofree char *t = formattedDomainAt(trees->pdata[i], levels[l], &len);
            g_autofree char *next = formattedDomainAt(trees->pdata[i], levels[l + 1], &next_len);
            g_autoptr(GString) moved_in = NULL;

            if (!strstr(t, "<metadata>") || !checkCaptureAt(cap, sax_only, t, len, levels[l]))
                continue;
            moved_in = withMetadataOf(next, t);
            checkCaptureAt(cap, sax_only, moved_in->str, moved_in->len, levels[l + 1]);
            moved++;
        }
    }
    g_test_message("captured %u of %u definitions with edited blanks; %u <metadata> moved",
                   edited_took, runs, moved);
    g_assert_cmpuint(moved, >, 0);
    g_assert_cmpuint(edited_took, >, runs / 100);
}

/* Any store file, by hand (VS_FASTREAD_FILE=DIR/vm.xml, e.g. from
 * virtsnap-bench-gen): the fast reader takes it and agrees. */
static void
test_file(void)
{
    const char *path = g_getenv("VS_FASTREAD_FILE");
    g_autofree char *data = NULL;
    gsize len;

    if (!path) {
        g_test_skip("VS_FASTREAD_FILE not set");
        return;
    }
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_true(checkReaders(&vsSnapshotKind, data, len, 0));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fastread/fixtures", test_fixtures);
    g_test_add_func("/fastread/odd-names", test_odd_names);
    g_test_add_func("/fastread/mutations", test_mutations);
    g_test_add_func("/fastread/capture", test_capture);
    g_test_add_func("/fastread/capture-metadata-repeat", test_capture_metadata_repeat);
    g_test_add_func("/fastread/capture-layout", test_capture_layout);
    g_test_add_func("/fastread/empty-type", test_empty_type);
    g_test_add_func("/fastread/foreign-layouts", test_foreign_layouts);
    g_test_add_func("/fastread/past-buffer", test_past_buffer);
    g_test_add_func("/fastread/inner-end-tag", test_inner_end_tag);
    g_test_add_func("/fastread/long-runs", test_long_runs);
    g_test_add_func("/fastread/file", test_file);
    return g_test_run();
}
