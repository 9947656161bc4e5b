/* pq-dyn.h — libpq, the PostgreSQL client library, called through a table
 * filled when first needed (util/dynlib.h), so that a process that does not
 * use it never loads it.  Include after libpq-fe.h; call vsPqLoad() before
 * the first call.  A function missing from the table fails to link: add it
 * here and in pq-dyn.c. */
#pragma once
#include <libpq-fe.h>
#include <glib.h>

typedef struct {
    __typeof__(PQclear) *PQclear;
    __typeof__(PQcmdTuples) *PQcmdTuples;
    __typeof__(PQconnectdbParams) *PQconnectdbParams;
    __typeof__(PQerrorMessage) *PQerrorMessage;
    __typeof__(PQexec) *PQexec;
    __typeof__(PQexecParams) *PQexecParams;
    __typeof__(PQfinish) *PQfinish;
    __typeof__(PQgetisnull) *PQgetisnull;
    __typeof__(PQgetlength) *PQgetlength;
    __typeof__(PQgetvalue) *PQgetvalue;
    __typeof__(PQntuples) *PQntuples;
    __typeof__(PQreset) *PQreset;
    __typeof__(PQresultErrorField) *PQresultErrorField;
    __typeof__(PQresultStatus) *PQresultStatus;
    __typeof__(PQsetNoticeProcessor) *PQsetNoticeProcessor;
    __typeof__(PQstatus) *PQstatus;
    __typeof__(PQtransactionStatus) *PQtransactionStatus;
} vsPqFuncs;
extern vsPqFuncs vsPq;

/* Errors: VS_ERROR_FAILED (the library cannot be loaded). */
int vsPqLoad(GError **error);

#define PQclear (vsPq.PQclear)
#define PQcmdTuples (vsPq.PQcmdTuples)
#define PQconnectdbParams (vsPq.PQconnectdbParams)
#define PQerrorMessage (vsPq.PQerrorMessage)
#define PQexec (vsPq.PQexec)
#define PQexecParams (vsPq.PQexecParams)
#define PQfinish (vsPq.PQfinish)
#define PQgetisnull (vsPq.PQgetisnull)
#define PQgetlength (vsPq.PQgetlength)
#define PQgetvalue (vsPq.PQgetvalue)
#define PQntuples (vsPq.PQntuples)
#define PQreset (vsPq.PQreset)
#define PQresultErrorField (vsPq.PQresultErrorField)
#define PQresultStatus (vsPq.PQresultStatus)
#define PQsetNoticeProcessor (vsPq.PQsetNoticeProcessor)
#define PQstatus (vsPq.PQstatus)
#define PQtransactionStatus (vsPq.PQtransactionStatus)
