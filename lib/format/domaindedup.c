/* domaindedup.c — skip re-parsing repeated <domain> definitions while
 * reading a bulk file.  See domaindedup.h for the contract.
 *
 * The scanner is a small XML lexer: it knows comments, CDATA, processing
 * instructions, quoted attribute values and element depth, which is all it
 * needs to find where a record's <domain> starts and ends.  It never
 * decides whether the document is valid: libxml2 still sees every byte of
 * every distinct definition and reports any error. */
#include <string.h>

#include "format/domaindedup.h"
#include "format/bulkfile-pieces.h"
#include "util/error.h"

/* Known definitions are looked up by their first bytes, then compared in
 * full; shorter definitions are not worth the bookkeeping.  Every <domain>
 * of a VM starts alike, so only the few most recent definitions per prefix
 * are candidates: a repeat is nearly always of a recent snapshot's domain,
 * and a VM whose every snapshot differs must not cost N comparisons each. */
#define PREFIX_LEN 64
#define MAX_CANDIDATES 4
#define READ_CHUNK (64 * 1024)

/* A candidate is recognised by its raw bytes until its record is parsed.
 * If it is big and the parsed form formats back to exactly those bytes
 * (always, for a file we wrote), it can be compared with that formatting
 * instead, and its raw copy is dropped once a newer big definition with
 * the same prefix is registered: a big definition is then held once, as
 * the canonical text the tree shares anyway, except the newest, which a
 * chain of snapshots repeats most and one memcmp checks fastest.  A small
 * one keeps its raw copy: cheap, and the fastest check. */
#define FORMATTED_COMPARE_MIN (64 * 1024)
typedef struct {
    GByteArray *raw;       /* the definition's bytes as they appear in the file */
    gsize len;             /* their length */
    gboolean formatted;    /* the bytes are domain's formatting (raw may go) */
    guint newlines;        /* kept in the placeholder so line numbers stay true */
    vsXmlSubtree *domain;  /* its parsed form, once the record is parsed */
    gboolean parsed;
} Span;

struct _vsDomainDedup {
    vsDomainDedupSource source;
    gpointer source_data;
    GByteArray *pend;      /* input not yet scanned */
    guint64 pend_offset;   /* document offset of pend->data[0] */
    GByteArray *out;       /* scanned output not yet handed to libxml2 */
    gsize out_pos;
    gboolean eof;
    gboolean passthrough;  /* something unusual: stop rewriting */
    int depth;             /* open elements before the scan position */
    gboolean record_has_domain;
    GPtrArray *spans;      /* Span*, index = marker number */
    GHashTable *by_prefix; /* first PREFIX_LEN bytes -> GArray of span indices */
    Span *open_span;       /* the first copy being scanned, if any */
    GArray *records;       /* vsDomainDedupRecordSpan of each record, in order */
    gboolean records_lost; /* an unscanned tail: the list is unusable */
    const char *record_element;  /* the kind's record ("domainsnapshot") */
    guint64 record_max;    /* largest record (and unscanned construct) accepted */
    gboolean in_record;    /* a record is open (the last in records) */
    guint64 record_tags;   /* start tags and attribute values in it so far */
    vsDomainDedupStop stop;  /* why reading stopped, if it did */
    guint64 raw_held;      /* bytes of first copies kept to recognise repeats */
    gsize resume_at;       /* see scanPending */
    guint8 resume_quote;
    guint resume_values;
    guint64 budget_max;    /* 0, or what the load may hold... */
    const guint64 *budget_kept;  /* ...and what it already keeps */
    gboolean keep_raw;     /* see vsDomainDedupKeepRaw */
    gsize read_size;       /* bytes asked of the source per read */
    char def_attr[48];
    char ref_attr[48];
    char pieces_attr[48];  /* tags a format-3 reference written exactly */
    vsDomainDedupResolve resolve;  /* set: the root says format 3 */
    gpointer resolve_data;
};

