/* backend-dir.c — the directory backend: a store is a directory, each VM's
 * tree one bulk file DIR/<vm>.xml (format/bulkfile.c) replaced with one
 * atomic rename (util/atomicfile.c); flock files for locks; a key file for
 * the settings.  Its layout: store/dir-layout.h.
 *
 * What only a directory has: libvirt's own per-file layout may sit in the
 * same directory (libvirt's snapshotDir), so a VM without a bulk file is
 * shown from its libvirt directory, read-only (import/legacy-scan.c), and
 * a commit that removes or renames a bulk file first moves such a
 * directory aside, so deleted records never come back from it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "format/bulkfile.h"
#include "import/legacy.h"
#include "store/backend.h"
#include "store/dir-layout.h"

#define CONFIG_MAX (64 * 1024)

typedef struct {
    vsBackend base;
    char *path;
    int dirfd;
} DirBackend;

struct _vsBackendLock {
    int fd;          /* DIR/.virtsnap/locks/<vm>.lock, flock()ed */
};

#define DIR_BACKEND(b) ((DirBackend *) (b))

/* ---------------------------------------------------------------- */
/* The store directory and its settings                               */

static gboolean
dirAccepts(const char *location)
{
    return TRUE;   /* every location no other backend takes is a path */
}

static int
dirOpen(vsBackend **out, const char *location, gboolean create, GError **error)
{
    DirBackend *be;

    if (create && g_mkdir_with_parents(location, 0700) < 0)
        return vsErrErrno(error, errno, "%s: cannot create store directory", location);
    be = g_new0(DirBackend, 1);
    be->base.ops = &vsBackendDirOps;
    be->path = g_strdup(location);
    be->dirfd = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (be->dirfd < 0) {
        int errsv = errno;
        g_free(be->path);
        g_free(be);
        if (errsv == ENOENT)
            return vsErr(error, VS_ERROR_NOT_FOUND, "%s: store directory does not exist",
                         location);
        return vsErrErrno(error, errsv, "%s: cannot open store directory", location);
    }
    *out = &be->base;
    return 0;
}

static void
dirClose(vsBackend *backend)
{
    DirBackend *be = DIR_BACKEND(backend);

    close(be->dirfd);
    g_free(be->path);
    g_free(be);
}

/* DIR/.virtsnap/config: a GKeyFile, group [store], keys compression =
 * zstd | pieces | none and load-limit = bytes.  A missing file or key means the
 * default: zstd (only a compressed file can be rewritten without formatting
 * and writing every record again, format.md "Segments"), and the format's
 * own maximum. */
static int
dirLoadSettings(vsBackend *backend, vsBackendSettings *out, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) kerr = NULL;
    g_autofree char *path = g_build_filename(be->path, VS_DIR_PRIVATE, VS_DIR_CONFIG, NULL);
    g_autofree char *data = NULL;
    g_autofree char *compression = NULL;
    g_autofree char *limit = NULL;
    gsize len = 0;
    int fd, ret;

    if (vsFileOpenPrivate(&fd, be->dirfd, be->path, VS_DIR_PRIVATE, VS_DIR_CONFIG, O_RDONLY,
                          error) < 0)
        return -1;
    if (fd < 0)
        return 0;
    ret = vsFileReadAll(&data, &len, fd, CONFIG_MAX, path, error);
    close(fd);
    if (ret < 0)
        return -1;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &kerr))
        return vsErr(error, VS_ERROR_CORRUPT, "%s: %s", path, kerr->message);
    limit = g_key_file_get_string(kf, "store", "load-limit", NULL);
    if (limit && vsStoreParseSize(limit, &out->load_limit, NULL) < 0)
        return vsErr(error, VS_ERROR_CORRUPT, "%s: bad load-limit '%s' (expected a size "
                     "in bytes, with an optional K, M, G or T suffix)", path, limit);
    compression = g_key_file_get_string(kf, "store", "compression", NULL);
    if (compression && vsCompressionParse(compression, &out->compression) < 0)
        return vsErr(error, VS_ERROR_CORRUPT, "%s: unknown compression '%s' (expected "
                     VS_COMPRESSION_NAMES ")", path, compression);
    return 0;
}

