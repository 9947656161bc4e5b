/* backend-pg-conn.c — the PostgreSQL backend's connection layer:
 * connections (libpq opened on first use, server notices silenced),
 * statements, one-line failures naming the store without its password,
 * the store connection's reconnect, rollback and retryable failures. */
#include <string.h>

#include "util/error.h"
#include "store/backend-pg-private.h"
#include "store/pq-dyn.h"

/* @location with any password replaced by "***" (userinfo and the
 * password= parameter). */
char *
vsPgLabel(const char *location)
{
    GString *out = g_string_new(location);
    const char *scheme = strstr(out->str, "://");
    char *p;

    if (scheme) {
        char *auth = (char *) scheme + 3;
        char *end = auth + strcspn(auth, "/?#");
        char *at = g_strrstr_len(auth, end - auth, "@");
        char *colon = at ? memchr(auth, ':', at - auth) : NULL;
        if (colon) {
            gsize pos = colon + 1 - out->str;
            g_string_erase(out, pos, at - colon - 1);
            g_string_insert(out, pos, "***");
        }
    }
    if ((p = strstr(out->str, "password="))) {
        gsize pos = p + strlen("password=") - out->str;
        g_string_erase(out, pos, strcspn(out->str + pos, "&#"));
        g_string_insert(out, pos, "***");
    }
    return g_string_free(out, FALSE);
}

/* The first line of what libpq or the server said. */
static char *
pgMessage(PGconn *conn, const PGresult *res)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    g_autofree char *text = g_strdup(msg ? msg : PQerrorMessage(conn));

    g_strstrip(text);
    text[strcspn(text, "\n")] = '\0';
    return g_strdup(*text ? text : "connection lost");
}

static gboolean
pgStateIs(const PGresult *res, const char *state)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s && strcmp(s, state) == 0;
}

/* One line naming the store, the VM (if any), what failed and why. */
static int
pgFail(GError **error, PgBackend *be, const char *vm, PGconn *conn, const PGresult *res,
       const char *what)
{
    g_autofree char *msg = pgMessage(conn, res);
    g_autofree char *on = vm ? g_strdup_printf(" VM '%s':", vm) : g_strdup("");

    if (pgStateIs(res, "25006"))
        return vsErr(error, VS_ERROR_IO, "%s:%s cannot %s: the server is read-only "
                     "(a standby?): %s", be->label, on, what, msg);
    if (PQstatus(conn) != CONNECTION_OK)
        return vsErr(error, VS_ERROR_IO, "%s:%s cannot %s: connection to the server lost: %s",
                     be->label, on, what, msg);
    return vsErr(error, VS_ERROR_IO, "%s:%s cannot %s: %s", be->label, on, what, msg);
}

/* Server notices (NOTICE, WARNING) are not the library's to print. */
static void
pgIgnoreNotice(void *arg, const char *message)
{
}

int
vsPgConnect(PGconn **out, PgBackend *be, GError **error)
{
    const char *keys[] = { "dbname", "fallback_application_name", NULL };
    const char *values[] = { be->location, "virtsnap", NULL };
    PGconn *conn;


    if (vsPqLoad(error) < 0)
        return -1;
    conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        g_autofree char *msg = pgMessage(conn, NULL);
        PQfinish(conn);
        return vsErr(error, VS_ERROR_IO, "%s: cannot connect: %s", be->label, msg);
    }
    PQsetNoticeProcessor(conn, pgIgnoreNotice, NULL);
    *out = conn;
    return 0;
}

/* Runs @sql with text parameters; results in binary with @binary.  NULL
 * (and the error set) unless the status is one of a command's. */
PGresult *
vsPgRun(PgBackend *be, PGconn *conn, const char *vm, const char *what, const char *sql,
      int n, const char *const *values, const int *lengths, const int *formats,
      gboolean binary, GError **error)
{
    /* The store's own connection comes back after the server restarted or
     * dropped it, for a statement outside a transaction (a write handle's
     * does not: its lock went with it). */
    gboolean again = conn == be->conn;
    PGresult *res = NULL;
    ExecStatusType st;
    const char *state;

    for (;;) {
        gboolean idle;

        if (conn == be->conn && PQstatus(conn) != CONNECTION_OK)
            PQreset(conn);
        idle = PQtransactionStatus(conn) == PQTRANS_IDLE;
        /* Without parameters: the simple protocol, which takes several
         * statements (the schema). */
        res = n == 0 && !binary ? PQexec(conn, sql)
                                : PQexecParams(conn, sql, n, NULL, values, lengths, formats,
                                               binary);
        st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || !again || !idle ||
            PQstatus(conn) == CONNECTION_OK)
            break;
        again = FALSE;
        PQclear(res);
    }
    be->state[0] = '\0';
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    if ((state = PQresultErrorField(res, PG_DIAG_SQLSTATE)))
        g_strlcpy(be->state, state, sizeof(be->state));
    pgFail(error, be, vm, conn, res, what);
    PQclear(res);
    return NULL;
}

/* Like vsPgRun for a statement whose result is not needed. */
int
vsPgDo(PgBackend *be, PGconn *conn, const char *vm, const char *what, const char *sql, int n,
     const char *const *values, GError **error)
{
    PGresult *res = vsPgRun(be, conn, vm, what, sql, n, values, NULL, NULL, FALSE, error);

    PQclear(res);
    return res ? 0 : -1;
}

/* Ends a failed transaction (nothing of it stays). */
void
vsPgRollback(PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

/* Whether the failed transaction may simply be run again: a serialization
 * failure or a deadlock, on a connection that still works. */
gboolean
vsPgRetryable(PgBackend *be, PGconn *conn)
{
    return PQstatus(conn) == CONNECTION_OK &&
           (strcmp(be->state, "40001") == 0 || strcmp(be->state, "40P01") == 0);
}
