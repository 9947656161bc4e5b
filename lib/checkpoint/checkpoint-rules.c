/* checkpoint-rules.c — the checkpoint kind's rules for adding a record to
 * a VM, as libvirt 9.0's qemu driver applies them (virDomainCheckpoint-
 * AlignDisks, virDomainCheckpointRedefinePrep), its create call
 * vsDomainCheckpointCreateXML, and the store calls of the kind. */
#include <string.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/domaindisk.h"
#include "checkpoint/checkpoint-private.h"
#include "store/store.h"

/* Short for the checkpoint fields of a record. */
#define C(m) vsCheckpointFields(m)

/* ------------------------------------------------------------------ */
/* Disks                                                                */

void
vsCheckpointAssignBitmapNames(vsCheckpoint *chk)
{
    vsCheckpointRecord *c = C(chk);

    for (guint i = 0; i < c->ndisks; i++) {
        vsCheckpointDisk *d = &c->disks[i];
        if (d->type == VS_CHECKPOINT_TYPE_BITMAP && !d->bitmap)
            d->bitmap = g_strdup(chk->name);
    }
}

/* The requested disks matched to the domain's (map: domain disk ->
 * request), renamed to their targets. */
static int
alignRequested(vsCheckpointRecord *c, GArray *domdisks, int *map, GError **error)
{
    for (guint i = 0; i < c->ndisks; i++) {
        vsCheckpointDisk *cd = &c->disks[i];
        int idx = vsDomainDiskIndex(domdisks, cd->name);
        vsDomainDisk *dd;

        if (idx < 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: no disk named '%s'", cd->name);
        if (map[idx] >= 0)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: disk '%s' specified twice", cd->name);
        map[idx] = (int) i;
        dd = &g_array_index(domdisks, vsDomainDisk, idx);
        if ((dd->empty || dd->readonly) && cd->type != VS_CHECKPOINT_TYPE_NO)
            return vsErr(error, VS_ERROR_INVALID,
                         "unsupported configuration: disk '%s' is empty or readonly",
                         cd->name);
        if (strcmp(cd->name, dd->dst) != 0) {
            g_free(cd->name);
            cd->name = g_strdup(dd->dst);
        }
    }
    return 0;
}

int
vsCheckpointAlignDisks(vsCheckpoint *chk, GError **error)
{
    vsCheckpointRecord *c = C(chk);
    g_autoptr(vsDomainDiskList) domdisks = NULL;
    g_autofree int *map = NULL;
    vsCheckpointDisk *disks;
    vsCheckpointType def;

    if (!chk->domain)
        return vsErr(error, VS_ERROR_INVALID, "internal error: missing domain in checkpoint");
    if (vsDomainDisksRead(&domdisks, chk->domain, error) < 0)
        return -1;
    if (c->ndisks > domdisks->len)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: too many disk checkpoint requests for domain");
    if (domdisks->len == 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported configuration: domain must have at least one disk to "
                     "perform checkpoints");
    /* without <disks>: a bitmap on every writable disk; else none on the
     * disks left out */
    def = c->ndisks ? VS_CHECKPOINT_TYPE_NO : VS_CHECKPOINT_TYPE_BITMAP;
    map = g_new(int, domdisks->len);
    for (guint i = 0; i < domdisks->len; i++)
        map[i] = -1;
    if (alignRequested(c, domdisks, map, error) < 0)
        return -1;

    disks = g_new0(vsCheckpointDisk, domdisks->len);
    for (guint i = 0; i < domdisks->len; i++) {
        vsDomainDisk *dd = &g_array_index(domdisks, vsDomainDisk, i);

        if (map[i] >= 0) {
            disks[i] = c->disks[map[i]];
            memset(&c->disks[map[i]], 0, sizeof(vsCheckpointDisk));
            continue;
        }
        disks[i].name = g_strdup(dd->dst);
        disks[i].type = (dd->empty || dd->readonly) ? VS_CHECKPOINT_TYPE_NO : def;
    }
    for (guint i = 0; i < c->ndisks; i++)
        vsCheckpointDiskClear(&c->disks[i]);
    g_free(c->disks);
    c->disks = disks;
    c->ndisks = domdisks->len;
    vsCheckpointAssignBitmapNames(chk);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Adding a record                                                      */

/* The current checkpoint as libvirt would have it: what a change of this
 * handle made current, else what libvirt derives when it loads a VM's
 * checkpoints — the single leaf when they all form one chain. */
typedef struct {
    const vsTree *tree;
    const vsMoment *leaf;
    guint leaves;
} LeafCount;

static void
countLeaf(const vsMoment *moment, gpointer data)
{
    LeafCount *lc = data;

    if (vsTreeCountChildren(lc->tree, moment) == 0) {
        lc->leaves++;
        lc->leaf = moment;
    }
}

static const vsMoment *
currentOf(const vsTree *tree)
{
    LeafCount lc = { tree, NULL, 0 };

    if (vsTreeGetCurrent(tree))
        return vsTreeGetCurrent(tree);
    vsTreeForEach(tree, countLeaf, &lc);
    return lc.leaves == 1 ? lc.leaf : NULL;
}

/* libvirt: a checkpoint's <domain> must be the VM's own (same UUID). */
static int
checkUUID(const char *vm_uuid, const vsMoment *chk, GError **error)
{
    g_autofree char *uuid = NULL;

    if (!chk->domain || !vm_uuid)
        return 0;
    uuid = vsXmlSubtreeGetChildText(chk->domain, "uuid");
    if (!uuid || g_ascii_strcasecmp(uuid, vm_uuid) != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: definition for checkpoint %s must use uuid %s",
                     chk->name, vm_uuid);
    return 0;
}

/* virDomainCheckpointRedefinePrep */
static int
redefinePrep(vsMoment *chk, const vsTree *tree, const char *vm_uuid, gpointer data,
             gboolean *make_current, GError **error)
{
    const vsMoment *current = currentOf(tree);
    const vsMoment *parent;

    if (vsTreeCheckCycles(tree, chk, error) < 0)
        return -1;
    if (chk->domain) {
        if (checkUUID(vm_uuid, chk, error) < 0 || vsCheckpointAlignDisks(chk, error) < 0)
            return -1;
    } else {
        vsCheckpointAssignBitmapNames(chk);
    }
    parent = chk->parent_name ? vsTreeLookup(tree, chk->parent_name) : NULL;
    *make_current = !current || (parent && parent == current);
    return 0;
}

/* qemu's create of a checkpoint of a running VM, as far as metadata goes:
 * the VM's domain, the current checkpoint as parent, disks aligned. */
static int
createPrep(vsMoment *chk, const vsTree *tree, const char *vm_uuid, gpointer data,
           gboolean *make_current, GError **error)
{
    vsXmlSubtree *domain = data;
    const vsMoment *current = currentOf(tree);

    if (vsTreeLookup(tree, chk->name))
        return vsErr(error, VS_ERROR_EXISTS,
                     "invalid argument: checkpoint '%s' already exists", chk->name);
    if (domain)
        vsMomentSetDomain(chk, domain);
    else if (current && current->domain)
        vsMomentSetDomain(chk, current->domain);
    if (checkUUID(vm_uuid, chk, error) < 0 || vsCheckpointAlignDisks(chk, error) < 0)
        return -1;
    vsMomentSetParentName(chk, current ? current->name : NULL);
    *make_current = TRUE;
    return 0;
}

int
vsDomainCheckpointCreateXML(char **out_name, vsDomain *dom, const char *xml, gsize len,
                            const char *domain_xml, unsigned int flags, GError **error)
{
    g_autoptr(vsMoment) chk = NULL;
    g_autoptr(vsXmlSubtree) domain = NULL;
    gboolean redefine = (flags & VS_CHECKPOINT_CREATE_REDEFINE) != 0;

    if (out_name)
        *out_name = NULL;
    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    if (vsDomainGetKind(dom) != VS_MOMENT_CHECKPOINT)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s': the handle holds snapshots, not checkpoints",
                     vsDomainGetName(dom));
    /* libvirt 9.0's order: the API's flag rules, then the qemu driver's
     * (which knows no QUIESCE), then validation needs the running VM */
    if ((flags & VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE) && !redefine)
        return vsErr(error, VS_ERROR_INVALID,
                     "Flag 'VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE' is required by flag "
                     "'VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE'");
    if (redefine && (flags & VS_CHECKPOINT_CREATE_QUIESCE))
        return vsErr(error, VS_ERROR_INVALID,
                     "Flags 'VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE' and "
                     "'VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE' are mutually exclusive");
    if (flags & ~(VS_CHECKPOINT_CREATE_REDEFINE | VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE))
        return vsErr(error, VS_ERROR_INVALID,
                     "unsupported flags (0x%x) in function qemuCheckpointCreateXML",
                     flags & ~(VS_CHECKPOINT_CREATE_REDEFINE |
                               VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE));
    if (flags & VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE)
        return vsErr(error, VS_ERROR_INVALID,
                     "Requested operation is not valid: domain is not running");
    if (vsCheckpointParse(&chk, xml, len, redefine ? VS_CHECKPOINT_PARSE_REDEFINE : 0,
                          vsDomainNow(dom), error) < 0 ||
        vsCheckpointNameCheck(chk->name, error) < 0)
        return -1;
    if (redefine) {
        vsDomainAdd how = { TRUE, FALSE, redefinePrep, NULL };
        return vsDomainAddMoment(dom, chk, &how, out_name, error);
    }
    if (chk->creation_time == 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "internal error: checkpoint '%s': the clock reads 0, which is not a "
                     "valid creationTime", chk->name);
    if (domain_xml && vsMomentDomainFromXML(&domain, &vsCheckpointKind, domain_xml, error) < 0)
        return -1;
    {
        vsDomainAdd how = { FALSE, TRUE, createPrep, domain };
        return vsDomainAddMoment(dom, chk, &how, out_name, error);
    }
}
