/*
 * tests/unit/t.h - a minimal unit-test harness.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_EQ_STR(s, "x"); }
 *   int main(void) { RUN(name); ...; return t_done(); }
 *
 * Each test prints "ok <name>" or "FAIL <name>" with the failing checks;
 * t_done() prints "N passed, N failed" for this file, checks that every
 * em_malloc byte was freed (leaks fail the file), and returns the exit code.
 */
#ifndef EMBER_TEST_T_H
#define EMBER_TEST_T_H

#include "core/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed, t_cur_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                    \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                                    \
        if (t_a_ != t_b_) {                                                                        \
            printf("    %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b, t_a_, t_b_); \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_DBL(a, b, eps)                                                                    \
    do {                                                                                           \
        double t_a_ = (a), t_b_ = (b);                                                             \
        if (!(t_a_ - t_b_ <= (eps) && t_b_ - t_a_ <= (eps))) {                                     \
            printf("    %s:%d: %s == %s: %.17g != %.17g\n", __FILE__, __LINE__, #a, #b, t_a_,      \
                   t_b_);                                                                          \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *t_a_ = (a), *t_b_ = (b);                                                       \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                                           \
            printf("    %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b,          \
                   t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");                                \
            t_cur_failed++;                                                                        \
        }                                                                                          \
    } while (0)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        t_cur_failed = 0;                                                                          \
        name();                                                                                    \
        if (t_cur_failed) {                                                                        \
            printf("FAIL %s\n", #name);                                                            \
            t_failed++;                                                                            \
        } else {                                                                                   \
            printf("ok   %s\n", #name);                                                            \
            t_passed++;                                                                            \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

static inline int t_done(void)
{
    if (em_mem_used() != 0) {
        printf("FAIL leak-check: %zu bytes still allocated through em_malloc\n", em_mem_used());
        t_failed++;
    }
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}

#endif
