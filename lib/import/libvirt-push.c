/* libvirt-push.c — push: make libvirt's records of a domain equal the
 * store's.  Compared with vsTreeDiff (the store's tree, renamed for --as,
 * against libvirt's); what only the store has is redefined in the store
 * tree's pre-order, so libvirt always holds a parents-first prefix and a
 * push that stops midway is completed by the next one. */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "import/libvirt-live.h"
#include "store/store.h"
#include "util/error.h"
#include "util/xmltext.h"

/* Sets the text of @parent's child element @name, if it has one. */
static void
setChildText(xmlNodePtr parent, const char *name, const char *text)
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *) c->name, name) == 0) {
            xmlNodeSetContent(c, NULL);
            xmlNodeAddContent(c, (const xmlChar *) text);
        }
    }
}

/* How records change on their way into the target domain. */
typedef struct {
    const char *target;           /* NULL: keep the domain's name and UUID */
    const char *uuid;             /* the target's UUID */
    const char *const *path_map;  /* OLD, NEW, ..., NULL; NULL: none */
} vsPushRewrite;

/* The first mapping whose OLD starts @path, applied; NULL when none. */
static char *
mapPath(const char *path, const char *const *map)
{
    for (guint i = 0; map[i] && map[i + 1]; i += 2) {
        if (g_str_has_prefix(path, map[i]))
            return g_strconcat(map[i + 1], path + strlen(map[i]), NULL);
    }
    return NULL;
}

/* Maps every file path below @node: a "file" attribute of any element and
 * the "dev" of a <source>. */
static void
mapPaths(xmlNodePtr node, const char *const *map)
{
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttrPtr a = c->properties; a; a = a->next) {
            const char *an = (const char *) a->name;
            g_autofree char *mapped = NULL;
            xmlChar *v;

            if (strcmp(an, "file") != 0 &&
                !(strcmp(an, "dev") == 0 && strcmp((const char *) c->name, "source") == 0))
                continue;
            v = xmlGetProp(c, a->name);
            mapped = v ? mapPath((const char *) v, map) : NULL;
            xmlFree(v);
            if (mapped)
                xmlSetProp(c, a->name, (const xmlChar *) mapped);
        }
        mapPaths(c->children, map);
    }
}

/* @xml as @rw says: the name and UUID of its <domain> and <inactiveDomain>
 * made the target's, its paths mapped. */
static int
rewriteRecord(char **out, const char *xml, const vsPushRewrite *rw, GError **error)
{
    vsXmlProblem problem = { 0 };
    xmlDocPtr doc = vsXmlReadMemory(xml, strlen(xml), NULL, 0, &problem);
    xmlNodePtr root;
    xmlChar *text = NULL;
    int len = 0;

    if (!doc) {
        vsErr(error, VS_ERROR_INVALID, "%s", problem.message ? problem.message : "bad XML");
        vsXmlProblemClear(&problem);
        return -1;
    }
    vsXmlProblemClear(&problem);
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root->children; c && rw->target; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && (strcmp((const char *) c->name, "domain") == 0 ||
                                            strcmp((const char *) c->name, "inactiveDomain") == 0)) {
            setChildText(c, "name", rw->target);
            setChildText(c, "uuid", rw->uuid);
        }
    }
    if (rw->path_map)
        mapPaths(root, rw->path_map);
    xmlDocDumpMemory(doc, &text, &len);
    xmlFreeDoc(doc);
    *out = g_strndup((const char *) text, len);
    xmlFree(text);
    return 0;
}

/* The store's tree as the target domain should hold it: the same, or
 * every record rewritten as @rw says. */
static int
pushWanted(vsTree **out, const vsLiveKind *lk, const vsTree *stored, const char *suuid,
           const vsPushRewrite *rw, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func((GDestroyNotify) vsMomentUnref);
    const vsMoment *cur = vsTreeGetCurrent(stored);

    if (!rw->target && !rw->path_map) {
        *out = vsTreeCopy(stored);
        return 0;
    }
    if (vsTreeList(&list, stored, NULL, 0, error) < 0)
        return -1;
    for (guint i = 0; i < list->len; i++) {
        const vsMoment *m = list->pdata[i];
        g_autofree char *xml = NULL;
        g_autofree char *moved = NULL;
        vsMoment *r = NULL;

        if (lk->format(&xml, m, suuid, error) < 0 ||
            rewriteRecord(&moved, xml, rw, error) < 0 ||
            lk->parse(&r, moved, error) < 0) {
            g_prefix_error(error, "%s '%s': ", lk->kind->noun, m->name);
            return -1;
        }
        g_ptr_array_add(recs, r);
    }
    return vsTreeBuild(out, lk->kind, (vsMoment *const *) recs->pdata, recs->len,
                       cur ? cur->name : NULL, error);
}

