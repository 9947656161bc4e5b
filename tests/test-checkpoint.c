/* test-checkpoint.c — the <domaincheckpoint> record (lib/checkpoint/).
 *
 * Expected bytes come from libvirt 9.0.0's own fixtures (tests/fixtures/
 * libvirt-checkpoint-tests, driven as qemudomaincheckpointxml2xmltest.c
 * does: its README lists flags, time and name per case) and from files
 * libvirt 9.0 wrote itself (libvirt-9.0-checkpoint-ondisk). */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "checkpoint/checkpoint.h"
#include "testutil.h"

#define CIN "libvirt-checkpoint-tests/qemudomaincheckpointxml2xmlin/"
#define COUT "libvirt-checkpoint-tests/qemudomaincheckpointxml2xmlout/"
#define OND "libvirt-9.0-checkpoint-ondisk/"
#define DEMO_UUID "0f4c2d8e-7a51-4b6f-8e3d-92a1c5b7e604"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static char *
readFixture(const char *rel)
{
    g_autofree char *path = vsTestFixture(rel);
    return vsTestReadFile(path, NULL);
}

static vsCheckpoint *
parseOk(const char *xml, unsigned int flags, gint64 now)
{
    g_autoptr(GError) error = NULL;
    vsCheckpoint *chk = NULL;

    if (vsCheckpointParse(&chk, xml, strlen(xml), flags, now, &error) < 0)
        g_error("unexpected parse failure: %s", error->message);
    g_assert_nonnull(chk);
    return chk;
}

static char *
formatBuf(const vsCheckpoint *chk, unsigned int flags)
{
    GString *buf = g_string_new(NULL);

    vsCheckpointFormatBuf(buf, chk, flags, 0);
    return g_string_free(buf, FALSE);
}

static void
parseFails(const char *xml, unsigned int flags, const char *message)
{
    g_autoptr(GError) error = NULL;
    vsCheckpoint *chk = (vsCheckpoint *) 0x1;

    g_assert_cmpint(vsCheckpointParse(&chk, xml, strlen(xml), flags, 1700000000, &error), <, 0);
    g_assert_null(chk);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    if (message)
        g_assert_cmpstr(error->message, ==, message);
}

#define SCHEMA_ERR "XML document failed to validate against schema: Unable to validate " \
                   "doc against domaincheckpoint.rng: "

/* ------------------------------------------------------------------ */
/* libvirt's xml2xml conformance cases                                  */

enum { T_REDEFINE = 1, T_PARENT = 2, T_VDA_BITMAP = 4, T_SIZE = 8, T_INVALID = 16 };

typedef struct {
    const char *name;
    const char *in;
    const char *out;
    gint64 time;
    unsigned int flags;
} vsCase;

static const vsCase cases[] = {
    { "redefine", COUT "redefine.xml", COUT "redefine.xml", 0, T_REDEFINE },
    { "empty", CIN "empty.xml", COUT "empty.xml", 1525889631, T_VDA_BITMAP },
    { "disk-default", CIN "disk-default.xml", COUT "disk-default.xml", 1525889631,
      T_PARENT | T_VDA_BITMAP },
    { "sample", CIN "sample.xml", COUT "sample.xml", 1525889631, T_PARENT | T_VDA_BITMAP },
    { "size", CIN "size.xml", COUT "size.xml", 1553648510, T_PARENT | T_VDA_BITMAP | T_SIZE },
    { "disk-invalid", CIN "disk-invalid.xml", NULL, 0, T_INVALID },
    { "name-invalid", CIN "name-invalid.xml", NULL, 0, T_INVALID },
};

