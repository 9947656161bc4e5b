/* test-pieces-read.c — reading format 3 (bulkfile-pieces.h): a file whose
 * records name their <domain> definitions, stored once as pieces in packs.
 * Documents are built here by a small encoder of the layout (test code),
 * from a tree read in format 2, so each can be made hostile in one place:
 * every case loads with both readers (they agree: fuzz-common.h's oracle)
 * and gives the original tree or one error naming the file. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "format/bulkfile-private.h"
#include "util/atomicfile.h"
#include "format/domaindedup.h"
#include "snapshot/snapshot.h"
#include "testutil.h"
#include "../fuzz/fuzz-common.h"

/* ---------------------------------------------------------------- */
/* A tree to store                                                    */

/* A definition of @ndevices interfaces (each a line: a few KiB make
 * several pieces), told apart by @variant. */
static void
appendDomain(GString *doc, guint variant, guint ndevices)
{
    g_string_append_printf(doc, "<domain type='kvm'><name>demo</name>"
                           "<uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                           "<description>variant %u</description><devices>", variant);
    for (guint i = 0; i < ndevices; i++)
        g_string_append_printf(doc, "<interface type='network'><mac address='52:54:00:%02x:"
                               "%02x:%02x'/><source network='net%u'/></interface>",
                               variant & 0xff, i >> 8, i & 0xff, i % 7);
    g_string_append(doc, "</devices></domain>");
}

/* A chain of @n snapshots, snapshot i's definition told apart by
 * @variants[i]. */
static vsTree *
chainTree(const guint *variants, guint n)
{
    g_autoptr(GString) doc = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    vsTree *tree = NULL;

    g_string_printf(doc, "<snapshots current='s%u'>", n - 1);
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(doc, "<domainsnapshot><name>s%u</name><state>shutoff</state>", i);
        if (i > 0)
            g_string_append_printf(doc, "<parent><name>s%u</name></parent>", i - 1);
        g_string_append_printf(doc, "<creationTime>%u</creationTime><memory snapshot='no'/>",
                               100 + i);
        appendDomain(doc, variants[i], 60 + 5 * variants[i]);
        g_string_append(doc, "</domainsnapshot>");
    }
    g_string_append(doc, "</snapshots>");
    g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "t.xml",
                                    NULL, &error), ==, 0);
    return tree;
}

/* A chain of six snapshots over three distinct definitions. */
static vsTree *
sampleTree(void)
{
    static const guint variants[] = { 0, 0, 1, 0, 1, 2 };

    return chainTree(variants, G_N_ELEMENTS(variants));
}

static char *
formatTree(const vsTree *tree)
{
    GString *buf = g_string_new(NULL);
    vsBulkFileFormat(buf, tree, NULL);
    return g_string_free(buf, FALSE);
}

/* ---------------------------------------------------------------- */
/* The encoder                                                        */

/* A document's parts, each editable before they are framed. */
typedef struct {
    GString *header;      /* up to the root's start tag, its line included */
    GPtrArray *packs;     /* GByteArray: each pack's entries */
    GString *records;
    GString *trailer;
    GHashTable *ids;      /* vsXmlPiece* or vsXmlSubtree* -> id */
    guint32 next_id;
} V3;

static void
v3Free(V3 *v)
{
    g_string_free(v->header, TRUE);
    g_ptr_array_unref(v->packs);
    g_string_free(v->records, TRUE);
    g_string_free(v->trailer, TRUE);
    g_hash_table_unref(v->ids);
    g_free(v);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V3, v3Free)

static void
putU32(GByteArray *out, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(out, (const guint8 *) &le, 4);
}

static void
putPiece(GByteArray *pack, guint32 id, const char *text, guint32 len)
{
    g_byte_array_append(pack, (const guint8 *) "P", 1);
    putU32(pack, id);
    putU32(pack, len);
    g_byte_array_append(pack, (const guint8 *) text, len);
}

