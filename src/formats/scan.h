/*
 * formats/scan.h - the readers' per-value scanning primitives, inline
 * because they run once per value of every record.
 *
 * em__scan_number reads the common shape of a JSON number in one pass and
 * em__number_f64 / em__number_i64 turn it into a column value exactly, or
 * say the value needs the general path (json.c's scan_number + strtod).
 * em__scan_plain reads the common shape of a string (printable ASCII, no
 * escape) 16 or 32 bytes at a time: SSE2 on every x86-64, AVX2 when the CPU
 * has it (decided once at run time), eight bytes at a time (SWAR) on other
 * machines. Every fast path returns "not mine" rather than guessing, and the
 * general path then decides: it validates escapes and UTF-8 and produces the
 * error message.
 */
#ifndef EMBER_FORMATS_SCAN_H
#define EMBER_FORMATS_SCAN_H

#include "formats/format.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 8 bytes at p as a little-endian word (whatever the host's order). */
static inline uint64_t em__load_le64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* A plain number at p (n bytes available): [-](0|[1-9][0-9]*)[.[0-9]+]
 * with at most 19 digits, not followed by 'e' or 'E'. Returns its length
 * with sc filled, or 0 for any other shape (an exponent, more digits, not a
 * number). A digit after a leading "0" ends the number, as in the JSON
 * grammar: the byte after it is then the caller's syntax error. */
typedef struct em__number {
    uint64_t digits; /* all digits as one integer (14.25 -> 1425) */
    int frac;        /* digits after the point (14.25 -> 2) */
    int neg;
} em__number;

/* SWAR over eight bytes loaded little-endian (the first byte lowest): the
 * number of leading ASCII digits (0-8), and the value of the first k
 * (1-8) of them (Lemire's three multiplications, after shifting the digits
 * to the top so the bytes below read as leading zeros). */
static inline unsigned em__swar_ndigits(uint64_t w)
{
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0);
    uint64_t x = w ^ UINT64_C(0x3030303030303030);
    uint64_t nd = (x & hi) | ((x + UINT64_C(0x0606060606060606)) & hi);
    return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
}

static inline uint64_t em__swar_value(uint64_t w, unsigned k)
{
    uint64_t v = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) << (8 * (8 - k));
    v = (v * 2561) >> 8;
    v = ((v & UINT64_C(0x00FF00FF00FF00FF)) * 6553601) >> 16;
    return ((v & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001)) >> 32;
}

/* The number's digits one at a time (near the end of the record, or more
 * than seven digits in a part). */
static inline size_t em__scan_number_bytes(const char *p, size_t n, size_t i, em__number *sc)
{
    size_t start;
    uint64_t v = 0;
    unsigned d;
    if (i >= n || (d = (unsigned)(unsigned char)p[i] - '0') > 9)
        return 0;
    start = i;
    if (d == 0) {
        i++;
    } else {
        do {
            v = v * 10 + d;
            i++;
        } while (i < n && (d = (unsigned)(unsigned char)p[i] - '0') <= 9);
    }
    size_t ndig = i - start;
    if (i < n && p[i] == '.') {
        size_t f = ++i;
        while (i < n && (d = (unsigned)(unsigned char)p[i] - '0') <= 9) {
            v = v * 10 + d;
            i++;
        }
        if (i == f)
            return 0;
        sc->frac = (int)(i - f);
        ndig += i - f;
    }
    if (ndig > 19 || (i < n && (p[i] == 'e' || p[i] == 'E')))
        return 0;
    sc->digits = v;
    return i;
}

static inline __attribute__((always_inline)) size_t em__scan_number(const char *p, size_t n,
                                                                   em__number *sc)
{
    static const uint64_t pow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    size_t i = 0;
    sc->neg = 0;
    sc->frac = 0;
    sc->digits = 0;
    if (n && p[0] == '-') {
        sc->neg = 1;
        i = 1;
    }
    if (n - i < 18) /* room to load both parts eight bytes at a time */
        return em__scan_number_bytes(p, n, i, sc);
    uint64_t w, f;
    memcpy(&w, p + i, 8);
    unsigned k = em__swar_ndigits(w), kf;
    uint64_t v;
    if (k == 0)
        return 0;
    if (k == 8) { /* 9 to 15 digits (epoch milliseconds): the next eight */
        uint64_t w2;
        if (p[i] == '0' || n - i < 26)
            return em__scan_number_bytes(p, n, sc->neg, sc);
        memcpy(&w2, p + i + 8, 8);
        unsigned k2 = em__swar_ndigits(w2);
        if (k2 == 0 || k2 == 8)
            return em__scan_number_bytes(p, n, sc->neg, sc);
        v = em__swar_value(w, 8) * pow10[k2] + em__swar_value(w2, k2);
        k = 8 + k2;
    } else {
        if (p[i] == '0')
            k = 1; /* "0" ends there: a digit after it is the caller's error */
        v = em__swar_value(w, k);
    }
    i += k;
    if (p[i] == '.') {
        memcpy(&f, p + i + 1, 8);
        kf = em__swar_ndigits(f);
        if (kf == 0 || kf == 8 || k + kf > 19)
            return kf ? em__scan_number_bytes(p, n, sc->neg, sc) : 0;
        v = v * pow10[kf] + em__swar_value(f, kf);
        sc->frac = (int)kf;
        i += 1 + kf;
    }
    if (p[i] == 'e' || p[i] == 'E')
        return 0;
    sc->digits = v;
    return i;
}

