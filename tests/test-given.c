/* test-given.c — a given <domainsnapshot> whose <domain> and
 * <inactiveDomain> are captured from its bytes (snapshot-parse.c, "A given
 * document's definitions from its bytes"): taken for what dumpxml prints,
 * declined for anything else, and every document, taken or not, parsed to
 * exactly what the whole DOM gives (VS_SNAPSHOT_PARSE_WHOLE): the same
 * record, or the same error text. */
#include <string.h>

#include "record/moment.h"
#include "snapshot/snapshot.h"
#include "roundtrip.h"
#include "../bench/gen-core.h"
#include "testutil.h"

/* What one parse gave: the record formatted with everything it holds, or
 * the error. */
typedef struct {
    int ret;
    int code;
    char *text;
} Outcome;

static void
outcomeClear(Outcome *o)
{
    g_clear_pointer(&o->text, g_free);
}

static void
parseInto(Outcome *o, const char *xml, gsize len, unsigned int flags)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vsSnapshot) snap = NULL;
    gboolean current = FALSE;

    o->ret = vsSnapshotParse(&snap, xml, len, flags, 1700000000, &current, &error);
    if (o->ret < 0) {
        g_assert_nonnull(error);
        o->code = error->code;
        o->text = g_strdup(error->message);
        return;
    }
    g_assert_no_error(error);
    g_assert_cmpint(vsSnapshotFormat(&o->text, snap, NULL,
                                     VS_SNAPSHOT_FORMAT_SECURE | VS_SNAPSHOT_FORMAT_INTERNAL |
                                     (current ? VS_SNAPSHOT_FORMAT_CURRENT : 0), NULL), ==, 0);
}

/* Parses @xml both ways and checks they agree; whether the definitions
 * were cut.  *ok: it parsed. */
static gboolean
sameBothWays(const char *xml, gsize len, unsigned int flags, gboolean *ok)
{
    Outcome cut = { 0 }, whole = { 0 };
    guint before = vsSnapshotParseGetCutCount();
    gboolean taken;

    parseInto(&cut, xml, len, flags);
    taken = vsSnapshotParseGetCutCount() != before;
    parseInto(&whole, xml, len, flags | VS_SNAPSHOT_PARSE_WHOLE);
    g_assert_cmpuint(vsSnapshotParseGetCutCount(), ==, before + taken);
    if (cut.ret != whole.ret || cut.code != whole.code || g_strcmp0(cut.text, whole.text) != 0)
        g_error("the cut and the whole parse differ (flags 0x%x)\n--- document:\n%.*s\n"
                "--- cut (%d):\n%s\n--- whole (%d):\n%s", flags, (int) MIN(len, 20000), xml,
                cut.ret, cut.text, whole.ret, whole.text);
    if (ok)
        *ok = cut.ret == 0;
    outcomeClear(&cut);
    outcomeClear(&whole);
    return taken;
}

/* What snapshot-dumpxml --security-info prints for @xml's record. */
static char *
dumpxml(const char *xml, unsigned int flags)
{
    g_autoptr(vsSnapshot) snap = NULL;
    char *out = NULL;

    if (vsSnapshotParse(&snap, xml, strlen(xml), flags | VS_SNAPSHOT_PARSE_WHOLE, 1700000000,
                        NULL, NULL) < 0)
        return NULL;
    g_assert_cmpint(vsSnapshotFormat(&out, snap, NULL, VS_SNAPSHOT_FORMAT_SECURE, NULL), ==, 0);
    return out;
}

static const unsigned int flagSets[] = {
    0, VS_SNAPSHOT_PARSE_REDEFINE, VS_SNAPSHOT_PARSE_REDEFINE | VS_SNAPSHOT_PARSE_INTERNAL,
    VS_SNAPSHOT_PARSE_OFFLINE,
};