static void
putDef(GByteArray *pack, guint32 id, const guint32 *pieces, guint32 n)
{
    g_byte_array_append(pack, (const guint8 *) "D", 1);
    putU32(pack, id);
    putU32(pack, n);
    for (guint32 k = 0; k < n; k++)
        putU32(pack, pieces[k]);
}

static GByteArray *
newPack(V3 *v)
{
    GByteArray *pack = g_byte_array_new();
    g_ptr_array_add(v->packs, pack);
    return pack;
}

/* The id of @domain's definition, its pieces and itself added to the last
 * pack when new. */
static guint32
defineDomain(V3 *v, const vsXmlSubtree *domain)
{
    guint n = vsXmlSubtreeGetPieceCount(domain);
    g_autofree guint32 *ids = g_new(guint32, n);
    GByteArray *pack = v->packs->pdata[v->packs->len - 1];
    guint32 id = GPOINTER_TO_UINT(g_hash_table_lookup(v->ids, domain));

    if (id)
        return id;
    for (guint k = 0; k < n; k++) {
        vsXmlPiece *piece = vsXmlSubtreeGetPiece(domain, k);
        gsize len;
        const char *text = vsXmlPieceGetText(piece, &len);

        if (!(ids[k] = GPOINTER_TO_UINT(g_hash_table_lookup(v->ids, piece)))) {
            ids[k] = v->next_id++;
            g_hash_table_insert(v->ids, piece, GUINT_TO_POINTER(ids[k]));
            putPiece(pack, ids[k], text, len);
        }
    }
    id = v->next_id++;
    g_hash_table_insert(v->ids, (gpointer) domain, GUINT_TO_POINTER(id));
    putDef(pack, id, ids, n);
    return id;
}

/* @tree as format 3: each record's <domain> a reference; a pack per
 * definition when @pack_each, else one; ids from @first_id up (never 0:
 * the encoder's "none"). */
static V3 *
v3FromTreeAt(const vsTree *tree, gboolean pack_each, guint32 first_id)
{
    g_autofree char *text = formatTree(tree);
    const char *root = strstr(text, "<snapshots");
    const char *body = strchr(root, '\n') + 1, *end = strstr(body, "</snapshots>");
    const char *at = body, *rec;
    V3 *v = g_new0(V3, 1);

    v->header = g_string_new_len(text, root - text);
    g_string_append_len(v->header, root, strchr(root, '>') - root);
    g_string_append(v->header, " " VS_BULK_FORMAT_ATTR "='3'>\n");
    v->packs = g_ptr_array_new_with_free_func((GDestroyNotify) g_byte_array_unref);
    v->records = g_string_new(NULL);
    v->trailer = g_string_new(end);
    v->ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    v->next_id = first_id;
    newPack(v);
    while ((rec = strstr(at, "<domainsnapshot>")) && rec < end) {
        const char *name = strstr(rec, "<name>") + strlen("<name>");
        g_autofree char *nm = g_strndup(name, strchr(name, '<') - name);
        const char *dom = strstr(rec, "<domain ");
        const char *dom_end = strstr(dom, "\n    </domain>") + strlen("\n    </domain>");
        const vsMoment *moment = vsTreeLookup(tree, nm);

        g_assert_nonnull(moment);
        if (pack_each && v->next_id > first_id &&
            !g_hash_table_contains(v->ids, vsMomentGetDomain(moment)))
            newPack(v);
        g_string_append_len(v->records, at, dom - at);
        g_string_append_printf(v->records, "<domain " VS_BULK_PIECES_ATTR "='%u'/>",
                               defineDomain(v, vsMomentGetDomain(moment)));
        at = dom_end;
    }
    g_string_append_len(v->records, at, end - at);
    return v;
}

static V3 *
v3FromTree(const vsTree *tree, gboolean pack_each)
{
    return v3FromTreeAt(tree, pack_each, 1);
}

