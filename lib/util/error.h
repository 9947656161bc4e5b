/* error.h — helpers for VS_ERROR (internal). */
#pragma once

#include "virtsnap/virtsnap.h"

/* g_set_error, then return -1: lets error paths read `return vsErr(...)`.
 * The message is made one line (line breaks in names or paths become ?). */
int vsErr(GError **error, vsErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Same with strerror(errsv) appended after ": ". */
int vsErrErrno(GError **error, int errsv, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
