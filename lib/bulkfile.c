/* bulkfile.c — the <snapshots current='…'> document of one VM.
 *
 * Reading streams the file through xmlTextReader and expands one
 * <domainsnapshot> at a time, so peak memory is one record's DOM plus the
 * tree, never a DOM of the whole file.  Compressed files are recognised by
 * the zstd magic number, never by name, and decompressed on the fly. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/xmlreader.h>
#include <zstd.h>

#include "bulkfile.h"
#include "domaindedup.h"
#include "error.h"
#include "snapshot.h"

/* Our own words: the file is generated and replaced as a whole. */
#define BULK_HEADER \
    "<!--\n" \
    "virtsnap snapshot metadata: every snapshot of one VM, in one file.\n" \
    "Generated and replaced atomically by virtsnap; edit snapshots with\n" \
    "'virtsnap snapshot-edit', not by hand.\n" \
    "-->\n"

/* zstd window for new files: 8 MiB is enough for a 4 MiB <domain> to find
 * the previous snapshot's copy (a parent is written just before its first
 * child), and bounds what a reader must hold.  Readers accept windows up to
 * 128 MiB so files from other writers still load, never more. */
#define BULK_ZSTD_WINDOW_LOG 23
#define BULK_ZSTD_WINDOW_LOG_MAX 27
#define BULK_ZSTD_LEVEL 3

static const unsigned char zstd_magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };

/* ---------------------------------------------------------------- */
/* Input: plain bytes or a zstd stream, from memory or a descriptor. */

typedef struct {
    int fd;                   /* -1 when reading from memory */
    const char *mem;
    gsize mem_len, mem_pos;
    gboolean compressed;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    char *inbuf;
    gsize inbuf_size;
    gboolean src_eof;
    gboolean zstd_frame_open; /* a frame has started and not ended */
    guint64 produced;         /* document bytes handed to libxml2 */
    guint64 max_bytes;
    int err;                  /* errno of a failed read */
    char *zstd_error;
    gboolean too_large;
} BulkInput;

