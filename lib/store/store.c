/* store.c — a store directory, its VMs, their locks, load and commit.
 *
 * Every operation that changes a VM applies itself to a copy of the tree,
 * writes the copy's bulk file with one atomic replace, and only then
 * swaps it in: a failed write leaves file and memory as they were. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "virtsnap/virtsnap.h"
#include "util/atomicfile.h"
#include "format/bulkfile.h"
#include "util/error.h"
#include "util/fileio.h"
#include "import/legacy.h"
#include "store/dir-layout.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "virtsnap-private.h"
#include "tree/tree.h"

/* Private state lives in DIR/.virtsnap/ (VM names never start with '.'). */
#define STORE_CONFIG_MAX (64 * 1024)

struct _vsStore {
    char *path;
    int dirfd;
    gboolean compress;
    guint64 load_limit;    /* largest document a load accepts */
    vsClockFunc clock;
    gpointer clock_data;
    guint64 commits;
};

struct _vsDomain {
    vsStore *store;
    const vsMomentKind *kind;
    char *name;
    char *file;        /* "<vm>.xml" */
    char *uuid;        /* NULL when unknown */
    vsTree *tree;      /* as stored */
    vsTree *pending;   /* in a batch (vsDomainBegin): the tree being built */
    gboolean dirty;    /* the batch changed something */
    gboolean stored;   /* DIR/<vm>.xml holds the VM (as loaded, or committed) */
    vsBulkSegments *segments;  /* the file's reusable frames (write handles) */
    int lockfd;        /* -1 for a read-only handle */
    /* A reference to every record this handle has handed out, so that each
     * stays valid until vsDomainFree although a later operation drops or
     * replaces it in the tree (virtsnap.h, "Borrowed records").  Only what
     * was handed out is kept: one entry per distinct record. */
    GHashTable *lent;
    char *moved_aside; /* where the last commit moved DIR/<vm>/, or NULL */
};

/* ---------------------------------------------------------------- */
/* Store                                                              */

/* DIR/.virtsnap/config: a GKeyFile, group [store], keys compression =
 * zstd | none and load-limit = bytes.  A missing file or key means the
 * default: zstd (only a compressed file can be rewritten without formatting
 * and writing every record again, format.md "Segments"), and the format's
 * own maximum. */
static int
storeLoadConfig(vsStore *store, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) kerr = NULL;
    g_autofree char *path = g_build_filename(store->path, VS_DIR_PRIVATE, VS_DIR_CONFIG, NULL);
    g_autofree char *data = NULL;
    g_autofree char *compression = NULL;
    g_autofree char *limit = NULL;
    gsize len = 0;
    int fd, ret;

    if (vsFileOpenPrivate(&fd, store->dirfd, store->path, VS_DIR_PRIVATE, "config",
                          O_RDONLY, error) < 0)
        return -1;
    if (fd < 0)
        return 0;
    ret = vsFileReadAll(&data, &len, fd, STORE_CONFIG_MAX, path, error);
    close(fd);
    if (ret < 0)
        return -1;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &kerr))
        return vsErr(error, VS_ERROR_CORRUPT, "%s: %s", path, kerr->message);
    limit = g_key_file_get_string(kf, "store", "load-limit", NULL);
    if (limit && vsStoreParseSize(limit, &store->load_limit, NULL) < 0)
        return vsErr(error, VS_ERROR_CORRUPT, "%s: bad load-limit '%s' (expected a size "
                     "in bytes, with an optional K, M, G or T suffix)", path, limit);
    compression = g_key_file_get_string(kf, "store", "compression", NULL);
    if (!compression || strcmp(compression, "zstd") == 0)
        store->compress = TRUE;
    else if (strcmp(compression, "none") == 0)
        store->compress = FALSE;
    else
        return vsErr(error, VS_ERROR_CORRUPT,
                     "%s: unknown compression '%s' (expected zstd or none)", path, compression);
    return 0;
}

int
vsStoreOpen(vsStore **out, const char *dir, unsigned int flags, GError **error)
{
    g_autoptr(vsStore) store = g_new0(vsStore, 1);
    struct stat st;

    store->dirfd = -1;
    store->path = g_strdup(dir);
    store->compress = TRUE;
    store->load_limit = VS_STORE_LOAD_LIMIT_DEFAULT;
    if ((flags & VS_STORE_OPEN_CREATE) && g_mkdir_with_parents(dir, 0700) < 0)
        return vsErrErrno(error, errno, "%s: cannot create store directory", dir);
    store->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (store->dirfd < 0) {
        if (errno == ENOENT)
            return vsErr(error, VS_ERROR_NOT_FOUND,
                         "%s: store directory does not exist", dir);
        return vsErrErrno(error, errno, "%s: cannot open store directory", dir);
    }
    if (fstat(store->dirfd, &st) < 0)
        return vsErrErrno(error, errno, "%s: cannot stat", dir);
    if (storeLoadConfig(store, error) < 0)
        return -1;
    *out = g_steal_pointer(&store);
    return 0;
}

