/* test-segments.c — compressed bulk files are framed per run of records,
 * and a write copies the frames of unchanged runs (format.md, "Segments").
 *
 * The oracle everywhere: the decompressed file is exactly the canonical
 * document of the tree.  Reuse is made visible by loading a file whose
 * record frames were recompressed at another zstd level: a copied frame
 * keeps those bytes, a frame made again has this writer's bytes. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "format/bulkfile-private.h"
#include "snapshot/snapshot.h"
#include "testutil.h"

#define UUID_A "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define UUID_B "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"
#define OTHER_LEVEL 19
#define MARKER_MAGIC 0x184D2A56u

typedef struct {
    char *dir;
    int dirfd;
} Dir;

static void
dirOpen(Dir *d)
{
    d->dir = vsTestTempDir();
    d->dirfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(d->dirfd, >=, 0);
}

static void
dirClose(Dir *d)
{
    close(d->dirfd);
    g_free(d->dir);
}

/* N records: mostly a chain, every 10th a branch off an earlier one; one
 * domain in 7 differs (as after a hot-plug); with @domainless, every 5th
 * record has no <domain> (older libvirt), so its file form needs a uuid. */
static GString *
generateDoc(guint n, gboolean domainless)
{
    GString *doc = g_string_new("<snapshots current='s0000'>\n");
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(doc, "<domainsnapshot><name>s%04u</name><state>shutoff</state>", i);
        if (i > 0)
            g_string_append_printf(doc, "<parent><name>s%04u</name></parent>",
                                   i % 10 == 0 ? i / 2 : i - 1);
        g_string_append_printf(doc, "<creationTime>%u</creationTime><memory snapshot='no'/>",
                               1000 + i);
        if (domainless && i % 5 == 4) {
            g_string_append(doc, "<domain><uuid>" UUID_A "</uuid></domain>");
        } else {
            g_string_append(doc, "<domain type='kvm'><name>demo</name><uuid>" UUID_A "</uuid>"
                                 "<memory unit='KiB'>1048576</memory>");
            g_string_append_printf(doc, "<description>hot-plug generation %u</description>",
                                   i / 7);
            for (guint k = 0; k < 20; k++)
                g_string_append_printf(doc, "<devices><disk type='file' device='disk'>"
                                            "<source file='/var/lib/images/d%u.qcow2'/>"
                                            "<target dev='vd%c' bus='virtio'/></disk></devices>",
                                       k, 'a' + k);
            g_string_append(doc, "</domain>");
        }
        g_string_append(doc, "</domainsnapshot>\n");
    }
    g_string_append(doc, "</snapshots>\n");
    return doc;
}

static vsTree *
parseDoc(const GString *doc)
{
    g_autoptr(GError) error = NULL;
    vsTree *tree = NULL;
    g_assert_cmpint(vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "gen.xml", NULL, &error),
                    ==, 0);
    return tree;
}

static char *
formatTree(const vsTree *tree, const char *uuid)
{
    GString *buf = g_string_new(NULL);
    vsBulkFileFormat(buf, tree, uuid);
    return g_string_free(buf, FALSE);
}

/* Writes @tree as vm.xml (compressed) and returns the file's bytes. */
static GBytes *
writeTree(Dir *d, const vsTree *tree, const char *uuid, const vsBulkSegments *reuse,
          vsBulkSegments **segments)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *path = g_build_filename(d->dir, "vm.xml", NULL);
    char *data;
    gsize len;

    g_assert_cmpint(vsAtomicFileOpen(&af, d->dirfd, d->dir, "vm.xml", &error), ==, 0);
    g_assert_cmpint(vsBulkFileWrite(af, tree, uuid, TRUE, reuse, segments, &error), ==, 0);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    data = vsTestReadFile(path, &len);
    return g_bytes_new_take(data, len);
}

static void
putFile(Dir *d, GBytes *bytes)
{
    g_autofree char *path = g_build_filename(d->dir, "vm.xml", NULL);
    g_assert_true(g_file_set_contents(path, g_bytes_get_data(bytes, NULL),
                                      g_bytes_get_size(bytes), NULL));
}

