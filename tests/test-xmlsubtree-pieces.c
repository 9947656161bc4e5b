/* test-xmlsubtree-pieces.c — a definition given as pieces, checked
 * (lib/record/xmlsubtree-pieces.c): every captured definition is accepted
 * as the same subtree; the check by parts accepts exactly what the whole
 * check (formatted, parsed, captured again) accepts, on thousands of
 * mutations and on hostile pieces; and a definition differing from one
 * checked before by a device parses only the part around it. */
#include <string.h>
#include <libxml/parser.h>

#include "testutil.h"
#include "util/error.h"
#include "record/xmlsubtree-private.h"

static const vsXmlChunking every_line = { 0, 0, 0 };

static xmlDocPtr
parse(const char *xml, gsize len)
{
    return xmlReadMemory(xml, len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                         XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static vsXmlSubtree *
captureXML(const char *xml)
{
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc = parse(xml, strlen(xml));
    vsXmlSubtree *tree = NULL;

    g_assert_nonnull(doc);
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error), ==, 0);
    xmlFreeDoc(doc);
    return tree;
}

/* Checks @tree's pieces: accepted, the same subtree; the whole check too. */
static void
assertAccepted(vsXmlPieceCheck *check, const vsXmlSubtree *tree)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsXmlSubtree) back = NULL;

    g_assert_cmpint(vsXmlSubtreeFromPiecesChecked(&back, check, tree->chunks, tree->nchunks,
                                                  &error), ==, 0);
    g_assert_no_error(error);
    g_assert_true(vsXmlSubtreeEqual(back, tree));
    g_assert_cmpuint(vsXmlSubtreeHash(back), ==, vsXmlSubtreeHash(tree));
    g_assert_cmpuint(vsXmlSubtreeGetLength(back), ==, vsXmlSubtreeGetLength(tree));
    g_assert_cmpuint(back->lines, ==, tree->lines);
    g_assert_cmpint(vsXmlPiecesCheckWhole(tree->chunks, tree->nchunks, NULL), ==, 0);
}

/* The check by parts (through @check, which remembers) against the whole
 * check: the same answer.  Returns whether accepted. */
static gboolean
assertAgrees(vsXmlPieceCheck *check, vsXmlPiece *const *pieces, guint n)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) whole_error = NULL;
    g_autoptr(vsXmlSubtree) back = NULL;
    int whole = vsXmlPiecesCheckWhole(pieces, n, &whole_error);
    int parts = vsXmlSubtreeFromPiecesChecked(&back, check, pieces, n, &error);

    if (whole != parts) {
        g_autoptr(vsXmlSubtree) t = vsXmlSubtreeFromPieces(pieces, n);
        gsize len;
        const char *text = vsXmlSubtreeGetCanonical(t, &len);
        g_test_message("whole %d, parts %d on %u pieces:\n%.*s", whole, parts, n, (int) len,
                       text);
    }
    g_assert_cmpint(whole, ==, parts);
    if (parts < 0) {
        g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
        return FALSE;
    }
    g_assert_cmpuint(back->nchunks, ==, n);
    return TRUE;
}

/* ------------------------------------------------------------------ */
/* Every fixture's definitions                                          */

static void
collect(xmlNodePtr node, GPtrArray *out)
{
    if (vsXmlIsElement(node, "domain") || vsXmlIsElement(node, "inactiveDomain"))
        g_ptr_array_add(out, node);
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            collect(c, out);
    }
}

static guint
checkFile(vsXmlPieceCheck *check, const char *path)
{
    g_autofree char *xml = NULL;
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    gsize len;
    xmlDocPtr doc;
    guint checked = 0;

    xml = vsTestReadFile(path, &len);
    if (!(doc = parse(xml, len)))
        return 0;   /* fixtures of broken files */
    collect(xmlDocGetRootElement(doc), nodes);
    for (guint i = 0; i < nodes->len; i++) {
        g_autoptr(vsXmlSubtree) tree = NULL;

        if (vsXmlSubtreeFromNode(&tree, nodes->pdata[i], NULL) < 0)
            continue;   /* refused (entity references...): not this test's business */
        assertAccepted(check, tree);
        checked++;
    }
    xmlFreeDoc(doc);
    return checked;
}

static guint
checkTree(vsXmlPieceCheck *check, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint checked = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            checked += checkTree(check, path);
        else if (g_str_has_suffix(name, ".xml"))
            checked += checkFile(check, path);
    }
    return checked;
}

