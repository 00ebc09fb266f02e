/*
 * Unit tests for src/engine/generator: determinism, O(1) seek, value
 * ranges, deterministic faults, subset/reordered target schemas, and the
 * fleet: regional episodes, stuck sensors, duplicates, outages.
 */
#include "batch/batch.h"
#include "core/mem.h"
#include "engine/generator.h"
#include "ember/error.h"
#include "t.h"

#include <math.h>

/* Generates n readings (full schema) into one batch from position pos. */
static em_batch *gen_batch(const em_gen_config *cfg, uint64_t pos, uint32_t n, em_arena *a,
                           em_gen **keep)
{
    em_gen *g = NULL;
    em_batch_builder bb;
    if (em_gen_create(&g, cfg))
        return NULL;
    em_gen_seek(g, pos);
    if (em_batch_builder_init(&bb, em_gen_schema(g), n, a)) {
        em_gen_destroy(g);
        return NULL;
    }
    int got = em_gen_next(g, &bb, n);
    em_batch *b = got == (int)n ? em_batch_builder_finish(&bb) : NULL;
    if (keep)
        *keep = g;
    else
        em_gen_destroy(g);
    return b;
}

static int same_row(const em_batch *x, uint32_t i, const em_batch *y, uint32_t j)
{
    for (uint32_t c = 0; c < x->ncols; c++) {
        const em_column *a = &x->cols[c], *b = &y->cols[c];
        if (em_column_is_null(a, i) != em_column_is_null(b, j))
            return 0;
        if (em_column_is_null(a, i))
            continue;
        switch (a->type) {
        case EM_TYPE_TEXT:
            if (!em_slice_eq(em_column_text(a, i), em_column_text(b, j)))
                return 0;
            break;
        case EM_TYPE_DOUBLE:
            if (a->v.f64[i] != b->v.f64[j])
                return 0;
            break;
        default:
            if (a->v.i64[i] != b->v.i64[j])
                return 0;
        }
    }
    return 1;
}

TEST(schema_and_ids)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.devices = 3;
    cfg.seed = 42;
    em_gen *g = NULL;
    em_batch *b = gen_batch(&cfg, 0, 7, &a, &g);
    CHECK(b != NULL);
    if (b) {
        const em_schema *s = em_gen_schema(g);
        CHECK_EQ_INT(s->nfields, 8);
        CHECK_EQ_STR(s->fields[0].name, "device_id");
        CHECK_EQ_INT(s->fields[4].type, EM_TYPE_BIGINT);
        CHECK(em_slice_eq_cstr_ci(em_column_text(&b->cols[0], 0), "dev-0000"));
        CHECK(em_slice_eq_cstr_ci(em_column_text(&b->cols[0], 2), "dev-0002"));
        CHECK(em_slice_eq_cstr_ci(em_column_text(&b->cols[0], 4), "dev-0001"));
        CHECK_EQ_INT(b->cols[1].v.i64[0], EM_GEN_DEFAULT_START_US);
        CHECK_EQ_INT(b->cols[1].v.i64[2], EM_GEN_DEFAULT_START_US);
        CHECK_EQ_INT(b->cols[1].v.i64[3], EM_GEN_DEFAULT_START_US + 10 * EM_USEC_PER_SEC);
        CHECK_EQ_INT(em_gen_position(g), 7);
    }
    em_gen_destroy(g);
    em_arena_release(&a);
}

TEST(deterministic)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 7;
    cfg.faults = 1;
    em_batch *x = gen_batch(&cfg, 0, 500, &a, NULL);
    em_batch *y = gen_batch(&cfg, 0, 500, &a, NULL);
    cfg.seed = 8;
    em_batch *z = gen_batch(&cfg, 0, 500, &a, NULL);
    CHECK(x && y && z);
    if (x && y && z) {
        int same = 1, diff = 0;
        for (uint32_t i = 0; i < 500; i++) {
            same &= same_row(x, i, y, i);
            diff += !same_row(x, i, z, i);
        }
        CHECK(same);
        CHECK(diff > 400);
    }
    em_arena_release(&a);
}

