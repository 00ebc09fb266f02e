/*
 * core/codec.h - the byte encoding of durable files: state snapshots, the
 * offsets and commit logs.
 *
 * Values are little-endian and fixed-width (u8, u32, u64; i64 and double as
 * their 64-bit patterns), byte strings are a u32 length and the bytes. The
 * writer appends to an em_buf; the reader walks a borrowed slice and never
 * reads past its end: a read beyond the end, or a length that does not fit,
 * makes every later read return zero and sets `bad`, so a decoder runs to
 * its end without checks in each step and tests `em_dec_ok()` once.
 * Checksums are em_crc32c() of core/hash.h.
 */
#ifndef EMBER_CORE_CODEC_H
#define EMBER_CORE_CODEC_H

#include "core/str.h"

#include <stdint.h>

/* ---- writing (each returns 0, EM_ENOMEM or EM_ELIMIT) ---- */
int em_enc_u8(em_buf *b, uint8_t v);
int em_enc_u32(em_buf *b, uint32_t v);
int em_enc_u64(em_buf *b, uint64_t v);
int em_enc_i64(em_buf *b, int64_t v);
int em_enc_f64(em_buf *b, double v);
/* A u32 length, then n bytes. EM_ELIMIT when n > UINT32_MAX. */
int em_enc_bytes(em_buf *b, const void *p, size_t n);
int em_enc_str(em_buf *b, const char *s); /* em_enc_bytes(s, strlen(s)) */

/* ---- reading ---- */
typedef struct em_dec {
    const unsigned char *p, *end;
    int bad; /* a read ran past the end or met an impossible length */
} em_dec;

void em_dec_init(em_dec *d, const void *p, size_t n);
uint8_t em_dec_u8(em_dec *d);
uint32_t em_dec_u32(em_dec *d);
uint64_t em_dec_u64(em_dec *d);
int64_t em_dec_i64(em_dec *d);
double em_dec_f64(em_dec *d);
/* A byte string written by em_enc_bytes: returns a slice borrowed from the
 * input (empty and `bad` set when it does not fit). */
em_slice em_dec_bytes(em_dec *d);
/* Marks the input bad (a decoder found a value it cannot accept). */
void em_dec_fail(em_dec *d);
/* Bytes not read yet. */
size_t em_dec_left(const em_dec *d);
/* 1 when every read so far was in bounds and nothing called em_dec_fail. */
int em_dec_ok(const em_dec *d);

#endif
