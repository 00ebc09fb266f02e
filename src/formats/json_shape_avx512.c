/*
 * formats/json_shape_avx512.c - the record shape's reader for CPUs with
 * AVX-512 (BW, VL, VBMI2), and its spans: unread fields read in one pass.
 *
 * This file alone is built with -mavx512bw and friends (CMakeLists.txt)
 * and is only called where em__scan_level() is 3 (scan.c asks the CPU).
 * It reads fields as json_shape.c does, with two differences besides the
 * spans: a literal is one masked compare of up to 32 bytes, and a string
 * as long as its field's last one (16 bytes and more: a UUID) is tested
 * with its literal and closing quote in one 64-byte load. Other strings
 * keep json_shape.c's 16-byte tests (64-byte scans were slower, see
 * docs/performance.md); numbers and timestamps go through the same
 * conversions (json_shape_int.h).
 *
 * The spans:
 *
 * Most of a record's fields are often read by no query (the sensor job
 * reads three of eight). The shape reads them one after the other, and each
 * one's position waits on the scan of the value before: five unread
 * numbers cost half of the sensor record. A span is a run of two or more
 * unread fields, at least two of them numbers, together with the literal
 * after it (the next field's, or the record's closing bytes); this file
 * checks a whole span at once, 128 bytes in two AVX-512 registers, and
 * gives its length. Its end comes from its quotes alone (the n-th quote,
 * by pdep), so the next field does not wait for the checks:
 *
 *  - byte classes as 64-bit masks (quotes, digits, '.', '-', ':', controls
 *    and non-ASCII, backslashes);
 *  - the inside of strings from the quotes (a carry-less multiply gives
 *    their running parity), since no backslash may come before the end;
 *  - what is a value: a run of number bytes outside strings, or the inside
 *    of a string opened right after a ':' (the carry of an addition floods
 *    each such string from its opening quote);
 *  - everything else, compressed together (VPCOMPRESSB), must be the
 *    span's template: its literals, byte for byte, without their values
 *    (`,"pm10":,"co2":}` for `,"pm10":21.6,"co2":910}`);
 *  - each number must have the shape em__skip_number accepts (an optional
 *    '-', no leading zero, at most one '.' between digits, no exponent: an
 *    'e' is not a number byte and so breaks the template), there must be
 *    one per numeric value, each right after its ':', and no string value
 *    may hold a control byte, a backslash or a non-ASCII byte.
 *
 * Anything else returns 0 and the fields are read one by one (64 misses in
 * a row retire the span until the shape is learnt again). The checks are
 * the same as the field-by-field path's: tests/unit/test_formats_json_shape.c
 * and the JSON fuzz target compare both with the general parser.
 */
#include "formats/json_shape_int.h"

#if defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VBMI2__) && \
    defined(__BMI2__) && defined(__PCLMUL__)
#include <immintrin.h>

typedef unsigned __int128 u128;

/* The running parity of x's bits (bit i = x[0] ^ ... ^ x[i]). */
static inline uint64_t prefix_xor(uint64_t x)
{
    __m128i r = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)x), _mm_set1_epi8(-1), 0);
    return (uint64_t)_mm_cvtsi128_si64(r);
}

static inline u128 join(uint64_t lo, uint64_t hi)
{
    return (u128)lo | (u128)hi << 64;
}

static inline int none(u128 x)
{
    return x == 0;
}

/* The byte constants, read from memory: a broadcast from a register would
 * take the same port as the compares. */
#define SPAN_BYTES(c) {.b = {[0 ... 63] = (char)(c)}}
static const union {
    char b[64];
    __m512i v;
} k_bytes[] = {SPAN_BYTES('"'), SPAN_BYTES(':'), SPAN_BYTES('0'), SPAN_BYTES(10),
               SPAN_BYTES('.'), SPAN_BYTES('-'), SPAN_BYTES('\\'), SPAN_BYTES(' ')};
enum { KQUOTE, KCOLON, KZERO, KTEN, KDOT, KMINUS, KBSLASH, KSPACE };

