/*
 * Unit tests for src/core: allocator, arenas, byte types, clocks, hashing.
 */
#include "core/clock.h"
#include "core/errbuf.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pool.h"
#include "core/str.h"
#include "ember/error.h"
#include "t.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

TEST(alloc_counts_bytes)
{
    size_t before = em_mem_used();
    char *p = em_malloc(100);
    CHECK(p != NULL);
    CHECK_EQ_INT(em_mem_used() - before, 100);
    p = em_realloc(p, 1000);
    CHECK_EQ_INT(em_mem_used() - before, 1000);
    CHECK(em_mem_peak() >= before + 1000);
    em_free(p);
    CHECK_EQ_INT(em_mem_used(), before);
    CHECK(em_calloc(SIZE_MAX / 2, 4) == NULL); /* overflow refused, not wrapped */
}

TEST(alloc_fault_injection)
{
    em_mem_fail_after(2);
    void *a = em_malloc(8);
    void *b = em_malloc(8);
    void *c = em_malloc(8);
    CHECK(a != NULL);
    CHECK(b == NULL);
    CHECK(c != NULL);
    CHECK_EQ_INT(em_mem_failures(), 1);
    em_free(a);
    em_free(c);
}

TEST(arena_alloc_reset_release)
{
    em_arena a;
    em_arena_init(&a, 1024);
    char *p = em_arena_alloc(&a, 10);
    CHECK(((uintptr_t)p & 15) == 0);
    char *big = em_arena_alloc(&a, 100000); /* oversized: own chunk */
    CHECK(big != NULL);
    memset(big, 1, 100000);
    for (int i = 0; i < 1000; i++)
        CHECK(em_arena_alloc(&a, 24) != NULL);
    CHECK(a.used >= 100000 + 1000 * 24);
    em_arena_reset(&a);
    CHECK_EQ_INT(a.used, 0);
    CHECK(a.reserved <= 1024); /* one chunk kept */
    char *s = em_arena_strndup(&a, "hello", 3);
    CHECK_EQ_STR(s, "hel");
    char *g = em_arena_grow(&a, s, 4, 64);
    CHECK_EQ_STR(g, "hel");
    em_arena_release(&a);
    CHECK_EQ_INT(a.reserved, 0);
}

TEST(buf_respects_cap)
{
    em_buf b;
    em_buf_init(&b, 10);
    CHECK_EQ_INT(em_buf_puts(&b, "hello"), 0);
    CHECK_EQ_INT(em_buf_printf(&b, "%d", 1234), 0);
    CHECK_EQ_STR(b.ptr, "hello1234");
    CHECK_EQ_INT(em_buf_puts(&b, "xx"), EM_ELIMIT);
    CHECK_EQ_STR(b.ptr, "hello1234"); /* unchanged on failure */
    em_buf_release(&b);
}

TEST(str_and_slices)
{
    em_str *s = em_str_new("abc", 3);
    CHECK_EQ_INT(em_str_len(s), 3);
    CHECK_EQ_STR(s, "abc");
    em_str_free(s);
    CHECK(em_slice_eq_cstr_ci(em_slice_cstr("PM25"), "pm25"));
    em_slice t = em_slice_trim(em_slice_cstr("  x y \n"));
    CHECK_EQ_INT(t.len, 3);
}

/* em_bytes_eq agrees with memcmp for every length up to 70, a difference
 * at every position (the 16/8/4-byte steps and overlapping tails), and
 * unaligned starts. */
