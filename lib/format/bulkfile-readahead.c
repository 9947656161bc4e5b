/* bulkfile-readahead.c — a compressed document decompressed on a thread of
 * its own while the fast reader parses what came before (issue 16).
 *
 * The zstd frames are independent of the parse: a second thread calls
 * vsBulkInputRead exactly as the reader would, chunk after chunk, and
 * hands the chunks over in order, at most READ_AHEAD_CHUNKS ahead of the
 * reader.  The reader sees the same bytes, the same end and the same
 * failure at the same point as reading itself; the input's state (frames,
 * errors, counts) is the thread's until vsBulkReadAheadFinish has joined
 * it.  On two cores a load then takes about the longer of the two parts
 * instead of their sum. */
#include <string.h>

#include "format/bulkfile-load.h"

/* Two chunks: one being parsed while the next is decompressed. */
#define READ_AHEAD_CHUNKS 2

typedef struct {
    char *data;
    gssize n;   /* vsBulkInputRead's result for it */
} Chunk;

struct _vsBulkReadAhead {
    BulkInput *in;             /* the thread's until it is joined */
    gsize chunk_size;
    GThread *thread;
    GMutex lock;               /* guards filled and stop */
    GCond cond;
    Chunk chunks[READ_AHEAD_CHUNKS];   /* a ring */
    guint filled;              /* chunks the thread has filled, not yet handed out */
    gboolean stop;             /* the reader wants no more */
    guint head;                /* the reader's: the next chunk to hand out... */
    gsize taken;               /* ...and how much of it went already */
};

/* The thread: the document's chunks in order, until its end, a failure
 * (a chunk of n <= 0, the last) or the reader's stop. */
static gpointer
readAheadRun(gpointer data)
{
    vsBulkReadAhead *ra = data;
    guint next = 0;
    gssize n;

    do {
        g_mutex_lock(&ra->lock);
        while (ra->filled == READ_AHEAD_CHUNKS && !ra->stop)
            g_cond_wait(&ra->cond, &ra->lock);
        if (ra->stop) {
            g_mutex_unlock(&ra->lock);
            break;
        }
        g_mutex_unlock(&ra->lock);
        /* the slot after the filled ones: not the one being handed out */
        n = vsBulkInputRead(ra->in, ra->chunks[next].data, ra->chunk_size);
        g_mutex_lock(&ra->lock);
        ra->chunks[next].n = n;
        ra->filled++;
        g_cond_broadcast(&ra->cond);
        g_mutex_unlock(&ra->lock);
        next = (next + 1) % READ_AHEAD_CHUNKS;
    } while (n > 0);
    return NULL;
}

vsBulkReadAhead *
vsBulkReadAheadStart(BulkInput *in, gsize chunk_size)
{
    vsBulkReadAhead *ra;

    if (!in->compressed)
        return NULL;
    ra = g_new0(vsBulkReadAhead, 1);
    ra->in = in;
    ra->chunk_size = chunk_size;
    g_mutex_init(&ra->lock);
    g_cond_init(&ra->cond);
    for (guint i = 0; i < READ_AHEAD_CHUNKS; i++)
        ra->chunks[i].data = g_malloc(chunk_size);
    ra->thread = g_thread_try_new("virtsnap-zstd", readAheadRun, ra, NULL);
    if (!ra->thread) {   /* the caller reads the input itself */
        ra->stop = TRUE;
        vsBulkReadAheadFinish(ra);
        return NULL;
    }
    return ra;
}

gssize
vsBulkReadAheadRead(vsBulkReadAhead *ra, char *buf, gsize len)
{
    Chunk *chunk = &ra->chunks[ra->head];
    gsize k;

    g_mutex_lock(&ra->lock);
    while (ra->filled == 0)
        g_cond_wait(&ra->cond, &ra->lock);
    g_mutex_unlock(&ra->lock);
    if (chunk->n <= 0)   /* the thread's last: kept for any later call */
        return chunk->n;
    k = MIN(len, (gsize) chunk->n - ra->taken);
    memcpy(buf, chunk->data + ra->taken, k);
    ra->taken += k;
    if (ra->taken == (gsize) chunk->n) {
        ra->taken = 0;
        ra->head = (ra->head + 1) % READ_AHEAD_CHUNKS;
        g_mutex_lock(&ra->lock);
        ra->filled--;
        g_cond_broadcast(&ra->cond);
        g_mutex_unlock(&ra->lock);
    }
    return k;
}

void
vsBulkReadAheadFinish(vsBulkReadAhead *ra)
{
    if (!ra)
        return;
    if (ra->thread) {
        g_mutex_lock(&ra->lock);
        ra->stop = TRUE;
        g_cond_broadcast(&ra->cond);
        g_mutex_unlock(&ra->lock);
        g_thread_join(ra->thread);
    }
    for (guint i = 0; i < READ_AHEAD_CHUNKS; i++)
        g_free(ra->chunks[i].data);
    g_mutex_clear(&ra->lock);
    g_cond_clear(&ra->cond);
    g_free(ra);
}
