/* test-atomicfile.c — durable atomic replace: happy paths, every failing
 * step, planted symlinks, large content, and crashes at every step. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "util/atomicfile.h"
#include "util/error.h"
#include "testutil.h"

static char *self_exe;

typedef struct {
    char *path;
    int fd;
} TestDir;

static void
testDirOpen(TestDir *d)
{
    d->path = vsTestTempDir();
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(d->fd, >=, 0);
}

static void
testDirClose(TestDir *d)
{
    close(d->fd);
    g_free(d->path);
}

static void
putFile(const TestDir *d, const char *name, const char *content)
{
    g_autofree char *p = g_build_filename(d->path, name, NULL);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(p, content, -1, &error);
    g_assert_no_error(error);
}

static char *
getFile(const TestDir *d, const char *name)
{
    g_autofree char *p = g_build_filename(d->path, name, NULL);
    return vsTestReadFile(p, NULL);
}

/* Names in @d that vsAtomicFileIsTemp calls temporary (NULL-terminated). */
static GStrv
tempFiles(const TestDir *d)
{
    g_autoptr(GDir) dir = g_dir_open(d->path, 0, NULL);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    const char *name;
    while ((name = g_dir_read_name(dir)))
        if (vsAtomicFileIsTemp(name))
            g_strv_builder_add(b, name);
    return g_strv_builder_end(b);
}

static guint
countTemps(const TestDir *d)
{
    g_auto(GStrv) t = tempFiles(d);
    return g_strv_length(t);
}

static guint
countFds(void)
{
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;
    while (g_dir_read_name(dir))
        n++;
    return n;
}

static int
commitString(const TestDir *d, const char *name, const char *content, GError **error)
{
    g_autoptr(vsAtomicFile) af = NULL;
    if (vsAtomicFileOpen(&af, d->fd, d->path, name, error) < 0)
        return -1;
    vsAtomicFileWrite(af, content, strlen(content));
    return vsAtomicFileCommit(af, error);
}

static void
testCreate(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *got = NULL;
    struct stat st;
    mode_t old = umask(0);

    testDirOpen(&d);
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "vm.xml", &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(countTemps(&d), ==, 1);
    vsAtomicFileWrite(af, "<snap", 5);
    vsAtomicFileWrite(af, "", 0);
    vsAtomicFileWrite(af, "shots/>\n", 8);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_no_error(error);
    umask(old);

    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "<snapshots/>\n");
    g_assert_cmpint(fstatat(d.fd, "vm.xml", &st, AT_SYMLINK_NOFOLLOW), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpuint(countTemps(&d), ==, 0);

    /* Finished: further writes are ignored, a second commit is an error. */
    vsAtomicFileWrite(af, "junk", 4);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_FAILED);
    g_clear_pointer(&got, g_free);
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "<snapshots/>\n");
    testDirClose(&d);
}

static void
testReplace(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;
    struct stat st;

    testDirOpen(&d);
    putFile(&d, "vm.xml", "old content that is longer than the new one\n");
    g_assert_cmpint(fchmodat(d.fd, "vm.xml", 0644, 0), ==, 0);
    g_assert_cmpint(commitString(&d, "vm.xml", "new\n", &error), ==, 0);
    g_assert_no_error(error);
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "new\n");
    g_assert_cmpint(fstatat(d.fd, "vm.xml", &st, 0), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpuint(countTemps(&d), ==, 0);
    testDirClose(&d);
}

static void
testAbandon(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;
    vsAtomicFile *af = NULL;
    guint fds = countFds();

    testDirOpen(&d);
    putFile(&d, "vm.xml", "old\n");
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "vm.xml", &error), ==, 0);
    vsAtomicFileWrite(af, "new\n", 4);
    g_assert_cmpuint(countTemps(&d), ==, 1);
    vsAtomicFileFree(af);
    g_assert_cmpuint(countTemps(&d), ==, 0);
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "old\n");

    /* Abandoning a file that never existed leaves the directory empty. */
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "other.xml", &error), ==, 0);
    vsAtomicFileFree(af);
    g_assert_cmpint(faccessat(d.fd, "other.xml", F_OK, AT_SYMLINK_NOFOLLOW), ==, -1);
    g_assert_cmpuint(countTemps(&d), ==, 0);
    testDirClose(&d);
    g_assert_cmpuint(countFds(), ==, fds);
}

