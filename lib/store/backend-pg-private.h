/* backend-pg-private.h — what the PostgreSQL backend's files share: the
 * backend's state and its connection layer (backend-pg-conn.c: connect,
 * run a statement, name failures in one line, roll back, tell a retryable
 * failure).  backend-pg.c holds the schema, the VMs and the commits. */
#pragma once

#include <libpq-fe.h>

#include "store/backend.h"

typedef struct {
    vsBackend base;
    char *location;      /* as given: what connects */
    char *label;         /* the location without a password: messages */
    PGconn *conn;        /* reads, settings, rename, remove */
    char state[6];       /* the SQLSTATE of the last failed statement, or "" */
} PgBackend;

#define PG_BACKEND(b) ((PgBackend *) (b))

/* @location with any password replaced by "***" (userinfo and the
 * password= parameter); g_free. */
char *vsPgLabel(const char *location);
/* A new connection to @be's database (libpq loaded on first use). */
int vsPgConnect(PGconn **out, PgBackend *be, GError **error);
/* Runs @sql with text parameters; results in binary with @binary.  NULL
 * (and the error set, naming @vm and @what) unless the status is one of a
 * command's. */
PGresult *vsPgRun(PgBackend *be, PGconn *conn, const char *vm, const char *what,
                  const char *sql, int n, const char *const *values, const int *lengths,
                  const int *formats, gboolean binary, GError **error);
/* Like vsPgRun for a statement whose result is not needed. */
int vsPgDo(PgBackend *be, PGconn *conn, const char *vm, const char *what, const char *sql,
           int n, const char *const *values, GError **error);
/* Ends a failed transaction (nothing of it stays). */
void vsPgRollback(PGconn *conn);
/* Whether the failed transaction may simply be run again. */
gboolean vsPgRetryable(PgBackend *be, PGconn *conn);
