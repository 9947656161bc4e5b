/* test-bulkfile.c — the <snapshots> document: golden output, round trips
 * (plain and zstd), any record order, and all-or-nothing rejection. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <glib/gstdio.h>

#include "format/bulkfile.h"
#include "format/domaindedup.h"
#include "snapshot/snapshot.h"
#include "testutil.h"

#define REC(name, parent_elem, when) \
    "<domainsnapshot><name>" name "</name><state>shutoff</state>" parent_elem \
    "<creationTime>" when "</creationTime><memory snapshot='no'/>" \
    "<domain type='qemu'><name>demo</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>" \
    "</domain></domainsnapshot>"
#define PARENT(p) "<parent><name>" p "</name></parent>"

/* Records listed children-first: readers must not depend on order. */
static const char *small_doc =
    "<snapshots current='a1'>"
    REC("a1", PARENT("a"), "300")
    REC("b", PARENT("root"), "250")
    REC("a", PARENT("root"), "200")
    REC("root", "", "100")
    REC("r2", "", "50")
    "</snapshots>";

static vsTree *
parseOk(const char *doc, gsize len)
{
    g_autoptr(GError) error = NULL;
    vsTree *tree = NULL;
    g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc, len, "test.xml", NULL, &error), ==, 0);
    g_assert_no_error(error);
    return tree;
}

static char *
format(const vsTree *tree)
{
    GString *buf = g_string_new(NULL);
    vsBulkFileFormat(buf, tree, NULL);
    return g_string_free(buf, FALSE);
}

static void
test_golden(void)
{
    g_autoptr(vsTree) tree = parseOk(small_doc, strlen(small_doc));
    g_autofree char *out = format(tree);
    g_autofree char *golden = g_build_filename(g_getenv("VS_TESTS_SRCDIR"), "golden",
                                               "bulk-small.xml", NULL);

    g_assert_cmpuint(vsTreeCount(tree), ==, 5);
    g_assert_cmpstr(vsMomentGetName(vsTreeGetCurrent(tree)), ==, "a1");
    /* Topological, siblings by creationTime: r2 (50) before root (100). */
    vsTestAssertGolden(out, golden);

    /* The formatted document reads back to the same bytes. */
    g_autoptr(vsTree) again = parseOk(out, strlen(out));
    g_autofree char *out2 = format(again);
    g_assert_cmpstr(out, ==, out2);
}

static void
test_zstd_round_trip(void)
{
    g_autoptr(vsTree) tree = parseOk(small_doc, strlen(small_doc));
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *plain = format(tree);
    g_autofree char *raw = NULL;
    g_autoptr(vsTree) back = NULL;
    gsize len;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

    g_assert_cmpint(vsAtomicFileOpen(&af, dirfd, dir, "vm.xml", &error), ==, 0);
    g_assert_cmpint(vsBulkFileWrite(af, tree, NULL, TRUE, NULL, NULL, &error), ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);

    /* A standard zstd frame of exactly the plain document. */
    {
        g_autofree char *path = g_build_filename(dir, "vm.xml", NULL);
        g_assert_true(g_file_get_contents(path, &raw, &len, NULL));
        g_autofree char *dec = g_malloc(strlen(plain) + 1);
        size_t n = ZSTD_decompress(dec, strlen(plain) + 1, raw, len);
        g_assert_false(ZSTD_isError(n));
        g_assert_cmpmem(dec, n, plain, strlen(plain));
    }
    g_assert_cmpint(vsBulkFileRead(&back, NULL, &vsSnapshotKind, dirfd, dir, "vm.xml", NULL, &error), ==, 0);
    g_autofree char *again = format(back);
    g_assert_cmpstr(again, ==, plain);

    /* Truncated compressed data is refused, not half-loaded. */
    {
        g_autoptr(vsTree) half = NULL;
        g_assert_cmpint(vsBulkFileParse(&half, NULL, &vsSnapshotKind, raw, len / 2, "half.xml", NULL, &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
        g_assert_null(half);
        g_clear_error(&error);
    }
    close(dirfd);
}

static void
expectCorrupt(const char *doc, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) tree = NULL;
    if (vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc, strlen(doc), "vm.xml", NULL, &error) == 0)
        g_error("loaded: %s", doc);
    g_assert_null(tree);
    g_assert_nonnull(error);
    if (!strstr(error->message, needle))
        g_error("'%s' does not mention '%s'", error->message, needle);
    g_assert_true(g_str_has_prefix(error->message, "vm.xml"));
    g_assert_null(strchr(error->message, '\n'));
}

