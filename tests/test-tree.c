/* test-tree.c — the in-memory snapshot tree (lib/tree.c).
 *
 * Expected outcomes come from SEMANTICS.md §3 and the libvirt 9.0 runs in
 * LIBVIRT-9.0-OBSERVED.md §4.2, §4.5, §4.7, §6.1. */
#include <pthread.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "testutil.h"
#include "tree/tree.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static vsSnapshot *
mkSnapFull(const char *name, const char *parent, const char *state,
           gint64 ctime, const char *extra)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) xml = g_string_new("<domainsnapshot>");
    vsSnapshot *snap = NULL;

    g_string_append_printf(xml, "<name>%s</name><state>%s</state>", name, state);
    if (parent)
        g_string_append_printf(xml, "<parent><name>%s</name></parent>", parent);
    g_string_append_printf(xml, "<creationTime>%" G_GINT64_FORMAT "</creationTime>", ctime);
    if (extra)
        g_string_append(xml, extra);
    g_string_append(xml, "</domainsnapshot>");

    if (vsSnapshotParse(&snap, xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE, 0,
                        NULL, &error) < 0)
        g_error("parsing test record %s: %s", name, error->message);
    g_assert_cmpstr(vsMomentGetName(snap), ==, name);
    g_assert_cmpstr(vsMomentGetParentName(snap), ==, parent);
    return snap;
}

static vsSnapshot *
mkSnap(const char *name, const char *parent, gint64 ctime)
{
    return mkSnapFull(name, parent, "shutoff", ctime, NULL);
}

static void
add(vsTree *tree, const char *name, const char *parent, gint64 ctime)
{
    g_autoptr(vsSnapshot) snap = mkSnap(name, parent, ctime);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeAdd(tree, snap, &error), ==, 0);
    g_assert_no_error(error);
}

static void
addFull(vsTree *tree, const char *name, const char *parent, const char *state,
        gint64 ctime, const char *extra)
{
    g_autoptr(vsSnapshot) snap = mkSnapFull(name, parent, state, ctime, extra);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeAdd(tree, snap, &error), ==, 0);
    g_assert_no_error(error);
}

static void
setCurrent(vsTree *tree, const char *name)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeSetCurrent(tree, name, &error), ==, 0);
    g_assert_no_error(error);
}

static const char *
currentName(const vsTree *tree)
{
    const vsSnapshot *cur = vsTreeGetCurrent(tree);

    return cur ? vsMomentGetName(cur) : NULL;
}

