/* test-store.c — the store: load, one write per operation, rollback, locks,
 * and all-or-nothing refusal of broken files. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "testutil.h"
#include "virtsnap-private.h"

#define UUID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define DOMAIN_XML \
    "<domain type='qemu'><name>demo</name><uuid>" UUID "</uuid>" \
    "<memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os>" \
    "<devices><disk type='file' device='disk'>" \
    "<source file='/var/lib/images/demo.qcow2'/><target dev='vda' bus='virtio'/>" \
    "</disk></devices></domain>"

static char *
redefineXML(const char *name, const char *parent, gint64 when)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    return g_strdup_printf("<domainsnapshot><name>%s</name><state>shutoff</state>%s"
                           "<creationTime>%" G_GINT64_FORMAT "</creationTime>%s"
                           "</domainsnapshot>", name, p, when, DOMAIN_XML);
}

typedef struct {
    char *dir;
    vsStore *store;
} Fixture;

static gint64
fixedClock(gpointer data)
{
    return GPOINTER_TO_INT(data);
}

static void
fixtureSetUp(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = vsTestTempDir();
    g_assert_cmpint(vsStoreOpen(&f->store, f->dir, 0, &error), ==, 0);
    g_assert_no_error(error);
    vsStoreSetClock(f->store, fixedClock, GINT_TO_POINTER(1700000000));
}

static void
fixtureTearDown(Fixture *f, gconstpointer data)
{
    vsAtomicFileSetFaultHook(NULL, NULL);
    vsStoreFree(f->store);
    g_free(f->dir);
}

static vsDomain *
loadWrite(Fixture *f, const char *vm)
{
    g_autoptr(GError) error = NULL;
    vsDomain *dom = NULL;
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &error),
                    ==, 0);
    g_assert_no_error(error);
    return dom;
}

/* @len may be -1 for a NUL-terminated document. */
static int
create(char **name, vsDomain *dom, const char *xml, gssize len, const char *domain_xml,
       unsigned int flags, GError **error)
{
    return vsDomainCreateXML(name, dom, xml, len < 0 ? strlen(xml) : (gsize) len, domain_xml,
                             0, flags, error);
}

static void
redefine(vsDomain *dom, const char *name, const char *parent, gint64 when, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = redefineXML(name, parent, when);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_REDEFINE | flags, &error), ==, 0);
    g_assert_no_error(error);
}

static char *
fileContents(Fixture *f, const char *name)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    char *data = NULL;
    if (!g_file_get_contents(path, &data, NULL, NULL))
        return NULL;
    return data;
}

/* Names of the domain's snapshots in topological order, space separated. */
static char *
listNames(const vsDomain *dom, unsigned int flags)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GError) error = NULL;
    GString *s = g_string_new(NULL);
    g_assert_cmpint(vsDomainListMoments(&list, dom, NULL, flags, &error), ==, 0);
    for (guint i = 0; i < list->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", vsMomentGetName(list->pdata[i]));
    return g_string_free(s, FALSE);
}

static void
test_one_write_per_operation(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(GError) error = NULL;
    guint64 before;
    struct stat st;
    g_autofree char *path = g_build_filename(f->dir, "demo.xml", NULL);

    /* A chain of 50 plus a side branch. */
    redefine(dom, "s0", NULL, 100, 0);
    for (int i = 1; i < 50; i++) {
        g_autofree char *name = g_strdup_printf("s%d", i);
        g_autofree char *parent = g_strdup_printf("s%d", i - 1);
        redefine(dom, name, parent, 100 + i, 0);
    }
    redefine(dom, "side", "s0", 99, VS_SNAPSHOT_CREATE_CURRENT);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, 51);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    before = vsStoreGetCommitCount(f->store);
    g_assert_cmpint(vsDomainSetCurrent(dom, "s10", &error), ==, 0);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, before + 1);

    /* Deleting a middle node re-parents its child: still one write. */
    g_assert_cmpint(vsDomainDelete(dom, "s5", 0, &error), ==, 0);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, before + 2);
    g_assert_cmpstr(vsMomentGetParentName(vsDomainLookup(dom, "s6", NULL)), ==, "s4");

    /* --children of the chain's start: 46 snapshots go in one write. */
    g_assert_cmpint(vsDomainDelete(dom, "s4", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, before + 3);
    g_assert_cmpuint(vsDomainCount(dom), ==, 5);
    /* current (s10) was inside the subtree: it moves to s4's parent */
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "s3");

    /* The file says exactly what memory says. */
    {
        g_autoptr(vsDomain) ro = NULL;
        g_autofree char *a = NULL, *b = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&ro, f->store, "demo", NULL, 0, &error), ==, 0);
        vsDomainFormat(&a, dom, NULL);
        vsDomainFormat(&b, ro, NULL);
        g_assert_cmpstr(a, ==, b);
        g_autofree char *names = listNames(ro, 0);
        g_assert_cmpstr(names, ==, "s0 side s1 s2 s3");
    }

    /* Deleting the last snapshots removes the file. */
    g_assert_cmpint(vsDomainDelete(dom, "s0", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 0);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

static void
test_plain_create(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    g_autofree char *name2 = NULL;
    const char *xml = "<domainsnapshot><description>first</description></domainsnapshot>";

    /* No <domain> given and no current snapshot to take it from. */
    g_assert_cmpint(vsDomainCreateXML(&name, dom, xml, strlen(xml), NULL, 0, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "internal error: missing domain in snapshot");
    g_clear_error(&error);

    g_assert_cmpint(vsDomainCreateXML(&name, dom, xml, strlen(xml), DOMAIN_XML, 0, 0, &error),
                    ==, 0);
    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "1700000000");   /* libvirt: default name = creation time */
    {
        const vsSnapshot *s = vsDomainLookup(dom, name, NULL);
        g_assert_cmpint(vsMomentGetCreationTime(s), ==, 1700000000);
        g_assert_cmpint(vsSnapshotGetState(s), ==, VS_SNAPSHOT_STATE_SHUTOFF);
        g_assert_cmpint(vsSnapshotGetMemoryLocation(s), ==, VS_SNAPSHOT_LOCATION_NO);
        g_assert_true(vsMomentHasDomain(s));
    }

    /* The next one takes the current snapshot's domain and becomes its child. */
    vsStoreSetClock(f->store, fixedClock, GINT_TO_POINTER(1700000100));
    g_assert_cmpint(create(&name2, dom, "<domainsnapshot><name>b</name></domainsnapshot>", -1, NULL, 0, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpstr(vsMomentGetParentName(vsDomainLookup(dom, "b", NULL)), ==, name);
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "b");

    /* Same name again: libvirt's text. */
    g_assert_cmpint(create(NULL, dom, "<domainsnapshot><name>b</name></domainsnapshot>", -1, NULL, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_EXISTS);
    g_assert_cmpstr(error->message, ==, "operation failed: domain moment b already exists");
    g_clear_error(&error);

    /* Names libvirt refuses. */
    g_assert_cmpint(create(NULL, dom, "<domainsnapshot><name>a/b</name></domainsnapshot>", -1, NULL, 0, &error), <, 0);
    g_assert_cmpstr(error->message, ==, "invalid snapshot name 'a/b': name can't contain '/'");
    g_clear_error(&error);

    /* Flag rules. */
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_CURRENT, &error), <, 0);
    g_assert_cmpstr(error->message, ==, "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is "
                    "required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'");
    g_clear_error(&error);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_NO_METADATA, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, 2);
}