static void
spanFree(gpointer data)
{
    Span *span = data;
    if (span->raw)
        g_byte_array_unref(span->raw);
    vsXmlSubtreeUnref(span->domain);
    g_free(span);
}

/* Drops a first copy's bytes (it stays usable through its parsed form). */
static void
spanDropRaw(vsDomainDedup *d, Span *span)
{
    if (!span->raw)
        return;
    d->raw_held -= span->raw->len;
    g_clear_pointer(&span->raw, g_byte_array_unref);
}

static void
spanAppendRaw(vsDomainDedup *d, Span *span, const guint8 *data, gsize len)
{
    g_byte_array_append(span->raw, data, len);
    d->raw_held += len;
}

G_LOCK_DEFINE_STATIC(nonce_rand);

/* The nonce's generator: one per process, seeded once from /dev/urandom
 * (g_rand_new) and advanced by every handle.  Seeding one per handle cost
 * more than the rest of a small read (the stored-form check reads a
 * one-record document per command).  The nonce only has to be unknown to
 * whoever wrote the file; it is never written out, so the next values of
 * a secret, securely seeded stream are as unknown as a fresh seed's.
 * GLib's global generator is not used: it is the application's, which may
 * seed it with a known value. */
static void
nonceFormat(char nonce[33])
{
    static GRand *rand;
    guint32 words[4];

    G_LOCK(nonce_rand);
    if (!rand)
        rand = g_rand_new();
    for (guint i = 0; i < G_N_ELEMENTS(words); i++)
        words[i] = g_rand_int(rand);
    G_UNLOCK(nonce_rand);
    g_snprintf(nonce, 33, "%08x%08x%08x%08x", words[0], words[1], words[2], words[3]);
}

vsDomainDedup *
vsDomainDedupNew(vsDomainDedupSource source, gpointer data, const char *record_element,
                 guint64 record_max, gsize size_hint)
{
    vsDomainDedup *d = g_new0(vsDomainDedup, 1);
    char nonce[33];

    d->source = source;
    d->source_data = data;
    d->record_element = record_element;
    d->record_max = record_max;
    /* a small document (the stored-form check's) is read whole at once,
     * without 64 KiB buffers to allocate and grow */
    d->read_size = size_hint ? MIN(READ_CHUNK, size_hint + 1) : READ_CHUNK;
    d->pend = g_byte_array_sized_new(d->read_size);
    d->out = g_byte_array_sized_new(d->read_size);
    d->spans = g_ptr_array_new_with_free_func(spanFree);
    d->records = g_array_new(FALSE, FALSE, sizeof(vsDomainDedupRecordSpan));
    d->by_prefix = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_array_unref);
    nonceFormat(nonce);
    g_snprintf(d->def_attr, sizeof(d->def_attr), "vsdef-%s", nonce);
    g_snprintf(d->ref_attr, sizeof(d->ref_attr), "vsref-%s", nonce);
    g_snprintf(d->pieces_attr, sizeof(d->pieces_attr), "vspcs-%s", nonce);
    return d;
}

void
vsDomainDedupFree(vsDomainDedup *d)
{
    if (!d)
        return;
    g_byte_array_unref(d->pend);
    g_byte_array_unref(d->out);
    g_ptr_array_unref(d->spans);
    g_array_unref(d->records);
    g_hash_table_unref(d->by_prefix);
    g_free(d);
}

/* Output of input bytes as they are (also recorded while inside a first copy). */
static void
emitRaw(vsDomainDedup *d, const guint8 *data, gsize len)
{
    g_byte_array_append(d->out, data, len);
    if (d->open_span && d->open_span->raw) {
        if (d->open_span->raw->len + len > VS_XML_SUBTREE_MAX) {
            /* Too big to remember: it still parses, it just won't be shared. */
            spanDropRaw(d, d->open_span);
        } else {
            spanAppendRaw(d, d->open_span, data, len);
        }
    }
}

static char *
prefixKey(const guint8 *data)
{
    return g_strndup((const char *) data, PREFIX_LEN);
}

