/* fileio.c — reading files and directories of a store. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicfile.h"
#include "util/error.h"
#include "util/fileio.h"

int
vsFileReadAll(char **out, gsize *len, int fd, gsize max, const char *label, GError **error)
{
    g_autofree char *buf = g_malloc(max + 2);
    gsize have = 0;

    *out = NULL;
    *len = 0;
    /* One byte past the cap tells "exactly max" from "more". */
    while (have <= max) {
        ssize_t n = read(fd, buf + have, max + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vsErrErrno(error, errno, "%s: cannot read", label);
        if (n == 0)
            break;
        have += n;
    }
    if (have > max)
        return vsErr(error, VS_ERROR_TOO_LARGE, "%s: larger than %" G_GSIZE_FORMAT " bytes",
                     label, max);
    buf[have] = '\0';
    *out = g_steal_pointer(&buf);
    *len = have;
    return 0;
}

gint
vsStrcmpIndirect(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

int
vsDirList(GPtrArray **out, int fd, const char *path, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    int dfd = dup(fd);
    DIR *dir;
    struct dirent *ent;

    if (dfd < 0 || !(dir = fdopendir(dfd))) {
        int errsv = errno;
        if (dfd >= 0)
            close(dfd);
        return vsErrErrno(error, errsv, "%s: cannot read directory", path);
    }
    /* The duplicate shares @fd's position: start from the top. */
    rewinddir(dir);
    errno = 0;
    while ((ent = readdir(dir))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        g_ptr_array_add(names, g_strdup(ent->d_name));
    }
    if (errno) {
        int errsv = errno;
        closedir(dir);
        return vsErrErrno(error, errsv, "%s: cannot read directory", path);
    }
    closedir(dir);
    g_ptr_array_sort(names, vsStrcmpIndirect);
    *out = g_steal_pointer(&names);
    return 0;
}

int
vsFileOpenPrivate(int *out, int dirfd, const char *dirpath, const char *subdir,
                  const char *name, int flags, GError **error)
{
    g_autoptr(GError) derr = NULL;
    g_autofree char *rel = g_strdup_printf("%s/%s", subdir, name);
    gboolean create = (flags & O_CREAT) != 0;
    struct stat st;
    int dfd, fd, errsv;

    *out = -1;
    if (vsAtomicDirOpen(&dfd, dirfd, dirpath, subdir, create, &derr) < 0) {
        if (!create && g_error_matches(derr, VS_ERROR, VS_ERROR_NOT_FOUND))
            return 0;
        g_propagate_error(error, g_steal_pointer(&derr));
        return -1;
    }
    fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    errsv = errno;
    close(dfd);
    if (fd < 0 && errsv == ENOENT && !create)
        return 0;
    if (fd < 0 && errsv == ELOOP)
        return vsErr(error, VS_ERROR_INVALID, "%s/%s: is a symbolic link; virtsnap never "
                     "follows links inside the store", dirpath, rel);
    if (fd < 0)
        return vsErrErrno(error, errsv, "%s/%s: cannot open", dirpath, rel);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vsErr(error, VS_ERROR_INVALID, "%s/%s: is not a regular file", dirpath, rel);
    }
    *out = fd;
    return 0;
}
