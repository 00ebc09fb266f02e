/*
 * core/hash.h - fast non-cryptographic hashing for keys and state.
 *
 * A multiply-fold mixer (the 64x64->128 "mum" step popularised by wyhash):
 * one multiplication per 8 input bytes, good avalanche, and the same value
 * on every platform so hashes may partition durable state.
 */
#ifndef EMBER_CORE_HASH_H
#define EMBER_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define EM_HASH_SEED UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t em_hash_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t em_hash_u64(uint64_t x, uint64_t seed)
{
    return em_hash_mum(x ^ UINT64_C(0xa0761d6478bd642f), seed ^ UINT64_C(0xe7037ed1a0b428db));
}

/* Combine a running hash with the next value's hash (order-sensitive). */
static inline uint64_t em_hash_combine(uint64_t h, uint64_t v)
{
    return em_hash_mum(h ^ UINT64_C(0x8ebc6af09c88c6e3), v ^ UINT64_C(0x589965cc75374cc3));
}

uint64_t em_hash_bytes(const void *p, size_t n, uint64_t seed);

/* CRC-32C (Castagnoli) for checksums of durable files. */
uint32_t em_crc32c(uint32_t crc, const void *p, size_t n);

#endif
