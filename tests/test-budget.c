/* test-budget.c — budgets, in the curl spirit: correctness of cost, not
 * timing.  Every operation that changes a VM is exactly one file replace
 * (or one unlink) — counted both by the store's commit counter and,
 * independently, by the atomic-file module's step hook — and loading N
 * realistic snapshots stays under a peak-memory bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <zstd.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "testutil.h"
#include "virtsnap-private.h"

#define UUID "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"
#define SMALL_DOMAIN \
    "<domain type='kvm'><name>vm1</name><uuid>" UUID "</uuid>" \
    "<memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os>" \
    "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>" \
    "<source file='/var/lib/libvirt/images/vm1.qcow2'/><target dev='vda' bus='virtio'/>" \
    "</disk></devices></domain>"

/* ---------------------------------------------------------------- */
/* Counting what the atomic-file module really does                   */

static guint steps[VS_ATOMIC_STEP_UNLINK + 1];

static int
countStep(vsAtomicStep step, gpointer data)
{
    steps[step]++;
    return 0;
}

typedef struct {
    char *dir;
    char *file;
    vsStore *store;
    guint64 commits;
    gboolean existed;
    struct stat st;
    char *content;
} Budget;

static void
budgetBegin(Budget *b)
{
    memset(steps, 0, sizeof(steps));
    b->commits = vsStoreGetCommitCount(b->store);
    b->existed = g_lstat(b->file, &b->st) == 0;
    g_clear_pointer(&b->content, g_free);
    if (b->existed)
        b->content = vsTestReadFile(b->file, NULL);
}

/* The operation replaced the VM's file exactly once: one temporary file
 * created, one rename, nothing unlinked, and a new inode in place. */
static void
budgetEndReplace(Budget *b, const char *what)
{
    struct stat st;

    g_test_message("%s: commits %" G_GUINT64_FORMAT ", create %u, rename %u, unlink %u", what,
                   vsStoreGetCommitCount(b->store) - b->commits, steps[VS_ATOMIC_STEP_CREATE],
                   steps[VS_ATOMIC_STEP_RENAME], steps[VS_ATOMIC_STEP_UNLINK]);
    g_assert_cmpuint(vsStoreGetCommitCount(b->store) - b->commits, ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_CREATE], ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_RENAME], ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_FSYNC], ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_DIRSYNC], ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_UNLINK], ==, 0);
    g_assert_cmpint(g_lstat(b->file, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    if (b->existed)
        g_assert_cmpuint(st.st_ino, !=, b->st.st_ino);
}

/* The operation removed the VM's file: one unlink, no temporary file. */
static void
budgetEndUnlink(Budget *b, const char *what)
{
    g_assert_cmpuint(vsStoreGetCommitCount(b->store) - b->commits, ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_UNLINK], ==, 1);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_CREATE], ==, 0);
    g_assert_cmpuint(steps[VS_ATOMIC_STEP_RENAME], ==, 0);
    g_assert_false(g_file_test(b->file, G_FILE_TEST_EXISTS));
}

/* A refused operation writes nothing and leaves the same file in place. */
static void
budgetEndNone(Budget *b, const char *what)
{
    struct stat st;
    g_autofree char *now = NULL;

    g_assert_cmpuint(vsStoreGetCommitCount(b->store) - b->commits, ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
        g_assert_cmpuint(steps[i], ==, 0);
    g_assert_cmpint(g_lstat(b->file, &st), ==, 0);
    g_assert_cmpuint(st.st_ino, ==, b->st.st_ino);
    now = vsTestReadFile(b->file, NULL);
    g_assert_cmpstr(now, ==, b->content);
}

static void
budgetSetUp(Budget *b, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    b->dir = vsTestTempDir();
    b->file = g_build_filename(b->dir, "vm1.xml", NULL);
    g_assert_cmpint(vsStoreOpen(&b->store, b->dir, 0, &error), ==, 0);
    g_assert_no_error(error);
    vsAtomicFileSetFaultHook(countStep, NULL);
}

static void
budgetTearDown(Budget *b, gconstpointer data)
{
    vsAtomicFileSetFaultHook(NULL, NULL);
    vsStoreFree(b->store);
    g_free(b->dir);
    g_free(b->file);
    g_free(b->content);
}

static char *
redefineXML(const char *name, const char *parent, gint64 when, const char *description)
{
    g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent)
                                : g_strdup("");
    g_autofree char *d = description
        ? g_strdup_printf("<description>%s</description>", description) : g_strdup("");
    return g_strdup_printf("<domainsnapshot><name>%s</name>%s<state>shutoff</state>%s"
                           "<creationTime>%" G_GINT64_FORMAT "</creationTime>"
                           "<memory snapshot='no'/>%s</domainsnapshot>",
                           name, d, p, when, SMALL_DOMAIN);
}

