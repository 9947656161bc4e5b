/* store.c — the store core: a store named by its location, VM handles,
 * their lock (held from a write load to vsDomainFree: the one lock owner),
 * the records they lend, batches, and THE commit path every change takes.
 * Where records are kept is the backend's business (backend.h).
 *
 * Every change applies itself to a copy of the tree (store-ops.c, the
 * kinds' create calls), which is committed with one durable write and
 * only then swapped in: a failed write leaves store and memory as they
 * were. */
#include <string.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "format/bulkfile.h"
#include "snapshot/snapshot.h"
#include "store/dir-layout.h"
#include "store/store-private.h"
#include "virtsnap-private.h"

/* ---------------------------------------------------------------- */
/* Stores                                                             */

/* The directory backend last: it takes any location as a path. */
static const vsBackendOps *const backends[] = {
    &vsBackendPgOps,
    &vsBackendDirOps,
};

const vsBackendOps *
vsBackendFor(const char *location)
{
    for (gsize i = 0; i < G_N_ELEMENTS(backends); i++) {
        if (backends[i]->accepts(location))
            return backends[i];
    }
    g_assert_not_reached();
}

int
vsStoreOpen(vsStore **out, const char *location, unsigned int flags, GError **error)
{
    g_autoptr(vsStore) store = g_new0(vsStore, 1);
    const vsBackendOps *ops = vsBackendFor(location);

    store->refs = 1;
    store->location = g_strdup(location);
    store->settings.compression = VS_COMPRESSION_ZSTD;
    store->settings.load_limit = VS_STORE_LOAD_LIMIT_DEFAULT;
    if (ops->open(&store->backend, location, (flags & VS_STORE_OPEN_CREATE) != 0, error) < 0 ||
        ops->load_settings(store->backend, &store->settings, error) < 0)
        return -1;
    *out = g_steal_pointer(&store);
    return 0;
}

void
vsStoreFree(vsStore *store)
{
    if (!store || !g_atomic_int_dec_and_test(&store->refs))
        return;
    if (store->backend)
        store->backend->ops->close(store->backend);
    g_free(store->location);
    g_free(store);
}

const char *
vsStoreGetLocation(const vsStore *store)
{
    return store->location;
}

int
vsStoreGetDirectory(vsStore *store, int *dirfd, const char **path, GError **error)
{
    const vsBackendOps *ops = store->backend->ops;

    if (!ops->directory || !ops->directory(store->backend, dirfd, path))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s: not a directory store; libvirt's per-file layout lives in a directory",
                     store->location);
    return 0;
}

static const char *const compression_names[] = {
    [VS_COMPRESSION_NONE] = "none",
    [VS_COMPRESSION_ZSTD] = "zstd",
    [VS_COMPRESSION_PIECES] = "pieces",
};

const char *
vsCompressionName(vsCompression mode)
{
    g_assert(mode < G_N_ELEMENTS(compression_names));
    return compression_names[mode];
}

int
vsCompressionParse(const char *name, vsCompression *out)
{
    for (gsize i = 0; i < G_N_ELEMENTS(compression_names); i++) {
        if (strcmp(name, compression_names[i]) == 0) {
            *out = (vsCompression) i;
            return 0;
        }
    }
    return -1;
}

void
vsStoreSetCompressionMode(vsStore *store, vsCompression mode)
{
    g_return_if_fail(mode <= VS_COMPRESSION_PIECES);
    store->settings.compression = mode;
}

vsCompression
vsStoreGetCompressionMode(const vsStore *store)
{
    return store->settings.compression;
}

void
vsStoreSetCompression(vsStore *store, gboolean compress)
{
    vsStoreSetCompressionMode(store, compress ? VS_COMPRESSION_ZSTD : VS_COMPRESSION_NONE);
}

gboolean
vsStoreGetCompression(const vsStore *store)
{
    return store->settings.compression != VS_COMPRESSION_NONE;
}

guint64
vsStoreGetLoadLimit(const vsStore *store)
{
    return store->settings.load_limit;
}

