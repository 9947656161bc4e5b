/* test-roundtrip.c — any tree a command accepts and commits loads back as
 * the same tree (issue 11).
 *
 * A property test through the public API only: seeded random sequences of
 * operations (plain creates with a domain definition, redefines of new and
 * existing snapshots with random parents, shared and extreme creation
 * times, set current, deletes with every flag shape, delete-all) on a
 * compressed and a plain store, with input drawn from the whole alphabet
 * the parser accepts and spelled through character references and
 * entities: names with TAB, XML specials, multi-byte UTF-8, 247 bytes,
 * dots; descriptions with CR, LF, TAB, "]]>"; every state; memory and disk
 * variations; <domain>s with TAB/LF/CR in attributes, namespaced
 * <metadata>, CDATA, comments, and nesting up to and past the limit.
 * After EVERY operation that succeeds, the VM is loaded again from disk
 * with a fresh store handle and compared with the handle that committed:
 * the formatted trees byte for byte, every record's fields, parents,
 * current and count.  A refused operation must leave the handle and the
 * file as they were.
 *
 *   VIRTSNAP_ROUNDTRIP_SEED=N    replay one sequence (the seed is printed)
 *   VIRTSNAP_ROUNDTRIP_STEPS=N   operations per store (default 250)
 */
#include <stdlib.h>
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "testutil.h"

#define UUID "5f0c1a4e-2b7d-4c1e-9a8f-3d6e0b1c2a49"
#define DEFAULT_STEPS 250

typedef struct {
    GRand *rand;
    guint32 seed;
    guint step;
    const char *op;        /* what the current step does, for failures */
    char *dir;
    vsStore *store;
    vsDomain *dom;         /* the write handle that commits */
    gboolean compress;
    guint tried, committed;
} Run;

static void G_GNUC_PRINTF(2, 3) G_GNUC_NORETURN
fail(const Run *run, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_error("VIRTSNAP_ROUNDTRIP_SEED=%u, %s store, step %u (%s): %s", run->seed,
            run->compress ? "compressed" : "plain", run->step, run->op, msg);
}

static guint
pick(Run *run, guint n)
{
    return g_rand_int_range(run->rand, 0, n);
}

static gboolean
chance(Run *run, guint percent)
{
    return pick(run, 100) < percent;
}

/* ---------------------------------------------------------------- */
/* The alphabet, spelled every way XML allows                         */

/* Appends the character @c (a code point) to @xml, spelled at random:
 * raw (when XML allows it there), as a decimal or hex character reference,
 * or as a predefined entity.  @attr: inside a single-quoted attribute. */
