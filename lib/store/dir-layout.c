/* dir-layout.c — names and moved-aside directories of a directory store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/fileio.h"
#include "store/dir-layout.h"

char *
vsDirBulkName(const char *vm)
{
    return g_strconcat(vm, VS_DIR_BULK_SUFFIX, NULL);
}

void
vsLegacyAsideClear(vsLegacyAside *aside)
{
    if (aside->containerfd >= 0)
        close(aside->containerfd);
    if (aside->fd >= 0)
        close(aside->fd);
    g_free(aside->name);
    g_free(aside->rel);
    g_free(aside->path);
    *aside = (vsLegacyAside) { .containerfd = -1, .fd = -1 };
}

int
vsLegacyAsideNew(vsLegacyAside *out, int dirfd, const char *dirpath, const char *vm,
                 gboolean create, GError **error)
{
    g_autofree char *container = g_strdup_printf(VS_LEGACY_ASIDE_DIR "/%s", vm);
    g_autoptr(GPtrArray) names = NULL;
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    guint64 next = 1;

    *out = aside;
    /* Opened a component at a time: a link at .virtsnap, .virtsnap/legacy or
     * .virtsnap/legacy/<vm> is refused, never followed. */
    if (vsAtomicDirOpen(&aside.containerfd, dirfd, dirpath, container, TRUE, error) < 0)
        return -1;
    if (vsDirList(&names, aside.containerfd, container, error) < 0) {
        vsLegacyAsideClear(&aside);
        return -1;
    }
    for (guint i = 0; i < names->len; i++) {
        guint64 n;
        if (g_ascii_string_to_unsigned(names->pdata[i], 10, 1, G_MAXUINT32, &n, NULL) &&
            n >= next)
            next = n + 1;
    }
    aside.name = g_strdup_printf("%" G_GUINT64_FORMAT, next);
    aside.rel = g_strdup_printf("%s/%s", container, aside.name);
    aside.path = g_strdup_printf("%s/%s", dirpath, aside.rel);
    if (create &&
        vsAtomicDirOpen(&aside.fd, aside.containerfd, aside.path, aside.name, TRUE, error) < 0) {
        vsLegacyAsideClear(&aside);
        return -1;
    }
    *out = aside;
    return 0;
}

int
vsLegacyAsideMoveDir(int dirfd, const char *dirpath, const char *vm, vsLegacyAside *aside,
                     GError **error)
{
    g_autofree char *vmpath = NULL;

    if (vsLegacyAsideNew(aside, dirfd, dirpath, vm, FALSE, error) < 0)
        return -1;
    vmpath = g_strdup_printf("%s/%s", dirpath, vm);
    return vsAtomicMove(dirfd, vm, aside->containerfd, aside->name, RENAME_NOREPLACE,
                        vmpath, aside->path, error);
}

int
vsDirMoveLegacyAside(char **out_aside, int dirfd, const char *dirpath, const char *vm,
                     GError **error)
{
    vsLegacyAside aside = { .containerfd = -1, .fd = -1 };
    struct stat st;
    int ret;

    *out_aside = NULL;
    if (fstatat(dirfd, vm, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    ret = vsLegacyAsideMoveDir(dirfd, dirpath, vm, &aside, error);
    if (ret == 0 || ret == -2)   /* -2: moved, not flushed: say where it is anyway */
        *out_aside = g_strdup(aside.path);
    vsLegacyAsideClear(&aside);
    return ret < 0 ? -1 : 0;
}