static char *
joinNames(GPtrArray *snaps)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint i;

    for (i = 0; i < snaps->len; i++) {
        if (i)
            g_string_append_c(out, ' ');
        g_string_append(out, vsMomentGetName(snaps->pdata[i]));
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The names listed, in the tree's (pre-)order. */
static char *
listNames(const vsTree *tree, const char *from, unsigned int flags)
{
    g_autoptr(GPtrArray) snaps = NULL;
    g_autoptr(GError) error = NULL;
    const vsSnapshot *start = NULL;

    if (from)
        g_assert_nonnull((start = vsTreeLookup(tree, from)));
    g_assert_cmpint(vsTreeList(&snaps, tree, start, flags, &error), ==, 0);
    g_assert_no_error(error);
    return joinNames(snaps);
}

static gint
compareNames(gconstpointer a, gconstpointer b)
{
    return strcmp(vsMomentGetName(*(vsSnapshot *const *)a),
                  vsMomentGetName(*(vsSnapshot *const *)b));
}

/* The same, sorted by name as virsh prints them. */
static char *
listNamesSorted(const vsTree *tree, const char *from, unsigned int flags)
{
    g_autoptr(GPtrArray) snaps = NULL;
    g_autoptr(GError) error = NULL;
    const vsSnapshot *start = from ? vsTreeLookup(tree, from) : NULL;

    g_assert_cmpint(vsTreeList(&snaps, tree, start, flags, &error), ==, 0);
    g_assert_no_error(error);
    g_ptr_array_sort(snaps, compareNames);
    return joinNames(snaps);
}

/* "root(a(a1 a2) b) r2", current marked with '*'.  Also checks the
 * invariants: each record names its tree parent, counts agree. */
static void
dumpChildren(GString *out, const vsTree *tree, const vsSnapshot *parent,
             guint *seen)
{
    g_autoptr(GPtrArray) kids = NULL;
    g_autoptr(GError) error = NULL;
    guint i;

    g_assert_cmpint(vsTreeList(&kids, tree, parent,
                               parent ? 0 : VS_SNAPSHOT_LIST_ROOTS, &error), ==, 0);
    if (parent)
        g_assert_cmpuint(kids->len, ==, vsTreeCountChildren(tree, parent));
    for (i = 0; i < kids->len; i++) {
        const vsSnapshot *kid = kids->pdata[i];

        g_assert_true(vsTreeLookup(tree, vsMomentGetName(kid)) == kid);
        g_assert_true(vsTreeGetParent(tree, kid) == parent);
        g_assert_cmpstr(vsMomentGetParentName(kid), ==,
                        parent ? vsMomentGetName(parent) : NULL);
        if (i)
            g_string_append_c(out, ' ');
        g_string_append(out, vsMomentGetName(kid));
        if (kid == vsTreeGetCurrent(tree))
            g_string_append_c(out, '*');
        (*seen)++;
        if (vsTreeCountChildren(tree, kid) > 0) {
            g_string_append_c(out, '(');
            dumpChildren(out, tree, kid, seen);
            g_string_append_c(out, ')');
        }
    }
}

static char *
dump(const vsTree *tree)
{
    GString *out = g_string_new(NULL);
    guint seen = 0;

    dumpChildren(out, tree, NULL, &seen);
    g_assert_cmpuint(seen, ==, vsTreeCount(tree));
    return g_string_free(out, FALSE);
}

#define assertDump(tree, expected) \
    do { \
        g_autofree char *_d = dump(tree); \
        g_assert_cmpstr(_d, ==, expected); \
    } while (0)

#define assertList(tree, from, flags, expected) \
    do { \
        g_autofree char *_l = listNames(tree, from, flags); \
        g_assert_cmpstr(_l, ==, expected); \
    } while (0)

#define assertListSorted(tree, from, flags, expected) \
    do { \
        g_autofree char *_l = listNamesSorted(tree, from, flags); \
        g_assert_cmpstr(_l, ==, expected); \
    } while (0)

#define assertError(call, ecode, emsg) \
    do { \
        g_autoptr(GError) _e = NULL; \
        g_assert_cmpint((call), <, 0); \
        g_assert_error(_e, VS_ERROR, ecode); \
        g_assert_cmpstr(_e->message, ==, emsg); \
    } while (0)

/* OBSERVED §4: root -> {a -> {a1 -> a1x, a2}, b -> b1}, plus root r2;
 * creation times follow the names' pre-order so siblings sort as there. */
static vsTree *
observedTree(void)
{
    vsTree *tree = vsTreeNew(&vsSnapshotKind);

    add(tree, "root", NULL, 100);
    add(tree, "a", "root", 110);
    add(tree, "a1", "a", 120);
    add(tree, "a1x", "a1", 130);
    add(tree, "a2", "a", 140);
    add(tree, "b", "root", 150);
    add(tree, "b1", "b", 160);
    add(tree, "r2", NULL, 170);
    return tree;
}

/* ------------------------------------------------------------------ */
/* Building                                                             */

static void
testAddBasic(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsSnapshot) dup = mkSnap("a1", "b", 1);
    g_autoptr(vsSnapshot) orphan = mkSnap("orphan", "nosuch", 1);

    assertDump(tree, "root(a(a1(a1x) a2) b(b1)) r2");
    g_assert_cmpuint(vsTreeCount(tree), ==, 8);
    g_assert_null(vsTreeGetCurrent(tree));
    g_assert_null(vsTreeLookup(tree, "nosuch"));
    g_assert_null(vsTreeGetParent(tree, vsTreeLookup(tree, "root")));
    g_assert_cmpstr(vsMomentGetName(vsTreeGetParent(tree, vsTreeLookup(tree, "a1x"))),
                    ==, "a1");
    /* snapshot-info a: Children 2, Descendants 3 (OBSERVED §4.3). */
    g_assert_cmpuint(vsTreeCountChildren(tree, vsTreeLookup(tree, "a")), ==, 2);
    g_assert_cmpuint(vsTreeCountDescendants(tree, vsTreeLookup(tree, "a")), ==, 3);
    g_assert_cmpuint(vsTreeCountDescendants(tree, vsTreeLookup(tree, "root")), ==, 6);
    g_assert_cmpuint(vsTreeCountDescendants(tree, vsTreeLookup(tree, "a1x")), ==, 0);

    assertError(vsTreeAdd(tree, dup, &_e), VS_ERROR_EXISTS,
                "operation failed: domain moment a1 already exists");
    assertError(vsTreeAddUnlinked(tree, dup, &_e), VS_ERROR_EXISTS,
                "operation failed: domain moment a1 already exists");
    assertError(vsTreeAdd(tree, orphan, &_e), VS_ERROR_INVALID,
                "snapshot 'orphan': parent 'nosuch' does not exist");
    /* Failed adds change nothing. */
    assertDump(tree, "root(a(a1(a1x) a2) b(b1)) r2");
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "a1")), ==, "a");
}

static void
testAddReference(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    vsSnapshot *snap = mkSnap("solo", NULL, 5);
    g_autoptr(GError) error = NULL;

    /* The tree keeps its own reference: the caller's can go. */
    g_assert_cmpint(vsTreeAdd(tree, snap, &error), ==, 0);
    g_assert_true(vsTreeLookup(tree, "solo") == snap);
    vsMomentUnref(snap);
    g_assert_cmpstr(vsMomentGetName(vsTreeLookup(tree, "solo")), ==, "solo");
    g_assert_cmpint(vsMomentGetCreationTime(vsTreeLookup(tree, "solo")), ==, 5);
}

static void
testSiblingOrder(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);

    /* creationTime first, then name by strcmp (bytes: 'B' < 'a'). */
    add(tree, "p", NULL, 1);
    add(tree, "z", "p", 5);
    add(tree, "b", "p", 10);
    add(tree, "a", "p", 10);
    add(tree, "B", "p", 10);
    add(tree, "old", "p", -5);
    add(tree, "m", NULL, -1);
    assertDump(tree, "m p(old z B a b)");
    assertList(tree, NULL, 0, "m p old z B a b");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_TOPOLOGICAL, "m p old z B a b");
}

static void
testLinkAnyOrder(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    /* Children before parents, in a scrambled order. */
    static const struct { const char *name, *parent; gint64 t; } recs[] = {
        { "b1", "b", 160 }, { "a1x", "a1", 130 }, { "r2", NULL, 170 },
        { "a2", "a", 140 }, { "a", "root", 110 }, { "b", "root", 150 },
        { "a1", "a", 120 }, { "root", NULL, 100 },
    };
    g_autoptr(GError) error = NULL;
    guint i;

    for (i = 0; i < G_N_ELEMENTS(recs); i++) {
        g_autoptr(vsSnapshot) snap = mkSnap(recs[i].name, recs[i].parent, recs[i].t);

        g_assert_cmpint(vsTreeAddUnlinked(tree, snap, &error), ==, 0);
    }
    g_assert_cmpuint(vsTreeCount(tree), ==, 8);
    g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    g_assert_no_error(error);
    assertDump(tree, "root(a(a1(a1x) a2) b(b1)) r2");
    setCurrent(tree, "b1");
    assertDump(tree, "root(a(a1(a1x) a2) b(b1*)) r2");

    /* Linking again with nothing pending is a no-op. */
    g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    assertDump(tree, "root(a(a1(a1x) a2) b(b1*)) r2");
}

