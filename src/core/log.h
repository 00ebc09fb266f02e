/*
 * core/log.h - level-checked structured logging.
 *
 * A logger belongs to an engine (no global logger). The EM_LOG macros test
 * the level before any formatting, so a disabled debug line costs one
 * compare. Lines are text ("2024-05-01T12:00:00.000Z INFO  [engine] ...")
 * or JSON objects, one per line. Rotation and retention come with the
 * observability work; the struct leaves room for them.
 */
#ifndef EMBER_CORE_LOG_H
#define EMBER_CORE_LOG_H

#include <stdarg.h>
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
} em_logger;

void em_logger_init(em_logger *lg);
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