static vsTree *
readTree(Dir *d, vsBulkSegments **segments)
{
    g_autoptr(GError) error = NULL;
    vsTree *tree = NULL;
    g_assert_cmpint(vsBulkFileRead(&tree, segments, &vsSnapshotKind, d->dirfd, d->dir, "vm.xml", NULL, &error),
                    ==, 0);
    return tree;
}

/* The file's frames, each as its own bytes (skippable ones included). */
static GPtrArray *
splitFrames(GBytes *file)
{
    GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    gsize len, off = 0;
    const char *data = g_bytes_get_data(file, &len);

    while (off < len) {
        size_t n = ZSTD_findFrameCompressedSize(data + off, len - off);
        g_assert_false(ZSTD_isError(n));
        g_ptr_array_add(frames, g_bytes_new(data + off, n));
        off += n;
    }
    return frames;
}

static char *
decompressAll(GBytes *file)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    GString *doc = g_string_new(NULL);
    ZSTD_inBuffer in = { NULL, 0, 0 };
    char chunk[64 * 1024];

    in.src = g_bytes_get_data(file, &in.size);
    while (in.pos < in.size) {
        ZSTD_outBuffer out = { chunk, sizeof(chunk), 0 };
        size_t r = ZSTD_decompressStream(dctx, &out, &in);
        g_assert_false(ZSTD_isError(r));
        g_string_append_len(doc, chunk, out.pos);
    }
    for (;;) {   /* flush what is still buffered */
        ZSTD_outBuffer out = { chunk, sizeof(chunk), 0 };
        size_t r = ZSTD_decompressStream(dctx, &out, &in);
        g_assert_false(ZSTD_isError(r));
        g_string_append_len(doc, chunk, out.pos);
        if (out.pos < sizeof(chunk))
            break;
    }
    ZSTD_freeDCtx(dctx);
    return g_string_free(doc, FALSE);
}

static guint32
readLE32(const guint8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
}

static gboolean
isSkippable(GBytes *frame)
{
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    return len >= 8 && (readLE32(p) & 0xFFFFFFF0u) == 0x184D2A50u;
}

/* Each frame's content recompressed at @level (skippable frames kept):
 * the same document, different bytes. */
static GBytes *
recompressFrames(GBytes *file, int level, gboolean keep_marker)
{
    g_autoptr(GPtrArray) frames = splitFrames(file);
    GByteArray *out = g_byte_array_new();

    for (guint i = 0; i < frames->len; i++) {
        GBytes *frame = frames->pdata[i];
        gsize flen;
        const char *fdata = g_bytes_get_data(frame, &flen);
        if (isSkippable(frame)) {
            if (keep_marker)
                g_byte_array_append(out, (const guint8 *) fdata, flen);
            continue;
        }
        g_autofree char *content = g_malloc(ZSTD_getFrameContentSize(fdata, flen) + 1);
        size_t n = ZSTD_decompress(content, ZSTD_getFrameContentSize(fdata, flen), fdata, flen);
        g_assert_false(ZSTD_isError(n));
        g_autofree char *again = g_malloc(ZSTD_compressBound(n));
        size_t m = ZSTD_compress(again, ZSTD_compressBound(n), content, n, level);
        g_assert_false(ZSTD_isError(m));
        g_byte_array_append(out, (const guint8 *) again, m);
    }
    return g_byte_array_free_to_bytes(out);
}

/* How many frames of @file occur, byte for byte, among @known's. */
static guint
countSharedFrames(GBytes *file, GBytes *known)
{
    g_autoptr(GPtrArray) a = splitFrames(file);
    g_autoptr(GPtrArray) b = splitFrames(known);
    guint shared = 0;

    for (guint i = 0; i < a->len; i++) {
        if (isSkippable(a->pdata[i]))
            continue;
        for (guint j = 0; j < b->len; j++) {
            if (g_bytes_equal(a->pdata[i], b->pdata[j])) {
                shared++;
                break;
            }
        }
    }
    return shared;
}

static guint
countDataFrames(GBytes *file)
{
    g_autoptr(GPtrArray) frames = splitFrames(file);
    guint n = 0;
    for (guint i = 0; i < frames->len; i++)
        n += !isSkippable(frames->pdata[i]);
    return n;
}

