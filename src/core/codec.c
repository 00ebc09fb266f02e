/*
 * core/codec.c - little-endian encoding, a bounds-checked decoder and
 * CRC-32C for durable files (see codec.h).
 */
#include "core/codec.h"

#include "ember/error.h"

#include <string.h>

static int put(em_buf *b, uint64_t v, unsigned width)
{
    unsigned char t[8];
    for (unsigned i = 0; i < width; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    return em_buf_append(b, t, width);
}

int em_enc_u8(em_buf *b, uint8_t v) { return put(b, v, 1); }
int em_enc_u32(em_buf *b, uint32_t v) { return put(b, v, 4); }
int em_enc_u64(em_buf *b, uint64_t v) { return put(b, v, 8); }
int em_enc_i64(em_buf *b, int64_t v) { return put(b, (uint64_t)v, 8); }

int em_enc_f64(em_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return put(b, u, 8);
}

int em_enc_bytes(em_buf *b, const void *p, size_t n)
{
    if (n > UINT32_MAX)
        return EM_ELIMIT;
    int rc = put(b, n, 4);
    return rc || !n ? rc : em_buf_append(b, p, n);
}

int em_enc_str(em_buf *b, const char *s)
{
    return em_enc_bytes(b, s, s ? strlen(s) : 0);
}

void em_dec_init(em_dec *d, const void *p, size_t n)
{
    d->p = p;
    d->end = d->p + n;
    d->bad = 0;
}

static uint64_t get(em_dec *d, unsigned width)
{
    if (d->bad || (size_t)(d->end - d->p) < width) {
        d->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)d->p[i] << (8 * i);
    d->p += width;
    return v;
}

uint8_t em_dec_u8(em_dec *d) { return (uint8_t)get(d, 1); }
uint32_t em_dec_u32(em_dec *d) { return (uint32_t)get(d, 4); }
uint64_t em_dec_u64(em_dec *d) { return get(d, 8); }
int64_t em_dec_i64(em_dec *d) { return (int64_t)get(d, 8); }

double em_dec_f64(em_dec *d)
{
    uint64_t u = get(d, 8);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

em_slice em_dec_bytes(em_dec *d)
{
    uint32_t n = em_dec_u32(d);
    em_slice s = {"", 0};
    if (d->bad || (size_t)(d->end - d->p) < n) {
        d->bad = 1;
        return s;
    }
    s.ptr = (const char *)d->p;
    s.len = n;
    d->p += n;
    return s;
}

void em_dec_fail(em_dec *d) { d->bad = 1; }
size_t em_dec_left(const em_dec *d) { return d->bad ? 0 : (size_t)(d->end - d->p); }
int em_dec_ok(const em_dec *d) { return !d->bad; }
