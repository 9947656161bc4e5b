/* libvirtuse.c — is a running libvirt reading this store directory?
 *
 * libvirt's qemu driver reads its snapshot directory's per-file layout;
 * converting a VM there hides its snapshots from that libvirt.  The driver
 * (in libvirtd, virtqemud, or embedded: qemu:///embed?root=R) derives the
 * snapshot directory from its state directory's layout, and while it runs
 * it holds a write lock (fcntl, byte 0) on STATEDIR/driver.pid
 * (virPidFileAcquire, released by the kernel when the process exits).  So
 * without talking to any daemon: map the store's path to the pid files of
 * the drivers that would use it, and ask the kernel whether one is locked.
 *
 *   snapshot directory                        driver's pid file
 *   R/lib/qemu/snapshot  (embedded, root=R)   R/run/qemu/driver.pid
 *   P/lib/libvirt/qemu/snapshot  (system)     P/run/libvirt/qemu/driver.pid,
 *                                             and /run/... when P is /var
 *   C/libvirt/qemu/snapshot  (session, C =    RUNTIME/libvirt/qemu/run/driver.pid
 *     the user's config dir)                  (the caller's runtime dir, and
 *                                             /run/user/UID of the owner)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "util/error.h"
#include "store/store.h"

#define SUFFIX_EMBED "/lib/qemu/snapshot"
#define SUFFIX_SYSTEM "/lib/libvirt/qemu/snapshot"
#define SUFFIX_SESSION "/libvirt/qemu/snapshot"

static void
addCandidate(GPtrArray *out, char *path)
{
    for (guint i = 0; i < out->len; i++) {
        if (strcmp(out->pdata[i], path) == 0) {
            g_free(path);
            return;
        }
    }
    g_ptr_array_add(out, path);
}

/* The pid files of the qemu drivers whose snapshot directory is @dir. */
static GPtrArray *
driverPidFiles(const char *dir)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *real = realpath(dir, NULL);
    const char *path = real ? real : dir;
    gsize len = strlen(path);
    struct stat st;

    if (g_str_has_suffix(path, SUFFIX_EMBED))
        addCandidate(out, g_strdup_printf("%.*s/run/qemu/driver.pid",
                                          (int) (len - strlen(SUFFIX_EMBED)), path));
    if (g_str_has_suffix(path, SUFFIX_SYSTEM)) {
        gsize plen = len - strlen(SUFFIX_SYSTEM);
        addCandidate(out, g_strdup_printf("%.*s/run/libvirt/qemu/driver.pid", (int) plen,
                                          path));
        if (plen == strlen("/var") && strncmp(path, "/var", plen) == 0)
            addCandidate(out, g_strdup("/run/libvirt/qemu/driver.pid"));
    }
    if (g_str_has_suffix(path, SUFFIX_SESSION)) {
        g_autofree char *mine = g_build_filename(g_get_user_config_dir(), "libvirt", "qemu",
                                                 "snapshot", NULL);
        g_autofree char *mine_real = realpath(mine, NULL);

        if (g_strcmp0(mine_real ? mine_real : mine, path) == 0)
            addCandidate(out, g_build_filename(g_get_user_runtime_dir(), "libvirt", "qemu",
                                               "run", "driver.pid", NULL));
        if (stat(path, &st) == 0)
            addCandidate(out, g_strdup_printf("/run/user/%u/libvirt/qemu/run/driver.pid",
                                              (unsigned int) st.st_uid));
    }
    return out;
}

/* 1 and the holder's pid when @pidfile is locked (its driver runs), 0 when
 * not (absent, or left by a driver that died), -1 when it cannot be told. */
static int
pidFileLocked(const char *pidfile, gint64 *pid, GError **error)
{
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    int fd = open(pidfile, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int rc;

    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return vsErrErrno(error, errno, "cannot tell whether libvirt is running: %s: cannot "
                          "open", pidfile);
    }
    rc = fcntl(fd, F_GETLK, &lk);
    close(fd);
    if (rc < 0)
        return vsErrErrno(error, errno, "cannot tell whether libvirt is running: %s: cannot "
                          "test its lock", pidfile);
    if (lk.l_type == F_UNLCK)
        return 0;
    *pid = lk.l_pid;
    return 1;
}

int
vsStoreFindLibvirt(char **out_pidfile, gint64 *out_pid, vsStore *store, GError **error)
{
    g_autoptr(GPtrArray) candidates = NULL;
    const char *dir;
    gint64 pid = 0;
    int dirfd;

    *out_pidfile = NULL;
    if (out_pid)
        *out_pid = 0;
    /* libvirt reads only directories */
    if (vsStoreGetDirectory(store, &dirfd, &dir, NULL) < 0)
        return 0;
    candidates = driverPidFiles(dir);
    for (guint i = 0; i < candidates->len; i++) {
        int rc = pidFileLocked(candidates->pdata[i], &pid, error);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            *out_pidfile = g_strdup(candidates->pdata[i]);
            if (out_pid)
                *out_pid = pid;
            return 0;
        }
    }
    return 0;
}

int
vsStoreCheckLibvirtIdle(vsStore *store, const char *vm, GError **error)
{
    g_autofree char *pidfile = NULL;
    gint64 pid = 0;
    const char *dir = vsStoreGetLocation(store);

    if (vsStoreFindLibvirt(&pidfile, &pid, store, error) < 0)
        return -1;
    if (!pidfile)
        return 0;
    if (vm)
        return vsErr(error, VS_ERROR_LOCKED,
                     "%s: a running libvirt (qemu driver, pid %" G_GINT64_FORMAT ", %s) reads "
                     "its snapshots from this directory; converting VM '%s' would hide them "
                     "from it (libvirt 9.0 reads only %s/%s/*.xml); stop libvirt first, or "
                     "convert with --force and undo it with 'virtsnap export-legacy %s'",
                     dir, pid, pidfile, vm, dir, vm, vm);
    return vsErr(error, VS_ERROR_LOCKED,
                 "%s: a running libvirt (qemu driver, pid %" G_GINT64_FORMAT ", %s) reads its "
                 "snapshots from this directory; converting would hide them from it (libvirt "
                 "9.0 reads only %s/VM/*.xml); stop libvirt first, or convert with --force and "
                 "undo it with 'virtsnap export-legacy VM'", dir, pid, pidfile, dir);
}
