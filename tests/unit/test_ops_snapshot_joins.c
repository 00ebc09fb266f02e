/*
 * Unit tests for the state snapshots of the stream-table join (table
 * upserts and deletes), the interval join (inner and left outer, matched
 * flags) and the silence detector (keyed state with timers, event and
 * processing time): restore at every micro-batch boundary equals an
 * uninterrupted run, damaged snapshots fail cleanly, other configurations
 * are refused. Aggregates are in test_ops_snapshot.c.
 */
#include "ops/join.h"
#include "core/codec.h"
#include "ops/keyed.h"
#include "snap_harness.h"

/* ---- stream-table join ---- */

typedef struct tj_cfg {
    const em_schema *stream, *table;
    int left;
} tj_cfg;

static em_op *mk_tj(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const tj_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_table_join_create(&op, "tj", c->stream, 0, c->table, 0, c->left, &err))
        printf("    create: %s\n", err.msg);
    return op;
}

static void key_val(trow *r, int text, int64_t k)
{
    r->i[0] = k;
    snprintf(r->s[0], sizeof r->s[0], "%s%lld", k % 3 ? "dev-" : "long-device-name-",
             (long long)(k % 1000));
    (void)text;
}

/* port 1: table (id, name TEXT, w DOUBLE) upserts and deletes; port 0:
 * stream (k, v BIGINT) */
static void tj_script(script *sc, const em_schema *st, const em_schema *tb, unsigned seed,
                      uint32_t nb)
{
    srand(seed);
    memset(sc, 0, sizeof *sc);
    sc->schema[0] = st;
    sc->schema[1] = tb;
    sc->first_port = 1;
    sc->nb = nb;
    sc->b = calloc(nb, sizeof *sc->b);
    for (uint32_t i = 0; i < nb; i++) {
        mbatch *mb = &sc->b[i];
        uint32_t nt = (uint32_t)rand() % 30, ns = (uint32_t)rand() % 60;
        for (uint32_t j = 0; j < nt; j++) {
            trow *r = add_row(mb, 1);
            key_val(r, 0, rand() % 25);
            r->null[0] = rand() % 40 == 0;
            snprintf(r->s[1], sizeof r->s[1], "%s", words[rand() % 6]);
            r->null[1] = rand() % 4 == 0;
            r->d[2] = rand() % 100 / 4.0;
            r->null[2] = rand() % 4 == 0;
        }
        for (uint32_t j = 0; j < ns; j++) {
            trow *r = add_row(mb, 0);
            key_val(r, 0, rand() % 30);
            r->null[0] = rand() % 20 == 0;
            r->i[1] = rand() % 1000;
        }
        mb->lt = 1000000 * (int64_t)(i + 1);
        mb->wm = EM_TS_MIN;
    }
}

static void tj_case(em_type kt, int left, unsigned seed)
{
    const char *sn[] = {"k", "v"}, *tn[] = {"id", "name", "w"};
    em_type stt[] = {kt, EM_TYPE_BIGINT}, ttt[] = {kt, EM_TYPE_TEXT, EM_TYPE_DOUBLE};
    em_schema *st = em_schema_create(2, sn, stt), *tb = em_schema_create(3, tn, ttt);
    tj_cfg c = {st, tb, left};
    script sc;
    tj_script(&sc, st, tb, seed, 12);
    check_script(&sc, mk_tj, &c, plain, 1, NULL);
    damage_case(&sc, mk_tj, &c, 6);
    em_type t2[] = {kt, EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *tb2 = em_schema_create(3, tn, t2);
    tj_cfg c2 = {st, tb2, left};
    CHECK(refuse_case(&sc, mk_tj, &c, &c2,
                      "table column 3 type is DOUBLE in the snapshot but BIGINT"));
    script_free(&sc);
    em_schema_destroy(st);
    em_schema_destroy(tb);
    em_schema_destroy(tb2);
}

TEST(table_join_upserts_and_deletes)
{
    tj_case(EM_TYPE_BIGINT, 0, 61);
    tj_case(EM_TYPE_BIGINT, 1, 62);
    tj_case(EM_TYPE_TEXT, 1, 63);
}

/* ---- interval join ---- */

typedef struct ij_cfg {
    const em_schema *l, *r;
    int64_t lower, upper;
    int outer;
} ij_cfg;

static em_op *mk_ij(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const ij_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_interval_join_create(&op, "ij", c->l, 0, 1, c->r, 0, 1, c->lower, c->upper, c->outer,
                                &err))
        printf("    create: %s\n", err.msg);
    return op;
}

/* left (k, ts, x BIGINT), right (k, ts, s TEXT): times jitter around a
 * clock, the watermark trails the newest time by 1.5 s */
