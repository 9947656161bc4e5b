/* test-xmlsubtree.c — opaque XML subtrees (lib/xmlsubtree.c).
 *
 * The golden files in tests/golden/snapshot/ were produced by libvirt 9.0
 * itself (virsh -c qemu:///embed, this machine): metadata-input.xml was
 * given to `snapshot-create --redefine`; metadata-ondisk.xml is the file the
 * qemu driver wrote, metadata-dumpxml.xml is `snapshot-dumpxml` (no
 * --security-info), metadata-domain-secure.xml is `dumpxml --inactive
 * --security-info` of the domain.  The domain carries a <metadata> full of
 * libxml2-serializer corner cases (comments, PIs, CDATA, mixed content,
 * character references, newlines in text, namespace re-declarations). */
#include <string.h>
#include <libxml/globals.h>
#include <libxml/parser.h>

#include "snapshot/snapshot.h"
#include "testutil.h"
#include "record/xmlsubtree.h"

static char *
readGolden(const char *name)
{
    const char *srcdir = g_getenv("VS_TESTS_SRCDIR");
    g_autofree char *path = NULL;

    g_assert_nonnull(srcdir);
    path = g_build_filename(srcdir, "golden", "snapshot", name, NULL);
    return vsTestReadFile(path, NULL);
}

static vsXmlSubtree *
subtreeFrom(const char *xml)
{
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    vsXmlSubtree *tree = NULL;

    g_assert_nonnull(doc);
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error), ==, 0);
    g_assert_no_error(error);
    xmlFreeDoc(doc);
    return tree;
}

static char *
emit(const vsXmlSubtree *tree, guint level, gboolean secure)
{
    GString *buf = g_string_new(NULL);
    vsXmlSubtreeAppend(buf, tree, level, secure);
    return g_string_free(buf, FALSE);
}

/* [start, end-of-line-of-end) of the first block "start … end" */
static char *
block(const char *text, const char *start, const char *end)
{
    const char *a = strstr(text, start);
    const char *b = a ? strstr(a, end) : NULL;

    g_assert_nonnull(a);
    g_assert_nonnull(b);
    return g_strndup(a, b + strlen(end) - a);
}

/* ------------------------------------------------------------------ */