static void
testFixtures(void)
{
    const char *srcdir = g_getenv("VS_TESTS_SRCDIR");
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autofree char *fixtures = NULL;
    g_autofree char *golden = NULL;

    g_assert_nonnull(srcdir);
    fixtures = g_build_filename(srcdir, "fixtures", NULL);
    golden = g_build_filename(srcdir, "golden", NULL);
    g_assert_cmpuint(checkTree(check, fixtures) + checkTree(check, golden), >, 30);
}

/* ------------------------------------------------------------------ */
/* Big definitions with hot-plugged NICs                                */

/* A domain with @nics padding NICs in <devices> (one more, @plugged, after
 * the @at-th when @plugged is not 0), a <metadata>, a secret, namespaces. */
static char *
bigDomainWith(guint nics, guint at, guint plugged, guint events)
{
    GString *xml = g_string_new(
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<name>vm1</name><uuid>00000000-0000-0000-0000-000000000001</uuid>"
        "<metadata><app:a xmlns:app='http://example.org/app'><app:b>t\n  &lt;x&gt;\n"
        "</app:b>");

    for (guint i = 0; i < events; i++)
        g_string_append_printf(xml, "<app:event id='%u'><app:what>boot %u</app:what></app:event>",
                               i, i);
    g_string_append(xml,
        "</app:a></metadata>"
        "<memory unit='KiB'>1048576</memory><vcpu>2</vcpu>"
        "<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os><devices>"
        "<graphics type='vnc' passwd='secret'/>"
        "<disk type='network' device='disk'><source protocol='http' name='x'>"
        "<host name='h'/><cookies><cookie name='a'>1</cookie></cookies></source>"
        "<target dev='vda' bus='virtio'/></disk>");

    for (guint i = 0; i < nics; i++) {
        g_string_append_printf(xml,
                               "<interface type='bridge'><mac address='52:54:00:%02x:%02x:%02x'/>"
                               "<source bridge='br%u'/><model type='virtio'/>"
                               "<address type='pci' domain='0x0000' bus='0x%02x' slot='0x%02x'/>"
                               "</interface>",
                               i >> 16, (i >> 8) & 0xff, i & 0xff, i % 7, i & 0xff, i % 31);
        if (plugged && i == at)
            g_string_append_printf(xml,
                                   "<interface type='network'><mac address='52:54:01:00:00:%02x'/>"
                                   "<source network='hot%u'/><model type='e1000'/></interface>",
                                   plugged & 0xff, plugged);
    }
    g_string_append(xml, "<memballoon model='virtio'/></devices>"
                         "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline></domain>");
    return g_string_free(xml, FALSE);
}

static char *
bigDomain(guint nics, guint at, guint plugged)
{
    return bigDomainWith(nics, at, plugged, 0);
}

static void
testHotplugParsesItsPart(void)
{
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autofree char *base_xml = bigDomain(6000, 0, 0);
    g_autofree char *plug_xml = bigDomain(6000, 3000, 1);
    g_autofree char *plug2_xml = bigDomain(6000, 100, 2);
    g_autoptr(vsXmlSubtree) base = captureXML(base_xml);
    g_autoptr(vsXmlSubtree) plug = captureXML(plug_xml);
    g_autoptr(vsXmlSubtree) plug2 = captureXML(plug2_xml);
    guint first, again, second;

    g_assert_cmpuint(base->len, >, 1024 * 1024);
    assertAccepted(check, base);
    first = vsXmlPieceCheckGetParseCount(check);
    g_assert_cmpuint(first, >, 100);   /* in parts, not whole */
    assertAccepted(check, base);
    again = vsXmlPieceCheckGetParseCount(check);
    g_assert_cmpuint(again, ==, first);
    assertAccepted(check, plug);
    second = vsXmlPieceCheckGetParseCount(check);
    g_assert_cmpuint(second - again, >=, 1);
    g_assert_cmpuint(second - again, <=, 3);
    assertAccepted(check, plug2);
    g_assert_cmpuint(vsXmlPieceCheckGetParseCount(check) - second, <=, 3);
    g_assert_cmpuint(vsXmlPieceCheckGetWholeCount(check), ==, 0);
}

/* A big <metadata> (one part over many pieces) is not parsed again when
 * the piece it ends in changes after it (here <memory>, the next child). */
