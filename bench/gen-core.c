/* gen-core.c — synthetic snapshot stores for the benchmarks.
 *
 * Creating N snapshots through the public API would be one commit (a
 * rewrite of the whole bulk file) per snapshot, O(N^2) bytes written, so
 * the document is written here directly in the bulk format and then loaded
 * once through the library, which both validates it and proves that the
 * bytes are what the library itself writes (else generation fails).
 *
 * The <domain> is modelled on the ~8 KB domain libvirt 9.0 wrote for the
 * measurements in LIBVIRT-9.0-OBSERVED.md (tests/fixtures/libvirt-9.0-ondisk/
 * ondisk-b1-current.xml), padded with more NICs and application metadata
 * when a bigger domain is asked for.  A --vary share of snapshots differ
 * from their parent by one hot-plug or hot-unplug (a disk or a NIC with a
 * fresh MAC/serial), so domains are near-identical but not all equal, as
 * on a real VM whose configuration changes now and then. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtsnap/virtsnap.h"
#include "gen-core.h"

#define BENCH_TIME_BASE G_GINT64_CONSTANT(1700000000)
#define BENCH_TIME_STEP 60
#define BENCH_HOTPLUG_SLOTS 4   /* 0,1: NICs; 2,3: disks vdc, vdd */
#define BENCH_PAD_NICS_MAX 16

/* The bulk file's leading comment, as lib/bulkfile.c writes it; if it
 * changes, validation notices and the library rewrites the file. */
#define BULK_HEADER \
    "<!--\n" \
    "virtsnap snapshot metadata: every snapshot of one VM, in one file.\n" \
    "Generated and replaced atomically by virtsnap; edit snapshots with\n" \
    "'virtsnap snapshot-edit', not by hand.\n" \
    "-->\n"

/* libvirt 9.0's header for its per-file layout (SEMANTICS §2.2). */
#define LEGACY_HEADER \
    "<!--\n" \
    "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" \
    "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" \
    "  virsh snapshot-edit\n" \
    "or other application using the libvirt API.\n" \
    "-->\n" \
    "\n"

/* The model domain, split where devices are inserted.  @VM@ is replaced. */
static const char domain_head[] =
    "<domain type='kvm'>\n"
    "  <name>@VM@</name>\n"
    "  <uuid>" BENCH_UUID "</uuid>\n"
    "  <title>Research peer domain</title>\n"
    "  <description>Domain used only to hold snapshot metadata; never started.</description>\n"
    "  <metadata>\n"
    "    <app:info xmlns:app=\"http://example.org/research/1\">\n"
    "      <app:owner>research</app:owner>\n"
    "      <app:purpose>snapshot-metadata-benchmark</app:purpose>\n"
    "    </app:info>\n";
/* (padding metadata goes here) */
static const char domain_after_metadata[] =
    "  </metadata>\n"
    "  <memory unit='KiB'>2097152</memory>\n"
    "  <currentMemory unit='KiB'>2097152</currentMemory>\n"
    "  <vcpu placement='static'>2</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
    "    <boot dev='hd'/>\n"
    "  </os>\n"
    "  <features>\n"
    "    <acpi/>\n"
    "    <apic/>\n"
    "    <vmport state='off'/>\n"
    "  </features>\n"
    "  <cpu mode='custom' match='exact' check='none'>\n"
    "    <model fallback='forbid'>qemu64</model>\n"
    "  </cpu>\n"
    "  <clock offset='utc'>\n"
    "    <timer name='rtc' tickpolicy='catchup'/>\n"
    "    <timer name='pit' tickpolicy='delay'/>\n"
    "    <timer name='hpet' present='no'/>\n"
    "  </clock>\n"
    "  <on_poweroff>destroy</on_poweroff>\n"
    "  <on_reboot>restart</on_reboot>\n"
    "  <on_crash>destroy</on_crash>\n"
    "  <pm>\n"
    "    <suspend-to-mem enabled='no'/>\n"
    "    <suspend-to-disk enabled='no'/>\n"
    "  </pm>\n"
    "  <devices>\n"
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2' cache='none' discard='unmap'/>\n"
    "      <source file='/var/lib/libvirt/images/@VM@.qcow2'/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "      <serial>@VM@-root</serial>\n"
    "      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/var/lib/libvirt/images/@VM@-data.qcow2'/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>\n"
    "    </disk>\n";