static void
testOndiskRoundTrip(void)
{
    g_autofree char *file = readGolden("metadata-ondisk.xml");
    g_autofree char *plain = readGolden("metadata-dumpxml.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(vsSnapshot) snap = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out_plain = NULL;
    g_autofree char *with_header = NULL;
    gboolean current = TRUE;

    g_assert_cmpint(vsSnapshotParse(&snap, file, strlen(file), VS_SNAPSHOT_PARSE_REDEFINE |
                                    VS_SNAPSHOT_PARSE_INTERNAL, 0, &current, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_false(current);
    vsSnapshotFormat(&out, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE | VS_SNAPSHOT_FORMAT_INTERNAL,
                     &error);
    with_header = g_strconcat(VS_SNAPSHOT_LEGACY_HEADER, out, NULL);
    g_assert_cmpstr(with_header, ==, file);

    vsSnapshotFormat(&out_plain, snap, NULL, 0, &error);
    g_assert_cmpstr(out_plain, ==, plain);
}

/* What libvirt made of the raw input's <metadata>, <description> and root
 * namespaces, we make too (the rest of <domain> libvirt normalises with
 * knowledge of every domain element, which is out of scope). */
static void
testFromRawInput(void)
{
    g_autofree char *input = readGolden("metadata-input.xml");
    g_autofree char *file = readGolden("metadata-ondisk.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(vsSnapshot) snap = NULL;
    g_autofree char *out = NULL;
    static const struct { const char *start; const char *end; } blocks[] = {
        { "    <metadata", "    </metadata>\n" },
        { "    <description>", "</description>\n" },
        { "  <description>", "</description>\n" },
        { "  <domain ", ">\n" },
        { "    <qemu:commandline>", "</qemu:commandline>\n" },
    };

    g_assert_cmpint(vsSnapshotParse(&snap, input, strlen(input), VS_SNAPSHOT_PARSE_REDEFINE,
                                    0, NULL, &error), ==, 0);
    g_assert_no_error(error);
    vsSnapshotFormat(&out, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, &error);
    for (gsize i = 0; i < G_N_ELEMENTS(blocks); i++) {
        g_autofree char *mine = block(out, blocks[i].start, blocks[i].end);
        g_autofree char *theirs = block(file, blocks[i].start, blocks[i].end);
        g_assert_cmpstr(mine, ==, theirs);
    }
    /* the stray text, comment, un-namespaced and duplicate-namespace
     * children of <metadata> are gone, as in libvirt */
    g_assert_null(strstr(out, "stray"));
    g_assert_null(strstr(out, "dropped"));
    g_assert_null(strstr(out, "duplicate ns"));
}

/* The domain alone at level 0 (virsh dumpxml), and the same subtree
 * nested at level 1 inside the snapshot: only structural lines move. */
static void
testReindent(void)
{
    g_autofree char *domain = readGolden("metadata-domain-secure.xml");
    g_autofree char *file = readGolden("metadata-ondisk.xml");
    g_autoptr(vsXmlSubtree) tree = subtreeFrom(domain);
    g_autofree char *level0 = emit(tree, 0, TRUE);
    g_autofree char *level1 = emit(tree, 1, TRUE);
    g_autofree char *nested = block(file, "  <domain ", "  </domain>\n");
    g_autofree char *plain = emit(tree, 0, FALSE);
    g_auto(GStrv) parts = g_strsplit(domain, " passwd='pw&amp;1'", -1);
    g_autofree char *expected_plain = g_strjoinv("", parts);

    g_assert_cmpstr(level0, ==, domain);
    g_assert_cmpstr(level1, ==, nested);
    g_assert_nonnull(strstr(level1, "<app:owner>r\xc3\xa9s&amp;\nearch</app:owner>"));
    g_assert_cmpuint(g_strv_length(parts), ==, 2);
    g_assert_cmpstr(plain, ==, expected_plain);
}

/* Canonical style for everything outside <metadata>. */
static void
testCanonicalStyle(void)
{
    g_autoptr(vsXmlSubtree) tree = subtreeFrom(
        "<?xml version='1.0'?>\n"
        "<domain xmlns:q=\"urn:q\" type=\"kvm\" xmlns:unused=\"urn:u\">\n"
        "  <!-- comment -->\n"
        "  <name>a&amp;b &quot;c&quot; 'd' &lt;e&gt;</name>\n"
        "  <?pi dropped?>\n"
        "  <empty   attr = \"1\" ></empty>\n"
        "  <blank>  </blank>\n"
        "  <text>line1\nline2</text>\n"
        "  <mixed>one <b>two</b> three<c/></mixed>\n"
        "  <devices><graphics type='vnc' passwd='s&apos;cret'><listen/></graphics>"
        "<graphics type='spice' passwd=''/></devices>\n"
        "  <q:ext q:attr='v'><inner xmlns:r='urn:r'><r:x/></inner></q:ext>\n"
        "  <cdata><![CDATA[<raw>&]]></cdata>\n"
        "</domain>\n");
    g_autofree char *secure = emit(tree, 0, TRUE);
    g_autofree char *plain = emit(tree, 2, FALSE);
    static const char expected[] =
        "<domain type='kvm' xmlns:q='urn:q'>\n"
        "  <name>a&amp;b &quot;c&quot; &apos;d&apos; &lt;e&gt;</name>\n"
        "  <empty attr='1'/>\n"
        "  <blank>  </blank>\n"
        "  <text>line1\nline2</text>\n"
        "  <mixed>one <b>two</b> three<c/></mixed>\n"
        "  <devices>\n"
        "    <graphics type='vnc' passwd='s&apos;cret'>\n"
        "      <listen/>\n"
        "    </graphics>\n"
        "    <graphics type='spice' passwd=''/>\n"
        "  </devices>\n"
        "  <q:ext q:attr='v'>\n"
        "    <inner xmlns:r='urn:r'>\n"
        "      <r:x/>\n"
        "    </inner>\n"
        "  </q:ext>\n"
        "  <cdata>&lt;raw&gt;&amp;</cdata>\n"
        "</domain>\n";
    static const char expected_plain[] =
        "    <domain type='kvm' xmlns:q='urn:q'>\n"
        "      <name>a&amp;b &quot;c&quot; &apos;d&apos; &lt;e&gt;</name>\n"
        "      <empty attr='1'/>\n"
        "      <blank>  </blank>\n"
        "      <text>line1\nline2</text>\n"
        "      <mixed>one <b>two</b> three<c/></mixed>\n"
        "      <devices>\n"
        "        <graphics type='vnc'>\n"
        "          <listen/>\n"
        "        </graphics>\n"
        "        <graphics type='spice'/>\n"
        "      </devices>\n"
        "      <q:ext q:attr='v'>\n"
        "        <inner xmlns:r='urn:r'>\n"
        "          <r:x/>\n"
        "        </inner>\n"
        "      </q:ext>\n"
        "      <cdata>&lt;raw&gt;&amp;</cdata>\n"
        "    </domain>\n";
    gsize len = 0;
    const char *canon = vsXmlSubtreeGetCanonical(tree, &len);

    g_assert_cmpstr(secure, ==, expected);
    g_assert_cmpstr(plain, ==, expected_plain);
    /* stored form: data newline and secret markers, structural '\n' */
    g_assert_cmpuint(len, ==, strlen(canon));
    g_assert_nonnull(strstr(canon, "<text>line1\x01line2</text>\n"));
    g_assert_nonnull(strstr(canon, "\x02 passwd='s&apos;cret'\x03"));
}

/* A namespace declared above the captured node is re-declared on it;
 * cookie and source subtrees get no <metadata> treatment. */
static void
testNamespacesFromAncestors(void)
{
    const char *xml = "<root xmlns:qemu='urn:qemu'><domain type='kvm'>"
                      "<qemu:commandline><qemu:arg value='-x'/></qemu:commandline>"
                      "</domain><cookie><metadata><x>1</x></metadata></cookie></root>";
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL, XML_PARSE_NONET);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    g_autoptr(vsXmlSubtree) dom = NULL;
    g_autoptr(vsXmlSubtree) cookie = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;

    g_assert_cmpint(vsXmlSubtreeFromNode(&dom, root->children, &error), ==, 0);
    g_assert_cmpint(vsXmlSubtreeFromNode(&cookie, root->children->next, &error), ==, 0);
    xmlFreeDoc(doc);
    out = emit(dom, 0, TRUE);
    out2 = emit(cookie, 0, TRUE);
    g_assert_cmpstr(out, ==, "<domain type='kvm' xmlns:qemu='urn:qemu'>\n"
                             "  <qemu:commandline>\n"
                             "    <qemu:arg value='-x'/>\n"
                             "  </qemu:commandline>\n"
                             "</domain>\n");
    g_assert_cmpstr(out2, ==, "<cookie>\n  <metadata>\n    <x>1</x>\n  </metadata>\n</cookie>\n");
}

static void
testLookups(void)
{
    g_autoptr(vsXmlSubtree) tree = subtreeFrom(
        "<domain type='k&apos;vm' id='3'>"
        "<name>n&amp;1</name>"
        "<uuidx>not this</uuidx>"
        "<uuid>6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d</uuid>"
        "<title a='1'>with attr</title>"
        "<empty/>"
        "<multi>a\nb</multi>"
        "<sub><deep>x</deep></sub>"
        "</domain>");
    g_autoptr(vsXmlSubtree) same = subtreeFrom(
        "<domain type=\"k'vm\" id=\"3\">\n  <name>n&amp;1</name><uuidx>not this</uuidx>"
        "<uuid>6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d</uuid><title a='1'>with attr</title>"
        "<empty></empty><multi>a\nb</multi><sub>\n <deep>x</deep>\n</sub></domain>");
    g_autoptr(vsXmlSubtree) other = subtreeFrom("<domain type='kvm'/>");
    g_autofree char *type = vsXmlSubtreeGetRootAttr(tree, "type");
    g_autofree char *id = vsXmlSubtreeGetRootAttr(tree, "id");
    g_autofree char *none = vsXmlSubtreeGetRootAttr(tree, "ty");
    g_autofree char *name = vsXmlSubtreeGetChildText(tree, "name");
    g_autofree char *uuid = vsXmlSubtreeGetChildText(tree, "uuid");
    g_autofree char *title = vsXmlSubtreeGetChildText(tree, "title");
    g_autofree char *empty = vsXmlSubtreeGetChildText(tree, "empty");
    g_autofree char *multi = vsXmlSubtreeGetChildText(tree, "multi");
    g_autofree char *deep = vsXmlSubtreeGetChildText(tree, "deep");
    g_autofree char *sub = vsXmlSubtreeGetChildText(tree, "sub");
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc;

    g_assert_cmpstr(type, ==, "k'vm");
    g_assert_cmpstr(id, ==, "3");
    g_assert_null(none);
    g_assert_cmpstr(name, ==, "n&1");
    g_assert_cmpstr(uuid, ==, "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d");
    g_assert_cmpstr(title, ==, "with attr");
    g_assert_cmpstr(empty, ==, "");
    g_assert_cmpstr(multi, ==, "a\nb");
    g_assert_null(deep);
    g_assert_cmpstr(sub, ==, "x");

    g_assert_true(vsXmlSubtreeEqual(tree, same));
    g_assert_false(vsXmlSubtreeEqual(tree, other));
    g_assert_true(vsXmlSubtreeEqual(tree, tree));
    g_assert_false(vsXmlSubtreeEqual(tree, NULL));

    doc = vsXmlSubtreeToDoc(tree, &error);
    g_assert_no_error(error);
    g_assert_nonnull(doc);
    g_assert_cmpstr((const char *) xmlDocGetRootElement(doc)->name, ==, "domain");
    xmlFreeDoc(doc);

    g_assert_true(vsXmlSubtreeRef(other) == other);
    vsXmlSubtreeUnref(other);
    vsXmlSubtreeUnref(NULL);
}

static void
testEscape(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GString) attr = g_string_new(NULL);
    const char *in = "a&b<c>d\"e'f\tg\nh\ri\x01j\x1fk\x7f\xc3\xbc";

    /* libvirt's escaping, plus character references for what a parser
     * would not read back: CR in text; TAB, LF, CR in attribute values. */
    vsXmlEscapeText(text, in);
    g_assert_cmpstr(text->str, ==,
                    "a&amp;b&lt;c&gt;d&quot;e&apos;f\tg\nh&#13;ijk\x7f\xc3\xbc");
    vsXmlEscapeAttr(attr, in);
    g_assert_cmpstr(attr->str, ==,
                    "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;ijk\x7f\xc3\xbc");
}

/* Issue 11 item 1: TAB, LF and CR given as character references in
 * attribute values (also namespace URIs) and CR in text survive being
 * formatted and parsed again, inside and outside <metadata>. */
static void
testControlCharsRoundTrip(void)
{
    const char *xml =
        "<domain type='kvm' a='t&#9;l&#10;c&#13;e'>"
        "<name>x&#13;y&#9;z\nw</name>"
        "<devices><disk file='/a&#9;b'/></devices>"
        "<metadata><m:x xmlns:m='urn:a&amp;b' v='1&#9;2&#10;3&#13;4'>p&#13;q</m:x></metadata>"
        "<mixed>t&#13;<b c='&#10;'/>u</mixed>"
        "<n:y xmlns:n='urn:a&amp;b&#38;c'/>"
        "</domain>";
    g_autoptr(vsXmlSubtree) first = subtreeFrom(xml);
    g_autofree char *out = emit(first, 1, TRUE);
    g_autoptr(vsXmlSubtree) again = subtreeFrom(out);
    g_autofree char *attr = vsXmlSubtreeGetRootAttr(first, "a");
    g_autofree char *name = vsXmlSubtreeGetChildText(first, "name");

    g_assert_cmpstr(attr, ==, "t\tl\nc\re");
    g_assert_cmpstr(name, ==, "x\ry\tz\nw");
    g_assert_nonnull(strstr(out, "a='t&#9;l&#10;c&#13;e'"));
    g_assert_nonnull(strstr(out, "<name>x&#13;y\tz\nw</name>"));
    g_assert_nonnull(strstr(out, "file='/a&#9;b'"));
    /* a namespace URI with '&' is escaped once, not once more per round trip */
    g_assert_nonnull(strstr(out, "<n:y xmlns:n='urn:a&amp;b&amp;c'/>"));
    g_assert_true(vsXmlSubtreeEqual(first, again));
}

/* The root's start tag is what the whole formatting at level 0 with its
 * secrets starts with, up to its first '>': escaped values, namespaces
 * declared on the root, an empty root, and a root whose attribute is a
 * secret (a <graphics>: its markers are not written). */
static void
testStartTag(void)
{
    static const char *docs[] = {
        "<domain type='kvm' a='t&#9;l&#10;c&#13;e&gt;&lt;&amp;&apos;\"'><name>x</name></domain>",
        "<domain type='kvm' xmlns:q='urn:q&amp;r'><q:x/><name>n</name></domain>",
        "<domain type='qemu'/>",
        "<graphics type='vnc' passwd='s&gt;e' port='1'/>",
        "<inactiveDomain type='kvm' id='7'><metadata><a:x xmlns:a='urn:a'/></metadata>"
        "</inactiveDomain>",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autoptr(vsXmlSubtree) tree = subtreeFrom(docs[i]);
        g_autofree char *whole = emit(tree, 0, TRUE);
        g_autofree char *tag = vsXmlSubtreeGetStartTag(tree);
        const char *end = strchr(whole, '>');
        g_autofree char *head = NULL;

        g_assert_nonnull(end);
        head = g_strndup(whole, end + 1 - whole);
        g_assert_cmpstr(tag, ==, head);
    }
}

static void
testRefused(void)
{
    /* entity references are never expanded into a subtree */
    const char *xml = "<!DOCTYPE d [<!ENTITY e 'text'>]><domain><name>&e;</name></domain>";
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL, XML_PARSE_NONET);
    vsXmlSubtree *tree = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_nonnull(doc);
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error), <, 0);
    g_assert_null(tree);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "XML error: entity reference '&e;' is not supported");
    xmlFreeDoc(doc);

    /* in attributes (libxml2 keeps them as references without NOENT) and
     * inside <metadata> too */
    static const char *const more[] = {
        "<!DOCTYPE d [<!ENTITY e 'text'>]><domain><name a='&e;'/></domain>",
        "<!DOCTYPE d [<!ENTITY e 'text'>]><domain><metadata><m:x xmlns:m='urn:m'>&e;</m:x>"
        "</metadata></domain>",
        "<!DOCTYPE d [<!ENTITY e 'text'>]><domain><metadata><m:x xmlns:m='urn:m' a='&e;'/>"
        "</metadata></domain>",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(more); i++) {
        g_clear_error(&error);
        doc = xmlReadMemory(more[i], strlen(more[i]), NULL, NULL, XML_PARSE_NONET);
        g_assert_nonnull(doc);
        g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_assert_null(tree);
        xmlFreeDoc(doc);
    }
}