/* A dumpxml'd record with a full domain and an inactive one. */
#define BASE \
    "<domainsnapshot>\n" \
    "  <name>s1</name>\n" \
    "  <description>a &lt;b&gt; c</description>\n" \
    "  <state>shutoff</state>\n" \
    "  <creationTime>1700000000</creationTime>\n" \
    "  <memory snapshot='no'/>\n" \
    "  <disks>\n" \
    "    <disk name='vda' snapshot='external' type='file'>\n" \
    "      <source file='/s1.qcow2'/>\n" \
    "    </disk>\n" \
    "  </disks>\n" \
    "  <domain type='kvm'>\n" \
    "    <name>vm1</name>\n" \
    "    <uuid>" RT_UUID "</uuid>\n" \
    "    <metadata>\n" \
    "      <m:x xmlns:m=\"urn:m\">a</m:x>\n" \
    "    </metadata>\n" \
    "    <devices>\n" \
    "      <disk type='file' device='disk'>\n" \
    "        <source file='/vm1.qcow2'/>\n" \
    "        <target dev='vda' bus='virtio'/>\n" \
    "      </disk>\n" \
    "      <graphics type='vnc' passwd='pw'/>\n" \
    "    </devices>\n" \
    "  </domain>\n" \
    "  <inactiveDomain type='kvm'>\n" \
    "    <name>vm1</name>\n" \
    "    <uuid>" RT_UUID "</uuid>\n" \
    "  </inactiveDomain>\n" \
    "</domainsnapshot>\n"

/* @from replaced by @to (once) in BASE. */
static char *
variant(const char *from, const char *to)
{
    const char *at = strstr(BASE, from);

    g_assert_nonnull(at);
    return g_strdup_printf("%.*s%s%s", (int) (at - BASE), BASE, to, at + strlen(from));
}

static void
testTaken(void)
{
    g_autofree char *again = dumpxml(BASE, VS_SNAPSHOT_PARSE_REDEFINE);
    g_autoptr(vsSnapshot) snap = NULL;
    gboolean ok;

    /* BASE is the library's own formatting */
    g_assert_cmpstr(again, ==, BASE);
    for (gsize f = 0; f < G_N_ELEMENTS(flagSets); f++) {
        g_assert_true(sameBothWays(BASE, strlen(BASE), flagSets[f], NULL));
    }
    /* the record holds both definitions, captured */
    g_assert_cmpint(vsSnapshotParse(&snap, BASE, strlen(BASE), VS_SNAPSHOT_PARSE_REDEFINE, 0,
                                    NULL, NULL), ==, 0);
    g_assert_nonnull(vsMomentGetDomain(snap));
    g_assert_nonnull(vsSnapshotGetInactiveDomain(snap));
    /* an escaped "<domain>" in text before it is text: still taken */
    g_autofree char *text = variant("a &lt;b&gt; c", "&lt;domain type='qemu'&gt;\n  &lt;/domain&gt;");
    g_assert_true(sameBothWays(text, strlen(text), VS_SNAPSHOT_PARSE_REDEFINE, &ok));
    g_assert_true(ok);
    /* a rule's error after the cut: the same text */
    g_autofree char *state = variant("<state>shutoff", "<state>bogus");
    g_assert_true(sameBothWays(state, strlen(state), VS_SNAPSHOT_PARSE_REDEFINE, &ok));
    g_assert_false(ok);
    /* only the <domain> in this layout: it alone is cut */
    g_autofree char *inactive = variant("  <inactiveDomain type='kvm'>\n",
                                        "  <inactiveDomain type='kvm'>\n<!-- c -->\n");
    g_assert_true(sameBothWays(inactive, strlen(inactive), VS_SNAPSHOT_PARSE_REDEFINE, &ok));
    g_assert_true(ok);
}

/* Spellings that are not this library's layout (and a second <domain>
 * after the first, which is cut): the same result either way. */