static void
test_redefine_rules(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(GError) error = NULL;

    redefine(dom, "root", NULL, 100, VS_SNAPSHOT_CREATE_CURRENT);
    redefine(dom, "a", "root", 200, 0);
    redefine(dom, "a1", "a", 300, 0);

    /* Redefining the current snapshot without CURRENT keeps it current. */
    redefine(dom, "root", NULL, 150, 0);
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "root");
    g_assert_cmpint(vsMomentGetCreationTime(vsDomainLookup(dom, "root", NULL)), ==, 150);
    g_assert_cmpuint(vsDomainCountDescendants(dom, vsDomainLookup(dom, "root", NULL)), ==, 2);

    /* Without <domain> the stored one is kept (existing name only). */
    {
        const char *xml = "<domainsnapshot><name>a</name><state>shutoff</state>"
                          "<parent><name>root</name></parent>"
                          "<creationTime>250</creationTime></domainsnapshot>";
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), ==, 0);
        g_assert_no_error(error);
        g_assert_true(vsMomentHasDomain(vsDomainLookup(dom, "a", NULL)));
    }

    /* Cycle: libvirt's text. */
    {
        g_autofree char *xml = redefineXML("root", "a1", 100);
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
        g_assert_cmpstr(error->message, ==,
                        "invalid argument: parent a would create cycle to root");
        g_clear_error(&error);
    }
    /* Online/offline change refused. */
    {
        const char *xml = "<domainsnapshot><name>a1</name><state>running</state>"
                          "<parent><name>a</name></parent><memory snapshot='no'/>"
                          "<creationTime>300</creationTime></domainsnapshot>";
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
        g_assert_cmpstr(error->message, ==,
                        "invalid argument: cannot change between online and offline snapshot "
                        "state in snapshot a1");
        g_clear_error(&error);
    }
    /* A different VM's UUID. */
    {
        g_autofree char *xml = redefineXML("other", NULL, 5);
        char *u = strstr(xml, UUID);
        memcpy(u, "6b1c7f3e", 8);
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
        g_assert_cmpstr(error->message, ==, "invalid argument: definition for snapshot other "
                        "must use uuid " UUID);
        g_clear_error(&error);
    }
    /* New name without a <domain>: libvirt's alignment error. */
    {
        const char *xml = "<domainsnapshot><name>new</name><state>shutoff</state>"
                          "<creationTime>1</creationTime></domainsnapshot>";
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
        g_assert_cmpstr(error->message, ==, "internal error: missing domain in snapshot");
        g_clear_error(&error);
    }
    /* None of the failures wrote anything. */
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, 5);
}

/* States the qemu driver refuses (qemuSnapshotCreateXMLValidateDef): the
 * record's on a redefine, the VM's on a plain create; checked before the
 * tree is looked at, so they win over a missing parent or an existing name
 * (order and texts from virsh 9.0: tests/cli/redefine-states). */
static void
test_refused_states(Fixture *f, gconstpointer data)
{
    static const char pm[] = "Operation not supported: qemu doesn't support taking "
                             "snapshots of PMSUSPENDED guests";
    static const struct {
        const char *state;
        const char *parent;
        const char *message;
    } redefines[] = {
        { "pmsuspended", NULL, pm },
        { "blocked", NULL, "internal error: Invalid domain state blocked" },
        { "pmsuspended", "gone", pm },
        { "blocked", "base", "internal error: Invalid domain state blocked" },
    };
    static const struct {
        vsSnapshotState vm_state;
        const char *message;
    } creates[] = {
        { VS_SNAPSHOT_STATE_PMSUSPENDED, pm },
        { VS_SNAPSHOT_STATE_BLOCKED, "internal error: Invalid domain state blocked" },
        { VS_SNAPSHOT_STATE_DISK_SNAPSHOT, "internal error: Invalid domain state disk-snapshot" },
    };
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");

    redefine(dom, "base", NULL, 100, VS_SNAPSHOT_CREATE_CURRENT);
    for (gsize i = 0; i < G_N_ELEMENTS(redefines); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *p = redefines[i].parent
            ? g_strdup_printf("<parent><name>%s</name></parent>", redefines[i].parent)
            : g_strdup("");
        g_autofree char *xml = g_strdup_printf(
            "<domainsnapshot><name>base</name><state>%s</state>%s"
            "<creationTime>1</creationTime>%s</domainsnapshot>",
            redefines[i].state, p, DOMAIN_XML);

        g_assert_cmpint(create(NULL, dom, xml, -1, NULL, VS_SNAPSHOT_CREATE_REDEFINE,
                               &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, redefines[i].message);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(creates); i++) {
        g_autoptr(GError) error = NULL;
        const char *xml = "<domainsnapshot><name>base</name></domainsnapshot>";

        g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), DOMAIN_XML,
                                          creates[i].vm_state, 0, &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, creates[i].message);
    }
    g_assert_cmpuint(vsDomainCount(dom), ==, 1);
    g_assert_cmpint(vsMomentGetCreationTime(vsDomainLookup(dom, "base", NULL)), ==, 100);
    g_assert_cmpuint(vsStoreGetCommitCount(f->store), ==, 1);
}