static void
testBadName(void)
{
    const char *bad[] = { "a/b", ".", "..", "", "/abs" };
    TestDir d;

    testDirOpen(&d);
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        vsAtomicFile *af = (vsAtomicFile *)&d; /* must be reset to NULL */
        g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, bad[i], &error), ==, -1);
        g_assert_null(af);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_clear_error(&error);
        g_assert_cmpint(vsAtomicFileRemove(d.fd, d.path, bad[i], &error), ==, -1);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    }
    {
        g_autoptr(GDir) dir = g_dir_open(d.path, 0, NULL);
        g_assert_null(g_dir_read_name(dir));
    }
    testDirClose(&d);
}

/* ---- fault injection ---- */

typedef struct {
    vsAtomicStep step;
    int err;
    guint nth;      /* fail only the nth call of @step; 0: every call */
    guint calls;    /* calls of @step seen */
} Fault;

static int
faultHook(vsAtomicStep step, gpointer data)
{
    Fault *f = data;
    if (step != f->step)
        return 0;
    f->calls++;
    return (f->nth == 0 || f->calls == f->nth) ? f->err : 0;
}

static const char *const step_text[] = {
    [VS_ATOMIC_STEP_CREATE] = "cannot create temporary file",
    [VS_ATOMIC_STEP_WRITE] = "cannot write temporary file",
    [VS_ATOMIC_STEP_FSYNC] = "cannot flush temporary file to disk",
    [VS_ATOMIC_STEP_CLOSE] = "cannot close temporary file",
    [VS_ATOMIC_STEP_RENAME] = "cannot replace file",
    [VS_ATOMIC_STEP_DIRSYNC] = "replaced, but cannot flush the directory to disk",
    [VS_ATOMIC_STEP_UNLINK] = "cannot remove file",
};

static void
testFault(gconstpointer data)
{
    const int errs[] = { ENOSPC, EIO, EDQUOT, EROFS, EACCES };
    vsAtomicStep step = GPOINTER_TO_INT(data);

    for (gsize i = 0; i < G_N_ELEMENTS(errs); i++) {
        TestDir d;
        Fault f = { step, errs[i], 0, 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *got = NULL;
        g_autofree char *want = NULL;
        guint fds;
        int rc;

        testDirOpen(&d);
        putFile(&d, "vm.xml", "old\n");
        fds = countFds();
        vsAtomicFileSetFaultHook(faultHook, &f);
        if (step == VS_ATOMIC_STEP_UNLINK)
            rc = vsAtomicFileRemove(d.fd, d.path, "vm.xml", &error);
        else
            rc = commitString(&d, "vm.xml", "new\n", &error);
        vsAtomicFileSetFaultHook(NULL, NULL);

        g_assert_cmpint(rc, ==, -1);
        g_assert_cmpuint(f.calls, ==, 1);
        g_assert_error(error, VS_ERROR, VS_ERROR_IO);
        want = g_strdup_printf("%s/vm.xml: %s: %s", d.path, step_text[step],
                               g_strerror(errs[i]));
        g_assert_cmpstr(error->message, ==, want);
        got = getFile(&d, "vm.xml");
        g_assert_cmpstr(got, ==, step == VS_ATOMIC_STEP_DIRSYNC ? "new\n" : "old\n");
        g_assert_cmpuint(countTemps(&d), ==, 0);
        g_assert_cmpuint(countFds(), ==, fds);

        /* Nothing sticks: the next commit works. */
        g_clear_error(&error);
        g_assert_cmpint(commitString(&d, "vm.xml", "newer\n", &error), ==, 0);
        g_assert_no_error(error);
        g_clear_pointer(&got, g_free);
        got = getFile(&d, "vm.xml");
        g_assert_cmpstr(got, ==, "newer\n");
        g_assert_cmpuint(countTemps(&d), ==, 0);
        testDirClose(&d);
    }
}

/* The first write error is kept and later writes never reach write(2). */
static void
testWriteLatched(void)
{
    TestDir d;
    Fault f = { VS_ATOMIC_STEP_WRITE, ENOSPC, 2, 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *chunk = g_malloc0(64 * 1024);
    g_autofree char *got = NULL;

    testDirOpen(&d);
    putFile(&d, "vm.xml", "old\n");
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "vm.xml", &error), ==, 0);
    vsAtomicFileSetFaultHook(faultHook, &f);
    for (int i = 0; i < 48; i++) /* 3 MiB through the 1 MiB buffer */
        vsAtomicFileWrite(af, chunk, 64 * 1024);
    g_assert_cmpuint(f.calls, ==, 2);
    f.err = EIO; /* a later failure must not replace the first errno */
    f.nth = 0;
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, -1);
    vsAtomicFileSetFaultHook(NULL, NULL);
    g_assert_cmpuint(f.calls, ==, 2);
    g_assert_error(error, VS_ERROR, VS_ERROR_IO);
    g_assert_true(g_str_has_suffix(error->message, g_strerror(ENOSPC)));
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "old\n");
    g_assert_cmpuint(countTemps(&d), ==, 0);
    testDirClose(&d);
}