static void
testBigMetadataNotParsedAgain(void)
{
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autofree char *base_xml = bigDomainWith(50, 0, 0, 2000);
    g_autoptr(GString) plug_xml = g_string_new(base_xml);
    g_autoptr(vsXmlSubtree) base = captureXML(base_xml);
    g_autoptr(vsXmlSubtree) plug = NULL;
    guint before;

    g_string_replace(plug_xml, "1048576</memory>", "2097152</memory>", 1);
    plug = captureXML(plug_xml->str);

    g_assert_cmpuint(base->len, >, 100 * 1024);
    assertAccepted(check, base);
    before = vsXmlPieceCheckGetParseCount(check);
    assertAccepted(check, plug);
    /* <memory>'s group and <devices>' first (the same piece), not <metadata> */
    g_assert_cmpuint(vsXmlPieceCheckGetParseCount(check) - before, <=, 2);
    g_assert_cmpuint(vsXmlPieceCheckGetWholeCount(check), ==, 0);
}

/* The root's namespaces used by different children: no part gives the
 * root line back alone, so the whole check decides (and accepts). */
static void
testNamespacesSpreadFallBack(void)
{
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autofree char *xml = bigDomain(40, 0, 0);
    g_autoptr(GString) two = g_string_new(xml);
    g_autoptr(vsXmlSubtree) tree = NULL;
    guint before;

    g_string_replace(two, "<domain type='kvm'",
                     "<domain type='kvm' xmlns:b='urn:b'", 1);
    /* far from <qemu:commandline>: in another group of children */
    g_string_replace(two, "<uuid>", "<b:x/><uuid>", 1);
    tree = captureXML(two->str);
    before = vsXmlPieceCheckGetParseCount(check);
    assertAccepted(check, tree);
    g_assert_cmpuint(vsXmlPieceCheckGetParseCount(check), >, before);
    g_assert_cmpuint(vsXmlPieceCheckGetWholeCount(check), ==, 1);
}

/* @tree's text with @from replaced by @to, cut as the library cuts:
 * whether its pieces are accepted (the whole check agreeing). */
static gboolean
editedAccepted(vsXmlPieceCheck *check, const vsXmlSubtree *tree, const char *from, const char *to)
{
    gsize len;
    const char *text = vsXmlSubtreeGetCanonical(tree, &len);
    g_autoptr(GString) edited = g_string_new_len(text, len);
    g_autoptr(vsXmlSubtree) cut = NULL;

    g_assert_cmpuint(g_string_replace(edited, from, to, 1), ==, 1);
    cut = vsXmlSubtreeFromText(edited->str, edited->len, &vsXmlChunkingDefault);
    return assertAgrees(check, cut->chunks, cut->nchunks);
}

/* What the whole capture shares between children, each in parts far
 * apart: a second <metadata> (dropped by a capture), a namespace declared
 * on the root or on <devices> and used nowhere (dropped), one used by a
 * single far child (kept). */
static void
testWholeRules(void)
{
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autofree char *xml = bigDomain(300, 0, 0);
    g_autoptr(vsXmlSubtree) tree = captureXML(xml);
    g_autoptr(GString) used = g_string_new(xml);
    g_autoptr(vsXmlSubtree) used_tree = NULL;
    guint wholes;

    assertAccepted(check, tree);
    g_assert_false(editedAccepted(check, tree, "  <qemu:commandline>",
                                  "  <metadata/>\n  <qemu:commandline>"));
    g_assert_false(editedAccepted(check, tree, "  <devices>", "  <devices xmlns:z='urn:z'>"));
    g_assert_false(editedAccepted(check, tree, "<domain type='kvm'",
                                  "<domain type='kvm' xmlns:z='urn:z'"));
    g_assert_true(editedAccepted(check, tree, "  <name>vm1</name>", "  <name>vm2</name>"));
    g_string_replace(used, "<devices>", "<devices xmlns:z='urn:z'>", 1);
    g_string_replace(used, "<memballoon", "<z:nic/><memballoon", 1);
    used_tree = captureXML(used->str);
    wholes = vsXmlPieceCheckGetWholeCount(check);
    assertAccepted(check, used_tree);
    g_assert_cmpuint(vsXmlPieceCheckGetWholeCount(check), ==, wholes);
}

/* ------------------------------------------------------------------ */
/* Mutations: the parts agree with the whole                            */

static GPtrArray *
splitLines(const char *text, gsize len)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    const char *end = text + len;

    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', end - p);
        const char *stop = nl ? nl + 1 : end;

        g_ptr_array_add(lines, g_strndup(p, stop - p));
        p = stop;
    }
    return lines;
}

static char *
joinLines(GPtrArray *lines)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < lines->len; i++)
        g_string_append(out, lines->pdata[i]);
    return g_string_free(out, FALSE);
}