static void
assertReadable(const vsSnapshot *snap, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    g_assert_cmpstr(vsMomentGetName(snap), ==, name);
    g_assert_cmpint(vsSnapshotFormat(&xml, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, &error), ==, 0);
    g_assert_nonnull(strstr(xml, UUID));   /* its <domain> is there too */
}

/* Borrowed records (virtsnap.h): every record a handle hands out stays
 * valid and unchanged until vsDomainFree, whatever runs in between; it
 * describes the snapshot as it was.  Under AddressSanitizer (the sanitizer
 * suite) a record freed by a later operation is a heap-use-after-free. */
static void
test_borrowed_records_outlive_changes(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GError) error = NULL;
    const vsSnapshot *a1, *a, *root, *a1_now;

    redefine(dom, "root", NULL, 100, VS_SNAPSHOT_CREATE_CURRENT);
    redefine(dom, "a", "root", 200, 0);
    redefine(dom, "a1", "a", 300, 0);
    redefine(dom, "b", "root", 400, 0);
    a1 = vsDomainLookup(dom, "a1", NULL);
    a = vsDomainGetParent(dom, a1);
    root = vsDomainGetCurrent(dom, NULL);
    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, &error), ==, 0);
    g_assert_cmpuint(all->len, ==, 4);

    /* Deleting a parent re-parents its child with a new record and drops
     * its own; both old ones still read as they were. */
    g_assert_cmpint(vsDomainDelete(dom, "a", 0, &error), ==, 0);
    assertReadable(a1, "a1");
    g_assert_cmpstr(vsMomentGetParentName(a1), ==, "a");
    assertReadable(a, "a");
    a1_now = vsDomainLookup(dom, "a1", NULL);
    g_assert_true(a1_now != a1);
    g_assert_cmpstr(vsMomentGetParentName(a1_now), ==, "root");
    /* A record handed back is looked up by name in the tree as it is now. */
    g_assert_true(vsDomainGetParent(dom, a1) == vsDomainLookup(dom, "root", NULL));
    g_assert_null(vsDomainGetParent(dom, a));
    g_assert_cmpuint(vsDomainCountChildren(dom, a), ==, 0);
    g_assert_cmpuint(vsDomainCountDescendants(dom, root), ==, 2);

    /* A redefine replaces the record; the old one keeps the old values. */
    redefine(dom, "root", NULL, 150, 0);
    g_assert_cmpint(vsMomentGetCreationTime(root), ==, 100);
    g_assert_cmpint(vsMomentGetCreationTime(vsDomainGetCurrent(dom, NULL)), ==, 150);

    g_assert_cmpint(vsDomainDelete(dom, "root", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 0);
    for (guint i = 0; i < all->len; i++) {
        const vsSnapshot *snap = g_ptr_array_index(all, i);
        assertReadable(snap, vsMomentGetName(snap));
    }
    assertReadable(root, "root");
    assertReadable(a1_now, "a1");
}

static gboolean
hasDomain(Fixture *f, const char *vm)
{
    g_autoptr(GError) error = NULL;
    gboolean known = TRUE;

    g_assert_cmpint(vsStoreHasDomain(&known, f->store, vm, &error), ==, 0);
    g_assert_no_error(error);
    return known;
}

/* A VM exists for virtsnap while the store holds anything for it: its bulk
 * file or a legacy directory (any entry, not followed). */
