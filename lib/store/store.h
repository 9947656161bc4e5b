/* store.h — the store's internal entry points (internal). */
#pragma once

#include "virtsnap/virtsnap.h"
#include "import/legacy.h"

/* vsStoreLoadDomain, with @legacy steering what happens to a libvirt
 * per-file directory found instead of a bulk file (convert with options,
 * collect a report, or leave it alone); NULL is vsStoreLoadDomain's
 * default.  Used by the legacy operations, which need the store's lock
 * protocol and its load in one step. */
int vsStoreLoadDomainWithLegacy(vsDomain **out, vsStore *store, const char *vm,
                                const char *uuid, unsigned int flags,
                                vsLegacyHookCtx *legacy, GError **error);

