/* snapshot-rules.c — the snapshot kind's rules for adding a record to a
 * VM, as libvirt's qemu driver applies them (qemuSnapshotCreateXML and its
 * RedefinePrep; SEMANTICS §1.9), and vsDomainCreateXML, the snapshot's
 * create call: it parses and checks the record, then hands it to the store
 * core's generic path (vsDomainAddMoment) with these rules. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "snapshot/snapshot-private.h"
#include "store/store.h"

static gboolean
stateIsOnline(vsSnapshotState state)
{
    return state == VS_SNAPSHOT_STATE_RUNNING || state == VS_SNAPSHOT_STATE_PAUSED;
}

/* libvirt: a snapshot's <domain> must be the VM's own (same UUID). */
static int
checkUUID(const char *vm_uuid, const char *name, vsXmlSubtree *domain, GError **error)
{
    g_autofree char *uuid = NULL;

    if (!domain || !vm_uuid)
        return 0;
    uuid = vsXmlSubtreeGetChildText(domain, "uuid");
    if (uuid && g_ascii_strcasecmp(uuid, vm_uuid) != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: definition for snapshot %s must use uuid %s",
                     name, vm_uuid);
    return 0;
}

/* The states the qemu driver takes (or, with REDEFINE, records) a snapshot
 * in: the VM's state on a plain create, the record's <state> on a redefine
 * (libvirt's qemuSnapshotCreateXMLValidateDef, checked right after the name
 * and before anything that looks at the tree). */
static int
snapshotStateCheck(vsSnapshotState state, gboolean redefine, GError **error)
{
    const char *name;

    switch (state) {
    case VS_SNAPSHOT_STATE_RUNNING:
    case VS_SNAPSHOT_STATE_PAUSED:
    case VS_SNAPSHOT_STATE_SHUTDOWN:
    case VS_SNAPSHOT_STATE_SHUTOFF:
    case VS_SNAPSHOT_STATE_CRASHED:
        return 0;
    case VS_SNAPSHOT_STATE_DISK_SNAPSHOT:
        if (redefine)
            return 0;
        break;
    case VS_SNAPSHOT_STATE_PMSUSPENDED:
        return vsErr(error, VS_ERROR_INVALID,
                     "Operation not supported: qemu doesn't support taking snapshots "
                     "of PMSUSPENDED guests");
    default:
        break;
    }
    name = vsSnapshotStateToString(state);
    return vsErr(error, VS_ERROR_INVALID, "internal error: Invalid domain state %s",
                 name ? name : "(null)");
}

/* libvirt's RedefinePrep: checks against the tree and the existing record. */
static int
redefinePrep(vsMoment *snap, const vsTree *tree, const char *vm_uuid, gpointer data,
             gboolean *make_current, GError **error)
{
    unsigned int flags = GPOINTER_TO_UINT(data);
    const char *name = vsMomentGetName(snap);
    const vsSnapshot *other = vsTreeLookup(tree, name);
    vsXmlSubtree *domain = vsMomentGetDomain(snap);
    vsSnapshotState state = vsSnapshotGetState(snap);

    if (vsMomentGetParentName(snap) && vsTreeCheckCycles(tree, snap, error) < 0)
        return -1;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) && state != VS_SNAPSHOT_STATE_DISK_SNAPSHOT)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: disk-only flag for snapshot %s requires "
                     "disk-snapshot state", name);
    if (checkUUID(vm_uuid, name, domain, error) < 0)
        return -1;
    if (other) {
        vsSnapshotState ostate = vsSnapshotGetState(other);
        if (stateIsOnline(ostate) != stateIsOnline(state))
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: cannot change between online and offline "
                         "snapshot state in snapshot %s", name);
        if ((ostate == VS_SNAPSHOT_STATE_DISK_SNAPSHOT) !=
            (state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT))
            return vsErr(error, VS_ERROR_INVALID,
                         "invalid argument: cannot change between disk only and full "
                         "system in snapshot %s", name);
        /* A redefinition without <domain> keeps the one already stored. */
        if (!domain && vsMomentGetDomain(other))
            vsMomentSetDomain(snap, vsMomentGetDomain(other));
    }
    return vsSnapshotAlignDisks(snap, other ? vsMomentGetDomain(other) : NULL,
                                VS_SNAPSHOT_ALIGN_REDEFINE, error);
}

typedef struct {
    const char *domain_xml;
    vsSnapshotState vm_state;
    unsigned int flags;
} CreateInput;

