/* xmlsubtree-out.c — what one does with a kept subtree: write it out in
 * libvirt's style at any indent (with or without its secrets), compare it
 * with formatted bytes, and look inside it. */
#include <string.h>
#include <libxml/parser.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/xmlsubtree-private.h"

/* ------------------------------------------------------------------ */
/* Emission                                                             */

/* Writes @n bytes to @out, or compares them with @cmp, at *pos. */
static inline gboolean
emitBytes(char *out, const char *cmp, gsize cmp_len, gsize *pos, const char *bytes, gsize n)
{
    if (out)
        memcpy(out + *pos, bytes, n);
    else if (*pos + n > cmp_len || memcmp(cmp + *pos, bytes, n) != 0)
        return FALSE;
    *pos += n;
    return TRUE;
}

/* The padding a line starting at @line gets at @pad.  libvirt writes
 * <metadata> with libxml2's dump, which indents at most MAX_INDENT (60)
 * columns counted from the start of the whole document, while everything
 * else it formats is indented without a limit.  A kept subtree is
 * canonical at indent 0, where its <metadata> lines stop at column 60, so
 * at @pad a line already indented past 60 - @pad (only <metadata> nests
 * that deep in a libvirt document) stops at column 60 too. */
static inline gsize
linePad(const char *line, const char *end, gsize pad)
{
    gsize cap = VS_XML_SUBTREE_INDENT_CAP;
    gsize indent;

    /* one byte tells nearly every line apart: the deep ones have a space there */
    if (pad == 0 || pad >= cap || (gsize) (end - line) <= cap - pad || line[cap - pad] != ' ')
        return pad;
    for (indent = 0; line + indent < end && line[indent] == ' '; indent++)
        ;
    return indent > cap - pad && indent <= cap ? cap - indent : pad;
}

/* One formatting in progress: written to out (sized by the caller: at
 * most the text plus one indent per line) or compared with cmp. */
typedef struct {
    char *out;
    const char *cmp;
    gsize cmp_len;
    gsize pos;
    gsize pad;
    gboolean secure;
} Emit;

/* The padding after the '\n' at @p: for the line after it, in this chunk
 * (up to @end) or starting @next (up to @next_end); none after the last. */
static gsize
padAfter(const Emit *e, const char *p, const char *end, const char *next, const char *next_end)
{
    if (p + 1 < end)
        return linePad(p + 1, end, e->pad);
    return next && next < next_end ? linePad(next, next_end, e->pad) : 0;
}

/* One chunk [p, end).  Markers are rare, so it tracks where the next of
 * each kind is and moves whole runs (memchr, memcpy or memcmp): every
 * commit formats thousands of these.  A chunk holds whole lines and whole
 * secrets, so nothing here looks past @end but the next line's padding. */
static gboolean
emitChunk(Emit *e, const char *p, const char *end, const char *next, const char *next_end)
{
    static const char spaces[64] =
        "                                                               ";
    static const char marks[3] = { MARK_NL, MARK_SECRET_BEGIN, MARK_SECRET_END };
    const char *next_mark[3];

    for (guint k = 0; k < G_N_ELEMENTS(marks); k++) {
        next_mark[k] = memchr(p, marks[k], end - p);
        if (!next_mark[k])
            next_mark[k] = end;
    }
    while (p < end) {
        const char *stop = end;
        const char *nl;

        for (guint k = 0; k < G_N_ELEMENTS(marks); k++) {
            if (next_mark[k] < p) {
                next_mark[k] = memchr(p, marks[k], end - p);
                if (!next_mark[k])
                    next_mark[k] = end;
            }
            stop = MIN(stop, next_mark[k]);
        }
        if ((nl = memchr(p, '\n', stop - p)))
            stop = nl;
        if (!emitBytes(e->out, e->cmp, e->cmp_len, &e->pos, p, stop - p))
            return FALSE;
        p = stop;
        if (p >= end)
            break;
        switch (*p) {
        case '\n':
            if (!emitBytes(e->out, e->cmp, e->cmp_len, &e->pos, "\n", 1))
                return FALSE;
            for (gsize left = padAfter(e, p, end, next, next_end); left > 0;) {
                gsize k = MIN(left, sizeof(spaces) - 1);
                if (!emitBytes(e->out, e->cmp, e->cmp_len, &e->pos, spaces, k))
                    return FALSE;
                left -= k;
            }
            p++;
            break;
        case MARK_NL:
            if (!emitBytes(e->out, e->cmp, e->cmp_len, &e->pos, "\n", 1))
                return FALSE;
            p++;
            break;
        case MARK_SECRET_BEGIN:
            if (!e->secure) {
                const char *close = memchr(p, MARK_SECRET_END, end - p);
                p = close ? close + 1 : end;
            } else {
                p++;
            }
            break;
        default:   /* MARK_SECRET_END, or a byte that cannot be there */
            p++;
            break;
        }
    }
    return TRUE;
}