/* testCompareXMLToXMLFiles of qemudomaincheckpointxml2xmltest.c */
static void
testConformance(gconstpointer data)
{
    const vsCase *c = data;
    g_autofree char *in = readFixture(c->in);
    g_autofree char *expected = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(vsCheckpoint) chk = NULL;
    unsigned int format_flags = VS_CHECKPOINT_FORMAT_SECURE;

    if (c->flags & T_INVALID) {
        parseFails(in, 0, NULL);
        return;
    }
    expected = readFixture(c->out);
    chk = parseOk(in, (c->flags & T_REDEFINE) ? VS_CHECKPOINT_PARSE_REDEFINE : 0, c->time);
    if (c->flags & T_PARENT) {
        g_assert_null(vsMomentGetParentName(chk));
        vsMomentSetParentName(chk, "1525111885");
    }
    if (c->flags & T_VDA_BITMAP) {
        g_assert_true(vsCheckpointGetDiskCount(chk) == 0 ||
                      vsCheckpointGetDiskBitmap(chk, 0) == NULL);
        vsCheckpointAddDiskSlot(chk);
        if (!vsCheckpointGetDiskName(chk, 0))
            vsCheckpointSetDisk(chk, 0, "vda", VS_CHECKPOINT_TYPE_BITMAP, NULL);
        g_assert_cmpstr(vsCheckpointGetDiskName(chk, 0), ==, "vda");
        vsCheckpointSetDisk(chk, 0, NULL, vsCheckpointGetDiskType(chk, 0),
                            vsMomentGetName(chk));
    }
    if (c->flags & T_SIZE) {
        vsCheckpointSetDiskSize(chk, 0, 1048576);
        format_flags |= VS_CHECKPOINT_FORMAT_SIZE;
    }
    actual = formatBuf(chk, format_flags);
    g_assert_cmpstr(actual, ==, expected);
}

/* virschematest: every fixture validates unless its name ends in
 * -invalid.xml (the schema is always applied: a parse is the check). */
static void
testSchema(void)
{
    const char *dirs[] = { CIN, COUT };

    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autofree char *path = vsTestFixture(dirs[d]);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *ent;
        guint n = 0;

        g_assert_nonnull(dir);
        while ((ent = g_dir_read_name(dir))) {
            g_autofree char *rel = g_strconcat(dirs[d], ent, NULL);
            g_autofree char *xml = readFixture(rel);
            g_autoptr(GError) error = NULL;
            g_autoptr(vsCheckpoint) chk = NULL;
            int rc = vsCheckpointParse(&chk, xml, strlen(xml), 0, 1, &error);

            if (g_str_has_suffix(ent, "-invalid.xml")) {
                g_assert_cmpint(rc, <, 0);
                g_assert_true(g_str_has_prefix(error->message, SCHEMA_ERR));
            } else {
                g_assert_no_error(error);
                g_assert_cmpint(rc, ==, 0);
            }
            n++;
        }
        g_assert_cmpuint(n, >=, 6);
    }
}

/* ------------------------------------------------------------------ */
/* Files written by libvirt 9.0                                         */

static const char *const ondisk[] = {
    OND "ondisk/demo/c1.xml",
    OND "ondisk/demo/c2.xml",
    OND "ondisk/demo/c3.xml",
    OND "ondisk/QEMUGuest1/c1.xml",
};

static void
testOndisk(gconstpointer data)
{
    g_autofree char *file = readFixture(data);
    g_autoptr(vsMoment) chk = NULL;
    g_autoptr(GError) error = NULL;
    GString *buf = g_string_new(NULL);
    gboolean current = TRUE;
    g_autofree char *actual = NULL;

    g_assert_true(g_str_has_prefix(file, VS_CHECKPOINT_LEGACY_HEADER));
    g_assert_cmpint(vsCheckpointKind.parse_legacy(&chk, file, strlen(file), &current, &error),
                    ==, 0);
    g_assert_no_error(error);
    g_assert_false(current);
    g_string_append(buf, vsCheckpointKind.legacy_header);
    vsCheckpointKind.format_legacy(buf, chk, NULL, FALSE);
    actual = g_string_free(buf, FALSE);
    g_assert_cmpstr(actual, ==, file);
}

/* virsh checkpoint-dumpxml's captures: the document plus one newline */
static void
assertDump(const vsCheckpoint *chk, unsigned int flags, const char *capture)
{
    g_autofree char *expected = readFixture(capture);
    g_autofree char *actual = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsCheckpointFormat(&actual, chk, flags, &error), ==, 0);
    g_assert_true(g_str_has_suffix(expected, "</domaincheckpoint>\n\n"));
    expected[strlen(expected) - 1] = '\0';
    g_assert_cmpstr(actual, ==, expected);
}

