/* store-private.h — the store core's handles, shared by store.c and
 * store-ops.c only. */
#pragma once

#include "store/backend.h"
#include "store/store.h"

/* A store lives until vsStoreFree and its last VM handle are gone: a
 * handle keeps the backend it needs (its lock, its cache) even when the
 * caller frees the store first. */
struct _vsStore {
    gint refs;
    char *location;            /* as given to vsStoreOpen */
    vsBackend *backend;
    vsBackendSettings settings;
    vsClockFunc clock;
    gpointer clock_data;
    guint64 commits;
};

struct _vsDomain {
    vsStore *store;
    const vsMomentKind *kind;
    char *name;
    char *uuid;         /* NULL when unknown */
    vsTree *tree;       /* as stored */
    vsTree *pending;    /* in a batch (vsDomainBegin): the tree being built */
    gboolean dirty;     /* the batch changed something */
    gboolean stored;    /* the backend holds a record (as loaded, or committed) */
    vsBackendLock *lock;  /* write handles: held until vsDomainFree */
    gpointer cache;     /* the backend's, for the next commit */
    /* A reference to every record this handle has handed out, so that each
     * stays valid until vsDomainFree although a later operation drops or
     * replaces it in the tree (virtsnap.h, "Borrowed records").  Only what
     * was handed out is kept: one entry per distinct record. */
    GHashTable *lent;
    char *moved_aside;  /* the last commit's note, or NULL */
};

/* The tree every query and change sees: inside a batch, the batch's. */
static inline vsTree *
vsDomainView(const vsDomain *dom)
{
    return dom->pending ? dom->pending : dom->tree;
}

/* VS_ERROR_INVALID unless @dom was loaded for writing. */
int vsDomainRequireWrite(const vsDomain *dom, GError **error);
/* The one way a change takes effect (store.c): inside a batch it becomes
 * the batch's tree, otherwise it is committed.  Takes @tree; on failure
 * frees it and changes nothing. */
int vsDomainApply(vsDomain *dom, vsTree *tree, GError **error);
/* Hands @moment out (see "lent"); returns it. */
const vsMoment *vsDomainLend(const vsDomain *dom, const vsMoment *moment);
