/* fuzz-snapshot.c — libFuzzer harness for vsSnapshotParse/vsSnapshotFormat.
 *
 * Input: one flags byte, then the document.  The flags byte's low four
 * bits are the vsSnapshotParseFlags (REDEFINE, INTERNAL, OFFLINE,
 * VALIDATE); bit 4 passes a UUID to the formatter.
 *
 * Oracle besides "no crash, no leak, no UB": a record parsed with REDEFINE
 * and formatted (SECURE) must parse again with REDEFINE and format to the
 * same bytes — what `virsh snapshot-dumpxml | snapshot-create --redefine`
 * relies on — and, when its name is one create accepts, a bulk document
 * holding it must load back with the same record (what a commit relies
 * on).  A violation aborts, so libFuzzer saves the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "fuzz-common.h"
#include "snapshot/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_UUID "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"

/* The record as a bulk file stores it loads back as the same record. */
static void
bulkRoundTrip(const vsSnapshot *snap, const char *uuid)
{
    g_autoptr(GString) doc = g_string_new("<snapshots>\n");
    g_autoptr(GString) again = g_string_new(NULL);
    g_autoptr(GString) want = g_string_new(NULL);
    g_autoptr(vsTree) tree = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) error = NULL;

    const char *parent = vsMomentGetParentName(snap);

    if (vsSnapshotNameCheck(vsMomentGetName(snap), NULL) < 0)
        return;   /* create refuses it, and so does the loader */
    if (parent) {
        /* a tree holds its parent too (when it could be one) */
        if (vsSnapshotNameCheck(parent, NULL) < 0 || strcmp(parent, vsMomentGetName(snap)) == 0)
            return;
        g_string_append(doc, "  <domainsnapshot>\n    <name>");
        vsXmlEscapeText(doc, parent);
        g_string_append(doc, "</name>\n    <state>shutoff</state>\n"
                             "    <creationTime>1</creationTime>\n  </domainsnapshot>\n");
    }
    vsSnapshotFormatBuf(want, snap, uuid, VS_SNAPSHOT_FORMAT_SECURE, 1);
    g_string_append(doc, want->str);
    g_string_append(doc, "</snapshots>\n");
    if (vsBulkFileParse(&tree, NULL, &vsSnapshotKind, doc->str, doc->len, "fuzz-bulk.xml", NULL, &error) < 0) {
        fuzzOracleFailed("a record that parses does not load back from a bulk file: %s\n---\n"
                         "%s", error->message, doc->str);
        return;
    }
    if (vsTreeList(&all, tree, NULL, 0, NULL) < 0 || all->len != (parent ? 2 : 1))
        abort();
    vsSnapshotFormatBuf(again, vsTreeLookup(tree, vsMomentGetName(snap)), uuid,
                        VS_SNAPSHOT_FORMAT_SECURE, 1);
    if (!g_string_equal(again, want))
        fuzzOracleFailed("a record loads back from a bulk file changed:\n--- stored\n%s"
                         "--- loaded\n%s", want->str, again->str);
}

static void
roundTrip(const vsSnapshot *snap)
{
    g_autoptr(vsSnapshot) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *first = NULL, *second = NULL;

    if (vsSnapshotFormat(&first, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, &error) < 0) {
        fprintf(stderr, "format failed on a parsed record: %s\n", error->message);
        abort();
    }
    if (vsSnapshotParse(&again, first, strlen(first), VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL,
                        &error) < 0) {
        fuzzOracleFailed("our own output does not parse: %s\n---\n%s---\n", error->message,
                         first);
        return;
    }
    if (vsSnapshotFormat(&second, again, NULL, VS_SNAPSHOT_FORMAT_SECURE, &error) < 0)
        abort();
    if (strcmp(first, second) != 0)
        fuzzOracleFailed("format is not stable:\n--- first\n%s--- second\n%s", first, second);
    bulkRoundTrip(snap, NULL);
    bulkRoundTrip(snap, FUZZ_UUID);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(vsSnapshot) snap = NULL;
    g_autoptr(GError) error = NULL;
    unsigned int flags;
    const char *uuid;
    gboolean current = FALSE;
    static const unsigned int format_flags[] = {
        0,
        VS_SNAPSHOT_FORMAT_SECURE,
        VS_SNAPSHOT_FORMAT_SECURE | VS_SNAPSHOT_FORMAT_INTERNAL,
        VS_SNAPSHOT_FORMAT_INTERNAL | VS_SNAPSHOT_FORMAT_CURRENT,
    };

    if (size < 1)
        return 0;
    flags = data[0] & 0x0f;
    uuid = (data[0] & 0x10) ? FUZZ_UUID : NULL;
    if (vsSnapshotParse(&snap, (const char *) data + 1, size - 1, flags, 1700000000,
                        &current, &error) < 0) {
        /* Every failure must say something. */
        if (!error || !error->message || !*error->message)
            abort();
        return 0;
    }
    /* Getters on whatever parsed. */
    (void) vsMomentGetName(snap);
    (void) vsMomentGetDescription(snap);
    (void) vsMomentGetParentName(snap);
    (void) vsMomentGetCreationTime(snap);
    (void) vsSnapshotStateToString(vsSnapshotGetState(snap));
    (void) vsSnapshotGetMemoryLocation(snap);
    (void) vsSnapshotIsExternal(snap);
    (void) vsMomentHasDomain(snap);
    (void) vsSnapshotGetLocationSummary(snap);
    if (vsMomentGetName(snap)) {
        g_autoptr(GError) nerr = NULL;
        (void) vsSnapshotNameCheck(vsMomentGetName(snap), &nerr);
    }
    for (guint i = 0; i < G_N_ELEMENTS(format_flags); i++) {
        g_autofree char *out = NULL;
        g_autoptr(GError) ferr = NULL;
        if (vsSnapshotFormat(&out, snap, uuid, format_flags[i], &ferr) < 0)
            abort();  /* "Never fails for a parsed record." */
    }
    if (flags & VS_SNAPSHOT_PARSE_REDEFINE)
        roundTrip(snap);
    return 0;
}
