/* test-legacy.c — libvirt's per-file layout: load with diagnostics,
 * convert, export back, check/repair, and a round trip through the real
 * libvirt 9.0 qemu driver (virsh -c qemu:///embed). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "format/bulkfile.h"
#include "import/legacy.h"
#include "snapshot/snapshot.h"
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Fixtures: files libvirt 9.0 wrote, and records derived from them      */

#define ROOT_FIXTURE "libvirt-9.0-ondisk/ondisk-root-not-current.xml"
#define B1_FIXTURE "libvirt-9.0-ondisk/ondisk-b1-current.xml"

/* The 9.0 captures redact a path as "<peer>" inside attribute values,
 * which is not well-formed; put a real path back. */
static char *
readFixture(const char *rel)
{
    g_autofree char *path = vsTestFixture(rel);
    g_autofree char *data = vsTestReadFile(path, NULL);
    g_auto(GStrv) parts = g_strsplit(data, "<peer>", -1);
    return g_strjoinv("/srv/peer", parts);
}

static char *
replaceOnce(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    g_assert_nonnull(p);
    return g_strdup_printf("%.*s%s%s", (int) (p - s), s, to, p + strlen(from));
}

/* A snapshot file exactly as libvirt 9.0 would write it: the root fixture
 * with its name, parent, creationTime and <active> changed. */
static char *
mkRecord(const char *name, const char *parent, gint64 ctime, gboolean active)
{
    g_autofree char *base = readFixture(ROOT_FIXTURE);
    g_autofree char *head = g_strdup_printf("  <name>%s</name>\n", name);
    g_autofree char *tail = NULL;
    g_autofree char *s1 = NULL, *s2 = NULL;

    if (parent)
        tail = g_strdup_printf("  <parent>\n    <name>%s</name>\n  </parent>\n"
                               "  <creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                               parent, ctime);
    else
        tail = g_strdup_printf("  <creationTime>%" G_GINT64_FORMAT "</creationTime>\n", ctime);
    s1 = replaceOnce(base, "  <name>root</name>\n  <description>root snapshot</description>\n",
                     head);
    s2 = replaceOnce(s1, "  <creationTime>1700000000</creationTime>\n", tail);
    return replaceOnce(s2, "<active>0</active>", active ? "<active>1</active>"
                                                        : "<active>0</active>");
}

typedef struct {
    char *dir;
    vsStore *store;
} Env;

static void
envInit(Env *env)
{
    g_autoptr(GError) err = NULL;
    env->dir = vsTestTempDir();
    g_assert_cmpint(vsStoreOpen(&env->store, env->dir, 0, &err), ==, 0);
    g_assert_no_error(err);
}

static void
envClear(Env *env)
{
    vsStoreFree(env->store);
    g_free(env->dir);
}

static char *
envPath(const Env *env, const char *rel)
{
    return g_build_filename(env->dir, rel, NULL);
}

static void
putFile(const Env *env, const char *rel, const char *data, gssize len)
{
    g_autofree char *path = envPath(env, rel);
    g_autofree char *parent = g_path_get_dirname(path);
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, data, len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(chmod(path, 0600), ==, 0);
}

static gboolean
exists(const Env *env, const char *rel)
{
    g_autofree char *path = envPath(env, rel);
    struct stat st;
    return lstat(path, &st) == 0;
}

static char *
slurp(const Env *env, const char *rel)
{
    g_autofree char *path = envPath(env, rel);
    return vsTestReadFile(path, NULL);
}

/* The standard legacy directory: root -> {a, b -> b1}, b1 current, with
 * root.xml and b1.xml byte for byte as libvirt 9.0 wrote them. */
static void
putStandard(const Env *env, const char *vm)
{
    g_autofree char *root = readFixture(ROOT_FIXTURE);
    g_autofree char *b1 = readFixture(B1_FIXTURE);
    g_autofree char *a = mkRecord("a", "root", 1700000100, FALSE);
    g_autofree char *b = mkRecord("b", "root", 1700000300, FALSE);
    g_autofree char *p_root = g_strdup_printf("%s/root.xml", vm);
    g_autofree char *p_a = g_strdup_printf("%s/a.xml", vm);
    g_autofree char *p_b = g_strdup_printf("%s/b.xml", vm);
    g_autofree char *p_b1 = g_strdup_printf("%s/b1.xml", vm);

    putFile(env, p_root, root, -1);
    putFile(env, p_a, a, -1);
    putFile(env, p_b, b, -1);
    putFile(env, p_b1, b1, -1);
}

/* "name<parent" per snapshot in pre-order, then "*current". */
static char *
describeDomain(Env *env, const char *vm)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    const vsSnapshot *cur;

    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, vm, NULL, 0, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, &err), ==, 0);
    for (guint i = 0; i < all->len; i++) {
        const vsSnapshot *parent = vsDomainGetParent(dom, all->pdata[i]);
        g_string_append_printf(out, "%s%s<%s", i ? " " : "", vsMomentGetName(all->pdata[i]),
                               parent ? vsMomentGetName(parent) : "");
    }
    cur = vsDomainGetCurrent(dom, NULL);
    g_string_append_printf(out, " *%s", cur ? vsMomentGetName(cur) : "");
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* "kind:path:action" per finding, one per line (action "-" when none). */
static char *
describeReport(const vsLegacyReport *report)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < vsLegacyReportGetCount(report); i++) {
        const char *path = vsLegacyReportGetPath(report, i);
        g_string_append_printf(out, "%s:%s:%s\n",
                               vsLegacyProblemToString(vsLegacyReportGetProblem(report, i)),
                               path ? path : "", vsLegacyReportGetAction(report, i) ? "fixed" : "-");
    }
    return g_string_free(out, FALSE);
}

static const char *
findMessage(const vsLegacyReport *report, vsLegacyProblem kind)
{
    for (guint i = 0; i < vsLegacyReportGetCount(report); i++) {
        if (vsLegacyReportGetProblem(report, i) == kind)
            return vsLegacyReportGetMessage(report, i);
    }
    return NULL;
}

static int
convert(Env *env, const char *vm, vsLegacyOptions *opts, vsLegacyReport **report,
        GError **error)
{
    g_autoptr(vsLegacyReport) own = NULL;
    return vsStoreConvertDomain(report ? report : &own, env->store, vm, opts, error);
}

/* ------------------------------------------------------------------ */
/* Clean directories                                                    */

/* Issue 11 item 1: a directory whose current snapshot has a TAB in its name
 * (libvirt 9.0 stores such names) converts, and the bulk file loads back:
 * current= carries the TAB as &#9;. */
static void
testConvertTabInCurrentName(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *root = mkRecord("root", NULL, 1700000000, FALSE);
    g_autofree char *tab = mkRecord("nightly\tbuild", "root", 1700000100, TRUE);
    g_autofree char *desc = NULL;
    g_autoptr(vsStore) fresh = NULL;

    envInit(&env);
    putFile(&env, "vm1/root.xml", root, -1);
    putFile(&env, "vm1/nightly\tbuild.xml", tab, -1);
    g_assert_cmpint(convert(&env, "vm1", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(vsStoreOpen(&fresh, env.dir, 0, &err), ==, 0);
    vsStoreFree(env.store);
    env.store = g_steal_pointer(&fresh);
    desc = describeDomain(&env, "vm1");
    g_assert_cmpstr(desc, ==, "root< nightly\tbuild<root *nightly\tbuild");
    envClear(&env);
}

/* Records of older libvirt versions carry only <domain><uuid> (no full
 * definition).  With no full <domain> anywhere the VM's uuid is unknown to
 * the store, yet the uuid survives conversion, a commit and a reload. */
static const char stub_record[] =
    "<domainsnapshot>\n"
    "  <name>%s</name>\n"
    "  <state>shutoff</state>\n%s"
    "  <creationTime>%d</creationTime>\n"
    "  <memory snapshot='no'/>\n"
    "  <domain>\n"
    "    <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
    "  </domain>\n"
    "  <active>%d</active>\n"
    "</domainsnapshot>\n";

static char *
dumpOne(Env *env, const char *vm, const char *name)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) err = NULL;
    char *xml = NULL;
    const vsSnapshot *snap;

    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, vm, NULL, 0, &err), ==, 0);
    snap = vsDomainLookup(dom, name, &err);
    g_assert_no_error(err);
    g_assert_cmpint(vsSnapshotFormat(&xml, snap, vsDomainGetUUID(dom), 0, &err), ==, 0);
    return xml;
}

static void
testConvertUuidOnlyDomains(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *a = g_strdup_printf(stub_record, "a", "", 1700000000, 0);
    g_autofree char *b = g_strdup_printf(stub_record, "b",
                                         "  <parent>\n    <name>a</name>\n  </parent>\n",
                                         1700000100, 1);
    const char *want = "    <uuid>11111111-2222-3333-4444-555555555555</uuid>\n";
    g_autoptr(vsDomain) dom = NULL;

    envInit(&env);
    putFile(&env, "vm1/a.xml", a, -1);
    putFile(&env, "vm1/b.xml", b, -1);
    {
        g_autofree char *view = dumpOne(&env, "vm1", "b");   /* read-only legacy view */
        g_assert_nonnull(strstr(view, want));
    }
    if (convert(&env, "vm1", NULL, NULL, &err) < 0)
        g_error("%s", err->message);
    g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE, &err),
                    ==, 0);
    g_assert_null(vsDomainGetUUID(dom));
    g_assert_cmpint(vsDomainSetCurrent(dom, "a", &err), ==, 0);   /* one commit */
    g_assert_no_error(err);
    g_clear_pointer(&dom, vsDomainFree);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *xml = dumpOne(&env, "vm1", i ? "b" : "a");
        g_assert_nonnull(strstr(xml, want));
    }
    envClear(&env);
}

