/* atomicfile.h — replace one file durably (internal).
 *
 * Write a temporary file beside the target (created exclusively with
 * O_NOFOLLOW, mode 0600), write everything, fsync, rename over the target,
 * fsync the directory.  Until the rename the old file is the valid record.
 * Write errors are latched: callers check once, at commit.  Abandoning
 * (vsAtomicFileFree without commit) removes the temporary file.
 *
 * Temporary files are named "<target>.vstmp-XXXXXX" (X: [A-Za-z0-9]).  When
 * that would not fit in a file name (NAME_MAX, 255 bytes: a libvirt snapshot
 * file "<247-byte name>.xml" would need 264), the target's name is cut (at a
 * UTF-8 character boundary) to the first VS_ATOMIC_TEMP_BASE_MAX bytes.
 * vsAtomicFileIsTemp recognises every form, so loaders never take them for
 * data and can clean them.
 *
 * Errors are VS_ERROR_IO "DIRPATH/NAME: problem: strerror" (VS_ERROR_INVALID
 * for a bad name).  On any commit failure the temp file is removed and the
 * target is untouched, with one exception: if only the final directory fsync
 * fails, the new file is already in place (and visible) but the rename may
 * not survive a power loss; commit then still returns -1 with
 * "...: replaced, but cannot flush the directory to disk: ...".  After
 * commit (success or not) the object is finished: further writes are
 * ignored and vsAtomicFileFree only frees. */
#pragma once

#include <glib.h>

typedef struct _vsAtomicFile vsAtomicFile;

#define VS_ATOMIC_TEMP_MARK ".vstmp-"
/* The longest target name kept whole in a temporary name (255 - 13). */
#define VS_ATOMIC_TEMP_BASE_MAX (255 - (sizeof(VS_ATOMIC_TEMP_MARK) - 1) - 6)

/* @dirfd: the directory holding @name (kept open by the caller; O_PATH is
 * fine).  @dirpath is only used in error messages.  @name must be a single
 * path component (no '/', not "." or ".."). */
int vsAtomicFileOpen(vsAtomicFile **out, int dirfd, const char *dirpath,
                     const char *name, GError **error);
/* The same writer into memory (a database backend sends the bytes): no
 * file, no fault or crash steps; take the bytes with
 * vsAtomicFileStealMemory (once; then only free), never commit. */
vsAtomicFile *vsAtomicFileOpenMemory(void);
GBytes *vsAtomicFileStealMemory(vsAtomicFile *af);
/* The temporary file's name (borrowed; NULL once committed or discarded). */
const char *vsAtomicFileGetTempName(const vsAtomicFile *af);
/* For many files written together: commit then renames without the file's
 * fsync and the directory's fsync; the caller must make the files durable
 * (vsAtomicSyncFs) before anything depends on them. */
void vsAtomicFileDeferSync(vsAtomicFile *af);
void vsAtomicFileWrite(vsAtomicFile *af, const void *data, gsize len);
/* The same for @bytes, which the file may keep (a reference) instead of
 * copying, until it writes them: a commit writes the frames it copies from
 * the previous write without moving them through the buffer. */
void vsAtomicFileWriteBytes(vsAtomicFile *af, GBytes *bytes);
int vsAtomicFileCommit(vsAtomicFile *af, GError **error);
void vsAtomicFileFree(vsAtomicFile *af);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsAtomicFile, vsAtomicFileFree)

gboolean vsAtomicFileIsTemp(const char *name);

/* Removes a file durably (unlink + directory fsync); missing is fine.
 * Goes through the UNLINK and DIRSYNC steps below. */
int vsAtomicFileRemove(int dirfd, const char *dirpath, const char *name,
                       GError **error);

/* ---- Directories inside a store: never through a symbolic link ---------- */

/* Opens @rel ("a/b/c", relative to @dirfd) one component at a time with
 * O_DIRECTORY | O_NOFOLLOW, so no component is ever a followed link.  With
 * @create, missing components are made (mode 0700).  Errors name the
 * component: VS_ERROR_INVALID "DIRPATH/a/b: is a symbolic link; virtsnap never
 * follows links inside the store" (or "exists and is not a directory"),
 * VS_ERROR_NOT_FOUND without @create, VS_ERROR_IO. */
int vsAtomicDirOpen(int *out_fd, int dirfd, const char *dirpath, const char *rel,
                    gboolean create, GError **error);

/* renameat2(@fromfd/@from -> @tofd/@to, @flags: 0, RENAME_NOREPLACE or
 * RENAME_EXCHANGE) through the RENAME step, then fsync of both directories
 * (DIRSYNC steps).  @from_path and @to_path name the two in messages.
 * Returns 0; -1 when nothing moved ("FROM: cannot move to TO: ..."); -2 when
 * the rename happened but a flush failed ("FROM: moved to TO, but cannot
 * flush the directory to disk: ..."): the move is visible, maybe not durable. */
int vsAtomicMove(int fromfd, const char *from, int tofd, const char *to,
                 unsigned int flags, const char *from_path, const char *to_path,
                 GError **error);

/* fsync of a directory (DIRSYNC step); syncfs of the filesystem holding @fd
 * (FSYNC step), for files written with vsAtomicFileDeferSync. */
int vsAtomicSyncDir(int fd, const char *path, GError **error);
int vsAtomicSyncFs(int fd, const char *path, GError **error);

/* Fault injection, compiled only into test builds (VS_FAULT_INJECTION: the
 * static library that tests and fuzzers link; the shared library has none).
 * Each step of the write path (vsAtomicFile, vsAtomicFileRemove,
 * vsAtomicMove, vsAtomicSync*) calls the hook first; a non-zero return makes
 * that step fail with that errno, as if the system call had.  Tests use it to prove the
 * old file survives every failure.  WRITE is called before each write(2)
 * (a 1 MiB buffer means one call per MiB); a failing CLOSE still closes.
 * The hook is process-global and not thread-safe.
 *
 * Crash injection for the SIGKILL harness: if the environment variable
 * VIRTSNAP_CRASH_AT is "STEP:N" (STEP one of create, write, fsync, close,
 * rename, dirsync, unlink; N >= 1), the process calls _exit(99) right before
 * the Nth occurrence of that step in this process, counting every
 * vsAtomicFile and vsAtomicFileRemove call.  The variable is read once, on
 * the first step; a malformed value is reported on stderr and ignored. */
typedef enum {
    VS_ATOMIC_STEP_CREATE,
    VS_ATOMIC_STEP_WRITE,
    VS_ATOMIC_STEP_FSYNC,
    VS_ATOMIC_STEP_CLOSE,
    VS_ATOMIC_STEP_RENAME,
    VS_ATOMIC_STEP_DIRSYNC,
    VS_ATOMIC_STEP_UNLINK,
} vsAtomicStep;
typedef int (*vsAtomicFaultFunc)(vsAtomicStep step, gpointer data);
void vsAtomicFileSetFaultHook(vsAtomicFaultFunc fn, gpointer data);
