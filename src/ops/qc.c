/*
 * ops/qc.c - sensor quality control with QARTOD flags (see ember.h em_qc).
 *
 * The operator passes every input row through unchanged and appends six
 * BIGINT flag columns: gross range, spike, rate of change, flat line,
 * timestamp sanity, and their aggregate. The output batch shares the input
 * columns (a view) and only allocates the flag columns, so QC costs one
 * pass and no copy of the readings.
 *
 * Per key (em_keyed) it keeps, in arrival order, the newest event time, the
 * last three accepted values with the time of the last one, and the current
 * flat-line run. A reading is accepted into that history when its time is
 * sane (not a duplicate, not older than the newest, not in the future) and
 * it passes the gross range test; the spike test compares a value with the
 * median of the three before it, so one spike does not disturb the test of
 * the next reading, and a lasting step stops being a spike after two
 * readings.
 */
#include "ops/qc.h"

#include "ember/error.h"
#include "ops/keyed.h"
#include "ops/snap.h"
#include "core/codec.h"

#include <math.h>
#include <string.h>

enum { Q_PASS = 1, Q_NOT_EVALUATED = 2, Q_SUSPECT = 3, Q_FAIL = 4, Q_MISSING = 9 };
enum { F_RANGE, F_SPIKE, F_RATE, F_FLAT, F_TIME, F_ALL, NFLAGS };

typedef struct qc_state {
    int64_t newest;  /* newest event time seen, EM_TS_MIN none */
    int64_t last_ts; /* time of hist[0] */
    double hist[3];  /* accepted values, newest first */
    uint32_t nhist;
    double flat_ref;
    int64_t flat_run;
} qc_state;

typedef struct qc_op {
    em_op base;
    em_keyed *keys;
    int key_col, time_col, value_col;
    uint32_t nin;
    em_qc_options o;
    uint32_t *rows; /* scratch, EM_BATCH_ROWS each */
    int32_t *ids;
    uint8_t *created;
} qc_op;

static int grade(double x, double suspect, double fail)
{
    if (isnan(suspect) && isnan(fail))
        return Q_NOT_EVALUATED;
    if (!isnan(fail) && x >= fail)
        return Q_FAIL;
    if (!isnan(suspect) && x >= suspect)
        return Q_SUSPECT;
    return Q_PASS;
}

static int range_flag(const em_qc_options *o, double x)
{
    int any = !isnan(o->fail_min) || !isnan(o->fail_max) || !isnan(o->suspect_min) ||
              !isnan(o->suspect_max);
    if (!any)
        return Q_NOT_EVALUATED;
    if ((!isnan(o->fail_min) && x < o->fail_min) || (!isnan(o->fail_max) && x > o->fail_max))
        return Q_FAIL;
    if ((!isnan(o->suspect_min) && x < o->suspect_min) ||
        (!isnan(o->suspect_max) && x > o->suspect_max))
        return Q_SUSPECT;
    return Q_PASS;
}

static double median3(const qc_state *s)
{
    if (s->nhist == 1)
        return s->hist[0];
    if (s->nhist == 2)
        return (s->hist[0] + s->hist[1]) / 2;
    double a = s->hist[0], b = s->hist[1], c = s->hist[2];
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    return c < a ? a : c > b ? b : c;
}

/* Flags of one reading (f[NFLAGS]) and the state update. st is NULL for a
 * NULL key: only the stateless tests run. */