TEST(seek_equivalence)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 99;
    cfg.faults = 1;
    cfg.devices = 17;
    em_batch *full = gen_batch(&cfg, 0, 3000, &a, NULL);
    em_batch *tail = gen_batch(&cfg, 2345, 500, &a, NULL);
    CHECK(full && tail);
    if (full && tail) {
        int same = 1;
        for (uint32_t i = 0; i < 500 && 2345 + i < 3000; i++)
            same &= same_row(full, 2345 + i, tail, i);
        CHECK(same);
    }
    /* Reading in small steps gives the same rows as one big step. */
    em_gen *g = NULL;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), 0);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, em_gen_schema(g), 3000, &a), 0);
    int total = 0, r;
    while (total < 3000 && (r = em_gen_next(g, &bb, 7)) > 0)
        total += r;
    CHECK_EQ_INT(total, 3000);
    em_batch *steps = em_batch_builder_finish(&bb);
    int same = 1;
    for (uint32_t i = 0; full && i < 3000; i++)
        same &= same_row(full, i, steps, i);
    CHECK(same);
    em_gen_destroy(g);
    em_arena_release(&a);
}

TEST(count_bound)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.count = 25;
    em_gen *g = NULL;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), 0);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, em_gen_schema(g), 100, &a), 0);
    CHECK_EQ_INT(em_gen_next(g, &bb, 10), 10);
    CHECK_EQ_INT(em_gen_next(g, &bb, 100), 15);
    CHECK_EQ_INT(em_gen_next(g, &bb, 100), 0);
    CHECK_EQ_INT(em_gen_position(g), 25);
    em_gen_destroy(g);
    cfg.rate = -1;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), EM_EINVAL);
    CHECK(g == NULL);
    em_arena_release(&a);
}

TEST(ranges_without_faults)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 3;
    uint32_t n = 20000; /* 100 devices x 200 rounds */
    cfg.interval_us = 60 * EM_USEC_PER_SEC * 5; /* 200 x 5 min: most of a day */
    em_batch *b = gen_batch(&cfg, 0, n, &a, NULL);
    CHECK(b != NULL);
    int ok = 1, ordered = 1;
    double pm_min = 1e9, pm_max = -1e9, co2_min = 1e9, co2_max = -1e9;
    for (uint32_t i = 0; b && i < n; i++) {
        for (uint32_t c = 0; c < b->ncols; c++)
            ok &= !em_column_is_null(&b->cols[c], i);
        double pm25 = b->cols[2].v.f64[i], pm10 = b->cols[3].v.f64[i];
        double co2 = (double)b->cols[4].v.i64[i], voc = b->cols[5].v.f64[i];
        double t = b->cols[6].v.f64[i], h = b->cols[7].v.f64[i];
        ok &= pm25 >= 1 && pm25 <= 150 && pm10 >= pm25;
        ok &= co2 >= 400 && co2 <= 2000 && voc >= 0 && t > 10 && t < 35;
        ok &= h >= 20 && h <= 80;
        ok &= round(pm25 * 10) / 10 == pm25 && round(t * 10) / 10 == t;
        if (i && b->cols[1].v.i64[i] < b->cols[1].v.i64[i - 1])
            ordered = 0;
        pm_min = fmin(pm_min, pm25);
        pm_max = fmax(pm_max, pm25);
        co2_min = fmin(co2_min, co2);
        co2_max = fmax(co2_max, co2);
    }
    CHECK(ok);
    CHECK(ordered);
    CHECK(pm_min < 10 && pm_max > 35); /* typical values plus episodes */
    CHECK(co2_min < 500 && co2_max > 900); /* daily occupancy cycle */
    em_arena_release(&a);
}

