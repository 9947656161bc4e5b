/* atomicfile.c — replace one file durably: temp file, fsync, rename, dir fsync;
 * and the other durable steps on a store's files and directories (remove,
 * move, open a directory without following links), all through one fault
 * and crash hook. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "util/atomicfile.h"
#include "util/error.h"

#define VS_ATOMIC_BUF_SIZE (1024 * 1024)
/* Pieces queued for one writev: the buffer's runs and borrowed bytes. */
#define VS_ATOMIC_IOV_MAX 256
/* Borrowed bytes shorter than this are copied: a header or end frame (a
 * run's frame of ~9 KB records is ~2-3 KB, and copying it through the
 * buffer cost a commit two cache misses a line, ~12 K at 5,000 records). */
#define VS_ATOMIC_BORROW_MIN 256
#define VS_ATOMIC_SUFFIX_LEN 6
#define VS_ATOMIC_CREATE_TRIES 100

struct _vsAtomicFile {
    int dirfd;
    int fd;            /* -1 once closed */
    char *path;        /* dirpath/name, for messages */
    char *name;
    char *tmpname;     /* NULL once renamed or removed: nothing left to clean */
    char *buf;
    gsize used;
    struct iovec iov[VS_ATOMIC_IOV_MAX];  /* what the next flush writes, in order */
    guint niov;
    GPtrArray *held;   /* GBytes the queued iovecs borrow from */
    int err;           /* first write errno, latched until commit */
    gboolean finished;
    gboolean defer_sync;  /* the caller syncs the filesystem (vsAtomicSyncFs) */
    GByteArray *mem;   /* vsAtomicFileOpenMemory: everything written, no file */
};

#ifdef VS_FAULT_INJECTION
/* Test builds only (tests, fuzz): the production library has no hook and
 * never reads VIRTSNAP_CRASH_AT, so nothing outside can make it fail. */
static vsAtomicFaultFunc fault_fn;
static gpointer fault_data;

static const char *const step_names[] = {
    "create", "write", "fsync", "close", "rename", "dirsync", "unlink",
};
static gsize crash_once;
static int crash_step = -1;
static guint64 crash_at;
static guint64 step_count[G_N_ELEMENTS(step_names)];

void
vsAtomicFileSetFaultHook(vsAtomicFaultFunc fn, gpointer data)
{
    fault_fn = fn;
    fault_data = data;
}

static void
vsAtomicCrashInit(void)
{
    const char *env = g_getenv("VIRTSNAP_CRASH_AT");
    const char *colon = env ? strchr(env, ':') : NULL;
    guint64 n = 0;

    if (!env)
        return;
    for (gsize i = 0; colon && i < G_N_ELEMENTS(step_names); i++) {
        if (strlen(step_names[i]) == (gsize)(colon - env) &&
            strncmp(env, step_names[i], colon - env) == 0 &&
            g_ascii_string_to_unsigned(colon + 1, 10, 1, G_MAXUINT64, &n, NULL)) {
            crash_step = i;
            crash_at = n;
            return;
        }
    }
    /* A typo must not let a crash test pass silently. */
    g_printerr("virtsnap: ignoring malformed VIRTSNAP_CRASH_AT='%s'\n", env);
}

/* Called right before each system call of the write path: the crash harness
 * may kill us here, and the fault hook may make the call "fail". */
static int
vsAtomicEnter(vsAtomicStep step)
{
    if (g_once_init_enter(&crash_once)) {
        vsAtomicCrashInit();
        g_once_init_leave(&crash_once, 1);
    }
    if (++step_count[step] == crash_at && (int)step == crash_step)
        _exit(99);
    return fault_fn ? fault_fn(step, fault_data) : 0;
}
#else
static inline int
vsAtomicEnter(vsAtomicStep step)
{
    return 0;
}
#endif

static int
vsAtomicCheckName(const char *dirpath, const char *name, GError **error)
{
    if (name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
        strcmp(name, "..") != 0)
        return 0;
    return vsErr(error, VS_ERROR_INVALID, "%s/%s: invalid file name",
                 dirpath ? dirpath : ".", name ? name : "");
}

/* fsync through a fresh descriptor so callers may hold dirfd as O_PATH. */
static int
vsAtomicDirSync(int dirfd)
{
    int e = vsAtomicEnter(VS_ATOMIC_STEP_DIRSYNC);
    int fd;

    if (e)
        return e;
    if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return errno;
    if (fsync(fd) < 0)
        e = errno;
    close(fd);
    return e;
}

/* "<name>.vstmp-XXXXXX", @name cut (never inside a UTF-8 character) so that
 * the whole fits in NAME_MAX. */
