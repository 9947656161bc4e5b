/* backend.h — where a store keeps its VMs: the interface between the store
 * core (store.c: handles, the one commit path, the one lock owner,
 * batches) and a backend (internal).
 *
 * A backend stores, per VM and kind of moment, one record: the VM's whole
 * tree, replaced atomically by each commit.  It is chosen by the store's
 * location string (vsBackendFor): backend-dir.c takes a directory path; a
 * database backend would take its URI scheme.  Everything a backend does
 * not know (kinds' rules, trees, batches, borrowed records) stays in the
 * core.  The core calls a backend from one thread per store at a time. */
#pragma once

#include "virtsnap/virtsnap.h"
#include "record/moment.h"
#include "tree/tree.h"

typedef struct _vsBackendOps vsBackendOps;

/* An open backend: its ops, then its own state (ops->open allocates it). */
typedef struct {
    const vsBackendOps *ops;
} vsBackend;

/* One VM's lock, held by a write handle from its load to vsDomainFree. */
typedef struct _vsBackendLock vsBackendLock;

/* The store's settings as the backend keeps them for every user. */
typedef struct {
    vsCompression compression;   /* how new files are stored */
    guint64 load_limit;    /* VS_STORE_LOAD_LIMIT_DEFAULT unless set */
} vsBackendSettings;

/* The settings' names of the modes (none, zstd, pieces), as the backends
 * store them; Parse fails (-1) on any other name. */
#define VS_COMPRESSION_NAMES "zstd, pieces or none"
const char *vsCompressionName(vsCompression mode);
int vsCompressionParse(const char *name, vsCompression *out);

typedef struct {
    guint64 load_limit;    /* the memory the load may hold */
    gboolean write;        /* under the VM's lock: clean up after a dead writer,
                            * and return a cache for the next commit */
    gboolean stored_only;  /* no view of data kept elsewhere (the directory
                            * backend's unconverted libvirt directories) */
} vsBackendLoadArgs;

typedef struct {
    vsTree *tree;          /* the VM's tree (NULL: nothing for the VM) */
    gboolean stored;       /* the backend holds a record for the VM */
    gpointer cache;        /* with args->write: for the next commit, or NULL */
} vsBackendLoaded;

typedef struct {
    vsBackendLock *lock;   /* the VM's, held */
    const vsTree *old;     /* what is stored now (as loaded or last committed) */
    const vsTree *next;    /* what to store; empty: the VM's record goes */
    const char *uuid;      /* the VM's, for records without a <domain> */
    vsCompression compression;
    gpointer cache;        /* @old's cache (from the load or the last commit) */
} vsBackendCommit;

struct _vsBackendOps {
    const char *name;
    /* Whether @location names a store of this backend. */
    gboolean (*accepts)(const char *location);
    /* Opens (with @create: first creates) the store at @location.  Errors:
     * VS_ERROR_NOT_FOUND (nothing there), VS_ERROR_IO, VS_ERROR_CORRUPT. */
    int (*open)(vsBackend **out, const char *location, gboolean create, GError **error);
    void (*close)(vsBackend *backend);
    int (*load_settings)(vsBackend *backend, vsBackendSettings *out, GError **error);
    int (*save_settings)(vsBackend *backend, const vsBackendSettings *settings,
                         GError **error);

    /* Sorted names of the VMs holding records of @kind. */
    int (*list)(vsBackend *backend, const vsMomentKind *kind, GPtrArray **out, GError **error);
    /* Whether anything is kept for VM @vm (its record, or data the backend
     * shows for it). */
    int (*has)(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean *out,
               GError **error);
    /* Takes VM @vm's lock (across processes; @wait, or VS_ERROR_LOCKED). */
    int (*lock)(vsBackend *backend, const vsMomentKind *kind, const char *vm, gboolean wait,
                vsBackendLock **out, GError **error);
    void (*unlock)(vsBackend *backend, vsBackendLock *lock);

    /* Reads VM @vm's record, all or nothing. */
    int (*load)(vsBackend *backend, const vsMomentKind *kind, const char *vm,
                const vsBackendLoadArgs *args, vsBackendLoaded *out, GError **error);
    /* Replaces VM @vm's record with commit->next, durably and atomically:
     * on failure what was stored stays.  Given the old tree and its cache,
     * a backend keeps what did not change (the directory backend copies
     * the compressed frames of unchanged runs of records).  *out_cache: for
     * the next commit; *out_note: what the user should be told (a
     * directory moved aside), or NULL, also on failure. */
    int (*commit)(vsBackend *backend, const vsMomentKind *kind, const char *vm,
                  const vsBackendCommit *commit, gpointer *out_cache, char **out_note,
                  GError **error);
    /* Removes VM @vm's record and nothing else (an import undoing itself). */
    int (*remove)(vsBackend *backend, const vsMomentKind *kind, const char *vm,
                  GError **error);
    /* Moves VM @from's record to @to (both locked by the caller).  Errors:
     * VS_ERROR_NOT_FOUND, VS_ERROR_EXISTS. */
    int (*rename)(vsBackend *backend, const vsMomentKind *kind, const char *from,
                  const char *to, char **out_note, GError **error);
    void (*cache_free)(gpointer cache);

    /* Optional: the directory the store is (import sources read libvirt's
     * per-file layout there).  FALSE: not a directory store. */
    gboolean (*directory)(vsBackend *backend, int *dirfd, const char **path);
};

/* The backend for @location (the directory backend takes any path). */
const vsBackendOps *vsBackendFor(const char *location);

extern const vsBackendOps vsBackendDirOps;
/* postgresql:// and postgres:// (backend-pg.c; without libpq, backend-pg-none.c). */
extern const vsBackendOps vsBackendPgOps;