static void
assertDocument(GBytes *file, const vsTree *tree, const char *uuid)
{
    g_autofree char *doc = decompressAll(file);
    g_autofree char *expect = formatTree(tree, uuid);
    g_assert_cmpstr(doc, ==, expect);
}

static void
test_layout(void)
{
    g_autoptr(GString) doc = generateDoc(600, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) file = NULL;
    g_autoptr(GPtrArray) frames = NULL;
    Dir d;

    dirOpen(&d);
    file = writeTree(&d, tree, NULL, NULL, NULL);
    assertDocument(file, tree, NULL);
    frames = splitFrames(file);
    /* Header, marker, runs (600 records, at most 96 each), trailer. */
    g_assert_cmpuint(frames->len, >=, 3 + 600 / 96 + 1);
    g_assert_false(isSkippable(frames->pdata[0]));
    g_assert_true(isSkippable(frames->pdata[1]));
    {
        gsize flen;
        const guint8 *p = g_bytes_get_data(frames->pdata[1], &flen);
        g_assert_cmpuint(readLE32(p), ==, MARKER_MAGIC);
        g_assert_cmpuint(readLE32(p + 4), ==, flen - 8);
        g_assert_cmpmem(p + 8, flen - 8, "virtsnap-segments 2", 19);
    }
    for (guint i = 2; i < frames->len; i++)
        g_assert_false(isSkippable(frames->pdata[i]));
    /* Same tree, same bytes. */
    {
        g_autoptr(GBytes) again = writeTree(&d, tree, NULL, NULL, NULL);
        g_assert_true(g_bytes_equal(file, again));
    }
    dirClose(&d);
}

static void
test_reuse_after_load(void)
{
    g_autoptr(GString) doc = generateDoc(600, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) ours = NULL, other = NULL;
    g_autoptr(vsBulkSegments) segs = NULL;
    g_autoptr(vsTree) loaded = NULL;
    guint data_frames;
    Dir d;

    dirOpen(&d);
    ours = writeTree(&d, tree, NULL, NULL, NULL);
    other = recompressFrames(ours, OTHER_LEVEL, TRUE);
    g_assert_false(g_bytes_equal(ours, other));
    data_frames = countDataFrames(other);
    putFile(&d, other);
    loaded = readTree(&d, &segs);
    g_assert_cmpint(vsBulkSegmentsVerify(segs, NULL), ==, 0);

    /* Set current: only the header frame is new. */
    {
        g_autoptr(vsTree) next = vsTreeCopy(loaded);
        g_autoptr(vsBulkSegments) after = NULL;
        g_autoptr(GBytes) file = NULL;
        g_assert_cmpint(vsTreeSetCurrent(next, "s0300", NULL), ==, 0);
        file = writeTree(&d, next, NULL, segs, &after);
        assertDocument(file, next, NULL);
        /* Every record frame copied; header and trailer made here. */
        g_assert_cmpuint(countSharedFrames(file, other), ==, data_frames - 2);

        /* Delete one record in the middle (its child is re-parented): only
         * the runs holding those two records are made again. */
        g_autoptr(vsTree) next2 = vsTreeCopy(next);
        g_autoptr(GBytes) file2 = NULL;
        g_assert_cmpint(vsTreeDelete(next2, "s0301", 0, NULL), ==, 0);
        file2 = writeTree(&d, next2, NULL, after, NULL);
        assertDocument(file2, next2, NULL);
        g_assert_cmpuint(countSharedFrames(file2, other), >=, data_frames - 2 - 2);
        g_assert_cmpuint(countSharedFrames(file2, other), <, data_frames - 2);
    }
    dirClose(&d);
}

