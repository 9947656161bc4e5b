/* test-text-limit.c — libxml2's limit on a text node (10,000,000 bytes as
 * parsed, no XML_PARSE_HUGE) as the public API meets it, and what
 * include/virtsnap/virtsnap.h says of it (VS_SNAPSHOT_XML_MAX): a text of
 * exactly the limit is taken by a redefine (in the snapshot's own element
 * or in its <domain>) and by a plain create (in the <domain> given), and
 * loads back the same in every file format; one byte more is refused by
 * each, whether libxml2 gets the text in one run or in several, and the
 * VM's file is left as it was.  And a given <domain> is refused on any
 * error of its parse, as the snapshot's own document is. */
#include <string.h>
#include <libxml/xmlversion.h>

#include "virtsnap/virtsnap.h"
#include "testutil.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define TEXT_MAX 10000000

static gint64
fixedClock(gpointer data)
{
    return 1700000000;
}

/* How a big text reaches libxml2's tree builder: plain ASCII in one run;
 * in several, around a reference or a non-ASCII character (its parser
 * takes different paths, and fails differently, for the two). */
typedef enum { ONE_RUN, AROUND_REFERENCE, AROUND_UTF8, RUNS } Runs;

/* A text of @len bytes as parsed, escaped as given. */
static char *
bigText(gsize len, Runs runs)
{
    static const char *const middle[] = { "x", "&amp;", "\xc3\xa9" };
    static const gsize middle_len[] = { 1, 1, 2 };   /* as parsed */
    GString *text = g_string_sized_new(len + 8);

    for (gsize i = 0; i < len / 2; i++)
        g_string_append_c(text, 'x');
    g_string_append(text, middle[runs]);
    for (gsize i = len / 2 + middle_len[runs]; i < len; i++)
        g_string_append_c(text, 'x');
    return g_string_free(text, FALSE);
}

/* Where a text goes: a redefined snapshot's <description>, its <domain>'s
 * <title>, or the <title> of the <domain> a plain create is given. */
typedef enum { IN_DESCRIPTION, IN_DOMAIN, IN_GIVEN_DOMAIN, PLACES } Place;

/* The create of snapshot @name with @text at @place: the snapshot's
 * document, and the <domain> given (or NULL). */
static char *
createXML(const char *name, Place place, const char *text, char **domain_xml)
{
    g_autofree char *domain = g_strdup_printf("<domain type='qemu'><name>demo</name><uuid>" UUID
                                              "</uuid>%s%s%s</domain>",
                                              place == IN_DESCRIPTION ? "" : "<title>",
                                              place == IN_DESCRIPTION ? "" : text,
                                              place == IN_DESCRIPTION ? "" : "</title>");

    *domain_xml = NULL;
    if (place == IN_GIVEN_DOMAIN) {
        *domain_xml = g_steal_pointer(&domain);
        return g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
    }
    return g_strdup_printf("<domainsnapshot><name>%s</name><state>shutoff</state>"
                           "<creationTime>7</creationTime>%s%s%s%s</domainsnapshot>", name,
                           place == IN_DESCRIPTION ? "<description>" : "",
                           place == IN_DESCRIPTION ? text : "",
                           place == IN_DESCRIPTION ? "</description>" : "", domain);
}

static int
createAt(vsDomain *dom, const char *name, Place place, const char *text, GError **error)
{
    g_autofree char *domain_xml = NULL;
    g_autofree char *xml = createXML(name, place, text, &domain_xml);

    return vsDomainCreateXML(NULL, dom, xml, strlen(xml), domain_xml, 0,
                             place == IN_GIVEN_DOMAIN ? 0 : VS_SNAPSHOT_CREATE_REDEFINE, error);
}

static vsStore *
openStore(const char *dir, vsCompression mode)
{
    g_autoptr(GError) error = NULL;
    vsStore *store = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    vsStoreSetClock(store, fixedClock, NULL);
    vsStoreSetCompressionMode(store, mode);
    return store;
}

static vsDomain *
loadDomain(vsStore *store, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    vsDomain *dom = NULL;

    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "vm1", NULL, flags, &error), ==, 0);
    g_assert_no_error(error);
    return dom;
}

static char *
formatRecord(const vsDomain *dom)
{
    char *out = NULL;

    g_assert_cmpint(vsSnapshotFormat(&out, vsDomainLookup(dom, "big", NULL), NULL,
                                     VS_SNAPSHOT_FORMAT_SECURE, NULL), ==, 0);
    return out;
}

/* At the limit: taken, and a fresh handle loads the record the committing
 * one holds, the text whole in it. */
