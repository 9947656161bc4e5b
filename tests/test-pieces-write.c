/* test-pieces-write.c — the store's compression mode (none, zstd, pieces)
 * and format 3's writer: the setting saved and read back, its boolean
 * forms kept; a pieces store's file is format 3 (header, marker, packs,
 * references) and loads as the document of the tree it was written from;
 * a commit adds a pack only for definitions it adds, holding only their
 * new pieces; a file converts both ways at its next commit. */
#include <string.h>
#include <zstd.h>

#include "virtsnap/virtsnap.h"
#include "format/bulkfile-private.h"
#include "testutil.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define DISKS 300

static char *
configOf(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, ".virtsnap", "config", NULL);
    return vsTestReadFile(path, NULL);
}

/* Saved as compression=pieces, read by the next vsStoreOpen; the boolean
 * forms see pieces as compressed and set zstd or none. */
static void
test_setting(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *config = NULL;
    g_autofree char *path = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_ZSTD);
    g_assert_cmpint(vsStoreSaveCompressionMode(store, VS_COMPRESSION_PIECES, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_PIECES);
    config = configOf(dir);
    g_assert_nonnull(strstr(config, "\ncompression=pieces\n"));
    g_assert_cmpint(vsStoreOpen(&other, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_PIECES);
    g_assert_true(vsStoreGetCompression(other));

    vsStoreSetCompression(other, FALSE);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_NONE);
    g_assert_false(vsStoreGetCompression(other));
    vsStoreSetCompression(other, TRUE);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_ZSTD);
    vsStoreSetCompressionMode(other, VS_COMPRESSION_PIECES);
    g_assert_cmpint(vsStoreGetCompressionMode(other), ==, VS_COMPRESSION_PIECES);

    /* A mode outside the enum is refused and changes nothing. */
    g_assert_cmpint(vsStoreSaveCompressionMode(store, (vsCompression) 7, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreGetCompressionMode(store), ==, VS_COMPRESSION_PIECES);

    g_assert_cmpint(vsStoreSaveCompression(store, TRUE, &error), ==, 0);
    g_clear_pointer(&config, g_free);
    config = configOf(dir);
    g_assert_nonnull(strstr(config, "\ncompression=zstd\n"));

    /* An unknown name is refused, naming the three it knows. */
    path = g_build_filename(dir, ".virtsnap", "config", NULL);
    g_assert_true(g_file_set_contents(path, "[store]\ncompression=piece\n", -1, NULL));
    g_clear_pointer(&other, vsStoreFree);
    g_assert_cmpint(vsStoreOpen(&other, dir, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "unknown compression 'piece' (expected zstd, "
                                            "pieces or none)"));
    vsStoreFree(store);
    store = NULL;
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

/* A <domain> of DISKS disks (~40 KB, many pieces); @variant changes one
 * disk's source (a hot-plug's worth of difference). */
static char *
domainXML(guint variant)
{
    g_autoptr(GString) xml = g_string_new("<domain type='kvm'><name>demo</name><uuid>" UUID
                                          "</uuid><memory unit='KiB'>1048576</memory>"
                                          "<devices>");

    for (guint i = 0; i < DISKS; i++)
        g_string_append_printf(xml, "<disk type='file' device='disk'><source file='/images/"
                               "d%u-%u.qcow2'/><target dev='vd%u' bus='virtio'/></disk>", i,
                               i == DISKS / 2 ? variant : 0, i);
    g_string_append(xml, "</devices></domain>");
    return g_string_free(g_steal_pointer(&xml), FALSE);
}

static void
redefine(vsDomain *dom, const char *name, const char *parent, guint variant)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *domain = domainXML(variant);
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *xml = g_strdup_printf("<domainsnapshot><name>%s</name><state>shutoff"
                                           "</state>%s<creationTime>%u</creationTime>%s"
                                           "</domainsnapshot>", name, p, variant + 1, domain);

    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_REDEFINE, &error), ==, 0);
}

