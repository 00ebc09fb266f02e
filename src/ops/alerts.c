/*
 * ops/alerts.c - threshold alerts with hysteresis, per key (see ember.h
 * em_alerts for what a user sees).
 *
 * Each key runs a small state machine in event time:
 *
 *   OK --v >= enter--> PENDING --held for `for`--> FIRING
 *   PENDING --v < enter--> OK
 *   FIRING --v <= exit--> CLEARING --held for `hold`--> OK (RESOLVED)
 *   CLEARING --v > exit--> FIRING
 *   any --no reading for `no_data`--> NO_DATA --reading--> OK/PENDING/FIRING
 *
 * A user sees OK, FIRING (FIRING, CLEARING) or NO_DATA; PENDING shows
 * what was shown before. Each change of what the user sees is emitted once:
 * FIRING, RESOLVED (FIRING -> OK), NO_DATA, and OK (NO_DATA -> OK). Deadlines (end of `for`, end of
 * `hold`, `no_data` after the last reading) are applied at their own time,
 * either by a timer when the watermark passes them (no input needed) or,
 * when a later reading of the key arrives first, just before that reading
 * is applied, so the output does not depend on how rows fall into
 * micro-batches. Readings older than the key's newest are dropped (counted
 * as late) since hysteresis needs order; NULL values are ignored. At the end
 * of bounded input time stops at the newest event time seen: deadlines
 * beyond it are not invented.
 */
#include "ember/error.h"
#include "ops/keyed.h"
#include "ops/snap.h"
#include "core/codec.h"
#include "ops/qc.h"

#include <math.h>
#include <string.h>

enum { S_NEW, S_OK, S_PENDING, S_FIRING, S_CLEARING, S_NO_DATA };

typedef struct al_state {
    int64_t since;   /* PENDING / CLEARING: when it started */
    int64_t last_ts; /* newest reading */
    double last_v;
    int st;    /* S_* */
    int shown; /* P_*: the last state emitted */
} al_state;

typedef struct al_op {
    em_op base;
    em_keyed *keys;
    int key_col, time_col, value_col;
    em_alert_options o;
    int64_t max_ts;  /* newest event time seen */
    uint32_t *rows;  /* scratch, EM_BATCH_ROWS each */
    int32_t *ids;
    em_batch_builder bb; /* output being filled; bb.b NULL when none */
    em_op_ctx *cx;
} al_op;

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? EM_TS_MAX : r;
}

static int64_t deadline(const al_op *a, const al_state *s)
{
    int64_t d = EM_TS_MAX, x;
    if (a->o.no_data_us > 0 && s->st != S_NEW && s->st != S_NO_DATA)
        d = sat_add(s->last_ts, a->o.no_data_us);
    if (s->st == S_PENDING && (x = sat_add(s->since, a->o.for_us)) < d)
        d = x;
    if (s->st == S_CLEARING && (x = sat_add(s->since, a->o.hold_us)) < d)
        d = x;
    return d;
}

static int flush(al_op *a)
{
    if (!a->bb.b)
        return 0;
    em_batch *b = em_batch_builder_finish(&a->bb);
    a->bb.b = NULL;
    return b ? em_op_emit(&a->base, b, a->cx) : EM_ENOMEM;
}

static int emit(al_op *a, uint32_t id, int64_t ts, const char *state, int has_v, double v)
{
    int rc;
    if (a->bb.b && em_batch_builder_full(&a->bb) && (rc = flush(a)))
        return rc;
    if (!a->bb.b && (rc = em_batch_builder_init(&a->bb, a->base.out_schema, EM_BATCH_ROWS,
                                                a->cx->arena))) {
        a->bb.b = NULL;
        return rc;
    }
    if ((rc = em_keyed_put_key(a->keys, id, &a->bb, 0)))
        return rc;
    em_batch_builder_set_i64(&a->bb, 1, ts);
    if ((rc = em_batch_builder_set_text(&a->bb, 2, state, strlen(state))))
        return rc;
    if (has_v)
        em_batch_builder_set_f64(&a->bb, 3, v);
    else if ((rc = em_batch_builder_set_null(&a->bb, 3)))
        return rc;
    return em_batch_builder_end_row(&a->bb);
}

