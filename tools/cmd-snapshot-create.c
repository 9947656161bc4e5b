/* cmd-snapshot-create.c — snapshot-create (from an XML file) and
 * snapshot-create-as (the XML built from arguments, as virsh builds it). */
#include <string.h>

#include "cli.h"
#include "cmd-snapshot.h"

/* --state: the VM's state a hypervisor would report (default shutoff). */
static int
vsCliParseVmState(vsCli *cli, const vsCliCmd *cmd, vsSnapshotState *state)
{
    const char *str = NULL;
    int v;

    *state = VS_SNAPSHOT_STATE_SHUTOFF;
    if (vsCliOptString(cli, cmd, "state", &str) < 0)
        return -1;
    if (!str)
        return 0;
    v = vsSnapshotStateFromString(str);
    if (v <= VS_SNAPSHOT_STATE_NOSTATE || v == VS_SNAPSHOT_STATE_DISK_SNAPSHOT) {
        vsCliError(cli, "invalid domain state '%s': expected running, blocked, "
                   "paused, shutdown, shutoff, crashed or pmsuspended", str);
        return -1;
    }
    *state = v;
    return 0;
}

/* The create flags of the options both create commands have. */
static unsigned int
vsCliCreateFlags(const vsCliCmd *cmd)
{
    unsigned int flags = 0;

    if (vsCliOptBool(cmd, "no-metadata"))
        flags |= VS_SNAPSHOT_CREATE_NO_METADATA;
    if (vsCliOptBool(cmd, "disk-only"))
        flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
    if (vsCliOptBool(cmd, "validate"))
        flags |= VS_SNAPSHOT_CREATE_VALIDATE;
    return flags;
}

