/* dir-layout.h — where things are in a directory store (internal): the
 * one VM-to-file mapping, the private area DIR/.virtsnap/, and directories
 * moved aside there.  Used by the directory backend and by the import
 * sources that read libvirt's per-file layout in the same directory.
 *
 *   DIR/<vm>.xml                    VM <vm>'s snapshots (the bulk file)
 *   DIR/<vm>/<name>.xml             libvirt's own layout (format/legacyfile.h)
 *   DIR/.virtsnap/config            the store's settings
 *   DIR/.virtsnap/locks/<vm>.lock   one flock per VM
 *   DIR/.virtsnap/legacy/<vm>/<N>/  legacy directories moved aside
 *   DIR/.virtsnap/export/<vm>/      an export being staged
 * VM names never start with '.', so nothing under .virtsnap is ever a VM's. */
#pragma once

#include <glib.h>

#define VS_DIR_PRIVATE ".virtsnap"
#define VS_DIR_CONFIG "config"
#define VS_DIR_LOCKS ".virtsnap/locks"
#define VS_LEGACY_ASIDE_DIR ".virtsnap/legacy"
#define VS_LEGACY_STAGING_DIR ".virtsnap/export"

/* What follows a VM's name in its bulk file's name. */
#define VS_DIR_BULK_SUFFIX ".xml"
/* THE VM-to-file mapping: the name of VM @vm's bulk file in the store
 * directory, "<vm>.xml".  g_free. */
char *vsDirBulkName(const char *vm);

/* A moved-aside directory DIR/.virtsnap/legacy/<vm>/<N>/. */
typedef struct {
    int containerfd;   /* DIR/.virtsnap/legacy/<vm>/, opened without following links */
    int fd;            /* N itself once created, else -1 */
    char *name;        /* "N" */
    char *rel;         /* ".virtsnap/legacy/<vm>/N" (reports) */
    char *path;        /* DIRPATH/rel (messages) */
} vsLegacyAside;

/* Picks the next N (creating the directories above it, never through a
 * link) and, with @create, makes and opens N for moving entries into it.
 * Clear with vsLegacyAsideClear, also after a failure. */
int vsLegacyAsideNew(vsLegacyAside *out, int dirfd, const char *dirpath, const char *vm,
                     gboolean create, GError **error);
void vsLegacyAsideClear(vsLegacyAside *aside);
/* Moves the whole directory DIR/<vm>/ to the next N, durably (one rename,
 * both directories flushed).  -2: moved, but a flush failed. */
int vsLegacyAsideMoveDir(int dirfd, const char *dirpath, const char *vm, vsLegacyAside *aside,
                         GError **error);

/* Before VM @vm's bulk file is removed or renamed: a legacy directory
 * DIR/<vm>/ (an export, or a conversion that kept it) would become the VM's
 * snapshots again, bringing deleted ones back.  It is moved aside first,
 * so a crash in between leaves the bulk file as the truth.  *out_aside is
 * its new path (NULL when there was none; set also when it moved but a
 * flush failed). */
int vsDirMoveLegacyAside(char **out_aside, int dirfd, const char *dirpath, const char *vm,
                         GError **error);
