/* checkpoint-store.c — the store calls of the checkpoint kind: loading a
 * VM's checkpoints, listing, renaming, and libvirt's per-file layout
 * (convert, export, check) through the generic layers. */
#include "checkpoint/checkpoint-private.h"
#include "store/store.h"
#include "import/legacy.h"

int
vsStoreLoadCheckpoints(vsDomain **out, vsStore *store, const char *vm, const char *uuid,
                       unsigned int flags, GError **error)
{
    return vsStoreLoadKind(out, store, &vsCheckpointKind, vm, uuid,
                           flags & (VS_DOMAIN_LOAD_WRITE | VS_DOMAIN_LOAD_NOWAIT), error);
}

int
vsStoreListCheckpointDomains(char ***out, vsStore *store, GError **error)
{
    return vsStoreListKind(out, store, &vsCheckpointKind, error);
}

int
vsStoreHasCheckpoints(gboolean *out, vsStore *store, const char *vm, GError **error)
{
    return vsStoreHasKind(out, store, &vsCheckpointKind, vm, error);
}

int
vsStoreRenameCheckpoints(char **out_moved_aside, vsStore *store, const char *from,
                         const char *to, GError **error)
{
    return vsStoreRenameKind(out_moved_aside, store, &vsCheckpointKind, from, to, error);
}

int
vsStoreConvertCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                          const vsLegacyOptions *opts, GError **error)
{
    return vsStoreConvertKind(out, store, &vsCheckpointKind, vm, opts, error);
}

int
vsStoreExportCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                         unsigned int flags, GError **error)
{
    return vsStoreExportKind(out, store, &vsCheckpointKind, vm, flags, error);
}

int
vsStoreCheckCheckpoints(vsLegacyReport **out, vsStore *store, const char *vm,
                        unsigned int flags, GError **error)
{
    return vsStoreCheckKind(out, store, &vsCheckpointKind, vm, flags, error);
}