static void
testAtLimitLoadsBack(void)
{
    for (vsCompression mode = VS_COMPRESSION_NONE; mode <= VS_COMPRESSION_PIECES; mode++) {
        for (Place place = 0; place < PLACES; place++) {
            for (Runs runs = 0; runs < RUNS; runs++) {
                g_autofree char *dir = vsTestTempDir();
                g_autoptr(vsStore) store = openStore(dir, mode);
                g_autoptr(vsDomain) dom = loadDomain(store, VS_DOMAIN_LOAD_WRITE);
                g_autoptr(vsDomain) back = NULL;
                g_autoptr(GError) error = NULL;
                g_autofree char *text = bigText(TEXT_MAX, runs);
                g_autofree char *held = NULL, *loaded = NULL;

                g_assert_cmpint(createAt(dom, "big", place, text, &error), ==, 0);
                g_assert_no_error(error);
                held = formatRecord(dom);
                back = loadDomain(store, 0);
                loaded = formatRecord(back);
                g_assert_cmpstr(loaded, ==, held);
                g_assert_nonnull(strstr(loaded, text));
                g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
            }
        }
    }
}

/* One byte more: refused, saying why on one line, the file unchanged.  In
 * several runs libxml2 refuses it as it parses; in one run of ASCII
 * libxml2 2.9 takes it from memory, and the check of the stored form
 * refuses it (the bulk file's streaming reader would not). */
static void
testOverLimitRefused(void)
{
    for (vsCompression mode = VS_COMPRESSION_NONE; mode <= VS_COMPRESSION_PIECES; mode++) {
        g_autofree char *dir = vsTestTempDir();
        g_autofree char *path = g_build_filename(dir, "vm1.xml", NULL);
        g_autoptr(vsStore) store = openStore(dir, mode);
        g_autoptr(vsDomain) dom = loadDomain(store, VS_DOMAIN_LOAD_WRITE);
        g_autofree char *before = NULL;
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(createAt(dom, "small", IN_DOMAIN, "small", &error), ==, 0);
        before = vsTestReadFile(path, NULL);
        for (Place place = 0; place < PLACES; place++) {
            for (Runs runs = 0; runs < RUNS; runs++) {
                g_autofree char *text = bigText(TEXT_MAX + 1, runs);
                g_autofree char *after = NULL;

                g_clear_error(&error);
                g_assert_cmpint(createAt(dom, "big", place, text, &error), <, 0);
                g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
                if (!strstr(error->message, runs != ONE_RUN ? "huge text node"
                                                            : "stored form would not"))
                    g_error("'%s': not the expected refusal", error->message);
                g_assert_null(strchr(error->message, '\n'));
                after = vsTestReadFile(path, NULL);
                g_assert_cmpstr(after, ==, before);
            }
        }
        g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
    }
}

/* vsSnapshotParse alone: over the limit in several runs is refused; in
 * one run of ASCII, libxml2 2.9 takes it (the header says so). */
static void
testParseOverLimit(void)
{
    for (Runs runs = 0; runs < RUNS; runs++) {
        g_autofree char *text = bigText(TEXT_MAX + 1, runs);
        g_autofree char *domain_xml = NULL;
        g_autofree char *xml = createXML("big", IN_DESCRIPTION, text, &domain_xml);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsSnapshot) snap = NULL;
        int ret = vsSnapshotParse(&snap, xml, strlen(xml), VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL,
                                  &error);

        if (runs != ONE_RUN) {
            g_assert_cmpint(ret, <, 0);
            g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
            g_assert_nonnull(strstr(error->message, "huge text node"));
        } else if (LIBXML_VERSION / 100 == 209) {
            g_assert_no_error(error);
            g_assert_cmpint(ret, ==, 0);
        }
    }
}

/* A given <domain> whose parse reported an error is refused, as one in
 * the snapshot's document is: libxml2 still hands out a document when the
 * error is not one of well-formedness (a prefix without a namespace), and
 * such a record, once committed, would not load. */
static void
testGivenDomainAnyError(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = openStore(dir, VS_COMPRESSION_ZSTD);
    g_autoptr(vsDomain) dom = loadDomain(store, VS_DOMAIN_LOAD_WRITE);
    g_autoptr(vsDomain) back = NULL;
    g_autoptr(GError) error = NULL;
    static const char xml[] = "<domainsnapshot><name>ns</name></domainsnapshot>";
    static const char domain[] = "<domain type='qemu'><name>demo</name><uuid>" UUID "</uuid>"
                                 "<app:x/></domain>";

    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), domain, 0, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "XML error: domain definition: Namespace prefix app on x "
                                        "is not defined");
    g_assert_cmpuint(vsDomainCount(dom), ==, 0);
    back = loadDomain(store, 0);
    g_assert_cmpuint(vsDomainCount(back), ==, 0);
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/text-limit/at-limit-loads-back", testAtLimitLoadsBack);
    g_test_add_func("/text-limit/over-limit-refused", testOverLimitRefused);
    g_test_add_func("/text-limit/parse-over-limit", testParseOverLimit);
    g_test_add_func("/text-limit/given-domain-any-error", testGivenDomainAnyError);
    return g_test_run();
}