/* Chunk @i's bytes (of @n), the last one without its final newline
 * unless @final_newline. */
static void
chunkSpan(vsXmlChunk *const *chunks, guint n, guint i, gboolean final_newline,
          const char **start, const char **end)
{
    const vsXmlChunk *chunk = chunks[i];

    *start = chunk->text;
    *end = chunk->text + chunk->len;
    if (!final_newline && i + 1 == n && *end > *start && (*end)[-1] == '\n')
        (*end)--;
}

/* The one walk behind vsXmlSubtreeAppend and vsXmlSubtreeFormattedEqual:
 * the formatted subtree after its first indent (with or without its final
 * newline), either written to @out or compared with @cmp, chunk by chunk.
 * Returns its length, or -1 at the first difference from @cmp. */
static gssize
subtreeEmit(vsXmlChunk *const *chunks, guint n, guint indent_level, gboolean secure,
            gboolean final_newline, char *out, const char *cmp, gsize cmp_len)
{
    Emit e = { out, cmp, cmp_len, 0, indent_level * 2, secure };
    const char *p = NULL, *end = NULL;

    if (n > 0)
        chunkSpan(chunks, n, 0, final_newline, &p, &end);
    for (guint i = 0; i < n; i++) {
        const char *next = NULL, *next_end = NULL;

        if (i + 1 < n)
            chunkSpan(chunks, n, i + 1, final_newline, &next, &next_end);
        if (!emitChunk(&e, p, end, next, next_end))
            return -1;
        p = next;
        end = next_end;
    }
    if (!out && e.pos != cmp_len)
        return -1;
    return e.pos;
}

void
vsXmlSubtreeAppend(GString *buf, const vsXmlSubtree *tree,
                   guint indent_level, gboolean secure)
{
    guint pad = indent_level * 2;
    gsize at = buf->len;
    gssize n;

    if (tree->len == 0)
        return;
    g_string_set_size(buf, at + pad + tree->len + tree->lines * pad);
    memset(buf->str + at, ' ', pad);
    n = subtreeEmit(tree->chunks, tree->nchunks, indent_level, secure, TRUE, buf->str + at + pad,
                    NULL, 0);
    g_string_truncate(buf, at + pad + n);
}

gboolean
vsXmlSubtreeFormattedEqual(const vsXmlSubtree *tree, guint indent_level, gboolean secure,
                           const char *data, gsize len)
{
    return subtreeEmit(tree->chunks, tree->nchunks, indent_level, secure, FALSE, NULL, data, len) ==
           (gssize) len;
}

gboolean
vsXmlTextFormattedEqual(const char *text, gsize text_len, guint indent_level, const char *data,
                        gsize len)
{
    vsXmlChunk chunk = { .len = text_len, .text = text };
    vsXmlChunk *one = &chunk;

    return subtreeEmit(&one, 1, indent_level, TRUE, FALSE, NULL, data, len) == (gssize) len;
}