TEST(faults_present)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 11;
    cfg.faults = 1;
    uint32_t n = 5000;
    em_batch *b = gen_batch(&cfg, 0, n, &a, NULL);
    CHECK(b != NULL);
    int nulls = 0, negative = 0, huge = 0, late = 0, spikes = 0;
    for (uint32_t i = 0; b && i < n; i++) {
        for (uint32_t c = 2; c < b->ncols; c++)
            nulls += em_column_is_null(&b->cols[c], i);
        if (!em_column_is_null(&b->cols[2], i)) {
            negative += b->cols[2].v.f64[i] < 0;
            huge += b->cols[2].v.f64[i] == 5000.0;
        }
        if (!em_column_is_null(&b->cols[4], i))
            spikes += b->cols[4].v.i64[i] > 2000;
        int64_t expect = EM_GEN_DEFAULT_START_US + (int64_t)(i / 100) * 10 * EM_USEC_PER_SEC;
        if (b->cols[1].v.i64[i] < expect) {
            late++;
            CHECK(expect - b->cols[1].v.i64[i] <= 60 * EM_USEC_PER_SEC);
        }
    }
    CHECK(nulls > 0);
    CHECK(negative > 0);
    CHECK(huge > 0);
    CHECK(late > 0);
    CHECK(spikes > 0);
    CHECK(nulls + negative + huge + late + spikes < (int)n / 10);
    em_arena_release(&a);
}

TEST(subset_schema_by_name)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 5;
    em_batch *full = gen_batch(&cfg, 0, 50, &a, NULL);
    const char *names[] = {"CO2", "extra", "Device_ID", "ts"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_TEXT, EM_TYPE_TIMESTAMP};
    em_schema *s = em_schema_create(4, names, types);
    em_gen *g = NULL;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), 0);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, s, 50, &a), 0);
    CHECK_EQ_INT(em_gen_next(g, &bb, 50), 50);
    em_batch *b = em_batch_builder_finish(&bb);
    int ok = 1;
    for (uint32_t i = 0; full && i < 50; i++) {
        ok &= b->cols[0].v.i64[i] == full->cols[4].v.i64[i];
        ok &= em_column_is_null(&b->cols[1], i);
        ok &= em_slice_eq(em_column_text(&b->cols[2], i), em_column_text(&full->cols[0], i));
        ok &= b->cols[3].v.i64[i] == full->cols[1].v.i64[i];
    }
    CHECK(full != NULL);
    CHECK(ok);
    em_schema_destroy(s);

    /* A matched column of the wrong type is refused. */
    const char *bad_names[] = {"pm25"};
    em_type bad_types[] = {EM_TYPE_TEXT};
    s = em_schema_create(1, bad_names, bad_types);
    CHECK_EQ_INT(em_batch_builder_init(&bb, s, 10, &a), 0);
    CHECK_EQ_INT(em_gen_next(g, &bb, 10), EM_ETYPE);
    em_schema_destroy(s);
    em_gen_destroy(g);
    em_arena_release(&a);
}

/* Regional (weather) episodes lift every device at once: the fleet-wide
 * mean PM2.5 of some round is far above that of the calmest round. */
TEST(regional_episodes)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 3;
    cfg.devices = 50;
    cfg.interval_us = 15 * 60 * EM_USEC_PER_SEC; /* 4 days of 15-minute rounds */
    uint32_t rounds = 4 * 96, n = rounds * cfg.devices;
    em_batch *b = gen_batch(&cfg, 0, n, &a, NULL);
    CHECK(b != NULL);
    double lo = 1e9, hi = 0;
    for (uint32_t r = 0; b && r < rounds; r++) {
        double sum = 0;
        for (uint32_t d = 0; d < cfg.devices; d++)
            sum += b->cols[2].v.f64[r * cfg.devices + d];
        lo = fmin(lo, sum / cfg.devices);
        hi = fmax(hi, sum / cfg.devices);
    }
    CHECK(hi > 2 * lo);
    em_arena_release(&a);
}

