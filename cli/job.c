/*
 * cli/job.c - `ember run`, `ember check`, `ember explain`: load a SQL job
 * and run, validate or describe it.
 *
 * Exit status: 0 success, 1 job or input error (the message says what and
 * where), 2 usage. SIGINT/SIGTERM stop a running job gracefully (the
 * micro-batch in flight finishes and commits); a second signal exits at
 * once.
 *
 * While a job runs, the web UI and REST API serve at the `http` setting
 * (ember/http.h) when Ember was built with libmicrohttpd. A port already in
 * use only costs the UI (a warning), a non-loopback address without a token
 * refuses to run.
 */
#include "cli/cli.h"

#include "core/str.h"
#include "ember/ember.h"
#include "ember/http.h"
#include "ember/stats.h"
#include "sql/planner.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static em_engine *running;
static volatile sig_atomic_t signals_seen;

static unsigned shutdown_secs; /* shutdown_timeout, whole seconds (at least 1) */

/* The first SIGINT/SIGTERM asks for a graceful stop and arms an alarm at
 * shutdown_timeout; a second signal, or the alarm, ends the process at
 * once. Either way the checkpoint stays consistent: a restart recovers. */
static void on_signal(int sig)
{
    if (sig != SIGALRM && signals_seen++ == 0 && running) {
        em_engine_request_stop(running); /* async-signal-safe */
        alarm(shutdown_secs);
        return;
    }
    static const char again[] = "ember: second signal: stopping now\n";
    static const char late[] = "ember: shutdown_timeout passed: stopping now\n";
    ssize_t w = sig == SIGALRM ? write(2, late, sizeof late - 1) : write(2, again, sizeof again - 1);
    (void)w;
    _exit(1);
}

/* The job's name for the UI: the file name without directory and ".sql". */
static void job_name(const char *file, char *out, size_t cap)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    snprintf(out, cap, "%s", base);
    size_t n = strlen(out);
    if (n > 4 && !strcmp(out + n - 4, ".sql"))
        out[n - 4] = 0;
}

/* Starts the web server for a run. Returns 0 (with *out possibly NULL:
 * off, unavailable or the port is taken) or 1 when the job must not run. */
static int start_http(em_engine *e, const char *file, em_http **out)
{
    *out = NULL;
#ifdef EMBER_HAVE_HTTP
    char name[256], err[512];
    job_name(file, name, sizeof name);
    int rc = em_http_start(e, name, out, err, sizeof err);
    if (rc == EM_EIO) {
        em_engine_log(e, 1, "http", "%s; running without the web UI", err);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "ember: %s: %s\n", file, err);
        return 1;
    }
    if (*out) {
        char spec[256];
        em_engine_get(e, "http", spec, sizeof spec);
        char *colon = strrchr(spec, ':');
        if (colon)
            *colon = 0;
        em_engine_log(e, 2, "http", "web UI and REST API at http://%s:%d/", spec,
                      em_http_port(*out));
    }
#else
    char spec[256];
    (void)file;
    (void)job_name;
    em_engine_get(e, "http", spec, sizeof spec);
    if (strcmp(spec, "off") != 0)
        em_engine_log(e, 2, "http", "built without libmicrohttpd: no web UI or REST API");
#endif
    return 0;
}

/* shutdown_timeout in whole seconds, rounded up, at least 1 (for alarm). */
static unsigned timeout_secs(const em_engine *e)
{
    static const struct { const char *unit; double secs; } units[] = {
        {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"min", 60}, {"h", 3600}, {"d", 86400},
    };
    char v[64];
    if (em_engine_get(e, "shutdown_timeout", v, sizeof v))
        return 30;
    char *end;
    double x = strtod(v, &end), secs = x;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].unit))
            secs = x * units[i].secs;
    return secs <= 1 ? 1 : secs > 86400 ? 86400 : (unsigned)(secs + 0.999);
}

