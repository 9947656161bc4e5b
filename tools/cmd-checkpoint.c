/* cmd-checkpoint.c — virsh 9.0's checkpoint-* commands on the checkpoint
 * store (--checkpoint-dir): create (--redefine), create-as, list, info,
 * parent, dumpxml, edit, delete.
 *
 * Each keeps virsh's option table, checks, messages and output bytes.
 * virtsnap never has a running VM, so it answers what virsh answers for
 * an inactive one: a plain create, a delete without --metadata,
 * --redefine-validate and --size fail with virsh's words. */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cli.h"

#define OPT_DOMAIN { "domain", VS_CLI_OT_STRING, VS_CLI_OF_REQUIRED, "domain name, id or uuid" }
#define OPT_JSON { "json", VS_CLI_OT_BOOL, 0, "print one JSON document" }

/* --json: one checkpoint as an object (virtsnap's own, as for snapshots). */
static void
jsonCheckpoint(GString *out, const vsDomain *dom, const vsCheckpoint *chk, guint indent)
{
    g_autofree char *pad = g_strnfill(indent, ' ');
    guint n = vsCheckpointGetDiskCount(chk);

    g_string_append_printf(out, "%s{\n%s  \"name\": ", pad, pad);
    vsCliJsonString(out, vsMomentGetName(chk));
    g_string_append_printf(out, ",\n%s  \"parent\": ", pad);
    vsCliJsonString(out, vsMomentGetParentName(chk));
    g_string_append_printf(out, ",\n%s  \"creationTime\": %" G_GINT64_FORMAT, pad,
                           vsMomentGetCreationTime(chk));
    g_string_append_printf(out, ",\n%s  \"children\": %u", pad,
                           vsDomainCountChildren(dom, chk));
    g_string_append_printf(out, ",\n%s  \"descendants\": %u", pad,
                           vsDomainCountDescendants(dom, chk));
    g_string_append_printf(out, ",\n%s  \"description\": ", pad);
    vsCliJsonString(out, vsMomentGetDescription(chk));
    g_string_append_printf(out, ",\n%s  \"disks\": [", pad);
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(out, "%s\n%s    { \"name\": ", i ? "," : "", pad);
        vsCliJsonString(out, vsCheckpointGetDiskName(chk, i));
        g_string_append(out, ", \"checkpoint\": ");
        vsCliJsonString(out, vsCheckpointTypeToString(vsCheckpointGetDiskType(chk, i)));
        g_string_append(out, ", \"bitmap\": ");
        vsCliJsonString(out, vsCheckpointGetDiskBitmap(chk, i));
        g_string_append(out, " }");
    }
    if (n)
        g_string_append_printf(out, "\n%s  ]\n%s}", pad, pad);
    else
        g_string_append_printf(out, "]\n%s}", pad);
}

static void
printJson(vsCli *cli, const vsDomain *dom, const vsCheckpoint *chk)
{
    g_autoptr(GString) out = g_string_new(NULL);

    jsonCheckpoint(out, dom, chk, 0);
    vsCliPrint(cli, "%s\n", out->str);
}

