/* snapshot-format.c — a <domainsnapshot> written exactly as libvirt 9.0
 * writes it (virDomainSnapshotDefFormat): element order, 2-space indent,
 * single-quoted attributes, libvirt's escaping, secrets only with SECURE. */
#include <string.h>

#include "util/xmltext.h"
#include "snapshot/snapshot-private.h"

/* Short for the snapshot fields of a record. */
#define S(m) vsSnapshotFields(m)

void
vsSnapshotIndent(GString *buf, guint level)
{
    vsXmlIndent(buf, level);
}

/* The record; with @domain_line, its <domain> as that line (format 3). */
static void
formatRecord(GString *buf, const vsSnapshot *snap, const char *uuid, unsigned int flags,
             guint level, const char *domain_line)
{
    gboolean secure = !!(flags & VS_SNAPSHOT_FORMAT_SECURE);

    vsSnapshotIndent(buf, level);
    g_string_append(buf, "<domainsnapshot>\n");
    if (snap->name)
        vsXmlAppendTextElement(buf, level + 1, "name", snap->name);
    if (snap->description)
        vsXmlAppendTextElement(buf, level + 1, "description", snap->description);
    if (S(snap)->state)
        vsXmlAppendTextElement(buf, level + 1, "state", vsSnapshotStateNames[S(snap)->state]);
    if (snap->parent_name) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "<parent>\n");
        vsXmlAppendTextElement(buf, level + 2, "name", snap->parent_name);
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "</parent>\n");
    }
    if (snap->creation_time) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append_printf(buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                               snap->creation_time);
    }
    if (S(snap)->memory) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append_printf(buf, "<memory snapshot='%s'", vsSnapshotLocationNames[S(snap)->memory]);
        if (S(snap)->memory_file) {
            g_string_append(buf, " file='");
            vsXmlEscapeAttr(buf, S(snap)->memory_file);
            g_string_append_c(buf, '\'');
        }
        g_string_append(buf, "/>\n");
    }
    if (S(snap)->ndisks) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "<disks>\n");
        for (guint i = 0; i < S(snap)->ndisks; i++)
            vsSnapshotDiskFormat(buf, &S(snap)->disks[i], level + 2);
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "</disks>\n");
    }
    if (snap->domain) {
        vsMomentAppendDomain(buf, snap->domain, level + 1, secure, domain_line);
    } else if (uuid || S(snap)->domain_uuid) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "<domain>\n");
        vsXmlAppendTextElement(buf, level + 2, "uuid", uuid ? uuid : S(snap)->domain_uuid);
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "</domain>\n");
    }
    if (S(snap)->inactive_domain)
        vsXmlSubtreeAppend(buf, S(snap)->inactive_domain, level + 1, secure);
    if (S(snap)->cookie) {
        vsXmlSubtreeAppend(buf, S(snap)->cookie, level + 1, secure);
    } else if (S(snap)->cookie_empty) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "<cookie>\n");
        vsSnapshotIndent(buf, level + 1);
        g_string_append(buf, "</cookie>\n");
    }
    if (flags & VS_SNAPSHOT_FORMAT_INTERNAL) {
        vsSnapshotIndent(buf, level + 1);
        g_string_append_printf(buf, "<active>%d</active>\n",
                               (flags & VS_SNAPSHOT_FORMAT_CURRENT) ? 1 : 0);
    }
    vsSnapshotIndent(buf, level);
    g_string_append(buf, "</domainsnapshot>\n");
}

void
vsSnapshotFormatBuf(GString *buf, const vsSnapshot *snap, const char *uuid,
                    unsigned int flags, guint level)
{
    formatRecord(buf, snap, uuid, flags, level, NULL);
}

int
vsSnapshotFormat(char **out, const vsSnapshot *snap, const char *uuid,
                 unsigned int flags, GError **error)
{
    GString *buf = g_string_sized_new(1024);

    vsSnapshotFormatBuf(buf, snap, uuid, flags, 0);
    *out = g_string_free(buf, FALSE);
    return 0;
}


void
vsSnapshotFormatStored(GString *buf, const vsMoment *moment, const char *uuid, guint level,
                       const char *domain_line)
{
    formatRecord(buf, moment, uuid, VS_SNAPSHOT_FORMAT_SECURE, level, domain_line);
}

/* As libvirt's qemu driver saves a snapshot (qemuDomainSnapshotWriteMetadata):
 * secrets and <active>. */
void
vsSnapshotFormatLegacy(GString *buf, const vsMoment *moment, const char *uuid, gboolean current)
{
    unsigned int flags = VS_SNAPSHOT_FORMAT_SECURE | VS_SNAPSHOT_FORMAT_INTERNAL;

    if (current)
        flags |= VS_SNAPSHOT_FORMAT_CURRENT;
    vsSnapshotFormatBuf(buf, moment, uuid, flags, 0);
}
