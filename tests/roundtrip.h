/* roundtrip.h — the round-trip property test (test-roundtrip.c), shared by
 * its halves: the run, the alphabet and document generators
 * (roundtrip-gen.c), and one descriptor per kind of moment
 * (roundtrip-snapshot.c, roundtrip-checkpoint.c). */
#pragma once

#include <glib.h>

#include "virtsnap/virtsnap.h"

#define RT_UUID "5f0c1a4e-2b7d-4c1e-9a8f-3d6e0b1c2a49"

typedef struct _RtKind RtKind;

typedef struct {
    const RtKind *kind;
    GRand *rand;
    guint32 seed;
    guint step;
    const char *op;        /* what the current step does, for failures */
    gboolean in_batch;     /* the step is an operation inside a batch */
    char *dir;
    vsStore *store;
    vsDomain *dom;         /* the write handle that commits */
    vsCompression mode;
    guint tried, committed;
} Run;

/* What the driver needs of a kind of moment. */
struct _RtKind {
    const char *name;      /* "snapshots", for messages and test paths */
    int (*load)(vsDomain **out, vsStore *store, const char *vm, const char *uuid,
                unsigned int flags, GError **error);
    gboolean stores_current;   /* else libvirt derives it at load */
    /* One random change through the public API (sets run->op). */
    int (*change)(Run *run, GError **error);
    /* The record's own fields, one line, then its formatted XML. */
    void (*describe)(GString *out, const vsDomain *dom, const vsMoment *moment);
    /* The kind's delete flags, which rtOpDelete combines every way. */
    unsigned int delete_children, delete_children_only, delete_metadata_only;
};

extern const RtKind rtSnapshotKind;
extern const RtKind rtCheckpointKind;

/* How a run's store writes, as test names and failures say it: "plain",
 * "compressed" (zstd) or "pieces". */
const char *rtModeName(vsCompression mode);
void rtFail(const Run *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3) G_GNUC_NORETURN;
guint rtPick(Run *run, guint n);
gboolean rtChance(Run *run, guint percent);

/* The alphabet, spelled every way XML allows (roundtrip-gen.c). */
void rtSpell(Run *run, GString *xml, gunichar c, gboolean attr);
void rtSpellString(Run *run, GString *xml, const char *utf8, gboolean attr);
void rtRandomName(Run *run, GString *xml, GString *plain);
void rtRandomText(Run *run, GString *xml, guint max);
void rtRandomAttr(Run *run, GString *xml, const char *name, guint max);

/* Documents.  @schema: the <domain> must also pass libvirt's domain.rng
 * (a checkpoint's is validated), so odd content goes where it allows:
 * <description>, <metadata>, attribute values. */
void rtRandomDomain(Run *run, GString *xml, gboolean schema);
void rtAppendTime(Run *run, GString *xml);
const char *rtExistingName(Run *run);
void rtAppendParent(Run *run, GString *xml, void (*odd_name)(Run *, GString *, GString *));

/* Operations every kind has (test-roundtrip.c). */
int rtOpDelete(Run *run, GError **error);