/* What a VM's file holds, frame by frame. */
typedef struct {
    guint packs;
    gsize pack_bytes;        /* of the last pack */
    guint definitions;       /* 'D' entries of every pack */
    gboolean marker3;
    gboolean marker2;
    gboolean zstd;
    char *doc;               /* the zstd frames' content (packs skipped) */
} FileShape;

static void
fileShapeClear(FileShape *shape)
{
    g_free(shape->doc);
}

/* Counts the definitions of the pack frame at @frame (@len bytes). */
static guint
packDefinitions(const char *frame, gsize len)
{
    gsize tag = strlen(VS_BULK_PACK_TAG), n, i = 0;
    g_autofree guint8 *content = NULL;
    unsigned long long size;
    guint defs = 0;

    g_assert_cmpmem(frame + 8, tag, VS_BULK_PACK_TAG, tag);
    size = ZSTD_getFrameContentSize(frame + 8 + tag, len - 8 - tag);
    content = g_malloc(size + 1);
    n = ZSTD_decompress(content, size, frame + 8 + tag, len - 8 - tag);
    g_assert_cmpuint(n, ==, size);
    while (i < n) {
        guint32 count;

        memcpy(&count, content + i + 5, 4);
        count = GUINT32_FROM_LE(count);
        defs += content[i] == 'D';
        i += 9 + (content[i] == 'D' ? 4 * (gsize) count : count);
    }
    g_assert_cmpuint(i, ==, n);
    return defs;
}

static void
readShape(FileShape *shape, const char *dir, const char *vm)
{
    g_autofree char *name = g_strdup_printf("%s.xml", vm);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    gsize len = 0, pos = 0;
    g_autofree char *data = vsTestReadFile(path, &len);
    g_autoptr(GString) doc = g_string_new(NULL);

    memset(shape, 0, sizeof(*shape));
    shape->zstd = len >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0;
    if (!shape->zstd) {
        shape->doc = g_steal_pointer(&data);
        return;
    }
    while (pos < len) {
        size_t n = ZSTD_findFrameCompressedSize(data + pos, len - pos);
        guint32 magic;

        g_assert_false(ZSTD_isError(n));
        memcpy(&magic, data + pos, 4);
        magic = GUINT32_FROM_LE(magic);
        if (magic == VS_BULK_PACK_MAGIC) {
            shape->packs++;
            shape->pack_bytes = n;
            shape->definitions += packDefinitions(data + pos, n);
        } else if (magic == SEGMENT_MARKER_MAGIC) {
            shape->marker3 = memcmp(data + pos + 8, VS_BULK_SEGMENT_MARKER_3,
                                    strlen(VS_BULK_SEGMENT_MARKER_3)) == 0;
            shape->marker2 = memcmp(data + pos + 8, SEGMENT_MARKER, strlen(SEGMENT_MARKER)) == 0;
        } else {
            unsigned long long size = ZSTD_getFrameContentSize(data + pos, n);
            gsize at = doc->len;

            g_assert_true(size != ZSTD_CONTENTSIZE_ERROR && size != ZSTD_CONTENTSIZE_UNKNOWN);
            g_string_set_size(doc, at + size);
            g_assert_cmpuint(ZSTD_decompress(doc->str + at, size, data + pos, n), ==, size);
        }
        pos += n;
    }
    shape->doc = g_string_free(g_steal_pointer(&doc), FALSE);
}

static guint
countOf(const char *text, const char *what)
{
    guint n = 0;

    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* @dom's document (format 2's text) equals what a fresh handle loads from
 * the VM's file. */
static void
assertReloads(vsDomain *dom, const char *dir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) again = NULL;
    g_autofree char *want = NULL, *got = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&again, store, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpint(vsDomainFormat(&want, dom, &error), ==, 0);
    g_assert_cmpint(vsDomainFormat(&got, again, &error), ==, 0);
    g_assert_cmpstr(got, ==, want);
}

static vsDomain *
loadWrite(vsStore *store)
{
    g_autoptr(GError) error = NULL;
    vsDomain *dom = NULL;

    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, VS_DOMAIN_LOAD_WRITE, &error),
                    ==, 0);
    return dom;
}