/* em__scan_number's length without its value, for the fields a job does
 * not read: the same shapes are accepted (0 otherwise). */
static inline __attribute__((always_inline)) size_t em__skip_number(const char *p, size_t n)
{
    em__number sc;
    size_t i = n && p[0] == '-';
    if (n - i < 18)
        return em__scan_number(p, n, &sc);
    uint64_t w, f;
    memcpy(&w, p + i, 8);
    unsigned k = em__swar_ndigits(w), kf;
    if (k == 0 || k == 8)
        return k ? em__scan_number(p, n, &sc) : 0;
    i += p[i] == '0' ? 1 : k;
    if (p[i] == '.') {
        memcpy(&f, p + i + 1, 8);
        kf = em__swar_ndigits(f);
        if (kf == 0 || kf == 8)
            return kf ? em__scan_number(p, n, &sc) : 0;
        i += 1 + kf;
    }
    return p[i] == 'e' || p[i] == 'E' ? 0 : i;
}

/* The number as a double, exactly (Clinger's fast path: digits < 2^53 and
 * 10^frac are both exact doubles, so one IEEE division rounds correctly and
 * equals strtod). Returns 0, or -1 when strtod must decide. */
static inline int em__number_f64(const em__number *sc, double *out)
{
    if (sc->digits >= (UINT64_C(1) << 53) || sc->frac > 22)
        return -1;
    double v = (double)sc->digits;
    if (sc->frac)
        v /= em__pow10_exact[sc->frac];
    *out = sc->neg ? -v : v;
    return 0;
}

/* The number as a BIGINT when it is an integer of at most 18 digits (always
 * in range). Returns 0, or -1 for the general path. */
static inline int em__number_i64(const em__number *sc, int64_t *out)
{
    if (sc->frac || sc->digits >= UINT64_C(1000000000000000000))
        return -1;
    *out = sc->neg ? -(int64_t)sc->digits : (int64_t)sc->digits;
    return 0;
}

/* Which string scanner em__scan_plain uses: 2 = AVX2, 1 = SSE2, 0 = SWAR;
 * 3 = AVX2 here, and AVX-512 (BW, VBMI2) for the JSON record shape's spans
 * (json_span.c). em__scan_level() decides once (the CPU's features and
 * EMBER_SIMD: "avx2", "sse2" or "off" lowers it, for tests and comparisons). */
int em__scan_level(void);

/* Length of the run of plain string bytes at p (at most n): stops at the
 * first '"', '\\', control byte (< 0x20) or non-ASCII byte (>= 0x80). */
size_t em__scan_plain(const char *p, size_t n);

/* em__scan_plain with the scanner of the given level (lowered to what the
 * CPU has): for tests that check every width on one machine. */
size_t em__scan_plain_with(int level, const char *p, size_t n);

#ifdef __SSE2__
/* The bytes of w that end a plain string run ('"', '\\', a control byte
 * < 0x20, a non-ASCII byte >= 0x80) as a 16-bit mask: the one test of the
 * 16-byte scanners (scan.c, em__scan_plain_short, the record shape's). */
static inline __attribute__((always_inline)) unsigned em__plain_stops16(__m128i w)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i flip = _mm_set1_epi8((char)0x80), lim = _mm_set1_epi8((char)0xA0);
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, bslash)),
                                _mm_cmplt_epi8(_mm_xor_si128(w, flip), lim));
    return (unsigned)(_mm_movemask_epi8(stop) | _mm_movemask_epi8(w));
}
#endif

/* em__scan_plain for the usual short string, inline: the first 64 bytes
 * 16 at a time (SSE2), the rest through em__scan_plain. */
static inline __attribute__((always_inline)) size_t em__scan_plain_short(const char *b, size_t room)
{
#ifdef __SSE2__
    size_t k = 0;
    for (;;) {
        if (room - k < 16 || k == 64)
            return k + em__scan_plain(b + k, room - k);
        unsigned m = em__plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)(b + k)));
        if (m)
            return k + (size_t)__builtin_ctz(m);
        k += 16;
    }
#else
    return em__scan_plain(b, room);
#endif
}

#endif