/* (hot-plugged disks vdc, vdd go here: libvirt keeps a bus's disks in order) */
static const char domain_after_disks[] =
    "    <disk type='file' device='cdrom'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <target dev='sda' bus='sata'/>\n"
    "      <readonly/>\n"
    "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n"
    "    </disk>\n"
    "    <controller type='usb' index='0' model='qemu-xhci' ports='15'>\n"
    "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>\n"
    "    </controller>\n"
    "    <controller type='virtio-serial' index='0'>\n"
    "      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>\n"
    "    </controller>\n"
    "    <controller type='scsi' index='0' model='virtio-scsi'>\n"
    "      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>\n"
    "    </controller>\n"
    "    <controller type='sata' index='0'>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>\n"
    "    </controller>\n"
    "    <controller type='pci' index='0' model='pcie-root'/>\n"
    "@ROOTPORTS@"
    "    <controller type='pci' index='11' model='pcie-to-pci-bridge'>\n"
    "      <model name='pcie-pci-bridge'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
    "    </controller>\n"
    "    <controller type='pci' index='12' model='pcie-root-port'>\n"
    "      <model name='pcie-root-port'/>\n"
    "      <target chassis='12' port='0x1a'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x2'/>\n"
    "    </controller>\n"
    "    <interface type='user'>\n"
    "      <mac address='52:54:00:aa:bb:01'/>\n"
    "      <model type='virtio'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n"
    "    </interface>\n"
    "    <interface type='user'>\n"
    "      <mac address='52:54:00:aa:bb:02'/>\n"
    "      <model type='e1000e'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n"
    "    </interface>\n";
/* (hot-plugged NICs, then padding NICs go here) */
static const char domain_tail[] =
    "    <serial type='pty'>\n"
    "      <target type='isa-serial' port='0'>\n"
    "        <model name='isa-serial'/>\n"
    "      </target>\n"
    "    </serial>\n"
    "    <console type='pty'>\n"
    "      <target type='serial' port='0'/>\n"
    "    </console>\n"
    "    <channel type='unix'>\n"
    "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
    "      <address type='virtio-serial' controller='0' bus='0' port='1'/>\n"
    "    </channel>\n"
    "    <channel type='spicevmc'>\n"
    "      <target type='virtio' name='com.redhat.spice.0'/>\n"
    "      <address type='virtio-serial' controller='0' bus='0' port='2'/>\n"
    "    </channel>\n"
    "    <input type='tablet' bus='usb'>\n"
    "      <address type='usb' bus='0' port='1'/>\n"
    "    </input>\n"
    "    <input type='mouse' bus='ps2'/>\n"
    "    <input type='keyboard' bus='ps2'/>\n"
    "    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='vncpw123'>\n"
    "      <listen type='address' address='127.0.0.1'/>\n"
    "    </graphics>\n"
    "    <graphics type='spice' autoport='yes' listen='127.0.0.1' passwd='s3cr3t-spice'>\n"
    "      <listen type='address' address='127.0.0.1'/>\n"
    "      <image compression='off'/>\n"
    "    </graphics>\n"
    "    <sound model='ich9'>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x1b' function='0x0'/>\n"
    "    </sound>\n"
    "    <audio id='1' type='none'/>\n"
    "    <video>\n"
    "      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
    "    </video>\n"
    "    <redirdev bus='usb' type='spicevmc'>\n"
    "      <address type='usb' bus='0' port='2'/>\n"
    "    </redirdev>\n"
    "    <redirdev bus='usb' type='spicevmc'>\n"
    "      <address type='usb' bus='0' port='3'/>\n"
    "    </redirdev>\n"
    "    <watchdog model='i6300esb' action='reset'>\n"
    "      <address type='pci' domain='0x0000' bus='0x0b' slot='0x01' function='0x0'/>\n"
    "    </watchdog>\n"
    "    <memballoon model='virtio'>\n"
    "      <address type='pci' domain='0x0000' bus='0x09' slot='0x00' function='0x0'/>\n"
    "    </memballoon>\n"
    "    <rng model='virtio'>\n"
    "      <backend model='random'>/dev/urandom</backend>\n"
    "      <address type='pci' domain='0x0000' bus='0x0a' slot='0x00' function='0x0'/>\n"
    "    </rng>\n"
    "  </devices>\n"
    "</domain>\n";

