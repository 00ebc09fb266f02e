/*
 * formats/json.c - the NDJSON reader and the reader handle (value
 * conversions shared with csv.c are in convert.c, the scanning primitives
 * in scan.h/scan.c, the writer in json_write.c).
 *
 * The reader scans one object without building a DOM: each key is looked up
 * in the schema (case-insensitive) and its value is parsed straight into the
 * column type. Unknown keys have their values skipped (but still validated).
 * A key that repeats within a record keeps its first value.
 */
#include "formats/format.h"
#include "formats/scan.h"

#include "core/clock.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCRATCH_MAX ((size_t)1 << 26)
#define MAX_DEPTH   64

/* ---- handles ---- */

int em_reader_create(em_reader **out, const char *format, const em_schema *schema,
                     const char *ts_unit, em_errbuf *err)
{
    em_reader *r = NULL;
    *out = NULL;
    em__fmt_kind kind;
    int64_t mul;
    if (format && (!strcasecmp(format, "influx") || !strcasecmp(format, "line_protocol")))
        return em__lp_reader_create(out, schema, ts_unit, err);
    if (format && strcasecmp(format, "json") == 0)
        kind = EM__FMT_JSON;
    else if (format && strcasecmp(format, "csv") == 0)
        kind = EM__FMT_CSV;
    else
        return em_errf(err, EM_EINVAL, "unknown format \"%s\" (use 'json', 'csv' or 'influx')",
                       format ? format : "(null)");
    if (!ts_unit || strcasecmp(ts_unit, "ms") == 0)
        mul = 1000;
    else if (strcasecmp(ts_unit, "s") == 0)
        mul = EM_USEC_PER_SEC;
    else if (strcasecmp(ts_unit, "us") == 0)
        mul = 1;
    else
        return em_errf(err, EM_EINVAL,
                       "unknown timestamp_unit \"%s\" (use 's', 'ms' or 'us'; 'ns' is for "
                       "format 'influx')",
                       ts_unit);
    r = em_calloc(1, sizeof *r);
    if (!r) return em_errf(err, EM_ENOMEM, "out of memory creating %s reader", format);
    r->kind = kind;
    r->schema = schema;
    r->types = em_malloc((schema->nfields ? schema->nfields : 1) * sizeof *r->types);
    if (!r->types) {
        em_free(r);
        return em_errf(err, EM_ENOMEM, "out of memory creating %s reader", format);
    }
    for (uint32_t i = 0; i < schema->nfields; i++)
        r->types[i] = schema->fields[i].type;
    r->ts_mul = mul;
    em_buf_init(&r->scratch, SCRATCH_MAX);
    *out = r;
    return 0;
}