static void
testLinkMixed(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsSnapshot) child = mkSnap("child", "late", 2);
    g_autoptr(vsSnapshot) late = mkSnap("late", "base", 1);
    g_autoptr(GError) error = NULL;

    add(tree, "base", NULL, 1);
    g_assert_cmpint(vsTreeAddUnlinked(tree, child, &error), ==, 0);
    g_assert_cmpint(vsTreeAddUnlinked(tree, late, &error), ==, 0);
    /* A linked add under a record that is still unlinked. */
    add(tree, "grandchild", "child", 3);
    g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    g_assert_no_error(error);
    assertDump(tree, "base(late(child(grandchild)))");
}

static void
testLinkMissingParent(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    static const char *const recs[][2] = {
        { "ok", NULL }, { "x", "gone" }, { "y", "also-gone" }, { "z", "ok" },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(recs); i++) {
        g_autoptr(vsSnapshot) snap = mkSnap(recs[i][0], recs[i][1], i + 1);
        g_autoptr(GError) error = NULL;

        g_assert_cmpint(vsTreeAddUnlinked(tree, snap, &error), ==, 0);
    }
    /* The first offender in insertion order is named. */
    assertError(vsTreeLinkAll(tree, &_e), VS_ERROR_INVALID,
                "snapshot 'x': parent 'gone' does not exist");
}

static void
testLinkCycle(void)
{
    static const char *const recs[][2] = {
        { "root", NULL }, { "hang", "c2" }, { "c1", "c3" }, { "c2", "c1" },
        { "c3", "c2" }, { "fine", "root" },
    };
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsTree) self = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsSnapshot) me = mkSnap("me", "me", 1);
    g_autoptr(vsSnapshot) other = mkSnap("other", NULL, 1);
    g_autoptr(GError) error = NULL;
    guint i;

    for (i = 0; i < G_N_ELEMENTS(recs); i++) {
        g_autoptr(vsSnapshot) snap = mkSnap(recs[i][0], recs[i][1], i + 1);

        g_assert_cmpint(vsTreeAddUnlinked(tree, snap, &error), ==, 0);
    }
    /* "hang" is not on the cycle but its parent chain loops forever. */
    assertError(vsTreeLinkAll(tree, &_e), VS_ERROR_INVALID,
                "snapshot 'hang': parent chain forms a cycle");
    /* Checked before linking: the tree is still fully unlinked and frees
     * cleanly (valgrind/ASan runs see any leak). */
    g_assert_cmpuint(vsTreeCount(tree), ==, G_N_ELEMENTS(recs));

    g_assert_cmpint(vsTreeAddUnlinked(self, other, &error), ==, 0);
    g_assert_cmpint(vsTreeAddUnlinked(self, me, &error), ==, 0);
    assertError(vsTreeLinkAll(self, &_e), VS_ERROR_INVALID,
                "snapshot 'me': parent chain forms a cycle");
}

static void
testCurrent(void)
{
    g_autoptr(vsTree) tree = observedTree();

    setCurrent(tree, "a1");
    g_assert_cmpstr(currentName(tree), ==, "a1");
    setCurrent(tree, "r2");
    g_assert_cmpstr(currentName(tree), ==, "r2");
    assertError(vsTreeSetCurrent(tree, "nosuch", &_e), VS_ERROR_NOT_FOUND,
                "Domain snapshot not found: no domain snapshot with matching name 'nosuch'");
    g_assert_cmpstr(currentName(tree), ==, "r2");
    setCurrent(tree, NULL);
    g_assert_null(vsTreeGetCurrent(tree));
}

/* ------------------------------------------------------------------ */
/* Listing                                                              */

static void
testListObserved(void)
{
    g_autoptr(vsTree) tree = observedTree();

    setCurrent(tree, "b1");
    /* virsh sorts by name: OBSERVED §4.2. */
    assertListSorted(tree, NULL, 0, "a a1 a1x a2 b b1 r2 root");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_ROOTS, "r2 root");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_LEAVES, "a1x a2 b1 r2");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_NO_LEAVES, "a a1 b root");
    assertListSorted(tree, "a", 0, "a1 a2");
    assertListSorted(tree, "a", VS_SNAPSHOT_LIST_DESCENDANTS, "a1 a1x a2");
    assertListSorted(tree, "a1x", 0, "");
    assertListSorted(tree, "b1", 0, "");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_INTERNAL, "a a1 a1x a2 b b1 r2 root");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_INACTIVE, "a a1 a1x a2 b b1 r2 root");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_METADATA, "a a1 a1x a2 b b1 r2 root");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_EXTERNAL, "");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_ACTIVE, "");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_DISK_ONLY, "");
    assertListSorted(tree, NULL, VS_SNAPSHOT_LIST_NO_METADATA, "");

    /* Our own order is pre-order (topological) everywhere. */
    assertList(tree, NULL, 0, "root a a1 a1x a2 b b1 r2");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_TOPOLOGICAL, "root a a1 a1x a2 b b1 r2");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS, "root r2");
    assertList(tree, "root", VS_SNAPSHOT_LIST_DESCENDANTS, "a a1 a1x a2 b b1");
    assertList(tree, "root", VS_SNAPSHOT_LIST_DESCENDANTS | VS_SNAPSHOT_LIST_TOPOLOGICAL,
               "a a1 a1x a2 b b1");
    assertList(tree, "a", VS_SNAPSHOT_LIST_DESCENDANTS, "a1 a1x a2");
    assertList(tree, "root", 0, "a b");
    assertList(tree, "root", VS_SNAPSHOT_LIST_LEAVES, "");
    assertList(tree, "root", VS_SNAPSHOT_LIST_DESCENDANTS | VS_SNAPSHOT_LIST_LEAVES,
               "a1x a2 b1");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS | VS_SNAPSHOT_LIST_LEAVES, "r2");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS | VS_SNAPSHOT_LIST_NO_LEAVES, "root");
}

