/* gen-core.h — synthetic snapshot stores for the benchmarks (bench only).
 *
 * Shared by virtsnap-bench-gen (its command line) and virtsnap-bench (which
 * generates its cases in a child process).  Uses only the public API. */
#pragma once

#include <glib.h>

#include "virtsnap/virtsnap.h"

typedef enum {
    BENCH_SHAPE_CHAIN,   /* s00000 <- s00001 <- ... */
    BENCH_SHAPE_WIDE,    /* s00000 is the parent of every other snapshot */
    BENCH_SHAPE_RANDOM,  /* parent uniform among the earlier snapshots */
} BenchShape;

typedef enum {
    BENCH_LAYOUT_BULK = 1 << 0,    /* DIR/<vm>.xml */
    BENCH_LAYOUT_LEGACY = 1 << 1,  /* DIR/<vm>/<snap>.xml, as libvirt 9.0 writes it */
} BenchLayout;

typedef struct {
    guint snapshots;
    BenchShape shape;
    guint32 seed;
    gsize domain_size;   /* 0: the model domain as it is (~8 KB) */
    guint vary;          /* percent of snapshots whose domain differs from the parent's */
    vsCompression compression;   /* NONE: the generated plain file, no setting;
                                  * else the library rewrites it in this mode,
                                  * and it becomes the store's setting */
    unsigned int layout; /* BenchLayout bits */
    const char *out;
    const char *vm;
    gboolean quiet;
} BenchGenOptions;

void benchGenOptionsInit(BenchGenOptions *opts);
int benchShapeFromString(const char *str);
const char *benchShapeToString(BenchShape shape);
/* "none", "zstd" or "pieces" (vsCompression), or -1. */
int benchCompressionFromString(const char *str);

/* Writes the store and validates it by loading it once through the library
 * (count, current and, for the bulk file, byte equality with the library's
 * own formatting).  Returns 0 or -1 with @error set. */
int benchGenerate(const BenchGenOptions *opts, GError **error);

/* The benchmark's VM UUID (fixed, so every generated store agrees). */
#define BENCH_UUID "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"

/* Name of snapshot @i ("s00042"); g_free. */
char *benchSnapshotName(guint i);

/* The <domain> document (indent level 0) the generator uses for a
 * snapshot with no hot-plugged devices; for the runner's plain creates. */
char *benchDomainXML(const BenchGenOptions *opts);

/* A complete <domainsnapshot> (public form, with <domain>) named @name,
 * child of @parent (nullable), for the runner's redefine. */
char *benchSnapshotXML(const BenchGenOptions *opts, const char *name,
                       const char *parent, gint64 creation_time);
/* The same with a NIC of id @nic_id (0: none) hot-plugged in the first
 * slot: a domain no generated snapshot has when @nic_id is above
 * BENCH_FRESH_NIC_ID. */
#define BENCH_FRESH_NIC_ID 0xF00000u
char *benchSnapshotXMLHotplug(const BenchGenOptions *opts, const char *name,
                              const char *parent, gint64 creation_time, guint32 nic_id);

/* Called by benchForEachRecord with one snapshot of the store: its name,
 * its parent's (NULL for the root) and its public <domainsnapshot> (with
 * <domain>, indent level 0), exactly the record the bulk file holds. */
typedef int (*BenchRecordFunc)(const char *name, const char *parent, const char *xml,
                               gsize len, gpointer data, GError **error);

/* Hands every snapshot benchGenerate would write for @opts to @fn, parents
 * first (the bulk file's order), so another store (libvirt's, for the
 * peer benchmark) can be given the same records.  Stops at @fn's first
 * error. */
int benchForEachRecord(const BenchGenOptions *opts, BenchRecordFunc fn, gpointer data,
                       GError **error);
