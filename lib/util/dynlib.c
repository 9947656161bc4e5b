/* dynlib.c — an optional client library opened when first needed (see dynlib.h). */
#include <gmodule.h>

#include "util/dynlib.h"
#include "util/error.h"

static char *
dynlibOpen(vsDynlib *lib)
{
    /* LOCAL: the library's symbols stay out of the process's namespace;
     * resident: its functions are used until exit */
    GModule *module = g_module_open(lib->soname, G_MODULE_BIND_LOCAL);

    if (!module)
        return g_strdup_printf("cannot load %s: %s", lib->what, g_module_error());
    g_module_make_resident(module);
    for (guint i = 0; lib->names[i]; i++) {
        if (!g_module_symbol(module, lib->names[i], &lib->slots[i]) || !lib->slots[i])
            return g_strdup_printf("%s (%s) has no %s", lib->what, lib->soname,
                                   lib->names[i]);
    }
    return NULL;
}

int
vsDynlibLoad(vsDynlib *lib, GError **error)
{
    static GMutex lock;   /* loads are rare: one lock for every library */
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

    if (!lib->tried) {
        lib->failure = dynlibOpen(lib);
        lib->tried = TRUE;
    }
    if (lib->failure)
        return vsErr(error, VS_ERROR_FAILED, "%s", lib->failure);
    return 0;
}
