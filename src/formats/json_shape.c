/*
 * formats/json_shape.c - the JSON reader's fast path for records shaped
 * like the one before.
 *
 * An NDJSON producer writes every record with the same keys in the same
 * order, without blanks, and with values of the same kinds: only the
 * values' bytes change. From one record the general parser (json.c) has
 * accepted, the reader learns that shape: for each field, the exact bytes
 * between the previous value and this one (`,"pm25":`, or `","ts":"` after
 * a string: the closing quote, key and opening quote in one literal), the
 * value's kind (plain number or plain string) and what becomes of it
 * (the column and its conversion, or skipped). A record is then read by
 * comparing each literal in one or two 16-byte compares and scanning each
 * value with the primitives of scan.h, with the position in a register:
 * no whitespace tests, no key lookups, no per-key branches on syntax.
 *
 * The fast path only accepts what the general parser accepts, with the
 * same result: every byte of the record is either in a literal, in a value
 * the scanners validate (the number shapes of em__scan_number, printable
 * ASCII strings without escapes), or the record does not match. Anything
 * else (a key in another order, a blank, an escape, a null, an exponent, a
 * value the column's conversion refuses) returns "no match" and json.c
 * aborts the row and parses the record the general way, which also writes
 * the error message. After EM__SHAPE_RELEARN misses in a row the shape is
 * learnt again from the next record the general parser accepts; a record
 * whose shape cannot be learnt (more than EM__SHAPE_FIELDS fields, a key
 * over 27 bytes, a kind the fast path does not convert) postpones the next
 * attempt by EM__SHAPE_BACKOFF records.
 *
 * This file's reader serves any CPU; where em__scan_level() is 3 (AVX-512
 * with VBMI2) em__shape_parse hands records to json_shape_avx512.c, which
 * also reads runs of unread fields in one pass (spans, see there).
 */
#include "formats/json_shape_int.h"

#include "core/mem.h"

#include <string.h>

#define EM__SHAPE_RELEARN 16
#define EM__SHAPE_BACKOFF 4096

void em__shape_free(struct em__shape *sh)
{
    em_free(sh);
}

/* 1 when p (room bytes readable) starts with f's literal. */
static inline __attribute__((always_inline)) int lit_at(const char *p, size_t room,
                                                        const shape_field *f)
{
#ifdef __SSE2__
    if (__builtin_expect(room >= 32, 1)) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)f->lit);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, l));
        if ((eq & f->need) != f->need) return 0;
        if (__builtin_expect(f->litlen <= 16, 1)) return 1;
        a = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
        l = _mm_loadu_si128((const __m128i *)(const void *)(f->lit + 16));
        eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, l));
        unsigned need = (1u << (f->litlen - 16)) - 1;
        return (eq & need) == need;
    }
#endif
    return room >= f->litlen && em__fmt_same_bytes(p, f->lit, f->litlen);
}

/* A value the fast path reads into its column (any kind but the skips). */
static size_t put_value(em_reader *r, const shape_field *f, const char *p, size_t room,
                        em_batch_builder *bb)
{
    size_t len;
    switch (f->kind) {
    case NUM_F64:
    case NUM_I64:
    case NUM_TS:
        return shape_number(r, f, p, room, bb);
    case STR_TEXT: /* the closing quote starts the next literal */
        if (plain_exactly(p, room, f->guess)) {
            len = f->guess;
        } else {
            len = em__scan_plain_short(p, room);
            ((shape_field *)f)->guess = (uint16_t)len;
        }
        if (em_batch_builder_set_text(bb, f->col, p, len)) return 0;
        return len ? len : SIZE_MAX;
    case STR_TS:
        len = em__scan_plain_short(p, room);
        return shape_iso(r, f, p, len, bb) ? 0 : len;
    default:
        return 0;
    }
}

static size_t shape_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb)
{
    const struct em__shape *sh = r->shape;
    const shape_field *f = sh->f, *last = sh->f + sh->nf;
    /* below `safe`, a literal is compared in one or two 16-byte loads
     * without a bounds test of its own */
    size_t q = 0, len, safe = n >= 32 ? n - 32 : 0;
    for (; f < last; f++) {
#ifdef __SSE2__
        if (__builtin_expect(q < safe && f->litlen <= 16, 1)) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + q));
            __m128i l = _mm_load_si128((const __m128i *)(const void *)f->lit);
            unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, l));
            if ((eq & f->need) != f->need) return 0;
        } else