static const char job_usage[] =
    "usage: ember run JOB.sql [--set name=value]... [--checkpoint DIR] [--reset-state OP]...\n"
    "       ember check JOB.sql [--set name=value]... [--against DIR]\n"
    "       ember explain JOB.sql [--set name=value]...\n"
    "\n"
    "  --set name=value   override a setting of the job (repeatable), e.g.\n"
    "                     --set batch_interval=100ms --set log_level=debug\n"
    "  --checkpoint DIR   the job's checkpoint directory (checkpoint_dir)\n"
    "  --reset-state OP   start operator OP (an id from `ember explain`) with empty\n"
    "                     state instead of refusing state it cannot use (repeatable)\n"
    "  --against DIR      check: report, per stateful operator, whether the state\n"
    "                     in checkpoint DIR is kept, new, dropped or incompatible\n";

int em_cli_job(const char *cmd, int argc, char **argv)
{
    const char *file = NULL, *against = NULL;
    const char *kv[2 * 64 + 1], *resets[64];
    size_t nkv = 0, nresets = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(job_usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--against") || !strcmp(a, "--reset-state")) {
            if (i + 1 >= argc)
                return em_cli_usage("%s needs a value", a);
            if (!strcmp(a, "--against")) {
                if (strcmp(cmd, "check"))
                    return em_cli_usage("%s is an option of `ember check`", a);
                against = argv[++i];
            } else {
                if (strcmp(cmd, "run"))
                    return em_cli_usage("%s is an option of `ember run`", a);
                if (nresets == 64)
                    return em_cli_usage("too many %s options", a);
                resets[nresets++] = argv[++i];
            }
            continue;
        }
        if (!strcmp(a, "--set") || !strcmp(a, "--checkpoint")) {
            if (i + 1 >= argc)
                return em_cli_usage("%s needs a value", a);
            const char *v = argv[++i];
            if (nkv + 2 > 2 * 64)
                return em_cli_usage("too many --set options (%s)", v);
            if (!strcmp(a, "--checkpoint")) {
                kv[nkv++] = "checkpoint_dir";
                kv[nkv++] = v;
                continue;
            }
            char *eq = strchr(v, '=');
            if (!eq || eq == v)
                return em_cli_usage("--set takes name=value, got '%s'", v);
            *eq = 0;
            kv[nkv++] = v;
            kv[nkv++] = eq + 1;
            continue;
        }
        if (a[0] == '-' && a[1])
            return em_cli_usage("unknown option '%s'", a);
        if (file)
            return em_cli_usage("only one job file, got '%s' too", a);
        file = a;
    }
    if (!file)
        return em_cli_usage("%s needs a job file (JOB.sql)", cmd);
    kv[nkv] = NULL;

    em_engine *e = NULL;
    int rc = em_engine_create(&e);
    if (rc) {
        fprintf(stderr, "ember: %s\n", em_strerror(rc));
        return 1;
    }
    em_buf diag;
    em_buf_init(&diag, 1 << 20);
    em_sql_plan_opts opts = {kv};
    rc = em_sql_load_file(e, file, &opts, &diag);
    if (rc) {
        fputs(diag.ptr ? diag.ptr : "ember: could not load the job\n", stderr);
        em_buf_release(&diag);
        em_engine_destroy(e);
        return 1;
    }
    em_buf_release(&diag);
    int status = 0;
    for (size_t i = 0; i < nresets && !status; i++)
        if (em_engine_reset_state(e, resets[i]))
            status = 1;
    if (!strcmp(cmd, "check")) {
        if (against && em_engine_check_state(e, against, stdout)) {
            fprintf(stderr, "ember: %s: %s\n", file, em_engine_errmsg(e));
            status = 1;
        } else {
            printf("%s: ok\n", file);
        }
    } else if (!strcmp(cmd, "explain")) {
        status = em_engine_explain(e, stdout) ? 1 : 0;
    } else {
        running = e;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGALRM, &sa, NULL);
        shutdown_secs = timeout_secs(e);
        em_http *web = NULL;
        if (start_http(e, file, &web)) {
            status = 1;
        } else if (em_engine_run(e)) {
            fprintf(stderr, "ember: %s: %s\n", file, em_engine_errmsg(e));
            status = 1;
        }
#ifdef EMBER_HAVE_HTTP
        em_http_stop(web);
#endif
        running = NULL;
    }
    em_engine_destroy(e);
    return status;
}