/* What a user sees of a key: P_NONE until its first reading settles. */
enum { P_NONE, P_OK, P_FIRING, P_NO_DATA };

/* Moves key id to internal state st at time t (reading value v) and emits
 * the transition of what the user sees, if any. PENDING shows whatever was
 * shown before, so a key coming back from NO_DATA above `enter` shows
 * NO_DATA until it fires or drops below `enter`. */
static int go(al_op *a, uint32_t id, int st, int64_t t, int has_v, double v)
{
    al_state *s = em_keyed_state(a->keys, id);
    s->st = st;
    int shown = st == S_OK                           ? P_OK
                : st == S_FIRING || st == S_CLEARING ? P_FIRING
                : st == S_NO_DATA                    ? P_NO_DATA
                                                     : s->shown;
    if (shown == s->shown)
        return 0;
    int before = s->shown;
    s->shown = shown;
    const char *name = shown == P_FIRING    ? "FIRING"
                       : shown == P_NO_DATA ? "NO_DATA"
                       : before == P_FIRING ? "RESOLVED"
                       : before == P_NO_DATA ? "OK"
                                             : NULL;
    return name ? emit(a, id, t, name, has_v && shown != P_NO_DATA, v) : 0;
}

/* Applies every deadline of key id due at or before upto, in time order. */
static int apply_due(al_op *a, uint32_t id, int64_t upto)
{
    al_state *s = em_keyed_state(a->keys, id);
    int64_t d;
    int rc;
    while ((d = deadline(a, s)) <= upto && d != EM_TS_MAX) {
        if (s->st == S_PENDING && d == sat_add(s->since, a->o.for_us))
            rc = go(a, id, S_FIRING, d, 1, s->last_v);
        else if (s->st == S_CLEARING && d == sat_add(s->since, a->o.hold_us))
            rc = go(a, id, S_OK, d, 1, s->last_v);
        else
            rc = go(a, id, S_NO_DATA, d, 0, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static int rearm(al_op *a, uint32_t id)
{
    int64_t d = deadline(a, em_keyed_state(a->keys, id));
    if (d == EM_TS_MAX) {
        em_keyed_clear_timer(a->keys, id);
        return 0;
    }
    return em_keyed_set_timer(a->keys, id, d);
}

/* Applies one reading v at time t to key id (deadlines before t applied). */
static int reading(al_op *a, uint32_t id, int64_t t, double v)
{
    al_state *s = em_keyed_state(a->keys, id);
    s->last_ts = t;
    s->last_v = v;
    switch (s->st) {
    case S_NEW:
    case S_NO_DATA:
    case S_OK:
        if (v < a->o.enter)
            return go(a, id, S_OK, t, 1, v);
        if (a->o.for_us <= 0)
            return go(a, id, S_FIRING, t, 1, v);
        s->since = t;
        return go(a, id, S_PENDING, t, 1, v);
    case S_PENDING:
        return v < a->o.enter ? go(a, id, S_OK, t, 1, v) : 0;
    case S_FIRING:
        if (v > a->o.exit)
            return 0;
        if (a->o.hold_us <= 0)
            return go(a, id, S_OK, t, 1, v);
        s->since = t;
        return go(a, id, S_CLEARING, t, 1, v);
    case S_CLEARING:
        return v > a->o.exit ? go(a, id, S_FIRING, t, 1, v) : 0;
    }
    return 0;
}

static int al_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    al_op *a = (al_op *)op;
    const em_column *kc = &in->cols[a->key_col];
    const em_column *tc = &in->cols[a->time_col];
    const em_column *vc = &in->cols[a->value_col];
    uint32_t total = em_batch_count(in);
    int rc = 0;
    a->cx = cx;
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS, m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = em_batch_row(in, base + i);
            if (!em_column_is_null(kc, r) && !em_column_is_null(tc, r) &&
                !em_column_is_null(vc, r))
                a->rows[m++] = r;
        }
        if ((rc = em_keyed_upsert(a->keys, kc, a->rows, m, a->ids, NULL)))
            goto out;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t r = a->rows[i], id = (uint32_t)a->ids[i];
            int64_t t = tc->v.i64[r];
            double v = vc->type == EM_TYPE_DOUBLE ? vc->v.f64[r] : (double)vc->v.i64[r];
            al_state *s = em_keyed_state(a->keys, id);
            if (isnan(v))
                continue;
            if (s->st != S_NEW && t < s->last_ts) {
                op->stats.late_dropped++;
                continue;
            }
            if (t > a->max_ts)
                a->max_ts = t;
            if ((rc = apply_due(a, id, t)) || (rc = reading(a, id, t, v)) ||
                (rc = rearm(a, id)))
                goto out;
        }
    }
    rc = flush(a);
