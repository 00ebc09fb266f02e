/*
 * formats/scan.c - the string scanner of scan.h in its three widths, and
 * the run-time choice between them.
 *
 * A run of plain string bytes ends at '"', '\\', a control byte or a
 * non-ASCII byte. SSE2 (every x86-64) tests 16 bytes with two equality
 * compares, one signed compare for the controls (x ^ 0x80 < 0xA0) and the
 * sign bits for non-ASCII; AVX2 does the same 32 at a time and is only
 * called after __builtin_cpu_supports said the CPU (and OS) has it, since
 * the build targets baseline x86-64. Elsewhere, eight bytes at a time with
 * the has-zero-byte trick. Tails shorter than a vector go byte by byte: no
 * load ever reads past p + n.
 */
#include "formats/scan.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SCAN_X86 1
#endif

static size_t tail_bytes(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            break;
    }
    return i;
}

static size_t scan_swar(const char *p, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
        /* a byte's high bit is set when it is zero after the xor (a quote
         * or backslash), below 0x20, or itself >= 0x80 */
        uint64_t hit = ((q - ones) & ~q) | ((bs - ones) & ~bs) | (w - ones * 0x20) | w;
        if (hit & high)
            break;
        i += 8;
    }
    return tail_bytes(p, i, n);
}

#ifdef SCAN_X86
#ifdef __SSE2__
static size_t scan_sse2(const char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 16) {
        unsigned mask = em__plain_stops16(_mm_loadu_si128((const __m128i *)(const void *)(p + i)));
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
    return tail_bytes(p, i, n);
}
#endif

__attribute__((target("avx2"))) static size_t scan_avx2(const char *p, size_t n)
{
    const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\');
    const __m256i flip = _mm256_set1_epi8((char)0x80), lim = _mm256_set1_epi8((char)0xA0);
    size_t i = 0;
    while (n - i >= 32) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i bad =
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(w, quote), _mm256_cmpeq_epi8(w, bslash)),
                            _mm256_cmpgt_epi8(lim, _mm256_xor_si256(w, flip)));
        unsigned mask = (unsigned)_mm256_movemask_epi8(bad) | (unsigned)_mm256_movemask_epi8(w);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 32;
    }
#ifdef __SSE2__
    return i + scan_sse2(p + i, n - i);
#else
    return tail_bytes(p, i, n);
#endif
}
#endif

/* What the CPU supports: 3 with AVX-512 (BW, VBMI2) besides, 2 with AVX2,
 * 1 with SSE2 (every x86-64), else 0. */
static int level_max(void)
{
    int l = 0;
#ifdef SCAN_X86
#ifdef __SSE2__
    l = 1;
#endif
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        l = 2;
    if (l == 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("popcnt"))
        l = 3;
#endif
    return l;
}

/* -1 until decided; then 0, 1 or 2. Written once per process (threads
 * racing to decide write the same value). */
static int level = -1, level_cpu = -1;

static int scan_level_max(void)
{
    int l = __atomic_load_n(&level_cpu, __ATOMIC_RELAXED);
    if (l < 0) {
        l = level_max();
        __atomic_store_n(&level_cpu, l, __ATOMIC_RELAXED);
    }
    return l;
}

int em__scan_level(void)
{
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l >= 0)
        return l;
    l = scan_level_max();
    const char *env = getenv("EMBER_SIMD");
    if (env && !strcmp(env, "off"))
        l = 0;
    else if (env && !strcmp(env, "sse2") && l > 1)
        l = 1;
    else if (env && !strcmp(env, "avx2") && l > 2)
        l = 2;
    __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    return l;
}

static inline size_t dispatch(int lv, const char *p, size_t n)
{
    switch (lv) {
#ifdef SCAN_X86
    case 3: /* AVX-512 serves the record shape's spans (json_span.c) */
    case 2:
        return scan_avx2(p, n);
#ifdef __SSE2__
    case 1:
        return scan_sse2(p, n);
#endif
#endif
    default:
        return scan_swar(p, n);
    }
}

size_t em__scan_plain_with(int lv, const char *p, size_t n)
{
    return dispatch(lv < scan_level_max() ? lv : scan_level_max(), p, n);
}

size_t em__scan_plain(const char *p, size_t n)
{
    int lv = __atomic_load_n(&level, __ATOMIC_RELAXED);
    return dispatch(lv >= 0 ? lv : em__scan_level(), p, n);
}
