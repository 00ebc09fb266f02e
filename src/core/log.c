/*
 * core/log.c - logger implementation. See log.h.
 *
 * A line is formatted into a stack buffer and written with one write(2) so
 * lines from several threads never interleave.
 */
#include "core/log.h"

#include "core/clock.h"
#include "ember/error.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void em_logger_init(em_logger *lg)
{
    memset(lg, 0, sizeof *lg);
    lg->level = EM_LOG_INFO;
    lg->format = EM_LOG_TEXT;
    lg->fd = 2;
}

int em_log_level_parse(const char *s, em_log_level *out)
{
    for (int i = 0; i <= EM_LOG_TRACE; i++) {
        if (strcasecmp(s, level_names[i]) == 0 ||
            (i == EM_LOG_WARN && strcasecmp(s, "warning") == 0)) {
            *out = (em_log_level)i;
            return 0;
        }
    }
    return EM_EINVAL;
}

int em_log_format_parse(const char *s, em_log_format *out)
{
    if (strcasecmp(s, "text") == 0)
        *out = EM_LOG_TEXT;
    else if (strcasecmp(s, "json") == 0)
        *out = EM_LOG_JSON;
    else
        return EM_EINVAL;
    return 0;
}

/* Appends s JSON-escaped; returns new position, never past cap-1. */
static size_t put_json(char *buf, size_t pos, size_t cap, const char *s)
{
    for (; *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(buf + pos, "\\u00", 4);
            buf[pos + 4] = hex[c >> 4];
            buf[pos + 5] = hex[c & 15];
            pos += 6;
        } else {
            buf[pos++] = (char)c;
        }
    }
    return pos;
}

void em_log_vwrite(em_logger *lg, em_log_level lvl, const char *component, const char *fmt,
                   va_list ap)
{
    char msg[2048], line[4600], ts[32];
    vsnprintf(msg, sizeof msg, fmt, ap);
    em_ts_format(em_wall_us(), ts);
    size_t n;
    if (lg->format == EM_LOG_JSON) {
        n = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"",
                             ts, level_names[lvl]);
        n = put_json(line, n, sizeof line, component ? component : "");
        n += (size_t)snprintf(line + n, sizeof line - n, "\",\"msg\":\"");
        n = put_json(line, n, sizeof line, msg);
        n += (size_t)snprintf(line + n, sizeof line - n, "\"}\n");
    } else {
        n = (size_t)snprintf(line, sizeof line, "%s %-5s [%s] %s\n", ts, level_names[lvl],
                             component ? component : "ember", msg);
    }
    if (n >= sizeof line)
        n = sizeof line - 1;
    lg->lines[lvl]++;
    ssize_t w = write(lg->fd, line, n);
    (void)w; /* a failed log write has nowhere better to be reported */
}

void em_log_write(em_logger *lg, em_log_level lvl, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_log_vwrite(lg, lvl, component, fmt, ap);
    va_end(ap);
}