static void ij_script(script *sc, const em_schema *l, const em_schema *r, unsigned seed,
                      uint32_t nb, int text_key)
{
    srand(seed);
    memset(sc, 0, sizeof *sc);
    sc->schema[0] = l;
    sc->schema[1] = r;
    sc->nb = nb + 1;
    sc->b = calloc(sc->nb, sizeof *sc->b);
    int64_t clock = 5000000, maxts = EM_TS_MIN;
    for (uint32_t i = 0; i < nb; i++) {
        mbatch *mb = &sc->b[i];
        uint32_t n = (uint32_t)rand() % 80;
        for (uint32_t j = 0; j < n; j++) {
            trow *t = add_row(mb, rand() % 2);
            key_val(t, text_key, rand() % 12);
            t->null[0] = rand() % 30 == 0;
            t->i[1] = clock + (rand() % 3000 - 2000) * 1000;
            t->null[1] = rand() % 40 == 0;
            t->i[2] = rand() % 100;
            snprintf(t->s[2], sizeof t->s[2], "%s", words[rand() % 6]);
            t->null[2] = rand() % 10 == 0;
            if (!t->null[1] && t->i[1] > maxts) maxts = t->i[1];
        }
        clock += 1000000;
        mb->lt = clock;
        mb->wm = maxts == EM_TS_MIN ? EM_TS_MIN : maxts - 1500000;
    }
    sc->b[nb].wm = EM_TS_MAX;
    sc->b[nb].lt = clock + 1000000;
}

static void ij_case(int outer, em_type kt, unsigned seed)
{
    const char *ln[] = {"k", "ts", "x"}, *rn[] = {"rk", "rts", "s"};
    em_type lt[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT},
            rt[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_TEXT};
    em_schema *l = em_schema_create(3, ln, lt), *r = em_schema_create(3, rn, rt);
    ij_cfg c = {l, r, -2000000, 3000000, outer};
    script sc;
    ij_script(&sc, l, r, seed, 14, kt == EM_TYPE_TEXT);
    check_script(&sc, mk_ij, &c, plain, 1, NULL);
    damage_case(&sc, mk_ij, &c, 5);
    ij_cfg c2 = c;
    c2.upper = 4000000;
    CHECK(refuse_case(&sc, mk_ij, &c, &c2,
                      "upper bound (us) is 3000000 in the snapshot but 4000000"));
    script_free(&sc);
    em_schema_destroy(l);
    em_schema_destroy(r);
}

TEST(interval_join_inner_and_left_outer)
{
    ij_case(0, EM_TYPE_BIGINT, 71);
    ij_case(1, EM_TYPE_BIGINT, 72);
    ij_case(1, EM_TYPE_TEXT, 73);
}

/* ---- silence detector ---- */

typedef struct si_cfg {
    const em_schema *in;
    int time_col;
    int64_t timeout;
} si_cfg;

static em_op *mk_si(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const si_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_silence_create(&op, "si", c->in, 0, c->time_col, c->timeout, &err))
        printf("    create: %s\n", err.msg);
    return op;
}

static void si_case(int event_time, em_type kt, unsigned seed)
{
    const char *n[] = {"k", "ts", "x"};
    em_type t[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT};
    em_schema *in = em_schema_create(3, n, t);
    si_cfg c = {in, event_time ? 1 : -1, 2500000};
    script sc;
    /* keys talk in bursts: a third of them in each span of 4 micro-batches */
    ij_script(&sc, in, NULL, seed, 24, kt == EM_TYPE_TEXT);
    for (uint32_t i = 0; i < sc.nb; i++) {
        uint32_t m = 0;
        for (uint32_t j = 0; j < sc.b[i].n; j++) {
            trow *r = &sc.b[i].rows[j];
            if ((r->i[0] + i / 4) % 3 || rand() % 3 == 0) continue;
            r->port = 0;
            sc.b[i].rows[m++] = *r;
        }
        sc.b[i].n = m;
    }
    check_script(&sc, mk_si, &c, plain, 1, NULL);
    damage_case(&sc, mk_si, &c, 8);
    si_cfg c2 = c;
    c2.timeout = 1000000;
    CHECK(refuse_case(&sc, mk_si, &c, &c2, "timeout (us) is 2500000 in the snapshot but 1000000"));
    script_free(&sc);
    em_schema_destroy(in);
}

TEST(silence_with_timers)
{
    si_case(1, EM_TYPE_BIGINT, 81);
    si_case(1, EM_TYPE_TEXT, 82);
    si_case(0, EM_TYPE_BIGINT, 83);
}

/* ---- keyed state with TTL and timers ---- */

typedef struct ev_log {
    char ev[4096][48];
    uint32_t n;
} ev_log;

static int log_fire(void *ud, em_keyed *k, uint32_t id, int64_t t)
{
    ev_log *l = ud;
    if (l->n < 4096)
        snprintf(l->ev[l->n++], sizeof l->ev[0], "fire %lld at %lld",
                 (long long)*(int64_t *)em_keyed_state(k, id), (long long)t);
    return 0;
}

static int log_expire(void *ud, em_keyed *k, uint32_t id, int64_t t)
{
    ev_log *l = ud;
    if (l->n < 4096)
        snprintf(l->ev[l->n++], sizeof l->ev[0], "expire %lld at %lld last %lld",
                 (long long)*(int64_t *)em_keyed_state(k, id), (long long)t,
                 (long long)em_keyed_last_seen(k, id));
    return 0;
}

