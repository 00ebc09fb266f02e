/*
 * ops/agg_nowcast.c - the state of nowcast_pm(value, ts): the U.S. EPA PM
 * NowCast over the 12 most recent clock hours.
 *
 * A state owns one side allocation of fixed size: the newest hour seen and
 * a ring of 12 hourly (sum, count) pairs indexed by hour mod 12, so memory
 * per group is bounded whatever the input rate. Readings older than the
 * ring (12 hours before the newest) are ignored. States merge hour by hour,
 * which is what HOP panes need.
 *
 * The NowCast as of hour R (EPA, "Technical Assistance Document for the
 * Reporting of Daily Air Quality", EPA-454/B-24-002, and the PM NowCast
 * fact sheet): c_i is the average of hour R - i (i = 0..11), missing hours
 * are left out; at least 2 of c_0, c_1, c_2 must be present, else NULL;
 * w = cmin / cmax over the present hours, at least 0.5 (PM), 1 when cmax is
 * 0; NowCast = sum(w^i c_i) / sum(w^i) over the present hours.
 */
#include "ops/agg.h"

#include "core/codec.h"
#include "ember/error.h"

#include <math.h>
#include <string.h>

#define HOUR_US 3600000000LL
#define NHOURS 12

typedef struct nowcast {
    int64_t newest; /* hour number (floor(ts / 1 h)) of the newest reading */
    double sum[NHOURS];
    uint32_t cnt[NHOURS];
} nowcast;

static int64_t hour_of(int64_t ts)
{
    int64_t q = ts / HOUR_US;
    return (ts % HOUR_US < 0) ? q - 1 : q;
}

static uint32_t slot(int64_t hour)
{
    int64_t m = hour % NHOURS;
    return (uint32_t)(m < 0 ? m + NHOURS : m);
}

/* Moves the ring forward so that `hour` is its newest hour. */
static void advance_to(nowcast *w, int64_t hour)
{
    if (hour <= w->newest)
        return;
    if (hour - w->newest >= NHOURS) {
        memset(w->sum, 0, sizeof w->sum);
        memset(w->cnt, 0, sizeof w->cnt);
    } else {
        for (int64_t h = w->newest + 1; h <= hour; h++) {
            w->sum[slot(h)] = 0;
            w->cnt[slot(h)] = 0;
        }
    }
    w->newest = hour;
}

static nowcast *get(em__agg_state *s, int64_t hour)
{
    nowcast *w = s->a.p;
    if (!w) {
        if (!(w = em_calloc(1, sizeof *w)))
            return NULL;
        w->newest = hour;
        s->a.p = w;
    }
    return w;
}

static void add(nowcast *w, int64_t hour, double sum, uint32_t cnt)
{
    advance_to(w, hour);
    if (hour <= w->newest - NHOURS)
        return; /* older than the 12 hours kept */
    w->sum[slot(hour)] += sum;
    w->cnt[slot(hour)] += cnt;
}

int em__nowcast_update(em__agg_state *s, const em_column *c, uint32_t row, int64_t ts)
{
    if (em_column_is_null(c, row))
        return 0;
    double v = c->type == EM_TYPE_DOUBLE ? c->v.f64[row] : (double)c->v.i64[row];
    if (isnan(v))
        return 0;
    int64_t hour = hour_of(ts);
    nowcast *w = get(s, hour);
    if (!w)
        return EM_ENOMEM;
    add(w, hour, v, 1);
    s->n++;
    return 0;
}

int em__nowcast_merge(em__agg_state *dst, const em__agg_state *src)
{
    const nowcast *ws = src->a.p;
    if (!ws)
        return 0;
    nowcast *wd = get(dst, ws->newest);
    if (!wd)
        return EM_ENOMEM;
    advance_to(wd, ws->newest);
    for (int64_t h = ws->newest - NHOURS + 1; h <= ws->newest; h++)
        if (ws->cnt[slot(h)])
            add(wd, h, ws->sum[slot(h)], ws->cnt[slot(h)]);
    dst->n += src->n;
    return 0;
}

void em__nowcast_value(const em__agg_state *s, int64_t end_us, em__agg_val *out)
{
    const nowcast *w = s->a.p;
    out->null = 1;
    out->v.d = 0;
    out->p = NULL;
    out->len = 0;
    if (!w)
        return;
    int64_t ref = end_us == INT64_MIN ? w->newest : hour_of(end_us - 1);
    double c[NHOURS];
    int have[NHOURS], recent = 0, any = 0;
    double cmin = INFINITY, cmax = -INFINITY;
    for (int i = 0; i < NHOURS; i++) {
        int64_t h = ref - i;
        have[i] = h <= w->newest && h > w->newest - NHOURS && w->cnt[slot(h)] > 0;
        if (!have[i])
            continue;
        c[i] = w->sum[slot(h)] / w->cnt[slot(h)];
        cmin = c[i] < cmin ? c[i] : cmin;
        cmax = c[i] > cmax ? c[i] : cmax;
        recent += i < 3;
        any = 1;
    }
    if (!any || recent < 2)
        return;
    double wf = cmax > 0 ? cmin / cmax : 1.0;
    if (wf < 0.5)
        wf = 0.5;
    double num = 0, den = 0, p = 1;
    for (int i = 0; i < NHOURS; i++, p *= wf)
        if (have[i]) {
            num += p * c[i];
            den += p;
        }
    out->null = 0;
    out->v.d = num / den;
}

void em__nowcast_free(em__agg_state *s)
{
    em_free(s->a.p);
}

size_t em__nowcast_heap_bytes(const em__agg_state *s)
{
    return s->a.p ? sizeof(nowcast) : 0;
}

int em__nowcast_put(em_buf *b, const em__agg_state *s)
{
    const nowcast *w = s->a.p;
    int rc = em_enc_u8(b, w != NULL);
    if (rc || !w)
        return rc;
    rc = em_enc_i64(b, w->newest);
    rc = rc ? rc : em_enc_i64(b, s->n);
    for (int i = 0; i < NHOURS && !rc; i++) {
        rc = em_enc_f64(b, w->sum[i]);
        rc = rc ? rc : em_enc_u32(b, w->cnt[i]);
    }
    return rc;
}

int em__nowcast_get(em_dec *d, em__agg_state *s)
{
    memset(s, 0, sizeof *s);
    uint8_t present = em_dec_u8(d);
    if (!em_dec_ok(d) || present > 1)
        return em_dec_fail(d), EM_ECORRUPT;
    if (!present)
        return 0;
    nowcast *w = em_calloc(1, sizeof *w);
    if (!w)
        return EM_ENOMEM;
    s->a.p = w;
    w->newest = em_dec_i64(d);
    s->n = em_dec_i64(d);
    for (int i = 0; i < NHOURS; i++) {
        w->sum[i] = em_dec_f64(d);
        w->cnt[i] = em_dec_u32(d);
    }
    if (!em_dec_ok(d) || s->n < 0 || w->newest < -(INT64_C(1) << 40) ||
        w->newest > (INT64_C(1) << 40))
        return em_dec_fail(d), EM_ECORRUPT;
    return 0;
}