static void
appendZstd(GByteArray *out, const void *data, gsize len)
{
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    gsize cap = ZSTD_compressBound(len), old = out->len;
    size_t n;

    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    g_byte_array_set_size(out, old + cap);
    n = ZSTD_compress2(cctx, out->data + old, cap, data, len);
    g_assert_false(ZSTD_isError(n));
    g_byte_array_set_size(out, old + n);
    ZSTD_freeCCtx(cctx);
}

static void
appendSkippable(GByteArray *out, guint32 magic, const void *data, gsize len)
{
    putU32(out, magic);
    putU32(out, len);
    g_byte_array_append(out, data, len);
}

/* One pack frame of @entries (magic, size, tag, zstd frame). */
static void
appendPack(GByteArray *out, const GByteArray *entries)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    g_byte_array_append(body, (const guint8 *) VS_BULK_PACK_TAG, strlen(VS_BULK_PACK_TAG));
    appendZstd(body, entries->data, entries->len);
    appendSkippable(out, VS_BULK_PACK_MAGIC, body->data, body->len);
}

typedef struct {
    gsize pad;                /* a foreign skippable frame of this size before the packs */
    guint late;               /* the last packs, this many, after the records' frame */
} Layout;

/* The file: header, marker, (padding), packs, records, trailer frames. */
static GByteArray *
v3Assemble(const V3 *v, Layout layout)
{
    GByteArray *out = g_byte_array_new();
    g_autofree char *pad = g_malloc0(layout.pad ? layout.pad : 1);

    appendZstd(out, v->header->str, v->header->len);
    appendSkippable(out, SEGMENT_MARKER_MAGIC, VS_BULK_SEGMENT_MARKER_3,
                    strlen(VS_BULK_SEGMENT_MARKER_3));
    if (layout.pad)
        appendSkippable(out, 0x184D2A5Fu, pad, layout.pad - 8);
    for (guint i = 0; i < v->packs->len; i++) {
        if (i == v->packs->len - layout.late)
            appendZstd(out, v->records->str, v->records->len);
        appendPack(out, v->packs->pdata[i]);
    }
    if (!layout.late)
        appendZstd(out, v->records->str, v->records->len);
    appendZstd(out, v->trailer->str, v->trailer->len);
    return out;
}

/* Where the first pack starts in @file (no padding): after the header
 * frame and the marker. */
static gsize
firstPackAt(const GByteArray *file)
{
    return ZSTD_findFrameCompressedSize(file->data, file->len) + 8 +
           strlen(VS_BULK_SEGMENT_MARKER_3);
}

/* ---------------------------------------------------------------- */
/* Loading                                                            */

/* Loads @file with both readers (they must agree), then as a load does;
 * the tree, or NULL and *error. */
static vsTree *
loadFile(const GByteArray *file, guint64 max_held, GError **error)
{
    vsBulkReadOptions opts = { .max_held = max_held };
    vsTree *tree = NULL;

    fuzzBulkReadersAgree((const char *) file->data, file->len, opts);
    if (vsBulkFileParse(&tree, NULL, &vsSnapshotKind, (const char *) file->data, file->len,
                        "t.xml", &opts, error) < 0)
        return NULL;
    return tree;
}

static void
expectSameTree(const vsTree *tree, const GByteArray *file)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) loaded = loadFile(file, 0, &error);
    g_autofree char *want = formatTree(tree);
    g_autofree char *got = NULL;

    g_assert_no_error(error);
    got = formatTree(loaded);
    g_assert_cmpstr(got, ==, want);
    g_assert_true(fuzzSameDomains(tree, loaded));
    /* the fast reader takes it (it agrees: loadFile) */
    {
        vsBulkReadOptions opts = { .reader = VS_BULK_READER_FAST };
        g_autoptr(vsTree) fast = NULL;

        g_assert_cmpint(vsBulkFileParse(&fast, NULL, &vsSnapshotKind, (const char *) file->data,
                                        file->len, "t.xml", &opts, &error), ==, 0);
    }
}