static void
testDeclined(void)
{
    static const struct { const char *from, *to; gboolean taken; } odd[] = {
        { "\n    <name>vm1</name>\n    <uuid>", "\n\t<name>vm1</name>\n    <uuid>", FALSE },
        { "<domain type='kvm'>", "<domain type=\"kvm\">", FALSE },
        { "<domain type='kvm'>", "<domain  type='kvm'>", FALSE },
        { "<name>vm1</name>\n    <uuid>", "<name>vm1</name><!-- c -->\n    <uuid>", FALSE },
        { "<name>vm1</name>\n    <uuid>", "<name><![CDATA[vm1]]></name>\n    <uuid>", FALSE },
        { "<name>vm1</name>\n    <uuid>", "<name>vm&#49;</name>\n    <uuid>", FALSE },
        { "<description>a &lt;b&gt; c",
          "<description><![CDATA[<domain type='qemu'>\n  </domain>]]>", FALSE },
        { "<description>a &lt;b&gt; c",
          "<!-- <domain type='qemu'>\n  </domain> --><description>", FALSE },
        { "<domainsnapshot>", "<domainsnapshot xmlns='urn:x'>", FALSE },
        { "<domainsnapshot>", "<?xml version='1.0'?>\n<domainsnapshot>", FALSE },
        { "<domainsnapshot>", "<!DOCTYPE domainsnapshot>\n<domainsnapshot>", FALSE },
        { "<domain type='kvm'>", "<domain xmlns:q='urn:q' type='kvm'>", FALSE },
        { "<name>vm1</name>\n    <uuid>", "<q:name xmlns:q='urn:q'>vm1</q:name>\n    <uuid>",
          FALSE },
        { "<domain type='kvm'>", "<domain type=''>", FALSE },
        { "<domain type='kvm'>", "<domain>", FALSE },
        { "  <domain type='kvm'>\n", "  <domain type='kvm'/>\n  <domain type='kvm'>\n", FALSE },
        { "  <domain type='kvm'>\n", "  <domain type=''/>\n  <domain type='kvm'>\n", FALSE },
        { "<state>shutoff</state>", "<state>shutoff</state><domain type='qemu'/>", FALSE },
        { "    </devices>\n  </domain>", "    </devices>\n  </domain  >", FALSE },
        { "<devices>", "<devices a='1' a='2'>", FALSE },
        { "</domainsnapshot>\n", "", FALSE },
        { "</domainsnapshot>\n", "</domainsnapshot>\n<x/>", FALSE },
        { "  </domain>\n", "  </domain>\n  <domain type='qemu'>\n  </domain>\n", TRUE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(odd); i++) {
        g_autofree char *xml = variant(odd[i].from, odd[i].to);

        for (gsize f = 0; f < G_N_ELEMENTS(flagSets); f++)
            g_assert_cmpint(sameBothWays(xml, strlen(xml), flagSets[f], NULL), ==, odd[i].taken);
    }
    /* --validate reads the whole document */
    g_assert_false(sameBothWays(BASE, strlen(BASE),
                                VS_SNAPSHOT_PARSE_REDEFINE | VS_SNAPSHOT_PARSE_VALIDATE, NULL));
}

/* Sizes and depths at the limits: whatever the cut path takes, the whole
 * parse takes the same way. */
static void
testLimits(void)
{
    g_autoptr(GString) deep = g_string_new(NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *deep_xml = NULL;
    g_autofree char *text_xml = NULL;
    g_autofree char *after_xml = NULL;
    gboolean ok;

    /* a domain nesting past the direct scan's depth: declined */
    for (guint d = 0; d < VS_XML_CAPTURE_DEPTH_MAX + 2; d++)
        g_string_append(deep, "<n>");
    for (guint d = 0; d < VS_XML_CAPTURE_DEPTH_MAX + 2; d++)
        g_string_append(deep, "</n>");
    deep_xml = variant("<name>vm1</name>", deep->str);
    g_autofree char *deep_dump = dumpxml(deep_xml, VS_SNAPSHOT_PARSE_REDEFINE);
    g_assert_nonnull(deep_dump);
    g_assert_false(sameBothWays(deep_dump, strlen(deep_dump), VS_SNAPSHOT_PARSE_REDEFINE, &ok));
    g_assert_true(ok);
    /* the record's depth limit reached outside the domain, after it */
    g_string_truncate(deep, 0);
    for (guint d = 0; d < VS_MOMENT_DEPTH_MAX; d++)
        g_string_append(deep, "<n>");
    for (guint d = 0; d < VS_MOMENT_DEPTH_MAX; d++)
        g_string_append(deep, "</n>");
    g_string_prepend(deep, "  </domain>\n  <x>");
    g_string_append(deep, "</x>\n");
    after_xml = variant("  </domain>\n", deep->str);
    sameBothWays(after_xml, strlen(after_xml), VS_SNAPSHOT_PARSE_REDEFINE, &ok);
    g_assert_false(ok);
    /* a text node the direct scan leaves to libxml2 (its limit, 10 MB,
     * applies to some spellings of it and not others) */
    g_string_append(text, "<title>");
    for (guint k = 0; k < 5100000 / 64; k++)
        g_string_append(text, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n");
    g_string_append(text, "</title>");
    text_xml = variant("<name>vm1</name>", text->str);
    g_assert_false(sameBothWays(text_xml, strlen(text_xml), VS_SNAPSHOT_PARSE_REDEFINE, &ok));
    g_assert_true(ok);
    /* past that limit: whatever libxml2 decides, the same either way */
    g_free(text_xml);
    g_string_truncate(text, text->len - strlen("</title>"));
    g_string_append_len(text, text->str + strlen("<title>"), 5000000);
    g_string_append(text, "</title>");
    text_xml = variant("<name>vm1</name>", text->str);
    g_assert_false(sameBothWays(text_xml, strlen(text_xml), VS_SNAPSHOT_PARSE_REDEFINE, NULL));
}

/* Random edits of dumpxml'd records (a byte, a spelling, a piece moved):
 * cut or not, both ways agree. */
static void
mutate(GRand *rand, GString *xml)
{
    static const char *const inserts[] = {
        "\t", "\"", "<", ">", "&", " ", "\n", "/", "x", "'", "<!-- c -->", "<![CDATA[x]]>",
        "&#65;", " xmlns='urn:x'", "<domain type='qemu'/>", "\n  </domain>", "\n  <domain type='q'>",
        "</inactiveDomain>", "<a:b/>", "\xc3\xa9", "\xff",
    };
    gsize at = g_rand_int_range(rand, 0, (gint32) xml->len + 1);

    switch (g_rand_int_range(rand, 0, 3)) {
    case 0:
        g_string_insert(xml, at, inserts[g_rand_int_range(rand, 0, G_N_ELEMENTS(inserts))]);
        break;
    case 1:
        if (at < xml->len)
            g_string_erase(xml, at, g_rand_int_range(rand, 1, 4));
        break;
    default: {
        gsize from = g_rand_int_range(rand, 0, (gint32) xml->len);
        gsize n = MIN((gsize) g_rand_int_range(rand, 1, 40), xml->len - from);
        g_autofree char *piece = g_strndup(xml->str + from, n);
        g_string_insert(xml, at, piece);
    }
    }
}

static void
checkMutations(GRand *rand, const char *dumped, guint count, guint *taken)
{
    for (guint k = 0; k < count; k++) {
        g_autoptr(GString) xml = g_string_new(dumped);
        guint edits = g_rand_int_range(rand, 1, 3);

        for (guint e = 0; e < edits; e++)
            mutate(rand, xml);
        *taken += sameBothWays(xml->str, xml->len,
                               flagSets[g_rand_int_range(rand, 0, G_N_ELEMENTS(flagSets))], NULL);
    }
}

/* Every fixture document as given, and as dumpxml prints its record
 * (cut), and edited at random. */
static void
testFixtures(void)
{
    g_autoptr(GPtrArray) paths = vsTestFixtureFiles(".xml");
    g_autoptr(GRand) rand = g_rand_new_with_seed(16);
    guint dumped = 0, cut = 0, mutated_taken = 0;

    g_assert_cmpuint(paths->len, >, 40);
    for (guint i = 0; i < paths->len; i++) {
        g_autofree char *raw = vsTestReadFile(paths->pdata[i], NULL);
        g_auto(GStrv) parts = g_strsplit(raw, "<peer>", -1);   /* see test-snapshot.c */
        g_autofree char *xml = g_strjoinv("/srv/peer", parts);

        for (gsize f = 0; f < G_N_ELEMENTS(flagSets); f++) {
            g_autofree char *out = dumpxml(xml, flagSets[f]);
            sameBothWays(xml, strlen(xml), flagSets[f], NULL);
            if (!out || !strstr(out, "<domain type="))
                continue;
            dumped++;
            cut += sameBothWays(out, strlen(out), VS_SNAPSHOT_PARSE_REDEFINE, NULL);
            if (f == 1)
                checkMutations(rand, out, 40, &mutated_taken);
        }
    }
    /* every dumpxml'd record with a full domain is cut (the fixtures nest
     * nothing past the direct scan's depth) */
    g_assert_cmpuint(dumped, >, 10);
    g_assert_cmpuint(cut, ==, dumped);
    g_assert_cmpuint(mutated_taken, >, 0);
}

/* The round-trip test's generated domains (every spelling of the
 * alphabet in attributes, text and <metadata>; nesting up to the limit),
 * in a record given as generated and as dumpxml prints it. */
static void
testGenerated(void)
{
    Run run = { .rand = g_rand_new_with_seed(9), .seed = 9 };
    guint dumped = 0, cut = 0, mutated_taken = 0;

    for (guint k = 0; k < 300; k++) {
        g_autoptr(GString) xml = g_string_new("<domainsnapshot><name>s</name>"
                                              "<state>shutoff</state>"
                                              "<creationTime>1700000001</creationTime>");
        g_autofree char *out = NULL;

        rtRandomDomain(&run, xml, FALSE);
        if (rtChance(&run, 30)) {
            gsize at = xml->len;
            rtRandomDomain(&run, xml, FALSE);
            g_string_erase(xml, at + 1, strlen("domain"));
            g_string_insert(xml, at + 1, "inactiveDomain");
            g_string_truncate(xml, xml->len - strlen("</domain>"));
            g_string_append(xml, "</inactiveDomain>");
        }
        g_string_append(xml, "</domainsnapshot>");
        sameBothWays(xml->str, xml->len, VS_SNAPSHOT_PARSE_REDEFINE, NULL);
        if (!(out = dumpxml(xml->str, VS_SNAPSHOT_PARSE_REDEFINE)))
            continue;
        dumped++;
        cut += sameBothWays(out, strlen(out), VS_SNAPSHOT_PARSE_REDEFINE, NULL);
        if (k % 10 == 0)
            checkMutations(run.rand, out, 10, &mutated_taken);
    }
    g_rand_free(run.rand);
    /* every one spells a character of its disks as a reference, which the
     * direct scan leaves to libxml2: none is cut */
    g_assert_cmpuint(dumped, >, 200);
    g_assert_cmpuint(cut, ==, 0);
    g_assert_cmpuint(mutated_taken, ==, 0);
}

static int
benchRecord(const char *name G_GNUC_UNUSED, const char *parent G_GNUC_UNUSED, const char *xml,
            gsize len, gpointer data, GError **error G_GNUC_UNUSED)
{
    guint *cut = data;

    *cut += sameBothWays(xml, len, VS_SNAPSHOT_PARSE_REDEFINE, NULL);
    return 0;
}

/* The benchmarks' records (what their redefines give, hot-plugged devices
 * varying): all cut. */
static void
testBenchRecords(void)
{
    BenchGenOptions opts;
    guint cut = 0;
    g_autofree char *hotplug = NULL;

    benchGenOptionsInit(&opts);
    opts.snapshots = 48;
    opts.vary = 10;
    opts.domain_size = 65536;
    g_assert_cmpint(benchForEachRecord(&opts, benchRecord, &cut, NULL), ==, 0);
    g_assert_cmpuint(cut, ==, opts.snapshots);
    hotplug = benchSnapshotXMLHotplug(&opts, "new", "s00001", 1700000000,
                                      BENCH_FRESH_NIC_ID + 1);
    g_assert_true(sameBothWays(hotplug, strlen(hotplug), VS_SNAPSHOT_PARSE_REDEFINE, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/given/taken", testTaken);
    g_test_add_func("/given/declined", testDeclined);
    g_test_add_func("/given/limits", testLimits);
    g_test_add_func("/given/fixtures", testFixtures);
    g_test_add_func("/given/generated", testGenerated);
    g_test_add_func("/given/bench-records", testBenchRecords);
    return g_test_run();
}
