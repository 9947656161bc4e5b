/* legacy-report.c — the options a conversion is given (each an explicit
 * resolution from the user) and the report every legacy operation returns:
 * findings (one line each, with what was done about them) and a summary. */
#include <stdarg.h>

#include "import/legacy.h"

/* ------------------------------------------------------------------ */
/* Options                                                              */

vsLegacyOptions *
vsLegacyOptionsNew(void)
{
    vsLegacyOptions *opts = g_new0(vsLegacyOptions, 1);
    opts->policy = VS_LEGACY_LEFTOVER_MOVE;
    opts->roots = g_ptr_array_new_with_free_func(g_free);
    return opts;
}

void
vsLegacyOptionsFree(vsLegacyOptions *opts)
{
    if (!opts)
        return;
    g_free(opts->current);
    g_ptr_array_unref(opts->roots);
    g_free(opts);
}

void
vsLegacyOptionsSetLeftover(vsLegacyOptions *opts, vsLegacyLeftover policy)
{
    opts->policy = policy;
}

void
vsLegacyOptionsSetFlags(vsLegacyOptions *opts, unsigned int flags)
{
    opts->flags = flags;
}

void
vsLegacyOptionsSetCurrent(vsLegacyOptions *opts, const char *name)
{
    g_free(opts->current);
    opts->current = g_strdup(name);
}

void
vsLegacyOptionsAddRoot(vsLegacyOptions *opts, const char *name)
{
    g_ptr_array_add(opts->roots, g_strdup(name));
}

void
vsLegacyOptionsSetProgress(vsLegacyOptions *opts, vsLegacyProgressFunc fn, gpointer data)
{
    opts->progress = fn;
    opts->progress_data = data;
}

/* ------------------------------------------------------------------ */
/* Reports                                                              */

typedef struct {
    vsLegacyProblem kind;
    char *vm;
    char *path;
    char *message;
    char *action;
} LegacyFinding;

struct _vsLegacyReport {
    GPtrArray *findings;
    GString *summary;
};

static void
legacyFindingFree(gpointer data)
{
    LegacyFinding *f = data;
    g_free(f->vm);
    g_free(f->path);
    g_free(f->message);
    g_free(f->action);
    g_free(f);
}

vsLegacyReport *
vsLegacyReportNew(void)
{
    vsLegacyReport *report = g_new0(vsLegacyReport, 1);
    report->findings = g_ptr_array_new_with_free_func(legacyFindingFree);
    report->summary = g_string_new(NULL);
    return report;
}

void
vsLegacyReportFree(vsLegacyReport *report)
{
    if (!report)
        return;
    g_ptr_array_unref(report->findings);
    g_string_free(report->summary, TRUE);
    g_free(report);
}

void
vsLegacyReportAdd(vsLegacyReport *report, vsLegacyProblem kind, const char *vm,
                  const char *path, const char *action, const char *fmt, ...)
{
    LegacyFinding *f;
    va_list ap;

    if (!report)
        return;
    f = g_new0(LegacyFinding, 1);
    f->kind = kind;
    f->vm = g_strdup(vm);
    f->path = g_strdup(path);
    f->action = g_strdup(action);
    va_start(ap, fmt);
    f->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(report->findings, f);
}

void
vsLegacyReportSetLastAction(vsLegacyReport *report, const char *fmt, ...)
{
    LegacyFinding *f;
    va_list ap;

    if (!report || report->findings->len == 0)
        return;
    f = g_ptr_array_index(report->findings, report->findings->len - 1);
    g_free(f->action);
    va_start(ap, fmt);
    f->action = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void
vsLegacyReportAppendSummary(vsLegacyReport *report, const char *fmt, ...)
{
    va_list ap;

    if (!report)
        return;
    va_start(ap, fmt);
    g_string_append_vprintf(report->summary, fmt, ap);
    va_end(ap);
    g_string_append_c(report->summary, '\n');
}

gboolean
vsLegacyProblemIsNote(vsLegacyProblem kind)
{
    return kind == VS_LEGACY_PROBLEM_NOT_CONVERTED ||
           kind == VS_LEGACY_PROBLEM_LEFTOVER ||
           kind == VS_LEGACY_PROBLEM_NAME_MISMATCH ||
           kind == VS_LEGACY_PROBLEM_NO_CURRENT;
}

const char *
vsLegacyProblemToString(vsLegacyProblem kind)
{
    switch (kind) {
    case VS_LEGACY_PROBLEM_NOT_CONVERTED: return "not-converted";
    case VS_LEGACY_PROBLEM_LEFTOVER: return "leftover";
    case VS_LEGACY_PROBLEM_DIVERGED: return "diverged";
    case VS_LEGACY_PROBLEM_COLLISION: return "collision";
    case VS_LEGACY_PROBLEM_SYMLINK: return "symlink";
    case VS_LEGACY_PROBLEM_UNREADABLE: return "unreadable";
    case VS_LEGACY_PROBLEM_TOO_LARGE: return "too-large";
    case VS_LEGACY_PROBLEM_UNPARSABLE: return "unparsable";
    case VS_LEGACY_PROBLEM_JUNK: return "junk";
    case VS_LEGACY_PROBLEM_STALE_TEMP: return "stale-temp";
    case VS_LEGACY_PROBLEM_DUPLICATE: return "duplicate";
    case VS_LEGACY_PROBLEM_NAME_MISMATCH: return "name-mismatch";
    case VS_LEGACY_PROBLEM_MISSING_PARENT: return "missing-parent";
    case VS_LEGACY_PROBLEM_CYCLE: return "cycle";
    case VS_LEGACY_PROBLEM_NO_CURRENT: return "no-current";
    case VS_LEGACY_PROBLEM_SEVERAL_CURRENT: return "several-current";
    case VS_LEGACY_PROBLEM_BULK_CORRUPT: return "bulk-corrupt";
    case VS_LEGACY_PROBLEM_UNSUPPORTED_NAME: return "unsupported-name";
    }
    return "unknown";
}

static const LegacyFinding *
reportGet(const vsLegacyReport *report, guint i)
{
    g_return_val_if_fail(report && i < report->findings->len, NULL);
    return g_ptr_array_index(report->findings, i);
}

guint
vsLegacyReportGetCount(const vsLegacyReport *report)
{
    return report ? report->findings->len : 0;
}

vsLegacyProblem
vsLegacyReportGetProblem(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->kind : 0;
}

gboolean
vsLegacyReportIsNote(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f && vsLegacyProblemIsNote(f->kind);
}

const char *
vsLegacyReportGetDomain(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->vm : NULL;
}

const char *
vsLegacyReportGetPath(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->path : NULL;
}

const char *
vsLegacyReportGetMessage(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->message : NULL;
}

const char *
vsLegacyReportGetAction(const vsLegacyReport *report, guint i)
{
    const LegacyFinding *f = reportGet(report, i);
    return f ? f->action : NULL;
}

guint
vsLegacyReportCountUnresolved(const vsLegacyReport *report)
{
    guint n = 0;

    for (guint i = 0; report && i < report->findings->len; i++) {
        const LegacyFinding *f = g_ptr_array_index(report->findings, i);
        if (!vsLegacyProblemIsNote(f->kind) && !f->action)
            n++;
    }
    return n;
}

const char *
vsLegacyReportGetSummary(const vsLegacyReport *report)
{
    return report ? report->summary->str : "";
}