static void
testConvertStandard(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *desc = NULL;
    g_autofree char *bulk = NULL;
    g_autofree char *summary = NULL;
    struct stat st;
    g_autofree char *bulkpath = NULL;

    envInit(&env);
    putStandard(&env, "peer1");
    convert(&env, "peer1", NULL, &report, &err);
    g_assert_no_error(err);
    {
        g_autofree char *d = describeReport(report);
        g_assert_cmpstr(d, ==, "");
    }
    summary = g_strdup(vsLegacyReportGetSummary(report));
    g_assert_cmpstr(summary, ==,
                    "converted 4 snapshots of peer1/ into peer1.xml (current 'b1')\n"
                    "moved peer1/ to .virtsnap/legacy/peer1/1/\n");

    /* The directory moved aside whole; the bulk file is 0600. */
    g_assert_false(exists(&env, "peer1"));
    g_assert_true(exists(&env, ".virtsnap/legacy/peer1/1/b1.xml"));
    bulkpath = envPath(&env, "peer1.xml");
    g_assert_cmpint(stat(bulkpath, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);

    desc = describeDomain(&env, "peer1");
    g_assert_cmpstr(desc, ==, "root< a<root b<root b1<b *b1");

    /* Each record is what libvirt's file said, minus header and <active>. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *want = readFixture("libvirt-9.0-ondisk/api-dumpxml-b1-security-info.xml");
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "peer1", NULL, 0, &err), ==, 0);
        g_assert_cmpint(vsSnapshotFormat(&xml, vsDomainLookup(dom, "b1", NULL), NULL,
                                         VS_SNAPSHOT_FORMAT_SECURE, &err), ==, 0);
        g_strchomp(want);
        g_strchomp(xml);
        g_assert_cmpstr(xml, ==, want);
    }

    /* Safe to run again: nothing left to do. */
    g_clear_pointer(&report, vsLegacyReportFree);
    bulk = slurp(&env, "peer1.xml");
    g_assert_cmpint(convert(&env, "peer1", NULL, &report, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "peer1.xml already holds VM 'peer1''s snapshots and no legacy "
                    "directory is left: nothing to do\n");
    {
        g_autofree char *again = slurp(&env, "peer1.xml");
        g_assert_cmpstr(again, ==, bulk);
    }
    envClear(&env);
}


static void
assertFileIs(const Env *env, const char *rel, const char *want)
{
    g_autofree char *got = slurp(env, rel);
    g_autofree char *path = envPath(env, rel);
    struct stat st;

    g_assert_cmpstr(got, ==, want);
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Entry names of a directory, sorted, space-separated. */
static char *
listDirNames(const Env *env, const char *rel)
{
    g_autofree char *path = envPath(env, rel);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    g_assert_nonnull(dir);
    while ((n = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, cmpStr);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **) names->pdata);
}

/* ------------------------------------------------------------------ */
/* Export back                                                          */

static void
testExportRoundTrip(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *root = readFixture(ROOT_FIXTURE);
    g_autofree char *b1 = readFixture(B1_FIXTURE);
    g_autofree char *a = mkRecord("a", "root", 1700000100, FALSE);
    g_autofree char *b = mkRecord("b", "root", 1700000300, FALSE);
    g_autofree char *names = NULL;
    g_autofree char *vmpath = NULL;
    struct stat st;

    envInit(&env);
    putStandard(&env, "peer1");
    g_assert_cmpint(convert(&env, "peer1", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);

    vsStoreExportLegacy(&report, env.store, "peer1", 0, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "exported 4 snapshots to peer1/ (current 'b1')\n");
    /* Byte for byte what libvirt 9.0 wrote, mode 0600, nothing else. */
    assertFileIs(&env, "peer1/root.xml", root);
    assertFileIs(&env, "peer1/b1.xml", b1);
    assertFileIs(&env, "peer1/a.xml", a);
    assertFileIs(&env, "peer1/b.xml", b);
    names = listDirNames(&env, "peer1");
    g_assert_cmpstr(names, ==, "a.xml b.xml b1.xml root.xml");
    vmpath = envPath(&env, "peer1");
    g_assert_cmpint(stat(vmpath, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));

    /* Never over an existing directory unless forced. */
    g_clear_pointer(&report, vsLegacyReportFree);
    g_assert_cmpint(vsStoreExportLegacy(&report, env.store, "peer1", 0, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_EXISTS);
    {
        g_autofree char *want = g_strdup_printf(
            "%s/peer1/: legacy snapshot directory already exists and is not empty "
            "(4 entries); export with force to replace it (its entries are moved "
            "aside, never overwritten or deleted)", env.dir);
        g_assert_cmpstr(err->message, ==, want);
    }
    g_clear_error(&err);

    /* Forced: the whole previous directory is moved aside, nothing is
     * overwritten; an edit made on libvirt's side survives there. */
    putFile(&env, "peer1/stale.xml", a, -1);
    putFile(&env, "peer1/b.xml", "edited by libvirt", -1);
    vsStoreExportLegacy(&report, env.store, "peer1", VS_LEGACY_EXPORT_FORCE, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "exported 4 snapshots to peer1/ (current 'b1')\n"
                    "moved the previous 5 entries of peer1/ to .virtsnap/legacy/peer1/2/ "
                    "(not as exported: b.xml, stale.xml)\n");
    assertFileIs(&env, "peer1/b.xml", b);
    assertFileIs(&env, ".virtsnap/legacy/peer1/2/b.xml", "edited by libvirt");
    assertFileIs(&env, ".virtsnap/legacy/peer1/2/root.xml", root);
    g_assert_true(exists(&env, ".virtsnap/legacy/peer1/2/stale.xml"));
    g_assert_false(exists(&env, ".virtsnap/export/peer1"));
    g_free(names);
    names = listDirNames(&env, "peer1");
    g_assert_cmpstr(names, ==, "a.xml b.xml b1.xml root.xml");

    /* The export and the bulk file agree: check notes it, convert moves it. */
    g_clear_pointer(&report, vsLegacyReportFree);
    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    {
        g_autofree char *d = describeReport(report);
        g_assert_cmpstr(d, ==, "leftover:peer1:-\n");
    }
    g_assert_cmpstr(findMessage(report, VS_LEGACY_PROBLEM_LEFTOVER), ==,
                    "peer1/: left beside peer1.xml, with the same 4 snapshots; "
                    "'virtsnap convert peer1' moves it aside");
    g_clear_pointer(&report, vsLegacyReportFree);
    g_assert_cmpint(convert(&env, "peer1", NULL, &report, &err), ==, 0);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "peer1.xml already holds the same snapshots as peer1/ (an earlier "
                    "conversion was interrupted or kept it)\n"
                    "moved peer1/ to .virtsnap/legacy/peer1/3/\n");
    g_assert_false(exists(&env, "peer1"));
    envClear(&env);
}

static void
testExportRefusals(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *want = NULL;
    g_autofree char *link = NULL;

    envInit(&env);
    /* No snapshots at all. */
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "ghost", 0, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_NOT_FOUND);
    want = g_strdup_printf("VM 'ghost' has no snapshots in %s", env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);

    /* Only a legacy directory: nothing to export, and it is not converted. */
    putStandard(&env, "peer1");
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "peer1", 0, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_free(want);
    want = g_strdup_printf("VM 'peer1' has no bulk file; its snapshots are still in "
                           "libvirt's layout (%s/peer1/): nothing to export", env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_false(exists(&env, "peer1.xml"));

    /* A symlink where the directory would go is never written through. */
    g_assert_cmpint(convert(&env, "peer1", NULL, NULL, &err), ==, 0);
    link = envPath(&env, "peer1");
    g_assert_cmpint(symlink("/tmp", link), ==, 0);
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "peer1", VS_LEGACY_EXPORT_FORCE,
                                        &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_free(want);
    want = g_strdup_printf("%s/peer1: is a symbolic link; virtsnap never writes through "
                           "links in the store", env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    envClear(&env);
}

/* Redefines @xml (one <domainsnapshot>) into VM @vm's bulk file. */
static void
redefineInto(Env *env, const char *vm, const char *xml)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, vm, NULL, VS_DOMAIN_LOAD_WRITE, &err),
                    ==, 0);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_REDEFINE, &err), ==, 0);
    g_assert_no_error(err);
}

/* Issue 11 item 5: the exporter itself refuses a file name with '/', even
 * for a tree no loader checked (built here in memory). */
static void
testExportRefusesSlash(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsTree) tree = vsTreeNew(&vsSnapshotKind);
    g_autoptr(vsLegacyReport) report = vsLegacyReportNew();
    g_autofree char *bad = mkRecord("../../outside/pwned", NULL, 1700000000, FALSE);
    g_autofree char *good = mkRecord("fine", NULL, 1700000100, FALSE);
    g_autofree char *names = NULL;
    const char *docs[] = { good, bad };
    int dirfd;

    envInit(&env);
    for (guint i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autoptr(vsSnapshot) snap = NULL;
        g_assert_cmpint(vsSnapshotParse(&snap, docs[i], strlen(docs[i]),
                                        VS_SNAPSHOT_PARSE_REDEFINE, 0, NULL, &err), ==, 0);
        g_assert_cmpint(vsTreeAddUnlinked(tree, snap, &err), ==, 0);
    }
    g_assert_cmpint(vsTreeLinkAll(tree, &err), ==, 0);
    /* The store sits two levels down, so "../../outside" would still be
     * inside the test's own directory. */
    {
        g_autofree char *deep = g_build_filename(env.dir, "a", "b", NULL);
        g_assert_cmpint(g_mkdir_with_parents(deep, 0700), ==, 0);
        dirfd = open(deep, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(dirfd, >=, 0);
        g_assert_cmpint(vsLegacyExport(dirfd, deep, "vm", tree, NULL, FALSE, report, &err),
                        ==, -1);
        close(dirfd);
    }
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "VM 'vm': snapshot '../../outside/pwned' cannot be "
                    "exported: its name contains '/', which is not a file name; nothing was "
                    "exported");
    names = listDirNames(&env, "a/b");
    g_assert_cmpstr(names, ==, "");
    g_free(names);
    names = listDirNames(&env, ".");
    g_assert_cmpstr(names, ==, "a");
    envClear(&env);
}

/* Issue 11 item 13: every accepted name (up to 247 bytes, multi-byte
 * characters too) exports; the temporary names fit NAME_MAX. */
static void
testExportLongNames(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    envInit(&env);
    for (gsize len = 238; len <= VS_SNAPSHOT_NAME_MAX; len++) {
        g_autoptr(GString) name = g_string_new(NULL);
        g_autofree char *xml = NULL;
        while (name->len < len)
            g_string_append(name, (len % 2 && name->len + 2 <= len) ? "\xc3\xa9" : "n");
        xml = mkRecord(name->str, NULL, 1700000000 + len, FALSE);
        redefineInto(&env, "vm", xml);
        g_ptr_array_add(names, g_string_free(g_steal_pointer(&name), FALSE));
    }
    g_assert_cmpint(vsStoreExportLegacy(&report, env.store, "vm", 0, &err), ==, 0);
    g_assert_no_error(err);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *rel = g_strdup_printf("vm/%s.xml", (char *) names->pdata[i]);
        g_assert_true(exists(&env, rel));
    }
    g_clear_pointer(&report, vsLegacyReportFree);
    /* And the export is exactly the bulk file (check: a leftover note). */
    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    {
        g_autofree char *d = describeReport(report);
        g_assert_cmpstr(d, ==, "no-current::-\nleftover:vm:-\n");
    }
    g_assert_false(exists(&env, ".virtsnap/export/vm"));

    /* A crashed virtsnap writer's temporary file, in the cut form used for
     * long names, is recognised by check and moved aside by --repair. */
    {
        const char *longest = names->pdata[names->len - 1];
        g_autofree char *cut = g_strndup(longest, VS_ATOMIC_TEMP_BASE_MAX);
        g_autofree char *temp = g_strdup_printf("vm/%s" VS_ATOMIC_TEMP_MARK "Ab12Cd", cut);
        g_autofree char *moved = NULL;

        g_assert_cmpuint(strlen(temp) - 3, ==, 255);
        {
            /* (g_file_set_contents would need a longer name of its own) */
            g_autofree char *path = envPath(&env, temp);
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            g_assert_cmpint(fd, >=, 0);
            g_assert_cmpint(write(fd, "half", 4), ==, 4);
            close(fd);
        }
        g_clear_pointer(&report, vsLegacyReportFree);
        g_assert_cmpint(vsStoreCheck(&report, env.store, "vm", 0, &err), ==, 0);
        g_assert_cmpstr(vsLegacyReportGetPath(report, 0), ==, temp);
        g_assert_cmpint(vsLegacyReportGetProblem(report, 0), ==, VS_LEGACY_PROBLEM_STALE_TEMP);
        g_clear_pointer(&report, vsLegacyReportFree);
        g_assert_cmpint(vsStoreCheck(&report, env.store, "vm", VS_STORE_CHECK_REPAIR, &err),
                        ==, 0);
        g_assert_cmpint(vsLegacyReportGetProblem(report, 0), ==, VS_LEGACY_PROBLEM_STALE_TEMP);
        g_assert_nonnull(vsLegacyReportGetAction(report, 0));
        g_assert_false(exists(&env, temp));
        moved = g_strdup_printf(".virtsnap/legacy/vm/1/%s", temp + 3);
        g_assert_true(exists(&env, moved));
    }
    envClear(&env);
}

/* Issue 11 item 17: libvirt 9.0 skips a file over 1 MiB without a word, so
 * export refuses (nothing written) and names every such record. */
static void
testExportTooLarge(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *want = NULL;
    gsize fit;

    envInit(&env);
    /* A record whose file is exactly 1 MiB is what libvirt still reads. */
    {
        g_autofree char *probe = mkRecord("edge", NULL, 1700000000, FALSE);
        g_autofree char *xml = NULL;
        g_autoptr(vsSnapshot) snap = NULL;
        g_autofree char *fmt = NULL;
        gsize size;

        g_assert_cmpint(vsSnapshotParse(&snap, probe, strlen(probe), VS_SNAPSHOT_PARSE_REDEFINE,
                                        0, NULL, &err), ==, 0);
        g_assert_cmpint(vsSnapshotFormat(&fmt, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE |
                                         VS_SNAPSHOT_FORMAT_INTERNAL, &err), ==, 0);
        size = strlen(VS_SNAPSHOT_LEGACY_HEADER) + strlen(fmt);
        /* "<description>" + text + "</description>\n" + two spaces of indent */
        fit = VS_LEGACY_FILE_MAX - size - strlen("  <description></description>\n");
        {
            g_autofree char *text = g_strnfill(fit, 'x');
            g_autofree char *with = g_strdup_printf("<description>%s</description>\n"
                                                    "  <state>", text);
            xml = replaceOnce(probe, "<state>", with);
        }
        redefineInto(&env, "vm", xml);
    }
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "vm", 0, &err), ==, 0);
    g_assert_no_error(err);
    {
        g_autofree char *path = envPath(&env, "vm/edge.xml");
        struct stat st;
        g_assert_cmpint(stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, VS_LEGACY_FILE_MAX);
    }

    /* One byte more, in five records: all named (three, then a count),
     * and nothing is written. */
    for (guint i = 0; i < 5; i++) {
        g_autofree char *name = g_strdup_printf("big%u", i);
        g_autofree char *probe = mkRecord(name, NULL, 1700000100 + i, FALSE);
        g_autofree char *text = g_strnfill(fit + 1 - (strlen(name) - strlen("edge")), 'x');
        g_autofree char *with = g_strdup_printf("<description>%s</description>\n  <state>",
                                                text);
        g_autofree char *xml = replaceOnce(probe, "<state>", with);
        redefineInto(&env, "w", xml);
    }
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "w", 0, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_TOO_LARGE);
    want = g_strdup_printf("%s/w/: 5 snapshots would be files over the 1 MiB that libvirt 9.0 "
                           "reads (it would skip them without a word): 'big0' (1048577 bytes), "
                           "'big1' (1048577 bytes), 'big2' (1048577 bytes) and 2 more; nothing "
                           "was exported", env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_false(exists(&env, "w"));
    g_assert_false(exists(&env, ".virtsnap/export/w"));
    envClear(&env);
}

