/* libvirt-report.c — the report of a pull, push or diff against libvirt:
 * one line per difference or per record acted on.  Built with or without
 * libvirt's client, so the public calls are always there. */
#include "import/libvirt-bridge.h"

typedef struct {
    vsLibvirtEntry entry;
    vsMomentKindId kind;
    char *name;
    char *detail;
} vsLibvirtLine;

struct _vsLibvirtReport {
    char *vm;
    GArray *lines;  /* vsLibvirtLine */
};

static void
lineClear(gpointer data)
{
    vsLibvirtLine *l = data;

    g_free(l->name);
    g_free(l->detail);
}

vsLibvirtReport *
vsLibvirtReportNew(const char *vm)
{
    vsLibvirtReport *r = g_new0(vsLibvirtReport, 1);

    r->vm = g_strdup(vm);
    r->lines = g_array_new(FALSE, TRUE, sizeof(vsLibvirtLine));
    g_array_set_clear_func(r->lines, lineClear);
    return r;
}

void
vsLibvirtReportAdd(vsLibvirtReport *report, vsLibvirtEntry entry, vsMomentKindId kind,
                   const char *name, const char *detail)
{
    vsLibvirtLine l = { entry, kind, g_strdup(name), g_strdup(detail) };

    g_array_append_val(report->lines, l);
}

void
vsLibvirtReportFree(vsLibvirtReport *report)
{
    if (!report)
        return;
    g_array_unref(report->lines);
    g_free(report->vm);
    g_free(report);
}

const char *
vsLibvirtReportGetDomain(const vsLibvirtReport *report)
{
    return report->vm;
}

guint
vsLibvirtReportGetCount(const vsLibvirtReport *report)
{
    return report->lines->len;
}

static const vsLibvirtLine *
lineAt(const vsLibvirtReport *report, guint i)
{
    g_return_val_if_fail(i < report->lines->len, NULL);
    return &g_array_index(report->lines, vsLibvirtLine, i);
}

vsLibvirtEntry
vsLibvirtReportGetEntry(const vsLibvirtReport *report, guint i)
{
    const vsLibvirtLine *l = lineAt(report, i);

    return l ? l->entry : 0;
}

vsMomentKindId
vsLibvirtReportGetKind(const vsLibvirtReport *report, guint i)
{
    const vsLibvirtLine *l = lineAt(report, i);

    return l ? l->kind : 0;
}

const char *
vsLibvirtReportGetName(const vsLibvirtReport *report, guint i)
{
    const vsLibvirtLine *l = lineAt(report, i);

    return l ? l->name : NULL;
}

const char *
vsLibvirtReportGetDetail(const vsLibvirtReport *report, guint i)
{
    const vsLibvirtLine *l = lineAt(report, i);

    return l ? l->detail : NULL;
}

guint
vsLibvirtReportCountEntry(const vsLibvirtReport *report, vsLibvirtEntry entry)
{
    guint n = 0;

    for (guint i = 0; i < report->lines->len; i++)
        n += g_array_index(report->lines, vsLibvirtLine, i).entry == entry;
    return n;
}

const char *
vsLibvirtEntryToString(vsLibvirtEntry entry)
{
    switch (entry) {
    case VS_LIBVIRT_ONLY_STORE: return "only-in-store";
    case VS_LIBVIRT_ONLY_LIBVIRT: return "only-in-libvirt";
    case VS_LIBVIRT_DIFFERS: return "differs";
    case VS_LIBVIRT_PARENT: return "parent";
    case VS_LIBVIRT_CURRENT: return "current";
    case VS_LIBVIRT_CREATED: return "created";
    case VS_LIBVIRT_REPLACED: return "replaced";
    case VS_LIBVIRT_SKIPPED: return "skipped";
    case VS_LIBVIRT_KEPT: return "kept";
    case VS_LIBVIRT_MADE_CURRENT: return "made-current";
    case VS_LIBVIRT_STORED: return "stored";
    case VS_LIBVIRT_DELETED: return "deleted";
    case VS_LIBVIRT_NORMALIZED: return "normalized";
    }
    return "unknown";
}
