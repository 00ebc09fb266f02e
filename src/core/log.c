/*
 * core/log.c - logger implementation. See log.h.
 *
 * A line is formatted into a stack buffer and written with one write(2) so
 * lines from several threads never interleave. Rotation takes the mutex:
 * the thread that finds the file due renames it, opens a new one and
 * prunes old files; the others keep writing to whichever descriptor they
 * read (a line lands in the old or the new file, never split).
 */
#include "core/log.h"

#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void em_logger_init(em_logger *lg)
{
    memset(lg, 0, sizeof *lg);
    lg->level = EM_LOG_INFO;
    lg->format = EM_LOG_TEXT;
    lg->fd = 2;
    pthread_mutex_init(&lg->mu, NULL);
}

void em_logger_release(em_logger *lg)
{
    if (lg->path && lg->fd > 2)
        close(lg->fd);
    em_free(lg->path);
    lg->path = NULL;
    lg->fd = 2;
    pthread_mutex_destroy(&lg->mu);
}

static int open_append(const char *path, int64_t *size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    struct stat st;
    *size = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
    return fd;
}

int em_logger_open(em_logger *lg, const char *path)
{
    int fd = 2;
    int64_t size = 0;
    char *copy = NULL;
    if (path && *path) {
        copy = em_strdup(path);
        if (!copy)
            return EM_ENOMEM;
        if ((fd = open_append(path, &size)) < 0) {
            em_free(copy);
            return EM_EIO;
        }
    }
    pthread_mutex_lock(&lg->mu);
    int old = lg->path ? lg->fd : -1;
    em_free(lg->path);
    lg->path = copy;
    lg->fd = fd;
    lg->size = size;
    lg->opened_us = em_wall_us();
    pthread_mutex_unlock(&lg->mu);
    if (old > 2)
        close(old);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deletes rotated files (PATH.<20xx...>) beyond the newest lg->retention.
 * The timestamp suffix sorts by name in time order. */
static void prune(em_logger *lg)
{
    char dir[1024];
    const char *slash = strrchr(lg->path, '/');
    const char *base = slash ? slash + 1 : lg->path;
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == lg->path) {
        strcpy(dir, "/");
    } else {
        size_t dlen = (size_t)(slash - lg->path);
        if (dlen >= sizeof dir)
            return;
        memcpy(dir, lg->path, dlen);
        dir[dlen] = 0;
    }
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, base, blen) || de->d_name[blen] != '.' ||
            strncmp(de->d_name + blen + 1, "20", 2))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **v = em_realloc(names, ncap * sizeof *v);
            if (!v)
                break;
            names = v;
            cap = ncap;
        }
        if (!(names[n] = em_strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    size_t keep = lg->retention > 0 ? (size_t)lg->retention : 0;
    for (size_t i = 0; i < n; i++) {
        if (i + keep < n) {
            char full[2048];
            snprintf(full, sizeof full, "%s/%s", dir, names[i]);
            unlink(full);
        }
        em_free(names[i]);
    }
    em_free(names);
}

void em_logger_rotate_if_due(em_logger *lg)
{
    if (!lg->path)
        return;
    int64_t now = em_wall_us();
    pthread_mutex_lock(&lg->mu);
    bool due = lg->path && ((lg->max_size > 0 && lg->size >= lg->max_size) ||
                            (lg->max_age_us > 0 && now - lg->opened_us >= lg->max_age_us));
    if (due) {
        char ts[32], to[2048];
        em_ts_format(now, ts); /* 2024-05-01T12:00:00.000Z -> 20240501T120000.000Z */
        char compact[32];
        size_t k = 0;
        for (const char *p = ts; *p && k + 1 < sizeof compact; p++)
            if (*p != '-' && *p != ':')
                compact[k++] = *p;
        compact[k] = 0;
        snprintf(to, sizeof to, "%s.%s", lg->path, compact);
        for (int i = 1; access(to, F_OK) == 0 && i < 100; i++)
            snprintf(to, sizeof to, "%s.%s-%d", lg->path, compact, i);
        int64_t size = 0;
        int fd = -1;
        if (rename(lg->path, to) == 0 && (fd = open_append(lg->path, &size)) >= 0) {
            int old = lg->fd;
            lg->fd = fd;
            lg->size = size;
            lg->opened_us = now;
            if (old > 2)
                close(old);
            prune(lg);
        } else {
            lg->opened_us = now; /* cannot rotate: retry after another period */
            lg->size = 0;
        }
    }
    pthread_mutex_unlock(&lg->mu);
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
    if (lg->path)
        em_logger_rotate_if_due(lg);
    ssize_t w = write(lg->fd, line, n);
    if (w > 0 && lg->path)
        __atomic_add_fetch(&lg->size, (int64_t)w, __ATOMIC_RELAXED);
    /* a failed log write has nowhere better to be reported */
}

void em_log_write(em_logger *lg, em_log_level lvl, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_log_vwrite(lg, lvl, component, fmt, ap);
    va_end(ap);
}