static inline __attribute__((always_inline)) size_t span_match(const em__shape_span *sp, const char *p,
                                                                size_t room)
{
    size_t avail = room < 128 ? room : 128;
    __m512i v0, v1;
    if (__builtin_expect(room >= 128, 1)) {
        v0 = _mm512_loadu_si512((const void *)p);
        v1 = _mm512_loadu_si512((const void *)(p + 64));
    } else { /* masked loads: nothing past p + room is read */
        __mmask64 l0 = avail >= 64 ? ~0ull : (1ull << avail) - 1;
        __mmask64 l1 = avail > 64 ? (avail == 128 ? ~0ull : (1ull << (avail - 64)) - 1) : 0;
        v0 = _mm512_maskz_loadu_epi8(l0, p);
        v1 = _mm512_maskz_loadu_epi8(l1, p + 64);
    }
    const __m512i quote = k_bytes[KQUOTE].v, colon = k_bytes[KCOLON].v, zero = k_bytes[KZERO].v;
    const __m512i ten = k_bytes[KTEN].v, dot = k_bytes[KDOT].v, minus = k_bytes[KMINUS].v;
    const __m512i bslash = k_bytes[KBSLASH].v, space = k_bytes[KSPACE].v;

    uint64_t q0 = _mm512_cmpeq_epi8_mask(v0, quote), q1 = _mm512_cmpeq_epi8_mask(v1, quote);
    /* inside a string, from its opening quote to before its closing one */
    uint64_t i0 = prefix_xor(q0);
    uint64_t i1 = prefix_xor(q1) ^ (uint64_t)((int64_t)i0 >> 63);
    u128 Q = join(q0, q1), I = join(i0, i1);
    u128 D = join(_mm512_cmplt_epu8_mask(_mm512_sub_epi8(v0, zero), ten),
                  _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v1, zero), ten));
    u128 P = join(_mm512_cmpeq_epi8_mask(v0, dot), _mm512_cmpeq_epi8_mask(v1, dot));
    u128 M = join(_mm512_cmpeq_epi8_mask(v0, minus), _mm512_cmpeq_epi8_mask(v1, minus));
    u128 C = join(_mm512_cmpeq_epi8_mask(v0, colon), _mm512_cmpeq_epi8_mask(v1, colon)) & ~I;
    u128 valid = avail == 128 ? ~(u128)0 : ((u128)1 << avail) - 1;

    u128 num = (D | P | M) & ~I; /* number bytes outside strings */
    u128 keep = ~num & valid;
    if (sp->strs) {
        u128 vopen = Q & I & (C << 1);     /* a value's opening quote */
        u128 vstr = ((I + vopen) ^ I) & I; /* value strings, opening quote on */
        keep &= ~(vstr & ~vopen);
    }

    /* Where the span ends if it matches, from the quotes alone: its last
     * quote is the nq-th, and `after` bytes follow it (or, with a number
     * before the closing '}', that number and the '}'). The next field's
     * position waits on this, not on the checks below, which only decide
     * a branch the CPU predicts. */
    unsigned nq0 = (unsigned)_mm_popcnt_u64(q0), nq = sp->nq;
    size_t e = nq <= nq0 ? (size_t)_tzcnt_u64(_pdep_u64(1ull << (nq - 1), q0))
                         : 64 + (size_t)_tzcnt_u64(_pdep_u64(1ull << (nq - 1 - nq0), q1));
    if (sp->after) { /* (128 when there is no such quote) */
        e += sp->after + 1u;
    } else { /* '"', ':', the number, '}' */
        if (e + 2 >= avail)
            return 0;
        u128 rest = ~(D | P | M) >> (e + 2);
        uint64_t lo = (uint64_t)rest;
        e += 2 + (lo ? (size_t)_tzcnt_u64(lo) : 64 + (size_t)_tzcnt_u64((uint64_t)(rest >> 64))) + 1;
    }
    if (e > avail)
        return 0;

    /* the bytes kept before e, compressed, must be the template */
    u128 below = e == 128 ? ~(u128)0 : ((u128)1 << e) - 1;
    keep &= below;
    uint64_t k0 = (uint64_t)keep, k1 = (uint64_t)(keep >> 64);
    unsigned n0 = (unsigned)_mm_popcnt_u64(k0), tlen = sp->tlen;
    if (n0 + (unsigned)_mm_popcnt_u64(k1) != tlen)
        return 0;
    uint64_t need = n0 == 64 ? ~0ull : (1ull << n0) - 1;
    __m512i c0 = _mm512_maskz_compress_epi8(k0, v0);
    if ((_mm512_cmpeq_epi8_mask(c0, _mm512_loadu_si512((const void *)sp->tmpl)) & need) != need)
        return 0;
    if (k1) { /* 1..64 more */
        unsigned m1 = tlen - n0;
        need = m1 == 64 ? ~0ull : (1ull << m1) - 1;
        __m512i c1 = _mm512_maskz_compress_epi8(k1, v1);
        if ((_mm512_cmpeq_epi8_mask(c1, _mm512_loadu_si512((const void *)(sp->tmpl + n0))) &
             need) != need)
            return 0;
    }

    /* below e: no backslash, control or non-ASCII byte in a string value
     * (anywhere else such a byte is kept, so the template refused it) */
    if (sp->strs) {
        u128 bad = join(_mm512_cmpeq_epi8_mask(v0, bslash) | _mm512_cmplt_epi8_mask(v0, space),
                        _mm512_cmpeq_epi8_mask(v1, bslash) | _mm512_cmplt_epi8_mask(v1, space));
        if (!none(bad & below))
            return 0;
    }
    /* numbers well formed */
    u128 n = num & below, d = D & n, pt = P & n, mi = M & n;
    u128 start = n & ~(n << 1);
    u128 z = join(_mm512_cmpeq_epi8_mask(v0, zero), _mm512_cmpeq_epi8_mask(v1, zero)) & d;
    u128 first = (start & d) | ((start & mi) << 1);
    u128 wrong = (start & ~(C << 1)) |       /* each number right after its ':' */
                 (mi & ~start) |             /* '-' only first ... */
                 (((mi | pt) << 1) & ~d) |   /* ... and before a digit, as '.' */
                 ((pt >> 1) & ~d) |          /* '.' after a digit */
                 ((d + (pt << 1)) & ~d & pt) | /* one '.' at most */
                 (first & z & (d >> 1));     /* no leading zero */
    if (!none(wrong) ||
        (unsigned)(_mm_popcnt_u64((uint64_t)start) + _mm_popcnt_u64((uint64_t)(start >> 64))) !=
            sp->nnum)
        return 0;
    return e;
}


