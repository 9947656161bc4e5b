/* dynlib.h — an optional client library (libpq, libvirt) opened when it is
 * first needed rather than linked (internal).
 *
 * Linking libvirt's client (58 libraries with its dependencies) or libpq
 * into libvirtsnap made every process pay for loading them: 10 ms more
 * CPU for `virtsnap --version` here, 4× the time of a plain command.  The
 * modules that use them (import/libvirt-live.c, store/backend-pg.c) call
 * the library's functions through a table that vsDynlibLoad fills the first
 * time they need it; a header per library (store/pq-dyn.h,
 * import/virt-dyn.h) turns each call into a call through that table. */
#pragma once
#include <glib.h>

typedef struct {
    const char *soname;          /* e.g. "libpq.so.5" */
    const char *what;            /* for errors: "the PostgreSQL client library (libpq)" */
    const char *const *names;    /* the functions, NULL-terminated */
    gpointer *slots;             /* where each one's address goes, same order */
    /* the loader's: */
    gboolean tried;
    char *failure;               /* why the load failed, for every later call */
} vsDynlib;

/* Opens @lib and fills its slots, once per process (thread-safe; later
 * calls return the first call's outcome).  Errors: VS_ERROR_FAILED
 * naming the library and what is missing.  Cost: a dlopen, once. */
int vsDynlibLoad(vsDynlib *lib, GError **error);