/* Redefines @m in libvirt (CURRENT with @current). */
static int
pushOne(const vsLiveKind *lk, virDomainPtr dom, const vsMoment *m, const char *uuid,
        gboolean current, const char *vm, GError **error)
{
    g_autofree char *xml = NULL;

    if (lk->format(&xml, m, uuid, error) < 0)
        return -1;
    if (lk->define(dom, xml, current) < 0)
        return vsLiveErr(error, vm, lk->kind, m->name,
                       "cannot redefine it (the snapshots pushed before it stay; "
                       "push again to complete)");
    return 0;
}

/* Whether libvirt now dumps @m as the store has it. */
static int
pushCheck(gboolean *same, const vsLiveKind *lk, virDomainPtr dom, const vsMoment *m,
          const char *uuid, const char *vm, GError **error)
{
    g_autoptr(vsMoment) back = NULL;
    g_autoptr(GString) a = g_string_new(NULL);
    g_autoptr(GString) b = g_string_new(NULL);
    char *xml = lk->dump(dom, vm, m->name, "cannot dump it back after the redefine", error);
    int rc;

    if (!xml)
        return -1;
    rc = lk->parse(&back, xml, error);
    free(xml);
    if (rc < 0)
        return -1;
    vsMomentFormatStored(a, m, uuid, 1);
    vsMomentFormatStored(b, back, uuid, 1);
    *same = g_string_equal(a, b);
    return 0;
}

/* What a push of one kind does: records to create and to replace (names
 * borrowed from the wanted tree). */
typedef struct {
    GHashTable *create;
    GHashTable *conflict;
} vsPushPlan;

static void
pushPlanClear(vsPushPlan *plan)
{
    g_clear_pointer(&plan->create, g_hash_table_unref);
    g_clear_pointer(&plan->conflict, g_hash_table_unref);
}

/* Sorts the differences into the plan; refuses conflicts without REPLACE,
 * before anything changes. */
static int
pushPlan(vsPushPlan *plan, vsLibvirtReport *report, const vsTree *wanted, const vsTree *live,
         const char *vm, const char *target, unsigned int flags, GError **error)
{
    g_autoptr(GArray) diffs = NULL;
    g_autoptr(GArray) conflicts = g_array_new(FALSE, FALSE, sizeof(vsTreeDifference));
    g_autofree char *desc = NULL;
    const vsMomentKind *kind = vsTreeGetKind(wanted);

    plan->create = g_hash_table_new(g_str_hash, g_str_equal);
    plan->conflict = g_hash_table_new(g_str_hash, g_str_equal);
    vsTreeDiff(wanted, live, &diffs);
    for (guint i = 0; i < diffs->len; i++) {
        const vsTreeDifference *d = &g_array_index(diffs, vsTreeDifference, i);

        if (d->type == VS_TREE_DIFF_ONLY_A) {
            g_hash_table_add(plan->create, (gpointer) d->name);
        } else if (d->type == VS_TREE_DIFF_RECORD) {
            g_hash_table_add(plan->conflict, (gpointer) d->name);
            g_array_append_val(conflicts, *d);
        } else if (d->type == VS_TREE_DIFF_ONLY_B) {
            vsLibvirtReportAdd(report, VS_LIBVIRT_KEPT, kind->id, d->name, NULL);
        }
    }
    if (conflicts->len == 0 || (flags & VS_LIBVIRT_REPLACE))
        return 0;
    vsLiveReportDiffs(report, wanted, live, conflicts);
    desc = vsTreeDiffDescribe(wanted, live, conflicts, "the store", "libvirt");
    return vsErr(error, VS_ERROR_EXISTS,
                 "VM '%s': libvirt's domain '%s' has %u %s%s differing from the store's "
                 "(%s); nothing was pushed (push --replace redefines them)", vm, target,
                 conflicts->len, kind->noun, conflicts->len == 1 ? "" : "s", desc);
}

/* Redefines what the plan says, in @wanted's pre-order (parents first),
 * CURRENT on the current record; then makes it current if libvirt has it
 * already but another is current. */
