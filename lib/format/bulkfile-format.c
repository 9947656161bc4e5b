/* bulkfile-format.c — a VM's bulk document as text: the root line, every
 * record as stored, the end tag; whole or handed out a chunk at a time. */
#include "util/xmltext.h"
#include "format/bulkfile-private.h"

typedef struct {
    GString *buf;        /* one record at a time */
    const char *uuid;
    vsDocumentWriteFunc write;   /* NULL: @buf keeps everything */
    gpointer data;
    GError **error;
    int rc;
} FormatCtx;

/* The kind's header comment and the root element (current= when one is,
 * then format 3's virtsnap-format='3' for @pieces). */
static void
appendRoot(GString *buf, const vsTree *tree, gboolean pieces)
{
    const vsMomentKind *kind = vsTreeGetKind(tree);
    /* A kind whose current follows from the tree (checkpoints) stores none:
     * a fresh handle derives it as libvirt does. */
    const vsMoment *cur = kind->stores_current ? vsTreeGetCurrent(tree) : NULL;

    g_string_append(buf, kind->bulk_header);
    g_string_append_printf(buf, "<%s", kind->list_element);
    if (cur) {
        g_string_append(buf, " current='");
        vsXmlEscapeAttr(buf, cur->name);
        g_string_append_c(buf, '\'');
    }
    if (pieces)
        g_string_append(buf, " " VS_BULK_FORMAT_ATTR "='3'");
    g_string_append(buf, ">\n");
}

void
vsBulkAppendRoot(GString *buf, const vsTree *tree)
{
    appendRoot(buf, tree, FALSE);
}

void
vsBulkAppendRootPieces(GString *buf, const vsTree *tree)
{
    appendRoot(buf, tree, TRUE);
}

void
vsBulkAppendEnd(GString *buf, const vsTree *tree)
{
    g_string_append_printf(buf, "</%s>\n", vsTreeGetKind(tree)->list_element);
}

/* Hands what @ctx->buf holds to the writer once it reaches @at bytes. */
static void
formatFlush(FormatCtx *ctx, gsize at)
{
    if (!ctx->write || ctx->rc < 0 || ctx->buf->len < MAX(at, 1))
        return;
    ctx->rc = ctx->write(ctx->buf->str, ctx->buf->len, ctx->data, ctx->error);
    g_string_truncate(ctx->buf, 0);
}

/* The size handed to a document's writer at a time (a record may exceed it). */
#define FORMAT_WRITE_CHUNK (1u << 20)

static void
formatOne(const vsMoment *moment, gpointer data)
{
    FormatCtx *ctx = data;

    if (ctx->rc < 0)
        return;
    vsMomentFormatStored(ctx->buf, moment, ctx->uuid, 1);
    formatFlush(ctx, FORMAT_WRITE_CHUNK);
}

static int
formatDocument(FormatCtx *ctx, const vsTree *tree)
{
    vsBulkAppendRoot(ctx->buf, tree);
    vsTreeForEach(tree, formatOne, ctx);
    if (ctx->rc < 0)
        return -1;
    vsBulkAppendEnd(ctx->buf, tree);
    formatFlush(ctx, 0);
    return ctx->rc;
}

void
vsBulkFileFormat(GString *buf, const vsTree *tree, const char *uuid)
{
    FormatCtx ctx = { buf, uuid, NULL, NULL, NULL, 0 };

    formatDocument(&ctx, tree);
}

int
vsBulkFileFormatTo(const vsTree *tree, const char *uuid, vsDocumentWriteFunc write,
                   gpointer data, GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(FORMAT_WRITE_CHUNK);
    FormatCtx ctx = { buf, uuid, write, data, error, 0 };

    return formatDocument(&ctx, tree);
}
