/* test-roundtrip.c — any tree a command accepts and commits loads back as
 * the same tree (issue 11), for snapshots and checkpoints.
 *
 * A property test through the public API only: seeded random sequences of
 * operations on a compressed and a plain store, per kind of moment
 * (roundtrip-snapshot.c, roundtrip-checkpoint.c: plain creates, redefines
 * of new and existing records with random parents and shared and extreme
 * creation times, set current for snapshots), plus what both kinds share
 * (here): deletes with every flag shape, delete-all, and batches of those
 * that are committed or rolled back.  Input is drawn from the whole
 * alphabet the parsers accept, spelled through character references and
 * entities (roundtrip-gen.c): names with TAB, XML specials, multi-byte
 * UTF-8, 247 bytes, dots; descriptions with CR, LF, TAB, "]]>";
 * <domain>s with TAB/LF/CR in attributes, namespaced <metadata>, CDATA,
 * comments, and nesting up to and past the limit.
 * After EVERY operation that succeeds, the VM is loaded again from disk
 * with a fresh store handle and compared with the handle that committed:
 * the formatted trees byte for byte, every record's fields and formatted
 * XML, parents, order, count, and the current record — for checkpoints,
 * whose current one libvirt does not store, the one it derives at load
 * (the single leaf).  A refused operation, and a rolled-back batch, must
 * leave the handle and the file as they were.
 *
 *   VIRTSNAP_ROUNDTRIP_SEED=N    replay one sequence (the seed is printed)
 *   VIRTSNAP_ROUNDTRIP_STEPS=N   operations per store (default 250)
 */
#include <string.h>

#include "roundtrip.h"
#include "testutil.h"

#define DEFAULT_STEPS 250

/* ---------------------------------------------------------------- */
/* The oracle                                                         */

static char *
formatDomain(const vsDomain *dom)
{
    char *out = NULL;
    g_assert_cmpint(vsDomainFormat(&out, dom, NULL), ==, 0);
    return out;
}

/* The current record: the stored one, or for a kind that stores none the
 * one libvirt derives when it loads the VM (the single leaf). */
static void
describeCurrent(GString *out, const RtKind *kind, const vsDomain *dom)
{
    g_autoptr(GPtrArray) leaves = NULL;
    const vsMoment *cur;

    if (kind->stores_current) {
        cur = vsDomainGetCurrent(dom, NULL);
        g_string_append_printf(out, " current=%s\n", cur ? vsMomentGetName(cur) : "-");
        return;
    }
    g_assert_cmpint(vsDomainListMoments(&leaves, dom, NULL, VS_CHECKPOINT_LIST_LEAVES, NULL),
                    ==, 0);
    g_string_append_printf(out, " derived=%s\n",
                           leaves->len == 1 ? vsMomentGetName(leaves->pdata[0]) : "-");
}

/* The fields a record is made of, one per line (getters, not formatting:
 * a formatter that loses something would lose it on both sides), then
 * the kind's own fields and formatted record. */
static void
describeRecord(GString *out, const RtKind *kind, const vsDomain *dom, const vsMoment *m)
{
    const vsMoment *parent = vsDomainGetParent(dom, m);
    const char *parent_name = vsMomentGetParentName(m);

    g_string_append_printf(out, "name=%s|parent=%s|parent_name=%s|desc=%s|time=%"
                           G_GINT64_FORMAT "|domain=%d|children=%u",
                           vsMomentGetName(m), parent ? vsMomentGetName(parent) : "-",
                           parent_name ? parent_name : "-",
                           vsMomentGetDescription(m) ? vsMomentGetDescription(m) : "-",
                           vsMomentGetCreationTime(m), vsMomentHasDomain(m),
                           vsDomainCountChildren(dom, m));
    kind->describe(out, dom, m);
}

