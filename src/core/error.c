/*
 * core/error.c - names for the EM_E* codes of ember/error.h.
 */
#include "ember/error.h"
#include "ember/types.h"

const char *em_strerror(int code)
{
    switch (code) {
    case EM_OK:
        return "success";
#define EM_X_(name, msg)                                                                           \
    case EM_E##name:                                                                               \
        return msg;
        EM_ERRNO_MAP(EM_X_)
#undef EM_X_
    default:
        return "unknown error";
    }
}

const char *em_errname(int code)
{
    switch (code) {
    case EM_OK:
        return "EM_OK";
#define EM_X_(name, msg)                                                                           \
    case EM_E##name:                                                                               \
        return "EM_E" #name;
        EM_ERRNO_MAP(EM_X_)
#undef EM_X_
    default:
        return "EM_E?";
    }
}

const char *em_type_name(em_type t)
{
    switch (t) {
    case EM_TYPE_NULL:
        return "NULL";
    case EM_TYPE_BOOLEAN:
        return "BOOLEAN";
    case EM_TYPE_BIGINT:
        return "BIGINT";
    case EM_TYPE_DOUBLE:
        return "DOUBLE";
    case EM_TYPE_TEXT:
        return "TEXT";
    case EM_TYPE_TIMESTAMP:
        return "TIMESTAMP";
    case EM_TYPE_INTERVAL:
        return "INTERVAL";
    }
    return "?";
}

#include "core/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

int em_errf(em_errbuf *eb, int code, const char *fmt, ...)
{
    if (eb) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
        va_end(ap);
        eb->code = code;
    }
    return code;
}
