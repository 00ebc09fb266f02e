/*
 * ember/error.h - one list of error codes for the whole library.
 *
 * Every function that can fail returns int: 0 on success, a negative EM_E*
 * code on failure. The detailed message (what, where, what to do) lives on
 * the handle that failed (em_engine_errmsg()); em_strerror() only names the
 * class of failure. The list is an X-macro so codes and names never drift.
 */
#ifndef EMBER_ERROR_H
#define EMBER_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define EM_ERRNO_MAP(X)                                                      \
    X(NOMEM, "out of memory")                                                \
    X(INVAL, "invalid argument")                                             \
    X(IO, "input/output error")                                              \
    X(PARSE, "syntax error")                                                 \
    X(TYPE, "type mismatch")                                                 \
    X(NOTFOUND, "not found")                                                 \
    X(EXISTS, "already exists")                                              \
    X(LIMIT, "size limit exceeded")                                          \
    X(RANGE, "value out of range")                                           \
    X(STATE, "operation not valid in this state")                           \
    X(CORRUPT, "corrupt data (checksum or format)")                          \
    X(UNSUPPORTED, "not supported")                                          \
    X(AGAIN, "resource temporarily unavailable")                             \
    X(EOF, "end of input")                                                   \
    X(STOPPED, "stopped")                                                    \
    X(CONN, "connection failed")                                             \
    X(TIMEOUT, "timed out")

typedef enum em_errno {
    EM_OK = 0,
#define EM_X_(name, msg) EM_E##name,
    EM__EFIRST = -1000,
    EM_ERRNO_MAP(EM_X_)
#undef EM_X_
    EM__ELAST
} em_errno;

/* End of input is not a failure; this is its usual spelling. */
#define EM_EOF EM_EEOF

#ifndef EM_API
#define EM_API __attribute__((visibility("default")))
#endif

/* Returns a static, human-readable name for an EM_E* code (or "unknown
 * error"). The string is never freed and is valid for the process lifetime. */
EM_API const char *em_strerror(int code);

/* Returns the symbolic name ("EM_ENOMEM") for a code; static storage. */
EM_API const char *em_errname(int code);

#ifdef __cplusplus
}
#endif
#endif
