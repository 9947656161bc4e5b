/* test-xmlsubtree-chunks.c — a subtree held as interned chunks
 * (lib/record/xmlsubtree-chunks.c): two domains differing by one device
 * share every other chunk, and however a subtree is cut, what it formats,
 * compares and hashes is what the one-piece text gives, on every fixture. */
#include <string.h>
#include <libxml/parser.h>

#include "testutil.h"
#include "record/xmlsubtree-private.h"

/* Three cuttings of the same text: the library's, a cut after every line,
 * and none (the flat form). */
static const vsXmlChunking every_line = { 0, 0, 0 };
static const vsXmlChunking one_piece = { G_MAXSIZE, G_MAXSIZE, 0 };

static xmlDocPtr
parse(const char *xml, gsize len)
{
    return xmlReadMemory(xml, len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                         XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static vsXmlSubtree *
capture(xmlNodePtr node, const vsXmlChunking *policy)
{
    g_autoptr(GError) error = NULL;
    vsXmlSubtree *tree = NULL;

    g_assert_cmpint(vsXmlSubtreeFromNodeChunked(&tree, node, policy, &error), ==, 0);
    g_assert_no_error(error);
    return tree;
}

static vsXmlSubtree *
captureXML(const char *xml, const vsXmlChunking *policy)
{
    xmlDocPtr doc = parse(xml, strlen(xml));
    vsXmlSubtree *tree;

    g_assert_nonnull(doc);
    tree = capture(xmlDocGetRootElement(doc), policy);
    xmlFreeDoc(doc);
    return tree;
}

/* A ~200 KiB <domain> with @nics NICs; @extra (or NULL) is hot-plugged
 * after NIC @at, as the benchmark's variants are. */
static char *
bigDomain(guint nics, guint at, const char *extra)
{
    GString *xml = g_string_new("<domain type='kvm'><name>vm1</name>"
                                "<uuid>6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d</uuid><devices>");

    for (guint i = 0; i < nics; i++) {
        g_string_append_printf(xml,
            "<interface type='bridge'><mac address='52:54:00:10:%02x:%02x'/>"
            "<source bridge='br%u'/><model type='virtio'/>"
            "<address type='pci' domain='0x0000' bus='0x01' slot='0x%02x' function='0x0'/>"
            "</interface>", (i >> 8) & 0xff, i & 0xff, i, i & 0xff);
        if (i == at && extra)
            g_string_append(xml, extra);
    }
    g_string_append(xml, "</devices></domain>");
    return g_string_free(xml, FALSE);
}

static gboolean
holds(const vsXmlSubtree *tree, const vsXmlChunk *chunk)
{
    for (guint i = 0; i < tree->nchunks; i++) {
        if (tree->chunks[i] == chunk)
            return TRUE;
    }
    return FALSE;
}

static void
testHotplugShares(void)
{
    static const char nic[] =
        "<interface type='network'><mac address='52:54:00:aa:bb:cc'/>"
        "<source network='default'/><model type='virtio'/></interface>";
    g_autofree char *base_xml = bigDomain(800, 0, NULL);
    g_autofree char *plugged_xml = bigDomain(800, 400, nic);
    g_autoptr(vsXmlSubtree) base = captureXML(base_xml, &vsXmlChunkingDefault);
    g_autoptr(vsXmlSubtree) plugged = captureXML(plugged_xml, &vsXmlChunkingDefault);
    g_autoptr(vsXmlSubtree) again = captureXML(base_xml, &vsXmlChunkingDefault);
    guint fresh = 0;

    g_assert_cmpuint(vsXmlSubtreeGetLength(base), >, 150 * 1024);
    g_assert_cmpuint(base->nchunks, >, 20);
    for (guint i = 0; i < plugged->nchunks; i++)
        fresh += !holds(base, plugged->chunks[i]);
    /* the NIC's chunk, and the one after it until the cuts meet again */
    g_assert_cmpuint(fresh, >=, 1);
    g_assert_cmpuint(fresh, <=, 3);

    /* Byte accounting: the first capture holds its text; the second adds
     * its chunk list and the chunks around the NIC; a repeat adds its list. */
    g_assert_cmpuint(vsXmlSubtreeBytes(base), >, vsXmlSubtreeGetLength(base));
    g_assert_cmpuint(vsXmlSubtreeBytes(plugged), <,
                     plugged->nchunks * sizeof(void *) + 256 + 3 * 16 * 1024 + 3 * 128);
    g_assert_cmpuint(vsXmlSubtreeBytes(again), <, again->nchunks * sizeof(void *) + 256);
    g_assert_true(vsXmlSubtreeEqual(base, again));
    g_assert_false(vsXmlSubtreeEqual(base, plugged));
    for (guint i = 0; i < base->nchunks; i++)
        g_assert_true(base->chunks[i] == again->chunks[i]);
}

/* The formatted subtree as a record holds it (no first indent, no final
 * newline), for FormattedEqual. */
static char *
asStored(const vsXmlSubtree *tree, guint level, gboolean secure)
{
    g_autoptr(GString) buf = g_string_new(NULL);

    vsXmlSubtreeAppend(buf, tree, level, secure);
    g_assert_cmpuint(buf->len, >, level * 2);
    g_assert_true(buf->str[buf->len - 1] == '\n');
    return g_strndup(buf->str + level * 2, buf->len - level * 2 - 1);
}

/* Everything a caller sees of @a (library cutting) and @b (another) is
 * the same. */
static void
assertSameView(const vsXmlSubtree *a, const vsXmlSubtree *b)
{
    gsize alen, blen;
    const char *atext = vsXmlSubtreeGetCanonical(a, &alen);
    const char *btext = vsXmlSubtreeGetCanonical(b, &blen);

    g_assert_cmpuint(alen, ==, blen);
    g_assert_true(memcmp(atext, btext, alen) == 0);
    g_assert_cmpuint(vsXmlSubtreeGetLength(a), ==, alen);
    g_assert_true(vsXmlSubtreeEqual(a, b));
    /* a hash is of the chunks: the same only for the same cutting */
    if (a->nchunks == b->nchunks && memcmp(a->chunks, b->chunks, a->nchunks * sizeof(vsXmlChunk *)) == 0)
        g_assert_cmpuint(vsXmlSubtreeHash(a), ==, vsXmlSubtreeHash(b));
    for (guint level = 0; level < 4; level++) {
        for (int secure = 0; secure < 2; secure++) {
            g_autofree char *fa = asStored(a, level, secure);
            g_autofree char *fb = asStored(b, level, secure);
            gsize n = strlen(fa);

            g_assert_cmpstr(fa, ==, fb);
            g_assert_true(vsXmlSubtreeFormattedEqual(a, level, secure, fb, n));
            g_assert_true(vsXmlSubtreeFormattedEqual(b, level, secure, fa, n));
            /* one byte off, anywhere, is seen by both */
            fa[n / 2] ^= 0x20;
            g_assert_false(vsXmlSubtreeFormattedEqual(a, level, secure, fa, n));
            g_assert_false(vsXmlSubtreeFormattedEqual(b, level, secure, fa, n));
            g_assert_false(vsXmlSubtreeFormattedEqual(b, level, secure, fb, n - 1));
        }
    }
    for (guint k = 0; k < 3; k++) {
        static const char *const children[] = { "uuid", "name", "description" };
        static const char *const attrs[] = { "type", "id", "xmlns" };
        g_autofree char *ca = vsXmlSubtreeGetChildText(a, children[k]);
        g_autofree char *cb = vsXmlSubtreeGetChildText(b, children[k]);
        g_autofree char *ra = vsXmlSubtreeGetRootAttr(a, attrs[k]);
        g_autofree char *rb = vsXmlSubtreeGetRootAttr(b, attrs[k]);

        g_assert_cmpstr(ca, ==, cb);
        g_assert_cmpstr(ra, ==, rb);
    }
}

/* @tree's text formatted without a subtree (vsXmlCanonicalAppend, what the
 * pieces check parses): in one call, or a call per chunk, it is what the
 * subtree formats at level 0 with its secrets. */
static void
assertTextFormatsAsSubtree(const vsXmlSubtree *tree)
{
    g_autoptr(GString) want = g_string_new("prefix");
    g_autoptr(GString) whole = g_string_new("prefix");
    g_autoptr(GString) by_chunk = g_string_new("prefix");
    gsize len;
    const char *text = vsXmlSubtreeGetCanonical(tree, &len);

    vsXmlSubtreeAppend(want, tree, 0, TRUE);
    vsXmlCanonicalAppend(whole, text, len);
    for (guint i = 0; i < tree->nchunks; i++)
        vsXmlCanonicalAppend(by_chunk, tree->chunks[i]->text, tree->chunks[i]->len);
    g_assert_cmpstr(whole->str, ==, want->str);
    g_assert_cmpstr(by_chunk->str, ==, want->str);
}

/* Every element worth keeping whole in @node's tree: the root, and each
 * <domain>, <inactiveDomain> and <cookie>. */
static void
collect(xmlNodePtr node, GPtrArray *out, gboolean root)
{
    if (root || vsXmlIsElement(node, "domain") || vsXmlIsElement(node, "inactiveDomain") ||
        vsXmlIsElement(node, "cookie"))
        g_ptr_array_add(out, node);
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            collect(c, out, FALSE);
    }
}

static guint
checkFile(const char *path)
{
    g_autofree char *xml = NULL;
    gsize len;
    xmlDocPtr doc;
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    guint checked = 0;

    xml = vsTestReadFile(path, &len);
    if (!(doc = parse(xml, len)))
        return 0;   /* fixtures of broken files */
    collect(xmlDocGetRootElement(doc), nodes, TRUE);
    for (guint i = 0; i < nodes->len; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(vsXmlSubtree) lib = NULL;
        g_autoptr(vsXmlSubtree) lines = NULL;
        g_autoptr(vsXmlSubtree) flat = NULL;

        if (vsXmlSubtreeFromNode(&lib, nodes->pdata[i], &error) < 0)
            continue;   /* refused (entity references...): not this test's business */
        lines = capture(nodes->pdata[i], &every_line);
        flat = capture(nodes->pdata[i], &one_piece);
        g_assert_cmpuint(flat->nchunks, ==, 1);
        g_assert_cmpuint(lines->nchunks, >=, MIN(lines->lines, 2));
        assertSameView(lib, flat);
        assertSameView(lines, flat);
        assertSameView(lib, lines);
        assertTextFormatsAsSubtree(lib);
        assertTextFormatsAsSubtree(lines);
        checked++;
    }
    xmlFreeDoc(doc);
    return checked;
}

static guint
checkTree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint checked = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            checked += checkTree(path);
        else if (g_str_has_suffix(name, ".xml"))
            checked += checkFile(path);
    }
    return checked;
}