static int cmp_ev(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* One step on k: upsert/touch/set timers for rows, maybe remove, then fire
 * and expire up to now; events go to l. */
static void keyed_step(em_keyed *k, const em_column *c, const int64_t *kv, uint32_t n,
                       const int64_t *timer, int remove_first, int64_t now, ev_log *l)
{
    uint32_t rows[64] = {0};
    int32_t ids[64] = {0};
    for (uint32_t i = 0; i < n; i++)
        rows[i] = i;
    CHECK_EQ_INT(em_keyed_upsert(k, c, rows, n, ids, NULL), 0);
    for (uint32_t i = 0; i < n; i++) {
        *(int64_t *)em_keyed_state(k, (uint32_t)ids[i]) = kv[i];
        em_keyed_touch(k, (uint32_t)ids[i], now - (int64_t)(i % 7) * 10);
        if (timer[i] == -1)
            em_keyed_clear_timer(k, (uint32_t)ids[i]);
        else if (timer[i])
            em_keyed_set_timer(k, (uint32_t)ids[i], timer[i]);
    }
    if (remove_first && n) em_keyed_remove(k, (uint32_t)ids[0]);
    CHECK_EQ_INT(em_keyed_fire(k, now, log_fire, l), 0);
    CHECK_EQ_INT(em_keyed_expire(k, now, log_expire, l, NULL), 0);
}

TEST(keyed_ttl_and_timers_survive_restore)
{
    const char *name = "k";
    em_type t = EM_TYPE_TEXT;
    em_schema *s = em_schema_create(1, &name, &t);
    em_keyed *a = NULL, *b = NULL;
    ev_log *la = calloc(1, sizeof *la), *lb = calloc(1, sizeof *lb);
    em_arena ar;
    em_arena_init(&ar, 0);
    CHECK_EQ_INT(em_keyed_create(&a, EM_TYPE_TEXT, sizeof(int64_t), 500), 0);
    CHECK_EQ_INT(em_keyed_create(&b, EM_TYPE_TEXT, sizeof(int64_t), 500), 0);
    srand(91);
    uint32_t events = 0;
    for (int step = 0; step < 60; step++) {
        int64_t now = 1000 + step * 100, kv[64], timer[64];
        uint32_t n = (uint32_t)rand() % 20;
        em_batch_builder bb;
        em_batch_builder_init(&bb, s, 64, &ar);
        for (uint32_t i = 0; i < n; i++) {
            char key[32];
            kv[i] = rand() % 40;
            int len = snprintf(key, sizeof key, "%s%lld", kv[i] % 2 ? "sensor-with-long-id-" : "s",
                               (long long)kv[i]);
            em_batch_builder_set_text(&bb, 0, key, (size_t)len);
            em_batch_builder_end_row(&bb);
            int r = rand() % 6;
            timer[i] = r == 0 ? -1 : r < 3 ? now + rand() % 700 : 0;
        }
        em_batch *batch = em_batch_builder_finish(&bb);
        int rm = rand() % 5 == 0;
        la->n = lb->n = 0;
        keyed_step(a, &batch->cols[0], kv, n, timer, rm, now, la);
        keyed_step(b, &batch->cols[0], kv, n, timer, rm, now, lb);
        CHECK_EQ_INT(la->n, lb->n);
        qsort(la->ev, la->n, sizeof la->ev[0], cmp_ev);
        qsort(lb->ev, lb->n, sizeof lb->ev[0], cmp_ev);
        for (uint32_t i = 0; i < la->n && i < lb->n; i++)
            CHECK_EQ_STR(la->ev[i], lb->ev[i]);
        events += la->n;
        /* b: snapshot, a fresh keyed state, load */
        em_buf buf;
        em_buf_init(&buf, 1 << 20);
        CHECK_EQ_INT(em__keyed_snap(b, &buf), 0);
        em_keyed_destroy(b);
        CHECK_EQ_INT(em_keyed_create(&b, EM_TYPE_TEXT, sizeof(int64_t), 500), 0);
        em_dec d;
        em_dec_init(&d, buf.ptr, buf.len);
        CHECK_EQ_INT(em__keyed_load(b, &d, NULL), 0);
        CHECK(em_dec_ok(&d) && em_dec_left(&d) == 0);
        CHECK_EQ_INT(em_keyed_count(b), em_keyed_count(a));
        em_buf_release(&buf);
        em_arena_reset(&ar);
    }
    CHECK(events > 50); /* timers fired and keys expired along the way */
    em_keyed_destroy(a);
    em_keyed_destroy(b);
    em_arena_release(&ar);
    em_schema_destroy(s);
    free(la);
    free(lb);
}

int main(void)
{
    RUN(table_join_upserts_and_deletes);
    RUN(interval_join_inner_and_left_outer);
    RUN(silence_with_timers);
    RUN(keyed_ttl_and_timers_survive_restore);
    return t_done();
}
