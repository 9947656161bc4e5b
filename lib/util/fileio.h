/* fileio.h — reading files and directories of a store (internal): the one
 * capped read, the sorted listing, and opening a file in a private
 * directory without following links. */
#pragma once

#include <glib.h>

/* Reads the rest of @fd into a new NUL-terminated buffer (*len bytes, the
 * NUL not counted).  More than @max bytes is VS_ERROR_TOO_LARGE "LABEL:
 * larger than MAX bytes", nothing kept; a read error is VS_ERROR_IO "LABEL:
 * cannot read: ...".  @fd is left open. */
int vsFileReadAll(char **out, gsize *len, int fd, gsize max, const char *label,
                  GError **error);

/* strcmp for sorting a GPtrArray of strings (g_ptr_array_sort). */
gint vsStrcmpIndirect(gconstpointer a, gconstpointer b);

/* Sorted names of @fd's entries ("." and ".." left out); @fd stays open.
 * @path names the directory in messages ("PATH: cannot read directory"). */
int vsDirList(GPtrArray **out, int fd, const char *path, GError **error);

/* Opens DIRPATH/SUBDIR/NAME relative to @dirfd with open(2) @flags (O_CREAT
 * makes the file and the directories, mode 0700/0600), never through a
 * link: the directories one component at a time (vsAtomicDirOpen), the file
 * with O_NOFOLLOW and checked to be a regular file.  *out is -1 with no
 * error when the file or its directory is missing and nothing was to be
 * created.  Errors: VS_ERROR_INVALID (a link, not a regular file), VS_ERROR_IO. */
int vsFileOpenPrivate(int *out, int dirfd, const char *dirpath, const char *subdir,
                      const char *name, int flags, GError **error);