static void
closeSpan(vsDomainDedup *d)
{
    Span *span = d->open_span;
    guint index;

    d->open_span = NULL;
    if (!span->raw || span->raw->len < PREFIX_LEN ||
        memchr(span->raw->data, '\0', PREFIX_LEN)) {
        spanDropRaw(d, span);   /* never looked up: not worth keeping */
        return;
    }
    span->len = span->raw->len;
    g_assert(g_ptr_array_find(d->spans, span, &index));
    for (const guint8 *p = span->raw->data, *end = p + span->raw->len;
         (p = memchr(p, '\n', end - p)); p++)
        span->newlines++;
    {
        char *key = prefixKey(span->raw->data);
        GArray *list = g_hash_table_lookup(d->by_prefix, key);
        if (!list) {
            list = g_array_new(FALSE, FALSE, sizeof(guint));
            g_hash_table_insert(d->by_prefix, key, list);
        } else {
            g_free(key);
        }
        if (list->len == MAX_CANDIDATES) {
            /* Forget the oldest: its bytes are not needed any more. */
            Span *oldest = d->spans->pdata[g_array_index(list, guint, 0)];
            spanDropRaw(d, oldest);
            oldest->formatted = FALSE;
            g_array_remove_index(list, 0);
        }
        g_array_append_val(list, index);
    }
}

/* Storage for a first copy's bytes, sized like the newest definition that
 * starts alike (in a VM's file, usually about as long). */
static GByteArray *
spanRawNew(vsDomainDedup *d, const guint8 *p, gsize avail)
{
    g_autofree char *key = NULL;
    GArray *list;
    gsize hint = 0;

    if (avail >= PREFIX_LEN) {
        key = prefixKey(p);
        list = g_hash_table_lookup(d->by_prefix, key);
        if (list && list->len) {
            Span *newest = d->spans->pdata[g_array_index(list, guint, list->len - 1)];
            hint = MIN(newest->len + newest->len / 16 + 4096, (gsize) VS_XML_SUBTREE_MAX);
        }
    }
    return hint ? g_byte_array_sized_new(hint) : g_byte_array_new();
}

/* Index of a known definition that the input at @p repeats exactly, or -1.
 * *need_more when that cannot be decided before more input arrives. */
static int
findRepeat(vsDomainDedup *d, const guint8 *p, gsize avail, gboolean at_end, gboolean *need_more)
{
    g_autofree char *key = NULL;
    GArray *list;

    *need_more = FALSE;
    if (avail < PREFIX_LEN) {
        *need_more = !at_end;
        return -1;
    }
    key = prefixKey(p);
    list = g_hash_table_lookup(d->by_prefix, key);
    for (guint i = list ? list->len : 0; i-- > 0;) {   /* newest first */
        guint index = g_array_index(list, guint, i);
        Span *span = d->spans->pdata[index];
        if (span->len > avail) {
            if (!at_end) {
                *need_more = TRUE;
                return -1;
            }
            continue;
        }
        if (span->raw ? memcmp(p, span->raw->data, span->len) == 0 :
            vsXmlSubtreeFormattedEqual(span->domain, VS_DEDUP_DOMAIN_INDENT_LEVEL, TRUE,
                                       (const char *) p, span->len))
            return (int) index;
    }
    return -1;
}

static gssize
findBytes(const guint8 *b, gsize from, gsize n, const char *needle)
{
    gsize nl = strlen(needle);
    if (from >= n)
        return -1;
    const guint8 *hit = memmem(b + from, n - from, needle, nl);
    return hit ? hit - b : -1;
}

/* The '>' closing the tag that starts before @from, outside quoted values;
 * *quote is the quote open at @from (0: none) and, on failure, at the end;
 * *values counts the quoted values (attributes) on the way. */