static void
testListFilters(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    const unsigned int status = VS_SNAPSHOT_LIST_INACTIVE | VS_SNAPSHOT_LIST_ACTIVE |
                                VS_SNAPSHOT_LIST_DISK_ONLY;
    const unsigned int location = VS_SNAPSHOT_LIST_INTERNAL | VS_SNAPSHOT_LIST_EXTERNAL;
    const unsigned int metadata = VS_SNAPSHOT_LIST_METADATA | VS_SNAPSHOT_LIST_NO_METADATA;
    const unsigned int leaves = VS_SNAPSHOT_LIST_LEAVES | VS_SNAPSHOT_LIST_NO_LEAVES;

    addFull(tree, "off", NULL, "shutoff", 1, NULL);
    addFull(tree, "run", "off", "running", 2, NULL);
    addFull(tree, "paused", "off", "paused", 3, NULL);
    addFull(tree, "memext", "run", "running", 4,
            "<memory snapshot='external' file='/var/lib/mem.img'/>");
    addFull(tree, "disk", NULL, "disk-snapshot", 5, NULL);
    addFull(tree, "diskext", "disk", "disk-snapshot", 6,
            "<memory snapshot='no'/><disks><disk name='vda' snapshot='external'>"
            "<source file='/var/lib/vda.ovl'/></disk></disks>");
    addFull(tree, "crashed", "disk", "crashed", 7, NULL);

    assertList(tree, NULL, 0, "off run memext paused disk diskext crashed");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_INACTIVE, "off");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ACTIVE, "run memext paused crashed");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_DISK_ONLY, "disk diskext");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_INACTIVE | VS_SNAPSHOT_LIST_DISK_ONLY,
               "off disk diskext");
    assertList(tree, NULL, status, "off run memext paused disk diskext crashed");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_EXTERNAL, "memext diskext");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_INTERNAL, "off run paused disk crashed");
    assertList(tree, NULL, location, "off run memext paused disk diskext crashed");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_EXTERNAL | VS_SNAPSHOT_LIST_ACTIVE, "memext");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_EXTERNAL | VS_SNAPSHOT_LIST_LEAVES,
               "memext diskext");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_NO_LEAVES, "off run disk");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS | VS_SNAPSHOT_LIST_INACTIVE, "off");
    assertList(tree, "disk", VS_SNAPSHOT_LIST_ACTIVE, "crashed");
    assertList(tree, "off", VS_SNAPSHOT_LIST_DESCENDANTS | VS_SNAPSHOT_LIST_EXTERNAL,
               "memext");

    /* Metadata: every record has it, so NO_METADATA alone lists nothing
     * and with METADATA it does not filter. */
    assertList(tree, NULL, VS_SNAPSHOT_LIST_NO_METADATA, "");
    assertList(tree, "off", VS_SNAPSHOT_LIST_NO_METADATA | VS_SNAPSHOT_LIST_DESCENDANTS, "");
    assertList(tree, NULL, metadata, "off run memext paused disk diskext crashed");
    assertList(tree, NULL, VS_SNAPSHOT_LIST_METADATA | VS_SNAPSHOT_LIST_INACTIVE, "off");

    /* libvirt 9.0 (virsh snapshot-list --leaves --no-leaves): empty. */
    assertList(tree, NULL, leaves, "");
    assertList(tree, "off", leaves | VS_SNAPSHOT_LIST_DESCENDANTS, "");
}

static void
testListErrors(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsTree) other = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsSnapshot) stranger = mkSnap("stranger", NULL, 1);
    GPtrArray *out = NULL;

    assertError(vsTreeList(&out, tree, NULL, 1u << 11, &_e), VS_ERROR_INVALID,
                "invalid argument: unsupported flags (0x800) in function "
                "qemuDomainListAllSnapshots");
    assertError(vsTreeList(&out, tree, vsTreeLookup(tree, "a"),
                           VS_SNAPSHOT_LIST_LEAVES | (1u << 20), &_e),
                VS_ERROR_INVALID,
                "invalid argument: unsupported flags (0x100000) in function "
                "qemuDomainSnapshotListAllChildren");
    assertError(vsTreeList(&out, tree, stranger, 0, &_e), VS_ERROR_NOT_FOUND,
                "Domain snapshot not found: no domain snapshot with matching name 'stranger'");
    g_assert_null(out);

    g_assert_cmpint(vsTreeList(&out, other, NULL, 0, NULL), ==, 0);
    g_assert_cmpuint(out->len, ==, 0);
    g_ptr_array_unref(out);
}

/* ------------------------------------------------------------------ */
/* Redefine                                                             */

static void
testCheckCycles(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsSnapshot) root = mkSnap("root", "a1x", 100);
    g_autoptr(vsSnapshot) self = mkSnap("a", "a", 110);
    g_autoptr(vsSnapshot) a = mkSnap("a", "a2", 110);
    g_autoptr(vsSnapshot) orphan = mkSnap("orphan", "nosuch", 1);
    g_autoptr(vsSnapshot) direct = mkSnap("a", "a1", 110);
    g_autoptr(vsSnapshot) fine = mkSnap("a1x", "b1", 130);
    g_autoptr(vsSnapshot) noparent = mkSnap("a", NULL, 110);
    g_autoptr(vsSnapshot) fresh = mkSnap("new", "a1x", 1);

    /* OBSERVED §4.5, exact texts. */
    assertError(vsTreeCheckCycles(tree, root, &_e), VS_ERROR_INVALID,
                "invalid argument: parent a would create cycle to root");
    assertError(vsTreeCheckCycles(tree, self, &_e), VS_ERROR_INVALID,
                "invalid argument: cannot set moment a as its own parent");
    assertError(vsTreeCheckCycles(tree, a, &_e), VS_ERROR_INVALID,
                "invalid argument: parent a2 would create cycle to a");
    assertError(vsTreeCheckCycles(tree, orphan, &_e), VS_ERROR_INVALID,
                "invalid argument: parent nosuch for moment orphan not found");
    assertError(vsTreeCheckCycles(tree, direct, &_e), VS_ERROR_INVALID,
                "invalid argument: parent a1 would create cycle to a");
    g_assert_cmpint(vsTreeCheckCycles(tree, fine, NULL), ==, 0);
    g_assert_cmpint(vsTreeCheckCycles(tree, noparent, NULL), ==, 0);
    g_assert_cmpint(vsTreeCheckCycles(tree, fresh, NULL), ==, 0);

    /* vsTreeRedefine runs the same check and changes nothing on error. */
    assertError(vsTreeRedefine(tree, root, &_e), VS_ERROR_INVALID,
                "invalid argument: parent a would create cycle to root");
    assertError(vsTreeRedefine(tree, orphan, &_e), VS_ERROR_INVALID,
                "invalid argument: parent nosuch for moment orphan not found");
    assertDump(tree, "root(a(a1(a1x) a2) b(b1)) r2");
}

