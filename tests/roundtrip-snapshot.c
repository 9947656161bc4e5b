/* roundtrip-snapshot.c — the snapshot half of the round-trip test:
 * random <domainsnapshot> documents (every state, memory and disk
 * variations, cookies), plain creates, redefines of new and existing
 * snapshots, set current. */
#include <string.h>

#include "roundtrip.h"

static const char *const states[] = {
    "running", "paused", "shutoff", "shutdown", "crashed", "disk-snapshot", "blocked",
    "nostate", "pmsuspended",
};

static const char *const disk_targets[] = { "vda", "vdb", "v\tdc" };

/* <memory> and <disks>: what a hypervisor would have recorded, or not. */
static void
randomMemoryAndDisks(Run *run, GString *xml, gboolean online)
{
    guint m = rtPick(run, 4);

    if (m == 1)
        g_string_append(xml, "<memory snapshot='no'/>");
    else if (m == 2 && online)
        g_string_append(xml, "<memory snapshot='internal'/>");
    else if (m == 3 && online) {
        g_string_append(xml, rtChance(run, 90) ? "<memory snapshot='external' file='/mem/"
                                               : "<memory snapshot='external' file='mem&#10;");
        rtRandomText(run, xml, 0);
        rtSpell(run, xml, "\tm\r"[rtPick(run, 3)], TRUE);
        g_string_append(xml, "'/>");
    }
    if (rtChance(run, 40)) {
        g_string_append(xml, "<disks>");
        for (guint i = 0; i < G_N_ELEMENTS(disk_targets); i++) {
            if (rtChance(run, 30))
                continue;
            g_string_append(xml, "<disk name='");
            rtSpellString(run, xml, disk_targets[i], TRUE);
            if (rtChance(run, 50)) {
                g_string_append(xml, "' snapshot='external'><driver type='qcow2'/>"
                                     "<source file='/snap/");
                rtSpell(run, xml, "\tx\n"[rtPick(run, 3)], TRUE);
                g_string_append(xml, "'/></disk>");
            } else {
                g_string_append(xml, rtChance(run, 50) ? "' snapshot='internal'/>"
                                                       : "' snapshot='no'/>");
            }
        }
        g_string_append(xml, "</disks>");
    }
}

/* A <domain> that is no definition, as older snapshots carry it: only a
 * <uuid> (the VM's or another), or a whole definition whose type is
 * empty.  The record keeps the uuid alone; the same text in two records
 * is what a file's repeat table must not take for a definition. */
static void
appendUntypedDomain(Run *run, GString *xml)
{
    g_autoptr(GString) whole = NULL;

    if (rtChance(run, 50)) {
        g_string_append_printf(xml, "<domain><uuid>%s</uuid></domain>",
                               rtChance(run, 50) ? RT_UUID
                                                 : "0b6e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c");
        return;
    }
    whole = g_string_new(NULL);
    rtRandomDomain(run, whole, FALSE);
    g_assert_true(g_str_has_prefix(whole->str, "<domain type='kvm'"));
    g_string_erase(whole, strlen("<domain type='"), strlen("kvm"));
    g_string_append_len(xml, whole->str, whole->len);
}

/* A whole <domainsnapshot> for a redefine: of @name (spelled as @spelled),
 * a random parent and time, a state, memory and disks, maybe a domain. */
static char *
redefineXML(Run *run, const char *spelled)
{
    GString *xml = g_string_new("<domainsnapshot><name>");
    const char *state = states[rtPick(run, rtChance(run, 80) ? 6 : G_N_ELEMENTS(states))];
    gboolean online = strcmp(state, "running") == 0 || strcmp(state, "paused") == 0;

    g_string_append(xml, spelled);
    g_string_append(xml, "</name>");
    if (rtChance(run, 60)) {
        g_string_append(xml, "<description>");
        rtRandomText(run, xml, 30);
        g_string_append(xml, "</description>");
    }
    g_string_append_printf(xml, "<state>%s</state>", state);
    rtAppendParent(run, xml, rtRandomName);
    rtAppendTime(run, xml);
    randomMemoryAndDisks(run, xml, online);
    if (rtChance(run, 8))
        appendUntypedDomain(run, xml);
    else if (rtChance(run, 85))
        rtRandomDomain(run, xml, FALSE);
    if (online && rtChance(run, 20))
        g_string_append(xml, "<cookie><cpu mode='custom'><model>qemu64</model></cpu>"
                             "<slirpHelper/></cookie>");
    g_string_append(xml, "</domainsnapshot>");
    return g_string_free(xml, FALSE);
}