static void
test_rejects(void)
{
    expectCorrupt("<snapshots>" REC("a", "", "1") REC("a", "", "2") "</snapshots>",
                  "domain moment a already exists");
    expectCorrupt("<snapshots>" REC("a", PARENT("gone"), "1") "</snapshots>", "gone");
    expectCorrupt("<snapshots>" REC("a", PARENT("b"), "1") REC("b", PARENT("a"), "2")
                  "</snapshots>", "cycle");
    expectCorrupt("<snapshots current='zz'>" REC("a", "", "1") "</snapshots>",
                  "no snapshot matching current='zz'");
    expectCorrupt("<domainsnapshot/>", "unexpected root element <domainsnapshot>");
    expectCorrupt("<snapshots><x/></snapshots>", "unexpected element <x>");
    expectCorrupt("<snapshots>text</snapshots>", "unexpected text");
    expectCorrupt("", "vm.xml");
    expectCorrupt("<snapshots>" "<domainsnapshot><name>a</name></domainsnapshot>" "</snapshots>",
                  "missing creationTime from existing snapshot");
    expectCorrupt("<snapshots></snapshots><snapshots/>", "Extra content");
    expectCorrupt("<!DOCTYPE s [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><snapshots>&x;"
                  "</snapshots>", "entities are not allowed");

    /* issue 11 item 4: <snapshots> carries current= and nothing else */
    expectCorrupt("<snapshots xmlns:app='urn:x' current='a'>" REC("a", "", "1") "</snapshots>",
                  "vm.xml:1: namespace declaration 'xmlns:app' on <snapshots> is not allowed");
    expectCorrupt("<snapshots xmlns='urn:x'/>",
                  "namespace declaration 'xmlns' on <snapshots> is not allowed");
    expectCorrupt("<snapshots current='a' version='2'>" REC("a", "", "1") "</snapshots>",
                  "vm.xml:1: unexpected attribute 'version' on <snapshots>");
    expectCorrupt("<snapshots xml:lang='en'/>", "unexpected attribute 'xml:lang' on <snapshots>");

    /* issue 11 item 5: every name create refuses, with file:line and the name */
    expectCorrupt("<snapshots>\n" REC("../../outside/pwned", "", "1") "</snapshots>",
                  "vm.xml:2: invalid snapshot name '../../outside/pwned': name can't contain '/'");
    expectCorrupt("<snapshots>" REC(".hidden", "", "1") "</snapshots>",
                  "invalid snapshot name '.hidden': name can't start with '.'");
    expectCorrupt("<snapshots>" REC("a&#10;b", "", "1") "</snapshots>",
                  "invalid snapshot name 'a?b': name can't contain control characters");
    {
        g_autofree char *long_name = g_strnfill(VS_SNAPSHOT_NAME_MAX + 1, 'n');
        g_autofree char *doc = g_strdup_printf(
            "<snapshots><domainsnapshot><name>%s</name><state>shutoff</state>"
            "<creationTime>1</creationTime></domainsnapshot></snapshots>", long_name);
        expectCorrupt(doc, "name is 248 bytes, longer than 247");
    }
}

static void
test_truncation_never_loads(void)
{
    g_autoptr(vsTree) tree = parseOk(small_doc, strlen(small_doc));
    g_autofree char *doc = format(tree);
    gsize len = strlen(doc);
    /* Every strict prefix that ends before </snapshots> is refused. */
    gsize end = strstr(doc, "</snapshots>") - doc;
    for (gsize cut = 0; cut <= end; cut += 7) {
        g_autoptr(GError) error = NULL;
        g_autoptr(vsTree) part = NULL;
        if (vsBulkFileParse(&part, NULL, &vsSnapshotKind, doc, cut, "vm.xml", NULL, &error) == 0)
            g_error("prefix of %zu/%zu bytes loaded", cut, len);
        g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    }
}

static void
test_size_cap(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) tree = NULL;
    vsBulkReadOptions opts = { .max_document = 100 };
    g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, small_doc, strlen(small_doc), "vm.xml", &opts,
                                    &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "100 bytes"));
}

static void
appendFill(GString *s, gsize n)
{
    gsize at = s->len;
    g_string_set_size(s, at + n);
    memset(s->str + at, 'x', n);
}

