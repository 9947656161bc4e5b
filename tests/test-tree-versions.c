/* test-tree-versions.c — versions of a tree sharing one state
 * (lib/tree/tree-version.c, issue 16): whatever is done to whichever
 * version, in whatever order, every version reads exactly as an
 * independent tree given the same operations would. */
#include <string.h>

#include "snapshot/snapshot.h"
#include "tree/tree.h"

#define NAMES 40
#define VERSIONS_MAX 6

static vsSnapshot *
record(const char *name, const char *parent, gint64 ctime)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = g_strdup_printf(
        "<domainsnapshot><name>%s</name><state>shutoff</state>%s%s%s"
        "<creationTime>%" G_GINT64_FORMAT "</creationTime></domainsnapshot>", name,
        parent ? "<parent><name>" : "", parent ? parent : "", parent ? "</name></parent>" : "",
        ctime);
    vsSnapshot *snap = NULL;

    if (vsSnapshotParse(&snap, xml, strlen(xml), VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL,
                        &error) < 0)
        g_error("record %s: %s", name, error->message);
    return snap;
}

/* Everything a reader can see of @tree, as one string. */
static char *
dump(const vsTree *tree)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) error = NULL;
    const vsMoment *cur = vsTreeGetCurrent(tree);
    GString *out = g_string_new(NULL);

    g_assert_cmpint(vsTreeList(&all, tree, NULL, 0, &error), ==, 0);
    g_assert_cmpuint(all->len, ==, vsTreeCount(tree));
    for (guint i = 0; i < all->len; i++) {
        const vsMoment *m = all->pdata[i];
        const vsMoment *parent = vsTreeGetParent(tree, m);

        g_assert_true(vsTreeLookup(tree, m->name) == m);
        g_assert_cmpstr(parent ? parent->name : NULL, ==, vsMomentGetParentName(m));
        g_string_append_printf(out, "%s<%s@%" G_GINT64_FORMAT " c%u d%u ", m->name,
                               vsMomentGetParentName(m), m->creation_time,
                               vsTreeCountChildren(tree, m), vsTreeCountDescendants(tree, m));
    }
    g_string_append_printf(out, "current=%s", cur ? cur->name : "-");
    return g_string_free(out, FALSE);
}

/* An independent tree equal to @tree. */
static vsTree *
rebuild(const vsTree *tree)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) error = NULL;
    const vsMoment *cur = vsTreeGetCurrent(tree);
    vsTree *out = NULL;

    g_assert_cmpint(vsTreeList(&all, tree, NULL, 0, &error), ==, 0);
    g_assert_cmpint(vsTreeBuild(&out, vsTreeGetKind(tree), (vsMoment *const *) all->pdata,
                                all->len, cur ? cur->name : NULL, &error), ==, 0);
    return out;
}

typedef struct {
    vsTree *v[VERSIONS_MAX];     /* versions made by vsTreeCopy */
    vsTree *ref[VERSIONS_MAX];   /* each one's independent twin */
    guint n;
} Pair;

static const char *
someName(GRand *rand, char buf[8])
{
    g_snprintf(buf, 8, "n%02d", g_rand_int_range(rand, 0, NAMES));
    return buf;
}

static void
checkAll(Pair *p, GRand *rand)
{
    guint start = g_rand_int_range(rand, 0, p->n);

    /* A different order each time: every read may reroot. */
    for (guint k = 0; k < p->n; k++) {
        guint i = (start + k * 5) % p->n;
        g_autofree char *got = dump(p->v[i]);
        g_autofree char *want = dump(p->ref[i]);

        g_assert_cmpstr(got, ==, want);
    }
}

/* One random operation on a random version and on its twin: both give
 * the same result. */