static void check(const qc_op *q, qc_state *st, int has_v, double x, int has_t, int64_t t,
                  int64_t now, int64_t f[NFLAGS])
{
    const em_qc_options *o = &q->o;
    for (int i = 0; i < NFLAGS; i++)
        f[i] = Q_NOT_EVALUATED;
    /* timestamp sanity */
    if (!has_t) {
        f[F_TIME] = Q_MISSING;
    } else if (o->future_us >= 0 && t > now + o->future_us) {
        f[F_TIME] = Q_FAIL;
    } else if (st && st->newest != EM_TS_MIN && t == st->newest) {
        f[F_TIME] = Q_FAIL; /* duplicate */
    } else if (st && st->newest != EM_TS_MIN && t < st->newest) {
        f[F_TIME] = Q_SUSPECT; /* out of order */
    } else {
        f[F_TIME] = Q_PASS;
    }
    if (!has_v || isnan(x)) {
        f[F_RANGE] = f[F_SPIKE] = f[F_RATE] = f[F_FLAT] = Q_MISSING;
        f[F_ALL] = Q_MISSING;
        if (st && has_t && t > st->newest && f[F_TIME] != Q_FAIL)
            st->newest = t;
        return;
    }
    f[F_RANGE] = range_flag(o, x);
    int time_ok = f[F_TIME] == Q_PASS;
    if (st && time_ok) {
        if (st->nhist > 0) {
            f[F_SPIKE] = grade(fabs(x - median3(st)), o->spike_suspect, o->spike_fail);
            double dt = (double)(t - st->last_ts) / 1e6;
            if (dt > 0)
                f[F_RATE] = grade(fabs(x - st->hist[0]) / dt, o->rate_suspect, o->rate_fail);
        }
        if (st->flat_run > 0 && fabs(x - st->flat_ref) <= o->flat_tolerance) {
            st->flat_run++;
        } else {
            st->flat_ref = x;
            st->flat_run = 1;
        }
        if (o->flat_suspect > 0 || o->flat_fail > 0) {
            f[F_FLAT] = Q_PASS;
            if (o->flat_fail > 0 && st->flat_run >= o->flat_fail)
                f[F_FLAT] = Q_FAIL;
            else if (o->flat_suspect > 0 && st->flat_run >= o->flat_suspect)
                f[F_FLAT] = Q_SUSPECT;
        }
        st->newest = t;
        if (f[F_RANGE] != Q_FAIL) {
            st->hist[2] = st->hist[1];
            st->hist[1] = st->hist[0];
            st->hist[0] = x;
            st->nhist += st->nhist < 3;
            st->last_ts = t;
        }
    }
    int64_t worst = 0;
    for (int i = 0; i < F_ALL; i++)
        if (f[i] != Q_NOT_EVALUATED && f[i] > worst)
            worst = f[i];
    f[F_ALL] = worst ? worst : Q_NOT_EVALUATED;
}

static int qc_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    qc_op *q = (qc_op *)op;
    const em_column *kc = &in->cols[q->key_col];
    const em_column *tc = &in->cols[q->time_col];
    const em_column *vc = &in->cols[q->value_col];
    uint32_t total = em_batch_count(in);
    em_batch *b = em_batch_view(op->out_schema, in->nrows, cx->arena);
    if (!b)
        return EM_ENOMEM;
    memcpy(b->cols, in->cols, (size_t)q->nin * sizeof *b->cols);
    b->sel = in->sel;
    b->nsel = in->nsel;
    int64_t *flags[NFLAGS];
    for (int i = 0; i < NFLAGS; i++) {
        em_column *c = &b->cols[q->nin + (uint32_t)i];
        if (em_column_alloc(c, EM_TYPE_BIGINT, in->nrows, 0, cx->arena))
            return EM_ENOMEM;
        memset(c->v.i64, 0, (size_t)in->nrows * 8);
        flags[i] = c->v.i64;
    }
    int rc = 0;
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS;
        for (uint32_t i = 0; i < n; i++)
            q->rows[i] = em_batch_row(in, base + i);
        if ((rc = em_keyed_upsert(q->keys, kc, q->rows, n, q->ids, q->created)))
            return rc;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = q->rows[i];
            qc_state *st = q->ids[i] >= 0 ? em_keyed_state(q->keys, (uint32_t)q->ids[i]) : NULL;
            if (st && q->created[i])
                st->newest = EM_TS_MIN; /* a new key: zeroed state */
            int has_v = !em_column_is_null(vc, r), has_t = !em_column_is_null(tc, r);
            double x = !has_v                        ? 0
                       : vc->type == EM_TYPE_DOUBLE ? vc->v.f64[r]
                                                    : (double)vc->v.i64[r];
            int64_t f[NFLAGS];
            check(q, st, has_v, x, has_t, has_t ? tc->v.i64[r] : 0, cx->logical_time, f);
            for (int k = 0; k < NFLAGS; k++)
                flags[k][r] = f[k];
        }
    }
    op->stats.state_keys = em_keyed_count(q->keys);
    op->stats.state_bytes = em_keyed_bytes(q->keys);
    return total ? em_op_emit(op, b, cx) : 0;
}