static void
spell(Run *run, GString *xml, gunichar c, gboolean attr)
{
    static const struct { gunichar c; const char *entity; } entities[] = {
        { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" },
        { '\'', "&apos;" },
    };
    gboolean must_escape = c == '&' || c == '<' || (attr && c == '\'');
    guint how = pick(run, 4);

    for (guint i = 0; i < G_N_ELEMENTS(entities); i++) {
        if (entities[i].c == c && (must_escape || how == 0)) {
            g_string_append(xml, entities[i].entity);
            return;
        }
    }
    /* A raw CR is read as LF, a raw TAB/LF/CR in an attribute as a space:
     * to mean them, a reference is needed. */
    if (c == '\r' || (attr && (c == '\t' || c == '\n')))
        must_escape = TRUE;
    if (must_escape || how == 1)
        g_string_append_printf(xml, "&#%u;", c);
    else if (how == 2)
        g_string_append_printf(xml, "&#x%X;", c);
    else
        g_string_append_unichar(xml, c);
}

/* A character for names and texts: mostly plain, often special. */
static gunichar
randomChar(Run *run, gboolean allow_controls)
{
    static const gunichar special[] = {
        '\t', '&', '<', '>', '"', '\'', ' ', '.', '-', ']', ';', '#', 0xe9, 0x2f3, 0x6f22,
        0xfffd, 0x1f600, 0x10ffff, 0x85, 0x2028, 0xa0,
    };
    guint r = pick(run, 100);

    if (allow_controls && r < 8)
        return "\r\n\t"[pick(run, 3)];
    if (r < 40)
        return special[pick(run, G_N_ELEMENTS(special))];
    if (r < 70)
        return 'a' + pick(run, 26);
    if (r < 85)
        return '0' + pick(run, 10);
    return 0x20 + pick(run, 0x5f);   /* printable ASCII, '/' included */
}

/* A snapshot name create accepts (mostly), as text content: TAB but no
 * other control character, no '/', no leading '.', at most 247 bytes;
 * sometimes one create must refuse.  @plain gets the name itself. */
static void
randomName(Run *run, GString *xml, GString *plain)
{
    guint len = chance(run, 10) ? 200 + pick(run, 60) : 1 + pick(run, 24);

    g_string_truncate(plain, 0);
    while (plain->len < len) {
        gunichar c = randomChar(run, chance(run, 3));
        char utf8[8];
        gint n = g_unichar_to_utf8(c, utf8);

        if (c == '/' && !chance(run, 2))
            continue;
        if (plain->len == 0 && c == '.' && !chance(run, 5))
            continue;
        if (plain->len + n > len && plain->len > 0)
            break;
        g_string_append_len(plain, utf8, n);
        spell(run, xml, c, FALSE);
    }
    /* exactly at the limit, multi-byte: 82 x 3 bytes + 1 */
    if (chance(run, 3)) {
        g_string_truncate(plain, 0);
        for (guint i = 0; i < 82; i++) {
            g_string_append(plain, "\xe6\xbc\xa2");
            spell(run, xml, 0x6f22, FALSE);
        }
        g_string_append_c(plain, 'x');
        g_string_append_c(xml, 'x');
    }
}

/* Random text content, as character data and CDATA sections. */
static void
randomText(Run *run, GString *xml, guint max)
{
    guint len = pick(run, max + 1);

    for (guint i = 0; i < len; i++) {
        if (chance(run, 3)) {
            g_string_append(xml, chance(run, 50) ? "]]&gt;" : "]]&#62;");
        } else if (chance(run, 3)) {
            g_string_append(xml, "<![CDATA[a]]b<c>&amp;\n\t");
            if (chance(run, 50))
                g_string_append(xml, "\r\n");
            g_string_append(xml, "]]>");
        } else {
            spell(run, xml, randomChar(run, TRUE), FALSE);
        }
    }
}

/* A random attribute value, single-quoted. */
static void
randomAttr(Run *run, GString *xml, const char *name, guint max)
{
    guint len = pick(run, max + 1);

    g_string_append_printf(xml, " %s='", name);
    for (guint i = 0; i < len; i++)
        spell(run, xml, randomChar(run, TRUE), TRUE);
    g_string_append_c(xml, '\'');
}

/* ---------------------------------------------------------------- */
/* Documents                                                          */

static const char *const disk_targets[] = { "vda", "vdb", "v\tdc" };

/* A <domain> definition: the VM's uuid, disks vda, vdb and "v<TAB>dc",
 * random attributes, namespaced metadata, and sometimes nesting near the
 * limit (a record may nest 256 levels; this <domain> is level 2). */
static void
randomDomain(Run *run, GString *xml)
{
    guint deep = 0;

    g_string_append(xml, "<domain type='kvm'");
    if (chance(run, 50))
        randomAttr(run, xml, "id", 6);
    g_string_append(xml, "><name>vm1</name><uuid>" UUID "</uuid>");
    if (chance(run, 50)) {
        g_string_append(xml, "<title>");
        randomText(run, xml, 12);
        g_string_append(xml, "</title>");
    }
    if (chance(run, 40)) {
        g_string_append(xml, "<metadata><app:m xmlns:app='urn:app&amp;1'");
        randomAttr(run, xml, "v", 8);
        g_string_append(xml, ">");
        randomText(run, xml, 10);
        g_string_append(xml, "<!-- a comment --><app:n");
        randomAttr(run, xml, "w", 4);
        g_string_append(xml, "/></app:m><other:x xmlns:other='urn:other'>y</other:x></metadata>");
    }
    g_string_append(xml, "<devices>");
    for (guint i = 0; i < G_N_ELEMENTS(disk_targets); i++) {
        g_string_append(xml, "<disk type='file' device='disk'><source file='/img/");
        spell(run, xml, 'a' + i, TRUE);
        if (chance(run, 30))
            spell(run, xml, "\t\n\r"[pick(run, 3)], TRUE);
        g_string_append(xml, ".qcow2'/><target dev='");
        for (const char *p = disk_targets[i]; *p; p++)
            spell(run, xml, *p, TRUE);
        g_string_append(xml, "' bus='virtio'/></disk>");
    }
    g_string_append(xml, "<graphics type='vnc'");
    randomAttr(run, xml, "passwd", 6);
    g_string_append(xml, "/></devices>");
    if (chance(run, 12))
        deep = 252 + pick(run, 6);   /* up to 254 fits in a record; more is refused */
    else if (chance(run, 20))
        deep = 1 + pick(run, 40);
    for (guint i = 0; i < deep; i++)
        g_string_append(xml, "<n>");
    if (deep)
        randomText(run, xml, 3);
    for (guint i = 0; i < deep; i++)
        g_string_append(xml, "</n>");
    g_string_append(xml, "</domain>");
}

static const char *const states[] = {
    "running", "paused", "shutoff", "shutdown", "crashed", "disk-snapshot", "blocked",
    "nostate", "pmsuspended",
};

/* <memory> and <disks>: what a hypervisor would have recorded, or not. */
static void
randomMemoryAndDisks(Run *run, GString *xml, gboolean online)
{
    guint m = pick(run, 4);

    if (m == 1)
        g_string_append(xml, "<memory snapshot='no'/>");
    else if (m == 2 && online)
        g_string_append(xml, "<memory snapshot='internal'/>");
    else if (m == 3 && online) {
        g_string_append(xml, chance(run, 90) ? "<memory snapshot='external' file='/mem/"
                                             : "<memory snapshot='external' file='mem&#10;");
        randomText(run, xml, 0);
        spell(run, xml, "\tm\r"[pick(run, 3)], TRUE);
        g_string_append(xml, "'/>");
    }
    if (chance(run, 40)) {
        g_string_append(xml, "<disks>");
        for (guint i = 0; i < G_N_ELEMENTS(disk_targets); i++) {
            if (chance(run, 30))
                continue;
            g_string_append(xml, "<disk name='");
            for (const char *p = disk_targets[i]; *p; p++)
                spell(run, xml, *p, TRUE);
            if (chance(run, 50)) {
                g_string_append(xml, "' snapshot='external'><driver type='qcow2'/>"
                                     "<source file='/snap/");
                spell(run, xml, "\tx\n"[pick(run, 3)], TRUE);
                g_string_append(xml, "'/></disk>");
            } else {
                g_string_append(xml, chance(run, 50) ? "' snapshot='internal'/>"
                                                     : "' snapshot='no'/>");
            }
        }
        g_string_append(xml, "</disks>");
    }
}

/* A name of the tree, or NULL when it is empty. */
static const char *
existingName(Run *run)
{
    g_autoptr(GPtrArray) all = NULL;

    if (vsDomainListMoments(&all, run->dom, NULL, 0, NULL) < 0 || all->len == 0)
        return NULL;
    return vsMomentGetName(all->pdata[pick(run, all->len)]);
}

static void
appendTime(Run *run, GString *xml)
{
    static const char *const extremes[] = {
        "9223372036854775807", "-9223372036854775807", "-9223372036854775808", "1", "-1",
        "0", "-0", "+0", "00", "+1700000000", "253402300800",
    };
    const char *other = existingName(run);

    g_string_append(xml, "<creationTime>");
    if (other && chance(run, 25)) {
        const vsSnapshot *s = vsDomainLookup(run->dom, other, NULL);
        g_string_append_printf(xml, "%" G_GINT64_FORMAT, vsMomentGetCreationTime(s));
    } else if (chance(run, 25)) {
        g_string_append(xml, extremes[pick(run, G_N_ELEMENTS(extremes))]);
    } else {
        g_string_append_printf(xml, "%u", 1700000000 + pick(run, 1000));
    }
    g_string_append(xml, "</creationTime>");
}

/* A whole <domainsnapshot> for a redefine: of @name (spelled as @spelled),
 * a random parent and time, a state, memory and disks, maybe a domain. */
static char *
redefineXML(Run *run, const char *spelled)
{
    GString *xml = g_string_new("<domainsnapshot><name>");
    const char *state = states[pick(run, chance(run, 80) ? 6 : G_N_ELEMENTS(states))];
    gboolean online = strcmp(state, "running") == 0 || strcmp(state, "paused") == 0;
    const char *parent = existingName(run);

    g_string_append(xml, spelled);
    g_string_append(xml, "</name>");
    if (chance(run, 60)) {
        g_string_append(xml, "<description>");
        randomText(run, xml, 30);
        g_string_append(xml, "</description>");
    }
    g_string_append_printf(xml, "<state>%s</state>", state);
    if (parent && chance(run, 80)) {
        g_string_append(xml, "<parent><name>");
        for (const char *p = parent; *p; p = g_utf8_next_char(p))
            spell(run, xml, g_utf8_get_char(p), FALSE);
        g_string_append(xml, "</name></parent>");
    } else if (chance(run, 5)) {
        g_autoptr(GString) ignored = g_string_new(NULL);
        g_string_append(xml, "<parent><name>");   /* most likely none such */
        randomName(run, xml, ignored);
        g_string_append(xml, "</name></parent>");
    }
    appendTime(run, xml);
    randomMemoryAndDisks(run, xml, online);
    if (chance(run, 85))
        randomDomain(run, xml);
    if (online && chance(run, 20))
        g_string_append(xml, "<cookie><cpu mode='custom'><model>qemu64</model></cpu>"
                             "<slirpHelper/></cookie>");
    g_string_append(xml, "</domainsnapshot>");
    return g_string_free(xml, FALSE);
}

/* ---------------------------------------------------------------- */
/* The oracle                                                         */

static char *
formatDomain(const vsDomain *dom)
{
    char *out = NULL;
    g_assert_cmpint(vsDomainFormat(&out, dom, NULL), ==, 0);
    return out;
}

/* The fields a record is made of, one per line (getters, not formatting:
 * a formatter that loses something would lose it on both sides). */
static void
describeRecord(GString *out, const vsDomain *dom, const vsSnapshot *snap)
{
    const vsSnapshot *parent = vsDomainGetParent(dom, snap);
    g_autofree char *xml = NULL;

    g_string_append_printf(out, "name=%s|parent=%s|desc=%s|time=%" G_GINT64_FORMAT
                           "|state=%d|memory=%d|domain=%d|children=%u\n",
                           vsMomentGetName(snap), parent ? vsMomentGetName(parent) : "-",
                           vsMomentGetDescription(snap) ? vsMomentGetDescription(snap) : "-",
                           vsMomentGetCreationTime(snap), vsSnapshotGetState(snap),
                           vsSnapshotGetMemoryLocation(snap), vsMomentHasDomain(snap),
                           vsDomainCountChildren(dom, snap));
    g_assert_cmpint(vsSnapshotFormat(&xml, snap, vsDomainGetUUID(dom),
                                     VS_SNAPSHOT_FORMAT_SECURE, NULL), ==, 0);
    g_string_append(out, xml);
}

static char *
describeDomain(const vsDomain *dom)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) all = NULL;
    const vsSnapshot *cur = vsDomainGetCurrent(dom, NULL);

    g_assert_cmpint(vsDomainListMoments(&all, dom, NULL, 0, NULL), ==, 0);
    g_string_append_printf(out, "count=%u current=%s\n", vsDomainCount(dom),
                           cur ? vsMomentGetName(cur) : "-");
    for (guint i = 0; i < all->len; i++)
        describeRecord(out, dom, all->pdata[i]);
    return g_string_free(out, FALSE);
}

