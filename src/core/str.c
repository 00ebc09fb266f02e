/*
 * core/str.c - slices, owned strings, capped buffers. See str.h.
 */
#include "core/str.h"

#include "core/mem.h"
#include "ember/error.h"

#include <stdio.h>
#include <strings.h>

int em_slice_eq(em_slice a, em_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int em_slice_eq_ci(em_slice a, em_slice b)
{
    return a.len == b.len && (a.len == 0 || strncasecmp(a.ptr, b.ptr, a.len) == 0);
}

int em_slice_eq_cstr_ci(em_slice a, const char *b)
{
    return em_slice_eq_ci(a, em_slice_cstr(b));
}

em_slice em_slice_trim(em_slice s)
{
    while (s.len && (*s.ptr == ' ' || *s.ptr == '\t' || *s.ptr == '\n' || *s.ptr == '\r')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
                     s.ptr[s.len - 1] == '\n' || s.ptr[s.len - 1] == '\r'))
        s.len--;
    return s;
}

em_str *em_str_new(const char *p, size_t n)
{
    char *m = em_malloc(sizeof(size_t) + n + 1);
    if (!m)
        return NULL;
    memcpy(m, &n, sizeof n);
    if (n)
        memcpy(m + sizeof n, p, n);
    m[sizeof n + n] = 0;
    return m + sizeof n;
}

em_str *em_str_from(const char *cstr)
{
    return em_str_new(cstr, strlen(cstr));
}

size_t em_str_len(const em_str *s)
{
    size_t n;
    memcpy(&n, s - sizeof n, sizeof n);
    return n;
}

void em_str_free(em_str *s)
{
    if (s)
        em_free(s - sizeof(size_t));
}

void em_buf_init(em_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void em_buf_release(em_buf *b)
{
    em_free(b->ptr);
    em_buf_init(b, b->max);
}

void em_buf_reset(em_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = 0;
}

int em_buf_reserve(em_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return EM_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    char *p = em_realloc(b->ptr, ncap);
    if (!p)
        return EM_ENOMEM;
    b->ptr = p;
    b->cap = ncap;
    return 0;
}

int em_buf_append(em_buf *b, const void *p, size_t n)
{
    int rc = em_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = 0;
    return 0;
}

int em_buf_puts(em_buf *b, const char *s)
{
    return em_buf_append(b, s, strlen(s));
}

int em_buf_putc(em_buf *b, char c)
{
    return em_buf_append(b, &c, 1);
}

int em_buf_vprintf(em_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return EM_EINVAL;
    int rc = em_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int em_buf_printf(em_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = em_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *em_buf_detach(em_buf *b, size_t *len)
{
    char *p = b->ptr;
    if (len)
        *len = b->len;
    em_buf_init(b, b->max);
    return p;
}