/* One random edit of the text's lines, of the kinds a hostile or broken
 * writer could make and a split could be fooled by. */
static void
mutateLines(GRand *rand, GPtrArray *lines)
{
    static const char bytes[] = " <>/\n\x01\x02\x03'=!-?[]ax:";
    static const char *const inserts[] = {
        "  <metadata>\n", "  </metadata>\n", "  <x/>\n", "    <x/>\n", "  <!-- c -->\n",
        "  <![CDATA[ x ]]>\n", "  <?pi x?>\n", "  </devices>\n", "  <devices>\n",
        "\x02    <cookies/>\n\x03", "  <qemu:y/>\n", "  <b:y xmlns:b='urn:b'/>\n",
        "  <metadata/>\n", "  <metadata>text</metadata>\n", "text\n", "\n", "  <\n",
    };
    guint i = g_rand_int_range(rand, 0, lines->len);
    char *line = lines->pdata[i];
    gsize len = strlen(line);

    switch (g_rand_int_range(rand, 0, 8)) {
    case 0:   /* a byte changed */
        if (len > 0)
            line[g_rand_int_range(rand, 0, len)] = bytes[g_rand_int_range(rand, 0, sizeof(bytes) - 1)];
        break;
    case 1:   /* a line dropped */
        if (lines->len > 1)
            g_ptr_array_remove_index(lines, i);
        break;
    case 2:   /* a line repeated */
        g_ptr_array_insert(lines, i, g_strdup(line));
        break;
    case 3: { /* two lines swapped */
        guint j = g_rand_int_range(rand, 0, lines->len);
        lines->pdata[i] = lines->pdata[j];
        lines->pdata[j] = line;
        break;
    }
    case 4:   /* a line inserted */
        g_ptr_array_insert(lines, i, g_strdup(inserts[g_rand_int_range(rand, 0, G_N_ELEMENTS(inserts))]));
        break;
    case 5:   /* a namespace declaration dropped from or added to the root */
        if (i == 0 || g_rand_boolean(rand)) {
            GString *root = g_string_new(lines->pdata[0]);
            if (!g_string_replace(root, " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'", "", 1))
                g_string_replace(root, ">", " xmlns:z='urn:z'>", 1);
            g_free(lines->pdata[0]);
            lines->pdata[0] = g_string_free(root, FALSE);
        }
        break;
    case 6:   /* the indent changed */
        if (line[0] == ' ') {
            lines->pdata[i] = g_strdup(line + 1);
            g_free(line);
        } else {
            lines->pdata[i] = g_strconcat(" ", line, NULL);
            g_free(line);
        }
        break;
    default: { /* a <metadata> line edited */
        for (guint k = 0; k < lines->len; k++) {
            if (strstr(lines->pdata[k], "app:")) {
                GString *l = g_string_new(lines->pdata[k]);
                g_string_replace(l, "app:", g_rand_boolean(rand) ? "" : "pp:", 1);
                g_free(lines->pdata[k]);
                lines->pdata[k] = g_string_free(l, FALSE);
                break;
            }
        }
        break;
    }
    }
}

/* Mutates @base @rounds times (one or two edits each, cut as the library
 * cuts or after every line, pieces swapped or repeated); returns how many
 * were accepted. */
static guint
mutateAndAgree(vsXmlPieceCheck *check, GRand *rand, const vsXmlSubtree *base, guint rounds)
{
    gsize len;
    const char *text = vsXmlSubtreeGetCanonical(base, &len);
    guint accepted = 0;

    for (guint r = 0; r < rounds; r++) {
        g_autoptr(GPtrArray) lines = splitLines(text, len);
        g_autofree char *mutated = NULL;
        g_autoptr(vsXmlSubtree) cut = NULL;
        g_autoptr(GPtrArray) pieces = g_ptr_array_new();
        guint edits = g_rand_int_range(rand, 0, 3);

        for (guint e = 0; e < edits; e++)
            mutateLines(rand, lines);
        mutated = joinLines(lines);
        cut = vsXmlSubtreeFromText(mutated, strlen(mutated),
                                   g_rand_int_range(rand, 0, 8) ? &vsXmlChunkingDefault : &every_line);
        for (guint i = 0; i < cut->nchunks; i++)
            g_ptr_array_add(pieces, cut->chunks[i]);
        if (edits == 0 && pieces->len > 1) {
            guint i = g_rand_int_range(rand, 0, pieces->len - 1);
            gpointer p = pieces->pdata[i];

            if (g_rand_boolean(rand)) {
                pieces->pdata[i] = pieces->pdata[i + 1];
                pieces->pdata[i + 1] = p;
            } else {
                g_ptr_array_insert(pieces, i, p);
            }
        }
        accepted += assertAgrees(check, (vsXmlPiece *const *) pieces->pdata, pieces->len);
    }
    return accepted;
}

