/* checkpoint-format.c — a <domaincheckpoint> written exactly as libvirt
 * 9.0 writes it (virDomainCheckpointDefFormat): element order, 2-space
 * indent, single-quoted attributes, libvirt's escaping. */
#include "util/error.h"
#include "util/xmltext.h"
#include "checkpoint/checkpoint-private.h"

/* Short for the checkpoint fields of a record. */
#define C(m) vsCheckpointFields(m)


/* virDomainCheckpointDiskDefFormat: a slot without a name is skipped. */
static void
formatDisk(GString *buf, const vsCheckpointDisk *disk, unsigned int flags, guint level)
{
    if (!disk->name)
        return;
    vsXmlIndent(buf, level);
    g_string_append(buf, "<disk name='");
    vsXmlEscapeAttr(buf, disk->name);
    g_string_append_c(buf, '\'');
    if (disk->type)
        g_string_append_printf(buf, " checkpoint='%s'", vsCheckpointTypeNames[disk->type]);
    if (disk->bitmap) {
        g_string_append(buf, " bitmap='");
        vsXmlEscapeAttr(buf, disk->bitmap);
        g_string_append_c(buf, '\'');
        if ((flags & VS_CHECKPOINT_FORMAT_SIZE) && disk->size_valid)
            g_string_append_printf(buf, " size='%" G_GUINT64_FORMAT "'", disk->size);
    }
    g_string_append(buf, "/>\n");
}

/* The record; with @domain_line, its <domain> as that line (format 3). */
static void
formatRecord(GString *buf, const vsCheckpoint *chk, unsigned int flags, guint level,
             const char *domain_line)
{
    const vsCheckpointRecord *c = C(chk);

    vsXmlIndent(buf, level);
    g_string_append(buf, "<domaincheckpoint>\n");
    if (chk->name)
        vsXmlAppendTextElement(buf, level + 1, "name", chk->name);
    if (chk->description)
        vsXmlAppendTextElement(buf, level + 1, "description", chk->description);
    if (chk->parent_name) {
        vsXmlIndent(buf, level + 1);
        g_string_append(buf, "<parent>\n");
        vsXmlAppendTextElement(buf, level + 2, "name", chk->parent_name);
        vsXmlIndent(buf, level + 1);
        g_string_append(buf, "</parent>\n");
    }
    if (chk->creation_time) {
        vsXmlIndent(buf, level + 1);
        g_string_append_printf(buf, "<creationTime>%" G_GINT64_FORMAT "</creationTime>\n",
                               chk->creation_time);
    }
    if (c->ndisks) {
        vsXmlIndent(buf, level + 1);
        g_string_append(buf, "<disks>\n");
        for (guint i = 0; i < c->ndisks; i++)
            formatDisk(buf, &c->disks[i], flags, level + 2);
        vsXmlIndent(buf, level + 1);
        g_string_append(buf, "</disks>\n");
    }
    if (chk->domain && !(flags & VS_CHECKPOINT_FORMAT_NO_DOMAIN))
        vsMomentAppendDomain(buf, chk->domain, level + 1,
                             (flags & VS_CHECKPOINT_FORMAT_SECURE) != 0, domain_line);
    vsXmlIndent(buf, level);
    g_string_append(buf, "</domaincheckpoint>\n");
}

void
vsCheckpointFormatBuf(GString *buf, const vsCheckpoint *chk, unsigned int flags, guint level)
{
    formatRecord(buf, chk, flags, level, NULL);
}

int
vsCheckpointFormat(char **out, const vsCheckpoint *chk, unsigned int flags, GError **error)
{
    const unsigned int all = VS_CHECKPOINT_FORMAT_SECURE | VS_CHECKPOINT_FORMAT_NO_DOMAIN |
                             VS_CHECKPOINT_FORMAT_SIZE;
    GString *buf;

    *out = NULL;
    if (flags & ~all)
        return vsErr(error, VS_ERROR_INVALID,
                     "invalid argument: unsupported flags (0x%x) in function "
                     "qemuDomainCheckpointGetXMLDesc", flags & ~all);
    /* sizes come from QEMU's bitmaps: a running VM, which virtsnap never
     * has (virsh on an inactive VM says the same) */
    if (flags & VS_CHECKPOINT_FORMAT_SIZE)
        return vsErr(error, VS_ERROR_INVALID,
                     "Requested operation is not valid: domain is not running");
    buf = g_string_sized_new(1024);
    vsCheckpointFormatBuf(buf, chk, flags, 0);
    *out = g_string_free(buf, FALSE);
    return 0;
}

void
vsCheckpointFormatStored(GString *buf, const vsMoment *moment, const char *uuid, guint level,
                         const char *domain_line)
{
    formatRecord(buf, moment, VS_CHECKPOINT_FORMAT_SECURE, level, domain_line);
}

/* As libvirt's qemu driver saves a checkpoint (qemuCheckpointWriteMetadata):
 * secrets kept, nothing says it is current. */
void
vsCheckpointFormatLegacy(GString *buf, const vsMoment *moment, const char *uuid,
                         gboolean current)
{
    vsCheckpointFormatBuf(buf, moment, VS_CHECKPOINT_FORMAT_SECURE, 0);
}