/* The VM as a fresh store handle loads it from disk is the VM as the
 * handle that committed it holds it. */
static void
assertLoadsBack(Run *run)
{
    g_autoptr(vsStore) fresh = NULL;
    g_autoptr(vsDomain) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *want = formatDomain(run->dom);
    g_autofree char *got = NULL;
    g_autofree char *want_fields = describeDomain(run->dom);
    g_autofree char *got_fields = NULL;

    if (vsStoreOpen(&fresh, run->dir, 0, &error) < 0 ||
        vsStoreLoadDomain(&again, fresh, "vm1", NULL, 0, &error) < 0)
        fail(run, "the committed tree does not load back: %s", error->message);
    got = formatDomain(again);
    if (strcmp(got, want) != 0)
        fail(run, "reloaded bulk document differs:\n--- committed\n%s--- reloaded\n%s",
             want, got);
    got_fields = describeDomain(again);
    if (strcmp(got_fields, want_fields) != 0)
        fail(run, "reloaded records differ:\n--- committed\n%s--- reloaded\n%s",
             want_fields, got_fields);
}

/* ---------------------------------------------------------------- */
/* Operations                                                         */

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
    vsSnapshotState vm_state = vm_states[pick(run, G_N_ELEMENTS(vm_states))];
    gboolean online = vm_state == VS_SNAPSHOT_STATE_RUNNING ||
                      vm_state == VS_SNAPSHOT_STATE_PAUSED;

    run->op = "plain create";
    if (chance(run, 90)) {
        g_string_append(xml, "<name>");
        randomName(run, xml, name);
        g_string_append(xml, "</name>");
    }
    if (chance(run, 50)) {
        g_string_append(xml, "<description>");
        randomText(run, xml, 20);
        g_string_append(xml, "</description>");
    }
    randomMemoryAndDisks(run, xml, online);
    g_string_append(xml, "</domainsnapshot>");
    if (chance(run, 70))
        randomDomain(run, domain);
    return vsDomainCreateXML(NULL, run->dom, xml->str, xml->len,
                             domain->len ? domain->str : NULL, vm_state,
                             chance(run, 15) ? VS_SNAPSHOT_CREATE_DISK_ONLY : 0, error);
}

