/* fuzz-legacy.c — libFuzzer harness for the legacy loader
 * (vsLegacyLoadForStore: libvirt's per-file directory DIR/<vm>/).
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
 * read-only; when that succeeds it is converted too (a write load), and
 * the bulk file written must load back with the same snapshot count. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/bulkfile.h"
#include "import/legacy.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(vsTree) tree = NULL, converted = NULL, reread = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *vmdir = g_build_filename(store_dir, "vm1", NULL);
    vsLegacyHookCtx convert = { .mode = VS_LEGACY_HOOK_CONVERT };
    int dirfd, vmfd;

    fuzzWipeDir(store_dir);
    if (mkdir(vmdir, 0700) < 0)
        abort();
    dirfd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    vmfd = open(vmdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || vmfd < 0)
        abort();
    unpack(vmfd, (const char *) data, size);
    close(vmfd);

    if (vsLegacyLoadForStore(&tree, dirfd, store_dir, "vm1", FALSE, FALSE, NULL, &error) < 0) {
        if (!error || !error->message || !*error->message)
            abort();
        goto done;
    }
    if (!tree)
        goto done;
    /* It loads: convert it (bulk file + leftover policy) and read that back. */
    if (vsLegacyLoadForStore(&converted, dirfd, store_dir, "vm1", TRUE, size % 2, &convert,
                             &error) < 0) {
        fuzzOracleFailed("read-only load worked but conversion failed: %s\n", error->message);
        goto done;
    }
    if (!converted || vsTreeCount(converted) != vsTreeCount(tree)) {
        fuzzOracleFailed("conversion changed the count\n");
        goto done;
    }
    if (vsBulkFileRead(&reread, NULL, &vsSnapshotKind, dirfd, store_dir, "vm1.xml", NULL, &error) < 0) {
        fuzzOracleFailed("converted bulk file does not load: %s\n", error->message);
        goto done;
    }
    if (vsTreeCount(reread) != vsTreeCount(tree))
        fuzzOracleFailed("converted bulk file has %u snapshots, directory had %u\n",
                         vsTreeCount(reread), vsTreeCount(tree));

 done:
    close(dirfd);
    return 0;
}