void
vsXmlCanonicalAppend(GString *buf, const char *text, gsize len)
{
    Emit e = { NULL, NULL, 0, 0, 0, TRUE };
    gsize at = buf->len;

    /* no padding to add (level 0) and secrets kept: at most @len bytes,
     * and no line depends on the bytes after @text */
    if (len == 0)
        return;   /* emitChunk looks for markers up to its end: not per skipped line */
    g_string_set_size(buf, at + len);
    e.out = buf->str + at;
    emitChunk(&e, text, text + len, NULL, NULL);
    g_string_truncate(buf, at + e.pos);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

/* Reverses vsXmlEscapeAttr/vsXmlEscapeTextMarked on [s, s+len). */
static char *
unescape(const char *s, gsize len)
{
    GString *out = g_string_sized_new(len);
    const char *end = s + len;

    while (s < end) {
        if (*s == '&') {
            static const struct { const char *ent; char c; } ents[] = {
                { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
                { "&quot;", '"' }, { "&apos;", '\'' }, { "&#9;", '\t' },
                { "&#10;", '\n' }, { "&#13;", '\r' },
            };
            gboolean done = FALSE;
            for (gsize i = 0; i < G_N_ELEMENTS(ents); i++) {
                gsize n = strlen(ents[i].ent);
                if ((gsize) (end - s) >= n && memcmp(s, ents[i].ent, n) == 0) {
                    g_string_append_c(out, ents[i].c);
                    s += n;
                    done = TRUE;
                    break;
                }
            }
            if (done)
                continue;
        }
        if (*s == MARK_NL)
            g_string_append_c(out, '\n');
        else if (*s != MARK_SECRET_BEGIN && *s != MARK_SECRET_END)
            g_string_append_c(out, *s);
        s++;
    }
    return g_string_free(out, FALSE);
}

char *
vsXmlSubtreeGetStartTag(const vsXmlSubtree *tree)
{
    GString *tag;

    if (tree->nchunks == 0)
        return NULL;
    tag = g_string_new(NULL);
    /* the first line, whole in the first chunk; the tag ends at its first
     * '>' (canonical attribute values escape it); the markers are not
     * written */
    for (const char *p = tree->chunks[0]->text; *p; p++) {
        if (*p != MARK_SECRET_BEGIN && *p != MARK_SECRET_END)
            g_string_append_c(tag, *p);
        if (*p == '>')
            break;
    }
    return g_string_free(tag, FALSE);
}

char *
vsXmlSubtreeGetRootAttr(const vsXmlSubtree *tree, const char *attr)
{
    const char *p = tree->chunks[0]->text;
    gsize alen = strlen(attr);

    /* the start tag is the first line (whole in the first chunk);
     * canonical attributes are " name='value'" with every ' inside value
     * escaped */
    if (tree->nchunks == 0 || *p != '<')
        return NULL;
    while (*p && *p != ' ' && *p != '>' && *p != '/' && *p != '\n')
        p++;
    while (*p == ' ' || *p == MARK_SECRET_BEGIN || *p == MARK_SECRET_END) {
        const char *name;
        const char *eq;
        const char *close;

        if (*p != ' ') {
            p++;
            continue;
        }
        name = p + 1;
        eq = strchr(name, '=');
        if (!eq || eq[1] != '\'')
            return NULL;
        close = strchr(eq + 2, '\'');
        if (!close)
            return NULL;
        if ((gsize) (eq - name) == alen && memcmp(name, attr, alen) == 0)
            return unescape(eq + 2, close - (eq + 2));
        p = close + 1;
    }
    return NULL;
}

/* Whether the depth-1 line at @line, "  <@child…", holds the element's
 * text alone: then *@text is it, unescaped.  A line is whole in its chunk. */
static gboolean
childLineText(const char *line, const char *child, char **text)
{
    g_autofree char *close = g_strdup_printf("</%s>\n", child);
    const char *content = line + 3 + strlen(child) + 1;   /* after "  <child>" */
    const char *eol = strchr(content, '\n');
    gsize clen = strlen(close);

    *text = NULL;
    if (eol && (gsize) (eol + 1 - content) >= clen &&
        memcmp(eol + 1 - clen, close, clen) == 0 &&
        !memchr(content, '<', (eol + 1 - clen) - content))
        *text = unescape(content, (eol + 1 - clen) - content);
    return *text != NULL;
}

/* The first line of @tree starting "  <@child" and a byte that ends the
 * name (a depth-1 child: deeper lines have more indent, and newlines
 * inside data are markers, never '\n'), or NULL. */
static const char *
findChildLine(const vsXmlSubtree *tree, const char *child)
{
    g_autofree char *open = g_strdup_printf("\n  <%s", child);
    gsize olen = strlen(open);

    for (guint i = 0; i < tree->nchunks; i++) {
        const char *text = tree->chunks[i]->text;
        /* a chunk after the first starts a line */
        const char *line = i > 0 && strncmp(text, open + 1, olen - 1) == 0 ? text : NULL;
        const char *p = text;

        for (;;) {
            const char *after;

            if (!line) {
                if (!(p = strstr(p, open)))
                    break;
                line = ++p;
            }
            after = line + olen - 1;
            if (*after == '>' || *after == ' ' || *after == '/')
                return line;
            line = NULL;   /* a longer name with this prefix */
        }
    }
    return NULL;
}

char *
vsXmlSubtreeGetChildText(const vsXmlSubtree *tree, const char *child)
{
    const char *line = findChildLine(tree, child);
    const vsXmlChunk *last = tree->nchunks ? tree->chunks[tree->nchunks - 1] : NULL;
    char *ret = NULL;

    /* Fast path for the text-only form; anything else goes through a real
     * parse. */
    if (line && line[3 + strlen(child)] == '>' && childLineText(line, child, &ret))
        return ret;
    /* not found: absent, unless the whole subtree is one inline line */
    if (!line && !(tree->lines == 1 && last && last->len > 0 && last->text[last->len - 1] == '\n'))
        return NULL;

    {
        xmlDocPtr doc = vsXmlSubtreeToDoc(tree, NULL);
        xmlNodePtr root;

        if (!doc)
            return NULL;
        root = xmlDocGetRootElement(doc);
        for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
            if (vsXmlIsElement(c, child)) {
                xmlChar *s = xmlNodeGetContent(c);
                ret = g_strdup(s ? (const char *) s : "");
                xmlFree(s);
                break;
            }
        }
        xmlFreeDoc(doc);
        return ret;
    }
}

xmlDocPtr
vsXmlSubtreeToDoc(const vsXmlSubtree *tree, GError **error)
{
    g_autoptr(GString) xml = g_string_sized_new(tree->len + 64);
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc;

    vsXmlSubtreeAppend(xml, tree, 0, TRUE);
    doc = vsXmlReadMemory(xml->str, xml->len, "(subtree)", VS_XML_READ_NOBLANKS, &problem);
    /* Only a subtree whose formatting passes one of libxml2's limits (a
     * start tag grown past 10,000,000 bytes by escaping, say) gets here. */
    if (!doc)
        vsErr(error, VS_ERROR_INVALID, "XML error: formatted as it would be stored, a <%.*s> "
              "element does not parse again (%s)", (int) strcspn(tree->chunks[0]->text + 1, " />\n"),
              tree->chunks[0]->text + 1, problem.message ? problem.message : "not well-formed");
    vsXmlProblemClear(&problem);
    return doc;
}


/* ------------------------------------------------------------------ */
/* Formatting along a path                                              */

/* The indent of the line at @line (before its '\n' at @eol), past the
 * secret markers a line may start with; *@tag: its first byte after it. */
static gsize
lineIndent(const char *line, const char *eol, const char **tag)
{
    const char *p = line;
    const char *spaces;

    while (p < eol && (*p == MARK_SECRET_BEGIN || *p == MARK_SECRET_END))
        p++;
    for (spaces = p; p < eol && *p == ' '; p++)
        ;
    *tag = p;
    return p - spaces;
}

/* Whether [tag, eol) starts element @name (no prefix: "<name" then a byte
 * that ends a name). */
static gboolean
lineOpens(const char *tag, const char *eol, const char *name)
{
    gsize n = strlen(name);

    return (gsize) (eol - tag) > n + 1 && tag[0] == '<' && memcmp(tag + 1, name, n) == 0 &&
           strchr(" />", tag[n + 1]) != NULL;
}

/* Whether the start tag on [tag, eol) is alone on its line, its children
 * on the lines after it: neither self-closed nor closed on the line ('<'
 * is escaped in data and attribute values, so "</" is an end tag). */
static gboolean
lineOpensBlock(const char *tag, const char *eol)
{
    gsize n = eol - tag;

    return !(n >= 2 && tag[n - 2] == '/' && tag[n - 1] == '>') &&
           !g_strstr_len(tag, n, "</");
}

/* The walk down @path: depth is how many of its elements enclose the line;
 * the last one's lines are all kept. */
typedef struct {
    const char *const *path;
    gsize levels;
    gsize depth;
} PathWalk;

/* Whether the line after the first is kept, the walk moved past it.  Its
 * depth in the tree is its indent / 2 (outside <metadata>, whose lines are
 * all deeper than its own while it is open: xmlsubtree-metadata.c). */
static gboolean
pathKeepsLine(PathWalk *w, const char *line, const char *eol)
{
    const char *tag;
    gsize indent = lineIndent(line, eol, &tag);
    gboolean closes = eol - tag >= 2 && tag[1] == '/';

    if (indent == 0)
        return TRUE;   /* the root's end tag */
    if (w->depth == w->levels) {
        if (indent == 2 * w->depth && closes)
            w->depth--;
        return TRUE;
    }
    if (w->depth > 0 && indent == 2 * w->depth && closes) {
        w->depth--;
        return TRUE;
    }
    if (indent == 2 * (w->depth + 1) && lineOpens(tag, eol, w->path[w->depth])) {
        if (lineOpensBlock(tag, eol))
            w->depth++;
        return TRUE;
    }
    return FALSE;
}

void
vsXmlSubtreeAppendPath(GString *buf, const vsXmlSubtree *tree, const char *const *path)
{
    PathWalk walk = { path, g_strv_length((char **) path), 0 };
    gboolean first = TRUE;

    for (guint i = 0; i < tree->nchunks; i++) {
        const char *p = tree->chunks[i]->text;
        const char *end = p + tree->chunks[i]->len;
        const char *kept = p;   /* the start of the kept lines not yet appended */

        while (p < end) {
            const char *eol = memchr(p, '\n', end - p);
            const char *next = eol ? eol + 1 : end;

            if (!eol)
                eol = end;
            if (!first && !pathKeepsLine(&walk, p, eol)) {
                vsXmlCanonicalAppend(buf, kept, p - kept);
                kept = next;
            }
            first = FALSE;
            p = next;
        }
        vsXmlCanonicalAppend(buf, kept, end - kept);
    }
}