static char *
vsAtomicTempName(const char *name)
{
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char suffix[VS_ATOMIC_SUFFIX_LEN + 1] = { 0 };
    gsize keep = strlen(name);

    if (keep > VS_ATOMIC_TEMP_BASE_MAX) {
        keep = VS_ATOMIC_TEMP_BASE_MAX;
        while (keep > 0 && ((unsigned char) name[keep] & 0xC0) == 0x80)
            keep--;
    }
    for (int i = 0; i < VS_ATOMIC_SUFFIX_LEN; i++)
        suffix[i] = alnum[g_random_int_range(0, sizeof(alnum) - 1)];
    return g_strdup_printf("%.*s" VS_ATOMIC_TEMP_MARK "%s", (int) keep, name, suffix);
}

int
vsAtomicFileOpen(vsAtomicFile **out, int dirfd, const char *dirpath,
                 const char *name, GError **error)
{
    g_autoptr(vsAtomicFile) af = NULL;
    int e = 0;

    *out = NULL;
    if (vsAtomicCheckName(dirpath, name, error) < 0)
        return -1;

    af = g_new0(vsAtomicFile, 1);
    af->dirfd = dirfd;
    af->fd = -1;
    af->path = g_build_filename(dirpath ? dirpath : ".", name, NULL);
    af->name = g_strdup(name);
    for (int attempt = 0; attempt < VS_ATOMIC_CREATE_TRIES; attempt++) {
        g_free(af->tmpname);
        af->tmpname = vsAtomicTempName(name);
        /* O_EXCL|O_NOFOLLOW: never open anything planted at the temp name. */
        if (!(e = vsAtomicEnter(VS_ATOMIC_STEP_CREATE)) &&
            (af->fd = openat(dirfd, af->tmpname,
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             0600)) < 0)
            e = errno;
        if (e != EEXIST)
            break;
    }
    if (e) {
        g_clear_pointer(&af->tmpname, g_free);
        return vsErrErrno(error, e, "%s: cannot create temporary file", af->path);
    }
    af->buf = g_malloc(VS_ATOMIC_BUF_SIZE);
    *out = g_steal_pointer(&af);
    return 0;
}

vsAtomicFile *
vsAtomicFileOpenMemory(void)
{
    vsAtomicFile *af = g_new0(vsAtomicFile, 1);

    af->fd = -1;
    af->mem = g_byte_array_new();
    return af;
}

GBytes *
vsAtomicFileStealMemory(vsAtomicFile *af)
{
    g_assert(af->mem && !af->finished);
    af->finished = TRUE;
    return g_byte_array_free_to_bytes(g_steal_pointer(&af->mem));
}

const char *
vsAtomicFileGetTempName(const vsAtomicFile *af)
{
    return af->tmpname;
}

void
vsAtomicFileDeferSync(vsAtomicFile *af)
{
    af->defer_sync = TRUE;
}

/* Writes @iov (consumed: bases and lengths advance) through the fault
 * hook, one writev per step; the first error is latched. */