static int
opRedefine(Run *run, gboolean existing, GError **error)
{
    g_autoptr(GString) spelled = g_string_new(NULL);
    g_autoptr(GString) name = g_string_new(NULL);
    g_autofree char *xml = NULL;
    const char *old = existing ? existingName(run) : NULL;
    unsigned int flags = VS_SNAPSHOT_CREATE_REDEFINE;

    run->op = existing ? "redefine existing" : "redefine new";
    if (old) {
        for (const char *p = old; *p; p = g_utf8_next_char(p))
            spell(run, spelled, g_utf8_get_char(p), FALSE);
    } else {
        randomName(run, spelled, name);
    }
    xml = redefineXML(run, spelled->str);
    if (chance(run, 25))
        flags |= VS_SNAPSHOT_CREATE_CURRENT;
    return vsDomainCreateXML(NULL, run->dom, xml, strlen(xml), NULL, 0, flags, error);
}

static int
opDelete(Run *run, GError **error)
{
    static const unsigned int shapes[] = {
        0, VS_SNAPSHOT_DELETE_CHILDREN, VS_SNAPSHOT_DELETE_CHILDREN_ONLY,
        VS_SNAPSHOT_DELETE_METADATA_ONLY, VS_SNAPSHOT_DELETE_CHILDREN |
        VS_SNAPSHOT_DELETE_METADATA_ONLY, VS_SNAPSHOT_DELETE_CHILDREN_ONLY |
        VS_SNAPSHOT_DELETE_METADATA_ONLY, VS_SNAPSHOT_DELETE_CHILDREN |
        VS_SNAPSHOT_DELETE_CHILDREN_ONLY,
    };
    const char *name = existingName(run);
    g_autofree char *copy = g_strdup(name ? name : "none");

    run->op = "delete";
    return vsDomainDelete(run->dom, copy, shapes[pick(run, G_N_ELEMENTS(shapes))], error);
}