/* Fills in what a hypervisor supplies on a plain create (SEMANTICS §1.9). */
static int
createPrep(vsMoment *snap, const vsTree *tree, const char *vm_uuid, gpointer data,
           gboolean *make_current, GError **error)
{
    const CreateInput *in = data;
    const char *domain_xml = in->domain_xml;
    vsSnapshotState vm_state = in->vm_state;
    unsigned int flags = in->flags;
    const char *name = vsMomentGetName(snap);
    const vsSnapshot *current = vsTreeGetCurrent(tree);
    g_autoptr(vsXmlSubtree) domain = NULL;
    vsSnapshotState state;
    vsSnapshotLocation memory = vsSnapshotGetMemoryLocation(snap);

    if (vsTreeLookup(tree, name))
        return vsErr(error, VS_ERROR_EXISTS,
                     "operation failed: domain moment %s already exists", name);

    if (domain_xml) {
        if (vsMomentDomainFromXML(&domain, &vsSnapshotKind, domain_xml, error) < 0)
            return -1;
    } else if (current && vsMomentGetDomain(current)) {
        domain = vsXmlSubtreeRef(vsMomentGetDomain(current));
    } else {
        return vsErr(error, VS_ERROR_INVALID, "internal error: missing domain in snapshot");
    }
    if (checkUUID(vm_uuid, name, domain, error) < 0)
        return -1;
    vsMomentSetDomain(snap, domain);

    state = vm_state;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) && vm_state != VS_SNAPSHOT_STATE_SHUTOFF)
        state = VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
    vsSnapshotSetState(snap, state);

    if (memory == VS_SNAPSHOT_LOCATION_DEFAULT) {
        gboolean offline = state == VS_SNAPSHOT_STATE_SHUTOFF ||
                           state == VS_SNAPSHOT_STATE_DISK_SNAPSHOT;
        vsSnapshotSetMemoryLocation(snap, offline ? VS_SNAPSHOT_LOCATION_NO
                                                  : VS_SNAPSHOT_LOCATION_INTERNAL);
    } else if (memory == VS_SNAPSHOT_LOCATION_NO && stateIsOnline(state) &&
               !(flags & VS_SNAPSHOT_CREATE_DISK_ONLY)) {
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: internal snapshot of a running VM must "
                     "include the memory state");
    }
    vsMomentSetParentName(snap, current ? vsMomentGetName(current) : NULL);
    return vsSnapshotAlignDisks(snap, NULL,
                                (flags & VS_SNAPSHOT_CREATE_DISK_ONLY) ? VS_SNAPSHOT_ALIGN_DISK_ONLY : 0,
                                error);
}

int
vsDomainCreateXML(char **out_name, vsDomain *dom, const char *xml, gsize len,
                  const char *domain_xml, vsSnapshotState vm_state, unsigned int flags,
                  GError **error)
{
    const unsigned int supported = VS_SNAPSHOT_CREATE_REDEFINE | VS_SNAPSHOT_CREATE_CURRENT |
                                   VS_SNAPSHOT_CREATE_DISK_ONLY | VS_SNAPSHOT_CREATE_ATOMIC |
                                   VS_SNAPSHOT_CREATE_VALIDATE;
    g_autoptr(vsSnapshot) snap = NULL;
    unsigned int parse_flags = 0;
    gboolean redefine = flags & VS_SNAPSHOT_CREATE_REDEFINE;

    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    if ((flags & VS_SNAPSHOT_CREATE_CURRENT) && !redefine)
        return vsErr(error, VS_ERROR_INVALID,
                     "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is required by flag "
                     "'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'");
    if (redefine && (flags & VS_SNAPSHOT_CREATE_NO_METADATA))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' and "
                     "'VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA' are mutually exclusive");
    if (flags & VS_SNAPSHOT_CREATE_NO_METADATA)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported flags: virtsnap keeps only snapshot metadata, so a "
                     "snapshot without metadata would store nothing");
    if (flags & ~supported)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported flags (0x%x): virtsnap does not run the hypervisor",
                     flags & ~supported);

    if (redefine)
        parse_flags |= VS_SNAPSHOT_PARSE_REDEFINE;
    if ((flags & VS_SNAPSHOT_CREATE_DISK_ONLY) ||
        (!redefine && (vm_state == VS_SNAPSHOT_STATE_NOSTATE ||
                       vm_state == VS_SNAPSHOT_STATE_SHUTOFF)))
        parse_flags |= VS_SNAPSHOT_PARSE_OFFLINE;
    if (flags & VS_SNAPSHOT_CREATE_VALIDATE)
        parse_flags |= VS_SNAPSHOT_PARSE_VALIDATE;

    if (!redefine && vm_state == VS_SNAPSHOT_STATE_NOSTATE)
        vm_state = VS_SNAPSHOT_STATE_SHUTOFF;
    if (vsSnapshotParse(&snap, xml, len, parse_flags, vsDomainNow(dom), NULL, error) < 0 ||
        vsSnapshotNameCheck(vsMomentGetName(snap), error) < 0 ||
        snapshotStateCheck(redefine ? vsSnapshotGetState(snap) : vm_state, redefine, error) < 0)
        return -1;
    if (!redefine && vsMomentGetCreationTime(snap) == 0)   /* not storable */
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: snapshot '%s': the clock reads 0, which is not a "
                     "valid creationTime", vsMomentGetName(snap));

    if (redefine) {
        vsDomainAdd how = { TRUE, (flags & VS_SNAPSHOT_CREATE_CURRENT) != 0, redefinePrep,
                            GUINT_TO_POINTER(flags) };
        return vsDomainAddMoment(dom, snap, &how, out_name, error);
    } else {
        CreateInput in = { domain_xml, vm_state, flags };
        vsDomainAdd how = { FALSE, TRUE, createPrep, &in };
        return vsDomainAddMoment(dom, snap, &how, out_name, error);
    }
}