static void
vsAtomicWriteRaw(vsAtomicFile *af, struct iovec *iov, guint niov)
{
    while (niov > 0 && af->err == 0) {
        ssize_t n;

        if (iov->iov_len == 0) {
            iov++;
            niov--;
            continue;
        }
        if ((af->err = vsAtomicEnter(VS_ATOMIC_STEP_WRITE)))
            return;
        n = writev(af->fd, iov, (int) niov);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            af->err = n < 0 ? errno : ENOSPC; /* 0 would loop forever */
            return;
        }
        /* a short write: skip what was written, resume mid-piece */
        for (; niov > 0 && (gsize) n >= iov->iov_len; iov++, niov--)
            n -= iov->iov_len;
        if (niov > 0) {
            iov->iov_base = (char *) iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
}

/* Writes everything queued; the buffer and the borrowed bytes are free again. */
static void
vsAtomicFlush(vsAtomicFile *af)
{
    vsAtomicWriteRaw(af, af->iov, af->niov);
    af->niov = 0;
    af->used = 0;
    if (af->held)
        g_ptr_array_set_size(af->held, 0);
}

/* Queues @len bytes at @p (the buffer's or borrowed), after the rest. */
static void
vsAtomicQueue(vsAtomicFile *af, const void *p, gsize len)
{
    struct iovec *last = af->niov ? &af->iov[af->niov - 1] : NULL;

    if (last && (const char *) last->iov_base + last->iov_len == p) {
        last->iov_len += len;
        return;
    }
    af->iov[af->niov].iov_base = (void *) p;
    af->iov[af->niov].iov_len = len;
    af->niov++;
}

void
vsAtomicFileWrite(vsAtomicFile *af, const void *data, gsize len)
{
    if (af->finished || af->err || len == 0)
        return;
    if (af->mem) {
        g_byte_array_append(af->mem, data, len);
        return;
    }
    if (af->used + len > VS_ATOMIC_BUF_SIZE || af->niov == VS_ATOMIC_IOV_MAX) {
        vsAtomicFlush(af);
        if (len >= VS_ATOMIC_BUF_SIZE) {
            struct iovec one = { (void *) data, len };
            vsAtomicWriteRaw(af, &one, 1);
            return;
        }
    }
    memcpy(af->buf + af->used, data, len);
    vsAtomicQueue(af, af->buf + af->used, len);
    af->used += len;
}

void
vsAtomicFileWriteBytes(vsAtomicFile *af, GBytes *bytes)
{
    gsize len;
    const void *data = g_bytes_get_data(bytes, &len);

    if (af->mem || len < VS_ATOMIC_BORROW_MIN) {
        vsAtomicFileWrite(af, data, len);
        return;
    }
    if (af->finished || af->err)
        return;
    if (af->niov == VS_ATOMIC_IOV_MAX)
        vsAtomicFlush(af);
    if (!af->held)
        af->held = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    g_ptr_array_add(af->held, g_bytes_ref(bytes));
    vsAtomicQueue(af, data, len);
}

/* Close and unlink whatever is left of the temp file; errors here cannot
 * hurt the target, and loaders clean stale temp files anyway. */
static void
vsAtomicDiscard(vsAtomicFile *af)
{
    if (af->fd >= 0)
        close(af->fd);
    af->fd = -1;
    if (af->tmpname && vsAtomicEnter(VS_ATOMIC_STEP_UNLINK) == 0)
        unlinkat(af->dirfd, af->tmpname, 0);
    g_clear_pointer(&af->tmpname, g_free);
}

int
vsAtomicFileCommit(vsAtomicFile *af, GError **error)
{
    int e;

    if (af->finished)
        return vsErr(error, VS_ERROR_FAILED, "%s: already committed", af->path);
    af->finished = TRUE;

    vsAtomicFlush(af);
    if (af->err) {
        vsErrErrno(error, af->err, "%s: cannot write temporary file", af->path);
        goto fail;
    }
    /* fsync, not fdatasync: the new file's size and inode must be durable. */
    if (!af->defer_sync && !(e = vsAtomicEnter(VS_ATOMIC_STEP_FSYNC)) && fsync(af->fd) < 0)
        e = errno;
    else if (af->defer_sync)
        e = 0;
    if (e) {
        vsErrErrno(error, e, "%s: cannot flush temporary file to disk", af->path);
        goto fail;
    }
    e = vsAtomicEnter(VS_ATOMIC_STEP_CLOSE);
    /* Linux frees the fd even on EINTR, and the data is already synced. */
    if (close(af->fd) < 0 && e == 0 && errno != EINTR)
        e = errno;
    af->fd = -1;
    if (e) {
        vsErrErrno(error, e, "%s: cannot close temporary file", af->path);
        goto fail;
    }
    if (!(e = vsAtomicEnter(VS_ATOMIC_STEP_RENAME)) &&
        renameat(af->dirfd, af->tmpname, af->dirfd, af->name) < 0)
        e = errno;
    if (e) {
        vsErrErrno(error, e, "%s: cannot replace file", af->path);
        goto fail;
    }
    g_clear_pointer(&af->tmpname, g_free);
    if (!af->defer_sync && (e = vsAtomicDirSync(af->dirfd)))
        return vsErrErrno(error, e, "%s: replaced, but cannot flush the directory to disk",
                          af->path);
    return 0;

 fail:
    vsAtomicDiscard(af);
    return -1;
}

void
vsAtomicFileFree(vsAtomicFile *af)
{
    if (!af)
        return;
    vsAtomicDiscard(af);
    if (af->mem)
        g_byte_array_unref(af->mem);
    if (af->held)
        g_ptr_array_unref(af->held);
    g_free(af->buf);
    g_free(af->path);
    g_free(af->name);
    g_free(af);
}

gboolean
vsAtomicFileIsTemp(const char *name)
{
    gsize len = strlen(name), mlen = strlen(VS_ATOMIC_TEMP_MARK);

    if (len < mlen + VS_ATOMIC_SUFFIX_LEN ||
        memcmp(name + len - VS_ATOMIC_SUFFIX_LEN - mlen, VS_ATOMIC_TEMP_MARK, mlen) != 0)
        return FALSE;
    for (gsize i = len - VS_ATOMIC_SUFFIX_LEN; i < len; i++)
        if (!g_ascii_isalnum(name[i]))
            return FALSE;
    return TRUE;
}

int
vsAtomicFileRemove(int dirfd, const char *dirpath, const char *name,
                   GError **error)
{
    g_autofree char *path = NULL;
    int e;

    if (vsAtomicCheckName(dirpath, name, error) < 0)
        return -1;
    path = g_build_filename(dirpath ? dirpath : ".", name, NULL);
    if (!(e = vsAtomicEnter(VS_ATOMIC_STEP_UNLINK)) && unlinkat(dirfd, name, 0) < 0)
        e = errno;
    if (e && e != ENOENT)
        return vsErrErrno(error, e, "%s: cannot remove file", path);
    /* Even when already gone: an earlier unlink may not have been synced. */
    if ((e = vsAtomicDirSync(dirfd)))
        return vsErrErrno(error, e, "%s: removed, but cannot flush the directory to disk",
                          path);
    return 0;
}

/* ---------------------------------------------------------------- */
/* Directories and moves                                              */

static int
vsAtomicDirOpenOne(int *out, int parent, const char *dirpath, const char *rel,
                   const char *comp, gboolean create, GError **error)
{
    struct stat st;
    int fd;

    for (int attempt = 0; attempt < 2; attempt++) {
        fd = openat(parent, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            *out = fd;
            return 0;
        }
        if (errno != ENOENT || !create)
            break;
        /* EEXIST: made by someone else meanwhile; open it (or refuse it). */
        if (mkdirat(parent, comp, 0700) < 0 && errno != EEXIST)
            return vsErrErrno(error, errno, "%s/%s: cannot create directory", dirpath, rel);
    }
    if (errno == ENOENT)
        return vsErr(error, VS_ERROR_NOT_FOUND, "%s/%s: does not exist", dirpath, rel);
    if ((errno == ELOOP || errno == ENOTDIR) &&
        fstatat(parent, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
            return vsErr(error, VS_ERROR_INVALID, "%s/%s: is a symbolic link; virtsnap never "
                         "follows links inside the store", dirpath, rel);
        return vsErr(error, VS_ERROR_INVALID, "%s/%s: exists and is not a directory",
                     dirpath, rel);
    }
    return vsErrErrno(error, errno, "%s/%s: cannot open directory", dirpath, rel);
}

int
vsAtomicDirOpen(int *out_fd, int dirfd, const char *dirpath, const char *rel,
                gboolean create, GError **error)
{
    g_auto(GStrv) comps = g_strsplit(rel, "/", -1);
    g_autoptr(GString) done = g_string_new(NULL);
    int fd = -1;

    *out_fd = -1;
    for (guint i = 0; comps[i]; i++) {
        int next = -1;

        if (!*comps[i] || strcmp(comps[i], ".") == 0 || strcmp(comps[i], "..") == 0) {
            if (fd >= 0)
                close(fd);
            return vsErr(error, VS_ERROR_INVALID, "%s/%s: invalid directory name",
                         dirpath, rel);
        }
        g_string_append_printf(done, "%s%s", i ? "/" : "", comps[i]);
        if (vsAtomicDirOpenOne(&next, fd >= 0 ? fd : dirfd, dirpath, done->str, comps[i],
                               create, error) < 0) {
            if (fd >= 0)
                close(fd);
            return -1;
        }
        if (fd >= 0)
            close(fd);
        fd = next;
    }
    *out_fd = fd;
    return fd >= 0 ? 0 : vsErr(error, VS_ERROR_INVALID, "%s/: empty directory name", dirpath);
}

int
vsAtomicSyncDir(int fd, const char *path, GError **error)
{
    int e = vsAtomicDirSync(fd);

    if (e)
        return vsErrErrno(error, e, "%s: cannot flush directory to disk", path);
    return 0;
}

int
vsAtomicSyncFs(int fd, const char *path, GError **error)
{
    int e = vsAtomicEnter(VS_ATOMIC_STEP_FSYNC);

    if (!e && syncfs(fd) < 0)
        e = errno;
    if (e)
        return vsErrErrno(error, e, "%s: cannot flush the new files to disk", path);
    return 0;
}

int
vsAtomicMove(int fromfd, const char *from, int tofd, const char *to, unsigned int flags,
             const char *from_path, const char *to_path, GError **error)
{
    int e = vsAtomicEnter(VS_ATOMIC_STEP_RENAME);

    if (!e && renameat2(fromfd, from, tofd, to, flags) < 0)
        e = errno;
    if (e)
        return vsErrErrno(error, e, "%s: cannot move to %s", from_path, to_path);
    /* The new name first: it is where the data is now. */
    if ((e = vsAtomicDirSync(tofd)) || (e = vsAtomicDirSync(fromfd))) {
        vsErrErrno(error, e, "%s: moved to %s, but cannot flush the directory to disk",
                   from_path, to_path);
        return -2;
    }
    return 0;
}
