/* fuzz-bulkfile.c — libFuzzer harness for vsBulkFileParse (plain input;
 * an input that starts with the zstd magic takes the decoder path).
 *
 * Oracle: a document that loads must format, load again, and format to
 * the same bytes with the same snapshot count (the bulk file is rewritten
 * from the tree on every commit, so this is what keeps a store stable). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/bulkfile.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzzBulkCheck((const char *) data, size);
    return 0;
}
