/* test-domaindisk.c — the disks of a <domain> (lib/record/domaindisk.c)
 * read from its <devices>' <disk>s only (vsXmlSubtreeAppendPath), against
 * the reading of the whole formatted domain it replaced. */
#include <string.h>

#include "record/domaindisk.h"
#include "record/xmlsubtree.h"
#include "testutil.h"

static const char *const disk_path[] = { "devices", "disk", NULL };

/* The reading of @domain's whole formatting, as vsDomainDisksRead did
 * before it formatted only the path to the disks. */
static int
readWhole(GArray **out, vsXmlSubtree *domain, GError **error)
{
    g_autoptr(GString) xml = g_string_new(NULL);

    vsXmlSubtreeAppend(xml, domain, 0, TRUE);
    return vsDomainDisksReadFormatted(out, xml->str, xml->len, error);
}

/* Both readings agree on @domain: the same disks, or the same error.
 * Returns how many disks it has (-1 for an error). */
static int
assertSameReading(vsXmlSubtree *domain)
{
    g_autoptr(vsDomainDiskList) now = NULL, whole = NULL;
    g_autoptr(GError) now_error = NULL, whole_error = NULL;
    int rc_now = vsDomainDisksRead(&now, domain, &now_error);
    int rc_whole = readWhole(&whole, domain, &whole_error);

    g_assert_cmpint(rc_now, ==, rc_whole);
    if (rc_whole < 0) {
        g_assert_cmpstr(now_error->message, ==, whole_error->message);
        return -1;
    }
    g_assert_cmpuint(now->len, ==, whole->len);
    for (guint i = 0; i < now->len; i++) {
        const vsDomainDisk *a = &g_array_index(now, vsDomainDisk, i);
        const vsDomainDisk *b = &g_array_index(whole, vsDomainDisk, i);

        g_assert_cmpstr(a->dst, ==, b->dst);
        g_assert_cmpstr(a->path, ==, b->path);
        g_assert_cmpstr(a->snapshot, ==, b->snapshot);
        g_assert_cmpint(a->empty, ==, b->empty);
        g_assert_cmpint(a->readonly, ==, b->readonly);
    }
    return (int) now->len;
}

static vsXmlSubtree *
domainFromXML(const char *xml)
{
    g_autoptr(GError) error = NULL;
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, strlen(xml), "(test)", VS_XML_READ_NOBLANKS,
                                    &problem);
    vsXmlSubtree *tree = NULL;

    g_assert_nonnull(doc);
    g_assert_cmpint(vsXmlSubtreeFromNode(&tree, xmlDocGetRootElement(doc), &error), ==, 0);
    xmlFreeDoc(doc);
    vsXmlProblemClear(&problem);
    return tree;
}

/* ------------------------------------------------------------------ */
/* Every <domain> of the fixtures                                        */

typedef struct {
    guint domains;
    guint with_disks;
} FixtureCount;

static void
compareDomainsBelow(xmlNodePtr node, FixtureCount *count)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        g_autoptr(vsXmlSubtree) domain = NULL;
        g_autoptr(GError) error = NULL;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!vsXmlIsElement(c, "domain") && !vsXmlIsElement(c, "inactiveDomain")) {
            compareDomainsBelow(c, count);
            continue;
        }
        if (vsXmlSubtreeFromNode(&domain, c, &error) < 0)
            continue;   /* refused by the capture (entity references): never read */
        count->domains++;
        if (assertSameReading(domain) > 0)
            count->with_disks++;
    }
}

static void
compareFixture(const char *path, FixtureCount *count)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;

    data = vsTestReadFile(path, &len);
    doc = vsXmlReadMemory(data, len, path, VS_XML_READ_NOBLANKS, &problem);
    vsXmlProblemClear(&problem);
    if (!doc)
        return;   /* the redacted captures ("<peer>" in a value) */
    /* the document element too: a fixture may be a bare <domain> */
    {
        xmlNode holder = { .children = xmlDocGetRootElement(doc) };
        compareDomainsBelow(&holder, count);
    }
    xmlFreeDoc(doc);
}

static void
testFixtures(void)
{
    g_autoptr(GPtrArray) paths = vsTestFixtureFiles(".xml");
    FixtureCount count = { 0 };

    for (guint i = 0; i < paths->len; i++)
        compareFixture(paths->pdata[i], &count);
    g_test_message("%u domains, %u with disks", count.domains, count.with_disks);
    /* the fixtures hold about 35 domains (g_test_message says how many) */
    g_assert_cmpuint(count.domains, >=, 30);
    g_assert_cmpuint(count.with_disks, >=, 20);
}

/* ------------------------------------------------------------------ */
/* What the line walk must not be fooled by                             */

