/* xmlsubtree-pieces.c — a subtree from stored pieces (format 3), checked to
 * be exactly what a capture makes.
 *
 * Why a check: a file's pieces are bytes anyone could have written, and
 * everything downstream (formatting, comparing, disk alignment) relies on
 * a kept subtree being the canonical text of a parse.  The check is exact:
 * the text's secure formatting, parsed by libxml2 and captured again, must
 * give the same bytes, cut into the same pieces.
 *
 * Why in parts: a load checks ~1,600 distinct 4 MiB definitions that
 * differ from each other by a device or two.  The canonical text of an
 * element with element children is its start-tag line, its children's
 * lines, its end-tag line, and a child's lines depend only on the child
 * and on the elements around it (its ancestors' start tags: namespaces in
 * scope, whether the root is a <domain>).  So the text is split into
 * parts, runs of whole children of the root (or of one of its children,
 * e.g. <devices>, when that one is big), each checked inside a wrap of
 * its ancestors' first and last lines: formatted, parsed, captured, and
 * the part must come back byte for byte.  A part is known by the pieces it
 * spans (interned: an address is a content) and the lines around it, so a
 * definition whose parts were all checked before costs O(its pieces).
 *
 * What the whole capture shares between children, and how it is kept:
 *  - a start tag declares only the namespaces used below it: a wrap that
 *    gives an ancestor's line back (rootSeen, ctx_seen) proves every one
 *    of its declarations used (each part is in the whole);
 *  - only the first <metadata> of a <domain> root is kept: at most one
 *    part may hold one, and no part sits inside it;
 *  - the size and depth bounds: the whole's length is checked, and a wrap
 *    is as deep as the whole where its part is.
 * Anything else (a split that does not apply, a part that fails) falls
 * back to the whole check, so the result is always the whole check's.
 * Not reproduced: libxml2's whole-document dictionary limit (10 MB of
 * distinct names and namespace URIs without XML_PARSE_HUGE), which the
 * parts of a bigger hostile text may each stay under. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/xmlsubtree-private.h"

/* A run of children split further when it spans more pieces than this
 * (a small one is cheaper to check whole). */
#define SPLIT_MIN_PIECES 3

/* What the check remembers of one piece. */
typedef struct {
    vsXmlPiece *piece;   /* referenced: its address stays its identity */
    gboolean cut_inner;  /* a whole chunk followed by more (vsXmlPieceCutAsCapture) */
    gboolean cut_last;   /* a whole chunk ending the text */
    gssize first_child2; /* offset of its first line "    <x" (not "</"), or -1 */
    GArray *child1;      /* gsize: offsets of its lines "  <x" (not "</") */
} PieceFacts;

/* What the check remembers of one part (in its wrap). */
typedef struct {
    gboolean ok;         /* the part came back byte for byte */
    gboolean root_same;  /* and so did the root's start line */
    gboolean ctx_same;   /* and the enclosing child's start line */
    gboolean metadata;   /* it holds the <domain>'s <metadata> */
} PartFacts;

struct _vsXmlPieceCheck {
    GHashTable *pieces;  /* vsXmlPiece* -> PieceFacts* */
    GHashTable *parts;   /* GBytes (the part's identity) -> PartFacts* */
    GHashTable *lines;   /* GBytes, a set: one object per line text */
    guint parses;
    guint wholes;        /* definitions the whole check decided */
};

static void
pieceFactsFree(gpointer data)
{
    PieceFacts *facts = data;

    vsXmlPieceUnref(facts->piece);
    g_array_unref(facts->child1);
    g_free(facts);
}

vsXmlPieceCheck *
vsXmlPieceCheckNew(void)
{
    vsXmlPieceCheck *check = g_new0(vsXmlPieceCheck, 1);

    check->pieces = g_hash_table_new_full(NULL, NULL, NULL, pieceFactsFree);
    check->parts = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                         (GDestroyNotify) g_bytes_unref, g_free);
    check->lines = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                         (GDestroyNotify) g_bytes_unref, NULL);
    return check;
}