static int
opPlainCreate(Run *run, GError **error)
{
    g_autoptr(GString) xml = g_string_new("<domainsnapshot>");
    g_autoptr(GString) name = g_string_new(NULL);
    g_autoptr(GString) domain = g_string_new(NULL);
    static const vsSnapshotState vm_states[] = {
        0, VS_SNAPSHOT_STATE_RUNNING, VS_SNAPSHOT_STATE_PAUSED, VS_SNAPSHOT_STATE_SHUTOFF,
        VS_SNAPSHOT_STATE_SHUTDOWN, VS_SNAPSHOT_STATE_CRASHED,
    };
    vsSnapshotState vm_state = vm_states[rtPick(run, G_N_ELEMENTS(vm_states))];
    gboolean online = vm_state == VS_SNAPSHOT_STATE_RUNNING ||
                      vm_state == VS_SNAPSHOT_STATE_PAUSED;

    run->op = "plain create";
    if (rtChance(run, 90)) {
        g_string_append(xml, "<name>");
        rtRandomName(run, xml, name);
        g_string_append(xml, "</name>");
    }
    if (rtChance(run, 50)) {
        g_string_append(xml, "<description>");
        rtRandomText(run, xml, 20);
        g_string_append(xml, "</description>");
    }
    randomMemoryAndDisks(run, xml, online);
    g_string_append(xml, "</domainsnapshot>");
    if (rtChance(run, 70))
        rtRandomDomain(run, domain, FALSE);
    return vsDomainCreateXML(NULL, run->dom, xml->str, xml->len,
                             domain->len ? domain->str : NULL, vm_state,
                             rtChance(run, 15) ? VS_SNAPSHOT_CREATE_DISK_ONLY : 0, error);
}

static int
opRedefine(Run *run, gboolean existing, GError **error)
{
    g_autoptr(GString) spelled = g_string_new(NULL);
    g_autoptr(GString) name = g_string_new(NULL);
    g_autofree char *xml = NULL;
    const char *old = existing ? rtExistingName(run) : NULL;
    unsigned int flags = VS_SNAPSHOT_CREATE_REDEFINE;

    run->op = existing ? "redefine existing" : "redefine new";
    if (old)
        rtSpellString(run, spelled, old, FALSE);
    else
        rtRandomName(run, spelled, name);
    xml = redefineXML(run, spelled->str);
    if (rtChance(run, 25))
        flags |= VS_SNAPSHOT_CREATE_CURRENT;
    return vsDomainCreateXML(NULL, run->dom, xml, strlen(xml), NULL, 0, flags, error);
}

static int
opSetCurrent(Run *run, GError **error)
{
    const char *name = rtExistingName(run);
    g_autofree char *copy = g_strdup(name ? name : "none");

    run->op = "set current";
    return vsDomainSetCurrent(run->dom, copy, error);
}

static int
change(Run *run, GError **error)
{
    guint op = rtPick(run, 100);

    if (op < 25)
        return opPlainCreate(run, error);
    if (op < 50)
        return opRedefine(run, FALSE, error);
    if (op < 65)
        return opRedefine(run, TRUE, error);
    if (op < 77)
        return opSetCurrent(run, error);
    return rtOpDelete(run, error);
}

/* The fields a record is made of (getters, not formatting: a formatter
 * that loses something would lose it on both sides), then its XML. */
static void
describe(GString *out, const vsDomain *dom, const vsMoment *snap)
{
    g_autofree char *xml = NULL;

    g_string_append_printf(out, "|state=%d|memory=%d\n", vsSnapshotGetState(snap),
                           vsSnapshotGetMemoryLocation(snap));
    g_assert_cmpint(vsSnapshotFormat(&xml, snap, vsDomainGetUUID(dom),
                                     VS_SNAPSHOT_FORMAT_SECURE, NULL), ==, 0);
    g_string_append(out, xml);
}

const RtKind rtSnapshotKind = {
    .name = "snapshots",
    .load = vsStoreLoadDomain,
    .stores_current = TRUE,
    .change = change,
    .describe = describe,
    .delete_children = VS_SNAPSHOT_DELETE_CHILDREN,
    .delete_children_only = VS_SNAPSHOT_DELETE_CHILDREN_ONLY,
    .delete_metadata_only = VS_SNAPSHOT_DELETE_METADATA_ONLY,
};
