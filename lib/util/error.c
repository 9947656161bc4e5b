/* error.c — the VS_ERROR domain. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "util/error.h"

G_DEFINE_QUARK(vs-error-quark, vs_error)

/* A message is one line, whatever a name, a path or libxml2 put in it: a
 * line break becomes '?' (as vsSnapshotNameCheck shows control characters). */
static char *
oneLine(char *msg)
{
    for (char *p = msg; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = '?';
    }
    return msg;
}

int
vsErr(GError **error, vsErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VS_ERROR, code, oneLine(msg));
    return -1;
}

int
vsErrErrno(GError **error, int errsv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VS_ERROR, VS_ERROR_IO, "%s: %s", oneLine(msg), g_strerror(errsv));
    return -1;
}