/* ---- planted symlinks ---- */

static char *
openAndPeek(const TestDir *d, guint32 seed, const char *skip)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_auto(GStrv) temps = NULL;
    char *name = NULL;

    g_random_set_seed(seed);
    g_assert_cmpint(vsAtomicFileOpen(&af, d->fd, d->path, "vm.xml", &error), ==, 0);
    temps = tempFiles(d);
    for (guint i = 0; temps[i]; i++)
        if (g_strcmp0(temps[i], skip) != 0)
            name = g_strdup(temps[i]);
    return name;
}

static void
testSymlinkTemp(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *first = NULL, *again = NULL, *used = NULL, *got = NULL;
    g_autofree char *victim = NULL, *link = NULL, *pointee = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_auto(GStrv) temps = NULL;

    testDirOpen(&d);
    victim = g_build_filename(d.path, "victim", NULL);
    putFile(&d, "victim", "precious\n");
    putFile(&d, "vm.xml", "old\n");

    /* Same seed, same temp name: so we know where to plant the symlink. */
    first = openAndPeek(&d, 4242, NULL);
    again = openAndPeek(&d, 4242, NULL);
    g_assert_nonnull(first);
    g_assert_cmpstr(first, ==, again);
    link = g_build_filename(d.path, first, NULL);
    g_assert_cmpint(symlink(victim, link), ==, 0);

    g_random_set_seed(4242);
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "vm.xml", &error), ==, 0);
    vsAtomicFileWrite(af, "new\n", 4);
    temps = tempFiles(&d);
    g_assert_cmpuint(g_strv_length(temps), ==, 2); /* ours + the planted link */
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_no_error(error);

    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "new\n");
    pointee = getFile(&d, "victim");
    g_assert_cmpstr(pointee, ==, "precious\n");
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    testDirClose(&d);
}

static void
testSymlinkTarget(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *victim = NULL, *link = NULL, *pointee = NULL, *got = NULL;
    struct stat st;

    testDirOpen(&d);
    victim = g_build_filename(d.path, "victim", NULL);
    link = g_build_filename(d.path, "vm.xml", NULL);
    putFile(&d, "victim", "precious\n");
    g_assert_cmpint(symlink(victim, link), ==, 0);

    g_assert_cmpint(commitString(&d, "vm.xml", "new\n", &error), ==, 0);
    g_assert_no_error(error);
    pointee = getFile(&d, "victim");
    g_assert_cmpstr(pointee, ==, "precious\n");
    g_assert_cmpint(lstat(link, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, "new\n");
    testDirClose(&d);
}

/* ---- large content ---- */

static void
testLarge(void)
{
    const gsize total = 50 * 1024 * 1024;
    const gsize sizes[] = { 1, 7, 4096, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 5, 100 };
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *data = g_malloc(total);
    g_autofree char *got = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(7);
    gsize len = 0;

    for (gsize i = 0; i < total; i += 4) {
        guint32 v = g_rand_int(rand);
        memcpy(data + i, &v, MIN(4, total - i));
    }
    testDirOpen(&d);
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "big", &error), ==, 0);
    for (gsize off = 0, i = 0; off < total; i++) {
        gsize n = MIN(sizes[i % G_N_ELEMENTS(sizes)], total - off);
        vsAtomicFileWrite(af, data + off, n);
        off += n;
    }
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_no_error(error);
    path = g_build_filename(d.path, "big", NULL);
    got = vsTestReadFile(path, &len);
    g_assert_cmpuint(len, ==, total);
    g_assert_true(memcmp(got, data, total) == 0);
    testDirClose(&d);
}