static void
test_has_domain(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *legacy = g_build_filename(f->dir, "old", NULL);
    g_autofree char *link = g_build_filename(f->dir, "linked.xml", NULL);
    gboolean known = TRUE;

    g_assert_false(hasDomain(f, "demo"));
    {
        g_autoptr(vsDomain) dom = loadWrite(f, "demo");
        g_assert_false(hasDomain(f, "demo"));   /* loading creates nothing */
        redefine(dom, "s1", NULL, 100, 0);
        g_assert_true(hasDomain(f, "demo"));
        g_assert_cmpint(vsDomainDelete(dom, "s1", 0, &error), ==, 0);
        g_assert_false(hasDomain(f, "demo"));   /* last snapshot gone */
    }
    g_assert_cmpint(g_mkdir(legacy, 0700), ==, 0);
    g_assert_true(hasDomain(f, "old"));
    g_assert_cmpint(symlink("/nonexistent", link), ==, 0);
    g_assert_true(hasDomain(f, "linked"));
    g_assert_cmpint(vsStoreHasDomain(&known, f->store, "../demo", &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_false(known);
}

static int
failStep(vsAtomicStep step, gpointer data)
{
    const int *spec = data;   /* {step, errno} */
    return (int) step == spec[0] ? spec[1] : 0;
}

static void
test_failed_commit_rolls_back(Fixture *f, gconstpointer data)
{
    static const int steps[] = { VS_ATOMIC_STEP_CREATE, VS_ATOMIC_STEP_WRITE,
                                 VS_ATOMIC_STEP_FSYNC, VS_ATOMIC_STEP_RENAME };
    static const int errnos[] = { ENOSPC, EIO, EDQUOT, EROFS, EACCES };
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(GError) error = NULL;

    redefine(dom, "root", NULL, 100, VS_SNAPSHOT_CREATE_CURRENT);
    redefine(dom, "a", "root", 200, 0);

    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        for (guint j = 0; j < G_N_ELEMENTS(errnos); j++) {
            int spec[2] = { steps[i], errnos[j] };
            g_autofree char *before_file = fileContents(f, "demo.xml");
            g_autofree char *before_mem = NULL;
            g_autofree char *after_mem = NULL;
            g_autofree char *after_file = NULL;
            g_autofree char *xml = redefineXML("b", "root", 300);

            vsDomainFormat(&before_mem, dom, NULL);
            vsAtomicFileSetFaultHook(failStep, spec);
            g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                              VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
            g_assert_error(error, VS_ERROR, VS_ERROR_IO);
            g_assert_nonnull(strstr(error->message, "demo.xml"));
            g_assert_nonnull(strstr(error->message, g_strerror(errnos[j])));
            g_clear_error(&error);
            g_assert_cmpint(vsDomainDelete(dom, "a", 0, &error), <, 0);
            g_clear_error(&error);
            vsAtomicFileSetFaultHook(NULL, NULL);

            after_file = fileContents(f, "demo.xml");
            vsDomainFormat(&after_mem, dom, NULL);
            g_assert_cmpstr(after_file, ==, before_file);
            g_assert_cmpstr(after_mem, ==, before_mem);
            g_assert_null(vsDomainLookup(dom, "b", NULL));
        }
    }
    /* Once the cause is gone the next operation works. */
    redefine(dom, "b", "root", 300, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 3);
}

static void
test_locks(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "demo");
    g_autoptr(vsDomain) other = NULL;
    g_autoptr(vsDomain) ro = NULL;
    g_autoptr(GError) error = NULL;

    /* A second writer of the same VM is refused while the first holds it. */
    g_assert_cmpint(vsStoreLoadDomain(&other, f->store, "demo", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_LOCKED);
    g_clear_error(&error);
    /* Another VM is not blocked. */
    g_assert_cmpint(vsStoreLoadDomain(&other, f->store, "demo2", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error), ==, 0);
    /* Readers never wait, and read-only handles refuse to write. */
    g_assert_cmpint(vsStoreLoadDomain(&ro, f->store, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpint(vsDomainSetCurrent(ro, "x", &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    /* Releasing the first lets the next writer in. */
    g_clear_pointer(&dom, vsDomainFree);
    g_clear_pointer(&other, vsDomainFree);
    g_assert_cmpint(vsStoreLoadDomain(&other, f->store, "demo", NULL,
                                      VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT, &error), ==, 0);
}

static void
writeFile(Fixture *f, const char *name, const char *content)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_assert_true(g_file_set_contents(path, content, -1, NULL));
}

static void
test_broken_files_untouched(Fixture *f, gconstpointer data)
{
    static const struct { const char *content; const char *message; } cases[] = {
        { "garbage", "demo.xml:1: Document is empty" },
        { "<domainsnapshot/>", "unexpected root element <domainsnapshot>, expecting <snapshots>" },
        { "<snapshots current='nope'></snapshots>", "no snapshot matching current='nope'" },
        { "<snapshots><domainsnapshot><name>a</name>", "demo.xml:1:" },
        { "<snapshots><bogus/></snapshots>", "unexpected element <bogus> in <snapshots>" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(vsDomain) dom = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *after = NULL;

        writeFile(f, "demo.xml", cases[i].content);
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
        if (!strstr(error->message, cases[i].message))
            g_error("case %u: '%s' lacks '%s'", i, error->message, cases[i].message);
        after = fileContents(f, "demo.xml");
        g_assert_cmpstr(after, ==, cases[i].content);
    }
}

/* Issue 11 item 5: a bulk file holding a name create refuses does not load,
 * so nothing (export-legacy included) can act on it: the path traversal
 * of the report writes nothing outside the store. */
static void
test_bad_name_in_bulk_file(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = redefineXML("../../outside/pwned", NULL, 5);
    g_autofree char *doc = g_strdup_printf("<snapshots>\n%s\n</snapshots>\n", xml);
    g_autofree char *outside = g_build_filename(f->dir, "..", "outside", NULL);

    writeFile(f, "vm1.xml", doc);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "vm1", NULL, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_true(g_str_has_suffix(error->message, "/vm1.xml:2: invalid snapshot name "
                                   "'../../outside/pwned': name can't contain '/'"));
    g_clear_error(&error);
    g_assert_cmpint(vsStoreExportLegacy(&report, f->store, "vm1", 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_false(g_file_test(outside, G_FILE_TEST_EXISTS));
}

static void
test_collisions_and_temps(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autofree char *legacy = g_build_filename(f->dir, "foo.xml", NULL);
    g_autofree char *link = g_build_filename(f->dir, "bar.xml", NULL);

    /* VM 'foo.xml''s legacy directory occupies VM 'foo''s bulk file name. */
    g_assert_cmpint(g_mkdir(legacy, 0700), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "foo", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), <, 0);
    g_assert_nonnull(strstr(error->message, "legacy snapshot directory of VM 'foo.xml'"));
    g_assert_true(g_file_test(legacy, G_FILE_TEST_IS_DIR));
    g_clear_error(&error);

    /* A symlink in place of a bulk file is never followed. */
    g_assert_cmpint(symlink("/etc/hostname", link), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "bar", NULL, 0, &error), <, 0);
    g_assert_nonnull(strstr(error->message, "symbolic link"));
    g_clear_error(&error);

    /* A dead writer's temporary file is cleaned by the next writer, never loaded. */
    writeFile(f, "demo.xml" VS_ATOMIC_TEMP_MARK "Ab12Cd", "<snapshots><half");
    writeFile(f, "demo2.xml" VS_ATOMIC_TEMP_MARK "Ab12Cd", "other VM's");
    dom = loadWrite(f, "demo");
    g_assert_cmpuint(vsDomainCount(dom), ==, 0);
    {
        g_autofree char *t1 = fileContents(f, "demo.xml" VS_ATOMIC_TEMP_MARK "Ab12Cd");
        g_autofree char *t2 = fileContents(f, "demo2.xml" VS_ATOMIC_TEMP_MARK "Ab12Cd");
        g_assert_null(t1);
        g_assert_cmpstr(t2, ==, "other VM's");
    }

    /* Bad VM names. */
    g_clear_pointer(&dom, vsDomainFree);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "../etc", NULL, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, ".virtsnap", NULL, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
}

static void
test_rename_and_delete_all(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) names = NULL;
    {
        g_autoptr(vsDomain) dom = loadWrite(f, "old");
        redefine(dom, "root", NULL, 100, VS_SNAPSHOT_CREATE_CURRENT);
        g_autoptr(vsDomain) dom2 = loadWrite(f, "taken");
        redefine(dom2, "x", NULL, 100, 0);
    }
    g_assert_cmpint(vsStoreRenameDomain(NULL, f->store, "old", "taken", &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreRenameDomain(NULL, f->store, "old", "new", &error), ==, 0);
    g_assert_cmpint(vsStoreListDomains(&names, f->store, &error), ==, 0);
    g_assert_cmpuint(g_strv_length(names), ==, 2);
    g_assert_cmpstr(names[0], ==, "new");
    g_assert_cmpstr(names[1], ==, "taken");
    {
        g_autoptr(vsDomain) dom = loadWrite(f, "new");
        g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "root");
        g_assert_cmpint(vsDomainDeleteAll(dom, &error), ==, 0);
        g_assert_cmpuint(vsDomainCount(dom), ==, 0);
    }
    g_autofree char *gone = fileContents(f, "new.xml");
    g_assert_null(gone);
}

static void
test_compressed(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *plain = NULL, *again = NULL;
    {
        g_autoptr(vsDomain) dom = loadWrite(f, "demo");
        vsStoreSetCompression(f->store, TRUE);
        for (int i = 0; i < 20; i++) {
            g_autofree char *name = g_strdup_printf("s%02d", i);
            g_autofree char *parent = i ? g_strdup_printf("s%02d", i - 1) : NULL;
            redefine(dom, name, parent, 100 + i, 0);
        }
        vsDomainFormat(&plain, dom, NULL);
    }
    {
        gsize len;
        g_autofree char *raw = NULL;
        g_autofree char *path = g_build_filename(f->dir, "demo.xml", NULL);
        g_assert_true(g_file_get_contents(path, &raw, &len, NULL));
        g_assert_cmpuint(len, >=, 4);
        g_assert_cmpmem(raw, 4, "\x28\xb5\x2f\xfd", 4);
        /* near-identical records compress far below their plain size */
        g_assert_cmpuint(len * 5, <, strlen(plain));
    }
    vsStoreSetCompression(f->store, FALSE);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, 0, &error), ==, 0);
        vsDomainFormat(&again, dom, NULL);
    }
    g_assert_cmpstr(plain, ==, again);
}

/* Issue 11 item 1: `snapshot-create-as vm1 --name $'nightly\tbuild'` made
 * the current snapshot's name unloadable (current= wrote the TAB raw, and
 * an XML parser reads a raw TAB in an attribute as a space).  Whatever is
 * accepted reads back, plain and compressed, with a fresh store handle. */
static void
test_tab_in_current_name(Fixture *f, gconstpointer data)
{
    static const char *const doc =
        "<domainsnapshot><name>x\ty</name><description>one&#13;two</description>"
        "<state>shutoff</state><creationTime>5</creationTime><memory snapshot='no'/>"
        "<disks><disk name='vda' snapshot='external'><source file='/i&#9;m&#10;g'/></disk>"
        "</disks>" DOMAIN_XML "</domainsnapshot>";

    for (int compress = 0; compress <= 1; compress++) {
        g_autofree char *vm = g_strdup_printf("vm%d", compress);
        g_autofree char *before = NULL, *after = NULL;
        g_autoptr(vsStore) fresh = NULL;
        g_autoptr(GError) error = NULL;

        vsStoreSetCompression(f->store, compress);
        {
            g_autoptr(vsDomain) dom = loadWrite(f, vm);
            g_assert_cmpint(create(NULL, dom, "<domainsnapshot><name>base</name></domainsnapshot>",
                                   -1, DOMAIN_XML, 0, &error), ==, 0);
            g_assert_cmpint(create(NULL, dom, "<domainsnapshot><name>nightly\tbuild</name>"
                                   "</domainsnapshot>", -1, NULL, 0, &error), ==, 0);
            g_assert_cmpint(create(NULL, dom, doc, -1, NULL, VS_SNAPSHOT_CREATE_REDEFINE,
                                   &error), ==, 0);
            g_assert_no_error(error);
            vsDomainFormat(&before, dom, NULL);
        }
        g_assert_cmpint(vsStoreOpen(&fresh, f->dir, 0, &error), ==, 0);
        {
            g_autoptr(vsDomain) dom = NULL;
            g_assert_cmpint(vsStoreLoadDomain(&dom, fresh, vm, NULL, 0, &error), ==, 0);
            g_assert_no_error(error);
            g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==,
                            "nightly\tbuild");
            g_assert_cmpstr(vsMomentGetDescription(vsDomainLookup(dom, "x\ty", NULL)), ==,
                            "one\rtwo");
            vsDomainFormat(&after, dom, NULL);
        }
        g_assert_nonnull(strstr(before, "<snapshots current='nightly&#9;build'>"));
        g_assert_cmpstr(after, ==, before);
    }
}