void
vsXmlPieceCheckFree(vsXmlPieceCheck *check)
{
    if (!check)
        return;
    g_hash_table_unref(check->parts);
    g_hash_table_unref(check->lines);
    g_hash_table_unref(check->pieces);
    g_free(check);
}

guint
vsXmlPieceCheckGetParseCount(const vsXmlPieceCheck *check)
{
    return check->parses;
}

guint
vsXmlPieceCheckGetWholeCount(const vsXmlPieceCheck *check)
{
    return check->wholes;
}

/* ------------------------------------------------------------------ */
/* Formatted, parsed and captured again                                 */

/* The capture of the element libxml2 parses from @formatted (a canonical
 * text's secure formatting), and that document (for a look at its
 * elements); *@doc NULL when it does not parse.  xmlFreeDoc *@doc. */
static int
captureAgain(const GString *formatted, vsXmlPieceCheck *check, xmlDocPtr *doc,
             vsXmlSubtree **again, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlNodePtr root;

    *again = NULL;
    if (check)
        check->parses++;
    /* a canonical text never declares entities: refusing them is no change */
    *doc = vsXmlReadMemory(formatted->str, formatted->len, "pieces", VS_XML_READ_NO_ENTITIES,
                           &problem);
    vsXmlProblemClear(&problem);
    if (*doc && !(root = xmlDocGetRootElement(*doc))) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }
    if (!*doc)
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not well-formed XML");
    return vsXmlSubtreeFromNodeInPlace(again, root, error);
}

/* The whole text, formatted, parsed and captured again: the same bytes in
 * the same pieces, or not a kept subtree. */
static int
checkWhole(const vsXmlSubtree *tree, vsXmlPieceCheck *check, GError **error)
{
    g_autoptr(GString) formatted = g_string_new(NULL);
    g_autoptr(vsXmlSubtree) again = NULL;
    g_autoptr(GError) perr = NULL;
    xmlDocPtr doc = NULL;
    int ret;

    if (check)
        check->wholes++;
    if (tree->len == 0)
        return vsErr(error, VS_ERROR_CORRUPT, "a definition without pieces");
    vsXmlSubtreeAppend(formatted, tree, 0, TRUE);
    ret = captureAgain(formatted, check, &doc, &again, &perr);
    if (doc)
        xmlFreeDoc(doc);
    if (ret < 0 && !doc)
        return vsErr(error, VS_ERROR_CORRUPT, "%s", perr->message);
    if (ret < 0)
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces do not form a definition: %s",
                     perr->message);
    if (!vsXmlSubtreeEqual(again, tree))
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not in canonical form");
    if (again->nchunks != tree->nchunks)
        return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not cut as this writer cuts");
    for (guint i = 0; i < tree->nchunks; i++) {
        if (again->chunks[i] != tree->chunks[i])
            return vsErr(error, VS_ERROR_CORRUPT, "its pieces are not cut as this writer cuts");
    }
    return 0;
}

int
vsXmlPiecesCheckWhole(vsXmlPiece *const *pieces, guint n, GError **error)
{
    g_autoptr(vsXmlSubtree) tree = vsXmlSubtreeFromPieces(pieces, n);

    return checkWhole(tree, NULL, error);
}

/* ------------------------------------------------------------------ */
/* Pieces and lines                                                     */

/* A line at @line (up to @end) starting a child at depth @depth: exactly
 * 2 * @depth spaces, then a start tag (not an end tag). */
static gboolean
startsChild(const char *line, const char *end, guint depth)
{
    gsize indent = 2 * depth;

    if ((gsize) (end - line) < indent + 2)
        return FALSE;
    for (gsize i = 0; i < indent; i++) {
        if (line[i] != ' ')
            return FALSE;
    }
    return line[indent] == '<' && line[indent + 1] != '/';
}