static void
testFixturesAnyCutting(void)
{
    const char *srcdir = g_getenv("VS_TESTS_SRCDIR");
    g_autofree char *fixtures = NULL;
    g_autofree char *golden = NULL;

    g_assert_nonnull(srcdir);
    fixtures = g_build_filename(srcdir, "fixtures", NULL);
    golden = g_build_filename(srcdir, "golden", NULL);
    g_assert_cmpuint(checkTree(fixtures) + checkTree(golden), >, 100);
}

/* Secrets are never cut: leaving one out works whatever the cutting. */
static void
testSecretWhole(void)
{
    static const char xml[] =
        "<domain type='kvm'><name>s</name><devices>"
        "<disk type='network'><source protocol='http' name='x'><host name='h'/>"
        "<cookies><cookie name='a'>1</cookie><cookie name='b'>2</cookie></cookies>"
        "</source></disk>"
        "<graphics type='vnc' passwd='p'/></devices></domain>";
    g_autoptr(vsXmlSubtree) lines = captureXML(xml, &every_line);
    g_autoptr(vsXmlSubtree) flat = captureXML(xml, &one_piece);
    g_autofree char *plain = asStored(lines, 1, FALSE);

    g_assert_null(strstr(plain, "cookie"));
    g_assert_null(strstr(plain, "passwd"));
    assertSameView(lines, flat);
    assertTextFormatsAsSubtree(lines);
    for (guint i = 0; i < lines->nchunks; i++) {
        const char *t = lines->chunks[i]->text;
        g_assert_true((strchr(t, MARK_SECRET_BEGIN) == NULL) ==
                      (strchr(t, MARK_SECRET_END) == NULL));
    }
}