static void
redefine(vsTree *tree, vsSnapshot *snap)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeRedefine(tree, snap, &error), ==, 0);
    g_assert_no_error(error);
}

static void
testRedefine(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsSnapshot) a2b = mkSnap("a2", "b", 140);
    g_autoptr(vsSnapshot) r2root = mkSnap("r2", "root", 170);
    g_autoptr(vsSnapshot) r2back = mkSnap("r2", NULL, 170);
    g_autoptr(vsSnapshot) aSame = mkSnapFull("a", "root", "shutoff", 110,
                                             "<description>updated</description>");
    g_autoptr(vsSnapshot) aLate = mkSnap("a", "root", 155);
    g_autoptr(vsSnapshot) aRoot = mkSnap("a", NULL, 10);
    g_autoptr(vsSnapshot) fresh = mkSnap("fresh", "a1", 125);

    setCurrent(tree, "a");

    /* OBSERVED §4.4: a changed <parent> moves the snapshot. */
    redefine(tree, a2b);
    assertDump(tree, "root(a*(a1(a1x)) b(a2 b1)) r2");
    g_assert_true(vsTreeLookup(tree, "a2") == a2b);
    g_assert_cmpuint(vsTreeCountChildren(tree, vsTreeLookup(tree, "a")), ==, 1);

    /* OBSERVED §4.5: r2 under root and back; --roots follows. */
    redefine(tree, r2root);
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS, "root");
    assertDump(tree, "root(a*(a1(a1x)) b(a2 b1) r2)");
    redefine(tree, r2back);
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS, "root r2");

    /* Same place, new content: children and current status stay. */
    redefine(tree, aSame);
    g_assert_true(vsTreeLookup(tree, "a") == aSame);
    g_assert_cmpstr(vsMomentGetDescription(vsTreeLookup(tree, "a")), ==, "updated");
    g_assert_true(vsTreeGetCurrent(tree) == aSame);
    assertDump(tree, "root(a*(a1(a1x)) b(a2 b1)) r2");

    /* A new creationTime re-sorts the siblings. */
    redefine(tree, aLate);
    assertDump(tree, "root(b(a2 b1) a*(a1(a1x))) r2");

    /* Becoming a root, with its subtree, still current. */
    redefine(tree, aRoot);
    assertDump(tree, "a*(a1(a1x)) root(b(a2 b1)) r2");
    g_assert_cmpuint(vsTreeCountDescendants(tree, aRoot), ==, 2);

    /* A new name is inserted. */
    redefine(tree, fresh);
    assertDump(tree, "a*(a1(fresh a1x)) root(b(a2 b1)) r2");
    g_assert_cmpuint(vsTreeCount(tree), ==, 9);
}

/* ------------------------------------------------------------------ */
/* Delete                                                               */

static void
del(vsTree *tree, const char *name, unsigned int flags)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeDelete(tree, name, flags, &error), ==, 0);
    g_assert_no_error(error);
}

static void
testDeleteSingle(void)
{
    g_autoptr(vsTree) tree = observedTree();
    const vsSnapshot *a1;

    setCurrent(tree, "b1");
    /* OBSERVED §4.7: delete a → a1, a2 under root, records rewritten. */
    del(tree, "a", 0);
    assertDump(tree, "root(a1(a1x) a2 b(b1*)) r2");
    a1 = vsTreeLookup(tree, "a1");
    g_assert_cmpstr(vsMomentGetParentName(a1), ==, "root");
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "a2")), ==, "root");
    /* Grandchildren keep their record (their parent did not change). */
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "a1x")), ==, "a1");
    g_assert_null(vsTreeLookup(tree, "a"));

    /* Deleting the current snapshot makes its parent current. */
    del(tree, "b1", VS_SNAPSHOT_DELETE_METADATA_ONLY);
    assertDump(tree, "root(a1(a1x) a2 b*) r2");

    /* Deleting a root: its children become roots, current cleared. */
    setCurrent(tree, "root");
    del(tree, "root", 0);
    assertDump(tree, "a1(a1x) a2 b r2");
    g_assert_null(vsTreeGetCurrent(tree));
    g_assert_null(vsMomentGetParentName(vsTreeLookup(tree, "a1")));

    /* A current snapshot elsewhere is left alone. */
    setCurrent(tree, "a1x");
    del(tree, "b", 0);
    assertDump(tree, "a1(a1x*) a2 r2");
    del(tree, "a1", 0);
    assertDump(tree, "a1x* a2 r2");
    del(tree, "a1x", 0);
    assertDump(tree, "a2 r2");
    g_assert_null(vsTreeGetCurrent(tree));
}

