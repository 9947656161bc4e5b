/* store-ops.c — what callers do with a VM handle, whatever the kind of
 * moment: queries on the tree as it is now (records lent until
 * vsDomainFree), and the changes every kind shares (set current, delete,
 * replace the whole tree, and the generic part of adding one record, whose
 * kind-specific rules come from the kind's own create call). */
#include "util/error.h"
#include "format/bulkfile.h"
#include "store/store-private.h"

/* ---------------------------------------------------------------- */
/* Queries                                                            */

guint
vsDomainCount(const vsDomain *dom)
{
    return vsTreeCount(vsDomainView(dom));
}

const vsMoment *
vsDomainLookup(const vsDomain *dom, const char *name, GError **error)
{
    const vsMoment *moment = name ? vsTreeLookup(vsDomainView(dom), name) : NULL;
    if (!moment)
        vsTreeErrNotFound(vsDomainView(dom), error, name ? name : "");
    return vsDomainLend(dom, moment);
}

const vsMoment *
vsDomainGetCurrent(const vsDomain *dom, GError **error)
{
    const vsMoment *moment = vsTreeGetCurrent(vsDomainView(dom));
    if (!moment)
        vsMomentErrNoCurrent(dom->kind, error);
    return vsDomainLend(dom, moment);
}

const vsMoment *
vsDomainGetParent(const vsDomain *dom, const vsMoment *moment)
{
    return vsDomainLend(dom, vsTreeGetParent(vsDomainView(dom), moment));
}

guint
vsDomainCountChildren(const vsDomain *dom, const vsMoment *moment)
{
    return vsTreeCountChildren(vsDomainView(dom), moment);
}

guint
vsDomainCountDescendants(const vsDomain *dom, const vsMoment *moment)
{
    return vsTreeCountDescendants(vsDomainView(dom), moment);
}

int
vsDomainListMoments(GPtrArray **out, const vsDomain *dom, const vsMoment *from,
                      unsigned int flags, GError **error)
{
    if (vsTreeList(out, vsDomainView(dom), from, flags, error) < 0)
        return -1;
    for (guint i = 0; i < (*out)->len; i++)
        vsDomainLend(dom, g_ptr_array_index(*out, i));
    return 0;
}

/* ---------------------------------------------------------------- */
/* Changes                                                            */

int
vsDomainReplaceTree(vsDomain *dom, vsTree *tree, gboolean check_records, GError **error)
{
    g_autoptr(vsTree) next = tree;
    g_autofree char *uuid = dom->uuid ? g_strdup(dom->uuid) : vsTreeFindUUID(next);
    g_autoptr(GPtrArray) all = NULL;

    if (check_records) {
        if (vsTreeList(&all, next, NULL, 0, error) < 0)
            return -1;
        for (guint i = 0; i < all->len; i++) {
            if (vsBulkRecordCheck(all->pdata[i], uuid, error) < 0)
                return -1;
        }
    }
    if (!dom->uuid)
        dom->uuid = g_steal_pointer(&uuid);
    return vsDomainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainReplace(vsDomain *dom, vsMoment *const *records, guint n, const char *current,
                GError **error)
{
    vsTree *next = NULL;

    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    for (guint i = 0; i < n; i++) {
        if (records[i]->kind != dom->kind)
            return vsErr(error, VS_ERROR_INVALID, "VM '%s': record '%s' is a %s, not a %s",
                         dom->name, records[i]->name, records[i]->kind->noun,
                         dom->kind->noun);
        if (dom->kind->name_check(records[i]->name, error) < 0)
            return -1;
    }
    if (vsTreeBuild(&next, dom->kind, records, n, current, error) < 0)
        return -1;
    return vsDomainReplaceTree(dom, next, TRUE, error);
}

int
vsDomainSetCurrent(vsDomain *dom, const char *name, GError **error)
{
    g_autoptr(vsTree) next = NULL;

    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    if (!dom->kind->stores_current)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s': a current %s is not set but follows from the tree",
                     dom->name, dom->kind->noun);
    if (!vsTreeLookup(vsDomainView(dom), name))
        return vsTreeErrNotFound(vsDomainView(dom), error, name);
    next = vsTreeCopy(vsDomainView(dom));
    if (vsTreeSetCurrent(next, name, error) < 0)
        return -1;
    return vsDomainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainDelete(vsDomain *dom, const char *name, unsigned int flags, GError **error)
{
    g_autoptr(vsTree) next = NULL;

    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    next = vsTreeCopy(vsDomainView(dom));
    if (vsTreeDelete(next, name, flags, error) < 0)
        return -1;
    return vsDomainApply(dom, g_steal_pointer(&next), error);
}

int
vsDomainDeleteAll(vsDomain *dom, GError **error)
{
    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    return vsDomainApply(dom, vsTreeNew(dom->kind), error);
}

int
vsDomainAddMoment(vsDomain *dom, vsMoment *record, const vsDomainAdd *how, char **out_name,
                  GError **error)
{
    g_autoptr(vsTree) next = NULL;
    gboolean make_current = how->make_current;

    if (vsDomainRequireWrite(dom, error) < 0)
        return -1;
    g_return_val_if_fail(record->kind == dom->kind, -1);
    next = vsTreeCopy(vsDomainView(dom));
    if (how->prepare(record, next, dom->uuid, how->data, &make_current, error) < 0)
        return -1;
    if (how->redefine ? vsTreeRedefine(next, record, error) < 0
                      : vsTreeAdd(next, record, error) < 0)
        return -1;
    if (make_current && vsTreeSetCurrent(next, record->name, error) < 0)
        return -1;
    if (!dom->uuid)
        dom->uuid = vsMomentGetDomainUUID(record);
    /* What the VM's file could not load back is refused here, whatever
     * the record's path to this point (libxml2's limits apply to the
     * stored bytes, not to the document that was given). */
    if (vsBulkRecordCheck(record, dom->uuid, error) < 0)
        return -1;
    if (out_name)
        *out_name = g_strdup(record->name);
    return vsDomainApply(dom, g_steal_pointer(&next), error);
}

/* ---------------------------------------------------------------- */
/* The whole document                                                 */

int
vsDomainWriteDocument(const vsDomain *dom, vsDocumentWriteFunc write, gpointer data,
                      GError **error)
{
    return vsBulkFileFormatTo(vsDomainView(dom), dom->uuid, write, data, error);
}
