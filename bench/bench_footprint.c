/*
 * bench/bench_footprint.c - `ember bench footprint`: what one Ember process
 * costs at rest and with state.
 *
 * Every figure but the binary size comes from a fresh `ember run JOB.sql`
 * child (this executable, /proc/self/exe), so the benchmark harness's own
 * memory is not counted:
 *   binary_bytes        size of the ember executable;
 *   idle_rss_bytes      VmRSS of a running job with nothing to do (a file
 *                       source in follow mode on an empty file), 500 ms in;
 *   first_batch_ms      fork to exit of a job that reads one record and
 *                       prints it: start, plan, first micro-batch, output,
 *                       shutdown (an upper bound of start to first batch;
 *                       best of 5);
 *   keys_rss_bytes      peak RSS (getrusage of the child) of a running
 *                       count/sum per key over 1,000,000 distinct keys
 *                       (x scale when scale < 1).
 * records/seconds are those of the 1,000,000-key run.
 */
#include "bench_int.h"

#include "core/mem.h"
#include "ember/error.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts `EXE run sql_path` with stdout and stderr to /dev/null. */
static pid_t spawn_run(const char *exe, const char *sql_path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    execl(exe, exe, "run", sql_path, (char *)NULL);
    _exit(127);
}

/* Waits for pid; *maxrss gets its peak RSS in bytes. Returns its exit
 * status, or -1 if it did not exit normally. */
static int wait_child(pid_t pid, uint64_t *maxrss)
{
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1;
    if (maxrss)
        *maxrss = (uint64_t)ru.ru_maxrss * 1024;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint64_t child_rss(pid_t pid)
{
    char path[64], line[256];
    unsigned long long kb = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* Writes text to a new temp file named after stem; path gets its name. */
static int write_tmp(char *path, size_t cap, const char *stem, const char *text)
{
    FILE *f;
    int rc = em__bench_tmpfile(path, cap, stem, &f);
    if (rc)
        return rc;
    size_t n = strlen(text);
    rc = fwrite(text, 1, n, f) == n ? 0 : EM_EIO;
    if (fclose(f) && !rc)
        rc = EM_EIO;
    return rc;
}

static const char job_fmt[] =
    "SET http = 'off';\nSET log_level = 'warn';\nSET workers = 1;\n"
    "SET batch_interval = '10ms';\nSET max_batch_records = 65536;\n"
    "CREATE SOURCE s (k BIGINT, v DOUBLE) WITH (connector = 'file', path = '%s'%s);\n"
    "CREATE SINK o WITH (connector = 'stdout') AS %s;\n";

static int bench_footprint(const em_bench_opts *o, em__bench_result *r)
{
    char exe[4096], data[512] = "", sql[512] = "", text[2048];
    struct stat st;
    uint64_t keys = (uint64_t)(1e6 * (o->scale < 1 ? o->scale : 1)), rss = 0;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    int rc;
    if (n <= 0 || stat((exe[n] = 0, exe), &st) != 0)
        return EM_EIO;
    em__bench_extra(r, "binary_bytes", (double)st.st_size);

    /* idle: a follow-mode source on an empty file */
    if ((rc = write_tmp(data, sizeof data, "idle-data", "")))
        return rc;
    snprintf(text, sizeof text, job_fmt, data, ", follow = true", "SELECT k, v FROM s");
    if ((rc = write_tmp(sql, sizeof sql, "idle-job", text)))
        goto done;
    pid_t pid = spawn_run(exe, sql);
    if (pid < 0) {
        rc = EM_EIO;
        goto done;
    }
    usleep(500000);
    uint64_t idle = child_rss(pid);
    kill(pid, SIGTERM);
    wait_child(pid, NULL);
    em__bench_extra(r, "idle_rss_bytes", (double)idle);
    unlink(data);
    unlink(sql);

    /* start to first batch: one record */
    if ((rc = write_tmp(data, sizeof data, "one-data", "{\"k\":1,\"v\":2.5}\n")))
        return rc;
    snprintf(text, sizeof text, job_fmt, data, "", "SELECT k, v FROM s");
    if ((rc = write_tmp(sql, sizeof sql, "one-job", text)))
        goto done;
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        double t0 = em__bench_wall();
        pid = spawn_run(exe, sql);
        if (pid < 0 || wait_child(pid, NULL) != 0) {
            rc = EM_EIO;
            goto done;
        }
        double t = (em__bench_wall() - t0) * 1e3;
        best = t < best ? t : best;
    }
    em__bench_extra(r, "first_batch_ms", best);
    unlink(data);
    unlink(sql);

    /* 1,000,000 keys of running aggregate state */
    FILE *f;
    if ((rc = em__bench_tmpfile(data, sizeof data, "keys-data", &f)))
        return rc;
    for (uint64_t k = 0; k < keys && !rc; k++)
        if (fprintf(f, "{\"k\":%llu,\"v\":1.5}\n", (unsigned long long)k) < 0)
            rc = EM_EIO;
    if (fclose(f) && !rc)
        rc = EM_EIO;
    if (rc)
        goto done;
    snprintf(text, sizeof text, job_fmt, data, "",
             "SELECT k, count(*) AS n, sum(v) AS total FROM s GROUP BY k");
    if ((rc = write_tmp(sql, sizeof sql, "keys-job", text)))
        goto done;
    double t0 = em__bench_wall();
    pid = spawn_run(exe, sql);
    if (pid < 0 || wait_child(pid, &rss) != 0) {
        rc = EM_EIO;
        goto done;
    }
    r->seconds = em__bench_wall() - t0;
    r->records = keys;
    em__bench_extra(r, "keys", (double)keys);
    em__bench_extra(r, "keys_rss_bytes", (double)rss);
    r->note = "targets: idle RSS <= 5 MB, start to first batch <= 10 ms";
done:
    if (data[0])
        unlink(data);
    if (sql[0])
        unlink(sql);
    return rc;
}

const em__bench_def em__bench_footprint[] = {
    {"footprint", "binary size, idle RSS, start to first batch, RSS with 1M keys",
     bench_footprint},
};
const uint32_t em__bench_footprint_n = 1;