static gssize
findTagEnd(const guint8 *b, gsize from, gsize n, guint8 *quote, guint *values)
{
    for (gsize j = from; j < n; j++) {
        guint8 c = b[j];
        if (*quote) {
            if (c == *quote)
                *quote = 0;
        } else if (c == '"' || c == '\'') {
            *quote = c;
            (*values)++;
        } else if (c == '>') {
            return j;
        }
    }
    return -1;
}

static gboolean
nameIs(const guint8 *b, gsize start, gsize end, const char *name)
{
    gsize len = strlen(name);
    if (end - start < len || memcmp(b + start, name, len) != 0)
        return FALSE;
    if (start + len == end)
        return TRUE;
    guint8 c = b[start + len];
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>';
}

/* Whether the start tag b[start..end] (from '<' to '>') has attribute
 * @attr with a value that is not empty.  Quoted values are skipped, so
 * text inside them never matches. */
static gboolean
tagHasValue(const guint8 *b, gsize start, gsize end, const char *attr)
{
    gsize len = strlen(attr);
    guint8 quote = 0;

    for (gsize k = start + 1; k + len < end; k++) {
        if (quote) {
            if (b[k] == quote)
                quote = 0;
        } else if (b[k] == '\'' || b[k] == '"') {
            quote = b[k];
        } else if ((b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') &&
                   memcmp(b + k + 1, attr, len) == 0 &&
                   (b[k + 1 + len] == '=' || b[k + 1 + len] == ' ' || b[k + 1 + len] == '\t' ||
                    b[k + 1 + len] == '\n' || b[k + 1 + len] == '\r')) {
            gsize v = k + 1 + len;

            while (v < end && b[v] != '=')
                v++;
            for (v++; v < end && (b[v] == ' ' || b[v] == '\t' || b[v] == '\n' || b[v] == '\r');)
                v++;
            return v + 1 < end && (b[v] == '\'' || b[v] == '"') && b[v + 1] != b[v];
        }
    }
    return FALSE;
}

/* What a step of the scan did: consumed its construct (the scan goes on
 * at *i), left it to the caller, or stopped the scan (*i is what
 * scanPending returns: input from there waits for more). */
typedef enum { SCAN_DONE, SCAN_NOT_MINE, SCAN_STOP } ScanStep;

/* A comment, CDATA section or PI at @p goes through as it is. */
static ScanStep
scanSkipConstruct(vsDomainDedup *d, const guint8 *b, gsize n, gsize p, gsize resume, gsize *i)
{
    static const struct { const char *open, *close; } skips[] = {
        { "<!--", "-->" }, { "<![CDATA[", "]]>" }, { "<?", "?>" },
    };

    for (guint k = 0; k < G_N_ELEMENTS(skips); k++) {
        gsize ol = strlen(skips[k].open), cl = strlen(skips[k].close);
        gsize from = p + ol;
        gssize end;

        if (n - p < ol || memcmp(b + p, skips[k].open, ol) != 0)
            continue;
        if (p == 0 && resume >= from + cl)
            from = resume - (cl - 1);   /* the close may straddle chunks */
        end = findBytes(b, from, n, skips[k].close);
        if (end < 0) {
            if (d->eof) {
                emitRaw(d, b + p, n - p);
                *i = n;
            } else {
                d->resume_at = n - p;
                *i = p;
            }
            return SCAN_STOP;
        }
        emitRaw(d, b + p, end + cl - p);
        *i = end + cl;
        return SCAN_DONE;
    }
    return SCAN_NOT_MINE;
}

/* The end tag at @p (its '>' at @end) closes a first copy of a domain, or
 * a record. */
static gsize
scanEndTag(vsDomainDedup *d, const guint8 *b, gsize p, gsize end)
{
    emitRaw(d, b + p, end + 1 - p);
    d->depth--;
    if (d->open_span && d->depth == 2)
        closeSpan(d);
    if (d->depth == 1 && d->records->len) {
        g_array_index(d->records, vsDomainDedupRecordSpan, d->records->len - 1).end =
            d->pend_offset + end + 1;
        d->in_record = FALSE;
    }
    return end + 1;
}

/* A record's first <domain> at @p: a repeat of a known definition becomes
 * a placeholder (as many newlines, so line numbers stay true); a first copy
 * goes out tagged, and its bytes are remembered as it is scanned. */
static ScanStep
scanDomainTag(vsDomainDedup *d, const guint8 *b, gsize n, gsize p, gsize end,
              gboolean self_closing, gsize *i)
{
    gboolean need_more;
    guint32 id;
    int repeat;

    if (vsDomainDedupIsPiecesRef((const char *) b, p, end, &id)) {
        /* tagged, so that only these bytes make a reference (the root,
         * read later, decides whether it is one) */
        g_autofree char *attr = g_strdup_printf(" %s='1'", d->pieces_attr);

        g_byte_array_append(d->out, b + p, strlen("<domain"));
        g_byte_array_append(d->out, (const guint8 *) attr, strlen(attr));
        g_byte_array_append(d->out, b + p + strlen("<domain"), end + 1 - p - strlen("<domain"));
        d->record_has_domain = TRUE;
        *i = end + 1;
        return SCAN_DONE;
    }
    if (!vsDomainDedupIsDefinition((const char *) b, p, end)) {
        d->record_has_domain = TRUE;
        return SCAN_NOT_MINE;
    }
    repeat = findRepeat(d, b + p, n - p, d->eof, &need_more);
    if (need_more) {
        *i = p;
        return SCAN_STOP;
    }
    d->record_has_domain = TRUE;
    if (repeat >= 0) {
        Span *span = d->spans->pdata[repeat];
        g_autofree char *ph = g_strdup_printf("<domain %s='%d'", d->ref_attr, repeat);
        g_byte_array_append(d->out, (const guint8 *) ph, strlen(ph));
        for (guint k = 0; k < span->newlines; k++)
            g_byte_array_append(d->out, (const guint8 *) "\n", 1);
        g_byte_array_append(d->out, (const guint8 *) "/>", 2);
        *i = p + span->len;
        return SCAN_DONE;
    }
    if (!self_closing) {
        Span *span = g_new0(Span, 1);
        g_autofree char *attr = NULL;

        span->raw = spanRawNew(d, b + p, n - p);
        g_ptr_array_add(d->spans, span);
        attr = g_strdup_printf(" %s='%u'", d->def_attr, d->spans->len - 1);
        /* The tag goes out tagged; the span remembers the original. */
        g_byte_array_append(d->out, b + p, strlen("<domain"));
        g_byte_array_append(d->out, (const guint8 *) attr, strlen(attr));
        g_byte_array_append(d->out, b + p + strlen("<domain"),
                            end + 1 - p - strlen("<domain"));
        spanAppendRaw(d, span, b + p, end + 1 - p);
        d->open_span = span;
        d->depth++;
        *i = end + 1;
        return SCAN_DONE;
    }
    return SCAN_NOT_MINE;
}

/* Scans as much of the pending input as can be decided; returns the number
 * of bytes consumed. */
static gsize
scanPending(vsDomainDedup *d)
{
    const guint8 *b = d->pend->data;
    gsize n = d->pend->len, i = 0;
    /* A construct left unfinished by the last call starts at pend[0] and
     * was searched up to pend[resume]: carry on from there, so a long tag
     * or comment arriving in chunks is scanned once, not once per chunk. */
    gsize resume = d->resume_at;

    d->resume_at = 0;
    while (i < n) {
        const guint8 *lt = d->passthrough ? NULL : memchr(b + i, '<', n - i);
        gboolean resumed, self_closing;
        guint values = 0;
        guint8 quote = 0;
        gssize end;
        gsize p;

        if (!lt) {
            emitRaw(d, b + i, n - i);
            return n;
        }
        p = lt - b;
        emitRaw(d, b + i, p - i);
        i = p;
        if (n - p < 9 && !d->eof)
            return i;
        switch (scanSkipConstruct(d, b, n, p, resume, &i)) {
        case SCAN_STOP: return i;
        case SCAN_DONE: continue;
        case SCAN_NOT_MINE: break;
        }
        if (n - p >= 2 && b[p + 1] == '!') {
            /* A DOCTYPE: never written by us (and refused by the reader). */
            d->passthrough = TRUE;
            continue;
        }
        if ((resumed = p == 0 && resume > 1)) {
            quote = d->resume_quote;
            values = d->resume_values;
        }
        end = findTagEnd(b, resumed ? resume : p + 1, n, &quote, &values);
        if (end < 0) {
            if (d->eof)
                return emitRaw(d, b + p, n - p), n;
            d->resume_at = n - p;
            d->resume_quote = quote;
            d->resume_values = values;
            return i;
        }
        if (b[p + 1] == '/') {
            i = scanEndTag(d, b, p, end);
            continue;
        }

        self_closing = b[end - 1] == '/';
        d->record_tags += 1 + values;
        if (d->depth == 1 && nameIs(b, p + 1, end, d->record_element)) {
            vsDomainDedupRecordSpan rec = { d->pend_offset + p, d->pend_offset + end + 1 };
            g_array_append_val(d->records, rec);
            d->record_has_domain = FALSE;
            d->in_record = !self_closing;
            d->record_tags = 1 + values;
        }
        if (d->depth == 2 && !d->open_span && !d->record_has_domain &&
            nameIs(b, p + 1, end, "domain")) {
            switch (scanDomainTag(d, b, n, p, end, self_closing, &i)) {
            case SCAN_STOP: return i;
            case SCAN_DONE: continue;
            case SCAN_NOT_MINE: break;
            }
        }
        emitRaw(d, b + p, end + 1 - p);
        if (!self_closing)
            d->depth++;
        i = end + 1;
    }
    return i;
}


/* Whether reading must stop before memory grows further: the record being
 * scanned, or input the scanner cannot place yet (an unterminated tag or
 * comment), is larger than a record may be; or the load's budget cannot
 * hold what it keeps plus this record's DOM (a small record of many tiny
 * elements builds a DOM many times its size). */
static vsDomainDedupStop
mustStop(const vsDomainDedup *d)
{
    const vsDomainDedupRecordSpan *open;
    guint64 bytes;

    if (d->passthrough)
        return VS_DEDUP_READING;
    if (d->pend->len > d->record_max)
        return VS_DEDUP_RECORD_TOO_LARGE;
    if (!d->in_record)
        return VS_DEDUP_READING;
    open = &g_array_index(d->records, vsDomainDedupRecordSpan, d->records->len - 1);
    bytes = d->pend_offset - open->start;
    if (bytes > d->record_max)
        return VS_DEDUP_RECORD_TOO_LARGE;
    if (d->budget_max && *d->budget_kept + d->raw_held + bytes +
                         d->record_tags * VS_DEDUP_DOM_NODE_COST > d->budget_max)
        return VS_DEDUP_OVER_BUDGET;
    return VS_DEDUP_READING;
}

gssize
vsDomainDedupRead(vsDomainDedup *d, char *buf, gsize len)
{
    gsize have;

    while (d->out->len == d->out_pos) {
        g_byte_array_set_size(d->out, 0);
        d->out_pos = 0;
        if (d->eof && d->pend->len == 0)
            return 0;
        if (!d->eof) {
            gsize old = d->pend->len;
            gssize got;
            g_byte_array_set_size(d->pend, old + d->read_size);
            got = d->source(d->source_data, (char *) d->pend->data + old, d->read_size);
            g_byte_array_set_size(d->pend, old + MAX(got, 0));
            if (got < 0)
                return got;
            if (got == 0)
                d->eof = TRUE;
        }
        {
            gsize consumed = scanPending(d);
            g_byte_array_remove_range(d->pend, 0, consumed);
            d->pend_offset += consumed;
        }
        if ((d->stop = mustStop(d)) != VS_DEDUP_READING)
            return -1;
        if (d->eof && d->pend->len) {
            d->records_lost = TRUE;  /* unscannable tail */
            emitRaw(d, d->pend->data, d->pend->len);
            d->pend_offset += d->pend->len;
            g_byte_array_set_size(d->pend, 0);
        }
    }
    have = MIN(len, d->out->len - d->out_pos);
    memcpy(buf, d->out->data + d->out_pos, have);
    d->out_pos += have;
    return have;
}

const vsDomainDedupRecordSpan *
vsDomainDedupGetRecordSpans(const vsDomainDedup *d, guint *count)
{
    *count = 0;
    if (d->records_lost || d->passthrough)
        return NULL;
    *count = d->records->len;
    return (const vsDomainDedupRecordSpan *) d->records->data;
}

static int
markerIndex(vsDomainDedup *d, const char *value, GError **error)
{
    guint64 index;
    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT, &index, NULL) ||
        index >= d->spans->len)
        return vsErr(error, VS_ERROR_CORRUPT, "internal error: bad <domain> marker '%s'", value);
    return (int) index;
}