/* Creates or redefines from @xml and prints virsh's message. */
static int
vsCliCreate(vsCli *cli, const vsCliCmd *cmd, const char *xml, gsize len,
            unsigned int flags, const char *from)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autofree char *domxml = NULL;
    g_autofree char *name = NULL;
    const char *domfile = NULL;
    vsSnapshotState state;
    gsize domlen = 0;

    if (flags & VS_SNAPSHOT_CREATE_NO_METADATA) {
        if (flags & VS_SNAPSHOT_CREATE_REDEFINE)
            vsCliError(cli, "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' and "
                       "'VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA' are mutually exclusive");
        else
            vsCliError(cli, "--no-metadata is not supported: virtsnap only "
                       "keeps snapshot metadata, it never takes a snapshot");
        return -1;
    }
    if (vsCliOptString(cli, cmd, "domain-xml", &domfile) < 0 ||
        vsCliParseVmState(cli, cmd, &state) < 0)
        return -1;
    if (domfile && vsCliReadXml(cli, domfile, &domxml, &domlen) < 0)
        return -1;

    if (vsCliLoadDomainToCreate(cli, cmd, &dom) < 0)
        return -1;
    if (vsDomainCreateXML(&name, dom, xml, len, domxml, state, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (from)
        vsCliPrintExtra(cli, "Domain snapshot %s created from '%s'", name, from);
    else
        vsCliPrintExtra(cli, "Domain snapshot %s created", name);
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-create                                                    */

const vsCliOptDef vsCliOptsSnapshotCreate[] = {
    VS_OPT_DOMAIN,
    { "xmlfile", VS_CLI_OT_STRING, 0, "domain snapshot XML" },
    { "redefine", VS_CLI_OT_BOOL, 0, "redefine metadata for existing snapshot" },
    VS_OPT_CURRENT("with redefine, set current snapshot"),
    { "no-metadata", VS_CLI_OT_BOOL, 0, "take snapshot but create no metadata (not supported)" },
    { "disk-only", VS_CLI_OT_BOOL, 0, "capture disk state but not vm state" },
    { "validate", VS_CLI_OT_BOOL, 0, "validate the XML against the schema" },
    { "domain-xml", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "the domain's current XML definition (default: the current snapshot's)" },
    { "state", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "the domain's state (default: shutoff)" },
    { 0 }
};

int
vsCliCmdSnapshotCreate(vsCli *cli, const vsCliCmd *cmd)
{
    g_autofree char *buf = NULL;
    const char *from = NULL;
    unsigned int flags = vsCliCreateFlags(cmd);
    gsize len = 0;

    if (vsCliOptBool(cmd, "redefine"))
        flags |= VS_SNAPSHOT_CREATE_REDEFINE;
    if (vsCliOptBool(cmd, "current"))
        flags |= VS_SNAPSHOT_CREATE_CURRENT;

    /* What a hypervisor supplies only matters to a plain create. */
    if (vsCliOptExclusive(cli, cmd, "redefine", "domain-xml") < 0 ||
        vsCliOptExclusive(cli, cmd, "redefine", "state") < 0)
        return -1;

    if (vsCliOptString(cli, cmd, "xmlfile", &from) < 0)
        return -1;
    if (!from) {
        buf = g_strdup("<domainsnapshot/>");
        len = strlen(buf);
    } else if (vsCliReadXml(cli, from, &buf, &len) < 0) {
        return -1;
    }
    return vsCliCreate(cli, cmd, buf, len, flags, from);
}

/* ------------------------------------------------------------------ */
/* snapshot-create-as                                                 */

const vsCliOptDef vsCliOptsSnapshotCreateAs[] = {
    VS_OPT_DOMAIN,
    { "name", VS_CLI_OT_STRING, 0, "name of snapshot" },
    { "description", VS_CLI_OT_STRING, 0, "description of snapshot" },
    { "print-xml", VS_CLI_OT_BOOL, 0, "print XML document rather than create" },
    { "no-metadata", VS_CLI_OT_BOOL, 0, "take snapshot but create no metadata (not supported)" },
    { "disk-only", VS_CLI_OT_BOOL, 0, "capture disk state but not vm state" },
    { "validate", VS_CLI_OT_BOOL, 0, "validate the XML against the schema" },
    { "memspec", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "memory attributes: [file=]name[,snapshot=type]" },
    { "diskspec", VS_CLI_OT_ARGV, 0,
      "disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]" },
    { "domain-xml", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "the domain's current XML definition (default: the current snapshot's)" },
    { "state", VS_CLI_OT_STRING, VS_CLI_OF_NAMED,
      "the domain's state (default: shutoff)" },
    { 0 }
};

/* virsh's virBufferEscapeString: nothing at all without a value (an
 * empty one is printed: `--memspec file=` gives file=''); markup
 * characters escaped; control characters other than tab, CR and LF
 * dropped (they cannot appear in XML). */
static void
vsCliXmlEscaped(GString *buf, const char *fmt_before, const char *value,
                const char *fmt_after)
{
    if (!value)
        return;
    g_string_append(buf, fmt_before);
    for (const char *p = value; *p; p++) {
        switch (*p) {
        case '<': g_string_append(buf, "&lt;"); break;
        case '>': g_string_append(buf, "&gt;"); break;
        case '&': g_string_append(buf, "&amp;"); break;
        case '"': g_string_append(buf, "&quot;"); break;
        case '\'': g_string_append(buf, "&apos;"); break;
        default:
            if ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t' || *p == '\r')
                g_string_append_c(buf, *p);
        }
    }
    g_string_append(buf, fmt_after);
}

/* virsh's vshStringToArray: split at ',', where ",," is a literal comma;
 * an empty string has no items at all. */
static char **
vsCliSplitSpec(const char *str)
{
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) cur = g_string_new(NULL);

    if (!*str)
        return g_new0(char *, 1);

    for (const char *p = str; *p; p++) {
        if (*p != ',') {
            g_string_append_c(cur, *p);
        } else if (p[1] == ',') {
            g_string_append_c(cur, ',');
            p++;
        } else {
            g_ptr_array_add(items, g_strdup(cur->str));
            g_string_truncate(cur, 0);
        }
    }
    g_ptr_array_add(items, g_strdup(cur->str));
    g_ptr_array_add(items, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&items), FALSE);
}