out:
    a->bb.b = NULL;
    op->stats.state_keys = em_keyed_count(a->keys);
    op->stats.state_bytes = em_keyed_bytes(a->keys);
    return rc;
}

static int on_timer(void *ud, em_keyed *k, uint32_t id, int64_t t)
{
    al_op *a = ud;
    (void)k;
    int rc = apply_due(a, id, t);
    return rc ? rc : rearm(a, id);
}

static int al_advance(em_op *op, int64_t wm, em_op_ctx *cx)
{
    al_op *a = (al_op *)op;
    a->cx = cx;
    int64_t upto = wm == EM_TS_MAX ? a->max_ts : wm;
    int rc = em_keyed_fire(a->keys, upto, on_timer, a);
    if (!rc)
        rc = flush(a);
    a->bb.b = NULL;
    return rc;
}

static void al_describe(const em_op *op, em_buf *out)
{
    const al_op *a = (const al_op *)op;
    em_buf_printf(out, "enter>=%g exit<=%g for=%lldus hold=%lldus no_data=%lldus, keys=%llu",
                  a->o.enter, a->o.exit, (long long)a->o.for_us, (long long)a->o.hold_us,
                  (long long)a->o.no_data_us, (unsigned long long)em_keyed_count(a->keys));
}

static void al_destroy(em_op *op)
{
    al_op *a = (al_op *)op;
    em_keyed_destroy(a->keys);
    em_free(a->rows);
    em_free(a->ids);
    em_op_release(op);
    em_free(a);
}

/* ---- snapshots ---- */

static void al_fp(const al_op *a, em__fp *fp)
{
    int64_t b;
    em__fp_init(fp);
    em__fp_text(fp, em_type_name(a->base.out_schema->fields[0].type), "key type");
    memcpy(&b, &a->o.enter, sizeof b);
    em__fp_num(fp, b, "enter");
    memcpy(&b, &a->o.exit, sizeof b);
    em__fp_num(fp, b, "exit");
    em__fp_num(fp, a->o.for_us, "for (us)");
    em__fp_num(fp, a->o.hold_us, "hold (us)");
    em__fp_num(fp, a->o.no_data_us, "no_data (us)");
}

static int al_state_ok(const void *p)
{
    const al_state *s = p;
    return s->st >= S_NEW && s->st <= S_NO_DATA && s->shown >= 0 && s->shown < 8;
}

static int al_snapshot(em_op *op, em_buf *out)
{
    al_op *a = (al_op *)op;
    em__fp fp;
    al_fp(a, &fp);
    int rc = em__snap_begin(out, op, &fp);
    rc = rc ? rc : em_enc_i64(out, a->max_ts);
    return rc ? rc : em__keyed_snap(a->keys, out);
}

