/*
 * formats/format.h - record formats (NDJSON, CSV, InfluxDB line protocol)
 * for sources and sinks (line protocol: readers only, see lineproto.c).
 *
 * A reader turns one record (one line, without its newline) into one row of
 * a batch builder, guided by the schema: values are parsed straight into the
 * column types, no DOM is built. A writer turns the selected rows of a batch
 * into lines. Readers and writers are heap handles owned by the caller; they
 * keep a scratch buffer so nothing allocates per record once it has grown.
 *
 * Conversions (both formats): BIGINT takes integer numbers (or integral ones
 * like 5.0), DOUBLE takes numbers, BOOLEAN true/false, TEXT strings (a JSON
 * number or boolean keeps its literal text), TIMESTAMP an ISO-8601 string or
 * a number in the reader's ts_unit. Anything else is a bad record (EM_EPARSE)
 * whose message names the field/column and the 0-based byte offset of the
 * offending value within the record.
 */
#ifndef EMBER_FORMATS_FORMAT_H
#define EMBER_FORMATS_FORMAT_H

#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/str.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct em_reader em_reader; /* opaque */

/* Creates a reader for format "json" (NDJSON, one object per record),
 * "csv" (RFC 4180 by position in schema order) or "influx" (alias
 * "line_protocol": InfluxDB line protocol). ts_unit is the unit of numeric
 * timestamps: "ms" (default when NULL), "s" or "us"; for "influx" also
 * "ns", its default when NULL. The schema is
 * borrowed and must outlive the reader. Returns 0 and *out (free with
 * em_reader_destroy), EM_EINVAL for an unknown format/unit (message in err),
 * or EM_ENOMEM. */
int em_reader_create(em_reader **out, const char *format, const em_schema *schema,
                     const char *ts_unit, em_errbuf *err);

/* Parses one record p[0..n) (one NDJSON line / one CSV line without the
 * newline; a trailing '\r' is ignored) into the current row of bb and ends
 * the row. p is borrowed for the call only; TEXT values are copied into the
 * builder. Returns 0 on success; EM_EOF for an empty/whitespace-only line or
 * a CSV header line (skip it, nothing added); EM_EPARSE for a bad record, with
 * the reason (field/column and byte offset) in err and the row aborted so
 * bb is unchanged; EM_ELIMIT when bb is full or a value exceeds limits;
 * EM_ENOMEM. CSV limitation: a quoted field cannot contain a newline, since
 * input arrives one line at a time (such a record is reported as an
 * unterminated quote). */
int em_reader_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err);

/* What em_reader_parse_lines consumed. */
typedef struct em_reader_lines {
    size_t used;    /* bytes, line ends included */
    uint64_t bytes; /* bytes of those lines without their line ends */
    uint32_t lines; /* lines (blank ones and CSV headers included) */
    uint32_t rows;  /* rows added to the builder */
} em_reader_lines;

/* Parses the complete lines ('\n'-terminated; a '\r' before it is
 * ignored) at the start of p[0..n) into bb, each as em_reader_parse would,
 * until max_rows rows were added (the caller makes sure bb has room for
 * them) or only a partial line is left. Returns 0 then, or 1 when it
 * stopped before a line that is not a clean record (a bad record, or one
 * longer than max_line bytes): that line is the caller's, to report (with
 * em_reader_parse, which produces the message). *res says what was
 * consumed either way. The NDJSON reader finds most records' ends while
 * parsing them (see json_shape.c), so it reads a block of lines in one
 * pass instead of searching each newline first. */
int em_reader_parse_lines(em_reader *r, const char *p, size_t n, uint32_t max_rows, size_t max_line,
                          em_batch_builder *bb, em_reader_lines *res);

/* Frees the reader (NULL-safe). */
void em_reader_destroy(em_reader *r);

typedef struct em_writer em_writer; /* opaque */

/* Creates a writer for format "json" or "csv". The schema is borrowed and
 * must outlive the writer; it names the JSON keys and the CSV header.
 * Returns 0 and *out (free with em_writer_destroy), EM_EINVAL for an unknown
 * format (message in err), or EM_ENOMEM. */
int em_writer_create(em_writer **out, const char *format, const em_schema *schema, em_errbuf *err);