static void
test_no_reuse_without_marker(void)
{
    g_autoptr(GString) doc = generateDoc(300, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) ours = NULL, other = NULL, file = NULL;
    g_autoptr(vsBulkSegments) segs = NULL;
    g_autoptr(vsTree) loaded = NULL;
    Dir d;

    dirOpen(&d);
    ours = writeTree(&d, tree, NULL, NULL, NULL);
    /* Same frames, but nothing says this writer framed them. */
    other = recompressFrames(ours, OTHER_LEVEL, FALSE);
    putFile(&d, other);
    loaded = readTree(&d, &segs);
    file = writeTree(&d, loaded, NULL, segs, NULL);
    assertDocument(file, loaded, NULL);
    g_assert_cmpuint(countSharedFrames(file, other), ==, 0);
    g_assert_true(g_bytes_equal(file, ours));
    dirClose(&d);
}

/* A file cut into frames anywhere (other writers, `zstd` by hand, a frame
 * that starts or ends inside a record) loads, and nothing of it is reused
 * even with the marker. */
static void
test_misaligned_frames_not_reused(void)
{
    g_autoptr(GString) doc = generateDoc(200, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autofree char *canon = formatTree(tree, NULL);
    gsize len = strlen(canon);
    static const gsize cuts[] = { 7919, 1, 100000 };
    Dir d;

    dirOpen(&d);
    for (guint c = 0; c < G_N_ELEMENTS(cuts); c++) {
        GByteArray *raw = g_byte_array_new();
        g_autoptr(GBytes) input = NULL, file = NULL, fresh = NULL;
        g_autoptr(vsBulkSegments) segs = NULL;
        g_autoptr(vsTree) loaded = NULL;
        guint32 head[2] = { GUINT32_TO_LE(MARKER_MAGIC), GUINT32_TO_LE(19) };
        gsize step = cuts[c] == 1 ? len / 3 + 1 : cuts[c];

        for (gsize off = 0; off < len; off += step) {
            gsize n = MIN(step, len - off);
            g_autofree char *frame = g_malloc(ZSTD_compressBound(n));
            size_t m = ZSTD_compress(frame, ZSTD_compressBound(n), canon + off, n, OTHER_LEVEL);
            g_byte_array_append(raw, (const guint8 *) frame, m);
            if (off == 0) {
                g_byte_array_append(raw, (const guint8 *) head, sizeof(head));
                g_byte_array_append(raw, (const guint8 *) "virtsnap-segments 2", 19);
            }
        }
        input = g_byte_array_free_to_bytes(raw);
        putFile(&d, input);
        loaded = readTree(&d, &segs);
        g_assert_cmpuint(vsTreeCount(loaded), ==, 200);
        file = writeTree(&d, loaded, NULL, segs, NULL);
        assertDocument(file, loaded, NULL);
        g_assert_cmpuint(countSharedFrames(file, input), ==, 0);
        fresh = writeTree(&d, loaded, NULL, NULL, NULL);
        g_assert_true(g_bytes_equal(file, fresh));
    }
    dirClose(&d);
}

/* A record without <domain> is written with the VM's uuid: its frame may
 * only be copied while the uuid is the same. */
static void
test_uuid_sensitive_runs(void)
{
    g_autoptr(GString) doc = generateDoc(300, TRUE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(vsBulkSegments) segs = NULL;
    g_autoptr(GBytes) a = NULL, b = NULL, a2 = NULL;
    Dir d;

    dirOpen(&d);
    a = writeTree(&d, tree, UUID_A, NULL, &segs);
    assertDocument(a, tree, UUID_A);
    a2 = writeTree(&d, tree, UUID_A, segs, NULL);
    g_assert_true(g_bytes_equal(a, a2));
    b = writeTree(&d, tree, UUID_B, segs, NULL);
    assertDocument(b, tree, UUID_B);
    {
        /* The 60 records without a <domain> now carry the new uuid. */
        g_autofree char *text = decompressAll(b);
        guint count = 0;
        for (const char *p = text; (p = strstr(p, UUID_B)); p++)
            count++;
        g_assert_cmpuint(count, ==, 60);
    }
    /* After a load the uuid those records were written with is unknown:
     * their runs are never copied from the file. */
    {
        g_autoptr(GBytes) other = recompressFrames(a, OTHER_LEVEL, TRUE);
        g_autoptr(vsBulkSegments) loaded_segs = NULL;
        g_autoptr(vsTree) loaded = NULL;
        g_autoptr(GBytes) c = NULL;
        putFile(&d, other);
        loaded = readTree(&d, &loaded_segs);
        c = writeTree(&d, loaded, UUID_B, loaded_segs, NULL);
        assertDocument(c, loaded, UUID_B);
    }
    dirClose(&d);
}

/* Our file with its header frame's content replaced by @header and each
 * record frame's content passed through @convert (NULL: kept), every frame
 * recompressed at OTHER_LEVEL, marker kept. */
static GBytes *
rewriteFrames(GBytes *file, const char *header, char *(*convert)(const char *, gsize, gsize *))
{
    g_autoptr(GPtrArray) frames = splitFrames(file);
    GByteArray *out = g_byte_array_new();

    for (guint i = 0; i < frames->len; i++) {
        gsize flen, n;
        const char *fdata = g_bytes_get_data(frames->pdata[i], &flen);
        g_autofree char *content = NULL;
        g_autofree char *packed = NULL;
        size_t m;

        if (isSkippable(frames->pdata[i])) {
            g_byte_array_append(out, (const guint8 *) fdata, flen);
            continue;
        }
        n = ZSTD_getFrameContentSize(fdata, flen);
        content = g_malloc(n + 1);
        g_assert_cmpuint(ZSTD_decompress(content, n, fdata, flen), ==, n);
        content[n] = '\0';
        if (i == 0) {
            g_free(content);
            content = g_strdup(header);
            n = strlen(header);
        } else if (convert && i + 1 < frames->len) {
            char *converted = convert(content, n, &n);
            g_free(content);
            content = converted;
        }
        packed = g_malloc(ZSTD_compressBound(n));
        m = ZSTD_compress(packed, ZSTD_compressBound(n), content, n, OTHER_LEVEL);
        g_assert_false(ZSTD_isError(m));
        g_byte_array_append(out, (const guint8 *) packed, m);
    }
    return g_byte_array_free_to_bytes(out);
}

static char *
toLatin1(const char *utf8, gsize len, gsize *out_len)
{
    char *latin1 = g_convert(utf8, len, "ISO-8859-1", "UTF-8", NULL, out_len, NULL);
    g_assert_nonnull(latin1);
    return latin1;
}

/* Issue 11 item 4: frames are copied only under a header frame that is
 * byte for byte what this writer writes.  A declaration there changes what
 * the record bytes mean (an encoding; a namespace, now refused at load).
 * Such a file loads, and its next write makes every frame anew, in UTF-8
 * and without the declaration. */
static void
test_foreign_header_not_reused(void)
{
    g_autoptr(GString) doc = generateDoc(300, FALSE);
    g_autoptr(vsTree) tree = NULL;
    g_autoptr(GBytes) ours = NULL;
    g_autofree char *canon = NULL;
    g_autofree char *header = NULL;
    static const char *const prefixes[] = {
        "<?xml version='1.0' encoding='ISO-8859-1'?>\n",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!-- written by hand -->\n",
    };
    Dir d;

    {
        g_auto(GStrv) parts = g_strsplit(doc->str, "hot-plug generation", -1);
        g_autofree char *accented = g_strjoinv("hot-plug g\xc3\xa9n\xc3\xa9ration", parts);
        g_string_assign(doc, accented);
    }
    tree = parseDoc(doc);
    canon = formatTree(tree, NULL);
    header = g_strndup(canon, strstr(canon, "  <domainsnapshot>") - canon);
    dirOpen(&d);
    ours = writeTree(&d, tree, NULL, NULL, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        g_autofree char *foreign = g_strconcat(prefixes[i], header, NULL);
        g_autoptr(GBytes) input = rewriteFrames(ours, foreign, i == 0 ? toLatin1 : NULL);
        g_autoptr(vsBulkSegments) segs = NULL;
        g_autoptr(vsTree) loaded = NULL, next = NULL;
        g_autoptr(GBytes) file = NULL;
        g_autofree char *loaded_doc = NULL;

        putFile(&d, input);
        loaded = readTree(&d, &segs);
        loaded_doc = formatTree(loaded, NULL);
        g_assert_cmpstr(loaded_doc, ==, canon);
        next = vsTreeCopy(loaded);
        g_assert_cmpint(vsTreeSetCurrent(next, "s0200", NULL), ==, 0);
        file = writeTree(&d, next, NULL, segs, NULL);
        assertDocument(file, next, NULL);
        g_assert_cmpuint(countSharedFrames(file, input), ==, 0);
    }
    /* A namespace declared in the header frame (the report's file had a
     * record using it: copied under our header, its prefix was undeclared)
     * is refused at load. */
    {
        g_autofree char *ns_header = NULL;
        g_autoptr(GBytes) input = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(vsTree) loaded = NULL;
        g_auto(GStrv) parts = g_strsplit(header, "<snapshots", 2);

        ns_header = g_strconcat(parts[0], "<snapshots xmlns:app='urn:x'", parts[1], NULL);
        input = rewriteFrames(ours, ns_header, NULL);
        putFile(&d, input);
        g_assert_cmpint(vsBulkFileRead(&loaded, NULL, &vsSnapshotKind, d.dirfd, d.dir, "vm.xml", NULL, &error),
                        <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
        g_assert_nonnull(strstr(error->message,
                                "namespace declaration 'xmlns:app' on <snapshots> is not allowed"));
    }
    dirClose(&d);
}

/* A long random sequence of operations, each written reusing the previous
 * write's frames, always gives exactly the canonical document. */
static void
test_random_operations(void)
{
    g_autoptr(GString) doc = generateDoc(400, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(vsBulkSegments) segs = NULL;
    GRand *rand = g_rand_new_with_seed(7);
    guint created = 0;
    Dir d;

    dirOpen(&d);
    for (guint step = 0; step < 120 && vsTreeCount(tree) > 0; step++) {
        g_autoptr(vsTree) next = vsTreeCopy(tree);
        g_autoptr(GPtrArray) all = NULL;
        g_autoptr(vsBulkSegments) after = NULL;
        g_autoptr(GBytes) file = NULL;
        const vsSnapshot *pick;
        int op = g_rand_int_range(rand, 0, 4);

        g_assert_cmpint(vsTreeList(&all, next, NULL, 0, NULL), ==, 0);
        pick = all->pdata[g_rand_int_range(rand, 0, all->len)];
        if (op == 0) {
            g_assert_cmpint(vsTreeSetCurrent(next, vsMomentGetName(pick), NULL), ==, 0);
        } else if (op == 1) {
            g_assert_cmpint(vsTreeDelete(next, vsMomentGetName(pick),
                                         g_rand_boolean(rand) ? VS_SNAPSHOT_DELETE_CHILDREN : 0,
                                         NULL), ==, 0);
        } else {
            g_autofree char *xml = g_strdup_printf(
                "<domainsnapshot><name>new%u</name><state>shutoff</state>"
                "<parent><name>%s</name></parent><creationTime>%u</creationTime>"
                "<domain type='kvm'><name>demo</name><uuid>" UUID_A "</uuid></domain>"
                "</domainsnapshot>", created++, vsMomentGetName(pick),
                g_rand_int_range(rand, 900, 1500));
            g_autoptr(vsSnapshot) snap = NULL;
            g_assert_cmpint(vsSnapshotParse(&snap, xml, strlen(xml),
                                            VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, NULL), ==, 0);
            g_assert_cmpint(vsTreeRedefine(next, snap, NULL), ==, 0);
        }
        if (vsTreeCount(next) == 0)
            break;
        file = writeTree(&d, next, NULL, segs, &after);
        assertDocument(file, next, NULL);
        vsBulkSegmentsFree(segs);
        segs = g_steal_pointer(&after);
        vsTreeFree(tree);
        tree = g_steal_pointer(&next);
    }
    g_rand_free(rand);
    dirClose(&d);
}

/* A write hands its zstd contexts and buffers to the next write of the
 * same chain of caches (a fresh compression context per commit cost more
 * than the compression); the bytes stay those of a write without them. */
static void
test_scratch_kept(void)
{
    g_autoptr(GString) doc = generateDoc(200, FALSE);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) fresh = NULL, again = NULL, third = NULL;
    vsBulkSegments *first = NULL, *second = NULL, *last = NULL;
    vsBulkScratch *scratch;
    Dir d;

    dirOpen(&d);
    fresh = writeTree(&d, tree, NULL, NULL, &first);
    scratch = first->scratch;
    g_assert_nonnull(scratch);
    again = writeTree(&d, tree, NULL, first, &second);
    g_assert_true(second->scratch == scratch);
    g_assert_true(g_bytes_equal(fresh, again));
    /* The earlier cache goes (a commit adopts the new one): still kept. */
    vsBulkSegmentsFree(first);
    third = writeTree(&d, tree, NULL, second, &last);
    g_assert_true(last->scratch == scratch);
    g_assert_true(g_bytes_equal(fresh, third));
    vsBulkSegmentsFree(second);
    vsBulkSegmentsFree(last);
    dirClose(&d);
}

/* @n records whose <domain>s weigh ~1.25 MiB each (a run of them passes
 * LDM_MIN_INPUT), each a little different from the one before. */
static GString *
generateBigDoc(guint n)
{
    GString *doc = g_string_new("<snapshots current='b0'>\n");

    for (guint i = 0; i < n; i++) {
        g_string_append_printf(doc, "<domainsnapshot><name>b%u</name><state>shutoff</state>", i);
        if (i > 0)
            g_string_append_printf(doc, "<parent><name>b%u</name></parent>", i - 1);
        g_string_append_printf(doc, "<creationTime>%u</creationTime><memory snapshot='no'/>"
                                    "<domain type='kvm'><name>big</name><uuid>" UUID_A "</uuid>"
                                    "<devices>", 1000 + i);
        for (guint k = 0; k < 12000; k++)
            g_string_append_printf(doc, "<interface type='network'><mac address='52:54:00:"
                                        "%02x:%02x:%02x'/><source network='n%u'/></interface>",
                                   k >> 8 & 0xff, k & 0xff, k % 7 == 0 ? i : 0, k);
        g_string_append(doc, "</devices></domain></domainsnapshot>\n");
    }
    g_string_append(doc, "</snapshots>\n");
    return doc;
}

/* A run of big domains leaves its buffers in the scratch for the next
 * commit (up to SCRATCH_KEEP_MAX each), instead of freeing them for the
 * next commit to map and fault again. */
static void
test_scratch_keeps_big_run(void)
{
    g_autoptr(GString) doc = generateBigDoc(8);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) file = NULL, again = NULL;
    vsBulkSegments *first = NULL, *second = NULL;
    Dir d;

    dirOpen(&d);
    file = writeTree(&d, tree, NULL, NULL, &first);
    g_assert_cmpuint(vsBulkScratchHeld(first->scratch), >=, (gsize) 8 << 20);
    again = writeTree(&d, tree, NULL, first, &second);
    g_assert_true(second->scratch == first->scratch);
    g_assert_true(g_bytes_equal(file, again));
    vsBulkSegmentsFree(first);
    vsBulkSegmentsFree(second);
    dirClose(&d);
}

/* @file with its big frames (LDM_MIN_INPUT and more) compressed as the
 * writer did before runs of big domains had their own window: level 3,
 * an 8 MiB window, long-distance matching. */
static GBytes *
recompressBigFramesAsBefore(GBytes *file)
{
    g_autoptr(GPtrArray) frames = splitFrames(file);
    GByteArray *out = g_byte_array_new();
    ZSTD_CCtx *cctx = ZSTD_createCCtx();

    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 23);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    for (guint i = 0; i < frames->len; i++) {
        gsize flen;
        const char *fdata = g_bytes_get_data(frames->pdata[i], &flen);
        unsigned long long size = isSkippable(frames->pdata[i]) ? 0 :
                                  ZSTD_getFrameContentSize(fdata, flen);
        g_autofree char *content = NULL, *again = NULL;
        size_t m;

        if (size < LDM_MIN_INPUT) {
            g_byte_array_append(out, (const guint8 *) fdata, flen);
            continue;
        }
        content = g_malloc(size);
        g_assert_cmpuint(ZSTD_decompress(content, size, fdata, flen), ==, size);
        again = g_malloc(ZSTD_compressBound(size));
        m = ZSTD_compress2(cctx, again, ZSTD_compressBound(size), content, size);
        g_assert_false(ZSTD_isError(m));
        g_byte_array_append(out, (const guint8 *) again, m);
    }
    ZSTD_freeCCtx(cctx);
    return g_byte_array_free_to_bytes(out);
}

/* Whether a streaming reader whose window is at most 2^@window_log bytes
 * decompresses @frame. */
static gboolean
streamsWithin(GBytes *frame, int window_log)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { NULL, 0, 0 };
    g_autofree char *chunk = g_malloc(1 << 20);
    gboolean ok = TRUE;

    ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, window_log);
    in.src = g_bytes_get_data(frame, &in.size);
    for (size_t left = 1; ok && left != 0;) {
        ZSTD_outBuffer out = { chunk, 1 << 20, 0 };

        left = ZSTD_decompressStream(dctx, &out, &in);
        ok = !ZSTD_isError(left);
    }
    ZSTD_freeDCtx(dctx);
    return ok;
}

