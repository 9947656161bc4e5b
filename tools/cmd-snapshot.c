/* cmd-snapshot.c — virsh's snapshot-* commands over the snapshot store.
 *
 * Each command keeps virsh 9.0's option table, checks, messages and
 * output bytes; only the hypervisor side is missing (a revert or a delete
 * touches metadata only), and a few options supply what a hypervisor
 * would (--domain-xml, --state).
 */
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "cli.h"

#define VS_OPT_DOMAIN { "domain", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "domain name" }
#define VS_OPT_CURRENT(help) { "current", VS_CLI_OT_BOOL, 0, help }
#define VS_OPT_JSON { "json", VS_CLI_OT_BOOL, 0, "print one JSON document" }

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* virsh's virshLookupSnapshot: {--ARG name | --current}. */
static int
vsCliLookupSnapshot(vsCli *cli, const vsCliCmd *cmd, const char *arg,
                    gboolean exclusive, const vsDomain *dom,
                    const vsSnapshot **snap)
{
    g_autoptr(GError) err = NULL;
    gboolean current = vsCliOptBool(cmd, "current");
    const char *name = NULL;

    if (vsCliOptString(cli, cmd, arg, &name) < 0)
        return -1;
    if (exclusive && current && name) {
        vsCliError(cli, "--%s and --current are mutually exclusive", arg);
        return -1;
    }
    if (name) {
        *snap = vsDomainLookup(dom, name, &err);
    } else if (current) {
        *snap = vsDomainGetCurrent(dom, &err);
    } else {
        vsCliError(cli, "--%s or --current is required", arg);
        return -1;
    }
    if (!*snap) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

static int
vsCliFormatSnapshot(vsCli *cli, const vsDomain *dom, const vsSnapshot *snap,
                    unsigned int flags, char **out)
{
    g_autoptr(GError) err = NULL;

    if (vsSnapshotFormat(out, snap, vsDomainGetUUID(dom), flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

static int
vsCliReadXml(vsCli *cli, const char *path, char **buf, gsize *len)
{
    g_autoptr(GError) err = NULL;

    if (vsCliReadFile(buf, len, path, VS_CLI_MAX_XML_FILE, FALSE, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

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

    if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
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
/* snapshot-create                                                      */

static const vsCliOptDef vsCliOptsCreate[] = {
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

static int
vsCliCmdCreate(vsCli *cli, const vsCliCmd *cmd)
{
    g_autofree char *buf = NULL;
    const char *from = NULL;
    unsigned int flags = 0;
    gsize len = 0;

    if (vsCliOptBool(cmd, "redefine"))
        flags |= VS_SNAPSHOT_CREATE_REDEFINE;
    if (vsCliOptBool(cmd, "current"))
        flags |= VS_SNAPSHOT_CREATE_CURRENT;
    if (vsCliOptBool(cmd, "no-metadata"))
        flags |= VS_SNAPSHOT_CREATE_NO_METADATA;
    if (vsCliOptBool(cmd, "disk-only"))
        flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
    if (vsCliOptBool(cmd, "validate"))
        flags |= VS_SNAPSHOT_CREATE_VALIDATE;

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
/* snapshot-create-as                                                   */

static const vsCliOptDef vsCliOptsCreateAs[] = {
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

static int
vsCliCmdCreateAs(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GString) buf = g_string_new("<domainsnapshot>\n");
    const GPtrArray *disks = vsCliOptArgv(cmd, "diskspec");
    const char *name = NULL;
    const char *desc = NULL;
    const char *memspec = NULL;
    unsigned int flags = 0;

    if (vsCliOptBool(cmd, "no-metadata"))
        flags |= VS_SNAPSHOT_CREATE_NO_METADATA;
    if (vsCliOptBool(cmd, "disk-only"))
        flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
    if (vsCliOptBool(cmd, "validate"))
        flags |= VS_SNAPSHOT_CREATE_VALIDATE;

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

/* ------------------------------------------------------------------ */
/* snapshot-current                                                     */

static const vsCliOptDef vsCliOptsCurrent[] = {
    VS_OPT_DOMAIN,
    { "name", VS_CLI_OT_BOOL, 0, "list the name, rather than the full xml" },
    { "security-info", VS_CLI_OT_BOOL, 0, "include security sensitive information in XML dump" },
    { "snapshotname", VS_CLI_OT_STRING, 0, "name of existing snapshot to make current" },
    VS_OPT_JSON,
    { 0 }
};

static int
vsCliCmdCurrent(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const char *snapname = NULL;
    gboolean json = vsCliOptBool(cmd, "json");

    if (vsCliOptExclusive(cli, cmd, "name", "snapshotname") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "name") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "snapshotname") < 0)
        return -1;

    if (vsCliOptString(cli, cmd, "snapshotname", &snapname) < 0)
        return -1;

    if (snapname) {
        if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
            return -1;
        if (vsDomainSetCurrent(dom, snapname, &err) < 0) {
            vsCliReportGError(cli, err);
            return -1;
        }
        vsCliPrintExtra(cli, "Snapshot %s set as current", snapname);
        return 0;
    }

    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (!(snap = vsDomainGetCurrent(dom, NULL))) {
        vsCliError(cli, "domain '%s' has no current snapshot", vsDomainGetName(dom));
        return -1;
    }
    if (json) {
        g_autoptr(GString) out = g_string_new(NULL);

        vsCliJsonSnapshot(out, dom, snap, 0);
        vsCliPrint(cli, "%s\n", out->str);
    } else if (vsCliOptBool(cmd, "name")) {
        vsCliPrint(cli, "%s", vsSnapshotGetName(snap));
    } else {
        g_autofree char *xml = NULL;

        if (vsCliFormatSnapshot(cli, dom, snap, vsCliOptBool(cmd, "security-info") ?
                                VS_SNAPSHOT_FORMAT_SECURE : 0, &xml) < 0)
            return -1;
        vsCliPrint(cli, "%s", xml);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-edit                                                        */

static const vsCliOptDef vsCliOptsEdit[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("also set edited snapshot as current"),
    { "rename", VS_CLI_OT_BOOL, 0, "allow renaming an existing snapshot" },
    { "clone", VS_CLI_OT_BOOL, 0, "allow cloning to new name" },
    { 0 }
};

/* Runs $VISUAL / $EDITOR / vi on @path; the editor string may carry
 * options, so it goes through sh, with the file as "$1" (never quoted
 * into the command line). */
static int
vsCliRunEditor(vsCli *cli, const char *path)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *script = NULL;
    const char *editor = g_getenv("VISUAL");
    int status = 0;

    if (!editor || !*editor)
        editor = g_getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    script = g_strdup_printf("%s \"$1\"", editor);
    {
        const char *argv[] = { "/bin/sh", "-c", script, "sh", path, NULL };

        fflush(stdout);
        if (!g_spawn_sync(NULL, (char **)argv, NULL,
                          G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                          NULL, NULL, &status, &err)) {
            vsCliError(cli, "cannot run editor '%s': %s", editor, err->message);
            return -1;
        }
    }
    if (!g_spawn_check_wait_status(status, &err)) {
        vsCliError(cli, "editor '%s' failed: %s", editor, err->message);
        return -1;
    }
    return 0;
}

/* virsh's vshAskReedit: only asked on a terminal; -1 otherwise. */
static int
vsCliAskReedit(vsCli *cli, const char *msg)
{
    if (!isatty(STDIN_FILENO))
        return -1;
    for (;;) {
        char line[64];

        vsCliPrint(cli, "%s\nTry again? [y,n,f,?]:", msg);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin))
            return 'n';
        switch (line[0]) {
        case 'y':
        case 'n':
        case 'f':
            return line[0];
        default:
            vsCliPrint(cli, "y - yes, start editor again\n"
                       "n - no, throw away my changes\n"
                       "f - force, try to redefine again\n"
                       "? - print this help\n");
        }
    }
}

static int
vsCliCmdEdit(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autofree char *name = NULL;
    g_autofree char *doc = NULL;
    g_autofree char *edited = NULL;
    g_autofree char *edited_name = NULL;
    g_autofree char *tmp = NULL;
    const vsSnapshot *snap;
    gboolean rename_ok = vsCliOptBool(cmd, "rename");
    gboolean clone_ok = vsCliOptBool(cmd, "clone");
    unsigned int define_flags = VS_SNAPSHOT_CREATE_REDEFINE;
    gsize edited_len = 0;
    int fd;
    int ret = -1;

    if (vsCliOptExclusive(cli, cmd, "rename", "clone") < 0)
        return -1;
    if (vsCliOptBool(cmd, "current") && vsCliOptBool(cmd, "snapshotname"))
        define_flags |= VS_SNAPSHOT_CREATE_CURRENT;

    /* No lock is held while the editor runs: the definition is compared
     * again, under the lock, before it is replaced, as virsh does. */
    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", FALSE, dom, &snap) < 0)
        return -1;
    name = g_strdup(vsSnapshotGetName(snap));
    if (vsCliFormatSnapshot(cli, dom, snap, VS_SNAPSHOT_FORMAT_SECURE, &doc) < 0)
        goto cleanup;
    dom = NULL;

    /* The file holds secrets: g_file_open_tmp creates it 0600. */
    if ((fd = g_file_open_tmp("virtsnapXXXXXX.xml", &tmp, &err)) < 0) {
        vsCliError(cli, "cannot create a temporary file: %s", err->message);
        goto cleanup;
    }
    close(fd);
    if (!g_file_set_contents(tmp, doc, -1, &err)) {
        vsCliReportGError(cli, err);
        goto cleanup;
    }

    for (gboolean run_editor = TRUE;;) {
        g_autofree char *reread = NULL;
        const vsSnapshot *cur;
        const char *msg = NULL;
        unsigned int flags = define_flags;
        int c;

        if (run_editor) {
            /* No lock may be held while a person edits. */
            vsCliFlushDomains(cli);
            if (vsCliRunEditor(cli, tmp) < 0)
                goto cleanup;
            g_clear_pointer(&edited, g_free);
            if (vsCliReadXml(cli, tmp, &edited, &edited_len) < 0)
                goto cleanup;
            if (strcmp(doc, edited) == 0 &&
                !(define_flags & VS_SNAPSHOT_CREATE_CURRENT)) {
                vsCliPrintExtra(cli, "Snapshot %s XML configuration not changed.\n",
                                name);
                ret = 0;
                goto cleanup;
            }
        }

        g_clear_error(&err);
        if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
            goto cleanup;
        if (!(cur = vsDomainLookup(dom, name, &err)) ||
            vsSnapshotFormat(&reread, cur, vsDomainGetUUID(dom), VS_SNAPSHOT_FORMAT_SECURE, &err) < 0) {
            vsCliReportGError(cli, err);
            goto cleanup;
        }
        if (strstr(edited, "<state>disk-snapshot</state>"))
            flags |= VS_SNAPSHOT_CREATE_DISK_ONLY;
        if (strcmp(doc, reread) != 0) {
            msg = "The XML configuration was changed by another user.";
            g_free(doc);
            doc = g_steal_pointer(&reread);
        } else if (vsDomainCreateXML(&edited_name, dom, edited, edited_len,
                                     NULL, 0, flags, &err) < 0) {
            vsCliReportGError(cli, err);
            msg = "Failed.";
        } else {
            break;
        }

        dom = NULL;
        vsCliFlushDomains(cli);
        c = vsCliAskReedit(cli, msg);
        if (c == 'y' || c == 'f') {
            run_editor = c == 'y';
            continue;
        }
        /* Without a terminal to ask on, the define error (already
         * reported) is the answer; a concurrent change is reported. */
        if (c < 0 && !err)
            vsCliError(cli, "%s", msg);
        goto cleanup;
    }

    if (strcmp(name, edited_name) == 0) {
        vsCliPrintExtra(cli, "Snapshot %s edited.\n", name);
    } else if (clone_ok) {
        vsCliPrintExtra(cli, "Snapshot %s cloned to %s.\n", name, edited_name);
    } else {
        const char *victim = rename_ok ? name : edited_name;

        g_clear_error(&err);
        if (vsDomainDelete(dom, victim, VS_SNAPSHOT_DELETE_METADATA_ONLY, &err) < 0) {
            vsCliReportGError(cli, err);
            vsCliError(cli, "Failed to clean up %s", victim);
            goto cleanup;
        }
        if (!rename_ok) {
            vsCliError(cli, "Must use --rename or --clone to change %s to %s",
                       name, edited_name);
            goto cleanup;
        }
    }
    ret = 0;

 cleanup:
    if (tmp)
        unlink(tmp);
    if (ret < 0 && name)
        vsCliError(cli, "Failed to update %s", name);
    return ret;
}

/* ------------------------------------------------------------------ */
/* snapshot-info                                                        */

static const vsCliOptDef vsCliOptsInfo[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("info on current snapshot"),
    VS_OPT_JSON,
    { 0 }
};

static int
vsCliCmdInfo(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const vsSnapshot *cur;
    const char *parent;

    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", TRUE, dom, &snap) < 0)
        return -1;

    if (vsCliOptBool(cmd, "json")) {
        g_autoptr(GString) out = g_string_new(NULL);

        vsCliJsonSnapshot(out, dom, snap, 0);
        vsCliPrint(cli, "%s\n", out->str);
        return 0;
    }

    cur = vsDomainGetCurrent(dom, NULL);
    parent = vsSnapshotGetParentName(snap);
    vsCliPrint(cli, "%-15s %s\n", "Name:", vsSnapshotGetName(snap));
    vsCliPrint(cli, "%-15s %s\n", "Domain:", vsDomainGetName(dom));
    vsCliPrint(cli, "%-15s %s\n", "Current:",
               cur && strcmp(vsSnapshotGetName(cur), vsSnapshotGetName(snap)) == 0 ?
               "yes" : "no");
    vsCliPrint(cli, "%-15s %s\n", "State:",
               vsSnapshotStateToString(vsSnapshotGetState(snap)));
    vsCliPrint(cli, "%-15s %s\n", "Location:", vsSnapshotGetLocationSummary(snap));
    vsCliPrint(cli, "%-15s %s\n", "Parent:", parent ? parent : "-");
    vsCliPrint(cli, "%-15s %u\n", "Children:", vsDomainCountChildren(dom, snap));
    vsCliPrint(cli, "%-15s %u\n", "Descendants:", vsDomainCountDescendants(dom, snap));
    vsCliPrint(cli, "%-15s %s\n", "Metadata:", "yes");
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-list                                                        */

static const vsCliOptDef vsCliOptsList[] = {
    VS_OPT_DOMAIN,
    { "parent", VS_CLI_OT_BOOL, 0, "add a column showing parent snapshot" },
    { "roots", VS_CLI_OT_BOOL, 0, "list only snapshots without parents" },
    { "leaves", VS_CLI_OT_BOOL, 0, "list only snapshots without children" },
    { "no-leaves", VS_CLI_OT_BOOL, 0, "list only snapshots that are not leaves (with children)" },
    { "metadata", VS_CLI_OT_BOOL, 0, "list only snapshots that have metadata that would prevent undefine" },
    { "no-metadata", VS_CLI_OT_BOOL, 0, "list only snapshots that have no metadata managed by libvirt" },
    { "inactive", VS_CLI_OT_BOOL, 0, "filter by snapshots taken while inactive" },
    { "active", VS_CLI_OT_BOOL, 0, "filter by snapshots taken while active (full system snapshots)" },
    { "disk-only", VS_CLI_OT_BOOL, 0, "filter by disk-only snapshots" },
    { "internal", VS_CLI_OT_BOOL, 0, "filter by internal snapshots" },
    { "external", VS_CLI_OT_BOOL, 0, "filter by external snapshots" },
    { "tree", VS_CLI_OT_BOOL, 0, "list snapshots in a tree" },
    { "from", VS_CLI_OT_STRING, 0, "limit list to children of given snapshot" },
    VS_OPT_CURRENT("limit list to children of current snapshot"),
    { "descendants", VS_CLI_OT_BOOL, 0, "with --from, list all descendants" },
    { "name", VS_CLI_OT_BOOL, 0, "list snapshot names only" },
    { "topological", VS_CLI_OT_BOOL, 0, "sort list topologically rather than by name" },
    VS_OPT_JSON,
    { 0 }
};

/* virsh's vshStrcasecmp: ASCII case folding, bytes compared unsigned. */
static gint
vsCliSnapCompare(gconstpointer a, gconstpointer b)
{
    const vsSnapshot *sa = *(const vsSnapshot *const *)a;
    const vsSnapshot *sb = *(const vsSnapshot *const *)b;

    return g_ascii_strcasecmp(vsSnapshotGetName(sa), vsSnapshotGetName(sb));
}

static int
vsCliCmdList(vsCli *cli, const vsCliCmd *cmd)
{
    static const struct {
        const char *opt;
        unsigned int flag;
    } filters[] = {
        { "leaves", VS_SNAPSHOT_LIST_LEAVES },
        { "no-leaves", VS_SNAPSHOT_LIST_NO_LEAVES },
        { "inactive", VS_SNAPSHOT_LIST_INACTIVE },
        { "active", VS_SNAPSHOT_LIST_ACTIVE },
        { "disk-only", VS_SNAPSHOT_LIST_DISK_ONLY },
        { "internal", VS_SNAPSHOT_LIST_INTERNAL },
        { "external", VS_SNAPSHOT_LIST_EXTERNAL },
    };
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autoptr(GPtrArray) list = NULL;
    const vsSnapshot *start = NULL;
    gboolean tree = vsCliOptBool(cmd, "tree");
    gboolean name = vsCliOptBool(cmd, "name");
    gboolean from = vsCliOptBool(cmd, "from");
    gboolean parent = vsCliOptBool(cmd, "parent");
    gboolean roots = vsCliOptBool(cmd, "roots");
    gboolean current = vsCliOptBool(cmd, "current");
    gboolean json = vsCliOptBool(cmd, "json");
    unsigned int flags = 0;

    if (vsCliOptExclusive(cli, cmd, "tree", "name") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "roots") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "from") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "current") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "name") < 0)
        return -1;

    for (guint i = 0; i < G_N_ELEMENTS(filters); i++) {
        if (vsCliOptBool(cmd, filters[i].opt)) {
            if (tree) {
                vsCliError(cli, "--%s and --tree are mutually exclusive", filters[i].opt);
                return -1;
            }
            flags |= filters[i].flag;
        }
    }
    if (vsCliOptBool(cmd, "topological"))
        flags |= VS_SNAPSHOT_LIST_TOPOLOGICAL;
    if (roots)
        flags |= VS_SNAPSHOT_LIST_ROOTS;
    if (vsCliOptBool(cmd, "metadata"))
        flags |= VS_SNAPSHOT_LIST_METADATA;
    if (vsCliOptBool(cmd, "no-metadata"))
        flags |= VS_SNAPSHOT_LIST_NO_METADATA;
    if (vsCliOptBool(cmd, "descendants")) {
        if (!from && !current) {
            vsCliError(cli, "--descendants requires either --from or --current");
            return -1;
        }
        flags |= VS_SNAPSHOT_LIST_DESCENDANTS;
    }

    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if ((from || current) &&
        vsCliLookupSnapshot(cli, cmd, "from", TRUE, dom, &start) < 0)
        return -1;

    /* --tree --from prints the start as the root of what is listed:
     * its children, or with --descendants its whole subtree (virsh 9.0
     * adds no implicit --descendants). */
    if (vsDomainListSnapshots(&list, dom, start, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (tree && start)
        g_ptr_array_add(list, (gpointer)start);
    if (!(flags & VS_SNAPSHOT_LIST_TOPOLOGICAL))
        g_ptr_array_sort(list, vsCliSnapCompare);

    if (tree) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autofree const char **names = g_new0(const char *, list->len + 1);
        g_autofree int *parents = g_new0(int, list->len + 1);
        g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint i = 0; i < list->len; i++) {
            names[i] = vsSnapshotGetName(g_ptr_array_index(list, i));
            g_hash_table_insert(index, (gpointer)names[i], GUINT_TO_POINTER(i + 1));
        }
        for (guint i = 0; i < list->len; i++) {
            const vsSnapshot *s = g_ptr_array_index(list, i);
            const char *pname = s == start ? NULL : vsSnapshotGetParentName(s);
            gpointer hit = pname ? g_hash_table_lookup(index, pname) : NULL;

            /* A parent outside the list (or none) makes no tree root,
             * except for a true root: virsh prints only those. */
            parents[i] = pname ? (hit ? (int)GPOINTER_TO_UINT(hit) - 1 : -2) : -1;
        }
        for (guint i = 0; i < list->len; i++) {
            if (parents[i] == -1)
                vsCliTreeFormat(out, names, parents, list->len, i);
        }
        vsCliPrint(cli, "%s", out->str);
        return 0;
    }

    if (json) {
        g_autoptr(GString) out = g_string_new("[");

        for (guint i = 0; i < list->len; i++) {
            g_string_append(out, i ? ",\n" : "\n");
            vsCliJsonSnapshot(out, dom, g_ptr_array_index(list, i), 2);
        }
        g_string_append(out, list->len ? "\n]\n" : "]\n");
        vsCliPrint(cli, "%s", out->str);
        return 0;
    }

    if (name) {
        for (guint i = 0; i < list->len; i++)
            vsCliPrint(cli, "%s\n", vsSnapshotGetName(g_ptr_array_index(list, i)));
        return 0;
    }

    {
        static const char *const head3[] = { "Name", "Creation Time", "State" };
        static const char *const head4[] = { "Name", "Creation Time", "State", "Parent" };
        g_autoptr(vsCliTable) table = vsCliTableNew(parent ? 4 : 3, parent ? head4 : head3);
        g_autofree char *text = NULL;

        for (guint i = 0; i < list->len; i++) {
            const vsSnapshot *s = g_ptr_array_index(list, i);
            g_autofree char *when = vsCliFormatTime(vsSnapshotGetCreationTime(s));
            const char *pname = vsSnapshotGetParentName(s);
            const char *row[] = {
                vsSnapshotGetName(s), when,
                vsSnapshotStateToString(vsSnapshotGetState(s)),
                pname ? pname : "",
            };

            vsCliTableAddRow(table, row);
        }
        text = vsCliTableFormat(table, !cli->quiet);
        vsCliPrint(cli, "%s", text);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-dumpxml                                                     */

static const vsCliOptDef vsCliOptsDumpxml[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "snapshot name" },
    { "security-info", VS_CLI_OT_BOOL, 0, "include security sensitive information in XML dump" },
    { "xpath", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "xpath expression to filter the XML document" },
    { "wrap", VS_CLI_OT_BOOL, 0, "wrap xpath results in an common root element" },
    { 0 }
};

static void
vsCliXmlQuiet(void *ctx, const char *msg, ...)
{
}

static char *
vsCliNodeToString(xmlDocPtr doc, xmlNodePtr node)
{
    xmlBufferPtr xbuf = xmlBufferCreate();
    char *str;

    xmlNodeDump(xbuf, doc, node, 0, 1);
    str = g_strdup((const char *)xmlBufferContent(xbuf));
    xmlBufferFree(xbuf);
    return str;
}

/* virsh's virshDumpXML: the nodes matching @xpath, each formatted on its
 * own, or copied under one <nodes> root with --wrap. */
static int
vsCliDumpXPath(vsCli *cli, const char *xml, const char *xpath, gboolean wrap)
{
    xmlDocPtr doc = NULL;
    xmlXPathContextPtr ctxt = NULL;
    xmlXPathObjectPtr obj = NULL;
    xmlDocPtr newdoc = NULL;
    int ret = -1;

    /* Our own formatter's output: the parse cannot fail in practice. */
    xmlSetGenericErrorFunc(NULL, vsCliXmlQuiet);
    doc = xmlReadMemory(xml, strlen(xml), "domain-snapshot", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    if (!doc) {
        vsCliError(cli, "cannot parse the snapshot XML");
        goto cleanup;
    }
    ctxt = xmlXPathNewContext(doc);
    ctxt->node = xmlDocGetRootElement(doc);
    obj = xmlXPathEval((const xmlChar *)xpath, ctxt);
    if (!obj) {
        /* virsh only shows libxml2's message and succeeds; fail instead. */
        vsCliError(cli, "Invalid xpath expression '%s'", xpath);
        goto cleanup;
    }
    if (obj->type != XPATH_NODESET) {
        vsCliError(cli, "internal error: Incorrect xpath '%s'", xpath);
        goto cleanup;
    }

    if (wrap) {
        xmlNodePtr root;
        g_autofree char *str = NULL;

        newdoc = xmlNewDoc((const xmlChar *)"1.0");
        root = xmlNewNode(NULL, (const xmlChar *)"nodes");
        xmlDocSetRootElement(newdoc, root);
        for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
            xmlNodePtr copy = xmlDocCopyNode(obj->nodesetval->nodeTab[i], newdoc, 1);

            if (!copy || !xmlAddChild(root, copy)) {
                xmlFreeNode(copy);
                vsCliError(cli, "cannot copy the XPath result");
                goto cleanup;
            }
        }
        str = vsCliNodeToString(newdoc, root);
        vsCliPrint(cli, "%s\n", str);
    } else {
        for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
            g_autofree char *str = vsCliNodeToString(doc, obj->nodesetval->nodeTab[i]);

            vsCliPrint(cli, "%s\n", str);
        }
    }
    ret = 0;

 cleanup:
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctxt);
    xmlFreeDoc(newdoc);
    xmlFreeDoc(doc);
    xmlSetGenericErrorFunc(NULL, NULL);
    return ret;
}

static int
vsCliCmdDumpxml(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autofree char *xml = NULL;
    const vsSnapshot *snap;
    const char *name = NULL;
    const char *xpath = NULL;

    if (vsCliOptString(cli, cmd, "snapshotname", &name) < 0)
        return -1;
    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (!(snap = vsDomainLookup(dom, name, &err))) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (vsCliOptString(cli, cmd, "xpath", &xpath) < 0)
        return -1;
    if (vsCliFormatSnapshot(cli, dom, snap, vsCliOptBool(cmd, "security-info") ?
                            VS_SNAPSHOT_FORMAT_SECURE : 0, &xml) < 0)
        return -1;
    if (!xpath) {
        vsCliPrint(cli, "%s", xml);
        return 0;
    }
    return vsCliDumpXPath(cli, xml, xpath, vsCliOptBool(cmd, "wrap"));
}

/* ------------------------------------------------------------------ */
/* snapshot-parent                                                      */

static const vsCliOptDef vsCliOptsParent[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "find parent of snapshot name" },
    VS_OPT_CURRENT("find parent of current snapshot"),
    VS_OPT_JSON,
    { 0 }
};

static int
vsCliCmdParent(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsSnapshot *snap;
    const vsSnapshot *parent;

    if (vsCliLoadDomain(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", TRUE, dom, &snap) < 0)
        return -1;
    if (!(parent = vsDomainGetParent(dom, snap))) {
        vsCliError(cli, "snapshot '%s' has no parent", vsSnapshotGetName(snap));
        return -1;
    }
    if (vsCliOptBool(cmd, "json")) {
        g_autoptr(GString) out = g_string_new(NULL);

        vsCliJsonSnapshot(out, dom, parent, 0);
        vsCliPrint(cli, "%s\n", out->str);
    } else {
        vsCliPrint(cli, "%s", vsSnapshotGetName(parent));
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-revert                                                      */

static const vsCliOptDef vsCliOptsRevert[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("revert to current snapshot"),
    { "running", VS_CLI_OT_BOOL, 0, "after reverting, change state to running" },
    { "paused", VS_CLI_OT_BOOL, 0, "after reverting, change state to paused" },
    { "force", VS_CLI_OT_BOOL, 0, "try harder on risky reverts" },
    { 0 }
};

static int
vsCliCmdRevert(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autofree char *name = NULL;
    const vsSnapshot *snap;

    if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", TRUE, dom, &snap) < 0)
        return -1;
    name = g_strdup(vsSnapshotGetName(snap));

    /* Metadata only: reverting makes the snapshot current.  The flag
     * check is the one libvirt's API entry point makes. */
    if (vsCliOptBool(cmd, "running") && vsCliOptBool(cmd, "paused")) {
        vsCliError(cli, "Failed to revert snapshot %s", name);
        vsCliError(cli, "Flags 'VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING' and "
                   "'VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED' are mutually exclusive");
        return -1;
    }
    if (vsDomainSetCurrent(dom, name, &err) < 0) {
        vsCliError(cli, "Failed to revert snapshot %s", name);
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliPrintExtra(cli, "Domain snapshot %s reverted\n", name);
    return 0;
}

/* ------------------------------------------------------------------ */
/* snapshot-delete                                                      */

static const vsCliOptDef vsCliOptsDelete[] = {
    VS_OPT_DOMAIN,
    { "snapshotname", VS_CLI_OT_STRING, 0, "snapshot name" },
    VS_OPT_CURRENT("delete current snapshot"),
    { "children", VS_CLI_OT_BOOL, 0, "delete snapshot and all children" },
    { "children-only", VS_CLI_OT_BOOL, 0, "delete children but not snapshot" },
    { "metadata", VS_CLI_OT_BOOL, 0, "delete only libvirt metadata, leaving snapshot contents behind" },
    { 0 }
};

static int
vsCliCmdDelete(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    g_autofree char *name = NULL;
    const vsSnapshot *snap;
    unsigned int flags = 0;

    if (vsCliLoadDomain(cli, cmd, TRUE, &dom) < 0)
        return -1;
    if (vsCliLookupSnapshot(cli, cmd, "snapshotname", TRUE, dom, &snap) < 0)
        return -1;
    name = g_strdup(vsSnapshotGetName(snap));

    if (vsCliOptBool(cmd, "children"))
        flags |= VS_SNAPSHOT_DELETE_CHILDREN;
    if (vsCliOptBool(cmd, "children-only"))
        flags |= VS_SNAPSHOT_DELETE_CHILDREN_ONLY;
    if (vsCliOptBool(cmd, "metadata"))
        flags |= VS_SNAPSHOT_DELETE_METADATA_ONLY;

    if (vsDomainDelete(dom, name, flags, &err) < 0) {
        vsCliError(cli, "Failed to delete snapshot %s", name);
        vsCliReportGError(cli, err);
        return -1;
    }
    if (flags & VS_SNAPSHOT_DELETE_CHILDREN_ONLY)
        vsCliPrintExtra(cli, "Domain snapshot %s children deleted\n", name);
    else
        vsCliPrintExtra(cli, "Domain snapshot %s deleted\n", name);
    return 0;
}

/* ------------------------------------------------------------------ */

static const vsCliCmdDef vsCliSnapshotCmds[] = {
    { "snapshot-create", "Create a snapshot from XML",
      "Create a snapshot (disk and RAM) from XML", vsCliOptsCreate, vsCliCmdCreate },
    { "snapshot-create-as", "Create a snapshot from a set of args",
      "Create a snapshot (disk and RAM) from arguments", vsCliOptsCreateAs, vsCliCmdCreateAs },
    { "snapshot-current", "Get or set the current snapshot",
      "Get or set the current snapshot", vsCliOptsCurrent, vsCliCmdCurrent },
    { "snapshot-delete", "Delete a domain snapshot",
      "Snapshot Delete", vsCliOptsDelete, vsCliCmdDelete },
    { "snapshot-dumpxml", "Dump XML for a domain snapshot",
      "Snapshot Dump XML", vsCliOptsDumpxml, vsCliCmdDumpxml },
    { "snapshot-edit", "edit XML for a snapshot",
      "Edit the domain snapshot XML for a named snapshot", vsCliOptsEdit, vsCliCmdEdit },
    { "snapshot-info", "snapshot information",
      "Returns basic information about a snapshot.", vsCliOptsInfo, vsCliCmdInfo },
    { "snapshot-list", "List snapshots for a domain",
      "Snapshot List", vsCliOptsList, vsCliCmdList },
    { "snapshot-parent", "Get the name of the parent of a snapshot",
      "Extract the snapshot's parent, if any", vsCliOptsParent, vsCliCmdParent },
    { "snapshot-revert", "Revert a domain to a snapshot",
      "Revert domain to snapshot", vsCliOptsRevert, vsCliCmdRevert },
    { 0 }
};

const vsCliGroup vsCliGroupSnapshot = { "Snapshot", "snapshot", vsCliSnapshotCmds };
