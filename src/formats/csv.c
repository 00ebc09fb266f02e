/*
 * formats/csv.c - RFC 4180 CSV reader and writer.
 *
 * The reader maps fields to columns by position in schema order. A line
 * whose fields equal the schema's names (case-insensitively) is a header
 * and is skipped. Quoted fields use "" for a quote; an empty unquoted field
 * is NULL while "" is an empty string. Limitation: input arrives one line
 * at a time, so a quoted field cannot span lines (it is reported as an
 * unterminated quote). More fields than columns is a bad record; fewer
 * leaves the remaining columns NULL.
 */
#include "formats/format.h"

#include "core/clock.h"
#include "ember/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One field of a line: the raw span (between quotes if quoted). */
typedef struct csv_field {
    size_t start, end; /* raw span in the line, quotes excluded */
    int quoted;
    int has_escape; /* contains "" that needs unescaping */
} csv_field;

/* Scans the field starting at *i; leaves *i on the ',' or at n. */
static int scan_field(const char *p, size_t n, size_t *i, csv_field *f, em_errbuf *err)
{
    size_t j = *i;
    memset(f, 0, sizeof *f);
    if (j < n && p[j] == '"') {
        size_t open = j;
        f->quoted = 1;
        f->start = ++j;
        for (;;) {
            if (j >= n)
                return em_errf(err, EM_EPARSE,
                               "invalid CSV: unterminated quoted field starting at byte %zu "
                               "(quoted fields cannot contain newlines)",
                               open);
            if (p[j] == '"') {
                if (j + 1 < n && p[j + 1] == '"') {
                    f->has_escape = 1;
                    j += 2;
                    continue;
                }
                break;
            }
            j++;
        }
        f->end = j++;
        if (j < n && p[j] != ',')
            return em_errf(err, EM_EPARSE,
                           "invalid CSV: unexpected character after closing quote at byte %zu", j);
    } else {
        f->start = j;
        while (j < n && p[j] != ',')
            j++;
        f->end = j;
    }
    *i = j;
    return 0;
}

/* True when every field of the line equals the schema name at its position. */
static int is_header(const em_schema *s, const char *p, size_t n)
{
    size_t i = 0;
    uint32_t k = 0;
    csv_field f;
    for (;;) {
        if (k >= s->nfields || scan_field(p, n, &i, &f, NULL) != 0 || f.has_escape) return 0;
        em_slice v = em_slice_trim(em_slice_of(p + f.start, f.end - f.start));
        if (!em_slice_eq_cstr_ci(v, s->fields[k].name)) return 0;
        k++;
        if (i >= n) break;
        i++;
    }
    return k == s->nfields;
}

int em__csv_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err)
{
    size_t i = 0;
    uint32_t col = 0;
    csv_field f;
    int rc;
    if (n && p[n - 1] == '\r') n--;
    if (is_header(r->schema, p, n)) return EM_EOF;
    for (;;) {
        size_t pos = i;
        if ((rc = scan_field(p, n, &i, &f, err)) != 0) return rc;
        if (col >= r->schema->nfields)
            return em_errf(err, EM_EPARSE,
                           "invalid CSV: more fields than the %u columns of the schema at byte %zu",
                           r->schema->nfields, pos);
        const char *v = p + f.start;
        size_t vlen = f.end - f.start;
        if (f.has_escape) {
            em_buf_reset(&r->scratch);
            for (size_t k = f.start; k < f.end; k++) {
                if ((rc = em_buf_putc(&r->scratch, p[k])) != 0) return rc;
                if (p[k] == '"') k++; /* "" -> " */
            }
            v = r->scratch.ptr;
            vlen = r->scratch.len;
        }
        if (!f.quoted && vlen == 0) {
            rc = em_batch_builder_set_null(bb, col);
        } else {
            for (size_t k = 0; k < vlen;) {
                uint64_t w8;
                if (vlen - k >= 8 && (memcpy(&w8, v + k, 8), !(w8 & UINT64_C(0x8080808080808080)))) {
                    k += 8; /* eight ASCII bytes */
                    continue;
                }
                if ((unsigned char)v[k] < 0x80) {
                    k++;
                    continue;
                }
                size_t q = em__utf8_seq((const unsigned char *)v + k, vlen - k);
                if (!q)
                    return em_errf(err, EM_EPARSE, "column %u (\"%s\"): invalid UTF-8 at byte %zu",
                                   col + 1, r->schema->fields[col].name, f.start + k);
                k += q;
            }
            rc = em__fmt_set_text(r, bb, col, v, vlen, f.start, err);
        }
        if (rc) return rc;
        col++;
        if (i >= n) break;
        i++; /* the ',' */
    }
    return 0;
}

/* Appends one CSV field, quoting it when it holds , " CR or LF (or is
 * empty but not NULL, so it reads back as an empty string). */
static int put_field(em_buf *out, const char *s, size_t n)
{
    int rc;
    if (n && !memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n))
        return em_buf_append(out, s, n);
    rc = em_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (s[i] != '"') continue;
        rc = em_buf_append(out, s + run, i + 1 - run); /* through the quote */
        if (!rc) rc = em_buf_putc(out, '"');
        run = i + 1;
    }
    if (!rc && n > run) rc = em_buf_append(out, s + run, n - run);
    if (!rc) rc = em_buf_putc(out, '"');
    return rc;
}

static int put_value(em_buf *out, const em_column *c, uint32_t row)
{
    char tmp[40];
    size_t len;
    if (em_column_is_null(c, row)) return 0;
    switch (c->type) {
    case EM_TYPE_BOOLEAN:
        return em_buf_puts(out, c->v.b[row] ? "true" : "false");
    case EM_TYPE_BIGINT:
    case EM_TYPE_INTERVAL:
        return em_buf_printf(out, "%lld", (long long)c->v.i64[row]);
    case EM_TYPE_DOUBLE:
        len = em__fmt_double(c->v.f64[row], tmp);
        return len ? em_buf_append(out, tmp, len) : 0;
    case EM_TYPE_TIMESTAMP:
        len = em_ts_format(c->v.i64[row], tmp);
        return em_buf_append(out, tmp, len);
    case EM_TYPE_TEXT: {
        em_slice t = em_column_text(c, row);
        return put_field(out, t.ptr, t.len);
    }
    default:
        return 0;
    }
}

int em__csv_write(em_writer *w, const em_batch *b, em_buf *out)
{
    int rc = 0;
    uint32_t nf = w->schema->nfields;
    uint32_t n = em_batch_count(b);
    if (!w->wrote_header && n > 0) {
        for (uint32_t k = 0; k < nf && !rc; k++) {
            const char *name = w->schema->fields[k].name;
            if (k) rc = em_buf_putc(out, ',');
            if (!rc) rc = put_field(out, name, strlen(name));
        }
        if (!rc) rc = em_buf_putc(out, '\n');
        if (rc) return rc;
        w->wrote_header = 1;
    }
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t row = em_batch_row(b, i);
        for (uint32_t k = 0; k < nf && !rc; k++) {
            if (k) rc = em_buf_putc(out, ',');
            if (!rc) rc = put_value(out, &b->cols[k], row);
        }
        if (!rc) rc = em_buf_putc(out, '\n');
    }
    return rc;
}