/* Issue 11 item 14: create's per-record limit applies at load, before the
 * record's memory is spent: a record of 7 texts of 9.9 MB (each within
 * libxml2's limits), and an attribute that never ends. */
static void
test_record_limit(void)
{
    for (int kind = 0; kind < 2; kind++) {
        g_autoptr(GString) doc = g_string_new("<snapshots>\n" REC("a", "", "1") "\n"
                                              "<domainsnapshot><name>big</name>");
        g_autoptr(GError) error = NULL;
        g_autoptr(vsTree) tree = NULL;
        gsize at = strstr(doc->str, "<domainsnapshot><name>big") - doc->str;
        g_autofree char *want = g_strdup_printf(
            "vm.xml: the snapshot record at byte %" G_GSIZE_FORMAT " is larger than the limit "
            "of %d bytes per snapshot", at, VS_BULK_RECORD_MAX);

        if (kind == 0) {
            for (int i = 0; i < 7; i++) {
                g_string_append(doc, "<description>");
                appendFill(doc, 9900000);
                g_string_append(doc, "</description>");
            }
            g_string_append(doc, "<state>shutoff</state><creationTime>1</creationTime>"
                                 "</domainsnapshot></snapshots>\n");
        } else {
            g_string_append(doc, "<x a='");
            appendFill(doc, 70000000);
        }
        g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "vm.xml", NULL,
                                        &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_TOO_LARGE);
        g_assert_cmpstr(error->message, ==, want);
    }
}

/* Texts of only whitespace read back, wherever a streaming read splits the
 * document: libxml2's NOBLANKS heuristic dropped one as ignorable when its
 * "</" fell across two of the reader's chunks (found by test-roundtrip). */
static void
test_blank_texts_kept(void)
{
    for (guint shift = 0; shift < 600; shift++) {
        g_autoptr(GString) doc = g_string_new("<snapshots>\n<!--");
        g_autoptr(GError) error = NULL;
        g_autoptr(vsTree) tree = NULL;
        g_autoptr(vsSnapshot) alone = NULL;
        g_autofree char *want = NULL, *got = NULL;
        const vsSnapshot *snap;
        const char *record =
            "<domainsnapshot><name>a</name><description>   </description><state>shutoff</state>"
            "<creationTime>1</creationTime><domain type='kvm'><name>vm</name><title> </title>"
            "<metadata><app:m xmlns:app='urn:a'>\t\n</app:m></metadata></domain>"
            "</domainsnapshot>";

        for (guint i = 0; i < shift; i++)
            g_string_append_c(doc, 'x');
        g_string_append_printf(doc, "-->\n%s\n</snapshots>\n", record);
        g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "vm.xml", NULL,
                                        &error), ==, 0);
        snap = vsTreeLookup(tree, "a");
        g_assert_cmpstr(vsMomentGetDescription(snap), ==, "   ");
        g_assert_cmpint(vsSnapshotParse(&alone, record, strlen(record),
                                        VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, &error), ==, 0);
        vsSnapshotFormat(&want, alone, NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL);
        vsSnapshotFormat(&got, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL);
        g_assert_cmpstr(got, ==, want);
    }
}

static void
test_empty_and_comment(void)
{
    const char *doc = "<!-- generated -->\n<snapshots/>\n";
    g_autoptr(vsTree) tree = parseOk(doc, strlen(doc));
    g_assert_cmpuint(vsTreeCount(tree), ==, 0);
    g_assert_null(vsTreeGetCurrent(tree));
}

/* A record as our writer lays it out: repeated <domain>s are byte-identical. */
static void
appendRecord(GString *doc, const char *name, const char *parent, const char *title,
             const char *description)
{
    g_string_append_printf(doc, "  <domainsnapshot>\n    <name>%s</name>\n", name);
    if (description)
        g_string_append_printf(doc, "    <description>%s</description>\n", description);
    g_string_append(doc, "    <state>shutoff</state>\n");
    if (parent)
        g_string_append_printf(doc, "    <parent>\n      <name>%s</name>\n    </parent>\n",
                               parent);
    g_string_append_printf(doc,
        "    <creationTime>100</creationTime>\n"
        "    <domain type='kvm'>\n"
        "      <name>demo</name>\n"
        "      <uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>\n"
        "      <title>%s</title>\n"
        "      <devices>\n"
        "        <graphics type='vnc' port='-1' passwd='secret&amp;&apos;'/>\n"
        "      </devices>\n"
        "    </domain>\n"
        "  </domainsnapshot>\n", title);
}