void
vsStoreSetLoadLimit(vsStore *store, guint64 bytes)
{
    store->settings.load_limit = bytes ? bytes : VS_STORE_LOAD_LIMIT_DEFAULT;
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

/* The backend keeps the settings for every later user; this handle uses
 * them once they are saved. */
static int
storeSaveSettings(vsStore *store, const vsBackendSettings *settings, GError **error)
{
    if (store->backend->ops->save_settings(store->backend, settings, error) < 0)
        return -1;
    store->settings = *settings;
    return 0;
}

int
vsStoreSaveCompressionMode(vsStore *store, vsCompression mode, GError **error)
{
    vsBackendSettings settings = { mode, store->settings.load_limit };

    if (mode > VS_COMPRESSION_PIECES)
        return vsErr(error, VS_ERROR_INVALID, "unknown compression mode %d", (int) mode);
    return storeSaveSettings(store, &settings, error);
}

int
vsStoreSaveCompression(vsStore *store, gboolean compress, GError **error)
{
    return vsStoreSaveCompressionMode(store, compress ? VS_COMPRESSION_ZSTD
                                                      : VS_COMPRESSION_NONE, error);
}

int
vsStoreSaveLoadLimit(vsStore *store, guint64 bytes, GError **error)
{
    vsBackendSettings settings = { store->settings.compression,
                                   bytes ? bytes : VS_STORE_LOAD_LIMIT_DEFAULT };

    return storeSaveSettings(store, &settings, error);
}

void
vsStoreSetClock(vsStore *store, vsClockFunc clock, gpointer data)
{
    store->clock = clock;
    store->clock_data = data;
}

gint64
vsStoreNow(const vsStore *store)
{
    if (store->clock)
        return store->clock(store->clock_data);
    return g_get_real_time() / G_USEC_PER_SEC;
}

guint64
vsStoreGetCommitCount(const vsStore *store)
{
    return store->commits;
}

int
vsDomainNameCheck(const char *vm, GError **error)
{
    /* A file name of the directory store: "<vm>.xml" + the temporary
     * suffix must fit in NAME_MAX (255). */
    gsize max = 255 - strlen(VS_DIR_BULK_SUFFIX VS_ATOMIC_TEMP_MARK "XXXXXX");

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
    return vsStoreListKind(out, store, &vsSnapshotKind, error);
}

int
vsStoreListKind(char ***out, vsStore *store, const vsMomentKind *kind, GError **error)
{
    g_autoptr(GPtrArray) names = NULL;

    if (store->backend->ops->list(store->backend, kind, &names, error) < 0)
        return -1;
    g_ptr_array_add(names, NULL);
    *out = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
    return 0;
}

int
vsStoreHasDomain(gboolean *out, vsStore *store, const char *vm, GError **error)
{
    return vsStoreHasKind(out, store, &vsSnapshotKind, vm, error);
}

int
vsStoreHasKind(gboolean *out, vsStore *store, const vsMomentKind *kind, const char *vm,
               GError **error)
{
    *out = FALSE;
    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    return store->backend->ops->has(store->backend, kind, vm, out, error);
}

int
vsStoreRenameDomain(char **out_moved_aside, vsStore *store, const char *from, const char *to,
                    GError **error)
{
    return vsStoreRenameKind(out_moved_aside, store, &vsSnapshotKind, from, to, error);
}

int
vsStoreRenameKind(char **out_moved_aside, vsStore *store, const vsMomentKind *kind,
                  const char *from, const char *to, GError **error)
{
    vsBackend *be = store->backend;
    vsBackendLock *first = NULL, *second = NULL;
    g_autofree char *moved = NULL;
    int ret = -1;

    if (out_moved_aside)
        *out_moved_aside = NULL;
    if (vsDomainNameCheck(from, error) < 0 || vsDomainNameCheck(to, error) < 0)
        return -1;
    if (strcmp(from, to) == 0)
        return 0;
    /* Lock in name order so two crossing renames cannot deadlock. */
    if (be->ops->lock(be, kind, strcmp(from, to) < 0 ? from : to, TRUE, &first, error) < 0 ||
        be->ops->lock(be, kind, strcmp(from, to) < 0 ? to : from, TRUE, &second, error) < 0)
        goto cleanup;
    if (be->ops->rename(be, kind, from, to, &moved, error) < 0)
        goto cleanup;
    store->commits++;
    ret = 0;

 cleanup:
    if (out_moved_aside)
        *out_moved_aside = g_steal_pointer(&moved);
    if (second)
        be->ops->unlock(be, second);
    if (first)
        be->ops->unlock(be, first);
    return ret;
}

/* ---------------------------------------------------------------- */
/* VM handles                                                         */

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
    vsBackend *be = store->backend;
    vsBackendLoadArgs args = {
        .load_limit = store->settings.load_limit,
        .write = (flags & VS_DOMAIN_LOAD_WRITE) != 0,
        .stored_only = (flags & VS_DOMAIN_LOAD_STORED_ONLY) != 0,
    };
    vsBackendLoaded loaded;

    if (vsDomainNameCheck(vm, error) < 0)
        return -1;
    dom = g_new0(vsDomain, 1);
    dom->store = store;
    g_atomic_int_inc(&store->refs);
    dom->kind = kind;
    dom->name = g_strdup(vm);
    dom->lent = g_hash_table_new_full(g_direct_hash, NULL,
                                      (GDestroyNotify) vsMomentUnref, NULL);
    /* With the lock held from here, a read-modify-write never loses
     * another process's update. */
    if (args.write &&
        be->ops->lock(be, kind, vm, !(flags & VS_DOMAIN_LOAD_NOWAIT), &dom->lock, error) < 0)
        return -1;
    if (be->ops->load(be, kind, vm, &args, &loaded, error) < 0)
        return -1;
    dom->tree = loaded.tree ? loaded.tree : vsTreeNew(kind);
    dom->stored = loaded.stored;
    dom->cache = loaded.cache;
    dom->uuid = uuid ? g_strdup(uuid) : vsTreeFindUUID(dom->tree);
    *out = g_steal_pointer(&dom);
    return 0;
}