/* Issue 11 item 13: an export failing at any step (ENOSPC at the k-th step
 * of the write path, for every k) leaves the directory as it was and
 * nothing of its own; the step that puts it in place is all or nothing. */
typedef struct {
    guint fail_at;
    guint calls;
} CountFault;

static int
failKth(vsAtomicStep step, gpointer data)
{
    CountFault *f = data;
    return ++f->calls == f->fail_at ? ENOSPC : 0;
}

/* "name=bytes" of every file below @rel, recursively, sorted. */
static void
snapshotTree(GString *out, const Env *env, const char *rel)
{
    g_autofree char *names = listDirNames(env, rel);
    g_auto(GStrv) list = g_strsplit(names, " ", -1);

    for (guint i = 0; list[i] && *list[i]; i++) {
        g_autofree char *child = g_strdup_printf("%s/%s", rel, list[i]);
        g_autofree char *path = envPath(env, child);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            snapshotTree(out, env, child);
        } else {
            g_autofree char *data = slurp(env, child);
            g_string_append_printf(out, "%s=%s\n", child, data);
        }
    }
}

static void
testExportEveryFailure(void)
{
    guint staged = 0;

    for (int forced = 0; forced < 2; forced++) {
        guint k;
        for (k = 1;; k++) {
            Env env;
            CountFault f = { k, 0 };
            g_autoptr(GError) err = NULL;
            g_autoptr(GString) before = g_string_new(NULL);
            g_autoptr(GString) after = g_string_new(NULL);
            guint unresolved;
            int rc;

            envInit(&env);
            putStandard(&env, "vm");
            g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
            if (forced)
                putFile(&env, "vm/libvirt-edit.xml", "an edit", -1);
            snapshotTree(before, &env, ".");
            {
                g_autoptr(vsLegacyReport) report = NULL;
                g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
                unresolved = vsLegacyReportCountUnresolved(report);
            }
            vsAtomicFileSetFaultHook(failKth, &f);
            rc = vsStoreExportLegacy(NULL, env.store, "vm", forced ? VS_LEGACY_EXPORT_FORCE : 0,
                                     &err);
            vsAtomicFileSetFaultHook(NULL, NULL);
            snapshotTree(after, &env, ".");
            if (rc == 0) {
                g_assert_cmpuint(f.calls, <, k);   /* ran without meeting the fault */
                envClear(&env);
                break;
            }
            g_assert_error(err, VS_ERROR, VS_ERROR_IO);
            g_assert_nonnull(strstr(err->message, g_strerror(ENOSPC)));
            /* In place: the new directory replaced the old one (or none). */
            if (forced ? !exists(&env, "vm/libvirt-edit.xml") : exists(&env, "vm")) {
                /* Then a flush failed: the export is whole, old entries kept. */
                g_autofree char *names = listDirNames(&env, "vm");
                g_assert_cmpstr(names, ==, "a.xml b.xml b1.xml root.xml");
                if (forced)
                    g_assert_nonnull(strstr(after->str, "/libvirt-edit.xml=an edit"));
                if (exists(&env, ".virtsnap/export/vm")) {
                    /* Left in staging: check notes it, the next export moves it. */
                    g_autoptr(vsLegacyReport) report = NULL;
                    guint n;
                    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
                    n = vsLegacyReportGetCount(report);
                    g_assert_cmpstr(vsLegacyReportGetPath(report, n - 1), ==,
                                    ".virtsnap/export/vm");
                    g_assert_cmpstr(vsLegacyReportGetMessage(report, n - 1), ==,
                                    ".virtsnap/export/vm/: left by an interrupted export-legacy "
                                    "(it may hold the previous entries of vm/); the next "
                                    "'virtsnap export-legacy vm' moves it to "
                                    ".virtsnap/legacy/vm/");
                    g_clear_pointer(&report, vsLegacyReportFree);
                    g_assert_cmpint(vsStoreExportLegacy(&report, env.store, "vm",
                                                        VS_LEGACY_EXPORT_FORCE, &err), ==, 0);
                    g_assert_nonnull(strstr(vsLegacyReportGetSummary(report),
                                            "moved the leftover of an interrupted export"));
                    staged++;
                } else {
                    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "vm",
                                                        VS_LEGACY_EXPORT_FORCE, &err), ==, 0);
                }
                g_assert_false(exists(&env, ".virtsnap/export/vm"));
                unresolved = 0;
            } else {
                /* Not in place: exactly as before, nothing of ours left. */
                if (!g_string_equal(before, after))
                    g_error("k=%u: export failed but changed the store:\n%s---\n%s", k,
                            before->str, after->str);
            }
            {
                g_autoptr(vsLegacyReport) report = NULL;
                g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
                g_assert_cmpuint(vsLegacyReportCountUnresolved(report), ==, unresolved);
            }
            envClear(&env);
        }
        g_test_message("export %s: failed at each of %u steps", forced ? "--force" : "", k - 1);
        g_assert_cmpuint(k, >, 10);
    }
    g_assert_cmpuint(staged, >, 0);   /* the flush after the exchange failed, at least */
}

