/* output.c — what the CLI writes: messages on stderr (error, warning,
 * note), command output on stdout, virsh's table and tree layouts, times,
 * and --json. */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* Messages and command output                                          */

static void
vsCliStderrLine(const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    fflush(stdout);
    fprintf(stderr, "%s: %s\n", prefix, msg);
    fflush(stderr);
}

void
vsCliError(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsCliStderrLine("error", fmt, ap);
    va_end(ap);
}

void
vsCliWarning(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsCliStderrLine("warning", fmt, ap);
    va_end(ap);
}

void
vsCliNote(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsCliStderrLine("note", fmt, ap);
    va_end(ap);
}

void
vsCliReportGError(vsCli *cli, const GError *err)
{
    vsCliError(cli, "%s", err ? err->message : "unknown error");
}

void
vsCliNoteMovedAside(vsCli *cli, const char *vm, const char *aside)
{
    if (!aside)
        return;
    vsCliNote(cli, "VM '%s' has no snapshot file here any more, so its legacy "
              "directory (libvirt's layout) was moved to %s/; left in place it would have "
              "given VM '%s' those snapshots back", vm, aside, vm);
}

void
vsCliPrint(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

void
vsCliPrintExtra(vsCli *cli, const char *fmt, ...)
{
    va_list ap;

    if (cli->quiet)
        return;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Tables (virsh's vsh-table layout)                                    */

struct _vsCliTable {
    guint ncols;
    GPtrArray *rows;     /* of char ** (ncols cells); row 0 is the header */
};

vsCliTable *
vsCliTableNew(guint ncols, const char *const *header)
{
    vsCliTable *table = g_new0(vsCliTable, 1);

    table->ncols = ncols;
    table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    vsCliTableAddRow(table, header);
    return table;
}

void
vsCliTableAddRow(vsCliTable *table, const char *const *cells)
{
    char **row = g_new0(char *, table->ncols + 1);

    for (guint i = 0; i < table->ncols; i++)
        row[i] = g_strdup(cells[i] ? cells[i] : "");
    g_ptr_array_add(table->rows, row);
}

void
vsCliTableFree(vsCliTable *table)
{
    if (!table)
        return;
    g_ptr_array_unref(table->rows);
    g_free(table);
}

static void
vsCliHexByte(GString *out, char c)
{
    /* virsh formats the (signed) char with "%02x" into 5 bytes, so every
     * byte >= 0x80 comes out as "\xff"; keep its bytes. */
    if ((unsigned char)c >= 0x80)
        g_string_append(out, "\\xff");
    else
        g_string_append_printf(out, "\\x%02x", (unsigned char)c);
}

/* Control and non-printable characters become \xNN, as does a literal
 * "\x" (so the output is unambiguous); *width is the display width. */
static char *
vsCliSafeEncode(const char *s, gsize *width)
{
    GString *out = g_string_new(NULL);
    const char *p = s;
    mbstate_t st;

    memset(&st, 0, sizeof(st));
    *width = 0;
    while (*p) {
        wchar_t wc;
        size_t len;

        if ((p[0] == '\\' && p[1] == 'x') || g_ascii_iscntrl(*p)) {
            vsCliHexByte(out, *p++);
            *width += 4;
            continue;
        }
        len = mbrtowc(&wc, p, MB_CUR_MAX, &st);
        if (len == 0)
            break;
        if (len == (size_t)-1 || len == (size_t)-2) {
            memset(&st, 0, sizeof(st));
            if (g_ascii_isprint(*p)) {
                g_string_append_c(out, *p);
                *width += 1;
            } else {
                vsCliHexByte(out, *p);
                *width += 4;
            }
            p++;
        } else if (!iswprint(wc)) {
            for (size_t i = 0; i < len; i++) {
                vsCliHexByte(out, p[i]);
                *width += 4;
            }
            p += len;
        } else {
            int w = wcwidth(wc);

            g_string_append_len(out, p, len);
            *width += w > 0 ? (gsize)w : 0;
            p += len;
        }
    }
    return g_string_free(out, FALSE);
}

char *
vsCliTableFormat(vsCliTable *table, gboolean header)
{
    GString *out = g_string_new(NULL);
    g_autofree gsize *maxw = g_new0(gsize, table->ncols);
    g_autofree gsize *widths = g_new0(gsize, (gsize)table->rows->len * table->ncols);
    g_autoptr(GPtrArray) enc = g_ptr_array_new_with_free_func(g_free);

    for (guint r = 0; r < table->rows->len; r++) {
        char **row = g_ptr_array_index(table->rows, r);

        for (guint c = 0; c < table->ncols; c++) {
            gsize w;

            g_ptr_array_add(enc, vsCliSafeEncode(row[c], &w));
            widths[r * table->ncols + c] = w;
            /* Without the header, its width does not count. */
            if ((r > 0 || header) && w > maxw[c])
                maxw[c] = w;
        }
    }

    for (guint r = header ? 0 : 1; r < table->rows->len; r++) {
        for (guint c = 0; c < table->ncols; c++) {
            g_string_append_c(out, ' ');
            g_string_append(out, g_ptr_array_index(enc, r * table->ncols + c));
            if (c + 1 < table->ncols) {
                gsize pad = maxw[c] - widths[r * table->ncols + c] + 2;
                for (gsize i = 0; i < pad; i++)
                    g_string_append_c(out, ' ');
            }
        }
        g_string_append_c(out, '\n');
        if (r == 0) {
            for (guint c = 0; c < table->ncols; c++) {
                for (gsize i = 0; i < maxw[c] + 3; i++)
                    g_string_append_c(out, '-');
            }
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Trees (virsh's vshTreePrint)                                         */

typedef struct {
    guint node;
    int last;             /* the last child of the node's parent (the root: itself) */
    gboolean root;
    int lastchild;        /* this node's last child, or -1 */
    int child;            /* the next child to print, or -1 */
} TreeFrame;

/* Prints one line: the indent, then @a and @b. */
static void
treeLine(vsCli *cli, const GString *indent, const char *a, const char *b)
{
    vsCliPrint(cli, "%s%s%s\n", indent->str, a, b);
}

/* Leaving @f: its spacer line, and its share of the indent. */
static void
treeLeave(vsCli *cli, GString *indent, const TreeFrame *f)
{
    g_string_truncate(indent, indent->len - 2);
    /* A leaf that closes its parent's list gets a spacer line. */
    if (f->lastchild < 0 && f->last == (int) f->node)
        treeLine(cli, indent, "", "");
    if (!f->root)
        g_string_truncate(indent, indent->len - 2);
}

/* virsh's vshTreePrint, line by line: O(entries + output), the memory of
 * one line and the depth, and no recursion (a chain of any length). */
void
vsCliTreePrint(vsCli *cli, const char *const *names, const int *parents, guint n, guint root)
{
    g_autoptr(GString) indent = g_string_new(NULL);
    g_autofree int *first = g_new(int, n);
    g_autofree int *next = g_new(int, n);
    g_autofree int *lastc = g_new(int, n);
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(TreeFrame));
    TreeFrame top = { root, root, TRUE, -1, -1 };

    for (guint i = 0; i < n; i++)
        first[i] = next[i] = lastc[i] = -1;
    for (guint i = n; i-- > 0;) {
        if (parents[i] >= 0) {
            next[i] = first[parents[i]];
            first[parents[i]] = i;
            if (lastc[parents[i]] < 0)
                lastc[parents[i]] = i;
        }
    }
    g_array_append_val(stack, top);
    for (gboolean enter = TRUE; stack->len > 0;) {
        TreeFrame *f = &g_array_index(stack, TreeFrame, stack->len - 1);

        if (enter) {
            treeLine(cli, indent, f->root ? "" : "+- ", names[f->node]);
            if (!f->root)
                g_string_append(indent, f->last == (int) f->node ? "  " : "| ");
            f->lastchild = lastc[f->node];
            f->child = first[f->node];
            if (f->lastchild >= 0)
                treeLine(cli, indent, "  |", "");
            g_string_append(indent, "  ");
        }
        if (f->child >= 0) {
            TreeFrame sub = { f->child, f->lastchild, FALSE, -1, -1 };

            f->child = next[f->child];
            g_array_append_val(stack, sub);
            enter = TRUE;
            continue;
        }
        treeLeave(cli, indent, f);
        g_array_set_size(stack, stack->len - 1);
        enter = FALSE;
    }
}

/* ------------------------------------------------------------------ */
/* Times                                                                */

char *
vsCliFormatTime(gint64 when)
{
    time_t t = (time_t)when;
    struct tm tm;
    char buf[128];

    if ((gint64)t != when || !localtime_r(&t, &tm) ||
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT, when);
    return g_strdup(buf);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

void
vsCliJsonString(GString *out, const char *str)
{
    if (!str) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            /* UTF-8 passes through; JSON forbids raw control characters. */
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, *p);
        }
    }
    g_string_append_c(out, '"');
}

void
vsCliJsonSnapshot(GString *out, const vsDomain *dom, const vsSnapshot *snap,
                  guint indent)
{
    g_autofree char *pad = g_strnfill(indent, ' ');
    const vsSnapshot *cur = vsDomainGetCurrent(dom, NULL);
    const char *state = vsSnapshotStateToString(vsSnapshotGetState(snap));

    g_string_append_printf(out, "%s{\n%s  \"name\": ", pad, pad);
    vsCliJsonString(out, vsMomentGetName(snap));
    g_string_append_printf(out, ",\n%s  \"parent\": ", pad);
    vsCliJsonString(out, vsMomentGetParentName(snap));
    g_string_append_printf(out, ",\n%s  \"state\": ", pad);
    vsCliJsonString(out, state);
    g_string_append_printf(out, ",\n%s  \"creationTime\": %" G_GINT64_FORMAT,
                           pad, vsMomentGetCreationTime(snap));
    g_string_append_printf(out, ",\n%s  \"current\": %s", pad,
                           cur && g_strcmp0(vsMomentGetName(cur),
                                            vsMomentGetName(snap)) == 0
                           ? "true" : "false");
    g_string_append_printf(out, ",\n%s  \"location\": ", pad);
    vsCliJsonString(out, vsSnapshotGetLocationSummary(snap));
    g_string_append_printf(out, ",\n%s  \"children\": %u", pad,
                           vsDomainCountChildren(dom, snap));
    g_string_append_printf(out, ",\n%s  \"descendants\": %u", pad,
                           vsDomainCountDescendants(dom, snap));
    g_string_append_printf(out, ",\n%s  \"description\": ", pad);
    vsCliJsonString(out, vsMomentGetDescription(snap));
    g_string_append_printf(out, "\n%s}", pad);
}

/* virsh's vshStrcasecmp: ASCII case folding, bytes compared unsigned. */
gint
vsCliCompareMomentNames(gconstpointer a, gconstpointer b)
{
    const vsMoment *sa = *(const vsMoment *const *)a;
    const vsMoment *sb = *(const vsMoment *const *)b;

    return g_ascii_strcasecmp(vsMomentGetName(sa), vsMomentGetName(sb));
}

/* --tree: every entry whose parent is not listed starts a tree; @start
 * (--from) is printed as the root of what is listed below it. */
void
vsCliPrintMomentTree(vsCli *cli, GPtrArray *list, const vsMoment *start)
{
    g_autofree const char **names = g_new0(const char *, list->len + 1);
    g_autofree int *parents = g_new0(int, list->len + 1);
    g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < list->len; i++) {
        names[i] = vsMomentGetName(g_ptr_array_index(list, i));
        g_hash_table_insert(index, (gpointer)names[i], GUINT_TO_POINTER(i + 1));
    }
    for (guint i = 0; i < list->len; i++) {
        const vsMoment *s = g_ptr_array_index(list, i);
        const char *pname = s == start ? NULL : vsMomentGetParentName(s);
        gpointer hit = pname ? g_hash_table_lookup(index, pname) : NULL;

        /* A parent outside the list (or none) makes no tree root,
         * except for a true root: virsh prints only those. */
        parents[i] = pname ? (hit ? (int)GPOINTER_TO_UINT(hit) - 1 : -2) : -1;
    }
    for (guint i = 0; i < list->len; i++) {
        if (parents[i] == -1)
            vsCliTreePrint(cli, names, parents, list->len, i);
    }
}