/* Replaces DIR/.virtsnap/config with these settings. */
static int
dirSaveSettings(vsBackend *backend, const vsBackendSettings *settings, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *dirpath = g_build_filename(be->path, VS_DIR_PRIVATE, NULL);
    g_autoptr(GString) text = g_string_new(
        "# virtsnap store settings (written by virtsnap; see docs/format.md)\n[store]\n");
    int fd;
    int ret;

    g_string_append_printf(text, "compression=%s\n", vsCompressionName(settings->compression));
    if (settings->load_limit != VS_STORE_LOAD_LIMIT_DEFAULT)
        g_string_append_printf(text, "load-limit=%" G_GUINT64_FORMAT "\n",
                               settings->load_limit);
    if (vsAtomicDirOpen(&fd, be->dirfd, be->path, VS_DIR_PRIVATE, TRUE, error) < 0)
        return -1;
    ret = vsAtomicFileOpen(&af, fd, dirpath, VS_DIR_CONFIG, error);
    if (ret == 0) {
        vsAtomicFileWrite(af, text->str, text->len);
        ret = vsAtomicFileCommit(af, error);
    }
    g_clear_pointer(&af, vsAtomicFileFree);   /* it may still use @fd */
    close(fd);
    return ret;
}

static gboolean
dirDirectory(vsBackend *backend, int *dirfd, const char **path)
{
    *dirfd = DIR_BACKEND(backend)->dirfd;
    *path = DIR_BACKEND(backend)->path;
    return TRUE;
}

/* ---------------------------------------------------------------- */
/* VMs                                                                */

static int
dirList(vsBackend *backend, const vsMomentKind *kind, GPtrArray **out, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autoptr(GPtrArray) entries = NULL;
    gsize suffix = strlen(VS_DIR_BULK_SUFFIX);

    if (vsDirList(&entries, be->dirfd, be->path, error) < 0)
        return -1;
    *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = entries->pdata[i];
        gsize len = strlen(entry);
        struct stat st;

        if (len <= suffix || !g_str_has_suffix(entry, VS_DIR_BULK_SUFFIX) || entry[0] == '.')
            continue;
        if (fstatat(be->dirfd, entry, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        g_ptr_array_add(*out, g_strndup(entry, len - suffix));
    }
    return 0;
}

/* Any entry at DIR/<vm>.xml or DIR/<vm> counts, whatever its type: loading
 * is what reports an entry that is not what it should be, naming it. */
static int
dirHas(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean *out,
       GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autofree char *file = vsDirBulkName(vm);
    const char *paths[] = { file, vm };
    struct stat st;

    *out = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        if (fstatat(be->dirfd, paths[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
            *out = TRUE;
            return 0;
        }
        if (errno != ENOENT)
            return vsErrErrno(error, errno, "%s/%s: cannot look up", be->path, paths[i]);
    }
    return 0;
}

/* flock() on DIR/.virtsnap/locks/<vm>.lock: released by the kernel when the
 * process dies, so a killed writer never wedges the store. */
static int
dirLock(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean wait,
        vsBackendLock **out, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autofree char *name = g_strdup_printf("%s.lock", vm);
    int fd;

    if (vsFileOpenPrivate(&fd, be->dirfd, be->path, VS_DIR_LOCKS, name, O_RDWR | O_CREAT,
                          error) < 0)
        return -1;
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        int errsv = errno;
        if (errsv == EINTR)
            continue;
        close(fd);
        if (errsv == EWOULDBLOCK)
            return vsErr(error, VS_ERROR_LOCKED,
                         "VM '%s' is locked by another virtsnap process", vm);
        return vsErrErrno(error, errsv, "%s/" VS_DIR_LOCKS "/%s: cannot lock", be->path, name);
    }
    *out = g_new0(vsBackendLock, 1);
    (*out)->fd = fd;
    return 0;
}

static void
dirUnlock(vsBackend *backend, vsBackendLock *lock)
{
    close(lock->fd);  /* drops the flock */
    g_free(lock);
}

/* Removes VM @file's temporary files left by a writer that died
 * mid-commit.  Only called with the VM's lock held, so no live writer owns
 * them. */
static void
dirCleanTemps(DirBackend *be, const char *file)
{
    g_autoptr(GPtrArray) entries = NULL;
    gsize flen = strlen(file);

    if (vsDirList(&entries, be->dirfd, be->path, NULL) < 0)
        return;
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = entries->pdata[i];
        if (strncmp(entry, file, flen) == 0 && vsAtomicFileIsTemp(entry) &&
            strncmp(entry + flen, VS_ATOMIC_TEMP_MARK, strlen(VS_ATOMIC_TEMP_MARK)) == 0)
            unlinkat(be->dirfd, entry, 0);
    }
}

