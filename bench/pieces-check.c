/* pieces-check.c — what checking a generated store's distinct <domain>s
 * as pieces costs (format 3's load), by parts or whole.
 *
 *   virtsnap-bench-pieces-check [--whole] [--snapshots N] [--domain-size B] [--vary P]
 *
 * The records are benchForEachRecord's (the generator's, exactly what its
 * bulk file holds); each distinct <domain> is captured once, then its
 * pieces checked through one vsXmlPieceCheck, as a load resolves them.
 * Prints the CPU seconds of the checks alone; for instructions, run it
 * under callgrind with --toggle-collect=checkAll.  Links the internals. */
#include <string.h>
#include <sys/resource.h>
#include <libxml/parser.h>

#include "gen-core.h"
#include "record/xmlsubtree-private.h"
#include "util/xmltext.h"

typedef struct {
    GHashTable *seen;   /* vsXmlSubtree*, a set by content */
    GPtrArray *distinct;
} Collect;

static int
collectDomain(const char *name, const char *parent, const char *xml, gsize len,
              gpointer data, GError **error)
{
    Collect *c = data;
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, len, name, VS_XML_READ_NOBLANKS, &problem);
    xmlNodePtr domain;
    vsXmlSubtree *tree = NULL;

    vsXmlProblemClear(&problem);
    if (!doc || !(domain = vsXmlFirstChild(xmlDocGetRootElement(doc), "domain")) ||
        vsXmlSubtreeFromNode(&tree, domain, error) < 0) {
        if (doc)
            xmlFreeDoc(doc);
        g_prefix_error(error, "%s: ", name);
        return -1;
    }
    xmlFreeDoc(doc);
    if (g_hash_table_contains(c->seen, tree)) {
        vsXmlSubtreeUnref(tree);
        return 0;
    }
    g_hash_table_add(c->seen, tree);
    g_ptr_array_add(c->distinct, tree);
    return 0;
}

static double
cpuSeconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Every distinct definition's pieces, checked. */
G_GNUC_NO_INLINE static int
checkAll(GPtrArray *distinct, gboolean whole, vsXmlPieceCheck *check, GError **error)
{
    for (guint i = 0; i < distinct->len; i++) {
        const vsXmlSubtree *tree = distinct->pdata[i];
        g_autoptr(vsXmlSubtree) back = NULL;

        if (whole ? vsXmlPiecesCheckWhole(tree->chunks, tree->nchunks, error) < 0
                  : vsXmlSubtreeFromPiecesChecked(&back, check, tree->chunks, tree->nchunks,
                                                  error) < 0)
            return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    BenchGenOptions opts;
    gboolean whole = FALSE;
    gint snapshots = 256, vary = 10;
    gint64 domain_size = 4194304;
    GOptionEntry entries[] = {
        { "whole", 0, 0, G_OPTION_ARG_NONE, &whole, "the whole check (format, parse, capture)", NULL },
        { "snapshots", 0, 0, G_OPTION_ARG_INT, &snapshots, "records", "N" },
        { "domain-size", 0, 0, G_OPTION_ARG_INT64, &domain_size, "bytes of each <domain>", "B" },
        { "vary", 0, 0, G_OPTION_ARG_INT, &vary, "percent of records with a hot-plug", "P" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(vsXmlPieceCheck) check = vsXmlPieceCheckNew();
    Collect c = { g_hash_table_new((GHashFunc) vsXmlSubtreeHash, (GEqualFunc) vsXmlSubtreeEqual),
                  g_ptr_array_new_with_free_func((GDestroyNotify) vsXmlSubtreeUnref) };
    gsize bytes = 0;
    double cpu;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("%s\n", error->message);
        return 2;
    }
    benchGenOptionsInit(&opts);
    opts.snapshots = snapshots;
    opts.domain_size = domain_size;
    opts.vary = vary;
    if (benchForEachRecord(&opts, collectDomain, &c, &error) < 0) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    for (guint i = 0; i < c.distinct->len; i++)
        bytes += vsXmlSubtreeGetLength(c.distinct->pdata[i]);
    cpu = cpuSeconds();
    if (checkAll(c.distinct, whole, check, &error) < 0) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    cpu = cpuSeconds() - cpu;
    g_print("%s: %u distinct definitions, %zu bytes, %.3f CPU s, %u parses, %u whole\n",
            whole ? "whole" : "parts", c.distinct->len, bytes, cpu,
            whole ? c.distinct->len : vsXmlPieceCheckGetParseCount(check),
            whole ? c.distinct->len : vsXmlPieceCheckGetWholeCount(check));
    g_hash_table_unref(c.seen);
    g_ptr_array_unref(c.distinct);
    return 0;
}
