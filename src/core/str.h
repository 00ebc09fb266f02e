/*
 * core/str.h - the three byte types.
 *
 *   em_slice  borrowed {ptr, len}; never owns, never NUL-terminated by contract.
 *   em_str    owned, immutable, length-prefixed and NUL-terminated (sds-like);
 *             the pointer you hold is the char data, so it passes as a C string.
 *   em_buf    growable buffer with a mandatory size cap (curl dynbuf): growth
 *             beyond max fails with EM_ELIMIT instead of eating the machine.
 */
#ifndef EMBER_CORE_STR_H
#define EMBER_CORE_STR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct em_slice {
    const char *ptr;
    size_t len;
} em_slice;

static inline em_slice em_slice_of(const char *p, size_t n)
{
    em_slice s = {p, n};
    return s;
}

static inline em_slice em_slice_cstr(const char *s)
{
    return em_slice_of(s, s ? strlen(s) : 0);
}

int em_slice_eq(em_slice a, em_slice b);
int em_slice_eq_ci(em_slice a, em_slice b);       /* ASCII case-insensitive */
int em_slice_eq_cstr_ci(em_slice a, const char *b);
em_slice em_slice_trim(em_slice s);

/* Owned string: char * to the data, length stored just before it. */
typedef char em_str;
em_str *em_str_new(const char *p, size_t n); /* NULL on OOM */
em_str *em_str_from(const char *cstr);
size_t em_str_len(const em_str *s);
void em_str_free(em_str *s);

typedef struct em_buf {
    char *ptr;  /* NUL-terminated whenever len > 0 or ptr != NULL */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len; growth past it fails with EM_ELIMIT */
} em_buf;

void em_buf_init(em_buf *b, size_t max);
void em_buf_release(em_buf *b);
void em_buf_reset(em_buf *b);                  /* len = 0, keeps memory */
int em_buf_reserve(em_buf *b, size_t extra);  /* 0, EM_ENOMEM, EM_ELIMIT */
int em_buf_append(em_buf *b, const void *p, size_t n);
int em_buf_puts(em_buf *b, const char *s);
int em_buf_putc(em_buf *b, char c);
int em_buf_printf(em_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int em_buf_vprintf(em_buf *b, const char *fmt, va_list ap);
/* Hands the memory to the caller (free with em_free); the buffer is empty. */
char *em_buf_detach(em_buf *b, size_t *len);

/* Equality of n bytes, inlined: hash-table keys are short, and a libc
 * memcmp call per probe costs more than the comparison itself. 16 bytes
 * at a time where SSE2 is there, 8 otherwise; the tail is one overlapping
 * load rather than a byte loop, so a 36-byte UUID takes three 16-byte
 * compares. */
static inline __attribute__((always_inline)) int em_bytes_eq(const void *pa, const void *pb,
                                                              size_t n)
{
    const char *a = pa, *b = pb;
#if defined(__SSE2__)
    if (n >= 16) {
        /* up to 48 bytes (UUIDs, most ids): two or three overlapping
         * compares, one test */
        if (n <= 48) {
            __m128i e = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)a),
                                       _mm_loadu_si128((const __m128i *)(const void *)b));
            e = _mm_and_si128(e, _mm_cmpeq_epi8(
                                     _mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
                                     _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16))));
            if (n > 32)
                e = _mm_and_si128(e, _mm_cmpeq_epi8(
                                         _mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                                         _mm_loadu_si128((const __m128i *)(const void *)(b + 16))));
            return _mm_movemask_epi8(e) == 0xffff;
        }
        while (n > 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xffff)
                return 0;
            a += 16, b += 16, n -= 16;
        }
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + n - 16));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
    }
#endif
    if (n >= 8) {
        uint64_t x, y;
        while (n > 8) {
            memcpy(&x, a, 8);
            memcpy(&y, b, 8);
            if (x != y)
                return 0;
            a += 8, b += 8, n -= 8;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    while (n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

#endif