static void
testTooLarge(void)
{
    /* escaping '&' five-folds it: 14 MB of input, > 64 MB canonical */
    gsize n = VS_XML_SUBTREE_MAX / 5 + 1024;
    xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "cookie");
    g_autofree char *text = g_malloc(n + 1);
    vsXmlSubtree *tree = NULL;
    g_autoptr(GError) error = NULL;

    memset(text, '&', n);
    text[n] = '\0';
    xmlAddChild(node, xmlNewText(BAD_CAST text));
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, node, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_TOO_LARGE);
    g_assert_null(tree);
    xmlFreeNode(node);
}

static void
testTooDeep(void)
{
    xmlNodePtr top = xmlNewNode(NULL, BAD_CAST "cookie");
    xmlNodePtr node = top;
    vsXmlSubtree *tree = NULL;
    g_autoptr(GError) error = NULL;

    /* deeper than any parsed document can be (libxml2 stops at 256) */
    for (int i = 0; i < 2000; i++)
        node = xmlNewChild(node, NULL, BAD_CAST "x", NULL);
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, top, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "XML error: <cookie> is nested deeper than 1024 levels");
    g_assert_null(tree);
    xmlFreeNode(top);
}

/* text beside elements directly in <domain> is dropped, as libvirt's parser
 * ignores it, so <metadata> keeps its own serializer (a fuzzer found the
 * namespace of a <metadata> child lost when the root was kept inline) */