static void
countFree(gpointer data)
{
    (*(guint *) data)++;
}

/* Borrowed pieces (vsAtomicFileWriteBytes) mixed with copied ones, more
 * than one writev holds, some past the buffer's size: the file is their
 * bytes in order, and every borrowed piece is let go once written. */
static void
testLargeBorrowed(void)
{
    const gsize total = 24 * 1024 * 1024;
    const gsize sizes[] = { 255, 256, 2500, 1, 300, 1024 * 1024 + 3, 7, 4096, 2500, 2500 };
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *data = g_malloc(total);
    g_autofree char *got = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed(11);
    gsize len = 0;
    guint made = 0, freed = 0;

    for (gsize i = 0; i < total; i++)
        data[i] = (char) g_rand_int(rand);
    testDirOpen(&d);
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "big", &error), ==, 0);
    for (gsize off = 0, i = 0; off < total; i++) {
        gsize n = MIN(sizes[i % G_N_ELEMENTS(sizes)], total - off);

        if (i % 3 == 2) {
            vsAtomicFileWrite(af, data + off, n);
        } else {
            g_autoptr(GBytes) piece =
                g_bytes_new_with_free_func(data + off, n, countFree, &freed);
            made++;
            vsAtomicFileWriteBytes(af, piece);
        }
        off += n;
    }
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpuint(freed, ==, made);
    path = g_build_filename(d.path, "big", NULL);
    got = vsTestReadFile(path, &len);
    g_assert_cmpuint(len, ==, total);
    g_assert_true(memcmp(got, data, total) == 0);
    testDirClose(&d);
}

static void
testIsTemp(void)
{
    g_assert_true(vsAtomicFileIsTemp("vm.xml.vstmp-Ab3xY9"));
    g_assert_true(vsAtomicFileIsTemp("a.vstmp-000000"));
    g_assert_true(vsAtomicFileIsTemp("vm.vstmp-x.vstmp-abcdef"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml"));
    g_assert_false(vsAtomicFileIsTemp(""));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.vstmp-"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.vstmp-abcde"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.vstmp-abcdefg"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.vstmp-abcdef.xml"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.vstmp-ab.def"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.tmp-abcdef"));
    g_assert_false(vsAtomicFileIsTemp("vm.xml.new"));
}

static void
testRemove(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;

    testDirOpen(&d);
    putFile(&d, "vm.xml", "old\n");
    g_assert_cmpint(vsAtomicFileRemove(d.fd, d.path, "vm.xml", &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(faccessat(d.fd, "vm.xml", F_OK, AT_SYMLINK_NOFOLLOW), ==, -1);
    g_assert_cmpint(vsAtomicFileRemove(d.fd, d.path, "vm.xml", &error), ==, 0);
    g_assert_no_error(error);
    /* A directory is not "missing": the error is reported. */
    g_assert_cmpint(mkdirat(d.fd, "sub", 0700), ==, 0);
    g_assert_cmpint(vsAtomicFileRemove(d.fd, d.path, "sub", &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, d.path));
    testDirClose(&d);
}

/* Names up to NAME_MAX get a temporary name that fits too (a libvirt
 * snapshot file of a 247-byte snapshot name is 251 bytes). */
static void
testLongNames(void)
{
    static const char *const heads[] = { "", "\xc3\xa9", "\xe2\x82\xac", "ab" };
    TestDir d;

    testDirOpen(&d);
    for (guint h = 0; h < G_N_ELEMENTS(heads); h++) {
        for (gsize len = 238; len <= 255; len++) {
            g_autoptr(GString) name = g_string_new(heads[h]);
            g_autoptr(GError) error = NULL;
            g_autoptr(vsAtomicFile) af = NULL;
            g_autofree char *got = NULL;
            const char *temp;

            /* Multi-byte characters all along: every cut lands near one. */
            while (name->len < len)
                g_string_append(name, name->len % 3 ? "\xc3\xa9" : "x");
            g_string_truncate(name, len);
            if (!g_utf8_validate(name->str, -1, NULL))
                continue;
            g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, name->str, &error), ==, 0);
            g_assert_no_error(error);
            temp = vsAtomicFileGetTempName(af);
            g_assert_cmpuint(strlen(temp), <=, 255);
            g_assert_true(vsAtomicFileIsTemp(temp));
            g_assert_true(g_utf8_validate(temp, -1, NULL));
            /* Whole when it fits, else the longest prefix that does. */
            if (len <= VS_ATOMIC_TEMP_BASE_MAX)
                g_assert_true(g_str_has_prefix(temp, name->str));
            else
                g_assert_cmpuint(strlen(temp), >=, 255 - 2);
            g_assert_cmpuint(countTemps(&d), ==, 1);
            vsAtomicFileWrite(af, "x", 1);
            g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
            g_assert_no_error(error);
            got = getFile(&d, name->str);
            g_assert_cmpstr(got, ==, "x");
            g_assert_cmpuint(countTemps(&d), ==, 0);
            g_assert_cmpint(unlinkat(d.fd, name->str, 0), ==, 0);
        }
    }
    testDirClose(&d);
}