static void
testMutationsAgree(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(16);
    g_autofree char *small = bigDomain(3, 0, 0);
    g_autofree char *big = bigDomain(300, 0, 0);
    g_autoptr(vsXmlSubtree) small_tree = captureXML(small);
    g_autoptr(vsXmlSubtree) big_tree = captureXML(big);
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    guint accepted;

    /* one check for all: what it remembers must never decide wrongly */
    accepted = mutateAndAgree(check, rand, small_tree, 3000);
    accepted += mutateAndAgree(check, rand, big_tree, 1500);
    g_test_message("%u of 4500 mutations accepted, %u by parts", accepted,
                   accepted - (vsXmlPieceCheckGetWholeCount(check) - (4500 - accepted)));
    g_assert_cmpuint(accepted, >, 100);
    /* most accepted ones by parts (the whole check decides every refusal) */
    g_assert_cmpuint(vsXmlPieceCheckGetWholeCount(check) - (4500 - accepted), <, accepted / 2);
    g_assert_cmpuint(accepted, <, 4400);
}

/* ------------------------------------------------------------------ */
/* Hostile pieces                                                       */

static void
testHostilePieces(void)
{
    static const char *const texts[] = {
        "", "\n", "<", "<a/>", "<a/>\n", "<a>\n</a>\n", "<a>\n  <b/>\n</a>\n",
        "<a>\n  <b/>\n  <c/>\n</a>\n", "\x02<a/>\n", "<a \x02 p='x'>\n  <b/>\n</a>\n",
        "<a>\n  <b/>\x03\n</a>\n", "<a>\n\x01  <b/>\n</a>", "<a>\0\n  <b/>\n</a>\n",
        "  <b/>\n", "</a>\n", "<a>\n  <b>\n    <c/>\n  </b>\n</a>\n",
        "<a>\n  <b>\n    <c/>\n\n</a>\n", "<domain>\n  <metadata>\n    <c/>\n  </metadata>\n</domain>\n",
    };
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    g_autoptr(GRand) rand = g_rand_new_with_seed(3);

    for (guint t = 0; t < G_N_ELEMENTS(texts); t++) {
        /* text 12 holds a NUL: its length is the literal's */
        gsize len = t == 12 ? sizeof("<a>\0\n  <b/>\n</a>\n") - 1 : strlen(texts[t]);

        /* cut at every byte boundary into two, and whole */
        for (gsize at = 0; at <= len; at++) {
            vsXmlPiece *pieces[2] = { vsXmlPieceIntern(texts[t], at, NULL),
                                      vsXmlPieceIntern(texts[t] + at, len - at, NULL) };

            assertAgrees(check, pieces, 2);
            assertAgrees(check, pieces + 1, 1);
            assertAgrees(check, pieces, 1);
            vsXmlPieceUnref(pieces[0]);
            vsXmlPieceUnref(pieces[1]);
        }
    }
    assertAgrees(check, NULL, 0);
    for (guint r = 0; r < 2000; r++) {
        char buf[64];
        gsize len = g_rand_int_range(rand, 0, sizeof(buf));
        vsXmlPiece *piece;

        for (gsize i = 0; i < len; i++)
            buf[i] = "<a/ >\n\x01\x02\x03\0b='"[g_rand_int_range(rand, 0, 13)];
        piece = vsXmlPieceIntern(buf, len, NULL);
        assertAgrees(check, &piece, 1);
        vsXmlPieceUnref(piece);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xmlsubtree-pieces/fixtures", testFixtures);
    g_test_add_func("/xmlsubtree-pieces/hotplug-parses-its-part", testHotplugParsesItsPart);
    g_test_add_func("/xmlsubtree-pieces/big-metadata-not-parsed-again",
                    testBigMetadataNotParsedAgain);
    g_test_add_func("/xmlsubtree-pieces/namespaces-spread-fall-back", testNamespacesSpreadFallBack);
    g_test_add_func("/xmlsubtree-pieces/whole-rules", testWholeRules);
    g_test_add_func("/xmlsubtree-pieces/mutations-agree", testMutationsAgree);
    g_test_add_func("/xmlsubtree-pieces/hostile-pieces", testHostilePieces);
    return g_test_run();
}