static void
expectError(const GByteArray *file, guint64 max_held, int code, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) loaded = loadFile(file, max_held, &error);

    g_assert_null(loaded);
    g_assert_error(error, VS_ERROR, code);
    if (!strstr(error->message, message))
        g_error("'%s' does not say '%s'", error->message, message);
    g_assert_true(g_str_has_prefix(error->message, "t.xml:"));
}

static void
expectErrorV3(const V3 *v, Layout layout, const char *message)
{
    g_autoptr(GByteArray) file = v3Assemble(v, layout);
    expectError(file, 0, VS_ERROR_CORRUPT, message);
}

/* ---------------------------------------------------------------- */
/* Cases                                                              */

static void
test_loads(void)
{
    g_autoptr(vsTree) tree = sampleTree();

    for (int each = 0; each < 2; each++) {
        g_autoptr(V3) v = v3FromTree(tree, each);
        g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });

        g_assert_cmpuint(v->packs->len, ==, each ? 3 : 1);
        expectSameTree(tree, file);
    }
}

/* The same file read from a descriptor (raw reads of the buffer's size). */
static void
test_loads_from_file(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, TRUE);
    g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *path = g_build_filename(dir, "vm.xml", NULL);
    g_autoptr(vsTree) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *want = formatTree(tree), *got = NULL;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

    g_assert_true(g_file_set_contents(path, (const char *) file->data, file->len, NULL));
    g_assert_cmpint(vsBulkFileRead(&loaded, NULL, &vsSnapshotKind, dirfd, dir, "vm.xml", NULL,
                                   &error), ==, 0);
    got = formatTree(loaded);
    g_assert_cmpstr(got, ==, want);
    close(dirfd);
}

/* A pack larger than the reader's buffer, its head at every position
 * around the buffer's end (a foreign frame before it moves it). */
static void
test_pack_across_buffer(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    g_autoptr(GRand) rand = g_rand_new_with_seed(16);
    g_autoptr(GString) filler = g_string_new(NULL);
    g_autoptr(GByteArray) probe = NULL;
    gsize buffer = ZSTD_DStreamInSize(), before;

    /* an unused piece of 2 MiB that does not compress */
    while (filler->len < 2 * 1024 * 1024)
        g_string_append_c(filler, 'a' + g_rand_int_range(rand, 0, 26));
    putPiece(v->packs->pdata[0], v->next_id++, filler->str, filler->len);
    probe = v3Assemble(v, (Layout) { 0 });
    before = firstPackAt(probe);
    for (gsize head = buffer - 12; head <= buffer + 4; head++) {
        g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { .pad = head - before });
        g_autoptr(vsBulkSegments) segs = NULL;
        g_autoptr(vsTree) loaded = NULL;
        g_autoptr(GError) error = NULL;
        guint32 magic;

        memcpy(&magic, file->data + head, 4);
        g_assert_cmpuint(GUINT32_FROM_LE(magic), ==, VS_BULK_PACK_MAGIC);
        expectSameTree(tree, file);
        /* the records' frame after it is found where it is in the file */
        g_assert_cmpint(vsBulkFileParse(&loaded, &segs, &vsSnapshotKind,
                                        (const char *) file->data, file->len, "t.xml", NULL,
                                        &error), ==, 0);
        g_assert_cmpuint(segs->segments->len, ==, 1);
        g_assert_cmpint(vsBulkSegmentsVerify(segs, &error), ==, 0);
    }
}

static void
test_pack_truncated(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });
    gsize pack = firstPackAt(file);

    g_byte_array_set_size(file, pack + 40);
    expectError(file, 0, VS_ERROR_CORRUPT, "is cut short");
}

static void
test_pack_bad_tag(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });
    gsize pack = firstPackAt(file);

    file->data[pack + 8 + 9] = 'X';   /* "virtsnap-Xack 1" */
    expectError(file, 0, VS_ERROR_CORRUPT, "without its tag");
}