/* Deferred sync: no fsync, no directory fsync, until the caller's syncfs. */
static void
testDeferSync(void)
{
    TestDir d;
    Fault f = { VS_ATOMIC_STEP_FSYNC, EIO, 0, 0 };
    Fault g = { VS_ATOMIC_STEP_DIRSYNC, EIO, 0, 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *got = NULL;

    testDirOpen(&d);
    g_assert_cmpint(vsAtomicFileOpen(&af, d.fd, d.path, "a.xml", &error), ==, 0);
    vsAtomicFileDeferSync(af);
    vsAtomicFileWrite(af, "a", 1);
    vsAtomicFileSetFaultHook(faultHook, &f);
    g_assert_cmpint(vsAtomicFileCommit(af, &error), ==, 0);
    g_assert_cmpuint(f.calls, ==, 0);
    vsAtomicFileSetFaultHook(faultHook, &g);
    g_assert_cmpuint(g.calls, ==, 0);
    vsAtomicFileSetFaultHook(faultHook, &f);
    g_assert_cmpint(vsAtomicSyncFs(d.fd, d.path, &error), ==, -1);
    vsAtomicFileSetFaultHook(NULL, NULL);
    g_assert_cmpuint(f.calls, ==, 1);
    g_assert_error(error, VS_ERROR, VS_ERROR_IO);
    g_clear_error(&error);
    g_assert_cmpint(vsAtomicSyncFs(d.fd, d.path, &error), ==, 0);
    got = getFile(&d, "a.xml");
    g_assert_cmpstr(got, ==, "a");
    testDirClose(&d);
}

/* ---- directories and moves: never through a link ---- */

static void
testDirOpenNoFollow(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *elsewhere = vsTestTempDir();
    g_autofree char *want = NULL;
    int fd = -1;

    testDirOpen(&d);
    /* Created on the way, mode 0700. */
    g_assert_cmpint(vsAtomicDirOpen(&fd, d.fd, d.path, "p/q/r", TRUE, &error), ==, 0);
    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    {
        struct stat st;
        g_assert_cmpint(fstatat(d.fd, "p/q/r", &st, AT_SYMLINK_NOFOLLOW), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    }
    /* Missing without create. */
    g_assert_cmpint(vsAtomicDirOpen(&fd, d.fd, d.path, "p/none", FALSE, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_clear_error(&error);
    /* A link at any level is refused, and nothing is made behind it. */
    for (guint level = 0; level < 3; level++) {
        static const char *const links[] = { "L", "p/L", "p/q/L" };
        static const char *const rels[] = { "L/x", "p/L/x", "p/q/L/x" };
        g_autofree char *lpath = g_build_filename(d.path, links[level], NULL);
        g_autofree char *target = g_build_filename(elsewhere, "x", NULL);

        g_assert_cmpint(symlink(elsewhere, lpath), ==, 0);
        g_assert_cmpint(vsAtomicDirOpen(&fd, d.fd, d.path, rels[level], TRUE, &error), ==, -1);
        g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
        g_free(want);
        want = g_strdup_printf("%s/%s: is a symbolic link; virtsnap never follows links "
                               "inside the store", d.path, links[level]);
        g_assert_cmpstr(error->message, ==, want);
        g_clear_error(&error);
        g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
    }
    /* A file is not a directory. */
    putFile(&d, "p/file", "x");
    g_assert_cmpint(vsAtomicDirOpen(&fd, d.fd, d.path, "p/file/x", TRUE, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    g_free(want);
    want = g_strdup_printf("%s/p/file: exists and is not a directory", d.path);
    g_assert_cmpstr(error->message, ==, want);
    g_clear_error(&error);
    g_assert_cmpint(vsAtomicDirOpen(&fd, d.fd, d.path, "p/../p", TRUE, &error), ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_INVALID);
    testDirClose(&d);
}

static void
testMove(void)
{
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *want = NULL;
    Fault f = { VS_ATOMIC_STEP_RENAME, ENOSPC, 0, 0 };
    Fault g = { VS_ATOMIC_STEP_DIRSYNC, EIO, 0, 0 };

    testDirOpen(&d);
    putFile(&d, "a", "A");
    putFile(&d, "b", "B");
    g_assert_cmpint(vsAtomicMove(d.fd, "a", d.fd, "b", RENAME_NOREPLACE, "A", "B", &error),
                    ==, -1);
    g_assert_error(error, VS_ERROR, VS_ERROR_IO);
    g_assert_cmpstr(error->message, ==, "A: cannot move to B: File exists");
    g_clear_error(&error);
    g_assert_cmpint(vsAtomicMove(d.fd, "a", d.fd, "b", RENAME_EXCHANGE, "A", "B", &error),
                    ==, 0);
    {
        g_autofree char *a = getFile(&d, "a");
        g_assert_cmpstr(a, ==, "B");
    }
    vsAtomicFileSetFaultHook(faultHook, &f);
    g_assert_cmpint(vsAtomicMove(d.fd, "a", d.fd, "c", 0, "A", "C", &error), ==, -1);
    g_assert_cmpstr(error->message, ==, "A: cannot move to C: No space left on device");
    g_clear_error(&error);
    g_assert_cmpint(faccessat(d.fd, "a", F_OK, AT_SYMLINK_NOFOLLOW), ==, 0);
    vsAtomicFileSetFaultHook(faultHook, &g);
    g_assert_cmpint(vsAtomicMove(d.fd, "a", d.fd, "c", 0, "A", "C", &error), ==, -2);
    vsAtomicFileSetFaultHook(NULL, NULL);
    g_assert_cmpstr(error->message, ==, "A: moved to C, but cannot flush the directory to "
                    "disk: Input/output error");
    g_assert_cmpint(faccessat(d.fd, "c", F_OK, AT_SYMLINK_NOFOLLOW), ==, 0);
    testDirClose(&d);
}

/* ---- crashes (VIRTSNAP_CRASH_AT): a child dies with _exit(99) ---- */

/* Child: two commits of vm.xml ("new1", "new2"), then removes "other". */
static int
crashChild(const char *dir)
{
    g_autoptr(GError) error = NULL;
    TestDir d = { g_strdup(dir), open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
    if (commitString(&d, "vm.xml", "new1", &error) < 0 ||
        commitString(&d, "vm.xml", "new2", &error) < 0 ||
        vsAtomicFileRemove(d.fd, d.path, "other", &error) < 0) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    testDirClose(&d);
    return 0;
}

typedef struct {
    const char *env;
    int status;
    const char *content;
    guint temps;
    gboolean other;
} CrashCase;

static const CrashCase crash_cases[] = {
    { "create:1", 99, "old", 0, TRUE },
    { "write:1", 99, "old", 1, TRUE },
    { "fsync:1", 99, "old", 1, TRUE },
    { "close:1", 99, "old", 1, TRUE },
    { "rename:1", 99, "old", 1, TRUE },
    { "dirsync:1", 99, "new1", 0, TRUE },
    { "create:2", 99, "new1", 0, TRUE },
    { "rename:2", 99, "new1", 1, TRUE },
    { "unlink:1", 99, "new2", 0, TRUE },
    { "dirsync:3", 99, "new2", 0, FALSE },
    { "unlink:2", 0, "new2", 0, FALSE },
    { "write:0", 0, "new2", 0, FALSE },     /* malformed: ignored */
    { "bogus:1", 0, "new2", 0, FALSE },
};

static void
testCrash(gconstpointer data)
{
    const CrashCase *c = data;
    TestDir d;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL, *err_out = NULL;
    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "VIRTSNAP_CRASH_AT", c->env, TRUE);
    const char *argv[] = { self_exe, "--crash-child", NULL, NULL };
    int status = -1;

    testDirOpen(&d);
    putFile(&d, "vm.xml", "old");
    putFile(&d, "other", "x");
    argv[2] = d.path;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               NULL, &err_out, &status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, c->status);
    if (g_str_equal(c->env, "unlink:2"))
        g_assert_cmpstr(err_out, ==, "");
    if (g_str_equal(c->env, "write:0") || g_str_equal(c->env, "bogus:1"))
        g_assert_nonnull(strstr(err_out, "ignoring malformed VIRTSNAP_CRASH_AT"));
    got = getFile(&d, "vm.xml");
    g_assert_cmpstr(got, ==, c->content);
    g_assert_cmpuint(countTemps(&d), ==, c->temps);
    g_assert_cmpint(faccessat(d.fd, "other", F_OK, AT_SYMLINK_NOFOLLOW) == 0, ==, c->other);
    testDirClose(&d);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && g_str_equal(argv[1], "--crash-child"))
        return crashChild(argv[2]);
    self_exe = g_canonicalize_filename(argv[0], NULL);

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/atomicfile/create", testCreate);
    g_test_add_func("/atomicfile/replace", testReplace);
    g_test_add_func("/atomicfile/abandon", testAbandon);
    g_test_add_func("/atomicfile/bad-name", testBadName);
    g_test_add_data_func("/atomicfile/fault/create", GINT_TO_POINTER(VS_ATOMIC_STEP_CREATE), testFault);
    g_test_add_data_func("/atomicfile/fault/write", GINT_TO_POINTER(VS_ATOMIC_STEP_WRITE), testFault);
    g_test_add_data_func("/atomicfile/fault/fsync", GINT_TO_POINTER(VS_ATOMIC_STEP_FSYNC), testFault);
    g_test_add_data_func("/atomicfile/fault/close", GINT_TO_POINTER(VS_ATOMIC_STEP_CLOSE), testFault);
    g_test_add_data_func("/atomicfile/fault/rename", GINT_TO_POINTER(VS_ATOMIC_STEP_RENAME), testFault);
    g_test_add_data_func("/atomicfile/fault/dirsync", GINT_TO_POINTER(VS_ATOMIC_STEP_DIRSYNC), testFault);
    g_test_add_data_func("/atomicfile/fault/unlink", GINT_TO_POINTER(VS_ATOMIC_STEP_UNLINK), testFault);
    g_test_add_func("/atomicfile/fault/write-latched", testWriteLatched);
    g_test_add_func("/atomicfile/symlink/temp", testSymlinkTemp);
    g_test_add_func("/atomicfile/symlink/target", testSymlinkTarget);
    g_test_add_func("/atomicfile/large", testLarge);
    g_test_add_func("/atomicfile/large-borrowed", testLargeBorrowed);
    g_test_add_func("/atomicfile/is-temp", testIsTemp);
    g_test_add_func("/atomicfile/remove", testRemove);
    g_test_add_func("/atomicfile/long-names", testLongNames);
    g_test_add_func("/atomicfile/defer-sync", testDeferSync);
    g_test_add_func("/atomicfile/dir-open-no-follow", testDirOpenNoFollow);
    g_test_add_func("/atomicfile/move", testMove);
    for (gsize i = 0; i < G_N_ELEMENTS(crash_cases); i++) {
        g_autofree char *path = g_strdup_printf("/atomicfile/crash/%s", crash_cases[i].env);
        g_test_add_data_func(path, &crash_cases[i], testCrash);
    }
    return g_test_run();
}
