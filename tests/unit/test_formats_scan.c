/*
 * Unit tests for the readers' fast paths (src/formats/scan.c, scan.h and
 * their use in json.c): the string scanner in every width this CPU has
 * (SWAR, SSE2, AVX2) against a byte-by-byte reference for stoppers at every
 * offset across 16/32/64-byte boundaries, with no read past the end of a
 * mapping; one-pass numbers against strtod/strtoll (bit for bit, including
 * the shapes that must fall back); escapes, UTF-8 and invalid bytes at
 * every offset of a value through the real reader; records that end at the
 * end of a mapping, and all their prefixes.
 */
#include "batch/batch.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"
#include "formats/scan.h"
#include "t.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A readable region whose last byte is followed by an inaccessible page:
 * reading past its end crashes the test. */
typedef struct guarded {
    char *base;
    size_t page;
} guarded;

static void guarded_init(guarded *g)
{
    g->page = (size_t)sysconf(_SC_PAGESIZE);
    g->base = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(g->base != MAP_FAILED);
    CHECK_EQ_INT(mprotect(g->base + g->page, g->page, PROT_NONE), 0);
}

/* Copies p[0..n) so that it ends exactly at the guard page. */
static char *guarded_put(guarded *g, const void *p, size_t n)
{
    char *at = g->base + g->page - n;
    memcpy(at, p, n);
    return at;
}

static void guarded_release(guarded *g)
{
    munmap(g->base, 2 * g->page);
}

static size_t ref_plain(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '"' && p[i] != '\\' && (unsigned char)p[i] >= 0x20 &&
           (unsigned char)p[i] < 0x80)
        i++;
    return i;
}

TEST(scan_plain_every_width_every_offset)
{
    static const unsigned char stop[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xc3, 0xff};
    guarded g;
    guarded_init(&g);
    char buf[160];
    for (int lv = 0; lv <= 2; lv++) {
        int bad = 0;
        for (size_t n = 0; n <= 130; n++) {
            for (size_t i = 0; i < n; i++)
                buf[i] = (char)('a' + (i * 7) % 26);
            /* no stopper: the whole run, read up to the guard page */
            const char *at = guarded_put(&g, buf, n);
            bad += em__scan_plain_with(lv, at, n) != n;
            for (size_t k = 0; k < n; k++) {
                for (size_t s = 0; s < sizeof stop; s++) {
                    char save = buf[k];
                    buf[k] = (char)stop[s];
                    if (stop[s] == 0x7f) { /* DEL is plain: the run goes on */
                        bad += em__scan_plain_with(lv, buf, n) != ref_plain(buf, n);
                    } else {
                        at = guarded_put(&g, buf, n);
                        bad += em__scan_plain_with(lv, at, n) != k;
                        bad += em__scan_plain_with(lv, buf, n) != k;
                    }
                    buf[k] = save;
                }
            }
        }
        CHECK_EQ_INT(bad, 0);
    }
    CHECK(em__scan_level() >= 0 && em__scan_level() <= 3);
    guarded_release(&g);
}

/* ---- through the reader ---- */

typedef struct fx {
    em_schema *s;
    em_reader *r;
    em_arena a;
    em_batch_builder bb;
    em_errbuf err;
} fx;

/* Schema: d DOUBLE, i BIGINT, t TEXT, ts TIMESTAMP. */
static void fx_init(fx *f)
{
    static const char *const names[] = {"d", "i", "t", "ts"};
    static const em_type types[] = {EM_TYPE_DOUBLE, EM_TYPE_BIGINT, EM_TYPE_TEXT,
                                    EM_TYPE_TIMESTAMP};
    memset(f, 0, sizeof *f);
    f->s = em_schema_create(4, names, types);
    em_arena_init(&f->a, 0);
    CHECK_EQ_INT(em_reader_create(&f->r, "json", f->s, NULL, &f->err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&f->bb, f->s, 4096, &f->a), 0);
}

static void fx_release(fx *f)
{
    em_reader_destroy(f->r);
    em_arena_release(&f->a);
    em_schema_destroy(f->s);
}

static int parse(fx *f, const char *line, size_t n)
{
    if (em_batch_builder_full(&f->bb)) {
        em_arena_reset(&f->a);
        CHECK_EQ_INT(em_batch_builder_init(&f->bb, f->s, 4096, &f->a), 0);
    }
    return em_reader_parse(f->r, line, n, &f->bb, &f->err);
}

