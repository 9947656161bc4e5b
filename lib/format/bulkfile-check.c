/* bulkfile-check.c — whether a record, stored as the bulk file stores it,
 * loads back as the same record (vsBulkRecordCheck, bulkfile.h). */
#include "util/error.h"
#include "format/bulkfile-private.h"

int
vsBulkRecordCheck(const vsMoment *moment, const char *uuid, GError **error)
{
    const vsMomentKind *kind = moment->kind;
    g_autoptr(GString) doc = g_string_new(NULL);
    g_autoptr(GString) again = g_string_new(NULL);
    g_autoptr(GPtrArray) parsed = NULL;
    g_autoptr(GError) perr = NULL;
    gsize head;

    g_string_printf(doc, "<%s>\n", kind->list_element);
    g_string_assign(again, doc->str);
    head = doc->len;
    vsMomentFormatStored(doc, moment, uuid, 1);
    if (doc->len - head > VS_BULK_RECORD_MAX)
        return vsErr(error, VS_ERROR_TOO_LARGE,
                     "%s '%s' cannot be stored: it is %" G_GSIZE_FORMAT " bytes as "
                     "stored, more than the limit of %d bytes per %s", kind->noun, moment->name,
                     doc->len - head, VS_BULK_RECORD_MAX, kind->noun);
    g_string_append_printf(doc, "</%s>\n", kind->list_element);
    if (vsBulkParseRecordsOnly(&parsed, kind, doc->str, doc->len, "stored form", &perr) < 0)
        return vsErr(error, perr->code == VS_ERROR_TOO_LARGE ? VS_ERROR_TOO_LARGE
                                                             : VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would not load back "
                     "(%s)", kind->noun, moment->name, perr->message);
    g_assert(parsed->len == 1);
    vsMomentFormatStored(again, parsed->pdata[0], uuid, 1);
    g_string_append_printf(again, "</%s>\n", kind->list_element);
    if (!g_string_equal(doc, again))
        return vsErr(error, VS_ERROR_INVALID,
                     "%s '%s' cannot be stored: its stored form would load back "
                     "different", kind->noun, moment->name);
    return 0;
}