/* virsh's virshLookupCheckpoint: --checkpointname, required. */
static int
lookupCheckpoint(vsCli *cli, const vsCliCmd *cmd, gboolean write, vsDomain **dom,
                 const vsCheckpoint **chk)
{
    g_autoptr(GError) err = NULL;
    const char *name = NULL;

    if (vsCliOptString(cli, cmd, "checkpointname", &name) < 0)
        return -1;
    if (!name) {
        vsCliError(cli, "--checkpointname is required");
        return -1;
    }
    if (vsCliLoadCheckpoints(cli, cmd, write, dom) < 0)
        return -1;
    if (!(*chk = vsDomainLookup(*dom, name, &err))) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* checkpoint-create, checkpoint-create-as                              */

static const vsCliOptDef optsCreate[] = {
    OPT_DOMAIN,
    { "xmlfile", VS_CLI_OT_STRING, 0, "domain checkpoint XML" },
    { "redefine", VS_CLI_OT_BOOL, 0, "redefine metadata for existing checkpoint" },
    { "redefine-validate", VS_CLI_OT_BOOL, 0, "validate the redefined checkpoint" },
    { "quiesce", VS_CLI_OT_BOOL, 0, "quiesce guest's file systems" },
    { 0 }
};

/* virDomainCheckpointCreateXML as virsh calls it; @from names the file. */
static int
createXML(vsCli *cli, const vsCliCmd *cmd, const char *xml, gsize len, unsigned int flags,
          const char *from)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL;
    vsDomain *dom = NULL;

    if (!(flags & VS_CHECKPOINT_CREATE_REDEFINE) && !(flags & ~VS_CHECKPOINT_CREATE_REDEFINE)) {
        /* what virsh says of the inactive VM it would need */
        vsCliError(cli, "Operation not supported: cannot create checkpoint for inactive domain");
        return -1;
    }
    if (vsCliLoadCheckpointsToCreate(cli, cmd, &dom) < 0)
        return -1;
    if (vsDomainCheckpointCreateXML(&name, dom, xml, len, NULL, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (from)
        vsCliPrintExtra(cli, "Domain checkpoint %s created from '%s'", name, from);
    else
        vsCliPrintExtra(cli, "Domain checkpoint %s created", name);
    return 0;
}

static int
cmdCreate(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;
    const char *file = NULL;
    unsigned int flags = 0;
    gsize len = 0;

    if (vsCliOptBool(cmd, "redefine"))
        flags |= VS_CHECKPOINT_CREATE_REDEFINE;
    if (vsCliOptBool(cmd, "redefine-validate"))
        flags |= VS_CHECKPOINT_CREATE_REDEFINE_VALIDATE;
    if (vsCliOptBool(cmd, "quiesce"))
        flags |= VS_CHECKPOINT_CREATE_QUIESCE;
    if (vsCliOptString(cli, cmd, "xmlfile", &file) < 0)
        return -1;
    if (!file) {
        xml = g_strdup("<domaincheckpoint/>");
        len = strlen(xml);
    } else if (vsCliReadFile(&xml, &len, file, VS_CLI_MAX_XML_FILE, FALSE, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return createXML(cli, cmd, xml, len, flags, file);
}

static const vsCliOptDef optsCreateAs[] = {
    OPT_DOMAIN,
    { "name", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "name of checkpoint" },
    { "description", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "description of checkpoint" },
    { "print-xml", VS_CLI_OT_BOOL, 0, "print XML document rather than create" },
    { "quiesce", VS_CLI_OT_BOOL, 0, "quiesce guest's file systems" },
    { "diskspec", VS_CLI_OT_ARGV, 0, "disk attributes: disk[,checkpoint=type][,bitmap=name]" },
    { 0 }
};

static void
appendAttr(GString *buf, const char *name, const char *value)
{
    g_autofree char *esc = g_markup_escape_text(value, -1);

    g_string_append_printf(buf, " %s='%s'", name, esc);
}

/* virsh's virshParseCheckpointDiskspec: disk[,checkpoint=type][,bitmap=name] */
static int
appendDiskspec(vsCli *cli, GString *buf, const char *spec)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

    g_string_append(buf, "    <disk");
    appendAttr(buf, "name", parts[0]);
    for (guint i = 1; parts[i]; i++) {
        if (g_str_has_prefix(parts[i], "checkpoint=")) {
            appendAttr(buf, "checkpoint", parts[i] + strlen("checkpoint="));
        } else if (g_str_has_prefix(parts[i], "bitmap=")) {
            appendAttr(buf, "bitmap", parts[i] + strlen("bitmap="));
        } else {
            vsCliError(cli, "unable to parse diskspec: %s", spec);
            return -1;
        }
    }
    g_string_append(buf, "/>\n");
    return 0;
}

static int
cmdCreateAs(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GString) buf = g_string_new("<domaincheckpoint>\n");
    const GPtrArray *specs = vsCliOptArgv(cmd, "diskspec");
    const char *name = NULL;
    const char *desc = NULL;
    unsigned int flags = 0;

    if (vsCliOptString(cli, cmd, "name", &name) < 0 ||
        vsCliOptString(cli, cmd, "description", &desc) < 0)
        return -1;
    if (name) {
        g_autofree char *esc = g_markup_escape_text(name, -1);
        g_string_append_printf(buf, "  <name>%s</name>\n", esc);
    }
    if (desc) {
        g_autofree char *esc = g_markup_escape_text(desc, -1);
        g_string_append_printf(buf, "  <description>%s</description>\n", esc);
    }
    if (specs && specs->len) {
        g_string_append(buf, "  <disks>\n");
        for (guint i = 0; i < specs->len; i++) {
            if (appendDiskspec(cli, buf, g_ptr_array_index(specs, i)) < 0)
                return -1;
        }
        g_string_append(buf, "  </disks>\n");
    }
    g_string_append(buf, "</domaincheckpoint>\n");
    if (vsCliOptBool(cmd, "print-xml")) {
        vsCliPrint(cli, "%s\n", buf->str);
        return 0;
    }
    if (vsCliOptBool(cmd, "quiesce"))
        flags |= VS_CHECKPOINT_CREATE_QUIESCE;
    return createXML(cli, cmd, buf->str, buf->len, flags, NULL);
}

/* ------------------------------------------------------------------ */
/* checkpoint-list                                                      */

static const vsCliOptDef optsList[] = {
    OPT_DOMAIN,
    { "parent", VS_CLI_OT_BOOL, 0, "add a column showing parent checkpoint" },
    { "roots", VS_CLI_OT_BOOL, 0, "list only checkpoints without parents" },
    { "leaves", VS_CLI_OT_BOOL, 0, "list only checkpoints without children" },
    { "no-leaves", VS_CLI_OT_BOOL, 0, "list only checkpoints that are not leaves (with children)" },
    { "tree", VS_CLI_OT_BOOL, 0, "list checkpoints in a tree" },
    { "from", VS_CLI_OT_STRING, 0, "limit list to children of given checkpoint" },
    { "descendants", VS_CLI_OT_BOOL, 0, "with --from, list all descendants" },
    { "name", VS_CLI_OT_BOOL, 0, "list checkpoint names only" },
    { "topological", VS_CLI_OT_BOOL, 0, "sort list topologically rather than by name" },
    OPT_JSON,
    { 0 }
};

static int
listFlags(vsCli *cli, const vsCliCmd *cmd, unsigned int *out)
{
    unsigned int flags = 0;

    if (vsCliOptExclusive(cli, cmd, "tree", "name") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "roots") < 0 ||
        vsCliOptExclusive(cli, cmd, "parent", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "roots", "from") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "tree") < 0 ||
        vsCliOptExclusive(cli, cmd, "json", "name") < 0)
        return -1;
    if (vsCliOptBool(cmd, "leaves"))
        flags |= VS_CHECKPOINT_LIST_LEAVES;
    if (vsCliOptBool(cmd, "no-leaves"))
        flags |= VS_CHECKPOINT_LIST_NO_LEAVES;
    if (vsCliOptBool(cmd, "topological"))
        flags |= VS_CHECKPOINT_LIST_TOPOLOGICAL;
    if (vsCliOptBool(cmd, "roots"))
        flags |= VS_CHECKPOINT_LIST_ROOTS;
    if (vsCliOptBool(cmd, "descendants")) {
        if (!vsCliOptBool(cmd, "from")) {
            vsCliError(cli, "--descendants requires --from");
            return -1;
        }
        flags |= VS_CHECKPOINT_LIST_DESCENDANTS;
    }
    *out = flags;
    return 0;
}