static void
testInlineRoot(void)
{
    g_autoptr(vsXmlSubtree) tree = subtreeFrom("<domain type='x'>text<uuid>u1</uuid></domain>");
    g_autofree char *out = emit(tree, 1, TRUE);
    g_autofree char *uuid = vsXmlSubtreeGetChildText(tree, "uuid");
    g_autofree char *type = vsXmlSubtreeGetRootAttr(tree, "type");

    g_assert_cmpstr(out, ==, "  <domain type='x'>\n    <uuid>u1</uuid>\n  </domain>\n");
    g_assert_cmpstr(uuid, ==, "u1");
    g_assert_cmpstr(type, ==, "x");
}

/* The bulk reader and vsSnapshotParse let <metadata> be normalised in the
 * caller's tree instead of a copy; the canonical bytes must be the same
 * either way: namespaces from outside (the copy re-declares them), an
 * encoding declaration (libxml2 then escapes attribute values differently),
 * blanks kept or not by the parse, the serializer's corner cases. */
static char *
canonicalOf(const char *xml, int options, gboolean in_place)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsXmlSubtree) tree = NULL;
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL, XML_PARSE_NONET | options);
    gsize len;
    const char *text;
    int rc;

    g_assert_nonnull(doc);
    rc = in_place ? vsXmlSubtreeFromNodeInPlace(&tree, xmlDocGetRootElement(doc), &error)
                  : vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error);
    g_assert_no_error(error);
    g_assert_cmpint(rc, ==, 0);
    xmlFreeDoc(doc);
    text = vsXmlSubtreeGetCanonical(tree, &len);
    return g_strndup(text, len);
}