void
vsStoreFree(vsStore *store)
{
    if (!store)
        return;
    if (store->dirfd >= 0)
        close(store->dirfd);
    g_free(store->path);
    g_free(store);
}

const char *
vsStoreGetPath(const vsStore *store)
{
    return store->path;
}

void
vsStoreSetCompression(vsStore *store, gboolean compress)
{
    store->compress = compress;
}

gboolean
vsStoreGetCompression(const vsStore *store)
{
    return store->compress;
}

guint64
vsStoreGetLoadLimit(const vsStore *store)
{
    return store->load_limit;
}

void
vsStoreSetLoadLimit(vsStore *store, guint64 bytes)
{
    store->load_limit = bytes ? bytes : VS_STORE_LOAD_LIMIT_DEFAULT;
}

int
vsStoreParseSize(const char *text, guint64 *out, GError **error)
{
    static const char units[] = "KMGT";
    g_autofree char *digits = g_strdup(text ? text : "");
    gsize len = strlen(digits);
    const char *unit;
    guint64 value, scale = 1;

    if (len > 0 && (unit = strchr(units, g_ascii_toupper(digits[len - 1]))) && *unit) {
        scale = (guint64) 1 << (10 * (unit - units + 1));
        digits[len - 1] = '\0';
    }
    if (!g_ascii_string_to_unsigned(digits, 10, 1, G_MAXUINT64 / scale, &value, NULL))
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid size '%s' (expected bytes, with an optional K, M, G or T suffix)",
                     text ? text : "");
    *out = value * scale;
    return 0;
}

/* Replaces DIR/.virtsnap/config with these settings. */
static int
storeSaveConfig(vsStore *store, gboolean compress, guint64 load_limit, GError **error)
{
    g_autoptr(vsAtomicFile) af = NULL;
    g_autofree char *dirpath = g_build_filename(store->path, VS_DIR_PRIVATE, NULL);
    g_autoptr(GString) text = g_string_new(
        "# virtsnap store settings (written by virtsnap; see docs/format.md)\n[store]\n");
    int fd;
    int ret;

    g_string_append_printf(text, "compression=%s\n", compress ? "zstd" : "none");
    if (load_limit != VS_STORE_LOAD_LIMIT_DEFAULT)
        g_string_append_printf(text, "load-limit=%" G_GUINT64_FORMAT "\n", load_limit);
    if (vsAtomicDirOpen(&fd, store->dirfd, store->path, VS_DIR_PRIVATE, TRUE, error) < 0)
        return -1;
    ret = vsAtomicFileOpen(&af, fd, dirpath, "config", error);
    if (ret == 0) {
        vsAtomicFileWrite(af, text->str, text->len);
        ret = vsAtomicFileCommit(af, error);
    }
    g_clear_pointer(&af, vsAtomicFileFree);   /* it may still use @fd */
    close(fd);
    if (ret == 0) {
        store->compress = compress;
        store->load_limit = load_limit;
    }
    return ret;
}

int
vsStoreSaveCompression(vsStore *store, gboolean compress, GError **error)
{
    return storeSaveConfig(store, compress, store->load_limit, error);
}

int
vsStoreSaveLoadLimit(vsStore *store, guint64 bytes, GError **error)
{
    return storeSaveConfig(store, store->compress, bytes ? bytes : VS_STORE_LOAD_LIMIT_DEFAULT,
                           error);
}

void
vsStoreSetClock(vsStore *store, vsClockFunc clock, gpointer data)
{
    store->clock = clock;
    store->clock_data = data;
}

guint64
vsStoreGetCommitCount(const vsStore *store)
{
    return store->commits;
}

gint64
vsStoreNow(const vsStore *store)
{
    if (store->clock)
        return store->clock(store->clock_data);
    return g_get_real_time() / G_USEC_PER_SEC;
}

int
vsDomainNameCheck(const char *vm, GError **error)
{
    /* "<vm>.xml" + the temporary suffix must fit in NAME_MAX (255). */
    gsize max = 255 - strlen(".xml" VS_ATOMIC_TEMP_MARK "XXXXXX");

    if (!vm || !*vm)
        return vsErr(error, VS_ERROR_INVALID, "invalid VM name '': name is empty");
    if (strchr(vm, '/'))
        return vsErr(error, VS_ERROR_INVALID, "invalid VM name '%s': name can't contain '/'", vm);
    if (vm[0] == '.')
        return vsErr(error, VS_ERROR_INVALID, "invalid VM name '%s': name can't start with '.'", vm);
    for (const char *p = vm; *p; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid VM name: name can't contain control characters");
    }
    if (!g_utf8_validate(vm, -1, NULL))
        return vsErr(error, VS_ERROR_INVALID, "invalid VM name: name is not valid UTF-8");
    if (strlen(vm) > max)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid VM name '%.20s…': longer than %zu bytes", vm, max);
    return 0;
}