#endif
            if (!lit_at(p + q, n - q, f))
            return 0;
        q += f->litlen;
        if (f->kind == NUM_SKIP) { /* the usual field: a number nobody reads */
            if (!(len = em__skip_number(p + q, n - q))) return 0;
        } else if (f->kind == STR_SKIP) {
            if (!plain_exactly(p + q, n - q, f->guess)) {
                len = em__scan_plain_short(p + q, n - q);
                ((shape_field *)f)->guess = (uint16_t)len;
            } else {
                len = f->guess;
            }
        } else {
            if (!(len = put_value(r, f, p + q, n - q, bb))) return 0;
            if (len == SIZE_MAX) /* an empty string */
                len = 0;
        }
        q += len;
    }
    if (n - q < sh->taillen || p[q] != sh->tail[0] || (sh->taillen == 2 && p[q + 1] != sh->tail[1]))
        return 0;
    return q + sh->taillen;
}

size_t em__shape_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb)
{
    if (r->shape->wide)
        return em__shape_parse_avx512(r, p, n, bb);
    return shape_parse(r, p, n, bb);
}

/* Appends a field whose literal is p[from, to) to sh; 0, or -1 if it does
 * not fit. */
static int add_field(struct em__shape *sh, const char *p, size_t from, size_t to, shape_kind kind,
                     int col)
{
    if (sh->nf == EM__SHAPE_FIELDS || to - from > EM__SHAPE_LIT || to == from) return -1;
    for (uint32_t i = 0; i < sh->nf; i++) /* a repeated column: first value wins, not here */
        if (col >= 0 && sh->f[i].kind != NUM_SKIP && sh->f[i].kind != STR_SKIP &&
            sh->f[i].col == (uint32_t)col)
            return -1;
    shape_field *f = &sh->f[sh->nf++];
    memset(f->lit, 0, sizeof f->lit);
    memcpy(f->lit, p + from, to - from);
    f->litlen = (uint8_t)(to - from);
    f->need = f->litlen >= 16 ? 0xFFFFu : (1u << f->litlen) - 1;
    f->need32 = f->litlen >= 32 ? 0xFFFFFFFFu : (1u << f->litlen) - 1;
    f->kind = (uint8_t)kind;
    f->col = col >= 0 ? (uint32_t)col : 0;
    return 0;
}

/* Learns the shape of p[0, n), a record the general parser accepted.
 * Returns 0, or -1 when it has no shape the fast path can read. */
static int learn(em_reader *r, struct em__shape *sh, const char *p, size_t n)
{
    size_t i = 1, from = 0;
    sh->nf = 0;
    if (n < 2 || p[0] != '{' || p[1] == '}') return -1;
    for (;;) {
        if (i >= n || p[i] != '"') return -1;
        size_t k = em__scan_plain(p + i + 1, n - i - 1), ks = i + 1;
        if (ks + k >= n || p[ks + k] != '"') return -1;
        int col = em_schema_find(r->schema, p + ks, k);
        em_type t = col >= 0 ? r->types[col] : EM_TYPE_TEXT;
        i = ks + k + 1;
        if (i >= n || p[i] != ':') return -1;
        i++;
        shape_kind kind;
        size_t vend;
        if (i < n && p[i] == '"') {
            i++; /* the opening quote is the literal's last byte */
            size_t v = em__scan_plain(p + i, n - i);
            if (i + v >= n || p[i + v] != '"') return -1;
            kind = col < 0 ? STR_SKIP
                   : t == EM_TYPE_TEXT ? STR_TEXT
                   : t == EM_TYPE_TIMESTAMP ? STR_TS
                   : 0;
            vend = i + v; /* the closing quote belongs to the next literal */
            int64_t us;
            if (!kind || (kind == STR_TS && em__fmt_iso_ts(r, p + i, v, &us)) ||
                add_field(sh, p, from, i, kind, col))
                return -1;
            from = vend;
            i = vend + 1;
        } else {
            em__number sc;
            double dv;
            int64_t iv;
            size_t v = em__scan_number(p + i, n - i, &sc);
            if (!v) return -1;
            kind = col < 0 ? NUM_SKIP
                   : t == EM_TYPE_DOUBLE && em__number_f64(&sc, &dv) == 0 ? NUM_F64
                   : t == EM_TYPE_BIGINT && em__number_i64(&sc, &iv) == 0 ? NUM_I64
                   : t == EM_TYPE_TIMESTAMP && em__number_i64(&sc, &iv) == 0 ? NUM_TS
                   : 0;
            if (!kind || add_field(sh, p, from, i, kind, col)) return -1;
            from = i + v;
            i = from;
        }
        if (i < n && p[i] == ',') {
            i++;
            continue;
        }
        if (i < n && p[i] == '}' && i + 1 == n && i + 1 - from <= 2) {
            sh->taillen = (uint8_t)(i + 1 - from);
            memcpy(sh->tail, p + from, sh->taillen);
            return 0;
        }
        return -1;
    }
}