static void
testMetadataInPlace(void)
{
    g_autofree char *golden = readGolden("metadata-input.xml");
    g_autofree char *golden_domain = block(golden, "<domain ", "</domain>\n");
    static const char *const docs[] = {
        "<domain type='kvm'><name>a</name><metadata>\n"
        "  <m:x xmlns:m='urn:m' v='r\xc3\xa9s&amp;&#10;x'>t\xc3\xa9\nxt<m:y/> <!-- c --> "
        "<?pi d?><![CDATA[<c>]]></m:x>\n"
        "  stray <plain/>\n"
        "  <m:dup xmlns:m='urn:m'/>\n"
        "  <n:z xmlns:n='urn:n'>\n    <n:w a='1'/>\n  </n:z>\n"
        "  <q xmlns='urn:q'><r>  </r></q>\n"
        "</metadata></domain>",
        /* a namespace declared outside <metadata> */
        "<domain type='kvm' xmlns:o='urn:o'><metadata>\n"
        "  <o:x o:a='1'><o:y/></o:x>\n</metadata></domain>",
        /* an encoding declaration: non-ASCII attribute values stay raw */
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<domain type='kvm'><metadata><m:x xmlns:m='urn:m' a='\xc3\xa9'/></metadata></domain>",
    };
    const char *inputs[G_N_ELEMENTS(docs) + 1];

    memcpy(inputs, docs, sizeof(docs));
    inputs[G_N_ELEMENTS(docs)] = golden_domain;
    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        for (int blanks = 0; blanks < 2; blanks++) {
            int options = blanks ? 0 : XML_PARSE_NOBLANKS;
            g_autofree char *copied = canonicalOf(inputs[i], options, FALSE);
            g_autofree char *in_place = canonicalOf(inputs[i], options, TRUE);

            g_assert_cmpstr(in_place, ==, copied);
        }
    }
    {
        /* and what that is: the outside namespace declared on the copy's root,
         * as libvirt's copy does; é as a character reference even with an
         * encoding declared (the document-less copy's escaping) */
        g_autofree char *outside = canonicalOf(docs[1], XML_PARSE_NOBLANKS, TRUE);
        g_autofree char *encoded = canonicalOf(docs[2], XML_PARSE_NOBLANKS, TRUE);

        g_assert_cmpstr(outside, ==,
                        "<domain type='kvm'>\n"
                        "  <metadata xmlns:o=\"urn:o\">\n"
                        "    <o:x o:a=\"1\">\n"
                        "      <o:y/>\n"
                        "    </o:x>\n"
                        "  </metadata>\n"
                        "</domain>\n");
        g_assert_cmpstr(encoded, ==,
                        "<domain type='kvm'>\n"
                        "  <metadata>\n"
                        "    <m:x xmlns:m=\"urn:m\" a=\"&#xE9;\"/>\n"
                        "  </metadata>\n"
                        "</domain>\n");
    }
}

