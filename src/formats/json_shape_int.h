/*
 * formats/json_shape_int.h - what the record shape's two readers share:
 * json_shape.c (any CPU) and json_shape_avx512.c (built for AVX-512, run
 * where em__scan_level() is 3). The value conversions are the same in
 * both, so both give the general parser's result.
 */
#ifndef EMBER_FORMATS_JSON_SHAPE_INT_H
#define EMBER_FORMATS_JSON_SHAPE_INT_H

#include "formats/format.h"
#include "formats/scan.h"

typedef enum shape_kind {
    NUM_SKIP = 1, /* a number for no column */
    NUM_F64,      /* a number into a DOUBLE column */
    NUM_I64,      /* an integer into a BIGINT column */
    NUM_TS,       /* an integer into a TIMESTAMP column (ts_mul units) */
    STR_SKIP,     /* a string for no column */
    STR_TEXT,     /* a string into a TEXT column */
    STR_TS        /* an ISO-8601 string into a TIMESTAMP column */
} shape_kind;

typedef em__shape_field shape_field;

/* 1 when p[0, len) (16 <= len <= 48) is plain string bytes followed by
 * '"' (room > len): three 16-byte tests with no branch on the contents, so
 * a string as long as the field's last one (a UUID) does not make the next
 * field's position wait for a scan. */
static inline __attribute__((always_inline)) int plain_exactly(const char *p, size_t room,
                                                               size_t len)
{
#ifdef __SSE2__
    if (len < 16 || len > 48 || room <= len || p[len] != '"') return 0;
    size_t mid = len > 32 ? 16 : 0;
    return (em__plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)p)) |
            em__plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)(p + mid))) |
            em__plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)))) == 0;
#else
    (void)p;
    (void)room;
    (void)len;
    return 0;
#endif
}

#define EM__SPAN_GIVEUP 64 /* misses in a row before a span is left to the fields */

/* A number into f's column (NUM_F64, NUM_I64, NUM_TS): its length, or 0
 * when it is not one the fast path converts. */
static inline __attribute__((always_inline)) size_t shape_number(em_reader *r,
                                                                 const shape_field *f,
                                                                 const char *p, size_t room,
                                                                 em_batch_builder *bb)
{
    size_t len;
    em__number sc;
    double dv;
    int64_t iv;
    if (!(len = em__scan_number(p, room, &sc)))
        return 0;
    if (f->kind == NUM_F64) {
        if (em__number_f64(&sc, &dv))
            return 0;
        em_batch_builder_set_f64(bb, f->col, dv);
        return len;
    }
    if (em__number_i64(&sc, &iv) ||
        (f->kind == NUM_TS && __builtin_mul_overflow(iv, r->ts_mul, &iv)))
        return 0;
    em_batch_builder_set_i64(bb, f->col, iv);
    return len;
}

/* The ISO-8601 string p[0, len) into f's TIMESTAMP column: 0, or -1. In
 * the minute of the last one, ":SS.mmm" is read here (what em__fmt_iso_ts
 * does). */
static inline __attribute__((always_inline)) int shape_iso(em_reader *r, const shape_field *f,
                                                           const char *p, size_t len,
                                                           em_batch_builder *bb)
{
    int64_t iv;
    if (len != 24 || !r->ts_min_ok || em__load_le64(p) != r->ts_min[0] ||
        em__load_le64(p + 8) != r->ts_min[1] || p[16] != ':' || p[19] != '.' || p[23] != 'Z') {
        if (em__fmt_iso_ts(r, p, len, &iv))
            return -1;
    } else {
        unsigned s1 = (unsigned)(p[17] - '0'), s2 = (unsigned)(p[18] - '0');
        unsigned m1 = (unsigned)(p[20] - '0'), m2 = (unsigned)(p[21] - '0'),
                 m3 = (unsigned)(p[22] - '0');
        unsigned se = s1 * 10 + s2;
        if ((s1 | s2 | m1 | m2 | m3) > 9 || se > 60)
            return -1;
        iv = r->ts_min_us + (int64_t)se * 1000000 + (int64_t)(m1 * 100 + m2 * 10 + m3) * 1000;
    }
    em_batch_builder_set_i64(bb, f->col, iv);
    return 0;
}

/* json_shape_avx512.c: em__shape_parse for CPUs with AVX-512 (BW, VL,
 * VBMI2), spans inline. */
size_t em__shape_parse_avx512(em_reader *r, const char *p, size_t n, em_batch_builder *bb);
extern const int em__shape_avx512_built; /* 0 when this compiler built it empty */

#endif