/* Reloads @vm with a fresh store handle and returns its bulk document. */
static char *
reloadFormat(Fixture *f, const char *vm)
{
    g_autoptr(vsStore) fresh = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    char *out = NULL;

    g_assert_cmpint(vsStoreOpen(&fresh, f->dir, 0, &error), ==, 0);
    if (vsStoreLoadDomain(&dom, fresh, vm, NULL, 0, &error) < 0)
        g_error("%s does not load back: %s", vm, error->message);
    vsDomainFormat(&out, dom, NULL);
    return out;
}

/* A refused operation leaves the file as it was. */
static void
assertRefused(Fixture *f, vsDomain *dom, const char *xml, const char *domain_xml,
              unsigned int flags, int code, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = fileContents(f, "vm1.xml");
    g_autofree char *after = NULL;

    g_assert_cmpint(create(NULL, dom, xml, -1, domain_xml, flags, &error), <, 0);
    g_assert_error(error, VS_ERROR, code);
    if (!strstr(error->message, message))
        g_error("'%s' does not say '%s'", error->message, message);
    g_assert_null(strchr(error->message, '\n'));
    after = fileContents(f, "vm1.xml");
    g_assert_cmpstr(after, ==, before);
}

/* Issue 11 item 2: <creationTime>0 (libvirt omits it when writing and then
 * drops the snapshot) is refused on redefine, however it is spelled. */
static void
test_creation_time_zero(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "vm1");
    g_autofree char *before = NULL, *after = NULL;

    redefine(dom, "base", NULL, 100, 0);
    before = fileContents(f, "vm1.xml");
    for (const char *const *t = (const char *const[]) { "0", "-0", "+0", "00", NULL }; *t; t++) {
        g_autofree char *xml = g_strdup_printf(
            "<domainsnapshot><name>zero</name><state>shutoff</state>"
            "<creationTime>%s</creationTime></domainsnapshot>", *t);
        assertRefused(f, dom, xml, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_INVALID,
                      "snapshot 'zero': creationTime 0 is not supported");
    }
    /* a plain create whose clock reads 0 */
    vsStoreSetClock(f->store, fixedClock, GINT_TO_POINTER(0));
    assertRefused(f, dom, "<domainsnapshot><name>epoch</name></domainsnapshot>", NULL, 0,
                  VS_ERROR_INVALID, "snapshot 'epoch': the clock reads 0");
    after = reloadFormat(f, "vm1");
    g_assert_cmpuint(vsDomainCount(dom), ==, 1);
}