static void
printTable(vsCli *cli, GPtrArray *list, gboolean parent)
{
    static const char *const head2[] = { "Name", "Creation Time" };
    static const char *const head3[] = { "Name", "Creation Time", "Parent" };
    g_autoptr(vsCliTable) table = vsCliTableNew(parent ? 3 : 2, parent ? head3 : head2);
    g_autofree char *text = NULL;

    for (guint i = 0; i < list->len; i++) {
        const vsMoment *m = g_ptr_array_index(list, i);
        g_autofree char *when = vsCliFormatTime(vsMomentGetCreationTime(m));
        const char *pname = vsMomentGetParentName(m);
        const char *row[] = { vsMomentGetName(m), when, pname ? pname : "" };

        vsCliTableAddRow(table, row);
    }
    text = vsCliTableFormat(table, !cli->quiet);
    vsCliPrint(cli, "%s", text);
}

static int
cmdList(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) list = NULL;
    vsDomain *dom = NULL;
    const vsMoment *start = NULL;
    const char *from = NULL;
    gboolean tree = vsCliOptBool(cmd, "tree");
    unsigned int flags = 0;

    if (listFlags(cli, cmd, &flags) < 0 || vsCliOptString(cli, cmd, "from", &from) < 0)
        return -1;
    if (vsCliLoadCheckpoints(cli, cmd, FALSE, &dom) < 0)
        return -1;
    if (from && !(start = vsDomainLookup(dom, from, &err))) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (vsDomainListMoments(&list, dom, start, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (tree && start)
        g_ptr_array_add(list, (gpointer)start);
    /* --topological: the library's order (pre-order, siblings by
     * creationTime then name), deterministic where libvirt's is not */
    if (!(flags & VS_CHECKPOINT_LIST_TOPOLOGICAL))
        g_ptr_array_sort(list, vsCliCompareMomentNames);
    if (tree) {
        vsCliPrintMomentTree(cli, list, start);
    } else if (vsCliOptBool(cmd, "json")) {
        g_autoptr(GString) out = g_string_new("[");

        for (guint i = 0; i < list->len; i++) {
            g_string_append(out, i ? ",\n" : "\n");
            jsonCheckpoint(out, dom, g_ptr_array_index(list, i), 2);
        }
        g_string_append(out, list->len ? "\n]\n" : "]\n");
        vsCliPrint(cli, "%s", out->str);
    } else if (vsCliOptBool(cmd, "name")) {
        for (guint i = 0; i < list->len; i++)
            vsCliPrint(cli, "%s\n", vsMomentGetName(g_ptr_array_index(list, i)));
    } else {
        printTable(cli, list, vsCliOptBool(cmd, "parent"));
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* checkpoint-info, checkpoint-parent, checkpoint-dumpxml               */

static const vsCliOptDef optsInfo[] = {
    OPT_DOMAIN,
    { "checkpointname", VS_CLI_OT_STRING, 0, "checkpoint name" },
    OPT_JSON,
    { 0 }
};

static int
cmdInfo(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsCheckpoint *chk;
    const vsMoment *parent;

    if (lookupCheckpoint(cli, cmd, FALSE, &dom, &chk) < 0)
        return -1;
    if (vsCliOptBool(cmd, "json")) {
        printJson(cli, dom, chk);
        return 0;
    }
    parent = vsDomainGetParent(dom, chk);
    vsCliPrint(cli, "%-15s %s\n", "Name:", vsMomentGetName(chk));
    vsCliPrint(cli, "%-15s %s\n", "Domain:", vsDomainGetName(dom));
    vsCliPrint(cli, "%-15s %s\n", "Parent:", parent ? vsMomentGetName(parent) : "-");
    vsCliPrint(cli, "%-15s %u\n", "Children:", vsDomainCountChildren(dom, chk));
    vsCliPrint(cli, "%-15s %u\n", "Descendants:", vsDomainCountDescendants(dom, chk));
    return 0;
}

static const vsCliOptDef optsParent[] = {
    OPT_DOMAIN,
    { "checkpointname", VS_CLI_OT_STRING, 0, "find parent of checkpoint name" },
    OPT_JSON,
    { 0 }
};

static int
cmdParent(vsCli *cli, const vsCliCmd *cmd)
{
    vsDomain *dom = NULL;
    const vsCheckpoint *chk;
    const vsMoment *parent;

    if (lookupCheckpoint(cli, cmd, FALSE, &dom, &chk) < 0)
        return -1;
    if (!(parent = vsDomainGetParent(dom, chk))) {
        vsCliError(cli, "checkpoint '%s' has no parent", vsMomentGetName(chk));
        return -1;
    }
    if (vsCliOptBool(cmd, "json"))
        printJson(cli, dom, parent);
    else
        vsCliPrint(cli, "%s", vsMomentGetName(parent));
    return 0;
}

static const vsCliOptDef optsDumpxml[] = {
    OPT_DOMAIN,
    { "checkpointname", VS_CLI_OT_STRING, 0, "checkpoint name" },
    { "security-info", VS_CLI_OT_BOOL, 0, "include security sensitive information in XML dump" },
    { "no-domain", VS_CLI_OT_BOOL, 0, "exclude <domain> from XML" },
    { "size", VS_CLI_OT_BOOL, 0, "include backup size estimate in XML dump" },
    { "xpath", VS_CLI_OT_STRING, VS_CLI_OF_NAMED, "xpath expression to filter the XML document" },
    { "wrap", VS_CLI_OT_BOOL, 0, "wrap xpath results in an common root element" },
    { 0 }
};

static int
cmdDumpxml(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;
    vsDomain *dom = NULL;
    const vsCheckpoint *chk;
    const char *xpath = NULL;
    unsigned int flags = 0;

    if (lookupCheckpoint(cli, cmd, FALSE, &dom, &chk) < 0 ||
        vsCliOptString(cli, cmd, "xpath", &xpath) < 0)
        return -1;
    if (vsCliOptBool(cmd, "security-info"))
        flags |= VS_CHECKPOINT_FORMAT_SECURE;
    if (vsCliOptBool(cmd, "no-domain"))
        flags |= VS_CHECKPOINT_FORMAT_NO_DOMAIN;
    if (vsCliOptBool(cmd, "size"))
        flags |= VS_CHECKPOINT_FORMAT_SIZE;
    if (vsCheckpointFormat(&xml, chk, flags, &err) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    if (xpath)
        return vsCliDumpXPath(cli, xml, xpath, vsCliOptBool(cmd, "wrap"));
    vsCliPrint(cli, "%s", xml);
    return 0;
}

/* ------------------------------------------------------------------ */
/* checkpoint-delete                                                    */

static const vsCliOptDef optsDelete[] = {
    OPT_DOMAIN,
    { "checkpointname", VS_CLI_OT_STRING, 0, "checkpoint name" },
    { "children", VS_CLI_OT_BOOL, 0, "delete checkpoint and all children" },
    { "children-only", VS_CLI_OT_BOOL, 0, "delete children but not checkpoint" },
    { "metadata", VS_CLI_OT_BOOL, 0, "delete only libvirt metadata, leaving checkpoint contents behind" },
    { 0 }
};

static int
cmdDelete(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsCheckpoint *chk;
    const char *name;
    unsigned int flags = 0;

    if (lookupCheckpoint(cli, cmd, TRUE, &dom, &chk) < 0)
        return -1;
    name = vsMomentGetName(chk);
    if (vsCliOptBool(cmd, "children"))
        flags |= VS_CHECKPOINT_DELETE_CHILDREN;
    if (vsCliOptBool(cmd, "children-only"))
        flags |= VS_CHECKPOINT_DELETE_CHILDREN_ONLY;
    if (vsCliOptBool(cmd, "metadata"))
        flags |= VS_CHECKPOINT_DELETE_METADATA_ONLY;
    if (!(flags & VS_CHECKPOINT_DELETE_METADATA_ONLY) &&
        !((flags & VS_CHECKPOINT_DELETE_CHILDREN) && (flags & VS_CHECKPOINT_DELETE_CHILDREN_ONLY))) {
        /* the bitmaps live in a running VM's disks: virsh's answer for an
         * inactive one */
        vsCliError(cli, "Failed to delete checkpoint %s", name);
        vsCliError(cli, "Operation not supported: cannot delete checkpoint for inactive domain");
        return -1;
    }
    if (vsDomainDelete(dom, name, flags, &err) < 0) {
        vsCliError(cli, "Failed to delete checkpoint %s", name);
        vsCliReportGError(cli, err);
        return -1;
    }
    vsCliNoteMovedAside(cli, vsDomainGetName(dom), vsDomainGetMovedAside(dom));
    if (flags & VS_CHECKPOINT_DELETE_CHILDREN_ONLY)
        vsCliPrintExtra(cli, "Domain checkpoint %s children deleted\n", name);
    else
        vsCliPrintExtra(cli, "Domain checkpoint %s deleted\n", name);
    return 0;
}

/* ------------------------------------------------------------------ */
/* checkpoint-edit                                                      */

static const vsCliOptDef optsEdit[] = {
    OPT_DOMAIN,
    { "checkpointname", VS_CLI_OT_STRING, 0, "checkpoint name" },
    { 0 }
};

/* The definition (with secrets) in a new temporary file, 0600. */
static int
editStart(vsCli *cli, const vsCliCmd *cmd, char **name, char **doc, char **tmp)
{
    g_autoptr(GError) err = NULL;
    vsDomain *dom = NULL;
    const vsCheckpoint *chk;
    int fd;

    if (lookupCheckpoint(cli, cmd, FALSE, &dom, &chk) < 0)
        return -1;
    *name = g_strdup(vsMomentGetName(chk));
    if (vsCheckpointFormat(doc, chk, VS_CHECKPOINT_FORMAT_SECURE, &err) < 0 ||
        (fd = g_file_open_tmp("virtsnapXXXXXX.xml", tmp, &err)) < 0) {
        vsCliReportGError(cli, err);
        return -1;
    }
    close(fd);
    if (!g_file_set_contents(*tmp, *doc, -1, &err)) {
        vsCliReportGError(cli, err);
        return -1;
    }
    return 0;
}

/* virsh's checkpoint-edit: the edited definition is redefined under the
 * same name (a new name is refused); no lock is held while the editor
 * runs. */
static int
cmdEdit(vsCli *cli, const vsCliCmd *cmd)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *name = NULL, *doc = NULL, *tmp = NULL, *edited = NULL;
    g_autoptr(vsCheckpoint) parsed = NULL;
    vsDomain *dom = NULL;
    gsize len = 0;
    int ret = -1;

    if (editStart(cli, cmd, &name, &doc, &tmp) < 0)
        goto out;
    vsCliFlushDomains(cli);
    if (vsCliRunEditor(cli, tmp) < 0 ||
        vsCliReadFile(&edited, &len, tmp, VS_CLI_MAX_XML_FILE, FALSE, &err) < 0) {
        if (err)
            vsCliReportGError(cli, err);
        goto out;
    }
    if (strcmp(doc, edited) == 0) {
        vsCliPrintExtra(cli, "Checkpoint %s XML configuration not changed.\n", name);
        ret = 0;
        goto out;
    }
    if (vsCheckpointParse(&parsed, edited, len, VS_CHECKPOINT_PARSE_REDEFINE, 0, &err) < 0) {
        vsCliReportGError(cli, err);
        vsCliError(cli, "Failed to update %s", name);
        goto out;
    }
    if (g_strcmp0(vsMomentGetName(parsed), name) != 0) {
        vsCliError(cli, "Cannot rename checkpoint %s to %s", name, vsMomentGetName(parsed));
        vsCliError(cli, "Failed to update %s", name);
        goto out;
    }
    if (vsCliLoadCheckpoints(cli, cmd, TRUE, &dom) < 0)
        goto out;
    if (vsDomainCheckpointCreateXML(NULL, dom, edited, len, NULL,
                                    VS_CHECKPOINT_CREATE_REDEFINE, &err) < 0) {
        vsCliReportGError(cli, err);
        vsCliError(cli, "Failed to update %s", name);
        goto out;
    }
    vsCliPrintExtra(cli, "Checkpoint %s edited.\n", name);
    ret = 0;
out:
    if (tmp)
        g_unlink(tmp);
    return ret;
}

/* ------------------------------------------------------------------ */

static const vsCliCmdDef cmds[] = {
    { "checkpoint-create", "Create a checkpoint from XML",
      "Create a checkpoint from XML for use in future incremental backups", optsCreate,
      cmdCreate },
    { "checkpoint-create-as", "Create a checkpoint from a set of args",
      "Create a checkpoint from arguments for use in future incremental backups", optsCreateAs,
      cmdCreateAs },
    { "checkpoint-delete", "Delete a domain checkpoint", "Checkpoint Delete", optsDelete,
      cmdDelete },
    { "checkpoint-dumpxml", "Dump XML for a domain checkpoint", "Checkpoint Dump XML",
      optsDumpxml, cmdDumpxml },
    { "checkpoint-edit", "edit XML for a checkpoint",
      "Edit the domain checkpoint XML for a named checkpoint", optsEdit, cmdEdit },
    { "checkpoint-info", "checkpoint information", "Returns basic information about a checkpoint.",
      optsInfo, cmdInfo },
    { "checkpoint-list", "List checkpoints for a domain", "Checkpoint List", optsList, cmdList },
    { "checkpoint-parent", "Get the name of the parent of a checkpoint",
      "Extract the checkpoint's parent, if any", optsParent, cmdParent },
    { 0 }
};

const vsCliGroup vsCliGroupCheckpoint = { "Checkpoint", "checkpoint", cmds };
