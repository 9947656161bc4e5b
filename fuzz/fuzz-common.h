/* fuzz-common.h — shared checks for the bulk-file harnesses. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkfile.h"

/* Keeps one input's decompressed document small enough for the fuzzer's
 * memory limit while still far above any interesting input. */
#define FUZZ_BULK_MAX (16 * 1024 * 1024)

/* Parses @data; when it loads, format -> parse -> format must be stable. */
static inline void
fuzzBulkCheck(const char *data, size_t size)
{
    vsBulkReadOptions opts = { .max_bytes = FUZZ_BULK_MAX };
    g_autoptr(vsTree) tree = NULL, again = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) first = g_string_new(NULL);
    g_autoptr(GString) second = g_string_new(NULL);

    if (vsBulkFileParse(&tree, data, size, "fuzz.xml", &opts, &error) < 0) {
        if (!error || !error->message || !*error->message)
            abort();
        return;
    }
    vsBulkFileFormat(first, tree, NULL);
    if (vsBulkFileParse(&again, first->str, first->len, "fuzz-formatted.xml", NULL,
                        &error) < 0) {
        fprintf(stderr, "our own bulk output does not load: %s\n", error->message);
        abort();
    }
    if (vsTreeCount(again) != vsTreeCount(tree)) {
        fprintf(stderr, "reload changed the count: %u -> %u\n", vsTreeCount(tree),
                vsTreeCount(again));
        abort();
    }
    vsBulkFileFormat(second, again, NULL);
    if (!g_string_equal(first, second)) {
        fprintf(stderr, "bulk format is not stable:\n--- first\n%s--- second\n%s",
                first->str, second->str);
        abort();
    }
}