/* Everything that does not change between snapshots, built once. */
typedef struct {
    char *head;          /* domain_head with the VM name */
    char *pad_metadata;  /* "" or padding history entries */
    char *middle;        /* domain_after_metadata with the VM name */
    char *after_disks;   /* with the root ports */
    char *pad_nics;      /* "" or padding NICs */
    gsize base_size;     /* domain size without hot-plugged devices */
} DomainModel;

typedef struct {
    guint32 slot[BENCH_HOTPLUG_SLOTS];  /* 0: empty, else the device's id */
} Variant;

void
benchGenOptionsInit(BenchGenOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->snapshots = 1000;
    opts->shape = BENCH_SHAPE_CHAIN;
    opts->seed = 1;
    opts->vary = 10;
    opts->layout = BENCH_LAYOUT_BULK;
    opts->out = "bench-store";
    opts->vm = "vm1";
}

static const char *shape_names[] = { "chain", "wide", "random" };
static const char *compression_names[] = { "none", "zstd", "pieces" };

int
benchCompressionFromString(const char *str)
{
    for (guint i = 0; i < G_N_ELEMENTS(compression_names); i++)
        if (g_str_equal(str, compression_names[i]))
            return (int) i;
    return -1;
}

int
benchShapeFromString(const char *str)
{
    for (guint i = 0; i < G_N_ELEMENTS(shape_names); i++) {
        if (g_strcmp0(str, shape_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *
benchShapeToString(BenchShape shape)
{
    return shape_names[shape];
}

char *
benchSnapshotName(guint i)
{
    return g_strdup_printf("s%05u", i);
}

static char *
replaceAll(const char *text, const char *marker, const char *value)
{
    g_auto(GStrv) parts = g_strsplit(text, marker, -1);
    return g_strjoinv(value, parts);
}

static void
domainModelClear(DomainModel *m)
{
    g_free(m->head);
    g_free(m->pad_metadata);
    g_free(m->middle);
    g_free(m->after_disks);
    g_free(m->pad_nics);
}

static void
appendPadNic(GString *buf, guint i)
{
    /* Behind the pcie-to-pci bridge (bus 0x01), one slot each. */
    g_string_append_printf(buf,
        "    <interface type='bridge'>\n"
        "      <mac address='52:54:00:%02x:%02x:%02x'/>\n"
        "      <source bridge='br%u'/>\n"
        "      <model type='virtio'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x01' slot='0x%02x' function='0x0'/>\n"
        "    </interface>\n",
        0x10, (i >> 8) & 0xff, i & 0xff, i, 0x01 + i);
}

static void
appendPadEvent(GString *buf, guint i)
{
    static const char *kinds[] = { "backup", "resize", "migrate", "scrub" };
    static const char *disks[] = { "vda", "vdb" };
    g_string_append_printf(buf,
        "      <bench:event time=\"%" G_GINT64_FORMAT "\" kind=\"%s\" disk=\"%s\" "
        "bytes=\"%u\" result=\"ok\"/>\n",
        BENCH_TIME_BASE - 86400 + (gint64) i * 37, kinds[i % 4], disks[i % 2],
        (i * 2654435761u) % 1000000000u);
}

static void
domainModelInit(DomainModel *m, const BenchGenOptions *opts)
{
    g_autoptr(GString) ports = g_string_new(NULL);
    g_autofree char *after = NULL;
    gsize size;

    for (guint i = 1; i <= 10; i++) {
        g_string_append_printf(ports,
            "    <controller type='pci' index='%u' model='pcie-root-port'>\n"
            "      <model name='pcie-root-port'/>\n"
            "      <target chassis='%u' port='0x%x'/>\n"
            "      <address type='pci' domain='0x0000' bus='0x00' slot='0x0%u' "
            "function='0x%u'%s/>\n"
            "    </controller>\n",
            i, i, 0x0f + i, i <= 8 ? 2 : 3, (i - 1) % 8,
            (i == 1 || i == 9) ? " multifunction='on'" : "");
    }
    m->head = replaceAll(domain_head, "@VM@", opts->vm);
    m->middle = replaceAll(domain_after_metadata, "@VM@", opts->vm);
    m->after_disks = replaceAll(domain_after_disks, "@ROOTPORTS@", ports->str);
    m->pad_metadata = g_strdup("");
    m->pad_nics = g_strdup("");
    size = strlen(m->head) + strlen(m->middle) + strlen(m->after_disks) + strlen(domain_tail);
    m->base_size = size;
    if (opts->domain_size > size) {
        GString *nics = g_string_new(NULL);
        GString *meta = g_string_new(NULL);
        guint i;

        /* A few more NICs first (a busy VM), then application metadata. */
        for (i = 0; i < BENCH_PAD_NICS_MAX && size + nics->len < opts->domain_size; i++)
            appendPadNic(nics, i);
        size += nics->len;
        if (size < opts->domain_size) {
            static const char open[] =
                "    <bench:history xmlns:bench=\"http://example.org/virtsnap-bench/1\">\n";
            static const char close[] = "    </bench:history>\n";
            g_string_append(meta, open);
            for (i = 0; size + meta->len + strlen(close) < opts->domain_size; i++)
                appendPadEvent(meta, i);
            g_string_append(meta, close);
        }
        size += meta->len;
        g_free(m->pad_nics);
        g_free(m->pad_metadata);
        m->pad_nics = g_string_free(nics, FALSE);
        m->pad_metadata = g_string_free(meta, FALSE);
        m->base_size = size;
    }
}

static void
appendHotplugDisk(GString *buf, const BenchGenOptions *opts, guint slot, guint32 id)
{
    char dev = slot == 2 ? 'c' : 'd';
    g_string_append_printf(buf,
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='qcow2'/>\n"
        "      <source file='/var/lib/libvirt/images/%s-extra-%u.qcow2'/>\n"
        "      <target dev='vd%c' bus='virtio'/>\n"
        "      <serial>extra-%u</serial>\n"
        "      <address type='pci' domain='0x0000' bus='0x0%c' slot='0x00' function='0x0'/>\n"
        "    </disk>\n",
        opts->vm, id, dev, id, slot == 2 ? 'c' : 'd');
}

static void
appendHotplugNic(GString *buf, guint slot, guint32 id)
{
    g_string_append_printf(buf,
        "    <interface type='network'>\n"
        "      <mac address='52:54:00:%02x:%02x:%02x'/>\n"
        "      <source network='default'/>\n"
        "      <model type='virtio'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x0%c' slot='0x00' function='0x0'/>\n"
        "    </interface>\n",
        (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff, slot == 0 ? 'e' : 'f');
}

/* The whole <domain> at indent level 0. */
static void
domainBuild(GString *buf, const DomainModel *m, const BenchGenOptions *opts, const Variant *v)
{
    g_string_append(buf, m->head);
    g_string_append(buf, m->pad_metadata);
    g_string_append(buf, m->middle);
    for (guint s = 2; s < 4; s++) {
        if (v->slot[s])
            appendHotplugDisk(buf, opts, s, v->slot[s]);
    }
    g_string_append(buf, m->after_disks);
    for (guint s = 0; s < 2; s++) {
        if (v->slot[s])
            appendHotplugNic(buf, s, v->slot[s]);
    }
    g_string_append(buf, m->pad_nics);
    g_string_append(buf, domain_tail);
}

/* Appends @text with 2 * @level spaces before every line. */
static void
appendIndented(GString *buf, const char *text, gsize len, guint level)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        gsize n = nl ? (gsize) (nl - p + 1) : (gsize) (end - p);
        for (guint i = 0; i < level; i++)
            g_string_append(buf, "  ");
        g_string_append_len(buf, p, n);
        p += n;
    }
}

/* One record (public SECURE form) at indent @level; with @active >= 0 the
 * INTERNAL form's <active> is appended (the legacy layout). */
static void
recordBuild(GString *buf, GString *scratch, const DomainModel *m, const BenchGenOptions *opts,
            const char *name, const char *parent, gint64 ctime, const char *description,
            const Variant *v, guint level, int active)
{
    g_autoptr(GString) rec = g_string_new(NULL);

    g_string_append(rec, "<domainsnapshot>\n");
    g_string_append_printf(rec, "  <name>%s</name>\n", name);
    if (description)
        g_string_append_printf(rec, "  <description>%s</description>\n", description);
    g_string_append(rec, "  <state>shutoff</state>\n");
    if (parent)
        g_string_append_printf(rec, "  <parent>\n    <name>%s</name>\n  </parent>\n", parent);
    g_string_append_printf(rec, "  <creationTime>%" G_GINT64_FORMAT "</creationTime>\n", ctime);
    g_string_append(rec, "  <memory snapshot='no'/>\n");
    g_string_append(rec, "  <disks>\n");
    g_string_append(rec, "    <disk name='vda' snapshot='internal'/>\n");
    g_string_append(rec, "    <disk name='vdb' snapshot='internal'/>\n");
    if (v->slot[2])
        g_string_append(rec, "    <disk name='vdc' snapshot='internal'/>\n");
    if (v->slot[3])
        g_string_append(rec, "    <disk name='vdd' snapshot='internal'/>\n");
    g_string_append(rec, "    <disk name='sda' snapshot='no'/>\n");
    g_string_append(rec, "  </disks>\n");
    g_string_truncate(scratch, 0);
    domainBuild(scratch, m, opts, v);
    appendIndented(rec, scratch->str, scratch->len, 1);
    if (active >= 0)
        g_string_append_printf(rec, "  <active>%d</active>\n", active);
    g_string_append(rec, "</domainsnapshot>\n");
    appendIndented(buf, rec->str, rec->len, level);
}

char *
benchDomainXML(const BenchGenOptions *opts)
{
    DomainModel m;
    Variant v = { { 0 } };
    GString *buf = g_string_new(NULL);

    domainModelInit(&m, opts);
    domainBuild(buf, &m, opts, &v);
    domainModelClear(&m);
    return g_string_free(buf, FALSE);
}

char *
benchSnapshotXML(const BenchGenOptions *opts, const char *name, const char *parent,
                 gint64 creation_time)
{
    return benchSnapshotXMLHotplug(opts, name, parent, creation_time, 0);
}

char *
benchSnapshotXMLHotplug(const BenchGenOptions *opts, const char *name, const char *parent,
                        gint64 creation_time, guint32 nic_id)
{
    DomainModel m;
    Variant v = { { nic_id } };
    GString *buf = g_string_new(NULL);
    g_autoptr(GString) scratch = g_string_new(NULL);

    domainModelInit(&m, opts);
    recordBuild(buf, scratch, &m, opts, name, parent, creation_time, "redefined by the benchmark",
                &v, 0, -1);
    domainModelClear(&m);
    return g_string_free(buf, FALSE);
}

/* ---------------------------------------------------------------- */
/* Tree shape and domain variants                                     */

typedef struct {
    guint n;
    guint *parent;      /* G_MAXUINT for the root */
    Variant *variant;
} Plan;

static void
planInit(Plan *p, const BenchGenOptions *opts)
{
    GRand *rand = g_rand_new_with_seed(opts->seed);
    guint32 next_id = 1;

    p->n = opts->snapshots;
    p->parent = g_new(guint, p->n);
    p->variant = g_new0(Variant, p->n);
    for (guint i = 0; i < p->n; i++) {
        if (i == 0)
            p->parent[i] = G_MAXUINT;
        else if (opts->shape == BENCH_SHAPE_CHAIN)
            p->parent[i] = i - 1;
        else if (opts->shape == BENCH_SHAPE_WIDE)
            p->parent[i] = 0;
        else
            p->parent[i] = g_rand_int_range(rand, 0, i);
        if (i > 0)
            p->variant[i] = p->variant[p->parent[i]];
        /* A hot-plug (fresh device) or hot-unplug since the parent. */
        if (i > 0 && (guint) g_rand_int_range(rand, 0, 100) < opts->vary) {
            guint s = g_rand_int_range(rand, 0, BENCH_HOTPLUG_SLOTS);
            p->variant[i].slot[s] = p->variant[i].slot[s] ? 0 : next_id++;
        }
    }
    g_rand_free(rand);
}

static void
planClear(Plan *p)
{
    g_free(p->parent);
    g_free(p->variant);
}

/* Pre-order (parents first; siblings by creationTime = index), the order
 * the library writes, so the generated bytes can equal its output. */
static guint *
planPreorder(const Plan *p)
{
    guint *order = g_new(guint, p->n);
    guint *first_child = g_new(guint, p->n);
    guint *next_sibling = g_new(guint, p->n);
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(guint));
    guint k = 0;

    for (guint i = 0; i < p->n; i++)
        first_child[i] = next_sibling[i] = G_MAXUINT;
    /* Insert children in decreasing index so each list is increasing. */
    for (guint i = p->n; i-- > 1;) {
        next_sibling[i] = first_child[p->parent[i]];
        first_child[p->parent[i]] = i;
    }
    if (p->n > 0) {
        guint root = 0;
        g_array_append_val(stack, root);
    }
    while (stack->len > 0) {
        guint i = g_array_index(stack, guint, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        order[k++] = i;
        /* Push children in reverse so the lowest index pops first. */
        g_autoptr(GArray) kids = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint c = first_child[i]; c != G_MAXUINT; c = next_sibling[c])
            g_array_append_val(kids, c);
        for (guint j = kids->len; j-- > 0;)
            g_array_append_val(stack, g_array_index(kids, guint, j));
    }
    g_free(first_child);
    g_free(next_sibling);
    return order;
}

/* ---------------------------------------------------------------- */
/* Writing                                                            */

static int
writeAll(int fd, const char *path, const char *data, gsize len, GError **error)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: cannot write: %s", path, g_strerror(errno));
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}

static int
openOut(const char *path, GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot create: %s", path, g_strerror(errno));
    return fd;
}

static int
closeOut(int fd, const char *path, GError **error)
{
    if (close(fd) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot close: %s", path, g_strerror(errno));
        return -1;
    }
    return 0;
}

/* Hands every record of @p to @fn in pre-order (parents first, the bulk
 * file's order), formatted at indent @level. */
static int
planForEachRecord(const BenchGenOptions *opts, const Plan *p, const DomainModel *m, guint level,
                  BenchRecordFunc fn, gpointer data, GError **error)
{
    g_autofree guint *order = planPreorder(p);
    g_autoptr(GString) buf = g_string_new(NULL);
    g_autoptr(GString) scratch = g_string_new(NULL);

    for (guint k = 0; k < p->n; k++) {
        guint i = order[k];
        g_autofree char *name = benchSnapshotName(i);
        g_autofree char *parent = p->parent[i] == G_MAXUINT ? NULL
                                  : benchSnapshotName(p->parent[i]);

        g_string_truncate(buf, 0);
        recordBuild(buf, scratch, m, opts, name, parent,
                    BENCH_TIME_BASE + (gint64) i * BENCH_TIME_STEP, NULL, &p->variant[i], level,
                    -1);
        if (fn(name, parent, buf->str, buf->len, data, error) < 0)
            return -1;
    }
    return 0;
}

typedef struct {
    int fd;
    const char *path;
    GString *buf;
} BulkOut;

static int
bulkAppendRecord(const char *name, const char *parent, const char *xml, gsize len,
                 gpointer data, GError **error)
{
    BulkOut *out = data;

    g_string_append_len(out->buf, xml, len);
    if (out->buf->len < (1 << 20))
        return 0;
    if (writeAll(out->fd, out->path, out->buf->str, out->buf->len, error) < 0)
        return -1;
    g_string_truncate(out->buf, 0);
    return 0;
}

static int
writeBulk(const BenchGenOptions *opts, const Plan *p, const DomainModel *m, GError **error)
{
    g_autofree char *path = g_strdup_printf("%s/%s.xml", opts->out, opts->vm);
    g_autoptr(GString) buf = g_string_sized_new(1 << 20);
    BulkOut out = { .path = path, .buf = buf };

    if ((out.fd = openOut(path, error)) < 0)
        return -1;
    g_string_append(buf, BULK_HEADER);
    if (p->n > 0) {
        g_autofree char *cur = benchSnapshotName(p->n - 1);
        g_string_append_printf(buf, "<snapshots current='%s'>\n", cur);
    } else {
        g_string_append(buf, "<snapshots>\n");
    }
    if (planForEachRecord(opts, p, m, 1, bulkAppendRecord, &out, error) < 0)
        goto error;
    g_string_append(buf, "</snapshots>\n");
    if (writeAll(out.fd, path, buf->str, buf->len, error) < 0)
        goto error;
    return closeOut(out.fd, path, error);

 error:
    close(out.fd);
    return -1;
}

static int
writeLegacy(const BenchGenOptions *opts, const Plan *p, const DomainModel *m, GError **error)
{
    g_autofree char *dir = g_strdup_printf("%s/%s", opts->out, opts->vm);
    g_autoptr(GString) buf = g_string_new(NULL);
    g_autoptr(GString) scratch = g_string_new(NULL);

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot create: %s", dir, g_strerror(errno));
        return -1;
    }
    for (guint i = 0; i < p->n; i++) {
        g_autofree char *name = benchSnapshotName(i);
        g_autofree char *parent = p->parent[i] == G_MAXUINT ? NULL
                                  : benchSnapshotName(p->parent[i]);
        g_autofree char *path = g_strdup_printf("%s/%s.xml", dir, name);
        int fd;

        g_string_assign(buf, LEGACY_HEADER);
        recordBuild(buf, scratch, m, opts, name, parent,
                    BENCH_TIME_BASE + (gint64) i * BENCH_TIME_STEP, NULL, &p->variant[i], 0,
                    i == p->n - 1 ? 1 : 0);
        if ((fd = openOut(path, error)) < 0)
            return -1;
        if (writeAll(fd, path, buf->str, buf->len, error) < 0) {
            close(fd);
            return -1;
        }
        if (closeOut(fd, path, error) < 0)
            return -1;
    }
    return 0;
}