static void
testDumpxml(void)
{
    g_autofree char *c1 = readFixture(OND "ondisk/demo/c1.xml");
    g_autofree char *c2 = readFixture(OND "ondisk/demo/c2.xml");
    g_autofree char *q1 = readFixture(OND "ondisk/QEMUGuest1/c1.xml");
    g_autofree char *size = readFixture(OND "dumpxml/c1--size.txt");
    g_autoptr(vsCheckpoint) k1 = parseOk(c1, VS_CHECKPOINT_PARSE_REDEFINE, 0);
    g_autoptr(vsCheckpoint) k2 = parseOk(c2, VS_CHECKPOINT_PARSE_REDEFINE, 0);
    g_autoptr(vsCheckpoint) kq = parseOk(q1, VS_CHECKPOINT_PARSE_REDEFINE, 0);
    g_autoptr(GError) error = NULL;
    char *out = (char *) 0x1;

    assertDump(k1, 0, OND "dumpxml/c1.xml");
    assertDump(k1, VS_CHECKPOINT_FORMAT_SECURE, OND "dumpxml/c1--security-info.xml");
    assertDump(k1, VS_CHECKPOINT_FORMAT_NO_DOMAIN, OND "dumpxml/c1--no-domain.xml");
    assertDump(k2, 0, OND "dumpxml/c2.xml");
    assertDump(kq, VS_CHECKPOINT_FORMAT_SECURE, OND "dumpxml/QEMUGuest1-c1--security-info.xml");

    /* --size: virsh on an inactive VM, and virtsnap has no running VM */
    g_assert_cmpint(vsCheckpointFormat(&out, k1, VS_CHECKPOINT_FORMAT_SIZE, &error), <, 0);
    g_assert_null(out);
    g_assert_nonnull(strstr(size, "error: Requested operation is not valid: domain is not running"));
    g_assert_cmpstr(error->message, ==, "Requested operation is not valid: domain is not running");
}

/* checkpoint-create --redefine of the three inputs through the store:
 * libvirt's files come out (disks aligned, defaults, domain order). */
static void
testRedefineLikeLibvirt(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    const char *names[] = { "c1", "c2", "c3" };

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreLoadCheckpoints(&dom, store, "demo", DEMO_UUID,
                                           VS_DOMAIN_LOAD_WRITE, &error), ==, 0);
    g_assert_cmpint(vsDomainGetKind(dom), ==, VS_MOMENT_CHECKPOINT);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *rel = g_strdup_printf(OND "input/%s.xml", names[i]);
        g_autofree char *xml = readFixture(rel);
        g_autofree char *name = NULL;

        g_assert_cmpint(vsDomainCheckpointCreateXML(&name, dom, xml, strlen(xml), NULL,
                                                    VS_CHECKPOINT_CREATE_REDEFINE, &error),
                        ==, 0);
        g_assert_no_error(error);
        g_assert_cmpstr(name, ==, names[i]);
    }
    g_clear_pointer(&dom, vsDomainFree);
    /* read back from the bulk file */
    g_assert_cmpint(vsStoreLoadCheckpoints(&dom, store, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 3);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *rel = g_strdup_printf(OND "ondisk/demo/%s.xml", names[i]);
        g_autofree char *file = readFixture(rel);
        const vsMoment *chk = vsDomainLookup(dom, names[i], &error);
        GString *buf = g_string_new(vsCheckpointKind.legacy_header);
        g_autofree char *actual = NULL;

        g_assert_nonnull(chk);
        vsCheckpointKind.format_legacy(buf, chk, NULL, FALSE);
        actual = g_string_free(buf, FALSE);
        g_assert_cmpstr(actual, ==, file);
    }
}


/* libvirt's checkpoint directory converts to one file per VM and back,
 * byte for byte (header, order, secrets, mode 0600). */