int
vsStoreListDomains(char ***out, vsStore *store, GError **error)
{
    g_autoptr(GPtrArray) entries = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    if (vsDirList(&entries, store->dirfd, store->path, error) < 0)
        return -1;
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = entries->pdata[i];
        struct stat st;
        gsize len = strlen(entry);
        if (len <= 4 || strcmp(entry + len - 4, ".xml") != 0 || entry[0] == '.')
            continue;
        if (fstatat(store->dirfd, entry, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        g_ptr_array_add(names, g_strndup(entry, len - 4));
    }
    g_ptr_array_add(names, NULL);
    *out = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
    return 0;
}

int
vsStoreHasDomain(gboolean *out, vsStore *store, const char *vm, GError **error)
{
    g_autofree char *file = NULL;
    const char *paths[2];
    struct stat st;

    *out = FALSE;
    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    file = vsDirBulkName(vm);
    paths[0] = file;
    paths[1] = vm;
    /* Any entry counts, whatever its type: loading is what reports an
     * entry that is not what it should be, naming it. */
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        if (fstatat(store->dirfd, paths[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
            *out = TRUE;
            return 0;
        }
        if (errno != ENOENT)
            return vsErrErrno(error, errno, "%s/%s: cannot look up", store->path, paths[i]);
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* Locks                                                              */

/* flock() on DIR/.virtsnap/locks/<vm>.lock: released by the kernel when the
 * process dies, so a killed writer never wedges the store. */
static int
storeLockDomain(int *out_fd, vsStore *store, const char *vm, gboolean wait, GError **error)
{
    g_autofree char *name = g_strdup_printf("%s.lock", vm);
    g_autofree char *rel = g_strdup_printf(VS_DIR_LOCKS "/%s", name);
    int fd;

    if (vsFileOpenPrivate(&fd, store->dirfd, store->path, VS_DIR_LOCKS, name,
                          O_RDWR | O_CREAT, error) < 0)
        return -1;
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        int errsv = errno;
        if (errsv == EINTR)
            continue;
        close(fd);
        if (errsv == EWOULDBLOCK)
            return vsErr(error, VS_ERROR_LOCKED,
                         "VM '%s' is locked by another virtsnap process", vm);
        return vsErrErrno(error, errsv, "%s/%s: cannot lock", store->path, rel);
    }
    *out_fd = fd;
    return 0;
}

/* Removes this VM's temporary files left by a writer that died mid-commit.
 * Only called with the VM's lock held, so no live writer owns them. */
static void
storeCleanTemps(vsStore *store, const char *file)
{
    g_autoptr(GPtrArray) entries = NULL;
    gsize flen = strlen(file);

    if (vsDirList(&entries, store->dirfd, store->path, NULL) < 0)
        return;
    for (guint i = 0; i < entries->len; i++) {
        const char *entry = entries->pdata[i];
        if (strncmp(entry, file, flen) == 0 && vsAtomicFileIsTemp(entry) &&
            strncmp(entry + flen, VS_ATOMIC_TEMP_MARK, strlen(VS_ATOMIC_TEMP_MARK)) == 0)
            unlinkat(store->dirfd, entry, 0);
    }
}

/* ---------------------------------------------------------------- */
/* Load                                                               */

int
vsStoreLoadDomain(vsDomain **out, vsStore *store, const char *vm, const char *uuid,
                  unsigned int flags, GError **error)
{
    return vsStoreLoadKind(out, store, &vsSnapshotKind, vm, uuid,
                           flags & (VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT), error);
}

int
vsStoreLoadKind(vsDomain **out, vsStore *store, const vsMomentKind *kind, const char *vm,
                const char *uuid, unsigned int flags, GError **error)
{
    g_autoptr(vsDomain) dom = NULL;
    g_autoptr(GError) lerr = NULL;
    vsBulkReadOptions read_opts = { .max_held = store->load_limit };
    struct stat st;

    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    dom = g_new0(vsDomain, 1);
    dom->store = store;
    dom->kind = kind;
    dom->name = g_strdup(vm);
    dom->file = vsDirBulkName(vm);
    dom->lockfd = -1;
    dom->lent = g_hash_table_new_full(g_direct_hash, NULL,
                                      (GDestroyNotify) vsSnapshotUnref, NULL);

    if ((flags & VS_DOMAIN_LOAD_WRITE) &&
        storeLockDomain(&dom->lockfd, store, vm, !(flags & VS_DOMAIN_LOAD_NOWAIT), error) < 0)
        return -1;

    /* DIR/<vm>.xml as a directory is VM '<vm>.xml''s legacy layout. */
    if (fstatat(store->dirfd, dom->file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return vsErr(error, VS_ERROR_CORRUPT,
                     "%s/%s: is the legacy snapshot directory of VM '%s', so VM '%s' "
                     "cannot have a bulk file there; rename one of the VMs",
                     store->path, dom->file, dom->file, vm);

    if (vsBulkFileRead(&dom->tree, dom->lockfd >= 0 ? &dom->segments : NULL, dom->kind,
                       store->dirfd, store->path, dom->file, &read_opts, &lerr) == 0) {
        dom->stored = TRUE;
    } else if (!g_error_matches(lerr, VS_ERROR, VS_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&lerr));
        return -1;
    } else if (!(flags & VS_DOMAIN_LOAD_STORED_ONLY) &&
               vsLegacyView(&dom->tree, kind, store->dirfd, store->path, vm,
                            dom->lockfd >= 0, error) < 0) {
        /* No bulk file: libvirt's per-file directory DIR/<vm>/ is read as
         * it is (read-only), or refused (never converted implicitly). */
        return -1;
    }
    if (!dom->tree)
        dom->tree = vsTreeNew(dom->kind);
    if (dom->lockfd >= 0)
        storeCleanTemps(store, dom->file);
    dom->uuid = uuid ? g_strdup(uuid) : vsTreeFindUUID(dom->tree);
    *out = g_steal_pointer(&dom);
    return 0;
}

void
vsDomainFree(vsDomain *dom)
{
    if (!dom)
        return;
    if (dom->lockfd >= 0)
        close(dom->lockfd);  /* drops the flock */
    g_clear_pointer(&dom->tree, vsTreeFree);
    g_clear_pointer(&dom->pending, vsTreeFree);
    g_clear_pointer(&dom->lent, g_hash_table_unref);
    g_clear_pointer(&dom->segments, vsBulkSegmentsFree);
    g_free(dom->name);
    g_free(dom->file);
    g_free(dom->uuid);
    g_free(dom->moved_aside);
    g_free(dom);
}

const char *
vsDomainGetName(const vsDomain *dom)
{
    return dom->name;
}

const char *
vsDomainGetUUID(const vsDomain *dom)
{
    return dom->uuid;
}

/* The tree every query and change sees: inside a batch, the batch's. */
static vsTree *
domainTree(const vsDomain *dom)
{
    return dom->pending ? dom->pending : dom->tree;
}

guint
vsDomainCount(const vsDomain *dom)
{
    return vsTreeCount(domainTree(dom));
}

/* Every record leaves the handle through here.  Records are immutable and
 * shared by reference between tree versions, so holding one keeps exactly
 * what the caller saw; the tree itself may move on. */
static const vsSnapshot *
domainLend(const vsDomain *dom, const vsSnapshot *snap)
{
    if (snap && !g_hash_table_contains(dom->lent, snap))
        g_hash_table_add(dom->lent, vsSnapshotRef((vsSnapshot *) snap));
    return snap;
}

const vsSnapshot *
vsDomainLookup(const vsDomain *dom, const char *name, GError **error)
{
    const vsSnapshot *snap = name ? vsTreeLookup(domainTree(dom), name) : NULL;
    if (!snap)
        vsTreeErrNotFound(domainTree(dom), error, name ? name : "");
    return domainLend(dom, snap);
}

const vsSnapshot *
vsDomainGetCurrent(const vsDomain *dom, GError **error)
{
    const vsSnapshot *snap = vsTreeGetCurrent(domainTree(dom));
    if (!snap)
        vsMomentErrNoCurrent(dom->kind, error);
    return domainLend(dom, snap);
}

const vsSnapshot *
vsDomainGetParent(const vsDomain *dom, const vsSnapshot *snap)
{
    return domainLend(dom, vsTreeGetParent(domainTree(dom), snap));
}

guint
vsDomainCountChildren(const vsDomain *dom, const vsSnapshot *snap)
{
    return vsTreeCountChildren(domainTree(dom), snap);
}

guint
vsDomainCountDescendants(const vsDomain *dom, const vsSnapshot *snap)
{
    return vsTreeCountDescendants(domainTree(dom), snap);
}

int
vsDomainListSnapshots(GPtrArray **out, const vsDomain *dom, const vsSnapshot *from,
                      unsigned int flags, GError **error)
{
    if (vsTreeList(out, domainTree(dom), from, flags, error) < 0)
        return -1;
    for (guint i = 0; i < (*out)->len; i++)
        domainLend(dom, g_ptr_array_index(*out, i));
    return 0;
}

int
vsDomainFormat(char **out, const vsDomain *dom, GError **error)
{
    GString *buf = g_string_new(NULL);
    vsBulkFileFormat(buf, domainTree(dom), dom->uuid);
    *out = g_string_free(buf, FALSE);
    return 0;
}

/* ---------------------------------------------------------------- */
/* Commit                                                             */

static int
domainRequireWrite(const vsDomain *dom, GError **error)
{
    if (dom->lockfd < 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s' was loaded read-only; load it with VS_DOMAIN_LOAD_WRITE to change it",
                     dom->name);
    return 0;
}

const char *
vsDomainGetMovedAside(const vsDomain *dom)
{
    return dom->moved_aside;
}

const vsTree *
vsDomainGetTree(const vsDomain *dom)
{
    return domainTree(dom);
}

gboolean
vsDomainIsStored(const vsDomain *dom)
{
    return dom->stored;
}

int
vsDomainReadBack(const vsDomain *dom, vsTree **out, GError **error)
{
    vsBulkReadOptions read_opts = { .max_held = dom->store->load_limit };

    return vsBulkFileRead(out, NULL, dom->kind, dom->store->dirfd, dom->store->path, dom->file,
                          &read_opts, error);
}

int
vsDomainRemoveStored(vsDomain *dom, GError **error)
{
    if (domainRequireWrite(dom, error) < 0 ||
        vsAtomicFileRemove(dom->store->dirfd, dom->store->path, dom->file, error) < 0)
        return -1;
    dom->store->commits++;
    dom->stored = FALSE;
    g_clear_pointer(&dom->segments, vsBulkSegmentsFree);
    vsTreeFree(dom->tree);
    dom->tree = vsTreeNew(dom->kind);
    return 0;
}

int
vsStoreGetDirectory(vsStore *store, int *dirfd, const char **path, GError **error)
{
    *dirfd = store->dirfd;
    *path = store->path;
    return 0;
}

/* Writes @tree as the VM's new state (one replace, or one unlink when it
 * is empty) and adopts it; on failure @tree is freed and nothing changes
 * (except a legacy directory moved aside before an unlink). */
static int
domainCommit(vsDomain *dom, vsTree *tree, GError **error)
{
    g_autoptr(vsTree) next = tree;
    vsStore *store = dom->store;

    g_clear_pointer(&dom->moved_aside, g_free);
    if (vsTreeCount(next) == 0) {
        /* No record left: the VM's file goes. */
        if (vsDirMoveLegacyAside(&dom->moved_aside, store->dirfd, store->path, dom->name, error) < 0 ||
            vsAtomicFileRemove(store->dirfd, store->path, dom->file, error) < 0)
            return -1;
    } else {
        g_autoptr(vsAtomicFile) af = NULL;
        /* The new frames are adopted with the new tree, only once it is on disk. */
        g_autoptr(vsBulkSegments) segments = NULL;
        if (vsAtomicFileOpen(&af, store->dirfd, store->path, dom->file, error) < 0 ||
            vsBulkFileWrite(af, next, dom->uuid, store->compress, dom->segments, &segments,
                            error) < 0 ||
            vsAtomicFileCommit(af, error) < 0)
            return -1;
        vsBulkSegmentsFree(dom->segments);
        dom->segments = g_steal_pointer(&segments);
    }
    store->commits++;
    dom->stored = vsTreeCount(next) > 0;
    vsTreeFree(dom->tree);
    dom->tree = g_steal_pointer(&next);
    return 0;
}

/* The one way a change takes effect: inside a batch it becomes the batch's
 * tree, otherwise it is committed.  Takes @tree; on failure frees it and
 * changes nothing. */
static int
domainApply(vsDomain *dom, vsTree *tree, GError **error)
{
    if (dom->pending) {
        vsTreeFree(dom->pending);
        dom->pending = tree;
        dom->dirty = TRUE;
        return 0;
    }
    return domainCommit(dom, tree, error);
}

int
vsDomainBegin(vsDomain *dom, GError **error)
{
    if (domainRequireWrite(dom, error) < 0)
        return -1;
    if (dom->pending)
        return vsErr(error, VS_ERROR_INVALID, "VM '%s': a batch is already open", dom->name);
    dom->pending = vsTreeCopy(dom->tree);
    dom->dirty = FALSE;
    return 0;
}

int
vsDomainCommit(vsDomain *dom, GError **error)
{
    vsTree *next = g_steal_pointer(&dom->pending);

    if (!next)
        return vsErr(error, VS_ERROR_INVALID, "VM '%s': no batch to commit", dom->name);
    if (!dom->dirty) {
        vsTreeFree(next);
        return 0;
    }
    return domainCommit(dom, next, error);
}

void
vsDomainRollback(vsDomain *dom)
{
    g_clear_pointer(&dom->pending, vsTreeFree);
}

int
vsDomainReplaceTree(vsDomain *dom, vsTree *tree, gboolean check_records, GError **error)
{
    g_autoptr(vsTree) next = tree;
    g_autofree char *uuid = dom->uuid ? g_strdup(dom->uuid) : vsTreeFindUUID(next);
    g_autoptr(GPtrArray) all = NULL;

    if (check_records) {
        if (vsTreeList(&all, next, NULL, 0, error) < 0)
            return -1;
        for (guint i = 0; i < all->len; i++) {
            if (vsBulkRecordCheck(all->pdata[i], uuid, error) < 0)
                return -1;
        }
    }
    if (!dom->uuid)
        dom->uuid = g_steal_pointer(&uuid);
    return domainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainReplace(vsDomain *dom, vsSnapshot *const *records, guint n, const char *current,
                GError **error)
{
    vsTree *next = NULL;

    if (domainRequireWrite(dom, error) < 0)
        return -1;
    for (guint i = 0; i < n; i++) {
        if (records[i]->kind != dom->kind)
            return vsErr(error, VS_ERROR_INVALID, "VM '%s': record '%s' is a %s, not a %s",
                         dom->name, records[i]->name, records[i]->kind->noun,
                         dom->kind->noun);
        if (dom->kind->name_check(records[i]->name, error) < 0)
            return -1;
    }
    if (vsTreeBuild(&next, dom->kind, records, n, current, error) < 0)
        return -1;
    return vsDomainReplaceTree(dom, next, TRUE, error);
}

/* Parses a <domain> document given by the caller for a plain create. */
static int
parseDomainXML(vsXmlSubtree **out, const char *xml, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, strlen(xml), "domain.xml", 0, &problem);
    xmlNodePtr root;
    int ret;

    if (!doc) {
        ret = vsErr(error, VS_ERROR_INVALID, "XML error: domain definition: %s",
                    problem.last ? problem.last : "not well-formed");
        vsXmlProblemClear(&problem);
        return ret;
    }
    vsXmlProblemClear(&problem);
    root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *) root->name, "domain") != 0) {
        ret = vsErr(error, VS_ERROR_INVALID,
                    "XML error: expecting root element of 'domain', not '%s'",
                    root ? (const char *) root->name : "");
    } else if (vsXmlElementDepth(root, VS_MOMENT_DEPTH_MAX - 1) >= VS_MOMENT_DEPTH_MAX) {
        /* the snapshot nests it one level down */
        ret = vsErr(error, VS_ERROR_INVALID,
                    "XML error: domain definition nests elements more than %d levels deep, "
                    "more than a snapshot can hold", VS_MOMENT_DEPTH_MAX - 1);
    } else {
        ret = vsXmlSubtreeFromNode(out, root, error);
    }
    xmlFreeDoc(doc);
    return ret;
}

static gboolean
stateIsOnline(vsSnapshotState state)
{
    return state == VS_SNAPSHOT_STATE_RUNNING || state == VS_SNAPSHOT_STATE_PAUSED;
}

/* libvirt: a snapshot's <domain> must be the VM's own (same UUID). */
static int
domainCheckUUID(const vsDomain *dom, const char *name, vsXmlSubtree *domain, GError **error)
{
    g_autofree char *uuid = NULL;

    if (!domain || !dom->uuid)
        return 0;
    uuid = vsXmlSubtreeGetChildText(domain, "uuid");
    if (uuid && g_ascii_strcasecmp(uuid, dom->uuid) != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: definition for snapshot %s must use uuid %s",
                     name, dom->uuid);
    return 0;
}

/* The states the qemu driver takes (or, with REDEFINE, records) a snapshot
 * in: the VM's state on a plain create, the record's <state> on a redefine
 * (libvirt's qemuSnapshotCreateXMLValidateDef, checked right after the name
 * and before anything that looks at the tree). */
static int
snapshotStateCheck(vsSnapshotState state, gboolean redefine, GError **error)
{
    const char *name;

    switch (state) {
    case VS_SNAPSHOT_STATE_RUNNING:
    case VS_SNAPSHOT_STATE_PAUSED:
    case VS_SNAPSHOT_STATE_SHUTDOWN:
    case VS_SNAPSHOT_STATE_SHUTOFF:
    case VS_SNAPSHOT_STATE_CRASHED:
        return 0;
    case VS_SNAPSHOT_STATE_DISK_SNAPSHOT:
        if (redefine)
            return 0;
        break;
    case VS_SNAPSHOT_STATE_PMSUSPENDED:
        return vsErr(error, VS_ERROR_INVALID,
                     "Operation not supported: qemu doesn't support taking snapshots "
                     "of PMSUSPENDED guests");
    default:
        break;
    }
    name = vsSnapshotStateToString(state);
    return vsErr(error, VS_ERROR_INVALID, "internal error: Invalid domain state %s",
                 name ? name : "(null)");
}

/* libvirt's RedefinePrep: checks against the tree and the existing record. */
static int
domainRedefinePrep(vsDomain *dom, vsTree *tree, vsSnapshot *snap, unsigned int flags,
                   GError **error)
{
    const char *name = vsSnapshotGetName(snap);
    const vsSnapshot *other = vsTreeLookup(tree, name);
    vsXmlSubtree *domain = vsMomentGetDomain(snap);
    vsSnapshotState state = vsSnapshotGetState(snap);

    if (vsSnapshotGetParentName(snap) && vsTreeCheckCycles(tree, snap, error) < 0)
        return -1;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) && state != VS_SNAPSHOT_STATE_DISK_SNAPSHOT)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: disk-only flag for snapshot %s requires "
                     "disk-snapshot state", name);
    if (domainCheckUUID(dom, name, domain, error) < 0)
        return -1;
    if (other) {
        vsSnapshotState ostate = vsSnapshotGetState(other);
        if (stateIsOnline(ostate) != stateIsOnline(state))
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: cannot change between online and offline "
                         "snapshot state in snapshot %s", name);
        if ((ostate == VS_SNAPSHOT_STATE_DISK_SNAPSHOT) !=
            (state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT))
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: cannot change between disk only and full "
                         "system in snapshot %s", name);
        /* A redefinition without <domain> keeps the one already stored. */
        if (!domain && vsMomentGetDomain(other))
            vsMomentSetDomain(snap, vsMomentGetDomain(other));
    }
    return vsSnapshotAlignDisks(snap, other ? vsMomentGetDomain(other) : NULL,
                                VS_SNAPSHOT_ALIGN_REDEFINE, error);
}