TEST(bytes_eq_matches_memcmp)
{
    char a[96], b[96];
    int bad = 0;
    for (int i = 0; i < 96; i++)
        a[i] = b[i] = (char)(i * 7 + 1);
    for (size_t off = 0; off < 3; off++) {
        for (size_t n = 0; n <= 70; n++) {
            bad += !em_bytes_eq(a + off, b + off + 0, n) != !!memcmp(a + off, b + off, n);
            for (size_t p = 0; p < n; p++) {
                b[off + p] ^= 0x20;
                bad += em_bytes_eq(a + off, b + off, n) != (memcmp(a + off, b + off, n) == 0);
                bad += em_bytes_eq(a + off, b + off, n); /* must differ */
                b[off + p] ^= 0x20;
            }
            /* a difference just past the end is not looked at */
            b[off + n] ^= 0x20;
            bad += !em_bytes_eq(a + off, b + off, n);
            b[off + n] ^= 0x20;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(errors_have_names)
{
    CHECK_EQ_STR(em_strerror(EM_ENOMEM), "out of memory");
    CHECK_EQ_STR(em_errname(EM_EPARSE), "EM_EPARSE");
    CHECK_EQ_STR(em_strerror(12345), "unknown error");
    em_errbuf eb;
    CHECK_EQ_INT(em_errf(&eb, EM_EINVAL, "bad %s", "thing"), EM_EINVAL);
    CHECK_EQ_STR(eb.msg, "bad thing");
}

TEST(timestamps_roundtrip)
{
    int64_t us;
    char out[32];
    CHECK_EQ_INT(em_ts_parse("2024-05-01T12:00:00Z", 20, &us), 0);
    CHECK_EQ_INT(us, INT64_C(1714564800000000));
    em_ts_format(us, out);
    CHECK_EQ_STR(out, "2024-05-01T12:00:00.000Z");
    const char *off = "2024-05-01T14:00:00.250+02:00";
    CHECK_EQ_INT(em_ts_parse(off, strlen(off), &us), 0);
    CHECK_EQ_INT(us, INT64_C(1714564800250000));
    CHECK_EQ_INT(em_ts_parse("1969-12-31T23:59:59.999Z", 24, &us), 0);
    CHECK_EQ_INT(us, -1000);
    em_ts_format(-1000, out);
    CHECK_EQ_STR(out, "1969-12-31T23:59:59.999Z");
    CHECK_EQ_INT(em_ts_parse("2024-13-01", 10, &us), EM_EPARSE);
    CHECK_EQ_INT(em_ts_parse("2024-05-01T12", 13, &us), EM_EPARSE);
    CHECK_EQ_INT(em_ts_parse("2024-02-29", 10, &us), 0);
    CHECK_EQ_INT(us, INT64_C(1709164800000000));
}

TEST(durations)
{
    int64_t us;
    CHECK_EQ_INT(em_duration_parse("1s", &us), 0);
    CHECK_EQ_INT(us, 1000000);
    CHECK_EQ_INT(em_duration_parse("250ms", &us), 0);
    CHECK_EQ_INT(us, 250000);
    CHECK_EQ_INT(em_duration_parse("1 minute", &us), 0);
    CHECK_EQ_INT(us, 60000000);
    CHECK_EQ_INT(em_duration_parse("1.5h", &us), 0);
    CHECK_EQ_INT(us, 5400000000);
    CHECK_EQ_INT(em_duration_parse("fast", &us), EM_EPARSE);
    CHECK_EQ_INT(em_duration_parse("-1s", &us), EM_EPARSE);
}

TEST(hash_is_stable_and_spreads)
{
    /* same input, same hash; nearby inputs differ in many bits */
    CHECK(em_hash_bytes("device-1", 8, EM_HASH_SEED) == em_hash_bytes("device-1", 8, EM_HASH_SEED));
    uint64_t a = em_hash_bytes("device-1", 8, EM_HASH_SEED);
    uint64_t b = em_hash_bytes("device-2", 8, EM_HASH_SEED);
    CHECK(__builtin_popcountll(a ^ b) > 16);
    CHECK(em_hash_u64(1, 0) != em_hash_u64(2, 0));
    /* all lengths 0..40 hash without reading out of bounds (ASan checks) */
    char buf[40];
    memset(buf, 'x', sizeof buf);
    uint64_t prev = 0;
    for (size_t n = 0; n <= sizeof buf; n++) {
        char *heap = em_malloc(n ? n : 1);
        memcpy(heap, buf, n);
        uint64_t h = em_hash_bytes(heap, n, EM_HASH_SEED);
        CHECK(h != prev);
        prev = h;
        em_free(heap);
    }
    /* CRC-32C check value from RFC 3720 */
    CHECK_EQ_INT(em_crc32c(0, "123456789", 9), 0xe3069283u);
}

TEST(log_levels_filter)
{
    char path[] = "/tmp/ember-logXXXXXX";
    int fd = mkstemp(path);
    em_logger lg;
    em_logger_init(&lg);
    lg.fd = fd;
    em_log_debug(&lg, "test", "hidden %d", 1);
    em_log_info(&lg, "test", "shown %d", 2);
    lg.format = EM_LOG_JSON;
    em_log_warn(&lg, "test", "quote \" here");
    char buf[512] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    CHECK(n > 0);
    CHECK(strstr(buf, "hidden") == NULL);
    CHECK(strstr(buf, "INFO  [test] shown 2") != NULL);
    CHECK(strstr(buf, "\"msg\":\"quote \\\" here\"") != NULL);
    close(fd);
    unlink(path);
    em_log_level lvl;
    CHECK_EQ_INT(em_log_level_parse("debug", &lvl), 0);
    CHECK_EQ_INT(lvl, EM_LOG_DEBUG);
    CHECK_EQ_INT(em_log_level_parse("loud", &lvl), EM_EINVAL);
}

static void add_task(void *arg, uint32_t i)
{
    _Atomic uint64_t *sum = arg;
    *sum += i + 1; /* atomic add */
}

TEST(pool_runs_every_task_once)
{
    for (uint32_t threads = 1; threads <= 4; threads++) {
        em_pool *p = em_pool_create(threads);
        CHECK(p != NULL);
        for (int round = 0; round < 50; round++) {
            _Atomic uint64_t sum = 0;
            em_pool_run(p, add_task, &sum, 100);
            CHECK_EQ_INT(sum, 5050);
        }
        em_pool_destroy(p);
    }
}

int main(void)
{
    RUN(alloc_counts_bytes);
    RUN(alloc_fault_injection);
    RUN(arena_alloc_reset_release);
    RUN(buf_respects_cap);
    RUN(str_and_slices);
    RUN(bytes_eq_matches_memcmp);
    RUN(errors_have_names);
    RUN(timestamps_roundtrip);
    RUN(durations);
    RUN(hash_is_stable_and_spreads);
    RUN(log_levels_filter);
    RUN(pool_runs_every_task_once);
    return t_done();
}