/* The bulk reader recognises a repeated <domain> by comparing the file's
 * bytes with a known definition's formatting, never built: equal exactly
 * when they are the formatted element (secret kept, newlines in text raw,
 * every structural line indented). */
static void
testFormattedEqual(void)
{
    g_autoptr(vsXmlSubtree) tree = subtreeFrom(
        "<domain type='kvm'><name>a</name><description>two\nlines</description>"
        "<devices><graphics type='vnc' passwd='pw'/></devices></domain>");
    g_autofree char *out = emit(tree, 2, TRUE);
    const char *elem = out + 4;                   /* no first indent */
    gsize len = strlen(elem) - 1;                 /* no final newline */
    g_autofree char *changed = g_strndup(elem, len);

    g_assert_cmpstr(out, ==,
                    "    <domain type='kvm'>\n"
                    "      <name>a</name>\n"
                    "      <description>two\nlines</description>\n"
                    "      <devices>\n"
                    "        <graphics type='vnc' passwd='pw'/>\n"
                    "      </devices>\n"
                    "    </domain>\n");
    g_assert_true(vsXmlSubtreeFormattedEqual(tree, 2, TRUE, elem, len));
    g_assert_false(vsXmlSubtreeFormattedEqual(tree, 2, TRUE, elem, len - 1));
    g_assert_false(vsXmlSubtreeFormattedEqual(tree, 2, TRUE, elem, len + 1));
    g_assert_false(vsXmlSubtreeFormattedEqual(tree, 1, TRUE, elem, len));
    g_assert_false(vsXmlSubtreeFormattedEqual(tree, 2, FALSE, elem, len));
    changed[strstr(changed, "pw") - changed] = 'P';
    g_assert_false(vsXmlSubtreeFormattedEqual(tree, 2, TRUE, changed, len));
}