int
benchForEachRecord(const BenchGenOptions *opts, BenchRecordFunc fn, gpointer data,
                   GError **error)
{
    DomainModel m;
    Plan p;
    int ret;

    domainModelInit(&m, opts);
    planInit(&p, opts);
    ret = planForEachRecord(opts, &p, &m, 0, fn, data, error);
    planClear(&p);
    domainModelClear(&m);
    return ret;
}

/* Index of the first differing byte, or -1. */
static gssize
firstDifference(const char *a, gsize alen, const char *b, gsize blen)
{
    gsize n = MIN(alen, blen);
    for (gsize i = 0; i < n; i++) {
        if (a[i] != b[i])
            return i;
    }
    return alen == blen ? -1 : (gssize) n;
}

static int
checkTree(vsDomain *dom, const BenchGenOptions *opts, const char *what, GError **error)
{
    g_autofree char *last = benchSnapshotName(opts->snapshots - 1);
    const vsSnapshot *cur;

    if (vsDomainCount(dom) != opts->snapshots) {
        g_set_error(error, VS_ERROR, VS_ERROR_FAILED,
                    "%s: the library loaded %u snapshots, expected %u", what,
                    vsDomainCount(dom), opts->snapshots);
        return -1;
    }
    cur = vsDomainGetCurrent(dom, NULL);
    if (!cur || strcmp(vsMomentGetName(cur), last) != 0) {
        g_set_error(error, VS_ERROR, VS_ERROR_FAILED, "%s: current is %s, expected %s", what,
                    cur ? vsMomentGetName(cur) : "(none)", last);
        return -1;
    }
    return 0;
}