/* Raw bytes from the source (file or memory). */
static gssize
inputReadRaw(BulkInput *in, char *buf, gsize len)
{
    if (in->fd < 0) {
        gsize n = MIN(len, in->mem_len - in->mem_pos);
        memcpy(buf, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return n;
    }
    for (;;) {
        ssize_t n = read(in->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            in->err = errno;
        return n;
    }
}

/* The document's bytes: the file's, or zstd-decompressed. */
static gssize
inputReadDocument(gpointer opaque, char *buf, gsize len)
{
    BulkInput *in = opaque;
    gssize n;

    if (!in->compressed) {
        n = inputReadRaw(in, buf, len);
    } else {
        ZSTD_outBuffer out = { buf, (size_t) len, 0 };
        while (out.pos == 0) {
            if (in->in.pos == in->in.size && !in->src_eof) {
                gssize got = inputReadRaw(in, in->inbuf, in->inbuf_size);
                if (got < 0)
                    return -1;
                if (got == 0)
                    in->src_eof = TRUE;
                in->in.src = in->inbuf;
                in->in.size = got;
                in->in.pos = 0;
            }
            if (in->in.pos == in->in.size && in->src_eof)
                break;
            size_t r = ZSTD_decompressStream(in->dctx, &out, &in->in);
            if (ZSTD_isError(r)) {
                in->zstd_error = g_strdup(ZSTD_getErrorName(r));
                return -1;
            }
            in->zstd_frame_open = (r != 0);
        }
        if (out.pos == 0 && in->zstd_frame_open) {
            in->zstd_error = g_strdup("compressed data is truncated");
            return -1;
        }
        n = out.pos;
    }
    if (n > 0) {
        in->produced += n;
        if (in->produced > in->max_bytes) {
            in->too_large = TRUE;
            return -1;
        }
    }
    return n;
}

static int
inputReadCallback(void *opaque, char *buf, int len)
{
    return (int) vsDomainDedupRead(opaque, buf, len);
}

static void
inputClear(BulkInput *in)
{
    if (in->dctx)
        ZSTD_freeDCtx(in->dctx);
    g_free(in->inbuf);
    g_free(in->zstd_error);
}

/* Peeks the first 4 bytes to choose plain or zstd; keeps them for libxml2. */
static int
inputStart(BulkInput *in, const char *label, GError **error)
{
    unsigned char head[4];
    gsize have = 0;

    if (in->fd < 0) {
        have = MIN(4, in->mem_len);
        memcpy(head, in->mem, have);
    } else {
        while (have < 4) {
            gssize n = inputReadRaw(in, (char *) head + have, 4 - have);
            if (n < 0)
                return vsErrErrno(error, in->err, "%s: cannot read", label);
            if (n == 0)
                break;
            have += n;
        }
        if (lseek(in->fd, 0, SEEK_SET) < 0)
            return vsErrErrno(error, errno, "%s: cannot seek", label);
    }
    if (have == 4 && memcmp(head, zstd_magic, 4) == 0) {
        in->compressed = TRUE;
        in->dctx = ZSTD_createDCtx();
        ZSTD_DCtx_setParameter(in->dctx, ZSTD_d_windowLogMax, BULK_ZSTD_WINDOW_LOG_MAX);
        in->inbuf_size = ZSTD_DStreamInSize();
        in->inbuf = g_malloc(in->inbuf_size);
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* Parsing                                                            */

typedef struct {
    char *message;  /* first libxml2 error */
    int line;
} ReaderErrors;

static void
readerErrorHandler(void *data, const xmlError *err)
{
    ReaderErrors *errs = data;
    if (errs->message || err->level < XML_ERR_ERROR)
        return;
    errs->message = g_strchomp(g_strdup(err->message ? err->message : "XML error"));
    errs->line = err->line;
}

static int
corrupt(GError **error, const char *label, int line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int
corrupt(GError **error, const char *label, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line > 0)
        return vsErr(error, VS_ERROR_CORRUPT, "%s:%d: %s", label, line, msg);
    return vsErr(error, VS_ERROR_CORRUPT, "%s: %s", label, msg);
}

/* Explains why the reader stopped: our input layer or libxml2. */
static int
readerFailure(GError **error, const char *label, BulkInput *in,
              ReaderErrors *errs, xmlTextReaderPtr reader)
{
    if (in->too_large)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s: document is larger than the limit of %" G_GUINT64_FORMAT " bytes",
                     label, in->max_bytes);
    if (in->err)
        return vsErrErrno(error, in->err, "%s: cannot read", label);
    if (in->zstd_error)
        return corrupt(error, label, 0, "zstd: %s", in->zstd_error);
    if (errs->message)
        return corrupt(error, label, errs->line, "%s", errs->message);
    return corrupt(error, label, xmlTextReaderGetParserLineNumber(reader),
                   "unreadable XML");
}

/* Snapshots of one VM mostly embed the same <domain>: keep one copy of
 * each distinct definition, so memory grows with unique domain bytes. */
static void
internDomain(GHashTable *domains, vsSnapshot *snap)
{
    vsXmlSubtree *domain = vsSnapshotGetDomain(snap);
    vsXmlSubtree *known;

    if (!domain)
        return;
    known = g_hash_table_lookup(domains, domain);
    if (known)
        vsSnapshotSetDomain(snap, known);
    else
        g_hash_table_add(domains, vsXmlSubtreeRef(domain));
}

/* Expands the <domainsnapshot> under the reader and adds it, unlinked. */
static int
bulkParseRecord(vsTree *tree, GHashTable *domains, vsDomainDedup *dedup,
                xmlTextReaderPtr reader, const char *label, int line, BulkInput *in,
                ReaderErrors *errs, GError **error)
{
    g_autoptr(vsSnapshot) snap = NULL;
    g_autoptr(GError) perr = NULL;
    xmlNodePtr node = xmlTextReaderExpand(reader);
    vsXmlSubtree *repeated = NULL;
    int def_index;

    if (!node)
        return readerFailure(error, label, in, errs, reader);
    /* The parser reads ahead; the element knows where it starts. */
    if (xmlGetLineNo(node) > 0)
        line = xmlGetLineNo(node);
    if (vsDomainDedupPrepareRecord(dedup, node, &def_index, &repeated, &perr) < 0 ||
        vsSnapshotParseNode(&snap, node, VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, &perr) < 0) {
        g_set_error(error, VS_ERROR,
                    perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE : VS_ERROR_CORRUPT,
                    "%s:%d: %s", label, line, perr->message);
        return -1;
    }
    if (repeated)
        vsSnapshotSetDomain(snap, repeated);   /* already shared */
    else
        internDomain(domains, snap);
    if (def_index >= 0)
        vsDomainDedupRegister(dedup, def_index, vsSnapshotGetDomain(snap));
    if (vsTreeAddUnlinked(tree, snap, &perr) < 0)
        return corrupt(error, label, line, "%s", perr->message);
    return 0;
}

static int
bulkParse(vsTree **out, BulkInput *in, const char *label, GError **error)
{
    g_autoptr(vsTree) tree = vsTreeNew();
    g_autofree char *current = NULL;
    g_autoptr(GHashTable) domains = g_hash_table_new_full(
        (GHashFunc) vsXmlSubtreeHash, (GEqualFunc) vsXmlSubtreeEqual,
        (GDestroyNotify) vsXmlSubtreeUnref, NULL);
    ReaderErrors errs = { 0 };
    g_autoptr(vsDomainDedup) dedup = NULL;
    xmlTextReaderPtr reader = NULL;
    gboolean seen_root = FALSE, root_closed = FALSE;
    int ret = -1;
    int r;

    if (inputStart(in, label, error) < 0)
        return -1;

    dedup = vsDomainDedupNew(inputReadDocument, in);
    reader = xmlReaderForIO(inputReadCallback, NULL, dedup, label, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!reader) {
        vsErr(error, VS_ERROR_FAILED, "%s: cannot create XML reader", label);
        goto cleanup;
    }
    xmlTextReaderSetStructuredErrorHandler(reader, (xmlStructuredErrorFunc) readerErrorHandler,
                                           &errs);

    r = xmlTextReaderRead(reader);
    while (r == 1) {
        int type = xmlTextReaderNodeType(reader);
        int depth = xmlTextReaderDepth(reader);
        const char *name = (const char *) xmlTextReaderConstName(reader);
        int line = xmlTextReaderGetParserLineNumber(reader);

        if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
            if (strcmp(name, "snapshots") != 0) {
                corrupt(error, label, line,
                        "unexpected root element <%s>, expecting <snapshots>", name);
                goto cleanup;
            }
            seen_root = TRUE;
            current = (char *) xmlTextReaderGetAttribute(reader, BAD_CAST "current");
            if (xmlTextReaderIsEmptyElement(reader))
                root_closed = TRUE;
        } else if (type == XML_READER_TYPE_END_ELEMENT && depth == 0) {
            root_closed = TRUE;
        } else if (type == XML_READER_TYPE_ELEMENT && depth == 1 &&
                   strcmp(name, "domainsnapshot") == 0) {
            if (bulkParseRecord(tree, domains, dedup, reader, label, line, in, &errs,
                                error) < 0)
                goto cleanup;
            /* Skip past the expanded record; the reader frees it as it goes. */
            r = xmlTextReaderNext(reader);
            continue;
        } else if (type == XML_READER_TYPE_ELEMENT) {
            corrupt(error, label, line, "unexpected element <%s> in <snapshots>", name);
            goto cleanup;
        } else if (type == XML_READER_TYPE_DOCUMENT_TYPE ||
                   type == XML_READER_TYPE_ENTITY_REFERENCE) {
            /* We never write them; refusing them keeps entities out entirely. */
            corrupt(error, label, line, "document type declarations and entities are not allowed");
            goto cleanup;
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
            corrupt(error, label, line, "unexpected text in <snapshots>");
            goto cleanup;
        }
        r = xmlTextReaderRead(reader);
    }
    if (r < 0 || errs.message || in->too_large || in->err || in->zstd_error) {
        readerFailure(error, label, in, &errs, reader);
        goto cleanup;
    }
    if (!seen_root) {
        corrupt(error, label, 0, "no <snapshots> document (empty or truncated file)");
        goto cleanup;
    }
    if (!root_closed) {
        corrupt(error, label, xmlTextReaderGetParserLineNumber(reader),
                "truncated document: <snapshots> is not closed");
        goto cleanup;
    }
    {
        g_autoptr(GError) lerr = NULL;
        if (vsTreeLinkAll(tree, &lerr) < 0) {
            corrupt(error, label, 0, "%s", lerr->message);
            goto cleanup;
        }
    }
    if (current) {
        if (!vsTreeLookup(tree, current)) {
            corrupt(error, label, 0, "no snapshot matching current='%s'", current);
            goto cleanup;
        }
        if (vsTreeSetCurrent(tree, current, error) < 0)
            goto cleanup;
    }
    *out = g_steal_pointer(&tree);
    ret = 0;

 cleanup:
    if (reader)
        xmlFreeTextReader(reader);
    g_free(errs.message);
    return ret;
}

int
vsBulkFileParse(vsTree **out, const char *data, gsize len, const char *label,
                const vsBulkReadOptions *opts, GError **error)
{
    BulkInput in = { .fd = -1, .mem = data, .mem_len = len };
    int ret;

    in.max_bytes = opts && opts->max_bytes ? opts->max_bytes : VS_BULK_DEFAULT_MAX;
    ret = bulkParse(out, &in, label, error);
    inputClear(&in);
    return ret;
}

int
vsBulkFileRead(vsTree **out, int dirfd, const char *dirpath, const char *name,
               const vsBulkReadOptions *opts, GError **error)
{
    g_autofree char *label = g_build_filename(dirpath, name, NULL);
    BulkInput in = { .fd = -1 };
    struct stat st;
    int ret = -1;

    in.fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (in.fd < 0) {
        if (errno == ENOENT)
            return vsErr(error, VS_ERROR_NOT_FOUND, "%s: no such file", label);
        if (errno == ELOOP)
            return vsErr(error, VS_ERROR_CORRUPT,
                         "%s: is a symbolic link; refusing to follow it", label);
        return vsErrErrno(error, errno, "%s: cannot open", label);
    }
    if (fstat(in.fd, &st) < 0) {
        vsErrErrno(error, errno, "%s: cannot stat", label);
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        vsErr(error, VS_ERROR_CORRUPT, "%s: not a regular file", label);
        goto cleanup;
    }
    in.max_bytes = opts && opts->max_bytes ? opts->max_bytes : VS_BULK_DEFAULT_MAX;
    ret = bulkParse(out, &in, label, error);

 cleanup:
    close(in.fd);
    inputClear(&in);
    return ret;
}

/* ---------------------------------------------------------------- */
/* Writing                                                            */

typedef struct {
    GString *buf;        /* one record at a time */
    const char *uuid;
} FormatCtx;

static void
appendRoot(GString *buf, const vsTree *tree)
{
    const vsSnapshot *cur = vsTreeGetCurrent(tree);

    g_string_append(buf, BULK_HEADER);
    if (cur) {
        g_autofree char *esc = g_markup_escape_text(vsSnapshotGetName(cur), -1);
        g_string_append_printf(buf, "<snapshots current='%s'>\n", esc);
    } else {
        g_string_append(buf, "<snapshots>\n");
    }
}

static void
formatOne(const vsSnapshot *snap, gpointer data)
{
    FormatCtx *ctx = data;
    vsSnapshotFormatBuf(ctx->buf, snap, ctx->uuid, VS_SNAPSHOT_FORMAT_SECURE, 1);
}

void
vsBulkFileFormat(GString *buf, const vsTree *tree, const char *uuid)
{
    FormatCtx ctx = { buf, uuid };
    appendRoot(buf, tree);
    vsTreeForEach(tree, formatOne, &ctx);
    g_string_append(buf, "</snapshots>\n");
}

/* Streams records into the atomic file, through zstd when asked, so the
 * whole document never has to exist in memory at once. */
typedef struct {
    vsAtomicFile *af;
    ZSTD_CCtx *cctx;
    GString *buf;
    const char *uuid;
    char *outbuf;
    gsize outbuf_size;
    char *zstd_error;
} WriteCtx;

static void
writeChunk(WriteCtx *w, const char *data, gsize len, ZSTD_EndDirective end)
{
    if (!w->cctx) {
        vsAtomicFileWrite(w->af, data, len);
        return;
    }
    ZSTD_inBuffer in = { data, len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { w->outbuf, w->outbuf_size, 0 };
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, end);
        if (ZSTD_isError(left)) {
            if (!w->zstd_error)
                w->zstd_error = g_strdup(ZSTD_getErrorName(left));
            return;
        }
        vsAtomicFileWrite(w->af, w->outbuf, out.pos);
        if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
            break;
    }
}

static void
writeOne(const vsSnapshot *snap, gpointer data)
{
    WriteCtx *w = data;
    g_string_truncate(w->buf, 0);
    vsSnapshotFormatBuf(w->buf, snap, w->uuid, VS_SNAPSHOT_FORMAT_SECURE, 1);
    writeChunk(w, w->buf->str, w->buf->len, ZSTD_e_continue);
}

int
vsBulkFileWrite(vsAtomicFile *af, const vsTree *tree, const char *uuid,
                gboolean compress, GError **error)
{
    WriteCtx w = { .af = af, .uuid = uuid };
    int ret = 0;

    w.buf = g_string_sized_new(64 * 1024);
    if (compress) {
        w.cctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, BULK_ZSTD_LEVEL);
        ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_windowLog, BULK_ZSTD_WINDOW_LOG);
        ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_enableLongDistanceMatching, 1);
        ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1);
        w.outbuf_size = ZSTD_CStreamOutSize();
        w.outbuf = g_malloc(w.outbuf_size);
    }
    appendRoot(w.buf, tree);
    writeChunk(&w, w.buf->str, w.buf->len, ZSTD_e_continue);
    vsTreeForEach(tree, writeOne, &w);
    writeChunk(&w, "</snapshots>\n", strlen("</snapshots>\n"), ZSTD_e_end);
    if (w.zstd_error)
        ret = vsErr(error, VS_ERROR_FAILED, "zstd compression failed: %s", w.zstd_error);

    if (w.cctx)
        ZSTD_freeCCtx(w.cctx);
    g_free(w.outbuf);
    g_free(w.zstd_error);
    g_string_free(w.buf, TRUE);
    return ret;
}
