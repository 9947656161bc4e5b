/* fuzz-ops.c — libFuzzer harness: any tree a command accepts and commits
 * loads back as the same tree (the oracle of tests/test-roundtrip.c,
 * driven by the fuzzer).
 *
 * The input is a sequence of operations on VM "vm1" of a store in a
 * scratch directory (/dev/shm/fuzz-ops-<pid>-XXXXXX), through the public
 * API.  Byte 0: bit 0 compresses the store's files, bit 1 spells every
 * text fragment as character references (&#N;, one per character) instead
 * of inserting its bytes as they are.  Then, until the input ends (at most
 * FUZZ_MAX_OPS), an operation byte (low 3 bits: the kind, the others its
 * options) and its arguments:
 *
 *   0 plain create    name, description, VM state byte, domain
 *   1 redefine new    name, description, record (see fuzzRecord)
 *   2 redefine old    index of an existing snapshot, description, record
 *   3 set current     index
 *   4 delete          index, flags byte
 *   5 delete all
 *   6 drop the write handle and load it again (frames from the file)
 *   7 toggle compression
 *
 * A fragment is a length byte then that many bytes; a domain is a nesting
 * byte N, an attribute fragment and a body fragment, as
 * <domain type='kvm' a='ATTR'>…<n>×N BODY </n>×N</domain>.
 *
 * After every operation, the VM loaded from disk by a fresh store handle
 * must be exactly the VM the committing handle holds (bulk document bytes,
 * every record's fields, parents, current, count), a refused operation
 * must change nothing and say why on one line; otherwise abort().
 * VS_FUZZ_OPS_TRACE=1 prints each operation's outcome (for triage). */
#include <stdint.h>
#include <string.h>

#include "virtsnap/virtsnap.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OPS 48
#define FUZZ_UUID "6b1c7f3e-8f7a-4d8e-9a36-0c1f2a3b4c5d"

static char *store_dir;

typedef struct {
    const uint8_t *data;
    size_t size, pos;
    gboolean refs;        /* spell fragments as character references */
    vsStore *store;
    vsDomain *dom;
} Input;

static void
removeStore(void)
{
    fuzzWipeDir(store_dir);
    rmdir(store_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    store_dir = fuzzMakeScratchDir("fuzz-ops-");
    atexit(removeStore);
    return 0;
}

static guint8
byte(Input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* A fragment of the input, appended to @xml as it is or spelled as
 * character references (bytes read as UTF-8, a stray byte as U+00xx). */
static void
fragment(Input *in, GString *xml)
{
    size_t want = byte(in);
    size_t len = MIN(want, in->size - in->pos);
    const char *p = (const char *) in->data + in->pos;
    const char *end = p + len;

    in->pos += len;
    if (!in->refs) {
        g_string_append_len(xml, p, len);
        return;
    }
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            c = (guint8) *p;
            p++;
        } else {
            p = g_utf8_next_char(p);
        }
        g_string_append_printf(xml, "&#%u;", c);
    }
}

static void
fuzzDomain(Input *in, GString *xml)
{
    guint nest = byte(in);

    g_string_append(xml, "<domain type='kvm' a='");
    fragment(in, xml);
    g_string_append(xml, "'><name>vm1</name><uuid>" FUZZ_UUID "</uuid>"
                         "<devices><disk type='file' device='disk'>"
                         "<source file='/img/a.qcow2'/><target dev='vda'/></disk></devices>");
    for (guint i = 0; i < nest; i++)
        g_string_append(xml, "<n>");
    fragment(in, xml);
    for (guint i = 0; i < nest; i++)
        g_string_append(xml, "</n>");
    g_string_append(xml, "</domain>");
}

/* The name of the @index-th snapshot (modulo the count), or "none". */
static char *
existing(Input *in, guint index)
{
    g_autoptr(GPtrArray) all = NULL;

    if (vsDomainListMoments(&all, in->dom, NULL, 0, NULL) < 0 || all->len == 0)
        return g_strdup("none");
    return g_strdup(vsMomentGetName(all->pdata[index % all->len]));
}