/* Each record parsed on its own, without the bulk reader's shortcuts. */
static char *
formatRecordsOneByOne(const char *doc)
{
    GString *out = g_string_new(NULL);
    const char *p = doc;
    while ((p = strstr(p, "  <domainsnapshot>"))) {
        const char *end = strstr(p, "</domainsnapshot>") + strlen("</domainsnapshot>");
        g_autoptr(vsSnapshot) snap = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL;
        g_assert_cmpint(vsSnapshotParse(&snap, p, end - p, VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL,
                                        &error), ==, 0);
        vsSnapshotFormat(&xml, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL);
        g_string_append(out, xml);
        p = end;
    }
    return g_string_free(out, FALSE);
}

static char *
formatRecordsOfTree(const vsTree *tree)
{
    g_autoptr(GPtrArray) all = NULL;
    GString *out = g_string_new(NULL);
    g_assert_cmpint(vsTreeList(&all, tree, NULL, 0, NULL), ==, 0);
    for (guint i = 0; i < all->len; i++) {
        g_autofree char *xml = NULL;
        vsSnapshotFormat(&xml, all->pdata[i], NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL);
        g_string_append(out, xml);
    }
    return g_string_free(out, FALSE);
}

static void
test_repeated_domains(void)
{
    g_autoptr(GString) doc = g_string_new("<snapshots current='s7'>\n");
    g_autofree char *expected = NULL, *actual = NULL;
    g_autoptr(vsTree) tree = NULL;

    /* Repeats of the first definition, a variant, repeats of the variant, and
     * things that merely look like a <domain> in a comment and in CDATA. */
    appendRecord(doc, "s0", NULL, "base", NULL);
    appendRecord(doc, "s1", "s0", "base", "<![CDATA[\n    <domain type='kvm'>\n]]>");
    appendRecord(doc, "s2", "s1", "variant", NULL);
    appendRecord(doc, "s3", "s2", "base", "plain");
    g_string_append(doc, "  <!--\n    <domain type='kvm'>\n  -->\n");
    appendRecord(doc, "s4", "s3", "variant", NULL);
    appendRecord(doc, "s5", "s4", "variant", NULL);
    appendRecord(doc, "s6", "s5", "base", NULL);
    appendRecord(doc, "s7", "s6", "base", NULL);
    g_string_append(doc, "</snapshots>\n");

    expected = formatRecordsOneByOne(doc->str);
    tree = parseOk(doc->str, doc->len);
    actual = formatRecordsOfTree(tree);
    g_assert_cmpstr(actual, ==, expected);
    g_assert_nonnull(strstr(actual, "<title>variant</title>"));
    g_assert_nonnull(strstr(actual, "passwd='secret&amp;&apos;'"));
}

/* Repeats in a file some other writer laid out (double quotes, other
 * indentation): they cannot be matched against our formatting, so the raw
 * bytes are what is compared; the result is the same as parsing each. */
static void
test_repeated_domains_foreign_layout(void)
{
    g_autoptr(GString) doc = g_string_new("<snapshots current=\"s3\">\n");
    g_autofree char *expected = NULL, *actual = NULL;
    g_autoptr(vsTree) tree = NULL;

    for (int i = 0; i < 4; i++) {
        g_string_append_printf(doc,
            "  <domainsnapshot>\n<name>s%d</name>\n<state>shutoff</state>\n"
            "<creationTime>100</creationTime>\n"
            "<domain type=\"kvm\">\n <name>demo</name>\n"
            " <metadata><m:x xmlns:m=\"urn:m\" a=\"1\"/></metadata>\n"
            " <devices><graphics type=\"vnc\" passwd=\"pw\"/></devices>\n"
            "</domain>\n</domainsnapshot>\n", i);
    }
    g_string_append(doc, "</snapshots>\n");

    expected = formatRecordsOneByOne(doc->str);
    tree = parseOk(doc->str, doc->len);
    actual = formatRecordsOfTree(tree);
    g_assert_cmpstr(actual, ==, expected);
    g_assert_nonnull(strstr(actual, "<graphics type='vnc' passwd='pw'/>"));
    g_assert_nonnull(strstr(actual, "<m:x xmlns:m=\"urn:m\" a=\"1\"/>"));
}