static void
testDeleteSingleMerge(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);

    /* Moved children interleave with their new siblings by time. */
    add(tree, "p", NULL, 1);
    add(tree, "s1", "p", 10);
    add(tree, "s", "p", 20);
    add(tree, "s3", "p", 30);
    add(tree, "c0", "s", 5);
    add(tree, "c2", "s", 25);
    add(tree, "c4", "s", 40);
    add(tree, "g", "c2", 50);
    del(tree, "s", 0);
    assertDump(tree, "p(c0 s1 c2(g) s3 c4)");
}

static void
testDeleteChildren(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsTree) tree2 = observedTree();
    g_autoptr(vsTree) tree3 = observedTree();
    g_autoptr(vsTree) tree4 = observedTree();

    /* OBSERVED §4.7 in its order: delete a (a1, a2 move under root), then
     * --children a1 with current a1x → current is a1's parent, root. */
    setCurrent(tree, "a1x");
    del(tree, "a", 0);
    assertDump(tree, "root(a1(a1x*) a2 b(b1)) r2");
    del(tree, "a1", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree, "root*(a2 b(b1)) r2");
    g_assert_null(vsTreeLookup(tree, "a1"));
    g_assert_null(vsTreeLookup(tree, "a1x"));

    /* Current elsewhere stays. */
    setCurrent(tree, "a2");
    del(tree, "b", VS_SNAPSHOT_DELETE_CHILDREN | VS_SNAPSHOT_DELETE_METADATA_ONLY);
    assertDump(tree, "root(a2*) r2");

    /* The same on the untouched tree: current goes to a1's parent, a. */
    setCurrent(tree4, "a1x");
    del(tree4, "a1", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree4, "root(a*(a2) b(b1)) r2");

    /* --current --children on a root: all gone, nothing current. */
    setCurrent(tree2, "root");
    del(tree2, "root", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree2, "r2");
    g_assert_null(vsTreeGetCurrent(tree2));

    /* Current being the deleted snapshot itself. */
    setCurrent(tree3, "a");
    del(tree3, "a", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree3, "root*(b(b1)) r2");
    del(tree3, "r2", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree3, "root*(b(b1))");
}

static void
testDeleteChildrenOnly(void)
{
    g_autoptr(vsTree) chain = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsTree) tree = observedTree();

    /* OBSERVED §4.7: root->c1->c2(current)->c3, --children-only root. */
    add(chain, "root", NULL, 1);
    add(chain, "c1", "root", 2);
    add(chain, "c2", "c1", 3);
    add(chain, "c3", "c2", 4);
    setCurrent(chain, "c2");
    del(chain, "root", VS_SNAPSHOT_DELETE_CHILDREN_ONLY | VS_SNAPSHOT_DELETE_METADATA_ONLY);
    assertDump(chain, "root*");

    /* Current outside the removed descendants stays; S keeps its record. */
    setCurrent(tree, "b1");
    del(tree, "a", VS_SNAPSHOT_DELETE_CHILDREN_ONLY);
    assertDump(tree, "root(a b(b1*)) r2");
    setCurrent(tree, "a");
    del(tree, "a", VS_SNAPSHOT_DELETE_CHILDREN_ONLY);
    assertDump(tree, "root(a* b(b1)) r2");
    /* The current one among the removed descendants: S becomes current. */
    del(tree, "root", VS_SNAPSHOT_DELETE_CHILDREN_ONLY);
    assertDump(tree, "root* r2");
}

static void
testDeleteErrors(void)
{
    g_autoptr(vsTree) tree = observedTree();

    setCurrent(tree, "a");
    assertError(vsTreeDelete(tree, "root", VS_SNAPSHOT_DELETE_CHILDREN |
                             VS_SNAPSHOT_DELETE_CHILDREN_ONLY, &_e),
                VS_ERROR_INVALID,
                "Flags 'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN' and "
                "'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY' are mutually exclusive");
    assertError(vsTreeDelete(tree, "nosuch", 0, &_e), VS_ERROR_NOT_FOUND,
                "Domain snapshot not found: no domain snapshot with matching name 'nosuch'");
    assertError(vsTreeDelete(tree, "nosuch", VS_SNAPSHOT_DELETE_CHILDREN, &_e),
                VS_ERROR_NOT_FOUND,
                "Domain snapshot not found: no domain snapshot with matching name 'nosuch'");
    assertError(vsTreeDelete(tree, "a", 1u << 3, &_e), VS_ERROR_INVALID,
                "invalid argument: unsupported flags (0x8) in function qemuSnapshotDelete");
    assertDump(tree, "root(a*(a1(a1x) a2) b(b1)) r2");
}

/* OBSERVED §6.1: a deleted descendant with children and a later sibling
 * crashed libvirtd 9.0.0 (root -> {c1 -> c2, x}, c1 listed before x). */