static void
spellPlain(GString *xml, const char *text)
{
    for (const char *p = text; *p; p = g_utf8_next_char(p))
        g_string_append_printf(xml, "&#%u;", g_utf8_get_char(p));
}

/* The rest of a redefined record: parent, state, time, memory, domain. */
static void
fuzzRecord(Input *in, GString *xml, guint options)
{
    static const char *const states[] = {
        "running", "paused", "shutoff", "shutdown", "crashed", "disk-snapshot", "blocked",
        "nostate", "pmsuspended",
    };
    static const char *const times[] = {
        "0", "-0", "+0", "9223372036854775807", "-9223372036854775808", "-1", "1", "00",
    };
    guint8 parent = byte(in), state = byte(in), when = byte(in);

    if (parent != 0xff) {
        g_autofree char *name = existing(in, parent);
        g_string_append(xml, "<parent><name>");
        spellPlain(xml, name);
        g_string_append(xml, "</name></parent>");
    }
    g_string_append_printf(xml, "<state>%s</state>", states[state % G_N_ELEMENTS(states)]);
    if (when < G_N_ELEMENTS(times))
        g_string_append_printf(xml, "<creationTime>%s</creationTime>", times[when]);
    else
        g_string_append_printf(xml, "<creationTime>%u</creationTime>", 1700000000 + when);
    switch (options % 4) {
    case 1:
        g_string_append(xml, "<memory snapshot='no'/>");
        break;
    case 2:
        g_string_append(xml, "<memory snapshot='external' file='/m");
        fragment(in, xml);
        g_string_append(xml, "'/><disks><disk name='vda' snapshot='no'/></disks>");
        break;
    case 3:
        g_string_append(xml, "<disks><disk name='vda' snapshot='external'><source file='/s");
        fragment(in, xml);
        g_string_append(xml, "'/></disk></disks>");
        break;
    default:
        break;
    }
    if (!(options & 4))
        fuzzDomain(in, xml);
}

static int
opCreate(Input *in, guint kind, guint options, GError **error)
{
    g_autoptr(GString) xml = g_string_new("<domainsnapshot><name>");
    g_autoptr(GString) domain = g_string_new(NULL);
    unsigned int flags = 0;

    if (kind == 2) {
        g_autofree char *name = existing(in, byte(in));
        spellPlain(xml, name);
    } else {
        fragment(in, xml);
    }
    g_string_append(xml, "</name><description>");
    fragment(in, xml);
    g_string_append(xml, "</description>");
    if (kind == 0) {
        vsSnapshotState vm_state = byte(in) % VS_SNAPSHOT_STATE_LAST;
        g_string_append(xml, "</domainsnapshot>");
        if (!(options & 1))
            fuzzDomain(in, domain);
        if (options & 2)
            flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
        return vsDomainCreateXML(NULL, in->dom, xml->str, xml->len,
                                 domain->len ? domain->str : NULL, vm_state, flags, error);
    }
    fuzzRecord(in, xml, options);
    g_string_append(xml, "</domainsnapshot>");
    flags = VS_SNAPSHOT_CREATE_REDEFINE | ((options & 8) ? VS_SNAPSHOT_CREATE_CURRENT : 0);
    return vsDomainCreateXML(NULL, in->dom, xml->str, xml->len, NULL, 0, flags, error);
}

static char *
describe(const vsDomain *dom)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) all = NULL;
    const vsSnapshot *cur = vsDomainGetCurrent(dom, NULL);
    char *doc = NULL;

    vsDomainFormat(&doc, dom, NULL);
    g_string_append_printf(out, "%scount=%u current=%s\n", doc, vsDomainCount(dom),
                           cur ? vsMomentGetName(cur) : "-");
    g_free(doc);
    if (vsDomainListMoments(&all, dom, NULL, 0, NULL) < 0)
        abort();
    for (guint i = 0; i < all->len; i++) {
        const vsSnapshot *s = all->pdata[i];
        const vsSnapshot *parent = vsDomainGetParent(dom, s);
        g_string_append_printf(out, "%s|%s|%s|%" G_GINT64_FORMAT "|%d|%d|%d\n",
                               vsMomentGetName(s), parent ? vsMomentGetName(parent) : "-",
                               vsMomentGetDescription(s) ? vsMomentGetDescription(s) : "-",
                               vsMomentGetCreationTime(s), vsSnapshotGetState(s),
                               vsSnapshotGetMemoryLocation(s), vsMomentHasDomain(s));
    }
    return g_string_free(out, FALSE);
}

