/* schema.c — RelaxNG validation against libvirt's schemas. */
#include <libxml/relaxng.h>

#include "util/error.h"
#include "util/xmltext.h"
#include "record/schema.h"

typedef struct {
    xmlRelaxNGPtr schema;
    char *path;
    char *error;
} vsSchema;

static void
onSchemaError(void *data, xmlErrorPtr err)
{
    char **msg = data;
    if (!*msg && err->level >= XML_ERR_ERROR)
        *msg = vsXmlMessageLine(err->message);
}

/* the first validity error, with the line of the offending node */
static void
onValidityError(void *data, xmlErrorPtr err)
{
    char **msg = data;
    long line;

    if (*msg || err->level < XML_ERR_ERROR)
        return;
    line = err->line;
    if (line <= 0 && err->node)
        line = xmlGetLineNo(err->node);
    if (line > 0) {
        g_autofree char *text = vsXmlMessageLine(err->message);
        *msg = g_strdup_printf("line %ld: %s", line, text);
    } else {
        *msg = vsXmlMessageLine(err->message);
    }
}

static char *
schemaPath(const char *name)
{
    const char *dirs[] = { g_getenv("VIRTSNAP_SCHEMA_DIR"), VS_SCHEMA_DIR,
                           VS_SOURCE_SCHEMA_DIR };

    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *p = NULL;
        if (!dirs[i] || !*dirs[i])
            continue;
        p = g_build_filename(dirs[i], name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer(&p);
    }
    return NULL;
}

static vsSchema *
schemaLoad(const char *name)
{
    vsSchema *s = g_new0(vsSchema, 1);
    xmlRelaxNGParserCtxtPtr pctxt;

    if (!(s->path = schemaPath(name))) {
        s->error = g_strdup_printf("internal error: %s not found (set VIRTSNAP_SCHEMA_DIR)",
                                   name);
        return s;
    }
    pctxt = xmlRelaxNGNewParserCtxt(s->path);
    if (pctxt) {
        g_autofree char *msg = NULL;
        xmlRelaxNGSetParserStructuredErrors(pctxt, onSchemaError, &msg);
        s->schema = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
        if (!s->schema)
            s->error = g_strdup_printf("internal error: failed to compile %s: %s",
                                       s->path, msg ? msg : "unknown error");
    } else {
        s->error = g_strdup_printf("internal error: cannot read %s", s->path);
    }
    return s;
}

/* Compiling a schema (domainsnapshot.rng pulls in all of domain.rng) is
 * costly: done once per process and schema, and kept. */
static vsSchema *
schemaGet(const char *name)
{
    static GMutex lock;
    static GHashTable *loaded;
    vsSchema *s;

    g_mutex_lock(&lock);
    if (!loaded)
        loaded = g_hash_table_new(g_str_hash, g_str_equal);
    if (!(s = g_hash_table_lookup(loaded, name))) {
        s = schemaLoad(name);
        g_hash_table_insert(loaded, g_strdup(name), s);
    }
    g_mutex_unlock(&lock);
    return s;
}

int
vsSchemaValidate(xmlNodePtr root, const char *schema, GError **error)
{
    vsSchema *s = schemaGet(schema);
    xmlRelaxNGValidCtxtPtr vctxt;
    g_autofree char *msg = NULL;
    xmlDocPtr doc = root->doc;
    xmlDocPtr tmp = NULL;
    int rc;

    if (!s->schema)
        return vsErr(error, VS_ERROR_FAILED, "%s", s->error);

    /* a record inside a bulk document is validated on its own */
    if (!doc || xmlDocGetRootElement(doc) != root) {
        tmp = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(tmp, xmlDocCopyNode(root, tmp, 1));
        doc = tmp;
    }
    vctxt = xmlRelaxNGNewValidCtxt(s->schema);
    if (!vctxt)
        g_error("out of memory creating a RelaxNG validator");
    xmlRelaxNGSetValidStructuredErrors(vctxt, onValidityError, &msg);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (tmp)
        xmlFreeDoc(tmp);
    if (rc != 0)
        return vsErr(error, VS_ERROR_INVALID,
                     "XML document failed to validate against schema: Unable to "
                     "validate doc against %s: %s", schema, msg ? msg : "validation failed");
    return 0;
}