static void
testLegacyRoundTrip(void)
{
    g_autofree char *dir = vsTestTempDir();
    g_autofree char *vmdir = g_build_filename(dir, "demo", NULL);
    g_autofree char *bulk = g_build_filename(dir, "demo.xml", NULL);
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(vsLegacyReport) exported = NULL;
    g_autoptr(vsLegacyReport) checked = NULL;
    g_autoptr(GError) error = NULL;
    const char *names[] = { "c1", "c2", "c3" };
    g_autofree char *head = NULL;

    g_assert_cmpint(g_mkdir(vmdir, 0700), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *rel = g_strdup_printf(OND "ondisk/demo/%s.xml", names[i]);
        g_autofree char *file = readFixture(rel);
        g_autofree char *path = g_strdup_printf("%s/%s.xml", vmdir, names[i]);
        g_assert_true(g_file_set_contents(path, file, -1, NULL));
    }
    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreConvertCheckpoints(&report, store, "demo", NULL, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(vsLegacyReportCountUnresolved(report), ==, 0);
    g_assert_false(g_file_test(vmdir, G_FILE_TEST_EXISTS));
    head = vsTestReadFile(bulk, NULL);
    /* a snapshot handle never takes the checkpoint file */
    g_assert_cmpint(vsStoreLoadDomain(&dom, store, "demo", NULL, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_CORRUPT);
    g_clear_error(&error);
    g_assert_cmpint(vsStoreLoadCheckpoints(&dom, store, "demo", NULL, 0, &error), ==, 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 3);
    g_assert_cmpstr(vsMomentGetParentName(vsDomainLookup(dom, "c3", NULL)), ==, "c2");
    g_clear_pointer(&dom, vsDomainFree);

    g_assert_cmpint(vsStoreExportCheckpoints(&exported, store, "demo", 0, &error), ==, 0);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *rel = g_strdup_printf(OND "ondisk/demo/%s.xml", names[i]);
        g_autofree char *expected = readFixture(rel);
        g_autofree char *path = g_strdup_printf("%s/%s.xml", vmdir, names[i]);
        g_autofree char *actual = vsTestReadFile(path, NULL);
        GStatBuf st;

        g_assert_cmpstr(actual, ==, expected);
        g_assert_cmpint(g_stat(path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    }
    /* the directory that was exported matches the bulk file */
    g_assert_cmpint(vsStoreCheckCheckpoints(&checked, store, "demo", 0, &error), ==, 0);
    g_assert_cmpuint(vsLegacyReportCountUnresolved(checked), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Names and parse errors                                               */

static void
testNames(void)
{
    const char *good[] = { "x.xml", "--", "a..b", "_", "9", "A-b_c.d" };
    const char *bad[] = { "a b", ".x", "../escape", "a/b", "é", "" };

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *xml = g_strdup_printf("<domaincheckpoint><name>%s</name>"
                                               "<creationTime>5</creationTime>"
                                               "</domaincheckpoint>", good[i]);
        g_autoptr(vsCheckpoint) chk = parseOk(xml, VS_CHECKPOINT_PARSE_REDEFINE, 0);
        g_assert_cmpstr(vsMomentGetName(chk), ==, good[i]);
        g_assert_cmpint(vsCheckpointNameCheck(good[i], NULL), ==, 0);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *xml = g_strdup_printf("<domaincheckpoint><name>%s</name>"
                                               "</domaincheckpoint>", bad[i]);
        g_autoptr(GError) error = NULL;
        vsCheckpoint *chk = NULL;

        g_assert_cmpint(vsCheckpointParse(&chk, xml, strlen(xml), 0, 5, &error), <, 0);
        g_assert_true(g_str_has_prefix(error->message, SCHEMA_ERR));
        g_assert_cmpint(vsCheckpointNameCheck(bad[i], NULL), <, 0);
    }
}

static void
testParseErrors(void)
{
    parseFails("<domaincheckpoint><creationTime>5</creationTime></domaincheckpoint>",
               VS_CHECKPOINT_PARSE_REDEFINE, "XML error: a redefined checkpoint must have a name");
    parseFails("<domaincheckpoint><name>a</name></domaincheckpoint>",
               VS_CHECKPOINT_PARSE_REDEFINE,
               "internal error: missing creationTime from existing checkpoint");
    parseFails("<domaincheckpoint><name>a</name><creationTime>0</creationTime>"
               "</domaincheckpoint>", VS_CHECKPOINT_PARSE_REDEFINE,
               "XML error: checkpoint 'a': creationTime 0 is not supported "
               "(libvirt would not store it)");
    parseFails("<domainsnapshot/>", 0, NULL);
    parseFails("<domaincheckpoint>", 0, NULL);
    parseFails("<domaincheckpoint><disks><disk name='vda' checkpoint='external'/></disks>"
               "</domaincheckpoint>", 0, NULL);
}

/* Without REDEFINE, creationTime, parent and <domain> are ignored. */
static void
testPlainIgnores(void)
{
    g_autofree char *in = readFixture(OND "input/c1.xml");
    g_autoptr(vsCheckpoint) chk = parseOk(in, 0, 77);

    g_assert_cmpint(vsMomentGetCreationTime(chk), ==, 77);
    g_assert_false(vsMomentHasDomain(chk));
    g_assert_cmpuint(vsCheckpointGetDiskCount(chk), ==, 2);
    g_assert_cmpint(vsCheckpointGetDiskType(chk, 0), ==, VS_CHECKPOINT_TYPE_BITMAP);
    g_assert_null(vsCheckpointGetDiskBitmap(chk, 0));
    g_assert_cmpint(vsCheckpointGetDiskType(chk, 1), ==, VS_CHECKPOINT_TYPE_NO);
    g_assert_cmpstr(vsCheckpointTypeToString(VS_CHECKPOINT_TYPE_BITMAP), ==, "bitmap");
    g_assert_null(vsCheckpointTypeToString(VS_CHECKPOINT_TYPE_LAST));
}

/* ------------------------------------------------------------------ */
/* Redefine rules against a VM's checkpoints                            */

typedef struct {
    char *dir;
    vsStore *store;
    vsDomain *dom;
    char *domain;    /* demo's <domain>, from input/c1.xml */
} Fixture;

/* Loads (again) the fixture VM's checkpoints for writing, in a fresh handle. */
static void
reloadCheckpoints(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&f->dom, vsDomainFree);
    g_assert_cmpint(vsStoreLoadCheckpoints(&f->dom, f->store, "demo", NULL,
                                           VS_DOMAIN_LOAD_WRITE, &error), ==, 0);
}

static void
fixtureSetup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *c1 = readFixture(OND "input/c1.xml");
    const char *a = strstr(c1, "  <domain type=");
    const char *b = strstr(c1, "</domain>");

    f->domain = g_strndup(a, b + strlen("</domain>") - a);
    f->dir = vsTestTempDir();
    g_assert_cmpint(vsStoreOpen(&f->store, f->dir, 0, &error), ==, 0);
    reloadCheckpoints(f);
}

static void
fixtureTeardown(Fixture *f, gconstpointer data)
{
    vsDomainFree(f->dom);
    vsStoreFree(f->store);
    g_free(f->dir);
    g_free(f->domain);
}

static int
redefine(Fixture *f, const char *name, const char *parent, const char *disks,
         gboolean domain, GError **error)
{
    g_autofree char *xml = g_strdup_printf(
        "<domaincheckpoint><name>%s</name>%s%s%s<creationTime>%d</creationTime>%s%s"
        "</domaincheckpoint>", name, parent ? "<parent><name>" : "", parent ? parent : "",
        parent ? "</name></parent>" : "", 1700000000 + (int) strlen(name), disks ? disks : "",
        domain ? f->domain : "");
    return vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL,
                                       VS_CHECKPOINT_CREATE_REDEFINE, error);
}

static void
expectFail(Fixture *f, const char *name, const char *parent, const char *disks,
           gboolean domain, const char *message)
{
    g_autoptr(GError) error = NULL;
    guint before = vsDomainCount(f->dom);

    g_assert_cmpint(redefine(f, name, parent, disks, domain, &error), <, 0);
    g_assert_nonnull(error);
    g_assert_cmpstr(error->message, ==, message);
    g_assert_cmpuint(vsDomainCount(f->dom), ==, before);
}

static void
testRedefineRules(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(redefine(f, "a", NULL, NULL, TRUE, &error), ==, 0);
    g_assert_cmpint(redefine(f, "b", "a", NULL, FALSE, &error), ==, 0);
    expectFail(f, "c", "zz", NULL, FALSE, "invalid argument: parent zz for moment c not found");
    expectFail(f, "c", "c", NULL, FALSE, "invalid argument: cannot set moment c as its own parent");
    expectFail(f, "a", "b", NULL, FALSE, "invalid argument: parent b would create cycle to a");
    expectFail(f, "c", NULL, "<disks><disk name='vdz'/></disks>", TRUE,
               "unsupported configuration: no disk named 'vdz'");
    expectFail(f, "c", NULL,
               "<disks><disk name='vda'/><disk name='/var/lib/libvirt/images/demo-vda.qcow2'/>"
               "</disks>", TRUE, "unsupported configuration: disk "
               "'/var/lib/libvirt/images/demo-vda.qcow2' specified twice");
    expectFail(f, "c", NULL, "<disks><disk name='vda'/><disk name='vdb'/><disk name='vdc'/>"
               "</disks>", TRUE,
               "unsupported configuration: too many disk checkpoint requests for domain");
    {
        /* another VM's definition */
        char *u = strstr(f->domain, "0f4c2d8e");
        u[0] = '1';
        expectFail(f, "c", NULL, NULL, TRUE, "invalid argument: definition for checkpoint c "
                   "must use uuid " DEMO_UUID);
        u[0] = '0';
    }
    /* a path names the disk; the record keeps the target */
    g_assert_cmpint(redefine(f, "c", "b", "<disks><disk name='/var/lib/libvirt/images/demo-vdb.qcow2'"
                             " bitmap='bm'/></disks>", TRUE, &error), ==, 0);
    {
        const vsMoment *c = vsDomainLookup(f->dom, "c", &error);
        g_assert_cmpuint(vsCheckpointGetDiskCount(c), ==, 2);
        g_assert_cmpstr(vsCheckpointGetDiskName(c, 0), ==, "vda");
        g_assert_cmpint(vsCheckpointGetDiskType(c, 0), ==, VS_CHECKPOINT_TYPE_NO);
        g_assert_cmpstr(vsCheckpointGetDiskName(c, 1), ==, "vdb");
        g_assert_cmpstr(vsCheckpointGetDiskBitmap(c, 1), ==, "bm");
    }
}

/* Read-only and empty disks: 'no' by default, an error when asked for. */
static void
testReadonlyDisks(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    char *vdb = strstr(f->domain, "demo-vdb.qcow2");
    char *dev;
    const vsMoment *c;

    /* vdb becomes a cdrom (read-only) */
    g_assert_nonnull(vdb);
    dev = g_strrstr_len(f->domain, vdb - f->domain, "device='disk'");
    g_assert_nonnull(dev);
    memcpy(dev, "device='cdrm'", 13);
    {
        g_auto(GStrv) parts = g_strsplit(f->domain, "device='cdrm'", -1);
        g_free(f->domain);
        f->domain = g_strjoinv("device='cdrom'", parts);
    }
    expectFail(f, "c", NULL, "<disks><disk name='vdb'/></disks>", TRUE,
               "unsupported configuration: disk 'vdb' is empty or readonly");
    g_assert_cmpint(redefine(f, "c", NULL, NULL, TRUE, &error), ==, 0);
    c = vsDomainLookup(f->dom, "c", &error);
    g_assert_cmpint(vsCheckpointGetDiskType(c, 0), ==, VS_CHECKPOINT_TYPE_BITMAP);
    g_assert_cmpstr(vsCheckpointGetDiskBitmap(c, 0), ==, "c");
    g_assert_cmpint(vsCheckpointGetDiskType(c, 1), ==, VS_CHECKPOINT_TYPE_NO);
    g_assert_null(vsCheckpointGetDiskBitmap(c, 1));
}

/* A plain create (what qemu does for a running VM, metadata only): stamped
 * by the store clock, child of the current checkpoint as libvirt derives
 * it, disks aligned with the given or the current checkpoint's <domain>. */
static gint64
clock42(gpointer data)
{
    return 4200;
}

static void
testPlainCreate(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    const char *xml = "<domaincheckpoint><name>p1</name></domaincheckpoint>";
    const vsMoment *p1, *p2;

    vsStoreSetClock(f->store, clock42, NULL);
    /* no domain anywhere yet */
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL, 0,
                                                &error), <, 0);
    g_assert_cmpstr(error->message, ==, "internal error: missing domain in checkpoint");
    g_clear_error(&error);
    g_assert_cmpint(vsDomainCheckpointCreateXML(&name, f->dom, xml, strlen(xml), f->domain, 0,
                                                &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpstr(name, ==, "p1");
    p1 = vsDomainLookup(f->dom, "p1", NULL);
    g_assert_cmpint(vsMomentGetCreationTime(p1), ==, 4200);
    g_assert_null(vsMomentGetParentName(p1));
    g_assert_cmpuint(vsCheckpointGetDiskCount(p1), ==, 2);
    g_assert_cmpstr(vsCheckpointGetDiskBitmap(p1, 0), ==, "p1");
    /* the next one: unnamed (named by the clock), child of p1, p1's domain */
    xml = "<domaincheckpoint/>";
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL, 0,
                                                &error), ==, 0);
    p2 = vsDomainLookup(f->dom, "4200", &error);
    g_assert_nonnull(p2);
    g_assert_cmpstr(vsMomentGetParentName(p2), ==, "p1");
    g_assert_true(vsMomentHasDomain(p2));
    /* again: the name exists */
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL, 0,
                                                &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_EXISTS);
    g_clear_error(&error);
    /* QUIESCE and REDEFINE_VALIDATE: libvirt's answers without a running VM */
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL,
                                                VS_CHECKPOINT_CREATE_QUIESCE, &error), <, 0);
    g_assert_cmpstr(error->message, ==,
                    "unsupported flags (0x2) in function qemuCheckpointCreateXML");
    g_clear_error(&error);
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), NULL,
                                                VS_CHECKPOINT_CREATE_REDEFINE |
                                                VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
                                                &error), <, 0);
    g_assert_cmpstr(error->message, ==, "Requested operation is not valid: domain is not running");
}