/* VM 'foo''s bulk file is the path VM 'foo.xml''s directory needs. */
static void
testCollisions(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autofree char *want = NULL;
    g_auto(GStrv) legacy = NULL;

    envInit(&env);
    putStandard(&env, "foo.xml");
    putStandard(&env, "foo");

    /* Converting foo would need foo.xml, which is VM foo.xml's directory. */
    g_assert_cmpint(convert(&env, "foo", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    want = g_strdup_printf("%s/foo.xml/ is the legacy directory of VM 'foo.xml' and takes "
                           "the place of VM 'foo''s bulk file; convert VM 'foo.xml' first "
                           "(its directory is moved aside), or rename one of the VMs",
                           env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_true(exists(&env, "foo/b1.xml"));
    g_assert_true(exists(&env, "foo.xml/b1.xml"));

    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    {
        g_autofree char *d = describeReport(report);
        g_assert_cmpstr(d, ==,
                        "collision:foo.xml:-\n"
                        "not-converted:foo:-\n"
                        "not-converted:foo.xml:-\n");
    }
    g_clear_pointer(&report, vsLegacyReportFree);

    /* The way out the message gives works, in that order. */
    g_assert_cmpint(convert(&env, "foo.xml", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(exists(&env, "foo.xml.xml"));
    g_assert_cmpint(convert(&env, "foo", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(exists(&env, ".virtsnap/legacy/foo/1/b1.xml"));
    g_assert_true(exists(&env, ".virtsnap/legacy/foo.xml/1/b1.xml"));

    /* Now VM foo.xml cannot be exported: its directory would be foo's file. */
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "foo.xml", 0, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_free(want);
    want = g_strdup_printf("%s/foo.xml: is the bulk file of VM 'foo', where VM 'foo.xml''s "
                           "legacy directory would have to be; libvirt's layout cannot hold "
                           "both, rename one of the VMs", env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);

    /* Moved-aside directories are never taken for VMs. */
    g_assert_cmpint(vsStoreListLegacyDomains(&legacy, env.store, &err), ==, 0);
    g_assert_cmpuint(g_strv_length(legacy), ==, 0);
    g_assert_cmpint(convert(&env, ".virtsnap", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    g_assert_cmpuint(vsLegacyReportGetCount(report), ==, 0);
    envClear(&env);
}

/* ------------------------------------------------------------------ */
/* Broken directories: each problem reported, refused, then resolved     */

typedef struct {
    const char *name;
    void (*setup)(Env *env);
    const char *findings;        /* describeReport of the refused convert */
    vsLegacyProblem kind;        /* the finding whose message is checked */
    const char *message;         /* exact; "%s" is the store path if any */
    unsigned int flags;          /* the resolution... */
    const char *current;
    const char *root;
    const char *tree;            /* ...and the tree it gives */
    const char *resolved;        /* describeReport of the resolved convert */
    const char *aside;           /* entries of .virtsnap/legacy/vm/1 */
} BrokenCase;

static void
setupTruncated(Env *env)
{
    g_autofree char *a = slurp(env, "vm/a.xml");
    putFile(env, "vm/a.xml", a, 260);
}

/* Issue 11 item 3: nested one level deeper than a bulk file can hold
 * (parses alone, as libvirt's file does): a finding, never an unloadable
 * bulk file. */
static void
setupTooDeep(Env *env)
{
    g_autofree char *a = slurp(env, "vm/a.xml");
    g_autoptr(GString) nest = g_string_new("<domain type='kvm'>");
    g_autofree char *deep = NULL;

    for (int i = 0; i < 255; i++)
        g_string_append(nest, "<x>");
    for (int i = 0; i < 255; i++)
        g_string_append(nest, "</x>");
    deep = replaceOnce(a, "<domain type='kvm'>", nest->str);
    putFile(env, "vm/a.xml", deep, -1);
}

static void
setupEmptyParent(Env *env)
{
    putFile(env, "vm/b.xml", "", 0);
}

static void
setupJunk(Env *env)
{
    putFile(env, "vm/junk.txt", "hello world\n", -1);
}

static void
setupSubdir(Env *env)
{
    g_autofree char *path = envPath(env, "vm/subdir");
    g_assert_cmpint(g_mkdir(path, 0755), ==, 0);
}

static void
setupSymlink(Env *env)
{
    g_autofree char *path = envPath(env, "vm/link.xml");
    g_assert_cmpint(symlink("b.xml", path), ==, 0);
}

static void
setupStaleNew(Env *env)
{
    g_autofree char *a = slurp(env, "vm/a.xml");
    putFile(env, "vm/a.xml.new", a, -1);
}

static void
setupOurTemp(Env *env)
{
    putFile(env, "vm/a.xml" VS_ATOMIC_TEMP_MARK "Ab12Cd", "<domainsnap", -1);
}

/* b1.xml padded to @size bytes with a longer <description>. */
static char *
paddedB1(gsize size)
{
    g_autofree char *b1 = readFixture(B1_FIXTURE);
    const char *tag = "  <name>b1</name>\n";
    gsize overhead = strlen(b1) + strlen("  <description></description>\n");
    g_autofree char *pad = NULL;
    g_autofree char *desc = NULL;

    g_assert_cmpuint(size, >, overhead);
    pad = g_strnfill(size - overhead, 'x');
    desc = g_strdup_printf("%s  <description>%s</description>\n", tag, pad);
    return replaceOnce(b1, tag, desc);
}

static void
setupTooLarge(Env *env)
{
    g_autofree char *big = paddedB1(VS_LEGACY_FILE_MAX + 1);
    putFile(env, "vm/b1.xml", big, -1);
}

static void
setupDuplicate(Env *env)
{
    g_autofree char *b1 = slurp(env, "vm/b1.xml");
    putFile(env, "vm/dup.xml", b1, -1);
}

static void
setupRenamed(Env *env)
{
    g_autofree char *from = envPath(env, "vm/b.xml");
    g_autofree char *to = envPath(env, "vm/renamed.xml");
    g_assert_cmpint(rename(from, to), ==, 0);
}

static void
setupMissingParent(Env *env)
{
    g_autofree char *path = envPath(env, "vm/b.xml");
    g_assert_cmpint(unlink(path), ==, 0);
}

static void
setupCycle(Env *env)
{
    g_autofree char *root = mkRecord("root", "b1", 1700000000, FALSE);
    putFile(env, "vm/root.xml", root, -1);
}

static void
setupTwoCurrent(Env *env)
{
    g_autofree char *a = mkRecord("a", "root", 1700000100, TRUE);
    putFile(env, "vm/a.xml", a, -1);
}

static void
setupNoCurrent(Env *env)
{
    g_autofree char *b1 = slurp(env, "vm/b1.xml");
    g_autofree char *off = replaceOnce(b1, "<active>1</active>", "<active>0</active>");
    putFile(env, "vm/b1.xml", off, -1);
}

static const BrokenCase broken_cases[] = {
    { "truncated", setupTruncated, "unparsable:vm/a.xml:-\n", VS_LEGACY_PROBLEM_UNPARSABLE,
      "vm/a.xml: not a valid snapshot file: (domain_snapshot):10: Premature end of data in "
      "tag domainsnapshot line 8",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< b<root b1<b *b1",
      "unparsable:vm/a.xml:fixed\n", "a.xml" },
    { "too-deep", setupTooDeep, "unparsable:vm/a.xml:-\n", VS_LEGACY_PROBLEM_UNPARSABLE,
      "vm/a.xml: not a valid snapshot file: XML error: snapshot 'a' nests elements more than "
      "256 levels deep, more than a bulk file can hold",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< b<root b1<b *b1",
      "unparsable:vm/a.xml:fixed\n", "a.xml" },
    { "empty-parent", setupEmptyParent,
      "unparsable:vm/b.xml:-\nmissing-parent:vm/b1.xml:-\n", VS_LEGACY_PROBLEM_MISSING_PARENT,
      "vm/b1.xml: snapshot 'b1': parent 'b' does not exist",
      VS_LEGACY_DROP_BAD_FILES | VS_LEGACY_ORPHANS_ROOT, NULL, NULL, "root< a<root b1< *b1",
      "unparsable:vm/b.xml:fixed\nmissing-parent:vm/b1.xml:fixed\n", "b.xml" },
    { "junk", setupJunk, "junk:vm/junk.txt:-\n", VS_LEGACY_PROBLEM_JUNK,
      "vm/junk.txt: not a snapshot file: (domain_snapshot):1: Start tag expected, '<' not found",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root b1<b *b1",
      "junk:vm/junk.txt:fixed\n", "a.xml b.xml b1.xml junk.txt root.xml" },
    { "subdir", setupSubdir, "unreadable:vm/subdir:-\n", VS_LEGACY_PROBLEM_UNREADABLE,
      "vm/subdir: is a directory, not a snapshot file",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root b1<b *b1",
      "unreadable:vm/subdir:fixed\n", NULL },
    { "symlink", setupSymlink, "symlink:vm/link.xml:-\n", VS_LEGACY_PROBLEM_SYMLINK,
      "vm/link.xml: is a symbolic link (virtsnap never follows links; libvirt would)",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root b1<b *b1",
      "symlink:vm/link.xml:fixed\n", NULL },
    { "stale-new", setupStaleNew, "stale-temp:vm/a.xml.new:-\n", VS_LEGACY_PROBLEM_STALE_TEMP,
      "vm/a.xml.new: stale temporary file of an unfinished libvirt write",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root b1<b *b1",
      "stale-temp:vm/a.xml.new:fixed\n", NULL },
    { "our-temp", setupOurTemp, "stale-temp:vm/a.xml.vstmp-Ab12Cd:-\n",
      VS_LEGACY_PROBLEM_STALE_TEMP,
      "vm/a.xml.vstmp-Ab12Cd: stale temporary file of an unfinished virtsnap write",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root b1<b *b1",
      "stale-temp:vm/a.xml.vstmp-Ab12Cd:fixed\n", NULL },
    { "too-large", setupTooLarge, "too-large:vm/b1.xml:-\n", VS_LEGACY_PROBLEM_TOO_LARGE,
      "vm/b1.xml: 1048577 bytes, over libvirt's 1 MiB limit for a snapshot file",
      VS_LEGACY_DROP_BAD_FILES, NULL, NULL, "root< a<root b<root *",
      "too-large:vm/b1.xml:fixed\nno-current::-\n", "b1.xml" },
    { "duplicate-first", setupDuplicate, "duplicate::-\n", VS_LEGACY_PROBLEM_DUPLICATE,
      "vm: snapshot 'b1' is defined by 2 files: b1.xml, dup.xml",
      VS_LEGACY_DUPLICATES_FIRST, NULL, NULL, "root< a<root b<root b1<b *b1",
      "duplicate::fixed\n", "dup.xml" },
    { "duplicate-last", setupDuplicate, "duplicate::-\n", VS_LEGACY_PROBLEM_DUPLICATE,
      "vm: snapshot 'b1' is defined by 2 files: b1.xml, dup.xml",
      VS_LEGACY_DUPLICATES_LAST, NULL, NULL, "root< a<root b<root b1<b *b1",
      "duplicate::fixed\nname-mismatch:vm/dup.xml:-\n", "b1.xml" },
    { "missing-parent", setupMissingParent, "missing-parent:vm/b1.xml:-\n",
      VS_LEGACY_PROBLEM_MISSING_PARENT, "vm/b1.xml: snapshot 'b1': parent 'b' does not exist",
      VS_LEGACY_ORPHANS_ROOT, NULL, NULL, "root< a<root b1< *b1",
      "missing-parent:vm/b1.xml:fixed\n", NULL },
    { "missing-parent-root", setupMissingParent, "missing-parent:vm/b1.xml:-\n",
      VS_LEGACY_PROBLEM_MISSING_PARENT, "vm/b1.xml: snapshot 'b1': parent 'b' does not exist",
      0, NULL, "b1", "root< a<root b1< *b1", "missing-parent:vm/b1.xml:fixed\n", NULL },
    { "cycle", setupCycle, "cycle::-\n", VS_LEGACY_PROBLEM_CYCLE,
      "vm: parents form a cycle: 'root' -> 'b1' -> 'b' -> 'root'",
      0, NULL, "root", "root< a<root b<root b1<b *b1", "cycle::fixed\n", NULL },
    { "two-current-pick", setupTwoCurrent, "several-current::-\n",
      VS_LEGACY_PROBLEM_SEVERAL_CURRENT,
      "vm: 2 snapshots are marked current: 'a' (a.xml), 'b1' (b1.xml)",
      0, "a", NULL, "root< a<root b<root b1<b *a", "several-current::fixed\n", NULL },
    { "two-current-none", setupTwoCurrent, "several-current::-\n",
      VS_LEGACY_PROBLEM_SEVERAL_CURRENT,
      "vm: 2 snapshots are marked current: 'a' (a.xml), 'b1' (b1.xml)",
      VS_LEGACY_NO_CURRENT, NULL, NULL, "root< a<root b<root b1<b *",
      "several-current::fixed\n", NULL },
};

static void
testBroken(gconstpointer data)
{
    const BrokenCase *tc = data;
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(GError) err = NULL;
    g_autofree char *findings = NULL;
    g_autofree char *tree = NULL;
    g_autofree char *want = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    tc->setup(&env);

    /* Refused as it is, with every problem reported and nothing touched. */
    g_assert_cmpint(convert(&env, "vm", NULL, &report, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_CORRUPT);
    g_assert_true(g_str_has_prefix(err->message, env.dir));
    if (!strstr(err->message, tc->message))
        g_error("'%s' lacks '%s'", err->message, tc->message);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, tc->findings);
    g_assert_cmpstr(findMessage(report, tc->kind), ==, tc->message);
    g_assert_false(exists(&env, "vm.xml"));
    g_assert_true(exists(&env, "vm/root.xml"));
    g_clear_error(&err);
    g_clear_pointer(&report, vsLegacyReportFree);

    /* A read-only load is refused the same way; libvirt would have
     * silently shown a different tree. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm", NULL, 0, &err), ==, -1);
        g_assert_error(err, VS_ERROR, VS_ERROR_CORRUPT);
        g_clear_error(&err);
    }

    /* check lists the same problems, plus the not-converted note. */
    g_assert_cmpint(vsStoreCheck(&report, env.store, "vm", 0, &err), ==, 0);
    g_free(findings);
    findings = describeReport(report);
    want = g_strdup_printf("%snot-converted:vm:-\n", tc->findings);
    g_assert_cmpstr(findings, ==, want);
    g_assert_cmpuint(vsLegacyReportCountUnresolved(report), >, 0);
    g_clear_pointer(&report, vsLegacyReportFree);

    /* With the user's resolution it converts. */
    vsLegacyOptionsSetFlags(opts, tc->flags);
    vsLegacyOptionsSetCurrent(opts, tc->current);
    if (tc->root)
        vsLegacyOptionsAddRoot(opts, tc->root);
    convert(&env, "vm", opts, &report, &err);
    g_assert_no_error(err);
    g_free(findings);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, tc->resolved);
    g_assert_cmpuint(vsLegacyReportCountUnresolved(report), ==, 0);
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, tc->tree);
    /* Nothing is lost: whatever was left out is in the moved-aside copy. */
    g_assert_false(exists(&env, "vm"));
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/1/root.xml"));
    if (tc->aside) {
        g_auto(GStrv) names = g_strsplit(tc->aside, " ", -1);
        for (guint i = 0; names[i]; i++) {
            g_autofree char *rel = g_strdup_printf(".virtsnap/legacy/vm/1/%s", names[i]);
            g_assert_true(exists(&env, rel));
        }
    }
    envClear(&env);
}

static void
testNotesOnly(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *findings = NULL;
    g_autofree char *tree = NULL;

    /* A file not named after its snapshot and no current: nothing is lost
     * by converting, so both are only noted. */
    envInit(&env);
    putStandard(&env, "vm");
    setupRenamed(&env);
    setupNoCurrent(&env);
    convert(&env, "vm", NULL, &report, &err);
    g_assert_no_error(err);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, "name-mismatch:vm/renamed.xml:-\nno-current::-\n");
    g_assert_cmpstr(findMessage(report, VS_LEGACY_PROBLEM_NAME_MISMATCH), ==,
                    "vm/renamed.xml: holds snapshot 'b' (libvirt names that file b.xml; "
                    "it loads it anyway)");
    g_assert_cmpstr(findMessage(report, VS_LEGACY_PROBLEM_NO_CURRENT), ==,
                    "vm: no snapshot is marked current");
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *");
    envClear(&env);
}

/* Exactly 1 MiB is what libvirt still reads; one byte more it skips. */
static void
testSizeLimit(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *exact = paddedB1(VS_LEGACY_FILE_MAX);
    g_autofree char *tree = NULL;

    g_assert_cmpuint(strlen(exact), ==, 1024 * 1024);
    envInit(&env);
    putStandard(&env, "vm");
    putFile(&env, "vm/b1.xml", exact, -1);
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *b1");
    envClear(&env);
}

static void
testBadOptions(void)
{
    Env env;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(GError) err = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    vsLegacyOptionsAddRoot(opts, "a");
    g_assert_cmpint(convert(&env, "vm", opts, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "cannot make 'a' a root: it is neither on a parent "
                    "cycle nor missing its parent in vm/");
    g_clear_error(&err);
    vsLegacyOptionsFree(opts);
    opts = vsLegacyOptionsNew();
    vsLegacyOptionsSetCurrent(opts, "nosuch");
    g_assert_cmpint(convert(&env, "vm", opts, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==, "cannot make 'nosuch' current: vm/ has no such snapshot");
    g_clear_error(&err);
    g_assert_true(exists(&env, "vm/root.xml"));
    g_assert_false(exists(&env, "vm.xml"));
    envClear(&env);
}

/* ------------------------------------------------------------------ */
/* check --repair                                                       */

static void
testRepair(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *findings = NULL;
    g_autofree char *names = NULL;
    g_autofree char *b = mkRecord("b", "root", 1700000300, FALSE);

    envInit(&env);
    putStandard(&env, "vm");
    setupStaleNew(&env);     /* a.xml.new beside a committed a.xml */
    setupDuplicate(&env);    /* dup.xml identical to b1.xml */
    setupRenamed(&env);      /* b lives in renamed.xml */
    setupOurTemp(&env);
    setupJunk(&env);         /* needs the user's word: not repaired */

    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==,
                    "stale-temp:vm/a.xml.new:-\n"
                    "stale-temp:vm/a.xml.vstmp-Ab12Cd:-\n"
                    "junk:vm/junk.txt:-\n"
                    "duplicate::-\n"
                    "name-mismatch:vm/renamed.xml:-\n"
                    "not-converted:vm:-\n");
    g_clear_pointer(&report, vsLegacyReportFree);

    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, VS_STORE_CHECK_REPAIR, &err), ==, 0);
    g_assert_no_error(err);
    g_free(findings);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==,
                    "stale-temp:vm/a.xml.new:fixed\n"
                    "stale-temp:vm/a.xml.vstmp-Ab12Cd:fixed\n"
                    "duplicate:vm/dup.xml:fixed\n"
                    "name-mismatch:vm/renamed.xml:fixed\n"
                    "junk:vm/junk.txt:-\n"
                    "not-converted:vm:-\n");
    g_assert_cmpstr(vsLegacyReportGetAction(report, 0), ==,
                    "moved to .virtsnap/legacy/vm/1/ (a.xml is the committed file)");
    g_assert_cmpstr(vsLegacyReportGetAction(report, 2), ==,
                    "moved dup.xml to .virtsnap/legacy/vm/1/ (identical to b1.xml)");
    g_assert_cmpstr(vsLegacyReportGetAction(report, 3), ==, "renamed to b.xml");
    g_assert_cmpuint(vsLegacyReportCountUnresolved(report), ==, 1);
    names = listDirNames(&env, "vm");
    g_assert_cmpstr(names, ==, "a.xml b.xml b1.xml junk.txt root.xml");
    assertFileIs(&env, "vm/b.xml", b);
    g_free(names);
    names = listDirNames(&env, ".virtsnap/legacy/vm/1");
    g_assert_cmpstr(names, ==, "a.xml.new a.xml.vstmp-Ab12Cd dup.xml");
    g_clear_pointer(&report, vsLegacyReportFree);

    /* Only what needs a decision is left, and convert takes it. */
    {
        g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
        vsLegacyOptionsSetFlags(opts, VS_LEGACY_DROP_BAD_FILES);
        g_assert_cmpint(convert(&env, "vm", opts, NULL, &err), ==, 0);
        g_assert_no_error(err);
    }
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/2/junk.txt"));
    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, VS_STORE_CHECK_REPAIR, &err), ==, 0);
    g_assert_cmpuint(vsLegacyReportGetCount(report), ==, 0);
    envClear(&env);
}

/* check, convert and export-legacy read a bulk file with the store's load
 * limit, like every load (they read it through the store): a file this
 * store would refuse to load is reported as not loading, and neither
 * exported nor compared. */
static void
testStoreLoadLimit(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *findings = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    vsStoreSetLoadLimit(env.store, 1024);

    g_assert_cmpint(vsStoreCheck(&report, env.store, "vm", 0, &err), ==, 0);
    g_assert_no_error(err);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, "bulk-corrupt:vm.xml:-\n");
    g_assert_nonnull(strstr(vsLegacyReportGetMessage(report, 0), "load limit of 1024 bytes"));
    g_clear_pointer(&report, vsLegacyReportFree);

    g_assert_cmpint(vsStoreExportLegacy(&report, env.store, "vm", 0, &err), <, 0);
    g_assert_error(err, VS_ERROR, VS_ERROR_TOO_LARGE);
    g_clear_error(&err);
    g_assert_false(exists(&env, "vm"));

    vsStoreSetLoadLimit(env.store, 0);
    g_assert_cmpint(vsStoreExportLegacy(&report, env.store, "vm", 0, &err), ==, 0);
    g_assert_true(exists(&env, "vm"));
    envClear(&env);
}

static void
testCheckBulk(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *findings = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    putFile(&env, "vm.xml" VS_ATOMIC_TEMP_MARK "Zz99zz", "<snap", -1);
    putFile(&env, "bad.xml", "<snapshots><oops/></snapshots>", -1);

    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, "bulk-corrupt:bad.xml:-\nstale-temp:vm.xml.vstmp-Zz99zz:-\n");
    g_clear_pointer(&report, vsLegacyReportFree);

    /* Repair clears virtsnap's own unfinished write; a bad bulk file needs
     * a human. */
    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, VS_STORE_CHECK_REPAIR, &err), ==, 0);
    g_free(findings);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, "bulk-corrupt:bad.xml:-\nstale-temp:vm.xml.vstmp-Zz99zz:fixed\n");
    g_assert_false(exists(&env, "vm.xml" VS_ATOMIC_TEMP_MARK "Zz99zz"));
    g_assert_true(exists(&env, "bad.xml"));
    envClear(&env);
}