/* Big repeated definitions are recognised by comparing the file with the
 * parsed definition's formatting (no raw copy kept): a file as our writer
 * lays it out, with a secret, newlines inside text and a variant that only
 * differs at its very end, loads the same as parsing each record alone. */
static void
test_repeated_big_domains(void)
{
    g_autoptr(GString) doc = g_string_new("<snapshots current='s5'>\n");
    g_autoptr(GString) meta = g_string_new(NULL);
    g_autoptr(GString) canonical = g_string_new(NULL);
    g_autofree char *expected = NULL, *actual = NULL;
    g_autoptr(vsTree) first = NULL;
    g_autoptr(vsTree) tree = NULL;
    static const char *const titles[] = { "base", "base", "variant", "variant", "base", "base" };

    g_string_append(meta, "<m:all xmlns:m='urn:m'>");
    for (int i = 0; i < 2000; i++)
        g_string_append_printf(meta, "<m:e n='%d'>line\ntwo</m:e>", i);
    g_string_append(meta, "</m:all>");
    for (guint i = 0; i < G_N_ELEMENTS(titles); i++)
        g_string_append_printf(doc,
            "  <domainsnapshot>\n    <name>s%u</name>\n    <state>shutoff</state>\n"
            "    <creationTime>100</creationTime>\n"
            "    <domain type='kvm'>\n      <name>demo</name>\n"
            "      <metadata>%s</metadata>\n"
            "      <devices>\n        <graphics type='vnc' passwd='pw&amp;'/>\n"
            "      </devices>\n      <title>%s</title>\n    </domain>\n"
            "  </domainsnapshot>\n", i, meta->str, titles[i]);
    g_string_append(doc, "</snapshots>\n");

    /* our writer's layout of it, then loaded again */
    first = parseOk(doc->str, doc->len);
    vsBulkFileFormat(canonical, first, NULL);
    g_assert_cmpuint(canonical->len, >, 6 * 64 * 1024);
    expected = formatRecordsOneByOne(canonical->str);
    tree = parseOk(canonical->str, canonical->len);
    actual = formatRecordsOfTree(tree);
    g_assert_cmpstr(actual, ==, expected);
    g_assert_nonnull(strstr(actual, "<title>variant</title>"));
    g_assert_nonnull(strstr(actual, "passwd='pw&amp;'"));
}

typedef struct {
    const GString *doc;
    gsize pos, chunk;
} ChunkSource;

static gssize
chunkRead(gpointer data, char *buf, gsize len)
{
    ChunkSource *src = data;
    gsize n = MIN(MIN(len, src->chunk), src->doc->len - src->pos);
    memcpy(buf, src->doc->str + src->pos, n);
    src->pos += n;
    return n;
}

/* The reader's filter, fed @chunk bytes at a time, finds exactly the
 * records of @doc (every construct's end then falls on many different
 * offsets of a read). */
static void
assertRecordSpans(const GString *doc, guint count, gsize chunk)
{
    ChunkSource src = { doc, 0, chunk };
    g_autoptr(vsDomainDedup) dedup = vsDomainDedupNew(chunkRead, &src, "domainsnapshot", VS_BULK_RECORD_MAX, 0);
    const vsDomainDedupRecordSpan *spans;
    char buf[4096];
    guint n;

    while (vsDomainDedupRead(dedup, buf, sizeof(buf)) > 0)
        ;
    spans = vsDomainDedupGetRecordSpans(dedup, &n);
    g_assert_nonnull(spans);
    g_assert_cmpuint(n, ==, count);
    for (guint i = 0; i < n; i++) {
        g_assert_cmpmem(doc->str + spans[i].start, 16, "<domainsnapshot>", 16);
        g_assert_cmpmem(doc->str + spans[i].end - 17, 17, "</domainsnapshot>", 17);
    }
}

/* The filtered document of @doc, read through a handle told @size_hint. */
static GString *
dedupFiltered(const GString *doc, gsize size_hint)
{
    ChunkSource src = { doc, 0, G_MAXSIZE };
    g_autoptr(vsDomainDedup) dedup = vsDomainDedupNew(chunkRead, &src, "domainsnapshot",
                                                      VS_BULK_RECORD_MAX, size_hint);
    GString *out = g_string_new(NULL);
    char buf[4096];
    gssize got;

    while ((got = vsDomainDedupRead(dedup, buf, sizeof(buf))) > 0)
        g_string_append_len(out, buf, got);
    g_assert_cmpint(got, ==, 0);
    return out;
}

