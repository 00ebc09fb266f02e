/*
 * core/log.h - level-checked structured logging.
 *
 * A logger belongs to an engine (no global logger). The EM_LOG macros test
 * the level before any formatting, so a disabled debug line costs one
 * compare. Lines are text ("2024-05-01T12:00:00.000Z INFO  [engine] ...")
 * or JSON objects, one per line. With a log file the logger rotates it
 * when it passes max_size bytes or is older than max_age_us (the file is
 * renamed to FILE.YYYYMMDDTHHMMSS.mmmZ and a new one opened) and keeps only
 * the newest `retention` rotated files: the report's cron clean-ups, built in.
 */
#ifndef EMBER_CORE_LOG_H
#define EMBER_CORE_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

typedef enum em_log_level {
    EM_LOG_ERROR = 0,
    EM_LOG_WARN,
    EM_LOG_INFO,
    EM_LOG_DEBUG,
    EM_LOG_TRACE,
} em_log_level;

typedef enum em_log_format { EM_LOG_TEXT = 0, EM_LOG_JSON } em_log_format;

typedef struct em_logger {
    em_log_level level;
    em_log_format format;
    int fd;          /* where lines go; 2 (stderr) by default */
    unsigned long lines[EM_LOG_TRACE + 1]; /* lines written per level */
    /* log file and rotation (em_logger_open); path NULL = write to fd as is */
    char *path;
    int64_t max_size;      /* rotate past this many bytes (0: never) */
    int64_t max_age_us;    /* rotate a file older than this (0: never) */
    int retention;         /* rotated files kept (0: keep none) */
    int64_t size;          /* bytes in the current file */
    int64_t opened_us;     /* when the current file was started */
    pthread_mutex_t mu;    /* guards rotation; writes are single write(2)s */
} em_logger;

void em_logger_init(em_logger *lg);
/* Closes the log file (if any) and frees the logger's memory. */
void em_logger_release(em_logger *lg);
/* Appends to path from now on (created 0644); NULL or "" goes back to
 * stderr. Returns 0, or EM_EIO with errno left set when it cannot be
 * opened (the logger keeps its previous destination). */
int em_logger_open(em_logger *lg, const char *path);
/* Rotates now if the current file is due (size or age). Called by every
 * write; exposed for tests. */
void em_logger_rotate_if_due(em_logger *lg);
/* "error" | "warn" | "info" | "debug" | "trace"; returns 0 or EM_EINVAL. */
int em_log_level_parse(const char *s, em_log_level *out);
int em_log_format_parse(const char *s, em_log_format *out);

void em_log_write(em_logger *lg, em_log_level lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void em_log_vwrite(em_logger *lg, em_log_level lvl, const char *component, const char *fmt,
                   va_list ap);

#define EM_LOG(lg, lvl, comp, ...)                                                                 \
    do {                                                                                           \
        em_logger *em_lg_ = (lg);                                                                  \
        if (em_lg_ && (lvl) <= em_lg_->level)                                                      \
            em_log_write(em_lg_, (lvl), (comp), __VA_ARGS__);                                      \
    } while (0)
#define em_log_error(lg, comp, ...) EM_LOG(lg, EM_LOG_ERROR, comp, __VA_ARGS__)
#define em_log_warn(lg, comp, ...) EM_LOG(lg, EM_LOG_WARN, comp, __VA_ARGS__)
#define em_log_info(lg, comp, ...) EM_LOG(lg, EM_LOG_INFO, comp, __VA_ARGS__)
#define em_log_debug(lg, comp, ...) EM_LOG(lg, EM_LOG_DEBUG, comp, __VA_ARGS__)

#endif
