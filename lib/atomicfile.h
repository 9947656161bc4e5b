/* atomicfile.h — replace one file durably (internal).
 *
 * Write a temporary file beside the target (created exclusively with
 * O_NOFOLLOW, mode 0600), write everything, fsync, rename over the target,
 * fsync the directory.  Until the rename the old file is the valid record.
 * Write errors are latched: callers check once, at commit.  Abandoning
 * (vsAtomicFileFree without commit) removes the temporary file.
 *
 * Temporary files are named "<target>.vstmp-XXXXXX"; vsAtomicFileIsTemp
 * recognises them so loaders never take them for data and can clean them. */
#pragma once

#include <glib.h>

typedef struct _vsAtomicFile vsAtomicFile;

#define VS_ATOMIC_TEMP_MARK ".vstmp-"

/* @dirfd: the directory holding @name (kept open by the caller). */
int vsAtomicFileOpen(vsAtomicFile **out, int dirfd, const char *dirpath,
                     const char *name, GError **error);
void vsAtomicFileWrite(vsAtomicFile *af, const void *data, gsize len);
int vsAtomicFileCommit(vsAtomicFile *af, GError **error);
void vsAtomicFileFree(vsAtomicFile *af);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vsAtomicFile, vsAtomicFileFree)

gboolean vsAtomicFileIsTemp(const char *name);

/* Removes a file durably (unlink + directory fsync); missing is fine. */
int vsAtomicFileRemove(int dirfd, const char *dirpath, const char *name,
                       GError **error);

/* Fault injection (compiled in always; inert unless set).  Each step of the
 * write path calls the hook first; a non-zero return makes that step fail
 * with that errno, as if the system call had.  Tests use it to prove the
 * old file survives every failure. */
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
