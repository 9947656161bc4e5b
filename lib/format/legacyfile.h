/* legacyfile.h — one record as libvirt keeps it in its own layout,
 * DIR/<vm>/<name>.xml: the kind's header comment, then the record as
 * libvirt's driver writes it (internal). */
#pragma once

#include "record/moment.h"

/* libvirt reads at most this much of a record's file (qemuDomainSnapshotLoad):
 * a larger one it skips without a word. */
#define VS_LEGACY_FILE_MAX (1024 * 1024)

/* The file name libvirt gives record @name: "<name>.xml".  g_free. */
char *vsLegacyFileName(const char *name);

/* Appends the whole file, byte for byte as libvirt 9.0 writes it: the
 * kind's header, then the record with secrets (and, for a kind that stores
 * it, whether it is @current). */
void vsLegacyFileFormat(GString *buf, const vsMoment *moment, const char *uuid,
                        gboolean current);

/* Parses a file's content as libvirt loads it (kind->parse_legacy; the
 * header is an XML comment) and refuses a name the kind cannot store.
 * *is_current: the file says the record is current.  Errors: the parser's
 * (VS_ERROR_INVALID, VS_ERROR_TOO_LARGE). */
int vsLegacyFileParse(vsMoment **out, const vsMomentKind *kind, const char *data, gsize len,
                      gboolean *is_current, GError **error);
