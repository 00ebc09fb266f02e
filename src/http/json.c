/*
 * http/json.c - a small JSON writer for the REST handlers.
 *
 * Writing never fails midway for the caller: the first error (out of
 * memory, the 8 MiB cap) is kept in rc and later calls do nothing, so a
 * handler writes its whole document and checks once in em__json_reply.
 */
#include "http/http_int.h"

#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>

#define JSON_MAX (8u << 20)

void em__json_init(em__json *j)
{
    em_buf_init(&j->b, JSON_MAX);
    j->rc = 0;
    j->comma = false;
}

void em__json_raw(em__json *j, const char *s)
{
    if (!j->rc)
        j->rc = em_buf_puts(&j->b, s);
}

void em__json_printf(em__json *j, const char *fmt, ...)
{
    if (j->rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    j->rc = em_buf_vprintf(&j->b, fmt, ap);
    va_end(ap);
}

static void sep(em__json *j)
{
    if (j->comma)
        em__json_raw(j, ",");
    j->comma = true;
}

static void put_escaped(em__json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    em__json_raw(j, "\"");
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (!j->rc && s > run)
            j->rc = em_buf_append(&j->b, run, (size_t)(s - run));
        char esc[7] = {'\\', (char)c, 0};
        if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc[6] = 0;
        }
        em__json_raw(j, esc);
        run = s + 1;
    }
    if (!j->rc && s > run)
        j->rc = em_buf_append(&j->b, run, (size_t)(s - run));
    em__json_raw(j, "\"");
}

void em__json_key(em__json *j, const char *key)
{
    sep(j);
    put_escaped(j, key);
    em__json_raw(j, ":");
    j->comma = false;
}

void em__json_open(em__json *j, char c)
{
    sep(j);
    char s[2] = {c, 0};
    em__json_raw(j, s);
    j->comma = false;
}

void em__json_close(em__json *j, char c)
{
    char s[2] = {c, 0};
    em__json_raw(j, s);
    j->comma = true;
}

void em__json_str(em__json *j, const char *s)
{
    sep(j);
    put_escaped(j, s ? s : "");
}

void em__json_num(em__json *j, double v)
{
    sep(j);
    if (!isfinite(v))
        em__json_raw(j, "null");
    else if (v == (double)(int64_t)v && fabs(v) < 9e15)
        em__json_printf(j, "%lld", (long long)v);
    else
        em__json_printf(j, "%.6g", v);
}

void em__json_u64(em__json *j, uint64_t v)
{
    sep(j);
    em__json_printf(j, "%llu", (unsigned long long)v);
}

void em__json_i64(em__json *j, int64_t v)
{
    sep(j);
    em__json_printf(j, "%lld", (long long)v);
}

void em__json_bool(em__json *j, bool v)
{
    sep(j);
    em__json_raw(j, v ? "true" : "false");
}

void em__json_null(em__json *j)
{
    sep(j);
    em__json_raw(j, "null");
}

void em__json_ts(em__json *j, int64_t us)
{
    if (us == INT64_MIN || us == INT64_MAX || us == 0) {
        em__json_null(j);
        return;
    }
    char ts[32];
    em_ts_format(us, ts);
    em__json_str(j, ts);
}

void em__json_kstr(em__json *j, const char *key, const char *s)
{
    em__json_key(j, key);
    em__json_str(j, s);
}

void em__json_knum(em__json *j, const char *key, double v)
{
    em__json_key(j, key);
    em__json_num(j, v);
}

void em__json_ku64(em__json *j, const char *key, uint64_t v)
{
    em__json_key(j, key);
    em__json_u64(j, v);
}

void em__json_ki64(em__json *j, const char *key, int64_t v)
{
    em__json_key(j, key);
    em__json_i64(j, v);
}

void em__json_kbool(em__json *j, const char *key, bool v)
{
    em__json_key(j, key);
    em__json_bool(j, v);
}

void em__json_kts(em__json *j, const char *key, int64_t us)
{
    em__json_key(j, key);
    em__json_ts(j, us);
}

void em__reply_error(em__reply *r, unsigned status, const char *msg)
{
    em__json j;
    em__json_init(&j);
    em__json_open(&j, '{');
    em__json_kstr(&j, "error", msg);
    em__json_close(&j, '}');
    em__json_raw(&j, "\n");
    em__json_reply(&j, r);
    if (r->status == 200)
        r->status = status;
}

void em__json_reply(em__json *j, em__reply *r)
{
    r->type = "application/json";
    if (j->rc) {
        em_buf_release(&j->b);
        r->status = 500;
        r->body = em_strdup("{\"error\":\"response too large or out of memory\"}\n");
        r->len = r->body ? strlen(r->body) : 0;
        return;
    }
    r->status = 200;
    r->body = em_buf_detach(&j->b, &r->len);
    if (!r->body) { /* an empty buffer detaches to NULL */
        r->body = em_strdup("");
        r->len = 0;
    }
}