static void qc_describe(const em_op *op, em_buf *out)
{
    const qc_op *q = (const qc_op *)op;
    em_buf_printf(out, "of %s per %s at %s, keys=%llu", op->out_schema->fields[q->value_col].name,
                  op->out_schema->fields[q->key_col].name, op->out_schema->fields[q->time_col].name,
                  (unsigned long long)em_keyed_count(q->keys));
}

static void qc_destroy(em_op *op)
{
    qc_op *q = (qc_op *)op;
    em_keyed_destroy(q->keys);
    em_free(q->rows);
    em_free(q->ids);
    em_free(q->created);
    em_free((char *)q->o.prefix);
    em_op_release(op);
    em_free(q);
}

/* ---- snapshots ---- */

static int64_t dbits(double v)
{
    int64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static void qc_fp(const qc_op *q, em__fp *fp)
{
    const em_qc_options *o = &q->o;
    em__fp_init(fp);
    em__fp_text(fp, em_type_name(q->base.out_schema->fields[q->key_col].type), "key type");
    em__fp_num(fp, dbits(o->fail_min), "fail_min");
    em__fp_num(fp, dbits(o->fail_max), "fail_max");
    em__fp_num(fp, dbits(o->suspect_min), "suspect_min");
    em__fp_num(fp, dbits(o->suspect_max), "suspect_max");
    em__fp_num(fp, dbits(o->spike_suspect), "spike_suspect");
    em__fp_num(fp, dbits(o->spike_fail), "spike_fail");
    em__fp_num(fp, dbits(o->rate_suspect), "rate_suspect");
    em__fp_num(fp, dbits(o->rate_fail), "rate_fail");
    em__fp_num(fp, dbits(o->flat_tolerance), "flat_tolerance");
    em__fp_num(fp, o->flat_suspect, "flat_suspect");
    em__fp_num(fp, o->flat_fail, "flat_fail");
}

static int qc_state_ok(const void *p)
{
    const qc_state *s = p;
    return s->nhist <= 3 && s->flat_run >= 0;
}

static int qc_snapshot(em_op *op, em_buf *out)
{
    qc_op *q = (qc_op *)op;
    em__fp fp;
    qc_fp(q, &fp);
    int rc = em__snap_begin(out, op, &fp);
    return rc ? rc : em__keyed_snap(q->keys, out);
}

static int qc_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    qc_op *q = (qc_op *)op;
    em__fp fp;
    em_dec d;
    qc_fp(q, &fp);
    int rc = em__snap_open(&d, op, &fp, p, n, err);
    if (rc)
        return rc;
    rc = em__keyed_load(q->keys, &d, qc_state_ok);
    op->stats.state_keys = em_keyed_count(q->keys);
    op->stats.state_bytes = em_keyed_bytes(q->keys);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    if (rc || em_dec_left(&d))
        return em__snap_corrupt(op, err, "bad per-key QC states");
    return 0;
}

static const em_op_vtable qc_vt = {
    .kind = "qc",
    .state_version = 1,
    .snapshot = qc_snapshot,
    .restore = qc_restore,
    .push = qc_push,
    .describe = qc_describe,
    .destroy = qc_destroy,
};