static void
test_pack_entries(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    static const guint32 later[] = { 1, 500 }, missing[] = { 77 };
    struct {
        const char *message;
        void (*add)(GByteArray *pack);
    } cases[] = {
        { "id 1 is defined twice", NULL },
        { "piece 400 is cut short", NULL },
        { "piece 401 has length 0", NULL },
        { "definition 402 names 500, which is not a piece defined before it", NULL },
        { "definition 403 names 77", NULL },
        { "unknown entry kind 0x51", NULL },
    };

    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        g_autoptr(V3) v = v3FromTree(tree, FALSE);
        GByteArray *pack = v->packs->pdata[0];

        switch (c) {
        case 0: putPiece(pack, 1, "x", 1); break;
        case 1: /* says 1,000 bytes, holds 3 */
            g_byte_array_append(pack, (const guint8 *) "P", 1);
            putU32(pack, 400);
            putU32(pack, 1000);
            g_byte_array_append(pack, (const guint8 *) "abc", 3);
            break;
        case 2: putPiece(pack, 401, "", 0); break;
        case 3: putDef(pack, 402, later, 2); putPiece(pack, 500, "late", 4); break;
        case 4: putDef(pack, 403, missing, 1); break;
        case 5: g_byte_array_append(pack, (const guint8 *) "Q", 1); putU32(pack, 404); break;
        }
        expectErrorV3(v, (Layout) { 0 }, cases[c].message);
    }
}

/* A definition whose pieces are not a <domain> as captured: the check's
 * error, on the line of the reference that names it. */
static void
test_definition_not_domain(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    static const char text[] = "<domain type='kvm'><name>x</name>";
    guint32 id = 900, piece = 901;
    g_autofree char *ref = NULL;
    char *at;
    gsize line;

    putPiece(v->packs->pdata[0], piece, text, strlen(text));
    putDef(v->packs->pdata[0], id, &piece, 1);
    /* the last record names it */
    at = g_strrstr(v->records->str, "<domain " VS_BULK_PIECES_ATTR "='");
    ref = g_strdup_printf("<domain " VS_BULK_PIECES_ATTR "='%u'/>", id);
    g_string_erase(v->records, at - v->records->str, strchr(at, '>') + 1 - at);
    g_string_insert(v->records, at - v->records->str, ref);
    line = 1;
    for (const char *p = v->header->str; (p = strchr(p, '\n')); p++)
        line++;
    for (const char *p = v->records->str; (p = strchr(p, '\n')) && p < at; p++)
        line++;
    {
        g_autofree char *want = g_strdup_printf("t.xml:%" G_GSIZE_FORMAT ": <domain> names "
                                                "definition 900, which is not a definition",
                                                line);
        expectErrorV3(v, (Layout) { 0 }, want);
    }
}

static void
test_reference_missing(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    char *at = strstr(v->records->str, VS_BULK_PIECES_ATTR "='") + strlen(VS_BULK_PIECES_ATTR "='");

    g_string_insert(v->records, at - v->records->str, "7");   /* '71', '72'... */
    expectErrorV3(v, (Layout) { 0 }, "which the file does not hold");
    /* the root says format 3 but the file has no packs */
    g_ptr_array_set_size(v->packs, 0);
    expectErrorV3(v, (Layout) { 0 }, "which the file does not hold");
}

/* The first reference of @v, from its value's opening quote to its end,
 * written as @before, its id (or @id when not NULL), @after. */
static void
rewriteFirstReference(V3 *v, const char *before, const char *id, const char *after)
{
    char *at = strstr(v->records->str, VS_BULK_PIECES_ATTR "='") +
               strlen(VS_BULK_PIECES_ATTR "=");
    gsize pos = at - v->records->str;
    g_autofree char *own = g_strdup_printf("%u", (guint) atoi(at + 1));
    g_autofree char *form = g_strconcat(before, id ? id : own, after, NULL);

    g_string_erase(v->records, pos, strstr(at, "/>") + 2 - at);
    g_string_insert(v->records, pos, form);
}