/* ------------------------------------------------------------------ */
/* The store's hook and the leftover policies                           */

static void
testHook(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *tree = NULL;

    envInit(&env);
    putStandard(&env, "vm");

    /* A read-only load shows the directory without converting it. */
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *b1");
    g_assert_false(exists(&env, "vm.xml"));
    g_assert_true(exists(&env, "vm/b1.xml"));
    g_assert_false(exists(&env, ".virtsnap/legacy"));

    /* Opening it for writing never converts it (issue 11 item 10): libvirt
     * may still read the directory.  The error says what to run and what
     * that means for libvirt; nothing changes. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autofree char *want = g_strdup_printf(
            "VM 'vm': its snapshots are in libvirt's per-file layout (%s/vm/), which "
            "virtsnap does not change unless asked: 'virtsnap convert vm' moves them into "
            "virtsnap's file %s/vm.xml (libvirt 9.0 then no longer sees them; 'virtsnap "
            "export-legacy vm' writes them back)", env.dir, env.dir);
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &err), ==, -1);
        g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
        g_assert_cmpstr(err->message, ==, want);
        g_clear_error(&err);
    }
    g_assert_false(exists(&env, "vm.xml"));
    g_assert_true(exists(&env, "vm/a.xml"));
    g_assert_false(exists(&env, ".virtsnap/legacy"));
    /* Converted on request, it is an ordinary VM. */
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(vsDomainCount(dom), ==, 4);
        g_assert_cmpint(vsDomainDelete(dom, "a", 0, &err), ==, 0);
    }
    g_assert_true(exists(&env, "vm.xml"));
    g_assert_false(exists(&env, "vm"));
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/1/a.xml"));
    g_free(tree);
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, "root< b<root b1<b *b1");

    /* A broken directory is refused for reading, untouched. */
    putStandard(&env, "w");
    {
        g_autoptr(vsDomain) dom = NULL;
        g_autofree char *want = g_strdup_printf(
            "%s/w/: legacy snapshot directory has 1 unresolved problem (w/junk.txt: not a "
            "snapshot file: (domain_snapshot):1: Start tag expected, '<' not found); "
            "'virtsnap check w' lists them, 'virtsnap convert w' with a resolution "
            "converts it", env.dir);
        putFile(&env, "w/junk.txt", "hello world\n", -1);
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "w", NULL, 0, &err), ==, -1);
        g_assert_error(err, VS_ERROR, VS_ERROR_CORRUPT);
        g_assert_cmpstr(err->message, ==, want);
        g_clear_error(&err);
    }
    g_assert_false(exists(&env, "w.xml"));
    g_assert_true(exists(&env, "w/junk.txt"));
    envClear(&env);
}

static void
testPolicyRemove(void)
{
    Env env;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *names = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    putStandard(&env, "w");
    putFile(&env, "w/junk.txt", "hello world\n", -1);
    vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_REMOVE);

    g_assert_cmpint(convert(&env, "vm", opts, &report, &err), ==, 0);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "converted 4 snapshots of vm/ into vm.xml (current 'b1')\n"
                    "removed vm/ (4 files)\n");
    g_assert_false(exists(&env, "vm"));
    g_assert_false(exists(&env, ".virtsnap/legacy/vm"));
    g_clear_pointer(&report, vsLegacyReportFree);

    /* What the user chose to leave out is not deleted with the rest. */
    vsLegacyOptionsSetFlags(opts, VS_LEGACY_DROP_BAD_FILES);
    g_assert_cmpint(convert(&env, "w", opts, &report, &err), ==, 0);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "converted 4 snapshots of w/ into w.xml (current 'b1')\n"
                    "removed 4 converted files of w/; its 1 other entry is kept in "
                    ".virtsnap/legacy/w/1/\n");
    names = listDirNames(&env, ".virtsnap/legacy/w/1");
    g_assert_cmpstr(names, ==, "junk.txt");
    envClear(&env);
}

static void
testPolicyKeepThenDiverge(void)
{
    Env env;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *want = NULL;
    g_autofree char *findings = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_KEEP);
    g_assert_cmpint(convert(&env, "vm", opts, &report, &err), ==, 0);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "converted 4 snapshots of vm/ into vm.xml (current 'b1')\n"
                    "left vm/ in place\n");
    g_assert_true(exists(&env, "vm/b1.xml"));
    g_clear_pointer(&report, vsLegacyReportFree);

    /* virtsnap changes the VM; the kept directory is now stale. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &err), ==, 0);
        g_assert_cmpint(vsDomainDelete(dom, "a", 0, &err), ==, 0);
        g_assert_cmpint(vsDomainSetCurrent(dom, "root", &err), ==, 0);
    }
    g_assert_cmpint(vsStoreCheck(&report, env.store, "vm", 0, &err), ==, 0);
    findings = describeReport(report);
    g_assert_cmpstr(findings, ==, "diverged:vm:-\n");
    g_assert_cmpstr(findMessage(report, VS_LEGACY_PROBLEM_DIVERGED), ==,
                    "vm/: left beside vm.xml, and they differ: snapshot 'a' is only in the "
                    "directory; the current snapshot is 'b1' in the directory, 'root' in "
                    "the bulk file");
    g_clear_pointer(&report, vsLegacyReportFree);

    /* Converting again refuses to hide the difference. */
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_EXISTS);
    want = g_strdup_printf("%s/vm/ differs from %s/vm.xml (snapshot 'a' is only in the "
                           "directory; the current snapshot is 'b1' in the directory, 'root' "
                           "in the bulk file); nothing was changed: virtsnap uses the bulk "
                           "file, and 'virtsnap export-legacy --force vm' rewrites the "
                           "directory from it (moving its files aside)", env.dir, env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_true(exists(&env, "vm/a.xml"));

    /* The way out the message names. */
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "vm", VS_LEGACY_EXPORT_FORCE, &err),
                    ==, 0);
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/1/a.xml"));
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(exists(&env, "vm"));
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/2/root.xml"));
    envClear(&env);
}

/* Issue 11 item 9: once the bulk file goes (last snapshot deleted,
 * undefine --snapshots-metadata, domrename), an exported directory would
 * be the VM's snapshots again.  It is moved aside first, and the caller
 * learns where. */
static void
testNoResurrection(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *tree = NULL;
    g_autofree char *want = NULL;
    g_autofree char *moved = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "vm", 0, &err), ==, 0);

    /* Deleting snapshots while others remain changes nothing there. */
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "vm", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &err), ==, 0);
        g_assert_cmpint(vsDomainDelete(dom, "b", VS_SNAPSHOT_DELETE_CHILDREN, &err), ==, 0);
        g_assert_null(vsDomainGetMovedAside(dom));
        g_assert_true(exists(&env, "vm/b1.xml"));
        /* The last ones: the export goes aside before the file goes. */
        g_assert_cmpint(vsDomainDelete(dom, "root", VS_SNAPSHOT_DELETE_CHILDREN, &err), ==, 0);
        g_assert_no_error(err);
        want = g_strdup_printf("%s/.virtsnap/legacy/vm/2", env.dir);
        g_assert_cmpstr(vsDomainGetMovedAside(dom), ==, want);
    }
    g_assert_false(exists(&env, "vm.xml"));
    g_assert_false(exists(&env, "vm"));
    g_assert_true(exists(&env, ".virtsnap/legacy/vm/2/b1.xml"));
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, " *");   /* nothing came back */

    /* undefine --snapshots-metadata. */
    putStandard(&env, "u");
    g_assert_cmpint(convert(&env, "u", NULL, NULL, &err), ==, 0);
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "u", 0, &err), ==, 0);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "u", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &err), ==, 0);
        g_assert_cmpint(vsDomainDeleteAll(dom, &err), ==, 0);
        g_free(want);
        want = g_strdup_printf("%s/.virtsnap/legacy/u/2", env.dir);
        g_assert_cmpstr(vsDomainGetMovedAside(dom), ==, want);
    }
    g_free(tree);
    tree = describeDomain(&env, "u");
    g_assert_cmpstr(tree, ==, " *");

    /* domrename: the old name's export must not give it its snapshots back. */
    putStandard(&env, "old");
    g_assert_cmpint(convert(&env, "old", NULL, NULL, &err), ==, 0);
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "old", 0, &err), ==, 0);
    g_assert_cmpint(vsStoreRenameDomain(&moved, env.store, "old", "new", &err), ==, 0);
    g_assert_no_error(err);
    g_free(want);
    want = g_strdup_printf("%s/.virtsnap/legacy/old/2", env.dir);
    g_assert_cmpstr(moved, ==, want);
    g_free(tree);
    tree = describeDomain(&env, "old");
    g_assert_cmpstr(tree, ==, " *");
    g_free(tree);
    tree = describeDomain(&env, "new");
    g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *b1");

    /* No directory, nothing moved. */
    g_clear_pointer(&moved, g_free);
    g_assert_cmpint(vsStoreRenameDomain(&moved, env.store, "new", "newer", &err), ==, 0);
    g_assert_null(moved);
    envClear(&env);
}

/* Issue 11 item 11: directories whose names cannot be VM names here (a
 * leading '.', a TAB or another control character, over 238 bytes, not
 * UTF-8) are findings of check and of vsStoreFindUnsupportedNames, never
 * skipped silently; the store's own .virtsnap is not one. */
