/* legacyfile.c — one record in libvirt's own per-file layout. */
#include "format/legacyfile.h"

char *
vsLegacyFileName(const char *name)
{
    return g_strdup_printf("%s.xml", name);
}

void
vsLegacyFileFormat(GString *buf, const vsMoment *moment, const char *uuid, gboolean current)
{
    g_string_append(buf, moment->kind->legacy_header);
    moment->kind->format_legacy(buf, moment, uuid, current);
}

int
vsLegacyFileParse(vsMoment **out, const vsMomentKind *kind, const char *data, gsize len,
                  gboolean *is_current, GError **error)
{
    g_autoptr(vsMoment) moment = NULL;

    *out = NULL;
    if (kind->parse_legacy(&moment, data, len, is_current, error) < 0 ||
        kind->name_check(moment->name, error) < 0)
        return -1;
    *out = g_steal_pointer(&moment);
    return 0;
}