/* A write handle on VM demo of a store at @dir set to pieces. */
static vsDomain *
loadPieces(vsStore **store, const char *dir)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsStoreOpen(store, dir, 0, &error), ==, 0);
    vsStoreSetCompressionMode(*store, VS_COMPRESSION_PIECES);
    return loadWrite(*store);
}

/* A pieces store writes format 3: the header says so, the marker is the
 * third, each record names its definition; a commit whose definitions are
 * all known adds no pack, one with a new variant adds a pack of its few new
 * pieces (not the ~40 KB definition); every state loads as written. */
static void
test_writes_format3(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    FileShape shape, after;
    gsize first_pack;

    dom = loadPieces(&store, dir);
    redefine(dom, "root", NULL, 0);
    readShape(&shape, dir, "demo");
    g_assert_true(shape.zstd && shape.marker3 && !shape.marker2);
    g_assert_cmpuint(shape.packs, ==, 1);
    g_assert_nonnull(strstr(shape.doc, "<snapshots virtsnap-format='3'>\n"));
    g_assert_cmpuint(countOf(shape.doc, "<domain virtsnap-pieces='"), ==, 1);
    g_assert_null(strstr(shape.doc, "<source file="));
    first_pack = shape.pack_bytes;
    fileShapeClear(&shape);
    assertReloads(dom, dir);

    /* the same definition again: no pack added */
    redefine(dom, "a", "root", 0);
    readShape(&shape, dir, "demo");
    g_assert_cmpuint(shape.packs, ==, 1);
    g_assert_cmpuint(countOf(shape.doc, "<domain virtsnap-pieces='"), ==, 2);
    fileShapeClear(&shape);
    assertReloads(dom, dir);

    /* a variant: one pack more, of its new pieces only */
    redefine(dom, "b", "a", 7);
    readShape(&after, dir, "demo");
    g_assert_cmpuint(after.packs, ==, 2);
    g_assert_cmpuint(after.pack_bytes, <, first_pack / 4);
    g_assert_cmpuint(countOf(after.doc, "<domain virtsnap-pieces='"), ==, 3);
    fileShapeClear(&after);
    assertReloads(dom, dir);
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

/* Each file's format as its store's mode says, taken at the next commit,
 * both ways, by a handle that wrote the other format just before (its
 * frames are not reused across formats) and by a fresh one; the tree is
 * kept throughout. */
static void
test_converts(void)
{
    static const vsCompression modes[] = {
        VS_COMPRESSION_PIECES, VS_COMPRESSION_ZSTD, VS_COMPRESSION_PIECES,
        VS_COMPRESSION_NONE, VS_COMPRESSION_PIECES,
    };
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(vsDomain) dom = NULL;
    guint added = 0;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    dom = loadWrite(store);
    for (; added < 6; added++) {
        char name[8];

        g_snprintf(name, sizeof(name), "s%u", added);
        redefine(dom, name, added ? "s0" : NULL, added % 3);
    }
    for (guint fresh = 0; fresh < 2; fresh++) {
        for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
            FileShape shape;
            char name[8];

            g_snprintf(name, sizeof(name), "s%u", added++);
            if (fresh) {
                g_assert_cmpint(vsStoreSaveCompressionMode(store, modes[i], &error), ==, 0);
                g_clear_pointer(&dom, vsDomainFree);
                dom = loadWrite(store);
            } else {
                vsStoreSetCompressionMode(store, modes[i]);
            }
            redefine(dom, name, "s1", added % 4);
            readShape(&shape, dir, "demo");
            g_assert_cmpint(shape.zstd, ==, modes[i] != VS_COMPRESSION_NONE);
            g_assert_cmpint(shape.marker3, ==, modes[i] == VS_COMPRESSION_PIECES);
            g_assert_cmpint(shape.marker2, ==, modes[i] == VS_COMPRESSION_ZSTD);
            g_assert_cmpint(shape.packs > 0, ==, modes[i] == VS_COMPRESSION_PIECES);
            g_assert_cmpuint(countOf(shape.doc, "<domain virtsnap-pieces='"), ==,
                             modes[i] == VS_COMPRESSION_PIECES ? added : 0);
            fileShapeClear(&shape);
            assertReloads(dom, dir);
        }
    }
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

/* The definition id record @name's reference names in @doc (0: none). */
static guint
referenceOf(const char *doc, const char *name)
{
    g_autofree char *tag = g_strdup_printf("<name>%s</name>", name);
    const char *at = strstr(doc, tag), *end, *ref;

    if (!at || !(end = strstr(at, "</domainsnapshot>")) ||
        !(ref = strstr(at, "<domain virtsnap-pieces='")) || ref > end)
        return 0;
    return (guint) g_ascii_strtoull(ref + strlen("<domain virtsnap-pieces='"), NULL, 10);
}

static gsize
fileSize(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "demo.xml", NULL);
    gsize len = 0;
    g_autofree char *data = vsTestReadFile(path, &len);

    return len;
}