void em_reader_destroy(em_reader *r)
{
    if (!r) return;
    em_buf_release(&r->scratch);
    em__lp_free(r->lp);
    em__shape_free(r->shape);
    em_free(r->types);
    em_free(r);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- JSON reader ---- */

typedef struct jp {
    const char *p;
    size_t n, i;
    em_errbuf *err;
} jp;

static int jerr(jp *s, const char *what)
{
    return em_errf(s->err, EM_EPARSE, "invalid JSON: %s at byte %zu", what, s->i);
}

static inline void skip_ws(jp *s)
{
    if (s->i < s->n && (unsigned char)s->p[s->i] > ' ')
        return; /* the common case: no whitespace at all */
    while (s->i < s->n && is_space(s->p[s->i]))
        s->i++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the string at s->i (on the opening quote) into out (if not NULL),
 * validating escapes and UTF-8. Leaves s->i after the closing quote. */
static int decode_string(jp *s, em_buf *out)
{
    int rc;
    s->i++;
    for (;;) {
        size_t run = s->i;
        while (s->i < s->n) {
            unsigned char c = (unsigned char)s->p[s->i];
            if (c == '"' || c == '\\' || c < 0x20) break;
            if (c >= 0x80) {
                size_t k = em__utf8_seq((const unsigned char *)s->p + s->i, s->n - s->i);
                if (!k) return jerr(s, "invalid UTF-8 in string");
                s->i += k;
            } else {
                s->i++;
            }
        }
        if (out && s->i > run && (rc = em_buf_append(out, s->p + run, s->i - run)) != 0)
            return em_errf(s->err, rc, "string too long at byte %zu", run);
        if (s->i >= s->n) return jerr(s, "unterminated string");
        char c = s->p[s->i];
        if (c == '"') {
            s->i++;
            return 0;
        }
        if (c != '\\') return jerr(s, "control character in string");
        if (s->i + 1 >= s->n) return jerr(s, "unterminated string");
        char e = s->p[s->i + 1];
        char lit;
        unsigned cp;
        char u8[4];
        size_t ulen;
        switch (e) {
        case '"':
            lit = '"';
            break;
        case '\\':
            lit = '\\';
            break;
        case '/':
            lit = '/';
            break;
        case 'b':
            lit = '\b';
            break;
        case 'f':
            lit = '\f';
            break;
        case 'n':
            lit = '\n';
            break;
        case 'r':
            lit = '\r';
            break;
        case 't':
            lit = '\t';
            break;
        case 'u':
            lit = 0;
            break;
        default:
            return jerr(s, "invalid escape");
        }
        if (e != 'u') {
            if (out && (rc = em_buf_putc(out, lit)) != 0)
                return em_errf(s->err, rc, "string too long at byte %zu", s->i);
            s->i += 2;
            continue;
        }
        if (s->i + 6 > s->n || hex4(s->p + s->i + 2, &cp) != 0)
            return jerr(s, "invalid \\u escape");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return jerr(s, "unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (s->i + 12 > s->n || s->p[s->i + 6] != '\\' || s->p[s->i + 7] != 'u' ||
                hex4(s->p + s->i + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                return jerr(s, "unpaired high surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            s->i += 6;
        }
        s->i += 6;
        if (cp < 0x80) {
            u8[0] = (char)cp;
            ulen = 1;
        } else if (cp < 0x800) {
            u8[0] = (char)(0xC0 | (cp >> 6));
            u8[1] = (char)(0x80 | (cp & 0x3F));
            ulen = 2;
        } else if (cp < 0x10000) {
            u8[0] = (char)(0xE0 | (cp >> 12));
            u8[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u8[2] = (char)(0x80 | (cp & 0x3F));
            ulen = 3;
        } else {
            u8[0] = (char)(0xF0 | (cp >> 18));
            u8[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            u8[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u8[3] = (char)(0x80 | (cp & 0x3F));
            ulen = 4;
        }
        if (out && (rc = em_buf_append(out, u8, ulen)) != 0)
            return em_errf(s->err, rc, "string too long at byte %zu", s->i);
    }
}

/* The common case of a string: printable ASCII without escapes. At the
 * opening quote, returns 1 with *start and *len the contents and s->i after the
 * closing quote; returns 0 (s->i unchanged) when the string needs
 * decode_string (an escape, a control or non-ASCII byte, no closing quote). */
static inline int plain_string(jp *s, size_t *start, size_t *len)
{
    const char *b = s->p + s->i + 1;
    size_t room = s->n - s->i - 1, k = em__scan_plain_short(b, room);
    if (k >= room || b[k] != '"') return 0;
    *start = s->i + 1;
    *len = k;
    s->i += k + 2;
    return 1;
}

static int match_lit(jp *s, const char *lit)
{
    size_t k = strlen(lit);
    if (s->n - s->i < k || memcmp(s->p + s->i, lit, k) != 0) return jerr(s, "unexpected character");
    s->i += k;
    return 0;
}

/* Skips (and validates) any value at s->i. */
static int skip_value(jp *s, int depth)
{
    int rc, is_int;
    if (depth > MAX_DEPTH) return jerr(s, "nesting too deep");
    skip_ws(s);
    if (s->i >= s->n) return jerr(s, "expected a value");
    char c = s->p[s->i];
    size_t ps, pl;
    if (c == '"') return plain_string(s, &ps, &pl) ? 0 : decode_string(s, NULL);
    if (c == 't') return match_lit(s, "true");
    if (c == 'f') return match_lit(s, "false");
    if (c == 'n') return match_lit(s, "null");
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->i++;
        skip_ws(s);
        if (s->i < s->n && s->p[s->i] == close) {
            s->i++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                skip_ws(s);
                if (s->i >= s->n || s->p[s->i] != '"') return jerr(s, "expected a key");
                if ((rc = decode_string(s, NULL)) != 0) return rc;
                skip_ws(s);
                if (s->i >= s->n || s->p[s->i] != ':') return jerr(s, "expected ':'");
                s->i++;
            }
            if ((rc = skip_value(s, depth + 1)) != 0) return rc;
            skip_ws(s);
            if (s->i < s->n && s->p[s->i] == ',') {
                s->i++;
                continue;
            }
            if (s->i < s->n && s->p[s->i] == close) {
                s->i++;
                return 0;
            }
            return jerr(s, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    size_t k = em__fmt_scan_number(s->p + s->i, s->n - s->i, &is_int);
    if (!k) return jerr(s, "unexpected character");
    s->i += k;
    return 0;
}

/* Parses the value at s->i into column col. */
static int parse_value(em_reader *r, jp *s, em_batch_builder *bb, uint32_t col, em_type t)
{
    int rc, is_int;
    size_t pos = s->i;
    char c = s->i < s->n ? s->p[s->i] : 0;
    size_t ps, pl;
    if (t != EM_TYPE_TEXT && t != EM_TYPE_BOOLEAN && c != '"') { /* a plain number, one pass */
        em__number sc;
        double dv;
        int64_t iv;
        size_t k = em__scan_number(s->p + s->i, s->n - s->i, &sc);
        if (k && t == EM_TYPE_TIMESTAMP && em__number_i64(&sc, &iv) == 0 &&
            !__builtin_mul_overflow(iv, r->ts_mul, &iv)) {
            s->i += k;
            em_batch_builder_set_i64(bb, col, iv);
            return 0;
        }
        if (k && t == EM_TYPE_DOUBLE && em__number_f64(&sc, &dv) == 0) {
            s->i += k;
            em_batch_builder_set_f64(bb, col, dv);
            return 0;
        }
        if (k && t == EM_TYPE_BIGINT && em__number_i64(&sc, &iv) == 0) {
            s->i += k;
            em_batch_builder_set_i64(bb, col, iv);
            return 0;
        }
    }
    if (c == '"' && plain_string(s, &ps, &pl)) {
        if (t == EM_TYPE_TEXT) return em_batch_builder_set_text(bb, col, s->p + ps, pl);
        int64_t us;
        if (t == EM_TYPE_TIMESTAMP && em__fmt_iso_ts(r, s->p + ps, pl, &us) == 0) {
            em_batch_builder_set_i64(bb, col, us);
            return 0;
        }
        return em__fmt_set_text(r, bb, col, s->p + ps, pl, pos, s->err);
    }
    if (c == '"') {
        em_buf_reset(&r->scratch);
        if ((rc = decode_string(s, &r->scratch)) != 0) return rc;
        return em__fmt_set_text(r, bb, col, r->scratch.ptr ? r->scratch.ptr : "", r->scratch.len,
                                pos, s->err);
    }
    if (c == 'n') {
        if ((rc = match_lit(s, "null")) != 0) return rc;
        return em_batch_builder_set_null(bb, col);
    }
    if (c == 't' || c == 'f') {
        int v = c == 't';
        if ((rc = match_lit(s, v ? "true" : "false")) != 0) return rc;
        if (t == EM_TYPE_BOOLEAN) {
            em_batch_builder_set_bool(bb, col, v);
            return 0;
        }
        if (t == EM_TYPE_TEXT) return em_batch_builder_set_text(bb, col, s->p + pos, s->i - pos);
        return em__fmt_bad_type(r, col, "boolean", pos, s->err);
    }
    if (c == '{' || c == '[') {
        if ((rc = skip_value(s, 1)) != 0) return rc;
        return em__fmt_bad_type(r, col, c == '{' ? "object" : "array", pos, s->err);
    }
    size_t k = em__fmt_scan_number(s->p + s->i, s->n - s->i, &is_int);
    if (!k) return jerr(s, c ? "unexpected character" : "expected a value");
    s->i += k;
    return em__fmt_set_number(r, bb, col, s->p + pos, k, is_int, pos, s->err);
}

/* Builds the slot's "name": token and mask (keys of up to 13 bytes). */
static void key_token(em__key_slot *slot)
{
    unsigned char t[16] = {0}, m[16] = {0};
    slot->toklen = 0;
    if (slot->len + 3u > sizeof t) return;
    t[0] = '"';
    memcpy(t + 1, slot->name, slot->len);
    t[slot->len + 1] = '"';
    t[slot->len + 2] = ':';
    memset(m, 0xff, slot->len + 3u);
    for (int w = 0; w < 2; w++) {
        slot->tok[w] = slot->mask[w] = 0;
        for (int b = 7; b >= 0; b--) { /* little-endian, whatever the host */
            slot->tok[w] = slot->tok[w] << 8 | t[w * 8 + b];
            slot->mask[w] = slot->mask[w] << 8 | m[w * 8 + b];
        }
    }
    slot->toklen = (uint8_t)(slot->len + 3);
}


/* Parses the key at s->i (the k-th of the record) and returns its column
 * (-1 if not in the schema); *rc gets a parse error. */
static int key_column(em_reader *r, jp *s, uint32_t k, int *rc)
{
    size_t ks, kl;
    *rc = 0;
    if (k < EM__KEY_SLOTS) { /* the key this slot saw last time, compared in place */
        const em__key_slot *slot = &r->keys[k];
        size_t at = s->i + 1 + slot->len;
        if (slot->len && at < s->n && s->p[at] == '"' &&
            em__fmt_same_bytes(s->p + s->i + 1, slot->name, slot->len)) {
            s->i = at + 1;
            return slot->col;
        }
    }
    if (plain_string(s, &ks, &kl)) {
        em__key_slot *slot = k < EM__KEY_SLOTS ? &r->keys[k] : NULL;
        if (slot && slot->len && slot->len == kl && memcmp(slot->name, s->p + ks, kl) == 0)
            return slot->col;
        int col = em_schema_find(r->schema, s->p + ks, kl);
        if (slot && kl > 0 && kl <= EM__KEY_MAX) {
            memcpy(slot->name, s->p + ks, kl);
            slot->len = (uint8_t)kl;
            slot->col = col;
            key_token(slot);
        }
        return col;
    }
    em_buf_reset(&r->scratch);
    if ((*rc = decode_string(s, &r->scratch)) != 0) return -1;
    return em_schema_find(r->schema, r->scratch.ptr ? r->scratch.ptr : "", r->scratch.len);
}

static int json_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err)
{
    jp s = {p, n, 0, err};
    int rc = 0;
    /* loop invariants the compiler cannot hoist past the builder's stores */
    const uint32_t *set_row = bb->set_row, tag = bb->b->nrows + 1;
    const em_type *types = r->types;
    skip_ws(&s);
    if (s.i >= n || p[s.i] != '{')
        return jerr(&s, "expected '{' (each line must be one JSON object)");
    s.i++;
    skip_ws(&s);
    if (s.i < n && p[s.i] == '}') {
        s.i++;
    } else {
        for (uint32_t k = 0;; k++) {
            int col;
            const em__key_slot *sl = k < EM__KEY_SLOTS ? &r->keys[k] : NULL;
            if (sl && sl->toklen && n - s.i >= 16 &&
                (((em__load_le64(p + s.i) ^ sl->tok[0]) & sl->mask[0]) |
                 ((em__load_le64(p + s.i + 8) ^ sl->tok[1]) & sl->mask[1])) == 0) {
                /* the key this slot saw last time, with its ':' */
                col = sl->col;
                s.i += sl->toklen;
                rc = 0;
            } else {
                skip_ws(&s);
                if (s.i >= n || p[s.i] != '"') return jerr(&s, "expected a key");
                col = key_column(r, &s, k, &rc);
                if (rc) return rc;
                skip_ws(&s);
                if (s.i >= n || p[s.i] != ':') return jerr(&s, "expected ':'");
                s.i++;
            }
            skip_ws(&s);
            /* unknown key, or a repeat (first value wins): skip the value;
             * a plain number (the usual case) without a call */
            if (col < 0 || set_row[col] == tag) {
                size_t len = em__skip_number(p + s.i, n - s.i), ps, pl;
                if (len)
                    s.i += len;
                else if (s.i < n && p[s.i] == '"' && plain_string(&s, &ps, &pl))
                    ; /* a plain string, skipped */
                else
                    rc = skip_value(&s, 1);
            } else
                rc = parse_value(r, &s, bb, (uint32_t)col, types[col]);
            if (rc) return rc;
            if (s.i < n && p[s.i] == ',') { /* no blank before it: the usual case */
                s.i++;
                continue;
            }
            skip_ws(&s);
            if (s.i < n && p[s.i] == ',') {
                s.i++;
                continue;
            }
            if (s.i < n && p[s.i] == '}') {
                s.i++;
                break;
            }
            return jerr(&s, "expected ',' or '}'");
        }
    }
    skip_ws(&s);
    if (s.i < n) return jerr(&s, "trailing characters after the object");
    return 0;
}

/* em_reader_parse; try_shape 0 when the caller has just tried the record's
 * shape (em_reader_parse_lines). */
static int parse_one(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err,
                     int try_shape)
{
    size_t i = 0;
    int rc;
    em_errbuf_clear(err);
    if (n && p[0] == '{' && try_shape && r->shape && r->shape->nf &&
        !em_batch_builder_full(bb)) { /* the usual record: no blank to skip */
        if (em__shape_parse(r, p, n, bb) == n) {
            r->shape->misses = 0;
            rc = em_batch_builder_end_row(bb);
            goto out;
        }
        em_batch_builder_abort_row(bb);
        r->shape->misses++;
    }
    while (i < n && is_space(p[i]))
        i++;
    if (i == n) return EM_EOF;
    if (em_batch_builder_full(bb))
        return em_errf(err, EM_ELIMIT, "batch is full (%u rows)", bb->cap);
    if (r->kind == EM__FMT_CSV) {
        rc = em__csv_parse(r, p, n, bb, err);
    } else if (r->kind == EM__FMT_INFLUX) {
        rc = em__lp_parse(r, p, n, bb, err);
    } else {
        rc = json_parse(r, p, n, bb, err);
        const struct em__shape *sh = r->shape;
        if (rc == 0 && (!sh || !sh->nf || sh->backoff || sh->misses >= EM__SHAPE_RELEARN))
            em__shape_learn(r, p, n);
    }
    if (rc == 0) rc = em_batch_builder_end_row(bb);
out:
    if (rc && rc != EM_EOF) {
        if (err && !err->msg[0]) em_errf(err, rc, "%s", em_strerror(rc));
        em_batch_builder_abort_row(bb);
    }
    return rc;
}

int em_reader_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err)
{
    return parse_one(r, p, n, bb, err, 1);
}

int em_reader_parse_lines(em_reader *r, const char *p, size_t n, uint32_t max_rows, size_t max_line,
                          em_batch_builder *bb, em_reader_lines *res)
{
    em_errbuf err;
    size_t i = 0;
    int stop = 0;
    uint32_t rows = 0, lines = 0;
    uint64_t bytes = 0;
    size_t pf = 0; /* the lines before p + pf have been prefetched */
    while (i < n && rows < max_rows) {
        const char *l = p + i;
        size_t room = n - i;
        int tried = 0;
        struct em__shape *sh = r->kind == EM__FMT_JSON ? r->shape : NULL;
        if (sh && sh->nf) { /* records shaped like the last: their ends come from parsing */
            uint32_t before = rows;
            int miss = 0;
            while (i < n && rows < max_rows) {
                /* every cache line 4 KiB ahead (not one line a record: ysb's
                 * records are four lines, and the loads waited for the
                 * others): 8-17% on ysb, sensor unchanged */
                for (; pf < i + 4096 && pf < n; pf += 64)
                    __builtin_prefetch(p + pf);
                size_t e = em__shape_parse(r, l, room, bb);
                size_t end = e && e < room && l[e] == '\r' ? e + 1 : e; /* CRLF */
                if (!e || end >= room || l[end] != '\n' || e > max_line ||
                    em_batch_builder_end_row(bb) != 0) {
                    miss = 1;
                    break;
                }
                rows++;
                bytes += e;
                i += end + 1;
                l = p + i;
                room = n - i;
            }
            lines += rows - before;
            if (!miss) {
                sh->misses = 0;
                continue;
            }
            em_batch_builder_abort_row(bb);
            sh->misses = rows > before ? 1 : sh->misses + 1;
            tried = 1;
        }
        const char *nl = memchr(l, '\n', room);
        if (!nl) break;
        size_t m = (size_t)(nl - l), len = m && l[m - 1] == '\r' ? m - 1 : m;
        if (len > max_line) {
            stop = 1;
            break;
        }
        int rc = parse_one(r, l, len, bb, &err, !tried);
        if (rc == 0) {
            rows++;
        } else if (rc != EM_EOF) {
            stop = 1;
            break;
        }
        lines++;
        bytes += len;
        i += m + 1;
    }
    res->rows = rows;
    res->lines = lines;
    res->bytes = bytes;
    res->used = i;
    return stop;
}