static void
testUnsupportedNames(void)
{
    Env env;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(vsLegacyReport) found = NULL;
    g_autofree char *longname = g_strnfill(239, 'L');
    g_autofree char *d = NULL;
    const char *bad[] = { ".hidden", "tab\tname", "bell\aname", "latin1-\xe9", longname };
    g_autofree char *want = NULL;

    envInit(&env);
    putStandard(&env, "ok");
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        putStandard(&env, bad[i]);
    {
        g_autofree char *locks = envPath(&env, ".virtsnap/locks");
        g_assert_cmpint(g_mkdir_with_parents(locks, 0700), ==, 0);
    }
    putFile(&env, ".plainfile", "not a directory", -1);

    g_assert_cmpint(vsStoreCheck(&report, env.store, NULL, 0, &err), ==, 0);
    d = describeReport(report);
    want = g_strdup_printf("not-converted:ok:-\nunsupported-name:.hidden:-\n"
                           "unsupported-name:%s:-\nunsupported-name:bell\aname:-\n"
                           "unsupported-name:latin1-\xe9:-\nunsupported-name:tab\tname:-\n",
                           longname);
    g_assert_cmpstr(d, ==, want);
    g_assert_cmpuint(vsLegacyReportCountUnresolved(report), ==, 5);
    g_assert_cmpstr(findMessage(report, VS_LEGACY_PROBLEM_UNSUPPORTED_NAME), ==,
                    ".hidden/: invalid VM name '.hidden': name can't start with '.', so "
                    "virtsnap can neither convert nor manage the snapshots a libvirt VM of "
                    "that name keeps here; the directory is left as it is");
    for (guint i = 0; i < vsLegacyReportGetCount(report); i++) {
        const char *msg = vsLegacyReportGetMessage(report, i);
        g_assert_null(strchr(msg, '\t'));   /* one printable line each */
        g_assert_true(g_utf8_validate(msg, -1, NULL));
    }
    g_assert_cmpstr(vsLegacyReportGetMessage(report, 5), ==,
                    "tab\\tname/: invalid VM name: name can't contain control characters, so "
                    "virtsnap can neither convert nor manage the snapshots a libvirt VM of "
                    "that name keeps here; the directory is left as it is");
    g_assert_true(g_str_has_prefix(vsLegacyReportGetMessage(report, 2),
                                   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL…/: invalid VM name"));
    g_assert_true(g_str_has_prefix(vsLegacyReportGetMessage(report, 4), "latin1-\\xe9/: "));

    g_assert_cmpint(vsStoreFindUnsupportedNames(&found, env.store, &err), ==, 0);
    g_assert_cmpuint(vsLegacyReportGetCount(found), ==, 5);
    /* Checking one VM by name does not list the others. */
    g_clear_pointer(&report, vsLegacyReportFree);
    g_assert_cmpint(vsStoreCheck(&report, env.store, "ok", 0, &err), ==, 0);
    g_assert_cmpuint(vsLegacyReportGetCount(report), ==, 1);
    envClear(&env);
}

/* Issue 11 item 7: links where virtsnap keeps moved-aside directories or
 * stages an export are refused, naming the link; nothing lands behind it. */
static void
testPrivateLinks(void)
{
    static const char *const links[] = {
        ".virtsnap/legacy", ".virtsnap/legacy/vm", ".virtsnap/export",
    };
    g_autofree char *elsewhere = vsTestTempDir();

    for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
        Env env;
        g_autoptr(GError) err = NULL;
        g_autofree char *link = NULL, *parent = NULL, *want = NULL, *names = NULL;

        envInit(&env);
        putStandard(&env, "vm");
        link = envPath(&env, links[i]);
        parent = g_path_get_dirname(link);
        g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
        g_assert_cmpint(symlink(elsewhere, link), ==, 0);
        want = g_strdup_printf("%s/%s: is a symbolic link; virtsnap never follows links "
                               "inside the store", env.dir, links[i]);
        if (i < 2) {
            g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, -1);
        } else {
            g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
            g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "vm", 0, &err), ==, -1);
            g_assert_false(exists(&env, "vm"));
        }
        g_assert_error(err, VS_ERROR, VS_ERROR_INVALID);
        g_assert_cmpstr(err->message, ==, want);
        names = listDirNames(&env, links[i]);
        g_assert_cmpstr(names, ==, "");
        envClear(&env);
    }
}

/* ------------------------------------------------------------------ */
/* Interruptions                                                        */

static vsAtomicStep fail_step;

static int
failAt(vsAtomicStep step, gpointer data)
{
    return step == fail_step ? EIO : 0;
}

static void
testInterruptedByFailure(void)
{
    Env env;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *tree = NULL;

    envInit(&env);
    putStandard(&env, "vm");

    /* The bulk file never replaced: nothing changed at all. */
    fail_step = VS_ATOMIC_STEP_RENAME;
    vsAtomicFileSetFaultHook(failAt, NULL);
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_IO);
    g_clear_error(&err);
    g_assert_false(exists(&env, "vm.xml"));
    g_assert_true(exists(&env, "vm/b1.xml"));

    /* Replaced but not flushed: the directory is not touched either. */
    fail_step = VS_ATOMIC_STEP_DIRSYNC;
    g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_IO);
    g_clear_error(&err);
    vsAtomicFileSetFaultHook(NULL, NULL);
    g_assert_true(exists(&env, "vm.xml"));
    g_assert_true(exists(&env, "vm/b1.xml"));

    /* Run again: it finishes the job. */
    g_assert_cmpint(convert(&env, "vm", NULL, &report, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(vsLegacyReportGetSummary(report), ==,
                    "vm.xml already holds the same snapshots as vm/ (an earlier conversion "
                    "was interrupted or kept it)\n"
                    "moved vm/ to .virtsnap/legacy/vm/1/\n");
    tree = describeDomain(&env, "vm");
    g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *b1");
    envClear(&env);
}

/* A real crash (the process dies) at every step of the conversion; each
 * time a rerun finishes it with the same result. */
static void
testInterruptedByCrash(void)
{
    static const struct {
        const char *at;
        gboolean bulk;      /* DIR/vm.xml exists after the crash */
        gboolean temp;      /* a temporary file is left over */
    } points[] = {
        { "create:1", FALSE, FALSE },
        { "write:1", FALSE, TRUE },
        { "fsync:1", FALSE, TRUE },
        { "rename:1", FALSE, TRUE },
        { "dirsync:1", TRUE, FALSE },
    };
    const char *dir = g_getenv("VS_LEGACY_CRASH_DIR");

    if (g_test_subprocess()) {
        g_autoptr(vsStore) store = NULL;
        g_autoptr(vsLegacyReport) report = NULL;
        g_setenv("VIRTSNAP_CRASH_AT", g_getenv("VS_LEGACY_CRASH_AT"), TRUE);
        g_assert_cmpint(vsStoreOpen(&store, dir, 0, NULL), ==, 0);
        vsStoreConvertDomain(&report, store, "vm", NULL, NULL);
        return;   /* not reached when the crash point is hit */
    }
    for (guint i = 0; i < G_N_ELEMENTS(points); i++) {
        Env env;
        g_autoptr(GError) err = NULL;
        g_autofree char *tree = NULL;
        g_autofree char *names = NULL;

        envInit(&env);
        putStandard(&env, "vm");
        g_setenv("VS_LEGACY_CRASH_DIR", env.dir, TRUE);
        g_setenv("VS_LEGACY_CRASH_AT", points[i].at, TRUE);
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_failed();
        g_test_trap_assert_stderr("");
        g_assert_true(exists(&env, "vm/b1.xml"));   /* never touched before the end */
        g_assert_cmpint(exists(&env, "vm.xml"), ==, points[i].bulk);
        names = listDirNames(&env, ".");
        g_assert_cmpint(strstr(names, "vm.xml" VS_ATOMIC_TEMP_MARK) != NULL, ==, points[i].temp);

        g_assert_cmpint(convert(&env, "vm", NULL, NULL, &err), ==, 0);
        g_assert_no_error(err);
        tree = describeDomain(&env, "vm");
        g_assert_cmpstr(tree, ==, "root< a<root b<root b1<b *b1");
        g_assert_false(exists(&env, "vm"));
        g_assert_true(exists(&env, ".virtsnap/legacy/vm/1/b1.xml"));
        g_free(names);
        names = listDirNames(&env, ".");
        g_assert_null(strstr(names, VS_ATOMIC_TEMP_MARK));
        envClear(&env);
    }
}

static void
progressCount(const char *vm, guint done, guint total, gpointer data)
{
    GString *log = data;
    g_string_append_printf(log, "%s:%u/%u ", vm, done, total);
}

static void
testProgress(void)
{
    Env env;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GError) err = NULL;

    envInit(&env);
    putStandard(&env, "vm");
    vsLegacyOptionsSetProgress(opts, progressCount, log);
    g_assert_cmpint(convert(&env, "vm", opts, NULL, &err), ==, 0);
    g_assert_cmpstr(log->str, ==, "vm:1/4 vm:2/4 vm:3/4 vm:4/4 ");
    envClear(&env);
}

/* ------------------------------------------------------------------ */
/* Round trips through libvirt 9.0 itself (the embedded qemu driver)     */

typedef struct {
    char *root;      /* qemu:///embed?root=ROOT */
    char *uri;
    gboolean as_nobody;
} Virsh;

/* NULL (and the test skipped) when libvirt's virsh is not installed. */
static gboolean
virshInit(Virsh *v)
{
    g_autofree char *virsh = g_find_program_in_path("virsh");
    g_autofree char *setpriv = g_find_program_in_path("setpriv");

    if (!virsh) {
        g_test_skip("virsh (libvirt 9.0 clients) is not installed: cannot compare "
                    "with real libvirt");
        return FALSE;
    }
    /* As root the embedded driver runs privileged and wants the
     * 'libvirt-qemu' user; as any other user it needs nothing. */
    v->as_nobody = geteuid() == 0;
    if (v->as_nobody && !setpriv) {
        g_test_skip("running as root and setpriv is missing: cannot run virsh unprivileged");
        return FALSE;
    }
    v->root = vsTestTempDir();
    v->uri = g_strdup_printf("qemu:///embed?root=%s", v->root);
    return TRUE;
}

static void
virshClear(Virsh *v)
{
    g_free(v->root);
    g_free(v->uri);
}

static void
virshChown(const Virsh *v)
{
    g_autoptr(GError) err = NULL;
    int status = 0;
    const char *argv[] = { "chown", "-R", "65534:65534", v->root, NULL };

    if (!v->as_nobody)
        return;
    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static char *virshRunV(const Virsh *v, gboolean quiet, const char *arg0, va_list ap);

/* Runs virsh -q -c URI ARGS...; its stdout, or aborts the test. */
static char *
virshRun(const Virsh *v, const char *arg0, ...)
{
    va_list ap;
    char *out;

    va_start(ap, arg0);
    out = virshRunV(v, TRUE, arg0, ap);
    va_end(ap);
    return out;
}

/* The same without -q: the whole output, as a user sees it. */
static char *
virshRunFull(const Virsh *v, const char *arg0, ...)
{
    va_list ap;
    char *out;

    va_start(ap, arg0);
    out = virshRunV(v, FALSE, arg0, ap);
    va_end(ap);
    return out;
}

static char *
virshRunV(const Virsh *v, gboolean quiet, const char *arg0, va_list ap)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *home = g_strdup_printf("HOME=%s", v->root);
    const char *envp[] = { home, "LC_ALL=C.UTF-8", "TZ=UTC",
                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    char *out = NULL, *errout = NULL;
    int status = 0;

    if (v->as_nobody) {
        g_ptr_array_add(argv, "setpriv");
        g_ptr_array_add(argv, "--reuid=65534");
        g_ptr_array_add(argv, "--regid=65534");
        g_ptr_array_add(argv, "--clear-groups");
    }
    g_ptr_array_add(argv, "virsh");
    if (quiet)
        g_ptr_array_add(argv, "-q");
    g_ptr_array_add(argv, "-c");
    g_ptr_array_add(argv, v->uri);
    for (const char *a = arg0; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer) a);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, (char **) envp, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, &errout, &status, &err));
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("virsh %s failed: %s", arg0, errout);
    g_free(errout);
    return out;
}

/* Defines peer1 (the fixtures' VM: same name and UUID) in the driver.
 * Its type is 'qemu' because KVM may be missing here; the snapshots'
 * embedded <domain type='kvm'> load all the same. */
static void
virshDefine(const Virsh *v)
{
    g_autofree char *root = readFixture(ROOT_FIXTURE);
    const char *start = strstr(root, "  <domain type='kvm'>");
    const char *end = strstr(root, "  </domain>\n");
    g_autofree char *dom = NULL;
    g_autofree char *qemu = NULL;
    g_autofree char *path = g_build_filename(v->root, "peer1.xml", NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;

    g_assert_nonnull(start);
    g_assert_nonnull(end);
    dom = g_strndup(start, end + strlen("  </domain>\n") - start);
    qemu = replaceOnce(dom, "<domain type='kvm'>", "<domain type='qemu'>");
    g_assert_true(g_file_set_contents(path, qemu, -1, &err));
    virshChown(v);
    out = virshRun(v, "define", path, NULL);
}

/* libvirt's view: "name<parent" sorted by name, then "*current". */
static char *
virshDescribe(const Virsh *v)
{
    g_autofree char *list = virshRun(v, "snapshot-list", "peer1", "--parent", NULL);
    g_autofree char *cur = virshRun(v, "snapshot-current", "peer1", "--name", NULL);
    g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; lines[i]; i++) {
        /* " NAME   2023-11-14 22:13:20 +0000   shutoff   PARENT" */
        g_auto(GStrv) cols = g_regex_split_simple("\\s{3,}", g_strstrip(lines[i]), 0, 0);
        if (!cols[0] || !*cols[0])
            continue;
        g_string_append_printf(out, "%s<%s ", cols[0], cols[3] ? cols[3] : "");
    }
    g_string_append_printf(out, "*%s", g_strstrip(cur));
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static gint
cmpSnapName(gconstpointer a, gconstpointer b)
{
    return strcmp(vsMomentGetName(*(const vsSnapshot *const *) a),
                  vsMomentGetName(*(const vsSnapshot *const *) b));
}

/* Ours, in the same form as virshDescribe. */
static char *
describeSorted(Env *env, const char *vm)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    const vsSnapshot *cur;

    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, vm, NULL, 0, NULL), ==, 0);
    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, NULL), ==, 0);
    g_ptr_array_sort(all, cmpSnapName);   /* virsh's listing order */
    for (guint i = 0; i < all->len; i++) {
        const vsSnapshot *parent = vsDomainGetParent(dom, all->pdata[i]);
        g_string_append_printf(out, "%s<%s ", vsMomentGetName(all->pdata[i]),
                               parent ? vsMomentGetName(parent) : "");
    }
    cur = vsDomainGetCurrent(dom, NULL);
    g_string_append_printf(out, "*%s", cur ? vsMomentGetName(cur) : "");
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Every snapshot's dumpxml --security-info equals our formatting. */
static void
assertSameXML(const Virsh *v, Env *env, const char *vm)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GPtrArray) all = NULL;

    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, vm, NULL, 0, NULL), ==, 0);
    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, NULL), ==, 0);
    g_assert_cmpuint(all->len, >, 0);
    for (guint i = 0; i < all->len; i++) {
        const char *name = vsMomentGetName(all->pdata[i]);
        g_autofree char *theirs = virshRun(v, "snapshot-dumpxml", "peer1", "--security-info",
                                           "--", name, NULL);
        g_autofree char *ours = NULL;
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(vsSnapshotFormat(&ours, all->pdata[i], NULL,
                                         VS_SNAPSHOT_FORMAT_SECURE, &err), ==, 0);
        g_assert_cmpstr(g_strchomp(ours), ==, g_strchomp(theirs));
    }
}

