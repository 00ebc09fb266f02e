/*
 * examples/pipeline.c - an Ember job built with the C API.
 *
 * Simulated air-quality sensors -> readings with plausible PM2.5 ->
 * 1-minute tumbling window per device (avg/min/max PM2.5, count) -> stdout.
 *
 *   example_pipeline [COUNT]   COUNT readings (default 6000), then exit
 *   example_pipeline live      paced at 50 readings/s until Ctrl-C
 */
#include <ember/ember.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static em_engine *engine;

static void on_signal(int sig)
{
    (void)sig;
    em_engine_request_stop(engine); /* async-signal-safe */
}

int main(int argc, char **argv)
{
    int live = argc > 1 && strcmp(argv[1], "live") == 0;
    const char *count = argc > 1 && !live ? argv[1] : "6000";
    int rc = em_engine_create(&engine);
    if (rc) {
        fprintf(stderr, "example: %s\n", em_strerror(rc));
        return 1;
    }
    const char *names[] = {"device_id", "ts", "pm25"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    em_schema *schema = em_schema_create(3, names, types);
    const char *gen_live[] = {"devices", "5", "rate", "50", "seed", "7", NULL};
    const char *gen_bounded[] = {"devices", "5", "count", count, "seed", "7", NULL};
    em_stream *readings =
        schema ? em_source(engine, "readings", "generator", schema, live ? gen_live : gen_bounded)
               : NULL;
    em_schema_destroy(schema);
    if (!readings || em_source_watermark(readings, "ts", 5 * EM_USEC_PER_SEC))
        goto fail;
    em_expr *range[] = {em_col(engine, "pm25"), em_int(engine, 0), em_int(engine, 1000)};
    em_stream *clean = em_filter(readings, em_call(engine, "between", 3, range));
    if (!clean)
        goto fail;
    em_expr *keys[] = {em_col(engine, "device_id")};
    const char *key_names[] = {"device_id"};
    em_agg_call aggs[] = {
        {"avg", em_col(engine, "pm25"), 0, "pm25_avg"},
        {"min", em_col(engine, "pm25"), 0, "pm25_min"},
        {"max", em_col(engine, "pm25"), 0, "pm25_max"},
        {"count", NULL, 0, "n"},
    };
    em_window win = {EM_WINDOW_TUMBLE, "ts", 60 * EM_USEC_PER_SEC, 0, 0};
    em_stream *per_minute = em_aggregate(clean, 1, keys, key_names, 4, aggs, &win);
    if (!per_minute)
        goto fail;
    const char *out_opts[] = {"format", "json", NULL};
    if (em_sink(per_minute, "per_minute", "stdout", out_opts))
        goto fail;
    if (live) {
        em_engine_set(engine, "batch_interval", "1s");
        fprintf(stderr, "example: 5 simulated sensors at 50 readings/s; 1-minute windows "
                        "close as event time passes (Ctrl-C stops)\n");
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (em_engine_run(engine))
        goto fail;
    em_engine_destroy(engine);
    return 0;
fail:
    fprintf(stderr, "example: %s\n", em_engine_errmsg(engine));
    em_engine_destroy(engine);
    return 1;
}
