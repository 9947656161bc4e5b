/* fuzz-legacy.c — libFuzzer harness for the legacy layer (libvirt's
 * per-file directory DIR/<vm>/), through the public API: the read-only
 * view of an unconverted VM (vsStoreLoadDomain) and vsStoreConvertDomain.
 *
 * The input is split into files written to a fresh DIR/vm1/:
 *
 *     --8<-- NAME\n
 *     CONTENT
 *     --8<-- NAME2\n
 *     ...
 *
 * (text before the first marker is ignored; names are made single path
 * components; at most FUZZ_MAX_FILES files).  The directory is loaded
 * read-only; when that succeeds it is converted too (the store's one
 * commit), and the bulk file written must load back with the same
 * snapshot count. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_FILES 64
#define FUZZ_MARK "--8<-- "

static char *store_dir;

static void
removeStore(void)
{
    fuzzWipeDir(store_dir);
    rmdir(store_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    store_dir = fuzzMakeScratchDir("fuzz-legacy-");
    atexit(removeStore);
    return 0;
}

static char *
fileName(const char *p, gsize len)
{
    GString *name = g_string_new(NULL);
    for (gsize i = 0; i < len && name->len < 80; i++) {
        char c = p[i];
        g_string_append_c(name, c == '/' || c == '\0' ? '_' : c);
    }
    if (name->len == 0 || g_str_equal(name->str, ".") || g_str_equal(name->str, ".."))
        g_string_append(name, "x");
    return g_string_free(name, FALSE);
}

static void
writeFile(int dirfd, const char *name, const char *data, gsize len)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;  /* e.g. a name that exists as a directory */
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            break;
        data += n;
        len -= n;
    }
    close(fd);
}

/* Writes the files of @data into DIR/vm1/; returns how many. */
static guint
unpack(int vmfd, const char *data, size_t size)
{
    const char *end = data + size;
    const char *p = g_strstr_len(data, size, FUZZ_MARK);
    guint files = 0;

    while (p && files < FUZZ_MAX_FILES) {
        const char *name = p + strlen(FUZZ_MARK);
        const char *nl = memchr(name, '\n', end - name);
        const char *content = nl ? nl + 1 : end;
        const char *next;
        g_autofree char *fname = NULL;

        if (name > end)
            break;
        fname = fileName(name, (nl ? nl : end) - name);
        next = content < end ? g_strstr_len(content, end - content, "\n" FUZZ_MARK) : NULL;
        writeFile(vmfd, fname, content, (next ? next + 1 : end) - content);
        files++;
        p = next ? next + 1 : NULL;
    }
    return files;
}

/* Loads VM vm1 of the store: its snapshot count, or -1 (with a message). */
static int
countSnapshots(vsStore *store, GError **error)
{
    g_autoptr(vsDomain) dom = NULL;

    if (vsStoreLoadDomain(&dom, store, "vm1", NULL, 0, error) < 0)
        return -1;
    return (int) vsDomainCount(dom);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsLegacyOptions) opts = vsLegacyOptionsNew();
    g_autoptr(vsLegacyReport) report = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *vmdir = g_build_filename(store_dir, "vm1", NULL);
    int vmfd, before, after;

    fuzzWipeDir(store_dir);
    if (mkdir(vmdir, 0700) < 0)
        abort();
    vmfd = open(vmdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (vmfd < 0)
        abort();
    unpack(vmfd, (const char *) data, size);
    close(vmfd);
    if (vsStoreOpen(&store, store_dir, 0, &error) < 0)
        abort();
    vsStoreSetCompression(store, size % 2);

    if ((before = countSnapshots(store, &error)) < 0) {
        if (!error || !error->message || !*error->message)
            abort();
        return 0;
    }
    if (before == 0)
        return 0;
    /* It loads: convert it (store + leftover policy) and read that back. */
    vsLegacyOptionsSetFlags(opts, VS_LEGACY_FORCE_LIBVIRT_RUNNING);
    if (vsStoreConvertDomain(&report, store, "vm1", opts, &error) < 0) {
        fuzzOracleFailed("read-only load worked but conversion failed: %s\n", error->message);
        return 0;
    }
    if ((after = countSnapshots(store, &error)) < 0) {
        fuzzOracleFailed("converted bulk file does not load: %s\n", error->message);
        return 0;
    }
    if (after != before)
        fuzzOracleFailed("converted bulk file has %d snapshots, directory had %d\n",
                         after, before);
    return 0;
}
