/* roundtrip-gen.c — the round-trip test's input: the whole alphabet the
 * parsers take, spelled every way XML allows, and the pieces of documents
 * both kinds of moment share (<domain>, creationTime, parent). */
#include <string.h>

#include "roundtrip.h"

const char *
rtModeName(vsCompression mode)
{
    return mode == VS_COMPRESSION_NONE ? "plain"
           : mode == VS_COMPRESSION_ZSTD ? "compressed" : "pieces";
}

void
rtFail(const Run *run, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_error("VIRTSNAP_ROUNDTRIP_SEED=%u, %s, %s store, step %u (%s%s): %s", run->seed,
            run->kind->name, rtModeName(run->mode), run->step,
            run->in_batch ? "in a batch: " : "", run->op, msg);
}

guint
rtPick(Run *run, guint n)
{
    return g_rand_int_range(run->rand, 0, n);
}

gboolean
rtChance(Run *run, guint percent)
{
    return rtPick(run, 100) < percent;
}

/* ---------------------------------------------------------------- */
/* The alphabet, spelled every way XML allows                         */

/* Appends the character @c (a code point) to @xml, spelled at random:
 * raw (when XML allows it there), as a decimal or hex character reference,
 * or as a predefined entity.  @attr: inside a single-quoted attribute. */