static void
testTricky(void)
{
    static const struct {
        const char *xml;
        int disks;
    } cases[] = {
        /* a default namespace: no element is libvirt's, no disk */
        { "<domain xmlns='urn:d'><devices><disk><target dev='a'/></disk></devices></domain>", 0 },
        /* <metadata> holding namespaced look-alikes, and a deep <devices> */
        { "<domain><metadata><m:devices xmlns:m='urn:m'><m:disk><target dev='no'/></m:disk>"
          "</m:devices><n:x xmlns:n='urn:n'><devices><disk><target dev='no2'/></disk></devices>"
          "</n:x></metadata><devices><disk><target dev='vda'/></disk></devices></domain>", 1 },
        /* mixed content: <devices> on one line */
        { "<domain><devices>text<disk type='file'><source file='/a'/><target dev='vda'/>"
          "</disk></devices></domain>", 1 },
        /* a <devicesX>, an empty <devices/>, a multi-line sibling before */
        { "<domain><os><type>hvm</type><boot dev='hd'/></os><devicesX><disk><target dev='n'/>"
          "</disk></devicesX><devices/><devices><disk type='network'><source protocol='nbd' "
          "name='e'><cookies><cookie name='c'>v</cookie></cookies></source><target dev='vdb'/>"
          "</disk><graphics type='vnc' passwd='s'/><diskX/><disk><target dev='vdc'/>"
          "<readonly/></disk></devices></domain>", 2 },
        /* a disk whose target is nested deeper than libvirt looks */
        { "<domain><devices><disk><x><target dev='no'/></x></disk></devices></domain>", -1 },
        /* text with newlines, a prefixed disk declaring its namespace */
        { "<domain><description>a\n  &lt;devices>\n  <![CDATA[\n  <devices>]]>b</description><devices>"
          "<q:disk xmlns:q='urn:q'><target dev='q'/></q:disk>"
          "<disk snapshot='no'><target dev='sda'/><source file='/x&amp;y'/></disk>"
          "</devices></domain>", 1 },
        /* no devices at all; a single-line root */
        { "<domain type='kvm'><name>x</name></domain>", 0 },
        { "<domain/>", 0 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(vsXmlSubtree) domain = domainFromXML(cases[i].xml);

        g_test_message("case %u", i);
        g_assert_cmpint(assertSameReading(domain), ==, cases[i].disks);
    }
}

/* The path formatting keeps the root, the path's elements and the disks
 * whole, and nothing else. */
static void
testPathFormatting(void)
{
    g_autoptr(vsXmlSubtree) domain = domainFromXML(
        "<domain type='kvm' xmlns:q='urn:q'><name>vm</name>"
        "<metadata><q:app><q:devices/></q:app></metadata>"
        "<devices><emulator>/bin/qemu</emulator>"
        "<disk type='file'><source file='/a'><cookies><cookie name='c'>v</cookie></cookies>"
        "</source><target dev='vda'/></disk>"
        "<interface type='network'><source network='n'/></interface>"
        "<graphics type='vnc' passwd='s'/></devices><q:devices/></domain>");
    g_autoptr(GString) out = g_string_new("<!-- before -->");

    vsXmlSubtreeAppendPath(out, domain, disk_path);
    g_assert_cmpstr(out->str, ==,
                    "<!-- before --><domain type='kvm' xmlns:q='urn:q'>\n"
                    "  <devices>\n"
                    "    <disk type='file'>\n"
                    "      <source file='/a'>\n"
                    "        <cookies>\n"
                    "          <cookie name='c'>v</cookie>\n"
                    "        </cookies>\n"
                    "      </source>\n"
                    "      <target dev='vda'/>\n"
                    "    </disk>\n"
                    "  </devices>\n"
                    "</domain>\n");
}

/* A big domain: what is formatted for the disks is about their size, not
 * the domain's (the reason the path exists). */
static void
testBigDomain(void)
{
    g_autoptr(GString) xml = g_string_new("<domain><devices>");
    g_autoptr(vsXmlSubtree) domain = NULL;
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < 20000; i++)
        g_string_append_printf(xml, "<interface type='network'><mac address='52:54:00:%02x:%02x:"
                               "01'/><source network='n%u'/></interface>",
                               (i >> 8) & 0xff, i & 0xff, i);
    g_string_append(xml, "<disk><target dev='vda'/></disk></devices></domain>");
    domain = domainFromXML(xml->str);

    vsXmlSubtreeAppendPath(out, domain, disk_path);
    g_assert_cmpuint(vsXmlSubtreeGetLength(domain), >, 2 * 1024 * 1024);
    g_assert_cmpuint(out->len, <, 200);
    g_assert_cmpint(assertSameReading(domain), ==, 1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/domaindisk/fixtures", testFixtures);
    g_test_add_func("/domaindisk/tricky", testTricky);
    g_test_add_func("/domaindisk/path-formatting", testPathFormatting);
    g_test_add_func("/domaindisk/big-domain", testBigDomain);
    return g_test_run();
}
