/*
 * core/suggest.h - "did you mean ...?" for unknown names.
 */
#ifndef EMBER_CORE_SUGGEST_H
#define EMBER_CORE_SUGGEST_H

#include <stddef.h>

/* Case-insensitive edit distance (Levenshtein, names up to 63 bytes). */
size_t em_edit_distance(const char *a, const char *b);

/* The candidate closest to name, or NULL when none is close enough to be a
 * plausible typo (distance > max(2, len/3)). candidates is NULL-terminated
 * when n == 0 is passed as SIZE_MAX; otherwise n entries. Borrowed result. */
const char *em_suggest(const char *name, const char *const *candidates, size_t n);

#endif