const int em__shape_avx512_built = 1;

size_t em__span_match(const em__shape_span *sp, const char *p, size_t room)
{
    return span_match(sp, p, room);
}

size_t em__shape_parse_avx512(em_reader *r, const char *p, size_t n, em_batch_builder *bb)
{
    const struct em__shape *sh = r->shape;
    const shape_field *f = sh->f, *last = sh->f + sh->nf;
    size_t q = 0, len;
    for (; f < last; f++) {
        if (f->span) { /* skipped fields and the literal after them, at once */
            em__shape_span *sp = (em__shape_span *)&sh->span[f->span - 1];
            size_t e = 0;
            if (!sp->quote1 || (q < n && p[q] == '"'))
                e = span_match(sp, p + q + sp->quote1, n - q - sp->quote1);
            if (__builtin_expect(e != 0, 1)) {
                sp->fails = 0;
                q += sp->quote1 + e;
                f = sh->f + sp->next;
                if (f == last) /* the span ended with the record's closing bytes */
                    return q;
                goto value;
            }
            if (++sp->fails >= EM__SPAN_GIVEUP) /* the fields one by one from now on */
                ((shape_field *)f)->span = 0;
        }
        if (f->kind >= STR_SKIP && f->guess >= 16 && f->litlen + f->guess < 64 && n - q >= 64) {
            /* a string as long as last time (a UUID): its literal, its bytes
             * and its closing quote in one 64-byte test */
            unsigned lit = f->litlen, end = lit + f->guess;
            uint64_t body = _bzhi_u64(~(uint64_t)0, end + 1) & ~(uint64_t)f->need32;
            __m512i v = _mm512_loadu_si512((const void *)(p + q));
            __m512i l = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)f->lit));
            uint64_t stop = _mm512_mask_cmpeq_epi8_mask(body, v, k_bytes[KQUOTE].v) |
                            _mm512_mask_cmpeq_epi8_mask(body, v, k_bytes[KBSLASH].v) |
                            _mm512_mask_cmplt_epi8_mask(body, v, k_bytes[KSPACE].v);
            if (!_mm512_mask_cmpneq_epi8_mask(f->need32, v, l) && stop == UINT64_C(1) << end) {
                len = f->guess;
                q += lit;
                if (f->kind == STR_TEXT) {
                    if (em_batch_builder_set_text(bb, f->col, p + q, len))
                        return 0;
                } else if (f->kind == STR_TS && shape_iso(r, f, p + q, len, bb)) {
                    return 0;
                }
                q += len;
                continue;
            }
        }
        { /* the literal: one masked compare (its bytes past litlen are zero) */
            if (n - q < f->litlen)
                return 0;
            __m256i a = _mm256_maskz_loadu_epi8(f->need32, p + q);
            if (_mm256_cmpneq_epi8_mask(a, _mm256_loadu_si256((const __m256i *)(const void *)f->lit)))
                return 0;
            q += f->litlen;
        }
    value:
        if (f->kind == NUM_SKIP) {
            if (!(len = em__skip_number(p + q, n - q)))
                return 0;
        } else if (f->kind >= STR_SKIP) {
            /* up to 64 bytes (masked: nothing past p + n is read; the zeros
             * stop the scan) */
            size_t room = n - q;
            if (plain_exactly(p + q, room, f->guess)) {
                len = f->guess;
            } else {
                len = em__scan_plain_short(p + q, room);
                ((shape_field *)f)->guess = (uint16_t)len;
            }
            if (f->kind == STR_TEXT) {
                if (em_batch_builder_set_text(bb, f->col, p + q, len))
                    return 0;
            } else if (f->kind == STR_TS) {
                if (shape_iso(r, f, p + q, len, bb))
                    return 0;
            }
        } else if (!(len = shape_number(r, f, p + q, n - q, bb))) {
            return 0;
        }
        q += len;
    }
    if (n - q < sh->taillen || p[q] != sh->tail[0] || (sh->taillen == 2 && p[q + 1] != sh->tail[1]))
        return 0;
    return q + sh->taillen;
}

#else /* not built for AVX-512: never called (em__scan_level() is then below 3 or the
       * compiler lacks the flags; find_spans builds no span either way) */

const int em__shape_avx512_built = 0;

size_t em__span_match(const em__shape_span *sp, const char *p, size_t room)
{
    (void)sp;
    (void)p;
    (void)room;
    return 0;
}

size_t em__shape_parse_avx512(em_reader *r, const char *p, size_t n, em_batch_builder *bb)
{
    (void)r;
    (void)p;
    (void)n;
    (void)bb;
    return 0;
}

#endif