/* Written otherwise than exactly, the attribute is no reference: in a
 * format-3 document that is an error, not a <domain> of its own. */
static void
test_reference_inexact(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    static const struct { const char *before, *after; } forms[] = {
        { "'0", "'/>" }, { "\"", "\"/>" }, { "'", "' />" }, { "'", "'></domain>" },
        { "'+", "'/>" },
    };

    for (guint k = 0; k < G_N_ELEMENTS(forms); k++) {
        g_autoptr(V3) v = v3FromTree(tree, FALSE);

        rewriteFirstReference(v, forms[k].before, NULL, forms[k].after);
        expectErrorV3(v, (Layout) { 0 }, "is not written as a reference");
    }
}

/* Without virtsnap-format='3' a reference is an ordinary <domain> (the
 * kind reads it as it reads any); packs there fail the load. */
static void
test_root_without_format(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    char *attr = strstr(v->header->str, " " VS_BULK_FORMAT_ATTR);
    g_autoptr(GError) error = NULL;
    g_autoptr(vsTree) loaded = NULL;

    g_string_erase(v->header, attr - v->header->str, strlen(" " VS_BULK_FORMAT_ATTR "='3'"));
    expectErrorV3(v, (Layout) { 0 }, "holds definition packs, but its root does not say");
    g_ptr_array_set_size(v->packs, 0);
    {
        g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });

        loaded = loadFile(file, 0, &error);
        if (loaded) {
            const vsMoment *s0 = vsTreeLookup(loaded, "s0");
            g_assert_false(vsXmlSubtreeEqual(vsMomentGetDomain(s0),
                                             vsMomentGetDomain(vsTreeLookup(tree, "s0"))));
        } else {
            g_assert_null(strstr(error->message, "definition"));
        }
    }
}

static void
test_root_other_format(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    static const char *const values[] = { "2", "4", "03", "" };

    for (guint k = 0; k < G_N_ELEMENTS(values); k++) {
        g_autoptr(V3) v = v3FromTree(tree, FALSE);
        char *at = strstr(v->header->str, VS_BULK_FORMAT_ATTR "='3'") +
                   strlen(VS_BULK_FORMAT_ATTR "='");

        g_string_erase(v->header, at - v->header->str, 1);
        g_string_insert(v->header, at - v->header->str, values[k]);
        expectErrorV3(v, (Layout) { 0 }, "is not a format this reader knows");
    }
}

/* Packs come before the records: one after them fails the load, whether
 * the records named it (they name nothing the file holds so far) or not. */
static void
test_pack_after_records(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);

    putPiece(newPack(v), v->next_id++, "unused", strlen("unused"));
    expectErrorV3(v, (Layout) { .late = 1 }, "after a frame of records");
    expectErrorV3(v, (Layout) { .late = 2 }, "which the file does not hold");
}

/* The pieces a load interns count against its limit. */
static void
test_load_limit(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(V3) v = v3FromTree(tree, FALSE);
    g_autoptr(GByteArray) file = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(3);
    g_autoptr(GString) filler = g_string_new(NULL);

    /* pieces no other test interns, so the load adds them */
    while (filler->len < 256 * 1024)
        g_string_append_c(filler, 'a' + g_rand_int_range(rand, 0, 26));
    putPiece(v->packs->pdata[0], v->next_id++, filler->str, filler->len);
    file = v3Assemble(v, (Layout) { 0 });
    expectError(file, 200 * 1024, VS_ERROR_TOO_LARGE, "load limit");
}