static int skipped(const shape_field *f)
{
    return f->kind == NUM_SKIP || f->kind == STR_SKIP;
}

/* Makes a span of every run of two or more skipped fields whose template
 * fits (json_span.c), where the CPU can check one. */
static void find_spans(struct em__shape *sh)
{
    sh->nspan = 0;
    for (uint32_t i = 0; i < sh->nf; i++)
        sh->f[i].span = 0;
    sh->wide = em__scan_level() >= 3 && em__shape_avx512_built;
    if (!sh->wide)
        return;
    for (uint32_t i = 0, j; i < sh->nf; i = j > i ? j : i + 1) {
        for (j = i; j < sh->nf && skipped(&sh->f[j]); j++)
            ;
        if (j - i < 2 || sh->nspan == EM__SHAPE_SPANS)
            continue;
        em__shape_span *sp = &sh->span[sh->nspan];
        memset(sp, 0, sizeof *sp);
        /* after a string value, the first literal opens with its closing quote */
        sp->quote1 = i > 0 && sh->f[i].lit[0] == '"';
        size_t t = 0;
        uint32_t k;
        for (k = i; k <= j; k++) {
            const char *l = k < sh->nf ? sh->f[k].lit : sh->tail;
            size_t len = k < sh->nf ? sh->f[k].litlen : sh->taillen;
            if (k == i && sp->quote1)
                l++, len--;
            if (t + len > EM__SPAN_TMPL)
                break;
            memcpy(sp->tmpl + t, l, len);
            t += len;
            if (k < j && sh->f[k].kind == NUM_SKIP)
                sp->nnum++;
        }
        /* two unread strings of stable length are cheaper one by one (a
         * guessed length puts the next field's position at hand): a span
         * pays for itself with two unread numbers (sensor: 82 -> 58 ns a
         * record; ysb's two UUIDs as a span: 50 -> 82 ns) */
        if (k <= j || t == 0 || sp->nnum < 2)
            continue;
        sp->strs = sp->nnum < j - i;
        size_t lastq = t;
        for (size_t b = 0; b < t; b++)
            if (sp->tmpl[b] == '"')
                sp->nq++, lastq = b;
        if (!sp->nq)
            continue;
        sp->after = (uint8_t)(t - 1 - lastq);
        if (sp->after == 2 && sp->tmpl[t - 2] == ':' && sp->tmpl[t - 1] == '}')
            sp->after = 0; /* a number between ':' and '}' */
        else if (sp->after > 1)
            continue;
        sp->tlen = (uint8_t)t;
        sp->next = (uint8_t)j;
        sh->f[i].span = (uint8_t)++sh->nspan;
    }
}

void em__shape_learn(em_reader *r, const char *p, size_t n)
{
    struct em__shape *sh = r->shape;
    if (!sh) {
        if (!(sh = em_calloc(1, sizeof *sh))) return; /* no shape: the general path */
        r->shape = sh;
    } else if (sh->backoff) {
        sh->backoff--;
        return;
    } else if (sh->nf && sh->misses < EM__SHAPE_RELEARN) {
        return;
    }
    sh->misses = 0;
    if (learn(r, sh, p, n)) {
        sh->nf = 0;
        sh->nspan = 0;
        sh->backoff = EM__SHAPE_BACKOFF;
    } else {
        find_spans(sh);
    }
}