void
rtSpell(Run *run, GString *xml, gunichar c, gboolean attr)
{
    static const struct { gunichar c; const char *entity; } entities[] = {
        { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" },
        { '\'', "&apos;" },
    };
    gboolean must_escape = c == '&' || c == '<' || (attr && c == '\'');
    guint how = rtPick(run, 4);

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

void
rtSpellString(Run *run, GString *xml, const char *utf8, gboolean attr)
{
    for (const char *p = utf8; *p; p = g_utf8_next_char(p))
        rtSpell(run, xml, g_utf8_get_char(p), attr);
}

/* A character for names and texts: mostly plain, often special. */
static gunichar
randomChar(Run *run, gboolean allow_controls)
{
    static const gunichar special[] = {
        '\t', '&', '<', '>', '"', '\'', ' ', '.', '-', ']', ';', '#', 0xe9, 0x2f3, 0x6f22,
        0xfffd, 0x1f600, 0x10ffff, 0x85, 0x2028, 0xa0,
    };
    guint r = rtPick(run, 100);

    if (allow_controls && r < 8)
        return "\r\n\t"[rtPick(run, 3)];
    if (r < 40)
        return special[rtPick(run, G_N_ELEMENTS(special))];
    if (r < 70)
        return 'a' + rtPick(run, 26);
    if (r < 85)
        return '0' + rtPick(run, 10);
    return 0x20 + rtPick(run, 0x5f);   /* printable ASCII, '/' included */
}

/* A snapshot name create accepts (mostly), as text content: TAB but no
 * other control character, no '/', no leading '.', at most 247 bytes;
 * sometimes one create must refuse.  @plain gets the name itself. */
void
rtRandomName(Run *run, GString *xml, GString *plain)
{
    guint len = rtChance(run, 10) ? 200 + rtPick(run, 60) : 1 + rtPick(run, 24);

    g_string_truncate(plain, 0);
    while (plain->len < len) {
        gunichar c = randomChar(run, rtChance(run, 3));
        char utf8[8];
        gint n = g_unichar_to_utf8(c, utf8);

        if (c == '/' && !rtChance(run, 2))
            continue;
        if (plain->len == 0 && c == '.' && !rtChance(run, 5))
            continue;
        if (plain->len + n > len && plain->len > 0)
            break;
        g_string_append_len(plain, utf8, n);
        rtSpell(run, xml, c, FALSE);
    }
    /* exactly at the limit, multi-byte: 82 x 3 bytes + 1 */
    if (rtChance(run, 3)) {
        g_string_truncate(plain, 0);
        for (guint i = 0; i < 82; i++) {
            g_string_append(plain, "\xe6\xbc\xa2");
            rtSpell(run, xml, 0x6f22, FALSE);
        }
        g_string_append_c(plain, 'x');
        g_string_append_c(xml, 'x');
    }
}

/* Random text content, as character data and CDATA sections. */
void
rtRandomText(Run *run, GString *xml, guint max)
{
    guint len = rtPick(run, max + 1);

    for (guint i = 0; i < len; i++) {
        if (rtChance(run, 3)) {
            g_string_append(xml, rtChance(run, 50) ? "]]&gt;" : "]]&#62;");
        } else if (rtChance(run, 3)) {
            g_string_append(xml, "<![CDATA[a]]b<c>&amp;\n\t");
            if (rtChance(run, 50))
                g_string_append(xml, "\r\n");
            g_string_append(xml, "]]>");
        } else {
            rtSpell(run, xml, randomChar(run, TRUE), FALSE);
        }
    }
}

/* A random attribute value, single-quoted. */
void
rtRandomAttr(Run *run, GString *xml, const char *name, guint max)
{
    guint len = rtPick(run, max + 1);

    g_string_append_printf(xml, " %s='", name);
    for (guint i = 0; i < len; i++)
        rtSpell(run, xml, randomChar(run, TRUE), TRUE);
    g_string_append_c(xml, '\'');
}

/* ---------------------------------------------------------------- */
/* Documents                                                          */

/* The disks of every <domain>: TAB is no target domain.rng takes. */
static const char *const disk_targets[] = { "vda", "vdb", "v\tdc" };
static const char *const schema_targets[] = { "vda", "vdb", "vdc" };

static void
appendMetadata(Run *run, GString *xml)
{
    g_string_append(xml, "<metadata><app:m xmlns:app='urn:app&amp;1'");
    rtRandomAttr(run, xml, "v", 8);
    g_string_append(xml, ">");
    rtRandomText(run, xml, 10);
    g_string_append(xml, "<!-- a comment --><app:n");
    rtRandomAttr(run, xml, "w", 4);
    g_string_append(xml, "/></app:m><other:x xmlns:other='urn:other'>y</other:x></metadata>");
}

/* The third disk of a schema-valid domain: sometimes one a checkpoint
 * cannot have a bitmap on (read-only, or an empty CD-ROM). */
static void
appendThirdDisk(Run *run, GString *xml)
{
    guint how = rtPick(run, 6);

    if (how == 0) {
        g_string_append(xml, "<disk type='file' device='cdrom'><target dev='vdc' bus='sata'/>"
                             "<readonly/></disk>");
        return;
    }
    g_string_append(xml, "<disk type='file' device='disk'><source file='/img/c.qcow2'/>"
                         "<target dev='vdc' bus='virtio'/>");
    g_string_append(xml, how == 1 ? "<readonly/></disk>" : "</disk>");
}

static void
appendDisks(Run *run, GString *xml, gboolean schema)
{
    const char *const *targets = schema ? schema_targets : disk_targets;

    for (guint i = 0; i < G_N_ELEMENTS(disk_targets); i++) {
        if (schema && i == 2) {
            appendThirdDisk(run, xml);
            break;
        }
        g_string_append(xml, "<disk type='file' device='disk'><source file='/img/");
        rtSpell(run, xml, 'a' + i, TRUE);
        /* a path (absFilePath) may hold no line break */
        if (rtChance(run, 30))
            rtSpell(run, xml, schema ? '\t' : "\t\n\r"[rtPick(run, 3)], TRUE);
        g_string_append(xml, ".qcow2'/><target dev='");
        rtSpellString(run, xml, targets[i], TRUE);
        g_string_append(xml, "' bus='virtio'/></disk>");
    }
}

/* Elements nested @deep levels, innermost holding a little text. */
static void
appendNesting(Run *run, GString *xml, const char *element, guint deep)
{
    for (guint i = 0; i < deep; i++)
        g_string_append_printf(xml, "<%s>", element);
    if (deep)
        rtRandomText(run, xml, 3);
    for (guint i = 0; i < deep; i++)
        g_string_append_printf(xml, "</%s>", element);
}

/* A <domain> definition: the VM's uuid, disks vda, vdb and a third,
 * random attributes, namespaced metadata, and sometimes nesting near the
 * limit (a record may nest 256 levels; this <domain> is level 2). */
void
rtRandomDomain(Run *run, GString *xml, gboolean schema)
{
    guint deep = 0;

    g_string_append(xml, "<domain type='kvm'");
    if (rtChance(run, 50)) {
        if (schema)
            g_string_append_printf(xml, " id='%u'", rtPick(run, 100000));
        else
            rtRandomAttr(run, xml, "id", 6);
    }
    g_string_append(xml, "><name>vm1</name><uuid>" RT_UUID "</uuid>");
    if (rtChance(run, 50)) {
        /* a <title> takes no line break: the schema's text is <description> */
        g_string_append(xml, schema ? "<description>" : "<title>");
        rtRandomText(run, xml, 12);
        g_string_append(xml, schema ? "</description>" : "</title>");
    }
    if (schema)
        g_string_append(xml, "<memory unit='KiB'>262144</memory><os><type>hvm</type></os>");
    if (rtChance(run, 12))
        deep = 252 + rtPick(run, 6);   /* up to 254 fits in a record; more is refused */
    else if (rtChance(run, 20))
        deep = 1 + rtPick(run, 40);
    if (rtChance(run, 40) || (schema && deep)) {
        appendMetadata(run, xml);
        if (schema && deep) {
            /* inside <metadata>, the one place domain.rng takes any
             * element: <metadata> is level 3, <d> 4, so 2 fewer fit */
            g_string_truncate(xml, xml->len - strlen("</metadata>"));
            g_string_append(xml, "<d:d xmlns:d='urn:d'>");
            appendNesting(run, xml, "d:n", deep > 2 ? deep - 2 : deep);
            g_string_append(xml, "</d:d></metadata>");
        }
    }
    g_string_append(xml, "<devices>");
    appendDisks(run, xml, schema);
    g_string_append(xml, "<graphics type='vnc'");
    rtRandomAttr(run, xml, "passwd", 6);
    g_string_append(xml, "/></devices>");
    if (!schema)
        appendNesting(run, xml, "n", deep);
    g_string_append(xml, "</domain>");
}

/* A name of the tree, or NULL when it is empty. */
const char *
rtExistingName(Run *run)
{
    g_autoptr(GPtrArray) all = NULL;

    if (vsDomainListMoments(&all, run->dom, NULL, 0, NULL) < 0 || all->len == 0)
        return NULL;
    return vsMomentGetName(all->pdata[rtPick(run, all->len)]);
}

/* <creationTime>: often another record's (siblings then order by name),
 * sometimes an extreme, else a random recent one. */
void
rtAppendTime(Run *run, GString *xml)
{
    static const char *const extremes[] = {
        "9223372036854775807", "-9223372036854775807", "-9223372036854775808", "1", "-1",
        "0", "-0", "+0", "00", "+1700000000", "253402300800", "18446744073709551615",
    };
    const char *other = rtExistingName(run);

    g_string_append(xml, "<creationTime>");
    if (other && rtChance(run, 25)) {
        const vsMoment *m = vsDomainLookup(run->dom, other, NULL);
        g_string_append_printf(xml, "%" G_GINT64_FORMAT, vsMomentGetCreationTime(m));
    } else if (rtChance(run, 25)) {
        g_string_append(xml, extremes[rtPick(run, G_N_ELEMENTS(extremes))]);
    } else {
        g_string_append_printf(xml, "%u", 1700000000 + rtPick(run, 1000));
    }
    g_string_append(xml, "</creationTime>");
}

/* <parent>: mostly an existing record, sometimes none, rarely one that
 * is most likely missing (named by @odd_name). */
void
rtAppendParent(Run *run, GString *xml, void (*odd_name)(Run *, GString *, GString *))
{
    const char *parent = rtExistingName(run);

    if (parent && rtChance(run, 80)) {
        g_string_append(xml, "<parent><name>");
        rtSpellString(run, xml, parent, FALSE);
        g_string_append(xml, "</name></parent>");
    } else if (rtChance(run, 5)) {
        g_autoptr(GString) ignored = g_string_new(NULL);
        g_string_append(xml, "<parent><name>");
        odd_name(run, xml, ignored);
        g_string_append(xml, "</name></parent>");
    }
}