/* The virtsnap program built with this test (tools/virtsnap beside
 * tests/), or NULL when it is not there. */
static char *
virtsnapBinary(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    char *bin = dir ? g_build_filename(dir, "..", "tools", "virtsnap", NULL) : NULL;

    if (bin && !g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE))
        g_clear_pointer(&bin, g_free);
    return bin;
}

static char *
virtsnapRun(const char *bin, const char *store, const char *arg0, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *storeenv = g_strdup_printf("VIRTSNAP_STORE=%s", store);
    const char *envp[] = { storeenv, "LC_ALL=C.UTF-8", "TZ=UTC", NULL };
    char *out = NULL;
    g_autofree char *errout = NULL;
    int status = 0;
    va_list ap;

    g_ptr_array_add(argv, (gpointer) bin);
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer) a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, (char **) envp, 0, NULL, NULL,
                               &out, &errout, &status, &err));
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("virtsnap %s failed: %s", arg0, errout);
    return out;
}

/* What virtsnap prints equals what virsh prints, byte for byte: the
 * listing with parents, the tree, the current name, every dumpxml. */
static void
assertSameOutput(const Virsh *v, Env *env)
{
    g_autofree char *bin = virtsnapBinary();
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GPtrArray) all = NULL;
    static const char *const lists[][2] = {
        { "--parent", NULL }, { "--tree", NULL }, { "--roots", NULL }, { "--leaves", NULL },
    };

    if (!bin) {
        g_test_message("tools/virtsnap not built: CLI output not compared with virsh");
        return;
    }
    for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
        g_autofree char *theirs = virshRunFull(v, "snapshot-list", "peer1", lists[i][0], NULL);
        g_autofree char *ours = virtsnapRun(bin, env->dir, "snapshot-list", "peer1",
                                            lists[i][0], NULL);
        g_assert_cmpstr(ours, ==, theirs);
    }
    {
        g_autofree char *theirs = virshRunFull(v, "snapshot-current", "peer1", "--name", NULL);
        g_autofree char *ours = virtsnapRun(bin, env->dir, "snapshot-current", "peer1",
                                            "--name", NULL);
        g_assert_cmpstr(ours, ==, theirs);
    }
    g_assert_cmpint(vsStoreLoadDomain(&dom, env->store, "peer1", NULL, 0, NULL), ==, 0);
    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, NULL), ==, 0);
    for (guint i = 0; i < all->len; i++) {
        const char *name = vsMomentGetName(all->pdata[i]);
        g_autofree char *theirs = virshRunFull(v, "snapshot-dumpxml", "peer1",
                                               "--security-info", "--", name, NULL);
        g_autofree char *ours = virtsnapRun(bin, env->dir, "snapshot-dumpxml", "peer1",
                                            "--security-info", "--", name, NULL);
        g_assert_cmpstr(ours, ==, theirs);
    }
}

/* Ours -> export-legacy -> libvirt 9.0 loads the directory and sees the
 * same tree, current and XML. */
static void
testLibvirtLoadsExport(void)
{
    Virsh v;
    Env env;
    g_autoptr(GError) err = NULL;
    g_autofree char *ours = NULL;
    g_autofree char *theirs = NULL;
    g_autofree char *odd = mkRecord("x &amp; y", "b", 1700000900, FALSE);

    if (!virshInit(&v))
        return;
    env.dir = g_build_filename(v.root, "lib", "qemu", "snapshot", NULL);
    g_assert_cmpint(g_mkdir_with_parents(env.dir, 0755), ==, 0);
    g_assert_cmpint(vsStoreOpen(&env.store, env.dir, 0, &err), ==, 0);
    virshDefine(&v);

    /* A tree with an odd name and a current that is not the newest. */
    putStandard(&env, "peer1");
    g_assert_cmpint(convert(&env, "peer1", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, env.store, "peer1", NULL,
                                          VS_DOMAIN_LOAD_WRITE, &err), ==, 0);
        g_assert_cmpint(vsDomainCreateXML(NULL, dom, odd, strlen(odd), NULL, 0,
                                          VS_SNAPSHOT_CREATE_REDEFINE, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpint(vsDomainSetCurrent(dom, "a", &err), ==, 0);
    }
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "peer1", 0, &err), ==, 0);
    g_assert_no_error(err);
    virshChown(&v);

    theirs = virshDescribe(&v);
    ours = describeSorted(&env, "peer1");
    g_assert_cmpstr(ours, ==, "a<root b<root b1<b root< x & y<b *a");
    g_assert_cmpstr(theirs, ==, ours);
    assertSameXML(&v, &env, "peer1");
    assertSameOutput(&v, &env);
    vsStoreFree(env.store);
    g_free(env.dir);
    virshClear(&v);
}

/* libvirt 9.0 writes a tree (snapshot-create --redefine) -> convert ->
 * the same tree, current and XML. */
static void
testConvertLibvirtWritten(void)
{
    Virsh v;
    Env env;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autofree char *theirs = NULL;
    g_autofree char *ours = NULL;
    const char *names[] = { "root", "a", "b", "b1", "x & y" };
    g_autofree char *out = NULL;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();

    if (!virshInit(&v))
        return;
    env.dir = g_build_filename(v.root, "lib", "qemu", "snapshot", NULL);
    virshDefine(&v);
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_strdup_printf("%s/in%u.xml", v.root, i);
        g_autofree char *xml = NULL;
        g_autofree char *o = NULL;

        if (i == 0)
            xml = readFixture(ROOT_FIXTURE);
        else if (i == 3)
            xml = readFixture(B1_FIXTURE);
        else if (i == 4)
            xml = mkRecord("x &amp; y", "b", 1700000900, FALSE);
        else
            xml = mkRecord(names[i], "root", 1700000000 + 100 * i, FALSE);
        g_assert_true(g_file_set_contents(path, xml, -1, NULL));
        virshChown(&v);
        o = virshRun(&v, "snapshot-create", "peer1", path, "--redefine", NULL);
    }
    out = virshRun(&v, "snapshot-current", "peer1", "b", NULL);
    theirs = virshDescribe(&v);
    g_assert_cmpstr(theirs, ==, "a<root b<root b1<b root< x & y<b *b");

    g_assert_cmpint(vsStoreOpen(&env.store, env.dir, 0, &err), ==, 0);
    assertSameXML(&v, &env, "peer1");  /* the read-only view, before converting */
    /* Keep the directory so libvirt still answers for comparison. */
    vsLegacyOptionsSetLeftover(opts, VS_LEGACY_LEFTOVER_KEEP);
    g_assert_cmpint(convert(&env, "peer1", opts, &report, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(vsLegacyReportGetCount(report), ==, 0);
    g_assert_true(exists(&env, "peer1.xml"));
    ours = describeSorted(&env, "peer1");
    g_assert_cmpstr(ours, ==, theirs);
    assertSameXML(&v, &env, "peer1");
    assertSameOutput(&v, &env);
    vsStoreFree(env.store);
    g_free(env.dir);
    virshClear(&v);
}

/* Issue 11 item 10: without --store or VIRTSNAP_STORE a user's store is
 * $XDG_DATA_HOME/virtsnap/snapshot, never libvirt's directory.  (Run as
 * an unprivileged user when the suite runs as root, whose default is
 * /var/lib/virtsnap/snapshot and is not touched here.) */
static void
testCliDefaultStore(void)
{
    g_autofree char *bin = virtsnapBinary();
    g_autofree char *top = vsTestTempDir();
    g_autofree char *home = g_strdup_printf("HOME=%s", top);
    g_autofree char *data = g_strdup_printf("XDG_DATA_HOME=%s/data", top);
    g_autofree char *config = g_strdup_printf("XDG_CONFIG_HOME=%s/config", top);
    g_autofree char *want = g_build_filename(top, "data", "virtsnap", "snapshot", ".virtsnap",
                                             "config", NULL);
    g_autofree char *libvirts = g_build_filename(top, "config", "libvirt", NULL);
    g_autofree char *out = NULL, *errout = NULL;
    const char *envp[] = { home, data, config, "LC_ALL=C.UTF-8",
                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int status = 0;

    if (!bin) {
        g_test_skip("tools/virtsnap not built");
        return;
    }
    if (geteuid() == 0) {
        g_autofree char *setpriv = g_find_program_in_path("setpriv");
        if (!setpriv) {
            g_test_skip("running as root and setpriv is missing");
            return;
        }
        g_assert_cmpint(chown(top, 65534, 65534), ==, 0);
        g_ptr_array_add(argv, "setpriv");
        g_ptr_array_add(argv, "--reuid=65534");
        g_ptr_array_add(argv, "--regid=65534");
        g_ptr_array_add(argv, "--clear-groups");
    }
    g_ptr_array_add(argv, bin);
    g_ptr_array_add(argv, "store-config");
    g_ptr_array_add(argv, "--compression");
    g_ptr_array_add(argv, "zstd");
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, (char **) envp,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("virtsnap store-config failed: %s", errout);
    g_assert_true(g_file_test(want, G_FILE_TEST_IS_REGULAR));
    g_assert_false(g_file_test(libvirts, G_FILE_TEST_EXISTS));
}

/* ------------------------------------------------------------------ */
/* A running libvirt reads the directory: convert refuses unless forced  */

/* A child that holds a write lock on @pidfile (as libvirt's qemu driver does
 * on its driver.pid) until its end of @release is closed. */
static pid_t
holdPidFileLock(const char *pidfile, int *release)
{
    int fds[2];
    int ready[2];
    pid_t pid;
    char c;

    g_assert_cmpint(pipe(fds), ==, 0);
    g_assert_cmpint(pipe(ready), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        int fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        close(fds[1]);
        close(ready[0]);
        if (fd < 0 || fcntl(fd, F_SETLK, &lk) < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        while (read(fds[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(fds[0]);
    close(ready[1]);
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    close(ready[0]);
    *release = fds[1];
    return pid;
}

static void
endChild(pid_t pid, int release)
{
    int status;
    close(release);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
}

/* The path mapping of each driver kind, with a lock held as libvirt does. */
static void
testLibvirtRunningLayouts(void)
{
    static const struct { const char *snapdir, *pidfile; } layouts[] = {
        { "embed/lib/qemu/snapshot", "embed/run/qemu/driver.pid" },
        { "var/lib/libvirt/qemu/snapshot", "var/run/libvirt/qemu/driver.pid" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(layouts); i++) {
        g_autofree char *top = vsTestTempDir();
        g_autofree char *snapdir = g_build_filename(top, layouts[i].snapdir, NULL);
        g_autofree char *pidfile = g_build_filename(top, layouts[i].pidfile, NULL);
        g_autofree char *piddir = g_path_get_dirname(pidfile);
        g_autofree char *found = NULL;
        g_autoptr(vsStore) store = NULL;
        g_autoptr(GError) err = NULL;
        gint64 pid = 0;
        pid_t holder;
        int release;

        g_assert_cmpint(g_mkdir_with_parents(snapdir, 0755), ==, 0);
        g_assert_cmpint(g_mkdir_with_parents(piddir, 0755), ==, 0);
        g_assert_cmpint(vsStoreOpen(&store, snapdir, 0, &err), ==, 0);
        /* No pid file, then a stale one: nobody runs. */
        g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, store, &err), ==, 0);
        g_assert_null(found);
        g_assert_true(g_file_set_contents(pidfile, "12345\n", -1, NULL));
        g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, store, &err), ==, 0);
        g_assert_null(found);
        g_assert_cmpint(vsStoreCheckLibvirtIdle(store, "vm", &err), ==, 0);

        holder = holdPidFileLock(pidfile, &release);
        g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, store, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpstr(found, ==, pidfile);
        g_assert_cmpint(pid, ==, holder);
        g_assert_cmpint(vsStoreCheckLibvirtIdle(store, NULL, &err), ==, -1);
        g_assert_error(err, VS_ERROR, VS_ERROR_LOCKED);
        endChild(holder, release);
        g_clear_pointer(&found, g_free);
        g_clear_error(&err);
        g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, store, &err), ==, 0);
        g_assert_null(found);
    }
}

/* virsh -c qemu:///embed?root=R as a long-lived shell (its stdin a pipe we
 * keep open), so its qemu driver runs, holding R/run/qemu/driver.pid. */
static GPid
virshStartShell(const Virsh *v, int *stdin_fd)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *home = g_strdup_printf("HOME=%s", v->root);
    g_autofree char *xdg = g_strdup_printf("XDG_RUNTIME_DIR=%s/xdg", v->root);
    const char *envp[] = { home, xdg, "LC_ALL=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                           NULL };
    GPid pid;

    if (v->as_nobody) {
        g_ptr_array_add(argv, "setpriv");
        g_ptr_array_add(argv, "--reuid=65534");
        g_ptr_array_add(argv, "--regid=65534");
        g_ptr_array_add(argv, "--clear-groups");
    }
    g_ptr_array_add(argv, "virsh");
    g_ptr_array_add(argv, "-q");
    g_ptr_array_add(argv, "-c");
    g_ptr_array_add(argv, v->uri);
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv->pdata, (char **) envp,
                                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                           G_SPAWN_STDOUT_TO_DEV_NULL |
                                           G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &pid, stdin_fd, NULL, NULL, &err));
    g_assert_no_error(err);
    return pid;
}