/* Appends the selected rows of b, one line each ending in '\n', to out. The
 * CSV writer writes a header line before its first row ever. JSON: one
 * object per row, TIMESTAMP as ISO-8601 UTC with ms, DOUBLE in the shortest
 * form that round-trips (NaN/Inf as null), NULL as null. CSV: NULL as an
 * empty field, an empty TEXT as "", fields with , " CR or LF quoted.
 * Returns 0, or EM_ENOMEM/EM_ELIMIT from out (out may then hold a partial
 * line; reset it to out's length before the call to discard it). */
int em_writer_write(em_writer *w, const em_batch *b, em_buf *out);

/* Tells the writer its output continues a file that already has rows (a
 * sink resuming after a restart): the CSV writer writes no header then. */
void em_writer_continue(em_writer *w);

/* Frees the writer (NULL-safe). */
void em_writer_destroy(em_writer *w);

/* ---- internal, shared by json.c and csv.c ---- */

typedef enum em__fmt_kind { EM__FMT_JSON = 1, EM__FMT_CSV, EM__FMT_INFLUX } em__fmt_kind;

/* The JSON reader remembers, for the k-th key of a record, the key it saw
 * there last and its column: NDJSON producers write keys in a fixed order,
 * so most keys resolve with one memcmp instead of a schema search. */
#define EM__KEY_SLOTS 32
#define EM__KEY_MAX 31

typedef struct em__key_slot {
    uint8_t len;             /* 0: empty slot */
    uint8_t toklen;          /* length of "name": (len + 3), 0 when over 16 */
    char name[EM__KEY_MAX];  /* the key's bytes, as written */
    int col;                 /* its column, or -1 (not in the schema) */
    uint64_t tok[2], mask[2]; /* "name": as two little-endian words and the
                               * mask of its bytes: one compare per key */
} em__key_slot;

/* json_shape.c: the fast path for records shaped like the one before (see
 * there). em__shape_parse reads p[0, n) against r->shape (nf > 0): it
 * returns the length of the record it matched (set into bb's current row),
 * or 0 (bb's row may hold some values: abort it). em__shape_learn is told
 * each record the general parser accepted and learns its shape when there
 * is none or the last one stopped matching. */
#define EM__SHAPE_FIELDS 32
#define EM__SHAPE_LIT 32
#define EM__SHAPE_RELEARN 16 /* misses in a row before the shape is learnt again */

typedef struct em__shape_field {
    _Alignas(16) char lit[EM__SHAPE_LIT]; /* the bytes before the value, zero-padded */
    uint32_t need;           /* the literal's first 16 bytes as a compare mask */
    uint32_t need32;         /* the whole literal (at most 32 bytes) as one */
    uint8_t litlen;
    uint8_t kind;            /* what the value is and becomes */
    uint16_t guess;          /* the last length of a skipped string (16-48: tried first) */
    uint32_t col;
    uint8_t span;            /* 1 + the span starting at this field, or 0 */
} em__shape_field;

/* A run of two or more skipped fields and the literal after it, checked in
 * one pass (json_span.c) where the CPU has AVX-512 VBMI2. */
#define EM__SPAN_TMPL 64
#define EM__SHAPE_SPANS 8
typedef struct em__shape_span {
    char tmpl[2 * EM__SPAN_TMPL]; /* the span without its values, zero-padded */
    uint8_t tlen;   /* bytes of tmpl (at most EM__SPAN_TMPL) */
    uint8_t nnum;   /* numbers among its values */
    uint8_t strs;   /* 1 when some of its values are strings */
    uint8_t quote1; /* 1: it starts with the closing quote of the value before */
    uint8_t next;   /* the field whose literal ends it, or nf: the record's end */
    uint8_t nq;     /* quotes in tmpl */
    uint8_t after;  /* bytes of tmpl after its last quote, or 0 for ":}" (a number between) */
    uint32_t fails; /* records in a row it did not match */
} em__shape_span;

struct em__shape {
    uint32_t nf;        /* fields; 0 = no shape learnt */
    uint32_t misses;    /* records in a row that did not match */
    uint32_t backoff;   /* records to wait before learning again */
    uint8_t taillen;    /* the bytes after the last value: '}' or '"}' */
    char tail[2];
    uint32_t nspan;
    uint8_t wide;       /* 1: read by em__shape_parse_avx512 (em__scan_level() 3) */
    em__shape_field f[EM__SHAPE_FIELDS];
    em__shape_span span[EM__SHAPE_SPANS];
};