static void
redefine(Budget *b, vsDomain *dom, const char *name, const char *parent, gint64 when,
         const char *description, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = redefineXML(name, parent, when, description);
    g_autofree char *what = g_strdup_printf("redefine %s", name);

    budgetBegin(b);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, xml, strlen(xml), NULL, 0,
                                      VS_SNAPSHOT_CREATE_REDEFINE | flags, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, what);
}

static void
testOneReplacePerOperation(Budget *b, gconstpointer data)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *dup = NULL;
    g_autofree char *name = NULL;
    static const char plain[] = "<domainsnapshot><name>c</name></domainsnapshot>";
    static const char plain2[] = "<domainsnapshot><name>d</name></domainsnapshot>";

    g_assert_cmpint(vsStoreLoadDomain(&dom, b->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), ==, 0);
    g_assert_no_error(error);

    /* root -> a -> {a1 -> a1x, a2}, root -> b -> b1: one replace each. */
    redefine(b, dom, "root", NULL, 100, NULL, 0);
    redefine(b, dom, "a", "root", 200, NULL, 0);
    redefine(b, dom, "a1", "a", 300, NULL, 0);
    redefine(b, dom, "a1x", "a1", 400, NULL, 0);
    redefine(b, dom, "a2", "a", 500, NULL, 0);
    redefine(b, dom, "b", "root", 600, NULL, 0);
    redefine(b, dom, "b1", "b", 700, NULL, VS_SNAPSHOT_CREATE_CURRENT);
    /* An update in place of a record with children. */
    redefine(b, dom, "a", "root", 200, "edited", 0);
    g_assert_cmpuint(vsDomainCount(dom), ==, 7);

    /* Plain creates: with a domain, then reusing the current one's. */
    budgetBegin(b);
    g_assert_cmpint(vsDomainCreateXML(&name, dom, plain, strlen(plain), SMALL_DOMAIN,
                                      VS_SNAPSHOT_STATE_SHUTOFF, 0, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "create c");
    g_assert_cmpstr(name, ==, "c");
    budgetBegin(b);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, plain2, strlen(plain2), NULL, 0, 0, &error),
                    ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "create d");
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "d");

    budgetBegin(b);
    g_assert_cmpint(vsDomainSetCurrent(dom, "a1", &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "set current a1");

    /* Refused operations write nothing. */
    budgetBegin(b);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, plain, strlen(plain), SMALL_DOMAIN,
                                      VS_SNAPSHOT_STATE_SHUTOFF, 0, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_EXISTS);
    g_clear_error(&error);
    budgetEndNone(b, "create duplicate");
    budgetBegin(b);
    g_assert_cmpint(vsDomainSetCurrent(dom, "nope", &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_clear_error(&error);
    budgetEndNone(b, "set current nope");
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "nope", VS_SNAPSHOT_DELETE_CHILDREN, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_clear_error(&error);
    budgetEndNone(b, "delete nope");
    dup = redefineXML("root", "a1x", 100, NULL);
    budgetBegin(b);
    g_assert_cmpint(vsDomainCreateXML(NULL, dom, dup, strlen(dup), NULL, 0,
                                      VS_SNAPSHOT_CREATE_REDEFINE, &error), <, 0);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_clear_error(&error);
    budgetEndNone(b, "redefine into a cycle");

    /* Deletes: single with children to re-parent, --children,
     * --children-only, and the last snapshot (the file goes). */
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "a", 0, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "delete a");
    g_assert_cmpstr(vsMomentGetName(vsDomainGetParent(dom, vsDomainLookup(dom, "a1", NULL))),
                    ==, "root");
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "b", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "delete b --children");
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "root", VS_SNAPSHOT_DELETE_CHILDREN_ONLY |
                                   VS_SNAPSHOT_DELETE_METADATA_ONLY, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "delete root --children-only");
    g_assert_cmpuint(vsDomainCount(dom), ==, 1);
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "root", 0, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndUnlink(b, "delete root");
    g_assert_cmpuint(vsDomainCount(dom), ==, 0);

    /* Dropping everything at once is one unlink too. */
    redefine(b, dom, "x", NULL, 100, NULL, 0);
    redefine(b, dom, "y", "x", 200, NULL, 0);
    budgetBegin(b);
    g_assert_cmpint(vsDomainDeleteAll(dom, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndUnlink(b, "delete all");
}

static void
testRenameIsOneCommit(Budget *b, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *to = g_build_filename(b->dir, "vm2.xml", NULL);
    guint64 before;

    {
        g_autoptr(vsDomain) dom = NULL;
        g_assert_cmpint(vsStoreLoadDomain(&dom, b->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE,
                                          &error), ==, 0);
        redefine(b, dom, "x", NULL, 100, NULL, 0);
    }
    before = vsStoreGetCommitCount(b->store);
    g_assert_cmpint(vsStoreRenameDomain(NULL, b->store, "vm1", "vm2", &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(vsStoreGetCommitCount(b->store) - before, ==, 1);
    g_assert_false(g_file_test(b->file, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(to, G_FILE_TEST_IS_REGULAR));
}

/* ---------------------------------------------------------------- */
/* Generated stores: realistic ~9 KB records                          */

/* libvirt 9.0's ~8 KB <domain> from the on-disk fixture, re-indented one
 * level deeper for the bulk file (its image paths hold a placeholder that
 * is not valid XML; give them a real directory). */
static char *
fixtureDomain(void)
{
    g_autofree char *path = vsTestFixture("libvirt-9.0-ondisk/ondisk-b1-current.xml");
    g_autofree char *text = vsTestReadFile(path, NULL);
    const char *start = strstr(text, "  <domain ");
    const char *end = strstr(text, "  </domain>\n");
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;

    g_assert_nonnull(start);
    g_assert_nonnull(end);
    g_autofree char *dom = g_strndup(start, end + strlen("  </domain>\n") - start);
    lines = g_strsplit(dom, "\n", -1);
    for (guint i = 0; lines[i] && lines[i][0]; i++) {
        g_auto(GStrv) parts = g_strsplit(lines[i], "<peer>", -1);
        g_autofree char *line = g_strjoinv("/var/lib/libvirt", parts);
        g_string_append_printf(out, "  %s\n", line);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static guint
genParent(guint i)
{
    /* Mostly a chain, with a branch every 7th snapshot. */
    return i % 7 == 0 ? i / 2 : i - 1;
}

/* Writes DIR/vm1.xml with @n snapshots s00000.. (current: the last).
 * One in ten domains differs from the others (its description). */
static void
generateStore(const char *dir, guint n)
{
    g_autofree char *domain = fixtureDomain();
    g_autofree char *path = g_build_filename(dir, "vm1.xml", NULL);
    g_autoptr(GString) buf = g_string_sized_new(n * 9300);
    g_autoptr(GError) error = NULL;
    const char *desc = "<description>Domain used only to hold snapshot metadata";
    const char *cut = strstr(domain, desc);

    g_assert_nonnull(cut);
    g_string_append_printf(buf, "<snapshots current='s%05u'>\n", n - 1);
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(buf, "  <domainsnapshot>\n    <name>s%05u</name>\n"
                               "    <state>shutoff</state>\n", i);
        if (i > 0)
            g_string_append_printf(buf, "    <parent>\n      <name>s%05u</name>\n"
                                   "    </parent>\n", genParent(i));
        g_string_append_printf(buf, "    <creationTime>%u</creationTime>\n"
                               "    <memory snapshot='no'/>\n", 1700000000 + i * 60);
        if (i % 10 == 5) {
            g_string_append_len(buf, domain, cut - domain + strlen(desc));
            g_string_append_printf(buf, " (variant %u)", i);
            g_string_append(buf, cut + strlen(desc));
        } else {
            g_string_append(buf, domain);
        }
        g_string_append(buf, "  </domainsnapshot>\n");
    }
    g_string_append(buf, "</snapshots>\n");
    g_file_set_contents(path, buf->str, buf->len, &error);
    g_assert_no_error(error);
}

/* Deleting a whole chain below its root is one replace, however long. */
static void
testDeleteChainChildren(Budget *b, gconstpointer data)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;

    generateStore(b->dir, 1000);
    g_assert_cmpint(vsStoreLoadDomain(&dom, b->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE,
                                      &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(vsDomainCount(dom), ==, 1000);
    budgetBegin(b);
    g_assert_cmpint(vsDomainDelete(dom, "s00001", VS_SNAPSHOT_DELETE_CHILDREN, &error), ==, 0);
    g_assert_no_error(error);
    budgetEndReplace(b, "delete s00001 --children");
    g_assert_cmpuint(vsDomainCount(dom), ==, 1);
    g_assert_cmpstr(vsMomentGetName(vsDomainGetCurrent(dom, NULL)), ==, "s00000");
}

#define RSS_SNAPSHOTS 2000

/* Peak-RSS bound for loading RSS_SNAPSHOTS records of ~9 KB (19 MB of
 * XML; one domain in ten differs from the rest, as after a hot-plug, so
 * there are 201 distinct <domain>s), above the peak of a process that
 * loads an empty VM.
 *
 * Measured on Debian 12 x86-64 (GLib 2.74, libxml2 2.9.14, debugoptimized,
 * 2026-11), with the bulk loader sharing equal <domain>s: +3.4 to +3.5 MiB,
 * about 1.8 KiB per snapshot (201 distinct domains of ~6.6 KB canonical
 * text = 1.3 MiB, plus each record's own fields and tree node).  Before the
 * sharing it was +17.5 MiB (8.8 KiB per snapshot); libvirt 9.0's daemon
 * grows by ~21 KiB per snapshot (LIBVIRT-9.0-OBSERVED §5), ~41 MiB here.
 * Since the reader also skips re-parsing repeated <domain> bytes
 * (lib/domaindedup.c) it keeps each distinct definition's raw bytes too, to
 * recognise repeats: +6.6 MiB measured, 3.3 KiB per snapshot, i.e. 2 KiB
 * plus twice the unique domain bytes.
 * The bound is the measurement plus ~35% for allocator and library-version
 * noise, and far below the unshared figure, so a regression that stops
 * sharing equal domains, keeps a DOM per record or holds the whole
 * document in memory fails here. */
#define RSS_BOUND_KIB (9 * 1024)

static gboolean
underSanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return TRUE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return TRUE;
#endif
#endif
    return g_getenv("VIRTSNAP_UNDER_VALGRIND") != NULL;
}

/* The peak RSS of this process image: VmHWM.  (getrusage's ru_maxrss is
 * no good here: Linux carries the pre-exec high-water mark over execve, so
 * a spawned child would report at least its parent's RSS at fork time.) */
static long
peakRssKiB(void)
{
    g_autofree char *status = vsTestReadFile("/proc/self/status", NULL);
    const char *hwm = strstr(status, "\nVmHWM:");
    g_assert_nonnull(hwm);
    return atol(hwm + strlen("\nVmHWM:"));
}

static void
writeNumber(const char *dir, const char *name, long value)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = g_strdup_printf("%ld", value);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, text, -1, &error);
    g_assert_no_error(error);
}

static long
readNumber(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = vsTestReadFile(path, NULL);
    return atol(text);
}

/* Runs in a fresh process (g_test_trap_subprocess), so the peak is this
 * load's alone: the parent's generator buffers are not in it. */
static void
rssChild(const char *dir, const char *vm, guint expect)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    g_assert_cmpint(vsStoreLoadDomain(&dom, store, vm, NULL, 0, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(vsDomainCount(dom), ==, expect);
    if (expect > 0) {
        const vsSnapshot *s;
        char name[16];
        /* The loaded tree is right: current, a root, chain and branch links. */
        s = vsDomainGetCurrent(dom, &error);
        g_assert_no_error(error);
        g_snprintf(name, sizeof(name), "s%05u", expect - 1);
        g_assert_cmpstr(vsMomentGetName(s), ==, name);
        s = vsDomainLookup(dom, "s00000", &error);
        g_assert_no_error(error);
        g_assert_null(vsDomainGetParent(dom, s));
        g_assert_cmpuint(vsDomainCountDescendants(dom, s), ==, expect - 1);
        g_assert_true(vsMomentHasDomain(s));
        for (guint i = 1; i < expect; i += 233) {
            char parent[16];
            g_snprintf(name, sizeof(name), "s%05u", i);
            g_snprintf(parent, sizeof(parent), "s%05u", genParent(i));
            s = vsDomainLookup(dom, name, &error);
            g_assert_no_error(error);
            g_assert_cmpstr(vsMomentGetName(vsDomainGetParent(dom, s)), ==, parent);
        }
        s = vsDomainLookup(dom, "s00700", &error);  /* a branch point's child */
        g_assert_cmpstr(vsMomentGetName(vsDomainGetParent(dom, s)), ==, "s00350");
        g_assert_cmpuint(vsDomainCountChildren(dom, vsDomainLookup(dom, "s00350", NULL)), ==, 2);
    }
    writeNumber(dir, expect ? "rss-loaded" : "rss-empty", peakRssKiB());
}

static void
testLoadPeakRss(void)
{
    g_autofree char *dir = NULL;
    long empty, loaded;

    if (g_test_subprocess()) {
        const char *d = g_getenv("VS_BUDGET_DIR");
        const char *n = g_getenv("VS_BUDGET_N");
        g_assert_nonnull(d);
        rssChild(d, atoi(n) ? "vm1" : "no-such-vm", atoi(n));
        return;
    }
    dir = vsTestTempDir();
    generateStore(dir, RSS_SNAPSHOTS);
    g_setenv("VS_BUDGET_DIR", dir, TRUE);

    g_setenv("VS_BUDGET_N", "0", TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
    g_setenv("VS_BUDGET_N", G_STRINGIFY(RSS_SNAPSHOTS), TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
    g_unsetenv("VS_BUDGET_DIR");
    g_unsetenv("VS_BUDGET_N");

    empty = readNumber(dir, "rss-empty");
    loaded = readNumber(dir, "rss-loaded");
    g_test_message("peak RSS: empty VM %ld KiB, %d snapshots %ld KiB (+%ld KiB, %.1f KiB each); "
                   "bound +%d KiB", empty, RSS_SNAPSHOTS, loaded, loaded - empty,
                   (double) (loaded - empty) / RSS_SNAPSHOTS, RSS_BOUND_KIB);
    if (underSanitizer()) {
        g_test_skip("peak RSS is not meaningful under a sanitizer (tree checked only)");
        return;
    }
    g_assert_cmpint(loaded - empty, <=, RSS_BOUND_KIB);
}

/* ---------------------------------------------------------------- */
/* The load limit bounds memory (issue 11 item 14)                    */

/* Streams @n records into DIR/vm1.xml, laid out as our writer lays them
 * out and zstd-compressed as they go (the document is never in memory).
 * Each <domain> holds a description of @text_len bytes that changes every
 * @distinct_every records: 1 makes every record distinct (a zstd bomb). */
static gsize
writeCompressedStore(const char *dir, guint n, gsize text_len, guint distinct_every)
{
    g_autofree char *path = g_build_filename(dir, "vm1.xml", NULL);
    g_autofree char *filler = g_malloc(text_len);
    g_autoptr(GString) rec = g_string_sized_new(text_len + 1024);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    GByteArray *out = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    gsize size;

    memset(filler, 'x', text_len);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    for (guint i = 0; i <= n; i++) {
        ZSTD_inBuffer in;
        ZSTD_EndDirective mode = i == n ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;

        g_string_assign(rec, i == 0 ? "<snapshots>\n" : "");
        if (i < n) {
            g_string_append_printf(rec,
                "  <domainsnapshot>\n    <name>b%05u</name>\n    <state>shutoff</state>\n"
                "    <creationTime>%u</creationTime>\n    <memory snapshot='no'/>\n"
                "    <domain type='kvm'>\n      <name>vm1</name>\n      <uuid>" UUID "</uuid>\n"
                "      <description>generation %u ", i, 1700000000 + i, i / distinct_every);
            g_string_append_len(rec, filler, text_len);
            g_string_append(rec, "</description>\n    </domain>\n  </domainsnapshot>\n");
        } else {
            g_string_append(rec, "</snapshots>\n");
        }
        in = (ZSTD_inBuffer) { rec->str, rec->len, 0 };
        do {
            guint8 chunk[64 * 1024];
            ZSTD_outBuffer o = { chunk, sizeof(chunk), 0 };
            left = ZSTD_compressStream2(cctx, &o, &in, mode);
            g_assert_false(ZSTD_isError(left));
            g_byte_array_append(out, chunk, o.pos);
        } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
    }
    ZSTD_freeCCtx(cctx);
    size = out->len;
    g_file_set_contents(path, (const char *) out->data, out->len, &error);
    g_assert_no_error(error);
    g_byte_array_unref(out);
    return size;
}

/* DIR/vm1.xml: one record whose <domain> holds @elements empty elements,
 * zstd-compressed in one frame. */
static void
writeDomBomb(const char *dir, guint elements)
{
    g_autofree char *path = g_build_filename(dir, "vm1.xml", NULL);
    g_autoptr(GString) doc = g_string_sized_new(elements * 4 + 1024);
    g_autofree char *packed = NULL;
    g_autoptr(GError) error = NULL;
    size_t n;

    g_string_append(doc, "<snapshots>\n  <domainsnapshot>\n    <name>dom</name>\n"
                         "    <state>shutoff</state>\n    <creationTime>1</creationTime>\n"
                         "    <domain type='kvm'><name>vm1</name><uuid>" UUID "</uuid>");
    for (guint i = 0; i < elements; i++)
        g_string_append(doc, "<x/>");
    g_string_append(doc, "</domain>\n  </domainsnapshot>\n</snapshots>\n");
    packed = g_malloc(ZSTD_compressBound(doc->len));
    n = ZSTD_compress(packed, ZSTD_compressBound(doc->len), doc->str, doc->len, 1);
    g_assert_false(ZSTD_isError(n));
    g_file_set_contents(path, packed, n, &error);
    g_assert_no_error(error);
}

/* In a fresh process: loads vm1 with @limit (0: the default), expecting
 * @expect snapshots (-1: a refusal), and writes this process's peak RSS to
 * DIR/@rss_name. */
static void
limitChild(const char *dir, guint64 limit, int expect, const char *rss_name)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(vsStoreOpen(&store, dir, 0, &error), ==, 0);
    vsStoreSetLoadLimit(store, limit);
    if (expect >= 0) {
        g_assert_cmpint(vsStoreLoadDomain(&dom, store, "vm1", NULL, 0, &error), ==, 0);
        g_assert_cmpuint(vsDomainCount(dom), ==, (guint) expect);
    } else {
        g_autofree char *want = g_strdup_printf(
            "loading needs more than the load limit of %" G_GUINT64_FORMAT " bytes of memory",
            vsStoreGetLoadLimit(store));
        g_assert_cmpint(vsStoreLoadDomain(&dom, store, "vm1", NULL, 0, &error), <, 0);
        g_assert_error(error, VS_ERROR, VS_ERROR_TOO_LARGE);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, "/vm1.xml:"));
        g_assert_nonnull(strstr(error->message, want));
    }
    writeNumber(dir, rss_name, peakRssKiB());
}

static long
runLimitChild(const char *dir, guint64 limit, int expect)
{
    g_autofree char *limit_text = g_strdup_printf("%" G_GUINT64_FORMAT, limit);
    g_autofree char *expect_text = g_strdup_printf("%d", expect);

    g_setenv("VS_BUDGET_DIR", dir, TRUE);
    g_setenv("VS_BUDGET_LIMIT", limit_text, TRUE);
    g_setenv("VS_BUDGET_N", expect_text, TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
    return readNumber(dir, "rss-limit");
}

#define BOMB_RECORDS 300
#define BOMB_TEXT (4 * 1000 * 1000)
#define TEST_LIMIT ((guint64) 64 << 20)

/* The report's zstd bomb: ~100 KB of zstd holding 300 distinct records of
 * 4 MB made a read-only load hold 2.4 GB.  Now the load stops once the
 * distinct data it holds passes the limit, with TOO_LARGE naming the file
 * and the limit, and its peak memory stays near the limit; and a document
 * larger than the limit whose records share a few big domains loads (the
 * limit counts what is held, not the document's size).  64 MiB here so the
 * test is quick; VIRTSNAP_TEST_BIG=1 also runs the bomb against the
 * default limit. */
static void
testLoadLimitBoundsMemory(void)
{
    g_autofree char *bomb = NULL, *repetitive = NULL, *empty = NULL, *dom_bomb = NULL;
    long base, bomb_rss, repetitive_rss, dom_rss;
    gsize size;

    if (g_test_subprocess()) {
        limitChild(g_getenv("VS_BUDGET_DIR"),
                   g_ascii_strtoull(g_getenv("VS_BUDGET_LIMIT"), NULL, 10),
                   atoi(g_getenv("VS_BUDGET_N")), "rss-limit");
        return;
    }
    empty = vsTestTempDir();
    bomb = vsTestTempDir();
    repetitive = vsTestTempDir();
    dom_bomb = vsTestTempDir();
    base = runLimitChild(empty, TEST_LIMIT, 0);
    size = writeCompressedStore(bomb, BOMB_RECORDS, BOMB_TEXT, 1);
    g_test_message("bomb: %u distinct records of %d bytes, %" G_GSIZE_FORMAT " bytes of zstd",
                   BOMB_RECORDS, BOMB_TEXT, size);
    g_assert_cmpuint(size, <, 1 << 20);
    bomb_rss = runLimitChild(bomb, TEST_LIMIT, -1) - base;
    /* 200 records of 1 MB (a 200 MB document), a new domain every 10 */
    writeCompressedStore(repetitive, 200, 1000 * 1000, 10);
    /* one record of 16 M empty elements: 64 MB (within the per-record
     * limit) would be a DOM of ~2 GB */
    writeDomBomb(dom_bomb, 16 * 1000 * 1000);
    dom_rss = runLimitChild(dom_bomb, TEST_LIMIT, -1) - base;
    repetitive_rss = runLimitChild(repetitive, TEST_LIMIT, 200) - base;
    if (g_getenv("VIRTSNAP_TEST_BIG")) {
        long big = runLimitChild(bomb, 0, -1) - base;
        g_test_message("bomb, default limit: peak RSS %ld KiB", big);
        if (!underSanitizer())
            g_assert_cmpint(big, <=, (long) (VS_STORE_LOAD_LIMIT_DEFAULT / 1024) + 256 * 1024);
    }
    g_test_message("peak RSS over an empty load, KiB: bomb %ld, repetitive %ld, DOM bomb %ld "
                   "(limit %" G_GUINT64_FORMAT " KiB)", bomb_rss, repetitive_rss, dom_rss,
                   TEST_LIMIT / 1024);
    if (underSanitizer()) {
        g_test_skip("peak RSS is not meaningful under a sanitizer (refusal checked only)");
        return;
    }
    /* the limit, plus one 4 MB record in flight (its DOM, its text being
     * canonicalised, the reader's buffers): measured 64 + 51 MiB */
    g_assert_cmpint(bomb_rss, <=, (long) (TEST_LIMIT / 1024) + 96 * 1024);
    g_assert_cmpint(repetitive_rss, <=, (long) (TEST_LIMIT / 1024) + 96 * 1024);
    g_assert_cmpint(dom_rss, <=, (long) (TEST_LIMIT / 1024) + 96 * 1024);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Budget, NULL, budgetSetUp, fn, budgetTearDown)
    ADD("/budget/commits/one-replace-per-operation", testOneReplacePerOperation);
    ADD("/budget/commits/rename", testRenameIsOneCommit);
    ADD("/budget/commits/delete-children-of-1000-chain", testDeleteChainChildren);
#undef ADD
    g_test_add_func("/budget/memory/load-2000", testLoadPeakRss);
    g_test_add_func("/budget/memory/load-limit-bounds-memory", testLoadLimitBoundsMemory);
    return g_test_run();
}