/* Packs of dead definitions go: a commit past VS_BULK_PIECES_PACKS_MAX
 * packs leaves one; deleting most records (the tree halved) drops their
 * definitions, the file shrinks, and the records left name the same ids
 * (their frames are copied).  Each state reloads as written. */
static void
test_compaction(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    guint most = 0, last = 0, compactions = 0;
    gsize big;
    FileShape shape;

    dom = loadPieces(&store, dir);
    redefine(dom, "s00", NULL, 0);
    /* each commit a new variant: a pack each, compacted past the bound */
    for (guint i = 1; i <= VS_BULK_PIECES_PACKS_MAX + 8; i++) {
        char name[8];

        g_snprintf(name, sizeof(name), "s%02u", i);
        redefine(dom, name, "s00", i);
        readShape(&shape, dir, "demo");
        g_assert_cmpuint(shape.packs, <=, VS_BULK_PIECES_PACKS_MAX);
        compactions += shape.packs < last;
        last = shape.packs;
        most = MAX(most, shape.packs);
        fileShapeClear(&shape);
    }
    g_assert_cmpuint(compactions, ==, 1);
    g_assert_cmpuint(most, ==, VS_BULK_PIECES_PACKS_MAX);
    g_assert_cmpuint(last, <, 10);
    assertReloads(dom, dir);

    readShape(&shape, dir, "demo");
    g_assert_cmpuint(shape.definitions, ==, VS_BULK_PIECES_PACKS_MAX + 9);
    before = g_steal_pointer(&shape.doc);
    big = fileSize(dir);
    /* deleting all but five of 41: compacted at 19 records left (under
     * 41 / 2) and at 8 (under 19 / 2), holding the 8's definitions */
    for (guint i = 1; i <= VS_BULK_PIECES_PACKS_MAX + 4; i++) {
        char name[8];

        g_snprintf(name, sizeof(name), "s%02u", i);
        g_assert_cmpint(vsDomainDelete(dom, name, 0, &error), ==, 0);
    }
    readShape(&shape, dir, "demo");
    g_assert_cmpuint(shape.packs, ==, 1);
    g_assert_cmpuint(shape.definitions, ==, 8);
    g_assert_cmpuint(fileSize(dir), <, big * 3 / 4);
    for (guint i = VS_BULK_PIECES_PACKS_MAX + 5; i <= VS_BULK_PIECES_PACKS_MAX + 8; i++) {
        char name[8];

        g_snprintf(name, sizeof(name), "s%02u", i);
        g_assert_cmpuint(referenceOf(shape.doc, name), !=, 0);
        g_assert_cmpuint(referenceOf(shape.doc, name), ==, referenceOf(before, name));
    }
    g_assert_cmpuint(referenceOf(shape.doc, "s00"), ==, referenceOf(before, "s00"));
    fileShapeClear(&shape);
    assertReloads(dom, dir);
    g_assert_cmpint(vsTestRemoveTree(dir), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pieces-write/setting", test_setting);
    g_test_add_func("/pieces-write/writes-format3", test_writes_format3);
    g_test_add_func("/pieces-write/converts", test_converts);
    g_test_add_func("/pieces-write/compaction", test_compaction);
    return g_test_run();
}