struct em_reader {
    em__fmt_kind kind;
    const em_schema *schema;
    em_type *types;  /* the schema's column types, in one array */
    int64_t ts_mul; /* microseconds per numeric timestamp unit */
    em_buf scratch; /* decoded strings / unquoted fields */
    em__key_slot keys[EM__KEY_SLOTS];
    char ts_date[10];  /* the last ISO date parsed ("2024-05-01") ... */
    int64_t ts_days;   /* ... and its day number */
    int ts_date_ok;
    uint64_t ts_min[2]; /* the last "YYYY-MM-DDTHH:MM" parsed (16 bytes) ... */
    int64_t ts_min_us;  /* ... and its time */
    int ts_min_ok;
    struct em__lp *lp; /* influx: its own state (lineproto.c) */
    struct em__shape *shape; /* json: the learnt record shape, or NULL */
};

struct em_writer {
    em__fmt_kind kind;
    const em_schema *schema;
    int wrote_header;
    char *keys;        /* JSON: the text before each field's value (built once) */
    uint32_t *key_off; /* nfields + 1 offsets into keys */
    struct em__ts_text *ts_last; /* JSON: per field, the last TIMESTAMP formatted */
};

/* a[0..n) == b[0..n), inline: keys are short, and a libc call per key
 * costs more than the comparison. */
static inline int em__fmt_same_bytes(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) { /* 8 at a time, the last 8 overlapping */
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) { /* first 4 and last 4, overlapping */
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v) return 0;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    while (n--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
size_t em__utf8_seq(const unsigned char *s, size_t n);

/* Stores a text value (a JSON string, or a CSV field) into column col,
 * converting to the column type. pos is the value's byte offset, for
 * messages. Returns 0, EM_EPARSE (message in err), or EM_ENOMEM/EM_ELIMIT. */
int em__fmt_set_text(em_reader *r, em_batch_builder *bb, uint32_t col, const char *s, size_t n,
                     size_t pos, em_errbuf *err);

/* convert.c, for json.c: a number token's length (0 if none; *is_int when
 * it has no fraction or exponent); storing a validated token into col;
 * the "expected TYPE, got WHAT" bad record; an ISO timestamp of the usual
 * shape "YYYY-MM-DDTHH:MM:SS[.f]Z" (0 and *us, or -1: em_ts_parse decides). */
size_t em__fmt_scan_number(const char *p, size_t n, int *is_int);
int em__fmt_set_number(em_reader *r, em_batch_builder *bb, uint32_t col, const char *p, size_t n,
                       int is_int, size_t pos, em_errbuf *err);
int em__fmt_bad_type(em_reader *r, uint32_t col, const char *got, size_t pos, em_errbuf *err);
int em__fmt_iso_ts(em_reader *r, const char *p, size_t n, int64_t *us);

/* 10^0 .. 10^22, the powers of ten exact as doubles. */
extern const double em__pow10_exact[23];

/* Formats a double in the shortest %.15g/%.16g/%.17g form that reads back
 * exactly; out needs 32 bytes. Returns the length, 0 for NaN/Inf. */
size_t em__fmt_double(double v, char *out);

size_t em__shape_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb);
void em__shape_learn(em_reader *r, const char *p, size_t n);
void em__shape_free(struct em__shape *sh);

/* json_span.c: the length of the span sp at p (room bytes readable; p is
 * past the closing quote it starts with when sp->quote1) through its
 * closing literal, or 0 when it does not match. Only where
 * em__scan_level() is 3. */
size_t em__span_match(const em__shape_span *sp, const char *p, size_t room);

int em__csv_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err);

/* lineproto.c: the influx reader's create (ts_unit NULL = "ns"), parse and
 * the release of its state. */
int em__lp_reader_create(em_reader **out, const em_schema *schema, const char *ts_unit,
                         em_errbuf *err);
int em__lp_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err);
void em__lp_free(struct em__lp *l);
/* For an influx reader: 1 if the last line it parsed had a timestamp, 0 if
 * not (*unit_ns: nanoseconds per unit of its timestamps); -1 for a reader
 * of another format. HTTP ingest stamps such lines with their arrival. */
int em__lp_had_timestamp(const em_reader *r, int64_t *unit_ns);
int em__csv_write(em_writer *w, const em_batch *b, em_buf *out);

#endif