/* The nonce of the first copy's marker in a filtered document. */
static char *
markerNonce(const GString *filtered)
{
    const char *def = strstr(filtered->str, "vsdef-");

    g_assert_nonnull(def);
    return g_strndup(def + strlen("vsdef-"), strcspn(def, "=") - strlen("vsdef-"));
}

/* A document whose length is known is read in pieces of at most that
 * length (plus one, to see its end), up to the usual 64 KiB: smaller and
 * larger documents filter to the same bytes as without the hint, apart
 * from each handle's own nonce, and two handles' nonces differ (they come
 * from one generator per process, advanced by every handle). */
static void
test_dedup_size_hint(void)
{
    for (guint big = 0; big < 2; big++) {
        g_autoptr(GString) doc = g_string_new("<snapshots current='s1'>\n");
        g_autoptr(GString) hinted = NULL, plain = NULL;
        g_autofree char *pad = g_strnfill(big ? 70000 : 10, 'd');
        g_autofree char *hinted_nonce = NULL, *plain_nonce = NULL;

        appendRecord(doc, "s0", NULL, "base", pad);
        appendRecord(doc, "s1", "s0", "base", pad);
        g_string_append(doc, "</snapshots>\n");
        g_assert_cmpuint(doc->len > 64 * 1024, ==, big);
        hinted = dedupFiltered(doc, doc->len);
        plain = dedupFiltered(doc, 0);
        hinted_nonce = markerNonce(hinted);
        plain_nonce = markerNonce(plain);
        g_assert_cmpuint(strlen(hinted_nonce), ==, 32);
        g_assert_cmpstr(hinted_nonce, !=, plain_nonce);
        {
            g_auto(GStrv) hinted_parts = g_strsplit(hinted->str, hinted_nonce, -1);
            g_auto(GStrv) plain_parts = g_strsplit(plain->str, plain_nonce, -1);
            g_autofree char *hinted_joined = g_strjoinv("N", hinted_parts);
            g_autofree char *plain_joined = g_strjoinv("N", plain_parts);
            g_assert_cmpstr(hinted_joined, ==, plain_joined);
            g_assert_nonnull(strstr(hinted_joined, "vsref-N"));
        }
    }
}

/* Tags, comments, CDATA and PIs longer than one read (64 KiB), with their
 * end at every offset around a read boundary: the scanner carries on where
 * it stopped (issue 11: it rescanned them whole at every read), and the
 * result is the same as parsing each record alone. */
static void
test_long_constructs(void)
{
    for (gsize shift = 0; shift < 12; shift++) {
        g_autoptr(GString) doc = g_string_new("<snapshots current='s3'>\n");
        g_autoptr(GString) pad = g_string_new(NULL);
        g_autofree char *expected = NULL, *actual = NULL;
        g_autoptr(vsTree) tree = NULL;

        /* '>' and both quotes inside, as their grammar allows */
        for (gsize i = 0; pad->len < 70000 + shift; i++)
            g_string_append(pad, i % 7 ? "a>b\"c" : "]x-y?");
        appendRecord(doc, "s0", NULL, "base", NULL);
        g_string_append_printf(doc, "  <!-- %s -->\n", pad->str);
        appendRecord(doc, "s1", "s0", "base", NULL);
        g_string_append_printf(doc, "  <?pi %s ?>\n", pad->str);
        {
            g_auto(GStrv) parts = g_strsplit(pad->str, "\"", -1);
            g_autofree char *attr = g_strjoinv("&quot;", parts);
            g_autofree char *title = g_strdup_printf("t<![CDATA[%s]]>", pad->str);
            g_autofree char *desc = g_strdup_printf("x' a=\"%s\" b='", attr);
            appendRecord(doc, "s2", "s1", title, NULL);
            /* a long start tag: the description element's own attributes */
            g_string_append_printf(doc, "  <domainsnapshot>\n    <name>s3</name>\n"
                                   "    <description z='%s'>d</description>\n", desc);
        }
        g_string_append(doc, "    <state>shutoff</state>\n    <parent>\n      <name>s2</name>\n"
                             "    </parent>\n    <creationTime>100</creationTime>\n"
                             "  </domainsnapshot>\n");
        appendRecord(doc, "s4", "s3", "base", NULL);
        g_string_append(doc, "</snapshots>\n");
        expected = formatRecordsOneByOne(doc->str);
        tree = parseOk(doc->str, doc->len);
        actual = formatRecordsOfTree(tree);
        g_assert_cmpuint(vsTreeCount(tree), ==, 5);
        g_assert_cmpstr(actual, ==, expected);
        assertRecordSpans(doc, 5, shift < 3 ? shift + 1 : 997 + shift);
    }
}

