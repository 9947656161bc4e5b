/* cmd-snapshot-dumpxml.c — snapshot-dumpxml, with virsh's --xpath and
 * --wrap (through libxml2, as virsh does). */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "cli.h"
#include "cmd-snapshot.h"

const vsCliOptDef vsCliOptsSnapshotDumpxml[] = {
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
 * own, or copied under one <nodes> root with --wrap (also
 * checkpoint-dumpxml's, cli.h). */
int
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
        vsCliError(cli, "cannot parse the XML to filter");
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

int
vsCliCmdSnapshotDumpxml(vsCli *cli, const vsCliCmd *cmd)
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