/* A record's first <domain> @child in a format-3 document: a reference
 * written exactly (tagged by the scan) becomes its definition, removed
 * from the record; the reference attribute written any other way is an
 * error (never an ordinary <domain> standing for a definition). */
static int
prepareReference(vsDomainDedup *d, xmlNodePtr child, gboolean tagged, vsXmlSubtree **domain,
                 GError **error)
{
    g_autofree char *value = (char *) xmlGetProp(child, BAD_CAST VS_BULK_PIECES_ATTR);
    guint64 id;

    if (!value)
        return 0;
    if (!tagged || !g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &id, NULL))
        return vsErr(error, VS_ERROR_CORRUPT, "<domain> with %s='%s' is not written as "
                     "a reference (<domain %s='ID'/>)", VS_BULK_PIECES_ATTR, value,
                     VS_BULK_PIECES_ATTR);
    if (d->resolve(d->resolve_data, (guint32) id, domain, error) < 0)
        return -1;
    xmlUnlinkNode(child);
    xmlFreeNode(child);
    return 0;
}

int
vsDomainDedupPrepareRecord(vsDomainDedup *d, xmlNodePtr record, int *def_index,
                           vsXmlSubtree **domain, int *line, GError **error)
{
    xmlNodePtr child;
    gboolean tagged;

    *def_index = -1;
    *domain = NULL;
    for (child = record->children; child; child = child->next) {
        if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, BAD_CAST "domain"))
            break;
    }
    if (!child)
        return 0;

    tagged = xmlHasProp(child, BAD_CAST d->pieces_attr) != NULL;
    if (tagged)
        xmlUnsetProp(child, BAD_CAST d->pieces_attr);
    if (d->resolve) {
        if (prepareReference(d, child, tagged, domain, error) < 0) {
            if (xmlGetLineNo(child) > 0)
                *line = xmlGetLineNo(child);
            return -1;
        }
        if (*domain)
            return 0;
    }

    g_autofree char *def = (char *) xmlGetProp(child, BAD_CAST d->def_attr);
    g_autofree char *ref = (char *) xmlGetProp(child, BAD_CAST d->ref_attr);
    if (def) {
        if ((*def_index = markerIndex(d, def, error)) < 0)
            return -1;
        xmlUnsetProp(child, BAD_CAST d->def_attr);
    } else if (ref) {
        int index = markerIndex(d, ref, error);
        Span *span;
        if (index < 0)
            return -1;
        span = d->spans->pdata[index];
        if (!span->parsed)
            return vsErr(error, VS_ERROR_CORRUPT,
                         "internal error: <domain> marker %d used before its definition", index);
        *domain = span->domain;
        xmlUnlinkNode(child);
        xmlFreeNode(child);
    }
    return 0;
}