static int al_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    al_op *a = (al_op *)op;
    em__fp fp;
    em_dec d;
    al_fp(a, &fp);
    int rc = em__snap_open(&d, op, &fp, p, n, err);
    if (rc)
        return rc;
    a->max_ts = em_dec_i64(&d);
    rc = em_dec_ok(&d) ? em__keyed_load(a->keys, &d, al_state_ok) : EM_ECORRUPT;
    op->stats.state_keys = em_keyed_count(a->keys);
    op->stats.state_bytes = em_keyed_bytes(a->keys);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    if (rc || em_dec_left(&d))
        return em__snap_corrupt(op, err, "bad per-key alert states");
    return 0;
}

static const em_op_vtable al_vt = {
    .kind = "alerts",
    .state_version = 1,
    .snapshot = al_snapshot,
    .restore = al_restore,
    .push = al_push,
    .advance = al_advance,
    .describe = al_describe,
    .destroy = al_destroy,
};

int em_alerts_create(em_op **out, const char *id, const em_schema *in, int key_col,
                     int time_col, int value_col, const em_alert_options *o, em_errbuf *err)
{
    uint32_t n = in->nfields;
    if (key_col < 0 || time_col < 0 || value_col < 0 || (uint32_t)key_col >= n ||
        (uint32_t)time_col >= n || (uint32_t)value_col >= n)
        return em_errf(err, EM_EINVAL, "alerts: column index out of range");
    if (in->fields[time_col].type != EM_TYPE_TIMESTAMP)
        return em_errf(err, EM_ETYPE, "alerts: time column \"%s\" must be a TIMESTAMP, not %s",
                       in->fields[time_col].name, em_type_name(in->fields[time_col].type));
    em_type vt = in->fields[value_col].type;
    if (vt != EM_TYPE_DOUBLE && vt != EM_TYPE_BIGINT)
        return em_errf(err, EM_ETYPE,
                       "alerts: value column \"%s\" must be BIGINT or DOUBLE, not %s",
                       in->fields[value_col].name, em_type_name(vt));
    if (in->fields[key_col].type == EM_TYPE_NULL)
        return em_errf(err, EM_ETYPE, "alerts: key column \"%s\" has no type",
                       in->fields[key_col].name);
    if (isnan(o->enter) || isnan(o->exit) || o->exit > o->enter)
        return em_errf(err, EM_EINVAL,
                       "alerts: needs enter and exit thresholds with exit <= enter (got %g, %g)",
                       o->enter, o->exit);
    if (o->for_us < 0 || o->hold_us < 0 || o->no_data_us < 0)
        return em_errf(err, EM_EINVAL, "alerts: durations must not be negative");
    const char *names[] = {in->fields[key_col].name, "ts", "state", "value"};
    em_type types[] = {in->fields[key_col].type, EM_TYPE_TIMESTAMP, EM_TYPE_TEXT,
                       EM_TYPE_DOUBLE};
    al_op *a = em_calloc(1, sizeof *a);
    em_schema *sch = em_schema_create(4, names, types);
    if (!a || !sch)
        goto oom;
    if (em_keyed_create(&a->keys, in->fields[key_col].type, sizeof(al_state), 0))
        goto oom;
    a->rows = em_malloc(EM_BATCH_ROWS * sizeof *a->rows);
    a->ids = em_malloc(EM_BATCH_ROWS * sizeof *a->ids);
    if (!a->rows || !a->ids || em_op_init(&a->base, &al_vt, id, sch, 1))
        goto oom;
    a->key_col = key_col;
    a->time_col = time_col;
    a->value_col = value_col;
    a->o = *o;
    a->max_ts = EM_TS_MIN;
    *out = &a->base;
    return 0;
oom:
    if (a) {
        em_keyed_destroy(a->keys);
        em_free(a->rows);
        em_free(a->ids);
        em_free(a->base.id);
        em_free(a);
    }
    em_schema_destroy(sch);
    return em_errf(err, EM_ENOMEM, "out of memory creating alerts");
}