/* A <domainsnapshot> whose <domain> nests @levels elements (the <domain>
 * itself included), so the record nests levels + 1. */
static char *
deepRecord(const char *name, guint levels, gboolean whole)
{
    GString *xml = g_string_new(NULL);

    if (whole)
        g_string_append_printf(xml, "<domainsnapshot><name>%s</name><state>shutoff</state>"
                               "<creationTime>7</creationTime>", name);
    g_string_append(xml, "<domain type='qemu'><name>demo</name><uuid>" UUID "</uuid>");
    for (guint i = 1; i < levels; i++)
        g_string_append(xml, "<x>");
    for (guint i = 1; i < levels; i++)
        g_string_append(xml, "</x>");
    g_string_append(xml, "</domain>");
    if (whole)
        g_string_append(xml, "</domainsnapshot>");
    return g_string_free(xml, FALSE);
}

/* Issue 11 item 3: a bulk file nests each record one level down, and
 * libxml2 stops at 257 levels: the deepest record that is accepted (256
 * levels) loads back after its commit, one level more is refused, for a
 * redefine and for a plain create's --domain-xml alike. */
static void
test_depth_boundary(Fixture *f, gconstpointer data)
{
    g_autofree char *ok = deepRecord("deep", 255, TRUE);
    g_autofree char *too_deep = deepRecord("deeper", 256, TRUE);
    g_autofree char *ok_domain = deepRecord(NULL, 255, FALSE);
    g_autofree char *deep_domain = deepRecord(NULL, 256, FALSE);

    for (int compress = 0; compress <= 1; compress++) {
        g_autofree char *vm = g_strdup_printf("vm%d", compress);
        g_autofree char *before = NULL, *after = NULL;
        g_autoptr(GError) error = NULL;

        vsStoreSetCompression(f->store, compress);
        {
            g_autoptr(vsDomain) dom = loadWrite(f, vm);
            g_assert_cmpint(create(NULL, dom, ok, -1, NULL, VS_SNAPSHOT_CREATE_REDEFINE,
                                   &error), ==, 0);
            g_assert_cmpint(create(NULL, dom, "<domainsnapshot><name>plain</name>"
                                   "</domainsnapshot>", -1, ok_domain, 0, &error), ==, 0);
            g_assert_no_error(error);
            vsDomainFormat(&before, dom, NULL);
        }
        after = reloadFormat(f, vm);
        g_assert_cmpstr(after, ==, before);
    }
    {
        g_autoptr(vsDomain) dom = loadWrite(f, "vm1");
        redefine(dom, "base", NULL, 100, 0);
        assertRefused(f, dom, too_deep, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_INVALID,
                      "XML error: snapshot 'deeper' nests elements more than 256 levels deep, "
                      "more than a bulk file can hold");
        assertRefused(f, dom, "<domainsnapshot><name>p2</name></domainsnapshot>", deep_domain,
                      0, VS_ERROR_INVALID, "XML error: domain definition nests elements more "
                      "than 255 levels deep, more than a snapshot can hold");
    }
}

/* Whatever libxml2 limit the stored bytes would hit, not the given ones,
 * is refused before the commit: 2,000,000 raw apostrophes in an attribute
 * are stored as &apos; (a 12 MB start tag, past libxml2's 10,000,000-byte
 * lookup limit), and a text of 10,000,001 bytes reads from memory but not
 * through the bulk file's streaming reader. */
static void
test_stored_form_must_load(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = loadWrite(f, "vm1");
    g_autoptr(GString) quotes = g_string_new(NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *in_memory = NULL, *in_domain = NULL, *long_text = NULL;

    redefine(dom, "base", NULL, 100, 0);
    for (guint i = 0; i < 2000000; i++)
        g_string_append_c(quotes, '\'');
    for (guint i = 0; i < 10000001; i++)
        g_string_append_c(text, 'x');
    in_memory = g_strdup_printf(
        "<domainsnapshot><name>quotes</name><state>running</state>"
        "<creationTime>7</creationTime><memory snapshot='external' file=\"/%s\"/>"
        "<disks><disk name='vda' snapshot='no'/></disks>" DOMAIN_XML "</domainsnapshot>", quotes->str);
    assertRefused(f, dom, in_memory, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_INVALID,
                  "snapshot 'quotes' cannot be stored: its stored form would not load back");
    in_domain = g_strdup_printf(
        "<domainsnapshot><name>quotes</name><state>shutoff</state>"
        "<creationTime>7</creationTime><domain type='qemu' title=\"%s\"><name>demo</name>"
        "<uuid>" UUID "</uuid></domain></domainsnapshot>", quotes->str);
    assertRefused(f, dom, in_domain, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_INVALID,
                  "XML error: formatted as it would be stored, a <domain> element does not "
                  "parse again");
    long_text = g_strdup_printf(
        "<domainsnapshot><name>long</name><state>shutoff</state>"
        "<creationTime>7</creationTime><description>%s</description>" DOMAIN_XML
        "</domainsnapshot>",
        text->str);
    assertRefused(f, dom, long_text, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_INVALID,
                  "snapshot 'long' cannot be stored: its stored form would not load back");

    /* issue 11 item 14: what a load accepts per record is what create
     * accepts, as stored.  Indentation makes 85,000 empty elements nested
     * 200 deep ~34 MB each in <domain> and <inactiveDomain> (each within
     * the subtree limit) from 0.7 MB given. */
    {
        g_autoptr(GString) nest = g_string_new(NULL);
        g_autofree char *big = NULL;

        for (guint i = 0; i < 200; i++)
            g_string_append(nest, "<n>");
        for (guint i = 0; i < 85000; i++)
            g_string_append(nest, "<y/>");
        for (guint i = 0; i < 200; i++)
            g_string_append(nest, "</n>");
        big = g_strdup_printf("<domainsnapshot><name>wide</name><state>shutoff</state>"
                              "<creationTime>7</creationTime><domain type='qemu'><name>demo"
                              "</name><uuid>" UUID "</uuid>%s</domain><inactiveDomain "
                              "type='qemu'>%s</inactiveDomain></domainsnapshot>",
                              nest->str, nest->str);
        assertRefused(f, dom, big, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_TOO_LARGE,
                      "snapshot 'wide' cannot be stored: it is ");
        assertRefused(f, dom, big, NULL, VS_SNAPSHOT_CREATE_REDEFINE, VS_ERROR_TOO_LARGE,
                      "bytes as stored, more than the limit of 67108864 bytes per snapshot");
    }

    /* A <domain> whose length bound (not its length) reaches the
     * 9,000,000-byte shortcut limit: formatted whole, its exact length
     * checked, stored, and read back the same. */
    {
        g_autofree char *pad = g_strnfill(2 * 1000 * 1000, 'x');
        g_autofree char *xml = g_strdup_printf(
            "<domainsnapshot><name>bound</name><state>shutoff</state>"
            "<creationTime>7</creationTime><domain type='qemu'><name>demo</name>"
            "<uuid>" UUID "</uuid><title>%s</title></domain></domainsnapshot>", pad);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsDomain) again = NULL;
        g_autofree char *stored = NULL;

        g_assert_cmpint(create(NULL, dom, xml, -1, NULL, VS_SNAPSHOT_CREATE_REDEFINE, &error),
                        ==, 0);
        g_assert_no_error(error);
        g_assert_cmpint(vsStoreLoadDomain(&again, f->store, "vm1", NULL, 0, &error), ==, 0);
        g_assert_cmpint(vsSnapshotFormat(&stored, vsDomainLookup(again, "bound", NULL),
                                         vsDomainGetUUID(again), 0, &error), ==, 0);
        g_assert_nonnull(strstr(stored, pad));
    }
}