void
vsDomainDedupRegister(vsDomainDedup *d, int def_index, vsXmlSubtree *domain)
{
    Span *span = d->spans->pdata[def_index];
    span->domain = vsXmlSubtreeRef(domain);
    span->parsed = TRUE;
    /* Only a closed, remembered copy (len is set when it is closed). */
    if (!d->keep_raw && domain && span->raw && span->len == span->raw->len &&
        span->len >= FORMATTED_COMPARE_MIN &&
        vsXmlSubtreeFormattedEqual(domain, VS_DEDUP_DOMAIN_INDENT_LEVEL, TRUE,
                                   (const char *) span->raw->data, span->raw->len)) {
        g_autofree char *key = prefixKey(span->raw->data);
        GArray *list = g_hash_table_lookup(d->by_prefix, key);

        span->formatted = TRUE;
        for (guint i = 0; list && i < list->len; i++) {
            Span *older = d->spans->pdata[g_array_index(list, guint, i)];
            if (older != span && older->formatted)
                spanDropRaw(d, older);
        }
    }
}

vsDomainDedupStop
vsDomainDedupGetStop(const vsDomainDedup *d, guint64 *offset)
{
    if (d->stop && offset)
        *offset = d->in_record
                  ? g_array_index(d->records, vsDomainDedupRecordSpan, d->records->len - 1).start
                  : d->pend_offset;
    return d->stop;
}