static uint32_t last(const fx *f)
{
    return f->bb.b->nrows - 1;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random number token: sign, 1-22 integer digits (or "0"), an optional
 * fraction of 1-26 digits, sometimes an exponent. */
static size_t random_number(uint64_t *s, char *out)
{
    size_t n = 0;
    if (rng(s) % 3 == 0)
        out[n++] = '-';
    unsigned idig = 1 + (unsigned)(rng(s) % (rng(s) % 4 == 0 ? 22 : 6));
    if (rng(s) % 5 == 0)
        out[n++] = '0';
    else
        for (unsigned k = 0; k < idig; k++)
            out[n++] = (char)((k == 0 ? '1' : '0') + rng(s) % (k == 0 ? 9 : 10));
    if (rng(s) % 4 != 0) {
        unsigned fdig = 1 + (unsigned)(rng(s) % (rng(s) % 4 == 0 ? 26 : 4));
        out[n++] = '.';
        for (unsigned k = 0; k < fdig; k++)
            out[n++] = (char)('0' + rng(s) % 10);
    }
    if (rng(s) % 10 == 0)
        n += (size_t)sprintf(out + n, "e%d", (int)(rng(s) % 40) - 20);
    out[n] = 0;
    return n;
}

TEST(numbers_match_strtod_bit_for_bit)
{
    fx f;
    fx_init(&f);
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int bad = 0;
    static const char *const fixed[] = {
        "0", "-0", "0.0", "-0.0", "1", "14.4", "242.1", "9007199254740992", "9007199254740993",
        "0.1", "0.30000000000000004", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "0.0000000000000000000001", "0.00000000000000000000001",
        "1.7976931348623157", "4.9406564584124654", "2.2250738585072014", "1e5", "1E-2",
        "-123.456e+7", "99999999999999999999999"};
    char tok[96], line[160];
    for (int k = 0; k < 20000 + (int)(sizeof fixed / sizeof *fixed); k++) {
        size_t tn;
        if (k < (int)(sizeof fixed / sizeof *fixed)) {
            tn = strlen(fixed[k]);
            memcpy(tok, fixed[k], tn + 1);
        } else {
            tn = random_number(&seed, tok);
        }
        /* half the time with a long tail, so that the number is read
         * eight bytes at a time, the other half near the record's end */
        const char *tail = k % 2 ? ",\"t\":\"0123456789abcdef\"}" : "}";
        int n = snprintf(line, sizeof line, "{\"d\":%s%s", tok, tail);
        if (parse(&f, line, (size_t)n) != 0) {
            bad++;
            continue;
        }
        double want = strtod(tok, NULL), got = f.bb.b->cols[0].v.f64[last(&f)];
        if (memcmp(&want, &got, sizeof want) != 0) {
            printf("    DOUBLE %s: got %.17g, want %.17g\n", tok, got, want);
            bad++;
        }
        /* a field the schema lacks: skipped, but still validated */
        n = snprintf(line, sizeof line, "{\"x\":%s%s", tok, tail);
        bad += parse(&f, line, (size_t)n) != 0;
        /* BIGINT: integers in range parse exactly, anything else is refused
         * unless it is integral (5.0) */
        n = snprintf(line, sizeof line, "{\"i\":%s%s", tok, tail);
        int rc = parse(&f, line, (size_t)n);
        int integral = !strpbrk(tok, ".eE");
        if (integral) {
            char *end;
            errno = 0;
            long long v = strtoll(tok, &end, 10);
            if (errno == ERANGE) {
                bad += rc != EM_EPARSE;
            } else {
                bad += rc != 0 || f.bb.b->cols[1].v.i64[last(&f)] != v;
            }
            /* TIMESTAMP: milliseconds, exact while v * 1000 fits */
            n = snprintf(line, sizeof line, "{\"ts\":%s%s", tok, tail);
            rc = parse(&f, line, (size_t)n);
            long long us;
            if (errno != ERANGE && !__builtin_mul_overflow(v, 1000LL, &us))
                bad += rc != 0 || f.bb.b->cols[3].v.i64[last(&f)] != us;
            else /* past the range of a TIMESTAMP */
                bad += rc != EM_EPARSE;
        } else if (rc == 0) {
            double v = f.bb.b->cols[1].v.i64[last(&f)];
            bad += v != want; /* only an integral value may be accepted */
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* CSV takes the same numbers through the same fast path (blanks around
     * a value are trimmed): DOUBLE bit for bit, BIGINT and TIMESTAMP exact
     * or refused exactly as JSON does */
    em_reader *csv = NULL;
    CHECK_EQ_INT(em_reader_create(&csv, "csv", f.s, NULL, &f.err), 0);
    seed = 12345;
    bad = 0;
    for (int k = 0; k < 20000; k++) {
        char tok2[96];
        random_number(&seed, tok2);
        int n = snprintf(line, sizeof line, "%s%s,%s,x,%s", k % 3 ? "" : " ", tok2, tok2, tok2);
        if (em_batch_builder_full(&f.bb)) {
            em_arena_reset(&f.a);
            CHECK_EQ_INT(em_batch_builder_init(&f.bb, f.s, 4096, &f.a), 0);
        }
        int rc = em_reader_parse(csv, line, (size_t)n, &f.bb, &f.err);
        char *end;
        errno = 0;
        long long v = strtoll(tok2, &end, 10);
        int exact_int = !*end && errno != ERANGE;
        long long us;
        int ts_ok = exact_int && !__builtin_mul_overflow(v, 1000LL, &us);
        if (!exact_int || !ts_ok) {
            /* a fraction or out of range: BIGINT refuses unless integral */
            if (rc == 0) {
                double want = strtod(tok2, NULL);
                bad += (double)f.bb.b->cols[1].v.i64[last(&f)] != want;
            }
            continue;
        }
        double want = strtod(tok2, NULL), got;
        if (rc != 0) {
            bad++;
            continue;
        }
        got = f.bb.b->cols[0].v.f64[last(&f)];
        bad += memcmp(&want, &got, sizeof got) != 0;
        bad += f.bb.b->cols[1].v.i64[last(&f)] != v;
        bad += f.bb.b->cols[3].v.i64[last(&f)] != us;
    }
    CHECK_EQ_INT(bad, 0);
    em_reader_destroy(csv);
    /* the sign of zero survives */
    CHECK_EQ_INT(parse(&f, "{\"d\":-0}", 8), 0);
    CHECK(signbit(f.bb.b->cols[0].v.f64[last(&f)]));
    /* malformed numbers are bad records, wherever they stop */
    static const char *const badlong[] = {"{\"d\":-,\"t\":\"0123456789abcdef\"}",
                                          "{\"d\":1.,\"t\":\"0123456789abcdef\"}",
                                          "{\"d\":01,\"t\":\"0123456789abcdef\"}",
                                          "{\"d\":1.5e,\"t\":\"0123456789abcdef\"}",
                                          "{\"x\":00.5,\"t\":\"0123456789abcdef\"}",
                                          "{\"d\":-x1,\"t\":\"0123456789abcdef\"}",
                                          "{\"x\":1.,\"t\":\"0123456789abcdef\"}",
                                          "{\"x\":-,\"t\":\"0123456789abcdef\"}",
                                          "{\"x\":12.5e,\"t\":\"0123456789abcdef\"}",
                                          "{\"x\":123456789.,\"t\":\"0123456789abcdef\"}"};
    for (size_t k = 0; k < sizeof badlong / sizeof *badlong; k++)
        CHECK_EQ_INT(parse(&f, badlong[k], strlen(badlong[k])), EM_EPARSE);
    static const char *const badnum[] = {"{\"d\":-}", "{\"d\":1.}", "{\"d\":.5}", "{\"d\":01}",
                                         "{\"d\":1.e5}", "{\"d\":1e}", "{\"d\":--1}",
                                         "{\"i\":1.}", "{\"x\":1.}", "{\"x\":01}", "{\"d\":1"};
    for (size_t k = 0; k < sizeof badnum / sizeof *badnum; k++)
        CHECK_EQ_INT(parse(&f, badnum[k], strlen(badnum[k])), EM_EPARSE);
    fx_release(&f);
}

TEST(iso_timestamps_match_the_general_parser)
{
    fx f;
    fx_init(&f);
    uint64_t seed = 777;
    int bad = 0, accepted = 0, shown = 0;
    char ts[64], line[128];
    for (int k = 0; k < 30000; k++) {
        /* mostly valid, sometimes out of range or malformed at a random byte */
        int y = 1970 + (int)(rng(&seed) % 80), mo = 1 + (int)(rng(&seed) % 12);
        int d = 1 + (int)(rng(&seed) % 28), h = (int)(rng(&seed) % 25), mi = (int)(rng(&seed) % 61);
        int se = (int)(rng(&seed) % 62), nd = (int)(rng(&seed) % 11) - 1;
        int n = sprintf(ts, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
        if (nd >= 0) {
            ts[n++] = '.';
            for (int j = 0; j < nd; j++)
                ts[n++] = (char)('0' + rng(&seed) % 10);
        }
        ts[n++] = rng(&seed) % 20 ? 'Z' : '+';
        ts[n] = 0;
        if (rng(&seed) % 8 == 0)
            ts[rng(&seed) % (uint64_t)n] = "x:-.T9 "[rng(&seed) % 7];
        int64_t want;
        int wrc = em_ts_parse(ts, (size_t)n, &want);
        int ln = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"t\":\"0123456789abcdef\"}", ts);
        int rc = parse(&f, line, (size_t)ln);
        if (wrc == 0) {
            accepted++;
            bad += rc != 0 || f.bb.b->cols[3].v.i64[last(&f)] != want;
        } else {
            bad += rc != EM_EPARSE;
        }
        if (bad && !shown) {
            printf("    %s: general parser %d (%lld), reader %d\n", ts, wrc, (long long)want, rc);
            shown = 1;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(accepted > 10000);
    fx_release(&f);
}

/* The writer's double text: the first of %.15g, %.16g, %.17g that reads
 * back, as snprintf prints it. */
static void ref_double(double v, char *out)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(out, 40, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

TEST(double_text_matches_printf)
{
    uint64_t seed = 4242;
    int bad = 0, shown = 0;
    char got[40], want[40];
    for (int k = 0; k < 200000; k++) {
        double v;
        uint64_t r = rng(&seed);
        switch (k % 4) {
        case 0: /* a reading: up to 4 decimals */
            v = (double)(int64_t)(r % 2000000) / em__pow10_exact[r >> 60 & 3] - 1000;
            break;
        case 1: /* an average of readings */
            v = (double)(r % 100000) / 7.0 / em__pow10_exact[r >> 61 & 3];
            break;
        case 2: /* any finite double of 1e-6 .. 1e17 */
            v = ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5, (int)(rng(&seed) % 76) - 20);
            break;
        default: /* n.5 and other halves, and integers near 1e15 */
            v = (double)(r % 4000000) / 2 + (r & 1 ? 999999999999000.0 : 0);
            break;
        }
        if (r >> 63)
            v = -v;
        size_t n = em__fmt_double(v, got);
        ref_double(v, want);
        if (n != strlen(want) || strcmp(got, want) != 0) {
            if (!shown++)
                printf("    %.17g: writer \"%s\", printf \"%s\"\n", v, got, want);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* A TEXT value of length len built from 'a'..'z', with ins (its own
 * length) inserted at offset k; returns the line length. */
static int text_line(char *line, size_t len, size_t k, const char *ins, size_t inslen)
{
    int n = sprintf(line, "{\"i\":7,\"t\":\"");
    for (size_t j = 0; j < len; j++) {
        if (j == k) {
            memcpy(line + n, ins, inslen);
            n += (int)inslen;
        }
        line[n++] = (char)('a' + j % 26);
    }
    if (k == len) {
        memcpy(line + n, ins, inslen);
        n += (int)inslen;
    }
    n += sprintf(line + n, "\",\"d\":1.5}");
    return n;
}

TEST(strings_escapes_and_utf8_at_every_offset)
{
    fx f;
    fx_init(&f);
    guarded g;
    guarded_init(&g);
    static const struct {
        const char *in, *out; /* out NULL: a bad record */
    } cases[] = {
        {"\\n", "\n"},       {"\\\"", "\""},          {"\\\\", "\\"},
        {"\\/", "/"},        {"\\u00e9", "\xc3\xa9"}, {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
        {"\xc3\xa9", "\xc3\xa9"}, {"\xe2\x82\xac", "\xe2\x82\xac"},
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
        {"\xc3", NULL},      {"\xff", NULL},          {"\xed\xa0\x80", NULL}, /* surrogate */
        {"\xe0\x80\xaf", NULL},                                            /* overlong */
        {"\x01", NULL},      {"\\x", NULL},           {"\\ud83d", NULL},
    };
    char line[400], want[300];
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (size_t len = 0; len <= 140; len++) {
            for (size_t k = 0; k <= len; k++) {
                int n = text_line(line, len, k, cases[c].in, strlen(cases[c].in));
                const char *at = guarded_put(&g, line, (size_t)n);
                int rc = parse(&f, at, (size_t)n);
                if (!cases[c].out) {
                    if (rc != EM_EPARSE && bad < 5)
                        printf("    case %zu len %zu k %zu: rc %d\n", c, len, k, rc);
                    bad += rc != EM_EPARSE;
                    continue;
                }
                size_t wn = 0;
                for (size_t j = 0; j < len; j++) {
                    if (j == k)
                        wn += (size_t)sprintf(want + wn, "%s", cases[c].out);
                    want[wn++] = (char)('a' + j % 26);
                }
                if (k == len)
                    wn += (size_t)sprintf(want + wn, "%s", cases[c].out);
                if (rc != 0) {
                    if (bad < 5)
                        printf("    case %zu len %zu k %zu: rc %d %s\n", c, len, k, rc, f.err.msg);
                    bad++;
                    continue;
                }
                em_slice v = em_column_text(&f.bb.b->cols[2], last(&f));
                if ((v.len != wn || memcmp(v.ptr, want, wn) != 0) && bad < 5)
                    printf("    case %zu len %zu k %zu: got %.*s\n", c, len, k, (int)v.len, v.ptr);
                bad += v.len != wn || memcmp(v.ptr, want, wn) != 0;
                bad += f.bb.b->cols[0].v.f64[last(&f)] != 1.5;
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    guarded_release(&g);
    fx_release(&f);
}

TEST(records_ending_at_the_end_of_a_mapping)
{
    fx f;
    fx_init(&f);
    guarded g;
    guarded_init(&g);
    const char *rec = "{\"t\":\"dev-0001\",\"ts\":\"2024-05-01T00:00:10.000Z\",\"d\":14.4,"
                      "\"extra\":[1,{\"k\":\"v\\u00e9\"}],\"i\":910,\"flag\":true}";
    size_t n = strlen(rec);
    /* the whole record, ending at the guard page */
    CHECK_EQ_INT(parse(&f, guarded_put(&g, rec, n), n), 0);
    CHECK_EQ_INT(f.bb.b->cols[1].v.i64[last(&f)], 910);
    CHECK_EQ_INT(f.bb.b->cols[3].v.i64[last(&f)], INT64_C(1714521610000000));
    /* every prefix ends at the guard page too: each is a bad record (or,
     * for none of them, a row), and nothing reads past its end */
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        int rc = parse(&f, guarded_put(&g, rec, k), k);
        bad += !(rc == EM_EPARSE || (k == 0 && rc == EM_EOF));
    }
    CHECK_EQ_INT(bad, 0);
    /* blanks anywhere between tokens, before and after the key slots have
     * learnt this key order, give the same row */
    static const char *const spaced[] = {
        "{\"d\":2.5,\"i\":3,\"t\":\"x\",\"ts\":1000}",
        "{ \"d\" : 2.5 , \"i\":3,\"t\" :\"x\"\t,\r\"ts\":\n1000 }",
        "{\"d\":2.5,\"i\":3,\"t\":\"x\",\"ts\":1000}",
        "  {\"d\":\t2.5,\"i\" :3 ,\"t\": \"x\",\"ts\" : 1000}  "};
    for (size_t k = 0; k < sizeof spaced / sizeof *spaced; k++) {
        CHECK_EQ_INT(parse(&f, spaced[k], strlen(spaced[k])), 0);
        CHECK(f.bb.b->cols[0].v.f64[last(&f)] == 2.5);
        CHECK_EQ_INT(f.bb.b->cols[1].v.i64[last(&f)], 3);
        CHECK_EQ_INT(em_column_text(&f.bb.b->cols[2], last(&f)).len, 1);
        CHECK_EQ_INT(f.bb.b->cols[3].v.i64[last(&f)], 1000000);
    }
    /* a value that is the last byte of the mapping */
    CHECK_EQ_INT(parse(&f, guarded_put(&g, "{\"d\":5", 6), 6), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, guarded_put(&g, "{\"i\":-", 6), 6), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, guarded_put(&g, "{\"t\":\"ab", 8), 8), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, guarded_put(&g, "{\"t\":\"a\\", 8), 8), EM_EPARSE);
    guarded_release(&g);
    fx_release(&f);
}

int main(void)
{
    RUN(scan_plain_every_width_every_offset);
    RUN(numbers_match_strtod_bit_for_bit);
    RUN(iso_timestamps_match_the_general_parser);
    RUN(double_text_matches_printf);
    RUN(strings_escapes_and_utf8_at_every_offset);
    RUN(records_ending_at_the_end_of_a_mapping);
    return t_done();
}