/* The file @tree's write gives (@reuse: the frames of the last load). */
static GByteArray *
writeFile(const vsTree *tree, const vsBulkSegments *reuse)
{
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *path = g_build_filename(dir, "vm.xml", NULL);
    g_autoptr(vsAtomicFile) af = NULL;
    g_autoptr(GError) error = NULL;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    char *data;
    gsize len;

    g_assert_cmpint(vsAtomicFileOpen(&af, dirfd, dir, "vm.xml", &error), ==, 0);
    g_assert_cmpint(vsBulkFileWrite(af, tree, NULL, VS_COMPRESSION_PIECES, reuse, NULL, &error),
                    ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    close(dirfd);
    return g_byte_array_new_take((guint8 *) data, len);
}

/* This writer's file: both readers take it; its frames and table come
 * back as segments that hold exactly their records, and a write reusing
 * them gives the same bytes.  The same frames under a format-2 marker are
 * not reused. */
static void
test_reuse(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(GByteArray) file = writeFile(tree, NULL);
    g_autoptr(vsBulkSegments) segs = NULL;
    g_autoptr(vsTree) loaded = NULL;
    g_autoptr(GByteArray) again = NULL;
    g_autoptr(GError) error = NULL;
    guint8 *marker;

    expectSameTree(tree, file);
    for (int r = VS_BULK_READER_DOM; r <= VS_BULK_READER_FAST; r++) {
        vsBulkReadOptions opts = { .reader = r };

        g_clear_pointer(&segs, vsBulkSegmentsFree);
        g_clear_pointer(&loaded, vsTreeFree);
        g_assert_cmpint(vsBulkFileParse(&loaded, &segs, &vsSnapshotKind, (const char *) file->data,
                                        file->len, "t.xml", &opts, &error), ==, 0);
        g_assert_cmpuint(segs->segments->len, >, 0);
        g_assert_nonnull(segs->pieces);
        g_assert_cmpuint(segs->pieces->packs->len, ==, 1);
        g_assert_cmpint(vsBulkSegmentsVerify(segs, &error), ==, 0);
    }
    again = writeFile(loaded, segs);
    g_assert_cmpmem(again->data, again->len, file->data, file->len);

    marker = memmem(file->data, file->len, VS_BULK_SEGMENT_MARKER_3,
                    strlen(VS_BULK_SEGMENT_MARKER_3));
    marker[strlen(VS_BULK_SEGMENT_MARKER_3) - 1] = '2';
    g_clear_pointer(&segs, vsBulkSegmentsFree);
    g_clear_pointer(&loaded, vsTreeFree);
    g_assert_cmpint(vsBulkFileParse(&loaded, &segs, &vsSnapshotKind, (const char *) file->data,
                                    file->len, "t.xml", NULL, &error), ==, 0);
    g_assert_cmpuint(segs->segments->len, ==, 0);
    g_assert_null(segs->pieces);
}

/* @file's tree and segments, which hold its table. */
static vsBulkSegments *
loadSegments(const GByteArray *file, vsTree **tree)
{
    g_autoptr(GError) error = NULL;
    vsBulkSegments *segs = NULL;

    g_assert_cmpint(vsBulkFileParse(tree, &segs, &vsSnapshotKind, (const char *) file->data,
                                    file->len, "t.xml", NULL, &error), ==, 0);
    g_assert_nonnull(segs->pieces);
    return segs;
}

/* @tree written with the table of @file's load; that file's table's next
 * id in *@next_id.  The file written loads as @tree. */
static GByteArray *
writeAfterLoad(const vsTree *tree, const GByteArray *file, guint32 *next_id)
{
    g_autoptr(vsTree) loaded = NULL;
    g_autoptr(vsBulkSegments) segs = loadSegments(file, &loaded);
    GByteArray *out = writeFile(tree, segs);

    *next_id = segs->pieces->next_id;
    expectSameTree(tree, out);
    return out;
}

/* Ids at the top of their space (a hostile file's): the file loads as its
 * tree with both readers.  A write extends a loaded table only while its
 * next id is under VS_BULK_PIECES_ID_RENEW (past 2^31 if it must), else
 * numbers every definition anew from 0; either way the file loads as the
 * tree written. */
static void
test_ids_near_limit(void)
{
    static const guint more[] = { 0, 0, 1, 0, 1, 2, 3 };
    g_autoptr(vsTree) tree = sampleTree();
    g_autoptr(vsTree) grown = chainTree(more, G_N_ELEMENTS(more));
    g_autoptr(V3) probe = v3FromTree(tree, FALSE);
    guint32 count = probe->next_id - 1;
    /* the next id just under the limit, at it, the ids across 2^31, and
     * the last id the largest there is */
    const guint32 firsts[] = { VS_BULK_PIECES_ID_RENEW - count - 1,
                               VS_BULK_PIECES_ID_RENEW - count, VS_BULK_PIECES_ID_RENEW - 2,
                               G_MAXUINT32 - count + 1 };

    for (guint k = 0; k < G_N_ELEMENTS(firsts); k++) {
        g_autoptr(V3) v = v3FromTreeAt(tree, k % 2, firsts[k]);
        g_autoptr(GByteArray) file = v3Assemble(v, (Layout) { 0 });
        g_autoptr(GByteArray) next = NULL;
        g_autoptr(GByteArray) again = NULL;
        guint64 last = (guint64) firsts[k] + count - 1;
        guint32 loaded_next, written_next, renewed_next;

        g_assert_cmpuint(last, <=, G_MAXUINT32);
        expectSameTree(tree, file);
        next = writeAfterLoad(grown, file, &loaded_next);
        g_assert_cmpuint(loaded_next, ==, MIN(last + 1, G_MAXUINT32));
        again = writeAfterLoad(grown, next, &written_next);
        if (loaded_next < VS_BULK_PIECES_ID_RENEW) {
            /* extended: the new definition's ids went past the limit */
            g_assert_cmpuint(written_next, >, VS_BULK_PIECES_ID_RENEW);
            g_clear_pointer(&next, g_byte_array_unref);
            next = writeAfterLoad(grown, again, &renewed_next);
            g_assert_cmpuint(renewed_next, <, 4 * count);
        } else {
            g_assert_cmpuint(written_next, <, 4 * count);
        }
    }
}

/* A reference past the ids' space is no reference; the largest id, not
 * defined, is a missing definition. */
static void
test_reference_id_range(void)
{
    g_autoptr(vsTree) tree = sampleTree();
    static const struct { const char *id, *message; } refs[] = {
        { "4294967296", "is not written as a reference" },
        { "99999999999", "is not written as a reference" },
        { "4294967295", "names definition 4294967295, which the file does not hold" },
    };

    for (guint k = 0; k < G_N_ELEMENTS(refs); k++) {
        g_autoptr(V3) v = v3FromTree(tree, FALSE);

        rewriteFirstReference(v, "'", refs[k].id, "'/>");
        expectErrorV3(v, (Layout) { 0 }, refs[k].message);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pieces-read/loads", test_loads);
    g_test_add_func("/pieces-read/loads-from-file", test_loads_from_file);
    g_test_add_func("/pieces-read/pack-across-buffer", test_pack_across_buffer);
    g_test_add_func("/pieces-read/pack-truncated", test_pack_truncated);
    g_test_add_func("/pieces-read/pack-bad-tag", test_pack_bad_tag);
    g_test_add_func("/pieces-read/pack-entries", test_pack_entries);
    g_test_add_func("/pieces-read/definition-not-domain", test_definition_not_domain);
    g_test_add_func("/pieces-read/reference-missing", test_reference_missing);
    g_test_add_func("/pieces-read/reference-inexact", test_reference_inexact);
    g_test_add_func("/pieces-read/root-without-format", test_root_without_format);
    g_test_add_func("/pieces-read/root-other-format", test_root_other_format);
    g_test_add_func("/pieces-read/pack-after-records", test_pack_after_records);
    g_test_add_func("/pieces-read/load-limit", test_load_limit);
    g_test_add_func("/pieces-read/reuse", test_reuse);
    g_test_add_func("/pieces-read/ids-near-limit", test_ids_near_limit);
    g_test_add_func("/pieces-read/reference-id-range", test_reference_id_range);
    return g_test_run();
}