void
vsDomainDedupSetBudget(vsDomainDedup *d, guint64 max, const guint64 *kept)
{
    d->budget_max = max;
    d->budget_kept = kept;
}

guint64
vsDomainDedupGetHeldBytes(const vsDomainDedup *d)
{
    return d->raw_held;
}

void
vsDomainDedupSetResolve(vsDomainDedup *d, vsDomainDedupResolve resolve, gpointer data)
{
    d->resolve = resolve;
    d->resolve_data = data;
}

gboolean
vsDomainDedupIsPiecesRef(const char *b, gsize start, gsize end, guint32 *id)
{
    static const char head[] = "<domain " VS_BULK_PIECES_ATTR "='", tail[] = "'/>";
    gsize hl = strlen(head), tl = strlen(tail), digits;
    guint64 value = 0;

    if (end + 1 - start <= hl + tl || memcmp(b + start, head, hl) != 0 ||
        memcmp(b + end + 1 - tl, tail, tl) != 0)
        return FALSE;
    digits = end + 1 - tl - (start + hl);
    if (digits > 10 || (digits > 1 && b[start + hl] == '0'))
        return FALSE;
    for (gsize k = start + hl; k < start + hl + digits; k++) {
        if (!g_ascii_isdigit(b[k]))
            return FALSE;
        value = value * 10 + (b[k] - '0');
    }
    if (value > G_MAXUINT32)
        return FALSE;
    *id = (guint32) value;
    return TRUE;
}

gboolean
vsDomainDedupIsDefinition(const char *b, gsize start, gsize end)
{
    return tagHasValue((const guint8 *) b, start, end, "type");
}

int
vsDomainDedupFindRepeat(vsDomainDedup *d, const char *p, gsize avail, gboolean at_end,
                        gboolean *need_more)
{
    return findRepeat(d, (const guint8 *) p, avail, at_end, need_more);
}

int
vsDomainDedupAddFirstCopy(vsDomainDedup *d, const char *bytes, gsize len)
{
    Span *span = g_new0(Span, 1);

    span->raw = spanRawNew(d, (const guint8 *) bytes, len);
    g_ptr_array_add(d->spans, span);
    spanAppendRaw(d, span, (const guint8 *) bytes, len);
    d->open_span = span;
    closeSpan(d);
    return (int) d->spans->len - 1;
}

vsXmlSubtree *
vsDomainDedupGetDomain(const vsDomainDedup *d, int index, gboolean *parsed, gsize *len)
{
    const Span *span = d->spans->pdata[index];

    *parsed = span->parsed;
    *len = span->len;
    return span->domain;
}

void
vsDomainDedupKeepRaw(vsDomainDedup *d)
{
    d->keep_raw = TRUE;
}