/* Two threads capture and drop the same domains over and over (handles in
 * two threads share chunks): every capture still holds its exact text. */
typedef struct {
    const char *xml[2];
    const char *expected[2];
} ThreadWork;

static gpointer
captureLoop(gpointer data)
{
    ThreadWork *w = data;

    for (guint i = 0; i < 60; i++) {
        g_autoptr(vsXmlSubtree) tree = captureXML(w->xml[i % 2], &vsXmlChunkingDefault);
        g_autofree char *text = asStored(tree, 0, TRUE);

        g_assert_cmpstr(text, ==, w->expected[i % 2]);
    }
    return NULL;
}

static void
testThreads(void)
{
    g_autofree char *a = bigDomain(300, 0, NULL);
    g_autofree char *b = bigDomain(300, 150, "<interface type='network'/>");
    g_autoptr(vsXmlSubtree) ta = captureXML(a, &one_piece);
    g_autoptr(vsXmlSubtree) tb = captureXML(b, &one_piece);
    g_autofree char *ea = asStored(ta, 0, TRUE);
    g_autofree char *eb = asStored(tb, 0, TRUE);
    ThreadWork w1 = { { a, b }, { ea, eb } };
    ThreadWork w2 = { { b, a }, { eb, ea } };
    GThread *t1 = g_thread_new("capture-1", captureLoop, &w1);
    GThread *t2 = g_thread_new("capture-2", captureLoop, &w2);

    g_thread_join(t1);
    g_thread_join(t2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xmlsubtree-chunks/hotplug-shares", testHotplugShares);
    g_test_add_func("/xmlsubtree-chunks/fixtures-any-cutting", testFixturesAnyCutting);
    g_test_add_func("/xmlsubtree-chunks/secret-whole", testSecretWhole);
    g_test_add_func("/xmlsubtree-chunks/threads", testThreads);
    return g_test_run();
}