static void
testDeleteCrashShape(void)
{
    guint variant;

    for (variant = 0; variant < 3; variant++) {
        g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);

        add(tree, "root", NULL, 1);
        add(tree, "c1", "root", 2);
        add(tree, "c2", "c1", 3);
        add(tree, "x", "root", 4);
        add(tree, "d1", "c2", 5);
        add(tree, "d2", "c2", 6);
        add(tree, "d1a", "d1", 7);
        setCurrent(tree, "d1a");
        assertDump(tree, "root(c1(c2(d1(d1a*) d2)) x)");

        switch (variant) {
        case 0:
            del(tree, "root", VS_SNAPSHOT_DELETE_CHILDREN_ONLY |
                VS_SNAPSHOT_DELETE_METADATA_ONLY);
            assertDump(tree, "root*");
            break;
        case 1:
            del(tree, "root", VS_SNAPSHOT_DELETE_CHILDREN | VS_SNAPSHOT_DELETE_METADATA_ONLY);
            assertDump(tree, "");
            g_assert_null(vsTreeGetCurrent(tree));
            break;
        case 2:
            del(tree, "c1", VS_SNAPSHOT_DELETE_CHILDREN);
            assertDump(tree, "root*(x)");
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Copy, walk                                                           */

static void
countVisit(const vsSnapshot *snap, gpointer data)
{
    GString *out = data;

    if (out->len)
        g_string_append_c(out, ' ');
    g_string_append(out, vsMomentGetName(snap));
}

static void
testForEach(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsTree) empty = vsTreeNew(&vsSnapshotKind);
    g_autoptr(GString) out = g_string_new(NULL);

    vsTreeForEach(tree, countVisit, out);
    g_assert_cmpstr(out->str, ==, "root a a1 a1x a2 b b1 r2");
    g_string_truncate(out, 0);
    vsTreeForEach(empty, countVisit, out);
    g_assert_cmpstr(out->str, ==, "");
}

static void
testCopy(void)
{
    g_autoptr(vsTree) tree = observedTree();
    g_autoptr(vsTree) copy = NULL;
    g_autoptr(vsTree) copy2 = NULL;
    g_autoptr(vsSnapshot) moved = mkSnap("b", "a2", 150);
    g_autoptr(vsSnapshot) extra = mkSnap("extra", "r2", 1);
    g_autoptr(GError) error = NULL;

    setCurrent(tree, "a1x");
    copy = vsTreeCopy(tree);
    assertDump(copy, "root(a(a1(a1x*) a2) b(b1)) r2");
    /* Records are shared, not duplicated. */
    g_assert_true(vsTreeLookup(copy, "a1") == vsTreeLookup(tree, "a1"));

    del(copy, "a", 0);
    del(copy, "a1", VS_SNAPSHOT_DELETE_CHILDREN);
    redefine(copy, moved);
    g_assert_cmpint(vsTreeAdd(copy, extra, &error), ==, 0);
    setCurrent(copy, "b1");
    assertDump(copy, "root(a2(b(b1*))) r2(extra)");

    /* The original is untouched, records included. */
    assertDump(tree, "root(a(a1(a1x*) a2) b(b1)) r2");
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "a2")), ==, "a");
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "b")), ==, "root");

    /* And the other way round. */
    copy2 = vsTreeCopy(tree);
    del(tree, "root", VS_SNAPSHOT_DELETE_CHILDREN);
    assertDump(tree, "r2");
    assertDump(copy2, "root(a(a1(a1x*) a2) b(b1)) r2");
    g_clear_pointer(&tree, vsTreeFree);
    assertDump(copy2, "root(a(a1(a1x*) a2) b(b1)) r2");
}

static void
testCopyUnlinked(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsTree) copy = NULL;
    g_autoptr(vsSnapshot) kid = mkSnap("kid", "base", 2);
    g_autoptr(vsSnapshot) base = mkSnap("base", NULL, 1);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsTreeAddUnlinked(tree, kid, &error), ==, 0);
    g_assert_cmpint(vsTreeAddUnlinked(tree, base, &error), ==, 0);
    copy = vsTreeCopy(tree);
    g_assert_cmpuint(vsTreeCount(copy), ==, 2);
    g_assert_cmpint(vsTreeLinkAll(copy, &error), ==, 0);
    assertDump(copy, "base(kid)");
    g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    assertDump(tree, "base(kid)");
}

/* ------------------------------------------------------------------ */
/* Deep chains                                                          */

#define CHAIN_LEN 16384

typedef struct {
    GPtrArray *recs;         /* c00000 .. c16383, each the parent of the next */
    gboolean done;
} ChainData;

static char *
chainName(guint i)
{
    return g_strdup_printf("c%05u", i);
}

static vsTree *
chainTree(ChainData *data, gboolean unlinked)
{
    vsTree *tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(GError) error = NULL;
    guint i;

    if (unlinked) {
        /* Leaf first: the worst order for a loader. */
        for (i = data->recs->len; i > 0; i--)
            g_assert_cmpint(vsTreeAddUnlinked(tree, data->recs->pdata[i - 1], &error), ==, 0);
        g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    } else {
        for (i = 0; i < data->recs->len; i++)
            g_assert_cmpint(vsTreeAdd(tree, data->recs->pdata[i], &error), ==, 0);
    }
    g_assert_no_error(error);
    return tree;
}

static void
chainVisit(const vsSnapshot *snap, gpointer data)
{
    guint *next = data;
    g_autofree char *want = chainName(*next);

    g_assert_cmpstr(vsMomentGetName(snap), ==, want);
    (*next)++;
}