static PieceFacts *
pieceFacts(vsXmlPieceCheck *check, vsXmlPiece *piece)
{
    PieceFacts *facts = g_hash_table_lookup(check->pieces, piece);
    const char *end = piece->text + piece->len;

    if (facts)
        return facts;
    facts = g_new0(PieceFacts, 1);
    facts->piece = vsXmlPieceRef(piece);
    facts->cut_inner = vsXmlPieceCutAsCapture(piece, FALSE);
    facts->cut_last = vsXmlPieceCutAsCapture(piece, TRUE);
    facts->first_child2 = -1;
    facts->child1 = g_array_new(FALSE, FALSE, sizeof(gsize));
    for (const char *line = piece->text; line < end;) {
        const char *nl = memchr(line, '\n', end - line);
        gsize at = line - piece->text;

        if (startsChild(line, end, 1))
            g_array_append_val(facts->child1, at);
        else if (facts->first_child2 < 0 && startsChild(line, end, 2))
            facts->first_child2 = (gssize) at;
        line = nl ? nl + 1 : end;
    }
    g_hash_table_insert(check->pieces, piece, facts);
    return facts;
}

/* One object per line text: the identity of a wrap's lines. */
static gconstpointer
lineId(vsXmlPieceCheck *check, const char *text, gsize len)
{
    g_autoptr(GBytes) bytes = g_bytes_new(text, len);
    GBytes *known = g_hash_table_lookup(check->lines, bytes);

    if (known)
        return known;
    g_hash_table_add(check->lines, g_bytes_ref(bytes));
    return bytes;
}

/* A span of the text, in offsets from its start. */
typedef struct {
    gsize from;
    gsize to;
} Span;

/* One definition being checked. */
typedef struct {
    vsXmlPieceCheck *check;
    vsXmlPiece *const *pieces;
    PieceFacts **facts;
    gsize *at;          /* at[i]: where piece i starts; at[n]: the length */
    guint n;
    Span root, last;    /* the root's start and end lines */
    gconstpointer root_id, last_id;
    guint metadata_parts;
    gboolean root_seen;
} Def;

