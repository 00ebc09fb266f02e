/*
 * core/hash.c - byte hashing and CRC-32C. See hash.h.
 */
#include "core/hash.h"

#include <string.h>

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

uint64_t em_hash_bytes(const void *key, size_t n, uint64_t seed)
{
    const uint8_t *p = key;
    const uint64_t s0 = UINT64_C(0xa0761d6478bd642f), s1 = UINT64_C(0xe7037ed1a0b428db),
                   s2 = UINT64_C(0x8ebc6af09c88c6e3);
    seed ^= em_hash_mum(seed ^ s0, s1);
    uint64_t a, b;
    if (n <= 16) {
        if (n >= 4) {
            a = (rd32(p) << 32) | rd32(p + ((n >> 3) << 2));
            b = (rd32(p + n - 4) << 32) | rd32(p + n - 4 - ((n >> 3) << 2));
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = n;
        while (i > 16) {
            seed = em_hash_mum(rd64(p) ^ s1, rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    a ^= s1;
    b ^= seed;
    __uint128_t r = (__uint128_t)a * b;
    a = (uint64_t)r;
    b = (uint64_t)(r >> 64);
    return em_hash_mum(a ^ s0 ^ n, b ^ s1 ^ s2);
}

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    __atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

uint32_t em_crc32c(uint32_t crc, const void *buf, size_t n)
{
    /* Building the table twice from two threads is harmless (same bytes). */
    if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
        crc_init();
    const uint8_t *p = buf;
    crc = ~crc;
    while (n >= 8) {
        uint64_t v = rd64(p) ^ crc;
        crc = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
              crc_table[5][(v >> 16) & 0xff] ^ crc_table[4][(v >> 24) & 0xff] ^
              crc_table[3][(v >> 32) & 0xff] ^ crc_table[2][(v >> 40) & 0xff] ^
              crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