static gpointer
chainRun(gpointer opaque)
{
    ChainData *data = opaque;
    g_autoptr(vsTree) tree = chainTree(data, TRUE);
    g_autoptr(vsTree) linked = chainTree(data, FALSE);
    g_autoptr(vsTree) copy = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(vsSnapshot) loop = mkSnap("c00000", "c16383", 1);
    g_autofree char *last = chainName(CHAIN_LEN - 1);
    const vsSnapshot *top = vsTreeLookup(tree, "c00000");
    g_autoptr(GTimer) timer = g_timer_new();
    guint next = 0;
    guint i;

    g_assert_cmpuint(vsTreeCount(tree), ==, CHAIN_LEN);
    g_assert_cmpuint(vsTreeCountDescendants(tree, top), ==, CHAIN_LEN - 1);
    g_assert_cmpuint(vsTreeCountDescendants(linked, vsTreeLookup(linked, "c00000")),
                     ==, CHAIN_LEN - 1);

    g_assert_cmpint(vsTreeList(&all, tree, NULL, 0, &error), ==, 0);
    g_assert_cmpuint(all->len, ==, CHAIN_LEN);
    for (i = 0; i < all->len; i++)
        g_assert_true(all->pdata[i] == data->recs->pdata[i]);
    g_clear_pointer(&all, g_ptr_array_unref);
    g_assert_cmpint(vsTreeList(&all, tree, top, VS_SNAPSHOT_LIST_DESCENDANTS |
                               VS_SNAPSHOT_LIST_LEAVES, &error), ==, 0);
    g_assert_cmpuint(all->len, ==, 1);
    g_assert_cmpstr(vsMomentGetName(all->pdata[0]), ==, last);
    vsTreeForEach(tree, chainVisit, &next);
    g_assert_cmpuint(next, ==, CHAIN_LEN);

    /* The cycle check walks the whole chain. */
    assertError(vsTreeCheckCycles(tree, loop, &_e), VS_ERROR_INVALID,
                "invalid argument: parent c00001 would create cycle to c00000");

    copy = vsTreeCopy(tree);
    setCurrent(tree, last);

    /* Single deletes: the root, the middle, the leaf. */
    del(tree, "c00000", 0);
    g_assert_null(vsMomentGetParentName(vsTreeLookup(tree, "c00001")));
    del(tree, "c08000", 0);
    g_assert_cmpstr(vsMomentGetParentName(vsTreeLookup(tree, "c08001")), ==, "c07999");
    del(tree, last, 0);
    g_assert_cmpstr(currentName(tree), ==, "c16382");
    g_assert_cmpuint(vsTreeCount(tree), ==, CHAIN_LEN - 3);

    /* --children-only then --children of whole chains: linear time. */
    g_timer_start(timer);
    del(tree, "c00001", VS_SNAPSHOT_DELETE_CHILDREN_ONLY);
    assertDump(tree, "c00001*");
    del(copy, "c00000", VS_SNAPSHOT_DELETE_CHILDREN);
    g_assert_cmpuint(vsTreeCount(copy), ==, 0);
    del(linked, "c00000", VS_SNAPSHOT_DELETE_CHILDREN);
    g_assert_cmpuint(vsTreeCount(linked), ==, 0);
    g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, 5.0);

    data->done = TRUE;
    return NULL;
}

static void
testDeepChain(void)
{
    ChainData data = { g_ptr_array_new_with_free_func((GDestroyNotify)vsMomentUnref),
                       FALSE };
    pthread_attr_t attr;
    pthread_t thread;
    guint i;

    for (i = 0; i < CHAIN_LEN; i++) {
        g_autofree char *name = chainName(i);
        g_autofree char *parent = i ? chainName(i - 1) : NULL;

        g_ptr_array_add(data.recs, mkSnap(name, parent, i + 1));
    }

    /* A 256 KiB stack: any recursion over a 16k-deep chain overflows it,
     * the module's explicit-stack walks do not. */
    g_assert_cmpint(pthread_attr_init(&attr), ==, 0);
    g_assert_cmpint(pthread_attr_setstacksize(&attr, 256 * 1024), ==, 0);
    g_assert_cmpint(pthread_create(&thread, &attr, chainRun, &data), ==, 0);
    g_assert_cmpint(pthread_join(thread, NULL), ==, 0);
    pthread_attr_destroy(&attr);
    g_assert_true(data.done);
    g_ptr_array_unref(data.recs);
}

/* Wide trees: sorted sibling lists stay cheap to build and edit. */
static void
testWide(void)
{
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) kids = NULL;
    const guint n = 20000;
    guint i;

    add(tree, "hub", NULL, 1);
    for (i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("w%05u", i);
        /* Descending times: every child sorts first. */
        g_autoptr(vsSnapshot) snap = mkSnap(name, "hub", n - i);

        g_assert_cmpint(vsTreeAddUnlinked(tree, snap, &error), ==, 0);
    }
    g_assert_cmpint(vsTreeLinkAll(tree, &error), ==, 0);
    g_assert_cmpint(vsTreeList(&kids, tree, vsTreeLookup(tree, "hub"), 0, &error), ==, 0);
    g_assert_cmpuint(kids->len, ==, n);
    g_assert_cmpstr(vsMomentGetName(kids->pdata[0]), ==, "w19999");
    g_assert_cmpstr(vsMomentGetName(kids->pdata[n - 1]), ==, "w00000");
    del(tree, "hub", 0);
    g_assert_cmpuint(vsTreeCount(tree), ==, n);
    g_assert_null(vsMomentGetParentName(vsTreeLookup(tree, "w12345")));
    assertList(tree, NULL, VS_SNAPSHOT_LIST_ROOTS | VS_SNAPSHOT_LIST_NO_LEAVES, "");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/tree/add/basic", testAddBasic);
    g_test_add_func("/tree/add/reference", testAddReference);
    g_test_add_func("/tree/add/sibling-order", testSiblingOrder);
    g_test_add_func("/tree/link/any-order", testLinkAnyOrder);
    g_test_add_func("/tree/link/mixed", testLinkMixed);
    g_test_add_func("/tree/link/missing-parent", testLinkMissingParent);
    g_test_add_func("/tree/link/cycle", testLinkCycle);
    g_test_add_func("/tree/current", testCurrent);
    g_test_add_func("/tree/list/observed", testListObserved);
    g_test_add_func("/tree/list/filters", testListFilters);
    g_test_add_func("/tree/list/errors", testListErrors);
    g_test_add_func("/tree/redefine/check-cycles", testCheckCycles);
    g_test_add_func("/tree/redefine/update", testRedefine);
    g_test_add_func("/tree/delete/single", testDeleteSingle);
    g_test_add_func("/tree/delete/single-merge", testDeleteSingleMerge);
    g_test_add_func("/tree/delete/children", testDeleteChildren);
    g_test_add_func("/tree/delete/children-only", testDeleteChildrenOnly);
    g_test_add_func("/tree/delete/errors", testDeleteErrors);
    g_test_add_func("/tree/delete/crash-shape", testDeleteCrashShape);
    g_test_add_func("/tree/walk/foreach", testForEach);
    g_test_add_func("/tree/copy/independent", testCopy);
    g_test_add_func("/tree/copy/unlinked", testCopyUnlinked);
    g_test_add_func("/tree/deep/chain-16k", testDeepChain);
    g_test_add_func("/tree/wide/20k-siblings", testWide);

    return g_test_run();
}