static int
pushApply(vsLibvirtReport *report, const vsLiveKind *lk, virDomainPtr dom,
          const vsTree *wanted, const vsTree *live, const vsPushPlan *plan, const char *uuid,
          const char *vm, unsigned int flags, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    const vsMoment *cur = vsTreeGetCurrent(wanted), *lcur = vsTreeGetCurrent(live);
    gboolean dry = (flags & VS_LIBVIRT_DRY_RUN) != 0, cur_done = FALSE;
    vsMomentKindId id = lk->kind->id;

    if (vsTreeList(&list, wanted, NULL, 0, error) < 0)
        return -1;
    for (guint i = 0; i < list->len; i++) {
        const vsMoment *m = list->pdata[i];
        gboolean same = TRUE;
        vsLibvirtEntry what = VS_LIBVIRT_SKIPPED;

        if (g_hash_table_contains(plan->create, m->name))
            what = VS_LIBVIRT_CREATED;
        else if (g_hash_table_contains(plan->conflict, m->name))
            what = VS_LIBVIRT_REPLACED;
        if (what != VS_LIBVIRT_SKIPPED && !dry &&
            pushOne(lk, dom, m, uuid, m == cur, vm, error) < 0)
            return -1;
        vsLibvirtReportAdd(report, what, id, m->name, NULL);
        if (what == VS_LIBVIRT_SKIPPED)
            continue;
        if (!dry && pushCheck(&same, lk, dom, m, uuid, vm, error) < 0)
            return -1;
        if (!same)
            vsLibvirtReportAdd(report, VS_LIBVIRT_NORMALIZED, id, m->name, NULL);
        if (m == cur) {
            vsLibvirtReportAdd(report, VS_LIBVIRT_MADE_CURRENT, id, m->name, NULL);
            cur_done = TRUE;
        }
    }
    if (cur && !cur_done && (!lcur || strcmp(lcur->name, cur->name) != 0)) {
        if (!dry && pushOne(lk, dom, cur, uuid, TRUE, vm, error) < 0)
            return -1;
        vsLibvirtReportAdd(report, VS_LIBVIRT_MADE_CURRENT, id, cur->name, NULL);
    }
    return 0;
}

static int
pushKind(vsLibvirtReport *report, const vsLiveKind *lk, virDomainPtr dom, const char *tuuid,
         vsStore *store, const char *vm, const char *target, const char *const *path_map,
         unsigned int flags, GError **error)
{
    g_autoptr(vsDomain) sd = NULL;
    g_autoptr(vsTree) wanted = NULL;
    g_autoptr(vsTree) live = NULL;
    g_autofree char *wuuid = NULL;
    vsPushPlan plan = { 0 };
    gboolean rename = strcmp(vm, target) != 0;
    vsPushRewrite rw = { rename ? target : NULL, tuuid, path_map };
    const char *suuid;
    int ret = -1;

    if (vsStoreLoadKind(&sd, store, lk->kind, vm, NULL, 0, error) < 0)
        return -1;
    if (vsTreeCount(vsDomainGetTree(sd)) == 0)
        return 0;
    suuid = vsDomainGetUUID(sd);
    if (!rename && suuid && g_ascii_strcasecmp(suuid, tuuid) != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "VM '%s': libvirt's domain has UUID %s but the stored %ss are of UUID "
                     "%s; nothing was pushed (push --as NAME restores into another domain)",
                     vm, tuuid, lk->kind->noun, suuid);
    if (pushWanted(&wanted, lk, vsDomainGetTree(sd), suuid, &rw, error) < 0 ||
        vsLiveLoad(&live, lk, dom, target, error) < 0) {
        g_prefix_error(error, "VM '%s': ", vm);
        return -1;
    }
    wuuid = vsTreeFindUUID(wanted);
    if (pushPlan(&plan, report, wanted, live, vm, target, flags, error) < 0 ||
        pushApply(report, lk, dom, wanted, live, &plan, wuuid ? wuuid : tuuid, vm, flags,
                  error) < 0)
        goto cleanup;
    ret = 0;

 cleanup:
    pushPlanClear(&plan);
    return ret;
}

int
vsLibvirtPush(vsLibvirtReport **out, vsLibvirt *lv, vsStore *store, const char *vm,
              const char *target, const char *const *path_map, unsigned int flags,
              GError **error)
{
    g_autoptr(vsLibvirtReport) report = vsLibvirtReportNew(vm);
    g_autoptr(virDomain) dom = NULL;
    char uuid[VIR_UUID_STRING_BUFLEN];
    gboolean has = FALSE;
    int ret = -1;

    if (!target)
        target = vm;
    for (guint i = 0; path_map && path_map[i]; i += 2) {
        if (!*path_map[i] || !path_map[i + 1]) {
            vsErr(error, VS_ERROR_INVALID, "VM '%s': a path mapping needs a non-empty old "
                  "prefix and a new one", vm);
            goto cleanup;
        }
    }
    if (vsStoreHasDomain(&has, store, vm, error) < 0)
        goto cleanup;
    if (!has) {
        vsErr(error, VS_ERROR_NOT_FOUND, "VM '%s': the store %s holds nothing for it", vm,
              vsStoreGetLocation(store));
        goto cleanup;
    }
    if (vsLiveLookupDomain(&dom, uuid, lv, target, error) < 0)
        goto cleanup;
    for (guint k = 0; vsLiveKinds[k]; k++) {
        if (pushKind(report, vsLiveKinds[k], dom, uuid, store, vm, target, path_map, flags,
                     error) < 0)
            goto cleanup;
    }
    ret = 0;

 cleanup:
    if (out)
        *out = g_steal_pointer(&report);
    return ret;
}