static void
step(Pair *p, GRand *rand)
{
    guint i = g_rand_int_range(rand, 0, p->n);
    guint what = g_rand_int_range(rand, 0, 10);
    char name[8], parent[8];
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    int r1, r2;

    if (what == 0 && p->n < VERSIONS_MAX) {
        p->v[p->n] = vsTreeCopy(p->v[i]);
        p->ref[p->n] = rebuild(p->ref[i]);
        p->n++;
        return;
    }
    if (what == 1 && p->n > 1) {
        vsTreeFree(p->v[i]);
        vsTreeFree(p->ref[i]);
        p->v[i] = p->v[p->n - 1];
        p->ref[i] = p->ref[p->n - 1];
        p->n--;
        return;
    }
    someName(rand, name);
    if (what <= 5) {
        gboolean root = g_rand_int_range(rand, 0, 4) == 0;
        g_autoptr(vsSnapshot) snap = record(name, root ? NULL : someName(rand, parent),
                                            g_rand_int_range(rand, 1, 9));

        r1 = vsTreeRedefine(p->v[i], snap, &e1);
        r2 = vsTreeRedefine(p->ref[i], snap, &e2);
    } else if (what <= 8) {
        static const unsigned int flags[] = { 0, VS_SNAPSHOT_DELETE_CHILDREN,
                                              VS_SNAPSHOT_DELETE_CHILDREN_ONLY };
        unsigned int f = flags[g_rand_int_range(rand, 0, 3)];

        r1 = vsTreeDelete(p->v[i], name, f, &e1);
        r2 = vsTreeDelete(p->ref[i], name, f, &e2);
    } else {
        const char *cur = g_rand_boolean(rand) ? name : NULL;

        r1 = vsTreeSetCurrent(p->v[i], cur, &e1);
        r2 = vsTreeSetCurrent(p->ref[i], cur, &e2);
    }
    g_assert_cmpint(r1, ==, r2);
    g_assert_cmpstr(e1 ? e1->message : NULL, ==, e2 ? e2->message : NULL);
}

static void
testRandom(void)
{
    for (guint32 seed = 1; seed <= 40; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        Pair p = { .n = 1 };

        p.v[0] = vsTreeNew(&vsSnapshotKind);
        p.ref[0] = vsTreeNew(&vsSnapshotKind);
        for (guint s = 0; s < 400; s++) {
            step(&p, rand);
            checkAll(&p, rand);
        }
        /* Freed in a random order: each free hands its log on. */
        while (p.n > 0) {
            guint i = g_rand_int_range(rand, 0, p.n);

            vsTreeFree(p.v[i]);
            vsTreeFree(p.ref[i]);
            p.v[i] = p.v[p.n - 1];
            p.ref[i] = p.ref[p.n - 1];
            p.n--;
            if (p.n > 0)
                checkAll(&p, rand);
        }
    }
}

/* The store's pattern: copy, change the copy, drop one of the two. */
static void
testCommitPattern(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;

    for (guint i = 0; i < 200; i++) {
        g_autofree char *name = g_strdup_printf("s%03u", i);
        g_autofree char *parent = i ? g_strdup_printf("s%03u", i - 1) : NULL;
        g_autoptr(vsSnapshot) snap = record(name, parent, i + 1);
        vsTree *next = vsTreeCopy(tree);

        g_assert_cmpint(vsTreeAdd(next, snap, &error), ==, 0);
        g_assert_cmpint(vsTreeSetCurrent(next, name, &error), ==, 0);
        if (i % 3 == 2) {
            /* A failed commit: the copy goes, the tree is as it was. */
            g_autofree char *was = NULL;

            vsTreeFree(next);
            was = dump(tree);
            g_assert_null(vsTreeLookup(tree, name));
            g_assert_cmpint(vsTreeAdd(tree, snap, &error), ==, 0);
            continue;
        }
        vsTreeFree(tree);
        tree = next;
    }
    g_assert_cmpuint(vsTreeCount(tree), ==, 200);
    before = dump(tree);
    {
        vsTree *next = vsTreeCopy(tree);

        g_assert_cmpint(vsTreeDelete(next, "s100", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
        g_assert_cmpuint(vsTreeCount(next), ==, 100);
        g_assert_cmpuint(vsTreeCount(tree), ==, 200);
        vsTreeFree(next);
    }
    {
        g_autofree char *after = dump(tree);
        g_assert_cmpstr(after, ==, before);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tree/versions/random", testRandom);
    g_test_add_func("/tree/versions/commit-pattern", testCommitPattern);
    return g_test_run();
}