/* No current checkpoint is stored: a fresh handle derives it as libvirt
 * does (none with two leaves), so a plain create after a reload is a root
 * here, whatever the previous handle had made current.  A file written
 * before this rule (with current=) loads the same way. */
static void
testCurrentNotStored(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(f->dir, "demo.xml", NULL);
    g_autofree char *text = NULL;
    g_autofree char *old = NULL;
    const char *xml = "<domaincheckpoint><name>p</name></domaincheckpoint>";
    const vsMoment *p;
    const char *root;
    gsize len;

    vsStoreSetClock(f->store, clock42, NULL);
    vsStoreSetCompression(f->store, FALSE);
    g_assert_cmpint(redefine(f, "a", NULL, NULL, TRUE, &error), ==, 0);
    g_assert_cmpint(redefine(f, "bb", NULL, NULL, TRUE, &error), ==, 0);
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(f->dom, NULL)), ==, "a");
    text = vsTestReadFile(path, &len);
    g_assert_null(strstr(text, "current="));
    g_assert_nonnull(strstr(text, "<checkpoints>\n"));

    reloadCheckpoints(f);
    g_assert_null(vsDomainGetCurrent(f->dom, NULL));
    g_assert_cmpint(vsDomainCheckpointCreateXML(NULL, f->dom, xml, strlen(xml), f->domain, 0,
                                                &error), ==, 0);
    p = vsDomainLookup(f->dom, "p", &error);
    g_assert_nonnull(p);
    g_assert_null(vsMomentGetParentName(p));

    /* the old writer's file: the same records under <checkpoints current='a'> */
    g_free(text);
    text = vsTestReadFile(path, &len);
    root = strstr(text, "<checkpoints>");
    g_assert_nonnull(root);
    old = g_strdup_printf("%.*s<checkpoints current='a'>%s", (int) (root - text), text,
                          root + strlen("<checkpoints>"));
    g_assert_true(g_file_set_contents(path, old, -1, NULL));
    reloadCheckpoints(f);
    g_assert_null(vsDomainGetCurrent(f->dom, NULL));
    g_assert_cmpuint(vsDomainCount(f->dom), ==, 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/checkpoint/xml2xml/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], testConformance);
    }
    g_test_add_func("/checkpoint/schema", testSchema);
    for (gsize i = 0; i < G_N_ELEMENTS(ondisk); i++) {
        g_autofree char *path = g_strdup_printf("/checkpoint/ondisk/%s",
                                                ondisk[i] + strlen(OND "ondisk/"));
        g_test_add_data_func(path, ondisk[i], testOndisk);
    }
    g_test_add_func("/checkpoint/dumpxml", testDumpxml);
    g_test_add_func("/checkpoint/redefine-like-libvirt", testRedefineLikeLibvirt);
    g_test_add_func("/checkpoint/legacy-round-trip", testLegacyRoundTrip);
    g_test_add_func("/checkpoint/names", testNames);
    g_test_add_func("/checkpoint/parse-errors", testParseErrors);
    g_test_add_func("/checkpoint/plain-ignores", testPlainIgnores);
    g_test_add("/checkpoint/redefine-rules", Fixture, NULL, fixtureSetup, testRedefineRules,
               fixtureTeardown);
    g_test_add("/checkpoint/readonly-disks", Fixture, NULL, fixtureSetup, testReadonlyDisks,
               fixtureTeardown);
    g_test_add("/checkpoint/plain-create", Fixture, NULL, fixtureSetup, testPlainCreate,
               fixtureTeardown);
    g_test_add("/checkpoint/current-not-stored", Fixture, NULL, fixtureSetup,
               testCurrentNotStored, fixtureTeardown);
    return g_test_run();
}