int em_qc_create(em_op **out, const char *id, const em_schema *in, int key_col, int time_col,
                 int value_col, const em_qc_options *o, em_errbuf *err)
{
    static const char *const suffix[NFLAGS] = {"range", "spike", "rate", "flat", "time", "flag"};
    qc_op *q = NULL;
    em_schema *sch = NULL;
    const char **names = NULL;
    em_type *types = NULL;
    char *namebuf = NULL;
    int rc = EM_ENOMEM;
    uint32_t n = in->nfields;
    if (key_col < 0 || time_col < 0 || value_col < 0 || (uint32_t)key_col >= n ||
        (uint32_t)time_col >= n || (uint32_t)value_col >= n)
        return em_errf(err, EM_EINVAL, "qc: column index out of range");
    if (in->fields[time_col].type != EM_TYPE_TIMESTAMP)
        return em_errf(err, EM_ETYPE, "qc: time column \"%s\" must be a TIMESTAMP, not %s",
                       in->fields[time_col].name, em_type_name(in->fields[time_col].type));
    em_type vt = in->fields[value_col].type;
    if (vt != EM_TYPE_DOUBLE && vt != EM_TYPE_BIGINT)
        return em_errf(err, EM_ETYPE, "qc: value column \"%s\" must be BIGINT or DOUBLE, not %s",
                       in->fields[value_col].name, em_type_name(vt));
    if (in->fields[key_col].type == EM_TYPE_NULL)
        return em_errf(err, EM_ETYPE, "qc: key column \"%s\" has no type",
                       in->fields[key_col].name);
    const char *prefix = o->prefix ? o->prefix : "qc_";
    size_t plen = strlen(prefix);
    if (plen > 200)
        return em_errf(err, EM_EINVAL, "qc: prefix longer than 200 bytes");
    names = em_calloc(n + NFLAGS, sizeof *names);
    types = em_calloc(n + NFLAGS, sizeof *types);
    namebuf = em_malloc(NFLAGS * (plen + 8));
    q = em_calloc(1, sizeof *q);
    if (!names || !types || !namebuf || !q)
        goto fail;
    for (uint32_t i = 0; i < n; i++) {
        names[i] = in->fields[i].name;
        types[i] = in->fields[i].type;
    }
    for (int i = 0; i < NFLAGS; i++) {
        char *nm = namebuf + (size_t)i * (plen + 8);
        memcpy(nm, prefix, plen);
        strcpy(nm + plen, suffix[i]);
        if (em_schema_find(in, nm, strlen(nm)) >= 0) {
            rc = em_errf(err, EM_EINVAL,
                         "qc: the input already has a column \"%s\"; choose another prefix", nm);
            goto fail;
        }
        names[n + (uint32_t)i] = nm;
        types[n + (uint32_t)i] = EM_TYPE_BIGINT;
    }
    if (!(sch = em_schema_create(n + NFLAGS, names, types)))
        goto fail;
    q->o = *o;
    q->o.prefix = NULL;
    if (!(q->o.prefix = em_malloc(plen + 1)))
        goto fail;
    memcpy((char *)q->o.prefix, prefix, plen + 1);
    if (em_keyed_create(&q->keys, in->fields[key_col].type, sizeof(qc_state), 0))
        goto fail;
    q->rows = em_malloc(EM_BATCH_ROWS * sizeof *q->rows);
    q->ids = em_malloc(EM_BATCH_ROWS * sizeof *q->ids);
    q->created = em_malloc(EM_BATCH_ROWS);
    if (!q->rows || !q->ids || !q->created || em_op_init(&q->base, &qc_vt, id, sch, 1))
        goto fail;
    sch = NULL;
    q->key_col = key_col;
    q->time_col = time_col;
    q->value_col = value_col;
    q->nin = n;
    em_free(names);
    em_free(types);
    em_free(namebuf);
    *out = &q->base;
    return 0;
fail:
    if (q) {
        em_keyed_destroy(q->keys);
        em_free(q->rows);
        em_free(q->ids);
        em_free(q->created);
        em_free((char *)q->o.prefix);
        em_free(q->base.id);
        em_free(q);
    }
    em_schema_destroy(sch);
    em_free(names);
    em_free(types);
    em_free(namebuf);
    return rc == EM_ENOMEM ? em_errf(err, EM_ENOMEM, "out of memory creating qc") : rc;
}