static int
opSetCurrent(Run *run, GError **error)
{
    const char *name = existingName(run);
    g_autofree char *copy = g_strdup(name ? name : "none");

    run->op = "set current";
    return vsDomainSetCurrent(run->dom, copy, error);
}

/* Drops the write handle and takes a new one: the next commit starts from
 * what a load keeps (frames to reuse, on a compressed store). */
static void
reopen(Run *run)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&run->dom, vsDomainFree);
    if (vsStoreLoadDomain(&run->dom, run->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE,
                          &error) < 0)
        fail(run, "write load failed: %s", error->message);
}

static void
step(Run *run)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = formatDomain(run->dom);
    guint op = pick(run, 100);
    int rc;

    if (op < 25)
        rc = opPlainCreate(run, &error);
    else if (op < 50)
        rc = opRedefine(run, FALSE, &error);
    else if (op < 65)
        rc = opRedefine(run, TRUE, &error);
    else if (op < 77)
        rc = opSetCurrent(run, &error);
    else if (op < 97)
        rc = opDelete(run, &error);
    else {
        run->op = "delete all";
        rc = vsDomainDeleteAll(run->dom, &error);
    }
    run->tried++;
    if (rc < 0) {
        g_autofree char *after = formatDomain(run->dom);
        if (!error || !error->message || !*error->message || strchr(error->message, '\n'))
            fail(run, "a refusal must say why, on one line: %s", error ? error->message : "(none)");
        if (strcmp(before, after) != 0)
            fail(run, "refused (%s), yet the tree changed", error->message);
    } else {
        run->committed++;
    }
    assertLoadsBack(run);
    if (chance(run, 10))
        reopen(run);
}