void
vsDomainFree(vsDomain *dom)
{
    vsBackend *be;

    if (!dom)
        return;
    be = dom->store->backend;
    if (dom->lock)
        be->ops->unlock(be, dom->lock);
    g_clear_pointer(&dom->tree, vsTreeFree);
    g_clear_pointer(&dom->pending, vsTreeFree);
    g_clear_pointer(&dom->lent, g_hash_table_unref);
    if (dom->cache)
        be->ops->cache_free(dom->cache);
    g_free(dom->name);
    g_free(dom->uuid);
    g_free(dom->moved_aside);
    vsStoreFree(dom->store);
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

vsMomentKindId
vsDomainGetKind(const vsDomain *dom)
{
    return dom->kind->id;
}

const vsTree *
vsDomainGetTree(const vsDomain *dom)
{
    return vsDomainView(dom);
}

gboolean
vsDomainIsStored(const vsDomain *dom)
{
    return dom->stored;
}

gint64
vsDomainNow(const vsDomain *dom)
{
    return vsStoreNow(dom->store);
}

const char *
vsDomainGetMovedAside(const vsDomain *dom)
{
    return dom->moved_aside;
}

/* Every record leaves the handle through here.  Records are immutable and
 * shared by reference between tree versions, so holding one keeps exactly
 * what the caller saw; the tree itself may move on. */
const vsMoment *
vsDomainLend(const vsDomain *dom, const vsMoment *moment)
{
    if (moment && !g_hash_table_contains(dom->lent, moment))
        g_hash_table_add(dom->lent, vsMomentRef((vsMoment *) moment));
    return moment;
}

int
vsDomainFormat(char **out, const vsDomain *dom, GError **error)
{
    GString *buf = g_string_new(NULL);

    vsBulkFileFormat(buf, vsDomainView(dom), dom->uuid);
    *out = g_string_free(buf, FALSE);
    return 0;
}

/* ---------------------------------------------------------------- */
/* The commit path                                                    */

int
vsDomainRequireWrite(const vsDomain *dom, GError **error)
{
    if (!dom->lock)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s' was loaded read-only; load it with VS_DOMAIN_LOAD_WRITE to change it",
                     dom->name);
    return 0;
}

/* Stores @tree as the VM's new state through the backend and adopts it;
 * on failure @tree is freed and nothing changes (but a note the backend
 * left, e.g. a legacy directory it moved aside before failing). */
static int
domainCommit(vsDomain *dom, vsTree *tree, GError **error)
{
    g_autoptr(vsTree) next = tree;
    vsBackend *be = dom->store->backend;
    vsBackendCommit commit = {
        .lock = dom->lock, .old = dom->tree, .next = next, .uuid = dom->uuid,
        .compression = dom->store->settings.compression, .cache = dom->cache,
    };
    gpointer cache = NULL;

    g_clear_pointer(&dom->moved_aside, g_free);
    if (be->ops->commit(be, dom->kind, dom->name, &commit, &cache, &dom->moved_aside,
                        error) < 0)
        return -1;
    dom->store->commits++;
    if (dom->cache)
        be->ops->cache_free(dom->cache);
    dom->cache = cache;
    dom->stored = vsTreeCount(next) > 0;
    vsTreeFree(dom->tree);
    dom->tree = g_steal_pointer(&next);
    return 0;
}

int
vsDomainApply(vsDomain *dom, vsTree *tree, GError **error)
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
    if (vsDomainRequireWrite(dom, error) < 0)
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
vsDomainReadBack(const vsDomain *dom, vsTree **out, GError **error)
{
    vsBackend *be = dom->store->backend;
    vsBackendLoadArgs args = { .load_limit = dom->store->settings.load_limit,
                               .stored_only = TRUE };
    vsBackendLoaded loaded;

    if (be->ops->load(be, dom->kind, dom->name, &args, &loaded, error) < 0)
        return -1;
    *out = loaded.tree ? loaded.tree : vsTreeNew(dom->kind);
    return 0;
}

int
vsDomainRemoveStored(vsDomain *dom, GError **error)
{
    vsBackend *be = dom->store->backend;

    if (vsDomainRequireWrite(dom, error) < 0 ||
        be->ops->remove(be, dom->kind, dom->name, error) < 0)
        return -1;
    dom->store->commits++;
    dom->stored = FALSE;
    if (dom->cache)
        be->ops->cache_free(g_steal_pointer(&dom->cache));
    vsTreeFree(dom->tree);
    dom->tree = vsTreeNew(dom->kind);
    return 0;
}