/* The library never sets libxml2's process-global formatting switches
 * (issue 12): with an application's own xmlIndentTreeOutput = 0 and
 * xmlTreeIndentString "\t", a <metadata> formats exactly as with libxml2's
 * defaults, 2 spaces a level up to column 60 of the snapshot (the bytes
 * libvirt writes: tests/fixtures/libvirt-9.0-deep-metadata), and both globals
 * keep the application's values. */
static char *
formatDeepMetadata(void)
{
    g_autoptr(GString) doc = g_string_new(
        "<domainsnapshot><name>s1</name><creationTime>1700000000</creationTime>"
        "<state>shutoff</state><domain type='kvm'><name>vm</name><metadata>"
        "<x:app xmlns:x='http://example.org/x' att='a&#10;b'>");
    g_autoptr(vsSnapshot) snap = NULL;
    g_autoptr(GError) error = NULL;
    char *out = NULL;

    for (int i = 0; i < 40; i++)
        g_string_append_printf(doc, "<x:l%d a='%d'>", i, i);
    g_string_append(doc, "leaf text");
    for (int i = 39; i >= 0; i--)
        g_string_append_printf(doc, "</x:l%d>", i);
    g_string_append(doc, "<x:m><x:e/><!-- c\nc2 --><?pi some\ndata?></x:m>"
                    "<x:mixed>t<x:b/>u</x:mixed></x:app></metadata><devices/></domain>"
                    "</domainsnapshot>");
    g_assert_cmpint(vsSnapshotParse(&snap, doc->str, doc->len, VS_SNAPSHOT_PARSE_REDEFINE, 0,
                                    NULL, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(vsSnapshotFormat(&out, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL), ==, 0);
    return out;
}

static void
testMetadataGlobals(void)
{
    g_autofree char *plain = formatDeepMetadata();
    g_autofree char *other = NULL;
    g_autofree char *capped = g_strdup_printf("\n%*s<x:l39 a=\"39\">leaf text</x:l39>\n",
                                              60, "");
    int old_indent = xmlIndentTreeOutput;
    const char *old_string = xmlTreeIndentString;

    g_assert_nonnull(strstr(plain, capped));
    g_assert_nonnull(strstr(plain, "\n    <metadata>\n      <x:app xmlns:x="));
    xmlIndentTreeOutput = 0;
    xmlTreeIndentString = "\t";
    other = formatDeepMetadata();
    g_assert_cmpint(xmlIndentTreeOutput, ==, 0);
    g_assert_cmpstr(xmlTreeIndentString, ==, "\t");
    xmlIndentTreeOutput = old_indent;
    xmlTreeIndentString = old_string;
    g_assert_cmpstr(other, ==, plain);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/xmlsubtree/libvirt/ondisk-roundtrip", testOndiskRoundTrip);
    g_test_add_func("/xmlsubtree/libvirt/from-raw-input", testFromRawInput);
    g_test_add_func("/xmlsubtree/libvirt/reindent", testReindent);
    g_test_add_func("/xmlsubtree/canonical/style", testCanonicalStyle);
    g_test_add_func("/xmlsubtree/canonical/namespaces", testNamespacesFromAncestors);
    g_test_add_func("/xmlsubtree/api/lookups", testLookups);
    g_test_add_func("/xmlsubtree/api/start-tag", testStartTag);
    g_test_add_func("/xmlsubtree/api/escape", testEscape);
    g_test_add_func("/xmlsubtree/canonical/control-chars-round-trip",
                    testControlCharsRoundTrip);
    g_test_add_func("/xmlsubtree/limits/entity-refs", testRefused);
    g_test_add_func("/xmlsubtree/limits/too-large", testTooLarge);
    g_test_add_func("/xmlsubtree/limits/too-deep", testTooDeep);
    g_test_add_func("/xmlsubtree/canonical/inline-root", testInlineRoot);
    g_test_add_func("/xmlsubtree/canonical/metadata-in-place", testMetadataInPlace);
    g_test_add_func("/xmlsubtree/api/formatted-equal", testFormattedEqual);
    g_test_add_func("/xmlsubtree/metadata/no-global-state", testMetadataGlobals);

    return g_test_run();
}
