/* pq-dyn.h — libpq, the PostgreSQL client library,
 * called through a table filled when first needed (util/dynlib.h), so
 * that a process that does not use it never loads it.  Include after
 * libpq-fe.h; call vsPqLoad() before the first call.  A function missing
 * from the table fails to link: add it here and in pq-dyn.c. */
#pragma once
#include <libpq-fe.h>
#include <glib.h>

typedef struct {
    __typeof__(PQclear) *PQclear;
    __typeof__(PQgetvalue) *PQgetvalue;
    __typeof__(PQntuples) *PQntuples;
    __typeof__(PQfinish) *PQfinish;
    __typeof__(PQstatus) *PQstatus;
    __typeof__(PQgetlength) *PQgetlength;
    __typeof__(PQresultErrorField) *PQresultErrorField;
    __typeof__(PQexec) *PQexec;
    __typeof__(PQtransactionStatus) *PQtransactionStatus;
    __typeof__(PQresultStatus) *PQresultStatus;
    __typeof__(PQgetisnull) *PQgetisnull;
    __typeof__(PQexecParams) *PQexecParams;
    __typeof__(PQerrorMessage) *PQerrorMessage;
    __typeof__(PQconnectdb) *PQconnectdb;
    __typeof__(PQcmdTuples) *PQcmdTuples;
} vsPqFuncs;
extern vsPqFuncs vsPq;

/* Errors: VS_ERROR_FAILED (the library cannot be loaded). */
int vsPqLoad(GError **error);

#define PQclear (vsPq.PQclear)
#define PQgetvalue (vsPq.PQgetvalue)
#define PQntuples (vsPq.PQntuples)
#define PQfinish (vsPq.PQfinish)
#define PQstatus (vsPq.PQstatus)
#define PQgetlength (vsPq.PQgetlength)
#define PQresultErrorField (vsPq.PQresultErrorField)
#define PQexec (vsPq.PQexec)
#define PQtransactionStatus (vsPq.PQtransactionStatus)
#define PQresultStatus (vsPq.PQresultStatus)
#define PQgetisnull (vsPq.PQgetisnull)
#define PQexecParams (vsPq.PQexecParams)
#define PQerrorMessage (vsPq.PQerrorMessage)
#define PQconnectdb (vsPq.PQconnectdb)
#define PQcmdTuples (vsPq.PQcmdTuples)