/* The oracle: what a fresh handle loads is what the committing one holds. */
static void
checkLoadsBack(Input *in, const char *what)
{
    g_autoptr(vsStore) fresh = NULL;
    g_autoptr(vsDomain) again = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *want = describe(in->dom);
    g_autofree char *got = NULL;

    if (vsStoreOpen(&fresh, store_dir, 0, &error) < 0 ||
        vsStoreLoadDomain(&again, fresh, "vm1", NULL, 0, &error) < 0) {
        fuzzOracleFailed("after %s, the committed tree does not load back: %s\n", what,
                         error->message);
        return;
    }
    got = describe(again);
    if (strcmp(want, got) != 0)
        fuzzOracleFailed("after %s, the reloaded tree differs:\n--- committed\n%s"
                         "--- reloaded\n%s", what, want, got);
}

static void
reopen(Input *in)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&in->dom, vsDomainFree);
    if (vsStoreLoadDomain(&in->dom, in->store, "vm1", NULL, VS_DOMAIN_LOAD_WRITE, &error) < 0)
        fuzzOracleFailed("a committed tree does not load for writing: %s\n", error->message);
}

static void
runOp(Input *in)
{
    static const char *const names[] = {
        "plain create", "redefine new", "redefine existing", "set current", "delete",
        "delete all", "reopen", "toggle compression",
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *before = describe(in->dom);
    guint8 op = byte(in);
    guint kind = op & 7, options = op >> 3;
    int rc = 0;

    switch (kind) {
    case 0: case 1: case 2:
        rc = opCreate(in, kind, options, &error);
        break;
    case 3: {
        g_autofree char *name = existing(in, byte(in));
        rc = vsDomainSetCurrent(in->dom, name, &error);
        break;
    }
    case 4: {
        g_autofree char *name = existing(in, byte(in));
        rc = vsDomainDelete(in->dom, name, byte(in) & 7, &error);
        break;
    }
    case 5:
        rc = vsDomainDeleteAll(in->dom, &error);
        break;
    case 6:
        reopen(in);
        break;
    default:
        vsStoreSetCompression(in->store, !vsStoreGetCompression(in->store));
        break;
    }
    if (getenv("VS_FUZZ_OPS_TRACE"))   /* for triage: what each step did */
        fprintf(stderr, "%s: %s\n", names[kind], rc < 0 ? error->message : "ok");
    if (rc < 0) {
        g_autofree char *after = describe(in->dom);
        if (!error || !error->message || !*error->message || strchr(error->message, '\n'))
            fuzzOracleFailed("%s refused without a one-line reason: %s\n", names[kind],
                             error ? error->message : "(none)");
        if (strcmp(before, after) != 0)
            fuzzOracleFailed("%s refused (%s), yet the tree changed\n", names[kind],
                             error->message);
    }
    checkLoadsBack(in, names[kind]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = { data, size, 0, FALSE, NULL, NULL };
    g_autoptr(GError) error = NULL;
    guint8 settings = byte(&in);

    fuzzWipeDir(store_dir);
    in.refs = settings & 2;
    if (vsStoreOpen(&in.store, store_dir, 0, &error) < 0)
        abort();
    vsStoreSetCompression(in.store, settings & 1);
    reopen(&in);
    for (guint i = 0; i < FUZZ_MAX_OPS && in.pos < in.size; i++)
        runOp(&in);
    vsDomainFree(in.dom);
    vsStoreFree(in.store);
    return 0;
}
