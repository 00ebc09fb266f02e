/*
 * cli/job.c - `ember run`, `ember check`, `ember explain`: load a SQL job
 * and run, validate or describe it.
 *
 * Exit status: 0 success, 1 job or input error (the message says what and
 * where), 2 usage. SIGINT/SIGTERM stop a running job gracefully (the
 * micro-batch in flight finishes and commits); a second signal exits at
 * once.
 */
#include "cli/cli.h"

#include "core/str.h"
#include "ember/ember.h"
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
        char v[64];
        long long ms = 30000;
        if (!em_engine_get(e, "shutdown_timeout", v, sizeof v))
            ms = strtoll(v, NULL, 10) / (strstr(v, "us") ? 1000 : 1);
        shutdown_secs = ms < 1000 ? 1 : (unsigned)((ms + 999) / 1000);
        if (em_engine_run(e)) {
            fprintf(stderr, "ember: %s: %s\n", file, em_engine_errmsg(e));
            status = 1;
        }
        running = NULL;
    }
    em_engine_destroy(e);
    return status;
}