static void
test_uuid_fallback(Fixture *f, gconstpointer data)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    /* Old libvirt data: a record without <domain> beside one with it. */
    writeFile(f, "demo.xml",
              "<snapshots><domainsnapshot><name>old</name><state>shutoff</state>"
              "<creationTime>1</creationTime></domainsnapshot>"
              "<domainsnapshot><name>new</name><state>shutoff</state>"
              "<parent><name>old</name></parent><creationTime>2</creationTime>"
              DOMAIN_XML "</domainsnapshot></snapshots>");
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpstr(vsDomainGetUUID(dom), ==, UUID);
    g_assert_cmpint(vsSnapshotFormat(&xml, vsDomainLookup(dom, "old", NULL),
                                     vsDomainGetUUID(dom), 0, &error), ==, 0);
    g_assert_nonnull(strstr(xml, "  <domain>\n    <uuid>" UUID "</uuid>\n  </domain>\n"));
}

static void
test_compression_setting(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autofree char *raw = NULL;

    /* No config: compressed, the default. */
    g_assert_true(vsStoreGetCompression(f->store));
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), ==, 0);
        redefine(dom, "root", NULL, 100, 0);
    }
    raw = fileContents(f, "demo.xml");
    g_assert_cmpmem(raw, 4, "\x28\xb5\x2f\xfd", 4);
    g_clear_pointer(&raw, g_free);

    g_assert_cmpint(vsStoreSaveCompression(f->store, FALSE, &error), ==, 0);
    /* A new handle (another process, later) writes plain files. */
    g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), ==, 0);
    g_assert_false(vsStoreGetCompression(other));
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, other, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), ==, 0);
        g_assert_cmpuint(vsDomainCount(dom), ==, 1);
        redefine(dom, "child", "root", 200, 0);
    }
    raw = fileContents(f, "demo.xml");
    g_assert_true(g_str_has_prefix(raw, "<!--\nvirtsnap snapshot metadata"));
    g_assert_nonnull(strstr(raw, "<name>child</name>"));

    /* A setting virtsnap does not know is refused, not guessed. */
    writeFile(f, ".virtsnap/config", "[store]\ncompression=lz4\n");
    g_clear_pointer(&other, vsStoreFree);
    g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "unknown compression 'lz4'"));
}

static void
test_load_limit(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsStore) other = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autofree char *path = g_build_filename(f->dir, "demo.xml", NULL);
    g_autofree char *before = NULL, *after = NULL;
    gsize before_len, after_len;
    guint64 size = 0;

    /* issue 11 item 14: the default bounds memory (1 GiB), not the format */
    g_assert_cmpuint(vsStoreGetLoadLimit(f->store), ==, VS_STORE_LOAD_LIMIT_DEFAULT);
    g_assert_cmpuint(VS_STORE_LOAD_LIMIT_DEFAULT, ==, (guint64) 1 << 30);
    g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), ==, 0);
    redefine(dom, "root", NULL, 100, 0);
    g_clear_pointer(&dom, vsDomainFree);
    before = vsTestReadFile(path, &before_len);

    /* Saved for every later handle; a larger document is refused whole. */
    g_assert_cmpint(vsStoreSaveLoadLimit(f->store, 100, &error), ==, 0);
    g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), ==, 0);
    g_assert_cmpuint(vsStoreGetLoadLimit(other), ==, 100);
    g_assert_true(vsStoreGetCompression(other));
    g_assert_cmpint(vsStoreLoadDomain(&dom, other, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "/demo.xml:7: loading needs more than the load "
                                            "limit of 100 bytes of memory"));
    g_clear_error(&error);
    after = vsTestReadFile(path, &after_len);
    g_assert_cmpmem(before, before_len, after, after_len);

    /* This handle only; 0 is the default again. */
    vsStoreSetLoadLimit(other, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, other, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 1);

    g_assert_cmpint(vsStoreParseSize("123", &size, NULL), ==, 0);
    g_assert_cmpuint(size, ==, 123);
    g_assert_cmpint(vsStoreParseSize("64k", &size, NULL), ==, 0);
    g_assert_cmpuint(size, ==, 64 * 1024);
    g_assert_cmpint(vsStoreParseSize("2G", &size, NULL), ==, 0);
    g_assert_cmpuint(size, ==, (guint64) 2 << 30);
    for (const char *const *bad = (const char *const[]) { "", "K", "0", "-1", "1.5G", "1Q",
                                                          "99999999999T", NULL };
         *bad; bad++) {
        g_assert_cmpint(vsStoreParseSize(*bad, &size, &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_clear_error(&error);
    }

    /* A config the store cannot read is an error, not a guess. */
    writeFile(f, ".virtsnap/config", "[store]\nload-limit=lots\n");
    g_clear_pointer(&other, vsStoreFree);
    g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "bad load-limit 'lots'"));
}

