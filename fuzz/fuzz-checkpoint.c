/* fuzz-checkpoint.c — libFuzzer harness for vsCheckpointParse and the
 * checkpoint kind's formatting and bulk-file round trip.
 *
 * Input: one flags byte, then the document.  Bit 0 is
 * VS_CHECKPOINT_PARSE_REDEFINE; bits 1-2 pick the format flags (SECURE,
 * NO_DOMAIN).
 *
 * Oracle besides "no crash, no leak, no UB": a record parsed with REDEFINE
 * and formatted (SECURE) parses again with REDEFINE and formats to the
 * same bytes (`checkpoint-dumpxml --security-info | checkpoint-create
 * --redefine`), and, when its name is one the store accepts, a
 * <checkpoints> document holding it loads back as the same record (what a
 * commit relies on).  A violation aborts, so libFuzzer saves the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "fuzz-common.h"
#include "checkpoint/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
bulkRoundTrip(const vsCheckpoint *chk)
{
    g_autoptr(GString) doc = g_string_new("<checkpoints>\n");
    g_autoptr(GString) again = g_string_new(NULL);
    g_autoptr(GString) want = g_string_new(NULL);
    g_autoptr(vsTree) tree = NULL;
    g_autoptr(GError) error = NULL;
    const char *name = vsMomentGetName(chk);
    const char *parent = vsMomentGetParentName(chk);

    if (vsCheckpointNameCheck(name, NULL) < 0)
        return;   /* the store refuses it, and so does the loader */
    if (parent) {
        if (vsCheckpointNameCheck(parent, NULL) < 0 || strcmp(parent, name) == 0)
            return;
        g_string_append_printf(doc, "  <domaincheckpoint>\n    <name>%s</name>\n"
                                    "    <creationTime>1</creationTime>\n"
                                    "  </domaincheckpoint>\n", parent);
    }
    vsCheckpointFormatBuf(want, chk, VS_CHECKPOINT_FORMAT_SECURE, 1);
    g_string_append(doc, want->str);
    g_string_append(doc, "</checkpoints>\n");
    if (vsBulkFileParse(&tree, NULL, &vsCheckpointKind, doc->str, doc->len, "fuzz-bulk.xml",
                        NULL, &error) < 0) {
        fuzzOracleFailed("a checkpoint that parses does not load back from a bulk file: %s\n"
                         "---\n%s", error->message, doc->str);
        return;
    }
    vsCheckpointFormatBuf(again, vsTreeLookup(tree, name), VS_CHECKPOINT_FORMAT_SECURE, 1);
    if (!g_string_equal(again, want))
        fuzzOracleFailed("a checkpoint loads back from a bulk file changed:\n--- stored\n%s"
                         "--- loaded\n%s", want->str, again->str);
}

static void
roundTrip(const vsCheckpoint *chk)
{
    g_autoptr(vsCheckpoint) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *first = NULL, *second = NULL;

    if (vsCheckpointFormat(&first, chk, VS_CHECKPOINT_FORMAT_SECURE, &error) < 0)
        abort();   /* never fails for a parsed record without SIZE */
    if (vsCheckpointParse(&again, first, strlen(first), VS_CHECKPOINT_PARSE_REDEFINE, 0,
                          &error) < 0) {
        fuzzOracleFailed("our own checkpoint output does not parse: %s\n---\n%s---\n",
                         error->message, first);
        return;
    }
    if (vsCheckpointFormat(&second, again, VS_CHECKPOINT_FORMAT_SECURE, &error) < 0)
        abort();
    if (strcmp(first, second) != 0)
        fuzzOracleFailed("checkpoint format is not stable:\n--- first\n%s--- second\n%s",
                         first, second);
    bulkRoundTrip(chk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned int format_flags[] = {
        0, VS_CHECKPOINT_FORMAT_SECURE, VS_CHECKPOINT_FORMAT_NO_DOMAIN,
        VS_CHECKPOINT_FORMAT_SECURE | VS_CHECKPOINT_FORMAT_NO_DOMAIN,
    };
    g_autoptr(vsCheckpoint) chk = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    unsigned int flags;

    if (size < 1)
        return 0;
    flags = data[0] & VS_CHECKPOINT_PARSE_REDEFINE;
    if (vsCheckpointParse(&chk, (const char *) data + 1, size - 1, flags, 1700000000,
                          &error) < 0) {
        if (!error || !error->message || !*error->message)
            abort();   /* every failure says something */
        return 0;
    }
    for (guint i = 0; i < vsCheckpointGetDiskCount(chk); i++) {
        (void) vsCheckpointGetDiskName(chk, i);
        (void) vsCheckpointTypeToString(vsCheckpointGetDiskType(chk, i));
        (void) vsCheckpointGetDiskBitmap(chk, i);
    }
    if (vsCheckpointFormat(&out, chk, format_flags[(data[0] >> 1) & 3], &error) < 0)
        abort();
    if (flags & VS_CHECKPOINT_PARSE_REDEFINE)
        roundTrip(chk);
    return 0;
}