static int
vsCliParseMemspec(vsCli *cli, GString *buf, const char *str)
{
    g_auto(GStrv) items = vsCliSplitSpec(str);
    const char *snapshot = NULL;
    const char *file = NULL;

    for (guint i = 0; items[i]; i++) {
        if (!snapshot && g_str_has_prefix(items[i], "snapshot="))
            snapshot = items[i] + strlen("snapshot=");
        else if (!file && g_str_has_prefix(items[i], "file="))
            file = items[i] + strlen("file=");
        else if (!file && items[i][0] == '/')
            file = items[i];
        else {
            vsCliError(cli, "unable to parse memspec: %s", str);
            return -1;
        }
    }
    g_string_append(buf, "  <memory");
    vsCliXmlEscaped(buf, " snapshot='", snapshot, "'");
    vsCliXmlEscaped(buf, " file='", file, "'");
    g_string_append(buf, "/>\n");
    return 0;
}

static int
vsCliParseDiskspec(vsCli *cli, GString *buf, const char *str)
{
    g_auto(GStrv) items = vsCliSplitSpec(str);
    const char *snapshot = NULL;
    const char *driver = NULL;
    const char *stype = NULL;
    const char *file = NULL;
    gboolean is_file = TRUE;

    for (guint i = 1; items[0] && items[i]; i++) {
        if (!snapshot && g_str_has_prefix(items[i], "snapshot="))
            snapshot = items[i] + strlen("snapshot=");
        else if (!driver && g_str_has_prefix(items[i], "driver="))
            driver = items[i] + strlen("driver=");
        else if (!stype && g_str_has_prefix(items[i], "stype="))
            stype = items[i] + strlen("stype=");
        else if (!file && g_str_has_prefix(items[i], "file="))
            file = items[i] + strlen("file=");
        else
            goto error;
    }

    g_string_append(buf, "    ");
    vsCliXmlEscaped(buf, "<disk name='", items[0], "'");
    /* virsh copies snapshot=, stype= and driver= unescaped. */
    if (snapshot)
        g_string_append_printf(buf, " snapshot='%s'", snapshot);
    if (stype) {
        if (strcmp(stype, "block") == 0) {
            is_file = FALSE;
        } else if (strcmp(stype, "file") != 0) {
            vsCliError(cli, "Unknown storage type: '%s'", stype);
            goto error;
        }
        g_string_append_printf(buf, " type='%s'", stype);
    }
    if (driver || file) {
        g_string_append(buf, ">\n");
        if (driver)
            g_string_append_printf(buf, "      <driver type='%s'/>\n", driver);
        if (file) {
            g_string_append(buf, "      ");
            vsCliXmlEscaped(buf, is_file ? "<source file='" : "<source dev='",
                            file, "'/>\n");
        }
        g_string_append(buf, "    </disk>\n");
    } else {
        g_string_append(buf, "/>\n");
    }
    return 0;

 error:
    vsCliError(cli, "unable to parse diskspec: %s", str);
    return -1;
}

int
vsCliCmdSnapshotCreateAs(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GString) buf = g_string_new("<domainsnapshot>\n");
    const GPtrArray *disks = vsCliOptArgv(cmd, "diskspec");
    const char *name = NULL;
    const char *desc = NULL;
    const char *memspec = NULL;
    unsigned int flags = vsCliCreateFlags(cmd);

    if (vsCliOptString(cli, cmd, "name", &name) < 0 ||
        vsCliOptString(cli, cmd, "description", &desc) < 0)
        return -1;
    vsCliXmlEscaped(buf, "  <name>", name, "</name>\n");
    vsCliXmlEscaped(buf, "  <description>", desc, "</description>\n");

    if (vsCliOptString(cli, cmd, "memspec", &memspec) < 0)
        return -1;
    if (memspec && vsCliParseMemspec(cli, buf, memspec) < 0)
        return -1;

    if (disks) {
        g_string_append(buf, "  <disks>\n");
        for (guint i = 0; i < disks->len; i++) {
            if (vsCliParseDiskspec(cli, buf, g_ptr_array_index(disks, i)) < 0)
                return -1;
        }
        g_string_append(buf, "  </disks>\n");
    }
    g_string_append(buf, "</domainsnapshot>\n");

    if (vsCliOptBool(cmd, "print-xml")) {
        vsCliPrint(cli, "%s\n", buf->str);
        return 0;
    }
    return vsCliCreate(cli, cmd, buf->str, buf->len, flags, NULL);
}
