/* test-document.c — vsDomainWriteDocument: the document vsDomainFormat
 * returns, handed out in parts of about 1 MiB that never split a record,
 * from every kind of file (plain, format 2, format 3, where it is what the
 * references stand for); a writer's failure stops it at once. */
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "testutil.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define RECORDS 6000
#define CHUNK (1u << 20)
#define BIG_TEXT (3u << 19)   /* a record of 1.5 MiB: bigger than a part */

typedef struct {
    GString *doc;
    guint calls;
    guint fail_at;        /* 0: never */
    gsize biggest;
} Parts;

static gboolean
endsWith(const char *bytes, gsize len, const char *end)
{
    gsize n = strlen(end);

    return len >= n && memcmp(bytes + len - n, end, n) == 0;
}

static int
collect(const char *bytes, gsize len, gpointer data, GError **error)
{
    Parts *parts = data;

    parts->calls++;
    if (parts->calls == parts->fail_at) {
        g_set_error(error, VS_ERROR, VS_ERROR_IO, "the reader went away");
        return -1;
    }
    g_assert_cmpuint(len, >, 0);
    /* whole records (the header and the end ride with their neighbours) */
    g_assert_true(endsWith(bytes, len, "</domainsnapshot>\n") ||
                  endsWith(bytes, len, "</snapshots>\n"));
    parts->biggest = MAX(parts->biggest, len);
    g_string_append_len(parts->doc, bytes, len);
    return 0;
}

/* A chain of RECORDS snapshots, every tenth with a <domain> of its own
 * memory size, one of them with a 1.5 MiB description: one batch. */
static void
fill(vsStore *store)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *big = g_strnfill(BIG_TEXT, 'x');

    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "vm", NULL, VS_DOMAIN_LOAD_WRITE, &error),
                    ==, 0);
    g_assert_cmpint(vsDomainBegin(dom, &error), ==, 0);
    for (guint i = 0; i < RECORDS; i++) {
        g_autofree char *parent = i ? g_strdup_printf("<parent><name>s%u</name></parent>", i - 1)
                                    : g_strdup("");
        g_autofree char *xml = g_strdup_printf(
            "<domainsnapshot><name>s%u</name><state>shutoff</state>%s"
            "<creationTime>%u</creationTime>%s%s%s<domain type='qemu'><name>vm</name>"
            "<uuid>" UUID "</uuid><memory>%u</memory></domain></domainsnapshot>",
            i, parent, 1000 + i, i == RECORDS / 2 ? "<description>" : "",
            i == RECORDS / 2 ? big : "", i == RECORDS / 2 ? "</description>" : "",
            1024 + i / 10);
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), ==, 0);
    }
    g_assert_cmpint(vsDomainCommit(dom, &error), ==, 0);
}

static void
test_parts(gconstpointer data)
{
    vsCompression mode = GPOINTER_TO_INT(data);
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *whole = NULL;
    Parts parts = { g_string_new(NULL), 0, 0, 0 };

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    vsStoreSetCompressionMode(store, mode);
    fill(store);
    /* a fresh read-only load: the file as written, references resolved */
    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "vm", NULL, 0, &error), ==, 0);
    g_assert_cmpint(vsDomainFormat(&whole, dom, &error), ==, 0);
    g_assert_cmpuint(strlen(whole), >, CHUNK + BIG_TEXT);

    g_assert_cmpint(vsDomainWriteDocument(dom, collect, &parts, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpstr(parts.doc->str, ==, whole);
    g_assert_cmpuint(parts.calls, >=, 3);
    /* a part: under CHUNK, plus the record that reached it */
    g_assert_cmpuint(parts.biggest, >=, BIG_TEXT);
    g_assert_cmpuint(parts.biggest, <, CHUNK + BIG_TEXT + 4096);
    if (mode == VS_COMPRESSION_PIECES) {
        g_autofree char *path = g_build_filename(dir, "vm.xml", NULL);
        g_autofree char *file = vsTestReadFile(path, NULL);

        /* the file names the definitions; the document holds them */
        g_assert_null(g_strstr_len(whole, -1, "virtsnap-pieces="));
        g_assert_null(g_strstr_len(file, -1, "<memory>1024</memory>"));
    }
    g_string_free(parts.doc, TRUE);

    /* the second part fails: nothing more is formatted or handed out */
    parts = (Parts) { g_string_new(NULL), 0, 2, 0 };
    g_assert_cmpint(vsDomainWriteDocument(dom, collect, &parts, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_IO);
    g_assert_cmpuint(parts.calls, ==, 2);
    g_string_free(parts.doc, TRUE);
    vsTestRemoveTree(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/document/parts/plain", GINT_TO_POINTER(VS_COMPRESSION_NONE),
                         test_parts);
    g_test_add_data_func("/document/parts/zstd", GINT_TO_POINTER(VS_COMPRESSION_ZSTD),
                         test_parts);
    g_test_add_data_func("/document/parts/pieces", GINT_TO_POINTER(VS_COMPRESSION_PIECES),
                         test_parts);
    return g_test_run();
}