/* With faults: stuck PM sensors (a long run of one value from one device)
 * and duplicates (a device re-sending its previous time and values). */
TEST(stuck_and_duplicates)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 21;
    cfg.devices = 20;
    cfg.faults = 1;
    cfg.interval_us = 60 * EM_USEC_PER_SEC;
    uint32_t rounds = 3 * 1440, n = rounds * cfg.devices; /* 3 days, 1 per minute */
    em_batch *b = gen_batch(&cfg, 0, n, &a, NULL);
    CHECK(b != NULL);
    int longest = 0, dups = 0;
    for (uint32_t d = 0; b && d < cfg.devices; d++) {
        int run = 0;
        for (uint32_t r = 1; r < rounds; r++) {
            uint32_t i = r * cfg.devices + d, p = i - cfg.devices;
            const em_column *pm = &b->cols[2];
            int same = !em_column_is_null(pm, i) && !em_column_is_null(pm, p) &&
                       pm->v.f64[i] == pm->v.f64[p];
            run = same ? run + 1 : 0;
            longest = run > longest ? run : longest;
            dups += b->cols[1].v.i64[i] == b->cols[1].v.i64[p] && same_row(b, i, b, p);
        }
    }
    CHECK(longest >= 30);
    CHECK(dups > 0 && dups < (int)n / 50);
    em_arena_release(&a);
}

/* Outages skip readings; the position counts them; seeking to a position
 * gives the rows a full scan gives from there. */
TEST(outages)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.seed = 5;
    cfg.devices = 10;
    cfg.count = 20000;
    cfg.outages = 0.05;
    cfg.interval_us = 60 * EM_USEC_PER_SEC;
    em_gen *g = NULL;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), 0);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, em_gen_schema(g), 20000, &a), 0);
    int total = 0, r;
    while ((r = em_gen_next(g, &bb, 333)) > 0)
        total += r;
    em_batch *all = em_batch_builder_finish(&bb);
    CHECK_EQ_INT(em_gen_position(g), 20000);
    CHECK(total < 19500 && total > 15000);
    /* every device is offline for a while: some device has a gap of an hour */
    int64_t last[10], gap = 0;
    for (int d = 0; d < 10; d++)
        last[d] = INT64_MIN;
    for (int i = 0; all && i < total; i++) {
        em_slice id = em_column_text(&all->cols[0], (uint32_t)i);
        int d = id.ptr[id.len - 1] - '0';
        int64_t t = all->cols[1].v.i64[i];
        if (last[d] != INT64_MIN && t - last[d] > gap)
            gap = t - last[d];
        last[d] = t;
    }
    CHECK(gap >= 60 * 60 * EM_USEC_PER_SEC);
    /* seek to the middle: the same rows as the full scan from there */
    em_gen_seek(g, 10000);
    CHECK_EQ_INT(em_batch_builder_init(&bb, em_gen_schema(g), 20000, &a), 0);
    int tail = 0;
    while ((r = em_gen_next(g, &bb, 1000)) > 0)
        tail += r;
    em_batch *rest = em_batch_builder_finish(&bb);
    int same = tail > 0 && tail < total;
    for (int i = 0; same && i < tail; i++)
        same = same_row(all, (uint32_t)(total - tail + i), rest, (uint32_t)i);
    CHECK(same);
    em_gen_destroy(g);
    cfg.outages = 1.5;
    CHECK_EQ_INT(em_gen_create(&g, &cfg), EM_EINVAL);
    em_arena_release(&a);
}

int main(void)
{
    RUN(schema_and_ids);
    RUN(deterministic);
    RUN(seek_equivalence);
    RUN(count_bound);
    RUN(ranges_without_faults);
    RUN(faults_present);
    RUN(subset_schema_by_name);
    RUN(regional_episodes);
    RUN(stuck_and_duplicates);
    RUN(outages);
    return t_done();
}