static guint
envNumber(const char *name, guint def)
{
    const char *s = g_getenv(name);
    return s && *s ? (guint) g_ascii_strtoull(s, NULL, 10) : def;
}

static void
testRandomOperations(gconstpointer data)
{
    Run run = { 0 };
    guint steps = envNumber("VIRTSNAP_ROUNDTRIP_STEPS", DEFAULT_STEPS);
    g_autoptr(GError) error = NULL;

    run.compress = GPOINTER_TO_INT(data);
    run.seed = envNumber("VIRTSNAP_ROUNDTRIP_SEED", g_random_int());
    g_test_message("VIRTSNAP_ROUNDTRIP_SEED=%u VIRTSNAP_ROUNDTRIP_STEPS=%u", run.seed, steps);
    run.rand = g_rand_new_with_seed(run.seed);
    run.dir = vsTestTempDir();
    g_assert_cmpint(vsStoreOpen(&run.store, run.dir, 0, &error), ==, 0);
    vsStoreSetCompression(run.store, run.compress);
    reopen(&run);
    for (run.step = 0; run.step < steps; run.step++)
        step(&run);
    g_test_message("%u operations, %u committed and loaded back", run.tried, run.committed);
    /* not vacuous: most kinds of input get through */
    g_assert_cmpuint(run.committed * 4, >=, run.tried);
    vsDomainFree(run.dom);
    vsStoreFree(run.store);
    g_rand_free(run.rand);
    g_free(run.dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/roundtrip/random-operations/compressed", GINT_TO_POINTER(TRUE),
                         testRandomOperations);
    g_test_add_data_func("/roundtrip/random-operations/plain", GINT_TO_POINTER(FALSE),
                         testRandomOperations);
    return g_test_run();
}