/* Loads the bulk file once (validation) and compares its bytes with the
 * library's own formatting: a difference means either the format moved on
 * (update this generator) or the library loses content, and a benchmark
 * of either would be meaningless.  For a compressed store the library
 * rewrites the file itself (one commit: set current to itself) with the
 * store's setting saved first, so the bytes are exactly what a user's store
 * holds and its later commits keep the format. */
#define BENCH_COMPARE_MAX (G_GUINT64_CONSTANT(6) << 30)

static int
validateBulk(const BenchGenOptions *opts, GError **error)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autofree char *path = g_strdup_printf("%s/%s.xml", opts->out, opts->vm);
    g_autofree char *ours = NULL, *theirs = NULL;
    g_autofree char *last = benchSnapshotName(opts->snapshots - 1);
    gsize ours_len;
    gssize diff;

    struct stat st;

    if (vsStoreOpen(&store, opts->out, 0, error) < 0 ||
        vsStoreLoadDomain(&dom, store, opts->vm, NULL, VS_DOMAIN_LOAD_WRITE, error) < 0 ||
        checkTree(dom, opts, path, error) < 0)
        return -1;
    /* The comparison holds the document twice in memory: past
     * BENCH_COMPARE_MAX (the 4,096 x 4 MiB case is 18 GB) only the tree is
     * checked; smaller stores of the same options compare byte for byte. */
    if (stat(path, &st) == 0 && (guint64) st.st_size > BENCH_COMPARE_MAX) {
        if (!opts->quiet)
            g_printerr("virtsnap-bench-gen: note: %s is over %" G_GUINT64_FORMAT " bytes: "
                       "tree checked, bytes not compared\n", path, (guint64) BENCH_COMPARE_MAX);
        goto compress;
    }
    if (vsDomainFormat(&theirs, dom, error) < 0)
        return -1;
    if (!g_file_get_contents(path, &ours, &ours_len, error))
        return -1;
    diff = firstDifference(ours, ours_len, theirs, strlen(theirs));
    if (diff >= 0) {
        gsize from = MAX(0, diff - 40);
        g_autofree char *a = g_strndup(ours + from, MIN(120, ours_len - from));
        g_autofree char *b = g_strndup(theirs + MIN(from, strlen(theirs)), 120);
        g_set_error(error, VS_ERROR, VS_ERROR_FAILED,
                    "%s: the library formats the loaded document differently from byte %zd:\n"
                    "--- generated:\n%s\n--- library:\n%s", path, diff, a, b);
        return -1;
    }
    g_clear_pointer(&ours, g_free);
    g_clear_pointer(&theirs, g_free);
 compress:
    if (opts->compression != VS_COMPRESSION_NONE &&
        (vsStoreSaveCompressionMode(store, opts->compression, error) < 0 ||
         vsDomainSetCurrent(dom, last, error) < 0))
        return -1;
    return 0;
}

