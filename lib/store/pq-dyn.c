/* pq-dyn.c — the PostgreSQL client library (libpq)'s functions, loaded when first needed (pq-dyn.h). */
#include "util/dynlib.h"
#include "store/pq-dyn.h"

static const char *const names[] = {
    "PQclear",
    "PQcmdTuples",
    "PQconnectdbParams",
    "PQerrorMessage",
    "PQexec",
    "PQexecParams",
    "PQfinish",
    "PQgetisnull",
    "PQgetlength",
    "PQgetvalue",
    "PQntuples",
    "PQreset",
    "PQresultErrorField",
    "PQresultStatus",
    "PQsetNoticeProcessor",
    "PQstatus",
    "PQtransactionStatus",
    NULL,
};

vsPqFuncs vsPq;

int
vsPqLoad(GError **error)
{
    static vsDynlib lib = {
        .soname = "libpq.so.5", .what = "the PostgreSQL client library (libpq)",
        .names = names, .slots = (gpointer *) &vsPq,
    };

    G_STATIC_ASSERT(sizeof(vsPq) == (G_N_ELEMENTS(names) - 1) * sizeof(gpointer));
    return vsDynlibLoad(&lib, error);
}