static int
dirLoad(vsBackend *backend, const vsMomentKind *kind, const char *vm,
        const vsBackendLoadArgs *args, vsBackendLoaded *out, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    vsBulkReadOptions read_opts = { .max_held = args->load_limit };
    g_autofree char *file = vsDirBulkName(vm);
    g_autoptr(GError) lerr = NULL;
    vsBulkSegments *segments = NULL;
    struct stat st;

    *out = (vsBackendLoaded) { 0 };
    /* DIR/<vm>.xml as a directory is VM '<vm>.xml''s legacy layout. */
    if (fstatat(be->dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return vsErr(error, VS_ERROR_CORRUPT,
                     "%s/%s: is the legacy %s directory of VM '%s', so VM '%s' "
                     "cannot have a bulk file there; rename one of the VMs",
                     be->path, file, kind->noun, file, vm);
    if (vsBulkFileRead(&out->tree, args->write ? &segments : NULL, kind, be->dirfd, be->path,
                       file, &read_opts, &lerr) == 0) {
        out->stored = TRUE;
        out->cache = segments;
    } else if (!g_error_matches(lerr, VS_ERROR, VS_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&lerr));
        return -1;
    } else if (!args->stored_only &&
               vsLegacyView(&out->tree, kind, be->dirfd, be->path, vm, args->write,
                            error) < 0) {
        /* No bulk file: libvirt's per-file directory DIR/<vm>/ is read as
         * it is (read-only), or refused (never converted implicitly). */
        return -1;
    }
    if (args->write)
        dirCleanTemps(be, file);
    return 0;
}

/* ---------------------------------------------------------------- */
/* Changes                                                            */

/* One replace of DIR/<vm>.xml (frames of unchanged runs copied from the
 * old file's), or, for an empty tree, one unlink after moving a legacy
 * directory aside (a crash in between leaves the file, which is the truth). */
static int
dirCommit(vsBackend *backend, const vsMomentKind *kind, const char *vm,
          const vsBackendCommit *commit, gpointer *out_cache, char **out_note, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autofree char *file = vsDirBulkName(vm);
    g_autoptr(vsAtomicFile) af = NULL;

    *out_cache = NULL;
    *out_note = NULL;
    if (vsTreeCount(commit->next) == 0) {
        if (vsDirMoveLegacyAside(out_note, be->dirfd, be->path, vm, error) < 0 ||
            vsAtomicFileRemove(be->dirfd, be->path, file, error) < 0)
            return -1;
        return 0;
    }
    if (vsAtomicFileOpen(&af, be->dirfd, be->path, file, error) < 0 ||
        vsBulkFileWriteSince(af, commit->old, commit->next, commit->uuid, commit->compression,
                             commit->cache, (vsBulkSegments **) out_cache, error) < 0 ||
        vsAtomicFileCommit(af, error) < 0) {
        /* The new frames are adopted only once the file is on disk. */
        g_clear_pointer((vsBulkSegments **) out_cache, vsBulkSegmentsFree);
        return -1;
    }
    return 0;
}

static int
dirRemove(vsBackend *backend, const vsMomentKind *kind, const char *vm, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autofree char *file = vsDirBulkName(vm);

    return vsAtomicFileRemove(be->dirfd, be->path, file, error);
}

static int
dirRename(vsBackend *backend, const vsMomentKind *kind, const char *from, const char *to,
          char **out_note, GError **error)
{
    DirBackend *be = DIR_BACKEND(backend);
    g_autofree char *from_file = vsDirBulkName(from);
    g_autofree char *to_file = vsDirBulkName(to);
    g_autofree char *from_path = g_build_filename(be->path, from_file, NULL);
    struct stat st;

    *out_note = NULL;
    if (fstatat(be->dirfd, from_file, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
        return vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s' has no %s metadata in %s", from,
                     kind->noun, be->path);
    if (fstatat(be->dirfd, to_file, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return vsErr(error, VS_ERROR_EXISTS, "%s/%s: already exists; VM '%s' has %s metadata",
                     be->path, to_file, to, kind->noun);
    if (fstatat(be->dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return vsErr(error, VS_ERROR_EXISTS, "%s/%s: VM '%s' has a legacy %s directory",
                     be->path, to, to, kind->noun);
    /* DIR/<from>/ would become VM <from>'s records again. */
    if (vsDirMoveLegacyAside(out_note, be->dirfd, be->path, from, error) < 0)
        return -1;
    return vsAtomicMove(be->dirfd, from_file, be->dirfd, to_file, RENAME_NOREPLACE,
                        from_path, to_file, error) < 0 ? -1 : 0;
}

static void
dirCacheFree(gpointer cache)
{
    vsBulkSegmentsFree(cache);
}

const vsBackendOps vsBackendDirOps = {
    .name = "directory",
    .accepts = dirAccepts,
    .open = dirOpen,
    .close = dirClose,
    .load_settings = dirLoadSettings,
    .save_settings = dirSaveSettings,
    .list = dirList,
    .has = dirHas,
    .lock = dirLock,
    .unlock = dirUnlock,
    .load = dirLoad,
    .commit = dirCommit,
    .remove = dirRemove,
    .rename = dirRename,
    .cache_free = dirCacheFree,
    .directory = dirDirectory,
};