/* Fills in what a hypervisor supplies on a plain create (SEMANTICS §1.9). */
static int
domainCreatePrep(vsDomain *dom, vsTree *tree, vsSnapshot *snap, const char *domain_xml,
                 vsSnapshotState vm_state, unsigned int flags, GError **error)
{
    const char *name = vsSnapshotGetName(snap);
    const vsSnapshot *current = vsTreeGetCurrent(tree);
    g_autoptr(vsXmlSubtree) domain = NULL;
    vsSnapshotState state;
    vsSnapshotLocation memory = vsSnapshotGetMemoryLocation(snap);

    if (vsTreeLookup(tree, name))
        return vsErr(error, VS_ERROR_EXISTS,
                     "operation failed: domain moment %s already exists", name);

    if (domain_xml) {
        if (parseDomainXML(&domain, domain_xml, error) < 0)
            return -1;
    } else if (current && vsMomentGetDomain(current)) {
        domain = vsXmlSubtreeRef(vsMomentGetDomain(current));
    } else {
        return vsErr(error, VS_ERROR_INVALID, "internal error: missing domain in snapshot");
    }
    if (domainCheckUUID(dom, name, domain, error) < 0)
        return -1;
    vsMomentSetDomain(snap, domain);

    state = vm_state;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) && vm_state != VS_SNAPSHOT_STATE_SHUTOFF)
        state = VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
    vsSnapshotSetState(snap, state);

    if (memory == VS_SNAPSHOT_LOCATION_DEFAULT) {
        gboolean offline = state == VS_SNAPSHOT_STATE_SHUTOFF ||
                           state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
        vsSnapshotSetMemoryLocation(snap, offline ? VS_SNAPSHOT_LOCATION_NO
                                                  : VS_SNAPSHOT_LOCATION_INTERNAL);
    } else if (memory == VS_SNAPSHOT_LOCATION_NO && stateIsOnline(state) &&
               !(flags & VS_SNAPSHOT_CREATE_DISK_ONLY)) {
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: internal snapshot of a running VM must "
                     "include the memory state");
    }
    vsMomentSetParentName(snap, current ? vsSnapshotGetName(current) : NULL);
    return vsSnapshotAlignDisks(snap, NULL,
                                (flags & VS_SNAPSHOT_CREATE_DISK_ONLY) ? VS_SNAPSHOT_ALIGN_DISK_ONLY : 0,
                                error);
}