static void
test_repeated_domains_keep_line_numbers(void)
{
    g_autoptr(GString) doc = g_string_new("<snapshots>\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) tree = NULL;
    guint line;

    for (int i = 0; i < 5; i++) {
        g_autofree char *name = g_strdup_printf("s%d", i);
        appendRecord(doc, name, NULL, "base", NULL);
    }
    /* The bad record's line, counted in the real file. */
    line = 1;
    for (const char *c = doc->str; *c; c++)
        line += *c == '\n';
    g_string_append(doc, "  <domainsnapshot>\n    <name>bad</name>\n"
                         "    <state>bogus</state>\n");
    g_string_append(doc, "    <creationTime>1</creationTime>\n  </domainsnapshot>\n</snapshots>\n");
    g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "vm.xml", NULL, &error), <, 0);
    g_autofree char *prefix = g_strdup_printf("vm.xml:%u: ", line);
    if (!g_str_has_prefix(error->message, prefix))
        g_error("'%s' does not start with '%s'", error->message, prefix);
}

/* fuzz/crashers/bulkfile-zstd-empty-document-null.bin: an empty document
 * passed as (NULL, 0) is an ordinary "no document" error. */
static void
test_empty_null_document(void)
{
    g_autoptr(vsTree) tree = NULL;
    g_autoptr(vsBulkSegments) segments = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsBulkFileParse(&tree, &segments, &vsSnapshotKind, NULL, 0, "empty.xml", NULL, &error),
                    <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_cmpstr(error->message, ==,
                    "empty.xml: no <snapshots> document (empty or truncated file)");
}

static void
test_forged_markers_are_plain_attributes(void)
{
    /* Marker attribute names carry a per-load nonce; a file that guesses the
     * shape gets an ordinary attribute on an ordinary <domain>. */
    const char *doc =
        "<snapshots>"
        "<domainsnapshot><name>a</name><state>shutoff</state><creationTime>1</creationTime>"
        "<domain type='kvm'><name>demo</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
        "</domain></domainsnapshot>"
        "<domainsnapshot><name>b</name><state>shutoff</state><creationTime>2</creationTime>"
        "<domain vsref-00000000000000000000000000000000='0'/></domainsnapshot>"
        "</snapshots>";
    g_autoptr(vsTree) tree = parseOk(doc, strlen(doc));
    g_assert_true(vsMomentHasDomain(vsTreeLookup(tree, "a")));
    g_assert_false(vsMomentHasDomain(vsTreeLookup(tree, "b")));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bulkfile/golden", test_golden);
    g_test_add_func("/bulkfile/zstd-round-trip", test_zstd_round_trip);
    g_test_add_func("/bulkfile/rejects", test_rejects);
    g_test_add_func("/bulkfile/truncation-never-loads", test_truncation_never_loads);
    g_test_add_func("/bulkfile/size-cap", test_size_cap);
    g_test_add_func("/bulkfile/record-limit", test_record_limit);
    g_test_add_func("/bulkfile/blank-texts-kept", test_blank_texts_kept);
    g_test_add_func("/bulkfile/empty-and-comment", test_empty_and_comment);
    g_test_add_func("/bulkfile/repeated-domains", test_repeated_domains);
    g_test_add_func("/bulkfile/repeated-big-domains", test_repeated_big_domains);
    g_test_add_func("/bulkfile/repeated-domains-foreign-layout",
                    test_repeated_domains_foreign_layout);
    g_test_add_func("/bulkfile/long-constructs", test_long_constructs);
    g_test_add_func("/bulkfile/dedup-size-hint", test_dedup_size_hint);
    g_test_add_func("/bulkfile/repeated-domains-keep-line-numbers",
                    test_repeated_domains_keep_line_numbers);
    g_test_add_func("/bulkfile/forged-markers", test_forged_markers_are_plain_attributes);
    g_test_add_func("/bulkfile/empty-null-document", test_empty_null_document);
    return g_test_run();
}