/* A run of big domains is one frame whose window holds all of it (so each
 * domain finds its closest copy in the run); small frames keep the 8 MiB
 * window.  A file of the earlier 8 MiB frames still loads, and its frames
 * are copied as they are (same runs: nothing is formed again). */
static void
test_big_runs_window(void)
{
    g_autoptr(GString) doc = generateBigDoc(8);
    g_autoptr(vsTree) tree = parseDoc(doc);
    g_autoptr(GBytes) file = NULL, before = NULL, again = NULL;
    g_autoptr(GPtrArray) frames = NULL;
    g_autoptr(vsTree) loaded = NULL;
    g_autofree char *want = formatTree(tree, NULL);
    g_autofree char *got = NULL;
    vsBulkSegments *segs = NULL, *reread = NULL, *last = NULL;
    guint big = 0;
    Dir d;

    dirOpen(&d);
    file = writeTree(&d, tree, NULL, NULL, &segs);
    frames = splitFrames(file);
    for (guint i = 0; i < frames->len; i++) {
        gsize flen;
        const char *fdata = g_bytes_get_data(frames->pdata[i], &flen);

        if (isSkippable(frames->pdata[i]))
            continue;
        /* a window of 8 MiB streams every frame of a run under 8 MiB and
         * none of a bigger one; 32 MiB streams all of them */
        g_assert_true(streamsWithin(frames->pdata[i], 25));
        if (ZSTD_getFrameContentSize(fdata, flen) > ((guint64) 8 << 20)) {
            big++;
            g_assert_false(streamsWithin(frames->pdata[i], 23));
        } else {
            g_assert_true(streamsWithin(frames->pdata[i], 23));
        }
    }
    g_assert_cmpuint(big, >=, 1);

    before = recompressBigFramesAsBefore(file);
    g_assert_false(g_bytes_equal(before, file));
    putFile(&d, before);
    loaded = readTree(&d, &reread);
    got = formatTree(loaded, NULL);
    g_assert_cmpstr(got, ==, want);
    again = writeTree(&d, loaded, NULL, reread, &last);
    g_assert_cmpuint(countSharedFrames(again, before), ==, countDataFrames(before));

    vsBulkSegmentsFree(segs);
    vsBulkSegmentsFree(reread);
    vsBulkSegmentsFree(last);
    dirClose(&d);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/segments/layout", test_layout);
    g_test_add_func("/segments/reuse-after-load", test_reuse_after_load);
    g_test_add_func("/segments/no-reuse-without-marker", test_no_reuse_without_marker);
    g_test_add_func("/segments/misaligned-frames", test_misaligned_frames_not_reused);
    g_test_add_func("/segments/uuid-sensitive-runs", test_uuid_sensitive_runs);
    g_test_add_func("/segments/random-operations", test_random_operations);
    g_test_add_func("/segments/foreign-header-not-reused", test_foreign_header_not_reused);
    g_test_add_func("/segments/scratch-kept", test_scratch_kept);
    g_test_add_func("/segments/scratch-keeps-big-run", test_scratch_keeps_big_run);
    g_test_add_func("/segments/big-runs-window", test_big_runs_window);
    return g_test_run();
}
