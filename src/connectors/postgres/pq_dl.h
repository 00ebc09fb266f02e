/*
 * connectors/postgres/pq_dl.h - libpq, loaded when a job first uses it (dl.h).
 * Generated list: add a function here when the postgres code starts calling it.
 */
#ifndef EMBER_DL_PQ_H
#define EMBER_DL_PQ_H

#include "core/dl.h"

#include <libpq-fe.h>

#define EM_PQ_FUNCS(X) \
    X(PQclear) \
    X(PQconnectdbParams) \
    X(PQerrorMessage) \
    X(PQexec) \
    X(PQexecParams) \
    X(PQfinish) \
    X(PQgetResult) \
    X(PQgetvalue) \
    X(PQntuples) \
    X(PQputCopyData) \
    X(PQputCopyEnd) \
    X(PQresultErrorField) \
    X(PQresultErrorMessage) \
    X(PQresultStatus) \
    X(PQsetNoticeProcessor) \
    X(PQstatus) \
    X(PQtransactionStatus)

typedef struct em_pq_api {
    EM_PQ_FUNCS(EM_DL_MEMBER)
} em_pq_api;

extern em_pq_api em__pq;

/* Loads libpq (EM_SONAME_PQ) on first use. Returns 0, or -1 with the reason in err. */
int em__pq_load(char *err, size_t cap);

#ifndef EM_DL_PQ_IMPL
#undef PQclear
#define PQclear (em__pq.PQclear)
#undef PQconnectdbParams
#define PQconnectdbParams (em__pq.PQconnectdbParams)
#undef PQerrorMessage
#define PQerrorMessage (em__pq.PQerrorMessage)
#undef PQexec
#define PQexec (em__pq.PQexec)
#undef PQexecParams
#define PQexecParams (em__pq.PQexecParams)
#undef PQfinish
#define PQfinish (em__pq.PQfinish)
#undef PQgetResult
#define PQgetResult (em__pq.PQgetResult)
#undef PQgetvalue
#define PQgetvalue (em__pq.PQgetvalue)
#undef PQntuples
#define PQntuples (em__pq.PQntuples)
#undef PQputCopyData
#define PQputCopyData (em__pq.PQputCopyData)
#undef PQputCopyEnd
#define PQputCopyEnd (em__pq.PQputCopyEnd)
#undef PQresultErrorField
#define PQresultErrorField (em__pq.PQresultErrorField)
#undef PQresultErrorMessage
#define PQresultErrorMessage (em__pq.PQresultErrorMessage)
#undef PQresultStatus
#define PQresultStatus (em__pq.PQresultStatus)
#undef PQsetNoticeProcessor
#define PQsetNoticeProcessor (em__pq.PQsetNoticeProcessor)
#undef PQstatus
#define PQstatus (em__pq.PQstatus)
#undef PQtransactionStatus
#define PQtransactionStatus (em__pq.PQtransactionStatus)
#endif

#endif
