/* schema.h — libvirt's RelaxNG schemas (data/schemas), compiled once per
 * process and schema, as libvirt caches them (internal). */
#pragma once

#include <libxml/tree.h>
#include <glib.h>

/* Validates the element @root (a whole document's root, or one record of
 * a bulk document, validated on its own) against @schema ("domainsnapshot.rng"),
 * found in $VIRTSNAP_SCHEMA_DIR, the installed schema directory or the
 * source tree.  Errors: VS_ERROR_INVALID with libvirt's text ("XML document
 * failed to validate against schema: Unable to validate doc against
 * SCHEMA: line N: ..."), VS_ERROR_FAILED when the schema is missing or
 * does not compile. */
int vsSchemaValidate(xmlNodePtr root, const char *schema, GError **error);