static int
validateLegacy(const BenchGenOptions *opts, GError **error)
{
    g_autoptr(vsStore) store = NULL;
    g_autoptr(vsDomain) dom = NULL;
    g_autofree char *dir = g_strdup_printf("%s/%s/", opts->out, opts->vm);

    /* Read-only: a write load would convert the directory. */
    if (vsStoreOpen(&store, opts->out, 0, error) < 0 ||
        vsStoreLoadDomain(&dom, store, opts->vm, NULL, 0, error) < 0)
        return -1;
    if (vsDomainCount(dom) == 0) {
        if (!opts->quiet)
            g_printerr("virtsnap-bench-gen: note: the library loaded no snapshot from %s "
                       "(no legacy loader yet?); not validated\n", dir);
        return 0;
    }
    return checkTree(dom, opts, dir, error);
}

int
benchGenerate(const BenchGenOptions *opts, GError **error)
{
    DomainModel m;
    Plan p;
    int ret = -1;

    if (opts->snapshots == 0) {
        g_set_error(error, VS_ERROR, VS_ERROR_INVALID, "--snapshots must be at least 1");
        return -1;
    }
    if (g_mkdir_with_parents(opts->out, 0700) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot create: %s", opts->out, g_strerror(errno));
        return -1;
    }
    domainModelInit(&m, opts);
    planInit(&p, opts);
    if (!opts->quiet && opts->domain_size && m.base_size < opts->domain_size - opts->domain_size / 50)
        g_printerr("virtsnap-bench-gen: note: domain is %zu bytes\n", m.base_size);
    if (!opts->quiet && opts->domain_size && m.base_size > opts->domain_size + 256)
        g_printerr("virtsnap-bench-gen: note: the model domain is already %zu bytes, more "
                   "than --domain-size %zu\n", m.base_size, opts->domain_size);

    if ((opts->layout & BENCH_LAYOUT_BULK) && writeBulk(opts, &p, &m, error) < 0)
        goto cleanup;
    if ((opts->layout & BENCH_LAYOUT_LEGACY) && writeLegacy(opts, &p, &m, error) < 0)
        goto cleanup;
    /* With both layouts the bulk file hides the directory from the store. */
    if (opts->layout & BENCH_LAYOUT_BULK) {
        if (validateBulk(opts, error) < 0)
            goto cleanup;
    } else if (validateLegacy(opts, error) < 0) {
        goto cleanup;
    }
    ret = 0;

 cleanup:
    planClear(&p);
    domainModelClear(&m);
    return ret;
}