static char *
describeDomain(const RtKind *kind, const vsDomain *dom)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) all = NULL;

    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, NULL), ==, 0);
    g_string_append_printf(out, "count=%u", vsDomainCount(dom));
    describeCurrent(out, kind, dom);
    for (guint i = 0; i < all->len; i++)
        describeRecord(out, kind, dom, all->pdata[i]);
    return g_string_free(out, FALSE);
}

/* The VM as a fresh store handle loads it from disk is the VM as the
 * handle that committed it holds it. */
static void
assertLoadsBack(Run *run)
{
    g_autoptr(vsStore) fresh = NULL;
    g_autoptr(vsDomain) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *want = formatDomain(run->dom);
    g_autofree char *got = NULL;
    g_autofree char *want_fields = describeDomain(run->kind, run->dom);
    g_autofree char *got_fields = NULL;

    if (vsStoreOpen(&fresh, run->dir, 0, &error) < 0 ||
        run->kind->load(&again, fresh, "vm1", NULL, 0, &error) < 0)
        rtFail(run, "the committed tree does not load back: %s", error->message);
    got = formatDomain(again);
    if (strcmp(got, want) != 0)
        rtFail(run, "reloaded bulk document differs:\n--- committed\n%s--- reloaded\n%s",
               want, got);
    got_fields = describeDomain(run->kind, again);
    if (strcmp(got_fields, want_fields) != 0)
        rtFail(run, "reloaded records differ:\n--- committed\n%s--- reloaded\n%s",
               want_fields, got_fields);
}

/* ---------------------------------------------------------------- */
/* Operations both kinds share                                        */

/* A delete of a random record (or of none such) with every flag shape:
 * none, CHILDREN or CHILDREN_ONLY, each with and without METADATA_ONLY,
 * and the refused CHILDREN|CHILDREN_ONLY. */
int
rtOpDelete(Run *run, GError **error)
{
    const RtKind *k = run->kind;
    const unsigned int subtree[] = {
        0, k->delete_children, k->delete_children_only,
        k->delete_children | k->delete_children_only,
    };
    const char *name = rtExistingName(run);
    g_autofree char *copy = g_strdup(name ? name : "none");
    unsigned int flags = subtree[rtPick(run, G_N_ELEMENTS(subtree))];

    if (rtChance(run, 50))
        flags |= k->delete_metadata_only;
    run->op = "delete";
    return vsDomainDelete(run->dom, copy, flags, error);
}

static int
opDeleteAll(Run *run, GError **error)
{
    run->op = "delete all";
    return vsDomainDeleteAll(run->dom, error);
}

/* Runs @op; a refusal must say why on one line and change nothing. */
static int
tryChange(Run *run, int (*op)(Run *run, GError **error))
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = formatDomain(run->dom);
    g_autofree char *after = NULL;

    if (op(run, &error) == 0)
        return 0;
    after = formatDomain(run->dom);
    if (!error || !error->message || !*error->message || strchr(error->message, '\n'))
        rtFail(run, "a refusal must say why, on one line: %s",
               error ? error->message : "(none)");
    if (strcmp(before, after) != 0)
        rtFail(run, "refused (%s), yet the tree changed", error->message);
    /* the store's last check before a commit: what the parser took, the
     * file could not give back */
    if (strstr(error->message, "its stored form would"))
        rtFail(run, "the parser accepted it, the store cannot keep it: %s", error->message);
    return -1;
}

static int
anyChange(Run *run, GError **error)
{
    return rtChance(run, 2) ? opDeleteAll(run, error) : run->kind->change(run, error);
}

/* One to four changes in a batch, then committed, or rolled back (which
 * must give back the tree from before the batch). */
