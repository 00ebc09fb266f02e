/*
 * Logger: JSON lines, log file rotation by size and by age, retention of
 * rotated files.
 */
#include "core/log.h"
#include "ember/error.h"
#include "t.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static int count_files(const char *prefix, size_t *bytes_max)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, prefix, strlen(prefix))) {
            n++;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            FILE *f = fopen(p, "r");
            fseek(f, 0, SEEK_END);
            size_t sz = (size_t)ftell(f);
            fclose(f);
            if (bytes_max && sz > *bytes_max)
                *bytes_max = sz;
        }
    closedir(d);
    return n;
}

TEST(json_lines_have_ts_level_component_msg)
{
    em_logger lg;
    em_logger_init(&lg);
    char path[128];
    snprintf(path, sizeof path, "%s/json.log", dir);
    CHECK_EQ_INT(em_logger_open(&lg, path), 0);
    lg.format = EM_LOG_JSON;
    em_log_warn(&lg, "source readings", "bad \"record\" at %s", "x.jsonl:3");
    em_log_debug(&lg, "engine", "not written at info level");
    em_logger_release(&lg);
    FILE *f = fopen(path, "r");
    char line[512] = "";
    CHECK(fgets(line, sizeof line, f) != NULL);
    CHECK(!strncmp(line, "{\"ts\":\"20", 9));
    CHECK(strstr(line, "\"level\":\"WARN\",\"component\":\"source readings\","
                       "\"msg\":\"bad \\\"record\\\" at x.jsonl:3\"}\n") != NULL);
    CHECK(fgets(line, sizeof line, f) == NULL);
    fclose(f);
}

TEST(rotation_by_size_keeps_only_retention_files)
{
    em_logger lg;
    em_logger_init(&lg);
    char path[128];
    snprintf(path, sizeof path, "%s/rot.log", dir);
    CHECK_EQ_INT(em_logger_open(&lg, path), 0);
    lg.max_size = 1000;
    lg.retention = 2;
    for (int i = 0; i < 200; i++) {
        em_log_info(&lg, "engine", "line %d of the rotation test, padded to some length", i);
        if (i % 40 == 39)
            usleep(2000); /* distinct rotation timestamps (ms) */
    }
    em_logger_release(&lg);
    size_t biggest = 0;
    /* rot.log plus exactly `retention` rotated files */
    CHECK_EQ_INT(count_files("rot.log", &biggest), 3);
    CHECK(biggest < 1000 + 200);
    CHECK(access(path, F_OK) == 0);
}

TEST(rotation_by_age)
{
    em_logger lg;
    em_logger_init(&lg);
    char path[128];
    snprintf(path, sizeof path, "%s/age.log", dir);
    CHECK_EQ_INT(em_logger_open(&lg, path), 0);
    lg.max_age_us = 20000; /* 20 ms */
    lg.retention = 10;
    em_log_info(&lg, "engine", "first");
    em_log_info(&lg, "engine", "still the first file");
    CHECK_EQ_INT(count_files("age.log", NULL), 1);
    usleep(30000);
    em_log_info(&lg, "engine", "second file");
    usleep(30000);
    em_log_info(&lg, "engine", "third file");
    em_logger_release(&lg);
    CHECK_EQ_INT(count_files("age.log", NULL), 3);
    FILE *f = fopen(path, "r");
    char line[256] = "";
    CHECK(fgets(line, sizeof line, f) && strstr(line, "third file"));
    fclose(f);
}

TEST(open_failure_keeps_stderr)
{
    em_logger lg;
    em_logger_init(&lg);
    CHECK_EQ_INT(em_logger_open(&lg, "/nonexistent-dir/x.log"), EM_EIO);
    CHECK_EQ_INT(lg.fd, 2);
    em_logger_release(&lg);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ember-log-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(json_lines_have_ts_level_component_msg);
    RUN(rotation_by_size_keeps_only_retention_files);
    RUN(rotation_by_age);
    RUN(open_failure_keeps_stderr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return t_done();
}
