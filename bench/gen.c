/* gen.c — virtsnap-bench-gen: write a synthetic store for one VM.
 *
 *   virtsnap-bench-gen --out DIR [--vm NAME] [--snapshots N]
 *       [--shape chain|wide|random] [--seed S] [--domain-size BYTES]
 *       [--vary PERCENT] [--compression none|zstd|pieces | --compress]
 *       [--legacy | --layout bulk|legacy|both]
 *
 * See bench/README.md. */
#include <stdio.h>
#include <stdlib.h>

#include "virtsnap/virtsnap.h"
#include "gen-core.h"

int
main(int argc, char **argv)
{
    BenchGenOptions opts;
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    gint snapshots = 1000, seed = 1, vary = 10;
    gint64 domain_size = 0;
    g_autofree char *shape = NULL, *layout = NULL, *out = NULL, *vm = NULL;
    g_autofree char *compression = NULL;
    gboolean compress = FALSE, legacy = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        { "snapshots", 'n', 0, G_OPTION_ARG_INT, &snapshots, "Number of snapshots (1000)", "N" },
        { "shape", 0, 0, G_OPTION_ARG_STRING, &shape, "chain, wide or random (chain)", "SHAPE" },
        { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed for random choices (1)", "S" },
        { "domain-size", 0, 0, G_OPTION_ARG_INT64, &domain_size,
          "Pad each <domain> to about BYTES (default: the ~8 KB model as is)", "BYTES" },
        { "vary", 0, 0, G_OPTION_ARG_INT, &vary,
          "Percent of snapshots whose domain differs from the parent's (10)", "PERCENT" },
        { "compression", 0, 0, G_OPTION_ARG_STRING, &compression,
          "none, zstd or pieces: the bulk file's format, and the store's setting (none)",
          "MODE" },
        { "compress", 0, 0, G_OPTION_ARG_NONE, &compress, "= --compression zstd", NULL },
        { "legacy", 0, 0, G_OPTION_ARG_NONE, &legacy,
          "Write libvirt's per-file layout DIR/<vm>/ instead (= --layout legacy)", NULL },
        { "layout", 0, 0, G_OPTION_ARG_STRING, &layout, "bulk, legacy or both (bulk)", "L" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Store directory (required)", "DIR" },
        { "vm", 0, 0, G_OPTION_ARG_STRING, &vm, "VM name (vm1)", "NAME" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No notes on stderr", NULL },
        G_OPTION_ENTRY_NULL
    };

    benchGenOptionsInit(&opts);
    ctx = g_option_context_new("- generate a snapshot store for the benchmarks");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        goto fail;
    if (argc > 1 || !out) {
        g_set_error(&error, VS_ERROR, VS_ERROR_INVALID,
                    argc > 1 ? "unexpected argument '%s'" : "--out DIR is required",
                    argc > 1 ? argv[1] : "");
        goto fail;
    }
    if (snapshots < 1 || vary < 0 || vary > 100 || domain_size < 0) {
        g_set_error(&error, VS_ERROR, VS_ERROR_INVALID,
                    "--snapshots must be >= 1, --vary 0..100, --domain-size >= 0");
        goto fail;
    }
    opts.snapshots = snapshots;
    opts.seed = (guint32) seed;
    opts.vary = vary;
    opts.domain_size = domain_size;
    if (compression) {
        int mode = benchCompressionFromString(compression);
        if (mode < 0 || (compress && mode != VS_COMPRESSION_ZSTD)) {
            g_set_error(&error, VS_ERROR, VS_ERROR_INVALID,
                        mode < 0 ? "unknown compression '%s'"
                                 : "--compress contradicts --compression %s", compression);
            goto fail;
        }
        opts.compression = mode;
    } else if (compress) {
        opts.compression = VS_COMPRESSION_ZSTD;
    }
    opts.quiet = quiet;
    opts.out = out;
    if (vm)
        opts.vm = vm;
    if (shape) {
        int s = benchShapeFromString(shape);
        if (s < 0) {
            g_set_error(&error, VS_ERROR, VS_ERROR_INVALID, "unknown shape '%s'", shape);
            goto fail;
        }
        opts.shape = s;
    }
    if (legacy)
        opts.layout = BENCH_LAYOUT_LEGACY;
    if (layout) {
        if (g_str_equal(layout, "bulk")) {
            opts.layout = BENCH_LAYOUT_BULK;
        } else if (g_str_equal(layout, "legacy")) {
            opts.layout = BENCH_LAYOUT_LEGACY;
        } else if (g_str_equal(layout, "both")) {
            opts.layout = BENCH_LAYOUT_BULK | BENCH_LAYOUT_LEGACY;
        } else {
            g_set_error(&error, VS_ERROR, VS_ERROR_INVALID, "unknown layout '%s'", layout);
            goto fail;
        }
    }
    if (vsDomainNameCheck(opts.vm, &error) < 0 || benchGenerate(&opts, &error) < 0)
        goto fail;
    return EXIT_SUCCESS;

 fail:
    g_printerr("virtsnap-bench-gen: %s\n", error->message);
    return EXIT_FAILURE;
}