/* Entry names of @dir, sorted, space-separated ("" when empty). */
static char *
dirNames(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    g_assert_nonnull(d);
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, (GCompareFunc) g_strcmp0);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **) names->pdata);
}

static void
plantLink(Fixture *f, const char *rel, const char *target)
{
    g_autofree char *path = g_build_filename(f->dir, rel, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
    g_assert_cmpint(symlink(target, path), ==, 0);
}

static void
assertLinkRefused(const GError *error, Fixture *f, const char *rel)
{
    g_autofree char *want = g_strdup_printf("%s/%s: is a symbolic link; virtsnap never "
                                            "follows links inside the store", f->dir, rel);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, want);
}

/* Issue 11 item 7: a link at .virtsnap, .virtsnap/locks, the config or a
 * lock file is refused with one line naming it; nothing lands behind it. */
static void
test_private_links_refused(Fixture *f, gconstpointer data)
{
    static const char *const links[] = {
        ".virtsnap", ".virtsnap/locks", ".virtsnap/locks/demo.lock",
    };
    g_autofree char *elsewhere = vsTestTempDir();
    g_autofree char *victim = g_build_filename(elsewhere, "victim", NULL);

    for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
        g_autofree char *priv = g_build_filename(f->dir, ".virtsnap", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsDomain) dom = NULL;
        g_autofree char *names = NULL;
        const char *target = i == 2 ? victim : elsewhere;

        plantLink(f, links[i], target);
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), <, 0);
        assertLinkRefused(error, f, links[i]);
        g_clear_error(&error);
        names = dirNames(elsewhere);
        g_assert_cmpstr(names, ==, "");
        /* Read-only loads take no lock: they still work. */
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, 0, &error), ==, 0);
        g_clear_pointer(&dom, vsDomainFree);
        g_assert_cmpint(vsTestRemoveTree(priv), ==, 0);
    }

    /* The config: never read through a link, replaced (not followed) on save. */
    {
        g_autofree char *cfg = g_build_filename(elsewhere, "config", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsStore) other = NULL;
        g_autofree char *after = NULL;

        g_assert_true(g_file_set_contents(cfg, "[store]\ncompression=none\n", -1, NULL));
        plantLink(f, ".virtsnap/config", cfg);
        g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), <, 0);
        assertLinkRefused(error, f, ".virtsnap/config");
        g_clear_error(&error);
        g_assert_cmpint(vsStoreSaveCompression(f->store, TRUE, &error), ==, 0);
        g_assert_no_error(error);
        g_assert_true(g_file_get_contents(cfg, &after, NULL, NULL));
        g_assert_cmpstr(after, ==, "[store]\ncompression=none\n");
        g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), ==, 0);
        g_assert_true(vsStoreGetCompression(other));
    }
    /* A link at .virtsnap: the config is not saved through it either. */
    {
        g_autofree char *priv = g_build_filename(f->dir, ".virtsnap", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsStore) other = NULL;
        g_autofree char *names = NULL;

        g_assert_cmpint(vsTestRemoveTree(priv), ==, 0);
        plantLink(f, ".virtsnap", elsewhere);
        g_assert_cmpint(vsStoreSaveCompression(f->store, FALSE, &error), <, 0);
        assertLinkRefused(error, f, ".virtsnap");
        g_clear_error(&error);
        g_assert_cmpint(vsStoreOpen(&other, f->dir, 0, &error), <, 0);
        assertLinkRefused(error, f, ".virtsnap");
        names = dirNames(elsewhere);
        g_assert_cmpstr(names, ==, "config");   /* only the one planted above */
    }
    /* Not a regular file: a FIFO where the lock file goes. */
    {
        g_autofree char *priv = g_build_filename(f->dir, ".virtsnap", NULL);
        g_autofree char *fifo = g_build_filename(f->dir, ".virtsnap/locks/demo.lock", NULL);
        g_autofree char *want = g_strdup_printf("%s: is not a regular file", fifo);
        g_autoptr(GError) error = NULL;
        g_autoptr(vsDomain) dom = NULL;

        g_autofree char *locks = g_build_filename(priv, "locks", NULL);

        g_assert_cmpint(unlink(priv), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(locks, 0700), ==, 0);
        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_assert_cmpint(vsStoreLoadDomain(&dom, f->store, "demo", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, want);
    }
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixtureSetUp, fn, fixtureTearDown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/store/one-write-per-operation", test_one_write_per_operation);
    ADD("/store/plain-create", test_plain_create);
    ADD("/store/load-limit", test_load_limit);
    ADD("/store/redefine-rules", test_redefine_rules);
    ADD("/store/refused-states", test_refused_states);
    ADD("/store/has-domain", test_has_domain);
    ADD("/store/borrowed-records-outlive-changes", test_borrowed_records_outlive_changes);
    ADD("/store/failed-commit-rolls-back", test_failed_commit_rolls_back);
    ADD("/store/locks", test_locks);
    ADD("/store/broken-files-untouched", test_broken_files_untouched);
    ADD("/store/collisions-and-temps", test_collisions_and_temps);
    ADD("/store/rename-and-delete-all", test_rename_and_delete_all);
    ADD("/store/compressed", test_compressed);
    ADD("/store/uuid-fallback", test_uuid_fallback);
    ADD("/store/bad-name-in-bulk-file", test_bad_name_in_bulk_file);
    ADD("/store/roundtrip/tab-in-current-name", test_tab_in_current_name);
    ADD("/store/roundtrip/creation-time-zero", test_creation_time_zero);
    ADD("/store/roundtrip/depth-boundary", test_depth_boundary);
    ADD("/store/roundtrip/stored-form-must-load", test_stored_form_must_load);
    ADD("/store/compression-setting", test_compression_setting);
    ADD("/store/private-links-refused", test_private_links_refused);
    return g_test_run();
}
