/* store.h — the store core's internal entry points (internal): what the
 * kinds' own calls and the import sources use beside the public API. */
#pragma once

#include "virtsnap/virtsnap.h"
#include "record/moment.h"
#include "tree/tree.h"

/* A load flag beside vsDomainLoadFlags: only what the store itself holds
 * for the VM (an unconverted libvirt directory is not looked at: the
 * legacy operations read it themselves). */
#define VS_DOMAIN_LOAD_STORED_ONLY (1u << 16)

/* The public store calls (vsStoreLoadDomain, vsStoreListDomains,
 * vsStoreHasDomain, vsStoreRenameDomain: snapshots) for VM @vm's moments
 * of @kind. */
int vsStoreListKind(char ***out, vsStore *store, const vsMomentKind *kind, GError **error);
int vsStoreHasKind(gboolean *out, vsStore *store, const vsMomentKind *kind, const char *vm,
                   GError **error);
int vsStoreRenameKind(char **out_moved_aside, vsStore *store, const vsMomentKind *kind,
                      const char *from, const char *to, GError **error);
int vsStoreLoadKind(vsDomain **out, vsStore *store, const vsMomentKind *kind, const char *vm,
                    const char *uuid, unsigned int flags, GError **error);

/* The directory a directory store lives in (borrowed: valid while @store
 * is): the import sources read and write libvirt's per-file layout there.
 * Errors: VS_ERROR_INVALID for a store that is not a directory. */
int vsStoreGetDirectory(vsStore *store, int *dirfd, const char **path, GError **error);

/* Seconds since the epoch by the store's clock (vsStoreSetClock). */
gint64 vsStoreNow(const vsStore *store);
gint64 vsDomainNow(const vsDomain *dom);

/* VS_ERROR_INVALID unless @dom was loaded for writing. */
int vsDomainRequireWrite(const vsDomain *dom, GError **error);

/* How a kind adds one record to a VM (its own create call, e.g.
 * vsDomainCreateXML, has parsed and checked it): @prepare applies the
 * kind's rules against the tree as it is (refusing what libvirt refuses,
 * filling in what the record lacks: its parent, its domain, ...; it may
 * change *make_current, preset from the vsDomainAdd, where the kind derives
 * its current record), then the record is added (redefined: replacing one
 * of its name), made current if so, checked to load back as stored, and
 * the change takes the one commit path (or joins the batch).  All or
 * nothing. */
typedef int (*vsDomainPrepareFunc)(vsMoment *record, const vsTree *tree, const char *vm_uuid,
                                   gpointer data, gboolean *make_current, GError **error);
typedef struct {
    gboolean redefine;
    gboolean make_current;
    vsDomainPrepareFunc prepare;
    gpointer data;
} vsDomainAdd;
int vsDomainAddMoment(vsDomain *dom, vsMoment *record, const vsDomainAdd *how, char **out_name,
                      GError **error);

/* The handle's tree as every query sees it (a batch's, inside one). */
const vsTree *vsDomainGetTree(const vsDomain *dom);
/* Whether the store holds a record for the VM (as loaded or committed). */
gboolean vsDomainIsStored(const vsDomain *dom);
/* vsDomainReplace with a tree already built (takes @tree); with
 * @check_records each record must load back as stored.  The one commit
 * path, as every change. */
int vsDomainReplaceTree(vsDomain *dom, vsTree *tree, gboolean check_records, GError **error);
/* Reads what the store holds for the VM again (an import verifying its
 * commit; the handle's lock makes it the handle's own). */
int vsDomainReadBack(const vsDomain *dom, vsTree **out, GError **error);
/* Removes the VM's stored record without anything else (an import undoing
 * a commit that failed its verification; a delete-all moves a legacy
 * directory aside first, this does not). */
int vsDomainRemoveStored(vsDomain *dom, GError **error);
