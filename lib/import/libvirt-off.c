/* libvirt-off.c — the libvirt bridge in a build without libvirt's client
 * library: every call is there (the exported API does not depend on the
 * build) and fails saying why. */
#include "import/libvirt-bridge.h"
#include "util/error.h"

#define OFF_MESSAGE "virtsnap was built without libvirt support"

gboolean
vsLibvirtIsSupported(void)
{
    return FALSE;
}

int
vsLibvirtOpen(vsLibvirt **out, const char *uri, GError **error)
{
    *out = NULL;
    return vsErr(error, VS_ERROR_FAILED, OFF_MESSAGE);
}

void
vsLibvirtFree(vsLibvirt *lv)
{
}

const char *
vsLibvirtGetURI(const vsLibvirt *lv)
{
    return NULL;
}

int
vsLibvirtListDomains(char ***out, vsLibvirt *lv, GError **error)
{
    *out = NULL;
    return vsErr(error, VS_ERROR_FAILED, OFF_MESSAGE);
}

int
vsLibvirtDiff(vsLibvirtReport **out, gboolean *equal, vsLibvirt *lv, vsStore *store,
              const char *vm, GError **error)
{
    *out = NULL;
    *equal = FALSE;
    return vsErr(error, VS_ERROR_FAILED, OFF_MESSAGE);
}

int
vsLibvirtPull(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store, const char *vm,
              unsigned int flags, GError **error)
{
    if (out)
        *out = NULL;
    return vsErr(error, VS_ERROR_FAILED, OFF_MESSAGE);
}

int
vsLibvirtPush(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store, const char *vm,
              const char *target, const char *const *path_map, unsigned int flags,
              GError **error)
{
    if (out)
        *out = NULL;
    return vsErr(error, VS_ERROR_FAILED, OFF_MESSAGE);
}