/* Issue 11 item 10: a real libvirt 9.0 qemu driver (embedded in a running
 * virsh) reads R/lib/qemu/snapshot; convert refuses there, says how to undo
 * a forced one, and converts again once that libvirt has exited. */
static void
testLibvirtRunningRefused(void)
{
    Virsh v;
    Env env = { NULL, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(vsLegacyOptions) force = vsLegacyOptionsNew();
    g_autofree char *pidfile = NULL;
    g_autofree char *found = NULL;
    g_autofree char *want = NULL;
    gint64 pid = 0;
    GPid shell;
    int in, status;

    if (!virshInit(&v))
        return;
    virshChown(&v);
    shell = virshStartShell(&v, &in);
    pidfile = g_build_filename(v.root, "run", "qemu", "driver.pid", NULL);
    env.dir = g_build_filename(v.root, "lib", "qemu", "snapshot", NULL);
    /* Wait for the driver to start (it creates the directories). */
    for (guint tries = 0; tries < 1200 && !found; tries++) {
        g_usleep(50 * 1000);
        if (!g_file_test(env.dir, G_FILE_TEST_IS_DIR))
            continue;
        if (!env.store)
            g_assert_cmpint(vsStoreOpen(&env.store, env.dir, 0, &err), ==, 0);
        g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, env.store, &err), ==, 0);
    }
    g_assert_cmpstr(found, ==, pidfile);
    g_assert_cmpint(pid, ==, shell);

    putStandard(&env, "peer1");
    putStandard(&env, "peer2");
    /* The CLI: convert --all refuses once, whatever the number of VMs. */
    {
        g_autofree char *bin = virtsnapBinary();
        g_autofree char *out = NULL, *errout = NULL;
        g_autofree char *line = NULL;
        const char *argv[] = { bin, "--store", env.dir, "convert", "--all", NULL };
        int st = 0;

        if (bin) {
            g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, 0, NULL, NULL, &out,
                                       &errout, &st, NULL));
            g_assert_false(g_spawn_check_wait_status(st, NULL));
            line = g_strdup_printf("error: %s: a running libvirt (qemu driver, pid %d, %s) "
                                   "reads its snapshots from this directory; converting would "
                                   "hide them from it (libvirt 9.0 reads only %s/VM/*.xml); "
                                   "stop libvirt first, or convert with --force and undo it "
                                   "with 'virtsnap export-legacy VM'\n", env.dir, (int) shell,
                                   pidfile, env.dir);
            g_assert_cmpstr(errout, ==, line);
            g_assert_cmpstr(out, ==, "\n");   /* virsh's blank line after an error */
        }
    }
    g_assert_cmpint(convert(&env, "peer1", NULL, NULL, &err), ==, -1);
    g_assert_error(err, VS_ERROR, VS_ERROR_LOCKED);
    want = g_strdup_printf("%s: a running libvirt (qemu driver, pid %d, %s) reads its snapshots "
                           "from this directory; converting VM 'peer1' would hide them from it "
                           "(libvirt 9.0 reads only %s/peer1/*.xml); stop libvirt first, or "
                           "convert with --force and undo it with 'virtsnap export-legacy "
                           "peer1'", env.dir, (int) shell, pidfile, env.dir);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    g_assert_false(exists(&env, "peer1.xml"));
    g_assert_true(exists(&env, "peer1/b1.xml"));

    /* Forced: converted; export-legacy is the way back. */
    vsLegacyOptionsSetFlags(force, VS_LEGACY_FORCE_LIBVIRT_RUNNING);
    g_assert_cmpint(convert(&env, "peer1", force, NULL, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_false(exists(&env, "peer1"));
    g_assert_cmpint(vsStoreExportLegacy(NULL, env.store, "peer1", 0, &err), ==, 0);
    g_assert_true(exists(&env, "peer1/b1.xml"));

    /* libvirt exits (its lock goes with it, the pid file stays): no refusal. */
    close(in);
    g_assert_cmpint(waitpid(shell, &status, 0), ==, shell);
    g_spawn_close_pid(shell);
    g_assert_true(g_file_test(pidfile, G_FILE_TEST_EXISTS));
    g_clear_pointer(&found, g_free);
    g_assert_cmpint(vsStoreFindLibvirt(&found, &pid, env.store, &err), ==, 0);
    g_assert_null(found);
    g_assert_cmpint(convert(&env, "peer2", NULL, NULL, &err), ==, 0);
    g_assert_no_error(err);
    vsStoreFree(env.store);
    g_free(env.dir);
    virshClear(&v);
}

/* Checkpoints through libvirt 9.0 both ways: virsh redefines them and
 * writes its per-file layout -> convert -> one file per VM -> export ->
 * byte-identical files, which libvirt loads again (list, dumpxml). */
#define CKPT_DIR "libvirt-9.0-checkpoint-ondisk/"
static void
testCheckpointsThroughLibvirt(void)
{
    Virsh v;
    g_autoptr(GError) err = NULL;
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autofree char *ckdir = NULL;
    g_autofree char *list_before = NULL;
    g_autofree char *list_after = NULL;
    const char *names[] = { "c1", "c2", "c3" };
    char *files[G_N_ELEMENTS(names)];
    char *dumps[G_N_ELEMENTS(names)];

    if (!virshInit(&v))
        return;
    {
        g_autofree char *dom = readFixture(CKPT_DIR "domain.xml");
        g_autofree char *path = g_build_filename(v.root, "demo.xml", NULL);
        g_assert_true(g_file_set_contents(path, dom, -1, NULL));
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
            g_autofree char *rel = g_strdup_printf(CKPT_DIR "input/%s.xml", names[i]);
            g_autofree char *in = readFixture(rel);
            g_autofree char *dst = g_strdup_printf("%s/in-%s.xml", v.root, names[i]);
            g_assert_true(g_file_set_contents(dst, in, -1, NULL));
        }
        virshChown(&v);
        g_free(virshRun(&v, "define", path, NULL));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *in = g_strdup_printf("%s/in-%s.xml", v.root, names[i]);
        g_free(virshRun(&v, "checkpoint-create", "demo", in, "--redefine", NULL));
    }
    ckdir = g_build_filename(v.root, "lib", "qemu", "checkpoint", NULL);
    list_before = virshRunFull(&v, "checkpoint-list", "demo", "--parent", NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_strdup_printf("%s/demo/%s.xml", ckdir, names[i]);
        g_autofree char *expected = NULL;
        g_autofree char *rel = g_strdup_printf(CKPT_DIR "ondisk/demo/%s.xml", names[i]);

        files[i] = vsTestReadFile(path, NULL);
        dumps[i] = virshRun(&v, "checkpoint-dumpxml", "demo", names[i], "--security-info", NULL);
        expected = readFixture(rel);
        g_assert_cmpstr(files[i], ==, expected);   /* this libvirt writes what was recorded */
    }

    /* libvirt's files -> one file per VM (the directory moved aside) */
    g_assert_cmpint(vsStoreOpen(&store, ckdir, 0, &err), ==, 0);
    g_assert_cmpint(vsStoreConvertCheckpoints(&report, store, "demo", NULL, &err), ==, 0);
    g_assert_no_error(err);
    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadCheckpoints(&dom, store, "demo", NULL, 0, &err), ==, 0);
        g_assert_cmpuint(vsDomainCount(dom), ==, G_N_ELEMENTS(names));
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
            g_autofree char *ours = NULL;
            g_assert_cmpint(vsCheckpointFormat(&ours, vsDomainLookup(dom, names[i], NULL),
                                               VS_CHECKPOINT_FORMAT_SECURE, &err), ==, 0);
            g_assert_cmpstr(g_strchomp(ours), ==, g_strchomp(dumps[i]));
        }
    }

    /* and back: byte-identical files that libvirt loads as before */
    g_assert_cmpint(vsStoreExportCheckpoints(NULL, store, "demo", 0, &err), ==, 0);
    g_assert_no_error(err);
    virshChown(&v);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_strdup_printf("%s/demo/%s.xml", ckdir, names[i]);
        g_autofree char *again = vsTestReadFile(path, NULL);
        g_autofree char *dump = virshRun(&v, "checkpoint-dumpxml", "demo", names[i],
                                         "--security-info", NULL);

        g_assert_cmpstr(again, ==, files[i]);
        g_assert_cmpstr(g_strchomp(dump), ==, dumps[i]);   /* chomped above */
        g_free(files[i]);
        g_free(dumps[i]);
    }
    list_after = virshRunFull(&v, "checkpoint-list", "demo", "--parent", NULL);
    g_assert_cmpstr(list_after, ==, list_before);
    virshClear(&v);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/legacy/convert/standard", testConvertStandard);
    g_test_add_func("/legacy/convert/tab-in-current-name", testConvertTabInCurrentName);
    g_test_add_func("/legacy/convert/uuid-only-domains", testConvertUuidOnlyDomains);
    g_test_add_func("/legacy/export/round-trip", testExportRoundTrip);
    g_test_add_func("/legacy/export/refusals", testExportRefusals);
    g_test_add_func("/legacy/export/refuses-slash", testExportRefusesSlash);
    g_test_add_func("/legacy/export/long-names", testExportLongNames);
    g_test_add_func("/legacy/export/too-large", testExportTooLarge);
    g_test_add_func("/legacy/export/every-failure", testExportEveryFailure);
    g_test_add_func("/legacy/collisions", testCollisions);
    g_test_add_func("/legacy/notes-only", testNotesOnly);
    g_test_add_func("/legacy/size-limit", testSizeLimit);
    g_test_add_func("/legacy/bad-options", testBadOptions);
    g_test_add_func("/legacy/check/repair", testRepair);
    g_test_add_func("/legacy/check/bulk", testCheckBulk);
    g_test_add_func("/legacy/store-load-limit", testStoreLoadLimit);
    g_test_add_func("/legacy/hook", testHook);
    g_test_add_func("/legacy/policy/remove", testPolicyRemove);
    g_test_add_func("/legacy/policy/keep-then-diverge", testPolicyKeepThenDiverge);
    g_test_add_func("/legacy/interrupted/failure", testInterruptedByFailure);
    g_test_add_func("/legacy/interrupted/crash", testInterruptedByCrash);
    g_test_add_func("/legacy/progress", testProgress);
    g_test_add_func("/legacy/private-links", testPrivateLinks);
    g_test_add_func("/legacy/no-resurrection", testNoResurrection);
    g_test_add_func("/legacy/unsupported-names", testUnsupportedNames);
    g_test_add_func("/legacy/libvirt/loads-export", testLibvirtLoadsExport);
    g_test_add_func("/legacy/libvirt/convert-its-files", testConvertLibvirtWritten);
    g_test_add_func("/legacy/libvirt/checkpoints", testCheckpointsThroughLibvirt);
    g_test_add_func("/legacy/cli/default-store", testCliDefaultStore);
    g_test_add_func("/legacy/libvirt/running-layouts", testLibvirtRunningLayouts);
    g_test_add_func("/legacy/libvirt/running-refused", testLibvirtRunningRefused);
    for (guint i = 0; i < G_N_ELEMENTS(broken_cases); i++) {
        g_autofree char *path = g_strdup_printf("/legacy/broken/%s", broken_cases[i].name);
        g_test_add_data_func(path, &broken_cases[i], testBroken);
    }
    return g_test_run();
}
