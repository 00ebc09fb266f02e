/*
 * core/errbuf.h - detailed error messages carried next to EM_E* codes.
 *
 * Functions that can fail with a message a user should read take an
 * em_errbuf *; they fill it and return the code, so call sites stay
 * "return em_errf(eb, EM_EPARSE, "line %d: ...", n);".
 */
#ifndef EMBER_CORE_ERRBUF_H
#define EMBER_CORE_ERRBUF_H

#include <stddef.h>

typedef struct em_errbuf {
    int code;
    char msg[512];
} em_errbuf;

static inline void em_errbuf_clear(em_errbuf *eb)
{
    if (eb) {
        eb->code = 0;
        eb->msg[0] = 0;
    }
}

/* Formats the message into eb (if not NULL) and returns code. */
int em_errf(em_errbuf *eb, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