int
vsDomainCreateXML(char **out_name, vsDomain *dom, const char *xml, gsize len,
                  const char *domain_xml, vsSnapshotState vm_state, unsigned int flags,
                  GError **error)
{
    const unsigned int supported = VS_SNAPSHOT_CREATE_REDEFINE | VS_SNAPSHOT_CREATE_CURRENT |
                                   VS_SNAPSHOT_CREATE_DISK_ONLY | VS_SNAPSHOT_CREATE_ATOMIC |
                                   VS_SNAPSHOT_CREATE_VALIDATE;
    g_autoptr(vsSnapshot) snap = NULL;
    g_autoptr(vsTree) next = NULL;
    unsigned int parse_flags = 0;
    gboolean redefine = flags & VS_SNAPSHOT_CREATE_REDEFINE;

    if (domainRequireWrite(dom, error) < 0)
        return -1;
    if ((flags & VS_SNAPSHOT_CREATE_CURRENT) && !redefine)
        return vsErr(error, VS_ERROR_INVALID,
                     "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is required by flag "
                     "'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'");
    if (redefine && (flags & VS_SNAPSHOT_CREATE_NO_METADATA))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' and "
                     "'VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA' are mutually exclusive");
    if (flags & VS_SNAPSHOT_CREATE_NO_METADATA)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported flags: virtsnap keeps only snapshot metadata, so a "
                     "snapshot without metadata would store nothing");
    if (flags & ~supported)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported flags (0x%x): virtsnap does not run the hypervisor",
                     flags & ~supported);

    if (redefine)
        parse_flags |= VS_SNAPSHOT_PARSE_REDEFINE;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) ||
        (!redefine && (vm_state == VS_SNAPSHOT_STATE_NOSTATE ||
                       vm_state == VS_SNAPSHOT_STATE_SHUTOFF)))
        parse_flags |= VS_SNAPSHOT_PARSE_OFFLINE;
    if (flags & VS_SNAPSHOT_CREATE_VALIDATE)
        parse_flags |= VS_SNAPSHOT_PARSE_VALIDATE;

    if (!redefine && vm_state == VS_SNAPSHOT_STATE_NOSTATE)
        vm_state = VS_SNAPSHOT_STATE_SHUTOFF;
    if (vsSnapshotParse(&snap, xml, len, parse_flags, vsStoreNow(dom->store), NULL, error) < 0 ||
        vsSnapshotNameCheck(vsSnapshotGetName(snap), error) < 0 ||
        snapshotStateCheck(redefine ? vsSnapshotGetState(snap) : vm_state, redefine, error) < 0)
        return -1;
    if (!redefine && vsSnapshotGetCreationTime(snap) == 0)   /* not storable */
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: snapshot '%s': the clock reads 0, which is not a "
                     "valid creationTime", vsSnapshotGetName(snap));

    next = vsTreeCopy(domainTree(dom));
    if (redefine) {
        if (domainRedefinePrep(dom, next, snap, flags, error) < 0 ||
            vsTreeRedefine(next, snap, error) < 0)
            return -1;
        if ((flags & VS_SNAPSHOT_CREATE_CURRENT) &&
            vsTreeSetCurrent(next, vsSnapshotGetName(snap), error) < 0)
            return -1;
    } else {
        if (domainCreatePrep(dom, next, snap, domain_xml, vm_state, flags, error) < 0 ||
            vsTreeAdd(next, snap, error) < 0 ||
            vsTreeSetCurrent(next, vsSnapshotGetName(snap), error) < 0)
            return -1;
    }
    if (!dom->uuid && vsMomentGetDomain(snap))
        dom->uuid = vsXmlSubtreeGetChildText(vsMomentGetDomain(snap), "uuid");
    if (vsBulkRecordCheck(snap, dom->uuid, error) < 0)
        return -1;
    if (out_name)
        *out_name = g_strdup(vsSnapshotGetName(snap));
    return domainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainSetCurrent(vsDomain *dom, const char *name, GError **error)
{
    g_autoptr(vsTree) next = NULL;

    if (domainRequireWrite(dom, error) < 0)
        return -1;
    if (!vsTreeLookup(domainTree(dom), name))
        return vsTreeErrNotFound(domainTree(dom), error, name);
    next = vsTreeCopy(domainTree(dom));
    if (vsTreeSetCurrent(next, name, error) < 0)
        return -1;
    return domainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainDelete(vsDomain *dom, const char *name, unsigned int flags, GError **error)
{
    g_autoptr(vsTree) next = NULL;

    if (domainRequireWrite(dom, error) < 0)
        return -1;
    next = vsTreeCopy(domainTree(dom));
    if (vsTreeDelete(next, name, flags, error) < 0)
        return -1;
    return domainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainDeleteAll(vsDomain *dom, GError **error)
{
    if (domainRequireWrite(dom, error) < 0)
        return -1;
    return domainApply(dom, vsTreeNew(dom->kind), error);
}

/* ---------------------------------------------------------------- */
/* Rename                                                             */

int
vsStoreRenameDomain(char **out_moved_aside, vsStore *store, const char *from, const char *to,
                    GError **error)
{
    g_autofree char *from_file = vsDirBulkName(from);
    g_autofree char *to_file = vsDirBulkName(to);
    g_autofree char *from_path = g_build_filename(store->path, from_file, NULL);
    g_autofree char *moved = NULL;
    int fd1 = -1, fd2 = -1;
    struct stat st;
    int ret = -1;

    if (out_moved_aside)
        *out_moved_aside = NULL;
    if (vsDomainNameCheck(from, error) < 0 || vsDomainNameCheck(to, error) < 0)
        return -1;
    if (strcmp(from, to) == 0)
        return 0;
    /* Lock in name order so two crossing renames cannot deadlock. */
    if (storeLockDomain(&fd1, store, strcmp(from, to) < 0 ? from : to, TRUE, error) < 0 ||
        storeLockDomain(&fd2, store, strcmp(from, to) < 0 ? to : from, TRUE, error) < 0)
        goto cleanup;
    if (fstatat(store->dirfd, from_file, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
        vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s' has no snapshot metadata in %s", from,
              store->path);
        goto cleanup;
    }
    if (fstatat(store->dirfd, to_file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        vsErr(error, VS_ERROR_EXISTS, "%s/%s: already exists; VM '%s' has snapshot metadata",
              store->path, to_file, to);
        goto cleanup;
    }
    if (fstatat(store->dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        vsErr(error, VS_ERROR_EXISTS, "%s/%s: VM '%s' has a legacy snapshot directory",
              store->path, to, to);
        goto cleanup;
    }
    /* DIR/<from>/ would become VM <from>'s snapshots again. */
    if (vsDirMoveLegacyAside(&moved, store->dirfd, store->path, from, error) < 0)
        goto cleanup;
    if (vsAtomicMove(store->dirfd, from_file, store->dirfd, to_file, RENAME_NOREPLACE,
                     from_path, to_file, error) < 0)
        goto cleanup;
    store->commits++;
    ret = 0;

 cleanup:
    if (out_moved_aside)
        *out_moved_aside = g_steal_pointer(&moved);
    if (fd1 >= 0)
        close(fd1);
    if (fd2 >= 0)
        close(fd2);
    return ret;
}