static int
opBatch(Run *run, GError **error)
{
    g_autofree char *before = formatDomain(run->dom);
    g_autofree char *pending = NULL;
    g_autofree char *committed = NULL;
    guint n = 1 + rtPick(run, 4);

    run->op = "begin";
    if (vsDomainBegin(run->dom, error) < 0)
        return -1;
    run->in_batch = TRUE;
    for (guint i = 0; i < n; i++)
        tryChange(run, anyChange);
    run->in_batch = FALSE;
    if (rtChance(run, 20)) {
        g_autofree char *after = NULL;

        run->op = "rollback";
        vsDomainRollback(run->dom);
        after = formatDomain(run->dom);
        if (strcmp(before, after) != 0)
            rtFail(run, "the tree after a rollback is not the tree before the batch");
        return 0;
    }
    run->op = "commit";
    pending = formatDomain(run->dom);
    if (vsDomainCommit(run->dom, error) < 0)
        return -1;
    committed = formatDomain(run->dom);
    if (strcmp(pending, committed) != 0)
        rtFail(run, "the committed tree is not the one the batch built");
    return 0;
}

/* Drops the write handle and takes a new one: the next commit starts from
 * what a load keeps (frames to reuse, on a compressed store; no current
 * checkpoint). */
static void
reopen(Run *run)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&run->dom, vsDomainFree);
    if (run->kind->load(&run->dom, run->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
        rtFail(run, "write load failed: %s", error->message);
}

static void
step(Run *run)
{
    guint op = rtPick(run, 100);
    int rc;

    if (op < 10)
        rc = tryChange(run, opBatch);
    else if (op < 11)
        rc = tryChange(run, opDeleteAll);
    else
        rc = tryChange(run, run->kind->change);
    run->tried++;
    if (rc == 0)
        run->committed++;
    assertLoadsBack(run);
    if (rtChance(run, 10))
        reopen(run);
}

/* ---------------------------------------------------------------- */

static guint
envNumber(const char *name, guint def)
{
    const char *s = g_getenv(name);
    return s && *s ? (guint) g_ascii_strtoull(s, NULL, 10) : def;
}

typedef struct {
    const RtKind *kind;
    vsCompression mode;
} Case;

static void
testRandomOperations(gconstpointer data)
{
    const Case *c = data;
    Run run = { 0 };
    guint steps = envNumber("VIRTSNAP_ROUNDTRIP_STEPS", DEFAULT_STEPS);
    g_autoptr(GError) error = NULL;

    run.kind = c->kind;
    run.mode = c->mode;
    run.seed = envNumber("VIRTSNAP_ROUNDTRIP_SEED", g_random_int());
    g_test_message("VIRTSNAP_ROUNDTRIP_SEED=%u VIRTSNAP_ROUNDTRIP_STEPS=%u", run.seed, steps);
    run.rand = g_rand_new_with_seed(run.seed);
    run.dir = vsTestTempDir();
    g_assert_cmpint(vsStoreOpen(&run.store, run.dir, 0, &error), ==, 0);
    vsStoreSetCompressionMode(run.store, run.mode);
    reopen(&run);
    for (run.step = 0; run.step < steps; run.step++)
        step(&run);
    g_test_message("%u operations, %u succeeded and loaded back", run.tried, run.committed);
    /* not vacuous: most kinds of input get through */
    g_assert_cmpuint(run.committed * 4, >=, run.tried);
    vsDomainFree(run.dom);
    vsStoreFree(run.store);
    g_rand_free(run.rand);
    g_free(run.dir);
}

int
main(int argc, char **argv)
{
    static const Case cases[] = {
        { &rtSnapshotKind, VS_COMPRESSION_ZSTD }, { &rtSnapshotKind, VS_COMPRESSION_NONE },
        { &rtSnapshotKind, VS_COMPRESSION_PIECES },
        { &rtCheckpointKind, VS_COMPRESSION_ZSTD }, { &rtCheckpointKind, VS_COMPRESSION_NONE },
        { &rtCheckpointKind, VS_COMPRESSION_PIECES },
    };

    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/roundtrip/%s/random-operations/%s",
                                                cases[i].kind->name,
                                                rtModeName(cases[i].mode));
        g_test_add_data_func(path, &cases[i], testRandomOperations);
    }
    return g_test_run();
}