/* The piece holding offset @pos (< the length). */
static guint
pieceAt(const Def *def, gsize pos)
{
    guint lo = 0, hi = def->n - 1;

    while (lo < hi) {
        guint mid = lo + (hi - lo + 1) / 2;

        if (def->at[mid] <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void
copySpan(const Def *def, GString *out, Span span)
{
    for (guint i = pieceAt(def, span.from); span.from < span.to; i++) {
        gsize stop = MIN(span.to, def->at[i + 1]);

        g_string_append_len(out, def->pieces[i]->text + (span.from - def->at[i]),
                            (gssize) (stop - span.from));
        span.from = stop;
    }
}

/* The line starting at @pos (lines never cross pieces once the cut holds). */
static Span
lineAt(const Def *def, gsize pos)
{
    guint i = pieceAt(def, pos);
    const vsXmlPiece *piece = def->pieces[i];
    const char *start = piece->text + (pos - def->at[i]);
    const char *nl = memchr(start, '\n', piece->text + piece->len - start);

    return (Span) { pos, nl ? def->at[i] + (nl + 1 - piece->text) : def->at[i + 1] };
}

/* The last line of [.., @end), @end after a '\n'. */
static Span
lineBefore(const Def *def, gsize end)
{
    guint i = pieceAt(def, end - 1);
    const vsXmlPiece *piece = def->pieces[i];
    gsize in = end - 1 - def->at[i];
    const char *nl = in > 0 ? memrchr(piece->text, '\n', in) : NULL;

    return (Span) { nl ? def->at[i] + (nl + 1 - piece->text) : def->at[i], end };
}

static gconstpointer
spanId(const Def *def, Span span)
{
    g_autoptr(GString) text = g_string_new(NULL);

    copySpan(def, text, span);
    return lineId(def->check, text->str, text->len);
}

/* ------------------------------------------------------------------ */
/* Parts                                                                */

/* One wrap: the root's start line, the enclosing child's start line (if
 * any), the part, that child's end line, the root's end line. */
typedef struct {
    Span ctx_start, ctx_end;   /* empty for a child of the root */
    gconstpointer ctx_start_id, ctx_end_id;
    Span part;
} Wrap;

/* The part's identity: the lines around it and the pieces it spans, with
 * where it starts and ends in the first and last.  A part over many
 * pieces (a big <metadata>) names its first and last by the bytes it holds
 * of them instead: a device hot-plugged just after it changes the piece it
 * ends in, not its bytes, and must not have it parsed again. */
static GBytes *
wrapKey(const Def *def, const Wrap *w)
{
    guint first = pieceAt(def, w->part.from), last = pieceAt(def, w->part.to - 1);
    gboolean big = last - first + 1 >= SPLIT_MIN_PIECES;
    g_autoptr(GArray) key = g_array_new(FALSE, FALSE, sizeof(gconstpointer));
    gconstpointer head[] = {
        def->root_id, def->last_id, w->ctx_start_id, w->ctx_end_id, GINT_TO_POINTER(big),
        big ? spanId(def, (Span) { w->part.from, def->at[first + 1] })
            : GSIZE_TO_POINTER(w->part.from - def->at[first]),
        big ? spanId(def, (Span) { def->at[last], w->part.to })
            : GSIZE_TO_POINTER(w->part.to - def->at[last]),
    };

    g_array_append_vals(key, head, G_N_ELEMENTS(head));
    if (big)
        g_array_append_vals(key, def->pieces + first + 1, last - first - 1);
    else
        g_array_append_vals(key, def->pieces + first, last - first + 1);
    return g_bytes_new(key->data, key->len * sizeof(gconstpointer));
}

/* Whether @again's text is @wrap's with its first (and, in a child's
 * wrap, second) line free; those lines' sameness in @facts. */
static void
compareWrap(const vsXmlSubtree *again, const char *wrap, gsize wrap_len, gsize head_lines,
            PartFacts *facts)
{
    gsize len, skip_wrap = 0, skip_again = 0;
    const char *text = vsXmlSubtreeGetCanonical(again, &len);

    for (gsize line = 0; line < head_lines; line++) {
        const char *nl_a = memchr(text + skip_again, '\n', len - skip_again);
        const char *nl_w = memchr(wrap + skip_wrap, '\n', wrap_len - skip_wrap);
        gsize la, lw;

        if (!nl_a || !nl_w)
            return;
        la = nl_a + 1 - (text + skip_again);
        lw = nl_w + 1 - (wrap + skip_wrap);
        if (la == lw && memcmp(text + skip_again, wrap + skip_wrap, la) == 0) {
            if (line == 0)
                facts->root_same = TRUE;
            else
                facts->ctx_same = TRUE;
        }
        skip_again += la;
        skip_wrap += lw;
    }
    facts->ok = len - skip_again == wrap_len - skip_wrap &&
                memcmp(text + skip_again, wrap + skip_wrap, len - skip_again) == 0;
}

/* Formats, parses and captures one wrap. */
static void
checkWrap(const Def *def, const Wrap *w, PartFacts *facts)
{
    g_autoptr(GString) wrap = g_string_new(NULL);
    g_autoptr(GString) formatted = g_string_new(NULL);
    g_autoptr(vsXmlSubtree) again = NULL;
    gboolean nested = w->ctx_start.to > w->ctx_start.from;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    gboolean domain_root;

    copySpan(def, wrap, def->root);
    copySpan(def, wrap, w->ctx_start);
    copySpan(def, wrap, w->part);
    copySpan(def, wrap, w->ctx_end);
    copySpan(def, wrap, def->last);
    /* the wrap is not kept: its text is formatted as it is, no subtree made */
    vsXmlCanonicalAppend(formatted, wrap->str, wrap->len);
    captureAgain(formatted, def->check, &doc, &again, NULL);
    if (!doc || !again) {
        if (doc)
            xmlFreeDoc(doc);
        return;
    }
    root = xmlDocGetRootElement(doc);
    domain_root = vsXmlIsElement(root, "domain") || vsXmlIsElement(root, "inactiveDomain");
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (domain_root && vsXmlIsElement(c, "metadata"))
            facts->metadata = TRUE;
    }
    xmlFreeDoc(doc);
    /* a part inside the <metadata> is not checked alone: libxml2's dump
     * of it is not made of its children's */
    if (nested && facts->metadata)
        return;
    compareWrap(again, wrap->str, wrap->len, nested ? 2 : 1, facts);
}

/* Whether the part in @w checks, remembered; its facts in @out. */
static const PartFacts *
checkPart(Def *def, const Wrap *w)
{
    g_autoptr(GBytes) key = wrapKey(def, w);
    PartFacts *facts = g_hash_table_lookup(def->check->parts, key);

    if (!facts) {
        facts = g_new0(PartFacts, 1);
        checkWrap(def, w, facts);
        g_hash_table_insert(def->check->parts, g_steal_pointer(&key), facts);
    }
    def->root_seen |= facts->ok && facts->root_same;
    def->metadata_parts += facts->ok && facts->metadata;
    return facts;
}

/* ------------------------------------------------------------------ */
/* A definition                                                         */

/* Where the group of children starting at @from ends: at the first child
 * start (per @child_at) in a later piece than @from's, or at @end. */
static gsize
groupEnd(const Def *def, gsize from, gsize end, gssize (*child_at)(const Def *, guint, gsize))
{
    for (guint i = pieceAt(def, from) + 1; i < def->n && def->at[i] < end; i++) {
        gssize at = child_at(def, i, from);

        if (at >= 0)
            return MIN((gsize) at, end);
    }
    return end;
}

/* The first child start of the root's children in piece @i after @from. */
static gssize
child1At(const Def *def, guint i, gsize from)
{
    const GArray *starts = def->facts[i]->child1;

    for (guint k = 0; k < starts->len; k++) {
        gsize at = def->at[i] + g_array_index(starts, gsize, k);

        if (at > from)
            return (gssize) at;
    }
    return -1;
}

static gssize
child2At(const Def *def, guint i, gsize from)
{
    (void) from;
    return def->facts[i]->first_child2 < 0 ? -1 : (gssize) def->at[i] + def->facts[i]->first_child2;
}

/* Whether the root's child @run (its lines) is split into its own
 * children: big, not the <metadata>, its first child right after its start
 * line and its end line after that. */
static gboolean
runSplits(const Def *def, Span run, Span *start, Span *end)
{
    static const char metadata[] = "  <metadata";
    const vsXmlPiece *piece;
    const char *line;
    gsize len;

    if (pieceAt(def, run.to - 1) - pieceAt(def, run.from) + 1 < SPLIT_MIN_PIECES)
        return FALSE;
    *start = lineAt(def, run.from);
    *end = lineBefore(def, run.to);
    if (start->to >= end->from)
        return FALSE;
    piece = def->pieces[pieceAt(def, run.from)];
    line = piece->text + (run.from - def->at[pieceAt(def, run.from)]);
    len = start->to - start->from;
    if (len > strlen(metadata) && memcmp(line, metadata, strlen(metadata)) == 0 &&
        strchr(" >/", line[strlen(metadata)]))
        return FALSE;
    piece = def->pieces[pieceAt(def, start->to)];
    line = piece->text + (start->to - def->at[pieceAt(def, start->to)]);
    return startsChild(line, piece->text + piece->len, 2);
}

/* The children of the root's child @run, in groups, in its wrap. */
static gboolean
checkSplitRun(Def *def, Span start, Span end)
{
    Wrap w = { .ctx_start = start, .ctx_end = end, .ctx_start_id = spanId(def, start),
               .ctx_end_id = spanId(def, end) };
    gboolean ctx_seen = FALSE;

    for (gsize from = start.to; from < end.from;) {
        const PartFacts *facts;

        w.part = (Span) { from, groupEnd(def, from, end.from, child2At) };
        facts = checkPart(def, &w);
        if (!facts->ok)
            return FALSE;
        ctx_seen |= facts->ctx_same;
        from = w.part.to;
    }
    return ctx_seen;
}

/* The root's children from @from to @to, none split, in groups. */
static gboolean
checkRuns(Def *def, gsize from, gsize to)
{
    Wrap w = { .ctx_start_id = NULL };

    while (from < to) {
        w.part = (Span) { from, groupEnd(def, from, to, child1At) };
        if (!checkPart(def, &w)->ok)
            return FALSE;
        from = w.part.to;
    }
    return TRUE;
}

/* The root's children, each big one split (its pieces' children checked
 * in groups), the others in groups. */
static gboolean
checkChildren(Def *def)
{
    g_autoptr(GArray) starts = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize unsplit = def->root.to;

    for (guint i = 0; i < def->n; i++) {
        for (guint k = 0; k < def->facts[i]->child1->len; k++) {
            gsize at = def->at[i] + g_array_index(def->facts[i]->child1, gsize, k);

            if (at >= def->root.to && at < def->last.from)
                g_array_append_val(starts, at);
        }
    }
    if (starts->len == 0 || g_array_index(starts, gsize, 0) != def->root.to)
        return FALSE;
    for (guint k = 0; k < starts->len; k++) {
        Span run = { g_array_index(starts, gsize, k),
                     k + 1 < starts->len ? g_array_index(starts, gsize, k + 1) : def->last.from };
        Span start, end;

        if (!runSplits(def, run, &start, &end))
            continue;
        if (!checkRuns(def, unsplit, run.from) || !checkSplitRun(def, start, end))
            return FALSE;
        unsplit = run.to;
    }
    return checkRuns(def, unsplit, def->last.from);
}

/* The check by parts: TRUE only if the whole check would accept (FALSE
 * means "not decided here"). */
static gboolean
checkByParts(vsXmlPieceCheck *check, vsXmlPiece *const *pieces, guint n)
{
    g_autofree PieceFacts **facts = g_new(PieceFacts *, n);
    g_autofree gsize *at = g_new(gsize, n + 1);
    Def def = { .check = check, .pieces = pieces, .facts = facts, .at = at, .n = n };

    if (n == 0)
        return FALSE;
    at[0] = 0;
    for (guint i = 0; i < n; i++) {
        facts[i] = pieceFacts(check, pieces[i]);
        if (!(i + 1 < n ? facts[i]->cut_inner : facts[i]->cut_last))
            return FALSE;
        at[i + 1] = at[i] + pieces[i]->len;
    }
    /* every piece but the last ends with a '\n' (a chosen cut): lines are
     * whole in pieces */
    if (at[n] > VS_XML_SUBTREE_MAX || pieces[n - 1]->text[pieces[n - 1]->len - 1] != '\n')
        return FALSE;
    def.root = lineAt(&def, 0);
    def.last = lineBefore(&def, at[n]);
    if (def.root.to >= def.last.from)
        return FALSE;
    def.root_id = spanId(&def, def.root);
    def.last_id = spanId(&def, def.last);
    return checkChildren(&def) && def.root_seen && def.metadata_parts <= 1;
}

int
vsXmlSubtreeFromPiecesChecked(vsXmlSubtree **out, vsXmlPieceCheck *check,
                              vsXmlPiece *const *pieces, guint n, GError **error)
{
    g_autoptr(vsXmlSubtree) tree = vsXmlSubtreeFromPieces(pieces, n);

    if (!checkByParts(check, pieces, n) && checkWhole(tree, check, error) < 0)
        return -1;
    /* cut as a capture cuts: hashed and compared as a capture's */
    tree->default_cut = TRUE;
    *out = g_steal_pointer(&tree);
    return 0;
}
